use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Services, audit_entry};
use crate::authz::{Actor, ActorKind};
use crate::domain::auth::{ApiToken, ClientInfo, Session};
use crate::domain::email::EmailAddress;
use crate::domain::secret::{self, NewPassword};
use crate::domain::team::subtree;
use crate::domain::user::User;
use crate::domain::{now, secret::token_hash};
use crate::error::{Error, Problems, Result};

/// The secret to put in the session cookie, and the CSRF token that goes with it.
#[derive(Debug, Clone)]
pub struct NewSessionCookie {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub user: User,
    pub session: NewSessionCookie,
}

impl Services {
    /// Checks e-mail and password, with rate limiting per account and per client address,
    /// and opens a session.
    pub async fn login(&self, email: &str, password: &str, client: &ClientInfo) -> Result<LoginOutcome> {
        let mut p = Problems::new();
        if email.trim().is_empty() {
            p.add("email", "is required");
        }
        if password.is_empty() {
            p.add("password", "is required");
        }
        p.into_result()?;
        let email_key = format!("email:{}", email.trim().to_lowercase());
        let ip_key = client.ip.as_ref().map(|ip| format!("ip:{ip}"));
        self.check_rate(&email_key, self.settings.login_max_failures_per_account).await?;
        if let Some(k) = &ip_key {
            self.check_rate(k, self.settings.login_max_failures_per_ip).await?;
        }

        let found = match EmailAddress::parse(email) {
            Ok(e) => self.store.get_user_with_secret(e.as_str()).await?,
            Err(_) => None,
        };
        // Verify against a dummy hash when the account does not exist, so that timing does
        // not reveal which e-mails have accounts.
        let hash = found.as_ref().map(|u| u.password_hash.as_str()).unwrap_or_else(|| secret::dummy_password_hash());
        let password_ok = verify_blocking(password.to_owned(), hash.to_owned()).await?;
        let user = match found {
            Some(u) if password_ok && u.user.active => u.user,
            _ => {
                let at = now();
                self.store.record_auth_failure(&email_key, at).await?;
                if let Some(k) = &ip_key {
                    self.store.record_auth_failure(k, at).await?;
                }
                return Err(Error::Unauthenticated("wrong e-mail or password".into()));
            }
        };
        self.store.clear_auth_failures(&email_key).await?;
        let session = self.open_session(&user, client).await?;
        self.store.record_login(user.id, now()).await?;
        let actor = Actor {
            user_id: user.id,
            name: user.name.clone(),
            role: user.role,
            teams: vec![],
            kind: ActorKind::Session,
        };
        self.store
            .append_audit(&audit_entry(&actor, "login", "user", user.id, serde_json::json!({"ip": {"new": client.ip}})))
            .await?;
        Ok(LoginOutcome { user, session })
    }

    async fn check_rate(&self, key: &str, max: i64) -> Result<()> {
        let since = now() - self.settings.login_window;
        let (count, oldest) = self.store.count_auth_failures(key, since).await?;
        if count >= max {
            let retry_at = oldest.unwrap_or_else(now) + self.settings.login_window;
            let secs = (retry_at - now()).num_seconds().max(1) as u64;
            return Err(Error::RateLimited { retry_after_secs: secs });
        }
        Ok(())
    }

    async fn open_session(&self, user: &User, client: &ClientInfo) -> Result<NewSessionCookie> {
        let token = secret::random_token();
        let csrf_token = secret::random_token();
        let at = now();
        let expires_at = at + self.settings.session_idle;
        let session = Session {
            id_hash: token_hash(&token),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            created_at: at,
            expires_at,
            last_seen_at: at,
            ip: client.ip.clone(),
            user_agent: client.user_agent.as_ref().map(|ua| ua.chars().take(300).collect()),
        };
        self.store.insert_session(&session).await?;
        Ok(NewSessionCookie { token, csrf_token, expires_at })
    }

    /// The actor behind a session cookie, with the session (for its CSRF token). Expired or
    /// unknown sessions and deactivated users give `None`. Use slides the expiry forward.
    pub async fn authenticate_session(&self, token: &str) -> Result<Option<(Actor, Session)>> {
        let hash = token_hash(token);
        let Some(session) = self.store.get_session(&hash).await? else {
            return Ok(None);
        };
        let at = now();
        if session.expires_at <= at {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        let Some(actor) = self.actor_for(session.user_id, ActorKind::Session).await? else {
            return Ok(None);
        };
        // Touch at most once a minute: reads stay reads under load.
        if at - session.last_seen_at > chrono::Duration::minutes(1) {
            self.store.touch_session(&hash, at, at + self.settings.session_idle).await?;
        }
        Ok(Some((actor, session)))
    }

    /// The actor behind a `Bearer` API token, if it is valid.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<Actor>> {
        let hash = token_hash(token.trim());
        let t = match self.tokens.get(&hash) {
            Some(t) => t,
            None => {
                let Some(t) = self.store.get_token_by_hash(&hash).await? else {
                    return Ok(None);
                };
                self.tokens.put(hash.clone(), t.clone());
                t
            }
        };
        let at = now();
        if !t.is_usable(at) {
            return Ok(None);
        }
        let Some(actor) = self.actor_for(t.user_id, ActorKind::ApiToken).await? else {
            return Ok(None);
        };
        if t.last_used_at.is_none_or(|u| at - u > chrono::Duration::minutes(1)) {
            self.store.touch_token(t.id, at).await?;
            self.tokens.put(hash, ApiToken { last_used_at: Some(at), ..t });
        }
        Ok(Some(actor))
    }

    /// Builds the actor for an active user, with the teams their role reaches.
    pub async fn actor_for(&self, user_id: Uuid, kind: ActorKind) -> Result<Option<Actor>> {
        if let Some(actor) = self.actors.get(&user_id) {
            return Ok(Some(Actor { kind, ..actor }));
        }
        let Some(user) = self.store.get_user(user_id).await? else {
            return Ok(None);
        };
        if !user.active {
            return Ok(None);
        }
        let teams = match user.team_id {
            Some(t) => subtree(&self.store.list_teams().await?, t),
            None => vec![],
        };
        let actor = Actor { user_id: user.id, name: user.name, role: user.role, teams, kind };
        self.actors.put(user_id, actor.clone());
        Ok(Some(actor))
    }

    pub async fn logout(&self, session_token: &str) -> Result<()> {
        self.store.delete_session(&token_hash(session_token)).await
    }

    /// Changes the actor's own password after checking the current one; signs out every
    /// other session of theirs.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        keep_session_token: Option<&str>,
    ) -> Result<()> {
        let user = self.store.get_user(actor.user_id).await?.ok_or(Error::NotFound("user"))?;
        let secret = self.store.get_user_with_secret(&user.email).await?.ok_or(Error::NotFound("user"))?;
        let mut p = Problems::new();
        let new_pw = p.check(NewPassword::parse("new_password", new));
        if !verify_blocking(current.to_owned(), secret.password_hash.clone()).await? {
            p.add("current_password", "is not your current password");
        }
        if new == current {
            p.add("new_password", "must differ from the current password");
        }
        p.into_result()?;
        let Some(new_pw) = new_pw else {
            return Err(Error::invalid("new_password", "is invalid"));
        };
        let hash = hash_blocking(new_pw).await?;
        let audit = audit_entry(actor, "password_change", "user", user.id, serde_json::json!({}));
        self.store.set_password_hash(user.id, &hash, now(), &audit).await?;
        let keep = keep_session_token.map(token_hash);
        self.store.delete_user_sessions(user.id, keep.as_deref()).await?;
        Ok(())
    }
}

/// Argon2 takes tens of milliseconds of CPU: keep it off the async worker threads.
pub(crate) async fn verify_blocking(password: String, hash: String) -> Result<bool> {
    tokio_blocking(move || secret::verify_password(&password, &hash)).await
}

pub(crate) async fn hash_blocking(password: NewPassword) -> Result<String> {
    tokio_blocking(move || password.hash()).await?.map_err(Error::Internal)
}

async fn tokio_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("password hashing task failed: {e}")))
}
