//! The write path of issue 14: SQLite writers wait their turn for the one writer connection
//! and get `Busy` (not a 10 s lock wait) past `write_wait`; a transition keeps the instant the
//! order entered its state (moved only by a change of state) and tells a missing order from a
//! moved one; a transaction's audit records (one multi-row insert) chain and verify, and the
//! coalesced head file catches up with every commit; the order view's timeline slice
//! (newest entries and the count of all).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use beian_store::audit::{head_file_path, read_head_file};
use beian_store::orders::TimelineEvent;
use beian_store::testing::{each_backend, sqlite};
use beian_store::{AuditEntry, Store, StoreError, verify_audit};

use crate::fixtures;

#[tokio::test]
async fn a_sqlite_writer_past_its_wait_is_busy_then_goes_through() {
    let t = sqlite().await;
    // The default wait (2 s): it also bounds (re)connecting the writer, which a loaded
    // machine must be able to do in time for the first `begin`.
    let store = &t.store;
    let held = store.begin().await.unwrap();
    match store.begin().await {
        Err(StoreError::Busy) => {}
        other => panic!("expected Busy, got {other:?}"),
    }
    held.rollback().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.append_audit(AuditEntry::new("system", "test.after_busy", "x:1".into()));
    tx.commit().await.unwrap();
    t.teardown().await;
}

/// Another connection (a migration, another process) holds SQLite's write lock: the writer's
/// `BEGIN IMMEDIATE` waits for it without holding the thread (this runtime has one thread,
/// and the lock is released by a task on it), and gives `Busy` once `write_wait` has passed.
#[tokio::test(flavor = "current_thread")]
async fn a_writer_waits_for_another_connection_s_lock_without_holding_the_thread() {
    use sqlx::{Connection, Executor};
    let t = sqlite().await;
    let url = format!(
        "sqlite://{}",
        t.data_dir().join(beian_store::db::SQLITE_FILE).display()
    );
    let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    let released = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let store = t.store.clone();
    let seen = released.clone();
    let writer = tokio::spawn(async move {
        let mut tx = store.begin().await.unwrap();
        // The lock was released by the main task before BEGIN got through.
        assert!(seen.load(Ordering::SeqCst));
        tx.append_audit(AuditEntry::new("system", "test.after_lock", "x:1".into()));
        tx.commit().await.unwrap();
    });
    // Let the writer try (and fail) a few times; it must not block this thread.
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(!writer.is_finished());
    released.store(true, Ordering::SeqCst);
    other.execute("COMMIT").await.unwrap();
    writer.await.unwrap();
    t.store.flush_audit_head().await;
    let report = verify_audit(&t.store, &head_file_path(&t.store))
        .await
        .unwrap();
    assert_eq!(report.records, 1);

    // Held past the wait: Busy.
    let mut config = t.config();
    config.write_wait = Some(std::time::Duration::from_millis(50));
    let short = Store::open(config).await.unwrap();
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    match short.begin().await {
        Err(StoreError::Busy) => {}
        other => panic!("expected Busy, got {other:?}"),
    }
    other.execute("ROLLBACK").await.unwrap();
    short.begin().await.unwrap().rollback().await.unwrap();
    short.close().await;
    t.teardown().await;
}

#[tokio::test]
async fn a_transition_keeps_the_entry_instant_and_names_missing_and_moved_orders() {
    each_backend(async |t| {
        // A clock the test moves, so that "unchanged" cannot be an accident of one millisecond.
        let ms = Arc::new(AtomicI64::new(1_800_000_000_000));
        let mut config = t.config();
        let read = ms.clone();
        config.clock = Some(Arc::new(move || {
            chrono::DateTime::from_timestamp_millis(read.load(Ordering::SeqCst)).unwrap()
        }));
        let store = Store::open(config).await.unwrap();
        let s = &store;
        let mut tx = s.begin().await.unwrap();
        let (_, _, _, order) = fixtures::order_setup(&mut tx, "entry").await;
        tx.commit().await.unwrap();
        let entered = |s: &Store, state: &'static str| {
            let s = s.clone();
            async move {
                s.orders_in_state_by_entry(state, 10)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(o, at)| (o.id, at))
                    .collect::<Vec<_>>()
            }
        };
        let mut tx = s.begin().await.unwrap();
        let v = tx
            .transition_order(
                &order,
                1,
                "provider_review",
                &TimelineEvent::new("t", "submit"),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        ms.fetch_add(60_000, Ordering::SeqCst);
        let first = entered(s, "provider_review").await;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].0, order);
        let timeline = s.order_timeline(&order).await.unwrap();
        let last = timeline.last().unwrap();
        assert_eq!(last.from_state.as_deref(), Some("draft"));
        assert_eq!(last.to_state, "provider_review");
        assert_eq!(first[0].1, last.at, "the entry instant is the transition's");

        // A save that stays in the state moves the version, not the entry instant.
        let mut tx = s.begin().await.unwrap();
        tx.transition_order(
            &order,
            v,
            "provider_review",
            &TimelineEvent::new("t", "edit"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(entered(s, "provider_review").await, first);
        assert_eq!(s.order(&order).await.unwrap().version, v + 1);

        let mut tx = s.begin().await.unwrap();
        assert!(matches!(
            tx.transition_order(&order, v, "abandoned", &TimelineEvent::new("t", "late"))
                .await,
            Err(StoreError::Conflict { .. })
        ));
        drop(tx);
        let mut tx = s.begin().await.unwrap();
        assert!(matches!(
            tx.transition_order(
                "no-such-order",
                1,
                "abandoned",
                &TimelineEvent::new("t", "x")
            )
            .await,
            Err(StoreError::NotFound { .. })
        ));
        drop(tx);
        let all = s.order_timeline(&order).await.unwrap();
        assert_eq!(all.len(), 3);
        // The order view's slice: the newest entries, oldest first, and the count of all.
        let (recent, total) = s.order_timeline_recent(&order, 2).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(recent, all[1..].to_vec());
        let (every, total) = s.order_timeline_recent(&order, 100).await.unwrap();
        assert_eq!(every, all);
        assert_eq!(total, 3);
        assert_eq!(
            s.order_timeline_recent("no-such-order", 5).await.unwrap(),
            (Vec::new(), 0)
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn many_records_per_transaction_chain_and_the_head_file_catches_up() {
    each_backend(async |t| {
        let s = &t.store;
        for round in 0..20 {
            let mut tx = s.begin().await.unwrap();
            for i in 0..(1 + round % 4) {
                tx.append_audit(AuditEntry::new(
                    "system",
                    "test.many",
                    format!("x:{round}-{i}"),
                ));
            }
            tx.commit().await.unwrap();
        }
        s.flush_audit_head().await;
        let head = read_head_file(&head_file_path(s)).unwrap().unwrap();
        let report = verify_audit(s, &head_file_path(s)).await.unwrap();
        assert_eq!(head.seq, report.head_seq, "the file names the last record");
        assert_eq!(report.records, (0..20).map(|r| 1 + r % 4).sum::<i64>());
    })
    .await;
}

/// How many audit records carry `action`.
async fn audited(s: &Store, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(s.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dropped_or_cancelled_transaction_keeps_nothing_and_the_next_writer_goes_on() {
    each_backend(async |t| {
        let s = &t.store;
        // Dropped after a write: nothing of it is kept.
        let mut tx = s.begin().await.unwrap();
        let (_, _, _, order) = fixtures::order_setup(&mut tx, "dropped").await;
        tx.append_audit(AuditEntry::new("system", "test.dropped", "x:1".into()));
        drop(tx);
        assert!(
            s.order(&order).await.is_err(),
            "the dropped order is not kept"
        );

        // Cancelled while it holds the writer (a request whose client went away): the task
        // is aborted at its next await, after its write.
        let (wrote, written) = tokio::sync::oneshot::channel();
        let store = s.clone();
        let task = tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let (_, _, _, order) = fixtures::order_setup(&mut tx, "cancelled").await;
            tx.append_audit(AuditEntry::new("system", "test.cancelled", "x:2".into()));
            wrote.send(order).unwrap();
            std::future::pending::<()>().await;
            tx.commit().await.unwrap();
        });
        let cancelled = written.await.unwrap();
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());

        // The next writer gets the connection with nothing left open, and commits.
        let mut tx = s.begin().await.unwrap();
        let (_, _, _, kept) = fixtures::order_setup(&mut tx, "kept").await;
        tx.append_audit(AuditEntry::new("system", "test.kept", "x:3".into()));
        tx.commit().await.unwrap();
        assert!(
            s.order(&cancelled).await.is_err(),
            "the cancelled order is not kept"
        );
        assert_eq!(s.order(&kept).await.unwrap().id, kept);
        assert_eq!(audited(s, "test.dropped").await, 0);
        assert_eq!(audited(s, "test.cancelled").await, 0);
        assert_eq!(audited(s, "test.kept").await, 1);
        let report = verify_audit(s, &head_file_path(s)).await.unwrap();
        assert!(report.records > 0);
    })
    .await;
}

#[tokio::test]
async fn appends_from_another_process_on_the_same_file_do_not_fork_the_chain() {
    let t = sqlite().await;
    let a = &t.store;
    // A second store on the same SQLite file stands for a `beian` command run beside the
    // server: each remembers the head it committed last, and each must notice the other's.
    let b = Store::open(t.config()).await.unwrap();
    for round in 0..6 {
        for (s, who) in [(a, "a"), (&b, "b"), (&b, "b"), (a, "a")] {
            let mut tx = s.begin().await.unwrap();
            for i in 0..(1 + round % 3) {
                tx.append_audit(AuditEntry::new(
                    "system",
                    "test.two_writers",
                    format!("{who}:{round}-{i}"),
                ));
            }
            tx.commit().await.unwrap();
        }
    }
    let report = verify_audit(a, &head_file_path(a)).await.unwrap();
    let expected: i64 = (0..6).map(|r| 4 * (1 + r % 3)).sum();
    assert_eq!(report.records, expected);
    assert_eq!(
        report.head_seq, expected,
        "no sequence number was skipped or reused"
    );
    assert_eq!(audited(a, "test.two_writers").await, expected);
    b.close().await;
    t.teardown().await;
}
