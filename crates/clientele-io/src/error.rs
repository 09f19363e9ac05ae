//! The error of reading a file: every message says where the problem is.

use std::fmt;

/// An error while reading a file. The message always says where: `row 17, column C: ...`,
/// `line 230: unterminated quoted field`, `card 3, line 41: ...`, or names the file-level problem
/// (`the archive expands to more than 1 GiB (zip bomb guard)`, `not a spreadsheet: ...`).
///
/// Errors with a [`row`](ReadError::row) concern one row only: the table goes on with the next
/// row. Others end the table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The input could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// `ReadOptions::encoding` names no known encoding.
    #[error("unknown encoding {0:?}")]
    UnknownEncoding(String),
    /// Nothing to read: no header row.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not a readable file of the expected kind.
    #[error("not a spreadsheet: {0}")]
    NotSpreadsheet(String),
    /// The requested sheet does not exist.
    #[error("the workbook has no sheet {name:?} (sheets: {})", list(sheets))]
    SheetNotFound {
        /// The name asked for.
        name: String,
        /// The names there are.
        sheets: Vec<String>,
    },
    /// A safety limit was hit for the whole file (zip bomb guard, size, column count).
    #[error("{0}")]
    TooLarge(String),
    /// A syntax problem at a line of a text file (CSV).
    #[error("{}", at_line(*line, *row, message))]
    Line {
        /// 1-based physical line of the file.
        line: u64,
        /// The row (record) it belongs to, when known.
        row: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A problem with one row or cell.
    #[error("{}", at_cell(*row, column.as_deref(), message))]
    Cell {
        /// Row number as a spreadsheet user sees it (1-based, header is 1).
        row: u64,
        /// Column letter (`C`) or vCard property name, when the problem is in one cell.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A problem in a vCard.
    #[error("{}", at_card(*card, *line, message))]
    Card {
        /// 1-based index of the card, if inside one.
        card: Option<u64>,
        /// 1-based physical line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

impl ReadError {
    /// The row concerned (for vCard: the card index), if the error concerns one row.
    pub fn row(&self) -> Option<u64> {
        match self {
            ReadError::Line { row, .. } => *row,
            ReadError::Cell { row, .. } => Some(*row),
            ReadError::Card { card, .. } => *card,
            _ => None,
        }
    }

    /// The column letter (or vCard property) concerned, if the error concerns one cell.
    pub fn column(&self) -> Option<String> {
        match self {
            ReadError::Cell { column, .. } => column.clone(),
            _ => None,
        }
    }

    /// The 1-based line of a text file, if known.
    pub fn line(&self) -> Option<u64> {
        match self {
            ReadError::Line { line, .. } | ReadError::Card { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// True when the error concerns a single row and reading may go on with the next one.
    pub fn is_row_error(&self) -> bool {
        matches!(self, ReadError::Cell { .. } | ReadError::Card { card: Some(_), .. })
    }

    pub(crate) fn cell(row: u64, column: Option<String>, message: impl Into<String>) -> Self {
        ReadError::Cell { row, column, message: message.into() }
    }
}

fn list(v: &[String]) -> String {
    v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
}

fn at_line(line: u64, row: Option<u64>, message: &str) -> String {
    match row {
        Some(row) => format!("line {line} (row {row}): {message}"),
        None => format!("line {line}: {message}"),
    }
}

fn at_cell(row: u64, column: Option<&str>, message: &str) -> String {
    match column {
        Some(c) => format!("row {row}, column {c}: {message}"),
        None => format!("row {row}: {message}"),
    }
}

fn at_card(card: Option<u64>, line: u64, message: &str) -> String {
    match card {
        Some(c) => format!("card {c}, line {line}: {message}"),
        None => format!("line {line}: {message}"),
    }
}

/// Human size: `1 GiB`, `300 MiB`, `12 KiB`, `17 bytes`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
        if n >= size {
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} bytes")
}

impl fmt::Display for crate::Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at most {} uncompressed, ratio {}, {} columns, {} characters per cell",
            human_bytes(self.max_uncompressed_bytes),
            self.max_compression_ratio,
            self.max_columns,
            self.max_cell_chars
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_place() {
        assert_eq!(
            ReadError::Line { line: 230, row: None, message: "unterminated quoted field".into() }.to_string(),
            "line 230: unterminated quoted field"
        );
        let e = ReadError::cell(17, Some("C".into()), "bad");
        assert_eq!(e.to_string(), "row 17, column C: bad");
        assert_eq!((e.row(), e.column()), (Some(17), Some("C".to_string())));
        assert_eq!(human_bytes(1 << 30), "1 GiB");
        assert_eq!(human_bytes(3 << 20), "3 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(17), "17 bytes");
    }
}
