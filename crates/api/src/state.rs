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
}
