//! Backdrops (幕布) by post: the applicant's request, the reviewers' posting list and the
//! "shipped" mark. See `photo` (the module doc) for who sees what and why.

use beian_core::i18n::Locale;
use beian_core::mask::mask;
use beian_core::order::{OrderState, PhotoMethod};
use beian_core::province::Province;
use beian_store::StoreError;
use beian_store::orders::TimelineEvent;
use beian_store::photos::{BackdropRequest, NewBackdropRequest};
use serde::Serialize;
use serde_json::json;

use super::error::{FieldErrors, WorkflowError};
use super::photo::{BACKDROP_LIST_LIMIT, is_reviewer, json_err};
use super::photo_input::{
    BackdropRequestInput, PhotoRefusal, ValidBackdropRequest, tracking_number,
};
use super::{Acting, Workflow, mask_person_name};
use crate::notify::{Contact, Notification, NotifyJob, Recipients, jobs_for};

/// A backdrop request as the applicant's answer shows it (masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackdropRequested {
    pub id: String,
    pub order_id: String,
    pub status: String,
    pub recipient: String,
    pub mobile: String,
    pub province: String,
    pub requested_at: i64,
    /// Once shipped.
    pub tracking_number: Option<String>,
    pub shipped_at: Option<i64>,
}

impl BackdropRequested {
    /// The applicant's (masked) view of a stored request.
    pub(super) fn of(r: &BackdropRequest) -> Result<BackdropRequested, WorkflowError> {
        let c: ValidBackdropRequest = serde_json::from_value(r.contact.clone())
            .map_err(|_| WorkflowError::Store(StoreError::Corrupt("backdrop_requests.contact")))?;
        Ok(BackdropRequested {
            id: r.id.clone(),
            order_id: r.order_id.clone(),
            status: r.status.clone(),
            recipient: mask_person_name(&c.recipient),
            mobile: mask(&c.mobile, 3, 4),
            province: r.province.clone(),
            requested_at: r.requested_at,
            tracking_number: r.tracking_number.clone(),
            shipped_at: r.shipped_at,
        })
    }
}

/// One line of the reviewers' backdrop list. Whole while `requested` (to post it), masked
/// once `shipped` (see the module doc).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Personal data: only ids, status and province show.
impl std::fmt::Debug for BackdropListItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackdropListItem")
            .field("id", &self.id)
            .field("order_id", &self.order_id)
            .field("status", &self.status)
            .field("province", &self.province)
            .finish_non_exhaustive()
    }
}

/// The states in which a backdrop may be requested: open, photo not yet approved (a bureau
/// return runs the photo step again after the resubmission).
pub(super) fn backdrop_state_ok(state: OrderState) -> bool {
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

pub(super) fn list_item(r: &BackdropRequest) -> Result<BackdropListItem, WorkflowError> {
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
            tracking_number: None,
            shipped_at: None,
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
            let payload = crate::notify::seal_notify_job(self.store, &job)?;
            tx.enqueue_job(NotifyJob::KIND, &payload, self.store.now())
                .await?;
        }
        tx.commit().await?;
        list_item(&self.store.backdrop_request(request_id).await?)
    }
}
