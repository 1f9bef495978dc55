//! Reading a posted form (`application/x-www-form-urlencoded`): [`Posted`] checks the CSRF
//! field against the browser's token before the handler sees anything, and keeps every
//! value (repeated names too, for check boxes) so a refused form is shown again as typed.
//! Also the mapping of a platform refusal to the messages beside the fields.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use beian_platform::workflow::WorkflowError;

use crate::portal::i18n::Lang;
use crate::portal::page::PageError;
use crate::portal::security::{CSRF_FIELD, CsrfToken};
use crate::startup::AppState;

/// Largest form body the pages accept (uploads go through multipart instead).
const FORM_LIMIT: usize = 64 * 1024;

/// A posted form whose CSRF token matched.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    pairs: Vec<(String, String)>,
}

impl FromRequest<AppState> for Posted {
    type Rejection = PageError;

    async fn from_request(req: Request, _: &AppState) -> Result<Posted, PageError> {
        let token = req
            .extensions()
            .get::<CsrfToken>()
            .cloned()
            .ok_or(PageError::Csrf)?;
        let body = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| PageError::TooLarge)?;
        let posted = Posted::parse(&body)?;
        crate::portal::security::check(&token, posted.get(CSRF_FIELD))?;
        Ok(posted)
    }
}

impl Posted {
    pub fn parse(body: &Bytes) -> Result<Posted, PageError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| PageError::BadRequest)?;
        // Control characters are refused in every field, as the API refuses them.
        if pairs
            .iter()
            .any(|(_, v)| !v.chars().all(crate::api::allowed_char))
        {
            return Err(PageError::BadRequest);
        }
        Ok(Posted { pairs })
    }

    /// The first value of `name`, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    pub fn owned(&self, name: &str) -> String {
        self.get(name).to_owned()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

/// What a refused form shows: a message on top and the messages by field path. `None` for
/// failures that are not the applicant's to fix (logged; the error page is shown).
pub fn refusal(e: &WorkflowError, lang: Lang) -> Option<(String, BTreeMap<String, String>)> {
    if e.status() >= 500 {
        tracing::error!(error = %e, "portal: workflow failed");
        return None;
    }
    Some((e.localize(lang.locale()), e.fields(lang.locale())))
}

/// A workflow failure as a page error (not found stays not found; the rest is internal).
pub fn page_error(e: &WorkflowError) -> PageError {
    match e.status() {
        404 => PageError::NotFound,
        403 => PageError::Forbidden,
        _ => {
            tracing::error!(error = %e, "portal: workflow failed");
            PageError::Internal
        }
    }
}

/// An admin service's refusal as a re-shown form: the status, the message on top (empty when
/// every message is beside its field) and the messages by field path. Not found stays not
/// found; the failures that are not the admin's to fix are logged and become the error page.
pub fn admin_refusal(
    e: beian_platform::admin::AdminError,
    lang: Lang,
) -> Result<(axum::http::StatusCode, String, BTreeMap<String, String>), PageError> {
    use axum::http::StatusCode;
    use beian_platform::admin::AdminError;
    match e {
        AdminError::Invalid(fields) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            fields
                .into_iter()
                .map(|f| (f.path, f.message.render(lang.locale())))
                .collect(),
        )),
        AdminError::Refused(status, _, message) => Ok((
            StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT),
            message.render(lang.locale()),
            BTreeMap::new(),
        )),
        AdminError::Store(e) => Err(e.into()),
        AdminError::Internal(cause) => {
            tracing::error!(error = %cause, "portal: admin change failed");
            Err(PageError::Internal)
        }
    }
}
