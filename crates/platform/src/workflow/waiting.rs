//! Orders that wait on their applicant (draft, returned by the provider or the bureau, photo
//! pending), as the deadline jobs ([`crate::deadlines`]) act on them: a reminder when the
//! wait reaches 7, 15 and 30 days ([`Workflow::remind_applicant`]), and the expiry of a draft
//! untouched for 45 days ([`Workflow::expire_draft`], through the one abandon path, so its
//! service number goes back to unbound).
//!
//! The wait begins at the order's last change (`orders.updated_at`: every edit, upload or
//! check moves the order's version). Each reminder is recorded (`deadline_reminders`, by
//! order, start of the wait and threshold) in the transaction that enqueues it, so a sweep
//! that runs twice sends it once; a new change starts a new wait, whose reminders go out
//! again. When several thresholds are reached at once (the server was down), one reminder
//! goes out, for the highest, and the lower ones are recorded as covered.
//!
//! The reminder names a deadline: the end of the 45-day wait. Only drafts are closed then;
//! for the other waiting states it is the date the platform asks the applicant to act by.

use beian_core::i18n::Locale;
use beian_core::order::OrderState;
use beian_store::audit::AuditEntry;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::Workflow;
use super::error::WorkflowError;
use super::submit::AbandonOutcome;
use crate::notify::{Contact, Notification, NotifyJob, PendingTask, Recipients, jobs_for};

/// The states in which the order waits on its applicant.
pub const WAITING_STATES: [OrderState; 4] = [
    OrderState::Draft,
    OrderState::Returned,
    OrderState::BureauReturned,
    OrderState::PhotoPending,
];

/// Days of waiting at which the applicant is reminded.
pub const REMINDER_THRESHOLDS_DAYS: [u32; 3] = [7, 15, 30];

/// Days after which an untouched draft expires (is abandoned).
pub const DRAFT_EXPIRY_DAYS: u32 = 45;

/// The actor of the deadline jobs in timelines and audit records.
pub const DEADLINE_ACTOR: &str = "job:deadline";

/// What the applicant has to do in a waiting state.
pub fn pending_task(state: OrderState) -> Option<PendingTask> {
    match state {
        OrderState::Draft => Some(PendingTask::FinishDraft),
        OrderState::Returned | OrderState::BureauReturned => Some(PendingTask::AnswerReturn),
        OrderState::PhotoPending => Some(PendingTask::UploadPhoto),
        _ => None,
    }
}

/// Whole days from `since` to `now` (0 when `now` is earlier).
pub fn days_waited(since_ms: i64, now: DateTime<Utc>) -> i64 {
    (now.timestamp_millis() - since_ms).max(0) / Duration::days(1).num_milliseconds()
}

impl Workflow<'_> {
    /// Where the order's owner is told things: the account's email and mobile.
    pub async fn applicant_recipients(
        &self,
        account_id: &str,
    ) -> Result<Recipients, WorkflowError> {
        let account = self.store.account(account_id).await?;
        Ok(Recipients {
            email: (!account.email.trim().is_empty()).then(|| Contact::new(account.email.clone())),
            mobile: account.mobile.clone().map(Contact::new),
            locale: Locale::ZhCn,
        })
    }

    /// Reminds the applicant of a waiting order of the thresholds its wait has reached and
    /// that were not sent yet (see the module docs). Returns the threshold reminded of, or
    /// `None` when nothing was due or everything due was already sent.
    pub async fn remind_applicant(&self, order_id: &str) -> Result<Option<u32>, WorkflowError> {
        let order = self.store.order(order_id).await?;
        let l = self.load_any(order).await?;
        let Some(task) = pending_task(l.state) else {
            return Ok(None);
        };
        let since = l.order.updated_at;
        let now = self.store.now();
        let waited = days_waited(since, now);
        let reached: Vec<u32> = REMINDER_THRESHOLDS_DAYS
            .into_iter()
            .filter(|t| i64::from(*t) <= waited)
            .collect();
        if reached.is_empty() {
            return Ok(None);
        }
        let deadline = DateTime::<Utc>::from_timestamp_millis(since).unwrap_or(now)
            + Duration::days(i64::from(DRAFT_EXPIRY_DAYS));
        let recipients = self.applicant_recipients(&l.order.account_id).await?;

        let mut tx = self.store.begin().await?;
        let mut newly = Vec::new();
        for t in &reached {
            if tx.record_reminder(order_id, since, i64::from(*t)).await? {
                newly.push(*t);
            }
        }
        let Some(&threshold) = newly.iter().max() else {
            tx.rollback().await?;
            return Ok(None);
        };
        let notification = Notification::DeadlineReminder {
            order_id: order_id.to_owned(),
            domain: l.forms.subject(),
            task,
            days_left: DRAFT_EXPIRY_DAYS.saturating_sub(threshold),
            deadline,
        };
        let event_id = format!("order:{order_id}:reminder:{since}:{threshold}");
        for job in jobs_for(&event_id, &notification, &recipients) {
            let payload = crate::notify::seal_notify_job(self.store, &job)?;
            tx.enqueue_job(NotifyJob::KIND, &payload, now).await?;
        }
        tx.append_audit(
            AuditEntry::new(
                DEADLINE_ACTOR,
                "order.reminder",
                format!("order:{order_id}"),
            )
            .after(json!({"state": l.state.as_str(), "waiting_since": since,
                              "threshold_days": threshold, "covered": newly})),
        );
        tx.commit().await?;
        Ok(Some(threshold))
    }

    /// Expires a draft untouched for [`DRAFT_EXPIRY_DAYS`]: abandoned through the one abandon
    /// path (its service number back to unbound), the applicant told by
    /// [`Notification::DraftExpired`]. `Conflict` when the order changed since
    /// `expected_version` was read (it was touched: not expired); `InvalidTransition` when it
    /// is no longer a draft.
    pub async fn expire_draft(
        &self,
        order_id: &str,
        expected_version: i64,
    ) -> Result<AbandonOutcome, WorkflowError> {
        let order = self.store.order(order_id).await?;
        if order.version != expected_version {
            return Err(WorkflowError::Conflict);
        }
        let l = self.load_any(order).await?;
        if l.state != OrderState::Draft
            || days_waited(l.order.updated_at, self.store.now()) < i64::from(DRAFT_EXPIRY_DAYS)
        {
            return Err(WorkflowError::Conflict);
        }
        let recipients = self.applicant_recipients(&l.order.account_id).await?;
        let notification = Notification::DraftExpired {
            order_id: order_id.to_owned(),
            domain: l.forms.subject(),
        };
        let event_id = format!("order:{order_id}:expired:v{expected_version}");
        let jobs = jobs_for(&event_id, &notification, &recipients);
        self.abandon_loaded(DEADLINE_ACTOR, l, "draft_expired", &jobs)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_waiting_state_has_a_task_and_no_other_does() {
        for state in OrderState::ALL {
            assert_eq!(
                pending_task(state).is_some(),
                WAITING_STATES.contains(&state),
                "{state:?}"
            );
        }
    }

    #[test]
    fn days_waited_counts_whole_days() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let day = 86_400_000;
        let cases = [
            (now.timestamp_millis(), 0),
            (now.timestamp_millis() - day + 1, 0),
            (now.timestamp_millis() - day, 1),
            (now.timestamp_millis() - 7 * day - 5, 7),
            (now.timestamp_millis() + day, 0),
        ];
        for (since, want) in cases {
            assert_eq!(days_waited(since, now), want, "{since}");
        }
    }
}
