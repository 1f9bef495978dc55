#![allow(clippy::unwrap_used, clippy::expect_used)]
//! 新增接入 through the bureau, on each backend: a site filed through another provider (the
//! simulator's fixture registry) gets this provider's access. The filing password checked at
//! the order travels to the bureau only as `ICPmm` (kept sealed until the upload is
//! accepted, then deleted); the approval records the access and completes the order.

mod bureau_support;
mod orders_support;

use beian_regulator::fixture::{PASSWORD, SPONSORS};
use beian_regulator::model::SubmissionState;
use beian_store::accesses::AccessStatus;
use beian_store::products::ServiceNumberStatus;
use beian_store::testing;
use bureau_support::{
    code_in, product_and_materials, queue_for_bureau, start_embedded_fixture, state_of, wait_until,
};
use orders_support::person;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_new_access_is_delivered_with_its_password_hash_and_recorded() {
    testing::each_backend(async |t| {
        let bed = start_embedded_fixture(t).await;
        let regulator = bed.api.regulator.clone();
        let store = &bed.api.store;
        let (number, code, name, sites) = SPONSORS[2];
        let domain = sites[0].0;

        let alice = bed.api.applicant("alice").await;
        let identity = json!({"province": "11", "nature": "enterprise",
            "certificate_type": "credit_code", "certificate_number": code, "name": name});
        let (status, created) = alice
            .post("/orders", json!({"domain": domain, "sponsor": identity}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["kind"], "new_access", "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let (_, order) = alice.get(&format!("/orders/{id}")).await;
        let site_name = order["forms"]["website"]["name"]
            .as_str()
            .unwrap()
            .to_owned();

        let mut sponsor = identity.clone();
        sponsor["address"] = json!("北京市海淀区中关村大街 1 号");
        sponsor["responsible"] = person();
        let (status, order) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let website = json!({"name": site_name, "domain": domain,
            "home_url": format!("http://www.{domain}/"), "service_content": "综合门户",
            "languages": ["zh_cn"], "responsible": person(), "pre_approvals": []});
        let (status, order) = alice.put(&format!("/orders/{id}/website"), website).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let (status, order) = alice
            .post(
                &format!("/orders/{id}/password-verification"),
                json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        // Kept for the upload as ICPmm, sealed; never the password itself.
        let kept = store
            .bureau_secret(&format!("order:{id}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            kept,
            beian_miit::v3::auth::icp_password_hash(PASSWORD).expose()
        );
        assert_ne!(kept, PASSWORD);

        product_and_materials(&bed, &id, "SN-ACCESS").await;
        let (status, order) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN-ACCESS"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let (status, order) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let reviewer = bed.api.reviewer("rita").await;
        let (status, approved) = reviewer
            .post(&format!("/review/orders/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        queue_for_bureau(store, &id).await;

        wait_until("the access filing is delivered", || async {
            matches!(
                state_of(store, &id).await.as_str(),
                "at_bureau" | "sms_pending"
            )
        })
        .await;
        assert!(
            store
                .bureau_secret(&format!("order:{id}"))
                .await
                .unwrap()
                .is_none(),
            "the hash is deleted once the upload is accepted"
        );
        // The SMS check: the ministry texts the responsible persons on record (the sponsor's
        // and the website's), each enters their code.
        bed.clock.advance_minutes(6).unwrap();
        for mobile in [
            beian_regulator::fixture::sponsor_mobile(2),
            "13700000000".into(),
        ] {
            let code_of = async || {
                regulator
                    .phone_inbox(&mobile)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|t| t.text.contains("核验码"))
                    .find_map(|t| code_in(&t.text))
            };
            wait_until("the SMS code is texted", || async {
                code_of().await.is_some()
            })
            .await;
            regulator
                .enter_sms_code(&mobile, &code_of().await.unwrap())
                .await
                .unwrap();
        }
        bed.clock.advance_minutes(11).unwrap();
        wait_until("the bureau approved the access", || async {
            regulator
                .reviews(Some(SubmissionState::Approved))
                .await
                .unwrap()
                .len()
                == 1
        })
        .await;
        bed.clock.advance_minutes(1).unwrap();
        wait_until("the order is completed", || async {
            state_of(store, &id).await == "completed"
        })
        .await;

        let order = store.order(&id).await.unwrap();
        let website_id = order.website_id.unwrap();
        let access = store
            .open_access_of_website(&website_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.status, AccessStatus::Active);
        let website = store.website(&website_id).await.unwrap();
        assert!(
            website.icp_number.as_deref().unwrap().starts_with(number),
            "{:?}",
            website.icp_number
        );
        assert_eq!(
            store.service_number("SN-ACCESS").await.unwrap().status,
            ServiceNumberStatus::Filed
        );
    })
    .await;
}
