//! The report builder's use cases: the catalogue of fields, running a definition in the
//! viewer's scope, saved reports (private or shared), exports to CSV/XLSX and e-mail schedules.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, RecordKind, check_area, scope};
use crate::domain::audit;
use crate::domain::email::EmailAddress;
use crate::domain::report_builder::{self, FieldInfo, Plan, PlanContext, ReportDefinition, ReportResult, Tz};
use crate::domain::user::parse_name;
use crate::domain::zone::zone_or_utc;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::{ReportSchedule, ReportScope, SavedReport, ScheduleEvery};

/// A report type with its fields, for the builder's pickers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportType {
    pub entity: String,
    pub fields: Vec<FieldInfo>,
}

/// Saving a report: its name, definition, sharing and optional e-mail schedule.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveReportRequest {
    pub name: String,
    pub definition: ReportDefinition,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub schedule: Option<ScheduleRequest>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// `day`, `week` (Mondays) or `month` (the 1st), at 07:00 in the report's zone.
    pub every: ScheduleEvery,
    pub recipients: Vec<String>,
    /// `csv` (default) or `xlsx`.
    #[serde(default)]
    pub format: Option<String>,
}

/// An exported report file.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The job that e-mails a scheduled report.
pub const SEND_JOB: &str = "report_builder.send";

fn record_kind(entity: &str) -> RecordKind {
    match entity {
        "contact" => RecordKind::Contact,
        "company" => RecordKind::Company,
        "lead" => RecordKind::Lead,
        "task" | "activity" => RecordKind::Task,
        _ => RecordKind::Deal,
    }
}

/// The next send after `after`: 07:00 local time on the next day, Monday or 1st.
pub fn next_run(every: ScheduleEvery, tz: Tz, after: DateTime<Utc>) -> DateTime<Utc> {
    let local = after.with_timezone(&tz).date_naive();
    let seven = NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default();
    let mut day = local;
    for _ in 0..40 {
        let ok = match every {
            ScheduleEvery::Day => true,
            ScheduleEvery::Week => day.weekday() == chrono::Weekday::Mon,
            ScheduleEvery::Month => day.day() == 1,
        };
        if ok {
            let at = crate::domain::zone::local_to_utc(tz, day.and_time(seven));
            if at > after {
                return at;
            }
        }
        day += Duration::days(1);
    }
    after + Duration::days(1)
}

impl Services {
    /// Every report type with its fields (own, custom, lookups).
    pub async fn report_types(&self, _actor: &Actor) -> Result<Vec<ReportType>> {
        let defs = self.store.list_custom_fields(None).await?;
        Ok(report_builder::ENTITIES
            .iter()
            .map(|e| ReportType { entity: (*e).to_owned(), fields: report_builder::fields(e, &defs) })
            .collect())
    }

    async fn viewer_zone(&self, actor: &Actor) -> Result<Tz> {
        Ok(self.store.get_user(actor.user_id).await?.map(|u| zone_or_utc(&u.time_zone)).unwrap_or(Tz::UTC))
    }

    /// Checks a definition into a plan (every bad field listed).
    pub async fn plan_report(&self, actor: &Actor, def: &ReportDefinition) -> Result<Plan> {
        let defs = self.store.list_custom_fields(None).await?;
        let ctx = PlanContext {
            defs: &defs,
            me: actor.user_id,
            now: now(),
            region: self.settings.default_region,
            viewer_zone: self.viewer_zone(actor).await?,
        };
        report_builder::plan(def, &ctx).map_err(Error::Validation)
    }

    async fn run_plan(&self, actor: &Actor, plan: &Plan, action: Action) -> Result<ReportResult> {
        let s = scope(actor, record_kind(plan.entity), action);
        if s == crate::authz::Scope::Nothing && action == Action::Export {
            return Err(Error::Forbidden("your role cannot export".into()));
        }
        self.store.run_report(plan, &ReportScope { scope: s, me: actor.user_id }).await
    }

    /// Runs a definition in the viewer's scope.
    pub async fn run_report(&self, actor: &Actor, def: &ReportDefinition) -> Result<ReportResult> {
        let plan = self.plan_report(actor, def).await?;
        self.run_plan(actor, &plan, Action::Read).await
    }

    /// Runs a definition and writes the result as CSV or XLSX (cells neutralised against
    /// formula injection by the writers).
    pub async fn export_report(
        &self,
        actor: &Actor,
        def: &ReportDefinition,
        format: &str,
        name: &str,
    ) -> Result<ReportFile> {
        let format = match format.trim() {
            "" | "csv" => "csv",
            "xlsx" => "xlsx",
            _ => return Err(Error::invalid("format", "must be csv or xlsx")),
        };
        let plan = self.plan_report(actor, def).await?;
        let result = self.run_plan(actor, &plan, Action::Export).await?;
        let base: String = name
            .chars()
            .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect::<String>()
            .trim_matches('_')
            .chars()
            .take(60)
            .collect();
        let base = if base.is_empty() { "report".to_owned() } else { base };
        let bytes = tokio::task::spawn_blocking(move || write_file(&result, format))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("export thread: {e}")))?
            .map_err(|e| Error::Internal(anyhow::anyhow!("writing the report file: {e}")))?;
        Ok(ReportFile {
            file_name: format!("{base}.{format}"),
            content_type: if format == "csv" {
                "text/csv; charset=utf-8"
            } else {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            },
            bytes,
        })
    }

    pub async fn list_saved_reports(&self, actor: &Actor) -> Result<Vec<SavedReport>> {
        self.store.list_saved_reports(actor.user_id).await
    }

    pub async fn get_saved_report(&self, actor: &Actor, id: Uuid) -> Result<SavedReport> {
        match self.store.get_saved_report(id).await? {
            Some(r) if r.shared || r.owner_id == actor.user_id => Ok(r),
            _ => Err(Error::NotFound("report")),
        }
    }

    async fn own_report(&self, actor: &Actor, id: Uuid) -> Result<SavedReport> {
        let r = self.store.get_saved_report(id).await?.ok_or(Error::NotFound("report"))?;
        if r.owner_id == actor.user_id || check_area(actor, Area::Settings, Action::Update).is_ok() {
            Ok(r)
        } else if r.shared {
            Err(Error::Forbidden("only the report's author or an administrator can change it".into()))
        } else {
            Err(Error::NotFound("report"))
        }
    }

    async fn check_save(
        &self,
        actor: &Actor,
        req: &SaveReportRequest,
        previous: Option<&ReportSchedule>,
    ) -> Result<(String, Option<ReportSchedule>, Tz)> {
        let mut p = Problems::new();
        let name = p.check(parse_name("name", &req.name, 200));
        let plan = match self.plan_report(actor, &req.definition).await {
            Ok(plan) => Some(plan),
            Err(Error::Validation(errs)) => {
                for e in errs {
                    p.add(format!("definition.{}", e.field), e.message);
                }
                None
            }
            Err(e) => return Err(e),
        };
        let tz = plan.as_ref().map(|x| x.tz).unwrap_or(Tz::UTC);
        let schedule = match &req.schedule {
            None => None,
            Some(s) => {
                let format = s.format.clone().unwrap_or_else(|| "csv".into());
                if format != "csv" && format != "xlsx" {
                    p.add("schedule.format", "must be csv or xlsx");
                }
                if s.recipients.is_empty() || s.recipients.len() > 20 {
                    p.add("schedule.recipients", "one to 20 e-mail addresses");
                }
                let mut to = Vec::new();
                for (i, r) in s.recipients.iter().enumerate() {
                    if let Some(e) = p.check(EmailAddress::parse_field(&format!("schedule.recipients[{i}]"), r)) {
                        to.push(e.as_str().to_owned());
                    }
                }
                let next_run_at = match previous {
                    Some(prev) if prev.every == s.every => prev.next_run_at,
                    _ => next_run(s.every, tz, now()),
                };
                Some(ReportSchedule { every: s.every, recipients: to, format, next_run_at })
            }
        };
        p.into_result()?;
        Ok((name.unwrap_or_default(), schedule, tz))
    }

    pub async fn create_saved_report(&self, actor: &Actor, req: SaveReportRequest) -> Result<SavedReport> {
        if req.shared {
            self.check_share(actor)?;
        }
        let (name, schedule, _) = self.check_save(actor, &req, None).await?;
        let at = now();
        let r = SavedReport {
            id: new_id(),
            version: 1,
            name,
            owner_id: actor.user_id,
            shared: req.shared,
            definition: req.definition,
            schedule,
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "report", r.id, audit::created(&to_json(&r)));
        self.store.insert_saved_report(&r, &audit).await?;
        self.queue_report_send(&r).await?;
        Ok(r)
    }

    pub async fn update_saved_report(
        &self,
        actor: &Actor,
        id: Uuid,
        req: SaveReportRequest,
        if_match: Option<i64>,
    ) -> Result<SavedReport> {
        let current = self.own_report(actor, id).await?;
        check_version(if_match, current.version)?;
        if req.shared && !current.shared {
            self.check_share(actor)?;
        }
        let (name, schedule, _) = self.check_save(actor, &req, current.schedule.as_ref()).await?;
        let mut next = SavedReport {
            name,
            shared: req.shared,
            definition: req.definition,
            schedule,
            version: current.version + 1,
            updated_at: now(),
            ..current.clone()
        };
        next.version = current.version + 1;
        let audit = audit_entry(actor, "update", "report", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_saved_report(&next, current.version, &audit).await?;
        self.queue_report_send(&next).await?;
        Ok(next)
    }

    pub async fn delete_saved_report(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let current = self.own_report(actor, id).await?;
        let audit = audit_entry(actor, "delete", "report", id, audit::deleted(&to_json(&current)));
        self.store.delete_saved_report(id, &audit).await
    }

    /// The `report_builder.send` job: runs a scheduled report as its owner sees it now, mails
    /// it through the first active shared e-mail channel (the inbox's SMTP delivery), and
    /// queues the next send. A job for a time the schedule no longer holds does nothing.
    pub(crate) async fn run_report_send(&self, payload: &serde_json::Value) -> Result<()> {
        let id = payload
            .get("id")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| Error::invalid("payload.id", "missing"))?;
        let at: Option<DateTime<Utc>> = payload.get("at").and_then(|v| serde_json::from_value(v.clone()).ok());
        let Some(report) = self.store.get_saved_report(id).await? else { return Ok(()) };
        let Some(schedule) = report.schedule.clone() else { return Ok(()) };
        if at != Some(schedule.next_run_at) {
            return Ok(());
        }
        let owner =
            self.actor_for(report.owner_id, crate::authz::ActorKind::System).await?.ok_or(Error::NotFound("user"))?;
        let file = self.export_report(&owner, &report.definition, &schedule.format, &report.name).await?;
        let channel = self
            .store
            .list_channels()
            .await?
            .into_iter()
            .find(|c| {
                c.active
                    && c.kind == crate::domain::inbox::ChannelKind::Email
                    && c.owner_id.is_none()
                    && c.setting("smtp_host").is_some()
            })
            .ok_or_else(|| Error::conflict("channel", "no active shared e-mail channel to send reports through"))?;
        let from = channel.setting("from_address").unwrap_or(&channel.name).to_owned();
        let domain = from.rsplit('@').next().unwrap_or("clientele.local").to_owned();
        let email = crate::comms::OutgoingEmail {
            from_addr: from,
            from_name: Some("Clientele reports".into()),
            to: schedule.recipients.clone(),
            subject: format!("Report: {}", report.name),
            text: format!("The report \"{}\" is attached ({}).\n", report.name, file.file_name),
            message_id: format!("report-{}-{}@{domain}", report.id, schedule.next_run_at.timestamp()),
            attachments: vec![(file.file_name.clone(), file.content_type.to_owned(), file.bytes)],
            ..Default::default()
        };
        self.comms.mail.send(&channel, &email).await?;
        let mut next = report.clone();
        let tz = self.plan_report(&owner, &report.definition).await.map(|p| p.tz).unwrap_or(Tz::UTC);
        next.schedule = Some(ReportSchedule {
            next_run_at: next_run(schedule.every, tz, schedule.next_run_at.max(now())),
            ..schedule
        });
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(
            &owner,
            "send",
            "report",
            id,
            serde_json::json!({"sent_to": next.schedule.as_ref().map(|s| s.recipients.clone())}),
        );
        self.store.update_saved_report(&next, report.version, &audit).await?;
        self.queue_report_send(&next).await
    }

    /// Read-only users look but do not publish.
    fn check_share(&self, actor: &Actor) -> Result<()> {
        if actor.role == crate::domain::user::Role::Readonly {
            return Err(Error::Forbidden("read-only users cannot share reports".into()));
        }
        Ok(())
    }

    /// Queues the next e-mail of a scheduled report (one job per report and time).
    async fn queue_report_send(&self, r: &SavedReport) -> Result<()> {
        let Some(s) = &r.schedule else { return Ok(()) };
        let mut job = crate::domain::job::Job::new(
            SEND_JOB,
            serde_json::json!({"id": r.id, "at": s.next_run_at}),
            Some(r.owner_id),
            now(),
        );
        job.run_at = s.next_run_at;
        job.dedupe_key = Some(format!("{SEND_JOB}:{}:{}", r.id, s.next_run_at.timestamp()));
        self.store.enqueue(&job).await?;
        Ok(())
    }
}

fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn write_file(r: &ReportResult, format: &str) -> std::io::Result<Vec<u8>> {
    let header: Vec<String> = r.columns.iter().map(|c| c.label.clone()).collect();
    if format == "csv" {
        let mut w = clientele_io::CsvOut::new(Vec::new(), b',', true);
        w.write_row(&header)?;
        for row in &r.rows {
            w.write_row(row.iter().map(cell_text))?;
        }
        w.finish()
    } else {
        let mut w = clientele_io::XlsxOut::new("Report")?;
        w.write_header(&header)?;
        for row in &r.rows {
            w.write_row(row.iter().map(cell_text))?;
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_fall_at_seven_local() {
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        let after: DateTime<Utc> = "2026-03-04T05:00:00Z".parse().unwrap(); // 08:00 Wednesday in Moscow
        assert_eq!(next_run(ScheduleEvery::Day, tz, after).to_rfc3339(), "2026-03-05T04:00:00+00:00");
        assert_eq!(next_run(ScheduleEvery::Week, tz, after).to_rfc3339(), "2026-03-09T04:00:00+00:00");
        assert_eq!(next_run(ScheduleEvery::Month, tz, after).to_rfc3339(), "2026-04-01T04:00:00+00:00");
        let early: DateTime<Utc> = "2026-03-04T03:00:00Z".parse().unwrap(); // 06:00 in Moscow
        assert_eq!(next_run(ScheduleEvery::Day, tz, early).to_rfc3339(), "2026-03-04T04:00:00+00:00");
    }
}
