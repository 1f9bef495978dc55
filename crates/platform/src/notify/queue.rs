//! Notification jobs in the queue: [`enqueue_notification`] puts one job per channel in the
//! transaction of the change that causes it, its payload sealed (`{"sealed": base64}`, the
//! store's `Outbox` crypto domain) since it names an email address or a mobile number;
//! [`open_notify_payload`] gives the worker the JSON back (plain payloads of older jobs pass
//! through as they are).

use beian_store::{Store, StoreError, Tx};
use serde_json::{Value, json};

use super::{Notification, NotifyJob, Recipients, jobs_for};

/// The key under which a notify job's payload is sealed.
const SEALED: &str = "sealed";

/// Enqueues the notification jobs of `notification` to `to`, in `tx`, their payloads sealed
/// (they name an email address or a mobile number). `event_id` makes the job ids.
pub async fn enqueue_notification(
    tx: &mut Tx,
    event_id: &str,
    notification: &Notification,
    to: &Recipients,
) -> Result<(), StoreError> {
    let now = tx.store().now();
    for job in jobs_for(event_id, notification, to) {
        let payload = seal_notify_job(tx.store(), &job)?;
        tx.enqueue_job(crate::notify::NotifyJob::KIND, &payload, now)
            .await?;
    }
    Ok(())
}

/// The queue payload of a notify job, sealed: `{"sealed": base64}`.
pub fn seal_notify_job(store: &Store, job: &NotifyJob) -> Result<Value, StoreError> {
    let plain = serde_json::to_string(job)?;
    let ct = store
        .crypto()
        .seal(beian_store::crypto::Field::Outbox, plain.as_bytes());
    Ok(json!({ SEALED: base64_encode(&ct) }))
}

/// A notify job's payload as JSON text: opened when sealed, as is otherwise.
pub fn open_notify_payload(store: &Store, payload: &Value) -> Result<String, StoreError> {
    match payload.get(SEALED).and_then(Value::as_str) {
        Some(b64) => {
            let ct = base64_decode(b64).ok_or(StoreError::Corrupt("jobs.payload"))?;
            let plain = store
                .crypto()
                .open(beian_store::crypto::Field::Outbox, &ct)?;
            String::from_utf8(plain).map_err(|_| StoreError::Corrupt("jobs.payload"))
        }
        None => Ok(payload.to_string()),
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Contact;
    use beian_core::i18n::Locale;
    use beian_store::{DataKey, StoreConfig};

    #[tokio::test]
    async fn payloads_are_sealed_and_open_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = StoreConfig::embedded(dir.path());
        config.data_key = Some(DataKey::generate());
        let store = Store::open(config).await.unwrap();
        let notification = Notification::SubmittedToBureau {
            order_id: "o1".into(),
            domain: "example.cn".into(),
        };
        let to = Recipients {
            email: Some(Contact::new("zhang@example.cn")),
            mobile: Some(Contact::new("13800138000")),
            locale: Locale::ZhCn,
        };
        let mut tx = store.begin().await.unwrap();
        enqueue_notification(&mut tx, "ev", &notification, &to)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let jobs = store.jobs_of_kind(NotifyJob::KIND).await.unwrap();
        assert_eq!(jobs.len(), 2, "email and SMS");
        for (_, _, _, payload) in &jobs {
            let shown = payload.to_string();
            assert!(
                !shown.contains("13800138000") && !shown.contains("zhang@"),
                "{shown}"
            );
            let job: NotifyJob =
                serde_json::from_str(&open_notify_payload(&store, payload).unwrap()).unwrap();
            assert_eq!(job.notification, notification);
        }
        // Older plain payloads pass through; a damaged seal is refused.
        let plain = json!({"id": "x"});
        assert_eq!(
            open_notify_payload(&store, &plain).unwrap(),
            plain.to_string()
        );
        for bad in [json!({"sealed": "not base64!"}), json!({"sealed": "AAAA"})] {
            assert!(open_notify_payload(&store, &bad).is_err(), "{bad}");
        }
    }
}
