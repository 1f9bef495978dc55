//! (e) provider return → edit → resubmit → approval; (h) abandon, and the service number
//! goes back to 未绑定.

use beian_store::products::ServiceNumberStatus;
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::json;

use super::driver::{
    approve, bind, first_filing, order, service_number, upload_missing_and_submit,
};
use crate::harness::TestApp;

#[tokio::test]
async fn e_provider_return_edit_resubmit_approval() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = first_filing(&alice, "return-flow.cn", 11, "杭州回退流程科技有限公司").await;
        service_number(&api, "SN-E-1").await;
        bind(&alice, &id, "SN-E-1").await;
        let submitted = upload_missing_and_submit(&alice, &id).await;
        assert_eq!(submitted["state"], "provider_review", "{submitted}");

        let rita = api.new_reviewer("rita").await;
        let (status, returned) = rita
            .post(
                &format!("/review/orders/{id}/return"),
                json!({"reasons": [{"field": "website.name", "message": "网站名称不能是“示例网站”"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{returned}");

        // The applicant sees the reason beside its field.
        let seen = order(&alice, &id).await;
        assert_eq!(seen["state"], "returned");
        let reasons = seen["return_reasons"].as_array().unwrap();
        assert!(
            reasons.iter().any(|r| r["field"] == "website.name"),
            "{seen}"
        );
        // Only the returned field is edited, then the order goes back to review.
        let mut site = super::driver::website("return-flow.cn");
        site["name"] = json!("杭州回退流程官网");
        let (status, edited) = alice.put(&format!("/orders/{id}/website"), site).await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        let (status, again) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["state"], "provider_review");

        let approved = approve(&rita, &id).await;
        assert_ne!(approved["state"], "provider_review", "{approved}");
        let seen = order(&alice, &id).await;
        assert_eq!(seen["state"], approved["state"], "{seen}");
        assert_eq!(seen["website"]["name"], "杭州回退流程官网", "{seen}");
    })
    .await;
}

#[tokio::test]
async fn h_abandon_frees_the_service_number() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = first_filing(&alice, "abandon-flow.cn", 12, "杭州放弃流程科技有限公司").await;
        service_number(&api, "SN-H-1").await;
        bind(&alice, &id, "SN-H-1").await;
        assert_eq!(
            api.store.service_number("SN-H-1").await.unwrap().status,
            ServiceNumberStatus::Bound
        );
        let submitted = upload_missing_and_submit(&alice, &id).await;
        assert_eq!(submitted["state"], "provider_review");

        let (status, done) = alice
            .post(&format!("/orders/{id}/abandon"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "abandoned");
        assert_eq!(
            api.store.service_number("SN-H-1").await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
        // An abandoned order is closed: it cannot be submitted or abandoned again.
        let (status, _) = alice
            .post(&format!("/orders/{id}/abandon"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // The freed number backs a new order of another customer.
        let bob = api.new_applicant("bob").await;
        let other = first_filing(&bob, "abandon-next.cn", 13, "杭州接手科技有限公司").await;
        bind(&bob, &other, "SN-H-1").await;
    })
    .await;
}
