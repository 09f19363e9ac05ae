//! Clientele's delivery layer: the JSON API (with its OpenAPI document), the server-rendered
//! web UI, health and metrics endpoints. It talks to the services only — never to SQL.

pub mod api;
pub mod assets;
pub mod auth;
pub mod download;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod metrics;
pub mod middleware;
pub mod public;
pub mod state;
pub mod ui;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use state::{AppState, WebSettings};

/// Largest request body accepted (JSON and forms). Uploads get their own limit later.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole HTTP application.
pub fn app(state: AppState) -> anyhow::Result<Router> {
    let openapi = Arc::new(api::openapi_json()?);
    let api = api::mount(openapi)
        .layer(from_fn_with_state(state.clone(), middleware::idempotency))
        .layer(from_fn_with_state(state.clone(), middleware::api_auth));
    let ui = ui::routes().layer(from_fn_with_state(state.clone(), middleware::ui_auth));
    Ok(Router::new()
        .merge(api)
        .merge(ui)
        .merge(public::routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/static/{version}/{name}", get(assets::serve))
        .fallback(ui::not_found)
        .layer(from_fn_with_state(state.clone(), middleware::track))
        .layer(from_fn(middleware::security_headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state))
}

/// The process is up (no dependencies checked).
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.services().ready().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let users = state.services().count_users().await.map(|n| n as f64).unwrap_or(-1.0);
    let ready = if state.services().ready().await.is_ok() { 1.0 } else { 0.0 };
    let body = state.metrics().render(&[
        ("clientele_database_up", "1 when the database answers.", ready),
        ("clientele_users", "Number of user accounts.", users),
    ]);
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    r
}
