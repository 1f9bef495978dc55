//! Failed-login counts shared by every instance: one row per failure, by the username tried
//! (whether or not an account has it, so unknown usernames behave like known ones). The server
//! refuses a login while the count in the last window is at its limit.

use sqlx::Row;

use crate::db::Store;
use crate::error::Result;

/// Failures of one subject since an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    /// How many failures since the instant asked for.
    pub count: i64,
    /// When the oldest of them happened (unix ms), if any.
    pub oldest_at: Option<i64>,
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
            "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures \
             WHERE subject = $1 AND at >= $2",
        )
        .bind(subject)
        .bind(since_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(LoginFailures {
            count: row.try_get("n")?,
            oldest_at: row.try_get("oldest")?,
        })
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
                    oldest_at: None
                }
            );
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
