//! SQLite's group commit (crates/store/src/writer.rs): writers queued together share one
//! COMMIT; each `commit` returns only once its work is durable (visible to the read
//! connections); a member that rolls back leaves the others' work; a member whose caller went
//! away still has its group committed; and when the group's COMMIT fails, every member gets
//! an error and nothing of the group is kept. Commits reach the database file by the
//! background checkpoint (crates/store/src/checkpoint.rs).

use std::time::Duration;

use beian_store::accounts::{NewAccount, Role};
use beian_store::audit::head_file_path;
use beian_store::orders::NewOrder;
use beian_store::testing::sqlite;
use beian_store::{AuditEntry, Store, Tx, verify_audit};

/// Waits (on the condition, not on time) until `n` transactions wait for the writer.
async fn until_waiting(s: &Store, n: usize) {
    while s.write_stats().map(|w| w.waiting) != Some(n) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// How many of this file's audit records were kept.
async fn group_records(s: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'test.group'")
        .fetch_one(s.pool())
        .await
        .unwrap()
}

/// A transaction that writes an order named `name`; its id.
async fn write_order(tx: &mut Tx, name: &str) -> String {
    let account = tx
        .insert_account(
            "system",
            &NewAccount {
                username: name,
                password_hash: "$argon2id$v=19$fake",
                email: "group@example.cn",
                mobile: None,
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    let order = tx
        .insert_order(
            &format!("account:{account}"),
            &NewOrder {
                account_id: &account,
                sponsor_id: None,
                website_id: None,
                kind: "first_filing",
                state: "draft",
                province: "33",
            },
        )
        .await
        .unwrap();
    tx.append_audit(AuditEntry::new("system", "test.group", format!("x:{name}")));
    order
}

/// Begins, writes an order, and commits, in a task of its own; the order's id once durable.
fn queued_writer(s: &Store, name: &'static str) -> tokio::task::JoinHandle<String> {
    let s = s.clone();
    tokio::spawn(async move {
        let mut tx = s.begin().await.unwrap();
        let order = write_order(&mut tx, name).await;
        tx.commit().await.unwrap();
        // Durable and visible to the read connections by the time commit returned.
        assert_eq!(s.order(&order).await.unwrap().id, order);
        order
    })
}

#[tokio::test]
async fn queued_writers_share_one_commit_and_each_returns_once_durable() {
    let t = sqlite().await;
    let s = &t.store;
    let before = s.write_stats().unwrap();

    // A lone writer commits at once: one COMMIT for one transaction.
    let mut tx = s.begin().await.unwrap();
    let alone = write_order(&mut tx, "alone").await;
    tx.commit().await.unwrap();
    let after_alone = s.write_stats().unwrap();
    assert_eq!(after_alone.transactions - before.transactions, 1);
    assert_eq!(after_alone.commits - before.commits, 1);

    // Three writers queue behind a fourth that holds the writer.
    let mut first = s.begin().await.unwrap();
    let a = write_order(&mut first, "first").await;
    let queued = [
        queued_writer(s, "second"),
        queued_writer(s, "third"),
        queued_writer(s, "fourth"),
    ];
    until_waiting(s, 3).await;
    first.commit().await.unwrap();
    assert_eq!(
        s.order(&a).await.unwrap().id,
        a,
        "durable once commit returned"
    );
    let mut ids = vec![alone, a];
    for q in queued {
        ids.push(q.await.unwrap());
    }
    let stats = s.write_stats().unwrap();
    assert_eq!(stats.transactions - after_alone.transactions, 4);
    assert!(
        stats.commits - after_alone.commits < 4,
        "queued writers shared a COMMIT: {stats:?}"
    );
    for id in &ids {
        assert_eq!(s.order(id).await.unwrap().id, *id);
    }
    s.flush_audit_head().await;
    assert_eq!(group_records(s).await, 5);
    verify_audit(s, &head_file_path(s)).await.unwrap();
    t.teardown().await;
}

#[tokio::test]
async fn a_member_that_rolls_back_leaves_the_rest_of_its_group() {
    let t = sqlite().await;
    let s = &t.store;
    let mut first = s.begin().await.unwrap();
    let a = write_order(&mut first, "kept-first").await;
    // Queued: one that writes then rolls back, one that is dropped after writing, one that
    // commits.
    let store = s.clone();
    let rolled = tokio::spawn(async move {
        let mut tx = store.begin().await.unwrap();
        let id = write_order(&mut tx, "rolled-back").await;
        tx.rollback().await.unwrap();
        id
    });
    let store = s.clone();
    let dropped = tokio::spawn(async move {
        let mut tx = store.begin().await.unwrap();
        write_order(&mut tx, "dropped").await
    });
    let last = queued_writer(s, "kept-last");
    until_waiting(s, 3).await;
    first.commit().await.unwrap();
    let rolled = rolled.await.unwrap();
    let dropped = dropped.await.unwrap();
    let kept = last.await.unwrap();

    assert_eq!(s.order(&a).await.unwrap().id, a);
    assert_eq!(s.order(&kept).await.unwrap().id, kept);
    assert!(s.order(&rolled).await.is_err(), "rolled back");
    assert!(s.order(&dropped).await.is_err(), "dropped");
    let stats = s.write_stats().unwrap();
    assert_eq!(stats.waiting, 0);
    s.flush_audit_head().await;
    assert_eq!(
        group_records(s).await,
        2,
        "the two kept orders' records only"
    );
    verify_audit(s, &head_file_path(s)).await.unwrap();
    t.teardown().await;
}

#[tokio::test]
async fn a_member_whose_caller_went_away_still_has_its_group_committed() {
    let t = sqlite().await;
    let s = &t.store;
    let store = s.clone();
    let (wrote, written) = tokio::sync::oneshot::channel();
    let first = tokio::spawn(async move {
        let mut tx = store.begin().await.unwrap();
        let id = write_order(&mut tx, "gone").await;
        wrote.send(id).unwrap();
        // Commits once `next` queued, so it hands its group over.
        until_waiting(&store, 1).await;
        tx.commit().await.unwrap();
    });
    let gone = written.await.unwrap();
    // `next` has its turn only once `first` handed the group over and waits for a second.
    let (has_turn, turn_taken) = tokio::sync::oneshot::channel();
    let (go_on, may_go_on) = tokio::sync::oneshot::channel::<()>();
    let store = s.clone();
    let next = tokio::spawn(async move {
        let tx = store.begin().await.unwrap();
        has_turn.send(()).unwrap();
        may_go_on.await.unwrap();
        // Writes nothing and rolls back: nobody else is left to commit the group.
        tx.rollback().await.unwrap();
    });
    turn_taken.await.unwrap();
    // `first`'s caller goes away while it waits.
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    go_on.send(()).unwrap();
    next.await.unwrap();
    // The abandoned member's work is committed all the same (by its second turn, which
    // outlives its caller), not left open holding SQLite's write lock.
    tokio::time::timeout(Duration::from_secs(30), async {
        while s.order(&gone).await.is_err() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the group was never committed");
    assert_eq!(group_records(s).await, 1);
    let mut tx = s.begin().await.unwrap();
    let after = write_order(&mut tx, "after").await;
    tx.commit().await.unwrap();
    assert_eq!(s.order(&after).await.unwrap().id, after);
    t.teardown().await;
}

#[tokio::test]
async fn when_the_group_s_commit_fails_every_member_fails_and_nothing_is_kept() {
    let t = sqlite().await;
    let s = &t.store;
    let mut first = s.begin().await.unwrap();
    let a = write_order(&mut first, "doomed-first").await;
    let store = s.clone();
    let breaker = tokio::spawn(async move {
        let mut tx = store.begin().await.unwrap();
        // A foreign key checked only at COMMIT, pointing at no order: the group's COMMIT
        // fails.
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(tx.conn())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO order_events (order_id, version, id, at, actor, event, to_state) \
             VALUES ('no-such-order', 1, 'e-1', 0, 'system', 'x', 'draft')",
        )
        .execute(tx.conn())
        .await
        .unwrap();
        tx.commit().await
    });
    let store = s.clone();
    let third = tokio::spawn(async move {
        let mut tx = store.begin().await.unwrap();
        let id = write_order(&mut tx, "doomed-third").await;
        (id, tx.commit().await)
    });
    until_waiting(s, 2).await;
    let first_outcome = first.commit().await;
    let breaker_outcome = breaker.await.unwrap();
    let (c, third_outcome) = third.await.unwrap();
    assert!(first_outcome.is_err(), "{first_outcome:?}");
    assert!(breaker_outcome.is_err(), "{breaker_outcome:?}");
    assert!(third_outcome.is_err(), "{third_outcome:?}");
    assert!(s.order(&a).await.is_err());
    assert!(s.order(&c).await.is_err());

    // The writer goes on: the next transaction commits, and the audit chain is whole.
    let mut tx = s.begin().await.unwrap();
    let after = write_order(&mut tx, "after").await;
    tx.commit().await.unwrap();
    assert_eq!(s.order(&after).await.unwrap().id, after);
    s.flush_audit_head().await;
    assert_eq!(group_records(s).await, 1, "only the last order's record");
    verify_audit(s, &head_file_path(s)).await.unwrap();
    t.teardown().await;
}

#[tokio::test]
async fn commits_are_checkpointed_into_the_database_file_off_the_writer() {
    let t = sqlite().await;
    let s = &t.store;
    let file = t.data_dir().join(beian_store::db::SQLITE_FILE);
    let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap();
    let before = size();
    // Far below the writer's own checkpoint (10,000 pages): without the checkpoint thread
    // these pages would stay in the -wal file.
    for i in 0..200 {
        let mut tx = s.begin().await.unwrap();
        write_order(&mut tx, &format!("ckpt-{i}")).await;
        tx.commit().await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(30), async {
        while size() <= before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the commits never reached the database file");
    t.teardown().await;
}
