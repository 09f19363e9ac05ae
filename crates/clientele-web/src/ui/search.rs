//! The top bar's global search (a dropdown while typing, a results page on Enter) and the
//! notifications page.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cards::Hit;
use super::clients_common::{Pairs, fmt_time};
use super::{Chrome, error_page, is_htmx, redirect_with_flash, render};
use crate::auth::WebUser;
use crate::state::AppState;

pub struct Results {
    pub q: String,
    pub contacts: Vec<Hit>,
    pub companies: Vec<Hit>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    r: Results,
}

#[derive(Template)]
#[template(path = "_search_dropdown.html")]
struct SearchDropdown {
    c: Chrome,
    r: Results,
}

fn hits(list: Vec<clientele_core::store::SearchHit>) -> Vec<Hit> {
    list.into_iter()
        .map(|h| Hit { id: h.id.to_string(), title: h.title, subtitle: h.subtitle.unwrap_or_default() })
        .collect()
}

pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let p = Pairs::from_query(q.as_deref());
    let q = p.get("q").unwrap_or_default().to_owned();
    let dropdown = is_htmx(&headers);
    let limit = if dropdown { 5 } else { 50 };
    let found = match state.services().search(&user.actor, &q, Some(limit)).await {
        Ok(f) => f,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let r = Results { q, contacts: hits(found.contacts), companies: hits(found.companies) };
    let c = Chrome::for_user(&state, &headers, &user, "/search", "search-title").await;
    if dropdown {
        return render(StatusCode::OK, &SearchDropdown { c, r }, false);
    }
    let shown = c.flash.is_some();
    render(StatusCode::OK, &SearchPage { c, r }, shown)
}

pub struct NoteView {
    pub title: String,
    pub body: String,
    pub link: String,
    pub at: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    c: Chrome,
    notes: Vec<NoteView>,
}

/// Lists the latest notifications; those shown unread are marked read.
pub async fn notifications(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let s = state.services();
    let list = match s.notifications(&user.actor, false, 100).await {
        Ok(l) => l,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let unread: Vec<uuid::Uuid> = list.iter().filter(|n| n.read_at.is_none()).map(|n| n.id).collect();
    if !unread.is_empty() {
        let _ = s.mark_read(&user.actor, &unread).await;
    }
    let mut c = Chrome::for_user(&state, &headers, &user, "/notifications", "notifications-title").await;
    c.unread = 0;
    let notes = list
        .into_iter()
        .map(|n| NoteView {
            title: n.title,
            body: n.body.unwrap_or_default(),
            link: n.link.filter(|l| l.starts_with('/') && !l.starts_with("//")).unwrap_or_default(),
            at: fmt_time(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &NotificationsPage { c, notes }, shown)
}

pub async fn notifications_read(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    match state.services().mark_read(&user.actor, &[]).await {
        Ok(_) => redirect_with_flash("/notifications", "notifications-read"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
