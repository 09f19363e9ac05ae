//! `Table`: the rows of an uploaded file, whatever its format.

use std::io::{BufReader, Cursor, Read};

use encoding_rs::{UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::csv_read::{CsvParser, CsvRows, sniff_delimiter};
use crate::decode::{SAMPLE, Utf8Stream, choose_encoding, decode_sample, label, read_head};
use crate::sheet::{self, SheetRows};
use crate::vcard::{VCARD_HEADERS, VcardRows};
use crate::{Detected, Format, ReadError, ReadOptions, Row};

enum Source {
    Csv(CsvRows),
    Sheet(SheetRows),
    Vcard(VcardRows),
}

/// A table being read: headers, what was detected, then rows one by one.
///
/// CSV streams from the input (memory stays bounded whatever the file size); spreadsheets are
/// read whole by calamine (bounded by the upload limit and the zip bomb guard); vCard streams
/// card by card.
///
/// Rows come with the number a spreadsheet user sees. A row error ([`ReadError::is_row_error`])
/// concerns that row only and the next call goes on; after any other error the table ends.
pub struct Table {
    headers: Vec<String>,
    detected: Detected,
    source: Source,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("headers", &self.headers).field("detected", &self.detected).finish()
    }
}

impl Table {
    /// Opens a table: reads what is needed to detect the encoding and delimiter (CSV, vCard) or the
    /// whole workbook (spreadsheets, after the zip bomb guard), and the header row.
    pub fn open(format: Format, mut input: Box<dyn Read + Send>, opts: &ReadOptions) -> Result<Table, ReadError> {
        match format {
            Format::Csv => {
                let (head, eof) = read_head(&mut input, SAMPLE)?;
                let (enc, skip) = choose_encoding(&head, eof, opts.encoding.as_deref())?;
                let delim = match opts.delimiter {
                    Some(d) => d,
                    None => sniff_delimiter(&decode_sample(&head[skip..], enc, eof), !eof),
                };
                let stream = Utf8Stream::new(head, skip, input, enc);
                let parser = CsvParser::new(Box::new(stream), delim, &opts.limits);
                let (rows, headers) = CsvRows::open(parser, opts.has_headers)?;
                let detected = Detected {
                    format,
                    encoding: Some(label(enc)),
                    delimiter: Some(char::from(delim)),
                    sheet: None,
                    sheets: Vec::new(),
                };
                Ok(Table { headers, detected, source: Source::Csv(rows) })
            }
            Format::Xlsx | Format::Xls | Format::Ods => {
                let (rows, headers, detected) = sheet::open(format, input, opts)?;
                Ok(Table { headers, detected, source: Source::Sheet(rows) })
            }
            Format::Vcard => {
                let (head, eof) = read_head(&mut input, SAMPLE)?;
                let (enc, skip) = choose_encoding(&head, eof, opts.encoding.as_deref())?;
                let max = opts.limits.max_cell_chars;
                let mut rows = if enc == UTF_16LE || enc == UTF_16BE {
                    VcardRows::new(Box::new(Utf8Stream::new(head, skip, input, enc)), UTF_8, max)
                } else {
                    let fallback = if enc == UTF_8 { WINDOWS_1252 } else { enc };
                    let rest = Cursor::new(head).chain(input);
                    let mut reader = BufReader::with_capacity(64 * 1024, rest);
                    // skip the BOM
                    let mut bom = vec![0; skip];
                    reader.read_exact(&mut bom)?;
                    VcardRows::new(Box::new(reader), fallback, max)
                };
                rows.check_start()?;
                let detected =
                    Detected { format, encoding: Some(label(enc)), delimiter: None, sheet: None, sheets: Vec::new() };
                let headers = VCARD_HEADERS.iter().map(|h| h.to_string()).collect();
                Ok(Table { headers, detected, source: Source::Vcard(rows) })
            }
        }
    }

    /// Column names, trimmed (for vCard: [`VCARD_HEADERS`]; without a header row: `Column A`,
    /// `Column B`, ...; an empty header cell is named after its column letter the same way).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// What was detected (format, encoding, delimiter, sheets).
    pub fn detected(&self) -> &Detected {
        &self.detected
    }

    /// The next non-blank row, padded to the width of the headers.
    pub fn next_row(&mut self) -> Option<Result<Row, ReadError>> {
        match &mut self.source {
            Source::Csv(r) => r.next_row(),
            Source::Sheet(r) => r.next_row(),
            Source::Vcard(r) => r.next_row(),
        }
    }
}

impl Iterator for Table {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}
