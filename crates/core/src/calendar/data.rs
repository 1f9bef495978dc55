//! The holiday data behind the working-day calendar: one [`YearSchedule`] per State Council
//! notice, parsed from TOML (`crates/core/data/holidays.toml` is the builtin one) and checked
//! before use, so an admin's new year cannot silently break deadline arithmetic.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::i18n::Localized;

/// The longest holiday period we accept: the longest ever published was 10 days (Spring
/// Festival 2020 after its extension); anything much longer is a typo.
pub const MAX_PERIOD_DAYS: i64 = 16;

/// The years a schedule may be for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2199;

/// One State Council notice: the holiday periods of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearSchedule {
    pub year: i32,
    /// The notice's title (and number, when known).
    pub notice: String,
    pub holidays: Vec<HolidayPeriod>,
}

/// One period of a notice: the days off (`first..=last`, weekends inside included) and the
/// weekend days made working days for it (调休上班).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayPeriod {
    /// As the notice names it, e.g. `国庆节、中秋节`.
    pub name_zh: String,
    pub name_en: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub make_up: Vec<NaiveDate>,
    pub note: Option<String>,
}

impl HolidayPeriod {
    /// Every day off in the period, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first.iter_days().take_while(|d| *d <= self.last)
    }

    /// Number of days off, weekends inside included.
    pub fn len_days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }
}

/// Why holiday data was refused. Dates in the messages are `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("holiday data is not valid TOML of the expected shape: {detail}")]
    BadFile { detail: String },
    #[error("{value} is not a calendar date (YYYY-MM-DD)")]
    NotADate { value: String },
    #[error("year {year} is outside {}..={}", YEARS.start(), YEARS.end())]
    YearOutOfRange { year: i32 },
    #[error("year {year} appears twice")]
    DuplicateYear { year: i32 },
    #[error("year {year}: a holiday period has no Chinese name")]
    EmptyName { year: i32 },
    #[error("year {year}, {name}: the period ends ({last}) before it starts ({first})")]
    PeriodReversed {
        year: i32,
        name: String,
        first: NaiveDate,
        last: NaiveDate,
    },
    #[error("year {year}, {name}: {days} days off is longer than {MAX_PERIOD_DAYS}")]
    PeriodTooLong { year: i32, name: String, days: i64 },
    #[error("year {year}: {date} does not belong to that year's notice")]
    DateOutsideYear { year: i32, date: NaiveDate },
    #[error("year {year}: make-up working day {date} is not a Saturday or Sunday")]
    MakeUpNotWeekend { year: i32, date: NaiveDate },
    #[error("{date} is listed more than once (as a day off or a make-up working day)")]
    DateTwice { date: NaiveDate },
}

impl Localized for CalendarError {
    fn message_key(&self) -> &'static str {
        match self {
            CalendarError::BadFile { .. } => "calendar.bad_file",
            CalendarError::NotADate { .. } => "calendar.not_a_date",
            CalendarError::YearOutOfRange { .. } => "calendar.year_out_of_range",
            CalendarError::DuplicateYear { .. } => "calendar.duplicate_year",
            CalendarError::EmptyName { .. } => "calendar.empty_name",
            CalendarError::PeriodReversed { .. } => "calendar.period_reversed",
            CalendarError::PeriodTooLong { .. } => "calendar.period_too_long",
            CalendarError::DateOutsideYear { .. } => "calendar.date_outside_year",
            CalendarError::MakeUpNotWeekend { .. } => "calendar.make_up_not_weekend",
            CalendarError::DateTwice { .. } => "calendar.date_twice",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            CalendarError::BadFile { detail } => vec![("detail", detail.clone())],
            CalendarError::NotADate { value } => vec![("value", value.clone())],
            CalendarError::YearOutOfRange { year } | CalendarError::DuplicateYear { year } => {
                vec![
                    ("year", year.to_string()),
                    ("min", YEARS.start().to_string()),
                    ("max", YEARS.end().to_string()),
                ]
            }
            CalendarError::EmptyName { year } => vec![("year", year.to_string())],
            CalendarError::PeriodReversed {
                year,
                name,
                first,
                last,
            } => vec![
                ("year", year.to_string()),
                ("name", name.clone()),
                ("first", first.to_string()),
                ("last", last.to_string()),
            ],
            CalendarError::PeriodTooLong { year, name, days } => vec![
                ("year", year.to_string()),
                ("name", name.clone()),
                ("days", days.to_string()),
                ("max", MAX_PERIOD_DAYS.to_string()),
            ],
            CalendarError::DateOutsideYear { year, date }
            | CalendarError::MakeUpNotWeekend { year, date } => {
                vec![("year", year.to_string()), ("date", date.to_string())]
            }
            CalendarError::DateTwice { date } => vec![("date", date.to_string())],
        }
    }
}

/// A TOML local date (`2026-10-01`) or a string holding one, as a [`NaiveDate`].
pub(crate) fn toml_date(value: &TomlDate) -> Result<NaiveDate, CalendarError> {
    let not_a_date = || CalendarError::NotADate {
        value: value.to_string(),
    };
    match value {
        TomlDate::Native(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(not_a_date)
            }
            _ => Err(not_a_date()),
        },
        TomlDate::Text(s) => {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| not_a_date())
        }
    }
}

/// A date as written in a data file: a TOML date, or a quoted `"YYYY-MM-DD"` for editors that
/// only write strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum TomlDate {
    Native(toml::value::Datetime),
    Text(String),
}

impl std::fmt::Display for TomlDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TomlDate::Native(dt) => write!(f, "{dt}"),
            TomlDate::Text(s) => f.write_str(s),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    years: Vec<YearDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearDoc {
    year: i32,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    holidays: Vec<PeriodDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodDoc {
    name_zh: String,
    #[serde(default)]
    name_en: String,
    first: TomlDate,
    last: TomlDate,
    #[serde(default)]
    make_up: Vec<TomlDate>,
    note: Option<String>,
}

/// Parses a holiday file into checked schedules, in file order. Each schedule is checked on
/// its own here; checks across years (a date listed by two notices) happen when the schedules
/// are put into a calendar.
pub(crate) fn parse_file(text: &str) -> Result<Vec<YearSchedule>, CalendarError> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| CalendarError::BadFile {
        detail: e.message().to_owned(),
    })?;
    let mut out: Vec<YearSchedule> = Vec::with_capacity(doc.years.len());
    for y in doc.years {
        if out.iter().any(|s| s.year == y.year) {
            return Err(CalendarError::DuplicateYear { year: y.year });
        }
        let mut holidays = Vec::with_capacity(y.holidays.len());
        for p in y.holidays {
            holidays.push(HolidayPeriod {
                name_zh: p.name_zh,
                name_en: p.name_en,
                first: toml_date(&p.first)?,
                last: toml_date(&p.last)?,
                make_up: p.make_up.iter().map(toml_date).collect::<Result<_, _>>()?,
                note: p.note,
            });
        }
        let schedule = YearSchedule {
            year: y.year,
            notice: y.notice,
            holidays,
        };
        schedule.check()?;
        out.push(schedule);
    }
    Ok(out)
}

impl YearSchedule {
    /// Checks the schedule on its own: sane year, named periods that run forwards and are not
    /// absurdly long, every date within the notice's reach (December of the year before through
    /// the year itself), make-up days on weekends, and no date listed twice.
    pub fn check(&self) -> Result<(), CalendarError> {
        let year = self.year;
        if !YEARS.contains(&year) {
            return Err(CalendarError::YearOutOfRange { year });
        }
        let (Some(reach_from), Some(reach_to)) = (
            NaiveDate::from_ymd_opt(year - 1, 12, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Err(CalendarError::YearOutOfRange { year });
        };
        let within = |date: NaiveDate| {
            if (reach_from..=reach_to).contains(&date) {
                Ok(())
            } else {
                Err(CalendarError::DateOutsideYear { year, date })
            }
        };
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.holidays {
            if p.name_zh.trim().is_empty() {
                return Err(CalendarError::EmptyName { year });
            }
            if p.last < p.first {
                return Err(CalendarError::PeriodReversed {
                    year,
                    name: p.name_zh.clone(),
                    first: p.first,
                    last: p.last,
                });
            }
            if p.len_days() > MAX_PERIOD_DAYS {
                return Err(CalendarError::PeriodTooLong {
                    year,
                    name: p.name_zh.clone(),
                    days: p.len_days(),
                });
            }
            within(p.first)?;
            within(p.last)?;
            for date in p.days() {
                if !seen.insert(date) {
                    return Err(CalendarError::DateTwice { date });
                }
            }
            for &date in &p.make_up {
                within(date)?;
                if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(CalendarError::MakeUpNotWeekend { year, date });
                }
                if !seen.insert(date) {
                    return Err(CalendarError::DateTwice { date });
                }
            }
        }
        Ok(())
    }
}

/// A date as a TOML local date (a string only if it cannot be one).
fn date_value(date: NaiveDate) -> toml::Value {
    let parts = (
        u16::try_from(date.year()),
        u8::try_from(date.month()),
        u8::try_from(date.day()),
    );
    match parts {
        (Ok(year), Ok(month), Ok(day)) => toml::Value::Datetime(toml::value::Datetime {
            date: Some(toml::value::Date { year, month, day }),
            time: None,
            offset: None,
        }),
        _ => toml::Value::String(date.to_string()),
    }
}

/// Writes schedules in the format [`parse_file`] reads (for the holiday editor to save).
pub(crate) fn write_file<'a>(
    schedules: impl Iterator<Item = &'a YearSchedule>,
) -> Result<String, CalendarError> {
    let years: Vec<toml::Value> = schedules
        .map(|s| {
            let holidays: Vec<toml::Value> = s
                .holidays
                .iter()
                .map(|p| {
                    let mut t = toml::Table::new();
                    t.insert("name_zh".into(), p.name_zh.clone().into());
                    t.insert("name_en".into(), p.name_en.clone().into());
                    t.insert("first".into(), date_value(p.first));
                    t.insert("last".into(), date_value(p.last));
                    if !p.make_up.is_empty() {
                        let days = p.make_up.iter().copied().map(date_value).collect();
                        t.insert("make_up".into(), toml::Value::Array(days));
                    }
                    if let Some(note) = &p.note {
                        t.insert("note".into(), note.clone().into());
                    }
                    toml::Value::Table(t)
                })
                .collect();
            let mut t = toml::Table::new();
            t.insert("year".into(), i64::from(s.year).into());
            t.insert("notice".into(), s.notice.clone().into());
            t.insert("holidays".into(), toml::Value::Array(holidays));
            toml::Value::Table(t)
        })
        .collect();
    let mut doc = toml::Table::new();
    doc.insert("years".into(), toml::Value::Array(years));
    toml::to_string(&doc).map_err(|e| CalendarError::BadFile {
        detail: e.to_string(),
    })
}
