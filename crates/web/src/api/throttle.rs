//! Abuse limits. Per client address, in this instance's memory (each instance counts alone):
//! a token bucket over all API requests, and a one-minute window of failed logins.
//!
//! Login throttling without lockout of the owner (ASVS 5.0 6.3.1/6.3.2, NIST 800-63B
//! §5.2.2), in the database (shared by every instance), over a window of
//! [`ApiSettings::login_failure_window`] (24 h): failures are counted per (username as typed,
//! source address) and per source address. Past the free allowance of each
//! ([`ApiSettings::login_free_failures_per_account_and_source`], 5, and
//! [`ApiSettings::login_free_failures_per_source`], 50) every further attempt from there
//! waits a delay that doubles with each failure (1 s, 2 s, 4 s, …, at most
//! [`ApiSettings::login_delay_cap`], 15 min) counted from the latest failure; meanwhile it is
//! refused (429 `too_many_attempts`, `Retry-After`) without the password being checked or
//! counted. Nothing is counted per account alone: failures from other addresses never
//! delay the owner at an address that did not fail. A success clears its (account, source)
//! count; admins list and clear counts (`/api/v1/admin/login-throttles`).
//! Every window is measured on the system's one clock (simulated in demos and tests).
//!
//! [`ApiSettings::login_failure_window`]: crate::settings::ApiSettings::login_failure_window
//! [`ApiSettings::login_free_failures_per_account_and_source`]: crate::settings::ApiSettings::login_free_failures_per_account_and_source
//! [`ApiSettings::login_free_failures_per_source`]: crate::settings::ApiSettings::login_free_failures_per_source
//! [`ApiSettings::login_delay_cap`]: crate::settings::ApiSettings::login_delay_cap

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

/// The username as typed, bounded in length (the part of a subject that names the account).
pub fn login_subject(username: &str) -> String {
    username.chars().take(64).collect()
}

/// The subject of failures of `username` from `ip`.
pub fn pair_subject(ip: IpAddr, username: &str) -> String {
    format!("pair:{ip} {}", login_subject(username))
}

/// The subject of failures from `ip`, whatever the username.
pub fn source_subject(ip: IpAddr) -> String {
    format!("source:{ip}")
}

/// The wait after `count` failures when `free` of them cost nothing: none up to `free`, then
/// 1 s doubling with each further failure, at most `cap`.
pub fn delay_after(count: i64, free: u32, cap: Duration) -> Option<Duration> {
    let over = count - i64::from(free);
    if over < 0 {
        return None;
    }
    let secs = 1u64.checked_shl(u32::try_from(over).unwrap_or(63).min(63));
    Some(secs.map_or(cap, Duration::from_secs).min(cap))
}

/// `Some(seconds)` to wait while `subject` is delayed (its last failure plus its delay is
/// still ahead of now).
async fn subject_wait(
    store: &Store,
    subject: &str,
    free: u32,
    settings: &ApiSettings,
) -> Result<Option<u64>, ApiError> {
    let now = store.now().timestamp_millis();
    let window = i64::try_from(settings.login_failure_window.as_millis()).unwrap_or(i64::MAX);
    let failures = store
        .login_failures_since(subject, now.saturating_sub(window))
        .await?;
    let (Some(delay), Some(newest)) = (
        delay_after(failures.count, free, settings.login_delay_cap),
        failures.newest_at,
    ) else {
        return Ok(None);
    };
    let until = newest.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
    Ok((until > now).then(|| {
        u64::try_from(until - now)
            .unwrap_or(1000)
            .div_ceil(1000)
            .max(1)
    }))
}

/// `Some(seconds)` to wait before `username` may try to log in from `ip`.
pub async fn login_wait(
    store: &Store,
    settings: &ApiSettings,
    ip: IpAddr,
    username: &str,
) -> Result<Option<u64>, ApiError> {
    let pair = subject_wait(
        store,
        &pair_subject(ip, username),
        settings.login_free_failures_per_account_and_source,
        settings,
    )
    .await?;
    let source = subject_wait(
        store,
        &source_subject(ip),
        settings.login_free_failures_per_source,
        settings,
    )
    .await?;
    Ok(pair.max(source))
}

/// Counts a failed login of `username` from `ip` (under both subjects) and drops counts that
/// fell out of the window.
pub async fn record_login_failure(
    store: &Store,
    settings: &ApiSettings,
    ip: IpAddr,
    username: &str,
) -> Result<(), ApiError> {
    store
        .record_login_failure(&pair_subject(ip, username))
        .await?;
    store.record_login_failure(&source_subject(ip)).await?;
    let now = store.now().timestamp_millis();
    let window = i64::try_from(settings.login_failure_window.as_millis()).unwrap_or(i64::MAX);
    store
        .purge_login_failures(now.saturating_sub(window))
        .await?;
    Ok(())
}

/// A successful login of `username` from `ip` clears that pair's count.
pub async fn clear_after_success(
    store: &Store,
    ip: IpAddr,
    username: &str,
) -> Result<(), ApiError> {
    store
        .clear_login_failures(&pair_subject(ip, username))
        .await?;
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
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(pair_subject(ip, "alice"), "pair:10.0.0.1 alice");
        assert_eq!(source_subject(ip), "source:10.0.0.1");
    }

    #[test]
    fn delays_grow_past_the_free_failures_up_to_the_cap() {
        let cap = Duration::from_secs(900);
        let secs = |n| delay_after(n, 5, cap).map(|d| d.as_secs());
        assert_eq!(secs(0), None);
        assert_eq!(secs(4), None);
        assert_eq!(secs(5), Some(1));
        assert_eq!(secs(6), Some(2));
        assert_eq!(secs(10), Some(32));
        assert_eq!(secs(20), Some(900));
        assert_eq!(secs(500), Some(900));
    }
}
