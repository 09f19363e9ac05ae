//! Exports: a list, a saved view or a selection of contacts or companies written to CSV,
//! XLSX or vCard by a background job, page by page (keyset), into a stored file. Column
//! headers are the import's field labels, so an exported file imports back as it was.

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

/// A list column name (as saved views keep them) → export column keys.
fn view_column(entity: &str, col: &str) -> Vec<String> {
    let side = if entity == "contacts" { "contact" } else { "company" };
    if let Some(k) = col.strip_prefix("custom_fields.") {
        return vec![format!("{side}.custom.{k}")];
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

fn label_of(key: &str, defs: &[CustomFieldDef]) -> String {
    if let Some((_, k)) = key.split_once(".custom.") {
        return defs.iter().find(|d| d.key == k).map(|d| d.label.clone()).unwrap_or_else(|| k.to_owned());
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
    companies: &'a HashMap<Uuid, String>,
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
            "company.name" => c.company_id.and_then(|id| self.companies.get(&id).cloned()).unwrap_or_default(),
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
            _ => return Err(Error::invalid("entity", "must be `contacts` or `companies`")),
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
        let contacts = req.entity == "contacts";
        let side = if contacts { "contact" } else { "company" };
        let defs = self.cached_defs(side).await?;
        let users = UserDirectory::new(self.all_users().await?.into_iter().map(|u| (u.id, u.email, u.name)));
        // Columns: all built-in ones and every custom field, or those of the view.
        let mut keys: Vec<String> = Vec::new();
        let visible = req.columns.as_deref() == Some("visible");
        if visible {
            let view_cols = match req.view {
                Some(v) => self.store.get_view(v).await?.map(|v| v.columns).unwrap_or_default(),
                None => Vec::new(),
            };
            if view_cols.is_empty() {
                let base = if contacts { CONTACT_VISIBLE } else { COMPANY_VISIBLE };
                keys.extend(base.iter().map(|k| (*k).to_owned()));
            } else {
                let name = if contacts { "contact.full_name" } else { "company.name" };
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
            let base = if contacts { CONTACT_ALL } else { COMPANY_ALL };
            keys.extend(base.iter().map(|k| (*k).to_owned()));
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
                let sheet = if contacts { "Contacts" } else { "Companies" };
                let mut w = clientele_io::XlsxOut::new(sheet).map_err(io_err)?;
                w.write_header(&headers).map_err(io_err)?;
                Out::Xlsx(Box::new(w))
            }
            ExportFormat::Vcard => Out::Vcard(spool.clone()),
        };
        let name = format!("{}-{}.{}", req.entity, now().format("%Y%m%d-%H%M%S"), req.format.extension());
        let mut sink = self.new_file(&name, req.format.content_type(), Some(actor.user_id)).await?;
        let mut companies: HashMap<Uuid, String> = HashMap::new();
        let mut cursor: Option<String> = None;
        let mut id_chunks = req.ids.chunks(PAGE as usize);
        loop {
            // One page: a chunk of the selection, or the next keyset page of the list.
            let (page_contacts, page_companies): (Vec<Contact>, Vec<Company>) = if !req.ids.is_empty() {
                let Some(chunk) = id_chunks.next() else { break };
                let mut cs = Vec::new();
                let mut os = Vec::new();
                for id in chunk {
                    if contacts {
                        if let Ok(v) = self.get_contact(&actor, *id).await {
                            cs.push(v.contact);
                        }
                    } else if let Ok(c) = self.get_company(&actor, *id).await {
                        os.push(c);
                    }
                }
                (cs, os)
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
                if contacts {
                    let page = self.list_contacts(&actor, &lr).await?;
                    cursor = page.next_cursor;
                    (page.data, Vec::new())
                } else {
                    let page = self.list_companies(&actor, &lr).await?;
                    cursor = page.next_cursor;
                    (Vec::new(), page.data)
                }
            };
            // Names of the contacts' companies, read once each.
            for c in &page_contacts {
                if let Some(cid) = c.company_id
                    && !companies.contains_key(&cid)
                {
                    let name = self.store.get_company(cid).await?.map(|c| c.name).unwrap_or_default();
                    companies.insert(cid, name);
                }
            }
            let cells = Cells { users: &users, companies: &companies, defs: &defs };
            let n = page_contacts.len() + page_companies.len();
            for c in &page_contacts {
                match &mut out {
                    Out::Vcard(w) => {
                        let v = vcard_of(c, &companies);
                        clientele_io::write_vcard(w, &v).map_err(io_err)?;
                    }
                    Out::Csv(w) => w.write_row(keys.iter().map(|k| cells.contact(c, k))).map_err(io_err)?,
                    Out::Xlsx(w) => w.write_row(keys.iter().map(|k| cells.contact(c, k))).map_err(io_err)?,
                }
            }
            for c in &page_companies {
                match &mut out {
                    Out::Csv(w) => w.write_row(keys.iter().map(|k| cells.company(c, k))).map_err(io_err)?,
                    Out::Xlsx(w) => w.write_row(keys.iter().map(|k| cells.company(c, k))).map_err(io_err)?,
                    Out::Vcard(_) => {}
                }
            }
            let bytes = spool.take();
            sink.push(self, &bytes).await?;
            e.rows_done += n as i64;
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
