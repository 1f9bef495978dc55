//! The operators' `/metrics` (issue 20): on its own listener, not on the portal's; after a
//! small flow (two first filings created, one taken to the bureau's queue, one abandoned) the order, job and request series
//! say what the store and the requests say; no personal data or domain is in any label.

use std::collections::BTreeMap;

use beian_store::testing;
use reqwest::StatusCode;
use sqlx::Row;

use serde_json::json;

use crate::harness::inputs::{BOUNDARY, jpeg, multipart};
use crate::harness::setup::product_and_materials;
use crate::harness::{TestApp, check, credit_code, person, website};

/// The value of the series `name{labels}` in a scrape, if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn a_scrape_after_a_flow_counts_orders_jobs_and_requests() {
    testing::each_backend(async |t| {
        let api = TestApp::new()
            .without_worker()
            .settings(|s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap()))
            .start(t)
            .await;
        let metrics_at = api.metrics_addr.expect("no metrics listener");
        assert_ne!(metrics_at, api.addr);
        // Not on the portal's listener.
        let res = api
            .http
            .get(format!("{}/metrics", api.base))
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), StatusCode::OK);
        assert!(!res.text().await.unwrap().contains("beian_"));

        let alice = api.new_applicant("alice").await;
        let bob = api.new_applicant("bob").await;
        let mut ids = Vec::new();
        for (i, (who, domain)) in [(&alice, "metrics-one.cn"), (&bob, "metrics-two.cn")]
            .into_iter()
            .enumerate()
        {
            let body = check(domain, &credit_code(700 + i as u32), "杭州度量科技有限公司");
            let (status, created) = who.post("/orders", body).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            ids.push(created["id"].as_str().unwrap().to_owned());
        }
        // Alice's order goes to the provider's review (its deadline jobs are queued).
        let id = &ids[0];
        let body = check("metrics-one.cn", &credit_code(700), "杭州度量科技有限公司");
        let mut sponsor = body["sponsor"].clone();
        sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
        sponsor["responsible"] = person();
        let (status, saved) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let (status, saved) = alice
            .put(&format!("/orders/{id}/website"), website("metrics-one.cn"))
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        product_and_materials(&api.store, id, "SN-METRICS").await;
        let (status, saved) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN-METRICS"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let (status, submitted) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{submitted}");

        // The provider's approval, the photo and its approval: the bureau upload is queued
        // (no worker runs, so it stays pending).
        let rita = api.new_reviewer("rita").await;
        let (status, approved) = rita
            .post(&format!("/review/orders/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        let (status, shot) = alice
            .send(
                alice
                    .req(reqwest::Method::POST, &format!("/orders/{id}/photo"))
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(multipart(&[], &jpeg(), "image/jpeg")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{shot}");
        let (status, decided) = rita
            .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{decided}");

        let (status, abandoned) = bob
            .post(&format!("/orders/{}/abandon", ids[1]), serde_json::json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{abandoned}");

        let text = api
            .http
            .get(format!("http://{metrics_at}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(value(&text, "beian_orders{state=\"queued_for_bureau\"}"), Some(1.0), "{text}");
        assert_eq!(value(&text, "beian_orders{state=\"abandoned\"}"), Some(1.0), "{text}");
        assert_eq!(
            value(
                &text,
                "beian_http_requests_total{method=\"POST\",route=\"/api/v1/orders\",status=\"2xx\"}"
            ),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            value(
                &text,
                "beian_http_requests_total{method=\"POST\",route=\"/api/v1/orders/{id}/abandon\",status=\"2xx\"}"
            ),
            Some(1.0),
            "{text}"
        );
        // The job series match the queue as the store holds it (no worker runs meanwhile).
        let rows = sqlx::query("SELECT kind, status, COUNT(*) AS n FROM jobs GROUP BY kind, status")
            .fetch_all(api.store.pool())
            .await
            .unwrap();
        let mut jobs = BTreeMap::new();
        for r in rows {
            let (kind, status, n): (String, String, i64) =
                (r.get("kind"), r.get("status"), r.get("n"));
            jobs.insert(format!("beian_jobs{{kind=\"{kind}\",status=\"{status}\"}}"), n);
        }
        assert!(!jobs.is_empty(), "the flow queued no job");
        for (series, n) in &jobs {
            assert_eq!(value(&text, series), Some(*n as f64), "{series}\n{text}");
        }
        assert!(value(&text, "beian_db_pool_connections").is_some(), "{text}");
        assert!(value(&text, "beian_gate_domains").is_some(), "{text}");
        // SQLite's writer: the transactions it committed and the COMMITs they shared, as the
        // store counts them (at the scrape); PostgreSQL has no such writer and reports 0.
        let written = value(&text, "beian_db_write_transactions").unwrap_or(-1.0);
        let commits = value(&text, "beian_db_write_commits").unwrap_or(-1.0);
        match api.store.write_stats() {
            Some(w) => {
                assert!(written >= 1.0 && written <= w.transactions as f64, "{text}");
                assert!(commits >= 1.0 && commits <= written, "{text}");
            }
            None => assert_eq!((written, commits), (0.0, 0.0), "{text}"),
        }
        for secret in ["alice", "bob", "rita", "metrics-one", "13800138000", &ids[0]] {
            assert!(!text.contains(secret), "{secret} in the metrics");
        }
    })
    .await;
}
