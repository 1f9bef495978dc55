//! The submission deadline (`deadlines.bureau_submit`, 1 working day after the photo
//! approval): past it with the upload still undelivered, an alert is recorded once (for the
//! admins' dashboard, [`beian_store::Store::open_alerts`]) and each admin is emailed
//! (`ProviderDeadlineBreach`), in one transaction. An upload that cannot be built at all
//! (data that does not fit V3.0) raises its own alert, once.

use beian_store::StoreError;
use beian_store::accounts::Role;
use chrono::DateTime;
use serde_json::{Value, json};

use super::{Bureau, enqueue_notification};
use crate::notify::{Contact, Notification, ProviderDuty, Recipients};

/// The alert kind of a missed submission deadline.
pub const DEADLINE_ALERT: &str = "bureau_submit_deadline";
/// The alert kind of an order whose upload cannot be built (its data does not fit V3.0).
pub const UPLOAD_FAILED_ALERT: &str = "bureau_upload_failed";

/// Records (once per order) that its upload cannot be built; `reason` holds no personal data.
pub(super) async fn upload_failed_alert(
    b: &Bureau<'_>,
    order_id: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = b.store.begin().await?;
    let raised = tx
        .raise_alert(
            UPLOAD_FAILED_ALERT,
            &format!("order:{order_id}"),
            &format!("{UPLOAD_FAILED_ALERT}:order:{order_id}"),
            &json!({ "order_id": order_id, "reason": reason }),
        )
        .await?;
    if raised {
        tx.commit().await
    } else {
        tx.rollback().await
    }
}

/// The order's `deadlines.bureau_submit`, as Unix milliseconds (stored as a number of
/// milliseconds or as an RFC 3339 text).
pub fn submit_deadline(deadlines: &Value) -> Option<i64> {
    let v = deadlines.get("bureau_submit")?;
    v.as_i64().or_else(|| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_millis())
    })
}

/// Past the submission deadline with the upload still undelivered: records the alert once
/// and emails the admins (in the same transaction).
pub(super) async fn check_deadline(b: &Bureau<'_>, order_id: &str) -> Result<(), StoreError> {
    let order = b.store.order(order_id).await?;
    let Some(deadline) = submit_deadline(&order.deadlines) else {
        return Ok(());
    };
    let now = b.store.now();
    if now.timestamp_millis() <= deadline {
        return Ok(());
    }
    let deadline_at = DateTime::from_timestamp_millis(deadline).unwrap_or(now);
    let domain = match &order.website_id {
        Some(w) => b.store.website(w).await?.data.domain,
        None => String::new(),
    };
    let admins = b.store.accounts_with_role(Role::Admin).await?;
    let mut tx = b.store.begin().await?;
    let raised = tx
        .raise_alert(
            DEADLINE_ALERT,
            &format!("order:{order_id}"),
            &format!("{DEADLINE_ALERT}:order:{order_id}"),
            &json!({ "order_id": order_id, "deadline": deadline, "noticed_at": now.timestamp_millis() }),
        )
        .await?;
    if !raised {
        tx.rollback().await?;
        return Ok(());
    }
    let notification = Notification::ProviderDeadlineBreach {
        order_id: order_id.to_owned(),
        domain,
        duty: ProviderDuty::SubmitToBureau,
        deadline: deadline_at,
    };
    for admin in admins.iter().filter(|a| !a.email.trim().is_empty()) {
        let to = Recipients {
            email: Some(Contact::new(admin.email.clone())),
            mobile: None,
            locale: beian_core::i18n::Locale::ZhCn,
        };
        enqueue_notification(
            &mut tx,
            &format!("alert:{DEADLINE_ALERT}:{order_id}:{}", admin.id),
            &notification,
            &to,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::warn!(
        order = %order_id,
        admins = admins.len(),
        "bureau submission deadline passed; admins alerted"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_both_forms() {
        let cases = [
            (
                json!({"bureau_submit": 1_700_000_000_000_i64}),
                Some(1_700_000_000_000),
            ),
            (
                json!({"bureau_submit": "2023-11-14T22:13:20Z"}),
                Some(1_700_000_000_000),
            ),
            (json!({"bureau_submit": "soon"}), None),
            (json!({}), None),
        ];
        for (deadlines, want) in cases {
            assert_eq!(submit_deadline(&deadlines), want, "{deadlines}");
        }
    }
}
