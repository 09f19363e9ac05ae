//! Durable-queue extensions and automation (issue 7): cron-like schedules, the worker's
//! heartbeat, effects that happen once.

use std::future::Future;
use std::time::Duration as StdDuration;

use serde_json::Value;

use super::Services;
use super::jobs::{LEASE, Lease};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::automation::JobSchedule;
use crate::domain::cron::Cron;
use crate::domain::job::Job;
use crate::domain::now;
use crate::error::{Error, Result};

/// The job that runs the automation rules listening to one domain event.
pub const EVENT_JOB: &str = "automation.event";

/// How often a worker looks for due schedules.
pub const SCHEDULES_EVERY: StdDuration = StdDuration::from_secs(10);

/// How often a running job's lease is renewed (a third of the lease).
fn heartbeat_every() -> StdDuration {
    StdDuration::from_secs((LEASE.num_seconds() / 3).max(1) as u64)
}

impl Services {
    /// Runs `work` while renewing the lease every third of it; stops the work (dropping it,
    /// which rolls back what it had not committed) when the job was cancelled or taken over.
    pub(crate) async fn with_heartbeat<F: Future<Output = Result<()>>>(&self, lease: &Lease, work: F) -> Result<()> {
        let beat = async {
            loop {
                tokio::time::sleep(heartbeat_every()).await;
                match lease.keep(self).await {
                    Ok(()) => {}
                    Err(e @ Error::Conflict { .. }) => return e,
                    Err(e) => tracing::warn!(job = %lease.job_id, error = %e, "could not renew a job's lease"),
                }
            }
        };
        tokio::select! {
            r = work => r,
            e = beat => Err(e),
        }
    }

    /// Adds the schedule `name` or changes it; its next slot is the first after now (kept
    /// when the cron did not change).
    pub async fn set_schedule(&self, name: &str, cron: &str, kind: &str, payload: Value) -> Result<JobSchedule> {
        let parsed = Cron::parse(cron).map_err(|m| Error::invalid("cron", m))?;
        if name.trim().is_empty() || name.len() > 200 {
            return Err(Error::invalid("name", "is required (at most 200 characters)"));
        }
        let at = now();
        let existing = self.store.list_schedules().await?.into_iter().find(|s| s.name == name);
        let next_run_at = match &existing {
            Some(s) if s.cron == parsed.as_str() => s.next_run_at,
            _ => parsed.next_after(at).ok_or_else(|| Error::invalid("cron", "never comes"))?,
        };
        let s = JobSchedule {
            name: name.to_owned(),
            cron: parsed.as_str().to_owned(),
            kind: kind.to_owned(),
            payload,
            enabled: true,
            next_run_at,
            last_run_at: existing.as_ref().and_then(|s| s.last_run_at),
            created_at: existing.as_ref().map_or(at, |s| s.created_at),
            updated_at: at,
        };
        self.store.upsert_schedule(&s).await?;
        Ok(s)
    }

    /// Queues one job for each due slot of each schedule; several workers asking at once
    /// queue it once (the schedule moves on in the transaction that queues the job). Missed
    /// slots (no worker ran) are not made up: the next slot is the first after now.
    pub async fn run_schedules(&self) -> Result<usize> {
        let at = now();
        let mut queued = 0;
        for s in self.store.due_schedules(at).await? {
            let Ok(cron) = Cron::parse(&s.cron) else {
                tracing::warn!(schedule = %s.name, cron = %s.cron, "a stored schedule does not parse");
                continue;
            };
            let Some(next) = cron.next_after(at) else { continue };
            let mut job = Job::new(&s.kind, s.payload.clone(), None, at);
            job.dedupe_key = Some(format!("schedule:{}:{}", s.name, s.next_run_at.timestamp()));
            job.max_attempts = 3;
            if self.store.advance_schedule(&s.name, s.next_run_at, next, &job).await? {
                queued += 1;
                self.wake.notify_one();
            }
        }
        Ok(queued)
    }

    pub async fn list_schedules(&self, actor: &Actor) -> Result<Vec<JobSchedule>> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.list_schedules().await
    }
}
