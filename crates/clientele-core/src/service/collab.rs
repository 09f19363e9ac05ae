//! Activities and comments on any record, @mentions, and the record's one timeline that
//! merges activities, tasks, comments, stage moves and field changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients::parse_input;
use super::tasks::{TaskView, view};
use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{
    Action, Actor, ActorKind, Ownership, RecordKind, check_record, check_shared_record, check_task_create, scope,
};
use crate::domain::activity::{Activity, ActivityInput, ActivityKind, Comment, mention_handles, render_markdown};
use crate::domain::audit::{self, AuditEntry};
use crate::domain::page::Cursor;
use crate::domain::task::{Related, RelatedType};
use crate::domain::{new_id, now};
use crate::error::{Error, FieldError, Problems, Result};
use crate::store::{NotificationWrite, TimelineCursor};

/// What the services need to know of the record something is about.
#[derive(Debug, Clone)]
pub struct RecordInfo {
    pub related: Related,
    pub name: String,
    pub owner_id: Option<Uuid>,
    /// The client it counts for: the contact and company (a deal's, a lead's once converted).
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
}

/// A comment with its text rendered as safe HTML.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    #[serde(flatten)]
    pub comment: Comment,
    /// The markdown-lite body as HTML (everything in the source escaped).
    pub html: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// Needed when adding; ignored when changing.
    #[serde(default)]
    pub related: Option<Related>,
    /// Markdown-lite: `**bold**`, `*italics*`, `[links](https://…)`, `- lists`, `` `code` ``;
    /// `@anna` mentions the colleague whose e-mail starts with `anna@`.
    pub body: String,
}

/// `GET /activities`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ActivityListRequest {
    pub related_type: Option<String>,
    pub related_id: Option<Uuid>,
    /// call, meeting, email, message, note (comma-separated).
    pub kind: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityPage {
    pub data: Vec<Activity>,
    pub next_cursor: Option<String>,
}

/// What can be shown in a timeline: each activity kind, tasks, comments, stage moves and
/// other changes.
pub const TIMELINE_TYPES: &[&str] =
    &["call", "meeting", "email", "message", "note", "task", "comment", "stage", "change"];

/// `GET /timeline/{type}/{id}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TimelineRequest {
    /// Some of call, meeting, email, message, note, task, comment, stage, change
    /// (comma-separated; `activity` stands for all five activity kinds). Default: all.
    pub types: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One line of a record's timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineItem {
    /// activity, task, comment, stage or change.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<CommentView>,
    /// Stage moves and changes: the audit line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<AuditEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_stage: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub data: Vec<TimelineItem>,
    pub next_cursor: Option<String>,
}

fn encode(c: TimelineCursor) -> String {
    Cursor { s: "timeline".into(), v: json!(c.at), id: c.id }.encode()
}

fn decode(s: Option<&str>) -> Result<Option<TimelineCursor>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let c = Cursor::decode("cursor", s, "timeline").map_err(|e| Error::Validation(vec![e]))?;
    let at =
        c.v.as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .ok_or_else(|| Error::invalid("cursor", "is not a valid cursor"))?;
    Ok(Some(TimelineCursor { at, id: c.id }))
}

fn limit_of(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(30),
        Some(n) if (1..=200).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid("limit", "must be from 1 to 200")),
    }
}

pub(crate) fn related_of(kind: Option<&str>, id: Option<Uuid>) -> Result<Option<Related>> {
    match (kind, id) {
        (Some(t), Some(id)) => match RelatedType::parse(t) {
            Some(kind) => Ok(Some(Related { kind, id })),
            None => Err(Error::invalid("related_type", format!("must be one of {}", RelatedType::list()))),
        },
        (None, None) => Ok(None),
        _ => Err(Error::invalid("related_id", "related_type and related_id go together")),
    }
}

impl Services {
    /// The record `r`, if the actor may read it (else not found).
    pub(crate) async fn record_of(&self, actor: &Actor, r: Related) -> Result<RecordInfo> {
        let nf = || Error::NotFound(r.kind.as_str());
        match r.kind {
            RelatedType::Contact => {
                let c = self.store.get_contact(r.id).await?.filter(|c| c.deleted_at.is_none()).ok_or_else(nf)?;
                check_record(actor, RecordKind::Contact, Action::Read, self.ownership(c.owner_id).await?)?;
                Ok(RecordInfo {
                    related: r,
                    name: c.display_name,
                    owner_id: c.owner_id,
                    contact_id: Some(c.id),
                    company_id: c.company_id,
                })
            }
            RelatedType::Company => {
                let c = self.store.get_company(r.id).await?.filter(|c| c.deleted_at.is_none()).ok_or_else(nf)?;
                check_record(actor, RecordKind::Company, Action::Read, self.ownership(c.owner_id).await?)?;
                Ok(RecordInfo {
                    related: r,
                    name: c.name,
                    owner_id: c.owner_id,
                    contact_id: None,
                    company_id: Some(c.id),
                })
            }
            RelatedType::Deal => {
                let d = self.store.get_deal(r.id).await?.filter(|d| d.deleted_at.is_none()).ok_or_else(nf)?;
                check_shared_record(
                    actor,
                    RecordKind::Deal,
                    Action::Read,
                    self.ownership(d.owner_id).await?,
                    &d.co_owner_ids,
                )?;
                Ok(RecordInfo {
                    related: r,
                    name: d.title,
                    owner_id: d.owner_id,
                    contact_id: d.contact_id,
                    company_id: d.company_id,
                })
            }
            RelatedType::Lead => {
                let l = self.store.get_lead(r.id).await?.filter(|l| l.deleted_at.is_none()).ok_or_else(nf)?;
                check_record(actor, RecordKind::Lead, Action::Read, self.ownership(l.owner_id).await?)?;
                Ok(RecordInfo {
                    related: r,
                    name: l.title().to_owned(),
                    owner_id: l.owner_id,
                    contact_id: l.converted_contact_id,
                    company_id: l.converted_company_id,
                })
            }
        }
    }

    // ---------------- activities ----------------

    /// Logs a call, meeting, e-mail, message or note against a record the actor can read. The
    /// client's `last_contacted_at` moves forward to it (notes excepted).
    pub async fn log_activity(&self, actor: &Actor, input: ActivityInput) -> Result<Activity> {
        check_task_create(actor).map_err(|_| Error::Forbidden("your role cannot log activities".into()))?;
        let mut p = Problems::new();
        let Some(related) = input.related else {
            return Err(Error::invalid("related", "an activity is about a contact, company, deal or lead"));
        };
        let kind_given = input.kind.is_some();
        let record = match self.record_of(actor, related).await {
            Ok(r) => Some(r),
            Err(Error::NotFound(_)) => {
                p.add("related.id", format!("no such {}", related.kind.as_str()));
                None
            }
            Err(e) => return Err(e),
        };
        let at = now();
        let mut a = Activity {
            id: new_id(),
            version: 1,
            kind: ActivityKind::Note,
            direction: None,
            subject: None,
            body: None,
            occurred_at: at,
            duration_seconds: None,
            result: None,
            recording_url: None,
            related,
            contact_id: record.as_ref().and_then(|r| r.contact_id),
            company_id: record.as_ref().and_then(|r| r.company_id),
            created_by: actor.audit_id(),
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        if !kind_given {
            p.add("kind", format!("is required: {}", ActivityKind::list()));
        }
        input.validate_into(&mut a, self.actor_zone(actor).await?, &mut p);
        if a.occurred_at > at + chrono::Duration::minutes(5) {
            p.add("occurred_at", "an activity that happened cannot be in the future (plan a task instead)");
        }
        p.into_result()?;
        let audit = audit_entry(actor, "create", "activity", a.id, audit::created(&to_json(&a)));
        self.store.save_activity(&a, None, &audit).await?;
        Ok(a)
    }

    async fn activity_for(&self, actor: &Actor, id: Uuid, write: bool) -> Result<Activity> {
        let a =
            self.store.get_activity(id).await?.filter(|a| a.deleted_at.is_none()).ok_or(Error::NotFound("activity"))?;
        self.record_of(actor, a.related).await.map_err(|_| Error::NotFound("activity"))?;
        if write && a.created_by != Some(actor.user_id) {
            let team = match a.created_by {
                Some(c) => self.store.team_of_user(c).await?,
                None => None,
            };
            check_record(
                actor,
                RecordKind::Task,
                Action::Update,
                Ownership { owner_id: a.created_by, owner_team: team },
            )
            .map_err(|_| Error::Forbidden("only who logged an activity (or their head) can change it".into()))?;
        }
        if write {
            check_task_create(actor).map_err(|_| Error::Forbidden("your role cannot change activities".into()))?;
        }
        Ok(a)
    }

    pub async fn get_activity(&self, actor: &Actor, id: Uuid) -> Result<Activity> {
        self.activity_for(actor, id, false).await
    }

    pub async fn update_activity(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
    ) -> Result<Activity> {
        let current = self.activity_for(actor, id, true).await?;
        check_version(if_match, current.version)?;
        if patch.contains_key("related") {
            return Err(Error::invalid("related", "an activity stays with its record"));
        }
        let mut base = to_json(&ActivityInput {
            kind: Some(current.kind.as_str().into()),
            direction: current.direction.map(|d| d.as_str().into()),
            subject: current.subject.clone(),
            body: current.body.clone(),
            occurred_at: Some(current.occurred_at.to_rfc3339()),
            duration_seconds: current.duration_seconds,
            result: current.result.map(|r| r.as_str().into()),
            recording_url: current.recording_url.clone(),
            related: None,
        });
        if let Some(m) = base.as_object_mut() {
            for (k, v) in patch {
                m.insert(k, v);
            }
        }
        let input: ActivityInput = parse_input(base)?;
        let mut next = current.clone();
        let mut p = Problems::new();
        input.validate_into(&mut next, self.actor_zone(actor).await?, &mut p);
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "activity", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_activity(&next, Some(current.version), &audit).await?;
        Ok(next)
    }

    pub async fn delete_activity(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.activity_for(actor, id, true).await?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let audit = audit_entry(actor, "delete", "activity", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_activity(&next, Some(current.version), &audit).await
    }

    /// A record's activities, or (without a record) those logged by the people the role reaches.
    pub async fn list_activities(&self, actor: &Actor, req: &ActivityListRequest) -> Result<ActivityPage> {
        let limit = limit_of(req.limit)?;
        let before = decode(req.cursor.as_deref())?;
        let mut kinds = Vec::new();
        for k in req.kind.as_deref().unwrap_or("").split(',').map(str::trim).filter(|k| !k.is_empty()) {
            kinds.push(
                ActivityKind::parse(k)
                    .ok_or_else(|| Error::invalid("kind", format!("must be one of {}", ActivityKind::list())))?,
            );
        }
        let mut rows = match related_of(req.related_type.as_deref(), req.related_id)? {
            Some(r) => {
                self.record_of(actor, r).await?;
                self.store.activities_of(r, &kinds, before, limit + 1).await?
            }
            None => {
                let creators = match scope(actor, RecordKind::Task, Action::Read) {
                    crate::authz::Scope::All => None,
                    crate::authz::Scope::Nothing => Some(vec![]),
                    crate::authz::Scope::Own(u) => Some(vec![u]),
                    crate::authz::Scope::Teams { user, teams } => {
                        let mut list = vec![user];
                        for t in teams {
                            list.extend(self.team_members(t).await?);
                        }
                        Some(list)
                    }
                };
                let mut list = self.store.activities_by(creators.as_deref(), before, limit + 1).await?;
                list.retain(|a| kinds.is_empty() || kinds.contains(&a.kind));
                list
            }
        };
        let next_cursor = (rows.len() > limit as usize).then(|| {
            rows.truncate(limit as usize);
            rows.last().map(|a| encode(TimelineCursor { at: a.occurred_at, id: a.id }))
        });
        Ok(ActivityPage { data: rows, next_cursor: next_cursor.flatten() })
    }

    // ---------------- comments ----------------

    /// Names of the users a handle may mean: the part of their e-mail before `@`, or all of it.
    async fn mention_directory(&self) -> Result<Vec<crate::domain::user::User>> {
        let page = crate::domain::page::PageRequest::parse(Some(500), None, Some("name"), &["name"], "name")
            .map_err(Error::Validation)?;
        Ok(self.store.list_users(&page, None).await?.data.into_iter().filter(|u| u.active).collect())
    }

    /// Renders a comment's markdown-lite with its mentions named.
    pub async fn comment_view(&self, c: Comment) -> Result<CommentView> {
        let users = self.mention_directory().await?;
        Ok(render_comment(&users, c))
    }

    /// Renders comments, reading the colleagues they may mention once.
    async fn comment_views(&self, list: Vec<Comment>) -> Result<Vec<CommentView>> {
        if list.is_empty() {
            return Ok(vec![]);
        }
        let users = self.mention_directory().await?;
        Ok(list.into_iter().map(|c| render_comment(&users, c)).collect())
    }

    pub async fn add_comment(&self, actor: &Actor, req: CommentRequest) -> Result<CommentView> {
        check_task_create(actor).map_err(|_| Error::Forbidden("your role cannot comment".into()))?;
        let Some(related) = req.related else {
            return Err(Error::invalid("related", "a comment is about a contact, company, deal or lead"));
        };
        let record = self.record_of(actor, related).await.map_err(|e| match e {
            Error::NotFound(_) => Error::invalid("related.id", format!("no such {}", related.kind.as_str())),
            other => other,
        })?;
        let body = check_body(&req.body)?;
        let at = now();
        let users = self.mention_directory().await?;
        let mut mentions: Vec<Uuid> = Vec::new();
        let mut notes: Vec<NotificationWrite> = Vec::new();
        for h in mention_handles(&body) {
            let Some(u) = find_user(&users, &h) else { continue };
            if mentions.contains(&u.id) {
                continue;
            }
            mentions.push(u.id);
            if u.id == actor.user_id {
                continue;
            }
            // Only colleagues who can open the record hear of it.
            let Some(them) = self.actor_for(u.id, ActorKind::Session).await? else { continue };
            if self.record_of(&them, related).await.is_err() {
                continue;
            }
            let excerpt: String = body.chars().take(140).collect();
            if let Some(n) = self
                .notification(
                    u.id,
                    "mentioned",
                    format!("{} mentioned you on {}", actor.name, record.name),
                    Some(excerpt.clone()),
                    Some(related.path()),
                    json!({"by": actor.name, "record": record.name, "excerpt": excerpt}),
                    None,
                )
                .await?
            {
                notes.push(n);
            }
        }
        let c = Comment {
            id: new_id(),
            version: 1,
            related,
            author_id: actor.audit_id(),
            author_name: actor.name.clone(),
            body,
            mentions,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        let audit = audit_entry(actor, "create", "comment", c.id, audit::created(&to_json(&c)));
        self.store.save_comment(&c, None, &notes, &audit).await?;
        self.comment_view(c).await
    }

    async fn own_comment(&self, actor: &Actor, id: Uuid, delete: bool) -> Result<Comment> {
        let c =
            self.store.get_comment(id).await?.filter(|c| c.deleted_at.is_none()).ok_or(Error::NotFound("comment"))?;
        self.record_of(actor, c.related).await.map_err(|_| Error::NotFound("comment"))?;
        let admin = actor.role == crate::domain::user::Role::Admin;
        if c.author_id != Some(actor.user_id) && !(delete && admin) {
            return Err(Error::Forbidden(
                "only its author can change a comment (and an administrator delete it)".into(),
            ));
        }
        Ok(c)
    }

    /// Changes a comment's text (its author only; mentions added now are not notified again).
    pub async fn update_comment(
        &self,
        actor: &Actor,
        id: Uuid,
        req: CommentRequest,
        if_match: Option<i64>,
    ) -> Result<CommentView> {
        let current = self.own_comment(actor, id, false).await?;
        check_version(if_match, current.version)?;
        let body = check_body(&req.body)?;
        let users = self.mention_directory().await?;
        let mut next = current.clone();
        next.mentions = mention_handles(&body).iter().filter_map(|h| find_user(&users, h)).map(|u| u.id).fold(
            Vec::new(),
            |mut v, id| {
                if !v.contains(&id) {
                    v.push(id);
                }
                v
            },
        );
        next.body = body;
        if next == current {
            return self.comment_view(current).await;
        }
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "comment", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_comment(&next, Some(current.version), &[], &audit).await?;
        self.comment_view(next).await
    }

    pub async fn delete_comment(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.own_comment(actor, id, true).await?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let audit = audit_entry(actor, "delete", "comment", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_comment(&next, Some(current.version), &[], &audit).await
    }

    pub async fn list_comments(
        &self,
        actor: &Actor,
        related: Related,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<(Vec<CommentView>, Option<String>)> {
        self.record_of(actor, related).await?;
        let limit = limit_of(limit)?;
        let mut rows = self.store.comments_of(related, decode(cursor)?, limit + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = more.then(|| rows.last().map(|c| encode(TimelineCursor { at: c.created_at, id: c.id }))).flatten();
        Ok((self.comment_views(rows).await?, next))
    }

    // ---------------- the timeline ----------------

    /// A record's timeline, newest first: activities (a contact's and a company's include those
    /// logged against their deals and leads), tasks, comments, stage moves and field changes,
    /// in keyset pages across all of them.
    pub async fn timeline(&self, actor: &Actor, record: Related, req: &TimelineRequest) -> Result<Timeline> {
        self.record_of(actor, record).await?;
        let limit = limit_of(req.limit)?;
        let before = decode(req.cursor.as_deref())?;
        let mut types: Vec<&str> = Vec::new();
        let mut bad = Vec::new();
        for t in req.types.as_deref().unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if t == "activity" {
                types.extend(["call", "meeting", "email", "message", "note"]);
            } else if let Some(x) = TIMELINE_TYPES.iter().find(|x| **x == t) {
                types.push(x);
            } else {
                bad.push(FieldError::new(
                    "types",
                    format!("`{t}` is not one of activity, {}", TIMELINE_TYPES.join(", ")),
                ));
            }
        }
        if !bad.is_empty() {
            return Err(Error::Validation(bad));
        }
        let wants = |t: &str| types.is_empty() || types.contains(&t);
        let n = limit + 1;
        let mut items: Vec<TimelineItem> = Vec::new();
        let mut names: HashMap<Uuid, String> = HashMap::new();
        let kinds: Vec<ActivityKind> = ActivityKind::ALL.iter().copied().filter(|k| wants(k.as_str())).collect();
        if !kinds.is_empty() {
            for a in self.store.activities_of(record, &kinds, before, n).await? {
                let name = self.user_name(&mut names, a.created_by).await?;
                items.push(TimelineItem {
                    kind: "activity".into(),
                    id: a.id,
                    at: a.occurred_at,
                    actor_id: a.created_by,
                    actor_name: name,
                    activity: Some(a),
                    ..empty()
                });
            }
        }
        if wants("task") {
            for t in self.store.tasks_of(record, before, n).await? {
                let name = self.user_name(&mut names, Some(t.assignee_id)).await?;
                let at = t.completed_at.unwrap_or(t.created_at);
                items.push(TimelineItem {
                    kind: "task".into(),
                    id: t.id,
                    at,
                    actor_id: Some(t.assignee_id),
                    actor_name: name,
                    task: Some(view(t)),
                    ..empty()
                });
            }
        }
        if wants("comment") {
            let comments = self.store.comments_of(record, before, n).await?;
            for cv in self.comment_views(comments).await? {
                let c = &cv.comment;
                let (id, at, by, name) = (c.id, c.created_at, c.author_id, c.author_name.clone());
                items.push(TimelineItem {
                    kind: "comment".into(),
                    id,
                    at,
                    actor_id: by,
                    actor_name: name,
                    comment: Some(cv),
                    ..empty()
                });
            }
        }
        if wants("stage") || wants("change") {
            // Audit lines come in pages of their own: keep reading until enough of the wanted
            // kind are found (or the log of this record ends).
            let mut cursor = before;
            let mut found = 0;
            loop {
                let page = self.store.audit_page_of(record.id, cursor, n).await?;
                let len = page.len();
                for e in page {
                    cursor = Some(TimelineCursor { at: e.at, id: e.id });
                    let stage = e.action == "stage_changed";
                    if (stage && !wants("stage")) || (!stage && !wants("change")) {
                        continue;
                    }
                    let (from_stage, to_stage) = if stage { self.stage_names(&e).await? } else { (None, None) };
                    found += 1;
                    items.push(TimelineItem {
                        kind: if stage { "stage" } else { "change" }.into(),
                        id: e.id,
                        at: e.at,
                        actor_id: e.actor_id,
                        actor_name: e.actor_name.clone(),
                        change: Some(e),
                        from_stage,
                        to_stage,
                        ..empty()
                    });
                }
                if found >= n || len < n as usize {
                    break;
                }
            }
        }
        items.sort_by_key(|i| std::cmp::Reverse((i.at, i.id)));
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = more.then(|| items.last().map(|i| encode(TimelineCursor { at: i.at, id: i.id }))).flatten();
        Ok(Timeline { data: items, next_cursor })
    }

    async fn user_name(&self, cache: &mut HashMap<Uuid, String>, id: Option<Uuid>) -> Result<String> {
        let Some(id) = id else { return Ok(String::new()) };
        if let Some(n) = cache.get(&id) {
            return Ok(n.clone());
        }
        let n = self.store.get_user(id).await?.map(|u| u.name).unwrap_or_default();
        cache.insert(id, n.clone());
        Ok(n)
    }

    /// The names of the stages a move went from and to.
    pub(crate) async fn stage_names(&self, e: &AuditEntry) -> Result<(Option<String>, Option<String>)> {
        let id = |side: &str| {
            e.changes
                .get("stage_id")
                .and_then(|c| c.get(side))
                .and_then(Value::as_str)
                .and_then(|s| Uuid::parse_str(s).ok())
        };
        let ids: Vec<Uuid> = [id("old"), id("new")].into_iter().flatten().collect();
        let stages = self.store.stages_by_ids(&ids).await?;
        let name = |x: Option<Uuid>| x.and_then(|x| stages.iter().find(|s| s.id == x)).map(|s| s.name.clone());
        Ok((name(id("old")), name(id("new"))))
    }
}

fn empty() -> TimelineItem {
    TimelineItem {
        kind: String::new(),
        id: Uuid::nil(),
        at: DateTime::<Utc>::MIN_UTC,
        actor_id: None,
        actor_name: String::new(),
        activity: None,
        task: None,
        comment: None,
        change: None,
        from_stage: None,
        to_stage: None,
    }
}

fn check_body(body: &str) -> Result<String> {
    let b = body.trim();
    if b.is_empty() {
        return Err(Error::invalid("body", "is required"));
    }
    if b.chars().count() > 10_000 {
        return Err(Error::invalid("body", "must be at most 10000 characters"));
    }
    if b.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::invalid("body", "must not contain control characters"));
    }
    Ok(b.to_owned())
}

fn render_comment(users: &[crate::domain::user::User], c: Comment) -> CommentView {
    let html = render_markdown(&c.body, &|h| {
        find_user(users, h).filter(|u| c.mentions.contains(&u.id)).map(|u| u.name.clone())
    });
    CommentView { comment: c, html }
}

fn find_user<'a>(users: &'a [crate::domain::user::User], handle: &str) -> Option<&'a crate::domain::user::User> {
    let h = handle.to_lowercase();
    users.iter().find(|u| u.email.to_lowercase() == h).or_else(|| {
        let mut local = users.iter().filter(|u| u.email.to_lowercase().split('@').next() == Some(h.as_str()));
        let first = local.next()?;
        // An ambiguous handle names nobody.
        local.next().is_none().then_some(first)
    })
}
