//! Automation rules with their versions and runs; lead distribution policies (issue 7).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::distribution::{Assignment, Policy, PolicyDefinition};
use clientele_core::domain::rule::{Rule, RuleDefinition, RuleRun, RuleVersion};
use clientele_core::store::RuleStore;
use clientele_core::{Error, Result};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::{Params, Tx};
use crate::platform::{insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

fn internal(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("{what}: {detail}"))
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    version: i64,
    name: String,
    description: String,
    enabled: bool,
    definition: Json<Value>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const RULE_COLS: &str = "id, version, name, description, enabled, definition, created_by, created_at, updated_at";

impl TryFrom<RuleRow> for Rule {
    type Error = Error;

    fn try_from(r: RuleRow) -> Result<Rule> {
        let definition: RuleDefinition =
            serde_json::from_value(r.definition.0).map_err(|e| internal("stored rule definition", e))?;
        Ok(Rule {
            id: r.id,
            version: r.version,
            name: r.name,
            description: r.description,
            enabled: r.enabled,
            definition,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn def_json(d: &RuleDefinition) -> Value {
    serde_json::to_value(d).unwrap_or_default()
}

async fn insert_version(tx: &mut Tx, r: &Rule, by: Option<Uuid>) -> Result<()> {
    tx.execute(
        "INSERT INTO automation_rule_versions (rule_id, version, name, enabled, definition, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![r.id, r.version, r.name.clone(), r.enabled, def_json(&r.definition), by, r.updated_at],
    )
    .await
    .map_err(db_err("saving a rule version"))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: Uuid,
    rule_id: Uuid,
    rule_version: i64,
    event_id: Option<Uuid>,
    entity_type: String,
    entity_id: Uuid,
    status: String,
    depth: i64,
    actions: Json<Vec<Value>>,
    error: Option<String>,
    created_at: DateTime<Utc>,
}

const RUN_COLS: &str =
    "id, rule_id, rule_version, event_id, entity_type, entity_id, status, depth, actions, error, created_at";

impl From<RunRow> for RuleRun {
    fn from(r: RunRow) -> Self {
        Self {
            id: r.id,
            rule_id: r.rule_id,
            rule_version: r.rule_version,
            event_id: r.event_id,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            status: r.status,
            depth: r.depth,
            actions: r.actions.0,
            error: r.error,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    id: Uuid,
    version: i64,
    name: String,
    definition: Json<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PolicyRow> for Policy {
    type Error = Error;

    fn try_from(r: PolicyRow) -> Result<Policy> {
        let definition: PolicyDefinition =
            serde_json::from_value(r.definition.0).map_err(|e| internal("stored distribution policy", e))?;
        Ok(Policy {
            id: r.id,
            version: r.version,
            name: r.name,
            definition,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const POLICY_COLS: &str = "id, version, name, definition, created_at, updated_at";

fn in_list(p: &mut Params, ids: &[Uuid]) -> String {
    ids.iter().map(|id| p.push(*id)).collect::<Vec<_>>().join(", ")
}

#[async_trait]
impl RuleStore for SqlStore {
    async fn insert_rule(&self, r: &Rule, audit: &AuditEntry) -> Result<()> {
        let e = || db_err("saving a rule");
        let mut tx = self.db.begin().await.map_err(e())?;
        tx.execute(
            &format!(
                "INSERT INTO automation_rules ({RULE_COLS}, trigger_kind, trigger_event) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ),
            args![
                r.id,
                r.version,
                r.name.clone(),
                r.description.clone(),
                r.enabled,
                def_json(&r.definition),
                r.created_by,
                r.created_at,
                r.updated_at,
                r.definition.trigger.kind(),
                r.definition.trigger.event().map(str::to_owned)
            ],
        )
        .await
        .map_err(e())?;
        insert_version(&mut tx, r, audit.actor_id).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn update_rule(&self, r: &Rule, expected_version: i64, audit: &AuditEntry) -> Result<()> {
        let e = || db_err("saving a rule");
        let mut tx = self.db.begin().await.map_err(e())?;
        let n = tx
            .execute(
                "UPDATE automation_rules SET version = $2, name = $3, description = $4, enabled = $5, definition = $6, \
                 updated_at = $7, trigger_kind = $8, trigger_event = $9 \
                 WHERE id = $1 AND version = $10 AND deleted_at IS NULL",
                args![
                    r.id,
                    r.version,
                    r.name.clone(),
                    r.description.clone(),
                    r.enabled,
                    def_json(&r.definition),
                    r.updated_at,
                    r.definition.trigger.kind(),
                    r.definition.trigger.event().map(str::to_owned),
                    expected_version
                ],
            )
            .await
            .map_err(e())?;
        if n == 0 {
            return Err(version_conflict(&mut tx, "automation_rules", r.id, "rule").await);
        }
        insert_version(&mut tx, r, audit.actor_id).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn delete_rule(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<bool> {
        let e = || db_err("deleting a rule");
        let mut tx = self.db.begin().await.map_err(e())?;
        let n = tx
            .execute(
                "UPDATE automation_rules SET deleted_at = $2, enabled = $3, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL",
                args![id, at, false],
            )
            .await
            .map_err(e())?;
        if n == 1 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(e())?;
        Ok(n == 1)
    }

    async fn get_rule(&self, id: Uuid) -> Result<Option<Rule>> {
        let row: Option<RuleRow> = self
            .db
            .fetch_optional(
                &format!("SELECT {RULE_COLS} FROM automation_rules WHERE id = $1 AND deleted_at IS NULL"),
                args![id],
            )
            .await
            .map_err(db_err("reading a rule"))?;
        row.map(Rule::try_from).transpose()
    }

    async fn list_rules(&self) -> Result<Vec<Rule>> {
        let rows: Vec<RuleRow> = self
            .db
            .fetch_all(
                &format!("SELECT {RULE_COLS} FROM automation_rules WHERE deleted_at IS NULL ORDER BY name, id"),
                args![],
            )
            .await
            .map_err(db_err("listing rules"))?;
        rows.into_iter().map(Rule::try_from).collect()
    }

    async fn rules_for_event(&self, event_type: &str) -> Result<Vec<Rule>> {
        let rows: Vec<RuleRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {RULE_COLS} FROM automation_rules WHERE trigger_event = $1 AND enabled = $2 \
                     AND deleted_at IS NULL ORDER BY created_at, id"
                ),
                args![event_type.to_owned(), true],
            )
            .await
            .map_err(db_err("reading the rules of an event"))?;
        rows.into_iter().map(Rule::try_from).collect()
    }

    async fn rule_versions(&self, id: Uuid) -> Result<Vec<RuleVersion>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            rule_id: Uuid,
            version: i64,
            name: String,
            enabled: bool,
            definition: Json<Value>,
            changed_by: Option<Uuid>,
            changed_at: DateTime<Utc>,
        }
        let rows: Vec<Row> = self
            .db
            .fetch_all(
                "SELECT rule_id, version, name, enabled, definition, changed_by, changed_at \
                 FROM automation_rule_versions WHERE rule_id = $1 ORDER BY version DESC",
                args![id],
            )
            .await
            .map_err(db_err("reading rule versions"))?;
        rows.into_iter()
            .map(|r| {
                Ok(RuleVersion {
                    rule_id: r.rule_id,
                    version: r.version,
                    name: r.name,
                    enabled: r.enabled,
                    definition: serde_json::from_value(r.definition.0)
                        .map_err(|e| internal("stored rule version", e))?,
                    changed_by: r.changed_by,
                    changed_at: r.changed_at,
                })
            })
            .collect()
    }

    async fn insert_run(&self, r: &RuleRun) -> Result<()> {
        self.db
            .execute(
                &format!(
                    "INSERT INTO automation_runs ({RUN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ),
                args![
                    r.id,
                    r.rule_id,
                    r.rule_version,
                    r.event_id,
                    r.entity_type.clone(),
                    r.entity_id,
                    r.status.clone(),
                    r.depth,
                    serde_json::to_value(&r.actions).unwrap_or_default(),
                    r.error.clone(),
                    r.created_at
                ],
            )
            .await
            .map_err(db_err("logging a rule run"))?;
        Ok(())
    }

    async fn list_runs(&self, rule_id: Option<Uuid>, entity: Option<(&str, Uuid)>, limit: u32) -> Result<Vec<RuleRun>> {
        let mut p = Params::default();
        let mut w = vec!["1 = 1".to_owned()];
        if let Some(id) = rule_id {
            w.push(format!("rule_id = {}", p.push(id)));
        }
        if let Some((t, id)) = entity {
            w.push(format!("entity_type = {}", p.push(t.to_owned())));
            w.push(format!("entity_id = {}", p.push(id)));
        }
        let limit = p.push(i64::from(limit));
        let rows: Vec<RunRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {RUN_COLS} FROM automation_runs WHERE {} ORDER BY id DESC LIMIT {limit}",
                    w.join(" AND ")
                ),
                p.0,
            )
            .await
            .map_err(db_err("listing rule runs"))?;
        Ok(rows.into_iter().map(RuleRun::from).collect())
    }

    async fn save_policy(&self, pol: &Policy, expected_version: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let e = || db_err("saving a distribution policy");
        let def = serde_json::to_value(&pol.definition).unwrap_or_default();
        let mut tx = self.db.begin().await.map_err(e())?;
        match expected_version {
            None => {
                tx.execute(
                    &format!("INSERT INTO distribution_policies ({POLICY_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"),
                    args![pol.id, pol.version, pol.name.clone(), def, pol.created_at, pol.updated_at],
                )
                .await
                .map_err(|err| match db_err("saving a distribution policy")(err) {
                    Error::Conflict { .. } => Error::conflict("name", "a policy with this name exists"),
                    other => other,
                })?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE distribution_policies SET version = $2, name = $3, definition = $4, updated_at = $5 \
                         WHERE id = $1 AND version = $6",
                        args![pol.id, pol.version, pol.name.clone(), def, pol.updated_at, v],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "distribution_policies", pol.id, "policy").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn list_policies(&self) -> Result<Vec<Policy>> {
        let rows: Vec<PolicyRow> = self
            .db
            .fetch_all(&format!("SELECT {POLICY_COLS} FROM distribution_policies ORDER BY name"), args![])
            .await
            .map_err(db_err("listing distribution policies"))?;
        rows.into_iter().map(Policy::try_from).collect()
    }

    async fn get_policy_by_name(&self, name: &str) -> Result<Option<Policy>> {
        let row: Option<PolicyRow> = self
            .db
            .fetch_optional(
                &format!("SELECT {POLICY_COLS} FROM distribution_policies WHERE name = $1"),
                args![name.to_owned()],
            )
            .await
            .map_err(db_err("reading a distribution policy"))?;
        row.map(Policy::try_from).transpose()
    }

    async fn delete_policy(&self, id: Uuid, audit: &AuditEntry) -> Result<bool> {
        let e = || db_err("deleting a distribution policy");
        let mut tx = self.db.begin().await.map_err(e())?;
        let n = tx.execute("DELETE FROM distribution_policies WHERE id = $1", args![id]).await.map_err(e())?;
        if n == 1 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(e())?;
        Ok(n == 1)
    }

    async fn next_rr(&self, policy_id: Uuid) -> Result<i64> {
        let e = || db_err("advancing a round-robin");
        let mut tx = self.db.begin().await.map_err(e())?;
        let row: Option<(i64,)> = tx
            .fetch_optional(
                "UPDATE distribution_policies SET rr_cursor = rr_cursor + 1 WHERE id = $1 RETURNING rr_cursor",
                args![policy_id],
            )
            .await
            .map_err(e())?;
        tx.commit().await.map_err(e())?;
        row.map(|(c,)| c - 1).ok_or(Error::NotFound("policy"))
    }

    async fn record_assignment(&self, a: &Assignment) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO distribution_assignments (id, policy_id, user_id, entity_type, entity_id, assigned_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![a.id, a.policy_id, a.user_id, a.entity_type.clone(), a.entity_id, a.assigned_at],
            )
            .await
            .map_err(db_err("recording an assignment"))?;
        Ok(())
    }

    async fn assignments_since(&self, users: &[Uuid], since: DateTime<Utc>) -> Result<Vec<(Uuid, i64)>> {
        if users.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let s = p.push(since);
        let list = in_list(&mut p, users);
        self.db
            .fetch_all(
                &format!(
                    "SELECT user_id, COUNT(*) FROM distribution_assignments WHERE assigned_at >= {s} \
                     AND user_id IN ({list}) GROUP BY user_id"
                ),
                p.0,
            )
            .await
            .map_err(db_err("counting assignments"))
    }

    async fn record_ids(&self, entity: &str, limit: u32) -> Result<Vec<Uuid>> {
        let table = match entity {
            "deal" => "deals",
            "lead" => "leads",
            "contact" => "contacts",
            "company" => "companies",
            "task" => "tasks",
            other => return Err(Error::invalid("entity", format!("`{other}` is not a record type rules act on"))),
        };
        let rows: Vec<(Uuid,)> = self
            .db
            .fetch_all(
                &format!("SELECT id FROM {table} WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $1"),
                args![i64::from(limit)],
            )
            .await
            .map_err(db_err("listing records for a rule"))?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn open_load(&self, users: &[Uuid]) -> Result<Vec<(Uuid, i64)>> {
        if users.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let list = in_list(&mut p, users);
        let list2 = in_list(&mut p, users);
        self.db
            .fetch_all(
                &format!(
                    "SELECT owner_id, COUNT(*) FROM ( \
                       SELECT owner_id FROM deals WHERE status = 'open' AND deleted_at IS NULL AND owner_id IN ({list}) \
                       UNION ALL \
                       SELECT owner_id FROM leads WHERE status IN ('new', 'in_progress', 'qualified') AND deleted_at IS NULL AND owner_id IN ({list2}) \
                     ) l GROUP BY owner_id"
                ),
                p.0,
            )
            .await
            .map_err(db_err("counting open deals and leads"))
    }
}
