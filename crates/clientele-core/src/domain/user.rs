use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

use super::email::EmailAddress;
use crate::error::FieldError;

/// The baseline roles. What each may do is decided in one place: [`crate::authz`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, settings and every record.
    Admin,
    /// Head of sales: every record of their team (and sub-teams); reassigns work.
    Head,
    /// Sales manager: their own records.
    Manager,
    /// Sees every record, changes nothing.
    Readonly,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Head, Role::Manager, Role::Readonly];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Head => "head",
            Role::Manager => "manager",
            Role::Readonly => "readonly",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" | "administrator" => Ok(Role::Admin),
            "head" | "head_of_sales" | "head-of-sales" => Ok(Role::Head),
            "manager" | "sales_manager" => Ok(Role::Manager),
            "readonly" | "read-only" | "read_only" => Ok(Role::Readonly),
            other => Err(format!("`{other}` is not a role (admin, head, manager, readonly)")),
        }
    }
}

/// The locales the UI speaks. English is the fallback for any missing string.
pub const LOCALES: [&str; 5] = ["en", "fr", "ru", "bg", "ko"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub version: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    /// `None` = take it from the browser.
    pub locale: Option<String>,
    pub time_zone: String,
    pub active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user row as stored, with the password hash that never leaves the service layer.
#[derive(Debug, Clone)]
pub struct UserWithSecret {
    pub user: User,
    pub password_hash: String,
}

/// A display name: trimmed, 1..=200 characters, no control characters.
pub fn parse_name(field: &str, input: &str, max: usize) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if s.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(s.to_owned())
}

pub fn parse_email(field: &str, input: &str) -> Result<EmailAddress, FieldError> {
    EmailAddress::parse_field(field, input)
}

pub fn parse_role(field: &str, input: &str) -> Result<Role, FieldError> {
    input.parse().map_err(|m: String| FieldError::new(field, m))
}

pub fn parse_locale(field: &str, input: &str) -> Result<Option<String>, FieldError> {
    let s = input.trim();
    if s.is_empty() || s == "auto" {
        return Ok(None);
    }
    let lower = s.to_ascii_lowercase();
    if LOCALES.contains(&lower.as_str()) {
        Ok(Some(lower))
    } else {
        Err(FieldError::new(field, format!("`{s}` is not a supported locale ({})", LOCALES.join(", "))))
    }
}

/// An IANA time zone name such as `Europe/Sofia`, or `UTC` (empty means UTC), checked
/// against the time zone database.
pub fn parse_time_zone(field: &str, input: &str) -> Result<String, FieldError> {
    super::zone::parse_zone(field, input).map(|z| z.name().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_common_spellings() {
        assert_eq!("Admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!("read-only".parse::<Role>().unwrap(), Role::Readonly);
        assert!("owner".parse::<Role>().is_err());
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("name", "  Анна Петрова ", 200).unwrap(), "Анна Петрова");
        assert!(parse_name("name", "   ", 200).is_err());
        assert!(parse_name("name", &"x".repeat(201), 200).is_err());
        assert!(parse_name("name", "a\u{0}b", 200).is_err());
    }

    #[test]
    fn locales_and_zones() {
        assert_eq!(parse_locale("locale", "RU").unwrap(), Some("ru".into()));
        assert_eq!(parse_locale("locale", "").unwrap(), None);
        assert!(parse_locale("locale", "de").is_err());
        assert_eq!(parse_time_zone("tz", "Europe/Sofia").unwrap(), "Europe/Sofia");
        assert!(parse_time_zone("tz", "not a zone").is_err());
    }
}
