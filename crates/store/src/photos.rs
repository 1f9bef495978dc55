//! Photo verification (拍照核验) records: backdrop requests (幕布 by post) and photo checks
//! (a backdrop photo, or a Shanghai bureau app code), with their decisions.
//!
//! - A backdrop request's recipient, mobile and address are personal data: the caller's JSON
//!   is sealed whole (AES-256-GCM, the sealed-payload domain) into `contact_ct`; only the
//!   province code stays in clear. `Debug` never shows the contact.
//! - At most one request per order is open (`requested`): the partial unique index
//!   `backdrop_requests_open_key` guards it against races ([`StoreError::Unique`]).
//! - A photo check keeps the raw photo's object key only until the decision
//!   ([`Tx::decide_photo_check`] clears it); the digest, decision, reason and decider stay
//!   (DESIGN.md §8). [`Store::mark_photo_object_deleted`] records that the object is gone.

use serde_json::{Value, json};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// A new backdrop request. `contact` is sealed whole.
#[derive(Clone, PartialEq)]
pub struct NewBackdropRequest<'a> {
    pub order_id: &'a str,
    pub account_id: &'a str,
    /// GB/T 2260 province code of the address.
    pub province: &'a str,
    pub contact: &'a Value,
}

impl std::fmt::Debug for NewBackdropRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewBackdropRequest")
            .field("order_id", &self.order_id)
            .field("province", &self.province)
            .field("contact", &"<sealed>")
            .finish_non_exhaustive()
    }
}

/// A stored backdrop request, its contact opened.
#[derive(Clone, PartialEq)]
pub struct BackdropRequest {
    pub id: String,
    pub order_id: String,
    pub account_id: String,
    pub province: String,
    pub contact: Value,
    /// `requested` or `shipped`.
    pub status: String,
    pub tracking_number: Option<String>,
    pub requested_by: String,
    pub requested_at: i64,
    pub shipped_by: Option<String>,
    pub shipped_at: Option<i64>,
}

impl std::fmt::Debug for BackdropRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackdropRequest")
            .field("id", &self.id)
            .field("order_id", &self.order_id)
            .field("province", &self.province)
            .field("contact", &"<personal data>")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// How the responsible person was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoMethodRecord {
    BackdropPhoto,
    ShanghaiApp,
}

impl PhotoMethodRecord {
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoMethodRecord::BackdropPhoto => "backdrop_photo",
            PhotoMethodRecord::ShanghaiApp => "shanghai_app",
        }
    }
}

/// A new photo check: a stored photo (object key, type, size, digest) or an app code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhotoCheck<'a> {
    pub order_id: &'a str,
    pub method: PhotoMethodRecord,
    pub object_key: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub size: Option<i64>,
    pub sha256_hex: Option<&'a str>,
    pub app_code: Option<&'a str>,
}

/// A decision on a photo check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoDecision<'a> {
    /// `approved` or `rejected`.
    pub decision: &'a str,
    pub reason_code: Option<&'a str>,
    pub reason_text: Option<&'a str>,
}

/// A stored photo check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoCheck {
    pub id: String,
    pub order_id: String,
    /// `backdrop_photo` or `shanghai_app`.
    pub method: String,
    /// The raw photo's key; `None` once decided.
    pub object_key: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub sha256_hex: Option<String>,
    pub app_code: Option<String>,
    pub submitted_by: String,
    pub submitted_at: i64,
    /// `approved`, `rejected`, or `None` while pending.
    pub decision: Option<String>,
    pub reason_code: Option<String>,
    pub reason_text: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub object_deleted_at: Option<i64>,
}

const BACKDROP_COLS: &str = "id, order_id, account_id, province, contact_ct, status, \
    tracking_number, requested_by, requested_at, shipped_by, shipped_at";

const PHOTO_COLS: &str = "id, order_id, method, object_key, content_type, size, sha256, \
    app_code, submitted_by, submitted_at, decision, reason_code, reason_text, decided_by, \
    decided_at, object_deleted_at";

fn photo_from_row(r: &sqlx::any::AnyRow) -> Result<PhotoCheck> {
    Ok(PhotoCheck {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        method: r.try_get("method")?,
        object_key: r.try_get("object_key")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256_hex: r.try_get("sha256")?,
        app_code: r.try_get("app_code")?,
        submitted_by: r.try_get("submitted_by")?,
        submitted_at: r.try_get("submitted_at")?,
        decision: r.try_get("decision")?,
        reason_code: r.try_get("reason_code")?,
        reason_text: r.try_get("reason_text")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        object_deleted_at: r.try_get("object_deleted_at")?,
    })
}

impl Tx {
    /// Records a backdrop request (contact sealed). `Unique { backdrop_requests_open_key }`
    /// when the order already has an open one.
    pub async fn insert_backdrop_request(
        &mut self,
        actor: &str,
        r: &NewBackdropRequest<'_>,
    ) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        let sealed = self
            .store
            .crypto()
            .seal_str(Field::Outbox, &r.contact.to_string());
        sqlx::query(
            "INSERT INTO backdrop_requests (id, order_id, account_id, province, contact_ct, \
             status, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7)",
        )
        .bind(&id)
        .bind(r.order_id)
        .bind(r.account_id)
        .bind(r.province)
        .bind(sealed)
        .bind(actor)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "backdrop.request", format!("order:{}", r.order_id))
                .after(json!({"request": id, "province": r.province})),
        );
        Ok(id)
    }

    /// The id of the order's open (`requested`) backdrop request, read in this transaction.
    pub async fn open_backdrop_request(&mut self, order_id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT id FROM backdrop_requests WHERE order_id = $1 AND status = 'requested'",
        )
        .bind(order_id)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
    }

    /// Marks a requested backdrop as shipped. `InvalidState` when it is not `requested`
    /// (already shipped, possibly by a concurrent call); `NotFound` when there is none.
    pub async fn mark_backdrop_shipped(
        &mut self,
        actor: &str,
        id: &str,
        tracking_number: &str,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE backdrop_requests SET status = 'shipped', tracking_number = $1, \
             shipped_by = $2, shipped_at = $3 WHERE id = $4 AND status = 'requested'",
        )
        .bind(tracking_number)
        .bind(actor)
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() != 1 {
            let exists = sqlx::query("SELECT id FROM backdrop_requests WHERE id = $1")
                .bind(id)
                .fetch_optional(self.conn())
                .await?
                .is_some();
            return Err(if exists {
                StoreError::InvalidState {
                    what: "backdrop request",
                    expected: "requested",
                }
            } else {
                StoreError::NotFound {
                    what: "backdrop request",
                }
            });
        }
        self.append_audit(
            AuditEntry::new(actor, "backdrop.shipped", format!("backdrop:{id}"))
                .after(json!({"status": "shipped", "tracking_number": tracking_number})),
        );
        Ok(())
    }

    /// Records a submitted photo (or app code), pending unless decided at once.
    pub async fn insert_photo_check(
        &mut self,
        actor: &str,
        p: &NewPhotoCheck<'_>,
    ) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO photo_checks (id, order_id, method, object_key, content_type, size, \
             sha256, app_code, submitted_by, submitted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(p.order_id)
        .bind(p.method.as_str())
        .bind(p.object_key)
        .bind(p.content_type)
        .bind(p.size)
        .bind(p.sha256_hex)
        .bind(p.app_code)
        .bind(actor)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "photo.submit", format!("order:{}", p.order_id)).after(
                json!({"photo": id, "method": p.method.as_str(), "sha256": p.sha256_hex,
                       "size": p.size}),
            ),
        );
        Ok(id)
    }

    /// Records the decision on a pending photo check and forgets its object key (the caller
    /// deletes the object after the commit). `Conflict` when it was decided already.
    pub async fn decide_photo_check(
        &mut self,
        actor: &str,
        id: &str,
        d: &PhotoDecision<'_>,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE photo_checks SET decision = $1, reason_code = $2, reason_text = $3, \
             decided_by = $4, decided_at = $5, object_key = NULL \
             WHERE id = $6 AND decision IS NULL",
        )
        .bind(d.decision)
        .bind(d.reason_code)
        .bind(d.reason_text)
        .bind(actor)
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::Conflict { what: "photo" });
        }
        self.append_audit(
            AuditEntry::new(actor, "photo.decide", format!("photo:{id}"))
                .after(json!({"decision": d.decision, "reason": d.reason_code})),
        );
        Ok(())
    }
}

impl Store {
    fn backdrop_from_row(&self, r: &sqlx::any::AnyRow) -> Result<BackdropRequest> {
        let ct: Vec<u8> = r.try_get("contact_ct")?;
        let text = self.crypto().open_str(Field::Outbox, &ct)?;
        let contact = serde_json::from_str(&text)
            .map_err(|_| StoreError::Corrupt("backdrop_requests.contact"))?;
        Ok(BackdropRequest {
            id: r.try_get("id")?,
            order_id: r.try_get("order_id")?,
            account_id: r.try_get("account_id")?,
            province: r.try_get("province")?,
            contact,
            status: r.try_get("status")?,
            tracking_number: r.try_get("tracking_number")?,
            requested_by: r.try_get("requested_by")?,
            requested_at: r.try_get("requested_at")?,
            shipped_by: r.try_get("shipped_by")?,
            shipped_at: r.try_get("shipped_at")?,
        })
    }

    pub async fn backdrop_request(&self, id: &str) -> Result<BackdropRequest> {
        let row = sqlx::query(sql!(
            "SELECT {BACKDROP_COLS} FROM backdrop_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound {
            what: "backdrop request",
        })?;
        self.backdrop_from_row(&row)
    }

    /// Backdrop requests in `status`, oldest request first.
    pub async fn backdrop_requests(
        &self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<BackdropRequest>> {
        let rows = sqlx::query(sql!(
            "SELECT {BACKDROP_COLS} FROM backdrop_requests WHERE status = $1 \
             ORDER BY requested_at, id LIMIT $2"
        ))
        .bind(status)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| self.backdrop_from_row(r)).collect()
    }

    /// The order's backdrop requests, oldest first.
    pub async fn backdrop_requests_of_order(&self, order_id: &str) -> Result<Vec<BackdropRequest>> {
        let rows = sqlx::query(sql!(
            "SELECT {BACKDROP_COLS} FROM backdrop_requests WHERE order_id = $1 \
             ORDER BY requested_at, id"
        ))
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| self.backdrop_from_row(r)).collect()
    }

    /// The order's photo checks, oldest first.
    pub async fn photo_checks(&self, order_id: &str) -> Result<Vec<PhotoCheck>> {
        let rows = sqlx::query(sql!(
            "SELECT {PHOTO_COLS} FROM photo_checks WHERE order_id = $1 \
             ORDER BY submitted_at, id"
        ))
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(photo_from_row).collect()
    }

    /// The order's latest undecided photo check, if any.
    pub async fn pending_photo_check(&self, order_id: &str) -> Result<Option<PhotoCheck>> {
        let row = sqlx::query(sql!(
            "SELECT {PHOTO_COLS} FROM photo_checks WHERE order_id = $1 AND decision IS NULL \
             ORDER BY submitted_at DESC, id DESC LIMIT 1"
        ))
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(photo_from_row).transpose()
    }

    /// Records that a decided photo's object is gone from the object store.
    pub async fn mark_photo_object_deleted(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE photo_checks SET object_deleted_at = $1 \
             WHERE id = $2 AND object_deleted_at IS NULL",
        )
        .bind(self.now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
