//! Demo data: a small, realistic workspace so the first screen a newcomer sees is alive.

use clientele_core::authz::Actor;
use clientele_core::service::{CreateTeamRequest, CreateUserRequest, Services};
use uuid::Uuid;

/// Every demo account uses this password (demo databases only).
pub const DEMO_PASSWORD: &str = "demo-password";

pub struct DemoLogin {
    pub email: &'static str,
    pub name: &'static str,
    pub role: &'static str,
}

pub const DEMO_USERS: &[DemoLogin] = &[
    DemoLogin { email: "admin@clientele.test", name: "Alice Martin", role: "admin" },
    DemoLogin { email: "head@clientele.test", name: "Boris Petrov", role: "head" },
    DemoLogin { email: "maria@clientele.test", name: "Мария Иванова", role: "manager" },
    DemoLogin { email: "minjun@clientele.test", name: "김민준", role: "manager" },
    DemoLogin { email: "claire@clientele.test", name: "Claire Dubois", role: "readonly" },
];

/// Creates the demo teams and users unless they already exist. Returns how many users were
/// created.
pub async fn seed(services: &Services) -> anyhow::Result<usize> {
    let actor = Actor::system("demo");
    let sales = ensure_team(services, &actor, "Sales", None).await?;
    let east = ensure_team(services, &actor, "Sales East", Some(sales)).await?;
    let west = ensure_team(services, &actor, "Sales West", Some(sales)).await?;
    let mut created = 0;
    for (i, d) in DEMO_USERS.iter().enumerate() {
        if services.find_user_by_email(&actor, d.email).await.is_ok() {
            continue;
        }
        let team = match i {
            1 => Some(sales),
            2 => Some(east),
            3 => Some(west),
            _ => None,
        };
        let locale = match i {
            2 => Some("ru".to_owned()),
            3 => Some("ko".to_owned()),
            4 => Some("fr".to_owned()),
            _ => None,
        };
        let tz = match i {
            2 => "Europe/Moscow",
            3 => "Asia/Seoul",
            4 => "Europe/Paris",
            _ => "Europe/Sofia",
        };
        services
            .create_user(
                &actor,
                CreateUserRequest {
                    email: d.email.into(),
                    name: d.name.into(),
                    role: d.role.into(),
                    password: DEMO_PASSWORD.into(),
                    team_id: team,
                    locale,
                    time_zone: Some(tz.into()),
                },
            )
            .await?;
        created += 1;
    }
    Ok(created)
}

async fn ensure_team(services: &Services, actor: &Actor, name: &str, parent: Option<Uuid>) -> anyhow::Result<Uuid> {
    if let Some(t) = services.list_teams(actor).await?.into_iter().find(|t| t.name == name) {
        return Ok(t.id);
    }
    Ok(services.create_team(actor, CreateTeamRequest { name: name.into(), parent_id: parent }).await?.id)
}

/// Whether the client base already has anyone in it.
pub async fn has_clients(services: &Services) -> anyhow::Result<bool> {
    let req = clientele_core::service::ListRequest { limit: Some(1), ..Default::default() };
    Ok(!services.list_contacts(&Actor::system("demo"), &req).await?.data.is_empty())
}

/// The demo sales people (managers and heads), who own the generated records.
async fn sales_people(services: &Services) -> anyhow::Result<Vec<Uuid>> {
    let actor = Actor::system("demo");
    let page = clientele_core::domain::page::PageRequest::parse(Some(500), None, Some("name"), &["name"], "name")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(services
        .list_users(&actor, &page, None)
        .await?
        .data
        .into_iter()
        .filter(|u| {
            u.active
                && matches!(
                    u.role,
                    clientele_core::domain::user::Role::Manager | clientele_core::domain::user::Role::Head
                )
        })
        .map(|u| u.id)
        .collect())
}

/// `n` open deals in the first pipeline, written in bulk (benchmarks of the board).
pub async fn generate_bulk_deals(
    services: &Services,
    store: &clientele_store::SqlStore,
    n: usize,
) -> anyhow::Result<usize> {
    let actor = Actor::system("demo");
    let Some(pipeline) = services.list_pipelines(&actor).await?.into_iter().find(|p| !p.archived) else {
        return Ok(0);
    };
    Ok(store.generate_demo_deals(&pipeline, &sales_people(services).await?, n).await?)
}

/// Generates `scale` contacts owned by the demo sales people.
pub async fn generate_clients(
    services: &Services,
    store: &clientele_store::SqlStore,
    scale: usize,
    region: &str,
    seed: u64,
) -> anyhow::Result<(usize, usize)> {
    let owners = sales_people(services).await?;
    crate::demo_data::generate(services, store, scale, &owners, region, seed).await
}

/// Titles of demo deals (the company or person is added to each).
const DEAL_TITLES: &[&str] = &[
    "CRM roll-out",
    "Annual licence",
    "Поставка серверов",
    "Консалтинг",
    "Support contract",
    "Formation équipe",
    "클라우드 이전",
    "Website redesign",
    "Office equipment",
    "Renewal 2027",
];

/// Creates `count` deals over the first pipeline's stages for contacts of the demo base: some
/// with line items and payments, some moved on, won or lost, so the board, the cards and the
/// stage history have something to show. Does nothing when deals exist already.
pub async fn generate_deals(services: &Services, count: usize) -> anyhow::Result<usize> {
    use clientele_core::domain::deal::StageKind;
    use clientele_core::service::{DealInput, DealItemInput, ItemsRequest, ListRequest, MoveRequest, PaymentRequest};
    use serde_json::json;

    let actor = Actor::system("demo");
    if !services.list_deals(&actor, &ListRequest { limit: Some(1), ..Default::default() }).await?.data.is_empty() {
        return Ok(0);
    }
    let Some(pipeline) = services.list_pipelines(&actor).await?.into_iter().find(|p| !p.archived) else {
        return Ok(0);
    };
    let open: Vec<_> = pipeline.stages.iter().filter(|s| s.kind == StageKind::Open).map(|s| s.id).collect();
    let won = pipeline.stages.iter().find(|s| s.kind == StageKind::Won).map(|s| s.id);
    let lost = pipeline.stages.iter().find(|s| s.kind == StageKind::Lost).map(|s| s.id);
    let reason = services.list_loss_reasons(&actor, false).await?.first().map(|r| r.id);
    let contacts = services.list_contacts(&actor, &ListRequest { limit: Some(200), ..Default::default() }).await?.data;
    let currencies = ["EUR", "EUR", "EUR", "USD", "RUB"];
    let mut made = 0;
    for (i, c) in contacts.iter().take(count).enumerate() {
        let currency = currencies[i % currencies.len()];
        let input = DealInput {
            title: Some(format!("{} · {}", DEAL_TITLES[i % DEAL_TITLES.len()], c.display_name)),
            pipeline_id: Some(pipeline.id),
            stage_id: open.first().copied(),
            amount: Some(json!(format!("{}.00", 500 + (i * 7_919) % 40_000))),
            currency: Some(currency.into()),
            expected_close_date: chrono::Utc::now().date_naive().checked_add_days(chrono::Days::new((i % 60) as u64)),
            source: Some(["website", "referral", "cold_call", "email", "event"][i % 5].into()),
            contact_id: Some(c.id),
            company_id: c.company_id,
            owner_id: c.owner_id,
            tags: if i % 4 == 0 { vec!["vip".into()] } else { vec![] },
            ..Default::default()
        };
        let deal = services.create_deal(&actor, input).await?;
        let id = deal.deal.id;
        if i % 3 == 0 {
            let items = vec![
                DealItemInput {
                    name: Some("Licence (per user, year)".into()),
                    product_id: None,
                    quantity: Some(json!(format!("{}", 5 + i % 20))),
                    unit: Some("pcs".into()),
                    unit_price: Some(json!("240.00")),
                    discount_pct: Some(json!(if i % 2 == 0 { "10" } else { "0" })),
                    tax_pct: Some(json!("20")),
                },
                DealItemInput {
                    name: Some("Onboarding".into()),
                    product_id: None,
                    quantity: Some(json!("8")),
                    unit: Some("h".into()),
                    unit_price: Some(json!("95.00")),
                    discount_pct: None,
                    tax_pct: Some(json!("20")),
                },
            ];
            services.replace_items(&actor, id, ItemsRequest { items }, None).await?;
        }
        // Walk the deal along the stages: most stay open somewhere, some are won or lost.
        let steps = i % (open.len() + 2);
        for s in open.iter().skip(1).take(steps) {
            let req = MoveRequest { stage_id: *s, pipeline_id: None, loss_reason_id: None, loss_note: None };
            services.move_deal(&actor, id, req, None).await?;
        }
        if steps > open.len() {
            let (target, loss) = if i % 2 == 0 { (won, None) } else { (lost, reason) };
            if let Some(t) = target {
                let req = MoveRequest { stage_id: t, pipeline_id: None, loss_reason_id: loss, loss_note: None };
                services.move_deal(&actor, id, req, None).await?;
            }
            if i % 2 == 0 {
                let amount = services.get_deal(&actor, id).await?.deal.amount;
                let req = PaymentRequest {
                    kind: "actual".into(),
                    date: None,
                    amount: json!(amount),
                    note: None,
                    invoice_id: None,
                };
                services.add_payment(&actor, id, req).await?;
            }
        }
        made += 1;
    }
    Ok(made)
}

/// A small catalogue (categories, a price list, products with stock) and a few leads, unless
/// the catalogue already has products.
pub async fn seed_catalogue(services: &Services) -> anyhow::Result<()> {
    use clientele_core::domain::lead::LeadInput;
    use clientele_core::service::{
        CategoryRequest, PriceInput, PriceListRequest, ProductInput, ProductListRequest, StockRequest,
    };
    use serde_json::json;
    let actor = Actor::system("demo");
    let any = ProductListRequest { limit: Some(1), ..Default::default() };
    if !services.list_products(&actor, &any).await?.data.is_empty() {
        return Ok(());
    }
    let cat = |name: &str, parent: Option<Uuid>| CategoryRequest {
        name: Some(name.into()),
        parent_id: parent.map(|p| json!(p)),
        position: None,
    };
    let hardware = services.create_category(&actor, cat("Hardware", None)).await?.id;
    let laptops = services.create_category(&actor, cat("Laptops", Some(hardware))).await?.id;
    let services_cat = services.create_category(&actor, cat("Services", None)).await?.id;
    let eur = services
        .create_price_list(
            &actor,
            PriceListRequest { name: Some("Retail EUR".into()), currency: Some("EUR".into()), is_default: Some(true) },
        )
        .await?
        .id;
    let usd = services
        .create_price_list(
            &actor,
            PriceListRequest { name: Some("Retail USD".into()), currency: Some("USD".into()), is_default: Some(true) },
        )
        .await?
        .id;
    // name, SKU, unit, category, cost, EUR price, USD price, opening stock
    let items = [
        ("Laptop Pro 14", "LP-14", "pcs", laptops, "820.00", "1199.00", "1290.00", "12"),
        ("Laptop Air 13", "LA-13", "pcs", laptops, "610.00", "899.00", "979.00", "20"),
        ("USB-C dock", "DOCK-1", "pcs", hardware, "54.30", "119.00", "129.00", "35"),
        ("Network cable", "CAB-CAT6", "m", hardware, "0.42", "1.20", "1.30", "500"),
        ("Installation", "SRV-INST", "h", services_cat, "35.00", "90.00", "99.00", ""),
    ];
    for (name, sku, unit, category, cost, eur_price, usd_price, stock) in items {
        let p = services
            .create_product(
                &actor,
                ProductInput {
                    name: Some(name.into()),
                    sku: Some(sku.into()),
                    unit: Some(unit.into()),
                    category_id: Some(category),
                    cost: Some(json!(cost)),
                    cost_currency: Some("EUR".into()),
                    prices: vec![
                        PriceInput { price_list_id: eur, amount: json!(eur_price) },
                        PriceInput { price_list_id: usd, amount: json!(usd_price) },
                    ],
                    ..ProductInput::default()
                },
            )
            .await?;
        if !stock.is_empty() {
            let req =
                StockRequest { kind: "receipt".into(), quantity: json!(stock), note: Some("Opening stock".into()) };
            services.add_stock(&actor, p.id, req).await?;
        }
    }
    let managers: Vec<Uuid> = {
        let mut v = Vec::new();
        for email in ["maria@clientele.test", "minjun@clientele.test"] {
            if let Ok(u) = services.find_user_by_email(&actor, email).await {
                v.push(u.id);
            }
        }
        v
    };
    let leads = [
        json!({"name": "Дмитрий Соколов", "company_name": "ООО Ромашка", "phones": ["+7 495 555-01-02"], "source": "website",
               "utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "spring", "temperature": "hot"}),
        json!({"name": "Sophie Laurent", "emails": ["sophie@atelier-laurent.fr"], "source": "web_form",
               "landing_page": "https://example.com/pricing", "temperature": "warm"}),
        json!({"company_name": "Hanbit Logistics", "phones": ["+82 2-312-3456"], "source": "referral", "temperature": "cold"}),
        json!({"name": "Georgi Dimitrov", "emails": ["georgi@gmail.com"], "source": "cold_call", "status": "in_progress"}),
        json!({"name": "Tom Baker", "company_name": "Baker & Sons", "source": "event", "status": "disqualified",
               "disqualify_reason": "Looking for a free tool"}),
    ];
    for (i, l) in leads.into_iter().enumerate() {
        let mut input: LeadInput = serde_json::from_value(l)?;
        input.owner_id = managers.get(i % managers.len().max(1)).copied();
        services.create_lead(&actor, input).await?;
    }
    Ok(())
}

/// Tasks, calls and comments on the demo deals (some tasks overdue, some today, some ahead),
/// so the task list, the calendar and the cards' timelines have something to show. Does
/// nothing when tasks exist already.
pub async fn generate_activity(services: &Services, count: usize) -> anyhow::Result<usize> {
    use clientele_core::domain::activity::ActivityInput;
    use clientele_core::domain::task::{Related, RelatedType, TaskInput};
    use clientele_core::service::{CommentRequest, ListRequest, TaskListRequest};

    let actor = Actor::system("demo");
    if !services.list_tasks(&actor, &TaskListRequest { limit: Some(1), ..Default::default() }).await?.data.is_empty() {
        return Ok(0);
    }
    let deals = services.list_deals(&actor, &ListRequest { limit: Some(200), ..Default::default() }).await?.data;
    let now = chrono::Utc::now();
    let mut made = 0;
    for (i, d) in deals.iter().filter(|d| d.owner_id.is_some()).take(count).enumerate() {
        let related = Some(Related { kind: RelatedType::Deal, id: d.id });
        let call = ActivityInput {
            kind: Some("call".into()),
            direction: Some(if i % 3 == 0 { "inbound" } else { "outbound" }.into()),
            result: Some(["connected", "no_answer", "connected", "voicemail"][i % 4].into()),
            duration_seconds: Some(60 + (i as i32 * 47) % 900),
            subject: Some(
                ["Discussed the offer", "Asked about delivery dates", "Follow-up on the quote", "Price question"]
                    [i % 4]
                    .into(),
            ),
            occurred_at: Some((now - chrono::Duration::hours(2 + (i as i64 * 5) % 200)).to_rfc3339()),
            related,
            ..Default::default()
        };
        services.log_activity(&actor, call).await?;
        // Due from three days ago to ten days ahead, in working hours.
        let day = now.date_naive() + chrono::Duration::days((i as i64 % 14) - 3);
        let due = format!("{}T{:02}:{}", day, 9 + i % 8, if i % 2 == 0 { "00" } else { "30" });
        let task = TaskInput {
            title: Some(
                ["Call back about the offer", "Send the quote", "Meeting: contract review", "Prepare the invoice"]
                    [i % 4]
                    .into(),
            ),
            kind: Some(["call", "email", "meeting", "todo"][i % 4].into()),
            due_at: Some(due),
            duration_minutes: Some(if i % 4 == 2 { 60 } else { 30 }),
            reminders: Some(vec![15]),
            assignee_id: d.owner_id,
            related,
            ..Default::default()
        };
        services.create_task(&actor, task).await?;
        if i % 3 == 0 {
            let body =
                "The client asked for **net 30** payment terms.\n- check with finance\n- update the quote".to_owned();
            services.add_comment(&actor, CommentRequest { related, body }).await?;
        }
        made += 1;
    }
    Ok(made)
}
