//! Leads and products in the web UI over HTTP, as a browser without JavaScript uses them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, form, location, page};

async fn api_post(s: &Session, app: &TestApp, path: &str, body: Value) -> Value {
    let r = s.client.post(app.api(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "POST {path}: {}", r.status());
    r.json().await.unwrap()
}

both!(web_leads_list_card_and_conversion);
async fn web_leads_list_card_and_conversion(app: TestApp) {
    let s = app.admin().await;
    let (status, html) = page(&s, &app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<span>Leads</span>") && html.contains("<span>Products</span>"), "navigation");
    let doc = s.client.get(app.api("/openapi.json")).send().await.unwrap().text().await.unwrap();
    for path in [
        "/api/v1/leads",
        "/api/v1/leads/{id}",
        "/api/v1/leads/{id}/conversion",
        "/api/v1/leads/{id}/convert",
        "/api/v1/product-categories",
        "/api/v1/product-categories/{id}",
        "/api/v1/price-lists",
        "/api/v1/price-lists/{id}",
        "/api/v1/products",
        "/api/v1/products/{id}",
        "/api/v1/products/{id}/stock",
        "/api/v1/products/{id}/movements",
    ] {
        assert!(doc.contains(&format!("\"{path}\"")), "OpenAPI documents {path}");
    }
    api_post(&s, &app, "/contacts", json!({"first_name": "Ivan", "phones": ["+74951234567"]})).await;
    // The new-lead form creates a lead and opens its card.
    let r = form(
        &s,
        &app,
        "/leads",
        &[("name", "Ivan P."), ("company_name", "Romashka"), ("phone", "8 (495) 123-45-67"), ("temperature", "hot")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let card = location(&r);
    assert!(card.starts_with("/leads/"), "{card}");
    let (_, html) = page(&s, &app, &card).await;
    assert!(html.contains("Ivan P.") && html.contains("data-testid=\"convert\""));
    let (_, html) = page(&s, &app, "/leads?temperature=hot").await;
    assert_eq!(html.matches("<tr data-id=").count(), 1);
    let (_, html) = page(&s, &app, "/leads?temperature=cold").await;
    assert_eq!(html.matches("<tr data-id=").count(), 0);
    // The conversion screen says the contact is reused (found by phone) and the company is new.
    let (status, html) = page(&s, &app, &format!("{card}/convert")).await;
    assert_eq!(status, StatusCode::OK);
    let contact = &html[html.find("convert-contact").unwrap()..html.find("convert-company").unwrap()];
    assert!(contact.contains("Existing") && contact.contains("Ivan") && contact.contains("phone"), "{contact}");
    let r =
        form(&s, &app, &format!("{card}/convert"), &[("create_deal", "true"), ("amount", "100"), ("currency", "EUR")])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&s, &app, &card).await;
    assert!(html.contains("data-testid=\"converted\"") && !html.contains("data-testid=\"convert\""));
    // Converted leads leave the default list (open leads) but are one filter away.
    let (_, html) = page(&s, &app, "/leads").await;
    assert_eq!(html.matches("<tr data-id=").count(), 0);
    let (_, html) = page(&s, &app, "/leads?status=converted").await;
    assert_eq!(html.matches("<tr data-id=").count(), 1);
}

both!(web_products_catalogue_card_and_receipt);
async fn web_products_catalogue_card_and_receipt(app: TestApp) {
    let s = app.admin().await;
    let r = form(&s, &app, "/products/categories", &[("name", "Hardware")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&s, &app, "/products/categories").await;
    assert!(html.contains("Hardware"));
    let list = api_post(&s, &app, "/price-lists", json!({"name": "Retail", "currency": "EUR"})).await;
    let r = form(
        &s,
        &app,
        "/products",
        &[
            ("name", "Widget"),
            ("sku", "w-1"),
            ("unit", "pcs"),
            ("cost", "12.34"),
            ("cost_currency", "EUR"),
            ("price", "19.99"),
            ("price_list_id", list["id"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let card = location(&r);
    let r =
        form(&s, &app, &format!("{card}/stock"), &[("kind", "receipt"), ("quantity", "2.5"), ("note", "PO-7")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&s, &app, &card).await;
    assert!(html.contains("2.5 pcs") && html.contains("PO-7") && html.contains("19.99 EUR"), "{html}");
    let (_, html) = page(&s, &app, "/products?q=w-1").await;
    assert!(html.contains("Widget") && html.contains("W-1"));
    // Bad input: the error names the field.
    let r = form(&s, &app, &format!("{card}/stock"), &[("kind", "receipt"), ("quantity", "-1")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("quantity"));
}

both!(web_product_form_and_price_lists);
async fn web_product_form_and_price_lists(app: TestApp) {
    let s = app.admin().await;
    // Price lists: create two in EUR (the first is the default), make the second the default.
    let r = form(&s, &app, "/products/price-lists", &[("name", "Retail"), ("currency", "eur")]).await;
    assert_eq!(location(&r), "/products/price-lists");
    form(&s, &app, "/products/price-lists", &[("name", "Wholesale"), ("currency", "EUR")]).await;
    let r = form(&s, &app, "/products/price-lists", &[("name", ""), ("currency", "XX")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("name:") && body.contains("currency:"), "both bad fields named");
    let lists: Value = s.client.get(app.api("/price-lists")).send().await.unwrap().json().await.unwrap();
    let find = |lists: &Value, name: &str| {
        lists["data"].as_array().unwrap().iter().find(|l| l["name"] == name).unwrap().clone()
    };
    let (retail, wholesale) = (find(&lists, "Retail"), find(&lists, "Wholesale"));
    assert_eq!((retail["is_default"].as_bool(), wholesale["is_default"].as_bool()), (Some(true), Some(false)));
    let wid = wholesale["id"].as_str().unwrap();
    let r = form(
        &s,
        &app,
        &format!("/products/price-lists/{wid}"),
        &[("name", "Wholesale B2B"), ("is_default", "true"), ("version", &wholesale["version"].to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let lists: Value = s.client.get(app.api("/price-lists")).send().await.unwrap().json().await.unwrap();
    assert_eq!(find(&lists, "Wholesale B2B")["is_default"], true);
    assert_eq!(find(&lists, "Retail")["is_default"], false, "one default per currency");
    let (_, html) = page(&s, &app, "/products/price-lists").await;
    assert!(html.contains("Wholesale B2B") && html.contains("data-testid=\"new-price-list\""));

    // The product form: every field and a price per list; errors are named and kept.
    let prod = api_post(&s, &app, "/products", json!({"name": "Desk", "unit": "pcs"})).await;
    let pid = prod["id"].as_str().unwrap().to_owned();
    let (status, html) = page(&s, &app, &format!("/products/{pid}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("name=\"price_amount\"").count(), 2, "one price per list");
    let rid = retail["id"].as_str().unwrap();
    let fields = |sku: &str, price: &str| -> Vec<(String, String)> {
        [
            ("version", "1"),
            ("name", "Standing desk"),
            ("sku", sku),
            ("unit", "pcs"),
            ("cost", "120"),
            ("cost_currency", "EUR"),
            ("description", "Electric"),
            ("active", "true"),
            ("price_list", rid),
            ("price_amount", price),
            ("price_list", wid),
            ("price_amount", ""),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
    };
    let bad = fields("sd-1", "-5");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = form(&s, &app, &format!("/products/{pid}/edit"), &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"Standing desk\"") && html.contains("field-error"),
        "the typed values come back with the error"
    );
    let good = fields("sd-1", "349.00");
    let good: Vec<(&str, &str)> = good.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = form(&s, &app, &format!("/products/{pid}/edit"), &good).await;
    assert_eq!(location(&r), format!("/products/{pid}"));
    let p: Value = s.client.get(app.api(&format!("/products/{pid}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (p["name"].as_str(), p["sku"].as_str(), p["cost"].as_str()),
        (Some("Standing desk"), Some("SD-1"), Some("120.00"))
    );
    assert_eq!(p["prices"].as_array().unwrap().len(), 1);
    assert_eq!(p["prices"][0]["amount"], "349.00");
    // A stale version is refused, not silently overwritten.
    let r = form(&s, &app, &format!("/products/{pid}/edit"), &good).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    // A manager reads the catalogue but cannot change it.
    app.user("manager", "pm@test.local").await;
    let m = app.login("pm@test.local").await;
    let (_, card) = page(&m, &app, &format!("/products/{pid}")).await;
    assert!(!card.contains("data-testid=\"edit\""));
    let r = form(&m, &app, &format!("/products/{pid}/edit"), &good).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
