//! The administration under `/api/v1/admin` (admins only: 403 `forbidden` for every other
//! role, 401 without a login): accounts and roles (here), product instances, service numbers
//! and their policy ([`super::admin_products`]), province rules and the holiday editor
//! ([`super::admin_calendar`]), the outbox, the audit log and the dashboard
//! ([`super::admin_ops`]). The services behind them are in [`beian_platform::admin`].

use super::{ApiPath as Path, ApiQuery as Query};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use beian_store::accounts::{Account, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use super::auth::CurrentAccount;
use super::openapi::ErrorBody;
use crate::error::{ApiError, FieldError};
use crate::startup::AppState;
use beian_platform::admin::{AdminError, add_user, assignable_role, set_role};
use beian_platform::notify::mask_contact;

/// The admin acting, after the role check (403 `forbidden` for reviewers and applicants).
pub(super) fn admin(account: &CurrentAccount) -> Result<String, ApiError> {
    if account.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    Ok(account.actor())
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> ApiError {
        match e {
            AdminError::Invalid(fields) => ApiError::Validation { fields },
            AdminError::Refused(status, code, message) => ApiError::Coded {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT),
                code,
                message,
            },
            AdminError::Store(e) => e.into(),
            AdminError::Internal(cause) => ApiError::Internal(cause.into()),
        }
    }
}

/// `?page=&per_page=`: page 1 first, 50 per page by default (at most 200).
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl PageQuery {
    /// (offset, limit, page, per_page).
    pub fn bounds(self) -> (i64, i64, i64, i64) {
        let page = self.page.unwrap_or(1).max(1);
        let per_page = self.per_page.unwrap_or(50).clamp(1, 200);
        (
            (page - 1).saturating_mul(per_page),
            per_page,
            page,
            per_page,
        )
    }
}

/// An account as the admin list shows it (the email and mobile masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAccountView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub mobile: Option<String>,
    pub role: String,
    pub disabled: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<Account> for AdminAccountView {
    fn from(a: Account) -> AdminAccountView {
        AdminAccountView {
            email: if a.email.is_empty() {
                String::new()
            } else {
                mask_contact(&a.email)
            },
            mobile: a.mobile.as_deref().map(mask_contact),
            role: a.role.as_str().to_owned(),
            disabled: a.disabled,
            created_at: a.created_at,
            id: a.id,
            username: a.username,
        }
    }
}

/// A page of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    pub accounts: Vec<AdminAccountView>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// `POST /admin/accounts`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AdminNewAccount {
    /// 3 to 32 characters of `a-z 0-9 _ . -`.
    pub username: String,
    /// `applicant`, `reviewer` or `admin`.
    pub role: String,
    pub email: Option<String>,
}

/// The new account and its one-time password (shown this once; only its hash is kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAccount {
    pub id: String,
    pub username: String,
    pub role: String,
    pub one_time_password: String,
}

/// `PUT /admin/accounts/{id}/role`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RoleRequest {
    /// `applicant`, `reviewer` or `admin`.
    pub role: String,
}

fn role_field(role: &str) -> Result<Role, ApiError> {
    assignable_role(role).ok_or_else(|| ApiError::Validation {
        fields: vec![FieldError::new("role", "api.field.role")],
    })
}

#[utoipa::path(get, path = "/admin/accounts", tag = "admin", params(PageQuery),
    responses(
        (status = 200, body = AccountPage, description = "oldest first; email and mobile masked"),
        (status = 403, description = "not an admin", body = ErrorBody),
    ))]
pub async fn list_accounts(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(page): Query<PageQuery>,
) -> Result<Json<AccountPage>, ApiError> {
    admin(&account)?;
    let (offset, limit, page, per_page) = page.bounds();
    let (accounts, total) = state.store.accounts_page(offset, limit).await?;
    Ok(Json(AccountPage {
        accounts: accounts.into_iter().map(AdminAccountView::from).collect(),
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(post, path = "/admin/accounts", tag = "admin", request_body = AdminNewAccount,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses(
        (status = 201, body = CreatedAccount, description = "created; the one-time password is shown once"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 422, description = "a wrong field (`username`, `role`, `email`) or the username is taken", body = ErrorBody),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(body): ApiJson<AdminNewAccount>,
) -> Result<(StatusCode, Json<CreatedAccount>), ApiError> {
    let actor = admin(&account)?;
    let role = role_field(&body.role)?;
    let added = add_user(
        &state.store,
        &actor,
        &body.username,
        role,
        body.email.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedAccount {
            id: added.id,
            username: added.username,
            role: added.role.as_str().to_owned(),
            one_time_password: added.password,
        }),
    ))
}

#[utoipa::path(put, path = "/admin/accounts/{id}/role", tag = "admin", request_body = RoleRequest,
    params(("id" = String, Path, description = "the account id")),
    responses(
        (status = 200, body = AdminAccountView),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`last_admin`: the last admin cannot lose the role", body = ErrorBody),
        (status = 422, description = "not a role an admin may give", body = ErrorBody),
    ))]
pub async fn put_role(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleRequest>,
) -> Result<Json<AdminAccountView>, ApiError> {
    let actor = admin(&account)?;
    let role = role_field(&body.role)?;
    set_role(&state.store, &actor, &id, role).await?;
    Ok(Json(state.store.account(&id).await?.into()))
}

/// `PUT /admin/accounts/{id}/disabled`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DisabledRequest {
    pub disabled: bool,
}

/// The account after the change, and what disabling ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisabledView {
    pub account: AdminAccountView,
    pub sessions_ended: u64,
    pub api_keys_revoked: u64,
}

#[utoipa::path(put, path = "/admin/accounts/{id}/disabled", tag = "admin", request_body = DisabledRequest,
    params(("id" = String, Path, description = "the account id")),
    responses(
        (status = 200, body = DisabledView, description = "disabling ends the account's sessions and revokes its API keys"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`own_account`: an admin cannot disable their own account", body = ErrorBody),
    ))]
pub async fn put_disabled(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DisabledRequest>,
) -> Result<Json<DisabledView>, ApiError> {
    let actor = admin(&account)?;
    let (sessions_ended, api_keys_revoked) =
        beian_platform::admin::set_disabled(&state.store, &actor, &account.id, &id, body.disabled)
            .await?;
    Ok(Json(DisabledView {
        account: state.store.account(&id).await?.into(),
        sessions_ended,
        api_keys_revoked,
    }))
}

/// The admin routes, relative to `/api/v1`.
pub fn api_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use super::{admin_calendar as cal, admin_ops as ops, admin_products as prod};
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_accounts, create_account))
        .routes(utoipa_axum::routes!(put_role))
        .routes(utoipa_axum::routes!(put_disabled))
        .routes(utoipa_axum::routes!(
            prod::list_instances,
            prod::create_instance
        ))
        .routes(utoipa_axum::routes!(
            prod::issue_numbers,
            prod::list_numbers
        ))
        .routes(utoipa_axum::routes!(prod::revoke_number))
        .routes(utoipa_axum::routes!(prod::get_policy, prod::put_policy))
        .routes(utoipa_axum::routes!(cal::rules))
        .routes(utoipa_axum::routes!(
            cal::get_holidays,
            cal::put_holidays,
            cal::delete_holidays
        ))
        .routes(utoipa_axum::routes!(ops::outbox))
        .routes(utoipa_axum::routes!(ops::retry_job))
        .routes(utoipa_axum::routes!(ops::audit))
        .routes(utoipa_axum::routes!(ops::verify_audit))
        .routes(utoipa_axum::routes!(ops::dashboard))
        .routes(utoipa_axum::routes!(
            super::admin_throttle::list_throttles,
            super::admin_throttle::clear_throttle
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded() {
        let cases = [
            ((None, None), (0, 50, 1, 50)),
            ((Some(3), Some(10)), (20, 10, 3, 10)),
            ((Some(0), Some(1000)), (0, 200, 1, 200)),
            ((Some(-5), Some(0)), (0, 1, 1, 1)),
        ];
        for ((page, per_page), want) in cases {
            assert_eq!(PageQuery { page, per_page }.bounds(), want);
        }
    }

    #[test]
    fn the_document_lists_every_admin_path() {
        let doc = crate::api::openapi::document(crate::api::v1_routes());
        let json = serde_json::to_value(&doc).unwrap();
        for (path, method) in [
            ("/api/v1/admin/accounts", "get"),
            ("/api/v1/admin/accounts", "post"),
            ("/api/v1/admin/accounts/{id}/role", "put"),
            ("/api/v1/admin/instances", "get"),
            ("/api/v1/admin/instances", "post"),
            ("/api/v1/admin/instances/{id}/service-numbers", "post"),
            ("/api/v1/admin/instances/{id}/service-numbers", "get"),
            ("/api/v1/admin/service-numbers/{number}/revoke", "post"),
            ("/api/v1/admin/service-number-policy", "get"),
            ("/api/v1/admin/service-number-policy", "put"),
            ("/api/v1/admin/rules", "get"),
            ("/api/v1/admin/holidays/{year}", "get"),
            ("/api/v1/admin/holidays/{year}", "put"),
            ("/api/v1/admin/holidays/{year}", "delete"),
            ("/api/v1/admin/outbox", "get"),
            ("/api/v1/admin/outbox/jobs/{id}/retry", "post"),
            ("/api/v1/admin/audit", "get"),
            ("/api/v1/admin/audit/verify", "post"),
            ("/api/v1/admin/dashboard", "get"),
        ] {
            assert!(json["paths"][path][method].is_object(), "{method} {path}");
        }
    }

    #[test]
    fn every_admin_text_exists_in_both_languages() {
        let m = crate::error::messages();
        for key in [
            "api.error.last_admin",
            "api.error.service_number_limit",
            "api.error.service_number_in_use",
            "api.error.instance_not_qualifying",
            "api.error.job_not_dead",
            "api.field.role",
            "api.field.instance_product",
            "api.field.public_ip",
            "api.field.instance_status",
            "api.field.term_end",
            "api.field.unknown_account",
            "api.field.issue_count",
            "api.field.policy_limit",
            "api.field.policy_term",
            "api.field.policy_states",
            "api.field.date",
            "api.field.province",
            "api.field.instant",
            "api.field.outbox_channel",
            "api.field.year",
            "cli.admin.user_added",
            "cli.admin.one_time_password",
        ] {
            assert!(m.has_key(key), "{key}");
        }
    }
}
