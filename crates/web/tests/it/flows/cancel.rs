//! (i) 取消接入 of a site accessed here by 新增接入 (the bureau refuses to cancel a site's only
//! access, so the site is one also hosted at provider A): the code texted to the responsible
//! mobile on file (a wrong code first), the filing password (a wrong one first), then the
//! bureau takes this provider's access away — here and in the registry — while the number
//! stays with the ministry.

use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::bureau::{enter_sms_code_of, wait_for_state};
use super::driver::{approve, bind, order, service_number, upload_missing_and_submit};
use crate::harness::setup::fixture_sponsor;
use crate::harness::{Session, TestApp, check};

/// The last cancel-access code texted (the queued SMS, opened as the worker opens it).
async fn texted_code(api: &TestApp) -> String {
    let mut code = None;
    for (_, _, _, payload) in api.store.jobs_of_kind("notify").await.unwrap() {
        let text = beian_platform::notify::open_notify_payload(&api.store, &payload).unwrap();
        let job: Value = serde_json::from_str(&text).unwrap();
        if job["notification"]["event"] == "cancel_access_code" && job["channel"] == "sms" {
            code = job["notification"]["code"].as_str().map(str::to_owned);
        }
    }
    code.expect("no cancel-access code was texted")
}

/// 新增接入 of the filed `domain` on a server product, through to `completed`.
async fn new_access_completed(api: &TestApp, s: &Session, domain: &str, code: &str, name: &str) {
    let (status, created) = s.post("/orders", check(domain, code, name)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "new_access", "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let (status, verified) = s
        .post(
            &format!("/orders/{id}/password-verification"),
            json!({"password": beian_regulator::fixture::PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    let seen = order(s, &id).await;
    let sponsor_form = super::driver::complete_access_form(&seen["sponsor"]);
    let (status, saved) = s.put(&format!("/orders/{id}/sponsor"), sponsor_form).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let site = super::driver::complete_access_form(&seen["website"]);
    let (status, saved) = s.put(&format!("/orders/{id}/website"), site).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    service_number(api, "SN-I-1").await;
    bind(s, &id, "SN-I-1").await;
    let submitted = upload_missing_and_submit(s, &id).await;
    assert_eq!(submitted["state"], "provider_review", "{submitted}");
    let rita = api.new_reviewer("rita-i").await;
    if approve(&rita, &id).await["state"] == "photo_pending" {
        let (status, shot) = super::driver::post_multipart(
            s,
            &format!("/orders/{id}/photo"),
            super::driver::multipart(&[], &super::driver::jpeg(), "image/jpeg"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{shot}");
        let (status, ok) = rita
            .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{ok}");
    }
    wait_for_state(api, s, &id, "sms_pending").await;
    api.advance_over_http(6).await;
    enter_sms_code_of(api, &beian_regulator::fixture::sponsor_mobile(0)).await;
    enter_sms_code_of(api, "13700000000").await;
    api.advance_over_http(11).await;
    api.advance_over_http(1).await;
    wait_for_state(api, s, &id, "completed").await;
}

#[tokio::test]
async fn i_cancel_access_with_wrong_then_right_code_and_password() {
    testing::each_backend(async |t| {
        let api = TestApp::new()
            .auto_review_after(10)
            .fixture_registry()
            .start(t)
            .await;
        let alice = api.new_applicant("alice").await;
        let (_, code, name, domain) = fixture_sponsor();
        new_access_completed(&api, &alice, domain, &code, name).await;
        let password = beian_regulator::fixture::PASSWORD.to_owned();
        let (status, sponsor) = alice.get("/sponsor").await;
        assert_eq!(status, StatusCode::OK, "{sponsor}");
        let website = sponsor["websites"][0]["id"].as_str().unwrap().to_owned();
        let number = sponsor["websites"][0]["icp_number"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            sponsor["websites"][0]["access_status"], "active",
            "{sponsor}"
        );

        let (status, sent) = alice
            .post(
                &format!("/websites/{website}/cancel-access/code"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        let code = texted_code(&api).await;
        let wrong_code = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        let path = format!("/websites/{website}/cancel-access");
        let (status, err) = alice
            .post(&path, json!({"sms_code": wrong_code, "password": password}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["sms_code"].is_string(), "{err}");
        let (status, err) = alice
            .post(&path, json!({"sms_code": code, "password": "not-it-1"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "filing_password_incorrect", "{err}");
        let (status, done) = alice
            .post(&path, json!({"sms_code": code, "password": password}))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert!(
            done.to_string().contains("工信部") || done.to_string().contains("ministry"),
            "{done}"
        );

        // The bureau processes 取消接入; the next poll applies it.
        let access_status = async || {
            let (_, sponsor) = alice.get("/sponsor").await;
            sponsor["websites"][0]["access_status"].clone()
        };
        api.eventually("the access is cancelled", || async {
            access_status().await == "cancelled"
        })
        .await;
        // The number stays with the ministry; the registry no longer lists this provider.
        let query: Value = api
            .http
            .get(format!("{}/miit/query?domain={domain}", api.base))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(query.to_string().contains(&number), "{query}");
        let (_, sponsor) = alice.get("/sponsor").await;
        assert_eq!(sponsor["websites"][0]["icp_number"], number.as_str());
    })
    .await;
}
