//! Activities, comments with mentions, the one timeline of a card, the events feed and the
//! iCalendar feed (read back by an independent parser) through the API.

use icalendar::parser::{Component, read_calendar, unfold};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{TestApp, fields, get_ok as get, id, ok, post_created as post, problem, send};
use crate::tasks::{person, team};

both!(a_logged_call_shows_on_the_timeline_and_moves_last_contacted);
async fn a_logged_call_shows_on_the_timeline_and_moves_last_contacted(app: TestApp) {
    let admin = app.admin().await;
    let co = post(&admin, &app, "/companies", json!({"name": "Acme"})).await;
    let c = post(&admin, &app, "/contacts", json!({"first_name": "Olga", "company_id": id(&co)})).await;
    let p = get(&admin, &app, "/pipelines").await["data"][0].clone();
    let stage = |n: &str| p["stages"].as_array().unwrap().iter().find(|s| s["name"] == n).unwrap()["id"].clone();
    let deal = post(&admin, &app, "/deals", json!({"title": "Acme renewal", "contact_id": id(&c), "company_id": id(&co), "amount": "10", "currency": "EUR"})).await;
    assert!(get(&admin, &app, &format!("/contacts/{}", id(&c))).await["last_contacted_at"].is_null());

    let call = post(&admin, &app, "/activities", json!({
        "kind": "call", "direction": "outbound", "result": "connected", "duration_seconds": 185,
        "recording_url": "https://pbx.example/rec/1.mp3", "subject": "Renewal terms", "occurred_at": "2026-02-01T10:00:00Z",
        "related": {"type": "deal", "id": id(&deal)}
    })).await;
    assert_eq!(
        (call["contact_id"].as_str(), call["company_id"].as_str()),
        (Some(id(&c).as_str()), Some(id(&co).as_str()))
    );
    // The client's last contact moved to the call (never back: an older call leaves it).
    assert_eq!(get(&admin, &app, &format!("/contacts/{}", id(&c))).await["last_contacted_at"], "2026-02-01T10:00:00Z");
    assert_eq!(
        get(&admin, &app, &format!("/companies/{}", id(&co))).await["last_contacted_at"],
        "2026-02-01T10:00:00Z"
    );
    post(&admin, &app, "/activities", json!({"kind": "email", "direction": "inbound", "subject": "older", "occurred_at": "2026-01-01T10:00:00Z", "related": {"type": "contact", "id": id(&c)}})).await;
    post(
        &admin,
        &app,
        "/activities",
        json!({"kind": "note", "body": "likes tea", "related": {"type": "contact", "id": id(&c)}}),
    )
    .await;
    assert_eq!(get(&admin, &app, &format!("/contacts/{}", id(&c))).await["last_contacted_at"], "2026-02-01T10:00:00Z");

    // Every field is checked at once.
    let bad = send(
        &admin,
        &app,
        Method::POST,
        "/activities",
        Some(json!({
            "kind": "note", "direction": "sideways", "result": "connected", "duration_seconds": -1,
            "recording_url": "ftp://x", "related": {"type": "deal", "id": "00000000-0000-7000-8000-00000000ffff"}
        })),
    )
    .await;
    let f = fields(&problem(bad, 422).await);
    for want in ["direction", "result", "duration_seconds", "recording_url", "related.id", "body"] {
        assert!(f.iter().any(|x| x == want), "{want} in {f:?}");
    }

    // The deal's timeline: the call, a task, a comment, the stage move, the creation.
    post(&admin, &app, "/tasks", json!({"title": "Send the contract", "related": {"type": "deal", "id": id(&deal)}}))
        .await;
    post(&admin, &app, "/comments", json!({"related": {"type": "deal", "id": id(&deal)}, "body": "Looks **good**"}))
        .await;
    ok(
        send(
            &admin,
            &app,
            Method::POST,
            &format!("/deals/{}/move", id(&deal)),
            Some(json!({"stage_id": stage("Proposal")})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let tl = get(&admin, &app, &format!("/timeline/deal/{}", id(&deal))).await;
    let kinds: Vec<&str> = tl["data"].as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["stage", "comment", "task", "change", "activity"], "newest first");
    let stage_item = &tl["data"][0];
    assert_eq!(
        (stage_item["from_stage"].as_str(), stage_item["to_stage"].as_str()),
        (Some("Qualification"), Some("Proposal"))
    );
    assert_eq!(tl["data"][1]["comment"]["html"], "<p>Looks <strong>good</strong></p>");
    assert_eq!(tl["data"][4]["activity"]["duration_seconds"], 185);
    // Filtered by type, and in keyset pages.
    let calls = get(&admin, &app, &format!("/timeline/deal/{}?types=call", id(&deal))).await;
    assert_eq!(calls["data"].as_array().unwrap().len(), 1);
    let p1 = get(&admin, &app, &format!("/timeline/deal/{}?limit=2", id(&deal))).await;
    let p2 = get(
        &admin,
        &app,
        &format!("/timeline/deal/{}?limit=2&cursor={}", id(&deal), p1["next_cursor"].as_str().unwrap()),
    )
    .await;
    let p3 = get(
        &admin,
        &app,
        &format!("/timeline/deal/{}?limit=2&cursor={}", id(&deal), p2["next_cursor"].as_str().unwrap()),
    )
    .await;
    let paged: Vec<&str> = [&p1, &p2, &p3]
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap()))
        .collect();
    assert_eq!(paged, kinds);
    assert!(p3["next_cursor"].is_null());
    problem(send(&admin, &app, Method::GET, &format!("/timeline/deal/{}?types=gossip", id(&deal)), None).await, 422)
        .await;
    // The contact's timeline includes what was logged against its deal.
    let ctl = get(&admin, &app, &format!("/timeline/contact/{}?types=activity", id(&c))).await;
    let subjects: Vec<&str> =
        ctl["data"].as_array().unwrap().iter().map(|i| i["activity"]["kind"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["note", "call", "email"]);
    assert_eq!(
        get(&admin, &app, &format!("/activities?related_type=contact&related_id={}&kind=call", id(&c))).await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

both!(comments_mention_colleagues_and_never_inject_html);
async fn comments_mention_colleagues_and_never_inject_html(app: TestApp) {
    let t = team(&app, "Team").await;
    let anna = person(&app, "manager", "anna@example.com", "UTC", Some(t)).await;
    person(&app, "manager", "boris@example.com", "UTC", Some(t)).await;
    person(&app, "head", "hd@example.com", "UTC", Some(t)).await;
    let a = app.login("anna@example.com").await;
    let b = app.login("boris@example.com").await;
    let h = app.login("hd@example.com").await;
    let c = post(&a, &app, "/contacts", json!({"first_name": "Client", "owner_id": anna.id})).await;
    let evil =
        "Hi @hd and @boris: <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) **ok**";
    let cm = post(&a, &app, "/comments", json!({"related": {"type": "contact", "id": id(&c)}, "body": evil})).await;
    let html = cm["html"].as_str().unwrap();
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("href=\"javascript"), "{html}");
    assert!(html.contains("&lt;script&gt;") && html.contains("<strong>ok</strong>"), "{html}");
    assert!(html.contains("<span class=\"mention\">@head hd</span>"), "{html}");
    // The head (who can open the contact) hears of it; Boris cannot open Anna's contact, so
    // his mention is no link to a page he may not see.
    let hn = get(&h, &app, "/notifications").await["data"].as_array().unwrap().clone();
    assert_eq!((hn.len(), hn[0]["kind"].as_str()), (1, Some("mentioned")));
    assert_eq!(hn[0]["link"], format!("/contacts/{}", id(&c)));
    assert!(get(&b, &app, "/notifications").await["data"].as_array().unwrap().is_empty());
    assert!(get(&a, &app, "/notifications").await["data"].as_array().unwrap().is_empty());
    // Only its author changes it; out-of-reach comments are not found.
    let path = format!("/comments/{}", id(&cm));
    problem(send(&h, &app, Method::PATCH, &path, Some(json!({"body": "mine now"}))).await, 403).await;
    problem(send(&b, &app, Method::PATCH, &path, Some(json!({"body": "x"}))).await, 404).await;
    let ed =
        ok(send(&a, &app, Method::PATCH, &path, Some(json!({"body": "- one\n- _two_"}))).await, StatusCode::OK).await;
    assert_eq!(ed["html"], "<ul><li>one</li><li><em>two</em></li></ul>");
    problem(
        send(
            &a,
            &app,
            Method::POST,
            "/comments",
            Some(json!({"related": {"type": "contact", "id": id(&c)}, "body": "  "})),
        )
        .await,
        422,
    )
    .await;
    let list = get(&h, &app, &format!("/comments?related_type=contact&related_id={}", id(&c))).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(send(&a, &app, Method::DELETE, &path, None).await.status(), StatusCode::NO_CONTENT);
    assert!(
        get(&h, &app, &format!("/comments?related_type=contact&related_id={}", id(&c))).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

both!(the_events_feed_tells_what_happened_for_the_head_of_sales);
async fn the_events_feed_tells_what_happened_for_the_head_of_sales(app: TestApp) {
    let t = team(&app, "Feed team").await;
    let m = person(&app, "manager", "fm@example.com", "UTC", Some(t)).await;
    person(&app, "manager", "other@example.com", "UTC", None).await;
    person(&app, "head", "fh@example.com", "UTC", Some(t)).await;
    let ms = app.login("fm@example.com").await;
    let os = app.login("other@example.com").await;
    let hs = app.login("fh@example.com").await;
    let deal = post(&ms, &app, "/deals", json!({"title": "Feed deal", "amount": "5", "currency": "EUR"})).await;
    let p = get(&ms, &app, "/pipelines").await["data"][0].clone();
    let won = p["stages"].as_array().unwrap().iter().find(|s| s["name"] == "Negotiation").unwrap()["id"].clone();
    ok(
        send(&ms, &app, Method::POST, &format!("/deals/{}/move", id(&deal)), Some(json!({"stage_id": won}))).await,
        StatusCode::OK,
    )
    .await;
    post(&os, &app, "/contacts", json!({"first_name": "Elsewhere"})).await;
    let feed = get(&hs, &app, "/feed").await;
    let lines: Vec<&str> = feed["data"].as_array().unwrap().iter().map(|i| i["summary"].as_str().unwrap()).collect();
    assert_eq!(
        lines,
        ["manager fm moved deal Feed deal from Qualification to Negotiation", "manager fm created deal Feed deal"],
        "the head sees their team only"
    );
    assert_eq!(feed["data"][0]["link"], format!("/deals/{}", id(&deal)));
    let admin = app.admin().await;
    let all = get(&admin, &app, "/feed?entity_type=contact").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    assert_eq!(all["data"][0]["entity_name"], "Elsewhere");
    let by = get(&admin, &app, &format!("/feed?user_id={}", m.id)).await;
    assert_eq!(by["data"].as_array().unwrap().len(), 2);
    assert!(get(&admin, &app, "/feed?period=yesterday").await["data"].as_array().unwrap().is_empty());
    assert_eq!(get(&admin, &app, "/feed?period=week&limit=1").await["data"].as_array().unwrap().len(), 1);
    problem(send(&ms, &app, Method::GET, "/feed", None).await, 403).await;
    problem(send(&admin, &app, Method::GET, "/feed?period=custom&from=2026-02-10&to=2026-02-01", None).await, 422)
        .await;
}

fn prop<'a>(c: &'a Component<'_>, name: &str) -> Option<&'a str> {
    c.find_prop(name).map(|p| p.val.as_str())
}

fn param<'a>(c: &'a Component<'_>, name: &str, key: &str) -> Option<&'a str> {
    c.find_prop(name)?.params.iter().find(|p| p.key.as_str() == key)?.val.as_ref().map(|v| v.as_str())
}

/// UTC of a local `YYYYMMDDTHHMMSS` by the VTIMEZONE's own observances: the one with the
/// latest start not after it gives the offset.
fn utc_by_vtimezone(tz: &Component<'_>, local: &str) -> String {
    let local = chrono::NaiveDateTime::parse_from_str(local, "%Y%m%dT%H%M%S").unwrap();
    let obs = tz
        .components
        .iter()
        .filter_map(|o| {
            let start = chrono::NaiveDateTime::parse_from_str(prop(o, "DTSTART")?, "%Y%m%dT%H%M%S").ok()?;
            Some((start, prop(o, "TZOFFSETTO")?.to_owned()))
        })
        .filter(|(s, _)| *s <= local)
        .max_by_key(|(s, _)| *s)
        .unwrap();
    let off = &obs.1;
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let secs = sign * (off[1..3].parse::<i64>().unwrap() * 3600 + off[3..5].parse::<i64>().unwrap() * 60);
    (local - chrono::Duration::seconds(secs)).and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

both!(the_calendar_feed_is_valid_icalendar_that_matches_the_tasks);
async fn the_calendar_feed_is_valid_icalendar_that_matches_the_tasks(app: TestApp) {
    person(&app, "manager", "cal@example.com", "Europe/Sofia", None).await;
    let s = app.login("cal@example.com").await;
    let soon = chrono::Utc::now().date_naive() + chrono::Duration::days(3);
    let summer = format!("{}T09:00", soon.format("%Y-%m-%d"));
    let timed = post(&s, &app, "/tasks", json!({"title": "Call Ivan; bring the offer, please", "kind": "call", "due_at": summer, "duration_minutes": 45, "reminders": [15], "description": "Line one\nLine two"})).await;
    let allday = post(
        &s,
        &app,
        "/tasks",
        json!({"title": "Invoice day", "due_date": (soon + chrono::Duration::days(1)).format("%Y-%m-%d").to_string()}),
    )
    .await;
    let series = post(&s, &app, "/tasks", json!({"title": "Weekly review", "due_at": format!("{}T16:30", soon.format("%Y-%m-%d")), "recurrence": "FREQ=WEEKLY;COUNT=3"})).await;
    post(&s, &app, "/tasks", json!({"title": "No date"})).await;
    let created = post(&s, &app, "/calendar/feeds", json!({})).await;
    let path = created["path"].as_str().unwrap().to_owned();
    assert!(path.starts_with("/api/v1/calendar/feed/cal_") && path.ends_with(".ics"));
    assert_eq!(get(&s, &app, "/calendar/feeds").await.as_array().unwrap().len(), 1);

    // No sign-in: the token in the URL is the key.
    let anon = reqwest::Client::new();
    let r = anon.get(format!("{}{path}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let text = r.text().await.unwrap();
    assert!(text.lines().all(|l| l.len() <= 75), "folded at 75 octets");
    assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'), "CRLF line ends");
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("an independent parser reads it");
    let root = cal.components.iter().find(|c| c.name == "VCALENDAR").unwrap_or(&cal.components[0]);
    let parts: &[Component<'_>] = if root.name == "VCALENDAR" { &root.components } else { &cal.components };
    let vtz = parts.iter().find(|c| c.name == "VTIMEZONE").expect("a VTIMEZONE");
    assert_eq!(prop(vtz, "TZID"), Some("Europe/Sofia"));
    assert!(vtz.components.iter().any(|o| o.name == "DAYLIGHT") && vtz.components.iter().any(|o| o.name == "STANDARD"));
    let events: Vec<&Component<'_>> = parts.iter().filter(|c| c.name == "VEVENT").collect();
    // Three dated tasks, and the two coming occurrences of the weekly one.
    assert_eq!(events.len(), 5, "{unfolded}");
    for e in &events {
        assert!(prop(e, "UID").is_some() && prop(e, "DTSTAMP").is_some() && prop(e, "DTSTART").is_some());
    }
    let by_summary = |s: &str| events.iter().find(|e| prop(e, "SUMMARY") == Some(s)).copied();
    let summaries: Vec<&str> = events.iter().filter_map(|e| prop(e, "SUMMARY")).collect();
    // The parser unescapes text: what comes out is what went in.
    let call = by_summary("Call Ivan; bring the offer, please").unwrap_or_else(|| panic!("the call in {summaries:?}"));
    assert_eq!(param(call, "DTSTART", "TZID"), Some("Europe/Sofia"));
    assert_eq!(prop(call, "DTSTART"), Some(format!("{}T090000", soon.format("%Y%m%d")).as_str()));
    assert_eq!(
        utc_by_vtimezone(vtz, prop(call, "DTSTART").unwrap()),
        timed["due_at"].as_str().unwrap(),
        "the VTIMEZONE gives the task's instant"
    );
    assert_eq!(prop(call, "DTEND"), Some(format!("{}T094500", soon.format("%Y%m%d")).as_str()));
    assert_eq!(prop(call, "DESCRIPTION"), Some("Line one\nLine two"));
    let alarm = call.components.iter().find(|c| c.name == "VALARM").expect("the reminder");
    assert_eq!(prop(alarm, "TRIGGER"), Some("-PT15M"));
    let day = by_summary("Invoice day").unwrap();
    assert_eq!(param(day, "DTSTART", "VALUE"), Some("DATE"));
    assert_eq!(prop(day, "DTSTART"), Some((soon + chrono::Duration::days(1)).format("%Y%m%d").to_string().as_str()));
    let _ = allday;
    let weekly: Vec<&&Component<'_>> = events.iter().filter(|e| prop(e, "SUMMARY") == Some("Weekly review")).collect();
    assert_eq!(weekly.len(), 3);
    let uids: Vec<&str> = weekly.iter().map(|e| prop(e, "UID").unwrap()).collect();
    let sid = series["id"].as_str().unwrap();
    assert_eq!(uids, [format!("{sid}-0@clientele"), format!("{sid}-1@clientele"), format!("{sid}-2@clientele")]);
    for e in &weekly {
        assert!(prop(e, "DTSTART").unwrap().ends_with("T163000"), "16:30 Sofia time every week");
    }

    // Revoked: the URL stops working; a made-up token never worked.
    let fid = id(&created);
    assert_eq!(
        send(&s, &app, Method::DELETE, &format!("/calendar/feeds/{fid}"), None).await.status(),
        StatusCode::NO_CONTENT
    );
    let gone = anon.get(format!("{}{path}", app.url)).send().await.unwrap();
    problem(gone, 404).await;
    problem(anon.get(app.api("/calendar/feed/cal_nope.ics")).send().await.unwrap(), 404).await;
    let listed: Vec<Value> = get(&s, &app, "/calendar/feeds").await.as_array().unwrap().clone();
    assert!(listed[0]["revoked_at"].is_string());
}
