//! Custom fields: administrators add typed fields to contacts and companies. Values are
//! validated by type and stored normalised in the record's `custom_fields` object.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::email::EmailAddress;
use super::phone::{PhoneParse, Region, parse_phone};
use crate::error::Problems;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Number,
    /// `{"amount": "1234.50", "currency": "EUR"}`
    Money,
    /// `YYYY-MM-DD`
    Date,
    /// RFC 3339, stored in UTC
    Datetime,
    Select,
    MultiSelect,
    Boolean,
    Url,
    Phone,
    Email,
    /// A user id
    User,
    /// The id of a contact or company (`options[0]` says which)
    Reference,
}

impl FieldType {
    pub const ALL: [FieldType; 14] = [
        FieldType::Text,
        FieldType::LongText,
        FieldType::Number,
        FieldType::Money,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Select,
        FieldType::MultiSelect,
        FieldType::Boolean,
        FieldType::Url,
        FieldType::Phone,
        FieldType::Email,
        FieldType::User,
        FieldType::Reference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long_text",
            FieldType::Number => "number",
            FieldType::Money => "money",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Select => "select",
            FieldType::MultiSelect => "multi_select",
            FieldType::Boolean => "boolean",
            FieldType::Url => "url",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
            FieldType::User => "user",
            FieldType::Reference => "reference",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomFieldDef {
    pub id: Uuid,
    pub version: i64,
    /// `contact`, `company` or `deal`.
    pub entity: String,
    /// The key under `custom_fields` in records: lower-case letters, digits, `_`.
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    /// Choices of a select / multi-select; for a reference, `["contact"]` or `["company"]`.
    pub options: Vec<String>,
    pub required: bool,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const ENTITIES: [&str; 4] = ["contact", "company", "deal", "lead"];

pub fn parse_key(field: &str, key: &str, p: &mut Problems) -> Option<String> {
    let k = key.trim();
    let ok = !k.is_empty()
        && k.len() <= 40
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Some(k.to_owned())
    } else {
        p.add(field, "must be 1-40 characters: lower-case letters, digits and _, starting with a letter");
        None
    }
}

/// A decimal amount as a string, at most 4 decimals: `"1234.50"`.
pub fn parse_decimal(s: &str) -> Option<String> {
    let t = s.trim().replace([' ', '\u{a0}'], "");
    let t = if t.matches(',').count() == 1 && !t.contains('.') { t.replace(',', ".") } else { t };
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.as_str()),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 4
        || int.len() > 15
    {
        return None;
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

impl CustomFieldDef {
    /// Validates and normalises one value. `Null` clears the field.
    pub fn check(&self, field: &str, v: &Value, region: Option<Region>, p: &mut Problems) -> Option<Value> {
        if v.is_null() {
            return Some(Value::Null);
        }
        let bad = |p: &mut Problems, why: &str| {
            p.add(field, why.to_owned());
            None
        };
        match self.field_type {
            FieldType::Text | FieldType::LongText => {
                let max = if self.field_type == FieldType::Text { 500 } else { 20_000 };
                match v.as_str() {
                    Some(s) if s.chars().count() <= max => Some(json!(s.trim())),
                    Some(_) => bad(p, &format!("must be at most {max} characters")),
                    None => bad(p, "must be text"),
                }
            }
            FieldType::Number => match v {
                Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Some(v.clone()),
                Value::String(s) => match s.trim().replace(',', ".").parse::<f64>() {
                    Ok(n) if n.is_finite() => Some(json!(n)),
                    _ => bad(p, "must be a number"),
                },
                _ => bad(p, "must be a number"),
            },
            FieldType::Money => {
                let amount = v.get("amount").and_then(|a| match a {
                    Value::String(s) => parse_decimal(s),
                    Value::Number(n) => parse_decimal(&n.to_string()),
                    _ => None,
                });
                let currency = v.get("currency").and_then(Value::as_str).map(|c| c.trim().to_ascii_uppercase());
                match (amount, currency) {
                    (Some(a), Some(c)) if c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()) => {
                        Some(json!({"amount": a, "currency": c}))
                    }
                    _ => bad(p, "must be {\"amount\": \"1234.50\", \"currency\": \"EUR\"}"),
                }
            }
            FieldType::Date => match v.as_str().and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()) {
                Some(d) => Some(json!(d.to_string())),
                None => bad(p, "must be a date like 2026-01-31"),
            },
            FieldType::Datetime => match v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok()) {
                Some(t) => Some(json!(t.with_timezone(&Utc))),
                None => bad(p, "must be a date and time like 2026-01-31T09:00:00Z"),
            },
            FieldType::Select => match v.as_str() {
                Some(s) if self.options.iter().any(|o| o == s.trim()) => Some(json!(s.trim())),
                _ => bad(p, &format!("must be one of: {}", self.options.join(", "))),
            },
            FieldType::MultiSelect => {
                let Some(items) = v.as_array() else { return bad(p, "must be a list of choices") };
                let mut out: Vec<String> = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(s) if self.options.iter().any(|o| o == s.trim()) => {
                            if !out.iter().any(|o| o == s.trim()) {
                                out.push(s.trim().to_owned());
                            }
                        }
                        _ => return bad(p, &format!("each choice must be one of: {}", self.options.join(", "))),
                    }
                }
                Some(json!(out))
            }
            FieldType::Boolean => match v {
                Value::Bool(_) => Some(v.clone()),
                Value::String(s) if matches!(s.trim(), "true" | "yes" | "1" | "on") => Some(json!(true)),
                Value::String(s) if matches!(s.trim(), "false" | "no" | "0" | "off" | "") => Some(json!(false)),
                _ => bad(p, "must be true or false"),
            },
            FieldType::Url => {
                let s = v.as_str().unwrap_or_default();
                super::client::parse_website(field, Some(s), p).map(Value::String)
            }
            FieldType::Phone => match v.as_str().map(|s| parse_phone(field, s, region)) {
                Some(Ok(PhoneParse::Valid { e164 })) => Some(json!(e164)),
                Some(Ok(PhoneParse::Flagged(_))) => bad(p, "needs the full number with area or country code"),
                Some(Err(e)) => bad(p, &e.message),
                None => bad(p, "must be a phone number"),
            },
            FieldType::Email => match v.as_str().map(EmailAddress::parse) {
                Some(Ok(e)) => Some(json!(e.as_str())),
                Some(Err(m)) => bad(p, &m),
                None => bad(p, "must be an e-mail address"),
            },
            FieldType::User | FieldType::Reference => match v.as_str().and_then(|s| Uuid::parse_str(s.trim()).ok()) {
                Some(id) => Some(json!(id)),
                None => bad(p, "must be the id of a record"),
            },
        }
    }
}

/// Validates a `custom_fields` object against the definitions of its entity: unknown keys
/// and missing required fields are errors; values are normalised by type.
pub fn check_values(
    defs: &[CustomFieldDef],
    input: &Map<String, Value>,
    region: Option<Region>,
    p: &mut Problems,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in input {
        let field = format!("custom_fields.{k}");
        match defs.iter().find(|d| &d.key == k) {
            Some(def) => {
                if let Some(val) = def.check(&field, v, region, p)
                    && !val.is_null()
                {
                    out.insert(k.clone(), val);
                }
            }
            None => p.add(field, "no such custom field"),
        }
    }
    for d in defs.iter().filter(|d| d.required) {
        if !out.contains_key(&d.key) && !input.contains_key(&d.key) {
            p.add(format!("custom_fields.{}", d.key), "is required");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(t: FieldType, options: &[&str]) -> CustomFieldDef {
        CustomFieldDef {
            id: Uuid::nil(),
            version: 1,
            entity: "contact".into(),
            key: "f".into(),
            label: "F".into(),
            field_type: t,
            options: options.iter().map(|s| s.to_string()).collect(),
            required: false,
            position: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn ok(t: FieldType, options: &[&str], v: Value) -> Value {
        let mut p = Problems::new();
        let out = def(t, options).check("f", &v, Region::parse("RU").ok(), &mut p);
        assert!(p.is_empty(), "{t:?} {v}: {p:?}");
        out.unwrap()
    }

    fn err(t: FieldType, options: &[&str], v: Value) {
        let mut p = Problems::new();
        def(t, options).check("f", &v, Region::parse("RU").ok(), &mut p);
        assert!(!p.is_empty(), "{t:?} {v} should be refused");
    }

    #[test]
    fn every_type_validates_and_normalises() {
        assert_eq!(ok(FieldType::Text, &[], json!(" hi ")), json!("hi"));
        assert_eq!(ok(FieldType::Number, &[], json!("12,5")), json!(12.5));
        err(FieldType::Number, &[], json!("twelve"));
        assert_eq!(
            ok(FieldType::Money, &[], json!({"amount": "1 234,50", "currency": "eur"})),
            json!({"amount": "1234.50", "currency": "EUR"})
        );
        err(FieldType::Money, &[], json!({"amount": "1.23456", "currency": "EUR"}));
        assert_eq!(ok(FieldType::Date, &[], json!("2026-02-28")), json!("2026-02-28"));
        err(FieldType::Date, &[], json!("2026-02-30"));
        assert_eq!(ok(FieldType::Datetime, &[], json!("2026-01-31T12:00:00+03:00")), json!("2026-01-31T09:00:00Z"));
        assert_eq!(ok(FieldType::Select, &["a", "b"], json!("b")), json!("b"));
        err(FieldType::Select, &["a", "b"], json!("c"));
        assert_eq!(ok(FieldType::MultiSelect, &["a", "b"], json!(["b", "a", "b"])), json!(["b", "a"]));
        assert_eq!(ok(FieldType::Boolean, &[], json!("yes")), json!(true));
        assert_eq!(ok(FieldType::Url, &[], json!("acme.com")), json!("https://acme.com"));
        assert_eq!(ok(FieldType::Phone, &[], json!("8 (495) 123-45-67")), json!("+74951234567"));
        assert_eq!(ok(FieldType::Email, &[], json!("A@B.com")), json!("a@b.com"));
        err(FieldType::User, &[], json!("nobody"));
    }

    #[test]
    fn unknown_and_required_fields() {
        let mut d = def(FieldType::Text, &[]);
        d.key = "segment".into();
        d.required = true;
        let mut p = Problems::new();
        let mut input = Map::new();
        input.insert("colour".into(), json!("red"));
        check_values(&[d], &input, None, &mut p);
        let crate::Error::Validation(v) = p.into_result().unwrap_err() else { panic!() };
        let fields: Vec<_> = v.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["custom_fields.colour", "custom_fields.segment"]);
    }

    #[test]
    fn keys_and_decimals() {
        let mut p = Problems::new();
        assert_eq!(parse_key("key", "contract_end", &mut p).as_deref(), Some("contract_end"));
        assert!(parse_key("key", "Contract End", &mut p).is_none());
        assert_eq!(parse_decimal("007.50").as_deref(), Some("7.50"));
        assert_eq!(parse_decimal("-3").as_deref(), Some("-3"));
        assert!(parse_decimal("1e5").is_none());
    }
}
