//! The deals list (filters, columns, sort, keyset pages, saved views, bulk actions, export),
//! the search-as-you-type pickers of the deal form and the line editor, and the leads list's
//! filter builder: through the API and the web UI as a browser without JavaScript uses them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, drain, form, get_ok, id, location, ok, page, post_created, send};

fn names_in(html: &str) -> Vec<String> {
    html.split("<td class=\"name-cell\"><a href=\"/deals/")
        .skip(1)
        .filter_map(|part| part.split('>').nth(1).and_then(|x| x.split('<').next()).map(str::to_owned))
        .collect()
}

async fn deal(s: &Session, app: &TestApp, body: Value) -> Value {
    post_created(s, app, "/deals", body).await
}

both!(deals_list_filters_columns_sort_and_pages);
async fn deals_list_filters_columns_sort_and_pages(app: TestApp) {
    let s = app.admin().await;
    post_created(&s, &app, "/custom-fields", json!({"entity": "deal", "key": "region", "label": "Region", "field_type": "select", "options": ["North", "South"]})).await;
    for i in 0..55 {
        deal(
            &s,
            &app,
            json!({"title": format!("Bulk {i:02}"), "amount": format!("{}.00", 100 + i), "currency": "EUR"}),
        )
        .await;
    }
    let big = deal(
        &s,
        &app,
        json!({"title": "Big North", "amount": "9000", "currency": "EUR", "tags": ["vip"],
        "custom_fields": {"region": "North"}, "expected_close_date": "2020-01-10"}),
    )
    .await;
    let pipelines = get_ok(&s, &app, "/pipelines").await;
    let won =
        pipelines["data"][0]["stages"].as_array().unwrap().iter().find(|st| st["kind"] == "won").unwrap()["id"].clone();
    let r = send(&s, &app, Method::POST, &format!("/deals/{}/move", id(&big)), Some(json!({"stage_id": won}))).await;
    ok(r, StatusCode::OK).await;

    // The API's filter builder: status, amounts in minor units, tags, custom fields, dates.
    let f = json!({"and": [{"field": "status", "op": "eq", "value": "won"}, {"field": "amount_minor", "op": "gte", "value": 500000},
        {"field": "tags", "op": "has", "value": "vip"}, {"field": "custom_fields.region", "op": "eq", "value": "North"},
        {"field": "expected_close_date", "op": "older_than_days", "value": 30}]});
    let list = get_ok(&s, &app, &format!("/deals?filter={}", urlencode(&f.to_string()))).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["title"], "Big North");

    // The page: 50 rows, a next page by keyset, the builder, the toggle to the board.
    let (status, html) = page(&s, &app, "/deals/list").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<tr data-id=").count(), 50);
    assert!(html.contains("data-testid=\"filter-builder\"") && html.contains("data-testid=\"layout-board\""));
    assert!(html.contains("value=\"custom_fields.region\""), "custom fields of deals are offered");
    let next = html
        .split("data-testid=\"next-page\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (_, html2) = page(&s, &app, &next).await;
    assert_eq!(html2.matches("<tr data-id=").count(), 6);
    let mut all: Vec<String> = names_in(&html);
    all.extend(names_in(&html2));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 56, "every deal once across the pages");

    // Quick filters: status and an amount range typed in the base currency.
    let (_, html) = page(&s, &app, "/deals/list?status=won").await;
    assert_eq!(names_in(&html), ["Big North"]);
    let (_, html) = page(&s, &app, "/deals/list?amount_min=150&amount_max=152.50").await;
    let mut got = names_in(&html);
    got.sort();
    assert_eq!(got, ["Bulk 50", "Bulk 51", "Bulk 52"]);
    let (status, html) = page(&s, &app, "/deals/list?amount_min=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("amount_min"), "the bad amount is named");

    // Builder rows, OR-joined; chosen columns; sort by amount.
    let (_, html) = page(
        &s,
        &app,
        "/deals/list?fb_join=or&fb_field=title&fb_op=contains&fb_value=north&fb_field=amount_minor&fb_op=lt&fb_value=10100&col=amount&col=cf.region&sort=-amount_minor",
    )
    .await;
    assert_eq!(names_in(&html), ["Big North", "Bulk 00"]);
    assert!(html.contains(">North<") && html.contains("9000.00 EUR"));
    let (_, html) = page(&s, &app, "/deals/list?sort=amount_minor").await;
    assert_eq!(names_in(&html)[0], "Bulk 00");

    // A saved view: private, then applied by its id.
    let r = form(
        &s,
        &app,
        "/deals/views",
        &[
            ("name", "Won deals"),
            ("filter", r#"{"field":"status","op":"eq","value":"won"}"#),
            ("columns", "amount,stage"),
            ("sort", "-amount_minor"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.starts_with("/deals/list?view="), "{to}");
    let (_, html) = page(&s, &app, &to).await;
    assert_eq!(names_in(&html), ["Big North"]);
    let views = get_ok(&s, &app, "/views?entity=deal").await;
    assert_eq!(views["data"][0]["shared"], false);

    // Filter errors are shown, not a 500.
    let (status, _) = page(&s, &app, "/deals/list?fb_field=salary&fb_op=eq&fb_value=1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

both!(deals_bulk_actions_notify_and_export);
async fn deals_bulk_actions_notify_and_export(app: TestApp) {
    let s = app.admin().await;
    let m = app.user("manager", "bulk-m@test.local").await;
    let ms = app.login("bulk-m@test.local").await;
    let a = deal(&s, &app, json!({"title": "Alpha", "amount": "10", "currency": "EUR"})).await;
    let b = deal(&s, &app, json!({"title": "Beta", "amount": "20", "currency": "EUR", "tags": ["old"]})).await;
    let c = deal(&s, &app, json!({"title": "Gamma", "amount": "30", "currency": "EUR"})).await;
    let (ia, ib, ic) = (id(&a), id(&b), id(&c));

    // Through the UI's bulk bar: assign the owner; the new owner is told once.
    let back = "/deals/list?status=open";
    let r = form(
        &s,
        &app,
        "/deals/bulk",
        &[("action", "assign_owner"), ("owner_id", &m.id.to_string()), ("ids", &ia), ("ids", &ib), ("back", back)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/deals/list?status=open&bulk_ok=2&bulk_failed=0");
    let mine = get_ok(&ms, &app, "/deals").await;
    let mut titles: Vec<&str> = mine["data"].as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap()).collect();
    titles.sort();
    assert_eq!(titles, ["Alpha", "Beta"], "the manager now sees the deals given to them");
    let notes = get_ok(&ms, &app, "/notifications").await;
    assert_eq!(notes["data"][0]["title"], "2 deals were transferred to you");
    assert!(notes["data"][0]["link"].as_str().unwrap().starts_with("/deals/list?filter="));

    // Tags through the API; a manager cannot touch a deal outside their reach.
    let r = send(
        &s,
        &app,
        Method::POST,
        "/deals/bulk",
        Some(json!({"action": "add_tag", "tag": "q4", "ids": [ia, ib, ic]})),
    )
    .await;
    let res = ok(r, StatusCode::OK).await;
    assert_eq!((res["changed"].as_u64(), res["failed"].as_array().unwrap().len()), (Some(3), 0));
    let r = send(
        &ms,
        &app,
        Method::POST,
        "/deals/bulk",
        Some(json!({"action": "remove_tag", "tag": "old", "ids": [ib, ic]})),
    )
    .await;
    let res = ok(r, StatusCode::OK).await;
    assert_eq!(res["changed"], 1);
    assert_eq!(res["failed"].as_array().unwrap().len(), 1, "Gamma is not the manager's");
    assert_eq!(get_ok(&s, &app, &format!("/deals/{ib}")).await["tags"], json!(["q4"]));
    let r = send(
        &s,
        &app,
        Method::POST,
        "/deals/bulk",
        Some(json!({"action": "set_lifecycle", "lifecycle": "customer", "ids": [ia]})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Export the list (a filter) to CSV by a job.
    let r = form(
        &s,
        &app,
        "/exports",
        &[
            ("entity", "deals"),
            ("filter", r#"{"field":"tags","op":"has","value":"q4"}"#),
            ("format", "csv"),
            ("columns", "all"),
            ("delimiter", ";"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let url = location(&r);
    drain(&app).await;
    let body = s.client.get(format!("{}{url}/download", app.url)).send().await.unwrap().text().await.unwrap();
    let body = body.trim_start_matches('\u{feff}');
    let mut lines = body.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("Title;Pipeline;Stage;Status;Amount;Currency"), "{body}");
    let mut rows: Vec<&str> = lines.collect();
    rows.sort();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].starts_with("Alpha;Sales;Qualification;open;10.00;EUR;"), "{rows:?}");
    assert!(rows[0].contains("bulk-m@test.local"), "the owner by e-mail: {}", rows[0]);

    // Delete in bulk, then restore from the trash (administrators).
    let r = form(&s, &app, "/deals/bulk", &[("action", "delete"), ("ids", &ic), ("back", "/deals/list")]).await;
    assert_eq!(location(&r), "/deals/list?bulk_ok=1&bulk_failed=0");
    assert_eq!(send(&s, &app, Method::GET, &format!("/deals/{ic}"), None).await.status(), StatusCode::OK);
    let (_, trash) = page(&s, &app, "/deals/list?deleted=true").await;
    assert!(trash.contains("Gamma") && trash.contains("data-testid=\"restore\""));
    let r = form(&s, &app, &format!("/deals/{ic}/restore"), &[]).await;
    assert_eq!(location(&r), format!("/deals/{ic}"));
    let (_, html) = page(&s, &app, "/deals/list").await;
    assert!(html.contains("Gamma"));
    let r = send(&ms, &app, Method::POST, &format!("/deals/{ic}/restore"), None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

both!(deal_pickers_search_contacts_companies_and_products);
async fn deal_pickers_search_contacts_companies_and_products(app: TestApp) {
    let s = app.admin().await;
    let anna = post_created(&s, &app, "/contacts", json!({"first_name": "Anna", "last_name": "Karenina", "phones": [{"number": "+7 916 111-22-33", "kind": "mobile"}]})).await;
    post_created(&s, &app, "/contacts", json!({"first_name": "Boris", "last_name": "Godunov"})).await;
    let acme = post_created(&s, &app, "/companies", json!({"name": "Acme Trading"})).await;
    let (_, html) = page(&s, &app, "/deals/pick/contact?contact_q=karen").await;
    assert!(html.contains(&format!("data-value=\"{}\"", id(&anna))) && !html.contains("Boris"), "{html}");
    let (_, html) = page(&s, &app, "/deals/pick/contact?contact_q=79161112233").await;
    assert!(html.contains("Anna Karenina"), "a phone finds the contact: {html}");
    let (_, html) = page(&s, &app, "/deals/pick/company?company_q=acm").await;
    assert!(html.contains(&format!("data-value=\"{}\"", id(&acme))));
    let (_, html) = page(&s, &app, "/deals/pick/contact?contact_q=zzzz").await;
    assert!(html.contains("pick-empty"));

    // The deal form keeps the picked records (their names shown) and saves their ids.
    let r = form(
        &s,
        &app,
        "/deals/new",
        &[
            ("title", "Picked"),
            ("amount", "1"),
            ("currency", "EUR"),
            ("contact_id", &id(&anna)),
            ("company_id", &id(&acme)),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let deal_url = location(&r);
    let deal_id = deal_url.trim_start_matches("/deals/").to_owned();
    let d = get_ok(&s, &app, &format!("/deals/{deal_id}")).await;
    assert_eq!(
        (d["contact_id"].as_str(), d["company_id"].as_str()),
        (Some(id(&anna).as_str()), Some(id(&acme).as_str()))
    );
    let (_, html) = page(&s, &app, &format!("{deal_url}/edit")).await;
    assert!(html.contains("value=\"Anna Karenina\"") && html.contains("value=\"Acme Trading\""));

    // Products by name or SKU, with the price of the deal's currency.
    let eur = post_created(&s, &app, "/price-lists", json!({"name": "Retail EUR", "currency": "EUR"})).await;
    let laptop = post_created(
        &s,
        &app,
        "/products",
        json!({"name": "Laptop Pro", "sku": "LP-14", "unit": "pcs", "cost": "700", "cost_currency": "EUR",
        "prices": [{"price_list_id": eur["id"], "amount": "999.90"}]}),
    )
    .await;
    let (_, html) = page(&s, &app, "/deals/pick/product?currency=EUR&item_name=lp-1").await;
    assert!(
        html.contains(&format!("data-value=\"{}\"", id(&laptop)))
            && html.contains("data-price=\"999.90\"")
            && html.contains("data-unit=\"pcs\""),
        "{html}"
    );
    let (_, html) = page(&s, &app, "/deals/pick/product?currency=USD&item_name=laptop").await;
    assert!(html.contains("data-price=\"\""), "no USD price: the line needs one typed");

    // The line editor sends the picked product: cost, margin and stock follow it.
    let version = d["version"].as_i64().unwrap().to_string();
    let pid = id(&laptop);
    let r = form(
        &s,
        &app,
        &format!("/deals/{deal_id}/items"),
        &[
            ("version", &version),
            ("item_product", &pid),
            ("item_name", "Laptop Pro"),
            ("item_quantity", "2"),
            ("item_unit", "pcs"),
            ("item_price", ""),
            ("item_discount", ""),
            ("item_tax", ""),
            ("item_product", ""),
            ("item_name", "Setup"),
            ("item_quantity", "1"),
            ("item_unit", ""),
            ("item_price", "50"),
            ("item_discount", ""),
            ("item_tax", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let d = get_ok(&s, &app, &format!("/deals/{deal_id}")).await;
    assert_eq!(d["items"][0]["product_id"].as_str(), Some(pid.as_str()));
    assert_eq!(d["items"][0]["unit_price"], "999.90", "the price list's price");
    assert_eq!(d["margin"]["cost"], "1400.00");
    let (_, html) = page(&s, &app, &deal_url).await;
    assert!(html.contains(&format!("name=\"item_product\" value=\"{pid}\"")), "the card keeps the product on the line");
    assert!(html.contains(">LP-14<"));
}

both!(leads_list_filter_builder_and_views);
async fn leads_list_filter_builder_and_views(app: TestApp) {
    let s = app.admin().await;
    post_created(&s, &app, "/leads", json!({"name": "Ads Lead", "utm_source": "google", "temperature": "hot"})).await;
    post_created(&s, &app, "/leads", json!({"name": "Mail Lead", "utm_source": "newsletter", "temperature": "cold"}))
        .await;
    let done = post_created(&s, &app, "/leads", json!({"name": "Done Lead", "utm_source": "google"})).await;
    let r = send(
        &s,
        &app,
        Method::PATCH,
        &format!("/leads/{}", id(&done)),
        Some(json!({"status": "disqualified", "disqualify_reason": "spam"})),
    )
    .await;
    ok(r, StatusCode::OK).await;
    let lead_names = |html: &str| -> Vec<String> {
        let mut v: Vec<String> = html
            .split("<td class=\"name-cell\"><a href=\"/leads/")
            .skip(1)
            .filter_map(|p| p.split('>').nth(1).and_then(|x| x.split('<').next()).map(str::to_owned))
            .collect();
        v.sort();
        v
    };
    let (_, html) = page(&s, &app, "/leads").await;
    assert_eq!(lead_names(&html), ["Ads Lead", "Mail Lead"], "open leads by default");
    let (_, html) = page(&s, &app, "/leads?status=all&fb_field=utm_source&fb_op=eq&fb_value=google").await;
    assert_eq!(lead_names(&html), ["Ads Lead", "Done Lead"]);
    let (_, html) = page(&s, &app, "/leads?temperature=hot").await;
    assert_eq!(lead_names(&html), ["Ads Lead"]);
    assert!(html.contains("value=\"utm_campaign\""), "the builder offers the UTM fields");
    let r = form(
        &s,
        &app,
        "/leads/views",
        &[("name", "Google"), ("filter", r#"{"field":"utm_source","op":"eq","value":"google"}"#), ("shared", "true")],
    )
    .await;
    let (_, html) = page(&s, &app, &location(&r)).await;
    assert_eq!(lead_names(&html), ["Ads Lead"], "the view's filter plus the open statuses");
}
