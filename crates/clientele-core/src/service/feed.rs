//! The events feed: everything that changed, as readable lines — today, yesterday, a week or
//! any period, by person and by record type — for the head of sales. Built from the audit log,
//! which records every change with its fields (stage moves included, as `stage_changed`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::Services;
use crate::authz::{Action, Actor, Area, Scope, check_area};
use crate::domain::audit::AuditEntry;
use crate::domain::now;
use crate::domain::page::Cursor;
use crate::domain::zone::{day_start, utc_to_local};
use crate::error::{Error, Result};
use crate::store::FeedQuery;

/// The record types the feed shows unless asked for `all`.
pub const FEED_TYPES: &[&str] =
    &["contact", "company", "deal", "lead", "task", "task_group", "activity", "comment", "product"];

/// `GET /feed`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct FeedRequest {
    /// today (default), yesterday, week (the last 7 days), or custom with `from` and `to`.
    pub period: Option<String>,
    /// First and last day (`2026-03-02`, in your zone) of a custom period.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only what this person changed.
    pub user_id: Option<Uuid>,
    /// contact, company, deal, lead, task, task_group, activity, comment, product (comma-
    /// separated), or `all` for settings and sign-ins too.
    pub entity_type: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    /// create, update, delete, stage_changed, complete, ...
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The record's name (as it is now, or as it was when deleted).
    pub entity_name: String,
    /// Where to see it in the web UI.
    pub link: Option<String>,
    /// The fields an update changed.
    pub fields: Vec<String>,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    /// The line in English ("Max moved deal Big order from Proposal to Won").
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    pub data: Vec<FeedItem>,
    /// The period shown, in UTC.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub next_cursor: Option<String>,
}

fn link(entity_type: &str, id: Uuid) -> Option<String> {
    let base = match entity_type {
        "contact" => "contacts",
        "company" => "companies",
        "deal" => "deals",
        "lead" => "leads",
        "task" => "tasks",
        "product" => "products",
        _ => return None,
    };
    Some(format!("/{base}/{id}"))
}

/// A name for the record from the audit line itself (what it was created or deleted with).
fn name_in(e: &AuditEntry) -> Option<String> {
    for key in ["display_name", "name", "title", "subject"] {
        if let Some(v) = e.changes.get(key)
            && let Some(s) = v.get("new").or_else(|| v.get("old")).and_then(Value::as_str)
        {
            return Some(s.to_owned());
        }
    }
    None
}

fn summary(i: &FeedItem) -> String {
    let what = i.entity_type.replace('_', " ");
    let name = if i.entity_name.is_empty() { String::new() } else { format!(" {}", i.entity_name) };
    let who = if i.actor_name.is_empty() { "The system".to_owned() } else { i.actor_name.clone() };
    match i.action.as_str() {
        "create" => format!("{who} created {what}{name}"),
        "update" if !i.fields.is_empty() => format!("{who} changed {} of {what}{name}", i.fields.join(", ")),
        "update" => format!("{who} changed {what}{name}"),
        "delete" => format!("{who} deleted {what}{name}"),
        "stage_changed" => format!(
            "{who} moved {what}{name} from {} to {}",
            i.from_stage.as_deref().unwrap_or("?"),
            i.to_stage.as_deref().unwrap_or("?")
        ),
        "complete" => format!("{who} completed {what}{name}"),
        "cancel" => format!("{who} cancelled {what}{name}"),
        other => format!("{who}: {} {what}{name}", other.replace('_', " ")),
    }
}

impl Services {
    pub async fn feed(&self, actor: &Actor, req: &FeedRequest) -> Result<FeedPage> {
        check_area(actor, Area::Audit, Action::Read)
            .map_err(|_| Error::Forbidden("only administrators and heads of sales see the events feed".into()))?;
        let tz = self.actor_zone(actor).await?;
        let today = utc_to_local(tz, now()).date();
        let date = |field: &str, v: Option<&str>| -> Result<Option<NaiveDate>> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| Error::invalid(field, format!("`{s}` is not a date like 2026-03-02"))),
                None => Ok(None),
            }
        };
        let (first, last) = match req.period.as_deref().unwrap_or("today") {
            "today" => (today, today),
            "yesterday" => (today - Duration::days(1), today - Duration::days(1)),
            "week" => (today - Duration::days(6), today),
            "custom" => {
                let from = date("from", req.from.as_deref())?.unwrap_or(today);
                let to = date("to", req.to.as_deref())?.unwrap_or(today);
                if to < from {
                    return Err(Error::invalid("to", "the period ends before it starts"));
                }
                (from, to)
            }
            other => {
                return Err(Error::invalid("period", format!("`{other}` is not today, yesterday, week or custom")));
            }
        };
        let (from, to) = (day_start(tz, first), day_start(tz, last + Duration::days(1)));
        let types: Vec<String> = match req.entity_type.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some("all") => vec![],
            Some(list) => list.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
            None => FEED_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        };
        // A head of sales sees what their teams changed; an administrator, everything.
        let mut actors = match crate::authz::scope(actor, crate::authz::RecordKind::Deal, Action::Read) {
            Scope::All => None,
            Scope::Teams { user, teams } => {
                let mut list = vec![user];
                for t in teams {
                    list.extend(self.team_members(t).await?);
                }
                Some(list)
            }
            Scope::Own(u) => Some(vec![u]),
            Scope::Nothing => Some(vec![]),
        };
        if let Some(u) = req.user_id {
            actors = Some(match actors {
                Some(list) if !list.contains(&u) => vec![],
                _ => vec![u],
            });
        }
        let limit = match req.limit {
            None => 50,
            Some(n) if (1..=200).contains(&n) => n,
            Some(_) => return Err(Error::invalid("limit", "must be from 1 to 200")),
        };
        let before = match req.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(Cursor::decode("cursor", c, "feed").map_err(|e| Error::Validation(vec![e]))?.id),
            None => None,
        };
        let q = FeedQuery { actors, entity_types: types, from: Some(from), to: Some(to), before, limit: limit + 1 };
        let mut rows = self.store.feed(&q).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor =
            more.then(|| rows.last().map(|e| Cursor { s: "feed".into(), v: Value::Null, id: e.id }.encode())).flatten();
        let mut names: HashMap<Uuid, String> = HashMap::new();
        let mut data = Vec::with_capacity(rows.len());
        for e in rows {
            let entity_name = match name_in(&e) {
                Some(n) => n,
                None => self.entity_name(&mut names, &e.entity_type, e.entity_id).await?,
            };
            let stage = e.action == "stage_changed";
            let (from_stage, to_stage) = if stage { self.stage_names(&e).await? } else { (None, None) };
            let fields = if e.action == "update" {
                e.changes.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
            } else {
                vec![]
            };
            // An activity or a comment is seen on the card of the record it is about.
            let about = e
                .changes
                .get("related")
                .and_then(|r| r.get("new").or_else(|| r.get("old")))
                .and_then(|r| serde_json::from_value::<crate::domain::task::Related>(r.clone()).ok());
            let mut item = FeedItem {
                id: e.id,
                at: e.at,
                actor_id: e.actor_id,
                actor_name: e.actor_name.clone(),
                action: e.action.clone(),
                link: link(&e.entity_type, e.entity_id).or_else(|| about.map(|r| r.path())),
                entity_type: e.entity_type.clone(),
                entity_id: e.entity_id,
                entity_name,
                fields,
                from_stage,
                to_stage,
                summary: String::new(),
            };
            item.summary = summary(&item);
            data.push(item);
        }
        Ok(FeedPage { data, from, to, next_cursor })
    }

    async fn entity_name(&self, cache: &mut HashMap<Uuid, String>, t: &str, id: Uuid) -> Result<String> {
        if let Some(n) = cache.get(&id) {
            return Ok(n.clone());
        }
        let n = match t {
            "contact" => self.store.get_contact(id).await?.map(|c| c.display_name),
            "company" => self.store.get_company(id).await?.map(|c| c.name),
            "deal" => self.store.get_deal(id).await?.map(|d| d.title),
            "lead" => self.store.get_lead(id).await?.map(|l| l.title().to_owned()),
            "task" => self.store.get_task(id).await?.map(|x| x.title),
            "product" => self.store.get_product(id).await?.map(|p| p.name),
            "user" => self.store.get_user(id).await?.map(|u| u.name),
            _ => None,
        }
        .unwrap_or_default();
        cache.insert(id, n.clone());
        Ok(n)
    }
}
