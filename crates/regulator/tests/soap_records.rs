//! The SOAP adapter's record mapping over a real listener, without the SMS check: one upload
//! carrying a website cancellation (by registry id), a new website of an unknown sponsor and
//! verification materials; results come back one file at a time (3 while more wait), the
//! cancellation with its `ZXSJ` record once reviewed. A file whose requesting unit is another
//! provider is accepted by the call and refused in a download (5003).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod soap_common;

use beian_miit::v3::client::RegulatorClient;
use beian_miit::v3::codes::{
    AttachmentOwner, CancelCategory, OperationType, ReturnCode, ReviewOutcome,
};
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::upload::{
    Attachment, AttachmentOwnerRef, Cancellation, Cancellations, IcpUpload, Materials, NewWebsite,
    NewWebsites, RecordRef, SponsorRef, UploadData,
};
use beian_regulator::fixture::{self, PROVIDER_A, PROVIDER_B};
use soap_common::{client, codes, site, start, take};

#[tokio::test]
async fn records_map_to_submissions_and_results() {
    let sim = start().await;
    let client = client(&sim);
    let (website_id, website_number): (i64, String) =
        sqlx::query_as("SELECT id, number FROM websites WHERE domain = 'yunqi-example.com'")
            .fetch_one(sim.regulator.pool())
            .await
            .unwrap();
    let upload = UploadData::icp(IcpUpload {
        cancellations: Some(Cancellations {
            items: vec![Cancellation {
                category: CancelCategory::Website,
                record_id: website_id,
                reason: 1,
                reason_remark: Some("网站关闭".to_owned()),
                password_hash: None,
            }],
        }),
        materials: Some(Materials {
            items: vec![Attachment {
                format: 1,
                purpose: 1,
                content: "aGVsbG8=".to_owned(),
                owner: AttachmentOwnerRef {
                    kind: AttachmentOwner::Website,
                    record: RecordRef {
                        id: None,
                        icp_number: Some(website_number.clone()),
                    },
                },
                remark: None,
            }],
        }),
        requester_id: PROVIDER_A,
        ..IcpUpload::default()
    });
    // The materials are answered at once; the cancellation waits for the review.
    let ret = client
        .upload(&upload, DataSequence::FIRST, "records.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");

    let materials = take(&client, ReturnCode::Success).await;
    assert_eq!(
        codes(&materials),
        (OperationType::VerificationMaterials, vec![1060])
    );
    assert_eq!(
        materials.results.as_ref().unwrap().results[0]
            .subject
            .as_deref(),
        Some(website_number.as_str())
    );
    assert_eq!(
        client.download().await.unwrap().ret.code(),
        Some(ReturnCode::NothingToDownload)
    );

    // Reviewed after the delay: the website is cancelled.
    sim.regulator
        .clock()
        .simulated()
        .unwrap()
        .advance_minutes(31)
        .unwrap();
    sim.regulator.tick().await.unwrap();
    let cancelled = take(&client, ReturnCode::Success).await;
    assert_eq!(
        codes(&cancelled),
        (OperationType::CancelWebsite, vec![1001])
    );
    let record = &cancelled.cancelled.as_ref().unwrap().items[0];
    assert_eq!(record.category, CancelCategory::Website);
    assert_eq!(record.record_id, website_id);
    let review = &cancelled
        .results
        .as_ref()
        .unwrap()
        .reviews
        .as_ref()
        .unwrap()
        .items[0];
    assert_eq!(review.outcome, ReviewOutcome::Approved);
    assert!(cancelled.registrations.is_none());
}

#[tokio::test]
async fn unknown_records_and_foreign_files_are_refused_in_downloads() {
    let sim = start().await;
    let client = client(&sim);
    // A new website whose sponsor id is unknown, and a website cancellation of a record id
    // that does not exist: 1058 and 1059, both at once (3 while the other waits).
    let upload = UploadData::icp(IcpUpload {
        new_websites: Some(NewWebsites {
            items: vec![NewWebsite {
                sponsor: SponsorRef {
                    icp_number: None,
                    id: Some(999_999),
                },
                websites: vec![site()],
                attachments: Vec::new(),
                password_hash: None,
            }],
        }),
        cancellations: Some(Cancellations {
            items: vec![Cancellation {
                category: CancelCategory::Website,
                record_id: 888_888,
                reason: 1,
                reason_remark: None,
                password_hash: None,
            }],
        }),
        requester_id: PROVIDER_A,
        ..IcpUpload::default()
    });
    let ret = client
        .upload(&upload, DataSequence::FIRST, "unknown.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    let first = take(&client, ReturnCode::MoreToDownload).await;
    let second = take(&client, ReturnCode::Success).await;
    let mut got = vec![codes(&first), codes(&second)];
    got.sort_by_key(|(op, _)| op.code());
    assert_eq!(
        got,
        vec![
            (OperationType::NewWebsite, vec![1058]),
            (OperationType::CancelWebsite, vec![1059]),
        ]
    );

    // A file whose requesting unit is the other provider: accepted, then refused with 5003.
    let foreign = UploadData::icp(IcpUpload {
        cancellations: upload.icp.as_ref().unwrap().cancellations.clone(),
        requester_id: PROVIDER_B,
        ..IcpUpload::default()
    });
    let ret = client
        .upload(&foreign, DataSequence::new(2).unwrap(), "foreign.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    let refused = take(&client, ReturnCode::Success).await;
    assert_eq!(codes(&refused).1, vec![5003]);
    assert!(refused.results.as_ref().unwrap().reviews.is_none());
}

#[tokio::test]
async fn a_refusal_comes_back_with_its_code_and_no_registration() {
    let sim = start().await;
    let client = client(&sim);
    let site = site();
    let domain = site.domains[0].domain.clone();
    sim.regulator
        .blacklist_domain(&domain, "测试黑名单")
        .await
        .unwrap();
    let sponsor_number = fixture::SPONSORS[0].0;
    let upload = UploadData::icp(IcpUpload {
        new_websites: Some(NewWebsites {
            items: vec![NewWebsite {
                sponsor: SponsorRef {
                    icp_number: Some(sponsor_number.to_owned()),
                    id: None,
                },
                websites: vec![site],
                attachments: Vec::new(),
                password_hash: None,
            }],
        }),
        requester_id: PROVIDER_A,
        ..IcpUpload::default()
    });
    let ret = client
        .upload(&upload, DataSequence::FIRST, "blacklisted.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    sim.regulator
        .clock()
        .simulated()
        .unwrap()
        .advance_minutes(31)
        .unwrap();
    sim.regulator.tick().await.unwrap();
    let refused = take(&client, ReturnCode::Success).await;
    assert_eq!(codes(&refused), (OperationType::NewWebsite, vec![1064]));
    let results = refused.results.as_ref().unwrap();
    assert_eq!(results.results[0].subject.as_deref(), Some(sponsor_number));
    let review = &results.reviews.as_ref().unwrap().items[0];
    assert_eq!(review.outcome, ReviewOutcome::Rejected);
    assert_eq!(review.reviewed, "2026-03-02");
    assert!(refused.registrations.is_none());
}
