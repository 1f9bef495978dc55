//! Every page of the applicant in both languages with its key content (forms shown again
//! with each error beside its field and the input kept, masked personal data, previews
//! served as attachments), the anonymous pages, pagination, an upload too large, API keys.

use beian_store::testing;
use reqwest::StatusCode;

use super::{check_fields, fields, sponsor_fields, start, upload_all, website_fields};
use crate::harness::browser::{Browser, assert_no_remote_urls};
use crate::harness::inputs::jpeg;
use crate::harness::setup::service_number;
use crate::harness::{TestApp, credit_code, resident_id};

#[tokio::test]
async fn anonymous_pages_speak_both_languages_and_load_nothing_remote() {
    let t = testing::sqlite().await;
    let app = TestApp::new().start(&t).await;
    let mut zh = Browser::new(&app, "zh-CN");
    let home = zh.open("/").await;
    home.has(&[
        "欢迎使用 ICP 备案系统",
        "第一次运行",
        "beian demo",
        "beian admin user add",
        "/static/htmx.min.js",
    ]);
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(home.headers["x-content-type-options"], "nosniff");
    zh.open("/login")
        .await
        .has(&["登录备案系统", "用户名", "name=\"_csrf\""]);
    zh.open("/register")
        .await
        .has(&["注册账号", "至少 10 个字符"]);

    let mut en = Browser::new(&app, "en");
    for (path, texts) in [
        ("/", &["Welcome to ICP Filing", "First run"][..]),
        ("/login", &["Log in", "Username"][..]),
        ("/register", &["Register", "At least 10 characters"][..]),
    ] {
        en.open(path).await.has(texts);
    }
    // Without the cookie, Accept-Language decides.
    let res = app
        .http
        .get(format!("{}/login", app.base))
        .header("accept-language", "en-GB,en;q=0.9,zh;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("Log in"));
    // The switch remembers the choice and goes back.
    let mut b = Browser::new(&app, "zh-CN");
    let switched = b.get("/lang/en?back=/register").await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location(), "/register");
    b.open("/register").await.has(&["Register"]);
    // htmx 2 is ours, not a CDN's.
    let htmx = b.get("/static/htmx.min.js").await;
    assert_eq!(htmx.status, StatusCode::OK);
    assert!(htmx.body.contains("version:\"2."), "htmx 2.x expected");
    assert!(
        htmx.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // The bureau's own pages (the simulator's look) load nothing remote either.
    for path in [
        "/bureau/sms-verification",
        "/bureau/password-recovery",
        "/miit/query",
    ] {
        b.open(path).await;
    }
    // Applicant pages want a login.
    let page = b.get("/filings").await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, "/login")
    );
}

/// Opens `path` in both tabs and checks each language's texts.
async fn both(
    zh: &mut Browser<'_>,
    en: &mut Browser<'_>,
    path: &str,
    zh_t: &[&str],
    en_t: &[&str],
) {
    zh.open(path).await.has(zh_t);
    en.open(path).await.has(en_t);
}

/// Every step of a first filing page by page: the kind explained, each refused form shown
/// again with the error beside its field and the input kept, masked numbers, previews served
/// as attachments, the verification form to print; then every applicant page in zh-CN and
/// en; then a return shown beside its field with only that field editable.
#[tokio::test]
async fn every_applicant_page_in_both_languages() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().reviewer().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("zhang").await;
    let mut en = b.in_lang("en");
    both(
        &mut b,
        &mut en,
        "/filings",
        &["我的备案", "还没有备案主体", "开始备案", "还没有备案订单"],
        &["My filings", "No filing orders yet"],
    )
    .await;

    // 验证备案类型 with a wrong certificate number: the error beside it, the input kept.
    let cert = credit_code(4242);
    let mut check = check_fields(
        "first-portal.cn",
        "33",
        "91330106XXXX",
        "杭州门户测试有限公司",
    );
    let page = b.post("/orders/new", &check).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&[
        "value=\"first-portal.cn\"",
        "value=\"91330106XXXX\"",
        "class=\"error\" id=\"e-sponsor.certificate_number\"",
    ]);
    check[4].1 = &cert;
    let page = b.post("/orders/new", &check).await;
    page.has(&["您需要办理：首次备案", "主体和域名都未备案过"]);
    let page = en.post("/orders/new", &check).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.has(&["You need: First filing"]);
    let id = start(&mut b, &check, "首次备案").await;

    // Product: an unknown number is refused beside the form; a real one passes.
    b.open(&format!("/orders/{id}/product")).await.has(&[
        "产品验证",
        "备案服务号",
        "aria-current=\"step\"",
    ]);
    let page = b
        .post(
            &format!("/orders/{id}/product"),
            &[("product", "server"), ("service_number", "BA-NOPE")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The refusal is said beside the service number's field.
    page.has(&[
        "value=\"BA-NOPE\"",
        "id=\"e-service_number\"",
        "备案服务号不存在",
    ]);
    service_number(&app.store, "BA-PORTAL-1").await;
    b.post_to(
        &format!("/orders/{id}/product"),
        &[("product", "server"), ("service_number", "BA-PORTAL-1")],
        &format!("/orders/{id}/sponsor"),
    )
    .await;

    // Sponsor: the identity masked and locked; a bad mobile shown beside its field.
    let page = b.open(&format!("/orders/{id}/sponsor")).await;
    page.has(&["9133**********", "请务必填写真实有效的信息"]);
    page.lacks(&[&cert]);
    let rid = resident_id(7);
    let mut sponsor = sponsor_fields(&rid);
    sponsor[4].1 = "12345".into();
    let page = b
        .post(&format!("/orders/{id}/sponsor"), &fields(&sponsor))
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&[
        "id=\"e-sponsor.responsible.mobile\"",
        "value=\"浙江省杭州市西湖区文三路 1 号\"",
        "value=\"12345\"",
    ]);
    sponsor[4].1 = super::MOBILE.into();
    b.post_to(
        &format!("/orders/{id}/sponsor"),
        &fields(&sponsor),
        &format!("/orders/{id}/website"),
    )
    .await;

    // Website: "填写新负责人信息" left unticked, the sponsor's person is the website's.
    b.open(&format!("/orders/{id}/website"))
        .await
        .has(&["填写新负责人信息", "网站负责人将在后续环节进行拍照核验"]);
    let website = website_fields("门户测试网站", "first-portal.cn");
    b.post_to(
        &format!("/orders/{id}/website"),
        &fields(&website),
        &format!("/orders/{id}/materials"),
    )
    .await;

    // Submitting too early names what is missing.
    let page = b.post(&format!("/orders/{id}/submit"), &[]).await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    page.has(&["营业执照"]);
    // Materials: each upload shows its preview, served as an attachment to its owner only.
    let n = upload_all(&mut b, &id).await;
    let page = b.open(&format!("/orders/{id}/materials")).await;
    assert_eq!(page.body.matches("class=\"preview\"").count(), n);
    let src = page
        .body
        .split("class=\"preview\" alt=\"")
        .nth(1)
        .unwrap()
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let file = b.get(&src).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(file.headers["x-content-type-options"], "nosniff");
    assert_eq!(file.headers["content-type"], "image/jpeg");
    let mut other = Browser::new(&app, "zh-CN");
    other.register("lisi").await;
    assert_eq!(other.get(&src).await.status, StatusCode::NOT_FOUND);

    // Every page of the order in both languages, before submitting.
    for (path, zh_t, en_t) in [
        (
            format!("/orders/{id}"),
            // The province's expected review time comes from the rules data.
            &[
                "草稿",
                "继续填写",
                "放弃当前备案",
                "管局预计审核时长",
                "管局预计 20 个工作日",
            ][..],
            &[
                "Abandon",
                "Expected bureau review",
                "takes about 20 working days",
            ][..],
        ),
        (
            "/orders/new".to_owned(),
            &["验证备案类型", "一定要与原备案信息一致"][..],
            &["Check the filing kind", "must match the original filing"][..],
        ),
        (
            format!("/orders/{id}/product"),
            &["备案服务号", "BA-PORTAL-1"][..],
            &["Service number", "BA-PORTAL-1"][..],
        ),
        (
            format!("/orders/{id}/sponsor"),
            &["主体信息", "9133**********"][..],
            &["Sponsor", "9133**********"][..],
        ),
        (
            format!("/orders/{id}/website"),
            &["填写新负责人信息"][..],
            &["Enter a new responsible person"][..],
        ),
        (
            format!("/orders/{id}/materials"),
            &["营业执照", "下载核验单"][..],
            &["Business licence", "Download the verification form"][..],
        ),
        (
            format!("/orders/{id}/verification-form"),
            &[
                "网站备案信息真实性核验单",
                &cert,
                "杭州门户测试有限公司",
                "签字",
            ][..],
            &[cert.as_str(), "杭州门户测试有限公司"][..],
        ),
        (
            format!("/orders/{id}/submit"),
            &["门户测试网站", "138****8000", "提交备案"][..],
            &["Review and submit", "138****8000"][..],
        ),
        (
            format!("/orders/{id}/abandon"),
            // A first filing: the plain warning (the seed's is for access kinds).
            &["放弃当前备案", "确认放弃", "不能再继续办理"][..],
            &["Abandon this filing", "cannot go on"][..],
        ),
        (
            "/api-keys".to_owned(),
            &["API 密钥", "还没有 API 密钥"][..],
            &["API keys", "No API keys yet"][..],
        ),
        (
            "/legacy-import".to_owned(),
            &["导入原万网备案信息", "无法更换账号"][..],
            &[
                "Import legacy Wanwang filings",
                "cannot move to another account",
            ][..],
        ),
        (
            "/storefront/domains".to_owned(),
            &["顶级域名"][..],
            &["Top-level domains", "no active storefront"][..],
        ),
    ] {
        both(&mut b, &mut en, &path, zh_t, en_t).await;
    }

    // Review and submit: the progress page with its hints.
    let order = super::submit(&mut b, &id).await;
    order.has(&[
        "备案已提交初审",
        "初审中",
        "请保持电话畅通",
        "接入商初审",
        "管局审核",
        "class=\"future\"",
    ]);
    both(
        &mut b,
        &mut en,
        &format!("/orders/{id}"),
        &["初审中", "请保持电话畅通"],
        &[
            "In provider review",
            "keep your phone reachable",
            "Bureau review",
        ],
    )
    .await;
    both(
        &mut b,
        &mut en,
        "/filings",
        &["first-portal.cn", "首次备案", "等待接入商初审"],
        &["first-portal.cn", "First filing"],
    )
    .await;

    // The reviewer returns the website's name: beside its field, the only one editable.
    let (status, returned) = app
        .reviewer()
        .post(
            &format!("/review/orders/{id}/return"),
            serde_json::json!({"reasons": [{"field": "website.name", "message": "网站名称不能含“门户”"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    b.open(&format!("/orders/{id}"))
        .await
        .has(&["初审退回", "退回原因", "网站名称不能含“门户”"]);
    let page = b.open(&format!("/orders/{id}/website")).await;
    page.has(&["网站名称不能含“门户”"]);
    let input = |name: &str| {
        page.body
            .split(&format!("name=\"{name}\""))
            .nth(1)
            .unwrap()
            .split('>')
            .next()
            .unwrap()
            .to_owned()
    };
    assert!(
        !input("website.name").contains("readonly"),
        "the returned field is editable"
    );
    assert!(
        input("website.home_url").contains("readonly"),
        "the others stay locked"
    );
    let mut fixed = website.clone();
    fixed[0].1 = "测试网站".into();
    b.post_to(
        &format!("/orders/{id}/website"),
        &fields(&fixed),
        &format!("/orders/{id}/materials"),
    )
    .await;
    super::submit(&mut b, &id).await.has(&["初审中"]);
}

/// The lists (my filings' websites and orders, API keys, the review queue) come a page at a
/// time with 上一页 / 下一页, the page size bounded.
#[tokio::test]
async fn lists_are_paginated() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("zhou").await;
    // Three orders: two abandoned, one open.
    let cert = credit_code(77);
    for domain in ["page-a.cn", "page-b.cn", "page-c.cn"] {
        let id = start(
            &mut b,
            &check_fields(domain, "33", &cert, "杭州分页测试有限公司"),
            "首次备案",
        )
        .await;
        if domain != "page-c.cn" {
            b.post_to(&format!("/orders/{id}/abandon"), &[], "/filings")
                .await;
        }
    }
    let all = b.open("/filings").await;
    all.has(&["page-a.cn", "page-b.cn", "page-c.cn"]);
    all.lacks(&["下一页"]);
    // The websites and the orders are paged each by its own parameter.
    let first = b.open("/filings?per=2").await;
    first.has(&["第 1 / 2 页，共 3 条", "下一页"]);
    first.lacks(&["上一页"]);
    let nexts = first.links("下一页");
    assert_eq!(
        nexts,
        ["/filings?per=2&sites=2", "/filings?per=2&page=2"],
        "{}",
        first.body
    );
    let orders = |page: &crate::harness::browser::Page| {
        let table = page.body.split("<h2>").last().unwrap().to_owned();
        ["page-a.cn", "page-b.cn", "page-c.cn"]
            .into_iter()
            .filter(|d| table.contains(&format!("{d}</a>")))
            .collect::<Vec<_>>()
    };
    assert_eq!(orders(&first), ["page-a.cn", "page-b.cn"]);
    let second = b.open(&nexts[1]).await;
    second.has(&["第 2 / 2 页", "上一页"]);
    assert_eq!(orders(&second), ["page-c.cn"]);
    assert_eq!(
        second.links("上一页").last().unwrap(),
        "/filings?per=2&page=1"
    );
    // The websites' pager keeps the orders' page.
    let sites = b.open("/filings?per=2&page=2&sites=2").await;
    assert_eq!(orders(&sites), ["page-c.cn"]);
    // Past the end: the last page. Too large a size: bounded (all three fit).
    assert_eq!(
        orders(&b.open("/filings?per=2&page=9").await),
        ["page-c.cn"]
    );
    b.open("/filings?per=100000").await.lacks(&["下一页"]);
    let mut en = b.in_lang("en");
    en.open("/filings?per=2")
        .await
        .has(&["Page 1 of 2, 3 items", "Next"]);

    // API keys: three, two a page.
    for name in ["key-one", "key-two", "key-three"] {
        let page = b.post("/api-keys", &[("name", name)]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    let keys = b.open("/api-keys?per=2").await;
    keys.has(&["key-three", "key-two", "第 1 / 2 页", "下一页"]);
    keys.lacks(&["key-one"]);
    b.open(&keys.link("下一页").unwrap())
        .await
        .has(&["key-one", "上一页"]);

    // The review queue: three orders waiting, two a page, earliest first.
    let mut waiting = Vec::new();
    for (i, domain) in ["queue-a.cn", "queue-b.cn", "queue-c.cn"]
        .into_iter()
        .enumerate()
    {
        let serial = 610 + u32::try_from(i).unwrap();
        let s = app.new_applicant(&format!("queue{i}")).await;
        let id =
            crate::flows::driver::first_filing(&s, domain, serial, "杭州队列测试有限公司").await;
        let number = format!("SN-Q-{i}");
        service_number(&app.store, &number).await;
        crate::flows::driver::bind(&s, &id, &number).await;
        crate::flows::driver::upload_missing_and_submit(&s, &id).await;
        waiting.push(id);
    }
    app.new_account("wang", beian_store::accounts::Role::Reviewer, None)
        .await;
    let mut reviewer = Browser::new(&app, "zh-CN");
    reviewer.login("wang").await;
    let first = reviewer.open("/staff/review?per=2").await;
    // The queue pages by a cursor (after the last order shown), not by page number.
    let row: Vec<String> = waiting.iter().map(|id| format!(">{id}</a>")).collect();
    first.has(&[&row[0], &row[1], "下一页"]);
    first.lacks(&[&row[2], "回到第一页"]);
    let second = reviewer.open(&first.link("下一页").unwrap()).await;
    second.has(&[&row[2], "回到第一页"]);
    second.lacks(&[&row[0], &row[1], "下一页"]);
    let again = reviewer.open(&second.link("回到第一页").unwrap()).await;
    again.has(&[&row[0], &row[1]]);
}

/// A file over the upload limit: the materials page again (413) with the message beside the
/// upload field, the rest of the page intact; nothing stored.
#[tokio::test]
async fn an_upload_too_large_is_answered_beside_its_field() {
    let t = testing::sqlite().await;
    let app = TestApp::new()
        .fixture_registry()
        .settings(|s| s.uploads.max_bytes = 4096)
        .start(&t)
        .await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("wuming").await;
    let cert = credit_code(88);
    let id = start(
        &mut b,
        &check_fields("too-large.cn", "33", &cert, "杭州大文件测试有限公司"),
        "首次备案",
    )
    .await;
    let page = b.open(&format!("/orders/{id}/materials")).await;
    let action = page
        .actions()
        .into_iter()
        .find(|a| a.ends_with("kind=business_license"))
        .unwrap();
    let big = vec![0xAB; 5000];
    let page = b
        .post_file(&action, &[("kind", "business_license")], &big, "image/jpeg")
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert_no_remote_urls(&page);
    page.has(&[
        "文件太大，不能超过 1 MB",
        "aria-current=\"step\"",
        "下载核验单",
        "营业执照",
        "name=\"kind\" value=\"sponsor_id_front\"",
    ]);
    // Beside the business licence's file field: its form holds the message.
    let form = page
        .body
        .split("<form ")
        .find(|f| f.contains("kind=business_license"))
        .unwrap();
    assert!(form.contains("class=\"error\""), "{form}");
    assert!(form.contains("文件太大"), "{form}");
    assert!(app.store.materials(&id).await.unwrap().is_empty());
    // The same in English; a small file still goes through.
    let mut en = b.in_lang("en");
    let page = en
        .post_file(&action, &[("kind", "business_license")], &big, "image/jpeg")
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    page.has(&["The file is too large: at most 1 MB"]);
    let ok = b
        .post_file(
            &action,
            &[("kind", "business_license")],
            &jpeg(),
            "image/jpeg",
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn api_keys_are_created_listed_and_revoked_from_the_page() {
    let t = testing::sqlite().await;
    let app = TestApp::new().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("qian").await;
    b.open("/api-keys").await.has(&["还没有 API 密钥"]);
    let page = b.post("/api-keys", &[("name", "部署脚本")]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.has(&["密钥只显示这一次", "bk_", "部署脚本", "有效"]);
    let key = page
        .body
        .split("bk_")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let orders_with = |key: String| {
        app.http
            .get(format!("{}/api/v1/orders", app.base))
            .bearer_auth(format!("bk_{key}"))
            .send()
    };
    assert_eq!(
        orders_with(key.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    let listed = b.open("/api-keys").await;
    listed.has(&["部署脚本"]);
    listed.lacks(&[&key]);
    b.in_lang("en")
        .open("/api-keys")
        .await
        .has(&["API keys", "active"]);
    let revoke = listed
        .actions()
        .into_iter()
        .find(|a| a.ends_with("/revoke"))
        .unwrap();
    // Another account cannot revoke it.
    let mut other = Browser::new(&app, "zh-CN");
    other.register("sun").await;
    assert_eq!(other.post(&revoke, &[]).await.status, StatusCode::NOT_FOUND);
    b.post_to(&revoke, &[], "/api-keys").await;
    b.open("/api-keys").await.has(&["API 密钥已撤销", "已于"]);
    assert_eq!(
        orders_with(key).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_long_timeline_says_that_older_entries_are_left_out() {
    let t = testing::sqlite().await;
    let app = TestApp::new().start(&t).await;
    let alice = app.new_applicant("alice").await;
    let body = crate::harness::check("long-timeline.cn", &credit_code(9), "杭州壬科技有限公司");
    let (status, created) = alice.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let path = format!("/orders/{id}");
    let mut b = Browser::of(&app, &alice, "zh-CN");
    // A new order's whole timeline fits: no such line.
    b.open(&path).await.lacks(&["仅显示最近"]);
    // Each form save that changes something is an entry; 100 are shown.
    let mut sponsor = body["sponsor"].clone();
    sponsor["responsible"] = crate::harness::person();
    for n in 0..101 {
        sponsor["address"] =
            serde_json::json!(format!("浙江省杭州市西湖区文三路 {} 号", n % 2 + 1));
        let (status, order) = alice
            .put(&format!("/orders/{id}/sponsor"), sponsor.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
    }
    let (_, order) = alice.get(&path).await;
    let total = order["timeline_total"].as_i64().unwrap();
    assert!(total > 100, "{order}");
    assert_eq!(order["timeline"].as_array().map(Vec::len), Some(100));
    b.open(&path)
        .await
        .has(&[&format!("仅显示最近 100 条记录（共 {total} 条）。")]);
    b.in_lang("en")
        .open(&path)
        .await
        .has(&[&format!("Showing the newest 100 of {total} entries.")]);
}
