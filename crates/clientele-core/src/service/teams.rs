use serde::Deserialize;
use uuid::Uuid;

use super::users::{double_option, to_json};
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::team::{Team, would_cycle};
use crate::domain::user;
use crate::domain::{audit, new_id, now};
use crate::error::{Error, Problems, Result};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateTeamRequest {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateTeamRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

impl Services {
    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<Team>> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.store.list_teams().await
    }

    pub async fn get_team(&self, actor: &Actor, id: Uuid) -> Result<Team> {
        self.list_teams(actor).await?.into_iter().find(|t| t.id == id).ok_or(Error::NotFound("team"))
    }

    pub async fn create_team(&self, actor: &Actor, req: CreateTeamRequest) -> Result<Team> {
        check_area(actor, Area::ManageUsers, Action::Create)?;
        let teams = self.store.list_teams().await?;
        let mut p = Problems::new();
        let name = p.check(user::parse_name("name", &req.name, 120));
        if let Some(parent) = req.parent_id
            && !teams.iter().any(|t| t.id == parent)
        {
            p.add("parent_id", "no such team");
        }
        if let Some(n) = &name
            && teams.iter().any(|t| t.name.eq_ignore_ascii_case(n))
        {
            p.add("name", "a team with this name already exists");
        }
        p.into_result()?;
        let at = now();
        let team = Team {
            id: new_id(),
            version: 1,
            name: name.unwrap_or_default(),
            parent_id: req.parent_id,
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "team", team.id, audit::created(&to_json(&team)));
        self.store.insert_team(&team, &audit).await?;
        self.forget_actors();
        Ok(team)
    }

    pub async fn update_team(
        &self,
        actor: &Actor,
        id: Uuid,
        req: UpdateTeamRequest,
        if_match: Option<i64>,
    ) -> Result<Team> {
        check_area(actor, Area::ManageUsers, Action::Update)?;
        let teams = self.store.list_teams().await?;
        let current = teams.iter().find(|t| t.id == id).cloned().ok_or(Error::NotFound("team"))?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        let mut p = Problems::new();
        if let Some(n) = &req.name
            && let Some(n) = p.check(user::parse_name("name", n, 120))
        {
            if teams.iter().any(|t| t.id != id && t.name.eq_ignore_ascii_case(&n)) {
                p.add("name", "a team with this name already exists");
            }
            next.name = n;
        }
        if let Some(parent) = req.parent_id {
            if let Some(pid) = parent {
                if !teams.iter().any(|t| t.id == pid) {
                    p.add("parent_id", "no such team");
                } else if would_cycle(&teams, id, pid) {
                    p.add("parent_id", "a team cannot be placed under itself or one of its sub-teams");
                }
            }
            next.parent_id = parent;
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "team", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_team(&next, current.version, &audit).await?;
        self.forget_actors();
        Ok(next)
    }

    pub async fn delete_team(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        check_area(actor, Area::ManageUsers, Action::Delete)?;
        let current = self.get_team(actor, id).await?;
        check_version(if_match, current.version)?;
        let audit = audit_entry(actor, "delete", "team", id, audit::deleted(&to_json(&current)));
        self.store.delete_team(id, if_match, &audit).await?;
        self.forget_actors();
        Ok(())
    }
}
