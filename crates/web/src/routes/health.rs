//! `GET /healthz` and `GET /readyz`.
//!
//! `/readyz` asks the database now (`SELECT 1`): 200 when it answers, 503 when it does not;
//! a load balancer asks it rarely. `/healthz` is the cheap one a monitor may hit under load:
//! it answers from the last database check ([`HealthCache`]) and never queries on the hit
//! itself. When that check is older than [`HealthCache::REFRESH`], the hit starts one
//! refresh in the background (one at a time) and still answers from the last result; a check
//! that failed, or none newer than [`HealthCache::STALE`] (the database hangs), is 503. The
//! body says when the answer's check ran (`checked_ms_ago`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::startup::AppState;

/// The last database check of `/healthz`.
#[derive(Debug, Default)]
pub struct HealthCache {
    last: Mutex<Option<(Instant, bool)>>,
    refreshing: AtomicBool,
}

impl HealthCache {
    /// A check older than this is refreshed (in the background) by the next hit.
    pub const REFRESH: Duration = Duration::from_secs(1);
    /// A check older than this no longer counts: 503 until a refresh succeeds.
    pub const STALE: Duration = Duration::from_secs(10);

    fn last(&self) -> Option<(Instant, bool)> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, ok: bool) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), ok));
    }
}

async fn check(state: &AppState) -> bool {
    match state.store.ping().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            false
        }
    }
}

/// `GET /healthz`: the last database check (see the module docs).
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let cache = &state.health;
    let (at, ok) = match cache.last() {
        Some(last) => {
            if last.0.elapsed() >= HealthCache::REFRESH
                && !cache.refreshing.swap(true, Ordering::AcqRel)
            {
                let state = state.clone();
                tokio::spawn(async move {
                    let ok = check(&state).await;
                    state.health.record(ok);
                    state.health.refreshing.store(false, Ordering::Release);
                });
            }
            last
        }
        // The first hit checks inline.
        None => {
            let ok = check(&state).await;
            cache.record(ok);
            (Instant::now(), ok)
        }
    };
    let age = at.elapsed();
    if !ok || age >= HealthCache::STALE {
        return Err(ApiError::Unavailable);
    }
    Ok(Json(json!({
        "status": "ok",
        "database": state.store.backend().as_str(),
        "checked_ms_ago": age.as_millis() as u64,
    })))
}

/// `GET /readyz`: asks the database now.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let ok = check(&state).await;
    state.health.record(ok);
    if !ok {
        return Err(ApiError::Unavailable);
    }
    Ok(Json(
        json!({ "status": "ok", "database": state.store.backend().as_str() }),
    ))
}
