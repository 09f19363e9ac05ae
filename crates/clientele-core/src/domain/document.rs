//! Quotes (commercial proposals) and invoices made from a deal: a snapshot of the deal's lines,
//! totals, client and seller at creation, numbered per a pattern, with a life of statuses.
//!
//! Numbering: a pattern such as `INV-{YYYY}-{SEQ:4}` is text with placeholders — `{YYYY}`
//! (year of the issue date), `{YY}` (its last two digits), `{MM}` (month), `{SEQ}` or
//! `{SEQ:n}` (the sequence, zero-padded to `n` digits). The sequence counts per document kind
//! and *period*: the year when the pattern shows one, the month too when it shows `{MM}`,
//! otherwise one sequence forever. The store takes the next value in the same transaction as
//! the document's insert, so numbers have no gaps.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::deal::{DealItem, DealTotals};
use crate::error::FieldError;

/// A quote or an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Quote,
    Invoice,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Quote => "quote",
            DocKind::Invoice => "invoice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "quote" => Some(DocKind::Quote),
            "invoice" => Some(DocKind::Invoice),
            _ => None,
        }
    }

    /// The built-in numbering pattern.
    pub fn default_pattern(self) -> &'static str {
        match self {
            DocKind::Quote => "Q-{YYYY}-{SEQ:4}",
            DocKind::Invoice => "INV-{YYYY}-{SEQ:4}",
        }
    }
}

/// Where a document is in its life. Quotes: draft → sent → accepted or declined. Invoices:
/// draft → sent → paid (by payments), or cancelled (from draft or sent; it keeps its number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    Draft,
    Sent,
    Accepted,
    Declined,
    Paid,
    Cancelled,
}

impl DocStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Draft => "draft",
            DocStatus::Sent => "sent",
            DocStatus::Accepted => "accepted",
            DocStatus::Declined => "declined",
            DocStatus::Paid => "paid",
            DocStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub const ALL: [DocStatus; 6] = [
        DocStatus::Draft,
        DocStatus::Sent,
        DocStatus::Accepted,
        DocStatus::Declined,
        DocStatus::Paid,
        DocStatus::Cancelled,
    ];

    /// The statuses a kind of document can have.
    pub fn of(kind: DocKind) -> &'static [DocStatus] {
        match kind {
            DocKind::Quote => &[DocStatus::Draft, DocStatus::Sent, DocStatus::Accepted, DocStatus::Declined],
            DocKind::Invoice => &[DocStatus::Draft, DocStatus::Sent, DocStatus::Paid, DocStatus::Cancelled],
        }
    }
}

/// An explicit status change asked for by a user (payments mark an invoice paid on their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocAction {
    Send,
    Accept,
    Decline,
    Cancel,
}

impl DocAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DocAction::Send => "send",
            DocAction::Accept => "accept",
            DocAction::Decline => "decline",
            DocAction::Cancel => "cancel",
        }
    }
}

/// The status after `action`, or why it is refused (a conflict with the current status).
pub fn transition(kind: DocKind, from: DocStatus, action: DocAction) -> Result<DocStatus, String> {
    use DocAction as A;
    use DocStatus as S;
    let to = match (kind, action, from) {
        (_, A::Send, S::Draft) => S::Sent,
        (DocKind::Quote, A::Accept, S::Sent) => S::Accepted,
        (DocKind::Quote, A::Decline, S::Sent) => S::Declined,
        (DocKind::Invoice, A::Cancel, S::Draft | S::Sent) => S::Cancelled,
        (DocKind::Quote, A::Cancel, _) => return Err("a quote is declined, not cancelled".into()),
        (DocKind::Invoice, A::Accept | A::Decline, _) => {
            return Err("only a quote is accepted or declined".into());
        }
        (DocKind::Quote, A::Accept | A::Decline, S::Draft) => {
            return Err("send the quote before it is accepted or declined".into());
        }
        (_, a, s) => return Err(format!("a {} {} cannot be {}", s.as_str(), kind.as_str(), past(a))),
    };
    Ok(to)
}

fn past(a: DocAction) -> &'static str {
    match a {
        DocAction::Send => "sent",
        DocAction::Accept => "accepted",
        DocAction::Decline => "declined",
        DocAction::Cancel => "cancelled",
    }
}

/// A labelled value printed under a party: `IBAN: FR76 ...`, `SIRET: ...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LabelValue {
    pub label: String,
    pub value: String,
}

/// The seller or the client as printed on a document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocParty {
    pub name: String,
    #[serde(default)]
    pub address_lines: Vec<String>,
    #[serde(default)]
    pub tax_number: Option<String>,
    /// Other registration numbers.
    #[serde(default)]
    pub registration: Vec<LabelValue>,
    #[serde(default)]
    pub contact_person: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub bank_details: Vec<LabelValue>,
}

/// A quote or an invoice. Its lines, totals, client and seller are a snapshot taken when it
/// was created (or when its draft was refreshed from the deal); a sent document never changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub version: i64,
    pub kind: DocKind,
    /// e.g. `INV-2026-0001`; unique per kind, kept for ever (a cancelled invoice keeps it).
    pub number: String,
    pub status: DocStatus,
    pub deal_id: Uuid,
    /// The quote an invoice was made from.
    pub quote_id: Option<Uuid>,
    pub issue_date: NaiveDate,
    /// Invoices: the due date; quotes: valid until.
    pub due_date: Option<NaiveDate>,
    /// ISO 4217, the deal's.
    pub currency: String,
    /// Language of the printed words: en, fr, ru, bg or ko.
    pub language: String,
    pub seller: DocParty,
    /// The seller's logo at the time (a stored file).
    pub logo_file_id: Option<Uuid>,
    pub buyer: DocParty,
    pub items: Vec<DealItem>,
    /// Totals of the lines, computed as the deal computes them.
    pub totals: DealTotals,
    /// Invoices: what the actual payments recorded against it add up to.
    pub paid: String,
    pub paid_minor: i64,
    pub payment_terms: Option<String>,
    pub notes: Option<String>,
    /// The rendered PDF (a stored file; attach it to an e-mail by this id).
    pub file_id: Option<Uuid>,
    /// The version the stored PDF was rendered from.
    #[serde(skip)]
    pub file_version: Option<i64>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was accepted, declined, paid or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Document {
    /// A quote past its valid-until date while still waiting for an answer.
    pub fn expired(&self, today: NaiveDate) -> bool {
        self.kind == DocKind::Quote
            && matches!(self.status, DocStatus::Draft | DocStatus::Sent)
            && self.due_date.is_some_and(|d| d < today)
    }

    /// Drafts can change; sent, accepted, declined, paid and cancelled documents cannot.
    pub fn editable(&self) -> bool {
        self.status == DocStatus::Draft
    }

    /// What is still to be paid on an invoice (never below zero).
    pub fn outstanding_minor(&self) -> i64 {
        (self.totals.total_minor - self.paid_minor).max(0)
    }

    /// `INV-2026-0001.pdf`.
    pub fn file_name(&self) -> String {
        let safe: String = self.number.chars().map(|c| if c == '/' || c == '\\' { '-' } else { c }).collect();
        format!("{safe}.pdf")
    }
}

/// A checked numbering pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Year4,
    Year2,
    Month,
    Seq(usize),
}

impl NumberPattern {
    /// Parses `INV-{YYYY}-{SEQ:4}`: exactly one `{SEQ}` / `{SEQ:n}` (n from 1 to 10), the other
    /// placeholders at most once each, literal text of letters, digits, spaces and `-_/.#`.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let bad = |m: String| FieldError::new(field, m);
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("is required, e.g. INV-{YYYY}-{SEQ:4}".into()));
        }
        if s.chars().count() > 60 {
            return Err(bad("must be at most 60 characters".into()));
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after.find('}').ok_or_else(|| bad("has a `{` without its `}`".into()))?;
                let token = &after[..end];
                let part = match token {
                    "YYYY" => Part::Year4,
                    "YY" => Part::Year2,
                    "MM" => Part::Month,
                    "SEQ" => Part::Seq(1),
                    t => match t.strip_prefix("SEQ:").map(str::parse::<usize>) {
                        Some(Ok(n)) if (1..=10).contains(&n) => Part::Seq(n),
                        Some(_) => return Err(bad("{SEQ:n} takes a width from 1 to 10".into())),
                        None => {
                            return Err(bad(format!(
                                "`{{{t}}}` is not a placeholder; use {{YYYY}}, {{YY}}, {{MM}}, {{SEQ}} or {{SEQ:n}}"
                            )));
                        }
                    },
                };
                if parts.contains(&part)
                    || (matches!(part, Part::Seq(_)) && parts.iter().any(|p| matches!(p, Part::Seq(_))))
                {
                    return Err(bad(format!("`{{{token}}}` appears twice")));
                }
                parts.push(part);
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let text = &rest[..end];
                if let Some(c) = text.chars().find(|c| !(c.is_alphanumeric() || " -_/.#".contains(*c))) {
                    return Err(bad(format!("`{c}` cannot be used; letters, digits, spaces and - _ / . # can")));
                }
                parts.push(Part::Text(text.to_owned()));
                rest = &rest[end..];
            }
        }
        if !parts.iter().any(|p| matches!(p, Part::Seq(_))) {
            return Err(bad("must contain the sequence: {SEQ} or {SEQ:4}".into()));
        }
        Ok(Self { parts })
    }

    /// The sequence's period for a date: `2026`, `2026-03`, or `all` without a year or month.
    pub fn period(&self, date: NaiveDate) -> String {
        if self.parts.contains(&Part::Month) {
            format!("{:04}-{:02}", date.year(), date.month())
        } else if self.parts.iter().any(|p| matches!(p, Part::Year4 | Part::Year2)) {
            format!("{:04}", date.year())
        } else {
            "all".into()
        }
    }

    /// The number for a date and a value of the sequence.
    pub fn format(&self, date: NaiveDate, seq: i64) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Year4 => format!("{:04}", date.year()),
                Part::Year2 => format!("{:02}", date.year().rem_euclid(100)),
                Part::Month => format!("{:02}", date.month()),
                Part::Seq(w) => format!("{seq:0w$}", w = *w),
            })
            .collect()
    }
}

/// The languages documents are printed in (those of the document labels).
pub const DOC_LANGUAGES: [&str; 5] = ["en", "fr", "ru", "bg", "ko"];

/// An exact decimal (`"-1234.50"`) written for people in a language: digit groups and the
/// decimal mark (`1,234.50` en/ko; `1 234,50` fr/ru/bg with narrow no-break spaces).
pub fn format_amount(decimal: &str, language: &str) -> String {
    let (sign, body) = match decimal.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", decimal),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let (group, mark) = match language {
        "fr" | "ru" | "bg" => ('\u{202f}', ','),
        _ => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped}{mark}{frac}") }
}

/// A date as people of a language write it.
pub fn format_date(d: NaiveDate, language: &str) -> String {
    match language {
        "fr" => d.format("%d/%m/%Y").to_string(),
        "ru" | "bg" => d.format("%d.%m.%Y").to_string(),
        "ko" => d.format("%Y. %m. %d.").to_string(),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn patterns_format_numbers_and_periods() {
        let p = NumberPattern::parse("p", "INV-{YYYY}-{SEQ:4}").unwrap();
        assert_eq!(p.format(day(2026, 3, 9), 1), "INV-2026-0001");
        assert_eq!(p.format(day(2026, 3, 9), 12345), "INV-2026-12345");
        assert_eq!(p.period(day(2026, 3, 9)), "2026");
        let m = NumberPattern::parse("p", "{YY}{MM}/{SEQ:3}").unwrap();
        assert_eq!(m.format(day(2027, 1, 5), 7), "2701/007");
        assert_eq!(m.period(day(2027, 1, 5)), "2027-01");
        let plain = NumberPattern::parse("p", "Q{SEQ}").unwrap();
        assert_eq!((plain.format(day(2026, 1, 1), 42), plain.period(day(2030, 1, 1))), ("Q42".into(), "all".into()));
    }

    #[test]
    fn bad_patterns_say_why() {
        for (p, words) in [
            ("", "required"),
            ("INV-{YYYY}", "sequence"),
            ("INV-{SEQ}-{SEQ:3}", "twice"),
            ("INV-{DATE}-{SEQ}", "not a placeholder"),
            ("INV-{SEQ:0}", "width"),
            ("INV-{SEQ", "without"),
            ("INV<{SEQ}>", "`<`"),
        ] {
            let e = NumberPattern::parse("invoice_pattern", p).unwrap_err();
            assert_eq!(e.field, "invoice_pattern");
            assert!(e.message.contains(words), "{p}: {}", e.message);
        }
    }

    #[test]
    fn transitions_follow_the_life_of_each_kind() {
        use DocAction as A;
        use DocKind::{Invoice, Quote};
        use DocStatus as S;
        assert_eq!(transition(Quote, S::Draft, A::Send), Ok(S::Sent));
        assert_eq!(transition(Quote, S::Sent, A::Accept), Ok(S::Accepted));
        assert_eq!(transition(Quote, S::Sent, A::Decline), Ok(S::Declined));
        assert!(transition(Quote, S::Draft, A::Accept).unwrap_err().contains("send the quote"));
        assert!(transition(Quote, S::Accepted, A::Decline).is_err());
        assert!(transition(Quote, S::Sent, A::Cancel).is_err());
        assert_eq!(transition(Invoice, S::Draft, A::Send), Ok(S::Sent));
        assert_eq!(transition(Invoice, S::Sent, A::Cancel), Ok(S::Cancelled));
        assert_eq!(transition(Invoice, S::Draft, A::Cancel), Ok(S::Cancelled));
        assert_eq!(transition(Invoice, S::Paid, A::Cancel).unwrap_err(), "a paid invoice cannot be cancelled");
        assert!(transition(Invoice, S::Sent, A::Send).is_err());
        assert!(transition(Invoice, S::Sent, A::Accept).is_err());
    }

    #[test]
    fn amounts_and_dates_for_people() {
        assert_eq!(format_amount("1234567.50", "en"), "1,234,567.50");
        assert_eq!(format_amount("-1234.5", "fr"), "-1\u{202f}234,5");
        assert_eq!(format_amount("999", "ru"), "999");
        assert_eq!(format_amount("0.00", "ko"), "0.00");
        assert_eq!(format_date(day(2026, 3, 31), "bg"), "31.03.2026");
        assert_eq!(format_date(day(2026, 3, 31), "en"), "2026-03-31");
    }
}
