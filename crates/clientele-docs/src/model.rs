//! The data a document is rendered from.
//!
//! Everything here is already formatted by the caller: amounts, quantities, percentages and
//! dates are strings exactly as they must be printed (`"1 234.50"`, `"12.5"`, `"31.03.2026"`).
//! This crate never parses or computes them, so what the CRM computed is what is printed.
//!
//! Every text here is printed as it is: nothing in it is interpreted.

use serde::Serialize;

use crate::labels::Labels;

/// Which kind of document: a commercial proposal (quote) or an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Quote,
    Invoice,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 2] = [DocumentKind::Quote, DocumentKind::Invoice];

    /// `"quote"` or `"invoice"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Quote => "quote",
            DocumentKind::Invoice => "invoice",
        }
    }
}

/// One document to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub kind: DocumentKind,
    /// Already formatted, e.g. `INV-2026-0001`.
    pub number: String,
    /// Language of the text (`en`, `fr`, `ru`, `bg`, `ko`, or a tag such as `fr-BE`); used for
    /// the PDF's metadata. The labels are chosen separately (see [`Labels`]).
    pub lang: String,
    /// The words printed around the data ("Invoice", "Qty", ...).
    pub labels: Labels,
    /// Already formatted date of issue.
    pub issue_date: String,
    /// Already formatted due date (invoice) or valid-until date (quote).
    pub due_date: Option<String>,
    /// ISO 4217 code (or whatever the caller wants printed beside totals), e.g. `EUR`.
    pub currency: String,
    pub seller: Party,
    /// The seller's logo as an image file's bytes (PNG or JPEG), printed at the top left, 12 mm
    /// high (a template can hide it with `header.logo = false`).
    #[serde(skip)]
    pub logo: Option<Vec<u8>>,
    pub buyer: Party,
    pub items: Vec<LineItem>,
    /// Sum of the lines before document-level discount and tax, formatted.
    pub subtotal: String,
    /// Total discount, formatted; `None` hides the row.
    pub discount_total: Option<String>,
    /// Total tax, formatted; `None` hides the row.
    pub tax_total: Option<String>,
    /// Grand total, formatted.
    pub total: String,
    /// What is still to be paid (invoices; e.g. after a prepayment), formatted; `None` hides it.
    pub amount_due: Option<String>,
    /// Payment terms ("Payment within 14 days by bank transfer"), may span several lines.
    pub payment_terms: Option<String>,
    /// Free notes printed after the totals, may span several lines.
    pub notes: Option<String>,
    /// Further free text blocks (terms and conditions, delivery, warranty...), printed in order.
    pub blocks: Vec<TextBlock>,
}

/// The seller or the buyer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    /// Company or person name.
    pub name: String,
    /// Postal address, one line each.
    pub address_lines: Vec<String>,
    /// VAT number / ИНН / 사업자등록번호..., as printed.
    pub tax_number: Option<String>,
    /// Other registration numbers or identifiers, printed as `label: value` lines.
    pub registration: Vec<Field>,
    /// Contact person (mostly for the buyer).
    pub contact_person: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Bank details (mostly for the seller), printed as `label: value` lines, e.g.
    /// `IBAN: FR76 ...`, `BIC: ...`, `Bank: ...`.
    pub bank_details: Vec<Field>,
}

/// A labelled value, such as `IBAN` / `FR76 3000 6000 0112 3456 7890 189`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub label: String,
    pub value: String,
}

impl Field {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Field { label: label.into(), value: value.into() }
    }
}

/// One line of the items table. All numbers are formatted strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LineItem {
    pub name: String,
    /// Longer description under the name, may span several lines.
    pub description: Option<String>,
    pub quantity: String,
    /// Unit of measure ("h", "pcs", "шт.", "개").
    pub unit: Option<String>,
    pub unit_price: String,
    /// Discount in percent without the sign ("10"); `None` when there is none.
    pub discount_percent: Option<String>,
    /// Tax rate in percent without the sign ("20"); `None` when not applicable.
    pub tax_percent: Option<String>,
    /// Line total as the caller computed it.
    pub total: String,
}

/// A titled block of free text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextBlock {
    pub title: Option<String>,
    pub body: String,
}
