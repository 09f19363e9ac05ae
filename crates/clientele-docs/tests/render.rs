//! Renders real PDFs and reads them back with poppler's `pdftotext`, `pdffonts`, `pdfimages`,
//! `pdfinfo` and `pdftoppm`
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
fn user_text_is_printed_literally() {
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

const CUSTOM: &str = r##"
paper = "letter"
accent = "#8a1538"
amount_box = false

[header]
note = "DUPLICATE"

[table]
position = false

[sections]
order = ["notes", "terms", "payment_terms"]
terms_title = "General terms"
terms = """
Goods remain our property until paid in full.
{number} #read("/etc/passwd") $x$ <b>kept as written</b>"""

[footer]
text = "Northwind, 12 rue des Lilas"

[labels]
invoice = "Rechnung"
item = "Leistung"
"##;

#[test]
fn a_custom_template_changes_paper_texts_order_and_labels() {
    validate_template(DocumentKind::Invoice, CUSTOM).unwrap();
    let pdf = render_pdf(&multilingual_invoice(), Some(CUSTOM)).unwrap();
    let info = poppler("pdfinfo", &pdf, &[]);
    assert!(info.contains("612 x 792 pts"), "not Letter:\n{info}");
    let text = pdf_text(&pdf);
    for expected in [
        "RECHNUNG",
        "Leistung",
        "DUPLICATE",
        "GENERAL TERMS",
        "Goods remain our property until paid in full.",
        r#"{number} #read("/etc/passwd") $x$ <b>kept as written</b>"#,
        "Northwind, 12 rue des Lilas",
        "컨설팅",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    // The order of the template, and what it leaves out is not printed.
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s:?} missing:\n{text}"));
    let labels = Labels::for_locale("ru");
    assert!(at(&labels.notes.to_uppercase()) < at("GENERAL TERMS"), "{text}");
    assert!(at("GENERAL TERMS") < at(&labels.payment_terms.to_uppercase()), "{text}");
    assert!(!text.contains(&labels.bank_details.to_uppercase()), "{text}");
    assert!(!text.contains("FR76 3000"), "{text}");
    // No "#" column, no amount box.
    assert!(!text.contains(&labels.amount_due.to_uppercase()), "{text}");
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
    // (template, line, words the message must hold)
    let cases: [(&str, usize, &[&str]); 10] = [
        ("paper = \"a4\"\n\n[table\n", 3, &["line 3"]),
        ("paper = \"a4\"\nacent = \"#000000\"\n", 2, &["unknown field `acent`", "accent"]),
        ("accent = \"blue\"\n", 1, &["accent", "#rrggbb", "\"blue\""]),
        ("paper = \"a5\"\n", 1, &["a5", "a4", "letter"]),
        ("\n\nfont_size = \"big\"\n", 3, &["line 3", "font_size", "expected a number"]),
        ("font_size = 30\n", 1, &["font_size", "between 7 and 12"]),
        ("[sections]\norder = [\"notes\", \"bank\"]\n", 2, &["bank", "payment_terms", "signature"]),
        ("[sections]\norder = [\"notes\", \"notes\"]\n", 2, &["notes", "twice"]),
        ("[labels]\ninvoice = \"Facture\"\ntotl = \"Total\"\n", 3, &["totl", "there is no label", "amount_due"]),
        ("[table]\nstripes = \"yes\"\n", 2, &["line 2", "table.stripes", "bool"]),
    ];
    for (template, line, words) in cases {
        let (message, at, column) = template_error(DocumentKind::Invoice, template);
        assert_eq!(at, Some(line), "{template:?}: {message}");
        assert!(column.is_some(), "{template:?}: {message}");
        for word in words {
            assert!(message.contains(word), "{template:?}: {word:?} not in {message:?}");
        }
    }

    // Editing the built-in template badly.
    let broken = default_template(DocumentKind::Quote).replace("stripes = true", "stripes = maybe");
    let (message, line, _) = template_error(DocumentKind::Quote, &broken);
    let expected = default_template(DocumentKind::Quote).lines().position(|l| l.starts_with("stripes")).unwrap() + 1;
    assert_eq!(line, Some(expected), "{message}");

    // Too large.
    let huge = format!("[footer]\ntext = \"{}\"\n", "x".repeat(100_000));
    let (message, _, _) = template_error(DocumentKind::Quote, &huge);
    assert!(message.contains("larger than"), "{message}");
}

#[test]
fn an_empty_template_is_the_built_in_look_and_both_defaults_validate() {
    let doc = multilingual_invoice();
    assert_eq!(render_pdf(&doc, Some("")).unwrap(), render(&doc));
    for kind in DocumentKind::ALL {
        validate_template(kind, default_template(kind)).unwrap();
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
    assert_eq!(error.to_string(), "the logo cannot be used: not a PNG or JPEG image");
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

#[test]
fn a_jpeg_logo_is_placed_and_a_gif_is_refused() {
    // A JPEG made by poppler from a rendered page.
    let dir = std::env::temp_dir().join(format!("clientele-docs-jpeg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path = dir.join("page.pdf");
    std::fs::write(&pdf_path, render(&sample_document(DocumentKind::Quote, "en"))).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-jpeg", "-r", "12", "-singlefile"])
        .arg(&pdf_path)
        .arg(dir.join("logo"))
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(status.success());
    let jpeg = std::fs::read(dir.join("logo.jpg")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    validate_logo(&jpeg).unwrap();
    let mut doc = sample_document(DocumentKind::Invoice, "en");
    doc.logo = Some(jpeg);
    let images = poppler("pdfimages", &render(&doc), &["-list"]);
    assert!(images.lines().skip(2).any(|row| row.split_whitespace().nth(2) == Some("image")), "{images}");

    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert_eq!(validate_logo(gif).unwrap_err().to_string(), "the logo cannot be used: not a PNG or JPEG image");
}

/// Every word's box in the PDF, as (page, x_min, x_max, y_max, text), from `pdftotext -bbox`.
fn word_boxes(pdf: &[u8]) -> Vec<(usize, f32, f32, f32, String)> {
    let html = poppler("pdftotext", pdf, &["-bbox"]);
    let mut page = 0;
    let mut words = Vec::new();
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            page += 1;
        }
        if let Some(rest) = line.strip_prefix("<word ") {
            let attr = |name: &str| -> f32 {
                let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                rest[start..].split('"').next().unwrap().parse().unwrap()
            };
            let text = rest.split('>').nth(1).unwrap_or("").split('<').next().unwrap_or("").to_owned();
            words.push((page, attr("xMin"), attr("xMax"), attr("yMax"), text));
        }
    }
    words
}

#[test]
fn long_words_and_long_texts_are_broken_inside_the_margins() {
    let mut doc = sample_document(DocumentKind::Invoice, "ru");
    let long_word = "Сверхдлиннаяконсультация".repeat(12);
    doc.items[0].name = format!("Начало {long_word} конец");
    doc.items[1].description = Some("строка описания ".repeat(400)); // taller than a page
    doc.notes = Some(format!("{}\n{}", "x".repeat(500), "컨설팅 ".repeat(300)));
    doc.seller.bank_details.push(Field::new("IBAN", "FR76".repeat(60)));
    doc.buyer.name = "Контрагент".repeat(20);
    let pdf = render(&doc);
    let (page_w, page_h) = (595.28, 841.89);
    let words = word_boxes(&pdf);
    assert!(words.len() > 100);
    for (page, x_min, x_max, y_max, text) in &words {
        assert!(*x_min >= 50.0 && *x_max <= page_w - 50.0, "page {page}: {text:?} at {x_min}..{x_max}");
        assert!(*y_max <= page_h - 20.0, "page {page}: {text:?} below the page at {y_max}");
    }
    let text: String = pdf_text(&pdf).split_whitespace().collect();
    assert!(text.contains(&long_word), "the long word is not all there");
    assert!(text.contains(&"x".repeat(500)));
    assert!(text.contains("конец"));
    let pages = words.iter().map(|w| w.0).max().unwrap();
    assert!(pages >= 2, "{pages}");
    let page = Labels::for_locale("ru").page;
    assert!(pdf_text(&pdf).contains(&format!("{page} {pages} / {pages}")));
}

#[test]
fn a_seller_and_a_buyer_longer_than_a_page_go_on_over_pages() {
    let mut doc = sample_document(DocumentKind::Quote, "bg");
    doc.seller.address_lines = (1..=90).map(|i| format!("Seller line {i}")).collect();
    doc.buyer.address_lines = (1..=90).map(|i| format!("Buyer line {i}")).collect();
    let pdf = render(&doc);
    let words = word_boxes(&pdf);
    for (page, x_min, x_max, y_max, text) in &words {
        assert!(*x_min >= 50.0 && *x_max <= 595.28 - 50.0, "page {page}: {text:?} at {x_min}..{x_max}");
        assert!(*y_max <= 841.89 - 20.0, "page {page}: {text:?} below the page at {y_max}");
    }
    let text = pdf_text(&pdf);
    for expected in ["Seller line 90", "Buyer line 90", "Consulting", "1 584.00 EUR", "Q-2026-0001"] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    // Each page's text stays above its footer: the footer is the last thing on every page.
    let page = Labels::for_locale("bg").page;
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert!(pages.len() >= 3, "{}", pages.len());
    for (i, p) in pages.iter().enumerate() {
        assert!(p.contains(&format!("{page} {} / {}", i + 1, pages.len())), "page {}:\n{p}", i + 1);
    }
}
