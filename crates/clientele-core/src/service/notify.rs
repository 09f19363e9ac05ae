//! Notification kinds and each person's preferences: which kinds they get in the app (and,
//! once mail is there, by e-mail).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Services, audit_entry};
use crate::authz::Actor;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::{Notification, NotificationWrite};

/// Every kind of notification.
pub const NOTIFICATION_KINDS: &[&str] =
    &["task_assigned", "task_reminder", "mentioned", "client_transferred", "deal_stuck", "email_opened", "automation"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindPreference {
    /// task_assigned, task_reminder, mentioned, client_transferred, deal_stuck or email_opened.
    pub kind: String,
    /// Shown in the app (the bell).
    pub in_app: bool,
    /// Sent by e-mail (kept for when e-mail sending arrives; nothing is mailed yet).
    #[serde(default)]
    pub email: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    pub kinds: Vec<KindPreference>,
}

fn from_stored(v: Option<&Value>) -> NotificationPreferences {
    let kinds = NOTIFICATION_KINDS
        .iter()
        .map(|k| {
            let stored = v.and_then(|v| v.get("kinds")).and_then(|m| m.get(*k));
            KindPreference {
                kind: (*k).to_owned(),
                in_app: stored.and_then(|s| s.get("in_app")).and_then(Value::as_bool).unwrap_or(true),
                email: stored.and_then(|s| s.get("email")).and_then(Value::as_bool).unwrap_or(false),
            }
        })
        .collect();
    NotificationPreferences { kinds }
}

impl Services {
    pub async fn notification_preferences(&self, actor: &Actor) -> Result<NotificationPreferences> {
        Ok(from_stored(self.store.notification_prefs(actor.user_id).await?.as_ref()))
    }

    /// Replaces the preferences of the kinds given (the others keep theirs).
    pub async fn set_notification_preferences(
        &self,
        actor: &Actor,
        req: NotificationPreferences,
    ) -> Result<NotificationPreferences> {
        let mut p = Problems::new();
        let current = self.notification_preferences(actor).await?;
        let mut next = current.clone();
        for (i, k) in req.kinds.iter().enumerate() {
            match next.kinds.iter_mut().find(|x| x.kind == k.kind) {
                Some(x) => {
                    x.in_app = k.in_app;
                    x.email = k.email;
                }
                None => p.add(format!("kinds[{i}].kind"), format!("must be one of {}", NOTIFICATION_KINDS.join(", "))),
            }
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        let stored = json!({"kinds": next.kinds.iter().map(|k| (k.kind.clone(), json!({"in_app": k.in_app, "email": k.email}))).collect::<serde_json::Map<_, _>>()});
        let audit = audit_entry(
            actor,
            "update",
            "notification_prefs",
            actor.user_id,
            crate::domain::audit::diff(
                &serde_json::to_value(&current).unwrap_or_default(),
                &serde_json::to_value(&next).unwrap_or_default(),
            ),
        );
        self.store.put_notification_prefs(actor.user_id, &stored, now(), &audit).await?;
        Ok(next)
    }

    /// Whether `user` wants `kind` in the app.
    pub(crate) async fn wants(&self, user: Uuid, kind: &str) -> Result<bool> {
        let prefs = from_stored(self.store.notification_prefs(user).await?.as_ref());
        Ok(prefs.kinds.iter().find(|k| k.kind == kind).is_none_or(|k| k.in_app))
    }

    /// A notification for `user`, or `None` when they turned this kind off. `params` carry
    /// what the UI needs to say it in the reader's language.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn notification(
        &self,
        user: Uuid,
        kind: &str,
        title: String,
        body: Option<String>,
        link: Option<String>,
        params: Value,
        dedupe_key: Option<String>,
    ) -> Result<Option<NotificationWrite>> {
        if !NOTIFICATION_KINDS.contains(&kind) {
            return Err(Error::Internal(anyhow::anyhow!("unknown notification kind {kind}")));
        }
        if !self.wants(user, kind).await? {
            return Ok(None);
        }
        Ok(Some(NotificationWrite {
            notification: Notification {
                id: new_id(),
                user_id: user,
                kind: kind.to_owned(),
                title,
                body,
                link,
                created_at: now(),
                read_at: None,
                params: Some(params),
            },
            dedupe_key,
        }))
    }

    /// Of the notifications given, those their readers want.
    pub(crate) async fn wanted(&self, list: Vec<Notification>) -> Result<Vec<Notification>> {
        let mut out = Vec::with_capacity(list.len());
        for n in list {
            if self.wants(n.user_id, &n.kind).await? {
                out.push(n);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_on_in_the_app_until_turned_off() {
        let p = from_stored(None);
        assert_eq!(p.kinds.len(), NOTIFICATION_KINDS.len());
        assert!(p.kinds.iter().all(|k| k.in_app && !k.email));
        let stored = json!({"kinds": {"task_reminder": {"in_app": false, "email": true}}});
        let p = from_stored(Some(&stored));
        let r = p.kinds.iter().find(|k| k.kind == "task_reminder").unwrap();
        assert!(!r.in_app && r.email);
        assert!(p.kinds.iter().find(|k| k.kind == "mentioned").unwrap().in_app);
    }
}
