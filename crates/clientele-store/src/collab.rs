//! Activities, comments, the pieces of a record's timeline, the events feed, and calendar
//! feed tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::Result;
use clientele_core::domain::activity::{Activity, ActivityKind, CallResult, Comment, Direction};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::task::{Related, RelatedType, Task};
use clientele_core::store::{CalendarFeed, CollabStore, FeedQuery, NotificationWrite, TimelineCursor};
use sqlx::types::Json;
use uuid::Uuid;

use crate::clients::json;
use crate::db::{Params, Tx};
use crate::platform::{AuditRow, insert_audit, version_conflict};
use crate::settings_store::insert_notification_tx;
use crate::tasks::{TASK_COLS, TaskRow, related_of};
use crate::{SqlStore, args, db_err};

const ACTIVITY_COLS: &str = "a.id, a.version, a.kind, a.direction, a.subject, a.body, a.occurred_at, a.duration_seconds, \
     a.result, a.recording_url, a.related_type, a.related_id, a.contact_id, a.company_id, a.created_by, a.created_at, \
     a.updated_at, a.deleted_at";

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: Uuid,
    version: i64,
    kind: String,
    direction: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    occurred_at: DateTime<Utc>,
    duration_seconds: Option<i32>,
    result: Option<String>,
    recording_url: Option<String>,
    related_type: String,
    related_id: Uuid,
    contact_id: Option<Uuid>,
    company_id: Option<Uuid>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl ActivityRow {
    fn into_activity(self) -> Option<Activity> {
        Some(Activity {
            id: self.id,
            version: self.version,
            kind: ActivityKind::parse(&self.kind)?,
            direction: self.direction.as_deref().and_then(Direction::parse),
            subject: self.subject,
            body: self.body,
            occurred_at: self.occurred_at,
            duration_seconds: self.duration_seconds,
            result: self.result.as_deref().and_then(CallResult::parse),
            recording_url: self.recording_url,
            related: related_of(Some(&self.related_type), Some(self.related_id))?,
            contact_id: self.contact_id,
            company_id: self.company_id,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: Uuid,
    version: i64,
    related_type: String,
    related_id: Uuid,
    author_id: Option<Uuid>,
    author_name: String,
    body: String,
    mentions: Json<Vec<Uuid>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

const COMMENT_COLS: &str =
    "id, version, related_type, related_id, author_id, author_name, body, mentions, created_at, updated_at, deleted_at";

impl CommentRow {
    fn into_comment(self) -> Option<Comment> {
        Some(Comment {
            id: self.id,
            version: self.version,
            related: related_of(Some(&self.related_type), Some(self.related_id))?,
            author_id: self.author_id,
            author_name: self.author_name,
            body: self.body,
            mentions: self.mentions.0,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        })
    }
}

const AUDIT_COLS: &str = "id, at, actor_id, actor_name, action, entity_type, entity_id, changes";

/// `AND ((col < $at) OR (col = $at AND id < $id))`: the rows after a cursor, newest first.
fn before_sql(p: &mut Params, col: &str, id_col: &str, before: Option<TimelineCursor>) -> String {
    let Some(c) = before else { return String::new() };
    let at = p.push(c.at);
    let id = p.push(c.id);
    format!(" AND (({col} < {at}) OR ({col} = {at} AND {id_col} < {id}))")
}

/// The rows of `alias` about `record`; a contact's and a company's include the rows that
/// name them as the client (activities logged against their deals and leads).
fn record_sql(p: &mut Params, alias: &str, record: Related, with_client: bool) -> String {
    let t = p.push(record.kind.as_str());
    let id = p.push(record.id);
    let own = format!("({alias}.related_type = {t} AND {alias}.related_id = {id})");
    match (with_client, record.kind) {
        (true, RelatedType::Contact) => format!("({own} OR {alias}.contact_id = {id})"),
        (true, RelatedType::Company) => format!("({own} OR {alias}.company_id = {id})"),
        _ => own,
    }
}

/// Moves a client's last contact forward to `at` (never back).
async fn touch_contacted(tx: &mut Tx, table: &'static str, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    tx.execute(
        &format!("UPDATE {table} SET last_contacted_at = $1 WHERE id = $2 AND (last_contacted_at IS NULL OR last_contacted_at < $1)"),
        args![at, id],
    )
    .await
    .map_err(db_err("recording the last contact"))?;
    Ok(())
}

#[async_trait]
impl CollabStore for SqlStore {
    async fn save_activity(&self, a: &Activity, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let mut values = args![
            a.id,
            a.version,
            a.kind.as_str(),
            a.direction.map(|d| d.as_str()),
            a.subject.clone(),
            a.body.clone(),
            a.occurred_at,
            a.duration_seconds,
            a.result.map(|r| r.as_str()),
            a.recording_url.clone(),
            a.related.kind.as_str(),
            a.related.id,
            a.contact_id,
            a.company_id,
            a.created_by,
            a.created_at,
            a.updated_at,
            a.deleted_at
        ];
        match expected {
            None => {
                tx.execute(
                    &format!(
                        "INSERT INTO activities ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
                        ACTIVITY_COLS.replace("a.", "")
                    ),
                    values,
                )
                .await
                .map_err(db_err("logging an activity"))?;
                // A note is no contact with the client; everything else is.
                if a.kind != ActivityKind::Note {
                    if let Some(c) = a.contact_id {
                        touch_contacted(&mut tx, "contacts", c, a.occurred_at).await?;
                    }
                    if let Some(c) = a.company_id {
                        touch_contacted(&mut tx, "companies", c, a.occurred_at).await?;
                    }
                }
            }
            Some(v) => {
                values.push(v.into());
                let n = tx
                    .execute(
                        "UPDATE activities SET version = $2, kind = $3, direction = $4, subject = $5, body = $6, \
                         occurred_at = $7, duration_seconds = $8, result = $9, recording_url = $10, related_type = $11, \
                         related_id = $12, contact_id = $13, company_id = $14, created_by = $15, created_at = $16, \
                         updated_at = $17, deleted_at = $18 WHERE id = $1 AND version = $19",
                        values,
                    )
                    .await
                    .map_err(db_err("changing an activity"))?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "activities", a.id, "activity").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_activity(&self, id: Uuid) -> Result<Option<Activity>> {
        let row: Option<ActivityRow> = self
            .db
            .fetch_optional(&format!("SELECT {ACTIVITY_COLS} FROM activities a WHERE a.id = $1"), args![id])
            .await
            .map_err(db_err("reading an activity"))?;
        Ok(row.and_then(ActivityRow::into_activity))
    }

    async fn activities_of(
        &self,
        record: Related,
        kinds: &[ActivityKind],
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<Activity>> {
        let mut p = Params::default();
        let mut sql = format!(
            "SELECT {ACTIVITY_COLS} FROM activities a WHERE a.deleted_at IS NULL AND {}",
            record_sql(&mut p, "a", record, true)
        );
        if !kinds.is_empty() {
            let ks: Vec<String> = kinds.iter().map(|k| p.push(k.as_str())).collect();
            sql.push_str(&format!(" AND a.kind IN ({})", ks.join(", ")));
        }
        sql.push_str(&before_sql(&mut p, "a.occurred_at", "a.id", before));
        sql.push_str(&format!(" ORDER BY a.occurred_at DESC, a.id DESC LIMIT {}", p.push(i64::from(limit))));
        let rows: Vec<ActivityRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("reading activities"))?;
        Ok(rows.into_iter().filter_map(ActivityRow::into_activity).collect())
    }

    async fn activities_by(
        &self,
        creators: Option<&[Uuid]>,
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<Activity>> {
        let mut p = Params::default();
        let mut sql = format!("SELECT {ACTIVITY_COLS} FROM activities a WHERE a.deleted_at IS NULL");
        if let Some(list) = creators {
            let ids: Vec<String> = list.iter().map(|u| p.push(*u)).collect();
            if ids.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                sql.push_str(&format!(" AND a.created_by IN ({})", ids.join(", ")));
            }
        }
        sql.push_str(&before_sql(&mut p, "a.occurred_at", "a.id", before));
        sql.push_str(&format!(" ORDER BY a.occurred_at DESC, a.id DESC LIMIT {}", p.push(i64::from(limit))));
        let rows: Vec<ActivityRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("reading activities"))?;
        Ok(rows.into_iter().filter_map(ActivityRow::into_activity).collect())
    }

    async fn save_comment(
        &self,
        c: &Comment,
        expected: Option<i64>,
        notifications: &[NotificationWrite],
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let mut values = args![
            c.id,
            c.version,
            c.related.kind.as_str(),
            c.related.id,
            c.author_id,
            c.author_name.clone(),
            c.body.clone(),
            json(&c.mentions),
            c.created_at,
            c.updated_at,
            c.deleted_at
        ];
        match expected {
            None => {
                tx.execute(
                    &format!(
                        "INSERT INTO comments ({COMMENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                    ),
                    values,
                )
                .await
                .map_err(db_err("adding a comment"))?;
            }
            Some(v) => {
                values.push(v.into());
                let n = tx
                    .execute(
                        "UPDATE comments SET version = $2, related_type = $3, related_id = $4, author_id = $5, \
                         author_name = $6, body = $7, mentions = $8, created_at = $9, updated_at = $10, deleted_at = $11 \
                         WHERE id = $1 AND version = $12",
                        values,
                    )
                    .await
                    .map_err(db_err("changing a comment"))?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "comments", c.id, "comment").await);
                }
            }
        }
        for n in notifications {
            insert_notification_tx(&mut tx, &n.notification, n.dedupe_key.as_deref()).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_comment(&self, id: Uuid) -> Result<Option<Comment>> {
        let row: Option<CommentRow> = self
            .db
            .fetch_optional(&format!("SELECT {COMMENT_COLS} FROM comments WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a comment"))?;
        Ok(row.and_then(CommentRow::into_comment))
    }

    async fn comments_of(&self, record: Related, before: Option<TimelineCursor>, limit: u32) -> Result<Vec<Comment>> {
        let mut p = Params::default();
        let mut sql = format!(
            "SELECT {COMMENT_COLS} FROM comments c WHERE c.deleted_at IS NULL AND {}",
            record_sql(&mut p, "c", record, false)
        );
        sql.push_str(&before_sql(&mut p, "c.created_at", "c.id", before));
        sql.push_str(&format!(" ORDER BY c.created_at DESC, c.id DESC LIMIT {}", p.push(i64::from(limit))));
        let rows: Vec<CommentRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("reading comments"))?;
        Ok(rows.into_iter().filter_map(CommentRow::into_comment).collect())
    }

    async fn tasks_of(&self, record: Related, before: Option<TimelineCursor>, limit: u32) -> Result<Vec<Task>> {
        let mut p = Params::default();
        let at = "COALESCE(t.completed_at, t.created_at)";
        let mut sql = format!(
            "SELECT {TASK_COLS} FROM tasks t WHERE t.deleted_at IS NULL AND {}",
            record_sql(&mut p, "t", record, false)
        );
        sql.push_str(&before_sql(&mut p, at, "t.id", before));
        sql.push_str(&format!(" ORDER BY {at} DESC, t.id DESC LIMIT {}", p.push(i64::from(limit))));
        let rows: Vec<TaskRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("reading tasks"))?;
        Ok(rows.into_iter().map(Task::from).collect())
    }

    async fn audit_page_of(
        &self,
        entity_id: Uuid,
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let mut p = Params::default();
        let mut sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE entity_id = {}", p.push(entity_id));
        sql.push_str(&before_sql(&mut p, "at", "id", before));
        sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT {}", p.push(i64::from(limit))));
        let rows: Vec<AuditRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("reading the audit log"))?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn feed(&self, q: &FeedQuery) -> Result<Vec<AuditEntry>> {
        let mut p = Params::default();
        let mut sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE 1 = 1");
        if let Some(list) = &q.actors {
            let ids: Vec<String> = list.iter().map(|u| p.push(*u)).collect();
            if ids.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                sql.push_str(&format!(" AND actor_id IN ({})", ids.join(", ")));
            }
        }
        if !q.entity_types.is_empty() {
            let ts: Vec<String> = q.entity_types.iter().map(|t| p.push(t.clone())).collect();
            sql.push_str(&format!(" AND entity_type IN ({})", ts.join(", ")));
        }
        if let Some(f) = q.from {
            sql.push_str(&format!(" AND at >= {}", p.push(f)));
        }
        if let Some(t) = q.to {
            sql.push_str(&format!(" AND at < {}", p.push(t)));
        }
        if let Some(b) = q.before {
            sql.push_str(&format!(" AND id < {}", p.push(b)));
        }
        // Ids are UUIDv7: their order is the order in which the changes were made.
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", p.push(i64::from(q.limit))));
        let rows: Vec<AuditRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("reading the events feed"))?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn insert_calendar_feed(&self, f: &CalendarFeed, token_hash: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            "INSERT INTO calendar_feeds (id, user_id, token_hash, prefix, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![f.id, f.user_id, token_hash.to_owned(), f.prefix.clone(), f.created_at, f.revoked_at],
        )
        .await
        .map_err(db_err("creating a calendar feed"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn calendar_feeds(&self, user_id: Uuid) -> Result<Vec<CalendarFeed>> {
        let rows: Vec<FeedRow> = self
            .db
            .fetch_all(
                "SELECT id, user_id, prefix, created_at, revoked_at FROM calendar_feeds WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
                args![user_id],
            )
            .await
            .map_err(db_err("listing calendar feeds"))?;
        Ok(rows.into_iter().map(CalendarFeed::from).collect())
    }

    async fn calendar_feed_by_hash(&self, token_hash: &str) -> Result<Option<CalendarFeed>> {
        let row: Option<FeedRow> = self
            .db
            .fetch_optional(
                "SELECT id, user_id, prefix, created_at, revoked_at FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL",
                args![token_hash.to_owned()],
            )
            .await
            .map_err(db_err("reading a calendar feed"))?;
        Ok(row.map(CalendarFeed::from))
    }

    async fn revoke_calendar_feed(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute("UPDATE calendar_feeds SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", args![at, id])
            .await
            .map_err(db_err("revoking a calendar feed"))?;
        if n == 1 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(n == 1)
    }
}

#[derive(sqlx::FromRow)]
struct FeedRow {
    id: Uuid,
    user_id: Uuid,
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<FeedRow> for CalendarFeed {
    fn from(r: FeedRow) -> Self {
        CalendarFeed {
            id: r.id,
            user_id: r.user_id,
            prefix: r.prefix,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}
