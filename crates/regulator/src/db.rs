//! The registry's own SQLite database: a file in the data directory, WAL mode, migrations
//! from `crates/regulator/migrations/`, and the one-time sealing of the personal data a
//! registry written before migration 0006 holds in plain text (and of the SMS texts one
//! written before migration 0007 holds).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Row, SqliteConnection, SqlitePool};

use crate::Error;
use crate::crypto::{Field, RegistryCrypto};

/// The database file's name inside the data directory.
pub const FILE_NAME: &str = "regulator.sqlite";

/// `PRAGMA mmap_size` of every connection, in bytes.
const MMAP_SIZE: u64 = 2 << 30;

/// Opens (creating if needed) and migrates the registry in `data_dir`, then seals what an
/// older registry kept in plain text ([`seal_existing`]) under `crypto`.
pub async fn open(data_dir: &Path, crypto: &RegistryCrypto) -> Result<SqlitePool, Error> {
    std::fs::create_dir_all(data_dir)?;
    // The registry holds (sealed) personal data: its folder is the owner's alone, also when
    // it is a simulator's own data dir rather than inside the platform's (0700 already).
    private_mode(data_dir, 0o700)?;
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join(FILE_NAME))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Reads map the file instead of copying each page through `pread` into every
        // connection's 2 MB page cache: the public query's index lookups on a registry of
        // 1 M sponsors (1.3 GB) spent a sixth of their time in those copies. SQLite caps
        // the size at its compiled maximum (2 GB by default); pages past it are read as before.
        .pragma("mmap_size", MMAP_SIZE.to_string());
    let pool = connect(options).await?;
    // The file and its WAL companions 0600 (SQLite gives new companions the file's mode);
    // set at every open, so an older registry is tightened too.
    for name in [FILE_NAME, "regulator.sqlite-wal", "regulator.sqlite-shm"] {
        let path = data_dir.join(name);
        if path.exists() {
            private_mode(&path, 0o600)?;
        }
    }
    seal_existing(&pool, crypto).await?;
    Ok(pool)
}

/// Sets `path`'s permission bits (Unix; elsewhere nothing).
fn private_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

async fn connect(options: SqliteConnectOptions) -> Result<SqlitePool, Error> {
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        // No ping before lending a connection: it is a file handle in this process, and the
        // ping was a round trip to the connection's worker thread on every query.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// Seals, once, the personal data rows written before migration 0006 hold in plain text
/// (`registry_sealing.sealed` is 0 until done), in one transaction; then, when there was
/// anything to seal, `VACUUM`s so that no free page keeps the plain text. Returns how many
/// rows it sealed. A fresh registry has none.
///
/// The texts of the phone inbox are sealed since migration 0007 (`registry_sealing.
/// texts_sealed`, 0 until the texts written before it are sealed, here, the same way).
pub async fn seal_existing(pool: &SqlitePool, crypto: &RegistryCrypto) -> Result<u64, Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let (sealed, texts_sealed): (i64, i64) =
        sqlx::query_as("SELECT sealed, texts_sealed FROM registry_sealing")
            .fetch_one(&mut *tx)
            .await?;
    if sealed != 0 && texts_sealed != 0 {
        return Ok(0);
    }
    let mut count = 0;
    if texts_sealed == 0 {
        count += seal_texts(&mut tx, crypto).await?;
        sqlx::query("UPDATE registry_sealing SET texts_sealed = 1")
            .execute(&mut *tx)
            .await?;
    }
    if sealed != 0 {
        tx.commit().await?;
        return vacuum_if(pool, count).await;
    }
    count += seal_sponsors(&mut tx, crypto).await?;
    for table in ["websites", "apps"] {
        count += seal_persons(&mut tx, crypto, table).await?;
    }
    count += seal_documents(&mut tx, crypto).await?;
    count += seal_mobiles(&mut tx, crypto).await?;
    let rows = sqlx::query("SELECT id, value FROM blacklist WHERE kind = 'sponsor'")
        .fetch_all(&mut *tx)
        .await?;
    for r in &rows {
        let value: String = r.try_get("value")?;
        sqlx::query("UPDATE blacklist SET value = ? WHERE id = ?")
            .bind(crypto.blind(Field::Certificate, &value))
            .bind(r.try_get::<i64, _>("id")?)
            .execute(&mut *tx)
            .await?;
    }
    count += rows.len() as u64;
    sqlx::query("UPDATE registry_sealing SET sealed = 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    vacuum_if(pool, count).await
}

/// After sealing `count` rows, `VACUUM`s (no free page keeps the plain text) and truncates
/// the WAL; returns `count`.
async fn vacuum_if(pool: &SqlitePool, count: u64) -> Result<u64, Error> {
    if count > 0 {
        sqlx::query("VACUUM").execute(pool).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
    }
    Ok(count)
}

/// Seals the phone inbox's texts written before migration 0007 (all of them are plain then).
async fn seal_texts(conn: &mut SqliteConnection, crypto: &RegistryCrypto) -> Result<u64, Error> {
    let rows = sqlx::query("SELECT id, text FROM phone_inbox")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let text: String = r.try_get("text")?;
        sqlx::query("UPDATE phone_inbox SET text = ? WHERE id = ?")
            .bind(crypto.seal(Field::Text, &text))
            .bind(r.try_get::<i64, _>("id")?)
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len() as u64)
}

async fn seal_sponsors(conn: &mut SqliteConnection, crypto: &RegistryCrypto) -> Result<u64, Error> {
    let rows = sqlx::query("SELECT id, certificate_number, responsible_mobile FROM sponsors")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let cert: String = r.try_get("certificate_number")?;
        let mobile: String = r.try_get("responsible_mobile")?;
        sqlx::query(
            "UPDATE sponsors SET certificate_number = ?, certificate_index = ?, \
             responsible_mobile = ? WHERE id = ?",
        )
        .bind(crypto.seal(Field::Certificate, &cert))
        .bind(crypto.blind(Field::Certificate, &cert))
        .bind(crypto.seal(Field::Mobile, &mobile))
        .bind(r.try_get::<i64, _>("id")?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len() as u64)
}

async fn seal_persons(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    table: &str,
) -> Result<u64, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, responsible_certificate_number, responsible_mobile FROM {table}"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let cert: String = r.try_get("responsible_certificate_number")?;
        let mobile: String = r.try_get("responsible_mobile")?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET responsible_certificate_number = ?, responsible_mobile = ? \
             WHERE id = ?"
        )))
        .bind(crypto.seal_opt(Field::Certificate, &cert))
        .bind(crypto.seal_opt(Field::Mobile, &mobile))
        .bind(r.try_get::<i64, _>("id")?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len() as u64)
}

async fn seal_documents(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
) -> Result<u64, Error> {
    let rows = sqlx::query("SELECT id, payload FROM submissions")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let payload: String = r.try_get("payload")?;
        sqlx::query("UPDATE submissions SET payload = ?, payload_digest = ? WHERE id = ?")
            .bind(crypto.seal(Field::Filing, &payload))
            .bind(crypto.digest(Field::Filing, payload.as_bytes()))
            .bind(r.try_get::<i64, _>("id")?)
            .execute(&mut *conn)
            .await?;
    }
    let uploads = sqlx::query("SELECT id, transfer FROM uploads")
        .fetch_all(&mut *conn)
        .await?;
    for r in &uploads {
        let transfer: String = r.try_get("transfer")?;
        sqlx::query("UPDATE uploads SET transfer = ? WHERE id = ?")
            .bind(crypto.seal(Field::Filing, &transfer))
            .bind(r.try_get::<i64, _>("id")?)
            .execute(&mut *conn)
            .await?;
    }
    Ok((rows.len() + uploads.len()) as u64)
}

async fn seal_mobiles(conn: &mut SqliteConnection, crypto: &RegistryCrypto) -> Result<u64, Error> {
    let mut count = 0;
    for table in ["sms_codes", "phone_inbox"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, mobile FROM {table}"
        )))
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let mobile: String = r.try_get("mobile")?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET mobile = ?, mobile_index = ? WHERE id = ?"
            )))
            .bind(crypto.seal(Field::Mobile, &mobile))
            .bind(crypto.blind(Field::Mobile, &mobile))
            .bind(r.try_get::<i64, _>("id")?)
            .execute(&mut *conn)
            .await?;
        }
        count += rows.len() as u64;
    }
    Ok(count)
}

/// The registry's read connections: lent by [`crate::Regulator`]'s reads (the bureau's lists,
/// the APP query; the public ICP query has its own, [`QueryConns`]) and put back as they are.
/// sqlx's pool returns each connection through a spawned task that pings it first: a round
/// trip to the connection's worker thread after every read, as costly as a small read itself
/// (issue 14). A connection is a file handle in this process; a read left unfinished (its
/// future dropped) is reset by the worker before the next command, so nothing carries over
/// to the next borrower.
pub(crate) struct ReadConns {
    options: SqliteConnectOptions,
    permits: Arc<tokio::sync::Semaphore>,
    idle: Mutex<Vec<SqliteConnection>>,
}

impl ReadConns {
    /// At most `max` connections to the registry of `options`, opened when first needed.
    pub(crate) fn new(options: SqliteConnectOptions, max: usize) -> ReadConns {
        ReadConns {
            options,
            permits: Arc::new(tokio::sync::Semaphore::new(max.max(1))),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A connection, waiting for a free one (at most 30 s, then `PoolTimedOut`).
    pub(crate) async fn lend(self: &Arc<Self>) -> Result<ReadLease, Error> {
        let permit = tokio::time::timeout(
            Duration::from_secs(30),
            self.permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
        .map_err(|_| sqlx::Error::PoolClosed)?;
        let conn = match pop_idle(&self.idle) {
            Some(conn) => conn,
            None => self.options.connect().await?,
        };
        Ok(ReadLease {
            conn: Some(conn),
            home: self.clone(),
            _permit: permit,
        })
    }
}

/// A lent read connection; back in the idle list when dropped.
pub(crate) struct ReadLease {
    conn: Option<SqliteConnection>,
    home: Arc<ReadConns>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for ReadLease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.home
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

/// A read connection: lent by [`ReadConns`], or from the pool (a registry opened over a pool
/// by [`crate::Regulator::new`]).
pub(crate) enum ReadConn {
    Lent(ReadLease),
    Pooled(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl std::ops::Deref for ReadConn {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            ReadConn::Pooled(c) => c,
            ReadConn::Lent(l) => match &l.conn {
                Some(c) => c,
                // `conn` is taken only by the lease's drop.
                None => unreachable!("a read lease is used after its drop"),
            },
        }
    }
}

impl std::ops::DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            ReadConn::Pooled(c) => c,
            ReadConn::Lent(l) => match &mut l.conn {
                Some(c) => c,
                None => unreachable!("a read lease is used after its drop"),
            },
        }
    }
}

/// The last connection put back in an idle list (of [`ReadConns`] or [`QueryConns`]).
fn pop_idle<T>(idle: &Mutex<Vec<T>>) -> Option<T> {
    idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
}

/// The public query's own connections (issue 14): rusqlite connections to the registry's
/// file, used on the calling thread ([`crate::query`]). Through sqlx, every statement was a
/// hand-off to the connection's worker thread and every row one more through a channel: on
/// one CPU, more time in those switches than in SQLite. A connection is taken from the idle
/// list (or opened) for one query and put back after it; a query runs to its end without
/// yielding, so there are about as many as runtime threads and the blocking threads of
/// queries past their inline slice. Each has the budget's progress handler installed once,
/// when it is opened ([`crate::query::Deadline`]), and is `query_only`.
pub(crate) struct QueryConns {
    path: std::path::PathBuf,
    idle: Mutex<Vec<QueryConn>>,
    /// The most idle connections kept; more are closed when put back.
    keep: usize,
    /// Name searches on blocking threads at once (past their inline slice): at most
    /// [`QUERY_BLOCKING`], as many as the registry had read connections for them before.
    pub(crate) blocking: Arc<tokio::sync::Semaphore>,
}

/// At most this many name searches run on blocking threads at once ([`QueryConns`]).
const QUERY_BLOCKING: usize = 4;

/// One of [`QueryConns`]: the connection and the deadline its progress handler reads.
pub(crate) struct QueryConn {
    pub(crate) conn: rusqlite::Connection,
    pub(crate) deadline: crate::query::Deadline,
}

impl QueryConns {
    /// Connections to the registry file at `path`, opened when first needed.
    pub(crate) fn new(path: std::path::PathBuf) -> QueryConns {
        // About one per runtime thread and blocking search.
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        QueryConns {
            path,
            idle: Mutex::new(Vec::new()),
            keep: threads + QUERY_BLOCKING,
            blocking: Arc::new(tokio::sync::Semaphore::new(QUERY_BLOCKING)),
        }
    }

    /// An idle connection, or a new one.
    pub(crate) fn lend(self: &Arc<Self>) -> Result<QueryLease, Error> {
        let conn = match pop_idle(&self.idle) {
            Some(conn) => conn,
            None => self.open()?,
        };
        Ok(QueryLease {
            conn: Some(conn),
            home: self.clone(),
        })
    }

    fn open(&self) -> Result<QueryConn, Error> {
        use rusqlite::OpenFlags;
        // Not created: the registry is opened (and migrated) by [`open`] first.
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(
            None,
            "mmap_size",
            i64::try_from(MMAP_SIZE).unwrap_or(i64::MAX),
        )?;
        conn.pragma_update(None, "query_only", true)?;
        let deadline = crate::query::Deadline::install(&conn)?;
        Ok(QueryConn { conn, deadline })
    }
}

/// A lent [`QueryConn`]; back in the idle list when dropped.
pub(crate) struct QueryLease {
    conn: Option<QueryConn>,
    home: Arc<QueryConns>,
}

impl QueryLease {
    /// Where the connection goes back.
    pub(crate) fn home(&self) -> &Arc<QueryConns> {
        &self.home
    }
}

impl std::ops::Deref for QueryLease {
    type Target = QueryConn;

    fn deref(&self) -> &QueryConn {
        match &self.conn {
            Some(c) => c,
            // `conn` is taken only by the lease's drop.
            None => unreachable!("a query lease is used after its drop"),
        }
    }
}

impl Drop for QueryLease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self
                .home
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.home.keep {
                idle.push(conn);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::crypto::RegistryKey;

    #[cfg(unix)]
    #[tokio::test]
    async fn the_registry_folder_and_file_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("sim");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let crypto = RegistryCrypto::new(&RegistryKey::generate());
        let pool = open(&data, &crypto).await.unwrap();
        sqlx::query("SELECT count(*) FROM sponsors")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join(FILE_NAME)), 0o600);
        // An older registry made with a looser mode is tightened at its next open.
        std::fs::set_permissions(data.join(FILE_NAME), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let pool = open(&data, &crypto).await.unwrap();
        assert_eq!(mode(&data.join(FILE_NAME)), 0o600);
        pool.close().await;
    }
}
