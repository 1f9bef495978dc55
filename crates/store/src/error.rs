//! The store's error type. Messages never carry personal data: database errors are kept as
//! their source (for logs) and unique violations are reported by constraint name only.

use thiserror::Error;

/// What went wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found: {what}")]
    NotFound { what: &'static str },
    /// The row changed since it was read (optimistic concurrency): the caller should re-read.
    #[error("conflict: {what} was changed concurrently")]
    Conflict { what: &'static str },
    /// A unique constraint was violated; `constraint` is one of the names in the migrations
    /// (e.g. `accounts_username_key`), so the API can tell which field.
    #[error("unique constraint violated: {constraint}")]
    Unique { constraint: &'static str },
    /// A guarded update found the row in another state than expected.
    #[error("invalid state of {what}: expected {expected}")]
    InvalidState {
        what: &'static str,
        expected: &'static str,
    },
    /// The database is overloaded: a writer waited its turn longer than the store allows
    /// (or SQLite reported its lock busy, or no pooled connection came in time). Retry later;
    /// the API answers 503 with `Retry-After`.
    #[error("database busy: try again shortly")]
    Busy,
    /// No data key was configured and none could be generated (e.g. PostgreSQL without one).
    #[error("no data key: set BEIAN_DATA_KEY (base64 of 32 bytes) or configure one")]
    MissingDataKey,
    /// The data key is not base64 of 32 bytes.
    #[error("bad data key: {0}")]
    BadDataKey(&'static str),
    /// The operator's key given is not the one the store's data-encryption key is wrapped
    /// under (ids only, never keys): an old key after a rotation, or another store's key.
    #[error(
        "wrong data key: the key given (id {given}) is not the one this store's data key is wrapped under (id {wrapped_under})"
    )]
    WrongDataKey {
        given: String,
        wrapped_under: String,
    },
    /// A store from before envelope keys holds sealed data that the key given does not open:
    /// it is not the key that data was sealed with, so it is not adopted.
    #[error(
        "wrong data key: the key given (id {given}) does not open the data already sealed in this store"
    )]
    KeyDoesNotOpenData { given: String },
    /// A sealed value failed to decrypt (wrong key or tampered ciphertext).
    #[error("cannot decrypt a sealed value (wrong data key or tampered data)")]
    Decrypt,
    /// The database URL names no supported backend.
    #[error("unsupported database URL scheme (use sqlite: or postgres:)")]
    UnsupportedUrl,
    /// A stored value could not be decoded (a bug or a hand-edited database).
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration error")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("object store error")]
    Object(#[source] object_store::Error),
    #[error("i/o error on {what}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("json error")]
    Json(#[source] serde_json::Error),
}

/// Unique constraints: (name, SQLite's "table.column, …" text in its error message).
const UNIQUE_CONSTRAINTS: &[(&str, &str)] = &[
    ("accounts_username_key", "accounts.username"),
    ("api_keys_key_hash_key", "api_keys.key_hash"),
    ("sponsors_account_key", "sponsors.account_id"),
    (
        "sponsors_certificate_key",
        "sponsors.certificate_type, sponsors.certificate_bidx",
    ),
    ("websites_domain_key", "websites.domain"),
    (
        "order_events_version_key",
        "order_events.order_id, order_events.version",
    ),
    ("materials_object_key_key", "materials.object_key"),
    (
        "idempotency_keys_pkey",
        "idempotency_keys.account_id, idempotency_keys.key",
    ),
    ("service_numbers_pkey", "service_numbers.number"),
    ("sessions_pkey", "sessions.id_hash"),
    ("backdrop_requests_open_key", "backdrop_requests.order_id"),
    ("bureau_uploads_sequence_key", "bureau_uploads.sequence"),
    ("bureau_uploads_job_key_key", "bureau_uploads.job_key"),
    ("bureau_downloads_pkey", "bureau_downloads.file_name"),
    ("alerts_dedupe_key_key", "alerts.dedupe_key"),
    ("jobs_one_pending_poll", "jobs.kind"),
];

fn unique_name(db: &dyn sqlx::error::DatabaseError) -> Option<&'static str> {
    if let Some(name) = db.constraint() {
        return UNIQUE_CONSTRAINTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, _)| *n)
            .or(Some("unknown_unique"));
    }
    let msg = db.message();
    let cols = msg.strip_prefix("UNIQUE constraint failed: ")?;
    Some(
        UNIQUE_CONSTRAINTS
            .iter()
            .find(|(_, c)| *c == cols)
            .map(|(n, _)| *n)
            .unwrap_or("unknown_unique"),
    )
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
            && let Some(constraint) = unique_name(db.as_ref())
        {
            return StoreError::Unique { constraint };
        }
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound { what: "row" };
        }
        if let sqlx::Error::PoolTimedOut = e {
            return StoreError::Busy;
        }
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
        if let sqlx::Error::Database(db) = &e
            && (db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                || db.try_downcast_ref::<crate::lite::LiteError>().is_some())
            && db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| matches!(c & 0xff, 5 | 6))
        {
            return StoreError::Busy;
        }
        StoreError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

impl From<object_store::Error> for StoreError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => StoreError::NotFound { what: "object" },
            e => StoreError::Object(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Json(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
