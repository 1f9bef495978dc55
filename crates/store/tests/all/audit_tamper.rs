//! Tampering with the audit log is detected: edit, delete, reorder, truncate (with and without
//! fixing up the head row), and a deleted head file.

use beian_store::audit::{BreakReason, head_file_path};
use beian_store::testing::{TestStore, each_backend};
use beian_store::{AuditEntry, verify_audit};
use serde_json::json;

async fn write_records(t: &TestStore, n: i64) {
    for i in 1..=n {
        let mut tx = t.store.begin().await.unwrap();
        tx.append_audit(
            AuditEntry::new("account:a", "order.transition", format!("order:{i}"))
                .before(json!({"state": "draft"}))
                .after(json!({"state": "provider_review"})),
        );
        tx.commit().await.unwrap();
    }
    verify_audit(&t.store, &head_file_path(&t.store))
        .await
        .unwrap();
}

async fn exec(t: &TestStore, sql: &'static str) {
    sqlx::query(sql).execute(t.store.pool()).await.unwrap();
}

async fn verify_err(t: &TestStore) -> beian_store::AuditBreak {
    verify_audit(&t.store, &head_file_path(&t.store))
        .await
        .expect_err("tampering must be detected")
}

#[tokio::test]
async fn edited_record_is_detected() {
    each_backend(async |t| {
        write_records(t, 5).await;
        exec(
            t,
            "UPDATE audit_log SET actor = 'account:mallory' WHERE seq = 3",
        )
        .await;
        let b = verify_err(t).await;
        assert_eq!((b.seq, b.reason), (3, BreakReason::HashMismatch));
    })
    .await;
}

#[tokio::test]
async fn edited_record_with_recomputed_hash_is_detected() {
    each_backend(async |t| {
        write_records(t, 5).await;
        // Edit record 3 and recompute its own hash: record 4 no longer links to it.
        let rec = beian_store::audit::list_audit(&t.store, 3, 1)
            .await
            .unwrap()
            .remove(0);
        let mut forged = rec.clone();
        forged.after = Some(r#"{"state":"approved"}"#.into());
        let h = beian_store::audit::record_hash(&rec.prev_hash, &forged);
        sqlx::query("UPDATE audit_log SET after_summary = $1, hash = $2 WHERE seq = 3")
            .bind(forged.after.clone())
            .bind(h.to_vec())
            .execute(t.store.pool())
            .await
            .unwrap();
        let b = verify_err(t).await;
        assert_eq!((b.seq, b.reason), (4, BreakReason::PrevHashMismatch));
    })
    .await;
}

#[tokio::test]
async fn deleted_record_is_detected() {
    each_backend(async |t| {
        write_records(t, 5).await;
        exec(t, "DELETE FROM audit_log WHERE seq = 2").await;
        let b = verify_err(t).await;
        assert_eq!((b.seq, b.reason), (3, BreakReason::SeqGap { expected: 2 }));
    })
    .await;
}

#[tokio::test]
async fn reordered_records_are_detected() {
    each_backend(async |t| {
        write_records(t, 5).await;
        // Swap the sequence numbers of records 2 and 4.
        exec(t, "UPDATE audit_log SET seq = 1000 WHERE seq = 2").await;
        exec(t, "UPDATE audit_log SET seq = 2 WHERE seq = 4").await;
        exec(t, "UPDATE audit_log SET seq = 4 WHERE seq = 1000").await;
        let b = verify_err(t).await;
        assert_eq!(b.seq, 2);
        assert!(
            matches!(
                b.reason,
                BreakReason::PrevHashMismatch | BreakReason::HashMismatch
            ),
            "{b:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn truncated_tail_is_detected() {
    each_backend(async |t| {
        write_records(t, 5).await;
        // Remove the last two records only: the head row still names record 5.
        exec(t, "DELETE FROM audit_log WHERE seq > 3").await;
        let b = verify_err(t).await;
        assert_eq!(b.reason, BreakReason::HeadRowMismatch);
    })
    .await;
}

#[tokio::test]
async fn truncated_tail_with_fixed_head_row_is_detected_by_the_head_file() {
    each_backend(async |t| {
        write_records(t, 5).await;
        exec(t, "DELETE FROM audit_log WHERE seq > 3").await;
        exec(
            t,
            "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3) \
             WHERE id = 1",
        )
        .await;
        let b = verify_err(t).await;
        assert_eq!(
            (b.seq, b.reason),
            (
                5,
                BreakReason::Truncated {
                    file_seq: 5,
                    db_seq: 3
                }
            )
        );
    })
    .await;
}

#[tokio::test]
async fn deleted_head_file_is_detected() {
    each_backend(async |t| {
        write_records(t, 2).await;
        std::fs::remove_file(head_file_path(&t.store)).unwrap();
        assert_eq!(verify_err(t).await.reason, BreakReason::HeadFileMissing);
    })
    .await;
}

#[tokio::test]
async fn empty_chain_verifies() {
    each_backend(async |t| {
        let r = verify_audit(&t.store, &head_file_path(&t.store))
            .await
            .unwrap();
        assert_eq!((r.records, r.head_file_seq), (0, None));
    })
    .await;
}
