//! Outgoing webhooks: subscriptions, deliveries and their attempts (issue 7).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::automation::DomainEvent;
use clientele_core::domain::job::Job;
use clientele_core::domain::webhook::{Attempt, Delivery, Subscription};
use clientele_core::service::webhooks::DELIVER_JOB;
use clientele_core::store::WebhookStore;
use clientele_core::{Error, Result};
use serde_json::json;
use uuid::Uuid;

use crate::db::Tx;
use crate::io_store::enqueue_tx;
use crate::platform::{insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

/// In the transaction of an event: a delivery (and its job) for every active subscription
/// to its type.
pub(crate) async fn deliveries_tx(tx: &mut Tx, ev: &DomainEvent) -> Result<()> {
    let e = || db_err("queueing webhook deliveries");
    let subs: Vec<(Uuid,)> = tx
        .fetch_all(
            "SELECT DISTINCT s.id FROM webhook_subscription_events e JOIN webhook_subscriptions s ON s.id = e.subscription_id \
             WHERE e.event_type IN ($1, '*') AND s.active = $2",
            args![ev.event_type.clone(), true],
        )
        .await
        .map_err(e())?;
    for (sub,) in subs {
        let id = clientele_core::domain::new_id();
        tx.execute(
            "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
            args![id, sub, ev.id, ev.event_type.clone(), ev.occurred_at],
        )
        .await
        .map_err(e())?;
        let mut job = Job::new(DELIVER_JOB, json!({"id": id}), None, ev.occurred_at);
        job.dedupe_key = Some(format!("{DELIVER_JOB}:{id}"));
        job.max_attempts = 8;
        enqueue_tx(tx, &job).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SubRow {
    id: Uuid,
    version: i64,
    url: String,
    description: String,
    secret: String,
    active: bool,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const SUB_COLS: &str = "id, version, url, description, secret, active, created_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    subscription_id: Uuid,
    event_id: Uuid,
    event_type: String,
    status: String,
    attempts: i64,
    response_code: Option<i64>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

const DELIVERY_COLS: &str = "id, subscription_id, event_id, event_type, status, attempts, response_code, last_error, \
                             created_at, updated_at, delivered_at";

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Self {
        Self {
            id: r.id,
            subscription_id: r.subscription_id,
            event_id: r.event_id,
            event_type: r.event_type,
            status: r.status,
            attempts: r.attempts,
            response_code: r.response_code,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            delivered_at: r.delivered_at,
        }
    }
}

impl SqlStore {
    async fn sub_from(&self, r: SubRow) -> Result<(Subscription, String)> {
        let types: Vec<(String,)> = self
            .db
            .fetch_all(
                "SELECT event_type FROM webhook_subscription_events WHERE subscription_id = $1 ORDER BY event_type",
                args![r.id],
            )
            .await
            .map_err(db_err("reading a webhook subscription"))?;
        Ok((
            Subscription {
                id: r.id,
                version: r.version,
                url: r.url,
                description: r.description,
                event_types: types.into_iter().map(|(t,)| t).collect(),
                active: r.active,
                secret: None,
                created_by: r.created_by,
                created_at: r.created_at,
                updated_at: r.updated_at,
            },
            r.secret,
        ))
    }
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn save_subscription(
        &self,
        s: &Subscription,
        secret: &str,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()> {
        let e = || db_err("saving a webhook subscription");
        let mut tx = self.db.begin().await.map_err(e())?;
        match expected_version {
            None => {
                tx.execute(
                    &format!(
                        "INSERT INTO webhook_subscriptions ({SUB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    ),
                    args![
                        s.id,
                        s.version,
                        s.url.clone(),
                        s.description.clone(),
                        secret.to_owned(),
                        s.active,
                        s.created_by,
                        s.created_at,
                        s.updated_at
                    ],
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE webhook_subscriptions SET version = $2, url = $3, description = $4, secret = $5, active = $6, \
                         updated_at = $7 WHERE id = $1 AND version = $8",
                        args![s.id, s.version, s.url.clone(), s.description.clone(), secret.to_owned(), s.active, s.updated_at, v],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "webhook_subscriptions", s.id, "webhook").await);
                }
                tx.execute("DELETE FROM webhook_subscription_events WHERE subscription_id = $1", args![s.id])
                    .await
                    .map_err(e())?;
            }
        }
        for t in &s.event_types {
            tx.execute(
                "INSERT INTO webhook_subscription_events (subscription_id, event_type) VALUES ($1, $2)",
                args![s.id, t.clone()],
            )
            .await
            .map_err(e())?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn get_subscription(&self, id: Uuid) -> Result<Option<(Subscription, String)>> {
        let row: Option<SubRow> = self
            .db
            .fetch_optional(&format!("SELECT {SUB_COLS} FROM webhook_subscriptions WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a webhook subscription"))?;
        match row {
            Some(r) => Ok(Some(self.sub_from(r).await?)),
            None => Ok(None),
        }
    }

    async fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        let rows: Vec<SubRow> = self
            .db
            .fetch_all(&format!("SELECT {SUB_COLS} FROM webhook_subscriptions ORDER BY created_at, id"), args![])
            .await
            .map_err(db_err("listing webhook subscriptions"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.sub_from(r).await?.0);
        }
        Ok(out)
    }

    async fn delete_subscription(&self, id: Uuid, audit: &AuditEntry) -> Result<bool> {
        let e = || db_err("deleting a webhook subscription");
        let mut tx = self.db.begin().await.map_err(e())?;
        // Children first: SQLite enforces no foreign keys unless asked to.
        for sql in [
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = $1)",
            "DELETE FROM webhook_deliveries WHERE subscription_id = $1",
            "DELETE FROM webhook_subscription_events WHERE subscription_id = $1",
        ] {
            tx.execute(sql, args![id]).await.map_err(e())?;
        }
        let n = tx.execute("DELETE FROM webhook_subscriptions WHERE id = $1", args![id]).await.map_err(e())?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())?;
        Ok(true)
    }

    async fn get_delivery(&self, id: Uuid) -> Result<Option<Delivery>> {
        let row: Option<DeliveryRow> = self
            .db
            .fetch_optional(&format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a webhook delivery"))?;
        Ok(row.map(Delivery::from))
    }

    async fn list_deliveries(&self, subscription_id: Uuid, limit: u32) -> Result<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id DESC LIMIT $2"
                ),
                args![subscription_id, i64::from(limit)],
            )
            .await
            .map_err(db_err("listing webhook deliveries"))?;
        Ok(rows.into_iter().map(Delivery::from).collect())
    }

    async fn delivery_attempts(&self, delivery_id: Uuid) -> Result<Vec<Attempt>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            delivery_id: Uuid,
            attempt: i64,
            at: DateTime<Utc>,
            response_code: Option<i64>,
            error: Option<String>,
            duration_ms: i64,
        }
        let rows: Vec<Row> = self
            .db
            .fetch_all(
                "SELECT delivery_id, attempt, at, response_code, error, duration_ms FROM webhook_attempts \
                 WHERE delivery_id = $1 ORDER BY attempt",
                args![delivery_id],
            )
            .await
            .map_err(db_err("reading webhook attempts"))?;
        Ok(rows
            .into_iter()
            .map(|r| Attempt {
                delivery_id: r.delivery_id,
                attempt: r.attempt,
                at: r.at,
                response_code: r.response_code,
                error: r.error,
                duration_ms: r.duration_ms,
            })
            .collect())
    }

    async fn record_attempt(&self, a: &Attempt, status: &str) -> Result<()> {
        let e = || db_err("logging a webhook attempt");
        let mut tx = self.db.begin().await.map_err(e())?;
        tx.execute(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, response_code, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            args![a.delivery_id, a.attempt, a.at, a.response_code, a.error.clone(), a.duration_ms],
        )
        .await
        .map_err(e())?;
        let delivered = (status == "delivered").then_some(a.at);
        let n = tx
            .execute(
                "UPDATE webhook_deliveries SET status = $2, attempts = $3, response_code = $4, last_error = $5, \
                 updated_at = $6, delivered_at = COALESCE($7, delivered_at) WHERE id = $1",
                args![a.delivery_id, status.to_owned(), a.attempt, a.response_code, a.error.clone(), a.at, delivered],
            )
            .await
            .map_err(e())?;
        if n == 0 {
            return Err(Error::NotFound("delivery"));
        }
        tx.commit().await.map_err(e())
    }

    async fn set_delivery_status(&self, id: Uuid, status: &str, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                "UPDATE webhook_deliveries SET status = $2, updated_at = $3 WHERE id = $1",
                args![id, status.to_owned(), at],
            )
            .await
            .map_err(db_err("updating a webhook delivery"))?;
        Ok(())
    }
}
