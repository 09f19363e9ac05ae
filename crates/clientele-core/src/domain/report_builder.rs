//! The report builder's language. A report is a primary object (deals, contacts, ...) with
//! lookups to the fields of related records (`company.industry`, `owner.name`,
//! `product.category`), chosen columns, a filter (the filter builder's JSON), grouping up to
//! two levels with date buckets, aggregates, sort and a chart type.
//!
//! A definition arrives as JSON, is checked here against the field catalogue (collecting every
//! bad field), and leaves as a [`Plan`]: every field resolved to a table alias and a column
//! named in this file (or a custom field key, validated to `[a-z][a-z0-9_]*`), so nothing a
//! user typed ever becomes an identifier in SQL. The store turns the plan into one query.

use chrono::{DateTime, Utc};
pub use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::custom_field::{CustomFieldDef, FieldType};
use super::filter::{self, Checked, Column, Condition, Filter, FilterContext};
use super::phone::Region;
use crate::error::{FieldError, Problems};

/// Primary objects a report can be about.
pub const ENTITIES: &[&str] =
    &["deal", "contact", "company", "lead", "activity", "task", "product", "line_item", "invoice", "payment"];

/// Most groups or rows a report returns.
pub const MAX_LIMIT: u32 = 10_000;
pub const DEFAULT_LIMIT: u32 = 1_000;
const MAX_COLUMNS: usize = 30;
const MAX_AGGREGATES: usize = 10;
const MAX_HOPS: usize = 2;

/// What a field holds, which decides what it can be grouped, aggregated and filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Enum(&'static [&'static str]),
    Int,
    Number,
    /// Minor units with a currency; shown and aggregated in major units.
    Money,
    Time,
    Date,
    Bool,
}

impl Kind {
    pub fn numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Number | Kind::Money)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text | Kind::Enum(_) => "text",
            Kind::Int | Kind::Number | Kind::Money => "number",
            Kind::Time => "time",
            Kind::Date => "date",
            Kind::Bool => "boolean",
        }
    }
}

/// Where a resolved field's value lives, relative to its table alias.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `{alias}.{col}`.
    Col(&'static str),
    /// A decimal kept as text (`deal_items.quantity`).
    DecimalText(&'static str),
    /// `{alias}.{minor}` in the currency `{currency_alias}.{currency}`.
    Money { minor: &'static str, currency: &'static str, currency_alias: String },
    /// A custom field inside `{alias}.custom_fields`.
    Custom { key: String, field_type: FieldType },
}

#[derive(Debug, Clone, Copy)]
enum Src {
    Col(&'static str),
    Dec(&'static str),
    /// Minor units and currency column of the same row.
    Money(&'static str, &'static str),
    /// Minor units, currency of the parent deal (`d0`).
    DealMoney(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct F {
    key: &'static str,
    label: &'static str,
    kind: Kind,
    src: Src,
}

const fn f(key: &'static str, label: &'static str, kind: Kind, src: Src) -> F {
    F { key, label, kind, src }
}

/// A to-one link from an object to another: `{target}.id = {from}.{col}`.
#[derive(Debug, Clone, Copy)]
struct Rel {
    name: &'static str,
    target: &'static str,
    col: &'static str,
}

const fn r(name: &'static str, target: &'static str, col: &'static str) -> Rel {
    Rel { name, target, col }
}

use Kind::*;
use Src::{Col as C, DealMoney, Dec, Money as M};

const LIFECYCLES: &[&str] = &["lead", "prospect", "customer", "churned"];
const DEAL_STATUSES: &[&str] = &["open", "won", "lost"];
const ACTIVITY_KINDS: &[&str] = &["call", "meeting", "email", "message", "note"];
const TASK_KINDS: &[&str] = &["call", "meeting", "email", "todo", "custom"];
const TASK_STATUSES: &[&str] = &["open", "done", "cancelled"];
const INVOICE_STATUSES: &[&str] = &["draft", "sent", "accepted", "declined", "paid", "cancelled"];
const PAYMENT_KINDS: &[&str] = &["planned", "actual"];
const ROLES: &[&str] = &["admin", "head", "manager", "readonly"];
const STAGE_KINDS: &[&str] = &["open", "won", "lost"];

fn catalogue(entity: &str) -> &'static [F] {
    match entity {
        "deal" => {
            const L: &[F] = &[
                f("title", "Title", Text, C("title")),
                f("status", "Status", Enum(DEAL_STATUSES), C("status")),
                f("amount", "Amount", Money, M("amount_minor", "currency")),
                f("currency", "Currency", Text, C("currency")),
                f("source", "Source", Text, C("source")),
                f("expected_close_date", "Expected close date", Date, C("expected_close_date")),
                f("stage_entered_at", "Entered the stage at", Time, C("stage_entered_at")),
                f("closed_at", "Closed at", Time, C("closed_at")),
                f("created_at", "Created at", Time, C("created_at")),
                f("updated_at", "Updated at", Time, C("updated_at")),
            ];
            L
        }
        "contact" => {
            const L: &[F] = &[
                f("name", "Name", Text, C("display_name")),
                f("first_name", "First name", Text, C("first_name")),
                f("last_name", "Last name", Text, C("last_name")),
                f("title", "Job title", Text, C("title")),
                f("lifecycle", "Lifecycle", Enum(LIFECYCLES), C("lifecycle")),
                f("source", "Source", Text, C("source")),
                f("last_contacted_at", "Last contacted at", Time, C("last_contacted_at")),
                f("created_at", "Created at", Time, C("created_at")),
                f("updated_at", "Updated at", Time, C("updated_at")),
            ];
            L
        }
        "company" => {
            const L: &[F] = &[
                f("name", "Name", Text, C("name")),
                f("legal_name", "Legal name", Text, C("legal_name")),
                f("tax_number", "Tax number", Text, C("tax_number")),
                f("industry", "Industry", Text, C("industry")),
                f("website", "Website", Text, C("website")),
                f("lifecycle", "Lifecycle", Enum(LIFECYCLES), C("lifecycle")),
                f("source", "Source", Text, C("source")),
                f("last_contacted_at", "Last contacted at", Time, C("last_contacted_at")),
                f("created_at", "Created at", Time, C("created_at")),
                f("updated_at", "Updated at", Time, C("updated_at")),
            ];
            L
        }
        "lead" => {
            const L: &[F] = &[
                f("name", "Name", Text, C("name")),
                f("company_name", "Company name", Text, C("company_name")),
                f("status", "Status", Enum(super::lead::LEAD_STATUSES), C("status")),
                f("temperature", "Temperature", Enum(super::lead::TEMPERATURES), C("temperature")),
                f("source", "Source", Text, C("source")),
                f("utm_source", "UTM source", Text, C("utm_source")),
                f("utm_medium", "UTM medium", Text, C("utm_medium")),
                f("utm_campaign", "UTM campaign", Text, C("utm_campaign")),
                f("converted_at", "Converted at", Time, C("converted_at")),
                f("created_at", "Created at", Time, C("created_at")),
                f("updated_at", "Updated at", Time, C("updated_at")),
            ];
            L
        }
        "activity" => {
            const L: &[F] = &[
                f("kind", "Kind", Enum(ACTIVITY_KINDS), C("kind")),
                f("direction", "Direction", Text, C("direction")),
                f("subject", "Subject", Text, C("subject")),
                f("occurred_at", "Occurred at", Time, C("occurred_at")),
                f("duration_seconds", "Duration (s)", Int, C("duration_seconds")),
                f("result", "Result", Text, C("result")),
                f("created_at", "Created at", Time, C("created_at")),
            ];
            L
        }
        "task" => {
            const L: &[F] = &[
                f("title", "Title", Text, C("title")),
                f("kind", "Kind", Enum(TASK_KINDS), C("kind")),
                f("status", "Status", Enum(TASK_STATUSES), C("status")),
                f("priority", "Priority", Text, C("priority")),
                f("due_at", "Due at", Time, C("due_at")),
                f("completed_at", "Completed at", Time, C("completed_at")),
                f("duration_minutes", "Duration (min)", Int, C("duration_minutes")),
                f("created_at", "Created at", Time, C("created_at")),
            ];
            L
        }
        "product" => {
            const L: &[F] = &[
                f("name", "Name", Text, C("name")),
                f("sku", "SKU", Text, C("sku")),
                f("unit", "Unit", Text, C("unit")),
                f("active", "Active", Bool, C("active")),
                f("cost", "Cost", Money, M("cost_minor", "cost_currency")),
                f("created_at", "Created at", Time, C("created_at")),
            ];
            L
        }
        "line_item" => {
            const L: &[F] = &[
                f("name", "Name", Text, C("name")),
                f("quantity", "Quantity", Number, Dec("quantity")),
                f("unit", "Unit", Text, C("unit")),
                f("unit_price", "Unit price", Money, DealMoney("unit_price_minor")),
                f("discount_pct", "Discount %", Number, Dec("discount_pct")),
                f("line_total", "Line total", Money, DealMoney("line_total_minor")),
                f("tax", "Tax", Money, DealMoney("tax_minor")),
            ];
            L
        }
        "invoice" => {
            const L: &[F] = &[
                f("number", "Number", Text, C("number")),
                f("status", "Status", Enum(INVOICE_STATUSES), C("status")),
                f("issue_date", "Issue date", Date, C("issue_date")),
                f("due_date", "Due date", Date, C("due_date")),
                f("currency", "Currency", Text, C("currency")),
                f("total", "Total", Money, M("total_minor", "currency")),
                f("paid", "Paid", Money, M("paid_minor", "currency")),
                f("sent_at", "Sent at", Time, C("sent_at")),
                f("created_at", "Created at", Time, C("created_at")),
            ];
            L
        }
        "payment" => {
            const L: &[F] = &[
                f("kind", "Kind", Enum(PAYMENT_KINDS), C("kind")),
                f("date", "Date", Date, C("date")),
                f("amount", "Amount", Money, DealMoney("amount_minor")),
                f("note", "Note", Text, C("note")),
                f("created_at", "Created at", Time, C("created_at")),
            ];
            L
        }
        // Objects reached only through lookups.
        "user" => {
            const L: &[F] = &[
                f("name", "Name", Text, C("name")),
                f("email", "E-mail", Text, C("email")),
                f("role", "Role", Enum(ROLES), C("role")),
            ];
            L
        }
        "team" => {
            const L: &[F] = &[f("name", "Name", Text, C("name"))];
            L
        }
        "pipeline" => {
            const L: &[F] = &[f("name", "Name", Text, C("name"))];
            L
        }
        "stage" => {
            const L: &[F] = &[
                f("name", "Name", Text, C("name")),
                f("probability", "Probability %", Int, C("probability")),
                f("kind", "Kind", Enum(STAGE_KINDS), C("kind")),
            ];
            L
        }
        "category" => {
            const L: &[F] = &[f("name", "Name", Text, C("name"))];
            L
        }
        _ => &[],
    }
}

fn relations(entity: &str) -> &'static [Rel] {
    match entity {
        "deal" => {
            const L: &[Rel] = &[
                r("owner", "user", "owner_id"),
                r("company", "company", "company_id"),
                r("contact", "contact", "contact_id"),
                r("pipeline", "pipeline", "pipeline_id"),
                r("stage", "stage", "stage_id"),
            ];
            L
        }
        "contact" => {
            const L: &[Rel] = &[r("owner", "user", "owner_id"), r("company", "company", "company_id")];
            L
        }
        "company" | "lead" => {
            const L: &[Rel] = &[r("owner", "user", "owner_id")];
            L
        }
        "activity" => {
            const L: &[Rel] = &[
                r("contact", "contact", "contact_id"),
                r("company", "company", "company_id"),
                r("author", "user", "created_by"),
            ];
            L
        }
        "task" => {
            const L: &[Rel] = &[r("assignee", "user", "assignee_id"), r("creator", "user", "created_by")];
            L
        }
        "product" => {
            const L: &[Rel] = &[r("category", "category", "category_id")];
            L
        }
        "line_item" => {
            const L: &[Rel] = &[r("deal", "deal", "deal_id"), r("product", "product", "product_id")];
            L
        }
        "invoice" | "payment" => {
            const L: &[Rel] = &[r("deal", "deal", "deal_id")];
            L
        }
        "user" => {
            const L: &[Rel] = &[r("team", "team", "team_id")];
            L
        }
        _ => &[],
    }
}

/// The table of an object (names fixed here, never taken from input).
pub fn table(entity: &str) -> &'static str {
    match entity {
        "deal" => "deals",
        "contact" => "contacts",
        "company" => "companies",
        "lead" => "leads",
        "activity" => "activities",
        "task" => "tasks",
        "product" => "products",
        "line_item" => "deal_items",
        "invoice" => "documents",
        "payment" => "deal_payments",
        "user" => "users",
        "team" => "teams",
        "pipeline" => "pipelines",
        "stage" => "stages",
        _ => "product_categories",
    }
}

/// The field a lookup shows when it names the related object alone (`owner` = `owner.name`).
fn display_field(entity: &str) -> &'static str {
    match entity {
        "deal" | "task" => "title",
        "invoice" => "number",
        _ => "name",
    }
}

/// Objects whose records carry custom fields.
pub fn has_custom_fields(entity: &str) -> bool {
    matches!(entity, "deal" | "contact" | "company" | "lead")
}

/// Objects whose rows belong to a deal, which the store joins as `d0` (for scope and currency).
pub fn has_parent_deal(entity: &str) -> bool {
    matches!(entity, "line_item" | "invoice" | "payment")
}

/// A field offered by the builder's pickers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldInfo {
    /// The path to use in a definition: `amount`, `company.industry`, `custom_fields.budget`.
    pub path: String,
    pub label: String,
    /// `text`, `number`, `time`, `date` or `boolean`.
    pub kind: String,
    /// Choices of an enumerated field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// Every field of a report type: the object's own, its custom fields, and one level of
/// lookups (with their custom fields). Deeper lookups (two hops) are accepted in definitions too.
pub fn fields(entity: &str, defs: &[CustomFieldDef]) -> Vec<FieldInfo> {
    let mut out = Vec::new();
    push_fields(&mut out, entity, "", "", defs);
    for rel in relations(entity) {
        let label = format!("{} → ", title_case(rel.name));
        push_fields(&mut out, rel.target, &format!("{}.", rel.name), &label, defs);
        for rel2 in relations(rel.target) {
            if entity == "line_item" && rel.name == "product" && rel2.name == "category" {
                push_fields(
                    &mut out,
                    rel2.target,
                    &format!("{}.{}.", rel.name, rel2.name),
                    &format!("{label}{} → ", title_case(rel2.name)),
                    defs,
                );
            }
        }
    }
    out
}

fn push_fields(out: &mut Vec<FieldInfo>, entity: &str, prefix: &str, label_prefix: &str, defs: &[CustomFieldDef]) {
    for x in catalogue(entity) {
        let values = match x.kind {
            Enum(v) => v.iter().map(|s| s.to_string()).collect(),
            _ => vec![],
        };
        out.push(FieldInfo {
            path: format!("{prefix}{}", x.key),
            label: format!("{label_prefix}{}", x.label),
            kind: x.kind.as_str().into(),
            values,
        });
    }
    if has_custom_fields(entity) {
        for d in defs.iter().filter(|d| d.entity == entity) {
            let kind = custom_kind(d.field_type);
            out.push(FieldInfo {
                path: format!("{prefix}custom_fields.{}", d.key),
                label: format!("{label_prefix}{}", d.label),
                kind: kind.as_str().into(),
                values: if d.field_type == FieldType::Select { d.options.clone() } else { vec![] },
            });
        }
    }
}

fn title_case(s: &str) -> String {
    let s = s.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn custom_kind(t: FieldType) -> Kind {
    match t {
        FieldType::Number => Number,
        FieldType::Money => Number,
        FieldType::Date => Date,
        FieldType::Datetime => Time,
        FieldType::Boolean => Bool,
        _ => Text,
    }
}

// ---------------------------------------------------------------------------------------
// Definitions

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
            Bucket::Quarter => "quarter",
            Bucket::Year => "year",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AggFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Median,
}

impl AggFn {
    pub fn as_str(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Median => "median",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChartType {
    #[default]
    None,
    Bar,
    Line,
    Pie,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBy {
    pub field: String,
    /// For times and dates: `day`, `week` (starting Monday), `month`, `quarter`, `year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    #[serde(rename = "fn")]
    pub func: AggFn,
    /// The field aggregated; none for `count` (counts records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Aggregate {
    /// How sort keys and result columns name it: `count`, `sum(amount)`.
    pub fn key(&self) -> String {
        match &self.field {
            Some(f) => format!("{}({f})", self.func.as_str()),
            None => self.func.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SortKey {
    /// A column, a grouping field, or an aggregate (`count`, `sum(amount)`).
    pub key: String,
    #[serde(default)]
    pub desc: bool,
}

/// What a report shows. Without grouping and aggregates it lists records (`columns`);
/// otherwise one row per group with the aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDefinition {
    /// `deal`, `contact`, `company`, `lead`, `activity`, `task`, `product`, `line_item`,
    /// `invoice` or `payment`.
    pub entity: String,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub group_by: Vec<GroupBy>,
    #[serde(default)]
    pub aggregates: Vec<Aggregate>,
    #[serde(default)]
    pub sort: Vec<SortKey>,
    #[serde(default)]
    pub chart: ChartType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Zone of date buckets and shown times (IANA name); the viewer's zone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Plans

/// A field resolved to its table alias and source.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub path: String,
    pub label: String,
    pub kind: Kind,
    pub alias: String,
    pub source: Source,
}

/// `LEFT JOIN {table} {alias} ON {alias}.id = {from}.{col}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub alias: String,
    pub table: &'static str,
    pub from: String,
    pub col: &'static str,
}

/// A filter whose conditions know the alias of the table they apply to.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanFilter {
    And(Vec<PlanFilter>),
    Or(Vec<PlanFilter>),
    Cond { alias: String, checked: Checked },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanGroup {
    pub field: Resolved,
    pub bucket: Option<Bucket>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanAgg {
    pub func: AggFn,
    pub field: Option<Resolved>,
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortTarget {
    /// Index into the output columns.
    Output(usize),
    /// A field not shown (records mode).
    Field(Resolved),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub entity: &'static str,
    pub joins: Vec<Join>,
    pub filter: Option<PlanFilter>,
    /// Records mode: the columns.
    pub columns: Vec<Resolved>,
    pub groups: Vec<PlanGroup>,
    pub aggregates: Vec<PlanAgg>,
    pub sort: Vec<(SortTarget, bool)>,
    pub limit: u32,
    pub tz: Tz,
    pub chart: ChartType,
}

impl Plan {
    pub fn grouped(&self) -> bool {
        !self.groups.is_empty() || !self.aggregates.is_empty()
    }

    /// The result's column headers, in order.
    pub fn headers(&self) -> Vec<ResultColumn> {
        if !self.grouped() {
            return self
                .columns
                .iter()
                .map(|c| ResultColumn { key: c.path.clone(), label: c.label.clone(), kind: out_kind(c.kind).into() })
                .collect();
        }
        let mut out: Vec<ResultColumn> = self
            .groups
            .iter()
            .map(|g| ResultColumn {
                key: g.field.path.clone(),
                label: match g.bucket {
                    Some(b) => format!("{} ({})", g.field.label, b.as_str()),
                    None => g.field.label.clone(),
                },
                kind: if g.bucket.is_some() { "text".into() } else { out_kind(g.field.kind).into() },
            })
            .collect();
        out.extend(self.aggregates.iter().map(|a| ResultColumn {
            key: a.key.clone(),
            label: a.label.clone(),
            kind: match (&a.field, a.func) {
                (_, AggFn::Count) | (None, _) => "number".into(),
                (Some(f), AggFn::Min | AggFn::Max) => out_kind(f.kind).into(),
                _ => "number".into(),
            },
        }));
        out
    }
}

fn out_kind(k: Kind) -> &'static str {
    k.as_str()
}

/// A column of a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResultColumn {
    pub key: String,
    pub label: String,
    /// `text`, `number`, `time`, `date` or `boolean`.
    pub kind: String,
}

/// A report's result: columns and rows of plain JSON values (text, number, boolean, null).
/// Times are shown in the report's zone (`2026-03-01 09:30`); date buckets by their first day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportResult {
    pub columns: Vec<ResultColumn>,
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// True when more rows or groups existed than the limit.
    pub truncated: bool,
    pub time_zone: String,
}

/// What the definition is checked against.
pub struct PlanContext<'a> {
    pub defs: &'a [CustomFieldDef],
    pub me: Uuid,
    pub now: DateTime<Utc>,
    pub region: Option<Region>,
    /// The viewer's zone, used when the definition names none.
    pub viewer_zone: Tz,
}

struct Resolver<'a> {
    entity: &'static str,
    defs: &'a [CustomFieldDef],
    joins: Vec<(String, Join)>,
}

impl Resolver<'_> {
    /// Resolves `a.b.c` (at most two lookups) to a field; the error says what is wrong.
    fn resolve(&mut self, path: &str) -> Result<Resolved, String> {
        let parts: Vec<&str> = path.trim().split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err("is not a field path like `amount` or `company.industry`".into());
        }
        let mut entity: &'static str = self.entity;
        let mut alias = "a".to_owned();
        let mut prefix = String::new();
        let mut label = String::new();
        let mut i = 0;
        loop {
            let part = parts[i];
            let last = i + 1 == parts.len();
            if part == "custom_fields" {
                if i + 2 != parts.len() {
                    return Err("a custom field is written `custom_fields.<key>` at the end of the path".into());
                }
                if !has_custom_fields(entity) {
                    return Err(format!("{} records have no custom fields", entity.replace('_', " ")));
                }
                let key = parts[i + 1];
                let d = self
                    .defs
                    .iter()
                    .find(|d| d.entity == entity && d.key == key)
                    .ok_or_else(|| format!("`{key}` is not a custom field of {}s", entity.replace('_', " ")))?;
                return Ok(Resolved {
                    path: path.trim().to_owned(),
                    label: format!("{label}{}", d.label),
                    kind: custom_kind(d.field_type),
                    alias,
                    source: Source::Custom { key: d.key.clone(), field_type: d.field_type },
                });
            }
            if let Some(x) = catalogue(entity).iter().find(|x| x.key == part) {
                if !last {
                    return Err(format!("`{part}` is a field, not a lookup"));
                }
                let source = match x.src {
                    Src::Col(c) => Source::Col(c),
                    Src::Dec(c) => Source::DecimalText(c),
                    Src::Money(m, cur) => Source::Money { minor: m, currency: cur, currency_alias: alias.clone() },
                    Src::DealMoney(m) => Source::Money { minor: m, currency: "currency", currency_alias: "d0".into() },
                };
                return Ok(Resolved {
                    path: path.trim().to_owned(),
                    label: format!("{label}{}", x.label),
                    kind: x.kind,
                    alias,
                    source,
                });
            }
            let Some(rel) = relations(entity).iter().find(|x| x.name == part) else {
                return Err(format!("{}s have no field or lookup `{part}`", entity.replace('_', " ")));
            };
            let hops = i + 1;
            if hops > MAX_HOPS {
                return Err(format!("at most {MAX_HOPS} lookups in a row"));
            }
            prefix = if prefix.is_empty() { part.to_owned() } else { format!("{prefix}.{part}") };
            label = format!("{label}{} → ", title_case(part));
            alias = match self.joins.iter().find(|(p, _)| *p == prefix) {
                Some((_, j)) => j.alias.clone(),
                None => {
                    let j = Join {
                        alias: format!("j{}", self.joins.len() + 1),
                        table: table(rel.target),
                        from: alias.clone(),
                        col: rel.col,
                    };
                    let a = j.alias.clone();
                    self.joins.push((prefix.clone(), j));
                    a
                }
            };
            entity = rel.target;
            if last {
                let d = display_field(entity);
                let x = catalogue(entity).iter().find(|x| x.key == d).copied().unwrap_or(f(
                    "name",
                    "Name",
                    Text,
                    C("name"),
                ));
                let Src::Col(c) = x.src else { return Err("cannot show this lookup".into()) };
                return Ok(Resolved {
                    path: path.trim().to_owned(),
                    label: label.trim_end_matches(" → ").to_owned(),
                    kind: x.kind,
                    alias,
                    source: Source::Col(c),
                });
            }
            i += 1;
        }
    }
}

/// Checks a definition and resolves it into a plan; every bad field is reported.
pub fn plan(def: &ReportDefinition, ctx: &PlanContext<'_>) -> Result<Plan, Vec<FieldError>> {
    let mut p = Problems::new();
    let Some(entity) = ENTITIES.iter().copied().find(|e| *e == def.entity.trim()) else {
        return Err(vec![FieldError::new("entity", format!("must be one of {}", ENTITIES.join(", ")))]);
    };
    let mut res = Resolver { entity, defs: ctx.defs, joins: Vec::new() };
    let tz = match def.time_zone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(z) => p.check(super::zone::parse_zone("time_zone", z)).unwrap_or(Tz::UTC),
        None => ctx.viewer_zone,
    };
    let limit = match def.limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            p.add("limit", format!("must be from 1 to {MAX_LIMIT}"));
            DEFAULT_LIMIT
        }
    };

    let grouped = !def.group_by.is_empty() || !def.aggregates.is_empty();
    let mut columns = Vec::new();
    if !grouped {
        if def.columns.is_empty() {
            p.add("columns", "choose at least one column (or group the records)");
        }
        if def.columns.len() > MAX_COLUMNS {
            p.add("columns", format!("at most {MAX_COLUMNS} columns"));
        }
        for (i, c) in def.columns.iter().enumerate().take(MAX_COLUMNS) {
            match res.resolve(c) {
                Ok(r) => columns.push(r),
                Err(m) => p.add(format!("columns[{i}]"), m),
            }
        }
    }

    let mut groups = Vec::new();
    if def.group_by.len() > 2 {
        p.add("group_by", "at most 2 levels of grouping");
    }
    for (i, g) in def.group_by.iter().enumerate().take(2) {
        let field = format!("group_by[{i}].field");
        match res.resolve(&g.field) {
            Ok(r) => {
                let dated = matches!(r.kind, Time | Date);
                match (dated, g.bucket) {
                    (false, Some(_)) => p.add(format!("group_by[{i}].bucket"), "only times and dates have buckets"),
                    (_, _) if r.kind == Money => p.add(field, "cannot group by an amount; aggregate it instead"),
                    (true, b) => groups.push(PlanGroup { field: r, bucket: Some(b.unwrap_or(Bucket::Day)) }),
                    (false, None) => groups.push(PlanGroup { field: r, bucket: None }),
                }
            }
            Err(m) => p.add(field, m),
        }
    }

    let mut aggregates = Vec::new();
    let mut asked = def.aggregates.clone();
    if grouped && asked.is_empty() {
        asked.push(Aggregate { func: AggFn::Count, field: None });
    }
    if asked.len() > MAX_AGGREGATES {
        p.add("aggregates", format!("at most {MAX_AGGREGATES} aggregates"));
    }
    for (i, a) in asked.iter().enumerate().take(MAX_AGGREGATES) {
        let field = match &a.field {
            None if a.func == AggFn::Count => None,
            None => {
                p.add(format!("aggregates[{i}].field"), format!("`{}` needs a field", a.func.as_str()));
                continue;
            }
            Some(f) => match res.resolve(f) {
                Ok(r) => {
                    let ok = match a.func {
                        AggFn::Count => true,
                        AggFn::Min | AggFn::Max => r.kind.numeric() || matches!(r.kind, Time | Date),
                        _ => r.kind.numeric(),
                    };
                    if !ok {
                        p.add(
                            format!("aggregates[{i}].field"),
                            format!("`{}` needs a number or an amount; `{f}` is {}", a.func.as_str(), r.kind.as_str()),
                        );
                        continue;
                    }
                    Some(r)
                }
                Err(m) => {
                    p.add(format!("aggregates[{i}].field"), m);
                    continue;
                }
            },
        };
        let key = a.key();
        if aggregates.iter().any(|x: &PlanAgg| x.key == key) {
            p.add(format!("aggregates[{i}]"), format!("`{key}` is already asked for"));
            continue;
        }
        let label = match &field {
            None => "Count".to_owned(),
            Some(r) => format!("{} of {}", title_case(a.func.as_str()), r.label),
        };
        aggregates.push(PlanAgg { func: a.func, field, key, label });
    }

    let filter = def.filter.as_ref().and_then(|f| {
        let fctx = FilterContext { entity, defs: ctx.defs, me: ctx.me, now: ctx.now, region: ctx.region };
        let mut count = 0;
        match check_filter(f, &fctx, &mut res, "filter", &mut count) {
            Ok(x) => Some(x),
            Err(e) => {
                p.add(e.field, e.message);
                None
            }
        }
    });

    let mut sort = Vec::new();
    for (i, s) in def.sort.iter().enumerate().take(5) {
        let key = s.key.trim();
        let target = if grouped {
            let pos = groups
                .iter()
                .position(|g| g.field.path == key)
                .or_else(|| aggregates.iter().position(|a| a.key == key).map(|x| x + groups.len()));
            match pos {
                Some(x) => SortTarget::Output(x),
                None => {
                    p.add(format!("sort[{i}].key"), format!("`{key}` is neither a grouping field nor an aggregate"));
                    continue;
                }
            }
        } else if let Some(x) = columns.iter().position(|c| c.path == key) {
            SortTarget::Output(x)
        } else {
            match res.resolve(key) {
                Ok(r) => SortTarget::Field(r),
                Err(m) => {
                    p.add(format!("sort[{i}].key"), m);
                    continue;
                }
            }
        };
        sort.push((target, s.desc));
    }
    if def.sort.len() > 5 {
        p.add("sort", "at most 5 sort keys");
    }

    if !p.is_empty() {
        return Err(p.into_errors());
    }
    Ok(Plan {
        entity,
        joins: res.joins.into_iter().map(|(_, j)| j).collect(),
        filter,
        columns,
        groups,
        aggregates,
        sort,
        limit,
        tz,
        chart: def.chart,
    })
}

fn check_filter(
    f: &Filter,
    ctx: &FilterContext<'_>,
    res: &mut Resolver<'_>,
    path: &str,
    count: &mut usize,
) -> Result<PlanFilter, FieldError> {
    match f {
        Filter::And { and } => Ok(PlanFilter::And(
            and.iter()
                .enumerate()
                .map(|(i, x)| check_filter(x, ctx, res, &format!("{path}.and[{i}]"), count))
                .collect::<Result<_, _>>()?,
        )),
        Filter::Or { or } => Ok(PlanFilter::Or(
            or.iter()
                .enumerate()
                .map(|(i, x)| check_filter(x, ctx, res, &format!("{path}.or[{i}]"), count))
                .collect::<Result<_, _>>()?,
        )),
        Filter::Cond(c) => {
            *count += 1;
            if *count > 50 {
                return Err(FieldError::new(path, "at most 50 conditions"));
            }
            let (alias, column) =
                filter_column(c, res, ctx.entity).map_err(|m| FieldError::new(format!("{path}.{}", c.field), m))?;
            let checked = filter::check_operand(c, column, ctx, path)?;
            Ok(PlanFilter::Cond { alias, checked })
        }
    }
}

/// The filter builder's column for a report field; the primary object's other filterable
/// fields (tags, e-mail, phone, city, ids...) come from the filter builder itself.
fn filter_column(c: &Condition, res: &mut Resolver<'_>, entity: &str) -> Result<(String, Column), String> {
    match res.resolve(&c.field) {
        Ok(r) => {
            let column = match (r.source.clone(), r.kind) {
                (Source::Custom { key, field_type }, _) => Column::Custom { key, field_type },
                (Source::Col(col), Enum(values)) => Column::Enum { col, values },
                (Source::Col(col), Text) => Column::Text { col, folded: false },
                (Source::Col(col), Int) => Column::Int { col },
                (Source::Col(col), Time) => Column::Time { col },
                (Source::Col(col), Date) => Column::Date { col },
                (Source::Money { minor, .. }, _) => Column::Int { col: minor },
                _ => return Err("cannot be filtered; group or aggregate it instead".into()),
            };
            Ok((r.alias, column))
        }
        Err(m) => {
            if !c.field.contains('.')
                && let Some(col) = filter::builtin_column(entity, &c.field)
            {
                return Ok(("a".into(), col));
            }
            Err(m)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Helpers for the SQL of the store

/// Currencies whose minor unit is not a hundredth, with the divisor to major units
/// (every other currency divides by 100). Kept equal to [`super::money::exponent`] by a test.
pub const MINOR_DIVISORS: &[(&str, i64)] = &[
    ("BIF", 1),
    ("CLP", 1),
    ("DJF", 1),
    ("GNF", 1),
    ("ISK", 1),
    ("JPY", 1),
    ("KMF", 1),
    ("KRW", 1),
    ("PYG", 1),
    ("RWF", 1),
    ("UGX", 1),
    ("UYI", 1),
    ("VND", 1),
    ("VUV", 1),
    ("XAF", 1),
    ("XOF", 1),
    ("XPF", 1),
    ("BHD", 1000),
    ("IQD", 1000),
    ("JOD", 1000),
    ("KWD", 1000),
    ("LYD", 1000),
    ("OMR", 1000),
    ("TND", 1000),
    ("CLF", 10000),
    ("UYW", 10000),
];

/// The UTC offsets of a zone as segments `(from, offset)`: from the Unix time `from` (seconds;
/// the first segment reaches back forever, the last forward) local time is UTC + `offset`
/// seconds. Covers 1970-2100 exactly; computed once per zone. SQLite has no zone database,
/// so its date buckets look the offset up in these segments.
pub fn utc_offsets(tz: Tz) -> std::sync::Arc<Vec<(i64, i32)>> {
    use chrono::{Offset, TimeZone};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Segments = Arc<Vec<(i64, i32)>>;
    static CACHE: OnceLock<Mutex<HashMap<Tz, Segments>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(v) = cache.lock().ok().and_then(|m| m.get(&tz).cloned()) {
        return v;
    }
    let off = |t: i64| -> i32 {
        DateTime::from_timestamp(t, 0)
            .map(|d| tz.offset_from_utc_datetime(&d.naive_utc()).fix().local_minus_utc())
            .unwrap_or(0)
    };
    const DAY: i64 = 86_400;
    let (start, end) = (0_i64, 4_102_444_800_i64); // 1970-01-01 .. 2100-01-01
    let mut segs = vec![(i64::MIN, off(start))];
    let mut t = start;
    while t < end {
        let next = t + DAY;
        if off(next) != off(t) {
            // The change lies in (t, next]: find its first second.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if off(mid) == off(t) { lo = mid } else { hi = mid }
            }
            segs.push((hi, off(hi)));
        }
        t = next;
    }
    let v = Arc::new(segs);
    if let Ok(mut m) = cache.lock() {
        m.insert(tz, v.clone());
    }
    v
}

/// The label of a date bucket starting on `start` (`YYYY-MM-DD`): a day or a week's Monday as
/// the date, `2026-03`, `2026-Q1`, `2026`.
pub fn bucket_label(bucket: Bucket, start: &str) -> String {
    let (y, m) = (start.get(0..4).unwrap_or(start), start.get(5..7).and_then(|m| m.parse::<u32>().ok()));
    match (bucket, m) {
        (Bucket::Month, Some(m)) => format!("{y}-{m:02}"),
        (Bucket::Quarter, Some(m)) => format!("{y}-Q{}", (m - 1) / 3 + 1),
        (Bucket::Year, _) => y.to_owned(),
        _ => start.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> PlanContext<'static> {
        PlanContext {
            defs: &[],
            me: Uuid::from_u128(1),
            now: "2026-11-23T10:00:00Z".parse().unwrap(),
            region: None,
            viewer_zone: Tz::UTC,
        }
    }

    fn def(v: serde_json::Value) -> ReportDefinition {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn divisors_agree_with_the_money_rules() {
        for (c, d) in MINOR_DIVISORS {
            assert_eq!(10_i64.pow(crate::domain::money::exponent(c)), *d, "{c}");
        }
        assert_eq!(crate::domain::money::exponent("EUR"), 2);
    }

    #[test]
    fn offsets_follow_daylight_saving() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let segs = utc_offsets(tz);
        // 2026-03-29 01:00 UTC the clocks go from +1 to +2.
        let change = DateTime::parse_from_rfc3339("2026-03-29T01:00:00Z").unwrap().timestamp();
        let at = |t: i64| segs.iter().rev().find(|(from, _)| *from <= t).map(|x| x.1).unwrap();
        assert_eq!(at(change - 1), 3600);
        assert_eq!(at(change), 7200);
        assert_eq!(utc_offsets(Tz::UTC).len(), 1);
        assert_eq!(bucket_label(Bucket::Quarter, "2026-10-01"), "2026-Q4");
        assert_eq!(bucket_label(Bucket::Month, "2026-10-01"), "2026-10");
    }

    #[test]
    fn lookups_become_joins_once() {
        let p = plan(
            &def(json!({"entity": "deal", "group_by": [{"field": "company.industry"}, {"field": "created_at", "bucket": "month"}],
                        "aggregates": [{"fn": "sum", "field": "amount"}, {"fn": "median", "field": "amount"}],
                        "filter": {"field": "company.name", "op": "contains", "value": "a"},
                        "sort": [{"key": "sum(amount)", "desc": true}]})),
            &ctx(),
        )
        .unwrap();
        assert_eq!(p.joins.len(), 1, "company is joined once for the group and the filter");
        assert_eq!(p.joins[0].table, "companies");
        assert_eq!(p.groups[0].field.alias, "j1");
        assert_eq!(p.sort, vec![(SortTarget::Output(2), true)]);
        let h: Vec<String> = p.headers().into_iter().map(|c| c.key).collect();
        assert_eq!(h, ["company.industry", "created_at", "sum(amount)", "median(amount)"]);
    }

    #[test]
    fn two_hops_and_display_fields() {
        let p = plan(
            &def(json!({"entity": "line_item", "columns": ["product.category", "deal.owner.name", "line_total"]})),
            &ctx(),
        )
        .unwrap();
        assert_eq!(p.joins.len(), 4);
        assert_eq!(p.columns[0].source, Source::Col("name"));
        assert_eq!(p.columns[0].label, "Product → Category");
        let e = plan(&def(json!({"entity": "line_item", "columns": ["deal.company.owner.name"]})), &ctx()).unwrap_err();
        assert_eq!(e[0].field, "columns[0]");
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = plan(
            &def(json!({"entity": "deal", "group_by": [{"field": "salary"}, {"field": "title", "bucket": "month"}, {"field": "status"}],
                        "aggregates": [{"fn": "sum", "field": "title"}, {"fn": "avg"}],
                        "filter": {"field": "owner.name", "op": "gt", "value": 3},
                        "sort": [{"key": "nope"}], "time_zone": "Mars/Olympus", "limit": 0})),
            &ctx(),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|x| x.field.as_str()).collect();
        for f in [
            "group_by",
            "group_by[0].field",
            "group_by[1].bucket",
            "aggregates[0].field",
            "aggregates[1].field",
            "filter.owner.name",
            "sort[0].key",
            "time_zone",
            "limit",
        ] {
            assert!(fields.contains(&f), "{f} missing in {fields:?}");
        }
        let e = plan(&def(json!({"entity": "deals; DROP TABLE users", "columns": ["title"]})), &ctx()).unwrap_err();
        assert_eq!(e[0].field, "entity");
        let e = plan(&def(json!({"entity": "deal", "columns": ["title\"; --"]})), &ctx()).unwrap_err();
        assert_eq!(e[0].field, "columns[0]");
    }

    #[test]
    fn primary_filter_fields_fall_back_to_the_filter_builder() {
        let p = plan(&def(json!({"entity": "deal", "columns": ["title"], "filter": {"field": "tags", "op": "has", "value": "vip"}})), &ctx())
            .unwrap();
        assert!(matches!(p.filter, Some(PlanFilter::Cond { checked: Checked::Cond { column: Column::Tags, .. }, .. })));
    }
}
