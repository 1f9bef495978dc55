//! Accounts, sessions and API keys: `POST /accounts` (register), `POST /sessions` (login,
//! cookie), `DELETE /sessions/current` (logout), `POST /api-keys`, `PUT /account/password`
//! (which ends the account's other sessions and, when asked, revokes its API keys).
//!
//! Rules: a username has 3 to 32 characters of `a-z 0-9 _ . -`; a password has at least 10
//! characters (at most 1024) of at least two kinds among lowercase letters, uppercase letters,
//! digits and others (so neither `aaaaaaaaaa` nor `1234567890`), is not among the 30,000
//! most common leaked passwords (nor one of them with digits or symbols added:
//! `Password123`), and is not built from the username; the email and the mainland
//! mobile go through core's validators. Every wrong field is reported at once (422).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::contact::{Email, Mobile};
use beian_store::accounts::{NewAccount, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{self, API_KEY_PREFIX, CurrentAccount, SESSION_COOKIE};
use crate::api::idempotency::NoReplay;
use crate::api::openapi::ErrorBody;
use crate::api::{ApiJson, ClientIp, throttle};
use crate::error::{ApiError, FieldError};
use crate::startup::AppState;
use beian_platform::accounts::{check_password_for, check_username};

/// `POST /accounts`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewAccountRequest {
    /// 3 to 32 characters of `a-z 0-9 _ . -`.
    pub username: String,
    /// At least 10 characters of at least two kinds.
    pub password: String,
    pub email: String,
    /// A mainland mobile number (11 digits, `+86` allowed).
    pub mobile: String,
}

/// An account as the API shows it (the mobile masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub mobile: String,
    pub role: String,
}

/// `POST /sessions`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A new session (its id is only in the cookie).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub account_id: String,
    pub username: String,
    pub role: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// The password is a one-time one: change it (`PUT /account/password`) before anything
    /// else, which answers 403 `password_change_required` until then.
    pub must_change_password: bool,
}

/// `POST /api-keys` (the body is optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewApiKeyRequest {
    /// A label for the key (at most 100 characters).
    pub name: Option<String>,
    /// Days until the key stops working (1–3650); without it the key works until revoked.
    pub expires_in_days: Option<i64>,
}

/// A new API key: `key` is shown this once; only its hash is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub key: String,
    /// When it stops working (Unix milliseconds); `null`: until revoked.
    pub expires_at: Option<i64>,
}

/// Registers an applicant account.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = NewAccountRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 201, body = AccountView),
        (status = 422, description = "a field is wrong (`error.fields` names it) or the username is taken", body = ErrorBody),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewAccountRequest>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    Ok((StatusCode::CREATED, Json(register(&state, body).await?)))
}

/// Registers an applicant account (the API and the portal's register page).
pub async fn register(state: &AppState, body: NewAccountRequest) -> Result<AccountView, ApiError> {
    let mut fields = Vec::new();
    check_username(&body.username, &mut fields);
    check_password_for(&body.username, &body.password, &mut fields);
    let email = Email::parse(body.email.trim())
        .map_err(|e| fields.push(FieldError::localized("email", &e)))
        .ok();
    let mobile = Mobile::parse(body.mobile.trim())
        .map_err(|e| fields.push(FieldError::localized("mobile", &e)))
        .ok();
    let (Some(email), Some(mobile), true) = (email, mobile, fields.is_empty()) else {
        return Err(ApiError::Validation { fields });
    };
    let password = body.password;
    let hash = auth::hash_password_bounded(password).await?;
    let mut tx = state.store.begin().await?;
    let id = tx
        .insert_account(
            "api:register",
            &NewAccount {
                username: &body.username,
                password_hash: &hash,
                email: email.as_str(),
                mobile: Some(mobile.as_str()),
                role: Role::Applicant,
            },
        )
        .await?;
    tx.commit().await?;
    Ok(AccountView {
        id,
        username: body.username,
        email: email.as_str().to_owned(),
        mobile: mobile.masked(),
        role: Role::Applicant.as_str().to_owned(),
    })
}

/// Logs in: sets the session cookie (a new session id every time; a session cookie sent
/// along is ended). Refused with 429 while the username at this address, or the address, is
/// delayed after its failures (`crate::api::throttle`).
#[utoipa::path(post, path = "/sessions", tag = "accounts", request_body = LoginRequest,
    responses(
        (status = 200, body = SessionView, description = "logged in; `Set-Cookie: beian_session=…`"),
        (status = 401, description = "`invalid_credentials`, whether the username exists or not", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let (cookie, view) = login(&state, ip, &headers, body).await?;
    let mut response = Json(view).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response.extensions_mut().insert(NoReplay);
    Ok(response)
}

/// Logs in (the API and the portal's login page): the new session's `Set-Cookie` value and
/// its view. A session cookie sent along is ended; failures are throttled per username and
/// per address.
pub async fn login(
    state: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    body: LoginRequest,
) -> Result<(HeaderValue, SessionView), ApiError> {
    let settings = &state.api.settings;
    let too_many = |retry_after_secs| ApiError::TooManyRequests {
        code: "too_many_attempts",
        retry_after_secs,
    };
    if let Some(wait) = state.api.limits.login_blocked(ip) {
        return Err(too_many(wait));
    }
    if let Some(wait) = throttle::login_wait(&state.store, settings, ip, &body.username).await? {
        return Err(too_many(wait));
    }
    let account = state.store.account_by_username(&body.username).await?;
    // Unknown usernames are checked against a dummy hash: same time, same answer.
    let hash = account
        .as_ref()
        .map_or_else(|| state.api.dummy_hash.clone(), |a| a.password_hash.clone());
    let password = body.password;
    let matches = auth::verify_password_bounded(password, hash).await;
    let account = match account {
        Some(a) if matches && !a.disabled => a,
        _ => {
            state.api.limits.record_login_failure(ip);
            throttle::record_login_failure(&state.store, settings, ip, &body.username).await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    throttle::clear_after_success(&state.store, ip, &body.username).await?;
    let token = auth::new_token();
    let ttl_ms = i64::try_from(settings.session_ttl.as_millis()).unwrap_or(i64::MAX / 2);
    let expires_at = state.store.now().timestamp_millis() + ttl_ms;
    let mut tx = state.store.begin().await?;
    if let Some(old) = auth::session_cookie(headers) {
        tx.delete_session(&auth::token_hash(old)).await?;
    }
    tx.insert_session(&auth::token_hash(&token), &account.id, expires_at)
        .await?;
    tx.commit().await?;
    let cookie = session_cookie(
        &token,
        settings.session_ttl.as_secs(),
        settings.secure_cookies,
    )?;
    let view = SessionView {
        must_change_password: account.must_change_password,
        account_id: account.id,
        username: account.username,
        role: account.role.as_str().to_owned(),
        expires_at,
    };
    Ok((cookie, view))
}

/// The `Set-Cookie` value that ends the session cookie.
pub fn clear_session_cookie(secure: bool) -> Result<HeaderValue, ApiError> {
    session_cookie("", 0, secure)
}

fn session_cookie(value: &str, max_age: u64, secure: bool) -> Result<HeaderValue, ApiError> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .map_err(ApiError::internal)
}

/// Logs out: ends the session of the cookie and clears it.
#[utoipa::path(delete, path = "/sessions/current", tag = "accounts",
    responses(
        (status = 204, description = "the session is ended"),
        (status = 401, description = "no session cookie", body = ErrorBody),
    ))]
pub async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = auth::session_cookie(&headers).ok_or(ApiError::Unauthenticated)?;
    let mut tx = state.store.begin().await?;
    tx.delete_session(&auth::token_hash(token)).await?;
    tx.commit().await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let cookie = session_cookie("", 0, state.api.settings.secure_cookies)?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Creates an API key for the current account; the key is in this answer only.
#[utoipa::path(post, path = "/api-keys", tag = "accounts", request_body(content = Option<NewApiKeyRequest>),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, body = ApiKeyView),
        (status = 401, body = ErrorBody),
        (status = 422, description = "the name is too long", body = ErrorBody),
    ))]
pub async fn create_api_key(
    State(state): State<AppState>,
    account: CurrentAccount,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: NewApiKeyRequest = if body.iter().all(u8::is_ascii_whitespace) {
        NewApiKeyRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| ApiError::BadRequest("invalid_body"))?
    };
    let name = request.name.unwrap_or_else(|| "api".to_owned());
    let view = new_api_key(&state, &account, name, request.expires_in_days).await?;
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    response.extensions_mut().insert(NoReplay);
    Ok(response)
}

/// Creates an API key for `account` (the API and the portal's key page).
pub async fn new_api_key(
    state: &AppState,
    account: &CurrentAccount,
    name: String,
    expires_in_days: Option<i64>,
) -> Result<ApiKeyView, ApiError> {
    if expires_in_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(ApiError::field(
            "expires_in_days",
            "api.field.expires_in_days",
        ));
    }
    if name.chars().count() > 100 {
        return Err(ApiError::field("name", "api.field.name_too_long"));
    }
    if !name.chars().all(crate::api::allowed_char) {
        return Err(ApiError::field("name", "api.field.control_characters"));
    }
    let key = format!("{API_KEY_PREFIX}{}", auth::new_token());
    let mut tx = state.store.begin().await?;
    let id = tx
        .insert_api_key(
            &account.actor(),
            &account.id,
            &auth::token_hash(&key),
            &name,
        )
        .await?;
    let expires_at = expires_in_days.map(|d| state.store.now().timestamp_millis() + d * 86_400_000);
    if let Some(at) = expires_at {
        tx.set_api_key_expiry(&id, at).await?;
    }
    tx.commit().await?;
    Ok(ApiKeyView {
        id,
        name,
        key,
        expires_at,
    })
}

/// `PUT /account/password`.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    /// Also revoke every API key of the account (default: keep them).
    pub revoke_api_keys: bool,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange")
            .field("revoke_api_keys", &self.revoke_api_keys)
            .finish_non_exhaustive()
    }
}

/// What a password change ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChangeDone {
    /// The account's other sessions, ended (the one making the change, if any, stays).
    pub sessions_ended: u64,
    /// API keys revoked (with `revoke_api_keys`).
    pub api_keys_revoked: u64,
}

/// Changes the caller's password: the current one is checked (a wrong one counts as a failed
/// login), the new one follows the password rules, every other session of the account ends,
/// and with `revoke_api_keys` every API key is revoked. Clears a one-time password's
/// `must_change_password`.
#[utoipa::path(put, path = "/account/password", tag = "accounts", request_body = PasswordChange,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PasswordChangeDone),
        (status = 401, body = ErrorBody),
        (status = 422, description = "`current_password` wrong or `new_password` refused (named in `error.fields`)", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    account: CurrentAccount,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Json<PasswordChangeDone>, ApiError> {
    change_own_password(&state, &account, ip, &headers, body)
        .await
        .map(Json)
}

/// The password change of [`change_password`], for the API and the portal alike.
pub async fn change_own_password(
    state: &AppState,
    account: &CurrentAccount,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    body: PasswordChange,
) -> Result<PasswordChangeDone, ApiError> {
    let settings = &state.api.settings;
    if let Some(wait) = throttle::login_wait(&state.store, settings, ip, &account.username).await? {
        return Err(ApiError::TooManyRequests {
            code: "too_many_attempts",
            retry_after_secs: wait,
        });
    }
    let stored = state.store.account(&account.id).await?;
    let matches =
        auth::verify_password_bounded(body.current_password.clone(), stored.password_hash).await;
    if !matches {
        throttle::record_login_failure(&state.store, settings, ip, &account.username).await?;
        return Err(ApiError::field(
            "current_password",
            "api.field.wrong_password",
        ));
    }
    let mut fields = Vec::new();
    check_password_for(&account.username, &body.new_password, &mut fields);
    if fields.is_empty() && body.new_password == body.current_password {
        fields.push(FieldError::new("new_password", "api.field.same_password"));
    }
    if !fields.is_empty() {
        for f in &mut fields {
            if f.path == "password" {
                f.path = "new_password".to_owned();
            }
        }
        return Err(ApiError::Validation { fields });
    }
    let hash = auth::hash_password_bounded(body.new_password).await?;
    let keep = match account.via {
        auth::AuthMethod::Session => auth::session_cookie(headers).map(auth::token_hash),
        auth::AuthMethod::ApiKey => None,
    };
    let mut tx = state.store.begin().await?;
    tx.set_password(&account.actor(), &account.id, &hash, false)
        .await?;
    let sessions_ended = tx.end_sessions(&account.id, keep.as_deref()).await?;
    let api_keys_revoked = if body.revoke_api_keys {
        tx.revoke_api_keys_of(&account.actor(), &account.id).await?
    } else {
        0
    };
    tx.commit().await?;
    Ok(PasswordChangeDone {
        sessions_ended,
        api_keys_revoked,
    })
}
