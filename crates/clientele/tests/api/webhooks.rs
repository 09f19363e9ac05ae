//! Issue 7: outgoing webhooks through the outbox, signed, retried after a receiver failure,
//! logged with response codes, redelivered by hand.

use std::sync::{Arc, Mutex};

use axum::extract::State as AxState;
use axum::http::HeaderMap;
use clientele_core::domain::now;
use clientele_core::domain::webhook::verify;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, drain, fields, get_ok as get, id, ok, post_created as post, problem, send};

#[derive(Clone)]
struct Receiver {
    secret: Arc<Mutex<String>>,
    /// Answers 500 to this many requests first.
    fail_first: Arc<Mutex<u32>>,
    /// (event type, body, signature verified) of every request.
    got: Arc<Mutex<Vec<(String, Value, bool)>>>,
}

/// A local receiver that checks each request's signature with the subscription's secret.
async fn receiver(fail_first: u32) -> (String, Receiver) {
    let r = Receiver { secret: Arc::default(), fail_first: Arc::new(Mutex::new(fail_first)), got: Arc::default() };
    async fn hook(
        AxState(r): AxState<Receiver>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> axum::http::StatusCode {
        let sig = headers.get("x-clientele-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let ok = verify(&r.secret.lock().unwrap(), &sig, &body, now().timestamp());
        let ty = headers.get("x-clientele-event").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        r.got.lock().unwrap().push((ty, serde_json::from_slice(&body).unwrap_or(Value::Null), ok));
        let mut fail = r.fail_first.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        }
        if ok { axum::http::StatusCode::NO_CONTENT } else { axum::http::StatusCode::UNAUTHORIZED }
    }
    let router = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, r)
}

both!(webhooks_are_signed_retried_after_a_failure_logged_and_redelivered);
async fn webhooks_are_signed_retried_after_a_failure_logged_and_redelivered(app: TestApp) {
    let admin = app.admin().await;
    let (url, rx) = receiver(1).await;
    let bad = send(
        &admin,
        &app,
        Method::POST,
        "/webhooks",
        Some(json!({"url": "ftp://x", "event_types": ["deal.exploded"]})),
    )
    .await;
    assert_eq!(fields(&problem(bad, 422).await), vec!["url", "event_types[0]"]);
    let sub = post(
        &admin,
        &app,
        "/webhooks",
        json!({"url": url, "event_types": ["deal.created", "deal.won"], "description": "ERP"}),
    )
    .await;
    let secret = sub["secret"].as_str().unwrap().to_owned();
    *rx.secret.lock().unwrap() = secret;
    assert!(
        get(&admin, &app, &format!("/webhooks/{}", id(&sub))).await.get("secret").is_none(),
        "the secret is shown once"
    );

    let deal = post(&admin, &app, "/deals", json!({"title": "Hooked", "amount": "10", "currency": "EUR"})).await;
    // A lead is no deal event: no delivery for it.
    post(&admin, &app, "/leads", json!({"name": "Not subscribed"})).await;
    drain(&app).await;
    // The receiver failed the first attempt: the delivery waits for its retry.
    let deliveries = get(&admin, &app, &format!("/webhooks/{}/deliveries", id(&sub))).await;
    let deliveries = deliveries.as_array().unwrap().clone();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(
        (d["status"].as_str(), d["response_code"].as_i64(), d["attempts"].as_i64()),
        (Some("retrying"), Some(500), Some(1))
    );
    // Its retry comes after the backoff; make it due now.
    let key = format!("webhook.deliver:{}", id(d));
    app.services.store().nudge_job(&key, now()).await.unwrap();
    drain(&app).await;
    let detail = get(&admin, &app, &format!("/webhook-deliveries/{}", id(d))).await;
    assert_eq!(detail["status"], "delivered");
    let codes: Vec<i64> =
        detail["attempts"].as_array().unwrap().iter().map(|a| a["response_code"].as_i64().unwrap()).collect();
    assert_eq!(codes, vec![500, 204]);
    {
        let got = rx.got.lock().unwrap();
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|(t, body, ok)| t == "deal.created"
            && *ok
            && body["entity_id"] == deal["id"]
            && body["type"] == "deal.created"));
        assert_eq!(got[0].1["id"], got[1].1["id"], "the same event id on the retry");
    }
    // Manual redelivery: one more signed request.
    let again = ok(
        send(&admin, &app, Method::POST, &format!("/webhook-deliveries/{}/redeliver", id(d)), None).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(again["status"], "pending");
    drain(&app).await;
    assert_eq!(rx.got.lock().unwrap().len(), 3);
    assert_eq!(
        get(&admin, &app, &format!("/webhook-deliveries/{}", id(d))).await["attempts"].as_array().unwrap().len(),
        3
    );
    // A rotated secret signs from now on; the old one no longer verifies.
    let rotated = ok(
        send(&admin, &app, Method::PATCH, &format!("/webhooks/{}", id(&sub)), Some(json!({"rotate_secret": true})))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(rotated["secret"].as_str().unwrap(), rx.secret.lock().unwrap().as_str());
    post(&admin, &app, "/deals", json!({"title": "Second", "amount": "10", "currency": "EUR"})).await;
    drain(&app).await;
    let last = rx.got.lock().unwrap().last().cloned().unwrap();
    assert!(!last.2, "signed with the new secret");
    *rx.secret.lock().unwrap() = rotated["secret"].as_str().unwrap().to_owned();
    let r = send(&admin, &app, Method::DELETE, &format!("/webhooks/{}", id(&sub)), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

// A change that is rolled back sends nothing: the delivery row commits with the change.
both!(a_rolled_back_change_sends_no_webhook);
async fn a_rolled_back_change_sends_no_webhook(app: TestApp) {
    let admin = app.admin().await;
    let (url, rx) = receiver(0).await;
    let sub = post(&admin, &app, "/webhooks", json!({"url": url, "event_types": ["*"]})).await;
    *rx.secret.lock().unwrap() = sub["secret"].as_str().unwrap().to_owned();
    // Refused (no title): no event, no delivery.
    let r = send(&admin, &app, Method::POST, "/contacts", Some(json!({"emails": ["not an address"]}))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    drain(&app).await;
    assert!(get(&admin, &app, &format!("/webhooks/{}/deliveries", id(&sub))).await.as_array().unwrap().is_empty());
    post(&admin, &app, "/contacts", json!({"first_name": "Ann"})).await;
    drain(&app).await;
    let got = rx.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0].2);
    assert_eq!(got[0].0, "contact.created");
}
