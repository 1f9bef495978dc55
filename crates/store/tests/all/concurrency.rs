//! Optimistic concurrency with real concurrency: many transitions race on one order from
//! separate tasks and pools; exactly one wins, the others get `Conflict`. And concurrent
//! audit appends from two pools do not fork the chain.

use std::sync::Arc;

use beian_store::audit::head_file_path;
use beian_store::orders::TimelineEvent;
use beian_store::testing::each_backend;
use beian_store::{StoreError, verify_audit};
use tokio::sync::Barrier;

use crate::fixtures;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transitions_one_wins_rest_conflict() {
    each_backend(async |t| {
        let a = t.store.clone();
        let b = t.open_another().await;
        let mut tx = a.begin().await.unwrap();
        let (_, _, _, order) = fixtures::order_setup(&mut tx, "race").await;
        tx.commit().await.unwrap();

        for round in 0..5i64 {
            let version = a.order(&order).await.unwrap().version;
            assert_eq!(version, round + 1);
            const RACERS: usize = 6;
            let barrier = Arc::new(Barrier::new(RACERS));
            let mut handles = Vec::new();
            for i in 0..RACERS {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                let barrier = barrier.clone();
                let order = order.clone();
                handles.push(tokio::spawn(async move {
                    barrier.wait().await;
                    let mut tx = store.begin().await?;
                    let ev = TimelineEvent::new(&format!("racer:{i}"), "race");
                    let state = format!("state_{round}_{i}");
                    tx.transition_order(&order, version, &state, &ev).await?;
                    // Hold the transaction open a little so the others really overlap.
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    tx.commit().await?;
                    Ok::<String, StoreError>(state)
                }));
            }
            let mut wins = Vec::new();
            let mut conflicts = 0;
            for h in handles {
                match h.await.unwrap() {
                    Ok(state) => wins.push(state),
                    Err(StoreError::Conflict { what: "order" }) => conflicts += 1,
                    Err(e) => panic!("unexpected error on {:?}: {e:?}", t.backend),
                }
            }
            assert_eq!(wins.len(), 1, "exactly one winner in round {round}");
            assert_eq!(conflicts, RACERS - 1);
            let o = a.order(&order).await.unwrap();
            assert_eq!(o.state, wins[0]);
            assert_eq!(o.version, version + 1);
        }
        assert_eq!(a.order_timeline(&order).await.unwrap().len(), 6);
        verify_audit(&a, &head_file_path(&a)).await.unwrap();
        b.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_audit_appends_do_not_fork_the_chain() {
    each_backend(async |t| {
        let a = t.store.clone();
        let b = t.open_another().await;
        let mut handles = Vec::new();
        for i in 0..40 {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            handles.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                tx.append_audit(beian_store::AuditEntry::new(
                    "system",
                    "test.append",
                    format!("n:{i}"),
                ));
                tx.append_audit(beian_store::AuditEntry::new(
                    "system",
                    "test.append2",
                    format!("n:{i}"),
                ));
                tx.commit().await.unwrap();
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        // Each store writes the head file off its commits (coalesced); verification waits for
        // its own store's writer, so the other instance's is waited for here.
        b.flush_audit_head().await;
        let report = verify_audit(&a, &head_file_path(&a)).await.unwrap();
        assert_eq!(report.records, 80);
        assert_eq!(report.head_file_seq, Some(80));
        b.close().await;
    })
    .await;
}
