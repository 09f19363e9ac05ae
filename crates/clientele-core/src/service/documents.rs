//! Quotes and invoices from a deal: created as a snapshot of the deal (lines, totals, client)
//! and of the seller's details, numbered without gaps, rendered to PDF by `clientele-docs`
//! (on a blocking thread) and stored as a file; status changes as explicit operations; actual
//! payments recorded against an invoice mark it paid. Also the document settings: seller
//! details, logo, numbering patterns and templates.
//!
//! Documents follow their deal's reach: whoever reads the deal reads its documents; whoever
//! may change the deal creates and changes them.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, RecordKind, Scope, check_area, scope};
use crate::domain::audit;
use crate::domain::client::{Address, opt_text};
use crate::domain::deal::{self, Deal, DealItem, DealPayment, PaymentKind};
use crate::domain::document::{
    DOC_LANGUAGES, DocAction, DocKind, DocParty, DocStatus, Document, LabelValue, NumberPattern, format_amount,
    format_date, transition,
};
use crate::domain::export::StoredFile;
use crate::domain::money::format_minor;
use crate::domain::page::{Page, PageRequest};
use crate::domain::{new_id, now};
use crate::error::{Error, FieldError, Problems, Result};
use crate::store::{DocumentChange, DocumentQuery};

/// The settings key of [`DocumentSettings`].
pub const DOCUMENT_SETTINGS_KEY: &str = "documents";

/// Largest logo accepted.
pub const LOGO_MAX_BYTES: usize = 2 * 1024 * 1024;

pub const DOCUMENT_SORTS: &[&str] = &["created_at", "number"];

/// What documents are made with: the seller, the logo, numbering and templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DocumentSettings {
    /// The seller as printed: legal name, address lines, tax number, registrations, e-mail,
    /// phone, bank details.
    pub seller: DocParty,
    /// The logo (a stored PNG or JPEG), printed at the top left.
    pub logo_file_id: Option<Uuid>,
    /// e.g. `Q-{YYYY}-{SEQ:4}`.
    pub quote_pattern: String,
    /// e.g. `INV-{YYYY}-{SEQ:4}`.
    pub invoice_pattern: String,
    /// The administrator's template (TOML); `null`: the built-in one.
    pub quote_template: Option<String>,
    pub invoice_template: Option<String>,
    /// Days from the issue date to the due date of a new invoice.
    pub invoice_due_days: u32,
    /// Days a new quote is valid.
    pub quote_valid_days: u32,
    /// Printed on new documents (e.g. "Bank transfer within 14 days").
    pub payment_terms: Option<String>,
    /// Language of new documents: en, fr, ru, bg or ko.
    pub language: String,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        Self {
            seller: DocParty::default(),
            logo_file_id: None,
            quote_pattern: DocKind::Quote.default_pattern().into(),
            invoice_pattern: DocKind::Invoice.default_pattern().into(),
            quote_template: None,
            invoice_template: None,
            invoice_due_days: 14,
            quote_valid_days: 30,
            payment_terms: None,
            language: "en".into(),
        }
    }
}

impl DocumentSettings {
    pub fn pattern(&self, kind: DocKind) -> &str {
        match kind {
            DocKind::Quote => &self.quote_pattern,
            DocKind::Invoice => &self.invoice_pattern,
        }
    }

    pub fn template(&self, kind: DocKind) -> Option<&str> {
        match kind {
            DocKind::Quote => self.quote_template.as_deref(),
            DocKind::Invoice => self.invoice_template.as_deref(),
        }
    }
}

/// The settings with the built-in templates, for editing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentSettingsView {
    #[serde(flatten)]
    pub settings: DocumentSettings,
    pub default_quote_template: String,
    pub default_invoice_template: String,
}

/// A change of the document settings: the fields sent replace the current ones. A template
/// sent as `""` or `null` goes back to the built-in one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentSettingsInput {
    pub seller: Option<DocParty>,
    pub quote_pattern: Option<String>,
    pub invoice_pattern: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub quote_template: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub invoice_template: Option<Option<String>>,
    pub invoice_due_days: Option<u32>,
    pub quote_valid_days: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub payment_terms: Option<Option<String>>,
    pub language: Option<String>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /quotes`, `POST /invoices`: a document from a deal.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDocumentRequest {
    pub deal_id: Uuid,
    /// Invoices: the due date (default: issue date + the settings' days); quotes: valid until
    /// (also accepted as `valid_until`).
    #[serde(default, alias = "valid_until")]
    pub due_date: Option<NaiveDate>,
    /// en, fr, ru, bg or ko; default the settings' language.
    #[serde(default)]
    pub language: Option<String>,
    /// Default the settings' payment terms.
    #[serde(default)]
    pub payment_terms: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// `POST /quotes/{id}/invoice`: the invoice of a sent or accepted quote.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteToInvoiceRequest {
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// `POST /invoices/{id}/payments`: an actual payment of the deal recorded against the invoice.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicePaymentRequest {
    /// Default: what is still due.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub amount: Option<Value>,
    /// Default today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub note: Option<String>,
}

/// List filters of `GET /quotes` and `GET /invoices`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct DocumentListRequest {
    /// Only this status.
    pub status: Option<String>,
    /// Only the documents of this deal.
    pub deal_id: Option<Uuid>,
    /// 1-500, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `-created_at` (default), `created_at`, `number`, `-number`.
    pub sort: Option<String>,
}

/// A document as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    #[serde(flatten)]
    pub document: Document,
    /// A quote past its valid-until date, still unanswered.
    pub expired: bool,
    /// Invoices: total − paid (never below zero).
    pub outstanding: String,
}

impl DocumentView {
    fn of(document: Document) -> Self {
        let expired = document.expired(now().date_naive());
        let outstanding = format_minor(document.outstanding_minor(), &document.currency);
        Self { document, expired, outstanding }
    }
}

/// Keys of a document PATCH and what they mean.
const PATCHABLE: [&str; 6] = ["due_date", "valid_until", "language", "payment_terms", "notes", "refresh"];

fn not_found_as_document(e: Error) -> Error {
    match e {
        Error::NotFound(_) => Error::NotFound("document"),
        other => other,
    }
}

/// Payments are recorded against sent invoices only.
fn payable(inv: &Document) -> Result<()> {
    let why = match inv.status {
        DocStatus::Sent => return Ok(()),
        DocStatus::Draft => format!("invoice {} is a draft: send it first", inv.number),
        DocStatus::Paid => format!("invoice {} is already paid", inv.number),
        other => format!("invoice {} is {}", inv.number, other.as_str()),
    };
    Err(Error::conflict("invoice_id", why))
}

fn status_conflict(message: impl Into<String>) -> Error {
    Error::conflict("status", message)
}

fn check_language(field: &str, v: Option<&str>, default: &str, p: &mut Problems) -> String {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => default.to_owned(),
        Some(l) => {
            let l = l.to_ascii_lowercase();
            if DOC_LANGUAGES.contains(&l.as_str()) {
                l
            } else {
                p.add(field, format!("must be one of {}", DOC_LANGUAGES.join(", ")));
                default.to_owned()
            }
        }
    }
}

fn address_lines(a: Option<&Address>) -> Vec<String> {
    let Some(a) = a else { return vec![] };
    let city = [a.postal_code.as_deref(), a.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    [a.street.clone(), Some(city), a.region.clone(), a.country.clone()]
        .into_iter()
        .flatten()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Checks the seller's details, every problem named by path (`seller.address_lines[2]`).
fn check_party(field: &str, party: &DocParty, p: &mut Problems) -> DocParty {
    let f = |k: &str| format!("{field}.{k}");
    let name = opt_text(&f("name"), Some(&party.name), 200, false, p).unwrap_or_default();
    let mut lines = |key: &str, v: &[String]| -> Vec<String> {
        if v.len() > 10 {
            p.add(f(key), "at most 10 lines");
        }
        v.iter()
            .take(10)
            .enumerate()
            .filter_map(|(i, l)| opt_text(&format!("{field}.{key}[{i}]"), Some(l), 200, false, p))
            .collect()
    };
    let address_lines = lines("address_lines", &party.address_lines);
    let mut pairs = |key: &str, v: &[LabelValue]| -> Vec<LabelValue> {
        if v.len() > 10 {
            p.add(f(key), "at most 10 lines");
        }
        v.iter()
            .take(10)
            .enumerate()
            .filter_map(|(i, lv)| {
                let label = opt_text(&format!("{field}.{key}[{i}].label"), Some(&lv.label), 60, false, p);
                let value = opt_text(&format!("{field}.{key}[{i}].value"), Some(&lv.value), 200, false, p);
                match (label, value) {
                    (Some(label), Some(value)) => Some(LabelValue { label, value }),
                    (None, None) => None,
                    _ => {
                        p.add(format!("{field}.{key}[{i}]"), "needs a label and a value");
                        None
                    }
                }
            })
            .collect()
    };
    let registration = pairs("registration", &party.registration);
    let bank_details = pairs("bank_details", &party.bank_details);
    let email = opt_text(&f("email"), party.email.as_deref(), 200, false, p);
    if let Some(e) = &email
        && crate::domain::email::EmailAddress::parse(e).is_err()
    {
        p.add(f("email"), "is not a valid e-mail address");
    }
    DocParty {
        name,
        address_lines,
        tax_number: opt_text(&f("tax_number"), party.tax_number.as_deref(), 60, false, p),
        registration,
        contact_person: opt_text(&f("contact_person"), party.contact_person.as_deref(), 200, false, p),
        phone: opt_text(&f("phone"), party.phone.as_deref(), 60, false, p),
        email,
        bank_details,
    }
}

fn docs_kind(kind: DocKind) -> clientele_docs::DocumentKind {
    match kind {
        DocKind::Quote => clientele_docs::DocumentKind::Quote,
        DocKind::Invoice => clientele_docs::DocumentKind::Invoice,
    }
}

fn template_field(kind: DocKind) -> String {
    format!("{}_template", kind.as_str())
}

/// Maps a rendering failure: a template or logo problem is the administrator's to fix.
fn doc_error(kind: DocKind, e: clientele_docs::DocError) -> Error {
    match e {
        clientele_docs::DocError::Template(t) => Error::invalid(template_field(kind), t.to_string()),
        clientele_docs::DocError::Logo(m) => Error::invalid("logo", m),
        clientele_docs::DocError::Internal(m) => Error::Internal(anyhow::anyhow!("rendering a document: {m}")),
    }
}

fn party(p: &DocParty) -> clientele_docs::Party {
    let fields = |v: &[LabelValue]| v.iter().map(|x| clientele_docs::Field::new(&x.label, &x.value)).collect();
    clientele_docs::Party {
        name: p.name.clone(),
        address_lines: p.address_lines.clone(),
        tax_number: p.tax_number.clone(),
        registration: fields(&p.registration),
        contact_person: p.contact_person.clone(),
        phone: p.phone.clone(),
        email: p.email.clone(),
        bank_details: fields(&p.bank_details),
    }
}

/// The renderer's input: every amount and date formatted for the document's language. Each
/// line shows its amount after its discount and before tax; the subtotal is their sum, then
/// the tax and the total exactly as the deal computed them.
fn render_input(d: &Document, logo: Option<Vec<u8>>) -> clientele_docs::Document {
    let lang = d.language.as_str();
    let amount = |s: &str| format_amount(s, lang);
    let pct = |s: &str| (s != "0").then(|| format_amount(s, lang));
    let items = d
        .items
        .iter()
        .map(|i| clientele_docs::LineItem {
            name: i.name.clone(),
            description: None,
            quantity: format_amount(&i.quantity, lang),
            unit: i.unit.clone(),
            unit_price: amount(&i.unit_price),
            discount_percent: pct(&i.discount_pct),
            tax_percent: pct(&i.tax_pct),
            total: amount(&i.line_total),
        })
        .collect();
    let t = &d.totals;
    let has_tax = d.items.iter().any(|i| i.tax_minor != 0);
    clientele_docs::Document {
        kind: docs_kind(d.kind),
        number: d.number.clone(),
        lang: lang.to_owned(),
        labels: clientele_docs::Labels::for_locale(lang),
        issue_date: format_date(d.issue_date, lang),
        due_date: d.due_date.map(|x| format_date(x, lang)),
        currency: d.currency.clone(),
        seller: party(&d.seller),
        logo,
        buyer: party(&d.buyer),
        items,
        subtotal: amount(&t.net),
        discount_total: None,
        tax_total: has_tax.then(|| amount(&t.tax)),
        total: amount(&t.total),
        amount_due: (d.kind == DocKind::Invoice).then(|| amount(&format_minor(d.outstanding_minor(), &d.currency))),
        payment_terms: d.payment_terms.clone(),
        notes: d.notes.clone(),
        blocks: vec![],
    }
}

impl Services {
    // ---------------- settings ----------------

    /// The document settings as stored (defaults when never saved); no permission check.
    pub(crate) async fn document_settings(&self) -> Result<DocumentSettings> {
        match self.store.get_setting(DOCUMENT_SETTINGS_KEY).await? {
            Some(v) => serde_json::from_value(v)
                .map_err(|e| Error::Internal(anyhow::anyhow!("stored document settings are unreadable: {e}"))),
            None => Ok(DocumentSettings::default()),
        }
    }

    /// Administrators: the settings with the built-in templates.
    pub async fn get_document_settings(&self, actor: &Actor) -> Result<DocumentSettingsView> {
        check_area(actor, Area::Settings, Action::Update)?;
        Ok(DocumentSettingsView {
            settings: self.document_settings().await?,
            default_quote_template: clientele_docs::default_template(clientele_docs::DocumentKind::Quote).into(),
            default_invoice_template: clientele_docs::default_template(clientele_docs::DocumentKind::Invoice).into(),
        })
    }

    /// Administrators: changes the settings. Patterns are parsed, templates checked by
    /// rendering sample documents with them (errors name the line and the key); every bad
    /// field is reported at once and nothing is saved then.
    pub async fn update_document_settings(
        &self,
        actor: &Actor,
        input: DocumentSettingsInput,
    ) -> Result<DocumentSettingsView> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.document_settings().await?;
        let mut next = current.clone();
        let mut p = Problems::new();
        if let Some(seller) = &input.seller {
            next.seller = check_party("seller", seller, &mut p);
        }
        for (kind, v) in [(DocKind::Quote, &input.quote_pattern), (DocKind::Invoice, &input.invoice_pattern)] {
            let Some(v) = v else { continue };
            let field = format!("{}_pattern", kind.as_str());
            if p.check(NumberPattern::parse(&field, v)).is_some() {
                match kind {
                    DocKind::Quote => next.quote_pattern = v.trim().to_owned(),
                    DocKind::Invoice => next.invoice_pattern = v.trim().to_owned(),
                }
            }
        }
        for (kind, v) in [(DocKind::Quote, &input.quote_template), (DocKind::Invoice, &input.invoice_template)] {
            let Some(v) = v else { continue };
            let text = v.as_deref().filter(|t| !t.trim().is_empty()).map(str::to_owned);
            if let Some(t) = &text {
                let (k, t2) = (docs_kind(kind), t.clone());
                let checked = tokio::task::spawn_blocking(move || clientele_docs::validate_template(k, &t2))
                    .await
                    .map_err(|e| Error::Internal(anyhow::anyhow!("checking a template: {e}")))?;
                if let Err(e) = checked {
                    let e = doc_error(kind, e);
                    match e {
                        Error::Validation(v) => v.into_iter().for_each(|x| p.add(x.field, x.message)),
                        other => return Err(other),
                    }
                    continue;
                }
            }
            match kind {
                DocKind::Quote => next.quote_template = text,
                DocKind::Invoice => next.invoice_template = text,
            }
        }
        for (field, v, slot) in [
            ("invoice_due_days", input.invoice_due_days, &mut next.invoice_due_days),
            ("quote_valid_days", input.quote_valid_days, &mut next.quote_valid_days),
        ] {
            match v {
                Some(d) if d > 3650 => p.add(field, "must be from 0 to 3650 days"),
                Some(d) => *slot = d,
                None => {}
            }
        }
        if let Some(t) = &input.payment_terms {
            next.payment_terms = opt_text("payment_terms", t.as_deref(), 2000, true, &mut p);
        }
        if let Some(l) = &input.language {
            next.language = check_language("language", Some(l), &current.language, &mut p);
        }
        p.into_result()?;
        self.save_document_settings(actor, &current, &next).await?;
        self.get_document_settings(actor).await
    }

    async fn save_document_settings(
        &self,
        actor: &Actor,
        current: &DocumentSettings,
        next: &DocumentSettings,
    ) -> Result<()> {
        if current == next {
            return Ok(());
        }
        let changes = audit::diff(&to_json(current), &to_json(next));
        let audit = audit_entry(actor, "update", "setting", Uuid::nil(), json!({ DOCUMENT_SETTINGS_KEY: changes }));
        self.store.put_setting(DOCUMENT_SETTINGS_KEY, &to_json(next), &audit).await
    }

    /// Administrators: a new logo (PNG or JPEG that decodes), stored as a file. Documents
    /// made before keep the logo they were made with.
    pub async fn set_logo(&self, actor: &Actor, bytes: Vec<u8>) -> Result<DocumentSettingsView> {
        check_area(actor, Area::Settings, Action::Update)?;
        if bytes.is_empty() {
            return Err(Error::invalid("logo", "is empty"));
        }
        if bytes.len() > LOGO_MAX_BYTES {
            return Err(Error::invalid("logo", format!("must be at most {} KiB", LOGO_MAX_BYTES / 1024)));
        }
        let png = bytes.starts_with(b"\x89PNG");
        let check = bytes.clone();
        tokio::task::spawn_blocking(move || clientele_docs::validate_logo(&check))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("checking a logo: {e}")))?
            .map_err(|e| doc_error(DocKind::Invoice, e))?;
        let (name, ct) = if png { ("logo.png", "image/png") } else { ("logo.jpg", "image/jpeg") };
        let file = self.store_file(name, ct, actor.audit_id(), std::iter::once(Ok(bytes))).await?;
        let current = self.document_settings().await?;
        let next = DocumentSettings { logo_file_id: Some(file.id), ..current.clone() };
        self.save_document_settings(actor, &current, &next).await?;
        self.get_document_settings(actor).await
    }

    pub async fn remove_logo(&self, actor: &Actor) -> Result<DocumentSettingsView> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.document_settings().await?;
        let next = DocumentSettings { logo_file_id: None, ..current.clone() };
        self.save_document_settings(actor, &current, &next).await?;
        self.get_document_settings(actor).await
    }

    /// The logo file (administrators, for the settings page).
    pub async fn logo_file(&self, actor: &Actor) -> Result<StoredFile> {
        check_area(actor, Area::Settings, Action::Update)?;
        let id = self.document_settings().await?.logo_file_id.ok_or(Error::NotFound("logo"))?;
        self.store.get_file(id).await?.ok_or(Error::NotFound("logo"))
    }

    async fn file_bytes(&self, id: Uuid) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut seq = 0;
        while let Some(chunk) = self.store.get_chunk(id, seq).await? {
            out.extend_from_slice(&chunk);
            seq += 1;
        }
        Ok(out)
    }

    // ---------------- documents ----------------

    /// A document and its deal, if the actor's reach on the deal allows `action`.
    async fn document_for(&self, actor: &Actor, kind: DocKind, id: Uuid, action: Action) -> Result<(Document, Deal)> {
        let d = self.store.get_document(id).await?.filter(|d| d.kind == kind).ok_or(Error::NotFound("document"))?;
        let deal = self.deal_for(actor, d.deal_id, action).await.map_err(not_found_as_document)?;
        if action != Action::Read && deal.deleted_at.is_some() {
            return Err(Error::NotFound("document"));
        }
        Ok((d, deal))
    }

    /// The client of a deal as printed: its company (with the contact as contact person), or
    /// the contact alone.
    async fn buyer_of(&self, deal: &Deal) -> Result<DocParty> {
        let contact = match deal.contact_id {
            Some(id) => self.store.get_contact(id).await?,
            None => None,
        };
        let company = match deal.company_id {
            Some(id) => self.store.get_company(id).await?,
            None => None,
        };
        let first = |v: Option<String>| v.filter(|s| !s.is_empty());
        Ok(match (company, contact) {
            (Some(co), person) => DocParty {
                name: co.legal_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or(co.name.clone()),
                address_lines: address_lines(co.address.as_ref()),
                tax_number: co.tax_number.clone(),
                registration: vec![],
                contact_person: person.as_ref().map(|c| c.display_name.clone()),
                phone: first(co.phones.first().map(|x| x.number.clone()))
                    .or_else(|| person.as_ref().and_then(|c| c.phones.first()).map(|x| x.number.clone())),
                email: first(co.emails.first().map(|x| x.address.clone()))
                    .or_else(|| person.as_ref().and_then(|c| c.emails.first()).map(|x| x.address.clone())),
                bank_details: vec![],
            },
            (None, Some(c)) => DocParty {
                name: c.display_name.clone(),
                address_lines: address_lines(c.address.as_ref()),
                tax_number: None,
                registration: vec![],
                contact_person: None,
                phone: c.phones.first().map(|x| x.number.clone()),
                email: c.emails.first().map(|x| x.address.clone()),
                bank_details: vec![],
            },
            // No client on the deal: an empty buyer block (the UI says so).
            (None, None) => DocParty::default(),
        })
    }

    /// The deal's lines and totals, checked to be printable.
    async fn lines_of(&self, deal: &Deal) -> Result<(Vec<DealItem>, deal::DealTotals)> {
        let items = self.store.deal_items(deal.id, &deal.currency).await?;
        if items.is_empty() {
            return Err(Error::invalid("deal_id", "the deal has no line items; add what is sold first"));
        }
        let totals = deal::totals(&items, &deal.currency)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored line items out of range")))?;
        Ok((items, totals))
    }

    pub async fn create_document(
        &self,
        actor: &Actor,
        kind: DocKind,
        req: CreateDocumentRequest,
    ) -> Result<DocumentView> {
        let deal = self.deal_for(actor, req.deal_id, Action::Update).await?;
        if deal.deleted_at.is_some() {
            return Err(Error::NotFound("deal"));
        }
        let settings = self.document_settings().await?;
        let mut p = Problems::new();
        let language = check_language("language", req.language.as_deref(), &settings.language, &mut p);
        let payment_terms = match &req.payment_terms {
            Some(t) => opt_text("payment_terms", Some(t), 2000, true, &mut p),
            None => settings.payment_terms.clone(),
        };
        let notes = opt_text("notes", req.notes.as_deref(), 5000, true, &mut p);
        let issue = now().date_naive();
        let due = self.due_date(kind, &settings, issue, req.due_date, &mut p);
        let (items, totals) = match self.lines_of(&deal).await {
            Ok(x) => Some(x),
            Err(Error::Validation(v)) => {
                v.into_iter().for_each(|e| p.add(e.field, e.message));
                None
            }
            Err(e) => return Err(e),
        }
        .unzip();
        let pattern = p.check(
            NumberPattern::parse(&format!("{}_pattern", kind.as_str()), settings.pattern(kind))
                .map_err(|e| FieldError::new(e.field, format!("{} (fix it in the document settings)", e.message))),
        );
        p.into_result()?;
        let (Some(items), Some(totals), Some(pattern)) = (items, totals, pattern) else {
            return Err(Error::invalid("deal_id", "is invalid"));
        };
        let buyer = self.buyer_of(&deal).await?;
        let doc = self.new_document(actor, kind, &deal, issue, due, language, &settings, buyer, items, totals);
        let doc = Document { payment_terms, notes, ..doc };
        self.insert_and_render(actor, doc, &pattern).await
    }

    fn due_date(
        &self,
        kind: DocKind,
        settings: &DocumentSettings,
        issue: NaiveDate,
        asked: Option<NaiveDate>,
        p: &mut Problems,
    ) -> Option<NaiveDate> {
        let field = if kind == DocKind::Quote { "valid_until" } else { "due_date" };
        match asked {
            Some(d) if d < issue => {
                p.add(field, format!("must not be before the issue date ({issue})"));
                None
            }
            Some(d) => Some(d),
            None => {
                let days = if kind == DocKind::Quote { settings.quote_valid_days } else { settings.invoice_due_days };
                issue.checked_add_days(Days::new(u64::from(days)))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new_document(
        &self,
        actor: &Actor,
        kind: DocKind,
        deal: &Deal,
        issue: NaiveDate,
        due: Option<NaiveDate>,
        language: String,
        settings: &DocumentSettings,
        buyer: DocParty,
        items: Vec<DealItem>,
        totals: deal::DealTotals,
    ) -> Document {
        let at = now();
        Document {
            id: new_id(),
            version: 1,
            kind,
            number: String::new(),
            status: DocStatus::Draft,
            deal_id: deal.id,
            quote_id: None,
            issue_date: issue,
            due_date: due,
            currency: deal.currency.clone(),
            language,
            seller: settings.seller.clone(),
            logo_file_id: settings.logo_file_id,
            buyer,
            items,
            totals,
            paid: format_minor(0, &deal.currency),
            paid_minor: 0,
            payment_terms: settings.payment_terms.clone(),
            notes: None,
            file_id: None,
            file_version: None,
            sent_at: None,
            closed_at: None,
            created_by: actor.audit_id(),
            created_at: at,
            updated_at: at,
        }
    }

    async fn insert_and_render(
        &self,
        actor: &Actor,
        mut doc: Document,
        pattern: &NumberPattern,
    ) -> Result<DocumentView> {
        let audit = audit_entry(actor, "create", doc.kind.as_str(), doc.id, audit::created(&to_json(&doc)));
        doc.number = self.store.insert_document(&doc, pattern, &audit).await?;
        // The document exists with its number from here on; a PDF that cannot be made now
        // (a broken template) is made on the first download instead.
        if let Err(e) = self.render_and_store(&mut doc).await {
            tracing::warn!(document = %doc.id, error = %e, "the PDF of a new document could not be made");
        }
        Ok(DocumentView::of(doc))
    }

    /// Renders the document with the current template of its kind, stores the PDF and
    /// records it on the document (replacing the PDF of an earlier draft version).
    async fn render_and_store(&self, doc: &mut Document) -> Result<StoredFile> {
        let settings = self.document_settings().await?;
        let logo = match doc.logo_file_id {
            Some(id) => Some(self.file_bytes(id).await?).filter(|b| !b.is_empty()),
            None => None,
        };
        let input = render_input(doc, logo);
        let template = settings.template(doc.kind).map(str::to_owned);
        let kind = doc.kind;
        let pdf = tokio::task::spawn_blocking(move || clientele_docs::render_pdf(&input, template.as_deref()))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("rendering a document: {e}")))?
            .map_err(|e| doc_error(kind, e))?;
        let file =
            self.store_file(&doc.file_name(), "application/pdf", doc.created_by, std::iter::once(Ok(pdf))).await?;
        self.store.set_document_file(doc.id, file.id, doc.version).await?;
        if let Some(old) = doc.file_id.replace(file.id)
            && old != file.id
        {
            self.store.delete_file(old).await?;
        }
        doc.file_version = Some(doc.version);
        Ok(file)
    }

    /// A document whatever its kind (the web UI's document page).
    pub async fn document_by_id(&self, actor: &Actor, id: Uuid) -> Result<DocumentView> {
        let kind = self.store.get_document(id).await?.map(|d| d.kind).ok_or(Error::NotFound("document"))?;
        self.get_document(actor, kind, id).await
    }

    /// May the actor create and change the documents of this deal?
    pub async fn can_change_documents(&self, actor: &Actor, deal_id: Uuid) -> bool {
        self.deal_for(actor, deal_id, Action::Update).await.is_ok_and(|d| d.deleted_at.is_none())
    }

    pub async fn get_document(&self, actor: &Actor, kind: DocKind, id: Uuid) -> Result<DocumentView> {
        let (d, _) = self.document_for(actor, kind, id, Action::Read).await?;
        Ok(DocumentView::of(d))
    }

    pub async fn list_documents(
        &self,
        actor: &Actor,
        kind: DocKind,
        req: &DocumentListRequest,
    ) -> Result<Page<DocumentView>> {
        let mut p = Problems::new();
        let status = match req.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match DocStatus::parse(s).filter(|x| DocStatus::of(kind).contains(x)) {
                Some(x) => Some(x),
                None => {
                    let names: Vec<&str> = DocStatus::of(kind).iter().map(|x| x.as_str()).collect();
                    p.add("status", format!("must be one of {}", names.join(", ")));
                    None
                }
            },
        };
        let page = match PageRequest::parse(
            req.limit,
            req.cursor.as_deref(),
            req.sort.as_deref(),
            DOCUMENT_SORTS,
            "-created_at",
        ) {
            Ok(page) => Some(page),
            Err(errors) => {
                errors.into_iter().for_each(|e| p.add(e.field, e.message));
                None
            }
        };
        p.into_result()?;
        let Some(page) = page else { return Err(Error::invalid("cursor", "is invalid")) };
        let scope = scope(actor, RecordKind::Deal, Action::Read);
        if scope == Scope::Nothing {
            return Ok(Page { data: vec![], next_cursor: None });
        }
        let q = DocumentQuery { kind, scope, status, deal_id: req.deal_id, page };
        Ok(self.store.list_documents(&q).await?.map(DocumentView::of))
    }

    /// Changes a draft (JSON merge of `due_date`/`valid_until`, `language`, `payment_terms`,
    /// `notes`; `"refresh": true` takes the deal's lines, totals and client and the seller's
    /// details again) and renders it again. Anything but a draft is refused (409).
    pub async fn update_document(
        &self,
        actor: &Actor,
        kind: DocKind,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
    ) -> Result<DocumentView> {
        let (current, deal) = self.document_for(actor, kind, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        let mut p = Problems::new();
        for k in patch.keys().filter(|k| !PATCHABLE.contains(&k.as_str())) {
            let why = match k.as_str() {
                "status" => {
                    format!("changes only through the operations: POST /api/v1/{}s/{id}/send, ...", kind.as_str())
                }
                "number" => "never changes".to_owned(),
                "items" | "totals" | "buyer" | "seller" | "currency" => {
                    "is a snapshot; change the deal or the settings, then send \"refresh\": true".to_owned()
                }
                _ => format!("is not a field that can be changed; these can: {}", PATCHABLE.join(", ")),
            };
            p.add(k.clone(), why);
        }
        if !current.editable() {
            return Err(status_conflict(format!(
                "a {} {} cannot change any more (only drafts can)",
                current.status.as_str(),
                kind.as_str()
            )));
        }
        let settings = self.document_settings().await?;
        let mut next = current.clone();
        let text = |k: &str, max: usize, p: &mut Problems| -> Option<Option<String>> {
            patch.get(k).map(|v| match v {
                Value::Null => None,
                Value::String(s) => opt_text(k, Some(s), max, true, p),
                _ => {
                    p.add(k, "must be text or null");
                    None
                }
            })
        };
        if let Some(v) = text("payment_terms", 2000, &mut p) {
            next.payment_terms = v;
        }
        if let Some(v) = text("notes", 5000, &mut p) {
            next.notes = v;
        }
        if let Some(v) = patch.get("language") {
            next.language = check_language("language", v.as_str(), &current.language, &mut p);
            if !v.is_string() {
                p.add("language", format!("must be one of {}", DOC_LANGUAGES.join(", ")));
            }
        }
        for key in ["due_date", "valid_until"] {
            match patch.get(key) {
                None => {}
                Some(Value::Null) => next.due_date = None,
                Some(Value::String(s)) => match s.trim().parse::<NaiveDate>() {
                    Ok(d) => next.due_date = self.due_date(kind, &settings, current.issue_date, Some(d), &mut p),
                    Err(_) => p.add(key, "must be a date (YYYY-MM-DD)"),
                },
                Some(_) => p.add(key, "must be a date (YYYY-MM-DD) or null"),
            }
        }
        let refresh = match patch.get("refresh") {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(_) => {
                p.add("refresh", "must be true or false");
                false
            }
        };
        if refresh {
            match self.lines_of(&deal).await {
                Ok((items, totals)) => {
                    next.items = items;
                    next.totals = totals;
                    next.currency = deal.currency.clone();
                }
                Err(Error::Validation(v)) => v.into_iter().for_each(|e| p.add("refresh", e.message)),
                Err(e) => return Err(e),
            }
            next.buyer = self.buyer_of(&deal).await?;
            next.seller = settings.seller.clone();
            next.logo_file_id = settings.logo_file_id;
        }
        p.into_result()?;
        if next == current {
            return Ok(DocumentView::of(current));
        }
        next.version = current.version + 1;
        next.updated_at = now();
        let action = if refresh { "refreshed" } else { "update" };
        let audit = audit_entry(actor, action, kind.as_str(), id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_document(&next, current.version, &audit).await?;
        if let Err(e) = self.render_and_store(&mut next).await {
            tracing::warn!(document = %id, error = %e, "the PDF of a changed draft could not be made");
        }
        Ok(DocumentView::of(next))
    }

    /// An explicit status change: send (draft → sent), accept or decline (a sent quote),
    /// cancel (an invoice, draft or sent; it keeps its number). Refusals are conflicts (409)
    /// on `status`. Sending makes the PDF final first.
    pub async fn document_action(
        &self,
        actor: &Actor,
        kind: DocKind,
        id: Uuid,
        action: DocAction,
        if_match: Option<i64>,
    ) -> Result<DocumentView> {
        let (mut current, _) = self.document_for(actor, kind, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        let to = transition(kind, current.status, action).map_err(status_conflict)?;
        if action == DocAction::Send && current.file_version != Some(current.version) {
            // The PDF that goes out is the one rendered from this very version.
            self.render_and_store(&mut current).await?;
        }
        let at = now();
        let mut next = current.clone();
        next.status = to;
        next.version = current.version + 1;
        next.updated_at = at;
        match action {
            DocAction::Send => next.sent_at = Some(at),
            _ => next.closed_at = Some(at),
        }
        let verb = match to {
            DocStatus::Sent => "sent",
            DocStatus::Accepted => "accepted",
            DocStatus::Declined => "declined",
            DocStatus::Cancelled => "cancelled",
            DocStatus::Paid => "paid",
            DocStatus::Draft => "update",
        };
        let audit = audit_entry(actor, verb, kind.as_str(), id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_document(&next, current.version, &audit).await?;
        Ok(DocumentView::of(next))
    }

    /// The invoice of a sent or accepted quote: its lines, client and seller as the quote has
    /// them. A quote is invoiced once (unless that invoice was cancelled).
    pub async fn invoice_from_quote(
        &self,
        actor: &Actor,
        quote_id: Uuid,
        req: QuoteToInvoiceRequest,
    ) -> Result<DocumentView> {
        let (quote, deal) = self.document_for(actor, DocKind::Quote, quote_id, Action::Update).await?;
        if !matches!(quote.status, DocStatus::Sent | DocStatus::Accepted) {
            return Err(status_conflict(format!(
                "only a sent or accepted quote is invoiced; this one is {}",
                quote.status.as_str()
            )));
        }
        let existing = self
            .store
            .list_documents(&DocumentQuery {
                kind: DocKind::Invoice,
                scope: Scope::All,
                status: None,
                deal_id: Some(deal.id),
                page: PageRequest::parse(Some(500), None, None, DOCUMENT_SORTS, "-created_at")
                    .map_err(Error::Validation)?,
            })
            .await?;
        if let Some(inv) =
            existing.data.iter().find(|i| i.quote_id == Some(quote_id) && i.status != DocStatus::Cancelled)
        {
            return Err(Error::Conflict {
                message: format!("this quote is already invoiced as {}", inv.number),
                field: Some("quote_id".into()),
                existing_id: Some(inv.id),
            });
        }
        let settings = self.document_settings().await?;
        let mut p = Problems::new();
        let issue = now().date_naive();
        let due = self.due_date(DocKind::Invoice, &settings, issue, req.due_date, &mut p);
        let notes = opt_text("notes", req.notes.as_deref(), 5000, true, &mut p);
        let pattern = p.check(NumberPattern::parse("invoice_pattern", &settings.invoice_pattern));
        p.into_result()?;
        let Some(pattern) = pattern else { return Err(Error::invalid("invoice_pattern", "is invalid")) };
        let mut doc = self.new_document(
            actor,
            DocKind::Invoice,
            &deal,
            issue,
            due,
            quote.language.clone(),
            &settings,
            quote.buyer.clone(),
            quote.items.clone(),
            quote.totals.clone(),
        );
        doc.quote_id = Some(quote_id);
        doc.currency = quote.currency.clone();
        doc.seller = quote.seller.clone();
        doc.logo_file_id = quote.logo_file_id;
        doc.payment_terms = quote.payment_terms.clone();
        doc.notes = notes.or(quote.notes.clone());
        self.insert_and_render(actor, doc, &pattern).await
    }

    /// The stored PDF; made now when missing, or when a draft changed since it was made. A
    /// document that is no longer a draft keeps the PDF it had.
    pub async fn document_pdf(&self, actor: &Actor, kind: DocKind, id: Uuid) -> Result<StoredFile> {
        let (mut d, _) = self.document_for(actor, kind, id, Action::Read).await?;
        let stale = d.editable() && d.file_version != Some(d.version);
        if let Some(file_id) = d.file_id.filter(|_| !stale)
            && let Some(f) = self.store.get_file(file_id).await?
        {
            return Ok(f);
        }
        self.render_and_store(&mut d).await
    }

    /// Records an actual payment of the deal against an invoice (default: what is still due).
    pub async fn pay_invoice(
        &self,
        actor: &Actor,
        id: Uuid,
        req: InvoicePaymentRequest,
    ) -> Result<(DealPayment, DocumentView)> {
        let (inv, deal) = self.document_for(actor, DocKind::Invoice, id, Action::Update).await?;
        payable(&inv)?;
        let amount = req.amount.unwrap_or_else(|| Value::String(format_minor(inv.outstanding_minor(), &inv.currency)));
        let payment = self
            .add_payment(
                actor,
                deal.id,
                super::PaymentRequest {
                    kind: PaymentKind::Actual.as_str().into(),
                    date: req.date,
                    amount,
                    note: req.note,
                    invoice_id: Some(id),
                },
            )
            .await?;
        let (inv, _) = self.document_for(actor, DocKind::Invoice, id, Action::Read).await?;
        Ok((payment, DocumentView::of(inv)))
    }

    /// The invoice a new payment of `deal` counts towards, and its change. An actual payment
    /// naming an invoice counts towards it (it must be a sent invoice of this deal); an
    /// actual payment naming none goes to the deal's oldest sent invoice, if there is one.
    /// When the actual payments of an invoice reach its total, it is paid.
    pub(super) async fn invoice_for_payment(
        &self,
        actor: &Actor,
        deal: &Deal,
        payment: &mut DealPayment,
    ) -> Result<Option<DocumentChange>> {
        let invoice = match payment.invoice_id {
            Some(id) => {
                let inv = self
                    .store
                    .get_document(id)
                    .await?
                    .filter(|d| d.kind == DocKind::Invoice && d.deal_id == deal.id)
                    .ok_or_else(|| Error::invalid("invoice_id", "no such invoice of this deal"))?;
                if payment.kind == PaymentKind::Planned {
                    return Ok(None);
                }
                payable(&inv)?;
                inv
            }
            None if payment.kind == PaymentKind::Actual => {
                let sent = self
                    .store
                    .list_documents(&DocumentQuery {
                        kind: DocKind::Invoice,
                        scope: Scope::All,
                        status: Some(DocStatus::Sent),
                        deal_id: Some(deal.id),
                        page: PageRequest::parse(Some(1), None, Some("created_at"), DOCUMENT_SORTS, "created_at")
                            .map_err(Error::Validation)?,
                    })
                    .await?;
                match sent.data.into_iter().next() {
                    Some(inv) => inv,
                    None => return Ok(None),
                }
            }
            None => return Ok(None),
        };
        payment.invoice_id = Some(invoice.id);
        let mut next = invoice.clone();
        next.paid_minor = invoice.paid_minor.saturating_add(payment.amount_minor);
        next.paid = format_minor(next.paid_minor, &next.currency);
        let paid = next.paid_minor >= next.totals.total_minor;
        if paid {
            next.status = DocStatus::Paid;
            next.closed_at = Some(payment.created_at);
        }
        Ok(Some(self.invoice_change(actor, invoice, next, if paid { "paid" } else { "payment_recorded" })))
    }

    /// The change of the invoice a removed actual payment counted towards: its paid amount
    /// goes down, and a paid invoice no longer covered is sent (unpaid) again.
    pub(super) async fn invoice_for_removed_payment(
        &self,
        actor: &Actor,
        payment: &DealPayment,
    ) -> Result<Option<DocumentChange>> {
        let Some(id) = payment.invoice_id.filter(|_| payment.kind == PaymentKind::Actual) else { return Ok(None) };
        let Some(invoice) = self.store.get_document(id).await? else { return Ok(None) };
        let mut next = invoice.clone();
        next.paid_minor = (invoice.paid_minor - payment.amount_minor).max(0);
        next.paid = format_minor(next.paid_minor, &next.currency);
        let reopened = invoice.status == DocStatus::Paid && next.paid_minor < next.totals.total_minor;
        if reopened {
            next.status = DocStatus::Sent;
            next.closed_at = None;
        }
        Ok(Some(self.invoice_change(actor, invoice, next, if reopened { "reopened" } else { "payment_removed" })))
    }

    fn invoice_change(&self, actor: &Actor, current: Document, mut next: Document, action: &str) -> DocumentChange {
        next.version = current.version + 1;
        next.updated_at = now();
        let audit = audit_entry(
            actor,
            action,
            DocKind::Invoice.as_str(),
            current.id,
            audit::diff(&to_json(&current), &to_json(&next)),
        );
        DocumentChange { document: next, expected_version: current.version, audit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_lines() {
        let a = Address {
            street: Some("12 rue de la Paix".into()),
            city: Some("Paris".into()),
            postal_code: Some("75002".into()),
            region: None,
            country: Some("FR".into()),
        };
        assert_eq!(address_lines(Some(&a)), ["12 rue de la Paix", "75002 Paris", "FR"]);
        assert!(address_lines(None).is_empty());
    }

    #[test]
    fn the_seller_is_checked_field_by_field() {
        let mut p = Problems::new();
        let bad = DocParty {
            name: "Acme".into(),
            email: Some("not-an-address".into()),
            bank_details: vec![LabelValue { label: "IBAN".into(), value: String::new() }],
            ..DocParty::default()
        };
        check_party("seller", &bad, &mut p);
        let fields: Vec<String> = p.into_errors().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["seller.bank_details[0]", "seller.email"]);
    }
}
