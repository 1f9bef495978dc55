//! axum route helpers (feature `axum`): the SOAP dispatcher mounted at the spec's three
//! service paths (`POST`), and each service's WSDL at `GET <path>?wsdl` ([`super::wsdl`]).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::paths;
use super::server::{
    EXTENSIONS_HEADER, EXTENSIONS_V1, IspBackend, PREAMBLE_BYTES, handle_soap_with,
    precheck_credentials,
};
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
        .with_state(state)
}

/// The largest envelope of a service: only `upDownLoad` carries uploads (a 50 MB file grows
/// by base64); the status query and the password check are small.
pub fn envelope_cap(path: &str) -> usize {
    if path.trim_end_matches('/') == paths::UP_DOWN_LOAD {
        soap::MAX_ENVELOPE_BYTES
    } else {
        SMALL_ENVELOPE_BYTES
    }
}

/// The cap of the services without uploads.
pub const SMALL_ENVELOPE_BYTES: usize = 256 * 1024;

/// Reads `body` into `buf` until it ends (`Ok(true)`), `buf` reaches `until` (`Ok(false)`), or
/// it passes `cap` (`Err`).
async fn read_body(
    body: &mut Body,
    buf: &mut Vec<u8>,
    until: usize,
    cap: usize,
) -> Result<bool, ()> {
    while buf.len() < until {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await;
        match frame {
            None => return Ok(true),
            Some(Err(_)) => return Err(()),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > cap {
                        return Err(());
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    Ok(false)
}

fn too_large() -> Response {
    let text = format!("{}: envelope too large", super::codes::ReturnCode::Other);
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        soap::write_fault("soapenv:Client", &text),
    )
        .into_response()
}

/// A SOAP request: read in two steps — the first [`PREAMBLE_BYTES`], whose credentials are
/// checked when the envelope is longer, then the rest up to the service's
/// [`envelope_cap`]. Nobody without the credentials makes the server hold more than the
/// preamble.
async fn soap_endpoint(
    State(services): State<Services>,
    uri: Uri,
    headers: HeaderMap,
    mut body: Body,
) -> Response {
    // beian's extensions of the returns go only to a client that asks for them.
    let extensions = headers
        .get(EXTENSIONS_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == EXTENSIONS_V1));
    let cap = envelope_cap(uri.path());
    let mut buf = Vec::new();
    let ended = match read_body(&mut body, &mut buf, PREAMBLE_BYTES.min(cap), cap).await {
        Ok(ended) => ended,
        Err(()) => return too_large(),
    };
    if !ended {
        if let Err((status, bytes)) = precheck_credentials(&buf, services.backend.as_ref()).await {
            return soap_response(status, bytes);
        }
        match read_body(&mut body, &mut buf, usize::MAX, cap).await {
            Ok(_) => {}
            Err(()) => return too_large(),
        }
    }
    let (status, bytes) =
        handle_soap_with(uri.path(), &buf, services.backend.as_ref(), extensions).await;
    soap_response(status, bytes)
}

fn soap_response(status: u16, bytes: Vec<u8>) -> Response {
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
