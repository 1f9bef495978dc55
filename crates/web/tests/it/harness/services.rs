//! The tests that call the workflow services without HTTP: the in-test registry
//! ([`FakeRegistry`]: what the national registry would answer through
//! `isp_querybeianstatus` and `isp_verifybamm` for the filings each test sets up; upload and
//! download are not used by these services and answer an HTTP error — the bundled regulator
//! simulator is tested elsewhere), accounts, service-level inputs and forms, service numbers
//! and an order ready to submit. Those tests `use crate::harness::services::*`.
#![allow(unused_imports)]

pub use super::inputs::{credit_code, resident_id};
pub use super::setup::placeholder_materials;
pub use std::collections::HashMap;
pub use std::sync::Mutex;

pub use async_trait::async_trait;
pub use beian_core::credit_code::CreditCode;
pub use beian_core::filing::{FilingRefusal, ProviderId, SponsorField};
pub use beian_core::kind::FilingKind;
pub use beian_core::order::{OrderState, Refusal, Requirement};
pub use beian_miit::v3::client::{
    ClientError, DownloadOutcome, PreviousUploadOutcome, RegulatorClient,
};
pub use beian_miit::v3::codes::{FilingStatus, PasswordCheck, QueryConditionType, ReturnCode};
pub use beian_miit::v3::returns::{MethodReturn, StatusInfo};
pub use beian_miit::v3::sequence::DataSequence;
pub use beian_miit::v3::upload::UploadData;
pub use beian_platform::workflow::{
    ABANDON_ACCESS_WARNING, Acting, FilingCheckInput, PersonForm, ReturnReasonInput,
    ServiceNumberRefusal, SponsorForm, SponsorIdentityInput, WebsiteForm, Workflow, WorkflowError,
};
pub use beian_store::Store;
pub use beian_store::accounts::{NewAccount, Role};
pub use beian_store::orders::NewMaterial;
pub use beian_store::products::{NewInstance, ServiceNumberStatus};
pub use beian_store::sponsors::{Person, SponsorData};
pub use beian_store::testing::each_backend;
pub use beian_store::workflow_support::FiledTable;

pub const PROVIDER: ProviderId = ProviderId(1001);
pub const PASSWORD_ATTEMPTS: u32 = 3;

/// The national registry's answers for one test.
#[derive(Default)]
pub struct FakeRegistry {
    /// certificate number → sponsor number
    sponsors: HashMap<String, String>,
    /// domain → (sponsor number, website number, website name)
    websites: HashMap<String, (String, String, String)>,
    /// sponsor number → filing password
    passwords: HashMap<String, String>,
    failed_attempts: Mutex<u32>,
}

impl FakeRegistry {
    pub fn sponsor(mut self, cert: &str, number: &str, password: &str) -> Self {
        self.sponsors.insert(cert.to_owned(), number.to_owned());
        self.passwords
            .insert(number.to_owned(), password.to_owned());
        self
    }
    pub fn website(mut self, domain: &str, sponsor_number: &str) -> Self {
        self.websites.insert(
            domain.to_owned(),
            (
                sponsor_number.to_owned(),
                format!("{sponsor_number}-1"),
                "已备案网站".to_owned(),
            ),
        );
        self
    }
}

pub fn not_used() -> ClientError {
    ClientError::Http("not used by the workflow services".into())
}

#[async_trait]
impl RegulatorClient for FakeRegistry {
    async fn upload(
        &self,
        _: &UploadData,
        _: DataSequence,
        _: &str,
    ) -> Result<MethodReturn, ClientError> {
        Err(not_used())
    }
    async fn download(&self) -> Result<DownloadOutcome, ClientError> {
        Err(not_used())
    }
    async fn download_ack(&self, _: &str) -> Result<MethodReturn, ClientError> {
        Err(not_used())
    }
    async fn query_previous_upload(&self) -> Result<PreviousUploadOutcome, ClientError> {
        Err(not_used())
    }
    async fn query_beian_status(
        &self,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<MethodReturn, ClientError> {
        let (sponsor_number, website_number, website_name) =
            if condition_type == QueryConditionType::Domain {
                match self.websites.get(condition) {
                    Some((s, w, n)) => (Some(s.clone()), Some(w.clone()), Some(n.clone())),
                    None => (None, None, None),
                }
            } else {
                (self.sponsors.get(condition).cloned(), None, None)
            };
        let status = if sponsor_number.is_some() {
            FilingStatus::Filed
        } else {
            FilingStatus::NotFiled
        };
        Ok(MethodReturn {
            status_info: Some(StatusInfo {
                condition_type,
                condition: condition.to_owned(),
                website_name,
                sponsor_number,
                website_number,
                status,
                sponsor: None,
            }),
            ..MethodReturn::of(ReturnCode::Success)
        })
    }
    async fn verify_password(
        &self,
        icp_number: &str,
        password: &str,
    ) -> Result<MethodReturn, ClientError> {
        let mut failed = self.failed_attempts.lock().unwrap();
        if *failed >= PASSWORD_ATTEMPTS {
            return Ok(MethodReturn::of(ReturnCode::PasswordCheckLimit));
        }
        let ok = self
            .passwords
            .get(icp_number)
            .is_some_and(|p| p == password);
        if !ok {
            *failed += 1;
        }
        Ok(MethodReturn {
            verify_res: Some(if ok {
                PasswordCheck::Correct
            } else {
                PasswordCheck::Incorrect
            }),
            ..MethodReturn::of(ReturnCode::Success)
        })
    }
}

pub const ZJ_SPONSOR: &str = "浙ICP备2021012345号";
pub const OTHER_SPONSOR: &str = "浙ICP备2020000001号";

pub async fn account(store: &Store, name: &str) -> Acting {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_account(
            "system",
            &NewAccount {
                username: name,
                password_hash: "x",
                email: &format!("{name}@example.cn"),
                mobile: Some("13800138000"),
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Acting::applicant(id)
}

pub fn reviewer() -> Acting {
    Acting {
        account_id: "reviewer-1".into(),
        role: Role::Reviewer,
    }
}

pub fn check(domain: &str, cert: &str, name: &str) -> FilingCheckInput {
    FilingCheckInput {
        domain: domain.into(),
        sponsor: SponsorIdentityInput {
            province: "33".into(),
            nature: "enterprise".into(),
            certificate_type: "credit_code".into(),
            certificate_number: cert.into(),
            name: name.into(),
        },
        app: None,
    }
}

/// A sponsor we hold, filed through us with `number`, for `account`.
pub async fn filed_sponsor(store: &Store, acting: &Acting, cert: &str, name: &str, number: &str) {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_sponsor(
            "system",
            &SponsorData {
                account_id: Some(acting.account_id.clone()),
                province: "33".into(),
                nature: "enterprise".into(),
                certificate_type: "credit_code".into(),
                certificate_number: cert.into(),
                name: name.into(),
                address: "杭州市".into(),
                responsible: Person {
                    name: "张三".into(),
                    certificate_type: "resident_id".into(),
                    certificate_number: resident_id(1),
                    mobile: "13800138000".into(),
                    email: "a@example.cn".into(),
                },
            },
        )
        .await
        .unwrap();
    tx.set_icp_number("system", FiledTable::Sponsor, &id, number)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub fn person(serial: u32) -> PersonForm {
    PersonForm {
        name: "张三".into(),
        certificate_type: "resident_id".into(),
        certificate_number: resident_id(serial),
        mobile: "13800138000".into(),
        email: "zhang@example.cn".into(),
        emergency_mobile: "13900139000".into(),
        office_phone: "0571-88888888".into(),
    }
}

pub fn sponsor_form(input: &FilingCheckInput) -> SponsorForm {
    SponsorForm {
        identity: input.sponsor.clone(),
        address: "浙江省杭州市西湖区文三路 1 号".into(),
        responsible: person(1),
        responsible_is_legal_representative: None,
    }
}

pub fn website_form(domain: &str) -> WebsiteForm {
    WebsiteForm {
        name: "示例网站".into(),
        domain: domain.into(),
        home_url: format!("https://www.{domain}/"),
        service_content: "企业官网".into(),
        languages: vec!["zh_cn".into()],
        responsible: person(1),
        pre_approvals: vec![],
    }
}

/// An instance with `months` of term left and a service number on it.
pub async fn service_number(
    store: &Store,
    number: &str,
    product: &str,
    ip: Option<&str>,
    days_left: i64,
    status: &str,
) {
    let now = store.now().timestamp_millis();
    let mut tx = store.begin().await.unwrap();
    let instance = tx
        .insert_instance(
            "system",
            &NewInstance {
                account_id: None,
                product,
                public_ip: ip,
                term_start: now - 86_400_000,
                term_end: now + days_left * 86_400_000,
            },
        )
        .await
        .unwrap();
    if status != "running" {
        tx.set_instance_status("system", &instance, status)
            .await
            .unwrap();
    }
    tx.insert_service_number("system", &instance, number)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A first-filing order with forms, product and materials done.
pub async fn ready_first_filing(
    wf: &Workflow<'_>,
    acting: &Acting,
    domain: &str,
    sn: &str,
) -> String {
    let input = check(domain, &credit_code(1), "杭州示例科技有限公司");
    let created = wf.create_order(acting, &input).await.unwrap();
    assert_eq!(created.check.kind, FilingKind::FirstFiling);
    let id = created.order_id;
    wf.update_sponsor(acting, &id, &sponsor_form(&input))
        .await
        .unwrap();
    wf.update_website(acting, &id, &website_form(domain))
        .await
        .unwrap();
    service_number(wf.store, sn, "ecs", Some("203.0.113.7"), 365, "running").await;
    wf.bind_service_number(acting, &id, sn).await.unwrap();
    placeholder_materials(wf.store, &id).await;
    id
}

pub fn refusal(e: WorkflowError) -> FilingRefusal {
    match e {
        WorkflowError::Refused(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}
