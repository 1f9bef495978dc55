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
