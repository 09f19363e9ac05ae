//! The calendar: tasks and meetings of a day, week or month for me, a colleague or a team,
//! shown in the reader's zone, with the coming occurrences of recurring tasks; and the private
//! iCalendar feed of a person's tasks for Google, Outlook and Apple calendars.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tasks::TaskListRequest;
use super::users::to_json;
use super::{Services, audit_entry};
use crate::authz::{Actor, ActorKind};
use crate::domain::ical::{self, Event};
use crate::domain::secret::{random_token, token_hash};
use crate::domain::task::{Task, TaskKind, TaskStatus};
use crate::domain::zone::{day_start, utc_to_local, zone_or_utc};
use crate::domain::{audit, new_id, now};
use crate::error::{Error, Result};
use crate::store::CalendarFeed;

/// `GET /calendar`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct CalendarRequest {
    /// day, week (default) or month.
    pub view: Option<String>,
    /// A day of the period, `2026-03-02` (default today, in your zone).
    pub date: Option<String>,
    /// Whose calendar (default yours).
    pub user_id: Option<Uuid>,
    /// A team's calendar.
    pub team_id: Option<Uuid>,
}

/// One task (or a coming occurrence of a recurring one) in the calendar.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarEvent {
    pub task_id: Uuid,
    pub title: String,
    pub kind: TaskKind,
    pub status: TaskStatus,
    pub start: DateTime<Utc>,
    /// Start and end as wall-clock times in the reader's zone (`2026-03-02T09:00:00`).
    pub start_local: String,
    pub end_local: String,
    pub all_day: bool,
    pub assignee_id: Uuid,
    pub assignee_name: String,
    /// A coming occurrence of a recurring task (not a task yet: it is made when the one
    /// before it is completed).
    pub projected: bool,
    pub overdue: bool,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarView {
    pub view: String,
    /// The first day shown and the day after the last, in the reader's zone.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub time_zone: String,
    pub events: Vec<CalendarEvent>,
}

/// A new feed: the only time its URL is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedFeed {
    #[serde(flatten)]
    pub feed: CalendarFeed,
    /// The path of the feed (put the server's address in front): `/api/v1/calendar/feed/<token>.ics`.
    pub path: String,
}

/// The period a view shows around `date`: a day, the week from Monday, or the weeks that
/// cover the month.
pub fn period(view: &str, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    match view {
        "day" => (date, date + Duration::days(1)),
        "month" => {
            let first = date.with_day(1).unwrap_or(date);
            let start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
            let next_month = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
            let last = next_month - Duration::days(1);
            let end = last + Duration::days(7 - i64::from(last.weekday().num_days_from_monday()));
            (start, end)
        }
        _ => {
            let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            (start, start + Duration::days(7))
        }
    }
}

const FEED_PREFIX: &str = "cal_";

impl Services {
    /// Every task of a list request, page after page (bounded).
    async fn all_tasks(&self, actor: &Actor, mut req: TaskListRequest, max: usize) -> Result<Vec<Task>> {
        let mut out = Vec::new();
        req.limit = Some(500);
        loop {
            let page = self.list_tasks(actor, &req).await?;
            out.extend(page.data.into_iter().map(|v| v.task));
            match page.next_cursor {
                Some(c) if out.len() < max => req.cursor = Some(c),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Coming occurrences of an open recurring task between `from` and `to` (after its own).
    fn projected(t: &Task, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(u32, DateTime<Utc>)> {
        let (Some(rule), Some(start), TaskStatus::Open) = (t.rule(), t.series_start, t.status) else { return vec![] };
        let tz = zone_or_utc(&t.time_zone);
        let mine = u32::try_from(t.occurrence).unwrap_or(0);
        rule.occurrences(start, tz)
            .skip_while(|(i, _)| *i <= mine)
            .take_while(|(_, at)| *at < to)
            .filter(|(_, at)| *at >= from)
            .take(100)
            .collect()
    }

    pub async fn calendar(&self, actor: &Actor, req: &CalendarRequest) -> Result<CalendarView> {
        let tz = self.actor_zone(actor).await?;
        let view = match req.view.as_deref().unwrap_or("week") {
            v @ ("day" | "week" | "month") => v.to_owned(),
            other => return Err(Error::invalid("view", format!("`{other}` is not day, week or month"))),
        };
        let date = match req.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| Error::invalid("date", format!("`{d}` is not a date like 2026-03-02")))?,
            None => utc_to_local(tz, now()).date(),
        };
        let (from, to) = period(&view, date);
        let (start, end) = (day_start(tz, from), day_start(tz, to));
        let list = TaskListRequest {
            assignee_id: req.user_id.or(if req.team_id.is_none() { Some(actor.user_id) } else { None }),
            team_id: req.team_id,
            due_from: Some(start.to_rfc3339()),
            due_to: Some(end.to_rfc3339()),
            status: Some("open,done".into()),
            ..TaskListRequest::default()
        };
        let tasks = self.all_tasks(actor, list, 5000).await?;
        // Recurring tasks due before the period may have occurrences in it.
        let earlier = TaskListRequest {
            assignee_id: req.user_id.or(if req.team_id.is_none() { Some(actor.user_id) } else { None }),
            team_id: req.team_id,
            due_to: Some(start.to_rfc3339()),
            status: Some("open".into()),
            ..TaskListRequest::default()
        };
        let recurring: Vec<Task> =
            self.all_tasks(actor, earlier, 5000).await?.into_iter().filter(|t| t.recurrence.is_some()).collect();
        let mut names = std::collections::HashMap::new();
        let mut events = Vec::new();
        // The period's own tasks, then recurring ones that only bring coming occurrences.
        for (t, own) in tasks.iter().map(|t| (t, true)).chain(recurring.iter().map(|t| (t, false))) {
            let name = match names.get(&t.assignee_id) {
                Some(n) => String::clone(n),
                None => {
                    let n = self.store.get_user(t.assignee_id).await?.map(|u| u.name).unwrap_or_default();
                    names.insert(t.assignee_id, n.clone());
                    n
                }
            };
            let mut push = |at: DateTime<Utc>, projected: bool| {
                let dur = Duration::minutes(i64::from(t.duration_minutes.unwrap_or(30)));
                events.push(CalendarEvent {
                    task_id: t.id,
                    title: t.title.clone(),
                    kind: t.kind,
                    status: if projected { TaskStatus::Open } else { t.status },
                    start: at,
                    start_local: utc_to_local(tz, at).format("%Y-%m-%dT%H:%M:%S").to_string(),
                    end_local: utc_to_local(tz, at + dur).format("%Y-%m-%dT%H:%M:%S").to_string(),
                    all_day: t.all_day,
                    assignee_id: t.assignee_id,
                    assignee_name: name.clone(),
                    projected,
                    overdue: !projected && t.is_overdue(now()),
                    version: t.version,
                });
            };
            if own && let Some(d) = t.due_at {
                push(d, false);
            }
            for (_, at) in Self::projected(t, start, end) {
                push(at, true);
            }
        }
        events.sort_by_key(|e| (e.start, e.task_id));
        Ok(CalendarView { view, from, to, time_zone: tz.name().to_owned(), events })
    }

    // ---------------- the iCalendar feed ----------------

    /// A new private feed URL for the actor (earlier ones keep working until revoked).
    pub async fn create_calendar_feed(&self, actor: &Actor) -> Result<CreatedFeed> {
        if actor.kind == ActorKind::System {
            return Err(Error::Forbidden("a calendar feed belongs to a person".into()));
        }
        let token = format!("{FEED_PREFIX}{}", random_token());
        let feed = CalendarFeed {
            id: new_id(),
            user_id: actor.user_id,
            prefix: token.chars().take(FEED_PREFIX.len() + 6).collect(),
            created_at: now(),
            revoked_at: None,
        };
        let audit = audit_entry(actor, "create", "calendar_feed", feed.id, audit::created(&to_json(&feed)));
        self.store.insert_calendar_feed(&feed, &token_hash(&token), &audit).await?;
        Ok(CreatedFeed { feed, path: format!("/api/v1/calendar/feed/{token}.ics") })
    }

    pub async fn calendar_feeds(&self, actor: &Actor) -> Result<Vec<CalendarFeed>> {
        self.store.calendar_feeds(actor.user_id).await
    }

    pub async fn revoke_calendar_feed(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let feeds = self.store.calendar_feeds(actor.user_id).await?;
        let Some(f) = feeds.into_iter().find(|f| f.id == id) else { return Err(Error::NotFound("calendar feed")) };
        if f.revoked_at.is_some() {
            return Ok(());
        }
        let audit =
            audit_entry(actor, "revoke", "calendar_feed", id, serde_json::json!({"revoked_at": {"new": now()}}));
        self.store.revoke_calendar_feed(id, now(), &audit).await?;
        Ok(())
    }

    /// The iCalendar document of a feed token: the owner's tasks from 60 days back on (and the
    /// coming occurrences of recurring ones, 180 days ahead), in the owner's zone. `None` for
    /// an unknown or revoked token, or a deactivated owner.
    pub async fn calendar_ics(&self, token: &str) -> Result<Option<String>> {
        let token = token.trim().trim_end_matches(".ics");
        if !token.starts_with(FEED_PREFIX) {
            return Ok(None);
        }
        let Some(feed) = self.store.calendar_feed_by_hash(&token_hash(token)).await? else { return Ok(None) };
        let Some(actor) = self.actor_for(feed.user_id, ActorKind::ApiToken).await? else { return Ok(None) };
        let tz = self.zone_of(actor.user_id).await?;
        let at = now();
        let (from, until) = (at - Duration::days(60), at + Duration::days(180));
        let req = TaskListRequest { mine: true, due_from: Some(from.to_rfc3339()), ..TaskListRequest::default() };
        let tasks = self.all_tasks(&actor, req, 5000).await?;
        let mut events = Vec::new();
        for t in &tasks {
            let Some(due) = t.due_at else { continue };
            let event = |uid: String, start: DateTime<Utc>| Event {
                uid,
                start,
                all_day: t.all_day,
                duration_minutes: t.duration_minutes,
                summary: t.title.clone(),
                description: t.description.clone(),
                cancelled: t.status == TaskStatus::Cancelled,
                done: t.status == TaskStatus::Done,
                reminders: t.reminders.clone(),
                url: t.related.map(|r| r.path()),
                updated: t.updated_at,
            };
            // A series' occurrences share their UIDs with the tasks they become.
            let uid = |i: i32| match t.series_id {
                Some(s) => format!("{s}-{i}@clientele"),
                None => format!("{}@clientele", t.id),
            };
            events.push(event(uid(t.occurrence), due));
            for (i, start) in Self::projected(t, due + Duration::seconds(1), until) {
                events.push(event(uid(i32::try_from(i).unwrap_or(i32::MAX)), start));
            }
        }
        let user = self.store.get_user(actor.user_id).await?.map(|u| u.name).unwrap_or_default();
        Ok(Some(ical::calendar(&format!("Clientele: {user}"), tz, &events, at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods() {
        assert_eq!(period("day", d("2026-03-04")), (d("2026-03-04"), d("2026-03-05")));
        assert_eq!(period("week", d("2026-03-04")), (d("2026-03-02"), d("2026-03-09")));
        // March 2026 starts on a Sunday and ends on a Tuesday.
        assert_eq!(period("month", d("2026-03-15")), (d("2026-02-23"), d("2026-04-06")));
    }
}
