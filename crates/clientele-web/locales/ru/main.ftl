# Clientele — Русский

skip-to-content = Перейти к содержимому
nav-label = Основная навигация
nav-open = Меню
nav-home = Главная
nav-contacts = Контакты
nav-companies = Компании
nav-deals = Сделки
nav-tasks = Задачи
nav-inbox = Входящие
nav-reports = Отчёты
nav-settings = Настройки
user-menu = Меню учётной записи
sign-out = Выйти

role-admin = Администратор
role-head = Руководитель отдела продаж
role-manager = Менеджер по продажам
role-readonly = Только чтение

locale-en = English
locale-fr = Français
locale-ru = Русский
locale-bg = Български
locale-ko = 한국어

field-email = E-mail
field-password = Пароль
field-name = Имя
field-role = Роль
field-team = Команда
field-locale = Язык
field-time-zone = Часовой пояс
field-current-password = Текущий пароль
field-new-password = Новый пароль
field-confirm-password = Повторите новый пароль

action-save = Сохранить
action-cancel = Отмена
action-delete = Удалить
action-copy = Копировать
action-filter = Фильтровать

list-empty = Здесь пока ничего нет.
list-next = Следующая страница

login-title = Вход
login-heading = Вход в Clientele
login-subtitle = Ваши клиенты, сделки и переписка в одном месте.
login-submit = Войти
login-failed = Неверный e-mail или пароль.
login-missing = Введите e-mail и пароль.
login-expired = Срок действия формы входа истёк. Попробуйте ещё раз.
login-rate-limited = Слишком много неудачных попыток. Повторите попытку через { $minutes } мин.

home-welcome = Добро пожаловать, { $name }
home-subtitle = Краткий обзор вашего рабочего пространства.
home-you = Вы
home-no-team = Без команды
home-workspace = Рабочее пространство
home-users = Пользователи
home-database = База данных
home-version = Версия
home-api = API
home-api-text = Всё, что можно сделать в Clientele, доступно и через JSON API — с API-токенами для ваших скриптов и интеграций.
home-api-docs = Справочник по API

section-contacts-empty = Здесь будут люди, которым вы продаёте, — с телефонами, адресами e-mail, ответственными и историей.
section-companies-empty = Здесь будут организации и их контактные лица.
section-deals-empty = Здесь появятся ваши воронки и сделки — в виде доски и списка.
section-tasks-empty = Здесь появятся звонки, встречи и дела для вас и вашей команды.
section-inbox-empty = Сюда будут поступать обращения из почты, форм, мессенджеров и телефонных звонков.
section-reports-empty = Здесь будут отчёты по воронке, продажам и активности.

settings-profile = Профиль
settings-profile-text = Ваше имя, язык, часовой пояс и пароль.
settings-tokens = API-токены
settings-tokens-text = Ключи для скриптов и интеграций, действующих от вашего имени.
settings-users = Пользователи
settings-users-text = Кто может входить в систему и с какой ролью.
settings-teams = Команды
settings-teams-text = Команды и отделы; руководители отдела продаж видят записи своей команды.
settings-audit = Журнал аудита
settings-audit-text = Кто, что и когда изменил.
settings-edit-user = Редактирование пользователя

profile-locale-auto = Язык браузера

password-heading = Смена пароля
password-submit = Сменить пароль
password-hint = Не менее 10 символов. Остальные ваши сеансы будут завершены.
password-mismatch = Новые пароли не совпадают.

users-search = Поиск пользователей
users-last-login = Последний вход
users-inactive = деактивирован
users-new = Новый пользователь
users-create = Создать пользователя
users-active = Может входить в систему
users-reset-password = Задать новый пароль
users-reset-hint = Все сеансы пользователя будут завершены, и ему придётся входить с новым паролем.

teams-parent = Входит в
teams-members = Участники
teams-new = Новая команда
teams-create = Создать команду
teams-empty = Команд пока нет. Команды позволяют руководителям отдела продаж видеть записи своих сотрудников.
teams-delete-confirm = Удалить эту команду?

tokens-prefix = Токен
tokens-created-at = Создан
tokens-last-used = Последнее использование
tokens-expires = Истекает
tokens-revoked = отозван
tokens-revoke = Отозвать
tokens-revoke-confirm = Отозвать этот токен? Скрипты, которые его используют, сразу перестанут работать.
tokens-empty = API-токенов пока нет.
tokens-new = Новый API-токен
tokens-create = Создать токен
tokens-name-placeholder = например, Форма на сайте
tokens-expires-days = Истекает через (дней, пусто = бессрочно)
tokens-created = Ваш новый API-токен
tokens-created-text = Скопируйте его сейчас: он показывается только один раз. Передавайте его в заголовке "Authorization: Bearer <token>".

audit-entity = Тип записи
audit-all = Все записи
audit-when = Когда
audit-who = Кто
audit-what = Что
audit-changes = Изменения

error-404-title = Страница не найдена
error-404-text = Здесь ничего нет, или у вас нет к этому доступа.
error-403-title = Доступ запрещён
error-invalid-title = Некорректный запрос
error-500-title = Что-то пошло не так
error-generic-title = Ошибка
error-back-home = Вернуться на главную

flash-signed-out = Вы вышли из системы.
flash-profile-saved = Профиль сохранён.
flash-password-changed = Пароль изменён. Остальные ваши сеансы завершены.
flash-user-created = Пользователь создан.
flash-user-saved = Пользователь сохранён.
flash-password-reset = Новый пароль задан.
flash-team-created = Команда создана.
flash-team-deleted = Команда удалена.
flash-token-revoked = Токен отозван.

# --- Клиентская база ---
action-edit = Изменить
action-find = Найти
action-remove = Убрать
action-restore = Восстановить
word-yes = Да
word-no = Нет

lifecycle-lead = Лид
lifecycle-prospect = Потенциальный клиент
lifecycle-customer = Клиент
lifecycle-churned = Ушедший
owner-nobody = Не назначен

phone-kind-mobile = Мобильный
phone-kind-work = Рабочий
phone-kind-home = Домашний
phone-kind-fax = Факс
phone-kind-other = Другой
email-kind-work = Рабочий
email-kind-personal = Личный
email-kind-other = Другой
phone-flag-missing-area-code = нет кода города
phone-flag-missing-country-code = нет кода страны
date-kind-birthday = День рождения
date-kind-anniversary = Годовщина
date-next = следующий раз { $date }

company-role-director = Директор
company-role-chief_accountant = Главный бухгалтер
company-role-lawyer = Юрист
company-role-secretary = Секретарь
company-role-buyer = Закупщик
company-role-other = Другая (укажите ниже)
company-role-custom = Роль своими словами

ff-name = Название
ff-first_name = Имя
ff-last_name = Фамилия
ff-display_name = Отображаемое имя
ff-title = Должность
ff-company_id = Компания
ff-company_role = Роль в компании
ff-birthday = День рождения
ff-legal_name = Юридическое название
ff-tax_number = ИНН / налоговый номер
ff-industry = Отрасль
ff-website = Сайт
ff-lifecycle = Этап
ff-source = Источник
ff-owner_id = Ответственный
ff-tags = Теги
ff-email = E-mail
ff-phone = Телефон
ff-created_at = Создан
ff-updated_at = Изменён
ff-last_contacted_at = Последний контакт
ff-city = Город
ff-region = Регион
ff-country = Страна
ff-address = Адрес
ff-notes = Заметки
ff-phones = Телефоны
ff-emails = E-mail
ff-important_dates = Важные даты

op-eq = равно
op-ne = не равно
op-contains = содержит
op-starts_with = начинается с
op-gt = после / больше
op-gte = не раньше / не меньше
op-lt = до / меньше
op-lte = не позже / не больше
op-in = одно из (через запятую)
op-is_empty = пусто
op-is_not_empty = не пусто
op-has = есть
op-lacks = нет
op-older_than_days = более N дней назад
op-within_last_days = за последние N дней
op-in_next_days = в ближайшие N дней

col-name = Имя
col-company = Компания
col-title = Должность
col-phone = Телефон
col-email = E-mail
col-lifecycle = Этап
col-owner = Ответственный
col-tags = Теги
col-city = Город
col-source = Источник
col-created = Создан
col-updated = Изменён
col-industry = Отрасль
col-tax_number = ИНН
col-website = Сайт

contact-new = Новый контакт
contact-edit = Изменение контакта
company-new = Новая компания
company-edit = Изменение компании

list-intro = Ищите, фильтруйте и обрабатывайте несколько записей сразу.
list-search = Поиск по имени, телефону, e-mail…
list-clear = Сбросить
list-trash = Корзина
list-back-to-list = Вернуться к списку
list-no-match = Под эти условия ничего не подходит.
list-shown = { $count ->
    [one] { $count } запись на странице
    [few] { $count } записи на странице
    [many] { $count } записей на странице
   *[other] { $count } записи на странице
}
qf-any-stage = Любой этап
qf-anyone = Любой ответственный
qf-me = Мои
qf-tag = Тег

fb-title = Конструктор фильтра
fb-match = Условия
fb-all = все (И)
fb-any = любое (ИЛИ)
fb-field = Поле
fb-op = Условие
fb-value = Значение
fb-choose-field = Выберите поле…
fb-add = Добавить условие
fb-apply = Применить фильтр
fb-hint = Даты в виде 2026-01-31; «me» — вы как ответственный; списки через запятую.
fb-advanced = В этом фильтре есть вложенные группы, он показан в виде JSON:

cols-title = Столбцы
cols-apply = Показать столбцы

views-title = Сохранённое представление
views-none = Все записи
views-apply = Применить
views-shared = общее
views-save-as = Сохранить как представление
views-name = Название представления
views-share = Видно всем
views-delete = Удалить представление
views-delete-confirm = Удалить это представление?

bulk-selected = С выбранными:
bulk-action = Действие
bulk-add-tag = Добавить тег
bulk-remove-tag = Убрать тег
bulk-assign-owner = Назначить ответственного
bulk-lifecycle = Сменить этап
bulk-delete = Удалить
bulk-apply = Применить
bulk-select-all = Выбрать все на странице
bulk-result = Обновлено: { $ok }, с ошибкой: { $failed }.

form-main = Основные сведения
form-status = Ответственный и статус
form-display-name-hint = По умолчанию имя и фамилия
form-no-company = Без компании
form-kind = Тип
form-date = Дата
form-yearly = Ежегодно
form-once = Однократно
form-add-phone = Добавить телефон
form-add-email = Добавить e-mail
form-add-date = Добавить дату
form-currency = Валюта
form-record-id = Идентификатор записи
form-tags-hint = Через запятую, например: VIP, Москва
form-stale = Пока вы редактировали, запись изменил кто-то другой. Обновите её и внесите изменения заново.
form-reload = Обновить
inline-stale = Запись тем временем изменил кто-то другой; показано текущее значение. Попробуйте ещё раз.

card-phones = Телефоны
card-emails = E-mail
card-address = Адрес
card-dates = Важные даты
card-custom = Дополнительные поля
card-details = Сведения
card-companies = Компании
card-no-companies = Не привязан ни к одной компании.
card-primary = основная
card-timeline = История
card-timeline-hidden = История записи доступна администраторам и руководителям отделов продаж.
card-export = Выгрузить персональные данные
card-erase = Удалить персональные данные
card-erase-confirm = Безвозвратно удалить персональные данные этого человека? Имена, телефоны, e-mail, заметки и их история будут удалены. Отменить это нельзя.
card-delete-confirm = Переместить запись в корзину?
card-deleted = В корзине

company-people = Контактные лица
company-no-people = Контактных лиц пока нет.
company-add-person = Добавить контактное лицо
company-find-person = Найти контакт по имени или телефону
company-role = Роль
company-make-primary = Это основная компания человека
company-remove-confirm = Убрать человека из компании? Сам контакт сохранится.
company-new-contact = Новый контакт в этой компании

dup-title = Дубликаты
dup-intro = Записи с общим телефоном, e-mail или ИНН. При объединении сохраняются все телефоны, e-mail, связи и история обеих записей.
dup-shared = общее
dup-merge = Объединить
dup-none = Дубликатов не найдено.
dup-exists-contact = Контакт с таким телефоном или e-mail уже есть.
dup-exists-company = Компания с таким телефоном, e-mail или ИНН уже есть.
dup-field = уже указан в другой записи
dup-open = Открыть
dup-save-anyway = Всё равно сохранить

merge-title = Объединение записей
merge-intro = Выберите запись, которую нужно оставить, и для каждого различающегося поля — значение. Вторая запись отправится в корзину и будет ссылаться на оставленную.
merge-field = Поле
merge-keep = Оставить
merge-lists-hint = Телефоны, e-mail, теги и даты обеих записей объединяются.
merge-submit = Объединить

search-title = Поиск
search-label = Поиск контактов и компаний
search-placeholder = Поиск контактов и компаний…
search-nothing = Ничего не найдено.
search-all = Все результаты

notifications-title = Уведомления
notifications-none = Уведомлений нет.
notifications-new = новое
notifications-mark-read = Отметить все как прочитанные

settings-fields = Дополнительные поля
settings-fields-text = Свои поля для контактов и компаний.
settings-field-edit = Изменение поля
fields-contact = Поля контактов
fields-company = Поля компаний
fields-new = Новое поле
fields-entity = Для
fields-label = Название
fields-key = Ключ
fields-key-hint = Строчные латинские буквы, цифры и _; изменить потом нельзя.
fields-type = Тип
fields-options = Варианты
fields-options-hint = Для списков — через запятую. Для ссылки — contact или company.
fields-position = Порядок
fields-required = Обязательное
fields-required-short = обязательное
fields-create = Создать поле
fields-empty = Дополнительных полей пока нет.
fields-delete-confirm = Удалить поле? Уже сохранённые значения больше не будут показываться.
field-type-text = Текст
field-type-long_text = Длинный текст
field-type-number = Число
field-type-money = Сумма
field-type-date = Дата
field-type-datetime = Дата и время
field-type-select = Выбор из списка
field-type-multi_select = Множественный выбор
field-type-boolean = Да / нет
field-type-url = Веб-адрес
field-type-phone = Телефон
field-type-email = E-mail
field-type-user = Пользователь
field-type-reference = Ссылка на запись

flash-contact-created = Контакт создан.
flash-contact-saved = Контакт сохранён.
flash-contact-deleted = Контакт перемещён в корзину.
flash-company-created = Компания создана.
flash-company-saved = Компания сохранена.
flash-company-deleted = Компания перемещена в корзину.
flash-restored = Восстановлено из корзины.
flash-erased = Персональные данные удалены.
flash-saved = Сохранено.
flash-merged = Записи объединены.
flash-view-saved = Представление сохранено.
flash-view-deleted = Представление удалено.
flash-person-added = Контактное лицо добавлено.
flash-person-removed = Контактное лицо убрано.
flash-notifications-read = Все уведомления отмечены как прочитанные.
flash-field-created = Поле создано.
flash-field-saved = Поле сохранено.
flash-field-deleted = Поле удалено.
addr-street = Улица, дом
addr-city = Город
addr-postal-code = Индекс
addr-region = Регион / область
addr-country = Страна (две буквы)
