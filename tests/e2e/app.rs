//! APP备案 (issue 18): an enterprise in Zhejiang files its first APP, to its `-NA` number: the
//! APP chosen on 开始备案 (name, platform, package), the sponsor's page, the APP form with two
//! platforms' 特征信息, the icon and the documents, the reviewer, the backdrop and the photo,
//! the bureau's SMS check, the number on the order and on 我的备案; then 取消接入 of the APP
//! as 我的备案 offers it, and what becomes of it. The APP form and 我的备案 are seen again in
//! en and at a phone's size, with axe-core.

use std::path::{Path, PathBuf};

use beian_core::credit_code::CreditCode;

use crate::MOBILE;
use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, jpeg_file, tools};
use crate::steps::{self, fill_if_empty};

const DESKTOP: (u32, u32) = (1280, 900);
const NAME: &str = "云栖浏览器助手";
const PACKAGE: &str = "com.yunqi.e2e.assistant";
const BUNDLE: &str = "com.yunqi.e2e.Assistant";
const SPONSOR: &str = "杭州浏览器APP备案有限公司";

/// The APP's icon as its developer exports it: a small PNG (the portal takes 100 KB at most).
fn icon_file(dir: &Path) -> PathBuf {
    let icon = image::RgbaImage::from_fn(192, 192, |x, y| {
        let (dx, dy) = (x as i32 - 96, y as i32 - 96);
        if dx * dx + dy * dy < 70 * 70 {
            image::Rgba([30, 110, 220, 255])
        } else {
            image::Rgba([255, 255, 255, 255])
        }
    });
    let path = dir.join("icon.png");
    icon.save(&path).unwrap();
    path
}

/// 开始备案 of an APP: 网站 or APP chosen by its link, the APP's name, platform and package and
/// the sponsor typed, the kind the page decides; the order's id.
async fn start_app(p: &mut Person<'_>, code: &str) -> String {
    p.open("/orders/new").await;
    p.follow("APP备案").await;
    p.arrive("/orders/new?service=app").await;
    p.see(&["APP 名称", "包名 / Bundle ID", "验证备案类型"])
        .await;
    p.shot("start-app").await;
    p.type_in("app.name", NAME).await;
    p.choose("app.platform", "android").await;
    p.type_in("app.package", PACKAGE).await;
    p.choose("sponsor.province", "33").await;
    p.choose("sponsor.nature", "enterprise").await;
    p.choose("sponsor.certificate_type", "credit_code").await;
    p.type_in("sponsor.certificate_number", code).await;
    p.type_in("sponsor.name", SPONSOR).await;
    p.shot("check-typed").await;
    p.press("验证备案类型").await;
    p.see(&["您需要办理：首次备案", "主体和 APP 都未备案过", PACKAGE])
        .await;
    p.shot("check-decided").await;
    p.press("开始办理").await;
    let at = p.arrive("/orders/*").await;
    p.see(&["备案订单已创建"]).await;
    p.shot("order-created").await;
    at.trim_start_matches("/orders/")
        .split(['/', '?'])
        .next()
        .unwrap()
        .to_owned()
}

/// The APP form: the name and first package as the check gave them, the service typed, an iOS
/// platform added; saved, on to the materials.
async fn app_form(p: &mut Person<'_>, id: &str) {
    p.arrive(&format!("/orders/{id}/app")).await;
    p.see(&["APP 信息", "平台 1", "平台 3 · 包名 / Bundle ID"])
        .await;
    fill_if_empty(p, "app.name", NAME).await;
    p.type_in("app.service_content", "企业办公").await;
    fill_if_empty(p, "app.platforms[0].package", PACKAGE).await;
    p.type_in(
        "app.platforms[0].public_key",
        "86:4A:1E:0B:52:9C:3F:7D:11:E8:60:AF:2B:93:C4:58:DD:07:61:FA:3E:42:95:B8:0C:7A:E1:56:29:D3:84:0F",
    )
    .await;
    p.type_in(
        "app.platforms[0].signature_digest",
        "18:C8:67:F0:71:7A:A6:7B:2A:B7:34:75:05:BA:07:ED",
    )
    .await;
    p.choose("app.platforms[1].platform", "ios").await;
    p.type_in("app.platforms[1].package", BUNDLE).await;
    p.type_in(
        "app.platforms[1].public_key",
        "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f",
    )
    .await;
    p.type_in(
        "app.platforms[1].signature_digest",
        "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
    )
    .await;
    p.shot("app-form").await;
    p.press("保存并继续").await;
    p.arrive(&format!("/orders/{id}/materials")).await;
}

/// The materials of an APP: the icon, and the documents as photos; no verification form.
async fn app_materials(p: &mut Person<'_>, id: &str) {
    let dir = tempfile::tempdir().unwrap();
    p.see(&["上传资料", "APP 图标"]).await;
    p.see_no(&["网站备案信息真实性核验单", "下载核验单"]).await;
    p.shot("materials").await;
    let icon = icon_file(dir.path());
    let photo = jpeg_file(dir.path(), "document.jpg");
    let actions = steps::upload_actions(p).await;
    assert!(
        actions.iter().any(|a| a.ends_with("kind=app_icon")),
        "no APP icon asked for: {actions:?}"
    );
    steps::upload_each(p, id, &actions, |action| {
        if action.ends_with("kind=app_icon") {
            &icon
        } else {
            &photo
        }
    })
    .await;
}

/// The number the page shows after `label` (`APP 备案号`, say), up to the line's end.
fn number_after(page: &str, label: &str) -> String {
    let rest = page
        .split(label)
        .nth(1)
        .unwrap_or_else(|| panic!("no {label} on:\n{page}"));
    rest.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_app_first_filing_to_its_number_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "app-first-filing", DESKTOP).await;
    p.log_in("customer").await;
    let code = CreditCode::from_parts("9133010600004747").unwrap();
    let id = start_app(&mut p, code.as_str()).await;
    steps::product(&mut p, &id, "DEMO-1-03").await;
    // No filing password for a sponsor new to the registry; the APP form where a website's
    // order has the website's.
    p.arrive(&format!("/orders/{id}/sponsor")).await;
    steps::sponsor(&mut p, &id, "330106199001010018").await;
    app_form(&mut p, &id).await;
    app_materials(&mut p, &id).await;

    // The APP form again, in en and at a phone's size.
    let mut a11y = Vec::new();
    for (look, english, size) in steps::LOOKS {
        let flow = format!("app-form-{look}");
        let mut q = Person::new(&tools, &driver, &server, &flow, size).await;
        steps::log_in_speaking(&mut q, "customer", english).await;
        q.open(&format!("/orders/{id}/app")).await;
        let text = if english { "Platform 3" } else { "平台 3" };
        steps::looked_at(&mut q, text, "app-form", &mut a11y).await;
        q.close().await;
    }

    p.open(&format!("/orders/{id}/submit")).await;
    p.see(&[NAME, BUNDLE]).await;
    steps::submit(&mut p, &id).await;

    let mut r = Person::new(
        &tools,
        &driver,
        &server,
        "app-first-filing-reviewer",
        DESKTOP,
    )
    .await;
    r.log_in("reviewer").await;
    crate::staff::approve(&mut r, &id, NAME).await;
    steps::request_backdrop(&mut p, &id).await;
    crate::staff::ship_backdrop(&mut r, &id).await;
    steps::upload_photo(&mut p, &id).await;
    crate::staff::approve_photo(&mut r, &id, "APP 负责人").await;

    let mut phone = Person::new(&tools, &driver, &server, "app-first-filing-phone", DESKTOP).await;
    phone.log_in("bureau").await;
    steps::sms_check(&server, &mut p, &mut phone, &id, &[MOBILE]).await;
    server.advance(11).await;
    server.advance(1).await;
    steps::refresh_until(&mut p, &format!("/orders/{id}"), &["已完成", "APP 备案号"]).await;
    let number = number_after(&p.text().await, "APP 备案号");
    assert!(
        number.starts_with("浙ICP备") && number.ends_with("号-1A"),
        "{number}"
    );
    p.shot("completed").await;

    p.open("/filings").await;
    p.see(&["APP 与接入信息", NAME, PACKAGE, &number, "已接入"])
        .await;
    for action in ["变更APP", "注销APP", "取消接入"] {
        assert!(p.link(action).await.is_some(), "no {action} on /filings");
    }
    p.shot("filings-numbered").await;
    // 我的备案 again, in en and at a phone's size.
    for (look, english, size) in steps::LOOKS {
        let flow = format!("app-filings-{look}");
        let mut q = Person::new(&tools, &driver, &server, &flow, size).await;
        steps::log_in_speaking(&mut q, "customer", english).await;
        q.open("/filings").await;
        q.see(&[&number]).await;
        let text = if english {
            "APPs and access"
        } else {
            "APP 与接入信息"
        };
        steps::looked_at(&mut q, text, "filings", &mut a11y).await;
        q.close().await;
    }

    // 取消接入 of the APP, as 我的备案 offers it: the code texted, the filing password
    // texted at the number, both typed.
    p.follow_in_row(NAME, "取消接入").await;
    p.arrive("/apps/*").await;
    p.see(&[NAME, "发送验证码"]).await;
    p.shot("cancel-confirm").await;
    p.press("发送验证码").await;
    // The APP was filed through us: ours is its only access, and the page says the bureau
    // will refuse before one goes on.
    p.see(&["验证码已发送至", "138****8000", "唯一的接入商", "注销APP"])
        .await;
    p.shot("cancel-code-sent").await;
    let sms = steps::texted_code(&mut phone, MOBILE, "取消").await;
    let password = steps::texted_password(&mut phone, MOBILE).await;
    p.type_in("sms_code", &sms).await;
    p.type_in("password", &password).await;
    p.shot("cancel-code-typed").await;
    p.press("确认取消接入").await;
    p.arrive("/filings").await;
    p.see(&["取消接入申请已提交", "取消接入中"]).await;
    p.shot("cancel-submitted").await;
    // The bureau answers on its next exchange with us (the clock moved a minute at a time):
    // it refuses to cancel the only access, the APP stays accessed here with its actions,
    // and the customer's phone is told why.
    let mut minutes = 0;
    loop {
        p.open("/filings").await;
        if !p.text().await.contains("取消接入中") {
            break;
        }
        assert!(minutes < 30, "the bureau never answered the cancellation");
        server.advance(1).await;
        minutes += 1;
    }
    p.see(&[NAME, &number, "已接入"]).await;
    p.see_no(&["已取消接入"]).await;
    assert!(
        p.link("取消接入").await.is_some(),
        "取消接入 no longer offered"
    );
    p.shot("cancel-refused").await;
    steps::refresh_until(
        &mut phone,
        &format!("/sim/phone-inbox?mobile={MOBILE}"),
        &["未获管局同意"],
    )
    .await;
    phone.shot("phone-inbox-refused").await;
    p.close().await;
    r.close().await;
    phone.close().await;
    assert!(a11y.is_empty(), "axe-core: {a11y:#?}");
}
