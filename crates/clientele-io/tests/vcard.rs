//! vCard reading (2.1, 3.0, 4.0) and the writer → reader round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clientele_io::{Format, ReadOptions, VCARD_HEADERS, VcardContact, detect_format, write_vcard};
use common::{open, read};

/// A full row from (column, value) pairs; other columns empty.
fn row(pairs: &[(&str, &str)]) -> Vec<String> {
    let mut cells = vec![String::new(); VCARD_HEADERS.len()];
    for (k, v) in pairs {
        let i = VCARD_HEADERS.iter().position(|h| h == k).unwrap_or_else(|| panic!("no column {k}"));
        cells[i] = v.to_string();
    }
    cells
}

const V3: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
FN:Иван Петрович Сидоров\r\n\
N:Сидоров;Иван;Петрович;;\r\n\
ORG:ООО \"Ромашка\";Отдел продаж\r\n\
TITLE:Менеджер\\, старший\r\n\
item1.TEL;TYPE=CELL,VOICE:+7 916 555-12-34\r\n\
item1.X-ABLabel:мобильный\r\n\
TEL;TYPE=WORK;TYPE=VOICE:+7 495 123-45-67\r\n\
TEL;TYPE=HOME:8 (812) 555-66-77\r\n\
TEL;TYPE=WORK,FAX:+7 495 123-45-68\r\n\
TEL:+7 (800) 555-35-35\r\n\
TEL;TYPE=CELL:+7 926 000-00-01\r\n\
EMAIL;TYPE=INTERNET;TYPE=WORK:ivan@example.ru\r\n\
EMAIL;TYPE=INTERNET,HOME:ivan.home@example.ru\r\n\
EMAIL;TYPE=INTERNET:other@example.ru\r\n\
ADR;TYPE=WORK:;Офис 5;ул. Тверская\\, д. 1;Москва;Московская обл.;125009;Россия\r\n\
ADR;TYPE=HOME:;;ignored;;;;\r\n\
BDAY:19800315\r\n\
URL:https://example.ru\r\n\
NOTE:Длинная заме\r\n\
\x20тка\\nвторая строка\\; с точкой\\, запятой и \\\\ слешем\r\n\
CATEGORIES:Клиенты,VIP\r\n\
CATEGORIES:VIP,Москва\r\n\
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQEASABIAAD/\r\n\
\x202wBDAP//////////////////////////\r\n\
END:VCARD\r\n";

const V4: &str = "BEGIN:VCARD\n\
VERSION:4.0\n\
FN:김민준\n\
N:김;민준;;;\n\
ORG:한빛소프트\n\
TEL;VALUE=uri;TYPE=\"cell,voice\":tel:+82-10-1234-5678\n\
TEL;TYPE=work;VALUE=uri:tel:+82-2-312-3456\n\
EMAIL;TYPE=work:minjun@example.kr\n\
EMAIL;PREF=1:minjun@example.com\n\
BDAY:--0315\n\
ANNIVERSARY:20100612\n\
CATEGORIES:고객\n\
END:VCARD\n";

const V21: &str = "BEGIN:VCARD\r\n\
VERSION:2.1\r\n\
N;CHARSET=windows-1251;ENCODING=QUOTED-PRINTABLE:=CF=E5=F2=F0=EE=E2;=CE=EB=E5=E3\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=9E=D0=BB=D0=B5=D0=B3 =D0=9F=D0=B5=\r\n\
=D1=82=D1=80=D0=BE=D0=B2\r\n\
TEL;CELL:+79161234567\r\n\
TEL;WORK;VOICE:84951234567\r\n\
EMAIL;PREF;INTERNET:oleg@example.ru\r\n\
NOTE;ENCODING=QUOTED-PRINTABLE:Caf=C3=A9 cr=C3=A8me\r\n\
END:VCARD\r\n";

#[test]
fn vcard_3_0() {
    assert_eq!(detect_format(None, V3.as_bytes()), Some(Format::Vcard));
    let (t, rows) = read(Format::Vcard, V3, &ReadOptions::default());
    assert_eq!(t.headers(), VCARD_HEADERS.map(String::from));
    assert_eq!(t.detected().encoding.as_deref(), Some("utf-8"));
    assert_eq!(rows.len(), 1);
    let r = rows[0].as_ref().unwrap();
    assert_eq!(r.number, 1);
    assert_eq!(
        r.cells,
        row(&[
            ("full_name", "Иван Петрович Сидоров"),
            ("first_name", "Иван"),
            ("last_name", "Сидоров"),
            ("middle_name", "Петрович"),
            ("title", "Менеджер, старший"),
            ("company", "ООО \"Ромашка\""),
            ("phone_mobile", "+7 916 555-12-34; +7 926 000-00-01"),
            ("phone_work", "+7 495 123-45-67"),
            ("phone_home", "8 (812) 555-66-77"),
            ("phone_fax", "+7 495 123-45-68"),
            ("phone", "+7 (800) 555-35-35"),
            ("email_work", "ivan@example.ru"),
            ("email_personal", "ivan.home@example.ru"),
            ("email", "other@example.ru"),
            ("street", "ул. Тверская, д. 1, Офис 5"),
            ("city", "Москва"),
            ("region", "Московская обл."),
            ("postal_code", "125009"),
            ("country", "Россия"),
            ("birthday", "1980-03-15"),
            ("website", "https://example.ru"),
            ("notes", "Длинная заметка\nвторая строка; с точкой, запятой и \\ слешем"),
            ("tags", "Клиенты; VIP; Москва"),
        ])
    );
}

#[test]
fn vcard_4_0_and_2_1_in_one_file() {
    let text = format!("{V4}\n{V21}");
    let (_, rows) = read(Format::Vcard, text, &ReadOptions::default());
    assert_eq!(rows.len(), 2);
    let r = rows[0].as_ref().unwrap();
    assert_eq!(
        r.cells,
        row(&[
            ("full_name", "김민준"),
            ("first_name", "민준"),
            ("last_name", "김"),
            ("company", "한빛소프트"),
            ("phone_mobile", "+82-10-1234-5678"),
            ("phone_work", "+82-2-312-3456"),
            ("email_work", "minjun@example.kr"),
            ("email", "minjun@example.com"),
            ("birthday", "--03-15"),
            ("anniversary", "2010-06-12"),
            ("tags", "고객"),
        ])
    );
    let r = rows[1].as_ref().unwrap();
    assert_eq!(r.number, 2);
    assert_eq!(
        r.cells,
        row(&[
            ("full_name", "Олег Петров"),
            ("first_name", "Олег"),
            ("last_name", "Петров"),
            ("phone_mobile", "+79161234567"),
            ("phone_work", "84951234567"),
            ("email", "oleg@example.ru"),
            ("notes", "Café crème"),
        ])
    );
}

#[test]
fn folding_inside_a_multibyte_character_and_raw_windows_1251() {
    // a naive writer folded between the two bytes of "Ж"
    let mut bytes = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xD0".to_vec();
    bytes.extend_from_slice(b"\r\n \x96\xD0\xB0\xD0\xBD\r\nEND:VCARD\r\n");
    let (_, rows) = read(Format::Vcard, bytes, &ReadOptions::default());
    assert_eq!(rows[0].as_ref().unwrap().cells[0], "Жан");
    // an old export in Windows-1251 without CHARSET
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("BEGIN:VCARD\nVERSION:2.1\nN:Петров;Олег\nEND:VCARD\n");
    let (t, rows) = read(Format::Vcard, bytes.into_owned(), &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("windows-1251"));
    assert_eq!(rows[0].as_ref().unwrap().cells, row(&[("first_name", "Олег"), ("last_name", "Петров")]));
    // UTF-16 with BOM (some Windows exports)
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("BEGIN:VCARD\r\nFN:Zoë\r\nEND:VCARD\r\n".encode_utf16().flat_map(|u| u.to_le_bytes()));
    let (t, rows) = read(Format::Vcard, bytes, &ReadOptions::default());
    assert_eq!(t.detected().encoding.as_deref(), Some("utf-16le"));
    assert_eq!(rows[0].as_ref().unwrap().cells[0], "Zoë");
}

#[test]
fn errors_name_the_card_and_line() {
    let text = "BEGIN:VCARD\nFN:One\nEND:VCARD\n\
                BEGIN:VCARD\nFN:Two\nthis line has no colon\nEND:VCARD\n\
                BEGIN:VCARD\nFN:Three\n\
                BEGIN:VCARD\nFN:Four\nEND:VCARD\n\
                BEGIN:VCARD\nFN:Five\n";
    let (_, rows) = read(Format::Vcard, text, &ReadOptions::default());
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].as_ref().unwrap().cells[0], "One");
    assert_eq!(rows[1].as_ref().unwrap_err(), "card 2, line 6: the line has no `:` (\"this line has no colon\")");
    assert_eq!(
        rows[2].as_ref().unwrap_err(),
        "card 3, line 8: the card has no END:VCARD (a new card begins at line 10)"
    );
    assert_eq!(rows[3].as_ref().unwrap().cells[0], "Four");
    assert_eq!(rows[3].as_ref().unwrap().number, 4);
    assert_eq!(rows[4].as_ref().unwrap_err(), "card 5, line 13: the card has no END:VCARD");

    let err = open(Format::Vcard, "Name,Phone\nx,y\n", &ReadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "line 1: not a vCard file: the first line is not BEGIN:VCARD");
}

#[test]
fn writer_round_trip() {
    let contacts = vec![
        VcardContact {
            full_name: "Иван Петрович Сидоров".into(),
            first_name: Some("Иван".into()),
            last_name: Some("Сидоров".into()),
            middle_name: Some("Петрович".into()),
            title: Some("Директор; по продажам, Москва".into()),
            org: Some("ООО \"Ромашка\"".into()),
            phones: vec![
                ("mobile".into(), "+7 916 555-12-34".into()),
                ("work".into(), "+7 495 123-45-67".into()),
                ("work".into(), "+7 495 123-45-68".into()),
                ("fax".into(), "+7 495 123-45-69".into()),
                ("home".into(), "8 (812) 555-66-77".into()),
                ("other".into(), "8 800 555-35-35".into()),
            ],
            emails: vec![
                ("work".into(), "ivan@example.ru".into()),
                ("personal".into(), "ivan@example.com".into()),
                ("other".into(), "i@example.org".into()),
            ],
            street: Some("ул. Тверская, д. 1; офис 5".into()),
            city: Some("Москва".into()),
            region: Some("Москва".into()),
            postal_code: Some("125009".into()),
            country: Some("Россия".into()),
            birthday: Some("1980-03-15".into()),
            website: Some("https://example.ru/a,b".into()),
            notes: Some(format!("Очень длинная заметка: {}\nвторая строка \\ с обратным слешем", "ёж ".repeat(40))),
            categories: vec!["Клиенты".into(), "VIP, важные".into()],
            uid: Some("urn:uuid:0190a0b4-7d2e-7000-8000-000000000001".into()),
            rev: Some("20240301T103000Z".into()),
        },
        VcardContact {
            full_name: String::new(),
            first_name: Some("민준".into()),
            last_name: Some("김".into()),
            org: Some("한빛소프트".into()),
            phones: vec![("cell".into(), "010-1234-5678".into())],
            birthday: Some("--03-15".into()),
            ..VcardContact::default()
        },
        VcardContact {
            full_name: "Hélène Lefèvre-Gaël".into(),
            notes: Some("Crème brûlée".into()),
            ..Default::default()
        },
    ];
    let mut out = Vec::new();
    for c in &contacts {
        write_vcard(&mut out, c).unwrap();
    }
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:"));
    assert!(text.contains("\r\nTITLE:Директор\\; по продажам\\, Москва\r\n"));
    assert!(text.contains("\r\nBDAY:19800315\r\n") && text.contains("\r\nBDAY:--0315\r\n"));
    assert!(text.contains("\r\nFN:민준 김\r\n"));
    for l in text.split("\r\n") {
        assert!(l.len() <= 75, "line longer than 75 octets: {l:?}");
    }
    assert!(text.split("\r\n").any(|l| l.starts_with(' ')), "the long note must be folded");

    let (_, rows) = read(Format::Vcard, out, &ReadOptions::default());
    let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.unwrap().cells).collect();
    let c = &contacts[0];
    assert_eq!(
        rows[0],
        row(&[
            ("full_name", &c.full_name),
            ("first_name", "Иван"),
            ("last_name", "Сидоров"),
            ("middle_name", "Петрович"),
            ("title", "Директор; по продажам, Москва"),
            ("company", "ООО \"Ромашка\""),
            ("phone_mobile", "+7 916 555-12-34"),
            ("phone_work", "+7 495 123-45-67; +7 495 123-45-68"),
            ("phone_home", "8 (812) 555-66-77"),
            ("phone_fax", "+7 495 123-45-69"),
            ("phone", "8 800 555-35-35"),
            ("email_work", "ivan@example.ru"),
            ("email_personal", "ivan@example.com"),
            ("email", "i@example.org"),
            ("street", "ул. Тверская, д. 1; офис 5"),
            ("city", "Москва"),
            ("region", "Москва"),
            ("postal_code", "125009"),
            ("country", "Россия"),
            ("birthday", "1980-03-15"),
            ("website", "https://example.ru/a,b"),
            ("notes", c.notes.as_deref().unwrap().trim()),
            ("tags", "Клиенты; VIP, важные"),
        ])
    );
    assert_eq!(
        rows[1],
        row(&[
            ("full_name", "민준 김"),
            ("first_name", "민준"),
            ("last_name", "김"),
            ("company", "한빛소프트"),
            ("phone_mobile", "010-1234-5678"),
            ("birthday", "--03-15"),
        ])
    );
    assert_eq!(rows[2], row(&[("full_name", "Hélène Lefèvre-Gaël"), ("notes", "Crème brûlée")]));
}
