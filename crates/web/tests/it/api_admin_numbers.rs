//! The admin API of product instances and service numbers over HTTP, on SQLite and
//! PostgreSQL: numbers issued within the policy's per-instance limit (beyond it refused with
//! `service_number_limit`), revoked only when unbound, and a policy change taking effect in the
//! applicant's product verification (minimum term, per-instance limit, qualifying states).

use crate::harness::TestApp;
use crate::harness::{check, credit_code};
use beian_store::accounts::Role;
use beian_store::testing;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn new_instance(admin: &crate::harness::Session, body: Value) -> String {
    let (status, created) = admin.post("/admin/instances", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

fn months_from(now: DateTime<Utc>, months: u32) -> i64 {
    now.checked_add_months(chrono::Months::new(months))
        .unwrap()
        .timestamp_millis()
}

#[tokio::test]
async fn service_numbers_are_issued_within_the_policy_and_revoked_when_unbound() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let admin = h.new_admin("root").await;
        let now = h.clock.now();
        let ecs = new_instance(
            &admin,
            json!({"product": "ecs", "public_ip": "203.0.113.9",
                   "term_end": months_from(now, 12)}),
        )
        .await;
        let path = format!("/admin/instances/{ecs}/service-numbers");
        let (status, issued) = admin.post(&path, json!({"count": 3})).await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        let numbers: Vec<String> = issued["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(numbers.len(), 3);
        for n in &numbers {
            assert!(n.starts_with("SN-") && n.len() == 22, "{n}");
        }
        let (status, err) = admin.post(&path, json!({"count": 3})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "3 + 3 > 5: {err}");
        assert_eq!(err["error"]["code"], "service_number_limit");
        assert!(
            err["error"]["message"].as_str().unwrap().contains('5'),
            "{err}"
        );

        // Revoking an unbound number frees its place.
        let (status, revoked) = admin
            .post(
                &format!("/admin/service-numbers/{}/revoke", numbers[0]),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{revoked}");
        assert_eq!(revoked["status"], "expired");
        let (status, issued) = admin.post(&path, json!({"count": 3})).await;
        assert_eq!(status, StatusCode::CREATED, "2 live + 3 = 5: {issued}");
        let (status, _) = admin.post(&path, json!({"count": 1})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // A bound number cannot be revoked.
        let alice = h.new_user("alice", Role::Applicant).await;
        let (status, order) = alice
            .post(
                "/orders",
                check("bound-example.cn", &credit_code(31), "杭州甲科技有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let order_id = order["order_id"].as_str().unwrap();
        let (status, body) = alice
            .put(
                &format!("/orders/{order_id}/product"),
                json!({"service_number": numbers[1]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, err) = admin
            .post(
                &format!("/admin/service-numbers/{}/revoke", numbers[1]),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "service_number_in_use");

        let (status, list) = admin.get(&path).await;
        assert_eq!(status, StatusCode::OK);
        let statuses: Vec<&str> = list["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses.len(), 6);
        assert_eq!(statuses.iter().filter(|s| **s == "expired").count(), 1);
        assert_eq!(statuses.iter().filter(|s| **s == "bound").count(), 1);
        let (_, instances) = admin.get("/admin/instances").await;
        assert_eq!(
            instances["instances"][0]["numbers"]["unbound"], 4,
            "{instances}"
        );

        // A storefront instance issues none; a stopped one none under the default policy.
        let shop = new_instance(
            &admin,
            json!({"product": "storefront", "term_end": months_from(now, 12)}),
        )
        .await;
        let (status, err) = admin
            .post(
                &format!("/admin/instances/{shop}/service-numbers"),
                json!({"count": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["code"], "instance_not_qualifying");
        let (status, err) = admin
            .post(
                "/admin/instances",
                json!({"product": "vm", "public_ip": "nope", "term_end": 0}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["product", "public_ip", "term_end"] {
            assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_policy_change_takes_effect_in_product_verification() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let admin = h.new_admin("root").await;
        let now = h.clock.now();
        // Six months left: enough for the default 3-month minimum.
        let six = new_instance(
            &admin,
            json!({"product": "ecs", "public_ip": "203.0.113.10", "term_end": months_from(now, 6)}),
        )
        .await;
        let (_, issued) = admin
            .post(&format!("/admin/instances/{six}/service-numbers"), json!({"count": 3}))
            .await;
        let six_numbers: Vec<String> = serde_json::from_value(issued["numbers"].clone()).unwrap();

        let alice = h.new_user("alice", Role::Applicant).await;
        let (_, order) = alice
            .post("/orders", check("policy-example.cn", &credit_code(32), "杭州乙科技有限公司"))
            .await;
        let product = format!("/orders/{}/product", order["order_id"].as_str().unwrap());

        let (status, policy) = admin
            .put("/admin/service-number-policy",
                 json!({"per_instance_limit": 5, "min_term_months": 12, "qualifying_states": ["running"]}))
            .await;
        assert_eq!(status, StatusCode::OK, "{policy}");
        assert_eq!(policy["min_term_months"], 12);
        let (status, err) = alice.put(&product, json!({"service_number": six_numbers[0]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "instance_term_too_short");

        admin
            .put("/admin/service-number-policy",
                 json!({"per_instance_limit": 1, "min_term_months": 3, "qualifying_states": ["running"]}))
            .await;
        let (status, body) = alice.put(&product, json!({"service_number": six_numbers[0]})).await;
        assert_eq!(status, StatusCode::OK, "6 months ≥ 3: {body}");

        // Limit 1: a second order cannot use another number of the same instance.
        let bob = h.new_user("bob", Role::Applicant).await;
        let (_, order_b) = bob
            .post("/orders", check("policy-b-example.cn", &credit_code(33), "杭州丙科技有限公司"))
            .await;
        let product_b = format!("/orders/{}/product", order_b["order_id"].as_str().unwrap());
        let (status, err) = bob.put(&product_b, json!({"service_number": six_numbers[1]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "instance_number_limit");

        // A stopped instance qualifies once the policy says so.
        let stopped = new_instance(
            &admin,
            json!({"product": "ecs", "public_ip": "203.0.113.11", "status": "stopped",
                   "term_end": months_from(now, 12)}),
        )
        .await;
        let (status, _) = admin
            .post(&format!("/admin/instances/{stopped}/service-numbers"), json!({"count": 1}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not qualifying yet");
        let (status, _) = admin
            .put("/admin/service-number-policy",
                 json!({"per_instance_limit": 5, "min_term_months": 3, "qualifying_states": ["running", "stopped"]}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, issued) = admin
            .post(&format!("/admin/instances/{stopped}/service-numbers"), json!({"count": 1}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        let (status, body) = bob
            .put(&product_b, json!({"service_number": issued["numbers"][0]}))
            .await;
        assert_eq!(status, StatusCode::OK, "a stopped instance now qualifies: {body}");

        let (status, err) = admin
            .put("/admin/service-number-policy",
                 json!({"per_instance_limit": 0, "min_term_months": -1, "qualifying_states": ["paused"]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["per_instance_limit", "min_term_months", "qualifying_states"] {
            assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
        }
    })
    .await;
}
