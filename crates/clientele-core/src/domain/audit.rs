use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// One line of the audit log: who did what to which record, and what changed, field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `None` for changes made by the system (CLI, first start, background jobs).
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    /// `create`, `update`, `delete`, or a named action such as `revoke` or `password_change`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// For updates `{field: {"old": .., "new": ..}}`; for creates and deletes the whole
    /// record under `{field: {"new": ..}}` / `{field: {"old": ..}}`.
    #[schema(value_type = Object)]
    pub changes: Value,
}

/// Fields that change on every write and carry no information for a reader of the log.
const NOISE: [&str; 3] = ["version", "updated_at", "created_at"];

/// Field-level difference between two JSON objects (the serialised record before and after).
/// Nested objects are compared as whole values: `custom_fields.x` shows up as `custom_fields`.
pub fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    for (k, new) in a {
        if NOISE.contains(&k.as_str()) {
            continue;
        }
        let old = b.get(k).unwrap_or(&Value::Null);
        if old != new {
            out.insert(k.clone(), serde_json::json!({"old": old, "new": new}));
        }
    }
    for (k, old) in b {
        if !a.contains_key(k) && !NOISE.contains(&k.as_str()) {
            out.insert(k.clone(), serde_json::json!({"old": old, "new": Value::Null}));
        }
    }
    Value::Object(out)
}

/// The changes of a created record: every field as `{"new": value}`.
pub fn created(after: &Value) -> Value {
    one_sided(after, "new")
}

/// The changes of a deleted record: every field as `{"old": value}`.
pub fn deleted(before: &Value) -> Value {
    one_sided(before, "old")
}

fn one_sided(v: &Value, side: &str) -> Value {
    let mut out = Map::new();
    if let Some(obj) = v.as_object() {
        for (k, val) in obj {
            if NOISE.contains(&k.as_str()) || k == "id" || val.is_null() {
                continue;
            }
            out.insert(k.clone(), serde_json::json!({ side: val }));
        }
    }
    Value::Object(out)
}

/// Filters for reading the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_only_changed_fields() {
        let before = json!({"name": "Ann", "role": "manager", "version": 1, "team_id": null});
        let after = json!({"name": "Anna", "role": "manager", "version": 2, "team_id": "t1"});
        let d = diff(&before, &after);
        assert_eq!(d, json!({"name": {"old": "Ann", "new": "Anna"}, "team_id": {"old": null, "new": "t1"}}));
    }

    #[test]
    fn diff_of_removed_field() {
        let d = diff(&json!({"a": 1, "b": 2}), &json!({"a": 1}));
        assert_eq!(d, json!({"b": {"old": 2, "new": null}}));
    }

    #[test]
    fn created_and_deleted_skip_noise() {
        let rec = json!({"id": "x", "name": "Ann", "version": 1, "note": null});
        assert_eq!(created(&rec), json!({"name": {"new": "Ann"}}));
        assert_eq!(deleted(&rec), json!({"name": {"old": "Ann"}}));
    }
}
