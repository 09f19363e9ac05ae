//! The one error type of the domain and service layers. Delivery maps it to HTTP
//! (problem+json) or HTML; the store maps database failures into it.

use serde::Serialize;
use uuid::Uuid;

/// A problem with one input field: which one and why, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input failed validation; every bad field is listed.
    #[error("validation failed: {}", summarize(.0))]
    Validation(Vec<FieldError>),
    /// No such record, or it is outside the caller's scope (never tell which).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change clashes with existing data (a unique value, a replayed key in use, ...).
    #[error("conflict: {message}")]
    Conflict { message: String, field: Option<String>, existing_id: Option<Uuid> },
    /// `If-Match` named a version that is no longer current.
    #[error("version mismatch: the record is at version {current}")]
    PreconditionFailed { current: i64 },
    /// Signed in, but the role does not allow this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Not signed in, or the credentials are wrong.
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts, retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Anything else: a bug or an infrastructure failure. Logged with its cause chain.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn summarize(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Error::Conflict { message: message.into(), field: Some(field.to_owned()), existing_id: None }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects field errors while a request is validated, so that every bad field is
/// reported at once rather than the first one only.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value of a successful parse; records the field error of a failed one.
    pub fn check<T>(&mut self, result: std::result::Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }

    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self.0)) }
    }
}
