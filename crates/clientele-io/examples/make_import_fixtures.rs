//! Writes the import fixtures: realistic, messy contact files as other systems export them.
//!
//! Run: `cargo run -p clientele-io --example make_import_fixtures -- OUT_DIR`
//! (the committed copies live in `crates/clientele-io/fixtures/import/`; a test regenerates them
//! and compares the bytes, so they cannot drift). Every person and company is fictional.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::path::Path;

use clientele_io::{VcardContact, write_vcard};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

fn main() -> io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: make_import_fixtures OUT_DIR");
        std::process::exit(2);
    };
    generate(Path::new(&dir))?;
    println!("fixtures written to {}", Path::new(&dir).display());
    Ok(())
}

/// Writes every fixture file into `dir` (created if needed).
pub fn generate(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("ru_contacts_1251.csv"), ru_contacts())?;
    std::fs::write(dir.join("fr_contacts.csv"), fr_contacts())?;
    std::fs::write(dir.join("ko_contacts.xlsx"), ko_contacts().map_err(io::Error::other)?)?;
    std::fs::write(dir.join("amocrm_contacts.csv"), amocrm_contacts())?;
    std::fs::write(dir.join("bitrix24_contacts.xlsx"), bitrix24_contacts().map_err(io::Error::other)?)?;
    std::fs::write(dir.join("hubspot_contacts.csv"), hubspot_contacts())?;
    std::fs::write(dir.join("pipedrive_people.csv"), pipedrive_people())?;
    std::fs::write(dir.join("companies_bg.csv"), companies_bg())?;
    std::fs::write(dir.join("contacts.vcf"), contacts_vcf()?)?;
    Ok(())
}

/// One CSV line as spreadsheet programs write it: quoted only when needed.
fn csv_line(cells: &[&str], delim: char, eol: &str) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains(delim) || c.contains('"') || c.contains('\n') || c.contains('\r') {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        })
        .collect();
    format!("{}{eol}", quoted.join(&delim.to_string()))
}

/// Russian company tax number (ИНН, 10 digits) with its check digit.
fn inn10(base9: &str) -> String {
    const W: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = base9.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    format!("{base9}{}", sum % 11 % 10)
}

/// Bulgarian company number (ЕИК / BULSTAT, 9 digits) with its check digit.
fn eik9(base8: &str) -> String {
    let d: Vec<u32> = base8.chars().map(|c| c.to_digit(10).unwrap_or(0)).collect();
    let mut check = d.iter().zip(1..=8).map(|(x, w)| x * w).sum::<u32>() % 11;
    if check == 10 {
        check = d.iter().zip(3..=10).map(|(x, w)| x * w).sum::<u32>() % 11;
        if check == 10 {
            check = 0;
        }
    }
    format!("{base8}{check}")
}

/// 1. Windows-1251, `;`, CRLF, as Excel in a Russian locale saves "CSV (разделители — точка с запятой)".
fn ru_contacts() -> Vec<u8> {
    let inn = inn10("770412345");
    let romashka = "ООО \"Ромашка\"";
    let vector = "АО «Вектор-М»";
    let roga = "ООО \"Рога и копыта\"";
    #[rustfmt::skip]
    let rows: Vec<[&str; 10]> = vec![
        ["Иван", "Петров", "Сергеевич", "8 (495) 123-45-67", "i.petrov@romashka.example.ru", romashka, "Генеральный директор", &inn, "Москва", "клиент, vip"],
        ["Мария", "Смирнова", "Алексеевна", "+7 916 234-56-78", "m.smirnova@romashka.example.ru", romashka, "Главный бухгалтер", &inn, "Москва", "клиент"],
        ["Алексей", "Кузнецов", "Викторович", "89031234567", "kuznetsov.av@example.ru", "ИП Кузнецов А. В.", "Индивидуальный предприниматель", "", "Тверь", "партнёр"],
        ["Ольга", "Попова", "Игоревна", "8-812-555-66-77", "o.popova@vector.example.ru", vector, "Менеджер по закупкам", "", "Санкт-Петербург", "лид"],
        ["Дмитрий", "Соколов", "Павлович", "8 (495) 987-65-43", "d.sokolov@vector.example.ru", vector, "Коммерческий директор", "", "Москва", "лид, холодный"],
        ["Сергей", "Волков", "Андреевич", "+7 916 555-12-34", "s.volkov@example.ru", roga, "Директор по развитию", "", "Москва", "партнёр"],
        ["Анна", "Морозова", "Дмитриевна", "89167778899", "anna.morozova@example.ru", "", "", "", "Казань", ""],
        ["Ирина", "Лебедева", "Олеговна", "8 (495) 222-33-44", "i.lebedeva@romashka.example.ru", romashka, "Офис-менеджер", &inn, "Москва", ""],
        ["Николай", "Новиков", "Ильич", "12", "n.novikov@example.ru", "", "Инженер", "", "Екатеринбург", ""],
        ["Татьяна", "Козлова", "Викторовна", "+7 926 111-22-33", "t.kozlova@example.ru", roga, "Бухгалтер", "", "Москва", "клиент"],
        ["Иван", "Егоров", "Петрович", "8-812-333-44-55", "ivan@@mail", "", "Снабженец", "", "Санкт-Петербург", ""],
        ["Екатерина", "Павлова", "Сергеевна", "8 (495) 765-43-21", "e.pavlova@vector.example.ru", vector, "Юрист", "", "Москва", ""],
        [" Андрей ", "Семёнов", "Юрьевич", "89265554433", "a.semenov@example.ru", "", "", "", "Новосибирск", "лид"],
        ["Наталья", "Голубева", "Александровна", "+7 903 444-55-66", "n.golubeva@example.ru", romashka, "Менеджер по продажам", &inn, "Москва", "клиент"],
        ["Пётр", "Виноградов", "Николаевич", "8-812-777-88-99", "p.vinogradov@example.ru", "", "", "", "Санкт-Петербург", ""],
        ["Юлия", "Богданова", "Игоревна", "8 (495) 321-54-76", "yu.bogdanova@example.ru", "", "Маркетолог", "", "Москва", "лид, вебинар"],
        ["Михаил", "Фёдоров", "Олегович", "+7 915 123-98-76", "m.fedorov@example.ru", "", "", "", "Нижний Новгород", ""],
        ["Сергей", "Волков", "Андреевич", "89165551234", "S.Volkov@example.ru", roga, "Директор по развитию", "", "Москва", "партнёр"],
        ["Елена", "Михайлова", "Васильевна", "8 (495) 456-78-90", "e.mikhailova@example.ru", "", "Главный врач", "", "Москва", ""],
        ["Владимир", "Беляев", "Степанович", "89097776655", "v.belyaev@example.ru", "", "", "", "Самара", ""],
        ["Ксения", "Тарасова", "Романовна", "+7 916 808-70-60", "k.tarasova@romashka.example.ru", romashka, "Стажёр", "", "Москва", ""],
        ["Артём", "Белов", "Денисович", "8-812-246-80-24", "a.belov@vector.example.ru", vector, "Логист", "", "Санкт-Петербург", ""],
        ["Людмила", "Комарова", "Геннадьевна", "8 (495) 135-79-13", "l.komarova@example.ru", "", "", "", "Москва", "клиент"],
        ["Роман", "Орлов", "Евгеньевич", "89161112233", "r.orlov@example.ru", "", "Программист", "", "Москва", ""],
        ["Светлана", "Киселёва", "Ивановна", "+7 917 222-44-66", "s.kiseleva@example.ru", "", "", "", "Уфа", ""],
        ["Григорий", "Макаров", "Львович", "8-812-909-10-11", "g.makarov@example.ru", "", "Адвокат", "", "Санкт-Петербург", "vip"],
        ["Дарья", "Андреева", "Максимовна", "8 (495) 680-11-22", "d.andreeva@example.ru", "", "", "", "Москва", ""],
        ["Константин", "Ковалёв", "Аркадьевич", "89857776655", "k.kovalev@example.ru", "", "", "", "Москва", ""],
        ["Вера", "Ильина", "Фёдоровна", "+7 916 303-40-50", "v.ilina@example.ru", "", "Учитель", "", "Москва", ""],
        ["Олег", "Гусев", "Тимурович", "8-812-600-70-80", "o.gusev@example.ru", "", "", "", "Санкт-Петербург", ""],
    ];
    let mut out = csv_line(
        &["Имя", "Фамилия", "Отчество", "Телефон", "E-mail", "Компания", "Должность", "ИНН", "Город", "Теги"],
        ';',
        "\r\n",
    );
    for r in &rows {
        out.push_str(&csv_line(r, ';', "\r\n"));
    }
    // Excel leaves a line of bare delimiters where a formatted but empty row was
    out.push_str(";;;;;;;;;\r\n");
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&out);
    assert!(!unmappable, "every character must exist in Windows-1251");
    bytes.into_owned()
}

/// 2. UTF-8 without BOM, `;`, LF, as a French LibreOffice or a Mac saves it.
fn fr_contacts() -> Vec<u8> {
    #[rustfmt::skip]
    let rows: Vec<[&str; 9]> = vec![
        ["Hélène", "Lefèvre", "01 23 45 67 89", "helene.lefevre@example.fr", "Crème & Cie", "Directrice générale", "Paris", "75011", "France"],
        ["François", "Dubois", "06 12 34 56 78", "f.dubois@example.fr", "Durand; Fils & Associés", "Responsable achats", "Lyon", "69002", "France"],
        ["Gaël", "Moreau", "+33 1 98 76 54 32", "gael.moreau@example.fr", "Société Générale de Façades", "Chef de projet", "Paris", "75008", "France"],
        ["Chloé", "Bérenger", "04 78 12 34 56", "chloe.berenger@example.fr", "Boulangerie Bérenger", "Gérante", "Lyon", "69003", "France"],
        ["Loïc", "Mercier", "07 81 23 45 67", "loic.mercier@example.fr", "", "Consultant indépendant", "Nantes", "44000", "France"],
        ["Anaïs", "Garnier", "05 56 78 90 12", "anais.garnier@example.fr", "Vins & Châteaux SARL", "Responsable export", "Bordeaux", "33000", "France"],
        ["Jérôme", "Faure", "06 98 76 54 32", "jerome.faure@example.fr", "Crème & Cie", "Comptable", "Paris", "75011", "France"],
        ["Élodie", "Rousseau", "03 88 12 34 56", "elodie.rousseau@example.fr", "Alsace Tôlerie", "Assistante de direction", "Strasbourg", "67000", "France"],
        ["Noël", "Blanc", "+33 6 11 22 33 44", "noel.blanc@example.fr", "", "", "Marseille", "13001", "France"],
        ["Maëlle", "Guérin", "02 99 87 65 43", "maelle.guerin@example.fr", "Crêperie du Port", "Propriétaire", "Rennes", "35000", "France"],
        ["Cédric", "Lambert", "01 45 67 89 01", "cedric.lambert@example.fr", "Durand; Fils & Associés", "Directeur\ncommercial (intérim)", "Paris", "75009", "France"],
        ["Bérénice", "Fontaine", "06 45 23 67 89", "berenice.fontaine@example.fr", "", "Architecte", "Lille", "59000", "France"],
        ["Raphaël", "Chevalier", "04 91 23 45 67", "raphael.chevalier@example.fr", "Méditerranée Logistique", "Logisticien", "Marseille", "13002", "France"],
        ["Inès", "Girard", "07 66 55 44 33", "ines.girard@example.fr", "", "", "Toulouse", "31000", "France"],
        ["Aurélien", "Bonnet", "+33 5 61 23 45 67", "aurelien.bonnet@example.fr", "Aéro Pièces", "Ingénieur qualité", "Toulouse", "31400", "France"],
        ["Léa", "François", "01 40 20 30 40", "lea.francois@example.fr", "Crème & Cie", "Chargée de communication", "Paris", "75011", "France"],
        ["Stéphane", "Roux", "06 01 02 03 04", "stephane.roux@example.fr", "", "Artisan", "Nice", "06000", "France"],
        ["Zoé", "Perrin", "03 80 45 67 89", "zoe.perrin@example.fr", "Moutarde & Tradition", "Directrice qualité", "Dijon", "21000", "France"],
        ["Benoît", "Morel", "02 40 12 34 56", "benoit.morel@example.fr", "", "", "Nantes", "44100", "France"],
        ["Camille", "Dupré", "06 77 88 99 00", "camille.dupre@example.fr", "Société Générale de Façades", "Commerciale", "Paris", "75008", "France"],
    ];
    let mut out = csv_line(
        &["Prénom", "Nom", "Téléphone", "Courriel", "Société", "Fonction", "Ville", "Code postal", "Pays"],
        ';',
        "\n",
    );
    for r in &rows {
        out.push_str(&csv_line(r, ';', "\n"));
    }
    out.into_bytes()
}

fn fixed_properties() -> DocProperties {
    let created = ExcelDateTime::from_ymd(2024, 3, 1).and_then(|d| d.and_hms(9, 0, 0)).unwrap();
    DocProperties::new().set_author("Clientele fixtures").set_creation_datetime(&created)
}

/// 3. Korean XLSX; one phone typed as a number (Excel turns it into 821098765432).
fn ko_contacts() -> Result<Vec<u8>, XlsxError> {
    #[rustfmt::skip]
    let rows: Vec<[&str; 6]> = vec![
        ["민준", "김", "02-312-3456", "minjun.kim@hanbit.example.kr", "한빛소프트", "대표이사"],
        ["서연", "이", "010-1234-5678", "seoyeon.lee@hanbit.example.kr", "한빛소프트", "개발팀장"],
        ["도윤", "박", "031-123-4567", "doyun.park@mirae.example.kr", "미래테크", "영업부장"],
        ["하은", "최", "+82 10-2345-6789", "haeun.choi@example.kr", "", "프리랜서"],
        ["시우", "정", "NUMBER", "siwoo.jung@seoul.example.kr", "서울상사", "과장"],
        ["지유", "강", "02-555-1234", "jiyu.kang@seoul.example.kr", "서울상사", "대리"],
        ["주원", "조", "010-9876-5432", "juwon.cho@example.kr", "", ""],
        ["수아", "윤", "051-234-5678", "sua.yoon@busan.example.kr", "부산물산", "사원"],
        ["예준", "장", "010-5555-7777", "yejun.jang@mirae.example.kr", "미래테크", "연구원"],
        ["지아", "임", "02-3456-7890", "jia.lim@hanbit.example.kr", "한빛소프트", "디자이너"],
        ["건우", "한", "010-3333-4444", "gunwoo.han@example.kr", "", "컨설턴트"],
        ["서윤", "오", "032-456-7890", "seoyun.oh@incheon.example.kr", "인천해운", "팀장"],
        ["현우", "서", "010-2222-8888", "hyunwoo.seo@example.kr", "", ""],
        ["민서", "신", "02-789-0123", "minseo.shin@seoul.example.kr", "서울상사", "부장"],
        ["우진", "권", "010-4444-1212", "woojin.kwon@mirae.example.kr", "미래테크", "대리"],
        ["하윤", "황", "053-321-6543", "hayoon.hwang@daegu.example.kr", "대구섬유", "이사"],
        ["준서", "안", "010-6789-0123", "junseo.ahn@example.kr", "", "학생"],
        ["지민", "송", "02-2123-4567", "jimin.song@hanbit.example.kr", "한빛소프트", "인턴"],
        ["은우", "전", "010-8765-4321", "eunwoo.jeon@example.kr", "", ""],
        ["채원", "홍", "042-345-6789", "chaewon.hong@daejeon.example.kr", "대전연구소", "연구원"],
    ];
    let mut wb = Workbook::new();
    wb.set_properties(&fixed_properties());
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("연락처")?;
    for (c, h) in ["이름", "성", "전화번호", "이메일", "회사", "직함"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            match *v {
                "" => {}
                "NUMBER" => {
                    ws.write_number(r, c as u16, 821098765432.0)?;
                }
                _ => {
                    ws.write_string(r, c as u16, *v)?;
                }
            }
        }
    }
    ws.set_column_width(2, 18)?;
    ws.set_column_width(3, 32)?;
    wb.save_to_buffer()
}

/// 4. amoCRM export: UTF-8 with BOM, `,`, several phones in one cell.
fn amocrm_contacts() -> Vec<u8> {
    #[rustfmt::skip]
    let rows: Vec<[&str; 14]> = vec![
        ["24503101", "Иван Петров", "Иван", "Петров", "ООО \"Ромашка\"", "Demo Manager", "01.03.2024 10:15:00", "клиент, vip", "+74951234567, +74951234568", "+79161234567", "i.petrov@romashka.example.ru", "ivan.petrov@example.com", "Генеральный директор", ""],
        ["24503102", "Мария Смирнова", "Мария", "Смирнова", "ООО \"Ромашка\"", "Demo Manager", "01.03.2024 10:16:12", "клиент", "+74951234569", "+79162345678", "m.smirnova@romashka.example.ru", "", "Главный бухгалтер", "Звонить после 14:00"],
        ["24503103", "Алексей Кузнецов", "Алексей", "Кузнецов", "", "Demo Head", "02.03.2024 09:01:45", "партнёр", "", "+79031234567, +79261234567", "", "kuznetsov.av@example.ru", "", ""],
        ["24503104", "Ольга Попова", "Ольга", "Попова", "АО «Вектор-М»", "Demo Manager", "02.03.2024 11:30:00", "лид", "+78125556677", "", "o.popova@vector.example.ru", "", "Менеджер по закупкам", "Пришла с выставки"],
        ["24503105", "Дмитрий Соколов", "Дмитрий", "Соколов", "АО «Вектор-М»", "Demo Head", "03.03.2024 15:45:10", "лид, холодный", "+74959876543", "+79165550011", "d.sokolov@vector.example.ru", "", "Коммерческий директор", ""],
        ["24503106", "Сергей Волков", "Сергей", "Волков", "ООО \"Рога и копыта\"", "Олег Неизвестный", "04.03.2024 08:20:00", "партнёр", "", "+79165551234", "s.volkov@example.ru", "", "Директор по развитию", "Ответственный уволен"],
        ["24503107", "Анна Морозова", "Анна", "Морозова", "", "Demo Manager", "04.03.2024 12:00:00", "", "", "+79167778899", "", "anna.morozova@example.ru", "", ""],
        ["24503108", "Ирина Лебедева", "Ирина", "Лебедева", "ООО \"Ромашка\"", "Demo Manager", "05.03.2024 16:10:30", "", "+74952223344", "", "i.lebedeva@romashka.example.ru", "", "Офис-менеджер", ""],
        ["24503109", "Татьяна Козлова", "Татьяна", "Козлова", "ООО \"Рога и копыта\"", "Demo Head", "05.03.2024 17:00:00", "клиент", "", "+79261112233", "t.kozlova@example.ru", "", "Бухгалтер", ""],
        ["24503110", "Екатерина Павлова", "Екатерина", "Павлова", "АО «Вектор-М»", "Demo Manager", "06.03.2024 10:05:00", "", "+74957654321", "", "e.pavlova@vector.example.ru", "", "Юрист", ""],
        ["24503111", "Андрей Семёнов", "Андрей", "Семёнов", "", "Demo Manager", "06.03.2024 13:13:13", "лид", "", "+79265554433", "", "a.semenov@example.ru", "", ""],
        ["24503112", "Наталья Голубева", "Наталья", "Голубева", "ООО \"Ромашка\"", "Demo Head", "07.03.2024 09:45:00", "клиент", "+74954445566", "+79034445566", "n.golubeva@example.ru", "", "Менеджер по продажам", "Просила КП, скидка 5%"],
        ["24503113", "Пётр Виноградов", "Пётр", "Виноградов", "", "Demo Manager", "07.03.2024 14:30:00", "", "+78127778899", "", "", "p.vinogradov@example.ru", "", ""],
        ["24503114", "Юлия Богданова", "Юлия", "Богданова", "", "Demo Manager", "11.03.2024 10:00:00", "лид, вебинар", "", "+79163215476", "", "yu.bogdanova@example.ru", "Маркетолог", ""],
        ["24503115", "Михаил Фёдоров", "Михаил", "Фёдоров", "", "Demo Head", "11.03.2024 18:20:00", "", "", "+79151239876", "m.fedorov@example.ru", "", "", ""],
        ["24503116", "Елена Михайлова", "Елена", "Михайлова", "", "Demo Manager", "12.03.2024 08:00:00", "", "+74954567890", "", "e.mikhailova@example.ru", "", "Главный врач", ""],
        ["24503117", "Ксения Тарасова", "Ксения", "Тарасова", "ООО \"Ромашка\"", "Demo Manager", "12.03.2024 09:30:00", "", "", "+79168087060", "k.tarasova@romashka.example.ru", "", "Стажёр", ""],
        ["24503118", "Артём Белов", "Артём", "Белов", "АО «Вектор-М»", "Demo Head", "13.03.2024 11:11:11", "", "+78122468024", "", "a.belov@vector.example.ru", "", "Логист", ""],
        ["24503119", "Григорий Макаров", "Григорий", "Макаров", "", "Demo Manager", "13.03.2024 15:00:00", "vip", "+78129091011", "+79169091011, +79859091011", "", "g.makarov@example.ru", "Адвокат", ""],
        ["24503120", "Вера Ильина", "Вера", "Ильина", "", "Demo Head", "14.03.2024 10:40:00", "", "", "+79163034050", "v.ilina@example.ru", "", "Учитель", ""],
    ];
    let mut out = String::from("\u{FEFF}");
    out.push_str(&csv_line(
        &[
            "ID",
            "Полное имя контакта",
            "Имя",
            "Фамилия",
            "Компания",
            "Ответственный",
            "Дата создания контакта",
            "Теги контакта",
            "Рабочий телефон (контакт)",
            "Мобильный телефон (контакт)",
            "Рабочий email (контакт)",
            "Личный email (контакт)",
            "Должность (контакт)",
            "Примечание",
        ],
        ',',
        "\n",
    ));
    for r in &rows {
        out.push_str(&csv_line(r, ',', "\n"));
    }
    out.into_bytes()
}

/// ID, salutation, first, middle, last name, birthday (y, m, d), and the 12 other columns.
type BitrixRow<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, Option<(u16, u8, u8)>, [&'a str; 12]);

/// 5. Bitrix24 export as XLSX, birthdays as real date cells.
fn bitrix24_contacts() -> Result<Vec<u8>, XlsxError> {
    // ID, Обращение, Имя, Отчество, Фамилия, (birthday y-m-d), Должность, Компания, Рабочий телефон,
    // Мобильный телефон, Рабочий e-mail, Частный e-mail, Адрес, Город, Страна, Источник, Ответственный, Комментарий
    #[rustfmt::skip]
    let rows: Vec<BitrixRow> = vec![
        ("101", "г-н", "Иван", "Сергеевич", "Петров", Some((1980, 3, 15)), ["Генеральный директор", "ООО \"Ромашка\"", "+7 (495) 123-45-67", "+7 916 123-45-67", "i.petrov@romashka.example.ru", "", "ул. Лесная, д. 5, оф. 12", "Москва", "Россия", "Звонок", "Demo Manager", ""]),
        ("102", "г-жа", "Мария", "Алексеевна", "Смирнова", Some((1985, 7, 2)), ["Главный бухгалтер", "ООО \"Ромашка\"", "8 495 123-45-69", "", "m.smirnova@romashka.example.ru", "smirnova.m@example.com", "ул. Лесная, д. 5, оф. 12", "Москва", "Россия", "Звонок", "Demo Manager", ""]),
        ("103", "г-н", "Алексей", "Викторович", "Кузнецов", None, ["", "", "", "89031234567", "", "kuznetsov.av@example.ru", "", "Тверь", "Россия", "Рекомендация", "Demo Head", "Знакомый Петрова"]),
        ("104", "г-жа", "Ольга", "Игоревна", "Попова", Some((1990, 11, 30)), ["Менеджер по закупкам", "АО «Вектор-М»", "+78125556677", "", "o.popova@vector.example.ru", "", "Невский пр., д. 100", "Санкт-Петербург", "Россия", "Выставка", "Demo Manager", ""]),
        ("105", "г-н", "Дмитрий", "Павлович", "Соколов", Some((1975, 1, 9)), ["Коммерческий директор", "АО «Вектор-М»", "8 (495) 987-65-43", "+7-916-555-00-11", "d.sokolov@vector.example.ru", "", "", "Москва", "Россия", "Веб-сайт", "Demo Head", ""]),
        ("106", "г-н", "Сергей", "Андреевич", "Волков", None, ["Директор по развитию", "ООО \"Рога и копыта\"", "", "+7 916 555-12-34", "s.volkov@example.ru", "", "", "Москва", "Россия", "Звонок", "Demo Manager", ""]),
        ("107", "г-жа", "Анна", "Дмитриевна", "Морозова", Some((1992, 4, 18)), ["", "", "", "8 916 777 88 99", "", "anna.morozova@example.ru", "", "Казань", "Россия", "Веб-сайт", "Demo Manager", ""]),
        ("108", "г-жа", "Ирина", "Олеговна", "Лебедева", None, ["Офис-менеджер", "ООО \"Ромашка\"", "+7 495 222 33 44", "", "i.lebedeva@romashka.example.ru", "", "", "Москва", "Россия", "Звонок", "Demo Head", ""]),
        ("109", "г-жа", "Татьяна", "Викторовна", "Козлова", Some((1988, 12, 1)), ["Бухгалтер", "ООО \"Рога и копыта\"", "", "+79261112233", "t.kozlova@example.ru", "", "", "Москва", "Россия", "Рекомендация", "Demo Manager", ""]),
        ("110", "г-жа", "Екатерина", "Сергеевна", "Павлова", Some((1983, 6, 25)), ["Юрист", "АО «Вектор-М»", "8 (495) 765-43-21, 8 (495) 765-43-22", "", "e.pavlova@vector.example.ru", "", "", "Москва", "Россия", "Выставка", "Demo Manager", "Два рабочих номера"]),
        ("111", "г-н", "Андрей", "Юрьевич", "Семёнов", None, ["", "", "", "+7 926 555-44-33", "", "a.semenov@example.ru", "", "Новосибирск", "Россия", "Веб-сайт", "Demo Head", ""]),
        ("112", "г-жа", "Наталья", "Александровна", "Голубева", Some((1979, 9, 14)), ["Менеджер по продажам", "ООО \"Ромашка\"", "+7 (495) 444-55-66", "+7 (903) 444-55-66", "n.golubeva@example.ru", "", "", "Москва", "Россия", "Звонок", "Demo Manager", ""]),
        ("113", "г-н", "Пётр", "Николаевич", "Виноградов", None, ["", "", "8 (812) 777-88-99", "", "", "p.vinogradov@example.ru", "", "Санкт-Петербург", "Россия", "Рекомендация", "Demo Manager", ""]),
        ("114", "г-жа", "Юлия", "Игоревна", "Богданова", Some((1995, 2, 28)), ["Маркетолог", "", "", "89163215476", "", "yu.bogdanova@example.ru", "", "Москва", "Россия", "Веб-сайт", "Demo Head", "Вебинар 12.03"]),
        ("115", "г-н", "Михаил", "Олегович", "Фёдоров", Some((1970, 10, 10)), ["", "", "", "+7 915 123 98 76", "m.fedorov@example.ru", "", "", "Нижний Новгород", "Россия", "Звонок", "Demo Manager", ""]),
        ("116", "г-жа", "Елена", "Васильевна", "Михайлова", None, ["Главный врач", "", "8 495 456 78 90", "", "e.mikhailova@example.ru", "", "Ленинский пр., д. 10", "Москва", "Россия", "Выставка", "Demo Head", ""]),
        ("117", "г-жа", "Ксения", "Романовна", "Тарасова", Some((2000, 5, 5)), ["Стажёр", "ООО \"Ромашка\"", "", "+7 916 808 70 60", "k.tarasova@romashka.example.ru", "", "", "Москва", "Россия", "Звонок", "Demo Manager", ""]),
        ("118", "г-н", "Артём", "Денисович", "Белов", None, ["Логист", "АО «Вектор-М»", "+7 812 246-80-24", "", "a.belov@vector.example.ru", "", "", "Санкт-Петербург", "Россия", "Выставка", "Demo Manager", ""]),
        ("119", "г-н", "Григорий", "Львович", "Макаров", Some((1968, 8, 8)), ["Адвокат", "", "8-812-909-10-11", "+7 (916) 909-10-11", "", "g.makarov@example.ru", "", "Санкт-Петербург", "Россия", "Рекомендация", "Demo Head", "VIP"]),
        ("120", "г-жа", "Вера", "Фёдоровна", "Ильина", Some((1987, 3, 3)), ["Учитель", "", "", "+7 916 303-40-50", "v.ilina@example.ru", "", "", "Москва", "Россия", "Веб-сайт", "Demo Manager", ""]),
    ];
    let headers = [
        "ID",
        "Обращение",
        "Имя",
        "Отчество",
        "Фамилия",
        "Дата рождения",
        "Должность",
        "Компания",
        "Рабочий телефон",
        "Мобильный телефон",
        "Рабочий e-mail",
        "Частный e-mail",
        "Адрес",
        "Город",
        "Страна",
        "Источник",
        "Ответственный",
        "Комментарий",
    ];
    let mut wb = Workbook::new();
    wb.set_properties(&fixed_properties());
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Контакты")?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, (id, salutation, first, middle, last, birthday, rest)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, id.parse::<f64>().unwrap_or(0.0))?;
        for (c, v) in [salutation, first, middle, last].iter().enumerate() {
            ws.write_string(r, c as u16 + 1, **v)?;
        }
        if let Some((y, m, d)) = birthday {
            ws.write_datetime_with_format(r, 5, ExcelDateTime::from_ymd(*y, *m, *d)?, &date)?;
        }
        for (c, v) in rest.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16 + 6, *v)?;
            }
        }
    }
    wb.save_to_buffer()
}

/// 6. HubSpot export: UTF-8, `,`.
fn hubspot_contacts() -> Vec<u8> {
    #[rustfmt::skip]
    let rows: Vec<[&str; 16]> = vec![
        ["5101", "Emily", "Carter", "emily.carter@northwind.example.com", "+1 212-555-0147", "+1 917-555-0123", "Northwind Traders", "VP Sales", "Demo Manager", "customer", "New York", "NY", "United States", "350 Fifth Avenue", "10118", "2024-01-15 09:30"],
        ["5102", "James", "Walker", "j.walker@example.com", "(415) 555-0198", "", "Contoso Ltd", "CTO", "Demo Head", "opportunity", "San Francisco", "CA", "United States", "1 Market St", "94105", "2024-01-16 14:02"],
        ["5103", "Olivia", "Bennett", "olivia.bennett@example.co.uk", "+44 20 7946 0321", "+44 7911 123456", "Fabrikam UK", "Office Manager", "Demo Manager", "lead", "London", "", "United Kingdom", "221B Baker Street", "NW1 6XE", "2024-01-20 11:11"],
        ["5104", "Noah", "Hughes", "noah@example.com", "", "+1 646-555-0175", "", "", "Demo Manager", "lead", "Brooklyn", "NY", "United States", "", "11201", "2024-02-01 08:00"],
        ["5105", "Sophia", "Reed", "sophia.reed@northwind.example.com", "+1 212-555-0148", "", "Northwind Traders", "Account Manager", "Demo Head", "customer", "New York", "NY", "United States", "350 Fifth Avenue", "10118", "2024-02-03 16:45"],
        ["5106", "Liam", "O'Connor", "liam.oconnor@example.ie", "+353 1 555 0101", "", "Dublin Widgets", "Founder", "Demo Manager", "opportunity", "Dublin", "", "Ireland", "12 Grafton Street", "D02", "2024-02-05 10:20"],
        ["5107", "Ava", "Mitchell", "ava.mitchell@example.com", "312-555-0111", "", "Lakeside Partners, LLC", "Partner", "Demo Manager", "customer", "Chicago", "IL", "United States", "200 E Randolph St", "60601", "2024-02-07 13:00"],
        ["5108", "Ethan", "Brooks", "ethan.brooks@contoso.example.com", "(415) 555-0199", "+1 415-555-0100", "Contoso Ltd", "Engineer", "Demo Head", "lead", "San Francisco", "CA", "United States", "1 Market St", "94105", "2024-02-10 09:00"],
        ["5109", "Mia", "Foster", "mia.foster@example.com", "", "", "", "", "Demo Manager", "subscriber", "Austin", "TX", "United States", "", "73301", "2024-02-11 17:30"],
        ["5110", "Lucas", "Gray", "lucas.gray@example.com", "+1 617-555-0142", "", "Harbor Analytics", "Data Scientist", "Demo Manager", "opportunity", "Boston", "MA", "United States", "100 Summer St", "02110", "2024-02-14 12:12"],
        ["5111", "Charlotte", "Hayes", "c.hayes@fabrikam.example.co.uk", "+44 161 496 0123", "", "Fabrikam UK", "Finance Director", "Demo Head", "customer", "Manchester", "", "United Kingdom", "1 Piccadilly", "M1 1RG", "2024-02-15 15:15"],
        ["5112", "Benjamin", "Price", "ben.price@example.com", "+1 303-555-0160", "+1 720-555-0161", "", "Consultant", "Demo Manager", "lead", "Denver", "CO", "United States", "", "80202", "2024-02-20 10:00"],
        ["5113", "Amelia", "Ward", "amelia.ward@example.com", "", "+1 206-555-0177", "Evergreen Coffee", "Owner", "Demo Manager", "customer", "Seattle", "WA", "United States", "85 Pike St", "98101", "2024-02-22 08:45"],
        ["5114", "Henry", "Cole", "henry.cole@example.com", "+1 305-555-0133", "", "", "", "Demo Head", "lead", "Miami", "FL", "United States", "", "33101", "2024-02-25 19:05"],
        ["5115", "Harper", "Jenkins", "harper.jenkins@example.com", "+1 512-555-0190", "", "Lone Star Realty", "Broker", "Demo Manager", "opportunity", "Austin", "TX", "United States", "600 Congress Ave", "78701", "2024-03-01 11:00"],
        ["5116", "Jack", "Turner", "jack.turner@example.com", "", "+44 7911 123789", "", "", "Demo Manager", "lead", "Leeds", "", "United Kingdom", "", "LS1 4AP", "2024-03-02 09:09"],
        ["5117", "Evelyn", "Parker", "evelyn.parker@example.com", "+1 202-555-0181", "", "Capitol Advisors", "Lobbyist", "Demo Head", "customer", "Washington", "DC", "United States", "1600 K St NW", "20006", "2024-03-04 14:40"],
        ["5118", "Alexander", "Ross", "alex.ross@example.com", "+1 404-555-0155", "", "", "", "Demo Manager", "lead", "Atlanta", "GA", "United States", "", "30303", "2024-03-05 10:10"],
        ["5119", "Abigail", "Sanders", "abigail.sanders@example.com", "+1 615-555-0129", "+1 615-555-0130", "Music Row Records", "A&R", "Demo Manager", "opportunity", "Nashville", "TN", "United States", "", "37203", "2024-03-06 16:00"],
        ["5120", "Daniel", "Kim", "daniel.kim@example.com", "+1 213-555-0166", "", "Pacific Imports", "Buyer", "Demo Head", "customer", "Los Angeles", "CA", "United States", "", "90012", "2024-03-08 09:25"],
    ];
    let mut out = csv_line(
        &[
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Mobile Phone Number",
            "Company Name",
            "Job Title",
            "Contact owner",
            "Lifecycle Stage",
            "City",
            "State/Region",
            "Country/Region",
            "Street Address",
            "Postal Code",
            "Create Date",
        ],
        ',',
        "\n",
    );
    for r in &rows {
        out.push_str(&csv_line(r, ',', "\n"));
    }
    out.into_bytes()
}

/// 7. Pipedrive people export: UTF-8, `,`.
fn pipedrive_people() -> Vec<u8> {
    #[rustfmt::skip]
    let rows: Vec<[&str; 11]> = vec![
        ["Anna Schmidt", "Anna", "Schmidt", "Berliner Bau GmbH", "anna.schmidt@berlinerbau.example.de", "", "+49 30 12345678", "+49 151 23456789", "Demo Manager", "Hot lead", "1985-07-21"],
        ["Lukas Müller", "Lukas", "Müller", "Berliner Bau GmbH", "lukas.mueller@berlinerbau.example.de", "lukas.m@example.de", "+49 30 12345679", "", "Demo Manager", "Customer", ""],
        ["Sophie Martin", "Sophie", "Martin", "Crème & Cie", "sophie.martin@example.fr", "", "+33 1 42 68 53 00", "+33 6 98 76 54 32", "Demo Head", "Warm lead", "1990-02-14"],
        ["Иван Петров", "Иван", "Петров", "ООО \"Ромашка\"", "i.petrov@romashka.example.ru", "", "+7 495 123-45-67", "+7 916 123-45-67", "Demo Manager", "Customer", "1980-03-15"],
        ["Marco Rossi", "Marco", "Rossi", "Milano Moda Srl", "marco.rossi@example.it", "", "+39 02 1234 5678", "+39 347 123 4567", "Demo Manager", "Cold lead", ""],
        ["Eva Novak", "Eva", "Novak", "", "", "eva.novak@example.cz", "", "+420 601 123 456", "Demo Head", "", "1993-11-05"],
        ["Jan de Vries", "Jan", "de Vries", "Amsterdam Fietsen BV", "jan@amsterdamfietsen.example.nl", "", "+31 20 123 4567", "+31 6 12345678", "Demo Manager", "Customer", ""],
        ["Laura García", "Laura", "García", "Madrid Turismo SL", "laura.garcia@example.es", "", "+34 91 123 45 67", "+34 612 34 56 78", "Demo Manager", "Hot lead", "1988-06-30"],
        ["Piotr Kowalski", "Piotr", "Kowalski", "", "", "piotr.k@example.pl", "", "+48 512 345 678", "Demo Head", "Cold lead", ""],
        ["Emma Johansson", "Emma", "Johansson", "Nordic Design AB", "emma@nordicdesign.example.se", "", "+46 8 123 456 78", "+46 70 123 45 67", "Demo Manager", "Customer", "1979-12-24"],
        ["Felix Weber", "Felix", "Weber", "Berliner Bau GmbH", "felix.weber@berlinerbau.example.de", "", "+49 30 12345680", "+49 160 9876543", "Demo Manager", "Customer", ""],
        ["Chloé Bernard", "Chloé", "Bernard", "", "", "chloe.bernard@example.fr", "", "+33 7 81 23 45 67", "Demo Head", "Warm lead", "1996-04-01"],
        ["Мария Смирнова", "Мария", "Смирнова", "ООО \"Ромашка\"", "m.smirnova@romashka.example.ru", "", "+7 495 123-45-69", "", "Demo Manager", "Customer", ""],
        ["Tomás Silva", "Tomás", "Silva", "Lisboa Vinhos Lda", "tomas.silva@example.pt", "", "+351 21 123 4567", "+351 912 345 678", "Demo Manager", "Hot lead", ""],
        ["Nina Fischer", "Nina", "Fischer", "", "", "nina.fischer@example.de", "", "+49 171 2345678", "Demo Head", "", "1991-09-09"],
        ["Oliver Smith", "Oliver", "Smith", "Fabrikam UK", "oliver.smith@fabrikam.example.co.uk", "", "+44 20 7946 0555", "+44 7911 112233", "Demo Manager", "Customer", ""],
        ["Giulia Bianchi", "Giulia", "Bianchi", "Milano Moda Srl", "giulia.bianchi@example.it", "", "+39 02 1234 5679", "", "Demo Manager", "Customer", "1984-01-17"],
        ["Mateo López", "Mateo", "López", "", "", "mateo.lopez@example.es", "", "+34 622 33 44 55", "Demo Head", "Cold lead", ""],
        ["김민준", "민준", "김", "한빛소프트", "minjun.kim@hanbit.example.kr", "", "+82 2-312-3456", "+82 10-1234-5678", "Demo Manager", "Warm lead", ""],
        ["Léa Dubois", "Léa", "Dubois", "Crème & Cie", "lea.dubois@example.fr", "", "+33 1 42 68 53 01", "", "Demo Manager", "Customer", "1999-08-08"],
    ];
    let mut out = csv_line(
        &[
            "Person - Name",
            "Person - First name",
            "Person - Last name",
            "Person - Organization",
            "Person - Email - Work",
            "Person - Email - Home",
            "Person - Phone - Work",
            "Person - Phone - Mobile",
            "Person - Owner",
            "Person - Labels",
            "Person - Birthday",
        ],
        ',',
        "\n",
    );
    for r in &rows {
        out.push_str(&csv_line(r, ',', "\n"));
    }
    out.into_bytes()
}

/// 8. Bulgarian companies: UTF-8, `,`, CRLF.
fn companies_bg() -> Vec<u8> {
    #[rustfmt::skip]
    let rows: Vec<[&str; 7]> = vec![
        ["Балкан Софт ЕООД", "20345678", "02 987 6543", "office@balkansoft.example.bg", "https://balkansoft.example.bg", "София", "Информационни технологии"],
        ["Родопа Мед АД", "11223344", "+359 88 123 4567", "info@rodopamed.example.bg", "rodopamed.example.bg", "Смолян", "Хранителна промишленост"],
        ["Черно море Логистик ООД", "10312345", "052 612 345", "logistics@chernomore.example.bg", "", "Варна", "Транспорт и логистика"],
        ["Пловдив Принт ЕТ", "11598765", "+359 32 654 321", "print@plovdivprint.example.bg", "https://plovdivprint.example.bg", "Пловдив", "Печатни услуги"],
        ["Витоша Консулт ООД", "20456789", "02 876 5432", "consult@vitosha.example.bg", "", "София", "Консултантски услуги"],
        ["Дунав Агро ЕАД", "11734567", "+359 82 812 345", "agro@dunav.example.bg", "", "Русе", "Селско стопанство"],
        ["Старата Плевен ООД", "11421234", "064 801 234", "office@starata.example.bg", "", "Плевен", "Търговия на дребно"],
        ["Бургас Марин ЕООД", "10278901", "+359 56 841 234", "marine@burgas.example.bg", "https://burgasmarine.example.bg", "Бургас", "Корабоплаване"],
        ["Тракия Вино АД", "12311223", "+359 87 765 4321", "wine@trakia.example.bg", "", "Стара Загора", "Винарство"],
        ["Пирин Турс ЕООД", "10154321", "073 885 123", "tours@pirin.example.bg", "", "Благоевград", "Туризъм"],
        ["София Строй ООД", "20567890", "02 955 1234", "stroy@sofia.example.bg", "", "София", "Строителство"],
        ["Мизия Фарм ЕАД", "10987654", "+359 89 234 5678", "farm@mizia.example.bg", "https://miziafarm.example.bg", "Враца", "Фармация"],
        ["Габрово Текстил ООД", "10765432", "066 801 234", "tekstil@gabrovo.example.bg", "", "Габрово", "Текстилна промишленост"],
        ["Велико Търново Хотели ЕООД", "10456321", "062 601 234", "hotels@vt.example.bg", "", "Велико Търново", "Хотелиерство"],
        ["Сливен Енерджи АД", "11912345", "+359 44 661 234", "energy@sliven.example.bg", "", "Сливен", "Енергетика"],
        ["Шумен Пиво ООД", "12745678", "054 830 123", "pivo@shumen.example.bg", "", "Шумен", "Производство на напитки"],
        ["Хасково Мебел ЕООД", "12612345", "+359 38 661 234", "mebel@haskovo.example.bg", "", "Хасково", "Мебелна промишленост"],
        ["Ямбол Зърно АД", "12898765", "046 661 234", "zarno@yambol.example.bg", "", "Ямбол", "Селско стопанство"],
        ["Кърджали Минерали ООД", "10876543", "+359 361 62 345", "min@kardzhali.example.bg", "", "Кърджали", "Минно дело"],
        ["София Дизайн Студио ЕООД", "20678901", "+359 88 765 4321", "hello@sofiadesign.example.bg", "https://sofiadesign.example.bg", "София", "Дизайн"],
    ];
    let mut out = csv_line(&["Име на фирма", "ЕИК", "Телефон", "Имейл", "Уебсайт", "Град", "Отрасъл"], ',', "\r\n");
    for r in &rows {
        let eik = eik9(r[1]);
        let mut cells: Vec<&str> = r.to_vec();
        cells[1] = &eik;
        out.push_str(&csv_line(&cells, ',', "\r\n"));
    }
    out.into_bytes()
}

/// Fixture 9: ten cards, vCard 3.0 as phones and Google export them (folded by hand), and
/// vCard 4.0 written by this crate's writer.
fn contacts_vcf() -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let v3 = |out: &mut Vec<u8>, lines: &[&str]| {
        out.extend_from_slice(b"BEGIN:VCARD\r\nVERSION:3.0\r\n");
        for l in lines {
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"END:VCARD\r\n");
    };
    v3(
        &mut out,
        &[
            "N:Петров;Иван;Сергеевич;;",
            "FN:Иван Сергеевич Петров",
            "ORG:ООО \"Ромашка\";Дирекция",
            "TITLE:Генеральный директор",
            "TEL;TYPE=WORK,VOICE:+7 495 123-45-67",
            "TEL;TYPE=CELL:+7 916 123-45-67",
            "EMAIL;TYPE=INTERNET,WORK:i.petrov@romashka.example.ru",
            "ADR;TYPE=WORK:;;ул. Лесная\\, д. 5\\, оф. 12;Москва;;125047;Россия",
            "BDAY:1980-03-15",
            "NOTE:Предпочитает звонки утром. Длинная заметка, которая не помещается в одн",
            " у строку и поэтому перенесена по правилам vCard.",
            "CATEGORIES:клиент,vip",
        ],
    );
    v3(
        &mut out,
        &[
            "N:김;민준;;;",
            "FN:김민준",
            "ORG:한빛소프트",
            "TITLE:대표이사",
            "item1.TEL;TYPE=CELL:010-1234-5678",
            "item1.X-ABLabel:휴대전화",
            "item2.TEL:02-312-3456",
            "item2.X-ABLabel:사무실",
            "EMAIL;TYPE=INTERNET:minjun.kim@hanbit.example.kr",
            "URL:https://hanbit.example.kr",
        ],
    );
    v3(
        &mut out,
        &[
            "N:Lefèvre;Hélène;;;",
            "FN:Hélène Lefèvre",
            "ORG:Crème & Cie",
            "TEL;TYPE=WORK:+33 1 23 45 67 89",
            "TEL;TYPE=CELL:+33 6 12 34 56 78",
            "TEL;TYPE=WORK,FAX:+33 1 23 45 67 00",
            "EMAIL;TYPE=WORK:helene.lefevre@example.fr",
            "EMAIL;TYPE=HOME:helene@example.com",
            "ADR;TYPE=WORK:;;12 rue de la Roquette;Paris;Île-de-France;75011;France",
            "BDAY:--0704",
        ],
    );
    v3(
        &mut out,
        &[
            "N:Смирнова;Мария;Алексеевна;;",
            "FN:Мария Смирнова",
            "TEL;TYPE=CELL:+79162345678",
            "TEL;TYPE=HOME:+7 (495) 765-43-21",
            "EMAIL:m.smirnova@romashka.example.ru",
            "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////",
            " ////////////////////////////////////////////////////////////////////wgALCAAB",
            " AAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=",
        ],
    );
    v3(
        &mut out,
        &[
            "N:Иванов;Пётр;;;",
            "FN:Пётр Иванов",
            "TEL;TYPE=WORK:8 (812) 555-66-77",
            "TEL;TYPE=CELL:8 916 555-12-34",
            "TEL;TYPE=CELL:8 926 111-22-33",
            "CATEGORIES:партнёр",
        ],
    );
    let contacts = [
        VcardContact {
            full_name: "Ольга Игоревна Попова".into(),
            first_name: Some("Ольга".into()),
            last_name: Some("Попова".into()),
            middle_name: Some("Игоревна".into()),
            title: Some("Менеджер по закупкам".into()),
            org: Some("АО «Вектор-М»".into()),
            phones: vec![("work".into(), "+7 812 555-66-78".into()), ("mobile".into(), "+7 921 555-66-79".into())],
            emails: vec![("work".into(), "o.popova@vector.example.ru".into())],
            city: Some("Санкт-Петербург".into()),
            country: Some("Россия".into()),
            categories: vec!["лид".into()],
            uid: Some("urn:uuid:0190a0b4-7d2e-7000-8000-000000000006".into()),
            rev: Some("20240301T090000Z".into()),
            ..VcardContact::default()
        },
        VcardContact {
            full_name: "이서연".into(),
            first_name: Some("서연".into()),
            last_name: Some("이".into()),
            org: Some("한빛소프트".into()),
            title: Some("개발팀장".into()),
            phones: vec![("mobile".into(), "+82 10-2345-6789".into()), ("work".into(), "+82 2-3456-7890".into())],
            emails: vec![("work".into(), "seoyeon.lee@hanbit.example.kr".into())],
            birthday: Some("1991-09-14".into()),
            notes: Some("서울 본사 근무. 매주 월요일 회의 참석, 연락은 이메일 우선으로 부탁드립니다.".into()),
            uid: Some("urn:uuid:0190a0b4-7d2e-7000-8000-000000000007".into()),
            ..VcardContact::default()
        },
        VcardContact {
            full_name: "François Dubois".into(),
            first_name: Some("François".into()),
            last_name: Some("Dubois".into()),
            org: Some("Durand; Fils & Associés".into()),
            title: Some("Responsable achats".into()),
            phones: vec![("mobile".into(), "+33 6 98 76 54 32".into()), ("home".into(), "+33 4 78 12 34 56".into())],
            emails: vec![("work".into(), "f.dubois@example.fr".into()), ("home".into(), "francois@example.com".into())],
            street: Some("3 place Bellecour".into()),
            city: Some("Lyon".into()),
            postal_code: Some("69002".into()),
            country: Some("France".into()),
            website: Some("https://durand-fils.example.fr".into()),
            categories: vec!["client".into(), "export, Europe".into()],
            uid: Some("urn:uuid:0190a0b4-7d2e-7000-8000-000000000008".into()),
            ..VcardContact::default()
        },
        VcardContact {
            full_name: "Георги Димитров".into(),
            first_name: Some("Георги".into()),
            last_name: Some("Димитров".into()),
            org: Some("Балкан Софт ЕООД".into()),
            phones: vec![("work".into(), "+359 2 987 6543".into()), ("mobile".into(), "+359 88 123 4567".into())],
            emails: vec![("work".into(), "g.dimitrov@balkansoft.example.bg".into())],
            city: Some("София".into()),
            country: Some("България".into()),
            birthday: Some("--12-01".into()),
            uid: Some("urn:uuid:0190a0b4-7d2e-7000-8000-000000000009".into()),
            ..VcardContact::default()
        },
        VcardContact {
            full_name: "Zoë Ångström-Núñez".into(),
            first_name: Some("Zoë".into()),
            last_name: Some("Ångström-Núñez".into()),
            phones: vec![("fax".into(), "+33 1 98 76 54 00".into()), ("other".into(), "+33 1 98 76 54 32".into())],
            emails: vec![("other".into(), "zoe@example.com".into())],
            notes: Some("Première ligne\nDeuxième ligne; avec des caractères spéciaux: \\ , ;".into()),
            uid: Some("urn:uuid:0190a0b4-7d2e-7000-8000-000000000010".into()),
            ..VcardContact::default()
        },
    ];
    for c in &contacts {
        write_vcard(&mut out, c)?;
    }
    Ok(out)
}
