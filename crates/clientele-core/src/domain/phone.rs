//! Phone numbers: parsed with libphonenumber's metadata (the `phonenumber` crate), stored as
//! E.164 beside the raw input. A number that is complete and valid gets its E.164 form; a
//! local number written without its area or country code is kept but flagged, never
//! guessed; anything that cannot be a phone number is refused.

use phonenumber::{Mode, country};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A region code (ISO 3166-1 alpha-2) that libphonenumber knows, e.g. `RU`, `FR`, `KR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    pub fn parse(code: &str) -> Result<Self, String> {
        let up = code.trim().to_ascii_uppercase();
        up.parse::<country::Id>()
            .map(Region)
            .map_err(|_| format!("`{}` is not a known country code (like RU, FR, KR)", code.trim()))
    }

    pub fn code(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// Why a number was kept without an E.164 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhoneFlag {
    /// A local number without its area (city) code: which area is not guessed.
    MissingAreaCode,
    /// A national number and no default region to read it in.
    MissingCountryCode,
}

/// The outcome of reading what a user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneParse {
    /// A complete, valid number.
    Valid { e164: String },
    /// Kept as typed, flagged for a person to complete.
    Flagged(PhoneFlag),
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Reads `input` in `region` (the default region for numbers written without a country code).
pub fn parse_phone(field: &str, input: &str, region: Option<Region>) -> Result<PhoneParse, FieldError> {
    let raw = input.trim();
    if raw.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if raw.chars().any(|c| c.is_alphabetic() && !matches!(c.to_ascii_lowercase(), 'x' | 'e' | 't')) {
        return Err(FieldError::new(field, format!("`{raw}` is not a phone number")));
    }
    let d = digits(raw);
    if d.len() < 3 || d.len() > 17 {
        return Err(FieldError::new(field, format!("`{raw}` is not a phone number: it has {} digits", d.len())));
    }
    let international = raw.starts_with('+') || raw.starts_with("00");
    let Some(region) = region.filter(|_| !international) else {
        if !international {
            return Ok(PhoneParse::Flagged(PhoneFlag::MissingCountryCode));
        }
        let digits = if raw.starts_with("00") { d[2..].to_owned() } else { d.clone() };
        return match international_e164(&digits) {
            Some(e164) => Ok(PhoneParse::Valid { e164 }),
            None => Err(FieldError::new(field, format!("`{raw}` is not a valid phone number"))),
        };
    };
    match phonenumber::parse(Some(region.0), raw) {
        Ok(n) if phonenumber::is_valid(&n) => Ok(PhoneParse::Valid { e164: n.format().mode(Mode::E164).to_string() }),
        // A national number whose area code starts with the trunk prefix (St Petersburg
        // 8 812…, 8 800…): written without the trunk prefix as an international number.
        _ if national_to_international(&d, region).is_some() => match national_to_international(&d, region) {
            Some(e164) => Ok(PhoneParse::Valid { e164 }),
            None => Err(FieldError::new(field, format!("`{raw}` is not a valid phone number"))),
        },
        // Too short to be a full national number, yet long enough to be a local one, and not
        // written as a national number (no trunk prefix, no bracketed area code): a subscriber
        // number without its area code. Keep it, flag it, do not guess the area.
        _ if (5..=8).contains(&d.len()) && !looks_national(raw, &d, region) => {
            Ok(PhoneParse::Flagged(PhoneFlag::MissingAreaCode))
        }
        _ => Err(FieldError::new(
            field,
            format!(
                "`{raw}` is not a valid phone number in {} (add the country code, like +33, if it is foreign)",
                region.code()
            ),
        )),
    }
}

/// The E.164 form of `+digits`, checked against libphonenumber's metadata.
///
/// The `phonenumber` crate strips the trunk prefix from a national number that merely
/// starts with the same digit (`+7 812…` loses its 8 and becomes invalid). So the result
/// must keep exactly the digits given; when it does not, the national part is checked
/// against the country's number patterns directly.
fn international_e164(digits: &str) -> Option<String> {
    let expected = format!("+{digits}");
    let first = phonenumber::parse(None, &expected).ok()?;
    let e164 = first.format().mode(Mode::E164).to_string();
    if phonenumber::is_valid(&first) && e164 == expected {
        return Some(e164);
    }
    let code = first.code().value();
    let national = digits.strip_prefix(&code.to_string())?;
    let full = |d: &phonenumber::metadata::Descriptor| {
        (d.possible_length().is_empty() || d.possible_length().contains(&(national.len() as u16)))
            && d.national_number().find(national).is_some_and(|m| m.start() == 0 && m.end() == national.len())
    };
    let valid = phonenumber::metadata::DATABASE.by_code(&code)?.iter().any(|m| {
        let d = m.descriptors();
        full(d.general())
            && [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.uan(),
            ]
            .into_iter()
            .flatten()
            .any(full)
    });
    valid.then_some(expected)
}

/// A national number written with the region's trunk prefix, whose national part itself
/// starts with that digit (`8 812 …` in Russia), read as `+<country code><national part>`.
fn national_to_international(digits: &str, region: Region) -> Option<String> {
    let meta = phonenumber::metadata::DATABASE.by_id(&region.code())?;
    let prefix = meta.national_prefix()?;
    let national = digits.strip_prefix(prefix)?;
    if !national.starts_with(prefix) {
        return None;
    }
    international_e164(&format!("{}{national}", meta.country_code()))
}

/// Whether the input was written as a full national number: it starts with the region's
/// trunk prefix (`8` in Russia, `0` in France or Korea) or brackets an area code.
fn looks_national(raw: &str, digits: &str, region: Region) -> bool {
    let prefix = phonenumber::metadata::DATABASE
        .by_id(&region.code())
        .and_then(|m| m.national_prefix().map(str::to_owned))
        .unwrap_or_else(|| "0".to_owned());
    raw.contains('(') || (!prefix.is_empty() && digits.starts_with(&prefix))
}

/// The digits of a number reversed, for "ends with" searches that an index can serve
/// (`LIKE '7654321%'` finds every number ending in 1234567, however it was written).
pub fn reversed_digits(s: &str) -> String {
    digits(s).chars().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(input: &str, region: &str) -> String {
        match parse_phone("phone", input, Some(Region::parse(region).unwrap())).unwrap() {
            PhoneParse::Valid { e164 } => e164,
            other => panic!("{input} in {region}: {other:?}"),
        }
    }

    #[test]
    fn national_parts_starting_with_the_trunk_prefix() {
        // St Petersburg (812) and toll-free 8 800: the area code starts with Russia's trunk prefix 8.
        assert_eq!(e164("+7 812 555-66-77", "RU"), "+78125556677");
        assert_eq!(e164("8 (812) 555-66-77", "RU"), "+78125556677");
        assert_eq!(e164("8-812-555-66-77", "RU"), "+78125556677");
        assert_eq!(e164("88005553535", "RU"), "+78005553535");
        assert_eq!(e164("+7 812 555-66-77", "FR"), "+78125556677");
        assert_eq!(e164("+33 1 23 45 67 89", "US"), "+33123456789");
        assert_eq!(e164("+82 10-2345-6789", "US"), "+821023456789");
    }

    #[test]
    fn the_required_forms() {
        for input in ["8 (495) 123-45-67", "+7 495 123 45 67", "84951234567", "+7 495 1234567"] {
            assert_eq!(e164(input, "RU"), "+74951234567", "{input}");
        }
        assert_eq!(e164("01 23 45 67 89", "FR"), "+33123456789");
        assert_eq!(e164("02-312-3456", "KR"), "+8223123456");
        assert_eq!(e164("02 987 6543", "BG"), "+35929876543");
    }

    #[test]
    fn international_numbers_ignore_the_default_region() {
        assert_eq!(e164("+33 1 23 45 67 89", "RU"), "+33123456789");
        assert_eq!(e164("0033 1 23 45 67 89", "KR"), "+33123456789");
        assert_eq!(parse_phone("p", "+82 2-312-3456", None).unwrap(), PhoneParse::Valid { e164: "+8223123456".into() });
    }

    #[test]
    fn impossible_numbers_are_refused_with_the_field() {
        let ru = Some(Region::parse("RU").unwrap());
        for bad in
            ["12", "8 (000) 000", "+7 000 000 00 00 000", "call me", "+999 123 456 789", "8 (495) 123-45-67-89-10-11"]
        {
            let err = parse_phone("phones[0].number", bad, ru).unwrap_err();
            assert_eq!(err.field, "phones[0].number");
        }
    }

    #[test]
    fn local_numbers_are_flagged_not_guessed() {
        let ru = Some(Region::parse("RU").unwrap());
        assert_eq!(parse_phone("p", "123-45-67", ru).unwrap(), PhoneParse::Flagged(PhoneFlag::MissingAreaCode));
        assert_eq!(
            parse_phone("p", "8 495 123 45 67", None).unwrap(),
            PhoneParse::Flagged(PhoneFlag::MissingCountryCode)
        );
    }

    #[test]
    fn regions_and_suffixes() {
        assert_eq!(Region::parse("ru").unwrap().code(), "RU");
        assert!(Region::parse("XX").is_err());
        assert_eq!(reversed_digits("+7 (495) 123-45-67"), "76543215947");
    }
}
