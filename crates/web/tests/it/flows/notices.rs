//! The notices of issue 17 (3), each where a customer would otherwise learn nothing: a photo
//! rejection with its reason; before 取消接入 of a site's only access, the warning that the
//! bureau refuses it; the bureau's refusal of that 取消接入 with its reason (the access stays);
//! and the SMS window in the order's `deadlines` while the check runs. Each notice is queued
//! for mail and SMS in the customer's language (zh-CN, the default).

use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::bureau::{
    MOBILE, completed_first_filing, enter_sms_code, phone_texts, to_the_bureau, wait_for_state,
};
use super::driver::{
    approve, bind, first_filing, jpeg, multipart, post_multipart, service_number,
    upload_missing_and_submit,
};
use crate::harness::TestApp;

/// Every queued notification job of `event`, opened: `(channel, notification)`.
async fn notices(api: &TestApp, event: &str) -> Vec<(String, Value)> {
    api.notifications(event)
        .await
        .into_iter()
        .map(|job| {
            (
                job["channel"].as_str().unwrap().to_owned(),
                job["notification"].clone(),
            )
        })
        .collect()
}

fn channels(found: &[(String, Value)]) -> Vec<&str> {
    let mut c: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    c.sort_unstable();
    c
}

#[tokio::test]
async fn j1_a_rejected_photo_tells_the_customer_why() {
    testing::each_backend(async |t| {
        let api = TestApp::new().manual_review().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = first_filing(&alice, "photo-notice.cn", 51, "杭州照片通知科技有限公司").await;
        service_number(&api, "SN-51").await;
        bind(&alice, &id, "SN-51").await;
        upload_missing_and_submit(&alice, &id).await;
        let rita = api.new_reviewer("rita").await;
        assert_eq!(approve(&rita, &id).await["state"], "photo_pending");
        let (status, shot) = post_multipart(
            &alice,
            &format!("/orders/{id}/photo"),
            multipart(&[], &jpeg(), "image/jpeg"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{shot}");
        assert!(notices(&api, "photo_rejected").await.is_empty());

        let (status, rejected) = rita
            .post(
                &format!("/review/orders/{id}/photo/reject"),
                json!({"reason": {"code": "face_unclear", "text": "光线太暗"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{rejected}");
        let found = notices(&api, "photo_rejected").await;
        assert_eq!(channels(&found), ["email", "sms"], "{found:?}");
        for (_, n) in &found {
            assert_eq!(n["order_id"], id.as_str(), "{n}");
            assert_eq!(n["domain"], "photo-notice.cn", "{n}");
            assert!(n["reasons"].to_string().contains("光线太暗"), "{n}");
        }
    })
    .await;
}

#[tokio::test]
async fn j2_the_sms_window_is_a_deadline_while_it_runs() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = to_the_bureau(&api, &alice, "sms-window.cn", 52).await;
        let waiting = wait_for_state(&api, &alice, &id, "sms_pending").await;
        let window = waiting["deadlines"]["sms_window"]
            .as_i64()
            .expect("no sms_window");
        // The window is the one the customer was told of, 24 hours from the submission.
        let told = notices(&api, "sms_check_coming").await;
        assert!(!told.is_empty());
        let now = api.store.now().timestamp_millis();
        let hours = (window - now) as f64 / 3_600_000.0;
        assert!((23.0..=24.0).contains(&hours), "{hours} hours left");
        assert!(waiting["deadlines"]["bureau_submit"].is_i64(), "{waiting}");

        api.advance_over_http(6).await;
        enter_sms_code(&api).await;
        api.advance_over_http(11).await;
        api.advance_over_http(1).await;
        let done = wait_for_state(&api, &alice, &id, "completed").await;
        assert!(done["deadlines"]["sms_window"].is_null(), "{done}");
    })
    .await;
}

/// The filing password the regulator texted to the responsible person at approval.
async fn texted_password(api: &TestApp) -> String {
    let texts = phone_texts(api, MOBILE).await;
    let text = texts
        .iter()
        .find(|t| t.contains("备案密码"))
        .expect("no filing password texted");
    let rest = text.split("备案密码：").nth(1).unwrap();
    rest.split('，').next().unwrap().to_owned()
}

/// The last cancel-access code texted (the queued SMS, opened as the worker opens it).
async fn texted_code(api: &TestApp) -> String {
    let found = notices(api, "cancel_access_code").await;
    found
        .iter()
        .rev()
        .find_map(|(_, n)| n["code"].as_str().map(str::to_owned))
        .expect("no cancel-access code")
}

#[tokio::test]
async fn j3_cancelling_the_only_access_is_warned_and_the_refusal_told() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        completed_first_filing(&api, &alice, "only-access.cn", 53).await;
        let (_, sponsor) = alice.get("/sponsor").await;
        let website = sponsor["websites"][0]["id"].as_str().unwrap().to_owned();

        // Asking for the code warns: this provider is the site's only access.
        let (status, sent) = alice
            .post(
                &format!("/websites/{website}/cancel-access/code"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        assert_eq!(sent["only_access"], true, "{sent}");
        let warned = notices(&api, "cancel_access_only_access").await;
        assert_eq!(channels(&warned), ["email", "sms"], "{warned:?}");
        assert_eq!(warned[0].1["domain"], "only-access.cn");

        // The customer goes on anyway; the bureau refuses (1025) and says so.
        let code = texted_code(&api).await;
        let password = texted_password(&api).await;
        let (status, done) = alice
            .post(
                &format!("/websites/{website}/cancel-access"),
                json!({"sms_code": code, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        api.eventually("the bureau's refusal is told", || async {
            !notices(&api, "cancel_access_refused").await.is_empty()
        })
        .await;
        let refused = notices(&api, "cancel_access_refused").await;
        assert_eq!(channels(&refused), ["email", "sms"], "{refused:?}");
        assert!(
            refused[0].1["reasons"].to_string().contains("1025"),
            "{refused:?}"
        );
        let (_, sponsor) = alice.get("/sponsor").await;
        assert_eq!(
            sponsor["websites"][0]["access_status"], "active",
            "{sponsor}"
        );
    })
    .await;
}
