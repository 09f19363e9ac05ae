//! Templates: a small TOML file an administrator edits to change the look of the built-in
//! layout (colour, paper, columns, order of the text blocks, extra texts, label overrides).
//!
//! A template is data, never code: every text it holds is printed as it is, and nothing in it
//! can read a file or run anything. Unknown keys, wrong types and bad values are refused with
//! the line and column of the mistake.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::DocError;
use crate::labels::Labels;
use crate::model::DocumentKind;

/// Templates larger than this are refused before parsing.
pub(crate) const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// A template that cannot be used, with the place of the mistake in the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    /// 1-based line in the template, when the error points into it.
    pub line: Option<usize>,
    /// 1-based column (in characters) in the template, when the error points into it.
    pub column: Option<usize>,
    pub hints: Vec<String>,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            _ => {}
        }
        f.write_str(&self.message)?;
        for hint in &self.hints {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Paper size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Paper {
    #[default]
    A4,
    Letter,
}

impl Paper {
    /// Width and height in points.
    pub(crate) fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

/// The blocks printed after the totals, in the order the template lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Section {
    /// `Document::payment_terms`.
    PaymentTerms,
    /// The seller's bank details.
    BankDetails,
    /// `Document::notes`.
    Notes,
    /// The document's own free text blocks (`Document::blocks`), in their order.
    Blocks,
    /// The template's `terms_title` and `terms`.
    Terms,
    /// A signature line with `labels.acceptance` (quotes).
    Signature,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    paper: Paper,
    accent: Option<Spanned<String>>,
    font_size: Option<Spanned<f32>>,
    #[serde(default = "yes")]
    amount_box: bool,
    #[serde(default)]
    header: RawHeader,
    #[serde(default)]
    table: RawTable,
    #[serde(default)]
    sections: RawSections,
    #[serde(default)]
    footer: RawFooter,
    #[serde(default)]
    labels: BTreeMap<Spanned<String>, String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    #[serde(default = "yes")]
    logo: bool,
    #[serde(default = "yes")]
    seller_details: bool,
    #[serde(default)]
    note: String,
}

impl Default for RawHeader {
    fn default() -> Self {
        RawHeader { logo: true, seller_details: true, note: String::new() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default = "yes")]
    position: bool,
    #[serde(default = "yes")]
    unit: bool,
    #[serde(default = "yes")]
    discount: bool,
    #[serde(default = "yes")]
    tax: bool,
    #[serde(default = "yes")]
    descriptions: bool,
    #[serde(default = "yes")]
    stripes: bool,
}

impl Default for RawTable {
    fn default() -> Self {
        RawTable { position: true, unit: true, discount: true, tax: true, descriptions: true, stripes: true }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSections {
    order: Option<Vec<Spanned<Section>>>,
    #[serde(default)]
    terms_title: String,
    #[serde(default)]
    terms: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFooter {
    #[serde(default)]
    text: String,
}

/// A checked template, ready for the layout.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub paper: Paper,
    pub accent: (u8, u8, u8),
    pub font_size: f32,
    pub amount_box: bool,
    pub logo: bool,
    pub seller_details: bool,
    pub header_note: String,
    pub col_position: bool,
    pub col_unit: bool,
    pub col_discount: bool,
    pub col_tax: bool,
    pub descriptions: bool,
    pub stripes: bool,
    pub order: Vec<Section>,
    pub terms_title: String,
    pub terms: String,
    pub footer: String,
    /// Label overrides, already checked against the label names.
    pub labels: Vec<(String, String)>,
}

const DEFAULT_ACCENT: (u8, u8, u8) = (0x1f, 0x4e, 0x79);

fn default_order(kind: DocumentKind) -> Vec<Section> {
    match kind {
        DocumentKind::Invoice => {
            vec![Section::PaymentTerms, Section::BankDetails, Section::Notes, Section::Blocks, Section::Terms]
        }
        DocumentKind::Quote => {
            vec![Section::PaymentTerms, Section::Notes, Section::Blocks, Section::Terms, Section::Signature]
        }
    }
}

/// Parses and checks a template's text for a document of `kind`.
pub(crate) fn parse(kind: DocumentKind, text: &str) -> Result<Template, DocError> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(error(format!("the template is larger than {} KiB", MAX_TEMPLATE_BYTES / 1024), None, text));
    }
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace("expected f32", "expected a number");
        let message = match e.span().and_then(|span| key_at(text, span.start)) {
            Some(key) if !message.contains(&format!("`{key}`")) => format!("{key}: {message}"),
            _ => message,
        };
        error(message, e.span(), text)
    })?;

    let accent = match &raw.accent {
        None => DEFAULT_ACCENT,
        Some(value) => parse_colour(value.get_ref()).ok_or_else(|| {
            error(
                format!("accent must be a colour written \"#rrggbb\" (such as \"#1f4e79\"), not {:?}", value.get_ref()),
                Some(value.span()),
                text,
            )
        })?,
    };
    let font_size = match &raw.font_size {
        None => 9.0,
        Some(size) if (7.0..=12.0).contains(size.get_ref()) => *size.get_ref(),
        Some(size) => {
            return Err(error(
                format!("font_size must be between 7 and 12 (points), not {}", size.get_ref()),
                Some(size.span()),
                text,
            ));
        }
    };
    let order = match raw.sections.order {
        None => default_order(kind),
        Some(list) => {
            let mut order = Vec::new();
            for section in list {
                if order.contains(section.get_ref()) {
                    return Err(error(
                        format!("sections.order lists {} twice", text.get(section.span()).unwrap_or("a section")),
                        Some(section.span()),
                        text,
                    ));
                }
                order.push(*section.get_ref());
            }
            order
        }
    };
    let known = Labels::NAMES;
    let mut labels = Vec::new();
    for (name, value) in raw.labels {
        if !known.contains(&name.get_ref().as_str()) {
            let mut err =
                error(format!("labels: there is no label named {:?}", name.get_ref()), Some(name.span()), text);
            if let DocError::Template(t) = &mut err {
                t.hints.push(format!("the labels are: {}", known.join(", ")));
            }
            return Err(err);
        }
        labels.push((name.into_inner(), value));
    }

    Ok(Template {
        paper: raw.paper,
        accent,
        font_size,
        amount_box: raw.amount_box,
        logo: raw.header.logo,
        seller_details: raw.header.seller_details,
        header_note: raw.header.note,
        col_position: raw.table.position,
        col_unit: raw.table.unit,
        col_discount: raw.table.discount,
        col_tax: raw.table.tax,
        descriptions: raw.table.descriptions,
        stripes: raw.table.stripes,
        order,
        terms_title: raw.sections.terms_title,
        terms: raw.sections.terms,
        footer: raw.footer.text,
        labels,
    })
}

/// `#1f4e79` or `#1F4E79` → (31, 78, 121).
fn parse_colour(s: &str) -> Option<(u8, u8, u8)> {
    let hex = s.trim().strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

/// The dotted name of the key on the line of `offset` (`table.stripes`), when that line is a
/// `key = value` line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('#') || key.starts_with('[') {
        return None;
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(['[', ']']).trim());
    Some(match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key.to_owned(),
    })
}

fn error(message: String, span: Option<Range<usize>>, text: &str) -> DocError {
    let position = span.map(|span| {
        let start = span.start.min(text.len());
        let before = text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    });
    DocError::Template(TemplateError {
        message,
        line: position.map(|(line, _)| line),
        column: position.map(|(_, column)| column),
        hints: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_hex_triplets() {
        assert_eq!(parse_colour("#1f4e79"), Some((31, 78, 121)));
        assert_eq!(parse_colour(" #FFFFFF "), Some((255, 255, 255)));
        assert_eq!(parse_colour("blue"), None);
        assert_eq!(parse_colour("#12345"), None);
        assert_eq!(parse_colour("#ééé"), None);
    }

    #[test]
    fn an_empty_template_is_the_default_look() {
        let t = parse(DocumentKind::Quote, "").unwrap();
        assert_eq!(t.paper, Paper::A4);
        assert_eq!(t.accent, DEFAULT_ACCENT);
        assert_eq!(t.order, default_order(DocumentKind::Quote));
    }
}
