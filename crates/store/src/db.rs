//! Opening the database: choosing the backend from the URL, connecting (SQLite pragmas: WAL,
//! `synchronous=FULL`, foreign keys, busy timeout), running the backend's migrations, loading
//! the data key; and the [`Tx`] write transaction every domain write goes through.
//!
//! # Writers take turns
//! On SQLite only one transaction can write at a time. Rather than letting several pooled
//! connections race for the database lock (SQLite's busy handler then sleeps and polls), the
//! store keeps ONE writer connection ([`crate::writer`]) behind a fair async mutex:
//! [`Store::begin`] waits in its queue and never busy-sleeps, and writers queued together
//! share one COMMIT (group commit). Reads use the read connections, which WAL lets run beside
//! the writer. A writer that waits longer than [`StoreConfig::write_wait`] (default 2 s) gets
//! [`StoreError::Busy`], which the surfaces answer with 503 and `Retry-After`: under overload
//! a request is refused quickly instead of holding on for the 10 s busy timeout.
//!
//! The writer is not a pooled connection on purpose: a pool returns a connection through a
//! spawned task that pings it first, which kept the next writer waiting for two scheduler
//! hops after every commit (issue 14). The mutex hands the connection straight to the next
//! writer. It is one of the store's own connections ([`crate::lite`]): its statements run on
//! the thread of the transaction's task, with no hand-off to a connection thread.
//!
//! On PostgreSQL row locks do this work; writers share the one pool, whose acquire timeout
//! is also `write_wait`-bounded for writes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::any::{
    AnyConnectOptions, AnyPoolOptions, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo,
};
use sqlx::{Any, AnyConnection, AnyPool, Describe, Either, Execute, Executor, SqlStr};

use crate::audit::{self, AuditEntry, HeadWriter};
use crate::crypto::{Crypto, DataKey};
use crate::error::{Result, StoreError};
use crate::lite::LiteConn;
use crate::read_pool::{ReadPool, first_row, not_offered, parts, stream_of};
use crate::writer::{Writer, WriterTx};

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
        let (reads, writer) = match backend {
            Backend::Sqlite => {
                let path = crate::lite::path_of(&url)?;
                let reads = ReadPool::sqlite(
                    path.clone(),
                    config.max_connections.unwrap_or(8),
                    SQLITE_BUSY_TIMEOUT,
                );
                (reads, Some(Writer::open(path)?))
            }
            Backend::Postgres => (ReadPool::Postgres(pool.clone()), None),
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

    /// How SQLite's writer has committed since the store opened (transactions, the COMMITs
    /// they shared, writers waiting); `None` on PostgreSQL.
    pub fn write_stats(&self) -> Option<crate::WriteStats> {
        self.inner.writer.as_ref().map(Writer::stats)
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
            writer.close().await;
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
    /// (at most `write_wait`, then [`StoreError::Busy`]) and begins `IMMEDIATE` (or joins the
    /// open group commit, see [`crate::writer`]).
    pub async fn begin(&self) -> Result<Tx> {
        let conn = match &self.inner.writer {
            Some(writer) => {
                let deadline = tokio::time::Instant::now() + self.inner.write_wait;
                TxConn::Sqlite(writer.begin(deadline).await?)
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

/// The busy timeout of connections that may meet SQLite's write lock outside
/// [`Store::begin`]: sqlx's pool (migrations, the data key) and writes through the read
/// connections (on the blocking pool).
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The pragmas of sqlx's pooled SQLite connections: the store's own ([`crate::lite::PRAGMAS`])
/// and [`SQLITE_BUSY_TIMEOUT`].
async fn sqlite_pragmas(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    conn.execute(crate::lite::PRAGMAS).await?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "PRAGMA busy_timeout = {}",
        SQLITE_BUSY_TIMEOUT.as_millis()
    )))
    .await?;
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
    /// The connection, for queries inside this transaction (`.fetch_one(tx.conn())`).
    pub fn conn(&mut self) -> TxExec<'_> {
        match &mut self.conn {
            TxConn::Postgres(tx) => TxExec::Postgres(tx),
            TxConn::Sqlite(w) => TxExec::Sqlite(w.conn()),
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
            TxConn::Sqlite(w) => {
                if let Some(head) = head {
                    // Still this writer's turn, so the next append (in this commit's group or
                    // after it) builds on it. Should the commit fail, the next append finds
                    // `audit_head` elsewhere and reads it (see `audit::append_entries`).
                    *self
                        .store
                        .inner
                        .last_audit_head
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(head);
                }
                w.commit().await?;
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
        if self
            .store
            .inner
            .writer
            .as_ref()
            .is_some_and(Writer::has_waiting)
        {
            // Let the next writer, woken on this thread, take its turn before this task goes
            // on to answer (which would keep the writer idle meanwhile).
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// Rolls back explicitly.
    pub async fn rollback(self) -> Result<()> {
        match self.conn {
            TxConn::Postgres(tx) => tx.rollback().await?,
            TxConn::Sqlite(mut w) => w.rollback()?,
        }
        Ok(())
    }
}

/// A fresh UUID (v7: time-ordered, good for index locality) as a string id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A transaction's connection as a sqlx executor: SQLite's writer runs the statement on this
/// thread ([`crate::lite`]); PostgreSQL's is the transaction's pooled connection.
pub enum TxExec<'c> {
    Sqlite(&'c mut LiteConn),
    Postgres(&'c mut AnyConnection),
}

impl fmt::Debug for TxExec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxExec::Sqlite(_) => f.write_str("TxExec::Sqlite"),
            TxExec::Postgres(_) => f.write_str("TxExec::Postgres"),
        }
    }
}

impl<'c> Executor<'c> for TxExec<'c> {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, std::result::Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            TxExec::Postgres(c) => c.fetch_many(query),
            TxExec::Sqlite(c) => stream_of(async move {
                let (sql, args) = parts(query)?;
                c.run(sql.as_str(), args, None)
            }),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, std::result::Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            TxExec::Postgres(c) => c.fetch_optional(query),
            TxExec::Sqlite(c) => Box::pin(async move {
                let (sql, args) = parts(query)?;
                Ok(first_row(c.run(sql.as_str(), args, Some(1))?))
            }),
        }
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, std::result::Result<AnyStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            TxExec::Postgres(c) => c.prepare_with(sql, parameters),
            TxExec::Sqlite(_) => Box::pin(async { Err(not_offered("prepare")) }),
        }
    }

    fn describe<'e>(
        self,
        sql: SqlStr,
    ) -> BoxFuture<'e, std::result::Result<Describe<Any>, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            TxExec::Postgres(c) => c.describe(sql),
            TxExec::Sqlite(_) => Box::pin(async { Err(not_offered("describe")) }),
        }
    }
}
