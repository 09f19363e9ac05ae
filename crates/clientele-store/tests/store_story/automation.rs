//! Issue 7: the durable queue (scheduled jobs, schedules, retries, dead letters, leases
//! retaken from dead workers, several workers without double work) and effects that
//! happen once.

use std::collections::HashSet;

use chrono::{Duration, DurationRound};
use clientele_core::domain::automation::JobSchedule;
use clientele_core::domain::job::{Job, JobStatus, backoff};
use clientele_core::domain::team::Team;
use clientele_core::domain::{new_id, now};
use clientele_core::effects::{self, Origin};
use clientele_core::store::{AutomationStore, JobStore, TeamStore};
use clientele_store::SqlStore;
use clientele_store::testing::TestDb;
use serde_json::json;
use uuid::Uuid;

use super::audit;

fn team(name: &str) -> Team {
    let at = now();
    Team { id: new_id(), version: 1, name: name.into(), parent_id: None, created_at: at, updated_at: at }
}

story!(scheduled_jobs_retries_and_dead_letters);
async fn scheduled_jobs_retries_and_dead_letters(s: SqlStore, _db: &TestDb) {
    let at = now();
    let mut later = Job::new("test.later", json!({"n": 1}), None, at);
    later.run_at = at + Duration::minutes(10);
    later.max_attempts = 2;
    s.enqueue(&later).await.unwrap();
    assert!(s.claim_job("w1", at, at + Duration::seconds(60)).await.unwrap().is_none(), "not due yet");
    let t = at + Duration::minutes(11);
    let j = s.claim_job("w1", t, t + Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!((j.id, j.attempts, j.status), (later.id, 1, JobStatus::Running));
    // First failure: back to the queue after the backoff.
    s.fail_job(j.id, "w1", "boom", Some(t + backoff(1)), t).await.unwrap();
    let j = s.get_job(later.id).await.unwrap().unwrap();
    assert_eq!((j.status, j.run_at, j.last_error.as_deref()), (JobStatus::Queued, t + backoff(1), Some("boom")));
    assert!(s.claim_job("w1", t, t + Duration::seconds(60)).await.unwrap().is_none(), "backing off");
    let t2 = t + backoff(1);
    let j = s.claim_job("w2", t2, t2 + Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!(j.attempts, 2);
    // The last attempt fails: dead, listed for an administrator, retried by hand.
    s.fail_job(j.id, "w2", "boom again", None, t2).await.unwrap();
    let dead = s.list_jobs(Some(JobStatus::Dead), 10).await.unwrap();
    assert_eq!(dead.iter().map(|j| j.id).collect::<Vec<_>>(), vec![later.id]);
    assert!(s.retry_job(later.id, t2).await.unwrap());
    let j = s.claim_job("w3", t2, t2 + Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!((j.id, j.attempts), (later.id, 1));
    s.finish_job(j.id, "w3", t2).await.unwrap();
    assert_eq!(s.get_job(later.id).await.unwrap().unwrap().status, JobStatus::Done);
    // A cancelled job is not claimed.
    let c = Job::new("test.cancel", json!({}), None, at);
    s.enqueue(&c).await.unwrap();
    assert!(s.cancel_job(c.id, at).await.unwrap());
    assert!(s.claim_job("w1", t2, t2 + Duration::seconds(60)).await.unwrap().is_none());
    // Dedupe keys: the same key queues once.
    let mut a = Job::new("test.once", json!({}), None, at);
    a.dedupe_key = Some("once:1".into());
    let mut b = Job::new("test.once", json!({}), None, at);
    b.dedupe_key = Some("once:1".into());
    assert_eq!(s.enqueue(&a).await.unwrap(), a.id);
    assert_eq!(s.enqueue(&b).await.unwrap(), a.id);
}

story!(schedules_queue_each_slot_once);
async fn schedules_queue_each_slot_once(s: SqlStore, db: &TestDb) {
    let at = now().duration_trunc(Duration::minutes(1)).unwrap();
    let slot = at - Duration::minutes(1);
    let sched = JobSchedule {
        name: "nightly".into(),
        cron: "*/5 * * * *".into(),
        kind: "test.scheduled".into(),
        payload: json!({"x": 1}),
        enabled: true,
        next_run_at: slot,
        last_run_at: None,
        created_at: at,
        updated_at: at,
    };
    s.upsert_schedule(&sched).await.unwrap();
    let due = s.due_schedules(at).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(s.due_schedules(slot - Duration::minutes(1)).await.unwrap().is_empty());
    // Two workers (two connection pools) advance the same slot: one wins, one job.
    let other = db.store().await.unwrap();
    let job = |n: u32| {
        let mut j = Job::new("test.scheduled", json!({"n": n}), None, at);
        j.dedupe_key = Some(format!("schedule:nightly:{}", slot.timestamp()));
        j
    };
    let next = at + Duration::minutes(5);
    let (j1, j2) = (job(1), job(2));
    let (a, b) = tokio::join!(
        s.advance_schedule("nightly", slot, next, &j1),
        other.advance_schedule("nightly", slot, next, &j2)
    );
    assert!(a.unwrap() ^ b.unwrap(), "exactly one worker moves the schedule on");
    let queued: Vec<_> =
        s.list_jobs(None, 50).await.unwrap().into_iter().filter(|j| j.kind == "test.scheduled").collect();
    assert_eq!(queued.len(), 1);
    let stored = s.list_schedules().await.unwrap();
    assert_eq!((stored[0].next_run_at, stored[0].last_run_at.is_some()), (next, true));
    assert!(s.due_schedules(at).await.unwrap().is_empty());
    // Disabled schedules are never due; deleting removes them.
    s.upsert_schedule(&JobSchedule { enabled: false, next_run_at: slot, ..sched }).await.unwrap();
    assert!(s.due_schedules(at).await.unwrap().is_empty());
    assert!(s.delete_schedule("nightly").await.unwrap());
    assert!(s.list_schedules().await.unwrap().is_empty());
}

story!(effects_happen_once_when_a_worker_dies_mid_job);
async fn effects_happen_once_when_a_worker_dies_mid_job(s: SqlStore, _db: &TestDb) {
    let at = now();
    let job = Job::new("test.effect", json!({}), None, at);
    s.enqueue(&job).await.unwrap();
    // Worker 1 claims the job with a short lease, applies the effect (a team, with its
    // audit line and the effect key in one transaction), then dies before finishing.
    let j = s.claim_job("w1", at, at + Duration::seconds(5)).await.unwrap().unwrap();
    let key = format!("job:{}:team", j.id);
    let t1 = team("Made once");
    effects::with_effect(Some(key.clone()), Some(j.id), Origin::default(), async {
        s.insert_team(&t1, &audit("team", t1.id, "create")).await.unwrap();
    })
    .await;
    assert!(s.effect_done(&key).await.unwrap());
    // Its lease runs out; worker 2 takes the job over (second attempt) and tries the effect
    // again: the store refuses the repeat and rolls it back.
    let later = at + Duration::seconds(6);
    assert!(s.claim_job("w2", at + Duration::seconds(1), later).await.unwrap().is_none(), "lease still held");
    let j2 = s.claim_job("w2", later, later + Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!((j2.id, j2.attempts, j2.locked_by.as_deref()), (job.id, 2, Some("w2")));
    let t2 = team("Made twice");
    let again = effects::with_effect(Some(key.clone()), Some(j2.id), Origin::default(), async {
        s.insert_team(&t2, &audit("team", t2.id, "create")).await
    })
    .await;
    assert!(effects::is_effect_done(&again.unwrap_err()));
    let names: Vec<String> = s.list_teams().await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["Made once".to_owned()], "the effect happened once and the repeat left nothing");
    // The dead worker can no longer touch the job; the new one finishes it.
    assert!(!s.extend_lease(job.id, "w1", later + Duration::seconds(60)).await.unwrap());
    s.finish_job(job.id, "w1", later).await.unwrap();
    assert_eq!(s.get_job(job.id).await.unwrap().unwrap().status, JobStatus::Running, "w1's finish is ignored");
    assert!(s.extend_lease(job.id, "w2", later + Duration::seconds(90)).await.unwrap());
    s.finish_job(job.id, "w2", later).await.unwrap();
    assert_eq!(s.get_job(job.id).await.unwrap().unwrap().status, JobStatus::Done);
    // Outside a scope, and with other keys, writes are not refused.
    let t3 = team("Free");
    s.insert_team(&t3, &audit("team", t3.id, "create")).await.unwrap();
}

story!(two_workers_never_run_the_same_job);
async fn two_workers_never_run_the_same_job(s: SqlStore, db: &TestDb) {
    let at = now();
    let n = 300;
    for i in 0..n {
        s.enqueue(&Job::new("test.many", json!({"i": i}), None, at)).await.unwrap();
    }
    // Two "processes": each with its own connection pool, claiming as fast as it can.
    let drain = |store: SqlStore, name: &'static str| async move {
        let mut got = Vec::new();
        while let Some(j) = store.claim_job(name, now(), now() + Duration::seconds(60)).await.unwrap() {
            store.finish_job(j.id, name, now()).await.unwrap();
            got.push(j.id);
        }
        got
    };
    let other = db.store().await.unwrap();
    let (a, b) = tokio::join!(tokio::spawn(drain(s.clone(), "worker-a")), tokio::spawn(drain(other, "worker-b")));
    let (a, b) = (a.unwrap(), b.unwrap());
    let all: HashSet<Uuid> = a.iter().chain(b.iter()).copied().collect();
    assert_eq!(a.len() + b.len(), n, "every job claimed once");
    assert_eq!(all.len(), n, "no job claimed twice");
    assert!(s.list_jobs(Some(JobStatus::Queued), 10).await.unwrap().is_empty());
    eprintln!("worker-a ran {}, worker-b ran {}", a.len(), b.len());
}
