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
//! 6. [`guard::role_gate`]: `/admin` and `/review` need their role before anything is parsed;
//! 7. [`idempotency::idempotency`]: `Idempotency-Key` on POST.
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
pub mod photo;
pub mod review;
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
        .routes(routes!(accounts::delete_session))
        .routes(routes!(accounts::create_api_key))
        .merge(review::api_routes())
        .merge(storefront::api_routes())
        .routes(routes!(orders::filing_check))
        .routes(routes!(orders::create_order, orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::put_sponsor))
        .routes(routes!(orders::put_website))
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

/// `axum::Json` whose rejections are API errors: 400 `invalid_body` for a body that is not
/// JSON (or not `application/json`), 422 `invalid_body` for JSON of the wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
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
                match e.status() {
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::PayloadTooLarge),
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE => Err(ApiError::coded(
                        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        "api.error.unsupported_media_type",
                    )),
                    _ => Err(ApiError::BadRequest("invalid_body")),
                }
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
