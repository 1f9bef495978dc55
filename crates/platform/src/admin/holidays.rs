//! The holiday years admins enter: validated (dates, each within the reach of its year's
//! notice, no day listed twice, also across the neighbouring years), stored, and from then on
//! merged over the builtin calendar ([`beian_store::Store::calendar`]).

use beian_core::calendar::{HolidayPeriod, YearSchedule};
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
