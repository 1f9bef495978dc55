//! The applicant's order endpoints (API.md "Applicant") over the workflow services
//! ([`beian_platform::workflow::Workflow`]): filing checks, orders, their forms, product, filing
//! password, submission and abandonment, and the reviewer's return.
//!
//! Every handler needs a login; an order of another account is 404. Refusals are the
//! workflow's own ([`WorkflowError`](beian_platform::workflow::WorkflowError) → `ApiError` in
//! `crate::error`). Form-changing calls answer with the order as `GET /orders/{id}` shows it.

use super::{ApiPath as Path, ApiQuery as Query};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::CurrentAccount;
use crate::api::openapi::ErrorBody;
use crate::api::page::{Page, PageQuery};
use crate::api::{ApiJson, RequestLocale};
use crate::error::ApiError;
use crate::startup::AppState;
use beian_platform::workflow::{
    Acting, AppForm, FilingCheckInput, SponsorForm, UploadWithdrawal, WebsiteForm, messages,
};

/// The order as `GET /orders/{id}` shows it.
async fn view(state: &AppState, acting: &Acting, id: &str) -> Result<Response, ApiError> {
    let view = state.workflow().order_view(acting, id).await?;
    Ok(Json(view).into_response())
}

/// `PUT /orders/{id}/product`: one of the two.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProductRequest {
    /// The service number (服务号) of a server product.
    pub service_number: Option<String>,
    /// Any value: the account's storefront subscription backs the order.
    #[schema(value_type = Option<Object>)]
    pub storefront_account: Option<serde_json::Value>,
}

/// `POST /orders/{id}/password-verification`.
#[derive(Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PasswordRequest {
    /// The sponsor's filing password (备案密码).
    pub password: String,
}

/// The answer of `POST /orders/{id}/abandon`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AbandonView {
    /// `abandoned`.
    pub state: String,
    pub version: i64,
    /// For access kinds, what abandoning means for the site (in the request's language).
    pub warning: Option<String>,
    /// Abandoned once queued for the bureau or later: what became of the bureau upload
    /// (docs/api.md, docs/bureau-interop.md "Abandoned after approval"). Absent before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bureau_upload: Option<BureauUpload>,
}

/// What became of the bureau upload of an order abandoned once queued for the bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BureauUpload {
    /// Not numbered yet: nothing goes to the bureau.
    NotSent,
    /// Numbered, never begun and the last number: deleted, its number given back.
    Withdrawn,
    /// Numbered with later numbers after it, or already being sent: it still goes to the
    /// bureau (numbers must be gap-free), which decides; the order stays abandoned here.
    SentAnyway,
    /// The bureau already has it (no V3.0 operation withdraws an application): the bureau
    /// decides; the order stays abandoned here.
    AtBureau,
}

impl From<UploadWithdrawal> for BureauUpload {
    fn from(o: UploadWithdrawal) -> BureauUpload {
        match o {
            UploadWithdrawal::NotSent => BureauUpload::NotSent,
            UploadWithdrawal::Withdrawn => BureauUpload::Withdrawn,
            UploadWithdrawal::SentAnyway => BureauUpload::SentAnyway,
            UploadWithdrawal::AtBureau => BureauUpload::AtBureau,
        }
    }
}

/// Checks which kind of filing a domain (or an APP: `app: {name, platform, package}` instead
/// of `domain`) and sponsor need.
#[utoipa::path(post, path = "/filing-checks", tag = "orders",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "`{kind, registry, needs_filing_password, access_only}`"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "invalid input or a refusal: `domain_accessed_here`, \
            `domain_of_other_sponsor`, `sponsor_mismatch`, `order_in_progress`, \
            `account_has_other_sponsor`, `site_cap_reached`", body = ErrorBody),
    ))]
pub async fn filing_check(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<FilingCheckInput>,
) -> Result<Response, ApiError> {
    let result = state
        .workflow()
        .filing_check(&account.acting(), &input)
        .await?;
    Ok(Json(result).into_response())
}

/// Creates an order (same body as a filing check) with its decided kind.
#[utoipa::path(post, path = "/orders", tag = "orders",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "the order as `GET /orders/{id}` shows it (`id`, `kind`, \
            `state`, forms, `deadlines`…), plus `order_id` (= `id`), `sponsor_id`, `website_id`, \
            `registry`, `needs_filing_password`, `access_only` from the filing check"),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create_order(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<FilingCheckInput>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    let created = state.workflow().create_order(&acting, &input).await?;
    let view = state
        .workflow()
        .order_view(&acting, &created.order_id)
        .await?;
    let check = serde_json::to_value(&created).map_err(ApiError::internal)?;
    let body = created_body(&view, &check)?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The answer of `POST /orders`: the order as `GET /orders/{id}` shows it, with what the
/// check found beside it (`check`: the created order's fields; also used to rebuild an answer
/// lost in a crash, [`crate::api::rebuild`]).
pub(crate) fn created_body(
    view: &beian_platform::workflow::OrderView,
    check: &serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    let mut body = serde_json::to_value(view).map_err(ApiError::internal)?;
    if let (Some(body), Some(check)) = (body.as_object_mut(), check.as_object()) {
        for key in [
            "order_id",
            "sponsor_id",
            "website_id",
            "app_id",
            "registry",
            "needs_filing_password",
            "access_only",
        ] {
            if let Some(v) = check.get(key) {
                body.insert(key.to_owned(), v.clone());
            }
        }
    }
    Ok(body)
}

/// The account's orders, oldest first.
#[utoipa::path(get, path = "/orders", tag = "orders", params(PageQuery),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "`{items: [order summary: id, kind, state, province, domain \
            (a website's) or app_name (an APP's), version, created_at, updated_at], next_cursor}`"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "a bad `limit` or `cursor`", body = ErrorBody),
    ))]
pub async fn list_orders(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit()?;
    let (items, next_cursor) = state
        .workflow()
        .orders_page(&account.acting(), query.cursor.as_deref(), limit)
        .await?;
    Ok(Json(Page { items, next_cursor }).into_response())
}

/// One order with its forms, steps and timeline.
#[utoipa::path(get, path = "/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the order"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get_order(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    view(&state, &account.acting(), &id).await
}

/// The sponsor form.
#[utoipa::path(put, path = "/orders/{id}/sponsor", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the order"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "locked fields or state", body = ErrorBody),
        (status = 422, description = "wrong fields, by path", body = ErrorBody),
    ))]
pub async fn put_sponsor(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<SponsorForm>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    state.workflow().update_sponsor(&acting, &id, &form).await?;
    view(&state, &acting, &id).await
}

/// The website form.
#[utoipa::path(put, path = "/orders/{id}/website", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the order"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "locked fields or state", body = ErrorBody),
        (status = 422, description = "wrong fields, by path", body = ErrorBody),
    ))]
pub async fn put_website(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<WebsiteForm>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    state.workflow().update_website(&acting, &id, &form).await?;
    view(&state, &acting, &id).await
}

/// The APP form of an APP's order (APP备案, issue 18): `{name, platforms: [{platform, name,
/// package, public_key, signature_digest}], service_content, responsible}`. Each problem is
/// named by its path (`app.platforms[1].package`).
#[utoipa::path(put, path = "/orders/{id}/app", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the order"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "locked fields or state", body = ErrorBody),
        (status = 422, description = "wrong fields, by path (`app.platforms[0].signature_digest`),             or a website's order (`app`)", body = ErrorBody),
    ))]
pub async fn put_app(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<AppForm>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    state.workflow().update_app(&acting, &id, &form).await?;
    view(&state, &acting, &id).await
}

/// The product backing the order: a service number, or the storefront subscription.
#[utoipa::path(put, path = "/orders/{id}/product", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    request_body = ProductRequest,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the order"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn put_product(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProductRequest>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    let workflow = state.workflow();
    match (&body.service_number, &body.storefront_account) {
        (Some(number), None) => workflow.bind_service_number(&acting, &id, number).await?,
        (None, Some(_)) => workflow.verify_storefront(&acting, &id).await?,
        _ => {
            return Err(ApiError::field(
                "service_number",
                "api.field.product_required",
            ));
        }
    }
    view(&state, &acting, &id).await
}

/// Verifies the sponsor's filing password at the registry (access kinds).
#[utoipa::path(post, path = "/orders/{id}/password-verification", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    request_body = PasswordRequest,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the order"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not for this kind", body = ErrorBody),
        (status = 422, description = "`filing_password_incorrect`", body = ErrorBody),
        (status = 429, description = "`filing_password_locked`", body = ErrorBody),
    ))]
pub async fn verify_password(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    state
        .workflow()
        .verify_filing_password(&acting, &id, &body.password)
        .await?;
    view(&state, &acting, &id).await
}

/// Submits (or resubmits after a return) the order to the provider's review.
#[utoipa::path(post, path = "/orders/{id}/submit", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the order, in provider review"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_ready`, the missing items in `fields`", body = ErrorBody),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    state.workflow().submit_any(&acting, &id).await?;
    view(&state, &acting, &id).await
}

/// Abandons the order; access kinds get a warning about the site. Once queued for the
/// bureau, `bureau_upload` says what became of the upload (the customer is also told by
/// mail and SMS).
#[utoipa::path(post, path = "/orders/{id}/abandon", tag = "orders",
    params(("id" = String, Path, description = "the order id")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = AbandonView),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ))]
pub async fn abandon(
    State(state): State<AppState>,
    account: CurrentAccount,
    RequestLocale(locale): RequestLocale,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let outcome = state.workflow().abandon(&account.acting(), &id).await?;
    Ok(Json(AbandonView {
        state: outcome.state.as_str().to_owned(),
        version: outcome.version,
        warning: outcome
            .warning
            .map(|key| messages().render(locale, key, &[])),
        bureau_upload: outcome.bureau_upload.map(BureauUpload::from),
    })
    .into_response())
}
