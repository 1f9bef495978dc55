//! APP filing (APP备案, issue 18) over HTTP with the in-process simulator, on SQLite and on
//! PostgreSQL: an APP's 首次备案 to its `-NA` number (the APP form, its icon as a material, the
//! extension upload `urn:beian:miit-ext:app:1`, the bureau's `App_xx` result applied), the
//! public query finding it by name and number, its 变更APP (a new name, the number kept), the
//! kinds `/apps/{id}/orders` does not make refused by name, the 新增接入 of an APP filed through another
//! provider, a sponsor holding a website and an APP whose numbers come from one sequence (`-1`,
//! then `-2A`) with the order list naming each order's service, and the form's errors by field.

use std::io::Cursor;

use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::flows::bureau::{MOBILE, completed_first_filing, enter_sms_code, wait_for_state};
use crate::flows::driver::{
    approve, bind, jpeg, multipart, order, post_multipart, service_number,
    upload_missing_and_submit,
};
use crate::harness::browser::Browser;
use crate::harness::inputs::sponsor_of;
use crate::harness::{Session, TestApp, credit_code, person};

pub(crate) const APP_NAME: &str = "云栖助手";
pub(crate) const PACKAGE: &str = "com.yunqi.example.assistant";

/// The filing check (`POST /orders`) of an APP of an enterprise in Zhejiang.
pub(crate) fn app_check(name: &str, package: &str, cert: &str, sponsor: &str) -> Value {
    json!({"app": {"name": name, "platform": "android", "package": package},
           "sponsor": {"province": "33", "nature": "enterprise",
                       "certificate_type": "credit_code", "certificate_number": cert,
                       "name": sponsor}})
}

/// The APP form: Android and iOS, real-world shaped 特征信息.
pub(crate) fn app_form(name: &str, package: &str) -> Value {
    json!({
        "name": name,
        "platforms": [
            {"platform": "android", "name": name, "package": package,
             "public_key": "86:4A:1E:0B:52:9C:3F:7D:11:E8:60:AF:2B:93:C4:58:DD:07:61:FA:3E:42:95:B8:0C:7A:E1:56:29:D3:84:0F",
             "signature_digest": "18:C8:67:F0:71:7A:A6:7B:2A:B7:34:75:05:BA:07:ED"},
            {"platform": "ios", "name": name, "package": "com.yunqi.example.Assistant",
             "public_key": "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f",
             "signature_digest": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"}
        ],
        "service_content": "企业办公",
        "responsible": person(),
    })
}

/// Creates an APP order and fills both forms; the created body.
pub(crate) async fn app_order(s: &Session, body: &Value, name: &str, package: &str) -> Value {
    let (status, created) = s.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["app_id"].is_string(), "{created}");
    assert!(created.get("website").is_none(), "{created}");
    assert_eq!(
        created["app"]["platforms"][0]["package"], package,
        "{created}"
    );
    let id = created["order_id"].as_str().unwrap().to_owned();
    let (status, filled) = s
        .put(&format!("/orders/{id}/sponsor"), sponsor_of(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    let (status, filled) = s
        .put(&format!("/orders/{id}/app"), app_form(name, package))
        .await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    assert_eq!(filled["incomplete_fields"], json!([]), "{filled}");
    created
}

/// From forms filled to the APP's number: product, materials (the icon among them, no
/// verification form), submit, 初审, photo, the SMS check, the bureau's approval, the sync.
pub(crate) async fn through_to_the_number(
    api: &TestApp,
    s: &Session,
    id: &str,
    serial: u32,
) -> Value {
    let number = format!("SN-{serial}");
    service_number(api, &number).await;
    bind(s, id, &number).await;
    let (status, first) = s.post(&format!("/orders/{id}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{first}");
    let missing = first["error"]["fields"].as_object().unwrap();
    assert!(missing.contains_key("materials.app_icon"), "{first}");
    assert!(
        !missing.contains_key("materials.verification_form"),
        "{first}"
    );
    assert!(
        !missing.contains_key("materials.domain_certificate"),
        "{first}"
    );
    let submitted = upload_missing_and_submit(s, id).await;
    assert_eq!(submitted["state"], "provider_review", "{submitted}");
    let rita = api.new_reviewer(&format!("rita-app{serial}")).await;
    let approved = approve(&rita, id).await;
    assert_eq!(approved["state"], "photo_pending", "{approved}");
    let (status, shot) = post_multipart(
        s,
        &format!("/orders/{id}/photo"),
        multipart(&[], &jpeg(), "image/jpeg"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shot}");
    let (status, decided) = rita
        .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    wait_for_state(api, s, id, "sms_pending").await;
    api.advance_over_http(6).await;
    enter_sms_code(api).await;
    api.advance_over_http(11).await;
    api.advance_over_http(1).await;
    wait_for_state(api, s, id, "completed").await
}

/// The simulator's public query for APPs (`/miit/query?app=`).
pub(crate) async fn app_query(api: &TestApp, q: &str) -> Value {
    api.http
        .get(format!("{}/miit/query", api.base))
        .query(&[("app", q)])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub(crate) fn number_shape(number: &str, suffix: &str) -> bool {
    number.starts_with("浙ICP备") && number.ends_with(&format!("号{suffix}"))
}

#[tokio::test]
async fn an_app_first_filing_through_to_its_na_number() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let body = app_check(APP_NAME, PACKAGE, &credit_code(71), "杭州云栖应用有限公司");
        let created = app_order(&alice, &body, APP_NAME, PACKAGE).await;
        assert_eq!(created["kind"], "first_filing", "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();

        let done = through_to_the_number(&api, &alice, &id, 71).await;
        let app_number = done["app_number"].as_str().unwrap().to_owned();
        // The sponsor's first service: `-1A` from the shared sequence.
        assert!(number_shape(&app_number, "-1A"), "{done}");

        // The sponsor shows the APP with its number, the person masked.
        let (status, sponsor) = alice.get("/sponsor").await;
        assert_eq!(status, StatusCode::OK, "{sponsor}");
        assert_eq!(
            sponsor["apps"][0]["icp_number"],
            app_number.as_str(),
            "{sponsor}"
        );
        assert_eq!(sponsor["apps"][0]["package"], PACKAGE, "{sponsor}");
        assert_eq!(sponsor["apps"][0]["name"], APP_NAME, "{sponsor}");
        assert!(
            app_number.starts_with(sponsor["icp_number"].as_str().unwrap()),
            "{sponsor}"
        );
        assert_ne!(sponsor["apps"][0]["responsible"]["mobile"], "13800138000");

        // The public query finds it by (part of) its name and by its number.
        for q in ["云栖助", app_number.as_str()] {
            let found = app_query(&api, q).await;
            assert_eq!(
                found["apps"][0]["number"],
                app_number.as_str(),
                "{q}: {found}"
            );
            assert_eq!(found["apps"][0]["name"], APP_NAME, "{q}: {found}");
        }
        assert_eq!(app_query(&api, "没有这个应用").await["apps"], json!([]));

        // The same package is now filed here: a second check is refused.
        let (status, again) = alice.post("/filing-checks", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");

        // 变更APP: a new name on every platform and new service content, through the bureau
        // (BGAPP); the number stays, the registry and the public query show the new name.
        let app_id = sponsor["apps"][0]["id"].as_str().unwrap().to_owned();
        let (status, err) = alice
            .post(
                &format!("/apps/{app_id}/orders"),
                json!({"kind": "continue_access"}),
            )
            .await;
        // A website's 取消接入 takes websites only: an APP's id is not one.
        let (refused_status, refused) = alice
            .post(&format!("/websites/{app_id}/cancel-access/code"), json!({}))
            .await;
        assert_eq!(refused_status, StatusCode::NOT_FOUND, "{refused}");
        assert_eq!(refused["error"]["code"], "website_not_found", "{refused}");
        // 继续接入 is no kind of an APP's order here: a 422 naming `kind` and saying why.
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "app_kind_not_supported", "{err}");
        assert!(
            err["error"]["fields"]["kind"]
                .as_str()
                .is_some_and(|m| m.contains("继续接入")),
            "{err}"
        );
        // The approval recorded the APP's access with this provider.
        assert_eq!(sponsor["apps"][0]["access_status"], "active", "{sponsor}");
        let (status, change) = alice
            .post(
                &format!("/apps/{app_id}/orders"),
                json!({"kind": "change_website"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{change}");
        assert_eq!(change["kind"], "change_website", "{change}");
        assert_eq!(change["app"]["name"], APP_NAME, "{change}");
        assert_eq!(change["app"]["platforms"][1]["platform"], "ios", "{change}");
        let change_id = change["id"].as_str().unwrap().to_owned();
        let mut form = change["app"].clone();
        let new_name = "云栖助手专业版";
        form["name"] = json!(new_name);
        form["platforms"][0]["name"] = json!(new_name);
        form["platforms"][1]["name"] = json!(new_name);
        form["service_content"] = json!("企业办公与协同");
        let (status, saved) = alice.put(&format!("/orders/{change_id}/app"), form).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["incomplete_fields"], json!([]), "{saved}");
        let submitted = upload_missing_and_submit(&alice, &change_id).await;
        assert_eq!(submitted["state"], "provider_review", "{submitted}");
        let rita = api.new_reviewer("rita-app-change").await;
        let approved = approve(&rita, &change_id).await;
        assert_eq!(approved["state"], "queued_for_bureau", "{approved}");
        wait_for_state(&api, &alice, &change_id, "sms_pending").await;
        api.advance_over_http(6).await;
        enter_sms_code(&api).await;
        api.advance_over_http(11).await;
        api.advance_over_http(1).await;
        let changed = wait_for_state(&api, &alice, &change_id, "completed").await;
        assert_eq!(changed["app_number"], app_number.as_str(), "{changed}");
        let (_, after) = alice.get("/sponsor").await;
        assert_eq!(after["apps"][0]["name"], new_name, "{after}");
        assert_eq!(
            after["apps"][0]["icp_number"],
            app_number.as_str(),
            "{after}"
        );
        let found = app_query(&api, app_number.as_str()).await;
        assert_eq!(found["apps"][0]["name"], new_name, "{found}");
        assert_eq!(
            app_query(&api, "云栖助手专业").await["apps"][0]["number"],
            app_number.as_str()
        );
    })
    .await;
}

#[tokio::test]
async fn a_website_and_an_app_of_one_sponsor_share_its_sequence() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let bob = api.new_applicant("bob").await;
        // The website first (`completed_first_filing`'s sponsor: credit code 72).
        let site = completed_first_filing(&api, &bob, "yunqi-shared.cn", 72).await;
        let site_number = order(&bob, &site).await;
        let (_, sponsor) = bob.get("/sponsor").await;
        let website_number = sponsor["websites"][0]["icp_number"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(number_shape(&website_number, "-1"), "{site_number}");

        // Then an APP of the same sponsor: a new service (新增APP), numbered `-2A`.
        let body = app_check(
            "云栖办公",
            "cn.yunqi.office",
            &credit_code(72),
            "杭州备案全程科技有限公司",
        );
        let created = app_order(&bob, &body, "云栖办公", "cn.yunqi.office").await;
        assert_eq!(created["kind"], "new_website", "{created}");
        assert_eq!(created["needs_filing_password"], false, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let done = through_to_the_number(&api, &bob, &id, 73).await;
        let app_number = done["app_number"].as_str().unwrap();
        let sponsor_number = sponsor["icp_number"].as_str().unwrap();
        assert_eq!(app_number, format!("{sponsor_number}-2A"), "{done}");
        assert_eq!(website_number, format!("{sponsor_number}-1"));

        let (_, sponsor) = bob.get("/sponsor").await;
        assert_eq!(
            sponsor["websites"][0]["icp_number"],
            website_number.as_str()
        );
        assert_eq!(sponsor["apps"][0]["icp_number"], app_number, "{sponsor}");
        // Both are found in the public query by the sponsor's number.
        let found = app_query(&api, sponsor_number).await;
        assert_eq!(found["apps"][0]["number"], app_number, "{found}");

        // The order list names each order's service: the website's domain, the APP's name.
        let (status, list) = bob.get("/orders").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().unwrap();
        let of = |oid: &str| items.iter().find(|o| o["id"] == oid).cloned();
        let website_order = of(&site).unwrap_or_default();
        assert_eq!(website_order["domain"], "yunqi-shared.cn", "{list}");
        assert_eq!(website_order["app_name"], Value::Null, "{list}");
        let app_order = of(&id).unwrap_or_default();
        assert_eq!(app_order["app_name"], "云栖办公", "{list}");
        assert_eq!(app_order["domain"], Value::Null, "{list}");
        // The portal's list too: the APP's order is a link named by the APP.
        let mut b = Browser::of(&api, &bob, "zh-CN");
        let filings = b.open("/filings").await;
        filings.has(&["备案域名或 APP", "yunqi-shared.cn", "云栖办公"]);
        assert_eq!(
            filings.link("云栖办公").as_deref(),
            Some(format!("/orders/{id}").as_str())
        );
    })
    .await;
}

/// A PNG of `side`² noisy pixels (noise does not compress: a large file).
fn noisy_png(side: u32) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let picture = image::RgbImage::from_fn(side, side, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn app_inputs_are_refused_by_field() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let carol = api.new_applicant("carol").await;

        // The check: a domain and an APP at once; an APP with a bad package or platform.
        let mut both = app_check(APP_NAME, PACKAGE, &credit_code(81), "杭州错误示例有限公司");
        both["domain"] = json!("example-both.cn");
        let (status, err) = carol.post("/filing-checks", both).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["domain"].is_string(), "{err}");
        let bad = app_check(
            APP_NAME,
            "com.example.1app",
            &credit_code(81),
            "杭州错误示例有限公司",
        );
        let (status, err) = carol.post("/filing-checks", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["app.package"].is_string(), "{err}");
        let mut unknown = app_check(APP_NAME, PACKAGE, &credit_code(81), "杭州错误示例有限公司");
        unknown["app"]["platform"] = json!("symbian");
        let (status, err) = carol.post("/filing-checks", unknown).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["app.platform"].is_string(), "{err}");

        // The form: each problem by its path, all at once.
        let body = app_check(APP_NAME, PACKAGE, &credit_code(81), "杭州错误示例有限公司");
        let (status, created) = carol.post("/orders", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let mut form = app_form(APP_NAME, PACKAGE);
        form["platforms"][0]["signature_digest"] = json!("18c867f0717aa67b2ab7347505ba07"); // 30 digits
        form["platforms"][1]["package"] = json!("com..yunqi");
        form["platforms"][1]["name"] = json!("云栖助手HD");
        form["responsible"]["mobile"] = json!("1234");
        let (status, err) = carol.put(&format!("/orders/{id}/app"), form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let fields = err["error"]["fields"].as_object().unwrap();
        for field in [
            "app.platforms[0].signature_digest",
            "app.platforms[1].package",
            "app.platforms[1].name",
            "app.responsible.mobile",
        ] {
            assert!(fields.contains_key(field), "{field}: {err}");
        }
        assert!(
            fields["app.platforms[0].signature_digest"]
                .as_str()
                .unwrap()
                .contains("32"),
            "{err}"
        );

        // A website form does not fit an APP's order.
        let (status, err) = carol
            .put(
                &format!("/orders/{id}/website"),
                crate::harness::website("example-app.cn"),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["website"].is_string(), "{err}");

        // The icon: at most 100 KB; a larger one is refused on `file`, a small one kept.
        let big = noisy_png(200);
        assert!(big.len() > 100 * 1024, "{}", big.len());
        let (status, err) = post_multipart(
            &carol,
            &format!("/orders/{id}/materials"),
            multipart(&[("kind", "app_icon")], &big, "image/png"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["file"].is_string(), "{err}");
        let small = noisy_png(40);
        let (status, added) = post_multipart(
            &carol,
            &format!("/orders/{id}/materials"),
            multipart(&[("kind", "app_icon")], &small, "image/png"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!(added["kind"], "app_icon", "{added}");

        // An icon on a website's order is refused on `kind`.
        let dave = api.new_applicant("dave").await;
        let (status, site) = dave
            .post(
                "/orders",
                crate::harness::check("example-site.cn", &credit_code(82), "杭州网站示例有限公司"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{site}");
        let site_id = site["order_id"].as_str().unwrap();
        let (status, err) = post_multipart(
            &dave,
            &format!("/orders/{site_id}/materials"),
            multipart(&[("kind", "app_icon")], &small, "image/png"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["kind"].is_string(), "{err}");
    })
    .await;
}

/// An enterprise and its APP filed through provider A only (the registry's side): the
/// sponsor's number, its filing password and the APP's `-NA` number.
pub(crate) async fn app_filed_elsewhere(
    api: &TestApp,
    code: &str,
    name: &str,
    app: &str,
) -> (String, String, String) {
    use beian_core::province::Province;
    use beian_regulator::fixture::{PROVIDER_A, sponsor};
    use beian_regulator::model::{AppData, AppPlatformData, Person};
    use beian_regulator::registry;

    let at = api.regulator.now();
    let number = "浙ICP备2020000041号".to_owned();
    let mut tx = api.regulator.pool().begin().await.unwrap();
    let data = sponsor(Province::ZHEJIANG, code, name, MOBILE);
    let (sponsor_id, password) = registry::insert_sponsor(
        &mut tx,
        api.regulator.crypto(),
        &data,
        &number,
        at,
        &mut rand::rng(),
    )
    .await
    .unwrap();
    let filed = AppData {
        name: app.to_owned(),
        service_content: "企业办公".into(),
        platforms: vec![AppPlatformData {
            platform: "android".into(),
            package: "com.elsewhere.office".into(),
            public_key: "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f".into(),
            signature_digest: "18c867f0717aa67b2ab7347505ba07ed".into(),
        }],
        responsible: Person {
            name: "王芳".into(),
            certificate_type: "resident_id".into(),
            certificate_number: crate::harness::resident_id(41),
            mobile: MOBILE.into(),
            email: String::new(),
        },
    };
    let (app_id, app_number) =
        registry::insert_app(&mut tx, api.regulator.crypto(), sponsor_id, &filed, at)
            .await
            .unwrap();
    registry::insert_app_access(&mut tx, app_id, PROVIDER_A, at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (number, password, app_number)
}

#[tokio::test]
async fn app_access_for_an_app_filed_elsewhere() {
    testing::each_backend(async |t| {
        let api = TestApp::new()
            .fixture_registry()
            .auto_review_after(10)
            .start(t)
            .await;
        let dora = api.new_applicant("dora").await;
        let code = credit_code(41);
        let name = "杭州接入应用有限公司";
        let (sponsor_number, password, app_number) =
            app_filed_elsewhere(&api, &code, name, "远方办公").await;
        assert!(number_shape(&app_number, "-1A"), "{app_number}");

        // The check finds the APP filed (by its package) under the sponsor: 新增接入.
        let body = app_check("远方办公", "com.elsewhere.office", &code, name);
        let (status, checked) = dora.post("/filing-checks", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{checked}");
        assert_eq!(checked["kind"], "new_access", "{checked}");
        assert_eq!(checked["needs_filing_password"], true, "{checked}");
        assert_eq!(
            checked["registry"]["website_number"],
            app_number.as_str(),
            "{checked}"
        );
        assert_eq!(
            checked["registry"]["sponsor_number"],
            sponsor_number.as_str()
        );

        let (status, created) = dora.post("/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        assert_eq!(created["app"]["name"], "远方办公", "{created}");
        let (status, verified) = dora
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        let seen = order(&dora, &id).await;
        let sponsor_form = crate::flows::driver::complete_access_form(&seen["sponsor"]);
        let (status, saved) = dora
            .put(&format!("/orders/{id}/sponsor"), sponsor_form)
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        // The APP's name is the registry's: locked in an access filing.
        let mut renamed = app_form("另一个名字", "com.elsewhere.office");
        renamed["platforms"] = json!([]);
        let (status, err) = dora.put(&format!("/orders/{id}/app"), renamed).await;
        assert_ne!(status, StatusCode::OK, "{err}");
        let (status, saved) = dora
            .put(
                &format!("/orders/{id}/app"),
                app_form("远方办公", "com.elsewhere.office"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");

        service_number(&api, "SN-A-41").await;
        bind(&dora, &id, "SN-A-41").await;
        let (status, first) = dora.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{first}");
        assert!(
            !first["error"]["fields"]
                .as_object()
                .unwrap()
                .contains_key("materials.app_icon"),
            "{first}"
        );
        let submitted = upload_missing_and_submit(&dora, &id).await;
        assert_eq!(submitted["state"], "provider_review", "{submitted}");
        let rita = api.new_reviewer("rita-app-access").await;
        let approved = approve(&rita, &id).await;
        if approved["state"] == "photo_pending" {
            let (status, shot) = post_multipart(
                &dora,
                &format!("/orders/{id}/photo"),
                multipart(&[], &jpeg(), "image/jpeg"),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{shot}");
            let (status, decided) = rita
                .post(&format!("/review/orders/{id}/photo/approve"), json!({}))
                .await;
            assert_eq!(status, StatusCode::OK, "{decided}");
        }
        wait_for_state(&api, &dora, &id, "sms_pending").await;
        api.advance_over_http(6).await;
        enter_sms_code(&api).await;
        api.advance_over_http(11).await;
        api.advance_over_http(1).await;
        let done = wait_for_state(&api, &dora, &id, "completed").await;
        assert_eq!(done["app_number"], app_number.as_str(), "{done}");

        // The registry lists this provider's access beside provider A's.
        let providers: Vec<i64> = sqlx::query_scalar(
            "SELECT x.provider_id FROM app_accesses x JOIN apps a ON a.id = x.app_id \
             WHERE a.number = ? ORDER BY x.provider_id",
        )
        .bind(&app_number)
        .fetch_all(api.regulator.pool())
        .await
        .unwrap();
        assert_eq!(
            providers,
            vec![
                crate::flows::registry::HERE,
                beian_regulator::fixture::PROVIDER_A
            ]
        );
        let (_, sponsor) = dora.get("/sponsor").await;
        assert_eq!(
            sponsor["apps"][0]["icp_number"],
            app_number.as_str(),
            "{sponsor}"
        );
        assert_eq!(sponsor["icp_number"], sponsor_number.as_str(), "{sponsor}");
    })
    .await;
}
