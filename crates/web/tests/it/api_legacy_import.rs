//! The legacy (万网) import over HTTP on both backends with the in-process simulator (issue 5,
//! item 10, must-show (k)): the confirmation, wrong credentials naming the field, one import,
//! a second import refused (same legacy account; an account that holds a sponsor), and the
//! per-username throttle on wrong passwords (simulated clock).

use crate::harness::{TestApp, credit_code};
use beian_platform::legacy::{LineOutcome, example_record, load_line};
use beian_store::testing::each_backend;
use reqwest::StatusCode;
use serde_json::json;

fn hash(password: &str) -> String {
    beian_web::api::auth::hash_password(password).unwrap()
}

#[tokio::test]
async fn legacy_import_once_and_a_second_import_refused() {
    each_backend(async |t| {
        let api = TestApp::new().simulated_clock().fixture_registry().start(t).await;
        let records = [
            ("wanwang_a", "浙ICP备2015000101号", "legacy-a.com"),
            ("wanwang_b", "浙ICP备2015000102号", "legacy-b.com"),
        ];
        for (i, (user, number, domain)) in records.iter().enumerate() {
            let line = example_record(
                user,
                &hash("old secret"),
                &credit_code(900 + u32::try_from(i).unwrap()),
                number,
                domain,
            );
            let outcome = load_line(&api.store, "test", &line).await.unwrap();
            assert_eq!(outcome, LineOutcome::Loaded);
        }
        let alice = api.new_applicant("alice").await;
        let body = |password: &str, confirm: bool| {
            json!({"legacy_username": "wanwang_a", "legacy_password": password, "confirm": confirm})
        };

        let (status, res) = alice.post("/legacy-imports", body("old secret", false)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res["error"]["code"], "confirmation_required");
        assert!(res["error"]["fields"]["confirm"].is_string());
        let (status, res) = alice.post("/legacy-imports", body("guess", true)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(res["error"]["code"], "legacy_credentials_invalid");
        assert!(res["error"]["fields"]["legacy_password"].is_string());
        let (status, res) = alice
            .post(
                "/legacy-imports",
                json!({"legacy_username": "nobody", "legacy_password": "x", "confirm": true}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{res}");
        assert_eq!(alice.get("/sponsor").await.0, StatusCode::NOT_FOUND);

        let (status, res) = alice.post("/legacy-imports", body("old secret", true)).await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
        assert_eq!(res["icp_number"], "浙ICP备2015000101号");
        assert_eq!(res["websites"][0]["icp_number"], "浙ICP备2015000101号-1");
        let (_, view) = alice.get("/sponsor").await;
        assert_eq!(view["icp_number"], "浙ICP备2015000101号");
        assert_eq!(view["websites"][0]["domain"], "legacy-a.com");
        assert_eq!(view["websites"][0]["access_status"], "active");
        assert_eq!(view["accesses"].as_array().unwrap().len(), 1);

        // The same legacy account again, from another account: refused.
        let bob = api.new_applicant("bob").await;
        let (status, res) = bob.post("/legacy-imports", body("old secret", true)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(res["error"]["code"], "legacy_already_imported");
        assert_eq!(bob.get("/sponsor").await.0, StatusCode::NOT_FOUND);
        // Another legacy account into alice, who holds a sponsor now: refused.
        let (status, res) = alice
            .post(
                "/legacy-imports",
                json!({"legacy_username": "wanwang_b", "legacy_password": "old secret",
                       "confirm": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(res["error"]["code"], "account_has_sponsor");

        // Wrong passwords are throttled per legacy username.
        for _ in 0..10 {
            let (status, _) = bob
                .post(
                    "/legacy-imports",
                    json!({"legacy_username": "wanwang_b", "legacy_password": "guess",
                           "confirm": true}),
                )
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, res) = bob
            .post(
                "/legacy-imports",
                json!({"legacy_username": "wanwang_b", "legacy_password": "old secret",
                       "confirm": true}),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{res}");
        assert_eq!(res["error"]["code"], "too_many_attempts");
        api.advance_over_http(61).await;
        let (status, res) = bob
            .post(
                "/legacy-imports",
                json!({"legacy_username": "wanwang_b", "legacy_password": "old secret",
                       "confirm": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
    })
    .await;
}
