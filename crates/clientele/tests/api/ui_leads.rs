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
