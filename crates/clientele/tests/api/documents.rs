//! Quotes and invoices through the API: created from a deal, numbered, rendered to PDF and
//! read back with poppler's `pdftotext`; status operations and their refusals; payments that
//! mark an invoice paid; the deal's reach; the document settings.

use chrono::Datelike;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, fields, get_ok as get, id, ok, post_created as post, problem, send};

fn year() -> i32 {
    chrono::Utc::now().year()
}

/// The text of a PDF, read back with `pdftotext` (Debian package poppler-utils).
pub fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let path = std::env::temp_dir().join(format!("clientele-doc-{}.pdf", uuid::Uuid::now_v7()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}): install the Debian package poppler-utils"));
    std::fs::remove_file(&path).ok();
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A request with `If-Match` (and the session's CSRF token).
async fn send_if(
    s: &Session,
    app: &TestApp,
    method: Method,
    path: &str,
    version: i64,
    body: Option<Value>,
) -> Response {
    let mut r = s
        .client
        .request(method, app.api(path))
        .header("x-csrf-token", &s.csrf)
        .header("if-match", format!("\"{version}\""));
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

async fn pdf(s: &Session, app: &TestApp, path: &str) -> (String, String) {
    let r = send(s, app, Method::GET, path, None).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/pdf");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    let bytes = r.bytes().await.unwrap();
    (pdf_text(&bytes), disposition)
}

/// A deal with two lines: 2 × 1500.00 at 20 % tax, and 10 h × 80.00 with 10 % off.
async fn deal_with_lines(s: &Session, app: &TestApp, title: &str) -> String {
    let d = post(s, app, "/deals", json!({"title": title, "currency": "EUR"})).await;
    let deal = id(&d);
    let items = json!({"items": [
        {"name": "Server rack R-42", "quantity": "2", "unit": "pcs", "unit_price": "1500.00", "tax_pct": "20"},
        {"name": "Installation service", "quantity": "10", "unit": "h", "unit_price": "80", "discount_pct": "10"}
    ]});
    ok(send(s, app, Method::PUT, &format!("/deals/{deal}/items"), Some(items)).await, StatusCode::OK).await;
    deal
}

async fn seller(s: &Session, app: &TestApp) {
    let body = json!({"seller": {
        "name": "Northwind Trading SARL",
        "address_lines": ["12 rue de la Paix", "75002 Paris"],
        "tax_number": "FR40123456789",
        "bank_details": [{"label": "IBAN", "value": "FR76 3000 6000 0112 3456 7890 189"}],
        "email": "billing@northwind.example"
    }});
    ok(send(s, app, Method::PATCH, "/document-settings", Some(body)).await, StatusCode::OK).await;
}

both!(an_invoice_from_a_deal_is_numbered_rendered_and_downloaded);
async fn an_invoice_from_a_deal_is_numbered_rendered_and_downloaded(app: TestApp) {
    let admin = app.admin().await;
    seller(&admin, &app).await;
    let company = post(&admin, &app, "/companies", json!({"name": "Contoso Ltd", "tax_number": "GB123456789"})).await;
    let deal = deal_with_lines(&admin, &app, "Data centre fit-out").await;
    ok(
        send(&admin, &app, Method::PATCH, &format!("/deals/{deal}"), Some(json!({"company_id": id(&company)}))).await,
        StatusCode::OK,
    )
    .await;

    let inv = post(&admin, &app, "/invoices", json!({"deal_id": deal, "notes": "Thank you for your business"})).await;
    let y = year();
    assert_eq!(inv["number"], format!("INV-{y}-0001"));
    assert_eq!((inv["kind"].as_str(), inv["status"].as_str()), (Some("invoice"), Some("draft")));
    assert_eq!(inv["items"].as_array().unwrap().len(), 2);
    // Totals exactly as the deal computes them: 3000 + 600 tax, 800 − 80 discount.
    assert_eq!(
        [&inv["totals"]["net"], &inv["totals"]["tax"], &inv["totals"]["total"], &inv["outstanding"]],
        [&json!("3720.00"), &json!("600.00"), &json!("4320.00"), &json!("4320.00")]
    );
    assert_eq!(inv["buyer"]["name"], "Contoso Ltd");
    assert_eq!(inv["buyer"]["tax_number"], "GB123456789");
    assert_eq!(inv["seller"]["name"], "Northwind Trading SARL");
    assert!(inv["file_id"].is_string(), "the PDF is stored at creation: {inv}");
    let due = chrono::NaiveDate::parse_from_str(inv["due_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let issue = chrono::NaiveDate::parse_from_str(inv["issue_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!((due - issue).num_days(), 14, "default due in 14 days");

    let invoice = id(&inv);
    let (text, disposition) = pdf(&admin, &app, &format!("/invoices/{invoice}/pdf")).await;
    assert!(disposition.contains(&format!("INV-{y}-0001.pdf")), "{disposition}");
    for words in [
        "Server rack R-42",
        "Installation service",
        &format!("INV-{y}-0001"),
        "Northwind Trading SARL",
        "Contoso Ltd",
        "FR76 3000 6000 0112 3456 7890 189",
        "4,320.00",
        "Thank you for your business",
    ] {
        assert!(text.contains(words), "{words:?} in the PDF:\n{text}");
    }

    // The next ones follow without gaps; quotes count on their own.
    let second = post(&admin, &app, "/invoices", json!({"deal_id": deal})).await;
    assert_eq!(second["number"], format!("INV-{y}-0002"));
    let quote =
        post(&admin, &app, "/quotes", json!({"deal_id": deal, "valid_until": issue.to_string(), "language": "fr"}))
            .await;
    assert_eq!(quote["number"], format!("Q-{y}-0001"));
    assert_eq!(
        (quote["kind"].as_str(), quote["language"].as_str(), quote["expired"].as_bool()),
        (Some("quote"), Some("fr"), Some(false))
    );
    let (text, _) = pdf(&admin, &app, &format!("/quotes/{}/pdf", id(&quote))).await;
    assert!(text.contains("Server rack R-42") && text.contains("Installation service"), "{text}");
    assert!(text.contains("4\u{202f}320,00") || text.contains("4 320,00"), "French amounts: {text}");

    // Lists: newest first, filters, cursor pages; the audit log has the creations.
    let all = get(&admin, &app, "/invoices").await;
    let numbers: Vec<&str> = all["data"].as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, [format!("INV-{y}-0002"), format!("INV-{y}-0001")]);
    let page = get(&admin, &app, &format!("/invoices?deal_id={deal}&status=draft&limit=1&sort=number")).await;
    assert_eq!(page["data"][0]["number"], format!("INV-{y}-0001"));
    let cursor = page["next_cursor"].as_str().unwrap();
    let page =
        get(&admin, &app, &format!("/invoices?deal_id={deal}&status=draft&limit=1&sort=number&cursor={cursor}")).await;
    assert_eq!(page["data"][0]["number"], format!("INV-{y}-0002"));
    assert!(page["next_cursor"].is_null());
    assert_eq!(get(&admin, &app, "/invoices?status=paid").await["data"].as_array().unwrap().len(), 0);
    let r = send(&admin, &app, Method::GET, "/invoices?status=accepted", None).await;
    assert_eq!(fields(&problem(r, 422).await), ["status"]);
    let audit = get(&admin, &app, &format!("/audit?entity_id={invoice}")).await;
    assert_eq!(audit["data"][0]["action"], "create");
    assert_eq!(audit["data"][0]["changes"]["number"]["new"], format!("INV-{y}-0001"));

    // The OpenAPI document lists the paths.
    let doc = get(&admin, &app, "/openapi.json").await;
    for path in
        ["/api/v1/invoices", "/api/v1/quotes/{id}/invoice", "/api/v1/invoices/{id}/pdf", "/api/v1/document-settings"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
}

both!(drafts_change_sent_documents_do_not);
async fn drafts_change_sent_documents_do_not(app: TestApp) {
    let admin = app.admin().await;
    let deal = deal_with_lines(&admin, &app, "Fit-out").await;
    let inv = post(&admin, &app, "/invoices", json!({"deal_id": deal})).await;
    let invoice = id(&inv);
    let path = format!("/invoices/{invoice}");

    // A draft changes with If-Match; its PDF follows. A stale version is refused.
    let r =
        send_if(&admin, &app, Method::PATCH, &path, 1, Some(json!({"notes": "Delivery in March", "language": "ru"})))
            .await;
    let d = ok(r, StatusCode::OK).await;
    assert_eq!((d["version"].as_i64(), d["language"].as_str()), (Some(2), Some("ru")));
    let (text, _) = pdf(&admin, &app, &format!("{path}/pdf")).await;
    assert!(text.contains("Delivery in March") && text.contains("Счёт"), "{text}");
    problem(send_if(&admin, &app, Method::PATCH, &path, 1, Some(json!({"notes": "x"}))).await, 412).await;
    // Every bad field named at once; snapshot fields say how to change them.
    let bad = json!({"number": "X-1", "items": [], "language": "de", "due_date": "soon", "colour": "red"});
    let mut f = fields(&problem(send(&admin, &app, Method::PATCH, &path, Some(bad)).await, 422).await);
    f.sort();
    assert_eq!(f, ["colour", "due_date", "items", "language", "number"]);
    // The deal's lines change; the draft keeps its snapshot until refreshed.
    let items = json!({"items": [{"name": "Cable tray", "quantity": "1", "unit_price": "99.90"}]});
    ok(send(&admin, &app, Method::PUT, &format!("/deals/{deal}/items"), Some(items)).await, StatusCode::OK).await;
    assert_eq!(get(&admin, &app, &path).await["items"].as_array().unwrap().len(), 2);
    let d = ok(send(&admin, &app, Method::PATCH, &path, Some(json!({"refresh": true}))).await, StatusCode::OK).await;
    assert_eq!((d["items"][0]["name"].as_str(), d["totals"]["total"].as_str()), (Some("Cable tray"), Some("99.90")));

    // Sent: final. Changing it, sending it again or accepting it are conflicts on `status`.
    let sent = ok(send(&admin, &app, Method::POST, &format!("{path}/send"), None).await, StatusCode::OK).await;
    assert_eq!(sent["status"], "sent");
    assert!(sent["sent_at"].is_string());
    let (text, _) = pdf(&admin, &app, &format!("{path}/pdf")).await;
    assert!(text.contains("Cable tray"));
    for (method, p, body) in [
        (Method::PATCH, path.clone(), Some(json!({"notes": "late change"}))),
        (Method::POST, format!("{path}/send"), None),
    ] {
        let body = problem(send(&admin, &app, method, &p, body).await, 409).await;
        assert_eq!(fields(&body), ["status"], "{p}: {body}");
    }
    // The deal's items change; the sent invoice does not.
    let items = json!({"items": [{"name": "Something else", "quantity": "1", "unit_price": "1"}]});
    ok(send(&admin, &app, Method::PUT, &format!("/deals/{deal}/items"), Some(items)).await, StatusCode::OK).await;
    let (text, _) = pdf(&admin, &app, &format!("{path}/pdf")).await;
    assert!(text.contains("Cable tray") && !text.contains("Something else"));
    assert!(send(&admin, &app, Method::POST, &format!("/quotes/{invoice}/accept"), None).await.status() == 404);

    // Cancelled keeps its number; nothing more happens to it.
    let c = ok(send(&admin, &app, Method::POST, &format!("{path}/cancel"), None).await, StatusCode::OK).await;
    assert_eq!((c["status"].as_str(), c["number"].as_str()), (Some("cancelled"), inv["number"].as_str()));
    problem(send(&admin, &app, Method::POST, &format!("{path}/cancel"), None).await, 409).await;
    let body =
        problem(send(&admin, &app, Method::POST, &format!("{path}/payments"), Some(json!({"amount": "1"}))).await, 409)
            .await;
    assert_eq!(fields(&body), ["invoice_id"]);

    // Quotes: sent before answered; turned into an invoice once.
    let q = post(&admin, &app, "/quotes", json!({"deal_id": deal})).await;
    let qp = format!("/quotes/{}", id(&q));
    let body = problem(send(&admin, &app, Method::POST, &format!("{qp}/accept"), None).await, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("send the quote"), "{body}");
    problem(send(&admin, &app, Method::POST, &format!("{qp}/invoice"), None).await, 409).await;
    ok(send(&admin, &app, Method::POST, &format!("{qp}/send"), None).await, StatusCode::OK).await;
    let a = ok(send(&admin, &app, Method::POST, &format!("{qp}/accept"), None).await, StatusCode::OK).await;
    assert!(a["closed_at"].is_string());
    problem(send(&admin, &app, Method::POST, &format!("{qp}/decline"), None).await, 409).await;
    let from_quote =
        ok(send(&admin, &app, Method::POST, &format!("{qp}/invoice"), None).await, StatusCode::CREATED).await;
    assert_eq!(from_quote["quote_id"], q["id"]);
    assert_eq!(from_quote["items"], q["items"]);
    assert_eq!(from_quote["number"], format!("INV-{}-0002", year()));
    let again = problem(send(&admin, &app, Method::POST, &format!("{qp}/invoice"), None).await, 409).await;
    assert_eq!(again["existing_id"], from_quote["id"]);

    // A deal without lines has nothing to put on a document.
    let empty = post(&admin, &app, "/deals", json!({"title": "Empty"})).await;
    let body = problem(
        send(
            &admin,
            &app,
            Method::POST,
            "/invoices",
            Some(json!({"deal_id": id(&empty), "language": "xx", "due_date": "2000-01-01"})),
        )
        .await,
        422,
    )
    .await;
    let mut f = fields(&body);
    f.sort();
    assert_eq!(f, ["deal_id", "due_date", "language"]);
    problem(send(&admin, &app, Method::POST, "/invoices", Some(json!({"deal_id": uuid::Uuid::now_v7()}))).await, 404)
        .await;
    // Nothing failed consumed a number.
    let next = post(&admin, &app, "/invoices", json!({"deal_id": deal})).await;
    assert_eq!(next["number"], format!("INV-{}-0003", year()));
}

both!(payments_mark_an_invoice_paid);
async fn payments_mark_an_invoice_paid(app: TestApp) {
    let admin = app.admin().await;
    let deal = deal_with_lines(&admin, &app, "Fit-out").await;
    let inv = post(&admin, &app, "/invoices", json!({"deal_id": deal})).await;
    let invoice = id(&inv);
    let path = format!("/invoices/{invoice}");
    // A draft is sent before it is paid.
    let body = problem(
        send(&admin, &app, Method::POST, &format!("{path}/payments"), Some(json!({"amount": "10"}))).await,
        409,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("send it first"), "{body}");
    let r = send(
        &admin,
        &app,
        Method::POST,
        &format!("/deals/{deal}/payments"),
        Some(json!({"kind": "actual", "amount": "10", "invoice_id": invoice})),
    )
    .await;
    problem(r, 409).await;
    ok(send(&admin, &app, Method::POST, &format!("{path}/send"), None).await, StatusCode::OK).await;

    // Part of it against the invoice; the rest as a payment of the deal, which goes to its
    // oldest sent invoice. Together they reach the total: paid.
    let part = ok(
        send(
            &admin,
            &app,
            Method::POST,
            &format!("{path}/payments"),
            Some(json!({"amount": "1000.00", "date": "2026-03-20"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(part["payment"]["invoice_id"], invoice);
    assert_eq!(
        (part["invoice"]["status"].as_str(), part["invoice"]["paid"].as_str(), part["invoice"]["outstanding"].as_str()),
        (Some("sent"), Some("1000.00"), Some("3320.00"))
    );
    let rest =
        post(&admin, &app, &format!("/deals/{deal}/payments"), json!({"kind": "actual", "amount": "3320"})).await;
    assert_eq!(rest["invoice_id"], invoice);
    let paid = get(&admin, &app, &path).await;
    assert_eq!(
        (paid["status"].as_str(), paid["paid"].as_str(), paid["outstanding"].as_str()),
        (Some("paid"), Some("4320.00"), Some("0.00"))
    );
    assert!(paid["closed_at"].is_string(), "paid_at: {paid}");
    let actions: Vec<String> = get(&admin, &app, &format!("/audit?entity_id={invoice}")).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["paid", "payment_recorded", "sent", "create"]);
    // Paid is final: no cancel, no more payments against it.
    problem(send(&admin, &app, Method::POST, &format!("{path}/cancel"), None).await, 409).await;
    problem(send(&admin, &app, Method::POST, &format!("{path}/payments"), None).await, 409).await;
    // A planned payment settles nothing; removing an actual one reopens the invoice.
    post(&admin, &app, &format!("/deals/{deal}/payments"), json!({"kind": "planned", "amount": "5"})).await;
    let r = send(&admin, &app, Method::DELETE, &format!("/deals/{deal}/payments/{}", id(&rest)), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let reopened = get(&admin, &app, &path).await;
    assert_eq!((reopened["status"].as_str(), reopened["outstanding"].as_str()), (Some("sent"), Some("3320.00")));
    assert!(reopened["closed_at"].is_null());
    // An invoice of another deal is not this deal's to pay.
    let other = deal_with_lines(&admin, &app, "Other").await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        &format!("/deals/{other}/payments"),
        Some(json!({"kind": "actual", "amount": "1", "invoice_id": invoice})),
    )
    .await;
    assert_eq!(fields(&problem(r, 422).await), ["invoice_id"]);
}

both!(documents_follow_the_reach_of_their_deal);
async fn documents_follow_the_reach_of_their_deal(app: TestApp) {
    let admin = app.admin().await;
    app.user("manager", "ann@example.com").await;
    app.user("manager", "bob@example.com").await;
    app.user("readonly", "rita@example.com").await;
    let ann = app.login("ann@example.com").await;
    let bob = app.login("bob@example.com").await;
    let rita = app.login("rita@example.com").await;
    let deal = deal_with_lines(&ann, &app, "Ann's deal").await;
    let inv = post(&ann, &app, "/invoices", json!({"deal_id": deal})).await;
    let invoice = id(&inv);

    // Bob, a manager outside the deal's reach, sees nothing of it.
    for p in [format!("/invoices/{invoice}"), format!("/invoices/{invoice}/pdf")] {
        problem(send(&bob, &app, Method::GET, &p, None).await, 404).await;
    }
    assert_eq!(get(&bob, &app, "/invoices").await["data"].as_array().unwrap().len(), 0);
    problem(send(&bob, &app, Method::POST, &format!("/invoices/{invoice}/send"), None).await, 404).await;
    problem(send(&bob, &app, Method::POST, "/invoices", Some(json!({"deal_id": deal}))).await, 404).await;
    problem(send(&bob, &app, Method::POST, "/quotes", Some(json!({"deal_id": deal}))).await, 404).await;

    // Read-only users read everything and change nothing.
    assert_eq!(get(&rita, &app, &format!("/invoices/{invoice}")).await["number"], inv["number"]);
    assert_eq!(get(&rita, &app, "/invoices").await["data"].as_array().unwrap().len(), 1);
    let (text, _) = pdf(&rita, &app, &format!("/invoices/{invoice}/pdf")).await;
    assert!(text.contains("Server rack R-42"));
    problem(send(&rita, &app, Method::POST, "/invoices", Some(json!({"deal_id": deal}))).await, 403).await;
    problem(send(&rita, &app, Method::POST, &format!("/invoices/{invoice}/send"), None).await, 403).await;
    problem(send(&rita, &app, Method::PATCH, &format!("/invoices/{invoice}"), Some(json!({"notes": "x"}))).await, 403)
        .await;

    // Only administrators see and change the document settings.
    for s in [&ann, &rita] {
        problem(send(s, &app, Method::GET, "/document-settings", None).await, 403).await;
        problem(
            send(s, &app, Method::PATCH, "/document-settings", Some(json!({"invoice_pattern": "X{SEQ}"}))).await,
            403,
        )
        .await;
    }
    // The owner works the document; the administrator too.
    ok(send(&ann, &app, Method::POST, &format!("/invoices/{invoice}/send"), None).await, StatusCode::OK).await;
    ok(send(&admin, &app, Method::POST, &format!("/invoices/{invoice}/cancel"), None).await, StatusCode::OK).await;
}

both!(document_settings_check_patterns_templates_and_logos);
async fn document_settings_check_patterns_templates_and_logos(app: TestApp) {
    let admin = app.admin().await;
    let s = get(&admin, &app, "/document-settings").await;
    assert_eq!(
        (s["invoice_pattern"].as_str(), s["quote_pattern"].as_str()),
        (Some("INV-{YYYY}-{SEQ:4}"), Some("Q-{YYYY}-{SEQ:4}"))
    );
    assert!(s["default_invoice_template"].as_str().unwrap().contains("accent"));
    assert!(s["invoice_template"].is_null());

    // Every bad field at once; the template's error names the line, the column and the key.
    let bad = json!({
        "invoice_pattern": "INV-{YYYY}",
        "quote_pattern": "Q-{DATE}-{SEQ}",
        "invoice_template": "accent = \"#1f4e79\"\nfont_size = \"big\"\n",
        "quote_template": "acent = \"#000000\"",
        "invoice_due_days": 9999,
        "language": "de",
        "seller": {"name": "", "email": "nope", "bank_details": [{"label": "IBAN", "value": ""}]}
    });
    let body = problem(send(&admin, &app, Method::PATCH, "/document-settings", Some(bad)).await, 422).await;
    let mut f = fields(&body);
    f.sort();
    assert_eq!(
        f,
        [
            "invoice_due_days",
            "invoice_pattern",
            "invoice_template",
            "language",
            "quote_pattern",
            "quote_template",
            "seller.bank_details[0]",
            "seller.email"
        ]
    );
    let msg = |field: &str| {
        body["errors"].as_array().unwrap().iter().find(|e| e["field"] == field).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let m = msg("invoice_template");
    assert!(m.contains("line 2") && m.contains("font_size"), "{m}");
    assert!(msg("quote_template").contains("acent"), "{}", msg("quote_template"));
    assert_eq!(get(&admin, &app, "/document-settings").await["invoice_pattern"], "INV-{YYYY}-{SEQ:4}", "nothing saved");

    // A good pattern and template are used from the next document on.
    let template = "accent = \"#0b6e4f\"\n[labels]\ninvoice = \"Tax invoice\"\n";
    let r = send(
        &admin,
        &app,
        Method::PATCH,
        "/document-settings",
        Some(json!({"invoice_pattern": "F-{YY}{MM}-{SEQ:3}", "invoice_template": template, "invoice_due_days": 30})),
    )
    .await;
    let s = ok(r, StatusCode::OK).await;
    assert_eq!(s["invoice_template"], template);
    let deal = deal_with_lines(&admin, &app, "Fit-out").await;
    let inv = post(&admin, &app, "/invoices", json!({"deal_id": deal})).await;
    let now = chrono::Utc::now();
    assert_eq!(inv["number"], format!("F-{:02}{:02}-001", now.year() % 100, now.month()));
    let (text, _) = pdf(&admin, &app, &format!("/invoices/{}/pdf", id(&inv))).await;
    assert!(text.to_uppercase().contains("TAX INVOICE"), "{text}");
    // Back to the built-in template with an empty text.
    let s = ok(
        send(&admin, &app, Method::PATCH, "/document-settings", Some(json!({"invoice_template": ""}))).await,
        StatusCode::OK,
    )
    .await;
    assert!(s["invoice_template"].is_null());

    // Logos: a PNG or JPEG that decodes.
    let put = |bytes: Vec<u8>| {
        admin
            .client
            .put(app.api("/document-settings/logo"))
            .header("x-csrf-token", &admin.csrf)
            .header("content-type", "image/png")
            .body(bytes)
            .send()
    };
    let body = problem(put(b"GIF89a not a logo".to_vec()).await.unwrap(), 422).await;
    assert_eq!(fields(&body), ["logo"]);
    let logo = include_bytes!("../../../clientele-docs/assets/sample-logo.png").to_vec();
    let s: Value = ok(put(logo.clone()).await.unwrap(), StatusCode::OK).await;
    assert!(s["logo_file_id"].is_string());
    let r = send(&admin, &app, Method::GET, "/document-settings/logo", None).await;
    assert_eq!(r.bytes().await.unwrap().to_vec(), logo);
    let with_logo = post(&admin, &app, "/invoices", json!({"deal_id": deal})).await;
    assert_eq!(with_logo["logo_file_id"], s["logo_file_id"]);
    pdf(&admin, &app, &format!("/invoices/{}/pdf", id(&with_logo))).await;
    let s = ok(send(&admin, &app, Method::DELETE, "/document-settings/logo", None).await, StatusCode::OK).await;
    assert!(s["logo_file_id"].is_null());
    let audit = get(&admin, &app, "/audit?entity_type=setting").await;
    assert!(!audit["data"].as_array().unwrap().is_empty());
}
