//! The behaviour behind issue 14's figures (the figures themselves are measured by
//! `scripts/bench`, never here): keyset pages of `GET /orders` and of the review queue stay
//! stable while orders are added, bad cursors and filters are 422 naming the field, the queue's
//! filters, a writer that cannot get its turn is 503 `busy` with `Retry-After` (not a 500 after
//! a lock wait), an order's view carries its newest 100 timeline entries and counts all,
//! and `/healthz` answers from the last database check while `/readyz` asks the database.

use std::collections::HashSet;

use beian_store::testing::{self, bulk::bulk_orders};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::wait::wait_until;
use crate::harness::{Session, TestApp, check, credit_code};

/// Every item of a list, page by page (`limit` per page); `between` runs before each next page.
async fn all_pages(
    s: &Session,
    first: &str,
    limit: usize,
    mut between: impl AsyncFnMut(),
) -> Vec<Value> {
    let sep = if first.contains('?') { '&' } else { '?' };
    let mut path = format!("{first}{sep}limit={limit}");
    let mut items = Vec::new();
    loop {
        let (status, page) = s.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit, "{page}");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => {
                between().await;
                path = format!("{first}{sep}limit={limit}&cursor={c}");
            }
            None => return items,
        }
    }
}

#[tokio::test]
async fn order_pages_neither_repeat_nor_skip_while_orders_are_added() {
    testing::each_backend(async |t| {
        let app = TestApp::new().start(t).await;
        let alice = app.new_applicant("alice").await;
        // One order made through the API (it has a website, so a domain) and 23 in bulk.
        let (status, created) = alice
            .post(
                "/orders",
                check("keyset-one.cn", &credit_code(1), "杭州甲科技有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let original: Vec<String> = bulk_orders(&app.store, &alice.account_id, 23, "draft")
            .await
            .unwrap();
        let mut original: HashSet<String> = original.into_iter().collect();
        original.insert(created["order_id"].as_str().unwrap().to_owned());

        // Between pages, more orders arrive (older and newer than the cursor's position).
        let store = app.store.clone();
        let account = alice.account_id.clone();
        let items = all_pages(&alice, "/orders", 5, async || {
            bulk_orders(&store, &account, 3, "draft").await.unwrap();
        })
        .await;
        let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "an order came twice: {ids:?}");
        for id in &original {
            assert!(unique.contains(id.as_str()), "order {id} was skipped");
        }
        // Oldest first, and the API-made order shows its domain (joined, not looked up).
        let created_at: Vec<i64> = items
            .iter()
            .map(|i| i["created_at"].as_i64().unwrap())
            .collect();
        assert!(
            created_at.windows(2).all(|w| w[0] <= w[1]),
            "{created_at:?}"
        );
        let made = items
            .iter()
            .find(|i| i["id"] == created["order_id"])
            .unwrap();
        assert_eq!(made["domain"], "keyset-one.cn", "{made}");
    })
    .await;
}

#[tokio::test]
async fn bad_cursors_limits_and_filters_are_422_naming_the_field() {
    testing::each_backend(async |t| {
        let app = TestApp::new().reviewer().start(t).await;
        let alice = app.new_applicant("alice").await;
        let rita = app.reviewer();
        for (who, path, field) in [
            (&alice, "/orders?cursor=nope", "cursor"),
            (&alice, "/orders?cursor=12.", "cursor"),
            (&alice, "/orders?limit=201", "limit"),
            (rita, "/review/orders?cursor=x.y.z", "cursor"),
            (rita, "/review/orders?kind=nonsense", "kind"),
            (rita, "/review/orders?province=99", "province"),
            (rita, "/review/orders?state=draft", "state"),
        ] {
            let (status, err) = who.get(path).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {err}");
            assert!(err["error"]["fields"][field].is_string(), "{path}: {err}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_review_queue_pages_in_entry_order_with_its_filters() {
    testing::each_backend(async |t| {
        let app = TestApp::new().reviewer().start(t).await;
        let alice = app.new_applicant("alice").await;
        let waiting: HashSet<String> =
            bulk_orders(&app.store, &alice.account_id, 17, "provider_review")
                .await
                .unwrap()
                .into_iter()
                .collect();
        bulk_orders(&app.store, &alice.account_id, 4, "draft")
            .await
            .unwrap();
        let rita = app.reviewer();

        let store = app.store.clone();
        let account = alice.account_id.clone();
        let items = all_pages(
            rita,
            "/review/orders?state=provider_review",
            4,
            async || {
                bulk_orders(&store, &account, 1, "provider_review")
                    .await
                    .unwrap();
            },
        )
        .await;
        let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        for id in &waiting {
            assert!(
                unique.contains(id.as_str()),
                "queued order {id} was skipped"
            );
        }
        let entered: Vec<i64> = items
            .iter()
            .map(|i| i["submitted_at"].as_i64().unwrap())
            .collect();
        assert!(entered.windows(2).all(|w| w[0] <= w[1]), "{entered:?}");
        assert!(items.iter().all(|i| i["state"] == "provider_review"));

        // The filters: the bulk orders are first filings in Zhejiang (33).
        let (_, page) = rita
            .get("/review/orders?province=33&kind=first_filing&limit=200")
            .await;
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            unique.len(),
            "{page}"
        );
        for path in [
            "/review/orders?province=11",
            "/review/orders?kind=new_website",
        ] {
            let (status, page) = rita.get(path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(page["items"], json!([]), "{path}: {page}");
            assert_eq!(page["next_cursor"], Value::Null);
        }
    })
    .await;
}

#[tokio::test]
async fn a_writer_that_cannot_get_its_turn_is_503_busy_with_retry_after() {
    // SQLite's one writer connection is what a held transaction blocks; on PostgreSQL row
    // locks serialise writers instead, so there is nothing to hold here.
    let t = testing::sqlite().await;
    let app = TestApp::new().start(&t).await;
    let alice = app.new_applicant("alice").await;
    let body = check("busy-example.cn", &credit_code(2), "杭州乙科技有限公司");
    let (status, created) = alice.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["order_id"].as_str().unwrap();

    // Another writer holds the turn for as long as the request takes.
    let held = app.store.begin().await.unwrap();
    let mut sponsor = body["sponsor"].clone();
    sponsor["address"] = json!("浙江省杭州市西湖区文三路 2 号");
    sponsor["responsible"] = crate::harness::person();
    let res = alice
        .req(reqwest::Method::PUT, &format!("/orders/{id}/sponsor"))
        .json(&sponsor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "busy", "{err}");
    held.rollback().await.unwrap();

    // With the turn free again, the same request goes through.
    let (status, v) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    t.teardown().await;
}

#[tokio::test]
async fn healthz_answers_from_the_last_check_and_readyz_asks_the_database() {
    testing::each_backend(async |t| {
        let app = TestApp::new().start(t).await;
        let get = |path: &'static str| {
            let url = format!("{}{path}", app.base);
            async move {
                let res = reqwest::get(url).await.unwrap();
                let status = res.status();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, body) = get("/readyz").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = get("/healthz").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["checked_ms_ago"].is_u64(), "{body}");

        // The database goes away: /healthz reports it once its background refresh ran (it
        // never queries on the hit), /readyz at once.
        app.store.close().await;
        wait_until("/healthz reports the failed check", || async {
            get("/healthz").await.0 == StatusCode::SERVICE_UNAVAILABLE
        })
        .await;
        let (status, _) = get("/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    })
    .await;
}

#[tokio::test]
async fn an_order_view_carries_its_newest_timeline_entries_and_counts_all() {
    testing::each_backend(async |t| {
        let app = TestApp::new().start(t).await;
        let alice = app.new_applicant("alice").await;
        let (status, created) = alice
            .post(
                "/orders",
                check("timeline-long.cn", &credit_code(2), "杭州乙科技有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        // A long history: 120 saves that keep the order in its state.
        for _ in 0..120 {
            let version = app.store.order(&id).await.unwrap().version;
            let mut tx = app.store.begin().await.unwrap();
            tx.transition_order(
                &id,
                version,
                "draft",
                &beian_store::orders::TimelineEvent::new("test", "sponsor_updated"),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let all = app.store.order_timeline(&id).await.unwrap();
        assert!(all.len() > 120, "{}", all.len());
        let (status, view) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["timeline_total"].as_i64(), Some(all.len() as i64));
        let shown = view["timeline"].as_array().unwrap();
        assert_eq!(shown.len(), 100);
        // The newest 100, oldest first.
        let expected: Vec<(i64, &str)> = all[all.len() - 100..]
            .iter()
            .map(|e| (e.at, e.event.as_str()))
            .collect();
        let got: Vec<(i64, &str)> = shown
            .iter()
            .map(|e| (e["at"].as_i64().unwrap(), e["event"].as_str().unwrap()))
            .collect();
        assert_eq!(got, expected);
        // A short history is shown whole.
        let bob = app.new_applicant("bob").await;
        let (status, other) = bob
            .post(
                "/orders",
                check("timeline-short.cn", &credit_code(3), "杭州丙科技有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{other}");
        let other_id = other["order_id"].as_str().unwrap();
        let (_, view) = bob.get(&format!("/orders/{other_id}")).await;
        let n = app.store.order_timeline(other_id).await.unwrap().len();
        assert_eq!(view["timeline"].as_array().unwrap().len(), n);
        assert_eq!(view["timeline_total"].as_i64(), Some(n as i64));
    })
    .await;
}
