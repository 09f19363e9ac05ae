//! Errors at the HTTP edge. The API answers RFC 9457 problem+json; the UI answers an error
//! page, or a toast for htmx requests. One table maps core errors to statuses.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clientele_core::{Error, FieldError};
use serde::Serialize;
use uuid::Uuid;

/// The problem document of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every bad field with the reason (validation errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On a duplicate: the record that already exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<Uuid>,
    /// On a version mismatch (412): the record's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

#[derive(Debug)]
pub enum ApiError {
    Core(Error),
    /// The body is not valid JSON (400).
    Malformed(String),
    /// The body is larger than allowed (413).
    TooLarge(usize),
    /// The body is not JSON at all (415).
    UnsupportedMediaType(String),
    /// A malformed header or query parameter (400).
    BadRequest(String),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Core(e)
    }
}

/// Status, short name (for `type`) and title of each kind of core error. One line per kind.
pub fn classify(e: &Error) -> (StatusCode, &'static str, &'static str) {
    match e {
        Error::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid input"),
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
        Error::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict"),
        Error::PreconditionFailed { .. } => {
            (StatusCode::PRECONDITION_FAILED, "version-mismatch", "Changed by someone else")
        }
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
        Error::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication required"),
        Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests"),
        Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
    }
}

pub fn problem_type(name: &str) -> String {
    format!("urn:clientele:problem:{name}")
}

/// Logs an internal error with its whole cause chain; returns the text safe to show.
pub fn log_internal(e: &anyhow::Error) -> String {
    tracing::error!(error = %format!("{e:#}"), "internal error");
    "Something went wrong on the server. It has been logged.".to_owned()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let (status, problem) = match self {
            ApiError::Core(e) => {
                let (status, name, title) = classify(&e);
                let mut p = Problem {
                    type_: problem_type(name),
                    title: title.into(),
                    status: status.as_u16(),
                    detail: String::new(),
                    errors: vec![],
                    existing_id: None,
                    current_version: None,
                };
                match e {
                    Error::Validation(errors) => {
                        p.detail = if errors.len() == 1 {
                            format!("{} {}", errors[0].field, errors[0].message)
                        } else {
                            format!("{} fields are invalid", errors.len())
                        };
                        p.errors = errors;
                    }
                    Error::NotFound(what) => p.detail = format!("No such {what}, or it is not visible to you."),
                    Error::Conflict { message, field, existing_id } => {
                        if let Some(f) = field {
                            p.errors = vec![FieldError::new(f, message.clone())];
                        }
                        p.detail = message;
                        p.existing_id = existing_id;
                    }
                    Error::PreconditionFailed { current } => {
                        p.detail = format!(
                            "The record was changed by someone else and is now at version {current}; reload it and apply your change again."
                        );
                        p.current_version = Some(current);
                    }
                    Error::Forbidden(m) => p.detail = m,
                    Error::Unauthenticated(m) => p.detail = m,
                    Error::RateLimited { retry_after_secs } => {
                        p.detail = format!("Too many attempts. Try again in {retry_after_secs} seconds.");
                        retry_after = Some(retry_after_secs);
                    }
                    Error::Internal(e) => p.detail = log_internal(&e),
                }
                (status, p)
            }
            ApiError::Malformed(m) => simple(StatusCode::BAD_REQUEST, "malformed", "Malformed request body", m),
            ApiError::BadRequest(m) => simple(StatusCode::BAD_REQUEST, "bad-request", "Bad request", m),
            ApiError::TooLarge(limit) => simple(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
                format!("The request body is larger than the limit of {limit} bytes."),
            ),
            ApiError::UnsupportedMediaType(m) => {
                simple(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type", m)
            }
        };
        let mut resp = (status, Json(problem)).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"clientele\""));
        }
        resp
    }
}

fn simple(status: StatusCode, name: &str, title: &str, detail: String) -> (StatusCode, Problem) {
    (
        status,
        Problem {
            type_: problem_type(name),
            title: title.into(),
            status: status.as_u16(),
            detail,
            errors: vec![],
            existing_id: None,
            current_version: None,
        },
    )
}

pub type ApiResult<T> = Result<T, ApiError>;
