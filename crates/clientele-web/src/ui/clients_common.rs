//! What the contact and company pages share: form and query parsing, field errors, pickers
//! (users, companies, lifecycle), the record form model, the filter builder and list columns.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use clientele_core::authz::Actor;
use clientele_core::domain::client::{COMPANY_ROLES, EMAIL_KINDS, Lifecycle, PHONE_KINDS};
use clientele_core::domain::custom_field::{CustomFieldDef, FieldType};
use clientele_core::domain::page::PageRequest;
use clientele_core::service::{ListRequest, Services};
use clientele_core::{Error, FieldError};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Chrome;
use super::settings::Errs;
use crate::auth::urlencode;

/// Contacts or companies: the pages are the same shape.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ent {
    Contact,
    Company,
}

impl Ent {
    pub fn key(self) -> &'static str {
        match self {
            Ent::Contact => "contact",
            Ent::Company => "company",
        }
    }

    pub fn base(self) -> &'static str {
        match self {
            Ent::Contact => "/contacts",
            Ent::Company => "/companies",
        }
    }

    pub fn nav_key(self) -> &'static str {
        match self {
            Ent::Contact => "nav-contacts",
            Ent::Company => "nav-companies",
        }
    }
}

/// Form fields or query parameters in order, repeated names kept (checkboxes, rows).
#[derive(Default, Debug, Clone)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    pub fn from_bytes(b: &[u8]) -> Self {
        Self(serde_urlencoded::from_bytes(b).unwrap_or_default())
    }

    pub fn from_query(q: Option<&str>) -> Self {
        Self::from_bytes(q.unwrap_or("").as_bytes())
    }

    /// The first value of `k`, trimmed; empty counts as absent.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn str(&self, k: &str) -> String {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, k: &str) -> Vec<String> {
        self.0.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect()
    }

    pub fn has(&self, k: &str) -> bool {
        self.0.iter().any(|(n, _)| n == k)
    }

    pub fn uuid(&self, k: &str) -> Option<Uuid> {
        self.get(k).and_then(|v| Uuid::parse_str(v).ok())
    }

    /// A `YYYY-MM-DD` date field: absent when empty, an error naming the field when it does
    /// not parse.
    pub fn date(&self, k: &str) -> Result<Option<chrono::NaiveDate>, Error> {
        self.get(k)
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
            .transpose()
            .map_err(|_| Error::invalid(k, "must be a date like 2026-12-31"))
    }
}

/// A service error as a form shows it: field errors (422), a duplicate (409, with the
/// existing record), a stale version (412), or an error page.
pub enum FormProblem {
    Fields(StatusCode, Errs),
    Duplicate { message: String, field: Option<String>, existing_id: Option<Uuid> },
    Stale,
}

pub fn form_problem(e: Error) -> Result<FormProblem, Error> {
    match e {
        Error::Validation(v) => Ok(FormProblem::Fields(StatusCode::UNPROCESSABLE_ENTITY, Errs(v))),
        Error::Conflict { message, field, existing_id } => Ok(FormProblem::Duplicate { message, field, existing_id }),
        Error::PreconditionFailed { .. } => Ok(FormProblem::Stale),
        other => Err(other),
    }
}

pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// (value, label) of every lifecycle stage.
pub fn lifecycles(c: &Chrome) -> Vec<(String, String)> {
    Lifecycle::ALL.iter().map(|l| (l.as_str().to_owned(), c.t.get(&format!("lifecycle-{}", l.as_str())))).collect()
}

pub fn lifecycle_label(c: &Chrome, l: Lifecycle) -> String {
    c.t.get(&format!("lifecycle-{}", l.as_str()))
}

/// Active users as (id, name), for owner pickers.
pub async fn users(s: &Services, actor: &Actor) -> Vec<(String, String)> {
    let Ok(page) = PageRequest::parse(Some(500), None, Some("name"), crate::api::USER_SORTS, "name") else {
        return vec![];
    };
    s.list_users(actor, &page, None)
        .await
        .map(|p| p.data.into_iter().filter(|u| u.active).map(|u| (u.id.to_string(), u.name)).collect())
        .unwrap_or_default()
}

/// Companies as (id, name) by name, for the company picker.
pub async fn companies(s: &Services, actor: &Actor) -> Vec<(String, String)> {
    let req = ListRequest { sort: Some("name".into()), limit: Some(500), ..Default::default() };
    s.list_companies(actor, &req)
        .await
        .map(|p| p.data.into_iter().map(|c| (c.id.to_string(), c.name)).collect())
        .unwrap_or_default()
}

pub fn name_of(list: &[(String, String)], id: Option<Uuid>) -> String {
    let Some(id) = id else { return String::new() };
    let s = id.to_string();
    list.iter().find(|(i, _)| *i == s).map(|(_, n)| n.clone()).unwrap_or_default()
}

pub fn role_label(c: &Chrome, role: &str) -> String {
    if COMPANY_ROLES.contains(&role) { c.t.get(&format!("company-role-{role}")) } else { role.to_owned() }
}

pub fn role_options(c: &Chrome) -> Vec<(String, String)> {
    COMPANY_ROLES.iter().map(|r| ((*r).to_owned(), c.t.get(&format!("company-role-{r}")))).collect()
}

/// Text of a JSON value for display.
pub fn show(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        Value::Object(o) => {
            if let (Some(a), Some(c)) = (o.get("amount"), o.get("currency")) {
                format!("{} {}", show(a), show(c))
            } else {
                o.values().map(show).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")
            }
        }
    }
}

/// A custom field value as its card shows it (users by name, booleans as words).
pub fn show_custom(c: &Chrome, def: &CustomFieldDef, v: &Value, users: &[(String, String)]) -> String {
    match def.field_type {
        FieldType::Boolean => c.t.get(if v.as_bool() == Some(true) { "word-yes" } else { "word-no" }),
        FieldType::User => {
            let id = v.as_str().unwrap_or_default();
            users.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_owned())
        }
        FieldType::Datetime => v.as_str().map(|s| s.replace('T', " ").replace('Z', " UTC")).unwrap_or_default(),
        _ => show(v),
    }
}

// ---------------------------------------------------------------------------------------
// The record form
// ---------------------------------------------------------------------------------------

/// One custom field as a form input.
pub struct CfInput {
    pub key: String,
    pub name: String,
    pub label: String,
    pub ftype: &'static str,
    pub value: String,
    pub currency: String,
    pub checked: bool,
    /// (value, label, selected) for select, multi-select and user fields.
    pub choices: Vec<(String, String, bool)>,
    pub required: bool,
    pub field: String,
}

/// Values of the form as typed (for showing it again), and the record JSON built from them.
#[derive(Default)]
pub struct FormValues {
    pub v: BTreeMap<String, String>,
    pub phones: Vec<(String, String)>,
    pub emails: Vec<(String, String)>,
    pub dates: Vec<(String, String, bool)>,
    /// Custom field values: key → (value(s), currency).
    pub cf: HashMap<String, (Vec<String>, String)>,
}

pub const CONTACT_FIELDS: &[&str] =
    &["first_name", "last_name", "display_name", "title", "company_id", "owner_id", "source", "lifecycle", "notes"];
pub const COMPANY_FIELDS: &[&str] =
    &["name", "legal_name", "tax_number", "website", "industry", "owner_id", "source", "lifecycle", "notes"];
pub const ADDRESS_PARTS: &[&str] = &["street", "city", "postal_code", "region", "country"];

fn scalar_fields(ent: Ent) -> &'static [&'static str] {
    match ent {
        Ent::Contact => CONTACT_FIELDS,
        Ent::Company => COMPANY_FIELDS,
    }
}

impl FormValues {
    /// The values of a stored record (its JSON), for the edit form.
    pub fn from_record(ent: Ent, rec: &Value, defs: &[CustomFieldDef]) -> Self {
        let mut f = FormValues::default();
        for k in scalar_fields(ent) {
            f.v.insert((*k).to_owned(), show(rec.get(*k).unwrap_or(&Value::Null)));
        }
        if ent == Ent::Contact {
            // The display name is shown only when it is not simply "first last".
            let joined = [rec.get("first_name"), rec.get("last_name")]
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ");
            if f.v.get("display_name").map(String::as_str) == Some(joined.as_str()) {
                f.v.insert("display_name".into(), String::new());
            }
        }
        for part in ADDRESS_PARTS {
            let v = rec.get("address").and_then(|a| a.get(*part)).map(show).unwrap_or_default();
            f.v.insert(format!("address.{part}"), v);
        }
        let tags: Vec<String> = rec
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        f.v.insert("tags".into(), tags.join(", "));
        for p in rec.get("phones").and_then(Value::as_array).into_iter().flatten() {
            f.phones.push((show(&p["number"]), show(&p["kind"])));
        }
        for e in rec.get("emails").and_then(Value::as_array).into_iter().flatten() {
            f.emails.push((show(&e["address"]), show(&e["kind"])));
        }
        for d in rec.get("important_dates").and_then(Value::as_array).into_iter().flatten() {
            f.dates.push((show(&d["kind"]), show(&d["date"]), d["yearly"].as_bool().unwrap_or(true)));
        }
        f.read_custom_record(rec, defs);
        f
    }

    /// Reads a submitted form: the values as typed and the record JSON, plus errors found
    /// before the service sees it (ids and dates that do not parse).
    pub fn read(
        ent: Ent,
        p: &Pairs,
        defs: &[CustomFieldDef],
        creating: bool,
    ) -> (Self, Map<String, Value>, Vec<FieldError>) {
        let mut f = FormValues::default();
        let mut m = Map::new();
        let mut errs = Vec::new();
        for k in scalar_fields(ent) {
            let raw = p.str(k);
            f.v.insert((*k).to_owned(), raw.clone());
            let t = raw.trim();
            let val = if t.is_empty() {
                Value::Null
            } else if k.ends_with("_id") {
                match Uuid::parse_str(t) {
                    Ok(u) => json!(u),
                    Err(_) => {
                        errs.push(FieldError::new(*k, "is not a valid id"));
                        Value::Null
                    }
                }
            } else {
                json!(raw)
            };
            if t.is_empty() && creating && *k == "owner_id" {
                continue; // the creator by default
            }
            m.insert((*k).to_owned(), val);
        }
        if ent == Ent::Contact && creating {
            let role = p.str("company_role");
            f.v.insert("company_role".into(), role.clone());
            if !role.trim().is_empty() {
                m.insert("company_role".into(), json!(role));
            }
        }
        let mut addr = Map::new();
        for part in ADDRESS_PARTS {
            let raw = p.str(&format!("address.{part}"));
            f.v.insert(format!("address.{part}"), raw.clone());
            if !raw.trim().is_empty() {
                addr.insert((*part).to_owned(), json!(raw));
            }
        }
        m.insert("address".into(), if addr.is_empty() { Value::Null } else { Value::Object(addr) });
        let tags_raw = p.str("tags");
        let tags: Vec<String> =
            tags_raw.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
        f.v.insert("tags".into(), tags_raw);
        m.insert("tags".into(), json!(tags));

        let kinds = p.all("phone_kind");
        for (i, n) in p.all("phone_number").into_iter().enumerate() {
            let kind = kinds.get(i).cloned().unwrap_or_default();
            if !n.trim().is_empty() {
                f.phones.push((n, kind));
            }
        }
        m.insert("phones".into(), f.phones.iter().map(|(n, k)| json!({"number": n, "kind": k})).collect());
        let kinds = p.all("email_kind");
        for (i, a) in p.all("email_address").into_iter().enumerate() {
            let kind = kinds.get(i).cloned().unwrap_or_default();
            if !a.trim().is_empty() {
                f.emails.push((a, kind));
            }
        }
        m.insert("emails".into(), f.emails.iter().map(|(a, k)| json!({"address": a, "kind": k})).collect());
        let dkinds = p.all("date_kind");
        let yearly = p.all("date_yearly");
        let mut dates = Vec::new();
        for (i, d) in p.all("date_value").into_iter().enumerate() {
            let kind = dkinds.get(i).cloned().unwrap_or_default();
            let y = yearly.get(i).map(|y| y != "no").unwrap_or(true);
            if d.trim().is_empty() {
                continue;
            }
            let idx = f.dates.len();
            f.dates.push((kind.clone(), d.clone(), y));
            match chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
                Ok(date) => dates.push(json!({"kind": kind, "date": date, "yearly": y})),
                Err(_) => {
                    errs.push(FieldError::new(format!("important_dates[{idx}].date"), "must be a date like 1990-05-17"))
                }
            }
        }
        m.insert("important_dates".into(), Value::Array(dates));

        let cf = f.read_custom(p, defs);
        m.insert("custom_fields".into(), Value::Object(cf));
        (f, m, errs)
    }

    /// The custom field values of a stored record (its JSON), for an edit form.
    pub fn read_custom_record(&mut self, rec: &Value, defs: &[CustomFieldDef]) {
        let cf = rec.get("custom_fields").and_then(Value::as_object).cloned().unwrap_or_default();
        for d in defs {
            let v = cf.get(&d.key).cloned().unwrap_or(Value::Null);
            let entry = match d.field_type {
                FieldType::MultiSelect => (
                    v.as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default(),
                    String::new(),
                ),
                FieldType::Money => (vec![show(&v["amount"])], show(&v["currency"])),
                FieldType::Datetime => {
                    (vec![v.as_str().map(|s| s.chars().take(16).collect()).unwrap_or_default()], String::new())
                }
                _ => (vec![show(&v)], String::new()),
            };
            self.cf.insert(d.key.clone(), entry);
        }
    }

    /// Reads the custom field inputs of a submitted form (`cf.<key>` names) into the values as
    /// typed and the `custom_fields` JSON.
    pub fn read_custom(&mut self, p: &Pairs, defs: &[CustomFieldDef]) -> Map<String, Value> {
        let mut cf = Map::new();
        for d in defs {
            let name = format!("cf.{}", d.key);
            let values: Vec<String> = p.all(&name).into_iter().filter(|v| !v.trim().is_empty()).collect();
            let first = values.first().cloned().unwrap_or_default();
            let currency = p.str(&format!("{name}.currency"));
            let value = match d.field_type {
                FieldType::MultiSelect => (!values.is_empty()).then(|| json!(values)),
                FieldType::Boolean => Some(json!(!values.is_empty())),
                FieldType::Money => {
                    let amount = p.str(&format!("{name}.amount"));
                    self.cf.insert(d.key.clone(), (vec![amount.clone()], currency.clone()));
                    (!amount.trim().is_empty()).then(|| json!({"amount": amount.trim(), "currency": currency.trim()}))
                }
                FieldType::Datetime => (!first.is_empty()).then(|| {
                    let s = first.trim();
                    if s.len() == 16 { json!(format!("{s}:00Z")) } else { json!(s) }
                }),
                _ => (!first.is_empty()).then(|| json!(first)),
            };
            if d.field_type != FieldType::Money {
                self.cf.insert(d.key.clone(), (values.clone(), String::new()));
            }
            if let Some(v) = value {
                cf.insert(d.key.clone(), v);
            }
        }
        cf
    }

    pub fn val(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }

    /// Custom field inputs for the form, labelled and typed by their definitions.
    pub fn custom_inputs(&self, defs: &[CustomFieldDef], users: &[(String, String)]) -> Vec<CfInput> {
        defs.iter()
            .map(|d| {
                let (values, currency) = self.cf.get(&d.key).cloned().unwrap_or_default();
                let value = values.first().cloned().unwrap_or_default();
                let choices = match d.field_type {
                    FieldType::Select | FieldType::MultiSelect => {
                        d.options.iter().map(|o| (o.clone(), o.clone(), values.contains(o))).collect()
                    }
                    FieldType::User => users.iter().map(|(id, n)| (id.clone(), n.clone(), *id == value)).collect(),
                    _ => vec![],
                };
                CfInput {
                    key: d.key.clone(),
                    name: format!("cf.{}", d.key),
                    label: d.label.clone(),
                    ftype: d.field_type.as_str(),
                    checked: matches!(value.as_str(), "true" | "on" | "yes" | "1"),
                    value,
                    currency,
                    choices,
                    required: d.required,
                    field: format!("custom_fields.{}", d.key),
                }
            })
            .collect()
    }
}

/// Everything a record form template needs.
pub struct FormView {
    pub ent: &'static str,
    pub action: String,
    pub cancel: String,
    pub editing: bool,
    pub version: i64,
    pub f: FormValues,
    pub cfs: Vec<CfInput>,
    pub users: Vec<(String, String)>,
    pub companies: Vec<(String, String)>,
    pub lifecycles: Vec<(String, String)>,
    pub phone_kinds: Vec<(String, String)>,
    pub email_kinds: Vec<(String, String)>,
    pub roles: Vec<(String, String)>,
    pub errs: Errs,
    /// A duplicate: (message, link to the existing record).
    pub duplicate: Option<(String, String)>,
    pub stale: bool,
}

impl FormView {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errs.get(field)
    }

    pub fn has_err(&self, field: &str) -> bool {
        self.errs.get(field).is_some()
    }

    /// Errors about fields the form does not show.
    pub fn other_errors(&self) -> Vec<String> {
        self.errs
            .0
            .iter()
            .filter(|e| {
                let f = e.field.as_str();
                !(scalar_fields(if self.ent == "company" { Ent::Company } else { Ent::Contact }).contains(&f)
                    || f.starts_with("phones[")
                    || f.starts_with("emails[")
                    || f.starts_with("important_dates[")
                    || f.starts_with("address.")
                    || f.starts_with("custom_fields.")
                    || f == "company_role"
                    || f.starts_with("tags"))
            })
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    /// Phone rows to show: the typed ones plus empty rows (at least three).
    pub fn phone_rows(&self) -> Vec<(usize, String, String)> {
        let mut v: Vec<(usize, String, String)> =
            self.f.phones.iter().enumerate().map(|(i, (n, k))| (i, n.clone(), k.clone())).collect();
        while v.len() < 3.max(self.f.phones.len() + 1) {
            v.push((v.len(), String::new(), String::new()));
        }
        v
    }

    pub fn email_rows(&self) -> Vec<(usize, String, String)> {
        let mut v: Vec<(usize, String, String)> =
            self.f.emails.iter().enumerate().map(|(i, (n, k))| (i, n.clone(), k.clone())).collect();
        while v.len() < 3.max(self.f.emails.len() + 1) {
            v.push((v.len(), String::new(), String::new()));
        }
        v
    }

    pub fn date_rows(&self) -> Vec<(usize, String, String, bool)> {
        let mut v: Vec<(usize, String, String, bool)> =
            self.f.dates.iter().enumerate().map(|(i, (k, d, y))| (i, k.clone(), d.clone(), *y)).collect();
        while v.len() < 2.max(self.f.dates.len() + 1) {
            v.push((v.len(), String::new(), String::new(), true));
        }
        v
    }

    pub fn phone_err(&self, i: &usize) -> Option<String> {
        self.errs.get(&format!("phones[{i}].number")).or_else(|| self.errs.get(&format!("phones[{i}].kind")))
    }

    pub fn email_err(&self, i: &usize) -> Option<String> {
        self.errs.get(&format!("emails[{i}].address")).or_else(|| self.errs.get(&format!("emails[{i}].kind")))
    }

    pub fn date_err(&self, i: &usize) -> Option<String> {
        self.errs
            .get(&format!("important_dates[{i}].date"))
            .or_else(|| self.errs.get(&format!("important_dates[{i}].kind")))
    }

    pub fn val(&self, k: &str) -> String {
        self.f.val(k)
    }

    pub fn tag_errors(&self) -> Vec<String> {
        self.errs.0.iter().filter(|e| e.field.starts_with("tags")).map(|e| e.message.clone()).collect()
    }

    pub fn is(&self, k: &str, v: &str) -> bool {
        self.f.val(k) == v
    }
}

pub fn kinds(c: &Chrome, prefix: &str, list: &[&str]) -> Vec<(String, String)> {
    list.iter().map(|k| ((*k).to_owned(), c.t.get(&format!("{prefix}-{k}")))).collect()
}

pub fn phone_kinds(c: &Chrome) -> Vec<(String, String)> {
    kinds(c, "phone-kind", &PHONE_KINDS)
}

pub fn email_kinds(c: &Chrome) -> Vec<(String, String)> {
    kinds(c, "email-kind", &EMAIL_KINDS)
}

// ---------------------------------------------------------------------------------------
// Lists: columns, quick filters, the filter builder
// ---------------------------------------------------------------------------------------

pub const OPS: &[&str] = &[
    "eq",
    "ne",
    "contains",
    "starts_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "is_empty",
    "is_not_empty",
    "has",
    "lacks",
    "older_than_days",
    "within_last_days",
    "in_next_days",
];

/// One row of the filter builder.
#[derive(Clone, Debug, Default)]
pub struct FbRow {
    pub field: String,
    pub op: String,
    pub value: String,
}

fn cond(field: &str, op: &str, value: Value) -> Value {
    json!({"field": field, "op": op, "value": value})
}

/// The builder's rows as a filter (one group: AND or OR of the rows).
pub fn rows_to_filter(rows: &[FbRow], join: &str, defs: &[CustomFieldDef]) -> Option<Value> {
    let conds: Vec<Value> = rows
        .iter()
        .filter(|r| !r.field.trim().is_empty() && !r.op.trim().is_empty())
        .map(|r| cond(r.field.trim(), r.op.trim(), row_value(r, defs)))
        .collect();
    match conds.len() {
        0 => None,
        1 => conds.into_iter().next(),
        _ => Some(if join == "or" { json!({"or": conds}) } else { json!({"and": conds}) }),
    }
}

fn row_value(r: &FbRow, defs: &[CustomFieldDef]) -> Value {
    let v = r.value.trim();
    match r.op.as_str() {
        "is_empty" | "is_not_empty" => return Value::Null,
        "older_than_days" | "within_last_days" | "in_next_days" => {
            return v.parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| json!(v));
        }
        "in" => return json!(v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>()),
        _ => {}
    }
    let def = r.field.strip_prefix("custom_fields.").and_then(|k| defs.iter().find(|d| d.key == k));
    match def.map(|d| d.field_type) {
        Some(FieldType::Boolean) => match v {
            "true" | "yes" | "1" => json!(true),
            "false" | "no" | "0" => json!(false),
            _ => json!(v),
        },
        Some(FieldType::Number | FieldType::Money) => v.parse::<f64>().map(|n| json!(n)).unwrap_or_else(|_| json!(v)),
        _ => json!(v),
    }
}

/// A filter back into builder rows, when it is one flat group; `None` otherwise.
pub fn filter_to_rows(f: &Value) -> Option<(Vec<FbRow>, String)> {
    let leaf = |c: &Value| -> Option<FbRow> {
        let o = c.as_object()?;
        Some(FbRow {
            field: o.get("field")?.as_str()?.to_owned(),
            op: o.get("op")?.as_str()?.to_owned(),
            value: show(o.get("value").unwrap_or(&Value::Null)),
        })
    };
    if let Some(list) = f.get("and").and_then(Value::as_array) {
        return list.iter().map(leaf).collect::<Option<Vec<_>>>().map(|r| (r, "and".to_owned()));
    }
    if let Some(list) = f.get("or").and_then(Value::as_array) {
        return list.iter().map(leaf).collect::<Option<Vec<_>>>().map(|r| (r, "or".to_owned()));
    }
    leaf(f).map(|r| (vec![r], "and".to_owned()))
}

pub fn and_all(mut parts: Vec<Value>) -> Option<Value> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(json!({"and": parts})),
    }
}

/// A query string from (name, value) pairs, empty values left out.
pub fn qs(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn op_options(c: &Chrome) -> Vec<(String, String)> {
    OPS.iter().map(|o| ((*o).to_owned(), c.t.get(&format!("op-{o}")))).collect()
}

/// Everything the list (and its htmx fragment) shows.
pub struct ListView {
    pub ent: &'static str,
    /// Where the records live (`{base}/{id}`, `{base}/bulk`).
    pub base: &'static str,
    /// The list page itself.
    pub href: &'static str,
    /// The export's entity; empty when the kind is not exported.
    pub export_entity: &'static str,
    pub new_label: String,
    pub duplicates: bool,
    pub trash: bool,
    pub name_col: ColView,
    pub cols: Vec<ColView>,
    pub all_cols: Vec<(String, String, bool)>,
    pub rows: Vec<ListRow>,
    pub next_href: Option<String>,
    pub q: String,
    pub quick: Vec<super::list_kinds::Quick>,
    pub users: Vec<(String, String)>,
    /// For the bulk bar's "change stage" (contacts and companies only).
    pub lifecycles: Vec<(String, String)>,
    /// (action, label) of the bulk bar; empty: no bulk actions.
    pub bulk_actions: Vec<(String, String)>,
    pub views: Vec<ViewOpt>,
    pub view: String,
    pub view_own: bool,
    pub fb_rows: Vec<FbRow>,
    pub fb_join: String,
    pub fb_raw: String,
    pub fields: Vec<(String, String)>,
    pub ops: Vec<(String, String)>,
    pub filter_errors: Vec<String>,
    pub effective_filter: String,
    pub sort: String,
    pub columns_csv: String,
    pub deleted: bool,
    pub here: String,
    pub filtered: bool,
    pub is_admin: bool,
    pub shown: String,
}

pub struct ColView {
    pub label: String,
    pub sort_href: Option<String>,
    pub sorted: &'static str,
    /// Right-aligned (amounts).
    pub numeric: bool,
}

pub struct ViewOpt {
    pub id: String,
    pub name: String,
    pub shared: bool,
    pub selected: bool,
}

pub struct ListRow {
    pub id: String,
    pub name: String,
    pub sub: String,
    pub cells: Vec<Cell>,
}

/// A table cell: plain text, a number (right-aligned), a badge, a list of tags, or a link.
pub struct Cell {
    pub kind: &'static str,
    pub text: String,
    pub href: String,
    pub items: Vec<String>,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Self { kind: "text", text: s.into(), href: String::new(), items: vec![] }
    }
    pub fn num(s: impl Into<String>) -> Self {
        Self { kind: "num", text: s.into(), href: String::new(), items: vec![] }
    }
    pub fn badge(s: impl Into<String>, class: &str) -> Self {
        Self { kind: "badge", text: s.into(), href: class.to_owned(), items: vec![] }
    }
    pub fn tags(items: Vec<String>) -> Self {
        Self { kind: "tags", text: String::new(), href: String::new(), items }
    }
    pub fn link(s: impl Into<String>, href: impl Into<String>) -> Self {
        Self { kind: "link", text: s.into(), href: href.into(), items: vec![] }
    }
}

impl ListView {
    /// The options of a quick filter (e.g. the lead form's temperatures).
    pub fn options_of(&self, name: &str) -> Vec<(String, String)> {
        self.quick
            .iter()
            .find(|q| q.name == name)
            .map(|q| q.options.iter().skip(1).cloned().collect())
            .unwrap_or_default()
    }

    pub fn fb_display_rows(&self) -> Vec<FbRow> {
        let mut v = self.fb_rows.clone();
        v.push(FbRow::default());
        v
    }
}
