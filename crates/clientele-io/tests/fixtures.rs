//! The committed import fixtures: they are exactly what the generator writes, they read as
//! documented in `fixtures/import/README.md`, and their phone numbers are valid for their
//! country except the deliberately bad ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../examples/make_import_fixtures.rs"]
mod make_import_fixtures;

use std::path::{Path, PathBuf};

use clientele_io::{Format, ReadOptions, Row, Table, detect_format};
use phonenumber::country::Id;

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/import")
}

const FILES: [&str; 9] = [
    "ru_contacts_1251.csv",
    "fr_contacts.csv",
    "ko_contacts.xlsx",
    "amocrm_contacts.csv",
    "bitrix24_contacts.xlsx",
    "hubspot_contacts.csv",
    "pipedrive_people.csv",
    "companies_bg.csv",
    "contacts.vcf",
];

#[test]
fn committed_fixtures_are_exactly_what_the_generator_writes() {
    let dir = std::env::temp_dir().join(format!("clientele-io-fixtures-{}", std::process::id()));
    make_import_fixtures::generate(&dir).unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
    for name in FILES {
        let fresh = std::fs::read(dir.join(name)).unwrap();
        let old = std::fs::read(committed().join(name))
            .unwrap_or_else(|_| panic!("{name} is not committed: run the make_import_fixtures example"));
        assert!(fresh == old, "{name} differs from the generator's output: regenerate the fixtures");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

struct Read {
    table: Table,
    rows: Vec<Row>,
}

fn read(name: &str) -> Read {
    let bytes = std::fs::read(committed().join(name)).unwrap();
    let format = detect_format(Some(name), &bytes).unwrap();
    let mut table = Table::open(format, Box::new(std::io::Cursor::new(bytes)), &ReadOptions::default()).unwrap();
    let rows = table.by_ref().map(|r| r.unwrap()).collect();
    Read { table, rows }
}

fn col(r: &Read, header: &str) -> usize {
    r.table.headers().iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header}"))
}

fn cell<'a>(r: &'a Read, row: u64, header: &str) -> &'a str {
    let i = col(r, header);
    &r.rows.iter().find(|x| x.number == row).unwrap_or_else(|| panic!("no row {row}")).cells[i]
}

/// E.164 of a phone, if libphonenumber's metadata says it is valid for the region.
///
/// Works around a bug of the `phonenumber` crate (0.3.10, rust-phonenumber issue #76): it strips
/// a national prefix from numbers whose national part starts with the same digit, so
/// `+7 812 555-66-77` (St Petersburg) or `8 800 ...` become 9-digit numbers and invalid. Here a
/// Russian `8XXXXXXXXXX` is written `+7XXXXXXXXXX`, and an international number is parsed with a
/// default region (US, prefix `1`) that strips nothing from it — checked by comparing digits.
fn e164(phone: &str, region: Id) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let international = if phone.trim_start().starts_with('+') {
        Some(format!("+{digits}"))
    } else if region == Id::RU && digits.len() == 11 && digits.starts_with('8') {
        Some(format!("+7{}", &digits[1..]))
    } else {
        None
    };
    let valid = |n: phonenumber::PhoneNumber| {
        phonenumber::is_valid(&n).then(|| n.format().mode(phonenumber::Mode::E164).to_string())
    };
    match international {
        Some(intl) => [None, Some(Id::US)]
            .into_iter()
            .filter_map(|r| phonenumber::parse(r, &intl).ok().and_then(valid))
            .find(|e| *e == intl),
        None => phonenumber::parse(Some(region), phone).ok().and_then(valid),
    }
}

/// Checks every phone in the columns; returns the (row, phone) pairs that are invalid.
fn invalid_phones(r: &Read, columns: &[&str], region: impl Fn(&Row) -> Id) -> Vec<(u64, String)> {
    let mut bad = Vec::new();
    for row in &r.rows {
        for c in columns {
            for phone in row.cells[col(r, c)].split(", ").filter(|p| !p.is_empty()) {
                if e164(phone, region(row)).is_none() {
                    bad.push((row.number, phone.to_string()));
                }
            }
        }
    }
    bad
}

#[test]
fn ru_contacts_1251() {
    let r = read("ru_contacts_1251.csv");
    let d = r.table.detected();
    assert_eq!((d.format, d.encoding.as_deref(), d.delimiter), (Format::Csv, Some("windows-1251"), Some(';')));
    assert_eq!(
        r.table.headers(),
        ["Имя", "Фамилия", "Отчество", "Телефон", "E-mail", "Компания", "Должность", "ИНН", "Город", "Теги"]
    );
    assert_eq!(r.rows.len(), 30);
    assert_eq!(r.rows.last().unwrap().number, 31, "the trailing line of bare delimiters is skipped");
    assert_eq!(invalid_phones(&r, &["Телефон"], |_| Id::RU), vec![(10, "12".to_string())]);
    let bad_emails: Vec<u64> = r.rows.iter().filter(|x| x.cells[4].contains("@@")).map(|x| x.number).collect();
    assert_eq!(bad_emails, vec![12]);
    assert_eq!(cell(&r, 12, "E-mail"), "ivan@@mail");
    // the in-file duplicate: rows 7 and 19, the same mobile in two notations
    assert_eq!(cell(&r, 7, "Телефон"), "+7 916 555-12-34");
    assert_eq!(cell(&r, 19, "Телефон"), "89165551234");
    assert_eq!(e164(cell(&r, 7, "Телефон"), Id::RU), e164(cell(&r, 19, "Телефон"), Id::RU));
    let phones: Vec<String> = r.rows.iter().filter_map(|x| e164(&x.cells[3], Id::RU)).collect();
    let mut unique = phones.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(phones.len() - unique.len(), 1, "exactly one duplicate phone");
    // companies repeat; only ООО "Ромашка" has an ИНН
    let romashka: Vec<&Row> = r.rows.iter().filter(|x| x.cells[5] == "ООО \"Ромашка\"").collect();
    assert_eq!(romashka.len(), 5);
    let inns: Vec<&str> = r.rows.iter().map(|x| x.cells[7].as_str()).filter(|i| !i.is_empty()).collect();
    assert_eq!(inns.len(), 4);
    assert!(inns.iter().all(|i| *i == "7704123450"));
    assert_eq!(r.rows.iter().filter(|x| x.cells[5] == "АО «Вектор-М»").count(), 4);
    assert_eq!(cell(&r, 14, "Имя"), "Андрей", "cells are trimmed");
}

#[test]
fn fr_contacts() {
    let r = read("fr_contacts.csv");
    let d = r.table.detected();
    assert_eq!((d.encoding.as_deref(), d.delimiter), (Some("utf-8"), Some(';')));
    assert_eq!(
        r.table.headers(),
        ["Prénom", "Nom", "Téléphone", "Courriel", "Société", "Fonction", "Ville", "Code postal", "Pays"]
    );
    assert_eq!(r.rows.len(), 20);
    assert_eq!(invalid_phones(&r, &["Téléphone"], |_| Id::FR), Vec::<(u64, String)>::new());
    assert_eq!(cell(&r, 3, "Société"), "Durand; Fils & Associés");
    assert_eq!(cell(&r, 12, "Fonction"), "Directeur\ncommercial (intérim)");
    assert_eq!(r.rows.last().unwrap().number, 21);
}

#[test]
fn ko_contacts() {
    let r = read("ko_contacts.xlsx");
    let d = r.table.detected();
    assert_eq!((d.format, d.sheet.as_deref()), (Format::Xlsx, Some("연락처")));
    assert_eq!(r.table.headers(), ["이름", "성", "전화번호", "이메일", "회사", "직함"]);
    assert_eq!(r.rows.len(), 20);
    assert_eq!(cell(&r, 6, "전화번호"), "821098765432", "the number cell reads without .0 nor exponent");
    // the number cell holds the country code without `+`; libphonenumber still reads it for KR
    assert_eq!(invalid_phones(&r, &["전화번호"], |_| Id::KR), Vec::<(u64, String)>::new());
    assert_eq!(e164("821098765432", Id::KR).as_deref(), Some("+821098765432"));
}

#[test]
fn amocrm_contacts() {
    let r = read("amocrm_contacts.csv");
    let d = r.table.detected();
    assert_eq!((d.encoding.as_deref(), d.delimiter), (Some("utf-8"), Some(',')));
    assert_eq!(r.table.headers()[0], "ID", "the BOM does not stick to the first header");
    assert_eq!(r.table.headers().len(), 14);
    assert_eq!(r.rows.len(), 20);
    assert_eq!(
        invalid_phones(&r, &["Рабочий телефон (контакт)", "Мобильный телефон (контакт)"], |_| Id::RU),
        Vec::<(u64, String)>::new()
    );
    assert_eq!(cell(&r, 2, "Рабочий телефон (контакт)"), "+74951234567, +74951234568");
    assert_eq!(cell(&r, 2, "Теги контакта"), "клиент, vip");
    let unknown: Vec<u64> = r.rows.iter().filter(|x| x.cells[5] == "Олег Неизвестный").map(|x| x.number).collect();
    assert_eq!(unknown, vec![7]);
    assert!(r.rows.iter().all(|x| ["Demo Manager", "Demo Head", "Олег Неизвестный"].contains(&x.cells[5].as_str())));
}

#[test]
fn bitrix24_contacts() {
    let r = read("bitrix24_contacts.xlsx");
    assert_eq!(r.table.headers().len(), 18);
    assert_eq!(r.table.headers()[5], "Дата рождения");
    assert_eq!(r.rows.len(), 20);
    assert_eq!(cell(&r, 2, "ID"), "101");
    assert_eq!(cell(&r, 2, "Дата рождения"), "1980-03-15");
    assert_eq!(cell(&r, 4, "Дата рождения"), "");
    assert_eq!(invalid_phones(&r, &["Рабочий телефон", "Мобильный телефон"], |_| Id::RU), Vec::<(u64, String)>::new());
    assert_eq!(cell(&r, 11, "Рабочий телефон"), "8 (495) 765-43-21, 8 (495) 765-43-22");
}

#[test]
fn hubspot_contacts() {
    let r = read("hubspot_contacts.csv");
    assert_eq!(r.table.headers().len(), 16);
    assert_eq!(r.rows.len(), 20);
    let country = col(&r, "Country/Region");
    let bad = invalid_phones(&r, &["Phone Number", "Mobile Phone Number"], |row| match row.cells[country].as_str() {
        "United Kingdom" => Id::GB,
        "Ireland" => Id::IE,
        _ => Id::US,
    });
    assert_eq!(bad, Vec::<(u64, String)>::new());
    let stages: std::collections::BTreeSet<&str> = r.rows.iter().map(|x| x.cells[9].as_str()).collect();
    assert_eq!(stages.into_iter().collect::<Vec<_>>(), ["customer", "lead", "opportunity", "subscriber"]);
    assert_eq!(cell(&r, 8, "Company Name"), "Lakeside Partners, LLC");
}

#[test]
fn pipedrive_people() {
    let r = read("pipedrive_people.csv");
    assert_eq!(r.table.headers().len(), 11);
    assert_eq!(r.rows.len(), 20);
    assert_eq!(
        invalid_phones(&r, &["Person - Phone - Work", "Person - Phone - Mobile"], |_| Id::US),
        Vec::<(u64, String)>::new()
    );
    assert_eq!(cell(&r, 2, "Person - Birthday"), "1985-07-21");
}

#[test]
fn companies_bg() {
    let r = read("companies_bg.csv");
    let d = r.table.detected();
    assert_eq!((d.encoding.as_deref(), d.delimiter), (Some("utf-8"), Some(',')));
    assert_eq!(r.table.headers(), ["Име на фирма", "ЕИК", "Телефон", "Имейл", "Уебсайт", "Град", "Отрасъл"]);
    assert_eq!(r.rows.len(), 20);
    assert_eq!(invalid_phones(&r, &["Телефон"], |_| Id::BG), Vec::<(u64, String)>::new());
    assert!(r.rows.iter().all(|x| x.cells[1].len() == 9));
}

#[test]
fn contacts_vcf() {
    let r = read("contacts.vcf");
    assert_eq!(r.table.detected().format, Format::Vcard);
    assert_eq!(r.rows.len(), 10);
    assert_eq!(cell(&r, 1, "full_name"), "Иван Сергеевич Петров");
    assert_eq!(
        cell(&r, 1, "notes"),
        "Предпочитает звонки утром. Длинная заметка, которая не помещается в одну строку и поэтому перенесена по правилам vCard."
    );
    assert_eq!(cell(&r, 1, "street"), "ул. Лесная, д. 5, оф. 12");
    assert_eq!(cell(&r, 2, "phone_mobile"), "010-1234-5678");
    assert_eq!(cell(&r, 2, "phone"), "02-312-3456");
    assert_eq!(cell(&r, 3, "phone_fax"), "+33 1 23 45 67 00");
    assert_eq!(cell(&r, 3, "birthday"), "--07-04");
    assert_eq!(cell(&r, 5, "phone_mobile"), "8 916 555-12-34; 8 926 111-22-33");
    assert_eq!(cell(&r, 7, "birthday"), "1991-09-14");
    assert_eq!(cell(&r, 8, "tags"), "client; export, Europe");
    assert_eq!(cell(&r, 10, "notes"), "Première ligne\nDeuxième ligne; avec des caractères spéciaux: \\ , ;");
    for row in &r.rows {
        for c in ["phone_mobile", "phone_work", "phone_home", "phone_fax", "phone"] {
            for p in row.cells[col(&r, c)].split("; ").filter(|p| !p.is_empty()) {
                let region = if p.starts_with('8') && !p.starts_with("82") { Id::RU } else { Id::KR };
                assert!(e164(p, region).is_some(), "card {}: {p}", row.number);
            }
        }
    }
}
