//! Leads: unqualified incoming requests (a web form, a call, a campaign) before they become a
//! contact, a company and a deal. A lead keeps where it came from (source and UTM fields),
//! how warm it is, who works it and how far it got; conversion links it to what it became.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::client::{Email, EmailInput, Phone, PhoneInput, fold, opt_text, parse_emails, parse_phones, parse_tags};
use super::phone::Region;
use crate::error::Problems;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Temperature {
    Cold,
    Warm,
    Hot,
}

impl Temperature {
    pub const ALL: [Temperature; 3] = [Temperature::Cold, Temperature::Warm, Temperature::Hot];

    pub fn as_str(self) -> &'static str {
        match self {
            Temperature::Cold => "cold",
            Temperature::Warm => "warm",
            Temperature::Hot => "hot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim().to_ascii_lowercase())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    InProgress,
    Qualified,
    /// Not worth pursuing; `disqualify_reason` says why.
    Disqualified,
    /// Became a contact / company / deal (only `POST /leads/{id}/convert` sets it).
    Converted,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 5] = [
        LeadStatus::New,
        LeadStatus::InProgress,
        LeadStatus::Qualified,
        LeadStatus::Disqualified,
        LeadStatus::Converted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::InProgress => "in_progress",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Disqualified => "disqualified",
            LeadStatus::Converted => "converted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim().to_ascii_lowercase())
    }
}

pub const LEAD_STATUSES: &[&str] = &["new", "in_progress", "qualified", "disqualified", "converted"];
pub const TEMPERATURES: &[&str] = &["cold", "warm", "hot"];

/// A lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lead {
    pub id: Uuid,
    pub version: i64,
    /// The person's name, as given.
    pub name: Option<String>,
    pub company_name: Option<String>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    /// Channel: `website`, `referral`, `cold_call`, ...
    pub source: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
    pub temperature: Temperature,
    pub owner_id: Option<Uuid>,
    pub status: LeadStatus,
    /// Why the lead was disqualified (only with status `disqualified`).
    pub disqualify_reason: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// When it was converted, and what it became.
    pub converted_at: Option<DateTime<Utc>>,
    pub converted_contact_id: Option<Uuid>,
    pub converted_company_id: Option<Uuid>,
    pub converted_deal_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Lead {
    /// The name to show: the person's, else the company's.
    pub fn title(&self) -> &str {
        self.name.as_deref().or(self.company_name.as_deref()).unwrap_or("")
    }

    /// Folded words that `q` matches (name, company, e-mails, phone digits).
    pub fn search_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.name.as_deref().map(fold));
        parts.extend(self.company_name.as_deref().map(fold));
        parts.extend(self.emails.iter().map(|e| e.address.clone()));
        parts.extend(self.phones.iter().filter_map(|p| p.e164.as_ref().map(|e| e.trim_start_matches('+').to_owned())));
        parts.join(" ")
    }
}

/// What a client sends to create a lead, or (merged over the current lead) to change one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadInput {
    /// A lead needs `name` or `company_name`.
    pub name: Option<String>,
    pub company_name: Option<String>,
    #[serde(default)]
    pub phones: Vec<PhoneInput>,
    #[serde(default)]
    pub emails: Vec<EmailInput>,
    pub source: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
    /// cold, warm (default) or hot.
    pub temperature: Option<String>,
    /// Defaults to the creator.
    pub owner_id: Option<Uuid>,
    /// new (default), in_progress, qualified or disqualified (with `disqualify_reason`).
    pub status: Option<String>,
    pub disqualify_reason: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
}

/// Fields of a stored lead a client may send back but never sets.
pub const LEAD_READ_ONLY: [&str; 9] = [
    "id",
    "version",
    "converted_at",
    "converted_contact_id",
    "converted_company_id",
    "converted_deal_id",
    "created_at",
    "updated_at",
    "deleted_at",
];

/// Overlays a patch (top-level keys) on the current lead's JSON without its read-only fields.
pub fn merge_lead_patch(current: &Value, patch: &Map<String, Value>) -> Value {
    let mut base = current.as_object().cloned().unwrap_or_default();
    for k in LEAD_READ_ONLY {
        base.remove(k);
    }
    // A status change away from `disqualified` drops the old reason unless one is sent.
    if patch.contains_key("status") && !patch.contains_key("disqualify_reason") {
        base.remove("disqualify_reason");
    }
    for (k, v) in patch {
        if !LEAD_READ_ONLY.contains(&k.as_str()) {
            base.insert(k.clone(), v.clone());
        }
    }
    Value::Object(base)
}

fn url_text(field: &str, v: Option<&str>, p: &mut Problems) -> Option<String> {
    opt_text(field, v, 2000, false, p)
}

impl LeadInput {
    /// Validates every field (collecting every problem) into `lead`'s content; identity,
    /// times and conversion links stay as they are.
    pub fn validate_into(
        &self,
        lead: &mut Lead,
        region: Option<Region>,
        defs: &[super::custom_field::CustomFieldDef],
        p: &mut Problems,
    ) {
        lead.name = opt_text("name", self.name.as_deref(), 200, false, p);
        lead.company_name = opt_text("company_name", self.company_name.as_deref(), 200, false, p);
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&self.name) && blank(&self.company_name) {
            p.add("name", "a lead needs a name or a company_name");
        }
        lead.phones = parse_phones("phones", &self.phones, region, p);
        lead.emails = parse_emails("emails", &self.emails, p);
        lead.source = opt_text("source", self.source.as_deref(), 100, false, p);
        lead.utm_source = opt_text("utm_source", self.utm_source.as_deref(), 200, false, p);
        lead.utm_medium = opt_text("utm_medium", self.utm_medium.as_deref(), 200, false, p);
        lead.utm_campaign = opt_text("utm_campaign", self.utm_campaign.as_deref(), 200, false, p);
        lead.utm_term = opt_text("utm_term", self.utm_term.as_deref(), 200, false, p);
        lead.utm_content = opt_text("utm_content", self.utm_content.as_deref(), 200, false, p);
        lead.referrer = url_text("referrer", self.referrer.as_deref(), p);
        lead.landing_page = url_text("landing_page", self.landing_page.as_deref(), p);
        lead.temperature = match self.temperature.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Temperature::Warm,
            Some(t) => Temperature::parse(t).unwrap_or_else(|| {
                p.add("temperature", format!("`{t}` is not a temperature (cold, warm, hot)"));
                Temperature::Warm
            }),
        };
        let status = match self.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => LeadStatus::New,
            Some(s) => match LeadStatus::parse(s) {
                Some(LeadStatus::Converted) if lead.status != LeadStatus::Converted => {
                    p.add("status", "a lead is converted with POST /api/v1/leads/{id}/convert");
                    lead.status
                }
                Some(st) => st,
                None => {
                    p.add("status", format!("`{s}` is not a lead status (new, in_progress, qualified, disqualified)"));
                    lead.status
                }
            },
        };
        if lead.status == LeadStatus::Converted && status != LeadStatus::Converted {
            p.add("status", "a converted lead keeps its status");
        }
        lead.status = status;
        let reason = opt_text("disqualify_reason", self.disqualify_reason.as_deref(), 500, true, p);
        lead.disqualify_reason = if status == LeadStatus::Disqualified {
            if reason.is_none() {
                p.add("disqualify_reason", "is required when the status is disqualified");
            }
            reason
        } else {
            None
        };
        lead.owner_id = self.owner_id;
        lead.notes = opt_text("notes", self.notes.as_deref(), 20_000, true, p);
        lead.tags = parse_tags("tags", &self.tags, p);
        lead.custom_fields = super::custom_field::check_values(defs, &self.custom_fields, region, p);
    }
}

/// A blank lead with this identity, for [`LeadInput::validate_into`].
pub fn blank(id: Uuid, at: DateTime<Utc>) -> Lead {
    Lead {
        id,
        version: 1,
        name: None,
        company_name: None,
        phones: vec![],
        emails: vec![],
        source: None,
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
        utm_term: None,
        utm_content: None,
        referrer: None,
        landing_page: None,
        temperature: Temperature::Warm,
        owner_id: None,
        status: LeadStatus::New,
        disqualify_reason: None,
        notes: None,
        tags: vec![],
        custom_fields: Map::new(),
        converted_at: None,
        converted_contact_id: None,
        converted_company_id: None,
        converted_deal_id: None,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

/// Free e-mail providers: their domain says nothing about a company.
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.ru",
    "bk.ru",
    "inbox.ru",
    "list.ru",
    "yandex.ru",
    "ya.ru",
    "rambler.ru",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "abv.bg",
    "naver.com",
    "daum.net",
    "hanmail.net",
];

/// The company domain of an e-mail address, unless it is a free provider's.
pub fn company_domain(address: &str) -> Option<String> {
    let d = address.rsplit_once('@')?.1.trim().to_ascii_lowercase();
    (!d.is_empty() && d.contains('.') && !FREE_MAIL.contains(&d.as_str())).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> LeadInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut lead = blank(Uuid::nil(), Utc::now());
        let mut p = Problems::new();
        input(serde_json::json!({"phones": ["12"], "emails": ["nope"], "temperature": "boiling", "status": "disqualified"}))
            .validate_into(&mut lead, Region::parse("RU").ok(), &[], &mut p);
        let crate::Error::Validation(v) = p.into_result().unwrap_err() else { panic!() };
        let fields: Vec<_> = v.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "phones[0].number", "emails[0].address", "temperature", "disqualify_reason"]);
    }

    #[test]
    fn a_lead_needs_a_name_or_a_company() {
        let mut lead = blank(Uuid::nil(), Utc::now());
        let mut p = Problems::new();
        input(serde_json::json!({"source": "website"})).validate_into(&mut lead, None, &[], &mut p);
        assert!(!p.is_empty());
        let mut p = Problems::new();
        input(serde_json::json!({"company_name": "Acme", "phones": ["8 (495) 123-45-67"]})).validate_into(
            &mut lead,
            Region::parse("RU").ok(),
            &[],
            &mut p,
        );
        assert!(p.is_empty());
        assert_eq!(lead.phones[0].e164.as_deref(), Some("+74951234567"));
        assert_eq!((lead.status, lead.temperature), (LeadStatus::New, Temperature::Warm));
    }

    #[test]
    fn converted_is_not_set_by_hand() {
        let mut lead = blank(Uuid::nil(), Utc::now());
        let mut p = Problems::new();
        input(serde_json::json!({"name": "Ann", "status": "converted"})).validate_into(&mut lead, None, &[], &mut p);
        assert!(!p.is_empty());
    }

    #[test]
    fn company_domains() {
        assert_eq!(company_domain("ann@acme.ru").as_deref(), Some("acme.ru"));
        assert_eq!(company_domain("ann@gmail.com"), None);
    }
}
