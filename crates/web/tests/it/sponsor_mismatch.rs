//! `sponsor_mismatch` (issue 17, 1): the seed warns that what the applicant types about a filed
//! sponsor "一定要与原备案信息一致". A filing check (and an order) for a certificate the
//! registry knows, with another name, nature or certificate type, is refused with 422
//! `sponsor_mismatch` naming the fields that differ — and never the registry's values. On
//! SQLite and PostgreSQL, against the in-process simulator.

use crate::harness::{Session, TestApp, check, setup::fixture_sponsor};
use beian_core::province::Province;
use beian_regulator::fixture;
use beian_regulator::registry;
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Posts `body` to both the filing check and the order creation; both must refuse with
/// `sponsor_mismatch` naming exactly `fields`, without `hidden` anywhere in the answer.
async fn refused(s: &Session, body: &Value, fields: &[&str], hidden: &[&str]) {
    for path in ["/filing-checks", "/orders"] {
        let (status, err) = s.post(path, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {err}");
        assert_eq!(err["error"]["code"], "sponsor_mismatch", "{path}: {err}");
        let named: Vec<&str> = err["error"]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(named, fields, "{path}: {err}");
        let text = err.to_string();
        for value in hidden {
            assert!(!text.contains(value), "{path} reveals {value}: {err}");
        }
    }
    let (_, orders) = s.get("/orders").await;
    let items = orders["items"].as_array().or(orders.as_array()).unwrap();
    assert!(items.is_empty(), "a refused order was made: {orders}");
}

#[tokio::test]
async fn another_name_is_refused_naming_the_name_only() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        let s = api.new_applicant("ming").await;
        let (_, code, filed_name, domain) = fixture_sponsor();
        let body = check(domain, &code, "杭州另一家示例有限公司");
        refused(&s, &body, &["sponsor.name"], &[filed_name]).await;
        // Differences of typing only (spaces, full-width brackets, letter case) are no mismatch.
        let spaced: String = filed_name.chars().flat_map(|c| [c, ' ']).collect();
        let (status, ok) = s
            .post("/filing-checks", check(domain, &code, &spaced))
            .await;
        assert_eq!(status, StatusCode::OK, "{ok}");
        assert_eq!(ok["kind"], "new_access", "{ok}");
    })
    .await;
}

#[tokio::test]
async fn another_nature_is_refused_naming_the_nature_only() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        let s = api.new_applicant("nina").await;
        let (_, code, filed_name, domain) = fixture_sponsor();
        let mut body = check(domain, &code, filed_name);
        body["sponsor"]["nature"] = json!("institution");
        refused(&s, &body, &["sponsor.nature"], &["enterprise", "企业"]).await;
        // Name and nature together: both named.
        body["sponsor"]["name"] = json!("杭州另一家示例有限公司");
        refused(
            &s,
            &body,
            &["sponsor.name", "sponsor.nature"],
            &[filed_name],
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn another_certificate_type_is_refused_naming_the_type_only() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        // An individual filed with a passport.
        let mut data = fixture::sponsor(Province::ZHEJIANG, "E12345678", "王小明", "13900000051");
        data.nature = "individual".into();
        data.certificate_type = "passport".into();
        let at = api.regulator.now();
        // A write transaction from its start: the simulator's driver writes meanwhile.
        let mut tx = api
            .regulator
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .unwrap();
        registry::insert_sponsor(
            &mut tx,
            api.regulator.crypto(),
            &data,
            "浙ICP备2020000051号",
            at,
            &mut rand::rng(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let s = api.new_applicant("wang").await;
        let mut body = json!({"domain": "wang-example.cn", "sponsor": {"province": "33",
            "nature": "individual", "certificate_type": "taiwan_permit",
            "certificate_number": "E12345678", "name": "王小明"}});
        refused(
            &s,
            &body,
            &["sponsor.certificate_type"],
            &["passport", "护照"],
        )
        .await;
        // The same person with the certificate as filed: a new website of a sponsor filed
        // elsewhere.
        body["sponsor"]["certificate_type"] = json!("passport");
        let (status, ok) = s.post("/filing-checks", body).await;
        assert_eq!(status, StatusCode::OK, "{ok}");
        assert_eq!(ok["kind"], "new_website_elsewhere_sponsor", "{ok}");
    })
    .await;
}

#[tokio::test]
async fn the_mismatch_message_names_the_fields_in_both_languages() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        let s = api.new_applicant("lang").await;
        let (_, code, _, domain) = fixture_sponsor();
        let mut body = check(domain, &code, "杭州另一家示例有限公司");
        body["sponsor"]["nature"] = json!("institution");
        let (status, zh) = s.post("/filing-checks", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{zh}");
        let (status, en) = s
            .send(
                s.req(reqwest::Method::POST, "/filing-checks")
                    .header("accept-language", "en")
                    .json(&body),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{en}");
        let zh = zh["error"]["message"].as_str().unwrap().to_owned();
        let en = en["error"]["message"].as_str().unwrap().to_owned();
        assert_ne!(zh, en);
        assert!(zh.contains("名称") && zh.contains("性质"), "{zh}");
        assert!(
            en.to_lowercase().contains("name") && en.to_lowercase().contains("nature"),
            "{en}"
        );
    })
    .await;
}

/// A bureau without beian's extensions (every real one; here the simulator asked without the
/// header): the registry does not say how the sponsor is filed, so a sponsor we do not hold
/// cannot be compared before the bureau's own review. The check still decides the kind; the
/// mismatch is the bureau's to refuse. Nothing breaks, nothing is guessed.
#[tokio::test]
async fn without_the_extensions_a_sponsor_filed_elsewhere_is_not_compared() {
    testing::each_backend(async |t| {
        let api = TestApp::new()
            .fixture_registry()
            .settings(|s| s.regulator.extensions = Some(false))
            .start(t)
            .await;
        let s = api.new_applicant("noext").await;
        let (_, code, _, domain) = fixture_sponsor();
        let (status, ok) = s
            .post(
                "/filing-checks",
                check(domain, &code, "杭州另一家示例有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{ok}");
        assert_eq!(ok["kind"], "new_access", "{ok}");
    })
    .await;
}
