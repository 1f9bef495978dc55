//! The provincial bureau's work on submissions: receipt, the SMS check, review decisions and
//! the results queued for `isp_download`. Every function works inside the caller's
//! transaction at the instant it is given.

use beian_core::i18n::{Locale, render};
use beian_core::kind::FilingKind;
use beian_core::province::Province;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::{Row, SqliteConnection};

use crate::codes::ResultCode;
use crate::config::{Config, ReviewMode};
use crate::model::{
    CodedReason, DownloadFile, FilingRequest, FilingResult, Outcome, SubmissionState,
};
use crate::{Error, filing, registry, ts};

/// A submission as the bureau's queue holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    pub id: i64,
    pub provider_id: i64,
    pub kind: FilingKind,
    pub province: String,
    pub upload_ref: String,
    pub state: SubmissionState,
    pub received_at: String,
    pub sms_deadline: Option<String>,
    pub due_at: Option<String>,
    pub decided_at: Option<String>,
    pub codes: Vec<CodedReason>,
    pub reasons: Vec<String>,
    pub request: FilingRequest,
}

/// An officer's decision in manual mode (or the automatic one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Refuse { reasons: Vec<String> },
}

/// What entering an SMS code did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SmsCheck {
    /// The code is right; the filing goes on to review once every person has verified.
    Verified { submission_id: i64 },
    /// Wrong; `remaining` more wrong codes are allowed.
    WrongCode { remaining: u32 },
    /// One wrong code too many: the filing is returned.
    Returned { submission_id: i64 },
    /// The window has passed: the filing is returned.
    Expired { submission_id: i64 },
    /// No filing waits for this mobile's code.
    NoPendingCode,
}

impl SmsCheck {
    /// The message key of the answer shown on the bureau's page.
    pub fn message_key(&self) -> &'static str {
        match self {
            SmsCheck::Verified { .. } => "regulator.sms_check.verified",
            SmsCheck::WrongCode { .. } => "regulator.sms_check.wrong_code",
            SmsCheck::Returned { .. } => "regulator.sms_check.returned",
            SmsCheck::Expired { .. } => "regulator.sms_check.expired",
            SmsCheck::NoPendingCode => "regulator.sms_check.no_pending",
        }
    }
}

fn six_digits(rng: &mut impl Rng) -> String {
    format!("{:06}", rng.random_range(0..1_000_000u32))
}

/// Receives a filing from a provider: into the SMS check when the province rule asks for one,
/// else straight into the review queue. Returns the submission id.
pub async fn receive(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    config: &Config,
    provider_id: i64,
    upload_ref: &str,
    request: &FilingRequest,
    rng: &mut (impl Rng + Send),
) -> Result<i64, Error> {
    let kind = request.kind();
    let province = filing::province_of(conn, request).await?;
    let window = province.and_then(|p| (config.sms_rule)(p, kind, at));
    let mobiles = match window {
        Some(_) => filing::responsible_mobiles(conn, request).await?,
        None => Vec::new(),
    };
    let (state, sms_deadline, due_at) = match window {
        Some(w) if !mobiles.is_empty() => (
            SubmissionState::SmsPending,
            Some(at + config.sms_delay + w),
            None,
        ),
        _ => (SubmissionState::Queued, None, due_for(config, at)),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO submissions (provider_id, kind, province, upload_ref, payload, state, \
         received_at, sms_deadline, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(provider_id)
    .bind(kind.as_str())
    .bind(province.map_or("", |p| p.code()))
    .bind(upload_ref)
    .bind(serde_json::to_string(request)?)
    .bind(state.as_str())
    .bind(ts(at))
    .bind(sms_deadline.map(ts))
    .bind(due_at.map(ts))
    .fetch_one(&mut *conn)
    .await?;
    if let Some(deadline) = sms_deadline {
        for mobile in &mobiles {
            sqlx::query(
                "INSERT INTO sms_codes (purpose, submission_id, mobile, code, send_at, expires_at) \
                 VALUES ('filing', ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(mobile)
            .bind(six_digits(rng))
            .bind(ts(at + config.sms_delay))
            .bind(ts(deadline))
            .execute(&mut *conn)
            .await?;
        }
    }
    registry::record(
        conn,
        at,
        "submission.received",
        &format!("submission:{id}"),
        serde_json::json!({"provider": provider_id, "kind": kind, "state": state, "upload_ref": upload_ref}),
    )
    .await?;
    Ok(id)
}

fn due_for(config: &Config, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match config.review {
        ReviewMode::Auto(delay) => Some(delay.due(from)),
        ReviewMode::Manual => None,
    }
}

/// Sends the SMS codes whose time has come; returns how many texts went out.
pub async fn send_due_texts(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
) -> Result<usize, Error> {
    let rows = sqlx::query(
        "SELECT c.id, c.mobile, c.code, c.expires_at, s.province FROM sms_codes c \
         JOIN submissions s ON s.id = c.submission_id \
         WHERE c.purpose = 'filing' AND c.sent_at IS NULL AND c.closed = 0 AND c.send_at <= ?",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let mobile: String = row.try_get("mobile")?;
        let code: String = row.try_get("code")?;
        let expires: String = row.try_get("expires_at")?;
        let province: String = row.try_get("province")?;
        let bureau = Province::parse(&province).map_or("", |p| p.bureau());
        let deadline = DateTime::parse_from_rfc3339(&expires)
            .map(|t| {
                t.with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or(expires);
        let text = render(
            Locale::ZhCn,
            "regulator.sms.verification_code",
            &[
                ("code", code),
                ("deadline", deadline),
                ("bureau", bureau.to_owned()),
            ],
        );
        registry::text_phone(conn, at, &mobile, &text).await?;
        sqlx::query("UPDATE sms_codes SET sent_at = ? WHERE id = ?")
            .bind(ts(at))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len())
}

/// Returns every submission whose SMS window has passed; returns their ids.
pub async fn expire_sms_windows(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
) -> Result<Vec<i64>, Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM submissions WHERE state = 'sms_pending' AND sms_deadline <= ? ORDER BY id",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?;
    for id in &ids {
        return_submission(conn, at, *id, "regulator.return.sms_expired").await?;
    }
    Ok(ids)
}

/// The bureau's page: a responsible person enters the code texted to `mobile`.
pub async fn enter_sms_code(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    config: &Config,
    mobile: &str,
    code: &str,
) -> Result<SmsCheck, Error> {
    let row = sqlx::query(
        "SELECT c.id, c.submission_id, c.code, c.expires_at, c.wrong_tries FROM sms_codes c \
         JOIN submissions s ON s.id = c.submission_id \
         WHERE c.purpose = 'filing' AND c.mobile = ? AND c.closed = 0 AND c.sent_at IS NOT NULL \
         AND c.verified_at IS NULL AND s.state = 'sms_pending' ORDER BY c.id DESC LIMIT 1",
    )
    .bind(mobile.trim())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(SmsCheck::NoPendingCode);
    };
    let code_id: i64 = row.try_get("id")?;
    let submission_id: i64 = row.try_get("submission_id")?;
    let expected: String = row.try_get("code")?;
    let expires_at: String = row.try_get("expires_at")?;
    let wrong_tries: i64 = row.try_get("wrong_tries")?;
    if expires_at <= ts(at) {
        return_submission(conn, at, submission_id, "regulator.return.sms_expired").await?;
        return Ok(SmsCheck::Expired { submission_id });
    }
    if code.trim() == expected {
        sqlx::query("UPDATE sms_codes SET verified_at = ? WHERE id = ?")
            .bind(ts(at))
            .bind(code_id)
            .execute(&mut *conn)
            .await?;
        let unverified: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sms_codes WHERE submission_id = ? AND verified_at IS NULL",
        )
        .bind(submission_id)
        .fetch_one(&mut *conn)
        .await?;
        if unverified == 0 {
            sqlx::query(
                "UPDATE submissions SET state = 'queued', due_at = ? WHERE id = ? AND state = 'sms_pending'",
            )
            .bind(due_for(config, at).map(ts))
            .bind(submission_id)
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE sms_codes SET closed = 1 WHERE submission_id = ?")
                .bind(submission_id)
                .execute(&mut *conn)
                .await?;
            registry::record(
                conn,
                at,
                "submission.sms_verified",
                &format!("submission:{submission_id}"),
                serde_json::json!({}),
            )
            .await?;
        }
        return Ok(SmsCheck::Verified { submission_id });
    }
    let tries = wrong_tries + 1;
    sqlx::query("UPDATE sms_codes SET wrong_tries = ? WHERE id = ?")
        .bind(tries)
        .bind(code_id)
        .execute(&mut *conn)
        .await?;
    if tries > i64::from(config.sms_max_wrong) {
        return_submission(conn, at, submission_id, "regulator.return.sms_failed").await?;
        return Ok(SmsCheck::Returned { submission_id });
    }
    let remaining = i64::from(config.sms_max_wrong) + 1 - tries;
    Ok(SmsCheck::WrongCode {
        remaining: u32::try_from(remaining).unwrap_or(0),
    })
}

/// Returns a submission before review, with 1002 and the reason of `reason_key`.
async fn return_submission(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    id: i64,
    reason_key: &str,
) -> Result<(), Error> {
    let reason = render(Locale::ZhCn, reason_key, &[]);
    let outcome = Outcome::Returned {
        codes: vec![ResultCode::Refused.into()],
        reasons: vec![reason],
    };
    sqlx::query("UPDATE sms_codes SET closed = 1 WHERE submission_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    finish(conn, at, id, SubmissionState::Returned, outcome).await
}

/// Loads one submission.
pub async fn load(conn: &mut SqliteConnection, id: i64) -> Result<Submission, Error> {
    let row = sqlx::query(
        "SELECT id, provider_id, kind, province, upload_ref, payload, state, received_at, \
         sms_deadline, due_at, decided_at, codes, reasons FROM submissions WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("submission"))?;
    submission_row(&row)
}

fn submission_row(row: &sqlx::sqlite::SqliteRow) -> Result<Submission, Error> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let payload: String = row.try_get("payload")?;
    let codes: String = row.try_get("codes")?;
    let reasons: String = row.try_get("reasons")?;
    Ok(Submission {
        id: row.try_get("id")?,
        provider_id: row.try_get("provider_id")?,
        kind: FilingKind::parse(&kind).ok_or(Error::Corrupt("submission kind"))?,
        province: row.try_get("province")?,
        upload_ref: row.try_get("upload_ref")?,
        state: SubmissionState::parse(&state).ok_or(Error::Corrupt("submission state"))?,
        received_at: row.try_get("received_at")?,
        sms_deadline: row.try_get("sms_deadline")?,
        due_at: row.try_get("due_at")?,
        decided_at: row.try_get("decided_at")?,
        codes: serde_json::from_str(&codes)?,
        reasons: serde_json::from_str(&reasons)?,
        request: serde_json::from_str(&payload)?,
    })
}

/// The submissions in a state (all when `None`), oldest first, at most `limit`.
pub async fn list(
    conn: &mut SqliteConnection,
    state: Option<SubmissionState>,
    limit: i64,
) -> Result<Vec<Submission>, Error> {
    let rows = sqlx::query(
        "SELECT id, provider_id, kind, province, upload_ref, payload, state, received_at, \
         sms_deadline, due_at, decided_at, codes, reasons FROM submissions \
         WHERE (?1 IS NULL OR state = ?1) ORDER BY id LIMIT ?2",
    )
    .bind(state.map(SubmissionState::as_str))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(submission_row).collect()
}

/// The queued submissions whose automatic review is due.
pub async fn due(conn: &mut SqliteConnection, at: DateTime<Utc>) -> Result<Vec<i64>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM submissions WHERE state = 'queued' AND due_at IS NOT NULL AND due_at <= ? \
         ORDER BY due_at, id",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?)
}

/// Decides a queued submission. An approval still goes through the documented rules: a rule
/// that refuses wins over the officer. Returns the outcome sent to the provider.
pub async fn decide(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    id: i64,
    decision: Decision,
    rng: &mut (impl Rng + Send),
) -> Result<Outcome, Error> {
    let submission = load(conn, id).await?;
    if submission.state != SubmissionState::Queued {
        return Err(Error::Conflict("submission is not waiting for review"));
    }
    let (state, outcome) = match decision {
        Decision::Refuse { reasons } => {
            let reasons = if reasons.is_empty() {
                vec![render(Locale::ZhCn, "regulator.refused.by_officer", &[])]
            } else {
                reasons
            };
            (
                SubmissionState::Refused,
                Outcome::Refused {
                    codes: vec![ResultCode::Refused.into()],
                    reasons,
                },
            )
        }
        Decision::Approve => {
            let codes = filing::refusals(conn, submission.provider_id, &submission.request).await?;
            if codes.is_empty() {
                let (numbers, password) =
                    filing::apply(conn, at, submission.provider_id, &submission.request, rng)
                        .await?;
                if let (Some(password), FilingRequest::FirstFiling { sponsor, .. }) =
                    (password, &submission.request)
                {
                    let text = render(
                        Locale::ZhCn,
                        "regulator.sms.filing_approved",
                        &[
                            ("name", sponsor.name.clone()),
                            ("number", numbers.sponsor_number.clone().unwrap_or_default()),
                            ("password", password),
                        ],
                    );
                    registry::text_phone(conn, at, &sponsor.responsible.mobile, &text).await?;
                }
                (SubmissionState::Approved, Outcome::Approved { numbers })
            } else {
                let reasons = codes.iter().map(|c| c.text().to_owned()).collect();
                (
                    SubmissionState::Refused,
                    Outcome::Refused {
                        codes: codes.into_iter().map(CodedReason::from).collect(),
                        reasons,
                    },
                )
            }
        }
    };
    finish(conn, at, id, state, outcome.clone()).await?;
    Ok(outcome)
}

/// Records the end of a submission and queues its result for the provider.
async fn finish(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    id: i64,
    state: SubmissionState,
    outcome: Outcome,
) -> Result<(), Error> {
    let submission = load(conn, id).await?;
    let (codes, reasons) = match &outcome {
        Outcome::Approved { .. } => (vec![CodedReason::from(ResultCode::Approved)], Vec::new()),
        Outcome::Refused { codes, reasons } | Outcome::Returned { codes, reasons } => {
            (codes.clone(), reasons.clone())
        }
    };
    sqlx::query(
        "UPDATE submissions SET state = ?, decided_at = ?, codes = ?, reasons = ? WHERE id = ?",
    )
    .bind(state.as_str())
    .bind(ts(at))
    .bind(serde_json::to_string(&codes)?)
    .bind(serde_json::to_string(&reasons)?)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let result = FilingResult {
        submission_id: Some(id),
        upload_ref: submission.upload_ref.clone(),
        kind: Some(submission.kind),
        outcome,
        decided_at: ts(at),
    };
    let file_name = queue_download(conn, at, submission.provider_id, Some(id), &result).await?;
    registry::record(
        conn,
        at,
        &format!("submission.{}", state.as_str()),
        &format!("submission:{id}"),
        serde_json::json!({"codes": codes, "reasons": reasons, "file": file_name}),
    )
    .await?;
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_key_used_exists() {
        let checks = [
            SmsCheck::Verified { submission_id: 1 },
            SmsCheck::WrongCode { remaining: 1 },
            SmsCheck::Returned { submission_id: 1 },
            SmsCheck::Expired { submission_id: 1 },
            SmsCheck::NoPendingCode,
        ];
        let mut keys: Vec<&str> = checks.iter().map(SmsCheck::message_key).collect();
        keys.extend([
            "regulator.sms.verification_code",
            "regulator.sms.filing_approved",
            "regulator.sms.recovery_code",
            "regulator.sms.new_password",
            "regulator.return.sms_expired",
            "regulator.return.sms_failed",
            "regulator.refused.by_officer",
        ]);
        for key in keys {
            assert!(beian_core::i18n::has_key(key), "{key}");
        }
    }
}
