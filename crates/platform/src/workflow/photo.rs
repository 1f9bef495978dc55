//! Photo verification (拍照核验, DESIGN.md §5, seed 1 step 7): the applicant asks for the
//! backdrop (幕布) by post and uploads the photo taken before it, or, in Shanghai, enters the
//! code of the Shanghai bureau's app face check; the provider posts backdrops and its
//! reviewers approve or reject photos.
//!
//! - [`Workflow::request_backdrop`]: owner only; the order's flow must have the backdrop
//!   photo, the order must be open and its photo not yet approved; one open request per order.
//! - [`Workflow::backdrop_requests`] / [`Workflow::ship_backdrop`]: reviewers and admins.
//!   The list shows the whole label (recipient, mobile, address) while a request is
//!   `requested`: whoever posts it must write it on the parcel, and reviewers are the
//!   provider's staff who need it (DESIGN.md §8 "those who need the whole"). Once shipped the
//!   need is gone: recipient, mobile and street are masked. Marking shipped queues the
//!   applicant's `BackdropShipped` email and SMS in the same transaction.
//! - [`Workflow::upload_photo`] (`photo_pending → photo_review`) and
//!   [`Workflow::submit_shanghai_code`] (`photo_pending → queued_for_bureau`, the flow's
//!   `ShanghaiAppVerified`; see `photo_input` for the code's format).
//! - [`Workflow::decide_photo`]: `photo_review → queued_for_bureau` (approve) or back to
//!   `photo_pending` with the reason in the order's `return_reasons` (reject). Reviewers never
//!   decide on orders of their own account. Whenever the order reaches `queued_for_bureau`
//!   here, the same transaction enqueues the `bureau.upload` job and stores
//!   `deadlines.bureau_submit` (unix ms: end of the first Shanghai working day after now).
//! - The raw photo object is deleted after the decision commits; the decision transaction
//!   also enqueues `photo.purge` `{object_key}`, which [`run_purge_job`] runs idempotently,
//!   so a failed deletion is retried. The row keeps digest, decision, reason and decider.
//!
//! The storefront flow's app identity check is [`Workflow::record_app_identity`] (`product`).

use beian_core::calendar::deadline_after;
use beian_core::i18n::Locale;
use beian_core::order::{Event, apply};
use beian_store::StoreError;
use beian_store::accounts::Role;
use beian_store::objects::Objects;
use beian_store::orders::{TimelineEvent, TransitionExtras};
use beian_store::photos::{NewPhotoCheck, PhotoDecision, PhotoMethodRecord};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::error::{FieldErrors, WorkflowError};
use super::photo_input::{PhotoRefusal, PhotoRejectReason, ShanghaiAppCode};
use super::view::Loaded;
use super::{Acting, Workflow, messages};
use crate::materials::{FileType, Sanitized};
use crate::notify::{Notification, ReturnReason};

/// The job that deletes a decided photo's object.
pub const PHOTO_PURGE_JOB: &str = "photo.purge";
/// Most backdrop requests listed at once.
pub const BACKDROP_LIST_LIMIT: i64 = 500;
/// Working days the provider has to submit to the bureau after the photo step.
const BUREAU_SUBMIT_WORKING_DAYS: u32 = 1;

/// The result of a photo step change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoStepDone {
    pub state: String,
    pub version: i64,
    /// The photo check's id.
    pub photo_id: String,
    /// SHA-256 of the stored (cleaned) photo, hex; none for a Shanghai code.
    pub sha256: Option<String>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoVerdict {
    Approve,
    Reject(PhotoRejectReason),
}

/// The raw photo waiting for review, for its reviewer.
#[derive(Clone, PartialEq, Eq)]
pub struct PhotoForReview {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for PhotoForReview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoForReview")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

pub(super) fn json_err(e: serde_json::Error) -> WorkflowError {
    WorkflowError::Store(StoreError::Json(e))
}

pub(super) fn is_reviewer(acting: &Acting) -> bool {
    matches!(acting.role, Role::Reviewer | Role::Admin)
}

/// The order's deadlines with `bureau_submit` set: the end of the first Shanghai working
/// day after `now`, as unix milliseconds.
pub fn with_bureau_deadline(deadlines: &Value, now: DateTime<Utc>) -> Value {
    let mut out = match deadlines {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    let due = deadline_after(now, BUREAU_SUBMIT_WORKING_DAYS);
    out.insert("bureau_submit".into(), json!(due.at.timestamp_millis()));
    Value::Object(out)
}

/// The reason in `locale`: the code's words, and the reviewer's text if any.
fn reason_text(reason: &PhotoRejectReason, locale: Locale) -> String {
    let base = messages().render(locale, reason.code.message_key(), &[]);
    match &reason.text {
        Some(t) => format!("{base}: {t}"),
        None => base,
    }
}

/// The reason as the applicant sees it in `return_reasons`.
fn reason_entry(reason: &PhotoRejectReason) -> Value {
    let render = |locale| reason_text(reason, locale);
    json!([{
        "field": "photo",
        "code": reason.code.as_str(),
        "message": render(Locale::ZhCn),
        "message_en": render(Locale::En),
        "text": reason.text,
    }])
}

impl Workflow<'_> {
    /// `POST /orders/{id}/photo` (multipart): the photo before the backdrop, already cleaned
    /// (JPEG or PNG only). `photo_pending → photo_review`; the object is deleted again if the
    /// transaction fails.
    pub async fn upload_photo(
        &self,
        acting: &Acting,
        order_id: &str,
        file: Sanitized,
        objects: &Objects,
    ) -> Result<PhotoStepDone, WorkflowError> {
        if !matches!(file.file_type, FileType::Jpeg | FileType::Png) {
            return Err(WorkflowError::Invalid(FieldErrors::from([(
                "file".to_owned(),
                super::FieldError::new("photo.photo_not_image"),
            )])));
        }
        let l = self.load(acting, order_id).await?;
        let flow = l.flow(self.store.now());
        let next = apply(l.state, Event::PhotoUploaded, &flow)?;
        let content_type = file.file_type.mime();
        let stored = objects.put(file.bytes).await?;
        let actor = acting.actor();
        let written = async {
            let mut tx = self.store.begin().await?;
            let version = tx
                .transition_order_with(
                    order_id,
                    l.order.version,
                    next.as_str(),
                    &TimelineEvent::new(&actor, "photo_uploaded"),
                    &TransitionExtras {
                        return_reasons: Some(json!([])),
                        ..TransitionExtras::default()
                    },
                )
                .await?;
            let id = tx
                .insert_photo_check(
                    &actor,
                    &NewPhotoCheck {
                        order_id,
                        method: PhotoMethodRecord::BackdropPhoto,
                        object_key: Some(&stored.key),
                        content_type: Some(content_type),
                        size: Some(stored.size),
                        sha256_hex: Some(&stored.sha256_hex),
                        app_code: None,
                    },
                )
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>((version, id))
        }
        .await;
        match written {
            Ok((version, photo_id)) => Ok(PhotoStepDone {
                state: next.as_str().to_owned(),
                version,
                photo_id,
                sha256: Some(stored.sha256_hex),
            }),
            Err(e) => {
                if let Err(cleanup) = objects.delete(&stored.key).await {
                    tracing::warn!(error = %cleanup, "orphan photo object left behind");
                }
                Err(e.into())
            }
        }
    }

    /// `POST /orders/{id}/photo` `{shanghai_app_code}`: the Shanghai bureau's app face check
    /// passed. `photo_pending → queued_for_bureau` (the flow's `ShanghaiAppVerified`), with
    /// the bureau job and deadline, in one transaction.
    pub async fn submit_shanghai_code(
        &self,
        acting: &Acting,
        order_id: &str,
        code: &str,
    ) -> Result<PhotoStepDone, WorkflowError> {
        let code = ShanghaiAppCode::parse(code).map_err(|e| {
            WorkflowError::Invalid(FieldErrors::from([("shanghai_app_code".to_owned(), e)]))
        })?;
        let l = self.load(acting, order_id).await?;
        let now = self.store.now();
        let flow = l.flow(now);
        let next = apply(l.state, Event::ShanghaiAppVerified, &flow)?;
        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        let version = tx
            .transition_order_with(
                order_id,
                l.order.version,
                next.as_str(),
                &TimelineEvent::new(&actor, "shanghai_app_verified"),
                &TransitionExtras {
                    deadlines: Some(with_bureau_deadline(&l.order.deadlines, now)),
                    return_reasons: Some(json!([])),
                },
            )
            .await?;
        let id = tx
            .insert_photo_check(
                &actor,
                &NewPhotoCheck {
                    order_id,
                    method: PhotoMethodRecord::ShanghaiApp,
                    object_key: None,
                    content_type: None,
                    size: None,
                    sha256_hex: None,
                    app_code: Some(code.as_str()),
                },
            )
            .await?;
        tx.decide_photo_check(
            "system:shanghai-app-code",
            &id,
            &PhotoDecision {
                decision: "approved",
                reason_code: None,
                reason_text: None,
            },
        )
        .await?;
        tx.enqueue_job(
            crate::bureau::UPLOAD_JOB,
            &crate::bureau::order_upload_payload(order_id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(PhotoStepDone {
            state: next.as_str().to_owned(),
            version,
            photo_id: id,
            sha256: None,
        })
    }

    /// The order under review and its pending photo, after the reviewer checks.
    async fn photo_under_review(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<(Loaded, beian_store::photos::PhotoCheck), WorkflowError> {
        if !is_reviewer(acting) {
            return Err(WorkflowError::NotFound { what: "order" });
        }
        let order = self.store.order(order_id).await?;
        if order.account_id == acting.account_id {
            return Err(WorkflowError::OwnOrder);
        }
        let l = self.load_any(order).await?;
        let photo = self
            .store
            .pending_photo_check(order_id)
            .await?
            .ok_or(WorkflowError::Photo(PhotoRefusal::NoPendingPhoto))?;
        Ok((l, photo))
    }

    /// `GET /review/orders/{id}/photo`: the raw photo waiting for review.
    pub async fn photo_for_review(
        &self,
        acting: &Acting,
        order_id: &str,
        objects: &Objects,
    ) -> Result<PhotoForReview, WorkflowError> {
        let (_, photo) = self.photo_under_review(acting, order_id).await?;
        let key = photo
            .object_key
            .ok_or(WorkflowError::Photo(PhotoRefusal::NoPendingPhoto))?;
        Ok(PhotoForReview {
            content_type: photo.content_type.unwrap_or_default(),
            bytes: objects.get(&key).await?,
        })
    }

    /// `POST /review/orders/{id}/photo/approve|reject`. One transaction: the state moves with
    /// the expected version (`Conflict` when another reviewer came first), the decision is
    /// recorded and the object key forgotten, `photo.purge` is queued, and on approval the
    /// `bureau.upload` job and `deadlines.bureau_submit`; on rejection the reason goes to
    /// `return_reasons`. The object is deleted after the commit.
    pub async fn decide_photo(
        &self,
        acting: &Acting,
        order_id: &str,
        verdict: &PhotoVerdict,
        objects: &Objects,
    ) -> Result<PhotoStepDone, WorkflowError> {
        let (l, photo) = self.photo_under_review(acting, order_id).await?;
        let now = self.store.now();
        let flow = l.flow(now);
        let (event, name) = match verdict {
            PhotoVerdict::Approve => (Event::PhotoApproved, "photo_approved"),
            PhotoVerdict::Reject(_) => (Event::PhotoRejected, "photo_rejected"),
        };
        let next = apply(l.state, event, &flow)?;
        let extras = match verdict {
            PhotoVerdict::Approve => TransitionExtras {
                deadlines: Some(with_bureau_deadline(&l.order.deadlines, now)),
                return_reasons: Some(json!([])),
            },
            PhotoVerdict::Reject(reason) => TransitionExtras {
                return_reasons: Some(reason_entry(reason)),
                ..TransitionExtras::default()
            },
        };
        let decision = match verdict {
            PhotoVerdict::Approve => PhotoDecision {
                decision: "approved",
                reason_code: None,
                reason_text: None,
            },
            PhotoVerdict::Reject(r) => PhotoDecision {
                decision: "rejected",
                reason_code: Some(r.code.as_str()),
                reason_text: r.text.as_deref(),
            },
        };
        let actor = acting.actor();
        let mut ev = TimelineEvent::new(&actor, name);
        if let PhotoVerdict::Reject(r) = verdict {
            ev.note = json!({ "reason": r.code.as_str() });
        }
        let to = crate::bureau::applicant_recipients(self.store, &l.order.account_id).await?;
        let mut tx = self.store.begin().await?;
        let version = tx
            .transition_order_with(order_id, l.order.version, next.as_str(), &ev, &extras)
            .await?;
        tx.decide_photo_check(&actor, &photo.id, &decision).await?;
        if let PhotoVerdict::Reject(reason) = verdict {
            // The customer is told, with the reason, by mail and SMS.
            let notice = Notification::PhotoRejected {
                order_id: order_id.to_owned(),
                domain: l.forms.subject(),
                reasons: vec![ReturnReason {
                    field: "photo".to_owned(),
                    message: reason_text(reason, to.locale),
                }],
            };
            let event_id = format!("order:{order_id}:v{version}");
            crate::notify::enqueue_notification(&mut tx, &event_id, &notice, &to).await?;
        }
        if let Some(key) = &photo.object_key {
            tx.enqueue_job(PHOTO_PURGE_JOB, &json!({ "object_key": key }), now)
                .await?;
        }
        if matches!(verdict, PhotoVerdict::Approve) {
            tx.enqueue_job(
                crate::bureau::UPLOAD_JOB,
                &crate::bureau::order_upload_payload(order_id),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        if let Some(key) = &photo.object_key {
            match purge(objects, key).await {
                // The decision is committed: a failure to note the deletion is only logged.
                Ok(()) => {
                    if let Err(e) = self.store.mark_photo_object_deleted(&photo.id).await {
                        tracing::warn!(error = %e, photo = %photo.id,
                            "photo object deleted but not noted");
                    }
                }
                Err(e) => tracing::warn!(error = %e, photo = %photo.id,
                    "photo object not deleted yet; the photo.purge job retries"),
            }
        }
        Ok(PhotoStepDone {
            state: next.as_str().to_owned(),
            version,
            photo_id: photo.id,
            sha256: photo.sha256_hex,
        })
    }
}

/// Deletes an object; one that is already gone counts as deleted.
async fn purge(objects: &Objects, key: &str) -> Result<(), StoreError> {
    match objects.delete(key).await {
        Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The `photo.purge` job (payload `{object_key}`): deletes a decided photo's raw object.
/// Idempotent: an object already gone is success. The error text is for the job's
/// `last_error` (no personal data: the key is random).
pub async fn run_purge_job(objects: &Objects, payload: &Value) -> Result<(), String> {
    let key = payload
        .get("object_key")
        .and_then(Value::as_str)
        .ok_or_else(|| "photo.purge payload without object_key".to_owned())?;
    purge(objects, key)
        .await
        .map_err(|e| format!("deleting the photo object failed: {e}"))
}

#[cfg(test)]
#[path = "photo_tests.rs"]
mod tests;
