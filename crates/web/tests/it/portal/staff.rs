//! The staff pages (issue 11): each page for each role in zh-CN and en with its key content
//! (applicants get 403 on all of them, reviewers on the admins'), the queue's filters, the
//! order's review with its materials and decisions (approve; return with reasons per
//! field), the own-account refusal, the CSRF refusal, and the dashboard's charts drawn from
//! the same figures as `GET /api/v1/admin/dashboard`.

use beian_core::order::OrderState;
use beian_store::accounts::Role;
use beian_store::testing;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::browser::Browser;
use crate::harness::inputs::sponsor_of;
use crate::harness::setup::state_of;
use crate::harness::{Session, TestApp, check, credit_code, website};

/// An order of a new applicant `username` for `domain`, submitted to provider review over
/// the API; its id and the applicant's session.
async fn submitted(app: &TestApp, username: &str, serial: u32, domain: &str) -> (String, Session) {
    let alice = app.new_applicant(username).await;
    let body = check(
        domain,
        &credit_code(serial),
        &format!("杭州{serial}号科技有限公司"),
    );
    let (status, created) = alice.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let (status, order) = alice
        .put(&format!("/orders/{id}/sponsor"), sponsor_of(&body))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (status, order) = alice
        .put(&format!("/orders/{id}/website"), website(domain))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let number = format!("SN-{serial}");
    app.product_and_stored_materials(&id, &number).await;
    let (status, order) = alice
        .put(
            &format!("/orders/{id}/product"),
            json!({"service_number": number}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (status, order) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    (id, alice)
}

/// With `BEIAN_SAVE_PAGES=DIR`, keeps a page's HTML there (to look at it in a browser).
fn save(name: &str, body: &str) {
    if let Some(dir) = std::env::var_os("BEIAN_SAVE_PAGES") {
        std::fs::write(std::path::Path::new(&dir).join(name), body).unwrap();
    }
}

const STAFF_PAGES: [&str; 4] = [
    "/staff/review",
    "/staff/dashboard",
    "/staff/accounts",
    "/staff/audit",
];
const ADMIN_PAGES: [&str; 3] = ["/staff/dashboard", "/staff/accounts", "/staff/audit"];

#[tokio::test]
async fn each_staff_page_for_each_role_in_both_languages() {
    let t = testing::sqlite().await;
    let app = TestApp::new().start(&t).await;
    let (id, alice) = submitted(&app, "alice", 7101, "staff-pages.cn").await;
    let order_page = format!("/staff/orders/{id}");

    // An applicant: 403 on every staff page, and no staff links.
    for lang in ["zh-CN", "en"] {
        let mut b = Browser::of(&app, &alice, lang);
        let mut pages: Vec<String> = STAFF_PAGES.iter().map(|p| (*p).to_owned()).collect();
        pages.push(order_page.clone());
        for path in &pages {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
            page.has(&[if lang == "en" {
                "You may not see this page"
            } else {
                "您没有权限查看此页面"
            }]);
            page.lacks(&["staff-pages.cn", "href=\"/staff/review\""]);
        }
    }

    // A reviewer: the queue and the order; 403 on the admins' pages.
    let wang = app.new_reviewer("wang").await;
    let mut zh = Browser::of(&app, &wang, "zh-CN");
    let queue = zh.open("/staff/review").await;
    queue.has(&[
        "初审队列",
        "staff-pages.cn",
        "杭州7101号科技有限公司",
        "1 个工作日目标的",
        "剩余",
        "筛选",
        &format!("href=\"{order_page}\""),
    ]);
    queue.lacks(&["/staff/dashboard", "仪表盘"]);
    let mut en = Browser::of(&app, &wang, "en");
    en.open("/staff/review").await.has(&[
        "Review queue",
        "staff-pages.cn",
        "of the 1-working-day target",
        "Filter",
    ]);
    // The filters: another province, another kind, another state.
    for q in [
        "?province=31",
        "?kind=new_website",
        "?state=photo_review",
        "?state=provider_review&province=33&kind=first_filing&per=1",
    ] {
        let page = zh.open(&format!("/staff/review{q}")).await;
        if q.contains("province=33") {
            page.has(&["staff-pages.cn"]);
        } else {
            page.has(&["当前没有等待初审的订单"])
                .lacks(&["staff-pages.cn"]);
        }
    }
    assert_eq!(
        zh.get("/staff/review?state=draft").await.status,
        StatusCode::BAD_REQUEST
    );

    save("queue.html", &queue.body);
    let page = zh.open(&order_page).await;
    save("order.html", &page.body);
    page.has(&[
        &format!("审核订单 {id}"),
        "主体信息",
        "网站信息",
        "staff-pages.cn",
        "杭州7101号科技有限公司",
        "资料",
        "进度记录",
        "初审通过",
        "退回修改",
        "选择字段",
        "与证件信息不一致",
        &format!("/staff/orders/{id}/materials/"),
    ]);
    // Reviewers see the forms whole (they check them against the documents); 网站语言 by
    // the language's name, not its code.
    page.has(&[&credit_code(7101), "简体中文"]);
    // The timeline names the applicant by login name, not by account id.
    page.has(&["(alice)"]).lacks(&["(account:"]);
    // Every event in words: the order's creation too (its event is `create`).
    page.has(&["创建订单 → 草稿 (alice)"]).lacks(&["create →"]);
    en.open(&order_page).await.has(&[
        &format!("Review order {id}"),
        "Simplified Chinese",
        "Timeline",
        "Approve",
        "Return for correction",
        "Does not match the certificate",
    ]);
    // A material opens in the browser (inline), or downloads.
    let src = page
        .body
        .split(&format!("src=\"/staff/orders/{id}/materials/"))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let file = zh.get(&format!("/staff/orders/{id}/materials/{src}")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers["content-type"], "image/jpeg");
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline"),
    );
    let file = zh
        .get(&format!("/staff/orders/{id}/materials/{src}?download=1"))
        .await;
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
    );
    // Not the applicant's material route for staff, and not staff's for the applicant.
    let mut ab = Browser::of(&app, &alice, "zh-CN");
    assert_eq!(
        ab.get(&format!("/staff/orders/{id}/materials/{src}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for path in ADMIN_PAGES {
        for b in [&mut zh, &mut en] {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        }
    }

    // An admin: everything, with every link in the navigation.
    let root = app.new_admin("root").await;
    let mut zh = Browser::of(&app, &root, "zh-CN");
    let mut en = Browser::of(&app, &root, "en");
    let nav = zh.open("/staff/review").await;
    for path in STAFF_PAGES {
        nav.has(&[&format!("href=\"{path}\"")]);
    }
    zh.open(&order_page).await.has(&["初审通过"]);
    zh.open("/staff/dashboard").await.has(&[
        "仪表盘",
        "数据生成于",
        "各状态订单数",
        "近 30 天每日新建订单",
        "各省管局通过率与退回率",
        "<svg class=\"chart\"",
        "订单数",
        "暂无数据",
    ]);
    en.open("/staff/dashboard").await.has(&[
        "Dashboard",
        "Computed at",
        "Orders by state",
        "Median time in each state",
        "No data yet",
    ]);
    zh.open("/staff/accounts").await.has(&[
        "账号与角色",
        "root",
        "wang",
        "alice",
        "最后一位管理员",
        "更改角色",
    ]);
    en.open("/staff/accounts")
        .await
        .has(&["Accounts and roles", "last admin", "Change a role"]);
    zh.open("/staff/audit")
        .await
        .has(&["审计日志", "校验审计链", "序号"]);
    en.open("/staff/audit")
        .await
        .has(&["Audit log", "Verify the audit chain"]);
    let verified = zh.post("/staff/audit/verify", &[]).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    verified.has(&["审计链完整"]);

    // The last admin cannot lose the role: the page says why and nothing changes.
    let accounts = zh.open("/staff/accounts").await;
    let root_id = root.account_id.clone();
    assert!(accounts.body.contains(&format!("value=\"{root_id}\"")));
    let refused = zh
        .post(
            "/staff/accounts/role",
            &[("account", root_id.as_str()), ("role", "reviewer")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    refused.has(&["最后一位管理员"]);
    assert_eq!(app.store.account(&root_id).await.unwrap().role, Role::Admin);
    // A role that may change does.
    zh.post_to(
        "/staff/accounts/role",
        &[("account", wang.account_id.as_str()), ("role", "admin")],
        "/staff/accounts",
    )
    .await;
    assert_eq!(
        app.store.account(&wang.account_id).await.unwrap().role,
        Role::Admin
    );
}

/// The values (`data-value`) of the bars of each chart on a page, chart by chart.
fn chart_values(body: &str) -> Vec<Vec<f64>> {
    body.split("<figure class=\"chart\">")
        .skip(1)
        .map(|chart| {
            let chart = chart.split("</figure>").next().unwrap();
            chart
                .split("data-value=\"")
                .skip(1)
                .map(|v| v.split('"').next().unwrap().parse().unwrap())
                .collect()
        })
        .collect()
}

fn day_counts(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_dashboard_charts_draw_the_apis_figures() {
    let t = testing::sqlite().await;
    let app = TestApp::new()
        .simulated_clock()
        .without_worker()
        .start(&t)
        .await;
    let root = app.new_admin("root").await;
    let mut b = Browser::of(&app, &root, "zh-CN");
    // Nothing yet: every chart says so (orders by state too: no order at all).
    let empty = b.open("/staff/dashboard").await;
    assert_eq!(empty.body.matches("暂无数据").count(), 5, "{}", empty.body);

    let alice = app.new_user("alice", Role::Applicant).await;
    let a = &alice.account_id;
    let h = Duration::hours;
    for _ in 0..2 {
        app.order_through(
            a,
            &[
                (h(1), "provider_review", None),
                (h(2), "queued_for_bureau", None),
                (h(1), "at_bureau", None),
                (h(5), "approved", None),
            ],
        )
        .await;
    }
    app.order_through(
        a,
        &[
            (h(1), "provider_review", None),
            (h(1), "queued_for_bureau", None),
            (h(1), "at_bureau", None),
            (h(3), "bureau_returned", None),
        ],
    )
    .await;
    // In review for ten days: past its 1-working-day deadline.
    app.order_through(a, &[(h(1), "provider_review", None)])
        .await;
    app.advance(Duration::days(10));

    // Sessions do not last ten days: log in again.
    let root = app.login("root").await;
    let mut b = Browser::of(&app, &root, "zh-CN");
    let (status, d) = root.get("/admin/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["stale_after_seconds"], 30);
    let page = b.open("/staff/dashboard").await;
    save("dashboard.html", &page.body);
    let charts = chart_values(&page.body);
    assert_eq!(charts.len(), 5, "{}", page.body);
    // Orders by state: one bar per state, in the state machine's order.
    let by_state: Vec<f64> = OrderState::ALL
        .iter()
        .map(|s| d["orders_by_state"][s.as_str()].as_f64().unwrap_or(0.0))
        .collect();
    assert_eq!(charts[0], by_state);
    assert_eq!(d["orders_by_state"]["approved"], 2, "{d}");
    assert_eq!(d["orders_by_state"]["provider_review"], 1, "{d}");
    // Breaches and orders per day: 30 bars each.
    assert_eq!(charts[1], day_counts(&d["breaches_per_day"]));
    assert_eq!(charts[1].iter().sum::<f64>(), 1.0, "{d}");
    assert_eq!(charts[4], day_counts(&d["orders_per_day"]));
    assert_eq!(charts[4].iter().sum::<f64>(), 4.0, "{d}");
    // Medians: one bar per state measured.
    let medians: Vec<f64> = d["median_time_in_state"]
        .as_object()
        .unwrap()
        .values()
        .map(|m| m["median_seconds"].as_f64().unwrap())
        .collect();
    assert_eq!(charts[2], medians);
    // The bureau's rates in Zhejiang: approved 2 of 3, returned 1 of 3.
    let zj = &d["bureau_by_province"]["33"];
    assert_eq!(
        (zj["approved"].clone(), zj["returned"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        charts[3],
        vec![
            zj["approval_rate"].as_f64().unwrap(),
            zj["return_rate"].as_f64().unwrap()
        ]
    );
    page.has(&["浙江", "通过率", "退回率"]);
}

#[tokio::test]
async fn decisions_from_the_page_own_orders_and_the_token() {
    let t = testing::sqlite().await;
    let app = TestApp::new().start(&t).await;
    let (own, zhao) = submitted(&app, "zhao", 7201, "own-order.cn").await;
    let (other, _) = submitted(&app, "qian", 7202, "returned-here.cn").await;
    let (third, _) = submitted(&app, "sun", 7203, "approved-here.cn").await;

    // zhao becomes a reviewer: their own order says so, offers no buttons, and is refused.
    beian_platform::admin::set_role(&app.store, "test", &zhao.account_id, Role::Reviewer)
        .await
        .unwrap();
    let zhao = app.login("zhao").await;
    let mut b = Browser::of(&app, &zhao, "zh-CN");
    let page = b.open(&format!("/staff/orders/{own}")).await;
    page.has(&["这是您自己账号的订单"]);
    assert!(
        page.actions()
            .iter()
            .all(|a| !a.starts_with("/staff/orders")),
        "{:?}",
        page.actions()
    );
    b.in_lang("en")
        .open(&format!("/staff/orders/{own}"))
        .await
        .has(&["belongs to your own account"]);
    let refused = b.post(&format!("/staff/orders/{own}/approve"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let refused = b
        .post(
            &format!("/staff/orders/{own}/return"),
            &[("field.0", "sponsor.address"), ("text.0", "自己退回")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(state_of(&app.store, &own).await, "provider_review");

    // Another reviewer: without the token nothing happens.
    let wang = app.new_reviewer("wang").await;
    let mut b = Browser::of(&app, &wang, "zh-CN");
    b.open(&format!("/staff/orders/{own}"))
        .await
        .has(&["初审通过"]);
    let base = app.base.clone();
    let page = b
        .post_raw(&format!("/staff/orders/{own}/approve"), &[], Some(&base))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.has(&["表单已过期或来自其他网站"]);
    assert_eq!(state_of(&app.store, &own).await, "provider_review");

    // A return needs a reason per field: the form says what is missing, beside the field.
    let path = format!("/staff/orders/{other}/return");
    let page = b.post(&path, &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has(&["请至少填写一条退回原因"]);
    let page = b.post(&path, &[("field.0", "sponsor.address")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has(&["请为该字段选择常见原因或填写说明"]);
    let page = b.post(&path, &[("text.1", "看不清")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has(&["请选择该原因对应的字段", "看不清"]);
    assert_eq!(state_of(&app.store, &other).await, "provider_review");
    // Two reasons: a common one with details, and free text alone.
    b.post_to(
        &path,
        &[
            ("field.0", "sponsor.address"),
            ("common.0", "staff-reason-mismatch"),
            ("text.0", "门牌号缺失"),
            ("field.2", "website.name"),
            ("text.2", "网站名称不能含“官方”"),
        ],
        "/staff/review",
    )
    .await;
    assert_eq!(state_of(&app.store, &other).await, "returned");
    let reasons = app.store.order(&other).await.unwrap().return_reasons;
    assert_eq!(reasons[0]["field"], "sponsor.address", "{reasons}");
    assert_eq!(reasons[0]["message"], "与证件信息不一致：门牌号缺失");
    assert_eq!(reasons[1]["field"], "website.name");
    assert_eq!(reasons[1]["message"], "网站名称不能含“官方”");
    // Approval: to the photo step; the queue no longer lists it.
    b.post_to(
        &format!("/staff/orders/{third}/approve"),
        &[],
        "/staff/review",
    )
    .await;
    assert_eq!(state_of(&app.store, &third).await, "photo_pending");
    let queue = b.open("/staff/review").await;
    queue.has(&["已初审通过", "own-order.cn"]);
    queue.lacks(&["approved-here.cn", "returned-here.cn"]);
    // The order page now offers no decision.
    b.open(&format!("/staff/orders/{third}"))
        .await
        .has(&["无需审核操作"]);
}

/// The photo step's staff pages: the backdrop shipped from the page (a bad tracking number
/// refused beside its field), the photo shown beside the persons' data, a rejection without a
/// reason refused beside the reason, then rejected with one; applicants get 403.
#[tokio::test]
async fn backdrops_and_photo_review_in_the_pages() {
    use crate::flows::driver::{jpeg, multipart, post_multipart};
    let t = testing::sqlite().await;
    let app = TestApp::new().start(&t).await;
    let (id, alice) = submitted(&app, "alice", 7301, "photo-pages.cn").await;
    let wang = app.new_reviewer("wang").await;
    let (status, approved) = wang
        .post(&format!("/review/orders/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "photo_pending", "{approved}");
    let (status, asked) = alice
        .post(
            &format!("/orders/{id}/backdrop-requests"),
            json!({"recipient": "张三", "mobile": "13812345678",
                   "address": {"province": "33", "city": "杭州市", "district": "西湖区",
                               "detail": "文三路 1 号"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");

    let mut applicant = Browser::of(&app, &alice, "zh-CN");
    for path in [
        "/staff/backdrops",
        "/staff/photos",
        &format!("/staff/orders/{id}/photo"),
    ] {
        assert_eq!(
            applicant.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    let mut b = Browser::of(&app, &wang, "zh-CN");
    let page = b.open("/staff/backdrops").await;
    page.has(&[
        &format!("订单 {id} 的幕布申请"),
        "文三路 1 号",
        "标记已寄出",
    ]);
    b.in_lang("en")
        .open("/staff/backdrops")
        .await
        .has(&["Backdrops", "Mark as shipped"]);
    let action = page
        .actions()
        .into_iter()
        .find(|a| a.ends_with("/shipped"))
        .unwrap();
    let bad = b
        .fill("/staff/backdrops", &action, &[("tracking_number", "")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    bad.has(&["id=\"e-tracking_number\""]);
    let shipped = b
        .fill(
            "/staff/backdrops",
            &action,
            &[("tracking_number", "SF1234567890")],
        )
        .await;
    assert_eq!(shipped.location(), "/staff/backdrops", "{}", shipped.body);
    b.open("/staff/backdrops")
        .await
        .has(&["SF1234567890", "当前没有待寄送的幕布申请"]);

    let (status, shot) = post_multipart(
        &alice,
        &format!("/orders/{id}/photo"),
        multipart(&[], &jpeg(), "image/jpeg"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shot}");
    let list = b.open("/staff/photos").await;
    list.has(&[
        "photo-pages.cn",
        &format!("href=\"/staff/orders/{id}/photo\""),
    ]);
    let photo_path = format!("/staff/orders/{id}/photo");
    let page = b.open(&photo_path).await;
    page.has(&[
        "杭州7301号科技有限公司",
        "网站负责人",
        &format!("src=\"/staff/orders/{id}/photo/image\""),
        "红色或蓝色上衣",
        "未使用幕布",
    ]);
    let image = b.get(&format!("/staff/orders/{id}/photo/image")).await;
    assert_eq!(image.status, StatusCode::OK);
    let reject = format!("/staff/orders/{id}/photo/reject");
    let unreasoned = b.fill(&photo_path, &reject, &[]).await;
    assert_eq!(
        unreasoned.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unreasoned.body
    );
    unreasoned.has(&["id=\"e-reason.code\""]);
    assert_eq!(state_of(&app.store, &id).await, "photo_review");
    let rejected = b
        .fill(&photo_path, &reject, &[("reason.code", "face_unclear")])
        .await;
    assert_eq!(rejected.location(), "/staff/photos", "{}", rejected.body);
    assert_eq!(state_of(&app.store, &id).await, "photo_pending");
}
