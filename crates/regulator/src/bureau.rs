//! The provincial bureau's work on submissions: receipt, review decisions, and the end of a
//! submission whose result is queued for `isp_download`. The SMS check is in [`crate::sms`],
//! the download queue in [`crate::downloads`]. Every function works inside the caller's
//! transaction at the instant it is given.

use beian_core::i18n::{Locale, render};
use beian_core::kind::FilingKind;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::{Row, SqliteConnection};

use crate::config::{Config, ReviewMode};
use crate::crypto::{Field, RegistryCrypto};
use crate::downloads::queue_download;
use crate::model::{CodedReason, FilingRequest, FilingResult, Outcome, SubmissionState};
pub use crate::sms::SmsCheck;
use crate::{Error, filing, registry, ts};
use beian_miit::v3::results::ResultCode;
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

pub(crate) fn six_digits(rng: &mut impl Rng) -> String {
    format!("{:06}", rng.random_range(0..1_000_000u32))
}

/// Receives a filing from a provider: into the SMS check when the province rule asks for one,
/// else straight into the review queue. Returns the submission id.
pub async fn receive(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    config: &Config,
    provider_id: i64,
    upload_ref: &str,
    request: &FilingRequest,
) -> Result<i64, Error> {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let kind = request.kind();
    let province = filing::province_of(conn, request).await?;
    let window = province.and_then(|p| (config.sms_rule)(p, kind, at));
    let mobiles = match window {
        Some(_) => filing::responsible_mobiles(conn, crypto, request).await?,
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
    let payload = serde_json::to_string(request)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO submissions (provider_id, kind, province, upload_ref, payload, \
         payload_digest, state, received_at, sms_deadline, due_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(provider_id)
    .bind(kind.as_str())
    .bind(province.map_or("", |p| p.code()))
    .bind(upload_ref)
    .bind(crypto.seal(Field::Filing, &payload))
    .bind(crypto.digest(Field::Filing, payload.as_bytes()))
    .bind(state.as_str())
    .bind(ts(at))
    .bind(sms_deadline.map(ts))
    .bind(due_at.map(ts))
    .fetch_one(&mut *conn)
    .await?;
    if let Some(deadline) = sms_deadline {
        for mobile in &mobiles {
            sqlx::query(
                "INSERT INTO sms_codes (purpose, submission_id, mobile, mobile_index, code, \
                 send_at, expires_at) VALUES ('filing', ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(crypto.seal(Field::Mobile, mobile))
            .bind(crypto.blind(Field::Mobile, mobile))
            .bind(six_digits(&mut rng))
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

pub(crate) fn due_for(config: &Config, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match config.review {
        ReviewMode::Auto(delay) => Some(delay.due(from)),
        ReviewMode::Manual => None,
    }
}

/// Returns a submission before review, with 1002 and the reason of `reason_key`.
pub(crate) async fn return_submission(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    id: i64,
    reason_key: &str,
) -> Result<(), Error> {
    let reason = render(Locale::ZhCn, reason_key, &[]);
    let outcome = Outcome::Returned {
        codes: vec![ResultCode::BureauRejected.into()],
        reasons: vec![reason],
    };
    sqlx::query("UPDATE sms_codes SET closed = 1 WHERE submission_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    finish(conn, crypto, at, id, SubmissionState::Returned, outcome).await
}

/// Loads one submission.
pub async fn load(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    id: i64,
) -> Result<Submission, Error> {
    let row = sqlx::query(
        "SELECT id, provider_id, kind, province, upload_ref, payload, state, received_at, \
         sms_deadline, due_at, decided_at, codes, reasons FROM submissions WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("submission"))?;
    submission_row(crypto, &row)
}

fn submission_row(
    crypto: &RegistryCrypto,
    row: &sqlx::sqlite::SqliteRow,
) -> Result<Submission, Error> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let payload = crypto.open(Field::Filing, &row.try_get::<String, _>("payload")?)?;
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
    crypto: &RegistryCrypto,
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
    rows.iter().map(|r| submission_row(crypto, r)).collect()
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
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    id: i64,
    decision: Decision,
    rng: &mut (impl Rng + Send),
) -> Result<Outcome, Error> {
    let submission = load(conn, crypto, id).await?;
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
                    codes: vec![ResultCode::BureauRejected.into()],
                    reasons,
                },
            )
        }
        Decision::Approve => {
            let codes =
                filing::refusals(conn, crypto, submission.provider_id, &submission.request).await?;
            if codes.is_empty() {
                let (numbers, password) = crate::approve::apply(
                    conn,
                    crypto,
                    at,
                    submission.provider_id,
                    &submission.request,
                    rng,
                )
                .await?;
                if let (
                    Some(password),
                    FilingRequest::FirstFiling { sponsor, .. }
                    | FilingRequest::FirstFilingApp { sponsor, .. },
                ) = (password, &submission.request)
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
                    registry::text_phone(conn, crypto, at, &sponsor.responsible.mobile, &text)
                        .await?;
                }
                (SubmissionState::Approved, Outcome::Approved { numbers })
            } else {
                let reasons = codes
                    .iter()
                    .map(|c| c.description_zh().to_owned())
                    .collect();
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
    finish(conn, crypto, at, id, state, outcome.clone()).await?;
    Ok(outcome)
}

/// Records the end of a submission and queues its result for the provider.
async fn finish(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    id: i64,
    state: SubmissionState,
    outcome: Outcome,
) -> Result<(), Error> {
    let submission = load(conn, crypto, id).await?;
    let (codes, reasons) = match &outcome {
        Outcome::Approved { .. } => (
            vec![CodedReason::from(ResultCode::BureauApproved)],
            Vec::new(),
        ),
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
