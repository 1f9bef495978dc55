//! The portal's pages, driven as a browser drives them ([`crate::harness::browser`]): forms
//! posted form-urlencoded or multipart with the CSRF token and cookies, redirects read from
//! `Location`, and every page it opens grepped for remote URLs.
//!
//! - `pages`: every page of the applicant in zh-CN and en with its key content, the
//!   anonymous pages, pagination, an upload too large, API keys;
//! - `apps`: APP filing in the pages (开始备案 of an APP, the APP form with an error beside
//!   its field, the icon, to the `-NA` number on each backend; `/filings` with the APP's
//!   变更APP, 注销APP and 取消接入);
//! - `access`: another applicant's order, forms without the token or from another site,
//!   staff pages;
//! - `flows`: the seeds' flows clicked through in the pages (首次备案 to its number on SQLite
//!   and PostgreSQL, 新增接入 then 取消接入, 继续接入 and the other kinds, the storefront,
//!   the legacy import, Shanghai's app code, abandon). Reviewer decisions go through the API,
//!   the SMS code through the bureau's page;
//! - `admin_pages`: the bureau status and the admins' products, storefronts, rules, holidays
//!   and outbox pages (roles, languages, the holiday editor, retry, revoke, the token);
//! - `staff`: the reviewers' and admins' pages for each role in both languages, decisions
//!   from the page, own orders, the token, and the dashboard's charts against the API.

mod access;
mod admin_pages;
mod apps;
mod flows;
mod pages;
mod staff;

use reqwest::StatusCode;

use crate::harness::browser::{Browser, Page, order_id};
use crate::harness::inputs::jpeg;

/// The mobile of the responsible person the tests enter (the bureau texts it).
pub const MOBILE: &str = "13800138000";

/// The 验证备案类型 fields for an enterprise with a credit code.
pub fn check_fields<'a>(
    domain: &'a str,
    province: &'a str,
    cert: &'a str,
    name: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("domain", domain),
        ("sponsor.province", province),
        ("sponsor.nature", "enterprise"),
        ("sponsor.certificate_type", "credit_code"),
        ("sponsor.certificate_number", cert),
        ("sponsor.name", name),
    ]
}

/// 开始备案: checks the kind (the page says `kind_text`), opens the order; its id.
pub async fn start(b: &mut Browser<'_>, fields: &[(&str, &str)], kind_text: &str) -> String {
    b.open("/orders/new")
        .await
        .has(&["验证备案类型", "一定要与原备案信息一致"]);
    let page = b.post("/orders/new", fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.has(&[&format!("您需要办理：{kind_text}")]);
    let created = b.post("/orders", fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    order_id(created.location())
}

/// The sponsor page's fields as a customer fills them.
pub fn sponsor_fields(resident_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("sponsor.address", "浙江省杭州市西湖区文三路 1 号".into()),
        ("sponsor.responsible.name", "张三".into()),
        ("sponsor.responsible.certificate_type", "resident_id".into()),
        ("sponsor.responsible.certificate_number", resident_id.into()),
        ("sponsor.responsible.mobile", MOBILE.into()),
        ("sponsor.responsible.emergency_mobile", "13900139000".into()),
        ("sponsor.responsible.email", "zhang@example.cn".into()),
        ("sponsor.responsible.office_phone", String::new()),
    ]
}

/// Borrows owned fields for a post.
pub fn fields<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The website page's fields for `domain`.
pub fn website_fields(name: &str, domain: &str) -> Vec<(&'static str, String)> {
    vec![
        ("website.name", name.into()),
        ("website.home_url", format!("https://www.{domain}/")),
        ("website.service_content", "企业官网".into()),
        ("website.languages", "zh_cn".into()),
    ]
}

/// Uploads every material the materials page asks for (posting each form to its own
/// action); returns how many.
pub async fn upload_all(b: &mut Browser<'_>, id: &str) -> usize {
    let page = b.open(&format!("/orders/{id}/materials")).await;
    let forms: Vec<String> = page
        .actions()
        .into_iter()
        .filter(|a| a.starts_with(&format!("/orders/{id}/materials?kind=")))
        .collect();
    assert!(!forms.is_empty(), "{}", page.body);
    for action in &forms {
        let kind = action.split("kind=").nth(1).unwrap().to_owned();
        let res = b
            .post_file(action, &[("kind", &kind)], &jpeg(), "image/jpeg")
            .await;
        assert_eq!(
            (res.status, res.location()),
            (
                StatusCode::SEE_OTHER,
                format!("/orders/{id}/materials").as_str()
            ),
            "{kind}: {}",
            res.body
        );
    }
    forms.len()
}

/// Submits from the review page; the order's page follows.
pub async fn submit(b: &mut Browser<'_>, id: &str) -> Page {
    b.open(&format!("/orders/{id}/submit"))
        .await
        .has(&["提交备案"]);
    b.post_to(
        &format!("/orders/{id}/submit"),
        &[],
        &format!("/orders/{id}"),
    )
    .await;
    b.open(&format!("/orders/{id}")).await
}
