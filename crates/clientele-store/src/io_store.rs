//! Background jobs, stored files, imports and exports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::export::{Export, ExportFormat, ExportRequest, ExportStatus, StoredFile};
use clientele_core::domain::import::{Import, ImportAnalysis, ImportReject, ImportSettings, ImportStatus, SavedPreset};
use clientele_core::domain::import_map::ImportEntity;
use clientele_core::domain::job::{Job, JobStatus};
use clientele_core::store::{ExportStore, FileStore, ImportBatch, ImportChange, ImportStore, ImportWrite, JobStore};
use clientele_core::{Error, Result};
use sea_query::Value as SqlValue;
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use crate::bulk_load::{ContactRef, bulk_insert, insert_rows};
use crate::clients::{link_in_tx, search_table, write_company, write_contact};
use crate::db::{Backend, Params};
use crate::platform::insert_audit;
use crate::{SqlStore, args, db_err};

fn internal(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("{what}: {detail}"))
}

// ---------------------------------------------------------------- jobs

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    kind: String,
    payload: Json<Value>,
    status: String,
    run_at: DateTime<Utc>,
    attempts: i64,
    max_attempts: i64,
    locked_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    dedupe_key: Option<String>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

const JOB_COLS: &str = "id, kind, payload, status, run_at, attempts, max_attempts, locked_by, locked_until, \
                        last_error, dedupe_key, created_by, created_at, updated_at, finished_at";

impl TryFrom<JobRow> for Job {
    type Error = Error;

    fn try_from(r: JobRow) -> Result<Job> {
        Ok(Job {
            id: r.id,
            kind: r.kind,
            payload: r.payload.0,
            status: JobStatus::parse(&r.status).ok_or_else(|| internal("stored job status", &r.status))?,
            run_at: r.run_at,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            locked_by: r.locked_by,
            locked_until: r.locked_until,
            last_error: r.last_error,
            dedupe_key: r.dedupe_key,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

/// A job's columns in `JOB_COLS` order.
fn job_args(j: &Job) -> crate::db::Args {
    args![
        j.id,
        j.kind.clone(),
        j.payload.clone(),
        j.status.as_str(),
        j.run_at,
        j.attempts,
        j.max_attempts,
        j.locked_by.clone(),
        j.locked_until,
        j.last_error.clone(),
        j.dedupe_key.clone(),
        j.created_by,
        j.created_at,
        j.updated_at,
        j.finished_at
    ]
}

/// Queues a job inside the transaction of the change that wants it (a task's reminders). A
/// job whose `dedupe_key` is taken already is not added again.
pub(crate) async fn enqueue_tx(tx: &mut crate::db::Tx, j: &Job) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO jobs ({JOB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT DO NOTHING"
        ),
        job_args(j),
    )
    .await
    .map_err(db_err("queueing a job"))?;
    Ok(())
}

#[async_trait]
impl JobStore for SqlStore {
    async fn enqueue(&self, j: &Job) -> Result<Uuid> {
        if let Some(key) = &j.dedupe_key {
            let existing: Option<(Uuid,)> = self
                .db
                .fetch_optional("SELECT id FROM jobs WHERE dedupe_key = $1", args![key.clone()])
                .await
                .map_err(db_err("queueing a job"))?;
            if let Some((id,)) = existing {
                return Ok(id);
            }
        }
        let r = self
            .db
            .execute(
                &format!(
                    "INSERT INTO jobs ({JOB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                ),
                job_args(j),
            )
            .await;
        match r {
            Ok(_) => Ok(j.id),
            // Lost a race on the same dedupe key: the other job stands.
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                let (id,): (Uuid,) = self
                    .db
                    .fetch_optional("SELECT id FROM jobs WHERE dedupe_key = $1", args![j.dedupe_key.clone()])
                    .await
                    .map_err(db_err("queueing a job"))?
                    .ok_or_else(|| internal("queueing a job", "dedupe key vanished"))?;
                Ok(id)
            }
            Err(e) => Err(db_err("queueing a job")(e)),
        }
    }

    async fn claim_job(&self, worker: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Option<Job>> {
        let lock = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) \
                         OR (status = 'running' AND locked_until < $3) ORDER BY run_at, id LIMIT 1{lock}) \
             RETURNING {JOB_COLS}"
        );
        let mut tx = self.db.begin().await.map_err(db_err("claiming a job"))?;
        let row: Option<JobRow> = tx
            .fetch_optional(&sql, args![worker.to_owned(), lease_until, now])
            .await
            .map_err(db_err("claiming a job"))?;
        tx.commit().await.map_err(db_err("claiming a job"))?;
        row.map(Job::try_from).transpose()
    }

    async fn extend_lease(&self, id: Uuid, worker: &str, until: DateTime<Utc>) -> Result<bool> {
        let n = self
            .db
            .execute(
                "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND status = 'running'",
                args![until, id, worker.to_owned()],
            )
            .await
            .map_err(db_err("extending a job's lease"))?;
        Ok(n == 1)
    }

    async fn finish_job(&self, id: Uuid, worker: &str, now: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, finished_at = $1, updated_at = $1 \
                 WHERE id = $2 AND locked_by = $3",
                args![now, id, worker.to_owned()],
            )
            .await
            .map_err(db_err("finishing a job"))?;
        Ok(())
    }

    async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (status, run_at, finished) = match retry_at {
            Some(t) => ("queued", Some(t), None),
            None => ("dead", None, Some(now)),
        };
        self.db
            .execute(
                "UPDATE jobs SET status = $1, run_at = COALESCE($2, run_at), last_error = $3, locked_by = NULL, \
                 locked_until = NULL, finished_at = $4, updated_at = $5 WHERE id = $6 AND locked_by = $7",
                args![
                    status,
                    run_at,
                    error.chars().take(4000).collect::<String>(),
                    finished,
                    now,
                    id,
                    worker.to_owned()
                ],
            )
            .await
            .map_err(db_err("recording a failed job"))?;
        Ok(())
    }

    async fn get_job(&self, id: Uuid) -> Result<Option<Job>> {
        let row: Option<JobRow> = self
            .db
            .fetch_optional(&format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a job"))?;
        row.map(Job::try_from).transpose()
    }

    async fn list_jobs(&self, status: Option<JobStatus>, limit: u32) -> Result<Vec<Job>> {
        let mut p = Params::default();
        let filter = status.map(|st| format!("WHERE status = {}", p.push(st.as_str()))).unwrap_or_default();
        let limit = p.push(i64::from(limit));
        let rows: Vec<JobRow> = self
            .db
            .fetch_all(
                &format!("SELECT {JOB_COLS} FROM jobs {filter} ORDER BY created_at DESC, id DESC LIMIT {limit}"),
                p.0,
            )
            .await
            .map_err(db_err("listing jobs"))?;
        rows.into_iter().map(Job::try_from).collect()
    }

    async fn retry_job(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .db
            .execute(
                "UPDATE jobs SET status = 'queued', run_at = $1, attempts = 0, finished_at = NULL, updated_at = $1 \
                 WHERE id = $2 AND status IN ('dead', 'cancelled')",
                args![now, id],
            )
            .await
            .map_err(db_err("retrying a job"))?;
        Ok(n == 1)
    }

    async fn cancel_job(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .db
            .execute(
                "UPDATE jobs SET status = 'cancelled', locked_by = NULL, locked_until = NULL, finished_at = $1, \
                 updated_at = $1 WHERE id = $2 AND status IN ('queued', 'running', 'dead')",
                args![now, id],
            )
            .await
            .map_err(db_err("cancelling a job"))?;
        Ok(n == 1)
    }
}

// ---------------------------------------------------------------- files

#[derive(sqlx::FromRow)]
struct FileRow {
    id: Uuid,
    name: String,
    content_type: String,
    size: i64,
    sha256: Option<String>,
    complete: bool,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl From<FileRow> for StoredFile {
    fn from(r: FileRow) -> Self {
        StoredFile {
            id: r.id,
            name: r.name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            complete: r.complete,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

#[async_trait]
impl FileStore for SqlStore {
    async fn create_file(&self, f: &StoredFile) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO files (id, name, content_type, size, sha256, complete, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    f.id,
                    f.name.clone(),
                    f.content_type.clone(),
                    f.size,
                    f.sha256.clone(),
                    f.complete,
                    f.created_by,
                    f.created_at
                ],
            )
            .await
            .map_err(db_err("storing a file"))?;
        Ok(())
    }

    async fn put_chunk(&self, file_id: Uuid, seq: i64, data: &[u8]) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO file_chunks (file_id, seq, data) VALUES ($1, $2, $3)",
                args![file_id, seq, data.to_vec()],
            )
            .await
            .map_err(db_err("storing a file"))?;
        Ok(())
    }

    async fn complete_file(&self, file_id: Uuid, size: i64, sha256: &str) -> Result<()> {
        self.db
            .execute(
                "UPDATE files SET size = $1, sha256 = $2, complete = $3 WHERE id = $4",
                args![size, sha256.to_owned(), true, file_id],
            )
            .await
            .map_err(db_err("storing a file"))?;
        Ok(())
    }

    async fn get_file(&self, id: Uuid) -> Result<Option<StoredFile>> {
        let row: Option<FileRow> = self
            .db
            .fetch_optional(
                "SELECT id, name, content_type, size, sha256, complete, created_by, created_at FROM files WHERE id = $1",
                args![id],
            )
            .await
            .map_err(db_err("reading a file"))?;
        Ok(row.map(StoredFile::from))
    }

    async fn get_chunk(&self, file_id: Uuid, seq: i64) -> Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = self
            .db
            .fetch_optional("SELECT data FROM file_chunks WHERE file_id = $1 AND seq = $2", args![file_id, seq])
            .await
            .map_err(db_err("reading a file"))?;
        Ok(row.map(|r| r.0))
    }

    async fn delete_file(&self, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("deleting a file"))?;
        tx.execute("DELETE FROM file_chunks WHERE file_id = $1", args![id]).await.map_err(db_err("deleting a file"))?;
        tx.execute("DELETE FROM files WHERE id = $1", args![id]).await.map_err(db_err("deleting a file"))?;
        tx.commit().await.map_err(db_err("deleting a file"))?;
        Ok(())
    }
}

// ---------------------------------------------------------------- imports

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: Uuid,
    version: i64,
    created_by: Uuid,
    entity: String,
    file_id: Uuid,
    file_name: String,
    status: String,
    settings: Json<ImportSettings>,
    analysis: Json<ImportAnalysis>,
    rows_total: i64,
    rows_done: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    rejected: i64,
    dry_run: bool,
    error: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const IMPORT_COLS: &str = "id, version, created_by, entity, file_id, file_name, status, settings, analysis, rows_total, \
                           rows_done, created, updated, skipped, rejected, dry_run, error, started_at, finished_at, \
                           created_at, updated_at";

fn entity_of(s: &str) -> Result<ImportEntity> {
    serde_json::from_value(json!(s)).map_err(|_| internal("stored import entity", s))
}

fn entity_str(e: ImportEntity) -> String {
    serde_json::to_value(e).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl TryFrom<ImportRow> for Import {
    type Error = Error;

    fn try_from(r: ImportRow) -> Result<Import> {
        Ok(Import {
            id: r.id,
            version: r.version,
            created_by: r.created_by,
            entity: entity_of(&r.entity)?,
            file_id: r.file_id,
            file_name: r.file_name,
            status: ImportStatus::parse(&r.status).ok_or_else(|| internal("stored import status", &r.status))?,
            settings: r.settings.0,
            analysis: r.analysis.0,
            rows_total: r.rows_total,
            rows_done: r.rows_done,
            created: r.created,
            updated: r.updated,
            skipped: r.skipped,
            rejected: r.rejected,
            dry_run: r.dry_run,
            error: r.error,
            started_at: r.started_at,
            finished_at: r.finished_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[derive(sqlx::FromRow)]
struct RejectRow {
    row_number: i64,
    errors: Json<Value>,
    cells: Json<Vec<String>>,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    entity_type: String,
    entity_id: Uuid,
    action: String,
    before: Option<Json<Value>>,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct PresetRow {
    id: Uuid,
    name: String,
    entity: String,
    definition: Json<Vec<(String, String)>>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
}

#[async_trait]
impl ImportStore for SqlStore {
    async fn insert_import(&self, i: &Import, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("creating an import"))?;
        tx.execute(
            &format!(
                "INSERT INTO imports ({IMPORT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                 $15, $16, $17, $18, $19, $20, $21)"
            ),
            args![
                i.id,
                i.version,
                i.created_by,
                entity_str(i.entity),
                i.file_id,
                i.file_name.clone(),
                i.status.as_str(),
                to_json(&i.settings),
                to_json(&i.analysis),
                i.rows_total,
                i.rows_done,
                i.created,
                i.updated,
                i.skipped,
                i.rejected,
                i.dry_run,
                i.error.clone(),
                i.started_at,
                i.finished_at,
                i.created_at,
                i.updated_at
            ],
        )
        .await
        .map_err(db_err("creating an import"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("creating an import"))?;
        Ok(())
    }

    async fn get_import(&self, id: Uuid) -> Result<Option<Import>> {
        let row: Option<ImportRow> = self
            .db
            .fetch_optional(&format!("SELECT {IMPORT_COLS} FROM imports WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading an import"))?;
        row.map(Import::try_from).transpose()
    }

    async fn list_imports(&self, created_by: Option<Uuid>, limit: u32) -> Result<Vec<Import>> {
        let mut p = Params::default();
        let filter = created_by.map(|u| format!("WHERE created_by = {}", p.push(u))).unwrap_or_default();
        let limit = p.push(i64::from(limit));
        let rows: Vec<ImportRow> = self
            .db
            .fetch_all(
                &format!("SELECT {IMPORT_COLS} FROM imports {filter} ORDER BY created_at DESC, id DESC LIMIT {limit}"),
                p.0,
            )
            .await
            .map_err(db_err("listing imports"))?;
        rows.into_iter().map(Import::try_from).collect()
    }

    async fn save_import(&self, i: &Import, expected_version: i64) -> Result<()> {
        let n = self
            .db
            .execute(
                "UPDATE imports SET version = $1, status = $2, settings = $3, analysis = $4, rows_total = $5, \
                 rows_done = $6, created = $7, updated = $8, skipped = $9, rejected = $10, dry_run = $11, error = $12, \
                 started_at = $13, finished_at = $14, updated_at = $15 WHERE id = $16 AND version = $17",
                args![
                    i.version,
                    i.status.as_str(),
                    to_json(&i.settings),
                    to_json(&i.analysis),
                    i.rows_total,
                    i.rows_done,
                    i.created,
                    i.updated,
                    i.skipped,
                    i.rejected,
                    i.dry_run,
                    i.error.clone(),
                    i.started_at,
                    i.finished_at,
                    i.updated_at,
                    i.id,
                    expected_version
                ],
            )
            .await
            .map_err(db_err("saving an import"))?;
        if n == 0 {
            let cur: Option<(i64,)> = self
                .db
                .fetch_optional("SELECT version FROM imports WHERE id = $1", args![i.id])
                .await
                .map_err(db_err("saving an import"))?;
            return Err(match cur {
                Some((current,)) => Error::PreconditionFailed { current },
                None => Error::NotFound("import"),
            });
        }
        Ok(())
    }

    async fn apply_import_batch(&self, b: &ImportBatch) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("importing rows"))?;
        let mut companies = Vec::new();
        let mut contacts = Vec::new();
        let mut changes: Vec<(bool, Vec<SqlValue>)> = Vec::new();
        let change = |entity: &str, id: Uuid, action: &str, before: Option<&Value>, version: i64| {
            (
                action == "created",
                vec![
                    b.import_id.into(),
                    entity.into(),
                    id.into(),
                    action.into(),
                    before.cloned().map(SqlValue::from).unwrap_or(SqlValue::Json(None)),
                    version.into(),
                ],
            )
        };
        for w in &b.writes {
            match w {
                ImportWrite::NewCompany { company, .. } => {
                    changes.push(change("company", company.id, "created", None, company.version));
                    companies.push(company);
                }
                ImportWrite::NewContact { contact, body, link } => {
                    changes.push(change("contact", contact.id, "created", None, contact.version));
                    contacts.push(ContactRef { contact, link: link.as_ref(), search_body: body });
                }
                _ => {}
            }
        }
        bulk_insert(&mut tx, &companies, &contacts).await?;
        for w in &b.writes {
            match w {
                ImportWrite::UpdateCompany { company, expected_version, body, before } => {
                    write_company(&mut tx, company, Some(*expected_version), body).await?;
                    changes.push(change("company", company.id, "updated", Some(before), company.version));
                }
                ImportWrite::UpdateContact { contact, expected_version, body, before, link } => {
                    write_contact(&mut tx, contact, Some(*expected_version), body).await?;
                    if let Some(l) = link {
                        link_in_tx(&mut tx, l).await?;
                    }
                    changes.push(change("contact", contact.id, "updated", Some(before), contact.version));
                }
                _ => {}
            }
        }
        if !changes.is_empty() {
            let (new_rows, upd_rows): (Vec<_>, Vec<_>) = changes.into_iter().partition(|(created, _)| *created);
            insert_rows(
                &mut tx,
                "import_changes",
                &["import_id", "entity_type", "entity_id", "action", "before", "version"],
                new_rows.into_iter().map(|(_, r)| r).collect(),
            )
            .await?;
            // A record an earlier batch of this import created stays "created" (undo removes
            // it) when a later row updates it; only its version moves on.
            for (_, r) in upd_rows {
                let mut p = Params::default();
                let cols: Vec<String> = r.into_iter().map(|v| p.push(v)).collect();
                tx.execute(
                    &format!(
                        "INSERT INTO import_changes (import_id, entity_type, entity_id, action, before, version) \
                         VALUES ({}) ON CONFLICT (import_id, entity_type, entity_id) DO UPDATE SET version = excluded.version",
                        cols.join(", ")
                    ),
                    p.0,
                )
                .await
                .map_err(db_err("recording import changes"))?;
            }
        }
        let rejects: Vec<Vec<SqlValue>> = b
            .rejects
            .iter()
            .map(|r| vec![b.import_id.into(), r.row_number.into(), to_json(&r.errors).into(), to_json(&r.cells).into()])
            .collect();
        insert_rows(&mut tx, "import_rejects", &["import_id", "row_number", "errors", "cells"], rejects).await?;
        for a in &b.audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.execute(
            "UPDATE imports SET rows_done = rows_done + $1, created = created + $2, updated = updated + $3, \
             skipped = skipped + $4, rejected = rejected + $5, updated_at = $6 WHERE id = $7",
            args![b.rows, b.created, b.updated, b.skipped, b.rejected, b.at, b.import_id],
        )
        .await
        .map_err(db_err("recording import progress"))?;
        tx.commit().await.map_err(db_err("importing rows"))?;
        Ok(())
    }

    async fn import_rejects(&self, import_id: Uuid, after_row: i64, limit: u32) -> Result<Vec<ImportReject>> {
        let rows: Vec<RejectRow> = self
            .db
            .fetch_all(
                "SELECT row_number, errors, cells FROM import_rejects WHERE import_id = $1 AND row_number > $2 \
                 ORDER BY row_number LIMIT $3",
                args![import_id, after_row, i64::from(limit)],
            )
            .await
            .map_err(db_err("reading an import's report"))?;
        rows.into_iter()
            .map(|r| {
                Ok(ImportReject {
                    row_number: r.row_number,
                    errors: serde_json::from_value(r.errors.0).map_err(|e| internal("stored import errors", e))?,
                    cells: r.cells.0,
                })
            })
            .collect()
    }

    async fn import_changes(&self, import_id: Uuid, after: Option<Uuid>, limit: u32) -> Result<Vec<ImportChange>> {
        let mut p = Params::default();
        let import = p.push(import_id);
        let after = after.map(|a| format!("AND entity_id > {}", p.push(a))).unwrap_or_default();
        let limit = p.push(i64::from(limit));
        let rows: Vec<ChangeRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT entity_type, entity_id, action, before, version FROM import_changes \
                     WHERE import_id = {import} {after} ORDER BY entity_id LIMIT {limit}"
                ),
                p.0,
            )
            .await
            .map_err(db_err("reading an import's changes"))?;
        Ok(rows
            .into_iter()
            .map(|r| ImportChange {
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                action: r.action,
                before: r.before.map(|b| b.0),
                version: r.version,
            })
            .collect())
    }

    async fn undo_created(
        &self,
        entity_type: &str,
        ids: &[(Uuid, i64)],
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<u64> {
        let table = match entity_type {
            "contact" => "contacts",
            "company" => "companies",
            other => return Err(internal("undoing an import", other)),
        };
        let mut tx = self.db.begin().await.map_err(db_err("undoing an import"))?;
        let mut gone: Vec<Uuid> = Vec::new();
        for (id, version) in ids {
            let n = tx
                .execute(
                    &format!(
                        "UPDATE {table} SET deleted_at = $1, updated_at = $1, version = version + 1 \
                         WHERE id = $2 AND version = $3 AND deleted_at IS NULL"
                    ),
                    args![at, *id, *version],
                )
                .await
                .map_err(db_err("undoing an import"))?;
            if n == 1 {
                gone.push(*id);
            }
        }
        let search = search_table(entity_type);
        for chunk in gone.chunks(400) {
            let mut p = Params::default();
            let list: Vec<String> = chunk.iter().map(|id| p.push(*id)).collect();
            let list = list.join(", ");
            for sql in [
                format!("DELETE FROM contact_points WHERE entity_id IN ({list})"),
                format!("DELETE FROM record_tags WHERE entity_id IN ({list})"),
            ] {
                tx.execute(&sql, p.0.clone()).await.map_err(db_err("undoing an import"))?;
            }
            match tx.backend() {
                Backend::Sqlite => {
                    tx.execute(
                        &format!(
                            "DELETE FROM {search} WHERE rowid IN (SELECT rid FROM search_rows WHERE entity_id IN ({list}))"
                        ),
                        p.0.clone(),
                    )
                    .await
                    .map_err(db_err("undoing an import"))?;
                    tx.execute(&format!("DELETE FROM search_rows WHERE entity_id IN ({list})"), p.0.clone())
                        .await
                        .map_err(db_err("undoing an import"))?;
                }
                Backend::Postgres => {
                    tx.execute(&format!("DELETE FROM {search} WHERE entity_id IN ({list})"), p.0.clone())
                        .await
                        .map_err(db_err("undoing an import"))?;
                }
            }
        }
        for a in audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db_err("undoing an import"))?;
        Ok(gone.len() as u64)
    }

    async fn find_points(&self, points: &[(String, String)]) -> Result<Vec<(String, String, String, Uuid)>> {
        let mut out = Vec::new();
        for chunk in points.chunks(300) {
            let mut p = Params::default();
            let conds: Vec<String> = chunk
                .iter()
                .map(|(k, v)| format!("(kind = {} AND value = {})", p.push(k.clone()), p.push(v.clone())))
                .collect();
            let rows: Vec<(String, String, String, Uuid)> = self
                .db
                .fetch_all(
                    &format!(
                        "SELECT kind, value, entity_type, entity_id FROM contact_points WHERE {}",
                        conds.join(" OR ")
                    ),
                    p.0,
                )
                .await
                .map_err(db_err("looking for duplicates"))?;
            out.extend(rows);
        }
        Ok(out)
    }

    async fn find_companies(&self, taxes: &[String], names: &[String]) -> Result<Vec<(Uuid, Option<String>, String)>> {
        let mut out = Vec::new();
        for (col, list) in [("tax_number", taxes), ("sort_name", names)] {
            for chunk in list.chunks(300) {
                let mut p = Params::default();
                let b = self.db.backend();
                let ph: Vec<String> = chunk.iter().map(|v| p.push_positional(b, v.clone())).collect();
                let rows: Vec<(Uuid, Option<String>, String)> = self
                    .db
                    .fetch_all(
                        &format!(
                            "SELECT id, tax_number, sort_name FROM companies WHERE {col} IN ({}) AND deleted_at IS NULL",
                            ph.join(", ")
                        ),
                        p.0,
                    )
                    .await
                    .map_err(db_err("looking for companies"))?;
                out.extend(rows);
            }
        }
        Ok(out)
    }

    async fn company_contact_hosts(&self) -> Result<Vec<(Uuid, String)>> {
        let mut rows: Vec<(Uuid, String)> = self
            .db
            .fetch_all(
                "SELECT entity_id, value FROM contact_points WHERE entity_type = 'company' AND kind = 'email'",
                vec![],
            )
            .await
            .map_err(db_err("reading company domains"))?;
        let sites: Vec<(Uuid, String)> = self
            .db
            .fetch_all("SELECT id, website FROM companies WHERE website IS NOT NULL AND deleted_at IS NULL", vec![])
            .await
            .map_err(db_err("reading company domains"))?;
        rows.extend(sites);
        Ok(rows)
    }

    async fn list_presets(&self, entity: Option<&str>) -> Result<Vec<SavedPreset>> {
        let mut p = Params::default();
        let filter = entity.map(|e| format!("WHERE entity = {}", p.push(e.to_owned()))).unwrap_or_default();
        let rows: Vec<PresetRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT id, name, entity, definition, created_by, created_at FROM import_presets {filter} ORDER BY name"
                ),
                p.0,
            )
            .await
            .map_err(db_err("listing import presets"))?;
        rows.into_iter()
            .map(|r| {
                Ok(SavedPreset {
                    id: r.id,
                    name: r.name,
                    entity: entity_of(&r.entity)?,
                    columns: r.definition.0,
                    created_by: r.created_by,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    async fn insert_preset(&self, p: &SavedPreset) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO import_presets (id, name, entity, definition, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![p.id, p.name.clone(), entity_str(p.entity), to_json(&p.columns), p.created_by, p.created_at],
            )
            .await
            .map_err(db_err("saving an import preset"))?;
        Ok(())
    }

    async fn delete_preset(&self, id: Uuid) -> Result<bool> {
        let n = self
            .db
            .execute("DELETE FROM import_presets WHERE id = $1", args![id])
            .await
            .map_err(db_err("deleting an import preset"))?;
        Ok(n == 1)
    }
}

// ---------------------------------------------------------------- exports

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: Uuid,
    created_by: Uuid,
    entity: String,
    format: String,
    request: Json<ExportRequest>,
    status: String,
    rows_done: i64,
    file_id: Option<Uuid>,
    file_name: Option<String>,
    size: Option<i64>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

const EXPORT_SELECT: &str = "SELECT e.id, e.created_by, e.entity, e.format, e.request, e.status, e.rows_done, e.file_id, \
                             f.name AS file_name, f.size AS size, e.error, e.created_at, e.finished_at \
                             FROM exports e LEFT JOIN files f ON f.id = e.file_id";

impl TryFrom<ExportRow> for Export {
    type Error = Error;

    fn try_from(r: ExportRow) -> Result<Export> {
        Ok(Export {
            id: r.id,
            created_by: r.created_by,
            entity: r.entity,
            format: ExportFormat::parse(&r.format).ok_or_else(|| internal("stored export format", &r.format))?,
            request: r.request.0,
            status: ExportStatus::parse(&r.status).ok_or_else(|| internal("stored export status", &r.status))?,
            rows_done: r.rows_done,
            file_id: r.file_id,
            file_name: r.file_name,
            size: r.size,
            error: r.error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        })
    }
}

#[async_trait]
impl ExportStore for SqlStore {
    async fn insert_export(&self, e: &Export) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO exports (id, created_by, entity, format, request, status, rows_done, file_id, error, \
                 created_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                args![
                    e.id,
                    e.created_by,
                    e.entity.clone(),
                    e.format.as_str(),
                    to_json(&e.request),
                    e.status.as_str(),
                    e.rows_done,
                    e.file_id,
                    e.error.clone(),
                    e.created_at,
                    e.finished_at
                ],
            )
            .await
            .map_err(db_err("creating an export"))?;
        Ok(())
    }

    async fn get_export(&self, id: Uuid) -> Result<Option<Export>> {
        let row: Option<ExportRow> = self
            .db
            .fetch_optional(&format!("{EXPORT_SELECT} WHERE e.id = $1"), args![id])
            .await
            .map_err(db_err("reading an export"))?;
        row.map(Export::try_from).transpose()
    }

    async fn save_export(&self, e: &Export) -> Result<()> {
        self.db
            .execute(
                "UPDATE exports SET status = $1, rows_done = $2, file_id = $3, error = $4, finished_at = $5 WHERE id = $6",
                args![e.status.as_str(), e.rows_done, e.file_id, e.error.clone(), e.finished_at, e.id],
            )
            .await
            .map_err(db_err("saving an export"))?;
        Ok(())
    }

    async fn list_exports(&self, created_by: Uuid, limit: u32) -> Result<Vec<Export>> {
        let rows: Vec<ExportRow> = self
            .db
            .fetch_all(
                &format!("{EXPORT_SELECT} WHERE e.created_by = $1 ORDER BY e.created_at DESC LIMIT $2"),
                args![created_by, i64::from(limit)],
            )
            .await
            .map_err(db_err("listing exports"))?;
        rows.into_iter().map(Export::try_from).collect()
    }
}
