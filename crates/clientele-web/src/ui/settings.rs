//! Settings pages: profile and password, users, teams, API tokens, audit log.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::domain::audit::{AuditEntry, AuditFilter};
use clientele_core::domain::auth::ApiToken;
use clientele_core::domain::page::PageRequest;
use clientele_core::domain::team::Team;
use clientele_core::domain::user::{LOCALES, Role, User};
use clientele_core::service::{CreateTeamRequest, CreateTokenRequest, CreateUserRequest, UpdateUserRequest};
use clientele_core::{Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::state::AppState;

/// Field errors of a form, looked up by field name in templates.
#[derive(Default)]
pub struct Errs(pub Vec<FieldError>);

impl Errs {
    pub fn get(&self, field: &str) -> Option<String> {
        let msgs: Vec<&str> = self.0.iter().filter(|e| e.field == field).map(|e| e.message.as_str()).collect();
        (!msgs.is_empty()).then(|| msgs.join("; "))
    }

    /// Errors that belong to no field shown on the form. A shown name ending in `.` or `[`
    /// covers every field it starts (`custom_fields.`, `prices[`).
    pub fn other(&self, shown: &[&str]) -> Vec<String> {
        let covers = |s: &&str, f: &str| {
            if s.ends_with('.') || s.ends_with('[') { f.starts_with(*s) } else { *s == f }
        };
        self.0
            .iter()
            .filter(|e| !shown.iter().any(|s| covers(s, &e.field)))
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }
}

/// Splits a service error into form errors (shown beside the fields, status 422/409) or a
/// full error response.
pub(super) fn form_errors(e: Error) -> Result<(StatusCode, Errs), Error> {
    match e {
        Error::Validation(v) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Errs(v))),
        Error::Conflict { message, field, .. } => {
            Ok((StatusCode::CONFLICT, Errs(vec![FieldError::new(field.unwrap_or_else(|| "form".into()), message)])))
        }
        Error::PreconditionFailed { .. } => Ok((
            StatusCode::PRECONDITION_FAILED,
            Errs(vec![FieldError::new("form", "someone else changed this record meanwhile; reload and try again")]),
        )),
        other => Err(other),
    }
}

/// How a page with two forms is being shown: its status and each form's errors.
struct FormState {
    status: StatusCode,
    errs: Errs,
    pw_errs: Errs,
}

impl FormState {
    fn ok() -> Self {
        Self { status: StatusCode::OK, errs: Errs::default(), pw_errs: Errs::default() }
    }

    fn main(status: StatusCode, errs: Errs) -> Self {
        Self { status, errs, pw_errs: Errs::default() }
    }

    fn password(status: StatusCode, pw_errs: Errs) -> Self {
        Self { status, errs: Errs::default(), pw_errs }
    }
}

fn fmt_time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "—".into())
}

// ---------- index ----------

#[derive(Template)]
#[template(path = "settings/index.html")]
struct IndexPage {
    c: Chrome,
}

pub async fn index(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/settings", "nav-settings").await;
    let shown = c.flash.is_some();
    render(StatusCode::OK, &IndexPage { c }, shown)
}

// ---------- profile & password ----------

#[derive(Template)]
#[template(path = "settings/profile.html")]
struct ProfilePage {
    c: Chrome,
    me: User,
    locales: Vec<(String, String, bool)>,
    errs: Errs,
    pw_errs: Errs,
}

impl ProfilePage {
    /// Every time zone name, for the picker.
    fn zones(&self) -> impl Iterator<Item = &'static str> {
        clientele_core::domain::zone::zone_names()
    }
}

fn locale_options(c: &Chrome, current: Option<&str>) -> Vec<(String, String, bool)> {
    let mut v = vec![("".to_owned(), c.t.get("profile-locale-auto"), current.is_none())];
    v.extend(LOCALES.iter().map(|l| ((*l).to_owned(), c.t.get(&format!("locale-{l}")), current == Some(*l))));
    v
}

async fn profile_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    form: FormState,
    me: Option<User>,
) -> Response {
    let FormState { status, errs, pw_errs } = form;
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-profile").await;
    let me = match me {
        Some(m) => m,
        None => match state.services().get_user(&user.actor, user.actor.user_id).await {
            Ok(m) => m,
            Err(e) => return error_page(state, headers, Some(user), e),
        },
    };
    let locales = locale_options(&c, me.locale.as_deref());
    let shown = c.flash.is_some();
    render(status, &ProfilePage { c, me, locales, errs, pw_errs }, shown)
}

pub async fn profile_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    profile_page(&state, &headers, &user, FormState::ok(), None).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    version: Option<i64>,
}

pub async fn profile_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Form(f): Form<ProfileForm>,
) -> Response {
    let req = UpdateUserRequest {
        name: Some(f.name.clone()),
        locale: Some(Some(f.locale.clone())),
        time_zone: Some(f.time_zone.clone()),
        ..Default::default()
    };
    match state.services().update_user(&user.actor, user.actor.user_id, req, f.version).await {
        Ok(_) => redirect_with_flash("/settings/profile", "profile-saved"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => {
                let mut me = match state.services().get_user(&user.actor, user.actor.user_id).await {
                    Ok(m) => m,
                    Err(e) => return error_page(&state, &headers, Some(&user), e),
                };
                me.name = f.name;
                me.time_zone = f.time_zone;
                profile_page(&state, &headers, &user, FormState::main(status, errs), Some(me)).await
            }
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn password_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Form(f): Form<PasswordForm>,
) -> Response {
    if f.new_password != f.confirm_password {
        let c = state.tr(state.i18n().negotiate(None, super::accept_language(&headers)));
        let errs = Errs(vec![FieldError::new("confirm_password", c.get("password-mismatch"))]);
        return profile_page(
            &state,
            &headers,
            &user,
            FormState::password(StatusCode::UNPROCESSABLE_ENTITY, errs),
            None,
        )
        .await;
    }
    match state
        .services()
        .change_password(&user.actor, &f.current_password, &f.new_password, user.session_token.as_deref())
        .await
    {
        Ok(()) => redirect_with_flash("/settings/profile", "password-changed"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => profile_page(&state, &headers, &user, FormState::password(status, errs), None).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

// ---------- users ----------

pub struct UserRow {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    pub team: String,
    pub active: bool,
    pub last_login: String,
}

#[derive(Template)]
#[template(path = "settings/users.html")]
struct UsersPage {
    c: Chrome,
    rows: Vec<UserRow>,
    q: String,
    next_cursor: Option<String>,
    teams: Vec<Team>,
    roles: Vec<(String, String)>,
    errs: Errs,
    form: NewUserForm,
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    q: Option<String>,
    cursor: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewUserForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub password: String,
}

fn role_options(c: &Chrome) -> Vec<(String, String)> {
    Role::ALL.iter().map(|r| (r.as_str().to_owned(), c.t.get(&format!("role-{}", r.as_str())))).collect()
}

async fn users_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    q: UsersQuery,
    status: StatusCode,
    errs: Errs,
    form: NewUserForm,
) -> Response {
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-users").await;
    let s = state.services();
    let page = match PageRequest::parse(Some(50), q.cursor.as_deref(), Some("name"), crate::api::USER_SORTS, "name") {
        Ok(p) => p,
        Err(e) => return error_page(state, headers, Some(user), Error::Validation(e)),
    };
    let (users, teams) = match (s.list_users(&user.actor, &page, q.q.as_deref()).await, s.list_teams(&user.actor).await)
    {
        (Ok(u), Ok(t)) => (u, t),
        (Err(e), _) | (_, Err(e)) => return error_page(state, headers, Some(user), e),
    };
    let rows = users
        .data
        .iter()
        .map(|u| UserRow {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            role: c.t.get(&format!("role-{}", u.role.as_str())),
            team: u.team_id.and_then(|t| teams.iter().find(|x| x.id == t)).map(|t| t.name.clone()).unwrap_or_default(),
            active: u.active,
            last_login: fmt_time(u.last_login_at),
        })
        .collect();
    let roles = role_options(&c);
    let shown = c.flash.is_some();
    let page =
        UsersPage { c, rows, q: q.q.unwrap_or_default(), next_cursor: users.next_cursor, teams, roles, errs, form };
    render(status, &page, shown)
}

pub async fn users_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Query(q): Query<UsersQuery>,
) -> Response {
    users_page(
        &state,
        &headers,
        &user,
        q,
        StatusCode::OK,
        Errs::default(),
        NewUserForm { role: "manager".into(), ..Default::default() },
    )
    .await
}

fn parse_opt_uuid(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s.trim()).ok()
}

pub async fn users_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Form(f): Form<NewUserForm>,
) -> Response {
    let req = CreateUserRequest {
        email: f.email.clone(),
        name: f.name.clone(),
        role: f.role.clone(),
        password: f.password.clone(),
        team_id: parse_opt_uuid(&f.team_id),
        locale: None,
        time_zone: None,
    };
    match state.services().create_user(&user.actor, req).await {
        Ok(_) => redirect_with_flash("/settings/users", "user-created"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => {
                let form = NewUserForm { password: String::new(), ..f };
                users_page(&state, &headers, &user, UsersQuery::default(), status, errs, form).await
            }
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

#[derive(Template)]
#[template(path = "settings/user_edit.html")]
struct UserEditPage {
    c: Chrome,
    team_sel: String,
    u: User,
    teams: Vec<Team>,
    roles: Vec<(String, String)>,
    errs: Errs,
    pw_errs: Errs,
}

async fn user_edit_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    id: Uuid,
    form: FormState,
    draft: Option<User>,
) -> Response {
    let FormState { status, errs, pw_errs } = form;
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-edit-user").await;
    let s = state.services();
    if let Err(e) = clientele_core::authz::check_area(
        &user.actor,
        clientele_core::authz::Area::ManageUsers,
        clientele_core::authz::Action::Update,
    ) {
        return error_page(state, headers, Some(user), e);
    }
    let u = match draft {
        Some(d) => d,
        None => match s.get_user(&user.actor, id).await {
            Ok(u) => u,
            Err(e) => return error_page(state, headers, Some(user), e),
        },
    };
    let teams = s.list_teams(&user.actor).await.unwrap_or_default();
    let roles = role_options(&c);
    let shown = c.flash.is_some();
    let team_sel = u.team_id.map(|t| t.to_string()).unwrap_or_default();
    render(status, &UserEditPage { c, team_sel, u, teams, roles, errs, pw_errs }, shown)
}

pub async fn user_edit_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    user_edit_page(&state, &headers, &user, id, FormState::ok(), None).await
}

#[derive(Deserialize)]
pub struct EditUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    active: Option<String>,
    version: Option<i64>,
}

pub async fn user_edit_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    Form(f): Form<EditUserForm>,
) -> Response {
    let req = UpdateUserRequest {
        name: Some(f.name.clone()),
        email: Some(f.email.clone()),
        role: Some(f.role.clone()),
        team_id: Some(parse_opt_uuid(&f.team_id)),
        active: Some(f.active.is_some()),
        ..Default::default()
    };
    match state.services().update_user(&user.actor, id, req, f.version).await {
        Ok(_) => redirect_with_flash("/settings/users", "user-saved"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => {
                let draft = state.services().get_user(&user.actor, id).await.ok().map(|mut u| {
                    u.name = f.name;
                    u.email = f.email;
                    u
                });
                user_edit_page(&state, &headers, &user, id, FormState::main(status, errs), draft).await
            }
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

#[derive(Deserialize)]
pub struct ResetPasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn user_password_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    Form(f): Form<ResetPasswordForm>,
) -> Response {
    match state.services().reset_password(&user.actor, id, &f.password).await {
        Ok(()) => redirect_with_flash(&format!("/settings/users/{id}"), "password-reset"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => {
                user_edit_page(&state, &headers, &user, id, FormState::password(status, errs), None).await
            }
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

// ---------- teams ----------

pub struct TeamRow {
    pub id: Uuid,
    pub name: String,
    pub parent: String,
    pub members: usize,
    pub version: i64,
}

#[derive(Template)]
#[template(path = "settings/teams.html")]
struct TeamsPage {
    c: Chrome,
    rows: Vec<TeamRow>,
    teams: Vec<Team>,
    errs: Errs,
    name: String,
}

async fn teams_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    status: StatusCode,
    errs: Errs,
    name: String,
) -> Response {
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-teams").await;
    let s = state.services();
    let teams = match s.list_teams(&user.actor).await {
        Ok(t) => t,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let all_users =
        PageRequest::parse(Some(500), None, Some("name"), crate::api::USER_SORTS, "name").map_err(Error::Validation);
    let users = match all_users {
        Ok(p) => s.list_users(&user.actor, &p, None).await.map(|p| p.data).unwrap_or_default(),
        Err(_) => vec![],
    };
    let rows = teams
        .iter()
        .map(|t| TeamRow {
            id: t.id,
            name: t.name.clone(),
            parent: t
                .parent_id
                .and_then(|p| teams.iter().find(|x| x.id == p))
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            members: users.iter().filter(|u| u.team_id == Some(t.id)).count(),
            version: t.version,
        })
        .collect();
    let shown = c.flash.is_some();
    render(status, &TeamsPage { c, rows, teams, errs, name }, shown)
}

pub async fn teams_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    teams_page(&state, &headers, &user, StatusCode::OK, Errs::default(), String::new()).await
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
}

pub async fn teams_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Form(f): Form<TeamForm>,
) -> Response {
    let req = CreateTeamRequest { name: f.name.clone(), parent_id: parse_opt_uuid(&f.parent_id) };
    match state.services().create_team(&user.actor, req).await {
        Ok(_) => redirect_with_flash("/settings/teams", "team-created"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => teams_page(&state, &headers, &user, status, errs, f.name).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

#[derive(Deserialize)]
pub struct VersionForm {
    version: Option<i64>,
}

pub async fn team_delete_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    Form(f): Form<VersionForm>,
) -> Response {
    match state.services().delete_team(&user.actor, id, f.version).await {
        Ok(()) => redirect_with_flash("/settings/teams", "team-deleted"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => teams_page(&state, &headers, &user, status, errs, String::new()).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

// ---------- API tokens ----------

pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "settings/tokens.html")]
struct TokensPage {
    c: Chrome,
    rows: Vec<TokenRow>,
    new_secret: Option<String>,
    errs: Errs,
    name: String,
}

async fn tokens_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    status: StatusCode,
    errs: Errs,
    name: String,
    new_secret: Option<String>,
) -> Response {
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-tokens").await;
    let tokens: Vec<ApiToken> = match state.services().list_tokens(&user.actor, false).await {
        Ok(t) => t,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let rows = tokens
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: fmt_time(Some(t.created_at)),
            last_used: fmt_time(t.last_used_at),
            expires: fmt_time(t.expires_at),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let shown = c.flash.is_some();
    render(status, &TokensPage { c, rows, new_secret, errs, name }, shown)
}

pub async fn tokens_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    tokens_page(&state, &headers, &user, StatusCode::OK, Errs::default(), String::new(), None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

pub async fn tokens_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Form(f): Form<TokenForm>,
) -> Response {
    let expires = f.expires_in_days.trim();
    let expires_in_days = if expires.is_empty() {
        None
    } else {
        match expires.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let errs = Errs(vec![FieldError::new("expires_in_days", "must be a whole number of days")]);
                return tokens_page(&state, &headers, &user, StatusCode::UNPROCESSABLE_ENTITY, errs, f.name, None)
                    .await;
            }
        }
    };
    match state.services().create_token(&user.actor, CreateTokenRequest { name: f.name.clone(), expires_in_days }).await
    {
        // The secret is shown on this response only: no redirect, and the page is not cached.
        Ok(created) => {
            tokens_page(
                &state,
                &headers,
                &user,
                StatusCode::CREATED,
                Errs::default(),
                String::new(),
                Some(created.secret),
            )
            .await
        }
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => tokens_page(&state, &headers, &user, status, errs, f.name, None).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

pub async fn token_revoke_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().revoke_token(&user.actor, id).await {
        Ok(_) => redirect_with_flash("/settings/tokens", "token-revoked"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------- audit ----------

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "settings/audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<AuditRow>,
    entity_type: String,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    entity_type: Option<String>,
    entity_id: Option<Uuid>,
    cursor: Option<String>,
}

fn short(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

pub(super) fn audit_row(e: AuditEntry) -> AuditRow {
    let changes = e
        .changes
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        short(v.get("old").unwrap_or(&serde_json::Value::Null)),
                        short(v.get("new").unwrap_or(&serde_json::Value::Null)),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    AuditRow {
        at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        actor: e.actor_name,
        action: e.action,
        entity_type: e.entity_type,
        entity_id: e.entity_id.to_string(),
        changes,
    }
}

pub async fn audit_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Query(q): Query<AuditQuery>,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/settings", "settings-audit").await;
    let page = match PageRequest::parse(Some(50), q.cursor.as_deref(), Some("-at"), &["at"], "-at") {
        Ok(p) => p,
        Err(e) => return error_page(&state, &headers, Some(&user), Error::Validation(e)),
    };
    let entity_type = q.entity_type.filter(|s| !s.trim().is_empty());
    let filter = AuditFilter { entity_type: entity_type.clone(), entity_id: q.entity_id, ..Default::default() };
    match state.services().list_audit(&user.actor, &filter, &page).await {
        Ok(p) => {
            let shown = c.flash.is_some();
            let page = AuditPage {
                c,
                rows: p.data.into_iter().map(audit_row).collect(),
                entity_type: entity_type.unwrap_or_default(),
                next_cursor: p.next_cursor,
            };
            render(StatusCode::OK, &page, shown)
        }
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
