//! axum route helpers (feature `axum`): the SOAP dispatcher mounted at the spec's three
//! service paths, `POST` only (no WSDL is served).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::paths;
use super::server::{IspBackend, handle_soap_at};

/// A router serving the six methods at `/ISPWebService/upDownLoad`,
/// `/BeianStatusWebService/queryBeianStatus` and `/BeianStatusWebService/verifyBamm`.
pub fn router(backend: Arc<dyn IspBackend>) -> Router {
    Router::new()
        .route(paths::UP_DOWN_LOAD, post(soap_endpoint))
        .route(paths::QUERY_BEIAN_STATUS, post(soap_endpoint))
        .route(paths::VERIFY_BAMM, post(soap_endpoint))
        .layer(DefaultBodyLimit::max(super::soap::MAX_ENVELOPE_BYTES))
        .with_state(backend)
}

async fn soap_endpoint(
    State(backend): State<Arc<dyn IspBackend>>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let (status, bytes) = handle_soap_at(uri.path(), &body, backend.as_ref()).await;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        bytes,
    )
        .into_response()
}
