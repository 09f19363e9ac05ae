//! The JSON API under `/api/v1`. Handlers are thin: parse, call the service, shape the
//! answer. The OpenAPI document is generated from these handlers' annotations.

mod activity;
mod audit;
mod auth;
mod automation;
mod clients;
mod docs;
mod documents;
mod funnel;
pub mod imports;
pub mod inbox;
mod leads;
mod products;
mod report_builder;
mod reports;
mod settings;
mod tasks;
mod teams;
mod tokens;
pub mod users;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::etag;
use crate::state::AppState;
use clientele_core::Error;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Clientele API",
        description = "The JSON API of Clientele, a self-hosted CRM. Everything the web UI does is available here.\n\n\
        Authenticate with `POST /api/v1/auth/login` (sets a session cookie and returns a token) or an API token \
        sent as `Authorization: Bearer <token>`. Errors are RFC 9457 problem documents. Lists use cursor \
        pagination (`limit`, `cursor`, `sort`). Records carry `version`; send it back as `If-Match` to avoid \
        overwriting someone else's change (412). POST accepts `Idempotency-Key`.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in, sessions and the current user"),
        (name = "users", description = "Users of this Clientele"),
        (name = "teams", description = "Teams and departments"),
        (name = "tokens", description = "API tokens"),
        (name = "audit", description = "Who changed what"),
        (name = "contacts", description = "People: the client base"),
        (name = "companies", description = "Organisations and their contact persons"),
        (name = "search", description = "One search box across the client base"),
        (name = "custom-fields", description = "Fields administrators add to contacts and companies"),
        (name = "views", description = "Saved list views"),
        (name = "notifications", description = "In-app notifications"),
        (name = "imports", description = "Importing CSV, XLSX, XLS, ODS and vCard files: mapping, preview, run, report, undo"),
        (name = "exports", description = "Exporting lists, views and selections to CSV, XLSX and vCard"),
        (name = "jobs", description = "The background job queue (administrators)"),
        (name = "pipelines", description = "Sales pipelines and their stages, the board, loss reasons and currencies"),
        (name = "deals", description = "Deals: stage moves, line items, payments, stage history"),
        (name = "leads", description = "Leads: incoming requests, their qualification and conversion"),
        (name = "products", description = "The product catalogue: categories, price lists, products, stock"),
        (name = "documents", description = "Quotes and invoices of deals: numbering, PDFs, status operations, payments; the document settings"),
        (name = "inbox", description = "One inbox of conversations across channels: statuses, assignees, unread counts, answers queued for sending"),
        (name = "channels", description = "Mailboxes, SMS numbers, messenger bots, the website chat and phone lines; the bot's first answers"),
        (name = "calls", description = "Telephony: calls of clients, the live screen pop, click-to-call"),
        (name = "email-templates", description = "E-mail templates with variables in every UI language"),
        (name = "forms", description = "Website lead forms and their embed snippet"),
        (name = "sequences", description = "E-mail sequences: steps, enrolments, per-step figures"),
        (name = "consents", description = "Consent and unsubscribe records honoured by every bulk send"),
        (name = "hooks", description = "Public webhooks for providers, mail services, the PBX, the chat widget and forms (authenticated by each channel's secret or signature)"),
        (name = "tasks", description = "Tasks, recurring tasks and group (campaign) tasks"),
        (name = "calendar", description = "The calendar and private iCalendar feeds"),
        (name = "webhooks", description = "Outgoing webhooks: subscriptions per event type, HMAC-SHA256 signed deliveries, their log and redelivery"),
        (name = "automations", description = "Automation rules (trigger, conditions, actions), their versions, runs and dry runs; lead distribution policies; the domain events feed"),
        (name = "activities", description = "Calls, meetings, e-mails, messages and notes, and a record's timeline"),
        (name = "comments", description = "Comments with @mentions on any record"),
        (name = "feed", description = "The events feed: everything that changed"),
        (name = "reports", description = "Standard reports (funnel, sales, managers, plan/fact, ABC/XYZ, churn, segments), sales plans and channel costs"),
        (name = "dashboards", description = "Dashboards of widgets (numbers, charts, tables) over the standard reports"),
        (name = "report-builder", description = "Custom reports: a primary object with lookups, columns, filters, grouping with date buckets, aggregates, sort and chart; saved, shared, scheduled and exported"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
    }
}

/// The `/api/v1` router and the OpenAPI document describing it.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::reset_password))
        .routes(routes!(teams::list_teams, teams::create_team))
        .routes(routes!(teams::get_team, teams::update_team, teams::delete_team))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(audit::list_audit))
        .routes(routes!(clients::list_contacts, clients::create_contact))
        .routes(routes!(clients::contact_duplicates))
        .routes(routes!(clients::merge_contacts))
        .routes(routes!(clients::bulk_contacts))
        .routes(routes!(clients::bulk_companies))
        .routes(routes!(clients::get_contact, clients::update_contact, clients::delete_contact))
        .routes(routes!(clients::restore_contact))
        .routes(routes!(clients::export_contact))
        .routes(routes!(clients::erase_contact))
        .routes(routes!(clients::list_companies, clients::create_company))
        .routes(routes!(clients::company_duplicates))
        .routes(routes!(clients::merge_companies))
        .routes(routes!(clients::get_company, clients::update_company, clients::delete_company))
        .routes(routes!(clients::restore_company))
        .routes(routes!(clients::company_contacts, clients::link_contact))
        .routes(routes!(clients::unlink_contact))
        .routes(routes!(clients::search))
        .routes(routes!(settings::list_fields, settings::create_field))
        .routes(routes!(settings::update_field, settings::delete_field))
        .routes(routes!(settings::list_views, settings::create_view))
        .routes(routes!(settings::get_view, settings::update_view, settings::delete_view))
        .routes(routes!(settings::list_notifications))
        .routes(routes!(settings::mark_read))
        .routes(
            routes!(imports::create_import, imports::list_imports)
                .layer(DefaultBodyLimit::max(imports::IMPORT_MAX_BYTES)),
        )
        .routes(routes!(imports::get_import, imports::configure_import))
        .routes(routes!(imports::preview_import))
        .routes(routes!(imports::run_import))
        .routes(routes!(imports::cancel_import))
        .routes(routes!(imports::undo_import))
        .routes(routes!(imports::import_report))
        .routes(routes!(imports::list_presets, imports::save_preset))
        .routes(routes!(imports::delete_preset))
        .routes(routes!(imports::create_export, imports::list_exports))
        .routes(routes!(imports::get_export))
        .routes(routes!(imports::download_export))
        .routes(routes!(imports::list_jobs))
        .routes(routes!(imports::retry_job))
        .routes(routes!(imports::cancel_job))
        .routes(routes!(funnel::list_pipelines, funnel::create_pipeline))
        .routes(routes!(funnel::get_pipeline, funnel::update_pipeline, funnel::delete_pipeline))
        .routes(routes!(funnel::add_stage))
        .routes(routes!(funnel::reorder_stages))
        .routes(routes!(funnel::update_stage, funnel::remove_stage))
        .routes(routes!(funnel::board))
        .routes(routes!(funnel::board_column))
        .routes(routes!(funnel::list_loss_reasons, funnel::create_loss_reason))
        .routes(routes!(funnel::update_loss_reason, funnel::delete_loss_reason))
        .routes(routes!(funnel::currencies))
        .routes(routes!(funnel::set_base_currency))
        .routes(routes!(funnel::put_rate))
        .routes(routes!(funnel::delete_rate))
        .routes(routes!(funnel::list_deals, funnel::create_deal))
        .routes(routes!(funnel::get_deal, funnel::update_deal, funnel::delete_deal))
        .routes(routes!(funnel::move_deal))
        .routes(routes!(funnel::bulk_deals))
        .routes(routes!(funnel::restore_deal))
        .routes(routes!(funnel::replace_items))
        .routes(routes!(funnel::add_payment))
        .routes(routes!(funnel::remove_payment))
        .routes(routes!(funnel::deal_durations))
        .routes(routes!(leads::list_leads, leads::create_lead))
        .routes(routes!(leads::get_lead, leads::update_lead, leads::delete_lead))
        .routes(routes!(leads::conversion_preview))
        .routes(routes!(leads::convert_lead))
        .routes(routes!(products::list_categories, products::create_category))
        .routes(routes!(products::update_category, products::delete_category))
        .routes(routes!(products::list_price_lists, products::create_price_list))
        .routes(routes!(products::update_price_list, products::delete_price_list))
        .routes(routes!(products::list_products, products::create_product))
        .routes(routes!(products::get_product, products::update_product, products::delete_product))
        .routes(routes!(products::add_stock))
        .routes(routes!(products::list_movements))
        .routes(routes!(documents::list_quotes, documents::create_quote))
        .routes(routes!(documents::get_quote, documents::update_quote))
        .routes(routes!(documents::send_quote))
        .routes(routes!(documents::accept_quote))
        .routes(routes!(documents::decline_quote))
        .routes(routes!(documents::quote_to_invoice))
        .routes(routes!(documents::quote_pdf))
        .routes(routes!(documents::list_invoices, documents::create_invoice))
        .routes(routes!(documents::get_invoice, documents::update_invoice))
        .routes(routes!(documents::send_invoice))
        .routes(routes!(documents::cancel_invoice))
        .routes(routes!(documents::pay_invoice))
        .routes(routes!(documents::invoice_pdf))
        .routes(routes!(documents::get_document_settings, documents::update_document_settings))
        .routes(
            routes!(documents::get_logo, documents::put_logo, documents::delete_logo)
                .layer(DefaultBodyLimit::max(clientele_core::service::LOGO_MAX_BYTES + 64 * 1024)),
        )
        .routes(routes!(inbox::list_inbox))
        .routes(routes!(inbox::compose))
        .routes(routes!(inbox::get_message))
        .routes(routes!(inbox::retry_message))
        .routes(routes!(inbox::get_conversation, inbox::update_conversation))
        .routes(routes!(inbox::mark_read))
        .routes(routes!(inbox::reply))
        .routes(routes!(inbox::live_calls))
        .routes(routes!(inbox::list_calls))
        .routes(routes!(inbox::dial))
        .routes(routes!(inbox::list_channels, inbox::create_channel))
        .routes(routes!(inbox::get_channel, inbox::update_channel))
        .routes(routes!(inbox::poll_channel))
        .routes(routes!(inbox::channel_status))
        .routes(routes!(inbox::list_templates, inbox::create_template))
        .routes(routes!(inbox::get_template, inbox::put_template, inbox::delete_template))
        .routes(routes!(inbox::render_template))
        .routes(routes!(inbox::list_forms, inbox::create_form))
        .routes(routes!(inbox::get_form, inbox::put_form, inbox::delete_form))
        .routes(routes!(inbox::list_sequences, inbox::create_sequence))
        .routes(routes!(inbox::get_sequence, inbox::put_sequence, inbox::delete_sequence))
        .routes(routes!(inbox::list_enrollments, inbox::enroll))
        .routes(routes!(inbox::stop_enrollment))
        .routes(routes!(inbox::list_bot_rules, inbox::create_bot_rule))
        .routes(routes!(inbox::put_bot_rule, inbox::delete_bot_rule))
        .routes(routes!(inbox::get_consent, inbox::record_consent))
        .routes(routes!(inbox::email_hook).layer(DefaultBodyLimit::max(inbox::MIME_MAX_BYTES)))
        .routes(routes!(inbox::channel_hook))
        .routes(routes!(inbox::calls_hook))
        .routes(routes!(inbox::chat_info))
        .routes(routes!(inbox::chat_messages, inbox::chat_post))
        .routes(routes!(inbox::form_info, inbox::form_submit))
        .routes(routes!(tasks::list_tasks, tasks::create_task))
        .routes(routes!(tasks::get_task, tasks::update_task, tasks::delete_task))
        .routes(routes!(tasks::complete_task))
        .routes(routes!(tasks::cancel_task))
        .routes(routes!(tasks::reopen_task))
        .routes(routes!(tasks::reschedule_task))
        .routes(routes!(tasks::mark_contact))
        .routes(routes!(tasks::list_task_groups, tasks::create_task_group))
        .routes(routes!(tasks::get_task_group))
        .routes(routes!(tasks::calendar))
        .routes(routes!(tasks::list_feeds, tasks::create_feed))
        .routes(routes!(tasks::revoke_feed))
        .routes(routes!(tasks::feed_ics))
        .routes(routes!(activity::list_activities, activity::log_activity))
        .routes(routes!(activity::get_activity, activity::update_activity, activity::delete_activity))
        .routes(routes!(activity::list_comments, activity::add_comment))
        .routes(routes!(activity::update_comment, activity::delete_comment))
        .routes(routes!(activity::timeline))
        .routes(routes!(activity::feed))
        .routes(routes!(activity::unread))
        .routes(routes!(activity::preferences, activity::set_preferences))
        .routes(routes!(reports::funnel))
        .routes(routes!(reports::sales))
        .routes(routes!(reports::dynamics))
        .routes(routes!(reports::daily))
        .routes(routes!(reports::activity))
        .routes(routes!(reports::plan_fact))
        .routes(routes!(reports::abc_xyz))
        .routes(routes!(reports::churn))
        .routes(routes!(reports::segments))
        .routes(routes!(reports::list_plans, reports::create_plan))
        .routes(routes!(reports::update_plan, reports::delete_plan))
        .routes(routes!(reports::list_costs, reports::create_cost))
        .routes(routes!(reports::update_cost, reports::delete_cost))
        .routes(routes!(reports::list_dashboards, reports::create_dashboard))
        .routes(routes!(reports::get_dashboard, reports::update_dashboard, reports::delete_dashboard))
        .routes(routes!(reports::dashboard_data))
        .routes(routes!(report_builder::report_types))
        .routes(routes!(report_builder::run_report))
        .routes(routes!(report_builder::export_definition))
        .routes(routes!(report_builder::list_reports, report_builder::create_report))
        .routes(routes!(report_builder::get_report, report_builder::update_report, report_builder::delete_report))
        .routes(routes!(report_builder::report_result))
        .routes(routes!(report_builder::export_report))
        .routes(routes!(automation::export_automation))
        .routes(routes!(automation::import_automation))
        .routes(routes!(automation::list_rules, automation::create_rule))
        .routes(routes!(automation::get_rule, automation::update_rule, automation::delete_rule))
        .routes(routes!(automation::rule_versions))
        .routes(routes!(automation::rule_runs))
        .routes(routes!(automation::record_runs))
        .routes(routes!(automation::dry_run))
        .routes(routes!(automation::list_policies, automation::save_policy))
        .routes(routes!(automation::delete_policy))
        .routes(routes!(automation::list_events))
        .routes(routes!(automation::list_schedules))
        .routes(routes!(webhooks::list_webhooks, webhooks::create_webhook))
        .routes(routes!(webhooks::get_webhook, webhooks::update_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::get_delivery))
        .routes(routes!(webhooks::redeliver))
        .split_for_parts();
    let mut openapi = openapi;
    // Paths were declared relative to /api/v1.
    let paths = std::mem::take(&mut openapi.paths.paths);
    openapi.paths.paths = paths.into_iter().map(|(p, item)| (format!("/api/v1{p}"), item)).collect();
    (router, openapi)
}

/// Everything under /api: the versioned API, its document, and a problem+json 404.
pub fn mount(openapi_json: std::sync::Arc<String>) -> Router<AppState> {
    let (v1, _) = router();
    Router::new()
        .nest("/api/v1", v1.fallback(not_found))
        .route(
            "/api/v1/openapi.json",
            get(move |State(state): State<AppState>| {
                let base = openapi_json.clone();
                async move {
                    let body = with_custom_fields(&state, &base).await;
                    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
                }
            }),
        )
        .merge(docs::routes())
}

/// The OpenAPI document with this installation's custom fields described under each record's
/// `custom_fields` (they are defined at run time, so the document is completed per request).
async fn with_custom_fields(state: &AppState, base: &str) -> String {
    let Ok(defs) = state.services().store().list_custom_fields(None).await else { return base.to_owned() };
    if defs.is_empty() {
        return base.to_owned();
    }
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(base) else { return base.to_owned() };
    for (entity, schemas) in [
        ("contact", ["Contact", "ContactInput"]),
        ("company", ["Company", "CompanyInput"]),
        ("deal", ["Deal", "DealInput"]),
        ("lead", ["Lead", "LeadInput"]),
    ] {
        let mine: Vec<_> = defs.iter().filter(|d| d.entity == entity).collect();
        let mut props = serde_json::Map::new();
        for d in &mine {
            props.insert(d.key.clone(), custom_field_schema(d));
        }
        let required: Vec<&str> = mine.iter().filter(|d| d.required).map(|d| d.key.as_str()).collect();
        for name in schemas {
            if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}/properties"))
                && let Some(obj) = schema.as_object_mut()
            {
                let mut cf = serde_json::json!({
                    "type": "object",
                    "description": "Custom fields defined by the administrators of this Clientele.",
                    "properties": props.clone(),
                    "additionalProperties": false,
                });
                if name.ends_with("Input") && !required.is_empty() {
                    cf["required"] = serde_json::json!(required);
                }
                obj.insert("custom_fields".into(), cf);
            }
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| base.to_owned())
}

fn custom_field_schema(d: &clientele_core::domain::custom_field::CustomFieldDef) -> serde_json::Value {
    use clientele_core::domain::custom_field::FieldType as T;
    let mut s = match d.field_type {
        T::Text | T::LongText | T::Phone => serde_json::json!({"type": "string"}),
        T::Url => serde_json::json!({"type": "string", "format": "uri"}),
        T::Email => serde_json::json!({"type": "string", "format": "email"}),
        T::Number => serde_json::json!({"type": "number"}),
        T::Money => {
            serde_json::json!({"type": "object", "properties": {"amount": {"type": "string"}, "currency": {"type": "string"}}, "required": ["amount", "currency"]})
        }
        T::Date => serde_json::json!({"type": "string", "format": "date"}),
        T::Datetime => serde_json::json!({"type": "string", "format": "date-time"}),
        T::Boolean => serde_json::json!({"type": "boolean"}),
        T::Select => serde_json::json!({"type": "string", "enum": d.options}),
        T::MultiSelect => serde_json::json!({"type": "array", "items": {"type": "string", "enum": d.options}}),
        T::User | T::Reference => serde_json::json!({"type": "string", "format": "uuid"}),
    };
    s["title"] = serde_json::json!(d.label);
    s["description"] = serde_json::json!(format!("{} ({})", d.label, d.field_type.as_str()));
    s
}

pub fn openapi_json() -> anyhow::Result<String> {
    let (_, doc) = router();
    Ok(doc.to_pretty_json()?)
}

async fn not_found() -> ApiError {
    ApiError::Core(Error::NotFound("resource"))
}

/// Query parameters of list endpoints.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Free-text search.
    pub q: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Field to sort by; prefix with `-` for descending.
    pub sort: Option<String>,
}

/// A record with its version as `ETag`.
pub fn with_etag<T: Serialize>(status: StatusCode, version: i64, body: T) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// A 200 answer whose JSON body is already text (list pages the database rendered).
pub fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

pub fn page_error(errors: Vec<clientele_core::FieldError>) -> ApiError {
    ApiError::Core(Error::Validation(errors))
}
pub use users::USER_SORTS;
