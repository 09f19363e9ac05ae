//! The client base: contacts (people) and companies (organisations), and the values they
//! share — phones, e-mails, address, important dates, lifecycle, tags.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::email::EmailAddress;
use super::phone::{PhoneFlag, PhoneParse, Region, parse_phone};
use crate::error::Problems;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Lead,
    Prospect,
    Customer,
    Churned,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 4] = [Lifecycle::Lead, Lifecycle::Prospect, Lifecycle::Customer, Lifecycle::Churned];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Lead => "lead",
            Lifecycle::Prospect => "prospect",
            Lifecycle::Customer => "customer",
            Lifecycle::Churned => "churned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// A phone as stored: what the user typed, its kind, and its E.164 form (or why it has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Phone {
    /// As typed.
    pub number: String,
    /// `mobile`, `work`, `home`, `fax` or `other`.
    pub kind: String,
    /// Normalised form, e.g. `+74951234567`; `null` when the number is flagged.
    pub e164: Option<String>,
    /// Why there is no E.164 form: `missing_area_code` or `missing_country_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<PhoneFlag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Email {
    pub address: String,
    /// `work`, `personal` or `other`.
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Region, state or oblast.
    #[serde(default)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: Option<String>,
}

/// A date worth remembering: a birthday, a company's anniversary, a contract renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportantDate {
    /// `birthday`, `anniversary` or a word of your own.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub date: NaiveDate,
    /// Comes back every year.
    #[serde(default = "yes")]
    pub yearly: bool,
}

fn yes() -> bool {
    true
}

impl ImportantDate {
    /// The next occurrence on or after `today` (the date itself when not yearly). A 29
    /// February falls on 28 February in other years.
    pub fn next_occurrence(&self, today: NaiveDate) -> Option<NaiveDate> {
        if !self.yearly {
            return (self.date >= today).then_some(self.date);
        }
        for year in [today.year(), today.year() + 1] {
            let d = NaiveDate::from_ymd_opt(year, self.date.month(), self.date.day())
                .or_else(|| NaiveDate::from_ymd_opt(year, self.date.month(), self.date.day() - 1))?;
            if d >= today {
                return Some(d);
            }
        }
        None
    }
}

pub const PHONE_KINDS: [&str; 5] = ["mobile", "work", "home", "fax", "other"];
pub const EMAIL_KINDS: [&str; 3] = ["work", "personal", "other"];
/// Suggested roles of a contact person in a company; any other word is accepted too.
pub const COMPANY_ROLES: [&str; 5] = ["director", "chief_accountant", "lawyer", "secretary", "buyer"];

/// Input forms of phones and e-mails: a plain string or an object.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum PhoneInput {
    Plain(String),
    Full {
        number: String,
        #[serde(default)]
        kind: Option<String>,
        /// Ignored on input (computed); accepted so that a record read can be sent back.
        #[serde(default)]
        #[allow(dead_code)]
        e164: Option<String>,
        #[serde(default)]
        #[allow(dead_code)]
        flag: Option<PhoneFlag>,
    },
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EmailInput {
    Plain(String),
    Full {
        address: String,
        #[serde(default)]
        kind: Option<String>,
    },
}

pub fn parse_phones(field: &str, input: &[PhoneInput], region: Option<Region>, p: &mut Problems) -> Vec<Phone> {
    let mut out: Vec<Phone> = Vec::new();
    if input.len() > 20 {
        p.add(field, "at most 20 phones");
        return out;
    }
    for (i, ph) in input.iter().enumerate() {
        let (number, kind) = match ph {
            PhoneInput::Plain(n) => (n.clone(), None),
            PhoneInput::Full { number, kind, .. } => (number.clone(), kind.clone()),
        };
        let f = format!("{field}[{i}].number");
        let kind = match kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => "mobile".to_owned(),
            Some(k) if PHONE_KINDS.contains(&k.to_ascii_lowercase().as_str()) => k.to_ascii_lowercase(),
            Some(k) => {
                p.add(format!("{field}[{i}].kind"), format!("`{k}` is not a phone kind ({})", PHONE_KINDS.join(", ")));
                continue;
            }
        };
        match parse_phone(&f, &number, region) {
            Ok(PhoneParse::Valid { e164 }) => {
                if out.iter().any(|o| o.e164.as_deref() == Some(e164.as_str())) {
                    continue; // the same number twice: keep one
                }
                out.push(Phone { number: number.trim().to_owned(), kind, e164: Some(e164), flag: None });
            }
            Ok(PhoneParse::Flagged(flag)) => {
                out.push(Phone { number: number.trim().to_owned(), kind, e164: None, flag: Some(flag) })
            }
            Err(e) => p.add(e.field, e.message),
        }
    }
    out
}

pub fn parse_emails(field: &str, input: &[EmailInput], p: &mut Problems) -> Vec<Email> {
    let mut out: Vec<Email> = Vec::new();
    if input.len() > 20 {
        p.add(field, "at most 20 e-mails");
        return out;
    }
    for (i, e) in input.iter().enumerate() {
        let (address, kind) = match e {
            EmailInput::Plain(a) => (a.clone(), None),
            EmailInput::Full { address, kind } => (address.clone(), kind.clone()),
        };
        let kind = match kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => "work".to_owned(),
            Some(k) if EMAIL_KINDS.contains(&k.to_ascii_lowercase().as_str()) => k.to_ascii_lowercase(),
            Some(k) => {
                p.add(
                    format!("{field}[{i}].kind"),
                    format!("`{k}` is not an e-mail kind ({})", EMAIL_KINDS.join(", ")),
                );
                continue;
            }
        };
        match EmailAddress::parse_field(&format!("{field}[{i}].address"), &address) {
            Ok(a) => {
                if !out.iter().any(|o| o.address == a.as_str()) {
                    out.push(Email { address: a.to_string(), kind });
                }
            }
            Err(e) => p.add(e.field, e.message),
        }
    }
    out
}

/// Optional free text: trimmed, empty → none, bounded, no control characters but newlines.
pub fn opt_text(field: &str, v: Option<&str>, max: usize, multiline: bool, p: &mut Problems) -> Option<String> {
    let s = v.map(str::trim).filter(|s| !s.is_empty())?;
    if s.chars().count() > max {
        p.add(field, format!("must be at most {max} characters"));
        return None;
    }
    if s.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        p.add(field, "must not contain control characters");
        return None;
    }
    Some(s.to_owned())
}

pub fn parse_tags(field: &str, tags: &[String], p: &mut Problems) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if tags.len() > 50 {
        p.add(field, "at most 50 tags");
        return out;
    }
    for (i, t) in tags.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 50 || t.chars().any(char::is_control) {
            p.add(format!("{field}[{i}]"), "a tag is at most 50 characters of text");
            continue;
        }
        if !out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            out.push(t.to_owned());
        }
    }
    out
}

pub fn parse_address(field: &str, a: Option<&Address>, p: &mut Problems) -> Option<Address> {
    let a = a?;
    let out = Address {
        street: opt_text(&format!("{field}.street"), a.street.as_deref(), 300, true, p),
        city: opt_text(&format!("{field}.city"), a.city.as_deref(), 120, false, p),
        postal_code: opt_text(&format!("{field}.postal_code"), a.postal_code.as_deref(), 20, false, p),
        region: opt_text(&format!("{field}.region"), a.region.as_deref(), 120, false, p),
        country: match opt_text(&format!("{field}.country"), a.country.as_deref(), 2, false, p) {
            Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => Some(c.to_ascii_uppercase()),
            Some(c) => {
                p.add(format!("{field}.country"), format!("`{c}` is not a two-letter country code"));
                None
            }
            None => None,
        },
    };
    (out != Address::default()).then_some(out)
}

pub fn parse_dates(field: &str, dates: &[ImportantDate], p: &mut Problems) -> Vec<ImportantDate> {
    let mut out = Vec::new();
    for (i, d) in dates.iter().enumerate() {
        let kind = d.kind.trim().to_lowercase();
        if kind.is_empty() || kind.chars().count() > 40 {
            p.add(format!("{field}[{i}].kind"), "is required (birthday, anniversary or a word of your own)");
            continue;
        }
        if d.date.year() < 1800 || d.date.year() > 2200 {
            p.add(format!("{field}[{i}].date"), "is out of range");
            continue;
        }
        let label = opt_text(&format!("{field}[{i}].label"), d.label.as_deref(), 100, false, p);
        out.push(ImportantDate { kind, label, date: d.date, yearly: d.yearly });
    }
    out
}

/// Website: a URL with http(s), or a bare host which gets `https://`.
pub fn parse_website(field: &str, v: Option<&str>, p: &mut Problems) -> Option<String> {
    let s = opt_text(field, v, 300, false, p)?;
    let url = if s.contains("://") { s } else { format!("https://{s}") };
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.split("://").nth(1).is_some_and(|rest| {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            host.contains('.') && !host.contains(' ') && !host.starts_with('.')
        });
    if ok {
        Some(url)
    } else {
        p.add(field, format!("`{url}` is not a web address"));
        None
    }
}

/// Lower-case, accents removed (é → e, ё → е), Hangul kept whole: the form in which names are
/// indexed and searched, the same on both databases.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
            out.push(c);
            continue;
        }
        for d in std::iter::once(c).nfkd() {
            if !is_combining_mark(d) {
                out.extend(d.to_lowercase());
            }
        }
    }
    out
}

/// Search terms of a query: folded words of letters and digits.
pub fn search_terms(q: &str) -> Vec<String> {
    fold(q).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(8).map(str::to_owned).collect()
}

/// A contact (a person).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub version: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: String,
    /// Job title.
    pub title: Option<String>,
    /// The primary company.
    pub company_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub lifecycle: Lifecycle,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub address: Option<Address>,
    pub important_dates: Vec<ImportantDate>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set when this record was merged into another (the survivor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
}

/// A company (an organisation, a legal entity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Company {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub legal_name: Option<String>,
    /// Tax or registration number (INN, SIREN, EIK, business registration number...).
    pub tax_number: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub lifecycle: Lifecycle,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub address: Option<Address>,
    pub important_dates: Vec<ImportantDate>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set when this record was merged into another (the survivor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
}

/// A contact person of a company: the person, and their role there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompanyLink {
    pub company_id: Uuid,
    pub contact_id: Uuid,
    /// director, chief_accountant, lawyer, secretary, buyer, or a word of your own.
    pub role: Option<String>,
    pub is_primary: bool,
}

pub fn parse_role(field: &str, v: Option<&str>, p: &mut Problems) -> Option<String> {
    opt_text(field, v, 60, false, p).map(|r| r.to_lowercase())
}

impl Contact {
    /// Text the search index holds for this contact (folded).
    pub fn search_body(&self, company_name: Option<&str>) -> String {
        let mut parts: Vec<&str> = vec![&self.display_name];
        parts.extend(self.first_name.as_deref());
        parts.extend(self.last_name.as_deref());
        parts.extend(self.title.as_deref());
        parts.extend(company_name);
        let emails: Vec<String> = self.emails.iter().map(|e| e.address.replace(['@', '.'], " ")).collect();
        let phones: Vec<String> =
            self.phones.iter().filter_map(|p| p.e164.as_ref().map(|e| e.trim_start_matches('+').to_owned())).collect();
        let mut body = fold(&parts.join(" "));
        for s in emails.iter().chain(phones.iter()) {
            body.push(' ');
            body.push_str(&fold(s));
        }
        body
    }
}

impl Company {
    pub fn search_body(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.name];
        parts.extend(self.legal_name.as_deref());
        parts.extend(self.tax_number.as_deref());
        parts.extend(self.industry.as_deref());
        let mut body = fold(&parts.join(" "));
        for e in &self.emails {
            body.push(' ');
            body.push_str(&fold(&e.address.replace(['@', '.'], " ")));
        }
        for p in self.phones.iter().filter_map(|p| p.e164.as_ref()) {
            body.push(' ');
            body.push_str(p.trim_start_matches('+'));
        }
        if let Some(w) = &self.website {
            body.push(' ');
            body.push_str(&fold(&w.replace(['/', ':', '.'], " ")));
        }
        body
    }
}

/// Whether two folded names are probably the same person's: equal, or a few typos apart
/// (Levenshtein distance at most 1 for short names, 2 from eight characters on).
pub fn names_similar(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return !a.is_empty();
    }
    let max = if a.len().min(b.len()) >= 8 { 2 } else { 1 };
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= max
}

/// A name to sort by: folded display name.
pub fn sort_key(name: &str) -> String {
    fold(name.trim())
}

/// A required piece of text: as [`opt_text`], and "is required" when absent or blank.
pub fn required_text(field: &str, v: Option<&str>, max: usize, p: &mut Problems) -> Option<String> {
    if v.is_none_or(|s| s.trim().is_empty()) {
        p.add(field, "is required");
        return None;
    }
    opt_text(field, v, max, false, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_for_search() {
        assert_eq!(fold("Élodie Müller"), "elodie muller");
        assert_eq!(fold("Фёдор ПЕТРОВ"), "федор петров");
        assert_eq!(fold("김민준"), "김민준");
        assert_eq!(search_terms("  Anna-Maria  o'Neil "), ["anna", "maria", "o", "neil"]);
    }

    #[test]
    fn phones_and_emails_with_every_error_named() {
        let mut p = Problems::new();
        let ru = Region::parse("RU").ok();
        let phones = parse_phones(
            "phones",
            &[
                PhoneInput::Plain("8 (495) 123-45-67".into()),
                PhoneInput::Full {
                    number: "+7 495 123 45 67".into(),
                    kind: Some("work".into()),
                    e164: None,
                    flag: None,
                },
                PhoneInput::Plain("123-45-67".into()),
                PhoneInput::Plain("12".into()),
                PhoneInput::Full {
                    number: "+33 1 23 45 67 89".into(),
                    kind: Some("pager".into()),
                    e164: None,
                    flag: None,
                },
            ],
            ru,
            &mut p,
        );
        assert_eq!(phones.len(), 2, "duplicate collapsed, flagged kept: {phones:?}");
        assert_eq!(phones[0].e164.as_deref(), Some("+74951234567"));
        assert_eq!(phones[1].flag, Some(PhoneFlag::MissingAreaCode));
        let emails =
            parse_emails("emails", &[EmailInput::Plain("Ann@X.com".into()), EmailInput::Plain("nope".into())], &mut p);
        assert_eq!(emails[0].address, "ann@x.com");
        let err = p.into_result().unwrap_err();
        let crate::Error::Validation(v) = err else { panic!() };
        let fields: Vec<_> = v.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["phones[3].number", "phones[4].kind", "emails[1].address"]);
    }

    #[test]
    fn similar_names() {
        assert!(names_similar("anna petrova", "anna petrova"));
        assert!(names_similar("anna petrova", "ana petrova"));
        assert!(names_similar("ivan", "ivam"));
        assert!(!names_similar("ivan", "igor"));
        assert!(!names_similar("anna petrova", "anna ivanova"));
        assert!(!names_similar("", ""));
    }

    #[test]
    fn yearly_dates() {
        let d = ImportantDate {
            kind: "birthday".into(),
            label: None,
            date: NaiveDate::from_ymd_opt(1992, 2, 29).unwrap(),
            yearly: true,
        };
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(d.next_occurrence(today), NaiveDate::from_ymd_opt(2027, 2, 28));
        let today = NaiveDate::from_ymd_opt(2027, 12, 1).unwrap();
        assert_eq!(d.next_occurrence(today), NaiveDate::from_ymd_opt(2028, 2, 29));
    }

    #[test]
    fn websites_tags_addresses() {
        let mut p = Problems::new();
        assert_eq!(parse_website("website", Some("acme.ru"), &mut p).as_deref(), Some("https://acme.ru"));
        assert_eq!(
            parse_tags("tags", &["VIP".into(), "vip".into(), " ".into(), "Moscow".into()], &mut p),
            ["VIP", "Moscow"]
        );
        let a = parse_address(
            "address",
            Some(&Address { city: Some(" Sofia ".into()), country: Some("bg".into()), ..Default::default() }),
            &mut p,
        )
        .unwrap();
        assert_eq!((a.city.as_deref(), a.country.as_deref()), (Some("Sofia"), Some("BG")));
        assert!(p.is_empty());
        parse_website("website", Some("not a site"), &mut p);
        assert!(!p.is_empty());
    }
}

/// What a client sends to create a contact, or (merged over the current record) to change
/// one. Unknown fields are refused so that a typo is not silently dropped.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Defaults to "first last".
    pub display_name: Option<String>,
    pub title: Option<String>,
    /// The primary company; the person becomes one of its contact persons.
    pub company_id: Option<Uuid>,
    /// Role in the primary company (director, chief_accountant, lawyer, secretary, buyer, ...).
    pub company_role: Option<String>,
    /// Defaults to the creator.
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    /// lead (default), prospect, customer or churned.
    pub lifecycle: Option<String>,
    #[serde(default)]
    pub phones: Vec<PhoneInput>,
    #[serde(default)]
    pub emails: Vec<EmailInput>,
    pub address: Option<Address>,
    #[serde(default)]
    pub important_dates: Vec<ImportantDate>,
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    pub last_contacted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub tax_number: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub lifecycle: Option<String>,
    #[serde(default)]
    pub phones: Vec<PhoneInput>,
    #[serde(default)]
    pub emails: Vec<EmailInput>,
    pub address: Option<Address>,
    #[serde(default)]
    pub important_dates: Vec<ImportantDate>,
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    pub last_contacted_at: Option<DateTime<Utc>>,
}

/// Fields of a stored record that a client may send back but never sets.
pub const READ_ONLY_FIELDS: [&str; 7] =
    ["id", "version", "created_at", "updated_at", "deleted_at", "merged_into", "company_links"];

/// Overlays a JSON merge patch (top-level keys) on the current record's JSON, dropping the
/// read-only fields, so that an update is validated exactly like a creation.
pub fn merge_patch(current: &Value, patch: &Map<String, Value>) -> Value {
    let mut base = current.as_object().cloned().unwrap_or_default();
    for k in READ_ONLY_FIELDS {
        base.remove(k);
    }
    for (k, v) in patch {
        if !READ_ONLY_FIELDS.contains(&k.as_str()) {
            base.insert(k.clone(), v.clone());
        }
    }
    Value::Object(base)
}

fn lifecycle(field: &str, v: Option<&str>, p: &mut Problems) -> Lifecycle {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Lifecycle::Lead,
        Some(s) => Lifecycle::parse(s).unwrap_or_else(|| {
            p.add(field, format!("`{s}` is not a lifecycle stage (lead, prospect, customer, churned)"));
            Lifecycle::Lead
        }),
    }
}

/// The parts of a record that are not its content.
#[derive(Debug, Clone, Copy)]
pub struct RecordMeta {
    pub id: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub merged_into: Option<Uuid>,
}

impl RecordMeta {
    pub fn of_contact(c: &Contact) -> Self {
        Self {
            id: c.id,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
            merged_into: c.merged_into,
        }
    }

    pub fn of_company(c: &Company) -> Self {
        Self {
            id: c.id,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
            merged_into: c.merged_into,
        }
    }
}

impl ContactInput {
    /// Validates every field (collecting every problem) into a contact.
    pub fn validate(
        &self,
        meta: RecordMeta,
        owner: Option<Uuid>,
        region: Option<Region>,
        defs: &[super::custom_field::CustomFieldDef],
        p: &mut Problems,
    ) -> Contact {
        let first_name = opt_text("first_name", self.first_name.as_deref(), 100, false, p);
        let last_name = opt_text("last_name", self.last_name.as_deref(), 100, false, p);
        let given = opt_text("display_name", self.display_name.as_deref(), 200, false, p);
        let joined = [first_name.as_deref(), last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        let display_name = given.unwrap_or(joined);
        if display_name.is_empty() {
            p.add("first_name", "a contact needs a name: first_name, last_name or display_name");
        }
        Contact {
            id: meta.id,
            version: meta.version,
            first_name,
            last_name,
            display_name,
            title: opt_text("title", self.title.as_deref(), 150, false, p),
            company_id: self.company_id,
            owner_id: owner,
            source: opt_text("source", self.source.as_deref(), 100, false, p),
            lifecycle: lifecycle("lifecycle", self.lifecycle.as_deref(), p),
            phones: parse_phones("phones", &self.phones, region, p),
            emails: parse_emails("emails", &self.emails, p),
            address: parse_address("address", self.address.as_ref(), p),
            important_dates: parse_dates("important_dates", &self.important_dates, p),
            notes: opt_text("notes", self.notes.as_deref(), 20_000, true, p),
            tags: parse_tags("tags", &self.tags, p),
            custom_fields: super::custom_field::check_values(defs, &self.custom_fields, region, p),
            last_contacted_at: self.last_contacted_at,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            deleted_at: meta.deleted_at,
            merged_into: meta.merged_into,
        }
    }
}

impl CompanyInput {
    pub fn validate(
        &self,
        meta: RecordMeta,
        owner: Option<Uuid>,
        region: Option<Region>,
        defs: &[super::custom_field::CustomFieldDef],
        p: &mut Problems,
    ) -> Company {
        Company {
            id: meta.id,
            version: meta.version,
            name: required_text("name", self.name.as_deref(), 200, p).unwrap_or_default(),
            legal_name: opt_text("legal_name", self.legal_name.as_deref(), 300, false, p),
            tax_number: opt_text("tax_number", self.tax_number.as_deref(), 40, false, p)
                .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()),
            website: parse_website("website", self.website.as_deref(), p),
            industry: opt_text("industry", self.industry.as_deref(), 100, false, p),
            owner_id: owner,
            source: opt_text("source", self.source.as_deref(), 100, false, p),
            lifecycle: lifecycle("lifecycle", self.lifecycle.as_deref(), p),
            phones: parse_phones("phones", &self.phones, region, p),
            emails: parse_emails("emails", &self.emails, p),
            address: parse_address("address", self.address.as_ref(), p),
            important_dates: parse_dates("important_dates", &self.important_dates, p),
            notes: opt_text("notes", self.notes.as_deref(), 20_000, true, p),
            tags: parse_tags("tags", &self.tags, p),
            custom_fields: super::custom_field::check_values(defs, &self.custom_fields, region, p),
            last_contacted_at: self.last_contacted_at,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            deleted_at: meta.deleted_at,
            merged_into: meta.merged_into,
        }
    }
}

/// The birthday of a contact as `MM-DD`, for "birthday this week" filters.
pub fn birthday_md(dates: &[ImportantDate]) -> Option<String> {
    dates.iter().find(|d| d.kind == "birthday").map(|d| d.date.format("%m-%d").to_string())
}
