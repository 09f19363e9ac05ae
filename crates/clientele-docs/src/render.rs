//! typst as a library: a closed [`World`] with one template, one data file and the bundled fonts.
//!
//! The world serves exactly three files: the template (`/template.typ`, the main source), the
//! document data (`/data.json`) and the seller's logo (`/logo`) when the document has one. Every other path, every package import and the system fonts
//! are out of reach, so a custom template can read nothing from the server.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, PackageError, Severity, SourceDiagnostic};
use typst::ecow::eco_format;
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::DocError;

/// Path of the template inside the world (what error messages and `#include` would see).
pub(crate) const TEMPLATE_PATH: &str = "/template.typ";
/// Path of the document data inside the world; templates read it with `json("/data.json")`.
pub(crate) const DATA_PATH: &str = "/data.json";

/// Path of the seller's logo, when the document has one.
pub(crate) const LOGO_PATH: &str = "/logo";

/// Templates larger than this are refused before compiling.
pub(crate) const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// The bundled fonts: Noto Sans (Latin, Cyrillic, Greek) and NanumSquare (Hangul), regular and
/// bold. Nothing else is ever looked up.
static FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NanumSquareR.ttf"),
    include_bytes!("../fonts/NanumSquareB.ttf"),
];

/// What every render shares: the standard library, the parsed fonts and the file ids.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    template_id: FileId,
    data_id: FileId,
    logo_id: FileId,
}

static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();

fn shared() -> Result<&'static Shared, DocError> {
    SHARED.get_or_init(build_shared).as_ref().map_err(|e| DocError::Internal(e.clone()))
}

fn build_shared() -> Result<Shared, String> {
    let fonts: Vec<Font> = FONT_FILES.iter().flat_map(|data| Font::iter(Bytes::new(*data))).collect();
    if fonts.len() != FONT_FILES.len() {
        return Err(format!("only {} of the {} bundled fonts could be read", fonts.len(), FONT_FILES.len()));
    }
    let book = FontBook::from_fonts(&fonts);
    let id = |path: &str| {
        VirtualPath::new(path)
            .map(|vpath| FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
            .map_err(|e| format!("bad virtual path {path}: {e}"))
    };
    Ok(Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(book),
        fonts,
        template_id: id(TEMPLATE_PATH)?,
        data_id: id(DATA_PATH)?,
        logo_id: id(LOGO_PATH)?,
    })
}

/// The family names of the bundled fonts, in fallback order.
pub(crate) fn font_families() -> Result<Vec<String>, DocError> {
    let shared = shared()?;
    let mut names: Vec<String> = Vec::new();
    for font in &shared.fonts {
        let family = font.info().family.to_string();
        if !names.contains(&family) {
            names.push(family);
        }
    }
    Ok(names)
}

struct DocWorld {
    shared: &'static Shared,
    source: Source,
    data: Bytes,
    logo: Option<Bytes>,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.shared.template_id
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.shared.template_id { Ok(self.source.clone()) } else { Err(not_found(id)) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.data_id {
            Ok(self.data.clone())
        } else if let Some(logo) = self.logo.as_ref().filter(|_| id == self.shared.logo_id) {
            Ok(logo.clone())
        } else if id == self.shared.template_id {
            Ok(Bytes::from_string(self.source.text().to_owned()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents carry their own dates; a template has no business reading the clock.
        None
    }
}

/// Only the data file exists: say so, rather than "file not found".
fn not_found(id: FileId) -> FileError {
    match id.root() {
        VirtualRoot::Package(spec) => FileError::Package(PackageError::Other(Some(eco_format!(
            "{spec} cannot be used: document templates have no packages"
        )))),
        VirtualRoot::Project => FileError::Other(Some(eco_format!(
            "{} cannot be read: a document template can read only {DATA_PATH} and {LOGO_PATH}",
            id.vpath().get_with_slash()
        ))),
    }
}

/// Compiles `template` against `data` (the JSON of a document) and exports the PDF.
pub(crate) fn compile_pdf(template: &str, data: Vec<u8>, logo: Option<&[u8]>) -> Result<Vec<u8>, DocError> {
    if template.len() > MAX_TEMPLATE_BYTES {
        return Err(DocError::Template(TemplateError {
            message: format!("the template is larger than {} KiB", MAX_TEMPLATE_BYTES / 1024),
            line: None,
            column: None,
            hints: Vec::new(),
        }));
    }
    let shared = shared()?;
    let world = DocWorld {
        shared,
        source: Source::new(shared.template_id, template.to_owned()),
        data: Bytes::new(data),
        logo: logo.map(|bytes| Bytes::new(bytes.to_vec())),
    };
    let result = typst::compile::<PagedDocument>(&world).output;
    let pdf = match result {
        Ok(document) => {
            let options = PdfOptions {
                creator: Smart::Custom(Some("Clientele".into())),
                timestamp: None,
                ..PdfOptions::default()
            };
            typst_pdf::pdf(&document, &options).map_err(|errors| template_error(&world, &errors))
        }
        Err(errors) => Err(template_error(&world, &errors)),
    };
    // typst memoises work across compilations; drop what has not been used for a while so a
    // long-running server does not grow.
    typst::comemo::evict(10);
    pdf
}

/// A template that typst refused, with the position of the first error in the template.
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

fn template_error(world: &DocWorld, errors: &[SourceDiagnostic]) -> DocError {
    let Some(first) = errors.iter().find(|d| d.severity == Severity::Error).or(errors.first()) else {
        return DocError::Template(TemplateError {
            message: "typst failed without saying why".into(),
            line: None,
            column: None,
            hints: Vec::new(),
        });
    };
    // The error itself may sit in the data file or inside a built-in function; then the
    // innermost call in the template tells the administrator where to look.
    let in_template = |span: typst::syntax::DiagSpan| span.id() == Some(world.shared.template_id);
    let position = std::iter::once(first.span)
        .chain(first.trace.iter().map(|point| point.span.into()))
        .find(|span| in_template(*span))
        .and_then(|span| world.range(span))
        .and_then(|range| world.source.lines().byte_to_line_column(range.start));
    let mut message = first.message.to_string();
    if errors.len() > 1 {
        message.push_str(&format!(" (and {} more)", errors.len() - 1));
    }
    DocError::Template(TemplateError {
        message,
        line: position.map(|(line, _)| line + 1),
        column: position.map(|(_, column)| column + 1),
        hints: first.hints.iter().map(|hint| hint.v.to_string()).collect(),
    })
}
