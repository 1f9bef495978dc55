//! Read models for the administration and the deadline jobs: the job queue and the outbox as
//! rows (no payload in plaintext beyond what the caller masks), the audit log backwards, the
//! order timeline over a window (for the dashboard's medians and approval rate), orders per
//! state, and the record of deadline reminders sent (`deadline_reminders`), which makes a
//! reminder go out once per order, waiting period and threshold.

use serde_json::Value;
use sqlx::Row;

use crate::audit::AuditRecord;
use crate::crypto::Field;
use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};

/// A job as the admin view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    /// The job's payload (ids; a notification job also names its recipient: mask it).
    pub payload: Value,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub due_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An outbox row with its payload opened. The payload may hold personal data: mask it.
#[derive(Clone, PartialEq)]
pub struct OutboxRow {
    pub id: String,
    pub channel: String,
    pub payload: Value,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl std::fmt::Debug for OutboxRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRow")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// One timeline entry with its order, for reports over many orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub order_id: String,
    pub at: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub version: i64,
}

/// An open order that may have a deadline: its state, deadlines and when it entered the state.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineRow {
    pub order_id: String,
    pub state: String,
    pub deadlines: Value,
    /// The last timeline entry into the current state (the order's update if none).
    pub entered_at: i64,
}

const JOB_COLS: &str = "id, kind, payload, status, attempts, max_attempts, due_at, last_error, \
    created_at, updated_at";

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<JobRow> {
    let payload: String = r.try_get("payload")?;
    Ok(JobRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        payload: serde_json::from_str(&payload).map_err(|_| StoreError::Corrupt("jobs.payload"))?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        due_at: r.try_get("due_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    /// Jobs whose kind is one of `kinds` (or starts with a `prefix.` given as `"prefix.*"`),
    /// in `status` when given, newest first.
    pub async fn jobs_of_kinds(
        &self,
        kinds: &[&str],
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRow>> {
        let mut out = Vec::new();
        for kind in kinds {
            let (cond, value) = match kind.strip_suffix('*') {
                Some(prefix) => ("kind LIKE $1", format!("{prefix}%")),
                None => ("kind = $1", (*kind).to_owned()),
            };
            let rows = sqlx::query(sql!(
                "SELECT {JOB_COLS} FROM jobs WHERE {cond} AND ($2 IS NULL OR status = $2) \
                 ORDER BY created_at DESC, id LIMIT $3"
            ))
            .bind(value)
            .bind(status)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(job_from_row(r)?);
            }
        }
        out.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    /// One job as the admin view shows it, if it exists.
    pub async fn job_row(&self, id: &str) -> Result<Option<JobRow>> {
        let row = sqlx::query(sql!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Jobs of one kind in one status (oldest due first), e.g. to find a scheduled sweep.
    pub async fn jobs_in_status(&self, kind: &str, status: &str) -> Result<Vec<JobRow>> {
        let rows = sqlx::query(sql!(
            "SELECT {JOB_COLS} FROM jobs WHERE kind = $1 AND status = $2 ORDER BY due_at, id"
        ))
        .bind(kind)
        .bind(status)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Outbox rows of a channel (`mail`, `sms`, `bureau_upload`), in `status` when given,
    /// newest first.
    pub async fn outbox_rows(
        &self,
        channel: &str,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT id, channel, payload_ct, status, attempts, last_error, created_at, sent_at \
             FROM outbox WHERE channel = $1 AND ($2 IS NULL OR status = $2) \
             ORDER BY created_at DESC, id LIMIT $3",
        )
        .bind(channel)
        .bind(status)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let ct: Vec<u8> = r.try_get("payload_ct")?;
                let plain = self.crypto().open(Field::Outbox, &ct)?;
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    channel: r.try_get("channel")?,
                    payload: serde_json::from_slice(&plain)
                        .map_err(|_| StoreError::Corrupt("outbox"))?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    created_at: r.try_get("created_at")?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }

    /// Audit records before `before` (all when `None`), newest first.
    pub async fn audit_before(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, before_summary, after_summary, prev_hash, \
             hash FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditRecord {
                    seq: row.try_get("seq")?,
                    at: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    before: row.try_get("before_summary")?,
                    after: row.try_get("after_summary")?,
                    prev_hash: row.try_get("prev_hash")?,
                    hash: row.try_get("hash")?,
                })
            })
            .collect()
    }

    /// How many orders are in each state.
    pub async fn orders_per_state(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM orders GROUP BY state ORDER BY state")
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    /// Bureau decisions at or after `since` by the order's province: (province, `approved`
    /// or `bureau_returned`, count). One aggregate over the timeline (its `at` index) joined
    /// to the orders, for the dashboard's rates by province.
    pub async fn bureau_decisions_by_province(
        &self,
        since: i64,
    ) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT o.province AS province, e.to_state AS to_state, COUNT(*) AS n \
             FROM order_events e JOIN orders o ON o.id = e.order_id \
             WHERE e.at >= $1 AND e.from_state IN ('at_bureau', 'sms_pending') \
             AND e.to_state IN ('approved', 'bureau_returned') \
             GROUP BY o.province, e.to_state ORDER BY o.province, e.to_state",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("province")?,
                    r.try_get("to_state")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    /// Orders in none of `closed` with deadlines set, and when each entered its state.
    pub async fn orders_with_deadlines(&self, closed: &[&str]) -> Result<Vec<DeadlineRow>> {
        let rows = sqlx::query(
            "SELECT o.id, o.state, o.deadlines, o.updated_at, \
             (SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id \
              AND e.to_state = o.state) AS entered_at \
             FROM orders o WHERE o.deadlines <> '{}' ORDER BY o.id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let state: String = r.try_get("state")?;
            if closed.contains(&state.as_str()) {
                continue;
            }
            let deadlines: String = r.try_get("deadlines")?;
            let entered: Option<i64> = r.try_get("entered_at")?;
            out.push(DeadlineRow {
                order_id: r.try_get("id")?,
                state,
                deadlines: serde_json::from_str(&deadlines)
                    .map_err(|_| StoreError::Corrupt("orders.deadlines"))?,
                entered_at: match entered {
                    Some(t) => t,
                    None => r.try_get("updated_at")?,
                },
            });
        }
        Ok(out)
    }

    /// Every timeline entry of the orders that have an entry at or after `since`, by order
    /// then version (entries before `since` included, so a stay that began before the window
    /// and ended in it is seen whole).
    pub async fn order_events_touching(&self, since: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT order_id, at, from_state, to_state, version FROM order_events \
             WHERE order_id IN (SELECT DISTINCT order_id FROM order_events WHERE at >= $1) \
             ORDER BY order_id, version",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    order_id: r.try_get("order_id")?,
                    at: r.try_get("at")?,
                    from_state: r.try_get("from_state")?,
                    to_state: r.try_get("to_state")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    /// The thresholds already recorded for an order's waiting period.
    pub async fn reminders_sent(&self, order_id: &str, waiting_since: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT threshold_days FROM deadline_reminders WHERE order_id = $1 \
             AND waiting_since = $2 ORDER BY threshold_days",
        )
        .bind(order_id)
        .bind(waiting_since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get("threshold_days")?))
            .collect()
    }
}

impl Tx {
    /// Records that the reminder of `threshold_days` for the waiting period that began at
    /// `waiting_since` went out. `false` when it was already recorded (send nothing then).
    pub async fn record_reminder(
        &mut self,
        order_id: &str,
        waiting_since: i64,
        threshold_days: i64,
    ) -> Result<bool> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "INSERT INTO deadline_reminders (order_id, waiting_since, threshold_days, sent_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (order_id, waiting_since, threshold_days) \
             DO NOTHING",
        )
        .bind(order_id)
        .bind(waiting_since)
        .bind(threshold_days)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Whether a job of `kind` is pending (read in this transaction).
    pub async fn has_pending_job(&mut self, kind: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT id FROM jobs WHERE kind = $1 AND status = 'pending' LIMIT 1")
                .bind(kind)
                .fetch_optional(self.conn())
                .await?
                .is_some(),
        )
    }
}
