//! Who am I and my keys: `GET /sessions/current` (the logged-in account), `GET /api-keys`
//! and `DELETE /api-keys/{id}` (the account's keys, revocation); and the admin's
//! `POST /admin/storefront-subscriptions` (a storefront 旺铺/企业官网 subscription for an
//! account, which the storefront product step checks).

use super::{ApiPath as Path, ApiQuery as Query};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use beian_core::contact::Mobile;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin::admin;
use super::auth::{AuthMethod, CurrentAccount};
use super::openapi::ErrorBody;
use super::page::{Page, PageQuery};
use super::{ApiJson, accounts::AccountView};
use crate::error::ApiError;
use crate::startup::AppState;

/// The current login: the account (mobile masked) and how the request authenticated.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentView {
    pub account: AccountView,
    /// `session` or `api_key`.
    pub via: String,
}

/// One API key of the account (the key itself is shown only when created).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyInfoView {
    pub id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `null` while the key works.
    pub revoked_at: Option<i64>,
    /// When it stops working (Unix milliseconds); `null`: until revoked.
    pub expires_at: Option<i64>,
    /// When it was last used, to the minute (Unix milliseconds); `null`: never.
    pub last_used_at: Option<i64>,
}

/// `POST /admin/storefront-subscriptions`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewSubscription {
    /// The customer's username.
    pub username: String,
    /// The end of the term, Unix milliseconds (in the future).
    pub term_end: i64,
}

/// A created subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub account_id: String,
    pub status: String,
    pub term_end: i64,
}

/// The logged-in account.
#[utoipa::path(get, path = "/sessions/current", tag = "accounts",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = CurrentView),
        (status = 401, body = ErrorBody),
    ))]
pub async fn current_session(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<CurrentView>, ApiError> {
    let a = state.store.account(&account.id).await?;
    let mobile = a
        .mobile
        .as_deref()
        .map(|m| Mobile::parse(m).map_or_else(|_| beian_core::mask::mask(m, 3, 4), |m| m.masked()))
        .unwrap_or_default();
    Ok(Json(CurrentView {
        account: AccountView {
            id: a.id,
            username: a.username,
            email: a.email,
            mobile,
            role: a.role.as_str().to_owned(),
        },
        via: match account.via {
            AuthMethod::Session => "session",
            AuthMethod::ApiKey => "api_key",
        }
        .to_owned(),
    }))
}

/// The account's API keys, newest first (revoked ones too).
#[utoipa::path(get, path = "/api-keys", tag = "accounts", params(PageQuery),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = Page<ApiKeyInfoView>),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<ApiKeyInfoView>>, ApiError> {
    let keys = state
        .store
        .api_keys_of_account(&account.id)
        .await?
        .into_iter()
        .map(|k| ApiKeyInfoView {
            id: k.id,
            name: k.name,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
        })
        .collect();
    Ok(Json(query.page(keys, |k| k.id.as_str())?))
}

/// Revokes one of the account's API keys (404 for another account's key).
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "accounts",
    params(("id" = String, Path, description = "the key's id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "no such key of this account, or already revoked", body = ErrorBody),
    ))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owned = state
        .store
        .api_keys_of_account(&account.id)
        .await?
        .into_iter()
        .any(|k| k.id == id && k.revoked_at.is_none());
    if !owned {
        return Err(ApiError::NotFound);
    }
    let mut tx = state.store.begin().await?;
    tx.revoke_api_key(&account.actor(), &id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Gives an account a storefront (旺铺 / 企业官网) subscription (admins only).
#[utoipa::path(post, path = "/admin/storefront-subscriptions", tag = "admin",
    request_body = NewSubscription,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, body = SubscriptionView),
        (status = 403, body = ErrorBody),
        (status = 422, description = "unknown `username`, or `term_end` not in the future", body = ErrorBody),
    ))]
pub async fn create_subscription(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(body): ApiJson<NewSubscription>,
) -> Result<Response, ApiError> {
    let actor = admin(&account)?;
    let Some(customer) = state
        .store
        .account_by_username(body.username.trim())
        .await?
    else {
        return Err(ApiError::field("username", "api.field.unknown_account"));
    };
    if body.term_end <= state.store.now().timestamp_millis() {
        return Err(ApiError::field("term_end", "api.field.subscription_until"));
    }
    let mut tx = state.store.begin().await?;
    let id = tx
        .insert_storefront_subscription(&actor, &customer.id, "active", body.term_end)
        .await?;
    tx.commit().await?;
    let view = SubscriptionView {
        id,
        account_id: customer.id,
        status: "active".to_owned(),
        term_end: body.term_end,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}
