//! Exact money. Amounts are integers of the currency's minor unit (cents; yen as they are;
//! fils of a Bahraini dinar, a thousandth) beside an ISO 4217 code; arithmetic on them uses
//! `rust_decimal`, never floating point.
//!
//! Rounding rule, used everywhere a result has more decimals than the currency: **half away
//! from zero** to the currency's minor unit (2.345 EUR → 2.35, −2.345 → −2.35, 0.5 JPY → 1).
//!
//! Line items: `line total = quantity × unit price × (1 − discount %)`, rounded once; the
//! tax of a line is `line total × tax %`, rounded once, on top of it. The discount shown is
//! `round(quantity × unit price) − line total`, so subtotal − discount = net exactly. Deal
//! totals are the sums of the rounded per-line values.
//!
//! Conversion to the base currency: `round(amount × rate)` to the base's minor unit, where
//! the rate is "one unit of the currency is worth `rate` units of the base". Sums of many
//! deals are converted once per currency (the exact per-currency sum times the rate, rounded
//! once), then added.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use crate::error::FieldError;

/// The largest amount in minor units anything may hold (10^15: ten trillion euros).
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Decimals of a currency's minor unit (ISO 4217). Currencies not listed use 2.
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
        | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// A currency code: three letters, upper-cased.
pub fn parse_currency(field: &str, s: &str) -> Result<String, FieldError> {
    let c = s.trim().to_ascii_uppercase();
    if c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(FieldError::new(field, format!("`{}` is not a three-letter currency code (EUR, USD, JPY...)", s.trim())))
    }
}

/// Rounds to a whole number, half away from zero.
pub fn round_half_away(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
}

fn pow10(n: u32) -> Decimal {
    Decimal::from(10i64.pow(n))
}

/// The decimal value of an amount in minor units: `(123450, 2)` → 1234.50.
pub fn to_decimal(minor: i64, exp: u32) -> Decimal {
    Decimal::new(minor, exp)
}

/// `"1234.50"` for 123450 EUR cents, `"1500"` for 1500 JPY, `"1.250"` for 1250 BHD fils.
pub fn format_minor(minor: i64, currency: &str) -> String {
    to_decimal(minor, exponent(currency)).to_string()
}

/// A decimal typed by a person or sent as JSON: `"1234.50"`, `"1 234,50"`, `1234.5`, `"-3"`.
/// JSON numbers are read from their text, so no binary floating point is involved.
pub fn parse_decimal_value(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let t: String = text.trim().chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_')).collect();
    let t = if t.matches(',').count() == 1 && !t.contains('.') { t.replace(',', ".") } else { t };
    let body = t.strip_prefix('-').unwrap_or(&t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || int.len() > 18
        || frac.len() > 12
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Decimal::from_str_exact(&t).ok()
}

/// An amount of `currency` in minor units. More decimals than the currency has are refused
/// (never silently rounded); so are negative amounts unless allowed.
pub fn parse_amount(field: &str, v: &Value, currency: &str, allow_negative: bool) -> Result<i64, FieldError> {
    let exp = exponent(currency);
    let d =
        parse_decimal_value(v).ok_or_else(|| FieldError::new(field, "must be an amount like \"1234.50\""))?.normalize();
    if d.scale() > exp {
        return Err(FieldError::new(
            field,
            format!("{currency} has {exp} decimal{}; `{d}` has more", if exp == 1 { "" } else { "s" }),
        ));
    }
    if d.is_sign_negative() && !d.is_zero() && !allow_negative {
        return Err(FieldError::new(field, "must not be negative"));
    }
    let minor = d.checked_mul(pow10(exp)).and_then(|m| m.to_i64()).filter(|m| m.abs() <= MAX_MINOR);
    minor.ok_or_else(|| FieldError::new(field, "is too large"))
}

/// A percentage 0-100 with at most 4 decimals: `"12.5"`.
pub fn parse_percent(field: &str, v: &Value) -> Result<Decimal, FieldError> {
    match parse_decimal_value(v).map(|d| d.normalize()) {
        Some(d) if d.scale() <= 4 && d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED => Ok(d),
        _ => Err(FieldError::new(field, "must be a percentage from 0 to 100 (at most 4 decimals)")),
    }
}

/// A quantity: more than 0, at most a billion, at most 6 decimals.
pub fn parse_quantity(field: &str, v: &Value) -> Result<Decimal, FieldError> {
    match parse_decimal_value(v).map(|d| d.normalize()) {
        Some(d) if d.scale() <= 6 && d > Decimal::ZERO && d <= Decimal::from(1_000_000_000i64) => Ok(d),
        _ => Err(FieldError::new(field, "must be a number above 0 (at most 6 decimals)")),
    }
}

/// An exchange rate: more than 0, at most 12 decimals.
pub fn parse_rate(field: &str, v: &Value) -> Result<Decimal, FieldError> {
    match parse_decimal_value(v).map(|d| d.normalize()) {
        Some(d) if d.scale() <= 12 && d > Decimal::ZERO && d < Decimal::from(1_000_000_000i64) => Ok(d),
        _ => Err(FieldError::new(field, "must be a positive rate like \"0.0112\" (at most 12 decimals)")),
    }
}

/// The rounded values of one line item, in minor units of the deal's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineAmounts {
    /// round(quantity × unit price)
    pub gross: i64,
    /// gross − net
    pub discount: i64,
    /// round(quantity × unit price × (1 − discount %)): the line total before tax
    pub net: i64,
    /// round(net × tax %)
    pub tax: i64,
    /// net + tax
    pub total: i64,
}

/// Computes a line. `None` when a value leaves the range money may hold.
pub fn line_amounts(
    quantity: Decimal,
    unit_price_minor: i64,
    discount_pct: Decimal,
    tax_pct: Decimal,
) -> Option<LineAmounts> {
    let exact = quantity.checked_mul(Decimal::from(unit_price_minor))?;
    let gross = round_half_away(exact).to_i64()?;
    let keep = Decimal::ONE_HUNDRED.checked_sub(discount_pct)?;
    let net = round_half_away(exact.checked_mul(keep)?.checked_div(Decimal::ONE_HUNDRED)?).to_i64()?;
    let tax = round_half_away(Decimal::from(net).checked_mul(tax_pct)?.checked_div(Decimal::ONE_HUNDRED)?).to_i64()?;
    let total = net.checked_add(tax)?;
    if [gross, net, tax, total].iter().any(|v| v.abs() > MAX_MINOR) {
        return None;
    }
    Some(LineAmounts { gross, discount: gross - net, net, tax, total })
}

/// Sums lines (the deal's totals).
pub fn sum_lines(lines: &[LineAmounts]) -> Option<LineAmounts> {
    let mut t = LineAmounts::default();
    for l in lines {
        t.gross = t.gross.checked_add(l.gross)?;
        t.discount = t.discount.checked_add(l.discount)?;
        t.net = t.net.checked_add(l.net)?;
        t.tax = t.tax.checked_add(l.tax)?;
        t.total = t.total.checked_add(l.total)?;
    }
    (t.total.abs() <= MAX_MINOR).then_some(t)
}

/// Converts an amount in minor units of `from` to minor units of `to` at `rate` (one unit of
/// `from` is worth `rate` units of `to`), rounded half away from zero.
pub fn convert(minor: i64, from: &str, rate: Decimal, to: &str) -> Option<i64> {
    let v = to_decimal(minor, exponent(from)).checked_mul(rate)?.checked_mul(pow10(exponent(to)))?;
    round_half_away(v).to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn exponents_and_formatting() {
        assert_eq!((exponent("EUR"), exponent("JPY"), exponent("KRW"), exponent("BHD")), (2, 0, 0, 3));
        assert_eq!(format_minor(123450, "EUR"), "1234.50");
        assert_eq!(format_minor(5, "EUR"), "0.05");
        assert_eq!(format_minor(-5, "EUR"), "-0.05");
        assert_eq!(format_minor(1500, "JPY"), "1500");
        assert_eq!(format_minor(1250, "BHD"), "1.250");
        assert_eq!(parse_currency("currency", " eur ").unwrap(), "EUR");
        assert!(parse_currency("currency", "EURO").is_err());
    }

    #[test]
    fn amounts_are_parsed_exactly_and_never_rounded_silently() {
        assert_eq!(parse_amount("amount", &json!("1234.50"), "EUR", false), Ok(123450));
        assert_eq!(parse_amount("amount", &json!("1 234,5"), "EUR", false), Ok(123450));
        assert_eq!(parse_amount("amount", &json!(1234.5), "EUR", false), Ok(123450));
        assert_eq!(parse_amount("amount", &json!(0.1), "EUR", false), Ok(10));
        assert_eq!(parse_amount("amount", &json!("1500"), "JPY", false), Ok(1500));
        assert_eq!(parse_amount("amount", &json!("1500.00"), "JPY", false), Ok(1500), "trailing zeros are fine");
        assert_eq!(parse_amount("amount", &json!("1.005"), "BHD", false), Ok(1005));
        let e = parse_amount("amount", &json!("10.5"), "JPY", false).unwrap_err();
        assert_eq!(e.field, "amount");
        assert!(e.message.contains("JPY has 0 decimals"), "{}", e.message);
        assert!(parse_amount("amount", &json!("1.0001"), "BHD", false).is_err());
        assert!(parse_amount("amount", &json!("-1"), "EUR", false).is_err());
        assert_eq!(parse_amount("amount", &json!("-1"), "EUR", true), Ok(-100));
        assert!(parse_amount("amount", &json!("1e5"), "EUR", false).is_err());
        assert!(parse_amount("amount", &json!("abc"), "EUR", false).is_err());
        assert!(parse_amount("amount", &json!(true), "EUR", false).is_err());
        assert!(parse_amount("amount", &json!("100000000000000000"), "EUR", false).is_err(), "too large");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(d("2.5")), d("3"));
        assert_eq!(round_half_away(d("-2.5")), d("-3"));
        assert_eq!(round_half_away(d("2.4999")), d("2"));
        assert_eq!(round_half_away(d("0.5")), d("1"));
    }

    #[test]
    fn line_items_with_discount_and_tax() {
        // 3 × 19.99 EUR, 10 % off, 20 % VAT: gross 59.97, net 53.973 → 53.97, tax 10.794 → 10.79.
        let l = line_amounts(d("3"), 1999, d("10"), d("20")).unwrap();
        assert_eq!(l, LineAmounts { gross: 5997, discount: 600, net: 5397, tax: 1079, total: 6476 });
        // A half cent rounds away from zero: 1 × 0.05 with 50 % off = 0.025 → 0.03.
        let l = line_amounts(d("1"), 5, d("50"), d("0")).unwrap();
        assert_eq!((l.net, l.discount), (3, 2));
        // Fractional quantities: 2.5 kg × 3.33 = 8.325 → 8.33.
        assert_eq!(line_amounts(d("2.5"), 333, d("0"), d("0")).unwrap().net, 833);
        // Tax rounding: 0.10 × 5 % = 0.005 → 0.01.
        assert_eq!(line_amounts(d("1"), 10, d("0"), d("5")).unwrap().tax, 1);
        // Yen: no minor unit. 3 × 333 JPY, 5 % off = 949.05 → 949; 10 % tax = 94.9 → 95.
        let l = line_amounts(d("3"), 333, d("5"), d("10")).unwrap();
        assert_eq!((l.gross, l.net, l.tax, l.total), (999, 949, 95, 1044));
        // Bahraini dinar, three decimals: 1.5 × 2.345 BHD = 3.5175 → 3.518.
        assert_eq!(line_amounts(d("1.5"), 2345, d("0"), d("0")).unwrap().net, 3518);
        // 100 % discount is free; more is impossible to express (parse refuses > 100).
        assert_eq!(line_amounts(d("2"), 1000, d("100"), d("20")).unwrap().total, 0);
        assert!(line_amounts(d("1000000000"), MAX_MINOR, d("0"), d("0")).is_none(), "overflow is refused");
    }

    #[test]
    fn totals_add_the_rounded_lines() {
        let a = line_amounts(d("3"), 1999, d("10"), d("20")).unwrap();
        let b = line_amounts(d("1"), 5, d("50"), d("0")).unwrap();
        let t = sum_lines(&[a, b]).unwrap();
        assert_eq!(t, LineAmounts { gross: 6002, discount: 602, net: 5400, tax: 1079, total: 6479 });
        assert_eq!(t.gross - t.discount, t.net);
    }

    #[test]
    fn conversion_to_the_base_currency() {
        // 1000 JPY at 0.0062 EUR = 6.20 EUR.
        assert_eq!(convert(1000, "JPY", d("0.0062"), "EUR"), Some(620));
        // 10.00 USD at 0.9235 = 9.235 → 9.24 (half away from zero).
        assert_eq!(convert(1000, "USD", d("0.9235"), "EUR"), Some(924));
        // 1.250 BHD at 2.43 EUR = 3.0375 → 3.04.
        assert_eq!(convert(1250, "BHD", d("2.43"), "EUR"), Some(304));
        // EUR into JPY: 12.34 EUR at 161.5 = 1992.91 → 1993 JPY.
        assert_eq!(convert(1234, "EUR", d("161.5"), "JPY"), Some(1993));
        assert_eq!(convert(-1000, "USD", d("0.9235"), "EUR"), Some(-924));
    }

    #[test]
    fn percents_quantities_rates() {
        assert_eq!(parse_percent("p", &json!("12,5")).unwrap(), d("12.5"));
        assert!(parse_percent("p", &json!(101)).is_err());
        assert!(parse_percent("p", &json!("-1")).is_err());
        assert_eq!(parse_quantity("q", &json!("2.500")).unwrap(), d("2.5"));
        assert!(parse_quantity("q", &json!(0)).is_err());
        assert!(parse_quantity("q", &json!("1.0000001")).is_err());
        assert_eq!(parse_rate("r", &json!("0.0062")).unwrap(), d("0.0062"));
        assert!(parse_rate("r", &json!("0")).is_err());
    }
}
