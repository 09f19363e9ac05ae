//! Deals: create, read, change, delete, list; stage moves with their history and events;
//! line items and payments; the pipeline board; time spent per stage.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients::{ListRequest, parse_input};
use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, RecordKind, Scope, check_area, check_create, check_shared_record, scope};
use crate::domain::audit;
use crate::domain::client::{fold, opt_text, parse_tags, required_text, search_terms};
use crate::domain::custom_field;
use crate::domain::deal::{
    self, BaseTotal, Deal, DealEvent, DealItem, DealPayment, DealTotals, LossReason, PaymentKind, PaymentSummary,
    Pipeline, Stage, StageDuration, StageKind, StageVisit,
};
use crate::domain::money;
use crate::domain::page::{Cursor, Page};
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::{BoardQuery, DealWrite};

pub const SORTS: &[&str] = &["updated_at", "created_at", "title", "amount_minor", "stage_entered_at"];

/// What a client sends to create a deal, or (merged over the current deal) to change one.
/// The stage, pipeline and status change only by moving the deal (`POST /deals/{id}/move`);
/// with line items, the amount is their total.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    pub title: Option<String>,
    /// Default: the first pipeline (or the stage's).
    pub pipeline_id: Option<Uuid>,
    /// Default: the pipeline's first open stage.
    pub stage_id: Option<Uuid>,
    /// Exact decimal text (`"1234.50"`); a JSON number is read from its text. Default 0.
    #[schema(value_type = Option<String>)]
    pub amount: Option<Value>,
    /// ISO 4217 code; default the base currency.
    pub currency: Option<String>,
    pub expected_close_date: Option<NaiveDate>,
    pub source: Option<String>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    /// The main manager; defaults to the creator.
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub co_owner_ids: Vec<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Only for a deal created in (or already in) the lost stage.
    pub loss_reason_id: Option<Uuid>,
    pub loss_note: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
}

/// Fields of a stored deal a client may send back in a PATCH but never sets there.
const READ_ONLY: [&str; 9] = [
    "id",
    "version",
    "status",
    "amount_minor",
    "stage_entered_at",
    "closed_at",
    "created_at",
    "updated_at",
    "deleted_at",
];

/// `POST /deals/{id}/move`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub stage_id: Uuid,
    /// Required to move the deal into a stage of another pipeline (that pipeline's id).
    #[serde(default)]
    pub pipeline_id: Option<Uuid>,
    /// Required when entering the lost stage (while any loss reason is configured).
    #[serde(default)]
    pub loss_reason_id: Option<Uuid>,
    #[serde(default)]
    pub loss_note: Option<String>,
}

/// One line as sent in `PUT /deals/{id}/items`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealItemInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub product_id: Option<Uuid>,
    /// Exact decimal, default 1.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Value>,
    #[serde(default)]
    pub unit: Option<String>,
    /// In the deal's currency, e.g. `"19.99"`.
    #[serde(default)]
    #[schema(value_type = String)]
    pub unit_price: Option<Value>,
    /// 0-100, default 0.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub discount_pct: Option<Value>,
    /// 0-100, default 0; added on top of the line total.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tax_pct: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemsRequest {
    pub items: Vec<DealItemInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// `planned` or `actual`.
    pub kind: String,
    /// Default today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// In the deal's currency.
    #[schema(value_type = String)]
    pub amount: Value,
    #[serde(default)]
    pub note: Option<String>,
    /// The invoice an actual payment pays (a sent invoice of this deal). Without one, an actual
    /// payment goes to the deal's oldest sent invoice, if any. An invoice whose actual
    /// payments reach its total is paid.
    #[serde(default)]
    pub invoice_id: Option<Uuid>,
}

/// A deal with everything the deal card shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DealView {
    #[serde(flatten)]
    pub deal: Deal,
    pub items: Vec<DealItem>,
    /// Totals of the line items (all zero without lines).
    pub totals: DealTotals,
    pub payments: Vec<DealPayment>,
    pub payment_summary: PaymentSummary,
    /// Every stay in a stage, oldest first.
    pub stage_history: Vec<StageVisit>,
    pub stage_durations: Vec<StageDuration>,
    /// Revenue (line totals before tax) − cost of the product lines (leads-products).
    pub margin: crate::domain::product::Margin,
    /// A won deal's products whose stock went below zero (the sale was recorded anyway).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stock_warnings: Vec<crate::domain::product::StockWarning>,
}

/// Board filters (`GET /pipelines/{id}/board`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct BoardRequest {
    /// Deals per column, 1-100 (default 20).
    pub limit: Option<u32>,
    /// Only this owner's deals (`me` works).
    pub owner_id: Option<String>,
    /// Only deals with this tag.
    pub tag: Option<String>,
    /// Words the title contains.
    pub q: Option<String>,
    /// Loading more of one column: its `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardColumn {
    pub stage: Stage,
    /// Open deals in the stage (matching the filters, within your reach).
    pub count: i64,
    /// Their amounts added up in the base currency.
    pub sum: BaseTotal,
    /// The first deals, newest activity (`updated_at`) first.
    pub deals: Vec<Deal>,
    /// Pass to `GET /pipelines/{id}/board/{stage_id}?cursor=` for more; `null` when all shown.
    pub next_cursor: Option<String>,
}

/// The kanban board of a pipeline: one column per open stage. The won and lost stages are in
/// `pipeline.stages` (drop targets), without columns.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub pipeline: Pipeline,
    pub base_currency: String,
    pub columns: Vec<BoardColumn>,
    /// All columns together, in the base currency.
    pub total: BaseTotal,
    pub total_count: i64,
}

/// The board's order: newest activity first. Cursors of board columns are made for it.
pub const BOARD_SORT: &str = "-updated_at";

/// Removes the read-only fields and overlays the patch (top-level keys).
fn merge_deal_patch(current: &Value, patch: &Map<String, Value>) -> Value {
    let mut base = current.as_object().cloned().unwrap_or_default();
    for k in READ_ONLY {
        base.remove(k);
    }
    for (k, v) in patch {
        if !READ_ONLY.contains(&k.as_str()) {
            base.insert(k.clone(), v.clone());
        }
    }
    Value::Object(base)
}

impl Services {
    pub(super) async fn deal_for(&self, actor: &Actor, id: Uuid, action: Action) -> Result<Deal> {
        let d = self.store.get_deal(id).await?.ok_or(Error::NotFound("deal"))?;
        check_shared_record(actor, RecordKind::Deal, action, self.ownership(d.owner_id).await?, &d.co_owner_ids)?;
        if d.deleted_at.is_some()
            && (action != Action::Read || check_area(actor, Area::Settings, Action::Read).is_err())
        {
            return Err(Error::NotFound("deal"));
        }
        Ok(d)
    }

    /// Validates every field of a deal's input into `deal` (its identity and stage already
    /// set), collecting problems. `items` and `payments` say whether the currency may change.
    #[allow(clippy::too_many_arguments)]
    async fn fill_deal(
        &self,
        actor: &Actor,
        deal: &mut Deal,
        input: &DealInput,
        current: Option<&Deal>,
        has_lines: bool,
        p: &mut Problems,
    ) -> Result<()> {
        deal.title = required_text("title", input.title.as_deref(), 200, p).unwrap_or_default();
        let currency = match input.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => p.check(money::parse_currency("currency", c)),
            None => Some(self.base_currency().await?),
        };
        if let Some(c) = currency {
            if has_lines && current.is_some_and(|cur| cur.currency != c) {
                p.add("currency", "cannot change while the deal has line items or payments; remove them first");
            } else {
                deal.currency = c;
            }
        }
        // An amount is read in its currency: with no valid currency it cannot be checked yet.
        let amount = match &input.amount {
            None | Some(Value::Null) => Some(0),
            Some(_) if deal.currency.is_empty() => None,
            Some(v) => p.check(money::parse_amount("amount", v, &deal.currency, false)),
        };
        if let Some(a) = amount {
            deal.set_amount(a);
        }
        deal.expected_close_date = input.expected_close_date;
        if let Some(d) = deal.expected_close_date
            && !(1900..=2200).contains(&chrono::Datelike::year(&d))
        {
            p.add("expected_close_date", "is out of range");
        }
        deal.source = opt_text("source", input.source.as_deref(), 100, false, p);
        deal.notes = opt_text("notes", input.notes.as_deref(), 20_000, true, p);
        deal.tags = parse_tags("tags", &input.tags, p);
        deal.lead_id = input.lead_id;
        let defs = self.store.list_custom_fields(Some("deal")).await?;
        deal.custom_fields = custom_field::check_values(&defs, &input.custom_fields, self.settings.default_region, p);
        // Links: to records the actor can see.
        deal.contact_id = input.contact_id;
        if let Some(id) = input.contact_id
            && current.is_none_or(|c| c.contact_id != Some(id))
            && self.get_contact(actor, id).await.is_err()
        {
            p.add("contact_id", "no such contact");
        }
        deal.company_id = input.company_id;
        if let Some(id) = input.company_id
            && current.is_none_or(|c| c.company_id != Some(id))
            && self.get_company(actor, id).await.is_err()
        {
            p.add("company_id", "no such company");
        }
        // The owner is checked when it changes; co-owners must be active users.
        deal.owner_id = input.owner_id;
        let new_owner = current.is_none_or(|c| c.owner_id != input.owner_id).then_some(input.owner_id).flatten();
        self.check_refs(new_owner, &deal.custom_fields, &defs, p).await?;
        let mut co: Vec<Uuid> = Vec::new();
        if input.co_owner_ids.len() > 20 {
            p.add("co_owner_ids", "at most 20 co-owners");
        }
        for (i, u) in input.co_owner_ids.iter().enumerate().take(20) {
            if co.contains(u) || Some(*u) == deal.owner_id {
                continue;
            }
            let known = current.is_some_and(|c| c.co_owner_ids.contains(u));
            match self.store.get_user(*u).await? {
                Some(user) if user.active || known => co.push(*u),
                Some(_) => p.add(format!("co_owner_ids[{i}]"), "this user is deactivated"),
                None => p.add(format!("co_owner_ids[{i}]"), "no such user"),
            }
        }
        deal.co_owner_ids = co;
        Ok(())
    }

    /// Checks a loss reason for a deal entering (or staying in) the lost stage: required while
    /// any reason is configured; must be active unless unchanged.
    async fn check_loss(
        &self,
        reason: Option<Uuid>,
        note: Option<&str>,
        previous: Option<Uuid>,
        p: &mut Problems,
    ) -> Result<(Option<Uuid>, Option<String>)> {
        let reasons: Vec<LossReason> = self.store.list_loss_reasons().await?;
        let active = reasons.iter().filter(|r| !r.archived).count();
        let note = opt_text("loss_note", note, 2000, true, p);
        match reason {
            None if active > 0 => {
                let names: Vec<&str> = reasons.iter().filter(|r| !r.archived).map(|r| r.name.as_str()).collect();
                p.add("loss_reason_id", format!("is required for a lost deal (one of: {})", names.join(", ")));
                Ok((None, note))
            }
            None => Ok((None, note)),
            Some(id) => match reasons.iter().find(|r| r.id == id) {
                Some(r) if !r.archived || previous == Some(id) => Ok((Some(id), note)),
                Some(_) => {
                    p.add("loss_reason_id", "this loss reason is archived");
                    Ok((None, note))
                }
                None => {
                    p.add("loss_reason_id", "no such loss reason");
                    Ok((None, note))
                }
            },
        }
    }

    fn visit(actor: &Actor, deal: &Deal, from: Option<Uuid>) -> StageVisit {
        StageVisit {
            id: new_id(),
            deal_id: deal.id,
            from_stage_id: from,
            to_stage_id: deal.stage_id,
            entered_at: deal.stage_entered_at,
            left_at: None,
            moved_by: actor.audit_id(),
            moved_by_name: actor.name.clone(),
        }
    }

    pub async fn create_deal(&self, actor: &Actor, input: DealInput) -> Result<DealView> {
        let w = self.new_deal_write(actor, input).await?;
        self.store.save_deal(&w).await?;
        self.deal_view(w.deal).await
    }

    /// A new deal checked and ready to write (lead conversion writes it with other records).
    pub(super) async fn new_deal_write(&self, actor: &Actor, input: DealInput) -> Result<DealWrite> {
        let owner = Self::default_owner(actor, input.owner_id);
        check_create(actor, RecordKind::Deal, self.ownership(owner).await?)?;
        let pipelines = self.store.list_pipelines().await?;
        let mut p = Problems::new();
        let pipeline = match (input.pipeline_id, input.stage_id) {
            (Some(pid), _) => pipelines.iter().find(|x| x.id == pid),
            (None, Some(sid)) => pipelines.iter().find(|x| x.stage(sid).is_some()),
            (None, None) => pipelines.iter().find(|x| !x.archived),
        };
        let stage = match (pipeline, input.stage_id) {
            (Some(pl), Some(sid)) => pl.stage(sid).cloned(),
            (Some(pl), None) => pl.first_open().cloned(),
            (None, _) => None,
        };
        match (pipeline, &stage) {
            (None, _) if input.pipeline_id.is_some() || input.stage_id.is_none() => {
                p.add("pipeline_id", "no such pipeline (an administrator creates one first)")
            }
            (_, None) => p.add("stage_id", "is not a stage of this pipeline"),
            _ => {}
        }
        let kind = stage.as_ref().map_or(StageKind::Open, |s| s.kind);
        let at = now();
        let mut deal = Deal {
            id: new_id(),
            version: 1,
            title: String::new(),
            pipeline_id: pipeline.map_or(Uuid::nil(), |x| x.id),
            stage_id: stage.as_ref().map_or(Uuid::nil(), |s| s.id),
            status: kind,
            amount: String::new(),
            amount_minor: 0,
            currency: String::new(),
            expected_close_date: None,
            source: None,
            contact_id: None,
            company_id: None,
            owner_id: owner,
            co_owner_ids: vec![],
            lead_id: None,
            loss_reason_id: None,
            loss_note: None,
            notes: None,
            tags: vec![],
            custom_fields: Map::new(),
            stage_entered_at: at,
            closed_at: (kind != StageKind::Open).then_some(at),
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        let input = DealInput { owner_id: owner, ..input };
        self.fill_deal(actor, &mut deal, &input, None, false, &mut p).await?;
        if kind == StageKind::Lost {
            (deal.loss_reason_id, deal.loss_note) =
                self.check_loss(input.loss_reason_id, input.loss_note.as_deref(), None, &mut p).await?;
        } else if input.loss_reason_id.is_some() {
            p.add("loss_reason_id", "only a lost deal has a loss reason");
        }
        p.into_result()?;
        let visit = Self::visit(actor, &deal, None);
        let audit = audit_entry(actor, "create", "deal", deal.id, audit::created(&to_json(&deal)));
        let w = DealWrite {
            deal,
            expected_version: None,
            items: None,
            visit: Some(visit),
            add_payment: None,
            remove_payment: None,
            event: None,
            audit,
        };
        Ok(w)
    }

    async fn deal_view(&self, deal: Deal) -> Result<DealView> {
        let items = self.store.deal_items(deal.id, &deal.currency).await?;
        let payments = self.store.deal_payments(deal.id, &deal.currency).await?;
        let history = self.store.deal_history(deal.id).await?;
        let totals = deal::totals(&items, &deal.currency)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored line items out of range")))?;
        let durations = self.durations_of(&history).await?;
        let (margin, stock_warnings) = self.deal_margin(&deal, &items).await?;
        Ok(DealView {
            margin,
            stock_warnings,
            payment_summary: deal::payment_summary(&deal, &payments),
            deal,
            items,
            totals,
            payments,
            stage_history: history,
            stage_durations: durations,
        })
    }

    async fn durations_of(&self, history: &[StageVisit]) -> Result<Vec<StageDuration>> {
        let mut ids: Vec<Uuid> = history.iter().map(|v| v.to_stage_id).collect();
        ids.sort();
        ids.dedup();
        let stages = self.store.stages_by_ids(&ids).await?;
        Ok(deal::stage_durations(history, &stages, now()))
    }

    pub async fn get_deal(&self, actor: &Actor, id: Uuid) -> Result<DealView> {
        let deal = self.deal_for(actor, id, Action::Read).await?;
        self.deal_view(deal).await
    }

    /// Time the deal spent in each stage, from its history (the current stay up to now).
    pub async fn deal_durations(&self, actor: &Actor, id: Uuid) -> Result<Vec<StageDuration>> {
        let deal = self.deal_for(actor, id, Action::Read).await?;
        self.durations_of(&self.store.deal_history(deal.id).await?).await
    }

    pub async fn update_deal(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
    ) -> Result<DealView> {
        let current = self.deal_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("deal"));
        }
        check_version(if_match, current.version)?;
        let mut p = Problems::new();
        let move_hint = format!("changes only by moving the deal: POST /api/v1/deals/{id}/move");
        for (k, now_v) in [
            ("stage_id", json!(current.stage_id)),
            ("pipeline_id", json!(current.pipeline_id)),
            ("status", json!(current.status)),
        ] {
            if patch.get(k).is_some_and(|v| *v != now_v) {
                p.add(k, move_hint.clone());
            }
        }
        let input: DealInput = parse_input(merge_deal_patch(&to_json(&current), &patch))?;
        if input.owner_id != current.owner_id {
            check_create(actor, RecordKind::Deal, self.ownership(input.owner_id).await?)?;
        }
        let items = self.store.deal_items(id, &current.currency).await?;
        let payments = self.store.deal_payments(id, &current.currency).await?;
        let mut next = current.clone();
        self.fill_deal(actor, &mut next, &input, Some(&current), !items.is_empty() || !payments.is_empty(), &mut p)
            .await?;
        if !items.is_empty() && next.amount_minor != current.amount_minor {
            p.add("amount", "is the total of the line items; change the items instead");
        }
        if current.status == StageKind::Lost {
            let changed = input.loss_reason_id != current.loss_reason_id || input.loss_note != current.loss_note;
            if changed {
                (next.loss_reason_id, next.loss_note) = self
                    .check_loss(input.loss_reason_id, input.loss_note.as_deref(), current.loss_reason_id, &mut p)
                    .await?;
            }
        } else if input.loss_reason_id.is_some() || input.loss_note.is_some() {
            p.add("loss_reason_id", "only a lost deal has a loss reason");
        }
        p.into_result()?;
        if !items.is_empty() {
            next.set_amount(current.amount_minor);
        }
        if next == current {
            return self.deal_view(current).await;
        }
        next.version = current.version + 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "deal", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.write(DealWrite::plain(next.clone(), current.version, audit)).await?;
        self.deal_view(next).await
    }

    async fn write(&self, w: DealWrite) -> Result<()> {
        self.store.save_deal(&w).await
    }

    /// Soft delete (the owner's reach: a co-owner cannot).
    pub async fn delete_deal(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.deal_for(actor, id, Action::Delete).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("deal"));
        }
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let audit = audit_entry(actor, "delete", "deal", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.write(DealWrite::plain(next, current.version, audit)).await
    }

    /// Puts a deleted deal back (administrators, as the trash of contacts). A won deal takes
    /// its stock again and counts on the board again.
    pub async fn restore_deal(&self, actor: &Actor, id: Uuid) -> Result<DealView> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current =
            self.store.get_deal(id).await?.filter(|d| d.deleted_at.is_some()).ok_or(Error::NotFound("deal"))?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = None;
        next.updated_at = now();
        let audit = audit_entry(actor, "restore", "deal", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.write(DealWrite::plain(next.clone(), current.version, audit)).await?;
        self.deal_view(next).await
    }

    /// Moves a deal to another stage: closes its current stay, opens a new one (who and
    /// when), sets the status and `closed_at` from the stage's kind, records a
    /// `stage_changed` event and audit line.
    pub async fn move_deal(
        &self,
        actor: &Actor,
        id: Uuid,
        req: MoveRequest,
        if_match: Option<i64>,
    ) -> Result<DealView> {
        let current = self.deal_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("deal"));
        }
        check_version(if_match, current.version)?;
        let pipelines = self.store.list_pipelines().await?;
        let target = pipelines.iter().find_map(|pl| pl.stage(req.stage_id).map(|s| (pl, s.clone())));
        let Some((pipeline, stage)) = target else {
            return Err(Error::invalid("stage_id", "no such stage"));
        };
        if let Some(pid) = req.pipeline_id
            && pid != pipeline.id
        {
            return Err(Error::invalid("stage_id", "is not a stage of pipeline_id"));
        }
        if pipeline.id != current.pipeline_id && req.pipeline_id.is_none() {
            return Err(Error::invalid(
                "stage_id",
                format!(
                    "belongs to pipeline `{}`; send \"pipeline_id\": \"{}\" to move the deal across pipelines",
                    pipeline.name, pipeline.id
                ),
            ));
        }
        let mut p = Problems::new();
        let mut next = current.clone();
        if stage.kind == StageKind::Lost {
            let previous = (current.status == StageKind::Lost).then_some(current.loss_reason_id).flatten();
            (next.loss_reason_id, next.loss_note) =
                self.check_loss(req.loss_reason_id, req.loss_note.as_deref(), previous, &mut p).await?;
        } else {
            if req.loss_reason_id.is_some() {
                p.add("loss_reason_id", "only a deal moved to the lost stage has a loss reason");
            }
            next.loss_reason_id = None;
            next.loss_note = None;
        }
        p.into_result()?;
        if stage.id == current.stage_id && next == current {
            return self.deal_view(current).await;
        }
        let at = now();
        next.pipeline_id = pipeline.id;
        next.stage_id = stage.id;
        next.status = stage.kind;
        next.closed_at = match (current.status, stage.kind) {
            (_, StageKind::Open) => None,
            (old, new) if old == new => current.closed_at,
            _ => Some(at),
        };
        next.version = current.version + 1;
        next.updated_at = at;
        let moved = stage.id != current.stage_id;
        let visit = moved.then(|| {
            next.stage_entered_at = at;
            Self::visit(actor, &next, Some(current.stage_id))
        });
        let changes = audit::diff(&to_json(&current), &to_json(&next));
        let event = moved.then(|| DealEvent {
            id: new_id(),
            deal_id: id,
            kind: "stage_changed".into(),
            payload: json!({
                "from_pipeline_id": current.pipeline_id,
                "to_pipeline_id": next.pipeline_id,
                "from_stage_id": current.stage_id,
                "to_stage_id": next.stage_id,
                "from_status": current.status,
                "to_status": next.status,
                "loss_reason_id": next.loss_reason_id,
            }),
            actor_id: actor.audit_id(),
            at,
        });
        let action = if moved { "stage_changed" } else { "update" };
        let w = DealWrite {
            visit,
            event,
            ..DealWrite::plain(next.clone(), current.version, audit_entry(actor, action, "deal", id, changes))
        };
        self.write(w).await?;
        self.deal_view(next).await
    }

    /// Replaces every line item; the deal's amount becomes their total. Each line is checked,
    /// problems named by path (`items[1].quantity`).
    pub async fn replace_items(
        &self,
        actor: &Actor,
        id: Uuid,
        req: ItemsRequest,
        if_match: Option<i64>,
    ) -> Result<DealView> {
        let current = self.deal_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("deal"));
        }
        check_version(if_match, current.version)?;
        let mut p = Problems::new();
        if req.items.len() > 200 {
            return Err(Error::invalid("items", "at most 200 lines"));
        }
        let cur = current.currency.clone();
        // leads-products: products must exist and be active; they give name, unit and price.
        let before = self.store.deal_items(id, &cur).await?;
        let defaults = self.line_defaults(&req.items, &before, &cur, &mut p).await?;
        let mut items: Vec<DealItem> = Vec::new();
        for (i, it) in req.items.iter().enumerate() {
            let f = |name: &str| format!("items[{i}].{name}");
            let d = &defaults[i];
            let name = required_text(&f("name"), it.name.as_deref().or(d.name.as_deref()), 200, &mut p);
            let unit = opt_text(&f("unit"), it.unit.as_deref().or(d.unit.as_deref()), 20, false, &mut p);
            let quantity = p.check(money::parse_quantity(&f("quantity"), it.quantity.as_ref().unwrap_or(&json!("1"))));
            let price = match (&it.unit_price, d.unit_price_minor) {
                (None | Some(Value::Null), Some(default)) => Some(default),
                (None | Some(Value::Null), None) if it.product_id.is_some() => {
                    p.add(f("unit_price"), format!("is required: the product has no price in {cur} in any price list"));
                    None
                }
                (None | Some(Value::Null), None) => {
                    p.add(f("unit_price"), "is required");
                    None
                }
                (Some(v), _) => p.check(money::parse_amount(&f("unit_price"), v, &cur, false)),
            };
            let discount =
                p.check(money::parse_percent(&f("discount_pct"), it.discount_pct.as_ref().unwrap_or(&json!(0))));
            let tax = p.check(money::parse_percent(&f("tax_pct"), it.tax_pct.as_ref().unwrap_or(&json!(0))));
            let (Some(name), Some(q), Some(price), Some(d), Some(t)) = (name, quantity, price, discount, tax) else {
                continue;
            };
            let position = i32::try_from(i).unwrap_or(i32::MAX);
            match DealItem::from_parts(new_id(), position, it.product_id, name, q, unit, price, d, t, &cur) {
                Some(item) => items.push(item),
                None => p.add(f("quantity"), "quantity × unit price is too large"),
            }
        }
        let totals = deal::totals(&items, &cur);
        if totals.is_none() && p.is_empty() {
            p.add("items", "the total is too large");
        }
        p.into_result()?;
        let totals = totals.ok_or_else(|| Error::invalid("items", "the total is too large"))?;
        let mut next = current.clone();
        if !items.is_empty() || !before.is_empty() {
            next.set_amount(if items.is_empty() { current.amount_minor } else { totals.total_minor });
        }
        next.version += 1;
        next.updated_at = now();
        let summary = |list: &[DealItem]| -> Vec<Value> {
            list.iter().map(|i| json!({"name": i.name, "quantity": i.quantity, "unit_price": i.unit_price, "discount_pct": i.discount_pct, "tax_pct": i.tax_pct, "total": i.total})).collect()
        };
        let mut changes = audit::diff(&to_json(&current), &to_json(&next));
        if let Some(m) = changes.as_object_mut() {
            m.insert("items".into(), json!({"old": summary(&before), "new": summary(&items)}));
        }
        let w = DealWrite {
            items: Some(items),
            ..DealWrite::plain(next.clone(), current.version, audit_entry(actor, "items_replaced", "deal", id, changes))
        };
        self.write(w).await?;
        self.deal_view(next).await
    }

    pub async fn add_payment(&self, actor: &Actor, id: Uuid, req: PaymentRequest) -> Result<DealPayment> {
        let current = self.deal_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("deal"));
        }
        let mut p = Problems::new();
        let kind = PaymentKind::parse(req.kind.trim());
        if kind.is_none() {
            p.add("kind", "must be planned or actual");
        }
        let amount = p.check(money::parse_amount("amount", &req.amount, &current.currency, false));
        if amount == Some(0) {
            p.add("amount", "must be more than 0");
        }
        let note = opt_text("note", req.note.as_deref(), 2000, true, &mut p);
        p.into_result()?;
        let (Some(kind), Some(amount)) = (kind, amount) else { return Err(Error::invalid("body", "is invalid")) };
        let at = now();
        let mut payment = DealPayment {
            id: new_id(),
            deal_id: id,
            kind,
            date: req.date.unwrap_or_else(|| at.date_naive()),
            amount: money::format_minor(amount, &current.currency),
            amount_minor: amount,
            note,
            invoice_id: req.invoice_id,
            created_at: at,
            created_by: actor.audit_id(),
        };
        let invoice = self.invoice_for_payment(actor, &current, &mut payment).await?;
        let mut next = current.clone();
        next.version += 1;
        next.updated_at = at;
        let changes = json!({"payment": {"new": {"kind": kind, "date": payment.date, "amount": payment.amount, "currency": current.currency, "note": payment.note, "invoice_id": payment.invoice_id}}});
        let w = DealWrite {
            add_payment: Some(payment.clone()),
            ..DealWrite::plain(next, current.version, audit_entry(actor, "payment_added", "deal", id, changes))
        };
        self.write_with_invoice(w, invoice).await?;
        Ok(payment)
    }

    pub async fn remove_payment(&self, actor: &Actor, id: Uuid, payment_id: Uuid) -> Result<()> {
        let current = self.deal_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("deal"));
        }
        let payments = self.store.deal_payments(id, &current.currency).await?;
        let payment = payments.into_iter().find(|x| x.id == payment_id).ok_or(Error::NotFound("payment"))?;
        let mut next = current.clone();
        next.version += 1;
        next.updated_at = now();
        let changes = json!({"payment": {"old": {"kind": payment.kind, "date": payment.date, "amount": payment.amount, "currency": current.currency, "note": payment.note}}});
        let invoice = self.invoice_for_removed_payment(actor, &payment).await?;
        let w = DealWrite {
            remove_payment: Some(payment_id),
            ..DealWrite::plain(next, current.version, audit_entry(actor, "payment_removed", "deal", id, changes))
        };
        self.write_with_invoice(w, invoice).await
    }

    /// A payment change, with the change of the invoice it settles or reopens when there is one.
    async fn write_with_invoice(&self, w: DealWrite, invoice: Option<crate::store::DocumentChange>) -> Result<()> {
        match invoice {
            Some(change) => self.store.save_deal_with_documents(&w, std::slice::from_ref(&change)).await,
            None => self.write(w).await,
        }
    }

    pub async fn list_deals(&self, actor: &Actor, req: &ListRequest) -> Result<Page<Deal>> {
        let defs = self.cached_defs("deal").await?;
        let view = self.view_for(actor, req.view, "deal").await?;
        let spec = self.list_spec(actor, RecordKind::Deal, "deal", SORTS, req, &defs, view)?;
        self.store.list_deals(&spec).await
    }

    fn board_query(&self, actor: &Actor, pipeline_id: Uuid, req: &BoardRequest) -> Result<BoardQuery> {
        let owner_id = match req.owner_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some("me") => Some(actor.user_id),
            Some(s) => Some(Uuid::parse_str(s).map_err(|_| Error::invalid("owner_id", "must be a user id or \"me\""))?),
        };
        let tag = req.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(fold);
        Ok(BoardQuery {
            pipeline_id,
            scope: scope(actor, RecordKind::Deal, Action::Read),
            owner_id,
            tag,
            terms: req.q.as_deref().map(search_terms).unwrap_or_default(),
        })
    }

    fn board_limit(limit: Option<u32>) -> Result<u32> {
        match limit {
            None => Ok(20),
            Some(n) if (1..=100).contains(&n) => Ok(n),
            Some(_) => Err(Error::invalid("limit", "must be from 1 to 100")),
        }
    }

    /// The board of a pipeline: per open stage the first deals, a cursor for more, and the
    /// count and sum (in the base currency) of its open deals within the actor's reach.
    pub async fn board(&self, actor: &Actor, pipeline_id: Uuid, req: &BoardRequest) -> Result<Board> {
        let pipeline = self.get_pipeline(actor, pipeline_id).await?;
        let limit = Self::board_limit(req.limit)?;
        let q = self.board_query(actor, pipeline_id, req)?;
        let base = self.base_currency().await?;
        let rates = deal::rates_on(&self.store.list_rates().await?, &base, now().date_naive());
        let sums = if q.scope == Scope::Nothing { vec![] } else { self.store.board_sums(&q).await? };
        let mut columns = Vec::new();
        let mut all: Vec<(String, i64)> = Vec::new();
        let mut total_count = 0;
        for stage in pipeline.stages.iter().filter(|s| s.kind == StageKind::Open) {
            let mine: Vec<(String, i64)> =
                sums.iter().filter(|s| s.stage_id == stage.id).map(|s| (s.currency.clone(), s.sum_minor)).collect();
            let count: i64 = sums.iter().filter(|s| s.stage_id == stage.id).map(|s| s.count).sum();
            for (c, m) in &mine {
                match all.iter_mut().find(|(x, _)| x == c) {
                    Some(e) => e.1 = e.1.saturating_add(*m),
                    None => all.push((c.clone(), *m)),
                }
            }
            total_count += count;
            let page = if count == 0 {
                Page { data: vec![], next_cursor: None }
            } else {
                self.store.board_column(&q, stage.id, limit, None).await?
            };
            columns.push(BoardColumn {
                stage: stage.clone(),
                count,
                sum: deal::to_base(&mine, &base, &rates),
                deals: page.data,
                next_cursor: page.next_cursor,
            });
        }
        Ok(Board { total: deal::to_base(&all, &base, &rates), total_count, base_currency: base, columns, pipeline })
    }

    /// More deals of one board column (`cursor` from the board or the previous call).
    pub async fn board_column(
        &self,
        actor: &Actor,
        pipeline_id: Uuid,
        stage_id: Uuid,
        req: &BoardRequest,
    ) -> Result<Page<Deal>> {
        let pipeline = self.get_pipeline(actor, pipeline_id).await?;
        if pipeline.stage(stage_id).is_none() {
            return Err(Error::NotFound("stage"));
        }
        let limit = Self::board_limit(req.limit)?;
        let cursor = match req.cursor.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(c) => Some(Cursor::decode("cursor", c, BOARD_SORT).map_err(|e| Error::Validation(vec![e]))?),
            None => None,
        };
        let q = self.board_query(actor, pipeline_id, req)?;
        if q.scope == Scope::Nothing {
            return Ok(Page { data: vec![], next_cursor: None });
        }
        self.store.board_column(&q, stage_id, limit, cursor.as_ref()).await
    }
}

impl DealWrite {
    /// A change of the deal row only.
    pub fn plain(deal: Deal, expected_version: i64, audit: crate::domain::audit::AuditEntry) -> Self {
        Self {
            deal,
            expected_version: Some(expected_version),
            items: None,
            visit: None,
            add_payment: None,
            remove_payment: None,
            event: None,
            audit,
        }
    }
}
