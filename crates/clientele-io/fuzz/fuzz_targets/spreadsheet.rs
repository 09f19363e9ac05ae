#![no_main]
//! Spreadsheets: the zip guard, XLSX, ODS and XLS through calamine, cell conversion.
//!
//! The first byte chooses the mode: raw file bytes (`0`), or content placed into a valid
//! container so the fuzzer reaches the parsers past checksums: ODS `content.xml` (`1`), XLSX sheet
//! XML (`2`), XLSX shared strings (`3`), an XLS `Workbook` stream of BIFF records (`4`).

use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

use clientele_io::{Format, ReadOptions, detect_format};
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

#[path = "common.rs"]
mod common;

#[path = "../../tests/common/xls.rs"]
mod xls;

/// The entries of a small XLSX written by rust_xlsxwriter, as a template.
fn xlsx_template() -> &'static Vec<(String, Vec<u8>)> {
    static T: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    T.get_or_init(|| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let _ = ws.write_string(0, 0, "Имя");
        let _ = ws.write_string(0, 1, "Phone");
        let _ = ws.write_string(1, 0, "x");
        let _ = ws.write_number(1, 1, 79161234567.0);
        let bytes = wb.save_to_buffer().unwrap_or_default();
        let mut out = Vec::new();
        if let Ok(mut a) = zip::ZipArchive::new(Cursor::new(bytes)) {
            for i in 0..a.len() {
                if let Ok(mut f) = a.by_index(i) {
                    let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
                    let mut data = Vec::new();
                    let _ = f.read_to_end(&mut data);
                    out.push((name, data));
                }
            }
        }
        out
    })
}

fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        if z.start_file(name.as_str(), opts).is_err() || z.write_all(data).is_err() {
            return Vec::new();
        }
    }
    z.finish().map(|c| c.into_inner()).unwrap_or_default()
}

const MANIFEST: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#;

fuzz_target!(|data: &[u8]| {
    common::quiet_caught_panics();
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut opts = ReadOptions::default();
    opts.limits.max_uncompressed_bytes = 32 << 20;
    match mode % 5 {
        0 => {
            let format = match detect_format(None, rest) {
                Some(f) if f.is_spreadsheet() => f,
                _ => Format::Xlsx,
            };
            common::drain(format, rest.to_vec(), &opts);
        }
        1 => {
            let entries = vec![
                ("mimetype".to_string(), b"application/vnd.oasis.opendocument.spreadsheet".to_vec()),
                ("META-INF/manifest.xml".to_string(), MANIFEST.to_vec()),
                ("content.xml".to_string(), rest.to_vec()),
            ];
            common::drain(Format::Ods, zip_of(&entries), &opts);
        }
        4 => common::drain(Format::Xls, xls::wrap_cfb(rest), &opts),
        m => {
            let target = if m == 2 { "xl/worksheets/sheet1.xml" } else { "xl/sharedStrings.xml" };
            let mut entries = xlsx_template().clone();
            match entries.iter_mut().find(|(n, _)| n == target) {
                Some(e) => e.1 = rest.to_vec(),
                None => entries.push((target.to_string(), rest.to_vec())),
            }
            common::drain(Format::Xlsx, zip_of(&entries), &opts);
        }
    }
});
