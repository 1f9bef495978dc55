//! The API's error type: every failure an `/api/v1` handler can return, mapped to a status and
//! the JSON body API.md defines:
//!
//! ```json
//! {"error": {"code": "validation_failed", "message": "…", "fields": {"username": "…"}}}
//! ```
//!
//! Messages are localised: an [`ApiError`] renders in zh-CN and leaves its parts on the
//! response, and the API's locale layer re-renders them in the request's language
//! ([`localize_response`]). Texts come from `messages/api.toml` (keys `api.error.<code>` and
//! `api.field.<what>`), or from core's catalogue for core's [`Localized`] errors. Internal
//! causes are logged here and never sent to the client.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::i18n::{Locale, Localized};
use beian_store::StoreError;
use serde_json::{Map, Value, json};

use beian_platform::workflow::WorkflowError;

pub use beian_platform::message::{FieldError, Message, messages};

/// A failure of an API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`, or another code with its `api.error.<code>` message.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// 401 `unauthenticated`: no valid session cookie or API key.
    #[error("unauthenticated")]
    Unauthenticated,
    /// 401 `invalid_credentials`: the username or password is wrong (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403 `forbidden`: authenticated, but the role does not allow it.
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// 409 `conflict`: a concurrent change or a state that does not allow the request.
    #[error("conflict")]
    Conflict,
    /// 413 `payload_too_large`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 422 `validation_failed` with one message per wrong field.
    #[error("validation failed")]
    Validation { fields: Vec<FieldError> },
    /// Any other refusal: a status, a stable code and its message (e.g. 422
    /// `domain_accessed_here` with a core error's message, 409 `request_in_progress`).
    #[error("{code}")]
    Coded {
        status: StatusCode,
        code: &'static str,
        message: Message,
    },
    /// 429 with `Retry-After` seconds; `code` is `too_many_requests` or `too_many_attempts`.
    #[error("rate limited: {code}")]
    TooManyRequests {
        code: &'static str,
        retry_after_secs: u64,
    },
    /// The service cannot do its work right now (the database is unreachable).
    #[error("unavailable")]
    Unavailable,
    /// 503 `busy` with `Retry-After`: the database is overloaded (a writer waited its turn
    /// longer than the store allows). Nothing was changed; the client may retry.
    #[error("busy")]
    Busy,
    /// A workflow service's refusal (see `From<WorkflowError>`): its status, code, message
    /// and fields come from the [`WorkflowError`] itself, rendered in the request's language.
    #[error("{0}")]
    Workflow(Arc<WorkflowError>),
    /// Something went wrong that the client cannot fix; the cause is logged, not sent.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// 422 `validation_failed` naming one field.
    pub fn field(path: impl Into<String>, key: &'static str) -> ApiError {
        ApiError::Validation {
            fields: vec![FieldError::new(path, key)],
        }
    }

    /// A refusal with its own code and a core error's message, e.g.
    /// `ApiError::rejected(StatusCode::UNPROCESSABLE_ENTITY, "domain_accessed_here", &e)`.
    pub fn rejected(status: StatusCode, code: &'static str, e: &dyn Localized) -> ApiError {
        ApiError::Coded {
            status,
            code,
            message: Message::from_localized(e),
        }
    }

    /// A refusal with its own code whose message is `api.error.<code>` in `messages/api.toml`.
    pub fn coded(status: StatusCode, code: &'static str, key: &'static str) -> ApiError {
        ApiError::Coded {
            status,
            code,
            message: Message::new(key),
        }
    }

    /// An internal failure; the cause is logged when the response is made.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(e))
    }

    /// The status, code, message and fields of the body.
    pub fn parts(&self) -> ErrorParts {
        let simple = |status, code: &'static str, key: &'static str| ErrorParts {
            status,
            code,
            message: Message::new(key),
            fields: Vec::new(),
            workflow: None,
        };
        match self {
            ApiError::BadRequest(code) => ErrorParts {
                status: StatusCode::BAD_REQUEST,
                code,
                message: Message::new(bad_request_key(code)),
                fields: Vec::new(),
                workflow: None,
            },
            ApiError::Unauthenticated => simple(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "api.error.unauthenticated",
            ),
            ApiError::InvalidCredentials => simple(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "api.error.invalid_credentials",
            ),
            ApiError::Forbidden => {
                simple(StatusCode::FORBIDDEN, "forbidden", "api.error.forbidden")
            }
            ApiError::NotFound => simple(StatusCode::NOT_FOUND, "not_found", "api.error.not_found"),
            ApiError::Conflict => simple(StatusCode::CONFLICT, "conflict", "api.error.conflict"),
            ApiError::PayloadTooLarge => simple(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "api.error.payload_too_large",
            ),
            ApiError::Validation { fields } => ErrorParts {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "validation_failed",
                message: Message::new("api.error.validation_failed"),
                fields: fields.clone(),
                workflow: None,
            },
            ApiError::Coded {
                status,
                code,
                message,
            } => ErrorParts {
                status: *status,
                code,
                message: message.clone(),
                fields: Vec::new(),
                workflow: None,
            },
            ApiError::TooManyRequests {
                code,
                retry_after_secs,
            } => ErrorParts {
                status: StatusCode::TOO_MANY_REQUESTS,
                code,
                message: if *code == "too_many_attempts" {
                    Message::new("api.error.too_many_attempts")
                        .with_arg("minutes", retry_after_secs.div_ceil(60).to_string())
                } else {
                    Message::new("api.error.too_many_requests")
                },
                fields: Vec::new(),
                workflow: None,
            },
            ApiError::Unavailable => simple(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "api.error.unavailable",
            ),
            ApiError::Busy => simple(StatusCode::SERVICE_UNAVAILABLE, "busy", "api.error.busy"),
            ApiError::Workflow(e) => ErrorParts {
                status: StatusCode::from_u16(e.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                code: e.code(),
                message: Message::new(e.message_key()),
                fields: Vec::new(),
                workflow: Some(e.clone()),
            },
            ApiError::Internal(_) => simple(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "api.error.internal",
            ),
        }
    }
}

fn bad_request_key(code: &str) -> &'static str {
    match code {
        "invalid_body" => "api.error.invalid_body",
        "bad_idempotency_key" => "api.error.bad_idempotency_key",
        _ => "api.error.bad_request",
    }
}

/// `Retry-After` of a 503 `busy`: the write queue drains in milliseconds, so one second.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// Which field a unique constraint of the store guards (see the store's migrations).
fn unique_field(constraint: &str) -> Option<(&'static str, &'static str)> {
    match constraint {
        "accounts_username_key" => Some(("username", "api.field.taken")),
        "sponsors_certificate_key" => {
            Some(("sponsor.certificate_number", "api.field.already_registered"))
        }
        "websites_domain_key" => Some(("domain", "api.field.already_registered")),
        _ => None,
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound { .. } => ApiError::NotFound,
            StoreError::Busy => ApiError::Busy,
            StoreError::Conflict { .. } | StoreError::InvalidState { .. } => ApiError::Conflict,
            StoreError::Unique { constraint } => match unique_field(constraint) {
                Some((path, key)) => ApiError::field(path, key),
                None => ApiError::Conflict,
            },
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

/// The one mapping of workflow refusals to API errors: a store failure is internal (logged,
/// not shown); every other refusal keeps the workflow's status, code, localized message and
/// field map (a foreign or unknown order is its 404 `not_found`).
impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> ApiError {
        match e {
            WorkflowError::Store(StoreError::Busy) => ApiError::Busy,
            WorkflowError::Store(cause) => ApiError::Internal(Box::new(cause)),
            WorkflowError::Registry(cause) => {
                tracing::warn!(error = %cause, "registry unavailable");
                ApiError::Workflow(Arc::new(WorkflowError::Registry(cause)))
            }
            other => ApiError::Workflow(Arc::new(other)),
        }
    }
}

/// An error body's parts, kept on the response (as an extension) so that the locale layer
/// can render it in the request's language.
#[derive(Debug, Clone)]
pub struct ErrorParts {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Message,
    pub fields: Vec<FieldError>,
    /// A workflow refusal renders its message and fields itself.
    pub workflow: Option<Arc<WorkflowError>>,
}

impl ErrorParts {
    /// The JSON body in `locale`.
    pub fn body(&self, locale: Locale) -> Value {
        if let Some(e) = &self.workflow {
            let mut error = Map::new();
            error.insert("code".into(), json!(self.code));
            error.insert("message".into(), json!(e.localize(locale)));
            let fields: BTreeMap<String, String> = e.fields(locale);
            if !fields.is_empty() {
                error.insert("fields".into(), json!(fields));
            }
            return json!({ "error": error });
        }
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message.render(locale)));
        if !self.fields.is_empty() {
            let mut fields = Map::new();
            for f in &self.fields {
                // The first message of a field wins.
                fields
                    .entry(f.path.clone())
                    .or_insert_with(|| json!(f.message.render(locale)));
            }
            error.insert("fields".into(), Value::Object(fields));
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            ApiError::Unavailable => tracing::warn!("service unavailable"),
            ApiError::Busy => tracing::debug!("busy: a writer waited too long for its turn"),
            _ => {}
        }
        let parts = self.parts();
        let mut response = (parts.status, Json(parts.body(Locale::ZhCn))).into_response();
        let retry_after = match self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => Some(retry_after_secs),
            ApiError::Busy => Some(BUSY_RETRY_AFTER_SECS),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(parts);
        response
    }
}

/// Renders an error response in `locale` (its status and headers are kept); other responses
/// pass unchanged. Takes the parts off, so a response is rendered once.
pub fn localize_response(mut response: Response, locale: Locale) -> Response {
    let Some(parts) = response.extensions_mut().remove::<ErrorParts>() else {
        return response;
    };
    if locale == Locale::ZhCn {
        return response;
    }
    let body = parts.body(locale).to_string();
    response.headers_mut().remove(header::CONTENT_LENGTH);
    *response.body_mut() = Body::from(body);
    response
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
