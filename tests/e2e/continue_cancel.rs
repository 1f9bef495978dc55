//! 继续接入 and 取消接入 as the first seed walks them, for a 万网 customer: the sponsor's filing
//! imported from 万网 (so the sponsor is filed here), then its website filed at another provider
//! brought here with 继续接入备案 — refused while that order is open, the pages saying why —
//! through to its access; then 取消接入 with the code the platform texts (read on the simulated
//! phone's inbox page) and the filing password, until the site is no longer accessed here and
//! the gate refuses it.

use std::path::Path;

use beian_regulator::fixture::{PASSWORD, SPONSORS, sponsor_mobile};

use crate::MOBILE;
use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, tools};
use crate::steps::{self, Check};

const DESKTOP: (u32, u32) = (1280, 900);

/// The 万网 export of the fixture's first sponsor with a site of its own there, loaded with
/// `beian import wanwang` (the operator's step before the customer claims it).
fn wanwang_export(dir: &Path) {
    let (number, code, name, _) = SPONSORS[0];
    let hash = beian_platform::accounts::hash_password("old secret").unwrap();
    let line = beian_platform::legacy::example_record(
        "wanwang_yq",
        &hash,
        code,
        number,
        "yunqi-wanwang.cn",
    );
    let mut record: serde_json::Value = serde_json::from_str(&line).unwrap();
    record["sponsor"]["name"] = name.into();
    record["websites"][0]["icp_number"] = format!("{number}-9").into();
    let file = dir.join("wanwang-export.jsonl");
    std::fs::write(&file, format!("{record}\n")).unwrap();
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
}

/// Of the mobiles a code may have gone to, the one the page shows masked (`138****8000`).
fn unmasked<'m>(page: &str, mobiles: &[&'m str]) -> &'m str {
    mobiles
        .iter()
        .find(|m| page.contains(&format!("{}****{}", &m[..3], &m[7..])))
        .unwrap_or_else(|| panic!("the code went to none of {mobiles:?}:\n{page}"))
}

#[tokio::test]
async fn continue_access_then_cancel_access_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let (_, code, name, sites) = SPONSORS[0];
    let domain = sites[0].0;
    let server = Server::start_with(wanwang_export);
    let driver = Driver::start(&tools).await;
    let mut p = Person::new(&tools, &driver, &server, "continue-access", DESKTOP).await;
    p.log_in("customer").await;

    // The 万网 filing claimed into this account: the sponsor is now filed here.
    p.open("/legacy-import").await;
    p.type_in("legacy_username", "wanwang_yq").await;
    p.type_in("legacy_password", "old secret").await;
    p.tick("confirm").await;
    p.press("导入").await;
    p.arrive("/filings").await;
    p.see(&["原万网备案信息已导入本账号", name, "yunqi-wanwang.cn"])
        .await;
    p.shot("wanwang-imported").await;

    // 继续接入备案, for its site filed at another provider.
    p.follow("继续接入备案").await;
    p.arrive("/orders/new*").await;
    let check = Check {
        domain,
        province: "33",
        nature: "enterprise",
        certificate_type: "credit_code",
        certificate_number: code,
        name,
    };
    let id = steps::start(&mut p, &check, "继续接入").await;

    // While it is open, my filings offer no 继续接入备案 and say why; and checking the same
    // domain and sponsor again is refused, naming the open order.
    p.open("/filings").await;
    p.see(&["暂不显示“继续接入备案”"]).await;
    assert!(p.link("继续接入备案").await.is_none());
    p.shot("continue-hidden").await;
    p.open("/orders/new").await;
    steps::type_check(&mut p, &check).await;
    p.see(&["该主办者有进行中的备案订单", &id]).await;
    p.shot("refused-order-open").await;
    // The refusal again, in en and at a phone's size.
    let mut a11y = Vec::new();
    for (look, english, size) in steps::LOOKS {
        let flow = format!("continue-refused-{look}");
        let mut q = Person::new(&tools, &driver, &server, &flow, size).await;
        steps::log_in_speaking(&mut q, "customer", english).await;
        q.open("/orders/new").await;
        steps::fill_check(&mut q, &check).await;
        q.press(if english {
            "Check the filing kind"
        } else {
            "验证备案类型"
        })
        .await;
        let refusal = if english {
            "this sponsor has an order in progress"
        } else {
            "该主办者有进行中的备案订单"
        };
        steps::looked_at(&mut q, refusal, "refused-order-open", &mut a11y).await;
        q.close().await;
    }
    p.follow("查看进行中的订单").await;
    p.arrive(&format!("/orders/{id}")).await;

    steps::product(&mut p, &id, "DEMO-1-01").await;
    steps::filing_password(&mut p, &id, PASSWORD).await;
    steps::forms(&mut p, &id, "330106199001010018").await;
    steps::materials(&mut p, &id).await;
    steps::submit(&mut p, &id).await;
    let mut r = Person::new(
        &tools,
        &driver,
        &server,
        "continue-access-reviewer",
        DESKTOP,
    )
    .await;
    r.log_in("reviewer").await;
    crate::staff::approve(&mut r, &id, domain).await;
    steps::request_backdrop(&mut p, &id).await;
    crate::staff::ship_backdrop(&mut r, &id).await;
    steps::upload_photo(&mut p, &id).await;
    crate::staff::approve_photo(&mut r, &id, "网站负责人").await;
    let mut phone = Person::new(&tools, &driver, &server, "continue-access-phone", DESKTOP).await;
    phone.log_in("bureau").await;
    let sponsor_phone = sponsor_mobile(0);
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
    p.open("/filings").await;
    p.see(&[domain, "继续接入备案"]).await;
    p.shot("filings-accessed").await;
    let gate = format!("/gate?host={domain}");
    assert_eq!(
        server.status_of(&gate).await,
        200,
        "the gate refuses {domain}"
    );

    // 取消接入: confirm, the code texted to the website's responsible person, the code and
    // the filing password.
    p.follow_in_row(domain, "取消接入").await;
    p.arrive("/websites/*").await;
    p.see(&[&format!("确定要取消 {domain} 在本接入商的接入吗？")])
        .await;
    p.shot("cancel-confirm").await;
    // The confirmation again, in en and at a phone's size.
    let confirm = p.path().await;
    for (look, english, size) in steps::LOOKS {
        let flow = format!("cancel-confirm-{look}");
        let mut q = Person::new(&tools, &driver, &server, &flow, size).await;
        steps::log_in_speaking(&mut q, "customer", english).await;
        q.open(&confirm).await;
        let question = if english {
            format!("Cancel this provider's access to {domain}?")
        } else {
            format!("确定要取消 {domain} 在本接入商的接入吗？")
        };
        steps::looked_at(&mut q, &question, "cancel-confirm", &mut a11y).await;
        q.close().await;
    }
    p.press("发送验证码").await;
    p.see(&["验证码已发送至", "找回备案密码"]).await;
    p.shot("cancel-code-sent").await;
    let page = p.text().await;
    let to = unmasked(
        &page,
        &[MOBILE, "13700000000", &sponsor_phone, "13900000000"],
    );
    let sms = steps::texted_code(&mut phone, to, "取消").await;
    p.type_in("sms_code", &sms).await;
    p.type_in("password", PASSWORD).await;
    p.shot("cancel-code-typed").await;
    p.press("确认取消接入").await;
    p.arrive("/filings").await;
    p.see(&["取消接入申请已提交"]).await;
    p.shot("cancel-submitted").await;

    // The bureau takes the cancellation on its next exchange with us (the simulated clock
    // moved a minute at a time); then the site is no longer accessed here.
    let mut minutes = 0;
    loop {
        p.open("/filings").await;
        if p.text().await.contains("已取消接入") {
            break;
        }
        assert!(minutes < 30, "the access was never cancelled");
        server.advance(1).await;
        minutes += 1;
    }
    p.shot("access-cancelled").await;
    // The gate follows the access log on its own: an edge asking it is refused.
    let asked = std::time::Instant::now();
    while server.status_of(&gate).await != 403 {
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(90),
            "the gate still serves {domain}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    p.open(&gate).await;
    p.shot("gate-refuses").await;
    p.close().await;
    r.close().await;
    phone.close().await;
    assert!(a11y.is_empty(), "axe-core: {a11y:#?}");
}
