//! APP filing (APP备案, issue 18) in the pages: 开始备案 of an APP (name, platform, package),
//! its APP form step (1 to 3 platforms' 特征信息, a wrong Bundle ID said beside its field), the
//! icon among the materials (no verification form, no domain certificate), submitted (the
//! reviewer's page shows the APP form, a return may name its fields) and
//! through the simulator to its `-NA` number; then `/filings` lists the APP with its number,
//! its access and its actions: 变更APP (the order opens on the APP form), 注销APP (its
//! confirmation) and 取消接入 (the code by SMS, then the code and the filing password). And
//! the 新增接入 of an APP filed elsewhere: the registry's name locked, no icon.

use beian_store::testing::{self, TestStore};
use reqwest::StatusCode;

use super::flows::{approve_photo, photo_in_the_pages, sms_check_to_completed, texted_code};
use super::{MOBILE, upload_all};
use crate::app_kinds::texted_password;
use crate::flows::driver::approve;
use crate::harness::browser::{Browser, Page, order_id};
use crate::harness::setup::service_number;
use crate::harness::{TestApp, credit_code, resident_id};

const NAME: &str = "云栖助手";
const PACKAGE: &str = "com.yunqi.portal.assistant";
const SPONSOR: &str = "杭州云栖门户科技有限公司";

/// The 开始备案 fields of an APP of an enterprise in Zhejiang.
fn app_check_fields<'a>(package: &'a str, cert: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("service", "app"),
        ("app.name", NAME),
        ("app.platform", "android"),
        ("app.package", package),
        ("sponsor.province", "33"),
        ("sponsor.nature", "enterprise"),
        ("sponsor.certificate_type", "credit_code"),
        ("sponsor.certificate_number", cert),
        ("sponsor.name", SPONSOR),
    ]
}

/// The APP form as a customer fills it: Android and iOS; `bundle` is the iOS Bundle ID.
fn app_typed(bundle: &str) -> Vec<(&'static str, String)> {
    vec![
        ("app.name", NAME.into()),
        ("app.service_content", "企业办公".into()),
        ("app.platforms[0].platform", "android".into()),
        ("app.platforms[0].package", PACKAGE.into()),
        (
            "app.platforms[0].public_key",
            "86:4A:1E:0B:52:9C:3F:7D:11:E8:60:AF:2B:93:C4:58:DD:07:61:FA:3E:42:95:B8:0C:7A:E1:56:29:D3:84:0F"
                .into(),
        ),
        (
            "app.platforms[0].signature_digest",
            "18:C8:67:F0:71:7A:A6:7B:2A:B7:34:75:05:BA:07:ED".into(),
        ),
        ("app.platforms[1].platform", "ios".into()),
        ("app.platforms[1].package", bundle.into()),
        (
            "app.platforms[1].public_key",
            "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f".into(),
        ),
        (
            "app.platforms[1].signature_digest",
            "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3".into(),
        ),
    ]
}

/// The sponsor step as a customer fills it.
async fn fill_sponsor(b: &mut Browser<'_>, id: &str) -> Page {
    let path = format!("/orders/{id}/sponsor");
    let rid = resident_id(9);
    b.fill(
        &path,
        &path,
        &[
            ("sponsor.address", "浙江省杭州市西湖区文三路 9 号"),
            ("sponsor.responsible.name", "李四"),
            ("sponsor.responsible.certificate_type", "resident_id"),
            ("sponsor.responsible.certificate_number", rid.as_str()),
            ("sponsor.responsible.mobile", MOBILE),
            ("sponsor.responsible.emergency_mobile", "13900139000"),
            ("sponsor.responsible.email", "li@example.cn"),
        ],
    )
    .await
}

/// 开始备案 of an APP to its order: the choice of 网站 or APP, the check's answer.
async fn start_app(b: &mut Browser<'_>, cert: &str) -> String {
    let start = b.open("/orders/new").await;
    assert_eq!(
        start.link("APP备案").as_deref(),
        Some("/orders/new?service=app"),
        "{}",
        start.body
    );
    b.open("/orders/new?service=app")
        .await
        .has(&[
            "APP 名称",
            "包名 / Bundle ID",
            "鸿蒙（HarmonyOS）",
            "验证备案类型",
        ])
        .lacks(&["name=\"domain\""]);
    b.in_lang("en")
        .open("/orders/new?service=app")
        .await
        .has(&["APP name", "Package name / Bundle ID"]);
    // A package that is none: said beside its field, the input kept.
    let wrong = b
        .post("/orders/new", &app_check_fields("not a package", cert))
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    wrong.has(&["id=\"e-app.package\"", "value=\"not a package\""]);
    let fields = app_check_fields(PACKAGE, cert);
    let checked = b.post("/orders/new", &fields).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    checked.has(&["您需要办理：首次备案", "主体和 APP 都未备案过", PACKAGE]);
    let created = b.post("/orders", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    order_id(created.location())
}

/// An APP's 首次备案 in the pages, from 开始备案 to its `-NA` number, then its row in
/// `/filings` and the row's actions.
async fn app_story(t: &TestStore) {
    let app = TestApp::new()
        .auto_review_after(10)
        .fixture_registry()
        .reviewer()
        .start(t)
        .await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("liapp").await;
    let cert = credit_code(4747);
    let id = start_app(&mut b, &cert).await;

    // Product, sponsor, then the APP form where a website's order has the website form.
    service_number(&app.store, "SN-APP-1").await;
    let product = format!("/orders/{id}/product");
    let page = b
        .fill(&product, &product, &[("service_number", "SN-APP-1")])
        .await;
    assert_eq!(page.location(), format!("/orders/{id}/sponsor"));
    let saved = fill_sponsor(&mut b, &id).await;
    assert_eq!(
        saved.location(),
        format!("/orders/{id}/app"),
        "{}",
        saved.body
    );
    let path = format!("/orders/{id}/app");
    b.open(&path)
        .await
        .has(&[
            "APP 信息",
            "f-app.platforms[2].platform\">平台 3",
            "平台 3 · 包名 / Bundle ID",
            "签名 MD5 / SHA-1 / SHA-256 值",
        ])
        .lacks(&["网站信息"]);
    let website = b.get(&format!("/orders/{id}/website")).await;
    assert_eq!(website.status, StatusCode::NOT_FOUND, "{}", website.body);
    // A wrong Bundle ID on the second platform: the message beside that field.
    let typed = app_typed("com.yunqi portal");
    let wrong = b.fill(&path, &path, &super::fields(&typed)).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    let beside = wrong
        .body
        .split("id=\"f-app.platforms[1].package\"")
        .nth(1)
        .expect("the second platform's package field");
    let field = beside.split("</div>").next().unwrap();
    assert!(
        field.contains("aria-invalid=\"true\"")
            && field.contains("id=\"e-app.platforms[1].package\""),
        "{field}"
    );
    assert!(field.contains("value=\"com.yunqi portal\""), "{field}");
    // The space it may not hold is named, quoted so it shows.
    assert!(field.contains("不能包含“ ”"), "{field}");
    wrong.lacks(&["id=\"e-app.platforms[0].package\""]);
    // A second platform chosen with nothing typed is not dropped: what it lacks is said
    // beside its fields.
    let mut chosen_only = app_typed("unused");
    chosen_only.retain(|(k, _)| !k.starts_with("app.platforms[1]") || k.ends_with(".platform"));
    let lacking = b.fill(&path, &path, &super::fields(&chosen_only)).await;
    assert_eq!(
        lacking.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        lacking.body
    );
    lacking.has(&["id=\"e-app.platforms[1].package\""]);
    let typed = app_typed("com.yunqi.portal.Assistant");
    let saved = b.fill(&path, &path, &super::fields(&typed)).await;
    assert_eq!(
        saved.location(),
        format!("/orders/{id}/materials"),
        "{}",
        saved.body
    );
    b.open(&path).await.has(&[
        "com.yunqi.portal.Assistant",
        "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
    ]);

    // The icon among the materials; no verification form, no domain certificate.
    b.open(&format!("/orders/{id}/materials"))
        .await
        .has(&["APP 图标", "kind=app_icon"])
        .lacks(&[
            "网站备案信息真实性核验单",
            "域名证书",
            "kind=verification_form",
        ]);
    upload_all(&mut b, &id).await;
    b.open(&format!("/orders/{id}/submit")).await.has(&[
        "APP 信息",
        NAME,
        "com.yunqi.portal.Assistant",
    ]);
    let order = super::submit(&mut b, &id).await;
    order.has(&["初审中", NAME, PACKAGE]);

    // The reviewer's page shows the APP form in full, and a return may name its fields.
    Browser::of(&app, app.reviewer(), "zh-CN")
        .open(&format!("/staff/orders/{id}"))
        .await
        .has(&[
            "APP 信息",
            "com.yunqi.portal.Assistant",
            "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
            "APP 信息 · 平台 2 · 包名 / Bundle ID",
        ])
        .lacks(&["网站名称"]);

    // The review queue names the APP where a website's order has its domain.
    let queue = Browser::of(&app, app.reviewer(), "zh-CN")
        .open("/staff/review")
        .await;
    let row = queue
        .body
        .split(&format!("href=\"/staff/orders/{id}\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("no queue row of {id}: {}", queue.body));
    assert!(row.contains(&format!(">{NAME}</td>")), "{row}");
    queue.has(&["备案域名或 APP"]);

    // Through the provider's review, the photo and the bureau's SMS check to the number.
    approve(app.reviewer(), &id).await;
    photo_in_the_pages(&mut b, &id).await;
    // The photo's reviewer sees whom it must show: the APP's responsible person (here the
    // sponsor's), not an empty website's.
    Browser::of(&app, app.reviewer(), "zh-CN")
        .open(&format!("/staff/orders/{id}/photo"))
        .await
        .has(&[
            "APP 名称",
            NAME,
            "APP 负责人",
            "李四",
            &resident_id(9),
            "APP 负责人核验照片",
        ])
        .lacks(&["网站负责人"]);
    approve_photo(app.reviewer(), &id).await;
    let s = app.login("liapp").await;
    sms_check_to_completed(&app, &mut b, &s, &id, &[MOBILE]).await;
    let done = b.open(&format!("/orders/{id}")).await;
    done.has(&["已完成", "APP 备案号", "浙ICP备"]);
    let number = done
        .body
        .split("APP 备案号</dt><dd>")
        .nth(1)
        .and_then(|r| r.split("</dd>").next())
        .unwrap()
        .to_owned();
    assert!(number.ends_with("号-1A"), "{number}");

    // My filings: the APP with its number, its access and its actions.
    let filings = b.open("/filings").await;
    filings.has(&["APP 与接入信息", NAME, PACKAGE, &number, "已接入"]);
    let change = filings.link("变更APP").expect("变更APP");
    let cancel_app = filings.link("注销APP").expect("注销APP");
    let cancel = filings.link("取消接入").expect("取消接入");
    let app_id = cancel
        .strip_prefix("/apps/")
        .and_then(|r| r.strip_suffix("/cancel-access"))
        .unwrap_or_else(|| panic!("{cancel}"))
        .to_owned();
    assert_eq!(change, format!("/apps/{app_id}/orders?kind=change_website"));
    assert_eq!(
        cancel_app,
        format!("/apps/{app_id}/orders?kind=cancel_website")
    );
    b.in_lang("en").open("/filings").await.has(&[
        "APPs and access",
        "Change APP",
        "Cancel APP",
        &number,
    ]);
    b.open(&cancel_app)
        .await
        .has(&["注销APP", "备案号将被注销", NAME]);

    // 取消接入: confirm, the code by SMS, a wrong code beside its field, then the code and
    // the filing password; the access is being cancelled.
    b.open(&cancel).await.has(&[NAME, "工信部", "发送验证码"]);
    let sent = b.post(&format!("{cancel}/code"), &[]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    // Filed through us, ours is its only access: the bureau will refuse, the page says so.
    sent.has(&["验证码已发送", "138****8000", "唯一的接入商", "注销APP"]);
    let code = texted_code(&app).await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let password = texted_password(&app).await;
    let page = b
        .post(&cancel, &[("sms_code", &wrong), ("password", &password)])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&["id=\"e-sms_code\""]);
    b.post_to(
        &cancel,
        &[("sms_code", &code), ("password", &password)],
        "/filings",
    )
    .await;
    let after = b.open("/filings").await;
    after.has(&[NAME, "取消接入中"]);
    assert!(after.link("变更APP").is_none(), "{}", after.body);
}

#[tokio::test]
async fn an_app_first_filing_in_the_pages_to_its_number_and_its_actions() {
    testing::each_backend(async |t| app_story(t).await).await;
}

/// 变更APP from `/filings`: the order opens on its APP form, prefilled from our records.
#[tokio::test]
async fn change_app_opens_on_the_app_form() {
    let t = testing::sqlite().await;
    let app = TestApp::new()
        .auto_review_after(10)
        .fixture_registry()
        .reviewer()
        .start(&t)
        .await;
    let s = app.new_applicant("zhou").await;
    let body = crate::app_filing::app_check(NAME, PACKAGE, &credit_code(4848), SPONSOR);
    let created = crate::app_filing::app_order(&s, &body, NAME, PACKAGE).await;
    let id = created["order_id"].as_str().unwrap().to_owned();
    crate::app_filing::through_to_the_number(&app, &s, &id, 48).await;
    let mut b = Browser::of(&app, &s, "zh-CN");
    let filings = b.open("/filings").await;
    let change = filings.link("变更APP").expect("变更APP");
    b.open(&change)
        .await
        .has(&["变更APP", "备案号不变", "确认办理"]);
    let action = change.split('?').next().unwrap().to_owned();
    let opened = b.post(&action, &[("kind", "change_website")]).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let to = opened.location().to_owned();
    assert!(to.ends_with("/app"), "{to}");
    b.open(&to)
        .await
        .has(&["APP 信息", NAME, PACKAGE, "企业办公"]);
    let order = b.open(to.trim_end_matches("/app")).await;
    order.has(&["变更APP", NAME]);
    // Another order is open now: the changes are not offered until it ends.
    let filings = b.open("/filings").await;
    assert!(filings.link("变更APP").is_none(), "{}", filings.body);
    filings.has(&["取消接入"]);
}

/// 新增接入 of an APP filed through another provider, in the pages: the check names the
/// registry's APP number, the filing password, the sponsor's contacts, the APP form with the
/// registry's name locked and the 特征信息 the customer's, no icon, submitted.
#[tokio::test]
async fn an_app_new_access_in_the_pages() {
    let t = testing::sqlite().await;
    let app = TestApp::new()
        .auto_review_after(10)
        .fixture_registry()
        .reviewer()
        .start(&t)
        .await;
    let code = credit_code(4141);
    let sponsor = "杭州接入门户应用有限公司";
    let (_, password, app_number) =
        crate::app_filing::app_filed_elsewhere(&app, &code, sponsor, "远方办公").await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("wuapp").await;
    let fields = vec![
        ("service", "app"),
        ("app.name", "远方办公"),
        ("app.platform", "android"),
        ("app.package", "com.elsewhere.office"),
        ("sponsor.province", "33"),
        ("sponsor.nature", "enterprise"),
        ("sponsor.certificate_type", "credit_code"),
        ("sponsor.certificate_number", code.as_str()),
        ("sponsor.name", sponsor),
    ];
    let checked = b.post("/orders/new", &fields).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    checked.has(&["您需要办理：新增接入", "APP 备案号", &app_number]);
    let created = b.post("/orders", &fields).await;
    let id = order_id(created.location());

    service_number(&app.store, "SN-APP-41").await;
    let product = format!("/orders/{id}/product");
    let page = b
        .fill(&product, &product, &[("service_number", "SN-APP-41")])
        .await;
    assert_eq!(page.location(), format!("/orders/{id}/password"));
    let path = format!("/orders/{id}/password");
    let ok = b.fill(&path, &path, &[("password", &password)]).await;
    assert_eq!(
        ok.location(),
        format!("/orders/{id}/sponsor"),
        "{}",
        ok.body
    );

    // The sponsor's data is the registry's: only what the page lets one type into.
    let path = format!("/orders/{id}/sponsor");
    let page = b.open(&path).await;
    let form = page.form(&path);
    let rid = resident_id(41);
    let mut typed = vec![
        ("sponsor.responsible.name", "王芳"),
        ("sponsor.responsible.certificate_number", rid.as_str()),
        ("sponsor.responsible.mobile", MOBILE),
        ("sponsor.responsible.emergency_mobile", "13900139000"),
        ("sponsor.responsible.email", "office@example.cn"),
        ("sponsor.address", "浙江省杭州市西湖区文三路 41 号"),
    ];
    typed.retain(|(name, _)| {
        form.iter()
            .any(|i| i.name == *name && !i.readonly && i.value.is_empty())
    });
    let saved = b.fill(&path, &path, &typed).await;
    assert_eq!(
        saved.location(),
        format!("/orders/{id}/app"),
        "{}",
        saved.body
    );

    // The APP's name is the registry's and locked; its 特征信息 are the customer's.
    let path = format!("/orders/{id}/app");
    let page = b.open(&path).await;
    let form = page.form(&path);
    let name = form.iter().find(|i| i.name == "app.name").unwrap();
    assert!(name.readonly && name.value == "远方办公", "{name:?}");
    let package = form
        .iter()
        .find(|i| i.name == "app.platforms[0].package")
        .unwrap();
    assert!(!package.readonly, "{package:?}");
    let mut typed = vec![
        ("app.platforms[0].platform", "android"),
        ("app.platforms[0].package", "com.elsewhere.office"),
        (
            "app.platforms[0].public_key",
            "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f",
        ),
        (
            "app.platforms[0].signature_digest",
            "18c867f0717aa67b2ab7347505ba07ed",
        ),
        ("app.service_content", "企业办公"),
        ("app.responsible.certificate_number", rid.as_str()),
        ("app.responsible.mobile", MOBILE),
        ("app.responsible.emergency_mobile", "13900139001"),
        ("app.responsible.email", "wang@example.cn"),
    ];
    // What the page shows filled stays as shown.
    typed.retain(|(name, _)| {
        form.iter()
            .find(|i| i.name == *name)
            .is_none_or(|i| !i.readonly && i.value.is_empty())
    });
    let saved = b.fill(&path, &path, &typed).await;
    assert_eq!(
        saved.location(),
        format!("/orders/{id}/materials"),
        "{}",
        saved.body
    );
    // An access filing names the APP only: no icon.
    b.open(&format!("/orders/{id}/materials"))
        .await
        .lacks(&["kind=app_icon", "kind=verification_form"]);
    upload_all(&mut b, &id).await;
    super::submit(&mut b, &id)
        .await
        .has(&["初审中", "新增接入", "远方办公"]);
}

/// A return reason is a reviewer's text, its field any path the API is given: one naming an
/// APP platform past any index (`app.platforms[9223372036854775807].package`) is shown by its
/// path on the customer's order page, which does not fail.
#[tokio::test]
async fn a_return_reason_naming_a_platform_past_any_index_is_shown() {
    use crate::flows::driver::{bind, first_filing, upload_missing_and_submit};
    testing::each_backend(async |t| {
        let app = TestApp::new().fixture_registry().reviewer().start(t).await;
        let s = app.new_applicant("pathy").await;
        let id = first_filing(&s, "odd-path.cn", 671, "杭州路径测试有限公司").await;
        service_number(&app.store, "SN-PATH").await;
        bind(&s, &id, "SN-PATH").await;
        upload_missing_and_submit(&s, &id).await;
        let field = format!("app.platforms[{}].package", i64::MAX);
        let (status, returned) = app
            .reviewer()
            .post(
                &format!("/review/orders/{id}/return"),
                serde_json::json!({"reasons": [
                    {"field": field, "message": "包名有误"},
                    {"field": "app.platforms[1].package", "message": "第二个包名有误"},
                ]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{returned}");
        let mut b = Browser::of(&app, &s, "zh-CN");
        let page = b.get(&format!("/orders/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.has(&[
            "包名有误",
            &field,
            "APP 信息 · 平台 2 · 包名 / Bundle ID",
            "第二个包名有误",
        ]);
    })
    .await;
}
