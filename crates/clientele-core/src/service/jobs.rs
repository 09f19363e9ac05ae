//! The background worker: claims due jobs from the durable queue, runs them, retries
//! failures with exponential backoff and buries a job as dead after its last attempt.
//! Several workers (threads or processes, on PostgreSQL several machines) share the queue;
//! a job is claimed by one of them at a time, and a job whose worker died is claimed again
//! once its lease runs out — its handler resumes from what it had committed.

use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::Value;
use uuid::Uuid;

use super::Services;
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::job::{Job, JobStatus, backoff};
use crate::domain::now;
use crate::error::{Error, Result};

/// How long a claimed job is a worker's before another may take it over. Long jobs
/// renew it as they make progress.
pub const LEASE: Duration = Duration::seconds(60);

/// How often a worker asks for the periodic checks to be queued.
const PERIODIC_EVERY: StdDuration = StdDuration::from_secs(300);

/// A worker's hold on its job.
pub struct Lease {
    pub job_id: Uuid,
    pub worker: String,
}

impl Lease {
    /// Renews the lease; an error when the job was cancelled or taken over meanwhile, so
    /// that the handler stops.
    pub async fn keep(&self, s: &Services) -> Result<()> {
        if s.store.extend_lease(self.job_id, &self.worker, now() + LEASE).await? {
            Ok(())
        } else {
            Err(Error::Conflict {
                message: "the job was cancelled or taken over by another worker".into(),
                field: None,
                existing_id: Some(self.job_id),
            })
        }
    }
}

/// What became of one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    Retry(String),
    Dead(String),
}

impl Services {
    /// Queues a job and wakes this process's worker.
    pub async fn enqueue(&self, kind: &str, payload: Value, created_by: Option<Uuid>) -> Result<Uuid> {
        let job = Job::new(kind, payload, created_by, now());
        let id = self.store.enqueue(&job).await?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Claims and runs one due job; `None` when there was none.
    pub async fn work_once(&self, worker: &str) -> Result<Option<(Job, JobOutcome)>> {
        let at = now();
        let Some(job) = self.store.claim_job(worker, at, at + LEASE).await? else { return Ok(None) };
        let lease = Lease { job_id: job.id, worker: worker.to_owned() };
        let outcome = if job.attempts > job.max_attempts {
            JobOutcome::Dead(job.last_error.clone().unwrap_or_else(|| "too many attempts".into()))
        } else {
            match self.with_heartbeat(&lease, self.run_job(&job, &lease)).await {
                Ok(()) => JobOutcome::Done,
                Err(e @ Error::Validation(_)) | Err(e @ Error::NotFound(_)) | Err(e @ Error::Forbidden(_)) => {
                    // Running it again cannot help.
                    JobOutcome::Dead(e.to_string())
                }
                Err(e) if job.attempts >= job.max_attempts => JobOutcome::Dead(e.to_string()),
                Err(e) => JobOutcome::Retry(e.to_string()),
            }
        };
        let at = now();
        match &outcome {
            JobOutcome::Done => self.store.finish_job(job.id, worker, at).await?,
            JobOutcome::Retry(msg) => {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %msg, "job failed; will retry");
                self.store.fail_job(job.id, worker, msg, Some(at + backoff(job.attempts)), at).await?
            }
            JobOutcome::Dead(msg) => {
                tracing::error!(job = %job.id, kind = %job.kind, error = %msg, "job failed for good");
                self.store.fail_job(job.id, worker, msg, None, at).await?;
                self.job_buried(&job, msg).await?;
            }
        }
        Ok(Some((job, outcome)))
    }

    async fn run_job(&self, job: &Job, lease: &Lease) -> Result<()> {
        let id = || {
            job.payload
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| Error::invalid("payload.id", "missing"))
        };
        match job.kind.as_str() {
            "import.run" => self.run_import(id()?, lease).await,
            "import.undo" => self.run_undo(id()?, lease).await,
            "export.run" => self.run_export(id()?, lease).await,
            "message.send" => self.run_send(id()?).await,
            "mailbox.poll" => {
                let key = job.payload.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
                self.run_poll(id()?, &key).await
            }
            "sequence.step" => {
                let step = job.payload.get("step").and_then(Value::as_i64).unwrap_or(0);
                self.run_sequence_step(id()?, step).await
            }
            "task.reminder" => self.run_reminder(&job.payload).await,
            "deals.stuck_check" => self.run_stuck_check().await,
            super::report_builder::SEND_JOB => self.run_report_send(&job.payload).await,
            // Boxed: rules run most services, and their futures are large.
            super::automation::EVENT_JOB => Box::pin(self.run_event_rules(id()?, job.id)).await,
            super::rules::TIME_SCAN_JOB => Box::pin(self.run_time_scan(job.id)).await,
            super::rules::SCHEDULED_RULE_JOB => Box::pin(self.run_scheduled_rule(id()?, job.id)).await,
            super::rules::CALL_JOB => Box::pin(self.run_rule_call(&job.payload)).await,
            super::rules::SEND_JOB => Box::pin(self.run_rule_send(&job.payload)).await,
            super::webhooks::DELIVER_JOB => Box::pin(self.run_delivery(id()?)).await,
            other => Err(Error::invalid("kind", format!("no handler for jobs of kind `{other}`"))),
        }
    }

    /// A job failed for good: the record it worked on says so.
    async fn job_buried(&self, job: &Job, msg: &str) -> Result<()> {
        let Some(id) = job.payload.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()) else {
            return Ok(());
        };
        match job.kind.as_str() {
            "import.run" | "import.undo" => self.import_failed(id, msg).await,
            "export.run" => self.export_failed(id, msg).await,
            "message.send" => self.send_buried(id, msg).await,
            super::webhooks::DELIVER_JOB => self.delivery_buried(id).await,
            _ => Ok(()),
        }
    }

    /// Runs jobs until `stop` turns true: claims what is due, sleeps `idle` (or until a job
    /// is queued in this process) when there is nothing.
    pub async fn run_worker(&self, worker: String, idle: StdDuration, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(worker = %worker, "background worker started");
        let mut periodic: Option<std::time::Instant> = None;
        let mut schedules: Option<std::time::Instant> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            // Cron-like schedules are looked at every few seconds (each slot queues once).
            if schedules.is_none_or(|t| t.elapsed() >= super::automation::SCHEDULES_EVERY) {
                if let Err(e) = self.run_schedules().await {
                    tracing::warn!(error = %e, "could not queue the scheduled jobs");
                }
                schedules = Some(std::time::Instant::now());
            }
            // Periodic checks (deals stuck in a stage) are queued every few minutes; their
            // key makes one run per hour whichever worker asks first.
            if periodic.is_none_or(|t| t.elapsed() >= PERIODIC_EVERY) {
                if let Err(e) = self.schedule_periodic().await {
                    tracing::warn!(error = %e, "could not queue the periodic checks");
                }
                periodic = Some(std::time::Instant::now());
            }
            match self.work_once(&worker).await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "the worker could not reach the job queue"),
            }
            tokio::select! {
                _ = tokio::time::sleep(idle) => {},
                _ = self.wake.notified() => {},
                _ = stop.changed() => {},
            }
        }
        tracing::info!(worker = %worker, "background worker stopped");
    }

    // ---------------- administration

    pub async fn list_jobs(&self, actor: &Actor, status: Option<JobStatus>, limit: Option<u32>) -> Result<Vec<Job>> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.list_jobs(status, limit.unwrap_or(100).clamp(1, 500)).await
    }

    pub async fn retry_job(&self, actor: &Actor, id: Uuid) -> Result<Job> {
        check_area(actor, Area::Settings, Action::Update)?;
        if !self.store.retry_job(id, now()).await? {
            return Err(Error::conflict("status", "only dead or cancelled jobs can be retried"));
        }
        self.wake.notify_one();
        self.store.get_job(id).await?.ok_or(Error::NotFound("job"))
    }

    pub async fn cancel_job(&self, actor: &Actor, id: Uuid) -> Result<Job> {
        check_area(actor, Area::Settings, Action::Update)?;
        if !self.store.cancel_job(id, now()).await? {
            return Err(Error::conflict("status", "only queued, running or dead jobs can be cancelled"));
        }
        self.store.get_job(id).await?.ok_or(Error::NotFound("job"))
    }
}
