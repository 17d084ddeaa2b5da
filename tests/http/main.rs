//! The end-to-end HTTP suite: every test starts the real server on port 0 with a fresh database
//! (SQLite, or PostgreSQL when `ONEONONE_TEST_POSTGRES_URL` is set) and talks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action_items;
mod agenda;
mod attention;
mod auth;
mod calendar;
mod changes;
mod chat;
mod checkins;
mod contract;
mod crash;
mod email;
mod enps;
mod errors;
mod escalations;
mod exports;
mod feedback;
mod goals;
mod import;
mod library;
mod meetings;
mod people;
mod program;
mod resilience;
mod tokens;
mod webhooks;
