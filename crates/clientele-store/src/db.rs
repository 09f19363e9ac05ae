//! One handle over both backends. Statements are written once with `$1, $2, ...`
//! placeholders (SQLite accepts the same numbered form) and bound from `sea_query::Value`s,
//! so every query in this crate runs unchanged on SQLite and PostgreSQL. Where the two
//! dialects differ, the caller asks [`Db::backend`] and picks the text.

use std::str::FromStr;
use std::time::Duration;

use sea_query::{PostgresQueryBuilder, QueryStatementWriter, SqliteQueryBuilder, Value, Values};
use sea_query_sqlx::SqlxValues;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite gets one writer connection (SQLite allows one writer at a time; queuing in the
/// pool beats `SQLITE_BUSY` retries) and a pool of readers, which WAL lets run alongside it.
#[derive(Clone)]
pub enum Db {
    Sqlite { reader: SqlitePool, writer: SqlitePool },
    Postgres(PgPool),
}

/// Row types readable from either backend.
pub trait AnyRow: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> AnyRow for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// Scalars readable from either backend.
pub trait AnyScalar:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
    + Send
    + Unpin
{
}
impl<T> AnyScalar for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + Send
        + Unpin
{
}

/// Bind values, in placeholder order.
pub type Args = Vec<Value>;

/// `args![a, b, c]` → `vec![Value::from(a), ...]`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$(::sea_query::Value::from($v)),*] };
}

fn bind(args: Args) -> SqlxValues {
    SqlxValues(Values(args))
}

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout: Duration::from_secs(10) }
    }
}

impl Db {
    pub async fn connect(url: &str, settings: &PoolSettings) -> anyhow::Result<Self> {
        use anyhow::Context;
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).context("parsing the PostgreSQL URL")?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(opts)
                .await
                .context("connecting to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .context("parsing the SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-8000")
                // sqlx hands rows from the connection's thread to the request one by one
                // through a channel; one that holds a whole page (and more) lets the thread
                // finish the statement without waiting for the request to catch up.
                .row_buffer_size(256);
            // The writer keeps a larger page cache (index pages of big tables stay in memory
            // while imports write thousands of rows per transaction) and checkpoints the WAL
            // every 32 MiB instead of every 4 MiB: a page changed many times is copied once.
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(opts.clone().pragma("cache_size", "-65536").pragma("wal_autocheckpoint", "8192"))
                .await
                .context("opening the SQLite database")?;
            // Each SQLite connection is a thread of its own: more readers than about twice the
            // cores only adds context switches (measured: 10 readers cost 40 % more CPU per
            // list page than 4 on two cores).
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
            let reader = SqlitePoolOptions::new()
                .max_connections(settings.max_connections.min(cores * 2).max(2))
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(opts.read_only(true))
                .await
                .context("opening the SQLite database for reading")?;
            Ok(Db::Sqlite { reader, writer })
        } else {
            anyhow::bail!("unsupported database URL: expected sqlite://FILE or postgres://...")
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { reader, writer } => {
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Renders a sea-query statement for this backend.
    pub fn build<S: QueryStatementWriter>(&self, stmt: &S) -> (String, Args) {
        let (sql, values) = match self {
            Db::Sqlite { .. } => stmt.build(SqliteQueryBuilder),
            Db::Postgres(_) => stmt.build(PostgresQueryBuilder),
        };
        (sql, values.0)
    }

    pub async fn execute(&self, sql: &str, args: Args) -> Result<u64, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        Ok(match self {
            Db::Sqlite { writer, .. } => sqlx::query_with(q, bind(args)).execute(writer).await?.rows_affected(),
            Db::Postgres(p) => sqlx::query_with(q, bind(args)).execute(p).await?.rows_affected(),
        })
    }

    pub async fn fetch_all<T: AnyRow>(&self, sql: &str, args: Args) -> Result<Vec<T>, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        match self {
            Db::Sqlite { reader, .. } => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_all(reader).await,
            Db::Postgres(p) => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_all(p).await,
        }
    }

    pub async fn fetch_optional<T: AnyRow>(&self, sql: &str, args: Args) -> Result<Option<T>, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        match self {
            Db::Sqlite { reader, .. } => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_optional(reader).await,
            Db::Postgres(p) => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_optional(p).await,
        }
    }

    pub async fn fetch_scalar<T: AnyScalar>(&self, sql: &str, args: Args) -> Result<T, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        match self {
            Db::Sqlite { reader, .. } => sqlx::query_scalar_with::<_, T, _>(q, bind(args)).fetch_one(reader).await,
            Db::Postgres(p) => sqlx::query_scalar_with::<_, T, _>(q, bind(args)).fetch_one(p).await,
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a transaction never fails half-way for want of it.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Sqlite { writer, .. } => Ok(Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(p) => Ok(Tx::Postgres(p.begin().await?)),
        }
    }
}

pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn execute(&mut self, sql: &str, args: Args) -> Result<u64, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query_with(q, bind(args)).execute(&mut **tx).await?.rows_affected(),
            Tx::Postgres(tx) => sqlx::query_with(q, bind(args)).execute(&mut **tx).await?.rows_affected(),
        })
    }

    /// Runs a script of several statements (migrations).
    pub async fn execute_script(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        match self {
            Tx::Sqlite(tx) => sqlx::raw_sql(q).execute(&mut **tx).await.map(|_| ()),
            Tx::Postgres(tx) => sqlx::raw_sql(q).execute(&mut **tx).await.map(|_| ()),
        }
    }

    pub async fn fetch_all<T: AnyRow>(&mut self, sql: &str, args: Args) -> Result<Vec<T>, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        match self {
            Tx::Sqlite(tx) => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_all(&mut **tx).await,
            Tx::Postgres(tx) => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_all(&mut **tx).await,
        }
    }

    pub async fn fetch_optional<T: AnyRow>(&mut self, sql: &str, args: Args) -> Result<Option<T>, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        match self {
            Tx::Sqlite(tx) => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_optional(&mut **tx).await,
            Tx::Postgres(tx) => sqlx::query_as_with::<_, T, _>(q, bind(args)).fetch_optional(&mut **tx).await,
        }
    }

    pub async fn fetch_scalar<T: AnyScalar>(&mut self, sql: &str, args: Args) -> Result<T, sqlx::Error> {
        let q = AssertSqlSafe(sql.to_owned());
        match self {
            Tx::Sqlite(tx) => sqlx::query_scalar_with::<_, T, _>(q, bind(args)).fetch_one(&mut **tx).await,
            Tx::Postgres(tx) => sqlx::query_scalar_with::<_, T, _>(q, bind(args)).fetch_one(&mut **tx).await,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Builds `$n` placeholders while collecting their values, for statements assembled from
/// fixed fragments at run time. Only placeholders enter the SQL text; values never do.
#[derive(Debug, Default)]
pub struct Params(pub Args);

impl Params {
    pub fn push(&mut self, v: impl Into<Value>) -> String {
        self.0.push(v.into());
        format!("${}", self.0.len())
    }

    /// A placeholder bound by position (`?` on SQLite, whose numbered parameters are looked
    /// up by name, one scan per bind): for statements with hundreds of values. The whole
    /// statement must then use positional placeholders only, in order.
    pub fn push_positional(&mut self, backend: Backend, v: impl Into<Value>) -> String {
        self.0.push(v.into());
        match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.0.len()),
        }
    }
}
