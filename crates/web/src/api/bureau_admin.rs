//! `GET /api/v1/admin/bureau-downloads` (admins only): the files downloaded from the bureau,
//! newest first; `?unacted=true` lists only those beian did not act on (blacklists, notices,
//! results matching no upload), which are kept and shown here, never dropped. Each entry has
//! its summary and the whole file (it may name persons: admins only).

use super::ApiQuery as Query;
use axum::Json;
use axum::extract::State;
use beian_store::accounts::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::CurrentAccount;
use super::openapi::ErrorBody;
use crate::error::ApiError;
use crate::startup::AppState;

/// Most entries listed.
pub const LIST_LIMIT: i64 = 500;

/// `?unacted=true`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DownloadsQuery {
    pub unacted: Option<bool>,
}

/// One downloaded file.
#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadView {
    pub file_name: String,
    pub category: String,
    pub acted: bool,
    pub applied_to: Option<String>,
    #[schema(value_type = Object)]
    pub summary: Value,
    #[schema(value_type = Object)]
    pub file: Value,
    /// Unix milliseconds.
    pub received_at: i64,
}

/// The list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadsView {
    pub downloads: Vec<DownloadView>,
}

/// The bureau's downloaded files.
#[utoipa::path(get, path = "/admin/bureau-downloads", tag = "admin",
    params(DownloadsQuery),
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, body = DownloadsView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn bureau_downloads(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(q): Query<DownloadsQuery>,
) -> Result<Json<DownloadsView>, ApiError> {
    account.require_role(Role::Admin)?;
    let downloads = state
        .store
        .bureau_downloads(q.unacted.unwrap_or(false), LIST_LIMIT)
        .await?
        .into_iter()
        .map(|d| DownloadView {
            file_name: d.file_name,
            category: d.category,
            acted: d.acted,
            applied_to: d.applied_to,
            summary: d.summary,
            file: d.payload,
            received_at: d.received_at,
        })
        .collect();
    Ok(Json(DownloadsView { downloads }))
}
