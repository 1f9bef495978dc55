//! The pages' foundation: [`Ctx`] (who asks, in which language, with which CSRF token and
//! flash message), the building blocks a page is made of ([`Block`], [`FormView`], [`Field`])
//! rendered by one layout (`templates/portal/page.html`), the one error type of the pages
//! ([`PageError`], a friendly page that never shows internal details), flash messages and
//! redirects.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use beian_store::accounts::Role;

use crate::api::auth::{Authenticated, CurrentAccount};
use crate::portal::i18n::{Arg, Lang};
use crate::portal::security::{self, CsrfToken};
use crate::startup::AppState;

/// The cookie carrying a flash message's key to the next page.
pub const FLASH_COOKIE: &str = "beian_flash";

/// What every page knows about its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<CurrentAccount>,
    pub csrf: String,
    token: CsrfToken,
    /// The flash message's text, shown once.
    pub flash: Option<String>,
    /// The request's path (for the language switch's way back).
    pub path: String,
    pub secure: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, PageError> {
        let user = match parts.extensions.get::<Authenticated>() {
            Some(a) => a.0.clone(),
            None => crate::api::auth::authenticate(state, &parts.headers)
                .await
                .map_err(|_| PageError::Internal)?,
        };
        let token = parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .unwrap_or_else(|| CsrfToken::of(&parts.headers));
        let lang = Lang::of(&parts.headers);
        let flash = security::cookie(&parts.headers, FLASH_COOKIE)
            .filter(|k| k.starts_with("flash-") && lang.has(k))
            .map(|k| lang.t(k));
        Ok(Ctx {
            lang,
            user,
            csrf: token.value.clone(),
            token,
            flash,
            path: parts
                .uri
                .path_and_query()
                .map_or("/".into(), |p| p.as_str().to_owned()),
            secure: state.api.settings.secure_cookies,
        })
    }
}

/// One link of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub label: String,
    pub href: &'static str,
    pub current: bool,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn t_args(&self, key: &str, args: &[(&'static str, Arg)]) -> String {
        self.lang.t_args(key, args)
    }

    /// The logged-in account, else a redirect to the login page.
    pub fn account(&self) -> Result<&CurrentAccount, PageError> {
        self.user.as_ref().ok_or(PageError::Login)
    }

    /// The logged-in account when it may act as `role`, else 403 (or the login page).
    pub fn require(&self, role: Role) -> Result<&CurrentAccount, PageError> {
        let account = self.account()?;
        if account.has_role(role) {
            Ok(account)
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// The posted `_csrf` must be this browser's token.
    pub fn check_csrf(&self, posted: &str) -> Result<(), PageError> {
        security::check(&self.token, posted)
    }

    /// Whether the account is the provider's staff (a reviewer or an admin): their pages are
    /// laid out wider, with the navigation on its own row (an admin has a dozen links).
    pub fn is_staff(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.has_role(Role::Reviewer))
    }

    /// The navigation for the account's role.
    pub fn nav(&self) -> Vec<NavItem> {
        let mut items: Vec<(&str, &'static str)> = Vec::new();
        match self.user.as_ref().map(|u| u.role) {
            None => {
                items.push(("nav-login", "/login"));
                items.push(("nav-register", "/register"));
                items.push(("nav-query", "/miit/query"));
            }
            Some(Role::Applicant) => {
                items.push(("nav-filings", "/filings"));
                items.push(("nav-start", "/orders/new"));
                items.push(("nav-storefront", "/storefront/domains"));
                items.push(("nav-keys", "/api-keys"));
            }
            Some(Role::Reviewer) => {
                items.extend(crate::portal::staff::REVIEWER_NAV);
            }
            Some(Role::Admin) => {
                items.extend(crate::portal::staff::REVIEWER_NAV);
                items.extend(crate::portal::admin::ADMIN_NAV);
            }
            Some(Role::BureauOfficer) => {
                items.push(("nav-console", "/sim/bureau/console"));
            }
        }
        if self.user.is_some() {
            items.push(("nav-password", crate::portal::account::PASSWORD_PATH));
        }
        items
            .into_iter()
            .map(|(key, href)| NavItem {
                label: self.t(key),
                href,
                current: {
                    let path = self.path.split('?').next().unwrap_or("");
                    path == href || path.starts_with(&format!("{href}/"))
                },
            })
            .collect()
    }

    /// The language switch's link.
    pub fn switch_href(&self) -> String {
        format!(
            "/lang/{}?back={}",
            self.lang.other().tag(),
            url_encode(&self.path)
        )
    }

    pub fn switch_label(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "English",
            Lang::En => "中文",
        }
    }

    pub fn username(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.username.as_str())
    }

    /// A page of `blocks` titled `title_key`'s text.
    pub fn page(
        &self,
        title: impl Into<String>,
        blocks: Vec<Block>,
    ) -> Result<Response, PageError> {
        self.page_status(StatusCode::OK, title, blocks)
    }

    pub fn page_status(
        &self,
        status: StatusCode,
        title: impl Into<String>,
        blocks: Vec<Block>,
    ) -> Result<Response, PageError> {
        let tpl = PageTpl {
            ctx: self,
            title: title.into(),
            blocks,
        };
        let html = tpl.render().map_err(|e| {
            tracing::error!(error = %e, "portal: template failed");
            PageError::Internal
        })?;
        let mut res = (status, Html(html)).into_response();
        if self.flash.is_some() {
            res.headers_mut().append(
                header::SET_COOKIE,
                security::set_cookie(FLASH_COOKIE, "", Some(0), self.secure),
            );
        }
        Ok(res)
    }

    /// A redirect (303 after a post) that shows the flash message `key` on the next page.
    pub fn redirect_flash(&self, to: &str, key: &'static str) -> Response {
        let mut res = Redirect::to(to).into_response();
        res.headers_mut().append(
            header::SET_COOKIE,
            security::set_cookie(FLASH_COOKIE, key, Some(60), self.secure),
        );
        res
    }

    /// A form for `action`, with this browser's token.
    pub fn form(&self, action: impl Into<String>, submit_key: &str) -> FormView {
        FormView {
            action: action.into(),
            csrf: self.csrf.clone(),
            submit: self.t(submit_key),
            fields: Vec::new(),
            multipart: false,
            danger: false,
            get: false,
            error: String::new(),
        }
    }
}

/// `%`-encodes a path for a query value.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One piece of a page.
#[derive(Debug, Clone)]
pub enum Block {
    H2(String),
    P(String),
    /// A notice: `info`, `warn`, `error` or `ok`.
    Note(&'static str, String),
    Form(FormView),
    /// Column heads and rows.
    Table(Vec<String>, Vec<Vec<Cell>>),
    /// Label and value pairs.
    Dl(Vec<(String, String)>),
    /// The step bar: label and `done`, `current` or `todo`.
    Steps(Vec<(String, &'static str)>),
    /// Timeline rows: when, what, and whether it is still to come.
    Timeline(Vec<(String, String, bool)>),
    /// Buttons as links: label, href, class (`primary`, `secondary`, `danger`).
    Links(Vec<(String, String, &'static str)>),
    /// A countdown refreshed every 30 s where JavaScript runs: its text and the page to
    /// fetch it from.
    Countdown(String, String),
    /// An image preview (a material the viewer may see).
    Img(String, String),
    /// A chart: an `<svg>` element made by [`crate::portal::chart::render`], which escapes
    /// every text in it (inserted as is).
    Svg(String),
    /// The pager under a list ([`crate::portal::paging`]): where we are ("第 2 / 5 页"),
    /// and the previous and next pages' links (label, href).
    Pager {
        label: String,
        prev: Option<(String, String)>,
        next: Option<(String, String)>,
    },
}

/// A table cell: text and an optional link.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub href: String,
    /// Several links in one cell (a row's actions), instead of `text`.
    pub links: Vec<(String, String)>,
}

/// Cells of at most this many characters never wrap (a state, a kind, a province: 新增接入
/// must not break into 新增接 / 入 beside a wide column).
const SHORT_CELL: usize = 8;

impl Cell {
    pub fn text(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            href: String::new(),
            links: Vec::new(),
        }
    }
    pub fn link(t: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            href: href.into(),
            links: Vec::new(),
        }
    }
    /// A row's actions: `(label, href)` links side by side.
    pub fn links(links: Vec<(String, String)>) -> Cell {
        Cell {
            text: String::new(),
            href: String::new(),
            links,
        }
    }
    /// The cell's class: `nw` for a short cell (kept on one line), `id` for an id (a UUID, set
    /// small and broken anywhere, so it does not take the width the other columns need).
    pub fn class(&self) -> &'static str {
        if !self.links.is_empty() {
            // A row's actions wrap between links (`.row-actions`).
            ""
        } else if self.text.chars().count() <= SHORT_CELL {
            "nw"
        } else if uuid::Uuid::try_parse(&self.text).is_ok() {
            "id"
        } else {
            ""
        }
    }
}

/// A form: its fields (each with its error beside it and its input kept).
#[derive(Debug, Clone)]
pub struct FormView {
    pub action: String,
    pub csrf: String,
    pub submit: String,
    pub fields: Vec<Field>,
    pub multipart: bool,
    pub danger: bool,
    /// A `GET` form (filters): no token, the fields go into the query.
    pub get: bool,
    /// A message about the whole form.
    pub error: String,
}

impl FormView {
    pub fn field(mut self, f: Field) -> FormView {
        self.fields.push(f);
        self
    }

    pub fn multipart(mut self) -> FormView {
        self.multipart = true;
        self
    }

    pub fn danger(mut self) -> FormView {
        self.danger = true;
        self
    }

    /// A filter form: `GET`, without the CSRF token.
    pub fn get(mut self) -> FormView {
        self.get = true;
        self
    }

    /// Puts `errors` (by field name) beside their fields; an error for no field goes on top.
    pub fn errors(mut self, errors: &BTreeMap<String, String>) -> FormView {
        for (name, message) in errors {
            match self.fields.iter_mut().find(|f| &f.name == name) {
                Some(f) => f.error = message.clone(),
                None => {
                    if !self.error.is_empty() {
                        self.error.push('；');
                    }
                    self.error.push_str(message);
                }
            }
        }
        self
    }

    pub fn with_error(mut self, message: impl Into<String>) -> FormView {
        self.error = message.into();
        self
    }
}

/// One input of a form.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub label: String,
    /// `text`, `password`, `email`, `tel`, `select`, `file`, `hidden`, `textarea`, `checkbox`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub error: String,
    pub hint: String,
    pub readonly: bool,
    pub required: bool,
    /// An extra class on the field (`person`: the website's own responsible person, shown
    /// when "填写新负责人信息" is ticked).
    pub class: &'static str,
}

impl Field {
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: &'static str) -> Field {
        Field {
            name: name.into(),
            label: label.into(),
            kind,
            value: String::new(),
            options: Vec::new(),
            error: String::new(),
            hint: String::new(),
            readonly: false,
            required: true,
            class: "",
        }
    }
    pub fn class(mut self, c: &'static str) -> Field {
        self.class = c;
        self
    }
    pub fn text(
        name: impl Into<String>,
        label: impl Into<String>,
        value: impl Into<String>,
    ) -> Field {
        Field::new(name, label, "text").value(value)
    }
    pub fn hidden(name: impl Into<String>, value: impl Into<String>) -> Field {
        Field::new(name, "", "hidden").value(value)
    }
    pub fn value(mut self, v: impl Into<String>) -> Field {
        self.value = v.into();
        self
    }
    pub fn kind(mut self, k: &'static str) -> Field {
        self.kind = k;
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Field {
        self.hint = h.into();
        self
    }
    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }
    pub fn readonly(mut self, r: bool) -> Field {
        self.readonly = r;
        self
    }
    /// A select of `(value, label)` options.
    pub fn options(mut self, o: Vec<(String, String)>) -> Field {
        self.kind = "select";
        self.options = o;
        self
    }
}

#[derive(Template)]
#[template(path = "portal/page.html")]
struct PageTpl<'a> {
    ctx: &'a Ctx,
    title: String,
    blocks: Vec<Block>,
}

/// Why a page cannot be shown. Rendered by [`render_errors`] as a friendly page in the
/// request's language; internal causes are logged where they happen, never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// Not logged in: to the login page.
    Login,
    Forbidden,
    NotFound,
    /// A form without this browser's token, or posted from another site.
    Csrf,
    /// A request the pages never make.
    BadRequest,
    /// Too large an upload.
    TooLarge,
    Internal,
}

impl PageError {
    fn status(self) -> StatusCode {
        match self {
            PageError::Login => StatusCode::SEE_OTHER,
            PageError::Forbidden | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::BadRequest => StatusCode::BAD_REQUEST,
            PageError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn key(self) -> &'static str {
        match self {
            PageError::Login => "error-login",
            PageError::Forbidden => "error-forbidden",
            PageError::NotFound => "error-not-found",
            PageError::Csrf => "error-csrf",
            PageError::BadRequest => "error-bad-request",
            PageError::TooLarge => "error-too-large",
            PageError::Internal => "error-internal",
        }
    }
}

impl From<beian_store::StoreError> for PageError {
    fn from(e: beian_store::StoreError) -> PageError {
        match e {
            beian_store::StoreError::NotFound { .. } => PageError::NotFound,
            e => {
                tracing::error!(error = %e, "portal: store failed");
                PageError::Internal
            }
        }
    }
}

impl From<crate::error::ApiError> for PageError {
    fn from(e: crate::error::ApiError) -> PageError {
        use crate::error::ApiError as A;
        match e {
            A::NotFound => PageError::NotFound,
            A::Forbidden => PageError::Forbidden,
            A::Unauthenticated => PageError::Login,
            A::PayloadTooLarge => PageError::TooLarge,
            e => {
                tracing::error!(error = %e, "portal: request failed");
                PageError::Internal
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self == PageError::Login {
            return Redirect::to("/login").into_response();
        }
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// Middleware: a response carrying a [`PageError`] gets the friendly error page, in the
/// request's language, with the layout.
pub async fn render_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let ctx = Ctx::from_request_parts(&mut parts, &state).await.ok();
    let headers: HeaderMap = parts.headers.clone();
    let req = axum::extract::Request::from_parts(parts, body);
    let res = next.run(req).await;
    let Some(error) = res.extensions().get::<PageError>().copied() else {
        return res;
    };
    let lang = Lang::of(&headers);
    let blocks = vec![
        Block::P(lang.t(error.key())),
        Block::Links(vec![(lang.t("error-home"), "/".into(), "secondary")]),
    ];
    let page = match ctx {
        Some(ctx) => ctx.page_status(error.status(), lang.t("error-title"), blocks),
        None => Err(PageError::Internal),
    };
    let mut out =
        page.unwrap_or_else(|_| (error.status(), Html(lang.t("error-internal"))).into_response());
    let cookies: Vec<HeaderValue> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    for c in cookies {
        out.headers_mut().append(header::SET_COOKIE, c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Cell;

    #[test]
    fn short_cells_stay_on_one_line_and_ids_may_break_anywhere() {
        assert_eq!(Cell::text("新增接入").class(), "nw");
        assert_eq!(Cell::text("12345678").class(), "nw");
        assert_eq!(
            Cell::link(
                "01a250d5-9b92-74d9-bbb9-ec5d602ad037",
                "/staff/orders/01a250d5-9b92-74d9-bbb9-ec5d602ad037"
            )
            .class(),
            "id"
        );
        assert_eq!(Cell::text("杭州云栖示例科技有限公司").class(), "");
        assert_eq!(Cell::text("2026-12-08 23:59").class(), "");
        let actions = vec![("变更APP".to_owned(), "/apps/x/orders".to_owned())];
        assert_eq!(Cell::links(actions).class(), "");
    }
}
