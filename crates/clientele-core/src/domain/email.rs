use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::FieldError;

/// A syntactically valid e-mail address, trimmed and lower-cased.
///
/// Lower-casing the local part is technically lossy (RFC 5321 lets it be case-sensitive),
/// but no mail system in practice treats it so, and a CRM must find `Ann@X.com` when
/// someone types `ann@x.com`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.len() > 254 {
            return Err("is longer than 254 characters".into());
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(format!("`{}` is not an e-mail address (no @)", input.trim()));
        };
        if local.is_empty() || domain.is_empty() {
            return Err(format!("`{}` is not an e-mail address", input.trim()));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(format!("`{domain}` is not a valid mail domain"));
        }
        if !email_address::EmailAddress::is_valid(&s) {
            return Err(format!("`{}` is not a valid e-mail address", input.trim()));
        }
        Ok(Self(s))
    }

    /// Parses, reporting a failure against the given field name.
    pub fn parse_field(field: &str, input: &str) -> Result<Self, FieldError> {
        Self::parse(input).map_err(|m| FieldError::new(field, m))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        let e = EmailAddress::parse("  Anna.Petrova@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "anna.petrova@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "anna", "anna@", "@example.com", "anna@example", "an na@example.com", "a@.com"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn accepts_international_domains_and_plus() {
        assert!(EmailAddress::parse("sales+crm@пример.рф").is_ok());
        assert!(EmailAddress::parse("kim@회사.kr").is_ok());
    }
}
