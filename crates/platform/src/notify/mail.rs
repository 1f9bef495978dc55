//! Sending email: the [`Mailer`] trait, its SMTP implementation over lettre
//! ([`SmtpMailer`], TLS none / STARTTLS / implicit TLS, optional credentials, timeouts), and
//! [`MemoryMailOutbox`], a mailer that keeps what it is given (tests; the embedded default's
//! mail outbox until it is backed by the store).
//!
//! Failures are classed for the job queue: connection refused, timeouts, TLS and 4xx replies
//! are transient; 5xx replies, an address that is not valid and client errors are permanent.

use super::render::RenderedEmail;
use super::{Contact, ErrorClass, redact};
use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// One email to send. `message_id` is the job id: stable across retries, so a duplicate
/// caused by a retry after an unconfirmed send carries the same Message-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub message_id: String,
    pub to: Contact,
    pub email: RenderedEmail,
}

/// Why an email was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class} mail error: {reason}")]
pub struct MailError {
    pub class: ErrorClass,
    /// What went wrong, with addresses and numbers masked.
    pub reason: String,
}

impl MailError {
    fn permanent(reason: impl Into<String>) -> MailError {
        MailError {
            class: ErrorClass::Permanent,
            reason: reason.into(),
        }
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// How to reach the SMTP server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on loopback or a trusted network); default port 25.
    #[default]
    None,
    /// STARTTLS required; default port 587.
    Starttls,
    /// Implicit TLS (SMTPS); default port 465.
    Tls,
}

/// SMTP settings, as read from the config file (`[mail.smtp]`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults by `tls`: 25, 587 or 465.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, e.g. `示例云备案 <beian@example.com>`.
    pub from: String,
    /// A PEM root certificate to trust besides the public roots (a private relay's CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Limit for connecting, and for the whole exchange of one email.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    30
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "******"))
            .field("from", &self.from)
            .field("ca_file", &self.ca_file)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// Sends over SMTP; one connection per email (notifications are few).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    limit: Duration,
}

impl SmtpMailer {
    /// Checks the settings (sender address, TLS host name); connects only when sending.
    pub fn new(config: &SmtpConfig) -> Result<SmtpMailer, MailError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| MailError::permanent("the configured sender address is not valid"))?;
        let tls = |wrap: fn(TlsParameters) -> Tls| -> Result<Tls, MailError> {
            let mut params = TlsParameters::builder(config.host.clone());
            if let Some(path) = &config.ca_file {
                let pem = std::fs::read(path).map_err(|e| {
                    MailError::permanent(format!("ca_file {}: {e}", path.display()))
                })?;
                if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                    return Err(MailError::permanent("ca_file holds no PEM certificate"));
                }
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| MailError::permanent(format!("ca_file: {e}")))?;
                params = params.add_root_certificate(cert);
            }
            let params = params
                .build()
                .map_err(|e| MailError::permanent(format!("TLS settings: {e}")))?;
            Ok(wrap(params))
        };
        let (tls, default_port) = match config.tls {
            SmtpTls::None => (Tls::None, 25),
            SmtpTls::Starttls => (tls(Tls::Required)?, 587),
            SmtpTls::Tls => (tls(Tls::Wrapper)?, 465),
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port.unwrap_or(default_port))
            .tls(tls);
        let limit = Duration::from_secs(config.timeout_secs);
        let mut builder = builder.timeout(Some(limit));
        if let Some(username) = &config.username {
            let password = config.password.clone().unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
            limit,
        })
    }

    fn message(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .expose()
            .parse()
            .map_err(|_| MailError::permanent("the recipient address is not valid"))?;
        let domain = self.from.email.domain().to_owned();
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.email.subject.clone())
            .message_id(Some(format!("<{}@{domain}>", id_part(&mail.message_id))));
        let text = mail.email.text_body.clone();
        let built = match &mail.email.html_body {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(text, html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(text),
        };
        built.map_err(|e| MailError::permanent(format!("the message cannot be built: {e}")))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        // lettre's async transport bounds only the connect; a server that accepts and then
        // stays silent would hold the job forever, so the whole exchange is bounded here.
        match tokio::time::timeout(self.limit, self.transport.send(message)).await {
            Ok(sent) => sent.map(|_| ()).map_err(|e| classify(&e)),
            Err(_) => Err(MailError {
                class: ErrorClass::Transient,
                reason: format!("no answer from the mail server within {:?}", self.limit),
            }),
        }
    }
}

/// Transient unless the server said 5xx or our client refused (bad settings, no mechanism).
fn classify(e: &lettre::transport::smtp::Error) -> MailError {
    let class = if e.is_permanent() || e.is_client() {
        ErrorClass::Permanent
    } else {
        ErrorClass::Transient
    };
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    MailError {
        class,
        reason: redact(&reason),
    }
}

/// A Message-ID left part: letters, digits, `.`, `-`, `_`; anything else becomes `-`.
fn id_part(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Keeps every email it is given, in order; a repeated `message_id` is kept once.
#[derive(Debug, Default)]
pub struct MemoryMailOutbox {
    mails: Mutex<Vec<OutgoingMail>>,
}

impl MemoryMailOutbox {
    pub fn new() -> MemoryMailOutbox {
        MemoryMailOutbox::default()
    }

    /// The emails sent to `to`, oldest first.
    pub fn list(&self, to: &str) -> Vec<OutgoingMail> {
        let wanted = to.trim().to_lowercase();
        self.lock()
            .iter()
            .filter(|m| m.to.expose().to_lowercase() == wanted)
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<OutgoingMail>> {
        // A poisoned lock only means another thread panicked while pushing; the data is fine.
        self.mails.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Mailer for MemoryMailOutbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let mut mails = self.lock();
        if !mails.iter().any(|m| m.message_id == mail.message_id) {
            mails.push(mail.clone());
        }
        Ok(())
    }
}
