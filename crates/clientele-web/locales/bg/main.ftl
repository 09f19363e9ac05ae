# Clientele — Български

skip-to-content = Към съдържанието
nav-label = Основна навигация
nav-open = Меню
nav-home = Начало
nav-contacts = Контакти
nav-companies = Компании
nav-deals = Сделки
nav-tasks = Задачи
nav-inbox = Входящи
nav-reports = Отчети
nav-settings = Настройки
user-menu = Меню на профила
sign-out = Изход

role-admin = Администратор
role-head = Ръководител продажби
role-manager = Мениджър продажби
role-readonly = Само за четене

locale-en = English
locale-fr = Français
locale-ru = Русский
locale-bg = Български
locale-ko = 한국어

field-email = Имейл
field-password = Парола
field-name = Име
field-role = Роля
field-team = Екип
field-locale = Език
field-time-zone = Часова зона
field-current-password = Текуща парола
field-new-password = Нова парола
field-confirm-password = Повторете новата парола

action-save = Запазване
action-cancel = Отказ
action-delete = Изтриване
action-copy = Копиране
action-filter = Филтриране

list-empty = Все още няма нищо тук.
list-next = Следваща страница

login-title = Вход
login-heading = Вход в Clientele
login-subtitle = Вашите клиенти, сделки и разговори на едно място.
login-submit = Вход
login-failed = Грешен имейл или парола.
login-missing = Въведете своя имейл и парола.
login-expired = Формулярът за вход е изтекъл. Моля, опитайте отново.
login-rate-limited = Твърде много неуспешни опити. Опитайте отново след { $minutes } мин.

home-welcome = Добре дошли, { $name }
home-subtitle = Ето кратък преглед на Вашето работно пространство.
home-you = Вие
home-no-team = Без екип
home-workspace = Работно пространство
home-users = Потребители
home-database = База данни
home-version = Версия
home-api = API
home-api-text = Всичко в Clientele може да се прави и чрез JSON API, с API токени за Вашите скриптове и интеграции.
home-api-docs = Справочник за API

section-contacts-empty = Тук ще бъдат изброени хората, на които продавате, с техните телефони, имейли, отговорници и история.
section-companies-empty = Тук ще бъдат изброени организациите и техните лица за контакт.
section-deals-empty = Тук ще се показват Вашите фунии на продажбите и сделки – като табло и като списък.
section-tasks-empty = Тук ще се показват обаждания, срещи и задачи за Вас и Вашия екип.
section-inbox-empty = Тук ще пристигат запитвания от имейл, формуляри, месинджъри и телефонни обаждания.
section-reports-empty = Тук ще се показват отчети за фунията, продажбите и активността.

settings-profile = Профил
settings-profile-text = Вашето име, език, часова зона и парола.
settings-tokens = API токени
settings-tokens-text = Ключове за скриптове и интеграции, които действат от Ваше име.
settings-users = Потребители
settings-users-text = Кой може да влиза в системата и с каква роля.
settings-teams = Екипи
settings-teams-text = Екипи и отдели; ръководителите продажби виждат записите на своя екип.
settings-audit = Одитен журнал
settings-audit-text = Кой какво е променил и кога.
settings-edit-user = Редактиране на потребител

profile-locale-auto = Езикът на браузъра

password-heading = Смяна на паролата
password-submit = Смяна на паролата
password-hint = Поне 10 знака. Другите Ви сесии ще бъдат прекратени.
password-mismatch = Двете нови пароли не съвпадат.

users-search = Търсене на потребители
users-last-login = Последен вход
users-inactive = деактивиран
users-new = Нов потребител
users-create = Създаване на потребител
users-active = Може да влиза
users-reset-password = Задаване на нова парола
users-reset-hint = Всички сесии на потребителя ще бъдат прекратени и той ще трябва да използва новата парола.

teams-parent = Част от
teams-members = Членове
teams-new = Нов екип
teams-create = Създаване на екип
teams-empty = Все още няма екипи. Екипите позволяват на ръководителите продажби да виждат записите на своите хора.
teams-delete-confirm = Да се изтрие ли този екип?

tokens-prefix = Токен
tokens-created-at = Създаден
tokens-last-used = Последно използване
tokens-expires = Изтича
tokens-revoked = отменен
tokens-revoke = Отмяна
tokens-revoke-confirm = Да се отмени ли този токен? Скриптовете, които го използват, ще спрат да работят веднага.
tokens-empty = Все още няма API токени.
tokens-new = Нов API токен
tokens-create = Създаване на токен
tokens-name-placeholder = напр. Формуляр на уебсайта
tokens-expires-days = Изтича след (дни, празно = никога)
tokens-created = Вашият нов API токен
tokens-created-text = Копирайте го сега: показва се само веднъж. Изпращайте го като "Authorization: Bearer <token>".

audit-entity = Тип запис
audit-all = Всички записи
audit-when = Кога
audit-who = Кой
audit-what = Какво
audit-changes = Промени

error-404-title = Страницата не е намерена
error-404-text = Тук няма нищо или нямате достъп до това съдържание.
error-403-title = Достъпът е отказан
error-invalid-title = Невалидна заявка
error-500-title = Нещо се обърка
error-generic-title = Грешка
error-back-home = Към началната страница

flash-signed-out = Излязохте от системата.
flash-profile-saved = Профилът е запазен.
flash-password-changed = Паролата е променена. Другите Ви сесии бяха прекратени.
flash-user-created = Потребителят е създаден.
flash-user-saved = Потребителят е запазен.
flash-password-reset = Новата парола е зададена.
flash-team-created = Екипът е създаден.
flash-team-deleted = Екипът е изтрит.
flash-token-revoked = Токенът е отменен.

# --- Клиентска база ---
action-edit = Редактиране
action-find = Търсене
action-remove = Премахване
action-restore = Възстановяване
word-yes = Да
word-no = Не

lifecycle-lead = Потенциален контакт
lifecycle-prospect = Потенциален клиент
lifecycle-customer = Клиент
lifecycle-churned = Загубен
owner-nobody = Няма отговорник

phone-kind-mobile = Мобилен
phone-kind-work = Служебен
phone-kind-home = Домашен
phone-kind-fax = Факс
phone-kind-other = Друг
email-kind-work = Служебен
email-kind-personal = Личен
email-kind-other = Друг
phone-flag-missing-area-code = липсва код на населеното място
phone-flag-missing-country-code = липсва код на държавата
date-kind-birthday = Рожден ден
date-kind-anniversary = Годишнина
date-next = следващ път на { $date }

company-role-director = Управител
company-role-chief_accountant = Главен счетоводител
company-role-lawyer = Юрист
company-role-secretary = Секретар
company-role-buyer = Купувач
company-role-other = Друга (посочете по-долу)
company-role-custom = Роля със свои думи

ff-name = Име
ff-first_name = Собствено име
ff-last_name = Фамилия
ff-display_name = Показвано име
ff-title = Длъжност
ff-company_id = Фирма
ff-company_role = Роля във фирмата
ff-birthday = Рожден ден
ff-legal_name = Наименование по регистрация
ff-tax_number = ЕИК / данъчен номер
ff-industry = Отрасъл
ff-website = Уебсайт
ff-lifecycle = Етап
ff-source = Източник
ff-owner_id = Отговорник
ff-tags = Етикети
ff-email = Имейл
ff-phone = Телефон
ff-created_at = Създаден
ff-updated_at = Променен
ff-last_contacted_at = Последен контакт
ff-city = Град
ff-region = Област
ff-country = Държава
ff-address = Адрес
ff-notes = Бележки
ff-phones = Телефони
ff-emails = Имейли
ff-important_dates = Важни дати

op-eq = е
op-ne = не е
op-contains = съдържа
op-starts_with = започва с
op-gt = след / повече от
op-gte = от / най-малко
op-lt = преди / по-малко от
op-lte = до / най-много
op-in = е едно от (със запетаи)
op-is_empty = е празно
op-is_not_empty = не е празно
op-has = има
op-lacks = няма
op-older_than_days = преди повече от N дни
op-within_last_days = през последните N дни
op-in_next_days = през следващите N дни

col-name = Име
col-company = Фирма
col-title = Длъжност
col-phone = Телефон
col-email = Имейл
col-lifecycle = Етап
col-owner = Отговорник
col-tags = Етикети
col-city = Град
col-source = Източник
col-created = Създаден
col-updated = Променен
col-industry = Отрасъл
col-tax_number = ЕИК
col-website = Уебсайт

contact-new = Нов контакт
contact-edit = Редактиране на контакт
company-new = Нова фирма
company-edit = Редактиране на фирма

list-intro = Търсете, филтрирайте и обработвайте много записи наведнъж.
list-search = Търсене по име, телефон, имейл…
list-clear = Изчистване
list-trash = Кошче
list-back-to-list = Обратно към списъка
list-no-match = Няма записи, отговарящи на тези филтри.
list-shown = { $count ->
    [one] { $count } запис на тази страница
   *[other] { $count } записа на тази страница
}
qf-any-stage = Всеки етап
qf-anyone = Всеки отговорник
qf-me = Моите
qf-tag = Етикет

fb-title = Конструктор на филтър
fb-match = Съвпадение с
fb-all = всички условия (И)
fb-any = поне едно условие (ИЛИ)
fb-field = Поле
fb-op = Условие
fb-value = Стойност
fb-choose-field = Изберете поле…
fb-add = Добавяне на условие
fb-apply = Прилагане на филтъра
fb-hint = Дати във вида 2026-01-31; „me“ за Вас като отговорник; списъци със запетаи.
fb-advanced = Този филтър има вложени групи и е показан като JSON:

cols-title = Колони
cols-apply = Показване на колоните

views-title = Запазен изглед
views-none = Всички записи
views-apply = Прилагане
views-shared = споделен
views-save-as = Запазване като изглед
views-name = Име на изгледа
views-share = Видим за всички
views-delete = Изтриване на изгледа
views-delete-confirm = Да се изтрие ли този запазен изглед?

bulk-selected = За избраните:
bulk-action = Действие
bulk-add-tag = Добавяне на етикет
bulk-remove-tag = Премахване на етикет
bulk-assign-owner = Задаване на отговорник
bulk-lifecycle = Смяна на етапа
bulk-delete = Изтриване
bulk-apply = Прилагане
bulk-select-all = Избиране на всички на страницата
bulk-result = Обновени: { $ok }, неуспешни: { $failed }.

form-main = Основни данни
form-status = Отговорник и статус
form-display-name-hint = По подразбиране име и фамилия
form-no-company = Без фирма
form-kind = Вид
form-date = Дата
form-yearly = Всяка година
form-once = Еднократно
form-add-phone = Добавяне на телефон
form-add-email = Добавяне на имейл
form-add-date = Добавяне на дата
form-currency = Валута
form-record-id = Идентификатор на записа
form-tags-hint = Със запетаи, напр. VIP, София
form-stale = Междувременно някой друг е променил този запис. Презаредете го и въведете промените отново.
form-reload = Презареждане
inline-stale = Междувременно някой друг е променил записа; показана е текущата стойност. Опитайте отново.

card-phones = Телефони
card-emails = Имейли
card-address = Адрес
card-dates = Важни дати
card-custom = Допълнителни полета
card-details = Данни
card-companies = Фирми
card-no-companies = Не е свързан с фирма.
card-primary = основна
card-timeline = История
card-timeline-hidden = Историята на записа е достъпна за администраторите и ръководителите на продажби.
card-export = Експорт на лични данни
card-erase = Заличаване на лични данни
card-erase-confirm = Да се заличат ли окончателно личните данни на това лице? Имена, телефони, имейли, бележки и тяхната история ще бъдат премахнати. Действието е необратимо.
card-delete-confirm = Да се премести ли записът в кошчето?
card-deleted = В кошчето

company-people = Лица за контакт
company-no-people = Все още няма лица за контакт.
company-add-person = Добавяне на лице за контакт
company-find-person = Търсене на контакт по име или телефон
company-role = Роля
company-make-primary = Това е основната фирма на лицето
company-remove-confirm = Да се премахне ли лицето от фирмата? Самият контакт се запазва.
company-new-contact = Нов контакт в тази фирма

dup-title = Дубликати
dup-intro = Записи с общ телефон, имейл или ЕИК. При сливането се запазват всички телефони, имейли, връзки и историята на двата записа.
dup-shared = общо
dup-merge = Сливане
dup-none = Няма открити дубликати.
dup-exists-contact = Вече има контакт с този телефон или имейл.
dup-exists-company = Вече има фирма с този телефон, имейл или ЕИК.
dup-field = вече е посочен в друг запис
dup-open = Отваряне
dup-save-anyway = Запазване въпреки това

merge-title = Сливане на записи
merge-intro = Изберете записа, който да остане, и за всяко различаващо се поле — стойността, която да се запази. Другият запис се премества в кошчето и сочи към запазения.
merge-field = Поле
merge-keep = Запазване
merge-lists-hint = Телефоните, имейлите, етикетите и датите на двата записа се обединяват.
merge-submit = Сливане

search-title = Търсене
search-label = Търсене на контакти и фирми
search-placeholder = Търсене на контакти и фирми…
search-nothing = Няма намерени резултати.
search-all = Всички резултати

notifications-title = Известия
notifications-none = Няма известия.
notifications-new = ново
notifications-mark-read = Маркиране на всички като прочетени

settings-fields = Допълнителни полета
settings-fields-text = Собствени полета за контакти и фирми.
settings-field-edit = Редактиране на поле
fields-contact = Полета на контактите
fields-company = Полета на фирмите
fields-new = Ново поле
fields-entity = За
fields-label = Етикет
fields-key = Ключ
fields-key-hint = Малки латински букви, цифри и _; не може да се променя по-късно.
fields-type = Тип
fields-options = Възможности
fields-options-hint = За списъци — със запетаи. За връзка — contact или company.
fields-position = Позиция
fields-required = Задължително
fields-required-short = задължително
fields-create = Създаване на поле
fields-empty = Все още няма допълнителни полета.
fields-delete-confirm = Да се изтрие ли полето? Вече запазените стойности няма да се показват.
field-type-text = Текст
field-type-long_text = Дълъг текст
field-type-number = Число
field-type-money = Сума
field-type-date = Дата
field-type-datetime = Дата и час
field-type-select = Избор
field-type-multi_select = Множествен избор
field-type-boolean = Да / не
field-type-url = Уеб адрес
field-type-phone = Телефон
field-type-email = Имейл
field-type-user = Потребител
field-type-reference = Връзка към запис

flash-contact-created = Контактът е създаден.
flash-contact-saved = Контактът е запазен.
flash-contact-deleted = Контактът е преместен в кошчето.
flash-company-created = Фирмата е създадена.
flash-company-saved = Фирмата е запазена.
flash-company-deleted = Фирмата е преместена в кошчето.
flash-restored = Възстановено от кошчето.
flash-erased = Личните данни са заличени.
flash-saved = Запазено.
flash-merged = Записите са слети.
flash-view-saved = Изгледът е запазен.
flash-view-deleted = Изгледът е изтрит.
flash-person-added = Лицето за контакт е добавено.
flash-person-removed = Лицето за контакт е премахнато.
flash-notifications-read = Всички известия са маркирани като прочетени.
flash-field-created = Полето е създадено.
flash-field-saved = Полето е запазено.
flash-field-deleted = Полето е изтрито.
addr-street = Улица
addr-city = Град
addr-postal-code = Пощенски код
addr-region = Област
addr-country = Държава (две букви)
