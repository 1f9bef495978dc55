//! Waiting without depending on the machine's speed. A wait polls a condition and ends as
//! soon as it holds; its only real-time bound, [`HANG_BOUND`], catches a hang (a condition
//! that never holds), not a slow machine. Simulated time moves only where the test or
//! [`TestApp::run_until`] moves it, by amounts that do not depend on how fast anything runs:
//!
//! - [`wait_until`]: poll a condition (something another task does at once: the simulator
//!   deciding once its clock passed, a sink receiving mail);
//! - [`TestApp::settle`]: wait until the job worker has run everything due at the simulated
//!   now (no job due, none running);
//! - [`TestApp::run_until`]: settle, check, and move the clock to the next job due (at most
//!   a step), until the condition holds — within a bound of simulated time;
//!   [`TestApp::eventually`] steps a minute at a time for up to two hours.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::TestApp;

/// How long any one wait may take in real time before the test fails as hung. Generous on
/// purpose: a condition that holds ends the wait at once, so a slow machine only waits
/// longer, never fails.
pub const HANG_BOUND: Duration = Duration::from_secs(600);

/// The real time between two polls.
const POLL: Duration = Duration::from_millis(20);

/// Polls `f` until it holds; panics (naming `what`) after [`HANG_BOUND`].
pub async fn wait_until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if f().await {
            return;
        }
        assert!(
            started.elapsed() < HANG_BOUND,
            "hung waiting until {what} ({HANG_BOUND:?})"
        );
        tokio::time::sleep(POLL).await;
    }
}

impl TestApp {
    /// Jobs due at the simulated now or running.
    async fn busy_jobs(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs \
             WHERE (status = 'pending' AND due_at <= $1) OR status = 'running'",
        )
        .bind(self.store.now().timestamp_millis())
        .fetch_one(self.store.pool())
        .await
        .unwrap()
    }

    /// When the next pending job is due.
    async fn next_due(&self) -> Option<DateTime<Utc>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT MIN(due_at) FROM jobs WHERE status = 'pending'")
                .fetch_one(self.store.pool())
                .await
                .unwrap();
        at.and_then(DateTime::from_timestamp_millis)
    }

    /// Waits until the job worker has run every job due at the simulated now: none due, none
    /// running (jobs they enqueue for now run too).
    pub async fn settle(&self) {
        wait_until("the job queue settles", || async {
            self.busy_jobs().await == 0
        })
        .await;
    }

    /// Until `f` holds: settles the queue, checks `f`, and moves the simulated clock to the
    /// next job due, at most `step` ahead (the simulator's timers run on the same clock).
    /// Panics when more than `within` of simulated time passed.
    pub async fn run_until<F, Fut>(
        &self,
        what: &str,
        step: chrono::Duration,
        within: chrono::Duration,
        mut f: F,
    ) where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let give_up = self.clock.now() + within;
        loop {
            self.settle().await;
            if f().await {
                return;
            }
            let now = self.clock.now();
            assert!(
                now < give_up,
                "{what}: still not so after {within} of simulated time"
            );
            let next = self
                .next_due()
                .await
                .filter(|at| *at > now)
                .map_or(now + step, |at| at.min(now + step));
            self.advance_to(next);
        }
    }
}

impl TestApp {
    /// [`TestApp::run_until`] a minute at a time, for up to two hours of simulated time: what
    /// the worker does of itself (deliveries, results polls, retries) once it is due.
    pub async fn eventually<F, Fut>(&self, what: &str, f: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        self.run_until(
            what,
            chrono::Duration::minutes(1),
            chrono::Duration::hours(2),
            f,
        )
        .await;
    }
}
