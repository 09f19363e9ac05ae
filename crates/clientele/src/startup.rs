//! Builds the running application from a configuration: shared by `main` and the tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clientele_core::service::{ServiceSettings, Services};
use clientele_store::{DatabaseUrl, PoolSettings, SqlStore, migrate};
use clientele_web::{AppState, WebSettings};
use tokio::net::TcpListener;

use crate::config::Config;

/// Opens the database and brings its schema to this release's version.
pub async fn open_store(cfg: &Config) -> anyhow::Result<SqlStore> {
    let url = DatabaseUrl::new(cfg.database_url.clone());
    let pool = PoolSettings { max_connections: cfg.db_max_connections, ..Default::default() };
    let store = clientele_store::connect(&url, &pool).await?;
    let report = migrate::migrate(store.db()).await.with_context(|| format!("migrating {url}"))?;
    if !report.applied.is_empty() {
        tracing::info!(from = report.from_version, to = report.to_version, "database schema migrated");
    }
    Ok(store)
}

pub fn services(cfg: &Config, store: SqlStore) -> Services {
    let settings = ServiceSettings {
        session_idle: chrono::Duration::days(cfg.session_idle_days),
        login_max_failures_per_account: cfg.login_max_failures,
        default_region: clientele_core::domain::phone::Region::parse(&cfg.default_region).ok(),
        ..ServiceSettings::default()
    };
    Services::new(Arc::new(store), settings).with_comms(clientele_comms::comms(&cfg.public_url()))
}

/// With `listen` on port 0 and no `public_url`, picks the free port now, so that the links
/// in e-mails and the webhook URLs name the real address.
pub fn pin_port(cfg: &mut Config) -> anyhow::Result<()> {
    if cfg.public_url.is_empty() && cfg.listen.ends_with(":0") {
        let addr = std::net::TcpListener::bind(&cfg.listen)
            .and_then(|l| l.local_addr())
            .with_context(|| format!("listening on {}", cfg.listen))?;
        cfg.listen = addr.to_string();
    }
    Ok(())
}

/// A server bound to its address and ready to run.
pub struct Server {
    pub addr: SocketAddr,
    listener: TcpListener,
    router: axum::Router,
}

impl Server {
    pub async fn bind(cfg: &Config, services: Services) -> anyhow::Result<Self> {
        let state =
            AppState::new(services, WebSettings { secure_cookies: cfg.secure_cookies, trust_proxy: cfg.trust_proxy })?;
        let router = clientele_web::app(state)?;
        let listener = TcpListener::bind(&cfg.listen).await.with_context(|| format!("listening on {}", cfg.listen))?;
        let addr = listener.local_addr()?;
        Ok(Self { addr, listener, router })
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// This process's name in the job queue: host, process id and a random suffix.
pub fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!("{host}:{}:{}", std::process::id(), &uuid::Uuid::now_v7().simple().to_string()[24..])
}

/// Background upkeep: expired sessions, old idempotency keys. Safe to run on several
/// nodes at once (each statement is idempotent).
pub async fn maintenance_loop(services: Services, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        // Every mailbox keeps its chain of poll jobs (after a restart, or when one died).
        if let Err(e) = services.ensure_polling().await {
            tracing::warn!(error = %e, "checking the mailbox pollers failed");
        }
        let now = clientele_core::domain::now();
        let store = services.store();
        match store.delete_expired_sessions(now).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "removing expired sessions failed"),
        }
        if let Err(e) = store.idempotency_purge(now - chrono::Duration::hours(24)).await {
            tracing::warn!(error = %e, "purging idempotency keys failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {},
            _ = stop.changed() => return,
        }
    }
}
