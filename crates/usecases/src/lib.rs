//! The use cases of oneonone: one function per thing a person or a system does — create a
//! person, import people, create a series, add a talking point, complete a meeting…
//!
//! Each one runs in a transaction it is given (`&mut Tx`): it asks the policy, decides with the
//! domain, writes, and appends its events; [`once::run`] wraps it in the transaction and stores
//! its idempotent response there too, so the change, its events and its answer commit together
//! or not at all. HTTP handlers, `seed`, the bootstrap admin and every later entry point (jobs,
//! SCIM) call these functions and nothing below them.

pub mod agenda;
pub mod attention;
pub mod calendar;
pub mod changes;
pub mod chat;
pub mod checkins;
pub mod enps;
pub mod escalations;
pub mod exports;
pub mod feedback;
pub mod goals;
pub mod library;
pub mod meetings;
pub mod notify;
pub mod once;
pub mod outbox;
pub mod people;
pub mod program;
pub mod ratings;
pub mod tokens;
pub mod webhooks;

use oneonone_domain::ValidationErrors;
use oneonone_domain::policy::{Actor, Denied};
use oneonone_persistence::{EventActor, StoreError};

pub use oneonone_persistence::{Database, Tx};

/// Why a use case did not happen, in terms a caller maps to its own answers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The actor may not do this (403).
    #[error("{0}")]
    Denied(#[from] Denied),
    /// No such record, or not the actor's to know about (404).
    #[error("not found")]
    NotFound,
    /// The input is invalid, field by field (422).
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// The change conflicts with the current state (409), with a stable code.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// The record changed since the caller read it (412).
    #[error("the record changed since it was read")]
    Stale,
    /// Well-formed but refused, with a stable code (422).
    #[error("{detail}")]
    Refused { code: &'static str, detail: String },
    /// Storage failed; the caller maps it as before (503 when unavailable).
    #[error(transparent)]
    Store(StoreError),
    /// A bug or an injected fault (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::Stale => Error::Stale,
            StoreError::Rule(v) => Error::Invalid(v),
            other => Error::Store(other),
        }
    }
}

impl From<ValidationErrors> for Error {
    fn from(v: ValidationErrors) -> Self {
        Error::Invalid(v)
    }
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(ValidationErrors::single(field, message))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Who an event is by.
pub fn by(actor: &Actor) -> EventActor {
    match actor {
        Actor::Person { id, .. } => EventActor {
            person_id: Some(*id),
            token_id: None,
        },
        Actor::Integration { token_id, .. } => EventActor {
            person_id: None,
            token_id: Some(*token_id),
        },
    }
}

/// The actor of changes the system makes by itself (seed, bootstrap, schedules).
pub const SYSTEM: EventActor = EventActor {
    person_id: None,
    token_id: None,
};

/// An `If-Match` as a use case checks it against a record's version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Precondition(Option<Vec<i64>>);

impl Precondition {
    /// No precondition (or `*`): any version will do.
    pub fn none() -> Self {
        Self(None)
    }

    /// Only these versions will do (an empty list: none will).
    pub fn versions(v: Vec<i64>) -> Self {
        Self(Some(v))
    }

    /// `Stale` (412) unless `version` satisfies the precondition.
    pub fn check(&self, version: i64) -> Result<()> {
        match &self.0 {
            Some(versions) if !versions.contains(&version) => Err(Error::Stale),
            _ => Ok(()),
        }
    }
}
