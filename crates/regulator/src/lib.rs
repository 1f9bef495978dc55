//! The bundled regulator simulator: the national ICP registry (providers, sponsors, websites,
//! accesses, numbers, filing passwords, history) in its own SQLite database, the provincial
//! bureaus' review (automatic after a delay, or manual at a console), the ministry's SMS check,
//! the filing-password check with its daily lockout, results for `isp_download`, and the public
//! ICP query.
//!
//! [`Regulator`] is the business API; the HTTP pages live in [`http`]. The V3.0 SOAP services
//! are a thin adapter over it (written after merging `beian-miit`):
//! - `account` → [`Regulator::provider`] and [`Regulator::last_upload`];
//! - `accept_upload` → [`Regulator::check_sequence`], then [`Regulator::submit`] per record
//!   (idempotent on the record's reference), or [`Regulator::report_upload_problem`] for a
//!   file the bureau cannot process, then [`Regulator::record_upload`] (last, so a crash in
//!   between loses no record: the provider sends the upload again);
//! - `next_download` / `ack_download` → [`Regulator::next_download`] / [`Regulator::ack_download`];
//! - `previous_upload` → [`Regulator::last_upload`];
//! - `query_status` → [`Regulator::status_by_domain`] / [`Regulator::status_by_certificate`];
//! - `verify_password` → [`Regulator::verify_password`].

pub mod approve;
pub mod bureau;
pub mod clock_file;
pub mod config;
pub mod crypto;
pub mod db;
pub mod downloads;
pub mod filing;
pub mod fixture;
pub mod http;
pub mod model;
pub mod pages;
pub mod password;
pub mod query;
pub mod recovery;
pub mod registry;
pub mod seed;
pub mod service;
pub mod sms;
pub mod soap;
pub mod uploads;

/// The system's clock lives in core; re-exported here for the simulator's callers.
pub use beian_core::clock::{self, Clock, SharedClock, SimulatedClock, SystemClock};
pub use config::{Config, ReviewDelay, ReviewMode};
pub use service::Regulator;

use chrono::{DateTime, SecondsFormat, Utc};

/// Why a regulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The public query's own connections (`db::QueryConns`).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("corrupt record: {0}")]
    Corrupt(&'static str),
    #[error("clock: {0}")]
    Clock(#[from] clock::ClockError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The simulator's key is missing or bad, or a sealed value does not open under it.
    #[error("{0}")]
    Key(#[from] crypto::KeyError),
    /// A sponsor-name query shorter than the index allows.
    #[error("a sponsor name query needs at least {min} characters")]
    QueryTooShort { min: usize },
    /// A public query ran out of its time budget.
    #[error("the query matches too much: narrow it")]
    QueryTooBroad,
}

/// An instant as stored: RFC 3339 UTC with microseconds, so that text order is time order.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Masks personal data for logs and `Debug`: the first 4 and last 4 characters stay
/// (`3301**********1234`); short values are masked whole.
pub fn mask(value: &str) -> String {
    beian_core::mask::mask_number(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        for (input, want) in [
            ("330106199001011234", "3301**********1234"),
            ("13800138000", "1380***8000"),
            ("1234", "****"),
        ] {
            assert_eq!(mask(input), want);
        }
    }

    #[test]
    fn timestamps_sort_as_text() {
        let a = ts(DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default());
        let b = ts(DateTime::from_timestamp(1_700_000_000, 1_000).unwrap_or_default());
        assert!(a < b, "{a} {b}");
    }
}
