//! The filter builder's language: conditions on built-in and custom fields, combined with
//! AND / OR groups, with dates relative to today. A filter arrives as JSON, is checked here
//! against the fields of its entity, and leaves as a typed tree the store turns into SQL.
//!
//! ```json
//! {"and": [{"field": "lifecycle", "op": "eq", "value": "customer"},
//!          {"or": [{"field": "tags", "op": "has", "value": "vip"},
//!                  {"field": "last_contacted_at", "op": "older_than_days", "value": 90}]}]}
//! ```

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::custom_field::{CustomFieldDef, FieldType};
use super::phone::{PhoneParse, Region, parse_phone};
use crate::error::FieldError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Filter {
    And { and: Vec<Filter> },
    Or { or: Vec<Filter> },
    Cond(Condition),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// A built-in field (`lifecycle`, `owner_id`, `tags`, `last_contacted_at`, ...) or
    /// `custom_fields.<key>`.
    pub field: String,
    pub op: Op,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Contains,
    StartsWith,
    Gt,
    Gte,
    Lt,
    Lte,
    /// One of a list of values.
    In,
    IsEmpty,
    IsNotEmpty,
    /// Tags (and multi-select fields): has the value / lacks it.
    Has,
    Lacks,
    /// Dates: more than N days ago, or never.
    OlderThanDays,
    /// Dates: within the last N days.
    WithinLastDays,
    /// Yearly dates (birthday): falls within the next N days, today included.
    InNextDays,
}

/// How a field is stored, which decides the operators it accepts and the SQL it becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A text column; `folded` columns hold lower-case accent-free text.
    Text {
        col: &'static str,
        folded: bool,
    },
    /// A column holding one of a closed set of words.
    Enum {
        col: &'static str,
        values: &'static [&'static str],
    },
    Uuid {
        col: &'static str,
    },
    Time {
        col: &'static str,
    },
    /// A calendar date column (`YYYY-MM-DD`).
    Date {
        col: &'static str,
    },
    /// An integer column (money in minor units).
    Int {
        col: &'static str,
    },
    /// Tags (the record_tags table).
    Tags,
    /// E-mails / phones (the contact_points table; leads: lead_points).
    Point {
        kind: &'static str,
        table: &'static str,
    },
    /// The birthday's month and day (`MM-DD`).
    BirthdayMd,
    /// A key inside the JSON address.
    AddressPart {
        key: &'static str,
    },
    Custom {
        key: String,
        field_type: FieldType,
    },
}

/// A checked value.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    None,
    Text(String),
    Texts(Vec<String>),
    Uuid(Uuid),
    Uuids(Vec<Uuid>),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    Int(i64),
    Number(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    And(Vec<Checked>),
    Or(Vec<Checked>),
    Cond { column: Column, op: Op, operand: Operand },
}

/// What a filter is checked against.
pub struct FilterContext<'a> {
    pub entity: &'a str,
    pub defs: &'a [CustomFieldDef],
    pub me: Uuid,
    pub now: DateTime<Utc>,
    pub region: Option<Region>,
}

const LIFECYCLES: &[&str] = &["lead", "prospect", "customer", "churned"];
const DEAL_STATUSES: &[&str] = &["open", "won", "lost"];

/// Filterable fields of deals.
pub const DEAL_FIELDS: &[&str] = &[
    "title",
    "status",
    "pipeline_id",
    "stage_id",
    "owner_id",
    "contact_id",
    "company_id",
    "lead_id",
    "loss_reason_id",
    "source",
    "currency",
    "amount_minor",
    "expected_close_date",
    "stage_entered_at",
    "closed_at",
    "tags",
    "created_at",
    "updated_at",
];

fn deal_builtin(field: &str) -> Option<Column> {
    use Column::*;
    Some(match field {
        "title" => Text { col: "sort_title", folded: true },
        "status" => Enum { col: "status", values: DEAL_STATUSES },
        "pipeline_id" => Uuid { col: "pipeline_id" },
        "stage_id" => Uuid { col: "stage_id" },
        "owner_id" => Uuid { col: "owner_id" },
        "contact_id" => Uuid { col: "contact_id" },
        "company_id" => Uuid { col: "company_id" },
        "lead_id" => Uuid { col: "lead_id" },
        "loss_reason_id" => Uuid { col: "loss_reason_id" },
        "source" => Text { col: "source", folded: false },
        "currency" => Text { col: "currency", folded: false },
        "amount_minor" => Int { col: "amount_minor" },
        "expected_close_date" => Date { col: "expected_close_date" },
        "stage_entered_at" => Time { col: "stage_entered_at" },
        "closed_at" => Time { col: "closed_at" },
        "tags" => Tags,
        "created_at" => Time { col: "created_at" },
        "updated_at" => Time { col: "updated_at" },
        _ => return None,
    })
}

/// Filterable fields of leads.
pub const LEAD_FIELDS: &[&str] = &[
    "name",
    "company_name",
    "status",
    "temperature",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_page",
    "owner_id",
    "tags",
    "email",
    "phone",
    "converted_at",
    "created_at",
    "updated_at",
];

fn lead_builtin(field: &str) -> Option<Column> {
    use Column::*;
    Some(match field {
        "name" => Text { col: "sort_name", folded: true },
        "company_name" => Text { col: "company_name", folded: false },
        "status" => Enum { col: "status", values: super::lead::LEAD_STATUSES },
        "temperature" => Enum { col: "temperature", values: super::lead::TEMPERATURES },
        "source" => Text { col: "source", folded: false },
        "utm_source" => Text { col: "utm_source", folded: false },
        "utm_medium" => Text { col: "utm_medium", folded: false },
        "utm_campaign" => Text { col: "utm_campaign", folded: false },
        "utm_term" => Text { col: "utm_term", folded: false },
        "utm_content" => Text { col: "utm_content", folded: false },
        "referrer" => Text { col: "referrer", folded: false },
        "landing_page" => Text { col: "landing_page", folded: false },
        "owner_id" => Uuid { col: "owner_id" },
        "tags" => Tags,
        "email" | "emails" => Point { kind: "email", table: "lead_points" },
        "phone" | "phones" => Point { kind: "phone", table: "lead_points" },
        "converted_at" => Time { col: "converted_at" },
        "created_at" => Time { col: "created_at" },
        "updated_at" => Time { col: "updated_at" },
        _ => return None,
    })
}

fn builtin(entity: &str, field: &str) -> Option<Column> {
    use Column::*;
    if entity == "deal" {
        return deal_builtin(field);
    }
    if entity == "lead" {
        return lead_builtin(field);
    }
    let common = match field {
        "lifecycle" => Some(Enum { col: "lifecycle", values: LIFECYCLES }),
        "source" => Some(Text { col: "source", folded: false }),
        "owner_id" => Some(Uuid { col: "owner_id" }),
        "tags" => Some(Tags),
        "email" | "emails" => Some(Point { kind: "email", table: "contact_points" }),
        "phone" | "phones" => Some(Point { kind: "phone", table: "contact_points" }),
        "created_at" => Some(Time { col: "created_at" }),
        "updated_at" => Some(Time { col: "updated_at" }),
        "last_contacted_at" => Some(Time { col: "last_contacted_at" }),
        "city" => Some(AddressPart { key: "city" }),
        "region" => Some(AddressPart { key: "region" }),
        "country" => Some(AddressPart { key: "country" }),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    match (entity, field) {
        ("contact", "name" | "display_name") => Some(Text { col: "sort_name", folded: true }),
        ("contact", "first_name") => Some(Text { col: "first_name", folded: false }),
        ("contact", "last_name") => Some(Text { col: "last_name", folded: false }),
        ("contact", "title") => Some(Text { col: "title", folded: false }),
        ("contact", "company_id") => Some(Uuid { col: "company_id" }),
        ("contact", "birthday") => Some(BirthdayMd),
        ("company", "name") => Some(Text { col: "sort_name", folded: true }),
        ("company", "legal_name") => Some(Text { col: "legal_name", folded: false }),
        ("company", "tax_number") => Some(Text { col: "tax_number", folded: false }),
        ("company", "industry") => Some(Text { col: "industry", folded: false }),
        ("company", "website") => Some(Text { col: "website", folded: false }),
        _ => None,
    }
}

/// Fields offered by the filter builder for an entity (built-in, then custom).
pub fn fields(entity: &str, defs: &[CustomFieldDef]) -> Vec<String> {
    if entity == "deal" || entity == "lead" {
        let list = if entity == "deal" { DEAL_FIELDS } else { LEAD_FIELDS };
        let mut v: Vec<String> = list.iter().map(|f| f.to_string()).collect();
        v.extend(defs.iter().map(|d| format!("custom_fields.{}", d.key)));
        return v;
    }
    let mut v: Vec<String> = match entity {
        "company" => ["name", "legal_name", "tax_number", "industry", "website"].map(String::from).to_vec(),
        _ => ["name", "first_name", "last_name", "title", "company_id", "birthday"].map(String::from).to_vec(),
    };
    v.extend(
        [
            "lifecycle",
            "source",
            "owner_id",
            "tags",
            "email",
            "phone",
            "created_at",
            "updated_at",
            "last_contacted_at",
            "city",
            "region",
            "country",
        ]
        .map(String::from),
    );
    v.extend(defs.iter().map(|d| format!("custom_fields.{}", d.key)));
    v
}

const MAX_CONDITIONS: usize = 50;

pub fn check(filter: &Filter, ctx: &FilterContext<'_>) -> Result<Checked, FieldError> {
    let mut count = 0;
    check_inner(filter, ctx, "filter", &mut count)
}

fn check_inner(f: &Filter, ctx: &FilterContext<'_>, path: &str, count: &mut usize) -> Result<Checked, FieldError> {
    match f {
        Filter::And { and } => Ok(Checked::And(
            and.iter()
                .enumerate()
                .map(|(i, x)| check_inner(x, ctx, &format!("{path}.and[{i}]"), count))
                .collect::<Result<_, _>>()?,
        )),
        Filter::Or { or } => Ok(Checked::Or(
            or.iter()
                .enumerate()
                .map(|(i, x)| check_inner(x, ctx, &format!("{path}.or[{i}]"), count))
                .collect::<Result<_, _>>()?,
        )),
        Filter::Cond(c) => {
            *count += 1;
            if *count > MAX_CONDITIONS {
                return Err(FieldError::new(path, format!("at most {MAX_CONDITIONS} conditions")));
            }
            check_cond(c, ctx, path)
        }
    }
}

fn check_cond(c: &Condition, ctx: &FilterContext<'_>, path: &str) -> Result<Checked, FieldError> {
    let err = |m: String| FieldError::new(format!("{path}.{}", c.field), m);
    let column = match c.field.strip_prefix("custom_fields.") {
        Some(key) => match ctx.defs.iter().find(|d| d.key == key) {
            Some(d) => Column::Custom { key: d.key.clone(), field_type: d.field_type },
            None => return Err(err("no such custom field".into())),
        },
        None => builtin(ctx.entity, &c.field)
            .ok_or_else(|| err(format!("cannot filter {}s by `{}`", ctx.entity, c.field)))?,
    };
    check_operand(c, column, ctx, path)
}

/// How the filter builder stores a built-in field of an entity (`contact`, `company`,
/// `deal`, `lead`), for other checkers that resolve fields themselves (the report builder).
pub fn builtin_column(entity: &str, field: &str) -> Option<Column> {
    builtin(entity, field)
}

/// Checks a condition's operator and value against a column already resolved by the caller.
pub fn check_operand(
    c: &Condition,
    column: Column,
    ctx: &FilterContext<'_>,
    path: &str,
) -> Result<Checked, FieldError> {
    let err = |m: String| FieldError::new(format!("{path}.{}", c.field), m);
    let bad_op = || err(format!("operator `{}` does not apply to this field", op_name(c.op)));
    use Op::*;
    if matches!(c.op, IsEmpty | IsNotEmpty) {
        return Ok(Checked::Cond { column, op: c.op, operand: Operand::None });
    }
    let operand = match (&column, c.op) {
        (Column::Text { .. } | Column::AddressPart { .. }, Eq | Ne | Contains | StartsWith) => {
            Operand::Text(text(&c.value).ok_or_else(|| err("needs a text value".into()))?)
        }
        (Column::Text { .. } | Column::AddressPart { .. }, In) => {
            Operand::Texts(texts(&c.value).ok_or_else(|| err("needs a list of texts".into()))?)
        }
        (Column::Enum { values, .. }, Eq | Ne) => {
            let v = text(&c.value).ok_or_else(|| err("needs a value".into()))?.to_lowercase();
            if !values.contains(&v.as_str()) {
                return Err(err(format!("must be one of {}", values.join(", "))));
            }
            Operand::Text(v)
        }
        (Column::Enum { values, .. }, In) => {
            let vs = texts(&c.value).ok_or_else(|| err("needs a list".into()))?;
            if let Some(bad) = vs.iter().find(|v| !values.contains(&v.as_str())) {
                return Err(err(format!("`{bad}` is not one of {}", values.join(", "))));
            }
            Operand::Texts(vs)
        }
        (Column::Uuid { .. }, Eq | Ne) => {
            Operand::Uuid(uuid_or_me(&c.value, ctx.me).ok_or_else(|| err("needs an id (or \"me\")".into()))?)
        }
        (Column::Uuid { .. }, In) => {
            let list = c.value.as_array().ok_or_else(|| err("needs a list of ids".into()))?;
            Operand::Uuids(
                list.iter()
                    .map(|v| uuid_or_me(v, ctx.me))
                    .collect::<Option<_>>()
                    .ok_or_else(|| err("needs a list of ids".into()))?,
            )
        }
        (Column::Time { .. }, Gt | Gte | Lt | Lte) => {
            Operand::Time(time(&c.value).ok_or_else(|| err("needs a date (2026-01-31) or a time (RFC 3339)".into()))?)
        }
        (Column::Time { .. }, OlderThanDays | WithinLastDays) => {
            let days = days(&c.value).ok_or_else(|| err("needs a number of days (0-36500)".into()))?;
            Operand::Time(ctx.now - Duration::days(days))
        }
        (Column::Date { .. }, Eq | Ne | Gt | Gte | Lt | Lte) => Operand::Date(
            c.value
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
                .ok_or_else(|| err("needs a date like 2026-01-31".into()))?,
        ),
        (Column::Date { .. }, InNextDays) => {
            let n = days(&c.value).ok_or_else(|| err("needs a number of days (0-36500)".into()))?;
            Operand::Date(ctx.now.date_naive() + Duration::days(n))
        }
        (Column::Date { .. }, OlderThanDays) => {
            let n = days(&c.value).ok_or_else(|| err("needs a number of days (0-36500)".into()))?;
            Operand::Date(ctx.now.date_naive() - Duration::days(n))
        }
        (Column::Int { .. }, Eq | Ne | Gt | Gte | Lt | Lte) => Operand::Int(
            c.value
                .as_i64()
                .or_else(|| c.value.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| err("needs a whole number (minor units, e.g. cents)".into()))?,
        ),
        (Column::Tags, Has | Lacks | Eq | Ne) => {
            Operand::Text(text(&c.value).ok_or_else(|| err("needs a tag".into()))?)
        }
        (Column::Tags, In) => Operand::Texts(texts(&c.value).ok_or_else(|| err("needs a list of tags".into()))?),
        (Column::Point { kind: "phone", .. }, Eq | Has) => {
            let raw = text(&c.value).ok_or_else(|| err("needs a phone number".into()))?;
            match parse_phone(&c.field, &raw, ctx.region) {
                Ok(PhoneParse::Valid { e164 }) => Operand::Text(e164),
                _ => return Err(err(format!("`{raw}` is not a complete phone number"))),
            }
        }
        (Column::Point { .. }, Eq | Has | Contains | StartsWith) => {
            Operand::Text(text(&c.value).ok_or_else(|| err("needs a value".into()))?.to_lowercase())
        }
        (Column::BirthdayMd, InNextDays) => {
            let n = days(&c.value).filter(|d| *d <= 366).ok_or_else(|| err("needs a number of days (0-366)".into()))?;
            let today = ctx.now.date_naive();
            let mut mds: Vec<String> = (0..=n)
                .filter_map(|i| today.checked_add_signed(Duration::days(i)))
                .map(|d| d.format("%m-%d").to_string())
                .collect();
            // Someone born on 29 February is celebrated on 28 February in other years.
            if mds.iter().any(|m| m == "02-28") && !mds.iter().any(|m| m == "02-29") {
                mds.push("02-29".into());
            }
            Operand::Texts(mds)
        }
        (Column::Custom { field_type, .. }, op) => custom_operand(*field_type, op, &c.value, ctx).ok_or_else(|| {
            err(format!("operator `{}` with this value does not apply to a {} field", op_name(op), field_type.as_str()))
        })?,
        _ => return Err(bad_op()),
    };
    Ok(Checked::Cond { column, op: c.op, operand })
}

fn custom_operand(t: FieldType, op: Op, v: &Value, ctx: &FilterContext<'_>) -> Option<Operand> {
    use FieldType as T;
    use Op::*;
    match (t, op) {
        (T::Text | T::LongText | T::Url | T::Email | T::Phone | T::Select, Eq | Ne | Contains | StartsWith) => {
            text(v).map(Operand::Text)
        }
        (T::Select, In) => texts(v).map(Operand::Texts),
        (T::MultiSelect, Has | Lacks) => text(v).map(Operand::Text),
        (T::Number, Eq | Ne | Gt | Gte | Lt | Lte) => {
            v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).map(Operand::Number)
        }
        (T::Money, Gt | Gte | Lt | Lte | Eq) => {
            v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).map(Operand::Number)
        }
        (T::Date, Eq | Ne | Gt | Gte | Lt | Lte) => {
            v.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).map(|d| Operand::Text(d.to_string()))
        }
        (T::Date, InNextDays) => days(v).map(|n| Operand::Text((ctx.now.date_naive() + Duration::days(n)).to_string())),
        (T::Date, OlderThanDays | WithinLastDays) => {
            days(v).map(|n| Operand::Text((ctx.now.date_naive() - Duration::days(n)).to_string()))
        }
        (T::Datetime, Gt | Gte | Lt | Lte) => {
            time(v).map(|t| Operand::Text(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
        }
        (T::Boolean, Eq | Ne) => v.as_bool().map(Operand::Bool),
        (T::User | T::Reference, Eq | Ne) => uuid_or_me(v, ctx.me).map(|u| Operand::Text(u.to_string())),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() && s.len() <= 500 => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn texts(v: &Value) -> Option<Vec<String>> {
    let list: Vec<String> = v.as_array()?.iter().map(text).collect::<Option<_>>()?;
    (!list.is_empty() && list.len() <= 200).then_some(list)
}

fn uuid_or_me(v: &Value, me: Uuid) -> Option<Uuid> {
    let s = v.as_str()?.trim();
    if s == "me" { Some(me) } else { Uuid::parse_str(s).ok() }
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?.trim();
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).ok().or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
    })
}

fn days(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).filter(|d| (0..=36500).contains(d))
}

pub fn op_name(op: Op) -> &'static str {
    match op {
        Op::Eq => "eq",
        Op::Ne => "ne",
        Op::Contains => "contains",
        Op::StartsWith => "starts_with",
        Op::Gt => "gt",
        Op::Gte => "gte",
        Op::Lt => "lt",
        Op::Lte => "lte",
        Op::In => "in",
        Op::IsEmpty => "is_empty",
        Op::IsNotEmpty => "is_not_empty",
        Op::Has => "has",
        Op::Lacks => "lacks",
        Op::OlderThanDays => "older_than_days",
        Op::WithinLastDays => "within_last_days",
        Op::InNextDays => "in_next_days",
    }
}

/// `owner_id = me`, URL-encoded, for links to "my records".
pub fn owner_me_filter() -> &'static str {
    "%7B%22field%22%3A%22owner_id%22%2C%22op%22%3A%22eq%22%2C%22value%22%3A%22me%22%7D"
}

/// Parses the `filter` query parameter (JSON).
pub fn parse(field: &str, s: &str) -> Result<Filter, FieldError> {
    serde_json::from_str(s).map_err(|e| FieldError::new(field, format!("is not a valid filter: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> FilterContext<'static> {
        FilterContext {
            entity: "contact",
            defs: &[],
            me: Uuid::from_u128(7),
            now: "2026-11-23T10:00:00Z".parse().unwrap(),
            region: Region::parse("RU").ok(),
        }
    }

    #[test]
    fn parses_and_checks_a_nested_filter() {
        let f = parse(
            "filter",
            r#"{"and":[{"field":"lifecycle","op":"eq","value":"Customer"},
                       {"or":[{"field":"tags","op":"has","value":"vip"},
                              {"field":"last_contacted_at","op":"older_than_days","value":90}]},
                       {"field":"owner_id","op":"eq","value":"me"},
                       {"field":"phone","op":"eq","value":"8 (495) 123-45-67"}]}"#,
        )
        .unwrap();
        let Checked::And(parts) = check(&f, &ctx()).unwrap() else { panic!() };
        assert_eq!(parts.len(), 4);
        assert_eq!(
            parts[0],
            Checked::Cond {
                column: Column::Enum { col: "lifecycle", values: LIFECYCLES },
                op: Op::Eq,
                operand: Operand::Text("customer".into())
            }
        );
        let Checked::Or(or) = &parts[1] else { panic!() };
        assert_eq!(
            or[1],
            Checked::Cond {
                column: Column::Time { col: "last_contacted_at" },
                op: Op::OlderThanDays,
                operand: Operand::Time("2026-08-25T10:00:00Z".parse().unwrap())
            }
        );
        assert!(matches!(&parts[2], Checked::Cond { operand: Operand::Uuid(u), .. } if *u == Uuid::from_u128(7)));
        assert!(matches!(&parts[3], Checked::Cond { operand: Operand::Text(t), .. } if t == "+74951234567"));
    }

    #[test]
    fn errors_name_the_condition() {
        let e = check(&parse("filter", r#"{"and":[{"field":"lifecycle","op":"eq","value":"customer"},{"field":"salary","op":"eq","value":1}]}"#).unwrap(), &ctx()).unwrap_err();
        assert_eq!(e.field, "filter.and[1].salary");
        let e =
            check(&parse("filter", r#"{"field":"lifecycle","op":"gt","value":"lead"}"#).unwrap(), &ctx()).unwrap_err();
        assert!(e.message.contains("gt"));
        let e = check(&parse("filter", r#"{"field":"custom_fields.nope","op":"eq","value":"x"}"#).unwrap(), &ctx())
            .unwrap_err();
        assert!(e.message.contains("custom field"));
        assert!(parse("filter", "{not json").is_err());
    }

    #[test]
    fn birthdays_this_week_cover_leap_days() {
        let c = FilterContext { now: "2027-02-25T10:00:00Z".parse().unwrap(), ..ctx() };
        let f = Filter::Cond(Condition { field: "birthday".into(), op: Op::InNextDays, value: json!(7) });
        let Checked::Cond { operand: Operand::Texts(mds), .. } = check(&f, &c).unwrap() else { panic!() };
        assert!(mds.contains(&"02-29".to_owned()) && mds.contains(&"03-04".to_owned()));
    }
}
