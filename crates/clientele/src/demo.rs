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

/// Generates `scale` contacts owned by the demo sales people.
pub async fn generate_clients(
    services: &Services,
    store: &clientele_store::SqlStore,
    scale: usize,
    region: &str,
    seed: u64,
) -> anyhow::Result<(usize, usize)> {
    let actor = Actor::system("demo");
    let page = clientele_core::domain::page::PageRequest::parse(Some(500), None, Some("name"), &["name"], "name")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let owners: Vec<Uuid> = services
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
        .collect();
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
                let req = PaymentRequest { kind: "actual".into(), date: None, amount: json!(amount), note: None };
                services.add_payment(&actor, id, req).await?;
            }
        }
        made += 1;
    }
    Ok(made)
}
