use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, fields, problem};

both!(stale_if_match_gets_412);
async fn stale_if_match_gets_412(app: TestApp) {
    let admin = app.admin().await;
    let r = admin
        .client
        .post(app.api("/teams"))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"name": "East"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers().get("etag").unwrap(), "\"1\"");
    let team: Value = r.json().await.unwrap();
    let path = app.api(&format!("/teams/{}", team["id"].as_str().unwrap()));

    // Two people load version 1; the first to save wins, the second hears 412.
    let r = admin
        .client
        .patch(&path)
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "East Coast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("etag").unwrap(), "\"2\"");
    let r = admin
        .client
        .patch(&path)
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "Eastern"}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 412).await;
    assert_eq!(p["current_version"], 2);
    let now: Value = admin.client.get(&path).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["name"], "East Coast", "no lost update");
    // Bare and weak forms work; garbage is a 400; deleting with a stale version is refused.
    let r = admin
        .client
        .patch(&path)
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "W/\"2\"")
        .json(&json!({"name": "Eastern"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    problem(
        admin
            .client
            .patch(&path)
            .header("x-csrf-token", &admin.csrf)
            .header("if-match", "two")
            .json(&json!({"name": "E"}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    problem(
        admin.client.delete(&path).header("x-csrf-token", &admin.csrf).header("if-match", "2").send().await.unwrap(),
        412,
    )
    .await;
    let r =
        admin.client.delete(&path).header("x-csrf-token", &admin.csrf).header("if-match", "3").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

both!(idempotency_key_replays_first_result);
async fn idempotency_key_replays_first_result(app: TestApp) {
    let admin = app.admin().await;
    let send = |body: Value, key: &str| {
        admin
            .client
            .post(app.api("/teams"))
            .header("x-csrf-token", &admin.csrf)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = send(json!({"name": "West"}), "key-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let replay = send(json!({"name": "West"}), "key-1").await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers().get("idempotent-replayed").unwrap(), "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(first, replay, "the replay returns the first result");
    let teams: Value = admin.client.get(app.api("/teams")).send().await.unwrap().json().await.unwrap();
    assert_eq!(teams["data"].as_array().unwrap().len(), 1, "and did not create a second team");
    // Reusing the key for something else is refused; failures are replayed as failures.
    let p = problem(send(json!({"name": "Other"}), "key-1").await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["Idempotency-Key"]);
    problem(send(json!({"name": ""}), "key-2").await.unwrap(), 422).await;
    let again = send(json!({"name": ""}), "key-2").await.unwrap();
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    problem(again, 422).await;
}

both!(bad_input_gets_problem_json);
async fn bad_input_gets_problem_json(app: TestApp) {
    let admin = app.admin().await;
    let post = |body: String, ct: &str| {
        admin
            .client
            .post(app.api("/users"))
            .header("x-csrf-token", &admin.csrf)
            .header("content-type", ct.to_owned())
            .body(body)
            .send()
    };
    // Malformed JSON → 400.
    let p = problem(post("{\"email\": ".into(), "application/json").await.unwrap(), 400).await;
    assert_eq!(p["type"], "urn:clientele:problem:malformed");
    // Valid JSON, invalid values → 422 with every bad field.
    let bad = json!({"email": "not-an-email", "name": "  ", "role": "owner", "password": "short"}).to_string();
    let p = problem(post(bad, "application/json").await.unwrap(), 422).await;
    let mut f = fields(&p);
    f.sort();
    assert_eq!(f, ["email", "name", "password", "role"]);
    // A missing or mistyped field names the field.
    let p = problem(
        post(json!({"name": "A", "role": "admin", "password": "long enough password"}).to_string(), "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["email"]);
    let p = problem(
        post(json!({"email": 42, "name": "A", "role": "admin", "password": "x"}).to_string(), "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["email"]);
    // Not JSON → 415; too large → 413.
    problem(post("email=a".into(), "application/x-www-form-urlencoded").await.unwrap(), 415).await;
    let huge = json!({"email": "a@example.com", "name": "x".repeat(2 * 1024 * 1024), "role": "admin", "password": "long enough password"}).to_string();
    // On its own connection: the server answers before reading the body and closes it.
    let r = admin
        .bearer()
        .post(app.api("/users"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    problem(r, 413).await;
    // Bad query parameters → 422 naming them.
    let p =
        problem(admin.client.get(app.api("/users?limit=100000&sort=password_hash")).send().await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["limit", "sort"]);
    let p = problem(admin.client.get(app.api("/users?cursor=garbage")).send().await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["cursor"]);
    // A duplicate is a 409 naming the field; nothing was half-written.
    let ok = json!({"email": "dup@example.com", "name": "D", "role": "manager", "password": "long enough password"});
    assert_eq!(post(ok.to_string(), "application/json").await.unwrap().status(), StatusCode::CREATED);
    let p = problem(post(ok.to_string(), "application/json").await.unwrap(), 409).await;
    assert_eq!(fields(&p), ["email"]);
}

both!(csrf_is_required_for_cookie_writes);
async fn csrf_is_required_for_cookie_writes(app: TestApp) {
    let admin = app.admin().await;
    let body = json!({"name": "Blue"});
    let p = problem(admin.client.post(app.api("/teams")).json(&body).send().await.unwrap(), 403).await;
    assert!(p["detail"].as_str().unwrap().contains("CSRF"));
    problem(
        admin.client.post(app.api("/teams")).header("x-csrf-token", "forged").json(&body).send().await.unwrap(),
        403,
    )
    .await;
    assert_eq!(
        admin.client.get(app.api("/teams")).send().await.unwrap().json::<Value>().await.unwrap()["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Bearer credentials are not sent by browsers on their own: no CSRF token needed.
    assert_eq!(admin.bearer().post(app.api("/teams")).json(&body).send().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(
        admin
            .client
            .post(app.api("/teams"))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"name": "Green"}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    // Web forms: a post without the form's token is refused.
    let r = admin.client.post(format!("{}/settings/teams", app.url)).form(&[("name", "Red")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .client
        .post(format!("{}/settings/teams", app.url))
        .form(&[("name", "Red"), ("_csrf", &admin.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

both!(list_pagination_over_the_api);
async fn list_pagination_over_the_api(app: TestApp) {
    let admin = app.admin().await;
    for i in 0..4 {
        app.user("manager", &format!("p{i}@example.com")).await;
    }
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => app.api(&format!("/users?limit=2&sort=email&cursor={c}")),
            None => app.api("/users?limit=2&sort=email"),
        };
        let page: Value = admin.client.get(url).send().await.unwrap().json().await.unwrap();
        seen.extend(page["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["p0@example.com", "p1@example.com", "p2@example.com", "p3@example.com", "root@example.com"]);
    // A cursor belongs to its sort order.
    let page: Value =
        admin.client.get(app.api("/users?limit=2&sort=email")).send().await.unwrap().json().await.unwrap();
    let c = page["next_cursor"].as_str().unwrap();
    problem(admin.client.get(app.api(&format!("/users?limit=2&sort=-email&cursor={c}"))).send().await.unwrap(), 422)
        .await;
    let found: Value = admin.client.get(app.api("/users?q=p2")).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
}

both!(openapi_health_metrics_and_headers);
async fn openapi_health_metrics_and_headers(app: TestApp) {
    let c = app.client();
    let doc: Value = c.get(app.api("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in [
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/teams/{id}",
        "/api/v1/tokens",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"].get("Problem").is_some());
    let docs = c.get(format!("{}/api/docs", app.url)).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("openapi.json"));

    assert_eq!(c.get(format!("{}/healthz", app.url)).send().await.unwrap().text().await.unwrap(), "ok");
    assert_eq!(c.get(format!("{}/readyz", app.url)).send().await.unwrap().status(), StatusCode::OK);
    let metrics = c.get(format!("{}/metrics", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("clientele_http_requests_total{method=\"GET\",route=\"/api/v1/openapi.json\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("clientele_database_up 1"));

    let r = c.get(format!("{}/login", app.url)).send().await.unwrap();
    let h = r.headers();
    assert!(h.get("content-security-policy").unwrap().to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
}
