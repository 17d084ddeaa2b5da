//! The words and rules of oneonone.
//!
//! Everything here is plain data and plain functions: no database, no HTTP. A request becomes a
//! domain value through a constructor that can fail (`Email::parse`, `Text::parse`); afterwards
//! the type is the proof that the value is valid. The rules of who may do what live in
//! [`policy`] and are unit-tested here, so handlers only ask.

pub mod action;
pub mod agenda;
pub mod attention;
pub mod cadence;
pub mod chat;
pub mod checkin;
pub mod enps;
pub mod error;
pub mod escalation;
pub mod feedback;
pub mod goal;
pub mod library;
pub mod meeting;
pub mod notify;
pub mod org;
pub mod person;
pub mod policy;
pub mod program;
pub mod scope;
pub mod text;
pub mod webhook;

pub use error::{FieldError, ValidationErrors};
pub use person::{Person, PersonId};
pub use policy::Actor;
pub use scope::Scope;
pub use text::{Email, Text};
