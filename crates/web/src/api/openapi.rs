//! The OpenAPI document of the REST API (utoipa), served at `/api/openapi.json`, and its viewer
//! (Swagger UI, vendored) at `/api/docs`.
//!
//! Paths come from the `#[utoipa::path]` handlers collected in [`crate::api::v1_routes`]; the
//! shared parts (the error body, the two security schemes `session` and `api_key`) are
//! declared here on [`ApiDoc`].

use std::collections::BTreeMap;

use axum::Router;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::auth::SESSION_COOKIE;
use crate::startup::AppState;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
/// Where the viewer is served.
pub const VIEWER_PATH: &str = "/api/docs";

/// Every error answer: `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code, e.g. `validation_failed`, `unauthenticated`.
    pub code: String,
    /// A message in the request's language (`Accept-Language`; zh-CN by default).
    pub message: String,
    /// For `validation_failed`: one message per wrong field, by its path in the request body.
    #[schema(nullable = false)]
    pub fields: Option<BTreeMap<String, String>>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document's shared parts; paths are added by the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "beian API",
        description = "ICP filing (ICP 备案) platform. Errors are `ErrorBody`; every POST takes \
                       `Idempotency-Key`: a repeat gets the first answer with \
                       `Idempotent-Replayed: true`, and one whose answer a crash lost gets it \
                       rebuilt, also marked `Idempotent-Rebuilt: true` (docs/api.md)."
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Security),
    tags(
        (name = "accounts", description = "accounts, sessions and API keys"),
        (name = "orders", description = "filing checks and the applicant's orders"),
        (name = "review", description = "the provider's review"),
        (name = "admin", description = "administration (admins only)")
    )
)]
pub struct ApiDoc;

/// The document for `v1` (paths under `/api/v1`).
pub fn document(v1: OpenApiRouter<AppState>) -> utoipa::openapi::OpenApi {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .into_openapi()
}

/// `v1` under `/api/v1`, with the document and the viewer.
pub fn router(v1: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts();
    router.merge(SwaggerUi::new(VIEWER_PATH).url(DOCUMENT_PATH, document))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_the_account_paths_and_the_error_body() {
        let doc = document(crate::api::v1_routes());
        let json = serde_json::to_value(&doc).unwrap();
        for path in [
            "/api/v1/accounts",
            "/api/v1/sessions",
            "/api/v1/sessions/current",
            "/api/v1/api-keys",
            "/api/v1/filing-checks",
            "/api/v1/orders",
            "/api/v1/orders/{id}",
            "/api/v1/orders/{id}/sponsor",
            "/api/v1/orders/{id}/website",
            "/api/v1/orders/{id}/app",
            "/api/v1/orders/{id}/product",
            "/api/v1/orders/{id}/password-verification",
            "/api/v1/orders/{id}/submit",
            "/api/v1/orders/{id}/abandon",
            "/api/v1/review/orders/{id}/return",
        ] {
            assert!(json["paths"].get(path).is_some(), "{path} missing");
        }
        assert!(json["paths"]["/api/v1/accounts"]["post"].is_object());
        assert!(json["paths"]["/api/v1/sessions/current"]["delete"].is_object());
        assert!(json["components"]["schemas"]["ErrorBody"].is_object());
        // The abandon answer names what became of the bureau upload, by its four values.
        let upload = &json["components"]["schemas"]["BureauUpload"];
        let values: Vec<&str> = upload["enum"]
            .as_array()
            .map(|v| v.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            values,
            ["not_sent", "withdrawn", "sent_anyway", "at_bureau"],
            "{upload}"
        );
        assert!(json["components"]["securitySchemes"]["api_key"].is_object());
    }
}
