//! The inbox end to end: mail read from a real IMAP server (Dovecot) lands matched to its
//! contact; answers reach a real SMTP server (aiosmtpd) with the thread's headers; a dead SMTP
//! server leaves mail pending until it is back; the MIME webhook; forms with UTM tags; a fake
//! Twilio-style SMS API and a fake Telegram-style bot API (axum servers in the test); call
//! events and the screen pop; the chat widget; tracking, unsubscribe, sequences, the bot;
//! permissions and secrets.

use std::sync::{Arc, Mutex};

use axum::extract::State as AxState;
use axum::http::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, drain, get_ok, id, ok, post_created, problem, send};
use crate::mail_servers::{Imap, Smtp, header};

const MAILBOX: &str = "sales@acme.test";

/// An e-mail channel on the test servers (IMAP optional).
async fn email_channel(s: &crate::helpers::Session, app: &TestApp, smtp_port: u16, imap: Option<&Imap>) -> Value {
    let mut settings = json!({
        "from_address": MAILBOX, "from_name": "Acme Sales",
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_tls": "none",
    });
    let mut secrets = json!({});
    if let Some(i) = imap {
        settings["imap_host"] = json!("127.0.0.1");
        settings["imap_port"] = json!(i.port);
        settings["imap_tls"] = json!("none");
        settings["imap_username"] = json!(i.user);
        settings["poll_seconds"] = json!(3600);
        secrets["imap_password"] = json!(i.password);
    }
    post_created(
        s,
        app,
        "/channels",
        json!({"kind": "email", "name": "Sales mailbox", "settings": settings, "secrets": secrets}),
    )
    .await
}

fn raw_mail(from: &str, subject: &str, message_id: &str, body: &str) -> String {
    format!(
        "From: Ann Client <{from}>\nTo: {MAILBOX}\nSubject: {subject}\nMessage-ID: <{message_id}>\n\
         Date: Thu, 03 Dec 2026 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

/// Mail delivered to the IMAP mailbox is polled, matched to its contact and answered over SMTP
/// with In-Reply-To and References of the thread; an unknown sender becomes a lead.
async fn imap_mail_is_matched_and_the_answer_is_threaded(app: TestApp) {
    let (Some(smtp), Some(imap)) = (Smtp::start().await, Imap::start(MAILBOX).await) else { return };
    let s = app.admin().await;
    let ann = post_created(
        &s,
        &app,
        "/contacts",
        json!({"first_name": "Ann", "last_name": "Client", "emails": ["ann@client.test"]}),
    )
    .await;
    let ch = email_channel(&s, &app, smtp.port, Some(&imap)).await;
    let ch_id = id(&ch);
    assert!(
        ch.get("secrets").is_none() && !ch.to_string().contains(&imap.password),
        "secrets are never returned: {ch}"
    );
    assert!(ch["secrets_set"].as_array().unwrap().contains(&json!("imap_password")));

    imap.deliver(&raw_mail("ann@client.test", "Price offer", "q1@client.test", "Hello, what is the price?"));
    imap.deliver(&raw_mail("nobody@stranger.test", "Question", "s1@stranger.test", "Who are you?"));
    // The first poll ran when the channel was created; the mail came after it: check again now.
    drain(&app).await;
    ok(send(&s, &app, Method::POST, &format!("/channels/{ch_id}/poll"), None).await, StatusCode::ACCEPTED).await;
    drain(&app).await;

    let inbox = get_ok(&s, &app, "/inbox").await;
    let convs = inbox["data"].as_array().unwrap();
    assert_eq!(convs.len(), 2, "{inbox}");
    let annc = convs.iter().find(|c| c["peer"] == "ann@client.test").unwrap();
    assert_eq!(annc["contact_id"], ann["id"], "matched to the contact by e-mail");
    assert_eq!(annc["unread"], 1);
    assert_eq!(annc["status"], "new");
    assert_eq!(inbox["unread"]["email"], 2);
    let stranger = convs.iter().find(|c| c["peer"] == "nobody@stranger.test").unwrap();
    assert!(stranger["contact_id"].is_null());
    let lead = get_ok(&s, &app, &format!("/leads/{}", stranger["lead_id"].as_str().unwrap())).await;
    assert_eq!(lead["source"], "email");
    assert_eq!(lead["emails"][0]["address"], "nobody@stranger.test");

    // Polling again reads nothing twice.
    ok(send(&s, &app, Method::POST, &format!("/channels/{ch_id}/poll"), None).await, StatusCode::ACCEPTED).await;
    drain(&app).await;
    assert_eq!(get_ok(&s, &app, "/inbox").await["data"].as_array().unwrap().len(), 2);
    let status = get_ok(&s, &app, &format!("/channels/{ch_id}/status")).await;
    assert_eq!(status["last_uid"], 2, "{status}");

    let conv_id = annc["id"].as_str().unwrap().to_owned();
    let conv = get_ok(&s, &app, &format!("/inbox/{conv_id}")).await;
    assert_eq!(conv["messages"][0]["body_text"].as_str().unwrap().trim(), "Hello, what is the price?");
    assert_eq!(conv["messages"][0]["rfc_message_id"], "q1@client.test");

    // The answer is queued, then sent with the thread's headers.
    let r = send(
        &s,
        &app,
        Method::POST,
        &format!("/inbox/{conv_id}/messages"),
        Some(json!({"text": "It is 100 EUR. Visit https://acme.test/offer"})),
    )
    .await;
    let m = ok(r, StatusCode::ACCEPTED).await;
    assert_eq!(m["status"], "pending");
    drain(&app).await;
    let sent = get_ok(&s, &app, &format!("/inbox/messages/{}", id(&m))).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let got = smtp.wait_for(1).await;
    let raw = &got[0];
    assert_eq!(header(raw, "In-Reply-To").as_deref(), Some("<q1@client.test>"));
    assert!(header(raw, "References").unwrap().contains("<q1@client.test>"));
    assert_eq!(header(raw, "Subject").as_deref(), Some("Re: Price offer"));
    assert_eq!(header(raw, "Message-ID"), Some(format!("<{}>", sent["rfc_message_id"].as_str().unwrap())));
    assert!(header(raw, "To").unwrap().contains("ann@client.test"));
    let conv = get_ok(&s, &app, &format!("/inbox/{conv_id}")).await;
    assert_eq!(conv["status"], "waiting");

    // The tracking pixel tells the manager at once; the tracked link goes to the stored URL.
    let body = raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let token = body.split("/t/o/").nth(1).and_then(|t| t.split(".gif").next()).unwrap().to_owned();
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let px = plain.get(format!("{}/t/o/{token}.gif", app.url)).send().await.unwrap();
    assert_eq!(px.headers()["content-type"], "image/gif");
    let notes = get_ok(&s, &app, "/notifications").await;
    assert!(notes.to_string().contains("is reading your e-mail now"), "{notes}");
    let click = plain.get(format!("{}/t/c/{token}/0", app.url)).send().await.unwrap();
    assert_eq!(click.status(), StatusCode::SEE_OTHER);
    assert_eq!(click.headers()["location"], "https://acme.test/offer");
    assert_eq!(plain.get(format!("{}/t/c/{token}/9", app.url)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // A reply from the client threads into the same conversation and reopens it.
    imap.deliver(&format!(
        "From: <ann@client.test>\nTo: {MAILBOX}\nSubject: Re: Re: Price offer\nMessage-ID: <q2@client.test>\n\
         In-Reply-To: <{0}>\nReferences: <q1@client.test> <{0}>\n\nThanks!\n",
        sent["rfc_message_id"].as_str().unwrap()
    ));
    ok(send(&s, &app, Method::POST, &format!("/channels/{ch_id}/poll"), None).await, StatusCode::ACCEPTED).await;
    drain(&app).await;
    let conv = get_ok(&s, &app, &format!("/inbox/{conv_id}")).await;
    assert_eq!(conv["messages"].as_array().unwrap().len(), 3);
    assert_eq!(conv["status"], "open");

    // The e-mails in and out are on Ann's unified timeline.
    let tl = get_ok(&s, &app, &format!("/timeline/contact/{}?types=email", id(&ann))).await;
    let dirs: Vec<&str> =
        tl["data"].as_array().unwrap().iter().map(|i| i["activity"]["direction"].as_str().unwrap()).collect();
    assert_eq!(dirs.iter().filter(|d| **d == "inbound").count(), 2, "{tl}");
    assert_eq!(dirs.iter().filter(|d| **d == "outbound").count(), 1, "{tl}");

    // The client card shows the conversation.
    let (status, html) = crate::helpers::page(&s, &app, &format!("/inbox/client/contact/{}", id(&ann))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/inbox/{conv_id}")), "{html}");
}
both!(imap_mail_is_matched_and_the_answer_is_threaded);

/// A dead SMTP server leaves the answer pending (visible, with the error); once the server is
/// back the message goes out exactly once.
async fn dead_smtp_keeps_mail_pending_until_it_is_back(app: TestApp) {
    let Some(mut smtp) = Smtp::start().await else { return };
    let s = app.admin().await;
    let ch = email_channel(&s, &app, smtp.port, None).await;
    let m = post_created(&s, &app, "/contacts", json!({"first_name": "Bo", "emails": ["bo@client.test"]})).await;
    smtp.stop();
    let r = send(&s, &app, Method::POST, "/inbox/compose", Some(json!({"channel_id": ch["id"], "to": "bo@client.test", "contact_id": m["id"], "subject": "Hello", "text": "Our offer"}))).await;
    let msg = ok(r, StatusCode::ACCEPTED).await;
    drain(&app).await;
    let pending = get_ok(&s, &app, &format!("/inbox/messages/{}", id(&msg))).await;
    assert_eq!(pending["status"], "pending", "{pending}");
    assert_eq!(pending["attempts"], 1);
    assert!(pending["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let conv = get_ok(&s, &app, &format!("/inbox/{}", pending["conversation_id"].as_str().unwrap())).await;
    assert_eq!(conv["contact_id"], m["id"]);
    let (_, html) =
        crate::helpers::page(&s, &app, &format!("/inbox/{}", pending["conversation_id"].as_str().unwrap())).await;
    assert!(html.contains("data-status=\"pending\""), "the inbox shows it pending");

    smtp.restart().await;
    let again =
        ok(send(&s, &app, Method::POST, &format!("/inbox/messages/{}/retry", id(&msg)), None).await, StatusCode::OK)
            .await;
    assert_eq!(again["status"], "pending");
    drain(&app).await;
    let sent = get_ok(&s, &app, &format!("/inbox/messages/{}", id(&msg))).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(smtp.wait_for(1).await.len(), 1);
    // Sent is final: retrying is refused and nothing goes out twice.
    problem(send(&s, &app, Method::POST, &format!("/inbox/messages/{}/retry", id(&msg)), None).await, 409).await;
    drain(&app).await;
    assert_eq!(smtp.received().len(), 1);
}
both!(dead_smtp_keeps_mail_pending_until_it_is_back);

/// The raw-MIME webhook: the channel's secret is required; the same message twice is stored once.
async fn mime_webhook(app: TestApp) {
    let s = app.admin().await;
    let ch = email_channel(&s, &app, 1, None).await;
    let secret = ch["webhook_secret"].as_str().unwrap().to_owned();
    let url = ch["webhook_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&app.url), "{url}");
    let raw = raw_mail("carl@client.test", "Hi", "w1@client.test", "Via the webhook");
    let c = reqwest::Client::new();
    let r = c.post(&url).header("x-webhook-secret", "wrong").body(raw.clone()).send().await.unwrap();
    problem(r, 401).await;
    let r = c.post(&url).header("x-webhook-secret", &secret).body(raw.clone()).send().await.unwrap();
    let first = ok(r, StatusCode::ACCEPTED).await;
    assert!(first["message_id"].is_string());
    let r = c.post(format!("{url}?secret={secret}")).body(raw).send().await.unwrap();
    assert!(ok(r, StatusCode::ACCEPTED).await["message_id"].is_null(), "stored once");
    let r = c.post(&url).header("x-webhook-secret", &secret).body("nonsense").send().await.unwrap();
    problem(r, 422).await;
    let inbox = get_ok(&s, &app, "/inbox").await;
    assert_eq!(inbox["data"].as_array().unwrap().len(), 1);
    assert_eq!(inbox["data"][0]["peer"], "carl@client.test");

    // An attachment is kept as a file and downloaded from the thread.
    let with_file = "From: <carl@client.test>\nTo: sales@acme.test\nSubject: Specs\nMessage-ID: <w2@client.test>\n\
        MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nSee the file.\n\
        --b1\nContent-Type: text/csv; name=\"specs.csv\"\nContent-Disposition: attachment; filename=\"specs.csv\"\n\na,b\n1,2\n--b1--\n";
    let r = c.post(&url).header("x-webhook-secret", &secret).body(with_file).send().await.unwrap();
    let mid = ok(r, StatusCode::ACCEPTED).await["message_id"].as_str().unwrap().to_owned();
    let m = get_ok(&s, &app, &format!("/inbox/messages/{mid}")).await;
    assert_eq!(m["attachments"][0]["name"], "specs.csv");
    let file = m["attachments"][0]["file_id"].as_str().unwrap();
    let r = s.client.get(format!("{}/inbox/messages/{mid}/attachments/{file}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap().trim(), "a,b\n1,2");
}
both!(mime_webhook);

/// A form submission with UTM tags makes a lead with that source, records consent, lands in
/// the inbox and gets the auto-reply; the honeypot and the rate limit keep spam out.
async fn form_submission_with_utm_creates_a_lead(app: TestApp) {
    let Some(smtp) = Smtp::start().await else { return };
    let s = app.admin().await;
    let ch = email_channel(&s, &app, smtp.port, None).await;
    let t = post_created(&s, &app, "/email-templates", json!({"name": "Thanks", "variants": {
        "en": {"subject": "Thank you, {{ contact.first_name }}{{ contact.display_name }}", "body": "We got your request. {{ manager.name }}"},
        "fr": {"subject": "Merci", "body": "Bien reçu."}}})).await;
    let bad = send(
        &s,
        &app,
        Method::POST,
        "/email-templates",
        Some(json!({"name": "X", "variants": {"de": {"subject": "", "body": "{{ nope }}"}}})),
    )
    .await;
    let p = problem(bad, 422).await;
    let f = crate::helpers::fields(&p);
    assert!(
        f.contains(&"variants.de.subject".to_owned())
            && f.contains(&"variants.de".to_owned())
            && f.contains(&"variants.de.body".to_owned()),
        "{p}"
    );
    let form = post_created(
        &s,
        &app,
        "/forms",
        json!({
        "name": "Contact us", "source": "landing_page", "channel_id": ch["id"], "auto_reply_template_id": t["id"],
        "consent_text": "I agree to receive e-mails", "rate_limit_per_hour": 3,
        "fields": [
            {"name": "name", "label": "Your name", "required": true, "maps_to": "name"},
            {"name": "email", "label": "E-mail", "kind": "email", "required": true},
            {"name": "message", "label": "Message", "kind": "textarea"}
        ]}),
    )
    .await;
    assert!(form["snippet"].as_str().unwrap().contains(&format!("/f/{}.js", form["public_key"].as_str().unwrap())));
    let hook = app.api(&format!("/hooks/forms/{}", form["public_key"].as_str().unwrap()));
    let c = reqwest::Client::new();
    let def: Value = c.get(&hook).send().await.unwrap().json().await.unwrap();
    assert_eq!(def["fields"].as_array().unwrap().len(), 3);

    let r = c.post(&hook).form(&[("email", "broken")]).send().await.unwrap();
    let p = problem(r, 422).await;
    assert_eq!(crate::helpers::fields(&p), vec!["name", "email"], "{p}");
    let r = c
        .post(&hook)
        .form(&[
            ("name", "Dana Prospect"),
            ("email", "dana@prospect.test"),
            ("message", "Please call me"),
            ("utm_source", "newsletter"),
            ("utm_medium", "email"),
            ("utm_campaign", "spring"),
            ("referrer", "https://news.example/issue-5"),
            ("landing_page", "https://acme.test/offer?utm_source=newsletter"),
            ("consent", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(ok(r, StatusCode::CREATED).await["ok"].as_bool().unwrap());
    let leads = get_ok(&s, &app, "/leads").await;
    let lead = &leads["data"][0];
    assert_eq!(leads["data"].as_array().unwrap().len(), 1);
    assert_eq!(lead["source"], "landing_page");
    assert_eq!(lead["utm_source"], "newsletter");
    assert_eq!(lead["utm_campaign"], "spring");
    assert_eq!(lead["referrer"], "https://news.example/issue-5");
    assert_eq!(lead["name"], "Dana Prospect");
    assert!(lead["notes"].as_str().unwrap().contains("Please call me"));
    let consent = get_ok(&s, &app, "/consents?channel=email&address=dana@prospect.test").await;
    assert_eq!(consent["status"], "granted");
    assert_eq!(consent["text"], "I agree to receive e-mails");
    // In the inbox as a form request, with the lead beside it; the auto-reply went out.
    let inbox = get_ok(&s, &app, "/inbox?channel=form").await;
    assert_eq!(inbox["data"][0]["lead_id"], lead["id"]);
    drain(&app).await;
    let got = smtp.wait_for(1).await;
    assert!(header(&got[0], "Subject").unwrap().starts_with("Thank you"), "{}", got[0]);
    assert_eq!(header(&got[0], "Auto-Submitted").as_deref(), Some("auto-generated"));

    // The honeypot: a bot hears "thanks", nothing is stored.
    let r = c
        .post(&hook)
        .form(&[("name", "Bot"), ("email", "bot@spam.test"), ("_hp", "http://spam")])
        .send()
        .await
        .unwrap();
    ok(r, StatusCode::CREATED).await;
    assert_eq!(get_ok(&s, &app, "/leads").await["data"].as_array().unwrap().len(), 1);
    // Three submissions per hour from one address (two were counted so far).
    ok(c.post(&hook).form(&[("name", "Eve"), ("email", "eve@x.test")]).send().await.unwrap(), StatusCode::CREATED)
        .await;
    problem(c.post(&hook).form(&[("name", "Eve"), ("email", "eve@x.test")]).send().await.unwrap(), 429).await;
}
both!(form_submission_with_utm_creates_a_lead);

// ---------------------------------------------------------------- fake providers

#[derive(Clone, Default)]
struct Fake {
    calls: Arc<Mutex<Vec<(String, HeaderMap, String)>>>,
}

/// A local stand-in for a provider's HTTP API: records every request and answers like it.
async fn fake_provider() -> (String, Fake) {
    let fake = Fake::default();
    async fn record(
        AxState(f): AxState<Fake>,
        uri: axum::http::Uri,
        headers: HeaderMap,
        body: String,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let path = uri.path().to_owned();
        f.calls.lock().unwrap().push((path.clone(), headers, body));
        if path.ends_with("/Messages.json") {
            (axum::http::StatusCode::CREATED, axum::Json(json!({"sid": "SM123", "status": "queued"}))).into_response()
        } else if path.ends_with("/sendMessage") {
            axum::Json(json!({"ok": true, "result": {"message_id": 77}})).into_response()
        } else {
            axum::Json(json!({"ok": true})).into_response()
        }
    }
    let router = axum::Router::new().route("/{*rest}", axum::routing::post(record)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, fake)
}

/// A Twilio-style inbound SMS (signed) makes a conversation matched by phone; the answer is
/// delivered to the fake provider with the idempotency token.
async fn sms_through_a_fake_provider(app: TestApp) {
    let (base, fake) = fake_provider().await;
    let s = app.admin().await;
    let ivan =
        post_created(&s, &app, "/contacts", json!({"first_name": "Ivan", "phones": ["8 (916) 123-45-67"]})).await;
    let ch = post_created(
        &s,
        &app,
        "/channels",
        json!({"kind": "sms", "name": "SMS", "settings": {
        "api_base": base, "account_sid": "AC1", "from_number": "+15550001111"}, "secrets": {"auth_token": "tw-token"}}),
    )
    .await;
    let url = ch["webhook_url"].as_str().unwrap().to_owned();
    let params: Vec<(String, String)> =
        [("MessageSid", "SMa1"), ("From", "+79161234567"), ("To", "+15550001111"), ("Body", "Is my order ready?")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    let sig = clientele_comms::signing::twilio_signature("tw-token", &url, &params);
    let c = reqwest::Client::new();
    problem(c.post(&url).header("x-twilio-signature", "bad").form(&params).send().await.unwrap(), 401).await;
    let r = c.post(&url).header("x-twilio-signature", &sig).form(&params).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<Response>"));
    // Providers retry webhooks: the same message is stored once.
    c.post(&url).header("x-twilio-signature", &sig).form(&params).send().await.unwrap();
    let inbox = get_ok(&s, &app, "/inbox?channel=sms").await;
    assert_eq!(inbox["data"].as_array().unwrap().len(), 1);
    let conv = &inbox["data"][0];
    assert_eq!(conv["contact_id"], ivan["id"], "matched by the E.164 phone");
    assert_eq!(conv["peer"], "+79161234567");
    let conv = get_ok(&s, &app, &format!("/inbox/{}", conv["id"].as_str().unwrap())).await;
    assert_eq!(conv["messages"].as_array().unwrap().len(), 1);

    let m = ok(
        send(
            &s,
            &app,
            Method::POST,
            &format!("/inbox/{}/messages", conv["id"].as_str().unwrap()),
            Some(json!({"text": "Yes, tomorrow."})),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    drain(&app).await;
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    let (path, headers, body) = &calls[0];
    assert_eq!(path, "/2010-04-01/Accounts/AC1/Messages.json");
    assert_eq!(headers["i-twilio-idempotency-token"], id(&m).as_str());
    assert!(headers["authorization"].to_str().unwrap().starts_with("Basic "));
    let form: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap();
    assert!(
        form.contains(&("To".into(), "+79161234567".into()))
            && form.contains(&("Body".into(), "Yes, tomorrow.".into())),
        "{body}"
    );
    let sent = get_ok(&s, &app, &format!("/inbox/messages/{}", id(&m))).await;
    assert_eq!((sent["status"].as_str(), sent["external_id"].as_str()), (Some("sent"), Some("SM123")));
}
both!(sms_through_a_fake_provider);

/// A Telegram-style bot: the secret token header is checked; an unknown sender becomes a lead;
/// the bot's keyword rule answers first, then the manager does.
async fn messenger_bot_and_first_answers(app: TestApp) {
    let (base, fake) = fake_provider().await;
    let s = app.admin().await;
    let ch = post_created(
        &s,
        &app,
        "/channels",
        json!({"kind": "messenger", "name": "Bot", "settings": {"api_base": base},
        "secrets": {"bot_token": "123:abc", "webhook_secret": "tg-secret"}}),
    )
    .await;
    assert!(ch.get("webhook_secret").is_none(), "a secret given by the administrator is not echoed");
    post_created(&s, &app, "/bot-rules", json!({"name": "Prices", "channel_id": ch["id"], "keywords": ["price", "how much"], "reply": "Our price list: https://acme.test/prices"})).await;
    let bad = send(&s, &app, Method::POST, "/bot-rules", Some(json!({"name": "", "reply": ""}))).await;
    assert_eq!(crate::helpers::fields(&problem(bad, 422).await), vec!["name", "reply", "keywords"]);
    let url = ch["webhook_url"].as_str().unwrap().to_owned();
    let update = json!({"update_id": 1, "message": {"message_id": 5, "date": 1_780_000_000, "chat": {"id": 4242},
        "from": {"id": 4242, "first_name": "Olga", "last_name": "K"}, "text": "How much is delivery?"}});
    let c = reqwest::Client::new();
    problem(c.post(&url).json(&update).send().await.unwrap(), 401).await;
    ok(
        c.post(&url).header("x-telegram-bot-api-secret-token", "tg-secret").json(&update).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    drain(&app).await;
    let inbox = get_ok(&s, &app, "/inbox?channel=messenger").await;
    let conv = &inbox["data"][0];
    assert_eq!(conv["peer_name"], "Olga K");
    let lead = get_ok(&s, &app, &format!("/leads/{}", conv["lead_id"].as_str().unwrap())).await;
    assert_eq!(lead["source"], "messenger");
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "the bot answered");
    assert_eq!(calls[0].0, "/bot123:abc/sendMessage");
    let body: Value = serde_json::from_str(&calls[0].2).unwrap();
    assert_eq!(body["chat_id"], 4242);
    assert!(body["text"].as_str().unwrap().contains("price list"));
    // The manager's answer goes out too; the bot does not answer the same rule twice a day.
    let cid = conv["id"].as_str().unwrap();
    ok(
        send(
            &s,
            &app,
            Method::POST,
            &format!("/inbox/{cid}/messages"),
            Some(json!({"text": "Hi Olga, delivery is free."})),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let again = json!({"update_id": 2, "message": {"message_id": 6, "chat": {"id": 4242}, "from": {"id": 4242, "first_name": "Olga"}, "text": "and the price of setup?"}});
    ok(
        c.post(&url).header("x-telegram-bot-api-secret-token", "tg-secret").json(&again).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    drain(&app).await;
    assert_eq!(fake.calls.lock().unwrap().len(), 2);
    let conv = get_ok(&s, &app, &format!("/inbox/{cid}")).await;
    let msgs = conv["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[1]["meta"]["auto"], true);
    assert!(msgs[2]["author_id"].is_string());
}
both!(messenger_bot_and_first_answers);

/// The website chat: the visitor writes, the conversation appears, the answer comes back to
/// the widget at once.
async fn chat_widget_round_trip(app: TestApp) {
    let s = app.admin().await;
    let ch = post_created(
        &s,
        &app,
        "/channels",
        json!({"kind": "chat", "name": "Website", "settings": {"title": "Ask us", "greeting": "Hello!"}}),
    )
    .await;
    assert!(ch["snippet"].as_str().unwrap().contains("/chat/widget.js"));
    let key = ch["public_key"].as_str().unwrap();
    let c = reqwest::Client::new();
    let js = c.get(format!("{}/chat/widget.js", app.url)).send().await.unwrap();
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let info: Value = c.get(app.api(&format!("/hooks/chat/{key}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["title"], "Ask us");
    let visitor = "v0123456789abcdef0123";
    let r = c
        .post(app.api(&format!("/hooks/chat/{key}/messages")))
        .form(&[("visitor", visitor), ("text", "Do you ship to Lyon?"), ("email", "zoe@client.test")])
        .send()
        .await
        .unwrap();
    ok(r, StatusCode::CREATED).await;
    problem(
        c.post(app.api(&format!("/hooks/chat/{key}/messages")))
            .form(&[("visitor", "x"), ("text", "")])
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    let conv = &get_ok(&s, &app, "/inbox?channel=chat").await["data"][0];
    ok(
        send(
            &s,
            &app,
            Method::POST,
            &format!("/inbox/{}/messages", conv["id"].as_str().unwrap()),
            Some(json!({"text": "Yes, in two days."})),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let msgs: Value = c
        .get(app.api(&format!("/hooks/chat/{key}/messages?visitor={visitor}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = msgs["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!((data[0]["from"].as_str(), data[1]["from"].as_str()), (Some("visitor"), Some("agent")));
    assert_eq!(data[1]["text"], "Yes, in two days.");
    let other: Value = c
        .get(app.api(&format!("/hooks/chat/{key}/messages?visitor=someoneelse0000000")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(other["data"].as_array().unwrap().is_empty(), "a visitor sees only their own conversation");
}
both!(chat_widget_round_trip);

/// Call events: ringing pops up for the manager whose extension rang, with the caller's card;
/// a missed call tells them to call back; an answered one is logged with duration and recording.
async fn call_events_screen_pop_and_missed_calls(app: TestApp) {
    let s = app.admin().await;
    let mgr = app.user("manager", "mia@example.com").await;
    let mia = app.login("mia@example.com").await;
    let petr = post_created(
        &s,
        &app,
        "/contacts",
        json!({"first_name": "Petr", "phones": ["+7 495 123-45-67"], "owner_id": mgr.id}),
    )
    .await;
    let ch = post_created(
        &s,
        &app,
        "/channels",
        json!({"kind": "phone", "name": "PBX", "settings": {"users": {"101": mgr.id.to_string()}}}),
    )
    .await;
    let secret = ch["webhook_secret"].as_str().unwrap().to_owned();
    let url = ch["webhook_url"].as_str().unwrap().to_owned();
    let c = reqwest::Client::new();
    let post = |body: Value| {
        let b = body.to_string();
        let sig = clientele_comms::signing::sign_sha256(&secret, b.as_bytes());
        c.post(&url).header("content-type", "application/json").header("x-clientele-signature", sig).body(b).send()
    };
    let bad = c.post(&url).header("x-clientele-signature", "sha256=00").body("{}").send().await.unwrap();
    problem(bad, 401).await;
    ok(post(json!({"call_id": "c1", "event": "ringing", "direction": "inbound", "from": "84951234567", "to": "+74950000000", "extension": "101"})).await.unwrap(), StatusCode::OK).await;
    let live = get_ok(&mia, &app, "/calls/live").await;
    assert_eq!(live.as_array().unwrap().len(), 1, "{live}");
    assert_eq!(live[0]["client_name"], "Petr");
    assert_eq!(live[0]["client_link"], format!("/contacts/{}", id(&petr)));
    let (_, pop) = crate::helpers::page(&mia, &app, "/inbox/pop").await;
    assert!(pop.contains("screen-pop") && pop.contains("Petr"), "{pop}");
    assert!(get_ok(&s, &app, "/calls/live").await.as_array().unwrap().is_empty(), "only the manager whose phone rang");
    ok(post(json!({"call_id": "c1", "event": "missed"})).await.unwrap(), StatusCode::OK).await;
    assert!(get_ok(&mia, &app, "/calls/live").await.as_array().unwrap().is_empty());
    // A missed call is a call-back task for the manager whose phone rang, on Petr's card.
    let tasks = get_ok(&mia, &app, "/tasks").await;
    let task =
        tasks["data"].as_array().unwrap().iter().find(|t| t["title"] == "Call back Petr").expect("a call-back task");
    assert_eq!(task["kind"], "call");
    assert_eq!(task["assignee_id"], json!(mgr.id));
    assert_eq!(task["related"]["id"], petr["id"]);
    let notes = get_ok(&mia, &app, "/notifications").await;
    assert!(notes.to_string().contains("Call back Petr"), "the manager is told: {notes}");
    // An answered call: duration and recording on the client's calls.
    ok(
        post(json!([{"call_id": "c2", "event": "ringing", "from": "+74951234567", "to": "101", "extension": "101"},
        {"call_id": "c2", "event": "answered"},
        {"call_id": "c2", "event": "ended", "duration_seconds": 95, "recording_url": "https://pbx.test/rec/c2.mp3"}]))
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let calls = get_ok(&mia, &app, &format!("/calls?contact_id={}", id(&petr))).await;
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["status"], "ended");
    assert_eq!(calls[0]["duration_seconds"], 95);
    assert_eq!(calls[0]["recording_url"], "https://pbx.test/rec/c2.mp3");
    assert_eq!(calls[1]["status"], "missed");
    assert_eq!(calls[1]["task_id"], task["id"]);
    // Both calls are on Petr's timeline with their duration and recording.
    let tl = get_ok(&mia, &app, &format!("/timeline/contact/{}?types=call", id(&petr))).await;
    let items = tl["data"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{tl}");
    let answered = items.iter().find(|i| i["activity"]["duration_seconds"] == 95).expect("the answered call");
    assert_eq!(answered["activity"]["recording_url"], "https://pbx.test/rec/c2.mp3");
    assert_eq!(answered["activity"]["result"], "connected");
    // An unknown caller becomes a lead with the phone as source.
    ok(
        post(json!({"call_id": "c3", "event": "ringing", "from": "+33612345678", "to": "101"})).await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let leads = get_ok(&s, &app, "/leads").await;
    assert_eq!(leads["data"][0]["source"], "phone");
    problem(post(json!({"call_id": "c4", "event": "exploded"})).await.unwrap(), 422).await;
}
both!(call_events_screen_pop_and_missed_calls);

/// Click-to-call asks the PBX (a fake ARI-style REST server) to ring the manager's extension.
async fn click_to_call(app: TestApp) {
    let (base, fake) = fake_provider().await;
    let s = app.admin().await;
    let me = get_ok(&s, &app, "/auth/me").await;
    post_created(&s, &app, "/channels", json!({"kind": "phone", "provider": "ari", "name": "Asterisk", "settings": {
        "dial_url": format!("{base}/ari"), "dial_username": "crm", "users": {"200": me["user"]["id"]}}, "secrets": {"dial_password": "p"}})).await;
    ok(
        send(&s, &app, Method::POST, "/calls/dial", Some(json!({"number": "+33 6 12 34 56 78"}))).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls[0].0, "/ari/channels");
    problem(send(&s, &app, Method::POST, "/calls/dial", Some(json!({"number": "12"}))).await, 422).await;
}
both!(click_to_call);

/// A sequence sends its steps to enrolled contacts with an unsubscribe link; unsubscribing
/// stops it and consent is withdrawn; per-step figures count sends and opens.
async fn sequences_stop_on_unsubscribe(app: TestApp) {
    let Some(smtp) = Smtp::start().await else { return };
    let s = app.admin().await;
    let ch = email_channel(&s, &app, smtp.port, None).await;
    let t1 = post_created(&s, &app, "/email-templates", json!({"name": "Step 1", "variants": {"en": {"subject": "Hello {{ contact.first_name }}", "body": "Our offer for {{ company.name }}. Unsubscribe: {{ unsubscribe_url }}"}, "ru": {"subject": "Здравствуйте, {{ contact.first_name }}", "body": "Предложение"}}})).await;
    let t2 = post_created(
        &s,
        &app,
        "/email-templates",
        json!({"name": "Step 2", "variants": {"en": {"subject": "Following up", "body": "Still interested?"}}}),
    )
    .await;
    let acme = post_created(&s, &app, "/companies", json!({"name": "Acme Buyers"})).await;
    let kim = post_created(
        &s,
        &app,
        "/contacts",
        json!({"first_name": "Kim", "emails": ["kim@client.test"], "company_id": acme["id"]}),
    )
    .await;
    let nomail = post_created(&s, &app, "/contacts", json!({"first_name": "Nomail"})).await;
    let preview = ok(
        send(
            &s,
            &app,
            Method::POST,
            &format!("/email-templates/{}/render", id(&t1)),
            Some(json!({"contact_id": kim["id"], "locale": "ru"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(preview["subject"], "Здравствуйте, Kim");
    let seq = post_created(&s, &app, "/sequences", json!({"name": "Welcome", "channel_id": ch["id"], "steps": [{"delay_hours": 0, "template_id": t1["id"]}, {"delay_hours": 24, "template_id": t2["id"]}]})).await;
    let sid = id(&seq);
    let r = ok(
        send(
            &s,
            &app,
            Method::POST,
            &format!("/sequences/{sid}/enrollments"),
            Some(json!({"contact_ids": [kim["id"], nomail["id"]]})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(r["enrolled"].as_array().unwrap().len(), 1);
    assert_eq!(r["skipped"][0][1], "no_email");
    // The first step is due at once; it queues the e-mail and schedules the second step a day later.
    drain(&app).await;
    let got = smtp.wait_for(1).await;
    let first = got.iter().find(|m| header(m, "Subject").is_some_and(|s| s == "Hello Kim")).expect("step 1");
    assert!(header(first, "List-Unsubscribe").is_some(), "bulk mail has List-Unsubscribe");
    let flat = first.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    assert!(flat.contains("Our offer for Acme Buyers"));
    let token = flat
        .split("/u/")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>();
    let plain = reqwest::Client::new();
    let page = plain.get(format!("{}/u/{token}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("kim@client.test"));
    plain.post(format!("{}/u/{token}", app.url)).send().await.unwrap();
    let consent = get_ok(&s, &app, "/consents?channel=email&address=kim@client.test").await;
    assert_eq!((consent["status"].as_str(), consent["source"].as_str()), (Some("withdrawn"), Some("unsubscribe_link")));
    let en = get_ok(&s, &app, &format!("/sequences/{sid}/enrollments")).await;
    assert_eq!(en[0]["stop_reason"], "unsubscribe");
    let stats = get_ok(&s, &app, &format!("/sequences/{sid}")).await;
    assert_eq!(stats["stats"][0]["step"], 0);
    assert_eq!(stats["stats"][0]["sent"], 1);
    // Enrolling again is refused for the withdrawn address.
    let again = ok(
        send(
            &s,
            &app,
            Method::POST,
            &format!("/sequences/{sid}/enrollments"),
            Some(json!({"contact_ids": [kim["id"]]})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(again["skipped"][0][1], "withdrawn");
}
both!(sequences_stop_on_unsubscribe);

/// Who sees and does what: channels are for administrators; a manager sees their own and
/// unassigned conversations; read-only users cannot answer; bad input names every field.
async fn inbox_permissions_and_validation(app: TestApp) {
    let s = app.admin().await;
    app.user("manager", "max@example.com").await;
    app.user("readonly", "rita@example.com").await;
    let max = app.login("max@example.com").await;
    let rita = app.login("rita@example.com").await;
    problem(send(&max, &app, Method::POST, "/channels", Some(json!({"kind": "chat", "name": "x"}))).await, 403).await;
    let p = problem(send(&s, &app, Method::POST, "/channels", Some(json!({"kind": "email", "name": "", "settings": {"smtp_tls": "ssl", "bogus": 1}, "secrets": {"api_key": "x"}}))).await, 422).await;
    let f = crate::helpers::fields(&p);
    for want in ["name", "settings.bogus", "settings.from_address", "settings.smtp_tls", "secrets.api_key"] {
        assert!(f.contains(&want.to_owned()), "{want} in {p}");
    }
    let ch = post_created(&s, &app, "/channels", json!({"kind": "chat", "name": "Site"})).await;
    let key = ch["public_key"].as_str().unwrap();
    let c = reqwest::Client::new();
    for v in ["visitor-one-0000000000", "visitor-two-0000000000"] {
        c.post(app.api(&format!("/hooks/chat/{key}/messages")))
            .form(&[("visitor", v), ("text", "hi")])
            .send()
            .await
            .unwrap();
    }
    let all = get_ok(&s, &app, "/inbox").await["data"].as_array().unwrap().clone();
    let (a, b) = (all[0]["id"].as_str().unwrap(), all[1]["id"].as_str().unwrap());
    // Max takes one; the other stays unassigned and visible to him; the admin's is not his.
    let me = get_ok(&max, &app, "/auth/me").await;
    ok(
        send(
            &max,
            &app,
            Method::PATCH,
            &format!("/inbox/{a}"),
            Some(json!({"assignee_id": me["user"]["id"], "status": "open"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let admin_me = get_ok(&s, &app, "/auth/me").await;
    ok(
        send(&s, &app, Method::PATCH, &format!("/inbox/{b}"), Some(json!({"assignee_id": admin_me["user"]["id"]})))
            .await,
        StatusCode::OK,
    )
    .await;
    let his = get_ok(&max, &app, "/inbox").await;
    assert_eq!(his["data"].as_array().unwrap().len(), 1);
    problem(send(&max, &app, Method::GET, &format!("/inbox/{b}"), None).await, 404).await;
    problem(send(&max, &app, Method::PATCH, &format!("/inbox/{a}"), Some(json!({"status": "sleeping"}))).await, 422)
        .await;
    let r = send(&max, &app, Method::PATCH, &format!("/inbox/{a}"), Some(json!({"status": "closed"}))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = get_ok(&max, &app, &format!("/inbox/{a}")).await;
    let stale = s
        .client
        .patch(app.api(&format!("/inbox/{a}")))
        .header("x-csrf-token", &s.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"status": "open"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED, "{v}");
    problem(send(&rita, &app, Method::POST, &format!("/inbox/{a}/messages"), Some(json!({"text": "hi"}))).await, 403)
        .await;
    problem(send(&max, &app, Method::POST, &format!("/inbox/{a}/messages"), Some(json!({"text": ""}))).await, 422)
        .await;
    problem(send(&s, &app, Method::GET, "/inbox?status=sleeping&limit=0", None).await, 422).await;
    // The OpenAPI document lists the inbox paths.
    let doc: Value = reqwest::get(app.api("/openapi.json")).await.unwrap().json().await.unwrap();
    for p in [
        "/api/v1/inbox",
        "/api/v1/channels",
        "/api/v1/email-templates",
        "/api/v1/forms",
        "/api/v1/sequences",
        "/api/v1/hooks/email/{key}",
        "/api/v1/hooks/calls/{key}",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} in the OpenAPI document");
    }
}
both!(inbox_permissions_and_validation);

/// The inbox page lists conversations across channels with filters and shows the open one
/// beside the client's card.
async fn inbox_pages(app: TestApp) {
    let s = app.admin().await;
    let (_, empty) = crate::helpers::page(&s, &app, "/inbox").await;
    assert!(empty.contains("data-testid=\"inbox-empty\""));
    let ch = post_created(&s, &app, "/channels", json!({"kind": "chat", "name": "Site"})).await;
    let key = ch["public_key"].as_str().unwrap();
    reqwest::Client::new()
        .post(app.api(&format!("/hooks/chat/{key}/messages")))
        .form(&[("visitor", "visitor-page-00000000"), ("text", "Hello from the page"), ("name", "Walter")])
        .send()
        .await
        .unwrap();
    let (status, html) = crate::helpers::page(&s, &app, "/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Walter") && html.contains("Hello from the page"));
    let conv = &get_ok(&s, &app, "/inbox").await["data"][0];
    let (_, html) = crate::helpers::page(&s, &app, &format!("/inbox/{}", conv["id"].as_str().unwrap())).await;
    assert!(
        html.contains("data-testid=\"reply-form\"") && html.contains("data-testid=\"client-link\""),
        "the lead's card beside it"
    );
    let r = crate::helpers::form(
        &s,
        &app,
        &format!("/inbox/{}/reply", conv["id"].as_str().unwrap()),
        &[("text", "Hi Walter")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, thread) = crate::helpers::page(&s, &app, &format!("/inbox/{}/thread", conv["id"].as_str().unwrap())).await;
    assert!(thread.contains("Hi Walter"));
    let (_, filtered) = crate::helpers::page(&s, &app, "/inbox/list?channel=sms").await;
    assert!(!filtered.contains("Walter"));
    let (_, settings) = crate::helpers::page(&s, &app, "/settings/channels").await;
    assert!(settings.contains("/chat/widget.js"));

    // Templates, forms and bot rules from the settings page.
    let r = crate::helpers::form(
        &s,
        &app,
        "/settings/outreach/templates",
        &[("name", "Bienvenue"), ("locale", "fr"), ("subject", "Bonjour"), ("body", "Salut {{ contact.first_name }}")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = crate::helpers::form(
        &s,
        &app,
        "/settings/outreach/bot-rules",
        &[("name", "Night"), ("outside_hours", "on"), ("reply", "We answer tomorrow morning.")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = crate::helpers::form(
        &s,
        &app,
        "/settings/outreach/forms",
        &[
            ("name", "Callback"),
            ("label_name", "Name"),
            ("label_email", "E-mail"),
            ("label_message", "Message"),
            ("consent_text", "I agree"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = crate::helpers::page(&s, &app, "/settings/outreach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Bienvenue")
            && html.contains("We answer tomorrow morning.")
            && html.contains("data-clientele-form="),
        "{html}"
    );
    let t = get_ok(&s, &app, "/email-templates").await;
    assert_eq!(t[0]["variants"]["fr"]["subject"], "Bonjour");
}
both!(inbox_pages);
