//! The flows that go through the bureau: (a) a first filing of an enterprise through to its
//! number — the issue 6 story too: driven only by applicant and reviewer calls plus the
//! simulated clock, it reaches `completed`; (f) a bureau return, edited and resubmitted; (g) the
//! SMS window expiring. Everything is HTTP: the customer's phone is the simulator's inbox
//! page, the bureau's SMS page takes the code, the clock moves by `POST /sim/clock/advance`,
//! and the simulated bureau's console decides in manual mode.

use beian_store::testing;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::driver::{
    approve, bind, first_filing, jpeg, multipart, order, post_multipart, service_number,
    upload_missing_and_submit,
};
use crate::harness::wait::wait_until;
use crate::harness::{Session, TestApp};

/// The mobile of the responsible persons in the forms (`harness::person`).
pub const MOBILE: &str = "13800138000";

/// Waits until the order, as its owner sees it, is in `state`: what is due runs, the clock
/// moves to the next job due a minute at a time (a results poll that ran just before the
/// bureau decided runs again: the poll is due every minute of the clock).
pub async fn wait_for_state(api: &TestApp, s: &Session, id: &str, state: &str) -> Value {
    let reached = || async { order(s, id).await["state"] == state };
    api.eventually(&format!("the order is {state}"), reached)
        .await;
    order(s, id).await
}

/// The texts on the simulator's phone of `mobile`, oldest first.
pub async fn phone_texts(api: &TestApp, mobile: &str) -> Vec<String> {
    let inbox: Value = api
        .sim(Method::GET, &format!("/sim/phone-inbox?mobile={mobile}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    inbox["texts"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|t| t["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A first filing from a fresh account to `completed` (SMS check passed, the bureau's
/// automatic approval applied and synced).
pub async fn completed_first_filing(
    api: &TestApp,
    alice: &Session,
    domain: &str,
    serial: u32,
) -> String {
    let id = to_the_bureau(api, alice, domain, serial).await;
    api.advance_over_http(6).await;
    enter_sms_code(api).await;
    api.advance_over_http(11).await;
    api.advance_over_http(1).await;
    wait_for_state(api, alice, &id, "completed").await;
    id
}

/// The six-digit code in the newest text on the simulator's phone of `mobile`.
async fn sms_code(api: &TestApp, mobile: &str) -> Option<String> {
    phone_texts(api, mobile).await.iter().rev().find_map(|t| {
        let chars: Vec<char> = t.chars().collect();
        chars
            .windows(6)
            .find(|w| w.iter().all(char::is_ascii_digit))
            .map(|w| w.iter().collect())
    })
}

/// The customer enters the code from their phone on the bureau's page.
pub async fn enter_sms_code(api: &TestApp) {
    enter_sms_code_of(api, MOBILE).await;
}

/// The responsible person with `mobile` enters the code texted to it.
pub async fn enter_sms_code_of(api: &TestApp, mobile: &str) {
    wait_until("an SMS code reaches the phone", || async {
        sms_code(api, mobile).await.is_some()
    })
    .await;
    let code = sms_code(api, mobile).await.unwrap();
    let res = api
        .http
        .post(format!("{}/bureau/sms-verification", api.base))
        .form(&[("mobile", mobile), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// From a fresh account to a first filing waiting at the bureau for its SMS check: forms,
/// product, materials, submit, 初审, photo and its approval.
pub async fn to_the_bureau(api: &TestApp, alice: &Session, domain: &str, serial: u32) -> String {
    let id = first_filing(alice, domain, serial, "杭州备案全程科技有限公司").await;
    let number = format!("SN-{serial}");
    service_number(api, &number).await;
    bind(alice, &id, &number).await;
    let submitted = upload_missing_and_submit(alice, &id).await;
    assert_eq!(submitted["state"], "provider_review", "{submitted}");
    let rita = api.new_reviewer(&format!("rita{serial}")).await;
    let approved = approve(&rita, &id).await;
    assert_eq!(approved["state"], "photo_pending", "{approved}");
    photo_approved(alice, &rita, &id).await;
    wait_for_state(api, alice, &id, "sms_pending").await;
    id
}

/// The customer's photo, and the reviewer's approval of it.
async fn photo_approved(alice: &Session, rita: &Session, id: &str) {
    let (status, shot) = post_multipart(
        alice,
        &format!("/orders/{id}/photo"),
        multipart(&[], &jpeg(), "image/jpeg"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shot}");
    let (status, decided) = rita
        .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
}

#[tokio::test]
async fn a_first_filing_through_to_its_number() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        // The code arrives about five minutes after the submission; the bureau decides ten
        // minutes after the check; the next poll applies it (the SMS check and the approval
        // together: the bureau says nothing of the check alone) and the sync ends.
        let id = completed_first_filing(&api, &alice, "full-flow.cn", 41).await;
        let done = wait_for_state(&api, &alice, &id, "completed").await;
        let events: Vec<&str> = done["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["to_state"].as_str())
            .collect();
        for state in ["queued_for_bureau", "at_bureau", "approved", "completed"] {
            assert!(events.contains(&state), "{state} not in {events:?}");
        }

        let (status, sponsor) = alice.get("/sponsor").await;
        assert_eq!(status, StatusCode::OK, "{sponsor}");
        let text = sponsor.to_string();
        assert!(text.contains("浙ICP备"), "{sponsor}");
        assert!(text.contains("full-flow.cn"), "{sponsor}");
        assert!(text.contains("active"), "{sponsor}");
        assert_eq!(
            api.store.service_number("SN-41").await.unwrap().status,
            beian_store::products::ServiceNumberStatus::Filed
        );
    })
    .await;
}

/// The simulated bureau's pending review of the (one) submission waiting for a person.
async fn pending_review(api: &TestApp) -> i64 {
    let first = || async {
        let list: Value = api
            .sim(Method::GET, "/sim/bureau/reviews?state=queued")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["reviews"]
            .as_array()
            .and_then(|l| l.first())
            .and_then(|r| r["id"].as_i64())
    };
    wait_until("a review waits at the simulated bureau", || async {
        first().await.is_some()
    })
    .await;
    first().await.unwrap()
}

pub async fn decide(api: &TestApp, approve: bool, reasons: &[&str]) {
    let review = pending_review(api).await;
    let res = api
        .sim(
            Method::POST,
            &format!("/sim/bureau/reviews/{review}/decide"),
        )
        .json(&json!({ "approve": approve, "reasons": reasons }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn f_bureau_return_then_resubmit() {
    testing::each_backend(async |t| {
        let api = TestApp::new().manual_review().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = to_the_bureau(&api, &alice, "bureau-return.cn", 42).await;
        api.advance_over_http(6).await;
        enter_sms_code(&api).await;

        decide(&api, false, &["网站名称与网站内容不符"]).await;
        api.advance_over_http(1).await;
        let returned = wait_for_state(&api, &alice, &id, "bureau_returned").await;
        assert!(
            returned["return_reasons"]
                .to_string()
                .contains("网站名称与网站内容不符"),
            "{returned}"
        );

        let mut site = super::driver::website("bureau-return.cn");
        site["name"] = json!("杭州备案全程官网");
        let (status, edited) = alice.put(&format!("/orders/{id}/website"), site).await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        let (status, again) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["state"], "provider_review", "{again}");
        let rita = api.new_reviewer("rita-again").await;
        let approved = approve(&rita, &id).await;
        if approved["state"] == "photo_pending" {
            photo_approved(&alice, &rita, &id).await;
        }
        wait_for_state(&api, &alice, &id, "sms_pending").await;
        api.advance_over_http(6).await;
        enter_sms_code(&api).await;
        decide(&api, true, &[]).await;
        api.advance_over_http(1).await;
        let done = wait_for_state(&api, &alice, &id, "completed").await;
        assert_eq!(done["website"]["name"], "杭州备案全程官网", "{done}");
    })
    .await;
}

#[tokio::test]
async fn g_sms_window_expiry_returns_the_order() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = to_the_bureau(&api, &alice, "sms-expiry.cn", 43).await;
        // Nobody enters the code; the window (24 hours since 2020-08-17) closes.
        api.advance_over_http(6).await;
        api.advance_over_http(25 * 60).await;
        api.advance_over_http(1).await;
        // A day later the customer signs in again (the session has expired meanwhile).
        let alice = api.login("alice").await;
        let returned = wait_for_state(&api, &alice, &id, "bureau_returned").await;
        let reasons = returned["return_reasons"].to_string();
        assert!(
            reasons.contains("短信") || reasons.contains("核验"),
            "{returned}"
        );
        // A returned order can be edited and resubmitted.
        assert!(
            returned["allowed_events"].to_string().contains("submit"),
            "{returned}"
        );
    })
    .await;
}
