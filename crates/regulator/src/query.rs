//! The public ICP query (`/miit/query`): by domain, by number, or by a substring of the
//! sponsor's name. Sponsor names are indexed twice in FTS5: by trigrams (substrings of three
//! characters or more) and one character per token (phrase queries for shorter substrings),
//! so no query scans the table.

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
            let part = part.trim();
            if part.is_empty() {
                return Ok(Vec::new());
            }
            // Three characters or more: the trigram index; fewer: the one-character-per-token
            // index, as a phrase. Either way the sponsors come first, in id order, and stop at
            // the limit.
            let (sql, pattern) = if part.chars().count() >= 3 {
                (
                    "SELECT rowid FROM sponsor_names WHERE sponsor_names MATCH ? ORDER BY rowid LIMIT ?",
                    fts_phrase(part),
                )
            } else {
                (
                    "SELECT rowid FROM sponsor_chars WHERE sponsor_chars MATCH ? ORDER BY rowid LIMIT ?",
                    fts_phrase(&crate::registry::spaced_chars(part)),
                )
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE w.sponsor_id IN ({sql}) AND w.status = 'filed' \
                 AND s.status = 'filed' ORDER BY s.id, w.id LIMIT ?"
            )))
            .bind(pattern)
            .bind(LIMIT)
            .bind(LIMIT)
            .fetch_all(&mut *conn)
            .await?
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

/// An FTS5 phrase matching the text literally (double quotes doubled).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}
