//! Tasks and group tasks: rows with their reminder jobs and notifications written in the same
//! transaction; lists by assignee, creator, due range, lateness and related record, in keyset
//! pages.

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::deal::Deal;
use clientele_core::domain::page::Page;
use clientele_core::domain::task::{Priority, Related, RelatedType, Task, TaskGroup, TaskKind, TaskStatus, Template};
use clientele_core::store::{TaskQuery, TaskStore, TaskWrite};
use clientele_core::{Error, Result};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::clients::json;
use crate::db::{Params, Tx};
use crate::filter_sql::scope_on;
use crate::io_store::enqueue_tx;
use crate::keyset::{SortKind, after_cursor, finish, order_by};
use crate::platform::{escape_like, insert_audit, version_conflict};
use crate::settings_store::insert_notification_tx;
use crate::{SqlStore, args, db_err};

pub(crate) const TASK_COLS: &str = "t.id, t.version, t.kind, t.kind_label, t.title, t.description, t.due_at, t.all_day, \
     t.time_zone, t.duration_minutes, t.reminders, t.assignee_id, t.created_by, t.related_type, t.related_id, \
     t.priority, t.status, t.result_note, t.completed_at, t.completed_by, t.recurrence, t.series_id, t.series_start, \
     t.occurrence, t.group_id, t.contact_ids, t.contacts_done, t.created_at, t.updated_at, t.deleted_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    id: Uuid,
    version: i64,
    kind: String,
    kind_label: Option<String>,
    title: String,
    description: Option<String>,
    due_at: Option<DateTime<Utc>>,
    all_day: bool,
    time_zone: String,
    duration_minutes: Option<i32>,
    reminders: Json<Vec<i32>>,
    assignee_id: Uuid,
    created_by: Option<Uuid>,
    related_type: Option<String>,
    related_id: Option<Uuid>,
    priority: String,
    status: String,
    result_note: Option<String>,
    completed_at: Option<DateTime<Utc>>,
    completed_by: Option<Uuid>,
    recurrence: Option<String>,
    series_id: Option<Uuid>,
    series_start: Option<DateTime<Utc>>,
    occurrence: i32,
    group_id: Option<Uuid>,
    contact_ids: Json<Vec<Uuid>>,
    contacts_done: Json<Vec<Uuid>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

pub(crate) fn related_of(kind: Option<&str>, id: Option<Uuid>) -> Option<Related> {
    Some(Related { kind: RelatedType::parse(kind?)?, id: id? })
}

impl From<TaskRow> for Task {
    fn from(r: TaskRow) -> Self {
        Task {
            id: r.id,
            version: r.version,
            kind: TaskKind::parse(&r.kind).unwrap_or(TaskKind::Todo),
            kind_label: r.kind_label,
            title: r.title,
            description: r.description,
            due_at: r.due_at,
            all_day: r.all_day,
            time_zone: r.time_zone,
            duration_minutes: r.duration_minutes,
            reminders: r.reminders.0,
            assignee_id: r.assignee_id,
            created_by: r.created_by,
            related: related_of(r.related_type.as_deref(), r.related_id),
            priority: Priority::parse(&r.priority).unwrap_or(Priority::Normal),
            status: TaskStatus::parse(&r.status).unwrap_or(TaskStatus::Open),
            result_note: r.result_note,
            completed_at: r.completed_at,
            completed_by: r.completed_by,
            recurrence: r.recurrence,
            series_id: r.series_id,
            series_start: r.series_start,
            occurrence: r.occurrence,
            group_id: r.group_id,
            contact_ids: r.contact_ids.0,
            contacts_done: r.contacts_done.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

async fn write_task(tx: &mut Tx, t: &Task, expected: Option<i64>) -> Result<()> {
    let mut values = args![
        t.id,
        t.version,
        t.kind.as_str(),
        t.kind_label.clone(),
        t.title.clone(),
        t.description.clone(),
        t.due_at,
        t.all_day,
        t.time_zone.clone(),
        t.duration_minutes,
        json(&t.reminders),
        t.assignee_id,
        t.created_by,
        t.related.map(|r| r.kind.as_str()),
        t.related.map(|r| r.id),
        t.priority.as_str(),
        t.status.as_str(),
        t.result_note.clone(),
        t.completed_at,
        t.completed_by,
        t.recurrence.clone(),
        t.series_id,
        t.series_start,
        t.occurrence,
        t.group_id,
        json(&t.contact_ids),
        json(&t.contacts_done),
        t.created_at,
        t.updated_at,
        t.deleted_at
    ];
    match expected {
        None => {
            tx.execute(
                &format!(
                    "INSERT INTO tasks ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)",
                    TASK_COLS.replace("t.", "")
                ),
                values,
            )
            .await
            .map_err(|e| match db_err("creating a task")(e) {
                Error::Conflict { .. } => {
                    Error::conflict("status", "the next occurrence of this recurring task exists already")
                }
                other => other,
            })?;
        }
        Some(v) => {
            values.push(v.into());
            let n = tx
                .execute(
                    "UPDATE tasks SET version = $2, kind = $3, kind_label = $4, title = $5, description = $6, \
                     due_at = $7, all_day = $8, time_zone = $9, duration_minutes = $10, reminders = $11, \
                     assignee_id = $12, created_by = $13, related_type = $14, related_id = $15, priority = $16, \
                     status = $17, result_note = $18, completed_at = $19, completed_by = $20, recurrence = $21, \
                     series_id = $22, series_start = $23, occurrence = $24, group_id = $25, contact_ids = $26, \
                     contacts_done = $27, created_at = $28, updated_at = $29, deleted_at = $30 \
                     WHERE id = $1 AND version = $31",
                    values,
                )
                .await
                .map_err(db_err("updating a task"))?;
            if n == 0 {
                return Err(version_conflict(tx, "tasks", t.id, "task").await);
            }
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    version: i64,
    title: String,
    kind: String,
    script: Option<String>,
    templates: Json<Vec<Template>>,
    contact_ids: Json<Vec<Uuid>>,
    split_contacts: bool,
    assignee_ids: Json<Vec<Uuid>>,
    due_at: Option<DateTime<Utc>>,
    all_day: bool,
    time_zone: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const GROUP_COLS: &str = "id, version, title, kind, script, templates, contact_ids, split_contacts, assignee_ids, \
     due_at, all_day, time_zone, created_by, created_at, updated_at";

impl From<GroupRow> for TaskGroup {
    fn from(r: GroupRow) -> Self {
        TaskGroup {
            id: r.id,
            version: r.version,
            title: r.title,
            kind: TaskKind::parse(&r.kind).unwrap_or(TaskKind::Todo),
            script: r.script,
            templates: r.templates.0,
            contact_ids: r.contact_ids.0,
            split_contacts: r.split_contacts,
            assignee_ids: r.assignee_ids.0,
            due_at: r.due_at,
            all_day: r.all_day,
            time_zone: r.time_zone,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Tasks without a due time sort after all others.
fn no_due() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).single().unwrap_or_else(Utc::now)
}

#[async_trait]
impl TaskStore for SqlStore {
    async fn save_tasks(&self, writes: &[TaskWrite], group: Option<(&TaskGroup, &AuditEntry)>) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        if let Some((g, audit)) = group {
            tx.execute(
                &format!("INSERT INTO task_groups ({GROUP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"),
                args![
                    g.id,
                    g.version,
                    g.title.clone(),
                    g.kind.as_str(),
                    g.script.clone(),
                    json(&g.templates),
                    json(&g.contact_ids),
                    g.split_contacts,
                    json(&g.assignee_ids),
                    g.due_at,
                    g.all_day,
                    g.time_zone.clone(),
                    g.created_by,
                    g.created_at,
                    g.updated_at
                ],
            )
            .await
            .map_err(db_err("creating a group task"))?;
            insert_audit(&mut tx, audit).await?;
        }
        for w in writes {
            write_task(&mut tx, &w.task, w.expected_version).await?;
            for j in &w.jobs {
                enqueue_tx(&mut tx, j).await?;
            }
            for n in &w.notifications {
                insert_notification_tx(&mut tx, &n.notification, n.dedupe_key.as_deref()).await?;
            }
            insert_audit(&mut tx, &w.audit).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_task(&self, id: Uuid) -> Result<Option<Task>> {
        let row: Option<TaskRow> = self
            .db
            .fetch_optional(&format!("SELECT {TASK_COLS} FROM tasks t WHERE t.id = $1"), args![id])
            .await
            .map_err(db_err("reading a task"))?;
        Ok(row.map(Task::from))
    }

    async fn list_tasks(&self, q: &TaskQuery) -> Result<Page<Task>> {
        let mut p = Params::default();
        let mut sql = format!("SELECT {TASK_COLS} FROM tasks t WHERE t.deleted_at IS NULL");
        if !q.unscoped {
            let me = p.push(q.me);
            let scoped = scope_on(&mut p, &q.scope, "t.assignee_id");
            sql.push_str(&format!(" AND (t.assignee_id = {me} OR t.created_by = {me} OR {scoped})"));
        }
        if let Some(list) = &q.assignees {
            if list.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                let ids: Vec<String> = list.iter().map(|u| p.push(*u)).collect();
                sql.push_str(&format!(" AND t.assignee_id IN ({})", ids.join(", ")));
            }
        }
        if let Some(c) = q.created_by {
            sql.push_str(&format!(" AND t.created_by = {}", p.push(c)));
        }
        if !q.statuses.is_empty() {
            let st: Vec<String> = q.statuses.iter().map(|s| p.push(s.as_str())).collect();
            sql.push_str(&format!(" AND t.status IN ({})", st.join(", ")));
        }
        if !q.kinds.is_empty() {
            let ks: Vec<String> = q.kinds.iter().map(|k| p.push(k.as_str())).collect();
            sql.push_str(&format!(" AND t.kind IN ({})", ks.join(", ")));
        }
        if let Some(f) = q.due_from {
            sql.push_str(&format!(" AND t.due_at >= {}", p.push(f)));
        }
        if let Some(b) = q.due_before {
            sql.push_str(&format!(" AND t.due_at < {}", p.push(b)));
        }
        if let Some(now) = q.overdue_at {
            let timed = p.push(now);
            let day = p.push(now - Duration::days(1));
            sql.push_str(&format!(
                " AND t.status = 'open' AND ((t.all_day = {f} AND t.due_at < {timed}) OR (t.all_day = {tr} AND t.due_at < {day}))",
                f = p.push(false),
                tr = p.push(true)
            ));
        }
        if let Some(r) = q.related {
            sql.push_str(&format!(
                " AND t.related_type = {} AND t.related_id = {}",
                p.push(r.kind.as_str()),
                p.push(r.id)
            ));
        }
        if let Some(g) = q.group_id {
            sql.push_str(&format!(" AND t.group_id = {}", p.push(g)));
        }
        for term in &q.terms {
            sql.push_str(&format!(
                " AND lower(t.title) LIKE {} ESCAPE '\\'",
                p.push(format!("%{}%", escape_like(term)))
            ));
        }
        let sort = &q.page.sort;
        let (col, key): (String, fn(&Task) -> Value) = match sort.field.as_str() {
            "created_at" => ("t.created_at".into(), |t| json(&t.created_at)),
            "updated_at" => ("t.updated_at".into(), |t| json(&t.updated_at)),
            _ => (format!("COALESCE(t.due_at, {})", p.push(no_due())), |t| json(&t.due_at.unwrap_or_else(no_due))),
        };
        sql.push_str(&after_cursor(&mut p, &col, "t.id", sort, SortKind::Time, q.page.cursor.as_ref())?);
        sql.push_str(&order_by(&col, "t.id", sort));
        sql.push_str(&format!(" LIMIT {}", p.push(i64::from(q.page.limit) + 1)));
        let rows: Vec<TaskRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing tasks"))?;
        let tasks: Vec<Task> = rows.into_iter().map(Task::from).collect();
        Ok(finish(tasks, q.page.limit, sort, |t| (key(t), t.id)))
    }

    async fn get_task_group(&self, id: Uuid) -> Result<Option<TaskGroup>> {
        let row: Option<GroupRow> = self
            .db
            .fetch_optional(&format!("SELECT {GROUP_COLS} FROM task_groups WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a group task"))?;
        Ok(row.map(TaskGroup::from))
    }

    async fn list_task_groups(&self, created_by: Option<Uuid>, limit: u32) -> Result<Vec<TaskGroup>> {
        let mut p = Params::default();
        let filter = created_by.map(|c| format!("WHERE created_by = {}", p.push(c))).unwrap_or_default();
        let lim = p.push(i64::from(limit));
        let rows: Vec<GroupRow> = self
            .db
            .fetch_all(
                &format!("SELECT {GROUP_COLS} FROM task_groups {filter} ORDER BY created_at DESC, id DESC LIMIT {lim}"),
                p.0,
            )
            .await
            .map_err(db_err("listing group tasks"))?;
        Ok(rows.into_iter().map(TaskGroup::from).collect())
    }

    async fn group_tasks(&self, group_id: Uuid) -> Result<Vec<Task>> {
        let rows: Vec<TaskRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {TASK_COLS} FROM tasks t WHERE t.group_id = $1 AND t.deleted_at IS NULL ORDER BY t.id"
                ),
                args![group_id],
            )
            .await
            .map_err(db_err("reading a group task's copies"))?;
        Ok(rows.into_iter().map(Task::from).collect())
    }

    async fn deals_in_stage_since(
        &self,
        stage_id: Uuid,
        entered_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Deal>> {
        let rows: Vec<(Uuid,)> = self
            .db
            .fetch_all(
                "SELECT id FROM deals WHERE stage_id = $1 AND status = 'open' AND deleted_at IS NULL \
                 AND stage_entered_at < $2 ORDER BY stage_entered_at, id LIMIT $3",
                args![stage_id, entered_before, i64::from(limit)],
            )
            .await
            .map_err(db_err("finding deals stuck in a stage"))?;
        let mut out = Vec::with_capacity(rows.len());
        for (id,) in rows {
            if let Some(d) = clientele_core::store::FunnelStore::get_deal(self, id).await? {
                out.push(d);
            }
        }
        Ok(out)
    }
}
