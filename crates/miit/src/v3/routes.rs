//! axum route helpers (feature `axum`): the SOAP dispatcher mounted at the spec's three
//! service paths (`POST`), and each service's WSDL at `GET <path>?wsdl` ([`super::wsdl`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::paths;
use super::server::{EXTENSIONS_HEADER, EXTENSIONS_V1, IspBackend, handle_soap_with};
use super::soap;
use super::wsdl::{self, Service};

/// How the services describe themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceOptions {
    /// The address the WSDLs give (`https://bureau.example:8443`, no path). Without it, the
    /// address is `http://` and the request's `Host`.
    pub public_url: Option<String>,
}

#[derive(Clone)]
struct Services {
    backend: Arc<dyn IspBackend>,
    options: Arc<ServiceOptions>,
}

/// A router serving the six methods at `/ISPWebService/upDownLoad`,
/// `/BeianStatusWebService/queryBeianStatus` and `/BeianStatusWebService/verifyBamm`, and
/// their WSDLs at `?wsdl` with the address taken from each request's `Host`.
pub fn router(backend: Arc<dyn IspBackend>) -> Router {
    router_with(backend, ServiceOptions::default())
}

/// As [`router`], with options.
pub fn router_with(backend: Arc<dyn IspBackend>, options: ServiceOptions) -> Router {
    let state = Services {
        backend,
        options: Arc::new(options),
    };
    let route = || post(soap_endpoint).get(wsdl_endpoint);
    Router::new()
        .route(paths::UP_DOWN_LOAD, route())
        .route(paths::QUERY_BEIAN_STATUS, route())
        .route(paths::VERIFY_BAMM, route())
        .layer(DefaultBodyLimit::max(super::soap::MAX_ENVELOPE_BYTES))
        .with_state(state)
}

async fn soap_endpoint(
    State(services): State<Services>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let extensions = headers
        .get(EXTENSIONS_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == EXTENSIONS_V1));
    let (status, bytes) =
        handle_soap_with(uri.path(), &body, services.backend.as_ref(), extensions).await;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        bytes,
    )
        .into_response()
}

/// Whether the query is `wsdl` (any case, with or without a value, among other pairs).
fn asks_for_wsdl(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("wsdl"))
        })
    })
}

/// A host header value fit to put in a URL: host names, IPv4/IPv6 literals and a port.
fn plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
}

async fn wsdl_endpoint(State(services): State<Services>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(service) = Service::at(uri.path()).filter(|_| asks_for_wsdl(uri.query())) else {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "SOAP methods are POSTed here; GET serves the WSDL at ?wsdl\n",
        )
            .into_response();
    };
    let base = match &services.options.public_url {
        Some(url) => url.clone(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| plausible_host(h))
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        wsdl::document(service, soap::NAMESPACE, &base),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsdl_queries() {
        assert!(asks_for_wsdl(Some("wsdl")));
        assert!(asks_for_wsdl(Some("WSDL")));
        assert!(asks_for_wsdl(Some("x=1&wsdl=")));
        assert!(!asks_for_wsdl(Some("xsd=1")));
        assert!(!asks_for_wsdl(None));
    }

    #[test]
    fn hosts() {
        assert!(plausible_host("127.0.0.1:8081"));
        assert!(plausible_host("[::1]:80"));
        assert!(plausible_host("bureau.example.cn"));
        assert!(!plausible_host("a\"><x"));
        assert!(!plausible_host(""));
    }
}
