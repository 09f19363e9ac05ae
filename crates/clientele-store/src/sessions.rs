//! Sessions, API tokens, sign-in failure counts and idempotency keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::auth::{ApiToken, IdempotencyBegin, IdempotentResponse, Session};
use clientele_core::store::{IdempotencyStore, RateLimitStore, SessionStore, TokenStore};
use clientele_core::{Error, Result};
use uuid::Uuid;

use crate::platform::insert_audit;
use crate::{SqlStore, args, db_err};

#[derive(sqlx::FromRow)]
struct SessionRow {
    id_hash: String,
    user_id: Uuid,
    csrf_token: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<String>,
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, s: &Session) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, ip, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    s.id_hash.clone(),
                    s.user_id,
                    s.csrf_token.clone(),
                    s.created_at,
                    s.expires_at,
                    s.last_seen_at,
                    s.ip.clone(),
                    s.user_agent.clone()
                ],
            )
            .await
            .map_err(db_err("creating a session"))?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &str) -> Result<Option<Session>> {
        let row: Option<SessionRow> = self
            .db
            .fetch_optional(
                "SELECT id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, ip, user_agent \
                 FROM sessions WHERE id_hash = $1",
                args![id_hash.to_owned()],
            )
            .await
            .map_err(db_err("reading a session"))?;
        Ok(row.map(|r| Session {
            id_hash: r.id_hash,
            user_id: r.user_id,
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_seen_at: r.last_seen_at,
            ip: r.ip,
            user_agent: r.user_agent,
        }))
    }

    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3",
                args![at, expires_at, id_hash.to_owned()],
            )
            .await
            .map_err(db_err("touching a session"))?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.db
            .execute("DELETE FROM sessions WHERE id_hash = $1", args![id_hash.to_owned()])
            .await
            .map_err(db_err("deleting a session"))?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: Uuid, except_hash: Option<&str>) -> Result<u64> {
        match except_hash {
            Some(h) => {
                self.db
                    .execute("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", args![user_id, h.to_owned()])
                    .await
            }
            None => self.db.execute("DELETE FROM sessions WHERE user_id = $1", args![user_id]).await,
        }
        .map_err(db_err("deleting sessions"))
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.db
            .execute("DELETE FROM sessions WHERE expires_at <= $1", args![now])
            .await
            .map_err(db_err("deleting expired sessions"))
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    version: i64,
    user_id: Uuid,
    name: String,
    prefix: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            version: r.version,
            user_id: r.user_id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

const TOKEN_COLS: &str =
    "id, version, user_id, name, prefix, created_at, updated_at, last_used_at, expires_at, revoked_at";

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, t: &ApiToken, hash: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            &format!("INSERT INTO api_tokens ({TOKEN_COLS}, token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
            args![
                t.id,
                t.version,
                t.user_id,
                t.name.clone(),
                t.prefix.clone(),
                t.created_at,
                t.updated_at,
                t.last_used_at,
                t.expires_at,
                t.revoked_at,
                hash.to_owned()
            ],
        )
        .await
        .map_err(db_err("creating an API token"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn list_tokens(&self, user_id: Option<Uuid>) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = match user_id {
            Some(u) => {
                self.db
                    .fetch_all(
                        &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"),
                        args![u],
                    )
                    .await
            }
            None => self.db.fetch_all(&format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY id DESC"), vec![]).await,
        }
        .map_err(db_err("listing API tokens"))?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    async fn get_token(&self, id: Uuid) -> Result<Option<ApiToken>> {
        let row: Option<TokenRow> = self
            .db
            .fetch_optional(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading an API token"))?;
        Ok(row.map(ApiToken::from))
    }

    async fn get_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        let row: Option<TokenRow> = self
            .db
            .fetch_optional(
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1"),
                args![hash.to_owned()],
            )
            .await
            .map_err(db_err("reading an API token"))?;
        Ok(row.map(ApiToken::from))
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_at = $1, updated_at = $1, version = version + 1 \
                 WHERE id = $2 AND revoked_at IS NULL",
                args![at, id],
            )
            .await
            .map_err(db_err("revoking an API token"))?;
        if n > 0 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn touch_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", args![at, id])
            .await
            .map_err(db_err("touching an API token"))?;
        Ok(())
    }
}

#[async_trait]
impl RateLimitStore for SqlStore {
    async fn record_auth_failure(&self, key: &str, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute("INSERT INTO auth_failures (key, at) VALUES ($1, $2)", args![key.to_owned(), at])
            .await
            .map_err(db_err("recording a failed sign-in"))?;
        Ok(())
    }

    async fn count_auth_failures(&self, key: &str, since: DateTime<Utc>) -> Result<(i64, Option<DateTime<Utc>>)> {
        let row: (i64, Option<DateTime<Utc>>) = self
            .db
            .fetch_optional(
                "SELECT COUNT(*), MIN(at) FROM auth_failures WHERE key = $1 AND at > $2",
                args![key.to_owned(), since],
            )
            .await
            .map_err(db_err("counting failed sign-ins"))?
            .unwrap_or((0, None));
        Ok(row)
    }

    async fn clear_auth_failures(&self, key: &str) -> Result<()> {
        self.db
            .execute("DELETE FROM auth_failures WHERE key = $1", args![key.to_owned()])
            .await
            .map_err(db_err("clearing failed sign-ins"))?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct IdemRow {
    request_hash: String,
    status: Option<i32>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
}

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn idempotency_begin(
        &self,
        user_id: Uuid,
        key: &str,
        request_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<IdempotencyBegin> {
        // Claim the key by inserting it; the primary key makes concurrent claims safe.
        let inserted = self
            .db
            .execute(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, key) DO NOTHING",
                args![user_id, key.to_owned(), request_hash.to_owned(), at],
            )
            .await
            .map_err(db_err("claiming an idempotency key"))?;
        if inserted == 1 {
            return Ok(IdempotencyBegin::Proceed);
        }
        let row: Option<IdemRow> = self
            .db
            .fetch_optional(
                "SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
                args![user_id, key.to_owned()],
            )
            .await
            .map_err(db_err("reading an idempotency key"))?;
        let Some(row) = row else {
            // Aborted between our insert and read: let this request run.
            return Ok(IdempotencyBegin::Proceed);
        };
        if row.request_hash != request_hash {
            return Ok(IdempotencyBegin::Mismatch);
        }
        Ok(match (row.status, row.content_type, row.body) {
            (Some(status), Some(content_type), Some(body)) => IdempotencyBegin::Replay(IdempotentResponse {
                status: u16::try_from(status).map_err(|e| Error::Internal(anyhow::anyhow!("stored status: {e}")))?,
                content_type,
                body,
            }),
            _ => IdempotencyBegin::InProgress,
        })
    }

    async fn idempotency_complete(&self, user_id: Uuid, key: &str, r: &IdempotentResponse) -> Result<()> {
        self.db
            .execute(
                "UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 WHERE user_id = $4 AND key = $5",
                args![i32::from(r.status), r.content_type.clone(), r.body.clone(), user_id, key.to_owned()],
            )
            .await
            .map_err(db_err("storing an idempotent response"))?;
        Ok(())
    }

    async fn idempotency_abort(&self, user_id: Uuid, key: &str) -> Result<()> {
        self.db
            .execute("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2", args![user_id, key.to_owned()])
            .await
            .map_err(db_err("releasing an idempotency key"))?;
        Ok(())
    }

    async fn idempotency_purge(&self, before: DateTime<Utc>) -> Result<u64> {
        self.db
            .execute("DELETE FROM idempotency_keys WHERE created_at < $1", args![before])
            .await
            .map_err(db_err("purging idempotency keys"))
    }
}
