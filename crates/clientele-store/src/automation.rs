//! Schedules, job effects, the domain-event outbox and automation (issue 7).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::automation::JobSchedule;
use clientele_core::domain::job::Job;
use clientele_core::store::AutomationStore;
use clientele_core::{Result, effects};
use serde_json::Value;
use sqlx::types::Json;

use clientele_core::domain::automation::{DomainEvent, EventQuery, events_of_audit};
use clientele_core::domain::inbox::{Conversation, Direction, Message};
use clientele_core::domain::new_id;
use clientele_core::service::automation::EVENT_JOB;
use serde_json::json;
use uuid::Uuid;

use crate::db::{Params, Tx};
use crate::io_store::enqueue_tx;
use crate::{SqlStore, args, db_err};

/// Runs in the transaction of every audited change (from `insert_audit`): records the
/// scope's effect key, refusing the change when the key is there already.
pub(crate) async fn after_audit(tx: &mut Tx, e: &AuditEntry) -> Result<()> {
    if let Some((key, job)) = effects::take_effect_key() {
        let n = tx
            .execute(
                "INSERT INTO job_effects (effect_key, job_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                args![key, job, e.at],
            )
            .await
            .map_err(db_err("recording a job's effect"))?;
        if n == 0 {
            return Err(effects::effect_done());
        }
    }
    let origin = effects::origin();
    for (event_type, data) in events_of_audit(e) {
        let ev = DomainEvent {
            id: new_id(),
            event_type,
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id,
            actor_id: e.actor_id,
            audit_id: Some(e.id),
            data,
            depth: i64::from(origin.depth),
            chain: origin.chain.clone(),
            occurred_at: e.at,
        };
        write_event_tx(tx, &ev).await?;
    }
    Ok(())
}

/// `message.received` for an inbound message, in the transaction that stores it.
pub(crate) async fn message_saved_tx(tx: &mut Tx, c: &Conversation, m: &Message) -> Result<()> {
    if m.direction != Direction::Inbound {
        return Ok(());
    }
    let origin = effects::origin();
    let ev = DomainEvent {
        id: new_id(),
        event_type: "message.received".into(),
        entity_type: "conversation".into(),
        entity_id: c.id,
        actor_id: None,
        audit_id: None,
        data: json!({
            "message_id": m.id,
            "channel_id": m.channel_id,
            "from": m.from_addr,
            "subject": m.subject,
            "contact_id": c.contact_id,
            "company_id": c.company_id,
            "lead_id": c.lead_id,
            "assignee_id": c.assignee_id,
        }),
        depth: i64::from(origin.depth),
        chain: origin.chain,
        occurred_at: m.created_at,
    };
    write_event_tx(tx, &ev).await
}

const EVENT_COLS: &str = "id, event_type, entity_type, entity_id, actor_id, audit_id, data, depth, chain, occurred_at";

/// Writes a domain event in the transaction of its change, and queues in the same
/// transaction what must follow from it: a run of the automation rules listening to its
/// type (when any is enabled).
pub(crate) async fn write_event_tx(tx: &mut Tx, ev: &DomainEvent) -> Result<()> {
    let e = || db_err("writing a domain event");
    tx.execute(
        &format!("INSERT INTO domain_events ({EVENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
        args![
            ev.id,
            ev.event_type.clone(),
            ev.entity_type.clone(),
            ev.entity_id,
            ev.actor_id,
            ev.audit_id,
            ev.data.clone(),
            ev.depth,
            serde_json::to_value(&ev.chain).unwrap_or_default(),
            ev.occurred_at
        ],
    )
    .await
    .map_err(e())?;
    let listening: Option<(Uuid,)> = tx
        .fetch_optional(
            "SELECT id FROM automation_rules WHERE trigger_event = $1 AND enabled = $2 AND deleted_at IS NULL LIMIT 1",
            args![ev.event_type.clone(), true],
        )
        .await
        .map_err(e())?;
    if listening.is_some() {
        let mut job = Job::new(EVENT_JOB, json!({"id": ev.id}), None, ev.occurred_at);
        job.dedupe_key = Some(format!("{EVENT_JOB}:{}", ev.id));
        enqueue_tx(tx, &job).await?;
    }
    crate::webhooks::deliveries_tx(tx, ev).await
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    event_type: String,
    entity_type: String,
    entity_id: Uuid,
    actor_id: Option<Uuid>,
    audit_id: Option<Uuid>,
    data: Json<Value>,
    depth: i64,
    chain: Json<Vec<Uuid>>,
    occurred_at: DateTime<Utc>,
}

impl From<EventRow> for DomainEvent {
    fn from(r: EventRow) -> Self {
        Self {
            id: r.id,
            event_type: r.event_type,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            actor_id: r.actor_id,
            audit_id: r.audit_id,
            data: r.data.0,
            depth: r.depth,
            chain: r.chain.0,
            occurred_at: r.occurred_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    name: String,
    cron: String,
    kind: String,
    payload: Json<Value>,
    enabled: bool,
    next_run_at: DateTime<Utc>,
    last_run_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ScheduleRow> for JobSchedule {
    fn from(r: ScheduleRow) -> Self {
        Self {
            name: r.name,
            cron: r.cron,
            kind: r.kind,
            payload: r.payload.0,
            enabled: r.enabled,
            next_run_at: r.next_run_at,
            last_run_at: r.last_run_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SCHEDULE_COLS: &str = "name, cron, kind, payload, enabled, next_run_at, last_run_at, created_at, updated_at";

#[async_trait]
impl AutomationStore for SqlStore {
    async fn insert_event(&self, ev: &DomainEvent) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("writing a domain event"))?;
        write_event_tx(&mut tx, ev).await?;
        tx.commit().await.map_err(db_err("writing a domain event"))
    }

    async fn get_event(&self, id: Uuid) -> Result<Option<DomainEvent>> {
        let row: Option<EventRow> = self
            .db
            .fetch_optional(&format!("SELECT {EVENT_COLS} FROM domain_events WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a domain event"))?;
        Ok(row.map(DomainEvent::from))
    }

    async fn list_events(&self, q: &EventQuery) -> Result<Vec<DomainEvent>> {
        let mut p = Params::default();
        let mut w = vec!["1 = 1".to_owned()];
        if let Some(t) = &q.event_type {
            w.push(format!("event_type = {}", p.push(t.clone())));
        }
        if let Some(t) = &q.entity_type {
            w.push(format!("entity_type = {}", p.push(t.clone())));
        }
        if let Some(id) = q.entity_id {
            w.push(format!("entity_id = {}", p.push(id)));
        }
        if let Some(before) = q.before {
            w.push(format!("id < {}", p.push(before)));
        }
        let limit = p.push(i64::from(q.limit));
        let rows: Vec<EventRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {EVENT_COLS} FROM domain_events WHERE {} ORDER BY id DESC LIMIT {limit}",
                    w.join(" AND ")
                ),
                p.0,
            )
            .await
            .map_err(db_err("listing domain events"))?;
        Ok(rows.into_iter().map(DomainEvent::from).collect())
    }

    async fn effect_done(&self, key: &str) -> Result<bool> {
        let row: Option<(String,)> = self
            .db
            .fetch_optional("SELECT effect_key FROM job_effects WHERE effect_key = $1", args![key.to_owned()])
            .await
            .map_err(db_err("reading a job's effect"))?;
        Ok(row.is_some())
    }

    async fn mark_effect(&self, key: &str, job: Option<Uuid>) -> Result<bool> {
        let n = self
            .db
            .execute(
                "INSERT INTO job_effects (effect_key, job_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                args![key.to_owned(), job, clientele_core::domain::now()],
            )
            .await
            .map_err(db_err("recording a job's effect"))?;
        Ok(n == 1)
    }

    async fn upsert_schedule(&self, s: &JobSchedule) -> Result<()> {
        self.db
            .execute(
                &format!(
                    "INSERT INTO job_schedules ({SCHEDULE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, kind = excluded.kind, \
                     payload = excluded.payload, enabled = excluded.enabled, next_run_at = excluded.next_run_at, \
                     updated_at = excluded.updated_at"
                ),
                args![
                    s.name.clone(),
                    s.cron.clone(),
                    s.kind.clone(),
                    s.payload.clone(),
                    s.enabled,
                    s.next_run_at,
                    s.last_run_at,
                    s.created_at,
                    s.updated_at
                ],
            )
            .await
            .map_err(db_err("saving a schedule"))?;
        Ok(())
    }

    async fn list_schedules(&self) -> Result<Vec<JobSchedule>> {
        let rows: Vec<ScheduleRow> = self
            .db
            .fetch_all(&format!("SELECT {SCHEDULE_COLS} FROM job_schedules ORDER BY name"), args![])
            .await
            .map_err(db_err("listing schedules"))?;
        Ok(rows.into_iter().map(JobSchedule::from).collect())
    }

    async fn delete_schedule(&self, name: &str) -> Result<bool> {
        let n = self
            .db
            .execute("DELETE FROM job_schedules WHERE name = $1", args![name.to_owned()])
            .await
            .map_err(db_err("deleting a schedule"))?;
        Ok(n == 1)
    }

    async fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<JobSchedule>> {
        let rows: Vec<ScheduleRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {SCHEDULE_COLS} FROM job_schedules WHERE enabled = $1 AND next_run_at <= $2 ORDER BY next_run_at"
                ),
                args![true, now],
            )
            .await
            .map_err(db_err("reading due schedules"))?;
        Ok(rows.into_iter().map(JobSchedule::from).collect())
    }

    async fn advance_schedule(&self, name: &str, slot: DateTime<Utc>, next: DateTime<Utc>, job: &Job) -> Result<bool> {
        let mut tx = self.db.begin().await.map_err(db_err("advancing a schedule"))?;
        let n = tx
            .execute(
                "UPDATE job_schedules SET next_run_at = $1, last_run_at = $2, updated_at = $2 \
                 WHERE name = $3 AND next_run_at = $4",
                args![next, job.created_at, name.to_owned(), slot],
            )
            .await
            .map_err(db_err("advancing a schedule"))?;
        if n == 1 {
            enqueue_tx(&mut tx, job).await?;
        }
        tx.commit().await.map_err(db_err("advancing a schedule"))?;
        Ok(n == 1)
    }
}
