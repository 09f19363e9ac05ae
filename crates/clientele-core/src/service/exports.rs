//! Exports: a list, a saved view or a selection of contacts, companies or deals written to
//! CSV, XLSX or vCard by a background job, page by page (keyset), into a stored file. Column
//! headers of contacts and companies are the import's field labels, so an exported file
//! imports back as it was.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use uuid::Uuid;

use super::Services;
use super::clients::ListRequest;
use super::jobs::Lease;
use crate::authz::{Action, Actor, Area, RecordKind, Scope, check_area, scope};
use crate::domain::client::{Company, Contact, Phone};
use crate::domain::custom_field::{CustomFieldDef, FieldType};
use crate::domain::deal::Deal;
use crate::domain::export::{Export, ExportFormat, ExportRequest, ExportStatus, StoredFile};
use crate::domain::import::UserDirectory;
use crate::domain::import_map;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};

/// Rows per page read from the store while exporting.
const PAGE: u32 = 500;

/// Columns of the default (visible) list, by target key.
const CONTACT_VISIBLE: &[&str] = &[
    "contact.full_name",
    "company.name",
    "contact.phone_mobile",
    "contact.phone_work",
    "contact.email_work",
    "contact.email",
    "contact.owner",
    "contact.lifecycle",
    "contact.tags",
];
const COMPANY_VISIBLE: &[&str] = &[
    "company.name",
    "company.tax_number",
    "company.phone",
    "company.email",
    "company.owner",
    "company.lifecycle",
    "company.tags",
];

const CONTACT_ALL: &[&str] = &[
    "contact.full_name",
    "contact.first_name",
    "contact.last_name",
    "contact.title",
    "company.name",
    "contact.phone_mobile",
    "contact.phone_work",
    "contact.phone_home",
    "contact.phone_fax",
    "contact.phone",
    "contact.email_work",
    "contact.email_personal",
    "contact.email",
    "contact.street",
    "contact.city",
    "contact.region",
    "contact.postal_code",
    "contact.country",
    "contact.birthday",
    "contact.source",
    "contact.lifecycle",
    "contact.owner",
    "contact.tags",
    "contact.notes",
];
const COMPANY_ALL: &[&str] = &[
    "company.name",
    "company.legal_name",
    "company.tax_number",
    "company.website",
    "company.industry",
    "company.phone",
    "company.email",
    "company.street",
    "company.city",
    "company.region",
    "company.postal_code",
    "company.country",
    "company.anniversary",
    "company.source",
    "company.lifecycle",
    "company.owner",
    "company.tags",
    "company.notes",
];

/// Deals: (key, header). Deals are not imported, so their headers are their own.
const DEAL_COLUMNS: &[(&str, &str)] = &[
    ("deal.title", "Title"),
    ("deal.pipeline", "Pipeline"),
    ("deal.stage", "Stage"),
    ("deal.status", "Status"),
    ("deal.amount", "Amount"),
    ("deal.currency", "Currency"),
    ("deal.expected_close_date", "Expected close"),
    ("deal.source", "Source"),
    ("deal.contact", "Contact"),
    ("deal.company", "Company"),
    ("deal.owner", "Owner"),
    ("deal.tags", "Tags"),
    ("deal.stage_entered_at", "In stage since"),
    ("deal.closed_at", "Closed"),
    ("deal.created_at", "Created"),
    ("deal.updated_at", "Updated"),
    ("deal.notes", "Notes"),
];
const DEAL_VISIBLE: &[&str] = &[
    "deal.title",
    "deal.stage",
    "deal.amount",
    "deal.currency",
    "deal.owner",
    "deal.expected_close_date",
    "deal.tags",
];

/// A list column name (as saved views keep them) → export column keys.
fn view_column(entity: &str, col: &str) -> Vec<String> {
    let side = side_of(entity);
    if let Some(k) = col.strip_prefix("custom_fields.").or_else(|| col.strip_prefix("cf.")) {
        return vec![format!("{side}.custom.{k}")];
    }
    if side == "deal" {
        let key = match col {
            "close" => "deal.expected_close_date".to_owned(),
            "created" => "deal.created_at".to_owned(),
            "updated" => "deal.updated_at".to_owned(),
            "in_stage" => "deal.stage_entered_at".to_owned(),
            other => format!("deal.{other}"),
        };
        return if DEAL_COLUMNS.iter().any(|(k, _)| *k == key) { vec![key] } else { vec![] };
    }
    let keys: &[&str] = match (side, col) {
        ("contact", "display_name" | "name") => &["contact.full_name"],
        ("contact", "company") => &["company.name"],
        (_, "phones") if side == "contact" => &["contact.phone_mobile", "contact.phone_work", "contact.phone"],
        (_, "phones") => &["company.phone"],
        ("contact", "emails") => &["contact.email_work", "contact.email_personal", "contact.email"],
        (_, "emails") => &["company.email"],
        (_, "owner" | "owner_id") => return vec![format!("{side}.owner")],
        (_, "address" | "city") => return vec![format!("{side}.city"), format!("{side}.country")],
        (_, other) => return vec![format!("{side}.{other}")],
    };
    keys.iter().map(|k| (*k).to_owned()).collect()
}

/// `contact`, `company` or `deal` for the export's entity (`contacts`, ...).
fn side_of(entity: &str) -> &'static str {
    match entity {
        "companies" => "company",
        "deals" => "deal",
        _ => "contact",
    }
}

fn label_of(key: &str, defs: &[CustomFieldDef]) -> String {
    if let Some((_, k)) = key.split_once(".custom.") {
        return defs.iter().find(|d| d.key == k).map(|d| d.label.clone()).unwrap_or_else(|| k.to_owned());
    }
    if let Some((_, label)) = DEAL_COLUMNS.iter().find(|(k, _)| *k == key) {
        return (*label).to_owned();
    }
    import_map::target_fields()
        .iter()
        .find(|f| f.key == key)
        .map(|f| f.label.to_owned())
        .unwrap_or_else(|| key.to_owned())
}

fn phones_of(phones: &[Phone], kind: Option<&str>) -> String {
    phones
        .iter()
        .filter(|p| kind.is_none_or(|k| p.kind == k))
        .map(|p| p.e164.clone().unwrap_or_else(|| p.number.clone()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn custom_cell(def: Option<&CustomFieldDef>, v: Option<&Value>, users: &UserDirectory) -> String {
    let Some(v) = v else { return String::new() };
    match (def.map(|d| d.field_type), v) {
        (Some(FieldType::Money), Value::Object(m)) => format!(
            "{} {}",
            m.get("amount").and_then(Value::as_str).unwrap_or(""),
            m.get("currency").and_then(Value::as_str).unwrap_or("")
        ),
        (Some(FieldType::User), Value::String(s)) => {
            Uuid::parse_str(s).ok().and_then(|id| users.email_of(id).map(str::to_owned)).unwrap_or_else(|| s.clone())
        }
        (_, Value::Array(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

struct Cells<'a> {
    users: &'a UserDirectory,
    /// Names of the records the rows link to (companies, contacts), read once each.
    names: &'a HashMap<Uuid, String>,
    /// Pipeline and stage names.
    stages: &'a HashMap<Uuid, String>,
    defs: &'a [CustomFieldDef],
}

impl Cells<'_> {
    fn contact(&self, c: &Contact, key: &str) -> String {
        let addr = |f: fn(&crate::domain::client::Address) -> &Option<String>| {
            c.address.as_ref().and_then(|a| f(a).clone()).unwrap_or_default()
        };
        match key {
            "contact.full_name" => c.display_name.clone(),
            "contact.first_name" => c.first_name.clone().unwrap_or_default(),
            "contact.last_name" => c.last_name.clone().unwrap_or_default(),
            "contact.title" => c.title.clone().unwrap_or_default(),
            "company.name" => c.company_id.and_then(|id| self.names.get(&id).cloned()).unwrap_or_default(),
            "contact.phone_mobile" => phones_of(&c.phones, Some("mobile")),
            "contact.phone_work" => phones_of(&c.phones, Some("work")),
            "contact.phone_home" => phones_of(&c.phones, Some("home")),
            "contact.phone_fax" => phones_of(&c.phones, Some("fax")),
            "contact.phone" => phones_of(&c.phones, Some("other")),
            "contact.email_work" | "contact.email_personal" | "contact.email" => {
                let kind = match key {
                    "contact.email_work" => "work",
                    "contact.email_personal" => "personal",
                    _ => "other",
                };
                c.emails.iter().filter(|e| e.kind == kind).map(|e| e.address.clone()).collect::<Vec<_>>().join("; ")
            }
            "contact.street" => addr(|a| &a.street),
            "contact.city" => addr(|a| &a.city),
            "contact.region" => addr(|a| &a.region),
            "contact.postal_code" => addr(|a| &a.postal_code),
            "contact.country" => addr(|a| &a.country),
            "contact.birthday" => {
                c.important_dates.iter().find(|d| d.kind == "birthday").map(|d| d.date.to_string()).unwrap_or_default()
            }
            "contact.source" => c.source.clone().unwrap_or_default(),
            "contact.lifecycle" => c.lifecycle.as_str().to_owned(),
            "contact.owner" => c.owner_id.and_then(|o| self.users.email_of(o)).unwrap_or_default().to_owned(),
            "contact.tags" => c.tags.join("; "),
            "contact.notes" => c.notes.clone().unwrap_or_default(),
            other => match other.strip_prefix("contact.custom.") {
                Some(k) => custom_cell(self.defs.iter().find(|d| d.key == k), c.custom_fields.get(k), self.users),
                None => String::new(),
            },
        }
    }

    fn company(&self, c: &Company, key: &str) -> String {
        let addr = |f: fn(&crate::domain::client::Address) -> &Option<String>| {
            c.address.as_ref().and_then(|a| f(a).clone()).unwrap_or_default()
        };
        match key {
            "company.name" => c.name.clone(),
            "company.legal_name" => c.legal_name.clone().unwrap_or_default(),
            "company.tax_number" => c.tax_number.clone().unwrap_or_default(),
            "company.website" => c.website.clone().unwrap_or_default(),
            "company.industry" => c.industry.clone().unwrap_or_default(),
            "company.phone" => phones_of(&c.phones, None),
            "company.email" => c.emails.iter().map(|e| e.address.clone()).collect::<Vec<_>>().join("; "),
            "company.street" => addr(|a| &a.street),
            "company.city" => addr(|a| &a.city),
            "company.region" => addr(|a| &a.region),
            "company.postal_code" => addr(|a| &a.postal_code),
            "company.country" => addr(|a| &a.country),
            "company.anniversary" => c
                .important_dates
                .iter()
                .find(|d| d.kind == "anniversary")
                .map(|d| d.date.to_string())
                .unwrap_or_default(),
            "company.source" => c.source.clone().unwrap_or_default(),
            "company.lifecycle" => c.lifecycle.as_str().to_owned(),
            "company.owner" => c.owner_id.and_then(|o| self.users.email_of(o)).unwrap_or_default().to_owned(),
            "company.tags" => c.tags.join("; "),
            "company.notes" => c.notes.clone().unwrap_or_default(),
            other => match other.strip_prefix("company.custom.") {
                Some(k) => custom_cell(self.defs.iter().find(|d| d.key == k), c.custom_fields.get(k), self.users),
                None => String::new(),
            },
        }
    }

    fn deal(&self, d: &Deal, key: &str) -> String {
        let name = |id: Option<Uuid>| id.and_then(|i| self.names.get(&i).cloned()).unwrap_or_default();
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
        };
        match key {
            "deal.title" => d.title.clone(),
            "deal.pipeline" => self.stages.get(&d.pipeline_id).cloned().unwrap_or_default(),
            "deal.stage" => self.stages.get(&d.stage_id).cloned().unwrap_or_default(),
            "deal.status" => d.status.as_str().to_owned(),
            "deal.amount" => d.amount.clone(),
            "deal.currency" => d.currency.clone(),
            "deal.expected_close_date" => d.expected_close_date.map(|x| x.to_string()).unwrap_or_default(),
            "deal.source" => d.source.clone().unwrap_or_default(),
            "deal.contact" => name(d.contact_id),
            "deal.company" => name(d.company_id),
            "deal.owner" => d.owner_id.and_then(|o| self.users.email_of(o)).unwrap_or_default().to_owned(),
            "deal.tags" => d.tags.join("; "),
            "deal.stage_entered_at" => time(Some(d.stage_entered_at)),
            "deal.closed_at" => time(d.closed_at),
            "deal.created_at" => time(Some(d.created_at)),
            "deal.updated_at" => time(Some(d.updated_at)),
            "deal.notes" => d.notes.clone().unwrap_or_default(),
            other => match other.strip_prefix("deal.custom.") {
                Some(k) => custom_cell(self.defs.iter().find(|x| x.key == k), d.custom_fields.get(k), self.users),
                None => String::new(),
            },
        }
    }
}

/// One page of an export's records.
enum Records {
    Contacts(Vec<Contact>),
    Companies(Vec<Company>),
    Deals(Vec<Deal>),
}

impl Records {
    fn len(&self) -> usize {
        match self {
            Records::Contacts(v) => v.len(),
            Records::Companies(v) => v.len(),
            Records::Deals(v) => v.len(),
        }
    }

    /// Ids of linked records whose names the rows show.
    fn linked(&self) -> Vec<Uuid> {
        match self {
            Records::Contacts(v) => v.iter().filter_map(|c| c.company_id).collect(),
            Records::Companies(_) => vec![],
            Records::Deals(v) => v.iter().flat_map(|d| [d.contact_id, d.company_id]).flatten().collect(),
        }
    }

    fn rows(&self, cells: &Cells<'_>, keys: &[String]) -> Vec<Vec<String>> {
        let row = |f: &dyn Fn(&str) -> String| keys.iter().map(|k| f(k)).collect::<Vec<_>>();
        match self {
            Records::Contacts(v) => v.iter().map(|c| row(&|k| cells.contact(c, k))).collect(),
            Records::Companies(v) => v.iter().map(|c| row(&|k| cells.company(c, k))).collect(),
            Records::Deals(v) => v.iter().map(|d| row(&|k| cells.deal(d, k))).collect(),
        }
    }
}

/// Bytes written by a format writer, taken out page by page into stored chunks.
#[derive(Clone, Default)]
struct Spool(Arc<Mutex<Vec<u8>>>);

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("spool poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Spool {
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }
}

enum Out {
    Csv(Box<clientele_io::CsvOut<Spool>>),
    Xlsx(Box<clientele_io::XlsxOut>),
    Vcard(Spool),
}

fn io_err(e: std::io::Error) -> Error {
    Error::Internal(anyhow::anyhow!("writing the export: {e}"))
}

impl Services {
    /// Queues an export (202 in the API). Only what the actor may see is exported.
    pub async fn create_export(&self, actor: &Actor, req: ExportRequest) -> Result<Export> {
        let kind = match req.entity.as_str() {
            "contacts" => RecordKind::Contact,
            "companies" => RecordKind::Company,
            "deals" => RecordKind::Deal,
            _ => return Err(Error::invalid("entity", "must be `contacts`, `companies` or `deals`")),
        };
        if scope(actor, kind, Action::Export) == Scope::Nothing {
            return Err(Error::Forbidden("your role cannot export records".into()));
        }
        let mut p = Problems::new();
        if req.format == ExportFormat::Vcard && kind != RecordKind::Contact {
            p.add("format", "vCard is for contacts only");
        }
        if let Some(d) = req.delimiter.as_deref()
            && !matches!(d, "," | ";" | "\\t" | "\t" | "|")
        {
            p.add("delimiter", "must be `,`, `;`, `\\t` or `|`");
        }
        if let Some(c) = req.columns.as_deref()
            && !matches!(c, "all" | "visible")
        {
            p.add("columns", "must be `all` or `visible`");
        }
        if req.ids.len() > 100_000 {
            p.add("ids", "at most 100,000 records per selection");
        }
        p.into_result()?;
        // The list request is checked now, so that a bad filter is a 422 and not a dead job.
        if req.ids.is_empty() {
            let lr = ListRequest {
                q: req.q.clone(),
                filter: req.filter.clone(),
                view: req.view,
                sort: req.sort.clone(),
                limit: Some(1),
                cursor: None,
                deleted: false,
            };
            match kind {
                RecordKind::Contact => self.list_contacts(actor, &lr).await.map(|_| ())?,
                RecordKind::Deal => self.list_deals(actor, &lr).await.map(|_| ())?,
                _ => self.list_companies(actor, &lr).await.map(|_| ())?,
            }
        }
        let e = Export {
            id: new_id(),
            created_by: actor.user_id,
            entity: req.entity.clone(),
            format: req.format,
            request: req,
            status: ExportStatus::Queued,
            rows_done: 0,
            file_id: None,
            file_name: None,
            size: None,
            error: None,
            created_at: now(),
            finished_at: None,
        };
        self.store.insert_export(&e).await?;
        self.enqueue("export.run", json!({"id": e.id}), Some(actor.user_id)).await?;
        Ok(e)
    }

    pub async fn get_export(&self, actor: &Actor, id: Uuid) -> Result<Export> {
        let e = self.store.get_export(id).await?.ok_or(Error::NotFound("export"))?;
        if e.created_by != actor.user_id && check_area(actor, Area::Settings, Action::Read).is_err() {
            return Err(Error::NotFound("export"));
        }
        Ok(e)
    }

    pub async fn list_exports(&self, actor: &Actor) -> Result<Vec<Export>> {
        self.store.list_exports(actor.user_id, 50).await
    }

    /// The stored file of a finished export (or of an import's upload) for download.
    pub async fn export_file(&self, actor: &Actor, id: Uuid) -> Result<StoredFile> {
        let e = self.get_export(actor, id).await?;
        let file_id = e.file_id.filter(|_| e.status == ExportStatus::Done).ok_or(Error::NotFound("export file"))?;
        self.store.get_file(file_id).await?.ok_or(Error::NotFound("export file"))
    }

    pub(crate) async fn export_failed(&self, id: Uuid, msg: &str) -> Result<()> {
        let Some(mut e) = self.store.get_export(id).await? else { return Ok(()) };
        e.status = ExportStatus::Failed;
        e.error = Some(msg.to_owned());
        e.finished_at = Some(now());
        self.store.save_export(&e).await
    }

    /// The export job. Starts over when retried (a half-written file is discarded).
    pub(crate) async fn run_export(&self, id: Uuid, lease: &Lease) -> Result<()> {
        let Some(mut e) = self.store.get_export(id).await? else { return Ok(()) };
        if e.status == ExportStatus::Done {
            return Ok(());
        }
        if let Some(old) = e.file_id.take() {
            self.store.delete_file(old).await?;
        }
        let actor = self
            .actor_for(e.created_by, crate::authz::ActorKind::Session)
            .await?
            .ok_or_else(|| Error::Forbidden("the user who asked for this export is no longer active".into()))?;
        e.status = ExportStatus::Running;
        e.rows_done = 0;
        self.store.save_export(&e).await?;
        let req = e.request.clone();
        let side = side_of(&req.entity);
        let defs = self.cached_defs(side).await?;
        let users = UserDirectory::new(self.all_users().await?.into_iter().map(|u| (u.id, u.email, u.name)));
        // Columns: all built-in ones and every custom field, or those of the view.
        let mut keys: Vec<String> = Vec::new();
        let visible = req.columns.as_deref() == Some("visible");
        let (all, shown, name): (Vec<&str>, &[&str], &str) = match side {
            "company" => (COMPANY_ALL.to_vec(), COMPANY_VISIBLE, "company.name"),
            "deal" => (DEAL_COLUMNS.iter().map(|(k, _)| *k).collect(), DEAL_VISIBLE, "deal.title"),
            _ => (CONTACT_ALL.to_vec(), CONTACT_VISIBLE, "contact.full_name"),
        };
        if visible {
            let view_cols = match req.view {
                Some(v) => self.store.get_view(v).await?.map(|v| v.columns).unwrap_or_default(),
                None => Vec::new(),
            };
            if view_cols.is_empty() {
                keys.extend(shown.iter().map(|k| (*k).to_owned()));
            } else {
                keys.push(name.to_owned());
                for c in &view_cols {
                    for k in view_column(&req.entity, c) {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                }
            }
        } else {
            keys.extend(all.iter().map(|k| (*k).to_owned()));
            keys.extend(defs.iter().map(|d| format!("{side}.custom.{}", d.key)));
        }
        let headers: Vec<String> = keys.iter().map(|k| label_of(k, &defs)).collect();
        let spool = Spool::default();
        let delimiter = match req.delimiter.as_deref() {
            Some(";") => b';',
            Some("\\t") | Some("\t") => b'\t',
            Some("|") => b'|',
            _ => b',',
        };
        let mut out = match req.format {
            ExportFormat::Csv => {
                let mut w = clientele_io::CsvOut::new(spool.clone(), delimiter, req.bom);
                w.write_row(headers.iter()).map_err(io_err)?;
                Out::Csv(Box::new(w))
            }
            ExportFormat::Xlsx => {
                let sheet = match side {
                    "company" => "Companies",
                    "deal" => "Deals",
                    _ => "Contacts",
                };
                let mut w = clientele_io::XlsxOut::new(sheet).map_err(io_err)?;
                w.write_header(&headers).map_err(io_err)?;
                Out::Xlsx(Box::new(w))
            }
            ExportFormat::Vcard => Out::Vcard(spool.clone()),
        };
        let name = format!("{}-{}.{}", req.entity, now().format("%Y%m%d-%H%M%S"), req.format.extension());
        let mut sink = self.new_file(&name, req.format.content_type(), Some(actor.user_id)).await?;
        let mut names: HashMap<Uuid, String> = HashMap::new();
        let stages: HashMap<Uuid, String> = if side == "deal" {
            self.store
                .list_pipelines()
                .await?
                .into_iter()
                .flat_map(|p| {
                    let mut v: Vec<(Uuid, String)> = p.stages.iter().map(|s| (s.id, s.name.clone())).collect();
                    v.push((p.id, p.name));
                    v
                })
                .collect()
        } else {
            HashMap::new()
        };
        let mut cursor: Option<String> = None;
        let mut id_chunks = req.ids.chunks(PAGE as usize);
        loop {
            // One page: a chunk of the selection, or the next keyset page of the list.
            let page = if !req.ids.is_empty() {
                let Some(chunk) = id_chunks.next() else { break };
                self.export_selection(&actor, side, chunk).await
            } else {
                let lr = ListRequest {
                    q: req.q.clone(),
                    filter: req.filter.clone(),
                    view: req.view,
                    sort: req.sort.clone(),
                    limit: Some(PAGE),
                    cursor: cursor.clone(),
                    deleted: false,
                };
                let (page, next) = self.export_page(&actor, side, &lr).await?;
                cursor = next;
                page
            };
            // Names of the linked companies and contacts, read once each.
            for id in page.linked() {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
                    let name = match self.store.get_company(id).await? {
                        Some(c) => c.name,
                        None => self.store.get_contact(id).await?.map(|c| c.display_name).unwrap_or_default(),
                    };
                    slot.insert(name);
                }
            }
            let cells = Cells { users: &users, names: &names, stages: &stages, defs: &defs };
            match (&mut out, &page) {
                (Out::Vcard(w), Records::Contacts(list)) => {
                    for c in list {
                        clientele_io::write_vcard(w, &vcard_of(c, &names)).map_err(io_err)?;
                    }
                }
                (Out::Vcard(_), _) => {}
                (Out::Csv(w), _) => {
                    for r in page.rows(&cells, &keys) {
                        w.write_row(r.iter()).map_err(io_err)?;
                    }
                }
                (Out::Xlsx(w), _) => {
                    for r in page.rows(&cells, &keys) {
                        w.write_row(r).map_err(io_err)?;
                    }
                }
            }
            let bytes = spool.take();
            sink.push(self, &bytes).await?;
            e.rows_done += page.len() as i64;
            self.store.save_export(&e).await?;
            lease.keep(self).await?;
            if req.ids.is_empty() && cursor.is_none() {
                break;
            }
        }
        let tail = match out {
            Out::Csv(w) => {
                w.finish().map_err(io_err)?;
                spool.take()
            }
            Out::Xlsx(w) => w.finish().map_err(io_err)?,
            Out::Vcard(_) => spool.take(),
        };
        sink.push(self, &tail).await?;
        let file = sink.finish(self).await?;
        e.file_id = Some(file.id);
        e.status = ExportStatus::Done;
        e.finished_at = Some(now());
        self.store.save_export(&e).await?;
        Ok(())
    }
}

impl Services {
    /// The records of a selection that the actor can see (others are left out).
    async fn export_selection(&self, actor: &Actor, side: &str, ids: &[Uuid]) -> Records {
        let mut out = match side {
            "company" => Records::Companies(Vec::new()),
            "deal" => Records::Deals(Vec::new()),
            _ => Records::Contacts(Vec::new()),
        };
        for id in ids {
            match &mut out {
                Records::Contacts(v) => v.extend(self.get_contact(actor, *id).await.ok().map(|x| x.contact)),
                Records::Companies(v) => v.extend(self.get_company(actor, *id).await.ok()),
                Records::Deals(v) => v.extend(self.get_deal(actor, *id).await.ok().map(|x| x.deal)),
            }
        }
        out
    }

    /// The next keyset page of the list and the cursor after it.
    async fn export_page(&self, actor: &Actor, side: &str, lr: &ListRequest) -> Result<(Records, Option<String>)> {
        Ok(match side {
            "company" => {
                let p = self.list_companies(actor, lr).await?;
                (Records::Companies(p.data), p.next_cursor)
            }
            "deal" => {
                let p = self.list_deals(actor, lr).await?;
                (Records::Deals(p.data), p.next_cursor)
            }
            _ => {
                let p = self.list_contacts(actor, lr).await?;
                (Records::Contacts(p.data), p.next_cursor)
            }
        })
    }
}

fn vcard_of(c: &Contact, companies: &HashMap<Uuid, String>) -> clientele_io::VcardContact {
    let a = c.address.clone().unwrap_or_default();
    clientele_io::VcardContact {
        full_name: c.display_name.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        middle_name: None,
        title: c.title.clone(),
        org: c.company_id.and_then(|id| companies.get(&id).cloned()),
        phones: c.phones.iter().map(|p| (p.kind.clone(), p.e164.clone().unwrap_or_else(|| p.number.clone()))).collect(),
        emails: c.emails.iter().map(|e| (e.kind.clone(), e.address.clone())).collect(),
        street: a.street,
        city: a.city,
        region: a.region,
        postal_code: a.postal_code,
        country: a.country,
        birthday: c.important_dates.iter().find(|d| d.kind == "birthday").map(|d| d.date.to_string()),
        website: None,
        notes: c.notes.clone(),
        categories: c.tags.clone(),
        uid: Some(format!("urn:uuid:{}", c.id)),
        rev: Some(c.updated_at.format("%Y%m%dT%H%M%SZ").to_string()),
    }
}
