//! Spreadsheets: XLSX (made with rust_xlsxwriter), ODS (made by hand), the zip bomb guard, and
//! the XLSX writer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Cursor, Read, Write};

use clientele_io::{Format, ReadError, ReadOptions, XlsxOut, detect_format};
use common::{C, XCell, make_ods, make_xls, ok_rows, open, read, s};
use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
use zip::write::SimpleFileOptions;

fn korean_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    let datetime = XFormat::new().set_num_format("dd.mm.yyyy hh:mm");
    let ws = wb.add_worksheet();
    ws.set_name("연락처").unwrap();
    // the table starts at B2: row numbers and column letters must still be the sheet's own
    for (i, h) in ["이름", "성", "전화번호", "이메일", " 회사 ", "가입일", "점수", "활성", "메모"].iter().enumerate()
    {
        ws.write_string(1, 1 + i as u16, *h).unwrap();
    }
    ws.write_string(2, 1, "민준").unwrap();
    ws.write_string(2, 2, "김").unwrap();
    ws.write_number(2, 3, 821012345678.0).unwrap();
    ws.write_string(2, 4, "minjun.kim@example.kr").unwrap();
    ws.write_string(2, 5, "한빛소프트").unwrap();
    ws.write_datetime_with_format(2, 6, ExcelDateTime::from_ymd(2024, 3, 1).unwrap(), &date).unwrap();
    ws.write_number(2, 7, 12.5).unwrap();
    ws.write_boolean(2, 8, true).unwrap();
    ws.write_string(2, 9, "'=SUM(A1)").unwrap();
    // row 4 blank, row 5 partial
    ws.write_string(4, 1, "서연").unwrap();
    ws.write_string(4, 3, "02-312-3456").unwrap();
    let dt = ExcelDateTime::from_ymd(2023, 12, 31).unwrap().and_hms(10, 30, 0).unwrap();
    ws.write_datetime_with_format(4, 6, dt, &datetime).unwrap();
    ws.write_number(4, 7, 1e20).unwrap();
    let ws2 = wb.add_worksheet();
    ws2.set_name("Companies").unwrap();
    ws2.write_string(0, 0, "Name").unwrap();
    ws2.write_string(0, 1, "ИНН").unwrap();
    ws2.write_string(1, 0, "ООО Ромашка").unwrap();
    ws2.write_number(1, 1, 7701234567.0).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_korean_numbers_dates_floats() {
    let bytes = korean_workbook();
    assert_eq!(detect_format(None, &bytes), Some(Format::Xlsx));
    let (t, rows) = read(Format::Xlsx, bytes, &ReadOptions::default());
    let d = t.detected();
    assert_eq!((d.format, d.sheet.as_deref()), (Format::Xlsx, Some("연락처")));
    assert_eq!(d.sheets, s(&["연락처", "Companies"]));
    assert_eq!((d.encoding.as_deref(), d.delimiter), (None, None));
    assert_eq!(t.headers(), s(&["이름", "성", "전화번호", "이메일", "회사", "가입일", "점수", "활성", "메모"]));
    assert_eq!(
        ok_rows(&rows),
        vec![
            (
                3,
                vec![
                    "민준",
                    "김",
                    "821012345678",
                    "minjun.kim@example.kr",
                    "한빛소프트",
                    "2024-03-01",
                    "12.5",
                    "true",
                    "=SUM(A1)"
                ]
            ),
            (5, vec!["서연", "", "02-312-3456", "", "", "2023-12-31T10:30:00", "100000000000000000000", "", ""]),
        ]
    );
}

#[test]
fn xlsx_sheet_selection() {
    let opts = ReadOptions { sheet: Some("companies".into()), ..ReadOptions::default() };
    let (t, rows) = read(Format::Xlsx, korean_workbook(), &opts);
    assert_eq!(t.detected().sheet.as_deref(), Some("Companies"));
    assert_eq!(t.headers(), s(&["Name", "ИНН"]));
    assert_eq!(ok_rows(&rows), vec![(2, vec!["ООО Ромашка", "7701234567"])]);

    let opts = ReadOptions { sheet: Some("Nope".into()), ..ReadOptions::default() };
    let err = open(Format::Xlsx, korean_workbook(), &opts).unwrap_err();
    assert_eq!(err.to_string(), "the workbook has no sheet \"Nope\" (sheets: \"연락처\", \"Companies\")");
}

/// Rewrites one entry of a zip archive.
fn patch_zip(bytes: &[u8], name: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut e = src.by_index(i).unwrap();
        let entry = e.name().unwrap().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if entry == name {
            data = f(String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(entry, SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn xlsx_formula_error_names_the_cell() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Name").unwrap();
    ws.write_string(0, 1, "Phone").unwrap();
    ws.write_string(0, 2, "Ratio").unwrap();
    ws.write_string(1, 0, "A").unwrap();
    ws.write_number(4, 2, 1.0).unwrap();
    ws.write_string(5, 0, "after").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let bytes = patch_zip(&bytes, "xl/worksheets/sheet1.xml", |xml| {
        let cell = xml.find("<c r=\"C5\"").unwrap();
        let end = cell + xml[cell..].find("</c>").unwrap() + 4;
        format!("{}<c r=\"C5\" t=\"e\"><f>1/0</f><v>#DIV/0!</v></c>{}", &xml[..cell], &xml[end..])
    });
    let (_, rows) = read(Format::Xlsx, bytes, &ReadOptions::default());
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].as_ref().unwrap_err(), "row 5, column C: the cell holds a formula error #DIV/0!");
    assert_eq!(ok_rows(&rows[2..]), vec![(6, vec!["after", "", ""])]);
}

#[test]
fn ods_hand_made() {
    let bytes = make_ods(&[
        ("Другой", vec![vec![C::S("x")]]),
        (
            "Контакты",
            vec![
                vec![C::S("Имя"), C::S("Телефон"), C::S("Дата"), C::S("Сумма"), C::Empty(1000)],
                vec![C::S("Олег"), C::F(79161234567.0), C::D("2024-03-01"), C::F(12.5)],
                vec![C::Empty(5)],
                vec![C::S("'+7 495"), C::S(" пробелы "), C::D("2024-03-01T10:30:00"), C::F(-3.0)],
            ],
        ),
    ]);
    assert_eq!(detect_format(Some("x.xlsx"), &bytes), Some(Format::Ods));
    let opts = ReadOptions { sheet: Some("Контакты".into()), ..ReadOptions::default() };
    // named .xlsx by mistake: the content decides
    let (t, rows) = read(Format::Xlsx, bytes.clone(), &opts);
    assert_eq!(t.detected().format, Format::Ods);
    assert_eq!(t.detected().sheets, s(&["Другой", "Контакты"]));
    assert_eq!(t.headers(), s(&["Имя", "Телефон", "Дата", "Сумма"]));
    assert_eq!(
        ok_rows(&rows),
        vec![
            (2, vec!["Олег", "79161234567", "2024-03-01", "12.5"]),
            (4, vec!["+7 495", "пробелы", "2024-03-01T10:30:00", "-3"]),
        ]
    );
    let (t, _) = read(Format::Ods, bytes, &ReadOptions::default());
    assert_eq!(t.detected().sheet.as_deref(), Some("Другой"));
}

#[test]
fn ods_cut_inside_a_table_is_an_error_not_an_endless_loop() {
    // calamine alone spins forever on this (it waits for `</table:table>` past the end)
    let ods = make_ods(&[("S", vec![vec![C::S("a")], vec![C::S("b")]])]);
    let mut a = zip::ZipArchive::new(Cursor::new(ods)).unwrap();
    let mut entries = Vec::new();
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        entries.push((f.name().unwrap().into_owned(), data));
    }
    let content = &mut entries.iter_mut().find(|(n, _)| n == "content.xml").unwrap().1;
    let text = String::from_utf8(content.clone()).unwrap().replace("</table:table>", "</table:ta\nble>");
    *content = text.into_bytes();
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in &entries {
        let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        z.start_file(name.as_str(), stored).unwrap();
        z.write_all(data).unwrap();
    }
    let bytes = z.finish().unwrap().into_inner();
    let err = open(Format::Ods, bytes, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("not a spreadsheet: the ODS content is damaged (XML error at byte"), "{err}");
}

#[test]
fn xls_hand_made() {
    let bytes = make_xls(
        &[
            (
                "Контакты",
                vec![
                    vec![XCell::Text("Имя"), XCell::Text(" Телефон "), XCell::Text("Дата"), XCell::Text("Сумма")],
                    vec![XCell::Text("Олег"), XCell::Num(79161234567.0), XCell::Date(45352.0), XCell::Num(12.5)],
                    vec![XCell::Text("'=1+1"), XCell::Text("8 (495) 123-45-67")],
                ],
            ),
            ("Second", vec![vec![XCell::Text("x")], vec![XCell::Num(1.0)]]),
        ],
        None,
    );
    assert_eq!(detect_format(Some("export.csv"), &bytes), Some(Format::Xls));
    let (t, rows) = read(Format::Xls, bytes.clone(), &ReadOptions::default());
    assert_eq!(t.detected().format, Format::Xls);
    assert_eq!(t.detected().sheets, s(&["Контакты", "Second"]));
    assert_eq!(t.headers(), s(&["Имя", "Телефон", "Дата", "Сумма"]));
    assert_eq!(
        ok_rows(&rows),
        vec![(2, vec!["Олег", "79161234567", "2024-03-01", "12.5"]), (3, vec!["=1+1", "8 (495) 123-45-67", "", ""])]
    );
    let opts = ReadOptions { sheet: Some("Second".into()), ..ReadOptions::default() };
    let (_, rows) = read(Format::Xls, bytes, &opts);
    assert_eq!(ok_rows(&rows), vec![(2, vec!["1"])]);
}

#[test]
fn xls_declaring_billions_of_cells_is_refused() {
    // calamine would reserve memory for 4 billion rows × 256 columns and abort the process
    let sheet = vec![vec![XCell::Text("a")], vec![XCell::Text("b")]];
    let bytes = make_xls(&[("S", sheet)], Some((0, 0xFFFF_FFFF, 0, 256)));
    let err = open(Format::Xls, bytes, &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a spreadsheet: the XLS file is damaged (a sheet declares rows 0..4294967295 and columns 0..256, \
         more than an XLS sheet holds)"
    );
    let sheet = vec![vec![XCell::Text("a")]];
    let bytes = make_xls(&[("S", sheet)], Some((7, 3, 0, 1)));
    assert!(open(Format::Xls, bytes, &ReadOptions::default()).is_err());
    // found by fuzzing: two cells far apart make calamine allocate the whole box between them
    let mut sheet: Vec<Vec<XCell>> = (0..65_536).map(|_| Vec::new()).collect();
    sheet[0].push(XCell::Text("a"));
    sheet[65_535] = (0..256).map(|_| XCell::Num(1.0)).collect();
    let err = open(Format::Xls, make_xls(&[("S", sheet)], None), &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a spreadsheet: the XLS file is damaged (a sheet spans 65536 rows × 256 columns, more than 8388608 \
         cells; save it as XLSX or CSV)"
    );
}

#[test]
fn xls_with_looping_sector_chains_is_refused() {
    // found by fuzzing: calamine follows a looping directory chain and allocates until the
    // process runs out of memory
    let sheet = vec![vec![XCell::Text("a")], vec![XCell::Text("b")]];
    let good = make_xls(&[("S", sheet)], None);
    assert!(open(Format::Xls, good.clone(), &ReadOptions::default()).is_ok());
    let n = (good.len() - 512 - 512 - 512) / 512; // header, FAT sector, directory sector
    let fat_entry = |i: usize| 512 + 4 * i;
    let expected = "not a spreadsheet: the XLS file is damaged (its compound file structure is broken or has no \
                    workbook)";
    // the directory sector (n + 1) points to itself
    let mut looping_dir = good.clone();
    looping_dir[fat_entry(n + 1)..fat_entry(n + 1) + 4].copy_from_slice(&((n + 1) as u32).to_le_bytes());
    assert_eq!(open(Format::Xls, looping_dir, &ReadOptions::default()).unwrap_err().to_string(), expected);
    // the last sector of the workbook stream points back to the first one
    let mut looping_stream = good;
    looping_stream[fat_entry(n)..fat_entry(n) + 4].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(open(Format::Xls, looping_stream, &ReadOptions::default()).unwrap_err().to_string(), expected);
}

/// 1,000,000 rows × 20 columns through `XlsxOut` with bounded memory (constant-memory mode): run
/// `cargo test --release -p clientele-io --test spreadsheet -- --ignored million`.
#[test]
#[ignore]
fn xlsx_out_a_million_rows_in_bounded_memory() {
    let peak = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
            .unwrap_or_default()
    };
    let start = std::time::Instant::now();
    let mut out = XlsxOut::new("Contacts").unwrap();
    out.write_header(&(0..20).map(|c| format!("Column {c}")).collect::<Vec<_>>()).unwrap();
    for r in 0..1_000_000u32 {
        out.write_row((0..20).map(|c| format!("r{r}c{c} Контакт"))).unwrap();
    }
    let written = peak();
    let path = std::env::temp_dir().join(format!("clientele-io-million-{}.xlsx", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    out.finish_to(std::io::BufWriter::new(file)).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    std::fs::remove_file(&path).unwrap();
    println!(
        "1,000,000 × 20 cells: {size} bytes in {:?}; peak RSS after rows: {written}; at the end: {}",
        start.elapsed(),
        peak()
    );
}

/// Writes seed inputs for the `spreadsheet` fuzz target (see `fuzz/README.md`):
/// `CLIENTELE_IO_FUZZ_SEEDS=fuzz/corpus/spreadsheet cargo test -p clientele-io --test spreadsheet -- --ignored`
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("CLIENTELE_IO_FUZZ_SEEDS") else { return };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sheets = [(
        "Контакты",
        vec![
            vec![XCell::Text("Имя"), XCell::Text("Телефон"), XCell::Text("Дата")],
            vec![XCell::Text("Олег"), XCell::Num(79161234567.0), XCell::Date(45352.5)],
        ],
    )];
    let with_mode = |mode: u8, bytes: &[u8]| [&[mode][..], bytes].concat();
    std::fs::write(dir.join("xls-raw"), with_mode(0, &make_xls(&sheets, None))).unwrap();
    std::fs::write(dir.join("xls-biff"), with_mode(4, &common::make_biff(&sheets, None))).unwrap();
    let ods = make_ods(&[("S", vec![vec![C::S("Имя"), C::F(1.5)], vec![C::D("2024-03-01"), C::Empty(2)]])]);
    std::fs::write(dir.join("ods-raw"), with_mode(0, &ods)).unwrap();
}

#[test]
fn ods_expanding_to_millions_of_cells_is_refused() {
    // a few bytes of `number-rows-repeated` would make calamine materialise 100 million cells
    let ods = make_ods(&[("S", vec![vec![C::S("a"), C::S("b")]])]);
    let ok = open(Format::Ods, ods, &ReadOptions::default());
    assert!(ok.is_ok());
    let mut a = zip::ZipArchive::new(Cursor::new(make_ods(&[("S", vec![vec![C::S("x")]])]))).unwrap();
    let mut entries = Vec::new();
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        entries.push((f.name().unwrap().into_owned(), data));
    }
    let content = &mut entries.iter_mut().find(|(n, _)| n == "content.xml").unwrap().1;
    let bomb_row = "<table:table-row table:number-rows-repeated=\"1000000\"><table:table-cell \
                    office:value-type=\"float\" office:value=\"1\" table:number-columns-repeated=\"100\"/>\
                    </table:table-row>";
    // trailing empty rows and columns, as LibreOffice writes them, cost nothing
    let free_rows = "<table:table-row table:number-rows-repeated=\"1048000\"><table:table-cell \
                     table:number-columns-repeated=\"1024\"/></table:table-row>";
    let text = String::from_utf8(content.clone()).unwrap();
    let with_free = text.replace("</table:table>", &format!("{free_rows}</table:table>"));
    let with_bomb = text.replace("</table:table>", &format!("{bomb_row}</table:table>"));
    let zip_with = |content: &str| {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in &entries {
            let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            z.start_file(name.as_str(), stored).unwrap();
            z.write_all(if name == "content.xml" { content.as_bytes() } else { data }).unwrap();
        }
        z.finish().unwrap().into_inner()
    };
    let (t, rows) = read(Format::Ods, zip_with(&with_free), &ReadOptions::default());
    assert_eq!((t.headers().len(), rows.len()), (1, 0));
    let err = open(Format::Ods, zip_with(&with_bomb), &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the spreadsheet expands to more than 8388608 cells (repeated rows and columns counted)"
    );
}

fn zeros_zip(name: &str, mib: usize, entries: usize) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let zeros = vec![0u8; 1 << 20];
    for e in 0..entries {
        z.start_file(format!("{name}{e}"), opts).unwrap();
        for _ in 0..mib {
            z.write_all(&zeros).unwrap();
        }
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn zip_bomb_guard() {
    // 8 MiB of zeros compress ~1000:1
    let bomb = zeros_zip("xl/worksheets/sheet", 8, 1);
    assert!(bomb.len() < 100_000);
    let err = open(Format::Xlsx, bomb.clone(), &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, ReadError::TooLarge(_)));
    assert!(err.to_string().starts_with("the archive entry \"xl/worksheets/sheet0\" expands "), "{err}");
    assert!(err.to_string().ends_with("at most 100 allowed, zip bomb guard)"), "{err}");

    let mut opts = ReadOptions::default();
    opts.limits.max_compression_ratio = 100_000;
    opts.limits.max_uncompressed_bytes = 4 << 20;
    let err = open(Format::Xlsx, bomb, &opts).unwrap_err();
    assert_eq!(err.to_string(), "the archive expands to more than 4 MiB (zip bomb guard)");

    let many = zeros_zip("e", 0, 10_001);
    let err = open(Format::Ods, many, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "the archive holds 10001 entries, more than 10000 (zip bomb guard)");
}

#[test]
fn not_a_spreadsheet() {
    let err =
        open(Format::Xls, "<html><table><tr><td>x</td></tr></table></html>", &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("not a spreadsheet: the file is an HTML or XML page"), "{err}");
    let err = open(Format::Xlsx, "a;b\n1;2\n", &ReadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "not a spreadsheet: the file is plain text; import it as CSV");
    let err = open(Format::Xlsx, b"PK\x03\x04broken".to_vec(), &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("not a spreadsheet: the file is a damaged zip archive"), "{err}");
    let err = open(Format::Xls, vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 1, 2, 3], &ReadOptions::default())
        .unwrap_err();
    assert!(err.to_string().starts_with("not a spreadsheet: "), "{err}");
    let mut opts = ReadOptions::default();
    opts.limits.max_uncompressed_bytes = 10;
    let err = open(Format::Xlsx, vec![0u8; 11], &opts).unwrap_err();
    assert_eq!(err.to_string(), "the file is larger than 10 bytes");
}

#[test]
fn xlsx_out_round_trip_with_neutralisation() {
    let header = s(&["Имя", "Телефон", "Формула", "Note"]);
    let rows = vec![
        s(&["Иван", "+7 495 123-45-67", "=1+1", "@x"]),
        s(&["김민준", "-5", "", "multi\nline"]),
        s(&["Zoë", "0079161234567", "plain", "'quoted"]),
    ];
    let mut out = XlsxOut::new("Contacts / export").unwrap();
    out.write_header(&header).unwrap();
    for r in &rows {
        out.write_row(r).unwrap();
    }
    assert_eq!(out.rows(), 4);
    let bytes = out.finish().unwrap();
    assert_eq!(detect_format(None, &bytes), Some(Format::Xlsx));
    let (t, back) = read(Format::Xlsx, bytes, &ReadOptions::default());
    assert_eq!(t.detected().sheet.as_deref(), Some("Contacts _ export"));
    assert_eq!(t.headers(), header);
    let back: Vec<Vec<String>> = back.into_iter().map(|r| r.unwrap().cells).collect();
    assert_eq!(back, rows);
}

#[test]
fn xlsx_out_many_rows_in_constant_memory() {
    let mut out = XlsxOut::new("Big").unwrap();
    out.write_header(&["n", "name", "phone"]).unwrap();
    for n in 0..20_000 {
        out.write_row([n.to_string(), format!("Контакт {n}"), format!("+7 916 {n:07}")]).unwrap();
    }
    // finish_to takes any seekable writer (a temporary file in the server)
    let mut file = Cursor::new(Vec::new());
    out.finish_to(&mut file).unwrap();
    let bytes = file.into_inner();
    let (_, back) = read(Format::Xlsx, bytes, &ReadOptions::default());
    assert_eq!(back.len(), 20_000);
    assert_eq!(back[19_999].as_ref().unwrap().cells, s(&["19999", "Контакт 19999", "+7 916 0019999"]));
    assert_eq!(back[19_999].as_ref().unwrap().number, 20_001);
}
