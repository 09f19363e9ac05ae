//! The top bar's global search (a dropdown while typing, a results page on Enter) and the
//! notifications page.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cards::Hit;
use super::clients_common::Pairs;
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

pub async fn notifications_read(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    match state.services().mark_read(&user.actor, &[]).await {
        Ok(_) => redirect_with_flash("/notifications", "notifications-read"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
