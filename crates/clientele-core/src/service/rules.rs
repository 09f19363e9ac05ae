//! Automation rules (issue 7): managing them (admins), running them on domain events and
//! time conditions, dry runs, lead distribution policies.
//!
//! Every action of a run has an effect key (`rule:<rule>:<cause>:<index>`): it is recorded in
//! the transaction of the action's change, so a run taken over from a dead worker, or
//! repeated by the time scan, never does an action twice. Changes an action makes carry the
//! rule's origin (depth and chain); a rule never runs on an event its own action caused,
//! and no chain of rules goes deeper than [`MAX_DEPTH`].

use chrono::{Duration, DurationRound, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::tasks::TASK_SORTS;
use super::users::to_json;
use super::{MoveRequest, Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, Scope, check_area};
use crate::domain::automation::DomainEvent;
use crate::domain::distribution::{self, Assignment, MemberState, Policy, PolicyDefinition};
use crate::domain::document::DocKind;
use crate::domain::page::PageRequest;
use crate::domain::rule::{self, ActionSpec, Recipient, Rule, RuleDefinition, RuleRun, RuleVersion, Trigger};
use crate::domain::task::{Related, RelatedType, TaskInput};
use crate::domain::{audit, new_id, now};
use crate::effects::{self, Origin};
use crate::error::{Error, Result};
use crate::store::TaskQuery;

/// No chain of rules triggering rules goes deeper.
pub const MAX_DEPTH: i64 = 5;

/// The job that looks for records meeting time triggers.
pub const TIME_SCAN_JOB: &str = "automation.time_scan";
/// The job that runs a `schedule` rule.
pub const SCHEDULED_RULE_JOB: &str = "automation.scheduled_rule";
/// A queued outgoing call of a rule's `call_webhook` action.
pub const CALL_JOB: &str = "automation.call";
/// A queued e-mail or text message of a rule.
pub const SEND_JOB: &str = "automation.send";

/// `POST /automations`, `PUT /automations/{id}`: a rule. The definition's fields sit beside
/// name, description and enabled.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RuleInput {
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[schema(value_type = Object)]
    pub trigger: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub conditions: Option<Value>,
    #[schema(value_type = Vec<Object>)]
    pub actions: Option<Value>,
}

/// A dry run: which records the rule would act on, and what it would do to each.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DryRun {
    pub rule_id: Uuid,
    pub checked: usize,
    pub matched: usize,
    pub runs: Vec<RuleRun>,
}

/// `POST /distribution-policies`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct PolicyInput {
    pub name: String,
    #[serde(flatten)]
    pub definition: PolicyDefinition,
}

struct Cause<'a> {
    event: Option<&'a DomainEvent>,
    /// The effect keys' stem: `rule:<id>:event:<event>` or `rule:<id>:deal:<id>:<stay>`.
    key: String,
    depth: i64,
    chain: Vec<Uuid>,
    job: Option<Uuid>,
}

fn system(rule: &Rule) -> Actor {
    Actor::system(&format!("automation: {}", rule.name))
}

fn uuid_at(v: &Value, path: &str) -> Option<Uuid> {
    rule::lookup(v, path).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

impl Services {
    // ---------------------------------------------------------------- managing rules

    fn rule_from_input(&self, input: RuleInput, base: Option<&Rule>) -> Result<(String, String, bool, RuleDefinition)> {
        let mut errors = Vec::new();
        let name = input.name.or(base.map(|r| r.name.clone())).map(|n| n.trim().to_owned()).unwrap_or_default();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(crate::FieldError::new("name", "is required (at most 200 characters)"));
        }
        let description = input.description.or(base.map(|r| r.description.clone())).unwrap_or_default();
        if description.chars().count() > 2000 {
            errors.push(crate::FieldError::new("description", "at most 2000 characters"));
        }
        let enabled = input.enabled.or(base.map(|r| r.enabled)).unwrap_or(true);
        let base_def = base.map(|r| to_json(&r.definition)).unwrap_or_else(|| json!({}));
        let mut def = Map::new();
        for (k, v) in [("trigger", input.trigger), ("conditions", input.conditions), ("actions", input.actions)] {
            match v.or_else(|| base_def.get(k).cloned()) {
                Some(v) => def.insert(k.to_owned(), v),
                None => None,
            };
        }
        let definition = match rule::parse_definition(&Value::Object(def)) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        match definition {
            Some(d) if errors.is_empty() => Ok((name, description, enabled, d)),
            _ => Err(Error::Validation(errors)),
        }
    }

    pub async fn create_rule(&self, actor: &Actor, input: RuleInput) -> Result<Rule> {
        check_area(actor, Area::Settings, Action::Update)?;
        let (name, description, enabled, definition) = self.rule_from_input(input, None)?;
        let at = now();
        let r = Rule {
            id: new_id(),
            version: 1,
            name,
            description,
            enabled,
            definition,
            created_by: actor.audit_id(),
            created_at: at,
            updated_at: at,
        };
        self.check_rule_refs(&r).await?;
        let a = audit_entry(actor, "create", "automation_rule", r.id, audit::created(&to_json(&r)));
        self.store.insert_rule(&r, &a).await?;
        self.rule_schedules(&r).await?;
        Ok(r)
    }

    pub async fn update_rule(&self, actor: &Actor, id: Uuid, input: RuleInput, if_match: Option<i64>) -> Result<Rule> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.store.get_rule(id).await?.ok_or(Error::NotFound("rule"))?;
        check_version(if_match, current.version)?;
        let (name, description, enabled, definition) = self.rule_from_input(input, Some(&current))?;
        let next = Rule {
            version: current.version + 1,
            name,
            description,
            enabled,
            definition,
            updated_at: now(),
            ..current.clone()
        };
        if (Rule { version: current.version, updated_at: current.updated_at, ..next.clone() }) == current {
            return Ok(current);
        }
        self.check_rule_refs(&next).await?;
        let a = audit_entry(actor, "update", "automation_rule", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_rule(&next, current.version, &a).await?;
        self.rule_schedules(&next).await?;
        Ok(next)
    }

    pub async fn delete_rule(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let current = self.store.get_rule(id).await?.ok_or(Error::NotFound("rule"))?;
        let a = audit_entry(actor, "delete", "automation_rule", id, audit::deleted(&to_json(&current)));
        if !self.store.delete_rule(id, now(), &a).await? {
            return Err(Error::NotFound("rule"));
        }
        self.store.delete_schedule(&format!("rule:{id}")).await?;
        Ok(())
    }

    pub async fn get_rule(&self, actor: &Actor, id: Uuid) -> Result<Rule> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.get_rule(id).await?.ok_or(Error::NotFound("rule"))
    }

    pub async fn list_rules(&self, actor: &Actor) -> Result<Vec<Rule>> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.list_rules().await
    }

    pub async fn rule_versions(&self, actor: &Actor, id: Uuid) -> Result<Vec<RuleVersion>> {
        self.get_rule(actor, id).await?;
        self.store.rule_versions(id).await
    }

    /// Runs of a rule, or of the rules on one record, newest first.
    pub async fn rule_runs(
        &self,
        actor: &Actor,
        rule_id: Option<Uuid>,
        entity: Option<(&str, Uuid)>,
        limit: Option<u32>,
    ) -> Result<Vec<RuleRun>> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.list_runs(rule_id, entity, limit.unwrap_or(50).clamp(1, 500)).await
    }

    /// Stages, users and policies a rule names must exist.
    async fn check_rule_refs(&self, r: &Rule) -> Result<()> {
        let mut p = crate::error::Problems::new();
        let pipelines = self.store.list_pipelines().await?;
        let stage_exists = |id: Uuid| pipelines.iter().any(|pl| pl.stage(id).is_some());
        if let Trigger::StageTimeExceeded { stage_id: Some(s), .. } = &r.definition.trigger
            && !stage_exists(*s)
        {
            p.add("trigger.stage_id", "no such stage");
        }
        if let Trigger::StageTimeExceeded { pipeline_id: Some(pl), .. } = &r.definition.trigger
            && !pipelines.iter().any(|x| x.id == *pl)
        {
            p.add("trigger.pipeline_id", "no such pipeline");
        }
        for (i, a) in r.definition.actions.iter().enumerate() {
            let users: Vec<(String, Uuid)> = match a {
                ActionSpec::CreateTask { assignee: Recipient::User { user_id }, .. } => {
                    vec![(format!("actions[{i}].assignee.user_id"), *user_id)]
                }
                ActionSpec::Notify { recipients, .. } => recipients
                    .iter()
                    .enumerate()
                    .filter_map(|(j, r)| match r {
                        Recipient::User { user_id } => {
                            Some((format!("actions[{i}].recipients[{j}].user_id"), *user_id))
                        }
                        Recipient::Role(_) => None,
                    })
                    .collect(),
                ActionSpec::AssignOwner { user_id: Some(u), .. } => vec![(format!("actions[{i}].user_id"), *u)],
                _ => vec![],
            };
            for (field, u) in users {
                if self.store.get_user(u).await?.is_none_or(|u| !u.active) {
                    p.add(field, "no such active user");
                }
            }
            match a {
                ActionSpec::MoveStage { stage_id } if !stage_exists(*stage_id) => {
                    p.add(format!("actions[{i}].stage_id"), "no such stage")
                }
                ActionSpec::AssignOwner { policy: Some(name), .. }
                    if self.store.get_policy_by_name(name).await?.is_none() =>
                {
                    p.add(format!("actions[{i}].policy"), "no such distribution policy")
                }
                _ => {}
            }
        }
        p.into_result()
    }

    /// Time triggers need the periodic scan; schedule triggers their own schedule.
    async fn rule_schedules(&self, r: &Rule) -> Result<()> {
        match &r.definition.trigger {
            Trigger::Event { .. } => {}
            Trigger::Schedule { cron, .. } => {
                self.set_schedule(&format!("rule:{}", r.id), cron, SCHEDULED_RULE_JOB, json!({"id": r.id})).await?;
            }
            _ => {
                self.set_schedule("automation.time_scan", "*/5 * * * *", TIME_SCAN_JOB, json!({})).await?;
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- running rules

    /// The record a rule looks at, as JSON, with its owner (`owner.name`, `owner.team_id`)
    /// and `entity_type`; `None` when it is gone.
    async fn subject(&self, entity: &str, id: Uuid) -> Result<Option<Value>> {
        let record = match entity {
            "deal" => self.store.get_deal(id).await?.map(|r| to_json(&r)),
            "lead" => self.store.get_lead(id).await?.map(|r| to_json(&r)),
            "contact" => self.store.get_contact(id).await?.map(|r| to_json(&r)),
            "company" => self.store.get_company(id).await?.map(|r| to_json(&r)),
            "task" => self.store.get_task(id).await?.map(|r| to_json(&r)),
            _ => None,
        };
        let Some(mut v) = record.filter(|v| v.get("deleted_at").is_none_or(Value::is_null)) else { return Ok(None) };
        let owner_field = if entity == "task" { "assignee_id" } else { "owner_id" };
        let owner = match uuid_at(&v, owner_field) {
            Some(o) => self
                .store
                .get_user(o)
                .await?
                .map(|u| json!({"id": u.id, "name": u.name, "email": u.email, "team_id": u.team_id})),
            None => None,
        };
        v["owner"] = owner.unwrap_or(Value::Null);
        v["entity_type"] = json!(entity);
        Ok(Some(v))
    }

    /// The job `automation.event`: every rule listening to the event's type.
    pub(crate) async fn run_event_rules(&self, event_id: Uuid, job: Uuid) -> Result<()> {
        let Some(ev) = self.store.get_event(event_id).await? else { return Err(Error::NotFound("event")) };
        for r in self.store.rules_for_event(&ev.event_type).await? {
            let (entity, id) = match ev.event_type.as_str() {
                // An inbound message acts on its lead, else its contact.
                "message.received" => match (uuid_at(&ev.data, "lead_id"), uuid_at(&ev.data, "contact_id")) {
                    (Some(l), _) => ("lead".to_owned(), l),
                    (None, Some(c)) => ("contact".to_owned(), c),
                    _ => continue,
                },
                _ => (ev.entity_type.clone(), ev.entity_id),
            };
            let cause = Cause {
                event: Some(&ev),
                key: format!("rule:{}:event:{}", r.id, ev.id),
                depth: ev.depth,
                chain: ev.chain.clone(),
                job: Some(job),
            };
            self.run_rule(&r, &entity, id, &cause, false).await?;
        }
        Ok(())
    }

    /// Runs one rule on one record (or previews it, `dry`), logs the run and returns it.
    async fn run_rule(&self, r: &Rule, entity: &str, id: Uuid, cause: &Cause<'_>, dry: bool) -> Result<RuleRun> {
        let mut run = RuleRun {
            id: new_id(),
            rule_id: r.id,
            rule_version: r.version,
            event_id: cause.event.map(|e| e.id),
            entity_type: entity.to_owned(),
            entity_id: id,
            status: "done".into(),
            depth: cause.depth,
            actions: vec![],
            error: None,
            created_at: now(),
        };
        let log = |run: RuleRun| async move {
            if !dry {
                self.store.insert_run(&run).await?;
            }
            Ok::<RuleRun, Error>(run)
        };
        if cause.chain.contains(&r.id) || cause.depth >= MAX_DEPTH {
            run.status = "loop_prevented".into();
            run.error = Some(if cause.chain.contains(&r.id) {
                "the event was caused by this rule's own actions".into()
            } else {
                format!("rules triggered by rules stop at depth {MAX_DEPTH}")
            });
            return log(run).await;
        }
        let Some(mut subject) = self.subject(entity, id).await? else {
            run.status = "not_found".into();
            return log(run).await;
        };
        if let Some(ev) = cause.event {
            let mut e = ev.data.clone();
            e["type"] = json!(ev.event_type);
            e["actor_id"] = json!(ev.actor_id);
            subject["event"] = e;
        }
        if let Some(c) = &r.definition.conditions
            && !rule::evaluate(c, &subject)
        {
            run.status = "not_matched".into();
            return log(run).await;
        }
        if dry {
            run.status = "dry_run".into();
            run.actions = r
                .definition
                .actions
                .iter()
                .map(|a| json!({"action": a.name(), "outcome": "would_run", "detail": preview(a, &subject)}))
                .collect();
            return Ok(run);
        }
        let origin = Origin {
            depth: u32::try_from(cause.depth + 1).unwrap_or(u32::MAX),
            chain: cause.chain.iter().copied().chain([r.id]).collect(),
        };
        let actor = system(r);
        for (i, a) in r.definition.actions.iter().enumerate() {
            let key = format!("{}:{i}", cause.key);
            if self.store.effect_done(&key).await? {
                run.actions.push(json!({"action": a.name(), "outcome": "skipped", "detail": "done by an earlier run"}));
                continue;
            }
            let done = effects::with_effect(
                Some(key.clone()),
                cause.job,
                origin.clone(),
                Box::pin(self.act(r, &actor, a, entity, id, &subject, &key)),
            )
            .await;
            match done {
                Ok(detail) => run.actions.push(json!({"action": a.name(), "outcome": "done", "detail": detail})),
                Err(e) if effects::is_effect_done(&e) => run
                    .actions
                    .push(json!({"action": a.name(), "outcome": "skipped", "detail": "done by an earlier run"})),
                Err(e @ Error::Internal(_)) => return Err(e),
                Err(e) => {
                    run.actions.push(json!({"action": a.name(), "outcome": "failed", "detail": e.to_string()}));
                    run.status = "failed".into();
                    run.error = Some(format!("action {} ({}) failed: {e}", i + 1, a.name()));
                    break;
                }
            }
        }
        log(run).await
    }

    /// Does one action; returns what it did, for the run log.
    #[allow(clippy::too_many_arguments)]
    async fn act(
        &self,
        r: &Rule,
        actor: &Actor,
        a: &ActionSpec,
        entity: &str,
        id: Uuid,
        subject: &Value,
        key: &str,
    ) -> Result<Value> {
        let related = || -> Result<Option<Related>> {
            Ok(match entity {
                "deal" => Some(Related { kind: RelatedType::Deal, id }),
                "lead" => Some(Related { kind: RelatedType::Lead, id }),
                "contact" => Some(Related { kind: RelatedType::Contact, id }),
                "company" => Some(Related { kind: RelatedType::Company, id }),
                _ => None,
            })
        };
        let wrong = |what: &str| Error::invalid("entity_type", format!("{what} does not apply to a {entity}"));
        match a {
            ActionSpec::CreateTask { title, description, kind, assignee, due_in_hours, priority } => {
                let assignee_id = self
                    .recipient(assignee, subject)?
                    .ok_or_else(|| Error::invalid("assignee", "the record has no owner"))?;
                let input = TaskInput {
                    kind: kind.clone(),
                    kind_label: None,
                    title: Some(rule::render(title, subject)),
                    description: description.as_ref().map(|d| rule::render(d, subject)),
                    due_at: due_in_hours.map(|h| {
                        (now() + Duration::hours(h))
                            .duration_trunc(Duration::minutes(1))
                            .unwrap_or_else(|_| now())
                            .to_rfc3339()
                    }),
                    due_date: None,
                    all_day: None,
                    time_zone: None,
                    duration_minutes: None,
                    reminders: None,
                    assignee_id: Some(assignee_id),
                    related: related()?,
                    priority: priority.clone(),
                    recurrence: None,
                    contact_ids: None,
                };
                let t = self.create_task(actor, input).await?;
                Ok(json!({"task_id": t.task.id, "title": t.task.title, "assignee_id": assignee_id}))
            }
            ActionSpec::Notify { recipients, text } => {
                let text = rule::render(text, subject);
                let mut sent = Vec::new();
                for rcp in recipients {
                    let Some(user) = self.recipient(rcp, subject)? else { continue };
                    let link = link_of(entity, id);
                    if let Some(n) = self
                        .notification(
                            user,
                            "automation",
                            text.clone(),
                            Some(r.name.clone()),
                            link,
                            json!({"rule": r.name}),
                            None,
                        )
                        .await?
                    {
                        self.store.insert_notification_once(&n.notification, &format!("{key}:{user}")).await?;
                        sent.push(user);
                    }
                }
                Ok(json!({"notified": sent}))
            }
            ActionSpec::SetField { field, value } => {
                let patch = field_patch(field, value.clone(), subject);
                self.patch_record(actor, entity, id, patch).await?;
                Ok(json!({"field": field, "value": value}))
            }
            ActionSpec::AddTag { tag } | ActionSpec::RemoveTag { tag } => {
                let mut tags: Vec<String> =
                    subject.get("tags").and_then(|t| serde_json::from_value(t.clone()).ok()).unwrap_or_default();
                let add = matches!(a, ActionSpec::AddTag { .. });
                let has = tags.iter().any(|t| t.eq_ignore_ascii_case(tag));
                if add == has {
                    return Ok(json!({"tag": tag, "changed": false}));
                }
                if add {
                    tags.push(tag.clone());
                } else {
                    tags.retain(|t| !t.eq_ignore_ascii_case(tag));
                }
                let mut patch = Map::new();
                patch.insert("tags".into(), json!(tags));
                self.patch_record(actor, entity, id, patch).await?;
                Ok(json!({"tag": tag, "changed": true}))
            }
            ActionSpec::AssignOwner { user_id, policy } => {
                let previous = uuid_at(subject, "owner_id");
                let (user, pol) = match (user_id, policy) {
                    (Some(u), _) => (*u, None),
                    (None, Some(name)) => {
                        let pol = self
                            .store
                            .get_policy_by_name(name)
                            .await?
                            .ok_or_else(|| Error::invalid("policy", format!("no distribution policy `{name}`")))?;
                        let hot = subject.get("temperature").and_then(Value::as_str) == Some("hot");
                        (self.pick(&pol, hot, previous).await?, Some(pol))
                    }
                    (None, None) => return Err(Error::invalid("user_id", "give either user_id or policy")),
                };
                if Some(user) == previous {
                    return Ok(json!({"owner_id": user, "changed": false}));
                }
                let mut patch = Map::new();
                patch.insert("owner_id".into(), json!(user));
                self.patch_record(actor, entity, id, patch).await?;
                if let Some(pol) = pol {
                    self.store
                        .record_assignment(&Assignment {
                            id: new_id(),
                            policy_id: pol.id,
                            user_id: user,
                            entity_type: entity.to_owned(),
                            entity_id: id,
                            assigned_at: now(),
                        })
                        .await?;
                }
                let name = subject
                    .get("title")
                    .or(subject.get("name"))
                    .or(subject.get("display_name"))
                    .map(|v| rule::render("{{x}}", &json!({"x": v})))
                    .unwrap_or_default();
                for (who, text) in [
                    (Some(user), format!("{name} was assigned to you by the rule “{}”", r.name)),
                    (previous, format!("{name} was reassigned by the rule “{}”", r.name)),
                ] {
                    let Some(who) = who else { continue };
                    if let Some(n) = self
                        .notification(
                            who,
                            "client_transferred",
                            text,
                            Some(r.name.clone()),
                            link_of(entity, id),
                            json!({"rule": r.name}),
                            None,
                        )
                        .await?
                    {
                        self.store.insert_notification_once(&n.notification, &format!("{key}:{who}")).await?;
                    }
                }
                Ok(json!({"owner_id": user, "previous_owner_id": previous, "changed": true}))
            }
            ActionSpec::MoveStage { stage_id } => {
                if entity != "deal" {
                    return Err(wrong("move_stage"));
                }
                let req = MoveRequest { stage_id: *stage_id, pipeline_id: None, loss_reason_id: None, loss_note: None };
                let pipelines = self.store.list_pipelines().await?;
                let pipeline_id = pipelines.iter().find(|p| p.stage(*stage_id).is_some()).map(|p| p.id);
                let d = self.move_deal(actor, id, MoveRequest { pipeline_id, ..req }, None).await?;
                Ok(json!({"stage_id": d.deal.stage_id}))
            }
            ActionSpec::CreateDealFromLead { pipeline_id } => {
                if entity != "lead" {
                    return Err(wrong("create_deal_from_lead"));
                }
                let req: super::leads::ConvertRequest = serde_json::from_value(json!({"pipeline_id": pipeline_id}))
                    .map_err(|e| Error::invalid("pipeline_id", e.to_string()))?;
                let res = self.convert_lead(actor, id, req, None).await?;
                Ok(to_json(&res))
            }
            ActionSpec::CreateInvoice { notes } => {
                if entity != "deal" {
                    return Err(wrong("create_invoice"));
                }
                let req = super::CreateDocumentRequest {
                    deal_id: id,
                    due_date: None,
                    language: None,
                    payment_terms: None,
                    notes: notes.clone(),
                };
                let doc = self.create_document(actor, DocKind::Invoice, req).await?;
                Ok(json!({"invoice_id": doc.document.id, "number": doc.document.number}))
            }
            ActionSpec::CallWebhook { url } => {
                let mut job = crate::domain::job::Job::new(
                    CALL_JOB,
                    json!({"url": url, "rule_id": r.id, "rule": r.name, "record": subject, "key": key}),
                    None,
                    now(),
                );
                job.dedupe_key = Some(key.to_owned());
                let jid = self.store.enqueue(&job).await?;
                self.wake.notify_one();
                Ok(json!({"job_id": jid}))
            }
            ActionSpec::SendEmail { template_id } => {
                self.queue_send(
                    key,
                    json!({"channel": "email", "template_id": template_id, "entity": entity, "id": id}),
                )
                .await
            }
            ActionSpec::SendSms { text } => {
                self.queue_send(
                    key,
                    json!({"channel": "sms", "text": rule::render(text, subject), "entity": entity, "id": id}),
                )
                .await
            }
        }
    }

    async fn queue_send(&self, key: &str, payload: Value) -> Result<Value> {
        let mut job = crate::domain::job::Job::new(SEND_JOB, payload, None, now());
        job.dedupe_key = Some(key.to_owned());
        let jid = self.store.enqueue(&job).await?;
        self.wake.notify_one();
        Ok(json!({"job_id": jid, "queued": true}))
    }

    fn recipient(&self, r: &Recipient, subject: &Value) -> Result<Option<Uuid>> {
        Ok(match r {
            Recipient::User { user_id } => Some(*user_id),
            Recipient::Role(role) if role == "owner" => uuid_at(subject, "owner.id"),
            Recipient::Role(_) => uuid_at(subject, "event.actor_id").or(uuid_at(subject, "owner.id")),
        })
    }

    async fn patch_record(&self, actor: &Actor, entity: &str, id: Uuid, patch: Map<String, Value>) -> Result<()> {
        match entity {
            "deal" => self.update_deal(actor, id, patch, None).await.map(|_| ()),
            "lead" => self.update_lead(actor, id, patch, None).await.map(|_| ()),
            "contact" => self.update_contact(actor, id, patch, None, true).await.map(|_| ()),
            "company" => self.update_company(actor, id, patch, None, true).await.map(|_| ()),
            other => Err(Error::invalid("entity_type", format!("fields of a {other} are not set by rules"))),
        }
    }

    /// The next member of a policy for a record (`exclude`: its current owner).
    pub(crate) async fn pick(&self, pol: &Policy, hot: bool, exclude: Option<Uuid>) -> Result<Uuid> {
        let ids: Vec<Uuid> = pol.definition.members.iter().map(|m| m.user_id).collect();
        let at = now();
        let day = at.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(at);
        let load = self.store.open_load(&ids).await?;
        let today = self.store.assignments_since(&ids, day).await?;
        let mut state = Vec::new();
        for id in &ids {
            let active = self.store.get_user(*id).await?.is_some_and(|u| u.active);
            let of = |l: &[(Uuid, i64)]| l.iter().find(|(u, _)| u == id).map_or(0, |(_, n)| *n);
            state.push(MemberState { user_id: *id, active, load: of(&load), today: of(&today) });
        }
        let cursor = self.store.next_rr(pol.id).await?;
        distribution::choose(&pol.definition, &state, cursor, hot, exclude, at.with_timezone(&Utc)).ok_or_else(|| {
            Error::conflict(
                "policy",
                format!("nobody in `{}` can take it now (working hours, absence, caps)", pol.name),
            )
        })
    }

    // ---------------------------------------------------------------- time triggers

    /// The job `automation.time_scan`: records meeting the time triggers of enabled rules.
    /// Each (rule, record, occasion) runs once: a deal's stay in its stage, a task's due time.
    pub(crate) async fn run_time_scan(&self, job: Uuid) -> Result<()> {
        for r in self.store.list_rules().await?.into_iter().filter(|r| r.enabled) {
            for (entity, id, occasion) in self.time_candidates(&r).await? {
                let key = format!("rule:{}:{entity}:{id}:{occasion}", r.id);
                let fired = format!("{key}:fired");
                if self.store.effect_done(&fired).await? {
                    continue;
                }
                let cause = Cause { event: None, key, depth: 0, chain: vec![], job: Some(job) };
                let run = self.run_rule(&r, &entity, id, &cause, false).await?;
                if run.status != "not_matched" {
                    self.store.mark_effect(&fired, Some(job)).await?;
                }
            }
        }
        Ok(())
    }

    /// The job of a `schedule` rule: every record of its entity that meets its conditions.
    pub(crate) async fn run_scheduled_rule(&self, rule_id: Uuid, job: Uuid) -> Result<()> {
        let Some(r) = self.store.get_rule(rule_id).await?.filter(|r| r.enabled) else { return Ok(()) };
        let Trigger::Schedule { entity, .. } = &r.definition.trigger else { return Ok(()) };
        for id in self.records_of(entity, 1000).await? {
            let cause = Cause {
                event: None,
                key: format!("rule:{}:job:{job}:{id}", r.id),
                depth: 0,
                chain: vec![],
                job: Some(job),
            };
            self.run_rule(&r, entity, id, &cause, false).await?;
        }
        Ok(())
    }

    /// `(entity, id, occasion)` for each record meeting a rule's time trigger now.
    async fn time_candidates(&self, r: &Rule) -> Result<Vec<(String, Uuid, String)>> {
        let at = now();
        let mut out = Vec::new();
        match &r.definition.trigger {
            Trigger::StageTimeExceeded { pipeline_id, stage_id, days } => {
                for pl in self.store.list_pipelines().await? {
                    if pipeline_id.is_some_and(|p| p != pl.id) {
                        continue;
                    }
                    for st in &pl.stages {
                        if stage_id.is_some_and(|s| s != st.id) {
                            continue;
                        }
                        let Some(limit) = days.or(st.time_limit_days.map(i64::from)) else { continue };
                        for d in self.store.deals_in_stage_since(st.id, at - Duration::days(limit), 1000).await? {
                            out.push((
                                "deal".to_owned(),
                                d.id,
                                format!("stay:{}", d.stage_entered_at.timestamp_micros()),
                            ));
                        }
                    }
                }
            }
            Trigger::TaskOverdue { days } => {
                let page = PageRequest::parse(Some(500), None, Some("due_at"), TASK_SORTS, "due_at")
                    .map_err(Error::Validation)?;
                let q = TaskQuery {
                    scope: Scope::All,
                    me: Uuid::nil(),
                    unscoped: true,
                    assignees: None,
                    created_by: None,
                    statuses: vec![],
                    due_from: None,
                    due_before: None,
                    overdue_at: Some(at - Duration::days(*days)),
                    related: None,
                    group_id: None,
                    kinds: vec![],
                    terms: vec![],
                    page,
                };
                for t in self.store.list_tasks(&q).await?.data {
                    let due = t.due_at.map(|d| d.timestamp()).unwrap_or_default();
                    out.push(("task".to_owned(), t.id, format!("due:{due}")));
                }
            }
            Trigger::DateApproaching { entity, field, days_before, yearly } => {
                let target = (at + Duration::days(*days_before)).date_naive();
                for id in self.records_of(entity, 5000).await? {
                    let Some(s) = self.subject(entity, id).await? else { continue };
                    let Some(date) = rule::lookup(&s, field)
                        .and_then(Value::as_str)
                        .and_then(|d| chrono::NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d").ok())
                    else {
                        continue;
                    };
                    use chrono::Datelike;
                    let hit = if *yearly {
                        (date.month(), date.day()) == (target.month(), target.day())
                    } else {
                        date == target
                    };
                    if hit {
                        out.push((entity.clone(), id, format!("date:{target}")));
                    }
                }
            }
            Trigger::Event { .. } | Trigger::Schedule { .. } => {}
        }
        Ok(out)
    }

    /// Ids of live records of an entity (newest first, at most `limit`).
    async fn records_of(&self, entity: &str, limit: u32) -> Result<Vec<Uuid>> {
        self.store.record_ids(entity, limit).await
    }

    // ---------------------------------------------------------------- dry runs

    /// What a rule would do: for event rules, to the latest records of its entity; for
    /// time rules, to the records meeting the trigger now. Nothing is changed or logged.
    pub async fn dry_run(&self, actor: &Actor, id: Uuid, limit: Option<u32>) -> Result<DryRun> {
        let r = self.get_rule(actor, id).await?;
        let limit = limit.unwrap_or(50).clamp(1, 500);
        let candidates: Vec<(String, Uuid)> = match &r.definition.trigger {
            Trigger::Event { event } => {
                let entity = if event == "message.received" {
                    "lead".to_owned()
                } else {
                    event.split('.').next().unwrap_or_default().to_owned()
                };
                self.records_of(&entity, limit).await?.into_iter().map(|id| (entity.clone(), id)).collect()
            }
            Trigger::Schedule { entity, .. } => {
                self.records_of(entity, limit).await?.into_iter().map(|id| (entity.clone(), id)).collect()
            }
            _ => self.time_candidates(&r).await?.into_iter().take(limit as usize).map(|(e, id, _)| (e, id)).collect(),
        };
        let mut runs = Vec::new();
        for (entity, id) in &candidates {
            let cause = Cause { event: None, key: String::new(), depth: 0, chain: vec![], job: None };
            runs.push(self.run_rule(&r, entity, *id, &cause, true).await?);
        }
        let matched = runs.iter().filter(|r| r.status == "dry_run").count();
        Ok(DryRun { rule_id: r.id, checked: runs.len(), matched, runs })
    }

    // ---------------------------------------------------------------- distribution policies

    pub async fn list_policies(&self, actor: &Actor) -> Result<Vec<Policy>> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.list_policies().await
    }

    /// Adds a policy, or replaces the one with the same name.
    pub async fn save_policy(&self, actor: &Actor, input: PolicyInput) -> Result<Policy> {
        check_area(actor, Area::Settings, Action::Update)?;
        let mut errors = distribution::validate(&input.definition);
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(crate::FieldError::new("name", "is required (at most 100 characters)"));
        }
        for (i, m) in input.definition.members.iter().enumerate() {
            if self.store.get_user(m.user_id).await?.is_none() {
                errors.push(crate::FieldError::new(format!("members[{i}].user_id"), "no such user"));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let at = now();
        let existing = self.store.get_policy_by_name(&name).await?;
        let p = Policy {
            id: existing.as_ref().map_or_else(new_id, |p| p.id),
            version: existing.as_ref().map_or(1, |p| p.version + 1),
            name,
            definition: input.definition,
            created_at: existing.as_ref().map_or(at, |p| p.created_at),
            updated_at: at,
        };
        let changes = match &existing {
            Some(e) => audit::diff(&to_json(e), &to_json(&p)),
            None => audit::created(&to_json(&p)),
        };
        let a = audit_entry(
            actor,
            if existing.is_some() { "update" } else { "create" },
            "distribution_policy",
            p.id,
            changes,
        );
        self.store.save_policy(&p, existing.map(|e| e.version), &a).await?;
        Ok(p)
    }

    pub async fn delete_policy(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let a = audit_entry(actor, "delete", "distribution_policy", id, json!({}));
        if !self.store.delete_policy(id, &a).await? {
            return Err(Error::NotFound("policy"));
        }
        Ok(())
    }
}

fn link_of(entity: &str, id: Uuid) -> Option<String> {
    match entity {
        "deal" => Some(format!("/deals/{id}")),
        "lead" => Some(format!("/leads/{id}")),
        "contact" => Some(format!("/contacts/{id}")),
        "company" => Some(format!("/companies/{id}")),
        "task" => Some(format!("/tasks/{id}")),
        _ => None,
    }
}

/// `{field: value}`, or for `custom_fields.<key>` the record's custom fields with that one changed.
fn field_patch(field: &str, value: Value, subject: &Value) -> Map<String, Value> {
    let mut patch = Map::new();
    match field.strip_prefix("custom_fields.") {
        Some(key) => {
            let mut cf = subject.get("custom_fields").and_then(Value::as_object).cloned().unwrap_or_default();
            cf.insert(key.to_owned(), value);
            patch.insert("custom_fields".into(), Value::Object(cf));
        }
        None => {
            patch.insert(field.to_owned(), value);
        }
    }
    patch
}

/// What an action would do, in words (dry runs).
fn preview(a: &ActionSpec, subject: &Value) -> Value {
    match a {
        ActionSpec::CreateTask { title, .. } => json!({"title": rule::render(title, subject)}),
        ActionSpec::Notify { text, .. } => json!({"text": rule::render(text, subject)}),
        ActionSpec::SendSms { text } => json!({"text": rule::render(text, subject)}),
        other => to_json(other),
    }
}

impl Services {
    /// The job of a rule's `call_webhook`: a JSON POST; anything but 2xx is retried with
    /// the queue's backoff.
    pub(crate) async fn run_rule_call(&self, payload: &Value) -> Result<()> {
        let url = payload.get("url").and_then(Value::as_str).ok_or_else(|| Error::invalid("payload.url", "missing"))?;
        let key = payload.get("key").and_then(Value::as_str).unwrap_or_default();
        let body = serde_json::to_vec(&json!({
            "rule_id": payload.get("rule_id"),
            "rule": payload.get("rule"),
            "record": payload.get("record"),
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        let headers = vec![("x-clientele-delivery".to_owned(), key.to_owned())];
        let reply =
            self.comms().http.post_json(url, &headers, &body).await.map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
        if (200..300).contains(&reply.status) {
            Ok(())
        } else {
            Err(Error::Internal(anyhow::anyhow!("{url} answered {}", reply.status)))
        }
    }

    /// The job of a rule's `send_email` / `send_sms`: a message to the record's contact
    /// through the first channel of that kind that sends (the inbox queues and sends it).
    pub(crate) async fn run_rule_send(&self, payload: &Value) -> Result<()> {
        let kind = payload.get("channel").and_then(Value::as_str).unwrap_or("email");
        let entity = payload.get("entity").and_then(Value::as_str).unwrap_or_default();
        let id = uuid_at(payload, "id").ok_or_else(|| Error::invalid("payload.id", "missing"))?;
        let subject = self.subject(entity, id).await?.ok_or(Error::NotFound("record"))?;
        let (contact_id, deal_id) = match entity {
            "contact" => (Some(id), None),
            "deal" => (uuid_at(&subject, "contact_id"), Some(id)),
            _ => (None, None),
        };
        let holder = match contact_id {
            Some(c) => self.subject("contact", c).await?.unwrap_or(Value::Null),
            None => subject.clone(),
        };
        let to = if kind == "email" {
            rule::lookup(&holder, "emails.0.address").and_then(Value::as_str)
        } else {
            rule::lookup(&holder, "phones.0.e164")
                .and_then(Value::as_str)
                .or(rule::lookup(&holder, "phones.0.number").and_then(Value::as_str))
        }
        .ok_or_else(|| {
            Error::invalid(
                "to",
                format!("the record has no {}", if kind == "email" { "e-mail address" } else { "phone number" }),
            )
        })?
        .to_owned();
        let channel = self
            .store
            .list_channels()
            .await?
            .into_iter()
            .find(|c| c.active && c.kind.as_str() == kind)
            .ok_or_else(|| Error::invalid("channel", format!("no active {kind} channel to send through")))?;
        let reply: super::inbox::ReplyRequest = serde_json::from_value(json!({
            "text": payload.get("text"),
            "template_id": payload.get("template_id"),
            "deal_id": deal_id,
        }))
        .map_err(|e| Error::invalid("payload", e.to_string()))?;
        let req = super::ComposeRequest { channel_id: channel.id, to, contact_id, reply };
        self.compose(&Actor::system("automation"), req).await?;
        Ok(())
    }
}
