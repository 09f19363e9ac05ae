//! Fast loading of many generated records (the demo data generator, benchmarks): multi-row
//! INSERTs in large transactions, derived index rows written alongside. Records loaded here
//! get one audit line per batch rather than one per record.

use clientele_core::Result;
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::client::{Company, CompanyLink, Contact, birthday_md, fold, sort_key};
use clientele_core::domain::phone::reversed_digits;
use sea_query::Value;
use uuid::Uuid;

use crate::db::{Backend, Tx};
use crate::platform::insert_audit;
use crate::{SqlStore, db_err};

/// Rows per INSERT statement (kept under both databases' bound-parameter limits).
const ROWS_PER_STATEMENT: usize = 400;

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A nullable JSON column's bind value: SQL NULL of the column's type when absent.
fn jv_opt<T: serde::Serialize>(backend: Backend, v: Option<&T>) -> Value {
    match (backend, v) {
        (_, Some(v)) => jv(backend, v),
        (Backend::Sqlite, None) => Value::String(None),
        (Backend::Postgres, None) => Value::Json(None),
    }
}

/// A JSON column's bind value. SQLite keeps JSON as text: the value is serialised straight to
/// a string (no `serde_json::Value` tree in between); PostgreSQL's `jsonb` takes the JSON value.
fn jv<T: serde::Serialize>(backend: Backend, v: &T) -> Value {
    match backend {
        Backend::Sqlite => Value::from(serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())),
        Backend::Postgres => Value::from(json(v)),
    }
}

/// One multi-row INSERT: `INSERT INTO t (cols) VALUES ($1,..),( ..)`.
pub(crate) async fn insert_rows(tx: &mut Tx, table: &str, cols: &[&str], rows: Vec<Vec<Value>>) -> Result<()> {
    let backend = tx.backend();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let mut args: Vec<Value> = Vec::with_capacity(chunk.len() * cols.len());
        for (r, row) in chunk.iter().enumerate() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (c, v) in row.iter().enumerate() {
                if c > 0 {
                    sql.push_str(", ");
                }
                args.push(v.clone());
                // SQLite looks numbered parameters up by name, one linear scan per bind:
                // quadratic for thousands of them. Anonymous `?` are bound by position.
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => sql.push_str(&format!("${}", args.len())),
                }
            }
            sql.push(')');
        }
        tx.execute(&sql, args).await.map_err(db_err("loading records"))?;
    }
    Ok(())
}

/// A contact to load, with its primary company link and search text.
/// A contact to insert, borrowed.
pub(crate) struct ContactRef<'a> {
    pub contact: &'a Contact,
    pub link: Option<&'a CompanyLink>,
    pub search_body: &'a str,
}

pub struct ContactLoad {
    pub contact: Contact,
    pub link: Option<CompanyLink>,
    pub search_body: String,
}

impl SqlStore {
    /// Loads companies and contacts in one transaction. Callers batch (e.g. 10,000 contacts
    /// per call) so that memory stays bounded.
    pub async fn bulk_load(&self, companies: &[Company], contacts: &[ContactLoad], audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let companies: Vec<&Company> = companies.iter().collect();
        let contacts: Vec<ContactRef<'_>> = contacts
            .iter()
            .map(|l| ContactRef { contact: &l.contact, link: l.link.as_ref(), search_body: &l.search_body })
            .collect();
        bulk_insert(&mut tx, &companies, &contacts).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    /// Refreshes the planner's statistics after a large load.
    pub async fn analyze(&self) -> Result<()> {
        self.db.execute("ANALYZE", vec![]).await.map_err(db_err("analyzing"))?;
        Ok(())
    }
}

/// Inserts new companies and contacts (with their primary links and derived index rows)
/// inside the caller's transaction, many rows per statement.
pub(crate) async fn bulk_insert(tx: &mut Tx, companies: &[&Company], contacts: &[ContactRef<'_>]) -> Result<()> {
    let backend = tx.backend();
    // Row ids of the two full-text tables (SQLite), continuing after what is there.
    let mut next_rid: [i64; 2] = [0, 0];
    if backend == Backend::Sqlite {
        for (i, table) in ["search_contacts", "search_companies"].iter().enumerate() {
            let max: Option<i64> = tx
                .fetch_scalar(&format!("SELECT MAX(rowid) FROM {table}"), vec![])
                .await
                .map_err(db_err("loading records"))?;
            next_rid[i] = max.unwrap_or(0) + 1;
        }
    }
    let mut points: Vec<Vec<Value>> = Vec::new();
    let mut tags: Vec<Vec<Value>> = Vec::new();
    let mut search: [Vec<Vec<Value>>; 2] = [Vec::new(), Vec::new()];
    let mut search_rows: Vec<Vec<Value>> = Vec::new();
    let mut derive = |entity: &str,
                      id: Uuid,
                      phones: &[clientele_core::domain::client::Phone],
                      emails: &[clientele_core::domain::client::Email],
                      tag_list: &[String],
                      body: String| {
        for p in phones {
            let (value, rev) = match &p.e164 {
                Some(e) => (e.clone(), reversed_digits(e)),
                None => (p.number.chars().filter(char::is_ascii_digit).collect(), reversed_digits(&p.number)),
            };
            points.push(vec![entity.into(), id.into(), "phone".into(), value.into(), rev.into()]);
        }
        for e in emails {
            points.push(vec![entity.into(), id.into(), "email".into(), e.address.clone().into(), Value::String(None)]);
        }
        let mut seen: Vec<String> = Vec::new();
        for t in tag_list {
            let f = fold(t);
            if !seen.contains(&f) {
                tags.push(vec![entity.into(), id.into(), f.clone().into()]);
                seen.push(f);
            }
        }
        let t = usize::from(entity == "company");
        match backend {
            Backend::Sqlite => {
                search[t].push(vec![next_rid[t].into(), id.to_string().into(), body.into()]);
                search_rows.push(vec![id.into(), next_rid[t].into()]);
                next_rid[t] += 1;
            }
            Backend::Postgres => search[t].push(vec![id.into(), body.into()]),
        }
    };
    let mut company_rows = Vec::with_capacity(companies.len());
    for c in companies {
        company_rows.push(vec![
            c.id.into(),
            c.version.into(),
            c.name.clone().into(),
            c.legal_name.clone().into(),
            c.tax_number.clone().into(),
            c.website.clone().into(),
            c.industry.clone().into(),
            c.source.clone().into(),
            c.lifecycle.as_str().into(),
            jv(backend, &c.phones),
            jv(backend, &c.emails),
            jv_opt(backend, c.address.as_ref()),
            jv(backend, &c.important_dates),
            c.notes.clone().into(),
            c.owner_id.into(),
            jv(backend, &c.tags),
            jv(backend, &c.custom_fields),
            c.last_contacted_at.into(),
            sort_key(&c.name).into(),
            c.created_at.into(),
            c.updated_at.into(),
        ]);
        derive("company", c.id, &c.phones, &c.emails, &c.tags, c.search_body());
    }
    let mut contact_rows = Vec::with_capacity(contacts.len());
    let mut links = Vec::new();
    for l in contacts {
        let c = l.contact;
        contact_rows.push(vec![
            c.id.into(),
            c.version.into(),
            c.first_name.clone().into(),
            c.last_name.clone().into(),
            c.display_name.clone().into(),
            c.title.clone().into(),
            c.company_id.into(),
            c.source.clone().into(),
            c.lifecycle.as_str().into(),
            jv(backend, &c.phones),
            jv(backend, &c.emails),
            jv_opt(backend, c.address.as_ref()),
            jv(backend, &c.important_dates),
            birthday_md(&c.important_dates).into(),
            c.notes.clone().into(),
            c.owner_id.into(),
            jv(backend, &c.tags),
            jv(backend, &c.custom_fields),
            c.last_contacted_at.into(),
            sort_key(&c.display_name).into(),
            c.created_at.into(),
            c.updated_at.into(),
        ]);
        if let Some(link) = l.link {
            links.push(vec![
                link.company_id.into(),
                link.contact_id.into(),
                link.role.clone().into(),
                link.is_primary.into(),
                c.created_at.into(),
            ]);
        }
        derive("contact", c.id, &c.phones, &c.emails, &c.tags, l.search_body.to_owned());
    }
    insert_rows(
        tx,
        "companies",
        &[
            "id",
            "version",
            "name",
            "legal_name",
            "tax_number",
            "website",
            "industry",
            "source",
            "lifecycle",
            "phones",
            "emails",
            "address",
            "important_dates",
            "notes",
            "owner_id",
            "tags",
            "custom_fields",
            "last_contacted_at",
            "sort_name",
            "created_at",
            "updated_at",
        ],
        company_rows,
    )
    .await?;
    insert_rows(
        tx,
        "contacts",
        &[
            "id",
            "version",
            "first_name",
            "last_name",
            "display_name",
            "title",
            "company_id",
            "source",
            "lifecycle",
            "phones",
            "emails",
            "address",
            "important_dates",
            "birthday_md",
            "notes",
            "owner_id",
            "tags",
            "custom_fields",
            "last_contacted_at",
            "sort_name",
            "created_at",
            "updated_at",
        ],
        contact_rows,
    )
    .await?;
    insert_rows(tx, "company_contacts", &["company_id", "contact_id", "role", "is_primary", "created_at"], links)
        .await?;
    insert_rows(tx, "contact_points", &["entity_type", "entity_id", "kind", "value", "rev_digits"], points).await?;
    insert_rows(tx, "record_tags", &["entity_type", "entity_id", "tag"], tags).await?;
    let [contact_search, company_search] = search;
    match backend {
        Backend::Sqlite => {
            insert_rows(tx, "search_contacts", &["rowid", "entity_id", "body"], contact_search).await?;
            insert_rows(tx, "search_companies", &["rowid", "entity_id", "body"], company_search).await?;
            insert_rows(tx, "search_rows", &["entity_id", "rid"], search_rows).await?;
        }
        Backend::Postgres => {
            insert_rows(tx, "search_contacts", &["entity_id", "body"], contact_search).await?;
            insert_rows(tx, "search_companies", &["entity_id", "body"], company_search).await?;
        }
    }
    Ok(())
}
