//! What differs between the record lists (contacts, companies, deals, leads): their pages,
//! columns, quick filters and bulk actions. Everything else — the filter builder, chosen
//! columns, sort, keyset pages, saved views, bulk actions and exports — is one machinery in
//! `lists.rs`, driven by a [`ListKind`].

use clientele_core::domain::deal::Pipeline;
use clientele_core::domain::lead::{LEAD_STATUSES, TEMPERATURES};
use clientele_core::domain::money;
use clientele_core::{Error, FieldError};
use serde_json::{Value, json};

use super::Chrome;
use super::clients_common::{Ent, Pairs, lifecycles};

/// A kind of record that has a list page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ListKind {
    Contact,
    Company,
    Deal,
    Lead,
}

impl From<Ent> for ListKind {
    fn from(e: Ent) -> Self {
        match e {
            Ent::Contact => ListKind::Contact,
            Ent::Company => ListKind::Company,
        }
    }
}

pub const CONTACT_COLUMNS: &[&str] =
    &["company", "title", "phone", "email", "lifecycle", "owner", "tags", "city", "source", "created", "updated"];
pub const COMPANY_COLUMNS: &[&str] = &[
    "industry",
    "tax_number",
    "website",
    "phone",
    "email",
    "lifecycle",
    "owner",
    "tags",
    "city",
    "created",
    "updated",
];
pub const DEAL_COLUMNS: &[&str] = &[
    "pipeline", "stage", "status", "amount", "owner", "contact", "company", "close", "source", "tags", "in_stage",
    "closed", "created", "updated",
];
pub const LEAD_COLUMNS: &[&str] = &[
    "company",
    "status",
    "temperature",
    "source",
    "utm_source",
    "utm_campaign",
    "phone",
    "email",
    "owner",
    "tags",
    "created",
    "updated",
];

impl ListKind {
    /// The entity name of views, custom fields and filters.
    pub fn key(self) -> &'static str {
        match self {
            ListKind::Contact => "contact",
            ListKind::Company => "company",
            ListKind::Deal => "deal",
            ListKind::Lead => "lead",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        Some(match k {
            "contact" => ListKind::Contact,
            "company" => ListKind::Company,
            "deal" => ListKind::Deal,
            "lead" => ListKind::Lead,
            _ => return None,
        })
    }

    /// Where the records live (`{base}/{id}`, `{base}/bulk`, `{base}/views`).
    pub fn base(self) -> &'static str {
        match self {
            ListKind::Contact => "/contacts",
            ListKind::Company => "/companies",
            ListKind::Deal => "/deals",
            ListKind::Lead => "/leads",
        }
    }

    /// The list page (the deals' `/deals` is the board).
    pub fn href(self) -> &'static str {
        match self {
            ListKind::Deal => "/deals/list",
            other => other.base(),
        }
    }

    pub fn nav_key(self) -> &'static str {
        match self {
            ListKind::Contact => "nav-contacts",
            ListKind::Company => "nav-companies",
            ListKind::Deal => "nav-deals",
            ListKind::Lead => "nav-leads",
        }
    }

    /// The `entity` of an export, when the kind can be exported.
    pub fn export_entity(self) -> Option<&'static str> {
        match self {
            ListKind::Contact => Some("contacts"),
            ListKind::Company => Some("companies"),
            ListKind::Deal => Some("deals"),
            ListKind::Lead => None,
        }
    }

    /// The kind of an export's `entity` (contacts by default).
    pub fn of_export(entity: &str) -> Self {
        match entity {
            "companies" => ListKind::Company,
            "deals" => ListKind::Deal,
            _ => ListKind::Contact,
        }
    }

    /// `{base}/new` and the label of that button.
    pub fn new_label(self) -> &'static str {
        match self {
            ListKind::Contact => "contact-new",
            ListKind::Company => "company-new",
            ListKind::Deal => "deal-new",
            ListKind::Lead => "lead-new",
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ListKind::Contact => CONTACT_COLUMNS,
            ListKind::Company => COMPANY_COLUMNS,
            ListKind::Deal => DEAL_COLUMNS,
            ListKind::Lead => LEAD_COLUMNS,
        }
    }

    pub fn default_columns(self) -> &'static [&'static str] {
        match self {
            ListKind::Contact => &["company", "phone", "email", "lifecycle", "owner", "tags", "updated"],
            ListKind::Company => &["industry", "phone", "email", "lifecycle", "owner", "tags", "updated"],
            ListKind::Deal => &["stage", "status", "amount", "owner", "company", "close", "updated"],
            ListKind::Lead => &["company", "status", "temperature", "source", "phone", "owner", "created"],
        }
    }

    /// The sort a column header asks for (`name` is the first column).
    pub fn sort_key(self, col: &str) -> Option<&'static str> {
        match (self, col) {
            (ListKind::Deal, "name") => Some("title"),
            (ListKind::Deal, "amount") => Some("amount_minor"),
            (ListKind::Deal, "in_stage") => Some("stage_entered_at"),
            (_, "name") => Some("name"),
            (_, "created") => Some("created_at"),
            (_, "updated") => Some("updated_at"),
            _ => None,
        }
    }

    /// Whether a column sorts ascending first (names; numbers and dates start from the top).
    pub fn ascending_first(self, sort_key: &str) -> bool {
        matches!(sort_key, "name" | "title")
    }

    pub fn bulk_actions(self) -> &'static [&'static str] {
        match self {
            ListKind::Contact | ListKind::Company => &["add_tag", "remove_tag", "assign_owner", "lifecycle", "delete"],
            ListKind::Deal => &["add_tag", "remove_tag", "assign_owner", "delete"],
            ListKind::Lead => &[],
        }
    }

    pub fn has_lifecycle(self) -> bool {
        matches!(self, ListKind::Contact | ListKind::Company)
    }

    pub fn has_duplicates(self) -> bool {
        matches!(self, ListKind::Contact | ListKind::Company)
    }

    /// Deleted records can be listed and restored (administrators).
    pub fn has_trash(self) -> bool {
        !matches!(self, ListKind::Lead)
    }

    /// The translation key of a filter builder field: deals and leads have their own words
    /// (a deal's `title` is not a job title).
    pub fn field_label_key(self, field: &str) -> String {
        match self {
            ListKind::Deal | ListKind::Lead => format!("ff-{}-{field}", self.key()),
            _ => format!("ff-{field}"),
        }
    }

    pub fn column_label_key(self, col: &str) -> String {
        match self {
            ListKind::Deal | ListKind::Lead => format!("col-{}-{col}", self.key()),
            _ => format!("col-{col}"),
        }
    }

    pub fn name_label_key(self) -> String {
        self.column_label_key("name")
    }
}

/// A quick filter above a list: a select or a short input, kept in the query string.
pub struct Quick {
    pub name: &'static str,
    pub label: String,
    /// `select`, `text` or `number`.
    pub kind: &'static str,
    pub value: String,
    /// (value, label) of a select; the first is the "any" choice.
    pub options: Vec<(String, String)>,
}

/// What quick filters need to know beyond the query.
pub struct QuickContext<'a> {
    pub users: &'a [(String, String)],
    pub pipelines: &'a [Pipeline],
}

fn owner_options(c: &Chrome, users: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = vec![
        (String::new(), c.t.get("qf-anyone")),
        ("me".into(), c.t.get("qf-me")),
        ("none".into(), c.t.get("owner-nobody")),
    ];
    v.extend(users.iter().cloned());
    v
}

/// The quick filters of a kind, with the values of the query.
pub fn quick_filters(kind: ListKind, c: &Chrome, p: &Pairs, ctx: &QuickContext<'_>) -> Vec<Quick> {
    let select = |name: &'static str, label: &str, options: Vec<(String, String)>| Quick {
        name,
        label: c.t.get(label),
        kind: "select",
        value: p.str(name).trim().to_owned(),
        options,
    };
    let input = |name: &'static str, label: &str, kind: &'static str| Quick {
        name,
        label: c.t.get(label),
        kind,
        value: p.str(name).trim().to_owned(),
        options: vec![],
    };
    let with_any = |any: &str, rest: Vec<(String, String)>| {
        let mut v = vec![(String::new(), c.t.get(any))];
        v.extend(rest);
        v
    };
    match kind {
        ListKind::Contact | ListKind::Company => vec![
            select("lifecycle", "ff-lifecycle", with_any("qf-any-stage", lifecycles(c))),
            select("owner", "ff-owner_id", owner_options(c, ctx.users)),
            input("tag", "qf-tag", "text"),
        ],
        ListKind::Deal => {
            let statuses = ["open", "won", "lost"]
                .iter()
                .map(|s| ((*s).to_owned(), c.t.get(&format!("deal-status-{s}"))))
                .collect();
            let pipelines = ctx.pipelines.iter().map(|pl| (pl.id.to_string(), pl.name.clone())).collect();
            let stages = ctx
                .pipelines
                .iter()
                .flat_map(|pl| {
                    pl.stages.iter().map(move |st| (st.id.to_string(), format!("{} · {}", pl.name, st.name)))
                })
                .collect();
            vec![
                select("status", "ff-deal-status", with_any("qf-any-status", statuses)),
                select("pipeline", "ff-deal-pipeline_id", with_any("qf-any-pipeline", pipelines)),
                select("stage", "ff-deal-stage_id", with_any("qf-any-deal-stage", stages)),
                select("owner", "ff-owner_id", owner_options(c, ctx.users)),
                input("tag", "qf-tag", "text"),
                input("amount_min", "qf-amount-min", "number"),
                input("amount_max", "qf-amount-max", "number"),
            ]
        }
        ListKind::Lead => {
            let mut statuses = vec![("all".to_owned(), c.t.get("lead-all-statuses"))];
            statuses.extend(
                LEAD_STATUSES
                    .iter()
                    .map(|s| ((*s).to_owned(), c.t.get(&format!("lead-status-{}", s.replace('_', "-"))))),
            );
            let temps = TEMPERATURES.iter().map(|s| ((*s).to_owned(), c.t.get(&format!("lead-temp-{s}")))).collect();
            vec![
                select("status", "lead-field-status", with_any("lead-open-statuses", statuses)),
                select("temperature", "lead-field-temperature", with_any("lead-any-temperature", temps)),
                select("owner", "ff-owner_id", owner_options(c, ctx.users)),
                input("tag", "qf-tag", "text"),
            ]
        }
    }
}

fn cond(field: &str, op: &str, value: Value) -> Value {
    json!({"field": field, "op": op, "value": value})
}

/// The quick filters of the query as filter conditions. Amounts are typed in the base
/// currency's units and compared in minor units; a bad amount is named.
pub fn quick_conditions(kind: ListKind, p: &Pairs, base_currency: &str) -> Result<Vec<Value>, Error> {
    let mut v = Vec::new();
    if kind.has_lifecycle()
        && let Some(l) = p.get("lifecycle")
    {
        v.push(cond("lifecycle", "eq", json!(l)));
    }
    match p.get("owner") {
        Some("none") => v.push(cond("owner_id", "is_empty", Value::Null)),
        Some(o) => v.push(cond("owner_id", "eq", json!(o))),
        None => {}
    }
    if let Some(t) = p.get("tag") {
        v.push(cond("tags", "has", json!(t)));
    }
    match kind {
        ListKind::Deal => {
            if let Some(s) = p.get("status") {
                v.push(cond("status", "eq", json!(s)));
            }
            if let Some(id) = p.get("pipeline") {
                v.push(cond("pipeline_id", "eq", json!(id)));
            }
            if let Some(id) = p.get("stage") {
                v.push(cond("stage_id", "eq", json!(id)));
            }
            let mut bad: Vec<FieldError> = Vec::new();
            for (name, op) in [("amount_min", "gte"), ("amount_max", "lte")] {
                if let Some(a) = p.get(name) {
                    match money::parse_amount(name, &json!(a), base_currency, true) {
                        Ok(minor) => v.push(cond("amount_minor", op, json!(minor))),
                        Err(e) => bad.push(e),
                    }
                }
            }
            if !bad.is_empty() {
                return Err(Error::Validation(bad));
            }
        }
        ListKind::Lead => {
            match p.get("status") {
                Some("all") => {}
                Some(s) => v.push(cond("status", "eq", json!(s))),
                // Converted and disqualified leads are done: the default list shows the open ones.
                None => v.push(cond("status", "in", json!(["new", "in_progress", "qualified"]))),
            }
            if let Some(t) = p.get("temperature") {
                v.push(cond("temperature", "eq", json!(t)));
            }
        }
        ListKind::Contact | ListKind::Company => {}
    }
    Ok(v)
}
