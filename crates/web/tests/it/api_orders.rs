//! The applicant's order API over HTTP on each backend, with the real in-process regulator
//! simulator (reached over SOAP on the server's own listener): filing checks, order creation
//! and idempotent retries, forms with bad values, incomplete submission, abandonment (with
//! the access warning), another applicant's 404.

use crate::harness::setup::fixture_sponsor;
use crate::harness::{TestApp, check, credit_code};
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_applicant_checks_creates_fills_submits_and_abandons_a_first_filing() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let body = check("fresh-example.cn", &credit_code(1), "杭州甲科技有限公司");

        let (status, checked) = alice.post("/filing-checks", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{checked}");
        assert_eq!(checked["kind"], "first_filing");

        let (status, created) = alice.post("/orders", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["kind"], "first_filing");
        let id = created["order_id"].as_str().unwrap().to_owned();

        let (status, order) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        assert_eq!(order["id"], id.as_str());
        assert_eq!(order["state"], "draft");
        let (status, list) = alice.get("/orders").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

        // A bad mobile in the sponsor form names the field.
        let mut sponsor = body["sponsor"].clone();
        sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
        sponsor["responsible"] = json!({"name": "张三", "certificate_type": "resident_id",
            "certificate_number": "11010519491231002X", "mobile": "123",
            "email": "zhang@example.cn", "emergency_mobile": "13900139000"});
        let (status, err) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "invalid_input");
        assert!(
            err["error"]["fields"]["sponsor.responsible.mobile"].is_string(),
            "{err}"
        );

        // A website on another domain than the order's is refused, naming the field.
        let website = json!({"name": "示例网站", "domain": "fresh-example.cn",
            "home_url": "https://www.other-example.cn/", "service_content": "企业官网",
            "languages": ["zh_cn"], "responsible": {"name": "张三",
            "certificate_type": "resident_id", "certificate_number": "11010519491231002X",
            "mobile": "13800138000", "email": "zhang@example.cn",
            "emergency_mobile": "13900139000"}});
        let (status, err) = alice.put(&format!("/orders/{id}/website"), website).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["fields"]["website.home_url"].is_string(),
            "{err}"
        );

        // Submitting the empty order lists what is missing.
        let (status, err) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "not_ready");
        let missing = err["error"]["fields"].as_object().unwrap();
        assert!(missing.contains_key("sponsor.address"), "{err}");
        assert!(missing.keys().any(|k| k.starts_with("materials.")), "{err}");

        // English on request.
        let (status, err) = alice
            .send(
                alice
                    .req(
                        reqwest::Method::POST,
                        &format!("/orders/{id}/password-verification"),
                    )
                    .header("accept-language", "en")
                    .json(&json!({"password": "whatever"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "not_for_this_kind");
        let en = err["error"]["message"].as_str().unwrap();
        assert!(en.is_ascii(), "{en}");

        // Abandoning a first filing carries no access warning.
        let (status, done) = alice
            .post(&format!("/orders/{id}/abandon"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "abandoned");
        assert!(done["warning"].is_null(), "{done}");
    })
    .await;
}

#[tokio::test]
async fn orders_are_private_and_creation_is_idempotent() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let bob = api.new_applicant("bob").await;
        let body = check("idem-example.cn", &credit_code(2), "杭州乙科技有限公司");

        let first = alice
            .send(
                alice
                    .req(reqwest::Method::POST, "/orders")
                    .header("idempotency-key", "order-1")
                    .json(&body),
            )
            .await;
        assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
        let again = alice
            .send(
                alice
                    .req(reqwest::Method::POST, "/orders")
                    .header("idempotency-key", "order-1")
                    .json(&body),
            )
            .await;
        assert_eq!(again, first, "the retry gets the first answer");
        let (_, list) = alice.get("/orders").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        let id = first.1["order_id"].as_str().unwrap();

        // Without the key, a second order for the same sponsor is refused.
        let (status, err) = alice.post("/orders", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "order_in_progress");

        for (status, err) in [
            bob.get(&format!("/orders/{id}")).await,
            bob.post(&format!("/orders/{id}/abandon"), json!({})).await,
            bob.put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN1"}),
            )
            .await,
        ] {
            assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
            assert_eq!(err["error"]["code"], "not_found");
        }
        let (status, _) = bob.get("/orders/no-such-order").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The return is a reviewer's.
        let (status, err) = alice
            .post(
                &format!("/review/orders/{id}/return"),
                json!({"reasons": [{"field": "sponsor.address", "message": "不完整"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");

        // A product body needs one of the two.
        let (status, err) = alice.put(&format!("/orders/{id}/product"), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["fields"]["service_number"].is_string(),
            "{err}"
        );

        // Unauthenticated.
        let res = api
            .http
            .get(format!("{}/api/v1/orders", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn the_registry_is_asked_over_soap_for_filed_domains() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        let (_, code, name, domain) = fixture_sponsor();
        let code = code.as_str();
        let alice = api.new_applicant("alice").await;

        // Someone else's filed domain.
        let (status, err) = alice
            .post(
                "/filing-checks",
                check(domain, &credit_code(3), "杭州丙科技有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "domain_of_other_sponsor");

        // The filed sponsor itself: an access kind with the filing password to verify.
        let body = check(domain, code, name);
        let (status, created) = alice.post("/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_ne!(created["kind"], "first_filing", "{created}");
        assert_eq!(created["needs_filing_password"], true, "{created}");
        let id = created["order_id"].as_str().unwrap();

        let (status, err) = alice
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": "wrong-password"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "filing_password_incorrect");
        let (status, order) = alice
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": beian_regulator::fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");

        let (status, done) = alice
            .send(
                alice
                    .req(reqwest::Method::POST, &format!("/orders/{id}/abandon"))
                    .header("accept-language", "en"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "abandoned");
        let warning = done["warning"].as_str().unwrap();
        assert!(!warning.is_empty() && warning.is_ascii(), "{warning}");
    })
    .await;
}
