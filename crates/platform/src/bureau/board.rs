//! The bureau status board of the staff pages (`/staff/bureau`, reviewers and admins): the
//! uploads whose sends failed, with the last error as stored (no personal data: the sender
//! records the bureau's codes and transport errors only, masked again here), and the
//! downloaded files beian did not act on (blacklists, notices, verification tasks), by their
//! summary only (the files themselves may name persons: the admins' API has them). The
//! orders waiting in `queued_for_bureau` come from the review queue
//! ([`crate::workflow::Workflow::review_queue_page`]).

use std::collections::BTreeMap;

use beian_store::{Store, StoreError};
use serde::Serialize;
use serde_json::Value;

use crate::notify::redact;

/// At most this many rows per list.
pub const BOARD_LIMIT: i64 = 200;

/// An upload not yet accepted whose sends failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedUpload {
    pub sequence: i64,
    pub file_name: String,
    /// `order:<id>` or `access:<id>`.
    pub subject: String,
    pub order_id: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A downloaded file not acted on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnactedDownload {
    pub file_name: String,
    /// `blacklist`, `notice`, `verification`, `result`, `other`, …
    pub category: String,
    /// Its summary (operation, `Bs`, codes: no personal data).
    pub summary: Value,
    pub received_at: i64,
}

/// The board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BureauBoard {
    /// Pending uploads with at least one failed send, lowest `dataSequence` first.
    pub failed: Vec<FailedUpload>,
    /// Per order, its pending upload's failed sends and last error.
    pub pending_by_order: BTreeMap<String, (i64, Option<String>)>,
    pub unacted: Vec<UnactedDownload>,
}

/// Reads the board: the pending uploads (at most [`BOARD_LIMIT`]) and the downloads not acted on.
pub async fn board(store: &Store) -> Result<BureauBoard, StoreError> {
    let mut failed = Vec::new();
    let mut pending_by_order = BTreeMap::new();
    for u in store.pending_uploads(BOARD_LIMIT).await? {
        let last_error = u.last_error.as_deref().map(redact);
        if let Some(order) = &u.order_id {
            pending_by_order.insert(order.clone(), (u.attempts, last_error.clone()));
        }
        if u.attempts > 0 {
            failed.push(FailedUpload {
                sequence: u.sequence,
                file_name: u.file_name,
                subject: u.subject,
                order_id: u.order_id,
                attempts: u.attempts,
                last_error,
                created_at: u.created_at,
            });
        }
    }
    let unacted = store
        .bureau_downloads(true, BOARD_LIMIT)
        .await?
        .into_iter()
        .map(|d| UnactedDownload {
            file_name: d.file_name,
            category: d.category,
            summary: d.summary,
            received_at: d.received_at,
        })
        .collect();
    Ok(BureauBoard {
        failed,
        pending_by_order,
        unacted,
    })
}
