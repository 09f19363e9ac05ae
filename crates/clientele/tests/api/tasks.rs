//! Tasks through the API: time zones, validation, versions, permissions, assignment
//! notifications, recurrence, overdue lists, group tasks, reminders that fire once across two
//! app nodes, and the "deal stuck in stage" check.

use clientele_core::authz::Actor;
use clientele_core::domain::user::User;
use clientele_core::service::{CreateTeamRequest, CreateUserRequest, Services};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{PASSWORD, Session, TestApp, fields, get_ok as get, id, ok, post_created as post, problem, send};

/// A user with a role, a time zone and optionally a team.
pub async fn person(app: &TestApp, role: &str, email: &str, zone: &str, team: Option<uuid::Uuid>) -> User {
    app.services
        .create_user(
            &Actor::system("test"),
            CreateUserRequest {
                email: email.into(),
                name: format!("{role} {}", email.split('@').next().unwrap_or(email)),
                role: role.into(),
                password: PASSWORD.into(),
                team_id: team,
                locale: None,
                time_zone: Some(zone.into()),
            },
        )
        .await
        .unwrap()
}

pub async fn team(app: &TestApp, name: &str) -> uuid::Uuid {
    app.services
        .create_team(&Actor::system("test"), CreateTeamRequest { name: name.into(), parent_id: None })
        .await
        .unwrap()
        .id
}

async fn notifications(s: &Session, app: &TestApp) -> Vec<Value> {
    get(s, app, "/notifications").await["data"].as_array().unwrap().clone()
}

/// Runs every due job on `services` until none is left.
async fn drain(services: &Services, worker: &str) -> usize {
    let mut n = 0;
    while services.work_once(worker).await.unwrap().is_some() {
        n += 1;
    }
    n
}

both!(a_task_at_nine_in_sofia_is_at_nine_for_its_owner);
async fn a_task_at_nine_in_sofia_is_at_nine_for_its_owner(app: TestApp) {
    person(&app, "manager", "ivan@example.com", "Europe/Sofia", None).await;
    let ivan = app.login("ivan@example.com").await;
    let t = post(
        &ivan,
        &app,
        "/tasks",
        json!({"title": "Call Petrov back", "kind": "call", "due_at": "2026-01-20T09:00", "duration_minutes": 30}),
    )
    .await;
    assert_eq!(t["due_at"], "2026-01-20T07:00:00Z");
    assert_eq!(t["time_zone"], "Europe/Sofia");
    assert_eq!(t["due_local"], "2026-01-20T09:00:00");
    // Summer time: still 09:00 on the wall clock, 06:00 UTC.
    let s = post(&ivan, &app, "/tasks", json!({"title": "Summer call", "due_at": "2026-07-20T09:00"})).await;
    assert_eq!(s["due_at"], "2026-07-20T06:00:00Z");
    // The calendar shows both at 09:00 for Ivan.
    let week = get(&ivan, &app, "/calendar?view=week&date=2026-01-20").await;
    assert_eq!(week["time_zone"], "Europe/Sofia");
    let ev = week["events"].as_array().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["start_local"], "2026-01-20T09:00:00");
    assert_eq!(ev[0]["end_local"], "2026-01-20T09:30:00");
    // An admin in UTC sees the same task at 07:00 in theirs.
    let admin = app.admin().await;
    let cal = get(
        &admin,
        &app,
        &format!("/calendar?view=day&date=2026-01-20&user_id={}", t["assignee_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(cal["events"][0]["start_local"], "2026-01-20T07:00:00");
    // An all-day task covers the owner's whole local day.
    let d = post(&ivan, &app, "/tasks", json!({"title": "Invoice", "due_date": "2026-01-21"})).await;
    assert_eq!((d["all_day"].as_bool(), d["due_at"].as_str()), (Some(true), Some("2026-01-20T22:00:00Z")));
}

both!(bad_input_names_every_field_and_versions_guard_changes);
async fn bad_input_names_every_field_and_versions_guard_changes(app: TestApp) {
    let admin = app.admin().await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/tasks",
        Some(json!({
            "kind": "lunch", "title": " ", "due_at": "next week", "reminders": [-1, 90000], "priority": "asap",
            "recurrence": "FREQ=SECONDLY", "assignee_id": "00000000-0000-7000-8000-00000000ffff",
            "related": {"type": "deal", "id": "00000000-0000-7000-8000-00000000ffff"}
        })),
    )
    .await;
    let p = problem(r, 422).await;
    let f = fields(&p);
    for want in [
        "kind",
        "title",
        "due_at",
        "reminders[0]",
        "reminders[1]",
        "priority",
        "recurrence",
        "assignee_id",
        "related.id",
    ] {
        assert!(f.iter().any(|x| x == want), "{want} missing from {f:?}");
    }
    let r = send(&admin, &app, Method::POST, "/tasks", Some(json!({"title": "x", "colour": "red"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["colour"]);
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/tasks",
        Some(json!({"title": "x", "related": {"type": "case", "id": "00000000-0000-7000-8000-00000000ffff"}})),
    )
    .await;
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "related.type");
    assert_eq!(get(&admin, &app, "/tasks").await["data"].as_array().unwrap().len(), 0, "nothing half-written");

    let t = post(&admin, &app, "/tasks", json!({"title": "Draft the offer", "due_at": "2026-03-02T10:00:00Z"})).await;
    let path = format!("/tasks/{}", id(&t));
    let r = admin
        .client
        .patch(app.api(&path))
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"priority": "high"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["etag"], "\"2\"");
    let r = admin
        .client
        .patch(app.api(&path))
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "lost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 412).await["current_version"], 2);
    let done = ok(
        send(&admin, &app, Method::POST, &format!("{path}/complete"), Some(json!({"result_note": "Sent"}))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((done["task"]["status"].as_str(), done["task"]["result_note"].as_str()), (Some("done"), Some("Sent")));
    assert!(done["next"].is_null());
    let again = send(&admin, &app, Method::POST, &format!("{path}/complete"), Some(json!({}))).await;
    assert_eq!(problem(again, 409).await["errors"][0]["field"], "status");
    let re = ok(send(&admin, &app, Method::POST, &format!("{path}/reopen"), None).await, StatusCode::OK).await;
    assert_eq!(re["status"], "open");
    assert!(re["completed_at"].is_null());
    let r = send(&admin, &app, Method::DELETE, &path, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(send(&admin, &app, Method::GET, &path, None).await, 404).await;
    // The audit log has every step.
    let log = get(&admin, &app, &format!("/audit?entity_id={}", id(&t))).await;
    let actions: Vec<&str> = log["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "reopen", "complete", "update", "create"]);
}

both!(assigning_a_colleague_notifies_them_and_reach_follows_roles);
async fn assigning_a_colleague_notifies_them_and_reach_follows_roles(app: TestApp) {
    let sales = team(&app, "Sales").await;
    let ann = person(&app, "manager", "ann@example.com", "Europe/Paris", Some(sales)).await;
    let bob = person(&app, "manager", "bob@example.com", "Asia/Seoul", Some(sales)).await;
    person(&app, "manager", "cid@example.com", "UTC", None).await;
    person(&app, "head", "head@example.com", "UTC", Some(sales)).await;
    person(&app, "readonly", "ro@example.com", "UTC", None).await;
    let a = app.login("ann@example.com").await;
    let b = app.login("bob@example.com").await;
    let c = app.login("cid@example.com").await;
    let head = app.login("head@example.com").await;
    let ro = app.login("ro@example.com").await;
    let t = post(
        &a,
        &app,
        "/tasks",
        json!({"title": "Issue the invoice", "assignee_id": bob.id, "due_at": "2026-05-04T10:00"}),
    )
    .await;
    // Due at 10:00 in Bob's zone (the assignee's), not Ann's.
    assert_eq!((t["time_zone"].as_str(), t["due_at"].as_str()), (Some("Asia/Seoul"), Some("2026-05-04T01:00:00Z")));
    let notes = notifications(&b, &app).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["kind"], "task_assigned");
    assert_eq!(notes[0]["link"], format!("/tasks/{}", id(&t)));
    assert_eq!(notes[0]["params"]["by"], "manager ann");
    assert!(notifications(&a, &app).await.is_empty(), "no note to oneself");
    // Assignee and creator see it; an outsider does not; the head of their team does.
    get(&b, &app, &format!("/tasks/{}", id(&t))).await;
    get(&a, &app, &format!("/tasks/{}", id(&t))).await;
    problem(send(&c, &app, Method::GET, &format!("/tasks/{}", id(&t)), None).await, 404).await;
    get(&head, &app, &format!("/tasks/{}", id(&t))).await;
    assert_eq!(get(&c, &app, "/tasks").await["data"].as_array().unwrap().len(), 0);
    assert_eq!(get(&head, &app, "/tasks").await["data"].as_array().unwrap().len(), 1);
    // The assignee completes it; the creator (not the assignee) may delete it.
    let r = send(&b, &app, Method::DELETE, &format!("/tasks/{}", id(&t)), None).await;
    problem(r, 403).await;
    problem(send(&ro, &app, Method::POST, "/tasks", Some(json!({"title": "x"}))).await, 403).await;
    // Handing it to Ann notifies Ann.
    ok(
        send(&b, &app, Method::PATCH, &format!("/tasks/{}", id(&t)), Some(json!({"assignee_id": ann.id}))).await,
        StatusCode::OK,
    )
    .await;
    let an = notifications(&a, &app).await;
    assert_eq!((an.len(), an[0]["kind"].as_str()), (1, Some("task_assigned")));
    // Preferences: Bob turns assignments off and hears nothing of the next one.
    let prefs = ok(
        send(
            &b,
            &app,
            Method::PUT,
            "/notifications/preferences",
            Some(json!({"kinds": [{"kind": "task_assigned", "in_app": false}]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(prefs["kinds"].as_array().unwrap().len(), clientele_core::service::NOTIFICATION_KINDS.len());
    post(&a, &app, "/tasks", json!({"title": "Another", "assignee_id": bob.id})).await;
    assert_eq!(notifications(&b, &app).await.len(), 1);
    let bad = send(
        &b,
        &app,
        Method::PUT,
        "/notifications/preferences",
        Some(json!({"kinds": [{"kind": "spam", "in_app": true}]})),
    )
    .await;
    assert_eq!(fields(&problem(bad, 422).await), ["kinds[0].kind"]);
    assert_eq!(get(&b, &app, "/notifications/unread").await["unread"], 1);
}

both!(completing_a_recurring_task_makes_the_next_occurrence);
async fn completing_a_recurring_task_makes_the_next_occurrence(app: TestApp) {
    person(&app, "manager", "rec@example.com", "Europe/Sofia", None).await;
    let s = app.login("rec@example.com").await;
    // Three weekly calls on Fridays at 09:00 Sofia time, across the change to summer time.
    let t = post(&s, &app, "/tasks", json!({"title": "Weekly call", "kind": "call", "due_at": "2026-03-20T09:00", "recurrence": "FREQ=WEEKLY;COUNT=3", "reminders": [15]})).await;
    assert_eq!(t["recurrence"], "FREQ=WEEKLY;COUNT=3");
    assert_eq!(t["series_id"], t["id"]);
    let first =
        ok(send(&s, &app, Method::POST, &format!("/tasks/{}/complete", id(&t)), Some(json!({}))).await, StatusCode::OK)
            .await;
    let next = &first["next"];
    assert_eq!(
        (next["due_local"].as_str(), next["due_at"].as_str()),
        (Some("2026-03-27T09:00:00"), Some("2026-03-27T07:00:00Z"))
    );
    assert_eq!((next["occurrence"].as_i64(), next["status"].as_str()), (Some(1), Some("open")));
    assert_eq!(next["reminders"], json!([15]));
    let second = ok(
        send(&s, &app, Method::POST, &format!("/tasks/{}/cancel", id(next)), Some(json!({"result_note": "holiday"})))
            .await,
        StatusCode::OK,
    )
    .await;
    let third = &second["next"];
    assert_eq!(
        (third["due_local"].as_str(), third["due_at"].as_str()),
        (Some("2026-04-03T09:00:00"), Some("2026-04-03T06:00:00Z"))
    );
    // The coming occurrence shows in the calendar before it exists as a task.
    let cal = get(&s, &app, "/calendar?view=month&date=2026-04-01").await;
    let ev: Vec<(&str, bool)> = cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["start_local"].as_str().unwrap(), e["projected"].as_bool().unwrap()))
        .collect();
    assert!(ev.contains(&("2026-04-03T09:00:00", false)), "{ev:?}");
    let last = ok(
        send(&s, &app, Method::POST, &format!("/tasks/{}/complete", id(third)), Some(json!({}))).await,
        StatusCode::OK,
    )
    .await;
    assert!(last["next"].is_null(), "COUNT=3 ends the series");
    let all = get(&s, &app, "/tasks?status=open,done,cancelled").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 3);
    // A series still running projects its coming occurrences into the calendar.
    post(
        &s,
        &app,
        "/tasks",
        json!({"title": "Daily stand-up", "due_at": "2026-06-01T09:30", "recurrence": "FREQ=DAILY;INTERVAL=2"}),
    )
    .await;
    let week = get(&s, &app, "/calendar?view=week&date=2026-06-03").await;
    let starts: Vec<(&str, bool)> = week["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["start_local"].as_str().unwrap(), e["projected"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        starts,
        [
            ("2026-06-01T09:30:00", false),
            ("2026-06-03T09:30:00", true),
            ("2026-06-05T09:30:00", true),
            ("2026-06-07T09:30:00", true)
        ]
    );
}

both!(overdue_lists_per_person_and_per_team);
async fn overdue_lists_per_person_and_per_team(app: TestApp) {
    let north = team(&app, "North").await;
    let u1 = person(&app, "manager", "n1@example.com", "UTC", Some(north)).await;
    let u2 = person(&app, "manager", "n2@example.com", "UTC", Some(north)).await;
    let u3 = person(&app, "manager", "s1@example.com", "UTC", None).await;
    let admin = app.admin().await;
    for (u, title, due) in [
        (&u1, "late 1", "2020-01-01T10:00:00Z"),
        (&u2, "late 2", "2020-01-02T10:00:00Z"),
        (&u3, "late 3", "2020-01-03T10:00:00Z"),
        (&u1, "future", "2099-01-01T10:00:00Z"),
    ] {
        post(&admin, &app, "/tasks", json!({"title": title, "assignee_id": u.id, "due_at": due})).await;
    }
    let titles = |v: Value| {
        v["data"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(titles(get(&admin, &app, "/tasks?overdue=true").await), ["late 1", "late 2", "late 3"]);
    assert_eq!(titles(get(&admin, &app, &format!("/tasks?overdue=true&team_id={north}")).await), ["late 1", "late 2"]);
    assert_eq!(titles(get(&admin, &app, &format!("/tasks?overdue=true&assignee_id={}", u1.id)).await), ["late 1"]);
    let mine = app.login("n1@example.com").await;
    let list = get(&mine, &app, "/tasks?mine=true").await;
    assert_eq!(titles(list.clone()), ["late 1", "future"]);
    assert!(list["data"][0]["overdue"].as_bool().unwrap());
    assert!(!list["data"][1]["overdue"].as_bool().unwrap());
    // Keyset pages, stable.
    let p1 = get(&admin, &app, "/tasks?limit=2").await;
    assert_eq!(titles(p1.clone()), ["late 1", "late 2"]);
    let p2 = get(&admin, &app, &format!("/tasks?limit=2&cursor={}", p1["next_cursor"].as_str().unwrap())).await;
    assert_eq!(titles(p2.clone()), ["late 3", "future"]);
    assert!(p2["next_cursor"].is_null());
    let bad = send(&admin, &app, Method::GET, "/tasks?status=maybe&sort=colour", None).await;
    let f = fields(&problem(bad, 422).await);
    assert!(f.contains(&"status".to_owned()) && f.contains(&"sort".to_owned()), "{f:?}");
}

both!(a_group_task_gives_everyone_a_copy_and_its_creator_sees_progress);
async fn a_group_task_gives_everyone_a_copy_and_its_creator_sees_progress(app: TestApp) {
    let sales = team(&app, "Campaign").await;
    let x = person(&app, "manager", "x@example.com", "UTC", Some(sales)).await;
    let y = person(&app, "manager", "y@example.com", "UTC", Some(sales)).await;
    let head = person(&app, "head", "boss@example.com", "UTC", Some(sales)).await;
    let h = app.login("boss@example.com").await;
    let mut contacts = Vec::new();
    for n in ["Ada", "Ben", "Cy"] {
        contacts.push(id(&post(&h, &app, "/contacts", json!({"first_name": n, "owner_id": head.id})).await));
    }
    let g = post(
        &h,
        &app,
        "/task-groups",
        json!({
            "title": "Call about the spring offer", "script": "Hello, we have **news**", "team_id": sales,
            "templates": [{"name": "Follow-up", "body": "Thanks for your time"}],
            "contact_ids": contacts, "split_contacts": true, "due_date": "2026-04-01"
        }),
    )
    .await;
    let copies = g["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 3, "x, y and the head");
    assert_eq!(g["contacts_total"], 3);
    let xs = copies.iter().find(|c| c["assignee_id"] == json!(x.id)).unwrap();
    let xs_task =
        get(&app.login("x@example.com").await, &app, &format!("/tasks/{}", xs["task_id"].as_str().unwrap())).await;
    assert_eq!(xs_task["description"], "Hello, we have **news**");
    assert_eq!(xs_task["group_id"], g["id"]);
    assert!(xs_task["all_day"].as_bool().unwrap());
    let xsess = app.login("x@example.com").await;
    assert_eq!(notifications(&xsess, &app).await[0]["kind"], "task_assigned");
    let first = xs_task["contact_ids"][0].as_str().unwrap();
    ok(
        send(
            &xsess,
            &app,
            Method::PUT,
            &format!("/tasks/{}/contacts/{first}", id(&xs_task)),
            Some(json!({"done": true})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    ok(
        send(
            &xsess,
            &app,
            Method::POST,
            &format!("/tasks/{}/complete", id(&xs_task)),
            Some(json!({"result_note": "all called"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let ys = copies.iter().find(|c| c["assignee_id"] == json!(y.id)).unwrap();
    let wrong = send(
        &xsess,
        &app,
        Method::PUT,
        &format!("/tasks/{}/contacts/{first}", ys["task_id"].as_str().unwrap()),
        Some(json!({"done": true})),
    )
    .await;
    problem(wrong, 404).await;
    let progress = get(&h, &app, &format!("/task-groups/{}", id(&g))).await;
    assert_eq!(
        (progress["done"].as_i64(), progress["open"].as_i64(), progress["contacts_done"].as_i64()),
        (Some(1), Some(2), Some(1))
    );
    assert_eq!(get(&h, &app, "/task-groups").await.as_array().unwrap().len(), 1);
    let out = person(&app, "manager", "out@example.com", "UTC", None).await;
    let _ = out;
    problem(
        send(&app.login("out@example.com").await, &app, Method::GET, &format!("/task-groups/{}", id(&g)), None).await,
        404,
    )
    .await;
    let bad = send(&h, &app, Method::POST, "/task-groups", Some(json!({"title": "", "assignee_ids": []}))).await;
    let f = fields(&problem(bad, 422).await);
    assert!(f.contains(&"title".to_owned()) && f.contains(&"assignee_ids".to_owned()), "{f:?}");
}

both!(reminders_fire_once_even_with_two_app_nodes);
async fn reminders_fire_once_even_with_two_app_nodes(app: TestApp) {
    person(&app, "manager", "rem@example.com", "UTC", None).await;
    let s = app.login("rem@example.com").await;
    // Due in ten minutes with reminders 15 and 60 minutes before: both are due now.
    let due = (chrono::Utc::now() + chrono::Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(id(&post(
            &s,
            &app,
            "/tasks",
            json!({"title": format!("Call {i}"), "due_at": due, "reminders": [15, 60]}),
        )
        .await));
    }
    // A reminder far ahead stays queued; one of a task moved before it fires does nothing.
    let later =
        post(&s, &app, "/tasks", json!({"title": "Later", "due_at": "2099-01-01T10:00:00Z", "reminders": [5]})).await;
    let moved = post(&s, &app, "/tasks", json!({"title": "Moved", "due_at": due, "reminders": [30]})).await;
    ok(
        send(
            &s,
            &app,
            Method::PATCH,
            &format!("/tasks/{}", id(&moved)),
            Some(json!({"due_at": "2099-02-01T10:00:00Z"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let done = post(&s, &app, "/tasks", json!({"title": "Done already", "due_at": due, "reminders": [30]})).await;
    ok(send(&s, &app, Method::POST, &format!("/tasks/{}/complete", id(&done)), Some(json!({}))).await, StatusCode::OK)
        .await;

    // Two nodes, two workers each, all at once.
    let other = app.another_node().await;
    let mut handles = Vec::new();
    for (n, svc) in [(0, app.services.clone()), (1, app.services.clone()), (2, other.clone()), (3, other.clone())] {
        handles.push(tokio::spawn(async move { drain(&svc, &format!("node{n}")).await }));
    }
    let mut ran = 0;
    for h in handles {
        ran += h.await.unwrap();
    }
    assert!(ran >= 24 + 2, "every reminder job ran ({ran})");
    // A job run again (a worker that died after notifying but before marking it done, its
    // lease taken over) finds the notification's key taken.
    let mut dup = clientele_core::domain::job::Job::new(
        "task.reminder",
        json!({"id": ids[0], "due_at": chrono::DateTime::parse_from_rfc3339(&due).unwrap().timestamp(), "minutes": 15}),
        None,
        clientele_core::domain::now(),
    );
    dup.dedupe_key = Some("a second run".into());
    app.services.store().enqueue(&dup).await.unwrap();
    assert_eq!(drain(&other, "node9").await, 1);

    let notes: Vec<Value> = get(&s, &app, "/notifications?limit=200").await["data"].as_array().unwrap().clone();
    let reminders: Vec<&Value> = notes.iter().filter(|n| n["kind"] == "task_reminder").collect();
    assert_eq!(reminders.len(), 24, "each of 12 tasks × 2 reminders exactly once");
    for t in &ids {
        assert_eq!(reminders.iter().filter(|n| n["link"] == format!("/tasks/{t}")).count(), 2);
    }
    assert!(!reminders.iter().any(|n| n["link"] == format!("/tasks/{}", id(&later))
        || n["link"] == format!("/tasks/{}", id(&moved))
        || n["link"] == format!("/tasks/{}", id(&done))));
    assert!(reminders[0]["title"].as_str().unwrap().starts_with("Reminder: Call"));
    let queued =
        app.services.store().list_jobs(Some(clientele_core::domain::job::JobStatus::Queued), 100).await.unwrap();
    assert!(
        queued.iter().any(|j| j.kind == "task.reminder" && j.payload["id"] == json!(id(&later))),
        "the far reminder waits"
    );
}

both!(a_deal_stuck_in_its_stage_notifies_its_owner_once_per_stay);
async fn a_deal_stuck_in_its_stage_notifies_its_owner_once_per_stay(app: TestApp) {
    let admin = app.admin().await;
    let owner = person(&app, "manager", "own@example.com", "UTC", None).await;
    let p = get(&admin, &app, "/pipelines").await["data"][0].clone();
    let stage = p["stages"].as_array().unwrap().iter().find(|s| s["name"] == "Proposal").unwrap().clone();
    let url = format!("/pipelines/{}/stages/{}", p["id"].as_str().unwrap(), stage["id"].as_str().unwrap());
    ok(send(&admin, &app, Method::PATCH, &url, Some(json!({"time_limit_days": 3}))).await, StatusCode::OK).await;
    let deal = post(&admin, &app, "/deals", json!({"title": "Big order", "stage_id": stage["id"], "owner_id": owner.id, "amount": "100", "currency": "EUR"})).await;
    let fresh = post(&admin, &app, "/deals", json!({"title": "Fresh order", "stage_id": stage["id"], "owner_id": owner.id, "amount": "100", "currency": "EUR"})).await;
    let _ = fresh;
    // The deal entered the stage five days ago.
    let store = app.services.store();
    let mut d = store.get_deal(uuid::Uuid::parse_str(&id(&deal)).unwrap()).await.unwrap().unwrap();
    let expected = d.version;
    d.stage_entered_at = clientele_core::domain::now() - chrono::Duration::days(5);
    d.version += 1;
    let audit = clientele_core::domain::audit::AuditEntry {
        id: clientele_core::domain::new_id(),
        at: clientele_core::domain::now(),
        actor_id: None,
        actor_name: "test".into(),
        action: "update".into(),
        entity_type: "deal".into(),
        entity_id: d.id,
        changes: json!({}),
    };
    store.save_deal(&clientele_core::store::DealWrite::plain(d, expected, audit)).await.unwrap();
    for round in 0..2 {
        let mut j =
            clientele_core::domain::job::Job::new("deals.stuck_check", json!({}), None, clientele_core::domain::now());
        j.dedupe_key = Some(format!("check {round}"));
        store.enqueue(&j).await.unwrap();
        drain(&app.services, "w").await;
    }
    app.services.schedule_periodic().await.unwrap();
    app.services.schedule_periodic().await.unwrap();
    drain(&app.services, "w").await;
    let o = app.login("own@example.com").await;
    let stuck: Vec<Value> = notifications(&o, &app).await.into_iter().filter(|n| n["kind"] == "deal_stuck").collect();
    assert_eq!(stuck.len(), 1, "once per stay, however often the check runs");
    assert_eq!(stuck[0]["link"], format!("/deals/{}", id(&deal)));
    assert_eq!(stuck[0]["params"]["stage"], "Proposal");
    assert_eq!(stuck[0]["params"]["limit"], 3);
}
