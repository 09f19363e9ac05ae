//! The interactive API reference, served from the binary (Swagger UI from a pinned
//! package, no CDN).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::assets::{VENDOR_COMPLETE, url};
use crate::middleware::DOCS_CSP;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/docs", get(page))
}

async fn page() -> Response {
    let body = if VENDOR_COMPLETE {
        format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clientele API</title><link rel="icon" href="{fav}"><link rel="stylesheet" href="{css}"></head>
<body><div id="swagger-ui" data-spec="/api/v1/openapi.json"></div>
<script src="{bundle}"></script><script src="{init}"></script></body></html>"#,
            fav = url("favicon.svg"),
            css = url("swagger-ui.css"),
            bundle = url("swagger-ui-bundle.js"),
            init = url("api-docs.js"),
        )
    } else {
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clientele API</title></head>
<body><h1>Clientele API</h1><p>This build has no interactive reference (it was built without npm).
The OpenAPI document is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></body></html>"#
            .to_owned()
    };
    let mut r = Html(body).into_response();
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
    r
}
