//! Submission to the bureau and results sync, as background jobs (DESIGN.md §5, §7).
//!
//! - `bureau.upload` ([`UPLOAD_JOB`], [`submit`]): payload `{"order_id": …}` (an order in
//!   `queued_for_bureau`), `{"cancel_access": {"access_id": …}}` (an access `cancelling`) or
//!   `{"cancel_app_access": {"app_access_id": …}}` (an APP's access `cancelling`).
//!   The V3.0 upload is built ([`build`]) and recorded with the next `dataSequence` in one
//!   transaction, then every pending upload is sent in number order through
//!   [`RegulatorClient::upload`]. A failed send is retried later with the same number and
//!   file; an uncertain one is resolved with `isp_querypreviousupload`. Once accepted, the
//!   order moves to `at_bureau` (and `sms_pending` where the flow has the SMS check) with its
//!   notifications, in one transaction. Past the order's `deadlines.bureau_submit` while still
//!   undelivered, an alert is recorded once and the admins are emailed.
//! - `bureau.poll` ([`POLL_JOB`], [`poll`]): `isp_download`, each file applied in one
//!   transaction ([`apply`]) and recorded by name (applying it again changes nothing), then
//!   `isp_downloadack`; then approved orders whose record the registry shows are completed.
//!   One poll is pending at a time; each run enqueues the next one a poll interval later.
//! - `bureau.purge` ([`PURGE_JOB`]): deletes upload files kept past their 3 months.
//! - [`board`]: the staff pages' bureau status (failed sends, downloads not acted on).
//! - [`build_app`]: the APP extension's upload (`urn:beian:miit-ext:app:1`) of an APP's
//!   order or 取消接入.

pub mod apply;
pub mod board;
pub mod build;
pub mod build_app;
mod build_parts;
pub mod deadline;
pub mod deliver;
pub mod poll;
pub mod submit;

use std::time::Duration;

use beian_core::i18n::Locale;
use beian_miit::v3::client::RegulatorClient;
use beian_store::objects::Objects;
use beian_store::{Store, StoreError};
use serde_json::{Value, json};

use crate::notify::{Contact, Recipients};

/// The job kind of an upload to the bureau.
pub const UPLOAD_JOB: &str = "bureau.upload";
/// The job kind of the results poll.
pub const POLL_JOB: &str = "bureau.poll";
/// The job kind of the purge of expired upload files.
pub const PURGE_JOB: &str = "bureau.purge";
/// Longest wait between two tries of an undelivered upload.
pub const UPLOAD_RETRY_CAP: Duration = Duration::from_secs(600);
/// How often the purge of expired upload files runs (clock time).
pub const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// What the bureau jobs work with.
#[derive(Clone, Copy)]
pub struct Bureau<'a> {
    pub store: &'a Store,
    pub objects: &'a Objects,
    pub client: &'a dyn RegulatorClient,
    /// This provider's `ispId`.
    pub isp_id: i64,
    /// Clock time between two results polls.
    pub poll_interval: Duration,
    /// The storefront product's public addresses (comma-separated), its filings' access.
    pub storefront_ips: &'a str,
}

impl std::fmt::Debug for Bureau<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bureau")
            .field("isp_id", &self.isp_id)
            .finish_non_exhaustive()
    }
}

/// The payload of an order's upload job.
pub fn order_upload_payload(order_id: &str) -> Value {
    json!({ "order_id": order_id })
}

/// The payload of a cancel-access upload job.
pub fn cancel_access_payload(access_id: &str) -> Value {
    json!({ "cancel_access": { "access_id": access_id } })
}

/// The payload of an APP's cancel-access upload job (issue 18).
pub fn app_cancel_access_payload(app_access_id: &str) -> Value {
    json!({ "cancel_app_access": { "app_access_id": app_access_id } })
}

use crate::notify::enqueue_notification;

/// The applicant's addresses (the account's email and mobile).
pub async fn applicant_recipients(
    store: &Store,
    account_id: &str,
) -> Result<Recipients, StoreError> {
    let account = store.account(account_id).await?;
    Ok(Recipients {
        email: (!account.email.trim().is_empty()).then(|| Contact::new(account.email.clone())),
        mobile: account.mobile.clone().map(Contact::new),
        locale: Locale::ZhCn,
    })
}

/// Enqueues the next job of `kind` at `due`, unless the unique index says one is pending
/// already (the results poll); in its own transaction.
pub async fn enqueue_once(
    store: &Store,
    kind: &str,
    due: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError> {
    if store.open_jobs_of_kind(kind).await? > 0 && kind != POLL_JOB {
        return Ok(false);
    }
    let mut tx = store.begin().await?;
    match tx.enqueue_job(kind, &json!({}), due).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(true)
        }
        Err(StoreError::Unique { .. }) => {
            tx.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The retry delay of an undelivered upload after `attempt` tries: the queue's backoff,
/// capped at [`UPLOAD_RETRY_CAP`].
pub fn upload_retry_delay(attempt: i64) -> Duration {
    beian_store::jobs::backoff(attempt).min(UPLOAD_RETRY_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_retries_are_capped() {
        for (attempt, max) in [(1, 5), (3, 20), (40, 600)] {
            let d = upload_retry_delay(attempt);
            assert!(d <= Duration::from_secs(max), "{attempt}: {d:?}");
            assert!(d >= Duration::from_secs(max) / 2, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn payloads_name_their_subject() {
        assert_eq!(order_upload_payload("o1")["order_id"], "o1");
        assert_eq!(
            cancel_access_payload("a1")["cancel_access"]["access_id"],
            "a1"
        );
        assert_eq!(
            app_cancel_access_payload("x1")["cancel_app_access"]["app_access_id"],
            "x1"
        );
    }
}
