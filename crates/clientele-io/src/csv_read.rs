//! Streaming CSV reading: delimiter sniffing and a quote-aware record parser over decoded UTF-8.
//!
//! The parser keeps one record in memory at a time; a cell may grow to `max_cell_chars`
//! characters and a record to `max_columns` cells, whatever the size of the file.

use std::io::BufRead;

use crate::{Limits, ReadError, Row, clean_cell, column_letter};

/// Candidate delimiters, in order of preference on ties.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
/// How many lines of the sample the delimiter sniffer looks at.
const SNIFF_LINES: usize = 50;

/// Picks the delimiter giving the same non-zero count (outside quotes) on the most lines of the
/// sample, the header line deciding the count. `truncated`: the sample's last line may be cut.
pub(crate) fn sniff_delimiter(sample: &str, truncated: bool) -> u8 {
    let mut lines: Vec<[usize; 4]> = Vec::new();
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    let mut blank = true;
    for b in sample.bytes() {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                blank = false;
            }
            b'\n' | b'\r' if !in_quotes => {
                if !blank {
                    lines.push(counts);
                    if lines.len() >= SNIFF_LINES {
                        break;
                    }
                }
                counts = [0; 4];
                blank = true;
            }
            _ => {
                if !in_quotes && let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
                if !b.is_ascii_whitespace() {
                    blank = false;
                }
            }
        }
    }
    if !blank && !truncated && lines.len() < SNIFF_LINES {
        lines.push(counts);
    }
    let Some(header) = lines.first().copied() else { return b',' };
    let mut best = (0usize, 0usize, b',');
    for (i, &cand) in CANDIDATES.iter().enumerate() {
        let h = header[i];
        if h == 0 {
            continue;
        }
        let consistent = lines.iter().filter(|l| l[i] == h).count();
        if (consistent, h) > (best.0, best.1) {
            best = (consistent, h, cand);
        }
    }
    best.2
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// A record as parsed, before trimming.
pub(crate) struct RawRecord {
    pub(crate) fields: Vec<String>,
    /// 1-based record index (blank records count), i.e. the spreadsheet row number.
    pub(crate) row: u64,
    /// A limit hit in this record: (0-based column, message).
    pub(crate) problem: Option<(usize, String)>,
}

/// The record parser: the input and the parsing state.
pub(crate) struct CsvParser {
    input: Box<dyn BufRead + Send>,
    core: Core,
}

struct Core {
    delim: u8,
    max_cell_bytes: usize,
    max_cell_chars: usize,
    max_columns: usize,
    state: State,
    skip_lf: bool,
    /// Current 1-based line.
    line: u64,
    quote_line: u64,
    records: u64,
    done: bool,
    // the record being built
    fields: Vec<String>,
    cur: Vec<u8>,
    started: bool,
    problem: Option<(usize, String)>,
}

#[derive(PartialEq, Eq)]
enum Step {
    Continue,
    RecordEnd,
}

impl Core {
    fn end_field(&mut self) {
        let bytes = std::mem::take(&mut self.cur);
        // The decoder hands out valid UTF-8 and the parser only splits at ASCII bytes, but a cell
        // cut by the length limit may end inside a character: be lossy rather than fail.
        let s = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let col = self.fields.len();
        if self.problem.is_none() && s.len() > self.max_cell_chars && s.chars().count() > self.max_cell_chars {
            self.problem = Some((col, format!("the cell is longer than {} characters", self.max_cell_chars)));
        }
        if col < self.max_columns {
            self.fields.push(s);
        } else if self.problem.is_none() && !s.trim().is_empty() {
            self.problem = Some((col, format!("the row has more than {} columns", self.max_columns)));
        }
    }

    #[inline]
    fn push(&mut self, b: u8) {
        if self.cur.len() < self.max_cell_bytes {
            self.cur.push(b);
        } else if self.problem.is_none() {
            self.problem =
                Some((self.fields.len(), format!("the cell is longer than {} characters", self.max_cell_chars)));
        }
    }

    #[inline]
    fn step(&mut self, b: u8) -> Step {
        if self.skip_lf {
            self.skip_lf = false;
            if b == b'\n' {
                return Step::Continue;
            }
        }
        self.started = true;
        match self.state {
            State::FieldStart | State::Unquoted | State::QuoteInQuoted => {
                if b == self.delim {
                    self.end_field();
                    self.state = State::FieldStart;
                } else if b == b'\n' || b == b'\r' {
                    self.skip_lf = b == b'\r';
                    self.line += 1;
                    self.end_field();
                    self.state = State::FieldStart;
                    return Step::RecordEnd;
                } else if b == b'"' && self.state == State::FieldStart {
                    self.state = State::Quoted;
                    self.quote_line = self.line;
                } else if b == b'"' && self.state == State::QuoteInQuoted {
                    self.push(b'"');
                    self.state = State::Quoted;
                } else if self.state == State::FieldStart && (b == b' ' || b == b'\t') {
                    // blanks before an opening quote are not part of the cell (cells are trimmed)
                } else {
                    // text after a closing quote (`"abc"def`) or a quote inside an unquoted cell
                    // is kept as it is, as spreadsheet programs do
                    self.push(b);
                    self.state = State::Unquoted;
                }
            }
            State::Quoted => match b {
                b'"' => self.state = State::QuoteInQuoted,
                b'\r' => {
                    self.push(b'\n');
                    self.line += 1;
                    self.skip_lf = true;
                }
                b'\n' => {
                    self.push(b'\n');
                    self.line += 1;
                }
                _ => self.push(b),
            },
        }
        Step::Continue
    }

    fn take_record(&mut self) -> RawRecord {
        self.records += 1;
        self.started = false;
        RawRecord { fields: std::mem::take(&mut self.fields), row: self.records, problem: self.problem.take() }
    }
}

impl CsvParser {
    pub(crate) fn new(input: Box<dyn BufRead + Send>, delim: u8, limits: &Limits) -> Self {
        let max_cell_chars = limits.max_cell_chars.max(1);
        CsvParser {
            input,
            core: Core {
                delim,
                max_cell_bytes: max_cell_chars.saturating_mul(4),
                max_cell_chars,
                max_columns: limits.max_columns.max(1),
                state: State::FieldStart,
                skip_lf: false,
                line: 1,
                quote_line: 1,
                records: 0,
                done: false,
                fields: Vec::new(),
                cur: Vec::new(),
                started: false,
                problem: None,
            },
        }
    }

    /// The next record, blank ones included; `None` at the end.
    pub(crate) fn read_record(&mut self) -> Result<Option<RawRecord>, ReadError> {
        let core = &mut self.core;
        if core.done {
            return Ok(None);
        }
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) => {
                    core.done = true;
                    return Err(e.into());
                }
            };
            if buf.is_empty() {
                core.done = true;
                return match core.state {
                    State::Quoted => Err(ReadError::Line {
                        line: core.quote_line,
                        row: Some(core.records + 1),
                        message: "unterminated quoted field (a cell opens with `\"` and never closes)".into(),
                    }),
                    State::FieldStart if !core.started => Ok(None),
                    _ => {
                        core.end_field();
                        Ok(Some(core.take_record()))
                    }
                };
            }
            let mut used = 0;
            let mut ended = false;
            for &b in buf {
                used += 1;
                if core.step(b) == Step::RecordEnd {
                    ended = true;
                    break;
                }
            }
            self.input.consume(used);
            if ended {
                return Ok(Some(core.take_record()));
            }
        }
    }
}

/// Reads CSV rows against a header.
pub(crate) struct CsvRows {
    parser: CsvParser,
    width: usize,
    pending: Option<Row>,
}

impl CsvRows {
    /// Reads the header (or, without headers, the first row) and returns the headers.
    pub(crate) fn open(mut parser: CsvParser, has_headers: bool) -> Result<(CsvRows, Vec<String>), ReadError> {
        let first = loop {
            match parser.read_record()? {
                None => return Err(ReadError::Empty),
                Some(rec) => {
                    if let Some((col, msg)) = rec.problem {
                        if has_headers {
                            return Err(ReadError::TooLarge(format!(
                                "row {}, column {}: {msg}",
                                rec.row,
                                column_letter(col)
                            )));
                        }
                        return Err(ReadError::cell(rec.row, Some(column_letter(col)), msg));
                    }
                    let cells: Vec<String> = rec.fields.iter().map(|c| clean_cell(c).to_string()).collect();
                    if cells.iter().any(|c| !c.is_empty()) {
                        break (rec.row, cells);
                    }
                }
            }
        };
        let (row, mut cells) = first;
        while cells.last().is_some_and(|c| c.is_empty()) {
            cells.pop();
        }
        let width = cells.len();
        let headers = if has_headers {
            name_headers(cells)
        } else {
            let h = (0..width).map(|i| format!("Column {}", column_letter(i))).collect();
            return Ok((CsvRows { parser, width, pending: Some(Row { number: row, cells }) }, h));
        };
        Ok((CsvRows { parser, width, pending: None }, headers))
    }

    pub(crate) fn next_row(&mut self) -> Option<Result<Row, ReadError>> {
        if let Some(row) = self.pending.take() {
            return Some(Ok(row));
        }
        loop {
            let rec = match self.parser.read_record() {
                Ok(Some(rec)) => rec,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if let Some((col, msg)) = rec.problem {
                return Some(Err(ReadError::cell(rec.row, Some(column_letter(col)), msg)));
            }
            let cells: Vec<String> = rec.fields.iter().map(|c| clean_cell(c).to_string()).collect();
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            return Some(fit_row(rec.row, cells, self.width));
        }
    }
}

/// Header names: empty ones become `Column C` (their letter), so every column can be mapped.
pub(crate) fn name_headers(cells: Vec<String>) -> Vec<String> {
    cells
        .into_iter()
        .enumerate()
        .map(|(i, c)| if c.is_empty() { format!("Column {}", column_letter(i)) } else { c })
        .collect()
}

/// Pads a short row with empty cells; a longer row is an error if an extra cell is not empty.
pub(crate) fn fit_row(number: u64, mut cells: Vec<String>, width: usize) -> Result<Row, ReadError> {
    if cells.len() > width {
        if let Some(extra) = cells[width..].iter().position(|c| !c.is_empty()) {
            let col = width + extra;
            let used = cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
            return Err(ReadError::cell(
                number,
                Some(column_letter(col)),
                format!(
                    "the row has {used} cells but the header has {width}; the extra cell holds {:?}",
                    shorten(&cells[col])
                ),
            ));
        }
        cells.truncate(width);
    }
    cells.resize(width, String::new());
    Ok(Row { number, cells })
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 { format!("{}…", s.chars().take(40).collect::<String>()) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &str, delim: u8) -> Vec<Result<(u64, Vec<String>), String>> {
        let mut p = CsvParser::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), delim, &Limits::default());
        let mut out = Vec::new();
        loop {
            match p.read_record() {
                Ok(Some(r)) => out.push(Ok((r.row, r.fields))),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    break;
                }
            }
        }
        out
    }

    fn rec(row: u64, cells: &[&str]) -> Result<(u64, Vec<String>), String> {
        Ok((row, cells.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2,5;3\n4;5;6\n", false), b';');
        assert_eq!(sniff_delimiter("a,b,c\n1,\"x;y\",3\n", false), b',');
        assert_eq!(sniff_delimiter("a\tb\n1\t2,3\n", false), b'\t');
        assert_eq!(sniff_delimiter("a|b\n1|2\n", false), b'|');
        assert_eq!(sniff_delimiter("single\ncolumn\n", false), b',');
        assert_eq!(sniff_delimiter("", false), b',');
        // A quoted newline does not split a line.
        assert_eq!(sniff_delimiter("a;b\n\"x\ny;z\";2\n", false), b';');
    }

    #[test]
    fn parses_quotes_newlines_and_line_endings() {
        let got = parse_all("a;\"b;c\";\"say \"\"hi\"\"\"\r\n\"multi\r\nline\";x\rlast;\"\"\n", b';');
        assert_eq!(
            got,
            vec![rec(1, &["a", "b;c", "say \"hi\""]), rec(2, &["multi\nline", "x"]), rec(3, &["last", ""]),]
        );
        assert_eq!(parse_all("a,b", b','), vec![rec(1, &["a", "b"])]);
        assert_eq!(
            parse_all("a,b\n\n\nc", b','),
            vec![rec(1, &["a", "b"]), rec(2, &[""]), rec(3, &[""]), rec(4, &["c"])]
        );
        assert_eq!(parse_all("", b','), vec![]);
        assert_eq!(parse_all("x,\"ab\"cd,e\"f", b','), vec![rec(1, &["x", "abcd", "e\"f"])]);
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        let got = parse_all("a,b\n1,2\n3,\"open\nmore\nmore", b',');
        assert_eq!(
            got.last().unwrap().as_ref().unwrap_err(),
            "line 3 (row 3): unterminated quoted field (a cell opens with `\"` and never closes)"
        );
    }

    #[test]
    fn limits_are_row_errors() {
        let limits = Limits { max_columns: 3, max_cell_chars: 5, ..Limits::default() };
        let text = "a,b,c\n1,2,3,4\n123456,x\n1,2,3,,,\nok,ok\n";
        let mut p = CsvParser::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), b',', &limits);
        let mut problems = Vec::new();
        while let Some(r) = p.read_record().unwrap() {
            problems.push(r.problem);
        }
        assert_eq!(
            problems,
            vec![
                None,
                Some((3, "the row has more than 3 columns".to_string())),
                Some((0, "the cell is longer than 5 characters".to_string())),
                None,
                None
            ]
        );
    }
}
