//! Access prefill (issue 17, 5): for 新增接入, once the filing password is verified, the
//! order's forms carry what the registry holds — the sponsor's address and responsible
//! person, the website's name, home URL and responsible person — and the order names, before
//! any later step asks, the fields the registry does not keep (the emergency mobiles). Both
//! backends, the in-process simulator with its fixture.

use crate::harness::{TestApp, check, setup::fixture_sponsor};
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn named(order: &Value) -> Vec<String> {
    order["incomplete_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn new_access_forms_carry_the_registry_and_name_what_it_lacks() {
    testing::each_backend(async |t| {
        let api = TestApp::new().fixture_registry().start(t).await;
        let s = api.new_applicant("pat").await;
        let (_, code, name, domain) = fixture_sponsor();
        let (status, created) = s.post("/orders", check(domain, &code, name)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["kind"], "new_access", "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        // Before the password, nothing personal of the filing is shown.
        assert_eq!(created["sponsor"]["address"], "", "{created}");
        assert!(named(&created).contains(&"sponsor.address".to_owned()));

        let (status, verified) = s
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": beian_regulator::fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        let sponsor = &verified["sponsor"];
        assert_eq!(sponsor["address"], "杭州市西湖区文三路1号", "{verified}");
        assert_eq!(sponsor["responsible"]["name"], "张伟", "{verified}");
        assert_eq!(
            sponsor["responsible"]["mobile"],
            beian_regulator::fixture::sponsor_mobile(0),
            "{verified}"
        );
        assert_eq!(sponsor["responsible"]["email"], "webmaster@example.com");
        let website = &verified["website"];
        assert_eq!(
            website["home_url"],
            format!("http://www.{domain}/"),
            "{verified}"
        );
        assert_eq!(website["responsible"]["name"], "李娜", "{verified}");
        assert_eq!(
            website["responsible"]["mobile"], "13700000000",
            "{verified}"
        );
        assert_eq!(
            website["responsible"]["certificate_type"], "resident_id",
            "{verified}"
        );

        // What the registry does not keep is named now, not at the verification form.
        let missing = named(&verified);
        for field in [
            "sponsor.responsible.emergency_mobile",
            "website.responsible.emergency_mobile",
        ] {
            assert!(missing.contains(&field.to_owned()), "{field}: {missing:?}");
        }
        assert!(
            !missing.contains(&"sponsor.address".to_owned()),
            "{missing:?}"
        );
        let (status, err) = s
            .send(s.req(
                reqwest::Method::GET,
                &format!("/orders/{id}/verification-form"),
            ))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        for field in missing.iter() {
            assert!(
                err["error"]["fields"][field.as_str()].is_string(),
                "{field} named by the order but not by the form: {err}"
            );
        }

        // With the emergency mobiles given (and what the registry keeps for one person but not
        // the other: the sponsor's responsible person's certificate, the website's
        // responsible person's email), nothing is missing.
        let mut sponsor_form = verified["sponsor"].clone();
        sponsor_form["responsible"]["emergency_mobile"] = json!("13900139001");
        sponsor_form["responsible"]["certificate_type"] = json!("resident_id");
        sponsor_form["responsible"]["certificate_number"] = json!("11010519491231002X");
        let (status, saved) = s.put(&format!("/orders/{id}/sponsor"), sponsor_form).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let mut site = saved["website"].clone();
        site["responsible"]["emergency_mobile"] = json!("13900139002");
        site["responsible"]["email"] = json!("lina@example.cn");
        site["languages"] = json!(["zh_cn"]);
        let (status, saved) = s.put(&format!("/orders/{id}/website"), site).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(named(&saved), Vec::<String>::new(), "{saved}");
    })
    .await;
}

/// Without beian's `<Baxx>` extension (a real bureau answers the password check with
/// `<VerifyRes>` only), the password still verifies and the forms keep what the customer
/// typed; the order names every field the customer must still give.
#[tokio::test]
async fn without_the_extension_the_order_names_what_the_customer_must_type() {
    testing::each_backend(async |t| {
        let api = TestApp::new()
            .fixture_registry()
            .settings(|s| s.regulator.extensions = Some(false))
            .start(t)
            .await;
        let s = api.new_applicant("plain").await;
        let (_, code, name, domain) = fixture_sponsor();
        let (status, created) = s.post("/orders", check(domain, &code, name)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let (status, verified) = s
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": beian_regulator::fixture::PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        assert_eq!(verified["sponsor"]["address"], "", "{verified}");
        let missing = named(&verified);
        for field in ["sponsor.address", "sponsor.responsible.name"] {
            assert!(missing.contains(&field.to_owned()), "{field}: {missing:?}");
        }
    })
    .await;
}
