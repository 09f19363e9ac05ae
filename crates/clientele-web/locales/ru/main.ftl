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
