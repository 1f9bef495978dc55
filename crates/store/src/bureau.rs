//! Submission to the bureau, as stored: the `dataSequence` counter and the upload files
//! (sealed, kept 3 months, then purged). The downloaded files, alerts, secrets and registry
//! ids are in [`crate::bureau_records`].
//!
//! `dataSequence` is gap-free by construction: [`Tx::next_upload_sequence`] takes the next
//! number from the one-row counter `bureau_sequence` in the transaction that inserts the
//! upload ([`Tx::insert_upload`]), so a number exists only with its file (a rolled-back
//! transaction gives it back); a failed send retries the same row (same number, same file).
//! The uploads are sent in number order ([`Store::pending_uploads`]).
//!
//! An order abandoned after its upload was numbered ([`Tx::withdraw_upload`]): the upload is
//! withdrawn (deleted, its number given back) only while no sender has begun it
//! ([`Store::begin_upload_try`] stamps `tried_at` before the bureau is called) and it holds
//! the last number; otherwise it is sent like any other, so the numbers stay gap-free.

use sqlx::Row;

use crate::audit::AuditEntry;
pub use crate::bureau_records::{Alert, DownloadRecord};
use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::Result;

/// How long an upload file is kept (the spec asks for 3 months): 92 days.
pub const UPLOAD_RETENTION_MS: i64 = 92 * 24 * 3600 * 1000;

/// A new upload file to record.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUpload<'a> {
    /// What the upload is for, unique: one upload per key (e.g. `order:<id>:v<version>`).
    pub job_key: &'a str,
    pub order_id: Option<&'a str>,
    pub access_id: Option<&'a str>,
    /// The APP access it cancels (取消接入 of an APP, issue 18).
    pub app_access_id: Option<&'a str>,
    /// The V3.0 operation type `Czlx` of its record.
    pub operation: i64,
    /// The result identifier `Bs` the bureau's result will carry.
    pub subject: &'a str,
    /// The GBK XML document (personal data: sealed at rest).
    pub xml: &'a [u8],
}

impl std::fmt::Debug for NewUpload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUpload")
            .field("job_key", &self.job_key)
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

/// A stored upload file.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub sequence: i64,
    pub file_name: String,
    pub job_key: String,
    pub order_id: Option<String>,
    pub access_id: Option<String>,
    /// The APP access it cancels (取消接入 of an APP).
    pub app_access_id: Option<String>,
    pub operation: i64,
    pub subject: String,
    /// The GBK XML document, opened.
    pub xml: Vec<u8>,
    /// `pending` or `sent`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// When a sender first began it (before calling the bureau); `None`: never begun.
    pub tried_at: Option<i64>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("sequence", &self.sequence)
            .field("file_name", &self.file_name)
            .field("job_key", &self.job_key)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

const UPLOAD_COLS: &str = "id, sequence, file_name, job_key, order_id, access_id, \
    app_access_id, operation, subject, xml_ct, status, attempts, last_error, created_at, sent_at, \
    tried_at";

fn upload_of(store: &Store, r: &sqlx::any::AnyRow) -> Result<Upload> {
    let ct: Vec<u8> = r.try_get("xml_ct")?;
    Ok(Upload {
        id: r.try_get("id")?,
        sequence: r.try_get("sequence")?,
        file_name: r.try_get("file_name")?,
        job_key: r.try_get("job_key")?,
        order_id: r.try_get("order_id")?,
        access_id: r.try_get("access_id")?,
        app_access_id: r.try_get("app_access_id")?,
        operation: r.try_get("operation")?,
        subject: r.try_get("subject")?,
        xml: store.crypto().open(Field::Outbox, &ct)?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
        tried_at: r.try_get("tried_at")?,
    })
}

/// The upload file name for `sequence` (`<isp>_<yyyymmddhhmmss>_<sequence>.xml`).
pub fn upload_file_name(isp_id: i64, at_ms: i64, sequence: i64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default();
    format!("{isp_id}_{}_{sequence:010}.xml", at.format("%Y%m%d%H%M%S"))
}

impl Tx {
    /// Allocates the next `dataSequence`, in this transaction: the counter row stays locked
    /// until commit, so concurrent workers take turns, and a rolled-back transaction gives
    /// the number back. Record the upload with [`Tx::insert_upload`] in the same transaction.
    pub async fn next_upload_sequence(&mut self) -> Result<i64> {
        Ok(sqlx::query(
            "UPDATE bureau_sequence SET last_sequence = last_sequence + 1 WHERE id = 'upload' \
             RETURNING last_sequence",
        )
        .fetch_one(self.conn())
        .await?
        .try_get("last_sequence")?)
    }

    /// Records the upload numbered `sequence` (from [`Tx::next_upload_sequence`]).
    /// `Unique { bureau_uploads_job_key_key }` if `job_key` already has an upload.
    pub async fn insert_upload(
        &mut self,
        isp_id: i64,
        sequence: i64,
        u: &NewUpload<'_>,
    ) -> Result<Upload> {
        let id = new_id();
        let now = self.store.now_ms();
        let file_name = upload_file_name(isp_id, now, sequence);
        let ct = self.store.crypto().seal(Field::Outbox, u.xml);
        sqlx::query(
            "INSERT INTO bureau_uploads (id, sequence, file_name, job_key, order_id, access_id, \
             app_access_id, operation, subject, xml_ct, status, attempts, created_at, \
             keep_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $12)",
        )
        .bind(&id)
        .bind(sequence)
        .bind(&file_name)
        .bind(u.job_key)
        .bind(u.order_id)
        .bind(u.access_id)
        .bind(u.app_access_id)
        .bind(u.operation)
        .bind(u.subject)
        .bind(ct)
        .bind(now)
        .bind(now.saturating_add(UPLOAD_RETENTION_MS))
        .execute(self.conn())
        .await?;
        Ok(Upload {
            id,
            sequence,
            file_name,
            job_key: u.job_key.to_owned(),
            order_id: u.order_id.map(str::to_owned),
            access_id: u.access_id.map(str::to_owned),
            app_access_id: u.app_access_id.map(str::to_owned),
            operation: u.operation,
            subject: u.subject.to_owned(),
            xml: u.xml.to_vec(),
            status: "pending".to_owned(),
            attempts: 0,
            last_error: None,
            created_at: now,
            sent_at: None,
            tried_at: None,
        })
    }

    /// Marks a pending upload accepted by the bureau; false if it was not pending (another
    /// worker marked it first).
    pub async fn mark_upload_sent(&mut self, id: &str) -> Result<bool> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE bureau_uploads SET status = 'sent', sent_at = $1 \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Takes the `dataSequence` counter's row lock for the rest of this transaction without
    /// moving it, and returns the last number allocated. Until commit no upload can be
    /// numbered (on PostgreSQL [`Tx::next_upload_sequence`] waits on the row; on SQLite the
    /// transaction is the one writer), and every upload numbered before is committed and
    /// visible to this transaction's next statements.
    pub async fn lock_upload_sequence(&mut self) -> Result<i64> {
        Ok(sqlx::query(
            "UPDATE bureau_sequence SET last_sequence = last_sequence WHERE id = 'upload' \
             RETURNING last_sequence",
        )
        .fetch_one(self.conn())
        .await?
        .try_get("last_sequence")?)
    }

    /// The order's upload not yet accepted, if any, read in this transaction (after
    /// [`Tx::lock_upload_sequence`], no new one can appear before commit).
    pub async fn pending_upload_of_order(&mut self, order_id: &str) -> Result<Option<Upload>> {
        let row = sqlx::query(sql!(
            "SELECT {UPLOAD_COLS} FROM bureau_uploads WHERE order_id = $1 \
             AND status = 'pending' ORDER BY sequence LIMIT 1"
        ))
        .bind(order_id)
        .fetch_optional(self.conn())
        .await?;
        let store = self.store.clone();
        row.map(|r| upload_of(&store, &r)).transpose()
    }

    /// Withdraws the upload `id` numbered `sequence` of an abandoned order, if that is still
    /// safe for the gap-free numbering: it holds the last number allocated, is pending and
    /// no sender has begun it (`tried_at` unset, no failed try), so the bureau cannot have
    /// it. Its row is deleted and its number given back (the next upload takes it), with an
    /// audit record by `actor`. False, and nothing changed, otherwise: then it must still be
    /// sent (docs/bureau-interop.md, "Abandoned after approval").
    ///
    /// Call it after [`Tx::lock_upload_sequence`]. A sender begins an upload with one
    /// statement on its row ([`Store::begin_upload_try`]); the row lock orders the two: a
    /// begun try makes the delete miss, and a committed delete makes the begin miss (the
    /// sender then skips it).
    pub async fn withdraw_upload(&mut self, actor: &str, id: &str, sequence: i64) -> Result<bool> {
        let gone = sqlx::query(
            "DELETE FROM bureau_uploads WHERE id = $1 AND sequence = $2 \
             AND status = 'pending' AND tried_at IS NULL AND attempts = 0 \
             AND sequence = (SELECT last_sequence FROM bureau_sequence WHERE id = 'upload')",
        )
        .bind(id)
        .bind(sequence)
        .execute(self.conn())
        .await?;
        if gone.rows_affected() != 1 {
            return Ok(false);
        }
        let counter = sqlx::query(
            "UPDATE bureau_sequence SET last_sequence = last_sequence - 1 \
             WHERE id = 'upload' AND last_sequence = $1",
        )
        .bind(sequence)
        .execute(self.conn())
        .await?;
        if counter.rows_affected() != 1 {
            // Not reached under the counter lock; never leave a gap.
            return Err(crate::error::StoreError::Conflict {
                what: "upload sequence",
            });
        }
        self.append_audit(
            AuditEntry::new(actor, "bureau.upload_withdrawn", format!("upload:{id}"))
                .before(serde_json::json!({ "data_sequence": sequence, "status": "pending" }))
                .after(serde_json::json!({ "data_sequence_given_back": sequence })),
        );
        Ok(true)
    }
}

impl Store {
    /// The upload recorded for `job_key`, if any.
    pub async fn upload_by_key(&self, job_key: &str) -> Result<Option<Upload>> {
        let row = sqlx::query(sql!(
            "SELECT {UPLOAD_COLS} FROM bureau_uploads WHERE job_key = $1"
        ))
        .bind(job_key)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| upload_of(self, &r)).transpose()
    }

    /// The newest accepted upload whose record has `operation` and result identifier
    /// `subject` (what a result names), if any.
    pub async fn sent_upload_by_subject(
        &self,
        operation: i64,
        subject: &str,
    ) -> Result<Option<Upload>> {
        let row = sqlx::query(sql!(
            "SELECT {UPLOAD_COLS} FROM bureau_uploads WHERE operation = $1 AND subject = $2 \
             AND status = 'sent' ORDER BY sequence DESC LIMIT 1"
        ))
        .bind(operation)
        .bind(subject)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| upload_of(self, &r)).transpose()
    }

    /// Uploads not yet accepted, lowest `dataSequence` first (the order they must be sent in).
    pub async fn pending_uploads(&self, limit: i64) -> Result<Vec<Upload>> {
        let rows = sqlx::query(sql!(
            "SELECT {UPLOAD_COLS} FROM bureau_uploads WHERE status = 'pending' \
             ORDER BY sequence LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| upload_of(self, r)).collect()
    }

    /// Every upload, lowest `dataSequence` first (admins' outbox page, tests).
    pub async fn uploads(&self, limit: i64) -> Result<Vec<Upload>> {
        let rows = sqlx::query(sql!(
            "SELECT {UPLOAD_COLS} FROM bureau_uploads ORDER BY sequence LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| upload_of(self, r)).collect()
    }

    /// Uploads of an order, oldest first.
    pub async fn uploads_of_order(&self, order_id: &str) -> Result<Vec<Upload>> {
        let rows = sqlx::query(sql!(
            "SELECT {UPLOAD_COLS} FROM bureau_uploads WHERE order_id = $1 ORDER BY sequence"
        ))
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| upload_of(self, r)).collect()
    }

    /// A sender begins a try of the pending upload `id`: stamps `tried_at` (the first time)
    /// before the bureau is called, so it can no longer be withdrawn. False when it is no
    /// longer pending (withdrawn, or accepted meanwhile): then it must not be sent.
    pub async fn begin_upload_try(&self, id: &str) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE bureau_uploads SET tried_at = COALESCE(tried_at, $1) \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(self.now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Records a failed send of an upload (the error free of personal data).
    pub async fn note_upload_failure(&self, id: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE bureau_uploads SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
        )
        .bind(error)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Deletes sent upload files whose 3 months are over; returns how many.
    pub async fn purge_expired_uploads(&self) -> Result<u64> {
        let res =
            sqlx::query("DELETE FROM bureau_uploads WHERE status = 'sent' AND keep_until <= $1")
                .bind(self.now_ms())
                .execute(self.pool())
                .await?;
        Ok(res.rows_affected())
    }

    /// The last `dataSequence` allocated (0 when none).
    pub async fn last_upload_sequence(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT last_sequence FROM bureau_sequence WHERE id = 'upload'")
                .fetch_one(self.pool())
                .await?
                .try_get("last_sequence")?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_sequence() {
        let cases = [
            (1, 0, 1, "1_19700101000000_0000000001.xml"),
            (7, 1_700_000_000_000, 42, "7_20231114221320_0000000042.xml"),
        ];
        for (isp, at, seq, want) in cases {
            assert_eq!(upload_file_name(isp, at, seq), want);
        }
    }
}
