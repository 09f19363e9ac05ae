//! The inbox API: conversations and answers, channels, calls and click-to-call, e-mail
//! templates, forms, sequences, bot rules and consents; and the public webhooks under
//! `/hooks/...` that providers, mail services, the PBX, the chat widget and website forms call
//! (authenticated by each channel's secret or signature, never by a user's session).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clientele_core::comms::InboundRequest;
use clientele_core::domain::inbox::{Consent, Conversation, Message};
use clientele_core::service::{
    BotRule, BotRuleInput, CallView, ChannelInput, ChannelView, ComposeRequest, ConsentInput, ConversationPatch,
    ConversationView, DialRequest, EmailTemplate, EnrollRequest, EnrollResult, Form, FormInput, FormOutcome, InboxPage,
    InboxRequest, RenderRequest, RenderedTemplate, ReplyRequest, Sequence, SequenceInput, TemplateInput,
};
use clientele_core::store::Enrollment;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::with_etag;
use crate::auth::{ApiUser, Peer, client_info};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// Largest raw e-mail the MIME webhook takes (attachments included).
pub const MIME_MAX_BYTES: usize = 25 * 1024 * 1024;

// ---------------------------------------------------------------- conversations

/// The inbox: conversations across channels, newest activity first, with unread counts per channel.
#[utoipa::path(get, path = "/inbox", tag = "inbox", params(InboxRequest),
    responses((status = 200, body = InboxPage), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_inbox(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<InboxRequest>,
) -> ApiResult<Json<InboxPage>> {
    Ok(Json(state.services().list_inbox(&u.actor, &q).await?))
}

/// A first e-mail or text to someone: a new conversation; the message is queued (202).
#[utoipa::path(post, path = "/inbox/compose", tag = "inbox", request_body = ComposeRequest,
    responses((status = 202, body = Message), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn compose(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<ComposeRequest>,
) -> ApiResult<Response> {
    let m = state.services().compose(&u.actor, req).await?;
    Ok((StatusCode::ACCEPTED, Json(m)).into_response())
}

/// One conversation with its messages, oldest first.
#[utoipa::path(get, path = "/inbox/{id}", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConversationView), (status = 404, body = Problem)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let c = state.services().get_conversation(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, c.conversation.version, c))
}

/// Change the status (new, open, waiting, closed), the assignee or the client links (`If-Match`).
#[utoipa::path(patch, path = "/inbox/{id}", tag = "inbox", params(("id" = Uuid, Path)), request_body = ConversationPatch,
    responses((status = 200, body = Conversation), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_conversation(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<ConversationPatch>,
) -> ApiResult<Response> {
    let c = state.services().update_conversation(&u.actor, id, patch, if_match).await?;
    Ok(with_etag(StatusCode::OK, c.version, c))
}

/// Mark the conversation read (its unread count goes to zero).
#[utoipa::path(post, path = "/inbox/{id}/read", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().mark_conversation_read(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Answer in the conversation's channel. The message is queued (202, `status: pending`) and
/// sent by the worker; e-mails carry `In-Reply-To` and `References` of the thread.
#[utoipa::path(post, path = "/inbox/{id}/messages", tag = "inbox", params(("id" = Uuid, Path)), request_body = ReplyRequest,
    responses((status = 202, body = Message), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reply(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<ReplyRequest>,
) -> ApiResult<Response> {
    let m = state.services().reply(&u.actor, id, req).await?;
    Ok((StatusCode::ACCEPTED, Json(m)).into_response())
}

/// One message: its status while queued (pending, sent, failed, suppressed), attempts and last error.
#[utoipa::path(get, path = "/inbox/messages/{id}", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
pub async fn get_message(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.services().get_message(&u.actor, id).await?))
}

/// Send a pending or failed message again now.
#[utoipa::path(post, path = "/inbox/messages/{id}/retry", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn retry_message(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.services().retry_message(&u.actor, id).await?))
}

// ---------------------------------------------------------------- calls

/// The screen pop: the caller's calls ringing or in progress.
#[utoipa::path(get, path = "/calls/live", tag = "calls",
    responses((status = 200, body = Vec<CallView>), (status = 401, body = Problem)))]
pub async fn live_calls(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<CallView>>> {
    Ok(Json(state.services().live_calls(&u.actor).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CallsQuery {
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
}

/// Calls of a contact or a company, newest first (duration, recording link).
#[utoipa::path(get, path = "/calls", tag = "calls", params(CallsQuery),
    responses((status = 200, body = Vec<CallView>), (status = 404, body = Problem)))]
pub async fn list_calls(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<CallsQuery>,
) -> ApiResult<Json<Vec<CallView>>> {
    Ok(Json(state.services().client_calls(&u.actor, q.contact_id, q.company_id).await?))
}

/// Click-to-call: the PBX rings your extension and connects it to the number.
#[utoipa::path(post, path = "/calls/dial", tag = "calls", request_body = DialRequest,
    responses((status = 202), (status = 422, body = Problem)))]
pub async fn dial(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<DialRequest>,
) -> ApiResult<StatusCode> {
    state.services().dial(&u.actor, req).await?;
    Ok(StatusCode::ACCEPTED)
}

// ---------------------------------------------------------------- channels

/// Channels (everyone reads them; secrets are named in `secrets_set`, never shown).
#[utoipa::path(get, path = "/channels", tag = "channels", responses((status = 200, body = Vec<ChannelView>)))]
pub async fn list_channels(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<ChannelView>>> {
    Ok(Json(state.services().list_channels(&u.actor).await?))
}

/// Add a channel (administrators). A webhook secret is generated when none is given and shown
/// in this answer only.
#[utoipa::path(post, path = "/channels", tag = "channels", request_body = ChannelInput,
    responses((status = 201, body = ChannelView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_channel(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<ChannelInput>,
) -> ApiResult<Response> {
    let c = state.services().create_channel(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, c.channel.version, c))
}

#[utoipa::path(get, path = "/channels/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 200, body = ChannelView), (status = 404, body = Problem)))]
pub async fn get_channel(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let c = state.services().get_channel(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, c.channel.version, c))
}

/// Change a channel (`If-Match`); `settings` replace the stored ones, `secrets` set or (`null`) remove one each.
#[utoipa::path(patch, path = "/channels/{id}", tag = "channels", params(("id" = Uuid, Path)), request_body = ChannelInput,
    responses((status = 200, body = ChannelView), (status = 403, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_channel(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(input): ApiJson<ChannelInput>,
) -> ApiResult<Response> {
    let c = state.services().update_channel(&u.actor, id, input, if_match).await?;
    Ok(with_etag(StatusCode::OK, c.channel.version, c))
}

/// Check the mailbox now (its queued poll runs at once).
#[utoipa::path(post, path = "/channels/{id}/poll", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 202), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn poll_channel(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().poll_now(&u.actor, id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// What the mailbox poller last saw: UIDVALIDITY, last UID, time, last error (administrators).
#[utoipa::path(get, path = "/channels/{id}/status", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 403, body = Problem)))]
pub async fn channel_status(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services().channel_status(&u.actor, id).await?))
}

// ---------------------------------------------------------------- templates, forms, sequences, bot rules

/// E-mail templates with `{{ variables }}` per UI language.
#[utoipa::path(get, path = "/email-templates", tag = "email-templates", responses((status = 200, body = Vec<EmailTemplate>)))]
pub async fn list_templates(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<EmailTemplate>>> {
    Ok(Json(state.services().list_templates(&u.actor).await?))
}

/// Add a template (administrators); unknown variables are refused with the known ones listed.
#[utoipa::path(post, path = "/email-templates", tag = "email-templates", request_body = TemplateInput,
    responses((status = 201, body = EmailTemplate), (status = 422, body = Problem)))]
pub async fn create_template(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let t = state.services().save_template(&u.actor, None, v, None).await?;
    Ok(with_etag(StatusCode::CREATED, t.version, t))
}

#[utoipa::path(get, path = "/email-templates/{id}", tag = "email-templates", params(("id" = Uuid, Path)),
    responses((status = 200, body = EmailTemplate), (status = 404, body = Problem)))]
pub async fn get_template(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let t = state.services().get_template(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, t.version, t))
}

/// Replace a template (`If-Match`).
#[utoipa::path(put, path = "/email-templates/{id}", tag = "email-templates", params(("id" = Uuid, Path)), request_body = TemplateInput,
    responses((status = 200, body = EmailTemplate), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn put_template(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let t = state.services().save_template(&u.actor, Some(id), v, if_match).await?;
    Ok(with_etag(StatusCode::OK, t.version, t))
}

#[utoipa::path(delete, path = "/email-templates/{id}", tag = "email-templates", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_template(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_comm_doc(&u.actor, "template", id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A template filled for a contact, a deal and you, in a language.
#[utoipa::path(post, path = "/email-templates/{id}/render", tag = "email-templates", params(("id" = Uuid, Path)), request_body = RenderRequest,
    responses((status = 200, body = RenderedTemplate), (status = 422, body = Problem)))]
pub async fn render_template(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<RenderRequest>,
) -> ApiResult<Json<RenderedTemplate>> {
    Ok(Json(state.services().render_template_preview(&u.actor, id, req).await?))
}

/// Website lead forms with their embed snippet.
#[utoipa::path(get, path = "/forms", tag = "forms", responses((status = 200, body = Vec<Form>)))]
pub async fn list_forms(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<Form>>> {
    Ok(Json(state.services().list_forms(&u.actor).await?))
}

#[utoipa::path(post, path = "/forms", tag = "forms", request_body = FormInput,
    responses((status = 201, body = Form), (status = 422, body = Problem)))]
pub async fn create_form(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let f = state.services().save_form(&u.actor, None, v, None).await?;
    Ok(with_etag(StatusCode::CREATED, f.version, f))
}

#[utoipa::path(get, path = "/forms/{id}", tag = "forms", params(("id" = Uuid, Path)),
    responses((status = 200, body = Form), (status = 404, body = Problem)))]
pub async fn get_form(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let f = state.services().get_form(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, f.version, f))
}

#[utoipa::path(put, path = "/forms/{id}", tag = "forms", params(("id" = Uuid, Path)), request_body = FormInput,
    responses((status = 200, body = Form), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn put_form(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let f = state.services().save_form(&u.actor, Some(id), v, if_match).await?;
    Ok(with_etag(StatusCode::OK, f.version, f))
}

#[utoipa::path(delete, path = "/forms/{id}", tag = "forms", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn delete_form(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_comm_doc(&u.actor, "form", id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// E-mail sequences with their per-step figures.
#[utoipa::path(get, path = "/sequences", tag = "sequences", responses((status = 200, body = Vec<Sequence>)))]
pub async fn list_sequences(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<Sequence>>> {
    Ok(Json(state.services().list_sequences(&u.actor).await?))
}

#[utoipa::path(post, path = "/sequences", tag = "sequences", request_body = SequenceInput,
    responses((status = 201, body = Sequence), (status = 422, body = Problem)))]
pub async fn create_sequence(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let s = state.services().save_sequence(&u.actor, None, v, None).await?;
    Ok(with_etag(StatusCode::CREATED, s.version, s))
}

#[utoipa::path(get, path = "/sequences/{id}", tag = "sequences", params(("id" = Uuid, Path)),
    responses((status = 200, body = Sequence), (status = 404, body = Problem)))]
pub async fn get_sequence(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let s = state.services().get_sequence(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, s.version, s))
}

#[utoipa::path(put, path = "/sequences/{id}", tag = "sequences", params(("id" = Uuid, Path)), request_body = SequenceInput,
    responses((status = 200, body = Sequence), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn put_sequence(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let s = state.services().save_sequence(&u.actor, Some(id), v, if_match).await?;
    Ok(with_etag(StatusCode::OK, s.version, s))
}

#[utoipa::path(delete, path = "/sequences/{id}", tag = "sequences", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn delete_sequence(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_comm_doc(&u.actor, "sequence", id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/sequences/{id}/enrollments", tag = "sequences", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Enrollment>)))]
pub async fn list_enrollments(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Enrollment>>> {
    Ok(Json(state.services().list_enrollments(&u.actor, id).await?))
}

/// Enrol contacts by hand (`contact_ids`) or by segment (`view_id`, a saved view of contacts).
#[utoipa::path(post, path = "/sequences/{id}/enrollments", tag = "sequences", params(("id" = Uuid, Path)), request_body = EnrollRequest,
    responses((status = 201, body = EnrollResult), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn enroll(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> ApiResult<Response> {
    let r = state.services().enroll(&u.actor, id, req).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(post, path = "/enrollments/{id}/stop", tag = "sequences", params(("id" = Uuid, Path)),
    responses((status = 200, body = Enrollment), (status = 404, body = Problem)))]
pub async fn stop_enrollment(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(state.services().stop_enrollment(&u.actor, id).await?))
}

/// Rule-based first answers per channel (keywords, outside working hours).
#[utoipa::path(get, path = "/bot-rules", tag = "channels", responses((status = 200, body = Vec<BotRule>)))]
pub async fn list_bot_rules(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<BotRule>>> {
    Ok(Json(state.services().list_bot_rules(&u.actor).await?))
}

#[utoipa::path(post, path = "/bot-rules", tag = "channels", request_body = BotRuleInput,
    responses((status = 201, body = BotRule), (status = 422, body = Problem)))]
pub async fn create_bot_rule(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let r = state.services().save_bot_rule(&u.actor, None, v, None).await?;
    Ok(with_etag(StatusCode::CREATED, r.version, r))
}

#[utoipa::path(put, path = "/bot-rules/{id}", tag = "channels", params(("id" = Uuid, Path)), request_body = BotRuleInput,
    responses((status = 200, body = BotRule), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn put_bot_rule(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Response> {
    let r = state.services().save_bot_rule(&u.actor, Some(id), v, if_match).await?;
    Ok(with_etag(StatusCode::OK, r.version, r))
}

#[utoipa::path(delete, path = "/bot-rules/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_bot_rule(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_comm_doc(&u.actor, "bot_rule", id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ConsentQuery {
    /// `email` or `sms`.
    pub channel: String,
    pub address: String,
}

/// The newest consent record of an address (`null` when none was recorded).
#[utoipa::path(get, path = "/consents", tag = "consents", params(ConsentQuery),
    responses((status = 200, body = Option<Consent>), (status = 422, body = Problem)))]
pub async fn get_consent(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ConsentQuery>,
) -> ApiResult<Json<Option<Consent>>> {
    Ok(Json(state.services().consent_of(&u.actor, &q.channel, &q.address).await?))
}

/// Record consent given or withdrawn (bulk sends and sequences honour the newest record).
#[utoipa::path(post, path = "/consents", tag = "consents", request_body = ConsentInput,
    responses((status = 201, body = Consent), (status = 422, body = Problem)))]
pub async fn record_consent(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<ConsentInput>,
) -> ApiResult<Response> {
    let c = state.services().record_consent(&u.actor, input).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

// ---------------------------------------------------------------- public webhooks

fn inbound(state: &AppState, uri: &OriginalUri, headers: &HeaderMap, body: Bytes) -> InboundRequest {
    let path = uri.0.path_and_query().map(|p| p.as_str()).unwrap_or("");
    InboundRequest {
        url: format!("{}{path}", state.services().comms().public_url),
        headers: headers
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned())))
            .collect(),
        body: body.to_vec(),
    }
}

/// Browsers on any site may call the form and chat hooks.
fn cors(mut r: Response) -> Response {
    r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    r
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SecretQuery {
    /// The channel's webhook secret, for mail services that cannot set a header.
    pub secret: Option<String>,
}

/// Raw-MIME inbound e-mail: the body is one RFC 5322 message; the channel's webhook secret
/// comes in `X-Webhook-Secret` (or `?secret=`). 202 with the stored message's id (`null` when
/// it was stored before).
#[utoipa::path(post, path = "/hooks/email/{key}", tag = "hooks", params(("key" = String, Path), SecretQuery),
    request_body(content = String, content_type = "message/rfc822"),
    responses((status = 202, body = Object), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(()))]
pub async fn email_hook(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: OriginalUri,
    Query(q): Query<SecretQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let mut req = inbound(&state, &uri, &headers, body);
    if let Some(s) = q.secret {
        req.headers.push(("x-webhook-secret".into(), s));
    }
    let id = state.services().email_webhook(&key, &req).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"message_id": id}))).into_response())
}

/// A provider's webhook (Twilio-style SMS, Telegram-style bot), checked by the channel's adapter.
#[utoipa::path(post, path = "/hooks/channels/{key}", tag = "hooks", params(("key" = String, Path)),
    responses((status = 200), (status = 401, body = Problem), (status = 404, body = Problem)), security(()))]
pub async fn channel_hook(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let req = inbound(&state, &uri, &headers, body);
    let (ct, body) = state.services().provider_webhook(&key, &req).await?;
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}

/// Call events from the PBX (ringing, answered, ended, missed), signed
/// `X-Clientele-Signature: sha256=<hex HMAC-SHA256(webhook_secret, body)>`.
#[utoipa::path(post, path = "/hooks/calls/{key}", tag = "hooks", params(("key" = String, Path)),
    responses((status = 200, body = Vec<clientele_core::domain::inbox::Call>), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(()))]
pub async fn calls_hook(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Vec<clientele_core::domain::inbox::Call>>> {
    let req = inbound(&state, &uri, &headers, body);
    Ok(Json(state.services().call_webhook(&key, &req).await?))
}

/// The chat widget's channel: title and greeting.
#[utoipa::path(get, path = "/hooks/chat/{key}", tag = "hooks", params(("key" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)), security(()))]
pub async fn chat_info(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    let (title, greeting) = state.services().chat_settings(&key).await?;
    Ok(cors(Json(json!({"title": title, "greeting": greeting})).into_response()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VisitorQuery {
    /// The widget's visitor id.
    pub visitor: String,
}

/// The visitor's conversation (their messages and the answers), oldest first.
#[utoipa::path(get, path = "/hooks/chat/{key}/messages", tag = "hooks", params(("key" = String, Path), VisitorQuery),
    responses((status = 200, body = Object)), security(()))]
pub async fn chat_messages(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<VisitorQuery>,
) -> ApiResult<Response> {
    let msgs = state.services().chat_messages(&key, &q.visitor).await?;
    let data: Vec<Value> = msgs
        .iter()
        .map(|m| json!({"id": m.id, "from": if m.direction == clientele_core::domain::inbox::Direction::Inbound { "visitor" } else { "agent" }, "text": m.body_text, "at": m.created_at}))
        .collect();
    Ok(cors(Json(json!({"data": data})).into_response()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChatPost {
    pub visitor: String,
    pub text: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A visitor's message from the chat widget (form-encoded, so that browsers send it without a preflight).
#[utoipa::path(post, path = "/hooks/chat/{key}/messages", tag = "hooks", params(("key" = String, Path)),
    request_body(content = ChatPost, content_type = "application/x-www-form-urlencoded"),
    responses((status = 201, body = Object), (status = 422, body = Problem)), security(()))]
pub async fn chat_post(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let p: ChatPost = serde_urlencoded::from_bytes(&body)
        .or_else(|_| serde_json::from_slice(&body))
        .map_err(|e| clientele_core::Error::invalid("body", format!("expects visitor and text: {e}")))?;
    let client = client_info(&state, &headers, peer).ip;
    let post = clientele_core::service::ChatPost {
        visitor: &p.visitor,
        text: &p.text,
        name: p.name.as_deref(),
        email: p.email.as_deref(),
        client: client.as_deref(),
    };
    let m = state.services().chat_post(&key, post).await?;
    Ok(cors((StatusCode::CREATED, Json(json!({"id": m.id, "at": m.created_at}))).into_response()))
}

/// A form's public definition (fields, consent text) for the embed script.
#[utoipa::path(get, path = "/hooks/forms/{key}", tag = "hooks", params(("key" = String, Path)),
    responses((status = 200, body = FormInput), (status = 404, body = Problem)), security(()))]
pub async fn form_info(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    let f = state.services().public_form(&key).await?;
    Ok(cors(
        Json(json!({"name": f.name, "fields": f.fields, "consent_text": f.consent_text, "consent_required": f.consent_required}))
            .into_response(),
    ))
}

/// A form submission (form-encoded or JSON): the form's fields, `utm_*`, `referrer`,
/// `landing_page`, `consent`, and the hidden `_hp` field that must stay empty. Rate-limited
/// per address (429). A browser that posts the plain form gets a thank-you page.
#[utoipa::path(post, path = "/hooks/forms/{key}", tag = "hooks", params(("key" = String, Path)),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded"),
    responses((status = 201, body = FormOutcome), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(()))]
pub async fn form_submit(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let fields: Vec<(String, String)> = if crate::extract::is_json(&headers) {
        let v: serde_json::Map<String, Value> = crate::extract::parse_json(&body)?;
        v.into_iter().map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))).collect()
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| clientele_core::Error::invalid("body", e.to_string()))?
    };
    let client = client_info(&state, &headers, peer).ip;
    let out = state.services().submit_form(&key, &fields, client.as_deref()).await?;
    let wants_html =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.starts_with("text/html"));
    if wants_html {
        let page = format!(
            "<!doctype html><meta charset=\"utf-8\"><title>{0}</title><p style=\"font-family:sans-serif;padding:2rem\">{0}</p>",
            clientele_core::domain::inbox::html_escape(&out.thank_you)
        );
        return Ok(cors((StatusCode::CREATED, axum::response::Html(page)).into_response()));
    }
    Ok(cors((StatusCode::CREATED, Json(out)).into_response()))
}
