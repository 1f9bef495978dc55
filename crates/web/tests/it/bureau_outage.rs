//! The bureau is down (the simulator, run as its own server, is stopped) for a day of
//! simulated time while orders are queued. It comes back on the same port and data dir:
//! every order is delivered exactly once, the deadline alert fired once per order (with one
//! email to the admin), and the simulator received `dataSequence` 1, 2, 3 with no gap — with
//! two server instances (two job workers) on the one database.

use beian_store::Store;
use beian_store::accounts::Role;
use beian_store::testing;
use chrono::{TimeZone, Utc};

use crate::harness::TestApp;
use crate::harness::setup::{queue_for_bureau, state_of};

/// Delivered: at the bureau (the platform's flow has the SMS check, so `sms_pending`).
async fn delivered(store: &Store, id: &str) -> bool {
    matches!(
        state_of(store, id).await.as_str(),
        "at_bureau" | "sms_pending"
    )
}

#[tokio::test]
async fn the_bureau_down_for_a_day_delivers_each_order_once_without_gaps() {
    testing::each_backend(async |t| {
        // Monday 2026-03-09 23:00 Shanghai: the submission deadline (1 working day) is
        // Tuesday's end, 25 hours later.
        let start = Utc.with_ymd_and_hms(2026, 3, 9, 15, 0, 0).unwrap();
        let mut bed = TestApp::new()
            .clock_at(start)
            .simulator_as_own_server()
            .start(t)
            .await;
        let addr = bed.simulator_addr();
        // A second instance on the same database: two workers deliver concurrently.
        let _second = TestApp::new().instance_of(&bed).start(t).await;
        let store = bed.store.clone();
        let store = &*store;
        bed.new_account("ada", Role::Admin, None).await;

        // One order goes through while the bureau is up.
        let a = bed.reviewed_order("alice", 21, "up-example.cn").await;
        let b = bed.reviewed_order("bob", 22, "down-example.cn").await;
        let c = bed.reviewed_order("carol", 23, "down-too-example.cn").await;
        queue_for_bureau(store, &a).await;
        bed.settle().await;
        assert!(delivered(store, &a).await, "order A is delivered");

        // The bureau goes down; two orders are queued.
        bed.stop_simulator();
        queue_for_bureau(store, &b).await;
        queue_for_bureau(store, &c).await;
        // Both are recorded with their numbers and tried (every try sends B first: C waits
        // behind it). Each try is one run of each order's job, by either worker.
        let tries = async || {
            let ub = store.uploads_of_order(&b).await.unwrap();
            let uc = store.uploads_of_order(&c).await.unwrap();
            assert_eq!((ub.len(), uc.len()), (1, 1), "{ub:?} {uc:?}");
            assert_eq!(
                (ub[0].status.as_str(), uc[0].status.as_str()),
                ("pending", "pending")
            );
            ub[0].attempts + uc[0].attempts
        };
        bed.settle().await;
        let mut tried = tries().await;
        assert!(tried >= 2, "B and C were tried: {tried} attempts");
        assert!(store.open_alerts().await.unwrap().is_empty());

        // A day passes (in steps: the workers try again after each, the same numbers each time).
        for _ in 1..=5 {
            bed.advance_minutes(5 * 60);
            bed.settle().await;
            let now = tries().await;
            assert!(
                now >= tried + 2,
                "tried again: {now} attempts after {tried}"
            );
            tried = now;
        }
        assert!(store.now() >= start + chrono::Duration::hours(25));
        for id in [&b, &c] {
            assert_eq!(state_of(store, id).await, "queued_for_bureau");
        }
        // The applicant sees it waiting: "queued for the bureau since …".
        let bob = bed.login("bob").await;
        let (status, view) = bob.get(&format!("/orders/{b}")).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{view}");
        assert_eq!(view["bureau"]["stage"], "queued", "{view}");
        assert_eq!(view["bureau"]["data_sequence"], 2, "{view}");
        assert!(
            view["bureau"]["failed_attempts"].as_i64().unwrap() >= 6,
            "{view}"
        );
        let message = view["bureau"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("等待提交管局，排队自 2026-03-09 23:00"),
            "{message}"
        );
        let alerts = store.open_alerts().await.unwrap();
        let mut subjects: Vec<String> = alerts.iter().map(|a| a.subject.clone()).collect();
        subjects.sort();
        let mut want = vec![format!("order:{b}"), format!("order:{c}")];
        want.sort();
        assert_eq!(subjects, want, "{alerts:?}");
        assert!(alerts.iter().all(|a| a.kind == "bureau_submit_deadline"));

        // The bureau comes back on the same port and data dir.
        bed.restart_simulator(addr);
        bed.advance_minutes(15);
        for id in [&b, &c] {
            bed.eventually("B and C are delivered", || delivered(store, id))
                .await;
        }
        let (_, view) = bob.get(&format!("/orders/{b}")).await;
        assert!(view["bureau"].is_null(), "{view}");
        // Still one alert per order, and one email per order to the admin.
        assert_eq!(store.open_alerts().await.unwrap().len(), 2);
        let mut breach_mails = 0;
        for (_, _, _, payload) in store.jobs_of_kind("notify").await.unwrap() {
            let text = beian_platform::notify::open_notify_payload(store, &payload).unwrap();
            let job: serde_json::Value = serde_json::from_str(&text).unwrap();
            if job["notification"]["event"] == "provider_deadline_breach" {
                assert_eq!(job["to"], "ada@example.com");
                breach_mails += 1;
            }
        }
        assert_eq!(breach_mails, 2);

        // Exactly once each, in number order, no gap.
        let mut ours = Vec::new();
        for id in [&a, &b, &c] {
            let uploads = store.uploads_of_order(id).await.unwrap();
            assert_eq!(uploads.len(), 1, "{uploads:?}");
            assert_eq!(uploads[0].status, "sent");
            ours.push(uploads[0].sequence);
        }
        assert_eq!(ours, vec![1, 2, 3]);
        bed.stop_simulator();
        let received: Vec<i64> = sqlx::query_scalar(
            "SELECT sequence FROM uploads WHERE provider_id = 1 ORDER BY sequence",
        )
        .fetch_all(bed.regulator.pool())
        .await
        .unwrap();
        assert_eq!(received, vec![1, 2, 3]);
        let submissions = bed.regulator.reviews(None).await.unwrap();
        assert_eq!(submissions.len(), 3, "{submissions:?}");
    })
    .await;
}
