//! The bundled simulator as the server runs it in-process: this provider's account in its
//! registry, registered at startup from the credentials of the registry link, and the guard
//! of its controls.
//!
//! The controls (`/sim/*`: anyone's texts, the clock, every submission and its decision, the
//! officer's console) are mounted only in demo and test mode ([`SimulatorSettings::controls`]),
//! and even then answer only a simulator operator: a request bearing the operator token
//! (`X-Simulator-Token: TOKEN` or `Authorization: Bearer TOKEN`), or the session of a
//! bureau-officer account (the portal's login; unsafe requests then also pass the portal's
//! Origin / `Sec-Fetch-Site` check). Anyone else gets 401 `simulator_operator_required`.
//!
//! [`SimulatorSettings::controls`]: crate::settings::SimulatorSettings::controls

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use beian_platform::regulator_link::Resolved;
use beian_regulator::Regulator;
use beian_store::accounts::Role;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::startup::AppState;

/// The header that carries the simulator-operator token.
pub const TOKEN_HEADER: &str = "x-simulator-token";

/// Registers this provider in the in-process simulator's registry if it is absent (an
/// existing entry is left as it is).
pub async fn ensure_provider(
    regulator: &Regulator,
    resolved: &Resolved,
) -> Result<(), beian_regulator::Error> {
    if regulator.provider(resolved.isp_id).await?.is_some() {
        return Ok(());
    }
    let (aes_key, aes_iv) = resolved.aes.clone().unwrap_or_default();
    regulator
        .add_provider(&beian_regulator::service::Provider {
            id: resolved.isp_id,
            name: "beian".to_owned(),
            province: "33".to_owned(),
            username: resolved.user.clone(),
            password: resolved.password.clone(),
            aes_key,
            aes_iv,
        })
        .await?;
    tracing::info!(
        isp_id = resolved.isp_id,
        "provider registered in the simulator"
    );
    Ok(())
}

/// What the guard needs: the state (to resolve a session) and the operator token.
#[derive(Clone)]
struct Guard {
    state: AppState,
    token: std::sync::Arc<str>,
}

/// The simulator's controls behind the operator guard.
pub fn controls(regulator: Regulator, state: AppState, token: &str) -> Router {
    let guard = Guard {
        state,
        token: std::sync::Arc::from(token),
    };
    beian_regulator::http::control_router(regulator).layer(from_fn_with_state(guard, operator))
}

/// With an external regulator, the platform's own simulated clock: `GET /sim/clock` and
/// `POST /sim/clock/advance` `{minutes}` (kept in `clock_dir` as the simulator keeps its own,
/// [`beian_regulator::clock_file`], so a restart resumes from it), behind the operator guard.
pub fn clock_controls(state: AppState, clock_dir: std::path::PathBuf, token: &str) -> Router {
    use axum::Json;
    use axum::routing::{get, post};

    #[derive(serde::Deserialize)]
    struct Advance {
        minutes: i64,
    }
    let guard = Guard {
        state: state.clone(),
        token: std::sync::Arc::from(token),
    };
    let now_clock = state.clock.clone();
    let clock = state.clock.clone();
    Router::new()
        .route(
            "/sim/clock",
            get(move || {
                let clock = now_clock.clone();
                async move { Json(serde_json::json!({"now": beian_regulator::ts(clock.now())})) }
            }),
        )
        .route(
            "/sim/clock/advance",
            post(move |Json(body): Json<Advance>| {
                let clock = clock.clone();
                let dir = clock_dir.clone();
                async move {
                    let Some(simulated) = clock.simulated() else {
                        return ApiError::coded(
                            StatusCode::CONFLICT,
                            "clock_not_simulated",
                            "api.error.conflict",
                        )
                        .into_response();
                    };
                    let now = match simulated.advance_minutes(body.minutes) {
                        Ok(now) => now,
                        Err(_) => {
                            return ApiError::coded(
                                StatusCode::UNPROCESSABLE_ENTITY,
                                "clock_backwards",
                                "api.error.conflict",
                            )
                            .into_response();
                        }
                    };
                    let kept = std::fs::create_dir_all(&dir)
                        .and_then(|()| beian_regulator::clock_file::keep(&dir, now));
                    if let Err(e) = kept {
                        tracing::warn!(error = %e, "the simulated clock's reading was not kept");
                    }
                    Json(serde_json::json!({"now": beian_regulator::ts(now)})).into_response()
                }
            }),
        )
        .layer(from_fn_with_state(guard, operator))
}

/// Whether `presented` is the token (compared as digests, so in time independent of where
/// they differ).
fn token_matches(token: &str, presented: &str) -> bool {
    let a = Sha256::digest(token.as_bytes());
    let b = Sha256::digest(presented.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The token a request presents, if any.
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .or_else(|| crate::api::auth::bearer_token(headers))
}

async fn operator(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    if let Some(presented) = presented_token(req.headers()) {
        if !guard.token.is_empty() && token_matches(&guard.token, presented) {
            return next.run(req).await;
        }
        tracing::info!(path = %req.uri().path(), "simulator: wrong operator token");
        return refusal();
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let account = match crate::api::auth::authenticate(&guard.state, req.headers()).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let officer = account.is_some_and(|a| {
        a.role == Role::BureauOfficer && a.via == crate::api::auth::AuthMethod::Session
    });
    if officer && (!unsafe_method || crate::portal::security::same_origin(req.headers())) {
        return next.run(req).await;
    }
    tracing::info!(path = %req.uri().path(), "simulator: control refused to a non-operator");
    refusal()
}

fn refusal() -> Response {
    ApiError::coded(
        StatusCode::UNAUTHORIZED,
        "simulator_operator_required",
        "api.error.simulator_operator_required",
    )
    .into_response()
}

/// Demo mode's simulated phones: the platform's own texts (the embedded default's outbox)
/// also reach the simulator's phone network, so `/sim/phone-inbox` shows the 取消接入 code
/// beside the bureau's codes, and a person reads both on one page.
pub struct SimulatedPhones(pub Regulator);

#[async_trait::async_trait]
impl beian_platform::notify::SmsOutboxSink for SimulatedPhones {
    async fn put(
        &self,
        sms: beian_platform::notify::OutboxSms,
    ) -> Result<(), beian_platform::notify::SmsError> {
        self.0
            .deliver_text(sms.to.expose(), &sms.text)
            .await
            .map_err(|e| beian_platform::notify::SmsError::transient(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_themselves() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abc", "abd"));
        assert!(!token_matches("abc", ""));
    }

    #[test]
    fn the_token_comes_from_either_header() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_token(&h), None);
        h.insert("authorization", "Bearer t1".parse().unwrap());
        assert_eq!(presented_token(&h), Some("t1"));
        h.insert(TOKEN_HEADER, "t2".parse().unwrap());
        assert_eq!(presented_token(&h), Some("t2"));
    }
}
