use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::{AuditEntry, AuditFilter};
use clientele_core::domain::page::{Page, PageRequest};
use clientele_core::{Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

use super::page_error;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Record type, e.g. `user`, `team`, `api_token`, `contact`.
    pub entity_type: Option<String>,
    /// One record.
    pub entity_id: Option<Uuid>,
    /// Changes made by this user.
    pub actor_id: Option<Uuid>,
    /// From this instant (inclusive), RFC 3339.
    pub from: Option<String>,
    /// Until this instant (exclusive), RFC 3339.
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `-at` (newest first, default) or `at`.
    pub sort: Option<String>,
}

fn parse_time(field: &str, v: Option<&str>, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let v = v?.trim();
    match DateTime::parse_from_rfc3339(v) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(field, "must be an RFC 3339 time such as 2026-01-31T00:00:00Z"));
            None
        }
    }
}

/// The audit log: every create, update and delete with its field-level changes (administrators
/// and heads of sales).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_audit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let mut errors = vec![];
    let from = parse_time("from", q.from.as_deref(), &mut errors);
    let to = parse_time("to", q.to.as_deref(), &mut errors);
    let page = match PageRequest::parse(q.limit, q.cursor.as_deref(), q.sort.as_deref(), &["at"], "-at") {
        Ok(p) => Some(p),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let Some(page) = page.filter(|_| errors.is_empty()) else {
        return Err(page_error(errors));
    };
    let filter = AuditFilter { entity_type: q.entity_type, entity_id: q.entity_id, actor_id: q.actor_id, from, to };
    state.services().list_audit(&user.actor, &filter, &page).await.map(Json).map_err(|e: Error| ApiError::Core(e))
}
