//! Column mapping of imported client lists: which CRM field each column of a CSV, XLSX or
//! vCard table goes to.
//!
//! Suggestions come from the header text (English, French, Russian, Bulgarian and Korean
//! synonyms), from the values themselves (e-mails, phones, web addresses), or from the
//! built-in presets for the export files of amoCRM, Bitrix24, HubSpot and Pipedrive. Pure: no
//! I/O, no database. See `docs/IMPORT_PRESETS.md`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The target of a column that is not imported.
pub const IGNORE: &str = "ignore";

/// Which records a file mainly holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportEntity {
    Contacts,
    Companies,
}

/// A field a column can be imported into.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetField {
    /// The mapping key, e.g. `contact.phone_mobile`.
    pub key: &'static str,
    /// `contact` or `company`.
    pub entity: &'static str,
    /// English label.
    pub label: &'static str,
    /// A cell may hold several values separated by `,`, `;` or a line break (phones, e-mails,
    /// tags); several columns may map to the field.
    pub multi: bool,
}

const fn tf(key: &'static str, entity: &'static str, label: &'static str, multi: bool) -> TargetField {
    TargetField { key, entity, label, multi }
}

static TARGET_FIELDS: [TargetField; 48] = [
    tf("contact.full_name", "contact", "Full name", false),
    tf("contact.first_name", "contact", "First name", false),
    tf("contact.last_name", "contact", "Last name", false),
    tf("contact.middle_name", "contact", "Middle name", false),
    tf("contact.title", "contact", "Job title", false),
    tf("contact.company_role", "contact", "Role in the company", false),
    tf("contact.phone", "contact", "Phone", true),
    tf("contact.phone_mobile", "contact", "Mobile phone", true),
    tf("contact.phone_work", "contact", "Work phone", true),
    tf("contact.phone_home", "contact", "Home phone", true),
    tf("contact.phone_fax", "contact", "Fax", true),
    tf("contact.email", "contact", "E-mail", true),
    tf("contact.email_work", "contact", "Work e-mail", true),
    tf("contact.email_personal", "contact", "Personal e-mail", true),
    tf("contact.birthday", "contact", "Birthday", false),
    tf("contact.source", "contact", "Source", false),
    tf("contact.lifecycle", "contact", "Lifecycle stage", false),
    tf("contact.owner", "contact", "Owner", false),
    tf("contact.tags", "contact", "Tags", true),
    tf("contact.notes", "contact", "Notes", false),
    tf("contact.street", "contact", "Street address", false),
    tf("contact.city", "contact", "City", false),
    tf("contact.region", "contact", "Region", false),
    tf("contact.postal_code", "contact", "Postal code", false),
    tf("contact.country", "contact", "Country", false),
    tf("contact.website", "contact", "Website", false),
    tf("contact.external_id", "contact", "ID in the source system", false),
    tf("contact.created_at", "contact", "Created at", false),
    tf("contact.salutation", "contact", "Salutation", false),
    tf("company.name", "company", "Company name", false),
    tf("company.legal_name", "company", "Legal name", false),
    tf("company.tax_number", "company", "Tax number", false),
    tf("company.website", "company", "Website", false),
    tf("company.industry", "company", "Industry", false),
    tf("company.phone", "company", "Phone", true),
    tf("company.email", "company", "E-mail", true),
    tf("company.street", "company", "Street address", false),
    tf("company.city", "company", "City", false),
    tf("company.region", "company", "Region", false),
    tf("company.postal_code", "company", "Postal code", false),
    tf("company.country", "company", "Country", false),
    tf("company.source", "company", "Source", false),
    tf("company.lifecycle", "company", "Lifecycle stage", false),
    tf("company.owner", "company", "Owner", false),
    tf("company.tags", "company", "Tags", true),
    tf("company.notes", "company", "Notes", false),
    tf("company.external_id", "company", "ID in the source system", false),
    tf("company.anniversary", "company", "Anniversary (founding date)", false),
];

/// Every built-in target field (custom fields and `ignore` are not in the list).
pub fn target_fields() -> &'static [TargetField] {
    &TARGET_FIELDS
}

/// A custom field definition a column may map to, as `<entity>.custom.<key>`.
#[derive(Debug, Clone)]
pub struct CustomTarget {
    /// `contact` or `company`.
    pub entity: String,
    pub key: String,
    pub label: String,
}

impl CustomTarget {
    fn target(&self) -> String {
        format!("{}.custom.{}", self.entity, self.key)
    }
}

/// A built-in key, `ignore`, or `contact.custom.<key>` / `company.custom.<key>` of a known
/// custom field.
pub fn is_target(key: &str, custom: &[CustomTarget]) -> bool {
    key == IGNORE
        || TARGET_FIELDS.iter().any(|f| f.key == key)
        || custom.iter().any(|c| {
            key.strip_prefix(c.entity.as_str())
                .and_then(|rest| rest.strip_prefix(".custom."))
                .is_some_and(|k| k == c.key)
        })
}

/// Whether several columns may map to the target (phones, e-mails, tags, `ignore`).
fn is_multi(key: &str) -> bool {
    key == IGNORE || TARGET_FIELDS.iter().any(|f| f.key == key && f.multi)
}

/// Why a column got its suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GuessReason {
    /// The header names the field.
    Header,
    /// The header says nothing, the values look like e-mails, phones or web addresses.
    Values,
    /// The preset names the header.
    Preset,
    /// No suggestion.
    None,
}

/// One column's suggestion and why (shown in the import wizard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ColumnGuess {
    /// Zero-based column index.
    pub column: usize,
    pub header: String,
    /// A target key (see [`target_fields`]), `contact.custom.<key>`, `company.custom.<key>`,
    /// `ignore`, or none.
    pub target: Option<String>,
    pub reason: GuessReason,
    /// The first three non-empty cells of the column.
    pub samples: Vec<String>,
}

/// A mapping of the export file of another product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preset {
    pub key: String,
    pub name: String,
    pub entity: ImportEntity,
    /// Header (as in the file) → target key. Headers are compared trimmed, case-insensitively
    /// and in Unicode NFC.
    #[schema(value_type = Vec<Vec<String>>)]
    pub columns: Vec<(String, String)>,
    /// Value translations, e.g. HubSpot's lifecycle stage `opportunity` → `prospect`.
    #[serde(default)]
    pub values: Vec<ValueMap>,
}

/// A cell value of the column mapped to `target` that is replaced on import: `from` is compared
/// trimmed and case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValueMap {
    pub target: String,
    pub from: String,
    pub to: String,
}

/// Translates a cell through a preset's value maps (trimmed, case-insensitive), or returns it
/// unchanged.
pub fn map_value<'a>(values: &'a [ValueMap], target: &str, cell: &'a str) -> &'a str {
    let wanted = preset_key(cell);
    values.iter().find(|v| v.target == target && preset_key(&v.from) == wanted).map_or(cell, |v| v.to.as_str())
}

/// Splits a multi-value cell (`"a, b; c\nd"`) on `,`, `;` and line breaks into trimmed,
/// non-empty parts.
///
/// Phones are split the same way: numbers are written with spaces, dashes, dots and brackets,
/// never with commas or semicolons, so `+7 495 123-45-67, 8 916 000-00-00` is two numbers.
pub fn split_multi(cell: &str) -> Vec<&str> {
    cell.split([',', ';', '\n', '\r']).map(str::trim).filter(|s| !s.is_empty()).collect()
}

// ---------------------------------------------------------------------------------------------
// Header normalisation and the synonym table

/// Characters that separate words of a header, besides white space.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '_' | '-'
                | '.'
                | ':'
                | '/'
                | '\\'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '\''
                | '’'
                | '‘'
                | '"'
                | '«'
                | '»'
                | '“'
                | '”'
                | '*'
                | '#'
                | ','
                | ';'
                | '|'
                | '°'
                | '?'
                | '!'
                | '&'
                | '–'
                | '—'
                | '‐'
        )
}

fn is_latin(c: char) -> bool {
    ('\u{00C0}'..='\u{024F}').contains(&c) || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

/// The form in which headers are compared: NFKC, lower-case, accents of Latin letters removed,
/// `ё` as `е`, punctuation (`_-.:/()` and the like) and white space collapsed to single spaces.
fn norm(s: &str) -> String {
    let mut raw = String::with_capacity(s.len());
    for c in s.nfkc() {
        if matches!(c, '\u{feff}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{00ad}') {
            continue;
        }
        for l in c.to_lowercase() {
            if l == 'ё' {
                raw.push('е');
            } else if is_separator(l) {
                raw.push(' ');
            } else if is_latin(l) {
                raw.extend(l.to_string().nfd().filter(|d| !is_combining_mark(*d)));
            } else {
                raw.push(l);
            }
        }
    }
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form in which preset headers and mapped values are compared: trimmed, NFC, lower-case,
/// inner white space collapsed.
fn preset_key(s: &str) -> String {
    let s: String =
        s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').nfc().flat_map(char::to_lowercase).collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a header names, before it is decided whether the contact's or the company's field is
/// meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum C {
    FullName,
    FirstName,
    LastName,
    MiddleName,
    Title,
    CompanyRole,
    Salutation,
    Birthday,
    CreatedAt,
    /// "Name": the person's full name in a contacts import, the company's in a companies import.
    Name,
    /// "Имя", "Име", "이름": the first name when there is a last-name column, else the name.
    GivenOrFull,
    /// French "Nom": the last name when there is a first-name column, else the name.
    Nom,
    CompanyName,
    LegalName,
    TaxNumber,
    Industry,
    Anniversary,
    Phone,
    PhoneMobile,
    PhoneWork,
    PhoneHome,
    PhoneFax,
    Email,
    EmailWork,
    EmailPersonal,
    Street,
    City,
    Region,
    PostalCode,
    Country,
    Website,
    Source,
    Lifecycle,
    Owner,
    Tags,
    Notes,
    ExternalId,
}

/// Header synonyms per concept, in English, French, Russian, Bulgarian and Korean. Written
/// naturally; they are normalised like headers before use.
const SYNONYMS: &[(C, &[&str])] = &[
    (
        C::FullName,
        &[
            "full name",
            "fullname",
            "contact name",
            "contact full name",
            "name of contact",
            "display name",
            "contact",
            "contact person",
            "person",
            "person name",
            "nom complet",
            "nom et prénom",
            "prénom et nom",
            "nom prénom",
            "prénom nom",
            "personne",
            "personne à contacter",
            "interlocuteur",
            "фио",
            "ф и о",
            "полное имя",
            "полное имя контакта",
            "имя контакта",
            "имя и фамилия",
            "фамилия и имя",
            "фамилия имя отчество",
            "контакт",
            "контактное лицо",
            "име и фамилия",
            "пълно име",
            "три имена",
            "лице за контакт",
            "контактно лице",
            "성명",
            "이름(전체)",
            "전체 이름",
            "담당자",
            "담당자명",
            "담당자 이름",
        ],
    ),
    (
        C::FirstName,
        &[
            "first name",
            "firstname",
            "given name",
            "forename",
            "first",
            "prénom",
            "собственное имя",
            "собствено име",
            "лично име",
        ],
    ),
    (
        C::LastName,
        &[
            "last name",
            "lastname",
            "surname",
            "family name",
            "last",
            "nom de famille",
            "фамилия",
            "фамилно име",
            "성",
            "성씨",
        ],
    ),
    (C::MiddleName, &["middle name", "middlename", "second name", "patronymic", "отчество", "презиме", "бащино име"]),
    (
        C::Title,
        &[
            "job title",
            "jobtitle",
            "title",
            "position",
            "job position",
            "job",
            "occupation",
            "fonction",
            "poste",
            "titre",
            "intitulé du poste",
            "должность",
            "длъжност",
            "позиция",
            "직함",
            "직위",
            "직책",
            "직급",
        ],
    ),
    (
        C::CompanyRole,
        &[
            "role",
            "role in company",
            "company role",
            "rôle",
            "rôle dans l'entreprise",
            "роль",
            "роль в компании",
            "роля",
            "роля във фирмата",
            "роля в компанията",
            "역할",
        ],
    ),
    (
        C::Salutation,
        &[
            "salutation",
            "civility",
            "courtesy title",
            "honorific",
            "name prefix",
            "prefix",
            "civilité",
            "обращение",
            "обръщение",
            "호칭",
            "경칭",
        ],
    ),
    (
        C::Birthday,
        &[
            "birthday",
            "birth date",
            "birthdate",
            "date of birth",
            "dob",
            "date de naissance",
            "anniversaire",
            "дата рождения",
            "день рождения",
            "дата на раждане",
            "рожден ден",
            "рождена дата",
            "생일",
            "생년월일",
        ],
    ),
    (
        C::CreatedAt,
        &[
            "created",
            "created at",
            "created on",
            "create date",
            "created date",
            "creation date",
            "date created",
            "date added",
            "added",
            "add time",
            "date de création",
            "créé le",
            "дата создания",
            "создан",
            "дата добавления",
            "дата на създаване",
            "създаден",
            "생성일",
            "등록일",
            "작성일",
        ],
    ),
    (C::Name, &["name", "client", "customer", "клиент", "клиенти", "고객", "고객명"]),
    (C::GivenOrFull, &["имя", "име", "이름"]),
    (C::Nom, &["nom"]),
    (
        C::CompanyName,
        &[
            "company",
            "company name",
            "companyname",
            "organization",
            "organisation",
            "organization name",
            "organisation name",
            "org",
            "account",
            "account name",
            "business name",
            "employer",
            "société",
            "entreprise",
            "nom de la société",
            "nom de l'entreprise",
            "nom société",
            "nom entreprise",
            "employeur",
            "компания",
            "компания (контакт)",
            "компания контакта",
            "название компании",
            "название",
            "наименование",
            "наименование компании",
            "название организации",
            "наименование организации",
            "организация",
            "фирма",
            "работодатель",
            "место работы",
            "име на фирма",
            "име на фирмата",
            "име на компания",
            "име на компанията",
            "компанията",
            "회사",
            "회사명",
            "회사 이름",
            "기업",
            "기업명",
            "상호",
            "업체명",
            "거래처",
            "거래처명",
            "소속",
            "직장",
        ],
    ),
    (
        C::LegalName,
        &[
            "legal name",
            "registered name",
            "official name",
            "company legal name",
            "raison sociale",
            "dénomination sociale",
            "юридическое название",
            "юридическое наименование",
            "полное наименование",
            "юридическое лицо",
            "юр лицо",
            "юридическо име",
            "юридическо лице",
            "법인명",
        ],
    ),
    (
        C::TaxNumber,
        &[
            "inn",
            "инн",
            "инн кпп",
            "tax id",
            "tax number",
            "tax no",
            "tax code",
            "taxpayer id",
            "tin",
            "ein",
            "vat",
            "vat number",
            "vat id",
            "vat no",
            "tva",
            "n° tva",
            "numéro de tva",
            "numéro tva",
            "tva intracommunautaire",
            "numéro de tva intracommunautaire",
            "siret",
            "siren",
            "n° siret",
            "numéro siret",
            "numéro siren",
            "еик",
            "eik",
            "булстат",
            "еик булстат",
            "ддс номер",
            "ддс №",
            "ин по ддс",
            "идентификационен номер по ддс",
            "данъчен номер",
            "사업자등록번호",
            "사업자 등록 번호",
            "사업자번호",
            "사업자 번호",
            "법인등록번호",
        ],
    ),
    (
        C::Industry,
        &[
            "industry",
            "sector",
            "business sector",
            "secteur",
            "secteur d'activité",
            "activité",
            "отрасль",
            "сфера деятельности",
            "вид деятельности",
            "сфера",
            "отрасъл",
            "сектор",
            "дейност",
            "업종",
            "산업",
            "업태",
        ],
    ),
    (
        C::Anniversary,
        &[
            "anniversary",
            "founded",
            "date founded",
            "foundation date",
            "founding date",
            "date de fondation",
            "date de création de l'entreprise",
            "дата основания",
            "дата регистрации",
            "дата на основаване",
            "дата на регистрация",
            "설립일",
            "창립일",
        ],
    ),
    (
        C::Phone,
        &[
            "phone",
            "phones",
            "telephone",
            "tel",
            "phone number",
            "phone no",
            "telephone number",
            "contact number",
            "primary phone",
            "main phone",
            "other phone",
            "landline",
            "téléphone",
            "tél",
            "numéro de téléphone",
            "n° de téléphone",
            "téléphone fixe",
            "tél fixe",
            "fixe",
            "телефон",
            "телефоны",
            "тел",
            "номер телефона",
            "контактный телефон",
            "основной телефон",
            "другой телефон",
            "телефонен номер",
            "стационарен телефон",
            "전화",
            "전화번호",
            "연락처",
            "대표전화",
            "대표번호",
        ],
    ),
    (
        C::PhoneMobile,
        &[
            "mobile",
            "mobile phone",
            "mobile number",
            "mobile phone number",
            "cell",
            "cell phone",
            "cellphone",
            "cellular",
            "gsm",
            "portable",
            "téléphone portable",
            "tél portable",
            "mobile perso",
            "мобильный",
            "мобильный телефон",
            "моб тел",
            "сотовый",
            "сотовый телефон",
            "мобилен",
            "мобилен телефон",
            "мобилен номер",
            "휴대폰",
            "휴대전화",
            "핸드폰",
            "휴대폰 번호",
            "휴대폰번호",
            "휴대전화번호",
            "핸드폰번호",
            "모바일",
        ],
    ),
    (
        C::PhoneWork,
        &[
            "work phone",
            "business phone",
            "office phone",
            "direct line",
            "téléphone professionnel",
            "tél pro",
            "téléphone pro",
            "téléphone bureau",
            "tél bureau",
            "рабочий телефон",
            "служебный телефон",
            "работен телефон",
            "служебен телефон",
            "직장 전화",
            "직장전화",
            "사무실 전화",
            "사무실전화",
        ],
    ),
    (
        C::PhoneHome,
        &[
            "home phone",
            "private phone",
            "personal phone",
            "téléphone domicile",
            "tél domicile",
            "téléphone personnel",
            "домашний телефон",
            "личный телефон",
            "домашен телефон",
            "личен телефон",
            "집 전화",
            "집전화",
            "자택 전화",
        ],
    ),
    (C::PhoneFax, &["fax", "fax number", "télécopie", "факс", "팩스", "팩스번호"]),
    (
        C::Email,
        &[
            "email",
            "e-mail",
            "mail",
            "emails",
            "email address",
            "e-mail address",
            "mail address",
            "primary email",
            "other email",
            "courriel",
            "adresse e-mail",
            "adresse email",
            "adresse mail",
            "adresse électronique",
            "почта",
            "эл. почта",
            "электронная почта",
            "e-mail адрес",
            "email адрес",
            "адрес электронной почты",
            "имейл",
            "имейл адрес",
            "електронна поща",
            "е-мейл",
            "е-поща",
            "ел. поща",
            "이메일",
            "메일",
            "전자우편",
            "이메일 주소",
        ],
    ),
    (
        C::EmailWork,
        &[
            "work email",
            "work e-mail",
            "business email",
            "business e-mail",
            "office email",
            "e-mail professionnel",
            "email professionnel",
            "courriel professionnel",
            "adresse e-mail professionnelle",
            "рабочий email",
            "рабочий e-mail",
            "рабочая почта",
            "служебный email",
            "работен имейл",
            "служебен имейл",
            "업무용 이메일",
            "직장 이메일",
        ],
    ),
    (
        C::EmailPersonal,
        &[
            "personal email",
            "personal e-mail",
            "private email",
            "private e-mail",
            "home email",
            "home e-mail",
            "e-mail personnel",
            "email personnel",
            "courriel personnel",
            "личный email",
            "личный e-mail",
            "личная почта",
            "частный e-mail",
            "частный email",
            "личен имейл",
            "개인 이메일",
        ],
    ),
    (
        C::Street,
        &[
            "address",
            "street",
            "street address",
            "address line 1",
            "address 1",
            "mailing address",
            "postal address",
            "billing address",
            "adresse",
            "rue",
            "adresse postale",
            "адрес",
            "улица",
            "почтовый адрес",
            "фактический адрес",
            "юридический адрес",
            "пощенски адрес",
            "주소",
            "도로명 주소",
            "도로명주소",
            "상세주소",
        ],
    ),
    (
        C::City,
        &[
            "city",
            "town",
            "ville",
            "commune",
            "город",
            "населенный пункт",
            "град",
            "населено място",
            "도시",
            "시",
            "시 군 구",
        ],
    ),
    (
        C::Region,
        &[
            "region",
            "state",
            "province",
            "state/region",
            "county",
            "département",
            "région",
            "регион",
            "область",
            "край",
            "област",
            "시도",
            "시/도",
            "도",
            "지역",
        ],
    ),
    (
        C::PostalCode,
        &[
            "postal code",
            "zip",
            "zip code",
            "zipcode",
            "postcode",
            "post code",
            "code postal",
            "cp",
            "индекс",
            "почтовый индекс",
            "пощенски код",
            "п к",
            "우편번호",
        ],
    ),
    (C::Country, &["country", "country/region", "pays", "страна", "държава", "국가", "나라"]),
    (
        C::Website,
        &[
            "website",
            "web site",
            "web",
            "site",
            "url",
            "website url",
            "homepage",
            "home page",
            "web address",
            "domain",
            "company domain name",
            "site web",
            "site internet",
            "сайт",
            "веб сайт",
            "вебсайт",
            "корпоративный сайт",
            "уебсайт",
            "уеб сайт",
            "홈페이지",
            "웹사이트",
            "웹 사이트",
        ],
    ),
    (
        C::Source,
        &[
            "source",
            "lead source",
            "original source",
            "origin",
            "channel",
            "acquisition channel",
            "provenance",
            "origine",
            "source du contact",
            "источник",
            "канал",
            "източник",
            "출처",
            "유입경로",
            "유입 경로",
        ],
    ),
    (
        C::Lifecycle,
        &[
            "lifecycle",
            "lifecycle stage",
            "stage",
            "status",
            "statut",
            "étape",
            "cycle de vie",
            "статус",
            "стадия",
            "этап",
            "статус клиента",
            "етап",
            "단계",
            "상태",
            "고객 단계",
        ],
    ),
    (
        C::Owner,
        &[
            "owner",
            "account owner",
            "contact owner",
            "record owner",
            "assigned to",
            "responsible",
            "responsible user",
            "responsible person",
            "manager",
            "account manager",
            "sales rep",
            "salesperson",
            "propriétaire",
            "responsable",
            "commercial",
            "ответственный",
            "менеджер",
            "ответственный менеджер",
            "отговорник",
            "отговорен",
            "мениджър",
            "търговец",
            "영업 담당자",
            "담당 영업",
            "영업담당",
            "담당 직원",
        ],
    ),
    (
        C::Tags,
        &[
            "tags",
            "tag",
            "labels",
            "label",
            "categories",
            "category",
            "étiquettes",
            "étiquette",
            "mots clés",
            "catégorie",
            "теги",
            "тег",
            "метки",
            "ярлыки",
            "категория",
            "тагове",
            "етикети",
            "태그",
            "라벨",
            "분류",
        ],
    ),
    (
        C::Notes,
        &[
            "notes",
            "note",
            "comment",
            "comments",
            "description",
            "remarks",
            "memo",
            "commentaire",
            "commentaires",
            "remarque",
            "remarques",
            "примечание",
            "примечания",
            "комментарий",
            "комментарии",
            "описание",
            "заметки",
            "бележки",
            "бележка",
            "коментар",
            "коментари",
            "메모",
            "비고",
            "노트",
            "설명",
        ],
    ),
    (
        C::ExternalId,
        &[
            "id",
            "record id",
            "external id",
            "identifier",
            "identifiant",
            "идентификатор",
            "ид",
            "код клиента",
            "고객번호",
        ],
    ),
];

/// Words in a header that say whose field it is: the company's.
const COMPANY_WORDS: &[&str] = &[
    "company",
    "companies",
    "organization",
    "organisation",
    "org",
    "société",
    "entreprise",
    "компания",
    "компании",
    "компанию",
    "компанией",
    "организация",
    "организации",
    "фирма",
    "фирмы",
    "фирмата",
    "компанията",
    "организацията",
    "회사",
    "기업",
    "업체",
];

/// Words in a header that say whose field it is: the contact person's.
const CONTACT_WORDS: &[&str] = &[
    "contact",
    "contacts",
    "person",
    "personne",
    "контакт",
    "контакта",
    "контакту",
    "контакте",
    "контакты",
    "контактного",
    "лица",
    "лицо",
    "лице",
    "лицето",
    "담당자",
];

/// Words left out when headers are compared word by word.
const STOP_WORDS: &[&str] =
    &["of", "the", "a", "de", "du", "des", "la", "le", "les", "l", "d", "s", "et", "and", "и", "на", "в", "по", "за"];

struct Tables {
    /// Normalised synonym → concept.
    exact: HashMap<String, C>,
    /// Sorted words without stop words → concept.
    words: HashMap<String, C>,
    /// Phrases (as words) searched inside longer headers, longest first.
    contained: Vec<(Vec<String>, C)>,
    company_words: HashSet<String>,
    contact_words: HashSet<String>,
    stop_words: HashSet<String>,
}

fn word_key(words: &[&str], stop: &HashSet<String>) -> String {
    let mut w: Vec<&str> = words.iter().copied().filter(|w| !stop.contains(*w)).collect();
    w.sort_unstable();
    w.join(" ")
}

fn is_hangul(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let set = |list: &[&str]| list.iter().map(|w| norm(w)).collect::<HashSet<_>>();
    let stop_words = set(STOP_WORDS);
    let mut exact = HashMap::new();
    let mut words = HashMap::new();
    let mut contained = Vec::new();
    for (c, list) in SYNONYMS {
        for s in *list {
            let n = norm(s);
            let parts: Vec<&str> = n.split(' ').collect();
            exact.entry(n.clone()).or_insert(*c);
            words.entry(word_key(&parts, &stop_words)).or_insert(*c);
            // Names and statuses are too vague to be looked for inside other headers ("Deal
            // name", "Lead status").
            let ambiguous = matches!(c, C::Name | C::GivenOrFull | C::Nom | C::FullName | C::Lifecycle);
            let long_enough = parts.len() > 1
                || (is_hangul(&n) && n.chars().count() >= 2)
                || (!is_hangul(&n) && n.chars().count() >= 4);
            if !ambiguous && long_enough {
                contained.push((parts.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>(), *c));
            }
        }
    }
    contained.sort_by_key(|(p, _)| std::cmp::Reverse(p.iter().map(|w| w.chars().count()).sum::<usize>() + p.len()));
    Tables { exact, words, contained, company_words: set(COMPANY_WORDS), contact_words: set(CONTACT_WORDS), stop_words }
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Contact,
    Company,
}

/// What a header says.
#[derive(Debug, Clone, PartialEq)]
enum Hit {
    /// Custom field targets, the preferred first.
    Custom(Vec<String>),
    /// A concept, with the side the header names, if it names one.
    Concept(C, Option<Side>),
}

/// How sure a header match is; higher wins a contested target.
const TIER_CUSTOM: u8 = 6;
const TIER_EXACT: u8 = 5;
const TIER_WORDS: u8 = 4;
const TIER_CONTAINED: u8 = 3;
const TIER_PRESET: u8 = 7;
const TIER_VALUES: u8 = 1;

fn custom_hits(n: &str, side: Option<Side>, entity: ImportEntity, custom: &[CustomTarget]) -> Vec<String> {
    let mut hits: Vec<&CustomTarget> =
        custom.iter().filter(|c| !n.is_empty() && (norm(&c.label) == n || norm(&c.key) == n)).collect();
    let preferred = match side {
        Some(Side::Contact) => "contact",
        Some(Side::Company) => "company",
        None => match entity {
            ImportEntity::Contacts => "contact",
            ImportEntity::Companies => "company",
        },
    };
    if side.is_some() {
        hits.retain(|c| c.entity == preferred);
    }
    hits.sort_by_key(|c| c.entity != preferred);
    hits.into_iter().map(CustomTarget::target).collect()
}

/// Reads a header: the concept it names and how surely.
fn analyze(header: &str, entity: ImportEntity, custom: &[CustomTarget]) -> Option<(Hit, u8)> {
    let t = &*TABLES;
    let h = norm(header);
    if h.is_empty() {
        return None;
    }
    let hits = custom_hits(&h, None, entity, custom);
    if !hits.is_empty() {
        return Some((Hit::Custom(hits), TIER_CUSTOM));
    }
    if let Some(c) = t.exact.get(&h) {
        // "Company Domain Name" is the company's website in a contacts import too.
        let side = h.split(' ').any(|w| t.company_words.contains(w)).then_some(Side::Company);
        return Some((Hit::Concept(*c, side), TIER_EXACT));
    }
    // Words naming whose field it is ("Company phone", "Телефон (контакт)"), numbering
    // ("Phone 2", "email1") and stop words aside.
    let mut side = None;
    let mut rest: Vec<String> = Vec::new();
    for w in h.split(' ') {
        if t.company_words.contains(w) {
            side = Some(Side::Company);
        } else if t.contact_words.contains(w) {
            if side.is_none() {
                side = Some(Side::Contact);
            }
        } else if !t.stop_words.contains(w) {
            rest.push(w.to_owned());
        }
    }
    while rest.last().is_some_and(|w| w.chars().all(|c| c.is_ascii_digit())) {
        rest.pop();
    }
    if let Some(last) = rest.last_mut() {
        let trimmed = last.trim_end_matches(|c: char| c.is_ascii_digit());
        if !trimmed.is_empty() && trimmed.len() < last.len() {
            *last = trimmed.to_owned();
        }
    }
    if rest.is_empty() {
        return match side {
            Some(Side::Company) => Some((Hit::Concept(C::CompanyName, side), TIER_WORDS)),
            Some(Side::Contact) => Some((Hit::Concept(C::FullName, side), TIER_WORDS)),
            None => None,
        };
    }
    let r = rest.join(" ");
    let hits = custom_hits(&r, side, entity, custom);
    if !hits.is_empty() {
        return Some((Hit::Custom(hits), TIER_WORDS));
    }
    let refs: Vec<&str> = rest.iter().map(String::as_str).collect();
    if let Some(c) = t.exact.get(&r).or_else(|| t.words.get(&word_key(&refs, &t.stop_words))) {
        return Some((Hit::Concept(*c, side), TIER_WORDS));
    }
    // A known phrase inside a longer header ("Основной телефон клиента", "휴대폰번호1").
    for (phrase, c) in &t.contained {
        let found = if phrase.len() == 1 && is_hangul(&phrase[0]) {
            rest.iter().any(|w| w.contains(phrase[0].as_str()))
        } else {
            rest.windows(phrase.len()).any(|win| win == phrase.as_slice())
        };
        if found {
            return Some((Hit::Concept(*c, side), TIER_CONTAINED));
        }
    }
    None
}

/// What is known about the whole file when a header is ambiguous.
#[derive(Debug, Clone, Copy, Default)]
struct FileFacts {
    has_first: bool,
    has_last: bool,
}

fn name_targets(side: Option<Side>, entity: ImportEntity, facts: FileFacts) -> Vec<&'static str> {
    let person = if facts.has_last && !facts.has_first { "contact.first_name" } else { "contact.full_name" };
    match (side, entity) {
        (Some(Side::Company), _) => vec!["company.name"],
        (Some(Side::Contact), _) | (None, ImportEntity::Contacts) => vec![person],
        (None, ImportEntity::Companies) => vec!["company.name", person],
    }
}

/// The targets a concept may go to, the preferred first.
fn concept_targets(c: C, side: Option<Side>, entity: ImportEntity, facts: FileFacts) -> Vec<&'static str> {
    let on_contact = match side {
        Some(s) => s == Side::Contact,
        None => entity == ImportEntity::Contacts,
    };
    let pick = |contact: &'static str, company: &'static str| vec![if on_contact { contact } else { company }];
    match c {
        C::FullName => vec!["contact.full_name"],
        C::FirstName => vec!["contact.first_name"],
        C::LastName => vec!["contact.last_name"],
        C::MiddleName => vec!["contact.middle_name"],
        C::Title => vec!["contact.title"],
        C::CompanyRole => vec!["contact.company_role"],
        C::Salutation => vec!["contact.salutation"],
        C::Birthday if side == Some(Side::Company) => vec!["company.anniversary"],
        C::Birthday => vec!["contact.birthday"],
        C::CreatedAt if on_contact => vec!["contact.created_at"],
        C::CreatedAt => vec![],
        C::Name => name_targets(side, entity, facts),
        C::GivenOrFull if facts.has_last => vec!["contact.first_name"],
        C::GivenOrFull => name_targets(side, entity, facts),
        C::Nom if facts.has_first && side != Some(Side::Company) => vec!["contact.last_name"],
        C::Nom => name_targets(side, entity, facts),
        C::CompanyName => vec!["company.name"],
        C::LegalName => vec!["company.legal_name"],
        C::TaxNumber => vec!["company.tax_number"],
        C::Industry => vec!["company.industry"],
        C::Anniversary => vec!["company.anniversary"],
        C::Phone => pick("contact.phone", "company.phone"),
        C::PhoneMobile => pick("contact.phone_mobile", "company.phone"),
        C::PhoneWork => pick("contact.phone_work", "company.phone"),
        C::PhoneHome => pick("contact.phone_home", "company.phone"),
        C::PhoneFax => pick("contact.phone_fax", "company.phone"),
        C::Email => pick("contact.email", "company.email"),
        C::EmailWork => pick("contact.email_work", "company.email"),
        C::EmailPersonal => pick("contact.email_personal", "company.email"),
        C::Street => pick("contact.street", "company.street"),
        C::City => pick("contact.city", "company.city"),
        C::Region => pick("contact.region", "company.region"),
        C::PostalCode => pick("contact.postal_code", "company.postal_code"),
        C::Country => pick("contact.country", "company.country"),
        C::Website => pick("contact.website", "company.website"),
        C::Source => pick("contact.source", "company.source"),
        C::Lifecycle => pick("contact.lifecycle", "company.lifecycle"),
        C::Owner => pick("contact.owner", "company.owner"),
        C::Tags => pick("contact.tags", "company.tags"),
        C::Notes => pick("contact.notes", "company.notes"),
        C::ExternalId => pick("contact.external_id", "company.external_id"),
    }
}

// ---------------------------------------------------------------------------------------------
// Values

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let tld = domain.rsplit('.').next().unwrap_or("");
    !local.is_empty()
        && !s.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && tld.chars().count() >= 2
        && tld.chars().all(char::is_alphabetic)
}

fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let dots = s.matches('.').count();
    (7..=15).contains(&digits)
        && (dots == 0 || dots >= 3)
        && s.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || matches!(c, '+' | '(' | ')' | '-' | '.'))
        && !s.get(1..).is_some_and(|rest| rest.contains('+'))
}

fn is_date(s: &str) -> bool {
    let head = s.get(..10).unwrap_or(s);
    let rest = s.get(10..).unwrap_or("");
    let time_ok = rest.is_empty() || rest.starts_with(['T', ' ']);
    time_ok && ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"].iter().any(|f| NaiveDate::parse_from_str(head, f).is_ok())
}

fn is_url(s: &str) -> bool {
    let l = s.to_lowercase();
    if l.contains(char::is_whitespace) || l.contains('@') {
        return false;
    }
    if l.starts_with("http://") || l.starts_with("https://") || l.starts_with("www.") {
        return l.len() > 7;
    }
    let host = l.split(['/', '?', '#']).next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && (2..=24).contains(&tld.chars().count())
        && tld.chars().all(char::is_alphabetic)
}

const SALUTATIONS: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "sir",
    "madam",
    "m",
    "mme",
    "mlle",
    "monsieur",
    "madame",
    "mademoiselle",
    "г н",
    "г жа",
    "г ца",
    "господин",
    "госпожа",
    "госпожица",
];

fn is_salutation(s: &str) -> bool {
    let n = norm(s);
    SALUTATIONS.iter().any(|x| *x == n)
}

/// The share of values for which every part of the cell passes `f`.
fn share(values: &[&str], multi: bool, f: fn(&str) -> bool) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let ok = values
        .iter()
        .filter(|v| {
            let parts = if multi { split_multi(v) } else { vec![v.trim()] };
            !parts.is_empty() && parts.iter().all(|p| f(p))
        })
        .count();
    ok as f64 / values.len() as f64
}

fn looks_like_phones(values: &[&str]) -> bool {
    if share(values, true, is_date) > 0.0 || share(values, true, is_phone) < 0.8 {
        return false;
    }
    // Bare runs of digits are more often identifiers than phone numbers; numbers written
    // without any sign are taken when they are long enough for an area code.
    values.iter().flat_map(|v| split_multi(v)).any(|p| {
        !p.chars().all(|c| c.is_ascii_digit())
            || p.starts_with('0')
            || p.chars().filter(char::is_ascii_digit).count() >= 10
    })
}

fn hints_birth(header: &str) -> bool {
    let h = norm(header);
    ["birth", "dob", "naiss", "рожд", "раждане", "рожден", "생일", "생년"].iter().any(|w| h.contains(w))
}

/// What the values alone suggest, for a column whose header says nothing.
fn sniff(header: &str, values: &[&str], entity: ImportEntity) -> Option<&'static str> {
    if values.is_empty() {
        return None;
    }
    let contacts = entity == ImportEntity::Contacts;
    if share(values, true, is_email) == 1.0 {
        return Some(if contacts { "contact.email" } else { "company.email" });
    }
    if share(values, false, is_date) >= 0.8 {
        return hints_birth(header).then_some("contact.birthday");
    }
    if looks_like_phones(values) {
        return Some(if contacts { "contact.phone" } else { "company.phone" });
    }
    if share(values, false, is_url) >= 0.8 {
        return Some(if contacts { "contact.website" } else { "company.website" });
    }
    None
}

/// Whether the values fit a concept found inside a longer header (when there are values).
fn values_fit(c: C, values: &[&str]) -> bool {
    if values.is_empty() {
        return true;
    }
    match c {
        C::Phone | C::PhoneMobile | C::PhoneWork | C::PhoneHome | C::PhoneFax => share(values, true, is_phone) >= 0.5,
        C::Email | C::EmailWork | C::EmailPersonal => share(values, true, is_email) >= 0.5,
        C::Website => share(values, false, is_url) >= 0.5,
        C::Birthday | C::CreatedAt | C::Anniversary => share(values, false, is_date) >= 0.5,
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------------
// Suggestions

fn column_values(samples: &[Vec<String>], column: usize) -> Vec<&str> {
    samples.iter().filter_map(|row| row.get(column)).map(|s| s.trim()).filter(|s| !s.is_empty()).collect()
}

/// Suggests a target per column.
///
/// `samples` are the first rows of the file, each a row of cells in header order (rows may be
/// shorter than the header). `entity` decides ambiguous headers: in a contacts import a bare
/// "Phone", "Email", "City", "Owner", "Tags" or "Notes" goes to `contact.*`, in a companies
/// import to `company.*`; headers that name the company ("Company phone", "Телефон компании")
/// go to `company.*` in both. A target is used at most once, except multi-value fields
/// (phones, e-mails, tags). Columns whose header says nothing are guessed from their values.
pub fn suggest(
    entity: ImportEntity,
    headers: &[String],
    samples: &[Vec<String>],
    custom: &[CustomTarget],
) -> Vec<ColumnGuess> {
    guess(entity, headers, samples, custom, &vec![None; headers.len()])
}

fn guess(
    entity: ImportEntity,
    headers: &[String],
    samples: &[Vec<String>],
    custom: &[CustomTarget],
    fixed: &[Option<String>],
) -> Vec<ColumnGuess> {
    let values: Vec<Vec<&str>> = (0..headers.len()).map(|i| column_values(samples, i)).collect();
    let hits: Vec<Option<(Hit, u8)>> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if fixed.get(i).is_some_and(Option::is_some) {
                return None;
            }
            analyze(h, entity, custom).filter(|(hit, tier)| match hit {
                Hit::Concept(c, _) if *tier == TIER_CONTAINED => values_fit(*c, &values[i]),
                _ => true,
            })
        })
        .collect();

    let mut facts = FileFacts::default();
    for hit in hits.iter().flatten() {
        match hit {
            (Hit::Concept(C::FirstName, _), _) => facts.has_first = true,
            (Hit::Concept(C::LastName, _), _) => facts.has_last = true,
            _ => {}
        }
    }
    for f in fixed.iter().flatten() {
        facts.has_first |= f == "contact.first_name";
        facts.has_last |= f == "contact.last_name";
    }

    // Candidates per column with the sureness of the match.
    let mut cands: Vec<(Vec<String>, u8, GuessReason)> = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        if let Some(Some(f)) = fixed.get(i) {
            cands.push((vec![f.clone()], TIER_PRESET, GuessReason::Preset));
            continue;
        }
        let c = match &hits[i] {
            Some((Hit::Custom(keys), tier)) => (keys.clone(), *tier, GuessReason::Header),
            Some((Hit::Concept(c, side), tier)) => {
                let mut keys = concept_targets(*c, *side, entity, facts);
                if keys == ["contact.title"] && !values[i].is_empty() && values[i].iter().all(|v| is_salutation(v)) {
                    keys = vec!["contact.salutation"];
                }
                (keys.into_iter().map(str::to_owned).collect(), *tier, GuessReason::Header)
            }
            None => match sniff(header, &values[i], entity) {
                Some(k) => (vec![k.to_owned()], TIER_VALUES, GuessReason::Values),
                None => (vec![], 0, GuessReason::None),
            },
        };
        cands.push(c);
    }

    let mut order: Vec<usize> = (0..headers.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(cands[i].1), i));
    let mut used: HashSet<String> = HashSet::new();
    let mut chosen: Vec<Option<(String, GuessReason)>> = vec![None; headers.len()];
    for i in order {
        let (keys, _, reason) = &cands[i];
        if let Some(k) = keys.iter().find(|k| is_multi(k) || !used.contains(*k)) {
            used.insert(k.clone());
            chosen[i] = Some((k.clone(), *reason));
        }
    }

    headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let (target, reason) = match chosen[i].take() {
                Some((k, r)) => (Some(k), r),
                None => (None, GuessReason::None),
            };
            ColumnGuess {
                column: i,
                header: header.clone(),
                target,
                reason,
                samples: values[i].iter().take(3).map(|s| (*s).to_owned()).collect(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Presets

fn preset(
    key: &str,
    name: &str,
    entity: ImportEntity,
    columns: &[(&str, &str)],
    values: &[(&str, &str, &str)],
) -> Preset {
    Preset {
        key: key.to_owned(),
        name: name.to_owned(),
        entity,
        columns: columns.iter().map(|(h, t)| ((*h).to_owned(), (*t).to_owned())).collect(),
        values: values
            .iter()
            .map(|(target, from, to)| ValueMap {
                target: (*target).to_owned(),
                from: (*from).to_owned(),
                to: (*to).to_owned(),
            })
            .collect(),
    }
}

const HUBSPOT_LIFECYCLE: &[(&str, &str)] = &[
    ("subscriber", "lead"),
    ("lead", "lead"),
    ("marketingqualifiedlead", "lead"),
    ("marketing qualified lead", "lead"),
    ("salesqualifiedlead", "prospect"),
    ("sales qualified lead", "prospect"),
    ("opportunity", "prospect"),
    ("customer", "customer"),
    ("evangelist", "customer"),
    ("other", "lead"),
];

/// Bitrix24's stock contact sources, in Russian and English, to the plain words Clientele uses.
const BITRIX24_SOURCES: &[(&str, &str)] = &[
    ("Звонок", "call"),
    ("Обратный звонок", "callback"),
    ("Электронная почта", "e-mail"),
    ("Веб-сайт", "website"),
    ("CRM-форма", "web form"),
    ("Реклама", "advertising"),
    ("Существующий клиент", "existing client"),
    ("По рекомендации", "referral"),
    ("Выставка", "exhibition"),
    ("Другое", "other"),
    ("Call", "call"),
    ("Callback", "callback"),
    ("E-mail", "e-mail"),
    ("Website", "website"),
    ("CRM form", "web form"),
    ("Advertising", "advertising"),
    ("Existing client", "existing client"),
    ("Recommendation", "referral"),
    ("By recommendation", "referral"),
    ("Trade show", "exhibition"),
    ("Other", "other"),
];

fn value_rows(
    target: &'static str,
    list: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str, &'static str)> {
    list.iter().map(|(from, to)| (target, *from, *to)).collect()
}

/// The built-in presets: amoCRM, Bitrix24, HubSpot and Pipedrive exports of contacts and
/// companies.
pub fn builtin_presets() -> Vec<Preset> {
    use ImportEntity::{Companies, Contacts};
    vec![
        preset(
            "amocrm_contacts",
            "amoCRM — contacts",
            Contacts,
            &[
                ("ID", "contact.external_id"),
                ("Полное имя контакта", "contact.full_name"),
                ("Имя", "contact.first_name"),
                ("Фамилия", "contact.last_name"),
                ("Компания", "company.name"),
                ("Ответственный", "contact.owner"),
                ("Дата создания контакта", "contact.created_at"),
                ("Кем создан контакт", IGNORE),
                ("Теги контакта", "contact.tags"),
                ("Рабочий телефон (контакт)", "contact.phone_work"),
                ("Рабочий прямой телефон (контакт)", "contact.phone_work"),
                ("Мобильный телефон (контакт)", "contact.phone_mobile"),
                ("Домашний телефон (контакт)", "contact.phone_home"),
                ("Факс (контакт)", "contact.phone_fax"),
                ("Другой телефон (контакт)", "contact.phone"),
                ("Рабочий email (контакт)", "contact.email_work"),
                ("Личный email (контакт)", "contact.email_personal"),
                ("Другой email (контакт)", "contact.email"),
                ("Должность (контакт)", "contact.title"),
                ("Примечание", "contact.notes"),
                ("Full name", "contact.full_name"),
                ("First name", "contact.first_name"),
                ("Last name", "contact.last_name"),
                ("Company", "company.name"),
                ("Responsible user", "contact.owner"),
                ("Date created", "contact.created_at"),
                ("Created by", IGNORE),
                ("Tags", "contact.tags"),
                ("Work phone", "contact.phone_work"),
                ("Work direct phone", "contact.phone_work"),
                ("Mobile phone", "contact.phone_mobile"),
                ("Home phone", "contact.phone_home"),
                ("Fax", "contact.phone_fax"),
                ("Other phone", "contact.phone"),
                ("Work email", "contact.email_work"),
                ("Personal email", "contact.email_personal"),
                ("Other email", "contact.email"),
                ("Position", "contact.title"),
                ("Note", "contact.notes"),
            ],
            &[],
        ),
        preset(
            "amocrm_companies",
            "amoCRM — companies",
            Companies,
            &[
                ("ID", "company.external_id"),
                ("Название компании", "company.name"),
                ("Ответственный", "company.owner"),
                ("Дата создания компании", IGNORE),
                ("Кем создана компания", IGNORE),
                ("Теги компании", "company.tags"),
                ("Рабочий телефон (компания)", "company.phone"),
                ("Другой телефон (компания)", "company.phone"),
                ("Факс (компания)", "company.phone"),
                ("Рабочий email (компания)", "company.email"),
                ("Другой email (компания)", "company.email"),
                ("Web (компания)", "company.website"),
                ("Адрес (компания)", "company.street"),
                ("Примечание", "company.notes"),
                ("Company name", "company.name"),
                ("Responsible user", "company.owner"),
                ("Date created", IGNORE),
                ("Created by", IGNORE),
                ("Tags", "company.tags"),
                ("Work phone", "company.phone"),
                ("Work email", "company.email"),
                ("Web", "company.website"),
                ("Address", "company.street"),
                ("Note", "company.notes"),
            ],
            &[],
        ),
        preset(
            "bitrix24_contacts",
            "Bitrix24 — contacts",
            Contacts,
            &[
                ("ID", "contact.external_id"),
                ("Обращение", "contact.salutation"),
                ("Имя", "contact.first_name"),
                ("Отчество", "contact.middle_name"),
                ("Фамилия", "contact.last_name"),
                ("Дата рождения", "contact.birthday"),
                ("Должность", "contact.title"),
                ("Компания", "company.name"),
                ("Тип контакта", "contact.tags"),
                ("Рабочий телефон", "contact.phone_work"),
                ("Мобильный телефон", "contact.phone_mobile"),
                ("Домашний телефон", "contact.phone_home"),
                ("Рабочий e-mail", "contact.email_work"),
                ("Частный e-mail", "contact.email_personal"),
                ("Адрес", "contact.street"),
                ("Город", "contact.city"),
                ("Страна", "contact.country"),
                ("Источник", "contact.source"),
                ("Ответственный", "contact.owner"),
                ("Комментарий", "contact.notes"),
                ("Salutation", "contact.salutation"),
                ("First name", "contact.first_name"),
                ("Second name", "contact.middle_name"),
                ("Last name", "contact.last_name"),
                ("Date of birth", "contact.birthday"),
                ("Position", "contact.title"),
                ("Company", "company.name"),
                ("Contact type", "contact.tags"),
                ("Work phone", "contact.phone_work"),
                ("Mobile phone", "contact.phone_mobile"),
                ("Home phone", "contact.phone_home"),
                ("Work e-mail", "contact.email_work"),
                ("Private e-mail", "contact.email_personal"),
                ("Address", "contact.street"),
                ("City", "contact.city"),
                ("Country", "contact.country"),
                ("Source", "contact.source"),
                ("Responsible person", "contact.owner"),
                ("Comment", "contact.notes"),
            ],
            &value_rows("contact.source", BITRIX24_SOURCES),
        ),
        preset(
            "bitrix24_companies",
            "Bitrix24 — companies",
            Companies,
            &[
                ("ID", "company.external_id"),
                ("Название компании", "company.name"),
                ("Тип компании", "company.tags"),
                ("Сфера деятельности", "company.industry"),
                ("Рабочий телефон", "company.phone"),
                ("Рабочий e-mail", "company.email"),
                ("Корпоративный сайт", "company.website"),
                ("Адрес", "company.street"),
                ("ИНН", "company.tax_number"),
                ("Ответственный", "company.owner"),
                ("Комментарий", "company.notes"),
                ("Company name", "company.name"),
                ("Company type", "company.tags"),
                ("Industry", "company.industry"),
                ("Work phone", "company.phone"),
                ("Work e-mail", "company.email"),
                ("Corporate website", "company.website"),
                ("Address", "company.street"),
                ("Responsible person", "company.owner"),
                ("Comment", "company.notes"),
            ],
            &[],
        ),
        preset(
            "hubspot_contacts",
            "HubSpot — contacts",
            Contacts,
            &[
                ("Record ID", "contact.external_id"),
                ("First Name", "contact.first_name"),
                ("Last Name", "contact.last_name"),
                ("Email", "contact.email"),
                ("Phone Number", "contact.phone_work"),
                ("Mobile Phone Number", "contact.phone_mobile"),
                ("Fax Number", "contact.phone_fax"),
                ("Company Name", "company.name"),
                ("Job Title", "contact.title"),
                ("Contact owner", "contact.owner"),
                ("Lifecycle Stage", "contact.lifecycle"),
                ("Lead Status", IGNORE),
                ("Original Source", "contact.source"),
                ("City", "contact.city"),
                ("State/Region", "contact.region"),
                ("Country/Region", "contact.country"),
                ("Street Address", "contact.street"),
                ("Postal Code", "contact.postal_code"),
                ("Website URL", "contact.website"),
                ("Create Date", "contact.created_at"),
                ("Last Activity Date", IGNORE),
                ("Marketing contact status", IGNORE),
            ],
            &value_rows("contact.lifecycle", HUBSPOT_LIFECYCLE),
        ),
        preset(
            "hubspot_companies",
            "HubSpot — companies",
            Companies,
            &[
                ("Record ID", "company.external_id"),
                ("Company name", "company.name"),
                ("Company Domain Name", "company.website"),
                ("Website URL", "company.website"),
                ("Industry", "company.industry"),
                ("Phone Number", "company.phone"),
                ("Street Address", "company.street"),
                ("City", "company.city"),
                ("State/Region", "company.region"),
                ("Postal Code", "company.postal_code"),
                ("Country/Region", "company.country"),
                ("Company owner", "company.owner"),
                ("Lifecycle Stage", "company.lifecycle"),
                ("Original Source", "company.source"),
                ("Description", "company.notes"),
                ("Create Date", IGNORE),
                ("Last Activity Date", IGNORE),
                ("Number of Employees", IGNORE),
                ("Annual Revenue", IGNORE),
            ],
            &value_rows("company.lifecycle", HUBSPOT_LIFECYCLE),
        ),
        preset(
            "pipedrive_people",
            "Pipedrive — people",
            Contacts,
            &[
                ("Person - ID", "contact.external_id"),
                ("Person - Name", "contact.full_name"),
                ("Person - First name", "contact.first_name"),
                ("Person - Last name", "contact.last_name"),
                ("Person - Organization", "company.name"),
                ("Person - Email - Work", "contact.email_work"),
                ("Person - Email - Home", "contact.email_personal"),
                ("Person - Email - Other", "contact.email"),
                ("Person - Phone - Work", "contact.phone_work"),
                ("Person - Phone - Mobile", "contact.phone_mobile"),
                ("Person - Phone - Home", "contact.phone_home"),
                ("Person - Phone - Other", "contact.phone"),
                ("Person - Owner", "contact.owner"),
                ("Person - Labels", "contact.tags"),
                ("Person - Label", "contact.tags"),
                ("Person - Birthday", "contact.birthday"),
                ("Person - Job title", "contact.title"),
                ("Person - Postal address", "contact.street"),
                ("Person - Add time", "contact.created_at"),
            ],
            &[],
        ),
        preset(
            "pipedrive_organizations",
            "Pipedrive — organizations",
            Companies,
            &[
                ("Organization - ID", "company.external_id"),
                ("Organization - Name", "company.name"),
                ("Organization - Address", "company.street"),
                ("Organization - Address - City/town/village/locality", "company.city"),
                ("Organization - Address - State/County", "company.region"),
                ("Organization - Address - ZIP/Postal code", "company.postal_code"),
                ("Organization - Address - Country", "company.country"),
                ("Organization - Owner", "company.owner"),
                ("Organization - Labels", "company.tags"),
                ("Organization - Label", "company.tags"),
                ("Organization - Website", "company.website"),
                ("Organization - Add time", IGNORE),
            ],
            &[],
        ),
    ]
}

/// Headers typical of one product's export, so that a generic list ("First name, Last name,
/// Company") is not taken for one: a preset is detected only when the file has one of them.
fn is_signature(preset_key_name: &str, header: &str) -> bool {
    let list: &[&str] = match preset_key_name {
        "amocrm_contacts" => &[
            "Полное имя контакта",
            "Дата создания контакта",
            "Кем создан контакт",
            "Теги контакта",
            "Рабочий телефон (контакт)",
            "Мобильный телефон (контакт)",
            "Рабочий email (контакт)",
            "Личный email (контакт)",
            "Должность (контакт)",
            "Responsible user",
        ],
        "amocrm_companies" => &[
            "Дата создания компании",
            "Кем создана компания",
            "Теги компании",
            "Рабочий телефон (компания)",
            "Рабочий email (компания)",
            "Web (компания)",
            "Адрес (компания)",
            "Responsible user",
        ],
        "bitrix24_contacts" => &[
            "Обращение",
            "Рабочий e-mail",
            "Частный e-mail",
            "Тип контакта",
            "Second name",
            "Work e-mail",
            "Private e-mail",
            "Contact type",
            "Responsible person",
        ],
        "bitrix24_companies" => &[
            "Тип компании",
            "Сфера деятельности",
            "Корпоративный сайт",
            "Рабочий e-mail",
            "Company type",
            "Corporate website",
            "Work e-mail",
            "Responsible person",
        ],
        "hubspot_contacts" => &[
            "Record ID",
            "Contact owner",
            "Lifecycle Stage",
            "Lead Status",
            "Create Date",
            "State/Region",
            "Country/Region",
            "Mobile Phone Number",
            "Marketing contact status",
        ],
        "hubspot_companies" => {
            &["Record ID", "Company owner", "Company Domain Name", "Lifecycle Stage", "State/Region", "Country/Region"]
        }
        "pipedrive_people" => return header.starts_with("person - "),
        "pipedrive_organizations" => return header.starts_with("organization - "),
        _ => &[],
    };
    list.iter().any(|s| preset_key(s) == header)
}

/// The built-in preset whose headers best match the file's, if any: at least 60% of the
/// file's non-empty headers (and at least 3) are in the preset, and one of them is typical of
/// the product. The best share wins, then the larger number of matching headers.
pub fn detect_preset(headers: &[String]) -> Option<Preset> {
    let file: Vec<String> = headers.iter().map(|h| preset_key(h)).filter(|h| !h.is_empty()).collect();
    if file.is_empty() {
        return None;
    }
    let mut best: Option<(f64, usize, Preset)> = None;
    for p in builtin_presets() {
        let names: HashSet<String> = p.columns.iter().map(|(h, _)| preset_key(h)).collect();
        let matched: Vec<&String> = file.iter().filter(|h| names.contains(*h)).collect();
        let share = matched.len() as f64 / file.len() as f64;
        if matched.len() < 3 || share < 0.6 || !matched.iter().any(|h| is_signature(&p.key, h)) {
            continue;
        }
        if best.as_ref().is_none_or(|(s, n, _)| share > *s || (share == *s && matched.len() > *n)) {
            best = Some((share, matched.len(), p));
        }
    }
    best.map(|(_, _, p)| p)
}

/// Applies a preset: columns whose header the preset names (trimmed, case-insensitive, NFC)
/// get its target with reason `Preset`; the others are suggested as by [`suggest`]. A preset
/// target that is unknown (a custom field since deleted), or a second use of a single-value
/// target, falls back to the suggestion too.
pub fn apply_preset(
    preset: &Preset,
    entity: ImportEntity,
    headers: &[String],
    samples: &[Vec<String>],
    custom: &[CustomTarget],
) -> Vec<ColumnGuess> {
    let by_header: HashMap<String, &str> =
        preset.columns.iter().rev().map(|(h, t)| (preset_key(h), t.as_str())).collect();
    let mut used: HashSet<&str> = HashSet::new();
    let fixed: Vec<Option<String>> = headers
        .iter()
        .map(|h| {
            let t = *by_header.get(&preset_key(h))?;
            if !is_target(t, custom) || (!is_multi(t) && !used.insert(t)) {
                return None;
            }
            Some(t.to_owned())
        })
        .collect();
    guess(entity, headers, samples, custom, &fixed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn hs(list: &str) -> Vec<String> {
        let sep = if list.contains(';') { ';' } else { ',' };
        list.split(sep).map(str::to_owned).collect()
    }

    fn targets(guesses: &[ColumnGuess]) -> Vec<Option<&str>> {
        guesses.iter().map(|g| g.target.as_deref()).collect()
    }

    /// The built-in targets suggested from the headers alone (no values, no custom fields).
    fn header_targets(entity: ImportEntity, list: &str) -> Vec<Option<&'static str>> {
        let guesses = suggest(entity, &hs(list), &[], &[]);
        guesses
            .iter()
            .map(|g| g.target.as_deref().and_then(|t| TARGET_FIELDS.iter().find(|f| f.key == t)).map(|f| f.key))
            .collect()
    }

    #[test]
    fn russian_contact_headers() {
        let t = header_targets(
            ImportEntity::Contacts,
            "Имя;Фамилия;Отчество;Телефон;E-mail;Компания;Должность;ИНН;Город;Теги",
        );
        assert_eq!(
            t,
            [
                "contact.first_name",
                "contact.last_name",
                "contact.middle_name",
                "contact.phone",
                "contact.email",
                "company.name",
                "contact.title",
                "company.tax_number",
                "contact.city",
                "contact.tags"
            ]
            .map(Some)
        );
    }

    #[test]
    fn french_contact_headers() {
        let t = header_targets(
            ImportEntity::Contacts,
            "Prénom;Nom;Téléphone;Courriel;Société;Fonction;Ville;Code postal;Pays",
        );
        assert_eq!(
            t,
            [
                "contact.first_name",
                "contact.last_name",
                "contact.phone",
                "contact.email",
                "company.name",
                "contact.title",
                "contact.city",
                "contact.postal_code",
                "contact.country"
            ]
            .map(Some)
        );
    }

    #[test]
    fn french_nom_alone_is_the_full_name_or_the_company() {
        assert_eq!(header_targets(ImportEntity::Contacts, "Nom;Téléphone")[0], Some("contact.full_name"));
        assert_eq!(header_targets(ImportEntity::Companies, "Nom;Téléphone")[0], Some("company.name"));
        assert_eq!(header_targets(ImportEntity::Contacts, "Nom de l'entreprise;Nom")[0], Some("company.name"));
    }

    #[test]
    fn korean_contact_headers() {
        let t = header_targets(ImportEntity::Contacts, "이름,성,전화번호,이메일,회사,직함");
        assert_eq!(
            t,
            [
                "contact.first_name",
                "contact.last_name",
                "contact.phone",
                "contact.email",
                "company.name",
                "contact.title"
            ]
            .map(Some)
        );
    }

    #[test]
    fn korean_name_without_family_name_is_the_full_name() {
        let t = header_targets(ImportEntity::Contacts, "이름,휴대폰,이메일,회사명,직위");
        assert_eq!(
            t,
            ["contact.full_name", "contact.phone_mobile", "contact.email", "company.name", "contact.title"].map(Some)
        );
    }

    #[test]
    fn russian_given_name_alone_is_the_full_name() {
        let t = header_targets(ImportEntity::Contacts, "Имя;Телефон");
        assert_eq!(t, [Some("contact.full_name"), Some("contact.phone")]);
    }

    #[test]
    fn bulgarian_company_headers() {
        let t = header_targets(ImportEntity::Companies, "Име на фирма,ЕИК,Телефон,Имейл,Уебсайт,Град,Отрасъл");
        assert_eq!(
            t,
            [
                "company.name",
                "company.tax_number",
                "company.phone",
                "company.email",
                "company.website",
                "company.city",
                "company.industry"
            ]
            .map(Some)
        );
    }

    #[test]
    fn bulgarian_contact_headers() {
        let t = header_targets(ImportEntity::Contacts, "Име,Презиме,Фамилия,Мобилен телефон,Имейл,Длъжност,Фирма");
        assert_eq!(
            t,
            [
                "contact.first_name",
                "contact.middle_name",
                "contact.last_name",
                "contact.phone_mobile",
                "contact.email",
                "contact.title",
                "company.name"
            ]
            .map(Some)
        );
    }

    #[test]
    fn english_variants() {
        let t = header_targets(
            ImportEntity::Contacts,
            "First Name,Last_Name,E-mail,Mobile,Company phone,Company Name,Job Title,Work Phone,Zip,State,Website,Owner",
        );
        assert_eq!(
            t,
            [
                "contact.first_name",
                "contact.last_name",
                "contact.email",
                "contact.phone_mobile",
                "company.phone",
                "company.name",
                "contact.title",
                "contact.phone_work",
                "contact.postal_code",
                "contact.region",
                "contact.website",
                "contact.owner"
            ]
            .map(Some)
        );
    }

    #[test]
    fn entity_decides_bare_headers() {
        let list = "Name,Phone,Email,Address,City,Owner,Tags,Notes";
        assert_eq!(
            header_targets(ImportEntity::Contacts, list),
            [
                "contact.full_name",
                "contact.phone",
                "contact.email",
                "contact.street",
                "contact.city",
                "contact.owner",
                "contact.tags",
                "contact.notes"
            ]
            .map(Some)
        );
        assert_eq!(
            header_targets(ImportEntity::Companies, list),
            [
                "company.name",
                "company.phone",
                "company.email",
                "company.street",
                "company.city",
                "company.owner",
                "company.tags",
                "company.notes"
            ]
            .map(Some)
        );
    }

    #[test]
    fn headers_naming_the_company_go_to_the_company_in_both_imports() {
        for entity in [ImportEntity::Contacts, ImportEntity::Companies] {
            let t =
                header_targets(entity, "Company phone;Телефон компании;Company Name;Компания;Société;회사;Company ID");
            assert_eq!(t[0], Some("company.phone"));
            assert_eq!(t[1], Some("company.phone"));
            assert_eq!(t[2], Some("company.name"));
            // The company name is taken by the first column; the others are left without.
            assert_eq!(&t[3..6], &[None, None, None]);
            assert_eq!(t[6], Some("company.external_id"));
        }
    }

    #[test]
    fn qualified_and_numbered_headers() {
        let t = header_targets(
            ImportEntity::Contacts,
            "Рабочий телефон (контакт);Телефон 2;email1;Person - Email - Work;Адрес (компания);Теги компании;Дата создания контакта",
        );
        assert_eq!(
            t,
            [
                "contact.phone_work",
                "contact.phone",
                "contact.email",
                "contact.email_work",
                "company.street",
                "company.tags",
                "contact.created_at"
            ]
            .map(Some)
        );
    }

    #[test]
    fn more_header_cases() {
        // A company word inside a known phrase still names the company.
        assert_eq!(header_targets(ImportEntity::Contacts, "Company Domain Name")[0], Some("company.website"));
        // "Name" next to a surname column is the first name.
        assert_eq!(
            header_targets(ImportEntity::Contacts, "Name,Surname"),
            [Some("contact.first_name"), Some("contact.last_name")]
        );
        // Vague words are not looked for inside other headers.
        assert_eq!(header_targets(ImportEntity::Contacts, "Lead Status,Deal name"), [None, None]);
        // The contact person's fields in a companies import.
        assert_eq!(
            header_targets(
                ImportEntity::Companies,
                "Наименование;Контактное лицо;Телефон контактного лица;Email;ИНН/КПП"
            ),
            ["company.name", "contact.full_name", "contact.phone", "company.email", "company.tax_number"].map(Some)
        );
        assert_eq!(
            header_targets(ImportEntity::Contacts, "담당자 휴대폰,회사 전화,사업자등록번호,주소,우편번호,비고"),
            [
                "contact.phone_mobile",
                "company.phone",
                "company.tax_number",
                "contact.street",
                "contact.postal_code",
                "contact.notes"
            ]
            .map(Some)
        );
    }

    #[test]
    fn a_target_is_used_once_except_multi_fields() {
        let t = header_targets(ImportEntity::Contacts, "Phone,Phone 2,Телефон,City,Город,Tags,Теги");
        assert_eq!(
            t,
            [
                Some("contact.phone"),
                Some("contact.phone"),
                Some("contact.phone"),
                Some("contact.city"),
                None,
                Some("contact.tags"),
                Some("contact.tags")
            ]
        );
    }

    #[test]
    fn a_sure_match_wins_over_a_weaker_one() {
        // "Client city" comes first but only contains a known word; the exact "City" wins the
        // single-value target. Phones are multi-value: both columns keep theirs.
        let t = header_targets(ImportEntity::Contacts, "Client city;City");
        assert_eq!(t, [None, Some("contact.city")]);
        let t = header_targets(ImportEntity::Contacts, "Основной телефон клиента;Phone");
        assert_eq!(t, [Some("contact.phone"), Some("contact.phone")]);
    }

    #[test]
    fn normalisation() {
        assert_eq!(norm("  \u{feff}Téléphone_Mobile / (Perso) "), "telephone mobile perso");
        assert_eq!(norm("Ёмкость  Эл. почта"), "емкость эл почта");
        assert_eq!(norm("Й"), "й");
        assert_eq!(norm("ＥＭＡＩＬ"), "email");
        assert_eq!(norm("휴대폰 번호"), "휴대폰 번호");
    }

    #[test]
    fn synonyms_do_not_contradict_each_other() {
        let stop: HashSet<String> = STOP_WORDS.iter().map(|w| norm(w)).collect();
        let mut exact: HashMap<String, C> = HashMap::new();
        let mut words: HashMap<String, C> = HashMap::new();
        for (c, list) in SYNONYMS {
            for s in *list {
                let n = norm(s);
                if let Some(old) = exact.insert(n.clone(), *c) {
                    assert_eq!(old, *c, "`{s}` is listed for {old:?} and {c:?}");
                }
                let parts: Vec<&str> = n.split(' ').collect();
                if let Some(old) = words.insert(word_key(&parts, &stop), *c) {
                    assert_eq!(old, *c, "the words of `{s}` are listed for {old:?} and {c:?}");
                }
            }
        }
    }

    fn rows(columns: &[&[&str]]) -> Vec<Vec<String>> {
        let n = columns.iter().map(|c| c.len()).max().unwrap_or(0);
        (0..n).map(|r| columns.iter().map(|c| c.get(r).copied().unwrap_or("").to_owned()).collect()).collect()
    }

    #[test]
    fn values_decide_unnamed_columns() {
        let headers = hs("Column A,Column B,Column C,Column D,Column E,Column F");
        let samples = rows(&[
            &["ann@example.com", "", "bob@example.org, bob@work.example"],
            &["+7 (495) 123-45-67", "8 916 000-00-00", "02-312-3456"],
            &["https://example.com", "www.example.org", "example.fr/contact"],
            &["1985-03-12", "12.03.1985", "01/02/1990"],
            &["Moscow", "Paris", "Seoul"],
            &["1234", "5678", "9012"],
        ]);
        let g = suggest(ImportEntity::Contacts, &headers, &samples, &[]);
        assert_eq!(
            targets(&g),
            [Some("contact.email"), Some("contact.phone"), Some("contact.website"), None, None, None]
        );
        assert_eq!(g[0].reason, GuessReason::Values);
        assert_eq!(g[0].samples, ["ann@example.com", "bob@example.org, bob@work.example"]);
        assert_eq!(g[4].reason, GuessReason::None);
        assert_eq!(g[1].samples.len(), 3);

        let g = suggest(ImportEntity::Companies, &headers[..3], &samples, &[]);
        assert_eq!(targets(&g), [Some("company.email"), Some("company.phone"), Some("company.website")]);
    }

    #[test]
    fn dates_are_birthdays_only_when_the_header_says_so() {
        let headers = hs("Дата рожд.,Date,Created");
        let samples = rows(&[&["12.03.1985"], &["1985-03-12"], &["2024-01-31T10:00:00Z"]]);
        let g = suggest(ImportEntity::Contacts, &headers, &samples, &[]);
        assert_eq!(targets(&g), [Some("contact.birthday"), None, Some("contact.created_at")]);
        assert_eq!(g[0].reason, GuessReason::Values);
        assert_eq!(g[2].reason, GuessReason::Header);
        let g = suggest(ImportEntity::Contacts, &hs("DOB (dd/mm/yyyy)"), &rows(&[&["01/02/1990"]]), &[]);
        assert_eq!(targets(&g), [Some("contact.birthday")]);
        // A birthday is one column: a second one is left for the user to decide.
        let g = suggest(ImportEntity::Contacts, &hs("Birthday,Date of birth"), &[], &[]);
        assert_eq!(targets(&g), [Some("contact.birthday"), None]);
    }

    #[test]
    fn all_values_must_be_emails_and_ids_are_not_phones() {
        let headers = hs("x,y,z");
        let samples = rows(&[&["ann@example.com", "not an email"], &["100200300", "100200301"], &["3.14", "2.72"]]);
        assert_eq!(targets(&suggest(ImportEntity::Contacts, &headers, &samples, &[])), [None, None, None]);
    }

    #[test]
    fn header_phrases_inside_longer_headers_are_checked_against_values() {
        let headers = hs("Email opt out;Основной телефон клиента");
        let samples = rows(&[&["true", "false"], &["+33 1 23 45 67 89"]]);
        let g = suggest(ImportEntity::Contacts, &headers, &samples, &[]);
        assert_eq!(targets(&g), [None, Some("contact.phone")]);
        assert_eq!(g[1].reason, GuessReason::Header);
    }

    #[test]
    fn title_with_courtesy_values_is_the_salutation() {
        let samples = rows(&[&["Mr", "Mrs.", "Dr"], &["CEO", "Buyer"]]);
        let g = suggest(ImportEntity::Contacts, &hs("Title,Position"), &samples, &[]);
        assert_eq!(targets(&g), [Some("contact.salutation"), Some("contact.title")]);
    }

    #[test]
    fn custom_fields_match_by_label_or_key() {
        let custom = vec![
            CustomTarget { entity: "contact".into(), key: "inn_personal".into(), label: "Personal INN".into() },
            CustomTarget { entity: "company".into(), key: "okved".into(), label: "ОКВЭД".into() },
            CustomTarget { entity: "contact".into(), key: "shoe_size".into(), label: "Размер обуви".into() },
        ];
        let g = suggest(ImportEntity::Contacts, &hs("Personal INN;ИНН;okved;размер  обуви;Shoe-size"), &[], &custom);
        assert_eq!(
            targets(&g),
            [
                Some("contact.custom.inn_personal"),
                Some("company.tax_number"),
                Some("company.custom.okved"),
                Some("contact.custom.shoe_size"),
                None
            ]
        );
        assert!(is_target("contact.custom.inn_personal", &custom));
        assert!(!is_target("company.custom.inn_personal", &custom));
        assert!(!is_target("contact.custom.nope", &custom));
        assert!(is_target("company.tax_number", &[]));
        assert!(is_target("ignore", &[]));
        assert!(!is_target("contact.tax_number", &[]));
    }

    #[test]
    fn target_fields_are_complete() {
        let keys: HashSet<&str> = target_fields().iter().map(|f| f.key).collect();
        assert_eq!(keys.len(), target_fields().len());
        for f in target_fields() {
            assert!(f.key.starts_with(&format!("{}.", f.entity)), "{}", f.key);
        }
        for c in [
            "contact.phone",
            "contact.phone_fax",
            "contact.email_personal",
            "contact.tags",
            "company.phone",
            "company.email",
            "company.tags",
        ] {
            assert!(is_multi(c), "{c}");
        }
        assert!(!is_multi("contact.notes"));
        assert!(!is_multi("company.name"));
        for p in builtin_presets() {
            for (h, t) in &p.columns {
                assert!(is_target(t, &[]), "{}: {h} → {t}", p.key);
            }
            for v in &p.values {
                assert!(is_target(&v.target, &[]), "{}: {}", p.key, v.target);
            }
        }
    }

    /// The header lists other tests and example files are made from.
    fn export_headers(key: &str) -> &'static str {
        match key {
            "amocrm_contacts" => {
                "ID;Полное имя контакта;Имя;Фамилия;Компания;Ответственный;Дата создания контакта;Теги контакта;\
                 Рабочий телефон (контакт);Мобильный телефон (контакт);Рабочий email (контакт);\
                 Личный email (контакт);Должность (контакт);Примечание"
            }
            "amocrm_companies" => {
                "ID;Название компании;Ответственный;Теги компании;Рабочий телефон (компания);\
                 Рабочий email (компания);Web (компания);Адрес (компания);Примечание"
            }
            "bitrix24_contacts" => {
                "ID;Обращение;Имя;Отчество;Фамилия;Дата рождения;Должность;Компания;Рабочий телефон;\
                 Мобильный телефон;Рабочий e-mail;Частный e-mail;Адрес;Город;Страна;Источник;Ответственный;Комментарий"
            }
            "bitrix24_companies" => {
                "ID;Название компании;Тип компании;Сфера деятельности;Рабочий телефон;Рабочий e-mail;\
                 Корпоративный сайт;Адрес;ИНН;Ответственный;Комментарий"
            }
            "hubspot_contacts" => {
                "Record ID;First Name;Last Name;Email;Phone Number;Mobile Phone Number;Company Name;Job Title;\
                 Contact owner;Lifecycle Stage;City;State/Region;Country/Region;Street Address;Postal Code;Create Date"
            }
            "hubspot_companies" => {
                "Record ID;Company name;Company Domain Name;Industry;Phone Number;City;State/Region;Country/Region;\
                 Company owner;Lifecycle Stage"
            }
            "pipedrive_people" => {
                "Person - Name;Person - First name;Person - Last name;Person - Organization;Person - Email - Work;\
                 Person - Email - Home;Person - Email - Other;Person - Phone - Work;Person - Phone - Mobile;\
                 Person - Phone - Home;Person - Phone - Other;Person - Owner;Person - Labels;Person - Birthday;\
                 Person - Job title;Person - ID"
            }
            "pipedrive_organizations" => {
                "Organization - Name;Organization - Address;Organization - Owner;Organization - Labels;Organization - ID"
            }
            _ => panic!("no header list for {key}"),
        }
    }

    const PRESET_KEYS: [&str; 8] = [
        "amocrm_contacts",
        "amocrm_companies",
        "bitrix24_contacts",
        "bitrix24_companies",
        "hubspot_contacts",
        "hubspot_companies",
        "pipedrive_people",
        "pipedrive_organizations",
    ];

    #[test]
    fn builtin_preset_keys() {
        let keys: Vec<String> = builtin_presets().into_iter().map(|p| p.key).collect();
        assert_eq!(keys, PRESET_KEYS);
    }

    #[test]
    fn each_preset_is_detected_from_its_headers() {
        for key in PRESET_KEYS {
            let headers = hs(export_headers(key));
            let p = detect_preset(&headers).unwrap_or_else(|| panic!("{key} not detected"));
            assert_eq!(p.key, key);

            let mut more = headers.clone();
            more.insert(2, "Любимый цвет".into());
            more.push("Some other column".into());
            more.push(String::new());
            assert_eq!(detect_preset(&more).map(|p| p.key), Some(key.to_owned()), "{key} with extra columns");

            let shouted: Vec<String> = headers.iter().map(|h| format!("  {}  ", h.to_uppercase())).collect();
            assert_eq!(detect_preset(&shouted).map(|p| p.key), Some(key.to_owned()), "{key} in capitals");
        }
    }

    #[test]
    fn each_preset_maps_every_column_of_its_headers() {
        for key in PRESET_KEYS {
            let p = builtin_presets().into_iter().find(|p| p.key == key).unwrap();
            let headers = hs(export_headers(key));
            let g = apply_preset(&p, p.entity, &headers, &[], &[]);
            for c in &g {
                assert_eq!(c.reason, GuessReason::Preset, "{key}: {}", c.header);
                assert!(c.target.is_some(), "{key}: {}", c.header);
            }
        }
    }

    #[test]
    fn generic_headers_are_not_a_preset() {
        for list in [
            "First name;Last name;Email;Phone;Company;City",
            "Имя;Фамилия;Телефон;E-mail;Компания;Город",
            "ID;Имя;Фамилия;Компания;Ответственный",
            "Name;Email;Phone",
            "Prénom;Nom;Téléphone;Courriel;Société",
            "First Name;Last Name;Email;City;Postal Code",
            "",
        ] {
            assert_eq!(detect_preset(&hs(list)).map(|p| p.key), None, "{list}");
        }
        assert_eq!(detect_preset(&[]), None);
    }

    #[test]
    fn a_few_preset_headers_among_many_others_are_not_a_preset() {
        let headers = hs("Record ID;Contact owner;Lifecycle Stage;a;b;c;d;e");
        assert_eq!(detect_preset(&headers), None);
    }

    #[test]
    fn apply_preset_falls_back_to_suggestions() {
        let p = detect_preset(&hs(export_headers("hubspot_contacts"))).unwrap();
        let headers = hs("record id;First Name;LAST NAME;Phone Number;Favourite colour;Telephone;Email 2;Column X");
        let samples = rows(&[
            &["101"],
            &["Ann"],
            &["Lee"],
            &["+1 212 555 0100"],
            &["blue"],
            &["+1 212 555 0101"],
            &["ann@example.com"],
            &["https://ann.example.com"],
        ]);
        let g = apply_preset(&p, ImportEntity::Contacts, &headers, &samples, &[]);
        assert_eq!(
            targets(&g),
            [
                Some("contact.external_id"),
                Some("contact.first_name"),
                Some("contact.last_name"),
                Some("contact.phone_work"),
                None,
                Some("contact.phone"),
                Some("contact.email"),
                Some("contact.website"),
            ]
        );
        let reasons: Vec<GuessReason> = g.iter().map(|c| c.reason).collect();
        use GuessReason::{Header, None as Nothing, Preset as ByPreset, Values};
        assert_eq!(reasons, [ByPreset, ByPreset, ByPreset, ByPreset, Nothing, Header, Header, Values]);
    }

    #[test]
    fn apply_preset_ignores_unknown_targets_and_keeps_single_targets_single() {
        let p = Preset {
            key: "mine".into(),
            name: "Mine".into(),
            entity: ImportEntity::Contacts,
            columns: vec![
                ("Фамилия".into(), "contact.last_name".into()),
                ("Surname".into(), "contact.last_name".into()),
                ("Размер".into(), "contact.custom.size".into()),
                ("Skip me".into(), IGNORE.into()),
                ("Skip me too".into(), IGNORE.into()),
            ],
            values: vec![],
        };
        let headers = hs("Фамилия;Surname;Размер;Skip me;Skip me too;Имя");
        let g = apply_preset(&p, ImportEntity::Contacts, &headers, &[], &[]);
        assert_eq!(
            targets(&g),
            [Some("contact.last_name"), None, None, Some(IGNORE), Some(IGNORE), Some("contact.first_name")]
        );
        let custom = [CustomTarget { entity: "contact".into(), key: "size".into(), label: "Size".into() }];
        let g = apply_preset(&p, ImportEntity::Contacts, &headers, &[], &custom);
        assert_eq!(g[2].target.as_deref(), Some("contact.custom.size"));
        assert_eq!(g[2].reason, GuessReason::Preset);
    }

    #[test]
    fn pipedrive_headers_are_understood_without_the_preset() {
        let headers = hs(export_headers("pipedrive_people"));
        let g = suggest(ImportEntity::Contacts, &headers, &[], &[]);
        let t = targets(&g);
        assert_eq!(t[0], Some("contact.full_name"));
        assert_eq!(t[3], Some("company.name"));
        assert_eq!(t[4], Some("contact.email_work"));
        assert_eq!(t[8], Some("contact.phone_mobile"));
        assert_eq!(t[12], Some("contact.tags"));
        assert_eq!(t[15], Some("contact.external_id"));
    }

    #[test]
    fn hubspot_lifecycle_values() {
        let p = builtin_presets().into_iter().find(|p| p.key == "hubspot_contacts").unwrap();
        let v = &p.values;
        for (from, to) in [
            ("subscriber", "lead"),
            ("Lead", "lead"),
            ("marketingqualifiedlead", "lead"),
            ("Marketing Qualified Lead", "lead"),
            ("salesqualifiedlead", "prospect"),
            ("Sales Qualified Lead", "prospect"),
            ("OPPORTUNITY", "prospect"),
            (" customer ", "customer"),
            ("evangelist", "customer"),
            ("other", "lead"),
        ] {
            assert_eq!(map_value(v, "contact.lifecycle", from), to, "{from}");
        }
        assert_eq!(map_value(v, "contact.lifecycle", "churned"), "churned");
        assert_eq!(map_value(v, "contact.source", "opportunity"), "opportunity");
        let c = builtin_presets().into_iter().find(|p| p.key == "hubspot_companies").unwrap();
        assert_eq!(map_value(&c.values, "company.lifecycle", "opportunity"), "prospect");
    }

    #[test]
    fn bitrix24_source_values() {
        let p = builtin_presets().into_iter().find(|p| p.key == "bitrix24_contacts").unwrap();
        assert_eq!(map_value(&p.values, "contact.source", "По рекомендации"), "referral");
        assert_eq!(map_value(&p.values, "contact.source", "ВЫСТАВКА"), "exhibition");
        assert_eq!(map_value(&p.values, "contact.source", "Сарафанное радио"), "Сарафанное радио");
    }

    #[test]
    fn split_multi_cells() {
        assert_eq!(split_multi("a, b; c\nd"), ["a", "b", "c", "d"]);
        assert_eq!(
            split_multi("  +7 495 123-45-67 ,, 8 (916) 000-00-00;\r\n"),
            ["+7 495 123-45-67", "8 (916) 000-00-00"]
        );
        assert_eq!(split_multi("vip"), ["vip"]);
        assert!(split_multi(" ; , \n").is_empty());
        assert!(split_multi("").is_empty());
    }

    #[test]
    fn presets_round_trip_as_json() {
        let p = builtin_presets().into_iter().find(|p| p.key == "hubspot_contacts").unwrap();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["entity"], "contacts");
        assert_eq!(json["columns"][0], serde_json::json!(["Record ID", "contact.external_id"]));
        let back: Preset = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        let g = ColumnGuess { column: 0, header: "x".into(), target: None, reason: GuessReason::None, samples: vec![] };
        assert_eq!(serde_json::to_value(&g).unwrap()["reason"], "none");
    }

    #[test]
    fn rows_shorter_than_the_header_are_fine() {
        let headers = hs("Email,Phone,Notes");
        let samples = vec![vec!["a@example.com".to_owned()], vec![]];
        let g = suggest(ImportEntity::Contacts, &headers, &samples, &[]);
        assert_eq!(g.len(), 3);
        assert_eq!(g[0].samples, ["a@example.com"]);
        assert!(g[2].samples.is_empty());
    }
}
