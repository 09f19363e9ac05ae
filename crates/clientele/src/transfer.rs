//! `clientele import` and `clientele export`: the import and export of the web UI and the
//! API, for administrators and scripts, with a progress bar on the terminal.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use clientele_core::authz::{Actor, ActorKind};
use clientele_core::domain::export::{ExportFormat, ExportRequest, ExportStatus};
use clientele_core::domain::import::{DuplicatePolicy, ImportStatus};
use clientele_core::domain::import_map::ImportEntity;
use clientele_core::service::{NewImport, Services};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::explain;
use crate::config::Config;
use crate::startup;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: CSV, XLSX, XLS, ODS or vCard.
    pub file: PathBuf,
    /// What the file mainly holds: contacts or companies.
    #[arg(long, default_value = "contacts")]
    pub entity: String,
    /// A built-in preset (amocrm_contacts, bitrix24_contacts, hubspot_contacts, pipedrive_people, ...)
    /// or the id of a saved one. Default: detected from the headers.
    #[arg(long)]
    pub preset: Option<String>,
    /// A JSON file with the mapping: an array of field keys per column (null to skip), or an
    /// object of header → field key.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Region for phone numbers without a country code, e.g. RU, FR, KR, BG.
    #[arg(long)]
    pub region: Option<String>,
    /// Text encoding of a CSV file (default: detected), e.g. windows-1251.
    #[arg(long)]
    pub encoding: Option<String>,
    /// CSV delimiter (default: detected).
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Rows matching an existing record: skip, update or create.
    #[arg(long, default_value = "skip")]
    pub duplicates: String,
    /// With --duplicates update: fields to overwrite (comma-separated keys).
    #[arg(long, value_delimiter = ',')]
    pub update_fields: Vec<String>,
    /// Tags added to every imported record (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tag: Vec<String>,
    /// Check every row and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Act as this user (default: the first administrator).
    #[arg(long = "as")]
    pub as_user: Option<String>,
    /// Write the report (rows refused or skipped) to this CSV file.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// contacts or companies.
    #[arg(long, default_value = "contacts")]
    pub entity: String,
    /// csv, xlsx or vcard.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Output file.
    #[arg(long, short)]
    pub out: PathBuf,
    /// A saved view's id: its filter, sort and columns.
    #[arg(long)]
    pub view: Option<uuid::Uuid>,
    /// A filter as JSON, e.g. '{"field":"lifecycle","op":"eq","value":"customer"}'.
    #[arg(long)]
    pub filter: Option<String>,
    /// Free-text search.
    #[arg(long)]
    pub q: Option<String>,
    /// all or visible.
    #[arg(long, default_value = "all")]
    pub columns: String,
    /// CSV delimiter: , ; \t or |.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Start a CSV with a byte order mark (for Excel).
    #[arg(long)]
    pub bom: bool,
    /// Act as this user (default: the first administrator).
    #[arg(long = "as")]
    pub as_user: Option<String>,
}

async fn acting(services: &Services, email: Option<&str>) -> anyhow::Result<Actor> {
    let users = services.all_users().await.map_err(anyhow::Error::new)?;
    let user = match email {
        Some(e) => users.into_iter().find(|u| u.email.eq_ignore_ascii_case(e) && u.active),
        None => users.into_iter().find(|u| u.active && u.role == clientele_core::domain::user::Role::Admin),
    }
    .context("no such active user: pass --as EMAIL of an existing user (or create an administrator first)")?;
    services
        .actor_for(user.id, ActorKind::ApiToken)
        .await
        .map_err(anyhow::Error::new)?
        .context("the user is not active")
}

fn bar(total: u64) -> ProgressBar {
    let pb = if std::io::stderr().is_terminal() { ProgressBar::new(total) } else { ProgressBar::hidden() };
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} rows ({per_sec}, {eta} left) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// Runs the job queue in this process until `done` says the work is over.
async fn with_worker<F, Fut>(services: &Services, mut poll: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn({
        let s = services.clone();
        async move { s.run_worker(startup::worker_id(), Duration::from_millis(200), stop_rx).await }
    });
    let result = loop {
        match poll().await {
            Ok(true) => break Ok(()),
            Ok(false) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => break Err(e),
        }
    };
    let _ = stop_tx.send(true);
    let _ = worker.await;
    result
}

pub async fn import(cfg: Config, args: ImportArgs) -> anyhow::Result<()> {
    let services = startup::services(&cfg, startup::open_store(&cfg).await?);
    let actor = acting(&services, args.as_user.as_deref()).await?;
    let entity = match args.entity.as_str() {
        "contacts" => ImportEntity::Contacts,
        "companies" => ImportEntity::Companies,
        other => bail!("--entity {other}: expected contacts or companies"),
    };
    let duplicates = match args.duplicates.as_str() {
        "skip" => DuplicatePolicy::Skip,
        "update" => DuplicatePolicy::Update,
        "create" => DuplicatePolicy::Create,
        other => bail!("--duplicates {other}: expected skip, update or create"),
    };
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into());
    let mut f = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let blocks = std::iter::from_fn(move || {
        let mut buf = vec![0_u8; 1 << 20];
        match f.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some(Ok(buf))
            }
            Err(e) => Some(Err(e)),
        }
    });
    let file =
        services.store_file(&name, "application/octet-stream", Some(actor.user_id), blocks).await.map_err(explain)?;
    let first = clientele_core::domain::import::ImportSettings {
        encoding: args.encoding.clone(),
        delimiter: args.delimiter.clone(),
        preset: args.preset.clone(),
        region: args.region.clone(),
        ..Default::default()
    };
    let mut i = services
        .create_import(&actor, NewImport { file_name: name.clone(), entity }, file, first)
        .await
        .map_err(explain)?;
    let mut settings = i.settings.clone();
    if let Some(path) = &args.mapping {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
        settings.mapping = match v {
            serde_json::Value::Array(items) => items.into_iter().map(|x| x.as_str().map(str::to_owned)).collect(),
            serde_json::Value::Object(m) => i
                .analysis
                .columns
                .iter()
                .map(|c| m.get(&c.header).and_then(|x| x.as_str()).map(str::to_owned))
                .collect(),
            _ => bail!("{}: expected an array or an object", path.display()),
        };
    }
    settings.duplicates = duplicates;
    settings.update_fields = args.update_fields.clone();
    settings.tags = args.tag.clone();
    i = services.configure_import(&actor, i.id, settings, None).await.map_err(explain)?;
    let a = &i.analysis;
    eprintln!(
        "{}: {} rows, {}{}{}{}",
        name,
        i.rows_total,
        a.format,
        a.encoding.as_deref().map(|e| format!(", {e}")).unwrap_or_default(),
        a.delimiter.as_deref().map(|d| format!(", delimiter `{d}`")).unwrap_or_default(),
        a.preset.as_deref().map(|p| format!(", preset {p}")).unwrap_or_default(),
    );
    for (c, t) in a.columns.iter().zip(i.settings.mapping.iter()) {
        eprintln!("  {:<32} → {}", c.header, t.as_deref().unwrap_or("(skipped)"));
    }
    let id = i.id;
    services.start_import(&actor, id, args.dry_run).await.map_err(explain)?;
    let pb = bar(i.rows_total.max(0) as u64);
    let started = std::time::Instant::now();
    with_worker(&services, || {
        let (s, a, pb) = (services.clone(), actor.clone(), pb.clone());
        async move {
            let cur = s.get_import(&a, id).await.map_err(explain)?;
            pb.set_position(cur.rows_done.max(0) as u64);
            pb.set_message(format!(
                "{} new, {} updated, {} skipped, {} refused",
                cur.created, cur.updated, cur.skipped, cur.rejected
            ));
            Ok(!cur.status.is_active())
        }
    })
    .await?;
    pb.finish_and_clear();
    let done = services.get_import(&actor, id).await.map_err(explain)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} {}: {} rows in {:.1} s ({:.0} rows/s): {} created, {} updated, {} skipped, {} refused{}",
        if done.dry_run { "Dry run of import" } else { "Import" },
        done.id,
        done.rows_done,
        secs,
        done.rows_done as f64 / secs.max(0.001),
        done.created,
        done.updated,
        done.skipped,
        done.rejected,
        done.error.as_deref().map(|e| format!(" — {e}")).unwrap_or_default()
    );
    if done.status != ImportStatus::Done {
        bail!("the import ended as {}", done.status.as_str());
    }
    if done.rejected + done.skipped > 0 {
        match &args.report {
            Some(path) => {
                let (_, _, bytes) =
                    services.import_report_file(&actor, id, "csv", ["Row", "Reasons"]).await.map_err(explain)?;
                std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
                println!("Report of the rows not imported: {}", path.display());
            }
            None => {
                for r in services.import_report(&actor, id, 0, 10).await.map_err(explain)? {
                    let why: Vec<String> = r.errors.iter().map(|e| e.message.clone()).collect();
                    println!("  row {}: {}", r.row_number, why.join("; "));
                }
                println!("(all of them with --report FILE.csv)");
            }
        }
    }
    Ok(())
}

pub async fn export(cfg: Config, args: ExportArgs) -> anyhow::Result<()> {
    let services = startup::services(&cfg, startup::open_store(&cfg).await?);
    let actor = acting(&services, args.as_user.as_deref()).await?;
    let format =
        ExportFormat::parse(&args.format).with_context(|| format!("--format {}: csv, xlsx or vcard", args.format))?;
    let req = ExportRequest {
        entity: args.entity.clone(),
        format,
        ids: Vec::new(),
        q: args.q.clone(),
        filter: args.filter.clone(),
        view: args.view,
        sort: None,
        columns: Some(args.columns.clone()),
        delimiter: args.delimiter.clone(),
        bom: args.bom,
    };
    let e = services.create_export(&actor, req).await.map_err(explain)?;
    let id = e.id;
    let pb = bar(0);
    with_worker(&services, || {
        let (s, a, pb) = (services.clone(), actor.clone(), pb.clone());
        async move {
            let cur = s.get_export(&a, id).await.map_err(explain)?;
            pb.set_position(cur.rows_done.max(0) as u64);
            Ok(matches!(cur.status, ExportStatus::Done | ExportStatus::Failed))
        }
    })
    .await?;
    pb.finish_and_clear();
    let done = services.get_export(&actor, id).await.map_err(explain)?;
    if done.status != ExportStatus::Done {
        bail!("the export failed: {}", done.error.unwrap_or_default());
    }
    let file = services.export_file(&actor, id).await.map_err(explain)?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?,
    );
    let mut seq = 0;
    while let Some(chunk) = services.file_chunk(file.id, seq).await.map_err(explain)? {
        out.write_all(&chunk)?;
        seq += 1;
    }
    out.flush()?;
    println!("{} {} exported to {} ({} bytes)", done.rows_done, args.entity, args.out.display(), file.size);
    Ok(())
}
