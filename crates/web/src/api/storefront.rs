//! `POST /api/v1/storefront/domains {domain}` binds a top-level domain to the account's
//! storefront (second seed), refused until the domain is filed and accessed here;
//! `GET /api/v1/storefront/domains` lists the bound ones. The rule is
//! [`beian_platform::storefront`]'s, answered from the edge gate's index.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use beian_platform::storefront::{self, StorefrontError};
use beian_store::storefront::StorefrontDomain;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::ApiJson;
use crate::api::auth::CurrentAccount;
use crate::api::openapi::ErrorBody;
use crate::error::ApiError;
use crate::startup::AppState;

/// The body of `POST /storefront/domains`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct BindDomainRequest {
    /// The top-level (registrable) domain, e.g. `example.com.cn`.
    pub domain: String,
}

/// A domain bound to the account's storefront.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StorefrontDomainView {
    pub domain: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<StorefrontDomain> for StorefrontDomainView {
    fn from(d: StorefrontDomain) -> Self {
        StorefrontDomainView {
            domain: d.domain,
            created_at: d.created_at,
        }
    }
}

/// The bound domains.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StorefrontDomains {
    pub items: Vec<StorefrontDomainView>,
    pub next_cursor: Option<String>,
}

fn api_error(e: StorefrontError) -> ApiError {
    if let Some((code, message)) = e.code_and_message() {
        let status = match e {
            StorefrontError::AlreadyBound { .. } => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        return ApiError::Coded {
            status,
            code,
            message,
        };
    }
    match e {
        StorefrontError::Invalid(reason) => {
            ApiError::rejected(StatusCode::UNPROCESSABLE_ENTITY, "invalid_domain", &reason)
        }
        StorefrontError::Store(e) => e.into(),
        _ => ApiError::Conflict,
    }
}

/// Binds a top-level domain to the account's storefront (先备案后接入: only a domain filed and
/// accessed here, under the account's own sponsor).
#[utoipa::path(post, path = "/storefront/domains", tag = "storefront",
    request_body = BindDomainRequest,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, body = StorefrontDomainView),
        (status = 401, body = ErrorBody),
        (status = 409, description = "`domain_already_bound`", body = ErrorBody),
        (status = 422, description = "`invalid_domain`, `domain_not_accessed` (not filed and accessed here) or `domain_of_other_account`", body = ErrorBody),
    ))]
pub async fn bind_domain(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<BindDomainRequest>,
) -> Result<(StatusCode, Json<StorefrontDomainView>), ApiError> {
    let bound = storefront::bind(
        &state.store,
        &state.gate,
        &account.actor(),
        &account.id,
        &input.domain,
    )
    .await
    .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(bound.into())))
}

/// The account's storefront domains.
#[utoipa::path(get, path = "/storefront/domains", tag = "storefront",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, body = StorefrontDomains), (status = 401, body = ErrorBody)))]
pub async fn list_domains(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<StorefrontDomains>, ApiError> {
    let items = state.store.storefront_domains(&account.id).await?;
    Ok(Json(StorefrontDomains {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bind_domain, list_domains))
}
