//! The deadline jobs: reminders to applicants whose order waits on them (7, 15 and 30 days)
//! and the expiry of drafts untouched for 45 days (see [`crate::workflow`]'s `waiting`).
//!
//! # One sweep job that re-enqueues itself
//! The work is done by one job of kind [`SWEEP_KIND`] in the jobs table. Each run looks at
//! every order in a waiting state, sends what is due and expires what is due, then enqueues
//! the next sweep [`SWEEP_INTERVAL`] later (unless one is already pending). Chosen over
//! per-order jobs enqueued at each state change because the wait restarts at *every* change
//! of the order (edits, uploads, checks), which would mean cancelling and re-enqueueing jobs
//! in every workflow service; the sweep reads the order's last change instead, so the
//! workflow needs no hook.
//!
//! - It survives restarts: the next sweep is a row in the jobs table with its due time.
//! - A sweep whose time passed while the server was down is claimed at start and runs once
//!   (the next is enqueued from *now*, missed intervals are not replayed); the thresholds
//!   reached meanwhile then produce one reminder (the highest), see `waiting`.
//! - Running twice (two workers, a retry, a duplicate sweep) sends nothing twice: every
//!   reminder is recorded by order, wait and threshold in the transaction that enqueues it,
//!   and an expiry is an order transition guarded by the order's version.
//!
//! # Wiring (for the worker)
//! The job worker calls [`run_deadline_job`] for kinds starting with `deadline.`, and the
//! server calls [`schedule_sweep`] once at start so that a fresh database has its first
//! sweep.

use std::time::Duration;

use beian_store::{Store, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::workflow::{DRAFT_EXPIRY_DAYS, WAITING_STATES, Workflow, WorkflowError, days_waited};
use beian_core::order::OrderState;

/// The kind of the sweep job.
pub const SWEEP_KIND: &str = "deadline.sweep";

/// Time between two sweeps.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// Orders of one state looked at per sweep (the rest wait for the next sweep).
pub const SWEEP_BATCH: i64 = 5000;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Orders in a waiting state looked at.
    pub examined: usize,
    /// Reminders sent (one per order and threshold reached).
    pub reminded: usize,
    /// Drafts expired (abandoned).
    pub expired: usize,
    /// Orders whose handling failed (logged; retried by the next sweep).
    pub failed: usize,
}

/// Enqueues a sweep due now unless one is pending or running. Returns whether it enqueued.
/// Call at server start.
pub async fn schedule_sweep(store: &Store) -> Result<bool, StoreError> {
    if !store
        .jobs_in_status(SWEEP_KIND, "running")
        .await?
        .is_empty()
    {
        return Ok(false);
    }
    enqueue_next(store, chrono::Duration::zero()).await
}

/// Enqueues the next sweep `after` from now, unless a sweep is pending already.
async fn enqueue_next(store: &Store, after: chrono::Duration) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    if tx.has_pending_job(SWEEP_KIND).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    tx.enqueue_job(SWEEP_KIND, &json!({}), store.now() + after)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Runs one deadline job for the worker: `Ok` completes it, `Err` (a text free of personal
/// data) fails it, and the queue retries it with backoff.
pub async fn run_deadline_job(
    wf: &Workflow<'_>,
    kind: &str,
    _payload: &Value,
) -> Result<(), String> {
    match kind {
        SWEEP_KIND => {
            let report = sweep(wf).await.map_err(|e| e.to_string())?;
            if report.failed > 0 {
                return Err(format!(
                    "{} orders failed in the deadline sweep",
                    report.failed
                ));
            }
            Ok(())
        }
        other => Err(format!("unknown deadline job kind {other}")),
    }
}

/// One sweep (see the module docs), then the next sweep is enqueued.
pub async fn sweep(wf: &Workflow<'_>) -> Result<SweepReport, StoreError> {
    let mut report = SweepReport::default();
    for waiting in WAITING_STATES {
        let orders = wf
            .store
            .orders_in_state(waiting.as_str(), SWEEP_BATCH)
            .await?;
        for order in orders {
            report.examined += 1;
            let now = wf.store.now();
            let expired = waiting == OrderState::Draft
                && days_waited(order.updated_at, now) >= i64::from(DRAFT_EXPIRY_DAYS);
            let outcome = if expired {
                match wf.expire_draft(&order.id, order.version).await {
                    Ok(_) => {
                        report.expired += 1;
                        Ok(())
                    }
                    // Touched or moved meanwhile: not expired; the next sweep looks again.
                    Err(WorkflowError::Conflict | WorkflowError::InvalidTransition(_)) => Ok(()),
                    Err(e) => Err(e),
                }
            } else {
                match wf.remind_applicant(&order.id).await {
                    Ok(Some(_)) => {
                        report.reminded += 1;
                        Ok(())
                    }
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                }
            };
            if let Err(e) = outcome {
                report.failed += 1;
                tracing::error!(order = %order.id, error = %e, "deadline sweep: order failed");
            }
        }
    }
    let interval = chrono::Duration::from_std(SWEEP_INTERVAL).unwrap_or(chrono::Duration::hours(1));
    enqueue_next(wf.store, interval).await?;
    tracing::info!(?report, "deadline sweep");
    Ok(report)
}
