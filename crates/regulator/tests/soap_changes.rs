//! 变更备案 (`BGBA`) over SOAP: one corrected record of a fixture sponsor and its website
//! becomes the simulator's sponsor, website and access changes; each comes back approved
//! (`Czlx` 4, `Bs` the registry's sponsor id) and the registry shows the new names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod soap_common;

use beian_core::province::Province;
use beian_miit::v3::client::RegulatorClient;
use beian_miit::v3::codes::{OperationType, ReturnCode};
use beian_miit::v3::mapping::{CertificateType, SponsorNature, division_code};
use beian_miit::v3::personal::PersonalData;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::upload::{
    AccessMethods, Address, Certificate, Change, ChangedAccess, ChangedDomain, ChangedSponsor,
    ChangedWebsite, Changes, IcpUpload, Languages, Responsible, ServerLocations, ServiceContents,
    UploadData,
};
use beian_regulator::fixture::{self, PROVIDER_A};
use soap_common::{client, codes, start, take};

fn responsible(name: &str) -> Responsible {
    Responsible {
        name: Some(name.to_owned()),
        office_phone: None,
        mobile: PersonalData::new("13900000000"),
        email: PersonalData::new("ops@example.cn"),
        msn: None,
        qq: None,
        certificate_type: None,
        certificate_number: None,
    }
}

#[tokio::test]
async fn a_change_updates_sponsor_website_and_access() {
    let sim = start().await;
    let client = client(&sim);
    let (sponsor_number, credit_code, _, _) = fixture::SPONSORS[0];
    let pool = sim.regulator.pool();
    let sponsor_id: i64 = sqlx::query_scalar("SELECT id FROM sponsors WHERE number = ?")
        .bind(sponsor_number)
        .fetch_one(pool)
        .await
        .unwrap();
    let (website_id, website_number): (i64, String) =
        sqlx::query_as("SELECT id, number FROM websites WHERE domain = 'yunqi-example.com'")
            .fetch_one(pool)
            .await
            .unwrap();
    let change = Change {
        sponsor: ChangedSponsor {
            id: sponsor_id,
            name: "杭州云栖示例科技股份有限公司".to_owned(),
            icp_number: sponsor_number.to_owned(),
            nature: Some(SponsorNature::Enterprise.code()),
            investor: None,
            address: Address {
                province_id: division_code(Province::ZHEJIANG),
                city_id: Some(330_100),
                county_id: None,
                detail: Some("杭州市西湖区文三路2号".to_owned()),
            },
            certificate: Certificate {
                kind: CertificateType::BusinessLicence.code(),
                number: PersonalData::new(credit_code),
                residence: String::new(),
            },
            responsible: responsible("张伟"),
            remark: None,
        },
        websites: vec![ChangedWebsite {
            id: website_id,
            name: "云栖示例新官网".to_owned(),
            pre_approvals: None,
            service_content: ServiceContents { ids: vec![1] },
            languages: Languages { ids: vec![1] },
            domains: vec![ChangedDomain {
                isp_domain_id: 1,
                id: Some(website_id),
                domain: "yunqi-example.com".to_owned(),
            }],
            accesses: vec![ChangedAccess {
                id: 1,
                locations: ServerLocations { ids: vec![1] },
                methods: AccessMethods { ids: vec![4] },
                ips: Vec::new(),
            }],
            responsible: responsible("李娜"),
            icp_number: website_number.clone(),
            home_url: None,
            remark: None,
        }],
        attachments: Vec::new(),
        password_hash: None,
    };
    let upload = UploadData::icp(IcpUpload {
        changes: Some(Changes {
            items: vec![change],
        }),
        requester_id: PROVIDER_A,
        ..IcpUpload::default()
    });
    let ret = client
        .upload(&upload, DataSequence::FIRST, "change.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    sim.advance(31).await;

    let mut results = Vec::new();
    for want in [
        ReturnCode::MoreToDownload,
        ReturnCode::MoreToDownload,
        ReturnCode::Success,
    ] {
        results.push(take(&client, want).await);
    }
    for icp in &results {
        assert_eq!(codes(icp), (OperationType::Change, vec![1001]));
        let result = &icp.results.as_ref().unwrap().results[0];
        assert_eq!(
            result.subject.as_deref(),
            Some(sponsor_id.to_string().as_str())
        );
    }
    let (name, method): (String, String) = sqlx::query_as(
        "SELECT w.name, a.method FROM websites w JOIN accesses a ON a.website_id = w.id \
         WHERE w.id = ? AND a.provider_id = ?",
    )
    .bind(website_id)
    .bind(PROVIDER_A)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(name, "云栖示例新官网");
    assert_eq!(method, "cloud_server");
    let sponsor_name: String = sqlx::query_scalar("SELECT name FROM sponsors WHERE id = ?")
        .bind(sponsor_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sponsor_name, "杭州云栖示例科技股份有限公司");
}
