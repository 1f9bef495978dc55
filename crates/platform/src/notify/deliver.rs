//! Delivering one [`NotifyJob`]: render it in the recipient's locale and hand it to the mailer
//! or the SMS gateway. This is what the job worker calls; the worker retries a transient
//! [`DeliveryError`] after [`RetryPolicy::delay_after`] and records a permanent one as failed.
//!
//! Idempotency: each channel is its own job ([`super::jobs_for`]), so a retry never repeats a
//! channel that succeeded. Within a channel, a crash between "sent" and "job done" can still
//! send twice; the job id travels as the email's Message-ID and the SMS gateway's `id` so the
//! far side (or the reader's mail client) can recognise the duplicate.

use super::mail::{MailError, Mailer, OutgoingMail};
use super::render::{RenderContext, render_email, render_sms};
use super::sms::{OutgoingSms, SmsError, SmsGateway};
use super::{Channel, ErrorClass, NotifyJob, redact};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Sms(#[from] SmsError),
    /// The job asks for a channel its event does not use (a bad payload: permanent).
    #[error("the {event} notification is not sent by {channel}")]
    NoSuchChannel {
        event: &'static str,
        channel: &'static str,
    },
}

impl DeliveryError {
    pub fn class(&self) -> ErrorClass {
        match self {
            DeliveryError::Mail(e) => e.class,
            DeliveryError::Sms(e) => e.class,
            DeliveryError::NoSuchChannel { .. } => ErrorClass::Permanent,
        }
    }

    /// Whether the job queue should try again later.
    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }
}

/// Sends one job.
pub async fn deliver(
    job: &NotifyJob,
    ctx: &RenderContext,
    mailer: &dyn Mailer,
    sms: &dyn SmsGateway,
) -> Result<(), DeliveryError> {
    let n = &job.notification;
    if !n.channels().contains(&job.channel) {
        return Err(DeliveryError::NoSuchChannel {
            event: n.event(),
            channel: job.channel.name(),
        });
    }
    match job.channel {
        Channel::Email => {
            let mail = OutgoingMail {
                message_id: job.id.clone(),
                to: job.to.clone(),
                email: render_email(n, job.locale, ctx),
            };
            mailer.send(&mail).await?;
        }
        Channel::Sms => {
            let text = render_sms(n, job.locale, ctx)
                .ok_or(DeliveryError::NoSuchChannel {
                    event: n.event(),
                    channel: job.channel.name(),
                })?
                .text;
            let message = OutgoingSms {
                id: job.id.clone(),
                to: job.to.clone(),
                text,
            };
            sms.send(&message).await?;
        }
    }
    Ok(())
}

/// What the job queue should do with a notification job after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Sent: mark the job done.
    Done,
    /// Failed for now: run it again after the delay. The reason is safe to log and store.
    RetryAfter(Duration, String),
    /// Failed for good (permanent error, attempts used up, or a payload that does not
    /// parse): keep the job as failed, visible to the admins, retriable by hand.
    Failed(String),
}

/// Runs one job from its stored payload (the JSON of a [`NotifyJob`]); `attempt` counts this
/// run, from 1. The queue applies the outcome; nothing here touches the database.
pub async fn run_job(
    payload: &str,
    attempt: u32,
    policy: &RetryPolicy,
    ctx: &RenderContext,
    mailer: &dyn Mailer,
    sms: &dyn SmsGateway,
) -> JobOutcome {
    let job: NotifyJob = match serde_json::from_str(payload) {
        Ok(job) => job,
        Err(e) => return JobOutcome::Failed(format!("the notify job payload does not parse: {e}")),
    };
    let event = job.notification.event();
    match deliver(&job, ctx, mailer, sms).await {
        Ok(()) => {
            tracing::info!(job = %job.id, event, channel = job.channel.name(), "notification sent");
            JobOutcome::Done
        }
        Err(e) => {
            // Mailers and gateways redact their reasons; this is the last guard before logs.
            let reason = redact(&e.to_string());
            match policy.delay_after(attempt, &e) {
                Some(delay) => {
                    tracing::warn!(job = %job.id, event, attempt, %reason, "notification will be retried");
                    JobOutcome::RetryAfter(delay, reason)
                }
                None => {
                    tracing::error!(job = %job.id, event, attempt, %reason, "notification failed");
                    JobOutcome::Failed(reason)
                }
            }
        }
    }
}

/// When to try a failed delivery again: exponential back-off from `first_delay`, doubling up
/// to `max_delay`, for at most `max_attempts` attempts in all. The default (10 attempts, 30 s
/// doubling to 1 h) keeps trying for about 3 hours, which outlasts a mail server restart
/// or a short outage; after that the job stays failed, visible to the admins, and can be
/// retried by hand, so a notification is never dropped silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after `attempts` failed ones (1 after the first
    /// failure), or `None` when the job should give up.
    pub fn delay_after(&self, attempts: u32, error: &DeliveryError) -> Option<Duration> {
        if !error.is_transient() || attempts == 0 || attempts >= self.max_attempts {
            return None;
        }
        let factor = 2u32.saturating_pow(attempts - 1);
        Some(self.first_delay.saturating_mul(factor).min(self.max_delay))
    }
}
