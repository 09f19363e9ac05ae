//! The import and export pages over HTTP: a CSV uploaded through the multipart form, its
//! mapping, the preview, the run (the test drives the job queue itself), the report and its
//! downloads, undo; and an export of the contact list through the UI, downloaded.

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{Session, TestApp, drain, form, location, page};

const BOUNDARY: &str = "----clientele-test-boundary-7MA4YWxkTrZu0gW";

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut b: Vec<u8> = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    if let Some((name, content)) = file {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(content);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

/// Posts the upload form as a browser with htmx does (the CSRF token in the header).
async fn upload(s: &Session, app: &TestApp, entity: &str, name: &str, content: &[u8]) -> reqwest::Response {
    s.client
        .post(format!("{}/imports", app.url))
        .header("x-csrf-token", &s.csrf)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&[("_csrf", &s.csrf), ("entity", entity)], Some((name, content))))
        .send()
        .await
        .unwrap()
}

const CSV: &str = "Имя,Фамилия,Телефон,E-mail,Компания\n\
                   Анна,Петрова,8 (495) 123-45-67,anna@example.com,ООО Ромашка\n\
                   Иван,Сидоров,+7 916 555-12-34,not-an-email,\n\
                   Ольга,Смирнова,+7 916 444-55-66,olga@example.com,ООО Ромашка\n";

both!(web_import_upload_map_preview_run_report_undo);
async fn web_import_upload_map_preview_run_report_undo(app: TestApp) {
    let s = app.admin().await;
    let (status, html) = page(&s, &app, "/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"upload-form\""));
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("href=\"/imports\""), "the navigation links to the imports");

    // A file that is no table at all never becomes an import: its error is shown by the form.
    let r = upload(&s, &app, "contacts", "notes.pdf", b"%PDF-1.4\n\x00\x01\x02binary").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"upload-error\""), "{html}");
    assert!(app.services.list_imports(&actor(&app, &s).await).await.unwrap().is_empty());

    // Upload → the wizard with the suggested mapping.
    let r = upload(&s, &app, "contacts", "clients.csv", CSV.as_bytes()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let import_url = location(&r);
    assert!(import_url.starts_with("/imports/"), "{import_url}");
    let (status, html) = page(&s, &app, &import_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"wizard\""));
    assert!(html.contains("clients.csv"));
    for want in ["contact.first_name", "contact.last_name", "contact.email", "company.name"] {
        assert!(html.contains(&format!("<option value=\"{want}\" selected>")), "{want} suggested");
    }
    assert!(html.contains("data-testid=\"suggestion-0\""), "the suggestion and its reason are shown");
    assert!(html.contains("8 (495) 123-45-67"), "samples shown");

    // The mapping posted → the preview: phones normalised, the bad e-mail an error of its cell.
    let mapping = [
        ("map", "contact.first_name"),
        ("map", "contact.last_name"),
        ("map", "contact.phone"),
        ("map", "contact.email"),
        ("map", "company.name"),
    ];
    let mut fields: Vec<(&str, &str)> = mapping.to_vec();
    fields.extend([("duplicates", "skip"), ("tags", "imported"), ("do", "preview")]);
    let r = form(&s, &app, &import_url, &fields).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"preview\""), "{html}");
    assert!(html.contains("8 (495) 123-45-67 → +74951234567"), "normalised phone shown");
    assert_eq!(html.matches("data-testid=\"preview-row\"").count(), 3);
    assert!(html.contains("data-testid=\"preview-error\""), "the bad e-mail is reported");
    assert!(html.contains("class=\"cell-error\""), "the bad cell is highlighted");
    assert!(html.contains("ООО Ромашка"));

    // A target mapped twice is an error beside its column.
    let mut twice: Vec<(&str, &str)> = mapping.to_vec();
    twice[1] = ("map", "contact.first_name");
    twice.push(("do", "preview"));
    let r = form(&s, &app, &import_url, &twice).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("already mapped"));

    // Start → the progress page, polled until done.
    let mut fields: Vec<(&str, &str)> = mapping.to_vec();
    fields.extend([("duplicates", "skip"), ("tags", "imported"), ("do", "import")]);
    let r = form(&s, &app, &import_url, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), import_url);
    let (_, html) = page(&s, &app, &import_url).await;
    assert!(html.contains("data-testid=\"progress\""), "{html}");
    assert!(html.contains("hx-trigger=\"every 1s\""));
    assert!(html.contains("data-testid=\"cancel\""));
    drain(&app).await;
    // The poll of a finished import makes htmx reload the page.
    let r =
        s.client.get(format!("{}{import_url}/progress", app.url)).header("hx-request", "true").send().await.unwrap();
    assert_eq!(r.headers().get("hx-refresh").and_then(|v| v.to_str().ok()), Some("true"));
    let (_, html) = page(&s, &app, &import_url).await;
    assert!(html.contains("data-testid=\"summary\""), "{html}");
    assert!(html.contains("<dd data-testid=\"created\">2</dd>"), "{html}");
    assert!(html.contains("<dd data-testid=\"rejected\">1</dd>"));
    assert_eq!(html.matches("data-testid=\"report-row\"").count(), 1);
    assert!(html.contains("not-an-email"));
    assert!(html.contains("data-testid=\"undo\""));

    // The imported contacts are in the list.
    let (_, list) = page(&s, &app, "/contacts?q=Петрова").await;
    assert!(list.contains("Анна Петрова"));

    // The report as CSV: row number, reasons, then the file's own columns.
    let r = s.client.get(format!("{}{import_url}/report.csv", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let csv = r.text().await.unwrap();
    let csv = csv.trim_start_matches('\u{feff}');
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "Row,Reasons,Имя,Фамилия,Телефон,E-mail,Компания");
    let row = lines.next().unwrap();
    assert!(row.starts_with("3,"), "{row}");
    // Cells that look like formulas are neutralised (`'+7…`), as in every file Clientele writes.
    assert!(row.contains("Иван,Сидоров,'+7 916 555-12-34,not-an-email"), "{row}");
    assert!(lines.next().is_none());
    let r = s.client.get(format!("{}{import_url}/report.xlsx", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(&r.bytes().await.unwrap()[..2], b"PK", "an XLSX file is a zip archive");

    // The list of imports shows it.
    let (_, html) = page(&s, &app, "/imports").await;
    assert!(html.contains("clients.csv") && html.contains("data-testid=\"imports-table\""));

    // Undo: the records go, the undo report says so.
    let r = form(&s, &app, &format!("{import_url}/undo"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    drain(&app).await;
    let (_, html) = page(&s, &app, &import_url).await;
    assert!(html.contains("data-testid=\"undo-report\""), "{html}");
    assert!(!html.contains("data-testid=\"undo\""), "undone once");
    let (_, list) = page(&s, &app, "/contacts?q=Петрова").await;
    assert!(!list.contains("Анна Петрова"));
}

async fn actor(app: &TestApp, s: &Session) -> clientele_core::authz::Actor {
    app.services.authenticate_session(&s.token).await.unwrap().unwrap().0
}

both!(web_export_contacts_as_csv);
async fn web_export_contacts_as_csv(app: TestApp) {
    let s = app.admin().await;
    for (first, phone) in [("Анна", "+7 916 111-22-33"), ("Boris", "+7 916 222-33-44")] {
        let r = s
            .client
            .post(app.api("/contacts"))
            .header("x-csrf-token", &s.csrf)
            .json(&serde_json::json!({"first_name": first, "last_name": "Export", "phones": [{"number": phone}]}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    // The list offers the export, carrying its search.
    let (_, html) = page(&s, &app, "/contacts?q=Export").await;
    assert!(html.contains("data-testid=\"export-list-form\""));
    assert!(html.contains("data-testid=\"bulk-export\""));

    let r = form(
        &s,
        &app,
        "/exports",
        &[("entity", "contacts"), ("q", "Анна"), ("format", "csv"), ("columns", "all"), ("delimiter", ",")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let export_url = location(&r);
    assert!(export_url.starts_with("/exports/"), "{export_url}");
    let (_, html) = page(&s, &app, &export_url).await;
    assert!(html.contains("hx-trigger=\"every 1s\""), "polls while queued");
    drain(&app).await;
    let (_, html) = page(&s, &app, &format!("{export_url}/status")).await;
    assert!(html.contains("data-testid=\"export-download\""), "{html}");
    assert!(!html.contains("hx-trigger"), "stops polling when done");
    let r = s.client.get(format!("{}{export_url}/download", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains(".csv"), "{disposition}");
    let body = r.text().await.unwrap();
    let body = body.trim_start_matches('\u{feff}');
    let mut lines = body.lines();
    let head = lines.next().unwrap();
    assert!(head.contains("First name") || head.contains("Name"), "{head}");
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 1, "only what the search matched: {rest:?}");
    assert!(rest[0].contains("Анна") && rest[0].contains("+79161112233"), "{}", rest[0]);

    // A selection from the bulk form: the form carries the selected ids.
    let id = app.services.list_contacts(&actor(&app, &s).await, &Default::default()).await.unwrap().data[0].id;
    let r = form(&s, &app, "/exports/new?entity=contacts", &[("ids", &id.to_string()), ("action", "add_tag")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("name=\"ids\" value=\"{id}\"")));
    assert!(html.contains("value=\"vcard\""), "vCard offered for contacts");
}
