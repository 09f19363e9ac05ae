//! Funnel settings: pipelines and their stages, loss reasons, the base currency and exchange
//! rates. Everyone reads them; only administrators change them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::audit;
use crate::domain::client::opt_text;
use crate::domain::deal::{CurrencyRate, LossReason, Pipeline, Stage, StageKind};
use crate::domain::money;
use crate::domain::user::parse_name;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};

/// The settings key of the base currency.
pub const BASE_CURRENCY_KEY: &str = "funnel.base_currency";
/// The base currency until an administrator chooses one.
pub const DEFAULT_BASE_CURRENCY: &str = "EUR";

/// A stage as sent when creating a pipeline or adding a stage.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    pub name: String,
    /// `open` (default), `won` or `lost`. Cannot change later.
    #[serde(default)]
    pub kind: Option<String>,
    /// 0-100; defaults to 10 (open), 100 (won), 0 (lost).
    #[serde(default)]
    pub probability: Option<i32>,
    /// 1-3650 days.
    #[serde(default)]
    pub time_limit_days: Option<i32>,
    /// `#rrggbb`.
    #[serde(default)]
    pub colour: Option<String>,
    /// Where to insert it (adding a stage): 0 is first; default last among the open stages.
    #[serde(default)]
    pub position: Option<i32>,
}

/// Change a stage: only the fields sent change; `null` clears the time limit or colour.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePatch {
    pub name: Option<String>,
    pub probability: Option<i32>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub time_limit_days: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub colour: Option<Value>,
}

/// Keeps an explicit `null` as `Some(Null)` (absent stays `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePipelineRequest {
    pub name: String,
    #[serde(default)]
    pub position: Option<i32>,
    /// In board order; exactly one `won` and one `lost` stage. Default: New, Won, Lost.
    #[serde(default)]
    pub stages: Option<Vec<StageInput>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePipelineRequest {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub archived: Option<bool>,
}

/// Every live stage of the pipeline, in the new order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageOrderRequest {
    pub stage_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LossReasonRequest {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub archived: Option<bool>,
}

/// A rate: one unit of `currency` is worth `rate` units of the base currency from
/// `valid_from` (default today) on.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRequest {
    pub currency: String,
    /// Exact decimal, e.g. `"0.0062"` (a JSON number is read from its text).
    #[schema(value_type = String)]
    pub rate: Value,
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseCurrencyRequest {
    pub currency: String,
}

/// The base currency (board sums and reports are in it) and the rates to it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Currencies {
    pub base_currency: String,
    /// Rates to the current base currency, newest first.
    pub rates: Vec<CurrencyRate>,
}

fn check_colour(field: &str, c: Option<&str>, p: &mut Problems) -> Option<String> {
    let c = opt_text(field, c, 7, false, p)?;
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit());
    if ok {
        Some(c.to_ascii_lowercase())
    } else {
        p.add(field, "must be a colour like #4caf50");
        None
    }
}

fn check_probability(field: &str, v: i32, p: &mut Problems) -> i32 {
    if !(0..=100).contains(&v) {
        p.add(field, "must be from 0 to 100");
    }
    v.clamp(0, 100)
}

fn check_limit(field: &str, v: Option<i32>, p: &mut Problems) -> Option<i32> {
    match v {
        Some(d) if !(1..=3650).contains(&d) => {
            p.add(field, "must be from 1 to 3650 days");
            None
        }
        other => other,
    }
}

fn new_stage(field: &str, pipeline_id: Uuid, s: &StageInput, p: &mut Problems) -> Stage {
    let kind = match s.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => StageKind::Open,
        Some(k) => StageKind::parse(k).unwrap_or_else(|| {
            p.add(format!("{field}.kind"), "must be open, won or lost");
            StageKind::Open
        }),
    };
    let default_probability = match kind {
        StageKind::Open => 10,
        StageKind::Won => 100,
        StageKind::Lost => 0,
    };
    Stage {
        id: new_id(),
        pipeline_id,
        name: p.check(parse_name(&format!("{field}.name"), &s.name, 100)).unwrap_or_default(),
        position: 0,
        probability: check_probability(
            &format!("{field}.probability"),
            s.probability.unwrap_or(default_probability),
            p,
        ),
        time_limit_days: check_limit(&format!("{field}.time_limit_days"), s.time_limit_days, p),
        colour: check_colour(&format!("{field}.colour"), s.colour.as_deref(), p),
        kind,
    }
}

fn renumber(stages: &mut [Stage]) {
    for (i, s) in stages.iter_mut().enumerate() {
        s.position = i32::try_from(i).unwrap_or(i32::MAX);
    }
}

impl Services {
    // ---------------- pipelines and stages ----------------

    /// Every live pipeline with its stages (archived ones too, flagged).
    pub async fn list_pipelines(&self, actor: &Actor) -> Result<Vec<Pipeline>> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.store.list_pipelines().await
    }

    pub async fn get_pipeline(&self, actor: &Actor, id: Uuid) -> Result<Pipeline> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.pipeline(id).await
    }

    pub(crate) async fn pipeline(&self, id: Uuid) -> Result<Pipeline> {
        self.store.list_pipelines().await?.into_iter().find(|p| p.id == id).ok_or(Error::NotFound("pipeline"))
    }

    async fn save_pipeline_change(
        &self,
        actor: &Actor,
        current: &Pipeline,
        mut next: Pipeline,
        remove_stage: Option<Uuid>,
        action: &str,
    ) -> Result<Pipeline> {
        if let Some(problem) = next.outcome_problem() {
            return Err(Error::conflict("stages", problem));
        }
        renumber(&mut next.stages);
        next.version = current.version + 1;
        next.updated_at = now();
        let audit = audit_entry(actor, action, "pipeline", next.id, audit::diff(&to_json(current), &to_json(&next)));
        self.store.save_pipeline(&next, Some(current.version), remove_stage, &audit).await?;
        Ok(next)
    }

    pub async fn create_pipeline(&self, actor: &Actor, req: CreatePipelineRequest) -> Result<Pipeline> {
        check_area(actor, Area::Settings, Action::Create)?;
        let mut p = Problems::new();
        let id = new_id();
        let name = p.check(parse_name("name", &req.name, 100));
        let inputs = req.stages.unwrap_or_else(|| {
            ["New", "Won", "Lost"]
                .iter()
                .zip(["open", "won", "lost"])
                .map(|(n, k)| StageInput {
                    name: (*n).into(),
                    kind: Some(k.into()),
                    probability: None,
                    time_limit_days: None,
                    colour: None,
                    position: None,
                })
                .collect()
        });
        if inputs.len() > 50 {
            p.add("stages", "at most 50 stages");
        }
        let mut stages: Vec<Stage> =
            inputs.iter().enumerate().map(|(i, s)| new_stage(&format!("stages[{i}]"), id, s, &mut p)).collect();
        renumber(&mut stages);
        let at = now();
        let pipeline = Pipeline {
            id,
            version: 1,
            name: name.unwrap_or_default(),
            position: req.position.unwrap_or(0),
            archived: false,
            stages,
            created_at: at,
            updated_at: at,
        };
        if let Some(problem) = pipeline.outcome_problem() {
            p.add("stages", problem);
        }
        p.into_result()?;
        let audit = audit_entry(actor, "create", "pipeline", id, audit::created(&to_json(&pipeline)));
        self.store.save_pipeline(&pipeline, None, None, &audit).await?;
        Ok(pipeline)
    }

    pub async fn update_pipeline(
        &self,
        actor: &Actor,
        id: Uuid,
        req: UpdatePipelineRequest,
        if_match: Option<i64>,
    ) -> Result<Pipeline> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.pipeline(id).await?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        let mut p = Problems::new();
        if let Some(n) = &req.name
            && let Some(n) = p.check(parse_name("name", n, 100))
        {
            next.name = n;
        }
        if let Some(pos) = req.position {
            next.position = pos;
        }
        if let Some(a) = req.archived {
            next.archived = a;
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        self.save_pipeline_change(actor, &current, next, None, "update").await
    }

    /// Removes a pipeline without deals (409 with the count otherwise).
    pub async fn delete_pipeline(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let current = self.pipeline(id).await?;
        check_version(if_match, current.version)?;
        let n = self.store.count_live_deals(id, None).await?;
        if n > 0 {
            return Err(Error::conflict(
                "pipeline_id",
                format!("{n} deal{} in this pipeline; move or delete them first", if n == 1 { " is" } else { "s are" }),
            ));
        }
        let audit = audit_entry(actor, "delete", "pipeline", id, audit::deleted(&to_json(&current)));
        self.store.delete_pipeline(id, now(), &audit).await
    }

    pub async fn add_stage(&self, actor: &Actor, pipeline_id: Uuid, req: StageInput) -> Result<Pipeline> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.pipeline(pipeline_id).await?;
        let mut p = Problems::new();
        let stage = new_stage("body", pipeline_id, &req, &mut p);
        // Field names of a single stage are the body's own.
        let mut p2 = Problems::new();
        for e in p.into_errors() {
            p2.add(e.field.trim_start_matches("body.").to_owned(), e.message);
        }
        p2.into_result()?;
        let mut next = current.clone();
        let last_open = next.stages.iter().rposition(|s| s.kind == StageKind::Open).map_or(0, |i| i + 1);
        let at = match req.position {
            Some(pos) => usize::try_from(pos.max(0)).unwrap_or(0).min(next.stages.len()),
            None => last_open,
        };
        next.stages.insert(at, stage);
        self.save_pipeline_change(actor, &current, next, None, "update").await
    }

    pub async fn update_stage(
        &self,
        actor: &Actor,
        pipeline_id: Uuid,
        stage_id: Uuid,
        req: StagePatch,
    ) -> Result<Pipeline> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.pipeline(pipeline_id).await?;
        let mut next = current.clone();
        let Some(stage) = next.stages.iter_mut().find(|s| s.id == stage_id) else {
            return Err(Error::NotFound("stage"));
        };
        let mut p = Problems::new();
        if let Some(n) = &req.name
            && let Some(n) = p.check(parse_name("name", n, 100))
        {
            stage.name = n;
        }
        if let Some(v) = req.probability {
            stage.probability = check_probability("probability", v, &mut p);
        }
        match &req.time_limit_days {
            None => {}
            Some(Value::Null) => stage.time_limit_days = None,
            Some(v) => match v.as_i64().and_then(|d| i32::try_from(d).ok()) {
                Some(d) => stage.time_limit_days = check_limit("time_limit_days", Some(d), &mut p),
                None => p.add("time_limit_days", "must be a whole number of days"),
            },
        }
        match &req.colour {
            None => {}
            Some(Value::Null) => stage.colour = None,
            Some(Value::String(c)) => stage.colour = check_colour("colour", Some(c), &mut p),
            Some(_) => p.add("colour", "must be a colour like #4caf50"),
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        self.save_pipeline_change(actor, &current, next, None, "update").await
    }

    /// Removes a stage. Refused (409, with the count) while deals are in it, and for the
    /// won and lost stages.
    pub async fn remove_stage(&self, actor: &Actor, pipeline_id: Uuid, stage_id: Uuid) -> Result<Pipeline> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let current = self.pipeline(pipeline_id).await?;
        let stage = current.stage(stage_id).ok_or(Error::NotFound("stage"))?.clone();
        if stage.kind != StageKind::Open {
            return Err(Error::conflict(
                "stage_id",
                format!(
                    "`{}` is the {} stage; a pipeline keeps one won and one lost stage",
                    stage.name,
                    stage.kind.as_str()
                ),
            ));
        }
        let n = self.store.count_live_deals(pipeline_id, Some(stage_id)).await?;
        if n > 0 {
            return Err(Error::conflict(
                "stage_id",
                format!(
                    "{n} deal{} in stage `{}`; move {} to another stage first",
                    if n == 1 { " is" } else { "s are" },
                    stage.name,
                    if n == 1 { "it" } else { "them" }
                ),
            ));
        }
        let mut next = current.clone();
        next.stages.retain(|s| s.id != stage_id);
        self.save_pipeline_change(actor, &current, next, Some(stage_id), "update").await
    }

    pub async fn reorder_stages(
        &self,
        actor: &Actor,
        pipeline_id: Uuid,
        req: StageOrderRequest,
        if_match: Option<i64>,
    ) -> Result<Pipeline> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.pipeline(pipeline_id).await?;
        check_version(if_match, current.version)?;
        let mut ids = req.stage_ids.clone();
        ids.sort();
        ids.dedup();
        let mut have: Vec<Uuid> = current.stages.iter().map(|s| s.id).collect();
        have.sort();
        if ids.len() != req.stage_ids.len() || ids != have {
            return Err(Error::invalid("stage_ids", "must list every stage of the pipeline exactly once"));
        }
        let mut next = current.clone();
        next.stages = req.stage_ids.iter().filter_map(|id| current.stage(*id).cloned()).collect();
        if next.stages.iter().map(|s| s.id).eq(current.stages.iter().map(|s| s.id)) {
            return Ok(current);
        }
        self.save_pipeline_change(actor, &current, next, None, "update").await
    }

    // ---------------- loss reasons ----------------

    pub async fn list_loss_reasons(&self, actor: &Actor, include_archived: bool) -> Result<Vec<LossReason>> {
        check_area(actor, Area::Directory, Action::Read)?;
        let all = self.store.list_loss_reasons().await?;
        Ok(all.into_iter().filter(|r| include_archived || !r.archived).collect())
    }

    pub async fn create_loss_reason(&self, actor: &Actor, req: LossReasonRequest) -> Result<LossReason> {
        check_area(actor, Area::Settings, Action::Create)?;
        let mut p = Problems::new();
        let name = p.check(parse_name("name", req.name.as_deref().unwrap_or(""), 100));
        p.into_result()?;
        let at = now();
        let position = match req.position {
            Some(pos) => pos,
            None => self.store.list_loss_reasons().await?.iter().map(|r| r.position + 1).max().unwrap_or(0),
        };
        let r = LossReason {
            id: new_id(),
            version: 1,
            name: name.unwrap_or_default(),
            position,
            archived: req.archived.unwrap_or(false),
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "loss_reason", r.id, audit::created(&to_json(&r)));
        self.store.save_loss_reason(&r, None, &audit).await?;
        Ok(r)
    }

    pub async fn update_loss_reason(
        &self,
        actor: &Actor,
        id: Uuid,
        req: LossReasonRequest,
        if_match: Option<i64>,
    ) -> Result<LossReason> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self
            .store
            .list_loss_reasons()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(Error::NotFound("loss reason"))?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        let mut p = Problems::new();
        if let Some(n) = &req.name
            && let Some(n) = p.check(parse_name("name", n, 100))
        {
            next.name = n;
        }
        if let Some(pos) = req.position {
            next.position = pos;
        }
        if let Some(a) = req.archived {
            next.archived = a;
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let action = if next.archived && !current.archived { "archive" } else { "update" };
        let audit = audit_entry(actor, action, "loss_reason", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_loss_reason(&next, Some(current.version), &audit).await?;
        Ok(next)
    }

    /// Archives a loss reason: deals keep it, it can no longer be chosen.
    pub async fn delete_loss_reason(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let req = LossReasonRequest { archived: Some(true), ..Default::default() };
        self.update_loss_reason(actor, id, req, None).await.map(|_| ())
    }

    // ---------------- currencies ----------------

    pub async fn base_currency(&self) -> Result<String> {
        Ok(self
            .store
            .get_setting(BASE_CURRENCY_KEY)
            .await?
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| DEFAULT_BASE_CURRENCY.to_owned()))
    }

    pub async fn currencies(&self, actor: &Actor) -> Result<Currencies> {
        check_area(actor, Area::Directory, Action::Read)?;
        let base = self.base_currency().await?;
        let mut rates: Vec<CurrencyRate> =
            self.store.list_rates().await?.into_iter().filter(|r| r.base == base).collect();
        rates.sort_by(|a, b| (b.valid_from, &a.currency).cmp(&(a.valid_from, &b.currency)));
        Ok(Currencies { base_currency: base, rates })
    }

    /// Sets the base currency. Rates are kept per base: those entered for another base stay
    /// stored but apply again only if that base is chosen again.
    pub async fn set_base_currency(&self, actor: &Actor, req: BaseCurrencyRequest) -> Result<Currencies> {
        check_area(actor, Area::Settings, Action::Update)?;
        let c = money::parse_currency("currency", &req.currency).map_err(|e| Error::Validation(vec![e]))?;
        let old = self.base_currency().await?;
        if c != old {
            let audit = audit_entry(
                actor,
                "update",
                "setting",
                Uuid::nil(),
                serde_json::json!({"base_currency": {"old": old, "new": c}}),
            );
            self.store.put_setting(BASE_CURRENCY_KEY, &Value::String(c), &audit).await?;
        }
        self.currencies(actor).await
    }

    pub async fn put_rate(&self, actor: &Actor, req: RateRequest) -> Result<CurrencyRate> {
        check_area(actor, Area::Settings, Action::Update)?;
        let base = self.base_currency().await?;
        let mut p = Problems::new();
        let currency = p.check(money::parse_currency("currency", &req.currency));
        if currency.as_deref() == Some(base.as_str()) {
            p.add("currency", format!("{base} is the base currency"));
        }
        let rate = p.check(money::parse_rate("rate", &req.rate));
        p.into_result()?;
        let (Some(currency), Some(rate)) = (currency, rate) else { return Err(Error::invalid("body", "is invalid")) };
        let r = CurrencyRate {
            id: new_id(),
            base,
            currency,
            rate: rate.to_string(),
            valid_from: req.valid_from.unwrap_or_else(|| now().date_naive()),
            created_at: now(),
        };
        let audit = audit_entry(actor, "create", "currency_rate", r.id, audit::created(&to_json(&r)));
        self.store.put_rate(&r, &audit).await?;
        Ok(r)
    }

    pub async fn delete_rate(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let current =
            self.store.list_rates().await?.into_iter().find(|r| r.id == id).ok_or(Error::NotFound("currency rate"))?;
        let audit = audit_entry(actor, "delete", "currency_rate", id, audit::deleted(&to_json(&current)));
        if self.store.delete_rate(id, &audit).await? { Ok(()) } else { Err(Error::NotFound("currency rate")) }
    }
}
