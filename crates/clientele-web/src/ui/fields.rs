//! Settings → custom fields (administrators): list per entity, create, edit, delete.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::authz::{Action, Area, check_area};
use clientele_core::domain::custom_field::{CustomFieldDef, FieldType};
use clientele_core::service::{CreateFieldRequest, UpdateFieldRequest};
use uuid::Uuid;

use super::clients_common::{FormProblem, Pairs, form_problem};
use super::settings::Errs;
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::state::AppState;

pub struct FieldRow {
    pub id: String,
    pub key: String,
    pub label: String,
    pub ftype: String,
    pub options: String,
    pub required: bool,
    pub position: i32,
}

/// The create form as typed.
#[derive(Default)]
pub struct NewField {
    pub entity: String,
    pub key: String,
    pub label: String,
    pub field_type: String,
    pub options: String,
    pub required: bool,
    pub position: String,
}

#[derive(Template)]
#[template(path = "settings/fields.html")]
struct FieldsPage {
    c: Chrome,
    sections: Vec<(String, Vec<FieldRow>)>,
    types: Vec<(String, String)>,
    form: NewField,
    errs: Errs,
}

fn type_label(c: &Chrome, t: FieldType) -> String {
    c.t.get(&format!("field-type-{}", t.as_str()))
}

fn row(c: &Chrome, d: CustomFieldDef) -> FieldRow {
    FieldRow {
        id: d.id.to_string(),
        ftype: type_label(c, d.field_type),
        key: d.key,
        label: d.label,
        options: d.options.join(", "),
        required: d.required,
        position: d.position,
    }
}

fn split_options(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect()
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    status: StatusCode,
    form: NewField,
    errs: Errs,
) -> Response {
    if let Err(e) = check_area(&user.actor, Area::Settings, Action::Update) {
        return error_page(state, headers, Some(user), e);
    }
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-fields").await;
    let defs = match state.services().list_custom_fields(&user.actor, None).await {
        Ok(d) => d,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let (contact, company): (Vec<_>, Vec<_>) = defs.into_iter().partition(|d| d.entity == "contact");
    let sections = vec![
        (c.t.get("fields-contact"), contact.into_iter().map(|d| row(&c, d)).collect()),
        (c.t.get("fields-company"), company.into_iter().map(|d| row(&c, d)).collect()),
    ];
    let types = FieldType::ALL.iter().map(|t| (t.as_str().to_owned(), type_label(&c, *t))).collect();
    let shown = c.flash.is_some();
    render(status, &FieldsPage { c, sections, types, form, errs }, shown)
}

pub async fn fields_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let form = NewField { entity: "contact".into(), field_type: "text".into(), ..Default::default() };
    page(&state, &headers, &user, StatusCode::OK, form, Errs::default()).await
}

pub async fn fields_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let form = NewField {
        entity: p.str("entity"),
        key: p.str("key"),
        label: p.str("label"),
        field_type: p.str("field_type"),
        options: p.str("options"),
        required: p.has("required"),
        position: p.str("position"),
    };
    let req = CreateFieldRequest {
        entity: form.entity.clone(),
        key: form.key.clone(),
        label: form.label.clone(),
        field_type: form.field_type.clone(),
        options: split_options(&form.options),
        required: form.required,
        position: form.position.trim().parse().unwrap_or(0),
    };
    match state.services().create_custom_field(&user.actor, req).await {
        Ok(_) => redirect_with_flash("/settings/fields", "field-created"),
        Err(e) => match form_problem(e) {
            Ok(FormProblem::Fields(status, errs)) => page(&state, &headers, &user, status, form, errs).await,
            Ok(_) => page(&state, &headers, &user, StatusCode::CONFLICT, form, Errs::default()).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

#[derive(Template)]
#[template(path = "settings/field_edit.html")]
struct FieldEditPage {
    c: Chrome,
    d: CustomFieldDef,
    ftype: String,
    options: String,
    errs: Errs,
}

async fn find(state: &AppState, user: &Authenticated, id: Uuid) -> Result<CustomFieldDef, clientele_core::Error> {
    state
        .services()
        .list_custom_fields(&user.actor, None)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(clientele_core::Error::NotFound("custom field"))
}

async fn edit_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    d: CustomFieldDef,
    status: StatusCode,
    errs: Errs,
) -> Response {
    if let Err(e) = check_area(&user.actor, Area::Settings, Action::Update) {
        return error_page(state, headers, Some(user), e);
    }
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-field-edit").await;
    let ftype = type_label(&c, d.field_type);
    let options = d.options.join(", ");
    render(status, &FieldEditPage { c, d, ftype, options, errs }, false)
}

pub async fn field_edit_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match find(&state, &user, id).await {
        Ok(d) => edit_page(&state, &headers, &user, d, StatusCode::OK, Errs::default()).await,
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn field_edit_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let req = UpdateFieldRequest {
        label: Some(p.str("label")),
        options: Some(split_options(&p.str("options"))),
        required: Some(p.has("required")),
        position: Some(p.str("position").trim().parse().unwrap_or(0)),
    };
    let version = p.get("version").and_then(|v| v.parse().ok());
    match state.services().update_custom_field(&user.actor, id, req, version).await {
        Ok(_) => redirect_with_flash("/settings/fields", "field-saved"),
        Err(e) => match form_problem(e) {
            Ok(problem) => {
                let (status, errs) = match problem {
                    FormProblem::Fields(s, e) => (s, e),
                    _ => (
                        StatusCode::PRECONDITION_FAILED,
                        Errs(vec![clientele_core::FieldError::new(
                            "form",
                            "someone else changed this field meanwhile; reload and try again",
                        )]),
                    ),
                };
                match find(&state, &user, id).await {
                    Ok(mut d) => {
                        d.label = p.str("label");
                        d.required = p.has("required");
                        edit_page(&state, &headers, &user, d, status, errs).await
                    }
                    Err(e) => error_page(&state, &headers, Some(&user), e),
                }
            }
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

pub async fn field_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().delete_custom_field(&user.actor, id).await {
        Ok(()) => redirect_with_flash("/settings/fields", "field-deleted"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
