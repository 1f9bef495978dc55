//! The steps the flows are made of, each one HTTP call (or a few) as a customer, a reviewer or
//! an admin makes it. Store access is only for set-up the API does not offer (a product
//! instance with its service numbers, a storefront subscription: `harness::setup`) and for
//! reading back what the flow left behind.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::inputs::sponsor_of;
pub use crate::harness::inputs::{BOUNDARY, jpeg, multipart};
pub use crate::harness::setup::storefront_subscription;
pub use crate::harness::website;
use crate::harness::{Session, TestApp, check, credit_code};

/// One running instance of this provider with one unbound service number.
pub async fn service_number(api: &TestApp, number: &str) {
    crate::harness::setup::service_number(&api.store, number).await;
}

pub async fn post_multipart(s: &Session, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
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

/// Creates a first filing of an enterprise in Zhejiang and fills both forms; the order id.
pub async fn first_filing(s: &Session, domain: &str, serial: u32, name: &str) -> String {
    let body = check(domain, &credit_code(serial), name);
    let (status, created) = s.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "first_filing", "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let (status, order) = s
        .put(&format!("/orders/{id}/sponsor"), sponsor_of(&body))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (status, order) = s
        .put(&format!("/orders/{id}/website"), website(domain))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    id
}

/// Binds the service number to the order.
pub async fn bind(s: &Session, id: &str, number: &str) {
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
pub async fn upload_missing_and_submit(s: &Session, id: &str) -> Value {
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
pub async fn order(s: &Session, id: &str) -> Value {
    let (status, order) = s.get(&format!("/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    order
}

/// The reviewer's 初审 approval.
pub async fn approve(reviewer: &Session, id: &str) -> Value {
    let (status, order) = reviewer
        .post(&format!("/review/orders/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    order
}

/// An access filing's form after the password check: what the registry prefilled stays (it
/// is locked), what it does not keep is completed (issue 17: `incomplete_fields`).
pub fn complete_access_form(prefilled: &Value) -> Value {
    let mut form = prefilled.clone();
    let person = crate::harness::person();
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
