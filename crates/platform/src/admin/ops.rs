//! The outbox as the admins see it (shared by `GET /admin/outbox` and the outbox page): the
//! delivery jobs and outbox rows of one channel (`mail`, `sms`, `bureau`), and the retry of a
//! job that died (one transaction with its audit record).

use beian_store::reports::{JobRow, OutboxRow};
use beian_store::{Store, StoreError};
use serde_json::Value;

use super::AdminError;
use crate::message::Message;

/// The channels the outbox lists.
pub const OUTBOX_CHANNELS: [&str; 3] = ["mail", "sms", "bureau"];

/// A channel's jobs and outbox rows, newest first, at most `limit` of each. The payloads
/// name persons: the caller masks what it shows. An unknown channel is `Invalid` on
/// `channel`.
pub async fn outbox_listing(
    store: &Store,
    channel: &str,
    status: Option<&str>,
    limit: i64,
) -> Result<(Vec<JobRow>, Vec<OutboxRow>), AdminError> {
    let status = status.filter(|s| !s.is_empty());
    match channel {
        "mail" | "sms" => {
            let wanted = if channel == "mail" { "email" } else { "sms" };
            let jobs: Vec<JobRow> = store
                .jobs_of_kinds(&[crate::notify::NotifyJob::KIND], status, limit * 4)
                .await?
                .into_iter()
                .filter(|j| j.payload.get("channel").and_then(Value::as_str) == Some(wanted))
                .take(usize::try_from(limit).unwrap_or(0))
                .collect();
            Ok((jobs, store.outbox_rows(channel, status, limit).await?))
        }
        "bureau" => Ok((
            store.jobs_of_kinds(&["bureau*"], status, limit).await?,
            store.outbox_rows("bureau_upload", status, limit).await?,
        )),
        _ => Err(AdminError::field("channel", "api.field.outbox_channel")),
    }
}

/// Gives a dead job (a mail, a text, a bureau upload that gave up) another run now. 404
/// without the job; 409 `job_not_dead` when it is not dead.
pub async fn retry_job(store: &Store, actor: &str, id: &str) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    match tx.retry_dead_job(actor, id).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            tx.rollback().await?;
            return Err(AdminError::Refused(
                409,
                "job_not_dead",
                Message::new("api.error.job_not_dead"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(())
}
