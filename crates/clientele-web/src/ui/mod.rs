//! The server-rendered web UI. Every page works as plain HTML forms and links; htmx (boosted
//! navigation, partial swaps, toasts) makes it smoother where it is loaded.

mod activity;
mod cards;
mod clients_common;
mod dashboards;
mod deals;
mod documents;
mod fields;
mod forms;
mod home;
mod imports;
mod inbox;
mod leads;
mod list_kinds;
mod list_rows;
mod lists;
mod login;
mod pipelines;
mod products;
mod report_builder;
mod report_builder_chart;
mod search;
mod settings;
mod tasks;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use clientele_core::Error;
use clientele_core::domain::user::Role;

use crate::assets;
use crate::auth::{Authenticated, FLASH_COOKIE, cookie, urlencode};
use crate::error::{classify, log_internal};
use crate::i18n::Tr;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::login_get).post(login::login_post))
        .route("/logout", post(login::logout_post))
        .route("/contacts", get(lists::index::<{ lists::CONTACTS }>).post(forms::contact_create))
        .route("/contacts/new", get(forms::contact_new))
        .route("/contacts/bulk", post(lists::bulk::<{ lists::CONTACTS }>))
        .route("/contacts/views", post(lists::view_create::<{ lists::CONTACTS }>))
        .route("/contacts/duplicates", get(lists::contact_duplicates))
        .route("/contacts/merge", get(lists::contact_merge_get).post(lists::contact_merge_post))
        .route("/contacts/{id}", get(cards::contact_card))
        .route("/contacts/{id}/edit", get(forms::contact_edit).post(forms::contact_update))
        .route("/contacts/{id}/delete", post(cards::contact_delete))
        .route("/contacts/{id}/restore", post(lists::restore::<{ lists::CONTACTS }>))
        .route("/contacts/{id}/erase", post(cards::contact_erase))
        .route("/contacts/{id}/inline/{field}", get(cards::contact_inline_get).post(cards::contact_inline_post))
        .route("/companies", get(lists::index::<{ lists::COMPANIES }>).post(forms::company_create))
        .route("/companies/new", get(forms::company_new))
        .route("/companies/bulk", post(lists::bulk::<{ lists::COMPANIES }>))
        .route("/companies/views", post(lists::view_create::<{ lists::COMPANIES }>))
        .route("/companies/duplicates", get(lists::company_duplicates))
        .route("/companies/merge", get(lists::company_merge_get).post(lists::company_merge_post))
        .route("/companies/{id}", get(cards::company_card))
        .route("/companies/{id}/edit", get(forms::company_edit).post(forms::company_update))
        .route("/companies/{id}/delete", post(cards::company_delete))
        .route("/companies/{id}/restore", post(lists::restore::<{ lists::COMPANIES }>))
        .route("/companies/{id}/inline/{field}", get(cards::company_inline_get).post(cards::company_inline_post))
        .route("/companies/{id}/people", post(cards::person_add))
        .route("/companies/{id}/people/search", get(cards::person_search))
        .route("/companies/{id}/people/{contact_id}/remove", post(cards::person_remove))
        .route("/views/{id}/delete", post(lists::view_delete))
        .route(
            "/imports",
            get(imports::index).post(imports::upload).layer(DefaultBodyLimit::max(imports::UPLOAD_LIMIT + 64 * 1024)),
        )
        .route("/imports/{id}", get(imports::show_import).post(imports::configure))
        .route("/imports/{id}/progress", get(imports::progress))
        .route("/imports/{id}/cancel", post(imports::cancel))
        .route("/imports/{id}/undo", post(imports::undo))
        .route("/imports/{id}/report.csv", get(imports::report_csv))
        .route("/imports/{id}/report.xlsx", get(imports::report_xlsx))
        .route("/exports", post(imports::export_create))
        .route("/exports/new", get(imports::export_new_get).post(imports::export_new_post))
        .route("/exports/{id}", get(imports::export_show))
        .route("/exports/{id}/status", get(imports::export_status))
        .route("/exports/{id}/download", get(imports::export_download))
        .route("/search", get(search::search))
        .route("/notifications", get(activity::notifications))
        .route("/notifications/bell", get(activity::bell))
        .route("/notifications/preferences", post(activity::preferences_post))
        .route("/notifications/{id}/open", get(activity::notification_open))
        .route("/notifications/read", post(search::notifications_read))
        .route("/settings/fields", get(fields::fields_get).post(fields::fields_post))
        .route("/settings/fields/{id}", get(fields::field_edit_get).post(fields::field_edit_post))
        .route("/settings/fields/{id}/delete", post(fields::field_delete))
        .route("/leads", get(lists::index::<{ lists::LEADS }>).post(leads::create))
        .route("/leads/views", post(lists::view_create::<{ lists::LEADS }>))
        .route("/leads/{id}", get(leads::card))
        .route("/leads/{id}/status", post(leads::status_post))
        .route("/leads/{id}/convert", get(leads::convert_get).post(leads::convert_post))
        .route("/products", get(products::list).post(products::create))
        .route("/products/categories", get(products::categories).post(products::category_create))
        .route("/products/price-lists", get(products::price_lists).post(products::price_list_save))
        .route("/products/price-lists/{id}", post(products::price_list_save))
        .route("/products/price-lists/{id}/delete", post(products::price_list_delete))
        .route("/products/{id}", get(products::card))
        .route("/products/{id}/edit", get(products::edit_get).post(products::edit_post))
        .route("/products/{id}/stock", post(products::stock_post))
        .route("/deals", get(deals::board))
        .route("/deals/list", get(lists::index::<{ lists::DEALS }>))
        .route("/deals/bulk", post(lists::bulk::<{ lists::DEALS }>))
        .route("/deals/views", post(lists::view_create::<{ lists::DEALS }>))
        .route("/deals/pick/{what}", get(deals::picker_options))
        .route("/deals/new", get(deals::deal_new).post(deals::deal_create))
        .route("/deals/quick", post(deals::quick_add))
        .route("/deals/board/{pipeline_id}/{stage_id}", get(deals::board_more))
        .route("/deals/{id}", get(deals::deal_card))
        .route("/deals/{id}/edit", get(deals::deal_edit).post(deals::deal_update))
        .route("/deals/{id}/move", get(deals::to_card).post(deals::move_post))
        .route("/deals/{id}/items", post(deals::items_post))
        .route("/deals/{id}/payments", post(deals::payment_add))
        .route("/deals/{id}/payments/{payment_id}/remove", post(deals::payment_remove))
        .route("/deals/{id}/delete", post(deals::deal_delete))
        .route("/deals/{id}/documents", post(documents::create_post))
        .route("/documents/{id}", get(documents::page).post(documents::edit_post))
        .route("/documents/{id}/pdf", get(documents::pdf_get))
        .route("/documents/{id}/{op}", post(documents::op_post))
        .route("/settings/documents", get(documents::settings_get).post(documents::settings_post))
        .route(
            "/settings/documents/logo",
            get(documents::logo_get)
                .post(documents::logo_post)
                .layer(DefaultBodyLimit::max(clientele_core::service::LOGO_MAX_BYTES + 64 * 1024)),
        )
        .route("/settings/documents/logo/remove", post(documents::logo_remove))
        .route("/deals/{id}/restore", post(lists::restore::<{ lists::DEALS }>))
        .route("/tasks", get(tasks::list).post(tasks::create))
        .route("/tasks/groups", post(tasks::group_create))
        .route("/tasks/groups/new", get(tasks::group_new))
        .route("/tasks/groups/{id}", get(tasks::group_show))
        .route("/tasks/{id}", get(tasks::card).post(tasks::update))
        .route("/tasks/{id}/{action}", post(tasks::status_post))
        .route("/tasks/{id}/contacts/{contact_id}", post(tasks::contact_post))
        .route("/calendar", get(tasks::calendar))
        .route("/calendar/move", post(tasks::calendar_move))
        .route("/timeline/{kind}/{id}", get(activity::timeline_get))
        .route("/timeline/{kind}/{id}/{what}", post(activity::timeline_post))
        .route("/feed", get(activity::feed))
        .route("/inbox", get(inbox::index))
        .route("/inbox/list", get(inbox::list))
        .route("/inbox/pop", get(inbox::pop))
        .route("/inbox/client/{kind}/{id}", get(inbox::client))
        .route("/inbox/messages/{id}/retry", post(inbox::retry_post))
        .route("/inbox/messages/{id}/attachments/{file_id}", get(inbox::attachment))
        .route("/inbox/{id}", get(inbox::show))
        .route("/inbox/{id}/thread", get(inbox::thread))
        .route("/inbox/{id}/reply", post(inbox::reply_post))
        .route("/inbox/{id}/update", post(inbox::update_post))
        .route("/settings/channels", get(inbox::channels_get).post(inbox::channels_post))
        .route("/settings/channels/{id}/poll", post(inbox::channel_poll_post))
        .route("/settings/outreach", get(inbox::outreach_get))
        .route("/settings/outreach/{what}", post(inbox::outreach_post))
        .route("/reports", get(home::section))
        .route("/settings", get(settings::index))
        .route("/settings/profile", get(settings::profile_get).post(settings::profile_post))
        .route("/settings/password", post(settings::password_post))
        .route("/settings/users", get(settings::users_get).post(settings::users_post))
        .route("/settings/users/{id}", get(settings::user_edit_get).post(settings::user_edit_post))
        .route("/settings/users/{id}/password", post(settings::user_password_post))
        .route("/settings/teams", get(settings::teams_get).post(settings::teams_post))
        .route("/settings/teams/{id}/delete", post(settings::team_delete_post))
        .route("/settings/tokens", get(settings::tokens_get).post(settings::tokens_post))
        .route("/settings/tokens/{id}/revoke", post(settings::token_revoke_post))
        .route("/settings/audit", get(settings::audit_get))
        .route("/settings/calendar", get(activity::calendar_settings).post(activity::calendar_feed_post))
        .route("/settings/calendar/{id}/revoke", post(activity::calendar_feed_revoke))
        .route("/settings/pipelines", get(pipelines::pipelines_get).post(pipelines::pipeline_create))
        .route("/settings/pipelines/{id}", post(pipelines::pipeline_update))
        .route("/settings/pipelines/{id}/delete", post(pipelines::pipeline_delete))
        .route("/settings/pipelines/{id}/stages", post(pipelines::stage_add))
        .route("/settings/pipelines/{id}/stages/{stage_id}", post(pipelines::stage_update))
        .route("/settings/pipelines/{id}/stages/{stage_id}/remove", post(pipelines::stage_remove))
        .route("/settings/pipelines/{id}/stages/{stage_id}/{dir}", post(pipelines::stage_shift))
        .route("/settings/loss-reasons", post(pipelines::reason_create))
        .route("/settings/loss-reasons/{id}", post(pipelines::reason_update))
        .route("/settings/currencies/base", post(pipelines::base_currency))
        .route("/settings/currencies/rates", post(pipelines::rate_add))
        .route("/settings/currencies/rates/{id}/delete", post(pipelines::rate_delete))
        .route("/dashboards", get(dashboards::index))
        .route("/dashboards/{id}", get(dashboards::show))
        .route("/report-builder", get(report_builder::page))
        .route("/report-builder/export", get(report_builder::export))
        .route("/report-builder/save", post(report_builder::save))
        .route("/report-builder/reports/{id}/delete", post(report_builder::delete))
}

/// Navigation entries: (path, i18n key, icon).
pub const NAV: &[(&str, &str, &str)] = &[
    ("/", "nav-home", "home"),
    ("/contacts", "nav-contacts", "user"),
    ("/companies", "nav-companies", "building"),
    ("/leads", "nav-leads", "download"),
    ("/deals", "nav-deals", "funnel"),
    ("/products", "nav-products", "columns"),
    ("/tasks", "nav-tasks", "check"),
    ("/calendar", "nav-calendar", "calendar"),
    ("/inbox", "nav-inbox", "inbox"),
    ("/reports", "nav-reports", "chart"),
    ("/report-builder", "nav-report-builder", "columns"),
    ("/feed", "nav-feed", "log"),
    ("/imports", "nav-imports", "upload"),
    ("/settings", "nav-settings", "gear"),
    ("/dashboards", "nav-dashboards", "chart"),
];

/// What every page around the content needs: translator, the user, CSRF token, the active
/// navigation entry and a flash message.
pub struct Chrome {
    pub t: Tr,
    pub lang: &'static str,
    pub user_name: String,
    pub user_email: String,
    pub user_initials: String,
    pub role: String,
    pub is_admin: bool,
    pub can_audit: bool,
    pub csrf: String,
    pub active: String,
    pub flash: Option<String>,
    /// Unread notifications (the bell in the top bar).
    pub unread: i64,
    /// The reader's time zone: times are shown in it.
    pub tz: chrono_tz::Tz,
    pub title: String,
    pub css: String,
    pub js: String,
    pub htmx: String,
    pub sortable: String,
    pub favicon: String,
}

impl Chrome {
    pub fn anonymous(state: &AppState, headers: &HeaderMap, title_key: &str) -> Self {
        let lang = state.i18n().negotiate(None, accept_language(headers));
        let t = state.tr(lang);
        Self {
            title: t.get(title_key),
            t,
            lang,
            user_name: String::new(),
            user_email: String::new(),
            user_initials: String::new(),
            role: String::new(),
            is_admin: false,
            can_audit: false,
            csrf: String::new(),
            active: String::new(),
            flash: None,
            unread: 0,
            tz: chrono_tz::Tz::UTC,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            htmx: assets::url("htmx.min.js"),
            sortable: assets::url("Sortable.min.js"),
            favicon: assets::url("favicon.svg"),
        }
    }

    pub async fn for_user(
        state: &AppState,
        headers: &HeaderMap,
        auth: &Authenticated,
        active: &str,
        title_key: &str,
    ) -> Self {
        let user = state.services().get_user(&auth.actor, auth.actor.user_id).await.ok();
        let setting = user.as_ref().and_then(|u| u.locale.clone());
        let tz = user.as_ref().map(|u| clientele_core::domain::zone::zone_or_utc(&u.time_zone)).unwrap_or_default();
        let lang = state.i18n().negotiate(setting.as_deref(), accept_language(headers));
        let mut c = Self::anonymous(state, headers, title_key);
        c.t = state.tr(lang);
        c.title = c.t.get(title_key);
        c.lang = lang;
        c.user_name = auth.actor.name.clone();
        c.user_email = user.map(|u| u.email).unwrap_or_default();
        c.user_initials = initials(&auth.actor.name);
        c.role = c.t.get(&format!("role-{}", auth.actor.role.as_str()));
        c.is_admin = auth.actor.role == Role::Admin;
        c.can_audit = matches!(auth.actor.role, Role::Admin | Role::Head);
        c.csrf = auth.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default();
        c.active = active.to_owned();
        c.unread = state.services().unread_count(&auth.actor).await.unwrap_or(0);
        c.tz = tz;
        c.flash = cookie(headers, FLASH_COOKIE)
            .filter(|k| !k.is_empty() && k.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
            .map(|k| c.t.get(&format!("flash-{k}")));
        c
    }

    /// A time as the reader's wall clock shows it.
    pub fn local(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        clientele_core::domain::zone::utc_to_local(self.tz, t).format("%Y-%m-%d %H:%M").to_string()
    }

    /// `hx-headers` value that makes htmx send the CSRF token with every request.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }

    pub fn nav(&self) -> Vec<NavItem> {
        NAV.iter()
            // The events feed is for those who read the audit log.
            .filter(|(path, _, _)| *path != "/feed" || self.can_audit)
            .map(|(path, key, icon)| NavItem {
                href: path,
                label: self.t.get(key),
                icon,
                active: if *path == "/" { self.active == "/" } else { self.active.starts_with(path) },
            })
            .collect()
    }
}

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub icon: &'static str,
    pub active: bool,
}

pub(super) fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

pub fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// An htmx request for a fragment (boosted navigation wants whole pages).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-boosted")
}

/// Renders a template as a response with the given status. A flash cookie that was shown is
/// cleared in the same response.
pub fn render<T: Template>(status: StatusCode, tpl: &T, shown_flash: bool) -> Response {
    match tpl.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            if shown_flash {
                r.headers_mut().append(
                    header::SET_COOKIE,
                    HeaderValue::from_static("clientele_flash=; Path=/; Max-Age=0; SameSite=Lax"),
                );
            }
            r
        }
        Err(e) => {
            let msg = log_internal(&anyhow::Error::new(e).context("rendering a template"));
            (StatusCode::INTERNAL_SERVER_ERROR, msg).into_response()
        }
    }
}

/// Redirect after a successful form post, with a flash message key shown on the next page.
pub fn redirect_with_flash(to: &str, flash_key: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    if let Ok(v) =
        HeaderValue::from_str(&format!("{FLASH_COOKIE}={flash_key}; Path=/; Max-Age=60; SameSite=Lax; HttpOnly"))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    heading: String,
    message: String,
}

/// The same error for someone not signed in: no navigation around it.
#[derive(Template)]
#[template(path = "error_public.html")]
struct PublicErrorPage {
    c: Chrome,
    status: u16,
    heading: String,
    message: String,
}

#[derive(Template)]
#[template(path = "toast_partial.html")]
struct Toast {
    kind: &'static str,
    message: String,
}

/// An error as the UI shows it: a page, or for htmx requests a toast swapped into the toast
/// area (whatever the request targeted).
pub fn error_page(state: &AppState, headers: &HeaderMap, auth: Option<&Authenticated>, e: Error) -> Response {
    let (status, _, _) = classify(&e);
    let lang = state.i18n().negotiate(None, accept_language(headers));
    let t = state.tr(lang);
    let (heading, message) = match &e {
        Error::NotFound(_) => (t.get("error-404-title"), t.get("error-404-text")),
        Error::Forbidden(m) => (t.get("error-403-title"), m.clone()),
        Error::Validation(v) => (
            t.get("error-invalid-title"),
            v.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "),
        ),
        Error::Internal(err) => (t.get("error-500-title"), log_internal(err)),
        other => (t.get("error-generic-title"), other.to_string()),
    };
    if is_htmx(headers) {
        let toast = Toast { kind: "error", message: format!("{heading}: {message}") };
        let mut r = render(status, &toast, false);
        let h = r.headers_mut();
        h.insert("hx-retarget", HeaderValue::from_static("#toasts"));
        h.insert("hx-reswap", HeaderValue::from_static("beforeend"));
        return r;
    }
    let mut c = Chrome::anonymous(state, headers, "error-generic-title");
    if let Some(a) = auth {
        c.user_name = a.actor.name.clone();
        c.user_initials = initials(&a.actor.name);
        c.csrf = a.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default();
        c.is_admin = a.actor.role == Role::Admin;
        c.can_audit = matches!(a.actor.role, Role::Admin | Role::Head);
        c.role = c.t.get(&format!("role-{}", a.actor.role.as_str()));
    }
    c.title = heading.clone();
    if auth.is_some() {
        render(status, &ErrorPage { c, status: status.as_u16(), heading, message }, false)
    } else {
        render(status, &PublicErrorPage { c, status: status.as_u16(), heading, message }, false)
    }
}

pub fn to_login_response(path: &str) -> Response {
    let target = format!("/login?next={}", urlencode(path));
    let mut r = Redirect::to(&target).into_response();
    if let Ok(v) = HeaderValue::from_str(&target) {
        r.headers_mut().insert("hx-redirect", v);
    }
    r
}

/// 404 for any unknown path (problem+json under /api, a page elsewhere).
pub async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::Core(Error::NotFound("resource")).into_response();
    }
    let auth = crate::auth::resolve(&state, &headers, false).await.ok().flatten();
    error_page(&state, &headers, auth.as_ref(), Error::NotFound("page"))
}
