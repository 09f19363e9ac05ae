//! Fresh, isolated databases for tests: a temporary SQLite file, or (when
//! `CLIENTELE_TEST_DATABASE_URL` is set) a new schema in that PostgreSQL database, so tests
//! run in parallel without seeing each other's rows.

use std::path::PathBuf;

use anyhow::Context;

use crate::db::{Db, PoolSettings};
use crate::{DatabaseUrl, SqlStore, migrate};

pub const TEST_DATABASE_URL_ENV: &str = "CLIENTELE_TEST_DATABASE_URL";

/// The PostgreSQL URL for tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL_ENV).ok().filter(|s| !s.trim().is_empty())
}

/// A database made for one test. Removes its file (SQLite) when dropped; PostgreSQL
/// schemas are swept by later runs once they are an hour old.
pub struct TestDb {
    pub url: DatabaseUrl,
    file: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

impl TestDb {
    pub async fn sqlite() -> anyhow::Result<Self> {
        let file = std::env::temp_dir().join(format!("clientele-test-{}.db", uuid::Uuid::now_v7().simple()));
        Ok(Self { url: DatabaseUrl::new(format!("sqlite://{}", file.display())), file: Some(file) })
    }

    /// A fresh schema in the test PostgreSQL database.
    pub async fn postgres(base_url: &str) -> anyhow::Result<Self> {
        let admin = Db::connect(base_url, &PoolSettings { max_connections: 1, ..Default::default() })
            .await
            .context("connecting to the test PostgreSQL")?;
        let now = chrono::Utc::now().timestamp();
        let schema = format!("clt_test_{now}_{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
        sweep_old_schemas(&admin, now).await;
        admin.execute(&format!("CREATE SCHEMA {schema}"), vec![]).await.context("creating the test schema")?;
        admin.close().await;
        let sep = if base_url.contains('?') { '&' } else { '?' };
        Ok(Self { url: DatabaseUrl::new(format!("{base_url}{sep}options=-c%20search_path%3D{schema}")), file: None })
    }

    /// Connects and migrates.
    pub async fn store(&self) -> anyhow::Result<SqlStore> {
        let store = crate::connect(&self.url, &PoolSettings::default()).await?;
        migrate::migrate(store.db()).await?;
        Ok(store)
    }
}

async fn sweep_old_schemas(admin: &Db, now: i64) {
    let Ok(names) = admin
        .fetch_all::<(String,)>("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'clt\\_test\\_%'", vec![])
        .await
    else {
        return;
    };
    for (name,) in names {
        let ts = name.split('_').nth(2).and_then(|t| t.parse::<i64>().ok());
        if ts.is_some_and(|t| now - t > 3600) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            let _ = admin.execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"), vec![]).await;
        }
    }
}

/// One stay to write back with chosen times (tests of reports set history to known instants).
#[derive(Debug, Clone)]
pub struct StayTimes {
    pub id: uuid::Uuid,
    pub entered_at: chrono::DateTime<chrono::Utc>,
    pub left_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Rewrites a deal's creation and closing times and its stays' times, as if it had been
/// created and moved then (moves through the API happen now; reports need known instants).
pub async fn backdate_deal(
    store: &SqlStore,
    deal_id: uuid::Uuid,
    created_at: chrono::DateTime<chrono::Utc>,
    closed_at: Option<chrono::DateTime<chrono::Utc>>,
    stays: &[StayTimes],
) -> anyhow::Result<()> {
    let db = store.db();
    let mut tx = db.begin().await?;
    for s in stays {
        tx.execute(
            "UPDATE deal_stage_history SET entered_at = $2, left_at = $3 WHERE id = $1 AND deal_id = $4",
            crate::args![s.id, s.entered_at, s.left_at, deal_id],
        )
        .await?;
    }
    let last = stays.iter().map(|s| s.entered_at).max().unwrap_or(created_at);
    tx.execute(
        "UPDATE deals SET created_at = $2, closed_at = $3, stage_entered_at = $4 WHERE id = $1",
        crate::args![deal_id, created_at, closed_at, last],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
