#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bureau's returns, on each backend against the in-process simulator (manual review):
//! an officer's refusal puts the order in `bureau_returned` with the bureau's reasons, and an
//! SMS check whose window passes returns the order the same way (as the simulator reports it:
//! a returned filing with its reason); the applicant is notified each time.

mod bureau_support;
mod orders_support;

use beian_platform::notify::open_notify_payload;
use beian_regulator::ReviewMode;
use beian_regulator::bureau::Decision;
use beian_regulator::model::SubmissionState;
use beian_store::testing;
use bureau_support::{code_in, queued_order, start_embedded_with, state_of, wait_until};
use serde_json::Value;

const MOBILE: &str = "13800138000";

async fn submissions_in(bed: &bureau_support::Bed, state: SubmissionState) -> Vec<i64> {
    bed.api
        .regulator
        .reviews(Some(state))
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect()
}

#[tokio::test]
async fn a_refusal_and_an_expired_sms_check_return_the_order_with_reasons() {
    testing::each_backend(async |t| {
        let bed = start_embedded_with(t, |s| {
            if let Some(sim) = s.simulator.as_mut() {
                sim.review = ReviewMode::Manual;
            }
        })
        .await;
        let store = &bed.api.store;
        let regulator = bed.api.regulator.clone();

        // 1. Delivered, SMS check passed, refused by an officer.
        let one = queued_order(&bed, "alice", 31, "refused-example.cn").await;
        wait_until("order 1 is delivered", || async {
            state_of(store, &one).await == "sms_pending"
        })
        .await;
        bed.clock.advance_minutes(6).unwrap();
        let code_of = async || {
            regulator
                .phone_inbox(MOBILE)
                .await
                .unwrap()
                .iter()
                .filter(|t| t.text.contains("核验码"))
                .find_map(|t| code_in(&t.text))
        };
        wait_until("the SMS code is texted", || async {
            code_of().await.is_some()
        })
        .await;
        regulator
            .enter_sms_code(MOBILE, &code_of().await.unwrap())
            .await
            .unwrap();
        let queued = submissions_in(&bed, SubmissionState::Queued).await;
        assert_eq!(queued.len(), 1);
        regulator
            .decide(
                queued[0],
                Decision::Refuse {
                    reasons: vec!["网站名称与主办单位不符".into()],
                },
            )
            .await
            .unwrap();
        bed.clock.advance_minutes(1).unwrap();
        wait_until("order 1 is returned", || async {
            state_of(store, &one).await == "bureau_returned"
        })
        .await;
        let order = store.order(&one).await.unwrap();
        let reasons = order.return_reasons.to_string();
        assert!(reasons.contains("网站名称与主办单位不符"), "{reasons}");
        assert!(reasons.contains("1002"), "{reasons}");

        // 2. Delivered, SMS code never entered: the window passes.
        let two = queued_order(&bed, "bob", 32, "expired-example.cn").await;
        wait_until("order 2 is delivered", || async {
            state_of(store, &two).await == "sms_pending"
        })
        .await;
        bed.clock.advance_minutes(25 * 60).unwrap();
        wait_until("the simulator returned it", || async {
            submissions_in(&bed, SubmissionState::Returned).await.len() == 1
        })
        .await;
        bed.clock.advance_minutes(1).unwrap();
        wait_until("order 2 is returned", || async {
            state_of(store, &two).await == "bureau_returned"
        })
        .await;
        let order = store.order(&two).await.unwrap();
        assert!(
            !order.return_reasons.as_array().unwrap().is_empty(),
            "{}",
            order.return_reasons
        );
        let timeline = store.order_timeline(&two).await.unwrap();
        let last = timeline.last().unwrap();
        assert_eq!(
            (last.from_state.as_deref(), last.to_state.as_str()),
            (Some("sms_pending"), "bureau_returned")
        );

        // The applicant was told both times (email and SMS).
        let mut returned = Vec::new();
        for (_, _, _, payload) in store.jobs_of_kind("notify").await.unwrap() {
            let job: Value =
                serde_json::from_str(&open_notify_payload(store, &payload).unwrap()).unwrap();
            if job["notification"]["event"] == "returned_by_bureau" {
                returned.push(job["notification"]["order_id"].as_str().unwrap().to_owned());
            }
        }
        returned.sort();
        let mut want = vec![one.clone(), one, two.clone(), two];
        want.sort();
        assert_eq!(returned, want);
    })
    .await;
}
