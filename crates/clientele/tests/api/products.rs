//! The product catalogue and stock through the API: nested categories, products and price
//! lists, stock movements, and what deals do with them (prices, margin, won deals take stock).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, fields, get_ok as get, id, ok, post_created as post, problem, send};

async fn patch(s: &Session, app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    send(s, app, Method::PATCH, path, Some(body)).await
}

fn names(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap_or("").to_owned()).collect()
}

/// The demo pipeline's stage ids by name.
async fn stage(s: &Session, app: &TestApp, name: &str) -> String {
    let list = get(s, app, "/pipelines").await;
    list["data"][0]["stages"].as_array().unwrap().iter().find(|x| x["name"] == name).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn move_to(s: &Session, app: &TestApp, deal: &str, stage_id: &str) -> Value {
    ok(
        send(s, app, Method::POST, &format!("/deals/{deal}/move"), Some(json!({"stage_id": stage_id}))).await,
        StatusCode::OK,
    )
    .await
}

async fn on_hand(s: &Session, app: &TestApp, product: &str) -> String {
    get(s, app, &format!("/products/{product}")).await["on_hand"].as_str().unwrap().to_owned()
}

both!(categories_nest_and_refuse_cycles);
async fn categories_nest_and_refuse_cycles(app: TestApp) {
    let admin = app.admin().await;
    let hw = post(&admin, &app, "/product-categories", json!({"name": "Hardware"})).await;
    let pcs = post(&admin, &app, "/product-categories", json!({"name": "Computers", "parent_id": hw["id"]})).await;
    let laptops = post(&admin, &app, "/product-categories", json!({"name": "Laptops", "parent_id": pcs["id"]})).await;
    post(&admin, &app, "/product-categories", json!({"name": "Services"})).await;
    let tree = get(&admin, &app, "/product-categories").await;
    let rows: Vec<(String, i64)> = tree["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_owned(), c["depth"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            ("Hardware".to_owned(), 0),
            ("Hardware / Computers".to_owned(), 1),
            ("Hardware / Computers / Laptops".to_owned(), 2),
            ("Services".to_owned(), 0)
        ]
    );
    // Hardware under its own grandchild, or under itself: refused, naming parent_id.
    let r = patch(&admin, &app, &format!("/product-categories/{}", id(&hw)), json!({"parent_id": laptops["id"]})).await;
    let p = problem(r, 422).await;
    assert_eq!(fields(&p), ["parent_id"]);
    let r = patch(&admin, &app, &format!("/product-categories/{}", id(&hw)), json!({"parent_id": hw["id"]})).await;
    assert_eq!(fields(&problem(r, 422).await), ["parent_id"]);
    let r = send(
        &admin,
        &app,
        Method::POST,
        "/product-categories",
        Some(json!({"name": "", "parent_id": uuid::Uuid::now_v7()})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["name", "parent_id"]);
    // Moving Laptops to the top is fine; a category with children cannot be removed.
    let moved = ok(
        patch(&admin, &app, &format!("/product-categories/{}", id(&laptops)), json!({"parent_id": null})).await,
        StatusCode::OK,
    )
    .await;
    assert!(moved["parent_id"].is_null());
    problem(send(&admin, &app, Method::DELETE, &format!("/product-categories/{}", id(&hw)), None).await, 409).await;
    let r = send(&admin, &app, Method::DELETE, &format!("/product-categories/{}", id(&pcs)), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

both!(products_are_validated_searched_and_paged);
async fn products_are_validated_searched_and_paged(app: TestApp) {
    let admin = app.admin().await;
    app.user("manager", "ann@example.com").await;
    let ann = app.login("ann@example.com").await;
    let eur = post(&admin, &app, "/price-lists", json!({"name": "Retail EUR", "currency": "eur"})).await;
    assert_eq!((eur["currency"].as_str(), eur["is_default"].as_bool()), (Some("EUR"), Some(true)));
    let hw = post(&admin, &app, "/product-categories", json!({"name": "Hardware"})).await;
    let pcs = post(&admin, &app, "/product-categories", json!({"name": "Computers", "parent_id": hw["id"]})).await;

    let r = send(
        &admin,
        &app,
        Method::POST,
        "/products",
        Some(json!({"name": " ", "cost": "1.234", "cost_currency": "EUR", "category_id": uuid::Uuid::now_v7(),
                    "prices": [{"price_list_id": eur["id"], "amount": "-1"}, {"price_list_id": uuid::Uuid::now_v7(), "amount": "1"}]})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["category_id", "cost", "name", "prices[0].amount", "prices[1].price_list_id"]);
    let r = send(&admin, &app, Method::POST, "/products", Some(json!({"name": "x", "cost": "5"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["cost_currency"]);
    let r = send(&admin, &app, Method::POST, "/products", Some(json!({"name": "x", "on_hand": "5"}))).await;
    assert_eq!(fields(&problem(r, 422).await), ["on_hand"], "stock changes only through movements");

    let laptop = post(
        &admin,
        &app,
        "/products",
        json!({"name": "Laptop Pro 14", "sku": "lp-14", "unit": "pcs", "category_id": pcs["id"], "cost": "800",
               "cost_currency": "EUR", "prices": [{"price_list_id": eur["id"], "amount": "1199.90"}]}),
    )
    .await;
    assert_eq!(laptop["sku"], "LP-14");
    assert_eq!(laptop["on_hand"], "0");
    assert_eq!(laptop["prices"][0]["amount"], "1199.90");
    assert_eq!(laptop["prices"][0]["currency"], "EUR");
    let r = send(&admin, &app, Method::POST, "/products", Some(json!({"name": "Clone", "sku": "LP-14"}))).await;
    assert_eq!(fields(&problem(r, 409).await), ["sku"]);
    post(&admin, &app, "/products", json!({"name": "Mouse", "sku": "MS-1", "category_id": hw["id"]})).await;
    post(&admin, &app, "/products", json!({"name": "Installation", "unit": "h", "active": false})).await;

    // Search by name words or the start of the SKU; a category includes its sub-categories.
    assert_eq!(names(&get(&admin, &app, "/products?q=laptop").await), ["Laptop Pro 14"]);
    assert_eq!(names(&get(&admin, &app, "/products?q=lp-1").await), ["Laptop Pro 14"]);
    assert_eq!(
        names(&get(&admin, &app, &format!("/products?category_id={}", id(&hw))).await),
        ["Laptop Pro 14", "Mouse"]
    );
    assert_eq!(names(&get(&admin, &app, &format!("/products?category_id={}", id(&pcs))).await), ["Laptop Pro 14"]);
    assert_eq!(names(&get(&admin, &app, "/products?active=false").await), ["Installation"]);
    let first = get(&ann, &app, "/products?limit=2").await;
    assert_eq!(names(&first), ["Installation", "Laptop Pro 14"]);
    let next = get(&ann, &app, &format!("/products?limit=2&cursor={}", first["next_cursor"].as_str().unwrap())).await;
    assert_eq!(names(&next), ["Mouse"]);
    assert!(next["next_cursor"].is_null());
    let r = send(&admin, &app, Method::GET, "/products?sort=price", None).await;
    assert_eq!(fields(&problem(r, 422).await), ["sort"]);

    // PATCH with If-Match; managers read the catalogue but do not change it.
    let r = admin
        .client
        .patch(app.api(&format!("/products/{}", id(&laptop))))
        .header("x-csrf-token", &admin.csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"description": "14-inch", "prices": [{"price_list_id": eur["id"], "amount": "1099"}]}))
        .send()
        .await
        .unwrap();
    let changed = ok(r, StatusCode::OK).await;
    assert_eq!((changed["version"].as_i64(), changed["prices"][0]["amount"].as_str()), (Some(2), Some("1099.00")));
    assert_eq!(changed["sku"], "LP-14", "other fields kept");
    problem(patch(&ann, &app, &format!("/products/{}", id(&laptop)), json!({"name": "x"})).await, 403).await;
    problem(send(&ann, &app, Method::POST, "/products", Some(json!({"name": "x"}))).await, 403).await;
    problem(send(&ann, &app, Method::POST, "/price-lists", Some(json!({"name": "x", "currency": "USD"}))).await, 403)
        .await;
    // A second default list of a currency takes the default over.
    let wholesale =
        post(&admin, &app, "/price-lists", json!({"name": "Wholesale", "currency": "EUR", "is_default": true})).await;
    let lists = get(&admin, &app, "/price-lists").await;
    let defaults: Vec<&Value> = lists["data"].as_array().unwrap().iter().filter(|l| l["is_default"] == true).collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], wholesale["id"]);
}

both!(stock_receipts_and_won_deals_with_exact_margin);
async fn stock_receipts_and_won_deals_with_exact_margin(app: TestApp) {
    let admin = app.admin().await;
    app.user("head", "hal@example.com").await;
    app.user("manager", "ann@example.com").await;
    let hal = app.login("hal@example.com").await;
    let ann = app.login("ann@example.com").await;
    let eur = post(&admin, &app, "/price-lists", json!({"name": "Retail", "currency": "EUR"})).await;
    let a = post(
        &admin,
        &app,
        "/products",
        json!({"name": "Widget", "sku": "W-1", "unit": "pcs", "cost": "12.34", "cost_currency": "EUR",
               "prices": [{"price_list_id": eur["id"], "amount": "19.99"}]}),
    )
    .await;
    let b =
        post(&admin, &app, "/products", json!({"name": "Cable", "unit": "m", "cost": "6.10", "cost_currency": "EUR"}))
            .await;
    let (pa, pb) = (id(&a), id(&b));

    // Receipts (a head of sales may; a manager may not) and a validated adjustment.
    let m = post(
        &hal,
        &app,
        &format!("/products/{pa}/stock"),
        json!({"kind": "receipt", "quantity": "10", "note": "PO-1"}),
    )
    .await;
    assert_eq!((m["quantity"].as_str(), m["balance"].as_str()), (Some("10"), Some("10")));
    post(&admin, &app, &format!("/products/{pb}/stock"), json!({"kind": "receipt", "quantity": "5.5"})).await;
    let m =
        post(&admin, &app, &format!("/products/{pb}/stock"), json!({"kind": "adjustment", "quantity": "-0.5"})).await;
    assert_eq!(m["balance"], "5");
    problem(
        send(
            &ann,
            &app,
            Method::POST,
            &format!("/products/{pa}/stock"),
            Some(json!({"kind": "receipt", "quantity": 1})),
        )
        .await,
        403,
    )
    .await;
    let r = send(
        &admin,
        &app,
        Method::POST,
        &format!("/products/{pa}/stock"),
        Some(json!({"kind": "sale", "quantity": "-1.0000001"})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    assert_eq!(f, ["kind", "quantity"]);
    let r = send(
        &admin,
        &app,
        Method::POST,
        &format!("/products/{pa}/stock"),
        Some(json!({"kind": "receipt", "quantity": "-2"})),
    )
    .await;
    assert_eq!(fields(&problem(r, 422).await), ["quantity"]);
    assert_eq!(on_hand(&admin, &app, &pa).await, "10");

    // A deal with two product lines: the price comes from the price list, the name from the product.
    let deal = post(&admin, &app, "/deals", json!({"title": "Big order", "currency": "EUR"})).await;
    let did = id(&deal);
    let lines = json!({"items": [
        {"product_id": pa, "quantity": "3", "tax_pct": "20"},
        {"product_id": pb, "quantity": "2.5", "unit_price": "10.00", "tax_pct": "20"},
        {"name": "Delivery", "unit_price": "5.00"}
    ]});
    let d =
        ok(send(&admin, &app, Method::PUT, &format!("/deals/{did}/items"), Some(lines)).await, StatusCode::OK).await;
    assert_eq!((d["items"][0]["name"].as_str(), d["items"][0]["unit_price"].as_str()), (Some("Widget"), Some("19.99")));
    assert_eq!(d["items"][0]["unit"], "pcs");
    assert_eq!(d["items"][1]["unit"], "m");
    // revenue 59.97 + 25.00 + 5.00 = 89.97; cost 3 × 12.34 + 2.5 × 6.10 = 37.02 + 15.25 = 52.27.
    let mg = &d["margin"];
    assert_eq!(
        (mg["revenue"].as_str(), mg["cost"].as_str(), mg["margin"].as_str(), mg["margin_pct"].as_str()),
        (Some("89.97"), Some("52.27"), Some("37.70"), Some("41.90"))
    );
    assert_eq!(mg["complete"], true);
    assert_eq!(d["amount"], "106.96", "the amount is still the lines' total with tax");
    assert_eq!(on_hand(&admin, &app, &pa).await, "10", "an open deal takes nothing");

    // Won: both product lines leave stock in the same transaction as the move.
    let won = move_to(&admin, &app, &did, &stage(&admin, &app, "Won").await).await;
    assert_eq!(won["status"], "won");
    assert!(won.get("stock_warnings").is_none(), "{won}");
    assert_eq!(on_hand(&admin, &app, &pa).await, "7");
    assert_eq!(on_hand(&admin, &app, &pb).await, "2.5");
    let mv = get(&admin, &app, &format!("/products/{pa}/movements")).await;
    let rows: Vec<(String, String, String)> = mv["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().into(),
                m["quantity"].as_str().unwrap().into(),
                m["balance"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(rows, [("sale".into(), "-3".into(), "7".into()), ("receipt".into(), "10".into(), "10".into())]);
    assert_eq!(mv["data"][0]["deal_id"], did.as_str());
    // Moving between won and won again changes nothing; reopening gives the stock back.
    let reopened = move_to(&admin, &app, &did, &stage(&admin, &app, "Negotiation").await).await;
    assert_eq!(reopened["status"], "open");
    assert_eq!(on_hand(&admin, &app, &pa).await, "10");
    assert_eq!(on_hand(&admin, &app, &pb).await, "5");
    let mv = get(&admin, &app, &format!("/products/{pb}/movements")).await;
    let q: Vec<&str> = mv["data"].as_array().unwrap().iter().map(|m| m["quantity"].as_str().unwrap()).collect();
    assert_eq!(q, ["2.5", "-2.5", "-0.5", "5.5"]);
    // Won again, then a line changes: only the difference moves.
    move_to(&admin, &app, &did, &stage(&admin, &app, "Won").await).await;
    assert_eq!(on_hand(&admin, &app, &pa).await, "7");
    let lines = json!({"items": [{"product_id": pa, "quantity": "4"}, {"product_id": pb, "quantity": "2.5", "unit_price": "10"}]});
    ok(send(&admin, &app, Method::PUT, &format!("/deals/{did}/items"), Some(lines)).await, StatusCode::OK).await;
    assert_eq!(on_hand(&admin, &app, &pa).await, "6");

    // Stock may go below zero: the sale is recorded, and flagged on the deal and the product.
    let small = post(&admin, &app, "/deals", json!({"title": "Small", "currency": "EUR"})).await;
    let lines = json!({"items": [{"product_id": pb, "quantity": "7", "unit_price": "10"}]});
    ok(send(&admin, &app, Method::PUT, &format!("/deals/{}/items", id(&small)), Some(lines)).await, StatusCode::OK)
        .await;
    let won = move_to(&admin, &app, &id(&small), &stage(&admin, &app, "Won").await).await;
    assert_eq!(won["stock_warnings"][0]["product_id"], pb.as_str());
    assert_eq!(won["stock_warnings"][0]["on_hand"], "-4.5");
    let p = get(&admin, &app, &format!("/products/{pb}")).await;
    assert_eq!((p["on_hand"].as_str(), p["below_zero"].as_bool()), (Some("-4.5"), Some(true)));
    assert_eq!(names(&get(&admin, &app, "/products?below_zero=true").await), ["Cable"]);
    // Deleting a won deal gives its stock back.
    let r = send(&admin, &app, Method::DELETE, &format!("/deals/{}", id(&small)), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(on_hand(&admin, &app, &pb).await, "2.5");
}

both!(deal_lines_check_their_products);
async fn deal_lines_check_their_products(app: TestApp) {
    let admin = app.admin().await;
    let eur = post(&admin, &app, "/price-lists", json!({"name": "Retail", "currency": "EUR"})).await;
    let usd = post(&admin, &app, "/price-lists", json!({"name": "US", "currency": "USD"})).await;
    let old = post(&admin, &app, "/products", json!({"name": "Old", "active": false})).await;
    let priced = post(
        &admin,
        &app,
        "/products",
        json!({"name": "Priced", "cost": "1", "cost_currency": "USD",
               "prices": [{"price_list_id": usd["id"], "amount": "2.50"}, {"price_list_id": eur["id"], "amount": "2.00"}]}),
    )
    .await;
    let bare = post(&admin, &app, "/products", json!({"name": "Bare"})).await;
    let deal = post(&admin, &app, "/deals", json!({"title": "Lines", "currency": "USD"})).await;
    let path = format!("/deals/{}/items", id(&deal));
    let r = send(
        &admin,
        &app,
        Method::PUT,
        &path,
        Some(json!({"items": [{"product_id": old["id"], "unit_price": "1"}, {"product_id": uuid::Uuid::now_v7(), "unit_price": "1"},
                              {"product_id": bare["id"]}]})),
    )
    .await;
    let mut f = fields(&problem(r, 422).await);
    f.sort();
    // Lines whose product is unknown or inactive get no name from it either.
    assert_eq!(
        f,
        ["items[0].name", "items[0].product_id", "items[1].name", "items[1].product_id", "items[2].unit_price"]
    );
    // The price in the deal's currency is taken; a cost in the same currency makes the margin.
    let d = ok(
        send(&admin, &app, Method::PUT, &path, Some(json!({"items": [{"product_id": priced["id"], "quantity": 2}]})))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(d["items"][0]["unit_price"], "2.50");
    assert_eq!((d["margin"]["revenue"].as_str(), d["margin"]["margin"].as_str()), (Some("5.00"), Some("3.00")));
    // In EUR the cost (in USD) is unknown: the margin says it is incomplete.
    let eur_deal = post(&admin, &app, "/deals", json!({"title": "EUR", "currency": "EUR"})).await;
    let d = ok(
        send(
            &admin,
            &app,
            Method::PUT,
            &format!("/deals/{}/items", id(&eur_deal)),
            Some(json!({"items": [{"product_id": priced["id"]}]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(d["items"][0]["unit_price"], "2.00");
    assert_eq!(d["margin"]["complete"], false);
    assert_eq!(d["margin"]["lines_without_cost"][0], d["items"][0]["id"]);
}
