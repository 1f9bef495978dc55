//! The flows beside the main one that need no reviewer: abandoning an access filing (with its
//! warning), the storefront's 顶级域名 binding refused before the domain is filed, and the
//! legacy (万网) import with its irreversible confirmation.

use beian_regulator::fixture::{PASSWORD, SPONSORS};

use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, tools};
use crate::steps::{self, Check};

const DESKTOP: (u32, u32) = (1280, 900);

#[tokio::test]
async fn abandon_an_access_filing_after_its_warning() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "abandon", DESKTOP).await;
    p.log_in("customer").await;
    let (_, code, name, sites) = SPONSORS[0];
    let check = Check {
        domain: sites[0].0,
        province: "33",
        nature: "enterprise",
        certificate_type: "credit_code",
        certificate_number: code,
        name,
    };
    let id = steps::start(&mut p, &check, "新增接入").await;
    steps::product(&mut p, &id, "DEMO-1-02").await;
    steps::filing_password(&mut p, &id, PASSWORD).await;
    p.open(&format!("/orders/{id}")).await;
    p.follow("放弃当前备案").await;
    p.arrive(&format!("/orders/{id}/abandon")).await;
    p.see(&["放弃后请尽快修改信息重新提交备案", "管局注销备案号的风险"])
        .await;
    p.shot("abandon-warning").await;
    p.press("确认放弃").await;
    p.see(&["已放弃该备案订单"]).await;
    p.shot("abandoned").await;
    p.open(&format!("/orders/{id}")).await;
    p.see(&["已放弃"]).await;
    p.see_no(&["放弃当前备案"]).await;
    p.close().await;
}

#[tokio::test]
async fn the_storefront_refuses_a_domain_not_yet_filed() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "storefront-before", DESKTOP).await;
    p.log_in("customer").await;
    p.follow("顶级域名").await;
    p.arrive("/storefront/domains").await;
    p.see(&["先备案、后接入"]).await;
    p.shot("storefront").await;
    p.type_in("domain", "my-shop-not-filed.cn").await;
    p.press("绑定").await;
    p.see(&["my-shop-not-filed.cn 尚未在本接入商完成备案和接入，暂不能绑定"])
        .await;
    p.shot("storefront-refused").await;
    p.follow("前往备案").await;
    p.arrive("/orders/new*").await;
    p.see(&["验证备案类型"]).await;
    p.shot("storefront-go-file").await;
    // The accessibility check can fail: an image without a text alternative, put on this
    // page, is reported (the suite's passes on the real pages mean something).
    assert!(p.axe().await.is_empty(), "the page itself has violations");
    p.c.execute(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/none.png\">');",
        vec![],
    )
    .await
    .unwrap();
    let found = p.axe().await;
    assert!(
        found.iter().any(|v| v.contains("image-alt")),
        "axe-core missed an image without alt: {found:?}"
    );
    p.close().await;
}

#[tokio::test]
async fn the_legacy_import_in_chromium() {
    use beian_core::credit_code::CreditCode;
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let code = CreditCode::from_parts("9133010600000901").unwrap();
    let server = Server::start_with(|dir| {
        let hash = beian_platform::accounts::hash_password("old secret").unwrap();
        let line = beian_platform::legacy::example_record(
            "wanwang_a",
            &hash,
            code.as_str(),
            "浙ICP备2015000101号",
            "legacy-a.com",
        );
        let file = dir.join("wanwang-export.jsonl");
        std::fs::write(&file, format!("{line}\n")).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .args(["import", "wanwang"])
            .arg(&file)
            .arg("--data-dir")
            .arg(dir)
            .env_remove("BEIAN_DATABASE_URL")
            .env_remove("BEIAN_DATA_KEY")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "beian import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "legacy-import", DESKTOP).await;
    p.log_in("customer").await;
    p.open("/filings").await;
    p.follow("导入原万网备案信息").await;
    p.arrive("/legacy-import").await;
    p.see(&["无法更换账号"]).await;
    p.shot("legacy").await;
    p.type_in("legacy_username", "wanwang_a").await;
    p.type_in("legacy_password", "old secret").await;
    p.press("导入").await;
    // Not confirmed: the browser itself holds the form back, the confirmation box marked.
    let unconfirmed =
        p.c.execute(
            "return document.querySelector('[name=confirm]').validity.valueMissing;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unconfirmed, serde_json::Value::Bool(true));
    assert_eq!(p.path().await, "/legacy-import");
    p.see_no(&["原万网备案信息已导入本账号"]).await;
    // A wrong password, confirmed: refused by the platform, the message beside the field.
    p.type_in("legacy_password", "guess-it-1").await;
    p.tick("confirm").await;
    p.press("导入").await;
    let beside = p.error_beside("legacy_password").await;
    assert!(!beside.is_empty());
    p.shot("legacy-wrong-password").await;
    p.type_in("legacy_password", "old secret").await;
    p.tick("confirm").await;
    p.press("导入").await;
    p.arrive("/filings").await;
    p.see(&[
        "原万网备案信息已导入本账号",
        "legacy-a.com",
        "浙ICP备2015000101号",
    ])
    .await;
    p.shot("legacy-imported").await;
    p.close().await;
}
