//! Automation as code (issue 7): rules and distribution policies exported and imported as one
//! versioned JSON document, so a company can keep them in git and provision a new instance.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Services;
use super::rules::{PolicyInput, RuleInput};
use super::users::to_json;
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::distribution;
use crate::domain::rule;
use crate::error::{Error, FieldError, Result};

/// The document's `format`.
pub const AUTOMATION_FORMAT: &str = "clientele.automation";
/// The document's `version` this release writes and reads.
pub const AUTOMATION_VERSION: u32 = 1;

/// One rule as code: everything but ids, versions and times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub trigger: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub conditions: Option<Value>,
    #[schema(value_type = Vec<Object>)]
    pub actions: Value,
}

fn yes() -> bool {
    true
}

/// Rules and policies as code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationDocument {
    /// Always `clientele.automation`.
    pub format: String,
    /// 1.
    pub version: u32,
    #[serde(default)]
    pub policies: Vec<PolicyInput>,
    #[serde(default)]
    pub rules: Vec<RuleDoc>,
}

/// What an import did, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

fn prefixed(e: Error, prefix: &str) -> Vec<FieldError> {
    match e {
        Error::Validation(list) => {
            list.into_iter().map(|f| FieldError::new(format!("{prefix}.{}", f.field), f.message)).collect()
        }
        other => vec![FieldError::new(prefix, other.to_string())],
    }
}

impl Services {
    pub async fn export_automation(&self, actor: &Actor) -> Result<AutomationDocument> {
        check_area(actor, Area::Settings, Action::Read)?;
        let rules = self
            .store
            .list_rules()
            .await?
            .into_iter()
            .map(|r| {
                let d = to_json(&r.definition);
                RuleDoc {
                    name: r.name,
                    description: r.description,
                    enabled: r.enabled,
                    trigger: d.get("trigger").cloned().unwrap_or(Value::Null),
                    conditions: d.get("conditions").cloned().filter(|c| !c.is_null()),
                    actions: d.get("actions").cloned().unwrap_or(Value::Null),
                }
            })
            .collect();
        let policies = self
            .store
            .list_policies()
            .await?
            .into_iter()
            .map(|p| PolicyInput { name: p.name, definition: p.definition })
            .collect();
        Ok(AutomationDocument { format: AUTOMATION_FORMAT.into(), version: AUTOMATION_VERSION, policies, rules })
    }

    /// Imports a document: policies, then rules, matched by name (a rule that changed gets
    /// a new version). The whole document's shape is checked first — every problem named by
    /// its path (`rules[2].actions[0].title`) and nothing written when there is one; references
    /// to stages, users and policies are checked as each item is saved.
    pub async fn import_automation(&self, actor: &Actor, doc: Value) -> Result<(ImportOutcome, ImportOutcome)> {
        check_area(actor, Area::Settings, Action::Update)?;
        let doc: AutomationDocument =
            serde_json::from_value(doc).map_err(|e| Error::invalid("document", e.to_string()))?;
        let mut errors = Vec::new();
        if doc.format != AUTOMATION_FORMAT {
            errors.push(FieldError::new("format", format!("must be `{AUTOMATION_FORMAT}`")));
        }
        if doc.version != AUTOMATION_VERSION {
            errors.push(FieldError::new("version", format!("this release reads version {AUTOMATION_VERSION}")));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, p) in doc.policies.iter().enumerate() {
            for f in distribution::validate(&p.definition) {
                errors.push(FieldError::new(format!("policies[{i}].{}", f.field), f.message));
            }
            if !seen.insert(p.name.clone()) {
                errors.push(FieldError::new(format!("policies[{i}].name"), "is in the document twice"));
            }
        }
        let mut names = std::collections::HashSet::new();
        for (i, r) in doc.rules.iter().enumerate() {
            let def = serde_json::json!({"trigger": r.trigger, "conditions": r.conditions, "actions": r.actions});
            if let Err(list) = rule::parse_definition(&def) {
                errors.extend(list.into_iter().map(|f| FieldError::new(format!("rules[{i}].{}", f.field), f.message)));
            }
            if r.name.trim().is_empty() {
                errors.push(FieldError::new(format!("rules[{i}].name"), "is required"));
            }
            if !names.insert(r.name.trim().to_owned()) {
                errors.push(FieldError::new(format!("rules[{i}].name"), "is in the document twice"));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let mut policies = ImportOutcome::default();
        let existing_policies = self.store.list_policies().await?;
        for (i, p) in doc.policies.into_iter().enumerate() {
            match existing_policies.iter().find(|e| e.name == p.name) {
                Some(e) if e.definition == p.definition => policies.unchanged.push(p.name),
                found => {
                    let name = p.name.clone();
                    self.save_policy(actor, p)
                        .await
                        .map_err(|e| Error::Validation(prefixed(e, &format!("policies[{i}]"))))?;
                    if found.is_some() { policies.updated.push(name) } else { policies.created.push(name) }
                }
            }
        }
        let mut rules = ImportOutcome::default();
        let existing = self.store.list_rules().await?;
        for (i, r) in doc.rules.into_iter().enumerate() {
            let name = r.name.trim().to_owned();
            let input = RuleInput {
                name: Some(name.clone()),
                description: Some(r.description),
                enabled: Some(r.enabled),
                trigger: Some(r.trigger),
                conditions: Some(r.conditions.unwrap_or(Value::Null)),
                actions: Some(r.actions),
            };
            let path = format!("rules[{i}]");
            match existing.iter().find(|e| e.name == name) {
                Some(e) => {
                    let saved = self
                        .update_rule(actor, e.id, input, None)
                        .await
                        .map_err(|err| Error::Validation(prefixed(err, &path)))?;
                    if saved.version == e.version { rules.unchanged.push(name) } else { rules.updated.push(name) }
                }
                None => {
                    self.create_rule(actor, input).await.map_err(|err| Error::Validation(prefixed(err, &path)))?;
                    rules.created.push(name);
                }
            }
        }
        Ok((rules, policies))
    }
}
