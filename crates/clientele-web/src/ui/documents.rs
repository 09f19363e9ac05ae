//! Quotes and invoices in the web UI: the Documents section of the deal card, the document
//! page (lines, totals, status operations, payments, the draft's form, the PDF), and the
//! document settings page (seller, logo, numbering, templates).

use askama::Template;
use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::domain::document::{DOC_LANGUAGES, DocAction, DocKind, DocParty, DocStatus, LabelValue};
use clientele_core::service::{
    CreateDocumentRequest, DocumentListRequest, DocumentSettings, DocumentSettingsInput, DocumentView,
    InvoicePaymentRequest, QuoteToInvoiceRequest,
};
use clientele_core::{Error, FieldError};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients_common::{Pairs, fmt_time};
use super::settings::{Errs, form_errors};
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::download::stream_file;
use crate::state::AppState;

/// One document in the deal card's list.
pub struct DocRow {
    pub id: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub number: String,
    pub status: &'static str,
    pub status_label: String,
    pub total: String,
    pub issue_date: String,
    pub due_date: String,
    pub expired: bool,
    /// (operation, label, style) buttons for the next steps.
    pub actions: Vec<(&'static str, String, &'static str)>,
    pub version: i64,
}

/// The Documents section of a deal card.
pub struct DealDocuments {
    pub deal_id: String,
    pub rows: Vec<DocRow>,
    pub can_create: bool,
    pub has_items: bool,
}

fn status_label(c: &Chrome, s: DocStatus) -> String {
    c.t.get(&format!("doc-status-{}", s.as_str()))
}

fn kind_label(c: &Chrome, k: DocKind) -> String {
    c.t.get(&format!("doc-kind-{}", k.as_str()))
}

/// The status operations open to a document, as buttons.
fn actions(c: &Chrome, v: &DocumentView) -> Vec<(&'static str, String, &'static str)> {
    let d = &v.document;
    let b = |op: &'static str, style: &'static str| (op, c.t.get(&format!("doc-op-{op}")), style);
    match (d.kind, d.status) {
        (_, DocStatus::Draft) if d.kind == DocKind::Invoice => {
            vec![b("send", "button-primary"), b("cancel", "button-ghost")]
        }
        (_, DocStatus::Draft) => vec![b("send", "button-primary")],
        (DocKind::Quote, DocStatus::Sent) => {
            vec![b("accept", "button-ok"), b("decline", "button-ghost"), b("invoice", "")]
        }
        (DocKind::Quote, DocStatus::Accepted) => vec![b("invoice", "button-primary")],
        (DocKind::Invoice, DocStatus::Sent) => vec![b("cancel", "button-ghost")],
        _ => vec![],
    }
}

fn money(amount: &str, currency: &str) -> String {
    format!("{amount} {currency}")
}

fn row(c: &Chrome, v: &DocumentView) -> DocRow {
    let d = &v.document;
    DocRow {
        id: d.id.to_string(),
        kind: d.kind.as_str(),
        kind_label: kind_label(c, d.kind),
        number: d.number.clone(),
        status: d.status.as_str(),
        status_label: status_label(c, d.status),
        total: money(&d.totals.total, &d.currency),
        issue_date: d.issue_date.to_string(),
        due_date: d.due_date.map(|x| x.to_string()).unwrap_or_default(),
        expired: v.expired,
        actions: actions(c, v),
        version: d.version,
    }
}

/// The documents of a deal for its card (quotes and invoices, newest first).
pub async fn deal_documents(
    state: &AppState,
    user: &Authenticated,
    c: &Chrome,
    deal_id: Uuid,
    has_items: bool,
) -> DealDocuments {
    let s = state.services();
    let mut rows = Vec::new();
    for kind in [DocKind::Invoice, DocKind::Quote] {
        let req = DocumentListRequest { deal_id: Some(deal_id), limit: Some(100), ..Default::default() };
        if let Ok(page) = s.list_documents(&user.actor, kind, &req).await {
            rows.extend(page.data.iter().map(|v| row(c, v)));
        }
    }
    rows.sort_by(|a, b| b.id.cmp(&a.id));
    DealDocuments {
        deal_id: deal_id.to_string(),
        rows,
        can_create: s.can_change_documents(&user.actor, deal_id).await,
        has_items,
    }
}

/// `POST /deals/{id}/documents`: a quote or an invoice from the deal, then its page.
pub async fn create_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(deal_id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let kind = if p.get("kind") == Some("quote") { DocKind::Quote } else { DocKind::Invoice };
    let req = CreateDocumentRequest { deal_id, ..Default::default() };
    match state.services().create_document(&user.actor, kind, req).await {
        Ok(v) => {
            redirect_with_flash(&format!("/documents/{}", v.document.id), &format!("doc-created-{}", kind.as_str()))
        }
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "documents/page.html")]
struct DocumentPage {
    c: Chrome,
    v: DocumentView,
    r: DocRow,
    deal_title: String,
    can_change: bool,
    languages: Vec<(&'static str, String)>,
    paid: String,
    outstanding: String,
    sent_at: String,
    closed_at: String,
    quote_number: Option<(String, String)>,
    errs: Errs,
    today: String,
}

impl DocumentPage {
    fn has_tax(&self) -> bool {
        self.v.document.items.iter().any(|i| i.tax_minor != 0)
    }
}

async fn document_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    id: Uuid,
    errs: Errs,
    status: StatusCode,
) -> Response {
    let s = state.services();
    let v = match s.document_by_id(&user.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let mut c = Chrome::for_user(state, headers, user, "/deals", "nav-deals").await;
    let d = &v.document;
    c.title = format!("{} {}", kind_label(&c, d.kind), d.number);
    let deal_title = s.get_deal(&user.actor, d.deal_id).await.map(|x| x.deal.title).unwrap_or_default();
    let quote_number = match d.quote_id {
        Some(q) => {
            s.get_document(&user.actor, DocKind::Quote, q).await.ok().map(|x| (q.to_string(), x.document.number))
        }
        None => None,
    };
    let page = DocumentPage {
        r: row(&c, &v),
        deal_title,
        can_change: s.can_change_documents(&user.actor, d.deal_id).await,
        languages: DOC_LANGUAGES.iter().map(|l| (*l, c.t.get(&format!("locale-{l}")))).collect(),
        paid: money(&d.paid, &d.currency),
        outstanding: money(&v.outstanding, &d.currency),
        sent_at: d.sent_at.map(fmt_time).unwrap_or_default(),
        closed_at: d.closed_at.map(fmt_time).unwrap_or_default(),
        quote_number,
        errs,
        today: chrono::Utc::now().date_naive().to_string(),
        v,
        c,
    };
    let shown = page.c.flash.is_some();
    render(status, &page, shown)
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    document_page(&state, &headers, &user, id, Errs::default(), StatusCode::OK).await
}

/// The page again with the errors of its forms, or the error page.
async fn with_errors(state: &AppState, headers: &HeaderMap, user: &Authenticated, id: Uuid, e: Error) -> Response {
    match form_errors(e) {
        Ok((status, errs)) => document_page(state, headers, user, id, errs, status).await,
        Err(e) => error_page(state, headers, Some(user), e),
    }
}

/// `POST /documents/{id}`: the draft's form.
pub async fn edit_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let s = state.services();
    let kind = match s.document_by_id(&user.actor, id).await {
        Ok(v) => v.document.kind,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let opt = |k: &str| p.get(k).map_or(Value::Null, |v| json!(v));
    let mut patch = Map::new();
    patch.insert("due_date".into(), opt("due_date"));
    patch.insert("language".into(), json!(p.str("language")));
    patch.insert("payment_terms".into(), opt("payment_terms"));
    patch.insert("notes".into(), opt("notes"));
    if p.has("refresh") {
        patch.insert("refresh".into(), json!(true));
    }
    let version = p.get("version").and_then(|v| v.parse().ok());
    match s.update_document(&user.actor, kind, id, patch, version).await {
        Ok(_) => redirect_with_flash(&format!("/documents/{id}"), "doc-saved"),
        Err(e) => with_errors(&state, &headers, &user, id, e).await,
    }
}

/// `POST /documents/{id}/{op}`: send, accept, decline, cancel, invoice (a quote), pay.
pub async fn op_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, op)): Path<(Uuid, String)>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let s = state.services();
    let kind = match s.document_by_id(&user.actor, id).await {
        Ok(v) => v.document.kind,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let version = p.get("version").and_then(|v| v.parse().ok());
    let back = p.get("back").filter(|b| b.starts_with("/deals/")).map(str::to_owned);
    let action = match op.as_str() {
        "send" => Some(DocAction::Send),
        "accept" => Some(DocAction::Accept),
        "decline" => Some(DocAction::Decline),
        "cancel" => Some(DocAction::Cancel),
        _ => None,
    };
    let result: Result<(Uuid, String), Error> = match (action, op.as_str()) {
        (Some(a), _) => s.document_action(&user.actor, kind, id, a, version).await.map(|_| (id, format!("doc-{op}"))),
        (None, "invoice") => s
            .invoice_from_quote(&user.actor, id, QuoteToInvoiceRequest::default())
            .await
            .map(|v| (v.document.id, "doc-created-invoice".to_owned())),
        (None, "pay") => {
            let date = match p.date("date") {
                Ok(d) => d,
                Err(e) => return with_errors(&state, &headers, &user, id, e).await,
            };
            let req = InvoicePaymentRequest {
                amount: p.get("amount").map(|a| json!(a)),
                date,
                note: p.get("note").map(str::to_owned),
            };
            s.pay_invoice(&user.actor, id, req).await.map(|_| (id, "doc-paid".to_owned()))
        }
        _ => Err(Error::NotFound("page")),
    };
    match result {
        Ok((target, flash)) => match back {
            Some(b) => redirect_with_flash(&b, &flash),
            None => redirect_with_flash(&format!("/documents/{target}"), &flash),
        },
        Err(e) => with_errors(&state, &headers, &user, id, e).await,
    }
}

/// `GET /documents/{id}/pdf`.
pub async fn pdf_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services().clone();
    let file = match s.document_by_id(&user.actor, id).await {
        Ok(v) => s.document_pdf(&user.actor, v.document.kind, id).await,
        Err(e) => Err(e),
    };
    match file {
        Ok(f) => stream_file(s, &f),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------------- settings ----------------

/// The settings form's values as typed.
#[derive(Default)]
pub struct SettingsForm {
    pub name: String,
    pub address: String,
    pub tax_number: String,
    pub registration: String,
    pub bank: String,
    pub email: String,
    pub phone: String,
    pub quote_pattern: String,
    pub invoice_pattern: String,
    pub invoice_due_days: String,
    pub quote_valid_days: String,
    pub payment_terms: String,
    pub language: String,
    pub quote_template: String,
    pub invoice_template: String,
}

fn lines_of(v: &[LabelValue]) -> String {
    v.iter().map(|x| format!("{}: {}", x.label, x.value)).collect::<Vec<_>>().join("\n")
}

fn label_values(text: &str) -> Vec<LabelValue> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(':') {
            Some((a, b)) => LabelValue { label: a.trim().to_owned(), value: b.trim().to_owned() },
            None => LabelValue { label: l.to_owned(), value: String::new() },
        })
        .collect()
}

impl SettingsForm {
    fn from_settings(s: &DocumentSettings) -> Self {
        Self {
            name: s.seller.name.clone(),
            address: s.seller.address_lines.join("\n"),
            tax_number: s.seller.tax_number.clone().unwrap_or_default(),
            registration: lines_of(&s.seller.registration),
            bank: lines_of(&s.seller.bank_details),
            email: s.seller.email.clone().unwrap_or_default(),
            phone: s.seller.phone.clone().unwrap_or_default(),
            quote_pattern: s.quote_pattern.clone(),
            invoice_pattern: s.invoice_pattern.clone(),
            invoice_due_days: s.invoice_due_days.to_string(),
            quote_valid_days: s.quote_valid_days.to_string(),
            payment_terms: s.payment_terms.clone().unwrap_or_default(),
            language: s.language.clone(),
            quote_template: s.quote_template.clone().unwrap_or_default(),
            invoice_template: s.invoice_template.clone().unwrap_or_default(),
        }
    }

    fn from_pairs(p: &Pairs) -> Self {
        Self {
            name: p.str("seller_name"),
            address: p.str("seller_address"),
            tax_number: p.str("seller_tax_number"),
            registration: p.str("seller_registration"),
            bank: p.str("seller_bank"),
            email: p.str("seller_email"),
            phone: p.str("seller_phone"),
            quote_pattern: p.str("quote_pattern"),
            invoice_pattern: p.str("invoice_pattern"),
            invoice_due_days: p.str("invoice_due_days"),
            quote_valid_days: p.str("quote_valid_days"),
            payment_terms: p.str("payment_terms"),
            language: p.str("language"),
            quote_template: p.str("quote_template"),
            invoice_template: p.str("invoice_template"),
        }
    }

    /// The settings change, with the form's own problems (days that are not numbers).
    fn input(&self) -> (DocumentSettingsInput, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut days = |field: &str, v: &str| -> Option<u32> {
            match v.trim().parse::<u32>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::new(field, "must be a whole number of days"));
                    None
                }
            }
        };
        let opt = |v: &str| Some(v.trim().to_owned()).filter(|x| !x.is_empty());
        let input = DocumentSettingsInput {
            seller: Some(DocParty {
                name: self.name.trim().to_owned(),
                address_lines: self
                    .address
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                tax_number: opt(&self.tax_number),
                registration: label_values(&self.registration),
                contact_person: None,
                phone: opt(&self.phone),
                email: opt(&self.email),
                bank_details: label_values(&self.bank),
            }),
            quote_pattern: Some(self.quote_pattern.clone()),
            invoice_pattern: Some(self.invoice_pattern.clone()),
            quote_template: Some(opt(&self.quote_template)),
            invoice_template: Some(opt(&self.invoice_template)),
            invoice_due_days: days("invoice_due_days", &self.invoice_due_days),
            quote_valid_days: days("quote_valid_days", &self.quote_valid_days),
            payment_terms: Some(opt(&self.payment_terms)),
            language: Some(self.language.clone()),
        };
        (input, errors)
    }
}

#[derive(Template)]
#[template(path = "settings/documents.html")]
struct SettingsPage {
    c: Chrome,
    f: SettingsForm,
    has_logo: bool,
    languages: Vec<(&'static str, String)>,
    default_quote_template: String,
    default_invoice_template: String,
    errs: Errs,
}

impl SettingsPage {
    /// Every message of the fields under `prefix` (`seller.bank_details` covers its lines).
    fn err_under(&self, prefix: &str) -> Option<String> {
        let msgs: Vec<String> = self
            .errs
            .0
            .iter()
            .filter(|e| {
                e.field == prefix
                    || e.field.starts_with(&format!("{prefix}["))
                    || e.field.starts_with(&format!("{prefix}."))
            })
            .map(|e| match e.field.strip_prefix(prefix) {
                Some("") => e.message.clone(),
                Some(rest) => format!("{rest}: {}", e.message),
                None => e.message.clone(),
            })
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("; "))
    }
}

async fn settings_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    form: Option<SettingsForm>,
    errs: Errs,
    status: StatusCode,
) -> Response {
    let view = match state.services().get_document_settings(&user.actor).await {
        Ok(v) => v,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-documents").await;
    let page = SettingsPage {
        f: form.unwrap_or_else(|| SettingsForm::from_settings(&view.settings)),
        has_logo: view.settings.logo_file_id.is_some(),
        languages: DOC_LANGUAGES.iter().map(|l| (*l, c.t.get(&format!("locale-{l}")))).collect(),
        default_quote_template: view.default_quote_template,
        default_invoice_template: view.default_invoice_template,
        errs,
        c,
    };
    let shown = page.c.flash.is_some();
    render(status, &page, shown)
}

pub async fn settings_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    settings_page(&state, &headers, &user, None, Errs::default(), StatusCode::OK).await
}

pub async fn settings_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let form = SettingsForm::from_pairs(&Pairs::from_bytes(&body));
    let (input, mut errors) = form.input();
    let result = state.services().update_document_settings(&user.actor, input).await;
    match result {
        Ok(_) if errors.is_empty() => redirect_with_flash("/settings/documents", "doc-settings-saved"),
        Ok(_) => {
            settings_page(&state, &headers, &user, Some(form), Errs(errors), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => match form_errors(e) {
            Ok((status, Errs(more))) => {
                errors.extend(more);
                settings_page(&state, &headers, &user, Some(form), Errs(errors), status).await
            }
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

/// `POST /settings/documents/logo`: a multipart form with the `logo` file.
pub async fn logo_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let mut bytes = None;
    if let Ok(mut mp) = multipart {
        while let Ok(Some(field)) = mp.next_field().await {
            if field.name() == Some("logo") {
                bytes = field.bytes().await.ok().map(|b| b.to_vec());
            }
        }
    }
    let result = match bytes {
        Some(b) => state.services().set_logo(&user.actor, b).await,
        None => Err(Error::invalid("logo", "choose a PNG or JPEG file")),
    };
    match result {
        Ok(_) => redirect_with_flash("/settings/documents", "doc-logo-saved"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => settings_page(&state, &headers, &user, None, errs, status).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

pub async fn logo_remove(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    match state.services().remove_logo(&user.actor).await {
        Ok(_) => redirect_with_flash("/settings/documents", "doc-logo-removed"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn logo_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let s = state.services().clone();
    match s.logo_file(&user.actor).await {
        Ok(f) => stream_file(s, &f),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
