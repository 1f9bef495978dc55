//! Shared set-up of the SOAP tests: the whole simulator on 127.0.0.1:0 (fixture registry,
//! simulated clock, automatic review after 30 minutes, no SMS check) and a client of the
//! Zhejiang fixture provider.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
use std::sync::Arc;

use beian_miit::v3::auth::Credentials;
use beian_miit::v3::client::{DownloadOutcome, HttpRegulatorClient, RegulatorClient};
use beian_miit::v3::codec::AesKey;
use beian_miit::v3::codes::{OperationType, ReturnCode};
use beian_miit::v3::download::IcpDownload;
use beian_miit::v3::personal::{PersonalData, Secret};
use beian_miit::v3::upload::{Languages, NewDomain, NewWebsiteInfo, Responsible, ServiceContents};
use beian_regulator::fixture::{self, PROVIDER_A};
use beian_regulator::soap::simulator_router;
use beian_regulator::{Config, Regulator, ReviewDelay, ReviewMode, SimulatedClock};
use chrono::{TimeZone, Utc};

pub struct Sim {
    pub base: String,
    pub regulator: Regulator,
    pub _dir: tempfile::TempDir,
}

pub async fn start() -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SimulatedClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap(),
    ));
    let config = Config {
        review: ReviewMode::Auto(ReviewDelay::Minutes(30)),
        sms_rule: Arc::new(|_, _, _| None),
        ..Config::default()
    };
    let regulator = Regulator::open(dir.path(), clock, config).await.unwrap();
    fixture::load(&regulator).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, simulator_router(regulator.clone())).into_future());
    Sim {
        base: format!("http://{addr}"),
        regulator,
        _dir: dir,
    }
}

pub fn client(sim: &Sim) -> HttpRegulatorClient {
    HttpRegulatorClient::new(
        &sim.base,
        Credentials {
            isp_id: PROVIDER_A,
            user_name: "isp-zj".to_owned(),
            password: Secret::new("isp-zj-secret"),
        },
        Some(AesKey::parse("0123456789abcdef", "0102030405060708").unwrap()),
    )
}

/// Downloads the next file, checks the return code, acknowledges it.
pub async fn take(client: &HttpRegulatorClient, want: ReturnCode) -> IcpDownload {
    let DownloadOutcome { ret, file } = client.download().await.unwrap();
    assert_eq!(ret.code(), Some(want), "{ret:?}");
    let file = file.unwrap();
    let ack = client.download_ack(&file.file_name).await.unwrap();
    assert_eq!(ack.code(), Some(ReturnCode::Success));
    file.data.icp.unwrap()
}

pub fn site() -> NewWebsiteInfo {
    let person = Responsible {
        name: Some("李娜".to_owned()),
        office_phone: None,
        mobile: PersonalData::new("13700000000"),
        email: PersonalData::new("ops@example.cn"),
        msn: None,
        qq: None,
        certificate_type: None,
        certificate_number: None,
    };
    NewWebsiteInfo {
        isp_website_id: 1,
        name: "新网站".to_owned(),
        pre_approvals: None,
        service_content: ServiceContents { ids: vec![1] },
        languages: Languages { ids: vec![1] },
        domains: vec![NewDomain {
            isp_domain_id: 1,
            domain: "new-site-example.cn".to_owned(),
        }],
        accesses: Vec::new(),
        responsible: person,
        home_url: None,
        remark: None,
    }
}

pub fn codes(icp: &IcpDownload) -> (OperationType, Vec<u16>) {
    let result = &icp.results.as_ref().unwrap().results[0];
    (
        result.operation,
        result.items.iter().map(|i| i.code).collect(),
    )
}

impl Sim {
    /// Moves the simulated clock and runs a review pass.
    pub async fn advance(&self, minutes: i64) {
        let clock = self.regulator.clock().simulated().unwrap();
        clock.advance_minutes(minutes).unwrap();
        self.regulator.tick().await.unwrap();
    }
}
