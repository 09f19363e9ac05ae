# Clientele — English (complete; the fallback for every other locale)

skip-to-content = Skip to content
nav-label = Main navigation
nav-open = Menu
nav-home = Home
nav-contacts = Contacts
nav-companies = Companies
nav-deals = Deals
nav-tasks = Tasks
nav-inbox = Inbox
nav-reports = Reports
nav-settings = Settings
user-menu = Account menu
sign-out = Sign out

role-admin = Administrator
role-head = Head of sales
role-manager = Sales manager
role-readonly = Read-only

locale-en = English
locale-fr = Français
locale-ru = Русский
locale-bg = Български
locale-ko = 한국어

field-email = E-mail
field-password = Password
field-name = Name
field-role = Role
field-team = Team
field-locale = Language
field-time-zone = Time zone
field-current-password = Current password
field-new-password = New password
field-confirm-password = Repeat the new password

action-save = Save
action-cancel = Cancel
action-delete = Delete
action-copy = Copy
action-filter = Filter

list-empty = Nothing here yet.
list-next = Next page

login-title = Sign in
login-heading = Sign in to Clientele
login-subtitle = Your clients, deals and conversations in one place.
login-submit = Sign in
login-failed = Wrong e-mail or password.
login-missing = Enter your e-mail and password.
login-expired = The sign-in form expired. Please try again.
login-rate-limited = Too many failed attempts. Try again in { $minutes } min.

home-welcome = Welcome, { $name }
home-subtitle = Here is your workspace at a glance.
home-you = You
home-no-team = No team
home-workspace = Workspace
home-users = Users
home-database = Database
home-version = Version
home-api = API
home-api-text = Everything in Clientele can be done through the JSON API, with API tokens for your scripts and integrations.
home-api-docs = API reference

section-contacts-empty = People you sell to will be listed here, with their phones, e-mails, owners and history.
section-companies-empty = Organisations and their contact persons will be listed here.
section-deals-empty = Your pipelines and deals will appear here as a board and a list.
section-tasks-empty = Calls, meetings and to-dos for you and your team will appear here.
section-inbox-empty = Requests from e-mail, forms, messengers and phone calls will arrive here.
section-reports-empty = Funnel, sales and activity reports will be shown here.

settings-profile = Profile
settings-profile-text = Your name, language, time zone and password.
settings-tokens = API tokens
settings-tokens-text = Keys for scripts and integrations that act as you.
settings-users = Users
settings-users-text = Who can sign in, and with which role.
settings-teams = Teams
settings-teams-text = Teams and departments; heads of sales see their team's records.
settings-audit = Audit log
settings-audit-text = Who changed what, and when.
settings-edit-user = Edit user

profile-locale-auto = Browser language

password-heading = Change password
password-submit = Change password
password-hint = At least 10 characters. Your other sessions will be signed out.
password-mismatch = The two new passwords differ.

users-search = Search users
users-last-login = Last sign-in
users-inactive = deactivated
users-new = New user
users-create = Create user
users-active = Can sign in
users-reset-password = Set a new password
users-reset-hint = The user will be signed out everywhere and must use the new password.

teams-parent = Part of
teams-members = Members
teams-new = New team
teams-create = Create team
teams-empty = No teams yet. Teams let heads of sales see their people's records.
teams-delete-confirm = Delete this team?

tokens-prefix = Token
tokens-created-at = Created
tokens-last-used = Last used
tokens-expires = Expires
tokens-revoked = revoked
tokens-revoke = Revoke
tokens-revoke-confirm = Revoke this token? Scripts using it stop working at once.
tokens-empty = No API tokens yet.
tokens-new = New API token
tokens-create = Create token
tokens-name-placeholder = e.g. Website form
tokens-expires-days = Expires after (days, empty = never)
tokens-created = Your new API token
tokens-created-text = Copy it now: it is shown only once. Send it as "Authorization: Bearer <token>".

audit-entity = Record type
audit-all = All records
audit-when = When
audit-who = Who
audit-what = What
audit-changes = Changes

error-404-title = Page not found
error-404-text = There is nothing here, or it is not visible to you.
error-403-title = Not allowed
error-invalid-title = Invalid request
error-500-title = Something went wrong
error-generic-title = Error
error-back-home = Back to home

flash-signed-out = You have signed out.
flash-profile-saved = Profile saved.
flash-password-changed = Password changed. Your other sessions were signed out.
flash-user-created = User created.
flash-user-saved = User saved.
flash-password-reset = New password set.
flash-team-created = Team created.
flash-team-deleted = Team deleted.
flash-token-revoked = Token revoked.
