//! The API's request guards, run before any handler or extractor:
//!
//! - [`json_errors`]: every refusal is the JSON error body, also those axum makes itself (an
//!   unparsable path or query string, a wrong method, a body over its limit);
//! - [`role_gate`]: `/admin/…` needs an admin and `/review/…` a reviewer, checked before the
//!   path, query or body is parsed, so that a caller without the role gets 401/403, never a
//!   400 that tells what the endpoint would accept;
//! - [`password_change_gate`]: an account with a one-time password may only change it;
//! - [`cross_site`]: CSRF for unsafe requests not made with an API key — the portal's
//!   Origin / `Sec-Fetch-Site` check ([`crate::portal::security::same_origin`]) and bodies
//!   that are JSON or multipart only (a cross-site form can send `text/plain` or
//!   `application/x-www-form-urlencoded` without a preflight; those get 415). Requests with
//!   `Authorization: Bearer` are not affected (a browser never adds that header by itself).

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_store::accounts::Role;

use crate::api::auth::{Authenticated, bearer_token};
use crate::error::{ApiError, ErrorParts};

/// Middleware: a refusal without the JSON error body (axum's own rejections) gets one.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.extensions().get::<ErrorParts>().is_some()
    {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    tracing::debug!(%status, "plain refusal turned into the JSON error body");
    let headers = res.headers().clone();
    let mut out = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::coded(status, "method_not_allowed", "api.error.method_not_allowed")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::coded(
            status,
            "unsupported_media_type",
            "api.error.unsupported_media_type",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => {
            ApiError::coded(status, "invalid_body", "api.error.invalid_body")
        }
        s if s.is_server_error() => ApiError::coded(s, "internal", "api.error.internal"),
        s => ApiError::coded(s, "bad_request", "api.error.bad_request"),
    }
    .into_response();
    if let Some(allow) = headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

/// The role a path under `/api/v1` needs before anything of the request is read.
fn role_for(path: &str) -> Option<Role> {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if under("/admin") {
        Some(Role::Admin)
    } else if under("/review") {
        Some(Role::Reviewer)
    } else {
        None
    }
}

/// Middleware (after [`crate::api::auth::resolve`]): the role of `/admin` and `/review`.
pub async fn role_gate(req: Request, next: Next) -> Response {
    if let Some(role) = role_for(req.uri().path()) {
        let account = req
            .extensions()
            .get::<Authenticated>()
            .and_then(|a| a.0.clone());
        let refusal = match account {
            None => Some(ApiError::Unauthenticated),
            Some(a) if !a.has_role(role) => Some(ApiError::Forbidden),
            Some(_) => None,
        };
        if let Some(e) = refusal {
            return e.into_response();
        }
    }
    next.run(req).await
}

/// Whether a request carries a body (a length above zero, or a chunked one).
fn has_body(req: &Request) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

/// Whether a body's type is one a cross-site form cannot send without a preflight.
fn accepted_body_type(req: &Request) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
        || essence == "multipart/form-data"
}

/// Middleware: CSRF for unsafe requests without an API key (see the module doc).
pub async fn cross_site(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method || bearer_token(req.headers()).is_some() {
        return next.run(req).await;
    }
    if !crate::portal::security::same_origin(req.headers()) {
        tracing::info!(path = %req.uri().path(), "api: cross-site request refused");
        return ApiError::coded(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "api.error.cross_site_request",
        )
        .into_response();
    }
    if has_body(&req) && !accepted_body_type(&req) {
        return ApiError::coded(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "api.error.unsupported_media_type",
        )
        .into_response();
    }
    next.run(req).await
}

/// What an account with a one-time password may still do (paths under `/api/v1`).
fn allowed_before_password_change(method: &Method, path: &str) -> bool {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    matches!(
        (method.as_str(), path),
        ("POST", "/sessions")
            | ("GET" | "DELETE", "/sessions/current")
            | ("PUT", "/account/password")
    )
}

/// Middleware (after [`crate::api::auth::resolve`]): an account whose password was set for it
/// (`admin user add`, `beian demo`, an admin's new account) gets 403
/// `password_change_required` for everything but changing it, logging in and out.
pub async fn password_change_gate(req: Request, next: Next) -> Response {
    let must_change = req
        .extensions()
        .get::<Authenticated>()
        .and_then(|a| a.0.as_ref())
        .is_some_and(|a| a.must_change_password);
    if must_change && !allowed_before_password_change(req.method(), req.uri().path()) {
        return ApiError::coded(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "api.error.password_change_required",
        )
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_and_review_paths_need_their_role() {
        for (path, want) in [
            ("/api/v1/admin/accounts", Some(Role::Admin)),
            ("/admin/audit", Some(Role::Admin)),
            ("/api/v1/admin", Some(Role::Admin)),
            ("/api/v1/administrator", None),
            ("/api/v1/review/orders/x", Some(Role::Reviewer)),
            ("/api/v1/orders/x", None),
            ("/api/v1/reviewers", None),
        ] {
            assert_eq!(role_for(path), want, "{path}");
        }
    }

    fn request(content_type: Option<&str>, length: &str) -> Request {
        let mut b = axum::http::Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_LENGTH, length);
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn only_json_and_multipart_bodies_pass() {
        assert!(accepted_body_type(&request(Some("application/json"), "2")));
        assert!(accepted_body_type(&request(
            Some("Application/JSON; charset=utf-8"),
            "2"
        )));
        assert!(accepted_body_type(&request(
            Some("multipart/form-data; boundary=x"),
            "2"
        )));
        assert!(!accepted_body_type(&request(Some("text/plain"), "2")));
        assert!(!accepted_body_type(&request(
            Some("application/x-www-form-urlencoded"),
            "2"
        )));
        assert!(!accepted_body_type(&request(None, "2")));
        assert!(has_body(&request(None, "2")));
        assert!(!has_body(&request(None, "0")));
    }
}
