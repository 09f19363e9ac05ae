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
