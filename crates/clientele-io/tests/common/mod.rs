//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

#[path = "xls.rs"]
mod xls;

use clientele_io::{Format, ReadError, ReadOptions, Row, Table};

/// Opens bytes as a table.
pub fn open(format: Format, bytes: impl Into<Vec<u8>>, opts: &ReadOptions) -> Result<Table, ReadError> {
    Table::open(format, Box::new(Cursor::new(bytes.into())), opts)
}

/// Headers and every row (errors as their message).
pub fn read(format: Format, bytes: impl Into<Vec<u8>>, opts: &ReadOptions) -> (Table, Vec<Result<Row, String>>) {
    let mut t = open(format, bytes, opts).unwrap();
    let mut rows = Vec::new();
    while let Some(r) = t.next_row() {
        rows.push(r.map_err(|e| e.to_string()));
    }
    (t, rows)
}

/// Rows as (number, cells) of strs, for short assertions.
pub fn ok_rows(rows: &[Result<Row, String>]) -> Vec<(u64, Vec<&str>)> {
    rows.iter()
        .map(|r| {
            let r = r.as_ref().unwrap();
            (r.number, r.cells.iter().map(String::as_str).collect())
        })
        .collect()
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// An ODS cell for the hand-made ODS.
pub enum C<'a> {
    S(&'a str),
    F(f64),
    D(&'a str),
    Empty(u32),
}

/// A minimal OpenDocument spreadsheet made with the zip writer.
pub fn make_ods(sheets: &[(&str, Vec<Vec<C>>)]) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    for (name, rows) in sheets {
        content.push_str(&format!("<table:table table:name=\"{name}\">"));
        for row in rows {
            content.push_str("<table:table-row>");
            for c in row {
                content.push_str(&match c {
                    C::S(v) => format!(
                        "<table:table-cell office:value-type=\"string\"><text:p>{v}</text:p></table:table-cell>"
                    ),
                    C::F(v) => format!(
                        "<table:table-cell office:value-type=\"float\" office:value=\"{v}\"><text:p>{v}</text:p></table:table-cell>"
                    ),
                    C::D(v) => format!(
                        "<table:table-cell office:value-type=\"date\" office:date-value=\"{v}\"><text:p>{v}</text:p></table:table-cell>"
                    ),
                    C::Empty(n) => format!("<table:table-cell table:number-columns-repeated=\"{n}\"/>"),
                });
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    z.start_file("META-INF/manifest.xml", SimpleFileOptions::default()).unwrap();
    z.write_all(manifest.as_bytes()).unwrap();
    z.start_file("content.xml", SimpleFileOptions::default()).unwrap();
    z.write_all(content.as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}

#[allow(unused_imports)]
pub use xls::{XCell, make_biff, make_xls, wrap_cfb};
