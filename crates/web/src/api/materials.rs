//! The applicant's material endpoints (API.md "Applicant"): uploading a material
//! (`POST /orders/{id}/materials`, multipart) and downloading the prefilled verification form
//! (`GET /orders/{id}/verification-form`).
//!
//! An upload is refused with 413 `payload_too_large` from its `Content-Length` before
//! anything is read, and while streaming as soon as the body passes the cap
//! ([`crate::settings::Settings::uploads`]); axum's own body limit is off on this route. The
//! file is then recognised by content, cleaned ([`beian_platform::materials::sanitize`], off the async
//! threads) and handed to [`beian_platform::workflow::Workflow::add_material`].

use super::ApiPath as Path;
use axum::Json;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::i18n::Localized;
use http_body_util::Limited;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::api::auth::CurrentAccount;
use crate::api::openapi::ErrorBody;
use crate::error::{ApiError, FieldError};
use crate::startup::AppState;
use beian_platform::materials::{
    FILE_FIELD, MaterialKind, ReadCappedError, UploadError, check_declared_length, read_capped,
    sanitize,
};

/// Room for the multipart framing and the `kind` field beyond the file's own cap.
pub(crate) const FRAMING_ALLOWANCE: usize = 64 * 1024;
/// The longest `kind` value read.
const KIND_CAP: usize = 256;

/// The multipart form of `POST /orders/{id}/materials`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MaterialUpload {
    /// The material kind, e.g. `sponsor_id_front`, `verification_form`.
    kind: String,
    /// The file: JPEG, PNG or PDF.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The routes of this module (merged into `/api/v1`).
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_material).layer(DefaultBodyLimit::disable()))
        .routes(routes!(verification_form))
}

pub(crate) fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::TooLarge { .. } => ApiError::PayloadTooLarge,
        UploadError::Reencode { .. } => ApiError::internal(e),
        other => ApiError::Validation {
            fields: vec![FieldError::localized(
                other.field(),
                &other as &dyn Localized,
            )],
        },
    }
}

pub(crate) fn multipart_error(e: &MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        tracing::debug!(error = %e, "multipart body rejected");
        ApiError::BadRequest("invalid_body")
    }
}

pub(crate) async fn read_field(field: Field<'_>, cap: usize) -> Result<bytes::Bytes, ApiError> {
    read_capped(field, cap).await.map_err(|e| match e {
        ReadCappedError::TooLarge(_) => ApiError::PayloadTooLarge,
        ReadCappedError::Body(e) => multipart_error(&e),
    })
}

/// Uploads one material of the order (replacing the one of the same kind).
#[utoipa::path(post, path = "/orders/{id}/materials", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    request_body(content = inline(MaterialUpload), content_type = "multipart/form-data"),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "`{id, kind, content_type, size, sha256}`"),
        (status = 400, description = "not a multipart body", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the order is not editable", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`kind` unknown, `file` not JPEG/PNG/PDF", body = ErrorBody),
    ))]
pub async fn upload_material(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let cap = state.uploads.max_bytes;
    let mut multipart = capped_multipart(&state, req).await?;
    let mut kind: Option<String> = None;
    let mut file: Option<bytes::Bytes> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        match field.name() {
            Some("kind") => {
                let raw = read_field(field, KIND_CAP).await?;
                kind = Some(String::from_utf8_lossy(&raw).trim().to_owned());
            }
            Some(FILE_FIELD) => file = Some(read_field(field, cap).await?),
            _ => {
                read_field(field, cap).await?;
            }
        }
    }
    let kind = match kind.as_deref() {
        None | Some("") => return Err(ApiError::field("kind", "api.field.required")),
        Some(k) => MaterialKind::parse(k)
            .ok_or_else(|| ApiError::field("kind", "api.field.material_kind"))?,
    };
    let file = file.ok_or_else(|| ApiError::field(FILE_FIELD, "api.field.required"))?;
    let limits = state.uploads;
    let cleaned = tokio::task::spawn_blocking(move || sanitize(&file, &limits))
        .await
        .map_err(ApiError::internal)?
        .map_err(upload_error)?;
    let added = state
        .workflow()
        .add_material(&account.acting(), &id, kind, cleaned, &state.objects)
        .await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// The order's verification form (核验单), prefilled, as a PDF to print and sign.
#[utoipa::path(get, path = "/orders/{id}/verification-form", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the PDF", content_type = "application/pdf"),
        (status = 404, body = ErrorBody),
        (status = 422, description = "the forms are not complete yet", body = ErrorBody),
        (status = 503, description = "`font_unavailable`", body = ErrorBody),
    ))]
pub async fn verification_form(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let data = state
        .workflow()
        .verification_form_data(&account.acting(), &id, &state.provider_name, Vec::new())
        .await?;
    let font = state.form_font.get().await.map_err(|e| {
        tracing::error!(error = %e, "verification form font unavailable");
        ApiError::coded(
            StatusCode::SERVICE_UNAVAILABLE,
            "font_unavailable",
            "api.error.font_unavailable",
        )
    })?;
    let font = font.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        beian_platform::verification_form::generate(&data, &font)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"verification-form.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

/// The request's multipart body, capped at the upload limit plus framing: a declared length
/// over it is 413 before any byte is read, and a body that grows past it fails while read.
pub(crate) async fn capped_multipart(
    state: &AppState,
    req: Request,
) -> Result<axum::extract::Multipart, ApiError> {
    let body_cap = state.uploads.max_bytes.saturating_add(FRAMING_ALLOWANCE);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    check_declared_length(declared, body_cap).map_err(|_| ApiError::PayloadTooLarge)?;
    let req = req.map(|body| Body::new(Limited::new(body, body_cap)));
    axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| {
            tracing::debug!(error = %e, "not a multipart body");
            ApiError::BadRequest("invalid_body")
        })
}
