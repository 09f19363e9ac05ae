//! Clientele storage. [`SqlStore`] implements the core's storage traits on SQLite and
//! PostgreSQL with one set of queries; [`connect`] picks the backend from the URL scheme.

mod automation;
pub mod bulk_load;
mod clients;
mod collab;
pub mod db;
mod documents;
mod filter_sql;
mod funnel;
mod inbox;
mod io_store;
mod keyset;
mod leads;
pub mod migrate;
mod platform;
mod products;
mod record_json;
mod report_builder;
mod reports;
mod rules;
mod sessions;
mod settings_store;
mod tasks;
pub mod testing;
mod webhooks;

use std::fmt;

use anyhow::Context;
use clientele_core::Error;
pub use db::{Backend, Db, PoolSettings};

/// A database URL whose `Debug`/`Display` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn redacted(&self) -> String {
        // scheme://user:password@host → scheme://user:***@host
        let s = &self.0;
        if let Some(scheme_end) = s.find("://") {
            let rest = &s[scheme_end + 3..];
            if let Some(at) = rest.find('@') {
                let creds = &rest[..at];
                if let Some(colon) = creds.find(':') {
                    return format!("{}://{}:***{}", &s[..scheme_end], &creds[..colon], &rest[at..]);
                }
            }
        }
        s.clone()
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The store over one database.
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
}

impl SqlStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Connects to `url` (`sqlite://FILE` or `postgres://...`). Does not migrate.
pub async fn connect(url: &DatabaseUrl, pool: &PoolSettings) -> anyhow::Result<SqlStore> {
    let db = Db::connect(url.expose(), pool).await.with_context(|| format!("opening database {url}"))?;
    Ok(SqlStore::new(db))
}

/// Maps a database failure into the core error: unique violations are conflicts, the rest
/// is internal with a note of what was being done.
pub(crate) fn db_err(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| {
        if let Some(d) = e.as_database_error()
            && d.is_unique_violation()
        {
            return Error::Conflict {
                message: format!("{what}: a record with the same unique value already exists"),
                field: None,
                existing_id: None,
            };
        }
        Error::Internal(anyhow::Error::new(e).context(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_redaction() {
        let u = DatabaseUrl::new("postgres://crm:s3cret@db.example:5432/crm");
        assert_eq!(u.redacted(), "postgres://crm:***@db.example:5432/crm");
        assert!(!format!("{u:?}").contains("s3cret"));
        assert_eq!(DatabaseUrl::new("sqlite://clientele.db").redacted(), "sqlite://clientele.db");
    }
}
