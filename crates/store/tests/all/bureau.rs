//! The bureau tables: `dataSequence` allocated without gaps by concurrent workers (a rolled
//! back upload gives its number back), one upload per job key, a withdrawal that gives the
//! last number back only while no try began, a downloaded file recorded once, an alert raised
//! once, sealed secrets, and the purge after 3 months.

use std::sync::Arc;

use beian_store::StoreError;
use beian_store::bureau::{DownloadRecord, NewUpload};
use beian_store::testing::each_backend;
use serde_json::json;
use tokio::sync::Barrier;

fn upload<'a>(key: &'a str, xml: &'a [u8]) -> NewUpload<'a> {
    NewUpload {
        job_key: key,
        order_id: None,
        access_id: None,
        app_access_id: None,
        operation: 1,
        subject: "421",
        xml,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sequences_are_gap_free_under_concurrent_workers() {
    each_backend(async |t| {
        let a = t.store.clone();
        let b = t.open_another().await;
        const WORKERS: usize = 8;
        let barrier = Arc::new(Barrier::new(WORKERS));
        let mut handles = Vec::new();
        for i in 0..WORKERS {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            handles.push(tokio::spawn(async move {
                barrier.wait().await;
                let mut tx = store.begin().await?;
                let sequence = tx.next_upload_sequence().await?;
                let key = format!("order:{i}:v1");
                let u = tx
                    .insert_upload(1, sequence, &upload(&key, "<x/>".as_bytes()))
                    .await?;
                // Every third worker fails before commit: its number must come back.
                if i % 3 == 0 {
                    tx.rollback().await?;
                    return Ok::<_, StoreError>(None);
                }
                tx.commit().await?;
                Ok(Some(u.sequence))
            }));
        }
        let mut got: Vec<i64> = Vec::new();
        for h in handles {
            if let Some(s) = h.await.unwrap().unwrap() {
                got.push(s);
            }
        }
        got.sort_unstable();
        let committed = (0..WORKERS).filter(|i| i % 3 != 0).count();
        let want: Vec<i64> = (1..=i64::try_from(committed).unwrap()).collect();
        assert_eq!(got, want);
        assert_eq!(a.last_upload_sequence().await.unwrap(), want.len() as i64);
        let pending: Vec<i64> = a
            .pending_uploads(100)
            .await
            .unwrap()
            .iter()
            .map(|u| u.sequence)
            .collect();
        assert_eq!(pending, want, "pending uploads come lowest number first");
    })
    .await;
}

#[tokio::test]
async fn one_upload_per_key_sealed_and_marked_sent_once() {
    each_backend(async |t| {
        let s = &t.store;
        let xml = "<UploadData>证件 330106199001011234</UploadData>".as_bytes();
        let mut tx = s.begin().await.unwrap();
        let n = tx.next_upload_sequence().await.unwrap();
        let u = tx.insert_upload(7, n, &upload("k", xml)).await.unwrap();
        tx.commit().await.unwrap();
        assert!(u.file_name.starts_with("7_") && u.file_name.ends_with("_0000000001.xml"));
        let mut tx = s.begin().await.unwrap();
        let n = tx.next_upload_sequence().await.unwrap();
        let again = tx.insert_upload(7, n, &upload("k", xml)).await;
        assert!(
            matches!(
                again,
                Err(StoreError::Unique {
                    constraint: "bureau_uploads_job_key_key"
                })
            ),
            "{again:?}"
        );
        drop(tx);
        assert_eq!(
            s.last_upload_sequence().await.unwrap(),
            1,
            "the failed one gave its number back"
        );
        // Sealed at rest.
        let raw: Vec<u8> = sqlx::query_scalar("SELECT xml_ct FROM bureau_uploads")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("330106199001011234"));
        assert_eq!(s.upload_by_key("k").await.unwrap().unwrap().xml, xml);

        let mut tx = s.begin().await.unwrap();
        assert!(tx.mark_upload_sent(&u.id).await.unwrap());
        assert!(!tx.mark_upload_sent(&u.id).await.unwrap());
        tx.commit().await.unwrap();
        let sent = s.sent_upload_by_subject(1, "421").await.unwrap().unwrap();
        assert_eq!(sent.id, u.id);
        assert!(s.sent_upload_by_subject(2, "421").await.unwrap().is_none());
        assert!(s.pending_uploads(10).await.unwrap().is_empty());
        // Kept 3 months, then purged.
        assert_eq!(s.purge_expired_uploads().await.unwrap(), 0);
        sqlx::query("UPDATE bureau_uploads SET keep_until = 0")
            .execute(s.pool())
            .await
            .unwrap();
        assert_eq!(s.purge_expired_uploads().await.unwrap(), 1);
        assert!(s.upload_by_key("k").await.unwrap().is_none());
    })
    .await;
}

/// Records the upload of `key` with the next number, committed.
async fn recorded(s: &beian_store::Store, key: &str) -> beian_store::bureau::Upload {
    let mut tx = s.begin().await.unwrap();
    let n = tx.next_upload_sequence().await.unwrap();
    let u = tx.insert_upload(1, n, &upload(key, b"<x/>")).await.unwrap();
    tx.commit().await.unwrap();
    u
}

/// Withdraws `u` in a transaction holding the counter's lock (as an abandon does); whether it
/// was withdrawn (committed).
async fn withdraw(s: &beian_store::Store, u: &beian_store::bureau::Upload) -> bool {
    let mut tx = s.begin().await.unwrap();
    tx.lock_upload_sequence().await.unwrap();
    let done = tx.withdraw_upload("test", &u.id, u.sequence).await.unwrap();
    tx.commit().await.unwrap();
    done
}

#[tokio::test]
async fn only_the_last_number_never_begun_is_withdrawn_and_given_back() {
    each_backend(async |t| {
        let s = &t.store;
        let one = recorded(s, "one").await;
        let two = recorded(s, "two").await;
        let three = recorded(s, "three").await;
        // 2 has a later number after it: withdrawing it would leave a gap.
        assert!(!withdraw(s, &two).await);
        // 3 is the last, but a sender began it: the bureau may have it.
        assert!(s.begin_upload_try(&three.id).await.unwrap());
        assert!(!withdraw(s, &three).await);
        assert_eq!(s.last_upload_sequence().await.unwrap(), 3);
        let pending: Vec<i64> = s
            .pending_uploads(10)
            .await
            .unwrap()
            .iter()
            .map(|u| u.sequence)
            .collect();
        assert_eq!(pending, vec![1, 2, 3]);
        // 4, never begun and the last: withdrawn, its number given back, audited.
        let four = recorded(s, "four").await;
        assert!(withdraw(s, &four).await);
        assert_eq!(s.last_upload_sequence().await.unwrap(), 3);
        assert!(s.upload_by_key("four").await.unwrap().is_none());
        // A sender that read it before finds it gone and must not send it.
        assert!(!s.begin_upload_try(&four.id).await.unwrap());
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'bureau.upload_withdrawn'",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(audited, 1);
        // The next upload takes 4 again: no gap, no number twice.
        let five = recorded(s, "five").await;
        assert_eq!(five.sequence, 4);
        // A withdrawal holds the counter until it commits: an upload numbered meanwhile
        // (another store, as another instance) takes the number given back, never the next.
        let other = t.open_another().await;
        let six = recorded(s, "six").await;
        let mut tx = s.begin().await.unwrap();
        tx.lock_upload_sequence().await.unwrap();
        assert!(tx.withdraw_upload("test", &six.id, 5).await.unwrap());
        let numbering = tokio::spawn(async move { recorded(&other, "seven").await.sequence });
        tx.commit().await.unwrap();
        assert_eq!(numbering.await.unwrap(), 5);
        assert_eq!(s.last_upload_sequence().await.unwrap(), 5);
        assert_eq!(one.tried_at, None);
        // Beginning a try twice keeps the first instant.
        assert!(s.begin_upload_try(&one.id).await.unwrap());
        let first = s.upload_by_key("one").await.unwrap().unwrap().tried_at;
        assert!(first.is_some());
        assert!(s.begin_upload_try(&one.id).await.unwrap());
        assert_eq!(
            s.upload_by_key("one").await.unwrap().unwrap().tried_at,
            first
        );
    })
    .await;
}

#[tokio::test]
async fn downloads_alerts_and_secrets() {
    each_backend(async |t| {
        let s = &t.store;
        let record = DownloadRecord {
            file_name: "1_20260309_0000000001.xml".into(),
            category: "notice".into(),
            acted: false,
            applied_to: None,
            summary: json!({"notices": 1}),
            payload: json!({"ICP": {"XGTZ": {"Tzxx": [{"Tznr": "整改 13800138000"}]}}}),
            received_at: 5,
        };
        for (round, want) in [(1, true), (2, false)] {
            let mut tx = s.begin().await.unwrap();
            assert_eq!(tx.record_download(&record).await.unwrap(), want, "{round}");
            tx.commit().await.unwrap();
        }
        let listed = s.bureau_downloads(true, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].payload, record.payload);
        assert!(!format!("{:?}", listed[0]).contains("13800138000"));
        let raw: Vec<u8> = sqlx::query_scalar("SELECT payload_ct FROM bureau_downloads")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("13800138000"));

        for (round, want) in [(1, true), (2, false)] {
            let mut tx = s.begin().await.unwrap();
            let raised = tx
                .raise_alert(
                    "bureau_submit_deadline",
                    "order:o1",
                    "deadline:o1",
                    &json!({"n": round}),
                )
                .await
                .unwrap();
            assert_eq!(raised, want, "{round}");
            tx.commit().await.unwrap();
        }
        let alerts = s.open_alerts().await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].details["n"], 1);
        s.resolve_alert(&alerts[0].id).await.unwrap();
        assert!(s.open_alerts().await.unwrap().is_empty());

        let mut tx = s.begin().await.unwrap();
        tx.put_bureau_secret("order:o1", "0123abcd").await.unwrap();
        tx.put_bureau_secret("order:o1", "4567ef01").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            s.bureau_secret("order:o1").await.unwrap().as_deref(),
            Some("4567ef01")
        );
        let mut tx = s.begin().await.unwrap();
        tx.delete_bureau_secret("order:o1").await.unwrap();
        tx.commit().await.unwrap();
        assert!(s.bureau_secret("order:o1").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn one_pending_poll_at_a_time() {
    each_backend(async |t| {
        let s = &t.store;
        let now = s.now();
        let mut tx = s.begin().await.unwrap();
        tx.enqueue_job("bureau.poll", &json!({}), now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = s.begin().await.unwrap();
        let second = tx.enqueue_job("bureau.poll", &json!({}), now).await;
        assert!(
            matches!(
                second,
                Err(StoreError::Unique {
                    constraint: "jobs_one_pending_poll"
                })
            ),
            "{second:?}"
        );
        drop(tx);
        // Other kinds are not limited.
        let mut tx = s.begin().await.unwrap();
        tx.enqueue_job("notify", &json!({}), now).await.unwrap();
        tx.enqueue_job("notify", &json!({}), now).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.open_jobs_of_kind("bureau.poll").await.unwrap(), 1);
        assert_eq!(s.open_jobs_of_kind("notify").await.unwrap(), 2);
    })
    .await;
}
