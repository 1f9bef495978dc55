//! The bureau's returns, on each backend against the in-process simulator (manual review):
//! an officer's refusal puts the order in `bureau_returned` with the bureau's reasons, and an
//! SMS check whose window passes returns the order the same way (as the simulator reports it:
//! a returned filing with its reason); the applicant is notified each time.

use crate::harness::TestApp;
use crate::harness::inputs::code_in;
use crate::harness::setup::state_of;
use crate::harness::wait::wait_until;
use beian_platform::notify::open_notify_payload;
use beian_regulator::bureau::Decision;
use beian_regulator::model::SubmissionState;
use beian_store::testing;
use serde_json::Value;

const MOBILE: &str = "13800138000";

async fn submissions_in(bed: &TestApp, state: SubmissionState) -> Vec<i64> {
    bed.regulator
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
        let bed = TestApp::new().manual_review().start(t).await;
        let store = &bed.store;
        let regulator = bed.regulator.clone();

        // 1. Delivered, SMS check passed, refused by an officer.
        let one = bed.queued_order("alice", 31, "refused-example.cn").await;
        bed.eventually("order 1 is delivered", || async {
            state_of(store, &one).await == "sms_pending"
        })
        .await;
        bed.advance_minutes(6);
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
        bed.eventually("order 1 is returned", || async {
            state_of(store, &one).await == "bureau_returned"
        })
        .await;
        let order = store.order(&one).await.unwrap();
        let reasons = order.return_reasons.to_string();
        assert!(reasons.contains("网站名称与主办单位不符"), "{reasons}");
        assert!(reasons.contains("1002"), "{reasons}");

        // 2. Delivered, SMS code never entered: the window passes.
        let two = bed.queued_order("bob", 32, "expired-example.cn").await;
        bed.eventually("order 2 is delivered", || async {
            state_of(store, &two).await == "sms_pending"
        })
        .await;
        bed.advance_minutes(25 * 60);
        wait_until("the simulator returned it", || async {
            submissions_in(&bed, SubmissionState::Returned).await.len() == 1
        })
        .await;
        bed.eventually("order 2 is returned", || async {
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
