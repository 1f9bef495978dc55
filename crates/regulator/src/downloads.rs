//! Results waiting for a provider's `isp_download`, handed out again on every call until the
//! provider acknowledges them (`isp_downloadack`).

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use crate::model::{DownloadFile, FilingResult};
use crate::{Error, ts};

/// Queues a result for the provider's `isp_download`; returns the file name it goes by.
pub async fn queue_download(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    provider_id: i64,
    submission_id: Option<i64>,
    result: &FilingResult,
) -> Result<String, Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO downloads (provider_id, submission_id, file_name, payload, created_at) \
         VALUES (?, ?, '', ?, ?) RETURNING id",
    )
    .bind(provider_id)
    .bind(submission_id)
    .bind(serde_json::to_string(result)?)
    .bind(ts(at))
    .fetch_one(&mut *conn)
    .await?;
    let file_name = format!("{provider_id}_{}_{id:010}.xml", at.format("%Y%m%d%H%M%S"));
    sqlx::query("UPDATE downloads SET file_name = ? WHERE id = ?")
        .bind(&file_name)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(file_name)
}

/// The oldest result not yet acknowledged by the provider, and how many wait in all. Each
/// call hands it out again until [`ack_download`].
pub async fn next_download(
    conn: &mut SqliteConnection,
    provider_id: i64,
) -> Result<Option<(DownloadFile, u32)>, Error> {
    let row = sqlx::query(
        "SELECT id, file_name, payload, sent_count FROM downloads \
         WHERE provider_id = ? AND acked_at IS NULL ORDER BY id LIMIT 1",
    )
    .bind(provider_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id: i64 = row.try_get("id")?;
    let payload: String = row.try_get("payload")?;
    let sent_count: i64 = row.try_get("sent_count")?;
    sqlx::query("UPDATE downloads SET sent_count = sent_count + 1 WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM downloads WHERE provider_id = ? AND acked_at IS NULL",
    )
    .bind(provider_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some((
        DownloadFile {
            file_name: row.try_get("file_name")?,
            result: serde_json::from_str(&payload)?,
            sent_before: u32::try_from(sent_count).unwrap_or(u32::MAX),
        },
        u32::try_from(waiting).unwrap_or(u32::MAX),
    )))
}

/// The provider acknowledges a downloaded file; false when it named no pending file of its own.
pub async fn ack_download(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    provider_id: i64,
    file_name: &str,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE downloads SET acked_at = ? WHERE provider_id = ? AND file_name = ? AND acked_at IS NULL",
    )
    .bind(ts(at))
    .bind(provider_id)
    .bind(file_name)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
