//! Imports: a file read into rows, and each row turned into a contact and/or a company as
//! the column mapping says. A row's values then go through exactly the validation of a
//! record typed in by hand; every problem is reported against the column it came from.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::client::{Address, CompanyInput, ContactInput, EmailInput, ImportantDate, PhoneInput, fold};
use super::custom_field::{CustomFieldDef, FieldType};
use super::import_map::{ImportEntity, ValueMap, map_value, split_multi};
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Read and analysed; waiting for its mapping to be confirmed and the run to start.
    Uploaded,
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
    /// Being undone.
    Undoing,
    Undone,
}

impl ImportStatus {
    pub const ALL: [ImportStatus; 8] = [
        ImportStatus::Uploaded,
        ImportStatus::Queued,
        ImportStatus::Running,
        ImportStatus::Done,
        ImportStatus::Failed,
        ImportStatus::Cancelled,
        ImportStatus::Undoing,
        ImportStatus::Undone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Uploaded => "uploaded",
            ImportStatus::Queued => "queued",
            ImportStatus::Running => "running",
            ImportStatus::Done => "done",
            ImportStatus::Failed => "failed",
            ImportStatus::Cancelled => "cancelled",
            ImportStatus::Undoing => "undoing",
            ImportStatus::Undone => "undone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still moving: the page keeps polling.
    pub fn is_active(self) -> bool {
        matches!(self, ImportStatus::Queued | ImportStatus::Running | ImportStatus::Undoing)
    }
}

/// What to do with a row whose phone, e-mail (or, for companies, tax number or name)
/// matches an existing record or an earlier row of the same file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicatePolicy {
    /// Leave the existing record alone and count the row as skipped.
    #[default]
    Skip,
    /// Update the existing record: the fields in `update_fields` are overwritten, empty
    /// fields are filled, new phones, e-mails and tags are added.
    Update,
    /// Create a new record anyway.
    Create,
}

/// The choices of whoever runs the import. Everything has a sensible default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    /// Override of the detected text encoding (CSV), e.g. `windows-1251`.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Override of the detected delimiter (CSV): one character, `\t` for tab.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Spreadsheet sheet to read (default: the first).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Built-in preset key (e.g. `amocrm_contacts`) or the id of a saved preset.
    #[serde(default)]
    pub preset: Option<String>,
    /// Target field per column, in column order; `null` or `ignore` skips the column.
    #[serde(default)]
    pub mapping: Vec<Option<String>>,
    #[serde(default)]
    pub duplicates: DuplicatePolicy,
    /// With `duplicates: update`: target fields whose value in the file replaces the stored one.
    #[serde(default)]
    pub update_fields: Vec<String>,
    /// Region for phone numbers written without a country code (default: the server's).
    #[serde(default)]
    pub region: Option<String>,
    /// Owner of records whose row names none (default: whoever runs the import).
    #[serde(default)]
    pub default_owner_id: Option<Uuid>,
    /// Tags added to every record the import creates or updates.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Value translations (from a preset), e.g. lifecycle `opportunity` → `prospect`.
    #[serde(default)]
    pub values: Vec<ValueMap>,
}

/// One column of the file as analysed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ColumnInfo {
    pub index: usize,
    pub header: String,
    /// The first few non-empty values.
    pub samples: Vec<String>,
    /// The suggested target field, if any.
    pub suggested: Option<String>,
    /// Why: `header`, `values`, `preset` or `none`.
    pub reason: String,
}

/// What reading the file found out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportAnalysis {
    /// `csv`, `xlsx`, `xls`, `ods` or `vcard`.
    pub format: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub columns: Vec<ColumnInfo>,
    /// The built-in preset the headers look like, if any.
    pub preset: Option<String>,
    /// What undoing the import did.
    #[serde(default)]
    pub undo: Option<UndoReport>,
}

/// What undoing an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UndoReport {
    /// Records the import created, now deleted (restorable from the trash).
    pub removed: i64,
    /// Records the import updated, now back as they were.
    pub restored: i64,
    /// Records changed by someone since the import: left as they are.
    pub kept_changed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Import {
    pub id: Uuid,
    pub version: i64,
    pub created_by: Uuid,
    /// What the file mainly holds: `contacts` or `companies`.
    pub entity: ImportEntity,
    #[serde(skip)]
    pub file_id: Uuid,
    pub file_name: String,
    pub status: ImportStatus,
    pub settings: ImportSettings,
    pub analysis: ImportAnalysis,
    /// Data rows in the file (without the header row).
    pub rows_total: i64,
    /// Rows processed so far (committed).
    pub rows_done: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub rejected: i64,
    /// A trial run: every row checked, nothing written.
    pub dry_run: bool,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Import {
    /// Rows per second since the run started.
    pub fn rate(&self, now: DateTime<Utc>) -> Option<f64> {
        let started = self.started_at?;
        let end = self.finished_at.unwrap_or(now);
        let secs = (end - started).num_milliseconds() as f64 / 1000.0;
        (secs > 0.0 && self.rows_done > 0).then(|| self.rows_done as f64 / secs)
    }

    /// Seconds left at the current rate.
    pub fn eta_seconds(&self, now: DateTime<Utc>) -> Option<i64> {
        if self.status != ImportStatus::Running {
            return None;
        }
        let rate = self.rate(now)?;
        Some(((self.rows_total - self.rows_done).max(0) as f64 / rate).ceil() as i64)
    }
}

/// A problem with one cell (or with the row as a whole when `column` is empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CellError {
    pub column: Option<usize>,
    pub header: Option<String>,
    /// The record field, e.g. `phones[0].number`.
    pub field: String,
    pub message: String,
}

/// A row the import refused, with every reason.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportReject {
    /// As a spreadsheet shows it: the header is row 1.
    pub row_number: i64,
    pub errors: Vec<CellError>,
    pub cells: Vec<String>,
}

/// A mapping preset saved by a user.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SavedPreset {
    pub id: Uuid,
    pub name: String,
    pub entity: ImportEntity,
    /// Header (as in the file) → target field.
    pub columns: Vec<(String, String)>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Users an owner column may name: by e-mail or by name (case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct UserDirectory {
    by_email: HashMap<String, Uuid>,
    by_name: HashMap<String, Uuid>,
    emails: HashMap<Uuid, String>,
}

impl UserDirectory {
    pub fn new(users: impl IntoIterator<Item = (Uuid, String, String)>) -> Self {
        let mut d = Self::default();
        for (id, email, name) in users {
            d.by_email.insert(email.to_lowercase(), id);
            d.by_name.entry(fold(&name)).or_insert(id);
            d.emails.insert(id, email);
        }
        d
    }

    pub fn find(&self, s: &str) -> Option<Uuid> {
        let s = s.trim();
        self.by_email.get(&s.to_lowercase()).or_else(|| self.by_name.get(&fold(s))).copied()
    }

    pub fn email_of(&self, id: Uuid) -> Option<&str> {
        self.emails.get(&id).map(String::as_str)
    }
}

/// Everything that turns cells into record input.
pub struct RowContext<'a> {
    pub entity: ImportEntity,
    pub headers: &'a [String],
    pub mapping: &'a [Option<String>],
    pub contact_defs: &'a [CustomFieldDef],
    pub company_defs: &'a [CustomFieldDef],
    pub users: &'a UserDirectory,
    pub values: &'a [ValueMap],
    pub extra_tags: &'a [String],
    pub default_owner: Option<Uuid>,
}

/// Input for one record, and which column each of its fields came from.
#[derive(Debug, Clone, Default)]
pub struct Origins(Vec<(String, usize)>);

impl Origins {
    fn add(&mut self, path: impl Into<String>, column: usize) {
        self.0.push((path.into(), column));
    }

    /// The column a validation error's field came from (longest matching path).
    pub fn column_of(&self, field: &str) -> Option<usize> {
        self.0
            .iter()
            .filter(|(p, _)| field == p || field.starts_with(&format!("{p}.")) || field.starts_with(&format!("{p}[")))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, c)| *c)
    }
}

/// One row read: the contact and/or company it describes, and the problems found while
/// reading the cells (before record validation).
#[derive(Debug, Clone, Default)]
pub struct RowData {
    pub contact: Option<(ContactInput, Origins)>,
    pub company: Option<(CompanyInput, Origins)>,
    pub errors: Vec<CellError>,
    /// Target fields the row has a value for (for `update_fields`).
    pub present: Vec<String>,
}

impl RowData {
    pub fn cell_error(&mut self, ctx: &RowContext<'_>, column: Option<usize>, field: &str, message: impl Into<String>) {
        self.errors.push(CellError {
            column,
            header: column.and_then(|c| ctx.headers.get(c).cloned()),
            field: field.to_owned(),
            message: message.into(),
        });
    }
}

/// Turns a validation error of a record into a cell error of the row.
pub fn locate(ctx: &RowContext<'_>, prefix: &str, origins: &Origins, e: FieldError) -> CellError {
    let column = origins.column_of(&e.field);
    CellError {
        column,
        header: column.and_then(|c| ctx.headers.get(c).cloned()),
        field: format!("{prefix}.{}", e.field),
        message: e.message,
    }
}

#[derive(Default)]
struct Builder {
    first: Option<(String, usize)>,
    last: Option<(String, usize)>,
    middle: Option<(String, usize)>,
    full: Option<(String, usize)>,
    text: HashMap<&'static str, (String, usize)>,
    notes: Vec<(String, usize)>,
    phones: Vec<(String, String, usize)>,
    emails: Vec<(String, String, usize)>,
    tags: Vec<(String, usize)>,
    address: Vec<(&'static str, String, usize)>,
    dates: Vec<(&'static str, NaiveDate, usize)>,
    owner: Option<(Uuid, usize)>,
    custom: Map<String, Value>,
    custom_cols: Vec<(String, usize)>,
    any: bool,
}

/// Reads a date as people write it: `2024-03-15`, `15.03.2024`, `15/03/2024`, `03/15/2024`
/// (when the day cannot be the month), `20240315`, with or without a time after it.
pub fn parse_loose_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let head = s.split(['T', ' ']).next().unwrap_or(s);
    for f in ["%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%y"] {
        if let Ok(d) = NaiveDate::parse_from_str(head, f) {
            return Some(d);
        }
    }
    if head.contains('/') {
        return NaiveDate::parse_from_str(head, "%d/%m/%Y")
            .or_else(|_| NaiveDate::parse_from_str(head, "%m/%d/%Y"))
            .ok();
    }
    if head.len() == 8 && head.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(head, "%Y%m%d").ok();
    }
    None
}

/// The year a date is given when the file has none (`--07-04`, vCard's form): a leap
/// year, so that 29 February survives. Such dates come back every year anyway.
pub const NO_YEAR: i32 = 1904;

/// A day and month without a year: `--07-04` (vCard) or `--0704`.
fn parse_yearless(s: &str) -> Option<NaiveDate> {
    let rest = s.trim().strip_prefix("--")?;
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let month = digits[..2].parse().ok()?;
    let day = digits[2..].parse().ok()?;
    NaiveDate::from_ymd_opt(NO_YEAR, month, day)
}

fn parse_loose_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    parse_loose_date(s).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

/// Lifecycle stage words in the five interface languages.
pub fn lifecycle_word(s: &str) -> Option<&'static str> {
    let f = fold(s);
    Some(match f.as_str() {
        "lead" | "new" | "лид" | "новый" | "нов" | "prospect froid" | "리드" | "잠재고객" => "lead",
        "prospect"
        | "opportunity"
        | "потенциальный"
        | "потенциальный клиент"
        | "в работе"
        | "перспектива"
        | "потенциален"
        | "potentiel"
        | "opportunite"
        | "가망고객" => "prospect",
        "customer" | "client" | "клиент" | "покупатель" | "постоянный клиент" | "клиентка" | "고객" => {
            "customer"
        }
        "churned"
        | "lost"
        | "former customer"
        | "ушел"
        | "ушедший"
        | "бывший клиент"
        | "загубен"
        | "perdu"
        | "ancien client"
        | "이탈"
        | "이탈고객" => "churned",
        _ => return None,
    })
}

fn custom_value(def: &CustomFieldDef, cell: &str, users: &UserDirectory) -> Result<Value, String> {
    Ok(match def.field_type {
        FieldType::Number => json!(cell.replace([' ', '\u{a0}'], "")),
        FieldType::Money => {
            let cleaned = cell.replace([' ', '\u{a0}'], "");
            let (cur, amount): (String, String) = {
                let letters: String = cleaned.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                let num: String =
                    cleaned.chars().filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-')).collect();
                let cur = match letters.to_ascii_uppercase() {
                    c if c.len() == 3 => c,
                    _ if cleaned.contains('€') => "EUR".into(),
                    _ if cleaned.contains('$') => "USD".into(),
                    _ if cleaned.contains('₽') => "RUB".into(),
                    _ if cleaned.contains('₩') => "KRW".into(),
                    _ => return Err(format!("`{cell}` needs a currency, like `1234.50 EUR`")),
                };
                (cur, num.replace(',', "."))
            };
            json!({"amount": amount, "currency": cur})
        }
        FieldType::Date => match parse_loose_date(cell) {
            Some(d) => json!(d.to_string()),
            None => return Err(format!("`{cell}` is not a date")),
        },
        FieldType::Datetime => match parse_loose_datetime(cell) {
            Some(t) => json!(t),
            None => return Err(format!("`{cell}` is not a date and time")),
        },
        FieldType::MultiSelect => json!(split_multi(cell)),
        FieldType::Boolean => match fold(cell).as_str() {
            "true" | "yes" | "1" | "on" | "y" | "да" | "д" | "oui" | "vrai" | "예" | "네" => json!(true),
            "false" | "no" | "0" | "off" | "n" | "нет" | "н" | "не" | "non" | "faux" | "아니오" | "아니요" =>
            {
                json!(false)
            }
            _ => return Err(format!("`{cell}` is not yes or no")),
        },
        FieldType::User => match users.find(cell) {
            Some(id) => json!(id),
            None => return Err(format!("no user with the e-mail or name `{cell}`")),
        },
        _ => json!(cell),
    })
}

impl Builder {
    /// Applies one mapped cell. `side` is `contact` or `company`; `field` the rest of the key.
    fn put(
        &mut self,
        ctx: &RowContext<'_>,
        defs: &[CustomFieldDef],
        field: &str,
        cell: &str,
        col: usize,
        errs: &mut RowData,
    ) {
        self.any = true;
        let owned = || cell.to_owned();
        match field {
            "first_name" => self.first = Some((owned(), col)),
            "last_name" => self.last = Some((owned(), col)),
            "middle_name" => self.middle = Some((owned(), col)),
            "full_name" | "name" => self.full = Some((owned(), col)),
            "title" | "company_role" | "source" | "legal_name" | "tax_number" | "website" | "industry" => {
                let key: &'static str = match field {
                    "title" => "title",
                    "company_role" => "company_role",
                    "source" => "source",
                    "legal_name" => "legal_name",
                    "tax_number" => "tax_number",
                    "website" => "website",
                    _ => "industry",
                };
                self.text.insert(key, (owned(), col));
            }
            "lifecycle" => match lifecycle_word(cell) {
                Some(l) => {
                    self.text.insert("lifecycle", (l.to_owned(), col));
                }
                None => errs.cell_error(
                    ctx,
                    Some(col),
                    "lifecycle",
                    format!("`{cell}` is not a lifecycle stage (lead, prospect, customer, churned)"),
                ),
            },
            "phone" | "phone_mobile" | "phone_work" | "phone_home" | "phone_fax" => {
                let kind = match field {
                    "phone_mobile" => "mobile",
                    "phone_work" => "work",
                    "phone_home" => "home",
                    "phone_fax" => "fax",
                    _ => "other",
                };
                for part in split_multi(cell) {
                    self.phones.push((part.to_owned(), kind.to_owned(), col));
                }
            }
            "email" | "email_work" | "email_personal" => {
                let kind = match field {
                    "email_work" => "work",
                    "email_personal" => "personal",
                    _ => "other",
                };
                for part in split_multi(cell) {
                    self.emails.push((part.to_owned(), kind.to_owned(), col));
                }
            }
            "tags" => {
                for part in split_multi(cell) {
                    self.tags.push((part.to_owned(), col));
                }
            }
            "notes" => self.notes.push((owned(), col)),
            "salutation" => self.notes.push((format!("Salutation: {cell}"), col)),
            "country" if country_code(cell).is_none() && cell.chars().count() != 2 => errs.cell_error(
                ctx,
                Some(col),
                "country",
                format!("`{cell}` is not a country we know: write its two-letter code, like IE or FR"),
            ),
            "street" | "city" | "region" | "postal_code" | "country" => {
                let key: &'static str = match field {
                    "street" => "street",
                    "city" => "city",
                    "region" => "region",
                    "postal_code" => "postal_code",
                    _ => "country",
                };
                self.address.push((key, owned(), col));
            }
            "birthday" | "anniversary" => match parse_loose_date(cell).or_else(|| parse_yearless(cell)) {
                Some(d) => self.dates.push((if field == "birthday" { "birthday" } else { "anniversary" }, d, col)),
                None => errs.cell_error(ctx, Some(col), field, format!("`{cell}` is not a date (like 2024-03-15)")),
            },
            "owner" => match ctx.users.find(cell) {
                Some(id) => self.owner = Some((id, col)),
                None => errs.cell_error(ctx, Some(col), "owner", format!("no user with the e-mail or name `{cell}`")),
            },
            // Kept by the source system only; nothing to store them in.
            "external_id" | "created_at" => {}
            other => {
                if let Some(key) = other.strip_prefix("custom.") {
                    match defs.iter().find(|d| d.key == key) {
                        Some(def) => match custom_value(def, cell, ctx.users) {
                            Ok(v) => {
                                self.custom.insert(key.to_owned(), v);
                                self.custom_cols.push((key.to_owned(), col));
                            }
                            Err(m) => errs.cell_error(ctx, Some(col), &format!("custom_fields.{key}"), m),
                        },
                        None => errs.cell_error(ctx, Some(col), other, "no such custom field"),
                    }
                } else {
                    errs.cell_error(ctx, Some(col), other, "is not a field this import knows");
                }
            }
        }
    }

    fn common(&self, ctx: &RowContext<'_>, o: &mut Origins) -> Common {
        let mut c = Common::default();
        for (i, (n, kind, col)) in self.phones.iter().enumerate() {
            c.phones.push(PhoneInput::Full { number: n.clone(), kind: Some(kind.clone()), e164: None, flag: None });
            o.add(format!("phones[{i}]"), *col);
        }
        for (i, (a, kind, col)) in self.emails.iter().enumerate() {
            c.emails.push(EmailInput::Full { address: a.clone(), kind: Some(kind.clone()) });
            o.add(format!("emails[{i}]"), *col);
        }
        for (i, (t, col)) in self.tags.iter().enumerate() {
            c.tags.push(t.clone());
            o.add(format!("tags[{i}]"), *col);
        }
        c.tags.extend(ctx.extra_tags.iter().cloned());
        if !self.address.is_empty() {
            let mut a = Address::default();
            for (k, v, col) in &self.address {
                let slot = match *k {
                    "street" => &mut a.street,
                    "city" => &mut a.city,
                    "region" => &mut a.region,
                    "postal_code" => &mut a.postal_code,
                    _ => &mut a.country,
                };
                *slot = Some(v.clone());
                o.add(format!("address.{k}"), *col);
            }
            if let Some(code) = a.country.as_deref().and_then(country_code) {
                a.country = Some(code.to_owned());
            }
            c.address = Some(a);
        }
        for (i, (kind, d, col)) in self.dates.iter().enumerate() {
            c.dates.push(ImportantDate { kind: (*kind).to_owned(), label: None, date: *d, yearly: true });
            o.add(format!("important_dates[{i}]"), *col);
        }
        if !self.notes.is_empty() {
            c.notes = Some(self.notes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("\n"));
            o.add("notes", self.notes[0].1);
        }
        for (k, col) in &self.custom_cols {
            o.add(format!("custom_fields.{k}"), *col);
        }
        c.owner = self.owner.map(|(id, col)| {
            o.add("owner_id", col);
            id
        });
        for (k, (_, col)) in &self.text {
            o.add(*k, *col);
        }
        c
    }

    fn text(&self, k: &str) -> Option<String> {
        self.text.get(k).map(|(v, _)| v.clone())
    }

    fn contact(&self, ctx: &RowContext<'_>) -> (ContactInput, Origins) {
        let mut o = Origins::default();
        let c = self.common(ctx, &mut o);
        let (mut first, mut last) = (self.first.clone(), self.last.clone());
        let mut display = None;
        if let Some((full, col)) = &self.full {
            if first.is_none() && last.is_none() {
                let words: Vec<&str> = full.split_whitespace().collect();
                let cyrillic = full.chars().any(|ch| ('\u{400}'..='\u{4ff}').contains(&ch));
                match words.as_slice() {
                    // "Иванов Иван Иванович": family name first.
                    [l, f, m] if cyrillic => {
                        last = Some(((*l).to_owned(), *col));
                        first = Some((format!("{f} {m}"), *col));
                    }
                    [f, l] => {
                        first = Some(((*f).to_owned(), *col));
                        last = Some(((*l).to_owned(), *col));
                    }
                    _ => {}
                }
            }
            display = Some(full.clone());
            o.add("display_name", *col);
        }
        if let Some((m, mcol)) = &self.middle {
            match &mut first {
                Some((f, _)) => {
                    f.push(' ');
                    f.push_str(m);
                }
                None => first = Some((m.clone(), *mcol)),
            }
        }
        if let Some((_, col)) = &first {
            o.add("first_name", *col);
        }
        if let Some((_, col)) = &last {
            o.add("last_name", *col);
        }
        let input = ContactInput {
            first_name: first.map(|f| f.0),
            last_name: last.map(|l| l.0),
            display_name: display,
            title: self.text("title"),
            company_id: None,
            company_role: self.text("company_role"),
            owner_id: c.owner.or(ctx.default_owner),
            source: self.text("source"),
            lifecycle: self.text("lifecycle"),
            phones: c.phones,
            emails: c.emails,
            address: c.address,
            important_dates: c.dates,
            notes: c.notes,
            tags: c.tags,
            custom_fields: self.custom.clone(),
            last_contacted_at: None,
        };
        (input, o)
    }

    fn company(&self, ctx: &RowContext<'_>) -> (CompanyInput, Origins) {
        let mut o = Origins::default();
        let c = self.common(ctx, &mut o);
        let name = self.full.clone();
        if let Some((_, col)) = &name {
            o.add("name", *col);
        }
        let input = CompanyInput {
            name: name.map(|n| n.0),
            legal_name: self.text("legal_name"),
            tax_number: self.text("tax_number"),
            website: self.text("website"),
            industry: self.text("industry"),
            owner_id: c.owner.or(ctx.default_owner),
            source: self.text("source"),
            lifecycle: self.text("lifecycle"),
            phones: c.phones,
            emails: c.emails,
            address: c.address,
            important_dates: c.dates,
            notes: c.notes,
            tags: c.tags,
            custom_fields: self.custom.clone(),
            last_contacted_at: None,
        };
        (input, o)
    }
}

#[derive(Default)]
struct Common {
    phones: Vec<PhoneInput>,
    emails: Vec<EmailInput>,
    tags: Vec<String>,
    address: Option<Address>,
    dates: Vec<ImportantDate>,
    notes: Option<String>,
    owner: Option<Uuid>,
}

/// A country written as a name in one of the interface languages, or as a code.
pub fn country_code(s: &str) -> Option<&'static str> {
    let f = fold(s);
    Some(match f.as_str() {
        "ru"
        | "russia"
        | "russian federation"
        | "россия"
        | "рф"
        | "российская федерация"
        | "russie"
        | "русия"
        | "러시아" => "RU",
        "fr" | "france" | "франция" | "프랑스" => "FR",
        "kr"
        | "south korea"
        | "korea"
        | "republic of korea"
        | "корея"
        | "южная корея"
        | "coree du sud"
        | "corée du sud"
        | "южна корея"
        | "대한민국"
        | "한국" => "KR",
        "bg" | "bulgaria" | "болгария" | "bulgarie" | "българия" | "불가리아" => "BG",
        "us" | "usa" | "united states" | "united states of america" | "сша" | "etats-unis" | "сащ" | "미국" => {
            "US"
        }
        "gb"
        | "uk"
        | "united kingdom"
        | "great britain"
        | "england"
        | "scotland"
        | "wales"
        | "великобритания"
        | "royaume-uni"
        | "영국" => "GB",
        "de" | "germany" | "deutschland" | "германия" | "allemagne" | "германия (germany)" | "독일" => {
            "DE"
        }
        "ua" | "ukraine" | "украина" => "UA",
        "by" | "belarus" | "беларусь" => "BY",
        "kz" | "kazakhstan" | "казахстан" => "KZ",
        "ie" | "ireland" | "ирландия" | "irlande" | "ирландия (ireland)" | "아일랜드" => "IE",
        "it" | "italy" | "италия" | "italie" | "италия (italy)" | "이탈리아" => "IT",
        "es" | "spain" | "испания" | "espagne" | "испания (spain)" | "스페인" => "ES",
        "pt" | "portugal" | "португалия" | "포르투갈" => "PT",
        "nl" | "netherlands" | "the netherlands" | "holland" | "нидерланды" | "pays-bas" | "네덜란드" => {
            "NL"
        }
        "be" | "belgium" | "бельгия" | "belgique" | "벨기에" => "BE",
        "ch" | "switzerland" | "швейцария" | "suisse" | "스위스" => "CH",
        "at" | "austria" | "австрия" | "autriche" | "오스트리아" => "AT",
        "pl" | "poland" | "польша" | "pologne" | "полша" | "폴란드" => "PL",
        "cz" | "czechia" | "czech republic" | "чехия" | "tchequie" | "чехия (czechia)" | "체코" => "CZ",
        "se" | "sweden" | "швеция" | "suede" | "швеция (sweden)" | "스웨덴" => "SE",
        "no" | "norway" | "норвегия" | "norvege" | "노르웨이" => "NO",
        "dk" | "denmark" | "дания" | "danemark" | "덴마크" => "DK",
        "fi" | "finland" | "финляндия" | "finlande" | "핀란드" => "FI",
        "gr" | "greece" | "греция" | "grece" | "гърция" | "그리스" => "GR",
        "ro" | "romania" | "румыния" | "roumanie" | "румъния" | "루마니아" => "RO",
        "rs" | "serbia" | "сербия" | "serbie" | "сърбия" | "세르비아" => "RS",
        "tr" | "turkey" | "turkiye" | "турция" | "turquie" | "турция (turkey)" | "튀르키예" | "터키" => {
            "TR"
        }
        "cn" | "china" | "китай" | "chine" | "중국" => "CN",
        "jp" | "japan" | "япония" | "japon" | "일본" => "JP",
        "in" | "india" | "индия" | "inde" | "인도" => "IN",
        "ca" | "canada" | "канада" | "캐나다" => "CA",
        "au" | "australia" | "австралия" | "australie" | "호주" => "AU",
        "br" | "brazil" | "бразилия" | "bresil" | "브라질" => "BR",
        "mx" | "mexico" | "мексика" | "mexique" | "멕시코" => "MX",
        "ae" | "united arab emirates" | "uae" | "оаэ" | "emirats arabes unis" | "아랍에미리트" => "AE",
        "il" | "israel" | "израиль" | "이스라엘" => "IL",
        "ge" | "georgia" | "грузия" | "georgie" | "조지아" => "GE",
        "am" | "armenia" | "армения" | "armenie" | "아르메니아" => "AM",
        "az" | "azerbaijan" | "азербайджан" | "아제르바이잔" => "AZ",
        "uz" | "uzbekistan" | "узбекистан" | "우즈베키스탄" => "UZ",
        "kg" | "kyrgyzstan" | "киргизия" | "кыргызстан" => "KG",
        "md" | "moldova" | "молдова" | "молдавия" => "MD",
        "lt" | "lithuania" | "литва" | "lituanie" => "LT",
        "lv" | "latvia" | "латвия" | "lettonie" => "LV",
        "ee" | "estonia" | "эстония" | "estonie" => "EE",
        "cy" | "cyprus" | "кипр" | "chypre" => "CY",
        "sg" | "singapore" | "сингапур" | "싱가포르" => "SG",
        "vn" | "vietnam" | "viet nam" | "вьетнам" | "베트남" => "VN",
        "th" | "thailand" | "таиланд" | "thailande" | "태국" => "TH",
        _ => return None,
    })
}

/// Reads one row into record input. Cells are trimmed; empty cells are absent values.
pub fn read_row(ctx: &RowContext<'_>, cells: &[String]) -> RowData {
    let mut out = RowData::default();
    let mut contact = Builder::default();
    let mut company = Builder::default();
    for (col, target) in ctx.mapping.iter().enumerate() {
        let Some(target) = target.as_deref().filter(|t| *t != "ignore") else { continue };
        let Some(cell) = cells.get(col).map(|c| c.trim()).filter(|c| !c.is_empty()) else { continue };
        let cell = map_value(ctx.values, target, cell);
        // Line breaks inside a one-line field (a spreadsheet cell wrapped by hand) become spaces.
        let joined;
        let cell = if !target.ends_with(".notes") && !target.ends_with(".street") && cell.contains(['\n', '\r', '\t']) {
            joined = cell.split_whitespace().collect::<Vec<_>>().join(" ");
            joined.as_str()
        } else {
            cell
        };
        if !out.present.iter().any(|p| p == target) {
            out.present.push(target.to_owned());
        }
        if let Some(field) = target.strip_prefix("contact.") {
            contact.put(ctx, ctx.contact_defs, field, cell, col, &mut out);
        } else if let Some(field) = target.strip_prefix("company.") {
            company.put(ctx, ctx.company_defs, field, cell, col, &mut out);
        } else {
            out.cell_error(ctx, Some(col), target, "is not a field this import knows");
        }
    }
    // A contact-only field on the company side (or the reverse) cannot occur: keys are
    // prefixed. A company needs at least its name; a contact any of its fields.
    if company.any {
        let (input, origins) = company.company(ctx);
        if input.name.is_none() && ctx.entity == ImportEntity::Contacts {
            // Company details without a company name: nothing to attach them to.
            if company.text.contains_key("tax_number") {
                out.company = Some((input, origins));
            }
        } else {
            out.company = Some((input, origins));
        }
    }
    if contact.any {
        out.contact = Some(contact.contact(ctx));
    }
    if out.contact.is_none() && out.company.is_none() && out.errors.is_empty() {
        out.cell_error(ctx, None, "row", "the row has no value in any mapped column");
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ctx<'a>(headers: &'a [String], mapping: &'a [Option<String>], users: &'a UserDirectory) -> RowContext<'a> {
        RowContext {
            entity: ImportEntity::Contacts,
            headers,
            mapping,
            contact_defs: &[],
            company_defs: &[],
            users,
            values: &[],
            extra_tags: &[],
            default_owner: None,
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dates_as_people_write_them() {
        let d = |s| parse_loose_date(s).map(|d| d.to_string());
        assert_eq!(d("2024-03-15").as_deref(), Some("2024-03-15"));
        assert_eq!(d("15.03.2024").as_deref(), Some("2024-03-15"));
        assert_eq!(d("15/03/2024").as_deref(), Some("2024-03-15"));
        assert_eq!(d("03/15/2024").as_deref(), Some("2024-03-15"));
        assert_eq!(d("20240315").as_deref(), Some("2024-03-15"));
        assert_eq!(d("2024-03-15T10:00:00").as_deref(), Some("2024-03-15"));
        assert_eq!(d("yesterday"), None);
        assert_eq!(parse_yearless("--07-04").map(|d| d.to_string()).as_deref(), Some("1904-07-04"));
        assert_eq!(parse_yearless("--0229").map(|d| d.to_string()).as_deref(), Some("1904-02-29"));
        assert_eq!(parse_yearless("--13-01"), None);
    }

    #[test]
    fn a_row_becomes_a_contact_and_its_company() {
        let users = UserDirectory::new([(Uuid::nil(), "boss@example.test".to_owned(), "Big Boss".to_owned())]);
        let headers = strings(&["ФИО", "Телефон", "Компания", "ИНН", "Ответственный", "Статус"]);
        let mapping: Vec<Option<String>> = [
            "contact.full_name",
            "contact.phone",
            "company.name",
            "company.tax_number",
            "contact.owner",
            "contact.lifecycle",
        ]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect();
        let c = ctx(&headers, &mapping, &users);
        let row = read_row(
            &c,
            &strings(&[
                "Иванов Иван Иванович",
                "8 (495) 123-45-67, +7 916 555-12-34",
                "Ромашка",
                "7701234567",
                "big boss",
                "клиент",
            ]),
        );
        assert!(row.errors.is_empty(), "{:?}", row.errors);
        let (contact, origins) = row.contact.unwrap();
        assert_eq!(contact.last_name.as_deref(), Some("Иванов"));
        assert_eq!(contact.first_name.as_deref(), Some("Иван Иванович"));
        assert_eq!(contact.phones.len(), 2);
        assert_eq!(contact.owner_id, Some(Uuid::nil()));
        assert_eq!(contact.lifecycle.as_deref(), Some("customer"));
        assert_eq!(origins.column_of("phones[1].number"), Some(1));
        let (company, _) = row.company.unwrap();
        assert_eq!(company.name.as_deref(), Some("Ромашка"));
        assert_eq!(company.tax_number.as_deref(), Some("7701234567"));
    }

    #[test]
    fn cell_problems_name_their_column() {
        let users = UserDirectory::default();
        let headers = strings(&["Name", "Owner", "Birthday", "Stage"]);
        let mapping: Vec<Option<String>> =
            ["contact.full_name", "contact.owner", "contact.birthday", "contact.lifecycle"]
                .iter()
                .map(|s| Some(s.to_string()))
                .collect();
        let c = ctx(&headers, &mapping, &users);
        let row = read_row(&c, &strings(&["Ann Lee", "nobody@example.test", "soon", "sleeping"]));
        let cols: Vec<Option<usize>> = row.errors.iter().map(|e| e.column).collect();
        assert_eq!(cols, vec![Some(1), Some(2), Some(3)]);
        assert_eq!(row.errors[0].header.as_deref(), Some("Owner"));
        assert!(row.errors[1].message.contains("soon"));
    }

    #[test]
    fn lifecycle_words_and_countries() {
        assert_eq!(lifecycle_word("Клиент"), Some("customer"));
        assert_eq!(lifecycle_word("Opportunité"), Some("prospect"));
        assert_eq!(lifecycle_word("고객"), Some("customer"));
        assert_eq!(country_code("Россия"), Some("RU"));
        assert_eq!(country_code("France"), Some("FR"));
        assert_eq!(country_code("대한민국"), Some("KR"));
        assert_eq!(country_code("Narnia"), None);
    }
}
