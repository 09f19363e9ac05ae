//! Use cases of the client base: contacts and companies, contact persons, duplicates and
//! merge, search, ownership transfers, personal data export and erasure.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{
    Action, Actor, ActorKind, Area, Ownership, RecordKind, Scope, check_area, check_create, check_record, scope,
};
use crate::domain::audit;
use crate::domain::client::{
    Company, CompanyInput, CompanyLink, Contact, ContactInput, RecordMeta, merge_patch, parse_role, search_terms,
};
use crate::domain::custom_field::{CustomFieldDef, FieldType};
use crate::domain::filter::{self, Filter, FilterContext};
use crate::domain::page::{Page, PageRequest, RawPage};
use crate::domain::phone::{PhoneParse, parse_phone, reversed_digits};
use crate::domain::{new_id, now};
use crate::error::{Error, FieldError, Problems, Result};
use crate::store::{ListSpec, Notification, PhoneQuery, SearchHit};

pub const SORTS: &[&str] = &["updated_at", "created_at", "name"];

/// Custom field types a list can be sorted by (one comparable value each).
pub fn sortable(t: FieldType) -> bool {
    !matches!(t, FieldType::Boolean | FieldType::MultiSelect)
}

/// A list request as it arrives (query parameters or a saved view).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ListRequest {
    /// Free text: names, e-mails, phones, company, tax number (prefix match).
    pub q: Option<String>,
    /// A filter as JSON, e.g. `{"field":"lifecycle","op":"eq","value":"customer"}`.
    pub filter: Option<String>,
    /// A saved view whose filter and sort apply (explicit parameters win).
    pub view: Option<Uuid>,
    /// `updated_at` (default `-updated_at`), `created_at` or `name`; `-` for descending.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `true` lists deleted records (the trash) instead.
    #[serde(default)]
    pub deleted: bool,
}

/// A contact with the companies it belongs to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    #[serde(flatten)]
    pub contact: Contact,
    pub company_links: Vec<CompanyLink>,
}

/// A company with its contact persons.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyView {
    #[serde(flatten)]
    pub company: Company,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub contact_id: Uuid,
    /// director, chief_accountant, lawyer, secretary, buyer, or a word of your own.
    #[serde(default)]
    pub role: Option<String>,
    /// Make this the person's primary company.
    #[serde(default)]
    pub is_primary: bool,
}

/// Merge `loser` into `survivor`. `prefer` names the fields whose value is taken from the
/// loser; phones, e-mails and tags are always united; everything linked moves to the
/// survivor; the loser is kept (deleted, `merged_into` the survivor) with its history.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub survivor_id: Uuid,
    pub loser_id: Uuid,
    #[serde(default)]
    pub prefer: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub contacts: Vec<SearchHit>,
    pub companies: Vec<SearchHit>,
}

pub(super) fn parse_input<T: serde::de::DeserializeOwned>(v: Value) -> Result<T> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        if let Some(unknown) = msg.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
            let field = if path == "." || path == unknown {
                unknown.to_owned()
            } else if path.ends_with(&format!(".{unknown}")) {
                path
            } else {
                format!("{path}.{unknown}")
            };
            return Error::invalid(field, "is not a field of this record");
        }
        let field = if path == "." { "body".to_owned() } else { path };
        Error::invalid(field, msg)
    })
}

impl Services {
    fn region(&self) -> Option<crate::domain::phone::Region> {
        self.settings.default_region
    }

    pub(super) async fn ownership(&self, owner: Option<Uuid>) -> Result<Ownership> {
        let owner_team = match owner {
            Some(o) => self.store.team_of_user(o).await?,
            None => None,
        };
        Ok(Ownership { owner_id: owner, owner_team })
    }

    /// Checks that referenced users and records exist, adding field errors.
    pub(super) async fn check_refs(
        &self,
        owner: Option<Uuid>,
        fields: &Map<String, Value>,
        defs: &[CustomFieldDef],
        p: &mut Problems,
    ) -> Result<()> {
        if let Some(o) = owner {
            match self.store.get_user(o).await? {
                Some(u) if u.active => {}
                Some(_) => p.add("owner_id", "this user is deactivated"),
                None => p.add("owner_id", "no such user"),
            }
        }
        for d in defs {
            let Some(id) = fields.get(&d.key).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()) else {
                continue;
            };
            let exists = match d.field_type {
                FieldType::User => self.store.get_user(id).await?.is_some(),
                FieldType::Reference if d.options.first().map(String::as_str) == Some("company") => {
                    self.store.get_company(id).await?.is_some_and(|c| c.deleted_at.is_none())
                }
                FieldType::Reference => self.store.get_contact(id).await?.is_some_and(|c| c.deleted_at.is_none()),
                _ => true,
            };
            if !exists {
                p.add(format!("custom_fields.{}", d.key), "no such record");
            }
        }
        Ok(())
    }

    /// 409 with the existing record when a phone or e-mail is already someone else's.
    async fn check_duplicates(
        &self,
        entity: &str,
        phones: &[crate::domain::client::Phone],
        emails: &[crate::domain::client::Email],
        exclude: Option<Uuid>,
    ) -> Result<()> {
        let mut points: Vec<(String, String, String)> = Vec::new();
        for (i, ph) in phones.iter().enumerate() {
            if let Some(e) = &ph.e164 {
                points.push(("phone".into(), e.clone(), format!("phones[{i}].number")));
            }
        }
        for (i, em) in emails.iter().enumerate() {
            points.push(("email".into(), em.address.clone(), format!("emails[{i}].address")));
        }
        let query: Vec<(String, String)> = points.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
        let found = self.store.find_by_points(&query, exclude).await?;
        let Some((_, existing)) = found.iter().find(|(t, _)| t == entity) else { return Ok(()) };
        // Name the field that clashed, from the existing record (one read, not one per point).
        let (their_phones, their_emails): (Vec<String>, Vec<String>) = if entity == "company" {
            let c = self.store.get_company(*existing).await?;
            c.map(|c| {
                (
                    c.phones.into_iter().filter_map(|p| p.e164).collect(),
                    c.emails.into_iter().map(|e| e.address).collect(),
                )
            })
            .unwrap_or_default()
        } else {
            let c = self.store.get_contact(*existing).await?;
            c.map(|c| {
                (
                    c.phones.into_iter().filter_map(|p| p.e164).collect(),
                    c.emails.into_iter().map(|e| e.address).collect(),
                )
            })
            .unwrap_or_default()
        };
        let clash = points
            .iter()
            .find(
                |(kind, value, _)| {
                    if kind == "phone" { their_phones.contains(value) } else { their_emails.contains(value) }
                },
            )
            .or(points.first());
        let (kind, value, field) = clash.cloned().unwrap_or_default();
        Err(Error::Conflict {
            message: format!(
                "a {entity} with {kind} {value} already exists; open it, or send force=true to create anyway"
            ),
            field: Some(field),
            existing_id: Some(*existing),
        })
    }

    async fn notify_transfer(
        &self,
        actor: &Actor,
        kind: &str,
        id: Uuid,
        name: &str,
        old: Option<Uuid>,
        new: Option<Uuid>,
    ) -> Result<()> {
        let link = format!("/{kind}s/{id}");
        let mut list = Vec::new();
        let new_name = match new {
            Some(n) => self.store.get_user(n).await?.map(|u| u.name).unwrap_or_default(),
            None => String::new(),
        };
        if let Some(n) = new.filter(|n| *n != actor.user_id) {
            list.push(Notification {
                id: new_id(),
                user_id: n,
                kind: "client_transferred".into(),
                title: format!("{name} was transferred to you"),
                body: Some(format!("by {}", actor.name)),
                link: Some(link.clone()),
                created_at: now(),
                read_at: None,
                params: None,
            });
        }
        if let Some(o) = old.filter(|o| *o != actor.user_id && Some(*o) != new) {
            list.push(Notification {
                id: new_id(),
                user_id: o,
                kind: "client_transferred".into(),
                title: format!("{name} was transferred to {new_name}"),
                body: Some(format!("by {}", actor.name)),
                link: Some(link),
                created_at: now(),
                read_at: None,
                params: None,
            });
        }
        self.store.insert_notifications(&self.wanted(list).await?).await
    }

    /// What the search index holds for a contact: its fields and its primary company's name.
    pub(crate) async fn contact_search_body(&self, c: &Contact) -> Result<String> {
        let company = match c.company_id {
            Some(id) => self.store.get_company(id).await?,
            None => None,
        };
        Ok(c.search_body(company.as_ref().map(|c| c.name.as_str())))
    }

    pub(super) fn default_owner(actor: &Actor, given: Option<Uuid>) -> Option<Uuid> {
        given.or((actor.kind != ActorKind::System).then_some(actor.user_id))
    }

    // ---------------- contacts ----------------

    pub async fn create_contact(&self, actor: &Actor, input: ContactInput, force: bool) -> Result<ContactView> {
        let owner = Self::default_owner(actor, input.owner_id);
        check_create(actor, RecordKind::Contact, self.ownership(owner).await?)?;
        let defs = self.store.list_custom_fields(Some("contact")).await?;
        let at = now();
        let meta = RecordMeta {
            id: new_id(),
            version: 1,
            created_at: at,
            updated_at: at,
            deleted_at: None,
            merged_into: None,
        };
        let mut p = Problems::new();
        let contact = input.validate(meta, owner, self.region(), &defs, &mut p);
        let role = parse_role("company_role", input.company_role.as_deref(), &mut p);
        let company = match contact.company_id {
            Some(cid) => match self.store.get_company(cid).await? {
                Some(c) if c.deleted_at.is_none() => Some(c),
                _ => {
                    p.add("company_id", "no such company");
                    None
                }
            },
            None => None,
        };
        self.check_refs(owner, &contact.custom_fields, &defs, &mut p).await?;
        p.into_result()?;
        if !force {
            self.check_duplicates("contact", &contact.phones, &contact.emails, None).await?;
        }
        let link =
            company.as_ref().map(|c| CompanyLink { company_id: c.id, contact_id: contact.id, role, is_primary: true });
        let body = contact.search_body(company.as_ref().map(|c| c.name.as_str()));
        let audit = audit_entry(actor, "create", "contact", contact.id, audit::created(&to_json(&contact)));
        self.store.insert_contact(&contact, &body, link.as_ref(), &audit).await?;
        if owner.is_some() && owner != Some(actor.user_id) {
            self.notify_transfer(actor, "contact", contact.id, &contact.display_name, None, owner).await?;
        }
        Ok(ContactView { company_links: link.into_iter().collect(), contact })
    }

    async fn contact_for(&self, actor: &Actor, id: Uuid, action: Action) -> Result<Contact> {
        let c =
            self.store.get_contact(id).await?.filter(|c| c.merged_into.is_none()).ok_or(Error::NotFound("contact"))?;
        check_record(actor, RecordKind::Contact, action, self.ownership(c.owner_id).await?)?;
        Ok(c)
    }

    pub async fn get_contact(&self, actor: &Actor, id: Uuid) -> Result<ContactView> {
        let contact = self.contact_for(actor, id, Action::Read).await?;
        if contact.deleted_at.is_some() && check_area(actor, Area::Settings, Action::Read).is_err() {
            return Err(Error::NotFound("contact"));
        }
        let company_links = self.store.links_of_contact(id).await?;
        Ok(ContactView { contact, company_links })
    }

    pub async fn update_contact(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
        force: bool,
    ) -> Result<ContactView> {
        self.update_contact_with(actor, id, patch, if_match, force, true).await
    }

    /// `notify`: tell the managers about an ownership change (bulk transfers notify once, in
    /// summary, instead).
    pub(crate) async fn update_contact_with(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
        force: bool,
        notify: bool,
    ) -> Result<ContactView> {
        let current = self.contact_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("contact"));
        }
        check_version(if_match, current.version)?;
        let input: ContactInput = parse_input(merge_patch(&to_json(&current), &patch))?;
        if input.owner_id != current.owner_id {
            check_create(actor, RecordKind::Contact, self.ownership(input.owner_id).await?)?;
        }
        let defs = self.store.list_custom_fields(Some("contact")).await?;
        let mut p = Problems::new();
        let mut next = input.validate(RecordMeta::of_contact(&current), input.owner_id, self.region(), &defs, &mut p);
        let company = match next.company_id {
            Some(cid) if Some(cid) != current.company_id || patch.contains_key("company_id") => {
                match self.store.get_company(cid).await? {
                    Some(c) if c.deleted_at.is_none() => Some(c),
                    _ => {
                        p.add("company_id", "no such company");
                        None
                    }
                }
            }
            Some(cid) => self.store.get_company(cid).await?,
            None => None,
        };
        // The owner is checked only when it changes (an unchanged, since-deactivated owner is
        // not this edit's problem).
        let new_owner = (input.owner_id != current.owner_id).then_some(input.owner_id).flatten();
        self.check_refs(new_owner, &next.custom_fields, &defs, &mut p).await?;
        p.into_result()?;
        if next == current {
            return Ok(ContactView { company_links: self.store.links_of_contact(id).await?, contact: current });
        }
        if !force {
            self.check_duplicates("contact", &next.phones, &next.emails, Some(id)).await?;
        }
        next.version = current.version + 1;
        next.updated_at = now();
        let body = next.search_body(company.as_ref().map(|c| c.name.as_str()));
        let audit = audit_entry(actor, "update", "contact", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_contact(&next, current.version, &body, &audit).await?;
        if notify && next.owner_id != current.owner_id {
            self.notify_transfer(actor, "contact", id, &next.display_name, current.owner_id, next.owner_id).await?;
        }
        // The record just written, with its links (which the store may have completed).
        Ok(ContactView { company_links: self.store.links_of_contact(id).await?, contact: next })
    }

    /// Soft delete: the contact leaves lists and search; administrators can restore it.
    pub async fn delete_contact(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.contact_for(actor, id, Action::Delete).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("contact"));
        }
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let audit = audit_entry(actor, "delete", "contact", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_contact(&next, current.version, "", &audit).await
    }

    pub async fn restore_contact(&self, actor: &Actor, id: Uuid) -> Result<ContactView> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self
            .store
            .get_contact(id)
            .await?
            .filter(|c| c.deleted_at.is_some() && c.merged_into.is_none())
            .ok_or(Error::NotFound("contact"))?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = None;
        next.updated_at = now();
        let body = self.contact_search_body(&next).await?;
        let audit = audit_entry(actor, "restore", "contact", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_contact(&next, current.version, &body, &audit).await?;
        self.get_contact(actor, id).await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn list_spec(
        &self,
        actor: &Actor,
        kind: RecordKind,
        entity: &str,
        sorts: &[&str],
        req: &ListRequest,
        defs: &[CustomFieldDef],
        view: Option<crate::store::SavedView>,
    ) -> Result<ListSpec> {
        let mut errors: Vec<FieldError> = Vec::new();
        let sort = req.sort.clone().or_else(|| view.as_ref().and_then(|v| v.sort.clone()));
        let custom_sorts: Vec<String> =
            defs.iter().filter(|d| sortable(d.field_type)).map(|d| format!("custom_fields.{}", d.key)).collect();
        let allowed: Vec<&str> = sorts.iter().copied().chain(custom_sorts.iter().map(String::as_str)).collect();
        let page = match PageRequest::parse(req.limit, req.cursor.as_deref(), sort.as_deref(), &allowed, "-updated_at")
        {
            Ok(p) => Some(p),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let parsed: Option<Filter> = match &req.filter {
            Some(f) if !f.trim().is_empty() => match filter::parse("filter", f) {
                Ok(f) => Some(f),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            _ => view.and_then(|v| v.filter),
        };
        let ctx = FilterContext { entity, defs, me: actor.user_id, now: now(), region: self.region() };
        let checked = match parsed.as_ref().map(|f| filter::check(f, &ctx)) {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
            None => None,
        };
        if req.deleted && check_area(actor, Area::Settings, Action::Read).is_err() {
            return Err(Error::Forbidden("only administrators see deleted records".into()));
        }
        match page {
            Some(page) if errors.is_empty() => Ok(ListSpec {
                custom_sort: page
                    .sort
                    .field
                    .strip_prefix("custom_fields.")
                    .and_then(|k| defs.iter().find(|d| d.key == k))
                    .map(|d| d.field_type),
                scope: scope(actor, kind, Action::Read),
                filter: checked,
                terms: req.q.as_deref().map(search_terms).unwrap_or_default(),
                page,
                deleted: req.deleted,
            }),
            _ => Err(Error::Validation(errors)),
        }
    }

    pub(super) async fn view_for(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        entity: &str,
    ) -> Result<Option<crate::store::SavedView>> {
        let Some(id) = id else { return Ok(None) };
        match self.store.get_view(id).await? {
            Some(v) if v.entity == entity && (v.shared || v.owner_id == actor.user_id) => Ok(Some(v)),
            _ => Err(Error::invalid("view", "no such view")),
        }
    }

    pub async fn list_contacts(&self, actor: &Actor, req: &ListRequest) -> Result<Page<Contact>> {
        let defs = self.cached_defs("contact").await?;
        let view = self.view_for(actor, req.view, "contact").await?;
        let spec = self.list_spec(actor, RecordKind::Contact, "contact", SORTS, req, &defs, view)?;
        self.store.list_contacts(&spec).await
    }

    /// [`Self::list_contacts`] for the JSON API: the records' JSON columns go out as the
    /// database holds them, without being decoded into typed records and encoded again (list
    /// pages are the API's busiest answer).
    pub async fn list_contacts_json(&self, actor: &Actor, req: &ListRequest) -> Result<RawPage> {
        let defs = self.cached_defs("contact").await?;
        let view = self.view_for(actor, req.view, "contact").await?;
        let spec = self.list_spec(actor, RecordKind::Contact, "contact", SORTS, req, &defs, view)?;
        self.store.list_contacts_json(&spec).await
    }

    // ---------------- companies ----------------

    pub async fn create_company(&self, actor: &Actor, input: CompanyInput, force: bool) -> Result<Company> {
        let owner = Self::default_owner(actor, input.owner_id);
        check_create(actor, RecordKind::Company, self.ownership(owner).await?)?;
        let defs = self.store.list_custom_fields(Some("company")).await?;
        let at = now();
        let meta = RecordMeta {
            id: new_id(),
            version: 1,
            created_at: at,
            updated_at: at,
            deleted_at: None,
            merged_into: None,
        };
        let mut p = Problems::new();
        let company = input.validate(meta, owner, self.region(), &defs, &mut p);
        self.check_refs(owner, &company.custom_fields, &defs, &mut p).await?;
        p.into_result()?;
        if !force {
            self.check_company_duplicates(&company, None).await?;
        }
        let audit = audit_entry(actor, "create", "company", company.id, audit::created(&to_json(&company)));
        self.store.insert_company(&company, &company.search_body(), &audit).await?;
        if owner.is_some() && owner != Some(actor.user_id) {
            self.notify_transfer(actor, "company", company.id, &company.name, None, owner).await?;
        }
        Ok(company)
    }

    async fn check_company_duplicates(&self, c: &Company, exclude: Option<Uuid>) -> Result<()> {
        if let Some(tax) = &c.tax_number
            && let Some(existing) = self.store.find_company_by_tax_number(tax, exclude).await?.first()
        {
            return Err(Error::Conflict {
                message: format!(
                    "a company with tax number {tax} already exists; open it, or send force=true to create anyway"
                ),
                field: Some("tax_number".into()),
                existing_id: Some(*existing),
            });
        }
        self.check_duplicates("company", &c.phones, &c.emails, exclude).await
    }

    async fn company_for(&self, actor: &Actor, id: Uuid, action: Action) -> Result<Company> {
        let c =
            self.store.get_company(id).await?.filter(|c| c.merged_into.is_none()).ok_or(Error::NotFound("company"))?;
        check_record(actor, RecordKind::Company, action, self.ownership(c.owner_id).await?)?;
        Ok(c)
    }

    pub async fn get_company(&self, actor: &Actor, id: Uuid) -> Result<Company> {
        let c = self.company_for(actor, id, Action::Read).await?;
        if c.deleted_at.is_some() && check_area(actor, Area::Settings, Action::Read).is_err() {
            return Err(Error::NotFound("company"));
        }
        Ok(c)
    }

    pub async fn update_company(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
        force: bool,
    ) -> Result<Company> {
        self.update_company_with(actor, id, patch, if_match, force, true).await
    }

    pub(crate) async fn update_company_with(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
        force: bool,
        notify: bool,
    ) -> Result<Company> {
        let current = self.company_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("company"));
        }
        check_version(if_match, current.version)?;
        let input: CompanyInput = parse_input(merge_patch(&to_json(&current), &patch))?;
        if input.owner_id != current.owner_id {
            check_create(actor, RecordKind::Company, self.ownership(input.owner_id).await?)?;
        }
        let defs = self.store.list_custom_fields(Some("company")).await?;
        let mut p = Problems::new();
        let mut next = input.validate(RecordMeta::of_company(&current), input.owner_id, self.region(), &defs, &mut p);
        let owner_check = (input.owner_id != current.owner_id).then_some(input.owner_id).flatten();
        self.check_refs(owner_check, &next.custom_fields, &defs, &mut p).await?;
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        if !force {
            self.check_company_duplicates(&next, Some(id)).await?;
        }
        next.version = current.version + 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "company", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_company(&next, current.version, &next.search_body(), &audit).await?;
        if notify && next.owner_id != current.owner_id {
            self.notify_transfer(actor, "company", id, &next.name, current.owner_id, next.owner_id).await?;
        }
        Ok(next)
    }

    pub async fn delete_company(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.company_for(actor, id, Action::Delete).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("company"));
        }
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let audit = audit_entry(actor, "delete", "company", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_company(&next, current.version, "", &audit).await
    }

    pub async fn restore_company(&self, actor: &Actor, id: Uuid) -> Result<Company> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self
            .store
            .get_company(id)
            .await?
            .filter(|c| c.deleted_at.is_some() && c.merged_into.is_none())
            .ok_or(Error::NotFound("company"))?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = None;
        next.updated_at = now();
        let audit = audit_entry(actor, "restore", "company", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_company(&next, current.version, &next.search_body(), &audit).await?;
        Ok(next)
    }

    pub async fn list_companies(&self, actor: &Actor, req: &ListRequest) -> Result<Page<Company>> {
        let defs = self.cached_defs("company").await?;
        let view = self.view_for(actor, req.view, "company").await?;
        let spec = self.list_spec(actor, RecordKind::Company, "company", SORTS, req, &defs, view)?;
        self.store.list_companies(&spec).await
    }

    /// [`Self::list_companies`] for the JSON API; see [`Self::list_contacts_json`].
    pub async fn list_companies_json(&self, actor: &Actor, req: &ListRequest) -> Result<RawPage> {
        let defs = self.cached_defs("company").await?;
        let view = self.view_for(actor, req.view, "company").await?;
        let spec = self.list_spec(actor, RecordKind::Company, "company", SORTS, req, &defs, view)?;
        self.store.list_companies_json(&spec).await
    }

    /// The contact persons of a company that the actor may see, with their roles.
    pub async fn company_people(&self, actor: &Actor, company_id: Uuid) -> Result<Vec<(Contact, CompanyLink)>> {
        self.get_company(actor, company_id).await?;
        let mut out = Vec::new();
        for (c, l) in self.store.people_of_company(company_id).await? {
            if check_record(actor, RecordKind::Contact, Action::Read, self.ownership(c.owner_id).await?).is_ok() {
                out.push((c, l));
            }
        }
        Ok(out)
    }

    pub async fn link_person(&self, actor: &Actor, company_id: Uuid, req: LinkRequest) -> Result<CompanyLink> {
        let company = self.get_company(actor, company_id).await?;
        let contact = self.contact_for(actor, req.contact_id, Action::Update).await?;
        if contact.deleted_at.is_some() {
            return Err(Error::invalid("contact_id", "no such contact"));
        }
        let mut p = Problems::new();
        let role = parse_role("role", req.role.as_deref(), &mut p);
        p.into_result()?;
        let link = CompanyLink {
            company_id,
            contact_id: contact.id,
            role,
            is_primary: req.is_primary || contact.company_id.is_none(),
        };
        let audit = audit_entry(
            actor,
            "link",
            "contact",
            contact.id,
            serde_json::json!({"company": {"new": company.name}, "role": {"new": link.role}, "is_primary": {"new": link.is_primary}}),
        );
        self.store.upsert_link(&link, &audit).await?;
        Ok(link)
    }

    pub async fn unlink_person(&self, actor: &Actor, company_id: Uuid, contact_id: Uuid) -> Result<()> {
        let company = self.get_company(actor, company_id).await?;
        self.contact_for(actor, contact_id, Action::Update).await?;
        let audit =
            audit_entry(actor, "unlink", "contact", contact_id, serde_json::json!({"company": {"old": company.name}}));
        if self.store.delete_link(company_id, contact_id, &audit).await? {
            Ok(())
        } else {
            Err(Error::NotFound("contact person"))
        }
    }

    // ---------------- search, duplicates, merge ----------------

    pub async fn search(&self, actor: &Actor, q: &str, limit: Option<u32>) -> Result<SearchResults> {
        let limit = limit.unwrap_or(10).clamp(1, 50);
        let q = q.trim();
        if q.is_empty() {
            return Ok(SearchResults::default());
        }
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let phoneish = digits.len() >= 3 && q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let phone = phoneish.then(|| {
            let e164 = match parse_phone("q", q, self.region()) {
                Ok(PhoneParse::Valid { e164 }) => Some(e164),
                _ => None,
            };
            PhoneQuery { e164, rev_digits: reversed_digits(q) }
        });
        // A number is also searched as one word of text (tax and registration numbers),
        // not as its groups of digits.
        let terms = if phoneish { vec![digits.clone()] } else { search_terms(q) };
        // Something shaped like an e-mail (or the start of one) is looked up as one.
        let lower = q.to_lowercase();
        let emailish = !phoneish && !q.contains(char::is_whitespace) && (q.contains('@') || q.contains('.'));
        let email = emailish.then_some(lower.as_str());
        let hits = self
            .store
            .search(
                &terms,
                phone.as_ref(),
                email,
                &scope(actor, RecordKind::Contact, Action::Read),
                &scope(actor, RecordKind::Company, Action::Read),
                limit,
            )
            .await?;
        let mut out = SearchResults::default();
        for h in hits {
            if h.entity_type == "contact" { out.contacts.push(h) } else { out.companies.push(h) }
        }
        Ok(out)
    }

    /// Candidate duplicate pairs (same phone or e-mail) among the records the actor may change.
    pub async fn duplicates(&self, actor: &Actor, entity: &str) -> Result<Vec<(Uuid, Uuid, String)>> {
        let kind = if entity == "company" { RecordKind::Company } else { RecordKind::Contact };
        let s = scope(actor, kind, Action::Update);
        if s == Scope::Nothing {
            return Err(Error::Forbidden("your role cannot merge records".into()));
        }
        let mut out = Vec::new();
        for (a, b, why) in self.store.duplicate_pairs(entity, 500).await? {
            let ok = match kind {
                RecordKind::Company => {
                    self.company_for(actor, a, Action::Update).await.is_ok()
                        && self.company_for(actor, b, Action::Update).await.is_ok()
                }
                _ => {
                    self.contact_for(actor, a, Action::Update).await.is_ok()
                        && self.contact_for(actor, b, Action::Update).await.is_ok()
                }
            };
            if ok {
                out.push((a, b, why));
            }
        }
        Ok(out)
    }

    pub async fn merge_contacts(&self, actor: &Actor, req: MergeRequest) -> Result<ContactView> {
        if req.survivor_id == req.loser_id {
            return Err(Error::invalid("loser_id", "must differ from survivor_id"));
        }
        let survivor = self.contact_for(actor, req.survivor_id, Action::Update).await?;
        let loser = self.contact_for(actor, req.loser_id, Action::Delete).await?;
        if survivor.deleted_at.is_some() || loser.deleted_at.is_some() {
            return Err(Error::invalid("loser_id", "deleted records cannot be merged"));
        }
        let merged = merge_json(&to_json(&survivor), &to_json(&loser), &req.prefer)?;
        let input: ContactInput = parse_input(merge_patch(&merged, &Map::new()))?;
        let defs = self.store.list_custom_fields(Some("contact")).await?;
        let mut p = Problems::new();
        let mut next = input.validate(RecordMeta::of_contact(&survivor), input.owner_id, self.region(), &defs, &mut p);
        p.into_result()?;
        next.version = survivor.version + 1;
        next.updated_at = now();
        let body = self.contact_search_body(&next).await?;
        let mut changes = audit::diff(&to_json(&survivor), &to_json(&next));
        if let Some(m) = changes.as_object_mut() {
            m.insert("merged_from".into(), serde_json::json!({"new": loser.id}));
        }
        let audits = vec![
            audit_entry(actor, "merge", "contact", survivor.id, changes),
            audit_entry(
                actor,
                "merged_into",
                "contact",
                loser.id,
                serde_json::json!({"merged_into": {"old": null, "new": survivor.id}}),
            ),
        ];
        self.store.merge_contacts(&next, survivor.version, &body, &loser, &audits).await?;
        self.get_contact(actor, survivor.id).await
    }

    pub async fn merge_companies(&self, actor: &Actor, req: MergeRequest) -> Result<Company> {
        if req.survivor_id == req.loser_id {
            return Err(Error::invalid("loser_id", "must differ from survivor_id"));
        }
        let survivor = self.company_for(actor, req.survivor_id, Action::Update).await?;
        let loser = self.company_for(actor, req.loser_id, Action::Delete).await?;
        if survivor.deleted_at.is_some() || loser.deleted_at.is_some() {
            return Err(Error::invalid("loser_id", "deleted records cannot be merged"));
        }
        let merged = merge_json(&to_json(&survivor), &to_json(&loser), &req.prefer)?;
        let input: CompanyInput = parse_input(merge_patch(&merged, &Map::new()))?;
        let defs = self.store.list_custom_fields(Some("company")).await?;
        let mut p = Problems::new();
        let mut next = input.validate(RecordMeta::of_company(&survivor), input.owner_id, self.region(), &defs, &mut p);
        p.into_result()?;
        next.version = survivor.version + 1;
        next.updated_at = now();
        let mut changes = audit::diff(&to_json(&survivor), &to_json(&next));
        if let Some(m) = changes.as_object_mut() {
            m.insert("merged_from".into(), serde_json::json!({"new": loser.id}));
        }
        let audits = vec![
            audit_entry(actor, "merge", "company", survivor.id, changes),
            audit_entry(
                actor,
                "merged_into",
                "company",
                loser.id,
                serde_json::json!({"merged_into": {"old": null, "new": survivor.id}}),
            ),
        ];
        self.store.merge_companies(&next, survivor.version, &next.search_body(), &loser, &audits).await?;
        self.get_company(actor, survivor.id).await
    }

    // ---------------- personal data ----------------

    /// Everything stored about one person, as JSON.
    pub async fn export_person(&self, actor: &Actor, id: Uuid) -> Result<Value> {
        check_record(actor, RecordKind::Contact, Action::Export, {
            let c = self.store.get_contact(id).await?.ok_or(Error::NotFound("contact"))?;
            self.ownership(c.owner_id).await?
        })?;
        let view = self.get_contact(actor, id).await?;
        let history = self.store.audit_of(id).await?;
        Ok(serde_json::json!({
            "exported_at": now(),
            "contact": view.contact,
            "company_links": view.company_links,
            "history": history,
        }))
    }

    /// Erases a person's personal data (administrators): names, phones, e-mails, address,
    /// dates, notes and custom fields go, also from the audit log; the record stays (as
    /// "Erased person") so that deals and statistics stay consistent.
    pub async fn erase_person(&self, actor: &Actor, id: Uuid) -> Result<Contact> {
        check_area(actor, Area::Settings, Action::Delete)?;
        let current = self.store.get_contact(id).await?.ok_or(Error::NotFound("contact"))?;
        let mut next = current.clone();
        next.first_name = None;
        next.last_name = None;
        next.display_name = "Erased person".into();
        next.title = None;
        next.phones.clear();
        next.emails.clear();
        next.address = None;
        next.important_dates.clear();
        next.notes = None;
        next.tags.clear();
        next.custom_fields.clear();
        next.version += 1;
        next.updated_at = now();
        let fields: Map<String, Value> = audit::diff(&to_json(&current), &to_json(&next))
            .as_object()
            .map(|m| m.keys().map(|k| (k.clone(), serde_json::json!({"erased": true}))).collect())
            .unwrap_or_default();
        self.store.scrub_audit(id).await?;
        let audit = audit_entry(actor, "erase", "contact", id, Value::Object(fields));
        let body = if next.deleted_at.is_none() { next.search_body(None) } else { String::new() };
        self.store.update_contact(&next, current.version, &body, &audit).await?;
        Ok(next)
    }
}

/// Field-by-field merge of two records' JSON: the survivor's values, except the fields named
/// in `prefer` (taken from the loser) and lists united (phones, e-mails, tags, dates), custom
/// fields filled in where the survivor has none.
fn merge_json(survivor: &Value, loser: &Value, prefer: &[String]) -> Result<Value> {
    let (Some(s), Some(l)) = (survivor.as_object(), loser.as_object()) else {
        return Err(Error::Internal(anyhow::anyhow!("records are not objects")));
    };
    let mut out = s.clone();
    for f in prefer {
        if crate::domain::client::READ_ONLY_FIELDS.contains(&f.as_str()) || !l.contains_key(f) {
            return Err(Error::invalid("prefer", format!("`{f}` cannot be taken from the other record")));
        }
        out.insert(f.clone(), l.get(f).cloned().unwrap_or(Value::Null));
    }
    for list in ["phones", "emails", "tags", "important_dates"] {
        if prefer.iter().any(|f| f == list) {
            continue;
        }
        let mut items = s.get(list).and_then(Value::as_array).cloned().unwrap_or_default();
        for it in l.get(list).and_then(Value::as_array).cloned().unwrap_or_default() {
            if !items.contains(&it) {
                items.push(it);
            }
        }
        out.insert(list.into(), Value::Array(items));
    }
    if !prefer.iter().any(|f| f == "custom_fields") {
        let mut cf = s.get("custom_fields").and_then(Value::as_object).cloned().unwrap_or_default();
        for (k, v) in l.get("custom_fields").and_then(Value::as_object).cloned().unwrap_or_default() {
            cf.entry(k).or_insert(v);
        }
        out.insert("custom_fields".into(), Value::Object(cf));
    }
    for (k, v) in l {
        // Empty on the survivor, known on the loser: keep what is known.
        if out.get(k).is_none_or(Value::is_null) && !crate::domain::client::READ_ONLY_FIELDS.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(out))
}
