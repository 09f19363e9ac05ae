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
