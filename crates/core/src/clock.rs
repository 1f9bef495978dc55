//! The clock the whole system reads: the system clock in production, or a simulated clock that
//! demos and tests move forward (`POST /sim/clock/advance`). Deadlines, SMS windows and the
//! bureau's review delays are all measured against it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

/// A boxed future, so that [`Clock`] stays usable as `dyn Clock`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The time source shared by the whole system.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once the clock reads `at` or later.
    fn sleep_until(&self, at: DateTime<Utc>) -> BoxFuture<'_, ()>;

    /// Resolves when the clock is moved by hand (never, for the system clock). Background
    /// tasks select on it so that an advance takes effect at once.
    fn changed(&self) -> BoxFuture<'_, ()>;

    /// The simulated clock behind this one, if it is simulated.
    fn simulated(&self) -> Option<&SimulatedClock> {
        None
    }
}

/// A clock shared between tasks.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let wait = (at - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
        })
    }

    fn changed(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::pending())
    }
}

/// A clock that stands still until [`SimulatedClock::advance`] moves it; every waiter wakes on
/// each move and checks its own deadline.
#[derive(Debug)]
pub struct SimulatedClock {
    now: watch::Sender<DateTime<Utc>>,
}

/// Why the simulated clock refused to move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("the clock only moves forward")]
    Backwards,
    #[error("this clock is not simulated")]
    NotSimulated,
}

impl SimulatedClock {
    /// A simulated clock reading `start`.
    pub fn new(start: DateTime<Utc>) -> SimulatedClock {
        let (now, _) = watch::channel(start);
        SimulatedClock { now }
    }

    /// Moves the clock forward by `by` and wakes every waiter; returns the new time.
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, ClockError> {
        if by < Duration::zero() {
            return Err(ClockError::Backwards);
        }
        let mut new = *self.now.borrow();
        self.now.send_modify(|t| {
            *t += by;
            new = *t;
        });
        Ok(new)
    }

    /// Moves the clock forward by whole minutes.
    pub fn advance_minutes(&self, minutes: i64) -> Result<DateTime<Utc>, ClockError> {
        self.advance(Duration::minutes(minutes))
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> BoxFuture<'_, ()> {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            loop {
                if *rx.borrow_and_update() >= at {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
    }

    fn changed(&self) -> BoxFuture<'_, ()> {
        let mut rx = self.now.subscribe();
        rx.mark_unchanged();
        Box::pin(async move {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }

    fn simulated(&self) -> Option<&SimulatedClock> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
    }

    #[test]
    fn advance_moves_forward_only() {
        let clock = SimulatedClock::new(start());
        assert_eq!(clock.now(), start());
        let t = clock.advance_minutes(90).unwrap();
        assert_eq!(t, start() + Duration::minutes(90));
        assert_eq!(clock.now(), t);
        assert_eq!(clock.advance_minutes(-1), Err(ClockError::Backwards));
        assert_eq!(clock.now(), t);
    }

    #[tokio::test]
    async fn advance_wakes_a_sleeper_only_when_its_time_has_come() {
        let clock = Arc::new(SimulatedClock::new(start()));
        let waiter = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(start() + Duration::minutes(10)).await })
        };
        tokio::task::yield_now().await;
        clock.advance_minutes(5).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "woke too early");
        clock.advance_minutes(5).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(2), waiter)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn changed_resolves_on_advance() {
        let clock = Arc::new(SimulatedClock::new(start()));
        let fut = clock.changed();
        clock.advance_minutes(1).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(2), fut)
            .await
            .unwrap();
    }
}
