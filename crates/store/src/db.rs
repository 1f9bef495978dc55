//! Opening the database: choosing the backend from the URL, connecting (SQLite pragmas: WAL,
//! `synchronous=FULL`, foreign keys, busy timeout), running the backend's migrations, loading
//! the data key; and the [`Tx`] write transaction every domain write goes through.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};

use crate::audit::{self, AuditEntry};
use crate::crypto::{Crypto, DataKey};
use crate::error::{Result, StoreError};

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// File name of the embedded SQLite database inside the data dir.
pub const SQLITE_FILE: &str = "beian.db";

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The time source; the simulator's clock can replace the wall clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How to open the store.
#[derive(Clone)]
pub struct StoreConfig {
    /// `postgres://…` or `sqlite:…`; `None` means the SQLite file `beian.db` in `data_dir`.
    pub database_url: Option<String>,
    /// Holds the SQLite file, the generated data key and the audit chain-head file.
    pub data_dir: PathBuf,
    /// The master key; if `None`, `BEIAN_DATA_KEY`, then `data_dir/data.key` (generated on the
    /// first run on SQLite; on PostgreSQL a missing key is an error, since several instances
    /// must share it).
    pub data_key: Option<DataKey>,
    /// Pool size (default 8).
    pub max_connections: Option<u32>,
    /// Time source (default: the wall clock).
    pub clock: Option<Clock>,
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field(
                "backend",
                &self.database_url.as_deref().map(Backend::from_url),
            )
            .field("data_dir", &self.data_dir)
            .field("data_key", &self.data_key.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl StoreConfig {
    /// The embedded default: SQLite in `data_dir`.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            database_url: None,
            data_dir: data_dir.into(),
            data_key: None,
            max_connections: None,
            clock: None,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// The database URL (for the gate's LISTEN connection; never logged).
    pub(crate) url: String,
    pub(crate) crypto: Crypto,
    pub(crate) data_dir: PathBuf,
    pub(crate) clock: Clock,
    /// The idempotency keys whose requests run in this process (see [`crate::idempotency`]).
    pub(crate) claims_in_flight: crate::idempotency::InFlight,
}

/// The persistence handle; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .field("data_dir", &self.inner.data_dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating when embedded) the database, runs its migrations and loads the key.
    pub async fn open(config: StoreConfig) -> Result<Store> {
        sqlx::any::install_default_drivers();
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StoreError::Io {
            what: "data dir",
            source,
        })?;
        let url = match &config.database_url {
            Some(u) => u.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                config.data_dir.join(SQLITE_FILE).display()
            ),
        };
        let backend = Backend::from_url(&url)?;
        // The data dir is the owner's only (0700), and so is the embedded database (0600; SQLite
        // gives its -wal and -shm files the database file's mode).
        crate::objects::private_mode(&config.data_dir, 0o700)?;
        if config.database_url.is_none() {
            let db_file = config.data_dir.join(SQLITE_FILE);
            let mut opts = std::fs::OpenOptions::new();
            opts.create(true).append(true);
            opts.open(&db_file).map_err(|source| StoreError::Io {
                what: "database file",
                source,
            })?;
            crate::objects::private_mode(&db_file, 0o600)?;
        }
        let key = match config.data_key.clone() {
            Some(k) => k,
            None => match DataKey::from_env()? {
                Some(k) => k,
                None => DataKey::load_or_create(&config.data_dir, backend == Backend::Sqlite)?
                    .ok_or(StoreError::MissingDataKey)?,
            },
        };
        let options: AnyConnectOptions = url.parse()?;
        let mut pool_options =
            AnyPoolOptions::new().max_connections(config.max_connections.unwrap_or(8));
        if backend == Backend::Sqlite {
            pool_options = pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    Ok(())
                })
            });
        }
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&pool).await?,
        }
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                backend,
                url,
                crypto: Crypto::new(&key),
                data_dir: config.data_dir,
                clock: config.clock.unwrap_or_else(|| Arc::new(Utc::now)),
                claims_in_flight: Default::default(),
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The connection pool, for read queries elsewhere and for tests.
    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub fn crypto(&self) -> &Crypto {
        &self.inner.crypto
    }

    /// Now, from the configured clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.inner.pool).await?;
        Ok(())
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match self.inner.backend {
            Backend::Sqlite => self.inner.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.inner.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            store: self.clone(),
            audit: Vec::new(),
        })
    }
}

/// A write transaction. Domain writes are methods on it (see the modules); nothing is kept
/// unless [`Tx::commit`] is called (dropping it rolls back).
pub struct Tx {
    pub(crate) inner: sqlx::Transaction<'static, Any>,
    pub(crate) store: Store,
    pub(crate) audit: Vec<AuditEntry>,
}

impl fmt::Debug for Tx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx")
            .field("backend", &self.store.inner.backend)
            .field("pending_audit", &self.audit.len())
            .finish_non_exhaustive()
    }
}

impl Tx {
    /// The connection, for queries inside this transaction.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Queues an audit record; it is chained and written at commit, in this transaction.
    /// The summaries must not contain personal data (mask it).
    pub fn append_audit(&mut self, entry: AuditEntry) {
        self.audit.push(entry);
    }

    /// Appends the queued audit records to the chain, commits, then writes the chain head to
    /// the head file in the data dir.
    ///
    /// Inside a request with an `Idempotency-Key` ([`crate::idempotency::Claim::run`]) the
    /// request's first commit also takes the key (its pending row), in this transaction.
    pub async fn commit(mut self) -> Result<()> {
        let claimed = crate::idempotency::claim_in(&mut self).await?;
        let entries = std::mem::take(&mut self.audit);
        let head = if entries.is_empty() {
            None
        } else {
            Some(audit::append_entries(&mut self, entries).await?)
        };
        self.inner.commit().await?;
        if claimed {
            crate::idempotency::claimed();
        }
        if let Some(head) = head {
            // The data is committed; a failed head-file write only weakens truncation
            // detection until the next append, so it is logged, not returned.
            if let Err(e) = audit::write_head_file(&self.store, head).await {
                tracing::error!(error = %e, "cannot write the audit chain-head file");
            }
        }
        Ok(())
    }

    /// Rolls back explicitly.
    pub async fn rollback(self) -> Result<()> {
        self.inner.rollback().await?;
        Ok(())
    }
}

/// A fresh UUID (v7: time-ordered, good for index locality) as a string id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
