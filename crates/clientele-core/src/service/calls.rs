//! Telephony: call events from the PBX (ringing, answered, ended, missed) become calls
//! matched to the client by number (or a lead), shown live to the manager whose phone rang
//! (the screen pop), logged with duration and recording; click-to-call asks the PBX to dial.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::Services;
use super::inbox::{Incoming, TimelineEntry};
use crate::authz::{Action, Actor, Area, check_area};
use crate::comms::{CallEvent, InboundRequest, SendError};
use crate::domain::activity::{ActivityKind, CallResult};
use crate::domain::inbox::{Call, CallStatus, Channel, ChannelKind, Direction};
use crate::domain::task::{Related, RelatedType, TaskInput};
use crate::domain::{new_id, now};
use crate::error::{Error, Result};

/// A call with the names the screen pop shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallView {
    #[serde(flatten)]
    pub call: Call,
    /// The client's number (the caller of an inbound call, the callee of an outbound one).
    pub number: String,
    pub client_name: Option<String>,
    /// Where the client's card is in the web UI.
    pub client_link: Option<String>,
}

/// `POST /calls/dial`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DialRequest {
    pub number: String,
    /// The phone channel (default: the first active one that maps the caller's extension).
    #[serde(default)]
    pub channel_id: Option<Uuid>,
}

/// The users map of a phone channel: extension or number → user.
fn user_of(ch: &Channel, keys: &[&str]) -> Option<Uuid> {
    let map = ch.settings.get("users")?.as_object()?;
    keys.iter().find_map(|k| map.get(*k).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()))
}

fn extension_of(ch: &Channel, user: Uuid) -> Option<String> {
    let map = ch.settings.get("users")?.as_object()?;
    map.iter().find(|(_, v)| v.as_str() == Some(user.to_string().as_str())).map(|(k, _)| k.clone())
}

impl Services {
    /// The PBX's webhook: verified and parsed by the channel's adapter; each event applied.
    pub async fn call_webhook(&self, key: &str, req: &InboundRequest) -> Result<Vec<Call>> {
        let ch = self.hook_channel(key, ChannelKind::Phone).await?;
        let adapter = self.comms.pbx_adapter(&ch.provider).ok_or(Error::NotFound("channel"))?.clone();
        if !adapter.verify(&ch, req) {
            return Err(Error::Unauthenticated("the webhook signature does not check out".into()));
        }
        let mut out = Vec::new();
        for ev in adapter.parse(&ch, req)? {
            out.push(self.apply_call_event(&ch, ev).await?);
        }
        Ok(out)
    }

    async fn apply_call_event(&self, ch: &Channel, ev: CallEvent) -> Result<Call> {
        let at = ev.at.unwrap_or_else(now);
        let existing = self.store.call_by_external(ch.id, &ev.call_id).await?;
        let insert = existing.is_none();
        let mut call = match existing {
            Some(c) => c,
            None => {
                let peer_raw = if ev.direction == Direction::Inbound { &ev.from } else { &ev.to };
                let peer = self.e164(peer_raw);
                let ours = if ev.direction == Direction::Inbound { &ev.to } else { &ev.from };
                let mut keys: Vec<&str> = ev.extension.iter().map(String::as_str).collect();
                keys.push(ours);
                let user = user_of(ch, &keys);
                let (contact_id, company_id, owner) = self.match_client(peer.as_deref(), None).await?;
                let lead_id = if contact_id.is_none() && company_id.is_none() && ev.direction == Direction::Inbound {
                    let inc = Incoming {
                        peer: peer.clone().unwrap_or_else(|| peer_raw.clone()),
                        phone: peer.clone(),
                        text: String::new(),
                        ..Incoming::default()
                    };
                    Some(self.lead_from(ch, &inc, user.or(ch.assignee_id)).await?)
                } else {
                    None
                };
                Call {
                    id: new_id(),
                    version: 1,
                    channel_id: ch.id,
                    external_id: ev.call_id.clone(),
                    direction: ev.direction,
                    from_number: self.e164(&ev.from).unwrap_or_else(|| ev.from.clone()),
                    to_number: self.e164(&ev.to).unwrap_or_else(|| ev.to.clone()),
                    status: CallStatus::Ringing,
                    user_id: user.or(owner).or(ch.assignee_id),
                    contact_id,
                    company_id,
                    lead_id,
                    conversation_id: None,
                    started_at: at,
                    answered_at: None,
                    ended_at: None,
                    duration_seconds: None,
                    recording_url: None,
                    task_id: None,
                    created_at: now(),
                    updated_at: now(),
                }
            }
        };
        let before = call.status;
        call.status = before.advance(ev.event);
        match ev.event {
            CallStatus::Answered => call.answered_at = call.answered_at.or(Some(at)),
            CallStatus::Ended | CallStatus::Missed => {
                call.ended_at = call.ended_at.or(Some(at));
                call.duration_seconds = ev
                    .duration_seconds
                    .or(call.duration_seconds)
                    .or_else(|| call.answered_at.map(|a| (at - a).num_seconds().max(0)));
            }
            CallStatus::Ringing => {}
        }
        // An ended call nobody answered is a missed one.
        if call.status == CallStatus::Ended && call.answered_at.is_none() {
            call.status = CallStatus::Missed;
        }
        if let Some(r) = ev.recording_url.filter(|r| r.starts_with("https://") || r.starts_with("http://")) {
            call.recording_url = Some(r.chars().take(2000).collect());
        }
        call.version += 1;
        call.updated_at = now();
        self.store.save_call(&call, insert).await?;
        let finished = matches!(call.status, CallStatus::Missed | CallStatus::Ended)
            && !matches!(before, CallStatus::Missed | CallStatus::Ended);
        if finished {
            let entry = TimelineEntry {
                kind: ActivityKind::Call,
                direction: call.direction,
                subject: Some(if call.direction == Direction::Inbound {
                    call.from_number.clone()
                } else {
                    call.to_number.clone()
                }),
                body: None,
                at: call.started_at,
                duration_seconds: call.duration_seconds,
                result: Some(if call.status == CallStatus::Missed {
                    CallResult::NoAnswer
                } else {
                    CallResult::Connected
                }),
                recording_url: call.recording_url.clone(),
                author: call.user_id,
            };
            self.log_timeline(call.contact_id, call.company_id, call.lead_id, entry).await?;
        }
        if call.status == CallStatus::Missed && before != CallStatus::Missed {
            self.missed_call(&mut call).await?;
        }
        Ok(call)
    }

    /// A missed call: a call-back task for the manager (the tasks service tells them), linked
    /// to the caller's card.
    async fn missed_call(&self, call: &mut Call) -> Result<()> {
        let Some(user) = call.user_id else { return Ok(()) };
        let who = self.caller_name(call).await?.unwrap_or_else(|| call.from_number.clone());
        let related = call
            .contact_id
            .map(|id| Related { kind: RelatedType::Contact, id })
            .or(call.company_id.map(|id| Related { kind: RelatedType::Company, id }))
            .or(call.lead_id.map(|id| Related { kind: RelatedType::Lead, id }));
        let input = TaskInput {
            kind: Some("call".into()),
            title: Some(format!("Call back {who}")),
            description: Some(format!(
                "Missed call from {} at {}",
                call.from_number,
                call.started_at.format("%Y-%m-%d %H:%M UTC")
            )),
            due_at: Some((now() + Duration::minutes(30)).to_rfc3339()),
            assignee_id: Some(user),
            related,
            priority: Some("high".into()),
            ..TaskInput::default()
        };
        let task = self.create_task(&Actor::system("telephony"), input).await?;
        call.task_id = Some(task.task.id);
        call.version += 1;
        self.store.save_call(call, false).await
    }

    async fn caller_name(&self, call: &Call) -> Result<Option<String>> {
        if let Some(c) = call.contact_id {
            return Ok(self.store.get_contact(c).await?.map(|c| c.display_name));
        }
        if let Some(c) = call.company_id {
            return Ok(self.store.get_company(c).await?.map(|c| c.name));
        }
        if let Some(l) = call.lead_id {
            return Ok(self.store.get_lead(l).await?.map(|l| l.title().to_owned()));
        }
        Ok(None)
    }

    fn client_link(&self, call: &Call) -> Option<String> {
        call.contact_id
            .map(|c| format!("/contacts/{c}"))
            .or(call.company_id.map(|c| format!("/companies/{c}")))
            .or(call.lead_id.map(|l| format!("/leads/{l}")))
    }

    async fn call_view(&self, call: Call) -> Result<CallView> {
        Ok(CallView {
            number: if call.direction == Direction::Inbound {
                call.from_number.clone()
            } else {
                call.to_number.clone()
            },
            client_name: self.caller_name(&call).await?,
            client_link: self.client_link(&call),
            call,
        })
    }

    /// The screen pop: the actor's calls ringing or in progress now.
    pub async fn live_calls(&self, actor: &Actor) -> Result<Vec<CallView>> {
        let calls = self.store.calls_of_user(actor.user_id, now() - Duration::minutes(30)).await?;
        let mut out = Vec::new();
        for c in calls.into_iter().filter(|c| matches!(c.status, CallStatus::Ringing | CallStatus::Answered)) {
            out.push(self.call_view(c).await?);
        }
        Ok(out)
    }

    /// Calls of a client the actor can read (the card), newest first.
    pub async fn client_calls(
        &self,
        actor: &Actor,
        contact_id: Option<Uuid>,
        company_id: Option<Uuid>,
    ) -> Result<Vec<CallView>> {
        if let Some(c) = contact_id {
            self.get_contact(actor, c).await?;
        }
        if let Some(c) = company_id {
            self.get_company(actor, c).await?;
        }
        let mut out = Vec::new();
        for c in self.store.calls_of_client(contact_id, company_id, 20).await? {
            out.push(self.call_view(c).await?);
        }
        Ok(out)
    }

    /// Click-to-call: the PBX rings the actor's extension and connects it to `number`.
    pub async fn dial(&self, actor: &Actor, req: DialRequest) -> Result<()> {
        check_area(actor, Area::Directory, Action::Read)?;
        let Some(number) = self.e164(&req.number) else {
            return Err(Error::invalid("number", "is not a complete phone number"));
        };
        let channels = self.store.list_channels().await?;
        let ch = channels
            .into_iter()
            .filter(|c| c.kind == ChannelKind::Phone && c.active)
            .filter(|c| req.channel_id.is_none_or(|id| id == c.id))
            .find(|c| extension_of(c, actor.user_id).is_some())
            .ok_or_else(|| {
                Error::invalid("channel_id", "no active phone channel knows your extension (settings.users)")
            })?;
        let ext = extension_of(&ch, actor.user_id).unwrap_or_default();
        let adapter = self.comms.pbx_adapter(&ch.provider).ok_or(Error::NotFound("channel"))?;
        adapter.dial(&ch, &ext, &number).await.map_err(|e| match e {
            SendError::Permanent(m) => Error::invalid("number", m),
            SendError::Transient(m) => Error::Internal(anyhow::anyhow!("the PBX did not answer: {m}")),
        })
    }
}
