//! CSV reading and writing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clientele_io::{CsvOut, Format, ReadError, ReadOptions, Table};
use common::{ok_rows, open, read, s};

#[test]
fn windows_1251_with_semicolons() {
    let text = "Имя;Фамилия;Телефон;E-mail;Компания\r\n\
                Иван;Петров;8 (495) 123-45-67;ivan.petrov@example.ru;ООО Ромашка\r\n\
                Мария;Сидорова;+7 916 555-12-34;maria@example.ru;ИП Сидорова М. Ю.\r\n\
                Пётр;Ёлкин;89161234567;;\"Рога и копыта; филиал\"\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(text);
    assert!(!unmappable);
    let (t, rows) = read(Format::Csv, bytes.into_owned(), &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("windows-1251"));
    assert_eq!(t.detected().delimiter, Some(';'));
    assert_eq!(t.detected().format, Format::Csv);
    assert_eq!(t.headers(), s(&["Имя", "Фамилия", "Телефон", "E-mail", "Компания"]));
    assert_eq!(
        ok_rows(&rows),
        vec![
            (2, vec!["Иван", "Петров", "8 (495) 123-45-67", "ivan.petrov@example.ru", "ООО Ромашка"]),
            (3, vec!["Мария", "Сидорова", "+7 916 555-12-34", "maria@example.ru", "ИП Сидорова М. Ю."]),
            (4, vec!["Пётр", "Ёлкин", "89161234567", "", "Рога и копыта; филиал"]),
        ]
    );
}

#[test]
fn utf8_with_bom() {
    let bytes = b"\xEF\xBB\xBFName,Phone\nZo\xC3\xAB,+33 1 98 76 54 32\n".to_vec();
    let (t, rows) = read(Format::Csv, bytes, &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("utf-8"));
    assert_eq!(t.headers(), s(&["Name", "Phone"]), "the BOM must not stick to the first header");
    assert_eq!(ok_rows(&rows), vec![(2, vec!["Zoë", "+33 1 98 76 54 32"])]);
}

#[test]
fn utf16le_with_bom_tab_delimited_like_excel_unicode_text() {
    let text = "Имя\tТелефон\tCompany\r\nИван\t8 (495) 123-45-67\t\"Acme, Inc.\"\r\n김민준\t010-1234-5678\t회사\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let (t, rows) = read(Format::Csv, bytes, &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("utf-16le"));
    assert_eq!(t.detected().delimiter, Some('\t'));
    assert_eq!(t.headers(), s(&["Имя", "Телефон", "Company"]));
    assert_eq!(
        ok_rows(&rows),
        vec![(2, vec!["Иван", "8 (495) 123-45-67", "Acme, Inc."]), (3, vec!["김민준", "010-1234-5678", "회사"])]
    );
}

#[test]
fn utf16_without_bom_is_recognised() {
    let text = "Name\tPhone\r\nIvan\t+7 916 555-12-34\r\n";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let (t, rows) = read(Format::Csv, bytes, &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("utf-16be"));
    assert_eq!(ok_rows(&rows), vec![(2, vec!["Ivan", "+7 916 555-12-34"])]);
}

#[test]
fn french_semicolons_utf8_without_bom() {
    let text = "Prénom;Nom;Téléphone;Société\nHélène;Lefèvre;01 23 45 67 89;Crème & Cie\nFrançois;Gaël;06 12 34 56 78;Société Générale Façades\n";
    let (t, rows) = read(Format::Csv, text, &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("utf-8"));
    assert_eq!(t.detected().delimiter, Some(';'));
    assert_eq!(t.headers(), s(&["Prénom", "Nom", "Téléphone", "Société"]));
    assert_eq!(
        ok_rows(&rows),
        vec![
            (2, vec!["Hélène", "Lefèvre", "01 23 45 67 89", "Crème & Cie"]),
            (3, vec!["François", "Gaël", "06 12 34 56 78", "Société Générale Façades"]),
        ]
    );
}

#[test]
fn windows_1252_french() {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("Prénom;Nom\nHélène;Lefèvre\n");
    let (t, rows) = read(Format::Csv, bytes.into_owned(), &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("windows-1252"));
    assert_eq!(ok_rows(&rows), vec![(2, vec!["Hélène", "Lefèvre"])]);
}

#[test]
fn quoted_fields_with_delimiters_quotes_and_newlines() {
    let text = "name;note;phone\r\n\
                \"Dupont; Jean\";\"He said \"\"bonjour\"\"\";1\r\n\
                \"Multi\r\nline\";\"first\nsecond\";2\r\n\
                plain;\"\";3\r\n";
    let (_, rows) = read(Format::Csv, text, &ReadOptions::default());
    assert_eq!(
        ok_rows(&rows),
        vec![
            (2, vec!["Dupont; Jean", "He said \"bonjour\"", "1"]),
            (3, vec!["Multi\nline", "first\nsecond", "2"]),
            (4, vec!["plain", "", "3"]),
        ]
    );
}

#[test]
fn too_many_cells_blank_rows_short_rows() {
    let text = "a,b,c\n1,2,3\n\n , , \n4,5\n6,7,8,9\n10,11,12,,\n";
    let (_, rows) = read(Format::Csv, text, &ReadOptions::default());
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].as_ref().unwrap().cells, s(&["1", "2", "3"]));
    // rows 3 and 4 are blank: skipped, but they count in numbering
    assert_eq!(rows[1].as_ref().unwrap().number, 5);
    assert_eq!(rows[1].as_ref().unwrap().cells, s(&["4", "5", ""]), "a short row is padded");
    assert_eq!(
        rows[2].as_ref().unwrap_err(),
        "row 6, column D: the row has 4 cells but the header has 3; the extra cell holds \"9\""
    );
    assert_eq!(rows[3].as_ref().unwrap().cells, s(&["10", "11", "12"]), "empty extra cells are fine");
    assert_eq!(rows[3].as_ref().unwrap().number, 7);
}

#[test]
fn row_error_accessors_and_reading_goes_on() {
    let mut t = open(Format::Csv, "a,b\n1,2,3\n4,5\n", &ReadOptions::default()).unwrap();
    let e = t.next_row().unwrap().unwrap_err();
    assert_eq!((e.row(), e.column().as_deref()), (Some(2), Some("C")));
    assert!(e.is_row_error());
    assert_eq!(t.next_row().unwrap().unwrap().cells, s(&["4", "5"]));
    assert!(t.next_row().is_none());
}

#[test]
fn unterminated_quote_names_the_line() {
    let text = "a,b\n1,2\n3,\"never closed\n4,5\n";
    let (_, rows) = read(Format::Csv, text, &ReadOptions::default());
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1].as_ref().unwrap_err(),
        "line 3 (row 3): unterminated quoted field (a cell opens with `\"` and never closes)"
    );
}

#[test]
fn overrides_and_headerless() {
    let (bytes, _, _) = encoding_rs::KOI8_R.encode("Имя|Город\nОлег|Москва\n");
    let opts = ReadOptions { encoding: Some("koi8-r".into()), delimiter: Some(b'|'), ..ReadOptions::default() };
    let (t, rows) = read(Format::Csv, bytes.into_owned(), &opts);
    assert_eq!(t.detected().encoding.as_deref(), Some("koi8-r"));
    assert_eq!(t.headers(), s(&["Имя", "Город"]));
    assert_eq!(ok_rows(&rows), vec![(2, vec!["Олег", "Москва"])]);

    let opts = ReadOptions { has_headers: false, ..ReadOptions::default() };
    let (t, rows) = read(Format::Csv, "\nx;1\ny;2;\n", &opts);
    assert_eq!(t.headers(), s(&["Column A", "Column B"]));
    assert_eq!(ok_rows(&rows), vec![(2, vec!["x", "1"]), (3, vec!["y", "2"])]);

    let bad = ReadOptions { encoding: Some("klingon".into()), ..ReadOptions::default() };
    assert_eq!(open(Format::Csv, "a", &bad).unwrap_err().to_string(), "unknown encoding \"klingon\"");
    assert!(matches!(open(Format::Csv, "\n \n", &ReadOptions::default()), Err(ReadError::Empty)));
}

#[test]
fn empty_and_trailing_header_cells() {
    let (t, rows) = read(Format::Csv, "name;;phone;;\nA;x;1;;\n", &ReadOptions::default());
    assert_eq!(t.headers(), s(&["name", "Column B", "phone"]));
    assert_eq!(ok_rows(&rows), vec![(2, vec!["A", "x", "1"])]);
}

#[test]
fn limits_on_columns_and_cells() {
    let mut opts = ReadOptions::default();
    opts.limits.max_columns = 3;
    opts.limits.max_cell_chars = 10;
    let (_, rows) = read(Format::Csv, "a,b,c\nx,y,z,w\n12345678901,b\nok,ok,ok\n", &opts);
    assert_eq!(rows[0].as_ref().unwrap_err(), "row 2, column D: the row has more than 3 columns");
    assert_eq!(rows[1].as_ref().unwrap_err(), "row 3, column A: the cell is longer than 10 characters");
    assert_eq!(rows[2].as_ref().unwrap().cells, s(&["ok", "ok", "ok"]));
    let err = open(Format::Csv, "a,b,c,d\n", &opts).unwrap_err();
    assert_eq!(err.to_string(), "row 1, column D: the row has more than 3 columns");
}

#[test]
fn csv_out_neutralises_and_reads_back() {
    let rows = vec![
        s(&["name", "formula", "phone", "minus", "at", "plain"]),
        s(&["Иван", "=1+1", "+7 495 123-45-67", "-5", "@x", "a;b \"q\"\nnext"]),
        s(&["", "", "", "", "", ""]),
        s(&["Zoë", "=HYPERLINK(\"http://x\")", "+33 1 98 76 54 32", "-", "@", ","]),
    ];
    let mut out = CsvOut::new(Vec::new(), b';', true);
    for r in &rows {
        out.write_row(r).unwrap();
    }
    let bytes = out.finish().unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFname;formula;phone;minus;at;plain\r\n"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains(";'=1+1;'+7 495 123-45-67;'-5;'@x;\"a;b \"\"q\"\"\nnext\"\r\n"), "{text}");
    let (t, back) = read(Format::Csv, bytes, &ReadOptions::default());
    assert_eq!(t.detected().delimiter, Some(';'));
    assert_eq!(t.headers(), rows[0]);
    // the all-empty row is blank and skipped on reading
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].as_ref().unwrap().cells, rows[1]);
    assert_eq!(back[1].as_ref().unwrap().cells, rows[3]);
}

#[test]
fn csv_out_without_bom_and_with_comma_or_tab() {
    let mut out = CsvOut::new(Vec::new(), b',', false);
    out.write_row(["a", "b,c"]).unwrap();
    out.write_row(["1", "2"]).unwrap();
    assert_eq!(out.finish().unwrap(), b"a,\"b,c\"\r\n1,2\r\n");
    let mut out = CsvOut::new(Vec::new(), b'\t', false);
    out.write_row(["a", "b,c"]).unwrap();
    assert_eq!(out.finish().unwrap(), b"a\tb,c\r\n");
    let empty = CsvOut::new(Vec::new(), b',', true).finish().unwrap();
    assert_eq!(empty, b"\xEF\xBB\xBF");
}

/// A non-seekable reader of a generated CSV that counts the bytes it hands out.
struct Generated {
    rows: u64,
    next: u64,
    pending: Vec<u8>,
    pos: usize,
    given: Arc<AtomicU64>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.pending.len() {
            if self.next > self.rows {
                return Ok(0);
            }
            self.pending.clear();
            self.pos = 0;
            if self.next == 0 {
                self.pending.extend_from_slice("Имя;Телефон;Заметка\r\n".as_bytes());
            } else {
                let n = self.next;
                self.pending.extend_from_slice(
                    format!("Контакт {n};+7 916 {:03}-{:02}-{:02};\"note; {n}\"\r\n", n % 1000, n % 100, n % 97)
                        .as_bytes(),
                );
            }
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        self.given.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn streams_200_000_rows_with_bounded_read_ahead() {
    let given = Arc::new(AtomicU64::new(0));
    let input = Generated { rows: 200_000, next: 0, pending: Vec::new(), pos: 0, given: given.clone() };
    let mut t = Table::open(Format::Csv, Box::new(input), &ReadOptions::default()).unwrap();
    assert_eq!(t.detected().delimiter, Some(';'));
    let mut consumed: u64 = "Имя;Телефон;Заметка\r\n".len() as u64;
    let mut max_ahead = 0u64;
    let mut count = 0u64;
    while let Some(row) = t.next_row() {
        let row = row.unwrap();
        count += 1;
        assert_eq!(row.number, count + 1);
        let n = count;
        assert_eq!(row.cells[0], format!("Контакт {n}"));
        assert_eq!(row.cells[2], format!("note; {n}"));
        consumed +=
            format!("Контакт {n};+7 916 {:03}-{:02}-{:02};\"note; {n}\"\r\n", n % 1000, n % 100, n % 97).len() as u64;
        max_ahead = max_ahead.max(given.load(Ordering::Relaxed) - consumed);
    }
    assert_eq!(count, 200_000);
    // the input is ~10 MB; the reader never holds more than its sample and buffers ahead
    assert!(consumed > 9_000_000, "{consumed}");
    assert!(max_ahead <= 256 * 1024, "read {max_ahead} bytes ahead of the rows handed out");
}
