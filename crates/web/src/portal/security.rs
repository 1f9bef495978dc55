//! The portal's protections: the CSRF token (a random value in the `beian_csrf` cookie that
//! every form repeats in its `_csrf` field), the Origin / `Sec-Fetch-Site` check on every
//! unsafe request, and the headers of every page (a Content-Security-Policy with no inline
//! script, `nosniff`, no framing). Cookies are `HttpOnly; SameSite=Lax`, `Secure` behind TLS.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::portal::page::PageError;
use crate::startup::AppState;

/// The cookie holding the CSRF token.
pub const CSRF_COOKIE: &str = "beian_csrf";
/// The form field repeating it.
pub const CSRF_FIELD: &str = "_csrf";

/// The portal's Content-Security-Policy: only our own script, style and images.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (n, value) = c.trim().split_once('=')?;
            (n == name && !value.is_empty()).then_some(value)
        })
}

/// A `Set-Cookie` value with the portal's attributes.
pub fn set_cookie(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> HeaderValue {
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("beian_invalid=; Path=/"))
}

/// The CSRF token of this browser: its cookie's, or a fresh one the response will set.
#[derive(Debug, Clone)]
pub struct CsrfToken {
    pub value: String,
    pub fresh: bool,
}

impl CsrfToken {
    pub fn of(headers: &HeaderMap) -> CsrfToken {
        match cookie(headers, CSRF_COOKIE).filter(|v| v.len() >= 32 && v.len() <= 128) {
            Some(v) => CsrfToken {
                value: v.to_owned(),
                fresh: false,
            },
            None => CsrfToken {
                value: crate::api::auth::new_token(),
                fresh: true,
            },
        }
    }

    /// Whether a posted token matches (compared as digests, in constant time per byte).
    pub fn matches(&self, posted: &str) -> bool {
        let a = Sha256::digest(self.value.as_bytes());
        let b = Sha256::digest(posted.as_bytes());
        !self.fresh
            && a.iter()
                .zip(b.iter())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
    }
}

/// Whether an unsafe request comes from our own pages: `Sec-Fetch-Site` (when the browser
/// sends it) is `same-origin` or `none`, and `Origin` (when sent) names our host.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Middleware of every portal route: refuses unsafe requests from another origin, makes the
/// CSRF token available (setting its cookie when new) and adds the security headers.
pub async fn protect(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let token = CsrfToken::of(req.headers());
    if unsafe_method && (!same_origin(req.headers()) || token.fresh) {
        tracing::info!(path = %req.uri().path(), "portal: cross-site or tokenless post refused");
        let mut res = PageError::Csrf.into_response();
        add_headers(&mut res, &token, state.api.settings.secure_cookies);
        return res;
    }
    req.extensions_mut().insert(token.clone());
    let mut res = next.run(req).await;
    add_headers(&mut res, &token, state.api.settings.secure_cookies);
    res
}

fn add_headers(res: &mut Response, token: &CsrfToken, secure: bool) {
    let h = res.headers_mut();
    if token.fresh {
        h.append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &token.value, None, secure),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// 403 for a form whose `_csrf` does not match the cookie.
pub fn check(token: &CsrfToken, posted: &str) -> Result<(), PageError> {
    if token.matches(posted) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origins_are_compared_with_the_host() {
        assert!(same_origin(&headers(&[("host", "a.test:8080")])));
        assert!(same_origin(&headers(&[
            ("host", "a.test:8080"),
            ("origin", "http://a.test:8080")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "a.test:8080"),
            ("origin", "http://evil.test")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "a.test"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "a.test"),
            ("sec-fetch-site", "same-origin")
        ])));
    }

    #[test]
    fn a_token_matches_only_itself() {
        let t = CsrfToken {
            value: "a".repeat(43),
            fresh: false,
        };
        assert!(t.matches(&"a".repeat(43)));
        assert!(!t.matches(&"b".repeat(43)));
        assert!(!t.matches(""));
        let fresh = CsrfToken {
            fresh: true,
            ..t.clone()
        };
        assert!(!fresh.matches(&t.value));
    }
}
