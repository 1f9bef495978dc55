//! Opening the database: choosing the backend from the URL, connecting (SQLite pragmas: WAL,
//! `synchronous=FULL`, foreign keys, busy timeout), running the backend's migrations, loading
//! the data key; and the [`Tx`] write transaction every domain write goes through.
//!
//! # Writers take turns
//! On SQLite only one transaction can write at a time. Rather than letting several pooled
//! connections race for the database lock (SQLite's busy handler then sleeps and polls), the
//! store keeps ONE writer connection behind a fair async mutex: [`Store::begin`] waits in its
//! queue and never busy-sleeps. Reads use the pool, which WAL lets run beside the writer. A
//! writer that waits longer than [`StoreConfig::write_wait`] (default 2 s) gets
//! [`StoreError::Busy`], which the surfaces answer with 503 and `Retry-After`: under overload a
//! request is refused quickly instead of holding on for the 10 s busy timeout.
//!
//! The writer is not a pooled connection on purpose: a pool returns a connection through a
//! spawned task that pings it first, which kept the next writer waiting for two scheduler
//! hops and a round trip to SQLite's worker thread after every commit (issue 14). The mutex
//! hands the connection straight to the next writer. A transaction dropped without commit or
//! rollback keeps the connection until a spawned `ROLLBACK` has run.
//!
//! On PostgreSQL row locks do this work; writers share the one pool, whose acquire timeout
//! is also `write_wait`-bounded for writes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions, Connection, Executor};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use crate::audit::{self, AuditEntry, HeadWriter};
use crate::crypto::{Crypto, DataKey};
use crate::error::{Result, StoreError};
use crate::read_pool::ReadPool;

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
    /// The operator's key, which wraps the data-encryption key kept in the database (see
    /// [`crate::data_keys`]); if `None`, `BEIAN_DATA_KEY`, then `data_dir/data.key` (generated
    /// on the first run on SQLite; on PostgreSQL a missing key is an error, since several
    /// instances must share it).
    pub data_key: Option<DataKey>,
    /// Pool size (default 8).
    pub max_connections: Option<u32>,
    /// Time source (default: the wall clock).
    pub clock: Option<Clock>,
    /// How long a write transaction may wait for its turn before [`StoreError::Busy`]
    /// (default 2 s).
    pub write_wait: Option<Duration>,
}

/// Default of [`StoreConfig::write_wait`].
pub const DEFAULT_WRITE_WAIT: Duration = Duration::from_secs(2);

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
            write_wait: None,
        }
    }
}

pub(crate) struct Inner {
    /// sqlx's pool: migrations, the data key's load, the gate feed, and PostgreSQL's
    /// transactions. Reads go through `reads`.
    pub(crate) pool: AnyPool,
    /// The read connections ([`crate::read_pool`]); on PostgreSQL a clone of `pool`.
    pub(crate) reads: ReadPool,
    /// SQLite's one writer connection (its mutex's queue is the writers' queue; `None` once
    /// the store is closed); `None` on PostgreSQL, whose writers use `pool`.
    pub(crate) writer: Option<Writer>,
    pub(crate) write_wait: Duration,
    /// Writes the audit chain head file off the async threads, coalescing heads.
    pub(crate) head_writer: std::sync::Arc<HeadWriter>,
    pub(crate) backend: Backend,
    /// The database URL (for the gate's LISTEN connection; never logged).
    pub(crate) url: String,
    /// Seals under the data-encryption key unwrapped at open ([`crate::data_keys`]).
    pub(crate) crypto: Crypto,
    pub(crate) dek_origin: crate::data_keys::Origin,
    pub(crate) data_dir: PathBuf,
    pub(crate) clock: Clock,
    /// The idempotency keys whose requests run in this process (see [`crate::idempotency`]).
    pub(crate) claims_in_flight: crate::idempotency::InFlight,
    /// This store's id among the instances sharing the database: the keys it claims name it,
    /// and its heartbeat ([`Store::heartbeat`]) tells the others it is alive.
    pub(crate) instance_id: String,
    /// On SQLite, the audit chain head this store committed last (see
    /// [`audit::append_entries`]); set under the writer's turn.
    pub(crate) last_audit_head: std::sync::Mutex<Option<audit::AuditHead>>,
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
        let write_wait = config.write_wait.unwrap_or(DEFAULT_WRITE_WAIT);
        // On SQLite this pool serves only the migrations, the data key's load and the gate
        // feed; reads have their own (`reads`) and writes the writer connection.
        let pool_size = match backend {
            Backend::Sqlite => 2,
            Backend::Postgres => config.max_connections.unwrap_or(8),
        };
        let mut pool_options = AnyPoolOptions::new().max_connections(pool_size);
        if backend == Backend::Sqlite {
            // No ping before each acquire: an SQLite connection is a file handle in this
            // process that cannot go stale, and the ping is a round trip to sqlx's worker
            // thread on every read (issue 14).
            pool_options = pool_options
                .test_before_acquire(false)
                .after_connect(|conn, _meta| Box::pin(sqlite_pragmas(conn)));
        }
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&pool).await?,
        }
        // The operator's key unwraps the data-encryption key (or makes it: see data_keys).
        let loaded = crate::data_keys::load(&pool, &key).await?;
        let reads = match backend {
            Backend::Sqlite => ReadPool::sqlite(
                options.clone(),
                config.max_connections.unwrap_or(8),
                Duration::from_secs(30),
            ),
            Backend::Postgres => ReadPool::Postgres(pool.clone()),
        };
        let writer = match backend {
            Backend::Sqlite => {
                let conn = connect_sqlite(&options).await?;
                Some(Arc::new(Mutex::new(Some(WriterSlot {
                    conn,
                    options,
                    dirty: false,
                }))))
            }
            Backend::Postgres => None,
        };
        let head_writer = HeadWriter::new(config.data_dir.join(audit::HEAD_FILE));
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                reads,
                writer,
                write_wait,
                head_writer,
                backend,
                url,
                crypto: Crypto::new(&loaded.dek),
                dek_origin: loaded.origin,
                data_dir: config.data_dir,
                clock: config.clock.unwrap_or_else(|| Arc::new(Utc::now)),
                claims_in_flight: Default::default(),
                instance_id: new_id(),
                last_audit_head: std::sync::Mutex::new(None),
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The read connections, for read queries elsewhere and for tests.
    pub fn pool(&self) -> &ReadPool {
        &self.inner.reads
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

    /// Closes the pools (waits for connections to be returned) after the audit head file
    /// caught up.
    pub async fn close(&self) {
        self.flush_audit_head().await;
        if let Some(writer) = &self.inner.writer {
            // Waits for the writer in turn, like a transaction.
            let slot = writer.lock().await.take();
            if let Some(slot) = slot
                && let Err(e) = slot.conn.close().await
            {
                tracing::warn!(error = %e, "closing the writer connection failed");
            }
        }
        self.inner.reads.close().await;
        self.inner.pool.close().await;
    }

    /// The audit chain head this store committed last (SQLite only).
    pub(crate) fn last_audit_head(&self) -> Option<audit::AuditHead> {
        *self
            .inner
            .last_audit_head
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until the audit head file names at least every head committed so far by this
    /// store (its writes are coalesced off the async threads, see [`audit`]).
    pub async fn flush_audit_head(&self) {
        self.inner.head_writer.flush().await;
    }

    /// Starts a write transaction: on SQLite it waits its turn for the one writer connection
    /// (at most `write_wait`, then [`StoreError::Busy`]) and begins `IMMEDIATE`.
    pub async fn begin(&self) -> Result<Tx> {
        let conn = match &self.inner.writer {
            Some(writer) => {
                let guard =
                    tokio::time::timeout(self.inner.write_wait, writer.clone().lock_owned())
                        .await
                        .map_err(|_| StoreError::Busy)?;
                let mut slot = OwnedMutexGuard::try_map(guard, Option::as_mut)
                    .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
                if slot.dirty {
                    rollback_dropped(&mut slot).await;
                }
                // Marked until the transaction is handed out: if this future is dropped
                // while BEGIN runs, the next `begin` rolls back what it may have opened.
                slot.dirty = true;
                if let Err(first) = slot.conn.execute("BEGIN IMMEDIATE").await {
                    let first = StoreError::from(first);
                    if matches!(first, StoreError::Busy) {
                        return Err(first);
                    }
                    // Nothing can be left open here (a dropped transaction marks the slot,
                    // and is rolled back above), so the connection itself is broken: BEGIN
                    // once more on a new one.
                    tracing::warn!(error = %first, "the writer connection is reopened");
                    slot.conn = connect_sqlite(&slot.options).await?;
                    slot.conn.execute("BEGIN IMMEDIATE").await?;
                }
                slot.dirty = false;
                TxConn::Sqlite(WriterTx {
                    slot,
                    writer: writer.clone(),
                    open: true,
                })
            }
            None => TxConn::Postgres(
                tokio::time::timeout(self.inner.write_wait, self.inner.pool.begin())
                    .await
                    .map_err(|_| StoreError::Busy)??,
            ),
        };
        Ok(Tx {
            conn,
            store: self.clone(),
            audit: Vec::new(),
        })
    }
}

/// SQLite's writer: the connection behind the writers' mutex.
pub(crate) type Writer = Arc<Mutex<Option<WriterSlot>>>;

/// The writer connection, and whether a dropped transaction left it inside `BEGIN`.
pub(crate) struct WriterSlot {
    conn: AnyConnection,
    /// To reopen the connection if it broke.
    options: AnyConnectOptions,
    dirty: bool,
}

async fn rollback_dropped(slot: &mut WriterSlot) {
    // It fails harmlessly when nothing was open (the dropped BEGIN never ran, or the COMMIT
    // whose future was dropped did run).
    if let Err(e) = slot.conn.execute("ROLLBACK").await {
        tracing::debug!(error = %e, "rolling back a dropped transaction");
    }
    slot.dirty = false;
}

/// An SQLite write transaction's hold on the writer connection.
pub(crate) struct WriterTx {
    slot: OwnedMappedMutexGuard<Option<WriterSlot>, WriterSlot>,
    writer: Writer,
    /// Inside `BEGIN IMMEDIATE` (no COMMIT or ROLLBACK ran yet).
    open: bool,
}

impl Drop for WriterTx {
    /// Dropped while open (an error path, a cancelled request): the connection is marked, and
    /// a spawned task rolls it back as soon as it gets its turn; a `begin` that gets the
    /// connection first rolls it back itself.
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        self.slot.dirty = true;
        let writer = self.writer.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Some(slot) = writer.lock().await.as_mut()
                    && slot.dirty
                {
                    rollback_dropped(slot).await;
                }
            });
        }
    }
}

/// A new SQLite connection outside sqlx's pool (the writer, the read pool's), with the
/// pragmas the pool's connections get.
pub(crate) async fn connect_sqlite(
    options: &AnyConnectOptions,
) -> std::result::Result<AnyConnection, sqlx::Error> {
    let mut conn = options.connect().await?;
    sqlite_pragmas(&mut conn).await?;
    Ok(conn)
}

/// The pragmas of every SQLite connection (the pool's and the writer).
async fn sqlite_pragmas(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    // Only writes outside `Store::begin` (a few single statements) can meet the lock; they
    // wait at most this long.
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    Ok(())
}

/// The connection a [`Tx`] writes on.
pub(crate) enum TxConn {
    Sqlite(WriterTx),
    /// PostgreSQL: a pooled transaction (sqlx rolls it back when dropped).
    Postgres(sqlx::Transaction<'static, Any>),
}

/// A write transaction. Domain writes are methods on it (see the modules); nothing is kept
/// unless [`Tx::commit`] is called (dropping it rolls back).
pub struct Tx {
    pub(crate) conn: TxConn,
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
        match &mut self.conn {
            TxConn::Postgres(tx) => tx,
            TxConn::Sqlite(w) => &mut w.slot.conn,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Queues an audit record; it is chained and written at commit, in this transaction.
    /// The summaries must not contain personal data (mask it).
    pub fn append_audit(&mut self, entry: AuditEntry) {
        self.audit.push(entry);
    }

    /// Appends the queued audit records to the chain, commits, then hands the chain head to
    /// the head-file writer (which writes it off the async threads, coalesced).
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
        match self.conn {
            TxConn::Postgres(tx) => tx.commit().await?,
            TxConn::Sqlite(mut w) => {
                // A failed COMMIT leaves `open` set: dropping `w` rolls back what is open.
                w.slot.conn.execute("COMMIT").await?;
                w.open = false;
                if let Some(head) = head {
                    // Still this writer's turn (`w` holds it), so the next append sees it.
                    *self
                        .store
                        .inner
                        .last_audit_head
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(head);
                }
            }
        }
        if claimed {
            crate::idempotency::claimed();
        }
        if let Some(head) = head {
            // The data is committed; a failed head-file write only weakens truncation
            // detection until the next append, so the writer logs it.
            self.store.inner.head_writer.submit(head);
        }
        Ok(())
    }

    /// Rolls back explicitly.
    pub async fn rollback(self) -> Result<()> {
        match self.conn {
            TxConn::Postgres(tx) => tx.rollback().await?,
            TxConn::Sqlite(mut w) => {
                w.slot.conn.execute("ROLLBACK").await?;
                w.open = false;
            }
        }
        Ok(())
    }
}

/// A fresh UUID (v7: time-ordered, good for index locality) as a string id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
