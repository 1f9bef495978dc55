//! What the bureau link keeps besides the uploads ([`crate::bureau`]): the downloaded files by
//! name (a file applied once is never applied again; the ones not acted on are listed for the
//! admins), the admins' alerts (raised once per key), the sealed secrets an upload needs
//! (`ICPmm`), and the registry's own ids of our records.

use serde_json::Value;
use sqlx::Row;

use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// A downloaded file as recorded.
#[derive(Clone, PartialEq)]
pub struct DownloadRecord {
    pub file_name: String,
    /// `result`, `blacklist`, `notice`, `other`, …
    pub category: String,
    /// Whether beian acted on it (false: listed for the admins).
    pub acted: bool,
    /// What it was applied to (`order:<id>`, `access:<id>`), if anything.
    pub applied_to: Option<String>,
    /// A summary free of personal data (operation, `Bs`, codes).
    pub summary: Value,
    /// The whole file as JSON (personal data: opened only for admins).
    pub payload: Value,
    pub received_at: i64,
}

impl std::fmt::Debug for DownloadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadRecord")
            .field("file_name", &self.file_name)
            .field("category", &self.category)
            .field("acted", &self.acted)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// An alert for the admins' dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: String,
    /// e.g. `bureau_submit_deadline`.
    pub kind: String,
    /// What it is about (`order:<id>`).
    pub subject: String,
    pub details: Value,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

impl Tx {
    /// Keeps a secret an upload needs (the `ICPmm` hash of a filing password), sealed, under
    /// `key` (`order:<id>` or `access:<id>`), replacing any earlier one.
    pub async fn put_bureau_secret(&mut self, key: &str, secret: &str) -> Result<()> {
        let ct = self.store.crypto().seal_str(Field::Outbox, secret);
        sqlx::query("DELETE FROM bureau_secrets WHERE key = $1")
            .bind(key)
            .execute(self.conn())
            .await?;
        sqlx::query("INSERT INTO bureau_secrets (key, secret_ct, created_at) VALUES ($1, $2, $3)")
            .bind(key)
            .bind(ct)
            .bind(self.store.now_ms())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Forgets the secret under `key` (once the upload that needed it was accepted).
    pub async fn delete_bureau_secret(&mut self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM bureau_secrets WHERE key = $1")
            .bind(key)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Records the registry's id of one of our records (`sponsor:<id>`, `website:<id>`,
    /// `access:<id>`), replacing an earlier one.
    pub async fn set_registry_id(&mut self, record: &str, registry_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM registry_ids WHERE record = $1")
            .bind(record)
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO registry_ids (record, registry_id, updated_at) VALUES ($1, $2, $3)",
        )
        .bind(record)
        .bind(registry_id)
        .bind(self.store.now_ms())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records a downloaded file; false (and nothing written) if a file of that name was
    /// recorded before: the caller must then not apply it again.
    pub async fn record_download(&mut self, d: &DownloadRecord) -> Result<bool> {
        let seen = sqlx::query("SELECT 1 AS one FROM bureau_downloads WHERE file_name = $1")
            .bind(&d.file_name)
            .fetch_optional(self.conn())
            .await?;
        if seen.is_some() {
            return Ok(false);
        }
        let ct = self
            .store
            .crypto()
            .seal(Field::Outbox, d.payload.to_string().as_bytes());
        sqlx::query(
            "INSERT INTO bureau_downloads (file_name, category, acted, applied_to, summary, \
             payload_ct, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&d.file_name)
        .bind(&d.category)
        .bind(i64::from(d.acted))
        .bind(&d.applied_to)
        .bind(d.summary.to_string())
        .bind(ct)
        .bind(d.received_at)
        .execute(self.conn())
        .await?;
        Ok(true)
    }

    /// Records an alert once per `dedupe_key`; false if it was recorded before.
    pub async fn raise_alert(
        &mut self,
        kind: &str,
        subject: &str,
        dedupe_key: &str,
        details: &Value,
    ) -> Result<bool> {
        let seen = sqlx::query("SELECT 1 AS one FROM alerts WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(self.conn())
            .await?;
        if seen.is_some() {
            return Ok(false);
        }
        let inserted = sqlx::query(
            "INSERT INTO alerts (id, kind, subject, dedupe_key, details, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(kind)
        .bind(subject)
        .bind(dedupe_key)
        .bind(details.to_string())
        .bind(self.store.now_ms())
        .execute(self.conn())
        .await;
        match inserted.map_err(StoreError::from) {
            Ok(_) => Ok(true),
            // Raised meanwhile by another worker (the caller must roll back: on PostgreSQL
            // the failed statement ends the transaction).
            Err(StoreError::Unique { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl Store {
    /// The registry's id of one of our records, if learnt (see [`Tx::set_registry_id`]).
    pub async fn registry_id(&self, record: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT registry_id FROM registry_ids WHERE record = $1")
            .bind(record)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get("registry_id").map_err(StoreError::from))
            .transpose()
    }

    /// The secret kept under `key`, opened.
    pub async fn bureau_secret(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT secret_ct FROM bureau_secrets WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let ct: Vec<u8> = r.try_get("secret_ct")?;
            self.crypto().open_str(Field::Outbox, &ct)
        })
        .transpose()
    }

    /// Downloaded files, newest first; only those not acted on when `unacted_only`.
    pub async fn bureau_downloads(
        &self,
        unacted_only: bool,
        limit: i64,
    ) -> Result<Vec<DownloadRecord>> {
        let rows = sqlx::query(
            "SELECT file_name, category, acted, applied_to, summary, payload_ct, received_at \
             FROM bureau_downloads WHERE ($1 = 0 OR acted = 0) \
             ORDER BY received_at DESC, file_name LIMIT $2",
        )
        .bind(i64::from(unacted_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let summary: String = r.try_get("summary")?;
                let ct: Vec<u8> = r.try_get("payload_ct")?;
                let plain = self.crypto().open(Field::Outbox, &ct)?;
                let acted: i64 = r.try_get("acted")?;
                Ok(DownloadRecord {
                    file_name: r.try_get("file_name")?,
                    category: r.try_get("category")?,
                    acted: acted != 0,
                    applied_to: r.try_get("applied_to")?,
                    summary: serde_json::from_str(&summary)
                        .map_err(|_| StoreError::Corrupt("bureau_downloads.summary"))?,
                    payload: serde_json::from_slice(&plain)
                        .map_err(|_| StoreError::Corrupt("bureau_downloads.payload"))?,
                    received_at: r.try_get("received_at")?,
                })
            })
            .collect()
    }

    /// The alerts not resolved yet, oldest first (the admins' dashboard).
    pub async fn open_alerts(&self) -> Result<Vec<Alert>> {
        let rows = sqlx::query(
            "SELECT id, kind, subject, details, created_at, resolved_at FROM alerts \
             WHERE resolved_at IS NULL ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let details: String = r.try_get("details")?;
                Ok(Alert {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    subject: r.try_get("subject")?,
                    details: serde_json::from_str(&details)
                        .map_err(|_| StoreError::Corrupt("alerts.details"))?,
                    created_at: r.try_get("created_at")?,
                    resolved_at: r.try_get("resolved_at")?,
                })
            })
            .collect()
    }

    /// Marks an alert resolved.
    pub async fn resolve_alert(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE alerts SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL")
            .bind(self.now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
