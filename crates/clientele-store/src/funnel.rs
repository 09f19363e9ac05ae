//! The sales funnel: pipelines and stages, loss reasons, currency rates and settings, deals
//! with their co-owners, lines, payments, stage history and events, and the board.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use clientele_core::authz::Scope;
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::client::fold;
use clientele_core::domain::deal::{
    CurrencyRate, Deal, DealEvent, DealItem, DealPayment, LossReason, PaymentKind, Pipeline, Stage, StageKind,
    StageVisit,
};
use clientele_core::domain::money::format_minor;
use clientele_core::domain::page::{Cursor, Page, Sort};
use clientele_core::store::{BoardQuery, DealWrite, FunnelStore, ListSpec, StageSum};
use clientele_core::{Error, Result};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::clients::{custom_cursor, json, sort_column};
use crate::db::{Backend, Params, Tx};
use crate::filter_sql::{FilterSql, deal_scope_sql, scope_sql};
use crate::keyset::{SortKind, after_cursor, finish, order_by};
use crate::platform::{escape_like, insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

#[derive(sqlx::FromRow)]
struct PipelineRow {
    id: Uuid,
    version: i64,
    name: String,
    position: i32,
    archived: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct StageRow {
    id: Uuid,
    pipeline_id: Uuid,
    name: String,
    position: i32,
    probability: i32,
    time_limit_days: Option<i32>,
    colour: Option<String>,
    kind: String,
}

impl From<StageRow> for Stage {
    fn from(r: StageRow) -> Self {
        Stage {
            id: r.id,
            pipeline_id: r.pipeline_id,
            name: r.name,
            position: r.position,
            probability: r.probability,
            time_limit_days: r.time_limit_days,
            colour: r.colour,
            kind: StageKind::parse(&r.kind).unwrap_or(StageKind::Open),
        }
    }
}

const STAGE_COLS: &str = "id, pipeline_id, name, position, probability, time_limit_days, colour, kind";

#[derive(sqlx::FromRow)]
struct LossReasonRow {
    id: Uuid,
    version: i64,
    name: String,
    position: i32,
    archived: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RateRow {
    id: Uuid,
    base: String,
    currency: String,
    rate: String,
    valid_from: NaiveDate,
    created_at: DateTime<Utc>,
}

pub(crate) const DEAL_COLS: &str = "a.id, a.version, a.title, a.pipeline_id, a.stage_id, a.status, a.amount_minor, \
     a.currency, a.expected_close_date, a.source, a.contact_id, a.company_id, a.owner_id, a.co_owners, a.lead_id, \
     a.loss_reason_id, a.loss_note, a.notes, a.custom_fields, a.tags, a.stage_entered_at, a.closed_at, a.created_at, \
     a.updated_at, a.deleted_at";

#[derive(sqlx::FromRow)]
struct DealRow {
    id: Uuid,
    version: i64,
    title: String,
    pipeline_id: Uuid,
    stage_id: Uuid,
    status: String,
    amount_minor: i64,
    currency: String,
    expected_close_date: Option<NaiveDate>,
    source: Option<String>,
    contact_id: Option<Uuid>,
    company_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    co_owners: Json<Vec<Uuid>>,
    lead_id: Option<Uuid>,
    loss_reason_id: Option<Uuid>,
    loss_note: Option<String>,
    notes: Option<String>,
    custom_fields: Json<serde_json::Map<String, Value>>,
    tags: Json<Vec<String>>,
    stage_entered_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<DealRow> for Deal {
    fn from(r: DealRow) -> Self {
        Deal {
            id: r.id,
            version: r.version,
            title: r.title,
            pipeline_id: r.pipeline_id,
            stage_id: r.stage_id,
            status: StageKind::parse(&r.status).unwrap_or(StageKind::Open),
            amount: format_minor(r.amount_minor, &r.currency),
            amount_minor: r.amount_minor,
            currency: r.currency,
            expected_close_date: r.expected_close_date,
            source: r.source,
            contact_id: r.contact_id,
            company_id: r.company_id,
            owner_id: r.owner_id,
            co_owner_ids: r.co_owners.0,
            lead_id: r.lead_id,
            loss_reason_id: r.loss_reason_id,
            loss_note: r.loss_note,
            notes: r.notes,
            tags: r.tags.0,
            custom_fields: r.custom_fields.0,
            stage_entered_at: r.stage_entered_at,
            closed_at: r.closed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    position: i32,
    product_id: Option<Uuid>,
    name: String,
    quantity: String,
    unit: Option<String>,
    unit_price_minor: i64,
    discount_pct: String,
    tax_pct: String,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: Uuid,
    deal_id: Uuid,
    kind: String,
    date: NaiveDate,
    amount_minor: i64,
    note: Option<String>,
    invoice_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    created_by: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    deal_id: Uuid,
    kind: String,
    payload: Json<Value>,
    actor_id: Option<Uuid>,
    at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct VisitRow {
    id: Uuid,
    deal_id: Uuid,
    from_stage_id: Option<Uuid>,
    to_stage_id: Uuid,
    entered_at: DateTime<Utc>,
    left_at: Option<DateTime<Utc>>,
    moved_by: Option<Uuid>,
    moved_by_name: String,
}

fn decimal(s: &str) -> Result<Decimal> {
    Decimal::from_str_exact(s).map_err(|e| Error::Internal(anyhow::anyhow!("stored decimal `{s}`: {e}")))
}

/// What a deal adds to the board's totals: its key and amount while it is open and live.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq)]
struct BoardShare {
    pipeline_id: Uuid,
    stage_id: Uuid,
    owner_id: Option<Uuid>,
    currency: String,
    status: String,
    amount_minor: i64,
    deleted_at: Option<DateTime<Utc>>,
    version: i64,
}

impl BoardShare {
    fn of(d: &Deal) -> Self {
        Self {
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            owner_id: d.owner_id,
            currency: d.currency.clone(),
            status: d.status.as_str().to_owned(),
            amount_minor: d.amount_minor,
            deleted_at: d.deleted_at,
            version: d.version,
        }
    }

    fn counts(&self) -> bool {
        self.status == "open" && self.deleted_at.is_none()
    }

    fn same_key(&self, o: &Self) -> bool {
        (self.pipeline_id, self.stage_id, self.owner_id, &self.currency)
            == (o.pipeline_id, o.stage_id, o.owner_id, &o.currency)
    }
}

/// Adds `count` deals and `sum` minor units to one row of the board's totals (negative to
/// take them away; a row that reaches no deal is removed).
async fn bump_totals(tx: &mut Tx, s: &BoardShare, count: i64, sum: i64) -> Result<()> {
    let e = || db_err("keeping the board's totals");
    let owner = s.owner_id.unwrap_or(Uuid::nil());
    tx.execute(
        "INSERT INTO deal_board_totals (pipeline_id, stage_id, owner_id, currency, deal_count, sum_minor) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pipeline_id, stage_id, owner_id, currency) DO UPDATE \
         SET deal_count = deal_board_totals.deal_count + excluded.deal_count, \
             sum_minor = deal_board_totals.sum_minor + excluded.sum_minor",
        args![s.pipeline_id, s.stage_id, owner, s.currency.clone(), count, sum],
    )
    .await
    .map_err(e())?;
    if count < 0 {
        tx.execute(
            "DELETE FROM deal_board_totals WHERE pipeline_id = $1 AND stage_id = $2 AND owner_id = $3 \
             AND currency = $4 AND deal_count = 0",
            args![s.pipeline_id, s.stage_id, owner, s.currency.clone()],
        )
        .await
        .map_err(e())?;
    }
    Ok(())
}

/// Counts the board's totals of a pipeline again from its deals (after a bulk insert that did
/// not go through [`write_deal`]).
pub(crate) async fn rebuild_totals(tx: &mut Tx, pipeline_id: Uuid) -> Result<()> {
    let e = || db_err("counting the board's totals");
    tx.execute("DELETE FROM deal_board_totals WHERE pipeline_id = $1", args![pipeline_id]).await.map_err(e())?;
    tx.execute(
        "INSERT INTO deal_board_totals (pipeline_id, stage_id, owner_id, currency, deal_count, sum_minor) \
         SELECT pipeline_id, stage_id, COALESCE(owner_id, $2), currency, COUNT(*), SUM(amount_minor) FROM deals \
         WHERE pipeline_id = $1 AND status = 'open' AND deleted_at IS NULL \
         GROUP BY pipeline_id, stage_id, COALESCE(owner_id, $2), currency",
        args![pipeline_id, Uuid::nil()],
    )
    .await
    .map_err(e())?;
    Ok(())
}

/// Moves the deal's share of the board's totals from what it was to what it is now.
async fn settle_totals(tx: &mut Tx, before: Option<&BoardShare>, after: &BoardShare) -> Result<()> {
    match (before.filter(|b| b.counts()), after.counts()) {
        (Some(b), true) if b.same_key(after) => {
            if b.amount_minor != after.amount_minor {
                bump_totals(tx, after, 0, after.amount_minor - b.amount_minor).await?;
            }
        }
        (b, now) => {
            if let Some(b) = b {
                bump_totals(tx, b, -1, -b.amount_minor).await?;
            }
            if now {
                bump_totals(tx, after, 1, after.amount_minor).await?;
            }
        }
    }
    Ok(())
}

/// Writes the deal row with its co-owners and tags, and its share of the board's totals.
/// Returns the row as it was before (`None` for a new deal).
async fn write_deal(tx: &mut Tx, d: &Deal, expected: Option<i64>) -> Result<Option<BoardShare>> {
    let before: Option<BoardShare> = match expected {
        None => None,
        Some(v) => {
            let row: Option<BoardShare> = tx
                .fetch_optional(
                    "SELECT pipeline_id, stage_id, owner_id, currency, status, amount_minor, deleted_at, version \
                     FROM deals WHERE id = $1",
                    args![d.id],
                )
                .await
                .map_err(db_err("reading a deal"))?;
            // The UPDATE below is guarded by the version: what was read is what it replaces.
            if row.as_ref().is_some_and(|r| r.version != v) {
                return Err(version_conflict(tx, "deals", d.id, "deal").await);
            }
            row
        }
    };
    let values = args![
        d.id,
        d.version,
        d.title.clone(),
        fold(d.title.trim()),
        d.pipeline_id,
        d.stage_id,
        d.status.as_str(),
        d.amount_minor,
        d.currency.clone(),
        d.expected_close_date,
        d.source.clone(),
        d.contact_id,
        d.company_id,
        d.owner_id,
        json(&d.co_owner_ids),
        d.lead_id,
        d.loss_reason_id,
        d.loss_note.clone(),
        d.notes.clone(),
        Value::Object(d.custom_fields.clone()),
        json(&d.tags),
        d.stage_entered_at,
        d.closed_at,
        d.created_at,
        d.updated_at,
        d.deleted_at
    ];
    match expected {
        None => {
            tx.execute(
                "INSERT INTO deals (id, version, title, sort_title, pipeline_id, stage_id, status, amount_minor, currency, \
                 expected_close_date, source, contact_id, company_id, owner_id, co_owners, lead_id, loss_reason_id, \
                 loss_note, notes, custom_fields, tags, stage_entered_at, closed_at, created_at, updated_at, deleted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
                 $22, $23, $24, $25, $26)",
                values,
            )
            .await
            .map_err(db_err("creating a deal"))?;
        }
        Some(v) => {
            let mut values = values;
            values.push(v.into());
            let n = tx
                .execute(
                    "UPDATE deals SET version = $2, title = $3, sort_title = $4, pipeline_id = $5, stage_id = $6, \
                     status = $7, amount_minor = $8, currency = $9, expected_close_date = $10, source = $11, \
                     contact_id = $12, company_id = $13, owner_id = $14, co_owners = $15, lead_id = $16, \
                     loss_reason_id = $17, loss_note = $18, notes = $19, custom_fields = $20, tags = $21, \
                     stage_entered_at = $22, closed_at = $23, created_at = $24, updated_at = $25, deleted_at = $26 \
                     WHERE id = $1 AND version = $27",
                    values,
                )
                .await
                .map_err(db_err("updating a deal"))?;
            if n == 0 {
                return Err(version_conflict(tx, "deals", d.id, "deal").await);
            }
        }
    }
    let e = || db_err("indexing a deal");
    tx.execute("DELETE FROM deal_owners WHERE deal_id = $1", args![d.id]).await.map_err(e())?;
    for u in &d.co_owner_ids {
        tx.execute("INSERT INTO deal_owners (deal_id, user_id) VALUES ($1, $2)", args![d.id, *u]).await.map_err(e())?;
    }
    tx.execute("DELETE FROM record_tags WHERE entity_id = $1", args![d.id]).await.map_err(e())?;
    if d.deleted_at.is_none() {
        let mut seen: Vec<String> = Vec::new();
        for t in &d.tags {
            let f = fold(t);
            if seen.contains(&f) {
                continue;
            }
            tx.execute(
                "INSERT INTO record_tags (entity_type, entity_id, tag) VALUES ('deal', $1, $2)",
                args![d.id, f.clone()],
            )
            .await
            .map_err(e())?;
            seen.push(f);
        }
    }
    settle_totals(tx, before.as_ref(), &BoardShare::of(d)).await?;
    Ok(before)
}

/// Writes a deal change inside `tx` (lead conversion writes a new deal with other records).
pub(crate) async fn save_deal_tx(tx: &mut Tx, w: &DealWrite) -> Result<()> {
    let d = &w.deal;
    let before = write_deal(tx, d, w.expected_version).await?;
    let restored = before.as_ref().is_some_and(|b| b.deleted_at.is_some()) && d.deleted_at.is_none();
    if let Some(items) = &w.items {
        let e = || db_err("writing line items");
        tx.execute("DELETE FROM deal_items WHERE deal_id = $1", args![d.id]).await.map_err(e())?;
        for it in items {
            tx.execute(
                "INSERT INTO deal_items (id, deal_id, position, product_id, name, quantity, unit, unit_price_minor, \
                 discount_pct, tax_pct, line_total_minor, tax_minor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                args![
                    it.id,
                    d.id,
                    it.position,
                    it.product_id,
                    it.name.clone(),
                    it.quantity.clone(),
                    it.unit.clone(),
                    it.unit_price_minor,
                    it.discount_pct.clone(),
                    it.tax_pct.clone(),
                    it.line_total_minor,
                    it.tax_minor
                ],
            )
            .await
            .map_err(e())?;
        }
    }
    if let Some(v) = &w.visit {
        let e = || db_err("writing stage history");
        tx.execute(
            "UPDATE deal_stage_history SET left_at = $2 WHERE deal_id = $1 AND left_at IS NULL",
            args![d.id, v.entered_at],
        )
        .await
        .map_err(e())?;
        tx.execute(
            "INSERT INTO deal_stage_history (id, deal_id, from_stage_id, to_stage_id, entered_at, left_at, moved_by, \
             moved_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                v.id,
                d.id,
                v.from_stage_id,
                v.to_stage_id,
                v.entered_at,
                v.left_at,
                v.moved_by,
                v.moved_by_name.clone()
            ],
        )
        .await
        .map_err(e())?;
    }
    if let Some(pay) = &w.add_payment {
        tx.execute(
            "INSERT INTO deal_payments (id, deal_id, kind, date, amount_minor, note, invoice_id, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                pay.id,
                d.id,
                pay.kind.as_str(),
                pay.date,
                pay.amount_minor,
                pay.note.clone(),
                pay.invoice_id,
                pay.created_at,
                pay.created_by
            ],
        )
        .await
        .map_err(db_err("adding a payment"))?;
    }
    if let Some(pid) = w.remove_payment {
        let n = tx
            .execute("DELETE FROM deal_payments WHERE id = $1 AND deal_id = $2", args![pid, d.id])
            .await
            .map_err(db_err("removing a payment"))?;
        if n == 0 {
            return Err(Error::NotFound("payment"));
        }
    }
    if let Some(ev) = &w.event {
        tx.execute(
            "INSERT INTO deal_events (id, deal_id, kind, payload, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![ev.id, ev.deal_id, ev.kind.clone(), ev.payload.clone(), ev.actor_id, ev.at],
        )
        .await
        .map_err(db_err("recording a deal event"))?;
    }
    // leads-products: a won deal takes its product lines out of stock; reopening it, changing
    // its lines or deleting it gives back what no longer applies. Only these writes can
    // change what the deal should have taken.
    if w.items.is_some() || w.visit.is_some() || d.deleted_at.is_some() || restored {
        crate::products::settle_deal_stock(tx, d, &w.audit).await?;
    }
    insert_audit(tx, &w.audit).await?;
    Ok(())
}

/// `a.` conditions of the board (open deals of a pipeline, within reach, filtered).
fn board_where(p: &mut Params, q: &BoardQuery) -> String {
    let mut sql = format!(
        "a.pipeline_id = {} AND a.status = 'open' AND a.deleted_at IS NULL AND {}",
        p.push(q.pipeline_id),
        deal_scope_sql(p, &q.scope, "a")
    );
    if let Some(o) = q.owner_id {
        sql.push_str(&format!(" AND a.owner_id = {}", p.push(o)));
    }
    if let Some(t) = &q.tag {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM record_tags t WHERE t.entity_id = a.id AND t.tag = {})",
            p.push(t.clone())
        ));
    }
    sql.push_str(&title_terms(p, &q.terms));
    sql
}

fn title_terms(p: &mut Params, terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!(" AND a.sort_title LIKE {} ESCAPE '\\'", p.push(format!("%{}%", escape_like(t)))))
        .collect()
}

fn deal_sort(sort: &Sort, backend: Backend, spec: &ListSpec) -> (String, SortKind) {
    if spec.custom_sort.is_some() {
        return sort_column(sort, backend, spec.custom_sort);
    }
    match sort.field.as_str() {
        "title" => ("a.sort_title".into(), SortKind::Text),
        "amount_minor" => ("a.amount_minor".into(), SortKind::Int),
        "created_at" => ("a.created_at".into(), SortKind::Time),
        "stage_entered_at" => ("a.stage_entered_at".into(), SortKind::Time),
        _ => ("a.updated_at".into(), SortKind::Time),
    }
}

fn deal_cursor(d: &Deal, sort: &Sort) -> Value {
    match sort.field.as_str() {
        "title" => Value::String(fold(d.title.trim())),
        "amount_minor" => Value::from(d.amount_minor),
        "created_at" => json(&d.created_at),
        "stage_entered_at" => json(&d.stage_entered_at),
        _ => json(&d.updated_at),
    }
}

#[async_trait]
impl FunnelStore for SqlStore {
    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        let rows: Vec<PipelineRow> = self
            .db
            .fetch_all(
                "SELECT id, version, name, position, archived, created_at, updated_at FROM pipelines \
                 WHERE deleted_at IS NULL ORDER BY position, created_at, id",
                vec![],
            )
            .await
            .map_err(db_err("reading pipelines"))?;
        let stages: Vec<StageRow> = self
            .db
            .fetch_all(
                &format!("SELECT {STAGE_COLS} FROM stages WHERE deleted_at IS NULL ORDER BY position, id"),
                vec![],
            )
            .await
            .map_err(db_err("reading stages"))?;
        let mut stages: Vec<Stage> = stages.into_iter().map(Stage::from).collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let (mine, rest): (Vec<Stage>, Vec<Stage>) = stages.drain(..).partition(|s| s.pipeline_id == r.id);
                stages = rest;
                Pipeline {
                    id: r.id,
                    version: r.version,
                    name: r.name,
                    position: r.position,
                    archived: r.archived,
                    stages: mine,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                }
            })
            .collect())
    }

    async fn stages_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Stage>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let list: Vec<String> = ids.iter().map(|i| p.push(*i)).collect();
        let rows: Vec<StageRow> = self
            .db
            .fetch_all(&format!("SELECT {STAGE_COLS} FROM stages WHERE id IN ({})", list.join(", ")), p.0)
            .await
            .map_err(db_err("reading stages"))?;
        Ok(rows.into_iter().map(Stage::from).collect())
    }

    async fn save_pipeline(
        &self,
        pl: &Pipeline,
        expected: Option<i64>,
        remove_stage: Option<Uuid>,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("saving a pipeline");
        match expected {
            None => {
                tx.execute(
                    "INSERT INTO pipelines (id, version, name, position, archived, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    args![pl.id, pl.version, pl.name.clone(), pl.position, pl.archived, pl.created_at, pl.updated_at],
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE pipelines SET version = $2, name = $3, position = $4, archived = $5, updated_at = $6 \
                         WHERE id = $1 AND version = $7 AND deleted_at IS NULL",
                        args![pl.id, pl.version, pl.name.clone(), pl.position, pl.archived, pl.updated_at, v],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "pipelines", pl.id, "pipeline").await);
                }
            }
        }
        if let Some(sid) = remove_stage {
            let n: i64 = tx
                .fetch_scalar("SELECT COUNT(*) FROM deals WHERE stage_id = $1 AND deleted_at IS NULL", args![sid])
                .await
                .map_err(e())?;
            if n > 0 {
                return Err(Error::conflict("stage_id", format!("{n} deals are in this stage; move them first")));
            }
            tx.execute("UPDATE stages SET deleted_at = $2, updated_at = $2 WHERE id = $1", args![sid, pl.updated_at])
                .await
                .map_err(e())?;
        }
        for s in &pl.stages {
            tx.execute(
                "INSERT INTO stages (id, pipeline_id, name, position, probability, time_limit_days, colour, kind, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, position = excluded.position, \
                 probability = excluded.probability, time_limit_days = excluded.time_limit_days, \
                 colour = excluded.colour, updated_at = excluded.updated_at",
                args![
                    s.id,
                    pl.id,
                    s.name.clone(),
                    s.position,
                    s.probability,
                    s.time_limit_days,
                    s.colour.clone(),
                    s.kind.as_str(),
                    pl.updated_at
                ],
            )
            .await
            .map_err(e())?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_pipeline(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("removing a pipeline");
        let n: i64 = tx
            .fetch_scalar("SELECT COUNT(*) FROM deals WHERE pipeline_id = $1 AND deleted_at IS NULL", args![id])
            .await
            .map_err(e())?;
        if n > 0 {
            return Err(Error::conflict("pipeline_id", format!("{n} deals are in this pipeline; move them first")));
        }
        tx.execute(
            "UPDATE pipelines SET deleted_at = $2, updated_at = $2, version = version + 1 WHERE id = $1",
            args![id, at],
        )
        .await
        .map_err(e())?;
        tx.execute(
            "UPDATE stages SET deleted_at = $2, updated_at = $2 WHERE pipeline_id = $1 AND deleted_at IS NULL",
            args![id, at],
        )
        .await
        .map_err(e())?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn count_live_deals(&self, pipeline_id: Uuid, stage_id: Option<Uuid>) -> Result<i64> {
        let e = db_err("counting deals");
        match stage_id {
            Some(s) => self
                .db
                .fetch_scalar(
                    "SELECT COUNT(*) FROM deals WHERE stage_id = $1 AND pipeline_id = $2 AND deleted_at IS NULL",
                    args![s, pipeline_id],
                )
                .await
                .map_err(e),
            None => self
                .db
                .fetch_scalar(
                    "SELECT COUNT(*) FROM deals WHERE pipeline_id = $1 AND deleted_at IS NULL",
                    args![pipeline_id],
                )
                .await
                .map_err(e),
        }
    }

    async fn list_loss_reasons(&self) -> Result<Vec<LossReason>> {
        let rows: Vec<LossReasonRow> = self
            .db
            .fetch_all(
                "SELECT id, version, name, position, archived, created_at, updated_at FROM loss_reasons \
                 ORDER BY position, name, id",
                vec![],
            )
            .await
            .map_err(db_err("reading loss reasons"))?;
        Ok(rows
            .into_iter()
            .map(|r| LossReason {
                id: r.id,
                version: r.version,
                name: r.name,
                position: r.position,
                archived: r.archived,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
            .collect())
    }

    async fn save_loss_reason(&self, r: &LossReason, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("saving a loss reason");
        match expected {
            None => {
                tx.execute(
                    "INSERT INTO loss_reasons (id, version, name, position, archived, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    args![r.id, r.version, r.name.clone(), r.position, r.archived, r.created_at, r.updated_at],
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE loss_reasons SET version = $2, name = $3, position = $4, archived = $5, updated_at = $6 \
                         WHERE id = $1 AND version = $7",
                        args![r.id, r.version, r.name.clone(), r.position, r.archived, r.updated_at, v],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "loss_reasons", r.id, "loss reason").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn list_rates(&self) -> Result<Vec<CurrencyRate>> {
        let rows: Vec<RateRow> = self
            .db
            .fetch_all(
                "SELECT id, base, currency, rate, valid_from, created_at FROM currency_rates \
                 ORDER BY valid_from DESC, currency",
                vec![],
            )
            .await
            .map_err(db_err("reading currency rates"))?;
        Ok(rows
            .into_iter()
            .map(|r| CurrencyRate {
                id: r.id,
                base: r.base,
                currency: r.currency,
                rate: r.rate,
                valid_from: r.valid_from,
                created_at: r.created_at,
            })
            .collect())
    }

    async fn put_rate(&self, r: &CurrencyRate, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            "INSERT INTO currency_rates (id, base, currency, rate, valid_from, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (base, currency, valid_from) DO UPDATE SET id = excluded.id, rate = excluded.rate, \
             created_at = excluded.created_at",
            args![r.id, r.base.clone(), r.currency.clone(), r.rate.clone(), r.valid_from, r.created_at],
        )
        .await
        .map_err(db_err("saving a currency rate"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_rate(&self, id: Uuid, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute("DELETE FROM currency_rates WHERE id = $1", args![id])
            .await
            .map_err(db_err("removing a currency rate"))?;
        if n > 0 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(n > 0)
    }

    async fn get_setting(&self, key: &str) -> Result<Option<Value>> {
        let row: Option<(Json<Value>,)> = self
            .db
            .fetch_optional("SELECT value FROM settings WHERE key = $1", args![key.to_owned()])
            .await
            .map_err(db_err("reading a setting"))?;
        Ok(row.map(|r| r.0.0))
    }

    async fn put_setting(&self, key: &str, value: &Value, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            "INSERT INTO settings (key, value, version, updated_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = settings.version + 1, \
             updated_at = excluded.updated_at",
            args![key.to_owned(), value.clone(), audit.at],
        )
        .await
        .map_err(db_err("saving a setting"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_deal(&self, id: Uuid) -> Result<Option<Deal>> {
        let row: Option<DealRow> = self
            .db
            .fetch_optional(&format!("SELECT {DEAL_COLS} FROM deals a WHERE a.id = $1"), args![id])
            .await
            .map_err(db_err("reading a deal"))?;
        Ok(row.map(Deal::from))
    }

    async fn deal_items(&self, deal_id: Uuid, currency: &str) -> Result<Vec<DealItem>> {
        let rows: Vec<ItemRow> = self
            .db
            .fetch_all(
                "SELECT id, position, product_id, name, quantity, unit, unit_price_minor, discount_pct, tax_pct \
                 FROM deal_items WHERE deal_id = $1 ORDER BY position, id",
                args![deal_id],
            )
            .await
            .map_err(db_err("reading line items"))?;
        rows.into_iter()
            .map(|r| {
                DealItem::from_parts(
                    r.id,
                    r.position,
                    r.product_id,
                    r.name,
                    decimal(&r.quantity)?,
                    r.unit,
                    r.unit_price_minor,
                    decimal(&r.discount_pct)?,
                    decimal(&r.tax_pct)?,
                    currency,
                )
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored line item out of range")))
            })
            .collect()
    }

    async fn deal_payments(&self, deal_id: Uuid, currency: &str) -> Result<Vec<DealPayment>> {
        let rows: Vec<PaymentRow> = self
            .db
            .fetch_all(
                "SELECT id, deal_id, kind, date, amount_minor, note, invoice_id, created_at, created_by \
                 FROM deal_payments WHERE deal_id = $1 ORDER BY date, created_at, id",
                args![deal_id],
            )
            .await
            .map_err(db_err("reading payments"))?;
        Ok(rows
            .into_iter()
            .map(|r| DealPayment {
                id: r.id,
                deal_id: r.deal_id,
                kind: PaymentKind::parse(&r.kind).unwrap_or(PaymentKind::Planned),
                date: r.date,
                amount: format_minor(r.amount_minor, currency),
                amount_minor: r.amount_minor,
                note: r.note,
                invoice_id: r.invoice_id,
                created_at: r.created_at,
                created_by: r.created_by,
            })
            .collect())
    }

    async fn deal_history(&self, deal_id: Uuid) -> Result<Vec<StageVisit>> {
        let rows: Vec<VisitRow> = self
            .db
            .fetch_all(
                "SELECT id, deal_id, from_stage_id, to_stage_id, entered_at, left_at, moved_by, moved_by_name \
                 FROM deal_stage_history WHERE deal_id = $1 ORDER BY entered_at, id",
                args![deal_id],
            )
            .await
            .map_err(db_err("reading stage history"))?;
        Ok(rows
            .into_iter()
            .map(|r| StageVisit {
                id: r.id,
                deal_id: r.deal_id,
                from_stage_id: r.from_stage_id,
                to_stage_id: r.to_stage_id,
                entered_at: r.entered_at,
                left_at: r.left_at,
                moved_by: r.moved_by,
                moved_by_name: r.moved_by_name,
            })
            .collect())
    }

    async fn save_deal(&self, w: &DealWrite) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        save_deal_tx(&mut tx, w).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn list_deals(&self, spec: &ListSpec) -> Result<Page<Deal>> {
        let backend = self.db.backend();
        let mut p = Params::default();
        let mut sql = format!("SELECT {DEAL_COLS} FROM deals a WHERE ");
        sql.push_str(if spec.deleted { "a.deleted_at IS NOT NULL" } else { "a.deleted_at IS NULL" });
        sql.push_str(" AND ");
        sql.push_str(&deal_scope_sql(&mut p, &spec.scope, "a"));
        if let Some(f) = &spec.filter {
            sql.push_str(" AND ");
            sql.push_str(&FilterSql { backend, alias: "a" }.sql(&mut p, f));
        }
        sql.push_str(&title_terms(&mut p, &spec.terms));
        let (col, kind) = deal_sort(&spec.page.sort, backend, spec);
        sql.push_str(&after_cursor(&mut p, &col, "a.id", &spec.page.sort, kind, spec.page.cursor.as_ref())?);
        sql.push_str(&order_by(&col, "a.id", &spec.page.sort));
        let limit = p.push(i64::from(spec.page.limit) + 1);
        sql.push_str(&format!(" LIMIT {limit}"));
        let rows: Vec<DealRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing deals"))?;
        let items: Vec<Deal> = rows.into_iter().map(Deal::from).collect();
        Ok(finish(items, spec.page.limit, &spec.page.sort, |d| match spec.custom_sort {
            Some(t) => (custom_cursor(&d.custom_fields, &spec.page.sort, t), d.id),
            None => (deal_cursor(d, &spec.page.sort), d.id),
        }))
    }

    async fn board_column(
        &self,
        q: &BoardQuery,
        stage_id: Uuid,
        limit: u32,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Deal>> {
        let sort = Sort { field: "updated_at".into(), descending: true };
        let mut p = Params::default();
        let mut sql = format!(
            "SELECT {DEAL_COLS} FROM deals a WHERE a.stage_id = {} AND {}",
            p.push(stage_id),
            board_where(&mut p, q)
        );
        sql.push_str(&after_cursor(&mut p, "a.updated_at", "a.id", &sort, SortKind::Time, cursor)?);
        sql.push_str(&order_by("a.updated_at", "a.id", &sort));
        sql.push_str(&format!(" LIMIT {}", p.push(i64::from(limit) + 1)));
        let rows: Vec<DealRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("reading the board"))?;
        let items: Vec<Deal> = rows.into_iter().map(Deal::from).collect();
        Ok(finish(items, limit, &sort, |d| (json(&d.updated_at), d.id)))
    }

    async fn deal_events(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<DealEvent>> {
        let rows: Vec<EventRow> = self
            .db
            .fetch_all(
                "SELECT id, deal_id, kind, payload, actor_id, at FROM deal_events WHERE id > $1 ORDER BY id LIMIT $2",
                args![after.unwrap_or(Uuid::nil()), i64::from(limit)],
            )
            .await
            .map_err(db_err("reading deal events"))?;
        Ok(rows
            .into_iter()
            .map(|r| DealEvent {
                id: r.id,
                deal_id: r.deal_id,
                kind: r.kind,
                payload: r.payload.0,
                actor_id: r.actor_id,
                at: r.at,
            })
            .collect())
    }

    /// The board's counts and sums. Without a tag or words of the title they add up the
    /// kept totals (`deal_board_totals`): the rows of the owners within reach, plus the deals
    /// co-owned by the actor whose owner is out of reach — exactly the deals the permission
    /// filter lets through, in a few dozen rows. Filters fall back to [`SqlStore::board_sums_exact`].
    async fn board_sums(&self, q: &BoardQuery) -> Result<Vec<StageSum>> {
        if q.tag.is_some() || !q.terms.is_empty() {
            return self.board_sums_exact(q).await;
        }
        let mut p = Params::default();
        let pipeline = p.push(q.pipeline_id);
        let owner_t = q.owner_id.map(|o| format!(" AND t.owner_id = {}", p.push(o))).unwrap_or_default();
        let mut sql = format!(
            "SELECT t.stage_id, t.currency, CAST(SUM(t.deal_count) AS BIGINT), CAST(SUM(t.sum_minor) AS BIGINT) \
             FROM deal_board_totals t WHERE t.pipeline_id = {pipeline} AND {}{owner_t} GROUP BY t.stage_id, t.currency",
            scope_sql(&mut p, &q.scope, "t")
        );
        let co_owner = match &q.scope {
            Scope::Own(u) => Some(*u),
            Scope::Teams { user, .. } => Some(*user),
            Scope::All | Scope::Nothing => None,
        };
        if let Some(u) = co_owner {
            let owner_a = q.owner_id.map(|o| format!(" AND a.owner_id = {}", p.push(o))).unwrap_or_default();
            sql.push_str(&format!(
                " UNION ALL SELECT a.stage_id, a.currency, COUNT(*), CAST(SUM(a.amount_minor) AS BIGINT) \
                 FROM deal_owners o JOIN deals a ON a.id = o.deal_id WHERE o.user_id = {} AND a.pipeline_id = {pipeline} \
                 AND a.status = 'open' AND a.deleted_at IS NULL AND (a.owner_id IS NULL OR NOT ({})){owner_a} \
                 GROUP BY a.stage_id, a.currency",
                p.push(u),
                scope_sql(&mut p, &q.scope, "a")
            ));
        }
        let rows: Vec<(Uuid, String, i64, i64)> =
            self.db.fetch_all(&sql, p.0).await.map_err(db_err("adding up the board"))?;
        let mut out: Vec<StageSum> = Vec::new();
        for (stage_id, currency, count, sum_minor) in rows {
            match out.iter_mut().find(|x| x.stage_id == stage_id && x.currency == currency) {
                Some(x) => {
                    x.count += count;
                    x.sum_minor = x.sum_minor.saturating_add(sum_minor);
                }
                None => out.push(StageSum { stage_id, currency, count, sum_minor }),
            }
        }
        out.retain(|x| x.count > 0);
        Ok(out)
    }
}

impl SqlStore {
    /// The board's counts and sums read from the deals themselves (one `GROUP BY` over every
    /// open deal of the pipeline within reach): the answer for filtered boards, and the
    /// reference the kept totals are checked against.
    pub async fn board_sums_exact(&self, q: &BoardQuery) -> Result<Vec<StageSum>> {
        let mut p = Params::default();
        let sql = format!(
            "SELECT a.stage_id, a.currency, COUNT(*), CAST(SUM(a.amount_minor) AS BIGINT) FROM deals a \
             WHERE {} GROUP BY a.stage_id, a.currency",
            board_where(&mut p, q)
        );
        let rows: Vec<(Uuid, String, i64, i64)> =
            self.db.fetch_all(&sql, p.0).await.map_err(db_err("adding up the board"))?;
        Ok(rows
            .into_iter()
            .map(|(stage_id, currency, count, sum_minor)| StageSum { stage_id, currency, count, sum_minor })
            .collect())
    }

    /// Demo and benchmark data: `n` open deals spread over the open stages of `pipeline`, the
    /// `owners` in turn, amounts in EUR, USD and RUB, with one stage history row each, written
    /// by one statement per table (the point is what is read later, not how it is written).
    pub async fn generate_demo_deals(&self, pipeline: &Pipeline, owners: &[Uuid], n: usize) -> Result<usize> {
        let open: Vec<Uuid> = pipeline.stages.iter().filter(|s| s.kind == StageKind::Open).map(|s| s.id).collect();
        if n == 0 || open.is_empty() || owners.is_empty() {
            return Ok(0);
        }
        let last = n - 1;
        // Parameters: $1 pipeline, then the open stages, then the owners.
        let stage_case = (0..open.len()).map(|k| format!("WHEN {k} THEN ${}", k + 2)).collect::<Vec<_>>().join(" ");
        let owner_case =
            (0..owners.len()).map(|k| format!("WHEN {k} THEN ${}", k + 2 + open.len())).collect::<Vec<_>>().join(" ");
        let (stages_n, owners_n) = (open.len(), owners.len());
        let jsonb = if self.db.backend() == Backend::Postgres { "::jsonb" } else { "" };
        let cols = "id, version, title, sort_title, pipeline_id, stage_id, status, amount_minor, currency, source, \
                    co_owners, owner_id, custom_fields, tags, stage_entered_at, created_at, updated_at";
        let body = format!(
            "'Deal #' || i, 'deal #' || i, $1, CASE i % {stages_n} {stage_case} END, 'open', \
             ((i * 7919) % 4000 + 1) * 1000, CASE i % 5 WHEN 3 THEN 'USD' WHEN 4 THEN 'RUB' ELSE 'EUR' END, \
             CASE i % 4 WHEN 0 THEN 'website' WHEN 1 THEN 'referral' WHEN 2 THEN 'cold_call' ELSE 'email' END, '[]', \
             CASE i % {owners_n} {owner_case} END, '{{}}', (CASE i % 10 WHEN 0 THEN '[\"vip\"]' ELSE '[]' END){jsonb}"
        );
        let (deals_sql, history_sql) = match self.db.backend() {
            Backend::Sqlite => (
                format!(
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
                     INSERT INTO deals ({cols}) SELECT randomblob(16), 1, {body}, \
                     strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || (i * 37 % 5000000) || ' seconds'), \
                     strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || (i * 37 % 5000000) || ' seconds'), \
                     strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || (i * 37 % 5000000) || ' seconds') FROM n"
                ),
                "INSERT INTO deal_stage_history (id, deal_id, from_stage_id, to_stage_id, entered_at, moved_by_name) \
                 SELECT randomblob(16), d.id, NULL, d.stage_id, d.stage_entered_at, 'demo' FROM deals d \
                 WHERE d.title LIKE 'Deal #%' AND NOT EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id)",
            ),
            Backend::Postgres => (
                format!(
                    "INSERT INTO deals ({cols}) SELECT gen_random_uuid(), 1, {body}, \
                     now() - (i * 37 % 5000000) * interval '1 second', now() - (i * 37 % 5000000) * interval '1 second', \
                     now() - (i * 37 % 5000000) * interval '1 second' FROM generate_series(0, {last}) i"
                ),
                "INSERT INTO deal_stage_history (id, deal_id, from_stage_id, to_stage_id, entered_at, moved_by_name) \
                 SELECT gen_random_uuid(), d.id, NULL, d.stage_id, d.stage_entered_at, 'demo' FROM deals d \
                 WHERE d.title LIKE 'Deal #%' AND NOT EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id)",
            ),
        };
        let mut args: Vec<sea_query::Value> = vec![pipeline.id.into()];
        args.extend(open.iter().map(|s| sea_query::Value::from(*s)));
        args.extend(owners.iter().map(|o| sea_query::Value::from(*o)));
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(&deals_sql, args).await.map_err(db_err("generating deals"))?;
        tx.execute(history_sql, vec![]).await.map_err(db_err("generating stage history"))?;
        rebuild_totals(&mut tx, pipeline.id).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        let analyze = match self.db.backend() {
            Backend::Sqlite => "ANALYZE",
            Backend::Postgres => "ANALYZE deals",
        };
        self.db.execute(analyze, vec![]).await.map_err(db_err("analyzing"))?;
        Ok(n)
    }
}
