//! Sending SMS: the [`SmsGateway`] trait and two implementations.
//!
//! - [`OutboxSmsGateway`]: the embedded default. Texts are written to an outbox that a page
//!   shows, through [`SmsOutboxSink`]; the store implements that sink over its outbox table,
//!   and [`MemorySmsOutbox`] is the in-memory one (tests, and a page before the store is wired).
//! - [`HttpSmsGateway`]: a real gateway, `POST {url}` with JSON `{id, to, text, sign}` and
//!   `Authorization: Bearer <api key>`; 2xx is sent, 408/429/5xx and network failures are
//!   transient, other 4xx permanent. `id` is stable across retries so the gateway can dedupe.

use super::{Contact, ErrorClass, redact};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// One text to send. The text may hold a secret code: `Debug` shows its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingSms {
    /// The job id: stable across retries.
    pub id: String,
    pub to: Contact,
    pub text: String,
}

impl fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingSms")
            .field("id", &self.id)
            .field("to", &self.to)
            .field(
                "text",
                &format_args!("<{} chars>", self.text.chars().count()),
            )
            .finish()
    }
}

/// Why a text was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class} SMS error: {reason}")]
pub struct SmsError {
    pub class: ErrorClass,
    /// What went wrong, with numbers masked.
    pub reason: String,
}

impl SmsError {
    pub fn transient(reason: impl Into<String>) -> SmsError {
        SmsError {
            class: ErrorClass::Transient,
            reason: redact(&reason.into()),
        }
    }

    pub fn permanent(reason: impl Into<String>) -> SmsError {
        SmsError {
            class: ErrorClass::Permanent,
            reason: redact(&reason.into()),
        }
    }
}

#[async_trait]
pub trait SmsGateway: Send + Sync {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError>;
}

/// The HTTP gateway's settings (`[sms.http]` in the config file).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct HttpSmsConfig {
    pub url: String,
    pub api_key: String,
    /// The signature the gateway puts in 【】, e.g. `示例云`.
    pub sign: String,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    10
}

impl fmt::Debug for HttpSmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSmsConfig")
            .field("url", &self.url)
            .field("api_key", &"******")
            .field("sign", &self.sign)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[derive(Serialize)]
struct GatewayRequest<'a> {
    id: &'a str,
    to: &'a str,
    text: &'a str,
    sign: &'a str,
}

pub struct HttpSmsGateway {
    client: reqwest::Client,
    config: HttpSmsConfig,
}

impl HttpSmsGateway {
    pub fn new(config: HttpSmsConfig) -> Result<HttpSmsGateway, SmsError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .build()
            .map_err(|e| SmsError::permanent(format!("HTTP client: {e}")))?;
        Ok(HttpSmsGateway { client, config })
    }
}

#[async_trait]
impl SmsGateway for HttpSmsGateway {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError> {
        let body = GatewayRequest {
            id: &sms.id,
            to: sms.to.expose(),
            text: &sms.text,
            sign: &self.config.sign,
        };
        let response = self
            .client
            .post(&self.config.url)
            .bearer_auth(&self.config.api_key)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                if e.is_builder() {
                    SmsError::permanent(format!("request: {e}"))
                } else {
                    SmsError::transient(format!("gateway unreachable: {e}"))
                }
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let detail: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let reason = format!("gateway answered {status}: {detail}");
        if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(SmsError::transient(reason))
        } else {
            Err(SmsError::permanent(reason))
        }
    }
}

/// A text as the outbox page shows it: to whom, what (signature included), when. `Debug`
/// hides the text, which may hold a code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxSms {
    pub id: String,
    pub to: Contact,
    /// `【sign】text`, as the phone would show it. May hold a secret code: show it only to
    /// the owner of the mobile (or on the embedded default's demo page).
    pub text: String,
    pub at: DateTime<Utc>,
}

impl fmt::Debug for OutboxSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxSms")
            .field("id", &self.id)
            .field("to", &self.to)
            .field(
                "text",
                &format_args!("<{} chars>", self.text.chars().count()),
            )
            .field("at", &self.at)
            .finish()
    }
}

/// Where the outbox gateway writes. Implementations must be idempotent on `id`: a retried
/// job writes the same text once.
#[async_trait]
pub trait SmsOutboxSink: Send + Sync {
    async fn put(&self, sms: OutboxSms) -> Result<(), SmsError>;
}

/// The embedded default gateway: every text goes to the outbox, signed.
pub struct OutboxSmsGateway<S> {
    sink: S,
    sign: String,
}

impl<S: SmsOutboxSink> OutboxSmsGateway<S> {
    pub fn new(sink: S, sign: impl Into<String>) -> OutboxSmsGateway<S> {
        OutboxSmsGateway {
            sink,
            sign: sign.into(),
        }
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }
}

#[async_trait]
impl<S: SmsOutboxSink> SmsGateway for OutboxSmsGateway<S> {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError> {
        self.sink
            .put(OutboxSms {
                id: sms.id.clone(),
                to: sms.to.clone(),
                text: format!("【{}】{}", self.sign, sms.text),
                at: Utc::now(),
            })
            .await
    }
}

/// An outbox that also hands each text to a copy: in demo mode, the bundled simulator's
/// phone network, whose inbox page lets a person read a code the platform texted. The text is
/// in the outbox first; a copy refused is logged, not retried (the outbox holds the text).
pub struct CopyingOutbox<S> {
    outbox: S,
    copy: std::sync::Arc<dyn SmsOutboxSink>,
}

impl<S: SmsOutboxSink> CopyingOutbox<S> {
    pub fn new(outbox: S, copy: std::sync::Arc<dyn SmsOutboxSink>) -> CopyingOutbox<S> {
        CopyingOutbox { outbox, copy }
    }

    #[cfg(test)]
    pub(crate) fn outbox_for_tests(&self) -> &S {
        &self.outbox
    }
}

#[async_trait]
impl<S: SmsOutboxSink> SmsOutboxSink for CopyingOutbox<S> {
    async fn put(&self, sms: OutboxSms) -> Result<(), SmsError> {
        self.outbox.put(sms.clone()).await?;
        if let Err(e) = self.copy.put(sms).await {
            tracing::warn!(error = %e, "the simulated phone network did not take a text");
        }
        Ok(())
    }
}

/// An in-memory outbox, idempotent on `id`.
#[derive(Debug, Default)]
pub struct MemorySmsOutbox {
    texts: Mutex<Vec<OutboxSms>>,
}

impl MemorySmsOutbox {
    pub fn new() -> MemorySmsOutbox {
        MemorySmsOutbox::default()
    }

    /// The texts sent to `mobile` (spaces, dashes and a `+86`/`86` prefix ignored), oldest first.
    pub fn list(&self, mobile: &str) -> Vec<OutboxSms> {
        let wanted = normalise_mobile(mobile);
        self.lock()
            .iter()
            .filter(|s| normalise_mobile(s.to.expose()) == wanted)
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<OutboxSms>> {
        // A poisoned lock only means another thread panicked while pushing; the data is fine.
        self.texts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SmsOutboxSink for MemorySmsOutbox {
    async fn put(&self, sms: OutboxSms) -> Result<(), SmsError> {
        let mut texts = self.lock();
        if !texts.iter().any(|t| t.id == sms.id) {
            texts.push(sms);
        }
        Ok(())
    }
}

#[async_trait]
impl<T: SmsOutboxSink + ?Sized> SmsOutboxSink for std::sync::Arc<T> {
    async fn put(&self, sms: OutboxSms) -> Result<(), SmsError> {
        (**self).put(sms).await
    }
}

fn normalise_mobile(mobile: &str) -> String {
    let digits: String = mobile.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("86") {
        Some(rest) if digits.len() == 13 => rest.to_owned(),
        _ => digits,
    }
}
