//! Bulk actions on a selection of records or on everything a filter matches: assign owner,
//! add or remove a tag, change the lifecycle stage (contacts and companies), delete. Contacts,
//! companies and deals. Each record is changed on its
//! own (permission check, validation, audit line, version); one failure does not stop the
//! others and is reported with its reason.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Services;
use super::clients::ListRequest;
use crate::authz::Actor;
use crate::domain::{new_id, now};
use crate::error::{Error, Result};
use crate::store::Notification;

/// At most this many records per bulk request (larger sets: narrow the filter, or run it again).
pub const BULK_LIMIT: usize = 10_000;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkAction {
    AssignOwner { owner_id: Uuid },
    AddTag { tag: String },
    RemoveTag { tag: String },
    SetLifecycle { lifecycle: String },
    Delete,
}

/// What to act on: explicit ids, or everything a list request matches.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct BulkRequest {
    #[serde(default)]
    pub ids: Vec<Uuid>,
    /// Act on every record matching this list request (q, filter, view) instead of `ids`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub matching: Option<BulkSelection>,
    #[serde(flatten)]
    pub action: BulkAction,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkSelection {
    pub q: Option<String>,
    pub filter: Option<String>,
    pub view: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkFailure {
    pub id: Uuid,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub matched: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub failed: Vec<BulkFailure>,
}

fn tag_patch(current: &[String], action: &BulkAction) -> Option<Map<String, Value>> {
    let mut tags: Vec<String> = current.to_vec();
    match action {
        BulkAction::AddTag { tag } => {
            if tags.iter().any(|t| t.to_lowercase() == tag.trim().to_lowercase()) {
                return None;
            }
            tags.push(tag.trim().to_owned());
        }
        BulkAction::RemoveTag { tag } => {
            let before = tags.len();
            tags.retain(|t| t.to_lowercase() != tag.trim().to_lowercase());
            if tags.len() == before {
                return None;
            }
        }
        _ => return None,
    }
    let mut m = Map::new();
    m.insert("tags".into(), json!(tags));
    Some(m)
}

impl Services {
    async fn bulk_ids(&self, actor: &Actor, entity: &str, req: &BulkRequest) -> Result<Vec<Uuid>> {
        let Some(sel) = &req.matching else {
            if req.ids.is_empty() {
                return Err(Error::invalid("ids", "choose at least one record, or send `matching`"));
            }
            if req.ids.len() > BULK_LIMIT {
                return Err(Error::invalid("ids", format!("at most {BULK_LIMIT} records at once")));
            }
            return Ok(req.ids.clone());
        };
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let list = ListRequest {
                q: sel.q.clone(),
                filter: sel.filter.clone(),
                view: sel.view,
                sort: Some("created_at".into()),
                limit: Some(500),
                cursor: cursor.clone(),
                deleted: false,
            };
            let (page_ids, next) = match entity {
                "company" => {
                    let p = self.list_companies(actor, &list).await?;
                    (p.data.iter().map(|c| c.id).collect::<Vec<_>>(), p.next_cursor)
                }
                "deal" => {
                    let p = self.list_deals(actor, &list).await?;
                    (p.data.iter().map(|d| d.id).collect::<Vec<_>>(), p.next_cursor)
                }
                _ => {
                    let p = self.list_contacts(actor, &list).await?;
                    (p.data.iter().map(|c| c.id).collect::<Vec<_>>(), p.next_cursor)
                }
            };
            ids.extend(page_ids);
            if ids.len() > BULK_LIMIT {
                return Err(Error::invalid(
                    "matching",
                    format!("matches more than {BULK_LIMIT} records; narrow the filter"),
                ));
            }
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(ids)
    }

    /// Applies one action to many contacts (`entity` = `contact`), companies (`company`) or
    /// deals (`deal`).
    pub async fn bulk(&self, actor: &Actor, entity: &str, req: BulkRequest) -> Result<BulkResult> {
        if entity == "deal" && matches!(req.action, BulkAction::SetLifecycle { .. }) {
            return Err(Error::invalid("action", "deals have no lifecycle stage; move them on the board instead"));
        }
        if let BulkAction::AddTag { tag } | BulkAction::RemoveTag { tag } = &req.action
            && (tag.trim().is_empty() || tag.chars().count() > 50)
        {
            return Err(Error::invalid("tag", "a tag is 1 to 50 characters"));
        }
        let ids = self.bulk_ids(actor, entity, &req).await?;
        let mut result = BulkResult { matched: ids.len(), changed: 0, unchanged: 0, failed: vec![] };
        let mut transferred = 0usize;
        for id in ids {
            let outcome = self.bulk_one(actor, entity, id, &req.action).await;
            match outcome {
                Ok(true) => {
                    result.changed += 1;
                    if matches!(req.action, BulkAction::AssignOwner { .. }) {
                        transferred += 1;
                    }
                }
                Ok(false) => result.unchanged += 1,
                Err(e @ Error::Internal(_)) => return Err(e),
                Err(e) => result.failed.push(BulkFailure { id, error: e.to_string() }),
            }
        }
        if let BulkAction::AssignOwner { owner_id } = req.action
            && transferred > 0
            && owner_id != actor.user_id
        {
            let what = match entity {
                "company" => "companies",
                "deal" => "deals",
                _ => "contacts",
            };
            // The deals' list lives beside the board.
            let list = if entity == "deal" { "deals/list" } else { what };
            let wanted = self
                .wanted(vec![Notification {
                    id: new_id(),
                    user_id: owner_id,
                    kind: "client_transferred".into(),
                    title: format!("{transferred} {what} were transferred to you"),
                    body: Some(format!("by {}", actor.name)),
                    link: Some(format!("/{list}?filter={}", crate::domain::filter::owner_me_filter())),
                    created_at: now(),
                    read_at: None,
                    params: None,
                }])
                .await?;
            self.store.insert_notifications(&wanted).await?;
        }
        Ok(result)
    }

    /// Changes one record; `Ok(false)` when there was nothing to change.
    async fn bulk_one(&self, actor: &Actor, entity: &str, id: Uuid, action: &BulkAction) -> Result<bool> {
        let (tags, owner, lifecycle, version) = match entity {
            "company" => {
                let c = self.get_company(actor, id).await?;
                (c.tags, c.owner_id, Some(c.lifecycle), c.version)
            }
            "deal" => {
                let d = self.get_deal(actor, id).await?.deal;
                (d.tags, d.owner_id, None, d.version)
            }
            _ => {
                let c = self.get_contact(actor, id).await?.contact;
                (c.tags, c.owner_id, Some(c.lifecycle), c.version)
            }
        };
        let patch = match action {
            BulkAction::Delete => {
                match entity {
                    "company" => self.delete_company(actor, id, None).await?,
                    "deal" => self.delete_deal(actor, id, None).await?,
                    _ => self.delete_contact(actor, id, None).await?,
                }
                return Ok(true);
            }
            BulkAction::AssignOwner { owner_id } if owner == Some(*owner_id) => return Ok(false),
            BulkAction::AssignOwner { owner_id } => Map::from_iter([("owner_id".to_owned(), json!(owner_id))]),
            BulkAction::SetLifecycle { lifecycle: l }
                if lifecycle.is_none_or(|now| l.trim().eq_ignore_ascii_case(now.as_str())) =>
            {
                return Ok(false);
            }
            BulkAction::SetLifecycle { lifecycle: l } => Map::from_iter([("lifecycle".to_owned(), json!(l))]),
            BulkAction::AddTag { .. } | BulkAction::RemoveTag { .. } => match tag_patch(&tags, action) {
                Some(p) => p,
                None => return Ok(false),
            },
        };
        // Duplicate warnings do not apply: only owner, tags or stage change here.
        match entity {
            "company" => self.update_company_with(actor, id, patch, Some(version), true, false).await.map(|_| ())?,
            "deal" => self.update_deal(actor, id, patch, Some(version)).await.map(|_| ())?,
            _ => self.update_contact_with(actor, id, patch, Some(version), true, false).await.map(|_| ())?,
        }
        Ok(true)
    }
}
