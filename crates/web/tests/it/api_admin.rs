//! The admin API over HTTP against the real server, on SQLite and PostgreSQL: the role gate,
//! accounts and roles, the holiday editor in a computed deadline, the audit verification, the
//! dashboard's numbers for a known set of orders, the rules and outbox views. Instances,
//! service numbers and their policy are in `api_admin_numbers.rs`.

use crate::harness::TestApp;
use beian_store::accounts::Role;
use beian_store::testing;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

#[tokio::test]
async fn only_admins_pass_the_gate() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let applicant = h.new_user("alice", Role::Applicant).await;
        let reviewer = h.new_user("rita", Role::Reviewer).await;
        let admin = h.new_admin("root").await;
        let gets = [
            "/admin/accounts",
            "/admin/instances",
            "/admin/service-number-policy",
            "/admin/rules",
            "/admin/holidays/2027",
            "/admin/outbox?channel=mail",
            "/admin/audit",
            "/admin/dashboard",
        ];
        for path in gets {
            for who in [&applicant, &reviewer] {
                let (status, body) = who.get(path).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
                assert_eq!(body["error"]["code"], "forbidden");
            }
            let (status, body) = admin.get(path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
        let (status, _) = reviewer
            .post(
                "/admin/accounts",
                json!({"username": "x1", "role": "admin"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = reviewer.post("/admin/audit/verify", json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let anonymous = h
            .http
            .get(format!("{}/api/v1/admin/dashboard", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn accounts_are_created_with_a_one_time_password_and_roles_change() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let admin = h.new_admin("root").await;
        let (status, created) = admin
            .post(
                "/admin/accounts",
                json!({"username": "rita", "role": "reviewer", "email": "rita@example.com"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["role"], "reviewer");
        let password = created["one_time_password"].as_str().unwrap().to_owned();
        let login = h
            .http
            .post(format!("{}/api/v1/sessions", h.base))
            .json(&json!({"username": "rita", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            login.status(),
            StatusCode::OK,
            "the one-time password logs in"
        );
        let session: Value = login.json().await.unwrap();
        assert_eq!(session["role"], "reviewer");

        let (status, err) = admin
            .post(
                "/admin/accounts",
                json!({"username": "rita", "role": "admin"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["username"].is_string(), "{err}");
        let (status, err) = admin
            .post(
                "/admin/accounts",
                json!({"username": "bob", "role": "root"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["role"].is_string(), "{err}");

        let (status, page) = admin.get("/admin/accounts?per_page=1&page=2").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 2);
        assert_eq!(page["accounts"].as_array().unwrap().len(), 1);
        assert_eq!(page["accounts"][0]["username"], "rita");
        assert_eq!(page["accounts"][0]["email"], "r***@example.com", "masked");

        let rita_id = created["id"].as_str().unwrap();
        let (status, changed) = admin
            .put(
                &format!("/admin/accounts/{rita_id}/role"),
                json!({"role": "admin"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["role"], "admin");
        let (status, _) = admin
            .put(
                &format!("/admin/accounts/{rita_id}/role"),
                json!({"role": "applicant"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "another admin remains");
        let (status, err) = admin
            .put(
                &format!("/admin/accounts/{}/role", admin.account_id),
                json!({"role": "reviewer"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "last_admin");
    })
    .await;
}

#[tokio::test]
async fn a_holiday_year_for_2027_changes_a_computed_deadline() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        // Wednesday 2027-03-10, 10:00 in Shanghai: the order enters provider review.
        let entered: DateTime<Utc> = "2027-03-10T02:00:00Z".parse().unwrap();
        h.advance_to(entered - hours(1));
        let admin = h.new_admin("root").await;
        let reviewer = h.new_user("rita", Role::Reviewer).await;
        let alice = h.new_user("alice", Role::Applicant).await;
        h.order_through(&alice.account_id, &[(hours(1), "provider_review", None)]).await;

        let (status, queue) = reviewer.get("/review/orders").await;
        assert_eq!(status, StatusCode::OK, "{queue}");
        let thursday_end: DateTime<Utc> = "2027-03-11T15:59:59.999Z".parse().unwrap();
        assert_eq!(queue["items"][0]["deadline"], thursday_end.timestamp_millis());
        assert_eq!(queue["items"][0]["deadline_fallback_used"], true, "no 2027 data yet");

        let (status, year) = admin.get("/admin/holidays/2027").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(year["source"], "none");

        let schedule = json!({"notice": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
            "holidays": [
                {"name_zh": "元旦", "name_en": "New Year's Day", "first": "2027-01-01", "last": "2027-01-01"},
                {"name_zh": "测试假日", "name_en": "Test holiday", "first": "2027-03-11", "last": "2027-03-11",
                 "make_up": ["2027-03-13"]}
            ]});
        let (status, stored) = admin.put("/admin/holidays/2027", schedule).await;
        assert_eq!(status, StatusCode::OK, "{stored}");
        assert_eq!(stored["source"], "database");

        // Thursday is now a holiday: the 1 working day ends on Friday.
        let (_, queue) = reviewer.get("/review/orders").await;
        let friday_end: DateTime<Utc> = "2027-03-12T15:59:59.999Z".parse().unwrap();
        assert_eq!(queue["items"][0]["deadline"], friday_end.timestamp_millis(), "{queue}");
        assert_eq!(queue["items"][0]["deadline_fallback_used"], false);

        // Validation: a date outside the year, overlapping periods, not a date.
        let bad = json!({"notice": "x", "holidays": [
            {"name_zh": "甲", "first": "2027-05-01", "last": "2027-05-03"},
            {"name_zh": "乙", "first": "2027-05-03", "last": "2027-05-04"}]});
        let (status, err) = admin.put("/admin/holidays/2027", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["holidays"].as_str().unwrap().contains("2027-05-03"), "{err}");
        let outside = json!({"notice": "x", "holidays": [
            {"name_zh": "甲", "first": "2028-02-01", "last": "2028-02-02"}]});
        let (status, _) = admin.put("/admin/holidays/2027", outside).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let not_a_date = json!({"notice": "x", "holidays": [
            {"name_zh": "甲", "first": "2027-02-30", "last": "2027-03-01"}]});
        let (status, err) = admin.put("/admin/holidays/2027", not_a_date).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err["error"]["fields"]["holidays.0.first"].is_string(), "{err}");
        // The refused years changed nothing.
        let (_, year) = admin.get("/admin/holidays/2027").await;
        assert_eq!(year["schedule"]["holidays"].as_array().unwrap().len(), 2);

        // Removed: the weekends-only fallback again.
        let (status, year) = admin
            .send(admin.req(reqwest::Method::DELETE, "/admin/holidays/2027"))
            .await;
        assert_eq!(status, StatusCode::OK, "{year}");
        assert_eq!(year["source"], "none");
        let (_, queue) = reviewer.get("/review/orders").await;
        assert_eq!(queue["items"][0]["deadline"], thursday_end.timestamp_millis());
        let (status, _) = admin
            .send(admin.req(reqwest::Method::DELETE, "/admin/holidays/2027"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn audit_verify_is_ok_then_names_the_tampered_record() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let admin = h.new_admin("root").await;
        admin
            .post(
                "/admin/accounts",
                json!({"username": "rita", "role": "reviewer"}),
            )
            .await;
        let (status, verdict) = admin.post("/admin/audit/verify", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{verdict}");
        assert_eq!(verdict["ok"], true, "{verdict}");
        assert!(verdict["records"].as_i64().unwrap() >= 2);

        let (status, page) = admin.get("/admin/audit?limit=1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["records"][0]["action"], "account.create");
        assert_eq!(page["records"][0]["after"]["username"], "rita");
        let newest = page["records"][0]["seq"].as_i64().unwrap();
        let (_, older) = admin
            .get(&format!("/admin/audit?before={newest}&limit=50"))
            .await;
        assert!(
            older["records"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["seq"].as_i64().unwrap() < newest)
        );

        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
            .execute(h.store.pool())
            .await
            .unwrap();
        let (status, verdict) = admin.post("/admin/audit/verify", json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(verdict["ok"], false, "{verdict}");
        assert_eq!(verdict["bad_record"], 1);
        assert_eq!(verdict["reason"], "hash_mismatch");
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_counts_a_known_set_of_orders() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let alice = h.new_user("alice", Role::Applicant).await;
        let a = &alice.account_id;
        // A: 1 h draft, 2 h review, then queued with a 1-hour deadline it misses.
        let deadline = |after: Duration| {
            let at = h.clock.now() + hours(3) + after;
            Some(json!({"submit_to_bureau": at.timestamp_millis()}))
        };
        let dl = deadline(hours(1));
        let order_a = h
            .order_through(
                a,
                &[
                    (hours(1), "provider_review", None),
                    (hours(2), "queued_for_bureau", dl),
                ],
            )
            .await;
        // B: 2 h draft, 2 h review, 1 h queued, 5 h at the bureau, approved.
        h.order_through(
            a,
            &[
                (hours(2), "provider_review", None),
                (hours(2), "queued_for_bureau", None),
                (hours(1), "at_bureau", None),
                (hours(5), "approved", None),
            ],
        )
        .await;
        // C: 3 h draft, 4 h review, 1 h queued, 3 h at the bureau, returned.
        h.order_through(
            a,
            &[
                (hours(3), "provider_review", None),
                (hours(4), "queued_for_bureau", None),
                (hours(1), "at_bureau", None),
                (hours(3), "bureau_returned", None),
            ],
        )
        .await;
        // D: 4 h draft, abandoned.
        h.order_through(a, &[(hours(4), "abandoned", None)]).await;
        h.advance(hours(2));

        let admin = h.new_admin("root").await;
        let (status, d) = admin.get("/admin/dashboard").await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(
            d["open_orders"],
            json!({"queued_for_bureau": 1, "approved": 1, "bureau_returned": 1})
        );
        assert_eq!(d["open_orders_total"], 3);
        let breaches = d["deadline_breaches"].as_array().unwrap();
        assert_eq!(breaches.len(), 1, "{d}");
        assert_eq!(breaches[0]["order_id"], order_a.as_str());
        assert_eq!(breaches[0]["deadline"], "submit_to_bureau");
        let m = &d["median_time_in_state"];
        assert_eq!(m["draft"]["median_seconds"], 2.5 * 3600.0, "{m}");
        assert_eq!(m["draft"]["samples"], 4);
        assert_eq!(m["provider_review"]["median_seconds"], 2.0 * 3600.0);
        assert_eq!(m["queued_for_bureau"]["median_seconds"], 3600.0);
        assert_eq!(m["queued_for_bureau"]["samples"], 2, "A is still queued");
        assert_eq!(m["at_bureau"]["median_seconds"], 4.0 * 3600.0);
        assert_eq!(
            d["bureau"],
            json!({"approved": 1, "decided": 2, "approval_rate": 0.5})
        );
        assert_eq!(d["alerts_available"], false);

        // 31 days later the window holds none of it; open orders stay.
        h.advance(Duration::days(31));
        let admin = h.login("root").await;
        let (_, d) = admin.get("/admin/dashboard").await;
        assert_eq!(d["median_time_in_state"], json!({}));
        assert_eq!(d["bureau"]["decided"], 0);
        assert_eq!(d["open_orders_total"], 3);
    })
    .await;
}

#[tokio::test]
async fn rules_and_outbox_views_answer_for_a_province_and_a_channel() {
    testing::each_backend(async |t| {
        let h = TestApp::new()
            .simulated_clock()
            .without_worker()
            .start(t)
            .await;
        let admin = h.new_admin("root").await;
        let (status, rules) = admin.get("/admin/rules?province=12&at=2019-01-01T00:00:00Z").await;
        assert_eq!(status, StatusCode::OK, "{rules}");
        assert_eq!(rules["province"], "12");
        let first = rules["by_kind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "first_filing")
            .unwrap();
        assert_eq!(first["sms_window_hours"], 48, "Tianjin was an SMS pilot in 2019: {rules}");
        let (_, later) = admin.get("/admin/rules?province=12&at=2021-01-01T00:00:00Z").await;
        let first = later["by_kind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "first_filing")
            .unwrap();
        assert_eq!(first["sms_window_hours"], 24, "nationwide from 2020-08-17: {later}");
        assert!(later["versions"].as_array().unwrap().iter().any(|v| v["status"] == "superseded"));
        // The province variants (issue 18): none in 2021, Tianjin's from 2025-12-31.
        assert_eq!(first["legal_representative_responsible"], false, "{later}");
        assert_eq!(first["min_age"], serde_json::Value::Null, "{later}");
        let (_, now) = admin.get("/admin/rules?province=12&at=2026-06-01T00:00:00Z").await;
        let first = now["by_kind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "first_filing")
            .unwrap();
        assert_eq!(first["legal_representative_responsible"], true, "{now}");
        assert_eq!(first["min_age"], 18, "{now}");
        assert_eq!(first["review_days"], 20, "{now}");
        let min_age = now["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["topic"] == "min_age")
            .unwrap();
        assert_eq!(min_age["value"]["by_province"]["44"], 16, "{now}");
        assert!(min_age["source"].as_str().unwrap().contains("hw-policy"));
        let (status, err) = admin.get("/admin/rules?province=99").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");

        // A provider return queues mail and SMS jobs: the view masks the recipients.
        let mut tx = h.store.begin().await.unwrap();
        let job = json!({"id": "e1.sms", "channel": "sms", "to": "13812345678", "locale": "zh-CN",
                         "notification": {"event": "draft_expired", "order_id": "o1", "domain": "a.cn"}});
        tx.enqueue_job("notify", &job, h.clock.now()).await.unwrap();
        tx.commit().await.unwrap();
        let (status, page) = admin.get("/admin/outbox?channel=sms").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["jobs"].as_array().unwrap().len(), 1);
        assert_eq!(page["jobs"][0]["to"], "138****5678");
        assert_eq!(page["jobs"][0]["event"], "draft_expired");
        assert!(!page.to_string().contains("13812345678"), "{page}");
        let (_, mail) = admin.get("/admin/outbox?channel=mail").await;
        assert_eq!(mail["jobs"].as_array().unwrap().len(), 0);
        let (status, _) = admin.get("/admin/outbox?channel=fax").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}
