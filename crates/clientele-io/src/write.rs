//! Writers: CSV and XLSX (streaming, formula-neutralised cells).

use std::borrow::Cow;
use std::io::{self, Seek, Write};

use rust_xlsxwriter::{Format as XlsxFormat, Workbook};

/// Neutralises a cell against formula injection (OWASP "CSV injection"): a cell starting with
/// `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`. Readers of this crate remove
/// that `'` again (before `=`, `+`, `-`, `@`), so exported files round-trip.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A streaming CSV writer: every cell is neutralised and quoted when needed (RFC 4180, CRLF).
/// Memory stays bounded (one small buffer) whatever the number of rows.
pub struct CsvOut<W: Write> {
    inner: csv::Writer<Bom<W>>,
}

/// Writes the pending byte order mark before the first bytes.
struct Bom<W: Write> {
    w: W,
    pending: bool,
}

impl<W: Write> Bom<W> {
    fn bom(&mut self) -> io::Result<()> {
        if self.pending {
            self.pending = false;
            self.w.write_all(b"\xEF\xBB\xBF")?;
        }
        Ok(())
    }
}

impl<W: Write> Write for Bom<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bom()?;
        self.w.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

impl<W: Write> CsvOut<W> {
    /// `delimiter`: usually `b','` or `b';'` (Excel in FR/RU/BG locales). `bom`: start with a UTF-8
    /// byte order mark, which Excel needs to read UTF-8 text as such.
    /// The BOM is written with the first row (or at `finish`).
    pub fn new(w: W, delimiter: u8, bom: bool) -> Self {
        let inner = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .flexible(true)
            .from_writer(Bom { w, pending: bom });
        CsvOut { inner }
    }

    /// Writes one row.
    pub fn write_row<I, S>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut record = csv::StringRecord::new();
        for c in cells {
            record.push_field(&neutralise(c.as_ref()));
        }
        if record.len() == 1 && record.get(0) == Some("") {
            // a lone empty field must still make a (quoted) line, else it reads back as a blank row
            return self.inner.write_record([""]).map_err(io::Error::other);
        }
        self.inner.write_record(&record).map_err(io::Error::other)
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> io::Result<W> {
        let mut inner = self.inner.into_inner().map_err(|e| io::Error::other(e.to_string()))?;
        inner.bom()?;
        inner.w.flush()?;
        Ok(inner.w)
    }
}

/// The most rows an XLSX sheet holds.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// The most columns an XLSX sheet holds.
const XLSX_MAX_COLS: usize = 16_384;

/// An XLSX writer of one sheet in constant-memory mode: each finished row goes to a temporary
/// file (in `std::env::temp_dir()`), so a million rows do not stay in memory. Every cell is a
/// string cell, neutralised like CSV cells.
pub struct XlsxOut {
    workbook: Workbook,
    bold: XlsxFormat,
    next_row: u32,
}

fn xerr(e: rust_xlsxwriter::XlsxError) -> io::Error {
    io::Error::other(e.to_string())
}

/// Excel refuses sheet names longer than 31 characters or holding `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') { '_' } else { c }).collect();
    let cleaned = cleaned.trim().trim_matches('\'');
    let cut: String = cleaned.chars().take(31).collect();
    if cut.trim().is_empty() { "Sheet1".to_string() } else { cut }
}

impl XlsxOut {
    /// A workbook with one sheet of that name (made valid for Excel: at most 31 characters, no
    /// `[]:*?/\`).
    pub fn new(sheet: &str) -> io::Result<Self> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(std::env::temp_dir()).map_err(xerr)?;
        let ws = workbook.add_worksheet_with_constant_memory().map_err(xerr)?;
        ws.set_name(sheet_name(sheet)).map_err(xerr)?;
        Ok(XlsxOut { workbook, bold: XlsxFormat::new().set_bold(), next_row: 0 })
    }

    fn write(&mut self, cells: &mut dyn Iterator<Item = String>, bold: bool) -> io::Result<()> {
        if self.next_row >= XLSX_MAX_ROWS {
            return Err(io::Error::other(format!("an XLSX sheet holds at most {XLSX_MAX_ROWS} rows")));
        }
        let row = self.next_row;
        let ws = self.workbook.worksheet_from_index(0).map_err(xerr)?;
        for (col, cell) in cells.enumerate() {
            if col >= XLSX_MAX_COLS {
                return Err(io::Error::other(format!("an XLSX sheet holds at most {XLSX_MAX_COLS} columns")));
            }
            if cell.is_empty() {
                continue;
            }
            let value = neutralise(&cell);
            if bold {
                ws.write_string_with_format(row, col as u16, value.as_ref(), &self.bold).map_err(xerr)?;
            } else {
                ws.write_string(row, col as u16, value.as_ref()).map_err(xerr)?;
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// Writes the header row, in bold.
    pub fn write_header<S: AsRef<str>>(&mut self, cells: &[S]) -> io::Result<()> {
        let mut it = cells.iter().map(|c| c.as_ref().to_string());
        self.write(&mut it, true)
    }

    /// Writes one data row.
    pub fn write_row<I, S>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut it = cells.into_iter().map(|c| c.as_ref().to_string());
        self.write(&mut it, false)
    }

    /// Rows written so far (header included).
    pub fn rows(&self) -> u32 {
        self.next_row
    }

    /// The finished file.
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        self.workbook.save_to_buffer().map_err(xerr)
    }

    /// Writes the finished file to a seekable writer (e.g. a temporary file) instead of memory.
    pub fn finish_to<W: Write + Seek + Send>(mut self, w: W) -> io::Result<()> {
        self.workbook.save_to_writer(w).map_err(xerr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formula_starts() {
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("+7 495"), "'+7 495");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("@x"), "'@x");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\rx"), "'\rx");
        assert!(matches!(neutralise("Иван"), Cow::Borrowed("Иван")));
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn sheet_names_are_made_valid() {
        assert_eq!(sheet_name("Contacts"), "Contacts");
        assert_eq!(sheet_name("a/b:c"), "a_b_c");
        assert_eq!(sheet_name(&"x".repeat(40)), "x".repeat(31));
        assert_eq!(sheet_name("  "), "Sheet1");
    }
}
