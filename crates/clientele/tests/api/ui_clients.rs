//! The client base's web UI over HTTP: lists, forms, cards, duplicates, merge, custom
//! fields, bulk actions, views and search, as a browser without JavaScript uses them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, form, location, page};

async fn api_post(s: &Session, app: &TestApp, path: &str, body: Value) -> Value {
    let r = s.client.post(app.api(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "POST {path}: {}", r.status());
    r.json().await.unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
}

/// The value of the first `attr="..."` after `marker`.
fn attr_after(html: &str, marker: &str, attr: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("{marker} not in page"));
    let rest = &html[start..];
    let a = format!("{attr}=\"");
    let i = rest.find(&a).unwrap() + a.len();
    unescape(rest[i..].split('"').next().unwrap())
}

both!(web_contact_list_pages_by_50);
async fn web_contact_list_pages_by_50(app: TestApp) {
    let s = app.admin().await;
    for i in 0..55 {
        api_post(&s, &app, "/contacts", json!({"first_name": format!("Person{i:02}")})).await;
    }
    let (status, html) = page(&s, &app, "/contacts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<tr data-id=").count(), 50);
    assert!(html.contains("data-testid=\"filter-builder\""));
    let next = attr_after(&html, "class=\"pager\"", "href");
    let (status, html2) = page(&s, &app, &next).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(html2.matches("<tr data-id=").count(), 5);
    assert!(!html2.contains("data-testid=\"next-page\""));
    // Sorted by name, ascending: the first page starts with Person00.
    let (_, by_name) = page(&s, &app, "/contacts?sort=name").await;
    let first = by_name.find("Person00").unwrap();
    assert!(by_name.find("Person01").unwrap() > first);
    // A filter the builder sends that the service refuses shows its error with 422.
    let (status, bad) = page(&s, &app, "/contacts?fb_field=salary&fb_op=eq&fb_value=1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("data-testid=\"filter-error\""));
    // The builder's rows become the filter: one match.
    let (status, one) = page(&s, &app, "/contacts?fb_field=name&fb_op=starts_with&fb_value=person07").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one.matches("<tr data-id=").count(), 1, "builder filter applied");
}

both!(web_contact_form_creates_validates_and_warns_of_duplicates);
async fn web_contact_form_creates_validates_and_warns_of_duplicates(app: TestApp) {
    let s = app.admin().await;
    let (status, html) = page(&s, &app, "/contacts/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"_csrf\""));
    assert_eq!(html.matches("name=\"phone_number\"").count(), 3, "three empty phone rows");

    let r = form(
        &s,
        &app,
        "/contacts",
        &[
            ("first_name", "Анна"),
            ("last_name", "Петрова"),
            ("phone_number", "8 (495) 123-45-67"),
            ("phone_kind", "mobile"),
            ("phone_number", ""),
            ("phone_kind", "work"),
            ("email_address", "anna@example.com"),
            ("email_kind", "work"),
            ("lifecycle", "customer"),
            ("tags", "VIP, Moscow"),
            ("date_kind", "birthday"),
            ("date_value", "1990-05-17"),
            ("date_yearly", "yes"),
            ("address.city", "Москва"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let card = location(&r);
    assert!(card.starts_with("/contacts/"), "{card}");
    let first_id = card.trim_start_matches("/contacts/").to_owned();
    let (status, html) = page(&s, &app, &card).await;
    assert_eq!(status, StatusCode::OK);
    for want in ["Анна Петрова", "+74951234567", "VIP", "mailto:anna@example.com", "Москва", "1990-05-17"]
    {
        assert!(html.contains(want), "card shows {want}");
    }

    // A bad phone: 422, the error beside the second phone row, the values kept.
    let r = form(
        &s,
        &app,
        "/contacts",
        &[
            ("first_name", "Bad"),
            ("phone_number", "+7 916 000-11-22"),
            ("phone_kind", "mobile"),
            ("phone_number", "12"),
            ("phone_kind", "mobile"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"phone-error-1\""), "error on the second row");
    assert!(html.contains("value=\"12\""));

    // The same number typed another way: 409 with a link to the existing contact.
    let dup = [("first_name", "Anna P."), ("phone_number", "+7 495 123 45 67"), ("phone_kind", "work")];
    let r = form(&s, &app, "/contacts", &dup).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"duplicate-warning\""));
    assert!(html.contains(&format!("href=\"/contacts/{first_id}\"")));
    assert!(html.contains("data-testid=\"save-anyway\""));
    // "Save anyway" sends the same form with force=true.
    let mut forced = dup.to_vec();
    forced.push(("force", "true"));
    let r = form(&s, &app, "/contacts", &forced).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_ne!(location(&r), card);

    // Edit: the form comes back filled; a stale version is refused with 412.
    let (status, edit) = page(&s, &app, &format!("{card}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(edit.contains("value=\"Анна\""));
    let r = form(&s, &app, &format!("{card}/edit"), &[("version", "99"), ("first_name", "Анна")]).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);

    // Inline edit of the job title, with the version as If-Match.
    let inline = format!("{card}/inline/title");
    let r = s
        .client
        .post(format!("{}{inline}", app.url))
        .header("hx-request", "true")
        .form(&[("_csrf", s.csrf.as_str()), ("version", "1"), ("value", "Chief accountant")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Chief accountant"));
    let r = s
        .client
        .post(format!("{}{inline}", app.url))
        .header("hx-request", "true")
        .form(&[("_csrf", s.csrf.as_str()), ("version", "1"), ("value", "Lawyer")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert!(r.text().await.unwrap().contains("data-testid=\"inline-error\""));
}

both!(web_company_card_shows_contact_persons_with_roles);
async fn web_company_card_shows_contact_persons_with_roles(app: TestApp) {
    let s = app.admin().await;
    let r = form(&s, &app, "/companies", &[("name", "ООО Ромашка"), ("tax_number", "7701 234567")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let company = location(&r);
    let company_id = company.trim_start_matches("/companies/").to_owned();
    // "New contact in this company": the form is prefilled and comes back to the company.
    let (_, new) = page(&s, &app, &format!("/contacts/new?company_id={company_id}")).await;
    assert!(new.contains(&format!("<option value=\"{company_id}\" selected")));
    let r = form(
        &s,
        &app,
        "/contacts",
        &[("first_name", "Иван"), ("company_id", &company_id), ("company_role", "director"), ("next", &company)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), company);
    // An existing contact, found by phone and added as chief accountant.
    let olga = api_post(&s, &app, "/contacts", json!({"first_name": "Ольга", "phones": ["+7 916 000-11-22"]})).await;
    let r = s
        .client
        .get(format!("{}/companies/{company_id}/people/search?person_q=%2B7%20916%20000-11-22", app.url))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Ольга"));
    let r = form(
        &s,
        &app,
        &format!("/companies/{company_id}/people"),
        &[("contact_id", olga["id"].as_str().unwrap()), ("role", "chief_accountant")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&s, &app, &company).await;
    assert_eq!(html.matches("data-testid=\"person-row\"").count(), 2);
    for want in ["Иван", "Director", "Ольга", "Chief accountant", "7701234567"] {
        assert!(html.contains(want), "company card shows {want}");
    }
    // Removing a person keeps the contact.
    let r =
        form(&s, &app, &format!("/companies/{company_id}/people/{}/remove", olga["id"].as_str().unwrap()), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&s, &app, &company).await;
    assert_eq!(html.matches("data-testid=\"person-row\"").count(), 1);
}

both!(web_duplicates_and_merge);
async fn web_duplicates_and_merge(app: TestApp) {
    let s = app.admin().await;
    let a = api_post(&s, &app, "/contacts", json!({"first_name": "Ivan", "phones": ["+7 495 123 45 67"]})).await;
    let r = s
        .client
        .post(app.api("/contacts?force=true"))
        .header("x-csrf-token", &s.csrf)
        .json(&json!({"first_name": "Ivan Petrov", "phones": ["84951234567"], "notes": "from the fair"}))
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let (status, dups) = page(&s, &app, "/contacts/duplicates").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dups.matches("data-testid=\"dup-pair\"").count(), 1);
    assert!(dups.contains("+74951234567"));
    let merge = attr_after(&dups, "data-testid=\"merge-link\"", "href");
    assert!(merge.starts_with("/contacts/merge?a="), "{merge}");
    let (status, screen) = page(&s, &app, &merge).await;
    assert_eq!(status, StatusCode::OK, "{merge}");
    assert!(screen.contains("Ivan Petrov") && screen.contains("name=\"pick.first_name\""));
    let r = form(&s, &app, "/contacts/merge", &[("a", a_id), ("b", b_id), ("survivor", "a"), ("pick.first_name", "b")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/contacts/{a_id}"));
    let merged: Value = s.client.get(app.api(&format!("/contacts/{a_id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(merged["first_name"], "Ivan Petrov");
    assert_eq!(merged["display_name"], "Ivan Petrov", "the display name follows the name taken");
    assert_eq!(merged["notes"], "from the fair");
    let (_, dups) = page(&s, &app, "/contacts/duplicates").await;
    assert_eq!(dups.matches("data-testid=\"dup-pair\"").count(), 0);
}

both!(web_custom_field_settings_feed_the_contact_form);
async fn web_custom_field_settings_feed_the_contact_form(app: TestApp) {
    let s = app.admin().await;
    let (status, _) = page(&s, &app, "/settings/fields").await;
    assert_eq!(status, StatusCode::OK);
    // A bad key is shown beside the field.
    let r = form(
        &s,
        &app,
        "/settings/fields",
        &[("entity", "contact"), ("key", "Bad Key"), ("label", "Segment"), ("field_type", "select"), ("options", "A")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = form(
        &s,
        &app,
        "/settings/fields",
        &[
            ("entity", "contact"),
            ("key", "segment"),
            ("label", "Segment"),
            ("field_type", "select"),
            ("options", "SMB, Enterprise"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = page(&s, &app, "/settings/fields").await;
    assert!(list.contains("<code>segment</code>"));
    let (_, new) = page(&s, &app, "/contacts/new").await;
    assert!(new.contains("Segment") && new.contains("name=\"cf.segment\"") && new.contains(">Enterprise</option>"));
    let r = form(&s, &app, "/contacts", &[("first_name", "Olga"), ("cf.segment", "Enterprise")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, card) = page(&s, &app, &location(&r)).await;
    assert!(card.contains("Segment") && card.contains("Enterprise"));
    // A value outside the choices is refused beside the field.
    let r = form(&s, &app, "/contacts", &[("first_name", "Olga"), ("cf.segment", "Galactic")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("must be one of"));
}

both!(web_bulk_tags_views_and_search);
async fn web_bulk_tags_views_and_search(app: TestApp) {
    let s = app.admin().await;
    let a = api_post(
        &s,
        &app,
        "/contacts",
        json!({"first_name": "Анна", "last_name": "Петрова", "phones": ["8 (495) 123-45-67"]}),
    )
    .await;
    let b = api_post(&s, &app, "/contacts", json!({"first_name": "Boris", "tags": ["vip"]})).await;
    let c = api_post(&s, &app, "/contacts", json!({"first_name": "Carl"})).await;
    let r = form(
        &s,
        &app,
        "/contacts/bulk",
        &[
            ("back", "/contacts"),
            ("ids", a["id"].as_str().unwrap()),
            ("ids", b["id"].as_str().unwrap()),
            ("action", "add_tag"),
            ("tag", "VIP"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/contacts?bulk_ok=2&bulk_failed=0");
    let (_, list) = page(&s, &app, &location(&r)).await;
    assert!(list.contains("2 updated, 0 failed."));
    let tags = |v: Value| v["tags"].clone();
    let get = |id: &str| {
        let url = app.api(&format!("/contacts/{id}"));
        let client = s.client.clone();
        async move { client.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(tags(get(a["id"].as_str().unwrap()).await), json!(["VIP"]));
    assert_eq!(tags(get(b["id"].as_str().unwrap()).await), json!(["vip"]), "no duplicate tag");
    assert_eq!(tags(get(c["id"].as_str().unwrap()).await), json!([]));

    // Bulk delete sends Carl to the trash, where an administrator restores him.
    let carl = c["id"].as_str().unwrap();
    let r = form(&s, &app, "/contacts/bulk", &[("back", "/contacts"), ("ids", carl), ("action", "delete")]).await;
    assert_eq!(location(&r), "/contacts?bulk_ok=1&bulk_failed=0");
    let (_, live) = page(&s, &app, "/contacts").await;
    assert!(!live.contains("Carl"));
    let (_, trash) = page(&s, &app, "/contacts?deleted=true").await;
    assert!(trash.contains("Carl") && trash.contains("data-testid=\"restore\""));
    let r = form(&s, &app, &format!("/contacts/{carl}/restore"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, live) = page(&s, &app, "/contacts").await;
    assert!(live.contains("Carl"));

    // Save the tag filter as a view; the view applies it.
    let r = form(
        &s,
        &app,
        "/contacts/views",
        &[("name", "VIPs"), ("filter", r#"{"field":"tags","op":"has","value":"VIP"}"#), ("columns", "phone,tags")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let view_url = location(&r);
    assert!(view_url.starts_with("/contacts?view="));
    let (_, html) = page(&s, &app, &view_url).await;
    assert_eq!(html.matches("<tr data-id=").count(), 2);
    assert!(html.contains(">VIPs</option>"));

    // The top bar's search fragment finds a phone typed the local way.
    let r = s
        .client
        .get(format!("{}/search?q=8%20(495)%20123-45-67", app.url))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Анна Петрова") && html.contains("data-testid=\"search-hit\""));
    assert!(!html.contains("<html"), "a fragment");
    let (_, full) = page(&s, &app, "/search?q=%D0%BF%D0%B5%D1%82%D1%80").await;
    assert!(full.contains("<html") && full.contains("Анна Петрова"));
}
