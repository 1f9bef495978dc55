//! Tests of the working-day calendar against the State Council notices.

use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::i18n::{Locale, Localized, has_key};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn cal() -> &'static Calendar {
    Calendar::builtin()
}

#[test]
fn builtin_file_loads_and_covers_2020_to_2026() {
    let parsed = Calendar::from_toml(BUILTIN);
    assert!(parsed.is_ok(), "{parsed:?}");
    let years: Vec<i32> = cal().years().map(|y| y.year).collect();
    assert_eq!(years, (2020..=2026).collect::<Vec<_>>());
    for y in cal().years() {
        assert!(y.notice.contains(&format!("{}年", y.year)), "{}", y.notice);
        assert!(y.holidays.len() >= 6, "{} has {}", y.year, y.holidays.len());
    }
}

/// (date, working?, what) — `what` is "weekday", "weekend", "holiday" or "make_up".
type DayCase = (&'static str, bool, &'static str);

fn check_days(cases: &[DayCase]) {
    for &(date, working, what) in cases {
        let day = cal().is_working_day(d(date));
        let kind = match day.reason {
            DayReason::Weekday => "weekday",
            DayReason::Weekend => "weekend",
            DayReason::Holiday(_) => "holiday",
            DayReason::MakeUp(_) => "make_up",
        };
        assert_eq!((day.working, kind), (working, what), "{date}");
        assert!(day.covered, "{date}");
    }
}

#[test]
fn spring_festival_and_national_day_2026() {
    // 国办发明电〔2025〕7号: 春节 2月15日（周日）至23日（周一）放假调休，共9天；2月14日（周六）、
    // 2月28日（周六）上班。国庆节 10月1日（周四）至7日（周三）放假调休，共7天；9月20日（周日）、
    // 10月10日（周六）上班。
    check_days(&[
        ("2026-02-13", true, "weekday"),
        ("2026-02-14", true, "make_up"),
        ("2026-02-15", false, "holiday"),
        ("2026-02-16", false, "holiday"),
        ("2026-02-17", false, "holiday"),
        ("2026-02-20", false, "holiday"),
        ("2026-02-21", false, "holiday"),
        ("2026-02-23", false, "holiday"),
        ("2026-02-24", true, "weekday"),
        ("2026-02-28", true, "make_up"),
        ("2026-03-01", false, "weekend"),
        ("2026-09-19", false, "weekend"),
        ("2026-09-20", true, "make_up"),
        ("2026-09-25", false, "holiday"), // 中秋节 9月25日至27日
        ("2026-09-28", true, "weekday"),
        ("2026-09-30", true, "weekday"),
        ("2026-10-01", false, "holiday"),
        ("2026-10-05", false, "holiday"),
        ("2026-10-07", false, "holiday"),
        ("2026-10-08", true, "weekday"),
        ("2026-10-10", true, "make_up"),
        ("2026-10-11", false, "weekend"),
    ]);
    let DayReason::MakeUp(p) = cal().is_working_day(d("2026-09-20")).reason else {
        panic!("not a make-up day");
    };
    assert_eq!((p.name_zh.as_str(), p.first), ("国庆节", d("2026-10-01")));
}

#[test]
fn spring_festival_labour_day_and_national_day_2025() {
    // 2025 notice: 春节 1月28日（除夕、周二）至2月4日（周二）放假调休，共8天；1月26日（周日）、
    // 2月8日（周六）上班。劳动节 5月1日至5日，4月27日（周日）上班。国庆节、中秋节 10月1日至8日，
    // 9月28日（周日）、10月11日（周六）上班。
    check_days(&[
        ("2025-01-26", true, "make_up"),
        ("2025-01-27", true, "weekday"),
        ("2025-01-28", false, "holiday"),
        ("2025-02-04", false, "holiday"),
        ("2025-02-05", true, "weekday"),
        ("2025-02-08", true, "make_up"),
        ("2025-04-27", true, "make_up"),
        ("2025-05-02", false, "holiday"),
        ("2025-05-05", false, "holiday"),
        ("2025-05-06", true, "weekday"),
        ("2025-09-28", true, "make_up"),
        ("2025-10-08", false, "holiday"),
        ("2025-10-09", true, "weekday"),
        ("2025-10-11", true, "make_up"),
    ]);
}

#[test]
fn spring_festival_2020_includes_the_covid_extension() {
    // The notice made Saturday 2020-02-01 a working day; 国办发明电〔2020〕1号 extended the
    // holiday to Sunday 02-02, so that Saturday and Friday 01-31 were off; work resumed 02-03.
    check_days(&[
        ("2020-01-19", true, "make_up"),
        ("2020-01-30", false, "holiday"),
        ("2020-01-31", false, "holiday"),
        ("2020-02-01", false, "holiday"),
        ("2020-02-02", false, "holiday"),
        ("2020-02-03", true, "weekday"),
    ]);
}

#[test]
fn working_days_per_year_match_a_hand_count() {
    // 2025: 261 weekdays − 18 weekday holidays + 5 make-up days = 248 (13 statutory days from
    // the amended law). 2026: 261 − 19 + 6 = 248. The end of 2026 is not fully covered because
    // the 2027 notice (whose New Year holiday may begin in late December) is not in the data.
    let y2025 = cal().working_days_between(d("2024-12-31"), d("2025-12-31"));
    assert_eq!(
        y2025,
        WorkingDayCount {
            days: 248,
            fallback_used: false
        }
    );
    let y2026 = cal().working_days_between(d("2025-12-31"), d("2026-12-31"));
    assert_eq!(
        y2026,
        WorkingDayCount {
            days: 248,
            fallback_used: true
        }
    );
    let to_dec21 = cal().working_days_between(d("2025-12-31"), d("2026-12-21"));
    assert!(!to_dec21.fallback_used);
}

#[test]
fn one_working_day_after_the_evening_of_2026_09_30() {
    // 2026-09-30 is a Wednesday and a working day; 10-01..10-07 is the National Day holiday;
    // 10-08 (Thursday) is the first working day after it. "1 个工作日内" from Wednesday
    // evening therefore ends at the end of Thursday 2026-10-08, 23:59:59.999 Shanghai =
    // 15:59:59.999 UTC.
    let want = Deadline {
        at: utc("2026-10-08T15:59:59.999Z"),
        date: d("2026-10-08"),
        fallback_used: false,
    };
    for t in [
        "2026-09-30T20:00:00+08:00", // Wednesday evening in Shanghai
        "2026-09-30T00:00:00+08:00", // the very start of that Wednesday
        "2026-09-30T23:59:59+08:00",
        "2026-10-01T00:00:00+08:00", // already the holiday: next working day is still 10-08
        "2026-10-04T12:00:00+08:00",
    ] {
        assert_eq!(cal().deadline_after(utc(t), 1), want, "{t}");
    }
    assert!(!want.is_missed(utc("2026-10-08T23:59:59.999+08:00")));
    assert!(want.is_missed(utc("2026-10-09T00:00:00+08:00")));
}

#[test]
fn deadlines_use_the_shanghai_day_and_make_up_days() {
    let cases: &[(&str, u32, &str)] = &[
        // Tuesday 23:59:59 Shanghai is still Tuesday: 1 working day → Wednesday 09-30.
        ("2026-09-29T15:59:59Z", 1, "2026-09-30"),
        // One second later it is Wednesday in Shanghai (still Tuesday in UTC) → 10-08.
        ("2026-09-29T16:00:00Z", 1, "2026-10-08"),
        // Friday 10-09 → Saturday 10-10, a make-up working day.
        ("2026-10-09T18:00:00+08:00", 1, "2026-10-10"),
        // Saturday 10-17 (an ordinary weekend) → Monday 10-19.
        ("2026-10-17T10:00:00+08:00", 1, "2026-10-19"),
        // Friday before the Spring Festival → Saturday 02-14 (make-up), then 02-24.
        ("2026-02-13T10:00:00+08:00", 1, "2026-02-14"),
        ("2026-02-13T10:00:00+08:00", 2, "2026-02-24"),
        // n = 0: the end of the same day if it works, else of the next working day.
        ("2026-09-30T10:00:00+08:00", 0, "2026-09-30"),
        ("2026-10-03T10:00:00+08:00", 0, "2026-10-08"),
        // The bureau's 20 working days from Monday 2026-09-14: 09-15..09-30 gives 12 (Sunday
        // 09-20 works, Friday 09-25 is off), 10-08..10-10 three more (15), 10-12..10-16 five.
        ("2026-09-14T09:00:00+08:00", 20, "2026-10-16"),
    ];
    for &(t, n, want) in cases {
        let deadline = cal().deadline_after(utc(t), n);
        assert_eq!(deadline.date, d(want), "{t} + {n}");
        assert_eq!(
            deadline.at,
            start_of_day(d(want).succ_opt().unwrap()) - Duration::milliseconds(1)
        );
        assert!(!deadline.fallback_used, "{t} + {n}");
    }
}

#[test]
fn beyond_the_data_falls_back_to_weekends_and_says_so() {
    let monday = cal().is_working_day(d("2031-03-03"));
    assert_eq!((monday.working, monday.covered), (true, false));
    let saturday = cal().is_working_day(d("2031-03-08"));
    assert_eq!((saturday.working, saturday.covered), (false, false));
    // 2031-10-01 will surely be a holiday, but without the notice we cannot know.
    assert!(cal().is_working_day(d("2031-10-01")).working);

    let deadline = cal().deadline_after(utc("2031-03-07T20:00:00+08:00"), 1);
    assert_eq!(deadline.date, d("2031-03-10"));
    assert!(deadline.fallback_used);
    // Before the data, too.
    assert!(!cal().is_working_day(d("2019-10-01")).covered);
    assert!(cal().add_working_days(d("2019-12-30"), 1).fallback_used);
    // Counting from a covered day into an uncovered one reports the fallback…
    let late = cal().add_working_days(d("2026-12-18"), 2);
    assert_eq!(
        late,
        WorkingDate {
            date: d("2026-12-22"),
            fallback_used: true
        }
    );
    // …while staying inside the data does not.
    let early = cal().add_working_days(d("2026-12-18"), 1);
    assert_eq!(
        early,
        WorkingDate {
            date: d("2026-12-21"),
            fallback_used: false
        }
    );
    assert!(has_key(FALLBACK_WARNING_KEY));
    // The empty calendar falls back everywhere.
    assert!(
        Calendar::weekends_only()
            .add_working_days(d("2026-10-01"), 1)
            .fallback_used
    );
}

#[test]
fn working_days_between_is_half_open_on_the_left() {
    let cases: &[(&str, &str, i64)] = &[
        ("2026-09-30", "2026-10-08", 1),
        ("2026-10-08", "2026-09-30", -1),
        ("2026-09-30", "2026-09-30", 0),
        ("2026-10-01", "2026-10-07", 0),
        // 02-14 (Sat, make-up), 02-24..02-27, 02-28 (Sat, make-up).
        ("2026-02-13", "2026-02-28", 6),
        // A plain week: Tue..Mon after Monday 03-02.
        ("2026-03-02", "2026-03-09", 5),
    ];
    for &(a, b, want) in cases {
        let got = cal().working_days_between(d(a), d(b));
        assert_eq!(
            got,
            WorkingDayCount {
                days: want,
                fallback_used: false
            },
            "({a}, {b}]"
        );
    }
}

proptest! {
    #[test]
    fn adding_then_counting_gives_n_back(offset in 0i64..(13 * 366), n in 0u32..45) {
        let from = d("2019-06-01") + Duration::days(offset);
        let to = cal().add_working_days(from, n);
        prop_assert!(cal().is_working_day(to.date).working);
        if n == 0 {
            prop_assert!(to.date >= from);
            // No working day before `to` from `from` on: the count over (from, to] is 1 (just
            // `to`) when it moved, 0 when `from` itself works.
            let moved = i64::from(to.date != from);
            prop_assert_eq!(cal().working_days_between(from, to.date).days, moved);
        } else {
            prop_assert_eq!(cal().working_days_between(from, to.date).days, i64::from(n));
            prop_assert_eq!(cal().working_days_between(to.date, from).days, -i64::from(n));
        }
    }
}

fn parse_err(text: &str) -> CalendarError {
    Calendar::from_toml(text).unwrap_err()
}

fn year_doc(holidays: &str) -> String {
    format!("[[years]]\nyear = 2031\nnotice = \"test\"\n{holidays}")
}

fn period(first: &str, last: &str, make_up: &str) -> String {
    format!(
        "[[years.holidays]]\nname_zh = \"国庆节\"\nname_en = \"National Day\"\nfirst = {first}\nlast = {last}\nmake_up = [{make_up}]\n"
    )
}

#[test]
fn bad_holiday_data_is_refused_with_a_reason() {
    let cases: Vec<(String, &str)> = vec![
        ("years = 3".into(), "calendar.bad_file"),
        (
            "[[years]]\nyear = 2031\nextra = 1\n".into(),
            "calendar.bad_file",
        ),
        (
            year_doc(&period("\"2031-02-30\"", "2031-10-07", "")),
            "calendar.not_a_date",
        ),
        (
            year_doc(&period("2031-10-01T08:00:00", "2031-10-07", "")),
            "calendar.not_a_date",
        ),
        (
            year_doc(&period("2031-10-07", "2031-10-01", "")),
            "calendar.period_reversed",
        ),
        (
            year_doc(&period("2031-10-01", "2031-10-31", "")),
            "calendar.period_too_long",
        ),
        (
            year_doc(&period("2032-01-01", "2032-01-02", "")),
            "calendar.date_outside_year",
        ),
        (
            year_doc(&period("2031-10-01", "2031-10-07", "2031-09-29")),
            "calendar.make_up_not_weekend",
        ),
        (
            year_doc(&period("2031-10-01", "2031-10-07", "2031-10-04")),
            "calendar.date_twice",
        ),
        (
            year_doc(
                &(period("2031-10-01", "2031-10-07", "") + &period("2031-10-07", "2031-10-08", "")),
            ),
            "calendar.date_twice",
        ),
        (
            "[[years]]\nyear = 1999\n".into(),
            "calendar.year_out_of_range",
        ),
        (
            "[[years]]\nyear = 2031\n[[years]]\nyear = 2031\n".into(),
            "calendar.duplicate_year",
        ),
        (
            year_doc(
                "[[years.holidays]]\nname_zh = \" \"\nfirst = 2031-10-01\nlast = 2031-10-01\n",
            ),
            "calendar.empty_name",
        ),
    ];
    for (text, key) in cases {
        let err = parse_err(&text);
        assert_eq!(err.message_key(), key, "{text}\n→ {err}");
        assert!(has_key(key), "{key} missing from messages/calendar.toml");
        let zh = err.localize(Locale::ZhCn);
        assert!(!zh.contains('{'), "{zh}");
    }
}

#[test]
fn a_year_can_be_added_and_may_not_clash_with_another() {
    let mut calendar = Calendar::builtin().clone();
    let added = calendar.merge_toml(&year_doc(&period("2031-10-01", "2031-10-07", "2031-09-28")));
    assert_eq!(added, Ok(()));
    let day = calendar.is_working_day(d("2031-10-02"));
    assert_eq!((day.working, day.covered), (false, true));
    assert!(calendar.is_working_day(d("2031-09-28")).working);
    // Replacing a year returns the old one.
    let mut replacement = calendar.year(2031).unwrap().clone();
    replacement.holidays[0].last = d("2031-10-03");
    let old = calendar.add_year(replacement).unwrap();
    assert_eq!(old.map(|y| y.holidays[0].last), Some(d("2031-10-07")));
    assert!(calendar.is_working_day(d("2031-10-06")).working);
    // A 2024 schedule that lists a day of the 2023 notice (2022-12-31) is refused whole.
    let before = calendar.clone();
    let clash = "[[years]]\nyear = 2022\n[[years.holidays]]\nname_zh = \"x\"\nfirst = 2022-12-31\nlast = 2022-12-31\n";
    assert_eq!(
        calendar.merge_toml(clash),
        Err(CalendarError::DateTwice {
            date: d("2022-12-31")
        })
    );
    assert_eq!(calendar, before);
    assert!(calendar.remove_year(2031).is_some());
    assert!(!calendar.covers(d("2031-10-02")));
}

#[test]
fn dates_may_be_written_as_strings() {
    let calendar = Calendar::from_toml(&year_doc(&period(
        "\"2031-10-01\"",
        "\"2031-10-02\"",
        "\"2031-09-28\"",
    )))
    .unwrap();
    assert!(!calendar.is_working_day(d("2031-10-02")).working);
}

#[test]
fn the_calendar_round_trips_through_toml() {
    let text = cal().to_toml().unwrap();
    assert_eq!(Calendar::from_toml(&text).as_ref(), Ok(cal()));
    assert!(text.contains("first = 2026-02-15"), "{text}");
}

#[test]
fn every_exception_of_2026_is_the_notices() {
    // Listed by hand from 国办发明电〔2025〕7号, independently of the data file: the weekdays
    // off, and the weekend days worked.
    let weekdays_off = [
        "01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06", "05-01",
        "05-04", "05-05", "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07",
    ];
    let weekends_worked = ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"];
    let mut off = Vec::new();
    let mut worked = Vec::new();
    for date in d("2026-01-01").iter_days().take_while(|x| x.year() == 2026) {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let working = cal().is_working_day(date).working;
        let md = date.format("%m-%d").to_string();
        if !weekend && !working {
            off.push(md);
        } else if weekend && working {
            worked.push(md);
        }
    }
    assert_eq!(off, weekdays_off);
    assert_eq!(worked, weekends_worked);
}
