//! The steps the flows are made of, each one HTTP call (or a few) as a customer, a reviewer or
//! an admin makes it. Store access is only for set-up the API does not offer (a product
//! instance with its service numbers, until the admin API exists in this branch) and for
//! reading back what the flow left behind.

use std::io::Cursor;

use beian_store::products::NewInstance;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::orders_support::{Api, Session, check, credit_code, person};

/// A small real picture, as a phone camera would send it.
pub fn jpeg() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 4) as u8, 160])
    });
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

const BOUNDARY: &str = "beian-flow-boundary-42";

/// A multipart body with the given text fields and one `file` part.
pub fn multipart(fields: &[(&str, &str)], file: &[u8], content_type: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub async fn post_multipart(s: &Session<'_>, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    s.send(
        s.req(reqwest::Method::POST, path)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body),
    )
    .await
}

/// A running server instance of this provider with one unbound service number.
pub async fn service_number(api: &Api, number: &str) {
    let now = api.store.now().timestamp_millis();
    let mut tx = api.store.begin().await.unwrap();
    let instance = tx
        .insert_instance(
            "test",
            &NewInstance {
                account_id: None,
                product: "ecs",
                public_ip: Some("203.0.113.9"),
                term_start: now - 86_400_000,
                term_end: now + 365 * 86_400_000,
            },
        )
        .await
        .unwrap();
    tx.insert_service_number("test", &instance, number)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub fn website(domain: &str) -> Value {
    json!({"name": "示例网站", "domain": domain, "home_url": format!("https://www.{domain}/"),
           "service_content": "企业官网", "languages": ["zh_cn"], "responsible": person(),
           "pre_approvals": []})
}

/// Creates a first filing of an enterprise in Zhejiang and fills both forms; the order id.
pub async fn first_filing(s: &Session<'_>, domain: &str, serial: u32, name: &str) -> String {
    let body = check(domain, &credit_code(serial), name);
    let (status, created) = s.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "first_filing", "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let mut sponsor = body["sponsor"].clone();
    sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
    sponsor["responsible"] = person();
    let (status, order) = s.put(&format!("/orders/{id}/sponsor"), sponsor).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (status, order) = s
        .put(&format!("/orders/{id}/website"), website(domain))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    id
}

/// Binds the service number to the order.
pub async fn bind(s: &Session<'_>, id: &str, number: &str) {
    let (status, order) = s
        .put(
            &format!("/orders/{id}/product"),
            json!({"service_number": number}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
}

/// Submits as the customer does: the first try names what is missing (`not_ready`), each
/// missing material is uploaded (the verification form is the downloaded PDF, as if printed,
/// signed and scanned to PDF), and the second try goes through. Returns the order.
pub async fn upload_missing_and_submit(s: &Session<'_>, id: &str) -> Value {
    let (status, first) = s.post(&format!("/orders/{id}/submit"), json!({})).await;
    if status == StatusCode::OK {
        return first;
    }
    assert_eq!(status, StatusCode::CONFLICT, "{first}");
    assert_eq!(first["error"]["code"], "not_ready", "{first}");
    let missing: Vec<String> = first["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(!missing.is_empty(), "{first}");
    for field in &missing {
        let kind = field.strip_prefix("materials.").unwrap_or(field);
        let (file, content_type) = if kind == "verification_form" {
            let res = s
                .send_raw(s.req(
                    reqwest::Method::GET,
                    &format!("/orders/{id}/verification-form"),
                ))
                .await;
            assert_eq!(res.0, StatusCode::OK);
            (res.1, "application/pdf")
        } else {
            (jpeg(), "image/jpeg")
        };
        let (status, added) = post_multipart(
            s,
            &format!("/orders/{id}/materials"),
            multipart(&[("kind", kind)], &file, content_type),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {added}");
    }
    let (status, order) = s.post(&format!("/orders/{id}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    order
}

/// The order as its owner sees it.
pub async fn order(s: &Session<'_>, id: &str) -> Value {
    let (status, order) = s.get(&format!("/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    order
}

/// The reviewer's 初审 approval.
pub async fn approve(reviewer: &Session<'_>, id: &str) -> Value {
    let (status, order) = reviewer
        .post(&format!("/review/orders/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    order
}

/// An admin account made in the store (registration makes applicants only), logged in.
pub async fn admin<'a>(api: &'a Api, username: &str) -> Session<'a> {
    let hash = beian_web::api::auth::hash_password("correct horse 1").unwrap();
    let mut tx = api.store.begin().await.unwrap();
    tx.insert_account(
        "test",
        &beian_store::accounts::NewAccount {
            username,
            password_hash: &hash,
            email: &format!("{username}@example.com"),
            mobile: Some("13812345678"),
            role: beian_store::accounts::Role::Admin,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    api.login(username).await
}

/// The account's storefront (旺铺 / 企业官网) subscription, a year long.
pub async fn storefront_subscription(api: &Api, account_id: &str) {
    let now = api.store.now().timestamp_millis();
    let mut tx = api.store.begin().await.unwrap();
    tx.insert_storefront_subscription("test", account_id, "active", now + 365 * 86_400_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// An access filing's form after the password check: what the registry prefilled stays (it
/// is locked), what it does not keep is completed (issue 17: `incomplete_fields`).
pub fn complete_access_form(prefilled: &Value) -> Value {
    let mut form = prefilled.clone();
    let person = crate::orders_support::person();
    for field in [
        "name",
        "certificate_type",
        "certificate_number",
        "mobile",
        "email",
    ] {
        if form["responsible"][field]
            .as_str()
            .is_none_or(str::is_empty)
        {
            form["responsible"][field] = person[field].clone();
        }
    }
    form["responsible"]["emergency_mobile"] = json!("13900139009");
    if form.get("address").is_some() && form["address"].as_str().is_none_or(str::is_empty) {
        form["address"] = json!("浙江省杭州市西湖区文三路 1 号");
    }
    if form.get("home_url").is_some() {
        let domain = form["domain"].as_str().unwrap_or_default().to_owned();
        for (field, value) in [
            ("home_url", json!(format!("https://www.{domain}/"))),
            ("service_content", json!("企业官网")),
        ] {
            if form[field].as_str().is_none_or(str::is_empty) {
                form[field] = value;
            }
        }
        form["languages"] = json!(["zh_cn"]);
        form["pre_approvals"] = json!([]);
    }
    form
}
