//! Leads: rows with their phones and e-mails copied into `lead_points` and their tags into
//! `record_tags`; lists with filters and keyset pages; conversion in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::client::{Email, Phone, fold, sort_key};
use clientele_core::domain::lead::{Lead, LeadStatus, Temperature};
use clientele_core::domain::page::{Page, Sort};
use clientele_core::store::{LeadConversion, LeadStore, ListSpec};
use clientele_core::{Error, Result};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::clients::{custom_cursor, json, link_in_tx, sort_column, write_company, write_contact};
use crate::db::{Params, Tx};
use crate::filter_sql::{FilterSql, scope_sql};
use crate::keyset::{after_cursor, finish, order_by};
use crate::platform::{escape_like, insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

const LEAD_COLS: &str = "a.id, a.version, a.name, a.company_name, a.phones, a.emails, a.source, a.utm_source, \
     a.utm_medium, a.utm_campaign, a.utm_term, a.utm_content, a.referrer, a.landing_page, a.temperature, a.owner_id, \
     a.status, a.disqualify_reason, a.notes, a.tags, a.custom_fields, a.converted_at, a.converted_contact_id, \
     a.converted_company_id, a.converted_deal_id, a.created_at, a.updated_at, a.deleted_at";

#[derive(sqlx::FromRow)]
struct LeadRow {
    id: Uuid,
    version: i64,
    name: Option<String>,
    company_name: Option<String>,
    phones: Json<Vec<Phone>>,
    emails: Json<Vec<Email>>,
    source: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_term: Option<String>,
    utm_content: Option<String>,
    referrer: Option<String>,
    landing_page: Option<String>,
    temperature: String,
    owner_id: Option<Uuid>,
    status: String,
    disqualify_reason: Option<String>,
    notes: Option<String>,
    tags: Json<Vec<String>>,
    custom_fields: Json<serde_json::Map<String, Value>>,
    converted_at: Option<DateTime<Utc>>,
    converted_contact_id: Option<Uuid>,
    converted_company_id: Option<Uuid>,
    converted_deal_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<LeadRow> for Lead {
    fn from(r: LeadRow) -> Self {
        Lead {
            id: r.id,
            version: r.version,
            name: r.name,
            company_name: r.company_name,
            phones: r.phones.0,
            emails: r.emails.0,
            source: r.source,
            utm_source: r.utm_source,
            utm_medium: r.utm_medium,
            utm_campaign: r.utm_campaign,
            utm_term: r.utm_term,
            utm_content: r.utm_content,
            referrer: r.referrer,
            landing_page: r.landing_page,
            temperature: Temperature::parse(&r.temperature).unwrap_or(Temperature::Warm),
            owner_id: r.owner_id,
            status: LeadStatus::parse(&r.status).unwrap_or(LeadStatus::New),
            disqualify_reason: r.disqualify_reason,
            notes: r.notes,
            tags: r.tags.0,
            custom_fields: r.custom_fields.0,
            converted_at: r.converted_at,
            converted_contact_id: r.converted_contact_id,
            converted_company_id: r.converted_company_id,
            converted_deal_id: r.converted_deal_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

/// Inserts or (optimistically) updates a lead and rewrites its points and tags. `only_open`:
/// the update also requires the stored lead not to be converted yet.
async fn write_lead(tx: &mut Tx, l: &Lead, expected: Option<i64>, only_open: bool) -> Result<()> {
    let values = args![
        l.id,
        l.version,
        l.name.clone(),
        l.company_name.clone(),
        sort_key(l.title()),
        l.search_text(),
        json(&l.phones),
        json(&l.emails),
        l.source.clone(),
        l.utm_source.clone(),
        l.utm_medium.clone(),
        l.utm_campaign.clone(),
        l.utm_term.clone(),
        l.utm_content.clone(),
        l.referrer.clone(),
        l.landing_page.clone(),
        l.temperature.as_str(),
        l.owner_id,
        l.status.as_str(),
        l.disqualify_reason.clone(),
        l.notes.clone(),
        json(&l.tags),
        Value::Object(l.custom_fields.clone()),
        l.converted_at,
        l.converted_contact_id,
        l.converted_company_id,
        l.converted_deal_id,
        l.created_at,
        l.updated_at,
        l.deleted_at
    ];
    match expected {
        None => {
            tx.execute(
                "INSERT INTO leads (id, version, name, company_name, sort_name, search_text, phones, emails, source, \
                 utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer, landing_page, temperature, \
                 owner_id, status, disqualify_reason, notes, tags, custom_fields, converted_at, converted_contact_id, \
                 converted_company_id, converted_deal_id, created_at, updated_at, deleted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                 $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)",
                values,
            )
            .await
            .map_err(db_err("creating a lead"))?;
        }
        Some(v) => {
            let mut values = values;
            values.push(v.into());
            let open = if only_open { " AND status <> 'converted'" } else { "" };
            let n = tx
                .execute(
                    &format!(
                        "UPDATE leads SET version = $2, name = $3, company_name = $4, sort_name = $5, search_text = $6, \
                         phones = $7, emails = $8, source = $9, utm_source = $10, utm_medium = $11, utm_campaign = $12, \
                         utm_term = $13, utm_content = $14, referrer = $15, landing_page = $16, temperature = $17, \
                         owner_id = $18, status = $19, disqualify_reason = $20, notes = $21, tags = $22, \
                         custom_fields = $23, converted_at = $24, converted_contact_id = $25, \
                         converted_company_id = $26, converted_deal_id = $27, created_at = $28, updated_at = $29, \
                         deleted_at = $30 WHERE id = $1 AND version = $31{open}"
                    ),
                    values,
                )
                .await
                .map_err(db_err("updating a lead"))?;
            if n == 0 {
                if only_open {
                    let status: Option<(String,)> = tx
                        .fetch_optional("SELECT status FROM leads WHERE id = $1", args![l.id])
                        .await
                        .map_err(db_err("reading a lead"))?;
                    if status.is_some_and(|(s,)| s == "converted") {
                        return Err(Error::conflict("status", "this lead is already converted"));
                    }
                }
                return Err(version_conflict(tx, "leads", l.id, "lead").await);
            }
        }
    }
    let e = || db_err("indexing a lead");
    tx.execute("DELETE FROM lead_points WHERE entity_id = $1", args![l.id]).await.map_err(e())?;
    tx.execute("DELETE FROM record_tags WHERE entity_id = $1", args![l.id]).await.map_err(e())?;
    if l.deleted_at.is_some() {
        return Ok(());
    }
    for ph in &l.phones {
        let value = ph.e164.clone().unwrap_or_else(|| ph.number.chars().filter(char::is_ascii_digit).collect());
        tx.execute("INSERT INTO lead_points (entity_id, kind, value) VALUES ($1, 'phone', $2)", args![l.id, value])
            .await
            .map_err(e())?;
    }
    for em in &l.emails {
        tx.execute(
            "INSERT INTO lead_points (entity_id, kind, value) VALUES ($1, 'email', $2)",
            args![l.id, em.address.clone()],
        )
        .await
        .map_err(e())?;
    }
    let mut seen: Vec<String> = Vec::new();
    for t in &l.tags {
        let f = fold(t);
        if seen.contains(&f) {
            continue;
        }
        tx.execute(
            "INSERT INTO record_tags (entity_type, entity_id, tag) VALUES ('lead', $1, $2)",
            args![l.id, f.clone()],
        )
        .await
        .map_err(e())?;
        seen.push(f);
    }
    Ok(())
}

fn lead_cursor(l: &Lead, sort: &Sort) -> Value {
    match sort.field.as_str() {
        "name" => Value::String(sort_key(l.title())),
        "created_at" => json(&l.created_at),
        _ => json(&l.updated_at),
    }
}

#[async_trait]
impl LeadStore for SqlStore {
    async fn insert_lead(&self, l: &Lead, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        write_lead(&mut tx, l, None, false).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn update_lead(&self, l: &Lead, expected_version: i64, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        write_lead(&mut tx, l, Some(expected_version), false).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_lead(&self, id: Uuid) -> Result<Option<Lead>> {
        let row: Option<LeadRow> = self
            .db
            .fetch_optional(&format!("SELECT {LEAD_COLS} FROM leads a WHERE a.id = $1"), args![id])
            .await
            .map_err(db_err("reading a lead"))?;
        Ok(row.map(Lead::from))
    }

    async fn list_leads(&self, spec: &ListSpec) -> Result<Page<Lead>> {
        let backend = self.db.backend();
        let mut p = Params::default();
        let mut sql = format!("SELECT {LEAD_COLS} FROM leads a WHERE ");
        sql.push_str(if spec.deleted { "a.deleted_at IS NOT NULL" } else { "a.deleted_at IS NULL" });
        sql.push_str(" AND ");
        sql.push_str(&scope_sql(&mut p, &spec.scope, "a"));
        if let Some(f) = &spec.filter {
            sql.push_str(" AND ");
            sql.push_str(&FilterSql { backend, alias: "a" }.sql(&mut p, f));
        }
        for t in &spec.terms {
            sql.push_str(&format!(" AND a.search_text LIKE {} ESCAPE '\\'", p.push(format!("%{}%", escape_like(t)))));
        }
        let (col, kind) = sort_column(&spec.page.sort, backend, spec.custom_sort);
        sql.push_str(&after_cursor(&mut p, &col, "a.id", &spec.page.sort, kind, spec.page.cursor.as_ref())?);
        sql.push_str(&order_by(&col, "a.id", &spec.page.sort));
        sql.push_str(&format!(" LIMIT {}", p.push(i64::from(spec.page.limit) + 1)));
        let rows: Vec<LeadRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing leads"))?;
        let items: Vec<Lead> = rows.into_iter().map(Lead::from).collect();
        Ok(finish(items, spec.page.limit, &spec.page.sort, |l| match spec.custom_sort {
            Some(t) => (custom_cursor(&l.custom_fields, &spec.page.sort, t), l.id),
            None => (lead_cursor(l, &spec.page.sort), l.id),
        }))
    }

    async fn match_companies(&self, folded_name: Option<&str>, domains: &[String]) -> Result<Vec<(Uuid, String)>> {
        let mut out: Vec<(Uuid, String)> = Vec::new();
        if let Some(n) = folded_name.filter(|n| !n.is_empty()) {
            let rows: Vec<(Uuid,)> = self
                .db
                .fetch_all(
                    "SELECT id FROM companies WHERE sort_name = $1 AND deleted_at IS NULL ORDER BY created_at, id LIMIT 5",
                    args![n.to_owned()],
                )
                .await
                .map_err(db_err("matching companies"))?;
            out.extend(rows.into_iter().map(|(id,)| (id, "name".to_owned())));
        }
        for d in domains.iter().take(5) {
            let host = escape_like(d);
            let rows: Vec<(Uuid,)> = self
                .db
                .fetch_all(
                    "SELECT DISTINCT c.id FROM companies c WHERE c.deleted_at IS NULL AND ( \
                     c.id IN (SELECT cp.entity_id FROM contact_points cp WHERE cp.entity_type = 'company' \
                       AND cp.kind = 'email' AND cp.value LIKE $1 ESCAPE '\\') \
                     OR c.website LIKE $2 ESCAPE '\\' OR c.website LIKE $3 ESCAPE '\\' \
                     OR c.website LIKE $4 ESCAPE '\\' OR c.website LIKE $5 ESCAPE '\\') LIMIT 5",
                    args![
                        format!("%@{host}"),
                        format!("%://{host}"),
                        format!("%://{host}/%"),
                        format!("%://www.{host}"),
                        format!("%://www.{host}/%")
                    ],
                )
                .await
                .map_err(db_err("matching companies"))?;
            for (id,) in rows {
                if !out.iter().any(|(x, _)| *x == id) {
                    out.push((id, "domain".to_owned()));
                }
            }
        }
        Ok(out)
    }

    async fn convert_lead(&self, c: &LeadConversion) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        if let Some((company, body)) = &c.new_company {
            write_company(&mut tx, company, None, body).await?;
        }
        if let Some((contact, body, link)) = &c.new_contact {
            write_contact(&mut tx, contact, None, body).await?;
            if let Some(l) = link {
                link_in_tx(&mut tx, l).await?;
            }
        }
        if let Some(w) = &c.deal {
            crate::funnel::save_deal_tx(&mut tx, w).await?;
        }
        // The lead last (it points at what was created): converting twice, or a stale version,
        // fails here and the whole transaction is rolled back.
        write_lead(&mut tx, &c.lead, Some(c.lead_expected_version), true).await?;
        for a in &c.audits {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }
}
