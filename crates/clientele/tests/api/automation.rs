//! Issue 7: automation rules run from domain events and time conditions, once per
//! occasion; lead distribution by round-robin; loops are stopped; dry runs change nothing.

use clientele_core::domain::job::Job;
use clientele_core::domain::now;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both;
use crate::helpers::{TestApp, drain, fields, get_ok as get, id, ok, post_created as post, problem, send};
use crate::tasks::person;

async fn pipeline_with_payment(admin: &crate::helpers::Session, app: &TestApp) -> (Value, Value, Value) {
    let p = get(admin, app, "/pipelines").await["data"][0].clone();
    let pid = p["id"].as_str().unwrap().to_owned();
    post(admin, app, &format!("/pipelines/{pid}/stages"), json!({"name": "Payment"})).await;
    let p = get(admin, app, &format!("/pipelines/{pid}")).await;
    let payment = p["stages"].as_array().unwrap().iter().find(|s| s["name"] == "Payment").unwrap().clone();
    let proposal = p["stages"].as_array().unwrap().iter().find(|s| s["name"] == "Proposal").unwrap().clone();
    (p, proposal, payment)
}

async fn deal_with_lines(
    admin: &crate::helpers::Session,
    app: &TestApp,
    title: &str,
    stage: &Value,
    owner: Uuid,
) -> Value {
    let deal = post(
        admin,
        app,
        "/deals",
        json!({"title": title, "stage_id": stage["id"], "owner_id": owner, "currency": "EUR"}),
    )
    .await;
    let url = format!("/deals/{}/items", id(&deal));
    ok(
        send(
            admin,
            app,
            Method::PUT,
            &url,
            Some(json!({"items": [{"name": "Licence", "quantity": "2", "unit_price": "450.00"}]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    deal
}

async fn move_to(admin: &crate::helpers::Session, app: &TestApp, deal: &Value, stage: &Value) {
    let url = format!("/deals/{}/move", id(deal));
    ok(send(admin, app, Method::POST, &url, Some(json!({"stage_id": stage["id"]}))).await, StatusCode::OK).await;
}

async fn invoices_of(admin: &crate::helpers::Session, app: &TestApp, deal: &Value) -> Vec<Value> {
    let all = get(admin, app, "/invoices").await;
    all["data"].as_array().unwrap().iter().filter(|i| i["deal_id"] == deal["id"]).cloned().collect()
}

async fn tasks_of(admin: &crate::helpers::Session, app: &TestApp, assignee: Uuid) -> Vec<Value> {
    get(admin, app, &format!("/tasks?assignee_id={assignee}&limit=100")).await["data"].as_array().unwrap().clone()
}

both!(a_deal_entering_payment_gets_an_invoice_and_a_task_for_the_accountant_once_per_entry);
async fn a_deal_entering_payment_gets_an_invoice_and_a_task_for_the_accountant_once_per_entry(app: TestApp) {
    let admin = app.admin().await;
    let accountant = person(&app, "manager", "books@example.com", "UTC", None).await;
    let seller = person(&app, "manager", "seller@example.com", "UTC", None).await;
    let (_, proposal, payment) = pipeline_with_payment(&admin, &app).await;
    let rule = post(
        &admin,
        &app,
        "/automations",
        json!({
            "name": "Payment → invoice and accountant",
            "trigger": {"type": "event", "event": "deal.stage_entered"},
            "conditions": {"all": [{"field": "event.stage_id", "op": "eq", "value": payment["id"]}, {"field": "amount", "op": "gte", "value": "100"}]},
            "actions": [
                {"type": "create_invoice", "notes": "Issued automatically"},
                {"type": "create_task", "title": "Send the invoice for {{title}} ({{amount}} {{currency}})", "assignee": {"user_id": accountant.id}, "due_in_hours": 24, "kind": "email"}
            ]
        }),
    )
    .await;
    assert_eq!(rule["version"], 1);
    let deal = deal_with_lines(&admin, &app, "Annual licences", &proposal, seller.id).await;
    // Another stage entered: the condition does not hold, nothing happens.
    drain(&app).await;
    move_to(&admin, &app, &deal, &payment).await;
    drain(&app).await;
    assert_eq!(invoices_of(&admin, &app, &deal).await.len(), 1);
    let tasks = tasks_of(&admin, &app, accountant.id).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["title"], "Send the invoice for Annual licences (900.00 EUR)");
    assert_eq!(tasks[0]["related"]["id"], deal["id"]);
    assert!(tasks[0]["due_at"].is_string());

    // The same event processed again (a worker that died before marking its job done):
    // every action's effect key is there, nothing is done twice.
    let events = get(&admin, &app, &format!("/events?type=deal.stage_entered&entity_id={}", id(&deal))).await;
    let last = events.as_array().unwrap()[0].clone();
    assert_eq!(last["data"]["stage_id"], payment["id"]);
    let mut again = Job::new("automation.event", json!({"id": last["id"]}), None, now());
    again.dedupe_key = Some("replay".into());
    app.services.store().enqueue(&again).await.unwrap();
    drain(&app).await;
    assert_eq!(invoices_of(&admin, &app, &deal).await.len(), 1, "no second invoice for the same entry");
    assert_eq!(tasks_of(&admin, &app, accountant.id).await.len(), 1);
    let runs = get(&admin, &app, &format!("/automations/{}/runs", id(&rule))).await;
    let runs = runs.as_array().unwrap();
    let outcomes: Vec<(String, Vec<String>)> = runs
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap().to_owned(),
                r["actions"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect();
    assert!(outcomes.contains(&("done".into(), vec!["skipped".into(), "skipped".into()])), "{outcomes:?}");
    assert!(outcomes.contains(&("done".into(), vec!["done".into(), "done".into()])), "{outcomes:?}");
    assert!(outcomes.iter().any(|(s, _)| s == "not_matched"), "the entry into Proposal did not match: {outcomes:?}");

    // Out and in again: a second entry, a second invoice and task.
    move_to(&admin, &app, &deal, &proposal).await;
    move_to(&admin, &app, &deal, &payment).await;
    drain(&app).await;
    assert_eq!(invoices_of(&admin, &app, &deal).await.len(), 2);
    assert_eq!(tasks_of(&admin, &app, accountant.id).await.len(), 2);
    // The run log per record.
    let per_record = get(&admin, &app, &format!("/automation-runs?entity_type=deal&entity_id={}", id(&deal))).await;
    assert!(per_record.as_array().unwrap().iter().all(|r| r["entity_id"] == deal["id"]));
    // The accountant was told about the task.
    let acc = app.login("books@example.com").await;
    let notes = get(&acc, &app, "/notifications").await["data"].as_array().unwrap().clone();
    assert!(notes.iter().any(|n| n["kind"] == "task_assigned"));
}

both!(a_stuck_deal_is_reassigned_by_round_robin_once_per_stay);
async fn a_stuck_deal_is_reassigned_by_round_robin_once_per_stay(app: TestApp) {
    let admin = app.admin().await;
    let m1 = person(&app, "manager", "m1@example.com", "UTC", None).await;
    let m2 = person(&app, "manager", "m2@example.com", "UTC", None).await;
    let m3 = person(&app, "manager", "m3@example.com", "UTC", None).await;
    let policy = ok(
        send(&admin, &app, Method::POST, "/distribution-policies", Some(json!({"name": "sales", "strategy": "round_robin", "members": [{"user_id": m1.id}, {"user_id": m2.id}, {"user_id": m3.id}]}))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(policy["strategy"], "round_robin");
    let p = get(&admin, &app, "/pipelines").await["data"][0].clone();
    let stage = p["stages"].as_array().unwrap().iter().find(|s| s["name"] == "Proposal").unwrap().clone();
    let url = format!("/pipelines/{}/stages/{}", p["id"].as_str().unwrap(), stage["id"].as_str().unwrap());
    ok(send(&admin, &app, Method::PATCH, &url, Some(json!({"time_limit_days": 3}))).await, StatusCode::OK).await;
    let rule = post(
        &admin,
        &app,
        "/automations",
        json!({
            "name": "Stuck deals change hands",
            "trigger": {"type": "stage_time_exceeded", "stage_id": stage["id"]},
            "actions": [{"type": "assign_owner", "policy": "sales"}, {"type": "add_tag", "tag": "reassigned"}]
        }),
    )
    .await;
    let mut stuck = Vec::new();
    for title in ["Stuck one", "Stuck two"] {
        let d = post(
            &admin,
            &app,
            "/deals",
            json!({"title": title, "stage_id": stage["id"], "owner_id": m1.id, "amount": "10", "currency": "EUR"}),
        )
        .await;
        stuck.push(Uuid::parse_str(&id(&d)).unwrap());
    }
    let fresh = post(
        &admin,
        &app,
        "/deals",
        json!({"title": "Fresh", "stage_id": stage["id"], "owner_id": m1.id, "amount": "10", "currency": "EUR"}),
    )
    .await;
    // They entered the stage five days ago.
    let store = app.services.store();
    for d in &stuck {
        let mut deal = store.get_deal(*d).await.unwrap().unwrap();
        let expected = deal.version;
        deal.stage_entered_at = now() - chrono::Duration::days(5);
        deal.version += 1;
        let audit = clientele_core::domain::audit::AuditEntry {
            id: clientele_core::domain::new_id(),
            at: now(),
            actor_id: None,
            actor_name: "test".into(),
            action: "backdate".into(),
            entity_type: "deal".into(),
            entity_id: deal.id,
            changes: json!({}),
        };
        store.save_deal(&clientele_core::store::DealWrite::plain(deal, expected, audit)).await.unwrap();
    }
    // A dry run shows what would happen, and changes nothing.
    let dry = ok(
        send(&admin, &app, Method::POST, &format!("/automations/{}/dry-run", id(&rule)), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dry["matched"], 2);
    assert_eq!(dry["runs"][0]["actions"][0]["outcome"], "would_run");
    assert_eq!(store.get_deal(stuck[0]).await.unwrap().unwrap().owner_id, Some(m1.id));
    // The rule created the time scan's schedule; the scan runs it (twice: once per stay).
    let schedules = get(&admin, &app, "/job-schedules").await;
    assert!(schedules.as_array().unwrap().iter().any(|s| s["kind"] == "automation.time_scan"));
    for round in 0..2 {
        let mut j = Job::new("automation.time_scan", json!({}), None, now());
        j.dedupe_key = Some(format!("scan {round}"));
        store.enqueue(&j).await.unwrap();
        drain(&app).await;
    }
    let owners: Vec<Option<Uuid>> = {
        let mut v = Vec::new();
        for d in &stuck {
            v.push(store.get_deal(*d).await.unwrap().unwrap().owner_id);
        }
        v
    };
    assert_eq!(owners, vec![Some(m2.id), Some(m3.id)], "round-robin past the current owner");
    for d in &stuck {
        assert_eq!(store.get_deal(*d).await.unwrap().unwrap().tags, vec!["reassigned".to_owned()]);
    }
    assert_eq!(store.get_deal(Uuid::parse_str(&id(&fresh)).unwrap()).await.unwrap().unwrap().owner_id, Some(m1.id));
    let runs = get(&admin, &app, &format!("/automations/{}/runs", id(&rule))).await;
    assert_eq!(runs.as_array().unwrap().len(), 2, "one run per stuck deal however often the scan runs");
    // Both managers are told; the change is audited.
    let n2 = app.login("m2@example.com").await;
    let notes = get(&n2, &app, "/notifications").await["data"].as_array().unwrap().clone();
    assert!(notes.iter().any(|n| n["kind"] == "client_transferred" && n["link"] == format!("/deals/{}", stuck[0])));
    let n1 = app.login("m1@example.com").await;
    let notes = get(&n1, &app, "/notifications").await["data"].as_array().unwrap().clone();
    assert_eq!(notes.iter().filter(|n| n["kind"] == "client_transferred").count(), 2);
    let audit = get(&admin, &app, &format!("/audit?entity_id={}", stuck[0])).await;
    let text = audit.to_string();
    assert!(text.contains("automation: Stuck deals change hands") && text.contains("owner_id"), "{text}");
}

both!(rules_do_not_retrigger_themselves_and_bad_rules_name_their_fields);
async fn rules_do_not_retrigger_themselves_and_bad_rules_name_their_fields(app: TestApp) {
    let admin = app.admin().await;
    let bad = send(
        &admin,
        &app,
        Method::POST,
        "/automations",
        Some(json!({"name": "", "trigger": {"type": "event", "event": "deal.nope"}, "conditions": {"all": [{"field": "amount", "op": "bigger"}]}, "actions": [{"type": "move_stage", "stage_id": Uuid::nil()}]})),
    )
    .await;
    let p = problem(bad, 422).await;
    let f = fields(&p);
    for want in ["name", "trigger.event", "conditions.all[0].op"] {
        assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
    }
    let bad = send(&admin, &app, Method::POST, "/automations", Some(json!({"name": "x", "trigger": {"type": "event", "event": "deal.won"}, "actions": [{"type": "move_stage", "stage_id": Uuid::nil()}]}))).await;
    assert_eq!(fields(&problem(bad, 422).await), vec!["actions[0].stage_id"]);
    let manager = person(&app, "manager", "mgr@example.com", "UTC", None).await;
    let m = app.login("mgr@example.com").await;
    let r = send(&m, &app, Method::GET, "/automations", None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A rule on every deal update that updates the deal: its own change is an event too,
    // but the rule does not run on it.
    let rule = post(
        &admin,
        &app,
        "/automations",
        json!({"name": "Touch", "trigger": {"type": "event", "event": "deal.updated"}, "actions": [{"type": "set_field", "field": "notes", "value": "touched by a rule"}]}),
    )
    .await;
    let deal = post(
        &admin,
        &app,
        "/deals",
        json!({"title": "Loop", "owner_id": manager.id, "amount": "5", "currency": "EUR"}),
    )
    .await;
    ok(
        send(&admin, &app, Method::PATCH, &format!("/deals/{}", id(&deal)), Some(json!({"title": "Loop 2"}))).await,
        StatusCode::OK,
    )
    .await;
    drain(&app).await;
    let d = get(&admin, &app, &format!("/deals/{}", id(&deal))).await;
    assert_eq!(d["notes"], "touched by a rule");
    let runs = get(&admin, &app, &format!("/automations/{}/runs", id(&rule))).await;
    let statuses: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["loop_prevented", "done"], "newest first");
    // The rule's own change carries its origin.
    let events = get(&admin, &app, &format!("/events?type=deal.updated&entity_id={}", id(&deal))).await;
    assert_eq!(events[0]["depth"], 1);
    assert_eq!(events[0]["chain"][0], rule["id"]);
    // Versions: every change is kept.
    let changed = ok(
        send(&admin, &app, Method::PUT, &format!("/automations/{}", id(&rule)), Some(json!({"enabled": false}))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((changed["version"].as_i64(), changed["enabled"].as_bool()), (Some(2), Some(false)));
    let versions = get(&admin, &app, &format!("/automations/{}/versions", id(&rule))).await;
    assert_eq!(
        versions.as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let r = send(&admin, &app, Method::DELETE, &format!("/automations/{}", id(&rule)), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        send(&admin, &app, Method::GET, &format!("/automations/{}", id(&rule)), None).await.status(),
        StatusCode::NOT_FOUND
    );
}

both!(rules_and_policies_round_trip_as_code);
async fn rules_and_policies_round_trip_as_code(app: TestApp) {
    let admin = app.admin().await;
    let m1 = person(&app, "manager", "c1@example.com", "UTC", None).await;
    ok(
        send(&admin, &app, Method::POST, "/distribution-policies", Some(json!({"name": "hot", "strategy": "least_loaded", "hot_to_top_tier": true, "members": [{"user_id": m1.id, "tier": 1, "daily_cap": 5}]}))).await,
        StatusCode::OK,
    )
    .await;
    post(&admin, &app, "/automations", json!({"name": "Hot leads", "trigger": {"type": "event", "event": "lead.created"}, "conditions": {"field": "temperature", "op": "eq", "value": "hot"}, "actions": [{"type": "assign_owner", "policy": "hot"}]})).await;
    let doc = get(&admin, &app, "/automations/export").await;
    assert_eq!((doc["format"].as_str(), doc["version"].as_i64()), (Some("clientele.automation"), Some(1)));
    assert_eq!(doc["rules"][0]["name"], "Hot leads");
    assert_eq!(doc["policies"][0]["strategy"], "least_loaded");
    // Into a fresh instance: everything created; again: unchanged; edited: a new version.
    let other = TestApp::spawn(crate::helpers::Backend::Sqlite).await.unwrap();
    let oadmin = other.admin().await;
    other
        .services
        .create_user(
            &clientele_core::authz::Actor::system("test"),
            clientele_core::service::CreateUserRequest {
                email: "c1@example.com".into(),
                name: "c1".into(),
                role: "manager".into(),
                password: crate::helpers::PASSWORD.into(),
                team_id: None,
                locale: None,
                time_zone: None,
            },
        )
        .await
        .unwrap();
    // Users differ between instances: the policy names the first instance's user.
    let bad = send(&oadmin, &other, Method::POST, "/automations/import", Some(doc.clone())).await;
    assert!(fields(&problem(bad, 422).await).contains(&"policies[0].members[0].user_id".to_owned()));
    let r = ok(send(&admin, &app, Method::POST, "/automations/import", Some(doc.clone())).await, StatusCode::OK).await;
    assert_eq!(r["rules"]["unchanged"], json!(["Hot leads"]));
    assert_eq!(r["policies"]["unchanged"], json!(["hot"]));
    let mut edited = doc.clone();
    edited["rules"][0]["enabled"] = json!(false);
    edited["rules"].as_array_mut().unwrap().push(json!({"name": "Won", "trigger": {"type": "event", "event": "deal.won"}, "actions": [{"type": "add_tag", "tag": "won"}]}));
    let r = ok(send(&admin, &app, Method::POST, "/automations/import", Some(edited)).await, StatusCode::OK).await;
    assert_eq!((r["rules"]["updated"].clone(), r["rules"]["created"].clone()), (json!(["Hot leads"]), json!(["Won"])));
    let rules = get(&admin, &app, "/automations").await;
    let hot = rules.as_array().unwrap().iter().find(|r| r["name"] == "Hot leads").unwrap();
    assert_eq!((hot["version"].as_i64(), hot["enabled"].as_bool()), (Some(2), Some(false)));
    let mut broken = doc;
    broken["version"] = json!(9);
    broken["rules"][0]["actions"] = json!([{"type": "create_task", "title": ""}]);
    let p = problem(send(&admin, &app, Method::POST, "/automations/import", Some(broken)).await, 422).await;
    let f = fields(&p);
    assert!(f.contains(&"version".to_owned()) && f.iter().any(|x| x.starts_with("rules[0].actions[0]")), "{f:?}");
}
