//! The admins' outbox page (`/staff/outbox?channel=mail|sms|bureau&status=`): the delivery
//! jobs of a channel (status, attempts, last error, next attempt) and its outbox rows
//! (mail and texts as delivered, bureau upload records), recipients masked and errors
//! redacted as in `GET /api/v1/admin/outbox`; a message that failed for good (a dead job)
//! has a button that gives it another run ([`beian_platform::admin::retry_job`]).

use axum::extract::{Query, State};
use axum::response::Response;
use beian_platform::admin::{OUTBOX_CHANNELS, outbox_listing, retry_job};
use serde::Deserialize;

use crate::api::admin_ops::{LIST_LIMIT, job_view, outbox_view};
use crate::portal::admin::admin;
use crate::portal::form::{Posted, admin_refusal};
use crate::portal::i18n::{Arg, Lang};
use crate::portal::page::{Block, Cell, Ctx, Field, PageError};
use crate::portal::text;
use crate::startup::AppState;

/// `?channel=&status=`.
#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    pub channel: Option<String>,
    pub status: Option<String>,
}

fn status_word(lang: Lang, s: &str) -> String {
    let key = format!("outbox-status-{s}");
    if lang.has(&key) {
        lang.t(&key)
    } else {
        s.to_owned()
    }
}

fn channel_or_default(c: Option<&str>) -> Result<&'static str, PageError> {
    match c.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(OUTBOX_CHANNELS[0]),
        Some(c) => OUTBOX_CHANNELS
            .iter()
            .copied()
            .find(|k| *k == c)
            .ok_or(PageError::BadRequest),
    }
}

async fn outbox_blocks(
    state: &AppState,
    ctx: &Ctx,
    channel: &'static str,
    status: Option<&str>,
    error: Option<String>,
) -> Result<Vec<Block>, PageError> {
    let (jobs, rows) = match outbox_listing(&state.store, channel, status, LIST_LIMIT).await {
        Ok(l) => l,
        Err(e) => {
            admin_refusal(e, ctx.lang)?;
            return Err(PageError::BadRequest);
        }
    };
    let jobs: Vec<_> = jobs.into_iter().map(job_view).collect();
    let rows: Vec<_> = rows.into_iter().map(outbox_view).collect();
    let mut blocks = vec![Block::Links(
        OUTBOX_CHANNELS
            .iter()
            .map(|c| {
                (
                    ctx.t(&format!("outbox-channel-{c}")),
                    format!("/staff/outbox?channel={c}"),
                    if *c == channel {
                        "primary"
                    } else {
                        "secondary"
                    },
                )
            })
            .collect(),
    )];
    if let Some(e) = error {
        blocks.push(Block::Note("error", e));
    }
    let none = ctx.t("none");
    blocks.push(Block::H2(ctx.t("outbox-jobs")));
    let dead: Vec<_> = jobs.iter().filter(|j| j.status == "dead").collect();
    if !dead.is_empty() {
        blocks.push(Block::Note(
            "warn",
            ctx.t_args("outbox-dead", &[("count", Arg::N(dead.len() as i64))]),
        ));
    }
    if jobs.is_empty() {
        blocks.push(Block::Note("info", ctx.t("outbox-no-jobs")));
    } else {
        let table = jobs
            .iter()
            .map(|j| {
                vec![
                    Cell::text(text::time(j.created_at)),
                    Cell::text(j.event.clone().unwrap_or_else(|| j.kind.clone())),
                    Cell::text(j.to.clone().unwrap_or_default()),
                    Cell::text(status_word(ctx.lang, &j.status)),
                    Cell::text(format!("{} / {}", j.attempts, j.max_attempts)),
                    Cell::text(j.last_error.clone().unwrap_or_else(|| none.clone())),
                    Cell::text(if j.status == "pending" {
                        text::time(j.next_run)
                    } else {
                        String::new()
                    }),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("outbox-created"),
                ctx.t("outbox-what"),
                ctx.t("outbox-to"),
                ctx.t("f-state"),
                ctx.t("outbox-attempts"),
                ctx.t("outbox-last-error"),
                ctx.t("outbox-next"),
            ],
            table,
        ));
    }
    for j in &dead {
        let mut form = ctx
            .form("/staff/outbox/retry", "outbox-retry")
            .field(Field::hidden("job", j.id.clone()))
            .field(Field::hidden("channel", channel));
        form.submit = ctx.t_args(
            "outbox-retry-one",
            &[
                (
                    "what",
                    Arg::S(j.event.clone().unwrap_or_else(|| j.kind.clone())),
                ),
                ("to", Arg::S(j.to.clone().unwrap_or_default())),
                ("at", Arg::S(text::time(j.created_at))),
            ],
        );
        blocks.push(Block::Form(form));
    }

    blocks.push(Block::H2(ctx.t("outbox-rows")));
    if rows.is_empty() {
        blocks.push(Block::Note("info", ctx.t("outbox-no-rows")));
    } else {
        let table = rows
            .iter()
            .map(|r| {
                vec![
                    Cell::text(text::time(r.created_at)),
                    Cell::text(r.to.clone().unwrap_or_default()),
                    Cell::text(status_word(ctx.lang, &r.status)),
                    Cell::text(r.attempts.to_string()),
                    Cell::text(r.last_error.clone().unwrap_or_else(|| none.clone())),
                    Cell::text(r.sent_at.map(text::time).unwrap_or_default()),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("outbox-created"),
                ctx.t("outbox-to"),
                ctx.t("f-state"),
                ctx.t("outbox-attempts"),
                ctx.t("outbox-last-error"),
                ctx.t("outbox-sent"),
            ],
            table,
        ));
    }
    Ok(blocks)
}

/// `GET /staff/outbox`.
pub async fn outbox(
    State(state): State<AppState>,
    Query(q): Query<OutboxQuery>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let channel = channel_or_default(q.channel.as_deref())?;
    let blocks = outbox_blocks(&state, &ctx, channel, q.status.as_deref(), None).await?;
    ctx.page(ctx.t("nav-outbox"), blocks)
}

/// `POST /staff/outbox/retry`: `job`, `channel` (the list to go back to).
pub async fn retry(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let actor = admin(&ctx)?;
    let channel = channel_or_default(Some(form.get("channel")))?;
    match retry_job(&state.store, &actor, form.get("job")).await {
        Ok(()) => {
            Ok(ctx.redirect_flash(&format!("/staff/outbox?channel={channel}"), "flash-retried"))
        }
        Err(e) => {
            let (status, message, _) = admin_refusal(e, ctx.lang)?;
            let blocks = outbox_blocks(&state, &ctx, channel, None, Some(message)).await?;
            ctx.page_status(status, ctx.t("nav-outbox"), blocks)
        }
    }
}
