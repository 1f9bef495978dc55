//! Sending the pending uploads, strictly in `dataSequence` order, and recording an accepted
//! one with what it means for its order, in one transaction: `queued_for_bureau` →
//! `at_bureau` (and `sms_pending` where the flow has the SMS check, with `SmsCheckComing`),
//! `SubmittedToBureau`, the service number `filing` if it was still `bound`, and the sealed
//! password hash deleted.
//!
//! A lost answer, or a bureau saying the number is used, is settled with
//! `isp_querypreviousupload`: a number at or below the bureau's last accepted one arrived.
//!
//! Each try is begun on the upload's row (`tried_at`) before the bureau is called, so an
//! abandon cannot withdraw an upload that may be on its way. An accepted upload of an order
//! abandoned meanwhile (docs/bureau-interop.md, "Abandoned after approval") moves nothing:
//! the abandoned order gets a timeline entry `upload_sent_after_abandon` (with its audit
//! record) and stays abandoned.

use beian_core::kind::FilingKind;
use beian_core::order::{Event, Flow, OrderState, ProductLine, apply};
use beian_core::province::Province;
use beian_core::rules::rules_for;
use beian_miit::v3::codes::ReturnCode;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::upload::UploadData;
use beian_store::StoreError;
use beian_store::bureau::Upload;
use beian_store::orders::TimelineEvent;
use beian_store::products::ServiceNumberStatus;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::submit::ACTOR;
use super::{Bureau, applicant_recipients, enqueue_notification};
use crate::notify::Notification;

/// The timeline event of an abandoned order's upload accepted by the bureau all the same.
pub const UPLOAD_SENT_AFTER_ABANDON: &str = "upload_sent_after_abandon";

/// The key of the SMS window in an order's `deadlines` (Unix ms; shown while `sms_pending`).
pub const SMS_WINDOW_DEADLINE: &str = "sms_window";

/// Sends every pending upload in number order; stops at the first that is not accepted.
pub async fn flush(b: &Bureau<'_>) -> Result<(), String> {
    let pending = b
        .store
        .pending_uploads(100)
        .await
        .map_err(|e| format!("store: {e}"))?;
    for upload in pending {
        // Begun before the bureau is called: from here on it cannot be withdrawn. Not
        // pending any more (withdrawn from an abandoned order, or accepted meanwhile): skip.
        match b.store.begin_upload_try(&upload.id).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return Err(format!("store: {e}")),
        }
        match send_one(b, &upload).await {
            Ok(()) => {}
            Err(reason) => {
                if let Err(e) = b.store.note_upload_failure(&upload.id, &reason).await {
                    tracing::warn!(error = %e, "upload failure not recorded");
                }
                return Err(reason);
            }
        }
    }
    Ok(())
}

async fn send_one(b: &Bureau<'_>, upload: &Upload) -> Result<(), String> {
    let sequence = u32::try_from(upload.sequence)
        .ok()
        .and_then(|n| DataSequence::new(n).ok())
        .ok_or_else(|| format!("bad sequence {}", upload.sequence))?;
    // beian's APP extension goes out as stored; a V3.0 document is parsed and sent.
    let text = String::from_utf8_lossy(&upload.xml);
    let answer = if beian_miit::ext::app::is_app_upload(&text) {
        b.client
            .upload_document(&upload.xml, sequence, &upload.file_name)
            .await
    } else {
        let data: UploadData = beian_miit::v3::xml::from_document_bytes(&upload.xml)
            .map_err(|e| format!("stored upload {} does not parse: {e}", upload.file_name))?;
        b.client.upload(&data, sequence, &upload.file_name).await
    };
    let accepted = match &answer {
        Ok(ret) if ret.code() == Some(ReturnCode::Success) => true,
        // Lost answer, or "number already used": did the bureau get it before?
        _ => already_accepted(b, sequence).await?,
    };
    if !accepted {
        return Err(match answer {
            Ok(ret) => format!("bureau answered {}: {}", ret.msg_code, ret.msg.trim()),
            Err(e) => format!(
                "bureau unreachable: {}",
                crate::notify::redact(&e.to_string())
            ),
        });
    }
    delivered(b, upload)
        .await
        .map_err(|e| format!("store: {e}"))?;
    tracing::info!(sequence = upload.sequence, file = %upload.file_name, "bureau upload accepted");
    Ok(())
}

/// Whether the bureau's last accepted number is `sequence` or later.
async fn already_accepted(b: &Bureau<'_>, sequence: DataSequence) -> Result<bool, String> {
    let prev = b.client.query_previous_upload().await.map_err(|e| {
        format!(
            "bureau unreachable: {}",
            crate::notify::redact(&e.to_string())
        )
    })?;
    Ok(prev.last_sequence.is_some_and(|last| last >= sequence))
}

/// The order's flow: as stored at submission, else under the rules in force.
pub(super) fn order_flow(
    kind: FilingKind,
    province: Province,
    stored: Option<&Value>,
    product_line: Option<&str>,
    at: DateTime<Utc>,
) -> Flow {
    stored
        .and_then(|f| serde_json::from_value::<Flow>(f.clone()).ok())
        .unwrap_or_else(|| {
            let product = match product_line {
                Some("storefront") => ProductLine::Storefront,
                _ => ProductLine::Server,
            };
            Flow::from_rules(kind, product, &rules_for(province, kind, at))
        })
}

/// Records the acceptance of `upload`, with what it means for its order, in one transaction.
async fn delivered(b: &Bureau<'_>, upload: &Upload) -> Result<(), StoreError> {
    let store = b.store;
    let mut tx = store.begin().await?;
    if !tx.mark_upload_sent(&upload.id).await? {
        tx.rollback().await?;
        return Ok(());
    }
    if let Some(access_id) = &upload.access_id {
        tx.delete_bureau_secret(&format!("access:{access_id}"))
            .await?;
    }
    if let Some(access_id) = &upload.app_access_id {
        tx.delete_bureau_secret(&format!("app_access:{access_id}"))
            .await?;
    }
    let Some(order_id) = &upload.order_id else {
        tx.commit().await?;
        return Ok(());
    };
    tx.delete_bureau_secret(&format!("order:{order_id}"))
        .await?;
    let order = store.order(order_id).await?;
    let (Some(kind), Ok(province), Some(state)) = (
        FilingKind::parse(&order.kind),
        Province::parse(&order.province),
        OrderState::parse(&order.state),
    ) else {
        return Err(StoreError::Corrupt("orders"));
    };
    if state == OrderState::Abandoned {
        // Abandoned after it was numbered: it went anyway (gap-free numbering); recorded on
        // the order, which stays abandoned.
        let mut event = TimelineEvent::new(ACTOR, UPLOAD_SENT_AFTER_ABANDON);
        event.note = json!({ "data_sequence": upload.sequence, "file": upload.file_name });
        tx.transition_order(order_id, order.version, state.as_str(), &event)
            .await?;
    }
    if state != OrderState::QueuedForBureau {
        tx.commit().await?;
        return Ok(());
    }
    let work = store.order_workflow(order_id).await?;
    let now = store.now();
    let flow = order_flow(
        kind,
        province,
        work.flow.as_ref(),
        work.product_line.as_deref(),
        now,
    );
    let domain = match &order.website_id {
        Some(w) => store.website(w).await?.data.domain,
        // An APP's order names its APP.
        None => store
            .app_of_order(order_id)
            .await?
            .map(|a| a.data.name)
            .unwrap_or_default(),
    };
    let mut event = TimelineEvent::new(ACTOR, "sent_to_bureau");
    event.note = json!({ "data_sequence": upload.sequence, "file": upload.file_name });
    let next = apply(state, Event::SentToBureau, &flow).unwrap_or(OrderState::AtBureau);
    let mut version = tx
        .transition_order(order_id, order.version, next.as_str(), &event)
        .await?;
    let to = applicant_recipients(store, &order.account_id).await?;
    enqueue_notification(
        &mut tx,
        &format!("order:{order_id}:v{version}"),
        &Notification::SubmittedToBureau {
            order_id: order_id.clone(),
            domain: domain.clone(),
        },
        &to,
    )
    .await?;
    if let Ok(sms) = apply(next, Event::SmsRequired, &flow) {
        let window = rules_for(province, kind, now)
            .sms
            .map_or(chrono::Duration::hours(24), |r| r.window);
        // The window the customer must meet shows in the order's deadlines while it runs.
        let mut deadlines = match &order.deadlines {
            serde_json::Value::Object(m) => m.clone(),
            _ => serde_json::Map::new(),
        };
        deadlines.insert(
            SMS_WINDOW_DEADLINE.into(),
            json!((now + window).timestamp_millis()),
        );
        version = tx
            .transition_order_with(
                order_id,
                version,
                sms.as_str(),
                &TimelineEvent::new(ACTOR, "sms_required"),
                &beian_store::orders::TransitionExtras {
                    deadlines: Some(serde_json::Value::Object(deadlines)),
                    ..Default::default()
                },
            )
            .await?;
        enqueue_notification(
            &mut tx,
            &format!("order:{order_id}:v{version}"),
            &Notification::SmsCheckComing {
                order_id: order_id.clone(),
                domain,
                window_hours: u32::try_from(window.num_hours()).unwrap_or(24),
                deadline: now + window,
            },
            &to,
        )
        .await?;
    }
    if let Some(n) = &work.service_number {
        let sn = store.service_number(n).await?;
        if sn.status == ServiceNumberStatus::Bound {
            tx.set_service_number_status(
                ACTOR,
                n,
                ServiceNumberStatus::Bound,
                ServiceNumberStatus::Filing,
                Some(order_id),
            )
            .await?;
        }
    }
    tx.commit().await
}
