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
use beian_core::mask::mask;
use beian_core::order::{Event, OrderState, PhotoMethod, apply};
use beian_core::province::Province;
use beian_store::StoreError;
use beian_store::accounts::Role;
use beian_store::objects::Objects;
use beian_store::orders::{TimelineEvent, TransitionExtras};
use beian_store::photos::{
    BackdropRequest, NewBackdropRequest, NewPhotoCheck, PhotoDecision, PhotoMethodRecord,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::error::{FieldErrors, WorkflowError};
use super::photo_input::{
    BackdropRequestInput, PhotoRefusal, PhotoRejectReason, ShanghaiAppCode, ValidBackdropRequest,
    tracking_number,
};
use super::view::Loaded;
use super::{Acting, Workflow, mask_person_name, messages};
use crate::materials::{FileType, Sanitized};
use crate::notify::{Contact, Notification, NotifyJob, Recipients, jobs_for};

/// The job that submits an order to the bureau (built elsewhere).
pub const BUREAU_UPLOAD_JOB: &str = "bureau.upload";
/// The job that deletes a decided photo's object.
pub const PHOTO_PURGE_JOB: &str = "photo.purge";
/// Most backdrop requests listed at once.
pub const BACKDROP_LIST_LIMIT: i64 = 500;
/// Working days the provider has to submit to the bureau after the photo step.
const BUREAU_SUBMIT_WORKING_DAYS: u32 = 1;

/// A backdrop request as the applicant's answer shows it (masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BackdropRequested {
    pub id: String,
    pub order_id: String,
    pub status: String,
    pub recipient: String,
    pub mobile: String,
    pub province: String,
    pub requested_at: i64,
}

/// One line of the reviewers' backdrop list. Whole while `requested` (to post it), masked
/// once `shipped` (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BackdropListItem {
    pub id: String,
    pub order_id: String,
    pub status: String,
    pub recipient: String,
    pub mobile: String,
    /// GB/T 2260 code and name.
    pub province: String,
    pub province_name: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub tracking_number: Option<String>,
    pub requested_at: i64,
    pub shipped_at: Option<i64>,
}

/// The result of a photo step change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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

fn json_err(e: serde_json::Error) -> WorkflowError {
    WorkflowError::Store(StoreError::Json(e))
}

fn is_reviewer(acting: &Acting) -> bool {
    matches!(acting.role, Role::Reviewer | Role::Admin)
}

/// The states in which a backdrop may be requested: open, photo not yet approved (a bureau
/// return runs the photo step again after the resubmission).
fn backdrop_state_ok(state: OrderState) -> bool {
    matches!(
        state,
        OrderState::Draft
            | OrderState::ProviderReview
            | OrderState::Returned
            | OrderState::PhotoPending
            | OrderState::PhotoReview
            | OrderState::BureauReturned
    )
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

/// The reason as the applicant sees it in `return_reasons`.
fn reason_entry(reason: &PhotoRejectReason) -> Value {
    let render = |locale| {
        let base = messages().render(locale, reason.code.message_key(), &[]);
        match &reason.text {
            Some(t) => format!("{base}: {t}"),
            None => base,
        }
    };
    json!([{
        "field": "photo",
        "code": reason.code.as_str(),
        "message": render(Locale::ZhCn),
        "message_en": render(Locale::En),
        "text": reason.text,
    }])
}

fn list_item(r: &BackdropRequest) -> Result<BackdropListItem, WorkflowError> {
    let c: ValidBackdropRequest = serde_json::from_value(r.contact.clone())
        .map_err(|_| WorkflowError::Store(StoreError::Corrupt("backdrop_requests.contact")))?;
    let whole = r.status == "requested";
    let province_name = Province::parse(&r.province)
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    Ok(BackdropListItem {
        id: r.id.clone(),
        order_id: r.order_id.clone(),
        status: r.status.clone(),
        recipient: if whole {
            c.recipient
        } else {
            mask_person_name(&c.recipient)
        },
        mobile: if whole {
            c.mobile
        } else {
            mask(&c.mobile, 3, 4)
        },
        province: r.province.clone(),
        province_name,
        city: c.city,
        district: c.district,
        detail: if whole {
            c.detail
        } else {
            mask(&c.detail, 0, 0)
        },
        tracking_number: r.tracking_number.clone(),
        requested_at: r.requested_at,
        shipped_at: r.shipped_at,
    })
}

impl Workflow<'_> {
    /// `POST /orders/{id}/backdrop-requests`: asks for the backdrop by post.
    pub async fn request_backdrop(
        &self,
        acting: &Acting,
        order_id: &str,
        input: &BackdropRequestInput,
    ) -> Result<BackdropRequested, WorkflowError> {
        let valid = input.validate().map_err(WorkflowError::Invalid)?;
        let l = self.load(acting, order_id).await?;
        let flow = l.flow(self.store.now());
        if flow.photo != Some(PhotoMethod::Backdrop) {
            return Err(WorkflowError::Photo(PhotoRefusal::NoBackdropStep));
        }
        if !backdrop_state_ok(l.state) {
            return Err(WorkflowError::Photo(PhotoRefusal::BackdropNotNeeded));
        }
        let contact = serde_json::to_value(&valid).map_err(json_err)?;
        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        if tx.open_backdrop_request(order_id).await?.is_some() {
            return Err(WorkflowError::Photo(PhotoRefusal::BackdropRequestOpen));
        }
        let mut ev = TimelineEvent::new(&actor, "backdrop_requested");
        ev.note = json!({ "province": valid.province });
        tx.transition_order(order_id, l.order.version, l.state.as_str(), &ev)
            .await?;
        let id = tx
            .insert_backdrop_request(
                &actor,
                &NewBackdropRequest {
                    order_id,
                    account_id: &l.order.account_id,
                    province: &valid.province,
                    contact: &contact,
                },
            )
            .await
            .map_err(|e| match e {
                StoreError::Unique { .. } => {
                    WorkflowError::Photo(PhotoRefusal::BackdropRequestOpen)
                }
                other => other.into(),
            })?;
        tx.commit().await?;
        Ok(BackdropRequested {
            id,
            order_id: order_id.to_owned(),
            status: "requested".into(),
            recipient: mask_person_name(&valid.recipient),
            mobile: mask(&valid.mobile, 3, 4),
            province: valid.province,
            requested_at: self.store.now().timestamp_millis(),
        })
    }

    /// `GET /review/backdrops?status=`: the requests in `status` (`requested` or `shipped`),
    /// oldest first. Reviewers and admins (others: `NotFound`).
    pub async fn backdrop_requests(
        &self,
        acting: &Acting,
        status: &str,
    ) -> Result<Vec<BackdropListItem>, WorkflowError> {
        if !is_reviewer(acting) || !matches!(status, "requested" | "shipped") {
            return Err(WorkflowError::NotFound {
                what: "backdrop request",
            });
        }
        self.store
            .backdrop_requests(status, BACKDROP_LIST_LIMIT)
            .await?
            .iter()
            .map(list_item)
            .collect()
    }

    /// `POST /review/backdrops/{id}/shipped`: records the posting; the applicant is told by
    /// email and SMS (jobs in the same transaction).
    pub async fn ship_backdrop(
        &self,
        acting: &Acting,
        request_id: &str,
        tracking: &str,
    ) -> Result<BackdropListItem, WorkflowError> {
        if !is_reviewer(acting) {
            return Err(WorkflowError::NotFound {
                what: "backdrop request",
            });
        }
        let tracking = tracking_number(tracking).map_err(|e| {
            WorkflowError::Invalid(FieldErrors::from([("tracking_number".to_owned(), e)]))
        })?;
        let request = self.store.backdrop_request(request_id).await?;
        if request.account_id == acting.account_id {
            return Err(WorkflowError::OwnOrder);
        }
        if request.status != "requested" {
            return Err(WorkflowError::Photo(PhotoRefusal::BackdropAlreadyShipped));
        }
        let order = self.store.order(&request.order_id).await?;
        let account = self.store.account(&order.account_id).await?;
        let recipients = Recipients {
            email: (!account.email.trim().is_empty()).then(|| Contact::new(account.email.clone())),
            mobile: account.mobile.clone().map(Contact::new),
            locale: Locale::ZhCn,
        };
        let notification = Notification::BackdropShipped {
            order_id: order.id.clone(),
            tracking_number: tracking.clone(),
        };
        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        tx.mark_backdrop_shipped(&actor, request_id, &tracking)
            .await
            .map_err(|e| match e {
                StoreError::InvalidState { .. } => {
                    WorkflowError::Photo(PhotoRefusal::BackdropAlreadyShipped)
                }
                other => other.into(),
            })?;
        let mut ev = TimelineEvent::new(&actor, "backdrop_shipped");
        ev.note = json!({ "tracking_number": tracking });
        let version = tx
            .transition_order(&order.id, order.version, &order.state, &ev)
            .await?;
        let event_id = format!("order:{}:v{version}", order.id);
        for job in jobs_for(&event_id, &notification, &recipients) {
            let payload = serde_json::to_value(&job).map_err(json_err)?;
            tx.enqueue_job(NotifyJob::KIND, &payload, self.store.now())
                .await?;
        }
        tx.commit().await?;
        list_item(&self.store.backdrop_request(request_id).await?)
    }

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
        tx.enqueue_job(BUREAU_UPLOAD_JOB, &json!({ "order_id": order_id }), now)
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
        let mut tx = self.store.begin().await?;
        let version = tx
            .transition_order_with(order_id, l.order.version, next.as_str(), &ev, &extras)
            .await?;
        tx.decide_photo_check(&actor, &photo.id, &decision).await?;
        if let Some(key) = &photo.object_key {
            tx.enqueue_job(PHOTO_PURGE_JOB, &json!({ "object_key": key }), now)
                .await?;
        }
        if matches!(verdict, PhotoVerdict::Approve) {
            tx.enqueue_job(BUREAU_UPLOAD_JOB, &json!({ "order_id": order_id }), now)
                .await?;
        }
        tx.commit().await?;
        if let Some(key) = &photo.object_key {
            match purge(objects, key).await {
                Ok(()) => self.store.mark_photo_object_deleted(&photo.id).await?,
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
mod tests {
    use super::*;

    #[test]
    fn the_bureau_deadline_is_the_end_of_the_next_working_day_and_keeps_other_deadlines() {
        // Friday 2026-11-20 15:00 Shanghai → end of Monday 2026-11-23 Shanghai.
        let now = DateTime::parse_from_rfc3339("2026-11-20T15:00:00+08:00")
            .unwrap()
            .to_utc();
        let monday_end = DateTime::parse_from_rfc3339("2026-11-23T23:59:59.999+08:00")
            .unwrap()
            .to_utc();
        let d = with_bureau_deadline(&json!({"sms": 5}), now);
        assert_eq!(d["bureau_submit"], json!(monday_end.timestamp_millis()));
        assert_eq!(d["sms"], 5);
        let d = with_bureau_deadline(&json!([]), now);
        assert_eq!(d.as_object().map(serde_json::Map::len), Some(1));
    }

    #[test]
    fn the_reason_entry_names_the_photo_in_both_languages() {
        use super::super::photo_input::PhotoRejectCode;
        let entry = reason_entry(&PhotoRejectReason {
            code: PhotoRejectCode::RedOrBlueTop,
            text: Some("请换浅色上衣".into()),
        });
        assert_eq!(entry[0]["field"], "photo");
        assert_eq!(entry[0]["code"], "red_or_blue_top");
        let zh = entry[0]["message"].as_str().unwrap();
        assert!(
            zh.contains("红色或蓝色上衣") && zh.contains("请换浅色上衣"),
            "{zh}"
        );
        let en = entry[0]["message_en"].as_str().unwrap();
        assert!(en.contains("red or blue"), "{en}");
    }

    #[test]
    fn backdrops_are_requested_only_before_the_photo_is_approved() {
        for state in OrderState::ALL {
            let want = !matches!(
                state,
                OrderState::QueuedForBureau
                    | OrderState::AtBureau
                    | OrderState::SmsPending
                    | OrderState::Approved
                    | OrderState::Completed
                    | OrderState::Abandoned
            );
            assert_eq!(backdrop_state_ok(state), want, "{state}");
        }
    }

    #[tokio::test]
    async fn the_purge_job_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::open(&beian_store::objects::ObjectConfig::Local {
            dir: dir.path().join("objects"),
        })
        .unwrap();
        let stored = objects.put(b"face".to_vec()).await.unwrap();
        let payload = json!({ "object_key": stored.key });
        run_purge_job(&objects, &payload).await.unwrap();
        assert!(objects.get(&stored.key).await.is_err());
        run_purge_job(&objects, &payload).await.unwrap();
        assert!(run_purge_job(&objects, &json!({})).await.is_err());
    }
}
