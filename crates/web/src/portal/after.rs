//! After a filing: 取消接入 of a website or an APP (confirm, send the code, then the code and
//! the filing password), 变更APP and 注销APP (confirm, then the order),
//! the legacy (万网) import with its irreversible confirmation, and the storefront's
//! 顶级域名 page (前往备案 into the storefront flow; a domain binds only once its filing and
//! its access here exist).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use beian_core::kind::FilingKind;
use beian_platform::workflow::{
    CancelAccessInput, CancelCodeSent, CancelledAccess, LegacyImportInput, WorkflowError,
};

use crate::portal::filings::acting;
use crate::portal::form::{Posted, page_error, refusal};
use crate::portal::i18n::Arg;
use crate::portal::page::{Block, Cell, Ctx, Field, FormView, PageError};
use crate::startup::AppState;

/// What a 取消接入 page is about: one of the sponsor's websites or APPs (`/websites/{id}` or
/// `/apps/{id}`); the pages are the same, the services the website's or the APP's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Website,
    App,
}

impl Service {
    fn base(self, id: &str) -> String {
        match self {
            Service::Website => format!("/websites/{id}"),
            Service::App => format!("/apps/{id}"),
        }
    }
}

fn cancel_form(ctx: &Ctx, service: Service, id: &str) -> FormView {
    ctx.form(
        format!("{}/cancel-access", service.base(id)),
        "cancel-confirm",
    )
    .danger()
    .field(Field::text("sms_code", ctx.t("f-sms-code"), "").kind("text"))
    .field(Field::new(
        "password",
        ctx.t("f-filing-password"),
        "password",
    ))
}

/// The website's domain or the APP's name, if it is one of the account's sponsor's.
async fn subject_of(
    state: &AppState,
    ctx: &Ctx,
    service: Service,
    id: &str,
) -> Result<String, PageError> {
    let view = state
        .workflow()
        .sponsor_view(&acting(ctx)?)
        .await
        .map_err(|e| page_error(&e))?;
    let found = match service {
        Service::Website => view
            .websites
            .iter()
            .find(|w| w.id == id)
            .map(|w| w.domain.clone()),
        Service::App => view
            .apps
            .iter()
            .find(|a| a.id == id)
            .map(|a| format!("{} ({})", a.name, a.package)),
    };
    found.ok_or(PageError::NotFound)
}

async fn confirm_page(
    state: &AppState,
    ctx: &Ctx,
    service: Service,
    id: &str,
) -> Result<Response, PageError> {
    let subject = subject_of(state, ctx, service, id).await?;
    let blocks = vec![
        Block::P(ctx.t_args("cancel-confirm-question", &[("domain", Arg::S(subject))])),
        Block::Note("warn", CancelledAccess::notice(ctx.lang.locale())),
        Block::Form(ctx.form(
            format!("{}/cancel-access/code", service.base(id)),
            "cancel-send-code",
        )),
    ];
    ctx.page(ctx.t("cancel-access"), blocks)
}

/// `GET /websites/{id}/cancel-access`: the confirmation and the button that sends the code.
pub async fn cancel_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    confirm_page(&state, &ctx, Service::Website, &id).await
}

/// `GET /apps/{id}/cancel-access`: an APP's, as a website's.
pub async fn app_cancel_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    confirm_page(&state, &ctx, Service::App, &id).await
}

async fn code_sent(
    ctx: &Ctx,
    service: Service,
    id: &str,
    sent: Result<CancelCodeSent, WorkflowError>,
) -> Result<Response, PageError> {
    match sent {
        Ok(sent) => {
            let mut blocks = vec![Block::Note(
                "ok",
                ctx.t_args(
                    "cancel-code-sent",
                    &[
                        ("mobile", Arg::S(sent.sent_to)),
                        ("minutes", Arg::N(i64::from(sent.valid_minutes))),
                    ],
                ),
            )];
            // Ours is its only access (it was filed through us): the bureau will refuse, as
            // the text sent beside the code says too; the page says it before one goes on.
            if sent.only_access {
                blocks.push(Block::Note(
                    "warn",
                    ctx.t(match service {
                        Service::Website => "cancel-only-access-website",
                        Service::App => "cancel-only-access-app",
                    }),
                ));
            }
            blocks.push(Block::Form(cancel_form(ctx, service, id)));
            blocks.push(Block::Links(vec![(
                ctx.t("bureau-recovery"),
                "/bureau/password-recovery".into(),
                "secondary",
            )]));
            ctx.page(ctx.t("cancel-access"), blocks)
        }
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

/// `POST /websites/{id}/cancel-access/code`.
pub async fn send_code(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    let sent = state
        .workflow()
        .send_cancel_access_code(&acting(&ctx)?, &id)
        .await;
    code_sent(&ctx, Service::Website, &id, sent).await
}

/// `POST /apps/{id}/cancel-access/code`: the code to the APP's responsible person.
pub async fn app_send_code(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    let sent = state
        .workflow()
        .send_app_cancel_access_code(&acting(&ctx)?, &id)
        .await;
    code_sent(&ctx, Service::App, &id, sent).await
}

fn cancelled(
    ctx: &Ctx,
    service: Service,
    id: &str,
    result: Result<CancelledAccess, WorkflowError>,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(ctx.redirect_flash("/filings", "flash-cancelled")),
        Err(e) => {
            let (message, fields) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
            let f = cancel_form(ctx, service, id)
                .errors(&fields)
                .with_error(message);
            ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t("cancel-access"),
                vec![Block::Form(f)],
            )
        }
    }
}

fn cancel_input(form: &Posted) -> CancelAccessInput {
    CancelAccessInput {
        sms_code: form.owned("sms_code"),
        password: form.owned("password"),
    }
}

/// `POST /websites/{id}/cancel-access`: the code and the filing password.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let result = state
        .workflow()
        .cancel_access(&acting(&ctx)?, &id, &cancel_input(&form))
        .await;
    cancelled(&ctx, Service::Website, &id, result)
}

/// `POST /apps/{id}/cancel-access`: an APP's, through the APP's service.
pub async fn app_cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let result = state
        .workflow()
        .cancel_app_access(&acting(&ctx)?, &id, &cancel_input(&form))
        .await;
    cancelled(&ctx, Service::App, &id, result)
}

/// The kind of an APP's change order (`?kind=` of `/apps/{id}/orders`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct AppOrderQuery {
    #[serde(default)]
    kind: String,
}

/// 变更APP or 注销APP: `change_website` or `cancel_website`; else not found.
fn app_order_kind(kind: &str) -> Result<FilingKind, PageError> {
    match FilingKind::parse(kind.trim()) {
        Some(k @ (FilingKind::ChangeWebsite | FilingKind::CancelWebsite)) => Ok(k),
        _ => Err(PageError::NotFound),
    }
}

fn app_order_blocks(ctx: &Ctx, id: &str, kind: FilingKind, subject: String) -> Vec<Block> {
    let mut form = ctx
        .form(format!("/apps/{id}/orders"), "app-order-open")
        .field(Field::hidden("kind", kind.as_str()));
    if kind == FilingKind::CancelWebsite {
        form = form.danger();
    }
    vec![
        Block::Dl(vec![(ctx.t("f-app"), subject)]),
        Block::P(crate::portal::text::app_kind_explained(ctx.lang, kind)),
        Block::Form(form),
    ]
}

/// `GET /apps/{id}/orders?kind=…`: what 变更APP or 注销APP means, and the button that opens
/// the order.
pub async fn app_order_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AppOrderQuery>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let kind = app_order_kind(&q.kind)?;
    let subject = subject_of(&state, &ctx, Service::App, &id).await?;
    ctx.page(
        crate::portal::text::service_kind(ctx.lang, kind, true),
        app_order_blocks(&ctx, &id, kind, subject),
    )
}

/// `POST /apps/{id}/orders`: opens the 变更APP (to its APP form) or 注销APP (to its
/// materials) order through the APP's service.
pub async fn app_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let kind = app_order_kind(form.get("kind"))?;
    match state
        .workflow()
        .create_app_change_order(&acting(&ctx)?, kind, &id)
        .await
    {
        Ok(order_id) => {
            let step = if kind == FilingKind::ChangeWebsite {
                "app"
            } else {
                "materials"
            };
            Ok(ctx.redirect_flash(&format!("/orders/{order_id}/{step}"), "flash-order-created"))
        }
        Err(e) => {
            let (message, _) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
            let subject = subject_of(&state, &ctx, Service::App, &id).await?;
            let mut blocks = vec![Block::Note("error", message)];
            blocks.extend(app_order_blocks(&ctx, &id, kind, subject));
            ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::portal::text::service_kind(ctx.lang, kind, true),
                blocks,
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
