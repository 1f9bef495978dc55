//! The `bureau.poll` job: download every waiting file, apply each in one transaction
//! ([`super::apply::apply_file`]), acknowledge it, then complete the approved orders whose
//! record the registry shows; and enqueue the next poll one interval later.
//!
//! "Synced" means: `isp_querybeianstatus` by the website's domain answers "filed" with the
//! website number we stored at the approval (for 注销: no longer "filed"). Until then the order stays `approved` and its
//! timeline's approval entry says "审核信息同步中".

use beian_core::kind::FilingKind;
use beian_core::order::{Event, OrderState, apply};
use beian_core::province::Province;
use beian_miit::v3::codes::{FilingStatus, QueryConditionType, ReturnCode};
use beian_store::StoreError;
use beian_store::jobs::Job;
use beian_store::orders::TimelineEvent;

use super::Bureau;
use super::apply::{Applied, apply_file};
use super::deliver::order_flow;
use crate::notify::JobOutcome;

/// Most files taken in one poll.
pub const FILES_PER_POLL: usize = 200;

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Files downloaded (new or repeated).
    pub files: usize,
    /// Files seen before (applied once already; only acknowledged again).
    pub repeats: usize,
    /// Orders completed (synced).
    pub completed: usize,
}

/// Runs one `bureau.poll` job and enqueues the next poll.
pub async fn run_poll(b: &Bureau<'_>, job: &Job) -> JobOutcome {
    let outcome = match poll_once(b).await {
        Ok(report) => {
            if report.files > 0 || report.completed > 0 {
                tracing::info!(?report, "bureau results polled");
            }
            JobOutcome::Done
        }
        Err(reason) => {
            tracing::warn!(%reason, "bureau results poll failed");
            // Try again at the next interval; this job stays the one pending poll.
            return JobOutcome::RetryAfter(b.poll_interval, reason);
        }
    };
    let due = b.store.now()
        + chrono::Duration::from_std(b.poll_interval).unwrap_or(chrono::Duration::minutes(1));
    if let Err(e) = super::enqueue_once(b.store, super::POLL_JOB, due).await {
        tracing::warn!(job = %job.id, error = %e, "next bureau poll not enqueued");
    }
    outcome
}

/// Downloads, applies and acknowledges every waiting file, then syncs approved orders.
pub async fn poll_once(b: &Bureau<'_>) -> Result<PollReport, String> {
    let mut report = PollReport::default();
    let unreachable = |e: &dyn std::fmt::Display| {
        format!(
            "bureau unreachable: {}",
            crate::notify::redact(&e.to_string())
        )
    };
    for _ in 0..FILES_PER_POLL {
        let outcome = b.client.download().await.map_err(|e| unreachable(&e))?;
        let Some(file) = outcome.file else {
            match outcome.ret.code() {
                Some(c) if c.is_success() => break,
                _ => {
                    return Err(format!(
                        "download answered {}: {}",
                        outcome.ret.msg_code,
                        outcome.ret.msg.trim()
                    ));
                }
            }
        };
        report.files += 1;
        match apply_file(b, &file)
            .await
            .map_err(|e| format!("store: {e}"))?
        {
            Applied::Repeat => report.repeats += 1,
            Applied::New { .. } => {}
        }
        let ack = b
            .client
            .download_ack(&file.file_name)
            .await
            .map_err(|e| unreachable(&e))?;
        if ack.code() != Some(ReturnCode::Success) {
            return Err(format!("ack answered {}: {}", ack.msg_code, ack.msg.trim()));
        }
        if outcome.ret.code() != Some(ReturnCode::MoreToDownload)
            && outcome.ret.code() != Some(ReturnCode::Success)
        {
            break;
        }
    }
    report.completed = sync_approved(b).await?;
    Ok(report)
}

/// Completes the approved orders whose website the registry shows filed with our number.
pub async fn sync_approved(b: &Bureau<'_>) -> Result<usize, String> {
    let store_err = |e: StoreError| format!("store: {e}");
    let mut done = 0;
    let orders = b
        .store
        .orders_in_state(OrderState::Approved.as_str(), 200)
        .await
        .map_err(store_err)?;
    for order in orders {
        let (Some(kind), Ok(province)) = (
            FilingKind::parse(&order.kind),
            Province::parse(&order.province),
        ) else {
            continue;
        };
        // 注销: synced once the registry no longer shows the website (注销主体: the first of
        // the sponsor's websites) filed; the numbers here were cleared at the approval.
        let cancels = matches!(kind, FilingKind::CancelSponsor | FilingKind::CancelWebsite);
        // An APP's order (issue 18): V3.0's status query cannot be asked about an APP; the
        // registry's record in the result file (its `-NA` number, applied) is the sync, and
        // for 注销APP the number cleared at the approval.
        let app_synced = if order.website_id.is_none() {
            b.store
                .app_of_order(&order.id)
                .await
                .map_err(store_err)?
                .map(|a| a.icp_number.is_some() != cancels)
        } else {
            None
        };
        let synced = match app_synced {
            Some(synced) => synced,
            None => {
                let website = match (&order.website_id, &order.sponsor_id) {
                    (Some(id), _) => Some(b.store.website(id).await.map_err(store_err)?),
                    (None, Some(sponsor)) if cancels => b
                        .store
                        .websites_of_sponsor(sponsor)
                        .await
                        .map_err(store_err)?
                        .into_iter()
                        .next(),
                    _ => continue,
                };
                match website {
                    None => cancels,
                    Some(website) => {
                        let number = website.icp_number.clone();
                        if !cancels && number.is_none() {
                            continue;
                        }
                        let ret = b
                            .client
                            .query_beian_status(QueryConditionType::Domain, &website.data.domain)
                            .await
                            .map_err(|e| {
                                format!(
                                    "bureau unreachable: {}",
                                    crate::notify::redact(&e.to_string())
                                )
                            })?;
                        let filed = ret
                            .status_info
                            .as_ref()
                            .filter(|s| s.status == FilingStatus::Filed);
                        if cancels {
                            filed.is_none()
                        } else {
                            filed.is_some_and(|s| s.website_number == number)
                        }
                    }
                }
            }
        };
        if !synced {
            continue;
        }
        let work = b.store.order_workflow(&order.id).await.map_err(store_err)?;
        let flow = order_flow(
            kind,
            province,
            work.flow.as_ref(),
            work.product_line.as_deref(),
            b.store.now(),
        );
        let next =
            apply(OrderState::Approved, Event::Synced, &flow).unwrap_or(OrderState::Completed);
        let mut tx = b.store.begin().await.map_err(store_err)?;
        match tx
            .transition_order(
                &order.id,
                order.version,
                next.as_str(),
                &TimelineEvent::new(super::submit::ACTOR, "synced"),
            )
            .await
        {
            Ok(_) => {
                tx.commit().await.map_err(store_err)?;
                done += 1;
            }
            Err(StoreError::Conflict { .. }) => tx.rollback().await.map_err(store_err)?,
            Err(e) => return Err(store_err(e)),
        }
    }
    Ok(done)
}

/// Runs one `bureau.purge` job: deletes the upload files past their 3 months and enqueues the
/// next purge a day later.
/// How long an `Idempotency-Key` answers with its first response.
pub const IDEMPOTENCY_RETENTION: chrono::Duration = chrono::Duration::days(7);

/// The daily purge: upload files past their 3 months, expired sessions, idempotency keys past
/// [`IDEMPOTENCY_RETENTION`]; then the next purge is queued.
pub async fn run_purge(b: &Bureau<'_>) -> JobOutcome {
    let now = b.store.now();
    let housekeeping = async {
        let sessions = b
            .store
            .purge_expired_sessions(now.timestamp_millis())
            .await?;
        let keys = b
            .store
            .purge_idempotency_keys((now - IDEMPOTENCY_RETENTION).timestamp_millis())
            .await?;
        Ok::<_, StoreError>((sessions, keys))
    };
    match housekeeping.await {
        Ok((sessions, keys)) if sessions + keys > 0 => {
            tracing::info!(sessions, idempotency_keys = keys, "expired rows purged");
        }
        Ok(_) => {}
        Err(e) => {
            return JobOutcome::RetryAfter(std::time::Duration::from_secs(600), e.to_string());
        }
    }
    match b.store.purge_expired_uploads().await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(deleted = n, "expired bureau upload files purged");
            }
            let due = b.store.now()
                + chrono::Duration::from_std(super::PURGE_EVERY)
                    .unwrap_or(chrono::Duration::days(1));
            let next = async {
                let mut tx = b.store.begin().await?;
                tx.enqueue_job(super::PURGE_JOB, &serde_json::json!({}), due)
                    .await?;
                tx.commit().await
            };
            match next.await {
                Ok(()) => JobOutcome::Done,
                Err(e) => JobOutcome::RetryAfter(std::time::Duration::from_secs(60), e.to_string()),
            }
        }
        Err(e) => JobOutcome::RetryAfter(std::time::Duration::from_secs(600), e.to_string()),
    }
}
