//! The rows of the record lists: one page of contacts, companies, deals or leads read through
//! the services, each record's chosen columns as cells.

use std::collections::HashMap;

use clientele_core::Error;
use clientele_core::domain::client::{Address, Email, Lifecycle, Phone};
use clientele_core::domain::custom_field::CustomFieldDef;
use clientele_core::service::ListRequest;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Chrome;
use super::clients_common::{Cell, ListRow, lifecycle_label, name_of, show_custom};
use super::list_kinds::ListKind;
use crate::auth::Authenticated;
use crate::state::AppState;

fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn first_phone(phones: &[Phone]) -> String {
    phones.first().map(|p| p.e164.clone().unwrap_or_else(|| p.number.clone())).unwrap_or_default()
}

fn first_email(emails: &[Email]) -> Cell {
    emails
        .first()
        .map(|e| Cell::link(e.address.clone(), format!("mailto:{}", e.address)))
        .unwrap_or_else(|| Cell::text(""))
}

/// The columns contacts and companies share.
fn client_cell(
    c: &Chrome,
    key: &str,
    phones: &[Phone],
    emails: &[Email],
    lifecycle: Lifecycle,
    address: Option<&Address>,
    source: Option<&str>,
) -> Option<Cell> {
    Some(match key {
        "phone" => Cell::text(first_phone(phones)),
        "email" => first_email(emails),
        "lifecycle" => Cell::badge(lifecycle_label(c, lifecycle), lifecycle.as_str()),
        "city" => Cell::text(address.and_then(|a| a.city.clone()).unwrap_or_default()),
        "source" => Cell::text(source.unwrap_or_default()),
        _ => return None,
    })
}

/// What the lists share for the columns every kind has.
struct Common<'a> {
    c: &'a Chrome,
    users: &'a [(String, String)],
    defs: &'a [CustomFieldDef],
}

impl Common<'_> {
    fn cell(
        &self,
        key: &str,
        owner: Option<Uuid>,
        tags: &[String],
        created: chrono::DateTime<chrono::Utc>,
        updated: chrono::DateTime<chrono::Utc>,
        custom: &Map<String, Value>,
    ) -> Cell {
        match key {
            "owner" => Cell::text(name_of(self.users, owner)),
            "tags" => Cell::tags(tags.to_vec()),
            "created" => Cell::text(date(created)),
            "updated" => Cell::text(date(updated)),
            k => {
                let def = k.strip_prefix("cf.").and_then(|key| self.defs.iter().find(|x| x.key == key));
                Cell::text(
                    def.and_then(|d| custom.get(&d.key).map(|v| show_custom(self.c, d, v, self.users)))
                        .unwrap_or_default(),
                )
            }
        }
    }
}

/// Names of linked companies and contacts, read once each (only what the actor may see).
async fn names(
    state: &AppState,
    user: &Authenticated,
    companies: impl Iterator<Item = Uuid>,
    contacts: impl Iterator<Item = Uuid>,
) -> HashMap<Uuid, String> {
    let s = state.services();
    let mut out = HashMap::new();
    for id in companies {
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id)
            && let Ok(co) = s.get_company(&user.actor, id).await
        {
            e.insert(co.name);
        }
    }
    for id in contacts {
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id)
            && let Ok(v) = s.get_contact(&user.actor, id).await
        {
            e.insert(v.contact.display_name);
        }
    }
    out
}

fn linked(names: &HashMap<Uuid, String>, id: Option<Uuid>, base: &str) -> Cell {
    match id {
        Some(id) => Cell::link(names.get(&id).cloned().unwrap_or_default(), format!("{base}/{id}")),
        None => Cell::text(""),
    }
}

/// One page of the list: its rows with the chosen columns, and the cursor after it.
#[allow(clippy::too_many_arguments)]
pub async fn page_rows(
    kind: ListKind,
    state: &AppState,
    user: &Authenticated,
    c: &Chrome,
    req: &ListRequest,
    cols: &[String],
    users: &[(String, String)],
    defs: &[CustomFieldDef],
) -> Result<(Vec<ListRow>, Option<String>), Error> {
    let s = state.services();
    let common = Common { c, users, defs };
    let want = |k: &str| cols.iter().any(|x| x == k);
    let row = |id: Uuid, name: String, sub: String, cell: &dyn Fn(&str) -> Cell| ListRow {
        id: id.to_string(),
        name,
        sub,
        cells: cols.iter().map(|k| cell(k)).collect(),
    };
    match kind {
        ListKind::Contact => {
            let page = s.list_contacts(&user.actor, req).await?;
            let companies = if want("company") {
                names(state, user, page.data.iter().filter_map(|x| x.company_id), std::iter::empty()).await
            } else {
                HashMap::new()
            };
            let rows = page
                .data
                .iter()
                .map(|x| {
                    row(x.id, x.display_name.clone(), x.title.clone().unwrap_or_default(), &|k| match k {
                        "company" => linked(&companies, x.company_id, "/companies"),
                        "title" => Cell::text(x.title.clone().unwrap_or_default()),
                        k => client_cell(
                            c,
                            k,
                            &x.phones,
                            &x.emails,
                            x.lifecycle,
                            x.address.as_ref(),
                            x.source.as_deref(),
                        )
                        .unwrap_or_else(|| {
                            common.cell(k, x.owner_id, &x.tags, x.created_at, x.updated_at, &x.custom_fields)
                        }),
                    })
                })
                .collect();
            Ok((rows, page.next_cursor))
        }
        ListKind::Company => {
            let page = s.list_companies(&user.actor, req).await?;
            let rows = page
                .data
                .iter()
                .map(|x| {
                    row(x.id, x.name.clone(), x.legal_name.clone().unwrap_or_default(), &|k| match k {
                        "industry" => Cell::text(x.industry.clone().unwrap_or_default()),
                        "tax_number" => Cell::text(x.tax_number.clone().unwrap_or_default()),
                        "website" => match &x.website {
                            Some(w) => Cell::link(w.clone(), w.clone()),
                            None => Cell::text(""),
                        },
                        k => client_cell(
                            c,
                            k,
                            &x.phones,
                            &x.emails,
                            x.lifecycle,
                            x.address.as_ref(),
                            x.source.as_deref(),
                        )
                        .unwrap_or_else(|| {
                            common.cell(k, x.owner_id, &x.tags, x.created_at, x.updated_at, &x.custom_fields)
                        }),
                    })
                })
                .collect();
            Ok((rows, page.next_cursor))
        }
        ListKind::Deal => {
            let page = s.list_deals(&user.actor, req).await?;
            let pipelines = s.list_pipelines(&user.actor).await?;
            let linked_names = names(
                state,
                user,
                page.data.iter().filter_map(|d| d.company_id).filter(|_| want("company")),
                page.data.iter().filter_map(|d| d.contact_id).filter(|_| want("contact")),
            )
            .await;
            let stage = |id: Uuid| {
                pipelines.iter().flat_map(|p| p.stages.iter()).find(|st| st.id == id).map(|st| st.name.clone())
            };
            let rows = page
                .data
                .iter()
                .map(|d| {
                    let pipeline = pipelines.iter().find(|p| p.id == d.pipeline_id).map(|p| p.name.clone());
                    let sub =
                        format!("{} · {}", pipeline.clone().unwrap_or_default(), stage(d.stage_id).unwrap_or_default());
                    row(d.id, d.title.clone(), sub, &|k| match k {
                        "pipeline" => Cell::text(pipeline.clone().unwrap_or_default()),
                        "stage" => Cell::text(stage(d.stage_id).unwrap_or_else(|| c.t.get("deal-removed-stage"))),
                        "status" => Cell::badge(
                            c.t.get(&format!("deal-status-{}", d.status.as_str())),
                            &format!("deal-{}", d.status.as_str()),
                        ),
                        "amount" => Cell::num(format!("{} {}", d.amount, d.currency)),
                        "contact" => linked(&linked_names, d.contact_id, "/contacts"),
                        "company" => linked(&linked_names, d.company_id, "/companies"),
                        "close" => Cell::text(d.expected_close_date.map(|x| x.to_string()).unwrap_or_default()),
                        "source" => Cell::text(d.source.clone().unwrap_or_default()),
                        "in_stage" => Cell::text(date(d.stage_entered_at)),
                        "closed" => Cell::text(d.closed_at.map(date).unwrap_or_default()),
                        k => common.cell(k, d.owner_id, &d.tags, d.created_at, d.updated_at, &d.custom_fields),
                    })
                })
                .collect();
            Ok((rows, page.next_cursor))
        }
        ListKind::Lead => {
            let page = s.list_leads(&user.actor, req).await?;
            let rows = page
                .data
                .iter()
                .map(|l| {
                    let name = l.name.clone().or_else(|| l.company_name.clone()).unwrap_or_default();
                    let sub = if l.name.is_some() { l.company_name.clone().unwrap_or_default() } else { String::new() };
                    row(l.id, name, sub, &|k| match k {
                        "company" => Cell::text(l.company_name.clone().unwrap_or_default()),
                        "status" => Cell::badge(
                            c.t.get(&format!("lead-status-{}", l.status.as_str().replace('_', "-"))),
                            &format!("lead-{}", l.status.as_str()),
                        ),
                        "temperature" => Cell::badge(
                            c.t.get(&format!("lead-temp-{}", l.temperature.as_str())),
                            &format!("temp-{}", l.temperature.as_str()),
                        ),
                        "source" => Cell::text(l.source.clone().unwrap_or_default()),
                        "utm_source" => Cell::text(l.utm_source.clone().unwrap_or_default()),
                        "utm_campaign" => Cell::text(l.utm_campaign.clone().unwrap_or_default()),
                        "phone" => Cell::text(first_phone(&l.phones)),
                        "email" => first_email(&l.emails),
                        k => common.cell(k, l.owner_id, &l.tags, l.created_at, l.updated_at, &l.custom_fields),
                    })
                })
                .collect();
            Ok((rows, page.next_cursor))
        }
    }
}
