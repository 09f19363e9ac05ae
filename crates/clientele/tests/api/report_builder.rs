//! The report builder through the API: report types, grouped aggregates over lookups
//! (deal → company.industry, deal → owner.name, line item → product.category) and custom
//! fields checked against figures computed here from what was entered, a manager's scope,
//! field errors, saved reports (private, shared), exports (CSV, XLSX) and schedules.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, fields, get_ok as get, id, ok, post_created as post, problem, send};

async fn run(s: &Session, app: &TestApp, def: Value) -> Value {
    ok(send(s, app, Method::POST, "/report-builder/run", Some(def)).await, StatusCode::OK).await
}

async fn user_id(app: &TestApp, role: &str, email: &str) -> String {
    app.user(role, email).await.id.to_string()
}

/// A deal's amount and budget.
type AmountBudget = (f64, Option<f64>);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

both!(grouped_reports_match_the_records_in_each_viewers_scope);
async fn grouped_reports_match_the_records_in_each_viewers_scope(app: TestApp) {
    let admin = app.admin().await;
    let ann = user_id(&app, "manager", "ann@example.com").await;
    let bob = user_id(&app, "manager", "bob@example.com").await;
    post(
        &admin,
        &app,
        "/custom-fields",
        json!({"entity": "deal", "key": "budget", "label": "Budget", "field_type": "number"}),
    )
    .await;
    let retail = post(&admin, &app, "/companies", json!({"name": "Acme", "industry": "Retail"})).await;
    let energy = post(&admin, &app, "/companies", json!({"name": "Globex", "industry": "Energy"})).await;
    // (owner, company, amount, budget)
    let deals: Vec<(&str, &Value, f64, Option<f64>)> = vec![
        (&ann, &retail, 1000.0, Some(10.0)),
        (&ann, &retail, 2500.5, Some(3.0)),
        (&ann, &energy, 300.0, None),
        (&bob, &retail, 700.25, Some(8.0)),
        (&bob, &energy, 40.0, Some(1.0)),
        (&bob, &energy, 60.0, None),
    ];
    for (i, (owner, company, amount, budget)) in deals.iter().enumerate() {
        let mut body = json!({"title": format!("Deal {i}"), "amount": format!("{amount:.2}"), "currency": "EUR",
            "owner_id": owner, "company_id": company["id"]});
        if let Some(b) = budget {
            body["custom_fields"] = json!({"budget": b});
        }
        post(&admin, &app, "/deals", body).await;
    }

    let types = get(&admin, &app, "/report-builder/types").await;
    let deal_type = types["data"].as_array().unwrap().iter().find(|t| t["entity"] == "deal").unwrap();
    let paths: Vec<&str> =
        deal_type["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for p in ["amount", "company.industry", "owner.name", "custom_fields.budget", "stage.name"] {
        assert!(paths.contains(&p), "{p} offered");
    }

    let def = json!({"entity": "deal", "group_by": [{"field": "company.industry"}, {"field": "owner.name"}],
        "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}, {"fn": "avg", "field": "amount"},
                       {"fn": "min", "field": "amount"}, {"fn": "max", "field": "amount"},
                       {"fn": "median", "field": "amount"}, {"fn": "sum", "field": "custom_fields.budget"}],
        "chart": "bar"});
    let expected = |only: Option<&str>| {
        let mut m: BTreeMap<(String, String), Vec<AmountBudget>> = BTreeMap::new();
        for (owner, company, amount, budget) in &deals {
            if only.is_some_and(|o| o != *owner) {
                continue;
            }
            let name = if *owner == ann.as_str() { "manager ann@example.com" } else { "manager bob@example.com" };
            m.entry((company["industry"].as_str().unwrap().to_owned(), name.to_owned()))
                .or_default()
                .push((*amount, *budget));
        }
        m.into_iter()
            .map(|((ind, owner), v)| {
                let a: Vec<f64> = v.iter().map(|x| x.0).collect();
                let b: f64 = v.iter().filter_map(|x| x.1).sum();
                let bsum = if v.iter().any(|x| x.1.is_some()) { json!(b) } else { Value::Null };
                vec![
                    json!(ind),
                    json!(owner),
                    json!(a.len()),
                    json!(a.iter().sum::<f64>()),
                    json!(((a.iter().sum::<f64>() / a.len() as f64) * 1e6).round() / 1e6),
                    json!(a.iter().copied().fold(f64::INFINITY, f64::min)),
                    json!(a.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
                    json!(median(a.clone())),
                    bsum,
                ]
            })
            .collect::<Vec<_>>()
    };
    let r = run(&admin, &app, def.clone()).await;
    assert_eq!(r["rows"], json!(expected(None)), "the administrator sees everything");
    assert_eq!(r["columns"][7]["key"], "median(amount)");

    // A manager sees only their own deals, in the same report.
    let ann_s = app.login("ann@example.com").await;
    let r = run(&ann_s, &app, def.clone()).await;
    assert_eq!(r["rows"], json!(expected(Some(&ann))), "ann sees her deals only");

    // Line items grouped by their product's category.
    let hw = post(&admin, &app, "/product-categories", json!({"name": "Hardware"})).await;
    let sw = post(&admin, &app, "/product-categories", json!({"name": "Software"})).await;
    let laptop = post(&admin, &app, "/products", json!({"name": "Laptop", "category_id": hw["id"]})).await;
    let licence = post(&admin, &app, "/products", json!({"name": "Licence", "category_id": sw["id"]})).await;
    let d = post(&admin, &app, "/deals", json!({"title": "Office", "currency": "EUR", "owner_id": bob})).await;
    let items = json!({"items": [
        {"name": "Laptop", "product_id": laptop["id"], "quantity": "2", "unit_price": "1000.00"},
        {"name": "Laptop bag", "product_id": laptop["id"], "quantity": "1", "unit_price": "50.00"},
        {"name": "Licence", "product_id": licence["id"], "quantity": "5", "unit_price": "19.99"}
    ]});
    ok(send(&admin, &app, Method::PUT, &format!("/deals/{}/items", id(&d)), Some(items)).await, StatusCode::OK).await;
    let r = run(
        &admin,
        &app,
        json!({"entity": "line_item", "group_by": [{"field": "product.category"}],
        "aggregates": [{"fn": "sum", "field": "line_total"}, {"fn": "sum", "field": "quantity"}]}),
    )
    .await;
    assert_eq!(r["rows"], json!([["Hardware", 2050.0, 3.0], ["Software", 99.95, 5.0]]));
    let r = run(&ann_s, &app, json!({"entity": "line_item", "aggregates": [{"fn": "count"}]})).await;
    assert_eq!(r["rows"], json!([[0]]), "bob's deal's lines are out of ann's reach");

    // Records with lookups, filtered and sorted.
    let r = run(&admin, &app, json!({"entity": "deal", "columns": ["title", "company.name", "amount"],
        "filter": {"field": "company.industry", "op": "eq", "value": "Energy"}, "sort": [{"key": "amount", "desc": true}]}))
    .await;
    assert_eq!(r["rows"], json!([["Deal 2", "Globex", 300.0], ["Deal 5", "Globex", 60.0], ["Deal 4", "Globex", 40.0]]));
}

both!(bad_definitions_name_their_fields);
async fn bad_definitions_name_their_fields(app: TestApp) {
    let admin = app.admin().await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/report-builder/run",
        Some(json!({"entity": "deal",
        "group_by": [{"field": "company.salary"}, {"field": "title", "bucket": "week"}],
        "aggregates": [{"fn": "sum", "field": "title"}, {"fn": "median"}],
        "filter": {"field": "amount\"; DROP TABLE deals; --", "op": "eq", "value": 1}})),
    )
    .await;
    let p = problem(r, 422).await;
    let f = fields(&p);
    for want in ["group_by[0].field", "group_by[1].bucket", "aggregates[0].field", "aggregates[1].field"] {
        assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
    }
    assert!(f.iter().any(|x| x.starts_with("filter.")), "{f:?}");
    let r =
        send(&admin, &app, Method::POST, "/report-builder/run", Some(json!({"entity": "users", "columns": ["email"]})))
            .await;
    assert_eq!(fields(&problem(r, 422).await), ["entity"]);
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/report-builder/reports",
        Some(json!({"name": " ",
        "definition": {"entity": "deal"}, "schedule": {"every": "week", "recipients": ["not-an-address"]}})),
    )
    .await;
    let f = fields(&problem(r, 422).await);
    for want in ["name", "definition.columns", "schedule.recipients[0]"] {
        assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
    }
}

both!(saved_reports_are_private_or_shared_exported_and_scheduled);
async fn saved_reports_are_private_or_shared_exported_and_scheduled(app: TestApp) {
    let admin = app.admin().await;
    app.user("manager", "ann@example.com").await;
    let ann = app.login("ann@example.com").await;
    post(&admin, &app, "/deals", json!({"title": "=HYPERLINK(\"http://x\")", "amount": "10.00", "currency": "EUR"}))
        .await;
    post(&admin, &app, "/deals", json!({"title": "Plain", "amount": "5.50", "currency": "EUR"})).await;
    let def = json!({"entity": "deal", "columns": ["title", "amount", "currency"], "sort": [{"key": "amount"}]});
    let saved = post(&admin, &app, "/report-builder/reports", json!({"name": "All deals", "definition": def})).await;
    assert_eq!(saved["shared"], false);
    let path = format!("/report-builder/reports/{}", id(&saved));
    let r = send(&ann, &app, Method::GET, &path, None).await;
    problem(r, 404).await;
    let shared = ok(
        send(&admin, &app, Method::PUT, &path, Some(json!({"name": "All deals", "definition": def, "shared": true})))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(shared["version"], 2);
    assert_eq!(get(&ann, &app, "/report-builder/reports").await["data"].as_array().unwrap().len(), 1);
    // A shared report shows each viewer their own records: ann owns none.
    assert_eq!(get(&ann, &app, &format!("{path}/result")).await["rows"], json!([]));
    let r = send(&ann, &app, Method::DELETE, &path, None).await;
    problem(r, 403).await;
    assert_eq!(get(&admin, &app, &format!("{path}/result")).await["rows"].as_array().unwrap().len(), 2);

    // CSV: a header of labels, cells neutralised against formula injection.
    let r = send(&admin, &app, Method::GET, &format!("{path}/export?format=csv"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("All_deals.csv"));
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines, ["Title,Amount,Currency", "Plain,5.5,EUR", "\"'=HYPERLINK(\"\"http://x\"\")\",10,EUR"]);
    // XLSX reads back with the importer's reader.
    let r = send(&admin, &app, Method::POST, "/report-builder/export?format=xlsx", Some(def.clone())).await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let r = send(&admin, &app, Method::POST, "/report-builder/export?format=pdf", Some(def.clone())).await;
    assert_eq!(fields(&problem(r, 422).await), ["format"]);

    // A schedule is stored and its first e-mail queued as a job.
    let r = ok(
        send(
            &admin,
            &app,
            Method::PUT,
            &path,
            Some(json!({"name": "All deals", "definition": def, "shared": true,
            "schedule": {"every": "week", "recipients": ["Boss@Example.com"], "format": "xlsx"}})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(r["schedule"]["recipients"], json!(["boss@example.com"]));
    let next = r["schedule"]["next_run_at"].as_str().unwrap().to_owned();
    let jobs = get(&admin, &app, "/jobs?status=queued").await;
    let job = jobs.as_array().unwrap().iter().find(|j| j["kind"] == "report_builder.send").expect("queued send");
    assert_eq!(job["payload"]["id"], saved["id"]);
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(job["run_at"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&next).unwrap()
    );

    let doc = get(&admin, &app, "/openapi.json").await;
    for p in ["/api/v1/report-builder/run", "/api/v1/report-builder/reports/{id}/export"] {
        assert!(doc["paths"].get(p).is_some(), "{p} documented");
    }
    let r = send(&admin, &app, Method::DELETE, &path, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

/// A scheduled report's job, made due, runs the report as its author sees it and mails it
/// (with the file attached) through the shared e-mail channel to a real SMTP server; the next
/// send is queued.
async fn a_scheduled_report_is_mailed_and_the_next_send_queued(app: TestApp) {
    let Some(smtp) = crate::mail_servers::Smtp::start().await else { return };
    let admin = app.admin().await;
    post(
        &admin,
        &app,
        "/channels",
        json!({"kind": "email", "name": "Reports", "settings": {
        "from_address": "reports@acme.test", "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_tls": "none"}}),
    )
    .await;
    post(&admin, &app, "/deals", json!({"title": "Fleet", "amount": "1200.00", "currency": "EUR"})).await;
    let r = post(
        &admin,
        &app,
        "/report-builder/reports",
        json!({"name": "Weekly deals",
        "definition": {"entity": "deal", "columns": ["title", "amount"]},
        "schedule": {"every": "week", "recipients": ["boss@acme.test"], "format": "csv"}}),
    )
    .await;
    let at =
        chrono::DateTime::parse_from_rfc3339(r["schedule"]["next_run_at"].as_str().unwrap_or_else(|| panic!("{r}")))
            .unwrap();
    let key = format!("report_builder.send:{}:{}", id(&r), at.timestamp());
    assert!(app.services.store().nudge_job(&key, chrono::Utc::now()).await.unwrap().is_some(), "the send is queued");
    crate::helpers::drain(&app).await;
    let mail = smtp.wait_for(1).await;
    assert!(mail[0].contains("Subject: Report: Weekly deals"), "{}", mail[0]);
    assert!(mail[0].contains("boss@acme.test"));
    assert!(mail[0].contains("Weekly_deals.csv"), "the file is attached");
    let after = get(&admin, &app, &format!("/report-builder/reports/{}", id(&r))).await;
    let next = chrono::DateTime::parse_from_rfc3339(after["schedule"]["next_run_at"].as_str().unwrap()).unwrap();
    assert!(next > at, "the next send moves on: {next} after {at}");
    let jobs = get(&admin, &app, "/jobs?status=queued").await;
    assert!(jobs.as_array().unwrap().iter().any(|j| j["kind"] == "report_builder.send"
        && chrono::DateTime::parse_from_rfc3339(j["run_at"].as_str().unwrap()).unwrap() == next));
}
both!(a_scheduled_report_is_mailed_and_the_next_send_queued);

/// The builder page renders a grouped result with its server-drawn chart (names escaped),
/// exports it and saves it through the form.
async fn the_builder_page_runs_charts_exports_and_saves(app: TestApp) {
    let admin = app.admin().await;
    let co = post(&admin, &app, "/companies", json!({"name": "Acme", "industry": "<b>Retail</b>"})).await;
    post(&admin, &app, "/deals", json!({"title": "A", "amount": "10.00", "currency": "EUR", "company_id": co["id"]}))
        .await;
    post(&admin, &app, "/deals", json!({"title": "B", "amount": "5.00", "currency": "EUR"})).await;
    let q = "entity=deal&run=1&g1=company.industry&a_fn=count&a_field=&a_fn=sum&a_field=amount&chart=bar";
    let (status, html) = crate::helpers::page(&admin, &app, &format!("/report-builder?{q}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"rb-chart-svg\"><svg"), "a chart is drawn");
    assert!(html.contains("&lt;b&gt;Retail&lt;/b&gt;") && !html.contains("<b>Retail</b>"), "names are escaped");
    assert!(html.contains("href=\"/report-builder\""), "the builder is in the navigation");
    let r = admin.client.get(format!("{}/report-builder/export?format=csv&{q}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.contains("Company → Industry,Count,Sum of Amount"), "{text}");
    assert!(text.contains("<b>Retail</b>,1,10"), "{text}");
    let r = crate::helpers::form(
        &admin,
        &app,
        "/report-builder/save",
        &[("name", "By industry"), ("query", q), ("shared", "true")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = crate::helpers::location(&r);
    assert!(to.starts_with("/report-builder?report="), "{to}");
    let saved = get(&admin, &app, "/report-builder/reports").await;
    assert_eq!(saved["data"][0]["name"], "By industry");
    assert_eq!(saved["data"][0]["shared"], true);
    assert_eq!(saved["data"][0]["definition"]["group_by"][0]["field"], "company.industry");
    let (status, html) = crate::helpers::page(&admin, &app, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"rb-table\""), "a saved report opens with its result");
    // A bad definition shows its field error on the page.
    let (status, html) = crate::helpers::page(&admin, &app, "/report-builder?entity=deal&run=1&g1=title&b1=week").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("group_by[0].bucket"), "{html}");
}
both!(the_builder_page_runs_charts_exports_and_saves);
