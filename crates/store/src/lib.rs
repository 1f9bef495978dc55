//! beian's persistence layer: the database (SQLite embedded, PostgreSQL by URL), per-backend
//! migrations, the outbox and job queue, the hash-chained audit log, encryption of personal
//! data at rest, and the object store for uploaded materials.
//!
//! # One implementation, two backends
//! All queries go through sqlx's `Any` driver. The schema keeps its column types portable
//! (UUID strings as `TEXT`, instants as unix milliseconds in `INTEGER`/`BIGINT`, ciphertext as
//! `BLOB`/`BYTEA`, no booleans), and every statement uses `$N` placeholders, which SQLite
//! accepts too. The few statements that differ live beside a [`Backend`] match:
//! - write transactions on SQLite start with `BEGIN IMMEDIATE` (the database write lock is
//!   taken up front, so a read-then-write transaction never fails to upgrade its lock);
//! - job claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL ([`jobs`]);
//! - the audit chain head row is locked `FOR UPDATE` on PostgreSQL ([`audit`]).
//!
//! Migrations are kept per backend in `migrations/sqlite/` and `migrations/postgres/`
//! (the same tables, columns and constraint names) and run at [`Store::open`].
//!
//! # Writes
//! [`Store::begin`] returns a [`Tx`]; the domain writes (accounts, sponsors, websites, orders,
//! transitions, jobs, outbox, audit) are methods on it, and [`Tx::commit`] commits them as one
//! unit. Every state-changing domain write also queues its audit record; the records are
//! appended to the chain at commit, just before the database commit, so the chain-head lock
//! is held for as short a time as possible and always taken last.

//!
//! # Personal data
//! Certificate and mobile numbers are sealed with AES-256-GCM and indexed by a keyed HMAC
//! ([`crypto`]) under a data-encryption key kept in the database wrapped under the operator's
//! key, so that key rotates by re-wrapping ([`data_keys`]); outbox payloads are sealed whole. Job payloads, audit summaries, timeline
//! notes and error texts must not carry personal data (mask it with [`crypto::mask`]).
//!
//! # Tests and CI
//! The cargo feature `testing` exposes [`testing`], which runs each test on SQLite and on
//! PostgreSQL. PostgreSQL comes from `BEIAN_TEST_DATABASE_URL` (a server URL whose user may
//! create databases; one database per test, dropped after it) or from a throwaway cluster that
//! the harness starts once per test process from `initdb`/`pg_ctl` (on `PATH` or under
//! `/usr/lib/postgresql/*/bin`; Debian: `apt-get install postgresql`) and that a reaper process
//! stops when the test process ends. The S3 test needs `s3s-fs` on `PATH` or in
//! `~/.cargo/bin` (`cargo install s3s-fs --version 0.14.1`). With `CI=true`, a missing
//! PostgreSQL or s3s-fs fails the tests instead of skipping them.

/// `format!` for SQL assembled from constant column lists (never from input).
macro_rules! sql {
    ($($arg:tt)*) => {
        sqlx::AssertSqlSafe(format!($($arg)*))
    };
}

pub mod accesses;
pub mod accounts;
pub mod admin;
pub mod app_accesses;
pub mod apps;
pub mod audit;
pub mod backup;
pub mod bureau;
pub mod bureau_records;
pub mod cancel_codes;
pub(crate) mod checkpoint;
pub mod credentials;
pub mod crypto;
pub mod data_keys;
pub mod db;
pub mod error;
pub mod gate;
pub mod idempotency;
pub mod jobs;
pub mod legacy;
pub mod lite;
pub mod objects;
pub mod ops;
pub mod orders;
pub mod outbox;
pub mod photos;
pub mod products;
pub mod read_pool;
pub mod reports;
pub mod sponsors;
pub mod storefront;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
pub mod workflow_support;
pub(crate) mod writer;

pub use audit::{AuditBreak, AuditEntry, AuditReport, verify_audit};
pub use crypto::DataKey;
pub use db::{Backend, Store, StoreConfig, Tx, TxExec};
pub use error::StoreError;
pub use writer::WriteStats;
