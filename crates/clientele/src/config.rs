//! Layered configuration: built-in defaults → `clientele.toml` → `CLIENTELE_*` environment
//! variables (nested keys with `__`) → command-line flags.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://FILE` (default: clientele.db in the working directory) or `postgres://...`.
    pub database_url: String,
    /// Database connections per process.
    pub db_max_connections: u32,
    /// Log filter, e.g. `info` or `clientele=debug,info` (RUST_LOG wins when set).
    pub log: String,
    /// Mark cookies Secure. Set when users reach Clientele over https.
    pub secure_cookies: bool,
    /// Take the client address from X-Forwarded-For (only behind your own reverse proxy).
    pub trust_proxy: bool,
    /// Sessions end after this many days without use.
    pub session_idle_days: i64,
    /// Failed sign-ins per account within 15 minutes before 429.
    pub login_max_failures: i64,
    /// Fill the database with demo data at start and print demo logins.
    pub demo: bool,
    /// Do not run background work in this process (run `clientele worker` elsewhere).
    pub no_worker: bool,
    /// Default region for phone numbers without a country code (ISO 3166 alpha-2).
    pub default_region: String,
    /// Where people and providers reach this Clientele (`https://crm.example.com`): links,
    /// the tracking pixel and unsubscribe pages in e-mails, webhook URLs. Default:
    /// `http://` + `listen`.
    pub public_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://clientele.db".into(),
            db_max_connections: 10,
            log: "info".into(),
            secure_cookies: false,
            trust_proxy: false,
            session_idle_days: 14,
            login_max_failures: 5,
            demo: false,
            no_worker: false,
            default_region: "US".into(),
            public_url: String::new(),
        }
    }
}

/// Values given as command-line flags; only those actually given override the layers below.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_worker: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

impl Config {
    /// The public address: `public_url`, else `http://` + `listen`.
    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// Loads the layers. `file` is `--config`; without it `clientele.toml` in the working
    /// directory is read when present.
    pub fn load(file: Option<PathBuf>, flags: FlagOverrides) -> anyhow::Result<Self> {
        let explicit = file.is_some();
        let path = file.unwrap_or_else(|| PathBuf::from("clientele.toml"));
        if explicit && !path.exists() {
            anyhow::bail!("configuration file {} does not exist", path.display());
        }
        let cfg: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(Env::prefixed("CLIENTELE_").split("__").ignore(&["test_database_url", "config"]))
            .merge(Serialized::globals(flags))
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            anyhow::bail!("configuration: listen `{}` is not an address like 127.0.0.1:8080", self.listen);
        }
        let url = self.database_url.as_str();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            anyhow::bail!("configuration: database_url must start with sqlite:// or postgres://");
        }
        if !(1..=365).contains(&self.session_idle_days) {
            anyhow::bail!("configuration: session_idle_days must be between 1 and 365");
        }
        if clientele_core::domain::phone::Region::parse(&self.default_region).is_err() {
            anyhow::bail!(
                "configuration: default_region `{}` is not a country code like RU, FR or KR",
                self.default_region
            );
        }
        let url = &self.public_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("configuration: public_url must start with http:// or https://");
        }
        if self.db_max_connections == 0 {
            anyhow::bail!("configuration: db_max_connections must be at least 1");
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's test jail fixes the error type
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("clientele.toml", "listen = \"127.0.0.1:9000\"\nlog = \"debug\"\nsession_idle_days = 3")?;
            jail.set_env("CLIENTELE_LOG", "warn");
            jail.set_env("CLIENTELE_TEST_DATABASE_URL", "postgres://ignored");
            let flags = FlagOverrides { database_url: Some("postgres://u@h/db".into()), ..Default::default() };
            let c = Config::load(None, flags).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "127.0.0.1:9000", "file beats default");
            assert_eq!(c.log, "warn", "env beats file");
            assert_eq!(c.database_url, "postgres://u@h/db", "flag beats everything");
            assert_eq!(c.session_idle_days, 3);
            assert_eq!(c.db_max_connections, 10, "default when nobody says otherwise");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CLIENTELE_LISTEN", "nowhere");
            let err = Config::load(None, FlagOverrides::default()).unwrap_err().to_string();
            assert!(err.contains("listen"), "{err}");
            Ok(())
        });
    }
}
