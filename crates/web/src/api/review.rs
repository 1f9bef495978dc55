//! The provider's review routes (API.md "Provider"), reviewers and admins only:
//! `GET /review/orders?state=…` (the queue, oldest deadline first), `GET /review/orders/{id}`
//! (the order in full: forms unmasked, see [`beian_platform::workflow::ReviewOrder`]),
//! `POST /review/orders/{id}/approve` and `POST /review/orders/{id}/return`. Over the
//! workflow services ([`beian_platform::workflow::Workflow::review_queue`], [`beian_platform::workflow::Workflow::review_order`],
//! [`beian_platform::workflow::Workflow::provider_approve`], [`beian_platform::workflow::Workflow::provider_return`]).

use super::{ApiPath as Path, ApiQuery as Query};
use axum::Json;
use axum::extract::State;
use beian_core::kind::FilingKind;
use beian_core::order::OrderState;
use beian_store::accounts::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use super::auth::CurrentAccount;
use super::openapi::ErrorBody;
use super::page::PageQuery;
use crate::error::ApiError;
use crate::startup::AppState;
use beian_platform::workflow::{Acting, QueueFilter, ReturnReasonInput, WorkflowError};

/// The reviewer acting, after the role check (403 `forbidden` for applicants).
fn reviewer(account: &CurrentAccount) -> Result<Acting, ApiError> {
    account.require_role(Role::Reviewer)?;
    Ok(account.acting())
}

/// `?state=`: one of `provider_review` (the default), `photo_review`, `queued_for_bureau`;
/// `?province=` (GB/T 2260 code, e.g. `33`) and `?kind=` (a filing kind) narrow it;
/// `?limit=&cursor=` as every list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    pub state: Option<String>,
    pub province: Option<String>,
    pub kind: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// The queue, one page (see `QueueItem` in the workflow: id, kind, state, domain, masked
/// sponsor name, `submitted_at`, `deadline`, `deadline_remaining_seconds`,
/// `deadline_fallback_used`).
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    pub next_cursor: Option<String>,
}

/// `{reasons: [{field, message}]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnRequest {
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<ReturnReasonInput>,
}

/// The order's new state and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    pub state: String,
    pub version: i64,
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/review/orders", tag = "review", params(QueueQuery),
    responses(
        (status = 200, body = QueueView, description = "oldest deadline first"),
        (status = 403, description = "not a reviewer", body = ErrorBody),
        (status = 422, description = "`state` is not a review state", body = ErrorBody),
    ))]
pub async fn review_queue(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<QueueQuery>,
) -> Result<Json<QueueView>, ApiError> {
    let acting = reviewer(&account)?;
    let wanted = match query.state.as_deref() {
        None => OrderState::ProviderReview,
        Some(s) => OrderState::parse(s)
            .filter(|s| beian_platform::workflow::REVIEW_STATES.contains(s))
            .ok_or_else(|| ApiError::field("state", "api.field.review_state"))?,
    };
    let kind = match query.kind.as_deref() {
        None | Some("") => None,
        Some(k) => {
            Some(FilingKind::parse(k).ok_or_else(|| ApiError::field("kind", "api.field.kind"))?)
        }
    };
    let province = match query.province.as_deref() {
        None | Some("") => None,
        Some(p) => Some(
            beian_core::province::Province::parse(p)
                .map_err(|_| ApiError::field("province", "api.field.province"))?
                .code()
                .to_owned(),
        ),
    };
    let limit = PageQuery {
        limit: query.limit,
        cursor: None,
    }
    .limit()?;
    let filter = QueueFilter {
        state: wanted,
        province,
        kind,
    };
    let wf = state.workflow();
    let (items, next_cursor) = wf
        .review_queue_page(&acting, &filter, query.cursor.as_deref(), limit)
        .await?;
    let items: Vec<Value> = items.iter().map(to_json).collect::<Result<_, _>>()?;
    Ok(Json(QueueView { items, next_cursor }))
}

#[utoipa::path(get, path = "/review/orders/{id}", tag = "review",
    params(("id" = String, Path, description = "the order id")),
    responses(
        (status = 200, body = Object, description = "the order in full, forms unmasked, materials and timeline"),
        (status = 403, description = "not a reviewer", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn review_order(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let acting = reviewer(&account)?;
    let wf = state.workflow();
    let order = wf.review_order(&acting, &id).await?;
    Ok(Json(to_json(&order)?))
}

#[utoipa::path(post, path = "/review/orders/{id}/approve", tag = "review",
    params(("id" = String, Path, description = "the order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 200, body = TransitionView, description = "approved: `photo_pending`, or `queued_for_bureau` for flows without a photo"),
        (status = 403, description = "`forbidden` (not a reviewer) or `own_order`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not in review, or changed concurrently (`conflict`)", body = ErrorBody),
    ))]
pub async fn approve(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<TransitionView>, ApiError> {
    let acting = reviewer(&account)?;
    let wf = state.workflow();
    let done = wf.provider_approve(&acting, &id).await?;
    Ok(Json(TransitionView {
        state: done.state.as_str().to_owned(),
        version: done.version,
    }))
}

#[utoipa::path(post, path = "/review/orders/{id}/return", tag = "review", request_body = ReturnRequest,
    params(("id" = String, Path, description = "the order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 200, body = TransitionView, description = "returned to the applicant, who is notified"),
        (status = 403, description = "`forbidden` (not a reviewer) or `own_order`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not in review, or changed concurrently", body = ErrorBody),
        (status = 422, description = "no reasons, or a reason without field or message", body = ErrorBody),
    ))]
pub async fn return_order(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReturnRequest>,
) -> Result<Json<TransitionView>, ApiError> {
    let acting = reviewer(&account)?;
    let wf = state.workflow();
    let order = state.store.order(&id).await?;
    if order.account_id == acting.account_id {
        return Err(WorkflowError::OwnOrder.into());
    }
    let done = wf.provider_return(&acting, &id, &body.reasons).await?;
    Ok(Json(TransitionView {
        state: done.state.as_str().to_owned(),
        version: done.version,
    }))
}

/// The review routes, relative to `/api/v1`.
pub fn api_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(review_queue))
        .routes(utoipa_axum::routes!(review_order))
        .routes(utoipa_axum::routes!(approve))
        .routes(utoipa_axum::routes!(return_order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn the_document_lists_the_review_paths() {
        let doc = crate::api::openapi::document(crate::api::v1_routes());
        let json = serde_json::to_value(&doc).unwrap();
        for (path, method) in [
            ("/api/v1/review/orders", "get"),
            ("/api/v1/review/orders/{id}", "get"),
            ("/api/v1/review/orders/{id}/approve", "post"),
            ("/api/v1/review/orders/{id}/return", "post"),
        ] {
            assert!(json["paths"][path][method].is_object(), "{method} {path}");
        }
    }

    #[test]
    fn review_errors_have_their_codes_and_texts() {
        use beian_core::i18n::Locale;
        let own = ApiError::from(WorkflowError::OwnOrder).parts();
        assert_eq!(own.status, StatusCode::FORBIDDEN);
        assert_eq!(own.code, "own_order");
        let mut invalid = beian_platform::workflow::FieldErrors::new();
        invalid.insert(
            "reasons".into(),
            beian_platform::workflow::FieldError::new("workflow.required"),
        );
        let parts = ApiError::from(WorkflowError::Invalid(invalid)).parts();
        assert_eq!(parts.status, StatusCode::UNPROCESSABLE_ENTITY);
        let workflow = parts.workflow.as_deref().unwrap();
        assert!(crate::error::messages().has_key("api.field.review_state"));
        for locale in Locale::ALL {
            let own_text = ApiError::from(WorkflowError::OwnOrder).parts();
            let text = own_text.workflow.as_deref().unwrap().localize(locale);
            assert_ne!(text, own.message.key, "{locale}");
            assert!(workflow.fields(locale).contains_key("reasons"), "{locale}");
        }
        assert_eq!(
            ApiError::from(WorkflowError::Conflict).parts().status,
            StatusCode::CONFLICT
        );
    }
}
