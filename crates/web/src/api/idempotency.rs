//! `Idempotency-Key` on POST (API.md): the first response to a key is kept; a repeat with the
//! same key and request (method, path and body) gets it again with `Idempotent-Replayed: true`;
//! the same key with another request is 422 `idempotency_key_reused`.
//!
//! - Scope: keys belong to the authenticated account, or to the client address (`ip:ADDR`)
//!   for requests without one (account creation, login).
//! - Atomicity: the key is claimed in the same transaction as the handler's effects
//!   ([`beian_store::idempotency`]): the request's first commit also writes the key's row,
//!   pending; the answer is stored in it once known. A request that dies or fails before its
//!   commit (a crash, a 5xx, a dropped connection) leaves neither, and a retry runs, once.
//!   One that committed is never run again: a retry replays its answer, or, in the moment
//!   between its commit and its answer, gets 409 `request_in_progress`. If its process died
//!   in that moment (or it failed after its commit), after
//!   `ApiSettings::idempotency_stale_after` on the real clock (never the simulated one) the
//!   retry gets the answer rebuilt from what the commit did ([`crate::api::rebuild`]),
//!   marked `Idempotent-Rebuilt: true` and stored for later retries; a login or a new API
//!   key runs again; the few routes whose answers cannot be rebuilt give 409
//!   `request_answer_lost` (look the result up instead).
//! - Concurrency: a second request with the key while the first runs in this process gets
//!   409 `request_in_progress` at once (it does not wait) and may retry. Across instances
//!   the first to commit holds the key; the other's transaction fails on it and rolls back,
//!   and its client gets the first's answer (or 409 while there is none yet).
//! - What is kept: every response below 500 whose body is JSON. Responses marked
//!   [`NoReplay`] (those that hand out a secret: a session cookie, an API key, which must not
//!   be stored or shown twice) free the key; a retry of those runs again (a new session, a
//!   new key).
//! - Bodies of up to `ApiSettings::idempotency_body_limit` bytes are hashed; bigger is 413.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_store::idempotency::{Claim, IdempotentResponse, Kept, Start};
use sha2::{Digest, Sha256};

use crate::api::auth::Authenticated;
use crate::api::rebuild::{Rebuilt, rebuild};
use crate::api::{ClientIp, locale_of};
use crate::error::{ApiError, localize_response};
use crate::startup::AppState;

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// The header on a replayed response.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// The header on an answer rebuilt after it was lost in a crash ([`crate::api::rebuild`]).
pub const REBUILT: HeaderName = HeaderName::from_static("idempotent-rebuilt");

/// Put on a response (`response.extensions_mut().insert(NoReplay)`) that must not be kept for
/// replay because it hands out a secret.
#[derive(Debug, Clone, Copy)]
pub struct NoReplay;

/// Whether `key` is 1 to 255 visible ASCII characters.
fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The hash a key is bound to: method, path with query, and body.
fn request_hash(method: &Method, path: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().to_vec()
}

/// The middleware (see the module documentation).
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.headers().contains_key(&IDEMPOTENCY_KEY) {
        return next.run(req).await;
    }
    let locale = locale_of(req.headers());
    match run(&state, req, next).await {
        Ok(response) => response,
        Err(e) => localize_response(e.into_response(), locale),
    }
}

async fn run(state: &AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let locale = locale_of(req.headers());
    let key = req
        .headers()
        .get(&IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .filter(|k| valid_key(k))
        .ok_or(ApiError::BadRequest("bad_idempotency_key"))?
        .to_owned();
    let scope = match req.extensions().get::<Authenticated>() {
        Some(Authenticated(Some(account))) => account.id.clone(),
        _ => format!("ip:{}", ClientIp::of(req.extensions()).0),
    };
    let (parts, body) = req.into_parts();
    let limit = state.api.settings.idempotency_body_limit;
    let body = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let hash = request_hash(&parts.method, path, &body);
    let reused = || {
        ApiError::coded(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "api.error.idempotency_key_reused",
        )
    };
    let in_progress = || {
        ApiError::coded(
            StatusCode::CONFLICT,
            "request_in_progress",
            "api.error.request_in_progress",
        )
    };
    let answer = |stored: IdempotentResponse| {
        if stored.request_hash == hash {
            replay(stored.status, stored.body)
        } else {
            Err(reused())
        }
    };
    let stale = state.api.settings.idempotency_stale_after.as_millis();
    let stale = i64::try_from(stale).unwrap_or(i64::MAX);
    let mut start = state
        .store
        .claim_idempotency_key(&scope, &key, &hash, stale)
        .await?;
    if let Start::AnswerLost {
        request_hash,
        effects,
    } = &start
        && *request_hash == hash
    {
        let account = match parts.extensions.get::<Authenticated>() {
            Some(Authenticated(account)) => account.as_ref(),
            None => None,
        };
        match rebuild(state, account, path, effects, locale).await? {
            Rebuilt::Answer(status, body) => {
                let bytes = serde_json::to_vec(&body).map_err(ApiError::internal)?;
                let status_code = i64::from(status.as_u16());
                if !state
                    .store
                    .answer_pending_key(&scope, &key, status_code, &bytes)
                    .await?
                {
                    // Another retry settled it first: give what it stored.
                    if let Some(stored) = state.store.idempotent_response(&scope, &key).await? {
                        return answer(stored);
                    }
                }
                let mut response = replay(status_code, bytes)?;
                response
                    .headers_mut()
                    .insert(REBUILT, HeaderValue::from_static("true"));
                return Ok(response);
            }
            Rebuilt::RunAgain => {
                drop(start);
                state.store.free_pending_key(&scope, &key).await?;
                start = state
                    .store
                    .claim_idempotency_key(&scope, &key, &hash, stale)
                    .await?;
            }
            Rebuilt::Lost => {}
        }
    }
    match start {
        Start::Done(stored) => answer(stored),
        Start::Busy => Err(in_progress()),
        Start::AnswerLost { request_hash, .. } if request_hash == hash => Err(ApiError::coded(
            StatusCode::CONFLICT,
            "request_answer_lost",
            "api.error.request_answer_lost",
        )),
        Start::AnswerLost { .. } => Err(reused()),
        Start::Run(claim) => {
            let req = Request::from_parts(parts, Body::from(body));
            let response = claim.run(next.run(req)).await;
            let response = localize_response(response, locale);
            match keep(claim, response).await? {
                Ok(response) => Ok(response),
                Err(Some(stored)) => answer(stored),
                Err(None) => Err(in_progress()),
            }
        }
    }
}

/// Stores the request's answer with its key (or frees the key) and returns it; `Err` with
/// the other request's answer (if it has one yet) when another request held the key.
async fn keep(
    claim: Claim,
    response: Response,
) -> Result<Result<Response, Option<IdempotentResponse>>, ApiError> {
    if claim.taken() {
        return match claim.keep(0, b"").await? {
            Kept::Lost(stored) => Ok(Err(stored)),
            Kept::Stored => Err(ApiError::Internal("a taken key was stored".into())),
        };
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if response.status().is_server_error() {
        claim.release().await?;
        return Ok(Ok(response));
    }
    let keepable = response.extensions().get::<NoReplay>().is_none()
        && (is_json || response.status() == StatusCode::NO_CONTENT);
    if !keepable {
        claim.commit_unkept().await?;
        return Ok(Ok(response));
    }
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            claim.release().await?;
            return Err(ApiError::internal(e));
        }
    };
    let status = i64::from(parts.status.as_u16());
    match claim.keep(status, &bytes).await? {
        Kept::Stored => Ok(Ok(Response::from_parts(parts, Body::from(bytes)))),
        Kept::Lost(stored) => Ok(Err(stored)),
    }
}

/// The stored response again, marked as replayed.
fn replay(status: i64, body: Vec<u8>) -> Result<Response, ApiError> {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| ApiError::Internal("stored idempotent status out of range".into()))?;
    let mut response = Response::new(Body::from(body.clone()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if !body.is_empty() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        let long = "k".repeat(256);
        for (key, ok) in [
            ("abc-123", true),
            ("", false),
            ("a b", false),
            ("键", false),
            (long.as_str(), false),
        ] {
            assert_eq!(valid_key(key), ok, "{key}");
        }
        assert!(valid_key(&"k".repeat(255)));
    }

    #[test]
    fn the_hash_binds_method_path_and_body() {
        let base = request_hash(&Method::POST, "/api/v1/accounts", b"{}");
        assert_eq!(base, request_hash(&Method::POST, "/api/v1/accounts", b"{}"));
        assert_ne!(base, request_hash(&Method::POST, "/api/v1/api-keys", b"{}"));
        assert_ne!(
            base,
            request_hash(&Method::POST, "/api/v1/accounts", b"{ }")
        );
        assert_ne!(base, request_hash(&Method::PUT, "/api/v1/accounts", b"{}"));
    }
}
