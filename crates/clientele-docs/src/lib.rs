//! Clientele documents: commercial proposals (quotes) and invoices rendered to PDF.
//!
//! Pure like `clientele-io`: it knows nothing of the database or HTTP. The caller fills a
//! [`Document`] with already formatted strings (the crate does no money maths) and gets PDF
//! bytes back. The layout is built in (seller, buyer, amount box, items table over as many
//! pages as needed, totals, text blocks, page numbers); a small TOML template changes its look
//! without code: colour, paper, optional columns and blocks, their order, extra texts and label
//! overrides. A built-in template per [`DocumentKind`] ([`default_template`]) or one an
//! administrator edited, checked on save with [`validate_template`]. Templates and documents
//! are data: no text in them is ever interpreted.
//!
//! Fonts (Noto Sans for Latin and Cyrillic, NanumSquare for Hangul) are compiled into the
//! binary and subset into each PDF; no system font is ever looked up. The PDF is written by
//! krilla, text shaped by rustybuzz.

mod labels;
mod layout;
mod model;
mod sample;
mod template;
mod text;

pub use labels::{LABEL_LOCALES, Labels};
pub use model::{Document, DocumentKind, Field, LineItem, Party, TextBlock};
pub use sample::sample_document;
pub use template::TemplateError;

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The template is not valid TOML, has an unknown key or a bad value.
    #[error("the template cannot be used: {0}")]
    Template(TemplateError),
    /// The logo is not a PNG or JPEG image that can be decoded.
    #[error("the logo cannot be used: {0}")]
    Logo(String),
    /// Something that should not happen (unreadable bundled font).
    #[error("document rendering failed: {0}")]
    Internal(String),
}

const DEFAULT_INVOICE: &str = include_str!("../templates/invoice.toml");
const DEFAULT_QUOTE: &str = include_str!("../templates/quote.toml");

/// The built-in template of a kind, as TOML, to show an administrator for editing.
pub fn default_template(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => DEFAULT_INVOICE,
        DocumentKind::Quote => DEFAULT_QUOTE,
    }
}

/// Renders `doc` to PDF with `template` (TOML), or with the built-in template of the
/// document's kind when `None`.
pub fn render_pdf(doc: &Document, template: Option<&str>) -> Result<Vec<u8>, DocError> {
    let template = template::parse(doc.kind, template.unwrap_or_else(|| default_template(doc.kind)))?;
    let logo = doc.logo.as_deref().map(decode_logo).transpose()?;
    layout::render(doc, &template, logo.as_ref())
}

/// Checks that `template` can be used for documents of `kind`: it parses, every key is known
/// and every value allowed; then it renders a document with every field filled and one with
/// every optional field empty. The error says what is wrong and where (line and column).
pub fn validate_template(kind: DocumentKind, template: &str) -> Result<(), DocError> {
    let parsed = template::parse(kind, template)?;
    let full = sample_document(kind, "en");
    let logo = full.logo.as_deref().map(decode_logo).transpose()?;
    layout::render(&full, &parsed, logo.as_ref())?;
    layout::render(&sample::minimal_document(kind), &parsed, None)?;
    Ok(())
}

const LOGO_FORMATS: &str = "not a PNG or JPEG image";

/// Checks that `logo` is a PNG or JPEG image that decodes, so a broken one is refused on
/// upload rather than when a document is rendered.
pub fn validate_logo(logo: &[u8]) -> Result<(), DocError> {
    text::check_fonts()?;
    let image = decode_logo(logo)?;
    let mut doc = sample::minimal_document(DocumentKind::Invoice);
    doc.logo = Some(logo.to_vec());
    let template = template::parse(DocumentKind::Invoice, "")?;
    layout::render(&doc, &template, Some(&image)).map(|_| ())
}

/// A PNG or JPEG logo for the PDF writer (which decodes the pixels when the PDF is written).
fn decode_logo(bytes: &[u8]) -> Result<krilla::image::Image, DocError> {
    let data = krilla::Data::from(bytes.to_vec());
    let image = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        krilla::image::Image::from_png(data, true)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        krilla::image::Image::from_jpeg(data, true)
    } else {
        return Err(DocError::Logo(LOGO_FORMATS.into()));
    };
    let image = image.map_err(DocError::Logo)?;
    let (w, h) = image.size();
    if w == 0 || h == 0 || w > 8000 || h > 8000 {
        return Err(DocError::Logo(format!("a logo of {w}×{h} pixels is too large or empty")));
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_default_templates_validate() {
        for kind in DocumentKind::ALL {
            validate_template(kind, default_template(kind)).unwrap();
        }
    }

    #[test]
    fn the_sample_logo_is_a_png() {
        validate_logo(sample_document(DocumentKind::Quote, "en").logo.as_deref().unwrap()).unwrap();
    }
}
