//! Automation: cron-like job schedules, domain events, rules (trigger → conditions →
//! actions), their runs, distribution policies and outgoing webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A cron-like schedule: at each slot a worker queues one job of `kind` with `payload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobSchedule {
    /// Unique; with the slot it is the queued job's dedupe key.
    pub name: String,
    /// Five cron fields (minute hour day-of-month month day-of-week), UTC.
    pub cron: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A domain event: something that happened to a record, written in the transaction of the
/// change (the outbox). The single source for automation rules, webhooks and the events feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DomainEvent {
    pub id: uuid::Uuid,
    /// `deal.created`, `deal.updated`, `deal.stage_entered`, `deal.won`, `task.overdue`, ...
    pub event_type: String,
    pub entity_type: String,
    pub entity_id: uuid::Uuid,
    pub actor_id: Option<uuid::Uuid>,
    /// The audit line of the change, when there is one.
    pub audit_id: Option<uuid::Uuid>,
    /// For record changes `{"changes": {field: {"old": .., "new": ..}}}`, plus what the
    /// event type adds (`stage_id`, `from_stage_id`, ...).
    #[schema(value_type = Object)]
    pub data: Value,
    /// 0 for a change made by a person or the system; each automation action adds one.
    pub depth: i64,
    /// The automation rules whose actions led to this event, oldest first.
    pub chain: Vec<uuid::Uuid>,
    pub occurred_at: DateTime<Utc>,
}

/// A page of the events feed, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub event_type: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<uuid::Uuid>,
    /// Events older than this one (ids are time-ordered).
    pub before: Option<uuid::Uuid>,
    pub limit: u32,
}

/// The records whose changes are events.
pub const EVENT_ENTITIES: [&str; 11] = [
    "contact",
    "company",
    "deal",
    "lead",
    "task",
    "product",
    "activity",
    "comment",
    "conversation",
    "quote",
    "invoice",
];

/// Event types beyond `<entity>.created|updated|deleted|restored`.
pub const SPECIAL_EVENTS: [&str; 8] = [
    "deal.stage_entered",
    "deal.won",
    "deal.lost",
    "lead.converted",
    "task.overdue",
    "message.received",
    "contact.merge",
    "company.merge",
];

/// Every event type a rule or a webhook may name.
pub fn event_types() -> Vec<String> {
    let mut out: Vec<String> = EVENT_ENTITIES
        .iter()
        .flat_map(|e| ["created", "updated", "deleted", "restored"].map(|a| format!("{e}.{a}")))
        .collect();
    out.extend(SPECIAL_EVENTS.iter().map(|s| (*s).to_owned()));
    out
}

pub fn is_event_type(s: &str) -> bool {
    event_types().iter().any(|t| t == s)
}

/// The events an audited change stands for: `(event_type, data)`. Changes of records that
/// are not [`EVENT_ENTITIES`] (users, tokens, settings, channels) are no events.
pub fn events_of_audit(e: &crate::domain::audit::AuditEntry) -> Vec<(String, Value)> {
    let entity = e.entity_type.as_str();
    if !EVENT_ENTITIES.contains(&entity) {
        return vec![];
    }
    let changes = &e.changes;
    let base = serde_json::json!({ "changes": changes });
    let mut out = Vec::new();
    let generic = match e.action.as_str() {
        "create" => Some("created"),
        "update" => Some("updated"),
        "delete" => Some("deleted"),
        "restore" => Some("restored"),
        "stage_changed" => Some("updated"),
        _ => None,
    };
    match generic {
        Some(g) => out.push((format!("{entity}.{g}"), base.clone())),
        None => {
            let name = format!("{entity}.{}", e.action);
            if is_event_type(&name) {
                out.push((name, base.clone()));
            }
        }
    }
    if entity == "deal" && e.action != "delete" {
        let new_of = |f: &str| changes.get(f).and_then(|c| c.get("new")).filter(|v| !v.is_null());
        if let Some(stage) = new_of("stage_id") {
            let from = changes.get("stage_id").and_then(|c| c.get("old")).cloned().unwrap_or(Value::Null);
            let mut d = base.clone();
            d["stage_id"] = stage.clone();
            d["from_stage_id"] = from;
            if let Some(p) = new_of("pipeline_id") {
                d["pipeline_id"] = p.clone();
            }
            out.push(("deal.stage_entered".into(), d));
        }
        match new_of("status").and_then(Value::as_str) {
            Some("won") => out.push(("deal.won".into(), base.clone())),
            Some("lost") => out.push(("deal.lost".into(), base.clone())),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditEntry;
    use serde_json::json;

    fn entry(action: &str, entity: &str, changes: Value) -> AuditEntry {
        AuditEntry {
            id: uuid::Uuid::nil(),
            at: Utc::now(),
            actor_id: None,
            actor_name: "t".into(),
            action: action.into(),
            entity_type: entity.into(),
            entity_id: uuid::Uuid::nil(),
            changes,
        }
    }

    fn types(e: &AuditEntry) -> Vec<String> {
        events_of_audit(e).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn audit_lines_become_events() {
        assert_eq!(types(&entry("create", "contact", json!({"first_name": {"new": "A"}}))), vec!["contact.created"]);
        assert_eq!(
            types(&entry("create", "deal", json!({"stage_id": {"new": "s1"}, "status": {"new": "open"}}))),
            vec!["deal.created", "deal.stage_entered"]
        );
        let moved = entry(
            "stage_changed",
            "deal",
            json!({"stage_id": {"old": "s1", "new": "s2"}, "status": {"old": "open", "new": "won"}}),
        );
        assert_eq!(types(&moved), vec!["deal.updated", "deal.stage_entered", "deal.won"]);
        let (_, data) = &events_of_audit(&moved)[1];
        assert_eq!((&data["stage_id"], &data["from_stage_id"]), (&json!("s2"), &json!("s1")));
        assert_eq!(types(&entry("update", "deal", json!({"title": {"old": "a", "new": "b"}}))), vec!["deal.updated"]);
        assert_eq!(types(&entry("converted", "lead", json!({}))), vec!["lead.converted"]);
        assert!(types(&entry("create", "api_token", json!({}))).is_empty(), "not a record event");
        assert!(types(&entry("payment_added", "deal", json!({}))).is_empty(), "not a known event");
        assert!(is_event_type("task.overdue") && !is_event_type("task.exploded"));
    }
}
