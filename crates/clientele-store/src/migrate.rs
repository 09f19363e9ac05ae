//! Schema migrations. All pending migrations run in ONE transaction: a database from any
//! earlier release reaches the newest schema in one step, and if anything fails the
//! database is left exactly as it was. PostgreSQL and SQLite both have transactional DDL.

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::args;
use crate::db::{Backend, Db, Tx};

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

// One entry per file in migrations/<backend>/, in version order. Both lists move together.
const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "platform", sql: include_str!("../migrations/sqlite/0001_platform.sql") },
    Migration { version: 2, name: "client_base", sql: include_str!("../migrations/sqlite/0002_client_base.sql") },
    Migration {
        version: 3,
        name: "jobs_files_imports",
        sql: include_str!("../migrations/sqlite/0003_jobs_files_imports.sql"),
    },
    Migration { version: 4, name: "funnel", sql: include_str!("../migrations/sqlite/0004_funnel.sql") },
    Migration { version: 5, name: "leads_products", sql: include_str!("../migrations/sqlite/0005_leads_products.sql") },
    Migration { version: 6, name: "documents", sql: include_str!("../migrations/sqlite/0006_documents.sql") },
    Migration { version: 7, name: "board_totals", sql: include_str!("../migrations/sqlite/0007_board_totals.sql") },
    Migration {
        version: 8,
        name: "tasks_activities",
        sql: include_str!("../migrations/sqlite/0008_tasks_activities.sql"),
    },
    Migration { version: 10, name: "inbox", sql: include_str!("../migrations/sqlite/0010_inbox.sql") },
    Migration { version: 11, name: "reports", sql: include_str!("../migrations/sqlite/0011_reports.sql") },
    Migration { version: 12, name: "automation", sql: include_str!("../migrations/sqlite/0012_automation.sql") },
    Migration {
        version: 13,
        name: "report_builder",
        sql: include_str!("../migrations/sqlite/0013_report_builder.sql"),
    },
];
const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "platform", sql: include_str!("../migrations/postgres/0001_platform.sql") },
    Migration { version: 2, name: "client_base", sql: include_str!("../migrations/postgres/0002_client_base.sql") },
    Migration {
        version: 3,
        name: "jobs_files_imports",
        sql: include_str!("../migrations/postgres/0003_jobs_files_imports.sql"),
    },
    Migration { version: 4, name: "funnel", sql: include_str!("../migrations/postgres/0004_funnel.sql") },
    Migration {
        version: 5,
        name: "leads_products",
        sql: include_str!("../migrations/postgres/0005_leads_products.sql"),
    },
    Migration { version: 6, name: "documents", sql: include_str!("../migrations/postgres/0006_documents.sql") },
    Migration { version: 7, name: "board_totals", sql: include_str!("../migrations/postgres/0007_board_totals.sql") },
    Migration {
        version: 8,
        name: "tasks_activities",
        sql: include_str!("../migrations/postgres/0008_tasks_activities.sql"),
    },
    Migration { version: 10, name: "inbox", sql: include_str!("../migrations/postgres/0010_inbox.sql") },
    Migration { version: 11, name: "reports", sql: include_str!("../migrations/postgres/0011_reports.sql") },
    Migration { version: 12, name: "automation", sql: include_str!("../migrations/postgres/0012_automation.sql") },
    Migration {
        version: 13,
        name: "report_builder",
        sql: include_str!("../migrations/postgres/0013_report_builder.sql"),
    },
];

pub fn migrations_for(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Report of a migration run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from_version: i64,
    pub to_version: i64,
    pub applied: Vec<i64>,
}

pub async fn migrate(db: &Db) -> anyhow::Result<MigrationReport> {
    migrate_with(db, migrations_for(db.backend())).await
}

#[derive(sqlx::FromRow)]
struct Applied {
    version: i64,
    checksum: String,
}

/// Runs `migrations` (sorted by version) against `db`. Public for tests that prove a
/// failing migration changes nothing.
pub async fn migrate_with(db: &Db, migrations: &[Migration]) -> anyhow::Result<MigrationReport> {
    let mut tx = db.begin().await.context("starting the migration transaction")?;
    // Several app nodes may start at once: the first one migrates, the others wait here.
    if tx.backend() == Backend::Postgres {
        tx.execute("SELECT pg_advisory_xact_lock(7243981001)", vec![]).await.context("taking the migration lock")?;
    }
    let ts_type = if tx.backend() == Backend::Postgres { "TIMESTAMPTZ" } else { "TEXT" };
    tx.execute_script(&format!(
        "CREATE TABLE IF NOT EXISTS clientele_migrations (
            version BIGINT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at {ts_type} NOT NULL
        )"
    ))
    .await
    .context("creating the migrations table")?;
    let applied: Vec<Applied> = tx
        .fetch_all("SELECT version, checksum FROM clientele_migrations ORDER BY version", vec![])
        .await
        .context("reading applied migrations")?;
    let from_version = applied.last().map(|a| a.version).unwrap_or(0);
    let newest_known = migrations.last().map(|m| m.version).unwrap_or(0);
    if from_version > newest_known {
        bail!(
            "the database schema is at version {from_version}, newer than this release knows ({newest_known}); \
             run a newer clientele"
        );
    }
    for a in &applied {
        if let Some(m) = migrations.iter().find(|m| m.version == a.version)
            && checksum(m.sql) != a.checksum
        {
            bail!("migration {} ({}) was changed after it was applied; refusing to continue", m.version, m.name);
        }
    }
    let mut report = MigrationReport { from_version, to_version: from_version, applied: vec![] };
    for m in migrations.iter().filter(|m| !applied.iter().any(|a| a.version == m.version)) {
        apply(&mut tx, m).await?;
        report.applied.push(m.version);
        report.to_version = m.version;
    }
    tx.commit().await.context("committing the migrations")?;
    Ok(report)
}

async fn apply(tx: &mut Tx, m: &Migration) -> anyhow::Result<()> {
    tx.execute_script(m.sql).await.with_context(|| format!("applying migration {} ({})", m.version, m.name))?;
    tx.execute(
        "INSERT INTO clientele_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        args![m.version, m.name, checksum(m.sql), clientele_core::domain::now()],
    )
    .await
    .with_context(|| format!("recording migration {}", m.version))?;
    Ok(())
}
