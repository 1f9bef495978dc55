//! Notifications: the texts beian sends at each step of an order (submitted to the bureau,
//! SMS check coming, approved, returned, cancel-access code, backdrop shipped, filing password
//! issued, deadline reminders, draft expiry, provider deadline breach), rendered from
//! `crates/server/messages/notify.toml`, and delivered by email over SMTP and by SMS through a
//! gateway (an outbox a page shows, or an HTTP gateway).
//!
//! Delivery runs in the job queue: one [`NotifyJob`] per channel and recipient (made by
//! [`jobs_for`]), its payload the serde JSON of the job, run by [`run_job`] (which calls
//! [`deliver`]) and its [`JobOutcome`] applied by the queue. A transient failure (mail server down,
//! 4xx, gateway 5xx) is retried by the queue after [`RetryPolicy::delay_after`]; a permanent
//! one (5xx, bad address) ends the job as failed and visible, so nothing is lost silently.
//!
//! Personal data stays out of logs: [`Contact`] and [`SecretCode`] mask themselves in `Debug`,
//! and error reasons are passed through [`redact`] before they are kept.

mod deliver;
mod mail;
mod message;
mod queue;
mod render;
mod sms;
mod store_outbox;

pub use deliver::{DeliveryError, JobOutcome, RetryPolicy, deliver, run_job};
pub use mail::{
    MailError, Mailer, MemoryMailOutbox, OutgoingMail, SmtpConfig, SmtpMailer, SmtpTls,
};
pub use message::{Audience, Notification, PendingTask, ProviderDuty, ReturnReason, SecretCode};
pub use queue::{enqueue_notification, open_notify_payload, seal_notify_job};
pub use render::{RenderContext, RenderedEmail, RenderedSms, messages, render_email, render_sms};
pub use sms::{
    CopyingOutbox, HttpSmsConfig, HttpSmsGateway, MemorySmsOutbox, OutboxSms, OutboxSmsGateway,
    OutgoingSms, SmsError, SmsGateway, SmsOutboxSink,
};
pub use store_outbox::StoreOutbox;

use beian_core::i18n::Locale;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a notification reaches a person. Each channel is its own job, so a retry after the
/// email went out never sends the email again just because the SMS failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// Whether a failure is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The other side may accept later (connection refused, timeout, SMTP 4xx, HTTP 5xx/429).
    Transient,
    /// Retrying cannot help (SMTP 5xx, HTTP 4xx, an address that is not valid).
    Permanent,
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Permanent => "permanent",
        })
    }
}

/// An email address or a mobile number. Personal data: `Debug` shows it masked.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Contact(String);

impl Contact {
    pub fn new(value: impl Into<String>) -> Contact {
        Contact(value.into().trim().to_owned())
    }

    /// The whole value, for the transport only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value masked for pages and logs: `138****5678`, `l***@example.com`.
    pub fn masked(&self) -> String {
        mask_contact(&self.0)
    }
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Contact({})", self.masked())
    }
}

/// Where one notification goes, and in which language the person reads first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    pub email: Option<Contact>,
    pub mobile: Option<Contact>,
    pub locale: Locale,
}

/// One delivery: the job queue's payload (serde JSON). `id` is stable across retries and is
/// used as the email's Message-ID and the SMS gateway's idempotency id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyJob {
    pub id: String,
    pub channel: Channel,
    pub to: Contact,
    #[serde(with = "locale_tag")]
    pub locale: Locale,
    pub notification: Notification,
}

impl NotifyJob {
    /// The job kind name for the queue.
    pub const KIND: &'static str = "notify";
}

/// Fans a notification out into one job per channel it uses and the recipient has an
/// address for. `event_id` identifies the occurrence (e.g. the outbox row or audit record);
/// the job ids are `{event_id}.email` and `{event_id}.sms`.
pub fn jobs_for(event_id: &str, notification: &Notification, to: &Recipients) -> Vec<NotifyJob> {
    notification
        .channels()
        .iter()
        .filter_map(|&channel| {
            let contact = match channel {
                Channel::Email => to.email.clone(),
                Channel::Sms => to.mobile.clone(),
            }?;
            Some(NotifyJob {
                id: format!("{event_id}.{}", channel.name()),
                channel,
                to: contact,
                locale: to.locale,
                notification: notification.clone(),
            })
        })
        .collect()
}

/// Masks a mobile number (first three and last four digits stay) or an email address (first
/// character of the local part and the domain stay); anything else is masked whole.
pub fn mask_contact(value: &str) -> String {
    if let Some((local, domain)) = value.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let n = value.chars().count();
    if n >= 11 {
        // Keep 3 and 4 with exactly four stars between, whatever the length.
        let head: String = value.chars().take(3).collect();
        let tail: String = value.chars().skip(n - 4).collect();
        format!("{head}****{tail}")
    } else {
        beian_core::mask::mask(value, 0, 0)
    }
}

/// Masks what looks like personal data in a text from the outside (an SMTP reply, a gateway's
/// error body): words holding `@` and runs of seven or more digits.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let digits = word.chars().filter(char::is_ascii_digit).count();
        if word.contains('@') || digits >= 7 {
            out.push_str(&mask_contact(word));
        } else {
            out.push_str(word);
        }
    }
    out
}

/// `Locale` as its tag (`zh-CN`, `en`) in the job payload.
mod locale_tag {
    use beian_core::i18n::Locale;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(locale: &Locale, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(locale.tag())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Locale, D::Error> {
        Ok(Locale::from_tag(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod delivery_tests;
#[cfg(test)]
mod tests;
