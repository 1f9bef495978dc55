//! End to end over a real listener: the provider's `HttpRegulatorClient` (beian-miit) files a
//! first filing with the simulator's SOAP services, the SMS check is passed on the bureau's
//! page, the automatic review approves it once the simulated clock has moved, and the
//! approval comes back through `isp_download` with the ICP numbers. Then the status query,
//! the filing-password check, a wrong upload hash and a sequence gap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use beian_core::credit_code::CreditCode;
use beian_core::province::Province;
use beian_core::resident_id;
use beian_miit::v3::auth::Credentials;
use beian_miit::v3::client::{HttpRegulatorClient, RegulatorClient};
use beian_miit::v3::codec::{self, AesKey};
use beian_miit::v3::codes::{
    FilingMode, FilingStatus, OperationType, PasswordCheck, QueryConditionType, ReturnCode,
};
use beian_miit::v3::mapping::{CertificateType, SponsorNature, division_code};
use beian_miit::v3::personal::{PersonalData, Secret};
use beian_miit::v3::returns::MethodReturn;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::server::UploadRequest;
use beian_miit::v3::soap::{self, Method};
use beian_miit::v3::upload::{
    AccessMethods, Address, Certificate, FirstFiling, FirstFilings, IcpUpload, Languages,
    NewAccessInfo, NewDomain, NewIpRange, NewSponsor, NewWebsiteInfo, Responsible, ServerLocations,
    ServiceContents, UploadData,
};
use beian_miit::v3::xml;
use beian_regulator::fixture::{self, PROVIDER_A};
use beian_regulator::soap::simulator_router;
use beian_regulator::{Config, Regulator, ReviewDelay, ReviewMode, SimulatedClock};
use chrono::{TimeZone, Utc};

const SPONSOR_MOBILE: &str = "13912345678";
const WEBSITE_MOBILE: &str = "13787654321";
const DOMAIN: &str = "e2e-soap-example.cn";

fn credentials() -> Credentials {
    Credentials {
        isp_id: PROVIDER_A,
        user_name: "isp-zj".to_owned(),
        password: Secret::new("isp-zj-secret"),
    }
}

fn aes_key() -> AesKey {
    AesKey::parse("0123456789abcdef", "0102030405060708").unwrap()
}

fn resident_id(body: &str) -> String {
    format!("{body}{}", resident_id::check_character(body).unwrap())
}

fn responsible(name: &str, mobile: &str, id: &str) -> Responsible {
    Responsible {
        name: Some(name.to_owned()),
        office_phone: None,
        mobile: PersonalData::new(mobile),
        email: PersonalData::new("ops@example.cn"),
        msn: None,
        qq: None,
        certificate_type: Some(CertificateType::ResidentId.code()),
        certificate_number: Some(PersonalData::new(id)),
    }
}

fn first_filing(credit_code: &str) -> UploadData {
    let sponsor = NewSponsor {
        isp_sponsor_id: 7001,
        name: "杭州端到端示例科技有限公司".to_owned(),
        nature: Some(SponsorNature::Enterprise.code()),
        investor: Some("张三".to_owned()),
        address: Address {
            province_id: division_code(Province::ZHEJIANG),
            city_id: Some(330_100),
            county_id: Some(330_106),
            detail: Some("杭州市西湖区文一西路1号".to_owned()),
        },
        certificate: Certificate {
            kind: CertificateType::BusinessLicence.code(),
            number: PersonalData::new(credit_code),
            residence: "杭州市西湖区文一西路1号".to_owned(),
        },
        responsible: responsible("王芳", SPONSOR_MOBILE, &resident_id("33010619900101123")),
        filing_mode: FilingMode::ByProvider,
        remark: None,
    };
    let website = NewWebsiteInfo {
        isp_website_id: 8001,
        name: "端到端示例官网".to_owned(),
        pre_approvals: None,
        service_content: ServiceContents { ids: vec![1] },
        languages: Languages { ids: vec![1] },
        domains: vec![NewDomain {
            isp_domain_id: 9001,
            domain: DOMAIN.to_owned(),
        }],
        accesses: vec![NewAccessInfo {
            isp_access_id: 9101,
            locations: ServerLocations { ids: vec![1] },
            methods: AccessMethods { ids: vec![4] },
            ips: vec![NewIpRange {
                isp_ip_id: 9201,
                start: 0x0A00_0001,
                end: 0x0A00_0001,
            }],
        }],
        responsible: responsible("赵磊", WEBSITE_MOBILE, &resident_id("33010619920202456")),
        home_url: Some(format!("http://www.{DOMAIN}/")),
        remark: None,
    };
    UploadData::icp(IcpUpload {
        first_filings: Some(FirstFilings {
            items: vec![FirstFiling {
                sponsor,
                websites: vec![website],
                attachments: Vec::new(),
            }],
        }),
        requester_id: PROVIDER_A,
        ..IcpUpload::default()
    })
}

struct Sim {
    base: String,
    http: reqwest::Client,
    /// The simulator behind the listener, to look into its registry.
    regulator: Regulator,
    _dir: tempfile::TempDir,
}

impl Sim {
    async fn start() -> Sim {
        let dir = tempfile::tempdir().unwrap();
        // Monday 2026-03-02 10:00 Shanghai: every province needs the SMS check.
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
        let clock = Arc::new(SimulatedClock::new(start));
        let config = Config {
            review: ReviewMode::Auto(ReviewDelay::Minutes(30)),
            ..Config::default()
        };
        let regulator = Regulator::open(dir.path(), clock, config).await.unwrap();
        fixture::load(&regulator).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(axum::serve(listener, simulator_router(regulator.clone())).into_future());
        Sim {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            regulator,
            _dir: dir,
        }
    }

    async fn advance(&self, minutes: i64) {
        let r = self
            .http
            .post(format!("{}/sim/clock/advance", self.base))
            .json(&serde_json::json!({ "minutes": minutes }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }

    async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn inbox(&self, mobile: &str) -> Vec<String> {
        let v = self
            .get_json("/sim/phone-inbox", &[("mobile", mobile)])
            .await;
        v["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["text"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn enter_sms_code(&self, mobile: &str, code: &str) -> serde_json::Value {
        let r = self
            .http
            .post(format!("{}/bureau/sms-verification", self.base))
            .header("Accept", "application/json")
            .form(&[("mobile", mobile), ("code", code)])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        r.json().await.unwrap()
    }

    /// `isp_upload` with the transfer fields as given (to send a wrong hash).
    async fn raw_upload(&self, req: &UploadRequest) -> MethodReturn {
        let body = soap::write_request(soap::NAMESPACE, Method::Upload, &req.to_params());
        let r = self
            .http
            .post(format!("{}{}", self.base, Method::Upload.path()))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(body)
            .send()
            .await
            .unwrap();
        let text = soap::parse_response(&r.bytes().await.unwrap()).unwrap();
        xml::from_xml_str(&text).unwrap()
    }
}

/// The six-digit code in an SMS text.
fn code_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in {text}"))
}

/// The filing password in the approval text (`备案密码：XXXXXXXX，`).
fn password_in(text: &str) -> String {
    let (_, rest) = text.split_once("备案密码：").unwrap();
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

#[tokio::test]
async fn first_filing_over_soap_end_to_end() {
    let sim = Sim::start().await;
    let client = HttpRegulatorClient::new(&sim.base, credentials(), Some(aes_key()));
    let credit_code = CreditCode::from_parts("91330106MA2E2E01").unwrap();

    // Nothing yet: no previous upload, nothing to download.
    let prev = client.query_previous_upload().await.unwrap();
    assert_eq!(prev.ret.code(), Some(ReturnCode::Success));
    assert_eq!(prev.last_sequence, None);
    let empty = client.download().await.unwrap();
    assert_eq!(empty.ret.code(), Some(ReturnCode::NothingToDownload));

    // The first filing, accepted.
    let data = first_filing(credit_code.as_str());
    let ret = client
        .upload(&data, DataSequence::FIRST, "e2e_0001.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    let prev = client.query_previous_upload().await.unwrap();
    assert_eq!(prev.last_sequence, Some(DataSequence::FIRST));
    let echoed: UploadData = xml::from_document_bytes(&prev.xml.unwrap()).unwrap();
    assert_eq!(echoed, data);

    // The SMS codes go out five minutes later; both responsible persons enter theirs.
    sim.advance(6).await;
    for mobile in [SPONSOR_MOBILE, WEBSITE_MOBILE] {
        let texts = sim.inbox(mobile).await;
        assert_eq!(texts.len(), 1, "{mobile}: {texts:?}");
        let answer = sim.enter_sms_code(mobile, &code_in(&texts[0])).await;
        assert_eq!(answer["check"]["result"], "verified", "{answer}");
    }
    // Not decided before the review delay.
    assert_eq!(
        client.download().await.unwrap().ret.code(),
        Some(ReturnCode::NothingToDownload)
    );
    sim.advance(31).await;

    // The approval, with the numbers, re-sent until acknowledged.
    let first = client.download().await.unwrap();
    assert_eq!(
        first.ret.code(),
        Some(ReturnCode::Success),
        "{:?}",
        first.ret
    );
    let file = first.file.unwrap();
    let again = client.download().await.unwrap().file.unwrap();
    assert_eq!(again.file_name, file.file_name);
    let icp = file.data.icp.unwrap();
    let result = &icp.results.as_ref().unwrap().results[0];
    assert_eq!(result.operation, OperationType::FirstFiling);
    assert_eq!(result.subject.as_deref(), Some("7001"));
    assert_eq!(result.items[0].code, 1001);
    let registration = &icp.registrations.as_ref().unwrap().items[0];
    let sponsor_number = registration.sponsor.icp_number.clone().unwrap();
    assert!(
        sponsor_number.starts_with("浙ICP备2026"),
        "{sponsor_number}"
    );
    assert_eq!(registration.sponsor.isp_sponsor_id, Some(7001));
    let website = &registration.websites[0];
    let website_number = website.icp_number.clone().unwrap();
    assert_eq!(website_number, format!("{sponsor_number}-1"));
    assert_eq!(website.domains[0].domain, DOMAIN);
    let ack = client.download_ack(&file.file_name).await.unwrap();
    assert_eq!(ack.code(), Some(ReturnCode::Success));
    let after = client.download().await.unwrap();
    assert_eq!(after.ret.code(), Some(ReturnCode::NothingToDownload));
    assert!(after.file.is_none());
    let bad_ack = client.download_ack("no-such-file.xml").await.unwrap();
    assert_ne!(bad_ack.code(), Some(ReturnCode::Success));

    // The public query knows the number.
    let public = sim.get_json("/miit/query", &[("domain", DOMAIN)]).await;
    assert_eq!(
        public["records"][0]["website_number"],
        website_number.as_str()
    );

    // isp_querybeianstatus: the domain and the credit code are filed; another domain is not.
    let by_domain = client
        .query_beian_status(QueryConditionType::Domain, DOMAIN)
        .await
        .unwrap();
    let info = by_domain.status_info.unwrap();
    assert_eq!(info.status, FilingStatus::Filed);
    assert_eq!(
        info.website_number.as_deref(),
        Some(website_number.as_str())
    );
    assert_eq!(
        info.sponsor_number.as_deref(),
        Some(sponsor_number.as_str())
    );
    let by_code = client
        .query_beian_status(QueryConditionType::BusinessLicence, credit_code.as_str())
        .await
        .unwrap();
    assert_eq!(by_code.status_info.unwrap().status, FilingStatus::Filed);
    let unknown = client
        .query_beian_status(QueryConditionType::Domain, "never-filed-example.cn")
        .await
        .unwrap();
    assert_eq!(unknown.status_info.unwrap().status, FilingStatus::NotFiled);

    // isp_verifybamm with the password texted to the sponsor's responsible person.
    let texts = sim.inbox(SPONSOR_MOBILE).await;
    let approval = texts.iter().find(|t| t.contains("备案密码")).unwrap();
    let password = password_in(approval);
    assert_eq!(password.len(), 8, "{approval}");
    let right = client
        .verify_password(&sponsor_number, &password)
        .await
        .unwrap();
    assert_eq!(right.verify_res, Some(PasswordCheck::Correct));
    let wrong = client
        .verify_password(&sponsor_number, "wrong-password")
        .await
        .unwrap();
    assert_eq!(wrong.code(), Some(ReturnCode::Success));
    assert_eq!(wrong.verify_res, Some(PasswordCheck::Incorrect));
}

#[tokio::test]
async fn wrong_hash_and_sequence_gap_are_refused() {
    let sim = Sim::start().await;
    let key = aes_key();
    let client = HttpRegulatorClient::new(&sim.base, credentials(), Some(key.clone()));
    let data = first_filing(CreditCode::from_parts("91330106MA2E2E02").unwrap().as_str());

    // A hash that is not the file's: 7.
    let bytes = xml::to_gbk_document(&data).unwrap();
    let enc = codec::encode("bad_hash.xml", &bytes, Some(&key)).unwrap();
    let req = UploadRequest {
        auth: credentials().sign(),
        beian_info: enc.beian_info,
        beian_info_hash: codec::md5_base64(b"something else"),
        data_sequence: "1".to_owned(),
        encrypt_algorithm: i64::from(enc.encrypt_algorithm.code()),
        compression_format: i64::from(enc.compression_format.code()),
    };
    let ret = sim.raw_upload(&req).await;
    assert_eq!(ret.code(), Some(ReturnCode::HashMismatch), "{ret:?}");
    // Refused uploads do not count: 1 is still the next number.
    let prev = client.query_previous_upload().await.unwrap();
    assert_eq!(prev.last_sequence, None);

    // Number 4 while 1 has not come: 14 with the missing numbers.
    let gap = client
        .upload(&data, DataSequence::new(4).unwrap(), "gap.xml")
        .await
        .unwrap();
    assert_eq!(gap.code(), Some(ReturnCode::SequenceGap), "{gap:?}");
    assert_eq!(gap.missing_sequences(), vec![1, 2, 3]);

    // Wrong credentials: refused before anything else.
    let stranger = HttpRegulatorClient::new(
        &sim.base,
        Credentials {
            password: Secret::new("not-the-secret"),
            ..credentials()
        },
        Some(key),
    );
    let refused = stranger
        .upload(&data, DataSequence::FIRST, "x.xml")
        .await
        .unwrap();
    assert_eq!(refused.code(), Some(ReturnCode::WrongPassword));
}

/// beian's APP extension (urn:beian:miit-ext:app:1) end to end: the provider encodes an
/// `AppUploadData` exactly as a V3.0 upload, the simulator tells it apart by its root, files
/// the 新增APP with a `-NA` number from the sponsor's one sequence (its website is `-1`), and
/// reviews a 继续接入 (JXJR) of an APP number the registry does not hold: refused, 1059.
#[tokio::test]
async fn app_filing_over_the_extension_end_to_end() {
    use beian_miit::ext::app::{
        AppInfo, AppOperation, AppPerson, AppRecord, AppUploadData, Features, PlatformFeatures,
    };

    let sim = Sim::start().await;
    let key = aes_key();
    let client = HttpRegulatorClient::new(&sim.base, credentials(), Some(key.clone()));
    let app_mobile = "13611112222";
    let record = |operation, id, app: Option<AppInfo>, app_number: Option<&str>| AppRecord {
        operation,
        record_id: id,
        sponsor: None,
        sponsor_number: Some("浙ICP备2020000001号".into()),
        app_number: app_number.map(str::to_owned),
        password_hash: None,
        app,
    };
    let app = AppInfo {
        name: "云栖助手".into(),
        service_content: "企业办公".into(),
        responsible: AppPerson {
            name: "王芳".into(),
            certificate_type: CertificateType::ResidentId.code(),
            certificate_number: resident_id("33010619900101123"),
            mobile: app_mobile.into(),
            email: None,
        },
        features: Features {
            platforms: vec![PlatformFeatures {
                platform: "android".into(),
                package: "com.yunqi.example.assistant".into(),
                public_key: "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f"
                    .into(),
                signature_digest: "18c867f0717aa67b2ab7347505ba07ed".into(),
            }],
        },
        icon: None,
    };
    let doc = AppUploadData::new(
        PROVIDER_A,
        vec![
            record(AppOperation::NewApp, 41, Some(app), None),
            record(
                AppOperation::ContinueAccess,
                42,
                None,
                Some("浙ICP备2020000002号-2A"),
            ),
        ],
    );
    let bytes = xml::to_gbk_document(&doc).unwrap();
    let enc = codec::encode("app_0001.xml", &bytes, Some(&key)).unwrap();
    let req = UploadRequest {
        auth: credentials().sign(),
        beian_info: enc.beian_info,
        beian_info_hash: enc.beian_info_hash,
        data_sequence: "1".to_owned(),
        encrypt_algorithm: i64::from(enc.encrypt_algorithm.code()),
        compression_format: i64::from(enc.compression_format.code()),
    };
    let ret = sim.raw_upload(&req).await;
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    // The same sequence as V3.0 uploads: this was number 1.
    let prev = client.query_previous_upload().await.unwrap();
    assert_eq!(prev.last_sequence, Some(DataSequence::FIRST));

    // The SMS check texts the sponsor's and the APP's responsible persons (the sponsor's
    // once per record: the 继续接入 names no APP the registry holds, so no APP's person).
    sim.advance(6).await;
    for (mobile, count) in [(fixture::sponsor_mobile(0), 2), (app_mobile.to_owned(), 1)] {
        let texts = sim.inbox(&mobile).await;
        assert_eq!(texts.len(), count, "{mobile}: {texts:?}");
        // The page checks a mobile's newest pending code: the newest text first.
        for text in texts.iter().rev() {
            let answer = sim.enter_sms_code(&mobile, &code_in(text)).await;
            assert_eq!(answer["check"]["result"], "verified", "{answer}");
        }
    }
    sim.advance(31).await;

    let mut codes = Vec::new();
    while let Some(file) = client.download().await.unwrap().file {
        let icp = file.data.icp.unwrap();
        for r in &icp.results.as_ref().unwrap().results {
            codes.push((r.subject.clone().unwrap_or_default(), r.items[0].code));
        }
        client.download_ack(&file.file_name).await.unwrap();
    }
    codes.sort();
    assert_eq!(
        codes,
        vec![("41".to_owned(), 1001), ("42".to_owned(), 1059)],
        "the 新增APP approved, 继续接入 of an APP not in the registry refused"
    );

    // The registry holds the APP under the sponsor, numbered from the shared sequence.
    let mut conn = sim.regulator.pool().acquire().await.unwrap();
    let apps = beian_regulator::registry::find_apps(&mut conn, "云栖助手", 10)
        .await
        .unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].number, "浙ICP备2020000001号-2A");
    assert_eq!(apps[0].sponsor_number, "浙ICP备2020000001号");

    // The public query finds it by name and by number (`?app=`, serviceType 6 at the ministry).
    for q in ["云栖助", "浙ICP备2020000001号-2A"] {
        let found = sim.get_json("/miit/query", &[("app", q)]).await;
        assert_eq!(found["apps"][0]["number"], "浙ICP备2020000001号-2A", "{q}");
        assert_eq!(found["apps"][0]["name"], "云栖助手", "{q}");
    }
    let none = sim
        .get_json("/miit/query", &[("app", "不存在的应用")])
        .await;
    assert_eq!(none["apps"], serde_json::json!([]));
}
