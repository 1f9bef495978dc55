//! The seeds' flows clicked through in the pages: each form is submitted as a person fills it
//! ([`Browser::fill`]: what the page shows is sent as shown, typing only into fields the page
//! lets one type into). The provider's reviewer decides through the API (the staff pages come
//! with the next issue), the customer enters the SMS code on the bureau's page, and time moves
//! with the simulated clock.

use beian_store::testing::{self, TestStore};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{MOBILE, check_fields, start, upload_all};
use crate::flows::bureau::{enter_sms_code_of, wait_for_state};
use crate::flows::driver::approve;
use crate::flows::registry::sponsor_hosted_here;
use crate::harness::browser::{Browser, Page};
use crate::harness::inputs::jpeg;
use crate::harness::setup::{fixture_sponsor, service_number, storefront_subscription};
use crate::harness::{Session, TestApp, credit_code, resident_id};

/// Fills the product, (password,) sponsor and website steps of order `id` as the pages
/// offer them, uploads every material, and submits; the order's page after.
async fn fill_and_submit(
    app: &TestApp,
    b: &mut Browser<'_>,
    id: &str,
    number: &str,
    password: Option<&str>,
) -> Page {
    service_number(&app.store, number).await;
    let product = format!("/orders/{id}/product");
    let page = b
        .fill(&product, &product, &[("service_number", number)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    if let Some(password) = password {
        assert_eq!(page.location(), format!("/orders/{id}/password"));
        let path = format!("/orders/{id}/password");
        b.open(&path)
            .await
            .has(&["验证备案密码", "找回备案密码", "/bureau/password-recovery"]);
        let wrong = b.fill(&path, &path, &[("password", "WrongPass1")]).await;
        assert_eq!(
            wrong.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            wrong.body
        );
        wrong.has(&["id=\"e-password\""]);
        let ok = b.fill(&path, &path, &[("password", password)]).await;
        assert_eq!(
            ok.location(),
            format!("/orders/{id}/sponsor"),
            "{}",
            ok.body
        );
    }
    fill_forms(b, id).await;
    super::submit(b, id).await
}

/// Fills the sponsor and website steps as the pages offer them and uploads every material.
async fn fill_forms(b: &mut Browser<'_>, id: &str) {
    let path = format!("/orders/{id}/sponsor");
    let rid = resident_id(7);
    let page = b.open(&path).await;
    let mut typed = vec![
        ("sponsor.responsible.name", "张三"),
        ("sponsor.responsible.certificate_type", "resident_id"),
        ("sponsor.responsible.certificate_number", rid.as_str()),
        ("sponsor.responsible.mobile", MOBILE),
        ("sponsor.responsible.emergency_mobile", "13900139000"),
        ("sponsor.responsible.email", "zhang@example.cn"),
    ];
    // The address is the customer's to give when the registry gave none.
    if page
        .form(&path)
        .iter()
        .any(|i| i.name == "sponsor.address" && i.value.is_empty())
    {
        typed.push(("sponsor.address", "浙江省杭州市西湖区文三路 1 号"));
    }
    // Only what the page lets one type into (an access filing shows the registry's data).
    let form = page.form(&path);
    typed.retain(|(name, _)| form.iter().any(|i| i.name == *name && !i.readonly));
    let saved = b.fill(&path, &path, &typed).await;
    assert_eq!(
        saved.location(),
        format!("/orders/{id}/website"),
        "{}",
        saved.body
    );
    let path = format!("/orders/{id}/website");
    let page = b.open(&path).await;
    let form = page.form(&path);
    let shown = |name: &str| {
        form.iter()
            .find(|i| i.name == name)
            .map(|i| (i.value.clone(), i.readonly))
            .unwrap()
    };
    let domain = shown("website.domain").0;
    let home = format!("https://www.{domain}/");
    let mut typed: Vec<(&str, &str)> = Vec::new();
    for (name, value) in [
        ("website.name", "示例网站"),
        ("website.home_url", home.as_str()),
        ("website.service_content", "企业官网"),
        ("website.languages", "zh_cn"),
    ] {
        let (now, readonly) = shown(name);
        if now.is_empty() {
            assert!(
                !readonly,
                "{name} is empty and read-only on the website page"
            );
            typed.push((name, value));
        }
    }
    // The registry keeps no emergency mobile or e-mail of the website's responsible person
    // (the access prefill names them as the customer's to give): typed where shown empty.
    for (name, value) in [
        ("website.responsible.emergency_mobile", "13900139001"),
        ("website.responsible.email", "webmaster@example.cn"),
    ] {
        if form
            .iter()
            .any(|i| i.name == name && i.value.is_empty() && !i.readonly)
        {
            typed.push((name, value));
        }
    }
    let saved = b.fill(&path, &path, &typed).await;
    assert_eq!(
        saved.location(),
        format!("/orders/{id}/materials"),
        "{}",
        saved.body
    );
    upload_all(b, id).await;
}

/// The reviewer's photo approval (the staff pages come with the next issue).
pub(super) async fn approve_photo(rita: &Session, id: &str) {
    let (status, decided) = rita
        .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
}

/// The photo step in the pages: a backdrop to a mainland address, then the photo.
pub(super) async fn photo_in_the_pages(b: &mut Browser<'_>, id: &str) {
    let order = b.open(&format!("/orders/{id}")).await;
    order.has(&["待拍照核验"]);
    let photo = order.link("拍照核验").unwrap();
    assert_eq!(photo, format!("/orders/{id}/photo"));
    b.open(&photo)
        .await
        .has(&["申请幕布", "中国大陆境内", "红色或蓝色"]);
    b.in_lang("en").open(&photo).await.has(&[
        "Request a backdrop",
        "mainland China",
        "Photo verification",
    ]);
    let backdrop = format!("/orders/{id}/backdrop");
    let sent = b
        .fill(
            &photo,
            &backdrop,
            &[
                ("recipient", "张三"),
                ("mobile", MOBILE),
                ("address.province", "浙江省"),
                ("address.city", "杭州市"),
                ("address.district", "西湖区"),
                ("address.detail", "文三路 1 号"),
            ],
        )
        .await;
    assert_eq!(sent.location(), photo, "{}", sent.body);
    b.open(&photo).await.has(&["幕布申请已提交"]);
    let shot = b.post_file(&photo, &[], &jpeg(), "image/jpeg").await;
    assert_eq!(shot.status, StatusCode::SEE_OTHER, "{}", shot.body);
    b.open(&format!("/orders/{id}")).await.has(&["照片审核中"]);
}

/// From `sms_pending` to `completed`: the notice with its countdown and the bureau's link,
/// the code entered on the bureau's page, the bureau's automatic approval synced.
pub(super) async fn sms_check_to_completed(
    app: &TestApp,
    b: &mut Browser<'_>,
    s: &Session,
    id: &str,
    mobiles: &[&str],
) {
    wait_for_state(app, s, id, "sms_pending").await;
    let order = b.open(&format!("/orders/{id}")).await;
    order.has(&[
        "短信核验剩余时间",
        "id=\"countdown\"",
        "hx-trigger=\"every 30s\"",
    ]);
    assert_eq!(
        order.link("管局短信核验页面").as_deref(),
        Some("/bureau/sms-verification"),
        "{}",
        order.body
    );
    let hours = |page: &Page| -> i64 {
        let text = page.body.split("短信核验剩余时间：").nth(1).unwrap();
        text.split(" 小时").next().unwrap().trim().parse().unwrap()
    };
    let before = hours(&order);
    assert!((22..=24).contains(&before), "{before} hours left");
    app.advance_over_http(3 * 60).await;
    let later = b.open(&format!("/orders/{id}")).await;
    assert_eq!(
        hours(&later),
        before - 3,
        "the countdown runs with the clock"
    );
    b.in_lang("en")
        .open(&format!("/orders/{id}"))
        .await
        .has(&["SMS verification:", "h "]);
    b.open("/bureau/sms-verification").await;
    for mobile in mobiles {
        enter_sms_code_of(app, mobile).await;
    }
    app.advance_over_http(11).await;
    app.advance_over_http(1).await;
    wait_for_state(app, s, id, "completed").await;
}

/// 首次备案 from registration to the number, in the pages.
async fn first_filing_story(t: &TestStore) {
    let app = TestApp::new()
        .auto_review_after(10)
        .fixture_registry()
        .reviewer()
        .start(t)
        .await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("zhang").await;
    let cert = credit_code(4343);
    let id = start(
        &mut b,
        &check_fields("story-first.cn", "33", &cert, "杭州故事测试有限公司"),
        "首次备案",
    )
    .await;
    let order = fill_and_submit(&app, &mut b, &id, "SN-STORY-1", None).await;
    order.has(&["初审中", "请保持电话畅通"]);
    approve(app.reviewer(), &id).await;
    photo_in_the_pages(&mut b, &id).await;
    approve_photo(app.reviewer(), &id).await;
    let s = app.login("zhang").await;
    sms_check_to_completed(&app, &mut b, &s, &id, &[MOBILE]).await;
    let done = b.open(&format!("/orders/{id}")).await;
    done.has(&["已完成"]);
    let filings = b.open("/filings").await;
    filings.has(&[
        "杭州故事测试有限公司",
        "浙ICP备",
        "story-first.cn",
        "取消接入",
        "继续接入备案",
    ]);
    b.in_lang("en")
        .open("/filings")
        .await
        .has(&["story-first.cn", "Completed"]);
    // 新增网站: the sponsor filed here brings a new domain.
    let page = b
        .post(
            "/orders/new",
            &check_fields("story-second.cn", "33", &cert, "杭州故事测试有限公司"),
        )
        .await;
    page.has(&["您需要办理：新增网站"]);
}

#[tokio::test]
async fn a_first_filing_clicked_through_to_its_number_on_each_backend() {
    testing::each_backend(async |t| first_filing_story(t).await).await;
}

/// The last cancel-access code texted (the queued SMS, opened as the worker opens it).
pub(super) async fn texted_code(app: &TestApp) -> String {
    let mut code = None;
    for (_, _, _, payload) in app.store.jobs_of_kind("notify").await.unwrap() {
        let text = beian_platform::notify::open_notify_payload(&app.store, &payload).unwrap();
        let job: Value = serde_json::from_str(&text).unwrap();
        if job["notification"]["event"] == "cancel_access_code" && job["channel"] == "sms" {
            code = job["notification"]["code"].as_str().map(str::to_owned);
        }
    }
    code.expect("no cancel-access code was texted")
}

/// 新增接入 of a site filed at another provider (the filing password), through to its
/// access here; then 取消接入: confirm, send the code, the code and the filing password.
#[tokio::test]
async fn new_access_then_cancel_access_in_the_pages() {
    let t = testing::sqlite().await;
    let app = TestApp::new()
        .auto_review_after(10)
        .fixture_registry()
        .reviewer()
        .start(&t)
        .await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("qian").await;
    let (_, code, name, domain) = fixture_sponsor();
    let id = start(&mut b, &check_fields(domain, "33", &code, name), "新增接入").await;
    b.open(&format!("/orders/{id}/sponsor"))
        .await
        .has(&["接入过程中无法变更"]);
    let order = fill_and_submit(
        &app,
        &mut b,
        &id,
        "SN-ACCESS-1",
        Some(beian_regulator::fixture::PASSWORD),
    )
    .await;
    order.has(&["初审中"]);
    let approved = approve(app.reviewer(), &id).await;
    if approved["state"] == "photo_pending" {
        photo_in_the_pages(&mut b, &id).await;
        approve_photo(app.reviewer(), &id).await;
    }
    let s = app.login("qian").await;
    let fixture_mobile = beian_regulator::fixture::sponsor_mobile(0);
    sms_check_to_completed(&app, &mut b, &s, &id, &[&fixture_mobile, "13700000000"]).await;

    // 取消接入 from my filings.
    let filings = b.open("/filings").await;
    let cancel = filings.link("取消接入").unwrap();
    let page = b.open(&cancel).await;
    page.has(&[domain, "工信部"]);
    b.in_lang("en")
        .open(&cancel)
        .await
        .has(&["Cancel access", &format!("access to {domain}?")]);
    let sent = b.post(&format!("{cancel}/code"), &[]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    sent.has(&["验证码已发送", "找回备案密码"]);
    let code = texted_code(&app).await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let page = b
        .post(
            &cancel,
            &[
                ("sms_code", &wrong),
                ("password", beian_regulator::fixture::PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&["id=\"e-sms_code\""]);
    let page = b
        .post(&cancel, &[("sms_code", &code), ("password", "not-it-1")])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    b.post_to(
        &cancel,
        &[
            ("sms_code", &code),
            ("password", beian_regulator::fixture::PASSWORD),
        ],
        "/filings",
    )
    .await;
    b.open("/filings").await.has(&["取消接入"]);
}

/// 继续接入 (a sponsor filed here brings a domain filed at another provider: the filing
/// password), and the kinds 验证备案类型 decides for the other cases.
#[tokio::test]
async fn continue_access_and_the_other_kinds_in_the_pages() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().reviewer().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("carol").await;
    let s = app.login("carol").await;
    let filed = sponsor_hosted_here(
        &app.regulator,
        &app.store,
        &s.account_id,
        &credit_code(31),
        "杭州继续接入科技有限公司",
        "浙ICP备2020000031号",
        "cont-here.cn",
        "cont-elsewhere.cn",
    )
    .await;
    let filings = b.open("/filings").await;
    filings.has(&["杭州继续接入科技有限公司", "cont-here.cn"]);
    assert_eq!(
        filings.link("继续接入备案").as_deref(),
        Some("/orders/new?continue=1")
    );
    b.open("/orders/new?continue=1")
        .await
        .has(&["验证备案类型"]);
    // A new domain of this sponsor: 新增网站. A sponsor filed elsewhere: 无主体新增网站.
    b.post(
        "/orders/new",
        &check_fields("cont-new.cn", "33", &filed.code, &filed.name),
    )
    .await
    .has(&["您需要办理：新增网站"]);
    let (_, zgc_code, zgc_name, _) = beian_regulator::fixture::SPONSORS[2];
    let mut other = Browser::new(&app, "zh-CN");
    other.register("dora").await;
    other
        .post(
            "/orders/new",
            &check_fields("zgc-new-site.cn", "11", zgc_code, zgc_name),
        )
        .await
        .has(&["您需要办理：无主体新增网站"]);
    // The original filing's name must match: refused with the seed's warning.
    let page = b
        .post(
            "/orders/new",
            &check_fields("cont-elsewhere.cn", "33", &filed.code, "另一个名字有限公司"),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&[
        "与原备案信息不一致",
        "role=\"alert\"",
        "value=\"另一个名字有限公司\"",
    ]);

    let id = start(
        &mut b,
        &check_fields("cont-elsewhere.cn", "33", &filed.code, &filed.name),
        "继续接入",
    )
    .await;
    // While it is brought here, my filings show the site's number the registry knows.
    let filings = b.open("/filings").await;
    let row = filings
        .body
        .split("cont-elsewhere.cn)")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_default();
    assert!(row.contains(&format!("{}-", filed.number)), "{row}");
    let order = fill_and_submit(&app, &mut b, &id, "SN-CONT-1", Some(&filed.password)).await;
    order.has(&["初审中"]);
    let approved = approve(app.reviewer(), &id).await;
    assert_ne!(approved["state"], "provider_review", "{approved}");
    // While it is open, 继续接入备案 is not offered (the seed says why).
    b.open("/filings")
        .await
        .has(&["继续接入"])
        .lacks(&["/orders/new?continue=1"]);
}

/// The storefront: 顶级域名 → 前往备案 → the order verified by the subscription; the
/// domain's binding refused until its filing and access exist here, saying why.
#[tokio::test]
async fn the_storefront_flow_in_the_pages() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().reviewer().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("shop").await;
    b.open("/storefront/domains")
        .await
        .has(&["您的账号没有有效的旺铺或企业官网订阅"]);
    let s = app.login("shop").await;
    storefront_subscription(&app.store, &s.account_id).await;
    let page = b.open("/storefront/domains").await;
    let go = page.link("前往备案").unwrap();
    assert_eq!(go, "/orders/new?storefront=1");
    // Binding before the filing: refused, saying why.
    let refused = b
        .fill(
            "/storefront/domains",
            "/storefront/domains",
            &[("domain", "shop-example.cn")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    refused.has(&["shop-example.cn 尚未在本接入商完成备案和接入"]);
    let cert = credit_code(5252);
    let typed = check_fields("shop-example.cn", "33", &cert, "杭州旺铺测试有限公司");
    let checked = b.fill(&go, "/orders/new", &typed).await;
    checked.has(&["您需要办理：首次备案", "name=\"storefront\" value=\"1\""]);
    let created = b.fill(&go, "/orders/new", &typed).await;
    let confirm: Vec<(String, String)> = created
        .form("/orders")
        .into_iter()
        .map(|i| (i.name, i.value))
        .collect();
    let confirm: Vec<(&str, &str)> = confirm
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let opened = b.post("/orders", &confirm).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let id = super::order_id(opened.location());
    assert_eq!(
        opened.location(),
        format!("/orders/{id}/product?storefront=1")
    );
    let product = format!("/orders/{id}/product");
    let page = b.open(opened.location()).await;
    page.has(&["旺铺"]);
    let verified = b.post(&product, &[("product", "storefront")]).await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.body);
    b.open(&product).await.has(&["class=\"note ok\""]);
    b.open(&format!("/orders/{id}"))
        .await
        .has(&["app 真实性核验"]);
    fill_forms(&mut b, &id).await;
    // The identity check happens in the storefront app, before the provider's review:
    // submitting before it is refused.
    let early = b.post(&format!("/orders/{id}/submit"), &[]).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    // The app's back end reports the check (an admin credential, not a page).
    let app_backend = app.new_admin("storefront-app").await;
    let (status, reported) = app_backend
        .post(&format!("/review/orders/{id}/app-identity"), json!({}))
        .await;
    assert!(status.is_success(), "{reported}");
    super::submit(&mut b, &id).await.has(&["初审中"]);
    let approved = approve(app.reviewer(), &id).await;
    assert_eq!(approved["state"], "queued_for_bureau", "{approved}");
    // Not filed yet: the binding is still refused, saying why.
    let refused = b
        .fill(
            "/storefront/domains",
            "/storefront/domains",
            &[("domain", "shop-example.cn")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.has(&["尚未在本接入商完成备案和接入"]);
}

/// The legacy (万网) import: refused without the irreversible confirmation (beside it) and
/// with wrong credentials (beside them); then imported into my filings.
#[tokio::test]
async fn the_legacy_import_with_its_irreversible_confirmation() {
    use beian_platform::legacy::{LineOutcome, example_record, load_line};
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().start(&t).await;
    let hash = beian_web::api::auth::hash_password("old secret").unwrap();
    let line = example_record(
        "wanwang_a",
        &hash,
        &credit_code(901),
        "浙ICP备2015000101号",
        "legacy-a.com",
    );
    assert_eq!(
        load_line(&app.store, "test", &line).await.unwrap(),
        LineOutcome::Loaded
    );
    let mut b = Browser::new(&app, "zh-CN");
    b.register("laowang").await;
    let filings = b.open("/filings").await;
    let legacy = filings.link("导入原万网备案信息").unwrap();
    b.open(&legacy).await.has(&["无法更换账号"]);
    b.in_lang("en")
        .open(&legacy)
        .await
        .has(&["cannot move to another account"]);
    let typed = [
        ("legacy_username", "wanwang_a"),
        ("legacy_password", "old secret"),
    ];
    let page = b.fill(&legacy, &legacy, &typed).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&["value=\"wanwang_a\""]);
    let page = b
        .fill(
            &legacy,
            &legacy,
            &[
                ("legacy_username", "wanwang_a"),
                ("legacy_password", "guess"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&["id=\"e-legacy_password\""]);
    let mut confirmed = typed.to_vec();
    confirmed.push(("confirm", "on"));
    let page = b.fill(&legacy, &legacy, &confirmed).await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, "/filings"),
        "{}",
        page.body
    );
    b.open("/filings")
        .await
        .has(&["legacy-a.com", "浙ICP备2015000101号"]);
}

/// Shanghai: the photo step asks for the Shanghai bureau's app code instead of a backdrop.
#[tokio::test]
async fn the_shanghai_app_code_on_the_photo_step() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().reviewer().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("hufeng").await;
    let cert = credit_code(3131);
    let id = start(
        &mut b,
        &check_fields("shanghai-portal.cn", "31", &cert, "上海门户测试有限公司"),
        "首次备案",
    )
    .await;
    fill_and_submit(&app, &mut b, &id, "SN-SH-1", None).await;
    let approved = approve(app.reviewer(), &id).await;
    assert_eq!(approved["state"], "photo_pending", "{approved}");
    let path = format!("/orders/{id}/photo");
    let page = b.open(&path).await;
    page.has(&["上海"]);
    page.lacks(&["申请幕布"]);
    b.in_lang("en").open(&path).await.has(&["Shanghai"]);
    let action = format!("/orders/{id}/shanghai-code");
    let wrong = b.fill(&path, &action, &[("code", "12-3")]).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    wrong.has(&["value=\"12-3\""]);
    let ok = b.fill(&path, &action, &[("code", "sh-2026-1123")]).await;
    assert_eq!(
        (ok.status, ok.location()),
        (StatusCode::SEE_OTHER, format!("/orders/{id}").as_str()),
        "{}",
        ok.body
    );
    assert_eq!(
        app.store.order(&id).await.unwrap().state,
        "queued_for_bureau"
    );
    b.open(&format!("/orders/{id}")).await.has(&["1 个工作日"]);
}

/// Abandon, with the seed's warning (and the access kinds' own).
#[tokio::test]
async fn abandon_with_the_seeds_warning() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("zhao").await;
    let (_, cert, name, _) = beian_regulator::fixture::SPONSORS[2];
    let id = start(
        &mut b,
        &check_fields("zgc-example.net", "11", cert, name),
        "新增接入",
    )
    .await;
    let order = b.open(&format!("/orders/{id}")).await;
    let abandon = order.link("放弃当前备案").unwrap();
    let page = b.open(&abandon).await;
    page.has(&["网站随时会被关停", "确认放弃"]);
    b.in_lang("en")
        .open(&abandon)
        .await
        .has(&["may be shut down"]);
    b.fill(&abandon, &abandon, &[]).await;
    let filings = b.open("/filings").await;
    filings.has(&["已放弃该备案订单", "已放弃"]);
    assert_eq!(app.store.order(&id).await.unwrap().state, "abandoned");
}
