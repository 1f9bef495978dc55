//! Failed-login counts shared by every instance: one row per failure, by subject. The server
//! counts under two subjects per failure (`pair:<source> <username as typed>` and
//! `source:<source>`; see the web crate's `api::throttle`), whether or not an account has the
//! username, so unknown usernames behave like known ones. Admins list and clear them.

use serde_json::json;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::db::{Store, Tx};
use crate::error::Result;

/// Failures of one subject since an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    /// How many failures since the instant asked for.
    pub count: i64,
    /// When the oldest of them happened (unix ms), if any.
    pub oldest_at: Option<i64>,
    /// When the newest of them happened (unix ms), if any.
    pub newest_at: Option<i64>,
}

/// One subject's failures in a window, as admins list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRow {
    pub subject: String,
    pub count: i64,
    pub oldest_at: i64,
    pub newest_at: i64,
}

impl Store {
    /// Records a failed login for `subject` at the store clock's now.
    pub async fn record_login_failure(&self, subject: &str) -> Result<()> {
        sqlx::query("INSERT INTO login_failures (subject, at) VALUES ($1, $2)")
            .bind(subject)
            .bind(self.now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The failures of `subject` at or after `since_ms`.
    pub async fn login_failures_since(
        &self,
        subject: &str,
        since_ms: i64,
    ) -> Result<LoginFailures> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(at) AS oldest, MAX(at) AS newest FROM login_failures \
             WHERE subject = $1 AND at >= $2",
        )
        .bind(subject)
        .bind(since_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(LoginFailures {
            count: row.try_get("n")?,
            oldest_at: row.try_get("oldest")?,
            newest_at: row.try_get("newest")?,
        })
    }

    /// Every subject with failures at or after `since_ms`, most failures first (at most
    /// `limit`), optionally only those whose subject contains `containing`.
    pub async fn login_throttles(
        &self,
        since_ms: i64,
        containing: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ThrottleRow>> {
        let pattern = containing.map(|c| {
            let escaped = c
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let rows = match pattern {
            Some(pattern) => {
                sqlx::query(
                    "SELECT subject, COUNT(*) AS n, MIN(at) AS oldest, MAX(at) AS newest \
                     FROM login_failures WHERE at >= $1 AND subject LIKE $2 ESCAPE '\\' \
                     GROUP BY subject ORDER BY COUNT(*) DESC, subject LIMIT $3",
                )
                .bind(since_ms)
                .bind(pattern)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT subject, COUNT(*) AS n, MIN(at) AS oldest, MAX(at) AS newest \
                     FROM login_failures WHERE at >= $1 \
                     GROUP BY subject ORDER BY COUNT(*) DESC, subject LIMIT $2",
                )
                .bind(since_ms)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(ThrottleRow {
                    subject: r.try_get("subject")?,
                    count: r.try_get("n")?,
                    oldest_at: r.try_get("oldest")?,
                    newest_at: r.try_get("newest")?,
                })
            })
            .collect()
    }

    /// Deletes the failures of `subject` (a successful login from that source).
    pub async fn clear_login_failures(&self, subject: &str) -> Result<u64> {
        let res = sqlx::query("DELETE FROM login_failures WHERE subject = $1")
            .bind(subject)
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected())
    }

    /// Deletes failures older than `before_ms`; returns how many.
    pub async fn purge_login_failures(&self, before_ms: i64) -> Result<u64> {
        let res = sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected())
    }
}

impl Tx {
    /// An admin clears the failures of `subject`, with its audit record; how many.
    pub async fn clear_login_throttle(&mut self, actor: &str, subject: &str) -> Result<u64> {
        let res = sqlx::query("DELETE FROM login_failures WHERE subject = $1")
            .bind(subject)
            .execute(self.conn())
            .await?;
        let cleared = res.rows_affected();
        self.append_audit(
            AuditEntry::new(actor, "login_throttle.clear", format!("throttle:{subject}"))
                .after(json!({ "cleared": cleared })),
        );
        Ok(cleared)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing;

    #[tokio::test]
    async fn failures_are_counted_per_subject_and_window() {
        testing::each_backend(async |t| {
            let store = &t.store;
            let start = store.now().timestamp_millis();
            for _ in 0..3 {
                store.record_login_failure("alice").await.unwrap();
            }
            store.record_login_failure("bob").await.unwrap();
            let alice = store.login_failures_since("alice", start).await.unwrap();
            assert_eq!(alice.count, 3);
            assert!(alice.oldest_at.is_some_and(|at| at >= start));
            let none = store.login_failures_since("carol", start).await.unwrap();
            assert_eq!(
                none,
                super::LoginFailures {
                    count: 0,
                    oldest_at: None,
                    newest_at: None,
                }
            );
            let listed = store.login_throttles(start, None, 10).await.unwrap();
            assert_eq!(
                listed
                    .iter()
                    .map(|r| (r.subject.as_str(), r.count))
                    .collect::<Vec<_>>(),
                [("alice", 3), ("bob", 1)]
            );
            let only_bob = store.login_throttles(start, Some("bo"), 10).await.unwrap();
            assert_eq!(only_bob.len(), 1);
            let none_like = store.login_throttles(start, Some("%"), 10).await.unwrap();
            assert!(none_like.is_empty());
            assert_eq!(store.clear_login_failures("bob").await.unwrap(), 1);
            store.record_login_failure("bob").await.unwrap();
            let later = store
                .login_failures_since("alice", start + 3_600_000)
                .await
                .unwrap();
            assert_eq!(later.count, 0);
            assert_eq!(
                store.purge_login_failures(start + 3_600_000).await.unwrap(),
                4
            );
        })
        .await;
    }
}
