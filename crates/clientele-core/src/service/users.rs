use serde::Deserialize;
use uuid::Uuid;

use super::auth::hash_blocking;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::audit;
use crate::domain::page::{Page, PageRequest};
use crate::domain::secret::NewPassword;
use crate::domain::user::{self, Role, User, UserWithSecret};
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateUserRequest {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: String,
    #[serde(default)]
    pub team_id: Option<Uuid>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// A partial update: absent fields stay as they are. `team_id: null` removes the team.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateUserRequest {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub locale: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub active: Option<bool>,
}

/// Tells "field absent" (`None`) from "field set to null" (`Some(None)`).
pub fn double_option<'de, D, T>(de: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

impl Services {
    /// Creates a user. Administrators only (or the system: CLI and first start).
    pub async fn create_user(&self, actor: &Actor, req: CreateUserRequest) -> Result<User> {
        check_area(actor, Area::ManageUsers, Action::Create)?;
        let mut p = Problems::new();
        let email = p.check(user::parse_email("email", &req.email));
        let name = p.check(user::parse_name("name", &req.name, 200));
        let role = p.check(user::parse_role("role", &req.role));
        let password = p.check(NewPassword::parse("password", &req.password));
        let locale = p.check(user::parse_locale("locale", req.locale.as_deref().unwrap_or(""))).flatten();
        let time_zone = p.check(user::parse_time_zone("time_zone", req.time_zone.as_deref().unwrap_or("")));
        if let Some(team) = req.team_id
            && !self.store.list_teams().await?.iter().any(|t| t.id == team)
        {
            p.add("team_id", "no such team");
        }
        p.into_result()?;
        let (Some(email), Some(name), Some(role), Some(password), Some(time_zone)) =
            (email, name, role, password, time_zone)
        else {
            return Err(Error::invalid("request", "is invalid"));
        };
        if self.store.get_user_with_secret(email.as_str()).await?.is_some() {
            return Err(Error::conflict("email", format!("a user with e-mail {email} already exists")));
        }
        let password_hash = hash_blocking(password).await?;
        let at = now();
        let user = User {
            id: new_id(),
            version: 1,
            email: email.to_string(),
            name,
            role,
            team_id: req.team_id,
            locale,
            time_zone,
            active: true,
            last_login_at: None,
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "user", user.id, audit::created(&to_json(&user)));
        self.store.insert_user(&UserWithSecret { user: user.clone(), password_hash }, &audit).await?;
        Ok(user)
    }

    pub async fn list_users(&self, actor: &Actor, page: &PageRequest, q: Option<&str>) -> Result<Page<User>> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.store.list_users(page, q.map(str::trim).filter(|s| !s.is_empty())).await
    }

    pub async fn get_user(&self, actor: &Actor, id: Uuid) -> Result<User> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.store.get_user(id).await?.ok_or(Error::NotFound("user"))
    }

    /// Changes a user. Administrators change anyone; a user may change their own name,
    /// locale and time zone (not their role, e-mail, team or status).
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: Uuid,
        req: UpdateUserRequest,
        if_match: Option<i64>,
    ) -> Result<User> {
        let is_self = actor.user_id == id;
        let admin_fields = req.email.is_some() || req.role.is_some() || req.team_id.is_some() || req.active.is_some();
        if !is_self || admin_fields {
            check_area(actor, Area::ManageUsers, Action::Update)?;
        }
        let current = self.store.get_user(id).await?.ok_or(Error::NotFound("user"))?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        let mut p = Problems::new();
        if let Some(n) = &req.name
            && let Some(n) = p.check(user::parse_name("name", n, 200))
        {
            next.name = n;
        }
        if let Some(e) = &req.email
            && let Some(e) = p.check(user::parse_email("email", e))
        {
            next.email = e.to_string();
        }
        if let Some(r) = &req.role
            && let Some(r) = p.check(user::parse_role("role", r))
        {
            next.role = r;
        }
        if let Some(l) = &req.locale
            && let Some(l) = p.check(user::parse_locale("locale", l.as_deref().unwrap_or("")))
        {
            next.locale = l;
        }
        if let Some(tz) = &req.time_zone
            && let Some(tz) = p.check(user::parse_time_zone("time_zone", tz))
        {
            next.time_zone = tz;
        }
        if let Some(team) = req.team_id {
            if let Some(t) = team
                && !self.store.list_teams().await?.iter().any(|x| x.id == t)
            {
                p.add("team_id", "no such team");
            }
            next.team_id = team;
        }
        if let Some(a) = req.active {
            next.active = a;
        }
        if is_self && (next.role != Role::Admin || !next.active) && current.role == Role::Admin {
            p.add("role", "you cannot remove your own administrator rights or deactivate yourself");
        }
        p.into_result()?;
        if next.email != current.email && self.store.get_user_with_secret(&next.email).await?.is_some() {
            return Err(Error::conflict("email", format!("a user with e-mail {} already exists", next.email)));
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "user", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_user(&next, current.version, &audit).await?;
        self.forget_actors();
        if !next.active {
            self.store.delete_user_sessions(id, None).await?;
        }
        Ok(next)
    }

    /// Sets another user's password (administrators), signing them out everywhere.
    pub async fn reset_password(&self, actor: &Actor, id: Uuid, new: &str) -> Result<()> {
        check_area(actor, Area::ManageUsers, Action::Update)?;
        let user = self.store.get_user(id).await?.ok_or(Error::NotFound("user"))?;
        let pw = NewPassword::parse("password", new).map_err(|e| Error::Validation(vec![e]))?;
        let hash = hash_blocking(pw).await?;
        let audit = audit_entry(actor, "password_reset", "user", user.id, serde_json::json!({}));
        self.store.set_password_hash(user.id, &hash, now(), &audit).await?;
        self.store.delete_user_sessions(user.id, None).await?;
        Ok(())
    }

    /// Finds a user by e-mail (CLI).
    pub async fn find_user_by_email(&self, actor: &Actor, email: &str) -> Result<User> {
        check_area(actor, Area::Directory, Action::Read)?;
        let email = user::parse_email("email", email).map_err(|e| Error::Validation(vec![e]))?;
        Ok(self.store.get_user_with_secret(email.as_str()).await?.ok_or(Error::NotFound("user"))?.user)
    }

    pub async fn count_users(&self) -> Result<i64> {
        self.store.count_users().await
    }
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
