//! Renders real PDFs and reads them back with poppler's `pdftotext` and `pdffonts`
//! (Debian package `poppler-utils`). These tests fail, never skip, when poppler is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use clientele_docs::{
    DocError, Document, DocumentKind, Field, LABEL_LOCALES, Labels, LineItem, TextBlock, default_template, render_pdf,
    sample_document, validate_logo, validate_template,
};

fn temp_pdf(pdf: &[u8]) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "clientele-docs-{}-{}.pdf",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, pdf).unwrap();
    path
}

fn poppler(tool: &str, pdf: &[u8], extra: &[&str]) -> String {
    let path = temp_pdf(pdf);
    let mut command = Command::new(tool);
    command.args(extra).arg(&path);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {tool} ({e}): install the Debian package poppler-utils to run these tests")
    });
    std::fs::remove_file(&path).ok();
    assert!(output.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The text of the PDF, pages separated by form feeds.
fn pdf_text(pdf: &[u8]) -> String {
    poppler("pdftotext", pdf, &["-enc", "UTF-8"])
}

fn render(doc: &Document) -> Vec<u8> {
    let pdf = render_pdf(doc, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    pdf
}

fn item(name: &str, total: &str) -> LineItem {
    LineItem {
        name: name.into(),
        description: None,
        quantity: "2".into(),
        unit: Some("h".into()),
        unit_price: "617.25".into(),
        discount_percent: None,
        tax_percent: Some("20".into()),
        total: total.into(),
    }
}

fn multilingual_invoice() -> Document {
    let mut doc = sample_document(DocumentKind::Invoice, "ru");
    doc.number = "INV-2026-0042".into();
    doc.seller.name = "ООО «Ромашка»".into();
    doc.buyer.name = "주식회사 한빛".into();
    doc.items = vec![
        item("Consulting", "1 234.50"),
        item("Консультация", "2 469.00"),
        item("Сервер", "98 765.43"),
        item("컨설팅", "4 321.09"),
    ];
    doc.subtotal = "106 790.02".into();
    doc.discount_total = None;
    doc.tax_total = Some("21 358.00".into());
    doc.total = "128 148.02".into();
    doc.amount_due = Some("28 148.02".into());
    doc
}

#[test]
fn names_numbers_and_totals_in_latin_cyrillic_and_hangul_can_be_extracted() {
    let text = pdf_text(&render(&multilingual_invoice()));
    for expected in [
        "Consulting",
        "Консультация",
        "Сервер",
        "컨설팅",
        "INV-2026-0042",
        "ООО «Ромашка»",
        "주식회사 한빛",
        "London EC1A 1AA",
        "1 234.50",
        "98 765.43",
        "106 790.02",
        "21 358.00",
        "128 148.02 EUR",
        "28 148.02 EUR",
        "Счёт",
        "К оплате",
        "FR76 3000 6000 0112 3456 7890 189",
    ] {
        assert!(text.contains(expected), "{expected:?} is missing from the PDF text:\n{text}");
    }
}

#[test]
fn fonts_are_embedded_and_subset_and_only_the_bundled_ones() {
    let fonts = poppler("pdffonts", &render(&multilingual_invoice()), &[]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in &rows {
        // name type encoding emb sub uni object id
        let columns: Vec<&str> = row.split_whitespace().collect();
        let (name, flags) = (columns[0], &columns[columns.len() - 5..columns.len() - 2]);
        assert_eq!(flags, &["yes", "yes", "yes"], "{name} must be embedded, subset and mapped to unicode:\n{fonts}");
        assert!(name.contains("NotoSans") || name.contains("NanumSquare"), "unexpected font {name}:\n{fonts}");
    }
    assert!(rows.iter().any(|r| r.contains("NanumSquare")), "Hangul font missing:\n{fonts}");
}

#[test]
fn every_locale_and_kind_renders_with_its_labels() {
    for locale in LABEL_LOCALES {
        for kind in DocumentKind::ALL {
            let labels = Labels::for_locale(locale);
            let text = pdf_text(&render(&sample_document(kind, locale)));
            let title = match kind {
                DocumentKind::Invoice => &labels.invoice,
                DocumentKind::Quote => &labels.quote,
            };
            // Titles are printed in capitals, and a long one wraps; the table header as is.
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(words.contains(&title.to_uppercase()), "{locale} {kind:?}: no title {title}:\n{text}");
            for label in [&labels.unit_price, &labels.subtotal, &labels.page] {
                assert!(text.contains(label.as_str()), "{locale} {kind:?}: no {label}:\n{text}");
            }
            let due = if kind == DocumentKind::Invoice { &labels.due_date } else { &labels.valid_until };
            assert!(text.contains(due.as_str()), "{locale} {kind:?}: no {due}:\n{text}");
        }
    }
}

#[test]
fn user_text_with_typst_markup_is_printed_literally() {
    let nasty = [
        r#"#set page(width: 1cm) #panic("x")"#,
        r"*not bold* _not emph_ $x^2$ `raw`",
        r"[brackets] \backslash\ <label> @ref",
        r#"")] #read("/etc/passwd") [("#,
        "= Not a heading",
        "// not a comment",
    ];
    let mut doc = sample_document(DocumentKind::Invoice, "en");
    doc.number = "#INV-$1".into();
    doc.seller.name = "*Seller* & <Co>".into();
    doc.buyer.name = "@buyer [#1]".into();
    doc.items = nasty.iter().map(|name| item(name, "1.00")).collect();
    doc.items[0].description = Some(r"#emph[desc] \ $y$".into());
    doc.notes = Some("#strong[note]\n- not a list".into());
    doc.blocks = vec![TextBlock { title: Some("#title".into()), body: "$$ body".into() }];
    doc.seller.bank_details = vec![Field::new("#label", "[value]")];

    let text = pdf_text(&render(&doc));
    let expected = nasty.iter().copied().chain([
        "#INV-$1",
        "*Seller* & <Co>",
        "@buyer [#1]",
        r"#emph[desc] \ $y$",
        "#strong[note]",
        "- not a list",
        "#TITLE",
        "$$ body",
        "#label",
        "[value]",
    ]);
    for s in expected {
        assert!(text.contains(s), "{s:?} is not printed literally:\n{text}");
    }
}

#[test]
fn sixty_items_flow_onto_several_pages_with_the_header_and_page_numbers() {
    let mut doc = sample_document(DocumentKind::Invoice, "en");
    doc.items = (1..=60).map(|i| item(&format!("Line item number {i}"), &format!("{i}.00"))).collect();
    let text = pdf_text(&render(&doc));
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert!(pages.len() >= 2, "expected several pages, got {}:\n{text}", pages.len());
    assert!(text.contains("Line item number 1\n") || text.contains("Line item number 1 "), "{text}");
    assert!(text.contains("Line item number 60"), "{text}");
    let last = pages.len();
    assert!(text.contains(&format!("Page {last} / {last}")), "no page number on the last page:\n{text}");
    // The table header repeats on every page the table runs through.
    let table_pages: Vec<&&str> = pages.iter().filter(|p| p.contains("Line item number")).collect();
    assert!(table_pages.len() >= 2, "{text}");
    assert!(table_pages.iter().all(|p| p.contains("Unit price")), "{text}");
}

#[test]
fn rendering_is_deterministic() {
    let doc = multilingual_invoice();
    assert_eq!(render(&doc), render(&doc));
}

#[test]
fn a_custom_template_gets_the_data() {
    let template = "#let doc = json(\"/data.json\")\n#set text(font: doc.fonts)\n= #doc.title #doc.number\n#for it in doc.items [- #it.name: #it.total\n]\n";
    validate_template(DocumentKind::Invoice, template).unwrap();
    let pdf = render_pdf(&multilingual_invoice(), Some(template)).unwrap();
    let text = pdf_text(&pdf);
    assert!(text.contains("Счёт INV-2026-0042"), "{text}");
    assert!(text.contains("컨설팅: 4 321.09"), "{text}");
}

fn template_error(kind: DocumentKind, template: &str) -> (String, Option<usize>, Option<usize>) {
    match validate_template(kind, template) {
        Err(DocError::Template(e)) => {
            let shown = DocError::Template(e.clone()).to_string();
            (shown, e.line, e.column)
        }
        other => panic!("expected a template error for {template:?}, got {other:?}"),
    }
}

#[test]
fn broken_templates_are_refused_with_the_place_and_the_reason() {
    // A syntax error.
    let (message, line, column) =
        template_error(DocumentKind::Invoice, "#let doc = json(\"/data.json\")\n\n#let x = (1, 2\n");
    assert_eq!(line, Some(3), "{message}");
    assert!(column.is_some(), "{message}");
    assert!(message.contains("line 3"), "{message}");

    // An unknown variable.
    let (message, line, column) = template_error(DocumentKind::Quote, "Hello\n  #nonsense\n");
    assert_eq!((line, column), (Some(2), Some(4)), "{message}");
    assert!(message.contains("unknown variable: nonsense"), "{message}");

    // A field the data does not have.
    let (message, line, _) =
        template_error(DocumentKind::Invoice, "#let doc = json(\"/data.json\")\n#doc.buyer.iban\n");
    assert_eq!(line, Some(2), "{message}");
    assert!(message.contains("iban"), "{message}");

    // A template that only breaks when an optional field is empty.
    let (message, line, _) =
        template_error(DocumentKind::Invoice, "#let doc = json(\"/data.json\")\n#doc.due_date.len()\n");
    assert_eq!(line, Some(2), "{message}");
    assert!(message.contains("optional fields are none"), "{message}");

    // Editing the built-in template badly.
    let broken = default_template(DocumentKind::Invoice).replace("#table(", "#table[");
    let (message, line, _) = template_error(DocumentKind::Invoice, &broken);
    assert!(line.is_some(), "{message}");
}

#[test]
fn templates_cannot_reach_files_packages_or_the_clock() {
    for template in [
        "#read(\"/etc/passwd\")",
        "#read(\"../../../../etc/passwd\")",
        "#include \"/etc/passwd\"",
        "#image(\"/usr/share/pixmaps/debian-logo.png\")",
        "#import \"@preview/example:0.1.0\": *",
        "#datetime.today().display()",
    ] {
        let (message, line, _) = template_error(DocumentKind::Invoice, template);
        assert_eq!(line, Some(1), "{template}: {message}");
    }
}

#[test]
fn an_empty_document_renders() {
    let mut doc = sample_document(DocumentKind::Quote, "ko");
    doc.items.clear();
    doc.due_date = None;
    doc.notes = None;
    doc.payment_terms = None;
    doc.blocks.clear();
    doc.seller.bank_details.clear();
    doc.buyer.address_lines.clear();
    let text = pdf_text(&render(&doc));
    assert!(text.contains("견적서"), "{text}");
}

/// A 4×2 PNG in the templates' blue.
const PNG_LOGO: [u8; 73] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 4, 0, 0, 0, 2, 8, 2, 0, 0, 0, 240, 202, 234,
    52, 0, 0, 0, 16, 73, 68, 65, 84, 120, 156, 99, 144, 247, 171, 132, 35, 6, 100, 14, 0, 90, 186, 7, 49, 74, 36, 198,
    109, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

#[test]
fn a_png_logo_is_placed_and_a_document_without_logo_has_no_image() {
    let mut doc = sample_document(DocumentKind::Invoice, "en");
    doc.logo = Some(PNG_LOGO.to_vec());
    let images = poppler("pdfimages", &render(&doc), &["-list"]);
    assert!(images.lines().skip(2).any(|row| row.split_whitespace().nth(3) == Some("4")), "{images}");

    doc.logo = None;
    let images = poppler("pdfimages", &render(&doc), &["-list"]);
    assert_eq!(images.lines().skip(2).count(), 0, "{images}");
}

#[test]
fn a_logo_that_is_no_image_is_refused_with_a_message() {
    let mut doc = sample_document(DocumentKind::Quote, "en");
    doc.logo = Some(b"not an image".to_vec());
    let error = render_pdf(&doc, None).unwrap_err();
    assert!(matches!(error, DocError::Logo(_)), "{error}");
    assert_eq!(error.to_string(), "the logo cannot be used: not a PNG, JPEG, GIF, WebP or SVG image");
    assert!(matches!(validate_logo(b"not an image"), Err(DocError::Logo(_))));

    // Looks like a PNG, but is cut short.
    let error = validate_logo(&PNG_LOGO[..40]).unwrap_err();
    assert!(matches!(error, DocError::Logo(_)), "{error}");
    validate_logo(&PNG_LOGO).unwrap();
}

#[test]
fn documents_render_side_by_side_on_several_threads() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let kind = if i % 2 == 0 { DocumentKind::Invoice } else { DocumentKind::Quote };
                let mut doc = sample_document(kind, LABEL_LOCALES[i % LABEL_LOCALES.len()]);
                doc.number = format!("DOC-THREAD-{i}");
                (i, render(&doc))
            })
        })
        .collect();
    for handle in handles {
        let (i, pdf) = handle.join().unwrap();
        let text = pdf_text(&pdf);
        assert!(text.contains(&format!("DOC-THREAD-{i}")), "{text}");
        for other in (0..4).filter(|&o| o != i) {
            assert!(!text.contains(&format!("DOC-THREAD-{other}")), "{text}");
        }
    }
}
