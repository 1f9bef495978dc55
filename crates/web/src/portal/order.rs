//! The order's page: where it stands (the flow's step bar), what the customer must do next,
//! the timeline of what happened and what comes next with its deadlines in working days, the
//! 24-hour SMS window counting down while it runs, the seeds' hints, and the return reasons.

use axum::extract::{Path, State};
use axum::response::Response;
use beian_core::order::{EventKind, OrderState, Step};
use beian_core::province::Province;
use beian_core::rules::{PhotoMethod, rules_for};
use beian_platform::workflow::OrderView;
use chrono::{DateTime, Utc};

use crate::portal::filings::acting;
use crate::portal::form::page_error;
use crate::portal::i18n::{Arg, Lang};
use crate::portal::page::{Block, Ctx, PageError};
use crate::portal::text;
use crate::startup::AppState;

fn step_key(step: Step) -> &'static str {
    match step {
        Step::Application => "flow-application",
        Step::AppIdentity => "flow-app-identity",
        Step::ProviderReview => "flow-provider-review",
        Step::Photo(PhotoMethod::Backdrop) => "flow-photo",
        Step::Photo(PhotoMethod::BureauAppFaceCheck) => "flow-shanghai-app",
        Step::BureauSubmission => "flow-bureau-submission",
        Step::SmsVerification => "flow-sms",
        Step::BureauReview => "flow-bureau-review",
        Step::Sync => "flow-sync",
    }
}

fn current_step(state: OrderState) -> Option<fn(&Step) -> bool> {
    Some(match state {
        OrderState::Draft | OrderState::Returned | OrderState::BureauReturned => {
            |s| matches!(s, Step::Application)
        }
        OrderState::ProviderReview => |s| matches!(s, Step::ProviderReview),
        OrderState::PhotoPending | OrderState::PhotoReview => |s| matches!(s, Step::Photo(_)),
        OrderState::QueuedForBureau => |s| matches!(s, Step::BureauSubmission),
        OrderState::SmsPending => |s| matches!(s, Step::SmsVerification),
        OrderState::AtBureau => |s| matches!(s, Step::BureauReview),
        OrderState::Approved => |s| matches!(s, Step::Sync),
        OrderState::Completed | OrderState::Abandoned => return None,
    })
}

/// The flow as a step bar: done, current, to do.
pub fn flow_bar(ctx: &Ctx, view: &OrderView) -> Block {
    let is_current = current_step(view.state);
    let at = is_current.and_then(|f| view.steps.iter().position(f));
    let done_all = view.state == OrderState::Completed;
    Block::Steps(
        view.steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let state = match at {
                    _ if done_all => "done",
                    Some(c) if i < c => "done",
                    Some(c) if i == c => "current",
                    _ => "todo",
                };
                (ctx.t(step_key(*s)), state)
            })
            .collect(),
    )
}

/// When the SMS window of an order in `sms_pending` closes.
pub fn sms_deadline(view: &OrderView) -> Option<DateTime<Utc>> {
    let since = view
        .timeline
        .iter()
        .rev()
        .find(|t| t.to_state == OrderState::SmsPending.as_str())?;
    let at = DateTime::<Utc>::from_timestamp_millis(since.at)?;
    let province = Province::parse(&view.province).ok()?;
    let hours = rules_for(province, view.kind, at)
        .sms
        .map_or(24, |r| i64::from(r.window_hours));
    Some(at + chrono::Duration::hours(hours))
}

/// "还剩 23 小时 12 分" / "23 h 12 min left".
fn remaining(lang: Lang, now: DateTime<Utc>, until: DateTime<Utc>) -> String {
    let mins = (until - now).num_minutes().max(0);
    lang.t_args(
        "sms-countdown",
        &[
            ("hours", Arg::N(mins / 60)),
            ("minutes", Arg::N(mins % 60)),
            ("until", Arg::S(text::time(until.timestamp_millis()))),
        ],
    )
}

/// `GET /orders/{id}`.
pub async fn overview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let acting = acting(&ctx)?;
    let view = state
        .workflow()
        .order_view(&acting, &id)
        .await
        .map_err(|e| page_error(&e))?;
    let lang = ctx.lang;
    let now = state.clock.now();
    let mut blocks = vec![flow_bar(&ctx, &view)];
    let mut facts = vec![
        (
            ctx.t("f-kind"),
            text::service_kind(lang, view.kind, view.forms.is_app()),
        ),
        (ctx.t("f-state"), text::state(lang, view.state)),
    ];
    match &view.forms.app {
        // An APP's order: its name and packages, and its `-NA` number once issued.
        Some(a) => {
            facts.push((ctx.t("f-app-name"), a.name.clone()));
            let packages: Vec<&str> = a.platforms.iter().map(|p| p.package.as_str()).collect();
            facts.push((ctx.t("f-app-package"), packages.join(", ")));
            if let Some(n) = &view.app_number {
                facts.push((ctx.t("f-app-number"), n.clone()));
            }
        }
        None => facts.push((ctx.t("f-domain"), view.forms.website.domain.clone())),
    }
    facts.push((
        ctx.t("f-province"),
        text::province(ctx.lang, &view.province),
    ));
    blocks.push(Block::Dl(facts));
    // The province's expected review time at the bureau (rules data, issue 18).
    if let Some(days) = Province::parse(&view.province)
        .ok()
        .and_then(|p| rules_for(p, view.kind, now).review_days)
    {
        blocks.push(Block::Dl(vec![(
            ctx.t("f-review-days"),
            lang.t_args(
                "review-days",
                &[
                    ("province", Arg::S(text::province(lang, &view.province))),
                    ("days", Arg::N(i64::from(days))),
                ],
            ),
        )]));
    }
    blocks.push(Block::Note("info", text::next_step(lang, view.state)));
    // Return reasons, beside their fields on the form pages; listed here too.
    if let Some(reasons) = view.return_reasons.as_array().filter(|r| !r.is_empty())
        && view.state.is_editable()
    {
        blocks.push(Block::H2(ctx.t("return-reasons")));
        let key = if lang == Lang::En {
            "message_en"
        } else {
            "message"
        };
        blocks.push(Block::Dl(
            reasons
                .iter()
                .map(|r| {
                    let field =
                        crate::portal::staff::field_label(&ctx, r["field"].as_str().unwrap_or(""));
                    let msg = r[key]
                        .as_str()
                        .or(r["message"].as_str())
                        .unwrap_or("")
                        .to_owned();
                    (field, msg)
                })
                .collect(),
        ));
    }
    let mut links = Vec::new();
    match view.state {
        s if s.is_editable() => {
            links.push((
                ctx.t("continue-filling"),
                format!("/orders/{id}/product"),
                "primary",
            ));
        }
        OrderState::ProviderReview => {
            blocks.push(Block::Note("warn", ctx.t("hint-keep-phone")));
        }
        OrderState::PhotoPending => {
            links.push((
                ctx.t("flow-photo"),
                format!("/orders/{id}/photo"),
                "primary",
            ));
        }
        OrderState::QueuedForBureau => {
            blocks.push(Block::Note(
                "info",
                ctx.t_args("hint-queued", &[("days", Arg::S(lang.working_days(1)))]),
            ));
        }
        OrderState::SmsPending => {
            if let Some(until) = sms_deadline(&view) {
                blocks.push(Block::Countdown(
                    remaining(lang, now, until),
                    format!("/orders/{id}"),
                ));
            }
            blocks.push(Block::Note("warn", ctx.t("hint-sms")));
            links.push((
                ctx.t("bureau-sms"),
                "/bureau/sms-verification".into(),
                "primary",
            ));
        }
        OrderState::AtBureau => {
            blocks.push(Block::Note(
                "info",
                ctx.t_args(
                    "hint-at-bureau",
                    &[
                        ("from", Arg::S(lang.working_days(3))),
                        ("to", Arg::S(lang.working_days(20))),
                    ],
                ),
            ));
            blocks.push(Block::Note("info", ctx.t("hint-dns")));
        }
        OrderState::Approved => blocks.push(Block::Note("info", ctx.t("hint-dns"))),
        _ => {}
    }
    if view.allowed_events.contains(&EventKind::Abandon) {
        links.push((ctx.t("abandon"), format!("/orders/{id}/abandon"), "danger"));
    }
    if !links.is_empty() {
        blocks.push(Block::Links(links));
    }
    blocks.push(Block::H2(ctx.t("timeline")));
    // The view carries the newest entries only; say so when there are older ones.
    let shown = i64::try_from(view.timeline.len()).unwrap_or(i64::MAX);
    if view.timeline_total > shown {
        blocks.push(Block::P(ctx.t_args(
            "timeline-older",
            &[
                ("shown", Arg::N(shown)),
                ("total", Arg::N(view.timeline_total)),
            ],
        )));
    }
    let mut rows: Vec<(String, String, bool)> = view
        .timeline
        .iter()
        .map(|t| {
            let key = format!("event-{}", t.event.replace('_', "-"));
            let what = if lang.has(&key) {
                lang.t(&key)
            } else {
                OrderState::parse(&t.to_state)
                    .map_or_else(|| t.event.clone(), |s| text::state(lang, s))
            };
            (
                text::time(t.at),
                format!("{} · {}", ctx.t(&format!("party-{}", t.by)), what),
                false,
            )
        })
        .collect();
    if let Some(due) = view
        .deadlines
        .get("bureau_submit")
        .and_then(serde_json::Value::as_i64)
        && view.state == OrderState::QueuedForBureau
    {
        rows.push((text::time(due), ctx.t("due-bureau-submit"), true));
    }
    if let Some(current) = current_step(view.state).and_then(|f| view.steps.iter().position(f)) {
        for s in view.steps.iter().skip(current + 1) {
            rows.push((ctx.t("later"), ctx.t(step_key(*s)), true));
        }
    }
    blocks.push(Block::Timeline(rows));
    if !view.materials.is_empty() {
        blocks.push(Block::H2(ctx.t("materials-uploaded")));
        blocks.push(Block::Dl(
            view.materials
                .iter()
                .map(|m| (text::material(lang, &m.kind), text::time(m.uploaded_at)))
                .collect(),
        ));
    }
    ctx.page(
        ctx.t_args("order-title", &[("domain", Arg::S(view.forms.subject()))]),
        blocks,
    )
}
