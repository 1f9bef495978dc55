//! The outbox: messages to the outside (bureau uploads, mail, SMS) written in the same
//! transaction as the state change that causes them, then delivered by a job or shown on the
//! embedded outbox page. Payloads are sealed, since an SMS names a mobile number.

use serde_json::Value;
use sqlx::Row;

use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    BureauUpload,
    Mail,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::BureauUpload => "bureau_upload",
            Channel::Mail => "mail",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::BureauUpload, Channel::Mail, Channel::Sms]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// An outbox message. Its payload may hold personal data: do not log it.
#[derive(Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: String,
    pub channel: Channel,
    pub payload: Value,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
}

impl std::fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Tx {
    /// Queues a message, in this transaction.
    pub async fn outbox_push(&mut self, channel: Channel, payload: &Value) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        let ct = self
            .store
            .crypto()
            .seal(Field::Outbox, payload.to_string().as_bytes());
        sqlx::query(
            "INSERT INTO outbox (id, channel, payload_ct, status, attempts, created_at) \
             VALUES ($1, $2, $3, 'pending', 0, $4)",
        )
        .bind(&id)
        .bind(channel.as_str())
        .bind(ct)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(id)
    }
}

fn from_row(store: &Store, r: &sqlx::any::AnyRow) -> Result<OutboxMessage> {
    let ct: Vec<u8> = r.try_get("payload_ct")?;
    let channel: String = r.try_get("channel")?;
    let plain = store.crypto().open(Field::Outbox, &ct)?;
    Ok(OutboxMessage {
        id: r.try_get("id")?,
        channel: Channel::parse(&channel).ok_or(StoreError::Corrupt("outbox.channel"))?,
        payload: serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("outbox"))?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Messages of a channel in a status (`pending`, `sent`, `failed`), oldest first.
    pub async fn outbox(
        &self,
        channel: Channel,
        status: &str,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "SELECT id, channel, payload_ct, status, attempts, created_at FROM outbox \
             WHERE channel = $1 AND status = $2 ORDER BY created_at, id LIMIT $3",
        )
        .bind(channel.as_str())
        .bind(status)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| from_row(self, r)).collect()
    }

    /// Marks a message sent (or failed, with an error free of personal data).
    pub async fn outbox_mark(&self, id: &str, sent: bool, error: Option<&str>) -> Result<()> {
        let res = sqlx::query(
            "UPDATE outbox SET status = $1, sent_at = $2, last_error = $3, \
             attempts = attempts + 1 WHERE id = $4",
        )
        .bind(if sent { "sent" } else { "failed" })
        .bind(sent.then(|| self.now_ms()))
        .bind(error)
        .bind(id)
        .execute(self.pool())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "outbox message",
            });
        }
        Ok(())
    }
}
