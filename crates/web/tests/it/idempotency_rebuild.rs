//! Answers lost in a crash (issue 16): an idempotent request whose effects committed but
//! whose answer was never stored is not run again; a retry, once the key is stale, gets the
//! answer rebuilt from what the commit recorded (`crates/web/src/api/rebuild.rs`), stored for
//! later retries. The crash itself is the crash suite's (`tests/crash`); here the answer is
//! taken away after the fact, which leaves the key exactly as a crash between the commit and
//! the answer would: pending, with the commit's effects.

use crate::harness::setup::product_and_materials;
use crate::harness::{TestApp, check, credit_code, person};
use beian_store::Store;
use beian_store::testing;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Makes the stored answer of `key` as a crash would have left it: pending (status 0, no
/// body), claimed 10 minutes ago on the real clock (past the 2-minute stale time, well within
/// the 7 days the keys are kept before the purge job deletes them).
async fn lose_answer(store: &Store, key: &str) {
    let changed = sqlx::query(
        "UPDATE idempotency_keys SET response_status = 0, response_body = $1, created_at = $2 \
         WHERE key = $3",
    )
    .bind(Vec::<u8>::new())
    .bind(ten_minutes_ago())
    .bind(key)
    .execute(store.pool())
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1, "the key {key} was stored");
}

fn ten_minutes_ago() -> i64 {
    chrono::Utc::now().timestamp_millis() - 600_000
}

/// Sends `req` with the key: status, JSON, and whether it was marked replayed and rebuilt.
async fn keyed(req: reqwest::RequestBuilder, key: &str) -> (StatusCode, Value, bool, bool) {
    let res = req.header("idempotency-key", key).send().await.unwrap();
    let status = res.status();
    let replayed = res.headers().contains_key("idempotent-replayed");
    let rebuilt = res.headers().contains_key("idempotent-rebuilt");
    (
        status,
        res.json().await.unwrap_or(Value::Null),
        replayed,
        rebuilt,
    )
}

#[tokio::test]
async fn a_lost_answer_is_rebuilt_from_the_commit_and_then_replayed() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let body = check("rebuilt-example.cn", &credit_code(7), "杭州庚科技有限公司");

        // POST /orders: the ids and the state come back; the registry's answer is not kept.
        let post = || alice.req(Method::POST, "/orders").json(&body);
        let (status, first, _, _) = keyed(post(), "create").await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        lose_answer(&api.store, "create").await;
        let (status, rebuilt, replayed, marked) = keyed(post(), "create").await;
        assert_eq!(status, StatusCode::CREATED, "{rebuilt}");
        assert!(replayed && marked, "marked replayed and rebuilt");
        for field in [
            "id",
            "order_id",
            "sponsor_id",
            "website_id",
            "kind",
            "state",
            "version",
            "needs_filing_password",
            "access_only",
            "sponsor",
            "website",
        ] {
            assert_eq!(rebuilt[field], first[field], "{field}: {rebuilt}");
        }
        assert!(first["registry"].is_object() && rebuilt.get("registry").is_none());
        // Not run again: still one order.
        let (_, list) = alice.get("/orders").await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
        // Stored: the next retry replays the rebuilt answer as any other.
        let (status, again, replayed, marked) = keyed(post(), "create").await;
        assert_eq!((status, &again), (StatusCode::CREATED, &rebuilt));
        assert!(replayed && !marked);
        let id = first["order_id"].as_str().unwrap().to_owned();

        // Through to the provider's review, then the reviewer's approval, keyed.
        let mut sponsor = body["sponsor"].clone();
        sponsor["address"] = json!("浙江省杭州市西湖区文三路 7 号");
        sponsor["responsible"] = person();
        let (status, order) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let website = json!({"name": "示例网站", "domain": "rebuilt-example.cn",
            "home_url": "https://www.rebuilt-example.cn/", "service_content": "企业官网",
            "languages": ["zh_cn"], "responsible": person(), "pre_approvals": []});
        let (status, order) = alice.put(&format!("/orders/{id}/website"), website).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        product_and_materials(&api.store, &id, "SN-REBUILT").await;
        let (status, order) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN-REBUILT"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let submit = || {
            alice
                .req(Method::POST, &format!("/orders/{id}/submit"))
                .json(&json!({}))
        };
        let (status, submitted, _, _) = keyed(submit(), "submit").await;
        assert_eq!(status, StatusCode::OK, "{submitted}");
        lose_answer(&api.store, "submit").await;
        let (status, rebuilt, _, marked) = keyed(submit(), "submit").await;
        assert_eq!(status, StatusCode::OK, "{rebuilt}");
        assert!(marked);
        assert_eq!(rebuilt["state"], "provider_review");
        assert_eq!(rebuilt["version"], submitted["version"]);

        let reviewer = api.new_reviewer("rita").await;
        let approve = || {
            reviewer
                .req(Method::POST, &format!("/review/orders/{id}/approve"))
                .json(&json!({}))
        };
        let (status, approved, _, _) = keyed(approve(), "approve").await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        // The order moves on before the retry; the answer is still the approval's.
        let (status, _) = alice
            .post(&format!("/orders/{id}/abandon"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        lose_answer(&api.store, "approve").await;
        let (status, rebuilt, _, marked) = keyed(approve(), "approve").await;
        assert_eq!((status, &rebuilt), (StatusCode::OK, &approved));
        assert!(marked);
    })
    .await;
}

#[tokio::test]
async fn accounts_and_abandons_are_rebuilt_logins_run_again_the_rest_stays_lost() {
    testing::each_backend(async |t| {
        let api = TestApp::new().admin().start(t).await;

        // POST /accounts (keyed by the client's address): the account, its mobile masked.
        let register = || {
            api.anon(Method::POST, "/api/v1/accounts").json(&json!({
                "username": "bob", "password": "correct horse 1",
                "email": "bob@example.cn", "mobile": "13812345678"}))
        };
        let (status, first, _, _) = keyed(register(), "register").await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        lose_answer(&api.store, "register").await;
        let (status, rebuilt, _, marked) = keyed(register(), "register").await;
        assert_eq!((status, &rebuilt), (StatusCode::CREATED, &first));
        assert!(marked);
        assert!(!rebuilt.to_string().contains("13812345678"), "{rebuilt}");

        // POST /orders/{id}/abandon: state, version and the (absent) access warning.
        let alice = api.new_applicant("alice").await;
        let body = check(
            "abandoned-example.cn",
            &credit_code(8),
            "杭州辛科技有限公司",
        );
        let (status, created) = alice.post("/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let abandon = || {
            alice
                .req(Method::POST, &format!("/orders/{id}/abandon"))
                .json(&json!({}))
        };
        let (status, abandoned, _, _) = keyed(abandon(), "abandon").await;
        assert_eq!(status, StatusCode::OK, "{abandoned}");
        lose_answer(&api.store, "abandon").await;
        let (status, rebuilt, _, marked) = keyed(abandon(), "abandon").await;
        assert_eq!((status, &rebuilt), (StatusCode::OK, &abandoned));
        assert!(marked);

        // A login hands out a secret, never stored: after a crash it runs again. The key is
        // left pending as a crash would leave it (the request's hash: method, path, body).
        let scope: String =
            sqlx::query_scalar("SELECT account_id FROM idempotency_keys WHERE key = 'register'")
                .fetch_one(api.store.pool())
                .await
                .unwrap();
        let login = br#"{"username":"bob","password":"correct horse 1"}"#;
        let mut hash = Sha256::new();
        hash.update(b"POST\0/sessions\0");
        hash.update(login);
        sqlx::query(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, \
             response_body, created_at) VALUES ($1, 'login', $2, 0, $3, $4)",
        )
        .bind(&scope)
        .bind(hash.finalize().to_vec())
        .bind(Vec::<u8>::new())
        .bind(ten_minutes_ago())
        .execute(api.store.pool())
        .await
        .unwrap();
        let res = api
            .anon(Method::POST, "/api/v1/sessions")
            .header("content-type", "application/json")
            .header("idempotency-key", "login")
            .body(login.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().contains_key("set-cookie"), "a new session");

        // A route whose answer is not rebuilt: the request was carried out, 409.
        let admin = api.admin();
        let term_end = chrono::Utc::now().timestamp_millis() + 400 * 86_400_000_i64;
        let instance = || {
            admin.req(Method::POST, "/admin/instances").json(&json!({
                "product": "ecs", "public_ip": "203.0.113.9", "term_end": term_end}))
        };
        let (status, made, _, _) = keyed(instance(), "instance").await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        lose_answer(&api.store, "instance").await;
        let (status, lost, _, _) = keyed(instance(), "instance").await;
        assert_eq!(status, StatusCode::CONFLICT, "{lost}");
        assert_eq!(lost["error"]["code"], "request_answer_lost");
    })
    .await;
}
