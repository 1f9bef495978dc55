//! After success, over HTTP on both backends with the in-process simulator (issue 5, items 9
//! and 10, must-show (i) and (k)): `GET /sponsor`; 取消接入 with a wrong code, then the right
//! code and a wrong password, then the right password (access `cancelling`, a `bureau.upload`
//! job naming it); the code's ten minutes (simulated clock) and its five tries. The legacy
//! import is in `api_legacy_import.rs`.
//!
//! The registry side (a sponsor filed with a number, its website accessed at this provider)
//! is built in the store over the simulator's fixture sponsor, whose filing password the
//! simulator checks.

use crate::harness::TestApp;
use beian_regulator::fixture;
use beian_store::Store;
use beian_store::accesses::NewAccess;
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use beian_store::testing::each_backend;
use beian_store::workflow_support::FiledTable;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

fn person(name: &str, mobile: &str) -> Person {
    Person {
        name: name.into(),
        certificate_type: "resident_id".into(),
        certificate_number: "11010519491231002X".into(),
        mobile: mobile.into(),
        email: "webmaster@example.com".into(),
    }
}

/// The fixture's first sponsor, filed (浙ICP备2020000001号) and held by `account_id`, with
/// its website numbered `-1` and accessed here; plus a second website of it filed but not
/// accessed here. Returns (website id, access id, other website id).
async fn filed_here(store: &Store, account_id: &str) -> (String, String, String) {
    let (number, code, name, sites) = fixture::SPONSORS[0];
    let mut tx = store.begin().await.unwrap();
    let sponsor_id = tx
        .insert_sponsor(
            "test",
            &SponsorData {
                account_id: Some(account_id.into()),
                province: "33".into(),
                nature: "enterprise".into(),
                certificate_type: "credit_code".into(),
                certificate_number: code.into(),
                name: name.into(),
                address: "杭州市西湖区文三路1号".into(),
                responsible: person("张伟", "13900000000"),
            },
        )
        .await
        .unwrap();
    tx.set_icp_number("test", FiledTable::Sponsor, &sponsor_id, number)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (i, domain) in [sites[0].0, "yunqi-other.com"].into_iter().enumerate() {
        let website_id = tx
            .insert_website(
                "test",
                &WebsiteData {
                    sponsor_id: sponsor_id.clone(),
                    name: format!("云栖官网{}", i + 1),
                    domain: domain.into(),
                    home_url: format!("http://www.{domain}/"),
                    service_content: "综合门户".into(),
                    details: json!({}),
                    responsible: person("李娜", "13700000000"),
                },
            )
            .await
            .unwrap();
        tx.set_icp_number(
            "test",
            FiledTable::Website,
            &website_id,
            &format!("{number}-{}", i + 1),
        )
        .await
        .unwrap();
        ids.push(website_id);
    }
    let access_id = tx
        .insert_access(
            "test",
            &NewAccess {
                website_id: &ids[0],
                sponsor_id: &sponsor_id,
                order_id: None,
                service_number: None,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (ids[0].clone(), access_id, ids[1].clone())
}

/// The payloads of the queued jobs of `kind`, oldest first.
async fn jobs(store: &Store, kind: &str) -> Vec<Value> {
    sqlx::query("SELECT payload FROM jobs WHERE kind = $1 ORDER BY created_at, id")
        .bind(kind)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            // Notification payloads are sealed in the queue: opened as the worker does.
            let payload: Value = serde_json::from_str(&r.get::<String, _>("payload")).unwrap();
            let text = beian_platform::notify::open_notify_payload(store, &payload).unwrap();
            serde_json::from_str(&text).unwrap()
        })
        .collect()
}

/// The last code texted (the SMS notification job's payload), and the mobile it went to.
async fn texted_code(store: &Store) -> (String, String) {
    let job = jobs(store, "notify").await.pop().unwrap();
    assert_eq!(job["notification"]["event"], "cancel_access_code");
    assert_eq!(job["channel"], "sms");
    (
        job["notification"]["code"].as_str().unwrap().to_owned(),
        job["to"].as_str().unwrap().to_owned(),
    )
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn the_sponsor_shows_its_numbers_websites_and_accesses_masked() {
    each_backend(async |t| {
        let api = TestApp::new()
            .simulated_clock()
            .fixture_registry()
            .start(t)
            .await;
        let alice = api.new_applicant("alice").await;
        let (status, body) = alice.get("/sponsor").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "no_sponsor");

        let (website, access, other) = filed_here(&api.store, &alice.account_id).await;
        let (status, body) = alice.get("/sponsor").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["icp_number"], "浙ICP备2020000001号");
        assert_eq!(body["certificate_number"], "9133**********XY9C");
        assert_eq!(body["responsible"]["mobile"], "139****0000");
        let text = body.to_string();
        assert!(!text.contains(fixture::SPONSORS[0].1), "{text}");
        assert!(!text.contains("13700000000") && !text.contains("11010519491231002X"));
        let websites = body["websites"].as_array().unwrap();
        assert_eq!(websites.len(), 2);
        let site = websites
            .iter()
            .find(|w| w["id"] == website.as_str())
            .unwrap();
        assert_eq!(site["domain"], "yunqi-example.com");
        assert_eq!(site["icp_number"], "浙ICP备2020000001号-1");
        assert_eq!(site["access_status"], "active");
        let site2 = websites.iter().find(|w| w["id"] == other.as_str()).unwrap();
        assert_eq!(site2["icp_number"], "浙ICP备2020000001号-2");
        assert_eq!(site2["access_status"], Value::Null);
        assert_eq!(body["accesses"].as_array().unwrap().len(), 1);
        assert_eq!(body["accesses"][0]["id"], access.as_str());
        assert_eq!(body["accesses"][0]["domain"], "yunqi-example.com");
        assert_eq!(body["accesses"][0]["status"], "active");

        // Another account sees nothing of it.
        let bob = api.new_applicant("bob").await;
        assert_eq!(bob.get("/sponsor").await.0, StatusCode::NOT_FOUND);
        let (status, body) = bob
            .post(
                &format!("/websites/{website}/cancel-access/code"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "no_sponsor");
    })
    .await;
}

#[tokio::test]
async fn cancel_access_wrong_code_then_wrong_password_then_right_password() {
    each_backend(async |t| {
        let api = TestApp::new()
            .simulated_clock()
            .fixture_registry()
            .start(t)
            .await;
        let alice = api.new_applicant("alice").await;
        let (website, access, other) = filed_here(&api.store, &alice.account_id).await;

        // A website without an access here, and an unknown website.
        let (status, body) = alice
            .post(&format!("/websites/{other}/cancel-access/code"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "no_active_access");
        let (status, body) = alice
            .post("/websites/no-such-site/cancel-access/code", json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "website_not_found");

        // Without a code.
        let path = format!("/websites/{website}/cancel-access");
        let (status, body) = alice
            .post(
                &path,
                json!({"sms_code": "123456", "password": fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "cancel_code_missing");
        assert!(body["error"]["fields"]["sms_code"].is_string());

        let (status, body) = alice
            .post(
                &format!("/websites/{website}/cancel-access/code"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["sent_to"], "137****0000");
        assert_eq!(body["valid_minutes"], 10);
        assert_eq!(body["attempts"], 5);
        let (code, to) = texted_code(&api.store).await;
        assert_eq!(
            to, "13700000000",
            "the website's responsible mobile on file"
        );
        assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
        // Stored hashed only.
        let stored: Vec<u8> = sqlx::query("SELECT code_hash FROM cancel_access_codes")
            .fetch_one(api.store.pool())
            .await
            .unwrap()
            .get("code_hash");
        assert_eq!(stored.len(), 32);
        assert!(!stored.windows(6).any(|w| w == code.as_bytes()));
        // A re-send right away is refused, saying when to come back.
        let res = alice
            .req(
                reqwest::Method::POST,
                &format!("/websites/{website}/cancel-access/code"),
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cancel_code_too_soon");

        // A wrong code: 422 naming sms_code with the tries left.
        let (status, body) = alice
            .post(
                &path,
                json!({"sms_code": wrong(&code), "password": fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "cancel_code_incorrect");
        assert!(
            body["error"]["fields"]["sms_code"]
                .as_str()
                .unwrap()
                .contains('4'),
            "{body}"
        );

        // The right code and a wrong password.
        let (status, body) = alice
            .post(
                &path,
                json!({"sms_code": code, "password": "not-the-password"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "filing_password_incorrect");
        assert!(jobs(&api.store, "bureau.upload").await.is_empty());

        // The right code and the right password (answer in English).
        let (status, body) = alice
            .send(
                alice
                    .req(reqwest::Method::POST, &path)
                    .header("accept-language", "en")
                    .json(&json!({"sms_code": code, "password": fixture::PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "cancelling");
        assert_eq!(body["access_id"], access.as_str());
        assert_eq!(body["icp_number"], "浙ICP备2020000001号-1");
        let notice = body["notice"].as_str().unwrap();
        assert!(notice.contains("stays with the ministry"), "{notice}");
        assert!(notice.contains("new provider") || notice.contains("hosting your site"));
        let (_, zh) = alice
            .post(
                &path,
                json!({"sms_code": code, "password": fixture::PASSWORD}),
            )
            .await;
        assert_eq!(zh["error"]["code"], "access_cancelling", "{zh}");

        let uploads = jobs(&api.store, "bureau.upload").await;
        assert_eq!(
            uploads,
            vec![json!({"cancel_access": {"access_id": access}})]
        );
        let (_, view) = alice.get("/sponsor").await;
        assert_eq!(view["accesses"][0]["status"], "cancelling");
        let audited: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action IN \
             ('access.status', 'access.cancel_requested', 'cancel_access.code_used')",
        )
        .fetch_one(api.store.pool())
        .await
        .unwrap()
        .get("n");
        assert_eq!(audited, 3);
        // The zh-CN notice says the same.
        let zh_notice =
            beian_platform::workflow::CancelledAccess::notice(beian_core::i18n::Locale::ZhCn);
        assert!(zh_notice.contains("备案号在工信部仍存在"));
    })
    .await;
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes_and_dies_after_five_wrong_tries() {
    each_backend(async |t| {
        let api = TestApp::new()
            .simulated_clock()
            .fixture_registry()
            .start(t)
            .await;
        let alice = api.new_applicant("alice").await;
        let (website, _, _) = filed_here(&api.store, &alice.account_id).await;
        let send = format!("/websites/{website}/cancel-access/code");
        let path = format!("/websites/{website}/cancel-access");

        assert_eq!(alice.post(&send, json!({})).await.0, StatusCode::OK);
        let (code, _) = texted_code(&api.store).await;
        api.advance_over_http(9).await;
        let (status, body) = alice
            .post(&path, json!({"sms_code": wrong(&code), "password": "x"}))
            .await;
        assert_eq!(
            body["error"]["code"], "cancel_code_incorrect",
            "{status} {body}"
        );
        api.advance_over_http(2).await;
        let (status, body) = alice
            .post(
                &path,
                json!({"sms_code": code, "password": fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "cancel_code_expired");
        assert!(body["error"]["fields"]["sms_code"].is_string());

        // A new code: five wrong tries kill it, and then the right one no longer works.
        assert_eq!(alice.post(&send, json!({})).await.0, StatusCode::OK);
        let (code, _) = texted_code(&api.store).await;
        for left in (1..=4).rev() {
            let (_, body) = alice
                .post(&path, json!({"sms_code": wrong(&code), "password": "x"}))
                .await;
            assert_eq!(body["error"]["code"], "cancel_code_incorrect");
            let msg = body["error"]["fields"]["sms_code"].as_str().unwrap();
            assert!(msg.contains(&left.to_string()), "{left}: {msg}");
        }
        let (_, body) = alice
            .post(&path, json!({"sms_code": wrong(&code), "password": "x"}))
            .await;
        assert_eq!(body["error"]["code"], "cancel_code_exhausted");
        let (status, body) = alice
            .post(
                &path,
                json!({"sms_code": code, "password": fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "cancel_code_exhausted");
        let (_, view) = alice.get("/sponsor").await;
        assert_eq!(view["accesses"][0]["status"], "active");
        assert!(jobs(&api.store, "bureau.upload").await.is_empty());

        // After the minute, a fresh code works.
        api.advance_over_http(1).await;
        assert_eq!(alice.post(&send, json!({})).await.0, StatusCode::OK);
        let (code, _) = texted_code(&api.store).await;
        let (status, body) = alice
            .post(
                &path,
                json!({"sms_code": code, "password": fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    })
    .await;
}
