//! The public ICP query (`/miit/query`): by domain, by number, or by a substring of the
//! sponsor's name. Domains and numbers are read from their indexes. Sponsor names are indexed
//! twice in FTS5: by trigrams (substrings of three characters or more) and by overlapping
//! two-character tokens (`sponsor_bigrams`: a two-character substring is one token), so no
//! query scans the table or intersects the position lists of common single characters. A
//! name query needs at least [`MIN_SPONSOR_CHARS`] characters (one character would match
//! nearly every sponsor), answers at most [`LIMIT`] records, and runs within
//! [`SPONSOR_BUDGET`]: SQLite's progress handler interrupts it past that, and the query
//! answers [`Error::QueryTooBroad`] instead of holding a connection.

use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection};

use crate::Error;
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
pub const SPONSOR_BUDGET: std::time::Duration = std::time::Duration::from_millis(250);

const SELECT: &str = "SELECT s.name AS sponsor_name, s.nature, s.number AS sponsor_number, \
     w.name AS website_name, w.domain, w.number AS website_number, w.filed_at \
     FROM websites w JOIN sponsors s ON s.id = w.sponsor_id ";

/// Runs a public query.
pub async fn run(
    conn: &mut SqliteConnection,
    query: &PublicQuery,
) -> Result<Vec<PublicRecord>, Error> {
    let rows = match query {
        PublicQuery::Domain(domain) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE w.domain = ? AND w.status = 'filed'"
            )))
            .bind(normalize_domain(domain))
            .fetch_all(&mut *conn)
            .await?
        }
        PublicQuery::Number(number) => {
            let number = number.trim();
            if number.contains("号-") {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{SELECT} WHERE w.number = ? AND w.status = 'filed'"
                )))
                .bind(number)
                .fetch_all(&mut *conn)
                .await?
            } else {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{SELECT} WHERE s.number = ? AND w.status = 'filed' ORDER BY w.id LIMIT ?"
                )))
                .bind(number)
                .bind(LIMIT)
                .fetch_all(&mut *conn)
                .await?
            }
        }
        PublicQuery::Sponsor(part) => {
            let part: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            let n = part.chars().count();
            if n == 0 {
                return Ok(Vec::new());
            }
            if n < MIN_SPONSOR_CHARS {
                return Err(Error::QueryTooShort {
                    min: MIN_SPONSOR_CHARS,
                });
            }
            // Three characters or more: the trigram index; two: the one bigram token. Either
            // way the sponsors come first, in id order, and stop at the limit.
            let (sql, pattern) = if n >= 3 {
                (
                    "SELECT rowid FROM sponsor_names WHERE sponsor_names MATCH ? ORDER BY rowid LIMIT ?",
                    fts_phrase(&part),
                )
            } else {
                (
                    "SELECT rowid FROM sponsor_bigrams WHERE sponsor_bigrams MATCH ? ORDER BY rowid LIMIT ?",
                    fts_phrase(&crate::registry::spaced_bigrams(&part)),
                )
            };
            let _budget = Budget::arm(conn, SPONSOR_BUDGET).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE w.sponsor_id IN ({sql}) AND w.status = 'filed' \
                 AND s.status = 'filed' ORDER BY s.id, w.id LIMIT ?"
            )))
            .bind(pattern)
            .bind(LIMIT)
            .bind(LIMIT)
            .fetch_all(&mut *conn)
            .await;
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
            let filed_at: String = row.try_get("filed_at")?;
            let approved_on = chrono::DateTime::parse_from_rfc3339(&filed_at)
                .map(|t| {
                    t.with_timezone(&chrono_tz::Asia::Shanghai)
                        .format("%Y-%m-%d")
                        .to_string()
                })
                .unwrap_or(filed_at);
            Ok(PublicRecord {
                sponsor_name: row.try_get("sponsor_name")?,
                sponsor_nature: row.try_get("nature")?,
                sponsor_number: row.try_get("sponsor_number")?,
                website_name: row.try_get("website_name")?,
                domain: row.try_get("domain")?,
                website_number: row.try_get("website_number")?,
                approved_on,
            })
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
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Budget {
    /// Arms a budget of `budget` from now on `conn`.
    pub async fn arm(
        conn: &mut SqliteConnection,
        budget: std::time::Duration,
    ) -> Result<Budget, Error> {
        let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let deadline = std::time::Instant::now() + budget;
        let flag = armed.clone();
        conn.lock_handle()
            .await?
            .set_progress_handler(1_000, move || {
                !flag.load(std::sync::atomic::Ordering::Relaxed)
                    || std::time::Instant::now() < deadline
            });
        Ok(Budget { armed })
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        self.armed
            .store(false, std::sync::atomic::Ordering::Relaxed);
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
}
