//! (l) Change and cancellation orders (issue 17, 2), each from a completed first filing: the
//! order made for the filed sponsor or website, its forms prefilled from our records, filled,
//! submitted, approved by the provider, sent to the bureau, the SMS codes of every part
//! entered, approved by the bureau's automatic review, and applied — here (`GET /sponsor`) and
//! in the simulator's registry; for 注销 the gate stops serving the domain. Plus the refusals,
//! and a change whose website part the bureau refuses.

use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::bureau::{
    MOBILE, completed_first_filing, decide, enter_sms_code, phone_texts, to_the_bureau,
    wait_for_state,
};
use super::driver::{approve, bind, upload_missing_and_submit};
use crate::harness::{Session, TestApp};

/// The sponsor responsible person's new mobile in 变更主体.
const NEW_MOBILE: &str = "13700137000";

/// The account's sponsor (`GET /sponsor`).
async fn sponsor(s: &Session) -> Value {
    let (status, sponsor) = s.get("/sponsor").await;
    assert_eq!(status, StatusCode::OK, "{sponsor}");
    sponsor
}

/// A completed first filing of `domain`; the id of its website.
async fn filed_website(api: &TestApp, s: &Session, domain: &str, serial: u32) -> String {
    completed_first_filing(api, s, domain, serial).await;
    let sponsor = sponsor(s).await;
    assert_eq!(
        sponsor["websites"][0]["access_status"], "active",
        "{sponsor}"
    );
    sponsor["websites"][0]["id"].as_str().unwrap().to_owned()
}

/// Creates the order of `kind` at `path`; the order as the answer shows it.
async fn create(s: &Session, path: &str, kind: &str) -> Value {
    let (status, order) = s.post(path, json!({ "kind": kind })).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["kind"], kind, "{order}");
    assert_eq!(order["state"], "draft", "{order}");
    order
}

/// The six-digit codes in `texts`, in order.
fn codes(texts: &[String]) -> Vec<String> {
    texts
        .iter()
        .filter_map(|t| {
            let chars: Vec<char> = t.chars().collect();
            chars
                .windows(6)
                .find(|w| w.iter().all(char::is_ascii_digit))
                .map(|w| w.iter().collect())
        })
        .collect()
}

/// How many texts each mobile of `codes_on` holds now.
async fn texts_before(api: &TestApp, codes_on: &[(&str, usize)]) -> Vec<usize> {
    let mut before = Vec::new();
    for (mobile, _) in codes_on {
        before.push(phone_texts(api, mobile).await.len());
    }
    before
}

/// Submission (the missing materials uploaded) and the provider's approval, to the bureau's
/// SMS check.
async fn submitted_and_approved(api: &TestApp, s: &Session, id: &str, reviewer: &str) {
    let submitted = upload_missing_and_submit(s, id).await;
    assert_eq!(submitted["state"], "provider_review", "{submitted}");
    let rita = api.new_reviewer(reviewer).await;
    let approved = approve(&rita, id).await;
    assert_eq!(approved["state"], "queued_for_bureau", "{approved}");
    wait_for_state(api, s, id, "sms_pending").await;
}

/// The codes texted (`n` new ones on each mobile of `codes_on` since `before`) entered on
/// the bureau's page.
async fn enter_codes(api: &TestApp, codes_on: &[(&str, usize)], before: &[usize]) {
    api.advance_over_http(6).await;
    for ((mobile, n), before) in codes_on.iter().zip(before.iter().copied()) {
        let arrived = || async { phone_texts(api, mobile).await.len() >= before + n };
        crate::harness::wait::wait_until("the SMS codes reach the phone", arrived).await;
        let texts = phone_texts(api, mobile).await;
        let new = codes(&texts[before..]);
        assert_eq!(new.len(), *n, "{texts:?}");
        // The bureau's page takes a mobile's newest pending code first.
        for code in new.iter().rev() {
            let res = api
                .http
                .post(format!("{}/bureau/sms-verification", api.base))
                .form(&[("mobile", *mobile), ("code", code.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    }
}

/// From a filled order to `completed`: submission (the missing materials uploaded), the
/// provider's approval, the bureau's SMS check (`codes` new codes expected on each mobile:
/// the bureau checks each part of a change on its own), its automatic approval and the sync.
async fn through_the_bureau(
    api: &TestApp,
    s: &Session,
    id: &str,
    reviewer: &str,
    codes_on: &[(&str, usize)],
) {
    let before = texts_before(api, codes_on).await;
    submitted_and_approved(api, s, id, reviewer).await;
    enter_codes(api, codes_on, &before).await;
    api.advance_over_http(11).await;
    api.advance_over_http(1).await;
    let done = wait_for_state(api, s, id, "completed").await;
    let events: Vec<&str> = done["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(events.contains(&"bureau_approve"), "{events:?}");
}

/// The gate's answer for `domain`.
async fn gate(api: &TestApp, domain: &str) -> StatusCode {
    api.http
        .get(format!("{}/gate?host={domain}", api.base))
        .send()
        .await
        .unwrap()
        .status()
}

/// The simulator's registry row of the website with `domain`: `(name, status)`.
async fn registry_website(api: &TestApp, domain: &str) -> (String, String) {
    sqlx::query_as("SELECT name, status FROM websites WHERE domain = ?")
        .bind(domain)
        .fetch_one(api.regulator.pool())
        .await
        .unwrap()
}

/// The simulator's registry row of the sponsor of the website `domain`: `(address,
/// responsible_mobile, status)`, the mobile opened (the simulator keeps it sealed).
async fn registry_sponsor(api: &TestApp, domain: &str) -> (String, String, String) {
    let (address, sealed, status): (String, String, String) = sqlx::query_as(
        "SELECT s.address, s.responsible_mobile, s.status FROM sponsors s \
         JOIN websites w ON w.sponsor_id = s.id WHERE w.domain = ?",
    )
    .bind(domain)
    .fetch_one(api.regulator.pool())
    .await
    .unwrap();
    let mobile = api
        .regulator
        .crypto()
        .open(beian_regulator::crypto::Field::Mobile, &sealed)
        .unwrap();
    (address, mobile, status)
}

#[tokio::test]
async fn l1_change_sponsor_contacts_and_address() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let domain = "change-sponsor.cn";
        filed_website(&api, &alice, domain, 51).await;
        let order = create(&alice, "/sponsor/orders", "change_sponsor").await;
        let id = order["id"].as_str().unwrap().to_owned();
        // Prefilled from our records, the emergency mobile from the approved forms.
        assert_eq!(order["sponsor"]["address"], "浙江省杭州市西湖区文三路 1 号");
        assert_eq!(order["sponsor"]["responsible"]["mobile"], MOBILE);
        assert_eq!(
            order["sponsor"]["responsible"]["emergency_mobile"], "13900139000",
            "{order}"
        );
        assert_eq!(order["website"]["domain"], domain, "{order}");
        assert_eq!(order["incomplete_fields"], json!([]), "{order}");

        let mut form = order["sponsor"].clone();
        form["address"] = json!("浙江省杭州市滨江区网商路 699 号");
        form["responsible"]["mobile"] = json!(NEW_MOBILE);
        form["responsible"]["email"] = json!("new-contact@example.cn");
        let (status, saved) = alice.put(&format!("/orders/{id}/sponsor"), form).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        // The sponsor's new mobile gets the sponsor part's code; the website and access
        // parts go to the mobiles on file.
        through_the_bureau(
            &api,
            &alice,
            &id,
            "rita-l1",
            &[(MOBILE, 2), (NEW_MOBILE, 1)],
        )
        .await;

        let after = sponsor(&alice).await;
        assert_eq!(
            after["address"], "浙江省杭州市滨江区网商路 699 号",
            "{after}"
        );
        assert_eq!(after["responsible"]["mobile"], "137****7000", "{after}");
        let (address, mobile, _) = registry_sponsor(&api, domain).await;
        assert_eq!(address, "浙江省杭州市滨江区网商路 699 号");
        assert_eq!(mobile, NEW_MOBILE);
        assert_eq!(gate(&api, domain).await, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn l2_change_website_name_and_home_url() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let domain = "change-website.cn";
        let website = filed_website(&api, &alice, domain, 52).await;
        let order = create(
            &alice,
            &format!("/websites/{website}/orders"),
            "change_website",
        )
        .await;
        let id = order["id"].as_str().unwrap().to_owned();
        assert_eq!(order["website"]["domain"], domain, "{order}");
        let mut form = order["website"].clone();
        form["name"] = json!("变更后的网站名称");
        form["home_url"] = json!(format!("https://{domain}/home"));
        let (status, saved) = alice.put(&format!("/orders/{id}/website"), form).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        through_the_bureau(&api, &alice, &id, "rita-2", &[(MOBILE, 3)]).await;

        let after = sponsor(&alice).await;
        assert_eq!(after["websites"][0]["name"], "变更后的网站名称", "{after}");
        assert_eq!(
            after["websites"][0]["home_url"],
            format!("https://{domain}/home")
        );
        assert_eq!(registry_website(&api, domain).await.0, "变更后的网站名称");
        // The public query shows the new name.
        let query: Value = api
            .http
            .get(format!("{}/miit/query?domain={domain}", api.base))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(query.to_string().contains("变更后的网站名称"), "{query}");
    })
    .await;
}

#[tokio::test]
async fn l3_change_access_to_a_new_server() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let domain = "change-access.cn";
        let website = filed_website(&api, &alice, domain, 53).await;
        // The new server, with another public IP.
        let now = api.store.now().timestamp_millis();
        let mut tx = api.store.begin().await.unwrap();
        let instance = tx
            .insert_instance(
                "test",
                &beian_store::products::NewInstance {
                    account_id: None,
                    product: "ecs",
                    public_ip: Some("198.51.100.23"),
                    term_start: now - 86_400_000,
                    term_end: now + 365 * 86_400_000,
                },
            )
            .await
            .unwrap();
        tx.insert_service_number("test", &instance, "SN-NEW-53")
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let order = create(
            &alice,
            &format!("/websites/{website}/orders"),
            "change_access",
        )
        .await;
        let id = order["id"].as_str().unwrap().to_owned();
        // No form field may change in 变更接入.
        let mut form = order["website"].clone();
        form["name"] = json!("不应能改");
        let (status, err) = alice.put(&format!("/orders/{id}/website"), form).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "field_locked", "{err}");
        // Submitting without the new server names the product.
        let (status, err) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        bind(&alice, &id, "SN-NEW-53").await;
        through_the_bureau(&api, &alice, &id, "rita-3", &[(MOBILE, 3)]).await;

        let after = sponsor(&alice).await;
        assert_eq!(
            after["accesses"][0]["service_number"], "SN-NEW-53",
            "{after}"
        );
        assert_eq!(after["accesses"][0]["status"], "active", "{after}");
        let ips: String = sqlx::query_scalar(
            "SELECT a.ips FROM accesses a JOIN websites w ON w.id = a.website_id \
             WHERE w.domain = ?",
        )
        .bind(domain)
        .fetch_one(api.regulator.pool())
        .await
        .unwrap();
        assert!(ips.contains("198.51.100.23"), "{ips}");
        assert!(!ips.contains("203.0.113.7"), "{ips}");
        assert_eq!(gate(&api, domain).await, StatusCode::OK);
    })
    .await;
}

/// The queued notifications of `event` (opened as the worker opens them).
async fn notices(api: &TestApp, event: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (_, _, _, payload) in api.store.jobs_of_kind("notify").await.unwrap() {
        let text = beian_platform::notify::open_notify_payload(&api.store, &payload).unwrap();
        let job: Value = serde_json::from_str(&text).unwrap();
        if job["notification"]["event"] == event {
            out.push(job["notification"].clone());
        }
    }
    out
}

/// The filing password the regulator texted at the first filing's approval.
async fn texted_password(api: &TestApp) -> String {
    let texts = phone_texts(api, MOBILE).await;
    let text = texts
        .iter()
        .find(|t| t.contains("备案密码"))
        .expect("no filing password texted");
    let rest = text.split("备案密码：").nth(1).unwrap();
    rest.split('，').next().unwrap().to_owned()
}

#[tokio::test]
async fn l4_cancel_website_ends_its_access_and_the_gate_refuses() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let domain = "cancel-website.cn";
        let website = filed_website(&api, &alice, domain, 54).await;
        api.eventually("the gate serves the filed domain", || async {
            gate(&api, domain).await == StatusCode::OK
        })
        .await;
        let order = create(
            &alice,
            &format!("/websites/{website}/orders"),
            "cancel_website",
        )
        .await;
        let id = order["id"].as_str().unwrap().to_owned();
        through_the_bureau(&api, &alice, &id, "rita-4", &[(MOBILE, 1)]).await;

        let after = sponsor(&alice).await;
        assert_eq!(
            after["websites"][0]["access_status"], "cancelled",
            "{after}"
        );
        assert!(after["websites"][0]["icp_number"].is_null(), "{after}");
        assert!(after["icp_number"].is_string(), "{after}");
        assert_eq!(registry_website(&api, domain).await.1, "cancelled");
        api.eventually("the gate refuses the cancelled domain", || async {
            gate(&api, domain).await == StatusCode::FORBIDDEN
        })
        .await;
        // The customer is told the number is cancelled (not "approved, show the number").
        let told = notices(&api, "filing_cancelled").await;
        assert!(!told.is_empty(), "no filing_cancelled notice");
        assert!(told.iter().all(|n| n["domain"] == domain), "{told:?}");
        assert!(
            told.iter().all(|n| n["order_id"] == id.as_str()),
            "{told:?}"
        );
        let approved = notices(&api, "approved").await;
        assert!(!approved.is_empty(), "the first filing's approval was told");
        assert!(
            approved.iter().all(|n| n["order_id"] != id.as_str()),
            "{approved:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn l5_cancel_sponsor_with_its_filing_password() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let domain = "cancel-sponsor.cn";
        filed_website(&api, &alice, domain, 55).await;
        api.eventually("the gate serves the filed domain", || async {
            gate(&api, domain).await == StatusCode::OK
        })
        .await;
        let order = create(&alice, "/sponsor/orders", "cancel_sponsor").await;
        let id = order["id"].as_str().unwrap().to_owned();
        // 注销主体 needs the filing password.
        let (status, err) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        let password = texted_password(&api).await;
        let (status, verified) = alice
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({ "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        through_the_bureau(&api, &alice, &id, "rita-5", &[(MOBILE, 1)]).await;

        let after = sponsor(&alice).await;
        assert!(after["icp_number"].is_null(), "{after}");
        assert_eq!(
            after["websites"][0]["access_status"], "cancelled",
            "{after}"
        );
        assert!(after["websites"][0]["icp_number"].is_null(), "{after}");
        assert_eq!(registry_sponsor(&api, domain).await.2, "cancelled");
        assert_eq!(registry_website(&api, domain).await.1, "cancelled");
        api.eventually("the gate refuses the cancelled domain", || async {
            gate(&api, domain).await == StatusCode::FORBIDDEN
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn l6_change_orders_are_refused_when_they_cannot_be_made() {
    testing::each_backend(async |t| {
        let api = TestApp::new().auto_review_after(10).start(t).await;
        let alice = api.new_applicant("alice").await;
        let domain = "change-refusals.cn";
        let website = filed_website(&api, &alice, domain, 56).await;
        let on_site = format!("/websites/{website}/orders");

        // Another account: no sponsor; then a sponsor not filed yet, and not alice's website.
        let bob = api.new_applicant("bob").await;
        let (status, err) = bob
            .post("/sponsor/orders", json!({"kind": "change_sponsor"}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
        assert_eq!(err["error"]["code"], "no_sponsor", "{err}");
        super::driver::first_filing(&bob, "bob-unfiled.cn", 57, "杭州未备案科技有限公司").await;
        let (status, err) = bob.post(&on_site, json!({"kind": "change_website"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
        assert_eq!(err["error"]["code"], "website_not_found", "{err}");
        let (status, err) = bob
            .post("/sponsor/orders", json!({"kind": "cancel_sponsor"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "sponsor_not_filed", "{err}");

        // The wrong kind for the endpoint.
        for (path, kind) in [
            ("/sponsor/orders", "change_website"),
            (on_site.as_str(), "cancel_sponsor"),
            (on_site.as_str(), "first_filing"),
        ] {
            let (status, err) = alice.post(path, json!({ "kind": kind })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}: {err}");
            assert_eq!(err["error"]["code"], "kind_not_allowed", "{err}");
            assert!(err["error"]["fields"]["kind"].is_string(), "{err}");
        }

        // The sponsor's identity and the website are locked in 变更主体.
        let order = create(&alice, "/sponsor/orders", "change_sponsor").await;
        let id = order["id"].as_str().unwrap().to_owned();
        let mut form = order["sponsor"].clone();
        form["province"] = json!("31");
        let (status, err) = alice.put(&format!("/orders/{id}/sponsor"), form).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "field_locked", "{err}");
        assert!(
            err["error"]["fields"]["sponsor.province"].is_string(),
            "{err}"
        );
        let mut site = order["website"].clone();
        site["name"] = json!("另一个名字");
        let (status, err) = alice.put(&format!("/orders/{id}/website"), site).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(err["error"]["fields"]["website.name"].is_string(), "{err}");

        // One order in progress per sponsor.
        let (status, err) = alice
            .post(&on_site, json!({"kind": "cancel_website"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["code"], "order_in_progress", "{err}");
        let (status, abandoned) = alice
            .post(&format!("/orders/{id}/abandon"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{abandoned}");
        let order = create(&alice, &on_site, "change_website").await;
        let mut site = order["website"].clone();
        site["domain"] = json!("another-domain.cn");
        site["home_url"] = json!("https://another-domain.cn/");
        let (status, err) = alice
            .put(
                &format!("/orders/{}/website", order["id"].as_str().unwrap()),
                site,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(
            err["error"]["fields"]["website.domain"].is_string(),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn l7_a_part_the_bureau_refuses_returns_the_change() {
    testing::each_backend(async |t| {
        let api = TestApp::new().manual_review().start(t).await;
        let alice = api.new_applicant("alice").await;
        let domain = "change-refused.cn";
        let first = to_the_bureau(&api, &alice, domain, 58).await;
        api.advance_over_http(6).await;
        enter_sms_code(&api).await;
        decide(&api, true, &[]).await;
        api.advance_over_http(1).await;
        wait_for_state(&api, &alice, &first, "completed").await;
        let filed = sponsor(&alice).await;
        let website = filed["websites"][0]["id"].as_str().unwrap().to_owned();
        let old_name = filed["websites"][0]["name"].clone();

        let order = create(
            &alice,
            &format!("/websites/{website}/orders"),
            "change_website",
        )
        .await;
        let id = order["id"].as_str().unwrap().to_owned();
        let mut form = order["website"].clone();
        form["name"] = json!("管局不认可的名称");
        let (status, saved) = alice.put(&format!("/orders/{id}/website"), form).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let codes_on = [(MOBILE, 3)];
        let before = texts_before(&api, &codes_on).await;
        submitted_and_approved(&api, &alice, &id, "rita-7").await;
        enter_codes(&api, &codes_on, &before).await;
        // The bureau approves one part, refuses the next, approves the last.
        decide(&api, true, &[]).await;
        decide(&api, false, &["网站名称与网站内容不符"]).await;
        decide(&api, true, &[]).await;
        api.advance_over_http(1).await;
        let returned = wait_for_state(&api, &alice, &id, "bureau_returned").await;
        assert!(
            returned["return_reasons"]
                .to_string()
                .contains("网站名称与网站内容不符"),
            "{returned}"
        );
        let events: Vec<&str> = returned["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["event"].as_str())
            .collect();
        assert!(events.contains(&"bureau_part_approved"), "{events:?}");
        assert!(!events.contains(&"bureau_approve"), "{events:?}");
        // Nothing of the change is recorded here; the order may be corrected and sent again.
        let after = sponsor(&alice).await;
        assert_eq!(after["websites"][0]["name"], old_name, "{after}");
        assert!(
            returned["allowed_events"].to_string().contains("submit"),
            "{returned}"
        );
    })
    .await;
}
