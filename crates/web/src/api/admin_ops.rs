//! Admin routes of operations: `GET /admin/outbox?channel=mail|sms|bureau&status=` (the
//! delivery jobs and outbox rows of a channel, recipients masked, errors redacted),
//! `POST /admin/outbox/jobs/{id}/retry` (another run of a job that failed for good,
//! [`beian_platform::admin::retry_job`], as the outbox page's button),
//! `GET /admin/audit?before=&limit=` and `POST /admin/audit/verify` (the hash chain walk of
//! [`beian_store::verify_audit`]), and `GET /admin/dashboard` ([`beian_platform::dashboard`]).

use super::ApiQuery as Query;
use axum::Json;
use axum::extract::State;
use beian_store::audit::{BreakReason, head_file_path};
use beian_store::reports::{JobRow, OutboxRow};
use beian_store::verify_audit as walk_chain;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::admin::admin;
use super::auth::CurrentAccount;
use super::openapi::ErrorBody;
use crate::error::ApiError;
use crate::startup::AppState;
use beian_platform::dashboard::Dashboard;
use beian_platform::notify::{mask_contact, redact};

/// Rows shown per list at most.
pub const LIST_LIMIT: i64 = 200;

/// `?channel=mail|sms|bureau&status=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OutboxQuery {
    /// `mail`, `sms` or `bureau`.
    pub channel: String,
    /// Jobs: `pending`, `running`, `done`, `dead`; outbox rows: `pending`, `sent`, `failed`.
    pub status: Option<String>,
}

/// A delivery job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// When it runs next (Unix milliseconds).
    pub next_run: i64,
    /// The last error, personal data masked.
    pub last_error: Option<String>,
    /// The notification's event, for notification jobs.
    pub event: Option<String>,
    /// The recipient, masked.
    pub to: Option<String>,
    pub created_at: i64,
}

/// An outbox row (its payload is not shown; the recipient masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxView {
    pub id: String,
    pub channel: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub to: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// A channel's jobs and outbox rows, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPage {
    pub channel: String,
    pub jobs: Vec<JobView>,
    pub outbox: Vec<OutboxView>,
}

/// A job as shown to admins (the recipient masked, the error redacted); the outbox page too.
pub fn job_view(j: JobRow) -> JobView {
    let to = j
        .payload
        .get("to")
        .and_then(Value::as_str)
        .map(mask_contact);
    let event = j
        .payload
        .get("notification")
        .and_then(|n| n.get("event"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    JobView {
        id: j.id,
        kind: j.kind,
        status: j.status,
        attempts: j.attempts,
        max_attempts: j.max_attempts,
        next_run: j.due_at,
        last_error: j.last_error.as_deref().map(redact),
        event,
        to,
        created_at: j.created_at,
    }
}

/// An outbox row as shown to admins (the recipient masked, the error redacted).
pub fn outbox_view(r: OutboxRow) -> OutboxView {
    let to = ["to", "mobile", "email"]
        .iter()
        .find_map(|k| r.payload.get(*k).and_then(Value::as_str))
        .map(mask_contact);
    OutboxView {
        id: r.id,
        channel: r.channel,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error.as_deref().map(redact),
        to,
        created_at: r.created_at,
        sent_at: r.sent_at,
    }
}

#[utoipa::path(get, path = "/admin/outbox", tag = "admin", params(OutboxQuery),
    responses(
        (status = 200, body = OutboxPage, description = "jobs and outbox rows of the channel, newest first; recipients masked"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 422, description = "`channel` is not mail, sms or bureau", body = ErrorBody),
    ))]
pub async fn outbox(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<OutboxQuery>,
) -> Result<Json<OutboxPage>, ApiError> {
    admin(&account)?;
    let (jobs, rows) = beian_platform::admin::outbox_listing(
        &state.store,
        &query.channel,
        query.status.as_deref(),
        LIST_LIMIT,
    )
    .await?;
    Ok(Json(OutboxPage {
        channel: query.channel,
        jobs: jobs.into_iter().map(job_view).collect(),
        outbox: rows.into_iter().map(outbox_view).collect(),
    }))
}

#[utoipa::path(post, path = "/admin/outbox/jobs/{id}/retry", tag = "admin",
    params(("id" = String, Path, description = "the job id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 200, body = JobView, description = "back to `pending`, due now, attempts counted afresh"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`job_not_dead`: only a job that failed for good (`dead`) is retried", body = ErrorBody),
    ))]
pub async fn retry_job(
    State(state): State<AppState>,
    account: CurrentAccount,
    super::ApiPath(id): super::ApiPath<String>,
) -> Result<Json<JobView>, ApiError> {
    let actor = admin(&account)?;
    beian_platform::admin::retry_job(&state.store, &actor, &id).await?;
    let job = state.store.job_row(&id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(job_view(job)))
}

/// `?before=SEQ&limit=N` (newest first; 50 by default, at most 200).
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// One audit record (summaries hold no personal data by construction).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The record's chain hash, hex.
    pub hash: String,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub records: Vec<AuditView>,
    /// `before` for the next (older) page; absent at the start of the log.
    pub next_before: Option<i64>,
}

/// The verification's answer: `ok`, or the first bad record and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    pub ok: bool,
    pub records: Option<i64>,
    pub head_seq: Option<i64>,
    /// The first bad record (0 when the break is not about one record).
    pub bad_record: Option<i64>,
    /// `seq_gap`, `prev_hash_mismatch`, `hash_mismatch`, `head_row_mismatch`, `truncated`,
    /// `head_file_mismatch`, `head_file_missing`, `database`.
    pub reason: Option<String>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn summary(s: Option<String>) -> Option<Value> {
    s.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditQuery),
    responses(
        (status = 200, body = AuditPage, description = "newest first"),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn audit(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    admin(&account)?;
    let limit = query.limit.unwrap_or(50).clamp(1, LIST_LIMIT);
    let records = state.store.audit_before(query.before, limit).await?;
    let next_before = records.last().map(|r| r.seq).filter(|seq| *seq > 1);
    Ok(Json(AuditPage {
        records: records
            .into_iter()
            .map(|r| AuditView {
                seq: r.seq,
                at: r.at,
                actor: r.actor,
                action: r.action,
                subject: r.subject,
                before: summary(r.before),
                after: summary(r.after),
                hash: hex(&r.hash),
            })
            .collect(),
        next_before,
    }))
}

fn reason_code(r: &BreakReason) -> &'static str {
    match r {
        BreakReason::SeqGap { .. } => "seq_gap",
        BreakReason::PrevHashMismatch => "prev_hash_mismatch",
        BreakReason::HashMismatch => "hash_mismatch",
        BreakReason::HeadRowMismatch => "head_row_mismatch",
        BreakReason::Truncated { .. } => "truncated",
        BreakReason::HeadFileMismatch => "head_file_mismatch",
        BreakReason::HeadFileMissing => "head_file_missing",
        BreakReason::Database(_) => "database",
    }
}

#[utoipa::path(post, path = "/admin/audit/verify", tag = "admin",
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 200, body = AuditVerification, description = "`ok`, or the first bad record"),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn verify_audit(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<AuditVerification>, ApiError> {
    admin(&account)?;
    let head = head_file_path(&state.store);
    Ok(Json(match walk_chain(&state.store, &head).await {
        Ok(report) => AuditVerification {
            ok: true,
            records: Some(report.records),
            head_seq: Some(report.head_seq),
            bad_record: None,
            reason: None,
        },
        Err(bad) => {
            if let BreakReason::Database(cause) = &bad.reason {
                tracing::error!(error = %cause, "audit verification could not read the database");
            }
            AuditVerification {
                ok: false,
                records: None,
                head_seq: None,
                bad_record: Some(bad.seq),
                reason: Some(reason_code(&bad.reason).to_owned()),
            }
        }
    }))
}

#[utoipa::path(get, path = "/admin/dashboard", tag = "admin",
    responses(
        (status = 200, body = Dashboard),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn dashboard(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<Dashboard>, ApiError> {
    admin(&account)?;
    Ok(Json(state.dashboard.get(&state.store).await?))
}
