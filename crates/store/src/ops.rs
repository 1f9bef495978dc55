//! Counts for the operators' metrics (`/metrics`): the job queue by kind and status with the
//! oldest job's age, the outbox by channel and status, and the bureau uploads by status. Only
//! kinds, statuses and counts: no payload, no personal data.

use sqlx::Row;

use crate::db::Store;
use crate::error::Result;

/// Jobs of one kind in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    pub kind: String,
    pub status: String,
    pub count: i64,
    /// The oldest such job's `created_at` (ms).
    pub oldest_created_at: i64,
}

/// Bureau uploads in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadCount {
    pub status: String,
    pub count: i64,
    /// Attempts made in all.
    pub attempts: i64,
    /// Of them, how many carry an error.
    pub with_error: i64,
    /// For sent uploads: the sum of (sent − created) in ms, to give a mean latency.
    pub latency_ms_sum: i64,
}

impl Store {
    /// The job queue by kind and status.
    pub async fn jobs_by_kind(&self) -> Result<Vec<JobCount>> {
        let rows = sqlx::query(
            "SELECT kind, status, COUNT(*) AS n, MIN(created_at) AS oldest \
             FROM jobs GROUP BY kind, status ORDER BY kind, status",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(JobCount {
                    kind: r.try_get("kind")?,
                    status: r.try_get("status")?,
                    count: r.try_get("n")?,
                    oldest_created_at: r.try_get("oldest")?,
                })
            })
            .collect()
    }

    /// The outbox by channel and status: `(channel, status, count)`.
    pub async fn outbox_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT channel, status, COUNT(*) AS n FROM outbox \
             GROUP BY channel, status ORDER BY channel, status",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("channel")?, r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    /// The bureau uploads by status.
    pub async fn upload_counts(&self) -> Result<Vec<UploadCount>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n, CAST(COALESCE(SUM(attempts), 0) AS BIGINT) AS attempts, \
             CAST(COALESCE(SUM(CASE WHEN last_error IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) \
               AS with_error, \
             CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL THEN 0 ELSE sent_at - created_at END), \
               0) AS BIGINT) AS latency \
             FROM bureau_uploads GROUP BY status ORDER BY status",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UploadCount {
                    status: r.try_get("status")?,
                    count: r.try_get("n")?,
                    attempts: r.try_get("attempts")?,
                    with_error: r.try_get("with_error")?,
                    latency_ms_sum: r.try_get("latency")?,
                })
            })
            .collect()
    }
}
