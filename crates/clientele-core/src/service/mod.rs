//! Use cases. Each public method takes the acting [`Actor`], asks the permission
//! checkpoint ([`crate::authz`]), validates input into domain types, and calls the store
//! with the audit entry of the change.

mod audit;
mod auth;
pub mod automation;
pub mod automation_code;
mod bulk;
mod calendar;
mod calls;
mod clients;
mod collab;
mod dashboards;
mod deals;
mod documents;
mod exports;
mod feed;
mod fields;
mod files;
mod funnel;
mod imports;
mod inbox;
pub mod jobs;
mod leads;
mod notify;
mod outreach;
mod products;
pub mod report_builder;
mod reports;
pub mod rules;
mod tasks;
mod teams;
mod tokens;
mod users;
pub mod webhooks;

pub use auth::{LoginOutcome, NewSessionCookie};
pub use bulk::{BulkAction, BulkFailure, BulkRequest, BulkResult, BulkSelection};
pub use calendar::{CalendarEvent, CalendarRequest, CalendarView, CreatedFeed, period};
pub use calls::{CallView, DialRequest};
pub use clients::{CompanyView, ContactView, LinkRequest, ListRequest, MergeRequest, SearchResults};
pub use collab::{
    ActivityListRequest, ActivityPage, CommentRequest, CommentView, RecordInfo, TIMELINE_TYPES, Timeline, TimelineItem,
    TimelineRequest,
};
pub use dashboards::{DashboardData, DashboardInput, WidgetData, WidgetTable};
pub use deals::{
    BOARD_SORT, Board, BoardColumn, BoardRequest, DealInput, DealItemInput, DealView, ItemsRequest, MoveRequest,
    PaymentRequest,
};
pub use documents::{
    CreateDocumentRequest, DOCUMENT_SETTINGS_KEY, DocumentListRequest, DocumentSettings, DocumentSettingsInput,
    DocumentSettingsView, DocumentView, InvoicePaymentRequest, LOGO_MAX_BYTES, QuoteToInvoiceRequest,
};
pub use feed::{FEED_TYPES, FeedItem, FeedPage, FeedRequest};
pub use fields::{CreateFieldRequest, UpdateFieldRequest, ViewRequest};
pub use files::FileWriter;
pub use funnel::{
    BASE_CURRENCY_KEY, BaseCurrencyRequest, CreatePipelineRequest, Currencies, DEFAULT_BASE_CURRENCY,
    LossReasonRequest, RateRequest, StageInput, StageOrderRequest, StagePatch, UpdatePipelineRequest,
};
pub use imports::{DuplicateOf, NewImport, PresetList, PresetRequest, PreviewRow, RowAction};
pub use inbox::{
    ChannelInput, ChannelView, ChatPost, ComposeRequest, ConversationPatch, ConversationView, InboxPage, InboxRequest,
    POLL_SECONDS, ReplyRequest, SEND_ATTEMPTS,
};
pub use leads::{ConversionPreview, ConversionResult, ConvertRequest, ConvertedRecord};
pub use notify::{KindPreference, NOTIFICATION_KINDS, NotificationPreferences};
pub use outreach::{
    BotRule, BotRuleInput, ConsentInput, EmailTemplate, EnrollRequest, EnrollResult, Form, FormField, FormInput,
    FormOutcome, RenderRequest, RenderedTemplate, Sequence, SequenceInput, SequenceStep, TEMPLATE_LOCALES,
    TemplateInput, TemplateVariant,
};
pub use products::{
    CategoryNode, CategoryRequest, MovementListRequest, PriceInput, PriceListRequest, ProductInput, ProductListRequest,
    StockRequest,
};
pub use reports::{
    AbcXyzReport, ActivityReport, ActivityRow, ChurnReport, CostInput, DailyReport, FunnelReport, FunnelSegment,
    FunnelStage, LossReasonRow, ManagerDay, PaymentFigure, PeriodView, PipelineStageRow, PipelineValue, PlanFactReport,
    PlanFactRow, PlanInput, ReportParams, SalesDynamics, SalesReport, SalesSummary, SegmentFigures, SegmentReport,
    SeriesPoint, SourceRow, StageExits, StatusRow,
};
pub use tasks::{
    CompleteRequest, Completed, GroupCopy, GroupTaskRequest, GroupView, TASK_SORTS, TaskListRequest, TaskView,
};
pub use teams::{CreateTeamRequest, UpdateTeamRequest};
pub use tokens::{CreateTokenRequest, CreatedToken};
pub use users::{CreateUserRequest, UpdateUserRequest};

use std::sync::Arc;

use chrono::Duration;
use serde_json::Value;
use uuid::Uuid;

use crate::authz::Actor;
use crate::domain::audit::AuditEntry;
use crate::domain::{new_id, now};
use crate::store::Store;

/// Knobs of the services, set from configuration.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// A session expires after this long without use.
    pub session_idle: Duration,
    /// Failed sign-ins allowed per account within `login_window` before 429.
    pub login_max_failures_per_account: i64,
    /// Failed sign-ins allowed per client address within `login_window` before 429.
    pub login_max_failures_per_ip: i64,
    pub login_window: Duration,
    /// Region for phone numbers written without a country code.
    pub default_region: Option<crate::domain::phone::Region>,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            session_idle: Duration::days(14),
            login_max_failures_per_account: 5,
            login_max_failures_per_ip: 50,
            login_window: Duration::minutes(15),
            default_region: None,
        }
    }
}

/// Custom field definitions as last read, for list pages (which read them on every request).
type DefsCache = std::sync::Mutex<Option<(std::time::Instant, Arc<Vec<crate::domain::custom_field::CustomFieldDef>>)>>;

/// How long list pages may use definitions read earlier. Changes made through this process
/// clear the cache at once; other app nodes see them within this time.
const DEFS_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a request may authenticate with a token and user read earlier. Changes made
/// through this process (revoking a token, deactivating a user, changing a role or a team)
/// clear the cache at once; other app nodes and the CLI take effect within this time.
const AUTH_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// A small map whose entries expire after a fixed time; cleared whole when it grows past
/// its bound, so it never holds more than a few thousand entries.
pub(crate) struct ShortCache<K, V> {
    ttl: std::time::Duration,
    map: std::sync::Mutex<std::collections::HashMap<K, (std::time::Instant, V)>>,
}

impl<K: std::hash::Hash + Eq, V: Clone> ShortCache<K, V> {
    const MAX_ENTRIES: usize = 4096;

    pub(crate) fn new(ttl: std::time::Duration) -> Self {
        Self { ttl, map: std::sync::Mutex::new(std::collections::HashMap::new()) }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let map = self.map.lock().ok()?;
        map.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }

    pub(crate) fn put(&self, key: K, value: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= Self::MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (std::time::Instant::now(), value));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    settings: ServiceSettings,
    defs: Arc<DefsCache>,
    /// API tokens by hash and actors by user, as last read (see [`AUTH_TTL`]).
    tokens: Arc<ShortCache<String, crate::domain::auth::ApiToken>>,
    actors: Arc<ShortCache<Uuid, crate::authz::Actor>>,
    /// Wakes this process's worker when a job is queued.
    wake: Arc<tokio::sync::Notify>,
    /// Mail, provider and PBX adapters (none until [`Services::with_comms`]).
    comms: Arc<crate::comms::Comms>,
}

impl Services {
    pub fn new(store: Arc<dyn Store>, settings: ServiceSettings) -> Self {
        Self {
            store,
            settings,
            defs: Arc::new(std::sync::Mutex::new(None)),
            tokens: Arc::new(ShortCache::new(AUTH_TTL)),
            actors: Arc::new(ShortCache::new(AUTH_TTL)),
            wake: Arc::new(tokio::sync::Notify::new()),
            comms: Arc::new(crate::comms::Comms::none()),
        }
    }

    /// Connects the inbox to the outside world (SMTP, IMAP, providers, the PBX).
    pub fn with_comms(mut self, comms: crate::comms::Comms) -> Self {
        self.comms = Arc::new(comms);
        self
    }

    pub fn comms(&self) -> &crate::comms::Comms {
        &self.comms
    }

    /// The custom field definitions of `entity`, from a short-lived in-process cache.
    pub(crate) async fn cached_defs(
        &self,
        entity: &str,
    ) -> crate::Result<Vec<crate::domain::custom_field::CustomFieldDef>> {
        let cached = self
            .defs
            .lock()
            .ok()
            .and_then(|c| c.as_ref().filter(|(at, _)| at.elapsed() < DEFS_TTL).map(|(_, d)| d.clone()));
        let all = match cached {
            Some(all) => all,
            None => {
                let all = Arc::new(self.store.list_custom_fields(None).await?);
                if let Ok(mut c) = self.defs.lock() {
                    *c = Some((std::time::Instant::now(), all.clone()));
                }
                all
            }
        };
        Ok(all.iter().filter(|d| d.entity == entity).cloned().collect())
    }

    /// Forgets every cached token and actor: call after any change to users, teams or tokens.
    pub(crate) fn forget_actors(&self) {
        self.tokens.clear();
        self.actors.clear();
    }

    pub(crate) fn forget_defs(&self) {
        if let Ok(mut c) = self.defs.lock() {
            *c = None;
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn settings(&self) -> &ServiceSettings {
        &self.settings
    }

    pub async fn ready(&self) -> crate::Result<()> {
        self.store.ping().await
    }

    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }
}

/// Builds the audit line for a change by `actor`.
pub(crate) fn audit_entry(
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    changes: Value,
) -> AuditEntry {
    AuditEntry {
        id: new_id(),
        at: now(),
        actor_id: actor.audit_id(),
        actor_name: actor.name.clone(),
        action: action.to_owned(),
        entity_type: entity_type.to_owned(),
        entity_id,
        changes,
    }
}

/// Checks an `If-Match` version against the current one before any work is done.
pub(crate) fn check_version(expected: Option<i64>, current: i64) -> crate::Result<()> {
    match expected {
        Some(v) if v != current => Err(crate::Error::PreconditionFailed { current }),
        _ => Ok(()),
    }
}
