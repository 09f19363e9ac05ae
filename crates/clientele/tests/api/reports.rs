//! Standard reports through the API on both databases. Deals are created and moved through
//! the API, then their times are set to known instants; every expected figure is computed
//! here, independently, from that raw scenario (skipped stages, moves back, a reopened won
//! deal, three currencies, deals on both sides of a period boundary in another time zone).

use chrono::{DateTime, Duration, Utc};
use clientele_store::testing::{StayTimes, backdate_deal};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A deal of the scenario: who owns it, its money, source and client, when it was created,
/// and the stages it went through with the hours after creation it entered each.
struct Spec {
    owner: usize,
    amount: &'static str,
    currency: &'static str,
    source: Option<&'static str>,
    company: Option<usize>,
    created: &'static str,
    path: &'static [(&'static str, i64)],
}

const SCENARIO: &[Spec] = &[
    // D0: skips Needs analysis, won.
    Spec {
        owner: 0,
        amount: "1000.00",
        currency: "EUR",
        source: Some("Website"),
        company: Some(0),
        created: "2026-02-02T10:00:00Z",
        path: &[("Qualification", 0), ("Proposal", 24), ("Won", 72)],
    },
    // D1: moves back, lost.
    Spec {
        owner: 0,
        amount: "500.00",
        currency: "USD",
        source: Some("referral"),
        company: Some(1),
        created: "2026-02-03T09:00:00Z",
        path: &[
            ("Qualification", 0),
            ("Needs analysis", 10),
            ("Qualification", 20),
            ("Needs analysis", 30),
            ("Lost", 50),
        ],
    },
    // D2: jumps to negotiation, won, reopened into Proposal, won again (an existing client by then).
    Spec {
        owner: 1,
        amount: "300.00",
        currency: "EUR",
        source: Some("website"),
        company: Some(0),
        created: "2026-02-10T08:00:00Z",
        path: &[("Qualification", 0), ("Negotiation", 5), ("Won", 10), ("Proposal", 20), ("Won", 40)],
    },
    // D3: stays in the first stage.
    Spec {
        owner: 0,
        amount: "200.00",
        currency: "EUR",
        source: None,
        company: None,
        created: "2026-02-15T12:00:00Z",
        path: &[("Qualification", 0)],
    },
    // D4: created 23:30 UTC on 31 January = 1 February in Sofia; lost.
    Spec {
        owner: 1,
        amount: "10000.00",
        currency: "RUB",
        source: Some("cold_call"),
        company: Some(1),
        created: "2026-01-31T23:30:00Z",
        path: &[("Qualification", 0), ("Needs analysis", 2), ("Lost", 26)],
    },
    // D5: created in January, won on 20 February.
    Spec {
        owner: 0,
        amount: "700.00",
        currency: "EUR",
        source: Some("website"),
        company: Some(1),
        created: "2026-01-20T10:00:00Z",
        path: &[("Qualification", 0), ("Won", 744)],
    },
    // D6: created 22:30 UTC on 28 February = 1 March in Sofia.
    Spec {
        owner: 1,
        amount: "50.00",
        currency: "EUR",
        source: None,
        company: None,
        created: "2026-02-28T22:30:00Z",
        path: &[("Qualification", 0)],
    },
];

const STAGES: [(&str, i64, &str); 6] = [
    ("Qualification", 0, "open"),
    ("Needs analysis", 1, "open"),
    ("Proposal", 2, "open"),
    ("Negotiation", 3, "open"),
    ("Won", 4, "won"),
    ("Lost", 5, "lost"),
];

fn stage_info(name: &str) -> (i64, &'static str) {
    let s = STAGES.iter().find(|s| s.0 == name).unwrap();
    (s.1, s.2)
}

fn status(spec: &Spec) -> &'static str {
    stage_info(spec.path.last().unwrap().0).1
}

fn at(spec: &Spec, hours: i64) -> DateTime<Utc> {
    t(spec.created) + Duration::hours(hours)
}

fn closed_at(spec: &Spec) -> Option<DateTime<Utc>> {
    (status(spec) != "open").then(|| at(spec, spec.path.last().unwrap().1))
}

/// Percent with two decimals, half up, from integers.
fn pct(num: i64, den: i64) -> Value {
    if den == 0 {
        return Value::Null;
    }
    let hundredths = (num * 10000 * 2 + den) / (2 * den);
    json!(format!("{}.{:02}", hundredths / 100, hundredths % 100))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn close(got: &Value, want: Option<f64>, what: &str) {
    match want {
        None => assert!(got.is_null(), "{what}: {got}"),
        Some(w) => assert!((got.as_f64().unwrap() - w).abs() < 0.01, "{what}: got {got}, want {w}"),
    }
}

/// The funnel expected for these deals (the cohort).
fn check_funnel(report: &Value, cohort: &[&Spec]) {
    let all = &report["segments"][0];
    let won = cohort.iter().filter(|s| status(s) == "won").count() as i64;
    let lost = cohort.iter().filter(|s| status(s) == "lost").count() as i64;
    let n = cohort.len() as i64;
    assert_eq!(all["deals"], n);
    assert_eq!(all["won"], won);
    assert_eq!(all["lost"], lost);
    assert_eq!(all["total_conversion"], pct(won, n));
    let lengths: Vec<f64> =
        cohort.iter().filter_map(|s| closed_at(s).map(|c| (c - t(s.created)).num_seconds() as f64)).collect();
    assert_eq!(all["funnel_length"]["count"], lengths.len());
    close(&all["funnel_length"]["median_seconds"], median(lengths.clone()), "funnel length median");
    close(&all["funnel_length"]["mean_seconds"], mean(&lengths), "funnel length mean");

    let open: Vec<&(&str, i64, &str)> = STAGES.iter().filter(|s| s.2 == "open").collect();
    let reached: Vec<i64> = open
        .iter()
        .map(|(_, pos, _)| {
            cohort
                .iter()
                .filter(|s| {
                    status(s) == "won"
                        || s.path.iter().any(|(st, _)| {
                            let (p, k) = stage_info(st);
                            k == "open" && p >= *pos
                        })
                })
                .count() as i64
        })
        .collect();
    let stages = all["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 6);
    for (name, pos, kind) in STAGES {
        let row = stages.iter().find(|r| r["name"] == name).unwrap();
        assert_eq!(row["kind"], kind);
        let entries = cohort.iter().filter(|s| s.path.iter().any(|(st, _)| *st == name)).count() as i64;
        let visits: i64 = cohort.iter().map(|s| s.path.iter().filter(|(st, _)| *st == name).count() as i64).sum();
        assert_eq!((row["entries"].as_i64().unwrap(), row["visits"].as_i64().unwrap()), (entries, visits), "{name}");
        let (mut fw, mut bw, mut w, mut l) = (0, 0, 0, 0);
        let mut stays = Vec::new();
        for s in cohort {
            for (k, (st, h)) in s.path.iter().enumerate() {
                if *st != name {
                    continue;
                }
                if let Some((next, nh)) = s.path.get(k + 1) {
                    stays.push(((nh - h) * 3600) as f64);
                    let (np, nk) = stage_info(next);
                    match nk {
                        "won" => w += 1,
                        "lost" => l += 1,
                        _ if np > pos => fw += 1,
                        _ => bw += 1,
                    }
                }
            }
        }
        let ex = &row["exits"];
        assert_eq!(
            (ex["forward"].as_i64(), ex["backward"].as_i64(), ex["won"].as_i64(), ex["lost"].as_i64()),
            (Some(fw), Some(bw), Some(w), Some(l)),
            "exits of {name}"
        );
        assert_eq!(row["duration"]["count"], stays.len(), "{name} stays");
        close(&row["duration"]["median_seconds"], median(stays.clone()), name);
        close(&row["duration"]["mean_seconds"], mean(&stays), name);
        if kind == "open" {
            let i = open.iter().position(|o| o.0 == name).unwrap();
            assert_eq!(row["reached"], reached[i], "{name} reached");
            let next = reached.get(i + 1).copied().unwrap_or(won);
            assert_eq!(row["conversion_to_next"], pct(next, reached[i]), "{name} conversion");
            assert_eq!(row["conversion_from_start"], pct(reached[i], n), "{name} from start");
        }
    }
}

/// Minor units of a decimal amount with two decimals.
fn minor(s: &str) -> i64 {
    let (a, b) = s.split_once('.').unwrap();
    a.parse::<i64>().unwrap() * 100 + b.parse::<i64>().unwrap()
}

/// Into EUR cents: USD at 0.9, RUB at 0.01, per currency sum, rounded half away.
fn eur(deals: &[&Spec]) -> i64 {
    let mut total = 0;
    for (cur, rate_num, rate_den) in [("EUR", 1, 1), ("USD", 9, 10), ("RUB", 1, 100)] {
        let sum: i64 = deals.iter().filter(|s| s.currency == cur).map(|s| minor(s.amount)).sum();
        total += (sum * rate_num * 2 + rate_den) / (2 * rate_den);
    }
    total
}

struct World {
    admin: Session,
    ids: Vec<String>,
    owners: Vec<String>,
    pipeline: String,
}

async fn build(app: &TestApp) -> World {
    let admin = app.admin().await;
    let m1 = app.user("manager", "m1@example.com").await;
    let m2 = app.user("manager", "m2@example.com").await;
    let owners = vec![m1.id.to_string(), m2.id.to_string()];
    for (cur, rate) in [("USD", "0.9"), ("RUB", "0.01")] {
        post_created(
            &admin,
            app,
            "/currencies/rates",
            json!({"currency": cur, "rate": rate, "valid_from": "2025-01-01"}),
        )
        .await;
    }
    let companies = [
        id(&post_created(&admin, app, "/companies", json!({"name": "Acme"})).await),
        id(&post_created(&admin, app, "/companies", json!({"name": "Globex"})).await),
    ];
    let p = get_ok(&admin, app, "/pipelines").await;
    let pipeline = p["data"][0].clone();
    let stage = |name: &str| {
        pipeline["stages"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let reasons = get_ok(&admin, app, "/loss-reasons").await;
    let reason = reasons["data"][0]["id"].as_str().unwrap().to_owned();
    let store = clientele_store::connect(
        &clientele_store::DatabaseUrl::new(app.database_url.clone()),
        &clientele_store::PoolSettings::default(),
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for (i, s) in SCENARIO.iter().enumerate() {
        let d = post_created(
            &admin,
            app,
            "/deals",
            json!({"title": format!("D{i}"), "amount": s.amount, "currency": s.currency, "source": s.source,
                   "owner_id": owners[s.owner], "company_id": s.company.map(|c| companies[c].clone()),
                   "stage_id": stage(s.path[0].0)}),
        )
        .await;
        let deal = id(&d);
        for (st, _) in &s.path[1..] {
            let mut body = json!({"stage_id": stage(st)});
            if *st == "Lost" {
                body["loss_reason_id"] = json!(reason);
            }
            ok(send(&admin, app, Method::POST, &format!("/deals/{deal}/move"), Some(body)).await, StatusCode::OK).await;
        }
        let d = get_ok(&admin, app, &format!("/deals/{deal}")).await;
        let history = d["stage_history"].as_array().unwrap();
        assert_eq!(history.len(), s.path.len());
        let mut rows: Vec<(String, String)> = history
            .iter()
            .map(|h| (h["entered_at"].as_str().unwrap().to_owned(), h["id"].as_str().unwrap().to_owned()))
            .collect();
        rows.sort();
        let stays: Vec<StayTimes> = rows
            .iter()
            .enumerate()
            .map(|(k, (_, hid))| StayTimes {
                id: hid.parse().unwrap(),
                entered_at: at(s, s.path[k].1),
                left_at: s.path.get(k + 1).map(|(_, h)| at(s, *h)),
            })
            .collect();
        backdate_deal(&store, deal.parse().unwrap(), t(s.created), closed_at(s), &stays).await.unwrap();
        ids.push(deal);
    }
    World { admin, ids, owners, pipeline: pipeline["id"].as_str().unwrap().to_owned() }
}

both!(funnel_and_sales_figures_match_the_raw_deals);
async fn funnel_and_sales_figures_match_the_raw_deals(app: TestApp) {
    let w = build(&app).await;
    let admin = &w.admin;
    let feb = "from=2026-02-01&to=2026-02-28";

    // February in Sofia: D4 (31 January UTC) is in, D6 (1 March in Sofia) is out.
    let r = get_ok(admin, &app, &format!("/reports/funnel?{feb}&tz=Europe/Sofia&pipeline_id={}", w.pipeline)).await;
    assert_eq!(r["period"]["starts_at"], "2026-01-31T22:00:00Z");
    let sofia: Vec<&Spec> = [0, 1, 2, 3, 4].iter().map(|i| &SCENARIO[*i]).collect();
    check_funnel(&r, &sofia);
    // The same days in UTC: D6 is in, D4 out.
    let r = get_ok(admin, &app, &format!("/reports/funnel?{feb}&tz=UTC")).await;
    let utc: Vec<&Spec> = [0, 1, 2, 3, 6].iter().map(|i| &SCENARIO[*i]).collect();
    check_funnel(&r, &utc);

    // Sliced by manager: one segment per owner, each its own funnel.
    let r = get_ok(admin, &app, &format!("/reports/funnel?{feb}&tz=Europe/Sofia&slice=manager")).await;
    assert_eq!(r["segments"].as_array().unwrap().len(), 3);
    for (k, owner) in w.owners.iter().enumerate() {
        let seg = r["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["segment"].as_str().map(|x| x.replace('-', "")) == Some(owner.replace('-', "")))
            .unwrap();
        let mine: Vec<&Spec> = sofia.iter().copied().filter(|s| s.owner == k).collect();
        check_funnel(&json!({"segments": [seg]}), &mine);
        assert!(seg["label"].as_str().unwrap().contains(&format!("m{}@example.com", k + 1)));
    }
    // New vs existing clients: D2 is Acme's second deal after D0 was won.
    let r = get_ok(admin, &app, &format!("/reports/funnel?{feb}&tz=Europe/Sofia&slice=client")).await;
    let existing = r["segments"].as_array().unwrap().iter().find(|s| s["segment"] == "existing").unwrap();
    check_funnel(&json!({"segments": [existing]}), &[&SCENARIO[2]]);
    let r = get_ok(admin, &app, &format!("/reports/funnel?{feb}&tz=Europe/Sofia&slice=source")).await;
    let website = r["segments"].as_array().unwrap().iter().find(|s| s["segment"] == "website").unwrap();
    check_funnel(&json!({"segments": [website]}), &[&SCENARIO[0], &SCENARIO[2]]);

    // A manager's funnel holds only their own deals.
    let m1 = app.login("m1@example.com").await;
    let r = get_ok(&m1, &app, &format!("/reports/funnel?{feb}&tz=Europe/Sofia")).await;
    let mine: Vec<&Spec> = sofia.iter().copied().filter(|s| s.owner == 0).collect();
    check_funnel(&r, &mine);

    // Sales in February (Sofia): won by closing time, in EUR.
    let closed_in =
        |s: &Spec| closed_at(s).is_some_and(|c| c >= t("2026-01-31T22:00:00Z") && c < t("2026-02-28T22:00:00Z"));
    let won: Vec<&Spec> = SCENARIO.iter().filter(|s| status(s) == "won" && closed_in(s)).collect();
    let lost: Vec<&Spec> = SCENARIO.iter().filter(|s| status(s) == "lost" && closed_in(s)).collect();
    let r = get_ok(admin, &app, &format!("/reports/sales?{feb}&tz=Europe/Sofia")).await;
    assert_eq!(r["base_currency"], "EUR");
    assert_eq!(r["won_count"], won.len());
    assert_eq!(r["lost_count"], lost.len());
    assert_eq!(r["revenue"]["total_minor"], eur(&won));
    let avg = (eur(&won) * 2 + won.len() as i64) / (2 * won.len() as i64);
    assert_eq!(r["average_check"], format!("{}.{:02}", avg / 100, avg % 100));
    assert_eq!(r["win_rate"], pct(won.len() as i64, (won.len() + lost.len()) as i64));
    let created = sofia.len() as i64;
    assert_eq!(r["created_count"], created);
    let created_won = sofia.iter().filter(|s| status(s) == "won").count() as i64;
    assert_eq!(r["close_rate"], pct(created_won, created));
    let cycles: Vec<f64> = won.iter().map(|s| (closed_at(s).unwrap() - t(s.created)).num_seconds() as f64).collect();
    close(&r["sales_cycle"]["median_seconds"], median(cycles.clone()), "cycle");
    close(&r["sales_cycle"]["mean_seconds"], mean(&cycles), "cycle mean");
    let website = r["by_source"].as_array().unwrap().iter().find(|s| s["source"] == "website").unwrap();
    let web_won: Vec<&Spec> =
        won.iter().copied().filter(|s| s.source.map(str::to_lowercase).as_deref() == Some("website")).collect();
    assert_eq!(website["won_count"], web_won.len());
    assert_eq!(website["revenue"]["total_minor"], eur(&web_won));
    // Acme's and Globex's first won deals came through the website in February.
    assert_eq!(website["acquired_clients"], 2);
    assert_eq!(r["loss_reasons"][0]["count"], lost.len());
    assert_eq!(r["loss_reasons"][0]["name"], "Price too high");
    assert_eq!(r["loss_reasons"][0]["amount"]["total_minor"], eur(&lost));
    // The open pipeline now: D3 (10 %) and D6 (10 %).
    let open: Vec<&Spec> = SCENARIO.iter().filter(|s| status(s) == "open").collect();
    assert_eq!(r["pipeline"]["count"], open.len());
    assert_eq!(r["pipeline"]["amount"]["total_minor"], eur(&open));
    assert_eq!(r["pipeline"]["weighted"]["total_minor"], eur(&open) / 10);
    // The previous period is January.
    assert_eq!(r["previous"]["period"]["from"], "2026-01-01");
    assert_eq!(r["previous"]["won_count"], 0);

    // CAC: 600 EUR spent on the website in February for two clients.
    let cost = json!({"channel": "Website", "period_start": "2026-02-01", "period_end": "2026-02-28", "amount": "600.00", "currency": "EUR"});
    post_created(admin, &app, "/channel-costs", cost).await;
    let r = get_ok(admin, &app, &format!("/reports/sales?{feb}&tz=Europe/Sofia")).await;
    let website = r["by_source"].as_array().unwrap().iter().find(|s| s["source"] == "website").unwrap();
    assert_eq!(website["cac"], "300.00");
    // Bad parameters name their field.
    let r = send(admin, &app, Method::GET, "/reports/sales?from=2026-02-30&tz=Mars/Olympus", None).await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["from", "tz"]);
    let r = send(admin, &app, Method::GET, "/reports/funnel?slice=colour", None).await;
    assert_eq!(fields(&problem(r, 422).await), ["slice"]);
    let _ = &w.ids;
}

both!(dynamics_managers_plans_and_abc);
async fn dynamics_managers_plans_and_abc(app: TestApp) {
    let w = build(&app).await;
    let admin = &w.admin;

    // By week of February in Sofia: D0 won in W06, D2 in W07, D5 in W08.
    let r =
        get_ok(admin, &app, "/reports/sales/dynamics?from=2026-02-01&to=2026-02-28&tz=Europe/Sofia&granularity=week")
            .await;
    let series = r["series"].as_array().unwrap();
    assert_eq!(series[0]["label"], "2026-W05");
    let won_in = |label: &str| series.iter().find(|p| p["label"] == label).unwrap()["revenue"]["total_minor"].clone();
    assert_eq!(won_in("2026-W06"), minor("1000.00"));
    assert_eq!(won_in("2026-W07"), minor("300.00"));
    assert_eq!(won_in("2026-W08"), minor("700.00"));
    let created: i64 = series.iter().map(|p| p["created_count"].as_i64().unwrap()).sum();
    assert_eq!(created, 5);
    assert_eq!(r["previous_period"]["from"], "2026-01-01");

    // Payments: planned for tomorrow, received today, planned this week (10 Feb is a Tuesday).
    for (deal, kind, date, amount) in [
        (0, "planned", "2026-02-11", "100.00"),
        (0, "actual", "2026-02-10", "40.00"),
        (1, "planned", "2026-02-15", "50.00"),
        (2, "planned", "2026-02-11", "30.00"),
        (2, "planned", "2026-02-17", "99.00"),
    ] {
        post_created(
            admin,
            &app,
            &format!("/deals/{}/payments", w.ids[deal]),
            json!({"kind": kind, "date": date, "amount": amount}),
        )
        .await;
    }
    let r = get_ok(admin, &app, "/reports/managers/daily?date=2026-02-10&tz=UTC").await;
    assert_eq!(r["week"], json!(["2026-02-09", "2026-02-15"]));
    assert_eq!(r["total"]["planned_tomorrow"]["amount"]["total_minor"], 13000);
    assert_eq!(r["total"]["received_today"]["amount"]["total_minor"], 4000);
    // 100 EUR + 50 USD (45 EUR) + 30 EUR this week.
    assert_eq!(r["total"]["planned_this_week"]["amount"]["total_minor"], 17500);
    let m1 = r["managers"].as_array().unwrap().iter().find(|m| m["user_id"] == w.owners[0].as_str()).unwrap();
    assert_eq!(m1["planned_tomorrow"]["count"], 1);
    assert_eq!(m1["planned_this_week"]["amount"]["total_minor"], 14500);
    // A manager sees only their own deals' payments.
    let s1 = app.login("m1@example.com").await;
    let r = get_ok(&s1, &app, "/reports/managers/daily?date=2026-02-10&tz=UTC").await;
    assert_eq!(r["managers"].as_array().unwrap().len(), 1);
    assert_eq!(r["total"]["planned_tomorrow"]["amount"]["total_minor"], 10000);

    // Activity: calls made and received with durations, e-mails, meetings, tasks.
    let today = Utc::now().format("%Y-%m-%d").to_string();
    for (kind, dir, secs) in [
        ("call", Some("outbound"), 60),
        ("call", Some("outbound"), 90),
        ("call", Some("inbound"), 30),
        ("email", Some("outbound"), 0),
        ("meeting", None, 0),
    ] {
        let mut body = json!({"kind": kind, "subject": "x", "related": {"type": "deal", "id": w.ids[0]}});
        if let Some(d) = dir {
            body["direction"] = json!(d);
        }
        if secs > 0 {
            body["duration_seconds"] = json!(secs);
        }
        post_created(&s1, &app, "/activities", body).await;
    }
    let task =
        post_created(&s1, &app, "/tasks", json!({"title": "call back", "kind": "call", "due_at": "2020-01-01T09:00"}))
            .await;
    post_created(&s1, &app, "/tasks", json!({"title": "late", "kind": "todo", "due_at": "2020-01-01T09:00"})).await;
    ok(send(&s1, &app, Method::POST, &format!("/tasks/{}/complete", id(&task)), Some(json!({}))).await, StatusCode::OK)
        .await;
    let r = get_ok(admin, &app, &format!("/reports/managers/activity?from={today}&to={today}&tz=UTC")).await;
    let row = r["users"].as_array().unwrap().iter().find(|u| u["user_id"] == w.owners[0].as_str()).unwrap();
    assert_eq!((row["calls_made"].as_i64(), row["calls_made_seconds"].as_i64()), (Some(2), Some(150)));
    assert_eq!((row["calls_received"].as_i64(), row["calls_received_seconds"].as_i64()), (Some(1), Some(30)));
    assert_eq!((row["emails"].as_i64(), row["meetings"].as_i64()), (Some(1), Some(1)));
    assert_eq!((row["tasks_done"].as_i64(), row["tasks_overdue"].as_i64()), (Some(1), Some(1)));
    // Another manager does not see m1's activity.
    app.user("manager", "m3@example.com").await;
    let s3 = app.login("m3@example.com").await;
    let r = get_ok(&s3, &app, &format!("/reports/managers/activity?from={today}&to={today}")).await;
    assert!(r["users"].as_array().unwrap().is_empty());

    // Plan/fact for m1 in February: D0 (1000 EUR) and D5 (700 EUR) won.
    let plan = json!({"period_start": "2026-02-01", "period_end": "2026-02-28", "user_id": w.owners[0], "amount": "2000.00", "deal_count": 4, "margin": "1000.00", "currency": "EUR"});
    let created = post_created(admin, &app, "/sales-plans", plan).await;
    let r = send(&s1, &app, Method::POST, "/sales-plans", Some(json!({"amount": "1"}))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        admin,
        &app,
        Method::POST,
        "/sales-plans",
        Some(json!({"period_start": "2026-03-01", "period_end": "2026-02-01", "amount": "x"})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["amount", "period_end"]);
    let r = get_ok(admin, &app, "/reports/plan-fact?from=2026-02-01&to=2026-02-28&tz=UTC").await;
    let row = &r["plans"][0];
    assert_eq!(row["plan"]["id"], created["id"]);
    assert_eq!(row["fact_amount"]["total_minor"], 170000);
    assert_eq!(row["fact_count"], 2);
    assert_eq!(row["kpi_amount"], "85.00");
    assert_eq!(row["kpi_count"], "50.00");
    // Deals without lines: the margin is their amount.
    assert_eq!(row["kpi_margin"], "170.00");
    let r = send(admin, &app, Method::PUT, &format!("/sales-plans/{}", id(&created)), Some(json!({"period_start": "2026-02-01", "period_end": "2026-02-28", "user_id": w.owners[0], "amount": "1700.00"}))).await;
    let updated = ok(r, StatusCode::OK).await;
    assert_eq!(updated["version"], 2);
    let r = get_ok(admin, &app, "/reports/plan-fact?from=2026-02-01&to=2026-02-28&tz=UTC").await;
    assert_eq!(r["plans"][0]["kpi_amount"], "100.00");

    // ABC/XYZ of clients over January and February by month (UTC): Globex has D5 (700 EUR,
    // Feb) and no other won deal; Acme has D0 and D2 (1300 EUR, Feb).
    let r = get_ok(admin, &app, "/reports/abc-xyz?from=2026-01-01&to=2026-02-28&tz=UTC&granularity=month").await;
    let groups = r["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 9);
    let az = groups.iter().find(|g| g["group"] == "AZ").unwrap();
    // Acme: 1300 of 2000 → A (first); Globex: 65 % before it → A too (crosses 80 %).
    assert_eq!(az["count"], 2);
    assert_eq!(az["revenue_minor"], 200000);
    assert_eq!(az["items"][0]["name"], "Acme");
    let r = send(admin, &app, Method::GET, "/reports/abc-xyz?abc_a=90&abc_b=80", None).await;
    assert_eq!(fields(&problem(r, 422).await), ["abc_a"]);

    // Churn: Acme and Globex bought in February; in March neither did.
    let r = get_ok(admin, &app, "/reports/churn?from=2026-03-01&to=2026-03-31&tz=UTC").await;
    assert_eq!(
        (r["active_before"].as_i64(), r["churned"].as_i64(), r["retained"].as_i64()),
        (Some(2), Some(2), Some(0))
    );
    assert_eq!(r["churn_rate"], "100.00");
    let r = get_ok(admin, &app, "/reports/churn?from=2026-02-01&to=2026-02-28&tz=UTC").await;
    assert_eq!((r["active_before"].as_i64(), r["new_clients"].as_i64()), (Some(0), Some(2)));

    // Segment profitability by source for deals created in February (UTC).
    let r = get_ok(admin, &app, "/reports/segments?from=2026-02-01&to=2026-02-28&tz=UTC&slice=source").await;
    let web = r["segments"].as_array().unwrap().iter().find(|s| s["segment"] == "website").unwrap();
    assert_eq!((web["deals"].as_i64(), web["won"].as_i64()), (Some(2), Some(2)));
    assert_eq!(web["revenue"]["total_minor"], 130000);
    assert_eq!(web["conversion"], "100.00");

    // Products: D2 (Acme, won 12 February) gets two lines; the product costs 30 EUR a unit.
    let product =
        post_created(admin, &app, "/products", json!({"name": "Widget", "cost": "30.00", "cost_currency": "EUR"}))
            .await;
    let items = json!({"items": [
        {"name": "Widget", "product_id": id(&product), "quantity": "3", "unit_price": "80.00"},
        {"name": "Set-up", "quantity": "1", "unit_price": "60.00"},
    ]});
    ok(send(admin, &app, Method::PUT, &format!("/deals/{}/items", w.ids[2]), Some(items)).await, StatusCode::OK).await;
    let r = get_ok(admin, &app, "/reports/abc-xyz?from=2026-02-01&to=2026-02-28&tz=UTC&object=products").await;
    let ax = r["groups"].as_array().unwrap().iter().find(|g| g["group"] == "AX").unwrap();
    // One product in one bucket: all its revenue (3 × 80) and a steady series.
    assert_eq!((ax["count"].as_i64(), ax["revenue_minor"].as_i64()), (Some(1), Some(24000)));
    assert_eq!(ax["items"][0]["name"], "Widget");
    // The margin of m2's February: D2's lines (240 + 60) less 3 × 30 of cost.
    let plan = json!({"period_start": "2026-02-01", "period_end": "2026-02-28", "user_id": w.owners[1], "margin": "100.00", "currency": "EUR"});
    post_created(admin, &app, "/sales-plans", plan).await;
    let r = get_ok(
        admin,
        &app,
        &format!("/reports/plan-fact?from=2026-02-01&to=2026-02-28&tz=UTC&owner_id={}", w.owners[1]),
    )
    .await;
    assert_eq!(r["plans"].as_array().unwrap().len(), 1);
    assert_eq!(r["plans"][0]["fact_margin"]["total_minor"], 21000);
    assert_eq!(r["plans"][0]["kpi_margin"], "210.00");

    // Retention: 90 EUR spent in March on keeping clients, none kept.
    let cost = json!({"channel": "mailing", "kind": "retention", "period_start": "2026-03-01", "period_end": "2026-03-31", "amount": "90.00"});
    post_created(admin, &app, "/channel-costs", cost).await;
    let r = get_ok(admin, &app, "/reports/churn?from=2026-03-01&to=2026-03-31&tz=UTC").await;
    assert_eq!(r["retention_cost"]["total_minor"], 9000);
    assert_eq!(r["retention_cost_per_client"], Value::Null);
    let r = send(
        admin,
        &app,
        Method::POST,
        "/channel-costs",
        Some(json!({"kind": "gift", "period_start": "2026-03-01", "period_end": "2026-03-31"})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["amount", "channel", "kind"]);
}

both!(dashboards_built_in_and_own);
async fn dashboards_built_in_and_own(app: TestApp) {
    let w = build(&app).await;
    let admin = &w.admin;
    let list = get_ok(admin, &app, "/dashboards").await;
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["my-day", "head-of-sales"]);

    // The head of sales' dashboard over February in Sofia: the same figures as the reports.
    let q = "from=2026-02-01&to=2026-02-28&tz=Europe/Sofia";
    let d = get_ok(admin, &app, &format!("/dashboards/head-of-sales/data?{q}")).await;
    let widget =
        |source: &str| d["widgets"].as_array().unwrap().iter().find(|x| x["source"] == source).unwrap().clone();
    assert_eq!(widget("won_count")["value"], "3");
    assert_eq!(widget("revenue")["value"], "2000.00 EUR");
    let funnel = widget("funnel");
    assert_eq!(funnel["kind"], "funnel");
    assert_eq!(funnel["labels"], json!(["Qualification", "Needs analysis", "Proposal", "Negotiation", "Won"]));
    assert_eq!(funnel["values"], json!([5.0, 4.0, 2.0, 2.0, 2.0]));
    let days = widget("revenue_dynamics");
    assert_eq!(days["labels"].as_array().unwrap().len(), 28);
    let loss = widget("loss_reasons");
    assert_eq!((loss["labels"][0].as_str(), loss["values"][0].as_f64()), (Some("Price too high"), Some(2.0)));
    // The manager filter narrows every widget.
    let d = get_ok(admin, &app, &format!("/dashboards/head-of-sales/data?{q}&owner_id={}", w.owners[1])).await;
    let won = d["widgets"].as_array().unwrap().iter().find(|x| x["source"] == "won_count").unwrap().clone();
    assert_eq!(won["value"], "1");

    // My day: the manager's stuck deals (Qualification gets a two-day limit) and payments.
    let p = get_ok(admin, &app, "/pipelines").await;
    let (pid, qual) =
        (p["data"][0]["id"].as_str().unwrap().to_owned(), p["data"][0]["stages"][0]["id"].as_str().unwrap().to_owned());
    ok(
        send(
            admin,
            &app,
            Method::PATCH,
            &format!("/pipelines/{pid}/stages/{qual}"),
            Some(json!({"time_limit_days": 2})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let m1 = app.login("m1@example.com").await;
    let d = get_ok(&m1, &app, "/dashboards/my-day/data").await;
    let stuck = d["widgets"].as_array().unwrap().iter().find(|x| x["source"] == "stuck_deals").unwrap().clone();
    // Only m1's D3 sits in Qualification (D6 is m2's).
    assert_eq!(stuck["table"]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(stuck["table"]["rows"][0][0], "D3");

    // Own dashboards: checked widgets, private unless shared by a head or an administrator.
    let r = send(
        &m1,
        &app,
        Method::POST,
        "/dashboards",
        Some(json!({"name": "Mine", "shared": true, "widgets": [{"kind": "pie", "source": "revenue", "title": "x"}]})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["shared", "widgets[0].kind"]);
    let mine = post_created(
        &m1,
        &app,
        "/dashboards",
        json!({"name": "Mine", "widgets": [{"kind": "bar", "source": "revenue_by_source", "title": "Sources"}]}),
    )
    .await;
    let d = get_ok(&m1, &app, &format!("/dashboards/{}/data?{q}", id(&mine))).await;
    // m1's deals won in February: D0 (website) and D5 (website).
    assert_eq!(d["widgets"][0]["labels"], json!(["website"]));
    assert_eq!(d["widgets"][0]["values"], json!([1700.0]));
    app.user("manager", "m4@example.com").await;
    let m4 = app.login("m4@example.com").await;
    let r = send(&m4, &app, Method::GET, &format!("/dashboards/{}", id(&mine)), None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let shared = post_created(
        admin,
        &app,
        "/dashboards",
        json!({"name": "Team", "shared": true, "widgets": [{"kind": "number", "source": "won_count", "title": "Won"}]}),
    )
    .await;
    let d = get_ok(&m4, &app, &format!("/dashboards/{}/data?{q}", id(&shared))).await;
    // Shared, but each figure within the viewer's reach: m4 owns no deals.
    assert_eq!(d["widgets"][0]["value"], "0");
    let r = send(&m4, &app, Method::DELETE, &format!("/dashboards/{}", id(&shared)), None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(&m1, &app, Method::PUT, "/dashboards/my-day", Some(json!({"name": "x"}))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        &m1,
        &app,
        Method::PUT,
        &format!("/dashboards/{}", id(&mine)),
        Some(json!({"name": "Renamed", "widgets": []})),
    )
    .await;
    assert_eq!(ok(r, StatusCode::OK).await["version"], 2);
    let r = send(&m1, &app, Method::DELETE, &format!("/dashboards/{}", id(&mine)), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // The page: tabs, the period picker and every widget; charts carry their ECharts option.
    let (status, html) = page(admin, &app, &format!("/dashboards/head-of-sales?{q}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"widget-funnel\""));
    assert!(
        html.contains("&quot;type&quot;:&quot;funnel&quot;") || html.contains("&#34;type&#34;:&#34;funnel&#34;"),
        "funnel option"
    );
    assert!(html.contains("value=\"2026-02-01\""));
    let r = admin.client.get(format!("{}/dashboards", app.url)).send().await.unwrap();
    assert_eq!(location(&r), "/dashboards/head-of-sales");
}
