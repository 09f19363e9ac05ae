//! Imports and exports in the web UI: upload → mapping → preview → the background run with
//! live progress → report (also as CSV and XLSX) → undo; and exports of a list or of a
//! selection, polled until the file is ready for download.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use clientele_core::domain::export::{ExportFormat, ExportRequest, ExportStatus};
use clientele_core::domain::import::{DuplicatePolicy, Import, ImportReject, ImportSettings, ImportStatus};
use clientele_core::domain::import_map::{self, ImportEntity};
use clientele_core::domain::now;
use clientele_core::service::{NewImport, PresetRequest, PreviewRow, RowAction};
use clientele_core::{Error, FieldError};
use serde_json::Value;
use uuid::Uuid;

use super::clients_common::{Pairs, fmt_time, show, users};
use super::list_kinds::ListKind;
use super::settings::Errs;
use super::{Chrome, error_page, is_htmx, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::download::{attachment, stream_file};
use crate::state::AppState;

/// Largest file the upload form accepts.
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;
/// Rejected and skipped rows shown on the page (the downloads have them all).
const REPORT_SHOWN: u32 = 200;
/// Rows of the preview.
const PREVIEW_ROWS: u32 = 20;
/// Regions offered for phone numbers written without a country code.
const REGIONS: &[&str] = &["RU", "BY", "KZ", "UA", "BG", "FR", "BE", "CH", "KR", "DE", "GB", "US", "CA"];

fn entity_key(e: ImportEntity) -> &'static str {
    match e {
        ImportEntity::Contacts => "contacts",
        ImportEntity::Companies => "companies",
    }
}

fn parse_entity(s: &str) -> Option<ImportEntity> {
    match s {
        "contacts" | "contact" => Some(ImportEntity::Contacts),
        "companies" | "company" => Some(ImportEntity::Companies),
        _ => None,
    }
}

/// The label of a mapping target: translated when the locale has it, else the English label
/// the mapping module gives, else the key.
fn target_label(c: &Chrome, key: &str, custom: &[(String, String)]) -> String {
    if let Some((_, l)) = custom.iter().find(|(k, _)| k == key) {
        return l.clone();
    }
    let k = format!("imp-field-{}", key.replace('.', "-"));
    let s = c.t.get(&k);
    if s != k {
        return s;
    }
    import_map::target_fields().iter().find(|f| f.key == key).map(|f| f.label.to_owned()).unwrap_or_else(|| key.into())
}

fn status_label(c: &Chrome, s: ImportStatus) -> String {
    c.t.get(&format!("imp-status-{}", s.as_str()))
}

fn human_seconds(secs: i64) -> String {
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, (secs % 3600) / 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

fn field_errors(e: Error) -> Result<(StatusCode, Errs), Error> {
    match e {
        Error::Validation(v) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Errs(v))),
        Error::Conflict { message, field, .. } => {
            Ok((StatusCode::CONFLICT, Errs(vec![FieldError::new(field.unwrap_or_else(|| "form".into()), message)])))
        }
        Error::PreconditionFailed { .. } => Ok((
            StatusCode::PRECONDITION_FAILED,
            Errs(vec![FieldError::new("form", "someone else changed this import meanwhile; reload and try again")]),
        )),
        other => Err(other),
    }
}

// ---------------------------------------------------------------------------------------
// The list of imports and the upload form
// ---------------------------------------------------------------------------------------

pub struct ImportRow {
    pub id: String,
    pub file_name: String,
    pub entity: String,
    pub status: &'static str,
    pub status_label: String,
    pub rows_total: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub rejected: i64,
    pub dry_run: bool,
    pub when: String,
}

#[derive(Template)]
#[template(path = "imports/index.html")]
struct IndexPage {
    c: Chrome,
    rows: Vec<ImportRow>,
    entity: String,
    errs: Errs,
    limit_text: String,
    too_large: String,
    limit_bytes: usize,
}

async fn index_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    status: StatusCode,
    entity: String,
    errs: Errs,
) -> Response {
    let c = Chrome::for_user(state, headers, user, "/imports", "imp-title").await;
    let list = match state.services().list_imports(&user.actor).await {
        Ok(l) => l,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let rows = list
        .into_iter()
        .map(|i| ImportRow {
            id: i.id.to_string(),
            file_name: i.file_name.clone(),
            entity: c.t.get(&format!("imp-entity-{}", entity_key(i.entity))),
            status: i.status.as_str(),
            status_label: status_label(&c, i.status),
            rows_total: i.rows_total,
            created: i.created,
            updated: i.updated,
            skipped: i.skipped,
            rejected: i.rejected,
            dry_run: i.dry_run,
            when: fmt_time(i.created_at),
        })
        .collect();
    let shown = c.flash.is_some();
    let limit_text = c.t.with("imp-upload-limit", &[("limit", (UPLOAD_LIMIT / (1024 * 1024)).to_string().as_str())]);
    let too_large = c.t.with("imp-upload-too-large", &[("limit", (UPLOAD_LIMIT / (1024 * 1024)).to_string().as_str())]);
    render(status, &IndexPage { c, rows, entity, errs, limit_text, too_large, limit_bytes: UPLOAD_LIMIT }, shown)
}

pub async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let p = Pairs::from_query(q.as_deref());
    let entity = p.get("entity").and_then(parse_entity).map(entity_key).unwrap_or("contacts").to_owned();
    index_page(&state, &headers, &user, StatusCode::OK, entity, Errs::default()).await
}

/// The multipart upload: stores the file, analyses it and opens the wizard.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let fail = |status: StatusCode, entity: String, field: &str, msg: String| {
        let state = state.clone();
        let headers = headers.clone();
        let user = user.clone();
        let field = field.to_owned();
        async move { index_page(&state, &headers, &user, status, entity, Errs(vec![FieldError::new(field, msg)])).await }
    };
    let c = Chrome::anonymous(&state, &headers, "imp-title");
    let mut mp = match multipart {
        Ok(m) => m,
        Err(_) => {
            return fail(StatusCode::BAD_REQUEST, "contacts".into(), "file", c.t.get("imp-upload-not-multipart")).await;
        }
    };
    let too_large = c.t.with("imp-upload-too-large", &[("limit", (UPLOAD_LIMIT / (1024 * 1024)).to_string().as_str())]);
    let mut entity = "contacts".to_owned();
    let mut file: Option<(String, clientele_core::service::FileWriter)> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let (status, msg) = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    (StatusCode::PAYLOAD_TOO_LARGE, too_large.clone())
                } else {
                    (StatusCode::BAD_REQUEST, e.body_text())
                };
                return fail(status, entity, "file", msg).await;
            }
        };
        match field.name().unwrap_or_default() {
            "entity" => {
                entity = field.text().await.unwrap_or_default();
            }
            "file" => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let ct = field.content_type().unwrap_or("application/octet-stream").to_owned();
                // Written to the database as it arrives: an upload is never held in memory.
                let s = state.services();
                let mut w = match s.new_file(&name, &ct, Some(user.actor.user_id)).await {
                    Ok(w) => w,
                    Err(e) => return error_page(&state, &headers, Some(&user), e),
                };
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(b)) => {
                            if let Err(e) = w.push(s, &b).await {
                                let _ = w.abort(s).await;
                                return error_page(&state, &headers, Some(&user), e);
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let _ = w.abort(s).await;
                            let (status, msg) = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                                (StatusCode::PAYLOAD_TOO_LARGE, too_large.clone())
                            } else {
                                (StatusCode::BAD_REQUEST, e.body_text())
                            };
                            return fail(status, entity, "file", msg).await;
                        }
                    }
                }
                if let Some((_, old)) = file.take() {
                    let _ = clientele_core::service::FileWriter::abort(old, s).await;
                }
                file = Some((name, w));
            }
            _ => {}
        }
    }
    let Some(ent) = parse_entity(&entity) else {
        if let Some((_, w)) = file {
            let _ = w.abort(state.services()).await;
        }
        return fail(StatusCode::UNPROCESSABLE_ENTITY, "contacts".into(), "entity", c.t.get("imp-upload-entity")).await;
    };
    let s = state.services();
    let Some((name, w)) = file else {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, entity, "file", c.t.get("imp-upload-choose")).await;
    };
    if name.trim().is_empty() || w.size() == 0 {
        let _ = w.abort(s).await;
        return fail(StatusCode::UNPROCESSABLE_ENTITY, entity, "file", c.t.get("imp-upload-choose")).await;
    }
    let stored = match w.finish(s).await {
        Ok(f) => f,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let file_id = stored.id;
    match s
        .create_import(&user.actor, NewImport { file_name: name, entity: ent }, stored, ImportSettings::default())
        .await
    {
        Ok(i) => Redirect::to(&format!("/imports/{}", i.id)).into_response(),
        Err(e) => {
            // The service removes a file it could not read; a refused mapping leaves it.
            let _ = s.store().delete_file(file_id).await;
            match field_errors(e) {
                Ok((status, errs)) => index_page(&state, &headers, &user, status, entity, errs).await,
                Err(e) => error_page(&state, &headers, Some(&user), e),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// One import: the wizard, the progress and the report
// ---------------------------------------------------------------------------------------

/// The import as every state of the page shows it.
pub struct ImportView {
    pub id: String,
    pub file_name: String,
    pub entity: &'static str,
    pub entity_label: String,
    pub status: &'static str,
    pub status_label: String,
    pub format: String,
    pub encoding: String,
    pub delimiter: String,
    pub sheet: String,
    pub rows_total: i64,
    pub rows_label: String,
    pub rows_done: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub rejected: i64,
    pub percent: i64,
    pub rate: String,
    pub eta: String,
    pub dry_run: bool,
    pub error: String,
    pub active: bool,
    pub can_cancel: bool,
    pub can_undo: bool,
    pub undo: Option<(i64, i64, i64)>,
    pub finished: String,
}

fn import_view(c: &Chrome, i: &Import) -> ImportView {
    let at = now();
    let delimiter = match i.analysis.delimiter.as_deref() {
        Some("\\t") => c.t.get("imp-delim-tab"),
        Some(d) => d.to_owned(),
        None => String::new(),
    };
    ImportView {
        id: i.id.to_string(),
        file_name: i.file_name.clone(),
        entity: entity_key(i.entity),
        entity_label: c.t.get(&format!("imp-entity-{}", entity_key(i.entity))),
        status: i.status.as_str(),
        status_label: status_label(c, i.status),
        format: i.analysis.format.to_uppercase(),
        encoding: i.analysis.encoding.clone().unwrap_or_default(),
        delimiter,
        sheet: i.analysis.sheet.clone().unwrap_or_default(),
        rows_total: i.rows_total,
        rows_label: c.t.count("imp-rows-count", i.rows_total),
        rows_done: i.rows_done,
        created: i.created,
        updated: i.updated,
        skipped: i.skipped,
        rejected: i.rejected,
        percent: if i.rows_total > 0 { (i.rows_done * 100 / i.rows_total).clamp(0, 100) } else { 0 },
        rate: i
            .rate(at)
            .map(|r| c.t.with("imp-rate-value", &[("rate", format!("{r:.0}").as_str())]))
            .unwrap_or_default(),
        eta: i.eta_seconds(at).map(human_seconds).unwrap_or_default(),
        dry_run: i.dry_run,
        error: i.error.clone().unwrap_or_default(),
        active: i.status.is_active(),
        can_cancel: matches!(i.status, ImportStatus::Queued | ImportStatus::Running),
        can_undo: matches!(i.status, ImportStatus::Done | ImportStatus::Cancelled | ImportStatus::Failed)
            && !i.dry_run
            && (i.created > 0 || i.updated > 0),
        undo: i.analysis.undo.as_ref().map(|u| (u.removed, u.restored, u.kept_changed)),
        finished: i.finished_at.map(fmt_time).unwrap_or_default(),
    }
}

/// One option of a select: (value, label, selected).
pub type Opt = (String, String, bool);

pub struct ColumnView {
    pub index: usize,
    pub header: String,
    pub samples: Vec<String>,
    pub selected: String,
    pub suggested_label: String,
    pub reason: String,
    pub error: Option<String>,
}

/// The mapping form of an import not yet run.
pub struct Wizard {
    pub encodings: Vec<Opt>,
    pub delimiters: Vec<Opt>,
    pub sheets: Vec<Opt>,
    pub builtin_presets: Vec<Opt>,
    pub saved_presets: Vec<Opt>,
    pub columns: Vec<ColumnView>,
    /// (group label, [(key, label)]).
    pub groups: Vec<(String, Vec<(String, String)>)>,
    pub duplicates: &'static str,
    pub update_fields: Vec<Opt>,
    pub regions: Vec<Opt>,
    pub owners: Vec<Opt>,
    pub tags: String,
    pub preset_name: String,
}

pub struct PreviewView {
    pub row: i64,
    pub action: &'static str,
    pub action_label: String,
    pub name: String,
    pub name_err: bool,
    pub phones: Vec<String>,
    pub phones_err: bool,
    pub emails: Vec<String>,
    pub emails_err: bool,
    pub company: String,
    pub company_note: String,
    pub company_err: bool,
    pub errors: Vec<String>,
    pub duplicate: String,
    pub duplicate_href: String,
    pub cells: String,
}

pub struct RejectView {
    pub row: i64,
    pub reasons: Vec<String>,
    pub cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "imports/show.html")]
struct ShowPage {
    c: Chrome,
    v: ImportView,
    wizard: Option<Wizard>,
    preview: Option<Vec<PreviewView>>,
    report: Vec<RejectView>,
    report_more: bool,
    errs: Errs,
}

#[derive(Template)]
#[template(path = "imports/_progress.html")]
struct ProgressPartial {
    c: Chrome,
    v: ImportView,
}

fn opt(v: impl Into<String>, l: impl Into<String>, sel: bool) -> Opt {
    (v.into(), l.into(), sel)
}

async fn custom_targets(state: &AppState, user: &Authenticated, c: &Chrome) -> Vec<(String, String)> {
    let defs = state.services().list_custom_fields(&user.actor, None).await.unwrap_or_default();
    defs.into_iter()
        .map(|d| {
            let side = if d.entity == "company" { c.t.get("imp-group-company") } else { c.t.get("imp-group-contact") };
            (format!("{}.custom.{}", d.entity, d.key), format!("{side}: {}", d.label))
        })
        .collect()
}

async fn wizard(
    state: &AppState,
    user: &Authenticated,
    c: &Chrome,
    i: &Import,
    s: &ImportSettings,
    errs: &Errs,
    preset_name: String,
) -> Wizard {
    let custom = custom_targets(state, user, c).await;
    let mut contact = Vec::new();
    let mut company = Vec::new();
    for f in import_map::target_fields() {
        let item = (f.key.to_owned(), target_label(c, f.key, &custom));
        if f.entity == "company" { company.push(item) } else { contact.push(item) }
    }
    let mut groups = vec![(c.t.get("imp-group-contact"), contact), (c.t.get("imp-group-company"), company)];
    if i.entity == ImportEntity::Companies {
        groups.reverse();
    }
    if !custom.is_empty() {
        groups.push((c.t.get("imp-group-custom"), custom.clone()));
    }
    let columns = i
        .analysis
        .columns
        .iter()
        .enumerate()
        .map(|(n, col)| {
            let selected = s.mapping.get(n).cloned().flatten().filter(|m| m != "ignore").unwrap_or_default();
            ColumnView {
                index: n,
                header: col.header.clone(),
                samples: col.samples.iter().take(3).cloned().collect(),
                selected,
                suggested_label: col.suggested.as_deref().map(|k| target_label(c, k, &custom)).unwrap_or_default(),
                reason: if col.suggested.is_some() {
                    c.t.get(&format!("imp-reason-{}", col.reason))
                } else {
                    c.t.get("imp-reason-none")
                },
                error: errs.get(&format!("mapping[{n}]")),
            }
        })
        .collect();
    let enc = s.encoding.clone().unwrap_or_default();
    let mut encodings = vec![opt(
        "",
        c.t.with("imp-detected", &[("value", i.analysis.encoding.as_deref().unwrap_or("—"))]),
        enc.is_empty(),
    )];
    encodings.extend(clientele_io::encodings().iter().map(|e| opt(*e, *e, enc == *e)));
    let delim = s.delimiter.clone().unwrap_or_default();
    let detected_delim = match i.analysis.delimiter.as_deref() {
        Some("\\t") => c.t.get("imp-delim-tab"),
        Some(d) => d.to_owned(),
        None => "—".to_owned(),
    };
    let delimiters = vec![
        opt("", c.t.with("imp-detected", &[("value", detected_delim.as_str())]), delim.is_empty()),
        opt(",", c.t.get("imp-delim-comma"), delim == ","),
        opt(";", c.t.get("imp-delim-semicolon"), delim == ";"),
        opt("\\t", c.t.get("imp-delim-tab"), delim == "\\t" || delim == "\t"),
        opt("|", c.t.get("imp-delim-pipe"), delim == "|"),
    ];
    let current_sheet = s.sheet.clone().or_else(|| i.analysis.sheet.clone()).unwrap_or_default();
    let sheets = i.analysis.sheets.iter().map(|n| opt(n.clone(), n.clone(), *n == current_sheet)).collect();
    let effective_preset = s.preset.clone().or_else(|| i.analysis.preset.clone()).unwrap_or_default();
    let presets = state.services().list_presets(&user.actor, Some(i.entity)).await.ok();
    let (builtin_presets, saved_presets) = match presets {
        Some(pl) => (
            pl.builtin.into_iter().map(|p| opt(p.key.clone(), p.name, p.key == effective_preset)).collect(),
            pl.saved
                .into_iter()
                .map(|p| {
                    let id = p.id.to_string();
                    let sel = id == effective_preset;
                    opt(id, p.name, sel)
                })
                .collect(),
        ),
        None => (vec![], vec![]),
    };
    let mut mapped: Vec<String> = Vec::new();
    for m in s.mapping.iter().flatten() {
        if m != "ignore" && !mapped.contains(m) {
            mapped.push(m.clone());
        }
    }
    for f in &s.update_fields {
        if !mapped.contains(f) {
            mapped.push(f.clone());
        }
    }
    let update_fields =
        mapped.iter().map(|k| opt(k.clone(), target_label(c, k, &custom), s.update_fields.contains(k))).collect();
    let region = s.region.clone().unwrap_or_default();
    let mut regions = vec![opt("", c.t.get("imp-region-default"), region.is_empty())];
    regions.extend(REGIONS.iter().map(|r| opt(*r, *r, region.eq_ignore_ascii_case(r))));
    if !region.is_empty() && !REGIONS.iter().any(|r| region.eq_ignore_ascii_case(r)) {
        regions.push(opt(region.clone(), region.clone(), true));
    }
    let owner = s.default_owner_id.map(|o| o.to_string()).unwrap_or_default();
    let mut owners = vec![opt("", c.t.get("imp-owner-me"), owner.is_empty())];
    owners.extend(users(state.services(), &user.actor).await.into_iter().map(|(id, name)| {
        let sel = id == owner;
        opt(id, name, sel)
    }));
    Wizard {
        encodings,
        delimiters,
        sheets,
        builtin_presets,
        saved_presets,
        columns,
        groups,
        duplicates: match s.duplicates {
            DuplicatePolicy::Skip => "skip",
            DuplicatePolicy::Update => "update",
            DuplicatePolicy::Create => "create",
        },
        update_fields,
        regions,
        owners,
        tags: s.tags.join(", "),
        preset_name,
    }
}

fn list_of(v: Option<&Value>, key: &str) -> Vec<Value> {
    v.and_then(|x| x.get(key)).and_then(Value::as_array).cloned().unwrap_or_default()
}

fn preview_view(c: &Chrome, entity: ImportEntity, r: &PreviewRow) -> PreviewView {
    let action = match r.action {
        RowAction::Create => "create",
        RowAction::Update => "update",
        RowAction::Skip => "skip",
        RowAction::Reject => "reject",
    };
    // The main record of the row, and the company of a contact.
    let (main, company) = match entity {
        ImportEntity::Contacts => (r.contact.as_ref(), r.company.as_ref()),
        ImportEntity::Companies => (r.company.as_ref(), None),
    };
    let name = main
        .and_then(|m| m.get("display_name").or_else(|| m.get("name")))
        .map(show)
        .filter(|n| !n.is_empty())
        .unwrap_or_default();
    let mut phones: Vec<String> = list_of(main, "phones")
        .iter()
        .map(|p| {
            let number = show(&p["number"]);
            match p.get("e164").and_then(Value::as_str) {
                Some(e) if e != number => format!("{number} → {e}"),
                _ => number,
            }
        })
        .collect();
    let mut emails: Vec<String> = list_of(main, "emails").iter().map(|e| show(&e["address"])).collect();
    let company_name = company.and_then(|co| co.get("name")).map(show).unwrap_or_default();
    let company_note = match r.company_action.as_deref() {
        Some("create") => c.t.get("imp-company-create"),
        Some("link") => c.t.get("imp-company-link"),
        _ => String::new(),
    };
    let has = |needle: &str| r.errors.iter().any(|e| e.field.contains(needle));
    // The cells as typed, for the errors whose value did not make it into the record.
    let raw = |needle: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in r.errors.iter().filter(|e| e.field.contains(needle)) {
            if let Some(v) = e.column.and_then(|col| r.cells.get(col)).filter(|v| !v.is_empty())
                && !out.contains(v)
            {
                out.push(v.clone());
            }
        }
        out
    };
    let company_err = entity == ImportEntity::Contacts && r.errors.iter().any(|e| e.field.starts_with("company"));
    let name_err = r.errors.iter().any(|e| {
        let f = &e.field;
        f.contains("name") && !(entity == ImportEntity::Contacts && f.starts_with("company"))
    });
    for v in raw("phones") {
        if !phones.iter().any(|p| p.starts_with(&v)) {
            phones.push(v);
        }
    }
    for v in raw("emails") {
        if !emails.contains(&v) {
            emails.push(v);
        }
    }
    let (duplicate, duplicate_href) = match &r.duplicate {
        Some(d) => match (d.row, d.existing_id) {
            (Some(row), _) => (
                c.t.with("imp-dup-row", &[("row", row.to_string().as_str()), ("matched", d.matched.as_str())]),
                String::new(),
            ),
            (None, Some(id)) => (
                c.t.with("imp-dup-existing", &[("matched", d.matched.as_str())]),
                format!("/{}/{id}", if entity == ImportEntity::Companies { "companies" } else { "contacts" }),
            ),
            _ => (d.matched.clone(), String::new()),
        },
        None => (String::new(), String::new()),
    };
    PreviewView {
        row: r.row_number,
        action,
        action_label: c.t.get(&format!("imp-action-{action}")),
        name,
        name_err,
        phones,
        phones_err: has("phones"),
        emails,
        emails_err: has("emails"),
        company: company_name,
        company_note,
        company_err,
        errors: r
            .errors
            .iter()
            .map(|e| match &e.header {
                Some(h) => format!("{h}: {}", e.message),
                None => format!("{}: {}", e.field, e.message),
            })
            .collect(),
        duplicate,
        duplicate_href,
        cells: if main.is_none() { r.cells.join(" · ") } else { String::new() },
    }
}

fn reject_view(i: &Import, r: ImportReject) -> RejectView {
    let headers: Vec<&str> = i.analysis.columns.iter().map(|c| c.header.as_str()).collect();
    RejectView {
        row: r.row_number,
        reasons: r
            .errors
            .iter()
            .map(|e| match &e.header {
                Some(h) => format!("{h}: {}", e.message),
                None => e.message.clone(),
            })
            .collect(),
        cells: r
            .cells
            .into_iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(n, v)| (headers.get(n).map(|h| (*h).to_owned()).unwrap_or_else(|| format!("#{}", n + 1)), v))
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    i: &Import,
    settings: Option<&ImportSettings>,
    preview: Option<Vec<PreviewRow>>,
    status: StatusCode,
    errs: Errs,
    flash: Option<String>,
    preset_name: String,
) -> Response {
    let mut c = Chrome::for_user(state, headers, user, "/imports", "imp-title").await;
    c.title = format!("{} · {}", c.t.get("imp-title"), i.file_name);
    let shown = c.flash.is_some();
    if flash.is_some() {
        c.flash = flash;
    }
    let v = import_view(&c, i);
    let wizard = if i.status == ImportStatus::Uploaded {
        Some(wizard(state, user, &c, i, settings.unwrap_or(&i.settings), &errs, preset_name).await)
    } else {
        None
    };
    let preview = preview.map(|rows| rows.iter().map(|r| preview_view(&c, i.entity, r)).collect());
    let (report, report_more) = if matches!(i.status, ImportStatus::Uploaded) || v.active {
        (vec![], false)
    } else {
        match state.services().import_report(&user.actor, i.id, 0, REPORT_SHOWN + 1).await {
            Ok(mut r) => {
                let more = r.len() > REPORT_SHOWN as usize;
                r.truncate(REPORT_SHOWN as usize);
                (r.into_iter().map(|x| reject_view(i, x)).collect(), more)
            }
            Err(e) => return error_page(state, headers, Some(user), e),
        }
    };
    render(status, &ShowPage { c, v, wizard, preview, report, report_more, errs }, shown)
}

pub async fn show_import(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().get_import(&user.actor, id).await {
        Ok(i) => {
            show_page(&state, &headers, &user, &i, None, None, StatusCode::OK, Errs::default(), None, String::new())
                .await
        }
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// The choices of the wizard form, on top of the import's current settings.
fn settings_from(p: &Pairs, i: &Import) -> ImportSettings {
    let current = &i.settings;
    let mut s = current.clone();
    s.encoding = p.get("encoding").map(str::to_owned);
    s.delimiter = p.get("delimiter").map(str::to_owned);
    s.sheet =
        p.get("sheet").map(str::to_owned).filter(|sh| Some(sh) != i.analysis.sheet.as_ref() || current.sheet.is_some());
    // Choosing the preset already in effect (the detected one) changes nothing; choosing
    // another one re-reads the file and replaces the mapping with the preset's.
    let effective = current.preset.clone().or_else(|| i.analysis.preset.clone());
    let posted = p.get("preset").map(str::to_owned);
    s.preset = if posted == effective { current.preset.clone() } else { posted };
    let reread = s.encoding != current.encoding || s.delimiter != current.delimiter || s.sheet != current.sheet;
    s.mapping = if reread || s.preset != current.preset {
        Vec::new()
    } else {
        p.all("map").into_iter().map(|m| Some(m).filter(|m| !m.is_empty() && m != "ignore")).collect()
    };
    s.duplicates = match p.get("duplicates") {
        Some("update") => DuplicatePolicy::Update,
        Some("create") => DuplicatePolicy::Create,
        _ => DuplicatePolicy::Skip,
    };
    s.update_fields = if s.duplicates == DuplicatePolicy::Update { p.all("update_fields") } else { Vec::new() };
    s.region = p.get("region").map(str::to_owned);
    s.default_owner_id = p.uuid("default_owner_id");
    s.tags = p.str("tags").split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    s
}

/// The wizard's form: saves the choices, then previews, starts, saves a preset or just
/// shows the page again (after changing how the file is read).
pub async fn configure(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let s = state.services();
    let current = match s.get_import(&user.actor, id).await {
        Ok(i) => i,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    if current.status != ImportStatus::Uploaded {
        return Redirect::to(&format!("/imports/{id}")).into_response();
    }
    let settings = settings_from(&p, &current);
    let action = p.get("do").unwrap_or("preview").to_owned();
    let preset_name = p.str("preset_name");
    let fail = |i: Import, st: StatusCode, errs: Errs| {
        let state = state.clone();
        let headers = headers.clone();
        let user = user.clone();
        let settings = settings.clone();
        let preset_name = preset_name.clone();
        async move { show_page(&state, &headers, &user, &i, Some(&settings), None, st, errs, None, preset_name).await }
    };
    let saved = match s.configure_import(&user.actor, id, settings.clone(), None).await {
        Ok(i) => i,
        Err(e) => {
            return match field_errors(e) {
                Ok((st, errs)) => fail(current, st, errs).await,
                Err(e) => error_page(&state, &headers, Some(&user), e),
            };
        }
    };
    match action.as_str() {
        "import" | "dry_run" => match s.start_import(&user.actor, id, action == "dry_run").await {
            Ok(_) => Redirect::to(&format!("/imports/{id}")).into_response(),
            Err(e) => match field_errors(e) {
                Ok((st, errs)) => fail(saved, st, errs).await,
                Err(e) => error_page(&state, &headers, Some(&user), e),
            },
        },
        "save_preset" => {
            let columns: Vec<(String, String)> = saved
                .analysis
                .columns
                .iter()
                .zip(saved.settings.mapping.iter())
                .filter_map(|(col, m)| m.clone().filter(|m| m != "ignore").map(|m| (col.header.clone(), m)))
                .collect();
            let req = PresetRequest { name: preset_name.clone(), entity: saved.entity, columns };
            match s.save_preset(&user.actor, req).await {
                Ok(_) => {
                    let c = Chrome::anonymous(&state, &headers, "imp-title");
                    let msg = c.t.get("flash-preset-saved");
                    show_page(
                        &state,
                        &headers,
                        &user,
                        &saved,
                        None,
                        None,
                        StatusCode::OK,
                        Errs::default(),
                        Some(msg),
                        String::new(),
                    )
                    .await
                }
                Err(e) => match field_errors(e) {
                    Ok((st, errs)) => {
                        let errs =
                            Errs(
                                errs.0
                                    .into_iter()
                                    .map(|fe| {
                                        if fe.field == "name" { FieldError::new("preset_name", fe.message) } else { fe }
                                    })
                                    .collect(),
                            );
                        fail(saved, st, errs).await
                    }
                    Err(e) => error_page(&state, &headers, Some(&user), e),
                },
            }
        }
        "preview" => match s.preview_import(&user.actor, id, Some(PREVIEW_ROWS)).await {
            Ok(rows) => {
                show_page(
                    &state,
                    &headers,
                    &user,
                    &saved,
                    None,
                    Some(rows),
                    StatusCode::OK,
                    Errs::default(),
                    None,
                    preset_name.clone(),
                )
                .await
            }
            Err(e) => match field_errors(e) {
                Ok((st, errs)) => fail(saved, st, errs).await,
                Err(e) => error_page(&state, &headers, Some(&user), e),
            },
        },
        _ => Redirect::to(&format!("/imports/{id}")).into_response(),
    }
}

/// The progress partial that the page polls while the import runs; once it has finished,
/// htmx reloads the whole page (which then shows the report).
pub async fn progress(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let i = match state.services().get_import(&user.actor, id).await {
        Ok(i) => i,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    if !i.status.is_active() && is_htmx(&headers) {
        let mut r = StatusCode::OK.into_response();
        r.headers_mut().insert("hx-refresh", HeaderValue::from_static("true"));
        return r;
    }
    let c = Chrome::for_user(&state, &headers, &user, "/imports", "imp-title").await;
    let v = import_view(&c, &i);
    render(StatusCode::OK, &ProgressPartial { c, v }, false)
}

pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().cancel_import(&user.actor, id).await {
        Ok(_) => redirect_with_flash(&format!("/imports/{id}"), "import-cancelled"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn undo(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().undo_import(&user.actor, id).await {
        Ok(_) => redirect_with_flash(&format!("/imports/{id}"), "import-undo-started"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

async fn report_download(state: AppState, headers: HeaderMap, user: Authenticated, id: Uuid, format: &str) -> Response {
    let c = Chrome::anonymous(&state, &headers, "imp-title");
    let labels = [c.t.get("imp-report-row"), c.t.get("imp-report-reasons")];
    match state.services().import_report_file(&user.actor, id, format, [&labels[0], &labels[1]]).await {
        Ok((name, content_type, bytes)) => attachment(&name, content_type, Body::from(bytes)),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn report_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    report_download(state, headers, user, id, "csv").await
}

pub async fn report_xlsx(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    report_download(state, headers, user, id, "xlsx").await
}

// ---------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------

/// The export form: what the list showed (or the selection) and the file's options.
pub struct ExportForm {
    pub entity: String,
    pub base: &'static str,
    pub q: String,
    pub filter: String,
    pub view: String,
    pub sort: String,
    pub ids: Vec<String>,
    pub format: String,
    pub columns: String,
    pub delimiter: String,
    pub bom: bool,
}

impl ExportForm {
    fn from_pairs(entity: &str, p: &Pairs) -> Self {
        let kind = ListKind::of_export(entity);
        Self {
            entity: kind.export_entity().unwrap_or("contacts").to_owned(),
            base: kind.href(),
            q: p.str("q"),
            filter: p.str("filter"),
            view: p.str("view"),
            sort: p.str("sort"),
            ids: p.all("ids").into_iter().filter(|i| Uuid::parse_str(i.trim()).is_ok()).collect(),
            format: p.get("format").unwrap_or("csv").to_owned(),
            columns: p.get("columns").unwrap_or("all").to_owned(),
            delimiter: p.get("delimiter").unwrap_or(",").to_owned(),
            bom: p.has("bom") || !p.has("format"),
        }
    }
}

#[derive(Template)]
#[template(path = "exports/new.html")]
struct ExportNewPage {
    c: Chrome,
    f: ExportForm,
    what: String,
    errs: Errs,
}

async fn export_form_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    f: ExportForm,
    status: StatusCode,
    errs: Errs,
) -> Response {
    let c = Chrome::for_user(state, headers, user, f.base, "exp-title").await;
    let what =
        if f.ids.is_empty() { c.t.get("exp-what-list") } else { c.t.count("exp-what-selection", f.ids.len() as i64) };
    render(status, &ExportNewPage { c, f, what, errs }, false)
}

/// `GET /exports/new?entity=contacts&q=…&filter=…&view=…&sort=…`: the form for a list.
pub async fn export_new_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let p = Pairs::from_query(q.as_deref());
    let f = ExportForm::from_pairs(p.get("entity").unwrap_or("contacts"), &p);
    export_form_page(&state, &headers, &user, f, StatusCode::OK, Errs::default()).await
}

/// `POST /exports/new?entity=…` from a list's bulk form: the form for the selected records.
pub async fn export_new_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let query = Pairs::from_query(q.as_deref());
    let p = Pairs::from_bytes(&body);
    let entity = query.get("entity").or_else(|| p.get("entity")).unwrap_or("contacts").to_owned();
    let mut f = ExportForm::from_pairs(&entity, &Pairs::default());
    f.ids = p.all("ids").into_iter().filter(|i| Uuid::parse_str(i.trim()).is_ok()).collect();
    let errs = if f.ids.is_empty() {
        Errs(vec![FieldError::new("ids", Chrome::anonymous(&state, &headers, "exp-title").t.get("exp-none-selected"))])
    } else {
        Errs::default()
    };
    export_form_page(&state, &headers, &user, f, StatusCode::OK, errs).await
}

pub async fn export_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let f = ExportForm::from_pairs(p.get("entity").unwrap_or("contacts"), &p);
    let Some(format) = ExportFormat::parse(&f.format) else {
        let errs = Errs(vec![FieldError::new("format", "choose CSV, XLSX or vCard")]);
        return export_form_page(&state, &headers, &user, f, StatusCode::UNPROCESSABLE_ENTITY, errs).await;
    };
    let req = ExportRequest {
        entity: f.entity.clone(),
        format,
        ids: f.ids.iter().filter_map(|i| Uuid::parse_str(i.trim()).ok()).collect(),
        q: Some(f.q.clone()).filter(|s| !s.trim().is_empty()),
        filter: Some(f.filter.clone()).filter(|s| !s.trim().is_empty()),
        view: Uuid::parse_str(f.view.trim()).ok(),
        sort: Some(f.sort.clone()).filter(|s| !s.trim().is_empty()),
        columns: Some(f.columns.clone()),
        delimiter: (format == ExportFormat::Csv)
            .then(|| if f.delimiter == "tab" { "\\t".to_owned() } else { f.delimiter.clone() }),
        bom: f.bom && format == ExportFormat::Csv,
    };
    match state.services().create_export(&user.actor, req).await {
        Ok(e) => Redirect::to(&format!("/exports/{}", e.id)).into_response(),
        Err(e) => match field_errors(e) {
            Ok((st, errs)) => export_form_page(&state, &headers, &user, f, st, errs).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

pub struct ExportView {
    pub id: String,
    pub base: &'static str,
    pub entity_label: String,
    pub format: String,
    pub status: &'static str,
    pub status_label: String,
    pub rows_text: String,
    pub done_text: String,
    pub file_name: String,
    pub size: String,
    pub error: String,
    pub active: bool,
    pub when: String,
}

fn human_size(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn export_view(c: &Chrome, e: &clientele_core::domain::export::Export) -> ExportView {
    let kind = ListKind::of_export(&e.entity);
    ExportView {
        id: e.id.to_string(),
        base: kind.href(),
        entity_label: c.t.get(&format!("imp-entity-{}", kind.export_entity().unwrap_or("contacts"))),
        format: match e.format {
            ExportFormat::Vcard => "vCard".to_owned(),
            f => f.as_str().to_uppercase(),
        },
        status: e.status.as_str(),
        status_label: c.t.get(&format!("exp-status-{}", e.status.as_str())),
        rows_text: c.t.count("exp-rows-done", e.rows_done),
        done_text: c.t.count("exp-done", e.rows_done),
        file_name: e.file_name.clone().unwrap_or_default(),
        size: e.size.map(human_size).unwrap_or_default(),
        error: e.error.clone().unwrap_or_default(),
        active: matches!(e.status, ExportStatus::Queued | ExportStatus::Running),
        when: fmt_time(e.created_at),
    }
}

#[derive(Template)]
#[template(path = "exports/show.html")]
struct ExportPage {
    c: Chrome,
    v: ExportView,
}

#[derive(Template)]
#[template(path = "exports/_status.html")]
struct ExportStatusPartial {
    c: Chrome,
    v: ExportView,
}

pub async fn export_show(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let e = match state.services().get_export(&user.actor, id).await {
        Ok(e) => e,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let c = Chrome::for_user(&state, &headers, &user, ListKind::of_export(&e.entity).href(), "exp-title").await;
    let v = export_view(&c, &e);
    let shown = c.flash.is_some();
    render(StatusCode::OK, &ExportPage { c, v }, shown)
}

/// The status partial the export page polls until the file is ready.
pub async fn export_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let e = match state.services().get_export(&user.actor, id).await {
        Ok(e) => e,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let c = Chrome::for_user(&state, &headers, &user, "/exports", "exp-title").await;
    let v = export_view(&c, &e);
    render(StatusCode::OK, &ExportStatusPartial { c, v }, false)
}

/// Streams the stored file chunk by chunk.
pub async fn export_download(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let file = match state.services().export_file(&user.actor, id).await {
        Ok(f) => f,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    stream_file(state.services().clone(), &file)
}
