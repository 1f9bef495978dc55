//! The reviewers' entry: the queue of orders waiting for provider review, a page at a time.
//! Applicants get 403.
//! The staff pages proper (review, photo decisions, backdrops, admin) come with the next
//! issue on this foundation.

use axum::extract::State;
use axum::response::Response;
use beian_core::order::OrderState;
use beian_store::accounts::Role;

use crate::portal::filings::acting;
use crate::portal::form::page_error;
use crate::portal::page::{Block, Cell, Ctx, PageError};
use crate::portal::text;
use crate::startup::AppState;

/// `GET /staff/review`.
pub async fn queue(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    ctx.require(Role::Reviewer)?;
    let acting = acting(&ctx)?;
    let items = state
        .workflow()
        .review_queue(&acting, OrderState::ProviderReview)
        .await
        .map_err(|e| page_error(&e))?;
    let (items, pager) = ctx.paginate(items, "page");
    let rows: Vec<Vec<Cell>> = items
        .iter()
        .map(|i| {
            vec![
                Cell::text(i.id.clone()),
                Cell::text(text::kind(ctx.lang, i.kind)),
                Cell::text(text::province(&i.province)),
            ]
        })
        .collect();
    let mut blocks = vec![Block::P(ctx.t("staff-intro"))];
    if rows.is_empty() {
        blocks.push(Block::P(ctx.t("staff-empty")));
    } else {
        blocks.push(Block::Table(
            vec![ctx.t("f-order"), ctx.t("f-kind"), ctx.t("f-province")],
            rows,
        ));
        blocks.extend(pager);
    }
    ctx.page(ctx.t("nav-review"), blocks)
}
