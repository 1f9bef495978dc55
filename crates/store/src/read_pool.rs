//! The read connections: [`Store::pool`](crate::Store::pool) hands out a [`ReadPool`], which
//! runs a query on a free connection (`.fetch_one(store.pool())` and the like).
//!
//! On PostgreSQL it is sqlx's pool. On SQLite it is a small pool of its own, because sqlx's
//! pool returns every connection through a spawned task that first pings it: on SQLite that
//! is a round trip to the connection's worker thread after every read, twice the hand-offs of
//! the read itself, which made thread switching the largest cost of a request (issue 14). An
//! SQLite connection is a file handle in this process: it cannot go stale, and a read left
//! unfinished (its future dropped) is finished or reset by the worker before the next command,
//! so a connection goes back to the idle list as it is, at once. One that failed with an I/O
//! error or a crashed worker is dropped instead, and a new one opened when needed.
//!
//! A query's rows are collected before they are handed on (nothing here streams a result
//! set), so the connection is back in the idle list before the caller looks at a row.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::any::{AnyConnectOptions, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, AnyConnection, AnyPool, Describe, Either, Execute, Executor, SqlStr};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
                .field("max", &r.max)
                .finish_non_exhaustive(),
            ReadPool::Postgres(p) => f.debug_tuple("ReadPool::Postgres").field(p).finish(),
        }
    }
}

/// SQLite's read connections: at most `max` open, the idle ones in a list.
pub struct SqliteReads {
    options: AnyConnectOptions,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<AnyConnection>>,
    max: u32,
    acquire_timeout: Duration,
}

impl ReadPool {
    /// `max` read connections to the SQLite database of `options`, opened when first needed.
    pub(crate) fn sqlite(options: AnyConnectOptions, max: u32, acquire_timeout: Duration) -> Self {
        ReadPool::Sqlite(Arc::new(SqliteReads {
            options,
            permits: Arc::new(Semaphore::new(max.max(1) as usize)),
            idle: Mutex::new(Vec::new()),
            max: max.max(1),
            acquire_timeout,
        }))
    }

    /// Open connections (for `/metrics`).
    pub fn size(&self) -> u32 {
        match self {
            ReadPool::Sqlite(r) => {
                let busy = r.max as usize - r.permits.available_permits();
                u32::try_from(busy + r.idle_len()).unwrap_or(u32::MAX)
            }
            ReadPool::Postgres(p) => p.size(),
        }
    }

    /// Idle connections (for `/metrics`).
    pub fn num_idle(&self) -> usize {
        match self {
            ReadPool::Sqlite(r) => r.idle_len(),
            ReadPool::Postgres(p) => p.num_idle(),
        }
    }

    /// Closes the idle connections and refuses new reads.
    pub async fn close(&self) {
        match self {
            ReadPool::Sqlite(r) => {
                r.permits.close();
                let idle =
                    std::mem::take(&mut *r.idle.lock().unwrap_or_else(PoisonError::into_inner));
                for conn in idle {
                    let _ = sqlx::Connection::close(conn).await;
                }
            }
            ReadPool::Postgres(p) => p.close().await,
        }
    }
}

impl SqliteReads {
    fn idle_len(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// A free connection and the permit it holds (waits at most `acquire_timeout`).
    async fn lease(self: &Arc<Self>) -> Result<Lease, sqlx::Error> {
        let permit =
            tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)?
                .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => crate::db::connect_sqlite(&self.options).await?,
        };
        Ok(Lease {
            conn: Some(conn),
            home: self.clone(),
            _permit: permit,
        })
    }
}

/// A connection out of the idle list; back in it when dropped, unless it broke.
struct Lease {
    conn: Option<AnyConnection>,
    home: Arc<SqliteReads>,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// Runs `f` on the connection; a broken connection is not returned to the idle list.
    async fn run<T>(
        mut self,
        f: impl AsyncFnOnce(&mut AnyConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        let Some(conn) = self.conn.as_mut() else {
            return Err(sqlx::Error::PoolClosed);
        };
        let out = f(conn).await;
        if let Err(e) = &out
            && matches!(e, sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed)
        {
            self.conn = None;
        }
        out
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !self.home.permits.is_closed()
        {
            self.home
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
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
                let all = async move {
                    let lease = r.lease().await?;
                    lease
                        .run(async move |c| {
                            c.fetch_many(query)
                                .collect::<Vec<_>>()
                                .await
                                .into_iter()
                                .collect::<Result<Vec<_>, _>>()
                        })
                        .await
                };
                Box::pin(
                    stream::once(all).flat_map(|res: Result<Vec<_>, sqlx::Error>| match res {
                        Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
                        Err(e) => stream::iter([Err(e)]).right_stream(),
                    }),
                )
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
                    r.lease()
                        .await?
                        .run(async move |c| c.fetch_optional(query).await)
                        .await
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
            ReadPool::Sqlite(r) => {
                let r = r.clone();
                Box::pin(async move {
                    r.lease()
                        .await?
                        .run(async move |c| c.prepare_with(sql, parameters).await)
                        .await
                })
            }
        }
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>> {
        match self {
            ReadPool::Postgres(p) => p.describe(sql),
            ReadPool::Sqlite(r) => {
                let r = r.clone();
                Box::pin(async move {
                    r.lease()
                        .await?
                        .run(async move |c| c.describe(sql).await)
                        .await
                })
            }
        }
    }
}
