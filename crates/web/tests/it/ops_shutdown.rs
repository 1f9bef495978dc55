//! Graceful shutdown (issue 20): an instance is stopped as SIGTERM stops it while its worker
//! is in the middle of a bureau upload (the bureau accepted the connection and has not
//! answered). The job's lease is given back at once (pending, due now, the cut-off attempt
//! not counted), and the next instance delivers the order exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use beian_store::testing;
use sqlx::Row;

use crate::harness::TestApp;
use crate::harness::setup::state_of;
use crate::harness::wait::wait_until;

/// A bureau that accepts connections and never answers; counts the connections.
async fn silent_bureau() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (addr, accepted)
}

/// The upload job of `order_id`: (status, lease owner, attempts).
async fn upload_job(
    store: &beian_store::Store,
    order_id: &str,
) -> Option<(String, Option<String>, i64)> {
    let rows = sqlx::query(
        "SELECT status, lease_owner, attempts, payload FROM jobs WHERE kind = 'bureau.upload'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.iter()
        .find(|r| r.get::<String, _>("payload").contains(order_id))
        .map(|r| (r.get("status"), r.get("lease_owner"), r.get("attempts")))
}

#[tokio::test]
async fn sigterm_mid_upload_gives_the_job_back_and_the_next_instance_delivers_once() {
    testing::each_backend(async |t| {
        // The real (simulated) bureau, and the data; this instance runs no worker.
        let holder = TestApp::new()
            .simulator_as_own_server()
            .without_worker()
            .start(t)
            .await;
        let id = holder
            .queued_order("grace", 31, "graceful-example.cn")
            .await;

        // Instance A talks to a bureau that never answers: its upload hangs mid-call.
        let (silent, accepted) = silent_bureau().await;
        let mut a = TestApp::new()
            .bureau_at(silent, holder.clock.clone())
            .start(t)
            .await;
        wait_until("A's worker is in the upload", || async {
            accepted.load(Ordering::SeqCst) > 0
                && upload_job(&a.store, &id)
                    .await
                    .is_some_and(|(status, owner, _)| status == "running" && owner.is_some())
        })
        .await;
        let (_, _, attempts_in_flight) = upload_job(&a.store, &id).await.unwrap();

        a.shutdown().await;
        let (status, owner, attempts) = upload_job(&holder.store, &id).await.unwrap();
        assert_eq!(status, "pending");
        assert_eq!(owner, None);
        assert_eq!(
            attempts,
            attempts_in_flight - 1,
            "the cut-off attempt is not counted"
        );
        assert_eq!(state_of(&holder.store, &id).await, "queued_for_bureau");

        // Instance B, on the real bureau, takes it at once and delivers it once.
        let b = TestApp::new().instance_of(&holder).start(t).await;
        wait_until("B delivered the order and finished its job", || async {
            matches!(
                state_of(&b.store, &id).await.as_str(),
                "at_bureau" | "sms_pending"
            ) && upload_job(&b.store, &id)
                .await
                .is_some_and(|(status, _, _)| status == "done")
        })
        .await;
        assert_eq!(b.store.uploads_of_order(&id).await.unwrap().len(), 1);
        assert_eq!(holder.regulator.reviews(None).await.unwrap().len(), 1);
    })
    .await;
}
