//! Contacts, companies, contact persons, duplicate lookups, search and merge.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::Result;
use clientele_core::authz::Scope;
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::client::{
    Company, CompanyLink, Contact, Email, ImportantDate, Lifecycle, Phone, birthday_md, fold, names_similar, sort_key,
};
use clientele_core::domain::custom_field::FieldType;
use clientele_core::domain::page::{Page, RawPage, Sort};
use clientele_core::domain::phone::reversed_digits;
use clientele_core::store::{ClientStore, ListSpec, PhoneQuery, SearchHit};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::{AnyRow, Backend, Params, Tx};
use crate::filter_sql::{FilterSql, scope_sql};
use crate::keyset::{SortKind, after_cursor, finish, order_by};
use crate::platform::{insert_audit, version_conflict};
use crate::record_json::{CompanyWire, ContactWire, custom_fields_of};
use crate::{SqlStore, args, db_err};

const CONTACT_COLS: &str = "a.id, a.version, a.first_name, a.last_name, a.display_name, a.title, a.company_id, a.source, \
     a.lifecycle, a.phones, a.emails, a.address, a.important_dates, a.notes, a.owner_id, a.tags, a.custom_fields, \
     a.last_contacted_at, a.created_at, a.updated_at, a.deleted_at, a.merged_into";

const COMPANY_COLS: &str = "a.id, a.version, a.name, a.legal_name, a.tax_number, a.website, a.industry, a.source, \
     a.lifecycle, a.phones, a.emails, a.address, a.important_dates, a.notes, a.owner_id, a.tags, a.custom_fields, \
     a.last_contacted_at, a.created_at, a.updated_at, a.deleted_at, a.merged_into";

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: Uuid,
    version: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: String,
    title: Option<String>,
    company_id: Option<Uuid>,
    source: Option<String>,
    lifecycle: String,
    phones: Json<Vec<Phone>>,
    emails: Json<Vec<Email>>,
    address: Option<Json<Value>>,
    important_dates: Json<Vec<ImportantDate>>,
    notes: Option<String>,
    owner_id: Option<Uuid>,
    tags: Json<Vec<String>>,
    custom_fields: Json<serde_json::Map<String, Value>>,
    last_contacted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    merged_into: Option<Uuid>,
}

fn address_of(v: Option<Json<Value>>) -> Option<clientele_core::domain::client::Address> {
    v.and_then(|j| serde_json::from_value(j.0).ok())
}

fn lifecycle_of(s: &str) -> Lifecycle {
    Lifecycle::parse(s).unwrap_or(Lifecycle::Lead)
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Contact {
            id: r.id,
            version: r.version,
            first_name: r.first_name,
            last_name: r.last_name,
            display_name: r.display_name,
            title: r.title,
            company_id: r.company_id,
            owner_id: r.owner_id,
            source: r.source,
            lifecycle: lifecycle_of(&r.lifecycle),
            phones: r.phones.0,
            emails: r.emails.0,
            address: address_of(r.address),
            important_dates: r.important_dates.0,
            notes: r.notes,
            tags: r.tags.0,
            custom_fields: r.custom_fields.0,
            last_contacted_at: r.last_contacted_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            merged_into: r.merged_into,
        }
    }
}

/// A contact person: the contact's row and their link to the company.
#[derive(sqlx::FromRow)]
struct PersonRow {
    #[sqlx(flatten)]
    contact: ContactRow,
    link_role: Option<String>,
    link_primary: bool,
}

#[derive(sqlx::FromRow)]
struct CompanyRow {
    id: Uuid,
    version: i64,
    name: String,
    legal_name: Option<String>,
    tax_number: Option<String>,
    website: Option<String>,
    industry: Option<String>,
    source: Option<String>,
    lifecycle: String,
    phones: Json<Vec<Phone>>,
    emails: Json<Vec<Email>>,
    address: Option<Json<Value>>,
    important_dates: Json<Vec<ImportantDate>>,
    notes: Option<String>,
    owner_id: Option<Uuid>,
    tags: Json<Vec<String>>,
    custom_fields: Json<serde_json::Map<String, Value>>,
    last_contacted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    merged_into: Option<Uuid>,
}

impl From<CompanyRow> for Company {
    fn from(r: CompanyRow) -> Self {
        Company {
            id: r.id,
            version: r.version,
            name: r.name,
            legal_name: r.legal_name,
            tax_number: r.tax_number,
            website: r.website,
            industry: r.industry,
            owner_id: r.owner_id,
            source: r.source,
            lifecycle: lifecycle_of(&r.lifecycle),
            phones: r.phones.0,
            emails: r.emails.0,
            address: address_of(r.address),
            important_dates: r.important_dates.0,
            notes: r.notes,
            tags: r.tags.0,
            custom_fields: r.custom_fields.0,
            last_contacted_at: r.last_contacted_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            merged_into: r.merged_into,
        }
    }
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Rewrites the derived rows of a record (contact points, tags, search entry). A deleted
/// record keeps none, so it neither shows up in search nor as a duplicate.
async fn write_derived(
    tx: &mut Tx,
    entity_type: &str,
    id: Uuid,
    phones: &[Phone],
    emails: &[Email],
    tags: &[String],
    search_body: Option<&str>,
) -> Result<()> {
    let e = db_err("indexing a record");
    tx.execute("DELETE FROM contact_points WHERE entity_id = $1", args![id])
        .await
        .map_err(db_err("indexing a record"))?;
    tx.execute("DELETE FROM record_tags WHERE entity_id = $1", args![id]).await.map_err(db_err("indexing a record"))?;
    let table = search_table(entity_type);
    match tx.backend() {
        Backend::Sqlite => {
            let rid: Option<(i64,)> = tx
                .fetch_optional("SELECT rid FROM search_rows WHERE entity_id = $1", args![id])
                .await
                .map_err(db_err("indexing a record"))?;
            if let Some((rid,)) = rid {
                tx.execute(&format!("DELETE FROM {table} WHERE rowid = $1"), args![rid])
                    .await
                    .map_err(db_err("indexing a record"))?;
                tx.execute("DELETE FROM search_rows WHERE entity_id = $1", args![id])
                    .await
                    .map_err(db_err("indexing a record"))?;
            }
        }
        Backend::Postgres => {
            tx.execute(&format!("DELETE FROM {table} WHERE entity_id = $1"), args![id])
                .await
                .map_err(db_err("indexing a record"))?;
        }
    }
    let Some(body) = search_body else { return Ok(()) };
    for ph in phones {
        let (value, rev) = match &ph.e164 {
            Some(e164) => (e164.clone(), reversed_digits(e164)),
            None => (ph.number.chars().filter(char::is_ascii_digit).collect(), reversed_digits(&ph.number)),
        };
        tx.execute(
            "INSERT INTO contact_points (entity_type, entity_id, kind, value, rev_digits) VALUES ($1, $2, 'phone', $3, $4)",
            args![entity_type.to_owned(), id, value, rev],
        )
        .await
        .map_err(db_err("indexing phones"))?;
    }
    for em in emails {
        tx.execute(
            "INSERT INTO contact_points (entity_type, entity_id, kind, value, rev_digits) VALUES ($1, $2, 'email', $3, NULL)",
            args![entity_type.to_owned(), id, em.address.clone()],
        )
        .await
        .map_err(db_err("indexing e-mails"))?;
    }
    let mut seen: Vec<String> = Vec::new();
    for t in tags {
        let f = fold(t);
        if seen.contains(&f) {
            continue;
        }
        tx.execute(
            "INSERT INTO record_tags (entity_type, entity_id, tag) VALUES ($1, $2, $3)",
            args![entity_type.to_owned(), id, f.clone()],
        )
        .await
        .map_err(db_err("indexing tags"))?;
        seen.push(f);
    }
    match tx.backend() {
        Backend::Sqlite => {
            // RETURNING does not work on virtual tables: ask for the row id on the same connection.
            tx.execute(
                &format!("INSERT INTO {table} (entity_id, body) VALUES ($1, $2)"),
                args![id.to_string(), body.to_owned()],
            )
            .await
            .map_err(db_err("indexing for search"))?;
            let rid: i64 =
                tx.fetch_scalar("SELECT last_insert_rowid()", vec![]).await.map_err(db_err("indexing for search"))?;
            tx.execute("INSERT INTO search_rows (entity_id, rid) VALUES ($1, $2)", args![id, rid]).await.map_err(e)?;
        }
        Backend::Postgres => {
            tx.execute(&format!("INSERT INTO {table} (entity_id, body) VALUES ($1, $2)"), args![id, body.to_owned()])
                .await
                .map_err(db_err("indexing for search"))?;
        }
    }
    Ok(())
}

pub(crate) async fn write_contact(tx: &mut Tx, c: &Contact, expected: Option<i64>, search_body: &str) -> Result<()> {
    let values = args![
        c.id,
        c.version,
        c.first_name.clone(),
        c.last_name.clone(),
        c.display_name.clone(),
        c.title.clone(),
        c.company_id,
        c.source.clone(),
        c.lifecycle.as_str(),
        json(&c.phones),
        json(&c.emails),
        c.address.as_ref().map(json),
        json(&c.important_dates),
        birthday_md(&c.important_dates),
        c.notes.clone(),
        c.owner_id,
        json(&c.tags),
        Value::Object(c.custom_fields.clone()),
        c.last_contacted_at,
        sort_key(&c.display_name),
        c.created_at,
        c.updated_at,
        c.deleted_at,
        c.merged_into
    ];
    match expected {
        None => {
            tx.execute(
                "INSERT INTO contacts (id, version, first_name, last_name, display_name, title, company_id, source, lifecycle, \
                 phones, emails, address, important_dates, birthday_md, notes, owner_id, tags, custom_fields, last_contacted_at, \
                 sort_name, created_at, updated_at, deleted_at, merged_into) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
                values,
            )
            .await
            .map_err(db_err("creating a contact"))?;
        }
        Some(v) => {
            let mut values = values;
            values.push(v.into());
            let n = tx
                .execute(
                    "UPDATE contacts SET version = $2, first_name = $3, last_name = $4, display_name = $5, title = $6, \
                     company_id = $7, source = $8, lifecycle = $9, phones = $10, emails = $11, address = $12, \
                     important_dates = $13, birthday_md = $14, notes = $15, owner_id = $16, tags = $17, custom_fields = $18, \
                     last_contacted_at = $19, sort_name = $20, created_at = $21, updated_at = $22, deleted_at = $23, \
                     merged_into = $24 WHERE id = $1 AND version = $25",
                    values,
                )
                .await
                .map_err(db_err("updating a contact"))?;
            if n == 0 {
                return Err(version_conflict(tx, "contacts", c.id, "contact").await);
            }
        }
    }
    let live = c.deleted_at.is_none();
    write_derived(tx, "contact", c.id, &c.phones, &c.emails, &c.tags, live.then_some(search_body)).await
}

pub(crate) async fn write_company(tx: &mut Tx, c: &Company, expected: Option<i64>, search_body: &str) -> Result<()> {
    let values = args![
        c.id,
        c.version,
        c.name.clone(),
        c.legal_name.clone(),
        c.tax_number.clone(),
        c.website.clone(),
        c.industry.clone(),
        c.source.clone(),
        c.lifecycle.as_str(),
        json(&c.phones),
        json(&c.emails),
        c.address.as_ref().map(json),
        json(&c.important_dates),
        c.notes.clone(),
        c.owner_id,
        json(&c.tags),
        Value::Object(c.custom_fields.clone()),
        c.last_contacted_at,
        sort_key(&c.name),
        c.created_at,
        c.updated_at,
        c.deleted_at,
        c.merged_into
    ];
    match expected {
        None => {
            tx.execute(
                "INSERT INTO companies (id, version, name, legal_name, tax_number, website, industry, source, lifecycle, \
                 phones, emails, address, important_dates, notes, owner_id, tags, custom_fields, last_contacted_at, sort_name, \
                 created_at, updated_at, deleted_at, merged_into) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
                values,
            )
            .await
            .map_err(db_err("creating a company"))?;
        }
        Some(v) => {
            let mut values = values;
            values.push(v.into());
            let n = tx
                .execute(
                    "UPDATE companies SET version = $2, name = $3, legal_name = $4, tax_number = $5, website = $6, \
                     industry = $7, source = $8, lifecycle = $9, phones = $10, emails = $11, address = $12, \
                     important_dates = $13, notes = $14, owner_id = $15, tags = $16, custom_fields = $17, \
                     last_contacted_at = $18, sort_name = $19, created_at = $20, updated_at = $21, deleted_at = $22, \
                     merged_into = $23 WHERE id = $1 AND version = $24",
                    values,
                )
                .await
                .map_err(db_err("updating a company"))?;
            if n == 0 {
                return Err(version_conflict(tx, "companies", c.id, "company").await);
            }
        }
    }
    let live = c.deleted_at.is_none();
    write_derived(tx, "company", c.id, &c.phones, &c.emails, &c.tags, live.then_some(search_body)).await
}

/// The full-text table of a record type (a name fixed in code).
pub(crate) fn search_table(entity_type: &str) -> &'static str {
    if entity_type == "company" { "search_companies" } else { "search_contacts" }
}

/// FTS5 query: every term as a prefix, all required.
fn fts5_query(terms: &[String]) -> String {
    terms.iter().map(|t| format!("\"{}\"*", t.replace('"', ""))).collect::<Vec<_>>().join(" ")
}

/// tsquery: every term as a prefix, all required.
fn tsquery(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("{}:*", t.replace(['\'', '\\', ':', '&', '|', '!', '(', ')', '<', '>'], "")))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// `a.id IN (records matching the terms)`.
fn search_clause(p: &mut Params, backend: Backend, table: &str, terms: &[String]) -> String {
    match backend {
        Backend::Sqlite => format!(
            "a.id IN (SELECT r.entity_id FROM {table} JOIN search_rows r ON r.rid = {table}.rowid WHERE {table} MATCH {})",
            p.push(fts5_query(terms))
        ),
        Backend::Postgres => {
            format!(
                "a.id IN (SELECT s.entity_id FROM {table} s WHERE s.tsv @@ to_tsquery('simple', {}))",
                p.push(tsquery(terms))
            )
        }
    }
}

/// Lowest value a number custom field sorts as when empty (so empties come first ascending).
const EMPTY_NUMBER: f64 = -1.0e300;

/// The SQL expression a list is sorted by, and how its cursor value is typed. Custom fields
/// sort by their value, empty values first (ascending); keys are validated `[a-z0-9_]`.
pub(crate) fn sort_column(sort: &Sort, backend: Backend, custom: Option<FieldType>) -> (String, SortKind) {
    if let (Some(key), Some(t)) = (sort.field.strip_prefix("custom_fields."), custom) {
        let number = matches!(t, FieldType::Number | FieldType::Money);
        let path = if t == FieldType::Money { format!("'$.\"{key}\".amount'") } else { format!("'$.\"{key}\"'") };
        return match (backend, number) {
            (Backend::Sqlite, true) => (
                format!("COALESCE(CAST(json_extract(a.custom_fields, {path}) AS REAL), {EMPTY_NUMBER:e})"),
                SortKind::Number,
            ),
            (Backend::Sqlite, false) => {
                (format!("COALESCE(CAST(json_extract(a.custom_fields, {path}) AS TEXT), '')"), SortKind::Text)
            }
            (Backend::Postgres, true) if t == FieldType::Money => (
                format!("COALESCE((a.custom_fields->'{key}'->>'amount')::double precision, {EMPTY_NUMBER:e})"),
                SortKind::Number,
            ),
            (Backend::Postgres, true) => {
                (format!("COALESCE((a.custom_fields->>'{key}')::double precision, {EMPTY_NUMBER:e})"), SortKind::Number)
            }
            (Backend::Postgres, false) => (format!("COALESCE(a.custom_fields->>'{key}', '')"), SortKind::Text),
        };
    }
    match sort.field.as_str() {
        "name" => ("a.sort_name".into(), SortKind::Text),
        "created_at" => ("a.created_at".into(), SortKind::Time),
        _ => ("a.updated_at".into(), SortKind::Time),
    }
}

/// The cursor value of a custom-field sort for one record, matching `sort_column`.
pub(crate) fn custom_cursor(fields: &serde_json::Map<String, Value>, sort: &Sort, t: FieldType) -> Value {
    let key = sort.field.trim_start_matches("custom_fields.");
    let v = fields.get(key);
    match t {
        FieldType::Number => json(&v.and_then(Value::as_f64).unwrap_or(EMPTY_NUMBER)),
        FieldType::Money => json(
            &v.and_then(|m| m.get("amount"))
                .and_then(Value::as_str)
                .and_then(|a| a.parse::<f64>().ok())
                .unwrap_or(EMPTY_NUMBER),
        ),
        FieldType::Boolean => Value::String(match v.and_then(Value::as_bool) {
            Some(true) => "1".into(),
            Some(false) => "0".into(),
            None => String::new(),
        }),
        _ => Value::String(match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }),
    }
}

impl SqlStore {
    /// A list page of wire rows (JSON columns kept as text), each written out as JSON.
    async fn list_json<T: AnyRow + serde::Serialize>(
        &self,
        table: &str,
        cols: &str,
        spec: &ListSpec,
        key: impl Fn(&T) -> (Value, Uuid),
    ) -> Result<RawPage> {
        let mut p = Params::default();
        let sql = self.list_sql(table, cols, spec, &mut p)?;
        let rows: Vec<T> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing records"))?;
        let page = finish(rows, spec.page.limit, &spec.page.sort, key);
        let data = page
            .data
            .iter()
            .map(serde_json::to_string)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| clientele_core::Error::Internal(anyhow::anyhow!("encoding a list page: {e}")))?;
        Ok(RawPage { data, next_cursor: page.next_cursor })
    }

    fn list_sql(&self, table: &str, cols: &str, spec: &ListSpec, p: &mut Params) -> Result<String> {
        let backend = self.db.backend();
        let mut sql = format!("SELECT {cols} FROM {table} a WHERE ");
        sql.push_str(if spec.deleted {
            "a.deleted_at IS NOT NULL AND a.merged_into IS NULL"
        } else {
            "a.deleted_at IS NULL"
        });
        sql.push_str(" AND ");
        sql.push_str(&scope_sql(p, &spec.scope, "a"));
        if let Some(f) = &spec.filter {
            sql.push_str(" AND ");
            sql.push_str(&FilterSql { backend, alias: "a" }.sql(p, f));
        }
        if !spec.terms.is_empty() {
            sql.push_str(" AND ");
            let fts = if table == "companies" { "search_companies" } else { "search_contacts" };
            sql.push_str(&search_clause(p, backend, fts, &spec.terms));
        }
        let (col, kind) = sort_column(&spec.page.sort, backend, spec.custom_sort);
        sql.push_str(&after_cursor(p, &col, "a.id", &spec.page.sort, kind, spec.page.cursor.as_ref())?);
        sql.push_str(&order_by(&col, "a.id", &spec.page.sort));
        let limit = p.push(i64::from(spec.page.limit) + 1);
        sql.push_str(&format!(" LIMIT {limit}"));
        Ok(sql)
    }
}

fn cursor_value(sort: &Sort, name: &str, created: DateTime<Utc>, updated: DateTime<Utc>) -> Value {
    match sort.field.as_str() {
        "name" => Value::String(sort_key(name)),
        "created_at" => json(&created),
        _ => json(&updated),
    }
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    company_id: Uuid,
    contact_id: Uuid,
    role: Option<String>,
    is_primary: bool,
}

impl From<LinkRow> for CompanyLink {
    fn from(r: LinkRow) -> Self {
        CompanyLink { company_id: r.company_id, contact_id: r.contact_id, role: r.role, is_primary: r.is_primary }
    }
}

#[derive(sqlx::FromRow)]
struct HitRow {
    id: Uuid,
    title: String,
    subtitle: Option<String>,
}

pub(crate) async fn link_in_tx(tx: &mut Tx, l: &CompanyLink) -> Result<()> {
    let e = || db_err("linking a contact person");
    if l.is_primary {
        tx.execute("UPDATE company_contacts SET is_primary = $1 WHERE contact_id = $2", args![false, l.contact_id])
            .await
            .map_err(e())?;
        tx.execute("UPDATE contacts SET company_id = $1 WHERE id = $2", args![l.company_id, l.contact_id])
            .await
            .map_err(e())?;
    }
    tx.execute(
        "INSERT INTO company_contacts (company_id, contact_id, role, is_primary, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (company_id, contact_id) DO UPDATE SET role = excluded.role, is_primary = excluded.is_primary",
        args![l.company_id, l.contact_id, l.role.clone(), l.is_primary, clientele_core::domain::now()],
    )
    .await
    .map_err(e())?;
    Ok(())
}

/// Makes `company` the contact's primary company, keeping the role of an existing link.
async fn ensure_primary_link(tx: &mut Tx, company_id: Uuid, contact_id: Uuid) -> Result<()> {
    let e = || db_err("linking a contact person");
    tx.execute("UPDATE company_contacts SET is_primary = $1 WHERE contact_id = $2", args![false, contact_id])
        .await
        .map_err(e())?;
    tx.execute(
        "INSERT INTO company_contacts (company_id, contact_id, role, is_primary, created_at) VALUES ($1, $2, NULL, $3, $4) \
         ON CONFLICT (company_id, contact_id) DO UPDATE SET is_primary = excluded.is_primary",
        args![company_id, contact_id, true, clientele_core::domain::now()],
    )
    .await
    .map_err(e())?;
    Ok(())
}

/// `col` starts with `prefix`, in a form an index can serve: a range on SQLite, `LIKE 'p%'`
/// on PostgreSQL (with a `text_pattern_ops` index, whatever the database's collation).
fn prefix_cond(p: &mut Params, backend: Backend, col: &str, prefix: &str) -> String {
    match backend {
        Backend::Sqlite => {
            let lo = p.push(prefix.to_owned());
            let hi = p.push(format!("{prefix}\u{10FFFF}"));
            format!("{col} >= {lo} AND {col} < {hi}")
        }
        Backend::Postgres => {
            format!("{col} LIKE {} ESCAPE '\\'", p.push(format!("{}%", crate::platform::escape_like(prefix))))
        }
    }
}

fn push_hits(hits: &mut Vec<SearchHit>, entity: &str, rows: Vec<HitRow>) {
    for r in rows {
        if !hits.iter().any(|h| h.id == r.id) {
            hits.push(SearchHit { entity_type: entity.into(), id: r.id, title: r.title, subtitle: r.subtitle });
        }
    }
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_contact(
        &self,
        c: &Contact,
        search_body: &str,
        link: Option<&CompanyLink>,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        write_contact(&mut tx, c, None, search_body).await?;
        if let Some(l) = link {
            link_in_tx(&mut tx, l).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn update_contact(
        &self,
        c: &Contact,
        expected_version: i64,
        search_body: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        write_contact(&mut tx, c, Some(expected_version), search_body).await?;
        if let Some(company) = c.company_id {
            // The primary company is always one of the person's companies.
            let exists: i64 = tx
                .fetch_scalar(
                    "SELECT COUNT(*) FROM company_contacts WHERE company_id = $1 AND contact_id = $2",
                    args![company, c.id],
                )
                .await
                .map_err(db_err("checking contact persons"))?;
            if exists == 0 {
                ensure_primary_link(&mut tx, company, c.id).await?;
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_contact(&self, id: Uuid) -> Result<Option<Contact>> {
        let row: Option<ContactRow> = self
            .db
            .fetch_optional(&format!("SELECT {CONTACT_COLS} FROM contacts a WHERE a.id = $1"), args![id])
            .await
            .map_err(db_err("reading a contact"))?;
        Ok(row.map(Contact::from))
    }

    async fn list_contacts(&self, spec: &ListSpec) -> Result<Page<Contact>> {
        let mut p = Params::default();
        let sql = self.list_sql("contacts", CONTACT_COLS, spec, &mut p)?;
        let rows: Vec<ContactRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing contacts"))?;
        let items: Vec<Contact> = rows.into_iter().map(Contact::from).collect();
        Ok(finish(items, spec.page.limit, &spec.page.sort, |c| match spec.custom_sort {
            Some(t) => (custom_cursor(&c.custom_fields, &spec.page.sort, t), c.id),
            None => (cursor_value(&spec.page.sort, &c.display_name, c.created_at, c.updated_at), c.id),
        }))
    }

    async fn list_contacts_json(&self, spec: &ListSpec) -> Result<RawPage> {
        self.list_json::<ContactWire>("contacts", CONTACT_COLS, spec, |c| match spec.custom_sort {
            Some(t) => (custom_cursor(&custom_fields_of(&c.custom_fields), &spec.page.sort, t), c.id),
            None => (cursor_value(&spec.page.sort, &c.display_name, c.created_at, c.updated_at), c.id),
        })
        .await
    }

    async fn insert_company(&self, c: &Company, search_body: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        write_company(&mut tx, c, None, search_body).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn update_company(
        &self,
        c: &Company,
        expected_version: i64,
        search_body: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        write_company(&mut tx, c, Some(expected_version), search_body).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_company(&self, id: Uuid) -> Result<Option<Company>> {
        let row: Option<CompanyRow> = self
            .db
            .fetch_optional(&format!("SELECT {COMPANY_COLS} FROM companies a WHERE a.id = $1"), args![id])
            .await
            .map_err(db_err("reading a company"))?;
        Ok(row.map(Company::from))
    }

    async fn list_companies(&self, spec: &ListSpec) -> Result<Page<Company>> {
        let mut p = Params::default();
        let sql = self.list_sql("companies", COMPANY_COLS, spec, &mut p)?;
        let rows: Vec<CompanyRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing companies"))?;
        let items: Vec<Company> = rows.into_iter().map(Company::from).collect();
        Ok(finish(items, spec.page.limit, &spec.page.sort, |c| match spec.custom_sort {
            Some(t) => (custom_cursor(&c.custom_fields, &spec.page.sort, t), c.id),
            None => (cursor_value(&spec.page.sort, &c.name, c.created_at, c.updated_at), c.id),
        }))
    }

    async fn list_companies_json(&self, spec: &ListSpec) -> Result<RawPage> {
        self.list_json::<CompanyWire>("companies", COMPANY_COLS, spec, |c| match spec.custom_sort {
            Some(t) => (custom_cursor(&custom_fields_of(&c.custom_fields), &spec.page.sort, t), c.id),
            None => (cursor_value(&spec.page.sort, &c.name, c.created_at, c.updated_at), c.id),
        })
        .await
    }

    async fn links_of_contact(&self, contact_id: Uuid) -> Result<Vec<CompanyLink>> {
        let rows: Vec<LinkRow> = self
            .db
            .fetch_all(
                "SELECT l.company_id, l.contact_id, l.role, l.is_primary FROM company_contacts l \
                 JOIN companies c ON c.id = l.company_id AND c.deleted_at IS NULL \
                 WHERE l.contact_id = $1 ORDER BY l.is_primary DESC, l.created_at",
                args![contact_id],
            )
            .await
            .map_err(db_err("reading contact persons"))?;
        Ok(rows.into_iter().map(CompanyLink::from).collect())
    }

    async fn people_of_company(&self, company_id: Uuid) -> Result<Vec<(Contact, CompanyLink)>> {
        let rows: Vec<PersonRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {CONTACT_COLS}, l.role AS link_role, l.is_primary AS link_primary FROM company_contacts l \
                     JOIN contacts a ON a.id = l.contact_id AND a.deleted_at IS NULL \
                     WHERE l.company_id = $1 ORDER BY a.sort_name, a.id"
                ),
                args![company_id],
            )
            .await
            .map_err(db_err("reading contact persons"))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let c = Contact::from(r.contact);
                let link = CompanyLink { company_id, contact_id: c.id, role: r.link_role, is_primary: r.link_primary };
                (c, link)
            })
            .collect())
    }

    async fn upsert_link(&self, link: &CompanyLink, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        link_in_tx(&mut tx, link).await?;
        tx.execute(
            "UPDATE contacts SET version = version + 1, updated_at = $1 WHERE id = $2",
            args![audit.at, link.contact_id],
        )
        .await
        .map_err(db_err("linking a contact person"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_link(&self, company_id: Uuid, contact_id: Uuid, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "DELETE FROM company_contacts WHERE company_id = $1 AND contact_id = $2",
                args![company_id, contact_id],
            )
            .await
            .map_err(db_err("unlinking a contact person"))?;
        if n > 0 {
            tx.execute(
                "UPDATE contacts SET company_id = NULL, version = version + 1, updated_at = $1 WHERE id = $2 AND company_id = $3",
                args![audit.at, contact_id, company_id],
            )
            .await
            .map_err(db_err("unlinking a contact person"))?;
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(n > 0)
    }

    async fn find_by_points(&self, points: &[(String, String)], exclude: Option<Uuid>) -> Result<Vec<(String, Uuid)>> {
        if points.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let conds: Vec<String> = points
            .iter()
            .map(|(k, v)| format!("(kind = {} AND value = {})", p.push(k.clone()), p.push(v.clone())))
            .collect();
        let mut sql =
            format!("SELECT DISTINCT entity_type, entity_id FROM contact_points WHERE ({})", conds.join(" OR "));
        if let Some(x) = exclude {
            sql.push_str(&format!(" AND entity_id <> {}", p.push(x)));
        }
        sql.push_str(" LIMIT 20");
        self.db.fetch_all(&sql, p.0).await.map_err(db_err("looking for duplicates"))
    }

    async fn find_company_by_tax_number(&self, tax_number: &str, exclude: Option<Uuid>) -> Result<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> = self
            .db
            .fetch_all(
                "SELECT id FROM companies WHERE tax_number = $1 AND deleted_at IS NULL AND id <> $2 LIMIT 5",
                args![tax_number.to_owned(), exclude.unwrap_or(Uuid::nil())],
            )
            .await
            .map_err(db_err("looking for duplicates"))?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn search(
        &self,
        terms: &[String],
        phone: Option<&PhoneQuery>,
        email: Option<&str>,
        contacts: &Scope,
        companies: &Scope,
        limit: u32,
    ) -> Result<Vec<SearchHit>> {
        let backend = self.db.backend();
        let mut hits: Vec<SearchHit> = Vec::new();
        for (entity, scope) in [("contact", contacts), ("company", companies)] {
            if *scope == Scope::Nothing {
                continue;
            }
            let (table, title, subtitle, join) = match entity {
                "contact" => {
                    ("contacts", "a.display_name", "co.name", "LEFT JOIN companies co ON co.id = a.company_id")
                }
                _ => ("companies", "a.name", "a.tax_number", ""),
            };
            // Phone matches first: exact E.164, else the typed digits as the number's end.
            if let Some(ph) = phone {
                let mut p = Params::default();
                let cond = match &ph.e164 {
                    Some(e) => format!("cp.value = {}", p.push(e.clone())),
                    None => prefix_cond(&mut p, backend, "cp.rev_digits", &ph.rev_digits),
                };
                let sql = format!(
                    "SELECT DISTINCT a.id, {title} AS title, {subtitle} AS subtitle FROM contact_points cp \
                     JOIN {table} a ON a.id = cp.entity_id {join} \
                     WHERE cp.kind = 'phone' AND {cond} AND a.deleted_at IS NULL AND {} LIMIT {}",
                    scope_sql(&mut p, scope, "a"),
                    p.push(i64::from(limit))
                );
                let rows: Vec<HitRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("searching by phone"))?;
                push_hits(&mut hits, entity, rows);
            }
            // E-mails that start with what was typed: a range on the e-mail index.
            if let Some(e) = email {
                let mut p = Params::default();
                let sql = format!(
                    "SELECT DISTINCT a.id, {title} AS title, {subtitle} AS subtitle FROM contact_points cp \
                     JOIN {table} a ON a.id = cp.entity_id {join} \
                     WHERE cp.kind = 'email' AND {} AND a.deleted_at IS NULL AND {} LIMIT {}",
                    prefix_cond(&mut p, backend, "cp.value", e),
                    scope_sql(&mut p, scope, "a"),
                    p.push(i64::from(limit))
                );
                let rows: Vec<HitRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("searching by e-mail"))?;
                let found = !rows.is_empty();
                push_hits(&mut hits, entity, rows);
                if found {
                    continue;
                }
            }
            if terms.is_empty() {
                continue;
            }
            // Names that start with what was typed come first: an index range, fast at any size.
            let mut p = Params::default();
            let typed = terms.join(" ");
            let sql = format!(
                "SELECT a.id, {title} AS title, {subtitle} AS subtitle FROM {table} a {join} \
                 WHERE {} AND a.deleted_at IS NULL AND {} ORDER BY a.sort_name, a.id LIMIT {}",
                prefix_cond(&mut p, backend, "a.sort_name", &typed),
                scope_sql(&mut p, scope, "a"),
                p.push(i64::from(limit))
            );
            let rows: Vec<HitRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("searching names"))?;
            push_hits(&mut hits, entity, rows);
            if hits.iter().filter(|h| h.entity_type == entity).count() >= limit as usize {
                continue;
            }
            // Then every word anywhere (surnames, e-mails, company names, tax numbers), in index
            // order: ranking every match of a two-letter prefix would cost more than it gives.
            // One-letter words would match half the index; the name prefix above covers them.
            let words: Vec<String> = terms.iter().filter(|t| t.chars().count() >= 2).cloned().collect();
            if words.is_empty() {
                continue;
            }
            let terms = &words[..];
            let mut p = Params::default();
            let fts = search_table(entity);
            // The full-text index drives: take a bounded set of matches first (a LIMITed
            // subquery is not flattened), then join the records and apply the scope. Left to
            // itself the planner may scan the whole table and probe the index per row.
            let candidates = match backend {
                Backend::Sqlite => format!(
                    "SELECT r.entity_id AS entity_id FROM {fts} JOIN search_rows r ON r.rid = {fts}.rowid \
                     WHERE {fts} MATCH {} LIMIT {}",
                    p.push(fts5_query(terms)),
                    p.push(i64::from(limit) * 50)
                ),
                Backend::Postgres => format!(
                    "SELECT s.entity_id AS entity_id FROM {fts} s WHERE s.tsv @@ to_tsquery('simple', {}) LIMIT {}",
                    p.push(tsquery(terms)),
                    p.push(i64::from(limit) * 50)
                ),
            };
            let sql = format!(
                "SELECT a.id, {title} AS title, {subtitle} AS subtitle FROM ({candidates}) m \
                 CROSS JOIN {table} a {join} \
                 WHERE a.id = m.entity_id AND a.deleted_at IS NULL AND {} LIMIT {}",
                scope_sql(&mut p, scope, "a"),
                p.push(i64::from(limit) * 2)
            );
            let rows: Vec<HitRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("searching"))?;
            push_hits(&mut hits, entity, rows);
            let mut n = 0;
            hits.retain(|h| {
                if h.entity_type != entity {
                    return true;
                }
                n += 1;
                n <= limit as usize
            });
        }
        Ok(hits)
    }

    async fn team_of_user(&self, user_id: Uuid) -> Result<Option<Uuid>> {
        let row: Option<(Option<Uuid>,)> = self
            .db
            .fetch_optional("SELECT team_id FROM users WHERE id = $1", args![user_id])
            .await
            .map_err(db_err("reading a user's team"))?;
        Ok(row.and_then(|r| r.0))
    }

    async fn merge_contacts(
        &self,
        survivor: &Contact,
        expected: i64,
        body: &str,
        loser: &Contact,
        audits: &[AuditEntry],
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("merging contacts");
        // Contact persons: the loser's companies become the survivor's (unless already there).
        tx.execute(
            "UPDATE company_contacts SET contact_id = $1, is_primary = $3 WHERE contact_id = $2 AND company_id NOT IN \
             (SELECT company_id FROM company_contacts WHERE contact_id = $1)",
            args![survivor.id, loser.id, false],
        )
        .await
        .map_err(e())?;
        tx.execute("DELETE FROM company_contacts WHERE contact_id = $1", args![loser.id]).await.map_err(e())?;
        // Deals follow the person.
        tx.execute(
            "UPDATE deals SET contact_id = $1, version = version + 1 WHERE contact_id = $2",
            args![survivor.id, loser.id],
        )
        .await
        .map_err(e())?;
        write_contact(&mut tx, survivor, Some(expected), body).await?;
        if let Some(company) = survivor.company_id {
            ensure_primary_link(&mut tx, company, survivor.id).await?;
        }
        let mut gone = loser.clone();
        gone.version += 1;
        gone.deleted_at = Some(audits.first().map(|a| a.at).unwrap_or_else(clientele_core::domain::now));
        gone.merged_into = Some(survivor.id);
        gone.updated_at = gone.deleted_at.unwrap_or(gone.updated_at);
        write_contact(&mut tx, &gone, Some(loser.version), "").await?;
        for a in audits {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn merge_companies(
        &self,
        survivor: &Company,
        expected: i64,
        body: &str,
        loser: &Company,
        audits: &[AuditEntry],
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("merging companies");
        tx.execute(
            "UPDATE company_contacts SET company_id = $1 WHERE company_id = $2 AND contact_id NOT IN \
             (SELECT contact_id FROM company_contacts WHERE company_id = $1)",
            args![survivor.id, loser.id],
        )
        .await
        .map_err(e())?;
        tx.execute("DELETE FROM company_contacts WHERE company_id = $1", args![loser.id]).await.map_err(e())?;
        tx.execute(
            "UPDATE deals SET company_id = $1, version = version + 1 WHERE company_id = $2",
            args![survivor.id, loser.id],
        )
        .await
        .map_err(e())?;
        tx.execute(
            "UPDATE contacts SET company_id = $1, version = version + 1 WHERE company_id = $2",
            args![survivor.id, loser.id],
        )
        .await
        .map_err(e())?;
        write_company(&mut tx, survivor, Some(expected), body).await?;
        let mut gone = loser.clone();
        gone.version += 1;
        gone.deleted_at = Some(audits.first().map(|a| a.at).unwrap_or_else(clientele_core::domain::now));
        gone.merged_into = Some(survivor.id);
        gone.updated_at = gone.deleted_at.unwrap_or(gone.updated_at);
        write_company(&mut tx, &gone, Some(loser.version), "").await?;
        for a in audits {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn duplicate_pairs(&self, entity_type: &str, limit: u32) -> Result<Vec<(Uuid, Uuid, String)>> {
        let mut rows: Vec<(Uuid, Uuid, String)> = self
            .db
            .fetch_all(
                "SELECT DISTINCT x.entity_id, y.entity_id, x.value FROM contact_points x \
                 JOIN contact_points y ON y.kind = x.kind AND y.value = x.value AND y.entity_id > x.entity_id \
                 WHERE x.entity_type = $1 AND y.entity_type = $1 AND (x.kind = 'email' OR x.value LIKE '+%') \
                 LIMIT $2",
                args![entity_type.to_owned(), i64::from(limit)],
            )
            .await
            .map_err(db_err("listing duplicates"))?;
        if entity_type == "contact" && rows.len() < limit as usize {
            // People of the same company whose names are a typo or two apart.
            let candidates: Vec<(Uuid, Uuid, String, String, String)> = self
                .db
                .fetch_all(
                    "SELECT cx.id, cy.id, cx.sort_name, cy.sort_name, co.name FROM company_contacts x \
                     JOIN company_contacts y ON y.company_id = x.company_id AND y.contact_id > x.contact_id \
                     JOIN contacts cx ON cx.id = x.contact_id AND cx.deleted_at IS NULL \
                     JOIN contacts cy ON cy.id = y.contact_id AND cy.deleted_at IS NULL \
                     JOIN companies co ON co.id = x.company_id \
                     WHERE substr(cx.sort_name, 1, 1) = substr(cy.sort_name, 1, 1) LIMIT 20000",
                    vec![],
                )
                .await
                .map_err(db_err("listing duplicates"))?;
            for (a, b, na, nb, company) in candidates {
                if rows.len() >= limit as usize {
                    break;
                }
                if names_similar(&na, &nb) && !rows.iter().any(|(x, y, _)| (*x == a && *y == b) || (*x == b && *y == a))
                {
                    rows.push((a, b, format!("similar names at {company}")));
                }
            }
        }
        Ok(rows)
    }
}
