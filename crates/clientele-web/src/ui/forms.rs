//! Create and edit forms of contacts and companies: every field, rows of phones, e-mails and
//! dates, custom fields by type, errors beside the fields, the duplicate warning.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::domain::client::{CompanyInput, ContactInput};
use clientele_core::domain::custom_field::CustomFieldDef;
use clientele_core::{Error, FieldError};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::clients_common::{
    Ent, FormProblem, FormValues, FormView, Pairs, companies, email_kinds, form_problem, lifecycles, phone_kinds,
    role_options, users,
};
use super::settings::Errs;
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser, safe_next};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "clients/form.html")]
struct FormPage {
    c: Chrome,
    p: FormView,
}

/// How the form is shown: for which record, with which problems.
struct Shown {
    editing: Option<(Uuid, i64)>,
    status: StatusCode,
    errs: Errs,
    duplicate: Option<(String, String)>,
    stale: bool,
    next: String,
}

impl Shown {
    fn fresh(editing: Option<(Uuid, i64)>) -> Self {
        Self {
            editing,
            status: StatusCode::OK,
            errs: Errs::default(),
            duplicate: None,
            stale: false,
            next: String::new(),
        }
    }
}

async fn show(
    ent: Ent,
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    f: FormValues,
    defs: &[CustomFieldDef],
    st: Shown,
) -> Response {
    let title = match (ent, st.editing.is_some()) {
        (Ent::Contact, false) => "contact-new",
        (Ent::Contact, true) => "contact-edit",
        (Ent::Company, false) => "company-new",
        (Ent::Company, true) => "company-edit",
    };
    let c = Chrome::for_user(state, headers, user, ent.base(), title).await;
    let s = state.services();
    let users = users(s, &user.actor).await;
    let companies = if ent == Ent::Contact { companies(s, &user.actor).await } else { vec![] };
    let (action, cancel, version) = match st.editing {
        Some((id, v)) => (format!("{}/{id}/edit", ent.base()), format!("{}/{id}", ent.base()), v),
        None => (ent.base().to_owned(), ent.base().to_owned(), 0),
    };
    let mut f = f;
    f.v.insert("next".into(), st.next.clone());
    let mut errs = st.errs;
    if let Some((msg, _)) = &st.duplicate {
        for e in errs.0.iter_mut().filter(|e| &e.message == msg) {
            e.message = c.t.get("dup-field");
        }
    }
    let view = FormView {
        ent: ent.key(),
        action,
        cancel,
        editing: st.editing.is_some(),
        version,
        cfs: f.custom_inputs(defs, &users),
        f,
        users,
        companies,
        lifecycles: lifecycles(&c),
        phone_kinds: phone_kinds(&c),
        email_kinds: email_kinds(&c),
        roles: role_options(&c),
        errs,
        duplicate: st.duplicate,
        stale: st.stale,
    };
    let shown = c.flash.is_some();
    render(st.status, &FormPage { c, p: view }, shown)
}

async fn defs(state: &AppState, user: &Authenticated, ent: Ent) -> Vec<CustomFieldDef> {
    state.services().list_custom_fields(&user.actor, Some(ent.key())).await.unwrap_or_default()
}

// ---------- new ----------

pub async fn contact_new(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    new_form(Ent::Contact, &state, &headers, &user, &Pairs::from_query(q.as_deref())).await
}

pub async fn company_new(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    new_form(Ent::Company, &state, &headers, &user, &Pairs::from_query(q.as_deref())).await
}

async fn new_form(ent: Ent, state: &AppState, headers: &HeaderMap, user: &Authenticated, p: &Pairs) -> Response {
    let defs = defs(state, user, ent).await;
    let mut f = FormValues::default();
    f.v.insert("lifecycle".into(), "lead".into());
    f.v.insert("owner_id".into(), user.actor.user_id.to_string());
    let mut st = Shown::fresh(None);
    if let Some(co) = p.uuid("company_id") {
        f.v.insert("company_id".into(), co.to_string());
        st.next = format!("/companies/{co}");
    }
    show(ent, state, headers, user, f, &defs, st).await
}

// ---------- create ----------

pub async fn contact_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    save(Ent::Contact, &state, &headers, &user, None, &Pairs::from_bytes(&body)).await
}

pub async fn company_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    save(Ent::Company, &state, &headers, &user, None, &Pairs::from_bytes(&body)).await
}

// ---------- edit ----------

pub async fn contact_edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    edit_form(Ent::Contact, &state, &headers, &user, id).await
}

pub async fn company_edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    edit_form(Ent::Company, &state, &headers, &user, id).await
}

async fn record(ent: Ent, state: &AppState, user: &Authenticated, id: Uuid) -> Result<(Value, i64), Error> {
    let s = state.services();
    let (v, version) = match ent {
        Ent::Contact => {
            let c = s.get_contact(&user.actor, id).await?.contact;
            let version = c.version;
            (serde_json::to_value(c), version)
        }
        Ent::Company => {
            let c = s.get_company(&user.actor, id).await?;
            let version = c.version;
            (serde_json::to_value(c), version)
        }
    };
    Ok((v.map_err(|e| Error::Internal(anyhow::Error::new(e)))?, version))
}

async fn edit_form(ent: Ent, state: &AppState, headers: &HeaderMap, user: &Authenticated, id: Uuid) -> Response {
    let defs = defs(state, user, ent).await;
    match record(ent, state, user, id).await {
        Ok((rec, version)) => {
            let f = FormValues::from_record(ent, &rec, &defs);
            show(ent, state, headers, user, f, &defs, Shown::fresh(Some((id, version)))).await
        }
        Err(e) => error_page(state, headers, Some(user), e),
    }
}

pub async fn contact_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    save(Ent::Contact, &state, &headers, &user, Some(id), &Pairs::from_bytes(&body)).await
}

pub async fn company_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    save(Ent::Company, &state, &headers, &user, Some(id), &Pairs::from_bytes(&body)).await
}

/// Creates (`id` = None) or updates a record from the submitted form.
async fn save(
    ent: Ent,
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    id: Option<Uuid>,
    p: &Pairs,
) -> Response {
    let defs = defs(state, user, ent).await;
    let (f, m, pre) = FormValues::read(ent, p, &defs, id.is_none());
    let force = p.get("force") == Some("true");
    let version = p.get("version").and_then(|v| v.parse::<i64>().ok());
    let next = p.get("next").map(|n| safe_next(Some(n))).unwrap_or_default();
    let mut st = Shown::fresh(id.map(|i| (i, version.unwrap_or(0))));
    st.next = next.clone();
    if !pre.is_empty() {
        st.status = StatusCode::UNPROCESSABLE_ENTITY;
        st.errs = Errs(pre);
        return show(ent, state, headers, user, f, &defs, st).await;
    }
    let s = state.services();
    let result: Result<Uuid, Error> = match (ent, id) {
        (Ent::Contact, None) => match parse::<ContactInput>(m) {
            Ok(input) => s.create_contact(&user.actor, input, force).await.map(|v| v.contact.id),
            Err(e) => Err(e),
        },
        (Ent::Company, None) => match parse::<CompanyInput>(m) {
            Ok(input) => s.create_company(&user.actor, input, force).await.map(|v| v.id),
            Err(e) => Err(e),
        },
        (Ent::Contact, Some(id)) => s.update_contact(&user.actor, id, m, version, force).await.map(|v| v.contact.id),
        (Ent::Company, Some(id)) => s.update_company(&user.actor, id, m, version, force).await.map(|v| v.id),
    };
    match result {
        Ok(saved) => {
            let flash = match (ent, id.is_some()) {
                (Ent::Contact, false) => "contact-created",
                (Ent::Contact, true) => "contact-saved",
                (Ent::Company, false) => "company-created",
                (Ent::Company, true) => "company-saved",
            };
            let to = if next.is_empty() || next == "/" { format!("{}/{saved}", ent.base()) } else { next };
            redirect_with_flash(&to, flash)
        }
        Err(e) => match form_problem(e) {
            Ok(FormProblem::Fields(status, errs)) => {
                st.status = status;
                st.errs = errs;
                show(ent, state, headers, user, f, &defs, st).await
            }
            Ok(FormProblem::Duplicate { message, field, existing_id }) => {
                st.status = StatusCode::CONFLICT;
                let href = existing_id.map(|e| format!("{}/{e}", ent.base())).unwrap_or_default();
                if let Some(field) = field {
                    st.errs = Errs(vec![FieldError::new(field, message.clone())]);
                }
                st.duplicate = Some((message, href));
                show(ent, state, headers, user, f, &defs, st).await
            }
            Ok(FormProblem::Stale) => {
                st.status = StatusCode::PRECONDITION_FAILED;
                st.stale = true;
                show(ent, state, headers, user, f, &defs, st).await
            }
            Err(e) => error_page(state, headers, Some(user), e),
        },
    }
}

fn parse<T: serde::de::DeserializeOwned>(m: Map<String, Value>) -> Result<T, Error> {
    serde_path_to_error::deserialize::<_, T>(Value::Object(m)).map_err(|e| {
        let path = e.path().to_string();
        Error::invalid(if path == "." { "form".to_owned() } else { path }, e.inner().to_string())
    })
}
