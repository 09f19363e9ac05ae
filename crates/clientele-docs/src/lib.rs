//! Clientele documents: commercial proposals (quotes) and invoices rendered to PDF.
//!
//! Pure like `clientele-io`: it knows nothing of the database or HTTP. The caller fills a
//! [`Document`] with already formatted strings (the crate does no money maths) and gets PDF
//! bytes back. Layout is a [typst](https://typst.app) template: a built-in one per
//! [`DocumentKind`] ([`default_template`]) or one an administrator edited, checked on save with
//! [`validate_template`]. The data reaches typst as a JSON file that the template reads, never
//! pasted into markup, so user text is always printed literally.
//!
//! Fonts (Noto Sans for Latin and Cyrillic, NanumSquare for Hangul) are compiled into the
//! binary and subset into each PDF; no system font is ever looked up.

mod labels;
mod model;
mod render;
mod sample;

use serde::Serialize;

pub use labels::{LABEL_LOCALES, Labels};
pub use model::{Document, DocumentKind, Field, LineItem, Party, TextBlock};
pub use render::TemplateError;
pub use sample::sample_document;

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The template does not compile, or fails on the given data.
    #[error("the template cannot be used: {0}")]
    Template(TemplateError),
    /// The logo is not an image typst can read (PNG, JPEG, GIF, WebP, SVG).
    #[error("the logo cannot be used: {0}")]
    Logo(String),
    /// Something that should not happen (unreadable bundled font, unserialisable data).
    #[error("document rendering failed: {0}")]
    Internal(String),
}

const DEFAULT_INVOICE: &str = include_str!("../templates/invoice.typ");
const DEFAULT_QUOTE: &str = include_str!("../templates/quote.typ");

/// The built-in template of a kind, as typst markup, to show an administrator for editing.
pub fn default_template(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => DEFAULT_INVOICE,
        DocumentKind::Quote => DEFAULT_QUOTE,
    }
}

/// Renders `doc` to PDF with `template` (typst markup), or with the built-in template of the
/// document's kind when `None`.
pub fn render_pdf(doc: &Document, template: Option<&str>) -> Result<Vec<u8>, DocError> {
    if let Some(logo) = &doc.logo
        && typst::visualize::ImageFormat::detect(logo).is_none()
    {
        return Err(DocError::Logo(LOGO_FORMATS.into()));
    }
    let template = template.unwrap_or_else(|| default_template(doc.kind));
    render::compile_pdf(template, payload(doc)?, doc.logo.as_deref())
}

/// Checks that `template` renders a document of `kind`: once with every field filled and once
/// with every optional field empty, so a template that breaks on either is refused on save.
/// The error says what is wrong and, when it can, where (line and column in the template).
pub fn validate_template(kind: DocumentKind, template: &str) -> Result<(), DocError> {
    let full = sample_document(kind, "en");
    render::compile_pdf(template, payload(&full)?, full.logo.as_deref())?;
    render::compile_pdf(template, payload(&sample::minimal_document(kind))?, None).map_err(|e| match e {
        DocError::Template(mut e) => {
            e.hints.push("this fails on a document whose optional fields are none and lists empty".into());
            DocError::Template(e)
        }
        other => other,
    })?;
    Ok(())
}

const LOGO_FORMATS: &str = "not a PNG, JPEG, GIF, WebP or SVG image";

/// Checks that `logo` is an image that renders (PNG, JPEG, GIF, WebP or SVG), so a broken one
/// is refused on upload rather than when a document is rendered.
pub fn validate_logo(logo: &[u8]) -> Result<(), DocError> {
    if typst::visualize::ImageFormat::detect(logo).is_none() {
        return Err(DocError::Logo(LOGO_FORMATS.into()));
    }
    let template = format!("#image(\"{}\", width: 2cm)", render::LOGO_PATH);
    match render::compile_pdf(&template, b"{}".to_vec(), Some(logo)) {
        Ok(_) => Ok(()),
        Err(DocError::Template(e)) => Err(DocError::Logo(e.message)),
        Err(other) => Err(other),
    }
}

/// What a template sees in `/data.json`: the document, plus a few values derived for it.
#[derive(Serialize)]
struct Payload<'a> {
    #[serde(flatten)]
    doc: &'a Document,
    /// The document's title in its language ("Invoice", "Devis", ...).
    title: &'a str,
    /// The language subtag typst accepts for `text(lang: ..)`, from `doc.lang`.
    text_lang: String,
    /// The bundled font families, in fallback order, for `text(font: ..)`.
    fonts: Vec<String>,
    /// Where the logo is, for `image(..)`; `none` without a logo.
    logo: Option<&'static str>,
}

fn payload(doc: &Document) -> Result<Vec<u8>, DocError> {
    let title = match doc.kind {
        DocumentKind::Invoice => &doc.labels.invoice,
        DocumentKind::Quote => &doc.labels.quote,
    };
    let payload = Payload {
        doc,
        title,
        text_lang: text_lang(&doc.lang),
        fonts: render::font_families()?,
        logo: doc.logo.as_ref().map(|_| render::LOGO_PATH),
    };
    serde_json::to_vec(&payload).map_err(|e| DocError::Internal(format!("document data: {e}")))
}

/// `fr-BE` → `fr`; anything typst would refuse → `en`.
fn text_lang(lang: &str) -> String {
    let primary = lang.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()) {
        primary
    } else {
        "en".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lang_keeps_the_primary_subtag_only() {
        assert_eq!(text_lang("fr-BE"), "fr");
        assert_eq!(text_lang("KO_kr"), "ko");
        assert_eq!(text_lang(""), "en");
        assert_eq!(text_lang("x\"); #panic()"), "en");
        assert_eq!(text_lang("english"), "en");
    }

    #[test]
    fn the_payload_is_the_document_with_title_lang_and_fonts() {
        let doc = sample_document(DocumentKind::Quote, "fr-FR");
        let json: serde_json::Value = serde_json::from_slice(&payload(&doc).unwrap()).unwrap();
        assert_eq!(json["kind"], "quote");
        assert_eq!(json["title"], "Devis");
        assert_eq!(json["text_lang"], "fr");
        assert_eq!(json["lang"], "fr-FR");
        assert_eq!(json["fonts"], serde_json::json!(["Noto Sans", "NanumSquare"]));
        assert_eq!(json["items"][0]["name"], doc.items[0].name);
    }

    #[test]
    fn both_default_templates_validate() {
        for kind in DocumentKind::ALL {
            validate_template(kind, default_template(kind)).unwrap();
        }
    }
}
