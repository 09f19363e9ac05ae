//! Exports: a list, a saved view or a selection written to CSV, XLSX or vCard by a
//! background job, kept as a stored file until downloaded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    /// vCard 4.0 (contacts only).
    Vcard,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Vcard => "vcard",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            "vcard" | "vcf" => Some(ExportFormat::Vcard),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Vcard => "vcf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Vcard => "text/vcard; charset=utf-8",
        }
    }
}

/// What to export and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// `contacts` or `companies`.
    pub entity: String,
    pub format: ExportFormat,
    /// Only these records (a selection); otherwise everything the list request matches.
    #[serde(default)]
    pub ids: Vec<Uuid>,
    /// Free-text query of the list.
    #[serde(default)]
    pub q: Option<String>,
    /// Filter JSON of the list.
    #[serde(default)]
    pub filter: Option<String>,
    /// A saved view: its filter, sort and visible columns.
    #[serde(default)]
    pub view: Option<Uuid>,
    #[serde(default)]
    pub sort: Option<String>,
    /// `all` (default) or `visible`: the view's columns (or the default list columns).
    #[serde(default)]
    pub columns: Option<String>,
    /// CSV delimiter: `,` (default), `;`, `\t` or `|`.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// CSV: start with a byte order mark, so that Excel reads UTF-8.
    #[serde(default)]
    pub bom: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Queued => "queued",
            ExportStatus::Running => "running",
            ExportStatus::Done => "done",
            ExportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ExportStatus::Queued, ExportStatus::Running, ExportStatus::Done, ExportStatus::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub id: Uuid,
    pub created_by: Uuid,
    pub entity: String,
    pub format: ExportFormat,
    pub request: ExportRequest,
    pub status: ExportStatus,
    pub rows_done: i64,
    #[serde(skip)]
    pub file_id: Option<Uuid>,
    pub file_name: Option<String>,
    pub size: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A file kept in the database, in chunks.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredFile {
    pub id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: Option<String>,
    pub complete: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Chunk size of stored files.
pub const FILE_CHUNK: usize = 1 << 20;
