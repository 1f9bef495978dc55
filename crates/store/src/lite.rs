//! SQLite statements run on the calling thread (issue 14).
//!
//! sqlx runs every SQLite connection on a thread of its own and sends it each statement: two
//! thread wake-ups per statement, which made context switching the largest cost of a request
//! on a 2-core machine. The store's own SQLite connections (the writer and the read
//! connections, see [`crate::db`] and [`crate::read_pool`]) are [`LiteConn`]s instead: an
//! SQLite connection (rusqlite, on the same `libsqlite3-sys` as sqlx) whose statements run
//! where they are awaited. A read or a statement inside a write transaction takes tens of
//! microseconds from the page cache; statements that may wait for SQLite's write lock never
//! run here on an async thread (the writer begins without a busy timeout and waits its turn
//! asynchronously; a write outside a transaction goes to the blocking pool), and a read
//! connection interrupts a read that runs past a short slice so that the read pool can run
//! it again on the blocking pool ([`LiteConn::run_within`]).
//!
//! The queries are unchanged: they are still sqlx queries against sqlx's `Any` database, run
//! through the [`sqlx::Executor`]s of [`crate::read_pool::ReadPool`] and [`crate::db::TxExec`].
//! This module binds their arguments the way sqlx's SQLite driver does (`?` in order, `?NNN`
//! and `$NNN` by number) and hands back `Any` rows built the way sqlx builds them (by each
//! value's storage class: INTEGER as a 64-bit integer, REAL as a double, TEXT, BLOB, NULL).
//! Errors are [`LiteError`]s: sqlx database errors with SQLite's extended code, so unique
//! violations and `SQLITE_BUSY` are recognised as before.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use sqlx::Either;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx_core::any::{
    AnyArguments, AnyColumn, AnyQueryResult, AnyRow, AnyTypeInfo, AnyTypeInfoKind, AnyValue,
    AnyValueKind,
};
use sqlx_core::ext::ustr::UStr;

/// What a query answered: its rows, then one result per statement (as sqlx streams them).
pub(crate) type Output = Vec<Either<AnyQueryResult, AnyRow>>;

/// The pragmas of every SQLite connection the store opens, its own and sqlx's pooled ones
/// (each also gets a busy timeout: see [`crate::db`]).
pub(crate) const PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

/// Statements whose column lists are remembered per connection before the list is cleared.
const COLUMN_CACHE: usize = 512;

/// One SQLite connection of the store's own (see the module doc).
pub struct LiteConn {
    conn: rusqlite::Connection,
    /// The columns of each statement run so far, keyed by its SQL (rows share them).
    columns: HashMap<Box<str>, Arc<Columns>>,
    /// A read connection's deadline ([`LiteConn::run_within`]); none on the writer.
    deadline: Option<Deadline>,
}

/// A deadline read by the progress handler installed on a read connection when it is opened:
/// while armed, a statement past it is interrupted (`SQLITE_INTERRUPT`); 0 is disarmed.
struct Deadline {
    /// Nanoseconds from `base`.
    at: Arc<AtomicU64>,
    base: Instant,
}

/// `SQLITE_INTERRUPT`, as [`LiteError`]'s primary code.
const INTERRUPTED: i32 = rusqlite::ffi::SQLITE_INTERRUPT;

impl fmt::Debug for LiteConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiteConn").finish_non_exhaustive()
    }
}

struct Columns {
    names: Arc<sqlx_core::HashMap<UStr, usize>>,
    list: Vec<AnyColumn>,
}

/// The SQLite file a `sqlite:` URL names (`sqlite://path?mode=rwc`, `sqlite:path`).
pub(crate) fn path_of(url: &str) -> Result<PathBuf, sqlx::Error> {
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
    Ok(options.get_filename().to_path_buf())
}

impl LiteConn {
    /// Opens `path` with the pragmas every store connection has (WAL, `synchronous=FULL`,
    /// foreign keys) and a busy timeout of `busy`.
    pub(crate) fn open(path: &Path, busy: Duration) -> Result<LiteConn, sqlx::Error> {
        let conn = rusqlite::Connection::open(path).map_err(from_rusqlite)?;
        conn.execute_batch(PRAGMAS).map_err(from_rusqlite)?;
        conn.busy_timeout(busy).map_err(from_rusqlite)?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(LiteConn {
            conn,
            columns: HashMap::new(),
            deadline: None,
        })
    }

    /// [`LiteConn::open`], for reads: with the progress handler [`LiteConn::run_within`] arms.
    pub(crate) fn open_reader(path: &Path, busy: Duration) -> Result<LiteConn, sqlx::Error> {
        let mut conn = LiteConn::open(path, busy)?;
        let at = Arc::new(AtomicU64::new(0));
        let base = Instant::now();
        let read = at.clone();
        conn.conn
            .progress_handler(
                1_000,
                Some(move || {
                    let at = read.load(Ordering::Relaxed);
                    at != 0 && nanos(base.elapsed()) >= at
                }),
            )
            .map_err(from_rusqlite)?;
        conn.deadline = Some(Deadline { at, base });
        Ok(conn)
    }

    /// Runs a read, interrupted at `slice` from now: `None` when it was (nothing is lost, a
    /// read can be run again in full elsewhere), else what [`LiteConn::run_values`] answers.
    pub(crate) fn run_within(
        &mut self,
        sql: &str,
        values: &[AnyValueKind],
        limit: Option<usize>,
        slice: Duration,
    ) -> Option<Result<Output, sqlx::Error>> {
        let Some(deadline) = &self.deadline else {
            return Some(self.run_values(sql, values, limit));
        };
        let at = deadline.at.clone();
        at.store(
            nanos(deadline.base.elapsed() + slice).max(1),
            Ordering::Relaxed,
        );
        let out = self.run_values(sql, values, limit);
        at.store(0, Ordering::Relaxed);
        match out {
            Err(sqlx::Error::Database(db))
                if db
                    .try_downcast_ref::<LiteError>()
                    .is_some_and(|l| l.primary() == INTERRUPTED) =>
            {
                None
            }
            out => Some(out),
        }
    }

    /// Runs a statement without arguments or rows (`BEGIN IMMEDIATE`, `COMMIT`, `ROLLBACK`).
    pub(crate) fn exec(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(from_rusqlite)?;
        stmt.raw_execute().map_err(from_rusqlite)?;
        Ok(())
    }

    /// A PASSIVE checkpoint (it waits for no reader and no writer): the WAL's frames, and how
    /// many of them are now in the database file.
    pub(crate) fn checkpoint_passive(&mut self) -> Result<(i64, i64), sqlx::Error> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })
            .map_err(from_rusqlite)
    }

    /// SQLite's own checkpoint after a commit once the WAL holds `pages` (0: never).
    pub(crate) fn set_autocheckpoint(&mut self, pages: u32) -> Result<(), sqlx::Error> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(from_rusqlite)
    }

    /// Inside a transaction (BEGIN ran, and no COMMIT or ROLLBACK yet).
    pub(crate) fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Whether `sql` only reads (so it never waits for the write lock). Several statements
    /// in one string count as writing.
    pub(crate) fn reads_only(&mut self, sql: &str) -> bool {
        self.conn
            .prepare_cached(sql)
            .map(|stmt| stmt.readonly())
            .unwrap_or(false)
    }

    /// Runs `sql` with `args`: its rows (at most `limit`), then its result.
    pub(crate) fn run(
        &mut self,
        sql: &str,
        args: Option<AnyArguments>,
        limit: Option<usize>,
    ) -> Result<Output, sqlx::Error> {
        self.run_values(sql, &args.map(|a| a.values.0).unwrap_or_default(), limit)
    }

    /// [`LiteConn::run`] with the arguments' values.
    pub(crate) fn run_values(
        &mut self,
        sql: &str,
        values: &[AnyValueKind],
        limit: Option<usize>,
    ) -> Result<Output, sqlx::Error> {
        let mut stmt = match self.conn.prepare_cached(sql) {
            Ok(stmt) => stmt,
            // Several statements in one string (a script): sqlx runs them all; so does this,
            // as long as nothing is to be bound.
            Err(rusqlite::Error::MultipleStatement) if values.is_empty() => {
                self.conn.execute_batch(sql).map_err(from_rusqlite)?;
                return Ok(vec![Either::Left(AnyQueryResult {
                    rows_affected: self.conn.changes(),
                    last_insert_id: Some(self.conn.last_insert_rowid()),
                })]);
            }
            Err(e) => return Err(from_rusqlite(e)),
        };
        bind(&mut stmt, values)?;
        let columns = match self.columns.get(sql) {
            Some(c) => c.clone(),
            None => {
                let c = Arc::new(columns_of(&stmt));
                if self.columns.len() >= COLUMN_CACHE {
                    self.columns.clear();
                }
                self.columns.insert(sql.into(), c.clone());
                c
            }
        };
        let mut out = Vec::new();
        {
            let mut rows = stmt.raw_query();
            while limit.is_none_or(|n| out.len() < n) {
                let Some(row) = rows.next().map_err(from_rusqlite)? else {
                    break;
                };
                let mut values = Vec::with_capacity(columns.list.len());
                for i in 0..columns.list.len() {
                    values.push(AnyValue {
                        kind: value_of(row.get_ref(i).map_err(from_rusqlite)?, i)?,
                    });
                }
                out.push(Either::Right(AnyRow {
                    column_names: columns.names.clone(),
                    columns: columns.list.clone(),
                    values,
                }));
            }
        }
        drop(stmt);
        out.push(Either::Left(AnyQueryResult {
            rows_affected: self.conn.changes(),
            last_insert_id: Some(self.conn.last_insert_rowid()),
        }));
        Ok(out)
    }
}

/// Binds like sqlx's SQLite driver: an unnamed `?` takes the next argument, `?NNN` and
/// `$NNN` the NNN-th; a parameter past the arguments is NULL.
fn bind(stmt: &mut rusqlite::Statement<'_>, values: &[AnyValueKind]) -> Result<(), sqlx::Error> {
    let mut next = 0usize;
    for param in 1..=stmt.parameter_count() {
        let n = match stmt.parameter_name(param) {
            None => {
                next += 1;
                next
            }
            Some(name) => name
                .strip_prefix('?')
                .or_else(|| name.strip_prefix('$'))
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| {
                    sqlx::Error::Protocol(format!("unsupported SQL parameter {name}"))
                })?,
        };
        let value = match n.checked_sub(1).and_then(|i| values.get(i)) {
            None | Some(AnyValueKind::Null(_)) => ValueRef::Null,
            Some(AnyValueKind::Bool(b)) => ValueRef::Integer(i64::from(*b)),
            Some(AnyValueKind::SmallInt(i)) => ValueRef::Integer(i64::from(*i)),
            Some(AnyValueKind::Integer(i)) => ValueRef::Integer(i64::from(*i)),
            Some(AnyValueKind::BigInt(i)) => ValueRef::Integer(*i),
            Some(AnyValueKind::Real(r)) => ValueRef::Real(f64::from(*r)),
            Some(AnyValueKind::Double(d)) => ValueRef::Real(*d),
            Some(AnyValueKind::Text(t)) => ValueRef::Text(t.as_bytes()),
            Some(AnyValueKind::TextSlice(t)) => ValueRef::Text(t.as_bytes()),
            Some(AnyValueKind::Blob(b)) => ValueRef::Blob(b.as_slice()),
            Some(other) => {
                return Err(sqlx::Error::Protocol(format!(
                    "unsupported argument {other:?}"
                )));
            }
        };
        stmt.raw_bind_parameter(param, rusqlite::types::ToSqlOutput::Borrowed(value))
            .map_err(from_rusqlite)?;
    }
    Ok(())
}

fn columns_of(stmt: &rusqlite::Statement<'_>) -> Columns {
    let mut names = sqlx_core::HashMap::new();
    let mut list = Vec::with_capacity(stmt.column_count());
    for (ordinal, name) in stmt.column_names().into_iter().enumerate() {
        let name = UStr::new(name);
        names.insert(name.clone(), ordinal);
        list.push(AnyColumn {
            ordinal,
            name,
            // As sqlx's driver has it for a column it cannot type: by value, row by row.
            type_info: AnyTypeInfo {
                kind: AnyTypeInfoKind::Null,
            },
        });
    }
    Columns {
        names: Arc::new(names),
        list,
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A value by its storage class, as sqlx's SQLite driver maps it to `Any`.
fn value_of(value: ValueRef<'_>, index: usize) -> Result<AnyValueKind, sqlx::Error> {
    Ok(match value {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(i) => AnyValueKind::BigInt(i),
        ValueRef::Real(r) => AnyValueKind::Double(r),
        ValueRef::Text(t) => {
            AnyValueKind::Text(Arc::new(String::from_utf8(t.to_vec()).map_err(|e| {
                sqlx::Error::ColumnDecode {
                    index: index.to_string(),
                    source: Box::new(e),
                }
            })?))
        }
        ValueRef::Blob(b) => AnyValueKind::Blob(Arc::new(b.to_vec())),
    })
}

/// SQLite's answer as a sqlx error: a database error with the extended code when SQLite
/// gave one (so [`crate::error`] sees busy and unique violations as it does from sqlx).
pub(crate) fn from_rusqlite(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(err, message) => {
            sqlx::Error::Database(Box::new(LiteError {
                code: err.extended_code,
                message: message.unwrap_or_else(|| err.to_string()),
            }))
        }
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// An error SQLite returned on a [`LiteConn`].
#[derive(Debug)]
pub struct LiteError {
    /// SQLite's extended result code.
    code: i32,
    message: String,
}

impl LiteError {
    /// SQLite's primary result code (the low byte of the extended one).
    pub(crate) fn primary(&self) -> i32 {
        self.code & 0xff
    }
}

impl fmt::Display for LiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LiteError {}

impl DatabaseError for LiteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ErrorKind::UniqueViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// Whether a failed connection should be dropped rather than used again (I/O errors, a
/// file that is gone or not a database).
pub(crate) fn is_broken(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.try_downcast_ref::<LiteError>().is_some_and(|l| {
            matches!(
                l.primary(),
                rusqlite::ffi::SQLITE_IOERR
                    | rusqlite::ffi::SQLITE_CORRUPT
                    | rusqlite::ffi::SQLITE_CANTOPEN
                    | rusqlite::ffi::SQLITE_NOTADB
            )
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use sqlx::{Arguments, Column, Row};

    fn conn() -> (tempfile::TempDir, LiteConn) {
        let dir = tempfile::tempdir().unwrap();
        let c = LiteConn::open(&dir.path().join("t.db"), Duration::ZERO).unwrap();
        (dir, c)
    }

    fn args(f: impl FnOnce(&mut AnyArguments)) -> Option<AnyArguments> {
        let mut a = AnyArguments::default();
        f(&mut a);
        Some(a)
    }

    fn rows(out: Output) -> Vec<AnyRow> {
        out.into_iter().filter_map(|e| e.right()).collect()
    }

    #[test]
    fn arguments_bind_as_sqlx_binds_them_and_rows_decode_by_storage_class() {
        let (_d, mut c) = conn();
        c.run(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag BOOLEAN, score REAL, raw BLOB)",
            None,
            None,
        )
        .unwrap();
        // `$2` before `$1`: by number, not by position.
        let out = c
            .run(
                "INSERT INTO t (name, id, flag, score, raw) VALUES ($2, $1, $3, $4, $5)",
                args(|a| {
                    a.add(7i64).unwrap();
                    a.add("七".to_string()).unwrap();
                    a.add(true).unwrap();
                    a.add(1.5f64).unwrap();
                    a.add(vec![1u8, 2]).unwrap();
                }),
                None,
            )
            .unwrap();
        assert!(matches!(&out[..], [Either::Left(r)] if r.rows_affected == 1));
        c.run(
            "INSERT INTO t (id, name) VALUES (?, ?)",
            args(|a| {
                a.add(8i64).unwrap();
                a.add(Option::<String>::None).unwrap();
            }),
            None,
        )
        .unwrap();
        let got = rows(
            c.run(
                "SELECT id, name, flag, score, raw FROM t ORDER BY id",
                None,
                None,
            )
            .unwrap(),
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].try_get::<i64, _>("id").unwrap(), 7);
        assert_eq!(got[0].try_get::<String, _>("name").unwrap(), "七");
        // As from sqlx's driver: a boolean is an INTEGER.
        assert_eq!(got[0].try_get::<i64, _>("flag").unwrap(), 1);
        assert_eq!(got[0].try_get::<f64, _>("score").unwrap(), 1.5);
        assert_eq!(got[0].try_get::<Vec<u8>, _>("raw").unwrap(), vec![1, 2]);
        assert_eq!(got[1].try_get::<Option<String>, _>("name").unwrap(), None);
        assert!(got[1].try_get::<String, _>("name").is_err());
        // A limit stops after that many rows.
        let first = rows(
            c.run("SELECT id FROM t ORDER BY id", None, Some(1))
                .unwrap(),
        );
        assert_eq!(first.len(), 1);
    }

    /// The same rows through sqlx's own SQLite driver and through a `LiteConn` decode alike.
    #[tokio::test]
    async fn rows_are_what_sqlx_s_driver_makes_of_them() {
        use sqlx::Connection;
        let (dir, mut c) = conn();
        c.run(
            // (sqlx's `Any` driver refuses columns declared BOOLEAN or DATETIME outright.)
            "CREATE TABLE v (i INTEGER, t TEXT, r REAL, b BLOB, f, n TEXT, d TEXT)",
            None,
            None,
        )
        .unwrap();
        c.run(
            "INSERT INTO v VALUES (-9007199254740993, 'é', 0.25, x'00ff', 1, NULL, '2026-12-07T22:00:00Z'), \
             (3, '', -1e300, x'', 0, 'x', 17)",
            None,
            None,
        )
        .unwrap();
        let sql = "SELECT i, t, r, b, f, n, d, i + 1 AS j, typeof(t) AS k FROM v ORDER BY rowid";
        let ours = rows(c.run(sql, None, None).unwrap());
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let mut theirs_conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let theirs = sqlx::query(sql).fetch_all(&mut theirs_conn).await.unwrap();
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.columns().len(), b.columns().len());
            for i in 0..a.columns().len() {
                assert_eq!(a.columns()[i].name(), b.columns()[i].name());
                let (x, y) = (&a.values[i].kind, &b.values[i].kind);
                match (x, y) {
                    (AnyValueKind::Null(_), AnyValueKind::Null(_)) => {}
                    _ => assert_eq!(format!("{x:?}"), format!("{y:?}"), "column {i}"),
                }
            }
        }
    }

    #[test]
    fn a_unique_violation_and_a_busy_database_keep_their_sqlite_codes() {
        let (dir, mut c) = conn();
        c.run("CREATE TABLE u (k TEXT UNIQUE)", None, None).unwrap();
        c.run("INSERT INTO u VALUES ('a')", None, None).unwrap();
        let Err(err) = c.run("INSERT INTO u VALUES ('a')", None, None) else {
            panic!("a second 'a' was inserted")
        };
        let sqlx::Error::Database(db) = &err else {
            panic!("{err:?}")
        };
        assert!(db.is_unique_violation());
        assert_eq!(db.message(), "UNIQUE constraint failed: u.k");

        let mut other = LiteConn::open(&dir.path().join("t.db"), Duration::ZERO).unwrap();
        c.exec("BEGIN IMMEDIATE").unwrap();
        assert!(c.in_transaction());
        let err = other.exec("BEGIN IMMEDIATE").unwrap_err();
        let sqlx::Error::Database(db) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(db.code().as_deref(), Some("5"));
        c.exec("ROLLBACK").unwrap();
        assert!(!c.in_transaction());
        other.exec("BEGIN IMMEDIATE").unwrap();
        other.exec("COMMIT").unwrap();
    }

    #[test]
    fn only_reading_statements_count_as_reads() {
        let (_d, mut c) = conn();
        c.run("CREATE TABLE r (x INTEGER)", None, None).unwrap();
        assert!(c.reads_only("SELECT x FROM r"));
        assert!(!c.reads_only("INSERT INTO r VALUES (1)"));
        assert!(!c.reads_only("SELECT 1; SELECT 2"));
        // A script of several statements runs whole.
        c.run(
            "INSERT INTO r VALUES (1); INSERT INTO r VALUES (2);",
            None,
            None,
        )
        .unwrap();
        let got = rows(c.run("SELECT count(*) AS n FROM r", None, None).unwrap());
        assert_eq!(got[0].try_get::<i64, _>("n").unwrap(), 2);
    }
}
