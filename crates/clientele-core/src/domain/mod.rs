//! Pure domain types: values that can only hold valid data, and business rules. No I/O.

pub mod activity;
pub mod audit;
pub mod auth;
pub mod client;
pub mod custom_field;
pub mod dashboard;
pub mod deal;
pub mod document;
pub mod email;
pub mod export;
pub mod filter;
pub mod ical;
pub mod import;
pub mod import_map;
pub mod inbox;
pub mod job;
pub mod lead;
pub mod money;
pub mod page;
pub mod phone;
pub mod product;
pub mod recurrence;
pub mod report;
pub mod report_builder;
pub mod secret;
pub mod task;
pub mod team;
pub mod user;
pub mod zone;

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

/// Record identifiers are UUIDv7: unique across nodes and ordered by creation time.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Now, in UTC, truncated to microseconds: the precision both databases keep, so a
/// value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
pub mod automation;
pub mod cron;
pub mod distribution;
pub mod rule;
pub mod webhook;
