//! Register, log in, log out (the same sessions as the API: one login serves both), and the
//! API keys page (create, list, revoke).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use beian_store::accounts::Role;

use crate::api::ClientIp;
use crate::api::accounts::{self, LoginRequest, NewAccountRequest};
use crate::api::auth;
use crate::error::ApiError;
use crate::portal::form::Posted;
use crate::portal::page::{Block, Cell, Ctx, Field, FormView, PageError};
use crate::portal::text;
use crate::startup::AppState;

/// An API refusal as the form's messages (top, by field).
fn api_refusal(e: ApiError, ctx: &Ctx) -> Result<(String, BTreeMap<String, String>), PageError> {
    let parts = e.parts();
    if parts.status.is_server_error() {
        return Err(e.into());
    }
    let body = parts.body(ctx.lang.locale());
    let message = body["error"]["message"].as_str().unwrap_or("").to_owned();
    let fields = body["error"]["fields"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok((message, fields))
}

fn login_form(ctx: &Ctx, username: &str) -> FormView {
    ctx.form("/login", "login-submit")
        .field(Field::text("username", ctx.t("f-username"), username))
        .field(Field::new("password", ctx.t("f-password"), "password"))
}

/// `GET /login`.
pub async fn login_page(ctx: Ctx) -> Result<Response, PageError> {
    if ctx.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    ctx.page(
        ctx.t("login-title"),
        vec![
            Block::Form(login_form(&ctx, "")),
            Block::P(ctx.t("login-no-account")),
            Block::Links(vec![(
                ctx.t("nav-register"),
                "/register".into(),
                "secondary",
            )]),
        ],
    )
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let body = LoginRequest {
        username: form.owned("username"),
        password: form.owned("password"),
    };
    match accounts::login(&state, ip, &headers, body).await {
        Ok((cookie, view)) if view.must_change_password => {
            let mut res = ctx.redirect_flash(PASSWORD_PATH, "flash-password-change-required");
            res.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(res)
        }
        Ok((cookie, view)) => {
            let to = if view.role == Role::Applicant.as_str() {
                "/filings"
            } else {
                "/"
            };
            let mut res = ctx.redirect_flash(to, "flash-logged-in");
            res.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(res)
        }
        Err(e) => {
            let (message, _) = api_refusal(e, &ctx)?;
            let form = login_form(&ctx, form.get("username")).with_error(message);
            ctx.page_status(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t("login-title"),
                vec![Block::Form(form)],
            )
        }
    }
}

fn register_form(ctx: &Ctx, form: &Posted) -> FormView {
    ctx.form("/register", "register-submit")
        .field(
            Field::text("username", ctx.t("f-username"), form.get("username"))
                .hint(ctx.t("hint-username")),
        )
        .field(Field::new("password", ctx.t("f-password"), "password").hint(ctx.t("hint-password")))
        .field(Field::text("email", ctx.t("f-email"), form.get("email")).kind("email"))
        .field(Field::text("mobile", ctx.t("f-mobile"), form.get("mobile")).kind("tel"))
}

/// `GET /register`.
pub async fn register_page(ctx: Ctx) -> Result<Response, PageError> {
    ctx.page(
        ctx.t("register-title"),
        vec![Block::Form(register_form(&ctx, &Posted::default()))],
    )
}

/// `POST /register`: the account, then straight to the login page.
pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let body = NewAccountRequest {
        username: form.owned("username"),
        password: form.owned("password"),
        email: form.owned("email"),
        mobile: form.owned("mobile"),
    };
    match accounts::register(&state, body).await {
        Ok(_) => Ok(ctx.redirect_flash("/login", "flash-registered")),
        Err(e) => {
            let (message, fields) = api_refusal(e, &ctx)?;
            let view = register_form(&ctx, &form).errors(&fields);
            let view = if fields.is_empty() {
                view.with_error(message)
            } else {
                view
            };
            ctx.page_status(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t("register-title"),
                vec![Block::Form(view)],
            )
        }
    }
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    if let Some(token) = auth::session_cookie(&headers) {
        let mut tx = state.store.begin().await?;
        tx.delete_session(&auth::token_hash(token)).await?;
        tx.commit().await?;
    }
    let mut res = ctx.redirect_flash("/", "flash-logged-out");
    res.headers_mut().append(
        header::SET_COOKIE,
        accounts::clear_session_cookie(state.api.settings.secure_cookies)?,
    );
    Ok(res)
}

async fn keys_blocks(
    state: &AppState,
    ctx: &Ctx,
    account_id: &str,
) -> Result<Vec<Block>, PageError> {
    let keys = state.store.api_keys(account_id).await?;
    let (keys, pager) = ctx.paginate(keys, "page");
    let mut rows = Vec::new();
    let mut revocable = Vec::new();
    for k in keys {
        if k.revoked_at.is_none() {
            revocable.push((k.id.clone(), k.name.clone()));
        }
        let status = match k.revoked_at {
            Some(at) => ctx.t_args(
                "key-revoked-at",
                &[("at", crate::portal::i18n::Arg::S(text::time(at)))],
            ),
            None => ctx.t("key-active"),
        };
        rows.push(vec![
            Cell::text(k.name),
            Cell::text(text::time(k.created_at)),
            Cell::text(status),
        ]);
    }
    let mut blocks = vec![Block::P(ctx.t("keys-intro"))];
    if rows.is_empty() {
        blocks.push(Block::P(ctx.t("keys-none")));
    } else {
        blocks.push(Block::Table(
            vec![ctx.t("key-name"), ctx.t("key-created"), ctx.t("key-status")],
            rows,
        ));
        blocks.extend(pager);
    }
    for (id, name) in revocable {
        let mut form = ctx
            .form(format!("/api-keys/{id}/revoke"), "key-revoke")
            .danger();
        form.submit = format!("{} {name}", form.submit);
        blocks.push(Block::Form(form));
    }
    blocks.push(Block::H2(ctx.t("key-new")));
    blocks.push(Block::Form(ctx.form("/api-keys", "key-create").field(
        Field::text("name", ctx.t("key-name"), "").hint(ctx.t("hint-key-name")),
    )));
    Ok(blocks)
}

/// `GET /api-keys`.
pub async fn keys_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let account = ctx.account()?.clone();
    let blocks = keys_blocks(&state, &ctx, &account.id).await?;
    ctx.page(ctx.t("keys-title"), blocks)
}

/// `POST /api-keys`: the new key is shown on this answer only.
pub async fn create_key(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let account = ctx.account()?.clone();
    let name = match form.get("name") {
        "" => "portal".to_owned(),
        n => n.to_owned(),
    };
    let mut blocks = Vec::new();
    match accounts::new_api_key(&state, &account, name, None).await {
        Ok(view) => {
            blocks.push(Block::Note("ok", ctx.t("key-shown-once")));
            blocks.push(Block::Dl(vec![
                (ctx.t("key-name"), view.name),
                (ctx.t("key-value"), view.key),
            ]));
        }
        Err(e) => {
            let (message, _) = api_refusal(e, &ctx)?;
            blocks.push(Block::Note("error", message));
        }
    }
    blocks.extend(keys_blocks(&state, &ctx, &account.id).await?);
    ctx.page(ctx.t("keys-title"), blocks)
}

/// `POST /api-keys/{id}/revoke` (only the account's own keys).
pub async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    let account = ctx.account()?.clone();
    let own = state.store.api_keys(&account.id).await?;
    if !own.iter().any(|k| k.id == id && k.revoked_at.is_none()) {
        return Err(PageError::NotFound);
    }
    let mut tx = state.store.begin().await?;
    tx.revoke_api_key(&account.actor(), &id).await?;
    tx.commit().await?;
    Ok(ctx.redirect_flash("/api-keys", "flash-key-revoked"))
}

/// The paths an account with a one-time password may still open in the portal: the password
/// change itself, logging out, the language switch and the assets.
fn allowed_before_password_change(path: &str) -> bool {
    path == PASSWORD_PATH
        || path == "/logout"
        || path.starts_with("/lang/")
        || path.starts_with("/static/")
}

/// The password change page's path.
pub const PASSWORD_PATH: &str = "/account/password";

/// Middleware (inside [`crate::api::auth::resolve`]): an account whose password was set for it
/// (`beian demo`, `admin user add`, an admin's new account) is sent to the password change for
/// every page until it has chosen its own, as the API answers `password_change_required`.
pub async fn password_change_gate(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let must_change = req
        .extensions()
        .get::<auth::Authenticated>()
        .and_then(|a| a.0.as_ref())
        .is_some_and(|a| a.must_change_password);
    if must_change && !allowed_before_password_change(req.uri().path()) {
        return Redirect::to(PASSWORD_PATH).into_response();
    }
    next.run(req).await
}

fn password_form(ctx: &Ctx) -> FormView {
    ctx.form(PASSWORD_PATH, "password-submit")
        .field(Field::new(
            "current_password",
            ctx.t("f-current-password"),
            "password",
        ))
        .field(
            Field::new("new_password", ctx.t("f-new-password"), "password")
                .hint(ctx.t("hint-password")),
        )
        .field(Field::new(
            "new_password_again",
            ctx.t("f-new-password-again"),
            "password",
        ))
}

fn password_blocks(ctx: &Ctx, form: FormView) -> Vec<Block> {
    let must = ctx.user.as_ref().is_some_and(|u| u.must_change_password);
    let mut blocks = Vec::new();
    if must {
        blocks.push(Block::Note("warn", ctx.t("password-must-change")));
    }
    blocks.push(Block::P(ctx.t("password-intro")));
    blocks.push(Block::Form(form));
    blocks
}

/// `GET /account/password`.
pub async fn password_page(ctx: Ctx) -> Result<Response, PageError> {
    if ctx.user.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    let blocks = password_blocks(&ctx, password_form(&ctx));
    ctx.page(ctx.t("password-title"), blocks)
}

/// `POST /account/password`: the current password, the new one twice; every other session of
/// the account ends (as through the API).
pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let Some(account) = ctx.user.clone() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let refused = |ctx: &Ctx, fields: BTreeMap<String, String>, message: Option<String>| {
        let mut view = password_form(ctx).errors(&fields);
        if let Some(m) = message {
            view = view.with_error(m);
        }
        let blocks = password_blocks(ctx, view);
        ctx.page_status(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            ctx.t("password-title"),
            blocks,
        )
    };
    if form.get("new_password") != form.get("new_password_again") {
        let fields = BTreeMap::from([(
            "new_password_again".to_owned(),
            ctx.t("password-again-differs"),
        )]);
        return refused(&ctx, fields, None);
    }
    let body = accounts::PasswordChange {
        current_password: form.owned("current_password"),
        new_password: form.owned("new_password"),
        revoke_api_keys: false,
    };
    match accounts::change_own_password(&state, &account, ip, &headers, body).await {
        Ok(_) => {
            let to = if account.role == Role::Applicant {
                "/filings"
            } else {
                "/"
            };
            Ok(ctx.redirect_flash(to, "flash-password-changed"))
        }
        Err(e) => {
            let (message, fields) = api_refusal(e, &ctx)?;
            let message = fields.is_empty().then_some(message);
            refused(&ctx, fields, message)
        }
    }
}

/// An account's login name, for a person to read (staff pages name accounts by it, never by
/// id); `None` when the account is gone.
pub(crate) async fn login_name_of(state: &AppState, account_id: &str) -> Option<String> {
    state
        .store
        .account(account_id)
        .await
        .ok()
        .map(|a| a.username)
}
