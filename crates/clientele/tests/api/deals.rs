//! The sales funnel through the API: pipelines and stages, deals and their stage moves,
//! history and durations, exact money, the board, permissions and validation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, fields, get_ok as get, id, ok, post_created as post, problem, send};

async fn move_to(s: &Session, app: &TestApp, deal: &str, body: Value) -> reqwest::Response {
    send(s, app, Method::POST, &format!("/deals/{deal}/move"), Some(body)).await
}

/// The demo pipeline and its stage ids by name.
async fn sales(s: &Session, app: &TestApp) -> (String, impl Fn(&str) -> String) {
    let list = get(s, app, "/pipelines").await;
    let p = list["data"].as_array().unwrap().iter().find(|p| p["name"] == "Sales").unwrap().clone();
    let id = p["id"].as_str().unwrap().to_owned();
    let stages = p["stages"].as_array().unwrap().clone();
    (id, move |name: &str| {
        stages.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no stage {name}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    })
}

async fn me(s: &Session, app: &TestApp) -> String {
    get(s, app, "/auth/me").await["user"]["id"].as_str().unwrap().to_owned()
}

both!(the_demo_pipeline_exists_with_its_stages);
async fn the_demo_pipeline_exists_with_its_stages(app: TestApp) {
    let admin = app.admin().await;
    let list = get(&admin, &app, "/pipelines").await;
    let p = &list["data"][0];
    assert_eq!(p["name"], "Sales");
    let stages: Vec<(String, i64, String)> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["name"].as_str().unwrap().into(), s["probability"].as_i64().unwrap(), s["kind"].as_str().unwrap().into())
        })
        .collect();
    let expect = [
        ("Qualification", 10, "open"),
        ("Needs analysis", 30, "open"),
        ("Proposal", 60, "open"),
        ("Negotiation", 80, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ];
    assert_eq!(stages, expect.map(|(a, b, c)| (a.to_owned(), b, c.to_owned())));
    let reasons = get(&admin, &app, "/loss-reasons").await;
    assert_eq!(reasons["data"].as_array().unwrap().len(), 4);
    assert_eq!(get(&admin, &app, "/currencies").await["base_currency"], "EUR");
}

both!(stage_moves_keep_history_durations_and_events);
async fn stage_moves_keep_history_durations_and_events(app: TestApp) {
    let admin = app.admin().await;
    let admin_id = me(&admin, &app).await;
    let (pipeline, stage) = sales(&admin, &app).await;
    let d = post(&admin, &app, "/deals", json!({"title": "Fleet renewal", "amount": "1000", "currency": "eur"})).await;
    let deal = id(&d);
    assert_eq!((d["status"].as_str(), d["stage_id"].as_str()), (Some("open"), Some(stage("Qualification").as_str())));
    assert_eq!((d["amount"].as_str(), d["amount_minor"].as_i64()), (Some("1000.00"), Some(100_000)));
    assert_eq!(d["pipeline_id"], pipeline.as_str());
    assert_eq!(d["owner_id"], admin_id.as_str());
    let h = d["stage_history"].as_array().unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!((h[0]["from_stage_id"].clone(), h[0]["left_at"].clone()), (Value::Null, Value::Null));
    assert_eq!(h[0]["moved_by"], admin_id.as_str());

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = move_to(&admin, &app, &deal, json!({"stage_id": stage("Proposal")})).await;
    let d = ok(r, StatusCode::OK).await;
    let h = d["stage_history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["left_at"], h[1]["entered_at"], "the old stay ends when the new one starts");
    assert_eq!(h[1]["from_stage_id"], stage("Qualification").as_str());
    assert_eq!(h[1]["to_stage_id"], stage("Proposal").as_str());
    assert_eq!(h[1]["moved_by_name"], "admin root@example.com");
    assert_eq!(d["stage_entered_at"], h[1]["entered_at"]);
    let q = &d["stage_durations"][0];
    assert_eq!(q["stage_name"], "Qualification");
    assert!(q["seconds"].as_i64().unwrap() >= 1, "{q}");
    assert_eq!((q["visits"].as_i64(), q["current"].as_bool()), (Some(1), Some(false)));

    // Lost needs one of the configured reasons; an unknown one is refused.
    let r = move_to(&admin, &app, &deal, json!({"stage_id": stage("Lost")})).await;
    let p = problem(r, 422).await;
    assert_eq!(fields(&p), ["loss_reason_id"]);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("Price too high"));
    let r =
        move_to(&admin, &app, &deal, json!({"stage_id": stage("Lost"), "loss_reason_id": uuid::Uuid::now_v7()})).await;
    assert_eq!(fields(&problem(r, 422).await), ["loss_reason_id"]);
    let reasons = get(&admin, &app, "/loss-reasons").await;
    let price = id(&reasons["data"][0]);
    let r = move_to(
        &admin,
        &app,
        &deal,
        json!({"stage_id": stage("Lost"), "loss_reason_id": price, "loss_note": "went with the cheaper offer"}),
    )
    .await;
    let d = ok(r, StatusCode::OK).await;
    assert_eq!(d["status"], "lost");
    assert!(d["closed_at"].is_string());
    assert_eq!(d["loss_reason_id"], price.as_str());
    assert_eq!(d["loss_note"], "went with the cheaper offer");

    // Reopened: status open, closed_at and the loss reason cleared.
    let d = ok(move_to(&admin, &app, &deal, json!({"stage_id": stage("Negotiation")})).await, StatusCode::OK).await;
    assert_eq!(
        (d["status"].as_str(), d["closed_at"].clone(), d["loss_reason_id"].clone()),
        (Some("open"), Value::Null, Value::Null)
    );
    // Stale If-Match: 412.
    let r = admin
        .client
        .post(app.api(&format!("/deals/{deal}/move")))
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"stage_id": stage("Won")}))
        .send()
        .await
        .unwrap();
    problem(r, 412).await;
    let d = ok(move_to(&admin, &app, &deal, json!({"stage_id": stage("Won")})).await, StatusCode::OK).await;
    assert_eq!(d["status"], "won");
    assert!(d["closed_at"].is_string());
    let h = d["stage_history"].as_array().unwrap();
    let path: Vec<&str> = h.iter().map(|v| v["to_stage_id"].as_str().unwrap()).collect();
    let want = ["Qualification", "Proposal", "Lost", "Negotiation", "Won"].map(&stage);
    assert_eq!(path, want.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(h.iter().filter(|v| v["left_at"].is_null()).count(), 1, "only the current stay is open");
    let durations = get(&admin, &app, &format!("/deals/{deal}/durations")).await;
    let names: Vec<(&str, bool)> = durations["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["stage_name"].as_str().unwrap(), d["current"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        names,
        [("Qualification", false), ("Proposal", false), ("Lost", false), ("Negotiation", false), ("Won", true)]
    );

    // The stage changes only by moving: PATCH names the field.
    let r = send(&admin, &app, Method::PATCH, &format!("/deals/{deal}"), Some(json!({"stage_id": stage("Proposal")})))
        .await;
    assert_eq!(fields(&problem(r, 422).await), ["stage_id"]);

    // Every move left an event for automation and an audit line with from/to.
    let events = app.services.store().deal_events(None, 100).await.unwrap();
    let mine: Vec<_> = events.iter().filter(|e| e.deal_id.to_string() == deal).collect();
    assert_eq!(mine.len(), 4);
    assert!(mine.iter().all(|e| e.kind == "stage_changed"));
    assert_eq!(mine[0].payload["from_stage_id"], stage("Qualification").as_str());
    assert_eq!(mine[0].payload["to_stage_id"], stage("Proposal").as_str());
    assert_eq!(mine[3].payload["to_status"], "won");
    let audit = get(&admin, &app, &format!("/audit?entity_id={deal}")).await;
    let moves: Vec<&Value> =
        audit["data"].as_array().unwrap().iter().filter(|a| a["action"] == "stage_changed").collect();
    assert_eq!(moves.len(), 4);
    assert!(moves.iter().any(|a| a["changes"]["stage_id"]["old"] == stage("Negotiation").as_str()
        && a["changes"]["stage_id"]["new"] == stage("Won").as_str()));

    // Across pipelines only with the pipeline named.
    let other = post(
        &admin,
        &app,
        "/pipelines",
        json!({"name": "Renewals", "stages": [{"name": "Due"}, {"name": "Renewed", "kind": "won"}, {"name": "Churned", "kind": "lost"}]}),
    )
    .await;
    let due = other["stages"][0]["id"].as_str().unwrap().to_owned();
    let r = move_to(&admin, &app, &deal, json!({"stage_id": due})).await;
    let p = problem(r, 422).await;
    assert_eq!(fields(&p), ["stage_id"]);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("pipeline_id"));
    let d =
        ok(move_to(&admin, &app, &deal, json!({"stage_id": due, "pipeline_id": other["id"]})).await, StatusCode::OK)
            .await;
    assert_eq!((d["pipeline_id"].clone(), d["status"].as_str()), (other["id"].clone(), Some("open")));
}

both!(line_items_and_payments_are_exact);
async fn line_items_and_payments_are_exact(app: TestApp) {
    let admin = app.admin().await;
    let d = post(&admin, &app, "/deals", json!({"title": "Licences", "currency": "EUR"})).await;
    let deal = id(&d);
    let items = json!({"items": [
        {"name": "Licence", "quantity": "3", "unit": "pcs", "unit_price": "19.99", "discount_pct": "10", "tax_pct": "20"},
        {"name": "Setup", "quantity": 1, "unit_price": "0.05", "discount_pct": 50}
    ]});
    let d =
        ok(send(&admin, &app, Method::PUT, &format!("/deals/{deal}/items"), Some(items)).await, StatusCode::OK).await;
    let l = &d["items"][0];
    assert_eq!(
        [&l["subtotal"], &l["discount"], &l["line_total"], &l["tax"], &l["total"]],
        [&json!("59.97"), &json!("6.00"), &json!("53.97"), &json!("10.79"), &json!("64.76")]
    );
    // Half a cent rounds away from zero: 0.05 with 50 % off is 0.03.
    assert_eq!(d["items"][1]["line_total"], "0.03");
    assert_eq!(
        d["totals"],
        json!({"currency": "EUR", "subtotal": "60.02", "discount": "6.02", "net": "54.00", "tax": "10.79", "total": "64.79", "total_minor": 6479})
    );
    assert_eq!(
        (d["amount"].clone(), d["amount_minor"].clone()),
        (json!("64.79"), json!(6479)),
        "the deal's amount is the lines' total"
    );
    assert!(d["items"][0]["quantity"].is_string() && d["items"][0]["unit_price"] == "19.99");

    // Every bad line and field named.
    let bad = json!({"items": [
        {"name": "A", "quantity": "2"},
        {"name": "B", "quantity": "-1", "unit_price": "1.999"},
        {"name": "", "unit_price": "1", "discount_pct": "120", "tax_pct": "x"}
    ]});
    let r = send(&admin, &app, Method::PUT, &format!("/deals/{deal}/items"), Some(bad)).await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(
        f,
        [
            "items[0].unit_price",
            "items[1].quantity",
            "items[1].unit_price",
            "items[2].discount_pct",
            "items[2].name",
            "items[2].tax_pct"
        ]
    );
    // The amount follows the lines; typing another one is refused.
    let r = send(&admin, &app, Method::PATCH, &format!("/deals/{deal}"), Some(json!({"amount": "10"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["amount"]);

    // Payments against the amount.
    post(
        &admin,
        &app,
        &format!("/deals/{deal}/payments"),
        json!({"kind": "planned", "date": "2026-05-01", "amount": "30"}),
    )
    .await;
    let paid = post(
        &admin,
        &app,
        &format!("/deals/{deal}/payments"),
        json!({"kind": "actual", "amount": 20.5, "note": "advance"}),
    )
    .await;
    assert_eq!(paid["amount"], "20.50");
    let r = send(
        &admin,
        &app,
        Method::POST,
        &format!("/deals/{deal}/payments"),
        Some(json!({"kind": "maybe", "amount": "1.001"})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["amount", "kind"]);
    let d = get(&admin, &app, &format!("/deals/{deal}")).await;
    assert_eq!(d["payment_summary"], json!({"planned": "30.00", "paid": "20.50", "outstanding": "44.29"}));
    let r = send(&admin, &app, Method::DELETE, &format!("/deals/{deal}/payments/{}", id(&paid)), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d = get(&admin, &app, &format!("/deals/{deal}")).await;
    assert_eq!(d["payments"].as_array().unwrap().len(), 1);
    assert_eq!(d["payment_summary"]["outstanding"], "64.79");

    // Currencies without cents and with three decimals.
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/deals",
        Some(json!({"title": "Tokyo", "currency": "JPY", "amount": "1500.5"})),
    )
    .await;
    let p = problem(r, 422).await;
    assert_eq!(fields(&p), ["amount"]);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("JPY has 0 decimals"));
    let yen = post(&admin, &app, "/deals", json!({"title": "Tokyo", "currency": "JPY", "amount": 1500})).await;
    assert_eq!(yen["amount"], "1500");
    let lines =
        json!({"items": [{"name": "Kit", "quantity": 3, "unit_price": "333", "discount_pct": "5", "tax_pct": "10"}]});
    let y =
        ok(send(&admin, &app, Method::PUT, &format!("/deals/{}/items", id(&yen)), Some(lines)).await, StatusCode::OK)
            .await;
    assert_eq!(
        (y["totals"]["net"].as_str(), y["totals"]["tax"].as_str(), y["amount"].as_str()),
        (Some("949"), Some("95"), Some("1044"))
    );
    let bhd = post(&admin, &app, "/deals", json!({"title": "Manama", "currency": "BHD"})).await;
    let lines = json!({"items": [{"name": "Oil", "quantity": "1.5", "unit_price": "2.345"}]});
    let b =
        ok(send(&admin, &app, Method::PUT, &format!("/deals/{}/items", id(&bhd)), Some(lines)).await, StatusCode::OK)
            .await;
    assert_eq!(b["amount"], "3.518");
    // The currency cannot change under existing lines.
    let r = send(&admin, &app, Method::PATCH, &format!("/deals/{}", id(&bhd)), Some(json!({"currency": "EUR"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["currency"]);
}

both!(the_board_counts_and_sums_open_deals_in_the_base_currency);
async fn the_board_counts_and_sums_open_deals_in_the_base_currency(app: TestApp) {
    let admin = app.admin().await;
    let (pipeline, stage) = sales(&admin, &app).await;
    let c =
        ok(send(&admin, &app, Method::PUT, "/currencies/base", Some(json!({"currency": "eur"}))).await, StatusCode::OK)
            .await;
    assert_eq!(c["base_currency"], "EUR");
    post(&admin, &app, "/currencies/rates", json!({"currency": "USD", "rate": "0.90", "valid_from": "2020-01-01"}))
        .await;
    post(&admin, &app, "/currencies/rates", json!({"currency": "USD", "rate": "0.9235", "valid_from": "2024-01-01"}))
        .await;
    post(&admin, &app, "/currencies/rates", json!({"currency": "JPY", "rate": "0.0062", "valid_from": "2024-01-01"}))
        .await;
    post(&admin, &app, "/currencies/rates", json!({"currency": "USD", "rate": "2", "valid_from": "2999-01-01"})).await;
    let r = send(&admin, &app, Method::POST, "/currencies/rates", Some(json!({"currency": "USD", "rate": "-1"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["rate"]);

    let q = stage("Qualification");
    let mk = |title: &str, amount: &str, currency: &str, st: &str, tags: Value| json!({"title": title, "amount": amount, "currency": currency, "stage_id": st, "tags": tags});
    post(&admin, &app, "/deals", mk("A", "100.00", "EUR", &q, json!(["vip"]))).await;
    post(&admin, &app, "/deals", mk("B", "10.00", "USD", &q, json!([]))).await;
    post(&admin, &app, "/deals", mk("C", "1000", "JPY", &q, json!(["vip"]))).await;
    post(&admin, &app, "/deals", mk("D", "50.00", "EUR", &stage("Proposal"), json!([]))).await;
    post(&admin, &app, "/deals", mk("E", "5.00", "GBP", &stage("Proposal"), json!([]))).await;
    let won = post(&admin, &app, "/deals", mk("F", "999.00", "EUR", &q, json!([]))).await;
    ok(move_to(&admin, &app, &id(&won), json!({"stage_id": stage("Won")})).await, StatusCode::OK).await;

    let b = get(&admin, &app, &format!("/pipelines/{pipeline}/board")).await;
    assert_eq!(b["base_currency"], "EUR");
    let cols = b["columns"].as_array().unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c["stage"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Qualification", "Needs analysis", "Proposal", "Negotiation"], "outcome stages are no columns");
    // 100.00 + 10 USD × 0.9235 (9.235 → 9.24) + 1000 JPY × 0.0062 (6.20) = 115.44; the won deal is not counted.
    assert_eq!((cols[0]["count"].as_i64(), cols[0]["sum"]["total"].as_str()), (Some(3), Some("115.44")));
    assert_eq!(cols[0]["deals"].as_array().unwrap().len(), 3);
    assert_eq!(cols[0]["deals"][0]["title"], "C", "newest activity first");
    assert_eq!((cols[1]["count"].as_i64(), cols[1]["sum"]["total"].as_str()), (Some(0), Some("0.00")));
    assert_eq!((cols[2]["count"].as_i64(), cols[2]["sum"]["total"].as_str()), (Some(2), Some("50.00")));
    assert_eq!(cols[2]["sum"]["unconverted"], json!([{"currency": "GBP", "amount": "5.00"}]), "no GBP rate");
    assert_eq!((b["total_count"].as_i64(), b["total"]["total"].as_str()), (Some(5), Some("165.44")));

    // A page at a time, with a cursor per column.
    let b = get(&admin, &app, &format!("/pipelines/{pipeline}/board?limit=2")).await;
    let col = &b["columns"][0];
    let titles: Vec<&str> = col["deals"].as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["C", "B"]);
    let cursor = col["next_cursor"].as_str().unwrap();
    let more = get(&admin, &app, &format!("/pipelines/{pipeline}/board/{q}?limit=2&cursor={cursor}")).await;
    let titles: Vec<&str> = more["data"].as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["A"]);
    assert!(more["next_cursor"].is_null());
    // Filters: a tag, words of the title, an owner.
    let b = get(&admin, &app, &format!("/pipelines/{pipeline}/board?tag=VIP")).await;
    assert_eq!(
        (b["columns"][0]["count"].as_i64(), b["columns"][0]["sum"]["total"].as_str()),
        (Some(2), Some("106.20"))
    );
    let b = get(&admin, &app, &format!("/pipelines/{pipeline}/board?q=d")).await;
    assert_eq!(b["total_count"], 1);
    let b = get(&admin, &app, &format!("/pipelines/{pipeline}/board?owner_id=me")).await;
    assert_eq!(b["total_count"], 5);
    let r = send(&admin, &app, Method::GET, &format!("/pipelines/{pipeline}/board?limit=0"), None).await;
    assert_eq!(fields(&problem(r, 422).await), ["limit"]);
}

both!(stages_are_managed_and_a_stage_with_deals_stays);
async fn stages_are_managed_and_a_stage_with_deals_stays(app: TestApp) {
    let admin = app.admin().await;
    let p = post(
        &admin,
        &app,
        "/pipelines",
        json!({"name": "Partners", "stages": [{"name": "Intro", "probability": 5, "time_limit_days": 7, "colour": "#AABBCC"},
               {"name": "Pilot"}, {"name": "Signed", "kind": "won"}, {"name": "Dropped", "kind": "lost"}]}),
    )
    .await;
    let pid = id(&p);
    assert_eq!(p["stages"][0]["colour"], "#aabbcc");
    assert_eq!((p["stages"][2]["probability"].as_i64(), p["stages"][3]["probability"].as_i64()), (Some(100), Some(0)));
    let intro = p["stages"][0]["id"].as_str().unwrap().to_owned();
    let pilot = p["stages"][1]["id"].as_str().unwrap().to_owned();
    let won = p["stages"][2]["id"].as_str().unwrap().to_owned();

    // Add, rename, reorder.
    let p = post(&admin, &app, &format!("/pipelines/{pid}/stages"), json!({"name": "Demo", "probability": 40})).await;
    let names: Vec<&str> = p["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Intro", "Pilot", "Demo", "Signed", "Dropped"], "a new stage goes after the open ones");
    let demo = p["stages"][2]["id"].as_str().unwrap().to_owned();
    let p = ok(
        send(
            &admin,
            &app,
            Method::PATCH,
            &format!("/pipelines/{pid}/stages/{pilot}"),
            Some(json!({"name": "Paid pilot", "time_limit_days": null})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(p["stages"][1]["name"], "Paid pilot");
    let all: Vec<Value> = p["stages"].as_array().unwrap().iter().map(|s| s["id"].clone()).collect();
    let order = json!({"stage_ids": [all[2], all[0], all[1], all[3], all[4]]});
    let p = ok(
        send(&admin, &app, Method::PUT, &format!("/pipelines/{pid}/stages/order"), Some(order)).await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = p["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Demo", "Intro", "Paid pilot", "Signed", "Dropped"]);
    let positions: Vec<i64> = p["stages"].as_array().unwrap().iter().map(|s| s["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, [0, 1, 2, 3, 4]);
    let r = send(
        &admin,
        &app,
        Method::PUT,
        &format!("/pipelines/{pid}/stages/order"),
        Some(json!({"stage_ids": [all[0]]})),
    )
    .await;
    assert_eq!(fields(&problem(r, 422).await), ["stage_ids"]);

    // A stage with a deal is kept: 409 naming the count.
    let d =
        post(&admin, &app, "/deals", json!({"title": "Pilot with Acme", "pipeline_id": pid, "stage_id": intro})).await;
    let r = send(&admin, &app, Method::DELETE, &format!("/pipelines/{pid}/stages/{intro}"), None).await;
    let p409 = problem(r, 409).await;
    assert!(p409["detail"].as_str().unwrap().contains("1 deal is in stage `Intro`"), "{p409}");
    let r = send(&admin, &app, Method::DELETE, &format!("/pipelines/{pid}"), None).await;
    assert!(problem(r, 409).await["detail"].as_str().unwrap().contains("1 deal is in this pipeline"));
    ok(move_to(&admin, &app, &id(&d), json!({"stage_id": demo})).await, StatusCode::OK).await;
    let p =
        ok(send(&admin, &app, Method::DELETE, &format!("/pipelines/{pid}/stages/{intro}"), None).await, StatusCode::OK)
            .await;
    assert_eq!(p["stages"].as_array().unwrap().len(), 4);
    // The history still names the removed stage.
    let view = get(&admin, &app, &format!("/deals/{}", id(&d))).await;
    assert_eq!(view["stage_durations"][0]["stage_name"], "Intro");
    // Outcome stages stay; a second won stage is refused.
    let r = send(&admin, &app, Method::DELETE, &format!("/pipelines/{pid}/stages/{won}"), None).await;
    problem(r, 409).await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        &format!("/pipelines/{pid}/stages"),
        Some(json!({"name": "Won again", "kind": "won"})),
    )
    .await;
    problem(r, 409).await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/pipelines",
        Some(json!({"name": "Odd", "stages": [{"name": "A"}, {"name": "W", "kind": "won"}, {"name": "W2", "kind": "won"}, {"name": "L", "kind": "maybe"}]})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["stages", "stages[3].kind"]);

    // Loss reasons: add, archive; an archived reason cannot be chosen.
    let r = post(&admin, &app, "/loss-reasons", json!({"name": "Timing"})).await;
    assert_eq!(r["position"], 4);
    let resp = send(&admin, &app, Method::DELETE, &format!("/loss-reasons/{}", id(&r)), None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&admin, &app, "/loss-reasons").await["data"].as_array().unwrap().len(), 4);
    assert_eq!(get(&admin, &app, "/loss-reasons?archived=true").await["data"].as_array().unwrap().len(), 5);
    let lost = p["stages"].as_array().unwrap().iter().find(|s| s["kind"] == "lost").unwrap()["id"].clone();
    let r = move_to(&admin, &app, &id(&d), json!({"stage_id": lost, "loss_reason_id": r["id"]})).await;
    assert_eq!(fields(&problem(r, 422).await), ["loss_reason_id"]);

    // Managers read pipelines but cannot change them.
    app.user("manager", "m@example.com").await;
    let m = app.login("m@example.com").await;
    assert_eq!(get(&m, &app, "/pipelines").await["data"].as_array().unwrap().len(), 2);
    let r = send(&m, &app, Method::POST, "/pipelines", Some(json!({"name": "Mine"}))).await;
    problem(r, 403).await;
    let r = send(&m, &app, Method::DELETE, &format!("/pipelines/{pid}/stages/{demo}"), None).await;
    problem(r, 403).await;
}

both!(managers_see_own_and_co_owned_deals_only);
async fn managers_see_own_and_co_owned_deals_only(app: TestApp) {
    let admin = app.admin().await;
    app.user("manager", "ann@example.com").await;
    let bob_user = app.user("manager", "bob@example.com").await;
    app.user("readonly", "rita@example.com").await;
    let ann = app.login("ann@example.com").await;
    let bob = app.login("bob@example.com").await;
    let rita = app.login("rita@example.com").await;
    let (pipeline, stage) = sales(&admin, &app).await;

    let d = post(&ann, &app, "/deals", json!({"title": "Ann's deal", "amount": "10"})).await;
    let deal = id(&d);
    // Bob cannot see it: 404, not in his list or board.
    problem(send(&bob, &app, Method::GET, &format!("/deals/{deal}"), None).await, 404).await;
    assert_eq!(get(&bob, &app, "/deals").await["data"].as_array().unwrap().len(), 0);
    assert_eq!(get(&bob, &app, &format!("/pipelines/{pipeline}/board")).await["total_count"], 0);
    problem(move_to(&bob, &app, &deal, json!({"stage_id": stage("Proposal")})).await, 404).await;
    // Ann cannot give the deal to Bob, but can share it.
    let r = send(&ann, &app, Method::PATCH, &format!("/deals/{deal}"), Some(json!({"owner_id": bob_user.id}))).await;
    problem(r, 403).await;
    let r =
        send(&ann, &app, Method::PATCH, &format!("/deals/{deal}"), Some(json!({"co_owner_ids": [bob_user.id]}))).await;
    let d = ok(r, StatusCode::OK).await;
    assert_eq!(d["co_owner_ids"], json!([bob_user.id]));
    // Now Bob sees and works it, but cannot delete it.
    let seen = get(&bob, &app, &format!("/deals/{deal}")).await;
    assert_eq!(seen["title"], "Ann's deal");
    assert_eq!(get(&bob, &app, "/deals").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(get(&bob, &app, &format!("/pipelines/{pipeline}/board")).await["total_count"], 1);
    let moved = ok(move_to(&bob, &app, &deal, json!({"stage_id": stage("Proposal")})).await, StatusCode::OK).await;
    assert_eq!(moved["stage_history"][1]["moved_by"], json!(bob_user.id));
    problem(send(&bob, &app, Method::DELETE, &format!("/deals/{deal}"), None).await, 403).await;
    // Read-only users see everything and change nothing.
    assert_eq!(get(&rita, &app, "/deals").await["data"].as_array().unwrap().len(), 1);
    problem(send(&rita, &app, Method::POST, "/deals", Some(json!({"title": "x"}))).await, 403).await;
    problem(move_to(&rita, &app, &deal, json!({"stage_id": stage("Won")})).await, 403).await;
    // The owner deletes it; it leaves every list.
    let r = send(&ann, &app, Method::DELETE, &format!("/deals/{deal}"), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(send(&ann, &app, Method::GET, &format!("/deals/{deal}"), None).await, 404).await;
    assert_eq!(get(&admin, &app, "/deals").await["data"].as_array().unwrap().len(), 0);
    let audit = get(&admin, &app, &format!("/audit?entity_id={deal}")).await;
    let actions: Vec<&str> = audit["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for a in ["create", "update", "stage_changed", "delete"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

both!(deal_input_is_validated_and_filtered_like_contacts);
async fn deal_input_is_validated_and_filtered_like_contacts(app: TestApp) {
    let admin = app.admin().await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/deals",
        Some(json!({"title": " ", "amount": "12.345", "currency": "EURO", "contact_id": uuid::Uuid::now_v7(),
                    "co_owner_ids": [uuid::Uuid::now_v7()], "tags": ["ok", "x".repeat(60)]})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["co_owner_ids[0]", "contact_id", "currency", "tags[1]", "title"]);
    let r =
        send(&admin, &app, Method::POST, "/deals", Some(json!({"title": "x", "stage_id": uuid::Uuid::now_v7()}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["stage_id"]);
    let r = send(&admin, &app, Method::POST, "/deals", Some(json!({"title": "x", "colour": "red"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["colour"]);
    let r =
        send(&admin, &app, Method::POST, "/deals", Some(json!({"title": "x", "expected_close_date": "2026-02-30"})))
            .await;
    assert_eq!(fields(&problem(r, 422).await), ["expected_close_date"]);

    // Custom fields for deals.
    post(&admin, &app, "/custom-fields", json!({"entity": "deal", "key": "region", "label": "Region", "field_type": "select", "options": ["north", "south"]})).await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/deals",
        Some(json!({"title": "x", "custom_fields": {"region": "west", "nope": 1}})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["custom_fields.nope", "custom_fields.region"]);
    let north = post(&admin, &app, "/deals", json!({"title": "Northern fleet", "amount": "250", "custom_fields": {"region": "north"}, "tags": ["Fleet"], "expected_close_date": "2026-06-30"})).await;
    post(
        &admin,
        &app,
        "/deals",
        json!({"title": "Southern port", "amount": "75.50", "custom_fields": {"region": "south"}}),
    )
    .await;
    let titles = |v: &Value| -> Vec<String> {
        v["data"].as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap().to_owned()).collect()
    };
    let enc = |f: Value| url_encode(&f.to_string());
    let l = get(
        &admin,
        &app,
        &format!("/deals?filter={}", enc(json!({"field": "custom_fields.region", "op": "eq", "value": "north"}))),
    )
    .await;
    assert_eq!(titles(&l), ["Northern fleet"]);
    let l = get(
        &admin,
        &app,
        &format!("/deals?filter={}", enc(json!({"field": "amount_minor", "op": "lt", "value": 10000}))),
    )
    .await;
    assert_eq!(titles(&l), ["Southern port"]);
    let l = get(&admin, &app, &format!("/deals?filter={}", enc(json!({"and": [{"field": "tags", "op": "has", "value": "fleet"}, {"field": "expected_close_date", "op": "lte", "value": "2026-06-30"}, {"field": "status", "op": "eq", "value": "open"}]})))).await;
    assert_eq!(titles(&l), ["Northern fleet"]);
    let l = get(&admin, &app, "/deals?sort=amount_minor&limit=1").await;
    assert_eq!(titles(&l), ["Southern port"]);
    let next = l["next_cursor"].as_str().unwrap();
    let l = get(&admin, &app, &format!("/deals?sort=amount_minor&limit=1&cursor={next}")).await;
    assert_eq!(titles(&l), ["Northern fleet"]);
    let l = get(&admin, &app, "/deals?q=port").await;
    assert_eq!(titles(&l), ["Southern port"]);
    let r = send(
        &admin,
        &app,
        Method::GET,
        &format!("/deals?filter={}", enc(json!({"field": "salary", "op": "eq", "value": 1}))),
        None,
    )
    .await;
    assert_eq!(fields(&problem(r, 422).await), ["filter.salary"]);
    // PATCH with If-Match, unknown fields named.
    let r = admin
        .client
        .patch(app.api(&format!("/deals/{}", id(&north))))
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Northern fleet (2 ships)", "amount": "260"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("etag").unwrap(), "\"2\"");
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["title"].as_str(), d["amount"].as_str()), (Some("Northern fleet (2 ships)"), Some("260.00")));
    let r = send(&admin, &app, Method::PATCH, &format!("/deals/{}", id(&north)), Some(json!({"nickname": "n"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["nickname"]);
    // The OpenAPI document lists the funnel.
    let doc: Value = admin.client.get(app.api("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in [
        "/api/v1/deals/{id}/move",
        "/api/v1/pipelines/{id}/board",
        "/api/v1/pipelines/{id}/stages/order",
        "/api/v1/deals/{id}/items",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} in the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["Deal"]["properties"]["custom_fields"]["properties"]["region"].is_object());
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both!(merging_contacts_and_companies_moves_their_deals);
async fn merging_contacts_and_companies_moves_their_deals(app: TestApp) {
    let admin = app.admin().await;
    let a = post(&admin, &app, "/contacts", json!({"first_name": "Ivan", "emails": ["ivan@a.test"]})).await;
    let b = post(&admin, &app, "/contacts", json!({"first_name": "Ivan P.", "emails": ["ivan@b.test"]})).await;
    let x = post(&admin, &app, "/companies", json!({"name": "Acme"})).await;
    let y = post(&admin, &app, "/companies", json!({"name": "Acme Ltd"})).await;
    let d =
        post(&admin, &app, "/deals", json!({"title": "Trucks", "contact_id": b["id"], "company_id": y["id"]})).await;
    let r =
        send(&admin, &app, Method::POST, "/contacts/merge", Some(json!({"survivor_id": a["id"], "loser_id": b["id"]})))
            .await;
    ok(r, StatusCode::OK).await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/companies/merge",
        Some(json!({"survivor_id": x["id"], "loser_id": y["id"]})),
    )
    .await;
    ok(r, StatusCode::OK).await;
    let now = get(&admin, &app, &format!("/deals/{}", id(&d))).await;
    assert_eq!((now["contact_id"].clone(), now["company_id"].clone()), (a["id"].clone(), x["id"].clone()));
    assert_eq!(now["version"], 3);
}
