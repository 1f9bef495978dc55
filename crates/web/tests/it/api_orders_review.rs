//! A complete order over HTTP on each backend: forms, product, submission to the provider's
//! review, and a reviewer's return that the applicant then sees; the storefront product.

use crate::harness::setup::product_and_materials;
use crate::harness::{TestApp, check, credit_code, person};
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_complete_order_is_submitted_and_a_reviewer_returns_it() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let body = check("ready-example.cn", &credit_code(4), "杭州丁科技有限公司");
        let (status, created) = alice.post("/orders", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();

        let mut sponsor = body["sponsor"].clone();
        sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
        sponsor["responsible"] = person();
        let (status, order) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let website = json!({"name": "示例网站", "domain": "ready-example.cn",
            "home_url": "https://www.ready-example.cn/", "service_content": "企业官网",
            "languages": ["zh_cn"], "responsible": person(), "pre_approvals": []});
        let (status, order) = alice.put(&format!("/orders/{id}/website"), website).await;
        assert_eq!(status, StatusCode::OK, "{order}");

        product_and_materials(&api.store, &id, "SN-READY").await;
        let (status, err) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN-NONE"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "service_number_unknown");
        let (status, order) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN-READY"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");

        let (status, order) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        assert_eq!(order["state"], "provider_review");

        let reviewer = api.new_reviewer("rita").await;
        let (status, returned) = reviewer
            .post(
                &format!("/review/orders/{id}/return"),
                json!({"reasons": [{"field": "sponsor.address", "message": "请填写门牌号"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{returned}");
        assert_eq!(returned["state"], "returned");
        let (status, order) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(order["state"], "returned");
        assert!(order.to_string().contains("请填写门牌号"), "{order}");
    })
    .await;
}

#[tokio::test]
async fn a_storefront_order_needs_an_active_subscription() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let body = check("shop-example.cn", &credit_code(5), "杭州戊科技有限公司");
        let (status, created) = alice.post("/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let path = format!("/orders/{id}/product");

        let (status, err) = alice.put(&path, json!({"storefront_account": true})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "no_storefront_subscription");

        let now = api.store.now().timestamp_millis();
        let mut tx = api.store.begin().await.unwrap();
        tx.insert_storefront_subscription("test", &alice.account_id, "active", now + 86_400_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (status, order) = alice.put(&path, json!({"storefront_account": true})).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        assert_eq!(order["product_line"], "storefront", "{order}");

        // Both at once is refused, naming the field.
        let (status, err) = alice
            .put(
                &path,
                json!({"storefront_account": true, "service_number": "SN1"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["fields"]["service_number"].is_string(),
            "{err}"
        );
    })
    .await;
}
