//! The admins' pages of the rules and the calendar (admins only):
//! - `/staff/rules`: the province rules ([`beian_core::rules::RuleBook`], from
//!   `crates/core/data/rules.toml`) as of a day (today by default; a date picker), optionally
//!   for one province: each version with its effective date, whether it is in force, where
//!   it applies, its value and its source (a link where the source names one);
//! - `/staff/holidays`: the holiday years in force (builtin or an admin's), a form to add or
//!   replace a year's State Council schedule (one line per holiday period, parsed here by
//!   [`parse_schedule`], validated by [`beian_platform::admin::put_year`]), a form to delete
//!   an admin's year ([`beian_platform::admin::delete_year`]), and a warning when an open
//!   order's deadline lies past the calendar's data
//!   ([`beian_platform::admin::calendar_coverage`]).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use beian_core::calendar::{Calendar, YEARS, local_date, start_of_day};
use beian_core::province::Province;
use beian_core::rules::{ProvinceScope, RuleBook, VersionStatus};
use beian_platform::admin::{PeriodBody, YearBody, calendar_coverage, delete_year, put_year};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::portal::admin::admin;
use crate::portal::form::{Posted, admin_refusal};
use crate::portal::i18n::{Arg, Lang};
use crate::portal::page::{Block, Cell, Ctx, Field, PageError};
use crate::portal::text;
use crate::startup::AppState;

/// `?at=YYYY-MM-DD&province=33`.
#[derive(Debug, Default, Deserialize)]
pub struct RulesQuery {
    pub at: Option<String>,
    pub province: Option<String>,
}

/// The first `http(s)://…` of a source text, for its link.
fn first_url(source: &str) -> Option<&str> {
    let start = source.find("https://").or_else(|| source.find("http://"))?;
    let rest = &source[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | '）' | ',' | '，' | '；' | ';'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// A value's JSON as `key: value` text.
fn value_text(v: &serde_json::Value) -> String {
    match v.as_object() {
        Some(map) if !map.is_empty() => map
            .iter()
            .filter(|(_, v)| !v.as_object().is_some_and(|o| o.is_empty()))
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(" · "),
        _ => String::new(),
    }
}

/// `GET /staff/rules`.
pub async fn rules(
    State(state): State<AppState>,
    Query(q): Query<RulesQuery>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let lang = ctx.lang;
    let now = state.store.now();
    let picked = q.at.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let date = match picked {
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| PageError::BadRequest)?,
        None => local_date(now),
    };
    // As of the end of the day picked (today: now).
    let at = if picked.is_some() {
        start_of_day(date) + chrono::Duration::days(1) - chrono::Duration::milliseconds(1)
    } else {
        now
    };
    let province = match q
        .province
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(code) => Some(Province::parse(code).map_err(|_| PageError::BadRequest)?),
        None => None,
    };
    let mut provinces = vec![(String::new(), ctx.t("rules-all-provinces"))];
    provinces.extend(text::provinces(lang));
    let filter = ctx
        .form("/staff/rules", "rules-show")
        .get()
        .field(Field::text("at", ctx.t("rules-as-of"), date.to_string()).kind("date"))
        .field(
            Field::new("province", ctx.t("f-province"), "select")
                .options(provinces)
                .value(province.map(|p| p.code().to_owned()).unwrap_or_default())
                .optional(),
        );
    let mut blocks = vec![
        Block::P(ctx.t("rules-intro")),
        Block::Form(filter),
        Block::Note(
            "info",
            ctx.t_args("rules-as-of-note", &[("date", Arg::S(date.to_string()))]),
        ),
    ];
    let book = RuleBook::builtin();
    let mut rows = Vec::new();
    for (v, status) in book.overview(at) {
        if let Some(p) = province
            && !v.provinces.contains(p)
        {
            continue;
        }
        let status = match status {
            VersionStatus::Future => ctx.t("rules-future"),
            VersionStatus::InForce => ctx.t("rules-in-force"),
            VersionStatus::Superseded { by } => {
                ctx.t_args("rules-superseded", &[("by", Arg::S(by.to_string()))])
            }
        };
        let scope = match &v.provinces {
            ProvinceScope::All => ctx.t("rules-everywhere"),
            ProvinceScope::Only(set) => text::list(
                lang,
                set.iter().map(|p| match lang {
                    Lang::Zh => p.name().to_owned(),
                    Lang::En => p.info().name_en.to_owned(),
                }),
            ),
        };
        let kinds = if v.kinds.len() == beian_core::kind::FilingKind::ALL.len() {
            ctx.t("rules-all-kinds")
        } else {
            text::list(lang, v.kinds.iter().map(|k| text::kind(lang, *k)))
        };
        let source = match first_url(&v.source) {
            Some(url) => Cell::link(v.source.clone(), url.to_owned()),
            None => Cell::text(v.source.clone()),
        };
        rows.push(vec![
            Cell::text(beian_core::i18n::render(
                lang.locale(),
                v.topic().message_key(),
                &[],
            )),
            Cell::text(v.id.clone()),
            Cell::text(v.effective.to_string()),
            Cell::text(status),
            Cell::text(scope),
            Cell::text(kinds),
            Cell::text(value_text(&crate::api::admin_calendar::value_json(v))),
            source,
        ]);
    }
    blocks.push(Block::Table(
        vec![
            ctx.t("rules-topic"),
            ctx.t("rules-id"),
            ctx.t("rules-effective"),
            ctx.t("f-state"),
            ctx.t("rules-provinces"),
            ctx.t("rules-kinds"),
            ctx.t("rules-value"),
            ctx.t("rules-source"),
        ],
        rows,
    ));
    ctx.page(ctx.t("nav-rules"), blocks)
}

/// A line of the schedule that is not one: its number (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub key: &'static str,
}

/// Reads the schedule's text: one holiday period per line,
/// `名称 / English name: 2027-02-05 ~ 2027-02-11; 班 2027-02-15 2027-02-16` (the English
/// name, the range's end and the make-up days (班) optional; `：`, `～`, `；` too; empty
/// lines and lines starting with `#` skipped). The dates are checked by the service.
pub fn parse_schedule(text: &str) -> Result<Vec<PeriodBody>, LineError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |key| LineError { line: i + 1, key };
        let line = line
            .replace('：', ":")
            .replace('～', "~")
            .replace('；', ";");
        let (names, rest) = line.split_once(':').ok_or(err("holidays-line-colon"))?;
        let (zh, en) = match names.split_once('/') {
            Some((zh, en)) => (zh.trim(), en.trim()),
            None => (names.trim(), ""),
        };
        if zh.is_empty() {
            return Err(err("holidays-line-name"));
        }
        let mut parts = rest.split(';');
        let range = parts.next().unwrap_or("").trim();
        if range.is_empty() {
            return Err(err("holidays-line-range"));
        }
        let (first, last) = match range.split_once('~') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (range, range),
        };
        let mut make_up = Vec::new();
        for part in parts {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let days = part
                .strip_prefix('班')
                .ok_or(err("holidays-line-make-up"))?;
            make_up.extend(
                days.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned),
            );
        }
        out.push(PeriodBody {
            name_zh: zh.to_owned(),
            name_en: en.to_owned(),
            first: first.to_owned(),
            last: last.to_owned(),
            make_up,
            note: None,
        });
    }
    Ok(out)
}

/// A year's schedule as the form's text (the inverse of [`parse_schedule`]).
pub fn schedule_text(body: &YearBody) -> String {
    body.holidays
        .iter()
        .map(|p| {
            let mut line = p.name_zh.clone();
            if !p.name_en.is_empty() {
                line.push_str(" / ");
                line.push_str(&p.name_en);
            }
            line.push_str(": ");
            line.push_str(&p.first);
            if p.last != p.first {
                line.push_str(" ~ ");
                line.push_str(&p.last);
            }
            if !p.make_up.is_empty() {
                line.push_str("; 班 ");
                line.push_str(&p.make_up.join(" "));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `?year=2027`: the year whose schedule fills the form.
#[derive(Debug, Default, Deserialize)]
pub struct HolidaysQuery {
    pub year: Option<i32>,
}

/// What the year form shows: the values and the messages by field.
#[derive(Debug, Default)]
struct YearForm {
    year: String,
    notice: String,
    schedule: String,
    errors: BTreeMap<String, String>,
    top: String,
}

async fn holiday_blocks(
    state: &AppState,
    ctx: &Ctx,
    form: YearForm,
) -> Result<Vec<Block>, PageError> {
    let coverage = match calendar_coverage(&state.store).await {
        Ok(c) => c,
        Err(e) => {
            admin_refusal(e, ctx.lang)?;
            return Err(PageError::Internal);
        }
    };
    let until = coverage
        .covered_until
        .map_or_else(|| ctx.t("none"), |d| d.to_string());
    let mut blocks = Vec::new();
    // Within a month of the data's end, without next year's notice: say so before any
    // deadline falls past it.
    let today = local_date(state.store.now());
    if let Some(end) = coverage.covered_until
        && (end - today).num_days() <= 31
    {
        blocks.push(Block::Note(
            "warn",
            ctx.t_args("holidays-ending", &[("until", Arg::S(end.to_string()))]),
        ));
    }
    if coverage.past.is_empty() {
        blocks.push(Block::Note(
            "info",
            ctx.t_args("holidays-covered", &[("until", Arg::S(until))]),
        ));
    } else {
        let list = coverage
            .past
            .iter()
            .take(10)
            .map(|p| format!("{}（{}）", p.order_id, p.date))
            .collect::<Vec<_>>()
            .join("、");
        blocks.push(Block::Note(
            "warn",
            ctx.t_args(
                "holidays-past-warning",
                &[
                    ("count", Arg::N(coverage.past.len() as i64)),
                    ("until", Arg::S(until)),
                    ("orders", Arg::S(list)),
                ],
            ),
        ));
    }
    let stored = state.store.calendar_years().await?;
    let merged = state.store.calendar().await?;
    let builtin = Calendar::builtin();
    blocks.push(Block::H2(ctx.t("holidays-years")));
    let mut rows = Vec::new();
    for y in merged.years() {
        let db = stored.iter().find(|s| s.year == y.year);
        let source = match db {
            Some(s) => ctx.t_args(
                "holidays-source-admin",
                &[
                    ("by", Arg::S(login_name(state, &s.updated_by).await)),
                    ("at", Arg::S(text::time(s.updated_at))),
                ],
            ),
            None if builtin.year(y.year).is_some() => ctx.t("holidays-source-builtin"),
            None => ctx.t("none"),
        };
        let periods = text::list(
            ctx.lang,
            y.holidays.iter().map(|p| match ctx.lang {
                Lang::En if !p.name_en.is_empty() => p.name_en.clone(),
                _ => p.name_zh.clone(),
            }),
        );
        rows.push(vec![
            Cell::link(
                y.year.to_string(),
                format!("/staff/holidays?year={}", y.year),
            ),
            Cell::text(source),
            Cell::text(y.notice.clone()),
            Cell::text(periods),
        ]);
    }
    blocks.push(Block::Table(
        vec![
            ctx.t("holidays-year"),
            ctx.t("holidays-source"),
            ctx.t("holidays-notice"),
            ctx.t("holidays-periods"),
        ],
        rows,
    ));

    blocks.push(Block::H2(ctx.t("holidays-put")));
    blocks.push(Block::P(ctx.t("holidays-put-intro")));
    let mut put = ctx
        .form("/staff/holidays", "holidays-save")
        .field(Field::text("year", ctx.t("holidays-year"), form.year).kind("number"))
        .field(Field::text("notice", ctx.t("holidays-notice"), form.notice))
        .field(
            Field::new("schedule", ctx.t("holidays-schedule"), "textarea")
                .value(form.schedule)
                .hint(ctx.t("holidays-schedule-hint"))
                .class("wide"),
        )
        .errors(&form.errors);
    if !form.top.is_empty() {
        put = put.with_error(form.top);
    }
    blocks.push(Block::Form(put));

    if !stored.is_empty() {
        blocks.push(Block::H2(ctx.t("holidays-delete")));
        blocks.push(Block::P(ctx.t("holidays-delete-intro")));
        let years = stored
            .iter()
            .map(|s| (s.year.to_string(), s.year.to_string()))
            .collect();
        blocks.push(Block::Form(
            ctx.form("/staff/holidays/delete", "holidays-delete")
                .danger()
                .field(Field::new("year", ctx.t("holidays-year"), "select").options(years)),
        ));
    }
    Ok(blocks)
}

/// `GET /staff/holidays` (`?year=` fills the form with that year's schedule in force).
pub async fn holidays(
    State(state): State<AppState>,
    Query(q): Query<HolidaysQuery>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let mut form = YearForm::default();
    if let Some(year) = q.year {
        let calendar = state.store.calendar().await?;
        if let Some(y) = calendar.year(year) {
            let body = YearBody::from(y);
            form.year = year.to_string();
            form.notice = body.notice.clone();
            form.schedule = schedule_text(&body);
        }
    }
    let blocks = holiday_blocks(&state, &ctx, form).await?;
    ctx.page(ctx.t("nav-holidays"), blocks)
}

/// Where a service error's path (`holidays.3.first`) goes on the form: the schedule's line.
fn schedule_message(lang: Lang, path: &str, message: String) -> (String, String) {
    let index = path
        .strip_prefix("holidays.")
        .and_then(|rest| rest.split('.').next())
        .and_then(|i| i.parse::<i64>().ok());
    match index {
        Some(i) => (
            "schedule".to_owned(),
            lang.t_args(
                "holidays-period-error",
                &[("period", Arg::N(i + 1)), ("message", Arg::S(message))],
            ),
        ),
        None if path == "holidays" => ("schedule".to_owned(), message),
        None => (path.to_owned(), message),
    }
}

/// `POST /staff/holidays`: `year`, `notice`, `schedule`.
pub async fn put(
    State(state): State<AppState>,
    ctx: Ctx,
    posted: Posted,
) -> Result<Response, PageError> {
    let actor = admin(&ctx)?;
    let mut form = YearForm {
        year: posted.owned("year"),
        notice: posted.owned("notice"),
        schedule: posted.owned("schedule"),
        ..YearForm::default()
    };
    let year = form.year.parse::<i32>().ok().filter(|y| YEARS.contains(y));
    let schedule = parse_schedule(&form.schedule);
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    match (year, schedule) {
        (None, _) => {
            form.errors
                .insert("year".into(), ctx.t("holidays-year-invalid"));
        }
        (_, Err(e)) => {
            form.errors.insert(
                "schedule".into(),
                ctx.t_args(
                    "holidays-line-error",
                    &[
                        ("line", Arg::N(e.line as i64)),
                        ("message", Arg::S(ctx.t(e.key))),
                    ],
                ),
            );
        }
        (Some(_), Ok(periods)) if periods.is_empty() => {
            form.errors
                .insert("schedule".into(), ctx.t("holidays-schedule-empty"));
        }
        (Some(year), Ok(periods)) => {
            let body = YearBody {
                notice: form.notice.clone(),
                holidays: periods,
            };
            match put_year(&state.store, &actor, year, &body).await {
                Ok(_) => return Ok(ctx.redirect_flash("/staff/holidays", "flash-holidays-saved")),
                Err(e) => {
                    let (s, top, fields) = admin_refusal(e, ctx.lang)?;
                    status = s;
                    form.top = top;
                    for (path, message) in fields {
                        let (field, message) = schedule_message(ctx.lang, &path, message);
                        form.errors
                            .entry(field)
                            .and_modify(|m| {
                                m.push('；');
                                m.push_str(&message);
                            })
                            .or_insert(message);
                    }
                }
            }
        }
    }
    let blocks = holiday_blocks(&state, &ctx, form).await?;
    ctx.page_status(status, ctx.t("nav-holidays"), blocks)
}

/// `POST /staff/holidays/delete`: `year` (an admin's year; the builtin data applies again).
pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    posted: Posted,
) -> Result<Response, PageError> {
    let actor = admin(&ctx)?;
    let year = posted
        .get("year")
        .parse::<i32>()
        .map_err(|_| PageError::BadRequest)?;
    match delete_year(&state.store, &actor, year).await {
        Ok(()) => Ok(ctx.redirect_flash("/staff/holidays", "flash-holidays-deleted")),
        Err(e) => {
            admin_refusal(e, ctx.lang)?;
            Err(PageError::BadRequest)
        }
    }
}

/// The login name behind an `account:<id>` actor, for a person to read; the actor itself
/// when it is not an account or the account is gone.
async fn login_name(state: &AppState, actor: &str) -> String {
    match actor.strip_prefix("account:") {
        Some(id) => super::account::login_name_of(state, id)
            .await
            .unwrap_or_else(|| actor.to_owned()),
        None => actor.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_back_as_written() {
        let text = "元旦 / New Year's Day: 2027-01-01 ~ 2027-01-03\n\n# 注释\n\
                    春节：2027-02-05～2027-02-11；班 2027-02-15、2027-02-20\n劳动节: 2027-05-01";
        let periods = parse_schedule(text).unwrap();
        assert_eq!(periods.len(), 3);
        assert_eq!(
            (periods[0].name_zh.as_str(), periods[0].name_en.as_str()),
            ("元旦", "New Year's Day")
        );
        assert_eq!(
            (periods[1].first.as_str(), periods[1].last.as_str()),
            ("2027-02-05", "2027-02-11")
        );
        assert_eq!(periods[1].make_up, vec!["2027-02-15", "2027-02-20"]);
        assert_eq!(
            (periods[2].first.as_str(), periods[2].last.as_str()),
            ("2027-05-01", "2027-05-01")
        );
        let body = YearBody {
            notice: String::new(),
            holidays: periods.clone(),
        };
        assert_eq!(parse_schedule(&schedule_text(&body)).unwrap(), periods);
    }

    #[test]
    fn a_bad_line_is_named() {
        let cases = [
            ("元旦 2027-01-01", 1, "holidays-line-colon"),
            ("元旦: 2027-01-01\n: 2027-02-01", 2, "holidays-line-name"),
            ("元旦:  ", 1, "holidays-line-range"),
            (
                "元旦: 2027-01-01; 休 2027-01-04",
                1,
                "holidays-line-make-up",
            ),
        ];
        for (text, line, key) in cases {
            assert_eq!(parse_schedule(text), Err(LineError { line, key }), "{text}");
        }
    }
}
