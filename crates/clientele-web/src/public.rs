//! Public pages and files outside any session: the tracking pixel and redirect links of sent
//! e-mails, the unsubscribe page (with RFC 8058 one-click POST), and the embeddable scripts
//! of the website chat widget and lead forms.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::state::AppState;
use crate::ui::{Chrome, error_page, render};

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

const CHAT_WIDGET: &str = include_str!("../static/chat-widget.js");
const FORM_EMBED: &str = include_str!("../static/form-embed.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/o/{file}", get(open_pixel))
        .route("/t/c/{token}/{n}", get(click))
        .route("/u/{token}", get(unsubscribe_get).post(unsubscribe_post))
        .route("/chat/widget.js", get(|| async { script(CHAT_WIDGET) }))
        .route("/f/{file}", get(|| async { script(FORM_EMBED) }))
}

fn script(body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    // Other sites load these scripts.
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    r
}

async fn open_pixel(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let token = file.trim_end_matches(".gif");
    if let Err(e) = state.services().track_open(token).await {
        tracing::warn!(error = %e, "recording an open failed");
    }
    let mut r = PIXEL.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    r
}

async fn click(State(state): State<AppState>, Path((token, n)): Path<(String, usize)>) -> Response {
    match state.services().track_click(&token, n).await {
        // Only a link stored with the message is followed: no open redirect.
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "recording a click failed");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "inbox/unsubscribe.html")]
struct UnsubscribePage {
    c: Chrome,
    token: String,
    address: String,
    done: bool,
}

async fn unsubscribe_get(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    match state.services().unsubscribe_address(&token).await {
        Ok(address) => {
            let c = Chrome::anonymous(&state, &headers, "unsubscribe-title");
            render(StatusCode::OK, &UnsubscribePage { c, token, address, done: false }, false)
        }
        Err(e) => error_page(&state, &headers, None, e),
    }
}

/// The confirmation, and the one-click POST that mail clients send (RFC 8058).
async fn unsubscribe_post(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    match state.services().unsubscribe(&token).await {
        Ok(address) => {
            let c = Chrome::anonymous(&state, &headers, "unsubscribe-done-title");
            render(StatusCode::OK, &UnsubscribePage { c, token, address, done: true }, false)
        }
        Err(e) => error_page(&state, &headers, None, e),
    }
}
