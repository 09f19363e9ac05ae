//! Cursor (keyset) pagination. A cursor names the last row of a page by its sort key and
//! id, so the next page starts right after it whatever was inserted in between.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass back as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { data: self.data.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// A page whose records are JSON text already, for the API to send without building typed
/// records first. Each element of `data` is one
/// record's JSON object, equal (as JSON) to what serialising the typed record gives; the
/// store's tests hold both paths to that.
#[derive(Debug, Clone, Default)]
pub struct RawPage {
    pub data: Vec<String>,
    pub next_cursor: Option<String>,
}

impl RawPage {
    /// The `{"data": [...], "next_cursor": ...}` body, the same shape as [`Page`].
    pub fn into_body(self) -> String {
        let len: usize = self.data.iter().map(|r| r.len() + 1).sum();
        let mut body = String::with_capacity(len + 64);
        body.push_str("{\"data\":[");
        for (i, record) in self.data.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(record);
        }
        body.push_str("],\"next_cursor\":");
        match &self.next_cursor {
            // Cursors are URL-safe base64: nothing in them needs escaping.
            Some(c) => {
                body.push('"');
                body.push_str(c);
                body.push('"');
            }
            None => body.push_str("null"),
        }
        body.push('}');
        body
    }
}

/// Position after the last row seen: its sort value (as JSON) and its id as a tie-breaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort field this cursor was made for; a cursor is refused for another sort.
    pub s: String,
    /// The sort value of the last row.
    pub v: serde_json::Value,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(field: &str, s: &str, sort: &str) -> Result<Self, FieldError> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| FieldError::new(field, "is not a valid cursor"))?;
        let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| FieldError::new(field, "is not a valid cursor"))?;
        if c.s != sort {
            return Err(FieldError::new(field, "was made for another sort order; start again without a cursor"));
        }
        Ok(c)
    }
}

/// A validated list request: how many, from where, in which order.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<Cursor>,
    pub sort: Sort,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub field: String,
    pub descending: bool,
}

impl Sort {
    /// `-updated_at` → descending by updated_at. `allowed` lists the sortable fields.
    pub fn parse(field: &str, input: Option<&str>, allowed: &[&str], default: &str) -> Result<Self, FieldError> {
        let raw = input.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default);
        let (descending, name) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw.strip_prefix('+').unwrap_or(raw)),
        };
        if !allowed.contains(&name) {
            return Err(FieldError::new(field, format!("cannot sort by `{name}`; use one of {}", allowed.join(", "))));
        }
        Ok(Self { field: name.to_owned(), descending })
    }

    pub fn key(&self) -> String {
        if self.descending { format!("-{}", self.field) } else { self.field.clone() }
    }
}

impl PageRequest {
    pub fn parse(
        limit: Option<u32>,
        cursor: Option<&str>,
        sort: Option<&str>,
        allowed: &[&str],
        default_sort: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(0) => {
                errors.push(FieldError::new("limit", "must be at least 1"));
                DEFAULT_LIMIT
            }
            Some(n) if n > MAX_LIMIT => {
                errors.push(FieldError::new("limit", format!("must be at most {MAX_LIMIT}")));
                DEFAULT_LIMIT
            }
            Some(n) => n,
        };
        let sort = match Sort::parse("sort", sort, allowed, default_sort) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let cursor = match (cursor.filter(|c| !c.trim().is_empty()), &sort) {
            (Some(c), Some(s)) => match Cursor::decode("cursor", c, &s.key()) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            _ => None,
        };
        match sort {
            Some(sort) if errors.is_empty() => Ok(Self { limit, cursor, sort }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_page_body_is_the_page_shape() {
        let typed = Page {
            data: vec![serde_json::json!({"a": 1}), serde_json::json!({"b": "x\"y"})],
            next_cursor: Some("abc_-".into()),
        };
        let raw = RawPage {
            data: typed.data.iter().map(|v| v.to_string()).collect(),
            next_cursor: typed.next_cursor.clone(),
        };
        let body: serde_json::Value = serde_json::from_str(&raw.into_body()).unwrap();
        assert_eq!(body, serde_json::to_value(&typed).unwrap());
        let empty: serde_json::Value = serde_json::from_str(&RawPage::default().into_body()).unwrap();
        assert_eq!(empty, serde_json::json!({"data": [], "next_cursor": null}));
    }

    #[test]
    fn cursor_round_trip_and_sort_binding() {
        let c = Cursor { s: "-updated_at".into(), v: serde_json::json!("2026-01-01T00:00:00Z"), id: Uuid::nil() };
        let enc = c.encode();
        assert_eq!(Cursor::decode("cursor", &enc, "-updated_at").unwrap(), c);
        assert!(Cursor::decode("cursor", &enc, "name").is_err());
        assert!(Cursor::decode("cursor", "!!garbage", "name").is_err());
    }

    #[test]
    fn page_request_validates_everything_at_once() {
        let errs = PageRequest::parse(Some(0), None, Some("password"), &["name"], "name").unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["limit", "sort"]);
        let ok = PageRequest::parse(None, None, Some("-name"), &["name"], "name").unwrap();
        assert_eq!(ok.limit, DEFAULT_LIMIT);
        assert!(ok.sort.descending);
    }
}
