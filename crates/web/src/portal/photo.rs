//! 拍照核验: request a backdrop (幕布, mailed to a mainland address), upload the photo taken
//! before it, or — in Shanghai — enter the code of the Shanghai bureau's app face check.

use std::collections::BTreeMap;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use beian_core::rules::PhotoMethod;
use beian_platform::workflow::{AddressInput, BackdropRequestInput, OrderView};

use crate::portal::filings::acting;
use crate::portal::form::{Posted, page_error, refusal};
use crate::portal::i18n::Arg;
use crate::portal::page::{Block, Ctx, Field, PageError};
use crate::portal::steps::{clean, read_upload, too_large};
use crate::portal::text;
use crate::startup::AppState;

async fn blocks(
    state: &AppState,
    ctx: &Ctx,
    view: &OrderView,
    errors: &BTreeMap<String, String>,
    form: &Posted,
) -> Result<Vec<Block>, PageError> {
    let acting = acting(ctx)?;
    let status = state
        .workflow()
        .photo_status(&acting, &view.id)
        .await
        .map_err(|e| page_error(&e))?;
    let id = &view.id;
    let mut out = vec![crate::portal::order::flow_bar(ctx, view)];
    if status.method == Some(PhotoMethod::BureauAppFaceCheck) {
        out.push(Block::Note("warn", ctx.t("photo-shanghai")));
        let f = ctx
            .form(
                format!("/orders/{id}/shanghai-code"),
                "photo-shanghai-submit",
            )
            .field(Field::text(
                "code",
                ctx.t("f-shanghai-code"),
                form.get("code"),
            ))
            .errors(errors);
        out.push(Block::Form(f));
        return Ok(out);
    }
    if let Some(e) = errors.get("") {
        out.push(Block::Note("error", e.clone()));
    }
    out.push(Block::P(ctx.t("photo-intro")));
    out.push(Block::H2(ctx.t("photo-backdrop")));
    for b in &status.backdrop_requests {
        out.push(Block::Note(
            "ok",
            ctx.t_args(
                "photo-backdrop-requested",
                &[("at", Arg::S(text::time(b.requested_at)))],
            ),
        ));
    }
    out.push(Block::P(ctx.t("photo-backdrop-why")));
    let g = |k: &str| form.get(k).to_owned();
    out.push(Block::Form(
        ctx.form(format!("/orders/{id}/backdrop"), "photo-backdrop-submit")
            .field(Field::text(
                "recipient",
                ctx.t("f-recipient"),
                g("recipient"),
            ))
            .field(Field::text("mobile", ctx.t("f-mobile"), g("mobile")).kind("tel"))
            .field(Field::text(
                "address.province",
                ctx.t("f-address-province"),
                g("address.province"),
            ))
            .field(Field::text(
                "address.city",
                ctx.t("f-address-city"),
                g("address.city"),
            ))
            .field(Field::text(
                "address.district",
                ctx.t("f-address-district"),
                g("address.district"),
            ))
            .field(Field::text(
                "address.detail",
                ctx.t("f-address-detail"),
                g("address.detail"),
            ))
            .errors(errors),
    ));
    out.push(Block::H2(ctx.t("photo-upload")));
    out.push(Block::Note("info", ctx.t("photo-rules")));
    let mut file = Field::new("file", ctx.t("f-photo"), "file");
    if let Some(e) = errors.get("file") {
        file.error = e.clone();
    }
    out.push(Block::Form(
        ctx.form(format!("/orders/{id}/photo"), "photo-upload-submit")
            .multipart()
            .field(file),
    ));
    Ok(out)
}

async fn load(state: &AppState, ctx: &Ctx, id: &str) -> Result<OrderView, PageError> {
    state
        .workflow()
        .order_view(&acting(ctx)?, id)
        .await
        .map_err(|e| page_error(&e))
}

/// `GET /orders/{id}/photo`.
pub async fn photo_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let view = load(&state, &ctx, &id).await?;
    let b = blocks(&state, &ctx, &view, &BTreeMap::new(), &Posted::default()).await?;
    ctx.page(ctx.t("flow-photo"), b)
}

async fn again(
    state: &AppState,
    ctx: &Ctx,
    view: &OrderView,
    errors: BTreeMap<String, String>,
    form: &Posted,
) -> Result<Response, PageError> {
    let b = blocks(state, ctx, view, &errors, form).await?;
    ctx.page_status(StatusCode::UNPROCESSABLE_ENTITY, ctx.t("flow-photo"), b)
}

fn errors_of(
    ctx: &Ctx,
    e: &beian_platform::workflow::WorkflowError,
) -> Result<BTreeMap<String, String>, PageError> {
    let (message, mut fields) = refusal(e, ctx.lang).ok_or(PageError::Internal)?;
    fields.insert(String::new(), message);
    Ok(fields)
}

/// `POST /orders/{id}/backdrop`.
pub async fn backdrop(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let view = load(&state, &ctx, &id).await?;
    let input = BackdropRequestInput {
        recipient: form.owned("recipient"),
        mobile: form.owned("mobile"),
        address: AddressInput {
            province: form.owned("address.province"),
            city: form.owned("address.city"),
            district: form.owned("address.district"),
            detail: form.owned("address.detail"),
        },
    };
    match state
        .workflow()
        .request_backdrop(&acting(&ctx)?, &id, &input)
        .await
    {
        Ok(_) => Ok(ctx.redirect_flash(&format!("/orders/{id}/photo"), "flash-backdrop")),
        Err(e) => again(&state, &ctx, &view, errors_of(&ctx, &e)?, &form).await,
    }
}

/// `POST /orders/{id}/photo` (multipart: `_csrf`, `file`).
pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, PageError> {
    let view = load(&state, &ctx, &id).await?;
    let file = match read_upload(&state, &ctx, req).await {
        Ok((_, file)) => file,
        // Too large: the photo page again, the message beside the file field.
        Err(PageError::TooLarge) => {
            let errors = BTreeMap::from([("file".to_owned(), too_large(&state, &ctx))]);
            let b = blocks(&state, &ctx, &view, &errors, &Posted::default()).await?;
            return ctx.page_status(StatusCode::PAYLOAD_TOO_LARGE, ctx.t("flow-photo"), b);
        }
        Err(e) => return Err(e),
    };
    let message = match clean(&state, &ctx, file).await? {
        Ok(cleaned) => match state
            .workflow()
            .upload_photo(&acting(&ctx)?, &id, cleaned, &state.objects)
            .await
        {
            Ok(_) => return Ok(ctx.redirect_flash(&format!("/orders/{id}"), "flash-photo")),
            Err(e) => refusal(&e, ctx.lang).ok_or(PageError::Internal)?.0,
        },
        Err(m) => m,
    };
    again(
        &state,
        &ctx,
        &view,
        BTreeMap::from([("file".to_owned(), message)]),
        &Posted::default(),
    )
    .await
}

/// `POST /orders/{id}/shanghai-code`.
pub async fn shanghai_code(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let view = load(&state, &ctx, &id).await?;
    match state
        .workflow()
        .submit_shanghai_code(&acting(&ctx)?, &id, form.get("code"))
        .await
    {
        Ok(_) => Ok(ctx.redirect_flash(&format!("/orders/{id}"), "flash-photo")),
        Err(e) => {
            // The platform names the code `shanghai_app_code`; the form's field is `code`.
            let mut errors = errors_of(&ctx, &e)?;
            if let Some(m) = errors.remove("shanghai_app_code") {
                errors.insert("code".to_owned(), m);
            }
            again(&state, &ctx, &view, errors, &form).await
        }
    }
}
