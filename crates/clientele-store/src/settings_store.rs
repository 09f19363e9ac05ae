//! Custom field definitions, saved views and notifications.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::custom_field::{CustomFieldDef, FieldType};
use clientele_core::store::{CustomFieldStore, Notification, NotificationStore, SavedView, ViewStore};
use clientele_core::{Error, Result};
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Params;
use crate::platform::insert_audit;
use crate::{SqlStore, args, db_err};

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: Uuid,
    version: i64,
    entity: String,
    key: String,
    label: String,
    field_type: String,
    options: Json<Vec<String>>,
    required: bool,
    position: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const FIELD_COLS: &str =
    "id, version, entity, key, label, field_type, options, required, position, created_at, updated_at";

#[async_trait]
impl CustomFieldStore for SqlStore {
    async fn list_custom_fields(&self, entity: Option<&str>) -> Result<Vec<CustomFieldDef>> {
        let rows: Vec<FieldRow> = match entity {
            Some(e) => {
                self.db
                    .fetch_all(
                        &format!("SELECT {FIELD_COLS} FROM custom_fields WHERE entity = $1 ORDER BY position, label"),
                        args![e.to_owned()],
                    )
                    .await
            }
            None => {
                self.db
                    .fetch_all(
                        &format!("SELECT {FIELD_COLS} FROM custom_fields ORDER BY entity, position, label"),
                        vec![],
                    )
                    .await
            }
        }
        .map_err(db_err("listing custom fields"))?;
        rows.into_iter()
            .map(|r| {
                Ok(CustomFieldDef {
                    id: r.id,
                    version: r.version,
                    entity: r.entity,
                    key: r.key,
                    label: r.label,
                    field_type: FieldType::parse(&r.field_type)
                        .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored field type {}", r.field_type)))?,
                    options: r.options.0,
                    required: r.required,
                    position: r.position,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }

    async fn insert_custom_field(&self, d: &CustomFieldDef, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            &format!("INSERT INTO custom_fields ({FIELD_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
            args![
                d.id,
                d.version,
                d.entity.clone(),
                d.key.clone(),
                d.label.clone(),
                d.field_type.as_str(),
                json!(d.options),
                d.required,
                d.position,
                d.created_at,
                d.updated_at
            ],
        )
        .await
        .map_err(|e| match db_err("creating a custom field")(e) {
            Error::Conflict { .. } => {
                Error::conflict("key", format!("a {} field with key `{}` already exists", d.entity, d.key))
            }
            other => other,
        })?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn update_custom_field(&self, d: &CustomFieldDef, expected: i64, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "UPDATE custom_fields SET version = $1, label = $2, options = $3, required = $4, position = $5, updated_at = $6 \
                 WHERE id = $7 AND version = $8",
                args![d.version, d.label.clone(), json!(d.options), d.required, d.position, d.updated_at, d.id, expected],
            )
            .await
            .map_err(db_err("updating a custom field"))?;
        if n == 0 {
            let cur: Option<(i64,)> = tx
                .fetch_optional("SELECT version FROM custom_fields WHERE id = $1", args![d.id])
                .await
                .map_err(db_err("reading"))?;
            return Err(match cur {
                Some((v,)) => Error::PreconditionFailed { current: v },
                None => Error::NotFound("custom field"),
            });
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_custom_field(&self, id: Uuid, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute("DELETE FROM custom_fields WHERE id = $1", args![id])
            .await
            .map_err(db_err("deleting a custom field"))?;
        if n == 0 {
            return Err(Error::NotFound("custom field"));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct ViewRow {
    id: Uuid,
    version: i64,
    entity: String,
    name: String,
    owner_id: Uuid,
    shared: bool,
    definition: Json<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ViewRow> for SavedView {
    fn from(r: ViewRow) -> Self {
        let d = r.definition.0;
        SavedView {
            id: r.id,
            version: r.version,
            entity: r.entity,
            name: r.name,
            owner_id: r.owner_id,
            shared: r.shared,
            filter: d.get("filter").cloned().and_then(|f| serde_json::from_value(f).ok()),
            columns: d.get("columns").cloned().and_then(|c| serde_json::from_value(c).ok()).unwrap_or_default(),
            sort: d.get("sort").and_then(Value::as_str).map(str::to_owned),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn definition(v: &SavedView) -> Value {
    json!({"filter": v.filter, "columns": v.columns, "sort": v.sort})
}

const VIEW_COLS: &str = "id, version, entity, name, owner_id, shared, definition, created_at, updated_at";

#[async_trait]
impl ViewStore for SqlStore {
    async fn list_views(&self, entity: &str, user_id: Uuid) -> Result<Vec<SavedView>> {
        let rows: Vec<ViewRow> = self
            .db
            .fetch_all(
                &format!("SELECT {VIEW_COLS} FROM saved_views WHERE entity = $1 AND (owner_id = $2 OR shared = $3) ORDER BY name, id"),
                args![entity.to_owned(), user_id, true],
            )
            .await
            .map_err(db_err("listing views"))?;
        Ok(rows.into_iter().map(SavedView::from).collect())
    }

    async fn get_view(&self, id: Uuid) -> Result<Option<SavedView>> {
        let row: Option<ViewRow> = self
            .db
            .fetch_optional(&format!("SELECT {VIEW_COLS} FROM saved_views WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a view"))?;
        Ok(row.map(SavedView::from))
    }

    async fn insert_view(&self, v: &SavedView, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            &format!("INSERT INTO saved_views ({VIEW_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
            args![
                v.id,
                v.version,
                v.entity.clone(),
                v.name.clone(),
                v.owner_id,
                v.shared,
                definition(v),
                v.created_at,
                v.updated_at
            ],
        )
        .await
        .map_err(db_err("saving a view"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn update_view(&self, v: &SavedView, expected: i64, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "UPDATE saved_views SET version = $1, name = $2, shared = $3, definition = $4, updated_at = $5 WHERE id = $6 AND version = $7",
                args![v.version, v.name.clone(), v.shared, definition(v), v.updated_at, v.id, expected],
            )
            .await
            .map_err(db_err("updating a view"))?;
        if n == 0 {
            let cur: Option<(i64,)> = tx
                .fetch_optional("SELECT version FROM saved_views WHERE id = $1", args![v.id])
                .await
                .map_err(db_err("reading"))?;
            return Err(match cur {
                Some((c,)) => Error::PreconditionFailed { current: c },
                None => Error::NotFound("view"),
            });
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_view(&self, id: Uuid, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n =
            tx.execute("DELETE FROM saved_views WHERE id = $1", args![id]).await.map_err(db_err("deleting a view"))?;
        if n == 0 {
            return Err(Error::NotFound("view"));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    title: String,
    body: Option<String>,
    link: Option<String>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
    params: Option<Json<Value>>,
}

const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (id, user_id, kind, title, body, link, created_at, read_at, params, dedupe_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING";

fn notification_args(n: &Notification, dedupe_key: Option<&str>) -> crate::db::Args {
    args![
        n.id,
        n.user_id,
        n.kind.clone(),
        n.title.clone(),
        n.body.clone(),
        n.link.clone(),
        n.created_at,
        n.read_at,
        n.params.clone(),
        dedupe_key.map(str::to_owned)
    ]
}

/// Adds a notification inside a transaction; `false` when its key was taken already.
pub(crate) async fn insert_notification_tx(
    tx: &mut crate::db::Tx,
    n: &Notification,
    dedupe_key: Option<&str>,
) -> Result<bool> {
    let n = tx.execute(INSERT_NOTIFICATION, notification_args(n, dedupe_key)).await.map_err(db_err("notifying"))?;
    Ok(n == 1)
}

#[async_trait]
impl NotificationStore for SqlStore {
    async fn insert_notifications(&self, list: &[Notification]) -> Result<()> {
        if list.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        for n in list {
            insert_notification_tx(&mut tx, n, None).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn list_notifications(&self, user_id: Uuid, unread_only: bool, limit: u32) -> Result<Vec<Notification>> {
        let sql = format!(
            "SELECT id, user_id, kind, title, body, link, created_at, read_at, params FROM notifications WHERE user_id = $1 {} \
             ORDER BY id DESC LIMIT $2",
            if unread_only { "AND read_at IS NULL" } else { "" }
        );
        let rows: Vec<NotificationRow> =
            self.db.fetch_all(&sql, args![user_id, i64::from(limit)]).await.map_err(db_err("listing notifications"))?;
        Ok(rows
            .into_iter()
            .map(|r| Notification {
                id: r.id,
                user_id: r.user_id,
                kind: r.kind,
                title: r.title,
                body: r.body,
                link: r.link,
                created_at: r.created_at,
                read_at: r.read_at,
                params: r.params.map(|p| p.0),
            })
            .collect())
    }

    async fn count_unread(&self, user_id: Uuid) -> Result<i64> {
        self.db
            .fetch_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL", args![user_id])
            .await
            .map_err(db_err("counting notifications"))
    }

    async fn mark_read(&self, user_id: Uuid, ids: &[Uuid], at: DateTime<Utc>) -> Result<u64> {
        let mut p = Params::default();
        let at = p.push(at);
        let user = p.push(user_id);
        let mut sql = format!("UPDATE notifications SET read_at = {at} WHERE user_id = {user} AND read_at IS NULL");
        if !ids.is_empty() {
            let list: Vec<String> = ids.iter().map(|i| p.push(*i)).collect();
            sql.push_str(&format!(" AND id IN ({})", list.join(", ")));
        }
        self.db.execute(&sql, p.0).await.map_err(db_err("marking notifications read"))
    }

    async fn insert_notification_once(&self, n: &Notification, dedupe_key: &str) -> Result<bool> {
        let added = self
            .db
            .execute(INSERT_NOTIFICATION, notification_args(n, Some(dedupe_key)))
            .await
            .map_err(db_err("notifying"))?;
        Ok(added == 1)
    }

    async fn notification_prefs(&self, user_id: Uuid) -> Result<Option<Value>> {
        let row: Option<(Json<Value>,)> = self
            .db
            .fetch_optional("SELECT prefs FROM notification_prefs WHERE user_id = $1", args![user_id])
            .await
            .map_err(db_err("reading notification preferences"))?;
        Ok(row.map(|(p,)| p.0))
    }

    async fn put_notification_prefs(
        &self,
        user_id: Uuid,
        prefs: &Value,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            "INSERT INTO notification_prefs (user_id, prefs, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at",
            args![user_id, prefs.clone(), at],
        )
        .await
        .map_err(db_err("saving notification preferences"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }
}
