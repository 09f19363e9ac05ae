//! File formats of import and export.
//!
//! This crate turns uploaded bytes (CSV in any common encoding, XLSX, XLS, ODS, vCard) into a
//! [`Table`] of strings, and writes rows of strings as CSV, XLSX or vCard. It knows nothing about
//! contacts, companies or the database: it only reads and writes tables.
//!
//! Reading:
//! ```
//! use clientele_io::{Format, ReadOptions, Table, detect_format};
//! let bytes = "Name;Phone\nIvan;+7 916 555-12-34\n".as_bytes().to_vec();
//! let format = detect_format(Some("contacts.csv"), &bytes).unwrap_or(Format::Csv);
//! let mut table = Table::open(format, Box::new(std::io::Cursor::new(bytes)), &ReadOptions::default()).unwrap();
//! assert_eq!(table.headers(), ["Name", "Phone"]);
//! assert_eq!(table.detected().delimiter, Some(';'));
//! let row = table.next_row().unwrap().unwrap();
//! assert_eq!((row.number, row.cells), (2, vec!["Ivan".to_string(), "+7 916 555-12-34".to_string()]));
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod cfb;
mod csv_read;
mod decode;
mod detect;
mod error;
mod sheet;
mod table;
mod vcard;
mod write;

pub use detect::detect_format;
pub use error::ReadError;
pub use table::Table;
pub use vcard::{VCARD_HEADERS, VcardContact, write_vcard};
pub use write::{CsvOut, XlsxOut, neutralise};

use serde::Serialize;

/// A file format of import or export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma/semicolon/tab separated text in any common encoding.
    Csv,
    /// Office Open XML workbook (Excel 2007+).
    Xlsx,
    /// Legacy Excel 97-2003 workbook (BIFF in a compound file).
    Xls,
    /// OpenDocument spreadsheet (LibreOffice).
    Ods,
    /// vCard 2.1 / 3.0 / 4.0 (`.vcf`).
    Vcard,
}

impl Format {
    /// All formats, in the order the UI offers them.
    pub const ALL: [Format; 5] = [Format::Csv, Format::Xlsx, Format::Xls, Format::Ods, Format::Vcard];

    /// The short name, which is also the usual file extension: `csv`, `xlsx`, `xls`, `ods`, `vcf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Vcard => "vcf",
        }
    }

    /// Parses a format name or file extension, case-insensitively, with or without a leading dot:
    /// `csv` (also `tsv`, `txt`), `xlsx` (also `xlsm`), `xls`, `ods`, `vcf` / `vcard`.
    pub fn parse(s: &str) -> Option<Format> {
        let s = s.trim();
        let s = s.strip_prefix('.').unwrap_or(s).to_ascii_lowercase();
        match s.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "xls" => Some(Format::Xls),
            "ods" => Some(Format::Ods),
            "vcf" | "vcard" => Some(Format::Vcard),
            _ => None,
        }
    }

    /// True for the formats read by the spreadsheet reader (XLSX, XLS, ODS).
    pub fn is_spreadsheet(self) -> bool {
        matches!(self, Format::Xlsx | Format::Xls | Format::Ods)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Safety limits applied while reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest total uncompressed size of an XLSX/ODS archive (and largest XLS/spreadsheet input).
    /// Default 1 GiB.
    pub max_uncompressed_bytes: u64,
    /// Largest ratio uncompressed/compressed of one archive entry bigger than 1 MiB. Default 100.
    pub max_compression_ratio: u64,
    /// Most columns a table may have. Default 500.
    pub max_columns: usize,
    /// Most characters in one cell. Default 100,000.
    pub max_cell_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_uncompressed_bytes: 1 << 30,
            max_compression_ratio: 100,
            max_columns: 500,
            max_cell_chars: 100_000,
        }
    }
}

/// How to read a file; every field has a sensible default (detection).
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Encoding override for CSV (and vCard): any label `encoding_rs` knows, e.g. `utf-8`,
    /// `utf-16le`, `windows-1251`, `koi8-r`, `euc-kr`. `None`: detect.
    pub encoding: Option<String>,
    /// Delimiter override for CSV. `None`: sniff among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
    /// Sheet of a spreadsheet to read; `None`: the first sheet.
    pub sheet: Option<String>,
    /// Whether the first non-blank row holds the column names (default true). When false, the
    /// headers are `Column A`, `Column B`, ... and the first row is data.
    pub has_headers: bool,
    /// Safety limits.
    pub limits: Limits,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { encoding: None, delimiter: None, sheet: None, has_headers: true, limits: Limits::default() }
    }
}

/// What was detected, shown to the user in the import wizard ("Windows-1251, `;`").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detected {
    /// The format actually read (a spreadsheet named `.xlsx` that is really an ODS reads as ODS).
    pub format: Format,
    /// Text encoding (CSV, vCard): a lowercase `encoding_rs` label such as `utf-8`, `windows-1251`.
    pub encoding: Option<String>,
    /// CSV delimiter.
    pub delimiter: Option<char>,
    /// Spreadsheet sheet read.
    pub sheet: Option<String>,
    /// All sheet names of a spreadsheet, in workbook order (empty for CSV and vCard).
    pub sheets: Vec<String>,
}

/// One data row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The row number as a spreadsheet user sees it: 1-based, the header row is 1, so the first
    /// data row is usually 2 (blank rows count, as they do in a spreadsheet program). For vCard:
    /// the 1-based index of the card.
    pub number: u64,
    /// Exactly as many cells as [`Table::headers`], trimmed.
    pub cells: Vec<String>,
}

/// The encodings offered as overrides in the UI (each a label `ReadOptions::encoding` accepts).
pub fn encodings() -> &'static [&'static str] {
    &[
        "utf-8",
        "utf-16le",
        "utf-16be",
        "windows-1251",
        "koi8-r",
        "koi8-u",
        "ibm866",
        "iso-8859-5",
        "windows-1252",
        "iso-8859-15",
        "windows-1250",
        "iso-8859-2",
        "windows-1253",
        "windows-1254",
        "windows-1257",
        "euc-kr",
        "shift_jis",
        "euc-jp",
        "gbk",
        "gb18030",
        "big5",
    ]
}

/// Spreadsheet column letters of a 0-based column index: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Undo of formula neutralisation: a single leading `'` before `=`, `+`, `-` or `@` is dropped, so
/// files written by [`CsvOut`] / [`XlsxOut`] read back to the original strings.
pub(crate) fn clean_cell(s: &str) -> &str {
    let t = s.trim();
    match t.as_bytes() {
        [b'\'', b'=' | b'+' | b'-' | b'@', ..] => &t[1..],
        _ => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_errors_cross_threads() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        send::<Table>();
        send::<ReadError>();
        sync::<ReadError>();
        send::<XlsxOut>();
        send::<CsvOut<Vec<u8>>>();
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16383), "XFD");
    }

    #[test]
    fn format_names() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
        assert_eq!(Format::parse(".VCARD"), Some(Format::Vcard));
        assert_eq!(Format::parse("pdf"), None);
        assert_eq!(serde_json_like(Format::Vcard), "vcf");
    }

    fn serde_json_like(f: Format) -> String {
        f.to_string()
    }

    #[test]
    fn every_offered_encoding_is_known() {
        for label in encodings() {
            let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
            assert_eq!(enc.name().to_ascii_lowercase(), *label, "label {label} is not canonical");
        }
    }

    #[test]
    fn apostrophe_is_stripped_only_before_formula_characters() {
        assert_eq!(clean_cell(" '=1+1 "), "=1+1");
        assert_eq!(clean_cell("'+7 495"), "+7 495");
        assert_eq!(clean_cell("'-5"), "-5");
        assert_eq!(clean_cell("'@x"), "@x");
        assert_eq!(clean_cell("'abc"), "'abc");
        assert_eq!(clean_cell("''=x"), "''=x");
        assert_eq!(clean_cell("'"), "'");
    }
}
