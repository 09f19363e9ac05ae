use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::{Chrome, render};
use crate::auth::WebUser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    team_name: Option<String>,
    users: i64,
    backend: &'static str,
    version: &'static str,
    tokens: usize,
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/", "nav-home").await;
    let s = state.services();
    let me = s.get_user(&user.actor, user.actor.user_id).await.ok();
    let teams = s.list_teams(&user.actor).await.unwrap_or_default();
    let team_name = me.and_then(|m| m.team_id).and_then(|t| teams.into_iter().find(|x| x.id == t)).map(|t| t.name);
    let tokens = s
        .list_tokens(&user.actor, false)
        .await
        .map(|t| t.iter().filter(|x| x.revoked_at.is_none()).count())
        .unwrap_or(0);
    let shown = c.flash.is_some();
    let page = HomePage {
        c,
        team_name,
        users: s.count_users().await.unwrap_or(0),
        backend: s.backend(),
        version: env!("CARGO_PKG_VERSION"),
        tokens,
    };
    render(StatusCode::OK, &page, shown)
}

#[derive(Template)]
#[template(path = "section.html")]
struct SectionPage {
    c: Chrome,
    heading: String,
    text: String,
    icon: String,
}

/// Sections whose lists arrive with later capabilities show an honest empty state.
pub async fn section(State(state): State<AppState>, headers: HeaderMap, uri: Uri, WebUser(user): WebUser) -> Response {
    let path = uri.path().to_owned();
    let entry = super::NAV.iter().find(|(p, _, _)| *p == path).copied().unwrap_or(("/", "nav-home", "home"));
    let c = Chrome::for_user(&state, &headers, &user, &path, entry.1).await;
    let name = path.trim_start_matches('/');
    let heading = c.t.get(entry.1);
    let text = c.t.get(&format!("section-{name}-empty"));
    let shown = c.flash.is_some();
    render(StatusCode::OK, &SectionPage { c, heading, text, icon: entry.2.to_owned() }, shown)
}
