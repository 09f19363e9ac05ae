//! Records rendered as JSON by the database itself, for list pages that the API passes
//! through. Decoding some twenty columns per row and encoding the record again costs more
//! than everything else a list request does; SQLite's `json_object` and PostgreSQL's
//! `json_build_object` do it in one step inside the query.
//!
//! The text must be the JSON that serialising the typed record gives (the same keys, values
//! and formats, e.g. timestamps as `2026-01-02T03:04:05.123456Z`); the storage story compares
//! the two for every kind of value on both backends.

use crate::db::Backend;

/// How one column becomes a JSON value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    /// A UUID (BLOB on SQLite, `uuid` on PostgreSQL) → its hyphenated lower-case text.
    Uuid,
    /// Text, numbers: as they are.
    Plain,
    /// A JSON column (text on SQLite, `jsonb` on PostgreSQL) → embedded as JSON.
    Json,
    /// A UTC timestamp → RFC 3339 with `Z`, 0, 3 or 6 fractional digits as chrono writes it.
    Time,
}

/// `json_object('name', expr, ...)` for the columns of table alias `a`, as text.
pub(crate) fn object_sql(backend: Backend, cols: &[(&str, Col)]) -> String {
    let parts: Vec<String> =
        cols.iter().map(|(name, kind)| format!("'{name}', {}", value_sql(backend, name, *kind))).collect();
    match backend {
        Backend::Sqlite => format!("json_object({}) AS j", parts.join(", ")),
        Backend::Postgres => format!("json_build_object({})::text AS j", parts.join(", ")),
    }
}

fn value_sql(backend: Backend, name: &str, kind: Col) -> String {
    let c = format!("a.{name}");
    match (backend, kind) {
        (_, Col::Plain) | (Backend::Postgres, Col::Uuid | Col::Json) => c,
        (Backend::Sqlite, Col::Json) => format!("json({c})"),
        (Backend::Sqlite, Col::Uuid) => format!(
            "CASE WHEN {c} IS NULL THEN NULL ELSE lower(substr(hex({c}), 1, 8) || '-' || substr(hex({c}), 9, 4) || '-' || \
             substr(hex({c}), 13, 4) || '-' || substr(hex({c}), 17, 4) || '-' || substr(hex({c}), 21)) END"
        ),
        // SQLite keeps timestamps as the RFC 3339 text sqlx writes (chrono's own digits,
        // `+00:00`); only the zone is spelled differently in JSON.
        (Backend::Sqlite, Col::Time) => format!("replace({c}, '+00:00', 'Z')"),
        (Backend::Postgres, Col::Time) => {
            let us = format!("(extract(microseconds FROM {c})::bigint % 1000000)");
            format!(
                "CASE WHEN {c} IS NULL THEN NULL ELSE to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || \
                 CASE WHEN {us} = 0 THEN '' WHEN {us} % 1000 = 0 THEN '.' || lpad(({us} / 1000)::text, 3, '0') \
                 ELSE '.' || lpad({us}::text, 6, '0') END || 'Z' END"
            )
        }
    }
}

/// The keys of `Contact` in the order it serialises them (live records: no `deleted_at`
/// or `merged_into`, which are left out when empty).
pub(crate) const CONTACT: &[(&str, Col)] = &[
    ("id", Col::Uuid),
    ("version", Col::Plain),
    ("first_name", Col::Plain),
    ("last_name", Col::Plain),
    ("display_name", Col::Plain),
    ("title", Col::Plain),
    ("company_id", Col::Uuid),
    ("owner_id", Col::Uuid),
    ("source", Col::Plain),
    ("lifecycle", Col::Plain),
    ("phones", Col::Json),
    ("emails", Col::Json),
    ("address", Col::Json),
    ("important_dates", Col::Json),
    ("notes", Col::Plain),
    ("tags", Col::Json),
    ("custom_fields", Col::Json),
    ("last_contacted_at", Col::Time),
    ("created_at", Col::Time),
    ("updated_at", Col::Time),
];

/// The keys of `Company` in the order it serialises them (live records).
pub(crate) const COMPANY: &[(&str, Col)] = &[
    ("id", Col::Uuid),
    ("version", Col::Plain),
    ("name", Col::Plain),
    ("legal_name", Col::Plain),
    ("tax_number", Col::Plain),
    ("website", Col::Plain),
    ("industry", Col::Plain),
    ("owner_id", Col::Uuid),
    ("source", Col::Plain),
    ("lifecycle", Col::Plain),
    ("phones", Col::Json),
    ("emails", Col::Json),
    ("address", Col::Json),
    ("important_dates", Col::Json),
    ("notes", Col::Plain),
    ("tags", Col::Json),
    ("custom_fields", Col::Json),
    ("last_contacted_at", Col::Time),
    ("created_at", Col::Time),
    ("updated_at", Col::Time),
];
