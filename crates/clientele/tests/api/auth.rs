use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{PASSWORD, TestApp, bearer_client, problem};

both!(login_session_cookie_and_bearer);
async fn login_session_cookie_and_bearer(app: TestApp) {
    app.user("manager", "mia@example.com").await;
    let client = app.client();
    let r = client
        .post(app.api("/auth/login"))
        .json(&json!({"email": "MIA@example.com ", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("clientele_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["email"], "mia@example.com");
    assert!(body["user"].get("password_hash").is_none(), "the hash never leaves the server");
    let token = body["token"].as_str().unwrap().to_owned();

    // The cookie authenticates the browser, the token authenticates scripts.
    let me: Value = client.get(app.api("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["email"], "mia@example.com");
    assert_eq!(me["authenticated_by"], "session");
    let r = bearer_client(&token).get(app.api("/auth/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The login is recorded with the user's last sign-in time and in the audit log.
    let u =
        app.services.find_user_by_email(&clientele_core::authz::Actor::system("t"), "mia@example.com").await.unwrap();
    assert!(u.last_login_at.is_some());

    // Wrong password and unknown user look the same.
    let r = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": "mia@example.com", "password": "nope nope nope"}))
        .send()
        .await
        .unwrap();
    let p1 = problem(r, 401).await;
    let r = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": "ghost@example.com", "password": "nope nope nope"}))
        .send()
        .await
        .unwrap();
    let p2 = problem(r, 401).await;
    assert_eq!(p1["detail"], p2["detail"]);

    // Logout ends the session for cookie and token alike.
    let me: Value = client.get(app.api("/auth/me")).send().await.unwrap().json().await.unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let r = client.post(app.api("/auth/logout")).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(client.get(app.api("/auth/me")).send().await.unwrap(), 401).await;
    problem(bearer_client(&token).get(app.api("/auth/me")).send().await.unwrap(), 401).await;
}

both!(api_tokens_create_use_revoke);
async fn api_tokens_create_use_revoke(app: TestApp) {
    let admin = app.admin().await;
    app.user("manager", "max@example.com").await;
    let mgr = app.login("max@example.com").await;

    let r = mgr
        .client
        .post(app.api("/tokens"))
        .header("x-csrf-token", &mgr.csrf)
        .json(&json!({"name": "Website form", "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("clt_"));
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    assert!(created["expires_at"].is_string());

    // The token works as the manager.
    let tok = bearer_client(&secret);
    let me: Value = tok.get(app.api("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["email"], "max@example.com");
    assert_eq!(me["authenticated_by"], "api_token");
    // Tokens are listed without their secrets, and are stored hashed.
    let list: Value = mgr.client.get(app.api("/tokens")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret));
    let stored = app.services.store().get_token_by_hash(&secret).await.unwrap();
    assert!(stored.is_none(), "the secret itself is not a key in the database");
    // A token cannot mint more tokens.
    problem(tok.post(app.api("/tokens")).json(&json!({"name": "x"})).send().await.unwrap(), 403).await;
    // Someone else's token is not found for a manager, but an admin may revoke it.
    let id = created["id"].as_str().unwrap();
    app.user("manager", "other@example.com").await;
    let other = app.login("other@example.com").await;
    problem(
        other
            .client
            .delete(app.api(&format!("/tokens/{id}")))
            .header("x-csrf-token", &other.csrf)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let r = admin
        .client
        .delete(app.api(&format!("/tokens/{id}")))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let revoked: Value = r.json().await.unwrap();
    assert!(revoked["revoked_at"].is_string());
    // A revoked token is refused at once, and so is garbage.
    problem(tok.get(app.api("/auth/me")).send().await.unwrap(), 401).await;
    problem(bearer_client("clt_not-a-token").get(app.api("/auth/me")).send().await.unwrap(), 401).await;
    // Admins can list everyone's tokens; managers cannot.
    let all: Value = admin.client.get(app.api("/tokens?all=true")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    problem(mgr.client.get(app.api("/tokens?all=true")).send().await.unwrap(), 403).await;
}

both!(login_is_rate_limited);
async fn login_is_rate_limited(app: TestApp) {
    app.user("manager", "target@example.com").await;
    for i in 0..5 {
        let r = app
            .client()
            .post(app.api("/auth/login"))
            .json(&json!({"email": "target@example.com", "password": format!("guess number {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Now even the right password is refused until the window passes.
    let r = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": "target@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0 && s <= 900), "Retry-After: {retry:?}");
    problem(r, 429).await;
    // Another account is not affected.
    app.user("manager", "bystander@example.com").await;
    app.login("bystander@example.com").await;
}

both!(password_change_signs_out_other_sessions);
async fn password_change_signs_out_other_sessions(app: TestApp) {
    app.user("manager", "pat@example.com").await;
    let a = app.login("pat@example.com").await;
    let b = app.login("pat@example.com").await;
    let r = a
        .client
        .post(app.api("/auth/password"))
        .header("x-csrf-token", &a.csrf)
        .json(&json!({"current_password": "wrong one here", "new_password": "short"}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 422).await;
    let f = crate::helpers::fields(&p);
    assert!(f.contains(&"current_password".to_owned()) && f.contains(&"new_password".to_owned()), "{f:?}");
    let r = a
        .client
        .post(app.api("/auth/password"))
        .header("x-csrf-token", &a.csrf)
        .json(&json!({"current_password": PASSWORD, "new_password": "a much better passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(a.client.get(app.api("/auth/me")).send().await.unwrap().status(), StatusCode::OK, "this session stays");
    problem(b.client.get(app.api("/auth/me")).send().await.unwrap(), 401).await;
    let r = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": "pat@example.com", "password": "a much better passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
