use std::sync::Arc;

use clientele_core::service::Services;

use crate::i18n::{I18n, Tr};
use crate::metrics::Metrics;

/// Settings of the HTTP edge.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Mark cookies `Secure` (set when served over TLS, or behind a TLS proxy).
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you run).
    pub trust_proxy: bool,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub services: Services,
    pub i18n: Arc<I18n>,
    pub metrics: Metrics,
    pub settings: WebSettings,
}

impl AppState {
    pub fn new(services: Services, settings: WebSettings) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(Inner { services, i18n: Arc::new(I18n::load()?), metrics: Metrics::default(), settings })))
    }

    pub fn services(&self) -> &Services {
        &self.0.services
    }

    pub fn i18n(&self) -> &Arc<I18n> {
        &self.0.i18n
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub fn settings(&self) -> &WebSettings {
        &self.0.settings
    }

    pub fn tr(&self, locale: &'static str) -> Tr {
        Tr::new(self.0.i18n.clone(), locale)
    }
}
