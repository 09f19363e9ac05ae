//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;

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
