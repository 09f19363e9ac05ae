//! Background jobs: durable units of work that a worker claims, runs, retries with
//! exponential backoff, and finally buries as dead for an administrator to look at.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for its `run_at` and a free worker (also after a failed attempt that will be retried).
    Queued,
    /// A worker holds its lease.
    Running,
    Done,
    /// Failed on every attempt: kept for an administrator to retry or cancel.
    Dead,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] =
        [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Dead, JobStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: Uuid,
    /// What to do, e.g. `import.run`, `import.undo`, `export.run`.
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub status: JobStatus,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// At most one job per key exists: enqueueing the same key again is a no-op.
    pub dedupe_key: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    pub fn new(kind: &str, payload: Value, created_by: Option<Uuid>, at: DateTime<Utc>) -> Self {
        Self {
            id: super::new_id(),
            kind: kind.to_owned(),
            payload,
            status: JobStatus::Queued,
            run_at: at,
            attempts: 0,
            max_attempts: 5,
            locked_by: None,
            locked_until: None,
            last_error: None,
            dedupe_key: None,
            created_by,
            created_at: at,
            updated_at: at,
            finished_at: None,
        }
    }
}

/// Wait before the next attempt after `attempts` failed ones: 10 s, 40 s, 160 s, ... capped at an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 10) as u32 - 1;
    Duration::seconds((10_i64 * 4_i64.pow(exp)).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(2), Duration::seconds(40));
        assert_eq!(backoff(3), Duration::seconds(160));
        assert_eq!(backoff(9), Duration::seconds(3600));
        assert_eq!(backoff(0), Duration::seconds(10));
    }

    #[test]
    fn statuses_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobStatus::parse("nope"), None);
    }
}
