//! The admin dashboard's numbers (`GET /admin/dashboard`):
//! - **open orders per state**: every order not `completed` or `abandoned` (an `approved`
//!   order still waits for its sync, so it is counted);
//! - **deadline breaches**: open orders with a deadline instant in `orders.deadlines` that
//!   passed while the order has been in its current state (the instant lies between the
//!   order's entry into the state and now). A deadline value is Unix milliseconds, an RFC 3339
//!   text, or an object with such an `at`;
//! - **median time in each state** over the last [`WINDOW_DAYS`] days: from the timeline, one
//!   sample per stay in a state that *ended* in the window (a timeline entry that keeps the
//!   state, like an edit, does not end the stay);
//! - **bureau approval rate** over the same window: approvals / decisions, a decision being a
//!   move from `at_bureau` or `sms_pending` to `approved` or `bureau_returned`;
//! - **bureau rates by province** over the same window: one SQL aggregate
//!   ([`Store::bureau_decisions_by_province`]);
//! - **the charts' series** (the staff dashboard page draws them): every order by state
//!   (terminal ones included), orders created per day and provider-step deadline breaches
//!   per day over the last [`WINDOW_DAYS`] Shanghai days (a breach: a stay in a provider step
//!   — 初审, 照片审核, 待报送管局 — still going at its 1-working-day deadline, counted on the
//!   deadline's day; stays of orders with no timeline entry in the window are not seen);
//! - **open alerts**: see [`open_alerts`] (an extension point in this branch).
//!
//! # Cost
//! The figures read every timeline entry of the orders touched in the window, so
//! [`DashboardCache`] keeps the last computation and recomputes it at most every
//! [`CACHE_SECONDS`] seconds of the clock (the answer's `generated_at` and
//! `stale_after_seconds` say how fresh it is); the API and the dashboard page share it.

use std::collections::BTreeMap;

use beian_core::calendar::Calendar;
use beian_core::order::OrderState;
use beian_store::StoreError;
use beian_store::reports::{DeadlineRow, EventRow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use beian_store::Store;

/// The window of the medians and the approval rate.
pub const WINDOW_DAYS: i64 = 30;

/// The longest a cached dashboard is served before it is recomputed (clock seconds).
pub const CACHE_SECONDS: i64 = 30;

const DAY_MS: i64 = 86_400_000;
/// Asia/Shanghai is UTC+8 all year.
const SHANGHAI_OFFSET_MS: i64 = 8 * 3_600_000;

/// One Shanghai day's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    /// `YYYY-MM-DD` in Asia/Shanghai.
    pub date: String,
    pub count: i64,
}

/// Bureau decisions over the window for one province.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvinceRate {
    pub approved: i64,
    pub returned: i64,
    pub decided: i64,
    /// `approved / decided`; absent when nothing was decided.
    pub approval_rate: Option<f64>,
    /// `returned / decided`; absent when nothing was decided.
    pub return_rate: Option<f64>,
}

/// A deadline that passed in the order's current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breach {
    pub order_id: String,
    pub state: String,
    /// The deadline's name in `orders.deadlines`.
    pub deadline: String,
    /// Unix milliseconds.
    pub at: i64,
    pub overdue_seconds: i64,
}

/// The median stay in one state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateMedian {
    pub median_seconds: f64,
    /// Stays measured.
    pub samples: usize,
}

/// Bureau decisions over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BureauRate {
    pub approved: i64,
    pub decided: i64,
    /// `approved / decided`; absent when nothing was decided.
    pub approval_rate: Option<f64>,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub generated_at: DateTime<Utc>,
    pub window_days: i64,
    /// Orders not completed or abandoned, by state.
    pub open_orders: BTreeMap<String, i64>,
    pub open_orders_total: i64,
    pub deadline_breaches: Vec<Breach>,
    pub median_time_in_state: BTreeMap<String, StateMedian>,
    pub bureau: BureauRate,
    /// Bureau decisions over the window by province code.
    pub bureau_by_province: BTreeMap<String, ProvinceRate>,
    /// Every order by state, terminal states included.
    pub orders_by_state: BTreeMap<String, i64>,
    /// Orders created on each of the last `window_days` Shanghai days (oldest first).
    pub orders_per_day: Vec<DayCount>,
    /// Provider-step deadline breaches on each of the last `window_days` Shanghai days.
    pub breaches_per_day: Vec<DayCount>,
    /// This answer may be served for this many seconds after `generated_at`.
    pub stale_after_seconds: i64,
    /// Open alerts; `null` while this deployment has no alerts table (see `alerts_available`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub alerts: Option<Vec<Value>>,
    pub alerts_available: bool,
}

/// A deadline value's instant: Unix milliseconds, an RFC 3339 text, or an object with `at`.
pub(crate) fn instant_ms(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
        Value::Object(o) => o.get("at").and_then(instant_ms),
        _ => None,
    }
}

/// The deadlines of `rows` that passed in the current state, most overdue first.
pub fn breaches(rows: &[DeadlineRow], now_ms: i64) -> Vec<Breach> {
    let mut out = Vec::new();
    for r in rows {
        let Some(deadlines) = r.deadlines.as_object() else {
            continue;
        };
        for (name, value) in deadlines {
            let Some(at) = instant_ms(value) else {
                continue;
            };
            if at >= r.entered_at && at < now_ms {
                out.push(Breach {
                    order_id: r.order_id.clone(),
                    state: r.state.clone(),
                    deadline: name.clone(),
                    at,
                    overdue_seconds: (now_ms - at) / 1000,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.at, &a.order_id).cmp(&(b.at, &b.order_id)));
    out
}

/// Stays (state, seconds) that ended at or after `since`; `events` by order, then version.
pub fn stays(events: &[EventRow], since_ms: i64) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut current: Option<(&str, &str, i64)> = None; // (order, state, entered)
    for e in events {
        match current {
            Some((order, state, entered)) if order == e.order_id => {
                if e.to_state != state {
                    if e.at >= since_ms {
                        out.push((state.to_owned(), (e.at - entered) as f64 / 1000.0));
                    }
                    current = Some((&e.order_id, &e.to_state, e.at));
                }
            }
            _ => current = Some((&e.order_id, &e.to_state, e.at)),
        }
    }
    out
}

/// The median of each state's stays.
pub fn medians(stays: Vec<(String, f64)>) -> BTreeMap<String, StateMedian> {
    let mut by_state: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (state, secs) in stays {
        by_state.entry(state).or_default().push(secs);
    }
    by_state
        .into_iter()
        .map(|(state, mut v)| {
            v.sort_by(f64::total_cmp);
            let n = v.len();
            let median = if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            };
            (
                state,
                StateMedian {
                    median_seconds: median,
                    samples: n,
                },
            )
        })
        .collect()
}

/// Bureau decisions among `events` at or after `since`.
pub fn bureau_rate(events: &[EventRow], since_ms: i64) -> BureauRate {
    let decisions = events.iter().filter(|e| {
        e.at >= since_ms
            && matches!(e.from_state.as_deref(), Some("at_bureau" | "sms_pending"))
            && matches!(e.to_state.as_str(), "approved" | "bureau_returned")
    });
    let (mut approved, mut decided) = (0, 0);
    for e in decisions {
        decided += 1;
        if e.to_state == "approved" {
            approved += 1;
        }
    }
    BureauRate {
        approved,
        decided,
        approval_rate: (decided > 0).then(|| approved as f64 / decided as f64),
    }
}

/// The Shanghai day number (days since 1970-01-01 in UTC+8) of an instant.
fn shanghai_day(ms: i64) -> i64 {
    (ms + SHANGHAI_OFFSET_MS).div_euclid(DAY_MS)
}

fn day_label(day: i64) -> String {
    chrono::DateTime::<Utc>::from_timestamp_millis(day * DAY_MS)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The last `days` Shanghai days up to `now_ms`'s, each with how many of `instants` fell on it.
pub fn per_day(instants: impl IntoIterator<Item = i64>, now_ms: i64, days: i64) -> Vec<DayCount> {
    let today = shanghai_day(now_ms);
    let first = today - days + 1;
    let mut counts = vec![0i64; usize::try_from(days.max(0)).unwrap_or(0)];
    for at in instants {
        let d = shanghai_day(at);
        if (first..=today).contains(&d)
            && let Some(c) = usize::try_from(d - first)
                .ok()
                .and_then(|i| counts.get_mut(i))
        {
            *c += 1;
        }
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| DayCount {
            date: day_label(first + i as i64),
            count,
        })
        .collect()
}

/// The deadline instants (ms) of provider-step stays still going at their deadline, where
/// the deadline lies before `now_ms`. `events` by order, then version.
pub fn provider_step_breaches(events: &[EventRow], calendar: &Calendar, now_ms: i64) -> Vec<i64> {
    let steps: Vec<&str> = crate::workflow::REVIEW_STATES
        .iter()
        .map(|s| s.as_str())
        .collect();
    let mut out = Vec::new();
    let mut check = |state: &str, entered: i64, ended: i64| {
        if !steps.contains(&state) {
            return;
        }
        let Some(at) = DateTime::<Utc>::from_timestamp_millis(entered) else {
            return;
        };
        let deadline = calendar.deadline_after(at, 1).at.timestamp_millis();
        if deadline < ended && deadline < now_ms {
            out.push(deadline);
        }
    };
    let mut current: Option<(&str, &str, i64)> = None;
    for e in events {
        match current {
            Some((order, state, entered)) if order == e.order_id => {
                if e.to_state != state {
                    check(state, entered, e.at);
                    current = Some((&e.order_id, &e.to_state, e.at));
                }
            }
            _ => {
                if let Some((_, state, entered)) = current {
                    check(state, entered, i64::MAX);
                }
                current = Some((&e.order_id, &e.to_state, e.at));
            }
        }
    }
    if let Some((_, state, entered)) = current {
        check(state, entered, i64::MAX);
    }
    out
}

/// The rates by province from the store's aggregate rows.
pub fn province_rates(rows: &[(String, String, i64)]) -> BTreeMap<String, ProvinceRate> {
    let mut out: BTreeMap<String, ProvinceRate> = BTreeMap::new();
    for (province, to_state, n) in rows {
        let r = out.entry(province.clone()).or_insert(ProvinceRate {
            approved: 0,
            returned: 0,
            decided: 0,
            approval_rate: None,
            return_rate: None,
        });
        match to_state.as_str() {
            "approved" => r.approved += n,
            "bureau_returned" => r.returned += n,
            _ => continue,
        }
        r.decided += n;
    }
    for r in out.values_mut() {
        if r.decided > 0 {
            r.approval_rate = Some(r.approved as f64 / r.decided as f64);
            r.return_rate = Some(r.returned as f64 / r.decided as f64);
        }
    }
    out
}

/// EXTENSION POINT — open alerts. Another branch adds an `alerts` table (bureau-deadline
/// alerts) with `Store::open_alerts()`; it is absent from this branch, so this answers `None`
/// and the dashboard says `alerts_available: false`. When merged, return
/// `Some(store.open_alerts().await?` mapped to JSON`)` here.
pub async fn open_alerts(_store: &Store) -> Result<Option<Vec<Value>>, StoreError> {
    Ok(None)
}

/// Computes the dashboard at the store clock's now.
pub async fn dashboard(store: &Store) -> Result<Dashboard, StoreError> {
    let now = store.now();
    let now_ms = now.timestamp_millis();
    let since = now_ms - WINDOW_DAYS * 86_400_000;
    let mut open_orders = BTreeMap::new();
    let mut orders_by_state = BTreeMap::new();
    for (s, n) in store.orders_per_state().await? {
        if OrderState::parse(&s).is_some_and(|st| !st.is_terminal()) {
            open_orders.insert(s.clone(), n);
        }
        orders_by_state.insert(s, n);
    }
    let closed: Vec<&str> = OrderState::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(OrderState::as_str)
        .collect();
    let rows = store.orders_with_deadlines(&closed).await?;
    let events = store.order_events_touching(since).await?;
    let alerts = open_alerts(store).await?;
    let calendar = store.calendar().await?;
    let created = events
        .iter()
        .filter(|e| e.from_state.is_none())
        .map(|e| e.at);
    let orders_per_day = per_day(created, now_ms, WINDOW_DAYS);
    let breaches_per_day = per_day(
        provider_step_breaches(&events, &calendar, now_ms),
        now_ms,
        WINDOW_DAYS,
    );
    let bureau_by_province = province_rates(&store.bureau_decisions_by_province(since).await?);
    Ok(Dashboard {
        bureau_by_province,
        orders_by_state,
        orders_per_day,
        breaches_per_day,
        stale_after_seconds: CACHE_SECONDS,
        generated_at: now,
        window_days: WINDOW_DAYS,
        open_orders_total: open_orders.values().sum(),
        open_orders,
        deadline_breaches: breaches(&rows, now_ms),
        median_time_in_state: medians(stays(&events, since)),
        bureau: bureau_rate(&events, since),
        alerts_available: alerts.is_some(),
        alerts,
    })
}

/// The last dashboard computed, served until it is [`CACHE_SECONDS`] old by the store's clock
/// (one computation at a time; concurrent askers wait for it and share it).
#[derive(Debug, Default)]
pub struct DashboardCache {
    last: tokio::sync::Mutex<Option<Dashboard>>,
}

impl DashboardCache {
    pub fn new() -> DashboardCache {
        DashboardCache::default()
    }

    /// The cached dashboard while fresh, else a new one.
    pub async fn get(&self, store: &Store) -> Result<Dashboard, StoreError> {
        let mut last = self.last.lock().await;
        let now = store.now();
        if let Some(d) = last.as_ref() {
            let age = (now - d.generated_at).num_seconds();
            if (0..CACHE_SECONDS).contains(&age) && now >= d.generated_at {
                return Ok(d.clone());
            }
        }
        let d = dashboard(store).await?;
        *last = Some(d.clone());
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(order: &str, at: i64, from: Option<&str>, to: &str, version: i64) -> EventRow {
        EventRow {
            order_id: order.into(),
            at,
            from_state: from.map(str::to_owned),
            to_state: to.into(),
            version,
        }
    }

    #[test]
    fn stays_end_at_a_change_of_state_only() {
        let events = [
            ev("a", 0, None, "draft", 1),
            ev("a", 10_000, Some("draft"), "draft", 2), // an edit: same stay
            ev("a", 30_000, Some("draft"), "provider_review", 3),
            ev("a", 90_000, Some("provider_review"), "returned", 4),
            ev("b", 5_000, None, "draft", 1),
            ev("b", 6_000, Some("draft"), "provider_review", 2),
        ];
        let got = stays(&events, 0);
        assert_eq!(
            got,
            vec![
                ("draft".to_owned(), 30.0),
                ("provider_review".to_owned(), 60.0),
                ("draft".to_owned(), 1.0),
            ]
        );
        // Only stays that ended in the window count.
        assert_eq!(
            stays(&events, 50_000),
            vec![("provider_review".to_owned(), 60.0)]
        );
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        let m = medians(vec![
            ("draft".into(), 3.0),
            ("draft".into(), 1.0),
            ("draft".into(), 2.0),
            ("at_bureau".into(), 10.0),
            ("at_bureau".into(), 20.0),
        ]);
        assert_eq!(m["draft"].median_seconds, 2.0);
        assert_eq!(m["draft"].samples, 3);
        assert_eq!(m["at_bureau"].median_seconds, 15.0);
    }

    #[test]
    fn the_approval_rate_counts_bureau_decisions_in_the_window() {
        let events = [
            ev("a", 100, Some("at_bureau"), "approved", 5),
            ev("b", 100, Some("sms_pending"), "bureau_returned", 5),
            ev("c", 100, Some("at_bureau"), "approved", 5),
            ev("d", 1, Some("at_bureau"), "approved", 5), // before the window
            ev("e", 100, Some("provider_review"), "returned", 3), // not the bureau
        ];
        let r = bureau_rate(&events, 50);
        assert_eq!((r.approved, r.decided), (2, 3));
        assert!((r.approval_rate.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(bureau_rate(&[], 0).approval_rate, None);
    }

    #[test]
    fn a_breach_is_a_deadline_passed_in_the_current_state() {
        let row = |id: &str, entered: i64, deadlines: Value| DeadlineRow {
            order_id: id.into(),
            state: "queued_for_bureau".into(),
            deadlines,
            entered_at: entered,
        };
        let rows = [
            row("late", 1_000, json!({"submit_to_bureau": 5_000})),
            row("on_time", 1_000, json!({"submit_to_bureau": 50_000})),
            row("stale", 9_000, json!({"review": 5_000})),
            row(
                "text",
                1_000,
                json!({"x": "1970-01-01T00:00:04Z", "y": {"at": 3_000}, "z": true}),
            ),
        ];
        let got = breaches(&rows, 10_000);
        let names: Vec<(&str, &str)> = got
            .iter()
            .map(|b| (b.order_id.as_str(), b.deadline.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![("text", "y"), ("text", "x"), ("late", "submit_to_bureau")]
        );
        assert_eq!(got[2].overdue_seconds, 5);
    }

    #[test]
    fn per_day_counts_shanghai_days_of_the_window() {
        // 2026-12-07 10:00 Shanghai = 02:00 UTC.
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:00:00+08:00")
            .unwrap()
            .timestamp_millis();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
        let got = per_day(
            [
                at("2026-12-07T00:30:00+08:00"), // today in Shanghai (yesterday in UTC)
                at("2026-12-06T23:59:00+08:00"),
                at("2026-12-06T08:00:00+08:00"),
                at("2026-12-05T12:00:00+08:00"),
                at("2026-11-01T12:00:00+08:00"), // before the window
            ],
            now,
            3,
        );
        assert_eq!(
            got,
            vec![
                DayCount {
                    date: "2026-12-05".into(),
                    count: 1
                },
                DayCount {
                    date: "2026-12-06".into(),
                    count: 2
                },
                DayCount {
                    date: "2026-12-07".into(),
                    count: 1
                },
            ]
        );
    }

    #[test]
    fn a_provider_step_breach_is_a_stay_going_at_its_deadline() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
        // Wednesday 10:00 → due end of Thursday (Shanghai).
        let due = at("2026-11-19T23:59:59.999+08:00");
        let events = [
            // a: left review on Thursday: on time.
            ev(
                "a",
                at("2026-11-18T10:00:00+08:00"),
                None,
                "provider_review",
                1,
            ),
            ev(
                "a",
                at("2026-11-19T15:00:00+08:00"),
                Some("provider_review"),
                "photo_pending",
                2,
            ),
            // b: left review on Friday: a breach.
            ev(
                "b",
                at("2026-11-18T10:00:00+08:00"),
                None,
                "provider_review",
                1,
            ),
            ev(
                "b",
                at("2026-11-20T09:00:00+08:00"),
                Some("provider_review"),
                "returned",
                2,
            ),
            // c: still in review: a breach once the deadline passed.
            ev(
                "c",
                at("2026-11-18T11:00:00+08:00"),
                None,
                "provider_review",
                1,
            ),
            // d: a draft never breaches a provider step.
            ev("d", at("2026-11-01T11:00:00+08:00"), None, "draft", 1),
        ];
        let now = at("2026-11-21T12:00:00+08:00");
        assert_eq!(
            provider_step_breaches(&events, Calendar::builtin(), now),
            vec![due, due]
        );
        let before = at("2026-11-19T20:00:00+08:00");
        assert!(provider_step_breaches(&events, Calendar::builtin(), before).is_empty());
    }

    #[test]
    fn province_rates_split_approvals_and_returns() {
        let rows = vec![
            ("33".to_owned(), "approved".to_owned(), 3),
            ("33".to_owned(), "bureau_returned".to_owned(), 1),
            ("31".to_owned(), "bureau_returned".to_owned(), 2),
        ];
        let r = province_rates(&rows);
        assert_eq!(
            (r["33"].approved, r["33"].returned, r["33"].decided),
            (3, 1, 4)
        );
        assert_eq!(r["33"].approval_rate, Some(0.75));
        assert_eq!(r["33"].return_rate, Some(0.25));
        assert_eq!(r["31"].approval_rate, Some(0.0));
        assert_eq!(r["31"].return_rate, Some(1.0));
    }
}
