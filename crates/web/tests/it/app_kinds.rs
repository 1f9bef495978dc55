//! The APP kinds after its filing (issue 18), over HTTP with the in-process simulator, on
//! SQLite and on PostgreSQL: the APP's access with this provider as a record (`GET /sponsor`
//! `apps[].access_status`, never in the gate); 取消接入 of an APP accessed here beside another
//! provider (code to the APP's responsible mobile, the filing password, the extension's
//! `QXJR`; the access ends here and in the registry, the number stays), then its 继续接入
//! (`JXJR`: the same APP and number, accessed here again); 取消接入 of an APP
//! filed through us, warned beforehand and refused by the bureau (1025, its only access); and
//! 注销APP (the extension's `ZXAPP`): the APP and its number are gone from the public query.

use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::app_filing::{
    APP_NAME, PACKAGE, app_check, app_filed_elsewhere, app_form, app_order, app_query,
    through_to_the_number,
};
use crate::flows::bureau::{MOBILE, enter_sms_code, phone_texts, wait_for_state};
use crate::flows::driver::{
    approve, bind, jpeg, multipart, order, post_multipart, service_number,
    upload_missing_and_submit,
};
use crate::harness::{Session, TestApp, credit_code};

/// Every queued notification of `event`, opened (both channels).
async fn notices(api: &TestApp, event: &str) -> Vec<Value> {
    api.notifications(event)
        .await
        .into_iter()
        .map(|job| job["notification"].clone())
        .collect()
}

/// The last cancel-access code texted (the queued SMS, opened as the worker opens it).
async fn texted_code(api: &TestApp) -> String {
    notices(api, "cancel_access_code")
        .await
        .iter()
        .rev()
        .find_map(|n| n["code"].as_str().map(str::to_owned))
        .expect("no cancel-access code")
}

/// The first filing's password, texted by the bureau to the sponsor's responsible mobile.
pub(crate) async fn texted_password(api: &TestApp) -> String {
    let texts = phone_texts(api, MOBILE).await;
    let text = texts
        .iter()
        .find(|t| t.contains("备案密码"))
        .expect("no filing password texted");
    let rest = text.split("备案密码：").nth(1).unwrap();
    rest.split('，').next().unwrap().to_owned()
}

/// The sponsor's first APP as `GET /sponsor` shows it.
async fn first_app(s: &Session) -> Value {
    let (status, sponsor) = s.get("/sponsor").await;
    assert_eq!(status, StatusCode::OK, "{sponsor}");
    sponsor["apps"][0].clone()
}

/// The providers the registry lists for the APP `number`.
async fn registry_providers(api: &TestApp, number: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT x.provider_id FROM app_accesses x JOIN apps a ON a.id = x.app_id \
         WHERE a.number = ? ORDER BY x.provider_id",
    )
    .bind(number)
    .fetch_all(api.regulator.pool())
    .await
    .unwrap()
}

/// The domains the edge gate serves.
async fn gate_domains(api: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM gate_domains")
        .fetch_one(api.store.pool())
        .await
        .unwrap()
}

/// 新增接入 of an APP filed through provider A, through to `completed`; the APP's number and
/// the sponsor's filing password.
async fn accessed_here(api: &TestApp, s: &Session, serial: u32, name: &str) -> (String, String) {
    let code = credit_code(serial);
    let (_, password, app_number) = app_filed_elsewhere(api, &code, name, "远方办公").await;
    let body = app_check("远方办公", "com.elsewhere.office", &code, name);
    let (created, done) = access_through(api, s, &body, &password, &format!("{serial}")).await;
    assert_eq!(created["kind"], "new_access", "{created}");
    assert_eq!(done["app_number"], app_number.as_str(), "{done}");
    (app_number, password)
}

/// An APP access order (新增接入 or 继续接入) of the check `body`, through to `completed`:
/// the created order and the completed one.
async fn access_through(
    api: &TestApp,
    s: &Session,
    body: &Value,
    password: &str,
    tag: &str,
) -> (Value, Value) {
    let (status, created) = s.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let (status, verified) = s
        .post(
            &format!("/orders/{id}/password-verification"),
            json!({"password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    let seen = order(s, &id).await;
    let sponsor_form = crate::flows::driver::complete_access_form(&seen["sponsor"]);
    let (status, saved) = s.put(&format!("/orders/{id}/sponsor"), sponsor_form).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, saved) = s
        .put(
            &format!("/orders/{id}/app"),
            app_form("远方办公", "com.elsewhere.office"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let number = format!("SN-K-{tag}");
    service_number(api, &number).await;
    bind(s, &id, &number).await;
    let submitted = upload_missing_and_submit(s, &id).await;
    assert_eq!(submitted["state"], "provider_review", "{submitted}");
    let rita = api.new_reviewer(&format!("rita-k{tag}")).await;
    if approve(&rita, &id).await["state"] == "photo_pending" {
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
    }
    wait_for_state(api, s, &id, "sms_pending").await;
    api.advance_over_http(6).await;
    enter_sms_code(api).await;
    api.advance_over_http(11).await;
    api.advance_over_http(1).await;
    let done = wait_for_state(api, s, &id, "completed").await;
    (created, done)
}

#[tokio::test]
async fn an_app_cancel_access_ends_our_access_its_number_stays_and_it_comes_back() {
    testing::each_backend(async |t| {
        let api = TestApp::new()
            .fixture_registry()
            .auto_review_after(10)
            .start(t)
            .await;
        let dora = api.new_applicant("dora").await;
        let (app_number, password) =
            accessed_here(&api, &dora, 81, "杭州取消接入应用有限公司").await;

        // The approval recorded the APP's access here; the gate serves no domain for it.
        let app = first_app(&dora).await;
        assert_eq!(app["access_status"], "active", "{app}");
        assert_eq!(app["icp_number"], app_number.as_str(), "{app}");
        assert_eq!(gate_domains(&api).await, 0);
        // The server it is accessed on is among the sponsor's service numbers.
        let (_, sponsor) = dora.get("/sponsor").await;
        assert_eq!(sponsor["service_numbers"], json!(["SN-K-81"]), "{sponsor}");
        let app_id = app["id"].as_str().unwrap().to_owned();

        // 取消接入 is not an order: the orders endpoint says where it is.
        let (status, err) = dora
            .post(
                &format!("/apps/{app_id}/orders"),
                json!({"kind": "cancel_access"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "kind_not_allowed", "{err}");
        assert!(
            err["error"]["fields"]["kind"]
                .as_str()
                .is_some_and(|m| m.contains("cancel-access")),
            "{err}"
        );

        // The code goes to the APP's responsible mobile on file; provider A hosts it too.
        let (status, sent) = dora
            .post(&format!("/apps/{app_id}/cancel-access/code"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        assert_eq!(sent["app_id"], app_id.as_str(), "{sent}");
        assert!(sent.get("website_id").is_none(), "{sent}");
        assert_eq!(sent["sent_to"], "138****8000", "{sent}");
        assert_eq!(sent["only_access"], false, "{sent}");
        assert!(notices(&api, "cancel_access_only_access").await.is_empty());
        let code = texted_code(&api).await;
        let texted = notices(&api, "cancel_access_code").await;
        assert!(
            texted.iter().all(|n| n["domain"] == "远方办公"),
            "{texted:?}"
        );

        let path = format!("/apps/{app_id}/cancel-access");
        let (status, err) = dora
            .post(&path, json!({"sms_code": code, "password": "not-it-1"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "filing_password_incorrect", "{err}");
        let (status, done) = dora
            .post(&path, json!({"sms_code": code, "password": password}))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["status"], "cancelling", "{done}");
        assert_eq!(done["app_id"], app_id.as_str(), "{done}");
        assert_eq!(done["app_name"], "远方办公", "{done}");
        assert_eq!(done["icp_number"], app_number.as_str(), "{done}");
        assert!(
            done["notice"]
                .as_str()
                .is_some_and(|n| n.contains("工信部")),
            "{done}"
        );
        // A second one while the first is under way is refused.
        let (status, again) = dora
            .post(&format!("/apps/{app_id}/cancel-access/code"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        assert_eq!(again["error"]["code"], "access_cancelling", "{again}");

        // The bureau takes this provider's access away (QXJR); the next poll applies it.
        api.eventually("the APP's access is cancelled", || async {
            first_app(&dora).await["access_status"] == "cancelled"
        })
        .await;
        assert_eq!(
            registry_providers(&api, &app_number).await,
            vec![beian_regulator::fixture::PROVIDER_A]
        );
        // The number stays with the ministry: ours and the public query's.
        let app = first_app(&dora).await;
        assert_eq!(app["icp_number"], app_number.as_str(), "{app}");
        let found = app_query(&api, &app_number).await;
        assert_eq!(found["apps"][0]["number"], app_number.as_str(), "{found}");
        // Changes go through the hosting provider: no longer us.
        let (status, err) = dora
            .post(
                &format!("/apps/{app_id}/orders"),
                json!({"kind": "change_website"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "not_accessed_here", "{err}");
        assert_eq!(gate_domains(&api).await, 0);

        // 继续接入: the customer brings the APP back. The check finds it filed (by its
        // package) under a sponsor filed here; the order takes up our APP, its number kept,
        // and goes as the extension's JXJR.
        let body = app_check(
            "远方办公",
            "com.elsewhere.office",
            &credit_code(81),
            "杭州取消接入应用有限公司",
        );
        let (status, checked) = dora.post("/filing-checks", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{checked}");
        assert_eq!(checked["kind"], "continue_access", "{checked}");
        assert_eq!(checked["needs_filing_password"], true, "{checked}");
        let (created, done) = access_through(&api, &dora, &body, &password, "81-again").await;
        assert_eq!(created["kind"], "continue_access", "{created}");
        assert_eq!(created["app_id"], app_id.as_str(), "{created}");
        assert_eq!(done["app_number"], app_number.as_str(), "{done}");
        let app = first_app(&dora).await;
        assert_eq!(app["access_status"], "active", "{app}");
        assert_eq!(app["icp_number"], app_number.as_str(), "{app}");
        assert_eq!(
            registry_providers(&api, &app_number).await,
            vec![
                crate::flows::registry::HERE,
                beian_regulator::fixture::PROVIDER_A
            ]
        );
        // Accessed here again: a second check is refused as such.
        let (status, again) = dora.post("/filing-checks", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
        assert_eq!(gate_domains(&api).await, 0);
    })
    .await;
}

#[tokio::test]
async fn an_app_filed_here_its_only_access_kept_then_its_filing_cancelled() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let body = app_check(APP_NAME, PACKAGE, &credit_code(82), "杭州注销应用有限公司");
        let created = app_order(&alice, &body, APP_NAME, PACKAGE).await;
        let id = created["order_id"].as_str().unwrap().to_owned();
        let done = through_to_the_number(&api, &alice, &id, 82).await;
        let app_number = done["app_number"].as_str().unwrap().to_owned();
        let app = first_app(&alice).await;
        assert_eq!(app["access_status"], "active", "{app}");
        let app_id = app["id"].as_str().unwrap().to_owned();

        // 取消接入 of the APP filed through us: warned that the bureau refuses its only
        // access; the customer goes on, the bureau refuses (1025), the access stays.
        let (status, sent) = alice
            .post(&format!("/apps/{app_id}/cancel-access/code"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        assert_eq!(sent["only_access"], true, "{sent}");
        let warned = notices(&api, "cancel_access_only_access").await;
        assert!(!warned.is_empty());
        assert!(warned.iter().all(|n| n["domain"] == APP_NAME), "{warned:?}");
        let code = texted_code(&api).await;
        let password = texted_password(&api).await;
        let (status, cancelling) = alice
            .post(
                &format!("/apps/{app_id}/cancel-access"),
                json!({"sms_code": code, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cancelling}");
        api.eventually("the bureau's refusal is told", || async {
            !notices(&api, "cancel_access_refused").await.is_empty()
        })
        .await;
        let refused = notices(&api, "cancel_access_refused").await;
        assert!(
            refused[0]["reasons"].to_string().contains("1025"),
            "{refused:?}"
        );
        assert_eq!(refused[0]["domain"], APP_NAME, "{refused:?}");
        assert_eq!(first_app(&alice).await["access_status"], "active");
        assert_eq!(
            registry_providers(&api, &app_number).await,
            vec![crate::flows::registry::HERE]
        );

        // 注销APP: an order of no form field, the sponsor's documents, the bureau (ZXAPP).
        let (status, cancel) = alice
            .post(
                &format!("/apps/{app_id}/orders"),
                json!({"kind": "cancel_website"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{cancel}");
        assert_eq!(cancel["kind"], "cancel_website", "{cancel}");
        assert_eq!(cancel["app"]["name"], APP_NAME, "{cancel}");
        let cancel_id = cancel["id"].as_str().unwrap().to_owned();
        let (status, first) = alice
            .post(&format!("/orders/{cancel_id}/submit"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{first}");
        assert!(
            !first["error"]["fields"]
                .as_object()
                .unwrap()
                .contains_key("materials.app_icon"),
            "{first}"
        );
        let submitted = upload_missing_and_submit(&alice, &cancel_id).await;
        assert_eq!(submitted["state"], "provider_review", "{submitted}");
        let rita = api.new_reviewer("rita-app-cancel").await;
        let approved = approve(&rita, &cancel_id).await;
        assert_eq!(approved["state"], "queued_for_bureau", "{approved}");
        wait_for_state(&api, &alice, &cancel_id, "sms_pending").await;
        api.advance_over_http(6).await;
        enter_sms_code(&api).await;
        api.advance_over_http(11).await;
        api.advance_over_http(1).await;
        wait_for_state(&api, &alice, &cancel_id, "completed").await;

        // The APP's filing is over: our number cleared, our access cancelled, the registry's
        // record cancelled, and the public query finds it neither by name nor by number.
        let app = first_app(&alice).await;
        assert!(app["icp_number"].is_null(), "{app}");
        assert_eq!(app["access_status"], "cancelled", "{app}");
        let (status, record): (String, String) =
            sqlx::query_as("SELECT status, name FROM apps WHERE number = ?")
                .bind(&app_number)
                .fetch_one(api.regulator.pool())
                .await
                .unwrap();
        assert_eq!((status.as_str(), record.as_str()), ("cancelled", APP_NAME));
        assert!(registry_providers(&api, &app_number).await.is_empty());
        assert_eq!(app_query(&api, &app_number).await["apps"], json!([]));
        assert_eq!(app_query(&api, APP_NAME).await["apps"], json!([]));
        // The customer is told the number is cancelled, naming the APP.
        let told = notices(&api, "filing_cancelled").await;
        assert!(!told.is_empty(), "no filing_cancelled notice");
        assert!(
            told.iter()
                .all(|n| n["domain"] == APP_NAME && n["icp_number"] == app_number.as_str()),
            "{told:?}"
        );
        // Nothing is left to cancel.
        let (status, err) = alice
            .post(&format!("/apps/{app_id}/cancel-access/code"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "no_active_access", "{err}");
    })
    .await;
}
