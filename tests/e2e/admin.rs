//! The demo's admin at the rules' and the products' pages: next year's State Council holiday
//! schedule typed into the holiday editor (listed, and the warning that the data runs out
//! gives way), then the numbers' limit raised, service numbers issued for a server instance
//! and one revoked; a customer
//! then files a new access with an issued number, the revoked one refused beside its field.

use beian_regulator::fixture::SPONSORS;
use fantoccini::Locator;

use crate::harness::{Driver, ONE_AT_A_TIME, Person, Server, tools};
use crate::steps::{self, Check};

const DESKTOP: (u32, u32) = (1280, 900);

/// The 2027 schedule as the admin types it from the notice, a period a line.
const SCHEDULE_2027: &str = "元旦 / New Year's Day: 2027-01-01 ~ 2027-01-03
春节 / Spring Festival: 2027-02-06 ~ 2027-02-13; 班 2027-02-14 2027-02-20
清明节 / Qingming: 2027-04-03 ~ 2027-04-05
劳动节 / Labour Day: 2027-05-01 ~ 2027-05-05; 班 2027-04-25
端午节 / Dragon Boat: 2027-06-09 ~ 2027-06-11
中秋节、国庆节 / Mid-Autumn, National Day: 2027-10-01 ~ 2027-10-07; 班 2027-09-26 2027-10-09";

/// The service numbers listed on the open instance page.
async fn numbers_listed(p: &Person<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for cell in
        p.c.find_all(Locator::Css("table tr td:first-child"))
            .await
            .unwrap()
    {
        out.push(cell.text().await.unwrap().trim().to_owned());
    }
    out
}

#[tokio::test]
async fn an_admin_adds_next_years_holidays_and_issues_service_numbers_in_chromium() {
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start();
    let driver = Driver::start(&tools).await;
    let mut a = Person::new(&tools, &driver, &server, "admin-holidays", DESKTOP).await;
    a.log_in("admin").await;

    // The holiday editor: the builtin data ends with this year (2026); next year's schedule
    // typed in (its dates are 2027's, moved to the year after the server's today).
    use chrono::Datelike;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let next = (today.year() + 1).to_string();
    let schedule = SCHEDULE_2027.replace("2027", &next);
    let notice = format!("国务院办公厅关于{next}年部分节假日安排的通知");
    a.follow("节假日").await;
    a.arrive("/staff/holidays").await;
    a.see(&["已载入的年份", "录入或替换一年的放假安排"]).await;
    let before = a.text().await;
    a.shot("holidays").await;
    a.type_in("year", &next).await;
    a.type_in("notice", &notice).await;
    a.type_in("schedule", &schedule).await;
    a.shot("holidays-typed").await;
    a.press("保存该年份").await;
    a.arrive("/staff/holidays").await;
    a.see(&[
        "放假安排已保存",
        &notice,
        &format!("节假日数据覆盖至 {next}-12-"),
    ])
    .await;
    a.see_no(&["节假日数据将于"]).await;
    // Within the data's last month (it covers up to December 21, when next year's notice
    // is needed), the page warned that it runs out.
    let data_end = chrono::NaiveDate::from_ymd_opt(today.year(), 12, 21).unwrap();
    if (0..=31).contains(&(data_end - today).num_days()) {
        assert!(before.contains("节假日数据将于"), "{before}");
    }
    a.shot("holidays-2027-saved").await;

    // Products: an instance's numbers, two more issued, one of them revoked.
    a.follow("产品与服务号").await;
    a.arrive("/staff/products").await;
    a.see(&["服务号策略", "产品实例"]).await;
    a.shot("products").await;
    // The demo's instances hold five numbers each, the policy's limit: raised first.
    a.type_in("per_instance_limit", "7").await;
    a.press("保存策略").await;
    a.see(&["服务号策略已保存"]).await;
    a.shot("policy-saved").await;
    let first =
        a.c.find(Locator::Css("table tr td:first-child a"))
            .await
            .unwrap();
    first.click().await.unwrap();
    a.arrive("/staff/products/*").await;
    a.see(&["备案服务号", "签发服务号"]).await;
    let held = numbers_listed(&a).await;
    a.shot("instance").await;
    a.type_in("count", "2").await;
    a.press("签发服务号").await;
    a.see(&["服务号已签发"]).await;
    let issued: Vec<String> = numbers_listed(&a)
        .await
        .into_iter()
        .filter(|n| !held.contains(n))
        .collect();
    assert_eq!(issued.len(), 2, "issued {issued:?} beside {held:?}");
    a.shot("numbers-issued").await;
    a.choose("number", &issued[1]).await;
    a.press("作废服务号").await;
    a.see(&["服务号已作废"]).await;
    a.shot("number-revoked").await;
    a.close().await;

    // A customer's new access: the revoked number refused beside its field, the issued one
    // taken.
    let mut p = Person::new(&tools, &driver, &server, "admin-numbers-used", DESKTOP).await;
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
    steps::product(&mut p, &id, &issued[1]).await;
    let beside = p.error_beside("service_number").await;
    assert!(beside.contains("已被使用"), "{beside}");
    p.shot("revoked-number-refused").await;
    steps::product(&mut p, &id, &issued[0]).await;
    p.arrive(&format!("/orders/{id}/password")).await;
    p.shot("issued-number-taken").await;
    p.close().await;
}
