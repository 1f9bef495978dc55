//! How the simulated bureau behaves: review mode and delay, the SMS check's timing and the
//! province rule that says whether a filing needs it, and the retry limits.

use std::fmt;
use std::sync::Arc;

use beian_core::kind::FilingKind;
use beian_core::province::Province;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

/// Whether the bureau decides by itself or waits for an officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewMode {
    /// Decided by the rules once the delay has passed.
    Auto(ReviewDelay),
    /// Left for an officer at the console (`/sim/bureau/reviews/{id}/decide`).
    Manual,
}

/// How long an automatic review takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDelay {
    Minutes(i64),
    WorkingDays(u32),
}

impl ReviewDelay {
    /// When a submission queued at `from` is due.
    pub fn due(self, from: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            ReviewDelay::Minutes(m) => from + Duration::minutes(m),
            ReviewDelay::WorkingDays(n) => add_working_days(from, n),
        }
    }
}

/// `n` working days after `from`, at the same Shanghai wall-clock time.
///
/// TODO(lead): use beian_core::calendar (statutory holidays and make-up working days); this
/// stand-in only skips Saturdays and Sundays.
pub fn add_working_days(from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let local = from.with_timezone(&chrono_tz::Asia::Shanghai);
    let mut day: NaiveDate = local.date_naive();
    let mut left = n;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    let naive = day.and_time(local.time());
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&naive)
        .single()
        .map_or(from + Duration::days(i64::from(n)), |t| {
            t.with_timezone(&Utc)
        })
}

/// The province rule for the SMS check: the window in which the code must be entered, or
/// `None` when the filing needs no SMS check.
pub type SmsRule =
    Arc<dyn Fn(Province, FilingKind, DateTime<Utc>) -> Option<Duration> + Send + Sync>;

/// The simulator's settings.
#[derive(Clone)]
pub struct Config {
    pub review: ReviewMode,
    /// How long after receipt the SMS code is sent (about 5 minutes).
    pub sms_delay: Duration,
    /// Whether and how long the SMS check runs for a filing.
    pub sms_rule: SmsRule,
    /// Wrong SMS codes allowed; the next one returns the filing (5: the sixth returns).
    pub sms_max_wrong: u32,
    /// Wrong filing passwords allowed per Shanghai day before the lockout.
    pub password_max_failures: u32,
    /// How long a password-recovery code is valid.
    pub recovery_code_validity: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("review", &self.review)
            .field("sms_delay", &self.sms_delay)
            .field("sms_max_wrong", &self.sms_max_wrong)
            .field("password_max_failures", &self.password_max_failures)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            review: ReviewMode::Auto(ReviewDelay::WorkingDays(3)),
            sms_delay: Duration::minutes(5),
            sms_rule: Arc::new(default_sms_window),
            sms_max_wrong: 5,
            password_max_failures: 5,
            recovery_code_validity: Duration::minutes(10),
        }
    }
}

/// The SMS rule as DESIGN.md §6 states it: before 2020-08-17 only the 7 pilot provinces, with
/// a 48-hour window; since then every province and every kind but cancel access, 24 hours.
///
/// TODO(lead): use beian_core::rules::rules_for(province, kind, at) instead.
pub fn default_sms_window(
    province: Province,
    kind: FilingKind,
    at: DateTime<Utc>,
) -> Option<Duration> {
    let nationwide = Utc.with_ymd_and_hms(2020, 8, 16, 16, 0, 0).single()?;
    if at >= nationwide {
        return (kind != FilingKind::CancelAccess).then(|| Duration::hours(24));
    }
    let pilots = [
        Province::TIANJIN,
        Province::GANSU,
        Province::TIBET,
        Province::NINGXIA,
        Province::HAINAN,
        Province::XINJIANG,
        Province::QINGHAI,
    ];
    (pilots.contains(&province) && kind != FilingKind::CancelAccess).then(|| Duration::hours(48))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        // 2026-03-06 is a Friday; 10:00 Shanghai = 02:00 UTC.
        let friday = Utc.with_ymd_and_hms(2026, 3, 6, 2, 0, 0).unwrap();
        let cases = [
            (0, Utc.with_ymd_and_hms(2026, 3, 6, 2, 0, 0).unwrap()),
            (1, Utc.with_ymd_and_hms(2026, 3, 9, 2, 0, 0).unwrap()),
            (3, Utc.with_ymd_and_hms(2026, 3, 11, 2, 0, 0).unwrap()),
        ];
        for (n, want) in cases {
            assert_eq!(add_working_days(friday, n), want, "{n}");
        }
    }

    #[test]
    fn sms_window_by_date_and_province() {
        let old = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap();
        let new = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let first = FilingKind::FirstFiling;
        assert_eq!(
            default_sms_window(Province::TIANJIN, first, old),
            Some(Duration::hours(48))
        );
        assert_eq!(default_sms_window(Province::ZHEJIANG, first, old), None);
        assert_eq!(
            default_sms_window(Province::ZHEJIANG, first, new),
            Some(Duration::hours(24))
        );
        assert_eq!(
            default_sms_window(Province::ZHEJIANG, FilingKind::CancelAccess, new),
            None
        );
    }
}
