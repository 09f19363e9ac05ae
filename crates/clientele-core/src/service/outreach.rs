//! Around the messages: e-mail templates with variables in every UI language, open and click
//! tracking (an open tells the sending manager at once), unsubscribe links and consent records
//! that every bulk send honours, sequences (drip chains that stop on reply, unsubscribe or a
//! won deal), the bot's first answers, and website forms that make leads.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::inbox::{Incoming, OutCtx, ReplyRequest, UNSUBSCRIBE_MARK};
use super::{ListRequest, Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::audit;
use crate::domain::client::opt_text;
use crate::domain::inbox::{
    Channel, ChannelKind, Consent, Conversation, ConversationStatus, Direction, Message, MessageEvent,
    TEMPLATE_VARIABLES, matches_keywords, render_template,
};
use crate::domain::job::Job;
use crate::domain::lead::LeadInput;
use crate::domain::secret::random_token;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::{CommDoc, Enrollment, StepStats};

/// The UI languages a template can be written in.
pub const TEMPLATE_LOCALES: &[&str] = &["en", "fr", "ru", "bg", "ko"];

/// One language of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateVariant {
    pub subject: String,
    /// Text with `{{ contact.first_name }}`-style variables.
    pub body: String,
    /// An HTML body (variables escaped); default: the text as paragraphs.
    #[serde(default)]
    pub html: Option<String>,
}

/// An e-mail template.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EmailTemplate {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    /// By language code (en, fr, ru, bg, ko); the fallback is `en` when present, else the first.
    pub variants: BTreeMap<String, TemplateVariant>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    pub variants: BTreeMap<String, TemplateVariant>,
}

/// `POST /email-templates/{id}/render`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    #[serde(default)]
    pub deal_id: Option<Uuid>,
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RenderedTemplate {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// A rule-based first answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotRuleInput {
    pub name: String,
    /// Only this channel (default: every channel).
    #[serde(default)]
    pub channel_id: Option<Uuid>,
    /// Answer when the message contains one of these words or phrases.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Answer (without keywords: any message) only outside the channel's working hours.
    #[serde(default)]
    pub outside_hours: bool,
    pub reply: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// Lower first.
    #[serde(default)]
    pub position: i64,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BotRule {
    pub id: Uuid,
    pub version: i64,
    #[serde(flatten)]
    pub rule: BotRuleInput,
}

/// One step of a sequence: wait, then send a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SequenceStep {
    /// Hours after enrolment (first step) or after the previous step.
    pub delay_hours: i64,
    pub template_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SequenceInput {
    pub name: String,
    /// The e-mail channel the steps go out from.
    pub channel_id: Uuid,
    pub steps: Vec<SequenceStep>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sequence {
    pub id: Uuid,
    pub version: i64,
    #[serde(flatten)]
    pub sequence: SequenceInput,
    /// Sent, opened, clicked, replied per step.
    pub stats: Vec<StepStats>,
    pub enrolled: i64,
}

/// `POST /sequences/{id}/enrollments`: by hand (contacts) or by segment (a saved view of contacts).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    #[serde(default)]
    pub contact_ids: Vec<Uuid>,
    #[serde(default)]
    pub view_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollResult {
    pub enrolled: Vec<Enrollment>,
    /// Contacts left out, with why: `no_email`, `withdrawn`, `already_enrolled`.
    pub skipped: Vec<(Uuid, String)>,
}

/// A field of a web form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// The input's name in the submission.
    pub name: String,
    pub label: String,
    /// text, email, phone or textarea.
    #[serde(default = "text_kind")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// The lead field it fills: name, company_name, email, phone, notes (default: kept in the notes).
    #[serde(default)]
    pub maps_to: Option<String>,
}

fn text_kind() -> String {
    "text".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    pub name: String,
    pub fields: Vec<FormField>,
    /// The lead's source (default `website_form`).
    #[serde(default)]
    pub source: Option<String>,
    /// A consent checkbox with this text (recorded with each submission).
    #[serde(default)]
    pub consent_text: Option<String>,
    #[serde(default)]
    pub consent_required: bool,
    /// The e-mail channel whose inbox gets the submissions and sends the auto-reply.
    #[serde(default)]
    pub channel_id: Option<Uuid>,
    /// An automatic answer by e-mail from this template.
    #[serde(default)]
    pub auto_reply_template_id: Option<Uuid>,
    /// Shown after a submission.
    #[serde(default)]
    pub thank_you: Option<String>,
    /// Submissions per hour from one address (default 10).
    #[serde(default)]
    pub rate_limit_per_hour: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Form {
    pub id: Uuid,
    pub version: i64,
    /// In the form's public URLs.
    pub public_key: String,
    #[serde(flatten)]
    pub form: FormInput,
    /// To paste into a web page.
    pub snippet: String,
    pub submissions: i64,
}

/// What a submission did (the public answer says only `ok` and the thank-you text).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FormOutcome {
    pub ok: bool,
    pub thank_you: String,
    #[serde(skip)]
    pub lead_id: Option<Uuid>,
}

/// `POST /consents`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// `email` or `sms`.
    pub channel: String,
    pub address: String,
    /// `granted` or `withdrawn`.
    pub status: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
}

/// What a document holds besides its identity.
struct DocContent {
    name: String,
    body: Value,
    /// For a new document: its key in public URLs (forms).
    public_key: Option<String>,
}

fn doc_of<T: serde::de::DeserializeOwned>(d: &CommDoc) -> Result<T> {
    serde_json::from_value(d.body.clone())
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored {} {} is unreadable: {e}", d.kind, d.id)))
}

fn parse_body<T: serde::de::DeserializeOwned>(v: Value) -> Result<T> {
    super::clients::parse_input(v)
}

impl Services {
    async fn doc(&self, id: Uuid, kind: &'static str) -> Result<CommDoc> {
        self.store.get_doc(id).await?.filter(|d| d.kind == kind).ok_or(Error::NotFound(kind))
    }

    /// Writes a document (new when `id` is `None`) with its audit line.
    async fn put_doc(
        &self,
        actor: &Actor,
        kind: &'static str,
        id: Option<Uuid>,
        content: DocContent,
        if_match: Option<i64>,
    ) -> Result<CommDoc> {
        let DocContent { name, body, public_key } = content;
        let at = now();
        let current = match id {
            Some(id) => Some(self.doc(id, kind).await?),
            None => None,
        };
        if let Some(c) = &current {
            check_version(if_match, c.version)?;
        }
        let d = CommDoc {
            id: current.as_ref().map(|c| c.id).unwrap_or_else(new_id),
            kind: kind.to_owned(),
            version: current.as_ref().map(|c| c.version + 1).unwrap_or(1),
            name,
            public_key: current.as_ref().and_then(|c| c.public_key.clone()).or(public_key),
            body,
            created_at: current.as_ref().map(|c| c.created_at).unwrap_or(at),
            updated_at: at,
        };
        let changes = match &current {
            Some(c) => audit::diff(&json!({"name": c.name, "body": c.body}), &json!({"name": d.name, "body": d.body})),
            None => audit::created(&json!({"name": d.name, "body": d.body})),
        };
        let action = if current.is_some() { "update" } else { "create" };
        let audit = audit_entry(actor, action, kind, d.id, changes);
        self.store.save_doc(&d, current.map(|c| c.version), &audit).await?;
        Ok(d)
    }

    pub async fn delete_comm_doc(&self, actor: &Actor, kind: &'static str, id: Uuid) -> Result<()> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let d = self.doc(id, kind).await?;
        let audit = audit_entry(actor, "delete", kind, id, audit::deleted(&json!({"name": d.name, "body": d.body})));
        self.store.delete_doc(id, &audit).await
    }

    // ---------------- templates

    fn template_of(d: &CommDoc) -> Result<EmailTemplate> {
        Ok(EmailTemplate {
            id: d.id,
            version: d.version,
            name: d.name.clone(),
            variants: doc_of(d)?,
            created_at: d.created_at,
            updated_at: d.updated_at,
        })
    }

    pub async fn list_templates(&self, actor: &Actor) -> Result<Vec<EmailTemplate>> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.store.list_docs("template").await?.iter().map(Self::template_of).collect()
    }

    pub async fn get_template(&self, actor: &Actor, id: Uuid) -> Result<EmailTemplate> {
        check_area(actor, Area::Directory, Action::Read)?;
        Self::template_of(&self.doc(id, "template").await?)
    }

    pub async fn save_template(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        input: Value,
        if_match: Option<i64>,
    ) -> Result<EmailTemplate> {
        check_area(actor, Area::Settings, Action::Update)?;
        let input: TemplateInput = parse_body(input)?;
        let mut p = Problems::new();
        let name = opt_text("name", Some(&input.name), 200, false, &mut p);
        if name.is_none() {
            p.add("name", "is required");
        }
        if input.variants.is_empty() {
            p.add("variants", "a template needs at least one language");
        }
        for (lang, v) in &input.variants {
            let f = format!("variants.{lang}");
            if !TEMPLATE_LOCALES.contains(&lang.as_str()) {
                p.add(&f, format!("is not a UI language ({})", TEMPLATE_LOCALES.join(", ")));
            }
            if v.subject.trim().is_empty() {
                p.add(format!("{f}.subject"), "is required");
            }
            if v.body.trim().is_empty() {
                p.add(format!("{f}.body"), "is required");
            }
            let known: BTreeMap<String, String> =
                TEMPLATE_VARIABLES.iter().map(|v| ((*v).to_owned(), String::new())).collect();
            for (part, text) in [("subject", Some(&v.subject)), ("body", Some(&v.body)), ("html", v.html.as_ref())] {
                let mut unknown = vec![];
                if let Some(t) = text {
                    render_template(t, &known, false, &mut unknown);
                }
                if !unknown.is_empty() {
                    p.add(
                        format!("{f}.{part}"),
                        format!("unknown variables: {} (known: {})", unknown.join(", "), TEMPLATE_VARIABLES.join(", ")),
                    );
                }
            }
        }
        p.into_result()?;
        let d = self
            .put_doc(
                actor,
                "template",
                id,
                DocContent { name: name.unwrap_or_default(), body: json!(input.variants), public_key: None },
                if_match,
            )
            .await?;
        Self::template_of(&d)
    }

    /// The values of a template's variables for a conversation's client (or a contact), a deal
    /// and the manager.
    async fn template_vars(
        &self,
        actor: &Actor,
        contact_id: Option<Uuid>,
        peer: Option<&str>,
        deal_id: Option<Uuid>,
    ) -> Result<BTreeMap<String, String>> {
        let mut vars: BTreeMap<String, String> =
            TEMPLATE_VARIABLES.iter().map(|v| ((*v).to_owned(), String::new())).collect();
        let mut company_id = None;
        if let Some(cid) = contact_id
            && let Some(c) = self.store.get_contact(cid).await?
        {
            vars.insert("contact.first_name".into(), c.first_name.clone().unwrap_or_default());
            vars.insert("contact.last_name".into(), c.last_name.clone().unwrap_or_default());
            vars.insert("contact.display_name".into(), c.display_name.clone());
            vars.insert("contact.email".into(), c.emails.first().map(|e| e.address.clone()).unwrap_or_default());
            company_id = c.company_id;
        }
        if vars.get("contact.email").is_some_and(String::is_empty)
            && let Some(p) = peer.filter(|p| p.contains('@'))
        {
            vars.insert("contact.email".into(), p.to_owned());
        }
        if let Some(did) = deal_id {
            let d = self.get_deal(actor, did).await.map_err(|_| Error::invalid("deal_id", "no such deal"))?;
            vars.insert("deal.title".into(), d.deal.title.clone());
            vars.insert("deal.amount".into(), format!("{} {}", d.deal.amount, d.deal.currency));
            company_id = company_id.or(d.deal.company_id);
        }
        if let Some(co) = company_id
            && let Some(c) = self.store.get_company(co).await?
        {
            vars.insert("company.name".into(), c.name);
        }
        if let Some(u) = self.store.get_user(actor.user_id).await? {
            vars.insert("manager.name".into(), u.name);
            vars.insert("manager.email".into(), u.email);
        }
        vars.insert("unsubscribe_url".into(), UNSUBSCRIBE_MARK.into());
        Ok(vars)
    }

    async fn render_doc(
        &self,
        actor: &Actor,
        template_id: Uuid,
        vars: &BTreeMap<String, String>,
        locale: Option<&str>,
    ) -> Result<(String, String, Option<String>)> {
        let t = Self::template_of(
            &self.doc(template_id, "template").await.map_err(|_| Error::invalid("template_id", "no such template"))?,
        )?;
        let user_locale = match locale {
            Some(l) => Some(l.to_owned()),
            None => self.store.get_user(actor.user_id).await?.and_then(|u| u.locale),
        };
        let v = user_locale
            .as_deref()
            .and_then(|l| t.variants.get(l.split('-').next().unwrap_or(l)))
            .or_else(|| t.variants.get("en"))
            .or_else(|| t.variants.values().next())
            .ok_or_else(|| Error::invalid("template_id", "the template has no text"))?;
        let mut unknown = vec![];
        let subject = render_template(&v.subject, vars, false, &mut unknown);
        let text = render_template(&v.body, vars, false, &mut unknown);
        let html = v.html.as_ref().map(|h| render_template(h, vars, true, &mut unknown));
        Ok((subject, text, html))
    }

    /// A template filled for a conversation (its client), a deal and the acting manager.
    pub(crate) async fn render_for(
        &self,
        actor: &Actor,
        template_id: Uuid,
        conv: &Conversation,
        deal_id: Option<Uuid>,
        locale: Option<&str>,
    ) -> Result<(String, String, Option<String>)> {
        let vars = self.template_vars(actor, conv.contact_id, Some(&conv.peer), deal_id).await?;
        self.render_doc(actor, template_id, &vars, locale).await
    }

    /// A preview of a template for a contact and a deal.
    pub async fn render_template_preview(
        &self,
        actor: &Actor,
        id: Uuid,
        req: RenderRequest,
    ) -> Result<RenderedTemplate> {
        check_area(actor, Area::Directory, Action::Read)?;
        if let Some(c) = req.contact_id {
            self.get_contact(actor, c).await.map_err(|_| Error::invalid("contact_id", "no such contact"))?;
        }
        let vars = self.template_vars(actor, req.contact_id, None, req.deal_id).await?;
        let (subject, text, html) = self.render_doc(actor, id, &vars, req.locale.as_deref()).await?;
        Ok(RenderedTemplate { subject, text, html })
    }

    // ---------------- tracking and consent

    /// The HTML of an outbound e-mail with its tracking: links through the redirect, the
    /// pixel, and for bulk mail the unsubscribe link (also in `meta.unsubscribe_url`).
    pub(crate) fn tracked_html(
        &self,
        body: &str,
        token: &str,
        track: bool,
        bulk: bool,
        meta: &mut Map<String, Value>,
    ) -> String {
        let base = self.comms.public_url.trim_end_matches('/').to_owned();
        let mut html = body.to_owned();
        let unsubscribe = format!("{base}/u/{token}");
        if bulk {
            meta.insert("unsubscribe_url".into(), json!(unsubscribe));
            if html.contains(UNSUBSCRIBE_MARK) {
                html = html.replace(UNSUBSCRIBE_MARK, &unsubscribe);
            } else {
                html.push_str(&format!(
                    "\n<p style=\"font-size:12px;color:#777\"><a href=\"{unsubscribe}\">Unsubscribe</a></p>"
                ));
            }
        } else {
            html = html.replace(UNSUBSCRIBE_MARK, "");
        }
        if !track {
            return html;
        }
        let mut links: Vec<String> = Vec::new();
        let mut out = String::with_capacity(html.len() + 200);
        let mut rest = html.as_str();
        while let Some(i) = rest.find("href=\"") {
            let (head, tail) = rest.split_at(i + 6);
            out.push_str(head);
            let end = tail.find('"').unwrap_or(tail.len());
            let url = &tail[..end];
            if (url.starts_with("http://") || url.starts_with("https://")) && url != unsubscribe {
                links.push(url.replace("&amp;", "&"));
                out.push_str(&format!("{base}/t/c/{token}/{}", links.len() - 1));
            } else {
                out.push_str(url);
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
        out.push_str(&format!("\n<img src=\"{base}/t/o/{token}.gif\" width=\"1\" height=\"1\" alt=\"\">"));
        if !links.is_empty() {
            meta.insert("links".into(), json!(links));
        }
        out
    }

    /// The tracking pixel was loaded: an open. The first one tells the sending manager at once.
    pub async fn track_open(&self, token: &str) -> Result<()> {
        let Some(m) = self.store.message_by_token(token).await? else { return Ok(()) };
        let first = !self.store.events_of(m.id).await?.iter().any(|e| e.kind == "open");
        self.store
            .insert_message_event(&MessageEvent {
                id: new_id(),
                message_id: m.id,
                kind: "open".into(),
                url: None,
                at: now(),
            })
            .await?;
        if first && let Some(author) = m.author_id {
            let who = m.to_addrs.first().cloned().unwrap_or_default();
            let w = self
                .notification(
                    author,
                    "email_opened",
                    format!("{who} is reading your e-mail now: a good moment to call"),
                    m.subject.clone(),
                    Some(format!("/inbox/{}", m.conversation_id)),
                    json!({"who": who, "subject": m.subject}),
                    None,
                )
                .await?;
            if let Some(w) = w {
                self.store.insert_notifications(&[w.notification]).await?;
            }
        }
        Ok(())
    }

    /// A tracked link was followed: where it goes (`None` for an unknown token or link).
    pub async fn track_click(&self, token: &str, n: usize) -> Result<Option<String>> {
        let Some(m) = self.store.message_by_token(token).await? else { return Ok(None) };
        let Some(url) = m
            .meta
            .get("links")
            .and_then(Value::as_array)
            .and_then(|l| l.get(n))
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Ok(None);
        };
        self.store
            .insert_message_event(&MessageEvent {
                id: new_id(),
                message_id: m.id,
                kind: "click".into(),
                url: Some(url.clone()),
                at: now(),
            })
            .await?;
        Ok(Some(url))
    }

    /// Who an unsubscribe link is for (the confirmation page).
    pub async fn unsubscribe_address(&self, token: &str) -> Result<String> {
        let m = self.store.message_by_token(token).await?.ok_or(Error::NotFound("link"))?;
        m.to_addrs.first().cloned().ok_or(Error::NotFound("link"))
    }

    /// An unsubscribe link was confirmed: consent withdrawn for the address, its sequences stop.
    pub async fn unsubscribe(&self, token: &str) -> Result<String> {
        let m = self.store.message_by_token(token).await?.ok_or(Error::NotFound("link"))?;
        let address = m.to_addrs.first().cloned().ok_or(Error::NotFound("link"))?;
        let conv = self.store.get_conversation(m.conversation_id).await?;
        self.store
            .insert_consent(&Consent {
                id: new_id(),
                channel: "email".into(),
                address: address.clone(),
                status: "withdrawn".into(),
                source: "unsubscribe_link".into(),
                text: None,
                contact_id: conv.and_then(|c| c.contact_id),
                created_at: now(),
            })
            .await?;
        self.store
            .insert_message_event(&MessageEvent {
                id: new_id(),
                message_id: m.id,
                kind: "unsubscribe".into(),
                url: None,
                at: now(),
            })
            .await?;
        self.stop_enrollments(&address, "unsubscribe").await?;
        Ok(address)
    }

    /// Whether any of the addresses withdrew consent on the channel's medium.
    pub(crate) async fn withdrawn(&self, ch: &Channel, addrs: &[String]) -> Result<bool> {
        let medium = if ch.kind == ChannelKind::Email { "email" } else { "sms" };
        for a in addrs {
            if self.store.latest_consent(medium, a).await?.is_some_and(|c| c.status == "withdrawn") {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub async fn record_consent(&self, actor: &Actor, input: ConsentInput) -> Result<Consent> {
        if actor.role == crate::domain::user::Role::Readonly {
            return Err(Error::Forbidden("your role cannot record consent".into()));
        }
        let mut p = Problems::new();
        if !["email", "sms"].contains(&input.channel.as_str()) {
            p.add("channel", "must be email or sms");
        }
        if !["granted", "withdrawn"].contains(&input.status.as_str()) {
            p.add("status", "must be granted or withdrawn");
        }
        let address = self.consent_address(&input.channel, &input.address, &mut p);
        let text = opt_text("text", input.text.as_deref(), 2000, true, &mut p);
        p.into_result()?;
        let c = Consent {
            id: new_id(),
            channel: input.channel,
            address: address.clone(),
            status: input.status,
            source: format!("user:{}", actor.user_id),
            text,
            contact_id: input.contact_id,
            created_at: now(),
        };
        self.store.insert_consent(&c).await?;
        if c.status == "withdrawn" {
            self.stop_enrollments(&address, "unsubscribe").await?;
        }
        Ok(c)
    }

    fn consent_address(&self, channel: &str, raw: &str, p: &mut Problems) -> String {
        if channel == "sms" {
            self.e164(raw).unwrap_or_else(|| {
                p.add("address", "is not a complete phone number");
                String::new()
            })
        } else {
            crate::domain::email::EmailAddress::parse(raw).map(|a| a.as_str().to_owned()).unwrap_or_else(|m| {
                p.add("address", m);
                String::new()
            })
        }
    }

    /// The newest consent of an address.
    pub async fn consent_of(&self, actor: &Actor, channel: &str, address: &str) -> Result<Option<Consent>> {
        check_area(actor, Area::Directory, Action::Read)?;
        let mut p = Problems::new();
        let a = self.consent_address(channel, address, &mut p);
        p.into_result()?;
        self.store.latest_consent(channel, &a).await
    }

    // ---------------- after an inbound message: sequences stop, the bot answers

    pub(crate) async fn after_inbound(
        &self,
        ch: &Channel,
        conv: &Conversation,
        msg: &Message,
        automatic: bool,
        email: Option<&str>,
    ) -> Result<()> {
        if let Some(e) = email {
            self.stop_enrollments(e, "reply").await?;
        }
        if !automatic && let Err(e) = self.bot_answer(ch, conv, msg).await {
            tracing::warn!(conversation = %conv.id, error = %e, "the bot could not answer");
        }
        Ok(())
    }

    async fn stop_enrollments(&self, address: &str, reason: &str) -> Result<()> {
        for mut e in self.store.active_enrollments_for(&address.to_lowercase()).await? {
            e.status = "stopped".into();
            e.stop_reason = Some(reason.into());
            e.next_at = None;
            e.updated_at = now();
            self.store.save_enrollment(&e, false).await?;
        }
        Ok(())
    }

    fn bot_rule_of(d: &CommDoc) -> Result<BotRule> {
        Ok(BotRule { id: d.id, version: d.version, rule: doc_of(d)? })
    }

    async fn bot_answer(&self, ch: &Channel, conv: &Conversation, msg: &Message) -> Result<()> {
        if !matches!(ch.kind, ChannelKind::Email | ChannelKind::Sms | ChannelKind::Messenger | ChannelKind::Chat) {
            return Ok(());
        }
        let mut rules: Vec<BotRule> = self
            .store
            .list_docs("bot_rule")
            .await?
            .iter()
            .filter_map(|d| Self::bot_rule_of(d).ok())
            .filter(|r| r.rule.active && r.rule.channel_id.is_none_or(|c| c == ch.id))
            .collect();
        rules.sort_by_key(|r| r.rule.position);
        let open = ch.working_hours().is_none_or(|w| w.contains(now()));
        let text = format!("{} {}", msg.subject.clone().unwrap_or_default(), msg.body_text);
        let hit = rules.iter().find(|r| {
            let hours_ok = !r.rule.outside_hours || !open;
            let words_ok = if r.rule.keywords.is_empty() {
                r.rule.outside_hours
            } else {
                matches_keywords(&text, &r.rule.keywords)
            };
            hours_ok && words_ok
        });
        let Some(rule) = hit else { return Ok(()) };
        // One answer per rule and conversation within a day: no ping-pong with another robot.
        let recent = self.store.messages_of(conv.id, 30).await?;
        let since = now() - Duration::hours(24);
        if recent.iter().any(|m| {
            m.direction == Direction::Outbound
                && m.created_at > since
                && m.meta.get("bot_rule").and_then(Value::as_str) == Some(rule.id.to_string().as_str())
        }) {
            return Ok(());
        }
        let Some(current) = self.store.get_conversation(conv.id).await? else { return Ok(()) };
        let req = ReplyRequest { text: Some(rule.rule.reply.clone()), track: Some(false), ..ReplyRequest::default() };
        let ctx = OutCtx { automatic: true, author: None, bot_rule: Some(rule.id), sequence: None };
        let bot = Actor::system("bot");
        self.queue_outbound(&bot, ch, current, Some(msg), req, ctx).await?;
        Ok(())
    }

    pub async fn list_bot_rules(&self, actor: &Actor) -> Result<Vec<BotRule>> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.store.list_docs("bot_rule").await?.iter().map(Self::bot_rule_of).collect()
    }

    pub async fn save_bot_rule(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        input: Value,
        if_match: Option<i64>,
    ) -> Result<BotRule> {
        check_area(actor, Area::Settings, Action::Update)?;
        let r: BotRuleInput = parse_body(input)?;
        let mut p = Problems::new();
        if opt_text("name", Some(&r.name), 200, false, &mut p).is_none() {
            p.add("name", "is required");
        }
        if opt_text("reply", Some(&r.reply), 4000, true, &mut p).is_none() {
            p.add("reply", "is required");
        }
        if r.keywords.is_empty() && !r.outside_hours {
            p.add("keywords", "a rule needs keywords, or outside_hours to answer anything at night");
        }
        if let Some(c) = r.channel_id
            && self.store.get_channel(c).await?.is_none()
        {
            p.add("channel_id", "no such channel");
        }
        p.into_result()?;
        let d = self
            .put_doc(
                actor,
                "bot_rule",
                id,
                DocContent { name: r.name.clone(), body: json!(r), public_key: None },
                if_match,
            )
            .await?;
        Self::bot_rule_of(&d)
    }

    // ---------------- sequences

    async fn sequence_of(&self, d: &CommDoc) -> Result<Sequence> {
        Ok(Sequence {
            id: d.id,
            version: d.version,
            sequence: doc_of(d)?,
            stats: self.store.step_stats(d.id).await?,
            enrolled: self.store.enrollments_of(d.id).await?.len() as i64,
        })
    }

    pub async fn list_sequences(&self, actor: &Actor) -> Result<Vec<Sequence>> {
        check_area(actor, Area::Directory, Action::Read)?;
        let mut out = Vec::new();
        for d in self.store.list_docs("sequence").await? {
            out.push(self.sequence_of(&d).await?);
        }
        Ok(out)
    }

    pub async fn get_sequence(&self, actor: &Actor, id: Uuid) -> Result<Sequence> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.sequence_of(&self.doc(id, "sequence").await?).await
    }

    pub async fn save_sequence(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        input: Value,
        if_match: Option<i64>,
    ) -> Result<Sequence> {
        check_area(actor, Area::Settings, Action::Update)?;
        let s: SequenceInput = parse_body(input)?;
        let mut p = Problems::new();
        if opt_text("name", Some(&s.name), 200, false, &mut p).is_none() {
            p.add("name", "is required");
        }
        match self.store.get_channel(s.channel_id).await? {
            Some(c) if c.kind == ChannelKind::Email => {}
            _ => p.add("channel_id", "no such e-mail channel"),
        }
        if s.steps.is_empty() {
            p.add("steps", "a sequence needs at least one step");
        }
        for (i, st) in s.steps.iter().enumerate() {
            if !(0..=24 * 365).contains(&st.delay_hours) {
                p.add(format!("steps[{i}].delay_hours"), "must be from 0 to 8760");
            }
            if self.doc(st.template_id, "template").await.is_err() {
                p.add(format!("steps[{i}].template_id"), "no such template");
            }
        }
        p.into_result()?;
        let d = self
            .put_doc(
                actor,
                "sequence",
                id,
                DocContent { name: s.name.clone(), body: json!(s), public_key: None },
                if_match,
            )
            .await?;
        self.sequence_of(&d).await
    }

    pub async fn list_enrollments(&self, actor: &Actor, id: Uuid) -> Result<Vec<Enrollment>> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.doc(id, "sequence").await?;
        self.store.enrollments_of(id).await
    }

    /// Enrols contacts by hand or by segment (a saved view); each gets the first step after its delay.
    pub async fn enroll(&self, actor: &Actor, id: Uuid, req: EnrollRequest) -> Result<EnrollResult> {
        let d = self.doc(id, "sequence").await?;
        let s: SequenceInput = doc_of(&d)?;
        if !s.active {
            return Err(Error::conflict("active", "the sequence is not active"));
        }
        let mut ids = req.contact_ids.clone();
        if let Some(view) = req.view_id {
            let mut cursor = None;
            loop {
                let page = self
                    .list_contacts(
                        actor,
                        &ListRequest {
                            view: Some(view),
                            limit: Some(500),
                            cursor: cursor.clone(),
                            ..ListRequest::default()
                        },
                    )
                    .await
                    .map_err(|e| match e {
                        Error::NotFound(_) => Error::invalid("view_id", "no such view"),
                        other => other,
                    })?;
                ids.extend(page.data.iter().map(|c| c.id));
                if page.next_cursor.is_none() || ids.len() > 10_000 {
                    break;
                }
                cursor = page.next_cursor;
            }
        }
        if ids.is_empty() {
            return Err(Error::invalid("contact_ids", "give contacts or a view"));
        }
        let ch = self.store.get_channel(s.channel_id).await?.ok_or(Error::NotFound("channel"))?;
        let mut result = EnrollResult { enrolled: vec![], skipped: vec![] };
        let first_delay = s.steps.first().map(|st| st.delay_hours).unwrap_or(0);
        for cid in ids {
            let c = self
                .get_contact(actor, cid)
                .await
                .map_err(|_| Error::invalid("contact_ids", format!("no such contact {cid}")))?;
            let Some(address) = c.contact.emails.first().map(|e| e.address.clone()) else {
                result.skipped.push((cid, "no_email".into()));
                continue;
            };
            if self.withdrawn(&ch, std::slice::from_ref(&address)).await? {
                result.skipped.push((cid, "withdrawn".into()));
                continue;
            }
            let at = now();
            let e = Enrollment {
                id: new_id(),
                sequence_id: id,
                contact_id: cid,
                address,
                status: "active".into(),
                step: 0,
                next_at: Some(at + Duration::hours(first_delay)),
                stop_reason: None,
                enrolled_by: (actor.kind != crate::authz::ActorKind::System).then_some(actor.user_id),
                created_at: at,
                updated_at: at,
            };
            match self.store.save_enrollment(&e, true).await {
                Ok(()) => {}
                Err(Error::Conflict { .. }) => {
                    result.skipped.push((cid, "already_enrolled".into()));
                    continue;
                }
                Err(err) => return Err(err),
            }
            self.schedule_step(&e).await?;
            result.enrolled.push(e);
        }
        Ok(result)
    }

    async fn schedule_step(&self, e: &Enrollment) -> Result<()> {
        let mut job = Job::new("sequence.step", json!({"id": e.id, "step": e.step}), e.enrolled_by, now());
        job.run_at = e.next_at.unwrap_or_else(now);
        job.dedupe_key = Some(format!("sequence.step:{}:{}", e.id, e.step));
        self.store.enqueue(&job).await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Stops an enrollment by hand.
    pub async fn stop_enrollment(&self, actor: &Actor, id: Uuid) -> Result<Enrollment> {
        let mut e = self.store.get_enrollment(id).await?.ok_or(Error::NotFound("enrollment"))?;
        self.get_contact(actor, e.contact_id).await.map_err(|_| Error::NotFound("enrollment"))?;
        if e.status == "active" {
            e.status = "stopped".into();
            e.stop_reason = Some("manual".into());
            e.next_at = None;
            e.updated_at = now();
            self.store.save_enrollment(&e, false).await?;
        }
        Ok(e)
    }

    /// The `sequence.step` job: sends one step unless the enrollment stopped meanwhile (reply,
    /// unsubscribe, a won deal), then schedules the next.
    pub(crate) async fn run_sequence_step(&self, id: Uuid, step: i64) -> Result<()> {
        let Some(mut e) = self.store.get_enrollment(id).await? else { return Ok(()) };
        if e.status != "active" || e.step != step {
            return Ok(());
        }
        let d = self.doc(e.sequence_id, "sequence").await?;
        let s: SequenceInput = doc_of(&d)?;
        let stop = |e: &mut Enrollment, why: &str| {
            e.status = "stopped".into();
            e.stop_reason = Some(why.into());
            e.next_at = None;
            e.updated_at = now();
        };
        let ch = self.store.get_channel(s.channel_id).await?;
        if !s.active || ch.as_ref().is_none_or(|c| !c.active) {
            stop(&mut e, "inactive");
            return self.store.save_enrollment(&e, false).await;
        }
        let Some(ch) = ch else { return Ok(()) };
        if self.store.won_deal_since(e.contact_id, e.created_at).await? {
            stop(&mut e, "deal_won");
            return self.store.save_enrollment(&e, false).await;
        }
        if self.withdrawn(&ch, std::slice::from_ref(&e.address)).await? {
            stop(&mut e, "unsubscribe");
            return self.store.save_enrollment(&e, false).await;
        }
        let Some(st) = s.steps.get(step as usize) else {
            e.status = "completed".into();
            e.next_at = None;
            return self.store.save_enrollment(&e, false).await;
        };
        let author = e.enrolled_by;
        let sender = match author {
            Some(u) => match self.store.get_user(u).await? {
                Some(u) => Actor {
                    user_id: u.id,
                    name: u.name,
                    role: u.role,
                    teams: vec![],
                    kind: crate::authz::ActorKind::System,
                },
                None => Actor::system("sequence"),
            },
            None => Actor::system("sequence"),
        };
        let conv = match self.store.open_conversation(ch.id, &e.address).await? {
            Some(c) => c,
            None => {
                let at = now();
                let contact = self.store.get_contact(e.contact_id).await?;
                Conversation {
                    id: new_id(),
                    version: 1,
                    channel_id: Some(ch.id),
                    channel_kind: ChannelKind::Email,
                    subject: None,
                    status: ConversationStatus::Open,
                    assignee_id: contact.as_ref().and_then(|c| c.owner_id).or(author),
                    contact_id: Some(e.contact_id),
                    company_id: contact.and_then(|c| c.company_id),
                    lead_id: None,
                    peer: e.address.clone(),
                    peer_name: None,
                    unread: 0,
                    last_message_at: at,
                    preview: String::new(),
                    created_at: at,
                    updated_at: at,
                }
            }
        };
        let is_new = self.store.get_conversation(conv.id).await?.is_none();
        let req = ReplyRequest { template_id: Some(st.template_id), ..ReplyRequest::default() };
        let ctx = OutCtx { sequence: Some((e.sequence_id, step)), automatic: true, author, bot_rule: None };
        if is_new {
            self.queue_outbound_new(&sender, &ch, conv, req, ctx).await?;
        } else {
            let last = self.store.messages_of(conv.id, 1).await?.pop();
            self.queue_outbound(&sender, &ch, conv, last.as_ref(), req, ctx).await?;
        }
        e.step = step + 1;
        e.updated_at = now();
        match s.steps.get(e.step as usize) {
            Some(next) => {
                e.next_at = Some(now() + Duration::hours(next.delay_hours));
                self.store.save_enrollment(&e, false).await?;
                self.schedule_step(&e).await
            }
            None => {
                e.status = "completed".into();
                e.next_at = None;
                self.store.save_enrollment(&e, false).await
            }
        }
    }

    // ---------------- web forms

    fn form_of(&self, d: &CommDoc, submissions: i64) -> Result<Form> {
        let key = d.public_key.clone().unwrap_or_default();
        let base = self.comms.public_url.trim_end_matches('/');
        Ok(Form {
            id: d.id,
            version: d.version,
            snippet: format!(
                "<div data-clientele-form=\"{key}\"></div>\n<script src=\"{base}/f/{key}.js\" async></script>"
            ),
            public_key: key,
            form: doc_of(d)?,
            submissions,
        })
    }

    pub async fn list_forms(&self, actor: &Actor) -> Result<Vec<Form>> {
        check_area(actor, Area::Directory, Action::Read)?;
        let mut out = Vec::new();
        for d in self.store.list_docs("form").await? {
            let n = self.store.count_submissions(d.id).await?;
            out.push(self.form_of(&d, n)?);
        }
        Ok(out)
    }

    pub async fn get_form(&self, actor: &Actor, id: Uuid) -> Result<Form> {
        check_area(actor, Area::Directory, Action::Read)?;
        let d = self.doc(id, "form").await?;
        self.form_of(&d, self.store.count_submissions(id).await?)
    }

    pub async fn save_form(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        input: Value,
        if_match: Option<i64>,
    ) -> Result<Form> {
        check_area(actor, Area::Settings, Action::Update)?;
        let f: FormInput = parse_body(input)?;
        let mut p = Problems::new();
        if opt_text("name", Some(&f.name), 200, false, &mut p).is_none() {
            p.add("name", "is required");
        }
        if f.fields.is_empty() || f.fields.len() > 30 {
            p.add("fields", "a form has 1 to 30 fields");
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, fl) in f.fields.iter().enumerate() {
            let ok_name = !fl.name.is_empty()
                && fl.name.len() <= 50
                && fl.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !fl.name.starts_with('_')
                && !fl.name.starts_with("utm_")
                && !["referrer", "landing_page", "consent"].contains(&fl.name.as_str());
            if !ok_name || names.contains(&fl.name.as_str()) {
                p.add(
                    format!("fields[{i}].name"),
                    "a unique name of letters, digits and _ (not utm_*, referrer, landing_page, consent)",
                );
            }
            names.push(&fl.name);
            if !["text", "email", "phone", "textarea"].contains(&fl.kind.as_str()) {
                p.add(format!("fields[{i}].kind"), "must be text, email, phone or textarea");
            }
            if let Some(m) = &fl.maps_to
                && !["name", "company_name", "email", "phone", "notes"].contains(&m.as_str())
            {
                p.add(format!("fields[{i}].maps_to"), "must be name, company_name, email, phone or notes");
            }
            if opt_text(&format!("fields[{i}].label"), Some(&fl.label), 200, false, &mut p).is_none() {
                p.add(format!("fields[{i}].label"), "is required");
            }
        }
        if !f.fields.iter().any(|fl| matches!(fl.maps_to.as_deref(), Some("name" | "company_name"))) {
            p.add("fields", "one field must fill the lead's name or company_name");
        }
        if f.consent_required && f.consent_text.as_deref().is_none_or(|t| t.trim().is_empty()) {
            p.add("consent_text", "is required when consent is required");
        }
        if let Some(c) = f.channel_id {
            match self.store.get_channel(c).await? {
                Some(ch) if ch.kind == ChannelKind::Email => {}
                _ => p.add("channel_id", "no such e-mail channel"),
            }
        }
        if let Some(t) = f.auto_reply_template_id {
            if self.doc(t, "template").await.is_err() {
                p.add("auto_reply_template_id", "no such template");
            }
            if f.channel_id.is_none() {
                p.add("channel_id", "an auto-reply needs the e-mail channel that sends it");
            }
        }
        if f.rate_limit_per_hour.is_some_and(|n| !(1..=10_000).contains(&n)) {
            p.add("rate_limit_per_hour", "must be from 1 to 10000");
        }
        p.into_result()?;
        let d = self
            .put_doc(
                actor,
                "form",
                id,
                DocContent { name: f.name.clone(), body: json!(f), public_key: Some(random_token()) },
                if_match,
            )
            .await?;
        let n = self.store.count_submissions(d.id).await?;
        self.form_of(&d, n)
    }

    /// The public definition of an active form (for the embed script).
    pub async fn public_form(&self, key: &str) -> Result<FormInput> {
        let d = self.store.doc_by_key(key).await?.filter(|d| d.kind == "form").ok_or(Error::NotFound("form"))?;
        let f: FormInput = doc_of(&d)?;
        if !f.active {
            return Err(Error::NotFound("form"));
        }
        Ok(f)
    }

    /// A submission from a website: spam guard (honeypot `_hp`, per-address rate limit),
    /// checks, consent recorded, a lead with source, UTM fields and referrer, the request in
    /// the inbox and an optional auto-reply.
    pub async fn submit_form(
        &self,
        key: &str,
        fields: &[(String, String)],
        client: Option<&str>,
    ) -> Result<FormOutcome> {
        let d = self.store.doc_by_key(key).await?.filter(|d| d.kind == "form").ok_or(Error::NotFound("form"))?;
        let f: FormInput = doc_of(&d)?;
        if !f.active {
            return Err(Error::NotFound("form"));
        }
        let thank_you = f.thank_you.clone().unwrap_or_else(|| "Thank you! We will get back to you soon.".into());
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        // A bot filled the hidden field: it hears "thanks" and nothing is stored.
        if get("_hp").is_some() {
            return Ok(FormOutcome { ok: true, thank_you, lead_id: None });
        }
        let limit_key = format!("form:{}:{}", d.id, client.unwrap_or("unknown"));
        let at = now();
        let (count, _) = self.store.count_auth_failures(&limit_key, at - Duration::hours(1)).await?;
        if count >= f.rate_limit_per_hour.unwrap_or(10) {
            return Err(Error::RateLimited { retry_after_secs: 3600 });
        }
        self.store.record_auth_failure(&limit_key, at).await?;
        let mut p = Problems::new();
        let mut lead = LeadInput {
            source: Some(f.source.clone().unwrap_or_else(|| "website_form".into())),
            ..LeadInput::default()
        };
        let mut notes: Vec<String> = Vec::new();
        let mut data = Map::new();
        let mut email = None;
        let mut phone = None;
        for fl in &f.fields {
            let v = get(&fl.name);
            if fl.required && v.is_none() {
                p.add(&fl.name, "is required");
                continue;
            }
            let Some(v) = v else { continue };
            let v = opt_text(
                &fl.name,
                Some(v),
                if fl.kind == "textarea" { 5000 } else { 300 },
                fl.kind == "textarea",
                &mut p,
            );
            let Some(v) = v else { continue };
            data.insert(fl.name.clone(), json!(v));
            let target = fl.maps_to.as_deref().or(match fl.kind.as_str() {
                "email" => Some("email"),
                "phone" => Some("phone"),
                _ => None,
            });
            match target {
                Some("name") => lead.name = Some(v.clone()),
                Some("company_name") => lead.company_name = Some(v.clone()),
                Some("email") => match crate::domain::email::EmailAddress::parse(&v) {
                    Ok(a) => {
                        email = Some(a.as_str().to_owned());
                        lead.emails.push(crate::domain::client::EmailInput::Plain(a.as_str().to_owned()));
                    }
                    Err(m) => p.add(&fl.name, m),
                },
                Some("phone") => match crate::domain::phone::parse_phone(&fl.name, &v, self.settings.default_region) {
                    Ok(_) => {
                        phone = self.e164(&v);
                        lead.phones.push(crate::domain::client::PhoneInput::Plain(v.clone()));
                    }
                    Err(e) => p.add(e.field, e.message),
                },
                _ => notes.push(format!("{}: {v}", fl.label)),
            }
        }
        let consent = get("consent").is_some_and(|v| matches!(v, "on" | "true" | "1" | "yes"));
        if f.consent_required && !consent {
            p.add("consent", "is required");
        }
        p.into_result()?;
        for (k, target) in [
            ("utm_source", &mut lead.utm_source),
            ("utm_medium", &mut lead.utm_medium),
            ("utm_campaign", &mut lead.utm_campaign),
            ("utm_term", &mut lead.utm_term),
            ("utm_content", &mut lead.utm_content),
            ("referrer", &mut lead.referrer),
            ("landing_page", &mut lead.landing_page),
        ] {
            if let Some(v) = get(k) {
                *target = Some(v.chars().take(if k.starts_with("utm_") { 200 } else { 2000 }).collect());
                data.insert(k.to_owned(), json!(v));
            }
        }
        lead.notes = (!notes.is_empty()).then(|| notes.join("\n"));
        let ch = match f.channel_id {
            Some(c) => self.store.get_channel(c).await?.filter(|c| c.active),
            None => None,
        };
        lead.owner_id = ch.as_ref().and_then(|c| c.assignee_id.or(c.owner_id));
        let system = Actor::system(&format!("form: {}", d.name));
        let created = self.create_lead(&system, lead.clone()).await?;
        if consent {
            for (medium, addr) in [("email", email.clone()), ("sms", phone.clone())] {
                if let Some(a) = addr {
                    self.store
                        .insert_consent(&Consent {
                            id: new_id(),
                            channel: medium.into(),
                            address: a,
                            status: "granted".into(),
                            source: format!("form:{}", d.id),
                            text: f.consent_text.clone(),
                            contact_id: None,
                            created_at: at,
                        })
                        .await?;
                }
            }
        }
        let mut conversation_id = None;
        if let Some(ch) = &ch {
            let text = data
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("\n");
            let inc = Incoming {
                peer: email.clone().or(phone.clone()).unwrap_or_else(|| format!("form:{}", new_id())),
                peer_name: created.name.clone(),
                email: email.clone(),
                phone: phone.clone(),
                subject: Some(d.name.clone()),
                text,
                external_id: Some(format!("form:{}", new_id())),
                lead_id: Some(created.id),
                kind: Some(ChannelKind::Form),
                meta: data.clone(),
                ..Incoming::default()
            };
            if let Some((conv, msg)) = self.receive(ch, inc).await? {
                conversation_id = Some(conv.id);
                if let (Some(t), Some(_)) = (f.auto_reply_template_id, &email) {
                    let req = ReplyRequest { template_id: Some(t), ..ReplyRequest::default() };
                    let ctx = OutCtx { automatic: true, ..OutCtx::default() };
                    if let Some(current) = self.store.get_conversation(conv.id).await? {
                        self.queue_outbound(&Actor::system("auto-reply"), ch, current, Some(&msg), req, ctx).await?;
                    }
                }
            }
        }
        self.store
            .insert_submission(d.id, Some(created.id), conversation_id, &Value::Object(data), consent, at)
            .await?;
        Ok(FormOutcome { ok: true, thank_you, lead_id: Some(created.id) })
    }
}
