//! Custom field definitions, saved views and notifications.

use serde::Deserialize;
use uuid::Uuid;

use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::audit;
use crate::domain::client::opt_text;
use crate::domain::custom_field::{self, CustomFieldDef, ENTITIES, FieldType};
use crate::domain::filter::{self, Filter, FilterContext};
use crate::domain::user::parse_name;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::{Notification, SavedView};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFieldRequest {
    /// `contact`, `company` or `deal`.
    pub entity: String,
    pub key: String,
    pub label: String,
    /// text, long_text, number, money, date, datetime, select, multi_select, boolean, url,
    /// phone, email, user, reference.
    pub field_type: String,
    /// Choices (select, multi-select); `["contact"]` or `["company"]` for a reference.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub position: i32,
}

/// Label, choices, required and position can change; key, entity and type cannot (stored
/// values were validated for that type).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFieldRequest {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub position: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewRequest {
    /// `contact` or `company` (ignored on update).
    #[serde(default)]
    pub entity: Option<String>,
    pub name: String,
    /// Visible to everyone (otherwise only to you).
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub sort: Option<String>,
}

fn check_options(t: FieldType, options: &[String], p: &mut Problems) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, o) in options.iter().enumerate() {
        if let Some(o) = opt_text(&format!("options[{i}]"), Some(o), 100, false, p)
            && !out.contains(&o)
        {
            out.push(o);
        }
    }
    match t {
        FieldType::Select | FieldType::MultiSelect if out.is_empty() => {
            p.add("options", "a choice field needs at least one choice")
        }
        FieldType::Reference if !matches!(out.first().map(String::as_str), Some("contact" | "company")) => {
            p.add("options", "a reference says what it points at: [\"contact\"] or [\"company\"]")
        }
        _ => {}
    }
    out
}

impl Services {
    pub async fn list_custom_fields(&self, actor: &Actor, entity: Option<&str>) -> Result<Vec<CustomFieldDef>> {
        check_area(actor, Area::Directory, Action::Read)?;
        self.store.list_custom_fields(entity).await
    }

    pub async fn create_custom_field(&self, actor: &Actor, req: CreateFieldRequest) -> Result<CustomFieldDef> {
        check_area(actor, Area::Settings, Action::Create)?;
        let mut p = Problems::new();
        let entity = req.entity.trim().to_lowercase();
        if !ENTITIES.contains(&entity.as_str()) {
            p.add("entity", "must be contact, company, deal or lead");
        }
        let key = custom_field::parse_key("key", &req.key, &mut p);
        let label = p.check(parse_name("label", &req.label, 100));
        let field_type = FieldType::parse(&req.field_type);
        if field_type.is_none() {
            let all: Vec<&str> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
            p.add("field_type", format!("must be one of {}", all.join(", ")));
        }
        let options = field_type.map(|t| check_options(t, &req.options, &mut p)).unwrap_or_default();
        p.into_result()?;
        let (Some(key), Some(label), Some(field_type)) = (key, label, field_type) else {
            return Err(Error::invalid("body", "is invalid"));
        };
        let at = now();
        let def = CustomFieldDef {
            id: new_id(),
            version: 1,
            entity,
            key,
            label,
            field_type,
            options,
            required: req.required,
            position: req.position,
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "custom_field", def.id, audit::created(&to_json(&def)));
        self.store.insert_custom_field(&def, &audit).await?;
        self.forget_defs();
        Ok(def)
    }

    pub async fn update_custom_field(
        &self,
        actor: &Actor,
        id: Uuid,
        req: UpdateFieldRequest,
        if_match: Option<i64>,
    ) -> Result<CustomFieldDef> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self
            .store
            .list_custom_fields(None)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(Error::NotFound("custom field"))?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        let mut p = Problems::new();
        if let Some(l) = &req.label
            && let Some(l) = p.check(parse_name("label", l, 100))
        {
            next.label = l;
        }
        if let Some(o) = &req.options {
            next.options = check_options(next.field_type, o, &mut p);
        }
        if let Some(r) = req.required {
            next.required = r;
        }
        if let Some(pos) = req.position {
            next.position = pos;
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "custom_field", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_custom_field(&next, current.version, &audit).await?;
        self.forget_defs();
        Ok(next)
    }

    /// Deletes a definition. Values already stored stay in the records' JSON (visible in
    /// exports) but are no longer shown, filtered or validated.
    pub async fn delete_custom_field(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let current = self
            .store
            .list_custom_fields(None)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(Error::NotFound("custom field"))?;
        let audit = audit_entry(actor, "delete", "custom_field", id, audit::deleted(&to_json(&current)));
        self.store.delete_custom_field(id, &audit).await?;
        self.forget_defs();
        Ok(())
    }

    // ---------------- saved views ----------------

    pub async fn list_views(&self, actor: &Actor, entity: &str) -> Result<Vec<SavedView>> {
        self.store.list_views(entity, actor.user_id).await
    }

    async fn check_view(
        &self,
        actor: &Actor,
        entity: &str,
        req: &ViewRequest,
        p: &mut Problems,
    ) -> Result<Option<String>> {
        let name = p.check(parse_name("name", &req.name, 100));
        if let Some(f) = &req.filter {
            let defs = self.store.list_custom_fields(Some(entity)).await?;
            let ctx = FilterContext {
                entity,
                defs: &defs,
                me: actor.user_id,
                now: now(),
                region: self.settings.default_region,
            };
            if let Err(e) = filter::check(f, &ctx) {
                p.add(e.field, e.message);
            }
        }
        if let Some(s) = &req.sort
            && crate::domain::page::Sort::parse(
                "sort",
                Some(s),
                match entity {
                    "deal" => super::deals::SORTS,
                    "lead" => super::leads::SORTS,
                    _ => super::clients::SORTS,
                },
                "-updated_at",
            )
            .is_err()
        {
            p.add("sort", format!("cannot sort by `{s}`"));
        }
        if req.columns.len() > 40 {
            p.add("columns", "at most 40 columns");
        }
        Ok(name)
    }

    pub async fn create_view(&self, actor: &Actor, req: ViewRequest) -> Result<SavedView> {
        let mut p = Problems::new();
        let entity = req.entity.clone().unwrap_or_default().trim().to_lowercase();
        if !ENTITIES.contains(&entity.as_str()) {
            p.add("entity", "must be contact, company, deal or lead");
        }
        let name = self.check_view(actor, &entity, &req, &mut p).await?;
        p.into_result()?;
        let at = now();
        let view = SavedView {
            id: new_id(),
            version: 1,
            entity,
            name: name.unwrap_or_default(),
            owner_id: actor.user_id,
            shared: req.shared,
            filter: req.filter,
            columns: req.columns,
            sort: req.sort,
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "view", view.id, audit::created(&to_json(&view)));
        self.store.insert_view(&view, &audit).await?;
        Ok(view)
    }

    async fn own_view(&self, actor: &Actor, id: Uuid) -> Result<SavedView> {
        let v = self.store.get_view(id).await?.ok_or(Error::NotFound("view"))?;
        if v.owner_id == actor.user_id || check_area(actor, Area::Settings, Action::Update).is_ok() {
            Ok(v)
        } else if v.shared {
            Err(Error::Forbidden("only the view's author or an administrator can change it".into()))
        } else {
            Err(Error::NotFound("view"))
        }
    }

    pub async fn get_view(&self, actor: &Actor, id: Uuid) -> Result<SavedView> {
        match self.store.get_view(id).await? {
            Some(v) if v.shared || v.owner_id == actor.user_id => Ok(v),
            _ => Err(Error::NotFound("view")),
        }
    }

    pub async fn update_view(
        &self,
        actor: &Actor,
        id: Uuid,
        req: ViewRequest,
        if_match: Option<i64>,
    ) -> Result<SavedView> {
        let current = self.own_view(actor, id).await?;
        check_version(if_match, current.version)?;
        let mut p = Problems::new();
        let name = self.check_view(actor, &current.entity, &req, &mut p).await?;
        p.into_result()?;
        let mut next = SavedView {
            name: name.unwrap_or_default(),
            shared: req.shared,
            filter: req.filter,
            columns: req.columns,
            sort: req.sort,
            ..current.clone()
        };
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "view", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_view(&next, current.version, &audit).await?;
        Ok(next)
    }

    pub async fn delete_view(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let current = self.own_view(actor, id).await?;
        let audit = audit_entry(actor, "delete", "view", id, audit::deleted(&to_json(&current)));
        self.store.delete_view(id, &audit).await
    }

    // ---------------- notifications ----------------

    pub async fn notifications(&self, actor: &Actor, unread_only: bool, limit: u32) -> Result<Vec<Notification>> {
        self.store.list_notifications(actor.user_id, unread_only, limit.clamp(1, 200)).await
    }

    pub async fn unread_count(&self, actor: &Actor) -> Result<i64> {
        self.store.count_unread(actor.user_id).await
    }

    pub async fn mark_read(&self, actor: &Actor, ids: &[Uuid]) -> Result<u64> {
        self.store.mark_read(actor.user_id, ids, now()).await
    }
}
