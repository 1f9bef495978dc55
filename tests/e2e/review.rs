//! The provider's reviewer at work, on a Shanghai enterprise's first filing: the queue
//! filtered by province and kind, the oldest order opened and returned with a reason per
//! field; the applicant sees each reason beside its field, fixes them and resubmits; the
//! reviewer approves; and the photo step, in Shanghai, takes the code of the Shanghai bureau's
//! app face check instead of a backdrop.

use beian_core::credit_code::CreditCode;

use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, tools};
use crate::steps::{self, Check};

const DESKTOP: (u32, u32) = (1280, 900);
const DOMAIN: &str = "shanghai-e2e.cn";

/// The reviewer narrows the queue to Zhejiang (nothing waits there), then to Shanghai's first
/// filings, and opens the oldest order; its id.
async fn work_the_queue(r: &mut Person<'_>) -> String {
    r.open("/staff/review").await;
    r.see(&["初审队列", DOMAIN]).await;
    r.shot("queue").await;
    r.choose("province", "33").await;
    r.press("筛选").await;
    r.arrive("/staff/review?*").await;
    r.see(&["当前没有等待初审的订单"]).await;
    r.shot("queue-zhejiang").await;
    r.choose("province", "31").await;
    r.choose("kind", "first_filing").await;
    r.press("筛选").await;
    r.see(&[DOMAIN, "上海", "首次备案"]).await;
    r.shot("queue-shanghai-first-filings").await;
    // Oldest deadline first: the first row's order.
    let first =
        r.c.find(fantoccini::Locator::Css("table tbody tr a, table tr td a"))
            .await
            .unwrap();
    let id = first.text().await.unwrap();
    first.click().await.unwrap();
    r.arrive(&format!("/staff/orders/{id}")).await;
    id
}

#[tokio::test]
async fn a_shanghai_filing_returned_fixed_and_approved_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "shanghai-return", DESKTOP).await;
    p.log_in("customer").await;
    let code = CreditCode::from_parts("9131010600003131").unwrap();
    let check = Check {
        domain: DOMAIN,
        province: "31",
        nature: "enterprise",
        certificate_type: "credit_code",
        certificate_number: code.as_str(),
        name: "上海浏览器测试有限公司",
    };
    let id = steps::start(&mut p, &check, "首次备案").await;
    steps::product(&mut p, &id, "DEMO-1-03").await;
    p.arrive(&format!("/orders/{id}/sponsor")).await;
    steps::forms(&mut p, &id, "330106199001010018").await;
    steps::materials(&mut p, &id).await;
    steps::submit(&mut p, &id).await;

    // The reviewer works the queue and returns the order, a reason per field.
    let mut r = Person::new(&tools, &driver, &server, "shanghai-reviewer", DESKTOP).await;
    r.log_in("reviewer").await;
    let opened = work_the_queue(&mut r).await;
    assert_eq!(
        opened, id,
        "the oldest Shanghai first filing is another order"
    );
    r.see(&[DOMAIN, "上海浏览器测试有限公司", "退回修改"]).await;
    r.choose("field.0", "website.name").await;
    r.choose("common.0", "staff-reason-mismatch").await;
    r.type_in("text.0", "网站名称须与网站内容一致，不能使用“示例网站”")
        .await;
    r.choose("field.1", "sponsor.address").await;
    r.type_in("text.1", "请按营业执照填写住所，写到门牌号")
        .await;
    r.shot("return-reasons-typed").await;
    r.press("退回修改").await;
    r.arrive("/staff/review").await;
    r.see(&["已退回申请人修改"]).await;
    r.shot("returned").await;

    // The applicant sees the reasons beside their fields, fixes them and resubmits.
    steps::refresh_until(&mut p, &format!("/orders/{id}"), &["初审退回"]).await;
    p.see(&["退回原因", "不能使用“示例网站”"]).await;
    p.shot("order-returned").await;
    // The returned order and a reason beside its field, in en and at a phone's size.
    let mut a11y = Vec::new();
    for (look, english, size) in steps::LOOKS {
        let flow = format!("shanghai-returned-{look}");
        let mut q = Person::new(&tools, &driver, &server, &flow, size).await;
        steps::log_in_speaking(&mut q, "customer", english).await;
        q.open(&format!("/orders/{id}")).await;
        let why = if english {
            "Why it was returned"
        } else {
            "退回原因"
        };
        steps::looked_at(&mut q, why, "order-returned", &mut a11y).await;
        q.open(&format!("/orders/{id}/sponsor")).await;
        let beside = q.error_beside("sponsor.address").await;
        assert!(beside.contains("写到门牌号"), "{beside}");
        steps::looked_at(&mut q, "写到门牌号", "sponsor-reason-beside", &mut a11y).await;
        q.close().await;
    }
    p.open(&format!("/orders/{id}/sponsor")).await;
    let beside = p.error_beside("sponsor.address").await;
    assert!(beside.contains("写到门牌号"), "{beside}");
    p.shot("sponsor-reason-beside").await;
    p.type_in("sponsor.address", "上海市浦东新区世纪大道 100 号 21 层")
        .await;
    p.submit(&format!("/orders/{id}/sponsor")).await;
    p.arrive(&format!("/orders/{id}/website")).await;
    let beside = p.error_beside("website.name").await;
    assert!(beside.contains("与网站内容一致"), "{beside}");
    p.shot("website-reason-beside").await;
    p.type_in("website.name", "上海浏览器测试官网").await;
    p.submit(&format!("/orders/{id}/website")).await;
    p.arrive(&format!("/orders/{id}/materials")).await;
    steps::submit(&mut p, &id).await;

    crate::staff::approve(&mut r, &id, DOMAIN).await;

    // Shanghai: no backdrop; the code of the Shanghai bureau's app face check.
    steps::refresh_until(&mut p, &format!("/orders/{id}"), &["待拍照核验"]).await;
    p.follow("拍照核验").await;
    p.arrive(&format!("/orders/{id}/photo")).await;
    p.see(&["上海市通信管理局要求", "上海管局 app 核验码"])
        .await;
    p.see_no(&["申请幕布"]).await;
    p.shot("shanghai-photo-step").await;
    p.type_in("code", "12-3").await;
    p.press("提交核验码").await;
    let beside = p.error_beside("code").await;
    assert!(!beside.is_empty());
    p.shot("shanghai-code-wrong").await;
    p.type_in("code", "sh-2026-1123").await;
    p.press("提交核验码").await;
    p.arrive(&format!("/orders/{id}")).await;
    p.see(&["核验信息已提交"]).await;
    p.see_no(&["待拍照核验"]).await;
    p.shot("shanghai-code-accepted").await;
    p.close().await;
    r.close().await;
    assert!(a11y.is_empty(), "axe-core: {a11y:#?}");
}
