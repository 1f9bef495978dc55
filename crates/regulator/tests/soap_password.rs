//! The filing password over SOAP. In 新增接入 (`XZJR`) it travels as `ICPmm`, the hex MD5 of
//! the GBK-encoded password (§4-1-1-3): the right one is approved, a wrong one (or the plain
//! password where the MD5 belongs) is refused with 1018. `isp_verifybamm` carries it plain
//! (`bamm`), and locks the sponsor after five wrong tries in a day.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod soap_common;

use beian_miit::v3::auth::{Credentials, icp_password_hash};
use beian_miit::v3::client::{HttpRegulatorClient, RegulatorClient};
use beian_miit::v3::codec::AesKey;
use beian_miit::v3::codes::{CancelCategory, OperationType, PasswordCheck, ReturnCode};
use beian_miit::v3::personal::Secret;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::upload::{
    AccessMethods, Cancellation, Cancellations, IcpUpload, NewAccess, NewAccesses, ServerLocations,
    UploadData, WebsiteRef,
};
use beian_regulator::fixture::{self, PROVIDER_B};
use soap_common::{Sim, codes, start, take};

fn client_b(sim: &Sim) -> HttpRegulatorClient {
    HttpRegulatorClient::new(
        &sim.base,
        Credentials {
            isp_id: PROVIDER_B,
            user_name: "isp-bj".to_owned(),
            password: Secret::new("isp-bj-secret"),
        },
        Some(AesKey::parse("0123456789abcdef", "0102030405060708").unwrap()),
    )
}

/// Provider B asks to host the Zhejiang fixture's website with the `ICPmm` of `password`;
/// returns the result's operation, codes and `Bs`.
async fn new_access(password: &str) -> (OperationType, Vec<u16>, String, String) {
    new_access_sending(icp_password_hash(password)).await
}

/// As [`new_access`], sending `icp_mm` as it is.
async fn new_access_sending(icp_mm: Secret) -> (OperationType, Vec<u16>, String, String) {
    let sim = start().await;
    let client = client_b(&sim);
    let website_number: String =
        sqlx::query_scalar("SELECT number FROM websites WHERE domain = 'yunqi-example.com'")
            .fetch_one(sim.regulator.pool())
            .await
            .unwrap();
    let upload = UploadData::icp(IcpUpload {
        new_accesses: Some(NewAccesses {
            items: vec![NewAccess {
                website: WebsiteRef {
                    icp_number: Some(website_number.clone()),
                    id: None,
                },
                isp_access_id: 501,
                locations: ServerLocations { ids: vec![1] },
                methods: AccessMethods { ids: vec![4] },
                ips: Vec::new(),
                attachments: Vec::new(),
                password_hash: icp_mm,
            }],
        }),
        requester_id: PROVIDER_B,
        ..IcpUpload::default()
    });
    let ret = client
        .upload(&upload, DataSequence::FIRST, "access.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    sim.advance(31).await;
    let icp = take(&client, ReturnCode::Success).await;
    let (operation, items) = codes(&icp);
    let subject = icp.results.unwrap().results[0].subject.clone().unwrap();
    (operation, items, subject, website_number)
}

#[tokio::test]
async fn a_new_access_with_a_wrong_password_is_refused() {
    let (operation, items, subject, website_number) = new_access("not-the-password").await;
    assert_eq!(operation, OperationType::NewAccess);
    assert_eq!(items, vec![1018]);
    assert_eq!(subject, website_number);
}

#[tokio::test]
async fn a_new_access_with_the_plain_password_as_icp_mm_is_refused() {
    let (operation, items, _, _) = new_access_sending(Secret::new(fixture::PASSWORD)).await;
    assert_eq!(operation, OperationType::NewAccess);
    assert_eq!(items, vec![1018]);
}

#[tokio::test]
async fn a_new_access_with_the_right_password_is_approved() {
    let (operation, items, _, _) = new_access(fixture::PASSWORD).await;
    assert_eq!(operation, OperationType::NewAccess);
    assert_eq!(items, vec![1001]);
}

#[tokio::test]
async fn a_new_access_with_the_right_icp_mm_in_upper_case_is_approved() {
    let upper = icp_password_hash(fixture::PASSWORD)
        .expose()
        .to_ascii_uppercase();
    let (operation, items, _, _) = new_access_sending(Secret::new(upper)).await;
    assert_eq!(operation, OperationType::NewAccess);
    assert_eq!(items, vec![1001]);
}

/// Provider B cancels its access to the doubly hosted fixture website (取消接入), sending
/// `icp_mm`; returns the result's operation and codes.
async fn cancel_access(icp_mm: Secret) -> (OperationType, Vec<u16>) {
    let sim = start().await;
    let client = client_b(&sim);
    let access_id: i64 = sqlx::query_scalar(
        "SELECT a.id FROM accesses a JOIN websites w ON w.id = a.website_id \
         WHERE w.domain = 'shared-example.cn' AND a.provider_id = ?",
    )
    .bind(PROVIDER_B)
    .fetch_one(sim.regulator.pool())
    .await
    .unwrap();
    let upload = UploadData::icp(IcpUpload {
        cancellations: Some(Cancellations {
            items: vec![Cancellation {
                category: CancelCategory::Access,
                record_id: access_id,
                reason: 1,
                reason_remark: None,
                password_hash: Some(icp_mm),
            }],
        }),
        requester_id: PROVIDER_B,
        ..IcpUpload::default()
    });
    let ret = client
        .upload(&upload, DataSequence::FIRST, "cancel.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    sim.advance(31).await;
    codes(&take(&client, ReturnCode::Success).await)
}

#[tokio::test]
async fn a_cancel_access_with_the_right_icp_mm_is_approved() {
    let got = cancel_access(icp_password_hash(fixture::PASSWORD)).await;
    assert_eq!(got, (OperationType::CancelAccess, vec![1001]));
}

#[tokio::test]
async fn a_cancel_access_with_a_wrong_icp_mm_is_refused() {
    let got = cancel_access(icp_password_hash("not-the-password")).await;
    assert_eq!(got, (OperationType::CancelAccess, vec![1018]));
}

#[tokio::test]
async fn verifybamm_takes_the_plain_password_and_locks_after_five_wrong_tries() {
    let sim = start().await;
    let client = client_b(&sim);
    let number = fixture::SPONSORS[0].0;
    let check = |password: String| {
        let client = client.clone();
        async move { client.verify_password(number, &password).await.unwrap() }
    };
    let right = check(fixture::PASSWORD.to_owned()).await;
    assert_eq!(right.code(), Some(ReturnCode::Success), "{right:?}");
    assert_eq!(right.verify_res, Some(PasswordCheck::Correct));
    // `bamm` is the plain password: its MD5 form is a wrong password (and counts as one).
    let md5 = icp_password_hash(fixture::PASSWORD).expose().to_owned();
    for wrong in [
        md5,
        "nope-1".into(),
        "nope-2".into(),
        "nope-3".into(),
        "nope-4".into(),
    ] {
        let ret = check(wrong).await;
        assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
        assert_eq!(ret.verify_res, Some(PasswordCheck::Incorrect));
    }
    // Locked for the day: even the right password is refused with 22.
    let locked = check(fixture::PASSWORD.to_owned()).await;
    assert_eq!(
        locked.code(),
        Some(ReturnCode::PasswordCheckLimit),
        "{locked:?}"
    );
    assert_eq!(locked.verify_res, None);
}
