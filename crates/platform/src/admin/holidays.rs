//! The holiday years admins enter: validated (dates, each within the reach of its year's
//! notice, no day listed twice, also across the neighbouring years), stored, and from then on
//! merged over the builtin calendar ([`beian_store::Store::calendar`]); removed again
//! ([`delete_year`]); and [`calendar_coverage`]: how far the calendar's data reaches and the
//! open orders whose deadlines lie past it (counted on the weekends-only fallback).

use beian_core::calendar::{HolidayPeriod, YearSchedule, local_date};
use beian_core::order::OrderState;
use beian_store::Store;
use beian_store::admin::with_year;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::AdminError;
use crate::message::FieldError;

/// One holiday period as the API reads and writes it (dates `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodBody {
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    /// First day off.
    pub first: String,
    /// Last day off (weekends inside included).
    pub last: String,
    /// Weekend days worked for this period (调休上班).
    #[serde(default)]
    pub make_up: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A year's schedule as the API reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearBody {
    /// The State Council notice's title.
    pub notice: String,
    pub holidays: Vec<PeriodBody>,
}

impl From<&YearSchedule> for YearBody {
    fn from(y: &YearSchedule) -> YearBody {
        YearBody {
            notice: y.notice.clone(),
            holidays: y
                .holidays
                .iter()
                .map(|p| PeriodBody {
                    name_zh: p.name_zh.clone(),
                    name_en: p.name_en.clone(),
                    first: p.first.to_string(),
                    last: p.last.to_string(),
                    make_up: p.make_up.iter().map(NaiveDate::to_string).collect(),
                    note: p.note.clone(),
                })
                .collect(),
        }
    }
}

fn parse_date(path: String, value: &str, fields: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            fields.push(FieldError::new(path, "api.field.date"));
            None
        }
    }
}

/// Validates a year (dates, each within the reach of that year's notice, no day listed
/// twice, also against the neighbouring years) and stores it; the merged calendar then uses it.
pub async fn put_year(
    store: &Store,
    actor: &str,
    year: i32,
    body: &YearBody,
) -> Result<YearSchedule, AdminError> {
    let mut fields = Vec::new();
    let mut holidays = Vec::new();
    for (i, p) in body.holidays.iter().enumerate() {
        let first = parse_date(format!("holidays.{i}.first"), &p.first, &mut fields);
        let last = parse_date(format!("holidays.{i}.last"), &p.last, &mut fields);
        let make_up: Vec<Option<NaiveDate>> = p
            .make_up
            .iter()
            .enumerate()
            .map(|(j, d)| parse_date(format!("holidays.{i}.make_up.{j}"), d, &mut fields))
            .collect();
        if let (Some(first), Some(last)) = (first, last) {
            holidays.push(HolidayPeriod {
                name_zh: p.name_zh.trim().to_owned(),
                name_en: p.name_en.trim().to_owned(),
                first,
                last,
                make_up: make_up.into_iter().flatten().collect(),
                note: p.note.clone().filter(|n| !n.trim().is_empty()),
            });
        }
    }
    if !fields.is_empty() {
        return Err(AdminError::Invalid(fields));
    }
    let schedule = YearSchedule {
        year,
        notice: body.notice.trim().to_owned(),
        holidays,
    };
    let current = store.calendar().await?;
    with_year(&current, schedule.clone())
        .map_err(|e| AdminError::Invalid(vec![FieldError::localized("holidays", &e)]))?;
    let mut tx = store.begin().await?;
    tx.put_calendar_year(actor, &schedule).await?;
    tx.commit().await?;
    Ok(schedule)
}

/// Removes an admin's year: the builtin data (if any) applies again. `NotFound` when no
/// year was stored.
pub async fn delete_year(store: &Store, actor: &str, year: i32) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    tx.delete_calendar_year(actor, year).await?;
    tx.commit().await?;
    Ok(())
}

/// An open order's deadline that lies past the calendar's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastDeadline {
    pub order_id: String,
    pub state: String,
    /// The deadline's name in `orders.deadlines` (`provider_step` for the 1-working-day step).
    pub deadline: String,
    /// The deadline's Shanghai day.
    pub date: NaiveDate,
}

/// How far the calendar in force reaches, and the open orders it does not cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarCoverage {
    /// The years with holiday data (builtin or an admin's), ascending.
    pub years: Vec<i32>,
    /// The last day the data covers (from December 22 a year needs the next year's notice
    /// too); `None` without any data.
    pub covered_until: Option<NaiveDate>,
    /// Open orders' deadlines past `covered_until` (or computed over days the data does not
    /// cover), soonest first.
    pub past: Vec<PastDeadline>,
}

/// The coverage of the calendar in force over the open orders' deadlines: each stored
/// deadline (`orders.deadlines`) and, for an order in a provider step, its 1-working-day
/// deadline, checked against the data.
pub async fn calendar_coverage(store: &Store) -> Result<CalendarCoverage, AdminError> {
    let calendar = store.calendar().await?;
    let years: Vec<i32> = calendar.years().map(|y| y.year).collect();
    let covered_until = years.last().and_then(|last| {
        let mut day = NaiveDate::from_ymd_opt(*last, 12, 31)?;
        for _ in 0..31 {
            if calendar.covers(day) {
                return Some(day);
            }
            day = day.pred_opt()?;
        }
        None
    });
    let closed: Vec<&str> = OrderState::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(OrderState::as_str)
        .collect();
    let mut past = Vec::new();
    for row in store.orders_with_deadlines(&closed).await? {
        if let Some(deadlines) = row.deadlines.as_object() {
            for (name, value) in deadlines {
                let Some(at) = crate::dashboard::instant_ms(value)
                    .and_then(chrono::DateTime::from_timestamp_millis)
                else {
                    continue;
                };
                let date = local_date(at);
                if !calendar.covers(date) {
                    past.push(PastDeadline {
                        order_id: row.order_id.clone(),
                        state: row.state.clone(),
                        deadline: name.clone(),
                        date,
                    });
                }
            }
        }
        let provider_step = OrderState::parse(&row.state)
            .is_some_and(|s| crate::workflow::REVIEW_STATES.contains(&s));
        if let (true, Some(entered)) = (
            provider_step,
            chrono::DateTime::from_timestamp_millis(row.entered_at),
        ) {
            let d = calendar.deadline_after(entered, 1);
            if d.fallback_used {
                past.push(PastDeadline {
                    order_id: row.order_id.clone(),
                    state: row.state.clone(),
                    deadline: "provider_step".into(),
                    date: d.date,
                });
            }
        }
    }
    past.sort_by(|a, b| (a.date, &a.order_id).cmp(&(b.date, &b.order_id)));
    Ok(CalendarCoverage {
        years,
        covered_until,
        past,
    })
}
