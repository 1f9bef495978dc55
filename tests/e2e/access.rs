//! 新增接入 as the first seed walks it: the filing type, the service number, the filing
//! password, the forms, the uploads (the verification form downloaded and signed), submit; the
//! reviewer's approval, the backdrop and the photo, the bureau, the SMS code on the bureau's
//! page, and the access on the customer's filings. In zh-CN at a desktop's size, and the
//! applicant's pages again in en and at a phone's (375×812).

use beian_regulator::fixture::{PASSWORD, SPONSORS};

use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, tools};
use crate::steps::{self, Check};

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (375, 812);

/// The applicant's half: from 验证备案类型 to the submission; the order's id.
async fn applicant_half(
    p: &mut Person<'_>,
    service_number: &str,
    a11y: &mut Vec<String>,
) -> String {
    let (_, code, name, sites) = SPONSORS[0];
    let domain = sites[0].0;
    p.log_in("customer").await;
    p.open("/filings").await;
    p.see(&["我的备案"]).await;
    p.shot("filings").await;
    a11y.extend(p.axe().await);
    let check = Check {
        domain,
        province: "33",
        nature: "enterprise",
        certificate_type: "credit_code",
        certificate_number: code,
        name,
    };
    let id = steps::start(p, &check, "新增接入").await;
    a11y.extend(p.axe().await);
    steps::product(p, &id, service_number).await;
    steps::filing_password(p, &id, PASSWORD).await;
    a11y.extend(p.axe().await);
    steps::forms(p, &id, "330106199001010018").await;
    a11y.extend(p.axe().await);
    steps::materials(p, &id).await;
    a11y.extend(p.axe().await);
    steps::submit(p, &id).await;
    a11y.extend(p.axe().await);
    id
}

/// The applicant's pages of order `id` again, as `user` sees them in `lang` at `size`: each
/// shows its key text, no untranslated message id, and is saved.
async fn revisit(p: &mut Person<'_>, id: &str, english: bool, pages: &[(&str, &str, &str)]) {
    p.log_in("customer").await;
    if english {
        p.follow("English").await;
        p.see(&["My filings"]).await;
    }
    for (template, zh, en) in pages {
        let path = template.replace("{id}", id);
        p.open(&path).await;
        p.see(&[if english { en } else { zh }]).await;
        p.all_translated().await;
        let name = template
            .trim_start_matches('/')
            .replace(['/', '?', '='], "-")
            .replace("{id}", "order");
        p.shot(if name.is_empty() { "home" } else { &name }).await;
    }
}

/// The applicant's pages of an order, with a text each shows in zh-CN and in en.
const APPLICANT_PAGES: &[(&str, &str, &str)] = &[
    ("/", "ICP 备案", "ICP"),
    ("/filings", "我的备案", "My filings"),
    ("/orders/new", "验证备案类型", "Check the filing kind"),
    ("/orders/{id}", "新增接入", "New access"),
    ("/orders/{id}/product", "产品验证", "Product"),
    ("/orders/{id}/sponsor", "主体信息", "Sponsor"),
    ("/orders/{id}/website", "网站信息", "Website"),
    ("/orders/{id}/materials", "上传资料", "Materials"),
    ("/orders/{id}/photo", "拍照核验", "Photo"),
];

#[tokio::test]
async fn new_access_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut a11y = Vec::new();
    let mut p = Person::new(&tools, &driver, &server, "new-access-zh", DESKTOP).await;
    let id = applicant_half(&mut p, "DEMO-1-01", &mut a11y).await;
    let mut r = Person::new(&tools, &driver, &server, "new-access-reviewer", DESKTOP).await;
    r.log_in("reviewer").await;
    crate::staff::approve(&mut r, &id, SPONSORS[0].3[0].0).await;
    // 拍照核验: the backdrop asked for and posted, the photo uploaded and approved.
    steps::request_backdrop(&mut p, &id).await;
    crate::staff::ship_backdrop(&mut r, &id).await;
    steps::upload_photo(&mut p, &id).await;
    crate::staff::approve_photo(&mut r, &id, "网站负责人").await;
    // The bureau receives the order and texts both responsible persons; each enters the code
    // on the bureau's page; the bureau approves after its review time.
    let mut phone = Person::new(&tools, &driver, &server, "new-access-phone-inbox", DESKTOP).await;
    phone.log_in("bureau").await;
    let sponsor_mobile = beian_regulator::fixture::sponsor_mobile(0);
    steps::sms_check(
        &server,
        &mut p,
        &mut phone,
        &id,
        &[&sponsor_mobile, "13700000000"],
    )
    .await;
    server.advance(11).await;
    server.advance(1).await;
    steps::refresh_until(&mut p, &format!("/orders/{id}"), &["已完成"]).await;
    p.shot("completed").await;
    p.open("/filings").await;
    p.see(&[SPONSORS[0].3[0].0, "取消接入"]).await;
    p.shot("filings-with-access").await;
    p.close().await;
    r.close().await;
    phone.close().await;
    // The applicant's pages again: in en at a desktop's size, at a phone's in both languages.
    for (flow, english, size) in [
        ("new-access-en", true, DESKTOP),
        ("new-access-phone-zh", false, PHONE),
        ("new-access-phone-en", true, PHONE),
    ] {
        let mut p = Person::new(&tools, &driver, &server, flow, size).await;
        revisit(&mut p, &id, english, APPLICANT_PAGES).await;
        p.close().await;
    }
    assert!(a11y.is_empty(), "axe-core: {a11y:#?}");
}
