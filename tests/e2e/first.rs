//! 首次备案 of an enterprise in Zhejiang, to its number: a sponsor and domain the registry
//! does not know, every form typed, the uploads, the reviewer, the backdrop and the photo, the
//! bureau's SMS check, and the number on 我的备案.

use beian_core::credit_code::CreditCode;

use crate::MOBILE;
use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, tools};
use crate::steps::{self, Check};

const DESKTOP: (u32, u32) = (1280, 900);

#[tokio::test]
async fn a_first_filing_to_its_number_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "first-filing", DESKTOP).await;
    p.log_in("customer").await;
    let code = CreditCode::from_parts("9133010600004242").unwrap();
    let check = Check {
        domain: "my-first-site.cn",
        province: "33",
        nature: "enterprise",
        certificate_type: "credit_code",
        certificate_number: code.as_str(),
        name: "杭州浏览器首次备案有限公司",
    };
    let id = steps::start(&mut p, &check, "首次备案").await;
    steps::product(&mut p, &id, "DEMO-1-03").await;
    // No filing password for a sponsor new to the registry: straight to the forms.
    p.arrive(&format!("/orders/{id}/sponsor")).await;
    steps::forms(&mut p, &id, "330106199001010018").await;
    steps::materials(&mut p, &id).await;
    steps::submit(&mut p, &id).await;

    let mut r = Person::new(&tools, &driver, &server, "first-filing-reviewer", DESKTOP).await;
    r.log_in("reviewer").await;
    crate::staff::approve(&mut r, &id, "my-first-site.cn").await;
    steps::request_backdrop(&mut p, &id).await;
    crate::staff::ship_backdrop(&mut r, &id).await;
    steps::upload_photo(&mut p, &id).await;
    crate::staff::approve_photo(&mut r, &id, "网站负责人").await;

    let mut phone = Person::new(&tools, &driver, &server, "first-filing-phone", DESKTOP).await;
    phone.log_in("bureau").await;
    steps::sms_check(&server, &mut p, &mut phone, &id, &[MOBILE]).await;
    server.advance(11).await;
    server.advance(1).await;
    steps::refresh_until(&mut p, &format!("/orders/{id}"), &["已完成"]).await;
    p.shot("completed").await;
    p.open("/filings").await;
    p.see(&[
        "杭州浏览器首次备案有限公司",
        "my-first-site.cn",
        "浙ICP备",
        "继续接入备案",
    ])
    .await;
    p.shot("filings-numbered").await;
    p.close().await;
    r.close().await;
    phone.close().await;
}
