//! The home page (what to do first on an empty data dir; the way in otherwise), the
//! language switch and the static assets (htmx 2, vendored from npm `htmx.org`, and the
//! stylesheet), compiled into the binary.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use beian_store::accounts::Role;
use serde::Deserialize;

use crate::portal::i18n::{LANG_COOKIE, Lang};
use crate::portal::page::{Block, Ctx, PageError};
use crate::portal::security;
use crate::startup::AppState;

const HTMX: &str = include_str!("../../static/htmx.min.js");
const CSS: &str = include_str!("../../static/portal.css");

/// The asset's URL with its content's digest (`/static/portal.css?v=…`), so that a browser
/// holding an older copy in its cache fetches the new one after an upgrade.
pub fn asset_url(file: &'static str) -> &'static str {
    use sha2::{Digest, Sha256};
    use std::sync::LazyLock;
    fn versioned(file: &str, body: &str) -> String {
        let digest = Sha256::digest(body.as_bytes());
        let v: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("/static/{file}?v={v}")
    }
    static CSS_URL: LazyLock<String> = LazyLock::new(|| versioned("portal.css", CSS));
    static HTMX_URL: LazyLock<String> = LazyLock::new(|| versioned("htmx.min.js", HTMX));
    match file {
        "portal.css" => CSS_URL.as_str(),
        _ => HTMX_URL.as_str(),
    }
}

/// `GET /`.
pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    match ctx.user.as_ref().map(|u| u.role) {
        Some(Role::Applicant) => return Ok(Redirect::to("/filings").into_response()),
        Some(Role::Reviewer | Role::Admin) => {
            return Ok(Redirect::to("/staff/review").into_response());
        }
        Some(Role::BureauOfficer) => {
            return Ok(Redirect::to("/sim/bureau/console").into_response());
        }
        None => {}
    }
    let (_, accounts) = state.store.accounts_page(0, 1).await?;
    let mut blocks = vec![Block::P(ctx.t("home-intro"))];
    if accounts == 0 {
        blocks.push(Block::H2(ctx.t("home-first-run")));
        blocks.push(Block::Note("info", ctx.t("home-first-run-admin")));
        blocks.push(Block::Note("info", ctx.t("home-first-run-demo")));
    }
    blocks.push(Block::Links(vec![
        (ctx.t("nav-login"), "/login".into(), "primary"),
        (ctx.t("nav-register"), "/register".into(), "secondary"),
    ]));
    blocks.push(Block::H2(ctx.t("home-steps")));
    blocks.push(Block::Steps(vec![
        (ctx.t("step-check"), "todo"),
        (ctx.t("step-product"), "todo"),
        (ctx.t("step-forms"), "todo"),
        (ctx.t("step-materials"), "todo"),
        (ctx.t("step-review"), "todo"),
        (ctx.t("step-photo"), "todo"),
        (ctx.t("step-bureau"), "todo"),
    ]));
    blocks.push(Block::H2(ctx.t("home-bureau")));
    blocks.push(Block::Links(vec![
        (ctx.t("nav-query"), "/miit/query".into(), "secondary"),
        (
            ctx.t("bureau-sms"),
            "/bureau/sms-verification".into(),
            "secondary",
        ),
        (
            ctx.t("bureau-recovery"),
            "/bureau/password-recovery".into(),
            "secondary",
        ),
    ]));
    ctx.page(ctx.t("home-title"), blocks)
}

#[derive(Debug, Deserialize)]
pub struct Back {
    #[serde(default)]
    back: String,
}

/// `GET /lang/{en|zh-CN}?back=/path`: remembers the choice and goes back (only to a path of
/// this site).
pub async fn switch_language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(back): Query<Back>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(&lang).ok_or(PageError::NotFound)?;
    let to = if back.back.starts_with('/') && !back.back.starts_with("//") {
        back.back
    } else {
        "/".to_owned()
    };
    let mut res = Redirect::to(&to).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        security::set_cookie(
            LANG_COOKIE,
            lang.tag(),
            Some(365 * 86_400),
            state.api.settings.secure_cookies,
        ),
    );
    Ok(res)
}

/// `GET /static/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "portal.css" => (CSS, "text/css; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

#[cfg(test)]
mod tests {
    /// The stylesheet parses as CSS all through: a merge's conflict markers left in it once
    /// made the browser drop the rules beside them (a row's actions ran together).
    #[test]
    fn the_stylesheet_has_no_conflict_markers() {
        for (n, line) in super::CSS.lines().enumerate() {
            assert!(
                !["<<<<<<<", "=======", ">>>>>>>"]
                    .iter()
                    .any(|m| line.starts_with(m)),
                "portal.css line {}: {line}",
                n + 1
            );
        }
    }
}
