//! Keyset pagination clauses shared by every list query.

use chrono::{DateTime, Utc};
use clientele_core::domain::page::{Cursor, Page, Sort};
use clientele_core::{Error, FieldError};
use uuid::Uuid;

use crate::db::Params;

/// How a sort column's cursor value is typed when bound.
#[derive(Debug, Clone, Copy)]
pub enum SortKind {
    Text,
    Time,
    Number,
    /// Whole numbers (money in minor units).
    Int,
}

/// `AND ((col > $v) OR (col = $v AND id > $id))` (or `<` for descending), or "" without a
/// cursor. `col` and `id_col` come from code, never from input.
pub fn after_cursor(
    p: &mut Params,
    col: &str,
    id_col: &str,
    sort: &Sort,
    kind: SortKind,
    cursor: Option<&Cursor>,
) -> Result<String, Error> {
    let Some(c) = cursor else {
        return Ok(String::new());
    };
    let op = if sort.descending { "<" } else { ">" };
    let bad = || Error::Validation(vec![FieldError::new("cursor", "is not a valid cursor")]);
    let v = match kind {
        SortKind::Text => p.push(c.v.as_str().ok_or_else(bad)?.to_owned()),
        SortKind::Number => p.push(c.v.as_f64().ok_or_else(bad)?),
        SortKind::Int => p.push(c.v.as_i64().ok_or_else(bad)?),
        SortKind::Time => {
            let t: DateTime<Utc> = c.v.as_str().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
            p.push(t)
        }
    };
    let id = p.push(c.id);
    Ok(format!(" AND (({col} {op} {v}) OR ({col} = {v} AND {id_col} {op} {id}))"))
}

pub fn order_by(col: &str, id_col: &str, sort: &Sort) -> String {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    format!(" ORDER BY {col} {dir}, {id_col} {dir}")
}

/// Cuts the extra row fetched to know whether there is a next page, and makes its cursor.
pub fn finish<T>(mut rows: Vec<T>, limit: u32, sort: &Sort, key: impl Fn(&T) -> (serde_json::Value, Uuid)) -> Page<T> {
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last().map(|r| {
            let (v, id) = key(r);
            Cursor { s: sort.key(), v, id }.encode()
        })
    } else {
        None
    };
    Page { data: rows, next_cursor }
}
