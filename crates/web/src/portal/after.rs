//! After a filing: 取消接入 (confirm, send the code, then the code and the filing password),
//! the legacy (万网) import with its irreversible confirmation, and the storefront's
//! 顶级域名 page (前往备案 into the storefront flow; a domain binds only once its filing and
//! its access here exist).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use beian_platform::workflow::{CancelAccessInput, CancelledAccess, LegacyImportInput};

use crate::portal::filings::acting;
use crate::portal::form::{Posted, page_error, refusal};
use crate::portal::i18n::Arg;
use crate::portal::page::{Block, Cell, Ctx, Field, FormView, PageError};
use crate::startup::AppState;

fn cancel_form(ctx: &Ctx, id: &str) -> FormView {
    ctx.form(format!("/websites/{id}/cancel-access"), "cancel-confirm")
        .danger()
        .field(Field::text("sms_code", ctx.t("f-sms-code"), "").kind("text"))
        .field(Field::new(
            "password",
            ctx.t("f-filing-password"),
            "password",
        ))
}

async fn domain_of(state: &AppState, ctx: &Ctx, id: &str) -> Result<String, PageError> {
    let view = state
        .workflow()
        .sponsor_view(&acting(ctx)?)
        .await
        .map_err(|e| page_error(&e))?;
    view.websites
        .iter()
        .find(|w| w.id == id)
        .map(|w| w.domain.clone())
        .ok_or(PageError::NotFound)
}

/// `GET /websites/{id}/cancel-access`: the confirmation and the button that sends the code.
pub async fn cancel_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let domain = domain_of(&state, &ctx, &id).await?;
    let blocks = vec![
        Block::P(ctx.t_args("cancel-confirm-question", &[("domain", Arg::S(domain))])),
        Block::Note("warn", CancelledAccess::notice(ctx.lang.locale())),
        Block::Form(ctx.form(
            format!("/websites/{id}/cancel-access/code"),
            "cancel-send-code",
        )),
    ];
    ctx.page(ctx.t("cancel-access"), blocks)
}

/// `POST /websites/{id}/cancel-access/code`.
pub async fn send_code(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    match state
        .workflow()
        .send_cancel_access_code(&acting(&ctx)?, &id)
        .await
    {
        Ok(sent) => ctx.page(
            ctx.t("cancel-access"),
            vec![
                Block::Note(
                    "ok",
                    ctx.t_args(
                        "cancel-code-sent",
                        &[
                            ("mobile", Arg::S(sent.sent_to)),
                            ("minutes", Arg::N(i64::from(sent.valid_minutes))),
                        ],
                    ),
                ),
                Block::Form(cancel_form(&ctx, &id)),
                Block::Links(vec![(
                    ctx.t("bureau-recovery"),
                    "/bureau/password-recovery".into(),
                    "secondary",
                )]),
            ],
        ),
        Err(e) => {
            let (message, _) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
            ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t("cancel-access"),
                vec![Block::Note("error", message)],
            )
        }
    }
}

/// `POST /websites/{id}/cancel-access`: the code and the filing password.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let input = CancelAccessInput {
        sms_code: form.owned("sms_code"),
        password: form.owned("password"),
    };
    match state
        .workflow()
        .cancel_access(&acting(&ctx)?, &id, &input)
        .await
    {
        Ok(_) => Ok(ctx.redirect_flash("/filings", "flash-cancelled")),
        Err(e) => {
            let (message, fields) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
            let f = cancel_form(&ctx, &id).errors(&fields).with_error(message);
            ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t("cancel-access"),
                vec![Block::Form(f)],
            )
        }
    }
}

fn legacy_form(ctx: &Ctx, username: &str) -> FormView {
    ctx.form("/legacy-import", "legacy-submit")
        .danger()
        .field(Field::text(
            "legacy_username",
            ctx.t("f-legacy-username"),
            username,
        ))
        .field(Field::new(
            "legacy_password",
            ctx.t("f-legacy-password"),
            "password",
        ))
        .field(Field::new("confirm", ctx.t("legacy-confirm"), "checkbox"))
}

/// `GET /legacy-import`.
pub async fn legacy_page(ctx: Ctx) -> Result<Response, PageError> {
    ctx.account()?;
    ctx.page(
        ctx.t("legacy-title"),
        vec![
            Block::P(ctx.t("legacy-intro")),
            Block::Note("warn", ctx.t("legacy-irreversible")),
            Block::Form(legacy_form(&ctx, "")),
        ],
    )
}

/// `POST /legacy-import`.
pub async fn legacy(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let input = LegacyImportInput {
        legacy_username: form.owned("legacy_username"),
        legacy_password: form.owned("legacy_password"),
        confirm: form.checked("confirm"),
    };
    match state.workflow().import_legacy(&acting(&ctx)?, &input).await {
        Ok(_) => Ok(ctx.redirect_flash("/filings", "flash-imported")),
        Err(e) => {
            let (message, fields) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
            let f = legacy_form(&ctx, form.get("legacy_username"))
                .errors(&fields)
                .with_error(message);
            ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t("legacy-title"),
                vec![
                    Block::Note("warn", ctx.t("legacy-irreversible")),
                    Block::Form(f),
                ],
            )
        }
    }
}

async fn storefront_blocks(
    state: &AppState,
    ctx: &Ctx,
    domain: &str,
) -> Result<Vec<Block>, PageError> {
    let account = ctx.account()?.clone();
    let now = state.clock.now().timestamp_millis();
    let active = state
        .store
        .storefront_subscriptions(&account.id)
        .await?
        .into_iter()
        .any(|s| s.status == "active" && s.term_end > now);
    let mut blocks = vec![Block::P(ctx.t("storefront-intro"))];
    if !active {
        blocks.push(Block::Note("warn", ctx.t("storefront-none")));
        return Ok(blocks);
    }
    blocks.push(Block::Note("info", ctx.t("storefront-rule")));
    blocks.push(Block::Links(vec![
        (
            ctx.t("storefront-go-file"),
            "/orders/new?storefront=1".into(),
            "primary",
        ),
        (ctx.t("legacy-title"), "/legacy-import".into(), "secondary"),
        (ctx.t("nav-filings"), "/filings".into(), "secondary"),
    ]));
    if let Ok(view) = state.workflow().sponsor_view(&acting(ctx)?).await {
        let rows = view
            .websites
            .iter()
            .map(|w| {
                vec![
                    Cell::text(w.domain.clone()),
                    Cell::text(w.icp_number.clone().unwrap_or_else(|| ctx.t("none"))),
                    Cell::text(ctx.t(&format!(
                        "access-{}",
                        w.access_status.as_deref().unwrap_or("none")
                    ))),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("f-domain"),
                ctx.t("f-website-number"),
                ctx.t("f-access"),
            ],
            rows,
        ));
    }
    blocks.push(Block::H2(ctx.t("storefront-bind")));
    blocks.push(Block::Form(
        ctx.form("/storefront/domains", "storefront-bind-submit")
            .field(Field::text("domain", ctx.t("f-domain"), domain)),
    ));
    Ok(blocks)
}

/// `GET /storefront/domains` (顶级域名).
pub async fn storefront_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let blocks = storefront_blocks(&state, &ctx, "").await?;
    ctx.page(ctx.t("storefront-title"), blocks)
}

/// `POST /storefront/domains`: binds the domain through the platform's storefront service
/// (the gate's index decides), or says why not: not filed and accessed here, another
/// account's filing, bound already, or not a top-level domain.
pub async fn bind_domain(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    use beian_platform::storefront::{self, StorefrontError};
    let domain = form
        .get("domain")
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let account = ctx.account()?.clone();
    let result = storefront::bind(
        &state.store,
        &state.gate,
        &account.actor(),
        &account.id,
        &domain,
    )
    .await;
    let (level, key) = match result {
        Ok(_) => ("ok", "storefront-bound"),
        Err(StorefrontError::Invalid(_)) => ("error", "storefront-invalid"),
        Err(StorefrontError::NotAccessed { .. }) => ("error", "storefront-not-accessed"),
        Err(StorefrontError::OtherAccount { .. }) => ("error", "storefront-not-filed"),
        Err(StorefrontError::AlreadyBound { .. }) => ("error", "storefront-already-bound"),
        Err(StorefrontError::Store(e)) => return Err(e.into()),
    };
    let mut blocks = vec![Block::Note(
        level,
        ctx.t_args(key, &[("domain", Arg::S(domain.clone()))]),
    )];
    // Bound: the field is emptied for the next domain; refused: it keeps what was typed.
    let typed = if level == "ok" { "" } else { domain.as_str() };
    blocks.extend(storefront_blocks(&state, &ctx, typed).await?);
    let status = if level == "error" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    ctx.page_status(status, ctx.t("storefront-title"), blocks)
}
