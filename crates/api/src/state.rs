//! What every handler shares.

use std::sync::Arc;

use oneonone_persistence::Database;

use crate::auth::{JwtKeys, LoginLimiter};
use crate::config::Settings;

/// Shared state, cloned into every worker.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub jwt: Arc<JwtKeys>,
    /// Signs and reads the unsubscribe links in emails.
    pub links: Arc<oneonone_usecases::notify::LinkKeys>,
    pub limiter: Arc<LoginLimiter>,
    pub settings: Arc<Settings>,
    /// Test hooks that fail a change at a chosen point (never armed in production).
    pub faults: Arc<oneonone_usecases::once::Faults>,
    /// Published eNPS results by (survey, group kind, group key): they never change once a
    /// survey is closed, so every replica may keep its own copy.
    pub enps_results: Arc<ResultsCache>,
    /// Goals' histories as JSON, by goal, with the goal version they belong to (and whether
    /// the goal had a parent then): a history grows only with a new version, and every read
    /// asks the database whether the version is still the goal's (in the statement that
    /// reads the goal), so a replica's copy is never served stale.
    pub goal_histories: Arc<HistoryCache>,
    /// Program reports as sent, by query and reader class, with where the data stood before
    /// they were computed ([`oneonone_persistence::Database::data_version`]) and the instant
    /// they stop holding (the next midnight UTC, when their days move on): served again only
    /// while the version is still the database's and that instant has not come.
    pub program_reports: Arc<ReportCache>,
    /// What `/metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// JSON written once and shared by the responses that embed it.
#[derive(Debug, Clone)]
pub struct SharedJson(Arc<serde_json::value::RawValue>);

impl SharedJson {
    pub fn new<T: serde::Serialize>(value: &T) -> serde_json::Result<Self> {
        Ok(Self(Arc::from(serde_json::value::to_raw_value(value)?)))
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.get().len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.get().is_empty()
    }
}

impl serde::Serialize for SharedJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// See [`AppState::goal_histories`].
pub type HistoryCache = quick_cache::sync::Cache<uuid::Uuid, KnownHistory, HistoryWeight>;

/// A goal's history at one version, as [`AppState::goal_histories`] keeps it.
#[derive(Debug, Clone)]
pub struct KnownHistory {
    pub goal: oneonone_persistence::goals::KnownGoal,
    pub history: SharedJson,
}

/// How much history JSON a server keeps, in bytes.
pub const HISTORY_BYTES_CACHED: u64 = 64 << 20;

/// Weighs a cached history by its size.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryWeight;

impl quick_cache::Weighter<uuid::Uuid, KnownHistory> for HistoryWeight {
    fn weight(&self, _: &uuid::Uuid, value: &KnownHistory) -> u64 {
        u64::try_from(value.history.len())
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

/// A history cache of [`HISTORY_BYTES_CACHED`].
pub fn history_cache() -> HistoryCache {
    HistoryCache::with_weighter(16_384, HISTORY_BYTES_CACHED, HistoryWeight)
}

/// A program report as [`AppState::program_reports`] keeps it.
#[derive(Debug, Clone)]
pub struct KnownReport {
    pub version: String,
    pub until: chrono::DateTime<chrono::Utc>,
    pub body: actix_web::web::Bytes,
}

/// How much report JSON a server keeps, in bytes.
pub const REPORT_BYTES_CACHED: u64 = 16 << 20;

/// Weighs a cached report by its size.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportWeight;

impl quick_cache::Weighter<String, KnownReport> for ReportWeight {
    fn weight(&self, _: &String, value: &KnownReport) -> u64 {
        u64::try_from(value.body.len()).unwrap_or(u64::MAX).max(1)
    }
}

/// See [`AppState::program_reports`].
pub type ReportCache = quick_cache::sync::Cache<String, KnownReport, ReportWeight>;

/// A report cache of [`REPORT_BYTES_CACHED`].
pub fn report_cache() -> ReportCache {
    ReportCache::with_weighter(1024, REPORT_BYTES_CACHED, ReportWeight)
}

/// See [`AppState::enps_results`].
pub type ResultsCache =
    quick_cache::sync::Cache<(uuid::Uuid, &'static str, String), actix_web::web::Bytes>;

/// How many groups' results a server keeps.
pub const RESULTS_CACHED: usize = 4096;

impl AppState {
    /// The meeting and the participant acting, or the right refusal: 404 for anyone who may not
    /// know the meeting exists, 403 for those who see its metadata only.
    pub async fn participant(
        &self,
        actor: &oneonone_domain::Actor,
        meeting: uuid::Uuid,
    ) -> crate::problem::ApiResult<(oneonone_domain::meeting::Meeting, uuid::Uuid)> {
        Ok(oneonone_usecases::meetings::as_participant(&self.db, actor, meeting).await?)
    }
}
