//! The oneonone HTTP API: routing, authentication, problems, the contract, and the binary's
//! commands. Handlers are thin: parse, authorize (with `oneonone_domain::policy`), call
//! storage, map.

pub mod auth;
pub mod config;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod problem;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod timestamp;
pub mod wire;

pub use config::Settings;
pub use startup::Application;
