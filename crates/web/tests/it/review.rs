//! The provider's review (初审) over HTTP on each backend: the queue by deadline with the time
//! left, the order in full, approval to the flow's next state, the role and own-order
//! refusals, two reviewers approving at once, approval out of review, and the return.
//! Orders are brought to review with the workflow services directly (a store whose clock can
//! be set back, so that one order is overdue).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::harness::TestApp;
use crate::harness::services::*;
use beian_store::testing::TestStore;
use beian_web::api::auth::{new_token, token_hash};
use chrono::{DateTime, Utc};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// Requests with an API key, as a reviewer's script makes them.
trait WithKey {
    async fn get(&self, key: &str, path: &str) -> Response;
    async fn post(&self, key: &str, path: &str, body: Value) -> Response;
}

impl WithKey for TestApp {
    async fn get(&self, key: &str, path: &str) -> Response {
        self.anon(Method::GET, &format!("/api/v1{path}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, key: &str, path: &str, body: Value) -> Response {
        self.anon(Method::POST, &format!("/api/v1{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

/// A store on the test database whose clock the test sets (Unix ms; 0 = the wall clock).
async fn clocked_store(t: &TestStore) -> (Store, Arc<AtomicI64>) {
    let at = Arc::new(AtomicI64::new(0));
    let clock_at = at.clone();
    let mut config = t.config();
    config.clock = Some(Arc::new(move || match clock_at.load(Ordering::SeqCst) {
        0 => Utc::now(),
        ms => DateTime::from_timestamp_millis(ms).unwrap(),
    }));
    (Store::open(config).await.unwrap(), at)
}

/// An account with `role` and an API key for it: (account id, key).
async fn account_with_key(store: &Store, name: &str, role: Role) -> (String, String) {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_account(
            "system",
            &NewAccount {
                username: name,
                password_hash: "x",
                email: &format!("{name}@example.cn"),
                mobile: Some("13800138000"),
                role,
            },
        )
        .await
        .unwrap();
    let key = new_token();
    tx.insert_api_key("system", &id, &token_hash(&key), "test")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (id, key)
}

/// A first filing of `acting` (sponsor by `serial`) submitted to provider review.
async fn in_review(wf: &Workflow<'_>, acting: &Acting, domain: &str, serial: u32) -> String {
    let input = check(
        domain,
        &credit_code(serial),
        &format!("杭州示例{serial}科技有限公司"),
    );
    let id = wf.create_order(acting, &input).await.unwrap().order_id;
    wf.update_sponsor(acting, &id, &sponsor_form(&input))
        .await
        .unwrap();
    wf.update_website(acting, &id, &website_form(domain))
        .await
        .unwrap();
    let sn = format!("SN-{serial}");
    service_number(wf.store, &sn, "ecs", Some("203.0.113.7"), 365, "running").await;
    wf.bind_service_number(acting, &id, &sn).await.unwrap();
    placeholder_materials(wf.store, &id).await;
    assert_eq!(
        wf.submit(acting, &id).await.unwrap().state,
        OrderState::ProviderReview
    );
    id
}

async fn body(res: Response) -> Value {
    res.json::<Value>().await.unwrap()
}

#[tokio::test]
async fn the_queue_is_by_deadline_and_approval_moves_to_the_photo() {
    each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let (store, clock) = clocked_store(t).await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(&store, &registry, PROVIDER);
        let (_, reviewer_key) = account_with_key(&store, "reviewer", Role::Reviewer).await;
        let (a_id, _) = account_with_key(&store, "a", Role::Applicant).await;
        let (b_id, _) = account_with_key(&store, "b", Role::Applicant).await;

        // b's order is submitted now, a's ten days ago (overdue).
        let fresh = in_review(&wf, &Acting::applicant(&b_id), "fresh.cn", 11).await;
        let ten_days_ago = Utc::now() - chrono::Duration::days(10);
        clock.store(ten_days_ago.timestamp_millis(), Ordering::SeqCst);
        let old = in_review(&wf, &Acting::applicant(&a_id), "old.cn", 12).await;
        clock.store(0, Ordering::SeqCst);

        let res = api
            .get(&reviewer_key, "/review/orders?state=provider_review")
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let queue = body(res).await["items"].as_array().unwrap().clone();
        let ids: Vec<&str> = queue.iter().map(|o| o["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [old.as_str(), fresh.as_str()], "oldest deadline first");
        let (o, f) = (&queue[0], &queue[1]);
        assert_eq!(o["domain"], "old.cn");
        assert_eq!(o["kind"], "first_filing");
        assert_eq!(o["state"], "provider_review");
        assert_eq!(o["sponsor_name"], "杭州示例12科技有限公司");
        assert!(o["deadline_fallback_used"].is_boolean());
        let submitted = o["submitted_at"].as_i64().unwrap();
        assert!((submitted - ten_days_ago.timestamp_millis()).abs() < 1000);
        let want = beian_core::calendar::deadline_after(ten_days_ago, 1);
        assert_eq!(o["deadline"].as_i64().unwrap(), want.at.timestamp_millis());
        assert!(o["deadline_remaining_seconds"].as_i64().unwrap() < -86_400);
        let left = f["deadline_remaining_seconds"].as_i64().unwrap();
        assert!(left > 0 && left <= 5 * 86_400, "{left}");
        // Without `state`, the provider_review queue; a state that is no review state is refused.
        let res = api.get(&reviewer_key, "/review/orders").await;
        assert_eq!(body(res).await["items"].as_array().unwrap().len(), 2);
        let res = api.get(&reviewer_key, "/review/orders?state=draft").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // The order in full: personal data unmasked, every material, the timeline.
        let res = api
            .get(&reviewer_key, &format!("/review/orders/{fresh}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let detail = body(res).await;
        assert_eq!(
            detail["forms"]["sponsor"]["responsible"]["certificate_number"],
            resident_id(1)
        );
        assert_eq!(
            detail["forms"]["sponsor"]["certificate_number"],
            credit_code(11)
        );
        assert_eq!(detail["materials"].as_array().unwrap().len(), 8);
        assert_eq!(detail["account_id"], b_id.as_str());
        let events: Vec<&str> = detail["allowed_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert!(events.contains(&"provider_approve"), "{events:?}");
        assert!(detail["deadline"].is_i64());
        assert!(!detail["timeline"].as_array().unwrap().is_empty());

        // Approve: the flow's next step (Zhejiang server: the backdrop photo).
        let res = api
            .post(
                &reviewer_key,
                &format!("/review/orders/{fresh}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let done = body(res).await;
        assert_eq!(done["state"], "photo_pending");
        assert_eq!(store.order(&fresh).await.unwrap().state, "photo_pending");
        let last = store.order_timeline(&fresh).await.unwrap().pop().unwrap();
        assert_eq!(last.event, "provider_approve");
        assert_eq!(last.to_state, "photo_pending");
        assert_eq!(last.version, done["version"].as_i64().unwrap());

        // Approving it again: no longer in review.
        let res = api
            .post(
                &reviewer_key,
                &format!("/review/orders/{fresh}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let res = api.get(&reviewer_key, "/review/orders").await;
        let queue = body(res).await["items"].as_array().unwrap().clone();
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0]["id"], old.as_str());
        // Unknown order.
        let res = api
            .post(&reviewer_key, "/review/orders/nope/approve", json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn applicants_and_own_orders_are_refused() {
    each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let store = &t.store;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let (reviewer_id, reviewer_key) = account_with_key(store, "reviewer", Role::Reviewer).await;
        let (a_id, a_key) = account_with_key(store, "a", Role::Applicant).await;
        let theirs = in_review(&wf, &Acting::applicant(&a_id), "theirs.cn", 21).await;
        let own = in_review(&wf, &Acting::applicant(&reviewer_id), "own.cn", 22).await;

        for res in [
            api.get(&a_key, "/review/orders").await,
            api.get(&a_key, &format!("/review/orders/{theirs}")).await,
            api.post(
                &a_key,
                &format!("/review/orders/{theirs}/approve"),
                json!({}),
            )
            .await,
        ] {
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
            assert_eq!(body(res).await["error"]["code"], "forbidden");
        }
        let res = api
            .post(
                &reviewer_key,
                &format!("/review/orders/{own}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(body(res).await["error"]["code"], "own_order");
        let res = api
            .post(
                &reviewer_key,
                &format!("/review/orders/{own}/return"),
                json!({"reasons": [{"field": "website.name", "message": "名称不符"}]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        for id in [&theirs, &own] {
            assert_eq!(store.order(id).await.unwrap().state, "provider_review");
        }
    })
    .await;
}

#[tokio::test]
async fn two_reviewers_approving_at_once_one_wins() {
    each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let store = &t.store;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let (_, k1) = account_with_key(store, "reviewer1", Role::Reviewer).await;
        let (_, k2) = account_with_key(store, "reviewer2", Role::Admin).await;
        let (a_id, _) = account_with_key(store, "a", Role::Applicant).await;
        let id = in_review(&wf, &Acting::applicant(&a_id), "race.cn", 31).await;
        let path = format!("/review/orders/{id}/approve");
        let (r1, r2) = tokio::join!(
            api.post(&k1, &path, json!({})),
            api.post(&k2, &path, json!({}))
        );
        let mut statuses = [r1.status(), r2.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
        let order = store.order(&id).await.unwrap();
        assert_eq!(order.state, "photo_pending");
        let approvals = store
            .order_timeline(&id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.event == "provider_approve")
            .count();
        assert_eq!(approvals, 1);
    })
    .await;
}

#[tokio::test]
async fn return_sends_the_order_back_with_reasons() {
    each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let store = &t.store;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let (_, key) = account_with_key(store, "reviewer", Role::Reviewer).await;
        let (a_id, _) = account_with_key(store, "a", Role::Applicant).await;
        let id = in_review(&wf, &Acting::applicant(&a_id), "back.cn", 41).await;
        let path = format!("/review/orders/{id}/return");
        let res = api.post(&key, &path, json!({"reasons": []})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body(res).await["error"]["fields"]["reasons"].is_string());
        let res = api
            .post(
                &key,
                &path,
                json!({"reasons": [{"field": "website.name", "message": "名称与内容不符"}]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body(res).await["state"], "returned");
        let order = store.order(&id).await.unwrap();
        assert_eq!(order.state, "returned");
        assert_eq!(order.return_reasons[0]["field"], "website.name");
        // Approving a returned order: not in review.
        let res = api
            .post(&key, &format!("/review/orders/{id}/approve"), json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
    })
    .await;
}

#[tokio::test]
async fn the_next_state_comes_from_the_order_flow() {
    use beian_core::order::{Flow, PhotoMethod, ProductLine};
    each_backend(async |t| {
        let store = &t.store;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let (reviewer_id, _) = account_with_key(store, "reviewer", Role::Reviewer).await;
        let (a_id, _) = account_with_key(store, "a", Role::Applicant).await;
        let id = in_review(&wf, &Acting::applicant(&a_id), "shop.cn", 51).await;
        // The flow stored at submission governs: a storefront flow has no photo step.
        let storefront = Flow::new(
            FilingKind::FirstFiling,
            ProductLine::Storefront,
            PhotoMethod::Backdrop,
            false,
        );
        let mut tx = store.begin().await.unwrap();
        tx.set_order_flow(&id, &serde_json::to_value(storefront).unwrap())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let reviewer = Acting {
            account_id: reviewer_id,
            role: Role::Reviewer,
        };
        let done = wf.provider_approve(&reviewer, &id).await.unwrap();
        assert_eq!(done.state, OrderState::QueuedForBureau);
        assert_eq!(store.order(&id).await.unwrap().state, "queued_for_bureau");
        // An applicant is not a reviewer, even through the service.
        let e = wf
            .provider_approve(&Acting::applicant(&a_id), &id)
            .await
            .unwrap_err();
        assert_eq!(e.status(), 404);
    })
    .await;
}
