//! (j) The storefront (阿里巴巴旺铺 / 企业官网) product of the second seed: a first filing —
//! product verified by the account's subscription, identity verified in the app before the
//! provider's review, no backdrop photo — through to its number; and 接入已有备案 of a site
//! filed at another provider, with the filing password, through to the access here.

use beian_store::testing;
use reqwest::StatusCode;
use serde_json::json;

use super::bureau::{enter_sms_code, enter_sms_code_of, wait_for_state};
use super::driver::{
    approve, first_filing, order, storefront_subscription, upload_missing_and_submit,
};
use crate::harness::setup::fixture_sponsor;
use crate::harness::{Session, TestApp, check};

/// Verifies the product by the subscription, has the app report the identity check, submits,
/// and has the provider approve: the order goes straight to the bureau's queue.
async fn storefront_to_the_bureau(api: &TestApp, customer: &Session, id: &str, tag: &str) {
    storefront_subscription(&api.store, &customer.account_id).await;
    let (status, order_now) = customer
        .put(
            &format!("/orders/{id}/product"),
            json!({"storefront_account": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order_now}");
    assert_eq!(order_now["product_line"], "storefront", "{order_now}");
    assert!(
        !order_now["steps"].to_string().contains("backdrop"),
        "no backdrop photo in the storefront flow: {order_now}"
    );

    // Identity comes before the provider's review: submitting without it is refused.
    let (status, early) = customer
        .post(&format!("/orders/{id}/submit"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");
    // The storefront app's back end reports the check (an admin credential).
    let app = api.new_admin(&format!("app-{tag}")).await;
    let (status, reported) = app
        .post(&format!("/review/orders/{id}/app-identity"), json!({}))
        .await;
    assert!(status.is_success(), "{reported}");

    let submitted = upload_missing_and_submit(customer, id).await;
    assert_eq!(submitted["state"], "provider_review", "{submitted}");
    let rita = api.new_reviewer(&format!("rita-{tag}")).await;
    let approved = approve(&rita, id).await;
    assert_eq!(approved["state"], "queued_for_bureau", "{approved}");
}

#[tokio::test]
async fn j_storefront_first_filing_and_access_to_an_existing_filing() {
    testing::each_backend(async |t| {
        let api = TestApp::new()
            .auto_review_after(10)
            .fixture_registry()
            .start(t)
            .await;

        // First filing on the storefront product.
        let shop = api.new_applicant("shop").await;
        let id = first_filing(&shop, "shop-first.cn", 51, "杭州旺铺首备有限公司").await;
        storefront_to_the_bureau(&api, &shop, &id, "first").await;
        wait_for_state(&api, &shop, &id, "sms_pending").await;
        api.advance_over_http(6).await;
        enter_sms_code(&api).await;
        api.advance_over_http(11).await;
        api.advance_over_http(1).await;
        wait_for_state(&api, &shop, &id, "completed").await;
        let (status, sponsor) = shop.get("/sponsor").await;
        assert_eq!(status, StatusCode::OK, "{sponsor}");
        assert!(sponsor.to_string().contains("shop-first.cn"), "{sponsor}");

        // 接入已有备案: the fixture's site filed at provider A comes to the storefront.
        let (_, code, name, domain) = fixture_sponsor();
        let other = api.new_applicant("owner").await;
        let (status, created) = other.post("/orders", check(domain, &code, name)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["kind"], "new_access", "{created}");
        let access = created["order_id"].as_str().unwrap().to_owned();
        let (status, verified) = other
            .post(
                &format!("/orders/{access}/password-verification"),
                json!({"password": beian_regulator::fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        let seen = order(&other, &access).await;
        // What the registry gave stays; the customer completes the rest.
        let sponsor_form = super::driver::complete_access_form(&seen["sponsor"]);
        let (status, saved) = other
            .put(&format!("/orders/{access}/sponsor"), sponsor_form)
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let site = super::driver::complete_access_form(&seen["website"]);
        let (status, saved) = other.put(&format!("/orders/{access}/website"), site).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        storefront_to_the_bureau(&api, &other, &access, "access").await;
        wait_for_state(&api, &other, &access, "sms_pending").await;
        api.advance_over_http(6).await;
        // The bureau texts the responsible persons it has on file for the filed site.
        enter_sms_code_of(&api, &beian_regulator::fixture::sponsor_mobile(0)).await;
        enter_sms_code_of(&api, "13700000000").await;
        api.advance_over_http(11).await;
        api.advance_over_http(1).await;
        wait_for_state(&api, &other, &access, "completed").await;
        let (status, sponsor) = other.get("/sponsor").await;
        assert_eq!(status, StatusCode::OK, "{sponsor}");
        assert!(sponsor.to_string().contains(domain), "{sponsor}");
        assert!(sponsor.to_string().contains("active"), "{sponsor}");
    })
    .await;
}
