//! Access filings through the bureau, on each backend against the in-process simulator:
//! 新增接入 of a site filed through another provider (the simulator's fixture registry) — the
//! filing password checked at the order travels only as `ICPmm` (kept sealed until the
//! upload is accepted, then deleted), the approval records the access and completes the
//! order — and then 取消接入 of that access (named by the registry's `Jrid` learnt at the
//! approval), approved: the access is cancelled here and in the registry. A cancel access
//! the bureau refuses (a website's only access) leaves the access active.
//!
//! The cancel-access step itself (SMS code, password) is another helper's: a FIXTURE puts
//! the access in `cancelling`, keeps the ICPmm and enqueues the `bureau.upload` job.

use crate::harness::bureau::MOBILE;
use crate::harness::inputs::code_in;
use crate::harness::setup::{queue_for_bureau, state_of};
use crate::harness::wait::wait_until;
use crate::harness::{TestApp, person};
use beian_regulator::fixture::{PASSWORD, SPONSORS};
use beian_regulator::model::SubmissionState;
use beian_store::accesses::AccessStatus;
use beian_store::products::ServiceNumberStatus;
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_new_access_is_delivered_with_its_password_hash_and_recorded() {
    testing::each_backend(async |t| {
        let bed = TestApp::new()
            .auto_review_after(10)
            .fixture_registry()
            .start(t)
            .await;
        let regulator = bed.regulator.clone();
        let store = &bed.store;
        let (number, code, name, sites) = SPONSORS[2];
        let domain = sites[0].0;

        let alice = bed.new_applicant("alice").await;
        let identity = json!({"province": "11", "nature": "enterprise",
            "certificate_type": "credit_code", "certificate_number": code, "name": name});
        let (status, created) = alice
            .post("/orders", json!({"domain": domain, "sponsor": identity}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["kind"], "new_access", "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let (_, order) = alice.get(&format!("/orders/{id}")).await;
        let site_name = order["website"]["name"].as_str().unwrap().to_owned();

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

        bed.product_and_stored_materials(&id, "SN-ACCESS").await;
        let (status, order) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN-ACCESS"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let (status, order) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let reviewer = bed.new_reviewer("rita").await;
        let (status, approved) = reviewer
            .post(&format!("/review/orders/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        queue_for_bureau(store, &id).await;

        bed.eventually("the access filing is delivered", || async {
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
        bed.advance_minutes(6);
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
        bed.advance_minutes(11);
        wait_until("the bureau approved the access", || async {
            regulator
                .reviews(Some(SubmissionState::Approved))
                .await
                .unwrap()
                .len()
                == 1
        })
        .await;
        bed.eventually("the order is completed", || async {
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

        // Then the access is cancelled again (取消接入): the site keeps its other provider's
        // access, so the bureau approves. FIXTURE standing in for the cancel-access step.
        let mut tx = store.begin().await.unwrap();
        tx.set_access_status(
            "test:fixture",
            &access.id,
            AccessStatus::Active,
            AccessStatus::Cancelling,
        )
        .await
        .unwrap();
        tx.put_bureau_secret(
            &format!("access:{}", access.id),
            beian_miit::v3::auth::icp_password_hash(PASSWORD).expose(),
        )
        .await
        .unwrap();
        tx.enqueue_job(
            beian_platform::bureau::UPLOAD_JOB,
            &beian_platform::bureau::cancel_access_payload(&access.id),
            store.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        bed.eventually("the cancel access is delivered", || async {
            store
                .uploads(10)
                .await
                .unwrap()
                .iter()
                .filter(|u| u.status == "sent")
                .count()
                == 2
        })
        .await;
        bed.advance_minutes(11);
        wait_until("the bureau approved the cancellation", || async {
            regulator
                .reviews(Some(SubmissionState::Approved))
                .await
                .unwrap()
                .len()
                == 2
        })
        .await;
        bed.eventually("the access is cancelled", || async {
            store.access(&access.id).await.unwrap().status == AccessStatus::Cancelled
        })
        .await;
        assert!(
            store
                .open_access_of_website(&website_id)
                .await
                .unwrap()
                .is_none()
        );
        let ours: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accesses WHERE provider_id = 1")
            .fetch_one(regulator.pool())
            .await
            .unwrap();
        assert_eq!(
            ours, 0,
            "the registry no longer lists this provider's access"
        );
    })
    .await;
}

/// The filing password the regulator texted to the sponsor's responsible person at approval.
async fn texted_password(regulator: &beian_regulator::Regulator, mobile: &str) -> String {
    let texts = regulator.phone_inbox(mobile).await.unwrap();
    let text = texts
        .iter()
        .find(|t| t.text.contains("备案密码："))
        .map(|t| t.text.clone())
        .unwrap();
    let rest = text.split_once("备案密码：").unwrap().1;
    rest.split('，').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_refused_cancel_access_leaves_the_access_active() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().auto_review_after(10).start(t).await;
        let store = &bed.store;
        let regulator = bed.regulator.clone();
        let id = bed.queued_order("alice", 41, "cancel-example.cn").await;
        bed.deliver_and_verify_sms(&id).await;
        bed.advance_minutes(11);
        bed.bureau_approved(1).await;
        bed.eventually("the order is completed", || async {
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

        // FIXTURE standing in for the cancel-access step (another helper builds it): the
        // access goes to `cancelling`, the password's ICPmm is kept, the job is enqueued.
        let password = texted_password(&regulator, MOBILE).await;
        let mut tx = store.begin().await.unwrap();
        tx.set_access_status(
            "test:fixture",
            &access.id,
            AccessStatus::Active,
            AccessStatus::Cancelling,
        )
        .await
        .unwrap();
        tx.put_bureau_secret(
            &format!("access:{}", access.id),
            beian_miit::v3::auth::icp_password_hash(&password).expose(),
        )
        .await
        .unwrap();
        tx.enqueue_job(
            beian_platform::bureau::UPLOAD_JOB,
            &beian_platform::bureau::cancel_access_payload(&access.id),
            store.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        bed.eventually("the cancel access is delivered", || async {
            store
                .uploads(10)
                .await
                .unwrap()
                .iter()
                .filter(|u| u.status == "sent")
                .count()
                == 2
        })
        .await;
        let uploads = store.uploads(10).await.unwrap();
        assert_eq!(uploads[1].sequence, 2);
        assert_eq!(uploads[1].access_id.as_deref(), Some(access.id.as_str()));
        assert!(
            store
                .bureau_secret(&format!("access:{}", access.id))
                .await
                .unwrap()
                .is_none()
        );

        // No SMS check for a cancel access: reviewed after 10 minutes. The bureau refuses
        // (1025: a website's only access cannot be cancelled); the access is active again.
        bed.advance_minutes(11);
        wait_until("the bureau decided the cancellation", || async {
            regulator
                .reviews(Some(SubmissionState::Refused))
                .await
                .unwrap()
                .len()
                == 1
        })
        .await;
        bed.eventually("the access is active again", || async {
            store.access(&access.id).await.unwrap().status == AccessStatus::Active
        })
        .await;
        let downloads = store.bureau_downloads(false, 10).await.unwrap();
        assert_eq!(
            downloads[0].applied_to.as_deref(),
            Some(format!("access:{}", access.id).as_str()),
            "{downloads:?}"
        );
        assert_eq!(downloads[0].summary["results"][0]["codes"], json!([1025]));
    })
    .await;
}
