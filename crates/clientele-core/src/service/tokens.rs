use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::users::to_json;
use super::{Services, audit_entry};
use crate::authz::{Action, Actor, ActorKind, Area, check_area};
use crate::domain::auth::ApiToken;
use crate::domain::secret::{new_api_token, token_hash};
use crate::domain::{audit, new_id, now, user};
use crate::error::{Error, Problems, Result};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateTokenRequest {
    pub name: String,
    /// Days until the token stops working; absent = never expires.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// A freshly created token: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`. Shown once; store it now.
    pub secret: String,
}

impl Services {
    /// Creates an API token for the actor themself (tokens act with their owner's rights).
    /// A token cannot mint further tokens: that needs a signed-in session or the CLI.
    pub async fn create_token(&self, actor: &Actor, req: CreateTokenRequest) -> Result<CreatedToken> {
        if actor.kind == ActorKind::ApiToken {
            return Err(Error::Forbidden("an API token cannot create further tokens; sign in to do that".into()));
        }
        let mut p = Problems::new();
        let name = p.check(user::parse_name("name", &req.name, 100));
        if let Some(d) = req.expires_in_days
            && !(1..=3650).contains(&d)
        {
            p.add("expires_in_days", "must be between 1 and 3650");
        }
        p.into_result()?;
        let (secret, prefix) = new_api_token();
        let at = now();
        let token = ApiToken {
            id: new_id(),
            version: 1,
            user_id: actor.user_id,
            name: name.unwrap_or_default(),
            prefix,
            created_at: at,
            updated_at: at,
            last_used_at: None,
            expires_at: req.expires_in_days.map(|d| at + Duration::days(d)),
            revoked_at: None,
        };
        let audit = audit_entry(actor, "create", "api_token", token.id, audit::created(&to_json(&token)));
        self.store.insert_token(&token, &token_hash(&secret), &audit).await?;
        Ok(CreatedToken { token, secret })
    }

    /// The actor's own tokens; administrators may ask for everyone's.
    pub async fn list_tokens(&self, actor: &Actor, all_users: bool) -> Result<Vec<ApiToken>> {
        if all_users {
            check_area(actor, Area::ManageUsers, Action::Read)?;
            return self.store.list_tokens(None).await;
        }
        self.store.list_tokens(Some(actor.user_id)).await
    }

    /// Revokes a token. Owners revoke their own; administrators revoke anyone's. Someone
    /// else's token is "not found" for everybody else.
    pub async fn revoke_token(&self, actor: &Actor, id: Uuid) -> Result<ApiToken> {
        let token = self.store.get_token(id).await?.ok_or(Error::NotFound("api token"))?;
        if token.user_id != actor.user_id && check_area(actor, Area::ManageUsers, Action::Delete).is_err() {
            return Err(Error::NotFound("api token"));
        }
        if token.revoked_at.is_some() {
            return Ok(token);
        }
        let at = now();
        let audit =
            audit_entry(actor, "revoke", "api_token", id, serde_json::json!({"revoked_at": {"old": null, "new": at}}));
        self.store.revoke_token(id, at, &audit).await?;
        self.forget_actors();
        self.store.get_token(id).await?.ok_or(Error::NotFound("api token"))
    }
}
