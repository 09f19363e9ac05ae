//! Spreadsheets (XLSX, XLS, ODS) through calamine, behind a zip bomb guard.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, DataRef, ExcelDateTime, Ods, Reader, Xls, Xlsx};

use crate::detect::{Magic, sniff_magic};
use crate::error::human_bytes;
use crate::{Detected, Format, Limits, ReadError, ReadOptions, Row, clean_cell, column_letter};

/// Entries bigger than this are subject to the compression ratio test.
const RATIO_MIN_ENTRY: u64 = 1 << 20;
/// Most entries an archive may hold.
const MAX_ENTRIES: usize = 10_000;

/// A cell as read: its text, or what is wrong with it.
type CellVal = Result<String, String>;

/// The rows of one sheet, sparse (only non-empty cells), keyed by 0-based row.
type Sparse = BTreeMap<u32, Vec<(u32, CellVal)>>;

/// Reads a whole spreadsheet; returns the rows, the headers and what was detected.
pub(crate) fn open(
    format: Format,
    input: Box<dyn Read + Send>,
    opts: &ReadOptions,
) -> Result<(SheetRows, Vec<String>, Detected), ReadError> {
    let limits = &opts.limits;
    let mut bytes = Vec::new();
    let cap = limits.max_uncompressed_bytes;
    let n = input.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if n as u64 > cap {
        return Err(ReadError::TooLarge(format!("the file is larger than {}", human_bytes(cap))));
    }
    let format = match sniff_magic(&bytes) {
        Some(Magic::Format(f)) if f.is_spreadsheet() => f,
        Some(Magic::Zip) if matches!(format, Format::Xlsx | Format::Ods) => format,
        Some(Magic::Zip) => {
            return Err(ReadError::NotSpreadsheet("the zip archive holds no XLSX or ODS workbook".into()));
        }
        _ => return Err(ReadError::NotSpreadsheet(describe_non_spreadsheet(&bytes))),
    };
    if matches!(format, Format::Xlsx | Format::Ods) {
        zip_guard(&bytes, limits)?;
    }
    if format == Format::Ods {
        ods_content_check(&bytes)?;
    }
    if format == Format::Xls {
        // calamine follows compound-file chains without loop checks and reserves memory for the
        // cells a sheet declares: a small crafted file could make it allocate without end
        let stream = crate::cfb::workbook_stream(&bytes).ok_or_else(|| {
            ReadError::NotSpreadsheet(
                "the XLS file is damaged (its compound file structure is broken or has no workbook)".into(),
            )
        })?;
        crate::cfb::check_dimensions(&stream)
            .map_err(|m| ReadError::NotSpreadsheet(format!("the XLS file is damaged ({m})")))?;
    }
    let wanted = opts.sheet.clone();
    let read = catch_unwind(AssertUnwindSafe(move || read_workbook(format, bytes, wanted.as_deref())));
    let (sheets, sheet, sparse) = match read {
        Ok(r) => r?,
        Err(_) => return Err(ReadError::NotSpreadsheet("the workbook is damaged (the reader gave up on it)".into())),
    };
    let detected = Detected { format, encoding: None, delimiter: None, sheet: Some(sheet), sheets };
    let (rows, headers) = SheetRows::new(sparse, opts.has_headers, limits)?;
    Ok((rows, headers, detected))
}

/// What the bytes are when they are not a spreadsheet, for the error message.
fn describe_non_spreadsheet(bytes: &[u8]) -> String {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes).trim_ascii_start();
    if bytes.is_empty() {
        "the file is empty".into()
    } else if start.first() == Some(&b'<') {
        "the file is an HTML or XML page (some systems export HTML tables named .xls); open it in a \
         spreadsheet program and save it as XLSX or CSV"
            .into()
    } else if bytes.starts_with(b"%PDF") {
        "the file is a PDF document".into()
    } else if !bytes.contains(&0) {
        "the file is plain text; import it as CSV".into()
    } else {
        "the file is neither XLSX, XLS nor ODS".into()
    }
}

/// Refuses archives that would expand too much: more than `max_uncompressed_bytes` in total
/// (declared sizes, then actual decompressed bytes), an entry over 1 MiB with a compression ratio
/// over `max_compression_ratio`, or more than 10,000 entries.
pub(crate) fn zip_guard(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let max = limits.max_uncompressed_bytes;
    let too_big =
        || ReadError::TooLarge(format!("the archive expands to more than {} (zip bomb guard)", human_bytes(max)));
    let ratio_err = |name: &str, size: u64, comp: u64| {
        ReadError::TooLarge(format!(
            "the archive entry {name:?} expands {} times ({} from {}; at most {} allowed, zip bomb guard)",
            size / comp.max(1),
            human_bytes(size),
            human_bytes(comp),
            limits.max_compression_ratio
        ))
    };
    let damaged =
        |e: zip::result::ZipError| ReadError::NotSpreadsheet(format!("the file is a damaged zip archive ({e})"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    if zip.len() > MAX_ENTRIES {
        return Err(ReadError::TooLarge(format!(
            "the archive holds {} entries, more than {MAX_ENTRIES} (zip bomb guard)",
            zip.len()
        )));
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(damaged)?;
        let (size, comp) = (f.size(), f.compressed_size());
        declared = declared.saturating_add(size);
        if declared > max {
            return Err(too_big());
        }
        if size > RATIO_MIN_ENTRY && size / comp.max(1) >= limits.max_compression_ratio.saturating_add(1) {
            return Err(ratio_err(&f.name().unwrap_or_default(), size, comp));
        }
    }
    // Declared sizes can lie: decompress for real, counting, and stop at the limit.
    let mut actual: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(zip::result::ZipError::UnsupportedArchive(m)) if m.contains("assword") => {
                return Err(ReadError::NotSpreadsheet(
                    "the workbook is password-protected; remove the password and upload it again".into(),
                ));
            }
            Err(e) => return Err(damaged(e)),
        };
        let comp = f.compressed_size();
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        let mut entry: u64 = 0;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ReadError::NotSpreadsheet(format!("the archive entry {name:?} is damaged ({e})")));
                }
            };
            entry += n;
            actual += n;
            if actual > max {
                return Err(too_big());
            }
            if entry > RATIO_MIN_ENTRY && entry / comp.max(1) >= limits.max_compression_ratio.saturating_add(1) {
                return Err(ratio_err(&name, entry, comp));
            }
        }
    }
    Ok(())
}

/// Most cells the tables of an ODS may expand to: calamine materialises every table, repeated
/// rows and columns included (about 56 bytes a cell), so a few bytes of
/// `table:number-rows-repeated="1000000"` would cost gigabytes. 8 Mi cells ≈ 450 MiB.
pub(crate) const ODS_MAX_CELLS: u64 = 8 << 20;

/// Checks an ODS `content.xml` before calamine reads it:
/// - it must be well-formed XML (every element closed, with matching names): calamine loops
///   forever on one that ends inside a table (it waits for `</table:table>` past the end);
/// - its tables must not expand to more than [`ODS_MAX_CELLS`] cells once repeated rows and
///   columns are counted, as calamine counts them (trailing empty ones are free).
fn ods_content_check(bytes: &[u8]) -> Result<(), ReadError> {
    use quick_xml::events::{BytesStart, Event};
    let bad = |why: String| ReadError::NotSpreadsheet(format!("the ODS content is damaged ({why})"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let entry = zip.by_name("content.xml").map_err(|_| bad("content.xml is missing".into()))?;
    let mut reader = quick_xml::Reader::from_reader(io::BufReader::new(entry));
    reader.config_mut().check_end_names = true;
    let repeat = |e: &BytesStart<'_>, key: &str| -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| a.value.trim().parse::<u64>().ok())
            .unwrap_or(1)
            .clamp(1, 1 << 24)
    };
    let has_value = |e: &BytesStart<'_>| {
        e.attributes().flatten().any(|a| matches!(a.key.as_ref(), "office:value-type" | "table:formula"))
    };
    // per table: rows up to the last non-empty one, and the widest row
    let (mut rows, mut pending_rows, mut width) = (0u64, 0u64, 0u64);
    // per row
    let (mut row_repeat, mut row_width, mut pending_cols, mut row_used) = (1u64, 0u64, 0u64, false);
    let mut total: u64 = 0;
    let mut buf = Vec::new();
    let mut depth: u64 = 0;
    loop {
        let event = reader.read_event_into(&mut buf);
        let (start, empty) = match &event {
            Ok(Event::Start(e)) => (Some(e), false),
            Ok(Event::Empty(e)) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.name().as_ref() {
                "table:table" => (rows, pending_rows, width) = (0, 0, 0),
                "table:table-row" => {
                    (row_repeat, row_width, pending_cols, row_used) =
                        (repeat(e, "table:number-rows-repeated"), 0, 0, false);
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let n = repeat(e, "table:number-columns-repeated");
                    if !empty || has_value(e) {
                        row_width = row_width.saturating_add(pending_cols).saturating_add(n);
                        pending_cols = 0;
                        row_used = true;
                    } else {
                        pending_cols = pending_cols.saturating_add(n);
                    }
                }
                _ => {}
            }
        }
        let row_end = matches!(&event, Ok(Event::End(e)) if e.name().as_ref() == "table:table-row")
            || (empty && start.is_some_and(|e| e.name().as_ref() == "table:table-row"));
        if row_end {
            if row_used {
                rows = rows.saturating_add(pending_rows).saturating_add(row_repeat);
                pending_rows = 0;
                width = width.max(row_width);
            } else {
                pending_rows = pending_rows.saturating_add(row_repeat);
            }
        }
        let table_end = matches!(&event, Ok(Event::End(e)) if e.name().as_ref() == "table:table");
        if table_end {
            total = total.saturating_add(rows.saturating_mul(width));
            if total > ODS_MAX_CELLS {
                return Err(ReadError::TooLarge(format!(
                    "the spreadsheet expands to more than {ODS_MAX_CELLS} cells (repeated rows and columns counted)"
                )));
            }
        }
        match event {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => {
                depth = depth.checked_sub(1).ok_or_else(|| bad("an element closes that was never opened".into()))?;
            }
            Ok(Event::Eof) if depth == 0 => return Ok(()),
            Ok(Event::Eof) => return Err(bad("the XML ends inside an element".into())),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("XML error at byte {}: {e}", reader.error_position()))),
        }
        buf.clear();
    }
}

fn pick_sheet(sheets: &[String], wanted: Option<&str>) -> Result<String, ReadError> {
    match wanted {
        None => sheets.first().cloned().ok_or_else(|| ReadError::NotSpreadsheet("the workbook has no sheet".into())),
        Some(w) => sheets
            .iter()
            .find(|s| *s == w)
            .or_else(|| sheets.iter().find(|s| s.trim().to_lowercase() == w.trim().to_lowercase()))
            .cloned()
            .ok_or_else(|| ReadError::SheetNotFound { name: w.to_string(), sheets: sheets.to_vec() }),
    }
}

fn not_sheet(e: impl std::fmt::Display) -> ReadError {
    ReadError::NotSpreadsheet(e.to_string())
}

/// Opens the workbook and collects the non-empty cells of the chosen sheet.
fn read_workbook(
    format: Format,
    bytes: Vec<u8>,
    wanted: Option<&str>,
) -> Result<(Vec<String>, String, Sparse), ReadError> {
    let mut sparse = Sparse::new();
    match format {
        Format::Xlsx => {
            let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(not_sheet)?;
            let sheets = wb.sheet_names();
            let name = pick_sheet(&sheets, wanted)?;
            match wb.worksheet_cells_reader(&name) {
                Ok(mut cells) => {
                    while let Some(cell) = cells.next_cell().map_err(not_sheet)? {
                        let (r, c) = cell.get_position();
                        if let Some(v) = dataref_cell(cell.get_value()) {
                            sparse.entry(r).or_default().push((c, v));
                        }
                    }
                }
                Err(calamine::XlsxError::NotAWorksheet(_)) => {}
                Err(e) => return Err(not_sheet(e)),
            }
            Ok((sheets, name, sparse))
        }
        Format::Xls | Format::Ods => {
            let (sheets, name, range) = if format == Format::Xls {
                let mut wb: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(not_sheet)?;
                let sheets = wb.sheet_names();
                let name = pick_sheet(&sheets, wanted)?;
                let range = wb.worksheet_range(&name).map_err(not_sheet)?;
                (sheets, name, range)
            } else {
                let mut wb: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(not_sheet)?;
                let sheets = wb.sheet_names();
                let name = pick_sheet(&sheets, wanted)?;
                let range = wb.worksheet_range(&name).map_err(not_sheet)?;
                (sheets, name, range)
            };
            if let Some((r0, c0)) = range.start() {
                for (r, c, v) in range.used_cells() {
                    if let Some(v) = data_cell(v) {
                        sparse.entry(r0 + r as u32).or_default().push((c0 + c as u32, v));
                    }
                }
            }
            Ok((sheets, name, sparse))
        }
        Format::Csv | Format::Vcard => Err(ReadError::NotSpreadsheet(format!("{format} is not a spreadsheet format"))),
    }
}

/// A float as a user typed it: integral values without `.0` nor exponent, others shortest.
pub(crate) fn fmt_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() {
        if f == 0.0 { "0".to_string() } else { format!("{f:.0}") }
    } else {
        format!("{f}")
    }
}

/// ISO 8601: `2024-03-01`, `2024-03-01T10:30:00`, `10:30:00` (a time alone) or, for a duration,
/// `36:15:00`.
pub(crate) fn fmt_datetime(dt: &ExcelDateTime) -> String {
    let v = dt.as_f64();
    if dt.is_duration() {
        let secs = (v * 86_400.0).round();
        let (sign, secs) = if secs < 0.0 { ("-", -secs) } else { ("", secs) };
        let secs = secs as u64;
        return format!("{sign}{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    }
    let (y, m, d, hh, mm, ss, ms) = dt.to_ymd_hms_milli();
    let time = if ms > 0 { format!("{hh:02}:{mm:02}:{ss:02}.{ms:03}") } else { format!("{hh:02}:{mm:02}:{ss:02}") };
    if (0.0..1.0).contains(&v) && v > 0.0 {
        time
    } else if (hh, mm, ss, ms) == (0, 0, 0, 0) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{time}")
    }
}

fn finish(s: &str) -> Option<CellVal> {
    let c = clean_cell(s);
    if c.is_empty() { None } else { Some(Ok(c.to_string())) }
}

fn data_cell(d: &Data) -> Option<CellVal> {
    match d {
        Data::Empty => None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => finish(s),
        Data::Int(i) => Some(Ok(i.to_string())),
        Data::Float(f) => Some(Ok(fmt_float(*f))),
        Data::Bool(b) => Some(Ok(b.to_string())),
        Data::DateTime(dt) => Some(Ok(fmt_datetime(dt))),
        Data::Error(e) => Some(Err(format!("the cell holds a formula error {e}"))),
    }
}

fn dataref_cell(d: &DataRef<'_>) -> Option<CellVal> {
    match d {
        DataRef::Empty => None,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => finish(s),
        DataRef::SharedString(s) => finish(s),
        DataRef::Int(i) => Some(Ok(i.to_string())),
        DataRef::Float(f) => Some(Ok(fmt_float(*f))),
        DataRef::Bool(b) => Some(Ok(b.to_string())),
        DataRef::DateTime(dt) => Some(Ok(fmt_datetime(dt))),
        DataRef::Error(e) => Some(Err(format!("the cell holds a formula error {e}"))),
    }
}

/// The data rows of a sheet, against its header.
pub(crate) struct SheetRows {
    rows: std::collections::btree_map::IntoIter<u32, Vec<(u32, CellVal)>>,
    origin: u32,
    width: usize,
    max_cell_chars: usize,
}

impl SheetRows {
    fn new(mut sparse: Sparse, has_headers: bool, limits: &Limits) -> Result<(SheetRows, Vec<String>), ReadError> {
        let origin = sparse.values().flat_map(|r| r.iter().map(|(c, _)| *c)).min().unwrap_or(0);
        let max_cell_chars = limits.max_cell_chars;
        let headers = if has_headers {
            let Some((&hrow, _)) = sparse.iter().next() else { return Err(ReadError::Empty) };
            let mut cells = sparse.remove(&hrow).unwrap_or_default();
            cells.sort_by_key(|(c, _)| *c);
            let last = cells.last().map_or(origin, |(c, _)| *c);
            let width = (last - origin) as usize + 1;
            if width > limits.max_columns {
                return Err(ReadError::TooLarge(format!(
                    "the header row has {width} columns, more than {}",
                    limits.max_columns
                )));
            }
            let mut headers: Vec<String> =
                (0..width).map(|i| format!("Column {}", column_letter(origin as usize + i))).collect();
            for (c, v) in cells {
                let letter = column_letter(c as usize);
                match v {
                    Ok(s) if s.chars().count() > max_cell_chars => {
                        return Err(ReadError::cell(
                            hrow as u64 + 1,
                            Some(letter),
                            format!("the cell is longer than {max_cell_chars} characters"),
                        ));
                    }
                    Ok(s) => headers[(c - origin) as usize] = s,
                    Err(m) => return Err(ReadError::cell(hrow as u64 + 1, Some(letter), m)),
                }
            }
            headers
        } else {
            let last = sparse.values().flat_map(|r| r.iter().map(|(c, _)| *c)).max().unwrap_or(origin);
            let width = (last - origin) as usize + 1;
            if sparse.is_empty() {
                return Err(ReadError::Empty);
            }
            if width > limits.max_columns {
                return Err(ReadError::TooLarge(format!(
                    "the sheet has {width} columns, more than {}",
                    limits.max_columns
                )));
            }
            (0..width).map(|i| format!("Column {}", column_letter(origin as usize + i))).collect()
        };
        let width = headers.len();
        Ok((SheetRows { rows: sparse.into_iter(), origin, width, max_cell_chars }, headers))
    }

    pub(crate) fn next_row(&mut self) -> Option<Result<Row, ReadError>> {
        let (r, mut cells) = self.rows.next()?;
        let number = r as u64 + 1;
        cells.sort_by_key(|(c, _)| *c);
        let mut out = vec![String::new(); self.width];
        for (c, v) in cells {
            let idx = (c - self.origin) as usize;
            let letter = column_letter(c as usize);
            let s = match v {
                Ok(s) => s,
                Err(m) => return Some(Err(ReadError::cell(number, Some(letter), m))),
            };
            if s.chars().count() > self.max_cell_chars {
                return Some(Err(ReadError::cell(
                    number,
                    Some(letter),
                    format!("the cell is longer than {} characters", self.max_cell_chars),
                )));
            }
            match out.get_mut(idx) {
                Some(slot) => *slot = s,
                None => {
                    return Some(Err(ReadError::cell(
                        number,
                        Some(letter),
                        format!(
                            "the cell holds {s:?} but its column has no header (the header has {} columns)",
                            self.width
                        ),
                    )));
                }
            }
        }
        Some(Ok(Row { number, cells: out }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn numbers_print_as_typed() {
        assert_eq!(fmt_float(821012345678.0), "821012345678");
        assert_eq!(fmt_float(79161234567.0), "79161234567");
        assert_eq!(fmt_float(1e20), "100000000000000000000");
        assert_eq!(fmt_float(12.5), "12.5");
        assert_eq!(fmt_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(fmt_float(-0.0), "0");
        assert_eq!(fmt_float(-3.0), "-3");
        assert_eq!(fmt_float(1e-7), "0.0000001");
    }

    #[test]
    fn dates_print_as_iso() {
        let d = |v: f64| fmt_datetime(&ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false));
        assert_eq!(d(45352.0), "2024-03-01");
        assert_eq!(d(45352.4375), "2024-03-01T10:30:00");
        assert_eq!(d(0.5), "12:00:00");
        let dur = ExcelDateTime::new(1.5104166666666667, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(fmt_datetime(&dur), "36:15:00");
    }
}
