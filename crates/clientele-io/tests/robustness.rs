//! No input makes a reader panic: thousands of pseudo-random and mutated inputs (deterministic
//! xorshift, no extra dependency) must each give rows or errors, within a bounded time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use clientele_io::{Format, ReadOptions, VcardContact, detect_format, write_vcard};
use common::{C, XCell, make_biff, make_ods, make_xls, open, wrap_cfb};
use zip::write::SimpleFileOptions;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPECIAL: &[u8] = b"\"';,\t|\r\n=:\\.-+@ \x00\xFF\xD0\xC3\xEF\xBB\xBF";

fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let len = v.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] = rng.next() as u8;
            }
            1 => {
                let i = rng.below(len + 1);
                v.insert(i, SPECIAL[rng.below(SPECIAL.len())]);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                v.remove(i);
            }
            3 => v.truncate(rng.below(len + 1)),
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(64)).min(len);
                let chunk = v[a..b].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            5 => {
                let n = rng.below(32);
                let at = rng.below(len + 1);
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(at..at, junk);
            }
            _ if len > 0 => {
                let i = rng.below(len);
                v[i] = SPECIAL[rng.below(SPECIAL.len())];
            }
            _ => {}
        }
    }
    v
}

/// Reads everything; returns how many rows and errors came out. Panics propagate (test fails).
fn drain(format: Format, bytes: Vec<u8>) -> (usize, usize) {
    if std::env::var_os("ROBUSTNESS_TRACE").is_some() {
        std::fs::write("/tmp/robustness-last.bin", &bytes).unwrap();
        eprintln!("{format} {}", bytes.len());
    }
    let _ = detect_format(Some("x"), &bytes);
    let mut opts = ReadOptions::default();
    opts.limits.max_uncompressed_bytes = 64 << 20;
    let Ok(table) = open(format, bytes, &opts) else { return (0, 1) };
    let (mut ok, mut err) = (0, 0);
    for r in table.take(10_000) {
        match r {
            Ok(row) => {
                assert!(!row.cells.is_empty());
                ok += 1;
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                err += 1;
            }
        }
    }
    (ok, err)
}

fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let opts = if name == "mimetype" {
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
        } else {
            SimpleFileOptions::default()
        };
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data)
        })
        .collect()
}

/// Fuzzes a zip-based format two ways: mutating the archive bytes, and mutating one XML entry
/// inside a valid archive (which reaches the XML parsing).
fn fuzz_zip(format: Format, seed: &[u8], rounds: usize, rng: &mut XorShift) -> (usize, usize) {
    let entries = unzip(seed);
    let mut totals = (0, 0);
    for i in 0..rounds {
        let bytes = if i % 2 == 0 {
            mutate(rng, seed)
        } else {
            let mut e = entries.clone();
            let k = rng.below(e.len());
            if e[k].0 != "mimetype" || rng.below(4) == 0 {
                e[k].1 = mutate(rng, &e[k].1);
            }
            zip_of(&e)
        };
        let (ok, err) = drain(format, bytes);
        totals.0 += ok;
        totals.1 += err;
    }
    totals
}

fn xlsx_seed() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["이름", "Phone", "Date", "Sum"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "Иван").unwrap();
    ws.write_number(1, 1, 79161234567.0).unwrap();
    let f = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    ws.write_datetime_with_format(1, 2, rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 1).unwrap(), &f).unwrap();
    ws.write_formula(1, 3, "=1+2").unwrap();
    ws.write_string(2, 0, "'=x").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn no_input_makes_a_reader_panic() {
    let start = Instant::now();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);

    let csv_seeds: Vec<Vec<u8>> = vec![
        "Имя;Телефон;Note\r\nИван;\"8 (495) 123-45-67\";\"a \"\"b\"\"\nc\"\r\n;;\r\nx;y;z;w\r\n".as_bytes().to_vec(),
        encoding_rs::WINDOWS_1251.encode("Имя;Фамилия\nОлег;Ёлкин\n").0.into_owned(),
        [0xFF, 0xFE].into_iter().chain("a\tb\r\n1\t2\r\n".encode_utf16().flat_map(|u| u.to_le_bytes())).collect(),
        b"\xEF\xBB\xBFa,b,c\n'=1,2,3\n".to_vec(),
    ];
    let (mut rows, mut errors) = (0, 0);
    for i in 0..3000 {
        let seed = &csv_seeds[i % csv_seeds.len()];
        let bytes =
            if i % 10 == 0 { (0..rng.below(300)).map(|_| rng.next() as u8).collect() } else { mutate(&mut rng, seed) };
        let (ok, err) = drain(Format::Csv, bytes);
        rows += ok;
        errors += err;
    }
    assert!(rows > 1000 && errors > 10, "csv: {rows} rows, {errors} errors");

    let mut vcards = Vec::new();
    write_vcard(
        &mut vcards,
        &VcardContact {
            full_name: "Иван Сидоров".into(),
            phones: vec![("mobile".into(), "+7 916 555-12-34".into())],
            notes: Some("долгая ".repeat(20)),
            ..VcardContact::default()
        },
    )
    .unwrap();
    vcards.extend_from_slice(b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=windows-1251;ENCODING=QUOTED-PRINTABLE:=CF=E5;=CE=\r\n=EB\r\nTEL;CELL:1\r\nEND:VCARD\r\n");
    let (mut rows, mut errors) = (0, 0);
    for i in 0..3000 {
        let bytes = if i % 10 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            mutate(&mut rng, &vcards)
        };
        let (ok, err) = drain(Format::Vcard, bytes);
        rows += ok;
        errors += err;
    }
    assert!(rows > 500 && errors > 10, "vcard: {rows} rows, {errors} errors");

    let (ok, err) = fuzz_zip(Format::Xlsx, &xlsx_seed(), 1500, &mut rng);
    assert!(ok > 50 && err > 50, "xlsx: {ok} rows, {err} errors");

    let ods = make_ods(&[(
        "S",
        vec![vec![C::S("Имя"), C::S("Tel")], vec![C::S("x"), C::F(12.5)], vec![C::D("2024-03-01"), C::Empty(3)]],
    )]);
    let (ok, err) = fuzz_zip(Format::Ods, &ods, 1500, &mut rng);
    assert!(ok > 50 && err > 50, "ods: {ok} rows, {err} errors");

    // XLS: mutated files, and mutated BIFF streams in a valid compound file
    let sheets = [(
        "Лист1",
        vec![
            vec![XCell::Text("Имя"), XCell::Text("Tel"), XCell::Text("Date")],
            vec![XCell::Text("x"), XCell::Num(79161234567.0), XCell::Date(45352.25)],
        ],
    )];
    let (xls, biff) = (make_xls(&sheets, None), make_biff(&sheets, None));
    let (mut ok, mut err) = (0, 0);
    for i in 0..600 {
        let bytes = if i % 2 == 0 { mutate(&mut rng, &xls) } else { wrap_cfb(&mutate(&mut rng, &biff)) };
        let (o, e) = drain(Format::Xls, bytes);
        ok += o;
        err += e;
    }
    assert!(ok > 10 && err > 100, "xls: {ok} rows, {err} errors");

    // random bytes behind an XLS signature
    let mut errors = 0;
    for _ in 0..300 {
        let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        bytes.extend((0..rng.below(4096)).map(|_| rng.next() as u8));
        errors += drain(Format::Xls, bytes).1;
    }
    assert_eq!(errors, 300);

    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}
