//! What the services need from storage. One implementation (`clientele-store`) serves both
//! SQLite and PostgreSQL; tests of the services could use another.
//!
//! Every method that changes a record takes the audit entry that describes the change and
//! writes both in one transaction: no change without its audit line, and no audit line for a
//! change that was rolled back.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::domain::auth::{ApiToken, IdempotencyBegin, IdempotentResponse, Session};
use crate::domain::page::{Page, PageRequest};
use crate::domain::team::Team;
use crate::domain::user::{User, UserWithSecret};
use crate::error::Result;

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn count_users(&self) -> Result<i64>;
    /// Fails with `Conflict` on a duplicate e-mail.
    async fn insert_user(&self, user: &UserWithSecret, audit: &AuditEntry) -> Result<()>;
    async fn get_user(&self, id: Uuid) -> Result<Option<User>>;
    async fn get_user_with_secret(&self, email: &str) -> Result<Option<UserWithSecret>>;
    async fn list_users(&self, page: &PageRequest, q: Option<&str>) -> Result<Page<User>>;
    /// Writes `user` (whose `version` is already the new one) if the stored version is
    /// `expected_version`; otherwise `PreconditionFailed` with the current version.
    async fn update_user(&self, user: &User, expected_version: i64, audit: &AuditEntry) -> Result<()>;
    async fn set_password_hash(&self, user_id: Uuid, hash: &str, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()>;
    async fn record_login(&self, user_id: Uuid, at: DateTime<Utc>) -> Result<()>;
}

#[async_trait]
pub trait TeamStore: Send + Sync {
    async fn list_teams(&self) -> Result<Vec<Team>>;
    async fn insert_team(&self, team: &Team, audit: &AuditEntry) -> Result<()>;
    async fn update_team(&self, team: &Team, expected_version: i64, audit: &AuditEntry) -> Result<()>;
    /// Fails with `Conflict` while users or sub-teams are still in it.
    async fn delete_team(&self, id: Uuid, expected_version: Option<i64>, audit: &AuditEntry) -> Result<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &Session) -> Result<()>;
    async fn get_session(&self, id_hash: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Signs a user out everywhere except (optionally) one session.
    async fn delete_user_sessions(&self, user_id: Uuid, except_hash: Option<&str>) -> Result<u64>;
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, token: &ApiToken, hash: &str, audit: &AuditEntry) -> Result<()>;
    async fn list_tokens(&self, user_id: Option<Uuid>) -> Result<Vec<ApiToken>>;
    async fn get_token(&self, id: Uuid) -> Result<Option<ApiToken>>;
    async fn get_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>>;
    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()>;
    async fn touch_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;
}

#[async_trait]
pub trait RateLimitStore: Send + Sync {
    async fn record_auth_failure(&self, key: &str, at: DateTime<Utc>) -> Result<()>;
    async fn count_auth_failures(&self, key: &str, since: DateTime<Utc>) -> Result<(i64, Option<DateTime<Utc>>)>;
    async fn clear_auth_failures(&self, key: &str) -> Result<()>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn list_audit(&self, filter: &AuditFilter, page: &PageRequest) -> Result<Page<AuditEntry>>;
    /// For changes with no record of their own (sign-in, sign-out).
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn idempotency_begin(
        &self,
        user_id: Uuid,
        key: &str,
        request_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<IdempotencyBegin>;
    async fn idempotency_complete(&self, user_id: Uuid, key: &str, response: &IdempotentResponse) -> Result<()>;
    /// Forgets a key whose request failed on the server side, so that a retry can run.
    async fn idempotency_abort(&self, user_id: Uuid, key: &str) -> Result<()>;
    async fn idempotency_purge(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// Everything the services need, in one object.
pub trait Store:
    HealthStore + UserStore + TeamStore + SessionStore + TokenStore + RateLimitStore + AuditStore + IdempotencyStore
{
}

impl<T> Store for T where
    T: HealthStore + UserStore + TeamStore + SessionStore + TokenStore + RateLimitStore + AuditStore + IdempotencyStore
{
}
