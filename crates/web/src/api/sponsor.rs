//! After success (API.md "Applicant"): the account's sponsor with its numbers, websites and
//! access records (`GET /sponsor`), 取消接入 (`POST /websites/{id}/cancel-access/code`, `POST
//! /websites/{id}/cancel-access`) and the legacy (万网) import (`POST /legacy-imports`), over
//! the workflow services; change and cancellation orders (`POST /sponsor/orders`, `POST
//! /websites/{id}/orders`). Refusals are the workflow's ([`beian_platform::workflow::SponsorRefusal`]).

use super::ApiPath as Path;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::auth::CurrentAccount;
use crate::api::openapi::ErrorBody;
use crate::api::{ApiJson, RequestLocale};
use crate::error::ApiError;
use crate::startup::AppState;
use beian_core::kind::FilingKind;
use beian_platform::legacy::LegacyImported;
use beian_platform::workflow::{
    CancelAccessInput, CancelCodeSent, CancelledAccess, LegacyImportInput, SponsorView,
    WorkflowError, messages,
};

/// A refusal as a response; a rate limit's carries `Retry-After`.
fn refusal(e: WorkflowError) -> Response {
    let retry = match &e {
        WorkflowError::Sponsor(r) => r.retry_after_secs(),
        _ => None,
    };
    let mut res = ApiError::from(e).into_response();
    if let Some(secs) = retry {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// The answer of `POST /websites/{id}/cancel-access/code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelCodeAnswer {
    #[serde(flatten)]
    pub sent: CancelCodeSent,
    /// Where the code went and how long it works (request's language).
    pub message: String,
}

/// The answer of `POST /websites/{id}/cancel-access`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelAccessAnswer {
    #[serde(flatten)]
    pub access: CancelledAccess,
    /// The number stays with the ministry; ask the new provider to file access (request's
    /// language).
    pub notice: String,
}

/// The answer of `POST /legacy-imports`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyImportAnswer {
    #[serde(flatten)]
    pub imported: LegacyImported,
    pub message: String,
}

/// The account's sponsor: masked personal data, its number, websites, service numbers and
/// access records at this provider.
#[utoipa::path(get, path = "/sponsor", tag = "sponsor",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = SponsorView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`: the account holds no sponsor", body = ErrorBody),
    ))]
pub async fn get_sponsor(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Response, ApiError> {
    let view = state.workflow().sponsor_view(&account.acting()).await?;
    Ok(Json(view).into_response())
}

/// 取消接入, step 1: texts a six-digit code (valid 10 minutes, 5 tries) to the website's
/// responsible person's mobile on file.
#[utoipa::path(post, path = "/websites/{id}/cancel-access/code", tag = "sponsor",
    params(("id" = String, Path, description = "the website id (from `GET /sponsor`)")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = CancelCodeAnswer),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`, `website_not_found`", body = ErrorBody),
        (status = 409, description = "`no_active_access`, `access_cancelling`, \
            `no_mobile_on_file`", body = ErrorBody),
        (status = 429, description = "`cancel_code_too_soon`", body = ErrorBody),
    ))]
pub async fn send_cancel_code(
    State(state): State<AppState>,
    account: CurrentAccount,
    RequestLocale(locale): RequestLocale,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match state
        .workflow()
        .send_cancel_access_code(&account.acting(), &id)
        .await
    {
        Ok(sent) => Ok(code_sent(locale, sent)),
        Err(e) => Ok(refusal(e)),
    }
}

/// 取消接入, step 2 (the call is the confirmation): the texted code and the sponsor's filing
/// password (checked by the registry). The access becomes `cancelling` and 取消接入 goes to
/// the bureau; the number stays with the ministry.
#[utoipa::path(post, path = "/websites/{id}/cancel-access", tag = "sponsor",
    params(("id" = String, Path, description = "the website id (from `GET /sponsor`)")),
    request_body = CancelAccessInput,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = CancelAccessAnswer),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`, `website_not_found`", body = ErrorBody),
        (status = 409, description = "`no_active_access`, `access_cancelling`, \
            `sponsor_not_filed`", body = ErrorBody),
        (status = 422, description = "`invalid_input`; `cancel_code_missing`, \
            `cancel_code_expired`, `cancel_code_incorrect` (tries left), \
            `cancel_code_exhausted` naming `sms_code`; `filing_password_incorrect`",
            body = ErrorBody),
        (status = 429, description = "`filing_password_locked`: where to recover the password",
            body = ErrorBody),
        (status = 502, description = "`registry_unavailable`", body = ErrorBody),
    ))]
pub async fn cancel_access(
    State(state): State<AppState>,
    account: CurrentAccount,
    RequestLocale(locale): RequestLocale,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CancelAccessInput>,
) -> Result<Response, ApiError> {
    let access = state
        .workflow()
        .cancel_access(&account.acting(), &id, &input)
        .await?;
    Ok(Json(CancelAccessAnswer {
        access,
        notice: CancelledAccess::notice(locale),
    })
    .into_response())
}

/// The answer to a texted 取消接入 code, a website's or an APP's: where it went, in words.
fn code_sent(locale: beian_core::i18n::Locale, sent: CancelCodeSent) -> Response {
    let message = messages().render(
        locale,
        "sponsor.code_sent",
        &[
            ("mobile", sent.sent_to.clone()),
            ("minutes", sent.valid_minutes.to_string()),
        ],
    );
    Json(CancelCodeAnswer { sent, message }).into_response()
}

/// 取消接入 of an APP (issue 18), step 1: as a website's, the code to the APP's responsible
/// person's mobile on file.
#[utoipa::path(post, path = "/apps/{id}/cancel-access/code", tag = "sponsor",
    params(("id" = String, Path, description = "the APP id (from `GET /sponsor`)")),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = CancelCodeAnswer),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`, `website_not_found` (no such APP of the \
            sponsor)", body = ErrorBody),
        (status = 409, description = "`no_active_access`, `access_cancelling`, \
            `no_mobile_on_file`", body = ErrorBody),
        (status = 429, description = "`cancel_code_too_soon`", body = ErrorBody),
    ))]
pub async fn send_app_cancel_code(
    State(state): State<AppState>,
    account: CurrentAccount,
    RequestLocale(locale): RequestLocale,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match state
        .workflow()
        .send_app_cancel_access_code(&account.acting(), &id)
        .await
    {
        Ok(sent) => Ok(code_sent(locale, sent)),
        Err(e) => Ok(refusal(e)),
    }
}

/// 取消接入 of an APP, step 2: the texted code and the filing password. The APP's access here
/// becomes `cancelling` and the extension's `QXJR` goes to the bureau; the APP's number stays
/// with the ministry.
#[utoipa::path(post, path = "/apps/{id}/cancel-access", tag = "sponsor",
    params(("id" = String, Path, description = "the APP id (from `GET /sponsor`)")),
    request_body = CancelAccessInput,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = CancelAccessAnswer),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`, `website_not_found` (no such APP of the \
            sponsor)", body = ErrorBody),
        (status = 409, description = "`no_active_access`, `access_cancelling`, \
            `sponsor_not_filed`", body = ErrorBody),
        (status = 422, description = "`invalid_input`; `cancel_code_missing`, \
            `cancel_code_expired`, `cancel_code_incorrect` (tries left), \
            `cancel_code_exhausted` naming `sms_code`; `filing_password_incorrect`",
            body = ErrorBody),
        (status = 429, description = "`filing_password_locked`: where to recover the password",
            body = ErrorBody),
        (status = 502, description = "`registry_unavailable`", body = ErrorBody),
    ))]
pub async fn cancel_app_access(
    State(state): State<AppState>,
    account: CurrentAccount,
    RequestLocale(locale): RequestLocale,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CancelAccessInput>,
) -> Result<Response, ApiError> {
    let access = state
        .workflow()
        .cancel_app_access(&account.acting(), &id, &input)
        .await?;
    Ok(Json(CancelAccessAnswer {
        access,
        notice: CancelledAccess::notice(locale),
    })
    .into_response())
}

/// The body of `POST /sponsor/orders`, `POST /websites/{id}/orders` and `POST
/// /apps/{id}/orders`.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
#[serde(default)]
pub struct ChangeOrderInput {
    /// `change_sponsor` or `cancel_sponsor` (`/sponsor/orders`); `change_website`,
    /// `change_access` or `cancel_website` (`/websites/{id}/orders`); `change_website` or
    /// `cancel_website` (`/apps/{id}/orders`).
    pub kind: String,
}

async fn change_order(
    state: &AppState,
    account: &CurrentAccount,
    kind: &str,
    website_id: Option<&str>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    let kind = FilingKind::parse(kind.trim()).ok_or(WorkflowError::Sponsor(
        beian_platform::workflow::SponsorRefusal::KindNotAllowed,
    ))?;
    let id = state
        .workflow()
        .create_change_order(&acting, kind, website_id)
        .await?;
    let view = state.workflow().order_view(&acting, &id).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// 变更主体 or 注销主体 of the account's filed sponsor: a `draft` order, its forms prefilled
/// from our records (docs/api.md "Changes and cancellations": what each kind may change and
/// needs). The rest of the flow is the ordinary one (`/orders/{id}/…`).
#[utoipa::path(post, path = "/sponsor/orders", tag = "sponsor",
    request_body = ChangeOrderInput,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "the order as `GET /orders/{id}` shows it"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`", body = ErrorBody),
        (status = 409, description = "`sponsor_not_filed`, `not_accessed_here`, \
            `order_in_progress`", body = ErrorBody),
        (status = 422, description = "`kind_not_allowed` naming `kind`", body = ErrorBody),
    ))]
pub async fn sponsor_order(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<ChangeOrderInput>,
) -> Result<Response, ApiError> {
    change_order(&state, &account, &input.kind, None).await
}

/// 变更网站, 变更接入 or 注销网站 of one of the sponsor's filed websites accessed here.
#[utoipa::path(post, path = "/websites/{id}/orders", tag = "sponsor",
    params(("id" = String, Path, description = "the website id (from `GET /sponsor`)")),
    request_body = ChangeOrderInput,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "the order as `GET /orders/{id}` shows it"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`, `website_not_found`", body = ErrorBody),
        (status = 409, description = "`sponsor_not_filed`, `website_not_filed`, \
            `not_accessed_here`, `access_cancelling`, `order_in_progress`", body = ErrorBody),
        (status = 422, description = "`kind_not_allowed` naming `kind`", body = ErrorBody),
    ))]
pub async fn website_order(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChangeOrderInput>,
) -> Result<Response, ApiError> {
    change_order(&state, &account, &input.kind, Some(&id)).await
}

/// 变更APP (`kind: change_website`; the APP form is then `PUT /orders/{id}/app`) or 注销APP
/// (`kind: cancel_website`) of one of the sponsor's filed APPs accessed here (`GET /sponsor`
/// lists them).
#[utoipa::path(post, path = "/apps/{id}/orders", tag = "sponsor",
    params(("id" = String, Path, description = "the APP id (from `GET /sponsor`)")),
    request_body = ChangeOrderInput,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "the order as `GET /orders/{id}` shows it"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`no_sponsor`, `website_not_found` (no such APP of the \
            sponsor)", body = ErrorBody),
        (status = 409, description = "`sponsor_not_filed`, `website_not_filed`, \
            `not_accessed_here`, `access_cancelling`", body = ErrorBody),
        (status = 422, description = "`order_in_progress`; `kind_not_allowed` naming `kind` \
            for `cancel_access` (an APP's 取消接入 is `POST /apps/{id}/cancel-access`); \
            `app_kind_not_supported` naming `kind` for any other kind (继续接入 of an APP is \
            not built)", body = ErrorBody),
    ))]
pub async fn app_order(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChangeOrderInput>,
) -> Result<Response, ApiError> {
    let acting = account.acting();
    let kind = FilingKind::parse(input.kind.trim()).ok_or(WorkflowError::Sponsor(
        beian_platform::workflow::SponsorRefusal::KindNotAllowed,
    ))?;
    let order_id = state
        .workflow()
        .create_app_change_order(&acting, kind, &id)
        .await?;
    let view = state.workflow().order_view(&acting, &order_id).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Imports a legacy (万网) account's filing data into this account: once, irreversibly, with
/// `confirm: true`.
#[utoipa::path(post, path = "/legacy-imports", tag = "sponsor",
    request_body = LegacyImportInput,
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 201, body = LegacyImportAnswer),
        (status = 401, description = "`unauthenticated`; `legacy_credentials_invalid` naming \
            `legacy_password`", body = ErrorBody),
        (status = 409, description = "`account_has_sponsor`, `legacy_already_imported`, \
            `legacy_sponsor_exists`, `legacy_domain_exists`", body = ErrorBody),
        (status = 422, description = "`invalid_input`; `confirmation_required` naming \
            `confirm`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`", body = ErrorBody),
    ))]
pub async fn legacy_import(
    State(state): State<AppState>,
    account: CurrentAccount,
    RequestLocale(locale): RequestLocale,
    ApiJson(input): ApiJson<LegacyImportInput>,
) -> Result<Response, ApiError> {
    let imported = match state
        .workflow()
        .import_legacy(&account.acting(), &input)
        .await
    {
        Ok(imported) => imported,
        Err(e) => return Ok(refusal(e)),
    };
    let message = messages().render(locale, "sponsor.legacy_imported", &[]);
    Ok((
        StatusCode::CREATED,
        Json(LegacyImportAnswer { imported, message }),
    )
        .into_response())
}

/// The routes of this module.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_sponsor))
        .routes(routes!(send_cancel_code))
        .routes(routes!(cancel_access))
        .routes(routes!(send_app_cancel_code))
        .routes(routes!(cancel_app_access))
        .routes(routes!(legacy_import))
        .routes(routes!(sponsor_order))
        .routes(routes!(website_order))
        .routes(routes!(app_order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_platform::workflow::{SponsorRefusal, WorkflowError};

    #[test]
    fn the_document_lists_the_sponsor_paths_with_their_schemas() {
        let doc = crate::api::openapi::document(crate::api::v1_routes());
        let json = serde_json::to_value(&doc).unwrap();
        for (path, method) in [
            ("/api/v1/sponsor", "get"),
            ("/api/v1/websites/{id}/cancel-access/code", "post"),
            ("/api/v1/websites/{id}/cancel-access", "post"),
            ("/api/v1/legacy-imports", "post"),
        ] {
            assert!(json["paths"][path][method].is_object(), "{method} {path}");
        }
        for schema in ["SponsorView", "CancelAccessInput", "LegacyImportInput"] {
            assert!(
                json["components"]["schemas"][schema].is_object(),
                "{schema}"
            );
        }
    }

    #[test]
    fn refusals_keep_their_status_code_and_field_through_the_api() {
        use beian_core::i18n::Locale;
        let cases = [
            (
                SponsorRefusal::CodeIncorrect { tries_left: 2 },
                422,
                "sms_code",
            ),
            (SponsorRefusal::ConfirmRequired, 422, "confirm"),
            (SponsorRefusal::LegacyCredentials, 401, "legacy_password"),
        ];
        for (refusal, status, field) in cases {
            let code = refusal.code();
            let parts = ApiError::from(WorkflowError::Sponsor(refusal)).parts();
            assert_eq!(parts.status.as_u16(), status);
            assert_eq!(parts.code, code);
            let body = parts.body(Locale::En);
            assert!(body["error"]["fields"][field].is_string(), "{body}");
        }
    }
}
