//! Outgoing webhooks (issue 7): subscriptions per event type; deliveries written through
//! the outbox (in the transaction of the change, beside the event), sent by the worker with
//! an HMAC-SHA256 signature and a timestamp, retried with the queue's backoff, logged with
//! every attempt's response code; manual redelivery.

use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::Services;
use super::users::to_json;
use super::{audit_entry, check_version};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::automation::is_event_type;
use crate::domain::job::Job;
use crate::domain::secret::random_token;
use crate::domain::webhook::{Attempt, Delivery, SIGNATURE_HEADER, Subscription, sign};
use crate::domain::{audit, new_id, now};
use crate::error::{Error, FieldError, Result};

/// The job that sends one delivery.
pub const DELIVER_JOB: &str = "webhook.deliver";

/// `POST /webhooks`, `PATCH /webhooks/{id}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    pub url: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Event types (`deal.won`, `lead.created`, ...) or `*`.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub active: Option<bool>,
    /// A new signing secret (shown once in the answer).
    #[serde(default)]
    pub rotate_secret: bool,
}

impl Services {
    fn subscription_from(
        &self,
        input: &SubscriptionInput,
        base: Option<&Subscription>,
    ) -> Result<(String, String, Vec<String>, bool)> {
        let mut errors = Vec::new();
        let url = input.url.clone().or(base.map(|b| b.url.clone())).unwrap_or_default().trim().to_owned();
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2000 {
            errors.push(FieldError::new("url", "must be an http:// or https:// URL"));
        }
        let description = input.description.clone().or(base.map(|b| b.description.clone())).unwrap_or_default();
        if description.chars().count() > 500 {
            errors.push(FieldError::new("description", "at most 500 characters"));
        }
        let mut types = input.event_types.clone().or(base.map(|b| b.event_types.clone())).unwrap_or_default();
        types.sort();
        types.dedup();
        if types.is_empty() {
            errors.push(FieldError::new("event_types", "at least one event type (or `*`)"));
        }
        for (i, t) in types.iter().enumerate() {
            if t != "*" && !is_event_type(t) {
                errors.push(FieldError::new(format!("event_types[{i}]"), format!("`{t}` is not an event type")));
            }
        }
        let active = input.active.or(base.map(|b| b.active)).unwrap_or(true);
        if errors.is_empty() { Ok((url, description, types, active)) } else { Err(Error::Validation(errors)) }
    }

    pub async fn create_subscription(&self, actor: &Actor, input: SubscriptionInput) -> Result<Subscription> {
        check_area(actor, Area::Settings, Action::Update)?;
        let (url, description, event_types, active) = self.subscription_from(&input, None)?;
        let at = now();
        let secret = random_token();
        let s = Subscription {
            id: new_id(),
            version: 1,
            url,
            description,
            event_types,
            active,
            secret: None,
            created_by: actor.audit_id(),
            created_at: at,
            updated_at: at,
        };
        let a = audit_entry(actor, "create", "webhook", s.id, audit::created(&to_json(&s)));
        self.store.save_subscription(&s, &secret, None, &a).await?;
        Ok(Subscription { secret: Some(secret), ..s })
    }

    pub async fn update_subscription(
        &self,
        actor: &Actor,
        id: Uuid,
        input: SubscriptionInput,
        if_match: Option<i64>,
    ) -> Result<Subscription> {
        check_area(actor, Area::Settings, Action::Update)?;
        let (current, secret) = self.store.get_subscription(id).await?.ok_or(Error::NotFound("webhook"))?;
        check_version(if_match, current.version)?;
        let (url, description, event_types, active) = self.subscription_from(&input, Some(&current))?;
        let next = Subscription {
            version: current.version + 1,
            url,
            description,
            event_types,
            active,
            updated_at: now(),
            ..current.clone()
        };
        let new_secret = input.rotate_secret.then(random_token);
        let mut changes = audit::diff(&to_json(&current), &to_json(&next));
        if new_secret.is_some() {
            changes["secret"] = json!({"old": "***", "new": "***"});
        }
        let a = audit_entry(actor, "update", "webhook", id, changes);
        self.store
            .save_subscription(&next, new_secret.as_deref().unwrap_or(&secret), Some(current.version), &a)
            .await?;
        Ok(Subscription { secret: new_secret, ..next })
    }

    pub async fn delete_subscription(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let (current, _) = self.store.get_subscription(id).await?.ok_or(Error::NotFound("webhook"))?;
        let a = audit_entry(actor, "delete", "webhook", id, audit::deleted(&to_json(&current)));
        if !self.store.delete_subscription(id, &a).await? {
            return Err(Error::NotFound("webhook"));
        }
        Ok(())
    }

    pub async fn list_subscriptions(&self, actor: &Actor) -> Result<Vec<Subscription>> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.list_subscriptions().await
    }

    pub async fn get_subscription(&self, actor: &Actor, id: Uuid) -> Result<Subscription> {
        check_area(actor, Area::Settings, Action::Read)?;
        Ok(self.store.get_subscription(id).await?.ok_or(Error::NotFound("webhook"))?.0)
    }

    pub async fn list_deliveries(&self, actor: &Actor, id: Uuid, limit: Option<u32>) -> Result<Vec<Delivery>> {
        self.get_subscription(actor, id).await?;
        self.store.list_deliveries(id, limit.unwrap_or(50).clamp(1, 500)).await
    }

    pub async fn delivery_attempts(&self, actor: &Actor, delivery_id: Uuid) -> Result<(Delivery, Vec<Attempt>)> {
        check_area(actor, Area::Settings, Action::Read)?;
        let d = self.store.get_delivery(delivery_id).await?.ok_or(Error::NotFound("delivery"))?;
        Ok((d, self.store.delivery_attempts(delivery_id).await?))
    }

    /// Sends a delivery again (whatever became of it), as a new job.
    pub async fn redeliver(&self, actor: &Actor, delivery_id: Uuid) -> Result<Delivery> {
        check_area(actor, Area::Settings, Action::Update)?;
        let d = self.store.get_delivery(delivery_id).await?.ok_or(Error::NotFound("delivery"))?;
        let at = now();
        self.store.set_delivery_status(d.id, "pending", at).await?;
        let mut job = Job::new(DELIVER_JOB, json!({"id": d.id}), actor.audit_id(), at);
        job.dedupe_key = Some(format!("{DELIVER_JOB}:{}:again:{}", d.id, at.timestamp_micros()));
        job.max_attempts = 8;
        self.store.enqueue(&job).await?;
        self.wake.notify_one();
        self.store.get_delivery(d.id).await?.ok_or(Error::NotFound("delivery"))
    }

    /// The job `webhook.deliver`: one signed POST; anything but 2xx fails the job, which
    /// the queue retries with backoff (and buries as dead after its last attempt).
    pub(crate) async fn run_delivery(&self, delivery_id: Uuid) -> Result<()> {
        let Some(d) = self.store.get_delivery(delivery_id).await? else { return Ok(()) };
        if d.status == "delivered" {
            return Ok(());
        }
        let Some((sub, secret)) = self.store.get_subscription(d.subscription_id).await? else { return Ok(()) };
        if !sub.active {
            self.store.set_delivery_status(d.id, "cancelled", now()).await?;
            return Ok(());
        }
        let ev = self.store.get_event(d.event_id).await?.ok_or(Error::NotFound("event"))?;
        let body = serde_json::to_vec(&json!({
            "id": ev.id,
            "type": ev.event_type,
            "occurred_at": ev.occurred_at,
            "entity_type": ev.entity_type,
            "entity_id": ev.entity_id,
            "actor_id": ev.actor_id,
            "data": ev.data,
            "delivery_id": d.id,
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        let t = now().timestamp();
        let headers = vec![
            (SIGNATURE_HEADER.to_owned(), sign(&secret, t, &body)),
            ("x-clientele-timestamp".to_owned(), t.to_string()),
            ("x-clientele-event".to_owned(), ev.event_type.clone()),
            ("x-clientele-delivery".to_owned(), d.id.to_string()),
        ];
        let started = std::time::Instant::now();
        let reply = self.comms().http.post_json(&sub.url, &headers, &body).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let attempt = d.attempts + 1;
        let (code, error) = match &reply {
            Ok(r) if (200..300).contains(&r.status) => (Some(i64::from(r.status)), None),
            Ok(r) => (
                Some(i64::from(r.status)),
                Some(format!("answered {}: {}", r.status, r.body.chars().take(200).collect::<String>())),
            ),
            Err(e) => (None, Some(e.clone())),
        };
        let a =
            Attempt { delivery_id: d.id, attempt, at: now(), response_code: code, error: error.clone(), duration_ms };
        match error {
            None => self.store.record_attempt(&a, "delivered").await,
            Some(msg) => {
                self.store.record_attempt(&a, "retrying").await?;
                Err(Error::Internal(anyhow::anyhow!("webhook {}: {msg}", sub.url)))
            }
        }
    }

    /// After the last attempt failed.
    pub(crate) async fn delivery_buried(&self, delivery_id: Uuid) -> Result<()> {
        self.store.set_delivery_status(delivery_id, "dead", now()).await
    }
}
