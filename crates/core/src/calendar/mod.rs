//! The Asia/Shanghai working-day calendar (DESIGN.md §5): which days are working days given
//! the State Council's statutory holidays and make-up working days (调休上班), and deadlines
//! such as "submit to the bureau within 1 working day of photo approval".
//!
//! The holidays are data (`crates/core/data/holidays.toml`, compiled in; see [`data`]). Years
//! the data does not cover fall back to "Monday–Friday are working days", and every answer
//! says whether that fallback was used so the UI can warn.
//!
//! Semantics, once for all functions here:
//! - A *working day* is a Shanghai calendar day that is a make-up working day, or a
//!   Monday–Friday not inside a holiday period.
//! - [`Calendar::add_working_days`]`(d, n)` for `n ≥ 1` is the n-th working day strictly after
//!   `d` (whether `d` itself works does not matter); for `n = 0` it is `d` if `d` works, else
//!   the next working day.
//! - [`Calendar::working_days_between`]`(a, b)` counts the working days in the half-open
//!   interval `(a, b]`: after `a`, up to and including `b`. So
//!   `working_days_between(d, add_working_days(d, n)) == n` for every `n ≥ 1`; it is negative
//!   when `b < a`.
//! - [`Calendar::deadline_after`]`(t, n)`: see [`Deadline`].

mod data;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

pub use data::{CalendarError, HolidayPeriod, MAX_PERIOD_DAYS, YEARS, YearSchedule};
pub(crate) use data::{TomlDate, toml_date};

/// The time zone every working day and deadline is reckoned in.
pub const TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// From this day of December on, a date also depends on the next year's notice, whose New
/// Year holiday (and its make-up Saturday) can start in late December — e.g. 2018-12-29 was a
/// make-up working day of the 2019 notice, 2022-12-31 a day off of the 2023 notice.
pub const NEXT_NOTICE_REACH_DAY: u32 = 22;

/// The message (args: `date`) the UI shows when an answer used the weekends-only fallback.
pub const FALLBACK_WARNING_KEY: &str = "calendar.fallback_warning";

const BUILTIN: &str = include_str!("../../data/holidays.toml");

/// The holiday data in force: statutory holidays and make-up working days per year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearSchedule>,
    /// Every listed date → (year of its notice, index of its period, is it a make-up day).
    index: BTreeMap<NaiveDate, (i32, usize, bool)>,
}

/// Why a day is or is not a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayReason<'a> {
    /// Monday–Friday with no holiday.
    Weekday,
    /// Saturday or Sunday with no make-up work.
    Weekend,
    /// A day off of this holiday period.
    Holiday(&'a HolidayPeriod),
    /// A weekend day worked to make up for this holiday period (调休上班).
    MakeUp(&'a HolidayPeriod),
}

/// The answer for one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDay<'a> {
    pub date: NaiveDate,
    pub working: bool,
    pub reason: DayReason<'a>,
    /// Whether the holiday data covers this date. When false the answer is the weekends-only
    /// fallback (unless the data happens to list the date) and the UI should say so.
    pub covered: bool,
}

/// A date reached by counting working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDate {
    pub date: NaiveDate,
    /// Some day counted over was beyond the holiday data (weekends-only fallback).
    pub fallback_used: bool,
}

/// A number of working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDayCount {
    pub days: i64,
    /// Some day counted over was beyond the holiday data (weekends-only fallback).
    pub fallback_used: bool,
}

/// "Within N working days after instant T" as a provider promises it ("照片通过审核后，将在
/// 1 个工作日内提交管局"): the promise is kept if the thing is done by the **end of the N-th
/// working day after the Shanghai calendar day of T**. The day of T itself never counts, so
/// an approval at 09:00 or at 23:00 on a Wednesday both give "by the end of Thursday"; an
/// approval on a Saturday (or during a holiday) counts from the next working day, so 1 working
/// day means "by the end of Monday" (the first working day after it).
///
/// `at` is the last millisecond of that day, 23:59:59.999 Asia/Shanghai, in UTC; the deadline
/// is missed when `now > at` ([`Deadline::is_missed`]). For `n = 0` the deadline is the end of
/// the day of T if that day works, else the end of the next working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: DateTime<Utc>,
    /// The Shanghai working day whose end `at` is.
    pub date: NaiveDate,
    /// Some day counted over was beyond the holiday data (weekends-only fallback).
    pub fallback_used: bool,
}

impl Deadline {
    /// Whether `now` is after the deadline.
    pub fn is_missed(&self, now: DateTime<Utc>) -> bool {
        now > self.at
    }
}

/// The Shanghai calendar day of an instant.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&TIME_ZONE).date_naive()
}

/// The instant a Shanghai calendar day starts (00:00 Asia/Shanghai), in UTC.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match TIME_ZONE.from_local_datetime(&midnight).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // Shanghai has had no daylight saving since 1991, so every midnight exists; UTC+8 is
        // the right answer should a future tz database say otherwise.
        None => Utc.from_utc_datetime(&(midnight - Duration::hours(8))),
    }
}

impl Calendar {
    /// The calendar compiled in from `crates/core/data/holidays.toml`. Should that file ever
    /// fail to load (a unit test makes sure it does not) this is the empty calendar, whose
    /// every answer reports the weekends-only fallback — degraded, never silently wrong.
    pub fn builtin() -> &'static Calendar {
        static BUILT: OnceLock<Calendar> = OnceLock::new();
        BUILT.get_or_init(|| Calendar::from_toml(BUILTIN).unwrap_or_default())
    }

    /// A calendar with no holiday data: Monday–Friday work, every answer is a fallback.
    pub fn weekends_only() -> Calendar {
        Calendar::default()
    }

    /// Parses and checks a holiday file (the format of `crates/core/data/holidays.toml`).
    pub fn from_toml(text: &str) -> Result<Calendar, CalendarError> {
        let mut calendar = Calendar::default();
        calendar.merge_toml(text)?;
        Ok(calendar)
    }

    /// Adds the years of a holiday file, each replacing the year of the same number. All or
    /// nothing: on error the calendar is unchanged.
    pub fn merge_toml(&mut self, text: &str) -> Result<(), CalendarError> {
        let schedules = data::parse_file(text)?;
        let mut next = self.clone();
        for schedule in schedules {
            next.add_year(schedule)?;
        }
        *self = next;
        Ok(())
    }

    /// Adds (or replaces) one year, returning the schedule it replaced. Refused, leaving the
    /// calendar unchanged, if the schedule is invalid or lists a date another year lists.
    pub fn add_year(
        &mut self,
        schedule: YearSchedule,
    ) -> Result<Option<YearSchedule>, CalendarError> {
        schedule.check()?;
        let mut years = self.years.clone();
        let replaced = years.insert(schedule.year, schedule);
        let index = build_index(&years)?;
        self.years = years;
        self.index = index;
        Ok(replaced)
    }

    /// The calendar as a holiday file (the format of `crates/core/data/holidays.toml`, without
    /// its comments), for the holiday editor to save; [`Calendar::from_toml`] reads it back.
    pub fn to_toml(&self) -> Result<String, CalendarError> {
        data::write_file(self.years.values())
    }

    /// Removes a year, returning it.
    pub fn remove_year(&mut self, year: i32) -> Option<YearSchedule> {
        let removed = self.years.remove(&year);
        // Removing a year cannot create a conflict; the rebuild cannot fail.
        self.index = build_index(&self.years).unwrap_or_default();
        removed
    }

    /// The years the data covers, ascending.
    pub fn years(&self) -> impl Iterator<Item = &YearSchedule> {
        self.years.values()
    }

    pub fn year(&self, year: i32) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    /// Whether the data fully covers `date`: its year's notice is present and, from
    /// December [`NEXT_NOTICE_REACH_DAY`] on, the next year's too.
    pub fn covers(&self, date: NaiveDate) -> bool {
        let year = date.year();
        self.years.contains_key(&year)
            && (date.month() < 12
                || date.day() < NEXT_NOTICE_REACH_DAY
                || self.years.contains_key(&(year + 1)))
    }

    /// Whether `date` is a working day in Shanghai, why, and whether the data covered it.
    pub fn is_working_day(&self, date: NaiveDate) -> WorkingDay<'_> {
        let covered = self.covers(date);
        let listed = self.index.get(&date).and_then(|&(year, i, make_up)| {
            let period = self.years.get(&year)?.holidays.get(i)?;
            Some(if make_up {
                DayReason::MakeUp(period)
            } else {
                DayReason::Holiday(period)
            })
        });
        let reason = listed.unwrap_or(match date.weekday() {
            Weekday::Sat | Weekday::Sun => DayReason::Weekend,
            _ => DayReason::Weekday,
        });
        WorkingDay {
            date,
            working: matches!(reason, DayReason::Weekday | DayReason::MakeUp(_)),
            reason,
            covered,
        }
    }

    /// See the module docs: the n-th working day after `from` (n ≥ 1), or `from` rolled
    /// forward to a working day (n = 0).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> WorkingDate {
        let mut fallback_used = false;
        let mut date = from;
        let mut remaining = n;
        if n == 0 {
            loop {
                let day = self.is_working_day(date);
                fallback_used |= !day.covered;
                if day.working {
                    break;
                }
                match date.succ_opt() {
                    Some(next) => date = next,
                    None => return saturated(),
                }
            }
            return WorkingDate {
                date,
                fallback_used,
            };
        }
        while remaining > 0 {
            match date.succ_opt() {
                Some(next) => date = next,
                None => return saturated(),
            }
            let day = self.is_working_day(date);
            fallback_used |= !day.covered;
            if day.working {
                remaining -= 1;
            }
        }
        WorkingDate {
            date,
            fallback_used,
        }
    }

    /// See the module docs: the working days in `(a, b]`, negative when `b < a`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> WorkingDayCount {
        let (from, to, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut days = 0i64;
        let mut fallback_used = false;
        for date in from.iter_days().skip(1).take_while(|d| *d <= to) {
            let day = self.is_working_day(date);
            fallback_used |= !day.covered;
            if day.working {
                days += 1;
            }
        }
        WorkingDayCount {
            days: sign * days,
            fallback_used,
        }
    }

    /// The deadline "within `n` working days after `instant`"; see [`Deadline`].
    pub fn deadline_after(&self, instant: DateTime<Utc>, n: u32) -> Deadline {
        let day = self.add_working_days(local_date(instant), n);
        let at = day
            .date
            .succ_opt()
            .map(|next| start_of_day(next) - Duration::milliseconds(1))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Deadline {
            at,
            date: day.date,
            fallback_used: day.fallback_used,
        }
    }
}

/// Counting ran off the end of chrono's calendar (year 262143); only reachable with absurd
/// inputs, reported as a fallback.
fn saturated() -> WorkingDate {
    WorkingDate {
        date: NaiveDate::MAX,
        fallback_used: true,
    }
}

fn build_index(
    years: &BTreeMap<i32, YearSchedule>,
) -> Result<BTreeMap<NaiveDate, (i32, usize, bool)>, CalendarError> {
    let mut index = BTreeMap::new();
    for (&year, schedule) in years {
        for (i, period) in schedule.holidays.iter().enumerate() {
            let listed = period
                .days()
                .map(|d| (d, false))
                .chain(period.make_up.iter().map(|&d| (d, true)));
            for (date, make_up) in listed {
                if index.insert(date, (year, i, make_up)).is_some() {
                    return Err(CalendarError::DateTwice { date });
                }
            }
        }
    }
    Ok(index)
}

/// [`Calendar::is_working_day`] on the builtin calendar.
pub fn is_working_day(date: NaiveDate) -> WorkingDay<'static> {
    Calendar::builtin().is_working_day(date)
}

/// [`Calendar::deadline_after`] on the builtin calendar.
pub fn deadline_after(instant: DateTime<Utc>, n: u32) -> Deadline {
    Calendar::builtin().deadline_after(instant, n)
}

#[cfg(test)]
mod tests;
