//! (c) 继续接入: a sponsor filed through this provider brings a domain it filed at another
//! provider; (d) the same is refused while another order of the sponsor is open.

use beian_store::testing;
use reqwest::StatusCode;
use serde_json::json;

use super::driver::{approve, bind, order, service_number, upload_missing_and_submit};
use super::registry::sponsor_hosted_here;
use crate::harness::{TestApp, check, credit_code};

#[tokio::test]
async fn c_continue_access_to_provider_review_and_approval() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        let carol = api.new_applicant("carol").await;
        let filed = sponsor_hosted_here(
            &api.regulator,
            &api.store,
            &carol.account_id,
            &credit_code(31),
            "杭州继续接入科技有限公司",
            "浙ICP备2020000031号",
            "cont-here.cn",
            "cont-elsewhere.cn",
        )
        .await;
        let body = check("cont-elsewhere.cn", &filed.code, &filed.name);
        let (status, checked) = carol.post("/filing-checks", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{checked}");
        assert_eq!(checked["kind"], "continue_access", "{checked}");
        assert_eq!(checked["needs_filing_password"], true, "{checked}");
        assert_eq!(
            checked["registry"]["sponsor_number"],
            filed.number.as_str(),
            "{checked}"
        );

        let (status, created) = carol.post("/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let (status, err) = carol
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": "not-the-password"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let (status, verified) = carol
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": filed.password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        assert_eq!(verified["password_verified"], true);

        // The registry's data is prefilled and locked: the sponsor's name cannot change.
        let seen = order(&carol, &id).await;
        assert_eq!(seen["sponsor"]["name"], filed.name.as_str(), "{seen}");
        assert_eq!(seen["website"]["domain"], "cont-elsewhere.cn", "{seen}");
        // The contact fields an access filing may carry are the customer's to complete.
        let mut sponsor = seen["sponsor"].clone();
        sponsor["responsible"]["emergency_mobile"] = json!("13900139000");
        let mut renamed = sponsor.clone();
        renamed["name"] = json!("另一个名字有限公司");
        let (status, err) = carol.put(&format!("/orders/{id}/sponsor"), renamed).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        let (status, saved) = carol.put(&format!("/orders/{id}/sponsor"), sponsor).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        // The registry gives the website as filed; what it does not keep is the customer's.
        let site = super::driver::complete_access_form(&seen["website"]);
        let (status, saved) = carol.put(&format!("/orders/{id}/website"), site).await;
        assert_eq!(status, StatusCode::OK, "{saved}");

        service_number(&api, "SN-C-1").await;
        bind(&carol, &id, "SN-C-1").await;
        let submitted = upload_missing_and_submit(&carol, &id).await;
        assert_eq!(submitted["state"], "provider_review", "{submitted}");
        let rita = api.new_reviewer("rita").await;
        let approved = approve(&rita, &id).await;
        assert_ne!(approved["state"], "provider_review", "{approved}");
    })
    .await;
}

#[tokio::test]
async fn d_continue_access_refused_while_another_order_is_open() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        let dave = api.new_applicant("dave").await;
        let filed = sponsor_hosted_here(
            &api.regulator,
            &api.store,
            &dave.account_id,
            &credit_code(32),
            "杭州并行订单科技有限公司",
            "浙ICP备2020000032号",
            "busy-here.cn",
            "busy-elsewhere.cn",
        )
        .await;
        // An order for a new website of the sponsor is open…
        let (status, first) = dave
            .post("/orders", check("busy-new.cn", &filed.code, &filed.name))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["kind"], "new_website", "{first}");
        let first_id = first["order_id"].as_str().unwrap().to_owned();

        // …so continue-access is refused, pointing at that order.
        let body = check("busy-elsewhere.cn", &filed.code, &filed.name);
        for path in ["/filing-checks", "/orders"] {
            let (status, err) = dave.post(path, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {err}");
            assert_eq!(err["error"]["code"], "order_in_progress", "{err}");
            assert!(err.to_string().contains(&first_id), "{err}");
        }

        // Once the open order is abandoned, the same check passes.
        let (status, _) = dave
            .post(&format!("/orders/{first_id}/abandon"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, checked) = dave.post("/filing-checks", body).await;
        assert_eq!(status, StatusCode::OK, "{checked}");
        assert_eq!(checked["kind"], "continue_access", "{checked}");
    })
    .await;
}
