use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Session, TestApp, fields, problem};

async fn post(s: &Session, app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    s.client.post(app.api(path)).header("x-csrf-token", &s.csrf).json(&body).send().await.unwrap()
}

async fn get(s: &Session, app: &TestApp, path: &str) -> Value {
    let r = s.client.get(app.api(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.json().await.unwrap()
}

async fn upload(s: &Session, app: &TestApp, name: &str, entity: &str, bytes: Vec<u8>) -> reqwest::Response {
    s.client
        .post(app.api(&format!("/imports?file_name={name}&entity={entity}")))
        .header("x-csrf-token", &s.csrf)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn uploaded(s: &Session, app: &TestApp, name: &str, entity: &str, bytes: Vec<u8>) -> Value {
    let r = upload(s, app, name, entity, bytes).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Runs queued jobs until none is left (the test server runs no worker of its own).
async fn work(app: &TestApp) {
    for _ in 0..1000 {
        match app.services.work_once("test-worker").await.unwrap() {
            Some((job, outcome)) => {
                assert_eq!(outcome, clientele_core::service::jobs::JobOutcome::Done, "job {} {}", job.kind, job.id)
            }
            None => return,
        }
    }
    panic!("the queue never drained");
}

async fn run(s: &Session, app: &TestApp, id: &str, dry_run: bool) -> Value {
    let r = s
        .client
        .post(app.api(&format!("/imports/{id}/run?dry_run={dry_run}")))
        .header("x-csrf-token", &s.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/api/v1/imports/{id}"));
    work(app).await;
    get(s, app, &format!("/imports/{id}")).await
}

async fn export(s: &Session, app: &TestApp, body: Value) -> Vec<u8> {
    let r = post(s, app, "/exports", body).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let e: Value = r.json().await.unwrap();
    let id = e["id"].as_str().unwrap().to_owned();
    work(app).await;
    let e = get(s, app, &format!("/exports/{id}")).await;
    assert_eq!(e["status"], "done", "{e}");
    let r = s.client.get(app.api(&format!("/exports/{id}/download"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    r.bytes().await.unwrap().to_vec()
}

fn csv(rows: &[&str]) -> Vec<u8> {
    rows.join("\r\n").into_bytes()
}

both!(a_russian_csv_through_mapping_preview_run_report_and_undo);
async fn a_russian_csv_through_mapping_preview_run_report_and_undo(app: TestApp) {
    let admin = app.admin().await;
    // Already in the base: Петров, by phone.
    let r = post(
        &admin,
        &app,
        "/contacts",
        json!({"first_name": "Пётр", "last_name": "Петров", "phones": ["+7 916 555-12-34"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let file = csv(&[
        "Имя;Фамилия;Телефон;E-mail;Компания;Должность",
        "Иван;Иванов;8 (495) 123-45-67;ivan@romashka.ru;ООО Ромашка;Директор",
        "Мария;Сидорова;89161234567;maria@romashka.ru;ООО Ромашка;Бухгалтер",
        "Пётр;Петров;8 916 555 12 34;;;",
        "Ваня;Иванов;+7 495 123 45 67;;;",
        "Олег;Плохой;12;oleg@@mail;;",
    ]);
    let i = uploaded(&admin, &app, "clients.csv", "contacts", file).await;
    let id = i["id"].as_str().unwrap().to_owned();
    assert_eq!(i["status"], "uploaded");
    assert_eq!(i["rows_total"], 5);
    assert_eq!(i["analysis"]["format"], "csv");
    assert_eq!(i["analysis"]["delimiter"], ";");
    let mapping: Vec<Value> = i["settings"]["mapping"].as_array().unwrap().clone();
    assert_eq!(
        mapping,
        vec![
            json!("contact.first_name"),
            json!("contact.last_name"),
            json!("contact.phone"),
            json!("contact.email"),
            json!("company.name"),
            json!("contact.title")
        ]
    );
    // Preview: phones normalised, a bad row with both cells named, duplicates found.
    let p = get(&admin, &app, &format!("/imports/{id}/preview")).await;
    let rows = p.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["action"], "create");
    assert_eq!(rows[0]["contact"]["phones"][0]["e164"], "+74951234567");
    assert_eq!(rows[0]["company_action"], "create");
    assert_eq!(rows[1]["company_action"], "link", "the second row links to the company the first creates");
    assert_eq!(rows[2]["action"], "skip");
    assert!(rows[2]["duplicate"]["existing_id"].is_string());
    assert_eq!(rows[3]["action"], "skip");
    assert_eq!(rows[3]["duplicate"]["row"], 2, "same phone as row 2 of the file");
    assert_eq!(rows[4]["action"], "reject");
    let headers: Vec<&str> =
        rows[4]["errors"].as_array().unwrap().iter().filter_map(|e| e["header"].as_str()).collect();
    assert!(headers.contains(&"Телефон") && headers.contains(&"E-mail"), "{}", rows[4]["errors"]);

    // A dry run writes nothing.
    let before = get(&admin, &app, "/contacts").await["data"].as_array().unwrap().len();
    let done = run(&admin, &app, &id, true).await;
    assert_eq!(done["status"], "done");
    assert_eq!(
        (done["created"].as_i64(), done["skipped"].as_i64(), done["rejected"].as_i64()),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(get(&admin, &app, "/contacts").await["data"].as_array().unwrap().len(), before);

    // The real run: a new import of the same file.
    let file = csv(&[
        "Имя;Фамилия;Телефон;E-mail;Компания;Должность",
        "Иван;Иванов;8 (495) 123-45-67;ivan@romashka.ru;ООО Ромашка;Директор",
        "Мария;Сидорова;89161234567;maria@romashka.ru;ООО Ромашка;Бухгалтер",
        "Пётр;Петров;8 916 555 12 34;;;",
        "Ваня;Иванов;+7 495 123 45 67;;;",
        "Олег;Плохой;12;oleg@@mail;;",
    ]);
    let i = uploaded(&admin, &app, "clients.csv", "contacts", file).await;
    let id = i["id"].as_str().unwrap().to_owned();
    let done = run(&admin, &app, &id, false).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["rows_done"], 5);
    assert_eq!(
        (done["created"].as_i64(), done["skipped"].as_i64(), done["rejected"].as_i64()),
        (Some(2), Some(2), Some(1))
    );
    // Found by the phone typed another way; one company for both, with its people.
    let found = get(&admin, &app, "/search?q=8%20(495)%20123-45-67").await;
    assert_eq!(found["contacts"][0]["title"], "Иван Иванов");
    let companies = get(&admin, &app, "/companies?q=Ромашка").await;
    assert_eq!(companies["data"].as_array().unwrap().len(), 1);
    let cid = companies["data"][0]["id"].as_str().unwrap();
    let people = get(&admin, &app, &format!("/companies/{cid}/contacts")).await;
    assert_eq!(people["data"].as_array().map(Vec::len), Some(2), "{people}");

    // The report: the refused row and the skipped duplicates, with reasons.
    let report = get(&admin, &app, &format!("/imports/{id}/report")).await;
    let report = report.as_array().unwrap();
    assert_eq!(report.iter().map(|r| r["row_number"].as_i64().unwrap()).collect::<Vec<_>>(), vec![4, 5, 6]);
    assert!(report[1]["errors"][0]["message"].as_str().unwrap().contains("duplicate of row 2"));
    assert_eq!(report[2]["cells"][2], "12");
    let r = admin.client.get(app.api(&format!("/imports/{id}/report?format=csv"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.trim_start_matches('\u{feff}').starts_with("Row,Reasons,Имя,Фамилия"), "{text}");
    assert!(text.contains("Олег"));
    let r = admin.client.get(app.api(&format!("/imports/{id}/report?format=xlsx"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));

    // Undo: what the import created is gone again.
    let r = admin
        .client
        .post(app.api(&format!("/imports/{id}/undo")))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    work(&app).await;
    let undone = get(&admin, &app, &format!("/imports/{id}")).await;
    assert_eq!(undone["status"], "undone");
    assert_eq!(undone["analysis"]["undo"]["removed"], 3, "two contacts and one company: {undone}");
    assert_eq!(get(&admin, &app, "/search?q=Ромашка").await["companies"].as_array().unwrap().len(), 0);
    assert_eq!(get(&admin, &app, "/contacts").await["data"].as_array().unwrap().len(), before);
    // Undoing twice is refused.
    let r = admin
        .client
        .post(app.api(&format!("/imports/{id}/undo")))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    problem(r, 409).await;
}

both!(updating_duplicates_and_undo_restores_them);
async fn updating_duplicates_and_undo_restores_them(app: TestApp) {
    let admin = app.admin().await;
    let r = post(
        &admin,
        &app,
        "/contacts",
        json!({"first_name": "Anne", "last_name": "Martin", "emails": ["anne@martin.fr"], "title": "Buyer"}),
    )
    .await;
    let anne: Value = r.json().await.unwrap();
    let file = csv(&["Prénom;Nom;Courriel;Fonction;Téléphone", "Anne;Martin;anne@martin.fr;Directrice;01 23 45 67 89"]);
    let i = uploaded(&admin, &app, "fr.csv", "contacts", file).await;
    let id = i["id"].as_str().unwrap().to_owned();
    let mut settings = i["settings"].clone();
    settings["duplicates"] = json!("update");
    settings["update_fields"] = json!(["contact.title"]);
    settings["region"] = json!("FR");
    let r = admin
        .client
        .put(app.api(&format!("/imports/{id}")))
        .header("x-csrf-token", &admin.csrf)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let done = run(&admin, &app, &id, false).await;
    assert_eq!(done["updated"], 1, "{done}");
    let c = get(&admin, &app, &format!("/contacts/{}", anne["id"].as_str().unwrap())).await;
    assert_eq!(c["title"], "Directrice");
    assert_eq!(c["phones"][0]["e164"], "+33123456789");
    // Undo puts the record back as it was.
    let r = admin
        .client
        .post(app.api(&format!("/imports/{id}/undo")))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    work(&app).await;
    let c = get(&admin, &app, &format!("/contacts/{}", anne["id"].as_str().unwrap())).await;
    assert_eq!(c["title"], "Buyer");
    assert_eq!(c["phones"].as_array().unwrap().len(), 0);
    let undone = get(&admin, &app, &format!("/imports/{id}")).await;
    assert_eq!(undone["analysis"]["undo"]["restored"], 1);
}

both!(bad_files_and_bad_mappings_are_refused_clearly);
async fn bad_files_and_bad_mappings_are_refused_clearly(app: TestApp) {
    let admin = app.admin().await;
    let body = problem(upload(&admin, &app, "x.csv", "contacts", Vec::new()).await, 422).await;
    assert_eq!(fields(&body), vec!["file"]);
    // A row longer than the header: the error names the row.
    let body =
        problem(upload(&admin, &app, "x.csv", "contacts", csv(&["Name,Phone", "A,1", "B,2,3,4"])).await, 422).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains('3'), "{body}");
    // A binary blob that is no spreadsheet.
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0u8; 64]);
    problem(upload(&admin, &app, "x.xlsx", "contacts", zip).await, 422).await;
    // Mapping to a field that does not exist names the column.
    let i = uploaded(&admin, &app, "ok.csv", "contacts", csv(&["Name,Phone", "Ann Lee,+33123456789"])).await;
    let id = i["id"].as_str().unwrap();
    let r = admin
        .client
        .put(app.api(&format!("/imports/{id}")))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"mapping": ["contact.full_name", "contact.shoe_size"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&problem(r, 422).await), vec!["mapping[1]"]);
    // A read-only user cannot import.
    app.user("readonly", "ro@example.com").await;
    let ro = app.login("ro@example.com").await;
    problem(upload(&ro, &app, "ok.csv", "contacts", csv(&["Name", "A"])).await, 403).await;
}

/// A record without what differs between two databases (ids, times, versions), with its
/// phones as a set of (kind, E.164): exports carry the normalised number, not the typing.
fn comparable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for k in ["id", "version", "created_at", "updated_at", "company_id", "company_links", "owner_id"] {
            o.remove(k);
        }
        let mut phones: Vec<(String, String)> = o["phones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["kind"].as_str().unwrap().to_owned(), p["e164"].as_str().unwrap().to_owned()))
            .collect();
        phones.sort();
        o.insert("phones".into(), json!(phones));
    }
    v
}

both!(exported_views_import_back_equal);
async fn exported_views_import_back_equal(app: TestApp) {
    let admin = app.admin().await;
    let r = post(
        &admin,
        &app,
        "/custom-fields",
        json!({"entity": "contact", "key": "budget", "label": "Budget", "field_type": "number"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r =
        post(&admin, &app, "/companies", json!({"name": "Société Générale d'Essai", "tax_number": "552120222"})).await;
    let company: Value = r.json().await.unwrap();
    let people = [
        json!({"first_name": "Élodie", "last_name": "Dupont", "phones": [{"number": "+33 1 23 45 67 89", "kind": "work"}, {"number": "+33 6 12 34 56 78", "kind": "mobile"}],
               "emails": [{"address": "elodie@essai.fr", "kind": "work"}], "title": "=cmd|' /C calc'!A0", "lifecycle": "customer",
               "tags": ["vip", "paris"], "address": {"city": "Paris", "country": "FR"}, "company_id": company["id"],
               "important_dates": [{"kind": "birthday", "date": "1985-04-12"}], "custom_fields": {"budget": 1500.5}, "notes": "Line one\nline two"}),
        json!({"first_name": "Иван", "last_name": "Иванов", "phones": ["+7 495 123-45-67"], "emails": [{"address": "ivan@example.ru", "kind": "personal"}],
               "source": "website", "tags": ["-minus"]}),
        json!({"first_name": "민준", "last_name": "김", "phones": [{"number": "+82 2-312-3456", "kind": "home"}], "lifecycle": "prospect"}),
    ];
    for p in &people {
        let r = post(&admin, &app, "/contacts", p.clone()).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    }
    let originals = get(&admin, &app, "/contacts?sort=name").await["data"].as_array().unwrap().clone();
    let csv_bytes = export(
        &admin,
        &app,
        json!({"entity": "contacts", "format": "csv", "sort": "name", "bom": true, "delimiter": ";"}),
    )
    .await;
    assert!(csv_bytes.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(csv_bytes.clone()).unwrap();
    assert!(text.contains("'=cmd"), "formula neutralised: {text}");
    let xlsx_bytes = export(&admin, &app, json!({"entity": "contacts", "format": "xlsx"})).await;
    assert!(xlsx_bytes.starts_with(b"PK"));
    let vcf = export(&admin, &app, json!({"entity": "contacts", "format": "vcard"})).await;
    assert_eq!(String::from_utf8(vcf).unwrap().matches("BEGIN:VCARD").count(), 3);

    for (name, bytes) in [("contacts.csv", csv_bytes), ("contacts.xlsx", xlsx_bytes)] {
        // Into an empty database of the same kind.
        let backend = if app.services.backend() == "sqlite" {
            crate::helpers::Backend::Sqlite
        } else {
            crate::helpers::Backend::Postgres
        };
        let other = TestApp::spawn(backend).await.unwrap();
        let admin2 = other.admin().await;
        let r = post(
            &admin2,
            &other,
            "/custom-fields",
            json!({"entity": "contact", "key": "budget", "label": "Budget", "field_type": "number"}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let i = uploaded(&admin2, &other, name, "contacts", bytes).await;
        let unmapped: Vec<&Value> =
            i["analysis"]["columns"].as_array().unwrap().iter().filter(|c| c["suggested"].is_null()).collect();
        assert!(unmapped.is_empty(), "{name}: every exported column maps back: {unmapped:?}");
        let id = i["id"].as_str().unwrap().to_owned();
        let done = run(&admin2, &other, &id, false).await;
        assert_eq!(done["created"], 3, "{name}: {done}");
        let copies = get(&admin2, &other, "/contacts?sort=name").await["data"].as_array().unwrap().clone();
        assert_eq!(copies.len(), originals.len());
        for (a, b) in originals.iter().zip(copies.iter()) {
            assert_eq!(comparable(a), comparable(b), "{name}");
        }
        let copy_company = get(&admin2, &other, "/companies").await;
        assert_eq!(copy_company["data"][0]["name"], "Société Générale d'Essai");
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../clientele-io/fixtures/import").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn named_user(app: &TestApp, role: &str, email: &str, name: &str) {
    app.services
        .create_user(
            &clientele_core::authz::Actor::system("test"),
            clientele_core::service::CreateUserRequest {
                email: email.into(),
                name: name.into(),
                role: role.into(),
                password: crate::helpers::PASSWORD.into(),
                team_id: None,
                locale: None,
                time_zone: None,
            },
        )
        .await
        .unwrap();
}

/// Uploads a fixture, sets the region, runs it; the finished import.
async fn import_fixture(s: &Session, app: &TestApp, name: &str, entity: &str, region: &str) -> Value {
    let i = uploaded(s, app, name, entity, fixture(name)).await;
    let id = i["id"].as_str().unwrap().to_owned();
    let mut settings = i["settings"].clone();
    settings["region"] = json!(region);
    let r = s
        .client
        .put(app.api(&format!("/imports/{id}")))
        .header("x-csrf-token", &s.csrf)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let done = run(s, app, &id, false).await;
    assert_eq!(done["status"], "done", "{name}: {done}");
    done
}

fn counts(i: &Value) -> (i64, i64, i64, i64) {
    (
        i["created"].as_i64().unwrap(),
        i["updated"].as_i64().unwrap(),
        i["skipped"].as_i64().unwrap(),
        i["rejected"].as_i64().unwrap(),
    )
}

both!(messy_files_from_other_systems);
async fn messy_files_from_other_systems(app: TestApp) {
    let admin = app.admin().await;
    named_user(&app, "manager", "manager@example.com", "Demo Manager").await;
    named_user(&app, "head", "head@example.com", "Demo Head").await;

    // Excel in a Russian locale: Windows-1251, `;`, `8 (…)` phones, an impossible phone,
    // a bad e-mail, the same person twice.
    let ru = import_fixture(&admin, &app, "ru_contacts_1251.csv", "contacts", "RU").await;
    assert_eq!(ru["analysis"]["encoding"], "windows-1251");
    assert_eq!(ru["analysis"]["delimiter"], ";");
    assert_eq!(ru["rows_total"], 30);
    assert_eq!(counts(&ru), (27, 0, 1, 2), "{ru}");
    let id = ru["id"].as_str().unwrap();
    let report = get(&admin, &app, &format!("/imports/{id}/report")).await;
    let rows: Vec<i64> = report.as_array().unwrap().iter().map(|r| r["row_number"].as_i64().unwrap()).collect();
    assert_eq!(rows, vec![10, 12, 19]);
    assert_eq!(report[0]["errors"][0]["header"], "Телефон");
    assert_eq!(report[1]["errors"][0]["header"], "E-mail");
    assert!(report[2]["errors"][0]["message"].as_str().unwrap().contains("row 7"));
    let romashka = get(&admin, &app, "/companies?q=Ромашка").await;
    assert_eq!(romashka["data"].as_array().unwrap().len(), 1, "one company for five rows");
    assert_eq!(romashka["data"][0]["tax_number"], "7704123450");
    let people =
        get(&admin, &app, &format!("/companies/{}/contacts", romashka["data"][0]["id"].as_str().unwrap())).await;
    assert_eq!(people["data"].as_array().unwrap().len(), 5);
    // A St Petersburg number typed the Russian way is found.
    let spb = get(&admin, &app, "/search?q=8-812-555-66-77").await;
    assert_eq!(spb["contacts"].as_array().unwrap().len(), 1, "{spb}");

    let fr = import_fixture(&admin, &app, "fr_contacts.csv", "contacts", "FR").await;
    assert_eq!(fr["analysis"]["encoding"], "utf-8");
    assert_eq!(counts(&fr), (20, 0, 0, 0), "{fr}");
    assert_eq!(get(&admin, &app, "/companies?q=Crème").await["data"].as_array().unwrap().len(), 1);
    let durand = get(&admin, &app, "/companies?q=Durand").await;
    assert_eq!(durand["data"][0]["name"], "Durand; Fils & Associés");

    let ko = import_fixture(&admin, &app, "ko_contacts.xlsx", "contacts", "KR").await;
    assert_eq!(ko["analysis"]["format"], "xlsx");
    let ko_report = get(&admin, &app, &format!("/imports/{}/report", ko["id"].as_str().unwrap())).await;
    // Rows 6 (a number cell, 821098765432) and 8 (010-9876-5432) are the same number.
    assert_eq!(counts(&ko), (19, 0, 1, 0), "{ko_report}");
    assert_eq!(ko_report[0]["row_number"], 8);
    assert_eq!(get(&admin, &app, "/search?q=%2B82%202-312-3456").await["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(get(&admin, &app, "/search?q=%2B821098765432").await["contacts"].as_array().unwrap().len(), 1);

    // amoCRM: the preset is recognised; an owner who is no user is refused, by name.
    let amo = import_fixture(&admin, &app, "amocrm_contacts.csv", "contacts", "RU").await;
    assert_eq!(amo["analysis"]["preset"], "amocrm_contacts");
    assert_eq!(counts(&amo).3, 1, "{amo}");
    let id = amo["id"].as_str().unwrap();
    let report = get(&admin, &app, &format!("/imports/{id}/report")).await;
    // (Rows skipped as already in the base are listed too: the fixtures share some numbers.)
    let refused: Vec<&Value> =
        report.as_array().unwrap().iter().filter(|r| r["errors"][0]["field"] != "duplicate").collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["row_number"], 7);
    assert_eq!(refused[0]["errors"][0]["header"], "Ответственный");
    assert!(refused[0]["errors"][0]["message"].as_str().unwrap().contains("Олег Неизвестный"));

    let bitrix = import_fixture(&admin, &app, "bitrix24_contacts.xlsx", "contacts", "RU").await;
    assert_eq!(bitrix["analysis"]["preset"], "bitrix24_contacts");
    assert_eq!(counts(&bitrix).3, 0, "{bitrix}");
    assert!(counts(&bitrix).0 + counts(&bitrix).2 == 20);

    let hub = import_fixture(&admin, &app, "hubspot_contacts.csv", "contacts", "US").await;
    assert_eq!(hub["analysis"]["preset"], "hubspot_contacts");
    let hub_report = get(&admin, &app, &format!("/imports/{}/report", hub["id"].as_str().unwrap())).await;
    assert_eq!(counts(&hub), (20, 0, 0, 0), "{hub_report}");
    let subscriber = get(
        &admin,
        &app,
        "/contacts?filter=%7B%22field%22%3A%22lifecycle%22%2C%22op%22%3A%22eq%22%2C%22value%22%3A%22prospect%22%7D",
    )
    .await;
    assert!(!subscriber["data"].as_array().unwrap().is_empty(), "HubSpot `opportunity` became prospect");

    let pd = import_fixture(&admin, &app, "pipedrive_people.csv", "contacts", "DE").await;
    assert_eq!(pd["analysis"]["preset"], "pipedrive_people");
    // Some people of this file are already in the base from the files before (same numbers).
    assert_eq!((counts(&pd).0 + counts(&pd).2, counts(&pd).3), (20, 0), "{pd}");

    let bg = import_fixture(&admin, &app, "companies_bg.csv", "companies", "BG").await;
    assert_eq!((counts(&bg).0 + counts(&bg).2, counts(&bg).3), (20, 0), "{bg}");
    assert_eq!(get(&admin, &app, "/search?q=%2B359%202%20987%206543").await["companies"].as_array().unwrap().len(), 1);

    let vcf = import_fixture(&admin, &app, "contacts.vcf", "contacts", "RU").await;
    assert_eq!(vcf["analysis"]["format"], "vcf");
    let vcf_report = get(&admin, &app, &format!("/imports/{}/report", vcf["id"].as_str().unwrap())).await;
    // Korean numbers written nationally cannot be read with the Russian default region:
    // those cards are refused, naming the phone; everything else is taken.
    assert_eq!(counts(&vcf).0 + counts(&vcf).2 + counts(&vcf).3, 10, "{vcf_report}");
    for r in vcf_report.as_array().unwrap().iter().filter(|r| r["errors"][0]["field"] != "duplicate") {
        for e in r["errors"].as_array().unwrap() {
            assert!(e["field"].as_str().unwrap().starts_with("contact.phones"), "{r}");
            assert!(e["message"].as_str().unwrap().contains("in RU"), "{r}");
        }
    }
}

both!(the_job_queue_leases_retries_and_buries);
async fn the_job_queue_leases_retries_and_buries(app: TestApp) {
    use clientele_core::domain::job::{Job, JobStatus};
    let store = app.services.store();
    let now = clientele_core::domain::now();
    // One due job, two workers: only one gets it.
    let job = Job::new("nope.unknown", json!({"id": uuid::Uuid::nil()}), None, now);
    store.enqueue(&job).await.unwrap();
    let a = store.claim_job("worker-a", now, now + chrono::Duration::seconds(60)).await.unwrap();
    let b = store.claim_job("worker-b", now, now + chrono::Duration::seconds(60)).await.unwrap();
    assert_eq!(a.as_ref().map(|j| j.id), Some(job.id));
    assert!(b.is_none(), "a leased job is nobody else's");
    // Its worker died: once the lease is over, another worker takes it over.
    let later = now + chrono::Duration::seconds(61);
    let c = store.claim_job("worker-c", later, later + chrono::Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!((c.id, c.attempts), (job.id, 2));
    assert!(!store.extend_lease(job.id, "worker-a", later).await.unwrap(), "the old worker lost it");
    // A failure goes back to the queue for later; the last one buries the job.
    store.fail_job(job.id, "worker-c", "boom", Some(later + chrono::Duration::seconds(40)), later).await.unwrap();
    let j = store.get_job(job.id).await.unwrap().unwrap();
    assert_eq!((j.status, j.last_error.as_deref()), (JobStatus::Queued, Some("boom")));
    assert!(store.claim_job("worker-c", later, later).await.unwrap().is_none(), "not due yet");
    // Unknown kinds cannot succeed: the worker buries the job at once.
    let dead = Job::new("nope.unknown", json!({}), None, now);
    store.enqueue(&dead).await.unwrap();
    let (ran, outcome) = app.services.work_once("test-worker").await.unwrap().unwrap();
    assert_eq!(ran.id, dead.id);
    assert!(matches!(outcome, clientele_core::service::jobs::JobOutcome::Dead(_)));
    let admin = app.admin().await;
    let listed = get(&admin, &app, "/jobs?status=dead").await;
    assert_eq!(listed[0]["id"], json!(dead.id));
    let r = admin
        .client
        .post(app.api(&format!("/jobs/{}/retry", dead.id)))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(store.get_job(dead.id).await.unwrap().unwrap().status, JobStatus::Queued);
    let r = admin
        .client
        .post(app.api(&format!("/jobs/{}/cancel", dead.id)))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The same dedupe key twice is one job.
    let mut k1 = Job::new("x", json!({}), None, now);
    k1.dedupe_key = Some("once".into());
    let mut k2 = Job::new("x", json!({}), None, now);
    k2.dedupe_key = Some("once".into());
    assert_eq!(store.enqueue(&k1).await.unwrap(), store.enqueue(&k2).await.unwrap());
    // Managers see no queue.
    app.user("manager", "m@example.com").await;
    let m = app.login("m@example.com").await;
    let r = m.client.get(app.api("/jobs")).send().await.unwrap();
    problem(r, 403).await;
}

both!(an_import_whose_worker_died_is_taken_over);
async fn an_import_whose_worker_died_is_taken_over(app: TestApp) {
    let admin = app.admin().await;
    let mut rows = vec!["Name;Phone".to_owned()];
    rows.extend(
        (0..2500).map(|i| format!("Person {i};+7 495 {:03}-{:02}-{:02}", 100 + i / 10000, (i / 100) % 100, i % 100)),
    );
    let i = uploaded(&admin, &app, "many.csv", "contacts", rows.join("\n").into_bytes()).await;
    let id = i["id"].as_str().unwrap().to_owned();
    let r = admin
        .client
        .post(app.api(&format!("/imports/{id}/run")))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // A worker claims the job and dies at once (its lease ran out long ago).
    let now = clientele_core::domain::now();
    let claimed = app.services.store().claim_job("dead-worker", now, now - chrono::Duration::seconds(1)).await.unwrap();
    assert!(claimed.is_some());
    work(&app).await;
    let done = get(&admin, &app, &format!("/imports/{id}")).await;
    assert_eq!(
        (done["status"].as_str(), done["created"].as_i64(), done["rows_done"].as_i64()),
        (Some("done"), Some(2500), Some(2500))
    );
    assert_eq!(get(&admin, &app, "/contacts?limit=200").await["data"].as_array().unwrap().len(), 200);
}

both!(a_manager_imports_only_what_the_role_allows);
async fn a_manager_imports_only_what_the_role_allows(app: TestApp) {
    app.admin().await;
    named_user(&app, "manager", "mila@example.com", "Mila Manager").await;
    named_user(&app, "manager", "otto@example.com", "Otto Other").await;
    let mila = app.login("mila@example.com").await;
    let file = csv(&[
        "Name;Phone;Owner",
        "Own Client;+33 1 23 45 67 01;mila@example.com",
        "Someone Else's;+33 1 23 45 67 02;Otto Other",
        "Nobody Named;+33 1 23 45 67 03;",
    ]);
    let i = uploaded(&mila, &app, "mine.csv", "contacts", file).await;
    let id = i["id"].as_str().unwrap().to_owned();
    let done = run(&mila, &app, &id, false).await;
    assert_eq!(counts(&done), (2, 0, 0, 1), "{done}");
    let report = get(&mila, &app, &format!("/imports/{id}/report")).await;
    assert_eq!(report[0]["row_number"], 3);
    // Rows without an owner belong to whoever imports them.
    let mine = get(&mila, &app, "/contacts").await;
    let names: Vec<&str> =
        mine["data"].as_array().unwrap().iter().map(|c| c["display_name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Own Client") && names.contains(&"Nobody Named"), "{names:?}");
    // Another manager sees neither the import nor its report.
    let otto = app.login("otto@example.com").await;
    let r = otto.client.get(app.api(&format!("/imports/{id}"))).send().await.unwrap();
    problem(r, 404).await;
    let r = otto.client.get(app.api(&format!("/imports/{id}/report"))).send().await.unwrap();
    problem(r, 404).await;
}
