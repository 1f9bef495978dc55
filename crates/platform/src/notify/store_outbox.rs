//! The embedded default's mail and SMS "gateway": every email and text is written to the
//! store's outbox table (sealed: it names a person), where an admin page can read it.

use std::sync::Arc;

use async_trait::async_trait;
use beian_store::Store;
use beian_store::outbox::Channel as OutboxChannel;
use serde_json::json;

use super::ErrorClass;
use super::mail::{MailError, Mailer, OutgoingMail};
use super::sms::{OutboxSms, SmsError, SmsOutboxSink};

/// Writes mail and texts to the store's outbox.
#[derive(Clone)]
pub struct StoreOutbox {
    store: Arc<Store>,
}

impl std::fmt::Debug for StoreOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOutbox").finish_non_exhaustive()
    }
}

impl StoreOutbox {
    pub fn new(store: Arc<Store>) -> StoreOutbox {
        StoreOutbox { store }
    }

    async fn push(&self, channel: OutboxChannel, payload: serde_json::Value) -> Result<(), String> {
        let mut tx = self.store.begin().await.map_err(|e| e.to_string())?;
        let id = tx
            .outbox_push(channel, &payload)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        self.store
            .outbox_mark(&id, true, None)
            .await
            .map_err(|e| e.to_string())
    }
}

#[async_trait]
impl Mailer for StoreOutbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let payload = json!({
            "id": mail.message_id, "to": mail.to.expose(),
            "subject": mail.email.subject, "text": mail.email.text_body,
        });
        self.push(OutboxChannel::Mail, payload)
            .await
            .map_err(|reason| MailError {
                class: ErrorClass::Transient,
                reason,
            })
    }
}

#[async_trait]
impl SmsOutboxSink for StoreOutbox {
    async fn put(&self, sms: OutboxSms) -> Result<(), SmsError> {
        let payload = json!({
            "id": sms.id, "to": sms.to.expose(), "text": sms.text, "at": sms.at.to_rfc3339(),
        });
        self.push(OutboxChannel::Sms, payload)
            .await
            .map_err(SmsError::transient)
    }
}
