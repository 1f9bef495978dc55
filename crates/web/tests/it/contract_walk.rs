//! The contract walk (issue 17, 4): every HTTP path `docs/api.md` names — `METHOD /path` in
//! backticks — is served by the router (a request without a login gets anything but the
//! router's 404 or 405), and every one under `/api/v1` is in the OpenAPI document with that
//! method. Paths listed under "Not built yet" are skipped. Also: the answers the contract
//! promises for `POST /orders`, `GET /orders` and `GET /sessions/current`.

use std::collections::BTreeSet;

use crate::harness::{TestApp, check, credit_code};
use beian_store::testing;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The top-level paths the contract serves; `METHOD /orders…` in prose is shorthand for
/// `/api/v1/orders…` and is not walked twice.
const ROOTS: [&str; 9] = [
    "/api/v1/",
    "/healthz",
    "/readyz",
    "/miit/",
    "/bureau/",
    "/sim/",
    "/gate",
    "/ISPWebService/",
    "/BeianStatusWebService/",
];

/// `(method, path)` of every backticked `METHOD /path` in `text`, query strings cut off.
fn endpoints(text: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for span in text.split('`').skip(1).step_by(2) {
        let Some((method, rest)) = span.split_once(' ') else {
            continue;
        };
        if !["GET", "POST", "PUT", "DELETE"].contains(&method) || !rest.starts_with('/') {
            continue;
        }
        let path = rest.split(['?', ' ']).next().unwrap();
        if !ROOTS.iter().any(|root| path.starts_with(root)) {
            continue;
        }
        out.insert((method.to_owned(), path.to_owned()));
    }
    out
}

/// The contract, and the endpoints of its "Not built yet" section.
fn contract() -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let text = std::fs::read_to_string(file).unwrap();
    let start = text.find("### Not built yet").unwrap();
    let end = start + text[start + 3..].find("\n#").unwrap() + 3;
    let not_built = endpoints(&text[start..end])
        .into_iter()
        .map(|(_, path)| path)
        .collect();
    (endpoints(&text), not_built)
}

/// A concrete path for a templated one.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{year}" => "2026".to_owned(),
            s if s.starts_with('{') => "walk-0".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_parser_finds_methods_and_paths() {
    let found =
        endpoints("| `GET /api/v1/orders`, `POST /sim/x?y=1` | `{body}` `PUT` `GET /orders`");
    let want: BTreeSet<(String, String)> = [("GET", "/api/v1/orders"), ("POST", "/sim/x")]
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(found, want);
}

#[tokio::test]
async fn every_path_of_the_contract_is_routed_and_documented() {
    let t = testing::sqlite().await;
    let api = TestApp::new().start(&t).await;
    let (all, not_built) = contract();
    let walked: Vec<_> = all
        .iter()
        .filter(|(_, path)| !not_built.contains(path))
        .collect();
    assert!(
        walked.len() >= 60,
        "docs/api.md names only {} paths",
        walked.len()
    );
    let doc: Value = api
        .http
        .get(format!("{}/api/openapi.json", api.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let mut missing = Vec::new();
    for (method, path) in walked {
        let url = format!("{}{}", api.base, concrete(path));
        let res = api
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        // The API's fallback answers 404 `not_found`; axum answers 404/405 for unknown paths
        // and methods elsewhere. A handler reached without a login answers 401 first.
        if status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::NOT_FOUND {
            missing.push(format!("router: {method} {path} → {status} {body}"));
        }
        if path.starts_with("/api/v1") {
            let documented = doc["paths"][path.as_str()][method.to_lowercase()].is_object();
            if !documented {
                missing.push(format!("openapi: {method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    t.teardown().await;
}

#[tokio::test]
async fn orders_answer_the_order_and_lists_page() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let s = api.new_applicant("walker").await;

        let (status, me) = s.get("/sessions/current").await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["account"]["username"], "walker", "{me}");
        assert_eq!(me["account"]["role"], "applicant", "{me}");
        assert_eq!(me["via"], "session", "{me}");
        assert!(
            me["account"]["mobile"].as_str().unwrap().contains('*'),
            "{me}"
        );

        let mut ids = Vec::new();
        for serial in 0..3 {
            let body = check(
                &format!("walk-{serial}.cn"),
                &credit_code(700 + serial),
                "杭州走查科技有限公司",
            );
            // Another account per order: one sponsor has one order in progress.
            let other = api.new_applicant(&format!("walker{serial}")).await;
            let (status, created) = other.post("/orders", body).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            assert_eq!(created["id"], created["order_id"], "{created}");
            assert_eq!(created["kind"], "first_filing", "{created}");
            assert_eq!(created["state"], "draft", "{created}");
            assert!(created["timeline"].is_array(), "{created}");
            assert!(created["deadlines"].is_object(), "{created}");
            assert_eq!(created["website"]["domain"], format!("walk-{serial}.cn"));
            let id = created["id"].as_str().unwrap().to_owned();
            let (_, seen) = other.get(&format!("/orders/{id}")).await;
            assert_eq!(seen["id"], created["id"]);
            assert_eq!(seen["sponsor"], created["sponsor"]);
            ids.push((other, id));
        }

        // One account's list, a page at a time.
        let (owner, _) = &ids[0];
        let (status, page) = owner.get("/orders?limit=1").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
        assert_eq!(page["next_cursor"], Value::Null, "{page}");
        let (status, err) = owner.get("/orders?limit=0").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let (status, err) = owner.get("/orders?cursor=nope").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");

        // The reviewer's queue pages through all three.
        for (s, id) in &ids {
            let number = format!("SN-{id}");
            crate::harness::setup::product_and_materials(&api.store, id, &number).await;
            let (status, v) = s
                .put(
                    &format!("/orders/{id}/product"),
                    json!({"service_number": number}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            let mut sponsor = order_forms(s, id).await;
            sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
            sponsor["responsible"] = crate::harness::person();
            let (status, v) = s.put(&format!("/orders/{id}/sponsor"), sponsor).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            let mut site = json!({"name": "走查网站",
                "service_content": "企业官网", "languages": ["zh_cn"],
                "responsible": crate::harness::person(), "pre_approvals": []});
            site["domain"] = v["website"]["domain"].clone();
            site["home_url"] = json!(format!(
                "https://www.{}/",
                v["website"]["domain"].as_str().unwrap()
            ));
            let (status, v) = s.put(&format!("/orders/{id}/website"), site).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            let (status, v) = s.post(&format!("/orders/{id}/submit"), json!({})).await;
            assert_eq!(status, StatusCode::OK, "{v}");
        }
        let rita = api.new_reviewer("rita").await;
        let mut seen = Vec::new();
        let mut path = "/review/orders?limit=2".to_owned();
        loop {
            let (status, page) = rita.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            for item in page["items"].as_array().unwrap() {
                seen.push(item["id"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/review/orders?limit=2&cursor={c}"),
                None => break,
            }
        }
        let mut want: Vec<String> = ids.iter().map(|(_, id)| id.clone()).collect();
        want.sort();
        seen.sort();
        assert_eq!(seen, want);
    })
    .await;
}

async fn order_forms(s: &crate::harness::Session, id: &str) -> Value {
    let (_, order) = s.get(&format!("/orders/{id}")).await;
    order["sponsor"].clone()
}

/// Issue 15 (credentials' life): a key may carry an expiry; its list shows when it was last
/// used; past its expiry it no longer authenticates. A bad expiry is refused, naming it.
#[tokio::test]
async fn an_api_key_expires_and_shows_when_it_was_last_used() {
    testing::each_backend(async |t| {
        let api = TestApp::new().simulated_clock().start(t).await;
        let ann = api.new_applicant("ann").await;
        let (status, err) = ann
            .post("/api-keys", json!({"name": "bad", "expires_in_days": 0}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["fields"]["expires_in_days"].is_string(),
            "{err}"
        );
        let (status, key) = ann
            .post(
                "/api-keys",
                json!({"name": "nightly", "expires_in_days": 2}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        let now = api.store.now().timestamp_millis();
        assert_eq!(key["expires_at"], now + 2 * 86_400_000, "{key}");
        let (_, list) = ann.get("/api-keys").await;
        assert!(list["items"][0]["last_used_at"].is_null(), "{list}");

        let call = || {
            api.http
                .get(format!("{}/api/v1/sessions/current", api.base))
                .bearer_auth(key["key"].as_str().unwrap().to_owned())
                .send()
        };
        assert_eq!(call().await.unwrap().status(), StatusCode::OK);
        let (_, list) = ann.get("/api-keys").await;
        assert_eq!(list["items"][0]["last_used_at"], now, "{list}");
        assert_eq!(list["items"][0]["expires_at"], key["expires_at"], "{list}");

        api.advance(chrono::Duration::days(2) + chrono::Duration::minutes(1));
        assert_eq!(call().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn api_keys_are_listed_and_revoked_by_their_owner_only() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let ann = api.new_applicant("ann").await;
        let bob = api.new_applicant("bob").await;
        let (status, key) = ann.post("/api-keys", json!({"name": "script"})).await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        let id = key["id"].as_str().unwrap().to_owned();
        let (_, list) = ann.get("/api-keys").await;
        assert_eq!(list["items"][0]["id"], id.as_str(), "{list}");
        assert_eq!(list["items"][0]["name"], "script", "{list}");
        assert!(!list.to_string().contains(key["key"].as_str().unwrap()));
        let (_, other) = bob.get("/api-keys").await;
        assert_eq!(other["items"].as_array().unwrap().len(), 0, "{other}");

        let bearer = |k: &str| {
            api.http
                .get(format!("{}/api/v1/sessions/current", api.base))
                .bearer_auth(k.to_owned())
        };
        let res = bearer(key["key"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["via"], "api_key", "{me}");

        let (status, _) = bob
            .send(bob.req(Method::DELETE, &format!("/api-keys/{id}")))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = ann
            .send(ann.req(Method::DELETE, &format!("/api-keys/{id}")))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let res = bearer(key["key"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let (_, list) = ann.get("/api-keys").await;
        assert!(list["items"][0]["revoked_at"].is_i64(), "{list}");
    })
    .await;
}

#[tokio::test]
async fn an_admin_gives_a_storefront_subscription_that_backs_an_order() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let shop = api.new_applicant("shop").await;
        let body = check("shop-walk.cn", &credit_code(790), "杭州店铺走查有限公司");
        let (status, created) = shop.post("/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let product = json!({"storefront_account": true});
        let (status, err) = shop
            .put(&format!("/orders/{id}/product"), product.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "no_storefront_subscription", "{err}");

        let term_end = api.store.now().timestamp_millis() + 365 * 86_400_000;
        let sub = json!({"username": "shop", "term_end": term_end});
        // Not for customers or reviewers.
        let (status, _) = shop
            .post("/admin/storefront-subscriptions", sub.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let admin = api.new_admin("boss").await;
        let (status, err) = admin
            .post(
                "/admin/storefront-subscriptions",
                json!({"username": "nobody", "term_end": term_end}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["username"].is_string(), "{err}");
        let (status, err) = admin
            .post(
                "/admin/storefront-subscriptions",
                json!({"username": "shop", "term_end": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["term_end"].is_string(), "{err}");
        let (status, made) = admin.post("/admin/storefront-subscriptions", sub).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!(made["account_id"], shop.account_id.as_str(), "{made}");

        let (status, order) = shop.put(&format!("/orders/{id}/product"), product).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        assert_eq!(order["product_line"], "storefront", "{order}");
    })
    .await;
}
