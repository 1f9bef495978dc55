//! The deadline jobs through the job queue (`run_jobs_once` calling `run_deadline_job`), with
//! the simulated clock, on SQLite and PostgreSQL: reminders at 7, 15 and 30 days of waiting,
//! each sent once however often the sweep runs; the expiry of a draft untouched for 45 days,
//! which abandons it and frees its service number; and a sweep overdue at start that runs once.

use crate::harness::TestApp;
use crate::harness::{check, credit_code};
use beian_platform::deadlines::{SWEEP_KIND, schedule_sweep, sweep};
use beian_store::accounts::Role;
use beian_store::products::ServiceNumberStatus;
use beian_store::testing;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

fn days_left(payloads: &[serde_json::Value]) -> Vec<u64> {
    let mut v: Vec<u64> = payloads
        .iter()
        .map(|p| p["notification"]["days_left"].as_u64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[tokio::test]
async fn reminders_go_out_at_7_15_and_30_days_once_each() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let alice = h.new_user("alice", Role::Applicant).await;
        let (status, order) = alice
            .post(
                "/orders",
                check("remind-example.cn", &credit_code(41), "杭州丁科技有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");

        assert!(schedule_sweep(&h.store).await.unwrap());
        assert!(
            !schedule_sweep(&h.store).await.unwrap(),
            "one sweep is enough"
        );
        assert_eq!(h.run_due_jobs().await, vec![SWEEP_KIND.to_owned()]);
        assert!(h.notifications("deadline_reminder").await.is_empty());

        for (day, expected) in [(7, vec![38]), (15, vec![30, 38]), (30, vec![15, 30, 38])] {
            h.advance_to(
                order_created_at(&h, &order).await + Duration::days(day) + Duration::minutes(1),
            );
            // Two sweeps at once (two workers): the reminder goes out once.
            let (w1, w2) = (h.state.workflow(), h.state.workflow());
            let (a, b) = tokio::join!(sweep(&w1), sweep(&w2));
            assert_eq!(a.unwrap().reminded + b.unwrap().reminded, 1, "day {day}");
            // The scheduled sweep then runs from the queue: nothing more is sent.
            let ran = h.run_due_jobs().await;
            assert!(ran.contains(&SWEEP_KIND.to_owned()), "day {day}: {ran:?}");
            let sent = h.notifications("deadline_reminder").await;
            // Email and SMS for each threshold reached so far.
            let mut want: Vec<u64> = expected.iter().flat_map(|d| [*d, *d]).collect();
            want.sort_unstable();
            assert_eq!(days_left(&sent), want, "day {day}");
            assert!(
                sent.iter()
                    .all(|p| p["notification"]["task"] == "finish_draft")
            );
            // The notification jobs the sweep queued are delivered (here: completed).
            h.run_due_jobs().await;
        }
        let pending = h.store.jobs_in_status(SWEEP_KIND, "pending").await.unwrap();
        assert_eq!(pending.len(), 1, "exactly one next sweep is scheduled");
        assert!(pending[0].due_at > h.clock.now().timestamp_millis());
    })
    .await;
}

async fn order_created_at(h: &TestApp, order: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    let o = h
        .store
        .order(order["order_id"].as_str().unwrap())
        .await
        .unwrap();
    chrono::DateTime::from_timestamp_millis(o.updated_at).unwrap()
}

#[tokio::test]
async fn an_untouched_draft_expires_at_45_days_and_frees_its_service_number() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let admin = h.new_admin("root").await;
        let now = h.clock.now();
        let (_, instance) = admin
            .post(
                "/admin/instances",
                json!({"product": "ecs", "public_ip": "203.0.113.20",
                  "term_end": (now + Duration::days(400)).timestamp_millis()}),
            )
            .await;
        let (_, issued) = admin
            .post(
                &format!(
                    "/admin/instances/{}/service-numbers",
                    instance["id"].as_str().unwrap()
                ),
                json!({"count": 1}),
            )
            .await;
        let number = issued["numbers"][0].as_str().unwrap().to_owned();

        let alice = h.new_user("alice", Role::Applicant).await;
        let (_, order) = alice
            .post(
                "/orders",
                check("expire-example.cn", &credit_code(42), "杭州戊科技有限公司"),
            )
            .await;
        let id = order["order_id"].as_str().unwrap().to_owned();
        let (status, body) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": number}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let touched = order_created_at(&h, &order).await;
        schedule_sweep(&h.store).await.unwrap();

        h.advance_to(touched + Duration::days(44) + Duration::hours(23));
        h.run_due_jobs().await;
        assert_eq!(h.store.order(&id).await.unwrap().state, "draft", "not yet");
        assert!(h.notifications("draft_expired").await.is_empty());

        h.advance(Duration::hours(2));
        let ran = h.run_due_jobs().await;
        assert!(ran.contains(&SWEEP_KIND.to_owned()));
        assert_eq!(h.store.order(&id).await.unwrap().state, "abandoned");
        let sn = h.store.service_number(&number).await.unwrap();
        assert_eq!(
            sn.status,
            ServiceNumberStatus::Unbound,
            "the number is free again"
        );
        assert_eq!(
            h.store.order_workflow(&id).await.unwrap().service_number,
            None
        );
        let timeline = h.store.order_timeline(&id).await.unwrap();
        let last = timeline.last().unwrap();
        assert_eq!(
            (last.event.as_str(), last.actor.as_str()),
            ("draft_expired", "job:deadline")
        );
        assert_eq!(
            h.notifications("draft_expired").await.len(),
            2,
            "email and SMS"
        );

        // Again: nothing changes, nothing more is sent.
        sweep(&h.state.workflow()).await.unwrap();
        assert_eq!(h.notifications("draft_expired").await.len(), 2);
        // The freed number backs another order.
        let alice = h.login("alice").await;
        let bob = h.new_user("bob", Role::Applicant).await;
        let (_, other) = bob
            .post(
                "/orders",
                check(
                    "expire-b-example.cn",
                    &credit_code(43),
                    "杭州己科技有限公司",
                ),
            )
            .await;
        let (status, body) = bob
            .put(
                &format!("/orders/{}/product", other["order_id"].as_str().unwrap()),
                json!({"service_number": number}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, view) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(view["state"], "abandoned");
    })
    .await;
}

#[tokio::test]
async fn a_sweep_overdue_at_start_runs_once() {
    testing::each_backend(async |t| {
        // Before the "restart": the sweep was due two days ago (the server was down since).
        let mut tx = t.store.begin().await.unwrap();
        tx.enqueue_job(SWEEP_KIND, &json!({}), t.store.now() - Duration::days(2))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // Start: the server schedules its sweep (none added: one is pending) and the worker
        // runs what is due.
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        assert!(!schedule_sweep(&h.store).await.unwrap());
        assert_eq!(h.run_due_jobs().await, vec![SWEEP_KIND.to_owned()]);
        assert!(
            h.run_due_jobs().await.is_empty(),
            "missed intervals are not replayed"
        );
        let done = h.store.jobs_in_status(SWEEP_KIND, "done").await.unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].attempts, 1);
        let pending = h.store.jobs_in_status(SWEEP_KIND, "pending").await.unwrap();
        assert_eq!(pending.len(), 1);
        let next_in = pending[0].due_at - h.clock.now().timestamp_millis();
        assert!(
            (3_500_000..=3_600_000).contains(&next_in),
            "next sweep in an hour: {next_in}"
        );
    })
    .await;
}
