//! Store-side set-up the API does not offer, each in one transaction: a running instance
//! with service numbers, an order's materials (placeholder rows, or real stored objects),
//! orders moved through states by hand, the photo-approval stand-in that queues an order
//! for the bureau, a storefront subscription; and the admin tests' hand-run job pass.

use std::time::Duration;

use beian_core::calendar::deadline_after;
use beian_platform::bureau::{UPLOAD_JOB, order_upload_payload};
use beian_store::Store;
use beian_store::orders::{NewMaterial, NewOrder, TimelineEvent, TransitionExtras};
use beian_store::products::NewInstance;
use serde_json::{Value, json};

use super::TestApp;

/// Every material kind a first filing of an enterprise asks for.
pub const MATERIAL_KINDS: [&str; 8] = [
    "business_license",
    "sponsor_id_front",
    "sponsor_id_back",
    "website_owner_id_front",
    "website_owner_id_back",
    "verification_form",
    "domain_certificate",
    "pre_approval",
];

/// A running ECS instance (a year left) with the unbound service `numbers` on it.
pub async fn instance_with_numbers(store: &Store, numbers: &[String]) {
    let now = store.now().timestamp_millis();
    let mut tx = store.begin().await.unwrap();
    let instance = tx
        .insert_instance(
            "test",
            &NewInstance {
                account_id: None,
                product: "ecs",
                public_ip: Some("203.0.113.7"),
                term_start: now - 86_400_000,
                term_end: now + 365 * 86_400_000,
            },
        )
        .await
        .unwrap();
    for number in numbers {
        tx.insert_service_number("test", &instance, number)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// One running instance with one service number.
pub async fn service_number(store: &Store, number: &str) {
    instance_with_numbers(store, &[number.to_owned()]).await;
}

/// Every material of the order as placeholder rows (no stored object behind them).
pub async fn placeholder_materials(store: &Store, order_id: &str) {
    let mut tx = store.begin().await.unwrap();
    for (i, kind) in MATERIAL_KINDS.into_iter().enumerate() {
        tx.insert_material(
            "test",
            &NewMaterial {
                order_id,
                kind,
                object_key: &format!("{order_id}/{i}"),
                content_type: "image/jpeg",
                size: 10,
                sha256_hex: "00",
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A running instance with service number `number`, and every material as placeholders.
pub async fn product_and_materials(store: &Store, order_id: &str, number: &str) {
    service_number(store, number).await;
    placeholder_materials(store, order_id).await;
}

impl TestApp {
    /// A running instance with service number `number`, and every material stored for real
    /// in the object store (the bureau's upload reads them).
    pub async fn product_and_stored_materials(&self, order_id: &str, number: &str) {
        let mut stored = Vec::new();
        for kind in MATERIAL_KINDS {
            let bytes = format!("material {kind} of {order_id}").into_bytes();
            stored.push((kind, self.objects.put(bytes).await.unwrap()));
        }
        service_number(&self.store, number).await;
        let mut tx = self.store.begin().await.unwrap();
        for (kind, object) in &stored {
            tx.insert_material(
                "test",
                &NewMaterial {
                    order_id,
                    kind,
                    object_key: &object.key,
                    content_type: "image/jpeg",
                    size: object.size,
                    sha256_hex: &object.sha256_hex,
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// An order made in the store for `account_id`, in `draft`, then moved through the
    /// `steps` (simulated time to let pass, state, deadlines). Returns its id.
    pub async fn order_through(
        &self,
        account_id: &str,
        steps: &[(chrono::Duration, &str, Option<Value>)],
    ) -> String {
        let mut tx = self.store.begin().await.unwrap();
        let id = tx
            .insert_order(
                "test",
                &NewOrder {
                    account_id,
                    sponsor_id: None,
                    website_id: None,
                    kind: "first_filing",
                    state: "draft",
                    province: "33",
                },
            )
            .await
            .unwrap();
        tx.insert_order_workflow(&id, &json!({})).await.unwrap();
        tx.commit().await.unwrap();
        let mut version = 1;
        for (wait, state, deadlines) in steps {
            self.advance(*wait);
            let mut tx = self.store.begin().await.unwrap();
            version = tx
                .transition_order_with(
                    &id,
                    version,
                    state,
                    &TimelineEvent::new("test", "move"),
                    &TransitionExtras {
                        deadlines: deadlines.clone(),
                        ..TransitionExtras::default()
                    },
                )
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        id
    }

    /// Runs every due job once by hand (the builder's `without_worker`): deadline jobs
    /// through `run_deadline_job`, others (notification deliveries) completed without
    /// sending. Returns the kinds that ran.
    pub async fn run_due_jobs(&self) -> Vec<String> {
        let ran = std::sync::Mutex::new(Vec::new());
        let state = &self.state;
        let handler = |job: beian_store::jobs::Job| {
            ran.lock().unwrap().push(job.kind.clone());
            async move {
                if job.kind.starts_with("deadline.") {
                    let wf = state.workflow();
                    beian_platform::deadlines::run_deadline_job(&wf, &job.kind, &job.payload).await
                } else {
                    Ok(())
                }
            }
        };
        self.store
            .run_jobs_once("test-worker", 100, Duration::from_secs(60), &handler)
            .await
            .unwrap();
        ran.into_inner().unwrap()
    }

    /// The payloads of the notification jobs of `event`, opened as the worker does.
    pub async fn notifications(&self, event: &str) -> Vec<Value> {
        self.store
            .jobs_of_kinds(&["notify"], None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|j| {
                let text =
                    beian_platform::notify::open_notify_payload(&self.store, &j.payload).unwrap();
                serde_json::from_str::<Value>(&text).unwrap()
            })
            .filter(|p| p["notification"]["event"] == event)
            .collect()
    }
}

/// STANDS IN FOR THE PHOTO-APPROVAL STEP: the order (in `photo_pending`) moves to
/// `queued_for_bureau` with `deadlines.bureau_submit` 1 working day after now, and its
/// `bureau.upload` job is enqueued, in one transaction.
pub async fn queue_for_bureau(store: &Store, id: &str) {
    queue_for_bureau_at(store, id, store.now()).await;
}

/// [`queue_for_bureau`] with the upload job due at `due` (a later instant: the order waits in
/// `queued_for_bureau` with nothing numbered until the clock gets there).
pub async fn queue_for_bureau_at(store: &Store, id: &str, due: chrono::DateTime<chrono::Utc>) {
    let order = store.order(id).await.unwrap();
    assert_eq!(order.state, "photo_pending");
    let now = store.now();
    let deadline = deadline_after(now, 1).at.timestamp_millis();
    let mut tx = store.begin().await.unwrap();
    tx.transition_order_with(
        id,
        order.version,
        "queued_for_bureau",
        &TimelineEvent::new("test:fixture", "photo_approved"),
        &TransitionExtras {
            deadlines: Some(json!({ "bureau_submit": deadline })),
            ..TransitionExtras::default()
        },
    )
    .await
    .unwrap();
    tx.enqueue_job(UPLOAD_JOB, &order_upload_payload(id), due)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The account's storefront (旺铺 / 企业官网) subscription, a year long.
pub async fn storefront_subscription(store: &Store, account_id: &str) {
    let now = store.now().timestamp_millis();
    let mut tx = store.begin().await.unwrap();
    tx.insert_storefront_subscription("test", account_id, "active", now + 365 * 86_400_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The fixture sponsor the access tests use: its number, credit code, name and first domain.
pub fn fixture_sponsor() -> (&'static str, String, &'static str, &'static str) {
    let (number, code, name, sites) = beian_regulator::fixture::SPONSORS[0];
    (number, code.to_owned(), name, sites[0].0)
}

/// The order's state.
pub async fn state_of(store: &Store, order_id: &str) -> String {
    store.order(order_id).await.unwrap().state
}
