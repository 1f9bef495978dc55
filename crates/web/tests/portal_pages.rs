//! The portal's pages, driven as a browser drives them: forms posted form-urlencoded or
//! multipart with the CSRF token and cookies, redirects read from `Location`. Every page is
//! rendered for each role and checked for its key content in zh-CN and en, with no remote
//! URL in it; access rules (another's order 404, missing token or foreign origin 403,
//! applicant on staff pages 403) are checked on the running server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod portal_support;

use beian_store::accounts::Role;
use beian_store::testing::sqlite;
use portal_support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn anonymous_pages_speak_both_languages_and_load_nothing_remote() {
    let t = sqlite().await;
    let site = start(&t).await;
    let mut zh = Browser::new(&site, "zh-CN");
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
    assert!(!home.body.contains("<script>"), "inline script");
    assert_no_remote_urls(&home);
    zh.open("/login")
        .await
        .has(&["登录备案系统", "用户名", "name=\"_csrf\""]);
    zh.open("/register")
        .await
        .has(&["注册账号", "至少 10 个字符"]);

    let mut en = Browser::new(&site, "en");
    for (path, texts) in [
        ("/", &["Welcome to ICP Filing", "First run"][..]),
        ("/login", &["Log in", "Username"][..]),
        ("/register", &["Register", "At least 10 characters"][..]),
    ] {
        let page = en.open(path).await;
        page.has(texts);
        assert_no_remote_urls(&page);
    }
    // Without the cookie, Accept-Language decides.
    let res = site
        .http
        .get(format!("{}/login", site.base))
        .header("accept-language", "en-GB,en;q=0.9,zh;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("Log in"));
    // The switch remembers the choice and goes back.
    let mut b = Browser::new(&site, "zh-CN");
    let switched = b.get("/lang/en?back=/register").await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location(), "/register");
    b.open("/register").await.has(&["Register"]);
    // htmx 2 is ours, not a CDN's.
    let htmx = b.open("/static/htmx.min.js").await;
    assert!(htmx.body.contains("version:\"2."), "htmx 2.x expected");
    assert!(
        htmx.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // Staff and applicant pages want a login.
    let page = b.get("/filings").await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, "/login")
    );
}

#[tokio::test]
async fn forms_without_the_token_or_from_another_site_are_refused() {
    let t = sqlite().await;
    let site = start(&t).await;
    let mut b = Browser::new(&site, "zh-CN");
    b.open("/login").await;
    let token = b.csrf();
    assert!(token.len() >= 32);
    let fields = [("username", "nobody"), ("password", PASSWORD)];
    // No token.
    let page = b
        .post_raw("/login", &fields, Some(&site.base.clone()))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.has(&["表单已过期或来自其他网站"]);
    // A wrong token.
    let page = b
        .post_raw(
            "/login",
            &[("_csrf", "x".repeat(43).as_str()), fields[0], fields[1]],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The right token from a foreign origin.
    let page = b
        .post_raw(
            "/login",
            &[("_csrf", token.as_str()), fields[0], fields[1]],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The right token and origin: the form itself answers (wrong credentials).
    let page = b.post("/login", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has(&["value=\"nobody\""]);
    // No cookie at all: refused before anything.
    let mut fresh = Browser::new(&site, "en");
    let page = fresh
        .post_raw("/register", &[("_csrf", token.as_str())], None)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.has(&["This form has expired or came from another site"]);
}

/// Uploads every material the materials page asks for; returns how many.
async fn upload_all(b: &mut Browser<'_>, id: &str) -> usize {
    let page = b.open(&format!("/orders/{id}/materials")).await;
    page.has(&[
        "下载核验单",
        &format!("/api/v1/orders/{id}/verification-form"),
    ]);
    let kinds: Vec<String> = page
        .body
        .split("name=\"kind\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"business_license".to_owned()), "{kinds:?}");
    for kind in &kinds {
        let res = b
            .post_file(
                &format!("/orders/{id}/materials"),
                &[("kind", kind)],
                &jpeg(),
                "image/jpeg",
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{kind}: {}", res.body);
    }
    kinds.len()
}

#[tokio::test]
async fn an_applicant_files_a_first_filing_through_the_pages() {
    let t = sqlite().await;
    let site = start(&t).await;
    let mut b = Browser::new(&site, "zh-CN");
    b.register("zhang").await;
    b.open("/filings")
        .await
        .has(&["我的备案", "还没有备案主体", "开始备案"]);
    let start = b.open("/orders/new").await;
    start.has(&["验证备案类型", "一定要与原备案信息一致"]);
    assert_no_remote_urls(&start);

    // 验证备案类型 with a wrong certificate number: the error beside it, the input kept.
    let cert = credit_code(4242);
    let mut check = vec![
        ("domain", "first-portal.cn"),
        ("sponsor.province", "33"),
        ("sponsor.nature", "enterprise"),
        ("sponsor.certificate_type", "credit_code"),
        ("sponsor.certificate_number", "91330106XXXX"),
        ("sponsor.name", "杭州门户测试有限公司"),
    ];
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
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.has(&["您需要办理：首次备案", "主体和域名都未备案过"]);
    let created = b.post("/orders", &check).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = order_id(created.location());
    assert_eq!(created.location(), format!("/orders/{id}/product"));

    // Product: an unknown number is refused; a real one passes.
    let page = b.open(&format!("/orders/{id}/product")).await;
    page.has(&["已创建", "产品验证", "备案服务号", "aria-current=\"step\""]);
    let page = b
        .post(
            &format!("/orders/{id}/product"),
            &[("product", "server"), ("service_number", "BA-NOPE")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has(&["value=\"BA-NOPE\"", "class=\"note error\""]);
    service_number(&site, "BA-PORTAL-1").await;
    let page = b
        .post(
            &format!("/orders/{id}/product"),
            &[("product", "server"), ("service_number", "BA-PORTAL-1")],
        )
        .await;
    assert_eq!(
        (page.status, page.location()),
        (
            StatusCode::SEE_OTHER,
            format!("/orders/{id}/sponsor").as_str()
        )
    );

    // Sponsor: the identity is masked and locked; a bad mobile is shown beside its field.
    let page = b.open(&format!("/orders/{id}/sponsor")).await;
    page.has(&["9133**********", "请务必填写真实有效的信息"]);
    assert!(
        !page.body.contains(&cert),
        "the certificate number is shown whole"
    );
    let rid = resident_id(7);
    let mut sponsor = vec![
        ("sponsor.address", "浙江省杭州市西湖区文三路 1 号"),
        ("sponsor.responsible.name", "张三"),
        ("sponsor.responsible.certificate_type", "resident_id"),
        ("sponsor.responsible.certificate_number", rid.as_str()),
        ("sponsor.responsible.mobile", "12345"),
        ("sponsor.responsible.emergency_mobile", "13900139000"),
        ("sponsor.responsible.email", "zhang@example.cn"),
        ("sponsor.responsible.office_phone", ""),
    ];
    let page = b.post(&format!("/orders/{id}/sponsor"), &sponsor).await;
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
    sponsor[4].1 = "13800138000";
    let page = b.post(&format!("/orders/{id}/sponsor"), &sponsor).await;
    assert_eq!(
        (page.status, page.location()),
        (
            StatusCode::SEE_OTHER,
            format!("/orders/{id}/website").as_str()
        ),
        "{}",
        page.body
    );

    // Website: "填写新负责人信息" left unticked, the sponsor's person is the website's.
    b.open(&format!("/orders/{id}/website"))
        .await
        .has(&["填写新负责人信息", "网站负责人将在后续环节进行拍照核验"]);
    let website = [
        ("website.name", "门户测试网站"),
        ("website.home_url", "https://www.first-portal.cn/"),
        ("website.service_content", "企业官网"),
        ("website.languages", "zh_cn"),
    ];
    let page = b.post(&format!("/orders/{id}/website"), &website).await;
    assert_eq!(
        (page.status, page.location()),
        (
            StatusCode::SEE_OTHER,
            format!("/orders/{id}/materials").as_str()
        ),
        "{}",
        page.body
    );

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
    let file = b.open(&src).await;
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(file.headers["x-content-type-options"], "nosniff");
    assert_eq!(file.headers["content-type"], "image/jpeg");

    // The verification form, shown to print: the person signs it, so the number is whole.
    let form = b.open(&format!("/orders/{id}/verification-form")).await;
    form.has(&[
        "网站备案信息真实性核验单",
        &cert,
        "杭州门户测试有限公司",
        "签字",
    ]);
    assert_no_remote_urls(&form);

    // Review and submit.
    let page = b.open(&format!("/orders/{id}/submit")).await;
    page.has(&["门户测试网站", "138****8000", "提交备案"]);
    let page = b.post(&format!("/orders/{id}/submit"), &[]).await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, format!("/orders/{id}").as_str()),
        "{}",
        page.body
    );
    let order = b.open(&format!("/orders/{id}")).await;
    order.has(&[
        "备案已提交初审",
        "初审中",
        "请保持电话畅通",
        "接入商初审",
        "管局审核",
        "class=\"future\"",
    ]);
    assert_no_remote_urls(&order);
    b.open("/filings")
        .await
        .has(&["first-portal.cn", "首次备案", "等待接入商初审"]);

    // The same pages in English.
    let mut en = Browser::new(&site, "en");
    en.cookies.extend(b.cookies.clone());
    en.cookies.insert("beian_lang".into(), "en".into());
    for (path, texts) in [
        (
            format!("/orders/{id}"),
            &[
                "In provider review",
                "keep your phone reachable",
                "Bureau review",
            ][..],
        ),
        ("/filings".to_owned(), &["My filings", "First filing"][..]),
        (
            "/orders/new".to_owned(),
            &["Check the filing kind", "must match the original filing"][..],
        ),
        (
            format!("/orders/{id}/submit"),
            &["Review and submit", "138****8000"][..],
        ),
        (
            format!("/orders/{id}/materials"),
            &["Business licence", "Download the verification form"][..],
        ),
        (
            format!("/orders/{id}/sponsor"),
            &["Sponsor", "9133**********"][..],
        ),
        (
            format!("/orders/{id}/website"),
            &["Enter a new responsible person"][..],
        ),
        (
            format!("/orders/{id}/product"),
            &["Service number", "BA-PORTAL-1"][..],
        ),
        (
            format!("/orders/{id}/abandon"),
            &["Abandon this filing", "may be shut down"][..],
        ),
        ("/api-keys".to_owned(), &["API keys", "No API keys yet"][..]),
        (
            "/legacy-import".to_owned(),
            &[
                "Import legacy Wanwang filings",
                "cannot move to another account",
            ][..],
        ),
        (
            "/storefront/domains".to_owned(),
            &["Top-level domains", "no active storefront"][..],
        ),
    ] {
        let page = en.open(&path).await;
        page.has(texts);
        assert_no_remote_urls(&page);
    }

    // Another applicant sees none of it.
    let mut other = Browser::new(&site, "zh-CN");
    other.register("lisi").await;
    for path in [
        format!("/orders/{id}"),
        format!("/orders/{id}/sponsor"),
        src.clone(),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("门户测试"), "{path} leaks the order");
    }
    let page = other.post(&format!("/orders/{id}/abandon"), &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // Staff pages: 403 for an applicant; the reviewer sees the order waiting.
    let page = b.get("/staff/review").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.has(&["您没有权限查看此页面"]);
    staff(&site, "wang", Role::Reviewer).await;
    let mut reviewer = Browser::new(&site, "zh-CN");
    reviewer.login("wang").await;
    let queue = reviewer.open("/staff/review").await;
    queue.has(&["初审队列", &id, "首次备案"]);
    assert_no_remote_urls(&queue);

    // The reviewer returns the website's name (through the API, with the portal's session:
    // one login serves both).
    let api = |path: String| {
        site.http
            .post(format!("{}/api/v1{path}", site.base))
            .header(
                "cookie",
                format!("beian_session={}", reviewer.cookies["beian_session"]),
            )
    };
    let res = api(format!("/review/orders/{id}/return"))
        .json(&serde_json::json!({"reasons": [{"field": "website.name", "message": "网站名称不能含“门户”"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    b.open(&format!("/orders/{id}"))
        .await
        .has(&["初审退回", "退回原因", "网站名称不能含“门户”"]);
    let page = b.open(&format!("/orders/{id}/website")).await;
    page.has(&["网站名称不能含“门户”"]);
    let name_input = page
        .body
        .split("name=\"website.name\"")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    assert!(
        !name_input.contains("readonly"),
        "the returned field is editable: {name_input}"
    );
    let url_input = page
        .body
        .split("name=\"website.home_url\"")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    assert!(
        url_input.contains("readonly"),
        "a field not returned stays locked: {url_input}"
    );
    let mut fixed = website.to_vec();
    fixed[0].1 = "测试网站";
    let page = b.post(&format!("/orders/{id}/website"), &fixed).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = b.post(&format!("/orders/{id}/submit"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let res = api(format!("/review/orders/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    // 拍照核验: request a backdrop to a mainland address, then upload the photo.
    let order = b.open(&format!("/orders/{id}")).await;
    order.has(&["待拍照核验", &format!("/orders/{id}/photo")]);
    let photo = b.open(&format!("/orders/{id}/photo")).await;
    photo.has(&["申请幕布", "中国大陆境内", "红色或蓝色"]);
    let address = [
        ("recipient", "张三"),
        ("mobile", "13800138000"),
        ("address.province", "浙江省"),
        ("address.city", "杭州市"),
        ("address.district", "西湖区"),
        ("address.detail", "文三路 1 号"),
    ];
    let page = b.post(&format!("/orders/{id}/backdrop"), &address).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    b.open(&format!("/orders/{id}/photo"))
        .await
        .has(&["幕布申请已提交", "已于"]);
    let page = b
        .post_file(&format!("/orders/{id}/photo"), &[], &jpeg(), "image/jpeg")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    b.open(&format!("/orders/{id}")).await.has(&["照片审核中"]);
    en.open(&format!("/orders/{id}"))
        .await
        .has(&["Photo in review", "Photo verification"]);
    en.open(&format!("/orders/{id}/photo"))
        .await
        .has(&["Request a backdrop", "mainland China"]);
    reviewer.cookies.insert("beian_lang".into(), "en".into());
    reviewer
        .open("/staff/review")
        .await
        .has(&["Review queue", "No orders wait for review"]);
}

#[tokio::test]
async fn an_access_filing_checks_the_sponsor_and_its_filing_password() {
    let t = sqlite().await;
    let site = start(&t).await;
    let mut b = Browser::new(&site, "zh-CN");
    b.register("zhao").await;
    // A domain filed through another provider (the fixture's Beijing sponsor).
    let (_, cert, name, _) = beian_regulator::fixture::SPONSORS[2];
    let check = vec![
        ("domain", "zgc-example.net"),
        ("sponsor.province", "11"),
        ("sponsor.nature", "enterprise"),
        ("sponsor.certificate_type", "credit_code"),
        ("sponsor.certificate_number", cert),
        ("sponsor.name", name),
    ];
    b.open("/orders/new").await.has(&["一定要与原备案信息一致"]);
    let page = b.post("/orders/new", &check).await;
    page.has(&["您需要办理：新增接入", "接入备案只是增加一个服务商数据"]);
    let created = b.post("/orders", &check).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = order_id(created.location());
    service_number(&site, "BA-ACCESS-1").await;
    let page = b
        .post(
            &format!("/orders/{id}/product"),
            &[("product", "server"), ("service_number", "BA-ACCESS-1")],
        )
        .await;
    assert_eq!(page.location(), format!("/orders/{id}/password"));
    let page = b.open(&format!("/orders/{id}/password")).await;
    page.has(&["验证备案密码", "找回备案密码", "/bureau/password-recovery"]);
    let page = b
        .post(
            &format!("/orders/{id}/password"),
            &[("password", "WrongPass1")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.has(&["id=\"e-password\""]);
    let page = b
        .post(
            &format!("/orders/{id}/password"),
            &[("password", beian_regulator::fixture::PASSWORD)],
        )
        .await;
    assert_eq!(
        (page.status, page.location()),
        (
            StatusCode::SEE_OTHER,
            format!("/orders/{id}/sponsor").as_str()
        ),
        "{}",
        page.body
    );
    b.open(&format!("/orders/{id}/password"))
        .await
        .has(&["备案密码已验证"]);
    b.open(&format!("/orders/{id}/sponsor"))
        .await
        .has(&["接入过程中无法变更", "readonly"]);
    // Abandon, with the seed's warning.
    let page = b.open(&format!("/orders/{id}/abandon")).await;
    page.has(&["网站随时会被关停", "确认放弃"]);
    let page = b.post(&format!("/orders/{id}/abandon"), &[]).await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, "/filings")
    );
    b.open("/filings")
        .await
        .has(&["已放弃该备案订单", "已放弃"]);
}

#[tokio::test]
async fn api_keys_are_created_listed_and_revoked_from_the_page() {
    let t = sqlite().await;
    let site = start(&t).await;
    let mut b = Browser::new(&site, "zh-CN");
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
    // The key works on the API.
    let res = site
        .http
        .get(format!("{}/api/v1/orders", site.base))
        .bearer_auth(format!("bk_{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let listed = b.open("/api-keys").await;
    assert!(!listed.body.contains(&key), "the key is shown again");
    let action = listed
        .body
        .split("action=\"/api-keys/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // Another account cannot revoke it.
    let mut other = Browser::new(&site, "zh-CN");
    other.register("sun").await;
    assert_eq!(
        other.post(&format!("/api-keys/{action}"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let page = b.post(&format!("/api-keys/{action}"), &[]).await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, "/api-keys")
    );
    b.open("/api-keys").await.has(&["API 密钥已撤销", "撤销"]);
    let res = site
        .http
        .get(format!("{}/api/v1/orders", site.base))
        .bearer_auth(format!("bk_{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
