//! The job queue: jobs are enqueued in the transaction of the state change that causes them,
//! claimed with a lease, retried with exponential backoff and jitter, and marked `dead` after
//! `max_attempts` with the last error kept. A job whose lease ran out (its worker died) is
//! claimable again.
//!
//! Claiming is the one place the backends differ: PostgreSQL uses
//! `SELECT … FOR UPDATE SKIP LOCKED` so several instances claim disjoint jobs without waiting;
//! SQLite runs the claim in a `BEGIN IMMEDIATE` transaction, which holds the write lock.
//! Completion and failure are fenced by the lease owner and attempt number, so a worker whose
//! lease was taken over cannot overwrite the new owner's result.
//!
//! Payloads are plain JSON: put ids in them, never personal data (that goes in the sealed
//! outbox).

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::Value;
use sqlx::Row;

use crate::db::{Backend, Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// Attempts before a job is dead, unless given.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;
/// First retry delay; doubles per attempt.
pub const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// Longest retry delay.
pub const BACKOFF_CAP: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    /// 1 on the first run.
    pub attempt: i64,
    pub max_attempts: i64,
    pub lease_owner: String,
    pub lease_until: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Running,
    Done,
    Dead,
}

impl JobStatus {
    fn parse(s: &str) -> Result<JobStatus> {
        Ok(match s {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "dead" => JobStatus::Dead,
            _ => return Err(StoreError::Corrupt("jobs.status")),
        })
    }
}

/// A job's stored state, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub status: JobStatus,
    pub attempts: i64,
    pub due_at: i64,
    pub last_error: Option<String>,
}

/// The delay before retry after `attempt` failed runs (1-based): `base · 2^(attempt-1)`,
/// capped, with "equal jitter" (a random point in the upper half) so retries spread out.
pub fn backoff(attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let full = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(exp))
        .min(BACKOFF_CAP);
    let half = full / 2;
    let jitter_ms = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
    half + Duration::from_millis(jitter_ms)
}

impl Tx {
    /// Enqueues a job due at `due_at`, in this transaction.
    pub async fn enqueue_job(
        &mut self,
        kind: &str,
        payload: &Value,
        due_at: DateTime<Utc>,
    ) -> Result<String> {
        self.enqueue_job_with(kind, payload, due_at, DEFAULT_MAX_ATTEMPTS)
            .await
    }

    pub async fn enqueue_job_with(
        &mut self,
        kind: &str,
        payload: &Value,
        due_at: DateTime<Utc>,
        max_attempts: i64,
    ) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, due_at, attempts, max_attempts, \
             created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, 0, $5, $6, $6)",
        )
        .bind(&id)
        .bind(kind)
        .bind(payload.to_string())
        .bind(due_at.timestamp_millis())
        .bind(max_attempts.max(1))
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(id)
    }
}

impl Tx {
    /// Gives a dead job another run (an admin's retry from the outbox page): back to
    /// `pending`, due now, its attempts counted afresh, the last error kept until the next
    /// run; with its audit record, in this transaction. `NotFound` without such a job,
    /// `Conflict` when it is not dead (pending, running and done jobs are left alone).
    pub async fn retry_dead_job(&mut self, actor: &str, id: &str) -> Result<()> {
        let row = sqlx::query("SELECT kind, status, attempts FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound { what: "job" })?;
        let kind: String = row.try_get("kind")?;
        let status: String = row.try_get("status")?;
        let attempts: i64 = row.try_get("attempts")?;
        if status != "dead" {
            return Err(StoreError::Conflict { what: "job status" });
        }
        let now = self.store.now_ms();
        sqlx::query(
            "UPDATE jobs SET status = 'pending', due_at = $1, attempts = 0, lease_owner = NULL, \
             lease_until = NULL, updated_at = $1 WHERE id = $2 AND status = 'dead'",
        )
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        self.append_audit(
            crate::audit::AuditEntry::new(actor, "job.retry", format!("job:{id}"))
                .before(serde_json::json!({"kind": kind, "status": status, "attempts": attempts}))
                .after(serde_json::json!({"status": "pending", "attempts": 0})),
        );
        Ok(())
    }
}

const CLAIMABLE: &str = "(status = 'pending' AND due_at <= $1) \
     OR (status = 'running' AND lease_until <= $1)";

impl Store {
    /// Claims up to `limit` due jobs (or jobs whose lease expired) for `owner`, leasing them
    /// for `lease`. Each claim counts as an attempt.
    pub async fn claim_jobs(&self, owner: &str, limit: i64, lease: Duration) -> Result<Vec<Job>> {
        let now = self.now_ms();
        let lease_until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let select = match self.backend() {
            Backend::Postgres => format!(
                "SELECT id FROM jobs WHERE {CLAIMABLE} ORDER BY due_at LIMIT $2 \
                 FOR UPDATE SKIP LOCKED"
            ),
            Backend::Sqlite => {
                format!("SELECT id FROM jobs WHERE {CLAIMABLE} ORDER BY due_at LIMIT $2")
            }
        };
        let mut tx = self.begin().await?;
        let ids: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(select))
            .bind(now)
            .bind(limit)
            .fetch_all(tx.conn())
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(
                "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, \
                 attempts = attempts + 1, updated_at = $3 WHERE id = $4 \
                 RETURNING kind, payload, attempts, max_attempts",
            )
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(&id)
            .fetch_one(tx.conn())
            .await?;
            let payload: String = row.try_get("payload")?;
            jobs.push(Job {
                id,
                kind: row.try_get("kind")?,
                payload: serde_json::from_str(&payload)
                    .map_err(|_| StoreError::Corrupt("jobs.payload"))?,
                attempt: row.try_get("attempts")?,
                max_attempts: row.try_get("max_attempts")?,
                lease_owner: owner.to_string(),
                lease_until,
            });
        }
        tx.commit().await?;
        Ok(jobs)
    }

    /// Marks a claimed job done. `Conflict` if the lease was lost (another worker took it).
    pub async fn complete_job(&self, job: &Job) -> Result<()> {
        let res = sqlx::query(
            "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, \
             updated_at = $1 WHERE id = $2 AND status = 'running' AND lease_owner = $3 \
             AND attempts = $4",
        )
        .bind(self.now_ms())
        .bind(&job.id)
        .bind(&job.lease_owner)
        .bind(job.attempt)
        .execute(self.pool())
        .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::Conflict { what: "job lease" });
        }
        Ok(())
    }

    /// Records a failed run: back to `pending` after a backoff, or `dead` when the attempts
    /// are used up. `error` must hold no personal data. Returns the resulting status.
    pub async fn fail_job(&self, job: &Job, error: &str) -> Result<JobStatus> {
        let now = self.now_ms();
        let (status, due_at) = if job.attempt >= job.max_attempts {
            (JobStatus::Dead, now)
        } else {
            let delay = i64::try_from(backoff(job.attempt).as_millis()).unwrap_or(i64::MAX);
            (JobStatus::Pending, now.saturating_add(delay))
        };
        let status_text = match status {
            JobStatus::Dead => "dead",
            _ => "pending",
        };
        let res = sqlx::query(
            "UPDATE jobs SET status = $1, due_at = $2, last_error = $3, lease_owner = NULL, \
             lease_until = NULL, updated_at = $4 WHERE id = $5 AND status = 'running' \
             AND lease_owner = $6 AND attempts = $7",
        )
        .bind(status_text)
        .bind(due_at)
        .bind(error)
        .bind(now)
        .bind(&job.id)
        .bind(&job.lease_owner)
        .bind(job.attempt)
        .execute(self.pool())
        .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::Conflict { what: "job lease" });
        }
        Ok(status)
    }

    /// Records a failed run to be retried after `delay`, whatever the attempts so far (for
    /// jobs whose handler decides when to give up, e.g. notification delivery's own policy
    /// or a bureau upload that must be retried until it is delivered).
    pub async fn retry_job(&self, job: &Job, delay: Duration, error: &str) -> Result<()> {
        let now = self.now_ms();
        let due_at = now.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        self.finish_job(job, "pending", due_at, Some(error)).await
    }

    /// Ends a job as failed for good (`dead`), keeping `error`; visible to the admins.
    pub async fn kill_job(&self, job: &Job, error: &str) -> Result<()> {
        let now = self.now_ms();
        self.finish_job(job, "dead", now, Some(error)).await
    }

    async fn finish_job(
        &self,
        job: &Job,
        status: &str,
        due_at: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let res = sqlx::query(
            "UPDATE jobs SET status = $1, due_at = $2, last_error = $3, lease_owner = NULL, \
             lease_until = NULL, updated_at = $4 WHERE id = $5 AND status = 'running' \
             AND lease_owner = $6 AND attempts = $7",
        )
        .bind(status)
        .bind(due_at)
        .bind(error)
        .bind(self.now_ms())
        .bind(&job.id)
        .bind(&job.lease_owner)
        .bind(job.attempt)
        .execute(self.pool())
        .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::Conflict { what: "job lease" });
        }
        Ok(())
    }

    /// How many jobs of `kind` are pending or running.
    pub async fn open_jobs_of_kind(&self, kind: &str) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = $1 AND status IN ('pending', 'running')",
        )
        .bind(kind)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?)
    }

    /// Jobs of `kind` in every status, oldest first: (id, status, attempts, payload).
    pub async fn jobs_of_kind(&self, kind: &str) -> Result<Vec<(String, JobStatus, i64, Value)>> {
        let rows = sqlx::query(
            "SELECT id, status, attempts, payload FROM jobs WHERE kind = $1 \
             ORDER BY created_at, id",
        )
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let payload: String = r.try_get("payload")?;
                Ok((
                    r.try_get("id")?,
                    JobStatus::parse(&status)?,
                    r.try_get("attempts")?,
                    serde_json::from_str(&payload)
                        .map_err(|_| StoreError::Corrupt("jobs.payload"))?,
                ))
            })
            .collect()
    }

    /// Claims one batch for `owner` and runs each job with `handler`: `Ok` completes it, `Err`
    /// (a message free of personal data) fails it (retry or dead). Returns how many jobs ran.
    /// A job whose lease was lost meanwhile is skipped silently (its new owner decides).
    pub async fn run_jobs_once<F, Fut>(
        &self,
        owner: &str,
        batch: i64,
        lease: Duration,
        handler: &F,
    ) -> Result<usize>
    where
        F: Fn(Job) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<(), String>>,
    {
        let jobs = self.claim_jobs(owner, batch, lease).await?;
        let n = jobs.len();
        for job in jobs {
            let outcome = match handler(job.clone()).await {
                Ok(()) => self.complete_job(&job).await,
                Err(e) => self.fail_job(&job, &e).await.map(|_| ()),
            };
            match outcome {
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    pub async fn job_info(&self, id: &str) -> Result<JobInfo> {
        let row =
            sqlx::query("SELECT status, attempts, due_at, last_error FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound { what: "job" })?;
        let status: String = row.try_get("status")?;
        Ok(JobInfo {
            status: JobStatus::parse(&status)?,
            attempts: row.try_get("attempts")?,
            due_at: row.try_get("due_at")?,
            last_error: row.try_get("last_error")?,
        })
    }

    /// Gives back every job `owner` holds (a graceful shutdown): each becomes pending and due
    /// now, its lease cleared and the interrupted attempt not counted, so another instance
    /// takes it at once. Returns how many were released.
    pub async fn release_jobs(&self, owner: &str) -> Result<u64> {
        let now = self.now_ms();
        let done = sqlx::query(
            "UPDATE jobs SET status = 'pending', lease_owner = NULL, lease_until = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
             due_at = $1, updated_at = $1 WHERE status = 'running' AND lease_owner = $2",
        )
        .bind(now)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// How many jobs are in each status: (pending, running, done, dead).
    pub async fn job_counts(&self) -> Result<(i64, i64, i64, i64)> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
            .fetch_all(self.pool())
            .await?;
        let mut c = (0, 0, 0, 0);
        for r in rows {
            let status: String = r.try_get("status")?;
            let n: i64 = r.try_get("n")?;
            match JobStatus::parse(&status)? {
                JobStatus::Pending => c.0 = n,
                JobStatus::Running => c.1 = n,
                JobStatus::Done => c.2 = n,
                JobStatus::Dead => c.3 = n,
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let cases = [(1, 5), (2, 10), (3, 20), (4, 40), (30, 3600)];
        for (attempt, full_secs) in cases {
            for _ in 0..50 {
                let d = backoff(attempt);
                let full = Duration::from_secs(full_secs);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
        // Jitter: 50 draws are not all equal.
        let draws: std::collections::HashSet<_> = (0..50).map(|_| backoff(3)).collect();
        assert!(draws.len() > 1);
    }
}
