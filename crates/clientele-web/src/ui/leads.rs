//! Leads in the web UI: the new-lead form (on the list, which is `lists.rs`), the lead card
//! with its status, and the conversion screen that shows which contact and company are reused.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::domain::lead::{Lead, LeadInput, LeadStatus};
use clientele_core::service::{ConversionPreview, ConvertRequest};
use serde_json::{Map, json};
use uuid::Uuid;

use super::clients_common::Pairs;
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::WebUser;
use crate::state::AppState;

pub struct LeadRow {
    pub id: String,
    pub name: String,
    pub company: String,
    pub status: String,
    pub status_key: String,
    pub temperature: String,
    pub temperature_key: String,
}

fn row(c: &Chrome, l: &Lead) -> LeadRow {
    LeadRow {
        id: l.id.to_string(),
        name: l.name.clone().unwrap_or_default(),
        company: l.company_name.clone().unwrap_or_default(),
        status: status_label(c, l.status),
        status_key: l.status.as_str().to_owned(),
        temperature: c.t.get(&format!("lead-temp-{}", l.temperature.as_str())),
        temperature_key: l.temperature.as_str().to_owned(),
    }
}

fn status_label(c: &Chrome, s: LeadStatus) -> String {
    c.t.get(&format!("lead-status-{}", s.as_str().replace('_', "-")))
}

/// The new-lead form (on the list page).
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let opt = |k: &str| f.get(k).map(str::to_owned);
    let input = LeadInput {
        name: opt("name"),
        company_name: opt("company_name"),
        phones: f
            .get("phone")
            .map(|p| vec![clientele_core::domain::client::PhoneInput::Plain(p.into())])
            .unwrap_or_default(),
        emails: f
            .get("email")
            .map(|e| vec![clientele_core::domain::client::EmailInput::Plain(e.into())])
            .unwrap_or_default(),
        source: opt("source"),
        utm_source: opt("utm_source"),
        utm_medium: opt("utm_medium"),
        utm_campaign: opt("utm_campaign"),
        temperature: opt("temperature"),
        notes: opt("notes"),
        ..LeadInput::default()
    };
    match state.services().create_lead(&user.actor, input).await {
        Ok(l) => redirect_with_flash(&format!("/leads/{}", l.id), "lead-created"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "leads/card.html")]
struct CardPage {
    c: Chrome,
    l: Lead,
    r: LeadRow,
    facts: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    temps: Vec<(String, String)>,
    converted: bool,
    /// What the lead became: (kind label, link, name).
    became: Vec<(String, String, String)>,
    timeline: super::activity::TimelineBox,
}

pub async fn card(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let l = match state.services().get_lead(&user.actor, id).await {
        Ok(l) => l,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut c = Chrome::for_user(&state, &headers, &user, "/leads", "nav-leads").await;
    c.title = l.title().to_owned();
    let r = row(&c, &l);
    let mut facts: Vec<(String, String)> = Vec::new();
    let mut fact = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            facts.push((c.t.get(k), v));
        }
    };
    fact("lead-field-phones", Some(l.phones.iter().map(|p| p.number.clone()).collect::<Vec<_>>().join(", ")));
    fact("lead-field-emails", Some(l.emails.iter().map(|e| e.address.clone()).collect::<Vec<_>>().join(", ")));
    fact("lead-field-source", l.source.clone());
    fact("lead-field-utm", {
        let parts: Vec<String> = [
            ("source", &l.utm_source),
            ("medium", &l.utm_medium),
            ("campaign", &l.utm_campaign),
            ("term", &l.utm_term),
            ("content", &l.utm_content),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        Some(parts.join(" · "))
    });
    fact("lead-field-referrer", l.referrer.clone());
    fact("lead-field-landing", l.landing_page.clone());
    fact("lead-field-reason", l.disqualify_reason.clone());
    fact("lead-field-tags", Some(l.tags.join(", ")));
    fact("lead-field-notes", l.notes.clone());
    fact("lead-field-created", Some(l.created_at.format("%Y-%m-%d %H:%M").to_string()));
    let statuses = ["new", "in_progress", "qualified", "disqualified"]
        .iter()
        .map(|s| ((*s).to_owned(), c.t.get(&format!("lead-status-{}", s.replace('_', "-")))))
        .collect();
    let temps = ["cold", "warm", "hot"].iter().map(|s| ((*s).to_owned(), c.t.get(&format!("lead-temp-{s}")))).collect();
    let s = state.services();
    let mut became = Vec::new();
    if let Some(id) = l.converted_contact_id {
        let name = s.get_contact(&user.actor, id).await.map(|v| v.contact.display_name).unwrap_or(id.to_string());
        became.push((c.t.get("lead-contact"), format!("/contacts/{id}"), name));
    }
    if let Some(id) = l.converted_company_id {
        let name = s.get_company(&user.actor, id).await.map(|v| v.name).unwrap_or(id.to_string());
        became.push((c.t.get("lead-company"), format!("/companies/{id}"), name));
    }
    if let Some(id) = l.converted_deal_id {
        let name = s.get_deal(&user.actor, id).await.map(|v| v.deal.title).unwrap_or(id.to_string());
        became.push((c.t.get("lead-deal"), format!("/deals/{id}"), name));
    }
    let shown = c.flash.is_some();
    let converted = l.status == LeadStatus::Converted;
    let record = clientele_core::domain::task::Related { kind: clientele_core::domain::task::RelatedType::Lead, id };
    let timeline = super::activity::record_timeline(&state, &user, &c, record).await;
    render(StatusCode::OK, &CardPage { c, l, r, facts, statuses, temps, converted, became, timeline }, shown)
}

/// Status (and disqualification reason) from the card.
pub async fn status_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let mut patch = Map::new();
    patch.insert("status".into(), json!(f.str("status")));
    patch.insert("temperature".into(), json!(f.str("temperature")));
    if let Some(r) = f.get("disqualify_reason") {
        patch.insert("disqualify_reason".into(), json!(r));
    }
    let version = f.get("version").and_then(|v| v.parse().ok());
    match state.services().update_lead(&user.actor, id, patch, version).await {
        Ok(_) => redirect_with_flash(&format!("/leads/{id}"), "lead-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "leads/convert.html")]
struct ConvertPage {
    c: Chrome,
    l: Lead,
    pv: ConversionPreview,
    pipelines: Vec<(String, String)>,
    title: String,
}

pub async fn convert_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let (l, pv) = match (s.get_lead(&user.actor, id).await, s.conversion_preview(&user.actor, id, None).await) {
        (Ok(l), Ok(pv)) => (l, pv),
        (Err(e), _) | (_, Err(e)) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut c = Chrome::for_user(&state, &headers, &user, "/leads", "lead-convert").await;
    c.title = format!("{} · {}", c.t.get("lead-convert"), l.title());
    let pipelines = s
        .list_pipelines(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.archived)
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let title = l.company_name.clone().unwrap_or_else(|| l.title().to_owned());
    render(StatusCode::OK, &ConvertPage { c, l, pv, pipelines, title }, false)
}

pub async fn convert_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let req = ConvertRequest {
        create_deal: f.has("create_deal"),
        pipeline_id: f.uuid("pipeline_id"),
        stage_id: None,
        deal_title: f.get("deal_title").map(str::to_owned),
        amount: f.get("amount").map(|a| json!(a)),
        currency: f.get("currency").map(str::to_owned),
        contact_id: None,
        company_id: None,
        company_tax_number: f.get("company_tax_number").map(str::to_owned),
    };
    let version = f.get("version").and_then(|v| v.parse().ok());
    match state.services().convert_lead(&user.actor, id, req, version).await {
        Ok(_) => redirect_with_flash(&format!("/leads/{id}"), "lead-converted"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
