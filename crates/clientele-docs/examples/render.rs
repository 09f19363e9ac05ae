//! Renders a sample document to a PDF file and prints how long rendering took.
//!
//! `cargo run --release -p clientele-docs --example render -- OUT.pdf [invoice|quote] [LOCALE] [ITEMS] [TEMPLATE.toml]`
//!
//! The first render parses the bundled fonts; the following ones (timed separately) show the
//! cost of one document in a running server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use clientele_docs::{DocumentKind, LineItem, render_pdf, sample_document};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args.first().expect("usage: render OUT.pdf [invoice|quote] [LOCALE] [ITEMS] [TEMPLATE.toml]");
    let kind = match args.get(1).map(String::as_str) {
        Some("quote") => DocumentKind::Quote,
        _ => DocumentKind::Invoice,
    };
    let locale = args.get(2).map(String::as_str).unwrap_or("en");
    let count: usize = args.get(3).map(|n| n.parse().expect("ITEMS is a number")).unwrap_or(10);
    let template = args.get(4).map(|path| std::fs::read_to_string(path).expect("template readable"));

    let mut doc = sample_document(kind, locale);
    let names = ["Consulting", "Консультация", "컨설팅", "Сервер", "Licence annuelle", "Поддръжка"];
    doc.items = (0..count)
        .map(|i| LineItem {
            name: format!("{} {}", names[i % names.len()], i + 1),
            description: (i % 3 == 0).then(|| "Remote work, billed per started hour".to_owned()),
            quantity: format!("{}", i % 7 + 1),
            unit: Some("h".into()),
            unit_price: "120.00".into(),
            discount_percent: (i % 4 == 1).then(|| "5".to_owned()),
            tax_percent: Some("20".into()),
            total: format!("{}.00", (i % 7 + 1) * 120),
        })
        .collect();

    let started = Instant::now();
    let pdf = render_pdf(&doc, template.as_deref()).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let first = started.elapsed();
    std::fs::write(out, &pdf).expect("write the PDF");

    let runs = 10;
    let started = Instant::now();
    for i in 0..runs {
        doc.number = format!("INV-2026-{:04}", i + 2);
        render_pdf(&doc, template.as_deref()).expect("render again");
    }
    let each = started.elapsed() / runs;
    println!("{out}: {} bytes, {count} items; first render {first:.1?}, then {each:.1?} per document", pdf.len());
}
