//! The reviewers' pages of the photo step (拍照核验): the backdrops to post (mark one shipped
//! with its tracking number), the photos waiting for review, and one photo beside the
//! sponsor's and the website's responsible persons, approved or rejected with a reason from
//! the list (红/蓝上衣, 面部不清晰, 未使用幕布) or free text.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::order::OrderState;
use beian_platform::workflow::{Acting, PhotoVerdict, RejectReasonInput, WorkflowError};

use crate::portal::form::{Posted, page_error, refusal};
use crate::portal::page::{Block, Cell, Ctx, Field, PageError};
use crate::portal::staff::{QueueFilter, fetch_queue_page, reviewer};
use crate::portal::text;
use crate::startup::AppState;

/// `GET /staff/backdrops`: the requests to post (each with its shipping form), then the last
/// ones shipped.
pub async fn backdrops(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let blocks = backdrop_blocks(&state, &ctx, &acting, None).await?;
    ctx.page(ctx.t("nav-backdrops"), blocks)
}

async fn backdrop_blocks(
    state: &AppState,
    ctx: &Ctx,
    acting: &Acting,
    error: Option<(&str, String)>,
) -> Result<Vec<Block>, PageError> {
    let wf = state.workflow();
    let requested = wf
        .backdrop_requests(acting, "requested")
        .await
        .map_err(|e| page_error(&e))?;
    let mut blocks = vec![Block::P(ctx.t("backdrops-intro"))];
    if requested.is_empty() {
        blocks.push(Block::Note("info", ctx.t("backdrops-none")));
    }
    for r in &requested {
        blocks.push(Block::H2(ctx.t_args(
            "backdrops-for",
            &[("order", crate::portal::i18n::Arg::S(r.order_id.clone()))],
        )));
        blocks.push(Block::Dl(vec![
            (ctx.t("f-recipient"), r.recipient.clone()),
            (ctx.t("f-mobile"), r.mobile.clone()),
            (
                ctx.t("f-address"),
                format!("{}{}{}{}", r.province_name, r.city, r.district, r.detail),
            ),
            (ctx.t("backdrops-requested-at"), text::time(r.requested_at)),
        ]));
        let mut form = ctx
            .form(
                format!("/staff/backdrops/{}/shipped", r.id),
                "backdrops-ship",
            )
            .field(Field::text(
                "tracking_number",
                ctx.t("f-tracking-number"),
                "",
            ));
        if let Some((id, message)) = &error
            && *id == r.id
        {
            form = form.errors(&[("tracking_number".to_owned(), message.clone())].into());
        }
        blocks.push(Block::Form(form));
    }
    let shipped = wf
        .backdrop_requests(acting, "shipped")
        .await
        .map_err(|e| page_error(&e))?;
    if !shipped.is_empty() {
        blocks.push(Block::H2(ctx.t("backdrops-shipped")));
        let rows = shipped
            .iter()
            .rev()
            .take(50)
            .map(|r| {
                vec![
                    Cell::link(r.order_id.clone(), format!("/staff/orders/{}", r.order_id)),
                    Cell::text(r.recipient.clone()),
                    Cell::text(r.tracking_number.clone().unwrap_or_default()),
                    Cell::text(r.shipped_at.map(text::time).unwrap_or_default()),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("f-order"),
                ctx.t("f-recipient"),
                ctx.t("f-tracking-number"),
                ctx.t("backdrops-shipped-at"),
            ],
            rows,
        ));
    }
    Ok(blocks)
}

/// `POST /staff/backdrops/{id}/shipped` (`tracking_number`).
pub async fn ship(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    match state
        .workflow()
        .ship_backdrop(&acting, &id, form.get("tracking_number"))
        .await
    {
        Ok(_) => Ok(ctx.redirect_flash("/staff/backdrops", "flash-backdrop-shipped")),
        Err(e) if e.status() == 404 => Err(PageError::NotFound),
        Err(e) => {
            let (message, fields) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
            let message = fields.get("tracking_number").cloned().unwrap_or(message);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT);
            let blocks = backdrop_blocks(&state, &ctx, &acting, Some((&id, message))).await?;
            ctx.page_status(status, ctx.t("nav-backdrops"), blocks)
        }
    }
}

/// `GET /staff/photos`: the orders whose photo waits for review, oldest first.
pub async fn photos(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let filter = QueueFilter {
        state: OrderState::PhotoReview,
        province: None,
        kind: None,
    };
    let page = fetch_queue_page(&state.workflow(), &acting, &filter, None, 200)
        .await
        .map_err(|e| page_error(&e))?;
    let mut blocks = vec![Block::P(ctx.t("photos-intro"))];
    if page.items.is_empty() {
        blocks.push(Block::Note("info", ctx.t("photos-none")));
    } else {
        let rows = page
            .items
            .iter()
            .map(|i| {
                vec![
                    Cell::link(i.id.clone(), format!("/staff/orders/{}/photo", i.id)),
                    Cell::text(i.domain.clone().unwrap_or_default()),
                    Cell::text(i.sponsor_name.clone().unwrap_or_default()),
                    Cell::text(text::province(ctx.lang, &i.province)),
                    Cell::text(text::time(i.submitted_at)),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("f-order"),
                ctx.t("f-order-service"),
                ctx.t("f-sponsor-name"),
                ctx.t("f-province"),
                ctx.t("staff-entered"),
            ],
            rows,
        ));
    }
    ctx.page(ctx.t("nav-photos"), blocks)
}

/// The photo's reject reasons: (code, message id).
const REJECT_REASONS: [(&str, &str); 4] = [
    ("red_or_blue_top", "photo-reason-red-or-blue-top"),
    ("face_unclear", "photo-reason-face-unclear"),
    ("no_backdrop", "photo-reason-no-backdrop"),
    ("other", "photo-reason-other"),
];

async fn photo_blocks(
    state: &AppState,
    ctx: &Ctx,
    acting: &Acting,
    id: &str,
    errors: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<Block>, PageError> {
    let o = state
        .workflow()
        .review_order(acting, id)
        .await
        .map_err(|e| page_error(&e))?;
    let mut blocks = vec![Block::Links(vec![(
        ctx.t("photos-whole-order"),
        format!("/staff/orders/{id}"),
        "secondary",
    )])];
    if o.account_id == acting.account_id {
        blocks.push(Block::Note("warn", ctx.t("staff-own-order")));
    }
    // The person photographed: the website's responsible person, or the APP's.
    let (subject, person, person_label, photo_label) = match &o.forms.app {
        Some(a) => (
            (ctx.t("f-app-name"), a.name.clone()),
            &a.responsible,
            "photos-app-person",
            "photos-photo-app",
        ),
        None => (
            (ctx.t("f-domain"), o.forms.website.domain.clone()),
            &o.forms.website.responsible,
            "photos-website-person",
            "photos-photo",
        ),
    };
    let sponsor = &o.forms.sponsor.responsible;
    blocks.push(Block::Dl(vec![
        (
            ctx.t("f-sponsor-name"),
            o.forms.sponsor.identity.name.clone(),
        ),
        subject,
        (ctx.t(person_label), person.name.clone()),
        (
            ctx.t("staff-person-cert"),
            person.certificate_number.clone(),
        ),
        (ctx.t("photos-sponsor-person"), sponsor.name.clone()),
    ]));
    if o.state != OrderState::PhotoReview {
        blocks.push(Block::Note("info", ctx.t("photos-not-waiting")));
        return Ok(blocks);
    }
    blocks.push(Block::Img(
        ctx.t(photo_label),
        format!("/staff/orders/{id}/photo/image"),
    ));
    if o.account_id == acting.account_id {
        return Ok(blocks);
    }
    blocks.push(Block::Form(ctx.form(
        format!("/staff/orders/{id}/photo/approve"),
        "photos-approve",
    )));
    let mut reasons = vec![(String::new(), ctx.t("staff-pick-reason"))];
    reasons.extend(
        REJECT_REASONS
            .iter()
            .map(|(code, key)| ((*code).to_owned(), ctx.t(key))),
    );
    let reject = ctx
        .form(format!("/staff/orders/{id}/photo/reject"), "photos-reject")
        .danger()
        .field(Field::new("reason.code", ctx.t("photos-reason"), "select").options(reasons))
        .field(Field::new("reason.text", ctx.t("staff-reason-text"), "textarea").optional())
        .errors(errors);
    blocks.push(Block::Form(reject));
    Ok(blocks)
}

/// `GET /staff/orders/{id}/photo`: the photo beside the persons' data, and the decision.
pub async fn photo(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let blocks = photo_blocks(&state, &ctx, &acting, &id, &Default::default()).await?;
    ctx.page(ctx.t("photos-title"), blocks)
}

/// `GET /staff/orders/{id}/photo/image`: the raw photo (never cached).
pub async fn image(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let photo = state
        .workflow()
        .photo_for_review(&acting, &id, &state.objects)
        .await
        .map_err(|e| page_error(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        photo.bytes,
    )
        .into_response())
}

async fn decide(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    verdict: Result<PhotoVerdict, WorkflowError>,
) -> Result<Response, PageError> {
    let acting = reviewer(ctx)?;
    let result = match verdict {
        Ok(v) => {
            state
                .workflow()
                .decide_photo(&acting, id, &v, &state.objects)
                .await
        }
        Err(invalid) => Err(invalid),
    };
    match result {
        Ok(_) => Ok(ctx.redirect_flash("/staff/photos", "flash-photo-decided")),
        Err(e) if e.status() == 404 => Err(PageError::NotFound),
        Err(e) => {
            let (message, fields) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
            let mut errors = fields;
            errors.entry(String::new()).or_insert(message);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT);
            let blocks = photo_blocks(state, ctx, &acting, id, &errors).await?;
            ctx.page_status(status, ctx.t("photos-title"), blocks)
        }
    }
}

/// `POST /staff/orders/{id}/photo/approve`.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    decide(&state, &ctx, &id, Ok(PhotoVerdict::Approve)).await
}

/// `POST /staff/orders/{id}/photo/reject` (`reason.code`, `reason.text`).
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let input = RejectReasonInput {
        code: form.owned("reason.code"),
        text: Some(form.owned("reason.text")).filter(|t| !t.trim().is_empty()),
    };
    let verdict = input
        .validate()
        .map(PhotoVerdict::Reject)
        .map_err(WorkflowError::Invalid);
    decide(&state, &ctx, &id, verdict).await
}
