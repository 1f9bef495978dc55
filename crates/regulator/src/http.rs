//! The simulator's HTTP surface: the public ICP query, the bureau's SMS page and password
//! recovery, and the simulator-only endpoints of API.md (phone inbox, clock, reviews).
//! [`router`] is every route (`beian regulator serve`); `beian serve` mounts [`public_router`]
//! always and [`control_router`] (phone inbox, clock, reviews, console) only in demo and test
//! mode, behind its own operator check.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use beian_core::i18n::{Locale, render};
use serde::Deserialize;

use crate::bureau::Decision;
use crate::model::SubmissionState;
use crate::query::PublicQuery;
use crate::{Error, Regulator, pages};

/// Every route of the simulator, over `regulator`.
pub fn router(regulator: Regulator) -> Router {
    public_router(regulator.clone()).merge(control_router(regulator))
}

/// What a real bureau also offers the public: the ICP query, the SMS page, password recovery.
pub fn public_router(regulator: Regulator) -> Router {
    Router::new()
        .route("/miit/query", get(public_query))
        .route("/bureau/sms-verification", get(sms_page).post(sms_enter))
        .route(
            "/bureau/password-recovery",
            get(recovery_page).post(recovery_request),
        )
        .route("/bureau/password-recovery/confirm", post(recovery_confirm))
        .with_state(regulator)
}

/// The simulator's controls under `/sim`: anyone's texts, the clock, every submission and
/// its decision. Never for the public: the caller mounts them behind an operator check.
pub fn control_router(regulator: Regulator) -> Router {
    Router::new()
        .route("/sim/phone-inbox", get(phone_inbox))
        .route("/sim/clock", get(clock_now))
        .route("/sim/clock/advance", post(clock_advance))
        .route("/sim/bureau/reviews", get(reviews))
        .route("/sim/bureau/reviews/{id}/decide", post(decide))
        .route("/sim/bureau/console", get(console))
        .route("/sim/bureau/console/{id}", post(console_decide))
        .with_state(regulator)
}

/// An error answered as API.md's JSON error; internal causes are logged, not sent.
struct ApiError(StatusCode, &'static str, String);

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        match error {
            Error::NotFound(what) => ApiError(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no such {what}"),
            ),
            Error::Conflict(what) => ApiError(StatusCode::CONFLICT, "conflict", what.to_owned()),
            Error::Clock(e) => ApiError(StatusCode::CONFLICT, "clock", e.to_string()),
            Error::QueryTooShort { min } => ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "sponsor_too_short",
                format!("sponsor: 主体名称至少输入 {min} 个字 / give at least {min} characters"),
            ),
            Error::QueryTooBroad => ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "query_too_broad",
                "sponsor: 查询范围过大，请输入更多字 / the query matches too much: type more"
                    .to_owned(),
            ),
            other => {
                tracing::error!(error = %other, "regulator request failed");
                ApiError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".to_owned(),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.1, "message": self.2}});
        (self.0, Json(body)).into_response()
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn locale(headers: &HeaderMap) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Locale::ZhCn, |v| {
            Locale::from_tag(v.split(',').next().unwrap_or(""))
        })
}

#[derive(Debug, Deserialize)]
struct QueryParams {
    domain: Option<String>,
    number: Option<String>,
    sponsor: Option<String>,
    /// An APP's name (a substring) or its number (`-NA`) or its sponsor's number: the
    /// ministry's query with `serviceType` 6. Answered as JSON `{apps: [...]}`.
    app: Option<String>,
}

async fn public_query(
    State(r): State<Regulator>,
    headers: HeaderMap,
    Query(p): Query<QueryParams>,
) -> Result<Response, ApiError> {
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    if let Some(a) = nonempty(p.app) {
        let apps = r.public_app_query(&a).await?;
        return Ok(Json(serde_json::json!({ "apps": apps })).into_response());
    }
    let q = if let Some(d) = nonempty(p.domain) {
        Some(PublicQuery::Domain(d))
    } else if let Some(n) = nonempty(p.number) {
        Some(PublicQuery::Number(n))
    } else {
        nonempty(p.sponsor).map(PublicQuery::Sponsor)
    };
    let records = match &q {
        Some(q) => r.public_query(q).await?,
        None if wants_json(&headers) => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                "query_required",
                "give domain, number or sponsor".to_owned(),
            ));
        }
        None => Vec::new(),
    };
    if wants_json(&headers) {
        // Serialised straight from the records, not through a `serde_json::Value` tree.
        #[derive(serde::Serialize)]
        struct Records<'a> {
            records: &'a [crate::query::PublicRecord],
        }
        Ok(Json(Records { records: &records }).into_response())
    } else {
        Ok(Html(pages::query(locale(&headers), &records, q.is_some())).into_response())
    }
}

async fn sms_page(headers: HeaderMap) -> Html<String> {
    Html(pages::sms_form(locale(&headers), None))
}

#[derive(Debug, Deserialize)]
struct SmsForm {
    mobile: String,
    code: String,
}

async fn sms_enter(
    State(r): State<Regulator>,
    headers: HeaderMap,
    Form(form): Form<SmsForm>,
) -> Result<Response, ApiError> {
    let check = r.enter_sms_code(&form.mobile, &form.code).await?;
    let args = match &check {
        crate::bureau::SmsCheck::WrongCode { remaining } => {
            vec![("remaining", remaining.to_string())]
        }
        _ => Vec::new(),
    };
    let locale = locale(&headers);
    let message = render(locale, check.message_key(), &args);
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({"check": check, "message": message})).into_response());
    }
    Ok(Html(pages::sms_form(locale, Some(&message))).into_response())
}

async fn recovery_page(headers: HeaderMap) -> Html<String> {
    Html(pages::recovery_form(locale(&headers), None))
}

#[derive(Debug, Deserialize)]
struct RecoveryForm {
    number: String,
    code: Option<String>,
}

async fn recovery_request(
    State(r): State<Regulator>,
    headers: HeaderMap,
    Form(form): Form<RecoveryForm>,
) -> Result<Html<String>, ApiError> {
    let key = if r.request_password_recovery(&form.number).await? {
        "regulator.page.recovery_sent"
    } else {
        "regulator.page.recovery_failed"
    };
    let locale = locale(&headers);
    Ok(Html(pages::recovery_form(
        locale,
        Some(&render(locale, key, &[])),
    )))
}

async fn recovery_confirm(
    State(r): State<Regulator>,
    headers: HeaderMap,
    Form(form): Form<RecoveryForm>,
) -> Result<Html<String>, ApiError> {
    let code = form.code.unwrap_or_default();
    let key = if r.recover_password(&form.number, &code).await? {
        "regulator.page.recovery_done"
    } else {
        "regulator.page.recovery_failed"
    };
    let locale = locale(&headers);
    Ok(Html(pages::recovery_form(
        locale,
        Some(&render(locale, key, &[])),
    )))
}

#[derive(Debug, Deserialize)]
struct InboxParams {
    #[serde(default)]
    mobile: String,
}

/// The texts sent to a mobile: JSON, or the inbox page for a browser (`Accept: text/html`).
async fn phone_inbox(
    State(r): State<Regulator>,
    headers: HeaderMap,
    Query(p): Query<InboxParams>,
) -> Result<Response, ApiError> {
    let texts = r.phone_inbox(&p.mobile).await?;
    let wants_page = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_page {
        return Ok(Html(pages::phone_inbox(locale(&headers), &p.mobile, &texts)).into_response());
    }
    Ok(Json(serde_json::json!({ "texts": texts })).into_response())
}

async fn clock_now(State(r): State<Regulator>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "now": crate::ts(r.now()),
        "simulated": r.clock().simulated().is_some(),
    }))
}

#[derive(Debug, Deserialize)]
struct Advance {
    minutes: i64,
}

async fn clock_advance(
    State(r): State<Regulator>,
    Json(body): Json<Advance>,
) -> Result<Response, ApiError> {
    let Some(clock) = r.clock().simulated() else {
        return Err(Error::Clock(crate::clock::ClockError::NotSimulated).into());
    };
    let now = clock.advance_minutes(body.minutes).map_err(Error::from)?;
    // Kept before the answer, so a restart after it resumes from here.
    r.keep_clock(now)?;
    // Let what became due happen before answering, so the caller sees its effects.
    let report = r.tick().await?;
    Ok(Json(serde_json::json!({"now": crate::ts(now), "tick": report})).into_response())
}

#[derive(Debug, Deserialize)]
struct ReviewParams {
    state: Option<String>,
}

async fn reviews(
    State(r): State<Regulator>,
    Query(p): Query<ReviewParams>,
) -> Result<Response, ApiError> {
    let state = match p.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(SubmissionState::parse(s).ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                "bad_state",
                format!("unknown state {s}"),
            )
        })?),
    };
    let list = r.reviews(state).await?;
    Ok(Json(serde_json::json!({ "reviews": list })).into_response())
}

#[derive(Debug, Deserialize)]
struct DecideBody {
    approve: bool,
    #[serde(default)]
    reasons: Vec<String>,
}

fn decision(approve: bool, reasons: Vec<String>) -> Decision {
    if approve {
        Decision::Approve
    } else {
        Decision::Refuse { reasons }
    }
}

async fn decide(
    State(r): State<Regulator>,
    Path(id): Path<i64>,
    Json(body): Json<DecideBody>,
) -> Result<Response, ApiError> {
    let outcome = r.decide(id, decision(body.approve, body.reasons)).await?;
    Ok(Json(serde_json::json!({ "id": id, "outcome": outcome })).into_response())
}

async fn console(State(r): State<Regulator>, headers: HeaderMap) -> Result<Html<String>, ApiError> {
    let pending = r.reviews(Some(SubmissionState::Queued)).await?;
    Ok(Html(pages::console(locale(&headers), &pending)))
}

#[derive(Debug, Deserialize)]
struct ConsoleForm {
    approve: bool,
    #[serde(default)]
    reasons: String,
}

async fn console_decide(
    State(r): State<Regulator>,
    Path(id): Path<i64>,
    Form(form): Form<ConsoleForm>,
) -> Result<Redirect, ApiError> {
    let reasons = form
        .reasons
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    r.decide(id, decision(form.approve, reasons)).await?;
    Ok(Redirect::to("/sim/bureau/console"))
}
