//! Funnel settings for administrators: pipelines and their stages (add, rename, probability,
//! time limit, colour, reorder, remove), loss reasons, the base currency and exchange rates.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::Error;
use clientele_core::domain::deal::{CurrencyRate, LossReason, Pipeline};
use clientele_core::service::{
    BaseCurrencyRequest, CreatePipelineRequest, LossReasonRequest, RateRequest, StageInput, StageOrderRequest,
    StagePatch, UpdatePipelineRequest,
};
use serde_json::Value;
use uuid::Uuid;

use super::clients_common::Pairs;
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings/pipelines.html")]
struct PipelinesPage {
    c: Chrome,
    pipelines: Vec<Pipeline>,
    reasons: Vec<LossReason>,
    base: String,
    rates: Vec<CurrencyRate>,
    error: String,
}

const BACK: &str = "/settings/pipelines";

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    status: StatusCode,
    error: String,
) -> Response {
    let s = state.services();
    let mut c = Chrome::for_user(state, headers, user, "/settings", "settings-pipelines").await;
    if !c.is_admin {
        return error_page(state, headers, Some(user), Error::Forbidden("administrators only".into()));
    }
    let loaded = async {
        let pipelines = s.list_pipelines(&user.actor).await?;
        let reasons = s.list_loss_reasons(&user.actor, true).await?;
        let cur = s.currencies(&user.actor).await?;
        Ok::<_, Error>((pipelines, reasons, cur))
    };
    let (pipelines, reasons, cur) = match loaded.await {
        Ok(x) => x,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    if !error.is_empty() {
        c.flash = None;
    }
    let shown = c.flash.is_some();
    render(status, &PipelinesPage { c, pipelines, reasons, base: cur.base_currency, rates: cur.rates, error }, shown)
}

pub async fn pipelines_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    page(&state, &headers, &user, StatusCode::OK, String::new()).await
}

/// The outcome of a change: back to the page with a flash, or the page again with the error
/// (validation and conflicts, e.g. removing a stage that still has deals).
async fn done<T>(state: &AppState, headers: &HeaderMap, user: &Authenticated, r: Result<T, Error>) -> Response {
    match r {
        Ok(_) => redirect_with_flash(BACK, "saved"),
        Err(Error::Validation(v)) => {
            let msg = v.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
            page(state, headers, user, StatusCode::UNPROCESSABLE_ENTITY, msg).await
        }
        Err(Error::Conflict { message, .. }) => page(state, headers, user, StatusCode::CONFLICT, message).await,
        Err(e) => error_page(state, headers, Some(user), e),
    }
}

fn int(p: &Pairs, k: &str) -> Option<i32> {
    p.get(k).and_then(|v| v.parse().ok())
}

/// `POST /settings/pipelines`: a new pipeline with the usual stages.
pub async fn pipeline_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let req = CreatePipelineRequest { name: p.str("name"), position: None, stages: None };
    let r = state.services().create_pipeline(&user.actor, req).await;
    done(&state, &headers, &user, r).await
}

/// `POST /settings/pipelines/{id}`: rename, archive or restore.
pub async fn pipeline_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let req = UpdatePipelineRequest {
        name: p.get("name").map(str::to_owned),
        position: None,
        archived: p.get("archived").map(|v| v == "true"),
    };
    let r = state.services().update_pipeline(&user.actor, id, req, None).await;
    done(&state, &headers, &user, r).await
}

pub async fn pipeline_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let r = state.services().delete_pipeline(&user.actor, id, None).await;
    done(&state, &headers, &user, r).await
}

pub async fn stage_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let req = StageInput {
        name: p.str("name"),
        kind: None,
        probability: int(&p, "probability"),
        time_limit_days: int(&p, "time_limit_days"),
        colour: p.get("colour").map(str::to_owned),
        position: None,
    };
    let r = state.services().add_stage(&user.actor, id, req).await;
    done(&state, &headers, &user, r).await
}

/// `POST /settings/pipelines/{id}/stages/{stage_id}`: change a stage's name, probability,
/// time limit (empty: none) and colour.
pub async fn stage_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, stage_id)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let probability = match p.get("probability").map(str::parse::<i32>) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            let e = Error::invalid("probability", "must be a whole number from 0 to 100");
            return done::<()>(&state, &headers, &user, Err(e)).await;
        }
    };
    let limit = match p.get("time_limit_days").map(str::parse::<i64>) {
        None => Value::Null,
        Some(Ok(v)) => Value::from(v),
        Some(Err(_)) => {
            let e = Error::invalid("time_limit_days", "must be a whole number of days");
            return done::<()>(&state, &headers, &user, Err(e)).await;
        }
    };
    let req = StagePatch {
        name: p.get("name").map(str::to_owned),
        probability,
        time_limit_days: Some(limit),
        colour: Some(p.get("colour").map_or(Value::Null, |c| Value::String(c.to_owned()))),
    };
    let r = state.services().update_stage(&user.actor, id, stage_id, req).await;
    done(&state, &headers, &user, r).await
}

pub async fn stage_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, stage_id)): Path<(Uuid, Uuid)>,
) -> Response {
    let r = state.services().remove_stage(&user.actor, id, stage_id).await;
    done(&state, &headers, &user, r).await
}

/// `POST /settings/pipelines/{id}/stages/{stage_id}/up` or `/down`: one place earlier or later.
pub async fn stage_shift(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, stage_id, dir)): Path<(Uuid, Uuid, String)>,
) -> Response {
    let s = state.services();
    let pipeline = match s.get_pipeline(&user.actor, id).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut ids: Vec<Uuid> = pipeline.stages.iter().map(|st| st.id).collect();
    if let Some(i) = ids.iter().position(|x| *x == stage_id) {
        match dir.as_str() {
            "up" if i > 0 => ids.swap(i, i - 1),
            "down" if i + 1 < ids.len() => ids.swap(i, i + 1),
            _ => {}
        }
    }
    let r = s.reorder_stages(&user.actor, id, StageOrderRequest { stage_ids: ids }, None).await;
    done(&state, &headers, &user, r).await
}

pub async fn reason_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let req = LossReasonRequest { name: Some(p.str("name")), position: None, archived: None };
    let r = state.services().create_loss_reason(&user.actor, req).await;
    done(&state, &headers, &user, r).await
}

/// `POST /settings/loss-reasons/{id}`: archive or bring back.
pub async fn reason_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let req = LossReasonRequest { name: None, position: None, archived: Some(p.get("archived") == Some("true")) };
    let r = state.services().update_loss_reason(&user.actor, id, req, None).await;
    done(&state, &headers, &user, r).await
}

pub async fn base_currency(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let r = state.services().set_base_currency(&user.actor, BaseCurrencyRequest { currency: p.str("currency") }).await;
    done(&state, &headers, &user, r).await
}

pub async fn rate_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let valid_from = match p.date("valid_from") {
        Ok(d) => d,
        Err(e) => return done::<()>(&state, &headers, &user, Err(e)).await,
    };
    let req = RateRequest { currency: p.str("currency"), rate: Value::String(p.str("rate")), valid_from };
    let r = state.services().put_rate(&user.actor, req).await;
    done(&state, &headers, &user, r).await
}

pub async fn rate_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let r = state.services().delete_rate(&user.actor, id).await;
    done(&state, &headers, &user, r).await
}
