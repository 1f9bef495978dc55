//! Abuse limits. Per client address, in this instance's memory (each instance counts alone):
//! a token bucket over all API requests, and a one-minute window of failed logins. Per
//! username, in the database (shared by every instance): failed logins in the last hour,
//! after which logins are refused (even with the right password) until the hour has passed.
//! Every window is measured on the system's one clock (simulated in demos and tests).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_core::clock::SharedClock;
use beian_store::Store;
use chrono::{DateTime, Utc};

use crate::api::ClientIp;
use crate::error::ApiError;
use crate::settings::ApiSettings;
use crate::startup::AppState;

/// Entries kept per map before idle ones are swept.
const SWEEP_AT: usize = 10_000;
const MINUTE: Duration = Duration::from_secs(60);
const HOUR_MS: i64 = 3_600_000;

struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

/// The time from `earlier` to `now` (zero if the clock reads earlier).
fn since(now: DateTime<Utc>, earlier: DateTime<Utc>) -> Duration {
    (now - earlier).to_std().unwrap_or_default()
}

/// The per-address limits of one instance.
pub struct IpLimits {
    rate: f64,
    burst: f64,
    login_failures_per_minute: usize,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    login_failures: Mutex<HashMap<IpAddr, VecDeque<DateTime<Utc>>>>,
    clock: SharedClock,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl IpLimits {
    pub fn new(settings: &ApiSettings, clock: SharedClock) -> IpLimits {
        IpLimits {
            rate: f64::from(settings.requests_per_ip_per_second.max(1)),
            burst: f64::from(settings.request_burst_per_ip.max(1)),
            login_failures_per_minute: settings.login_failures_per_ip_per_minute as usize,
            buckets: Mutex::new(HashMap::new()),
            login_failures: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// Takes one request from `ip`'s bucket; `Err(seconds)` to wait when it is empty.
    pub fn take_request(&self, ip: IpAddr) -> Result<(), u64> {
        let now = self.clock.now();
        let mut buckets = lock(&self.buckets);
        if buckets.len() > SWEEP_AT {
            let full = self.burst / self.rate;
            buckets.retain(|_, b| since(now, b.at).as_secs_f64() < full);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refill = since(now, bucket.at).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }

    /// `Some(seconds)` to wait when `ip` had its allowance of failed logins in the last minute.
    pub fn login_blocked(&self, ip: IpAddr) -> Option<u64> {
        let now = self.clock.now();
        let mut map = lock(&self.login_failures);
        let window = map.get_mut(&ip)?;
        while window.front().is_some_and(|t| since(now, *t) >= MINUTE) {
            window.pop_front();
        }
        if window.len() < self.login_failures_per_minute {
            return None;
        }
        let oldest = window.front().copied().unwrap_or(now);
        Some((MINUTE - since(now, oldest)).as_secs().max(1))
    }

    /// Counts a failed login from `ip`.
    pub fn record_login_failure(&self, ip: IpAddr) {
        let now = self.clock.now();
        let mut map = lock(&self.login_failures);
        if map.len() > SWEEP_AT {
            map.retain(|_, w| w.back().is_some_and(|t| since(now, *t) < MINUTE));
        }
        map.entry(ip).or_default().push_back(now);
    }
}

/// The key failed logins are counted under: the username as typed, bounded in length.
pub fn login_subject(username: &str) -> String {
    username.chars().take(64).collect()
}

/// `Some(seconds)` to wait when `subject` had `limit` failed logins in the last hour.
pub async fn account_login_blocked(
    store: &Store,
    subject: &str,
    limit: u32,
) -> Result<Option<u64>, ApiError> {
    let now = store.now().timestamp_millis();
    let failures = store.login_failures_since(subject, now - HOUR_MS).await?;
    if failures.count < i64::from(limit) {
        return Ok(None);
    }
    let oldest = failures.oldest_at.unwrap_or(now);
    let wait_ms = (oldest + HOUR_MS - now).max(1000);
    Ok(Some(u64::try_from(wait_ms).unwrap_or(1000).div_ceil(1000)))
}

/// Counts a failed login for `subject` in the database and drops counts older than an hour.
pub async fn record_account_login_failure(store: &Store, subject: &str) -> Result<(), ApiError> {
    store.record_login_failure(subject).await?;
    let now = store.now().timestamp_millis();
    store.purge_login_failures(now - HOUR_MS).await?;
    Ok(())
}

/// Middleware: the per-address request limit (429 `too_many_requests` with `Retry-After`);
/// leaves the [`ClientIp`] on the request.
pub async fn limit_requests(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = ClientIp::of(req.extensions());
    req.extensions_mut().insert(ip);
    if let Err(retry_after_secs) = state.api.limits.take_request(ip.0) {
        return ApiError::TooManyRequests {
            code: "too_many_requests",
            retry_after_secs,
        }
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_core::clock::SimulatedClock;
    use std::sync::Arc;

    fn limits(rate: u32, burst: u32, logins: u32) -> IpLimits {
        IpLimits::new(
            &ApiSettings {
                requests_per_ip_per_second: rate,
                request_burst_per_ip: burst,
                login_failures_per_ip_per_minute: logins,
                ..ApiSettings::default()
            },
            Arc::new(SimulatedClock::new(Utc::now())),
        )
    }

    #[test]
    fn the_bucket_allows_its_burst_then_refuses() {
        let l = limits(1, 3, 1);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(l.take_request(a), Ok(()));
        }
        assert_eq!(l.take_request(a), Err(1));
        assert_eq!(l.take_request(b), Ok(()));
    }

    #[test]
    fn login_failures_block_the_address_at_the_limit() {
        let l = limits(1, 1, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(l.login_blocked(a), None);
        l.record_login_failure(a);
        assert_eq!(l.login_blocked(a), None);
        l.record_login_failure(a);
        assert!(l.login_blocked(a).is_some_and(|s| (1..=60).contains(&s)));
        assert_eq!(l.login_blocked("10.0.0.2".parse().unwrap()), None);
    }

    #[test]
    fn subjects_are_bounded() {
        assert_eq!(login_subject("alice"), "alice");
        assert_eq!(login_subject(&"x".repeat(500)).len(), 64);
    }
}
