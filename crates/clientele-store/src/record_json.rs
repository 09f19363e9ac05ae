//! List rows for the JSON API: read from the same columns as the typed records, but with the
//! JSON columns (phones, e-mails, address, dates, tags, custom fields) kept as the JSON text
//! the database holds, written out as they are. Building the typed record and encoding it
//! again (a `Vec<Phone>`, a map of custom fields... per row) is most of what a list page of
//! 50 costs in Rust.
//!
//! Each struct serialises exactly like its typed record (same keys in the same order, same
//! formats); the storage story compares the two on both backends.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

/// `Contact` with its JSON columns as text.
#[derive(sqlx::FromRow, Serialize)]
pub(crate) struct ContactWire {
    pub id: Uuid,
    pub version: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: String,
    pub title: Option<String>,
    pub company_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub lifecycle: String,
    pub phones: Box<RawValue>,
    pub emails: Box<RawValue>,
    pub address: Option<Box<RawValue>>,
    pub important_dates: Box<RawValue>,
    pub notes: Option<String>,
    pub tags: Box<RawValue>,
    pub custom_fields: Box<RawValue>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
}

/// `Company` with its JSON columns as text.
#[derive(sqlx::FromRow, Serialize)]
pub(crate) struct CompanyWire {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub legal_name: Option<String>,
    pub tax_number: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub lifecycle: String,
    pub phones: Box<RawValue>,
    pub emails: Box<RawValue>,
    pub address: Option<Box<RawValue>>,
    pub important_dates: Box<RawValue>,
    pub notes: Option<String>,
    pub tags: Box<RawValue>,
    pub custom_fields: Box<RawValue>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
}

/// The custom fields of a listed row, decoded only for the row a cursor is made from.
pub(crate) fn custom_fields_of(raw: &RawValue) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(raw.get()).unwrap_or_default()
}
