//! The REST API under `/api/v1` (API.md "HTTP API"), its OpenAPI document at
//! `/api/openapi.json` and the viewer at `/api/docs`.
//!
//! # Layers, outermost first
//! 1. locale: errors are rendered in the request's `Accept-Language` (zh-CN default, `en`);
//! 2. [`guard::json_errors`]: every refusal in the JSON error body, axum's own too;
//! 3. [`throttle::limit_requests`]: the per-address request limit (429 `too_many_requests`),
//!    and the client address for the handlers ([`ClientIp`]);
//! 4. [`auth::resolve`]: the session cookie or `Authorization: Bearer` key, resolved once;
//! 5. [`guard::cross_site`]: CSRF, with the Origin / `Sec-Fetch-Site` check and JSON or
//!    multipart bodies only,
//!    for requests without an API key;
//! 6. [`guard::password_change_gate`]: a one-time password must be changed first (403
//!    `password_change_required`);
//! 7. [`guard::role_gate`]: `/admin` and `/review` need their role before anything is parsed;
//! 8. [`idempotency::idempotency`]: `Idempotency-Key` on POST.
//!
//! # Adding endpoints (for other modules)
//! Write handlers with `#[utoipa::path(...)]` and return `Result<_, ApiError>`; take
//! [`auth::CurrentAccount`] to require a login and [`ApiJson`] for JSON bodies (its rejections
//! are API errors). Collect them in a `pub fn api_routes() -> OpenApiRouter<AppState>` using
//! `utoipa_axum::routes!`, and add one `.merge(...)` line to [`v1_routes`]. Paths are relative
//! to `/api/v1`; the OpenAPI document picks them up with their schemas.

pub mod accounts;
pub mod admin;
pub mod admin_calendar;
pub mod admin_ops;
pub mod admin_products;
pub mod admin_throttle;
pub mod auth;
pub mod bureau_admin;
pub mod guard;
pub mod idempotency;
pub mod materials;
pub mod openapi;
pub mod orders;
pub mod page;
pub mod photo;
pub mod rebuild;
pub mod review;
pub mod self_service;
pub mod sponsor;
pub mod storefront;
pub mod throttle;

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use beian_core::i18n::Locale;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, localize_response};
use crate::settings::ApiSettings;
use crate::startup::AppState;

/// What the API keeps beside the store: its settings, the in-memory per-address limits and
/// the dummy password hash that unknown usernames are checked against.
pub struct ApiContext {
    pub settings: ApiSettings,
    pub limits: throttle::IpLimits,
    pub(crate) dummy_hash: String,
}

impl ApiContext {
    /// Builds the context (hashes the dummy password once: a few tens of milliseconds); the
    /// per-address limits read `clock`.
    pub fn new(settings: ApiSettings, clock: beian_core::clock::SharedClock) -> ApiContext {
        ApiContext {
            limits: throttle::IpLimits::new(&settings, clock),
            dummy_hash: auth::dummy_password_hash(),
            settings,
        }
    }
}

/// The `/api/v1` routes, relative to `/api/v1`. Other modules add theirs here.
pub fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::create_account))
        .routes(routes!(accounts::create_session))
        .routes(routes!(
            accounts::delete_session,
            self_service::current_session
        ))
        .routes(routes!(
            accounts::create_api_key,
            self_service::list_api_keys
        ))
        .routes(routes!(self_service::revoke_api_key))
        .routes(routes!(self_service::create_subscription))
        .routes(routes!(accounts::change_password))
        .merge(review::api_routes())
        .merge(storefront::api_routes())
        .routes(routes!(orders::filing_check))
        .routes(routes!(orders::create_order, orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::put_sponsor))
        .routes(routes!(orders::put_website))
        .routes(routes!(orders::put_app))
        .routes(routes!(orders::put_product))
        .routes(routes!(orders::verify_password))
        .routes(routes!(orders::submit))
        .routes(routes!(orders::abandon))
        .merge(materials::api_routes())
        .merge(sponsor::api_routes())
        .merge(photo::api_routes())
        .merge(admin::api_routes())
        .routes(routes!(bureau_admin::bureau_downloads))
}

/// The whole API: `/api/v1/…` behind its layers, `/api/openapi.json` and `/api/docs`.
pub fn router(state: AppState) -> Router<AppState> {
    let v1 = v1_routes()
        .fallback(async || ApiError::NotFound)
        .layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .layer(from_fn(guard::role_gate))
        .layer(from_fn(guard::password_change_gate))
        .layer(from_fn(guard::cross_site))
        .layer(from_fn_with_state(state.clone(), auth::resolve))
        .layer(from_fn_with_state(state, throttle::limit_requests))
        .layer(from_fn(guard::json_errors))
        .layer(from_fn(localize));
    openapi::router(v1)
}

/// Renders error bodies in the request's language.
async fn localize(req: Request, next: Next) -> Response {
    let locale = locale_of(req.headers());
    localize_response(next.run(req).await, locale)
}

/// The language of a request: the `Accept-Language` entry with the highest weight that the
/// product speaks; zh-CN when none.
pub fn locale_of(headers: &HeaderMap) -> Locale {
    let Some(value) = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Locale::ZhCn;
    };
    let mut best: Option<(f32, Locale)> = None;
    for entry in value.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let weight = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let locale = if tag.starts_with("en") {
            Locale::En
        } else if tag.starts_with("zh") {
            Locale::ZhCn
        } else {
            continue;
        };
        if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, locale));
        }
    }
    best.map_or(Locale::ZhCn, |(_, l)| l)
}

/// The request's language as an extractor (`RequestLocale(locale)`); never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLocale(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for RequestLocale {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(RequestLocale(locale_of(&parts.headers)))
    }
}

/// The client's address (the TCP peer; `0.0.0.0` when unknown, e.g. in router tests). Behind
/// a reverse proxy this is the proxy: trusting `X-Forwarded-For` is not built yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub const UNKNOWN: ClientIp = ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED));

    fn of(parts_ext: &axum::http::Extensions) -> ClientIp {
        if let Some(ip) = parts_ext.get::<ClientIp>() {
            return *ip;
        }
        parts_ext
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(ClientIp::UNKNOWN, |c| ClientIp(c.0.ip()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ClientIp::of(&parts.extensions))
    }
}

/// The longest text any JSON field may hold (fields with a tighter rule say so themselves).
pub const MAX_TEXT_CHARS: usize = 4000;
/// The most items any JSON list may hold (lists with a tighter rule say so themselves).
pub const MAX_LIST_ITEMS: usize = 200;

/// Whether `c` may stand in a text field: no control characters (C0 but tab, line feed and
/// carriage return; DEL; C1) and no text-direction controls (which make a shown value read
/// otherwise than it is).
pub fn allowed_char(c: char) -> bool {
    let control = c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    let bidi = matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    );
    !control && !bidi
}

/// The field errors of a JSON body's values, by their path (`sponsor.address`,
/// `languages[0]`): control characters, texts over [`MAX_TEXT_CHARS`], lists over
/// [`MAX_LIST_ITEMS`]. At most 20 are reported.
pub fn value_errors(value: &serde_json::Value) -> Vec<crate::error::FieldError> {
    fn walk(v: &serde_json::Value, path: &str, out: &mut Vec<crate::error::FieldError>) {
        use crate::error::FieldError;
        if out.len() >= 20 {
            return;
        }
        let here = |p: &str| {
            if p.is_empty() {
                "body".to_owned()
            } else {
                p.to_owned()
            }
        };
        match v {
            serde_json::Value::String(s) => {
                if !s.chars().all(allowed_char) {
                    out.push(FieldError::new(here(path), "api.field.control_characters"));
                } else if s.chars().count() > MAX_TEXT_CHARS {
                    let mut e = FieldError::new(here(path), "api.field.text_too_long");
                    e.message = e.message.with_arg("max", MAX_TEXT_CHARS.to_string());
                    out.push(e);
                }
            }
            serde_json::Value::Array(items) => {
                if items.len() > MAX_LIST_ITEMS {
                    let mut e = FieldError::new(here(path), "api.field.list_too_long");
                    e.message = e.message.with_arg("max", MAX_LIST_ITEMS.to_string());
                    out.push(e);
                    return;
                }
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), out);
                }
            }
            serde_json::Value::Object(map) => {
                for (k, item) in map {
                    let key: String = k.chars().filter(|c| allowed_char(*c)).take(64).collect();
                    let p = if path.is_empty() {
                        key
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(item, &p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

/// Whether the request says its body is JSON (`application/json`, or `application/…+json`).
fn json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|e| {
            e == "application/json" || (e.starts_with("application/") && e.ends_with("+json"))
        })
}

/// `axum::Json` whose rejections are API errors: 415 `unsupported_media_type` for a body that
/// is not `application/json`, 400 `invalid_body` for one that is not JSON, 422
/// `validation_failed` naming each value with control characters or over the size limits
/// ([`value_errors`]), and 422 `invalid_body` for JSON of the wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::coded(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "api.error.unsupported_media_type",
            ));
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(status = %e.status(), "request body unreadable");
                return Err(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest("invalid_body")
                });
            }
        };
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let fields = value_errors(&value);
            if !fields.is_empty() {
                return Err(ApiError::Validation { fields });
            }
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                // serde's text may quote the value (personal data): only the path is kept.
                match wrong_field(&e.body_text()) {
                    Some(path) => {
                        tracing::debug!(field = %path, "request body field of the wrong type");
                        Err(ApiError::field(path, "api.field.wrong_type"))
                    }
                    None => {
                        tracing::debug!("request body of the wrong shape");
                        Err(ApiError::coded(
                            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid_body",
                            "api.error.invalid_body",
                        ))
                    }
                }
            }
            Err(e) => {
                tracing::debug!(status = %e.status(), "request body rejected");
                Err(ApiError::BadRequest("invalid_body"))
            }
        }
    }
}

/// `axum::extract::Query` whose rejection is the API's 400 `invalid_query` (naming the
/// parameter when serde does).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(_) => {
                tracing::debug!("query string rejected");
                Err(ApiError::coded(
                    axum::http::StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "api.error.invalid_query",
                ))
            }
        }
    }
}

/// `axum::extract::Path` whose rejection is the API's 404 `not_found` (a path whose
/// parameter does not parse names nothing that exists).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => {
                tracing::debug!(status = %e.status(), "path parameter rejected");
                Err(ApiError::NotFound)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_controls_or_over_the_limits_are_named() {
        let body = serde_json::json!({
            "sponsor": {"address": "杭州\u{0}市", "name": "ok\ttab"},
            "languages": vec!["zh_cn"; MAX_LIST_ITEMS + 1],
            "notes": ["fine", "bidi\u{202E}txt", "x".repeat(MAX_TEXT_CHARS + 1)],
        });
        let mut fields: Vec<(String, &str)> = value_errors(&body)
            .into_iter()
            .map(|f| (f.path, f.message.key))
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                ("languages".to_owned(), "api.field.list_too_long"),
                ("notes[1]".to_owned(), "api.field.control_characters"),
                ("notes[2]".to_owned(), "api.field.text_too_long"),
                ("sponsor.address".to_owned(), "api.field.control_characters"),
            ]
        );
        assert!(value_errors(&serde_json::json!({"a": "line\nbreak", "b": [1, 2]})).is_empty());
    }

    #[test]
    fn accept_language_picks_the_best_spoken_locale() {
        let cases = [
            (None, Locale::ZhCn),
            (Some("en"), Locale::En),
            (Some("en-US,en;q=0.9"), Locale::En),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), Locale::ZhCn),
            (Some("fr-FR, en;q=0.5"), Locale::En),
            (Some("zh;q=0.3, en;q=0.7"), Locale::En),
            (Some("de"), Locale::ZhCn),
            (Some("en;q=0"), Locale::ZhCn),
        ];
        for (header, want) in cases {
            let mut headers = HeaderMap::new();
            if let Some(h) = header {
                headers.insert(axum::http::header::ACCEPT_LANGUAGE, h.parse().unwrap());
            }
            assert_eq!(locale_of(&headers), want, "{header:?}");
        }
    }
}

/// The field path of a JSON data error (`sponsor.responsible.mobile: invalid type: …`), when
/// the error names one; missing fields and top-level shape errors name none.
fn wrong_field(text: &str) -> Option<String> {
    let rest = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(text);
    let (path, _) = rest.split_once(": ")?;
    let plausible = !path.is_empty()
        && path != "."
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
    plausible.then(|| path.to_owned())
}

#[cfg(test)]
mod wrong_field_tests {
    use super::wrong_field;

    #[test]
    fn only_a_path_is_taken_from_serde_text() {
        let prefix = "Failed to deserialize the JSON body into the target type: ";
        for (text, want) in [
            (
                "sponsor.responsible.mobile: invalid type: integer `13800138000`, expected a string at line 1 column 40",
                Some("sponsor.responsible.mobile"),
            ),
            (
                "languages[0]: invalid type: integer `1`, expected a string",
                Some("languages[0]"),
            ),
            ("missing field `password` at line 1 column 2", None),
            (
                "invalid type: string \"x\", expected struct Body at line 1 column 3",
                None,
            ),
        ] {
            assert_eq!(
                wrong_field(&format!("{prefix}{text}")).as_deref(),
                want,
                "{text}"
            );
        }
    }
}
