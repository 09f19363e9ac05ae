//! Leads: create, read, change, delete, list; and conversion into a contact, a company and a
//! deal in one transaction, reusing the contact and company that already exist.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients::{ListRequest, parse_input};
use super::deals::{DealInput, DealView};
use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, RecordKind, check_area, check_create, check_record};
use crate::domain::audit;
use crate::domain::client::{CompanyInput, CompanyLink, ContactInput, EmailInput, PhoneInput, RecordMeta, sort_key};
use crate::domain::lead::{self, Lead, LeadInput, LeadStatus, company_domain, merge_lead_patch};
use crate::domain::page::Page;
use crate::domain::{new_id, now};
use crate::error::{Error, FieldError, Problems, Result};
use crate::store::LeadConversion;

pub const SORTS: &[&str] = &["updated_at", "created_at", "name"];

/// `POST /leads/{id}/convert`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// Create a deal too (default `true`).
    #[serde(default = "yes")]
    pub create_deal: bool,
    /// The deal's pipeline (default the first) and stage (default its first open stage).
    #[serde(default)]
    pub pipeline_id: Option<Uuid>,
    #[serde(default)]
    pub stage_id: Option<Uuid>,
    /// Default: the lead's company name, else its name.
    #[serde(default)]
    pub deal_title: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub amount: Option<Value>,
    #[serde(default)]
    pub currency: Option<String>,
    /// Use this contact instead of matching or creating one.
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    /// Use this company instead of matching or creating one.
    #[serde(default)]
    pub company_id: Option<Uuid>,
    /// The company's tax number, when the lead told it: an existing company with it is
    /// reused first; a new company gets it.
    #[serde(default)]
    pub company_tax_number: Option<String>,
}

/// The tax number as companies keep it: spaces removed, upper-cased.
fn tax_key(t: Option<&str>) -> Option<String> {
    t.map(|t| t.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()).filter(|t| !t.is_empty())
}

fn yes() -> bool {
    true
}

/// A record a conversion uses: an existing one (`reused`, with what matched) or a new one.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConvertedRecord {
    pub id: Uuid,
    pub name: String,
    /// `true`: an existing record; `false`: created by the conversion.
    pub reused: bool,
    /// How an existing record was found: `phone`, `email`, `name`, `domain` or `given`.
    pub matched_by: Option<String>,
}

/// What converting a lead would do now (nothing is written).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversionPreview {
    /// The contact to reuse, or `null` when a new one would be created (or none: a lead with
    /// only a company name).
    pub contact: Option<ConvertedRecord>,
    pub company: Option<ConvertedRecord>,
    /// A new contact would be created.
    pub creates_contact: bool,
    pub creates_company: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversionResult {
    pub lead: Lead,
    pub contact: Option<ConvertedRecord>,
    pub company: Option<ConvertedRecord>,
    pub deal: Option<DealView>,
}

/// Prefixes the fields of validation errors (`contact.custom_fields.x`); renames as asked.
fn nest(e: Error, prefix: &str, rename: &[(&str, &str)]) -> Error {
    match e {
        Error::Validation(v) => Error::Validation(
            v.into_iter()
                .map(|f| {
                    let field = rename
                        .iter()
                        .find(|(from, _)| *from == f.field)
                        .map(|(_, to)| (*to).to_owned())
                        .unwrap_or_else(|| format!("{prefix}{}", f.field));
                    FieldError::new(field, f.message)
                })
                .collect(),
        ),
        other => other,
    }
}

impl Services {
    async fn lead_for(&self, actor: &Actor, id: Uuid, action: Action) -> Result<Lead> {
        let l = self.store.get_lead(id).await?.ok_or(Error::NotFound("lead"))?;
        check_record(actor, RecordKind::Lead, action, self.ownership(l.owner_id).await?)?;
        if l.deleted_at.is_some()
            && (action != Action::Read || check_area(actor, Area::Settings, Action::Read).is_err())
        {
            return Err(Error::NotFound("lead"));
        }
        Ok(l)
    }

    pub async fn create_lead(&self, actor: &Actor, input: LeadInput) -> Result<Lead> {
        let owner = Self::default_owner(actor, input.owner_id);
        check_create(actor, RecordKind::Lead, self.ownership(owner).await?)?;
        let defs = self.store.list_custom_fields(Some("lead")).await?;
        let mut lead = lead::blank(new_id(), now());
        let mut p = Problems::new();
        input.validate_into(&mut lead, self.settings.default_region, &defs, &mut p);
        lead.owner_id = owner;
        self.check_refs(owner, &lead.custom_fields, &defs, &mut p).await?;
        p.into_result()?;
        let audit = audit_entry(actor, "create", "lead", lead.id, audit::created(&to_json(&lead)));
        self.store.insert_lead(&lead, &audit).await?;
        Ok(lead)
    }

    pub async fn get_lead(&self, actor: &Actor, id: Uuid) -> Result<Lead> {
        self.lead_for(actor, id, Action::Read).await
    }

    pub async fn update_lead(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
    ) -> Result<Lead> {
        let current = self.lead_for(actor, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        let input: LeadInput = parse_input(merge_lead_patch(&to_json(&current), &patch))?;
        if input.owner_id != current.owner_id {
            check_create(actor, RecordKind::Lead, self.ownership(input.owner_id).await?)?;
        }
        let defs = self.store.list_custom_fields(Some("lead")).await?;
        let mut next = current.clone();
        let mut p = Problems::new();
        input.validate_into(&mut next, self.settings.default_region, &defs, &mut p);
        let new_owner = (input.owner_id != current.owner_id).then_some(input.owner_id).flatten();
        self.check_refs(new_owner, &next.custom_fields, &defs, &mut p).await?;
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "lead", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_lead(&next, current.version, &audit).await?;
        Ok(next)
    }

    /// Soft delete: the lead leaves lists; its history stays.
    pub async fn delete_lead(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.lead_for(actor, id, Action::Delete).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("lead"));
        }
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let audit = audit_entry(actor, "delete", "lead", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_lead(&next, current.version, &audit).await
    }

    pub async fn list_leads(&self, actor: &Actor, req: &ListRequest) -> Result<Page<Lead>> {
        let defs = self.cached_defs("lead").await?;
        let view = self.view_for(actor, req.view, "lead").await?;
        let spec = self.list_spec(actor, RecordKind::Lead, "lead", SORTS, req, &defs, view)?;
        self.store.list_leads(&spec).await
    }

    /// The existing contact a lead matches: by a phone (E.164), else by an e-mail.
    async fn match_contact(&self, lead: &Lead) -> Result<Option<ConvertedRecord>> {
        let phones: Vec<(String, String)> =
            lead.phones.iter().filter_map(|p| p.e164.clone()).map(|e| ("phone".to_owned(), e)).collect();
        let emails: Vec<(String, String)> =
            lead.emails.iter().map(|e| ("email".to_owned(), e.address.clone())).collect();
        for (by, points) in [("phone", phones), ("email", emails)] {
            if points.is_empty() {
                continue;
            }
            let found = self.store.find_by_points(&points, None).await?;
            for (t, id) in found {
                if t != "contact" {
                    continue;
                }
                if let Some(c) = self.store.get_contact(id).await?.filter(|c| c.deleted_at.is_none()) {
                    return Ok(Some(ConvertedRecord {
                        id,
                        name: c.display_name,
                        reused: true,
                        matched_by: Some(by.into()),
                    }));
                }
            }
        }
        Ok(None)
    }

    /// The existing company a lead matches: by the tax number given at conversion, else by its
    /// (folded) company name, else by the domain of a work e-mail (free providers do not count).
    async fn match_company(&self, lead: &Lead, tax_number: Option<&str>) -> Result<Option<ConvertedRecord>> {
        if let Some(t) = tax_number {
            for id in self.store.find_company_by_tax_number(t, None).await? {
                if let Some(c) = self.store.get_company(id).await?.filter(|c| c.deleted_at.is_none()) {
                    return Ok(Some(ConvertedRecord {
                        id,
                        name: c.name,
                        reused: true,
                        matched_by: Some("tax_number".into()),
                    }));
                }
            }
        }
        let name = lead.company_name.as_deref().map(sort_key);
        let domains: Vec<String> = lead.emails.iter().filter_map(|e| company_domain(&e.address)).collect();
        if name.is_none() && domains.is_empty() {
            return Ok(None);
        }
        let mut found = self.store.match_companies(name.as_deref(), &domains).await?;
        found.sort_by_key(|(_, by)| if by == "name" { 0 } else { 1 });
        for (id, by) in found {
            if let Some(c) = self.store.get_company(id).await?.filter(|c| c.deleted_at.is_none()) {
                return Ok(Some(ConvertedRecord { id, name: c.name, reused: true, matched_by: Some(by) }));
            }
        }
        Ok(None)
    }

    /// Hides the name of a matched record the actor may not read (its id is shown, as the
    /// duplicate warnings of contacts show it).
    async fn redact(&self, actor: &Actor, rec: Option<ConvertedRecord>, contact: bool) -> Option<ConvertedRecord> {
        let mut rec = rec?;
        let readable = if contact {
            self.get_contact(actor, rec.id).await.is_ok()
        } else {
            self.get_company(actor, rec.id).await.is_ok()
        };
        if !readable {
            rec.name = String::new();
        }
        Some(rec)
    }

    /// What converting the lead would reuse or create.
    pub async fn conversion_preview(
        &self,
        actor: &Actor,
        id: Uuid,
        company_tax_number: Option<&str>,
    ) -> Result<ConversionPreview> {
        let lead = self.lead_for(actor, id, Action::Read).await?;
        let contact = self.match_contact(&lead).await?;
        let contact = self.redact(actor, contact, true).await;
        let tax = tax_key(company_tax_number);
        let company = self.match_company(&lead, tax.as_deref()).await?;
        let company = self.redact(actor, company, false).await;
        Ok(ConversionPreview {
            creates_contact: contact.is_none() && lead.name.is_some(),
            creates_company: company.is_none() && lead.company_name.is_some(),
            contact,
            company,
        })
    }

    /// Converts a lead: reuses (or creates) its contact and company, creates a deal linked to
    /// the lead, and marks the lead converted with links to all three, in one transaction.
    pub async fn convert_lead(
        &self,
        actor: &Actor,
        id: Uuid,
        req: ConvertRequest,
        if_match: Option<i64>,
    ) -> Result<ConversionResult> {
        let current = self.lead_for(actor, id, Action::Update).await?;
        if current.deleted_at.is_some() {
            return Err(Error::NotFound("lead"));
        }
        check_version(if_match, current.version)?;
        match current.status {
            LeadStatus::Converted => {
                return Err(Error::Conflict {
                    message: "this lead is already converted".into(),
                    field: Some("status".into()),
                    existing_id: current.converted_deal_id.or(current.converted_contact_id),
                });
            }
            LeadStatus::Disqualified => {
                return Err(Error::conflict(
                    "status",
                    "a disqualified lead cannot be converted; change its status first",
                ));
            }
            _ => {}
        }
        let owner = current.owner_id;
        let ownership = self.ownership(owner).await?;
        let at = now();
        let mut p = Problems::new();
        let mut audits = Vec::new();
        let tax = tax_key(req.company_tax_number.as_deref());

        // The company: the one given, an existing match, or a new one from the company name.
        let mut new_company = None;
        let company: Option<ConvertedRecord> = match req.company_id {
            Some(cid) => match self.get_company(actor, cid).await {
                Ok(c) if c.deleted_at.is_none() => {
                    Some(ConvertedRecord { id: c.id, name: c.name, reused: true, matched_by: Some("given".into()) })
                }
                _ => {
                    p.add("company_id", "no such company");
                    None
                }
            },
            None => match self.match_company(&current, tax.as_deref()).await? {
                Some(m) => self.redact(actor, Some(m), false).await,
                None => match &current.company_name {
                    Some(name) => {
                        check_create(actor, RecordKind::Company, ownership)?;
                        let defs = self.store.list_custom_fields(Some("company")).await?;
                        let input = CompanyInput {
                            name: Some(name.clone()),
                            tax_number: tax.clone(),
                            owner_id: owner,
                            source: current.source.clone(),
                            lifecycle: Some("prospect".into()),
                            ..CompanyInput::default()
                        };
                        let meta = RecordMeta {
                            id: new_id(),
                            version: 1,
                            created_at: at,
                            updated_at: at,
                            deleted_at: None,
                            merged_into: None,
                        };
                        let mut cp = Problems::new();
                        let c = input.validate(meta, owner, self.settings.default_region, &defs, &mut cp);
                        if let Err(e) = cp.into_result() {
                            return Err(nest(e, "company.", &[]));
                        }
                        audits.push(audit_entry(actor, "create", "company", c.id, audit::created(&to_json(&c))));
                        let rec = ConvertedRecord { id: c.id, name: c.name.clone(), reused: false, matched_by: None };
                        let body = c.search_body();
                        new_company = Some((c, body));
                        Some(rec)
                    }
                    None => None,
                },
            },
        };

        // The contact: the one given, an existing match, or a new one from the lead's name.
        let mut new_contact = None;
        let contact: Option<ConvertedRecord> = match req.contact_id {
            Some(cid) => match self.get_contact(actor, cid).await {
                Ok(c) if c.contact.deleted_at.is_none() => Some(ConvertedRecord {
                    id: c.contact.id,
                    name: c.contact.display_name,
                    reused: true,
                    matched_by: Some("given".into()),
                }),
                _ => {
                    p.add("contact_id", "no such contact");
                    None
                }
            },
            None => match self.match_contact(&current).await? {
                Some(m) => self.redact(actor, Some(m), true).await,
                None if current.name.is_some() || (!current.phones.is_empty() || !current.emails.is_empty()) => {
                    check_create(actor, RecordKind::Contact, ownership)?;
                    let defs = self.store.list_custom_fields(Some("contact")).await?;
                    let input = ContactInput {
                        display_name: Some(current.title().to_owned()),
                        owner_id: owner,
                        source: current.source.clone(),
                        lifecycle: Some("prospect".into()),
                        phones: current
                            .phones
                            .iter()
                            .map(|ph| PhoneInput::Full {
                                number: ph.number.clone(),
                                kind: Some(ph.kind.clone()),
                                e164: None,
                                flag: None,
                            })
                            .collect(),
                        emails: current
                            .emails
                            .iter()
                            .map(|e| EmailInput::Full { address: e.address.clone(), kind: Some(e.kind.clone()) })
                            .collect(),
                        company_id: company.as_ref().map(|c| c.id),
                        ..ContactInput::default()
                    };
                    let meta = RecordMeta {
                        id: new_id(),
                        version: 1,
                        created_at: at,
                        updated_at: at,
                        deleted_at: None,
                        merged_into: None,
                    };
                    let mut cp = Problems::new();
                    let c = input.validate(meta, owner, self.settings.default_region, &defs, &mut cp);
                    if let Err(e) = cp.into_result() {
                        return Err(nest(e, "contact.", &[]));
                    }
                    audits.push(audit_entry(actor, "create", "contact", c.id, audit::created(&to_json(&c))));
                    let link = company.as_ref().map(|co| CompanyLink {
                        company_id: co.id,
                        contact_id: c.id,
                        role: None,
                        is_primary: true,
                    });
                    let body = c.search_body(company.as_ref().map(|co| co.name.as_str()));
                    let rec =
                        ConvertedRecord { id: c.id, name: c.display_name.clone(), reused: false, matched_by: None };
                    new_contact = Some((c, body, link));
                    Some(rec)
                }
                None => None,
            },
        };
        p.into_result()?;

        // The deal, linked to the lead, the contact and the company.
        let deal = if req.create_deal {
            let title = req
                .deal_title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| current.company_name.clone().unwrap_or_else(|| current.title().to_owned()));
            let input = DealInput {
                title: Some(title),
                pipeline_id: req.pipeline_id,
                stage_id: req.stage_id,
                amount: req.amount.clone(),
                currency: req.currency.clone(),
                source: current.source.clone(),
                owner_id: owner,
                lead_id: Some(current.id),
                tags: current.tags.clone(),
                ..DealInput::default()
            };
            let mut w = self
                .new_deal_write(actor, input)
                .await
                .map_err(|e| nest(e, "", &[("title", "deal_title"), ("owner_id", "owner_id")]))?;
            w.deal.contact_id = contact.as_ref().map(|c| c.id);
            w.deal.company_id = company.as_ref().map(|c| c.id);
            w.audit = audit_entry(actor, "create", "deal", w.deal.id, audit::created(&to_json(&w.deal)));
            Some(w)
        } else {
            None
        };

        let mut next = current.clone();
        next.status = LeadStatus::Converted;
        next.converted_at = Some(at);
        next.converted_contact_id = contact.as_ref().map(|c| c.id);
        next.converted_company_id = company.as_ref().map(|c| c.id);
        next.converted_deal_id = deal.as_ref().map(|w| w.deal.id);
        next.version = current.version + 1;
        next.updated_at = at;
        let mut changes = audit::diff(&to_json(&current), &to_json(&next));
        if let Some(m) = changes.as_object_mut() {
            m.insert(
                "conversion".into(),
                json!({"new": {
                    "contact": contact.as_ref().map(|c| json!({"id": c.id, "reused": c.reused, "matched_by": c.matched_by})),
                    "company": company.as_ref().map(|c| json!({"id": c.id, "reused": c.reused, "matched_by": c.matched_by})),
                    "deal_id": next.converted_deal_id,
                }}),
            );
        }
        audits.push(audit_entry(actor, "converted", "lead", id, changes));
        let conv = LeadConversion {
            lead: next.clone(),
            lead_expected_version: current.version,
            new_company,
            new_contact,
            deal: deal.clone(),
            audits,
        };
        self.store.convert_lead(&conv).await?;
        let deal = match deal {
            Some(w) => Some(self.get_deal(actor, w.deal.id).await?),
            None => None,
        };
        Ok(ConversionResult { lead: next, contact, company, deal })
    }
}
