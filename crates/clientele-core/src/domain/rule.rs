//! Automation rules: a trigger (an event, or a time condition), conditions (field
//! comparisons combined with `all` / `any`), and ordered actions. Parsed from JSON with
//! every problem named by its path (`conditions.all[1].op`); evaluated against a record's
//! JSON (plus the event and a few computed fields), pure.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::automation::is_event_type;
use crate::error::FieldError;

/// The records rules can watch with a time trigger or act on.
pub const RULE_ENTITIES: [&str; 5] = ["deal", "lead", "contact", "company", "task"];

/// At most this many actions in a rule, and this deep a condition tree.
pub const MAX_ACTIONS: usize = 20;
const MAX_CONDITION_DEPTH: usize = 5;

/// When a rule runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// A domain event, such as `deal.stage_entered` or `lead.created`.
    Event { event: String },
    /// A deal has been in its stage longer than `days` (default: the stage's time limit).
    StageTimeExceeded {
        #[serde(default)]
        pipeline_id: Option<Uuid>,
        #[serde(default)]
        stage_id: Option<Uuid>,
        #[serde(default)]
        days: Option<i64>,
    },
    /// An open task is overdue by `days` days or more.
    TaskOverdue {
        #[serde(default)]
        days: i64,
    },
    /// `days_before` days before a date field of a record (a birthday, a contract end);
    /// `field` is a record field (`expected_close_date`) or `custom_fields.<key>`.
    /// Birthdays and other yearly dates: `yearly: true` compares month and day.
    DateApproaching {
        entity: String,
        field: String,
        days_before: i64,
        #[serde(default)]
        yearly: bool,
    },
    /// On a cron-like schedule, for every record of `entity` that meets the conditions.
    Schedule { cron: String, entity: String },
}

impl Trigger {
    /// `event` or `time`.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Event { .. } => "event",
            _ => "time",
        }
    }

    pub fn event(&self) -> Option<&str> {
        match self {
            Trigger::Event { event } => Some(event),
            _ => None,
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    /// `value` is `[low, high]`, both included.
    Between,
    In,
    NotIn,
    /// Text contains (case-insensitive), or a list (tags) holds the value.
    Contains,
    NotContains,
    IsEmpty,
    IsNotEmpty,
    /// The field changed in this event (`event.changes` has it).
    Changed,
}

/// A condition tree: `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` or a comparison
/// `{"field": "amount", "op": "gte", "value": "1000"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Condition {
    All {
        #[schema(no_recursion)]
        all: Vec<Condition>,
    },
    Any {
        #[schema(no_recursion)]
        any: Vec<Condition>,
    },
    Not {
        #[schema(no_recursion)]
        not: Box<Condition>,
    },
    Compare {
        /// A path into the record (`amount`, `temperature`, `custom_fields.region`,
        /// `owner.team_id`, `event.stage_id`).
        field: String,
        op: Op,
        #[serde(default)]
        #[schema(value_type = Object)]
        value: Value,
    },
}

/// Who an action's task or notification goes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Recipient {
    /// `owner` (the record's owner) or `actor` (whoever made the change).
    Role(String),
    User {
        user_id: Uuid,
    },
}

/// What a rule does, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionSpec {
    /// A task on the record; `title` and `description` are templates (`{{title}}`,
    /// `{{owner.name}}`, `{{custom_fields.region}}`).
    CreateTask {
        title: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        kind: Option<String>,
        assignee: Recipient,
        /// Due this many hours after the rule runs (none: no due time).
        #[serde(default)]
        due_in_hours: Option<i64>,
        #[serde(default)]
        priority: Option<String>,
    },
    Notify {
        recipients: Vec<Recipient>,
        text: String,
    },
    SetField {
        field: String,
        #[schema(value_type = Object)]
        value: Value,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    /// A given user, or the next by a distribution policy.
    AssignOwner {
        #[serde(default)]
        user_id: Option<Uuid>,
        #[serde(default)]
        policy: Option<String>,
    },
    MoveStage {
        stage_id: Uuid,
    },
    /// A deal from a lead (the lead's conversion).
    CreateDealFromLead {
        #[serde(default)]
        pipeline_id: Option<Uuid>,
    },
    /// An invoice from a deal.
    CreateInvoice {
        #[serde(default)]
        notes: Option<String>,
    },
    /// Posts the record and the event to a URL (queued, retried, signed like webhooks).
    CallWebhook {
        url: String,
    },
    /// An e-mail from a template to the record's contact (queued through the inbox).
    SendEmail {
        template_id: Uuid,
    },
    /// A text message to the record's contact (queued).
    SendSms {
        text: String,
    },
}

impl ActionSpec {
    pub fn name(&self) -> &'static str {
        match self {
            ActionSpec::CreateTask { .. } => "create_task",
            ActionSpec::Notify { .. } => "notify",
            ActionSpec::SetField { .. } => "set_field",
            ActionSpec::AddTag { .. } => "add_tag",
            ActionSpec::RemoveTag { .. } => "remove_tag",
            ActionSpec::AssignOwner { .. } => "assign_owner",
            ActionSpec::MoveStage { .. } => "move_stage",
            ActionSpec::CreateDealFromLead { .. } => "create_deal_from_lead",
            ActionSpec::CreateInvoice { .. } => "create_invoice",
            ActionSpec::CallWebhook { .. } => "call_webhook",
            ActionSpec::SendEmail { .. } => "send_email",
            ActionSpec::SendSms { .. } => "send_sms",
        }
    }

    /// The records this action can act on.
    fn entities(&self) -> &'static [&'static str] {
        match self {
            ActionSpec::CreateTask { .. } | ActionSpec::Notify { .. } | ActionSpec::CallWebhook { .. } => {
                &RULE_ENTITIES
            }
            ActionSpec::SetField { .. }
            | ActionSpec::AddTag { .. }
            | ActionSpec::RemoveTag { .. }
            | ActionSpec::AssignOwner { .. } => &["deal", "lead", "contact", "company"],
            ActionSpec::MoveStage { .. } | ActionSpec::CreateInvoice { .. } => &["deal"],
            ActionSpec::CreateDealFromLead { .. } => &["lead"],
            ActionSpec::SendEmail { .. } | ActionSpec::SendSms { .. } => &["deal", "lead", "contact"],
        }
    }
}

/// A rule's definition: what is versioned, exported and imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleDefinition {
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: Option<Condition>,
    pub actions: Vec<ActionSpec>,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub definition: RuleDefinition,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One version of a rule, as it was saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleVersion {
    pub rule_id: Uuid,
    pub version: i64,
    pub name: String,
    pub enabled: bool,
    pub definition: RuleDefinition,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

/// What a rule did (or would do) to one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleRun {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub rule_version: i64,
    pub event_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `done`, `failed`, `not_matched`, `loop_prevented`, `dry_run`.
    pub status: String,
    pub depth: i64,
    /// Per action: `{"action": "create_task", "outcome": "done" | "skipped" | "failed" | "would_run", ...}`.
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn fe(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError::new(field, message)
}

/// The entity a trigger is about (`None` for events of any record type).
pub fn trigger_entity(t: &Trigger) -> Option<String> {
    match t {
        Trigger::Event { event } => event.split('.').next().map(str::to_owned),
        Trigger::StageTimeExceeded { .. } => Some("deal".into()),
        Trigger::TaskOverdue { .. } => Some("task".into()),
        Trigger::DateApproaching { entity, .. } | Trigger::Schedule { entity, .. } => Some(entity.clone()),
    }
}

/// Parses a definition from JSON, naming every bad field by its path.
pub fn parse_definition(v: &Value) -> Result<RuleDefinition, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = v.as_object() else {
        return Err(vec![fe("definition", "must be an object with trigger, conditions and actions")]);
    };
    let trigger = match obj.get("trigger") {
        None | Some(Value::Null) => {
            errors.push(fe("trigger", "is required"));
            None
        }
        Some(t) => match serde_json::from_value::<Trigger>(t.clone()) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(fe(
                    "trigger",
                    format!("{e} (types: event, stage_time_exceeded, task_overdue, date_approaching, schedule)"),
                ));
                None
            }
        },
    };
    if let Some(t) = &trigger {
        check_trigger(t, &mut errors);
    }
    let conditions = match obj.get("conditions") {
        None | Some(Value::Null) => None,
        Some(c) => parse_condition(c, "conditions", 0, &mut errors),
    };
    let mut actions = Vec::new();
    match obj.get("actions") {
        Some(Value::Array(list)) if !list.is_empty() => {
            if list.len() > MAX_ACTIONS {
                errors.push(fe("actions", format!("at most {MAX_ACTIONS} actions")));
            }
            for (i, a) in list.iter().enumerate() {
                let path = format!("actions[{i}]");
                match serde_json::from_value::<ActionSpec>(a.clone()) {
                    Ok(a) => {
                        check_action(&a, &path, trigger.as_ref(), &mut errors);
                        actions.push(a);
                    }
                    Err(e) => errors.push(fe(path, e.to_string())),
                }
            }
        }
        _ => errors.push(fe("actions", "is required: a list of at least one action")),
    }
    match (trigger, errors.is_empty()) {
        (Some(trigger), true) => Ok(RuleDefinition { trigger, conditions, actions }),
        _ => Err(errors),
    }
}

fn check_trigger(t: &Trigger, errors: &mut Vec<FieldError>) {
    match t {
        Trigger::Event { event } => {
            if !is_event_type(event) {
                errors.push(fe("trigger.event", format!("`{event}` is not an event type")));
            }
        }
        Trigger::StageTimeExceeded { days, .. } => {
            if days.is_some_and(|d| !(0..=3650).contains(&d)) {
                errors.push(fe("trigger.days", "must be between 0 and 3650"));
            }
        }
        Trigger::TaskOverdue { days } => {
            if !(0..=3650).contains(days) {
                errors.push(fe("trigger.days", "must be between 0 and 3650"));
            }
        }
        Trigger::DateApproaching { entity, field, days_before, .. } => {
            if !RULE_ENTITIES.contains(&entity.as_str()) {
                errors.push(fe("trigger.entity", format!("must be one of {}", RULE_ENTITIES.join(", "))));
            }
            if field.trim().is_empty() {
                errors.push(fe("trigger.field", "is required"));
            }
            if !(0..=366).contains(days_before) {
                errors.push(fe("trigger.days_before", "must be between 0 and 366"));
            }
        }
        Trigger::Schedule { cron, entity } => {
            if let Err(m) = super::cron::Cron::parse(cron) {
                errors.push(fe("trigger.cron", m));
            }
            if !RULE_ENTITIES.contains(&entity.as_str()) {
                errors.push(fe("trigger.entity", format!("must be one of {}", RULE_ENTITIES.join(", "))));
            }
        }
    }
}

fn parse_condition(v: &Value, path: &str, depth: usize, errors: &mut Vec<FieldError>) -> Option<Condition> {
    if depth > MAX_CONDITION_DEPTH {
        errors.push(fe(path, format!("conditions nest at most {MAX_CONDITION_DEPTH} deep")));
        return None;
    }
    let Some(obj) = v.as_object() else {
        errors
            .push(fe(path, "must be an object: {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or a comparison"));
        return None;
    };
    for group in ["all", "any"] {
        if let Some(list) = obj.get(group) {
            let Some(list) = list.as_array() else {
                errors.push(fe(format!("{path}.{group}"), "must be a list"));
                return None;
            };
            let items: Vec<Condition> = list
                .iter()
                .enumerate()
                .filter_map(|(i, c)| parse_condition(c, &format!("{path}.{group}[{i}]"), depth + 1, errors))
                .collect();
            return Some(if group == "all" { Condition::All { all: items } } else { Condition::Any { any: items } });
        }
    }
    if let Some(inner) = obj.get("not") {
        return parse_condition(inner, &format!("{path}.not"), depth + 1, errors)
            .map(|c| Condition::Not { not: Box::new(c) });
    }
    let field = match obj.get("field").and_then(Value::as_str) {
        Some(f) if !f.trim().is_empty() => f.to_owned(),
        _ => {
            errors.push(fe(format!("{path}.field"), "is required"));
            return None;
        }
    };
    let op = match obj.get("op").map(|o| serde_json::from_value::<Op>(o.clone())) {
        Some(Ok(op)) => op,
        _ => {
            errors.push(fe(
                format!("{path}.op"),
                "must be one of eq, ne, gt, gte, lt, lte, between, in, not_in, contains, not_contains, is_empty, is_not_empty, changed",
            ));
            return None;
        }
    };
    let value = obj.get("value").cloned().unwrap_or(Value::Null);
    let needs_value = !matches!(op, Op::IsEmpty | Op::IsNotEmpty | Op::Changed);
    if needs_value && value.is_null() {
        errors.push(fe(format!("{path}.value"), "is required for this operator"));
    }
    match op {
        Op::Between if value.as_array().is_none_or(|a| a.len() != 2) => {
            errors.push(fe(format!("{path}.value"), "must be [low, high]"))
        }
        Op::In | Op::NotIn if !value.is_array() => errors.push(fe(format!("{path}.value"), "must be a list")),
        _ => {}
    }
    Some(Condition::Compare { field, op, value })
}

fn check_action(a: &ActionSpec, path: &str, trigger: Option<&Trigger>, errors: &mut Vec<FieldError>) {
    if let Some(entity) = trigger.and_then(trigger_entity)
        && !a.entities().contains(&entity.as_str())
    {
        errors.push(fe(
            path,
            format!("`{}` does not apply to a {entity}; it applies to {}", a.name(), a.entities().join(", ")),
        ));
    }
    let text = |field: &str, v: &str, max: usize, errors: &mut Vec<FieldError>| {
        if v.trim().is_empty() {
            errors.push(fe(format!("{path}.{field}"), "is required"));
        } else if v.chars().count() > max {
            errors.push(fe(format!("{path}.{field}"), format!("at most {max} characters")));
        }
    };
    match a {
        ActionSpec::CreateTask { title, due_in_hours, assignee, .. } => {
            text("title", title, 300, errors);
            if due_in_hours.is_some_and(|h| !(0..=24 * 366).contains(&h)) {
                errors.push(fe(format!("{path}.due_in_hours"), "must be between 0 and 8784"));
            }
            check_recipient(assignee, &format!("{path}.assignee"), errors);
        }
        ActionSpec::Notify { recipients, text: t } => {
            text("text", t, 1000, errors);
            if recipients.is_empty() {
                errors.push(fe(format!("{path}.recipients"), "is required"));
            }
            for (i, r) in recipients.iter().enumerate() {
                check_recipient(r, &format!("{path}.recipients[{i}]"), errors);
            }
        }
        ActionSpec::SetField { field, .. } => {
            if field.trim().is_empty()
                || ["id", "version", "created_at", "updated_at", "stage_id", "owner_id"].contains(&field.as_str())
            {
                errors.push(fe(
                    format!("{path}.field"),
                    "must name a field that can be set (stages move with move_stage, owners with assign_owner)",
                ));
            }
        }
        ActionSpec::AddTag { tag } | ActionSpec::RemoveTag { tag } => text("tag", tag, 100, errors),
        ActionSpec::AssignOwner { user_id, policy } => {
            if user_id.is_none() == policy.is_none() {
                errors.push(fe(format!("{path}.user_id"), "give either user_id or policy"));
            }
        }
        ActionSpec::CallWebhook { url } => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                errors.push(fe(format!("{path}.url"), "must be an http:// or https:// URL"));
            }
        }
        ActionSpec::SendSms { text: t } => text("text", t, 1000, errors),
        ActionSpec::MoveStage { .. }
        | ActionSpec::CreateDealFromLead { .. }
        | ActionSpec::CreateInvoice { .. }
        | ActionSpec::SendEmail { .. } => {}
    }
}

fn check_recipient(r: &Recipient, path: &str, errors: &mut Vec<FieldError>) {
    if let Recipient::Role(role) = r
        && role != "owner"
        && role != "actor"
    {
        errors.push(fe(path, "must be \"owner\", \"actor\" or {\"user_id\": ...}"));
    }
}

// ---------------------------------------------------------------- evaluation

/// The value at a dotted path (`custom_fields.region`, `owner.team_id`).
pub fn lookup<'a>(subject: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = subject;
    for part in path.split('.') {
        v = match v {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        // Money: {"amount": "12.50", "currency": "EUR"}
        Value::Object(m) => m.get("amount").and_then(number),
        _ => None,
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) if !a.is_object() || !b.is_object() => x == y,
        _ => match (a, b) {
            (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
            (Value::Bool(x), Value::String(y)) | (Value::String(y), Value::Bool(x)) => y == &x.to_string(),
            _ => a == b,
        },
    }
}

fn ordered(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        // Dates and times in ISO form order as text.
        _ => match (a, b) {
            (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
            _ => None,
        },
    }
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// Whether `subject` meets the condition. `subject` is the record's JSON with `event`
/// (the event's data) and computed fields such as `owner` beside its own.
pub fn evaluate(c: &Condition, subject: &Value) -> bool {
    match c {
        Condition::All { all } => all.iter().all(|c| evaluate(c, subject)),
        Condition::Any { any } => any.iter().any(|c| evaluate(c, subject)),
        Condition::Not { not } => !evaluate(not, subject),
        Condition::Compare { field, op, value } => {
            let actual = lookup(subject, field);
            let a = actual.unwrap_or(&Value::Null);
            match op {
                Op::Eq => equal(a, value),
                Op::Ne => !equal(a, value),
                Op::Gt => ordered(a, value).is_some_and(|o| o.is_gt()),
                Op::Gte => ordered(a, value).is_some_and(|o| o.is_ge()),
                Op::Lt => ordered(a, value).is_some_and(|o| o.is_lt()),
                Op::Lte => ordered(a, value).is_some_and(|o| o.is_le()),
                Op::Between => match value.as_array().map(Vec::as_slice) {
                    Some([lo, hi]) => {
                        ordered(a, lo).is_some_and(|o| o.is_ge()) && ordered(a, hi).is_some_and(|o| o.is_le())
                    }
                    _ => false,
                },
                Op::In => value.as_array().is_some_and(|l| l.iter().any(|v| equal(a, v))),
                Op::NotIn => !value.as_array().is_some_and(|l| l.iter().any(|v| equal(a, v))),
                Op::Contains | Op::NotContains => {
                    let has = match a {
                        Value::Array(list) => list.iter().any(|v| equal(v, value)),
                        other => text_of(other).to_lowercase().contains(&text_of(value).to_lowercase()),
                    };
                    has == (*op == Op::Contains)
                }
                Op::IsEmpty => is_empty(actual),
                Op::IsNotEmpty => !is_empty(actual),
                Op::Changed => lookup(subject, &format!("event.changes.{field}")).is_some(),
            }
        }
    }
}

/// Fills `{{path}}` placeholders from `subject`; unknown paths become empty.
pub fn render(template: &str, subject: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let path = after[..end].trim();
                if let Some(v) = lookup(subject, path) {
                    out.push_str(&text_of(v));
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Puts `key` → `value` into `obj` (for building subjects).
pub fn with(mut obj: Value, key: &str, value: Value) -> Value {
    if let Value::Object(m) = &mut obj {
        m.insert(key.to_owned(), value);
    } else {
        let mut m = Map::new();
        m.insert(key.to_owned(), value);
        return Value::Object(m);
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn definitions_parse_and_bad_ones_name_their_fields() {
        let ok = parse_definition(&json!({
            "trigger": {"type": "event", "event": "deal.stage_entered"},
            "conditions": {"all": [
                {"field": "event.stage_id", "op": "eq", "value": "x"},
                {"any": [{"field": "amount", "op": "between", "value": ["100", "5000"]}, {"field": "tags", "op": "contains", "value": "vip"}]}
            ]},
            "actions": [
                {"type": "create_invoice"},
                {"type": "create_task", "title": "Invoice {{title}}", "assignee": {"user_id": "00000000-0000-0000-0000-000000000000"}, "due_in_hours": 24}
            ]
        }))
        .unwrap();
        assert_eq!(ok.actions.len(), 2);
        assert_eq!(ok.trigger.event(), Some("deal.stage_entered"));

        let bad = parse_definition(&json!({
            "trigger": {"type": "event", "event": "deal.exploded"},
            "conditions": {"all": [{"field": "amount", "op": "huge"}, {"op": "eq", "value": 1}, {"field": "x", "op": "between", "value": [1]}]},
            "actions": [{"type": "create_deal_from_lead"}, {"type": "teleport"}, {"type": "create_task", "title": "", "assignee": "nobody"}]
        }))
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "trigger.event",
            "conditions.all[0].op",
            "conditions.all[1].field",
            "conditions.all[2].value",
            "actions[1]",
            "actions[2].title",
            "actions[2].assignee",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let missing = parse_definition(&json!({})).unwrap_err();
        assert_eq!(missing.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["trigger", "actions"]);
        let cron = parse_definition(&json!({"trigger": {"type": "schedule", "cron": "99 * * * *", "entity": "deal"}, "actions": [{"type": "add_tag", "tag": "x"}]})).unwrap_err();
        assert_eq!(cron[0].field, "trigger.cron");
        let applies = parse_definition(
            &json!({"trigger": {"type": "event", "event": "deal.won"}, "actions": [{"type": "create_deal_from_lead"}]}),
        )
        .unwrap_err();
        assert!(applies[0].message.contains("does not apply to a deal"));
    }

    #[test]
    fn conditions_compare_fields_money_tags_and_groups() {
        let deal = json!({
            "title": "Big one", "amount": "2500.00", "tags": ["vip", "q3"], "temperature": "hot",
            "custom_fields": {"region": "North"}, "owner": {"team_id": "t1", "name": "Ann"},
            "event": {"stage_id": "s2", "changes": {"stage_id": {"old": "s1", "new": "s2"}}}
        });
        let c = |v: Value| parse_condition(&v, "c", 0, &mut vec![]).unwrap();
        assert!(evaluate(&c(json!({"field": "amount", "op": "gte", "value": 1000})), &deal));
        assert!(!evaluate(&c(json!({"field": "amount", "op": "gt", "value": "2500"})), &deal));
        assert!(evaluate(&c(json!({"field": "amount", "op": "between", "value": ["2000", "3000"]})), &deal));
        assert!(evaluate(&c(json!({"field": "tags", "op": "contains", "value": "VIP"})), &deal));
        assert!(evaluate(&c(json!({"field": "custom_fields.region", "op": "in", "value": ["north", "south"]})), &deal));
        assert!(evaluate(&c(json!({"field": "owner.team_id", "op": "eq", "value": "t1"})), &deal));
        assert!(evaluate(&c(json!({"field": "stage_id", "op": "changed"})), &deal));
        assert!(!evaluate(&c(json!({"field": "title", "op": "changed"})), &deal));
        assert!(evaluate(&c(json!({"field": "notes", "op": "is_empty"})), &deal));
        assert!(evaluate(
            &c(
                json!({"any": [{"field": "temperature", "op": "eq", "value": "cold"}, {"not": {"field": "title", "op": "contains", "value": "small"}}]})
            ),
            &deal
        ));
        assert!(!evaluate(
            &c(
                json!({"all": [{"field": "temperature", "op": "eq", "value": "hot"}, {"field": "event.stage_id", "op": "ne", "value": "s2"}]})
            ),
            &deal
        ));
        assert_eq!(
            render("Invoice for {{title}} ({{owner.name}}, {{custom_fields.region}}{{nope}})", &deal),
            "Invoice for Big one (Ann, North)"
        );
        assert_eq!(render("no {{end", &deal), "no {{end");
    }
}
