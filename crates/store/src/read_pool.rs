//! The read connections: [`Store::pool`](crate::Store::pool) hands out a [`ReadPool`], which
//! runs a query on a free connection (`.fetch_one(store.pool())` and the like).
//!
//! On PostgreSQL it is sqlx's pool. On SQLite it is a list of the store's own connections
//! ([`LiteConn`]): a read runs on the thread that awaits it, from the page cache, with no
//! hand-off to a connection thread (sqlx's SQLite driver costs two thread wake-ups per
//! statement, and its pool a third round trip to ping each connection it takes back; on a
//! 2-core machine thread switching was the largest cost of a request, issue 14). A connection
//! is taken from the idle list for the time of one statement and put back at once, so there
//! are never more open than threads running statements at the same moment.
//!
//! A read that runs past [`INLINE_SLICE`] (a report over every order, say) is interrupted
//! and run again in full on the blocking pool: a read has no effect, so running it again is
//! safe, and no read holds an async thread for long. A statement that writes (a few
//! single-statement updates run outside transactions) may wait for SQLite's write lock, so it
//! runs on the blocking pool from the start. A connection that failed with an I/O error is
//! dropped, and a new one opened when needed.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, AnyPool, Describe, Either, Execute, Executor, SqlStr};

use crate::lite::{LiteConn, Output};

/// The read side of the store (see the module doc).
#[derive(Clone)]
pub enum ReadPool {
    Sqlite(Arc<SqliteReads>),
    Postgres(AnyPool),
}

impl fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadPool::Sqlite(r) => f
                .debug_struct("ReadPool::Sqlite")
                .field("max_idle", &r.max_idle)
                .finish_non_exhaustive(),
            ReadPool::Postgres(p) => f.debug_tuple("ReadPool::Postgres").field(p).finish(),
        }
    }
}

/// How long a read may run on an async thread: one that needs longer (a report over every
/// order, say) is interrupted there and run again in full on the blocking pool, so no read
/// holds an async thread for long.
pub const INLINE_SLICE: Duration = Duration::from_millis(10);

/// SQLite's read connections: the idle ones in a list (at most `max_idle` kept).
pub struct SqliteReads {
    path: PathBuf,
    busy: Duration,
    idle: Mutex<Vec<LiteConn>>,
    max_idle: usize,
    open: AtomicUsize,
    closed: AtomicBool,
}

impl ReadPool {
    /// Read connections to the SQLite file `path`, opened when first needed; `max_idle` are
    /// kept open between reads. `busy` bounds a write's wait for the lock.
    pub(crate) fn sqlite(path: PathBuf, max_idle: u32, busy: Duration) -> Self {
        ReadPool::Sqlite(Arc::new(SqliteReads {
            path,
            busy,
            idle: Mutex::new(Vec::new()),
            max_idle: max_idle.max(1) as usize,
            open: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }))
    }

    /// Open connections (for `/metrics`).
    pub fn size(&self) -> u32 {
        match self {
            ReadPool::Sqlite(r) => {
                u32::try_from(r.open.load(Ordering::Relaxed)).unwrap_or(u32::MAX)
            }
            ReadPool::Postgres(p) => p.size(),
        }
    }

    /// Idle connections (for `/metrics`).
    pub fn num_idle(&self) -> usize {
        match self {
            ReadPool::Sqlite(r) => r.idle().len(),
            ReadPool::Postgres(p) => p.num_idle(),
        }
    }

    /// Closes the idle connections and refuses new reads.
    pub async fn close(&self) {
        match self {
            ReadPool::Sqlite(r) => {
                r.closed.store(true, Ordering::SeqCst);
                let idle = std::mem::take(&mut *r.idle());
                r.open.fetch_sub(idle.len(), Ordering::Relaxed);
            }
            ReadPool::Postgres(p) => p.close().await,
        }
    }
}

impl SqliteReads {
    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<LiteConn>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, or a new one.
    fn take(&self) -> Result<LiteConn, sqlx::Error> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(sqlx::Error::PoolClosed);
        }
        let idle = self.idle().pop();
        match idle {
            Some(conn) => Ok(conn),
            None => {
                let conn = LiteConn::open_reader(&self.path, self.busy)?;
                self.open.fetch_add(1, Ordering::Relaxed);
                Ok(conn)
            }
        }
    }

    /// Puts a connection back after `result`, unless it broke or the pool is closed.
    fn give<T>(&self, conn: LiteConn, result: &Result<T, sqlx::Error>) {
        let broken = result.as_ref().err().is_some_and(crate::lite::is_broken);
        if !broken && !self.closed.load(Ordering::SeqCst) {
            let mut idle = self.idle();
            if idle.len() < self.max_idle {
                idle.push(conn);
                return;
            }
        }
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Runs one query: a read here and now, for at most [`INLINE_SLICE`]; a read that needs
    /// longer, again in full on the blocking pool; a write on the blocking pool.
    async fn run(
        self: Arc<Self>,
        sql: SqlStr,
        args: Option<AnyArguments>,
        limit: Option<usize>,
    ) -> Result<Output, sqlx::Error> {
        let values = args.map(|a| a.values.0).unwrap_or_default();
        let mut conn = self.take()?;
        if conn.reads_only(sql.as_str())
            && let Some(out) = conn.run_within(sql.as_str(), &values, limit, INLINE_SLICE)
        {
            self.give(conn, &out);
            return out;
        }
        tokio::task::spawn_blocking(move || {
            let out = conn.run_values(sql.as_str(), &values, limit);
            self.give(conn, &out);
            out
        })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

/// A query's SQL and arguments, as its executor takes them.
pub(crate) fn parts<'q>(
    mut query: impl Execute<'q, Any>,
) -> Result<(SqlStr, Option<AnyArguments>), sqlx::Error> {
    let args = query.take_arguments().map_err(sqlx::Error::Encode)?;
    Ok((query.sql(), args))
}

/// A query's output as the stream sqlx's `fetch_many` returns.
pub(crate) fn stream_of<'e>(
    out: impl std::future::Future<Output = Result<Output, sqlx::Error>> + Send + 'e,
) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>> {
    Box::pin(stream::once(out).flat_map(|res| match res {
        Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
        Err(e) => stream::iter([Err(e)]).right_stream(),
    }))
}

/// The first row of a query's output.
pub(crate) fn first_row(out: Output) -> Option<AnyRow> {
    out.into_iter().find_map(Either::right)
}

/// `prepare` and `describe` are not offered on the store's SQLite connections (nothing in
/// the store prepares statements by hand).
pub(crate) fn not_offered(what: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!(
        "{what} is not offered on the store's SQLite connections"
    ))
}

impl<'p> Executor<'p> for &'_ ReadPool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        match self {
            ReadPool::Postgres(p) => p.fetch_many(query),
            ReadPool::Sqlite(r) => {
                let r = r.clone();
                stream_of(async move {
                    let (sql, args) = parts(query)?;
                    r.run(sql, args, None).await
                })
            }
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        match self {
            ReadPool::Postgres(p) => p.fetch_optional(query),
            ReadPool::Sqlite(r) => {
                let r = r.clone();
                Box::pin(async move {
                    let (sql, args) = parts(query)?;
                    Ok(first_row(r.run(sql, args, Some(1)).await?))
                })
            }
        }
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        match self {
            ReadPool::Postgres(p) => p.prepare_with(sql, parameters),
            ReadPool::Sqlite(_) => Box::pin(async { Err(not_offered("prepare")) }),
        }
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>> {
        match self {
            ReadPool::Postgres(p) => p.describe(sql),
            ReadPool::Sqlite(_) => Box::pin(async { Err(not_offered("describe")) }),
        }
    }
}
