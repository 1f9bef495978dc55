//! The workflow services over both backends (`each_backend`): filing check (every kind and
//! refusal), order creation, forms validation and locks, product verification, password
//! check, submission, return, resubmission and abandon.
//!
//! The registry is [`FakeRegistry`], an in-test implementation of the MIIT client trait that
//! answers `isp_querybeianstatus` and `isp_verifybamm` the way the national registry holding
//! the filings each test sets up would (codes, `StatusInfo`, `VerifyRes`, the lockout code
//! 22). The other methods (upload, download) are not used by these services and answer an
//! HTTP error. The bundled regulator simulator is tested elsewhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use beian_core::credit_code::CreditCode;
use beian_core::filing::{FilingRefusal, ProviderId, SponsorField};
use beian_core::kind::FilingKind;
use beian_core::order::{OrderState, Refusal, Requirement};
use beian_miit::v3::client::{
    ClientError, DownloadOutcome, PreviousUploadOutcome, RegulatorClient,
};
use beian_miit::v3::codes::{FilingStatus, PasswordCheck, QueryConditionType, ReturnCode};
use beian_miit::v3::returns::{MethodReturn, StatusInfo};
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::upload::UploadData;
use beian_server::workflow::{
    ABANDON_ACCESS_WARNING, Acting, FilingCheckInput, PersonForm, ReturnReasonInput,
    ServiceNumberRefusal, SponsorForm, SponsorIdentityInput, WebsiteForm, Workflow, WorkflowError,
};
use beian_store::Store;
use beian_store::accounts::{NewAccount, Role};
use beian_store::orders::NewMaterial;
use beian_store::products::{NewInstance, ServiceNumberStatus};
use beian_store::sponsors::{Person, SponsorData};
use beian_store::testing::each_backend;
use beian_store::workflow_support::FiledTable;

const PROVIDER: ProviderId = ProviderId(1001);
const PASSWORD_ATTEMPTS: u32 = 3;

/// The national registry's answers for one test.
#[derive(Default)]
struct FakeRegistry {
    /// certificate number → sponsor number
    sponsors: HashMap<String, String>,
    /// domain → (sponsor number, website number, website name)
    websites: HashMap<String, (String, String, String)>,
    /// sponsor number → filing password
    passwords: HashMap<String, String>,
    failed_attempts: Mutex<u32>,
}

impl FakeRegistry {
    fn sponsor(mut self, cert: &str, number: &str, password: &str) -> Self {
        self.sponsors.insert(cert.to_owned(), number.to_owned());
        self.passwords
            .insert(number.to_owned(), password.to_owned());
        self
    }
    fn website(mut self, domain: &str, sponsor_number: &str) -> Self {
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

fn not_used() -> ClientError {
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

fn credit_code(serial: u32) -> String {
    CreditCode::from_parts(&format!("91330106{serial:08}"))
        .unwrap()
        .as_str()
        .to_owned()
}

fn resident_id(serial: u32) -> String {
    let body = format!("33010619900101{:03}", serial % 1000);
    let check = beian_core::resident_id::check_character(&body).unwrap();
    format!("{body}{check}")
}

const ZJ_SPONSOR: &str = "浙ICP备2021012345号";
const OTHER_SPONSOR: &str = "浙ICP备2020000001号";

async fn account(store: &Store, name: &str) -> Acting {
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

fn reviewer() -> Acting {
    Acting {
        account_id: "reviewer-1".into(),
        role: Role::Reviewer,
    }
}

fn check(domain: &str, cert: &str, name: &str) -> FilingCheckInput {
    FilingCheckInput {
        domain: domain.into(),
        sponsor: SponsorIdentityInput {
            province: "33".into(),
            nature: "enterprise".into(),
            certificate_type: "credit_code".into(),
            certificate_number: cert.into(),
            name: name.into(),
        },
    }
}

/// A sponsor we hold, filed through us with `number`, for `account`.
async fn filed_sponsor(store: &Store, acting: &Acting, cert: &str, name: &str, number: &str) {
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

fn person(serial: u32) -> PersonForm {
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

fn sponsor_form(input: &FilingCheckInput) -> SponsorForm {
    SponsorForm {
        identity: input.sponsor.clone(),
        address: "浙江省杭州市西湖区文三路 1 号".into(),
        responsible: person(1),
    }
}

fn website_form(domain: &str) -> WebsiteForm {
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
async fn service_number(
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

async fn upload_everything(store: &Store, order_id: &str) {
    let mut tx = store.begin().await.unwrap();
    for (i, kind) in [
        "business_license",
        "sponsor_id_front",
        "sponsor_id_back",
        "website_owner_id_front",
        "website_owner_id_back",
        "verification_form",
        "domain_certificate",
        "pre_approval",
    ]
    .into_iter()
    .enumerate()
    {
        tx.insert_material(
            "test",
            &NewMaterial {
                order_id,
                kind,
                object_key: &format!("{order_id}/{i}"),
                content_type: "image/jpeg",
                size: 10,
                sha256_hex: "00",
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A first-filing order with forms, product and materials done.
async fn ready_first_filing(wf: &Workflow<'_>, acting: &Acting, domain: &str, sn: &str) -> String {
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
    upload_everything(wf.store, &id).await;
    id
}

fn refusal(e: WorkflowError) -> FilingRefusal {
    match e {
        WorkflowError::Refused(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn filing_check_decides_every_kind() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let b = account(store, "b").await;
        let c = account(store, "c").await;
        let (cert_here, cert_elsewhere) = (credit_code(10), credit_code(11));
        filed_sponsor(store, &a, &cert_here, "杭州甲公司", ZJ_SPONSOR).await;
        let registry = FakeRegistry::default()
            .sponsor(&cert_here, ZJ_SPONSOR, "pw")
            .sponsor(&cert_elsewhere, OTHER_SPONSOR, "pw2")
            .website("filed-here-sponsor.cn", ZJ_SPONSOR)
            .website("filed-elsewhere.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);

        let cases = [
            (
                &c,
                check("new.cn", &credit_code(12), "新公司"),
                FilingKind::FirstFiling,
            ),
            (
                &a,
                check("second.cn", &cert_here, "杭州甲公司"),
                FilingKind::NewWebsite,
            ),
            (
                &b,
                check("third.cn", &cert_elsewhere, "乙公司"),
                FilingKind::NewWebsiteElsewhereSponsor,
            ),
            (
                &b,
                check("filed-elsewhere.cn", &cert_elsewhere, "乙公司"),
                FilingKind::NewAccess,
            ),
            (
                &a,
                check("filed-here-sponsor.cn", &cert_here, "杭州甲公司"),
                FilingKind::ContinueAccess,
            ),
        ];
        for (acting, input, kind) in cases {
            let result = wf.filing_check(acting, &input).await.unwrap();
            assert_eq!(result.kind, kind, "{}", input.domain);
            assert_eq!(result.access_only, kind.is_access());
            assert_eq!(result.needs_filing_password, kind.needs_filing_password());
        }
        let access = wf
            .filing_check(&b, &check("filed-elsewhere.cn", &cert_elsewhere, "乙公司"))
            .await
            .unwrap();
        assert_eq!(
            access.registry.sponsor_number.as_deref(),
            Some(OTHER_SPONSOR)
        );
        assert_eq!(
            access.registry.website_number.as_deref(),
            Some(format!("{OTHER_SPONSOR}-1").as_str())
        );
    })
    .await;
}

#[tokio::test]
async fn filing_check_refusals() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let b = account(store, "b").await;
        let cert_a = credit_code(20);
        filed_sponsor(store, &a, &cert_a, "杭州甲公司", ZJ_SPONSOR).await;
        // A website of ours, filed and hosted here.
        let sponsor = store
            .sponsor_of_account(&a.account_id)
            .await
            .unwrap()
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let w = tx
            .insert_website(
                "system",
                &beian_store::sponsors::WebsiteData {
                    sponsor_id: sponsor.id.clone(),
                    name: "甲网站".into(),
                    domain: "hosted.cn".into(),
                    home_url: "https://hosted.cn".into(),
                    service_content: "x".into(),
                    details: serde_json::json!({}),
                    responsible: sponsor.data.responsible.clone(),
                },
            )
            .await
            .unwrap();
        tx.set_icp_number(
            "system",
            FiledTable::Website,
            &w,
            &format!("{ZJ_SPONSOR}-1"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let registry = FakeRegistry::default()
            .sponsor(&cert_a, ZJ_SPONSOR, "pw")
            .website("hosted.cn", ZJ_SPONSOR)
            .website("others.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);

        let r = refusal(
            wf.filing_check(&a, &check("hosted.cn", &cert_a, "杭州甲公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(r, FilingRefusal::DomainAccessedHere);
        let r = refusal(
            wf.filing_check(&a, &check("others.cn", &cert_a, "杭州甲公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(r.code(), "domain_of_other_sponsor");
        let r = refusal(
            wf.filing_check(&a, &check("x.cn", &cert_a, "杭州乙公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            r,
            FilingRefusal::SponsorMismatch {
                fields: vec![SponsorField::Name]
            }
        );
        let mut shanghai = check("x.cn", &cert_a, "杭州甲公司");
        shanghai.sponsor.province = "31".into();
        let r = refusal(wf.filing_check(&a, &shanghai).await.unwrap_err());
        assert_eq!(r.fields(), &[SponsorField::Province]);
        let r = refusal(
            wf.filing_check(&a, &check("x.cn", &credit_code(21), "别的公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(r, FilingRefusal::AccountHasOtherSponsor);
        let e = wf
            .filing_check(&b, &check("x.cn", &cert_a, "杭州甲公司"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "sponsor_of_other_account");

        // An open order blocks the sponsor's next check, naming the order.
        let open = wf
            .create_order(&a, &check("new-one.cn", &cert_a, "杭州甲公司"))
            .await
            .unwrap();
        assert_eq!(open.check.kind, FilingKind::NewWebsite);
        let r = refusal(
            wf.filing_check(&a, &check("new-two.cn", &cert_a, "杭州甲公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            r,
            FilingRefusal::OrderInProgress {
                order_id: open.order_id.clone()
            }
        );
        assert_eq!(r.code(), "order_in_progress");
    })
    .await;
}

#[tokio::test]
async fn filing_check_names_every_bad_field() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let mut input = check("not a domain", "91330106000000XX", " ");
        input.sponsor.province = "99".into();
        input.sponsor.nature = "company".into();
        let WorkflowError::Invalid(errors) = wf.filing_check(&a, &input).await.unwrap_err() else {
            panic!("expected field errors");
        };
        let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "domain",
                "sponsor.certificate_number",
                "sponsor.name",
                "sponsor.nature",
                "sponsor.province"
            ]
        );
        assert_eq!(errors["sponsor.name"].key, "workflow.required");
        // An individual with a credit code.
        let mut input = check("ok.cn", &credit_code(1), "张三");
        input.sponsor.nature = "individual".into();
        let WorkflowError::Invalid(errors) = wf.filing_check(&a, &input).await.unwrap_err() else {
            panic!("expected field errors");
        };
        assert_eq!(
            errors["sponsor.certificate_type"].key,
            "workflow.certificate_type_for_nature"
        );
    })
    .await;
}

#[tokio::test]
async fn create_order_makes_sponsor_website_and_draft() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let b = account(store, "b").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("Example.CN", &credit_code(30), "杭州示例科技有限公司");
        let created = wf.create_order(&a, &input).await.unwrap();
        assert_eq!(created.state, OrderState::Draft);
        assert_eq!(created.check.kind, FilingKind::FirstFiling);

        let order = store.order(&created.order_id).await.unwrap();
        assert_eq!(order.kind, "first_filing");
        assert_eq!(order.state, "draft");
        assert_eq!(order.province, "33");
        let sponsor = store
            .sponsor_of_account(&a.account_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sponsor.id, created.sponsor_id);
        assert_eq!(sponsor.data.certificate_number, credit_code(30));
        let website = store
            .website_by_domain("example.cn")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(website.id, created.website_id);
        let timeline = store.order_timeline(&created.order_id).await.unwrap();
        assert_eq!(timeline.len(), 1);
        assert_eq!(timeline[0].event, "create");
        let view = wf.order_view(&a, &created.order_id).await.unwrap();
        assert_eq!(view.forms.website.domain, "example.cn");
        assert_eq!(view.forms.sponsor.identity.name, "杭州示例科技有限公司");
        // The audit chain holds the creation and verifies.
        let head = beian_store::audit::head_file_path(store);
        let report = beian_store::verify_audit(store, &head).await.unwrap();
        assert!(report.records > 0);
        // Another account cannot see it, nor take the domain.
        assert!(matches!(
            wf.order_view(&b, &created.order_id).await,
            Err(WorkflowError::NotFound { .. })
        ));
        let e = wf
            .create_order(&b, &check("example.cn", &credit_code(31), "别人"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "domain_in_use");
    })
    .await;
}

#[tokio::test]
async fn forms_name_every_bad_field() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("forms.cn", &credit_code(40), "杭州示例科技有限公司");
        let id = wf.create_order(&a, &input).await.unwrap().order_id;

        let mut form = sponsor_form(&input);
        form.address = String::new();
        form.responsible.mobile = "1380013800".into();
        form.responsible.email = "not-an-email".into();
        form.responsible.emergency_mobile = "13800138000".into();
        let mut bad_id = resident_id(123);
        let last = bad_id.pop().unwrap();
        bad_id.push(if last == '0' { '1' } else { '0' });
        form.responsible.certificate_number = bad_id;
        let WorkflowError::Invalid(errors) = wf.update_sponsor(&a, &id, &form).await.unwrap_err()
        else {
            panic!("expected field errors");
        };
        let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "sponsor.address",
                "sponsor.responsible.certificate_number",
                "sponsor.responsible.email",
                "sponsor.responsible.mobile",
            ],
            "the emergency mobile is compared only with a valid mobile"
        );
        form.responsible.mobile = "13800138000".into();
        let WorkflowError::Invalid(errors) = wf.update_sponsor(&a, &id, &form).await.unwrap_err()
        else {
            panic!("expected field errors");
        };
        assert_eq!(
            errors["sponsor.responsible.emergency_mobile"].key,
            "workflow.emergency_mobile_same"
        );

        let mut site = website_form("forms.cn");
        site.home_url = "https://forms.com/".into();
        site.languages = vec![];
        site.responsible = person(2);
        site.responsible.office_phone = "12".into();
        let WorkflowError::Invalid(errors) = wf.update_website(&a, &id, &site).await.unwrap_err()
        else {
            panic!("expected field errors");
        };
        let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "website.home_url",
                "website.languages",
                "website.responsible.office_phone"
            ]
        );
        // Nothing was saved.
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(view.forms.sponsor.address, "");
        // The domain decided the kind: changing it is refused even in a draft.
        let mut moved = website_form("other.cn");
        moved.home_url = "https://other.cn".into();
        let e = wf.update_website(&a, &id, &moved).await.unwrap_err();
        assert!(
            matches!(&e, WorkflowError::FieldLocked { fields } if fields == &["website.domain"]),
            "{e:?}"
        );
        // A valid form saves, and the responsible person may differ from the sponsor's.
        wf.update_website(&a, &id, &site_ok("forms.cn"))
            .await
            .unwrap();
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(
            view.forms.website.responsible.certificate_number,
            resident_id(2)
        );
    })
    .await;
}

fn site_ok(domain: &str) -> WebsiteForm {
    let mut site = website_form(domain);
    site.responsible = person(2);
    site
}

#[tokio::test]
async fn access_filing_changes_contact_fields_only() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let cert = credit_code(50);
        let registry = FakeRegistry::default()
            .sponsor(&cert, OTHER_SPONSOR, "secret")
            .website("access.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("access.cn", &cert, "乙公司");
        let created = wf.create_order(&a, &input).await.unwrap();
        assert_eq!(created.check.kind, FilingKind::NewAccess);
        let id = created.order_id;
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(
            view.forms.website.name, "已备案网站",
            "prefilled from the registry"
        );

        // First fill of the empty fields is allowed (V3 does not return them).
        let form = sponsor_form(&input);
        wf.update_sponsor(&a, &id, &form).await.unwrap();
        // Then only contact fields change.
        let mut changed = form.clone();
        changed.address = "别的地址".into();
        changed.responsible.name = "李四".into();
        changed.responsible.mobile = "13700137000".into();
        let e = wf.update_sponsor(&a, &id, &changed).await.unwrap_err();
        let WorkflowError::FieldLocked { fields } = &e else {
            panic!("expected field_locked, got {e:?}");
        };
        assert_eq!(fields, &["sponsor.address", "sponsor.responsible.name"]);
        assert_eq!(e.code(), "field_locked");
        assert_eq!(e.status(), 409);
        let mut contact = form.clone();
        contact.responsible.mobile = "13700137000".into();
        contact.responsible.email = "new@example.cn".into();
        wf.update_sponsor(&a, &id, &contact).await.unwrap();
        let mut renamed = website_form("access.cn");
        renamed.name = "另一个名字".into();
        let e = wf.update_website(&a, &id, &renamed).await.unwrap_err();
        assert!(
            matches!(e, WorkflowError::FieldLocked { ref fields } if fields == &["website.name"])
        );
    })
    .await;
}

#[tokio::test]
async fn service_number_binding_rules() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("binding.cn", &credit_code(60), "杭州示例科技有限公司");
        let id = wf.create_order(&a, &input).await.unwrap().order_id;

        service_number(store, "SN-SHORT", "ecs", Some("203.0.113.1"), 60, "running").await;
        service_number(store, "SN-NOIP", "ecs", None, 365, "running").await;
        service_number(
            store,
            "SN-STOPPED",
            "ecs",
            Some("203.0.113.2"),
            365,
            "stopped",
        )
        .await;
        service_number(
            store,
            "SN-EXPIRED",
            "ecs",
            Some("203.0.113.3"),
            -1,
            "running",
        )
        .await;
        service_number(
            store,
            "SN-SHOP",
            "storefront",
            Some("203.0.113.4"),
            365,
            "running",
        )
        .await;
        service_number(store, "SN-USED", "ecs", Some("203.0.113.5"), 365, "running").await;
        service_number(store, "SN-GOOD", "ecs", Some("203.0.113.6"), 365, "running").await;
        service_number(
            store,
            "SN-GOOD2",
            "ecs",
            Some("203.0.113.7"),
            365,
            "running",
        )
        .await;
        let mut tx = store.begin().await.unwrap();
        tx.set_service_number_status(
            "system",
            "SN-USED",
            ServiceNumberStatus::Unbound,
            ServiceNumberStatus::Filed,
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        for (number, refusal) in [
            ("SN-NONE", ServiceNumberRefusal::Unknown),
            ("SN-SHORT", ServiceNumberRefusal::TermTooShort),
            ("SN-NOIP", ServiceNumberRefusal::NoPublicIp),
            ("SN-STOPPED", ServiceNumberRefusal::InstanceNotRunning),
            ("SN-EXPIRED", ServiceNumberRefusal::InstanceNotRunning),
            ("SN-SHOP", ServiceNumberRefusal::WrongProduct),
            ("SN-USED", ServiceNumberRefusal::Used),
        ] {
            let e = wf.bind_service_number(&a, &id, number).await.unwrap_err();
            assert!(
                matches!(e, WorkflowError::ServiceNumber(r) if r == refusal),
                "{number}: {e:?}"
            );
        }
        wf.bind_service_number(&a, &id, "SN-GOOD").await.unwrap();
        let sn = store.service_number("SN-GOOD").await.unwrap();
        assert_eq!(sn.status, ServiceNumberStatus::Bound);
        assert_eq!(sn.order_id.as_deref(), Some(id.as_str()));
        // A bound number cannot back another order.
        let b = account(store, "b").await;
        let other = wf
            .create_order(&b, &check("binding2.cn", &credit_code(61), "另一公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf
            .bind_service_number(&b, &other, "SN-GOOD")
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            WorkflowError::ServiceNumber(ServiceNumberRefusal::Used)
        ));
        // Binding another number releases the first.
        wf.bind_service_number(&a, &id, "SN-GOOD2").await.unwrap();
        assert_eq!(
            store.service_number("SN-GOOD").await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(view.service_number.as_deref(), Some("SN-GOOD2"));
    })
    .await;
}

#[tokio::test]
async fn storefront_needs_an_active_subscription() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = wf
            .create_order(&a, &check("shop.cn", &credit_code(70), "旺铺公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf.verify_storefront(&a, &id).await.unwrap_err();
        assert_eq!(e.code(), "no_storefront_subscription");
        let now = store.now().timestamp_millis();
        let mut tx = store.begin().await.unwrap();
        tx.insert_storefront_subscription("system", &a.account_id, "expired", now - 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(wf.verify_storefront(&a, &id).await.is_err());
        let mut tx = store.begin().await.unwrap();
        tx.insert_storefront_subscription("system", &a.account_id, "active", now + 86_400_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        wf.verify_storefront(&a, &id).await.unwrap();
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(
            view.product_line,
            Some(beian_core::order::ProductLine::Storefront)
        );
    })
    .await;
}

#[tokio::test]
async fn submit_incomplete_names_what_is_missing() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("missing.cn", &credit_code(80), "杭州示例科技有限公司");
        let id = wf.create_order(&a, &input).await.unwrap().order_id;
        let e = wf.submit(&a, &id).await.unwrap_err();
        let WorkflowError::NotReady {
            transition,
            materials,
            fields,
        } = &e
        else {
            panic!("expected not_ready, got {e:?}");
        };
        let Refusal::NotReady { missing } = &transition.refusal else {
            panic!("{transition:?}");
        };
        assert_eq!(
            missing,
            &[
                Requirement::FormsComplete,
                Requirement::MaterialsComplete,
                Requirement::ProductVerified
            ]
        );
        assert!(fields.contains(&"sponsor.address".to_owned()), "{fields:?}");
        assert!(
            fields.contains(&"website.home_url".to_owned()),
            "{fields:?}"
        );
        let names: Vec<&str> = materials.iter().map(|m| m.as_str()).collect();
        assert!(names.contains(&"business_license"), "{names:?}");
        assert!(names.contains(&"verification_form"), "{names:?}");
        assert_eq!(e.status(), 409);
        assert!(
            e.fields(beian_core::i18n::Locale::ZhCn)
                .contains_key("materials.business_license")
        );
        assert_eq!(store.order(&id).await.unwrap().state, "draft");
    })
    .await;
}

#[tokio::test]
async fn submit_return_edit_resubmit() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "flow.cn", "SN-FLOW").await;
        let submitted = wf.submit(&a, &id).await.unwrap();
        assert_eq!(submitted.state, OrderState::ProviderReview);
        assert_eq!(store.order(&id).await.unwrap().state, "provider_review");
        assert_eq!(
            store.service_number("SN-FLOW").await.unwrap().status,
            ServiceNumberStatus::Filing
        );
        // Not editable under review.
        let input = check("flow.cn", &credit_code(1), "杭州示例科技有限公司");
        let e = wf.update_sponsor(&a, &id, &sponsor_form(&input)).await.unwrap_err();
        assert_eq!(e.code(), "order_not_editable");
        // An applicant cannot return it.
        assert!(wf.provider_return(&a, &id, &[]).await.is_err());
        let (pending_before, _, _, _) = store.job_counts().await.unwrap();
        let reasons = [ReturnReasonInput {
            field: "sponsor.address".into(),
            message: "地址应与营业执照一致".into(),
        }];
        let returned = wf.provider_return(&reviewer(), &id, &reasons).await.unwrap();
        assert_eq!(returned.state, OrderState::Returned);
        let (pending_after, _, _, _) = store.job_counts().await.unwrap();
        assert_eq!(pending_after - pending_before, 2, "email and SMS jobs queued");

        // Only the returned field may change now.
        let mut form = sponsor_form(&input);
        form.responsible.name = "王五".into();
        let e = wf.update_sponsor(&a, &id, &form).await.unwrap_err();
        assert!(
            matches!(&e, WorkflowError::FieldLocked { fields } if fields == &["sponsor.responsible.name"]),
            "{e:?}"
        );
        let mut form = sponsor_form(&input);
        form.address = "浙江省杭州市西湖区文三路 2 号".into();
        wf.update_sponsor(&a, &id, &form).await.unwrap();
        let again = wf.resubmit(&a, &id).await.unwrap();
        assert_eq!(again.state, OrderState::ProviderReview);
        let order = store.order(&id).await.unwrap();
        assert_eq!(order.return_reasons, serde_json::json!([]));
        let events: Vec<String> = store
            .order_timeline(&id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(
            events,
            [
                "create",
                "sponsor_updated",
                "website_updated",
                "product_verified",
                "submit",
                "provider_return",
                "sponsor_updated",
                "resubmit"
            ]
        );
        let head = beian_store::audit::head_file_path(store);
        let report = beian_store::verify_audit(store, &head).await.unwrap();
        assert!(report.records > 0);
    })
    .await;
}

#[tokio::test]
async fn concurrent_submits_one_wins() {
    each_backend(async |t| {
        let store = &t.store;
        let other = t.open_another().await;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let wf2 = Workflow::new(&other, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "race.cn", "SN-RACE").await;
        let (r1, r2) = tokio::join!(wf.submit(&a, &id), wf2.submit(&a, &id));
        let results = [r1, r2];
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{results:?}");
        let loser = results.into_iter().find_map(Result::err).unwrap();
        // Both read version N; the second writer finds it moved (conflict). If it read after
        // the first commit, the state machine refuses instead (not in this state).
        assert!(
            matches!(loser, WorkflowError::Conflict)
                || matches!(&loser, WorkflowError::InvalidTransition(t) if t.refusal == Refusal::NotInThisState),
            "{loser:?}"
        );
        eprintln!("loser: {}", loser.code());
        let timeline = store.order_timeline(&id).await.unwrap();
        assert_eq!(timeline.iter().filter(|e| e.event == "submit").count(), 1);
        other.close().await;
    })
    .await;
}

#[tokio::test]
async fn stale_version_is_a_conflict() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "stale.cn", "SN-STALE").await;
        let order = store.order(&id).await.unwrap();
        // Another writer moves the order after we read it.
        wf.submit(&a, &id).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let e = tx
            .transition_order(
                &id,
                order.version,
                "provider_review",
                &beian_store::orders::TimelineEvent::new("x", "submit"),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, beian_store::StoreError::Conflict { .. }));
        assert!(matches!(WorkflowError::from(e), WorkflowError::Conflict));
    })
    .await;
}

#[tokio::test]
async fn abandon_releases_the_service_number() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "quit.cn", "SN-QUIT").await;
        wf.submit(&a, &id).await.unwrap();
        let outcome = wf.abandon(&a, &id).await.unwrap();
        assert_eq!(outcome.state, OrderState::Abandoned);
        assert_eq!(
            outcome.warning, None,
            "a first filing has no access warning"
        );
        assert_eq!(
            store.service_number("SN-QUIT").await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(view.service_number, None);
        assert!(view.allowed_events.is_empty());
        let e = wf.abandon(&a, &id).await.unwrap_err();
        assert_eq!(e.code(), "order_closed");
        // The sponsor is free for a new order; the number can back it.
        let input = check("quit2.cn", &credit_code(1), "杭州示例科技有限公司");
        let next = wf.create_order(&a, &input).await.unwrap().order_id;
        wf.bind_service_number(&a, &next, "SN-QUIT").await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn access_filing_password_and_abandon_warning() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let cert = credit_code(90);
        let registry = FakeRegistry::default()
            .sponsor(&cert, OTHER_SPONSOR, "secret")
            .website("pw.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = wf
            .create_order(&a, &check("pw.cn", &cert, "乙公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf
            .verify_filing_password(&a, &id, "wrong")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "filing_password_incorrect");
        wf.verify_filing_password(&a, &id, "secret").await.unwrap();
        assert!(wf.order_view(&a, &id).await.unwrap().password_verified);
        for _ in 1..PASSWORD_ATTEMPTS {
            let e = wf
                .verify_filing_password(&a, &id, "wrong")
                .await
                .unwrap_err();
            assert_eq!(e.code(), "filing_password_incorrect");
        }
        let e = wf
            .verify_filing_password(&a, &id, "secret")
            .await
            .unwrap_err();
        let WorkflowError::PasswordLocked { bureau } = &e else {
            panic!("expected the lockout, got {e:?}");
        };
        assert_eq!(
            bureau,
            beian_core::province::Province::parse("33")
                .unwrap()
                .bureau()
        );
        assert!(
            e.localize(beian_core::i18n::Locale::ZhCn)
                .contains("找回备案密码")
        );

        let outcome = wf.abandon(&a, &id).await.unwrap();
        assert_eq!(outcome.warning, Some(ABANDON_ACCESS_WARNING));

        // A first filing has no password step.
        let b = account(store, "b").await;
        let first = wf
            .create_order(&b, &check("nopw.cn", &credit_code(91), "丙公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf
            .verify_filing_password(&b, &first, "x")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "not_for_this_kind");
    })
    .await;
}
