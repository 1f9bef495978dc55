//! The bureau status page (`/staff/bureau`, reviewers and admins): the orders queued for the
//! bureau and since when (with their 1-working-day target and their upload's failed sends),
//! the uploads whose sends failed with the last error (as stored: no personal data), and the
//! downloaded files not acted on (blacklists, notices, …) by their summary. Read from
//! [`beian_platform::bureau::board`] and the review queue.

use axum::extract::State;
use axum::response::Response;
use beian_core::order::OrderState;
use beian_platform::bureau::board::board;
use serde_json::Value;

use crate::portal::form::page_error;
use crate::portal::page::{Block, Cell, Ctx, PageError};
use crate::portal::staff::{QueueFilter, fetch_queue_page, reviewer, time_left};
use crate::portal::text;
use crate::startup::AppState;

/// Queued orders listed at most.
const QUEUED_SHOWN: usize = 200;

/// A download's category in words (the code itself when it has none).
fn category(ctx: &Ctx, code: &str) -> String {
    let key = format!("bureau-cat-{}", code.replace('_', "-"));
    if ctx.lang.has(&key) {
        ctx.t(&key)
    } else {
        code.to_owned()
    }
}

/// A summary's fields as `key: value` pairs on one line.
fn summary_text(v: &Value) -> String {
    match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `GET /staff/bureau`.
pub async fn bureau(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let filter = QueueFilter {
        state: OrderState::QueuedForBureau,
        province: None,
        kind: None,
    };
    let queued = fetch_queue_page(&state.workflow(), &acting, &filter, None, QUEUED_SHOWN)
        .await
        .map_err(|e| page_error(&e))?;
    let b = board(&state.store).await?;
    let none = ctx.t("none");

    let mut blocks = vec![Block::P(ctx.t("bureau-intro"))];
    blocks.push(Block::H2(ctx.t("bureau-queued")));
    if queued.items.is_empty() {
        blocks.push(Block::Note("info", ctx.t("bureau-queued-none")));
    } else {
        let rows = queued
            .items
            .iter()
            .map(|i| {
                let (attempts, error) = b.pending_by_order.get(&i.id).cloned().unwrap_or((0, None));
                vec![
                    Cell::link(i.id.clone(), format!("/staff/orders/{}", i.id)),
                    Cell::text(i.domain.clone().unwrap_or_default()),
                    Cell::text(text::province(ctx.lang, &i.province)),
                    Cell::text(text::time(i.submitted_at)),
                    Cell::text(time_left(
                        &ctx,
                        i.submitted_at,
                        i.deadline,
                        i.deadline_remaining_seconds,
                        i.deadline_fallback_used,
                    )),
                    Cell::text(attempts.to_string()),
                    Cell::text(error.unwrap_or_else(|| none.clone())),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("f-order"),
                ctx.t("f-domain"),
                ctx.t("f-province"),
                ctx.t("bureau-since"),
                ctx.t("bureau-target"),
                ctx.t("bureau-failed-sends"),
                ctx.t("bureau-last-error"),
            ],
            rows,
        ));
        if queued.next.is_some() {
            blocks.push(Block::P(ctx.t("bureau-queued-more")));
        }
    }

    blocks.push(Block::H2(ctx.t("bureau-failed")));
    if b.failed.is_empty() {
        blocks.push(Block::Note("ok", ctx.t("bureau-failed-none")));
    } else {
        let rows = b
            .failed
            .iter()
            .map(|u| {
                vec![
                    Cell::text(u.sequence.to_string()),
                    match &u.order_id {
                        Some(id) => Cell::link(u.subject.clone(), format!("/staff/orders/{id}")),
                        None => Cell::text(u.subject.clone()),
                    },
                    Cell::text(u.file_name.clone()),
                    Cell::text(text::time(u.created_at)),
                    Cell::text(u.attempts.to_string()),
                    Cell::text(u.last_error.clone().unwrap_or_else(|| none.clone())),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("bureau-sequence"),
                ctx.t("bureau-subject"),
                ctx.t("bureau-file"),
                ctx.t("bureau-created"),
                ctx.t("bureau-failed-sends"),
                ctx.t("bureau-last-error"),
            ],
            rows,
        ));
    }

    blocks.push(Block::H2(ctx.t("bureau-unacted")));
    if b.unacted.is_empty() {
        blocks.push(Block::Note("ok", ctx.t("bureau-unacted-none")));
    } else {
        blocks.push(Block::P(ctx.t("bureau-unacted-intro")));
        let rows = b
            .unacted
            .iter()
            .map(|d| {
                vec![
                    Cell::text(text::time(d.received_at)),
                    Cell::text(category(&ctx, &d.category)),
                    Cell::text(d.file_name.clone()),
                    Cell::text(summary_text(&d.summary)),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("bureau-received"),
                ctx.t("bureau-category"),
                ctx.t("bureau-file"),
                ctx.t("bureau-summary"),
            ],
            rows,
        ));
    }
    ctx.page(ctx.t("nav-bureau"), blocks)
}
