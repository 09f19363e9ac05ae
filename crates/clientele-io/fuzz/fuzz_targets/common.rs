//! Shared by the fuzz targets.

use std::io::Cursor;

use clientele_io::{Format, ReadOptions, Table};

/// Reads everything the table gives (bounded), checking the invariants of rows.
pub fn drain(format: Format, bytes: Vec<u8>, opts: &ReadOptions) {
    let Ok(table) = Table::open(format, Box::new(Cursor::new(bytes)), opts) else { return };
    let width = table.headers().len();
    for row in table.take(200_000) {
        match row {
            Ok(row) => assert_eq!(row.cells.len(), width, "a row must have as many cells as headers"),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[allow(dead_code)]
/// Options chosen by a byte, so the fuzzer explores overrides and small limits too.
pub fn options(b: u8) -> ReadOptions {
    let mut o = ReadOptions::default();
    o.limits.max_uncompressed_bytes = 32 << 20;
    if b & 1 != 0 {
        o.has_headers = false;
    }
    if b & 2 != 0 {
        o.limits.max_columns = 4;
        o.limits.max_cell_chars = 16;
    }
    o.delimiter = match (b >> 2) & 3 {
        1 => Some(b';'),
        2 => Some(b'\t'),
        _ => None,
    };
    o.encoding = match (b >> 4) & 7 {
        1 => Some("windows-1251".into()),
        2 => Some("utf-16le".into()),
        3 => Some("euc-kr".into()),
        _ => None,
    };
    o
}

/// The API catches panics of the spreadsheet library (it reports "the workbook is damaged"), but
/// libFuzzer's panic hook aborts on any panic, caught or not. Unless `FUZZ_STRICT` is set (to
/// hunt for library bugs), keep the hook quiet so that only panics escaping `clientele_io` — which
/// `fuzz_target!` still turns into crashes — count.
pub fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("FUZZ_STRICT").is_none() {
            std::panic::set_hook(Box::new(|_| {}));
        }
    });
}

#[allow(dead_code)]
pub fn is_spreadsheet(f: Option<Format>) -> bool {
    f.is_some_and(|f| f.is_spreadsheet())
}
