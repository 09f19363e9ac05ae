//! Tasks: create, read, change, complete (a recurring task's next occurrence follows),
//! cancel, reopen, delete; lists (mine, a colleague's, a team's, overdue, by record); group
//! tasks; reminders and the "deal stuck in stage" check as background jobs.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients::parse_input;
use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, ActorKind, RecordKind, TaskParties, check_task, check_task_create, scope};
use crate::domain::audit;
use crate::domain::job::Job;
use crate::domain::page::{Page, PageRequest};
use crate::domain::task::{
    self, Priority, Related, RelatedType, Task, TaskGroup, TaskInput, TaskKind, TaskStatus, Template, merge_patch,
    parse_due, share_out,
};
use crate::domain::zone::{parse_time, utc_to_local, zone_or_utc};
use crate::domain::{new_id, now};
use crate::error::{Error, FieldError, Problems, Result};
use crate::store::{NotificationWrite, TaskQuery, TaskWrite};

pub const TASK_SORTS: &[&str] = &["due_at", "created_at", "updated_at"];

/// `GET /tasks`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TaskListRequest {
    /// Words of the title.
    pub q: Option<String>,
    /// open, done, cancelled (comma-separated; default: all).
    pub status: Option<String>,
    /// call, meeting, email, todo, custom (comma-separated).
    pub kind: Option<String>,
    pub assignee_id: Option<Uuid>,
    /// The tasks of a team's members (and of the teams below it).
    pub team_id: Option<Uuid>,
    /// Only tasks assigned to you.
    #[serde(default)]
    pub mine: bool,
    /// Only tasks you created (assigned to anyone).
    #[serde(default)]
    pub created_by_me: bool,
    /// Only open tasks past their due time.
    #[serde(default)]
    pub overdue: bool,
    /// Due from / before (a time in your zone or RFC 3339).
    pub due_from: Option<String>,
    pub due_to: Option<String>,
    pub related_type: Option<String>,
    pub related_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    /// `due_at` (default, undated last), `created_at`, `updated_at`; `-` for descending.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A task as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    #[serde(flatten)]
    pub task: Task,
    /// Open and past its due time.
    pub overdue: bool,
    /// The due time as a wall-clock time in the task's `time_zone` (`2026-03-02T09:00:00`).
    pub due_local: Option<String>,
}

/// `POST /tasks/{id}/complete` and `/cancel`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteRequest {
    /// What came of it.
    #[serde(default)]
    pub result_note: Option<String>,
}

/// A completed task and, for a recurring one, the next occurrence it made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Completed {
    pub task: TaskView,
    pub next: Option<TaskView>,
}

/// `POST /task-groups`: one task handed to several people.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupTaskRequest {
    pub title: String,
    /// call (default), meeting, email, todo.
    #[serde(default)]
    pub kind: Option<String>,
    /// What to say: each copy's description.
    #[serde(default)]
    pub script: Option<String>,
    #[serde(default)]
    pub templates: Vec<Template>,
    #[serde(default)]
    pub contact_ids: Vec<Uuid>,
    /// Share the contacts out among the assignees (otherwise each gets all of them).
    #[serde(default)]
    pub split_contacts: bool,
    #[serde(default)]
    pub assignee_ids: Vec<Uuid>,
    /// Everyone in this team (and the teams below it) too.
    #[serde(default)]
    pub team_id: Option<Uuid>,
    #[serde(default)]
    pub due_at: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub reminders: Vec<i32>,
    #[serde(default)]
    pub priority: Option<String>,
}

/// One person's copy of a group task.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupCopy {
    pub task_id: Uuid,
    pub assignee_id: Uuid,
    pub assignee_name: String,
    pub status: TaskStatus,
    pub contacts_total: usize,
    pub contacts_done: usize,
}

/// A group task with the progress of every copy.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    #[serde(flatten)]
    pub group: TaskGroup,
    pub copies: Vec<GroupCopy>,
    pub done: usize,
    pub open: usize,
    pub cancelled: usize,
    pub contacts_total: usize,
    pub contacts_done: usize,
}

pub(crate) fn view(t: Task) -> TaskView {
    let tz = zone_or_utc(&t.time_zone);
    TaskView {
        overdue: t.is_overdue(now()),
        due_local: t.due_at.map(|d| utc_to_local(tz, d).format("%Y-%m-%dT%H:%M:%S").to_string()),
        task: t,
    }
}

fn parties(t: &Task, assignee_team: Option<Uuid>) -> TaskParties {
    TaskParties {
        assignee: crate::authz::Ownership { owner_id: Some(t.assignee_id), owner_team: assignee_team },
        creator: t.created_by,
    }
}

/// Reminder jobs of a task: one per reminder still ahead (a reminder whose time has passed
/// but whose task is still ahead fires at once). The key names the task, its due time and the
/// offset, so a reschedule queues new ones and the old ones find the task moved and do nothing.
pub(crate) fn reminder_jobs(t: &Task, created_by: Option<Uuid>, at: DateTime<Utc>) -> Vec<Job> {
    let Some(due) = t.due_at.filter(|d| *d > at && t.status == TaskStatus::Open && t.deleted_at.is_none()) else {
        return vec![];
    };
    t.reminders
        .iter()
        .map(|m| {
            let fire = due - Duration::minutes(i64::from(*m));
            let mut j =
                Job::new("task.reminder", json!({"id": t.id, "due_at": due.timestamp(), "minutes": m}), created_by, at);
            j.run_at = fire.max(at);
            j.dedupe_key = Some(format!("task.reminder:{}:{}:{m}", t.id, due.timestamp()));
            j
        })
        .collect()
}

impl Services {
    /// The zone a user works in (UTC for the system and unknown users).
    pub(crate) async fn zone_of(&self, user: Uuid) -> Result<chrono_tz::Tz> {
        Ok(self.store.get_user(user).await?.map(|u| zone_or_utc(&u.time_zone)).unwrap_or(chrono_tz::Tz::UTC))
    }

    pub(crate) async fn actor_zone(&self, actor: &Actor) -> Result<chrono_tz::Tz> {
        if actor.kind == ActorKind::System {
            return Ok(chrono_tz::Tz::UTC);
        }
        self.zone_of(actor.user_id).await
    }

    /// A task with the action checked: by its assignee and creator and the role's reach, and
    /// for reading also by the reach of the record it is about.
    pub(crate) async fn task_for(&self, actor: &Actor, id: Uuid, action: Action) -> Result<Task> {
        let t = self.store.get_task(id).await?.filter(|t| t.deleted_at.is_none()).ok_or(Error::NotFound("task"))?;
        let team = self.store.team_of_user(t.assignee_id).await?;
        match check_task(actor, action, parties(&t, team)) {
            Err(Error::NotFound(_)) if action == Action::Read => match t.related {
                Some(r) if self.record_of(actor, r).await.is_ok() => Ok(t),
                _ => Err(Error::NotFound("task")),
            },
            Err(e) => Err(e),
            Ok(()) => Ok(t),
        }
    }

    async fn check_assignee(
        &self,
        id: Uuid,
        field: &str,
        p: &mut Problems,
    ) -> Result<Option<crate::domain::user::User>> {
        Ok(match self.store.get_user(id).await? {
            Some(u) if u.active => Some(u),
            Some(_) => {
                p.add(field, "this user is deactivated");
                None
            }
            None => {
                p.add(field, "no such user");
                None
            }
        })
    }

    async fn check_related(&self, actor: &Actor, r: Option<Related>, p: &mut Problems) -> Result<()> {
        if let Some(r) = r {
            match self.record_of(actor, r).await {
                Ok(_) => {}
                Err(Error::NotFound(_)) => p.add("related.id", format!("no such {}", r.kind.as_str())),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn assigned_note(&self, actor: &Actor, t: &Task) -> Result<Option<NotificationWrite>> {
        if t.assignee_id == actor.user_id {
            return Ok(None);
        }
        let tz = self.zone_of(t.assignee_id).await?;
        let due = t.due_at.map(|d| utc_to_local(tz, d).format("%Y-%m-%d %H:%M").to_string());
        self.notification(
            t.assignee_id,
            "task_assigned",
            format!("You were assigned a task: {}", t.title),
            Some(match &due {
                Some(d) => format!("by {}, due {d}", actor.name),
                None => format!("by {}", actor.name),
            }),
            Some(format!("/tasks/{}", t.id)),
            json!({"task": t.title, "by": actor.name, "due": due}),
            None,
        )
        .await
    }

    pub async fn create_task(&self, actor: &Actor, input: TaskInput) -> Result<TaskView> {
        check_task_create(actor)?;
        let mut p = Problems::new();
        let assignee_id = input.assignee_id.or((actor.kind != ActorKind::System).then_some(actor.user_id));
        let assignee = match assignee_id {
            Some(a) => self.check_assignee(a, "assignee_id", &mut p).await?,
            None => {
                p.add("assignee_id", "is required");
                None
            }
        };
        let zone = assignee.as_ref().map(|u| u.time_zone.clone()).unwrap_or_else(|| "UTC".into());
        let at = now();
        let mut t = task::blank(new_id(), assignee_id.unwrap_or_default(), actor.audit_id(), &zone, at);
        input.validate_into(&mut t, &mut p);
        self.check_related(actor, t.related, &mut p).await?;
        self.check_contacts(&t.contact_ids, &mut p).await?;
        p.into_result()?;
        if t.recurrence.is_some() {
            t.series_id = Some(t.id);
            t.series_start = t.due_at;
        }
        let audit = audit_entry(actor, "create", "task", t.id, audit::created(&to_json(&t)));
        let w = TaskWrite {
            jobs: reminder_jobs(&t, actor.audit_id(), at),
            notifications: self.assigned_note(actor, &t).await?.into_iter().collect(),
            task: t.clone(),
            expected_version: None,
            audit,
        };
        self.store.save_tasks(&[w], None).await?;
        self.wake.notify_one();
        Ok(view(t))
    }

    async fn check_contacts(&self, ids: &[Uuid], p: &mut Problems) -> Result<()> {
        for (i, id) in ids.iter().enumerate() {
            if self.store.get_contact(*id).await?.is_none_or(|c| c.deleted_at.is_some()) {
                p.add(format!("contact_ids[{i}]"), "no such contact");
            }
        }
        Ok(())
    }

    pub async fn get_task(&self, actor: &Actor, id: Uuid) -> Result<TaskView> {
        self.task_for(actor, id, Action::Read).await.map(view)
    }

    /// Changes a task (JSON merge of top-level fields). A new due time queues new reminders; a
    /// new assignee is notified.
    pub async fn update_task(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
    ) -> Result<TaskView> {
        let current = self.task_for(actor, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        let input: TaskInput = parse_input(merge_patch(&TaskInput::of(&current), &patch))?;
        let mut p = Problems::new();
        let mut next = current.clone();
        if let Some(a) = input.assignee_id
            && a != current.assignee_id
        {
            self.check_assignee(a, "assignee_id", &mut p).await?;
            next.assignee_id = a;
            // A task handed over keeps its wall-clock time in the zone it was set in.
        }
        input.validate_into(&mut next, &mut p);
        if next.related != current.related {
            self.check_related(actor, next.related, &mut p).await?;
        }
        if next.contact_ids != current.contact_ids {
            self.check_contacts(&next.contact_ids, &mut p).await?;
        }
        p.into_result()?;
        if next.recurrence.is_some() && current.recurrence.is_none() {
            next.series_id = next.series_id.or(Some(next.id));
            next.series_start = next.series_start.or(next.due_at);
        }
        if next == current {
            return Ok(view(current));
        }
        let at = now();
        next.version = current.version + 1;
        next.updated_at = at;
        let rescheduled = next.due_at != current.due_at || next.reminders != current.reminders;
        let reassigned = next.assignee_id != current.assignee_id;
        let audit = audit_entry(actor, "update", "task", id, audit::diff(&to_json(&current), &to_json(&next)));
        let w = TaskWrite {
            jobs: if rescheduled || reassigned { reminder_jobs(&next, actor.audit_id(), at) } else { vec![] },
            notifications: if reassigned {
                self.assigned_note(actor, &next).await?.into_iter().collect()
            } else {
                vec![]
            },
            task: next.clone(),
            expected_version: Some(current.version),
            audit,
        };
        self.store.save_tasks(&[w], None).await?;
        self.wake.notify_one();
        Ok(view(next))
    }

    /// Moves a task to a new due time (the calendar's drag and drop): `to` is a wall-clock time
    /// in the reader's zone or RFC 3339; an all-day task takes the date.
    pub async fn reschedule_task(&self, actor: &Actor, id: Uuid, to: &str, if_match: Option<i64>) -> Result<TaskView> {
        let current = self.task_for(actor, id, Action::Update).await?;
        let tz = self.actor_zone(actor).await?;
        let mut patch = Map::new();
        let date = chrono::NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d").ok();
        match date {
            Some(d) if current.all_day => {
                patch.insert("due_date".into(), Value::String(d.to_string()));
            }
            _ => {
                let when = parse_time("due_at", to, tz).map_err(|e| Error::Validation(vec![e]))?;
                if current.all_day {
                    patch.insert("due_date".into(), Value::String(utc_to_local(tz, when).date().to_string()));
                } else {
                    patch.insert("due_at".into(), Value::String(when.to_rfc3339()));
                }
            }
        }
        self.update_task(actor, id, patch, if_match.or(Some(current.version))).await
    }

    async fn close_task(
        &self,
        actor: &Actor,
        id: Uuid,
        status: TaskStatus,
        req: CompleteRequest,
        if_match: Option<i64>,
    ) -> Result<Completed> {
        let current = self.task_for(actor, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        if current.status != TaskStatus::Open {
            return Err(Error::conflict("status", format!("this task is {} already", current.status.as_str())));
        }
        let mut p = Problems::new();
        let note = crate::domain::client::opt_text("result_note", req.result_note.as_deref(), 5000, true, &mut p);
        p.into_result()?;
        let at = now();
        let mut next = current.clone();
        next.status = status;
        next.result_note = note;
        next.completed_at = Some(at);
        next.completed_by = actor.audit_id();
        next.version += 1;
        next.updated_at = at;
        let action = if status == TaskStatus::Done { "complete" } else { "cancel" };
        let mut writes = vec![TaskWrite {
            audit: audit_entry(actor, action, "task", id, audit::diff(&to_json(&current), &to_json(&next))),
            task: next.clone(),
            expected_version: Some(current.version),
            jobs: vec![],
            notifications: vec![],
        }];
        // Completing (or skipping) one occurrence of a recurring task makes the next one.
        let following = match (current.rule(), current.series_id, current.series_start) {
            (Some(rule), Some(series), Some(start)) => {
                let tz = zone_or_utc(&current.time_zone);
                let place = u32::try_from(current.occurrence).unwrap_or(0);
                rule.after(start, tz, place).map(|(i, due)| {
                    let mut n = current.clone();
                    n.id = new_id();
                    n.version = 1;
                    n.due_at = Some(due);
                    n.occurrence = i32::try_from(i).unwrap_or(i32::MAX);
                    n.series_id = Some(series);
                    n.contacts_done = vec![];
                    n.created_at = at;
                    n.updated_at = at;
                    n
                })
            }
            _ => None,
        };
        if let Some(n) = &following {
            writes.push(TaskWrite {
                audit: audit_entry(actor, "create", "task", n.id, audit::created(&to_json(n))),
                jobs: reminder_jobs(n, actor.audit_id(), at),
                notifications: vec![],
                task: n.clone(),
                expected_version: None,
            });
        }
        self.store.save_tasks(&writes, None).await?;
        self.wake.notify_one();
        Ok(Completed { task: view(next), next: following.map(view) })
    }

    pub async fn complete_task(
        &self,
        actor: &Actor,
        id: Uuid,
        req: CompleteRequest,
        if_match: Option<i64>,
    ) -> Result<Completed> {
        self.close_task(actor, id, TaskStatus::Done, req, if_match).await
    }

    pub async fn cancel_task(
        &self,
        actor: &Actor,
        id: Uuid,
        req: CompleteRequest,
        if_match: Option<i64>,
    ) -> Result<Completed> {
        self.close_task(actor, id, TaskStatus::Cancelled, req, if_match).await
    }

    /// A done or cancelled task open again (a next occurrence already made stays).
    pub async fn reopen_task(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<TaskView> {
        let current = self.task_for(actor, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        if current.status == TaskStatus::Open {
            return Ok(view(current));
        }
        let at = now();
        let mut next = current.clone();
        next.status = TaskStatus::Open;
        next.result_note = None;
        next.completed_at = None;
        next.completed_by = None;
        next.version += 1;
        next.updated_at = at;
        let w = TaskWrite {
            audit: audit_entry(actor, "reopen", "task", id, audit::diff(&to_json(&current), &to_json(&next))),
            jobs: reminder_jobs(&next, actor.audit_id(), at),
            notifications: vec![],
            task: next.clone(),
            expected_version: Some(current.version),
        };
        self.store.save_tasks(&[w], None).await?;
        Ok(view(next))
    }

    /// Soft delete.
    pub async fn delete_task(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.task_for(actor, id, Action::Delete).await?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let w = TaskWrite {
            audit: audit_entry(actor, "delete", "task", id, audit::diff(&to_json(&current), &to_json(&next))),
            task: next,
            expected_version: Some(current.version),
            jobs: vec![],
            notifications: vec![],
        };
        self.store.save_tasks(&[w], None).await
    }

    /// The members of a team and of the teams below it.
    pub(crate) async fn team_members(&self, team: Uuid) -> Result<Vec<Uuid>> {
        let teams = self.store.list_teams().await?;
        let tree = crate::domain::team::subtree(&teams, team);
        let page = PageRequest::parse(Some(500), None, Some("name"), &["name"], "name").map_err(Error::Validation)?;
        let users = self.store.list_users(&page, None).await?;
        Ok(users
            .data
            .into_iter()
            .filter(|u| u.active && u.team_id.is_some_and(|t| tree.contains(&t)))
            .map(|u| u.id)
            .collect())
    }

    pub async fn list_tasks(&self, actor: &Actor, req: &TaskListRequest) -> Result<Page<TaskView>> {
        let mut errors: Vec<FieldError> = Vec::new();
        let tz = self.actor_zone(actor).await?;
        let page = PageRequest::parse(req.limit, req.cursor.as_deref(), req.sort.as_deref(), TASK_SORTS, "due_at")
            .map_err(|e| errors.extend(e))
            .ok();
        let statuses = words(req.status.as_deref(), "status", TaskStatus::parse, &TaskStatus::list(), &mut errors);
        let kinds = words(req.kind.as_deref(), "kind", TaskKind::parse, &TaskKind::list(), &mut errors);
        let mut time = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => match parse_time(field, s, tz).or_else(|e| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| crate::domain::zone::day_start(tz, d))
                    .map_err(|_| e)
            }) {
                Ok(t) => Some(t),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        let due_from = time("due_from", &req.due_from);
        let due_before = time("due_to", &req.due_to);
        let related = match (req.related_type.as_deref(), req.related_id) {
            (Some(t), Some(id)) => match RelatedType::parse(t) {
                Some(kind) => Some(Related { kind, id }),
                None => {
                    errors.push(FieldError::new("related_type", format!("must be one of {}", RelatedType::list())));
                    None
                }
            },
            (None, None) => None,
            _ => {
                errors.push(FieldError::new("related_id", "related_type and related_id go together"));
                None
            }
        };
        let Some(page) = page.filter(|_| errors.is_empty()) else { return Err(Error::Validation(errors)) };
        // Whoever reads a record reads its tasks.
        let unscoped = match related {
            Some(r) => {
                self.record_of(actor, r).await?;
                true
            }
            None => false,
        };
        let mut assignees = match (req.team_id, req.assignee_id, req.mine) {
            (_, _, true) => Some(vec![actor.user_id]),
            (_, Some(a), _) => Some(vec![a]),
            (Some(t), None, false) => Some(self.team_members(t).await?),
            _ => None,
        };
        if let (Some(t), Some(list)) = (req.team_id, assignees.as_mut())
            && (req.assignee_id.is_some() || req.mine)
        {
            let members = self.team_members(t).await?;
            list.retain(|a| members.contains(a));
        }
        let q = TaskQuery {
            scope: scope(actor, RecordKind::Task, Action::Read),
            me: actor.user_id,
            unscoped,
            assignees,
            created_by: req.created_by_me.then_some(actor.user_id),
            statuses,
            due_from,
            due_before,
            overdue_at: req.overdue.then(now),
            related,
            group_id: req.group_id,
            kinds,
            terms: req.q.as_deref().map(crate::domain::client::search_terms).unwrap_or_default(),
            page,
        };
        Ok(self.store.list_tasks(&q).await?.map(view))
    }

    // ---------------- group tasks ----------------

    pub async fn create_task_group(&self, actor: &Actor, req: GroupTaskRequest) -> Result<GroupView> {
        check_task_create(actor)?;
        let mut p = Problems::new();
        let title = p.check(crate::domain::user::parse_name("title", &req.title, 300));
        let kind = match req.kind.as_deref() {
            None => TaskKind::Call,
            Some(k) => TaskKind::parse(k).unwrap_or_else(|| {
                p.add("kind", format!("must be one of {}", TaskKind::list()));
                TaskKind::Call
            }),
        };
        if kind == TaskKind::Custom {
            p.add("kind", "a group task is a call, meeting, email or todo");
        }
        let script = crate::domain::client::opt_text("script", req.script.as_deref(), 20_000, true, &mut p);
        let mut templates = Vec::new();
        for (i, t) in req.templates.iter().enumerate() {
            let name = p.check(crate::domain::user::parse_name(&format!("templates[{i}].name"), &t.name, 100));
            let body =
                crate::domain::client::opt_text(&format!("templates[{i}].body"), Some(&t.body), 20_000, true, &mut p);
            if let (Some(name), Some(body)) = (name, body) {
                templates.push(Template { name, body });
            } else if t.body.trim().is_empty() {
                p.add(format!("templates[{i}].body"), "is required");
            }
        }
        let mut assignees: Vec<Uuid> = Vec::new();
        for a in req.assignee_ids.iter().copied().chain(match req.team_id {
            Some(t) => self.team_members(t).await?,
            None => vec![],
        }) {
            if !assignees.contains(&a) {
                assignees.push(a);
            }
        }
        for (i, a) in req.assignee_ids.iter().enumerate() {
            self.check_assignee(*a, &format!("assignee_ids[{i}]"), &mut p).await?;
        }
        if assignees.is_empty() {
            p.add("assignee_ids", "a group task goes to at least one person");
        }
        if assignees.len() > 200 {
            p.add("assignee_ids", "at most 200 people");
        }
        let mut contacts: Vec<Uuid> = Vec::new();
        for c in &req.contact_ids {
            if !contacts.contains(c) {
                contacts.push(*c);
            }
        }
        self.check_contacts(&contacts, &mut p).await?;
        let zone = match req.time_zone.as_deref() {
            Some(z) => p.check(crate::domain::zone::parse_zone("time_zone", z)).unwrap_or(chrono_tz::Tz::UTC),
            None => self.actor_zone(actor).await?,
        };
        let (due_at, all_day) = parse_due(req.due_at.as_deref(), req.due_date.as_deref(), None, zone, &mut p);
        let reminders = task::parse_reminders(&req.reminders, due_at.is_some(), &mut p);
        let priority = match req.priority.as_deref() {
            None => Priority::Normal,
            Some(x) => Priority::parse(x).unwrap_or_else(|| {
                p.add("priority", format!("must be one of {}", Priority::list()));
                Priority::Normal
            }),
        };
        p.into_result()?;
        let at = now();
        let group = TaskGroup {
            id: new_id(),
            version: 1,
            title: title.unwrap_or_default(),
            kind,
            script,
            templates,
            contact_ids: contacts.clone(),
            split_contacts: req.split_contacts,
            assignee_ids: assignees.clone(),
            due_at,
            all_day,
            time_zone: zone.name().to_owned(),
            created_by: actor.audit_id(),
            created_at: at,
            updated_at: at,
        };
        let shares =
            if req.split_contacts { share_out(&contacts, assignees.len()) } else { vec![contacts; assignees.len()] };
        let mut writes = Vec::with_capacity(assignees.len());
        for (a, share) in assignees.iter().zip(shares) {
            let mut t = task::blank(new_id(), *a, actor.audit_id(), zone.name(), at);
            t.kind = kind;
            t.title = group.title.clone();
            t.description = group.script.clone();
            t.due_at = due_at;
            t.all_day = all_day;
            t.priority = priority;
            t.group_id = Some(group.id);
            t.contact_ids = share;
            t.reminders = reminders.clone();
            writes.push(TaskWrite {
                audit: audit_entry(actor, "create", "task", t.id, audit::created(&to_json(&t))),
                jobs: reminder_jobs(&t, actor.audit_id(), at),
                notifications: self.assigned_note(actor, &t).await?.into_iter().collect(),
                task: t,
                expected_version: None,
            });
        }
        let audit = audit_entry(actor, "create", "task_group", group.id, audit::created(&to_json(&group)));
        self.store.save_tasks(&writes, Some((&group, &audit))).await?;
        self.wake.notify_one();
        self.group_view(group).await
    }

    async fn group_view(&self, group: TaskGroup) -> Result<GroupView> {
        let copies = self.store.group_tasks(group.id).await?;
        let mut out = Vec::with_capacity(copies.len());
        for t in &copies {
            let name = self.store.get_user(t.assignee_id).await?.map(|u| u.name).unwrap_or_default();
            out.push(GroupCopy {
                task_id: t.id,
                assignee_id: t.assignee_id,
                assignee_name: name,
                status: t.status,
                contacts_total: t.contact_ids.len(),
                contacts_done: t.contacts_done.len(),
            });
        }
        let count = |s: TaskStatus| copies.iter().filter(|t| t.status == s).count();
        Ok(GroupView {
            done: count(TaskStatus::Done),
            open: count(TaskStatus::Open),
            cancelled: count(TaskStatus::Cancelled),
            contacts_total: out.iter().map(|c| c.contacts_total).sum(),
            contacts_done: out.iter().map(|c| c.contacts_done).sum(),
            copies: out,
            group,
        })
    }

    /// A group task: for its creator, its assignees, and those whose role reaches its creator.
    pub async fn get_task_group(&self, actor: &Actor, id: Uuid) -> Result<GroupView> {
        let g = self.store.get_task_group(id).await?.ok_or(Error::NotFound("group task"))?;
        let involved = g.created_by == Some(actor.user_id) || g.assignee_ids.contains(&actor.user_id);
        if !involved {
            let team = match g.created_by {
                Some(c) => self.store.team_of_user(c).await?,
                None => None,
            };
            let creator = crate::authz::Ownership { owner_id: g.created_by, owner_team: team };
            crate::authz::check_record(actor, RecordKind::Task, Action::Read, creator)
                .map_err(|_| Error::NotFound("group task"))?;
        }
        self.group_view(g).await
    }

    /// Group tasks you created, newest first.
    pub async fn list_task_groups(&self, actor: &Actor) -> Result<Vec<TaskGroup>> {
        self.store.list_task_groups(Some(actor.user_id), 100).await
    }

    /// Marks a contact of a task's list done (or not done again).
    pub async fn mark_task_contact(&self, actor: &Actor, id: Uuid, contact: Uuid, done: bool) -> Result<TaskView> {
        let current = self.task_for(actor, id, Action::Update).await?;
        if !current.contact_ids.contains(&contact) {
            return Err(Error::invalid("contact_id", "this contact is not on the task's list"));
        }
        let mut list = current.contacts_done.clone();
        list.retain(|c| *c != contact);
        if done {
            list.push(contact);
        }
        let mut next = current.clone();
        next.contacts_done = list;
        if next == current {
            return Ok(view(current));
        }
        next.version += 1;
        next.updated_at = now();
        let w = TaskWrite {
            audit: audit_entry(actor, "update", "task", id, audit::diff(&to_json(&current), &to_json(&next))),
            task: next.clone(),
            expected_version: Some(current.version),
            jobs: vec![],
            notifications: vec![],
        };
        self.store.save_tasks(&[w], None).await?;
        Ok(view(next))
    }

    // ---------------- background jobs ----------------

    /// A reminder's job: notifies the assignee once (the key names the task, its due time and
    /// the offset; a second run, by a worker that took over after a crash or by another node,
    /// finds the key taken). A task done, cancelled, moved or without that reminder any more
    /// is not reminded.
    pub(crate) async fn run_reminder(&self, payload: &Value) -> Result<()> {
        let id = payload.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
        let due = payload.get("due_at").and_then(Value::as_i64);
        let minutes = payload.get("minutes").and_then(Value::as_i64);
        let (Some(id), Some(due), Some(minutes)) = (id, due, minutes) else {
            return Err(Error::invalid("payload", "a reminder names its task, due time and offset"));
        };
        let Some(t) = self.store.get_task(id).await? else { return Ok(()) };
        let still = t.status == TaskStatus::Open
            && t.deleted_at.is_none()
            && t.due_at.map(|d| d.timestamp()) == Some(due)
            && t.reminders.iter().any(|m| i64::from(*m) == minutes);
        if !still {
            return Ok(());
        }
        let tz = self.zone_of(t.assignee_id).await?;
        let local = t.due_at.map(|d| utc_to_local(tz, d).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
        let key = format!("reminder:{id}:{due}:{minutes}");
        if let Some(n) = self
            .notification(
                t.assignee_id,
                "task_reminder",
                format!("Reminder: {} at {local}", t.title),
                t.related.map(|r| r.kind.as_str().to_owned()),
                Some(format!("/tasks/{id}")),
                json!({"task": t.title, "due": local, "all_day": t.all_day}),
                Some(key.clone()),
            )
            .await?
        {
            self.store.insert_notification_once(&n.notification, &key).await?;
        }
        Ok(())
    }

    /// The periodic check of deals that stay in a stage longer than its time limit: notifies
    /// each owner once per stay (the key names the deal and when it entered the stage).
    pub(crate) async fn run_stuck_check(&self) -> Result<()> {
        let at = now();
        for pipeline in self.store.list_pipelines().await? {
            for stage in pipeline.stages.iter().filter(|s| s.time_limit_days.is_some()) {
                let days = i64::from(stage.time_limit_days.unwrap_or(0));
                let deals = self.store.deals_in_stage_since(stage.id, at - Duration::days(days), 1000).await?;
                for d in deals {
                    let Some(owner) = d.owner_id else { continue };
                    let key = format!("deal_stuck:{}:{}", d.id, d.stage_entered_at.timestamp());
                    let stay = (at - d.stage_entered_at).num_days();
                    if let Some(n) = self
                        .notification(
                            owner,
                            "deal_stuck",
                            format!("{} is stuck in {} ({stay} days; the limit is {days})", d.title, stage.name),
                            Some(pipeline.name.clone()),
                            Some(format!("/deals/{}", d.id)),
                            json!({"deal": d.title, "stage": stage.name, "days": stay, "limit": days}),
                            Some(key.clone()),
                        )
                        .await?
                    {
                        self.store.insert_notification_once(&n.notification, &key).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Queues this hour's periodic checks (once, whichever worker asks first).
    pub async fn schedule_periodic(&self) -> Result<()> {
        let at = now();
        let mut j = Job::new("deals.stuck_check", json!({}), None, at);
        j.dedupe_key = Some(format!("deals.stuck_check:{}", at.format("%Y%m%d%H")));
        j.max_attempts = 3;
        self.store.enqueue(&j).await?;
        Ok(())
    }
}

/// Comma-separated words of a closed list.
fn words<T>(
    input: Option<&str>,
    field: &str,
    parse: fn(&str) -> Option<T>,
    list: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for w in input.unwrap_or("").split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match parse(w) {
            Some(v) => out.push(v),
            None => errors.push(FieldError::new(field, format!("`{w}` is not one of {list}"))),
        }
    }
    out
}
