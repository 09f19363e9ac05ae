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

# --- Client base ---
action-edit = Edit
action-find = Find
action-remove = Remove
action-restore = Restore
word-yes = Yes
word-no = No

lifecycle-lead = Lead
lifecycle-prospect = Prospect
lifecycle-customer = Customer
lifecycle-churned = Churned
owner-nobody = Nobody

phone-kind-mobile = Mobile
phone-kind-work = Work
phone-kind-home = Home
phone-kind-fax = Fax
phone-kind-other = Other
email-kind-work = Work
email-kind-personal = Personal
email-kind-other = Other
phone-flag-missing-area-code = missing area code
phone-flag-missing-country-code = missing country code
date-kind-birthday = Birthday
date-kind-anniversary = Anniversary
date-next = next on { $date }

company-role-director = Director
company-role-chief_accountant = Chief accountant
company-role-lawyer = Lawyer
company-role-secretary = Secretary
company-role-buyer = Buyer
company-role-other = Other (type below)
company-role-custom = Role in your words

ff-name = Name
ff-first_name = First name
ff-last_name = Last name
ff-display_name = Display name
ff-title = Job title
ff-company_id = Company
ff-company_role = Role in the company
ff-birthday = Birthday
ff-legal_name = Legal name
ff-tax_number = Tax number
ff-industry = Industry
ff-website = Website
ff-lifecycle = Stage
ff-source = Source
ff-owner_id = Owner
ff-tags = Tags
ff-email = E-mail
ff-phone = Phone
ff-created_at = Created
ff-updated_at = Updated
ff-last_contacted_at = Last contacted
ff-city = City
ff-region = Region
ff-country = Country
ff-address = Address
ff-notes = Notes
ff-phones = Phones
ff-emails = E-mails
ff-important_dates = Important dates

op-eq = is
op-ne = is not
op-contains = contains
op-starts_with = starts with
op-gt = after / greater than
op-gte = on or after / at least
op-lt = before / less than
op-lte = on or before / at most
op-in = is one of (comma-separated)
op-is_empty = is empty
op-is_not_empty = is not empty
op-has = has
op-lacks = does not have
op-older_than_days = more than N days ago
op-within_last_days = within the last N days
op-in_next_days = within the next N days

col-name = Name
col-company = Company
col-title = Job title
col-phone = Phone
col-email = E-mail
col-lifecycle = Stage
col-owner = Owner
col-tags = Tags
col-city = City
col-source = Source
col-created = Created
col-updated = Updated
col-industry = Industry
col-tax_number = Tax number
col-website = Website

contact-new = New contact
contact-edit = Edit contact
company-new = New company
company-edit = Edit company

list-intro = Search, filter and act on many records at once.
list-search = Search by name, phone, e-mail…
list-clear = Clear
list-trash = Trash
list-back-to-list = Back to the list
list-no-match = Nothing matches these filters.
list-shown = { $count ->
    [one] { $count } record on this page
   *[other] { $count } records on this page
}
qf-any-stage = Any stage
qf-anyone = Any owner
qf-me = Mine
qf-tag = Tag

fb-title = Filter builder
fb-match = Match
fb-all = all conditions (AND)
fb-any = any condition (OR)
fb-field = Field
fb-op = Condition
fb-value = Value
fb-choose-field = Choose a field…
fb-add = Add condition
fb-apply = Apply filter
fb-hint = Dates as 2026-01-31; "me" for yourself as owner; lists separated by commas.
fb-advanced = This filter has nested groups and is shown as JSON:

cols-title = Columns
cols-apply = Show columns

views-title = Saved view
views-none = All records
views-apply = Apply
views-shared = shared
views-save-as = Save as view
views-name = View name
views-share = Visible to everyone
views-delete = Delete view
views-delete-confirm = Delete this saved view?

bulk-selected = With the selected:
bulk-action = Action
bulk-add-tag = Add tag
bulk-remove-tag = Remove tag
bulk-assign-owner = Assign owner
bulk-lifecycle = Change stage
bulk-delete = Delete
bulk-apply = Apply
bulk-select-all = Select all on this page
bulk-result = { $ok } updated, { $failed } failed.

form-main = Main details
form-status = Ownership and status
form-display-name-hint = First and last name by default
form-no-company = No company
form-kind = Kind
form-date = Date
form-yearly = Every year
form-once = Once
form-add-phone = Add a phone
form-add-email = Add an e-mail
form-add-date = Add a date
form-currency = Currency
form-record-id = Record id
form-tags-hint = Comma-separated, e.g. VIP, Moscow
form-stale = Someone else changed this record meanwhile. Reload it and make your changes again.
form-reload = Reload
inline-stale = Someone else changed this record meanwhile; the current value is shown. Try again.

card-phones = Phones
card-emails = E-mails
card-address = Address
card-dates = Important dates
card-custom = Additional fields
card-details = Details
card-companies = Companies
card-no-companies = Not linked to any company.
card-primary = primary
card-timeline = Timeline
card-timeline-hidden = The history of this record is visible to administrators and heads of sales.
card-export = Export personal data
card-erase = Erase personal data
card-erase-confirm = Erase this person's personal data for good? Names, phones, e-mails, notes and their history are removed. This cannot be undone.
card-delete-confirm = Move this record to the trash?
card-deleted = In the trash

company-people = Contact persons
company-no-people = No contact persons yet.
company-add-person = Add contact person
company-find-person = Find a contact by name or phone
company-role = Role
company-make-primary = This is the person's main company
company-remove-confirm = Remove this person from the company? The contact itself is kept.
company-new-contact = New contact in this company

dup-title = Duplicates
dup-intro = Records that share a phone number, an e-mail or a tax number. Merging keeps every phone, e-mail, link and the history of both.
dup-shared = shared
dup-merge = Merge
dup-none = No duplicates found.
dup-exists-contact = A contact with this phone or e-mail already exists.
dup-exists-company = A company with this phone, e-mail or tax number already exists.
dup-field = already belongs to another record
dup-open = Open it
dup-save-anyway = Save anyway

merge-title = Merge records
merge-intro = Choose the record to keep, then for each differing field the value to keep. The other record is moved to the trash and points to the kept one.
merge-field = Field
merge-keep = Keep
merge-lists-hint = Phones, e-mails, tags and dates of both records are combined.
merge-submit = Merge

search-title = Search
search-label = Search contacts and companies
search-placeholder = Search contacts and companies…
search-nothing = Nothing found.
search-all = All results

notifications-title = Notifications
notifications-none = No notifications.
notifications-new = new
notifications-mark-read = Mark all as read

settings-fields = Custom fields
settings-fields-text = Extra fields on contacts and companies.
settings-field-edit = Edit custom field
fields-contact = Contact fields
fields-company = Company fields
fields-new = New field
fields-entity = For
fields-label = Label
fields-key = Key
fields-key-hint = Lower-case letters, digits and _; cannot be changed later.
fields-type = Type
fields-options = Choices
fields-options-hint = For select fields: comma-separated. For a reference: contact or company.
fields-position = Position
fields-required = Required
fields-required-short = required
fields-create = Create field
fields-empty = No custom fields yet.
fields-delete-confirm = Delete this field? Values already stored are no longer shown.
field-type-text = Text
field-type-long_text = Long text
field-type-number = Number
field-type-money = Money
field-type-date = Date
field-type-datetime = Date and time
field-type-select = Choice
field-type-multi_select = Multiple choice
field-type-boolean = Yes / no
field-type-url = Web address
field-type-phone = Phone
field-type-email = E-mail
field-type-user = User
field-type-reference = Link to a record

flash-contact-created = Contact created.
flash-contact-saved = Contact saved.
flash-contact-deleted = Contact moved to the trash.
flash-company-created = Company created.
flash-company-saved = Company saved.
flash-company-deleted = Company moved to the trash.
flash-restored = Restored from the trash.
flash-erased = Personal data erased.
flash-saved = Saved.
flash-merged = Records merged.
flash-view-saved = View saved.
flash-view-deleted = View deleted.
flash-person-added = Contact person added.
flash-person-removed = Contact person removed.
flash-notifications-read = All notifications marked as read.
flash-field-created = Field created.
flash-field-saved = Field saved.
flash-field-deleted = Field deleted.
addr-street = Street
addr-city = City
addr-postal-code = Postal code
addr-region = Region
addr-country = Country (two letters)
