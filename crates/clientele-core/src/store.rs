//! What the services need from storage. One implementation (`clientele-store`) serves both
//! SQLite and PostgreSQL; tests of the services could use another.
//!
//! Every method that changes a record takes the audit entry that describes the change and
//! writes both in one transaction: no change without its audit line, and no audit line for a
//! change that was rolled back.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::domain::auth::{ApiToken, IdempotencyBegin, IdempotentResponse, Session};
use crate::domain::page::{Page, PageRequest};
use crate::domain::team::Team;
use crate::domain::user::{User, UserWithSecret};
use crate::error::Result;

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn count_users(&self) -> Result<i64>;
    /// Fails with `Conflict` on a duplicate e-mail.
    async fn insert_user(&self, user: &UserWithSecret, audit: &AuditEntry) -> Result<()>;
    async fn get_user(&self, id: Uuid) -> Result<Option<User>>;
    async fn get_user_with_secret(&self, email: &str) -> Result<Option<UserWithSecret>>;
    async fn list_users(&self, page: &PageRequest, q: Option<&str>) -> Result<Page<User>>;
    /// Writes `user` (whose `version` is already the new one) if the stored version is
    /// `expected_version`; otherwise `PreconditionFailed` with the current version.
    async fn update_user(&self, user: &User, expected_version: i64, audit: &AuditEntry) -> Result<()>;
    async fn set_password_hash(&self, user_id: Uuid, hash: &str, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()>;
    async fn record_login(&self, user_id: Uuid, at: DateTime<Utc>) -> Result<()>;
}

#[async_trait]
pub trait TeamStore: Send + Sync {
    async fn list_teams(&self) -> Result<Vec<Team>>;
    async fn insert_team(&self, team: &Team, audit: &AuditEntry) -> Result<()>;
    async fn update_team(&self, team: &Team, expected_version: i64, audit: &AuditEntry) -> Result<()>;
    /// Fails with `Conflict` while users or sub-teams are still in it.
    async fn delete_team(&self, id: Uuid, expected_version: Option<i64>, audit: &AuditEntry) -> Result<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &Session) -> Result<()>;
    async fn get_session(&self, id_hash: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Signs a user out everywhere except (optionally) one session.
    async fn delete_user_sessions(&self, user_id: Uuid, except_hash: Option<&str>) -> Result<u64>;
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, token: &ApiToken, hash: &str, audit: &AuditEntry) -> Result<()>;
    async fn list_tokens(&self, user_id: Option<Uuid>) -> Result<Vec<ApiToken>>;
    async fn get_token(&self, id: Uuid) -> Result<Option<ApiToken>>;
    async fn get_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>>;
    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()>;
    async fn touch_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;
}

#[async_trait]
pub trait RateLimitStore: Send + Sync {
    async fn record_auth_failure(&self, key: &str, at: DateTime<Utc>) -> Result<()>;
    async fn count_auth_failures(&self, key: &str, since: DateTime<Utc>) -> Result<(i64, Option<DateTime<Utc>>)>;
    async fn clear_auth_failures(&self, key: &str) -> Result<()>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn list_audit(&self, filter: &AuditFilter, page: &PageRequest) -> Result<Page<AuditEntry>>;
    /// For changes with no record of their own (sign-in, sign-out).
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Personal-data erasure: replaces the recorded values of a record's changes, keeping
    /// who changed which field when.
    async fn scrub_audit(&self, entity_id: Uuid) -> Result<u64>;
    /// Every audit line about one record, oldest first (personal data export).
    async fn audit_of(&self, entity_id: Uuid) -> Result<Vec<AuditEntry>>;
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn idempotency_begin(
        &self,
        user_id: Uuid,
        key: &str,
        request_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<IdempotencyBegin>;
    async fn idempotency_complete(&self, user_id: Uuid, key: &str, response: &IdempotentResponse) -> Result<()>;
    /// Forgets a key whose request failed on the server side, so that a retry can run.
    async fn idempotency_abort(&self, user_id: Uuid, key: &str) -> Result<()>;
    async fn idempotency_purge(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// Everything the services need, in one object.
pub trait Store:
    HealthStore
    + UserStore
    + TeamStore
    + SessionStore
    + TokenStore
    + RateLimitStore
    + AuditStore
    + IdempotencyStore
    + ClientStore
    + CustomFieldStore
    + ViewStore
    + NotificationStore
    + JobStore
    + FileStore
    + ImportStore
    + ExportStore
    + FunnelStore
    + LeadStore
    + ProductStore
    + DocumentStore
    + InboxStore
    + TaskStore
    + CollabStore
    + ReportStore
    + ReportBuilderStore
    + AutomationStore
    + RuleStore
    + WebhookStore
{
}

impl<T> Store for T where
    T: HealthStore
        + UserStore
        + TeamStore
        + SessionStore
        + TokenStore
        + RateLimitStore
        + AuditStore
        + IdempotencyStore
        + ClientStore
        + CustomFieldStore
        + ViewStore
        + NotificationStore
        + JobStore
        + FileStore
        + ImportStore
        + ExportStore
        + FunnelStore
        + LeadStore
        + ProductStore
        + DocumentStore
        + InboxStore
        + TaskStore
        + CollabStore
        + ReportStore
        + ReportBuilderStore
        + AutomationStore
        + RuleStore
        + WebhookStore
{
}

/// A list request as the store runs it: who may see what (scope), the checked filter, an
/// optional full-text query, and the page.
#[derive(Debug, Clone)]
pub struct ListSpec {
    pub scope: crate::authz::Scope,
    pub filter: Option<crate::domain::filter::Checked>,
    /// Folded search terms (prefix match), all required.
    pub terms: Vec<String>,
    pub page: PageRequest,
    /// List the deleted records (the trash) instead of the live ones.
    pub deleted: bool,
    /// When sorting by `custom_fields.<key>`: the field's type.
    pub custom_sort: Option<crate::domain::custom_field::FieldType>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// `contact` or `company`.
    pub entity_type: String,
    pub id: Uuid,
    pub title: String,
    pub subtitle: Option<String>,
}

/// A phone typed into search: its E.164 form when complete, and its reversed digits for
/// "ends with" matching when partial.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneQuery {
    pub e164: Option<String>,
    pub rev_digits: String,
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn insert_contact(
        &self,
        c: &crate::domain::client::Contact,
        search_body: &str,
        link: Option<&crate::domain::client::CompanyLink>,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn update_contact(
        &self,
        c: &crate::domain::client::Contact,
        expected_version: i64,
        search_body: &str,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn get_contact(&self, id: Uuid) -> Result<Option<crate::domain::client::Contact>>;
    async fn list_contacts(&self, spec: &ListSpec) -> Result<Page<crate::domain::client::Contact>>;
    /// The same page as [`Self::list_contacts`], each record already written as JSON (its
    /// JSON columns passed through as stored) for the API to send as it is.
    async fn list_contacts_json(&self, spec: &ListSpec) -> Result<crate::domain::page::RawPage>;

    async fn insert_company(
        &self,
        c: &crate::domain::client::Company,
        search_body: &str,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn update_company(
        &self,
        c: &crate::domain::client::Company,
        expected_version: i64,
        search_body: &str,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn get_company(&self, id: Uuid) -> Result<Option<crate::domain::client::Company>>;
    async fn list_companies(&self, spec: &ListSpec) -> Result<Page<crate::domain::client::Company>>;
    /// [`Self::list_companies`] as JSON text per record; see [`Self::list_contacts_json`].
    async fn list_companies_json(&self, spec: &ListSpec) -> Result<crate::domain::page::RawPage>;

    /// The companies a contact belongs to.
    async fn links_of_contact(&self, contact_id: Uuid) -> Result<Vec<crate::domain::client::CompanyLink>>;
    /// The contact persons of a company (live contacts only).
    async fn people_of_company(
        &self,
        company_id: Uuid,
    ) -> Result<Vec<(crate::domain::client::Contact, crate::domain::client::CompanyLink)>>;
    /// Adds or changes a contact person. A primary link becomes the contact's `company_id`
    /// and the contact's other links stop being primary.
    async fn upsert_link(&self, link: &crate::domain::client::CompanyLink, audit: &AuditEntry) -> Result<()>;
    async fn delete_link(&self, company_id: Uuid, contact_id: Uuid, audit: &AuditEntry) -> Result<bool>;

    /// Live records that have any of these contact points: (`phone`, E.164) or (`email`, address).
    async fn find_by_points(&self, points: &[(String, String)], exclude: Option<Uuid>) -> Result<Vec<(String, Uuid)>>;
    /// Live companies with this tax number.
    async fn find_company_by_tax_number(&self, tax_number: &str, exclude: Option<Uuid>) -> Result<Vec<Uuid>>;
    /// Full-text, e-mail and phone search across contacts and companies within the scopes.
    /// `email` is a lower-cased e-mail or the start of one.
    async fn search(
        &self,
        terms: &[String],
        phone: Option<&PhoneQuery>,
        email: Option<&str>,
        contacts: &crate::authz::Scope,
        companies: &crate::authz::Scope,
        limit: u32,
    ) -> Result<Vec<SearchHit>>;
    /// The team of a record's owner, for the permission checkpoint.
    async fn team_of_user(&self, user_id: Uuid) -> Result<Option<Uuid>>;
    /// Moves everything that points at `loser` to `survivor` (contact persons and deals for now;
    /// tasks and activities as they arrive), writes the survivor, and marks the loser merged.
    async fn merge_contacts(
        &self,
        survivor: &crate::domain::client::Contact,
        survivor_expected_version: i64,
        survivor_search_body: &str,
        loser: &crate::domain::client::Contact,
        audits: &[AuditEntry],
    ) -> Result<()>;
    async fn merge_companies(
        &self,
        survivor: &crate::domain::client::Company,
        survivor_expected_version: i64,
        survivor_search_body: &str,
        loser: &crate::domain::client::Company,
        audits: &[AuditEntry],
    ) -> Result<()>;
    /// Candidate duplicate pairs: records sharing a phone or e-mail.
    async fn duplicate_pairs(&self, entity_type: &str, limit: u32) -> Result<Vec<(Uuid, Uuid, String)>>;
}

#[async_trait]
pub trait CustomFieldStore: Send + Sync {
    async fn list_custom_fields(
        &self,
        entity: Option<&str>,
    ) -> Result<Vec<crate::domain::custom_field::CustomFieldDef>>;
    async fn insert_custom_field(
        &self,
        def: &crate::domain::custom_field::CustomFieldDef,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn update_custom_field(
        &self,
        def: &crate::domain::custom_field::CustomFieldDef,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn delete_custom_field(&self, id: Uuid, audit: &AuditEntry) -> Result<()>;
}

/// A saved list view: filter, columns and sort, private or shared.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SavedView {
    pub id: Uuid,
    pub version: i64,
    /// `contact` or `company`.
    pub entity: String,
    pub name: String,
    pub owner_id: Uuid,
    pub shared: bool,
    #[schema(value_type = Object)]
    pub filter: Option<crate::domain::filter::Filter>,
    pub columns: Vec<String>,
    pub sort: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait ViewStore: Send + Sync {
    /// The views a user sees: their own and the shared ones.
    async fn list_views(&self, entity: &str, user_id: Uuid) -> Result<Vec<SavedView>>;
    async fn get_view(&self, id: Uuid) -> Result<Option<SavedView>>;
    async fn insert_view(&self, v: &SavedView, audit: &AuditEntry) -> Result<()>;
    async fn update_view(&self, v: &SavedView, expected_version: i64, audit: &AuditEntry) -> Result<()>;
    async fn delete_view(&self, id: Uuid, audit: &AuditEntry) -> Result<()>;
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    /// e.g. `client_transferred`.
    pub kind: String,
    pub title: String,
    pub body: Option<String>,
    /// Where to go: a path in the web UI.
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// What the web UI needs to say it in the reader's language (names, times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    async fn insert_notifications(&self, n: &[Notification]) -> Result<()>;
    async fn list_notifications(&self, user_id: Uuid, unread_only: bool, limit: u32) -> Result<Vec<Notification>>;
    async fn count_unread(&self, user_id: Uuid) -> Result<i64>;
    /// Marks the user's notifications read (all when `ids` is empty).
    async fn mark_read(&self, user_id: Uuid, ids: &[Uuid], at: DateTime<Utc>) -> Result<u64>;
    /// Adds a notification unless one with `dedupe_key` exists already (a job run twice, two
    /// workers): `true` when it was added.
    async fn insert_notification_once(&self, n: &Notification, dedupe_key: &str) -> Result<bool>;
    /// A user's notification preferences (`null` when never set).
    async fn notification_prefs(&self, user_id: Uuid) -> Result<Option<serde_json::Value>>;
    async fn put_notification_prefs(
        &self,
        user_id: Uuid,
        prefs: &serde_json::Value,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<()>;
}

/// The durable job queue.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Adds a job. With a `dedupe_key` already present, nothing is added and the existing
    /// job's id is returned.
    async fn enqueue(&self, job: &crate::domain::job::Job) -> Result<Uuid>;
    /// Claims the next due job (queued and due, or running with an expired lease) for
    /// `worker` until `lease_until`, counting the attempt. Several workers never claim the
    /// same job.
    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<crate::domain::job::Job>>;
    /// Extends the lease; `false` when the job is no longer this worker's (cancelled, or
    /// taken over after the lease ran out).
    async fn extend_lease(&self, id: Uuid, worker: &str, until: DateTime<Utc>) -> Result<bool>;
    /// Marks the job done.
    async fn finish_job(&self, id: Uuid, worker: &str, now: DateTime<Utc>) -> Result<()>;
    /// Records a failed attempt: back to the queue at `retry_at`, or dead when `None`.
    async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    async fn get_job(&self, id: Uuid) -> Result<Option<crate::domain::job::Job>>;
    /// Newest first, optionally only one status.
    async fn list_jobs(
        &self,
        status: Option<crate::domain::job::JobStatus>,
        limit: u32,
    ) -> Result<Vec<crate::domain::job::Job>>;
    /// A dead or cancelled job back to the queue, now, with a fresh attempt count.
    async fn retry_job(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool>;
    /// A queued job cancelled (a running one is cancelled when its worker next checks in).
    async fn cancel_job(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool>;
}

/// Files kept in the database in chunks.
#[async_trait]
pub trait FileStore: Send + Sync {
    async fn create_file(&self, f: &crate::domain::export::StoredFile) -> Result<()>;
    async fn put_chunk(&self, file_id: Uuid, seq: i64, data: &[u8]) -> Result<()>;
    async fn complete_file(&self, file_id: Uuid, size: i64, sha256: &str) -> Result<()>;
    async fn get_file(&self, id: Uuid) -> Result<Option<crate::domain::export::StoredFile>>;
    async fn get_chunk(&self, file_id: Uuid, seq: i64) -> Result<Option<Vec<u8>>>;
    async fn delete_file(&self, id: Uuid) -> Result<()>;
}

/// A record an import writes, with what undoing it needs.
#[derive(Debug, Clone)]
pub enum ImportWrite {
    NewCompany {
        company: crate::domain::client::Company,
        body: String,
    },
    NewContact {
        contact: crate::domain::client::Contact,
        body: String,
        link: Option<crate::domain::client::CompanyLink>,
    },
    UpdateCompany {
        company: crate::domain::client::Company,
        expected_version: i64,
        body: String,
        before: serde_json::Value,
    },
    UpdateContact {
        contact: crate::domain::client::Contact,
        expected_version: i64,
        body: String,
        before: serde_json::Value,
        link: Option<crate::domain::client::CompanyLink>,
    },
}

/// One transaction of an import: whole rows only, the rows refused, and the progress.
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    pub import_id: Uuid,
    pub writes: Vec<ImportWrite>,
    pub rejects: Vec<crate::domain::import::ImportReject>,
    /// Rows processed, created, updated, skipped, rejected: added to the import's counters.
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    /// Rows refused (the `rejects` also list skipped duplicates, for the report).
    pub rejected: i64,
    pub audit: Vec<AuditEntry>,
    pub at: DateTime<Utc>,
}

/// What an import did to one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportChange {
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `created` or `updated`.
    pub action: String,
    pub before: Option<serde_json::Value>,
    /// The record's version right after the import wrote it.
    pub version: i64,
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    async fn insert_import(&self, i: &crate::domain::import::Import, audit: &AuditEntry) -> Result<()>;
    async fn get_import(&self, id: Uuid) -> Result<Option<crate::domain::import::Import>>;
    /// Newest first; only `created_by`'s when given.
    async fn list_imports(&self, created_by: Option<Uuid>, limit: u32) -> Result<Vec<crate::domain::import::Import>>;
    /// Writes status, settings, analysis, counters and times (optimistic on `version`).
    async fn save_import(&self, i: &crate::domain::import::Import, expected_version: i64) -> Result<()>;
    /// Applies a batch in one transaction (and bumps the import's counters). Fails as a
    /// whole: the caller then retries row by row to find the culprit.
    async fn apply_import_batch(&self, batch: &ImportBatch) -> Result<()>;
    async fn import_rejects(
        &self,
        import_id: Uuid,
        after_row: i64,
        limit: u32,
    ) -> Result<Vec<crate::domain::import::ImportReject>>;
    /// Changes in a stable order, `limit` at a time after `after` (entity id).
    async fn import_changes(&self, import_id: Uuid, after: Option<Uuid>, limit: u32) -> Result<Vec<ImportChange>>;
    /// Soft-deletes records an import created (those not changed since), in one transaction.
    async fn undo_created(
        &self,
        entity_type: &str,
        ids: &[(Uuid, i64)],
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<u64>;
    /// Owners of contact points among live records: (kind, value, entity type, id).
    async fn find_points(&self, points: &[(String, String)]) -> Result<Vec<(String, String, String, Uuid)>>;
    /// Live companies with one of these tax numbers or (folded) names: (id, tax number, folded name).
    async fn find_companies(
        &self,
        tax_numbers: &[String],
        names: &[String],
    ) -> Result<Vec<(Uuid, Option<String>, String)>>;
    /// E-mail addresses and websites of live companies: (id, address or website).
    async fn company_contact_hosts(&self) -> Result<Vec<(Uuid, String)>>;
    async fn list_presets(&self, entity: Option<&str>) -> Result<Vec<crate::domain::import::SavedPreset>>;
    async fn insert_preset(&self, p: &crate::domain::import::SavedPreset) -> Result<()>;
    async fn delete_preset(&self, id: Uuid) -> Result<bool>;
}

#[async_trait]
pub trait ExportStore: Send + Sync {
    async fn insert_export(&self, e: &crate::domain::export::Export) -> Result<()>;
    async fn get_export(&self, id: Uuid) -> Result<Option<crate::domain::export::Export>>;
    async fn save_export(&self, e: &crate::domain::export::Export) -> Result<()>;
    async fn list_exports(&self, created_by: Uuid, limit: u32) -> Result<Vec<crate::domain::export::Export>>;
}

/// One change of a deal, written in one transaction with its audit line: the deal row (with
/// its co-owners and tags), and optionally its lines, a stage move, a payment and an event.
#[derive(Debug, Clone)]
pub struct DealWrite {
    pub deal: crate::domain::deal::Deal,
    /// `None` inserts; otherwise the version the stored row must have.
    pub expected_version: Option<i64>,
    /// Replaces every line item when given.
    pub items: Option<Vec<crate::domain::deal::DealItem>>,
    /// Closes the open stay (`left_at` = this visit's `entered_at`) and opens this one.
    pub visit: Option<crate::domain::deal::StageVisit>,
    pub add_payment: Option<crate::domain::deal::DealPayment>,
    pub remove_payment: Option<Uuid>,
    pub event: Option<crate::domain::deal::DealEvent>,
    pub audit: AuditEntry,
}

/// The open deals of a pipeline on the board, as the store runs it.
#[derive(Debug, Clone)]
pub struct BoardQuery {
    pub pipeline_id: Uuid,
    pub scope: crate::authz::Scope,
    pub owner_id: Option<Uuid>,
    /// Folded tag.
    pub tag: Option<String>,
    /// Folded words the title must contain.
    pub terms: Vec<String>,
}

/// Open deals of one stage in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSum {
    pub stage_id: Uuid,
    pub currency: String,
    pub count: i64,
    pub sum_minor: i64,
}

#[async_trait]
pub trait FunnelStore: Send + Sync {
    /// Live pipelines with their live stages, in order.
    async fn list_pipelines(&self) -> Result<Vec<crate::domain::deal::Pipeline>>;
    /// Stages by id, removed ones included (history names them).
    async fn stages_by_ids(&self, ids: &[Uuid]) -> Result<Vec<crate::domain::deal::Stage>>;
    /// Writes a pipeline and its stages (inserting new stages, updating the others). With
    /// `remove_stage`, that stage is removed, or `Conflict` while live deals are in it.
    async fn save_pipeline(
        &self,
        p: &crate::domain::deal::Pipeline,
        expected_version: Option<i64>,
        remove_stage: Option<Uuid>,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Removes a pipeline, or `Conflict` while live deals are in it.
    async fn delete_pipeline(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<()>;
    /// Live deals in a pipeline, or in one of its stages.
    async fn count_live_deals(&self, pipeline_id: Uuid, stage_id: Option<Uuid>) -> Result<i64>;

    async fn list_loss_reasons(&self) -> Result<Vec<crate::domain::deal::LossReason>>;
    async fn save_loss_reason(
        &self,
        r: &crate::domain::deal::LossReason,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;

    async fn list_rates(&self) -> Result<Vec<crate::domain::deal::CurrencyRate>>;
    /// Adds a rate, replacing one for the same base, currency and day.
    async fn put_rate(&self, r: &crate::domain::deal::CurrencyRate, audit: &AuditEntry) -> Result<()>;
    async fn delete_rate(&self, id: Uuid, audit: &AuditEntry) -> Result<bool>;
    async fn get_setting(&self, key: &str) -> Result<Option<serde_json::Value>>;
    async fn put_setting(&self, key: &str, value: &serde_json::Value, audit: &AuditEntry) -> Result<()>;

    async fn get_deal(&self, id: Uuid) -> Result<Option<crate::domain::deal::Deal>>;
    async fn deal_items(&self, deal_id: Uuid, currency: &str) -> Result<Vec<crate::domain::deal::DealItem>>;
    async fn deal_payments(&self, deal_id: Uuid, currency: &str) -> Result<Vec<crate::domain::deal::DealPayment>>;
    /// Oldest first.
    async fn deal_history(&self, deal_id: Uuid) -> Result<Vec<crate::domain::deal::StageVisit>>;
    async fn save_deal(&self, w: &DealWrite) -> Result<()>;
    async fn list_deals(&self, spec: &ListSpec) -> Result<Page<crate::domain::deal::Deal>>;
    /// One board column: open deals of a stage, newest activity first (`updated_at`, id).
    async fn board_column(
        &self,
        q: &BoardQuery,
        stage_id: Uuid,
        limit: u32,
        cursor: Option<&crate::domain::page::Cursor>,
    ) -> Result<Page<crate::domain::deal::Deal>>;
    /// Deal events in the order they happened, after `after` (an event id), oldest first.
    async fn deal_events(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<crate::domain::deal::DealEvent>>;
    /// Count and sum of the open deals per stage and currency (one aggregate over an index).
    async fn board_sums(&self, q: &BoardQuery) -> Result<Vec<StageSum>>;
}

// ---------------- leads, products and stock ----------------

/// A lead's conversion, written in one transaction: the company and the contact it creates
/// (reused ones are only referenced), the deal, and the lead marked converted, each with its
/// audit line.
#[derive(Debug, Clone)]
pub struct LeadConversion {
    /// The lead as converted (status `converted`, links set, version bumped).
    pub lead: crate::domain::lead::Lead,
    pub lead_expected_version: i64,
    /// A new company and its search text.
    pub new_company: Option<(crate::domain::client::Company, String)>,
    /// A new contact, its search text and its link to the company.
    pub new_contact: Option<(crate::domain::client::Contact, String, Option<crate::domain::client::CompanyLink>)>,
    pub deal: Option<DealWrite>,
    /// Audit lines of the new company, the new contact and the lead.
    pub audits: Vec<AuditEntry>,
}

#[async_trait]
pub trait LeadStore: Send + Sync {
    async fn insert_lead(&self, l: &crate::domain::lead::Lead, audit: &AuditEntry) -> Result<()>;
    async fn update_lead(&self, l: &crate::domain::lead::Lead, expected_version: i64, audit: &AuditEntry)
    -> Result<()>;
    async fn get_lead(&self, id: Uuid) -> Result<Option<crate::domain::lead::Lead>>;
    async fn list_leads(&self, spec: &ListSpec) -> Result<Page<crate::domain::lead::Lead>>;
    /// Live companies named `folded_name` (folded), or whose e-mail addresses or website are
    /// at one of `domains`: (id, what matched: `name` or `domain`).
    async fn match_companies(&self, folded_name: Option<&str>, domains: &[String]) -> Result<Vec<(Uuid, String)>>;
    /// Writes a conversion in one transaction. `Conflict` when the lead was converted meanwhile.
    async fn convert_lead(&self, c: &LeadConversion) -> Result<()>;
}

/// A product list request as the store runs it.
#[derive(Debug, Clone)]
pub struct ProductQuery {
    /// Folded words the name must contain (each), or the start of a SKU.
    pub terms: Vec<String>,
    /// Upper-cased text matched against the start of the SKU (with `terms` as alternative).
    pub sku: Option<String>,
    /// Only products of these categories.
    pub categories: Option<Vec<Uuid>>,
    pub active: Option<bool>,
    pub below_zero: bool,
    pub page: PageRequest,
}

#[async_trait]
pub trait ProductStore: Send + Sync {
    async fn list_categories(&self) -> Result<Vec<crate::domain::product::Category>>;
    async fn save_category(
        &self,
        c: &crate::domain::product::Category,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Removes a category, or `Conflict` while products or categories are in it.
    async fn delete_category(&self, id: Uuid, audit: &AuditEntry) -> Result<()>;
    async fn list_price_lists(&self) -> Result<Vec<crate::domain::product::PriceList>>;
    /// Writes a price list; a default list makes the other lists of its currency non-default.
    async fn save_price_list(
        &self,
        l: &crate::domain::product::PriceList,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Removes a price list and its prices.
    async fn delete_price_list(&self, id: Uuid, audit: &AuditEntry) -> Result<()>;
    async fn get_product(&self, id: Uuid) -> Result<Option<crate::domain::product::Product>>;
    async fn products_by_ids(&self, ids: &[Uuid]) -> Result<Vec<crate::domain::product::Product>>;
    async fn list_products(&self, q: &ProductQuery) -> Result<Page<crate::domain::product::Product>>;
    /// Writes a product and replaces its prices (stock on hand is never written here).
    async fn save_product(
        &self,
        p: &crate::domain::product::Product,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Adds a movement and changes stock on hand by its quantity, in one transaction;
    /// returns the movement with the balance after it.
    async fn add_stock_movement(
        &self,
        m: &crate::domain::product::StockMovement,
        audit: &AuditEntry,
    ) -> Result<crate::domain::product::StockMovement>;
    /// Newest first.
    async fn list_movements(
        &self,
        product_id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<crate::domain::product::StockMovement>>;
}

// ---------------- quotes and invoices ----------------

/// A list of quotes or invoices as the store runs it: newest first (`created_at`, id).
#[derive(Debug, Clone)]
pub struct DocumentQuery {
    pub kind: crate::domain::document::DocKind,
    /// The deals within reach: documents follow their deal.
    pub scope: crate::authz::Scope,
    pub status: Option<crate::domain::document::DocStatus>,
    pub deal_id: Option<Uuid>,
    pub page: PageRequest,
}

/// A document written together with a change of its deal (a payment that settles or
/// reopens an invoice): the document, the version it must have, and its audit line.
#[derive(Debug, Clone)]
pub struct DocumentChange {
    pub document: crate::domain::document::Document,
    pub expected_version: i64,
    pub audit: AuditEntry,
}

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Inserts a new document numbered by `pattern`, in one transaction: the counter of its
    /// kind and period (from `issue_date`) goes up by one — the row stays locked until the
    /// commit, so concurrent creations queue — the number is formatted, the row inserted and
    /// the audit line (with `number` added to its changes) written. Anything failing rolls the
    /// counter back too: numbers have no gaps. Returns the number.
    async fn insert_document(
        &self,
        d: &crate::domain::document::Document,
        pattern: &crate::domain::document::NumberPattern,
        audit: &AuditEntry,
    ) -> Result<String>;
    /// Writes a document (whose `version` is the new one) if the stored one is at
    /// `expected_version`; otherwise `PreconditionFailed`. The number never changes.
    async fn update_document(
        &self,
        d: &crate::domain::document::Document,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn get_document(&self, id: Uuid) -> Result<Option<crate::domain::document::Document>>;
    async fn list_documents(&self, q: &DocumentQuery) -> Result<Page<crate::domain::document::Document>>;
    /// Records the PDF rendered from `version` (not a change of the document: no new version).
    async fn set_document_file(&self, id: Uuid, file_id: Uuid, version: i64) -> Result<()>;
    /// A deal change (a payment added or removed) and the documents it settles or reopens,
    /// in one transaction.
    async fn save_deal_with_documents(&self, w: &DealWrite, docs: &[DocumentChange]) -> Result<()>;
}

// ---------------- communications and the inbox ----------------

/// A conversation list as the store runs it: newest activity first (`last_message_at`, id).
#[derive(Debug, Clone)]
pub struct InboxQuery {
    /// Conversations whose assignee is within reach.
    pub scope: crate::authz::Scope,
    /// Unassigned conversations are listed too (anyone who works the inbox may take them).
    pub unassigned_visible: bool,
    pub statuses: Vec<crate::domain::inbox::ConversationStatus>,
    pub channel_kind: Option<crate::domain::inbox::ChannelKind>,
    pub channel_id: Option<Uuid>,
    /// `Some(None)`: unassigned only.
    pub assignee: Option<Option<Uuid>>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub unread_only: bool,
    pub limit: u32,
    /// (last_message_at, id) of the last conversation of the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

/// A message written with its conversation in one transaction (and, for outbound ones, the
/// job that sends it: a queued message is never without its job).
#[derive(Debug, Clone)]
pub struct MessageWrite {
    /// The conversation as it should be after the message (status, preview, times).
    pub conversation: crate::domain::inbox::Conversation,
    pub insert_conversation: bool,
    /// Added to the stored unread count.
    pub unread_delta: i64,
    pub message: crate::domain::inbox::Message,
    pub job: Option<crate::domain::job::Job>,
}

/// A small document: an e-mail template, a form, a sequence or a bot rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CommDoc {
    pub id: Uuid,
    /// `template`, `form`, `sequence` or `bot_rule`.
    pub kind: String,
    pub version: i64,
    pub name: String,
    pub public_key: Option<String>,
    pub body: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A contact in a sequence.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Enrollment {
    pub id: Uuid,
    pub sequence_id: Uuid,
    pub contact_id: Uuid,
    pub address: String,
    /// `active`, `stopped` or `completed`.
    pub status: String,
    /// The next step to send (0-based).
    pub step: i64,
    pub next_at: Option<DateTime<Utc>>,
    /// `reply`, `unsubscribe`, `deal_won`, `manual`.
    pub stop_reason: Option<String>,
    pub enrolled_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Per-step figures of a sequence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StepStats {
    pub step: i64,
    pub sent: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
}

#[async_trait]
pub trait InboxStore: Send + Sync {
    /// Inserts (`expected_version` `None`) or updates a channel with its secrets.
    async fn save_channel(
        &self,
        c: &crate::domain::inbox::Channel,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn list_channels(&self) -> Result<Vec<crate::domain::inbox::Channel>>;
    async fn get_channel(&self, id: Uuid) -> Result<Option<crate::domain::inbox::Channel>>;
    async fn channel_by_key(&self, public_key: &str) -> Result<Option<crate::domain::inbox::Channel>>;
    /// The poller's own state (not a change of the channel: no version, no audit).
    async fn channel_state(&self, id: Uuid) -> Result<serde_json::Value>;
    async fn set_channel_state(&self, id: Uuid, state: &serde_json::Value) -> Result<()>;

    /// Writes a message and its conversation; `false` (and nothing written) when a message
    /// with the same channel and external id is already stored.
    async fn save_message(&self, w: &MessageWrite) -> Result<bool>;
    async fn get_conversation(&self, id: Uuid) -> Result<Option<crate::domain::inbox::Conversation>>;
    /// Status, assignee or client links changed by a person (optimistic on `version`).
    async fn update_conversation(
        &self,
        c: &crate::domain::inbox::Conversation,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn list_conversations(&self, q: &InboxQuery) -> Result<Vec<crate::domain::inbox::Conversation>>;
    /// Unread counts per channel kind within the query's reach (filters other than reach ignored).
    async fn unread_by_kind(&self, q: &InboxQuery) -> Result<Vec<(String, i64)>>;
    /// The newest conversation with this peer on this channel that is not closed.
    async fn open_conversation(
        &self,
        channel_id: Uuid,
        peer: &str,
    ) -> Result<Option<crate::domain::inbox::Conversation>>;
    async fn mark_conversation_read(&self, id: Uuid) -> Result<()>;
    async fn get_message(&self, id: Uuid) -> Result<Option<crate::domain::inbox::Message>>;
    /// Oldest first.
    async fn messages_of(&self, conversation_id: Uuid, limit: u32) -> Result<Vec<crate::domain::inbox::Message>>;
    /// Messages newer than `after` in a conversation (live updates), oldest first.
    async fn messages_after(
        &self,
        conversation_id: Uuid,
        after: DateTime<Utc>,
    ) -> Result<Vec<crate::domain::inbox::Message>>;
    /// The stored message with one of these RFC Message-IDs (threading).
    async fn message_by_rfc_ids(&self, ids: &[String]) -> Result<Option<crate::domain::inbox::Message>>;
    async fn message_by_token(&self, token: &str) -> Result<Option<crate::domain::inbox::Message>>;
    /// Records the provider's acceptance and marks the message sent, only if it is not sent
    /// yet; `false` when it already was.
    async fn mark_sent(&self, id: Uuid, external_id: Option<&str>, reply: &str, at: DateTime<Utc>) -> Result<bool>;
    /// Counts a failed attempt (and, when `failed`, gives the message up).
    async fn record_send_failure(&self, id: Uuid, error: &str, failed: bool) -> Result<()>;
    /// A bulk message not sent on purpose (the recipient withdrew consent).
    async fn suppress_message(&self, id: Uuid, reason: &str) -> Result<()>;
    /// A failed message back to pending (before its job is retried).
    async fn reset_message(&self, id: Uuid) -> Result<()>;
    /// Makes the queued job with this dedupe key due now; the job's id (whatever its
    /// status), `None` when there is no such job.
    async fn nudge_job(&self, dedupe_key: &str, now: DateTime<Utc>) -> Result<Option<Uuid>>;
    /// The status of the job with this dedupe key.
    async fn job_status_by_key(&self, dedupe_key: &str) -> Result<Option<String>>;
    /// Whether a deal of the contact was won at or after `since` (sequences stop then).
    async fn won_deal_since(&self, contact_id: Uuid, since: DateTime<Utc>) -> Result<bool>;

    async fn insert_message_event(&self, e: &crate::domain::inbox::MessageEvent) -> Result<()>;
    async fn events_of(&self, message_id: Uuid) -> Result<Vec<crate::domain::inbox::MessageEvent>>;

    /// Inserts or updates a call (by id).
    async fn save_call(&self, c: &crate::domain::inbox::Call, insert: bool) -> Result<()>;
    async fn call_by_external(&self, channel_id: Uuid, external_id: &str)
    -> Result<Option<crate::domain::inbox::Call>>;
    /// Calls of a user changed since `since`, newest first.
    async fn calls_of_user(&self, user_id: Uuid, since: DateTime<Utc>) -> Result<Vec<crate::domain::inbox::Call>>;
    /// Calls of a contact or company, newest first.
    async fn calls_of_client(
        &self,
        contact_id: Option<Uuid>,
        company_id: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<crate::domain::inbox::Call>>;

    async fn insert_consent(&self, c: &crate::domain::inbox::Consent) -> Result<()>;
    /// The newest consent record of an address on a channel.
    async fn latest_consent(&self, channel: &str, address: &str) -> Result<Option<crate::domain::inbox::Consent>>;

    async fn save_doc(&self, d: &CommDoc, expected_version: Option<i64>, audit: &AuditEntry) -> Result<()>;
    async fn list_docs(&self, kind: &str) -> Result<Vec<CommDoc>>;
    async fn get_doc(&self, id: Uuid) -> Result<Option<CommDoc>>;
    async fn doc_by_key(&self, public_key: &str) -> Result<Option<CommDoc>>;
    async fn delete_doc(&self, id: Uuid, audit: &AuditEntry) -> Result<()>;

    async fn insert_submission(
        &self,
        form_id: Uuid,
        lead_id: Option<Uuid>,
        conversation_id: Option<Uuid>,
        data: &serde_json::Value,
        consent: bool,
        at: DateTime<Utc>,
    ) -> Result<Uuid>;
    async fn count_submissions(&self, form_id: Uuid) -> Result<i64>;

    /// Inserts an enrollment (`Conflict` when the contact is already in the sequence) or updates one.
    async fn save_enrollment(&self, e: &Enrollment, insert: bool) -> Result<()>;
    async fn get_enrollment(&self, id: Uuid) -> Result<Option<Enrollment>>;
    async fn enrollments_of(&self, sequence_id: Uuid) -> Result<Vec<Enrollment>>;
    /// Active enrollments sending to this address.
    async fn active_enrollments_for(&self, address: &str) -> Result<Vec<Enrollment>>;
    async fn step_stats(&self, sequence_id: Uuid) -> Result<Vec<StepStats>>;
}

// ---------------- tasks, activities, comments, calendar feeds ----------------

/// A notification to add with a change, optionally once per key.
#[derive(Debug, Clone)]
pub struct NotificationWrite {
    pub notification: Notification,
    pub dedupe_key: Option<String>,
}

/// One task written with its audit line, the jobs it queues (reminders) and the notifications
/// it sends, in one transaction.
#[derive(Debug, Clone)]
pub struct TaskWrite {
    pub task: crate::domain::task::Task,
    /// `None` inserts; otherwise the version the stored row must have.
    pub expected_version: Option<i64>,
    pub jobs: Vec<crate::domain::job::Job>,
    pub notifications: Vec<NotificationWrite>,
    pub audit: AuditEntry,
}

/// A task list as the store runs it.
#[derive(Debug, Clone)]
pub struct TaskQuery {
    /// Whose tasks the reader reaches by role (over the assignee); the reader's own tasks
    /// (assigned to or created by `me`) are always in.
    pub scope: crate::authz::Scope,
    pub me: Uuid,
    /// Ignore the scope: the reader may read the related record, and with it its tasks.
    pub unscoped: bool,
    pub assignees: Option<Vec<Uuid>>,
    pub created_by: Option<Uuid>,
    pub statuses: Vec<crate::domain::task::TaskStatus>,
    /// Due from (inclusive) and before (exclusive).
    pub due_from: Option<DateTime<Utc>>,
    pub due_before: Option<DateTime<Utc>>,
    /// Open and late at this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    pub related: Option<crate::domain::task::Related>,
    pub group_id: Option<Uuid>,
    pub kinds: Vec<crate::domain::task::TaskKind>,
    /// Folded words the title must contain.
    pub terms: Vec<String>,
    /// Sorted by `due_at` (tasks without one last), `created_at` or `updated_at`.
    pub page: PageRequest,
}

#[async_trait]
pub trait TaskStore: Send + Sync {
    /// Writes tasks (and a new group task) in one transaction. `Conflict` when another task
    /// already holds a place of a series (an occurrence completed twice).
    async fn save_tasks(
        &self,
        writes: &[TaskWrite],
        group: Option<(&crate::domain::task::TaskGroup, &AuditEntry)>,
    ) -> Result<()>;
    async fn get_task(&self, id: Uuid) -> Result<Option<crate::domain::task::Task>>;
    async fn list_tasks(&self, q: &TaskQuery) -> Result<Page<crate::domain::task::Task>>;
    async fn get_task_group(&self, id: Uuid) -> Result<Option<crate::domain::task::TaskGroup>>;
    /// Newest first; only `created_by`'s when given.
    async fn list_task_groups(
        &self,
        created_by: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<crate::domain::task::TaskGroup>>;
    /// The copies of a group task.
    async fn group_tasks(&self, group_id: Uuid) -> Result<Vec<crate::domain::task::Task>>;
    /// Open, live deals that entered `stage_id` before `entered_before`.
    async fn deals_in_stage_since(
        &self,
        stage_id: Uuid,
        entered_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<crate::domain::deal::Deal>>;
}

/// A position in a timeline: newest first by time, then id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineCursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

/// A page of the events feed as the store runs it (audit lines, newest first).
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    /// Only changes made by these users (`None`: everyone's, the system's included).
    pub actors: Option<Vec<Uuid>>,
    pub entity_types: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// After this audit line (its id).
    pub before: Option<Uuid>,
    pub limit: u32,
}

/// A private calendar feed URL (only the hash of its token is kept).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CalendarFeed {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The first characters of the token, to tell feeds apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait CollabStore: Send + Sync {
    /// Writes an activity; on insert also moves the clients' `last_contacted_at` forward to
    /// its time (never back), in the same transaction.
    async fn save_activity(
        &self,
        a: &crate::domain::activity::Activity,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn get_activity(&self, id: Uuid) -> Result<Option<crate::domain::activity::Activity>>;
    /// The activities of a record (a contact's and a company's include those logged against
    /// their deals and leads), newest first, before `before`.
    async fn activities_of(
        &self,
        record: crate::domain::task::Related,
        kinds: &[crate::domain::activity::ActivityKind],
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<crate::domain::activity::Activity>>;
    /// Activities logged by these users (all when `None`), newest first.
    async fn activities_by(
        &self,
        creators: Option<&[Uuid]>,
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<crate::domain::activity::Activity>>;
    async fn save_comment(
        &self,
        c: &crate::domain::activity::Comment,
        expected_version: Option<i64>,
        notifications: &[NotificationWrite],
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn get_comment(&self, id: Uuid) -> Result<Option<crate::domain::activity::Comment>>;
    /// Live comments of a record, newest first, before `before`.
    async fn comments_of(
        &self,
        record: crate::domain::task::Related,
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<crate::domain::activity::Comment>>;
    /// Live tasks of a record, newest first by completion (else creation) time.
    async fn tasks_of(
        &self,
        record: crate::domain::task::Related,
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<crate::domain::task::Task>>;
    /// Audit lines of a record, newest first, before `before`.
    async fn audit_page_of(
        &self,
        entity_id: Uuid,
        before: Option<TimelineCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
    /// The events feed: audit lines newest first.
    async fn feed(&self, q: &FeedQuery) -> Result<Vec<AuditEntry>>;
    async fn insert_calendar_feed(&self, f: &CalendarFeed, token_hash: &str, audit: &AuditEntry) -> Result<()>;
    async fn calendar_feeds(&self, user_id: Uuid) -> Result<Vec<CalendarFeed>>;
    /// The live feed with this token hash.
    async fn calendar_feed_by_hash(&self, token_hash: &str) -> Result<Option<CalendarFeed>>;
    async fn revoke_calendar_feed(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<bool>;
}

// ---------------- reports ----------------

/// What a report covers: the viewer's reach over deals (applied in SQL) and the filters of
/// the dashboard or request.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    pub scope: crate::authz::Scope,
    pub pipeline_id: Option<Uuid>,
    /// The deal's main manager.
    pub owner_id: Option<Uuid>,
    /// Deals whose main manager is in this team (or a team below it: the service expands).
    pub team_ids: Vec<Uuid>,
}

/// How a funnel (or segment profitability) is cut into segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slice {
    None,
    /// `new` or `existing` client: existing when the client (company, else contact) had a won
    /// deal closed before this deal was created.
    ClientAge,
    Source,
    /// The product lines of the deal (a deal with two products is in both segments).
    Product,
    /// The region of the company's address, else the contact's.
    Region,
    Manager,
    /// Each tag of the deal (a deal with two tags is in both).
    Tag,
    /// The value of a deal custom field (key validated to `[a-z][a-z0-9_]*`).
    Field(String),
}

/// Funnel of a pipeline: the cohort of its deals created in `[from, to)`.
#[derive(Debug, Clone)]
pub struct FunnelQuery {
    pub filter: ReportFilter,
    pub pipeline_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub slice: Slice,
}

/// One stage of one segment: the cohort's stays there and where they went next.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStageRow {
    pub segment: Option<String>,
    pub stage_id: Uuid,
    /// Distinct deals that entered it.
    pub entries: i64,
    /// Stays (a deal that came back counts again).
    pub visits: i64,
    pub to_forward: i64,
    pub to_backward: i64,
    pub to_won: i64,
    pub to_lost: i64,
    /// Left for a stage of another pipeline.
    pub to_other: i64,
    /// Completed stays: count, mean and median seconds.
    pub stays: i64,
    pub mean_seconds: Option<f64>,
    pub median_seconds: Option<f64>,
}

/// The cohort of one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelCohortRow {
    pub segment: Option<String>,
    pub deals: i64,
    pub won: i64,
    pub lost: i64,
    /// Closed deals: count, mean and median seconds from creation to closing.
    pub closed: i64,
    pub length_mean: Option<f64>,
    pub length_median: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunnelFacts {
    pub stages: Vec<FunnelStageRow>,
    pub cohorts: Vec<FunnelCohortRow>,
    pub reach: Vec<(Option<String>, crate::domain::report::ReachBucket)>,
}

/// Amounts of a group in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSum {
    /// The group: a bucket index, a status, a source, a loss reason id, a stage id, ...
    pub key: Option<String>,
    pub currency: String,
    pub count: i64,
    pub sum_minor: i64,
}

/// The sales figures of a period, added up in the database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SalesFacts {
    /// Deals created in the period by current status.
    pub created_by_status: Vec<GroupSum>,
    /// Deals won in the period (closing time), by currency.
    pub won: Vec<GroupSum>,
    pub lost_count: i64,
    /// Deals created in the period that are won now.
    pub created_won: i64,
    /// Won deals closed in the period: mean and median seconds from creation to closing.
    pub cycle_count: i64,
    pub cycle_mean: Option<f64>,
    pub cycle_median: Option<f64>,
    /// Lost in the period by loss reason id (text; `None` without a reason).
    pub loss_reasons: Vec<GroupSum>,
    /// Won in the period by source.
    pub by_source: Vec<GroupSum>,
    /// Clients whose first won deal closed in the period, by that deal's source.
    pub acquired_by_source: Vec<(Option<String>, i64)>,
}

/// A series by bucket index (`key` = index into the buckets).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesFacts {
    pub won: Vec<GroupSum>,
    pub created: Vec<GroupSum>,
}

/// Planned or received payments of deals within reach, by the deal's manager and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSum {
    pub owner_id: Option<Uuid>,
    pub currency: String,
    pub count: i64,
    pub sum_minor: i64,
}

/// One user's activity in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFacts {
    pub user_id: Uuid,
    pub calls_out: i64,
    pub calls_out_seconds: i64,
    pub calls_in: i64,
    pub calls_in_seconds: i64,
    pub emails: i64,
    pub meetings: i64,
    pub tasks_done: i64,
    pub tasks_overdue: i64,
}

/// Won revenue of one item (client or product) in one bucket and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemBucketSum {
    pub id: Uuid,
    pub name: String,
    pub bucket: i64,
    pub currency: String,
    pub sum_minor: i64,
}

/// The fact of a plan: won deals of its people in its period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFact {
    /// Won amounts by currency (minor units).
    pub amounts: Vec<(String, i64)>,
    pub count: i64,
    /// Margins by currency: line totals without tax less product costs; the amount of a deal
    /// without lines.
    pub margins: Vec<(String, i64)>,
}

/// One segment of segment profitability: deals created in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRow {
    pub segment: Option<String>,
    pub currency: String,
    pub deals: i64,
    pub won: i64,
    pub revenue_minor: i64,
    pub margin_minor: i64,
}

/// Clients with won deals in the previous period and in this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChurnFacts {
    pub active_before: i64,
    pub retained: i64,
    pub churned: i64,
    pub new_clients: i64,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    async fn funnel_facts(&self, q: &FunnelQuery) -> Result<FunnelFacts>;
    async fn sales_facts(&self, f: &ReportFilter, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<SalesFacts>;
    async fn sales_series(&self, f: &ReportFilter, buckets: &[(DateTime<Utc>, DateTime<Utc>)]) -> Result<SeriesFacts>;
    /// Open deals now, by stage and currency (`key` = stage id).
    async fn open_pipeline(&self, f: &ReportFilter) -> Result<Vec<GroupSum>>;
    /// Payments of `kind` (`planned` / `actual`) dated `from..=to`.
    async fn payment_sums(
        &self,
        f: &ReportFilter,
        kind: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PaymentSum>>;
    /// Activity of the users within `users` (a scope over the acting user) in `[from, to)`;
    /// overdue tasks as of `now`.
    async fn activity_facts(
        &self,
        users: &crate::authz::Scope,
        user_ids: &[Uuid],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ActivityFacts>>;
    /// Won deals of the owners (`None`: everyone within reach) closed in `[from, to)`.
    async fn plan_fact(
        &self,
        f: &ReportFilter,
        owners: Option<&[Uuid]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<PlanFact>;
    /// Won revenue per client (`products == false`) or product per bucket.
    async fn item_revenue(
        &self,
        f: &ReportFilter,
        products: bool,
        buckets: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<ItemBucketSum>>;
    async fn churn_facts(
        &self,
        f: &ReportFilter,
        before: (DateTime<Utc>, DateTime<Utc>),
        now: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<ChurnFacts>;
    async fn segment_rows(
        &self,
        f: &ReportFilter,
        slice: &Slice,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SegmentRow>>;

    async fn list_plans(&self) -> Result<Vec<crate::domain::report::SalesPlan>>;
    async fn get_plan(&self, id: Uuid) -> Result<Option<crate::domain::report::SalesPlan>>;
    /// Inserts (`expected == None`) or updates at `expected` version.
    async fn save_plan(
        &self,
        p: &crate::domain::report::SalesPlan,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn delete_plan(&self, id: Uuid, audit: &AuditEntry) -> Result<bool>;
    async fn list_costs(&self) -> Result<Vec<crate::domain::report::ChannelCost>>;
    async fn get_cost(&self, id: Uuid) -> Result<Option<crate::domain::report::ChannelCost>>;
    async fn save_cost(
        &self,
        c: &crate::domain::report::ChannelCost,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn delete_cost(&self, id: Uuid, audit: &AuditEntry) -> Result<bool>;
    /// Costs of `kind` whose period overlaps `from..=to`.
    async fn cost_sums(&self, kind: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<GroupSum>>;
    /// The users in these teams.
    async fn team_members(&self, team_ids: &[Uuid]) -> Result<Vec<Uuid>>;
    /// Open deals within reach that entered one of `stages` before its instant (stuck past
    /// the stage's time limit), longest waiting first.
    async fn stuck_deals(
        &self,
        f: &ReportFilter,
        stages: &[(Uuid, DateTime<Utc>)],
        limit: u32,
    ) -> Result<Vec<StuckDeal>>;

    /// The user's own dashboards and the shared ones.
    async fn list_dashboards(&self, user_id: Uuid) -> Result<Vec<crate::domain::dashboard::Dashboard>>;
    async fn get_dashboard(&self, id: Uuid) -> Result<Option<crate::domain::dashboard::Dashboard>>;
    async fn save_dashboard(
        &self,
        d: &crate::domain::dashboard::Dashboard,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn delete_dashboard(&self, id: Uuid, audit: &AuditEntry) -> Result<bool>;
}

/// A deal past its stage's time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckDeal {
    pub id: Uuid,
    pub title: String,
    pub stage_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub stage_entered_at: DateTime<Utc>,
}
mod report_builder;
pub use report_builder::{ReportBuilderStore, ReportSchedule, ReportScope, SavedReport, ScheduleEvery};
/// Schedules, job effects, domain events and automation (issue 7).
#[async_trait]
pub trait AutomationStore: Send + Sync {
    /// Writes an event that is no record change of its own (`task.overdue`), with what
    /// follows from it, in one transaction.
    async fn insert_event(&self, ev: &crate::domain::automation::DomainEvent) -> Result<()>;
    async fn get_event(&self, id: Uuid) -> Result<Option<crate::domain::automation::DomainEvent>>;
    async fn list_events(
        &self,
        q: &crate::domain::automation::EventQuery,
    ) -> Result<Vec<crate::domain::automation::DomainEvent>>;
    /// Whether an effect with this key was committed already.
    async fn effect_done(&self, key: &str) -> Result<bool>;
    /// Records an effect key on its own; `false` when it was there already.
    async fn mark_effect(&self, key: &str, job: Option<Uuid>) -> Result<bool>;
    /// Adds a schedule or changes its cron, kind, payload and next slot (by name).
    async fn upsert_schedule(&self, s: &crate::domain::automation::JobSchedule) -> Result<()>;
    async fn list_schedules(&self) -> Result<Vec<crate::domain::automation::JobSchedule>>;
    async fn delete_schedule(&self, name: &str) -> Result<bool>;
    /// Enabled schedules whose next slot is at or before `now`.
    async fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<crate::domain::automation::JobSchedule>>;
    /// Moves a schedule from slot `slot` to `next` and queues `job` in one transaction;
    /// `false` (and nothing queued) when another worker moved it first.
    async fn advance_schedule(
        &self,
        name: &str,
        slot: DateTime<Utc>,
        next: DateTime<Utc>,
        job: &crate::domain::job::Job,
    ) -> Result<bool>;
}

/// Automation rules, their versions and runs; distribution policies (issue 7).
#[async_trait]
pub trait RuleStore: Send + Sync {
    /// Adds a rule (version 1) with its first version row and audit line.
    async fn insert_rule(&self, r: &crate::domain::rule::Rule, audit: &AuditEntry) -> Result<()>;
    /// Saves a new version of a rule (and its version row) if it is still at `expected_version`.
    async fn update_rule(&self, r: &crate::domain::rule::Rule, expected_version: i64, audit: &AuditEntry)
    -> Result<()>;
    async fn delete_rule(&self, id: Uuid, at: DateTime<Utc>, audit: &AuditEntry) -> Result<bool>;
    /// A live rule.
    async fn get_rule(&self, id: Uuid) -> Result<Option<crate::domain::rule::Rule>>;
    /// Live rules by name.
    async fn list_rules(&self) -> Result<Vec<crate::domain::rule::Rule>>;
    /// Enabled live rules listening to `event_type`.
    async fn rules_for_event(&self, event_type: &str) -> Result<Vec<crate::domain::rule::Rule>>;
    async fn rule_versions(&self, id: Uuid) -> Result<Vec<crate::domain::rule::RuleVersion>>;
    async fn insert_run(&self, run: &crate::domain::rule::RuleRun) -> Result<()>;
    /// Runs newest first, of one rule or of one record.
    async fn list_runs(
        &self,
        rule_id: Option<Uuid>,
        entity: Option<(&str, Uuid)>,
        limit: u32,
    ) -> Result<Vec<crate::domain::rule::RuleRun>>;
    async fn save_policy(
        &self,
        p: &crate::domain::distribution::Policy,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn list_policies(&self) -> Result<Vec<crate::domain::distribution::Policy>>;
    async fn get_policy_by_name(&self, name: &str) -> Result<Option<crate::domain::distribution::Policy>>;
    async fn delete_policy(&self, id: Uuid, audit: &AuditEntry) -> Result<bool>;
    /// Advances the round-robin cursor of a policy by one and returns its value before.
    async fn next_rr(&self, policy_id: Uuid) -> Result<i64>;
    /// Records an assignment made by a policy.
    async fn record_assignment(&self, a: &crate::domain::distribution::Assignment) -> Result<()>;
    /// How many assignments each of `users` got from any policy since `since`.
    async fn assignments_since(&self, users: &[Uuid], since: DateTime<Utc>) -> Result<Vec<(Uuid, i64)>>;
    /// Ids of live records of `entity` (deal, lead, contact, company, task), newest first.
    async fn record_ids(&self, entity: &str, limit: u32) -> Result<Vec<Uuid>>;
    /// Open deals and open leads owned by each of `users` (their load).
    async fn open_load(&self, users: &[Uuid]) -> Result<Vec<(Uuid, i64)>>;
}

/// Outgoing webhooks: subscriptions, deliveries written with their event, attempts (issue 7).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds or changes a subscription (with its event types) and its audit line.
    async fn save_subscription(
        &self,
        s: &crate::domain::webhook::Subscription,
        secret: &str,
        expected_version: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// A subscription and its secret.
    async fn get_subscription(&self, id: Uuid) -> Result<Option<(crate::domain::webhook::Subscription, String)>>;
    async fn list_subscriptions(&self) -> Result<Vec<crate::domain::webhook::Subscription>>;
    async fn delete_subscription(&self, id: Uuid, audit: &AuditEntry) -> Result<bool>;
    async fn get_delivery(&self, id: Uuid) -> Result<Option<crate::domain::webhook::Delivery>>;
    /// Deliveries of a subscription, newest first.
    async fn list_deliveries(&self, subscription_id: Uuid, limit: u32)
    -> Result<Vec<crate::domain::webhook::Delivery>>;
    async fn delivery_attempts(&self, delivery_id: Uuid) -> Result<Vec<crate::domain::webhook::Attempt>>;
    /// Logs an attempt and sets the delivery's status, code and error.
    async fn record_attempt(&self, a: &crate::domain::webhook::Attempt, status: &str) -> Result<()>;
    /// Sets a delivery's status (`dead` after the last attempt, `pending` for a redelivery).
    async fn set_delivery_status(&self, id: Uuid, status: &str, at: DateTime<Utc>) -> Result<()>;
}
