//! Tasks: a promise to call back, a meeting, an e-mail to send, a to-do — with a due time (or
//! a whole day), reminders, an assignee, the record it is about, and a result once done.
//! Recurring tasks carry a rule (see [`super::recurrence`]); group tasks are copies of one
//! campaign task handed to several people.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::client::opt_text;
use super::recurrence::Rule;
use super::zone::{day_start, parse_time, parse_zone};
use crate::error::Problems;

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim().to_ascii_lowercase();
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// Every value, for error messages.
            pub fn list() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}
pub(crate) use word_enum;

word_enum!(
    /// What kind of task.
    TaskKind { Call => "call", Meeting => "meeting", Email => "email", Todo => "todo", Custom => "custom" }
);
word_enum!(TaskStatus { Open => "open", Done => "done", Cancelled => "cancelled" });
word_enum!(Priority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });
word_enum!(
    /// The kinds of record a task, an activity or a comment can be about. Service cases join
    /// this list when they arrive.
    RelatedType { Contact => "contact", Company => "company", Deal => "deal", Lead => "lead" }
);

/// The record a task, activity or comment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Related {
    #[serde(rename = "type")]
    pub kind: RelatedType,
    pub id: Uuid,
}

impl Related {
    /// The record's page in the web UI.
    pub fn path(&self) -> String {
        let base = match self.kind {
            RelatedType::Contact => "contacts",
            RelatedType::Company => "companies",
            RelatedType::Deal => "deals",
            RelatedType::Lead => "leads",
        };
        format!("/{base}/{}", self.id)
    }
}

/// At most this many reminders per task, each at most 30 days before the due time.
pub const MAX_REMINDERS: usize = 5;
pub const MAX_REMINDER_MINUTES: i32 = 30 * 24 * 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub version: i64,
    pub kind: TaskKind,
    /// The name of a `custom` kind ("site visit").
    pub kind_label: Option<String>,
    pub title: String,
    pub description: Option<String>,
    /// When it is due (UTC). For an all-day task, the start of that day in `time_zone`.
    pub due_at: Option<DateTime<Utc>>,
    pub all_day: bool,
    /// The zone the due time was set in: recurrences keep their wall-clock time there.
    pub time_zone: String,
    pub duration_minutes: Option<i32>,
    /// Reminders, in minutes before the due time.
    pub reminders: Vec<i32>,
    pub assignee_id: Uuid,
    pub created_by: Option<Uuid>,
    pub related: Option<Related>,
    pub priority: Priority,
    pub status: TaskStatus,
    /// What came of it (set when done or cancelled).
    pub result_note: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<Uuid>,
    /// `FREQ=WEEKLY;INTERVAL=1;COUNT=10` (see the recurrence rules).
    pub recurrence: Option<String>,
    /// The first task of the series (its id) and its due time, and this one's place in it.
    pub series_id: Option<Uuid>,
    pub series_start: Option<DateTime<Utc>>,
    pub occurrence: i32,
    /// The group (campaign) task this is a copy of.
    pub group_id: Option<Uuid>,
    /// Contacts to work through (group tasks), and those done.
    pub contact_ids: Vec<Uuid>,
    pub contacts_done: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Task {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == TaskStatus::Open && self.due_end().is_some_and(|d| d < now)
    }

    /// When the task stops being on time: the due time, or the end of an all-day task's day.
    pub fn due_end(&self) -> Option<DateTime<Utc>> {
        self.due_at.map(|d| if self.all_day { d + chrono::Duration::days(1) } else { d })
    }

    pub fn rule(&self) -> Option<Rule> {
        self.recurrence.as_deref().and_then(|r| Rule::parse("recurrence", r).ok())
    }
}

/// What a client sends to create a task, or (merged over the current task) to change one.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// call, meeting, email, todo (default) or custom.
    pub kind: Option<String>,
    pub kind_label: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `2026-03-02T09:00` (wall-clock time in `time_zone`) or RFC 3339 with an offset.
    pub due_at: Option<String>,
    /// For an all-day task: `2026-03-02` (sets `all_day`).
    pub due_date: Option<String>,
    #[serde(default)]
    pub all_day: Option<bool>,
    /// Default: the assignee's time zone.
    pub time_zone: Option<String>,
    pub duration_minutes: Option<i32>,
    /// Minutes before the due time, e.g. `[15, 1440]`.
    pub reminders: Option<Vec<i32>>,
    /// Default: you.
    pub assignee_id: Option<Uuid>,
    pub related: Option<Related>,
    /// low, normal (default), high or urgent.
    pub priority: Option<String>,
    /// `FREQ=DAILY|WEEKLY|MONTHLY|YEARLY` with `INTERVAL`, `COUNT` or `UNTIL`.
    pub recurrence: Option<String>,
    pub contact_ids: Option<Vec<Uuid>>,
}

/// Reminders in minutes before the due time: each from 0 to 30 days, at most five, sorted,
/// each once; they need a due time.
pub fn parse_reminders(list: &[i32], has_due: bool, p: &mut Problems) -> Vec<i32> {
    let mut reminders: Vec<i32> = Vec::new();
    for (i, m) in list.iter().copied().enumerate() {
        if !(0..=MAX_REMINDER_MINUTES).contains(&m) {
            p.add(format!("reminders[{i}]"), "must be from 0 to 43200 minutes (30 days) before the due time");
        } else if !reminders.contains(&m) {
            reminders.push(m);
        }
    }
    if reminders.len() > MAX_REMINDERS {
        p.add("reminders", format!("at most {MAX_REMINDERS} reminders"));
    }
    reminders.sort_unstable();
    if !reminders.is_empty() && !has_due {
        p.add("reminders", "a reminder needs a due time");
    }
    reminders
}

/// The due time of an input: `(due_at, all_day)`.
pub fn parse_due(
    due_at: Option<&str>,
    due_date: Option<&str>,
    all_day: Option<bool>,
    tz: chrono_tz::Tz,
    p: &mut Problems,
) -> (Option<DateTime<Utc>>, bool) {
    let date = due_date.map(str::trim).filter(|s| !s.is_empty());
    let time = due_at.map(str::trim).filter(|s| !s.is_empty());
    match (date, time) {
        (Some(d), _) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => (Some(day_start(tz, d)), true),
            Err(_) => {
                p.add("due_date", format!("`{d}` is not a date like 2026-03-02"));
                (None, true)
            }
        },
        (None, Some(t)) => match parse_time("due_at", t, tz) {
            Ok(t) if all_day == Some(true) => {
                let local = super::zone::utc_to_local(tz, t).date();
                (Some(day_start(tz, local)), true)
            }
            Ok(t) => (Some(t), false),
            Err(e) => {
                p.add(e.field, e.message);
                (None, false)
            }
        },
        (None, None) => (None, all_day.unwrap_or(false)),
    }
}

impl TaskInput {
    /// Validates into `task` (whose assignee and zone are already set), collecting every
    /// problem. `tz_default` is the assignee's zone.
    pub fn validate_into(&self, task: &mut Task, p: &mut Problems) {
        if let Some(k) = &self.kind {
            match TaskKind::parse(k) {
                Some(k) => task.kind = k,
                None => p.add("kind", format!("must be one of {}", TaskKind::list())),
            }
        }
        task.kind_label = opt_text("kind_label", self.kind_label.as_deref(), 60, false, p);
        if task.kind == TaskKind::Custom && task.kind_label.is_none() {
            p.add("kind_label", "a custom task needs the name of its kind");
        }
        match opt_text("title", self.title.as_deref(), 300, false, p) {
            Some(t) => task.title = t,
            None if self.title.as_deref().is_none_or(|t| t.trim().is_empty()) => p.add("title", "is required"),
            None => {}
        }
        task.description = opt_text("description", self.description.as_deref(), 20_000, true, p);
        if let Some(z) = &self.time_zone {
            match parse_zone("time_zone", z) {
                Ok(z) => task.time_zone = z.name().to_owned(),
                Err(e) => p.add(e.field, e.message),
            }
        }
        let tz = super::zone::zone_or_utc(&task.time_zone);
        (task.due_at, task.all_day) = parse_due(self.due_at.as_deref(), self.due_date.as_deref(), self.all_day, tz, p);
        task.duration_minutes = match self.duration_minutes {
            Some(m) if !(1..=7 * 24 * 60).contains(&m) => {
                p.add("duration_minutes", "must be from 1 minute to 7 days");
                None
            }
            other => other,
        };
        task.reminders = parse_reminders(&self.reminders.clone().unwrap_or_default(), task.due_at.is_some(), p);
        task.related = self.related;
        if let Some(pr) = &self.priority {
            match Priority::parse(pr) {
                Some(x) => task.priority = x,
                None => p.add("priority", format!("must be one of {}", Priority::list())),
            }
        }
        task.recurrence = match self.recurrence.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => match Rule::parse("recurrence", r) {
                Ok(rule) if task.due_at.is_some() => Some(rule.to_string()),
                Ok(_) => {
                    p.add("recurrence", "a recurring task needs a due time");
                    None
                }
                Err(e) => {
                    p.add(e.field, e.message);
                    None
                }
            },
            None => None,
        };
        if let Some(ids) = &self.contact_ids {
            if ids.len() > 1000 {
                p.add("contact_ids", "at most 1000 contacts");
            }
            let mut list: Vec<Uuid> = Vec::new();
            for id in ids {
                if !list.contains(id) {
                    list.push(*id);
                }
            }
            task.contacts_done.retain(|d| list.contains(d));
            task.contact_ids = list;
        }
    }

    /// The input that would recreate `t` (a PATCH is merged over it).
    pub fn of(t: &Task) -> Value {
        let tz = super::zone::zone_or_utc(&t.time_zone);
        let due_local = t.due_at.map(|d| super::zone::utc_to_local(tz, d));
        serde_json::json!({
            "kind": t.kind.as_str(),
            "kind_label": t.kind_label,
            "title": t.title,
            "description": t.description,
            "due_at": if t.all_day { None } else { t.due_at.map(|d| d.to_rfc3339()) },
            "due_date": if t.all_day { due_local.map(|d| d.date().to_string()) } else { None },
            "all_day": t.all_day,
            "time_zone": t.time_zone,
            "duration_minutes": t.duration_minutes,
            "reminders": t.reminders,
            "assignee_id": t.assignee_id,
            "related": t.related,
            "priority": t.priority.as_str(),
            "recurrence": t.recurrence,
            "contact_ids": t.contact_ids,
        })
    }
}

/// Merges a PATCH over the current input: given keys replace, `null` clears. Setting
/// `due_at` clears `due_date` and the other way round, so that one of them wins.
pub fn merge_patch(current: &Value, patch: &serde_json::Map<String, Value>) -> Value {
    let mut out = current.as_object().cloned().unwrap_or_default();
    if patch.contains_key("due_at") && !patch.contains_key("due_date") {
        out.insert("due_date".into(), Value::Null);
        if !patch.contains_key("all_day") {
            out.insert("all_day".into(), Value::Bool(false));
        }
    }
    if patch.contains_key("due_date") && !patch.contains_key("due_at") {
        out.insert("due_at".into(), Value::Null);
    }
    for (k, v) in patch {
        out.insert(k.clone(), v.clone());
    }
    Value::Object(out)
}

/// A task with nothing set but what every task has.
pub fn blank(id: Uuid, assignee: Uuid, created_by: Option<Uuid>, time_zone: &str, at: DateTime<Utc>) -> Task {
    Task {
        id,
        version: 1,
        kind: TaskKind::Todo,
        kind_label: None,
        title: String::new(),
        description: None,
        due_at: None,
        all_day: false,
        time_zone: time_zone.to_owned(),
        duration_minutes: None,
        reminders: vec![],
        assignee_id: assignee,
        created_by,
        related: None,
        priority: Priority::Normal,
        status: TaskStatus::Open,
        result_note: None,
        completed_at: None,
        completed_by: None,
        recurrence: None,
        series_id: None,
        series_start: None,
        occurrence: 0,
        group_id: None,
        contact_ids: vec![],
        contacts_done: vec![],
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

/// A message template shared by the copies of a group task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Template {
    pub name: String,
    pub body: String,
}

/// A group (campaign) task: one task handed to several people, each of whom gets a copy
/// with the shared script, contact list and templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskGroup {
    pub id: Uuid,
    pub version: i64,
    pub title: String,
    pub kind: TaskKind,
    /// What to say (copied into each copy's description).
    pub script: Option<String>,
    pub templates: Vec<Template>,
    pub contact_ids: Vec<Uuid>,
    /// Whether the contacts were shared out among the assignees (otherwise each has them all).
    pub split_contacts: bool,
    pub assignee_ids: Vec<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub all_day: bool,
    pub time_zone: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Shares contacts out among assignees in turn (the first gets the 1st, 1+n-th, ...).
pub fn share_out(contacts: &[Uuid], assignees: usize) -> Vec<Vec<Uuid>> {
    let mut out = vec![Vec::new(); assignees.max(1)];
    for (i, c) in contacts.iter().enumerate() {
        out[i % assignees.max(1)].push(*c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> Task {
        blank(Uuid::nil(), Uuid::nil(), None, "Europe/Sofia", chrono::Utc::now())
    }

    fn input(v: Value) -> TaskInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_task_due_at_nine_in_sofia() {
        let mut t = task();
        let mut p = Problems::new();
        input(serde_json::json!({"title": " Call back ", "kind": "call", "due_at": "2026-02-10T09:00", "reminders": [15, 60, 15]}))
            .validate_into(&mut t, &mut p);
        assert!(p.is_empty(), "{:?}", p.into_errors());
        assert_eq!(t.title, "Call back");
        assert_eq!(t.kind, TaskKind::Call);
        assert_eq!(t.due_at.unwrap().to_rfc3339(), "2026-02-10T07:00:00+00:00");
        assert_eq!(t.reminders, [15, 60]);
        assert!(!t.all_day);
    }

    #[test]
    fn all_day_tasks_start_at_local_midnight_and_are_late_the_next_day() {
        let mut t = task();
        let mut p = Problems::new();
        input(serde_json::json!({"title": "Invoice", "due_date": "2026-02-10"})).validate_into(&mut t, &mut p);
        assert!(p.is_empty());
        assert!(t.all_day);
        assert_eq!(t.due_at.unwrap().to_rfc3339(), "2026-02-09T22:00:00+00:00");
        let evening = parse_time("t", "2026-02-10T23:30", chrono_tz::Tz::Europe__Sofia).unwrap();
        assert!(!t.is_overdue(evening));
        assert!(t.is_overdue(evening + chrono::Duration::hours(1)));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut t = task();
        let mut p = Problems::new();
        input(serde_json::json!({
            "kind": "lunch", "title": "", "due_at": "soon", "duration_minutes": 0,
            "reminders": [-5], "priority": "asap", "recurrence": "FREQ=HOURLY", "time_zone": "Nowhere/City"
        }))
        .validate_into(&mut t, &mut p);
        let fields: Vec<String> = p.into_errors().into_iter().map(|e| e.field).collect();
        for f in ["kind", "title", "due_at", "duration_minutes", "reminders[0]", "priority", "recurrence", "time_zone"]
        {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn a_patch_of_due_at_replaces_an_all_day_date() {
        let cur = serde_json::json!({"due_date": "2026-02-10", "all_day": true, "title": "x"});
        let patch = serde_json::json!({"due_at": "2026-02-11T10:00"});
        let m = merge_patch(&cur, patch.as_object().unwrap());
        assert_eq!(m["due_date"], Value::Null);
        assert_eq!(m["all_day"], false);
        assert_eq!(m["title"], "x");
    }

    #[test]
    fn contacts_are_shared_out_in_turn() {
        let ids: Vec<Uuid> = (1..=5).map(Uuid::from_u128).collect();
        let parts = share_out(&ids, 2);
        assert_eq!(parts[0], [ids[0], ids[2], ids[4]]);
        assert_eq!(parts[1], [ids[1], ids[3]]);
    }
}
