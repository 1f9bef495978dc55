//! Photo verification over HTTP on each backend, with the real server and the in-process
//! simulator: the backdrop request (fields refused one by one, Hong Kong refused, one open
//! request per order, sealed at rest), its posting (the applicant's notify jobs), the photo
//! upload (EXIF stripped), a reject with its reason that the applicant sees, a re-upload and
//! the approval (`bureau.upload` job, `bureau_submit` deadline), the raw photo gone from the
//! object store after each decision while digest, decision and decider stay; reviewers
//! refused on their own account's order; two reviewers at once (one 409); the Shanghai app
//! code; the storefront app's identity report.

use std::io::Cursor;

use crate::harness::setup::product_and_materials;
use crate::harness::{Session, TestApp, check, credit_code, person};
use beian_store::Store;
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;

const SECRET: &[u8] = b"GPS-31.2304N-121.4737E";
const BOUNDARY: &str = "beian-photo-boundary-41";

/// A small JPEG with an APP1 Exif segment carrying `SECRET`.
fn jpeg(shade: u8) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(48, 64, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 3) as u8, shade])
    });
    let mut plain = Cursor::new(Vec::new());
    picture
        .write_to(&mut plain, image::ImageFormat::Jpeg)
        .unwrap();
    let plain = plain.into_inner();
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(SECRET);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

fn multipart(file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(s: &Session, id: &str, file: &[u8]) -> (StatusCode, Value) {
    s.send(
        s.req(reqwest::Method::POST, &format!("/orders/{id}/photo"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(file)),
    )
    .await
}

/// Payloads of the jobs of `kind`.
async fn jobs(store: &Store, kind: &str) -> Vec<Value> {
    sqlx::query("SELECT payload FROM jobs WHERE kind = $1 ORDER BY created_at")
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

/// A first filing of `owner` in `province`, submitted (server product, every material) and
/// still in draft when `submit` is false.
async fn order(
    api: &TestApp,
    owner: &Session,
    domain: &str,
    serial: u32,
    province: &str,
    submit: bool,
) -> String {
    let mut body = check(domain, &credit_code(serial), "上海示例科技有限公司");
    body["sponsor"]["province"] = json!(province);
    let (status, created) = owner.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let mut sponsor = body["sponsor"].clone();
    sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
    sponsor["responsible"] = person();
    let (status, v) = owner.put(&format!("/orders/{id}/sponsor"), sponsor).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let website = json!({"name": "示例网站", "domain": domain,
        "home_url": format!("https://www.{domain}/"), "service_content": "企业官网",
        "languages": ["zh_cn"], "responsible": person(), "pre_approvals": []});
    let (status, v) = owner.put(&format!("/orders/{id}/website"), website).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    if !submit {
        return id;
    }
    let number = format!("SN-{serial}");
    product_and_materials(&api.store, &id, &number).await;
    let (status, v) = owner
        .put(
            &format!("/orders/{id}/product"),
            json!({"service_number": number}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = owner.post(&format!("/orders/{id}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    id
}

/// [`order`] approved by `approver`: in `photo_pending`.
async fn photo_pending(
    api: &TestApp,
    owner: &Session,
    approver: &Session,
    domain: &str,
    serial: u32,
    province: &str,
) -> String {
    let id = order(api, owner, domain, serial, province, true).await;
    let (status, v) = approver
        .post(&format!("/review/orders/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "photo_pending");
    id
}

fn address() -> Value {
    json!({"province": "33", "city": "杭州市", "district": "西湖区",
           "detail": "文三路 1 号 2 幢 301 室"})
}

#[tokio::test]
async fn backdrops_are_validated_sealed_listed_and_shipped_with_a_notification() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let rita = api.new_reviewer("rita").await;
        let id = photo_pending(&api, &alice, &rita, "backdrop-example.cn", 11, "33").await;
        let path = format!("/orders/{id}/backdrop-requests");

        // Every bad field at once, each by its path; nothing stored.
        let (status, err) = alice
            .post(
                &path,
                json!({"recipient": "", "mobile": "12345",
                "address": {"province": "33", "city": "", "district": "西湖区", "detail": "1"}}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let fields = err["error"]["fields"].as_object().unwrap();
        let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["address.city", "address.detail", "mobile", "recipient"],
            "{err}"
        );

        // Hong Kong is not the mainland.
        let mut hk = address();
        hk["province"] = json!("香港");
        let (status, err) = alice
            .send(
                alice
                    .req(reqwest::Method::POST, &path)
                    .header("accept-language", "en")
                    .json(&json!({"recipient": "张三", "mobile": "13812345678", "address": hk})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let why = err["error"]["fields"]["address.province"].as_str().unwrap();
        assert!(
            why.contains("mainland China") && why.contains("Hong Kong"),
            "{why}"
        );
        assert!(
            api.store
                .backdrop_requests_of_order(&id)
                .await
                .unwrap()
                .is_empty()
        );

        let good = json!({"recipient": "张三", "mobile": "13812345678", "address": address()});
        let (status, made) = alice.post(&path, good.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!(made["recipient"], "张*");
        assert_eq!(made["mobile"], "138****5678");
        let request_id = made["id"].as_str().unwrap().to_owned();
        let (status, err) = alice.post(&path, good.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "backdrop_request_open");

        // Sealed at rest: neither the street nor the mobile is in the row.
        let row = sqlx::query("SELECT contact_ct FROM backdrop_requests WHERE id = $1")
            .bind(&request_id)
            .fetch_one(api.store.pool())
            .await
            .unwrap();
        let sealed: Vec<u8> = row.get("contact_ct");
        let sealed = String::from_utf8_lossy(&sealed);
        assert!(!sealed.contains("文三路") && !sealed.contains("13812345678"));

        // The posting list: reviewers only, the whole label while requested.
        let (status, _) = alice.get("/review/backdrops").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, err) = rita.get("/review/backdrops?status=lost").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let (status, list) = rita.get("/review/backdrops?status=requested").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let item = &list["requests"][0];
        assert_eq!(item["id"], request_id.as_str());
        assert_eq!(item["recipient"], "张三");
        assert_eq!(item["mobile"], "13812345678");
        assert_eq!(item["detail"], "文三路 1 号 2 幢 301 室");
        assert_eq!(item["province_name"], "浙江省");

        let shipped = format!("/review/backdrops/{request_id}/shipped");
        let (status, err) = rita.post(&shipped, json!({"tracking_number": "1"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["fields"]["tracking_number"].is_string(),
            "{err}"
        );
        assert!(
            jobs(&api.store, "notify")
                .await
                .iter()
                .all(|j| j["notification"]["event"] != "backdrop_shipped")
        );
        let (status, done) = rita
            .post(&shipped, json!({"tracking_number": "SF1234567890"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["status"], "shipped");
        assert_eq!(done["recipient"], "张*");
        let told: Vec<Value> = jobs(&api.store, "notify")
            .await
            .into_iter()
            .filter(|j| j["notification"]["event"] == "backdrop_shipped")
            .collect();
        assert_eq!(told.len(), 2, "email and SMS: {told:?}");
        for job in &told {
            assert_eq!(job["notification"]["order_id"], id.as_str());
            assert_eq!(job["notification"]["tracking_number"], "SF1234567890");
        }
        assert!(
            told.iter().any(|j| j["to"] == "alice@example.com"),
            "{told:?}"
        );
        let (status, err) = rita
            .post(&shipped, json!({"tracking_number": "SF1234567890"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "backdrop_already_shipped");
        let (_, list) = rita.get("/review/backdrops?status=shipped").await;
        assert_eq!(list["requests"][0]["mobile"], "138****5678", "{list}");

        // The applicant sees the tracking number on the order's photo step; others do not.
        let (status, step) = alice.get(&format!("/orders/{id}/photo")).await;
        assert_eq!(status, StatusCode::OK, "{step}");
        assert_eq!(step["method"], "backdrop");
        assert_eq!(
            step["backdrop_requests"][0]["tracking_number"],
            "SF1234567890"
        );
        assert_eq!(step["backdrop_requests"][0]["mobile"], "138****5678");
        let (status, _) = rita.get(&format!("/orders/{id}/photo")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Shipped: another may be asked for (lost in the post).
        let (status, again) = alice.post(&path, good).await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        let (status, timeline) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(timeline["state"], "photo_pending");
    })
    .await;
}

#[tokio::test]
async fn a_photo_is_rejected_then_approved_and_the_raw_photo_is_purged() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let objects = &api.objects;
        let alice = api.new_applicant("alice").await;
        let rita = api.new_reviewer("rita").await;
        let id = photo_pending(&api, &alice, &rita, "photo-example.cn", 21, "33").await;

        // Not an image; a Shanghai code for a backdrop order.
        let (status, err) = upload(&alice, &id, b"just text, not a photo").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["file"].is_string(), "{err}");
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
        let (status, err) = upload(&alice, &id, pdf).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["fields"]["file"]
                .as_str()
                .unwrap()
                .contains("JPEG"),
            "{err}"
        );
        let (status, err) = alice
            .post(
                &format!("/orders/{id}/photo"),
                json!({"shanghai_app_code": "AB12CD34"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "backdrop_required");

        let (status, up) = upload(&alice, &id, &jpeg(10)).await;
        assert_eq!(status, StatusCode::OK, "{up}");
        assert_eq!(up["state"], "photo_review");
        let first = api.store.pending_photo_check(&id).await.unwrap().unwrap();
        let first_key = first.object_key.clone().unwrap();

        // The reviewer sees the cleaned photo (no EXIF), the applicant cannot.
        let (status, _) = alice.get(&format!("/review/orders/{id}/photo")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let res = rita
            .req(reqwest::Method::GET, &format!("/review/orders/{id}/photo"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let bytes = res.bytes().await.unwrap();
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET));
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(up["sha256"], digest.as_str());

        // Reject: `other` needs a text; a listed reason goes to the applicant.
        let reject = format!("/review/orders/{id}/photo/reject");
        let (status, err) = rita
            .post(&reject, json!({"reason": {"code": "other"}}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["reason.text"].is_string(), "{err}");
        let (status, err) = rita
            .post(&reject, json!({"reason": {"code": "sunglasses"}}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["reason.code"].is_string(), "{err}");
        assert!(
            objects.get(&first_key).await.is_ok(),
            "kept until a decision"
        );
        let (status, done) = rita
            .post(
                &reject,
                json!({"reason": {"code": "red_or_blue_top", "text": "请换浅色上衣"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "photo_pending");
        let (_, order) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(order["state"], "photo_pending");
        let reason = &order["return_reasons"][0];
        assert_eq!(reason["field"], "photo", "{order}");
        assert_eq!(reason["code"], "red_or_blue_top");
        let text = reason["message"].as_str().unwrap();
        assert!(
            text.contains("红色或蓝色上衣") && text.contains("请换浅色上衣"),
            "{text}"
        );

        let (status, step) = alice.get(&format!("/orders/{id}/photo")).await;
        assert_eq!(status, StatusCode::OK, "{step}");
        let seen = &step["photos"][0];
        assert_eq!(seen["decision"], "rejected", "{step}");
        assert_eq!(seen["sha256"], digest.as_str());
        assert!(
            seen["reason"].as_str().unwrap().contains("请换浅色上衣"),
            "{step}"
        );
        assert!(
            !step.to_string().contains(&rita.account_id),
            "the decider is not shown"
        );

        // The raw photo is gone; digest, decision, reason and decider stay.
        assert!(objects.get(&first_key).await.is_err(), "raw photo deleted");
        let checks = api.store.photo_checks(&id).await.unwrap();
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].object_key, None);
        assert_eq!(checks[0].sha256_hex.as_deref(), Some(digest.as_str()));
        assert_eq!(checks[0].decision.as_deref(), Some("rejected"));
        assert_eq!(checks[0].reason_code.as_deref(), Some("red_or_blue_top"));
        assert_eq!(
            checks[0].decided_by.as_deref(),
            Some(format!("account:{}", rita.account_id).as_str())
        );
        assert!(checks[0].object_deleted_at.is_some());
        let purges = jobs(&api.store, "photo.purge").await;
        assert_eq!(purges, [json!({"object_key": first_key})]);

        // Re-upload, approve: queued for the bureau with its job and deadline.
        let (status, up) = upload(&alice, &id, &jpeg(200)).await;
        assert_eq!(status, StatusCode::OK, "{up}");
        assert_eq!(up["state"], "photo_review");
        let (_, order) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(
            order["return_reasons"],
            json!([]),
            "cleared by the new photo"
        );
        let second_key = api
            .store
            .pending_photo_check(&id)
            .await
            .unwrap()
            .unwrap()
            .object_key
            .unwrap();
        assert!(jobs(&api.store, "bureau.upload").await.is_empty());
        let before = api.store.now();
        let (status, done) = rita
            .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "queued_for_bureau");
        let after = api.store.now();
        assert_eq!(
            jobs(&api.store, "bureau.upload").await,
            [json!({"order_id": id})]
        );
        let (_, order) = alice.get(&format!("/orders/{id}")).await;
        assert_eq!(order["state"], "queued_for_bureau");
        let due = order["deadlines"]["bureau_submit"].as_i64().unwrap();
        let expected = [before, after].map(|at| {
            beian_core::calendar::deadline_after(at, 1)
                .at
                .timestamp_millis()
        });
        assert!(expected.contains(&due), "{due} vs {expected:?}");
        assert!(due > after.timestamp_millis());
        assert!(objects.get(&second_key).await.is_err(), "raw photo deleted");
        let checks = api.store.photo_checks(&id).await.unwrap();
        assert_eq!(checks[1].decision.as_deref(), Some("approved"));
        assert_eq!(checks[1].object_key, None);
        assert!(checks[1].sha256_hex.is_some());
        assert_eq!(jobs(&api.store, "photo.purge").await.len(), 2);

        // Decided already.
        let (status, err) = rita
            .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        let (status, err) = alice
            .post(
                &format!("/orders/{id}/backdrop-requests"),
                json!({"recipient": "张三", "mobile": "13812345678", "address": address()}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "backdrop_not_needed");
    })
    .await;
}

#[tokio::test]
async fn reviewers_never_decide_their_own_and_two_at_once_get_one_409() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let rita = api.new_reviewer("rita").await;
        let sam = api.new_reviewer("sam").await;
        let bob = api.new_applicant("bob").await;

        // rita's own order: sam approves the review, rita may not decide its photo.
        let own = photo_pending(&api, &rita, &sam, "own-example.cn", 31, "33").await;
        let (status, up) = upload(&rita, &own, &jpeg(1)).await;
        assert_eq!(status, StatusCode::OK, "{up}");
        let (status, err) = rita
            .post(&format!("/review/orders/{own}/photo/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
        assert_eq!(err["error"]["code"], "own_order");
        let (status, err) = rita.get(&format!("/review/orders/{own}/photo")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
        let (_, v) = rita
            .post(
                &format!("/orders/{own}/backdrop-requests"),
                json!({"recipient": "张三", "mobile": "13812345678", "address": address()}),
            )
            .await;
        let request = v["id"].as_str().unwrap().to_owned();
        let (status, err) = rita
            .post(
                &format!("/review/backdrops/{request}/shipped"),
                json!({"tracking_number": "SF1234567890"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
        assert_eq!(err["error"]["code"], "own_order");

        // bob's order: rita approves while sam rejects, at once.
        let id = photo_pending(&api, &bob, &rita, "race-example.cn", 32, "33").await;
        let (status, up) = upload(&bob, &id, &jpeg(2)).await;
        assert_eq!(status, StatusCode::OK, "{up}");
        let approve = format!("/review/orders/{id}/photo/approve");
        let reject = format!("/review/orders/{id}/photo/reject");
        let ((a, av), (r, rv)) = tokio::join!(
            rita.post(&approve, json!({})),
            sam.post(&reject, json!({"reason": {"code": "face_unclear"}})),
        );
        let mut statuses = [a, r];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{av} {rv}"
        );
        let checks = api.store.photo_checks(&id).await.unwrap();
        assert_eq!(checks.len(), 1);
        let decision = checks[0].decision.as_deref().unwrap();
        let state = api.store.order(&id).await.unwrap().state;
        match decision {
            "approved" => assert_eq!(state, "queued_for_bureau"),
            _ => assert_eq!(state, "photo_pending"),
        }
    })
    .await;
}

#[tokio::test]
async fn shanghai_orders_enter_the_bureau_app_code_instead() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let rita = api.new_reviewer("rita").await;
        let id = photo_pending(&api, &alice, &rita, "shanghai-example.cn", 41, "31").await;
        let (_, order) = alice.get(&format!("/orders/{id}")).await;
        assert!(
            order["steps"].to_string().contains("bureau_app_face_check"),
            "{order}"
        );

        let (status, err) = alice
            .post(
                &format!("/orders/{id}/backdrop-requests"),
                json!({"recipient": "张三", "mobile": "13812345678", "address": address()}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "no_backdrop_step");
        let (status, err) = upload(&alice, &id, &jpeg(3)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "shanghai_app_required");
        let path = format!("/orders/{id}/photo");
        let (status, err) = alice
            .post(&path, json!({"shanghai_app_code": "12-3"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["fields"]["shanghai_app_code"].is_string(),
            "{err}"
        );

        let (status, done) = alice
            .post(&path, json!({"shanghai_app_code": "sh-2026-1123"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "queued_for_bureau");
        assert_eq!(
            jobs(&api.store, "bureau.upload").await,
            [json!({"order_id": id})]
        );
        let (_, order) = alice.get(&format!("/orders/{id}")).await;
        assert!(
            order["deadlines"]["bureau_submit"].as_i64().unwrap()
                > api.store.now().timestamp_millis()
        );
        let checks = api.store.photo_checks(&id).await.unwrap();
        assert_eq!(checks[0].method, "shanghai_app");
        assert_eq!(checks[0].app_code.as_deref(), Some("SH20261123"));
        assert_eq!(checks[0].decision.as_deref(), Some("approved"));
        let (status, _) = alice
            .post(&path, json!({"shanghai_app_code": "SH20261123"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
    })
    .await;
}

#[tokio::test]
async fn the_storefront_app_reports_identity_through_an_admin_key() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let bob = api.new_applicant("bob").await;
        let rita = api.new_reviewer("rita").await;
        let ada = api.new_admin("ada").await;
        let id = order(&api, &alice, "store-example.cn", 51, "33", false).await;
        let now = api.store.now().timestamp_millis();
        let mut tx = api.store.begin().await.unwrap();
        tx.insert_storefront_subscription("test", &alice.account_id, "active", now + 86_400_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (status, v) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"storefront_account": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");

        let path = format!("/review/orders/{id}/app-identity");
        for who in [&alice, &rita] {
            let (status, _) = who.post(&path, json!({})).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        assert!(
            api.store
                .order_workflow(&id)
                .await
                .unwrap()
                .identity_verified_at
                .is_none()
        );
        let (status, v) = ada.post(&path, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["state"], "draft");
        assert!(
            api.store
                .order_workflow(&id)
                .await
                .unwrap()
                .identity_verified_at
                .is_some()
        );

        // A server-product order has no app identity step.
        let server = order(&api, &bob, "server-example.cn", 52, "33", false).await;
        let (status, err) = ada
            .post(&format!("/review/orders/{server}/app-identity"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "no_app_identity");
    })
    .await;
}
