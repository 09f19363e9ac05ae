//! Contact and company cards: details, phones, e-mails, companies and contact persons,
//! dates, custom fields, the timeline; inline editing; delete, erase, contact persons.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use clientele_core::Error;
use clientele_core::domain::client::{Address, Company, Contact, Email, ImportantDate, Lifecycle, Phone};
use clientele_core::domain::custom_field::CustomFieldDef;
use clientele_core::domain::phone::PhoneFlag;
use clientele_core::service::LinkRequest;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::activity::record_timeline;
use super::clients_common::{
    Ent, FormProblem, Pairs, fmt_time, form_problem, lifecycle_label, lifecycles, name_of, role_label, role_options,
    show_custom, users,
};
use super::{Chrome, error_page, is_htmx, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::state::AppState;
use clientele_core::domain::task::{Related, RelatedType};

pub struct PhoneView {
    pub number: String,
    pub e164: String,
    pub kind: String,
    pub flag: String,
}

pub struct DateView {
    pub kind: String,
    pub date: String,
    pub next: String,
}

/// One field editable in place.
pub struct InlineView {
    pub base: &'static str,
    pub id: String,
    pub version: i64,
    pub field: &'static str,
    pub label: String,
    /// text, select or tags
    pub kind: &'static str,
    pub display: String,
    pub badge: String,
    pub tags: Vec<String>,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub editing: bool,
    pub error: String,
}

/// What both cards show.
pub struct CardCommon {
    pub id: String,
    pub version: i64,
    pub inline: Vec<InlineView>,
    pub phones: Vec<PhoneView>,
    pub emails: Vec<(String, String)>,
    pub address: String,
    pub dates: Vec<DateView>,
    pub notes: String,
    pub custom: Vec<(String, String)>,
    pub source: String,
    pub created: String,
    pub updated: String,
    pub deleted: bool,
    pub timeline: super::activity::TimelineBox,
}

fn phone_views(c: &Chrome, phones: &[Phone]) -> Vec<PhoneView> {
    phones
        .iter()
        .map(|p| PhoneView {
            number: p.number.clone(),
            e164: p.e164.clone().unwrap_or_default(),
            kind: c.t.get(&format!("phone-kind-{}", p.kind)),
            flag: match p.flag {
                Some(PhoneFlag::MissingAreaCode) => c.t.get("phone-flag-missing-area-code"),
                Some(PhoneFlag::MissingCountryCode) => c.t.get("phone-flag-missing-country-code"),
                None => String::new(),
            },
        })
        .collect()
}

fn address_line(a: Option<&Address>) -> String {
    let Some(a) = a else { return String::new() };
    [&a.street, &a.postal_code, &a.city, &a.region, &a.country]
        .into_iter()
        .filter_map(|x| x.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

fn date_views(c: &Chrome, dates: &[ImportantDate]) -> Vec<DateView> {
    let today = chrono::Utc::now().date_naive();
    dates
        .iter()
        .map(|d| {
            let kind = match d.kind.as_str() {
                "birthday" | "anniversary" => c.t.get(&format!("date-kind-{}", d.kind)),
                other => other.to_owned(),
            };
            let next = d
                .next_occurrence(today)
                .filter(|_| d.yearly)
                .map(|n| c.t.with("date-next", &[("date", &n.format("%Y-%m-%d").to_string())]))
                .unwrap_or_default();
            DateView { kind, date: d.date.format("%Y-%m-%d").to_string(), next }
        })
        .collect()
}

fn custom_views(
    c: &Chrome,
    defs: &[CustomFieldDef],
    values: &Map<String, Value>,
    users: &[(String, String)],
) -> Vec<(String, String)> {
    defs.iter().filter_map(|d| values.get(&d.key).map(|v| (d.label.clone(), show_custom(c, d, v, users)))).collect()
}

/// Values the inline-editable fields show and edit.
struct InlineSource {
    title: Option<String>,
    industry: Option<String>,
    lifecycle: Lifecycle,
    owner: Option<Uuid>,
    tags: Vec<String>,
}

const CONTACT_INLINE: &[&str] = &["title", "lifecycle", "owner_id", "tags"];
const COMPANY_INLINE: &[&str] = &["industry", "lifecycle", "owner_id", "tags"];

fn inline_view(
    c: &Chrome,
    ent: Ent,
    id: Uuid,
    version: i64,
    field: &'static str,
    src: &InlineSource,
    users: &[(String, String)],
) -> InlineView {
    let mut v = InlineView {
        base: ent.base(),
        id: id.to_string(),
        version,
        field,
        label: c.t.get(&format!("ff-{field}")),
        kind: "text",
        display: String::new(),
        badge: String::new(),
        tags: vec![],
        value: String::new(),
        options: vec![],
        editing: false,
        error: String::new(),
    };
    match field {
        "title" | "industry" => {
            let s = if field == "title" { &src.title } else { &src.industry };
            v.value = s.clone().unwrap_or_default();
            v.display = v.value.clone();
        }
        "lifecycle" => {
            v.kind = "select";
            v.value = src.lifecycle.as_str().to_owned();
            v.display = lifecycle_label(c, src.lifecycle);
            v.badge = src.lifecycle.as_str().to_owned();
            v.options = lifecycles(c);
        }
        "owner_id" => {
            v.kind = "select";
            v.value = src.owner.map(|o| o.to_string()).unwrap_or_default();
            v.display = name_of(users, src.owner);
            v.options =
                std::iter::once((String::new(), c.t.get("owner-nobody"))).chain(users.iter().cloned()).collect();
        }
        _ => {
            v.kind = "tags";
            v.tags = src.tags.clone();
            v.value = src.tags.join(", ");
        }
    }
    v
}

fn fields_of(ent: Ent) -> &'static [&'static str] {
    match ent {
        Ent::Contact => CONTACT_INLINE,
        Ent::Company => COMPANY_INLINE,
    }
}

// ---------- contact card ----------

pub struct CompanyLinkView {
    pub id: String,
    pub name: String,
    pub role: String,
    pub primary: bool,
}

#[derive(Template)]
#[template(path = "clients/contact.html")]
struct ContactPage {
    c: Chrome,
    k: CardCommon,
    name: String,
    initial: String,
    links: Vec<CompanyLinkView>,
}

fn common(c: &Chrome, ent: Ent, id: Uuid, version: i64, src: &InlineSource, users: &[(String, String)]) -> CardCommon {
    CardCommon {
        id: id.to_string(),
        version,
        inline: fields_of(ent).iter().map(|f| inline_view(c, ent, id, version, f, src, users)).collect(),
        phones: vec![],
        emails: vec![],
        address: String::new(),
        dates: vec![],
        notes: String::new(),
        custom: vec![],
        source: String::new(),
        created: String::new(),
        updated: String::new(),
        deleted: false,
        timeline: super::activity::TimelineBox::empty(),
    }
}

struct Shared<'a> {
    phones: &'a [Phone],
    emails: &'a [Email],
    address: Option<&'a Address>,
    dates: &'a [ImportantDate],
    notes: &'a Option<String>,
    custom: &'a Map<String, Value>,
    source: &'a Option<String>,
    created: chrono::DateTime<chrono::Utc>,
    updated: chrono::DateTime<chrono::Utc>,
    deleted: bool,
}

fn fill(k: &mut CardCommon, c: &Chrome, sh: Shared<'_>, defs: &[CustomFieldDef], users: &[(String, String)]) {
    k.phones = phone_views(c, sh.phones);
    k.emails = sh.emails.iter().map(|e| (e.address.clone(), c.t.get(&format!("email-kind-{}", e.kind)))).collect();
    k.address = address_line(sh.address);
    k.dates = date_views(c, sh.dates);
    k.notes = sh.notes.clone().unwrap_or_default();
    k.custom = custom_views(c, defs, sh.custom, users);
    k.source = sh.source.clone().unwrap_or_default();
    k.created = fmt_time(sh.created);
    k.updated = fmt_time(sh.updated);
    k.deleted = sh.deleted;
}

fn contact_src(x: &Contact) -> InlineSource {
    InlineSource {
        title: x.title.clone(),
        industry: None,
        lifecycle: x.lifecycle,
        owner: x.owner_id,
        tags: x.tags.clone(),
    }
}

fn company_src(x: &Company) -> InlineSource {
    InlineSource {
        title: None,
        industry: x.industry.clone(),
        lifecycle: x.lifecycle,
        owner: x.owner_id,
        tags: x.tags.clone(),
    }
}

pub async fn contact_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let view = match s.get_contact(&user.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let x = view.contact;
    let mut c = Chrome::for_user(&state, &headers, &user, "/contacts", "nav-contacts").await;
    c.title = x.display_name.clone();
    let users = users(s, &user.actor).await;
    let defs = s.list_custom_fields(&user.actor, Some("contact")).await.unwrap_or_default();
    let mut k = common(&c, Ent::Contact, id, x.version, &contact_src(&x), &users);
    fill(
        &mut k,
        &c,
        Shared {
            phones: &x.phones,
            emails: &x.emails,
            address: x.address.as_ref(),
            dates: &x.important_dates,
            notes: &x.notes,
            custom: &x.custom_fields,
            source: &x.source,
            created: x.created_at,
            updated: x.updated_at,
            deleted: x.deleted_at.is_some(),
        },
        &defs,
        &users,
    );
    k.timeline = record_timeline(&state, &user, &c, Related { kind: RelatedType::Contact, id }).await;
    let mut links = Vec::new();
    for l in view.company_links {
        let name = s.get_company(&user.actor, l.company_id).await.map(|co| co.name).unwrap_or_default();
        links.push(CompanyLinkView {
            id: l.company_id.to_string(),
            name,
            role: l.role.as_deref().map(|r| role_label(&c, r)).unwrap_or_default(),
            primary: l.is_primary,
        });
    }
    let shown = c.flash.is_some();
    let initial = x.display_name.chars().next().map(|ch| ch.to_uppercase().collect()).unwrap_or_default();
    render(StatusCode::OK, &ContactPage { c, k, name: x.display_name, initial, links }, shown)
}

// ---------- company card ----------

pub struct PersonView {
    pub id: String,
    pub name: String,
    pub title: String,
    pub role: String,
    pub primary: bool,
    pub phone: String,
    pub email: String,
}

pub struct Hit {
    pub id: String,
    pub title: String,
    pub subtitle: String,
}

#[derive(Template)]
#[template(path = "clients/company.html")]
struct CompanyPage {
    c: Chrome,
    k: CardCommon,
    co: Company,
    people: Vec<PersonView>,
    roles: Vec<(String, String)>,
    person_q: String,
    hits: Vec<Hit>,
}

#[derive(Template)]
#[template(path = "clients/_person_results.html")]
struct PersonResults {
    c: Chrome,
    person_q: String,
    hits: Vec<Hit>,
}

async fn person_hits(state: &AppState, user: &Authenticated, q: &str) -> Vec<Hit> {
    if q.trim().is_empty() {
        return vec![];
    }
    state
        .services()
        .search(&user.actor, q, Some(10))
        .await
        .map(|r| {
            r.contacts
                .into_iter()
                .map(|h| Hit { id: h.id.to_string(), title: h.title, subtitle: h.subtitle.unwrap_or_default() })
                .collect()
        })
        .unwrap_or_default()
}

pub async fn company_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let x = match s.get_company(&user.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut c = Chrome::for_user(&state, &headers, &user, "/companies", "nav-companies").await;
    c.title = x.name.clone();
    let users = users(s, &user.actor).await;
    let defs = s.list_custom_fields(&user.actor, Some("company")).await.unwrap_or_default();
    let mut k = common(&c, Ent::Company, id, x.version, &company_src(&x), &users);
    fill(
        &mut k,
        &c,
        Shared {
            phones: &x.phones,
            emails: &x.emails,
            address: x.address.as_ref(),
            dates: &x.important_dates,
            notes: &x.notes,
            custom: &x.custom_fields,
            source: &x.source,
            created: x.created_at,
            updated: x.updated_at,
            deleted: x.deleted_at.is_some(),
        },
        &defs,
        &users,
    );
    k.timeline = record_timeline(&state, &user, &c, Related { kind: RelatedType::Company, id }).await;
    let people = s
        .company_people(&user.actor, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(p, l)| PersonView {
            id: p.id.to_string(),
            name: p.display_name,
            title: p.title.unwrap_or_default(),
            role: l.role.as_deref().map(|r| role_label(&c, r)).unwrap_or_default(),
            primary: l.is_primary,
            phone: p.phones.first().map(|ph| ph.number.clone()).unwrap_or_default(),
            email: p.emails.first().map(|e| e.address.clone()).unwrap_or_default(),
        })
        .collect();
    let person_q = Pairs::from_query(q.as_deref()).get("person_q").unwrap_or_default().to_owned();
    let hits = person_hits(&state, &user, &person_q).await;
    let roles = role_options(&c);
    let shown = c.flash.is_some();
    render(StatusCode::OK, &CompanyPage { c, k, co: x, people, roles, person_q, hits }, shown)
}

pub async fn person_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
    Path(_id): Path<Uuid>,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/companies", "nav-companies").await;
    let person_q = Pairs::from_query(q.as_deref()).get("person_q").unwrap_or_default().to_owned();
    let hits = person_hits(&state, &user, &person_q).await;
    render(StatusCode::OK, &PersonResults { c, person_q, hits }, false)
}

pub async fn person_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let Some(contact_id) = p.uuid("contact_id") else {
        return error_page(&state, &headers, Some(&user), Error::invalid("contact_id", "choose a contact"));
    };
    let role = match p.get("role") {
        Some("other") => p.get("role_other").map(str::to_owned),
        Some(r) => Some(r.to_owned()),
        None => p.get("role_other").map(str::to_owned),
    };
    let req = LinkRequest { contact_id, role, is_primary: p.has("is_primary") };
    match state.services().link_person(&user.actor, id, req).await {
        Ok(_) => redirect_with_flash(&format!("/companies/{id}"), "person-added"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn person_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, contact_id)): Path<(Uuid, Uuid)>,
) -> Response {
    match state.services().unlink_person(&user.actor, id, contact_id).await {
        Ok(()) => redirect_with_flash(&format!("/companies/{id}"), "person-removed"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------- delete, erase ----------

pub async fn contact_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let version = Pairs::from_bytes(&body).get("version").and_then(|v| v.parse().ok());
    match state.services().delete_contact(&user.actor, id, version).await {
        Ok(()) => redirect_with_flash("/contacts", "contact-deleted"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn company_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let version = Pairs::from_bytes(&body).get("version").and_then(|v| v.parse().ok());
    match state.services().delete_company(&user.actor, id, version).await {
        Ok(()) => redirect_with_flash("/companies", "company-deleted"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn contact_erase(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().erase_person(&user.actor, id).await {
        Ok(_) => redirect_with_flash(&format!("/contacts/{id}"), "erased"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------- inline editing ----------

#[derive(Template)]
#[template(path = "clients/_inline.html")]
struct InlineFragment {
    c: Chrome,
    f: InlineView,
}

async fn load_src(ent: Ent, state: &AppState, user: &Authenticated, id: Uuid) -> Result<(InlineSource, i64), Error> {
    let s = state.services();
    Ok(match ent {
        Ent::Contact => {
            let x = s.get_contact(&user.actor, id).await?.contact;
            (contact_src(&x), x.version)
        }
        Ent::Company => {
            let x = s.get_company(&user.actor, id).await?;
            (company_src(&x), x.version)
        }
    })
}

fn inline_field(ent: Ent, field: &str) -> Option<&'static str> {
    fields_of(ent).iter().find(|f| **f == field).copied()
}

pub async fn contact_inline_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, field)): Path<(Uuid, String)>,
) -> Response {
    inline_get(Ent::Contact, &state, &headers, &user, id, &field).await
}

pub async fn company_inline_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, field)): Path<(Uuid, String)>,
) -> Response {
    inline_get(Ent::Company, &state, &headers, &user, id, &field).await
}

async fn inline_get(
    ent: Ent,
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    id: Uuid,
    field: &str,
) -> Response {
    let Some(field) = inline_field(ent, field) else {
        return error_page(state, headers, Some(user), Error::NotFound("field"));
    };
    if !is_htmx(headers) {
        return Redirect::to(&format!("{}/{id}/edit", ent.base())).into_response();
    }
    let (src, version) = match load_src(ent, state, user, id).await {
        Ok(x) => x,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let c = Chrome::for_user(state, headers, user, ent.base(), ent.nav_key()).await;
    let users = users(state.services(), &user.actor).await;
    let mut f = inline_view(&c, ent, id, version, field, &src, &users);
    f.editing = true;
    render(StatusCode::OK, &InlineFragment { c, f }, false)
}

pub async fn contact_inline_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, field)): Path<(Uuid, String)>,
    body: Bytes,
) -> Response {
    inline_post(Ent::Contact, &state, &headers, &user, id, &field, &Pairs::from_bytes(&body)).await
}

pub async fn company_inline_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, field)): Path<(Uuid, String)>,
    body: Bytes,
) -> Response {
    inline_post(Ent::Company, &state, &headers, &user, id, &field, &Pairs::from_bytes(&body)).await
}

async fn inline_post(
    ent: Ent,
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    id: Uuid,
    field: &str,
    p: &Pairs,
) -> Response {
    let Some(field) = inline_field(ent, field) else {
        return error_page(state, headers, Some(user), Error::NotFound("field"));
    };
    let raw = p.get("value").unwrap_or_default().to_owned();
    let value = match field {
        "tags" => json!(raw.split(',').map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>()),
        _ if raw.is_empty() => Value::Null,
        _ => json!(raw),
    };
    let mut patch = Map::new();
    patch.insert(field.to_owned(), value);
    let version = p.get("version").and_then(|v| v.parse::<i64>().ok());
    let s = state.services();
    let result = match ent {
        Ent::Contact => s.update_contact(&user.actor, id, patch, version, true).await.map(|v| {
            let x = v.contact;
            (contact_src(&x), x.version)
        }),
        Ent::Company => {
            s.update_company(&user.actor, id, patch, version, true).await.map(|x| (company_src(&x), x.version))
        }
    };
    if !is_htmx(headers) {
        return match result {
            Ok(_) => redirect_with_flash(&format!("{}/{id}", ent.base()), "saved"),
            Err(e) => error_page(state, headers, Some(user), e),
        };
    }
    let c = Chrome::for_user(state, headers, user, ent.base(), ent.nav_key()).await;
    let users = users(s, &user.actor).await;
    match result {
        Ok((src, version)) => {
            let f = inline_view(&c, ent, id, version, field, &src, &users);
            render(StatusCode::OK, &InlineFragment { c, f }, false)
        }
        Err(e) => {
            let (status, message) = match form_problem(e) {
                Ok(FormProblem::Stale) => (StatusCode::PRECONDITION_FAILED, c.t.get("inline-stale")),
                Ok(FormProblem::Fields(status, errs)) => {
                    (status, errs.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "))
                }
                Ok(FormProblem::Duplicate { message, .. }) => (StatusCode::CONFLICT, message),
                Err(e) => return error_page(state, headers, Some(user), e),
            };
            let (src, version) = match load_src(ent, state, user, id).await {
                Ok(x) => x,
                Err(e) => return error_page(state, headers, Some(user), e),
            };
            let mut f = inline_view(&c, ent, id, version, field, &src, &users);
            f.editing = true;
            f.error = message;
            if status != StatusCode::PRECONDITION_FAILED {
                f.value = raw;
                // Keep the version the user edited, so the same save can be tried again.
                f.version = p.get("version").and_then(|v| v.parse().ok()).unwrap_or(version);
            }
            render(status, &InlineFragment { c, f }, false)
        }
    }
}
