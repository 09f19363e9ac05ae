//! Imports: upload → analysis (format, encoding, delimiter, column suggestions) → mapping
//! and choices → preview → a background run that survives restarts → report → undo.
//!
//! Rows are planned in batches: each row is read, validated like a record typed by hand,
//! checked for duplicates (inside the file and against the base), and turned into whole
//! writes. A batch is one transaction together with the import's progress, so a restart
//! resumes exactly after the last committed row and a row is never half-applied.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::jobs::Lease;
use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, Ownership, RecordKind, Scope, check_area, check_create, check_record, scope};
use crate::domain::audit;
use crate::domain::client::{Company, CompanyLink, Contact, RecordMeta, parse_role, sort_key};
use crate::domain::custom_field::CustomFieldDef;
use crate::domain::export::{ExportFormat, StoredFile};
use crate::domain::import::{
    CellError, ColumnInfo, Import, ImportAnalysis, ImportReject, ImportSettings, ImportStatus, RowContext, SavedPreset,
    UserDirectory, locate, read_row,
};
use crate::domain::import_map::{self, CustomTarget, ImportEntity, Preset};
use crate::domain::phone::Region;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::{ImportBatch, ImportWrite, Store};

/// Rows per transaction.
pub const BATCH_ROWS: usize = 2000;
/// Rows shown by a preview at most.
pub const PREVIEW_MAX: usize = 100;

/// What a row will do (preview) or did (report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Skip,
    Reject,
}

/// Which record a row duplicates.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DuplicateOf {
    /// An earlier row of the same file.
    pub row: Option<i64>,
    /// A record already in the base.
    pub existing_id: Option<Uuid>,
    /// What matched, e.g. `phone +74951234567`.
    pub matched: String,
}

/// One row as it will be stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewRow {
    pub row_number: i64,
    pub action: RowAction,
    /// The contact as it will be stored (phones normalised).
    #[schema(value_type = Option<Object>)]
    pub contact: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub company: Option<Value>,
    /// `create`, `link` (to an existing company) or none.
    pub company_action: Option<String>,
    pub duplicate: Option<DuplicateOf>,
    pub errors: Vec<CellError>,
    pub cells: Vec<String>,
}

/// A new import: the file's name and what it mainly holds, with optional first choices.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct NewImport {
    pub file_name: String,
    pub entity: ImportEntity,
}

/// A mapping preset to save.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresetRequest {
    pub name: String,
    pub entity: ImportEntity,
    /// Header → target field.
    pub columns: Vec<(String, String)>,
}

/// Presets offered for an entity: built-in and saved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PresetList {
    pub builtin: Vec<Preset>,
    pub saved: Vec<SavedPreset>,
}

/// Reads a stored file from the database chunk by chunk. Only for blocking threads.
struct StoredReader {
    store: Arc<dyn Store>,
    handle: tokio::runtime::Handle,
    file_id: Uuid,
    seq: i64,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for StoredReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.buf.len() {
            let chunk = self
                .handle
                .block_on(self.store.get_chunk(self.file_id, self.seq))
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            match chunk {
                Some(c) => {
                    self.buf = c;
                    self.pos = 0;
                    self.seq += 1;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_options(settings: &ImportSettings) -> Result<clientele_io::ReadOptions> {
    let delimiter = match settings.delimiter.as_deref() {
        None | Some("") => None,
        Some("\\t") | Some("\t") | Some("tab") => Some(b'\t'),
        Some(d) if d.len() == 1 => d.bytes().next(),
        Some(d) => return Err(Error::invalid("delimiter", format!("`{d}` is not one character"))),
    };
    Ok(clientele_io::ReadOptions {
        encoding: settings.encoding.clone().filter(|e| !e.trim().is_empty()),
        delimiter,
        sheet: settings.sheet.clone().filter(|s| !s.trim().is_empty()),
        ..Default::default()
    })
}

fn read_err(e: clientele_io::ReadError) -> Error {
    Error::invalid("file", e.to_string())
}

fn hash_point(kind: &str, value: &str) -> u64 {
    let mut h = DefaultHasher::new();
    kind.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

fn domain_of(s: &str) -> Option<String> {
    let s = s.trim().to_lowercase();
    let host = match s.split_once('@') {
        Some((_, d)) => d.to_owned(),
        None => {
            let rest = s.split("://").nth(1).unwrap_or(&s);
            rest.split(['/', '?', '#', ':']).next().unwrap_or("").to_owned()
        }
    };
    let host = host.trim_start_matches("www.").to_owned();
    (host.contains('.')).then_some(host)
}

/// Mail services whose addresses say nothing about the company a person works for.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "mail.ru",
    "bk.ru",
    "inbox.ru",
    "list.ru",
    "yandex.ru",
    "ya.ru",
    "yandex.com",
    "rambler.ru",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "sfr.fr",
    "wanadoo.fr",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "kakao.com",
    "nate.com",
    "abv.bg",
    "mail.bg",
    "dir.bg",
];

/// Built-in column keys of a record's JSON compared for "fill empty / overwrite".
fn update_contact_from(
    existing: &Contact,
    incoming: &Contact,
    present: &[String],
    overwrite: &[String],
    company: Option<Uuid>,
) -> Contact {
    let mut c = existing.clone();
    let ow = |k: &str| overwrite.iter().any(|o| o == k) && present.iter().any(|p| p == k);
    macro_rules! field {
        ($f:ident, $key:expr) => {
            if incoming.$f.is_some() && (c.$f.is_none() || ow($key)) {
                c.$f = incoming.$f.clone();
            }
        };
    }
    field!(first_name, "contact.first_name");
    field!(last_name, "contact.last_name");
    field!(title, "contact.title");
    field!(source, "contact.source");
    field!(notes, "contact.notes");
    if ow("contact.full_name") || ow("contact.first_name") || ow("contact.last_name") {
        c.display_name = incoming.display_name.clone();
    }
    if ow("contact.lifecycle") {
        c.lifecycle = incoming.lifecycle;
    }
    if ow("contact.owner") {
        c.owner_id = incoming.owner_id;
    }
    merge_common(&mut c.phones, &incoming.phones, &mut c.emails, &incoming.emails, &mut c.tags, &incoming.tags);
    merge_address(&mut c.address, &incoming.address, "contact", &ow);
    merge_dates_and_fields(
        &mut c.important_dates,
        &incoming.important_dates,
        &mut c.custom_fields,
        &incoming.custom_fields,
        "contact",
        &ow,
    );
    if c.company_id.is_none() {
        c.company_id = company;
    }
    c
}

fn update_company_from(existing: &Company, incoming: &Company, present: &[String], overwrite: &[String]) -> Company {
    let mut c = existing.clone();
    let ow = |k: &str| overwrite.iter().any(|o| o == k) && present.iter().any(|p| p == k);
    macro_rules! field {
        ($f:ident, $key:expr) => {
            if incoming.$f.is_some() && (c.$f.is_none() || ow($key)) {
                c.$f = incoming.$f.clone();
            }
        };
    }
    field!(legal_name, "company.legal_name");
    field!(tax_number, "company.tax_number");
    field!(website, "company.website");
    field!(industry, "company.industry");
    field!(source, "company.source");
    field!(notes, "company.notes");
    if ow("company.name") {
        c.name = incoming.name.clone();
    }
    if ow("company.lifecycle") {
        c.lifecycle = incoming.lifecycle;
    }
    if ow("company.owner") {
        c.owner_id = incoming.owner_id;
    }
    merge_common(&mut c.phones, &incoming.phones, &mut c.emails, &incoming.emails, &mut c.tags, &incoming.tags);
    merge_address(&mut c.address, &incoming.address, "company", &ow);
    merge_dates_and_fields(
        &mut c.important_dates,
        &incoming.important_dates,
        &mut c.custom_fields,
        &incoming.custom_fields,
        "company",
        &ow,
    );
    c
}

fn merge_common(
    phones: &mut Vec<crate::domain::client::Phone>,
    new_phones: &[crate::domain::client::Phone],
    emails: &mut Vec<crate::domain::client::Email>,
    new_emails: &[crate::domain::client::Email],
    tags: &mut Vec<String>,
    new_tags: &[String],
) {
    for p in new_phones {
        let same = |o: &crate::domain::client::Phone| match (&o.e164, &p.e164) {
            (Some(a), Some(b)) => a == b,
            _ => o.number == p.number,
        };
        if !phones.iter().any(same) {
            phones.push(p.clone());
        }
    }
    for e in new_emails {
        if !emails.iter().any(|o| o.address == e.address) {
            emails.push(e.clone());
        }
    }
    for t in new_tags {
        if !tags.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            tags.push(t.clone());
        }
    }
}

/// Important dates (one per kind) and custom fields: filled when missing, replaced when the
/// field is to be overwritten.
fn merge_dates_and_fields(
    dates: &mut Vec<crate::domain::client::ImportantDate>,
    new_dates: &[crate::domain::client::ImportantDate],
    fields: &mut serde_json::Map<String, Value>,
    new_fields: &serde_json::Map<String, Value>,
    side: &str,
    ow: &dyn Fn(&str) -> bool,
) {
    for d in new_dates {
        if !dates.iter().any(|x| x.kind == d.kind) || ow(&format!("{side}.{}", d.kind)) {
            dates.retain(|x| x.kind != d.kind);
            dates.push(d.clone());
        }
    }
    for (k, v) in new_fields {
        if !fields.contains_key(k) || ow(&format!("{side}.custom.{k}")) {
            fields.insert(k.clone(), v.clone());
        }
    }
}

fn merge_address(
    a: &mut Option<crate::domain::client::Address>,
    b: &Option<crate::domain::client::Address>,
    side: &str,
    ow: &dyn Fn(&str) -> bool,
) {
    let Some(b) = b else { return };
    let cur = a.get_or_insert_with(Default::default);
    for (slot, new, key) in [
        (&mut cur.street, &b.street, "street"),
        (&mut cur.city, &b.city, "city"),
        (&mut cur.region, &b.region, "region"),
        (&mut cur.postal_code, &b.postal_code, "postal_code"),
        (&mut cur.country, &b.country, "country"),
    ] {
        if new.is_some() && (slot.is_none() || ow(&format!("{side}.{key}"))) {
            *slot = new.clone();
        }
    }
}

/// One row's writes (applied together or not at all) and what it did.
struct RowPlan {
    row_number: i64,
    cells: Vec<String>,
    action: RowAction,
    writes: Vec<ImportWrite>,
    preview: PreviewRow,
}

/// Plans rows: validation, duplicates, companies to link. Keeps what the import has seen
/// so far (points of earlier rows, companies by name and tax number).
struct Planner {
    actor: Actor,
    entity: ImportEntity,
    settings: ImportSettings,
    headers: Vec<String>,
    mapping: Vec<Option<String>>,
    region: Option<Region>,
    contact_defs: Vec<CustomFieldDef>,
    company_defs: Vec<CustomFieldDef>,
    users: UserDirectory,
    teams: HashMap<Uuid, Option<Uuid>>,
    /// Contact point (hashed) → the row that first had it.
    seen: HashMap<u64, i64>,
    /// Companies found or created by this import, by folded name and by tax number.
    company_names: HashMap<String, Uuid>,
    company_taxes: HashMap<String, Uuid>,
    /// Company by e-mail domain / website host (contacts imports without company columns).
    domains: Option<HashMap<String, Uuid>>,
    /// Records created by this import in the batch being planned (id → index in `pending`).
    batch_ids: HashMap<Uuid, (usize, usize)>,
    /// Planning for a preview: the rows' records as JSON too.
    preview: bool,
}

impl Planner {
    fn ctx(&self) -> RowContext<'_> {
        RowContext {
            entity: self.entity,
            headers: &self.headers,
            mapping: &self.mapping,
            contact_defs: &self.contact_defs,
            company_defs: &self.company_defs,
            users: &self.users,
            values: &self.settings.values,
            extra_tags: &self.settings.tags,
            default_owner: self.settings.default_owner_id,
        }
    }

    fn ownership(&self, owner: Option<Uuid>) -> Ownership {
        Ownership { owner_id: owner, owner_team: owner.and_then(|o| self.teams.get(&o).copied().flatten()) }
    }
}

fn points_of(
    phones: &[crate::domain::client::Phone],
    emails: &[crate::domain::client::Email],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        phones.iter().filter_map(|p| p.e164.clone().map(|e| ("phone".to_owned(), e))).collect();
    out.extend(emails.iter().map(|e| ("email".to_owned(), e.address.clone())));
    out
}

impl Services {
    fn can_import(actor: &Actor) -> Result<()> {
        if scope(actor, RecordKind::Contact, Action::Create) == Scope::Nothing {
            return Err(Error::Forbidden("your role cannot import records".into()));
        }
        Ok(())
    }

    fn reader(&self, file_id: Uuid) -> StoredReader {
        StoredReader {
            store: self.store.clone(),
            handle: tokio::runtime::Handle::current(),
            file_id,
            seq: 0,
            buf: Vec::new(),
            pos: 0,
        }
    }

    /// Custom field definitions (from the in-process cache the list pages use): the contacts',
    /// the companies', and both as mapping targets.
    async fn custom_targets(&self) -> Result<(Vec<CustomFieldDef>, Vec<CustomFieldDef>, Vec<CustomTarget>)> {
        let contact = self.cached_defs("contact").await?;
        let company = self.cached_defs("company").await?;
        let targets = contact
            .iter()
            .chain(company.iter())
            .map(|d| CustomTarget { entity: d.entity.clone(), key: d.key.clone(), label: d.label.clone() })
            .collect();
        Ok((contact, company, targets))
    }

    /// Reads the whole file once: format, encoding, delimiter, headers, samples, row count,
    /// and the suggested mapping. A malformed file is refused here, naming the row.
    async fn analyse(
        &self,
        file_id: Uuid,
        file_name: &str,
        entity: ImportEntity,
        settings: &ImportSettings,
    ) -> Result<(ImportAnalysis, i64)> {
        let head = self.store.get_chunk(file_id, 0).await?.unwrap_or_default();
        let format = clientele_io::detect_format(Some(file_name), &head[..head.len().min(8192)])
            .ok_or_else(|| Error::invalid("file", "is not a CSV, XLSX, XLS, ODS or vCard file"))?;
        let opts = read_options(settings)?;
        let reader = self.reader(file_id);
        let (detected, headers, samples, rows) = tokio::task::spawn_blocking(move || {
            let mut table = clientele_io::Table::open(format, Box::new(reader), &opts)?;
            let headers = table.headers().to_vec();
            let mut samples: Vec<Vec<String>> = Vec::new();
            let mut rows = 0_i64;
            while let Some(row) = table.next_row() {
                let row = row?;
                if samples.len() < 50 {
                    samples.push(row.cells);
                }
                rows += 1;
            }
            Ok::<_, clientele_io::ReadError>((table.detected().clone(), headers, samples, rows))
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("reading the file: {e}")))?
        .map_err(read_err)?;
        if headers.is_empty() {
            return Err(Error::invalid("file", "has no header row"));
        }
        let (_, _, custom) = self.custom_targets().await?;
        let preset = match settings.preset.as_deref() {
            Some(key) => self.find_preset(key).await?,
            None => import_map::detect_preset(&headers),
        };
        let guesses = match &preset {
            Some(p) => import_map::apply_preset(p, entity, &headers, &samples, &custom),
            None => import_map::suggest(entity, &headers, &samples, &custom),
        };
        let columns = guesses
            .into_iter()
            .map(|g| ColumnInfo {
                index: g.column,
                header: g.header,
                samples: g.samples,
                suggested: g.target,
                reason: format!("{:?}", g.reason).to_lowercase(),
            })
            .collect();
        Ok((
            ImportAnalysis {
                format: detected.format.as_str().to_owned(),
                encoding: detected.encoding.clone(),
                delimiter: detected.delimiter.map(|c| if c == '\t' { "\\t".to_owned() } else { c.to_string() }),
                sheet: detected.sheet.clone(),
                sheets: detected.sheets.clone(),
                columns,
                preset: preset.map(|p| p.key),
                undo: None,
            },
            rows,
        ))
    }

    async fn find_preset(&self, key: &str) -> Result<Option<Preset>> {
        if let Some(p) = import_map::builtin_presets().into_iter().find(|p| p.key == key) {
            return Ok(Some(p));
        }
        let Ok(id) = Uuid::parse_str(key) else {
            return Err(Error::invalid("preset", format!("no preset `{key}`")));
        };
        let saved = self.store.list_presets(None).await?;
        match saved.into_iter().find(|p| p.id == id) {
            Some(p) => Ok(Some(Preset {
                key: p.id.to_string(),
                name: p.name,
                entity: p.entity,
                columns: p.columns,
                values: Vec::new(),
            })),
            None => Err(Error::invalid("preset", format!("no preset `{key}`"))),
        }
    }

    /// Creates an import from a stored file: analyses it and suggests the mapping.
    pub async fn create_import(
        &self,
        actor: &Actor,
        req: NewImport,
        file: StoredFile,
        settings: ImportSettings,
    ) -> Result<Import> {
        Self::can_import(actor)?;
        let file_name = req.file_name.trim();
        if file_name.is_empty() || file_name.chars().count() > 255 {
            return Err(Error::invalid("file_name", "must be 1 to 255 characters"));
        }
        let (analysis, rows) = match self.analyse(file.id, file_name, req.entity, &settings).await {
            Ok(a) => a,
            Err(e) => {
                self.store.delete_file(file.id).await?;
                return Err(e);
            }
        };
        let mut settings = settings;
        if settings.mapping.is_empty() {
            settings.mapping = analysis.columns.iter().map(|c| c.suggested.clone()).collect();
        }
        if settings.values.is_empty()
            && let Some(key) = &analysis.preset
            && let Some(p) = import_map::builtin_presets().into_iter().find(|p| &p.key == key)
        {
            settings.values = p.values;
        }
        let at = now();
        let import = Import {
            id: new_id(),
            version: 1,
            created_by: actor.user_id,
            entity: req.entity,
            file_id: file.id,
            file_name: file_name.to_owned(),
            status: ImportStatus::Uploaded,
            settings,
            analysis,
            rows_total: rows,
            rows_done: 0,
            created: 0,
            updated: 0,
            skipped: 0,
            rejected: 0,
            dry_run: false,
            error: None,
            started_at: None,
            finished_at: None,
            created_at: at,
            updated_at: at,
        };
        self.check_settings(&import, false).await?;
        let audit = audit_entry(
            actor,
            "create",
            "import",
            import.id,
            json!({"file_name": import.file_name, "rows": rows, "format": import.analysis.format}),
        );
        self.store.insert_import(&import, &audit).await?;
        Ok(import)
    }

    /// Checks the choices. `complete` also asks for what a run needs (a column for the
    /// records' main fields); an upload and the wizard's intermediate saves need not have it.
    async fn check_settings(&self, i: &Import, complete: bool) -> Result<()> {
        let (_, _, custom) = self.custom_targets().await?;
        let mut p = Problems::new();
        if i.settings.mapping.len() > i.analysis.columns.len() {
            p.add("mapping", format!("the file has {} columns", i.analysis.columns.len()));
        }
        let mut used: Vec<&str> = Vec::new();
        for (n, t) in i.settings.mapping.iter().enumerate() {
            let Some(t) = t.as_deref() else { continue };
            if !import_map::is_target(t, &custom) {
                p.add(format!("mapping[{n}]"), format!("`{t}` is not a field to import into"));
                continue;
            }
            let multi = import_map::target_fields().iter().any(|f| f.key == t && f.multi);
            if t != "ignore" && !multi && used.contains(&t) {
                p.add(format!("mapping[{n}]"), format!("`{t}` is already mapped from another column"));
            }
            used.push(t);
        }
        let main = match i.entity {
            ImportEntity::Contacts => "contact.",
            ImportEntity::Companies => "company.",
        };
        if complete && !i.settings.mapping.iter().flatten().any(|t| t.starts_with(main)) {
            p.add("mapping", format!("map at least one column to a {}* field", main));
        }
        if complete && i.entity == ImportEntity::Companies && !used.contains(&"company.name") {
            p.add("mapping", "a companies import needs a column mapped to company.name");
        }
        for (n, f) in i.settings.update_fields.iter().enumerate() {
            if !import_map::is_target(f, &custom) {
                p.add(format!("update_fields[{n}]"), format!("`{f}` is not a field"));
            }
        }
        if let Some(r) = &i.settings.region
            && let Err(m) = Region::parse(r)
        {
            p.add("region", m);
        }
        if let Some(o) = i.settings.default_owner_id {
            match self.store.get_user(o).await? {
                Some(u) if u.active => {}
                _ => p.add("default_owner_id", "no such active user"),
            }
        }
        p.into_result()
    }

    async fn import_for(&self, actor: &Actor, id: Uuid) -> Result<Import> {
        let i = self.store.get_import(id).await?.ok_or(Error::NotFound("import"))?;
        if i.created_by != actor.user_id && check_area(actor, Area::Settings, Action::Read).is_err() {
            return Err(Error::NotFound("import"));
        }
        Ok(i)
    }

    pub async fn get_import(&self, actor: &Actor, id: Uuid) -> Result<Import> {
        self.import_for(actor, id).await
    }

    /// Imports of the actor (all of them for administrators).
    pub async fn list_imports(&self, actor: &Actor) -> Result<Vec<Import>> {
        let mine = check_area(actor, Area::Settings, Action::Read).is_err().then_some(actor.user_id);
        self.store.list_imports(mine, 100).await
    }

    /// Changes the choices of an import not yet run. A changed encoding, delimiter, sheet
    /// or preset reads the file again.
    pub async fn configure_import(
        &self,
        actor: &Actor,
        id: Uuid,
        settings: ImportSettings,
        if_match: Option<i64>,
    ) -> Result<Import> {
        let current = self.import_for(actor, id).await?;
        check_version(if_match, current.version)?;
        if current.status != ImportStatus::Uploaded {
            return Err(Error::conflict("status", "this import has already run"));
        }
        let mut next = current.clone();
        let reread = settings.encoding != current.settings.encoding
            || settings.delimiter != current.settings.delimiter
            || settings.sheet != current.settings.sheet
            || (settings.preset != current.settings.preset && settings.preset.is_some());
        let mut settings = settings;
        if reread {
            let (analysis, rows) = self.analyse(current.file_id, &current.file_name, current.entity, &settings).await?;
            if settings.mapping.is_empty() || settings.preset != current.settings.preset {
                settings.mapping = analysis.columns.iter().map(|c| c.suggested.clone()).collect();
            }
            if settings.preset != current.settings.preset
                && let Some(p) = settings.preset.as_deref()
                && let Some(p) = self.find_preset(p).await?
            {
                settings.values = p.values;
            }
            next.analysis = analysis;
            next.rows_total = rows;
        } else if settings.mapping.is_empty() {
            settings.mapping = current.settings.mapping.clone();
        }
        next.settings = settings;
        next.version += 1;
        next.updated_at = now();
        self.check_settings(&next, false).await?;
        self.store.save_import(&next, current.version).await?;
        Ok(next)
    }

    /// Every user (owner columns may name any of them).
    pub async fn all_users(&self) -> Result<Vec<crate::domain::user::User>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page =
                crate::domain::page::PageRequest::parse(Some(200), cursor.as_deref(), Some("name"), &["name"], "name")
                    .map_err(Error::Validation)?;
            let p = self.store.list_users(&page, None).await?;
            out.extend(p.data);
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    async fn planner(&self, i: &Import, actor: Actor) -> Result<Planner> {
        let (contact_defs, company_defs, _) = self.custom_targets().await?;
        let users = self.all_users().await?;
        let mut teams = HashMap::new();
        for u in &users {
            teams.insert(u.id, u.team_id);
        }
        let users =
            UserDirectory::new(users.into_iter().filter(|u| u.active).map(|u| (u.id, u.email.to_string(), u.name)));
        let region = match &i.settings.region {
            Some(r) => Some(Region::parse(r).map_err(|m| Error::invalid("region", m))?),
            None => self.settings.default_region,
        };
        let mut settings = i.settings.clone();
        if settings.default_owner_id.is_none() && actor.kind != crate::authz::ActorKind::System {
            settings.default_owner_id = Some(actor.user_id);
        }
        let has_company_cols =
            settings.mapping.iter().flatten().any(|t| t == "company.name" || t == "company.tax_number");
        let domains = if i.entity == ImportEntity::Contacts && !has_company_cols {
            let mut m = HashMap::new();
            for (id, host) in self.store.company_contact_hosts().await? {
                if let Some(d) = domain_of(&host).filter(|d| !FREE_MAIL.contains(&d.as_str())) {
                    m.entry(d).or_insert(id);
                }
            }
            Some(m)
        } else {
            None
        };
        Ok(Planner {
            actor,
            entity: i.entity,
            headers: i.analysis.columns.iter().map(|c| c.header.clone()).collect(),
            mapping: settings.mapping.clone(),
            settings,
            region,
            contact_defs,
            company_defs,
            users,
            teams,
            seen: HashMap::new(),
            company_names: HashMap::new(),
            company_taxes: HashMap::new(),
            domains,
            batch_ids: HashMap::new(),
            preview: true,
        })
    }

    /// Plans a batch of rows (no writes).
    async fn plan(&self, pl: &mut Planner, rows: Vec<clientele_io::Row>) -> Result<Vec<RowPlan>> {
        pl.batch_ids.clear();
        let at = now();
        let meta = || RecordMeta {
            id: new_id(),
            version: 1,
            created_at: at,
            updated_at: at,
            deleted_at: None,
            merged_into: None,
        };
        // 1. Read and validate every row.
        struct Read {
            row_number: i64,
            cells: Vec<String>,
            contact: Option<Contact>,
            company: Option<Company>,
            role: Option<String>,
            present: Vec<String>,
            errors: Vec<CellError>,
        }
        let mut read: Vec<Read> = Vec::with_capacity(rows.len());
        for row in rows {
            let ctx = pl.ctx();
            let data = read_row(&ctx, &row.cells);
            let mut errors = data.errors.clone();
            let mut role = None;
            let contact = data.contact.as_ref().map(|(input, origins)| {
                let mut p = Problems::new();
                let c = input.validate(meta(), input.owner_id, pl.region, &pl.contact_defs, &mut p);
                role = parse_role("company_role", input.company_role.as_deref(), &mut p);
                errors.extend(p.into_errors().into_iter().map(|e| locate(&ctx, "contact", origins, e)));
                c
            });
            let company = data.company.as_ref().map(|(input, origins)| {
                let mut p = Problems::new();
                let c = input.validate(meta(), input.owner_id, pl.region, &pl.company_defs, &mut p);
                errors.extend(p.into_errors().into_iter().map(|e| locate(&ctx, "company", origins, e)));
                c
            });
            read.push(Read {
                row_number: row.number as i64,
                cells: row.cells,
                contact,
                company,
                role,
                present: data.present,
                errors,
            });
        }
        // 2. One look-up for every contact point and company of the batch.
        let mut points: Vec<(String, String)> = Vec::new();
        let mut taxes: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for r in read.iter().filter(|r| r.errors.is_empty()) {
            if let Some(c) = &r.contact {
                points.extend(points_of(&c.phones, &c.emails));
            }
            if let Some(c) = &r.company {
                if pl.entity == ImportEntity::Companies {
                    points.extend(points_of(&c.phones, &c.emails));
                }
                if let Some(t) = &c.tax_number
                    && !pl.company_taxes.contains_key(t)
                {
                    taxes.push(t.clone());
                }
                let n = sort_key(&c.name);
                if !n.is_empty() && !pl.company_names.contains_key(&n) {
                    names.push(n);
                }
            }
        }
        points.sort();
        points.dedup();
        taxes.sort();
        taxes.dedup();
        names.sort();
        names.dedup();
        let mut owners: HashMap<(String, String), Vec<(String, Uuid)>> = HashMap::new();
        for (k, v, t, id) in self.store.find_points(&points).await? {
            owners.entry((k, v)).or_default().push((t, id));
        }
        let mut base_taxes: HashMap<String, Uuid> = HashMap::new();
        let mut base_names: HashMap<String, Uuid> = HashMap::new();
        for (id, tax, name) in self.store.find_companies(&taxes, &names).await? {
            if let Some(t) = tax {
                base_taxes.entry(t).or_insert(id);
            }
            base_names.entry(name).or_insert(id);
        }
        // 3. Decide each row, in file order.
        let mut plans: Vec<RowPlan> = Vec::with_capacity(read.len());
        for r in read {
            let mut preview = PreviewRow {
                row_number: r.row_number,
                action: RowAction::Reject,
                contact: r.contact.as_ref().filter(|_| pl.preview).map(to_json),
                company: r.company.as_ref().filter(|_| pl.preview).map(to_json),
                company_action: None,
                duplicate: None,
                errors: r.errors.clone(),
                cells: if pl.preview { r.cells.clone() } else { Vec::new() },
            };
            if !r.errors.is_empty() {
                plans.push(RowPlan {
                    row_number: r.row_number,
                    cells: r.cells,
                    action: RowAction::Reject,
                    writes: vec![],
                    preview,
                });
                continue;
            }
            let outcome = match pl.entity {
                ImportEntity::Contacts => {
                    self.plan_contact_row(
                        pl,
                        &r.contact,
                        &r.company,
                        r.role.clone(),
                        &r.present,
                        &owners,
                        &base_taxes,
                        &base_names,
                        r.row_number,
                        &mut preview,
                    )
                    .await
                }
                ImportEntity::Companies => {
                    self.plan_company_row(
                        pl,
                        &r.company,
                        &r.contact,
                        r.role.clone(),
                        &r.present,
                        &owners,
                        &base_taxes,
                        &base_names,
                        r.row_number,
                        &mut preview,
                    )
                    .await
                }
            };
            match outcome {
                Ok((action, writes)) => {
                    preview.action = action;
                    // Only a row that goes through leaves traces for later rows.
                    for w in &writes {
                        let (phones, emails, entity) = match w {
                            ImportWrite::NewContact { contact, .. } | ImportWrite::UpdateContact { contact, .. } => {
                                (&contact.phones, &contact.emails, ImportEntity::Contacts)
                            }
                            ImportWrite::NewCompany { company, .. } | ImportWrite::UpdateCompany { company, .. } => {
                                if let Some(t) = &company.tax_number {
                                    pl.company_taxes.entry(t.clone()).or_insert(company.id);
                                }
                                pl.company_names.entry(sort_key(&company.name)).or_insert(company.id);
                                (&company.phones, &company.emails, ImportEntity::Companies)
                            }
                        };
                        if entity == pl.entity {
                            for (k, v) in points_of(phones, emails) {
                                pl.seen.entry(hash_point(&k, &v)).or_insert(r.row_number);
                            }
                        }
                    }
                    if action == RowAction::Skip {
                        // Duplicates of an earlier row still mark the file's points as seen.
                        if let Some(c) = r.contact.as_ref().filter(|_| pl.entity == ImportEntity::Contacts) {
                            for (k, v) in points_of(&c.phones, &c.emails) {
                                pl.seen.entry(hash_point(&k, &v)).or_insert(r.row_number);
                            }
                        }
                    }
                    let idx = plans.len();
                    for (n, w) in writes.iter().enumerate() {
                        if let ImportWrite::NewContact { contact, .. } = w {
                            pl.batch_ids.insert(contact.id, (idx, n));
                        }
                        if let ImportWrite::NewCompany { company, .. } = w {
                            pl.batch_ids.insert(company.id, (idx, n));
                        }
                    }
                    plans.push(RowPlan { row_number: r.row_number, cells: r.cells, action, writes, preview });
                }
                Err(e) => {
                    let errors = match e {
                        Error::Validation(v) => v
                            .into_iter()
                            .map(|f| CellError { column: None, header: None, field: f.field, message: f.message })
                            .collect(),
                        other => vec![CellError {
                            column: None,
                            header: None,
                            field: "row".into(),
                            message: other.to_string(),
                        }],
                    };
                    preview.errors = errors;
                    plans.push(RowPlan {
                        row_number: r.row_number,
                        cells: r.cells,
                        action: RowAction::Reject,
                        writes: vec![],
                        preview,
                    });
                }
            }
        }
        // A later row of the batch that updates a record created earlier in the same batch
        // changes the pending creation instead.
        let mut i = 0;
        while i < plans.len() {
            let mut moved: Vec<ImportWrite> = Vec::new();
            let writes = std::mem::take(&mut plans[i].writes);
            for w in writes {
                let target = match &w {
                    ImportWrite::UpdateContact { contact, .. } => pl.batch_ids.get(&contact.id).copied(),
                    ImportWrite::UpdateCompany { company, .. } => pl.batch_ids.get(&company.id).copied(),
                    _ => None,
                };
                match (target, w) {
                    (Some((pi, wi)), ImportWrite::UpdateContact { contact, body, .. }) if pi < i => {
                        if let ImportWrite::NewContact { contact: c, body: b, .. } = &mut plans[pi].writes[wi] {
                            let mut merged = contact;
                            merged.version = 1;
                            *c = merged;
                            *b = body;
                        }
                    }
                    (Some((pi, wi)), ImportWrite::UpdateCompany { company, body, .. }) if pi < i => {
                        if let ImportWrite::NewCompany { company: c, body: b } = &mut plans[pi].writes[wi] {
                            let mut merged = company;
                            merged.version = 1;
                            *c = merged;
                            *b = body;
                        }
                    }
                    (_, w) => moved.push(w),
                }
            }
            plans[i].writes = moved;
            i += 1;
        }
        Ok(plans)
    }

    /// The existing record a set of contact points belongs to (same record type), or the
    /// earlier row of the file that had one of them.
    fn find_duplicate(
        pl: &Planner,
        entity_type: &str,
        points: &[(String, String)],
        owners: &HashMap<(String, String), Vec<(String, Uuid)>>,
    ) -> Option<DuplicateOf> {
        for (k, v) in points {
            if let Some(row) = pl.seen.get(&hash_point(k, v)) {
                return Some(DuplicateOf { row: Some(*row), existing_id: None, matched: format!("{k} {v}") });
            }
        }
        for (k, v) in points {
            if let Some((_, id)) =
                owners.get(&(k.clone(), v.clone())).and_then(|l| l.iter().find(|(t, _)| t == entity_type))
            {
                return Some(DuplicateOf { row: None, existing_id: Some(*id), matched: format!("{k} {v}") });
            }
        }
        None
    }

    /// The record a duplicate refers to, as stored or as pending earlier in this batch.
    /// The id of the record a duplicate refers to: the existing one, or the one an earlier
    /// row of the file made (committed by an earlier batch), found by the matching point.
    async fn duplicate_id(&self, dup: &DuplicateOf, entity_type: &str) -> Result<Option<Uuid>> {
        if let Some(id) = dup.existing_id {
            return Ok(Some(id));
        }
        let (k, v) = dup.matched.split_once(' ').unwrap_or_default();
        Ok(self
            .store
            .find_points(&[(k.to_owned(), v.to_owned())])
            .await?
            .into_iter()
            .find(|(_, _, t, _)| t == entity_type)
            .map(|(_, _, _, id)| id))
    }

    async fn existing_contact(&self, dup: &DuplicateOf) -> Result<Option<Contact>> {
        match self.duplicate_id(dup, "contact").await? {
            Some(id) => Ok(self.store.get_contact(id).await?.filter(|c| c.deleted_at.is_none())),
            None => Ok(None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn resolve_company(
        &self,
        pl: &mut Planner,
        company: &Option<Company>,
        contact: &Contact,
        base_taxes: &HashMap<String, Uuid>,
        base_names: &HashMap<String, Uuid>,
        writes: &mut Vec<ImportWrite>,
        preview: &mut PreviewRow,
    ) -> Result<Option<Uuid>> {
        if let Some(c) = company {
            if let Some(t) = &c.tax_number
                && let Some(id) = pl.company_taxes.get(t).or_else(|| base_taxes.get(t))
            {
                preview.company_action = Some("link".into());
                return Ok(Some(*id));
            }
            let n = sort_key(&c.name);
            if !n.is_empty()
                && let Some(id) = pl.company_names.get(&n).or_else(|| base_names.get(&n))
            {
                preview.company_action = Some("link".into());
                return Ok(Some(*id));
            }
            if c.name.is_empty() {
                return Ok(None);
            }
            check_create(&pl.actor, RecordKind::Company, pl.ownership(c.owner_id))?;
            preview.company_action = Some("create".into());
            writes.push(ImportWrite::NewCompany { company: c.clone(), body: c.search_body() });
            return Ok(Some(c.id));
        }
        if let Some(domains) = &pl.domains {
            for e in &contact.emails {
                if let Some(id) = domain_of(&e.address).and_then(|d| domains.get(&d)) {
                    preview.company_action = Some("link".into());
                    return Ok(Some(*id));
                }
            }
        }
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_contact_row(
        &self,
        pl: &mut Planner,
        contact: &Option<Contact>,
        company: &Option<Company>,
        role: Option<String>,
        present: &[String],
        owners: &HashMap<(String, String), Vec<(String, Uuid)>>,
        base_taxes: &HashMap<String, Uuid>,
        base_names: &HashMap<String, Uuid>,
        _row: i64,
        preview: &mut PreviewRow,
    ) -> Result<(RowAction, Vec<ImportWrite>)> {
        let Some(contact) = contact else {
            return Err(Error::invalid("contact", "the row has no contact: map a name, phone or e-mail column"));
        };
        let mut contact = contact.clone();
        let points = points_of(&contact.phones, &contact.emails);
        let dup = Self::find_duplicate(pl, "contact", &points, owners);
        preview.duplicate = dup.clone();
        let mut writes = Vec::new();
        match (&dup, pl.settings.duplicates) {
            (Some(_), crate::domain::import::DuplicatePolicy::Skip) => return Ok((RowAction::Skip, writes)),
            (Some(d), crate::domain::import::DuplicatePolicy::Update) => {
                let Some(existing) = self.existing_contact(d).await? else {
                    return Ok((RowAction::Skip, writes));
                };
                check_record(&pl.actor, RecordKind::Contact, Action::Update, pl.ownership(existing.owner_id))?;
                let company_id =
                    self.resolve_company(pl, company, &contact, base_taxes, base_names, &mut writes, preview).await?;
                let mut next =
                    update_contact_from(&existing, &contact, present, &pl.settings.update_fields, company_id);
                next.version = existing.version + 1;
                next.updated_at = now();
                let link = (existing.company_id.is_none()).then_some(company_id).flatten().map(|cid| CompanyLink {
                    company_id: cid,
                    contact_id: existing.id,
                    role: role.clone(),
                    is_primary: true,
                });
                // Indexed with its company's name: the row's when the row's company is the one
                // linked now (it may be created by this very batch), the stored one otherwise.
                let row_company = company.as_ref().filter(|c| !c.name.is_empty() && link.is_some());
                let body = match row_company {
                    Some(c) => next.search_body(Some(&c.name)),
                    None => self.contact_search_body(&next).await?,
                };
                if pl.preview {
                    preview.contact = Some(to_json(&next));
                }
                writes.push(ImportWrite::UpdateContact {
                    before: to_json(&existing),
                    expected_version: existing.version,
                    contact: next,
                    body,
                    link,
                });
                return Ok((RowAction::Update, writes));
            }
            _ => {}
        }
        check_create(&pl.actor, RecordKind::Contact, pl.ownership(contact.owner_id))?;
        let company_id =
            self.resolve_company(pl, company, &contact, base_taxes, base_names, &mut writes, preview).await?;
        contact.company_id = company_id;
        let link =
            company_id.map(|cid| CompanyLink { company_id: cid, contact_id: contact.id, role, is_primary: true });
        let company_name = company.as_ref().map(|c| c.name.clone()).filter(|n| !n.is_empty());
        let body = contact.search_body(company_name.as_deref());
        if pl.preview {
            preview.contact = Some(to_json(&contact));
        }
        writes.push(ImportWrite::NewContact { contact, body, link });
        Ok((RowAction::Create, writes))
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_company_row(
        &self,
        pl: &mut Planner,
        company: &Option<Company>,
        contact: &Option<Contact>,
        role: Option<String>,
        present: &[String],
        owners: &HashMap<(String, String), Vec<(String, Uuid)>>,
        base_taxes: &HashMap<String, Uuid>,
        base_names: &HashMap<String, Uuid>,
        _row: i64,
        preview: &mut PreviewRow,
    ) -> Result<(RowAction, Vec<ImportWrite>)> {
        let Some(company) = company.as_ref().filter(|c| !c.name.is_empty()) else {
            return Err(Error::invalid("company.name", "a company needs a name"));
        };
        let mut writes = Vec::new();
        // Same tax number, same contact point, or the same name: the same company (found in
        // the base, or made by an earlier row of this import).
        let known = |key: &str, local: &HashMap<String, Uuid>, base: &HashMap<String, Uuid>, what: String| {
            local.get(key).or_else(|| base.get(key)).map(|id| DuplicateOf {
                row: None,
                existing_id: Some(*id),
                matched: what,
            })
        };
        let mut dup = company
            .tax_number
            .as_ref()
            .and_then(|t| known(t, &pl.company_taxes, base_taxes, format!("tax_number {t}")));
        if dup.is_none() {
            dup = Self::find_duplicate(pl, "company", &points_of(&company.phones, &company.emails), owners);
        }
        if dup.is_none() {
            dup = known(&sort_key(&company.name), &pl.company_names, base_names, format!("name {}", company.name));
        }
        preview.duplicate = dup.clone();
        let company_id;
        let action;
        match (&dup, pl.settings.duplicates) {
            (Some(_), crate::domain::import::DuplicatePolicy::Skip) => return Ok((RowAction::Skip, writes)),
            (Some(d), crate::domain::import::DuplicatePolicy::Update) => {
                let id = self.duplicate_id(d, "company").await?;
                let existing = match id {
                    Some(id) => self.store.get_company(id).await?.filter(|c| c.deleted_at.is_none()),
                    None => None,
                };
                let Some(existing) = existing else { return Ok((RowAction::Skip, writes)) };
                check_record(&pl.actor, RecordKind::Company, Action::Update, pl.ownership(existing.owner_id))?;
                let mut next = update_company_from(&existing, company, present, &pl.settings.update_fields);
                next.version = existing.version + 1;
                next.updated_at = now();
                let body = next.search_body();
                if pl.preview {
                    preview.company = Some(to_json(&next));
                }
                company_id = existing.id;
                writes.push(ImportWrite::UpdateCompany {
                    before: to_json(&existing),
                    expected_version: existing.version,
                    company: next,
                    body,
                });
                action = RowAction::Update;
            }
            _ => {
                check_create(&pl.actor, RecordKind::Company, pl.ownership(company.owner_id))?;
                company_id = company.id;
                writes.push(ImportWrite::NewCompany { company: company.clone(), body: company.search_body() });
                action = RowAction::Create;
            }
        }
        // Contact persons on the same row: created and linked unless they exist already.
        if let Some(person) = contact {
            let points = points_of(&person.phones, &person.emails);
            if Self::find_duplicate(pl, "contact", &points, owners).is_none() {
                check_create(&pl.actor, RecordKind::Contact, pl.ownership(person.owner_id))?;
                let mut person = person.clone();
                person.company_id = Some(company_id);
                let link = CompanyLink { company_id, contact_id: person.id, role, is_primary: true };
                let body = person.search_body(Some(&company.name));
                writes.push(ImportWrite::NewContact { contact: person, body, link: Some(link) });
            }
        }
        Ok((action, writes))
    }

    /// The first rows as they will be stored, with every problem and duplicate.
    pub async fn preview_import(&self, actor: &Actor, id: Uuid, limit: Option<u32>) -> Result<Vec<PreviewRow>> {
        let i = self.import_for(actor, id).await?;
        let limit = limit.unwrap_or(20).clamp(1, PREVIEW_MAX as u32) as usize;
        let format = clientele_io::Format::parse(&i.analysis.format)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored format {}", i.analysis.format)))?;
        let opts = read_options(&i.settings)?;
        let reader = self.reader(i.file_id);
        let rows = tokio::task::spawn_blocking(move || {
            let mut table = clientele_io::Table::open(format, Box::new(reader), &opts)?;
            let mut rows = Vec::new();
            while rows.len() < limit {
                match table.next_row() {
                    Some(r) => rows.push(r?),
                    None => break,
                }
            }
            Ok::<_, clientele_io::ReadError>(rows)
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("reading the file: {e}")))?
        .map_err(read_err)?;
        let mut pl = self.planner(&i, actor.clone()).await?;
        let plans = self.plan(&mut pl, rows).await?;
        Ok(plans.into_iter().map(|p| p.preview).collect())
    }

    /// Queues the run (202 in the API). `dry_run` checks every row and writes nothing.
    pub async fn start_import(&self, actor: &Actor, id: Uuid, dry_run: bool) -> Result<Import> {
        let current = self.import_for(actor, id).await?;
        if current.status != ImportStatus::Uploaded {
            return Err(Error::conflict("status", format!("this import is {}", current.status.as_str())));
        }
        self.check_settings(&current, true).await?;
        let mut next = current.clone();
        next.status = ImportStatus::Queued;
        next.dry_run = dry_run;
        next.version += 1;
        next.updated_at = now();
        self.store.save_import(&next, current.version).await?;
        self.enqueue("import.run", json!({"id": id}), Some(actor.user_id)).await?;
        Ok(next)
    }

    /// Stops a queued or running import after its current batch (rows done stay done).
    pub async fn cancel_import(&self, actor: &Actor, id: Uuid) -> Result<Import> {
        let current = self.import_for(actor, id).await?;
        if !matches!(current.status, ImportStatus::Uploaded | ImportStatus::Queued | ImportStatus::Running) {
            return Err(Error::conflict("status", format!("this import is {}", current.status.as_str())));
        }
        let mut next = current.clone();
        next.status = ImportStatus::Cancelled;
        next.finished_at = Some(now());
        next.version += 1;
        next.updated_at = now();
        self.store.save_import(&next, current.version).await?;
        Ok(next)
    }

    /// Queues undoing a finished import.
    pub async fn undo_import(&self, actor: &Actor, id: Uuid) -> Result<Import> {
        let current = self.import_for(actor, id).await?;
        if !matches!(current.status, ImportStatus::Done | ImportStatus::Cancelled | ImportStatus::Failed)
            || current.dry_run
        {
            return Err(Error::conflict("status", "only a finished import that wrote records can be undone"));
        }
        let mut next = current.clone();
        next.status = ImportStatus::Undoing;
        next.version += 1;
        next.updated_at = now();
        self.store.save_import(&next, current.version).await?;
        self.enqueue("import.undo", json!({"id": id}), Some(actor.user_id)).await?;
        Ok(next)
    }

    /// Rows the import did not take, with why, in file order.
    pub async fn import_report(
        &self,
        actor: &Actor,
        id: Uuid,
        after_row: i64,
        limit: u32,
    ) -> Result<Vec<ImportReject>> {
        self.import_for(actor, id).await?;
        self.store.import_rejects(id, after_row, limit.clamp(1, 10_000)).await
    }

    /// The report as a file: row number, reasons, then the row's cells under the file's
    /// headers. `format` is `csv` or `xlsx`; `labels` name the first two columns (in the
    /// reader's language).
    pub async fn import_report_file(
        &self,
        actor: &Actor,
        id: Uuid,
        format: &str,
        labels: [&str; 2],
    ) -> Result<(String, &'static str, Vec<u8>)> {
        let i = self.import_for(actor, id).await?;
        let (ext, content_type) = match format {
            "csv" => ("csv", ExportFormat::Csv.content_type()),
            "xlsx" => ("xlsx", ExportFormat::Xlsx.content_type()),
            other => return Err(Error::invalid("format", format!("`{other}`: the report comes as csv or xlsx"))),
        };
        let mut headers: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        headers.extend(i.analysis.columns.iter().map(|c| c.header.clone()));
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store.import_rejects(id, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.row_number;
            for r in page {
                let reasons = r
                    .errors
                    .iter()
                    .map(|e| match &e.header {
                        Some(h) => format!("{h}: {}", e.message),
                        None => e.message.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut cells = vec![r.row_number.to_string(), reasons];
                cells.extend(r.cells);
                rows.push(cells);
            }
        }
        let io = |e: std::io::Error| Error::Internal(e.into());
        let bytes = if ext == "csv" {
            let mut w = clientele_io::CsvOut::new(Vec::new(), b',', true);
            for r in std::iter::once(&headers).chain(rows.iter()) {
                w.write_row(r.iter()).map_err(io)?;
            }
            w.finish().map_err(io)?
        } else {
            tokio::task::spawn_blocking(move || {
                let mut w = clientele_io::XlsxOut::new("Report")?;
                w.write_header(&headers)?;
                for r in &rows {
                    w.write_row(r.iter())?;
                }
                w.finish()
            })
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("writing the report: {e}")))?
            .map_err(io)?
        };
        let stem = i.file_name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&i.file_name);
        Ok((format!("{stem}-report.{ext}"), content_type, bytes))
    }

    pub(crate) async fn import_failed(&self, id: Uuid, msg: &str) -> Result<()> {
        let Some(current) = self.store.get_import(id).await? else { return Ok(()) };
        let mut next = current.clone();
        next.status = ImportStatus::Failed;
        next.error = Some(msg.to_owned());
        next.finished_at = Some(now());
        next.version += 1;
        next.updated_at = now();
        self.store.save_import(&next, current.version).await
    }

    /// The import job: resumes after the last committed row.
    pub(crate) async fn run_import(&self, id: Uuid, lease: &Lease) -> Result<()> {
        let Some(mut i) = self.store.get_import(id).await? else { return Ok(()) };
        if !matches!(i.status, ImportStatus::Queued | ImportStatus::Running) {
            return Ok(()); // cancelled meanwhile
        }
        let actor = self
            .actor_for(i.created_by, crate::authz::ActorKind::Session)
            .await?
            .ok_or_else(|| Error::Forbidden("the user who started this import is no longer active".into()))?;
        if i.status == ImportStatus::Queued {
            let v = i.version;
            i.status = ImportStatus::Running;
            i.started_at.get_or_insert_with(now);
            i.version += 1;
            i.updated_at = now();
            self.store.save_import(&i, v).await?;
        }
        let mut pl = self.planner(&i, actor.clone()).await?;
        pl.preview = false;
        let format = clientele_io::Format::parse(&i.analysis.format)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored format {}", i.analysis.format)))?;
        let opts = read_options(&i.settings)?;
        let skip = i.rows_done.max(0) as usize;
        let reader = self.reader(i.file_id);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<std::result::Result<Vec<clientele_io::Row>, String>>(2);
        let producer = tokio::task::spawn_blocking(move || {
            let mut table = match clientele_io::Table::open(format, Box::new(reader), &opts) {
                Ok(t) => t,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e.to_string()));
                    return;
                }
            };
            let mut n = 0_usize;
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            while let Some(row) = table.next_row() {
                match row {
                    Ok(r) => {
                        n += 1;
                        if n <= skip {
                            continue;
                        }
                        batch.push(r);
                        if batch.len() == BATCH_ROWS && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e.to_string()));
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.blocking_send(Ok(batch));
            }
        });
        // Planning the next batch overlaps writing the previous one (two cores: the
        // database's thread and ours). Updating duplicates needs each batch committed
        // before the next is planned, so that it finds the records the batch created.
        let overlap = i.settings.duplicates != crate::domain::import::DuplicatePolicy::Update;
        let mut writing: Option<tokio::task::JoinHandle<Result<()>>> = None;
        let mut cancelled = false;
        while let Some(batch) = rx.recv().await {
            let rows = batch.map_err(|m| Error::invalid("file", m))?;
            let plans = self.plan(&mut pl, rows).await?;
            if let Some(w) = writing.take() {
                cancelled = self.batch_written(w, lease, id).await?;
                if cancelled {
                    break;
                }
            }
            let (s, a, imp) = (self.clone(), actor.clone(), i.clone());
            let task = tokio::spawn(async move { s.apply_plans(&a, &imp, plans).await });
            if overlap {
                writing = Some(task);
            } else {
                cancelled = self.batch_written(task, lease, id).await?;
                if cancelled {
                    break;
                }
            }
        }
        if let Some(w) = writing.take() {
            cancelled = self.batch_written(w, lease, id).await?;
        }
        drop(rx);
        let _ = producer.await;
        if cancelled {
            return Ok(());
        }
        let current = self.store.get_import(id).await?.ok_or(Error::NotFound("import"))?;
        if current.status == ImportStatus::Cancelled {
            return Ok(());
        }
        let mut done = current.clone();
        done.status = ImportStatus::Done;
        done.finished_at = Some(now());
        done.version += 1;
        done.updated_at = now();
        self.store.save_import(&done, current.version).await?;
        Ok(())
    }

    /// Waits for a batch being written, renews the lease, and tells whether the import was
    /// cancelled meanwhile (from the UI or the API: it stops after the batch in hand).
    async fn batch_written(&self, task: tokio::task::JoinHandle<Result<()>>, lease: &Lease, id: Uuid) -> Result<bool> {
        task.await.map_err(|e| Error::Internal(anyhow::anyhow!("writing a batch: {e}")))??;
        lease.keep(self).await?;
        Ok(self.store.get_import(id).await?.is_some_and(|x| x.status == ImportStatus::Cancelled))
    }

    async fn apply_plans(&self, actor: &Actor, i: &Import, mut plans: Vec<RowPlan>) -> Result<()> {
        let at = now();
        let counts: Vec<usize> = plans.iter().map(|p| p.writes.len()).collect();
        let batch = self.batch_of(actor, i, &mut plans, at);
        match self.store.apply_import_batch(&batch).await {
            Ok(()) => Ok(()),
            Err(Error::Internal(e)) => Err(Error::Internal(e)),
            Err(_) => {
                // One row clashes (a record changed meanwhile, a unique value): apply row
                // by row, refusing only the culprit. The rows get their writes back first.
                let mut writes = batch.writes.into_iter();
                for (p, n) in plans.iter_mut().zip(counts) {
                    if !i.dry_run {
                        p.writes = writes.by_ref().take(n).collect();
                    }
                }
                for mut p in plans {
                    let single = self.batch_of(actor, i, std::slice::from_mut(&mut p), at);
                    if let Err(e) = self.store.apply_import_batch(&single).await {
                        let reject = ImportReject {
                            row_number: p.row_number,
                            errors: vec![CellError {
                                column: None,
                                header: None,
                                field: "row".into(),
                                message: e.to_string(),
                            }],
                            cells: p.cells.clone(),
                        };
                        let b = ImportBatch {
                            import_id: i.id,
                            rejects: vec![reject],
                            rows: 1,
                            rejected: 1,
                            at,
                            ..Default::default()
                        };
                        self.store.apply_import_batch(&b).await?;
                    }
                }
                Ok(())
            }
        }
    }

    /// The batch of these rows; their writes move into it.
    fn batch_of(
        &self,
        actor: &Actor,
        i: &Import,
        plans: &mut [RowPlan],
        at: chrono::DateTime<chrono::Utc>,
    ) -> ImportBatch {
        let mut b = ImportBatch { import_id: i.id, at, rows: plans.len() as i64, ..Default::default() };
        for p in plans.iter_mut() {
            match p.action {
                RowAction::Create => b.created += 1,
                RowAction::Update => b.updated += 1,
                RowAction::Skip => b.skipped += 1,
                RowAction::Reject => b.rejected += 1,
            }
            match p.action {
                RowAction::Reject => b.rejects.push(ImportReject {
                    row_number: p.row_number,
                    errors: p.preview.errors.clone(),
                    cells: p.cells.clone(),
                }),
                RowAction::Skip => {
                    let d = p.preview.duplicate.as_ref();
                    let message = match d.and_then(|d| d.row) {
                        Some(r) => {
                            format!("skipped: duplicate of row {r} ({})", d.map(|d| d.matched.as_str()).unwrap_or(""))
                        }
                        None => {
                            format!("skipped: already in the base ({})", d.map(|d| d.matched.as_str()).unwrap_or(""))
                        }
                    };
                    b.rejects.push(ImportReject {
                        row_number: p.row_number,
                        errors: vec![CellError { column: None, header: None, field: "duplicate".into(), message }],
                        cells: p.cells.clone(),
                    });
                }
                _ => {}
            }
            if i.dry_run {
                continue;
            }
            for w in std::mem::take(&mut p.writes) {
                if let ImportWrite::UpdateContact { contact, before, .. } = &w {
                    b.audit.push(audit_entry(
                        actor,
                        "import_update",
                        "contact",
                        contact.id,
                        audit::diff(before, &to_json(contact)),
                    ));
                }
                if let ImportWrite::UpdateCompany { company, before, .. } = &w {
                    b.audit.push(audit_entry(
                        actor,
                        "import_update",
                        "company",
                        company.id,
                        audit::diff(before, &to_json(company)),
                    ));
                }
                b.writes.push(w);
            }
        }
        if !i.dry_run
            && b.writes.iter().any(|w| matches!(w, ImportWrite::NewContact { .. } | ImportWrite::NewCompany { .. }))
        {
            let first = plans.first().map(|p| p.row_number).unwrap_or_default();
            let last = plans.last().map(|p| p.row_number).unwrap_or_default();
            b.audit.push(audit_entry(
                actor,
                "import",
                "import",
                i.id,
                json!({"rows": format!("{first}-{last}"), "created": b.created, "file_name": i.file_name}),
            ));
        }
        b
    }

    /// The undo job: removes what the import created, restores what it updated — except
    /// records changed since, which are left as they are and counted.
    pub(crate) async fn run_undo(&self, id: Uuid, lease: &Lease) -> Result<()> {
        let Some(i) = self.store.get_import(id).await? else { return Ok(()) };
        let actor = self
            .actor_for(i.created_by, crate::authz::ActorKind::Session)
            .await?
            .unwrap_or_else(|| Actor::system("import undo"));
        let mut report = crate::domain::import::UndoReport::default();
        let mut after = None;
        loop {
            let changes = self.store.import_changes(id, after, 500).await?;
            let Some(last) = changes.last() else { break };
            after = Some(last.entity_id);
            for entity in ["company", "contact"] {
                let created: Vec<(Uuid, i64)> = changes
                    .iter()
                    .filter(|c| c.entity_type == entity && c.action == "created")
                    .map(|c| (c.entity_id, c.version))
                    .collect();
                if !created.is_empty() {
                    let audits: Vec<_> = created
                        .iter()
                        .map(|(rid, _)| {
                            audit_entry(&actor, "import_undo", entity, *rid, json!({"import": id, "deleted": true}))
                        })
                        .collect();
                    let n = self.store.undo_created(entity, &created, now(), &audits).await?;
                    report.removed += n as i64;
                    report.kept_changed += created.len() as i64 - n as i64;
                }
            }
            for c in changes.iter().filter(|c| c.action == "updated") {
                let Some(before) = &c.before else { continue };
                let restored = match c.entity_type.as_str() {
                    "contact" => {
                        let cur = self.store.get_contact(c.entity_id).await?;
                        match (cur, serde_json::from_value::<Contact>(before.clone())) {
                            (Some(cur), Ok(mut old)) if cur.version == c.version => {
                                old.version = cur.version + 1;
                                old.updated_at = now();
                                let a = audit_entry(
                                    &actor,
                                    "import_undo",
                                    "contact",
                                    cur.id,
                                    audit::diff(&to_json(&cur), &to_json(&old)),
                                );
                                let body = self.contact_search_body(&old).await?;
                                self.store.update_contact(&old, cur.version, &body, &a).await?;
                                true
                            }
                            _ => false,
                        }
                    }
                    _ => {
                        let cur = self.store.get_company(c.entity_id).await?;
                        match (cur, serde_json::from_value::<Company>(before.clone())) {
                            (Some(cur), Ok(mut old)) if cur.version == c.version => {
                                old.version = cur.version + 1;
                                old.updated_at = now();
                                let a = audit_entry(
                                    &actor,
                                    "import_undo",
                                    "company",
                                    cur.id,
                                    audit::diff(&to_json(&cur), &to_json(&old)),
                                );
                                let body = old.search_body();
                                self.store.update_company(&old, cur.version, &body, &a).await?;
                                true
                            }
                            _ => false,
                        }
                    }
                };
                if restored {
                    report.restored += 1;
                } else {
                    report.kept_changed += 1;
                }
            }
            lease.keep(self).await?;
        }
        let current = self.store.get_import(id).await?.ok_or(Error::NotFound("import"))?;
        let mut next = current.clone();
        next.status = ImportStatus::Undone;
        next.analysis.undo = Some(report);
        next.finished_at = Some(now());
        next.version += 1;
        next.updated_at = now();
        self.store.save_import(&next, current.version).await
    }

    // ---------------- presets

    pub async fn list_presets(&self, actor: &Actor, entity: Option<ImportEntity>) -> Result<PresetList> {
        Self::can_import(actor)?;
        let builtin =
            import_map::builtin_presets().into_iter().filter(|p| entity.is_none_or(|e| p.entity == e)).collect();
        let saved =
            self.store.list_presets(None).await?.into_iter().filter(|p| entity.is_none_or(|e| p.entity == e)).collect();
        Ok(PresetList { builtin, saved })
    }

    pub async fn save_preset(&self, actor: &Actor, req: PresetRequest) -> Result<SavedPreset> {
        Self::can_import(actor)?;
        let (_, _, custom) = self.custom_targets().await?;
        let mut p = Problems::new();
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            p.add("name", "must be 1 to 100 characters");
        }
        if req.columns.is_empty() {
            p.add("columns", "name at least one column");
        }
        for (n, (h, t)) in req.columns.iter().enumerate() {
            if h.trim().is_empty() {
                p.add(format!("columns[{n}][0]"), "the header is empty");
            }
            if !import_map::is_target(t, &custom) {
                p.add(format!("columns[{n}][1]"), format!("`{t}` is not a field to import into"));
            }
        }
        p.into_result()?;
        let preset = SavedPreset {
            id: new_id(),
            name: name.to_owned(),
            entity: req.entity,
            columns: req.columns,
            created_by: actor.user_id,
            created_at: now(),
        };
        self.store.insert_preset(&preset).await?;
        Ok(preset)
    }

    pub async fn delete_preset(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let presets = self.store.list_presets(None).await?;
        let p = presets.into_iter().find(|p| p.id == id).ok_or(Error::NotFound("preset"))?;
        if p.created_by != actor.user_id {
            check_area(actor, Area::Settings, Action::Delete)?;
        }
        self.store.delete_preset(id).await?;
        Ok(())
    }
}
