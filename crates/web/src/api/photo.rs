//! Photo verification routes (拍照核验, API.md): the applicant's backdrop request and photo
//! (or Shanghai app code), the reviewers' backdrop list and posting, the photo review, and
//! the storefront app's identity report. Over the services in `beian_platform::workflow::photo`.
//!
//! `POST /orders/{id}/photo` takes either a multipart body with `file` (JPEG or PNG; read with
//! the upload cap, recognised by content, re-encoded without EXIF like every material) or a
//! JSON body `{shanghai_app_code}`; the `Content-Type` decides.

use super::{ApiPath as Path, ApiQuery as Query};
use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_store::accounts::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::ApiJson;
use super::auth::CurrentAccount;
use super::materials::{multipart_error, read_field, upload_error};
use super::openapi::ErrorBody;
use crate::error::ApiError;
use crate::startup::AppState;
use beian_platform::materials::{FILE_FIELD, sanitize};
use beian_platform::workflow::{
    Acting, BackdropListItem, BackdropRequestInput, BackdropRequested, PhotoStatus, PhotoStepDone,
    PhotoVerdict, RejectReasonInput,
};

/// The account acting, after the role check (403 `forbidden` without it).
fn with_role(account: &CurrentAccount, role: Role) -> Result<Acting, ApiError> {
    account.require_role(role)?;
    Ok(account.acting())
}

/// The multipart form of `POST /orders/{id}/photo`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PhotoUpload {
    /// The photo before the backdrop: JPEG or PNG.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The JSON form of `POST /orders/{id}/photo` (Shanghai orders).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShanghaiCodeBody {
    /// The code the Shanghai bureau's app shows after its face check: 6 to 32 letters or
    /// digits (spaces and hyphens ignored).
    #[serde(default)]
    pub shanghai_app_code: String,
}

/// `?status=requested|shipped` (default `requested`).
#[derive(Debug, Deserialize, IntoParams)]
pub struct BackdropQuery {
    pub status: Option<String>,
}

/// The reviewers' backdrop list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackdropList {
    pub requests: Vec<BackdropListItem>,
}

/// `{tracking_number}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShippedBody {
    #[serde(default)]
    pub tracking_number: String,
}

/// `{reason: {code, text?}}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RejectBody {
    pub reason: RejectReasonInput,
}

/// The order's new state and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateView {
    pub state: String,
    pub version: i64,
}

#[utoipa::path(post, path = "/orders/{id}/backdrop-requests", tag = "orders",
    request_body = BackdropRequestInput,
    params(("id" = String, Path, description = "the order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, body = BackdropRequested, description = "requested; recipient and mobile masked"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`backdrop_request_open` (one not shipped yet), `no_backdrop_step` (Shanghai, storefront), `backdrop_not_needed` (closed, photo approved)", body = ErrorBody),
        (status = 422, description = "per field: `recipient`, `mobile`, `address.province` (mainland only: HK/MO/TW refused), `address.city`, `address.district`, `address.detail`", body = ErrorBody),
    ))]
pub async fn request_backdrop(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BackdropRequestInput>,
) -> Result<(StatusCode, Json<BackdropRequested>), ApiError> {
    let done = state
        .workflow()
        .request_backdrop(&account.acting(), &id, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(done)))
}

#[utoipa::path(post, path = "/orders/{id}/photo", tag = "orders",
    request_body(content(
        (PhotoUpload = "multipart/form-data"),
        (ShanghaiCodeBody = "application/json"),
    )),
    params(("id" = String, Path, description = "the order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PhotoStepDone, description = "photo: `photo_review`; Shanghai code: `queued_for_bureau`"),
        (status = 400, description = "neither multipart nor JSON", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not waiting for a photo, `shanghai_app_required` (photo sent for a Shanghai order), `backdrop_required` (code sent for another order), `conflict`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`file` not a JPEG/PNG image, or `shanghai_app_code` malformed", body = ErrorBody),
    ))]
pub async fn upload_photo(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    req: Request,
) -> Result<Json<PhotoStepDone>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let acting = account.acting();
    if content_type.starts_with("application/json") {
        let ApiJson(body) = ApiJson::<ShanghaiCodeBody>::from_request(req, &state).await?;
        let done = state
            .workflow()
            .submit_shanghai_code(&acting, &id, &body.shanghai_app_code)
            .await?;
        return Ok(Json(done));
    }
    if !content_type.starts_with("multipart/form-data") {
        return Err(ApiError::BadRequest("invalid_body"));
    }
    let cap = state.uploads.max_bytes;
    let mut multipart = super::materials::capped_multipart(&state, req).await?;
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        let is_file = field.name() == Some(FILE_FIELD);
        let bytes = read_field(field, cap).await?;
        if is_file {
            file = Some(bytes);
        }
    }
    let file = file.ok_or_else(|| ApiError::field(FILE_FIELD, "api.field.required"))?;
    let limits = state.uploads;
    let cleaned = tokio::task::spawn_blocking(move || sanitize(&file, &limits))
        .await
        .map_err(ApiError::internal)?
        .map_err(upload_error)?;
    let done = state
        .workflow()
        .upload_photo(&acting, &id, cleaned, &state.objects)
        .await?;
    Ok(Json(done))
}

#[utoipa::path(get, path = "/orders/{id}/photo", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PhotoStatus, description = "the photo step: method, backdrop requests (masked, tracking number once shipped), every photo with its digest, decision and reason"),
        (status = 404, body = ErrorBody),
    ))]
pub async fn photo_status(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<PhotoStatus>, ApiError> {
    let status = state
        .workflow()
        .photo_status(&account.acting(), &id)
        .await?;
    Ok(Json(status))
}

#[utoipa::path(get, path = "/review/backdrops", tag = "review", params(BackdropQuery),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = BackdropList, description = "oldest first; the whole label while `requested` (to post it), masked once `shipped`"),
        (status = 403, description = "not a reviewer", body = ErrorBody),
        (status = 422, description = "`status` is not `requested` or `shipped`", body = ErrorBody),
    ))]
pub async fn list_backdrops(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<BackdropQuery>,
) -> Result<Json<BackdropList>, ApiError> {
    let acting = with_role(&account, Role::Reviewer)?;
    let status = match query.status.as_deref() {
        None => "requested",
        Some(s @ ("requested" | "shipped")) => s,
        Some(_) => return Err(ApiError::field("status", "api.field.backdrop_status")),
    };
    let requests = state.workflow().backdrop_requests(&acting, status).await?;
    Ok(Json(BackdropList { requests }))
}

#[utoipa::path(post, path = "/review/backdrops/{id}/shipped", tag = "review",
    request_body = ShippedBody,
    params(("id" = String, Path, description = "the backdrop request id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = BackdropListItem, description = "shipped; the applicant is told by email and SMS"),
        (status = 403, description = "`forbidden` (not a reviewer) or `own_order`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`backdrop_already_shipped`", body = ErrorBody),
        (status = 422, description = "`tracking_number` malformed", body = ErrorBody),
    ))]
pub async fn ship_backdrop(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShippedBody>,
) -> Result<Json<BackdropListItem>, ApiError> {
    let acting = with_role(&account, Role::Reviewer)?;
    let done = state
        .workflow()
        .ship_backdrop(&acting, &id, &body.tracking_number)
        .await?;
    Ok(Json(done))
}

#[utoipa::path(get, path = "/review/orders/{id}/photo", tag = "review",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the photo waiting for review (JPEG or PNG)"),
        (status = 403, description = "`forbidden` or `own_order`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`no_pending_photo`", body = ErrorBody),
    ))]
pub async fn review_photo(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let acting = with_role(&account, Role::Reviewer)?;
    let photo = state
        .workflow()
        .photo_for_review(&acting, &id, &state.objects)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        photo.bytes,
    )
        .into_response())
}

#[utoipa::path(post, path = "/review/orders/{id}/photo/approve", tag = "review",
    params(("id" = String, Path, description = "the order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PhotoStepDone, description = "`queued_for_bureau`: the `bureau.upload` job and `deadlines.bureau_submit` are set; the raw photo is deleted"),
        (status = 403, description = "`forbidden` or `own_order`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not in photo review, or decided concurrently (`conflict`)", body = ErrorBody),
    ))]
pub async fn approve_photo(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<PhotoStepDone>, ApiError> {
    let acting = with_role(&account, Role::Reviewer)?;
    let done = state
        .workflow()
        .decide_photo(&acting, &id, &PhotoVerdict::Approve, &state.objects)
        .await?;
    Ok(Json(done))
}

#[utoipa::path(post, path = "/review/orders/{id}/photo/reject", tag = "review",
    request_body = RejectBody,
    params(("id" = String, Path, description = "the order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PhotoStepDone, description = "back to `photo_pending`; the reason is in the order's `return_reasons` (field `photo`); the raw photo is deleted"),
        (status = 403, description = "`forbidden` or `own_order`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not in photo review, or decided concurrently (`conflict`)", body = ErrorBody),
        (status = 422, description = "`reason.code` not one of red_or_blue_top, face_unclear, no_backdrop, other; `reason.text` missing with other", body = ErrorBody),
    ))]
pub async fn reject_photo(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectBody>,
) -> Result<Json<PhotoStepDone>, ApiError> {
    let acting = with_role(&account, Role::Reviewer)?;
    let reason = body
        .reason
        .validate()
        .map_err(beian_platform::workflow::WorkflowError::Invalid)?;
    let done = state
        .workflow()
        .decide_photo(&acting, &id, &PhotoVerdict::Reject(reason), &state.objects)
        .await?;
    Ok(Json(done))
}

#[utoipa::path(post, path = "/review/orders/{id}/app-identity", tag = "review",
    params(("id" = String, Path, description = "the order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = StateView, description = "the storefront app's identity check (真实性核验) is recorded; the state does not change"),
        (status = 403, description = "not an admin (the storefront app's backend calls with an admin API key)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`no_app_identity` (not a storefront flow) or not in an editable state", body = ErrorBody),
    ))]
pub async fn app_identity(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<StateView>, ApiError> {
    let acting = with_role(&account, Role::Admin)?;
    let wf = state.workflow();
    wf.record_app_identity(&acting.actor(), &id).await?;
    let order = state.store.order(&id).await?;
    Ok(Json(StateView {
        state: order.state,
        version: order.version,
    }))
}

/// The photo routes, relative to `/api/v1`.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_backdrop))
        .routes(routes!(upload_photo, photo_status).layer(DefaultBodyLimit::disable()))
        .routes(routes!(list_backdrops))
        .routes(routes!(ship_backdrop))
        .routes(routes!(review_photo))
        .routes(routes!(approve_photo))
        .routes(routes!(reject_photo))
        .routes(routes!(app_identity))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_lists_the_photo_paths() {
        let doc = crate::api::openapi::document(crate::api::v1_routes());
        let json = serde_json::to_value(&doc).unwrap();
        for (path, method) in [
            ("/api/v1/orders/{id}/backdrop-requests", "post"),
            ("/api/v1/orders/{id}/photo", "post"),
            ("/api/v1/orders/{id}/photo", "get"),
            ("/api/v1/review/backdrops", "get"),
            ("/api/v1/review/backdrops/{id}/shipped", "post"),
            ("/api/v1/review/orders/{id}/photo", "get"),
            ("/api/v1/review/orders/{id}/photo/approve", "post"),
            ("/api/v1/review/orders/{id}/photo/reject", "post"),
            ("/api/v1/review/orders/{id}/app-identity", "post"),
        ] {
            assert!(json["paths"][path][method].is_object(), "{method} {path}");
        }
        assert!(crate::error::messages().has_key("api.field.backdrop_status"));
    }
}
