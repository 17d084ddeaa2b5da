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
    pub limiter: Arc<LoginLimiter>,
    pub settings: Arc<Settings>,
    /// Test hooks that fail a change at a chosen point (never armed in production).
    pub faults: Arc<oneonone_usecases::once::Faults>,
    /// Published eNPS results by (survey, group kind, group key): they never change once a
    /// survey is closed, so every replica may keep its own copy.
    pub enps_results: Arc<ResultsCache>,
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
