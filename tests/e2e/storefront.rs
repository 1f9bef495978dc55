//! The storefront (旺铺 / 企业官网) as the second seed walks it, from the 顶级域名 page: the
//! domain's binding refused before its filing exists, 前往备案 into a first filing verified by
//! the storefront subscription (the identity check done in the storefront app, whose back
//! end reports it), the reviewer, the bureau's SMS check and approval; then the same domain
//! binds. And 接入已有备案: a new shop's domain filed at other providers, accessed here
//! through the storefront, then bound.

use beian_core::credit_code::CreditCode;

use beian_regulator::fixture::{PASSWORD, SPONSORS, sponsor_mobile};

use crate::MOBILE;
use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, tools};
use crate::steps::{self, Check};

const DESKTOP: (u32, u32) = (1280, 900);
const DOMAIN: &str = "my-shop-e2e.cn";

/// Types the domain on 顶级域名 and presses 绑定.
async fn bind(p: &mut Person<'_>) {
    bind_domain(p, DOMAIN).await;
}

async fn bind_domain(p: &mut Person<'_>, domain: &str) {
    p.open("/storefront/domains").await;
    p.see(&["先备案、后接入"]).await;
    p.type_in("domain", domain).await;
    p.press("绑定").await;
}

#[tokio::test]
async fn a_storefront_first_filing_then_its_domain_bound_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "storefront-first-filing", DESKTOP).await;
    p.log_in("customer").await;
    p.follow("顶级域名").await;
    p.arrive("/storefront/domains").await;
    p.shot("storefront").await;
    bind(&mut p).await;
    p.see(&[&format!("{DOMAIN} 尚未在本接入商完成备案和接入")])
        .await;
    p.shot("bind-refused-before-filing").await;

    p.follow("前往备案").await;
    p.arrive("/orders/new?storefront=1").await;
    let code = CreditCode::from_parts("9133010600005252").unwrap();
    let check = Check {
        domain: DOMAIN,
        province: "33",
        nature: "enterprise",
        certificate_type: "credit_code",
        certificate_number: code.as_str(),
        name: "杭州旺铺浏览器测试有限公司",
    };
    // The check keeps the storefront mark: the order opens on the storefront's product.
    steps::type_check(&mut p, &check).await;
    p.see(&["您需要办理：首次备案"]).await;
    p.press("开始办理").await;
    let at = p.arrive("/orders/*").await;
    let id = at
        .trim_start_matches("/orders/")
        .split(['/', '?'])
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(at, format!("/orders/{id}/product?storefront=1"));
    p.see(&["阿里巴巴旺铺 / 企业官网"]).await;
    p.shot("product-storefront").await;
    p.press("验证旺铺 / 企业官网订阅").await;
    p.arrive(&format!("/orders/{id}/sponsor")).await;
    p.see(&["已保存"]).await;
    steps::forms(&mut p, &id, "330106199001010018").await;
    steps::materials(&mut p, &id).await;
    p.open(&format!("/orders/{id}")).await;
    p.see(&["app 真实性核验"]).await;
    p.shot("order-awaits-app-check").await;

    // The storefront app checks the person's identity; its back end (an admin credential)
    // reports it.
    let mut app = Person::new(&tools, &driver, &server, "storefront-app", DESKTOP).await;
    app.log_in("admin").await;
    let (status, body) = app
        .api_post(
            &format!("/api/v1/review/orders/{id}/app-identity"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.close().await;
    steps::submit(&mut p, &id).await;

    let mut r = Person::new(&tools, &driver, &server, "storefront-reviewer", DESKTOP).await;
    r.log_in("reviewer").await;
    crate::staff::approve(&mut r, &id, DOMAIN).await;
    // Filed but not yet approved by the bureau: still refused.
    bind(&mut p).await;
    p.see(&["尚未在本接入商完成备案和接入"]).await;

    let mut phone = Person::new(&tools, &driver, &server, "storefront-phone", DESKTOP).await;
    phone.log_in("bureau").await;
    steps::sms_check(&server, &mut p, &mut phone, &id, &[MOBILE]).await;
    server.advance(11).await;
    server.advance(1).await;
    steps::refresh_until(&mut p, &format!("/orders/{id}"), &["已完成"]).await;
    p.shot("completed").await;

    bind(&mut p).await;
    p.see(&[&format!("{DOMAIN} 已绑定到您的旺铺")]).await;
    // Bound: a success note (green), and the field emptied for the next domain.
    p.c.find(fantoccini::Locator::Css(".note.ok"))
        .await
        .unwrap();
    assert_eq!(
        p.field_value("domain").await,
        Some((String::new(), false)),
        "the bound domain stays in the field"
    );
    p.shot("bound-after-filing").await;
    p.close().await;
    r.close().await;
    phone.close().await;

    // 顶级域名 again, in en and at a phone's size: a domain not filed here refused, and the
    // bound one listed (binding it again says so).
    let mut a11y = Vec::new();
    for (look, english, size) in steps::LOOKS {
        let flow = format!("storefront-domains-{look}");
        let mut q = Person::new(&tools, &driver, &server, &flow, size).await;
        steps::log_in_speaking(&mut q, "customer", english).await;
        q.open("/storefront/domains").await;
        let title = if english {
            "file first, then access"
        } else {
            "先备案、后接入"
        };
        steps::looked_at(&mut q, title, "storefront", &mut a11y).await;
        let bind = if english { "Bind" } else { "绑定" };
        q.type_in("domain", "not-filed-e2e.cn").await;
        q.press(bind).await;
        let refused = if english {
            "not-filed-e2e.cn is not filed and accessed through this provider yet"
        } else {
            "not-filed-e2e.cn 尚未在本接入商完成备案和接入"
        };
        steps::looked_at(&mut q, refused, "bind-refused", &mut a11y).await;
        q.type_in("domain", DOMAIN).await;
        q.press(bind).await;
        let again = if english {
            format!("{DOMAIN} is bound already")
        } else {
            format!("{DOMAIN} 已被绑定")
        };
        steps::looked_at(&mut q, &again, "bound-already", &mut a11y).await;
        q.close().await;
    }
    assert!(a11y.is_empty(), "axe-core: {a11y:#?}");
}

/// The storefront app's back end (an admin credential): grants `shop` a subscription, or
/// reports order `id`'s identity check.
async fn storefront_backend(app: &Person<'_>, path: &str, body: serde_json::Value) {
    let (status, answer) = app.api_post(path, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {answer}");
}

#[tokio::test]
async fn a_storefront_access_of_a_filed_domain_then_bound_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let (_, code, name, sites) = SPONSORS[1];
    let domain = sites[0].0;
    // A new shop registers; the storefront grants it a subscription.
    let mut p = Person::new(&tools, &driver, &server, "storefront-access", DESKTOP).await;
    p.open("/register").await;
    p.type_in("username", "newshop").await;
    p.type_in("password", "Shop-Pass-2026").await;
    p.type_in("email", "shop@example.cn").await;
    p.type_in("mobile", MOBILE).await;
    p.shot("register").await;
    p.press("注册").await;
    p.arrive("/login").await;
    p.see(&["注册成功，请登录"]).await;
    p.type_in("username", "newshop").await;
    p.type_in("password", "Shop-Pass-2026").await;
    p.submit("/login").await;
    p.arrive("/filings").await;
    let mut app = Person::new(&tools, &driver, &server, "storefront-access-app", DESKTOP).await;
    app.log_in("admin").await;
    let year = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 365 * 24 * 3600 * 1000;
    storefront_backend(
        &app,
        "/api/v1/admin/storefront-subscriptions",
        serde_json::json!({"username": "newshop", "term_end": year as i64}),
    )
    .await;

    bind_domain(&mut p, domain).await;
    p.see(&[&format!("{domain} 尚未在本接入商完成备案和接入")])
        .await;
    p.shot("bind-refused-before-access").await;
    p.follow("前往备案").await;
    p.arrive("/orders/new?storefront=1").await;
    let check = Check {
        domain,
        province: "33",
        nature: "enterprise",
        certificate_type: "credit_code",
        certificate_number: code,
        name,
    };
    steps::type_check(&mut p, &check).await;
    p.see(&["您需要办理：新增接入"]).await;
    p.shot("check-decided").await;
    p.press("开始办理").await;
    let at = p.arrive("/orders/*").await;
    let id = at
        .trim_start_matches("/orders/")
        .split(['/', '?'])
        .next()
        .unwrap()
        .to_owned();
    p.shot("product-storefront").await;
    p.press("验证旺铺 / 企业官网订阅").await;
    steps::filing_password(&mut p, &id, PASSWORD).await;
    steps::forms(&mut p, &id, "330106199001010018").await;
    steps::materials(&mut p, &id).await;
    storefront_backend(
        &app,
        &format!("/api/v1/review/orders/{id}/app-identity"),
        serde_json::json!({}),
    )
    .await;
    app.close().await;
    steps::submit(&mut p, &id).await;
    let mut r = Person::new(
        &tools,
        &driver,
        &server,
        "storefront-access-reviewer",
        DESKTOP,
    )
    .await;
    r.log_in("reviewer").await;
    crate::staff::approve(&mut r, &id, domain).await;
    let mut phone = Person::new(&tools, &driver, &server, "storefront-access-phone", DESKTOP).await;
    phone.log_in("bureau").await;
    let sponsor_phone = sponsor_mobile(1);
    steps::sms_check(
        &server,
        &mut p,
        &mut phone,
        &id,
        &[&sponsor_phone, "13700000000"],
    )
    .await;
    server.advance(11).await;
    server.advance(1).await;
    steps::refresh_until(&mut p, &format!("/orders/{id}"), &["已完成"]).await;
    p.shot("completed").await;
    bind_domain(&mut p, domain).await;
    p.see(&[&format!("{domain} 已绑定到您的旺铺")]).await;
    p.shot("bound-after-access").await;
    p.close().await;
    r.close().await;
    phone.close().await;
}
