//! `GET /admin/login-throttles` and `DELETE /admin/login-throttles?subject=…`: the failed-login
//! counts behind the login delays ([`super::throttle`]), for an admin to see who is delayed
//! and to lift a delay (e.g. a customer behind a shared address). Clearing is audited.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiQuery as Query;
use super::admin::admin;
use super::auth::CurrentAccount;
use super::openapi::ErrorBody;
use super::throttle::delay_after;
use crate::error::ApiError;
use crate::startup::AppState;

/// `?contains=`: only subjects containing this text (a username or an address).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ThrottleQuery {
    pub contains: Option<String>,
}

/// `?subject=`: the exact subject to clear.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ClearQuery {
    pub subject: String,
}

/// One subject's failures in the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThrottleView {
    /// `pair:<address> <username>` or `source:<address>`.
    pub subject: String,
    pub failures: i64,
    /// Unix milliseconds.
    pub first_failure_at: i64,
    /// Unix milliseconds.
    pub last_failure_at: i64,
    /// Until when attempts are refused (unix ms); `null` when not delayed now.
    pub delayed_until: Option<i64>,
}

/// The subjects with failures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThrottleList {
    pub throttles: Vec<ThrottleView>,
}

/// The most subjects listed at once.
const LIST_MAX: i64 = 500;

#[utoipa::path(get, path = "/admin/login-throttles", tag = "admin", params(ThrottleQuery),
    responses(
        (status = 200, body = ThrottleList, description = "most failures first (at most 500)"),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn list_throttles(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(q): Query<ThrottleQuery>,
) -> Result<Json<ThrottleList>, ApiError> {
    admin(&account)?;
    let settings = &state.api.settings;
    let now = state.store.now().timestamp_millis();
    let window = i64::try_from(settings.login_failure_window.as_millis()).unwrap_or(i64::MAX);
    let contains = q.contains.filter(|c| !c.is_empty());
    let rows = state
        .store
        .login_throttles(now.saturating_sub(window), contains.as_deref(), LIST_MAX)
        .await?;
    let throttles = rows
        .into_iter()
        .map(|r| {
            let free = if r.subject.starts_with("source:") {
                settings.login_free_failures_per_source
            } else {
                settings.login_free_failures_per_account_and_source
            };
            let delayed_until = delay_after(r.count, free, settings.login_delay_cap)
                .map(|d| {
                    r.newest_at
                        .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                })
                .filter(|until| *until > now);
            ThrottleView {
                subject: r.subject,
                failures: r.count,
                first_failure_at: r.oldest_at,
                last_failure_at: r.newest_at,
                delayed_until,
            }
        })
        .collect();
    Ok(Json(ThrottleList { throttles }))
}

#[utoipa::path(delete, path = "/admin/login-throttles", tag = "admin", params(ClearQuery),
    responses(
        (status = 204, description = "the subject's failures are forgotten"),
        (status = 404, description = "no failures under this subject", body = ErrorBody),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn clear_throttle(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(q): Query<ClearQuery>,
) -> Result<StatusCode, ApiError> {
    let actor = admin(&account)?;
    let mut tx = state.store.begin().await?;
    let cleared = tx.clear_login_throttle(&actor, &q.subject).await?;
    if cleared == 0 {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
