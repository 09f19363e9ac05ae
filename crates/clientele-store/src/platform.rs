//! Users, teams, the audit log and health.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::{AuditEntry, AuditFilter};
use clientele_core::domain::page::{Page, PageRequest};
use clientele_core::domain::team::Team;
use clientele_core::domain::user::{User, UserWithSecret};
use clientele_core::store::{AuditStore, HealthStore, TeamStore, UserStore};
use clientele_core::{Error, Result};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::{Backend, Params, Tx};
use crate::keyset::{SortKind, after_cursor, finish, order_by};
use crate::{SqlStore, args, db_err};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    version: i64,
    email: String,
    name: String,
    role: String,
    team_id: Option<Uuid>,
    password_hash: String,
    locale: Option<String>,
    time_zone: String,
    active: bool,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const USER_COLS: &str = "id, version, email, name, role, team_id, password_hash, locale, time_zone, active, \
                         last_login_at, created_at, updated_at";

impl UserRow {
    fn into_secret(self) -> Result<UserWithSecret> {
        let role = self.role.parse().map_err(|e: String| Error::Internal(anyhow::anyhow!("stored role: {e}")))?;
        Ok(UserWithSecret {
            password_hash: self.password_hash,
            user: User {
                id: self.id,
                version: self.version,
                email: self.email,
                name: self.name,
                role,
                team_id: self.team_id,
                locale: self.locale,
                time_zone: self.time_zone,
                active: self.active,
                last_login_at: self.last_login_at,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
        })
    }
}

/// Writes an audit line inside the transaction of the change it describes.
pub(crate) async fn insert_audit(tx: &mut Tx, e: &AuditEntry) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (id, at, actor_id, actor_name, action, entity_type, entity_id, changes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            e.id,
            e.at,
            e.actor_id,
            e.actor_name.clone(),
            e.action.clone(),
            e.entity_type.clone(),
            e.entity_id,
            e.changes.clone()
        ],
    )
    .await
    .map_err(db_err("writing the audit log"))?;
    crate::automation::after_audit(tx, e).await
}

/// After an update that matched no row: the record is gone, or its version moved on.
pub(crate) async fn version_conflict(tx: &mut Tx, table: &'static str, id: Uuid, what: &'static str) -> Error {
    let sql = format!("SELECT version FROM {table} WHERE id = $1");
    match tx.fetch_optional::<(i64,)>(&sql, args![id]).await {
        Ok(Some((current,))) => Error::PreconditionFailed { current },
        Ok(None) => Error::NotFound(what),
        Err(e) => db_err("checking the record version")(e),
    }
}

#[async_trait]
impl HealthStore for SqlStore {
    async fn ping(&self) -> Result<()> {
        self.db.fetch_scalar::<i32>("SELECT 1", vec![]).await.map_err(db_err("pinging the database"))?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        match self.db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn count_users(&self) -> Result<i64> {
        self.db.fetch_scalar("SELECT COUNT(*) FROM users", vec![]).await.map_err(db_err("counting users"))
    }

    async fn insert_user(&self, u: &UserWithSecret, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let x = &u.user;
        tx.execute(
            &format!("INSERT INTO users ({USER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"),
            args![
                x.id,
                x.version,
                x.email.clone(),
                x.name.clone(),
                x.role.as_str(),
                x.team_id,
                u.password_hash.clone(),
                x.locale.clone(),
                x.time_zone.clone(),
                x.active,
                x.last_login_at,
                x.created_at,
                x.updated_at
            ],
        )
        .await
        .map_err(|e| match db_err("creating a user")(e) {
            Error::Conflict { .. } => {
                Error::conflict("email", format!("a user with e-mail {} already exists", x.email))
            }
            other => other,
        })?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_user(&self, id: Uuid) -> Result<Option<User>> {
        let row: Option<UserRow> = self
            .db
            .fetch_optional(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a user"))?;
        row.map(|r| r.into_secret().map(|s| s.user)).transpose()
    }

    async fn get_user_with_secret(&self, email: &str) -> Result<Option<UserWithSecret>> {
        let row: Option<UserRow> = self
            .db
            .fetch_optional(&format!("SELECT {USER_COLS} FROM users WHERE email = $1"), args![email.to_owned()])
            .await
            .map_err(db_err("reading a user"))?;
        row.map(UserRow::into_secret).transpose()
    }

    async fn list_users(&self, page: &PageRequest, q: Option<&str>) -> Result<Page<User>> {
        let (col, kind) = match page.sort.field.as_str() {
            "email" => ("email", SortKind::Text),
            "created_at" => ("created_at", SortKind::Time),
            _ => ("name", SortKind::Text),
        };
        let mut p = Params::default();
        let mut sql = format!("SELECT {USER_COLS} FROM users WHERE 1 = 1");
        if let Some(q) = q {
            let pattern = p.push(format!("%{}%", escape_like(&q.to_lowercase())));
            sql.push_str(&format!(" AND (lower(name) LIKE {pattern} ESCAPE '\\' OR email LIKE {pattern} ESCAPE '\\')"));
        }
        sql.push_str(&after_cursor(&mut p, col, "id", &page.sort, kind, page.cursor.as_ref())?);
        sql.push_str(&order_by(col, "id", &page.sort));
        let limit = p.push(i64::from(page.limit) + 1);
        sql.push_str(&format!(" LIMIT {limit}"));
        let rows: Vec<UserRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing users"))?;
        let users = rows.into_iter().map(|r| r.into_secret().map(|s| s.user)).collect::<Result<Vec<_>>>()?;
        Ok(finish(users, page.limit, &page.sort, |u| {
            let v = match col {
                "email" => serde_json::json!(u.email),
                "created_at" => serde_json::json!(u.created_at),
                _ => serde_json::json!(u.name),
            };
            (v, u.id)
        }))
    }

    async fn update_user(&self, u: &User, expected_version: i64, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "UPDATE users SET version = $1, email = $2, name = $3, role = $4, team_id = $5, locale = $6, \
                 time_zone = $7, active = $8, updated_at = $9 WHERE id = $10 AND version = $11",
                args![
                    u.version,
                    u.email.clone(),
                    u.name.clone(),
                    u.role.as_str(),
                    u.team_id,
                    u.locale.clone(),
                    u.time_zone.clone(),
                    u.active,
                    u.updated_at,
                    u.id,
                    expected_version
                ],
            )
            .await
            .map_err(|e| match db_err("updating a user")(e) {
                Error::Conflict { .. } => {
                    Error::conflict("email", format!("a user with e-mail {} already exists", u.email))
                }
                other => other,
            })?;
        if n == 0 {
            return Err(version_conflict(&mut tx, "users", u.id, "user").await);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn set_password_hash(&self, user_id: Uuid, hash: &str, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1 WHERE id = $3",
                args![hash.to_owned(), at, user_id],
            )
            .await
            .map_err(db_err("setting a password"))?;
        if n == 0 {
            return Err(Error::NotFound("user"));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn record_login(&self, user_id: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute("UPDATE users SET last_login_at = $1 WHERE id = $2", args![at, user_id])
            .await
            .map_err(db_err("recording a sign-in"))?;
        Ok(())
    }
}

pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: Uuid,
    version: i64,
    name: String,
    parent_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TeamRow> for Team {
    fn from(r: TeamRow) -> Self {
        Team {
            id: r.id,
            version: r.version,
            name: r.name,
            parent_id: r.parent_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[async_trait]
impl TeamStore for SqlStore {
    async fn list_teams(&self) -> Result<Vec<Team>> {
        let rows: Vec<TeamRow> = self
            .db
            .fetch_all(
                "SELECT id, version, name, parent_id, created_at, updated_at FROM teams ORDER BY name, id",
                vec![],
            )
            .await
            .map_err(db_err("listing teams"))?;
        Ok(rows.into_iter().map(Team::from).collect())
    }

    async fn insert_team(&self, t: &Team, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            "INSERT INTO teams (id, version, name, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![t.id, t.version, t.name.clone(), t.parent_id, t.created_at, t.updated_at],
        )
        .await
        .map_err(|e| match db_err("creating a team")(e) {
            Error::Conflict { .. } => Error::conflict("name", "a team with this name already exists"),
            other => other,
        })?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn update_team(&self, t: &Team, expected_version: i64, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "UPDATE teams SET version = $1, name = $2, parent_id = $3, updated_at = $4 WHERE id = $5 AND version = $6",
                args![t.version, t.name.clone(), t.parent_id, t.updated_at, t.id, expected_version],
            )
            .await
            .map_err(|e| match db_err("updating a team")(e) {
                Error::Conflict { .. } => Error::conflict("name", "a team with this name already exists"),
                other => other,
            })?;
        if n == 0 {
            return Err(version_conflict(&mut tx, "teams", t.id, "team").await);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_team(&self, id: Uuid, expected_version: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let members: i64 = tx
            .fetch_scalar("SELECT COUNT(*) FROM users WHERE team_id = $1", args![id])
            .await
            .map_err(db_err("counting team members"))?;
        let children: i64 = tx
            .fetch_scalar("SELECT COUNT(*) FROM teams WHERE parent_id = $1", args![id])
            .await
            .map_err(db_err("counting sub-teams"))?;
        if members > 0 || children > 0 {
            return Err(Error::Conflict {
                message: format!("the team still has {members} member(s) and {children} sub-team(s); move them first"),
                field: None,
                existing_id: None,
            });
        }
        let n = match expected_version {
            Some(v) => tx.execute("DELETE FROM teams WHERE id = $1 AND version = $2", args![id, v]).await,
            None => tx.execute("DELETE FROM teams WHERE id = $1", args![id]).await,
        }
        .map_err(db_err("deleting a team"))?;
        if n == 0 {
            return Err(version_conflict(&mut tx, "teams", id, "team").await);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: Uuid,
    at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_name: String,
    action: String,
    entity_type: String,
    entity_id: Uuid,
    changes: Json<serde_json::Value>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            changes: r.changes.0,
        }
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn list_audit(&self, f: &AuditFilter, page: &PageRequest) -> Result<Page<AuditEntry>> {
        use sea_query::{Alias, Expr, ExprTrait, Order, Query};
        // Built with sea-query: the filter set is open-ended and grows with the product.
        let mut q = Query::select();
        q.columns(
            ["id", "at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "changes"].map(Alias::new),
        )
        .from(Alias::new("audit_log"));
        if let Some(t) = &f.entity_type {
            q.and_where(Expr::col(Alias::new("entity_type")).eq(t.clone()));
        }
        if let Some(id) = f.entity_id {
            q.and_where(Expr::col(Alias::new("entity_id")).eq(id));
        }
        if let Some(a) = f.actor_id {
            q.and_where(Expr::col(Alias::new("actor_id")).eq(a));
        }
        if let Some(from) = f.from {
            q.and_where(Expr::col(Alias::new("at")).gte(from));
        }
        if let Some(to) = f.to {
            q.and_where(Expr::col(Alias::new("at")).lt(to));
        }
        // The log is ordered by id (UUIDv7: time order); the cursor carries the last id.
        let desc = page.sort.descending;
        if let Some(c) = &page.cursor {
            q.and_where(if desc { Expr::col(Alias::new("id")).lt(c.id) } else { Expr::col(Alias::new("id")).gt(c.id) });
        }
        q.order_by(Alias::new("id"), if desc { Order::Desc } else { Order::Asc }).limit(u64::from(page.limit) + 1);
        let (sql, values) = self.db.build(&q);
        let rows: Vec<AuditRow> = self.db.fetch_all(&sql, values).await.map_err(db_err("reading the audit log"))?;
        let entries = rows.into_iter().map(AuditEntry::from).collect();
        Ok(finish(entries, page.limit, &page.sort, |e| (serde_json::Value::Null, e.id)))
    }

    async fn scrub_audit(&self, entity_id: Uuid) -> Result<u64> {
        let rows: Vec<AuditRow> = self
            .db
            .fetch_all(
                "SELECT id, at, actor_id, actor_name, action, entity_type, entity_id, changes FROM audit_log WHERE entity_id = $1",
                args![entity_id],
            )
            .await
            .map_err(db_err("reading the audit log"))?;
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        for r in &rows {
            let scrubbed: serde_json::Map<String, serde_json::Value> = r
                .changes
                .0
                .as_object()
                .map(|m| m.keys().map(|k| (k.clone(), serde_json::json!({"erased": true}))).collect())
                .unwrap_or_default();
            tx.execute(
                "UPDATE audit_log SET changes = $1 WHERE id = $2",
                args![serde_json::Value::Object(scrubbed), r.id],
            )
            .await
            .map_err(db_err("erasing personal data from the audit log"))?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(rows.len() as u64)
    }

    async fn audit_of(&self, entity_id: Uuid) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = self
            .db
            .fetch_all(
                "SELECT id, at, actor_id, actor_name, action, entity_type, entity_id, changes FROM audit_log \
                 WHERE entity_id = $1 ORDER BY id",
                args![entity_id],
            )
            .await
            .map_err(db_err("reading the audit log"))?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        insert_audit(&mut tx, entry).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }
}
