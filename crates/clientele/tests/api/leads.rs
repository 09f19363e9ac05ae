//! Leads through the API: CRUD and validation, lists with filters, permissions, and
//! conversion that reuses the contact and company that already exist.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, fields, get_ok as get, id, ok, post_created as post, problem, send};

async fn convert(s: &Session, app: &TestApp, lead: &str, body: Value) -> reqwest::Response {
    send(s, app, Method::POST, &format!("/leads/{lead}/convert"), Some(body)).await
}

fn names(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap_or("").to_owned()).collect()
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

both!(leads_are_created_changed_listed_and_deleted);
async fn leads_are_created_changed_listed_and_deleted(app: TestApp) {
    let admin = app.admin().await;
    // Every bad field is named at once; nothing is written.
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/leads",
        Some(json!({"phones": ["12"], "emails": ["nope"], "temperature": "boiling", "status": "disqualified",
                    "tags": ["x".repeat(60)]})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["disqualify_reason", "emails[0].address", "name", "phones[0].number", "tags[0]", "temperature"]);
    let r = send(&admin, &app, Method::POST, "/leads", Some(json!({"source": "website"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["name"]);
    let r = send(&admin, &app, Method::POST, "/leads", Some(json!({"name": "x", "salary": 1}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["salary"]);
    let r = send(&admin, &app, Method::POST, "/leads", Some(json!({"name": "x", "status": "converted"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["status"]);
    assert_eq!(get(&admin, &app, "/leads").await["data"].as_array().unwrap().len(), 0);

    let lead = post(
        &admin,
        &app,
        "/leads",
        json!({"name": "Ivan Petrov", "company_name": "Romashka", "phones": ["8 (495) 123-45-67"],
               "emails": ["Ivan@Romashka.RU"], "source": "website", "utm_source": "google", "utm_medium": "cpc",
               "utm_campaign": "spring", "utm_term": "crm", "utm_content": "ad1",
               "referrer": "https://www.google.com/", "landing_page": "https://example.com/pricing",
               "temperature": "hot", "tags": ["inbound"], "notes": "Wants a demo"}),
    )
    .await;
    assert_eq!(lead["phones"][0]["e164"], "+74951234567");
    assert_eq!(lead["phones"][0]["number"], "8 (495) 123-45-67");
    assert_eq!(lead["emails"][0]["address"], "ivan@romashka.ru");
    assert_eq!((lead["status"].as_str(), lead["temperature"].as_str()), (Some("new"), Some("hot")));
    assert_eq!(lead["utm_campaign"], "spring");
    assert_eq!(lead["version"], 1);
    let lid = id(&lead);
    post(&admin, &app, "/leads", json!({"company_name": "Vasilek", "temperature": "cold", "source": "referral"})).await;

    // Change with If-Match; disqualifying needs a reason; a stale version is refused.
    let r = send(&admin, &app, Method::PATCH, &format!("/leads/{lid}"), Some(json!({"status": "disqualified"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["disqualify_reason"]);
    let r = admin
        .client
        .patch(app.api(&format!("/leads/{lid}")))
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"status": "in_progress", "temperature": "warm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("etag").unwrap(), "\"2\"");
    let changed = ok(r, StatusCode::OK).await;
    assert_eq!(changed["status"], "in_progress");
    assert_eq!(changed["utm_campaign"], "spring", "other fields kept");
    let r = admin
        .client
        .patch(app.api(&format!("/leads/{lid}")))
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"notes": "late"}))
        .send()
        .await
        .unwrap();
    problem(r, 412).await;

    // Filters like contacts: status, temperature, source, UTM, phone typed any way, tags; and q.
    let list = |f: Value| format!("/leads?filter={}", enc(&f.to_string()));
    let got = get(&admin, &app, &list(json!({"field": "status", "op": "eq", "value": "in_progress"}))).await;
    assert_eq!(names(&got), ["Ivan Petrov"]);
    let got = get(&admin, &app, &list(json!({"field": "temperature", "op": "in", "value": ["cold", "hot"]}))).await;
    assert_eq!(got["data"].as_array().unwrap().len(), 1);
    let got = get(&admin, &app, &list(json!({"field": "phone", "op": "eq", "value": "+7 495 123 45 67"}))).await;
    assert_eq!(names(&got), ["Ivan Petrov"]);
    let got = get(&admin, &app, &list(json!({"field": "utm_source", "op": "eq", "value": "google"}))).await;
    assert_eq!(names(&got), ["Ivan Petrov"]);
    let got = get(&admin, &app, &list(json!({"field": "email", "op": "eq", "value": "ivan@romashka.ru"}))).await;
    assert_eq!(names(&got), ["Ivan Petrov"]);
    let got = get(&admin, &app, &list(json!({"field": "tags", "op": "has", "value": "INBOUND"}))).await;
    assert_eq!(names(&got), ["Ivan Petrov"]);
    let got = get(&admin, &app, "/leads?q=vasil").await;
    assert_eq!(got["data"][0]["company_name"], "Vasilek");
    let r = send(&admin, &app, Method::GET, &list(json!({"field": "salary", "op": "eq", "value": 1})), None).await;
    assert_eq!(fields(&problem(r, 422).await), ["filter.salary"]);
    // Keyset pages by name.
    let first = get(&admin, &app, "/leads?sort=name&limit=1").await;
    assert_eq!(names(&first), ["Ivan Petrov"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get(&admin, &app, &format!("/leads?sort=name&limit=1&cursor={cursor}")).await;
    assert_eq!(second["data"][0]["company_name"], "Vasilek");
    assert!(second["next_cursor"].is_null());

    // Custom fields for leads.
    post(
        &admin,
        &app,
        "/custom-fields",
        json!({"entity": "lead", "key": "budget", "label": "Budget", "field_type": "number"}),
    )
    .await;
    let r =
        send(&admin, &app, Method::PATCH, &format!("/leads/{lid}"), Some(json!({"custom_fields": {"budget": "lots"}})))
            .await;
    assert_eq!(fields(&problem(r, 422).await), ["custom_fields.budget"]);
    let l = ok(
        send(&admin, &app, Method::PATCH, &format!("/leads/{lid}"), Some(json!({"custom_fields": {"budget": 5000}})))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(l["custom_fields"]["budget"], 5000);

    // Delete: gone from lists and reads; the audit trail stays.
    let r = send(&admin, &app, Method::DELETE, &format!("/leads/{lid}"), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&admin, &app, "/leads").await["data"].as_array().unwrap().len(), 1);
    let audit = get(&admin, &app, &format!("/audit?entity_id={lid}")).await;
    let actions: Vec<&str> = audit["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for a in ["create", "update", "delete"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

both!(conversion_reuses_a_contact_found_by_a_phone_typed_differently);
async fn conversion_reuses_a_contact_found_by_a_phone_typed_differently(app: TestApp) {
    let admin = app.admin().await;
    let existing = post(
        &admin,
        &app,
        "/contacts",
        json!({"first_name": "Ivan", "last_name": "Petrov", "phones": ["+74951234567"]}),
    )
    .await;
    let lead = post(
        &admin,
        &app,
        "/leads",
        json!({"name": "Ivan P.", "company_name": "Romashka LLC", "phones": ["8 (495) 123-45-67"], "source": "website",
               "tags": ["inbound"]}),
    )
    .await;
    let lid = id(&lead);

    // The preview says what would happen; nothing is written.
    let pv = get(&admin, &app, &format!("/leads/{lid}/conversion")).await;
    assert_eq!(pv["contact"]["id"], existing["id"]);
    assert_eq!(pv["contact"]["matched_by"], "phone");
    assert!(pv["company"].is_null());
    assert_eq!((pv["creates_contact"].as_bool(), pv["creates_company"].as_bool()), (Some(false), Some(true)));

    // Bad input: 422 naming the field, and nothing half-written.
    let r = convert(&admin, &app, &lid, json!({"amount": "10.5", "currency": "JPY"})).await;
    assert_eq!(fields(&problem(r, 422).await), ["amount"]);
    let r = convert(&admin, &app, &lid, json!({"deal_title": " ", "stage_id": uuid::Uuid::now_v7()})).await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert!(f.contains(&"stage_id".to_owned()), "{f:?}");
    let r = convert(&admin, &app, &lid, json!({"colour": "red"})).await;
    assert_eq!(fields(&problem(r, 422).await), ["colour"]);
    assert_eq!(get(&admin, &app, "/companies").await["data"].as_array().unwrap().len(), 0);
    assert_eq!(get(&admin, &app, "/deals").await["data"].as_array().unwrap().len(), 0);
    assert_eq!(get(&admin, &app, &format!("/leads/{lid}")).await["status"], "new");

    let res =
        ok(convert(&admin, &app, &lid, json!({"amount": "1500.00", "currency": "EUR"})).await, StatusCode::OK).await;
    assert_eq!(res["contact"]["id"], existing["id"]);
    assert_eq!(res["contact"]["reused"], true);
    assert_eq!(res["contact"]["matched_by"], "phone");
    assert_eq!(res["company"]["reused"], false);
    assert_eq!(res["company"]["name"], "Romashka LLC");
    let deal = &res["deal"];
    assert_eq!(deal["lead_id"], lid.as_str());
    assert_eq!(deal["contact_id"], existing["id"]);
    assert_eq!(deal["company_id"], res["company"]["id"]);
    assert_eq!(deal["title"], "Romashka LLC");
    assert_eq!((deal["amount"].as_str(), deal["currency"].as_str()), (Some("1500.00"), Some("EUR")));
    assert_eq!(deal["source"], "website");
    // The lead is converted, points at all three, and stays readable with its history.
    let l = get(&admin, &app, &format!("/leads/{lid}")).await;
    assert_eq!(l["status"], "converted");
    assert_eq!(l["converted_contact_id"], existing["id"]);
    assert_eq!(l["converted_company_id"], res["company"]["id"]);
    assert_eq!(l["converted_deal_id"], deal["id"]);
    assert!(l["converted_at"].is_string());
    // No duplicate contact; the new company exists once.
    assert_eq!(get(&admin, &app, "/contacts").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(get(&admin, &app, "/companies").await["data"].as_array().unwrap().len(), 1);
    let by_lead = format!("/deals?filter={}", enc(&json!({"field": "lead_id", "op": "eq", "value": lid}).to_string()));
    assert_eq!(get(&admin, &app, &by_lead).await["data"].as_array().unwrap().len(), 1);
    let audit = get(&admin, &app, &format!("/audit?entity_id={lid}")).await;
    let conv: Vec<&Value> = audit["data"].as_array().unwrap().iter().filter(|a| a["action"] == "converted").collect();
    assert_eq!(conv.len(), 1);
    assert_eq!(conv[0]["changes"]["conversion"]["new"]["contact"]["reused"], true);

    // Converting twice is refused, and so is turning the status back by hand.
    let p = problem(convert(&admin, &app, &lid, json!({})).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("already converted"), "{p}");
    let r = send(&admin, &app, Method::PATCH, &format!("/leads/{lid}"), Some(json!({"status": "new"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["status"]);
    assert_eq!(get(&admin, &app, "/deals").await["data"].as_array().unwrap().len(), 1);
}

both!(conversion_matches_by_email_name_and_domain);
async fn conversion_matches_by_email_name_and_domain(app: TestApp) {
    let admin = app.admin().await;
    let ann = post(&admin, &app, "/contacts", json!({"first_name": "Ann", "emails": ["ann@acme.example"]})).await;
    let acme = post(&admin, &app, "/companies", json!({"name": "ACME Ltd"})).await;
    let globex = post(&admin, &app, "/companies", json!({"name": "Globex", "emails": ["info@globex.example"]})).await;

    // E-mail typed differently finds Ann; the company is found by its name (any case).
    let lead = post(
        &admin,
        &app,
        "/leads",
        json!({"name": "Ann", "company_name": "acme ltd", "emails": ["ANN@Acme.Example"]}),
    )
    .await;
    let res = ok(convert(&admin, &app, &id(&lead), json!({"create_deal": false})).await, StatusCode::OK).await;
    assert_eq!(
        (res["contact"]["id"].as_str(), res["contact"]["matched_by"].as_str()),
        (ann["id"].as_str(), Some("email"))
    );
    assert_eq!(
        (res["company"]["id"].as_str(), res["company"]["matched_by"].as_str()),
        (acme["id"].as_str(), Some("name"))
    );
    assert!(res["deal"].is_null());
    assert!(get(&admin, &app, &format!("/leads/{}", id(&lead))).await["converted_deal_id"].is_null());

    // No company name: a work e-mail's domain finds Globex; the new contact joins it.
    let lead = post(&admin, &app, "/leads", json!({"name": "Bob Stone", "emails": ["bob@globex.example"]})).await;
    let res = ok(convert(&admin, &app, &id(&lead), json!({})).await, StatusCode::OK).await;
    assert_eq!(
        (res["company"]["id"].as_str(), res["company"]["matched_by"].as_str()),
        (globex["id"].as_str(), Some("domain"))
    );
    assert_eq!(res["contact"]["reused"], false);
    let bob = get(&admin, &app, &format!("/contacts/{}", res["contact"]["id"].as_str().unwrap())).await;
    assert_eq!(bob["display_name"], "Bob Stone");
    assert_eq!(bob["company_id"], globex["id"]);
    assert_eq!(bob["emails"][0]["address"], "bob@globex.example");
    assert_eq!(res["deal"]["title"], "Bob Stone");
    assert_eq!(res["deal"]["company_id"], globex["id"]);

    // A free mail domain says nothing about a company: nothing is matched or created.
    let lead = post(&admin, &app, "/leads", json!({"name": "Carl", "emails": ["carl@gmail.com"]})).await;
    let pv = get(&admin, &app, &format!("/leads/{}/conversion", id(&lead))).await;
    assert!(pv["company"].is_null() && pv["contact"].is_null());
    assert_eq!((pv["creates_contact"].as_bool(), pv["creates_company"].as_bool()), (Some(true), Some(false)));
    // Given records are used as they are; unknown ones are named.
    let r = convert(&admin, &app, &id(&lead), json!({"contact_id": uuid::Uuid::now_v7()})).await;
    assert_eq!(fields(&problem(r, 422).await), ["contact_id"]);
    let res = ok(
        convert(&admin, &app, &id(&lead), json!({"company_id": acme["id"], "create_deal": false})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(res["company"]["matched_by"], "given");
    assert_eq!(get(&admin, &app, "/companies").await["data"].as_array().unwrap().len(), 2, "none created");

    // A tax number given at conversion finds the company whatever the lead calls it.
    let initech = post(&admin, &app, "/companies", json!({"name": "Initech LLC", "tax_number": "7701234567"})).await;
    let lead = post(&admin, &app, "/leads", json!({"name": "Peter", "company_name": "Initech (Moscow office)"})).await;
    let pv = get(&admin, &app, &format!("/leads/{}/conversion?company_tax_number=77%200123%204567", id(&lead))).await;
    assert_eq!(
        (pv["company"]["id"].as_str(), pv["company"]["matched_by"].as_str()),
        (initech["id"].as_str(), Some("tax_number"))
    );
    let res = ok(
        convert(&admin, &app, &id(&lead), json!({"company_tax_number": "77 0123 4567", "create_deal": false})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (res["company"]["id"].as_str(), res["company"]["reused"].as_bool()),
        (initech["id"].as_str(), Some(true))
    );
    // An unknown tax number goes onto the new company.
    let lead = post(&admin, &app, "/leads", json!({"company_name": "Hooli"})).await;
    let res = ok(
        convert(&admin, &app, &id(&lead), json!({"company_tax_number": "bg 123", "create_deal": false})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(res["company"]["reused"], false);
    let hooli = get(&admin, &app, &format!("/companies/{}", res["company"]["id"].as_str().unwrap())).await;
    assert_eq!(hooli["tax_number"], "BG123");
}

both!(managers_see_only_their_own_leads);
async fn managers_see_only_their_own_leads(app: TestApp) {
    let admin = app.admin().await;
    app.user("manager", "ann@example.com").await;
    app.user("manager", "bob@example.com").await;
    app.user("readonly", "rita@example.com").await;
    let ann = app.login("ann@example.com").await;
    let bob = app.login("bob@example.com").await;
    let rita = app.login("rita@example.com").await;
    let lead = post(&ann, &app, "/leads", json!({"name": "Ann's lead", "phones": ["+74951112233"]})).await;
    let lid = id(&lead);
    // Bob neither sees nor converts it; it is not in his list.
    problem(send(&bob, &app, Method::GET, &format!("/leads/{lid}"), None).await, 404).await;
    problem(convert(&bob, &app, &lid, json!({})).await, 404).await;
    problem(send(&bob, &app, Method::GET, &format!("/leads/{lid}/conversion"), None).await, 404).await;
    assert_eq!(get(&bob, &app, "/leads").await["data"].as_array().unwrap().len(), 0);
    // Ann cannot give it to Bob.
    let bob_id = get(&bob, &app, "/auth/me").await["user"]["id"].clone();
    let r = send(&ann, &app, Method::PATCH, &format!("/leads/{lid}"), Some(json!({"owner_id": bob_id}))).await;
    problem(r, 403).await;
    // Read-only users see it but change nothing; administrators see everything.
    assert_eq!(get(&rita, &app, "/leads").await["data"].as_array().unwrap().len(), 1);
    problem(send(&rita, &app, Method::PATCH, &format!("/leads/{lid}"), Some(json!({"notes": "x"}))).await, 403).await;
    problem(send(&rita, &app, Method::POST, "/leads", Some(json!({"name": "x"}))).await, 403).await;
    assert_eq!(get(&admin, &app, "/leads").await["data"].as_array().unwrap().len(), 1);
    // Ann converts it: the deal is hers.
    let res = ok(convert(&ann, &app, &lid, json!({})).await, StatusCode::OK).await;
    assert_eq!(res["deal"]["owner_id"], lead["owner_id"]);
    let c = get(&ann, &app, &format!("/contacts/{}", res["contact"]["id"].as_str().unwrap())).await;
    assert_eq!(c["owner_id"], lead["owner_id"]);
    // Bob's contact with the same phone as Ann's next lead is reused, not duplicated; Ann
    // learns its id (as a duplicate warning would tell her) but not its name.
    let bobs = post(&bob, &app, "/contacts", json!({"first_name": "Secret", "phones": ["+74959998877"]})).await;
    let lead = post(&ann, &app, "/leads", json!({"name": "Walk-in", "phones": ["8 495 999-88-77"]})).await;
    let pv = get(&ann, &app, &format!("/leads/{}/conversion", id(&lead))).await;
    assert_eq!((pv["contact"]["id"].as_str(), pv["contact"]["name"].as_str()), (bobs["id"].as_str(), Some("")));
    let res = ok(convert(&ann, &app, &id(&lead), json!({})).await, StatusCode::OK).await;
    assert_eq!(res["contact"]["reused"], true);
    assert_eq!(res["contact"]["name"], "");
    assert_eq!(res["deal"]["contact_id"], bobs["id"]);
    problem(send(&bob, &app, Method::GET, &format!("/deals/{}", res["deal"]["id"].as_str().unwrap()), None).await, 404)
        .await;
}
