//! Storage of the report builder: running a checked plan in the database, and saved reports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::authz::Scope;
use crate::domain::audit::AuditEntry;
use crate::domain::report_builder::{Plan, ReportDefinition, ReportResult};
use crate::error::Result;

/// Whose records a report reads: the viewer's scope for the report's object, in SQL.
#[derive(Debug, Clone)]
pub struct ReportScope {
    pub scope: Scope,
    /// The viewer (tasks are also theirs when they created them).
    pub me: Uuid,
}

/// How often a saved report is e-mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleEvery {
    Day,
    Week,
    Month,
}

/// A report e-mailed on a schedule to its recipients, as the owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportSchedule {
    pub every: ScheduleEvery,
    pub recipients: Vec<String>,
    /// `csv` or `xlsx`.
    pub format: String,
    /// The next time it is sent (UTC).
    pub next_run_at: DateTime<Utc>,
}

/// A saved report: private to its owner, or shared with everyone (who see it in their own scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedReport {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub owner_id: Uuid,
    pub shared: bool,
    pub definition: ReportDefinition,
    pub schedule: Option<ReportSchedule>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait ReportBuilderStore: Send + Sync {
    /// Runs a plan in one query: the scope, the filter, the grouping and the aggregates all
    /// happen in the database; at most `plan.limit` rows come back.
    async fn run_report(&self, plan: &Plan, scope: &ReportScope) -> Result<ReportResult>;
    /// The reports a user sees: their own and the shared ones, by name.
    async fn list_saved_reports(&self, user_id: Uuid) -> Result<Vec<SavedReport>>;
    async fn get_saved_report(&self, id: Uuid) -> Result<Option<SavedReport>>;
    async fn insert_saved_report(&self, r: &SavedReport, audit: &AuditEntry) -> Result<()>;
    /// `PreconditionFailed` when the stored version is not `expected_version`.
    async fn update_saved_report(&self, r: &SavedReport, expected_version: i64, audit: &AuditEntry) -> Result<()>;
    async fn delete_saved_report(&self, id: Uuid, audit: &AuditEntry) -> Result<()>;
}
