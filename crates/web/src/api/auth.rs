//! Who is calling: the session cookie (portal) or `Authorization: Bearer KEY` (API key),
//! resolved into a [`CurrentAccount`], plus the secrets behind them. Sessions and keys are
//! random 256-bit tokens; the store keeps only their SHA-256. Passwords are hashed with
//! argon2id (default parameters) on the blocking pool, a bounded number at once
//! ([`beian_platform::accounts::hash_password_bounded`]).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use beian_store::accounts::{Account, Role};

use crate::error::ApiError;
use crate::startup::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "beian_session";
/// The prefix of API keys (so that leaked keys are recognisable).
pub const API_KEY_PREFIX: &str = "bk_";

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    ApiKey,
}

/// The authenticated account of a request. As an extractor it answers 401 `unauthenticated`
/// when the request has no valid session cookie or API key (or the account is disabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentAccount {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub via: AuthMethod,
    /// A one-time password not yet changed: only the password change, login and logout are
    /// allowed ([`crate::api::guard::password_change_gate`]).
    pub must_change_password: bool,
}

/// Short name for [`CurrentAccount`] in handler signatures.
pub type Auth = CurrentAccount;

impl CurrentAccount {
    /// The account as the platform's services know it, acting with its own role.
    pub fn acting(&self) -> beian_platform::workflow::Acting {
        beian_platform::workflow::Acting {
            account_id: self.id.clone(),
            role: self.role,
        }
    }

    /// Whether the account may act as `role`: admins may do what reviewers may, and every
    /// provider role what applicants may; a bureau officer only what bureau officers may.
    pub fn has_role(&self, role: Role) -> bool {
        match (self.role, role) {
            (a, b) if a == b => true,
            (Role::Admin, Role::Reviewer | Role::Applicant) => true,
            (Role::Reviewer, Role::Applicant) => true,
            _ => false,
        }
    }

    /// `Ok` when [`has_role`](Self::has_role), else 403 `forbidden`.
    pub fn require_role(&self, role: Role) -> Result<(), ApiError> {
        if self.has_role(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The actor name for audit records.
    pub fn actor(&self) -> String {
        format!("account:{}", self.id)
    }

    fn of(account: Account, via: AuthMethod) -> Option<CurrentAccount> {
        (!account.disabled).then_some(CurrentAccount {
            id: account.id,
            username: account.username,
            role: account.role,
            via,
            must_change_password: account.must_change_password,
        })
    }
}

/// The resolution of a request's credentials, left in its extensions by [`resolve`].
#[derive(Debug, Clone)]
pub struct Authenticated(pub Option<CurrentAccount>);

impl FromRequestParts<AppState> for CurrentAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let resolved = match parts.extensions.get::<Authenticated>() {
            Some(a) => a.0.clone(),
            None => authenticate(state, &parts.headers).await?,
        };
        resolved.ok_or(ApiError::Unauthenticated)
    }
}

/// The account of an optional login (`OptionalAccount(None)` when anonymous).
#[derive(Debug, Clone)]
pub struct OptionalAccount(pub Option<CurrentAccount>);

impl FromRequestParts<AppState> for OptionalAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match parts.extensions.get::<Authenticated>() {
            Some(a) => Ok(OptionalAccount(a.0.clone())),
            None => Ok(OptionalAccount(authenticate(state, &parts.headers).await?)),
        }
    }
}

/// Middleware: resolves the credentials once and leaves [`Authenticated`] on the request.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match authenticate(&state, req.headers()).await {
        Ok(a) => {
            req.extensions_mut().insert(Authenticated(a));
            next.run(req).await
        }
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// The account behind the request's API key (preferred when present) or session cookie.
/// A present but unknown credential gives `None`, like an absent one.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<CurrentAccount>, ApiError> {
    if let Some(key) = bearer_token(headers) {
        let account = state.store.api_key_account(&token_hash(key)).await?;
        return Ok(account.and_then(|a| CurrentAccount::of(a, AuthMethod::ApiKey)));
    }
    if let Some(session) = session_cookie(headers) {
        let account = state.store.session_account(&token_hash(session)).await?;
        return Ok(account.and_then(|a| CurrentAccount::of(a, AuthMethod::Session)));
    }
    Ok(None)
}

/// The token of `Authorization: Bearer TOKEN`.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// The value of the session cookie, from any `Cookie` header.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then_some(value)
        })
}

pub use beian_platform::accounts::{dummy_password_hash, new_token, token_hash, verify_password};

/// Hashes a password with argon2id (PHC string). CPU-heavy: call it from `spawn_blocking`.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    beian_platform::accounts::hash_password(password).map_err(ApiError::internal)
}

/// Hashes a password in one of the bounded hashing slots (reused memory; the others wait).
pub async fn hash_password_bounded(password: String) -> Result<String, ApiError> {
    beian_platform::accounts::hash_password_bounded(password)
        .await
        .map_err(ApiError::internal)
}

/// Checks a password in one of the bounded hashing slots.
pub async fn verify_password_bounded(password: String, hash: String) -> bool {
    beian_platform::accounts::verify_password_bounded(password, hash).await
}

/// Runs CPU-heavy work on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role) -> CurrentAccount {
        CurrentAccount {
            id: "a".into(),
            username: "u".into(),
            role,
            via: AuthMethod::Session,
            must_change_password: false,
        }
    }

    #[test]
    fn roles_include_lesser_ones() {
        use Role::*;
        let cases = [
            (Applicant, Applicant, true),
            (Applicant, Reviewer, false),
            (Reviewer, Applicant, true),
            (Reviewer, Reviewer, true),
            (Reviewer, Admin, false),
            (Admin, Reviewer, true),
            (Admin, BureauOfficer, false),
            (BureauOfficer, Applicant, false),
            (BureauOfficer, BureauOfficer, true),
        ];
        for (has, wants, ok) in cases {
            assert_eq!(
                account(has).require_role(wants).is_ok(),
                ok,
                "{has:?} {wants:?}"
            );
        }
    }

    #[test]
    fn credentials_are_read_from_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), None);
        assert_eq!(session_cookie(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer bk_abc".parse().unwrap());
        h.append(header::COOKIE, "a=1; beian_session=s1".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("bk_abc"));
        assert_eq!(session_cookie(&h), Some("s1"));
        h.insert(header::AUTHORIZATION, "Basic Zm9v".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
    }
}
