use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, fields, problem};

both!(unauthenticated_forbidden_and_not_found);
async fn unauthenticated_forbidden_and_not_found(app: TestApp) {
    // 401: no credentials.
    for path in ["/users", "/teams", "/tokens", "/audit", "/auth/me"] {
        let r = app.client().get(app.api(path)).send().await.unwrap();
        let p = problem(r, 401).await;
        assert_eq!(p["type"], "urn:clientele:problem:unauthenticated", "{path}");
    }
    let admin = app.admin().await;
    let mgr_user = app.user("manager", "mo@example.com").await;
    let mgr = app.login("mo@example.com").await;
    app.user("readonly", "ro@example.com").await;
    let ro = app.login("ro@example.com").await;
    app.user("head", "hd@example.com").await;
    let head = app.login("hd@example.com").await;

    // Everyone reads the directory (to pick owners and assignees).
    for s in [&mgr, &ro, &head] {
        assert_eq!(s.client.get(app.api("/users")).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(
            s.client.get(app.api(&format!("/users/{}", mgr_user.id))).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    // 403: signed in, but the role does not allow it.
    let new_user =
        json!({"email": "x@example.com", "name": "X", "role": "manager", "password": "long enough password"});
    for s in [&mgr, &ro, &head] {
        problem(
            s.client.post(app.api("/users")).header("x-csrf-token", &s.csrf).json(&new_user).send().await.unwrap(),
            403,
        )
        .await;
        problem(
            s.client
                .post(app.api("/teams"))
                .header("x-csrf-token", &s.csrf)
                .json(&json!({"name": "T"}))
                .send()
                .await
                .unwrap(),
            403,
        )
        .await;
    }
    problem(mgr.client.get(app.api("/audit")).send().await.unwrap(), 403).await;
    problem(ro.client.get(app.api("/audit")).send().await.unwrap(), 403).await;
    assert_eq!(head.client.get(app.api("/audit")).send().await.unwrap().status(), StatusCode::OK);
    // A manager may rename themself but not promote themself.
    let me = format!("/users/{}", mgr_user.id);
    let r = mgr
        .client
        .patch(app.api(&me))
        .header("x-csrf-token", &mgr.csrf)
        .json(&json!({"name": "Mo Better"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    problem(
        mgr.client
            .patch(app.api(&me))
            .header("x-csrf-token", &mgr.csrf)
            .json(&json!({"role": "admin"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    // ...nor change someone else.
    let admin_id = admin.bearer().get(app.api("/auth/me")).send().await.unwrap().json::<Value>().await.unwrap()["user"]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        mgr.client
            .patch(app.api(&format!("/users/{admin_id}")))
            .header("x-csrf-token", &mgr.csrf)
            .json(&json!({"name": "Hacked"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    // An admin can't lock themself out.
    let p = problem(
        admin
            .client
            .patch(app.api(&format!("/users/{admin_id}")))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"role": "manager"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["role"]);
    // 404: no such record (and problem+json for unknown API paths too).
    problem(admin.client.get(app.api(&format!("/users/{}", uuid::Uuid::now_v7()))).send().await.unwrap(), 404).await;
    problem(admin.client.get(app.api("/no-such-thing")).send().await.unwrap(), 404).await;
    // A deactivated user is signed out and cannot sign in.
    let r = admin
        .client
        .patch(app.api(&me))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    problem(mgr.client.get(app.api("/auth/me")).send().await.unwrap(), 401).await;
    let r = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": "mo@example.com", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    problem(r, 401).await;
}

both!(audit_log_records_field_changes);
async fn audit_log_records_field_changes(app: TestApp) {
    let admin = app.admin().await;
    let r = admin.client.post(app.api("/users")).header("x-csrf-token", &admin.csrf)
        .json(&json!({"email": "nina@example.com", "name": "Nina", "role": "manager", "password": "long enough password"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let nina: Value = r.json().await.unwrap();
    let id = nina["id"].as_str().unwrap();
    let r = admin
        .client
        .patch(app.api(&format!("/users/{id}")))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"name": "Nina Ricci", "role": "head"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let log: Value =
        admin.client.get(app.api(&format!("/audit?entity_id={id}"))).send().await.unwrap().json().await.unwrap();
    let entries = log["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    let (update, create) = (&entries[0], &entries[1]);
    assert_eq!(update["action"], "update");
    assert_eq!(update["entity_type"], "user");
    assert_eq!(update["actor_name"], "admin root@example.com");
    assert_eq!(
        update["changes"],
        json!({"name": {"old": "Nina", "new": "Nina Ricci"}, "role": {"old": "manager", "new": "head"}})
    );
    assert_eq!(create["action"], "create");
    assert_eq!(create["changes"]["email"]["new"], "nina@example.com");
    assert!(
        create["changes"].get("password_hash").is_none() && !log.to_string().contains("argon2"),
        "no secrets in the log"
    );

    // Filters: by user (actor), by record type, by period.
    let admin_id =
        admin.client.get(app.api("/auth/me")).send().await.unwrap().json::<Value>().await.unwrap()["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let by_actor: Value = admin
        .client
        .get(app.api(&format!("/audit?actor_id={admin_id}&entity_type=user")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> =
        by_actor["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"create") && actions.contains(&"update"), "{actions:?}");
    let future: Value =
        admin.client.get(app.api("/audit?from=2999-01-01T00:00:00Z")).send().await.unwrap().json().await.unwrap();
    assert!(future["data"].as_array().unwrap().is_empty());
    let p = problem(admin.client.get(app.api("/audit?from=yesterday&limit=0")).send().await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["from", "limit"]);
    // Teams and tokens are audited too.
    admin
        .client
        .post(app.api("/teams"))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"name": "North"}))
        .send()
        .await
        .unwrap();
    let teams: Value = admin.client.get(app.api("/audit?entity_type=team")).send().await.unwrap().json().await.unwrap();
    assert_eq!(teams["data"][0]["changes"]["name"]["new"], "North");
}
