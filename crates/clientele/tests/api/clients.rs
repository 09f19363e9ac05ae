use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, fields, problem};

async fn post(s: &Session, app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.post(app.api(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn patch(s: &Session, app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.patch(app.api(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn get(s: &Session, app: &TestApp, path: &str) -> Value {
    let r = s.client.get(app.api(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.json().await.unwrap()
}

async fn created(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

both!(contacts_with_phones_emails_and_company_persons);
async fn contacts_with_phones_emails_and_company_persons(app: TestApp) {
    let admin = app.admin().await;
    let acme = created(
        post(
            &admin,
            &app,
            "/companies",
            json!({"name": "ООО Ромашка", "tax_number": "7701 234567", "website": "romashka.ru", "industry": "Retail"}),
        )
        .await,
    )
    .await;
    assert_eq!(acme["tax_number"], "7701234567");
    assert_eq!(acme["website"], "https://romashka.ru");
    let acme_id = acme["id"].as_str().unwrap();

    let anna = created(
        post(
            &admin,
            &app,
            "/contacts",
            json!({
                "first_name": "Анна", "last_name": "Петрова",
                "phones": ["8 (495) 123-45-67", {"number": "123-45-67", "kind": "work"}],
                "emails": [{"address": "Anna@Romashka.RU", "kind": "work"}],
                "company_id": acme_id, "company_role": "chief_accountant",
                "tags": ["VIP"], "lifecycle": "customer",
                "important_dates": [{"kind": "birthday", "date": "1990-05-17"}],
                "address": {"city": "Москва", "country": "ru"}
            }),
        )
        .await,
    )
    .await;
    assert_eq!(anna["display_name"], "Анна Петрова");
    assert_eq!(anna["phones"][0], json!({"number": "8 (495) 123-45-67", "kind": "mobile", "e164": "+74951234567"}));
    assert_eq!(anna["phones"][1]["e164"], Value::Null);
    assert_eq!(anna["phones"][1]["flag"], "missing_area_code");
    assert_eq!(anna["emails"][0]["address"], "anna@romashka.ru");
    assert_eq!(anna["company_links"][0]["role"], "chief_accountant");
    assert_eq!(
        anna["owner_id"],
        admin.bearer().get(app.api("/auth/me")).send().await.unwrap().json::<Value>().await.unwrap()["user"]["id"]
    );

    let boris =
        created(post(&admin, &app, "/contacts", json!({"first_name": "Борис", "phones": ["+7 916 000-11-22"]})).await)
            .await;
    let r = post(
        &admin,
        &app,
        &format!("/companies/{acme_id}/contacts"),
        json!({"contact_id": boris["id"], "role": "director"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let people = get(&admin, &app, &format!("/companies/{acme_id}/contacts")).await;
    let roles: Vec<(&str, &str)> = people["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["display_name"].as_str().unwrap(), p["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("Анна Петрова", "chief_accountant"), ("Борис", "director")]);
    // Boris had no company: this one became his primary.
    let b = get(&admin, &app, &format!("/contacts/{}", boris["id"].as_str().unwrap())).await;
    assert_eq!(b["company_id"], acme["id"]);

    // Every bad field at once, named.
    let r = post(&admin, &app, "/contacts", json!({"phones": ["12", "+7 495 123 45 67 89 00"], "emails": ["nope"], "lifecycle": "vip", "company_id": uuid::Uuid::now_v7()})).await;
    let p = problem(r, 422).await;
    let mut f = fields(&p);
    f.sort();
    assert_eq!(
        f,
        ["company_id", "emails[0].address", "first_name", "lifecycle", "phones[0].number", "phones[1].number"]
    );
    let r =
        patch(&admin, &app, &format!("/contacts/{}", boris["id"].as_str().unwrap()), json!({"nickname": "Bob"})).await;
    assert_eq!(fields(&problem(r, 422).await), ["nickname"]);
}

both!(duplicates_warn_and_merge_keeps_everything);
async fn duplicates_warn_and_merge_keeps_everything(app: TestApp) {
    let admin = app.admin().await;
    let company = created(post(&admin, &app, "/companies", json!({"name": "Acme"})).await).await;
    let a = created(post(&admin, &app, "/contacts", json!({"first_name": "Ivan", "phones": ["+7 495 123 45 67"], "company_id": company["id"], "company_role": "buyer"})).await).await;
    // The same number typed another way is a duplicate: 409 with the existing card.
    let r = post(&admin, &app, "/contacts", json!({"first_name": "Ivan P.", "phones": ["84951234567"], "emails": ["ivan@example.com"], "notes": "from the fair"})).await;
    let p = problem(r, 409).await;
    assert_eq!(p["existing_id"], a["id"]);
    assert_eq!(fields(&p), ["phones[0].number"]);
    let b = created(admin.client.post(app.api("/contacts?force=true")).header("x-csrf-token", &admin.csrf)
        .json(&json!({"first_name": "Ivan P.", "phones": ["84951234567", "+33 1 23 45 67 89"], "emails": ["ivan@example.com"], "notes": "from the fair"})).send().await.unwrap()).await;
    let dups = get(&admin, &app, "/contacts/duplicates").await;
    assert_eq!(dups["data"].as_array().unwrap().len(), 1);
    assert_eq!(dups["data"][0]["shared"], "+74951234567");

    // Merge: keep A, take B's name; phones, e-mails united; links and history kept.
    let r = post(
        &admin,
        &app,
        "/contacts/merge",
        json!({"survivor_id": a["id"], "loser_id": b["id"], "prefer": ["first_name"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["first_name"], "Ivan P.");
    assert_eq!(m["notes"], "from the fair", "a field empty on the survivor takes the loser's value");
    let phones: Vec<&str> = m["phones"].as_array().unwrap().iter().map(|p| p["e164"].as_str().unwrap()).collect();
    assert_eq!(phones, ["+74951234567", "+33123456789"]);
    assert_eq!(m["emails"][0]["address"], "ivan@example.com");
    assert_eq!(m["company_links"][0]["role"], "buyer");
    problem(admin.client.get(app.api(&format!("/contacts/{}", b["id"].as_str().unwrap()))).send().await.unwrap(), 404)
        .await;
    let log = get(&admin, &app, &format!("/audit?entity_id={}", a["id"].as_str().unwrap())).await;
    assert_eq!(log["data"][0]["action"], "merge");
    assert_eq!(log["data"][0]["changes"]["merged_from"]["new"], b["id"]);
    let loser_log = get(&admin, &app, &format!("/audit?entity_id={}", b["id"].as_str().unwrap())).await;
    assert_eq!(loser_log["data"].as_array().unwrap().len(), 2, "the loser's history is kept");
    assert!(get(&admin, &app, "/contacts/duplicates").await["data"].as_array().unwrap().is_empty());
    // Companies: a tax number is a duplicate too.
    created(post(&admin, &app, "/companies", json!({"name": "Beta", "tax_number": "123456789"})).await).await;
    let p =
        problem(post(&admin, &app, "/companies", json!({"name": "Beta LLC", "tax_number": "123 456 789"})).await, 409)
            .await;
    assert_eq!(fields(&p), ["tax_number"]);
}

both!(search_by_name_phone_email_company);
async fn search_by_name_phone_email_company(app: TestApp) {
    let admin = app.admin().await;
    let co =
        created(post(&admin, &app, "/companies", json!({"name": "Société Générale", "tax_number": "552120222"})).await)
            .await;
    for body in [
        json!({"first_name": "Élodie", "last_name": "Martin", "emails": ["elodie@sg.fr"], "company_id": co["id"]}),
        json!({"first_name": "Анна", "last_name": "Петрова", "phones": ["8 (495) 123-45-67"]}),
        json!({"display_name": "김민준", "phones": ["+82 2-312-3456"]}),
        json!({"first_name": "Anna", "last_name": "Smith"}),
    ] {
        created(post(&admin, &app, "/contacts", body).await).await;
    }
    let names = |v: &Value, kind: &str| -> Vec<String> {
        v[kind].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_owned()).collect()
    };
    for (q, want) in [
        ("8 (495) 123-45-67", "Анна Петрова"),
        ("+7 495 123 45 67", "Анна Петрова"),
        ("84951234567", "Анна Петрова"),
        ("123-45-67", "Анна Петрова"),
        ("анн", "Анна Петрова"),
        ("ПЕТР", "Анна Петрова"),
        ("elodie", "Élodie Martin"),
        ("ÉLO mar", "Élodie Martin"),
        ("elodie@sg.fr", "Élodie Martin"),
        ("김민", "김민준"),
        ("societe", "Élodie Martin"),
    ] {
        let r = get(&admin, &app, &format!("/search?q={}", urlencode(q))).await;
        assert!(names(&r, "contacts").contains(&want.to_owned()), "{q} → {r}");
    }
    let r = get(&admin, &app, "/search?q=soci").await;
    assert_eq!(names(&r, "companies"), ["Société Générale"]);
    let r = get(&admin, &app, "/search?q=552120222").await;
    assert_eq!(names(&r, "companies"), ["Société Générale"]);
    let r = get(&admin, &app, "/search?q=ann").await;
    assert_eq!(names(&r, "contacts"), ["Anna Smith"], "Latin letters do not match Cyrillic ones");
    // The list endpoint takes the same text.
    let l = get(&admin, &app, "/contacts?q=petrova").await;
    assert_eq!(l["data"].as_array().unwrap().len(), 0, "Latin does not match Cyrillic");
    let l = get(&admin, &app, &format!("/contacts?q={}", urlencode("петрова"))).await;
    assert_eq!(l["data"][0]["display_name"], "Анна Петрова");
}

fn urlencode(s: &str) -> String {
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

both!(filters_views_and_custom_fields);
async fn filters_views_and_custom_fields(app: TestApp) {
    let admin = app.admin().await;
    let r = post(&admin, &app, "/custom-fields", json!({"entity": "contact", "key": "segment", "label": "Segment", "field_type": "select", "options": ["smb", "enterprise"]})).await;
    created(r).await;
    let r = post(
        &admin,
        &app,
        "/custom-fields",
        json!({"entity": "contact", "key": "budget", "label": "Budget", "field_type": "number"}),
    )
    .await;
    created(r).await;
    let p = problem(
        post(
            &admin,
            &app,
            "/custom-fields",
            json!({"entity": "invoice", "key": "Bad Key", "label": "", "field_type": "colour"}),
        )
        .await,
        422,
    )
    .await;
    let mut f = fields(&p);
    f.sort();
    assert_eq!(f, ["entity", "field_type", "key", "label"]);

    let old = "2026-01-01T00:00:00Z";
    for (name, lifecycle, tags, seg, budget, contacted) in [
        ("Alpha", "customer", vec!["vip"], "enterprise", 500, Some(old)),
        ("Bravo", "customer", vec![], "smb", 50, None),
        ("Charlie", "lead", vec!["vip"], "smb", 5, Some(old)),
        ("Delta", "prospect", vec![], "enterprise", 900, Some("2999-01-01T00:00:00Z")),
    ] {
        let mut body = json!({"first_name": name, "lifecycle": lifecycle, "tags": tags, "custom_fields": {"segment": seg, "budget": budget}});
        if let Some(c) = contacted {
            body["last_contacted_at"] = json!(c);
        }
        created(post(&admin, &app, "/contacts", body).await).await;
    }
    let p = problem(
        post(&admin, &app, "/contacts", json!({"first_name": "X", "custom_fields": {"segment": "huge", "colour": 1}}))
            .await,
        422,
    )
    .await;
    let mut f = fields(&p);
    f.sort();
    assert_eq!(f, ["custom_fields.colour", "custom_fields.segment"]);

    let names = |v: &Value| -> Vec<String> {
        v["data"].as_array().unwrap().iter().map(|c| c["display_name"].as_str().unwrap().to_owned()).collect()
    };
    let list = |filter: Value| format!("/contacts?sort=name&filter={}", urlencode(&filter.to_string()));
    assert_eq!(
        names(&get(&admin, &app, &list(json!({"field": "lifecycle", "op": "eq", "value": "customer"}))).await),
        ["Alpha", "Bravo"]
    );
    assert_eq!(
        names(&get(&admin, &app, &list(json!({"field": "tags", "op": "has", "value": "VIP"}))).await),
        ["Alpha", "Charlie"]
    );
    assert_eq!(
        names(
            &get(&admin, &app, &list(json!({"field": "last_contacted_at", "op": "older_than_days", "value": 90})))
                .await
        ),
        ["Alpha", "Bravo", "Charlie"],
        "never contacted counts as not contacted"
    );
    assert_eq!(
        names(
            &get(&admin, &app, &list(json!({"field": "custom_fields.segment", "op": "eq", "value": "enterprise"})))
                .await
        ),
        ["Alpha", "Delta"]
    );
    assert_eq!(
        names(&get(&admin, &app, &list(json!({"field": "custom_fields.budget", "op": "gte", "value": 50}))).await),
        ["Alpha", "Bravo", "Delta"]
    );
    let nested = json!({"and": [{"field": "owner_id", "op": "eq", "value": "me"},
        {"or": [{"field": "lifecycle", "op": "eq", "value": "lead"}, {"field": "custom_fields.budget", "op": "gt", "value": 800}]}]});
    assert_eq!(names(&get(&admin, &app, &list(nested.clone())).await), ["Charlie", "Delta"]);
    let p = problem(
        admin.client.get(app.api(&list(json!({"field": "salary", "op": "eq", "value": 1})))).send().await.unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["filter.salary"]);

    // A saved view carries the filter and sort.
    let view = created(post(&admin, &app, "/views", json!({"entity": "contact", "name": "Hot or big", "filter": nested, "sort": "-name", "shared": true, "columns": ["display_name", "custom_fields.budget"]})).await).await;
    let via_view = get(&admin, &app, &format!("/contacts?view={}", view["id"].as_str().unwrap())).await;
    assert_eq!(names(&via_view), ["Delta", "Charlie"]);
    app.user("manager", "viewer@example.com").await;
    let mgr = app.login("viewer@example.com").await;
    assert_eq!(
        get(&mgr, &app, "/views?entity=contact").await["data"].as_array().unwrap().len(),
        1,
        "shared views are visible"
    );
    problem(
        mgr.client
            .delete(app.api(&format!("/views/{}", view["id"].as_str().unwrap())))
            .header("x-csrf-token", &mgr.csrf)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    // The manager owns none of these contacts: the same view shows them nothing.
    assert!(names(&get(&mgr, &app, &format!("/contacts?view={}", view["id"].as_str().unwrap())).await).is_empty());
}

both!(scope_ownership_transfer_and_notifications);
async fn scope_ownership_transfer_and_notifications(app: TestApp) {
    let admin = app.admin().await;
    let team: Value = post(&admin, &app, "/teams", json!({"name": "East"})).await.json().await.unwrap();
    let m1 = app.user("manager", "m1@example.com").await;
    let m2 = app.user("manager", "m2@example.com").await;
    let head = app.user("head", "h@example.com").await;
    for u in [&m1, &m2, &head] {
        let r = patch(&admin, &app, &format!("/users/{}", u.id), json!({"team_id": team["id"]})).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let s1 = app.login("m1@example.com").await;
    let s2 = app.login("m2@example.com").await;
    let sh = app.login("h@example.com").await;
    let c = created(post(&s1, &app, "/contacts", json!({"first_name": "Own", "last_name": "Client"})).await).await;
    let id = c["id"].as_str().unwrap();
    // Another manager neither lists nor opens it; the head of the team does both.
    assert!(get(&s2, &app, "/contacts").await["data"].as_array().unwrap().is_empty());
    problem(s2.client.get(app.api(&format!("/contacts/{id}"))).send().await.unwrap(), 404).await;
    assert_eq!(get(&sh, &app, "/contacts").await["data"].as_array().unwrap().len(), 1);
    // A manager cannot give a client away; the head can, and both managers hear about it.
    problem(patch(&s1, &app, &format!("/contacts/{id}"), json!({"owner_id": m2.id})).await, 403).await;
    let r = sh
        .client
        .patch(app.api(&format!("/contacts/{id}")))
        .header("x-csrf-token", &sh.csrf)
        .header("if-match", "1")
        .json(&json!({"owner_id": m2.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let n2 = get(&s2, &app, "/notifications").await;
    assert_eq!(n2["unread"], 1);
    assert_eq!(n2["data"][0]["title"], "Own Client was transferred to you");
    let n1 = get(&s1, &app, "/notifications?unread=true").await;
    assert!(n1["data"][0]["title"].as_str().unwrap().starts_with("Own Client was transferred to manager m2"));
    let r = post(&s2, &app, "/notifications/read", json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&s2, &app, "/notifications").await["unread"], 0);
    let log = get(&admin, &app, &format!("/audit?entity_id={id}")).await;
    assert_eq!(log["data"][0]["changes"]["owner_id"]["new"], json!(m2.id));
    // Stale version: 412.
    problem(
        sh.client
            .patch(app.api(&format!("/contacts/{id}")))
            .header("x-csrf-token", &sh.csrf)
            .header("if-match", "1")
            .json(&json!({"title": "CEO"}))
            .send()
            .await
            .unwrap(),
        412,
    )
    .await;
    // Read-only users see everything and change nothing.
    app.user("readonly", "ro@example.com").await;
    let ro = app.login("ro@example.com").await;
    assert_eq!(get(&ro, &app, "/contacts").await["data"].as_array().unwrap().len(), 1);
    problem(post(&ro, &app, "/contacts", json!({"first_name": "No"})).await, 403).await;
}

both!(delete_restore_export_and_erase);
async fn delete_restore_export_and_erase(app: TestApp) {
    let admin = app.admin().await;
    let c = created(post(&admin, &app, "/contacts", json!({"first_name": "Gdpr", "last_name": "Person", "emails": ["p@example.com"], "phones": ["+33 1 23 45 67 89"], "notes": "likes tea"})).await).await;
    let id = c["id"].as_str().unwrap();
    let r = admin
        .client
        .delete(app.api(&format!("/contacts/{id}")))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(get(&admin, &app, "/contacts").await["data"].as_array().unwrap().is_empty());
    assert!(get(&admin, &app, "/search?q=gdpr").await["contacts"].as_array().unwrap().is_empty());
    assert_eq!(get(&admin, &app, "/contacts?deleted=true").await["data"].as_array().unwrap().len(), 1);
    let r = post(&admin, &app, &format!("/contacts/{id}/restore"), json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(get(&admin, &app, "/search?q=gdpr").await["contacts"].as_array().unwrap().len(), 1);

    let export = get(&admin, &app, &format!("/contacts/{id}/export")).await;
    assert_eq!(export["contact"]["notes"], "likes tea");
    assert!(export["history"].as_array().unwrap().len() >= 3);
    let r = post(&admin, &app, &format!("/contacts/{id}/erase"), json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let after = get(&admin, &app, &format!("/contacts/{id}")).await;
    assert_eq!(after["display_name"], "Erased person");
    assert!(after["phones"].as_array().unwrap().is_empty() && after["notes"].is_null());
    let log = get(&admin, &app, &format!("/audit?entity_id={id}")).await;
    let text = log.to_string();
    assert!(!text.contains("likes tea") && !text.contains("p@example.com") && !text.contains("Gdpr"), "{text}");
    assert!(get(&admin, &app, "/search?q=gdpr").await["contacts"].as_array().unwrap().is_empty());
}

both!(bulk_actions_on_a_selection_and_a_filter);
async fn bulk_actions_on_a_selection_and_a_filter(app: TestApp) {
    let admin = app.admin().await;
    let m = app.user("manager", "bulk@example.com").await;
    let mut ids = vec![];
    for i in 0..5 {
        let c = created(
            post(
                &admin,
                &app,
                "/contacts",
                json!({"first_name": format!("Bulk {i}"), "lifecycle": if i < 3 { "lead" } else { "customer" }}),
            )
            .await,
        )
        .await;
        ids.push(c["id"].clone());
    }
    let r: Value =
        post(&admin, &app, "/contacts/bulk", json!({"ids": [ids[0], ids[1]], "action": "add_tag", "tag": "expo-2026"}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!((r["matched"].as_u64(), r["changed"].as_u64()), (Some(2), Some(2)));
    let again: Value =
        post(&admin, &app, "/contacts/bulk", json!({"ids": [ids[0]], "action": "add_tag", "tag": "EXPO-2026"}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(again["unchanged"], 1, "adding a tag twice changes nothing");
    // Everything a filter matches: the three leads go to the manager, who is told once.
    let leads = json!({"field": "lifecycle", "op": "eq", "value": "lead"}).to_string();
    let r: Value = post(
        &admin,
        &app,
        "/contacts/bulk",
        json!({"matching": {"filter": leads}, "action": "assign_owner", "owner_id": m.id}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!((r["matched"].as_u64(), r["changed"].as_u64()), (Some(3), Some(3)));
    let s = app.login("bulk@example.com").await;
    let n = get(&s, &app, "/notifications").await;
    assert_eq!(n["data"].as_array().unwrap().len(), 1);
    assert_eq!(n["data"][0]["title"], "3 contacts were transferred to you");
    assert_eq!(get(&s, &app, "/contacts").await["data"].as_array().unwrap().len(), 3);
    // The manager may only touch their own: others fail one by one, with the reason.
    let r: Value =
        post(&s, &app, "/contacts/bulk", json!({"ids": ids, "action": "set_lifecycle", "lifecycle": "prospect"}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!((r["changed"].as_u64(), r["failed"].as_array().unwrap().len()), (Some(3), 2));
    let r: Value =
        post(&admin, &app, "/contacts/bulk", json!({"ids": [ids[4]], "action": "delete"})).await.json().await.unwrap();
    assert_eq!(r["changed"], 1);
    let p = problem(post(&admin, &app, "/contacts/bulk", json!({"ids": [], "action": "delete"})).await, 422).await;
    assert_eq!(fields(&p), ["ids"]);
    let log = get(&admin, &app, &format!("/audit?entity_id={}", ids[0].as_str().unwrap())).await;
    assert!(log["data"].as_array().unwrap().len() >= 3, "every bulk change is audited per record");
}

both!(custom_fields_appear_in_the_openapi_document);
async fn custom_fields_appear_in_the_openapi_document(app: TestApp) {
    let admin = app.admin().await;
    created(post(&admin, &app, "/custom-fields", json!({"entity": "contact", "key": "segment", "label": "Segment", "field_type": "select", "options": ["smb", "enterprise"], "required": true})).await).await;
    created(
        post(
            &admin,
            &app,
            "/custom-fields",
            json!({"entity": "company", "key": "employees", "label": "Employees", "field_type": "number"}),
        )
        .await,
    )
    .await;
    let doc: Value = app.client().get(app.api("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let contact_cf = &doc["components"]["schemas"]["Contact"]["properties"]["custom_fields"];
    assert_eq!(contact_cf["properties"]["segment"]["enum"], json!(["smb", "enterprise"]));
    assert_eq!(
        doc["components"]["schemas"]["ContactInput"]["properties"]["custom_fields"]["required"],
        json!(["segment"])
    );
    assert_eq!(
        doc["components"]["schemas"]["Company"]["properties"]["custom_fields"]["properties"]["employees"]["type"],
        "number"
    );
    assert!(doc["paths"].get("/api/v1/contacts").is_some() && doc["paths"].get("/api/v1/search").is_some());
}

both!(sort_by_custom_fields_and_similar_name_duplicates);
async fn sort_by_custom_fields_and_similar_name_duplicates(app: TestApp) {
    let admin = app.admin().await;
    created(
        post(
            &admin,
            &app,
            "/custom-fields",
            json!({"entity": "contact", "key": "budget", "label": "Budget", "field_type": "number"}),
        )
        .await,
    )
    .await;
    created(
        post(
            &admin,
            &app,
            "/custom-fields",
            json!({"entity": "contact", "key": "city_code", "label": "Code", "field_type": "text"}),
        )
        .await,
    )
    .await;
    for (name, budget, code) in
        [("P1", Some(300), "b"), ("P2", None, "c"), ("P3", Some(20), "a"), ("P4", Some(1000), "")]
    {
        let mut cf = json!({"city_code": code});
        if let Some(b) = budget {
            cf["budget"] = json!(b);
        }
        created(post(&admin, &app, "/contacts", json!({"first_name": name, "custom_fields": cf})).await).await;
    }
    let names = |v: &Value| -> Vec<String> {
        v["data"].as_array().unwrap().iter().map(|c| c["display_name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        names(&get(&admin, &app, "/contacts?sort=custom_fields.budget").await),
        ["P2", "P3", "P1", "P4"],
        "empty first, then by value"
    );
    assert_eq!(names(&get(&admin, &app, "/contacts?sort=-custom_fields.budget").await), ["P4", "P1", "P3", "P2"]);
    // Keyset pages over a custom sort.
    let p1 = get(&admin, &app, "/contacts?sort=custom_fields.city_code&limit=2").await;
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = get(&admin, &app, &format!("/contacts?sort=custom_fields.city_code&limit=2&cursor={c}")).await;
    assert_eq!([names(&p1), names(&p2)].concat(), ["P4", "P3", "P1", "P2"]);
    problem(admin.client.get(app.api("/contacts?sort=custom_fields.nope")).send().await.unwrap(), 422).await;

    // Two people of one company whose names differ by a typo are candidate duplicates.
    let co = created(post(&admin, &app, "/companies", json!({"name": "Typo Ltd"})).await).await;
    created(
        post(
            &admin,
            &app,
            "/contacts",
            json!({"first_name": "Svetlana", "last_name": "Kuznetsova", "company_id": co["id"]}),
        )
        .await,
    )
    .await;
    created(
        post(
            &admin,
            &app,
            "/contacts",
            json!({"first_name": "Svetlana", "last_name": "Kuznecova", "company_id": co["id"]}),
        )
        .await,
    )
    .await;
    created(
        post(&admin, &app, "/contacts", json!({"first_name": "Sergey", "last_name": "Orlov", "company_id": co["id"]}))
            .await,
    )
    .await;
    let d = get(&admin, &app, "/contacts/duplicates").await;
    let pairs = d["data"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{d}");
    assert_eq!(pairs[0]["shared"], "similar names at Typo Ltd");
}
