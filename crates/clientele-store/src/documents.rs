//! Quotes and invoices: the documents of deals, their gap-free numbering, and the payments
//! that settle invoices (written with the deal's change in one transaction).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::deal::{self, DealItem, DealTotals};
use clientele_core::domain::document::{DocKind, DocParty, DocStatus, Document, NumberPattern};
use clientele_core::domain::money::format_minor;
use clientele_core::domain::page::Page;
use clientele_core::store::{DealWrite, DocumentChange, DocumentQuery, DocumentStore};
use clientele_core::{Error, Result};
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use crate::clients::json;
use crate::db::{Params, Tx};
use crate::filter_sql::deal_scope_sql;
use crate::keyset::{SortKind, after_cursor, finish, order_by};
use crate::platform::{insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

const DOC_COLS: &str = "d.id, d.version, d.kind, d.number, d.status, d.deal_id, d.quote_id, d.issue_date, d.due_date, \
     d.currency, d.language, d.seller, d.logo_file_id, d.buyer, d.items, d.total_minor, d.paid_minor, d.payment_terms, \
     d.notes, d.file_id, d.file_version, d.sent_at, d.closed_at, d.created_by, d.created_at, d.updated_at";

#[derive(sqlx::FromRow)]
struct DocRow {
    id: Uuid,
    version: i64,
    kind: String,
    number: String,
    status: String,
    deal_id: Uuid,
    quote_id: Option<Uuid>,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: String,
    language: String,
    seller: Json<DocParty>,
    logo_file_id: Option<Uuid>,
    buyer: Json<DocParty>,
    items: Json<Vec<DealItem>>,
    total_minor: i64,
    paid_minor: i64,
    payment_terms: Option<String>,
    notes: Option<String>,
    file_id: Option<Uuid>,
    file_version: Option<i64>,
    sent_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<DocRow> for Document {
    fn from(r: DocRow) -> Self {
        let items = r.items.0;
        // The totals are recomputed from the snapshot with the deal's rules; the stored total
        // is what lists and sums read.
        let totals = deal::totals(&items, &r.currency).unwrap_or_else(|| {
            let f = format_minor(r.total_minor, &r.currency);
            DealTotals {
                currency: r.currency.clone(),
                subtotal: f.clone(),
                discount: format_minor(0, &r.currency),
                net: f.clone(),
                tax: format_minor(0, &r.currency),
                total: f,
                total_minor: r.total_minor,
            }
        });
        Document {
            id: r.id,
            version: r.version,
            kind: DocKind::parse(&r.kind).unwrap_or(DocKind::Invoice),
            number: r.number,
            status: DocStatus::parse(&r.status).unwrap_or(DocStatus::Draft),
            deal_id: r.deal_id,
            quote_id: r.quote_id,
            issue_date: r.issue_date,
            due_date: r.due_date,
            paid: format_minor(r.paid_minor, &r.currency),
            currency: r.currency,
            language: r.language,
            seller: r.seller.0,
            logo_file_id: r.logo_file_id,
            buyer: r.buyer.0,
            items,
            totals,
            paid_minor: r.paid_minor,
            payment_terms: r.payment_terms,
            notes: r.notes,
            file_id: r.file_id,
            file_version: r.file_version,
            sent_at: r.sent_at,
            closed_at: r.closed_at,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn taken(number: &str) -> impl FnOnce(sqlx::Error) -> Error + '_ {
    move |e| {
        if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
            return Error::conflict(
                "number",
                format!("the number {number} is already taken (was the numbering pattern changed?)"),
            );
        }
        db_err("writing a document")(e)
    }
}

/// Writes the changeable columns of a document inside `tx`, checking its version.
async fn update_tx(tx: &mut Tx, d: &Document, expected_version: i64, audit: &AuditEntry) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE documents SET version = $3, status = $4, due_date = $5, language = $6, seller = $7, \
             logo_file_id = $8, buyer = $9, items = $10, total_minor = $11, paid_minor = $12, payment_terms = $13, \
             notes = $14, sent_at = $15, closed_at = $16, updated_at = $17 WHERE id = $1 AND version = $2",
            args![
                d.id,
                expected_version,
                d.version,
                d.status.as_str(),
                d.due_date,
                d.language.clone(),
                json(&d.seller),
                d.logo_file_id,
                json(&d.buyer),
                json(&d.items),
                d.totals.total_minor,
                d.paid_minor,
                d.payment_terms.clone(),
                d.notes.clone(),
                d.sent_at,
                d.closed_at,
                d.updated_at
            ],
        )
        .await
        .map_err(db_err("writing a document"))?;
    if n == 0 {
        return Err(version_conflict(tx, "documents", d.id, "document").await);
    }
    insert_audit(tx, audit).await
}

#[async_trait]
impl DocumentStore for SqlStore {
    async fn insert_document(&self, d: &Document, pattern: &NumberPattern, audit: &AuditEntry) -> Result<String> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        // One statement takes the next value and keeps the counter row locked until the
        // commit (PostgreSQL row lock; SQLite's single writer), so concurrent creations queue
        // here and a rollback gives the value back.
        let seq: i64 = tx
            .fetch_scalar(
                "INSERT INTO document_counters (kind, period, last_value) VALUES ($1, $2, 1) \
                 ON CONFLICT (kind, period) DO UPDATE SET last_value = document_counters.last_value + 1 \
                 RETURNING last_value",
                args![d.kind.as_str(), pattern.period(d.issue_date)],
            )
            .await
            .map_err(db_err("numbering a document"))?;
        let number = pattern.format(d.issue_date, seq);
        tx.execute(
            "INSERT INTO documents (id, version, kind, number, status, deal_id, quote_id, issue_date, due_date, currency, \
             language, seller, logo_file_id, buyer, items, total_minor, paid_minor, payment_terms, notes, sent_at, \
             closed_at, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
            args![
                d.id,
                d.version,
                d.kind.as_str(),
                number.clone(),
                d.status.as_str(),
                d.deal_id,
                d.quote_id,
                d.issue_date,
                d.due_date,
                d.currency.clone(),
                d.language.clone(),
                json(&d.seller),
                d.logo_file_id,
                json(&d.buyer),
                json(&d.items),
                d.totals.total_minor,
                d.paid_minor,
                d.payment_terms.clone(),
                d.notes.clone(),
                d.sent_at,
                d.closed_at,
                d.created_by,
                d.created_at,
                d.updated_at
            ],
        )
        .await
        .map_err(taken(&number))?;
        let mut audit = audit.clone();
        if let Some(m) = audit.changes.as_object_mut() {
            m.insert("number".into(), json!({ "new": number }));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(number)
    }

    async fn update_document(&self, d: &Document, expected_version: i64, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        update_tx(&mut tx, d, expected_version, audit).await?;
        tx.commit().await.map_err(db_err("committing"))
    }

    async fn get_document(&self, id: Uuid) -> Result<Option<Document>> {
        let row: Option<DocRow> = self
            .db
            .fetch_optional(&format!("SELECT {DOC_COLS} FROM documents d WHERE d.id = $1"), args![id])
            .await
            .map_err(db_err("reading a document"))?;
        Ok(row.map(Document::from))
    }

    async fn list_documents(&self, q: &DocumentQuery) -> Result<Page<Document>> {
        let mut p = Params::default();
        let mut sql = format!(
            "SELECT {DOC_COLS} FROM documents d JOIN deals a ON a.id = d.deal_id WHERE d.kind = {} AND {}",
            p.push(q.kind.as_str()),
            deal_scope_sql(&mut p, &q.scope, "a")
        );
        if let Some(s) = q.status {
            sql.push_str(&format!(" AND d.status = {}", p.push(s.as_str())));
        }
        if let Some(deal) = q.deal_id {
            sql.push_str(&format!(" AND d.deal_id = {}", p.push(deal)));
        }
        let page = &q.page;
        let (col, kind) = match page.sort.field.as_str() {
            "number" => ("d.number", SortKind::Text),
            _ => ("d.created_at", SortKind::Time),
        };
        sql.push_str(&after_cursor(&mut p, col, "d.id", &page.sort, kind, page.cursor.as_ref())?);
        sql.push_str(&order_by(col, "d.id", &page.sort));
        sql.push_str(&format!(" LIMIT {}", p.push(i64::from(page.limit) + 1)));
        let rows: Vec<DocRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing documents"))?;
        let by_number = page.sort.field == "number";
        Ok(finish(rows.into_iter().map(Document::from).collect(), page.limit, &page.sort, |d| {
            (if by_number { json(&d.number) } else { json(&d.created_at) }, d.id)
        }))
    }

    async fn set_document_file(&self, id: Uuid, file_id: Uuid, version: i64) -> Result<()> {
        self.db
            .execute(
                "UPDATE documents SET file_id = $2, file_version = $3 WHERE id = $1 AND version = $3",
                args![id, file_id, version],
            )
            .await
            .map_err(db_err("recording a document's PDF"))?;
        Ok(())
    }

    async fn save_deal_with_documents(&self, w: &DealWrite, docs: &[DocumentChange]) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        crate::funnel::save_deal_tx(&mut tx, w).await?;
        for c in docs {
            update_tx(&mut tx, &c.document, c.expected_version, &c.audit).await?;
        }
        tx.commit().await.map_err(db_err("committing"))
    }
}
