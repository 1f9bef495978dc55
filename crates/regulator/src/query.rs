//! The public ICP query (`/miit/query`): by domain, by number, or by a substring of the
//! sponsor's name. Domains and numbers are read from their indexes. Sponsor names are indexed
//! twice in FTS5: by trigrams (substrings of three characters or more) and by overlapping
//! two-character tokens (`sponsor_bigrams`: a two-character substring is one token), so no
//! query scans the table or intersects the position lists of common single characters. A
//! name query needs at least [`MIN_SPONSOR_CHARS`] characters (one character would match
//! nearly every sponsor), answers at most [`LIMIT`] records, and runs within
//! [`SPONSOR_BUDGET`]: SQLite's progress handler interrupts it past that, and the query
//! answers [`Error::QueryTooBroad`] instead of holding a connection.
//!
//! A registry opened from its file ([`crate::Regulator::open`]) runs the query on its own
//! rusqlite connections (`db::QueryConns`), on the calling thread ([`run_inline`]): through
//! sqlx each statement was a hand-off to the connection's worker thread and each of the 50
//! rows one more through a channel, and on one CPU those switches cost more than SQLite's
//! work (issue 14). The budget's progress handler is installed once per connection, when it
//! is opened ([`Deadline`]); a query arms it by setting the connection's deadline. A name
//! query runs inline for at most [`INLINE_SLICE`]; one that needs more (a broad one, close
//! to being refused) is run again from the start on a blocking thread (at most four at once)
//! within what remains of its budget, so that it does not hold the async runtime's thread.
//! A registry over a pool ([`crate::Regulator::new`]) runs the same statements through sqlx
//! ([`run`], armed per query by [`Budget`]).
//!
//! The statements are constants with the limit written in (SQLite re-prepares a statement
//! whose `LIMIT` is a bound parameter at every run: the planner reads its value).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection};

use crate::Error;
use crate::db::{QueryConns, QueryLease};
use crate::registry::normalize_domain;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicQuery {
    Domain(String),
    Number(String),
    Sponsor(String),
}

/// One filed website as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRecord {
    pub sponsor_name: String,
    pub sponsor_nature: String,
    pub sponsor_number: String,
    pub website_name: String,
    pub domain: String,
    pub website_number: String,
    /// The Asia/Shanghai date the website was approved.
    pub approved_on: String,
}

/// The most records one query answers.
pub const LIMIT: i64 = 50;

/// The fewest characters a sponsor-name query may have.
pub const MIN_SPONSOR_CHARS: usize = 2;

/// The time one sponsor-name query may take.
pub const SPONSOR_BUDGET: Duration = Duration::from_millis(250);

/// How long a sponsor-name query may run on the calling (async runtime's) thread before it is
/// moved to a blocking thread ([`run_inline`]). Past it the query is far beyond its latency
/// target anyway.
pub const INLINE_SLICE: Duration = Duration::from_millis(10);

/// The statements below write [`LIMIT`] as the literal 50.
const _: () = assert!(LIMIT == 50);

/// The columns of a [`PublicRecord`], in its order; the last is the approval instant.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT s.name, s.nature, s.number, w.name, w.domain, w.number, w.filed_at \
             FROM websites w JOIN sponsors s ON s.id = w.sponsor_id ",
            $rest
        )
    };
}

const BY_DOMAIN: &str = select!("WHERE w.domain = ?1 AND w.status = 'filed'");
const BY_WEBSITE_NUMBER: &str = select!("WHERE w.number = ?1 AND w.status = 'filed'");
const BY_SPONSOR_NUMBER: &str =
    select!("WHERE s.number = ?1 AND w.status = 'filed' ORDER BY w.id LIMIT 50");
// Three characters or more: the trigram index; two: the one bigram token. Either way the
// sponsors come first, in id order, and stop at the limit.
const BY_NAME_TRIGRAMS: &str = select!(
    "WHERE w.sponsor_id IN (SELECT rowid FROM sponsor_names WHERE sponsor_names MATCH ?1 \
     ORDER BY rowid LIMIT 50) AND w.status = 'filed' AND s.status = 'filed' \
     ORDER BY s.id, w.id LIMIT 50"
);
const BY_NAME_BIGRAM: &str = select!(
    "WHERE w.sponsor_id IN (SELECT rowid FROM sponsor_bigrams WHERE sponsor_bigrams MATCH ?1 \
     ORDER BY rowid LIMIT 50) AND w.status = 'filed' AND s.status = 'filed' \
     ORDER BY s.id, w.id LIMIT 50"
);

/// A query as one statement and its one parameter.
enum Plan {
    /// Nothing to look for (a name of whitespace only): no records.
    Nothing,
    /// An index lookup.
    Lookup(&'static str, String),
    /// A name search, under [`SPONSOR_BUDGET`].
    Name(&'static str, String),
}

fn plan(query: &PublicQuery) -> Result<Plan, Error> {
    Ok(match query {
        PublicQuery::Domain(domain) => Plan::Lookup(BY_DOMAIN, normalize_domain(domain)),
        PublicQuery::Number(number) => {
            let number = number.trim();
            if number.contains("号-") {
                Plan::Lookup(BY_WEBSITE_NUMBER, number.to_owned())
            } else {
                Plan::Lookup(BY_SPONSOR_NUMBER, number.to_owned())
            }
        }
        PublicQuery::Sponsor(part) => {
            let part: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            let n = part.chars().count();
            if n == 0 {
                return Ok(Plan::Nothing);
            }
            if n < MIN_SPONSOR_CHARS {
                return Err(Error::QueryTooShort {
                    min: MIN_SPONSOR_CHARS,
                });
            }
            if n >= 3 {
                Plan::Name(BY_NAME_TRIGRAMS, fts_phrase(&part))
            } else {
                Plan::Name(
                    BY_NAME_BIGRAM,
                    fts_phrase(&crate::registry::spaced_bigrams(&part)),
                )
            }
        }
    })
}

/// Runs a public query on one of `conns`, on the calling thread (a name search past
/// [`INLINE_SLICE`] on a blocking thread).
pub(crate) async fn run_inline(
    conns: &Arc<QueryConns>,
    query: &PublicQuery,
) -> Result<Vec<PublicRecord>, Error> {
    match plan(query)? {
        Plan::Nothing => Ok(Vec::new()),
        Plan::Lookup(sql, value) => {
            let lease = conns.lend()?;
            Ok(fetch(&lease.conn, sql, &value)?)
        }
        Plan::Name(sql, pattern) => {
            name_search(conns.lend()?, sql, pattern, INLINE_SLICE, SPONSOR_BUDGET).await
        }
    }
}

/// A name search on `lease`: inline for at most `slice`, then (when interrupted there) again
/// from the start on a blocking thread until `budget` from now has passed.
async fn name_search(
    lease: QueryLease,
    sql: &'static str,
    pattern: String,
    slice: Duration,
    budget: Duration,
) -> Result<Vec<PublicRecord>, Error> {
    let start = Instant::now();
    let end = start + budget;
    match fetch_until(&lease, sql, &pattern, end.min(start + slice)) {
        Err(Error::QueryTooBroad) if Instant::now() < end => {}
        done => return done,
    }
    // A few at once; the wait counts against the budget.
    let permit =
        match tokio::time::timeout_at(end.into(), lease.home().blocking.clone().acquire_owned())
            .await
        {
            Ok(permit) => permit.map_err(|e| Error::Io(std::io::Error::other(e)))?,
            Err(_elapsed) => return Err(Error::QueryTooBroad),
        };
    // The lease (and the permit) move to the blocking thread and are given back from there,
    // also when this future is dropped meanwhile.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        fetch_until(&lease, sql, &pattern, end)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))?
}

/// `sql` with `value` on `conn`, interrupted at `deadline` ([`Error::QueryTooBroad`]).
fn fetch_until(
    conn: &crate::db::QueryConn,
    sql: &str,
    value: &str,
    deadline: Instant,
) -> Result<Vec<PublicRecord>, Error> {
    let _armed = conn.deadline.arm(deadline);
    match fetch(&conn.conn, sql, value) {
        Ok(records) => Ok(records),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            Err(Error::QueryTooBroad)
        }
        Err(e) => Err(e.into()),
    }
}

/// The records of `sql` with `value` (statements cached per connection).
fn fetch(
    conn: &rusqlite::Connection,
    sql: &str,
    value: &str,
) -> rusqlite::Result<Vec<PublicRecord>> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query([value])?;
    let mut records = Vec::new();
    while let Some(row) = rows.next()? {
        records.push(record(
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
            row.get(6)?,
        ));
    }
    Ok(records)
}

/// A connection's deadline, read by the progress handler [`Deadline::install`] puts on it
/// once: while armed, a statement past the deadline is interrupted (`SQLITE_INTERRUPT`); while
/// not, every statement runs on. Armed for one query by [`Deadline::arm`], disarmed when the
/// guard drops, so nothing carries over to the connection's next query.
pub(crate) struct Deadline {
    /// Nanoseconds from `base` to the deadline; 0 when disarmed.
    at: Arc<AtomicU64>,
    base: Instant,
}

impl Deadline {
    /// Installs the handler on `conn` (every 1,000 VM steps, as [`Budget`]).
    pub(crate) fn install(conn: &rusqlite::Connection) -> Result<Deadline, Error> {
        let at = Arc::new(AtomicU64::new(0));
        let base = Instant::now();
        let read = at.clone();
        // rusqlite: `true` interrupts.
        conn.progress_handler(
            1_000,
            Some(move || {
                let at = read.load(Ordering::Relaxed);
                at != 0 && nanos(base.elapsed()) >= at
            }),
        )?;
        Ok(Deadline { at, base })
    }

    /// Arms the deadline `until` until the guard drops.
    pub(crate) fn arm(&self, until: Instant) -> Armed<'_> {
        let at = nanos(until.saturating_duration_since(self.base)).max(1);
        self.at.store(at, Ordering::Relaxed);
        Armed(&self.at)
    }
}

/// An armed [`Deadline`]; disarms it when dropped.
pub(crate) struct Armed<'a>(&'a AtomicU64);

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A record from its columns; the approval date is `filed_at`'s Asia/Shanghai date (`filed_at`
/// itself when it does not parse).
fn record(
    sponsor_name: String,
    sponsor_nature: String,
    sponsor_number: String,
    website_name: String,
    domain: String,
    website_number: String,
    filed_at: String,
) -> PublicRecord {
    PublicRecord {
        sponsor_name,
        sponsor_nature,
        sponsor_number,
        website_name,
        domain,
        website_number,
        approved_on: approved_on(filed_at),
    }
}

/// `filed_at` (RFC 3339) as its Asia/Shanghai date, `YYYY-MM-DD`; itself when it does not parse.
fn approved_on(filed_at: String) -> String {
    use chrono::Datelike;
    match chrono::DateTime::parse_from_rfc3339(&filed_at) {
        Ok(t) => {
            let day = t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
            if (0..=9999).contains(&day.year()) {
                // What `%Y-%m-%d` writes for these years, without parsing the format.
                format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
            } else {
                day.format("%Y-%m-%d").to_string()
            }
        }
        Err(_) => filed_at,
    }
}

/// Runs a public query on a sqlx connection (a registry over a pool), the budget armed for
/// the query by [`Budget`].
pub async fn run(
    conn: &mut SqliteConnection,
    query: &PublicQuery,
) -> Result<Vec<PublicRecord>, Error> {
    let rows = match plan(query)? {
        Plan::Nothing => return Ok(Vec::new()),
        Plan::Lookup(sql, value) => sqlx::query(sql).bind(value).fetch_all(&mut *conn).await?,
        Plan::Name(sql, pattern) => {
            let _budget = Budget::arm(conn, SPONSOR_BUDGET).await?;
            let rows = sqlx::query(sql).bind(pattern).fetch_all(&mut *conn).await;
            match rows {
                Ok(rows) => rows,
                // SQLITE_INTERRUPT: the progress handler stopped it at the budget.
                Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("9") => {
                    return Err(Error::QueryTooBroad);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    rows.iter()
        .map(|row| {
            Ok(record(
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
                row.try_get(6)?,
            ))
        })
        .collect()
}

/// A time budget on the statements a connection runs while this is alive: SQLite's progress
/// handler interrupts them (`SQLITE_INTERRUPT`) past the deadline. Dropping it disarms the
/// handler, also when the query's future is dropped half-way (a client that goes away):
/// the handler stays installed on the pooled connection, answering "go on" to every later
/// statement, until the next budget replaces it. (Removing it after the query instead left a
/// handler with a past deadline on the connection when the future was dropped between the
/// two, and the next lookup on that connection, of any kind, failed as interrupted.)
pub struct Budget {
    armed: Arc<std::sync::atomic::AtomicBool>,
}

impl Budget {
    /// Arms a budget of `budget` from now on `conn`.
    pub async fn arm(conn: &mut SqliteConnection, budget: Duration) -> Result<Budget, Error> {
        let armed = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let deadline = Instant::now() + budget;
        let flag = armed.clone();
        conn.lock_handle()
            .await?
            .set_progress_handler(1_000, move || {
                !flag.load(Ordering::Relaxed) || Instant::now() < deadline
            });
        Ok(Budget { armed })
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        self.armed.store(false, Ordering::Relaxed);
    }
}

/// An FTS5 phrase matching the text literally (double quotes doubled).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use sqlx::Connection;

    /// A statement of some 100,000 VM steps, far more than the progress handler's period.
    const LONG: &str = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n \
                        WHERE x < 20000) SELECT count(*) FROM n";

    #[tokio::test]
    async fn a_budget_interrupts_while_armed_and_not_once_dropped() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        let budget = Budget::arm(&mut conn, std::time::Duration::ZERO)
            .await
            .unwrap();
        let err = sqlx::query_scalar::<_, i64>(LONG)
            .fetch_one(&mut conn)
            .await
            .unwrap_err();
        match err {
            sqlx::Error::Database(db) => assert_eq!(db.code().as_deref(), Some("9")),
            other => panic!("expected SQLITE_INTERRUPT, got {other:?}"),
        }
        // Dropped (as when a client goes away mid-query): the handler, still installed with
        // its past deadline, lets every later statement on the connection run.
        drop(budget);
        let n: i64 = sqlx::query_scalar(LONG).fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 20000);
    }

    /// [`QueryConns`] over an empty registry file in `dir`.
    fn query_conns(dir: &std::path::Path) -> Arc<QueryConns> {
        let path = dir.join("q.sqlite");
        rusqlite::Connection::open(&path).unwrap();
        Arc::new(QueryConns::new(path))
    }

    /// [`LONG`] as one public record whose sponsor name is `?1`.
    const LONG_RECORD: &str = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n \
        WHERE x < 20000) SELECT ?1, 'enterprise', CAST((SELECT count(*) FROM n) AS TEXT), \
        'w', 'd.cn', 'n-1', '2026-03-01T16:30:00Z'";

    fn interrupted<T: std::fmt::Debug>(result: rusqlite::Result<T>) -> bool {
        match result {
            Err(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::OperationInterrupted
            }
            other => panic!("expected SQLITE_INTERRUPT, got {other:?}"),
        }
    }

    #[test]
    fn a_deadline_installed_once_interrupts_while_armed_and_the_next_query_runs() {
        let dir = tempfile::tempdir().unwrap();
        let conns = query_conns(dir.path());
        let lease = conns.lend().unwrap();
        let count = |c: &rusqlite::Connection| c.query_row(LONG, [], |r| r.get::<_, i64>(0));
        {
            let _armed = lease.deadline.arm(Instant::now());
            assert!(interrupted(count(&lease.conn)));
        }
        // Disarmed: the same handler, still installed, lets the statement run.
        assert_eq!(count(&lease.conn).unwrap(), 20000);
        {
            let _armed = lease.deadline.arm(Instant::now() + Duration::from_secs(60));
            assert_eq!(count(&lease.conn).unwrap(), 20000);
        }
        // Put back and lent again: the same connection, its handler armed by the next query.
        drop(lease);
        let lease = conns.lend().unwrap();
        {
            let _armed = lease.deadline.arm(Instant::now());
            assert!(interrupted(count(&lease.conn)));
        }
        assert_eq!(count(&lease.conn).unwrap(), 20000);
    }

    #[tokio::test]
    async fn a_name_search_past_its_inline_slice_finishes_on_a_blocking_thread_within_budget() {
        let dir = tempfile::tempdir().unwrap();
        let conns = query_conns(dir.path());
        // No inline slice: interrupted at once on this thread, then run again to the end.
        let found = name_search(
            conns.lend().unwrap(),
            LONG_RECORD,
            "甲".to_owned(),
            Duration::ZERO,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
        assert_eq!(
            found,
            vec![PublicRecord {
                sponsor_name: "甲".to_owned(),
                sponsor_nature: "enterprise".to_owned(),
                sponsor_number: "20000".to_owned(),
                website_name: "w".to_owned(),
                domain: "d.cn".to_owned(),
                website_number: "n-1".to_owned(),
                approved_on: "2026-03-02".to_owned(),
            }]
        );
        // No budget: too broad, and the connection answers the next query (inline) in full.
        match name_search(
            conns.lend().unwrap(),
            LONG_RECORD,
            "乙".to_owned(),
            Duration::ZERO,
            Duration::ZERO,
        )
        .await
        {
            Err(Error::QueryTooBroad) => {}
            other => panic!("expected QueryTooBroad, got {other:?}"),
        }
        let found = name_search(
            conns.lend().unwrap(),
            LONG_RECORD,
            "丙".to_owned(),
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].sponsor_name, "丙");
    }

    #[test]
    fn the_approval_date_is_the_shanghai_date_as_strftime_writes_it() {
        for filed_at in [
            "2026-03-01T15:59:59.999999Z",
            "2026-03-01T16:00:00.000000Z",
            "2017-12-31T20:10:03Z",
            "1988-06-01T15:30:00Z", // Shanghai kept summer time then: UTC+9
            "2026-03-01T10:00:00+08:00",
        ] {
            let old = chrono::DateTime::parse_from_rfc3339(filed_at)
                .unwrap()
                .with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%d")
                .to_string();
            assert_eq!(approved_on(filed_at.to_owned()), old, "{filed_at}");
        }
        assert_eq!(
            approved_on("2026-03-01T16:00:00.000000Z".to_owned()),
            "2026-03-02"
        );
        assert_eq!(approved_on("1988-06-01T15:30:00Z".to_owned()), "1988-06-02");
        assert_eq!(approved_on("not a time".to_owned()), "not a time");
    }

    /// A registry over a pool answers through sqlx what one opened from its file answers on
    /// its own connections: the same records in the same order, the same refusals.
    #[tokio::test]
    async fn the_pool_and_the_inline_connections_answer_alike() {
        let dir = tempfile::tempdir().unwrap();
        let clock: crate::SharedClock = Arc::new(crate::SystemClock);
        let r = crate::Regulator::open(dir.path(), clock, crate::Config::default())
            .await
            .unwrap();
        crate::fixture::load(&r).await.unwrap();
        let conns = Arc::new(QueryConns::new(dir.path().join(crate::db::FILE_NAME)));
        let mut pooled = r.pool().acquire().await.unwrap();
        let one = r
            .public_query(&PublicQuery::Sponsor("有限公司".into()))
            .await
            .unwrap();
        assert!(one.len() >= 3, "{one:?}");
        let queries = [
            PublicQuery::Sponsor("有限".into()),
            PublicQuery::Sponsor("有限公司".into()),
            PublicQuery::Sponsor("司有".into()),
            PublicQuery::Sponsor(" 云 栖 ".into()),
            PublicQuery::Sponsor("  ".into()),
            PublicQuery::Domain(one[0].domain.to_uppercase()),
            PublicQuery::Number(one[0].website_number.clone()),
            PublicQuery::Number(format!(" {} ", one[0].sponsor_number)),
        ];
        for q in &queries {
            let inline = run_inline(&conns, q).await.unwrap();
            let sqlx = run(&mut pooled, q).await.unwrap();
            assert_eq!(inline, sqlx, "{q:?}");
            if !matches!(q, PublicQuery::Sponsor(p) if p.trim().is_empty() || p == "司有") {
                assert!(!inline.is_empty(), "{q:?}");
            }
        }
        for run_one in [true, false] {
            let q = PublicQuery::Sponsor("有".into());
            let result = if run_one {
                run_inline(&conns, &q).await
            } else {
                run(&mut pooled, &q).await
            };
            match result {
                Err(Error::QueryTooShort { min: 2 }) => {}
                other => panic!("expected QueryTooShort, got {other:?}"),
            }
        }
    }
}
