//! Admin routes of product instances, their service numbers (备案服务号) and the
//! service-number policy: `GET/POST /admin/instances`, `GET/POST
//! /admin/instances/{id}/service-numbers`, `POST /admin/service-numbers/{number}/revoke`,
//! `GET/PUT /admin/service-number-policy`. The number format and the rules are in
//! [`beian_platform::admin`]; product verification ([`beian_platform::workflow::Workflow::bind_service_number`])
//! reads the same policy.

use std::collections::BTreeMap;

use super::{ApiPath as Path, ApiQuery as Query};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use beian_store::products::ServiceNumber;
use beian_store::workflow_support::Instance;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use super::admin::{PageQuery, admin};
use super::auth::CurrentAccount;
use super::openapi::ErrorBody;
use crate::error::ApiError;
use crate::startup::AppState;
use beian_platform::admin::{self as svc, NewInstanceRequest, PolicyBody};

/// An instance with how many of its numbers are in each status.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceView {
    pub id: String,
    pub account_id: Option<String>,
    /// `ecs` or `storefront`.
    pub product: String,
    pub public_ip: Option<String>,
    /// Unix milliseconds.
    pub term_start: i64,
    pub term_end: i64,
    /// `running`, `stopped` or `released`.
    pub status: String,
    /// Numbers by status (`unbound`, `bound`, `filing`, `filed`, `expired`).
    pub numbers: BTreeMap<String, i64>,
}

/// A page of instances, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstancePage {
    pub instances: Vec<InstanceView>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// `POST /admin/instances/{id}/service-numbers`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct IssueRequest {
    /// How many numbers to issue (1 to 100), within the policy's per-instance limit.
    pub count: i64,
}

/// Numbers just issued (unbound).
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedNumbers {
    pub instance_id: String,
    /// `SN-XXXX-XXXX-XXXX-XXXX` (Crockford base32).
    pub numbers: Vec<String>,
}

/// A service number and its status.
#[derive(Debug, Serialize, ToSchema)]
pub struct NumberView {
    pub number: String,
    /// `unbound` 未绑定, `bound` 已绑定, `filing` 备案中, `filed` 已备案, `expired` 已失效.
    pub status: String,
    pub order_id: Option<String>,
}

/// An instance's numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct NumberList {
    pub instance_id: String,
    pub numbers: Vec<NumberView>,
}

impl From<ServiceNumber> for NumberView {
    fn from(n: ServiceNumber) -> NumberView {
        NumberView {
            number: n.number,
            status: n.status.as_str().to_owned(),
            order_id: n.order_id,
        }
    }
}

async fn view(state: &AppState, i: Instance) -> Result<InstanceView, ApiError> {
    let numbers = state.store.instance_number_counts(&i.id).await?;
    Ok(InstanceView {
        id: i.id,
        account_id: i.account_id,
        product: i.product,
        public_ip: i.public_ip,
        term_start: i.term_start,
        term_end: i.term_end,
        status: i.status,
        numbers,
    })
}

#[utoipa::path(get, path = "/admin/instances", tag = "admin", params(PageQuery),
    responses(
        (status = 200, body = InstancePage, description = "newest first"),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn list_instances(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(page): Query<PageQuery>,
) -> Result<Json<InstancePage>, ApiError> {
    admin(&account)?;
    let (offset, limit, page, per_page) = page.bounds();
    let (instances, total) = state.store.instances_page(offset, limit).await?;
    let mut views = Vec::with_capacity(instances.len());
    for i in instances {
        views.push(view(&state, i).await?);
    }
    Ok(Json(InstancePage {
        instances: views,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(post, path = "/admin/instances", tag = "admin", request_body = NewInstanceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 201, body = InstanceView),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 422, description = "a wrong field (`product`, `public_ip`, `status`, `term_end`, `account_id`)", body = ErrorBody),
    ))]
pub async fn create_instance(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(body): ApiJson<NewInstanceRequest>,
) -> Result<(StatusCode, Json<InstanceView>), ApiError> {
    let actor = admin(&account)?;
    let id = svc::create_instance(&state.store, &actor, &body).await?;
    let instance = state.store.instance(&id).await?;
    Ok((StatusCode::CREATED, Json(view(&state, instance).await?)))
}

#[utoipa::path(post, path = "/admin/instances/{id}/service-numbers", tag = "admin",
    request_body = IssueRequest,
    params(("id" = String, Path, description = "the instance id"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 201, body = IssuedNumbers),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`service_number_limit` (the instance would exceed the policy's limit), `instance_not_qualifying` (storefront, or a state the policy does not accept), or a wrong `count`", body = ErrorBody),
    ))]
pub async fn issue_numbers(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IssueRequest>,
) -> Result<(StatusCode, Json<IssuedNumbers>), ApiError> {
    let actor = admin(&account)?;
    let numbers = svc::issue_numbers(&state.store, &actor, &id, body.count).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedNumbers {
            instance_id: id,
            numbers,
        }),
    ))
}

#[utoipa::path(get, path = "/admin/instances/{id}/service-numbers", tag = "admin",
    params(("id" = String, Path, description = "the instance id")),
    responses(
        (status = 200, body = NumberList, description = "oldest first"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn list_numbers(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<NumberList>, ApiError> {
    admin(&account)?;
    state.store.instance(&id).await?;
    let numbers = state.store.service_numbers_of_instance(&id).await?;
    Ok(Json(NumberList {
        instance_id: id,
        numbers: numbers.into_iter().map(NumberView::from).collect(),
    }))
}

#[utoipa::path(post, path = "/admin/service-numbers/{number}/revoke", tag = "admin",
    params(("number" = String, Path, description = "the service number"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 200, body = NumberView, description = "revoked: `expired` 已失效"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`service_number_in_use`: only unbound numbers can be revoked", body = ErrorBody),
    ))]
pub async fn revoke_number(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(number): Path<String>,
) -> Result<Json<NumberView>, ApiError> {
    let actor = admin(&account)?;
    svc::revoke_number(&state.store, &actor, &number).await?;
    Ok(Json(state.store.service_number(&number).await?.into()))
}

#[utoipa::path(get, path = "/admin/service-number-policy", tag = "admin",
    responses(
        (status = 200, body = PolicyBody),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn get_policy(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<PolicyBody>, ApiError> {
    admin(&account)?;
    Ok(Json(state.store.service_number_policy().await?.into()))
}

#[utoipa::path(put, path = "/admin/service-number-policy", tag = "admin", request_body = PolicyBody,
    responses(
        (status = 200, body = PolicyBody, description = "in force at once, for issuing and for product verification"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 422, description = "a value out of range", body = ErrorBody),
    ))]
pub async fn put_policy(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(body): ApiJson<PolicyBody>,
) -> Result<Json<PolicyBody>, ApiError> {
    let actor = admin(&account)?;
    svc::set_policy(&state.store, &actor, &body).await?;
    Ok(Json(state.store.service_number_policy().await?.into()))
}
