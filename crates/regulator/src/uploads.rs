//! The uploads a provider's `isp_upload` delivered (their `dataSequence` and transfer fields,
//! for `isp_querypreviousupload`), and results for upload files the bureau cannot process.
//! The transfer fields carry the filing document: they are kept sealed ([`Field::Filing`]).

use serde::{Deserialize, Serialize};

use crate::crypto::Field;
use crate::model::{CodedReason, FilingResult, Outcome};
use crate::{Error, Regulator, registry, ts};

/// An upload as [`Regulator::record_upload`] kept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoredUpload {
    pub sequence: i64,
    pub file_name: String,
    /// The transfer fields, as the SOAP adapter serialised them (opened: the table keeps
    /// them sealed).
    pub transfer: String,
    pub received_at: String,
}

impl Regulator {
    /// [`Error::Conflict`] when `sequence` is not above the provider's last recorded upload:
    /// checked before an upload's records are submitted.
    pub async fn check_sequence(&self, provider_id: i64, sequence: i64) -> Result<(), Error> {
        let mut conn = self.read().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(sequence) FROM uploads WHERE provider_id = ?")
                .bind(provider_id)
                .fetch_one(&mut *conn)
                .await?;
        if last.is_some_and(|last| sequence <= last) {
            return Err(Error::Conflict("dataSequence is not above the last one"));
        }
        Ok(())
    }

    /// `isp_upload`, once its records are submitted: remembers the upload's `dataSequence`,
    /// file name and transfer fields (opaque text chosen by the SOAP adapter). Refused with
    /// [`Error::Conflict`] when the sequence is not above the last one.
    pub async fn record_upload(
        &self,
        provider_id: i64,
        sequence: i64,
        file_name: &str,
        transfer: &str,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(sequence) FROM uploads WHERE provider_id = ?")
                .bind(provider_id)
                .fetch_one(&mut *tx)
                .await?;
        if last.is_some_and(|last| sequence <= last) {
            return Err(Error::Conflict("dataSequence is not above the last one"));
        }
        sqlx::query(
            "INSERT INTO uploads (provider_id, sequence, file_name, transfer, received_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(provider_id)
        .bind(sequence)
        .bind(file_name)
        .bind(self.crypto().seal(Field::Filing, transfer))
        .bind(ts(self.now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `isp_querypreviousupload` (and the account's last sequence): the provider's last
    /// upload as recorded by [`Regulator::record_upload`].
    pub async fn last_upload(&self, provider_id: i64) -> Result<Option<StoredUpload>, Error> {
        let mut conn = self.read().await?;
        let last: Option<StoredUpload> = sqlx::query_as(
            "SELECT sequence, file_name, transfer, received_at FROM uploads \
             WHERE provider_id = ? ORDER BY sequence DESC LIMIT 1",
        )
        .bind(provider_id)
        .fetch_optional(&mut *conn)
        .await?;
        last.map(|u| {
            Ok(StoredUpload {
                transfer: self.crypto().open(Field::Filing, &u.transfer)?,
                ..u
            })
        })
        .transpose()
    }

    /// An upload file the bureau cannot process (schema, version, requesting unit: codes
    /// 5001, 5003, 5004…): its result is queued for `isp_download` like a decision.
    pub async fn report_upload_problem(
        &self,
        provider_id: i64,
        upload_ref: &str,
        code: u32,
        text: &str,
    ) -> Result<String, Error> {
        let at = self.now();
        let result = FilingResult {
            submission_id: None,
            upload_ref: upload_ref.to_owned(),
            kind: None,
            outcome: Outcome::Refused {
                codes: vec![CodedReason {
                    code,
                    text: text.to_owned(),
                }],
                reasons: Vec::new(),
            },
            decided_at: ts(at),
        };
        let mut tx = self.write().await?;
        let file =
            crate::downloads::queue_download(&mut tx, at, provider_id, None, &result).await?;
        registry::record(
            &mut tx,
            at,
            "upload.problem",
            &format!("provider:{provider_id}"),
            serde_json::json!({"code": code, "file": file}),
        )
        .await?;
        tx.commit().await?;
        Ok(file)
    }
}
