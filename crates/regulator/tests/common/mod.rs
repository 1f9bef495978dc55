//! Shared set-up of the integration tests: a fixture registry on a simulated clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use beian_core::province::Province;
use beian_regulator::bureau::Decision;
use beian_regulator::model::{AccessData, DownloadFile, FilingRequest, NewWebsite, Outcome};
use beian_regulator::{Config, Regulator, ReviewMode, SimulatedClock, fixture};
use chrono::{TimeZone, Utc};

pub struct Sim {
    pub regulator: Regulator,
    pub clock: Arc<SimulatedClock>,
    pub _dir: tempfile::TempDir,
}

/// Monday 2026-03-02 10:00 Shanghai.
pub fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()
}

pub fn manual_without_sms() -> Config {
    Config {
        review: ReviewMode::Manual,
        sms_rule: Arc::new(|_, _, _| None),
        ..Config::default()
    }
}

pub fn with_sms(hours: i64) -> Config {
    Config {
        review: ReviewMode::Manual,
        sms_rule: Arc::new(move |_, kind, _| {
            (kind != beian_core::kind::FilingKind::CancelAccess)
                .then(|| chrono::Duration::hours(hours))
        }),
        ..Config::default()
    }
}

pub async fn sim(config: Config) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SimulatedClock::new(start()));
    let regulator = Regulator::open(dir.path(), clock.clone(), config)
        .await
        .unwrap();
    fixture::load(&regulator).await.unwrap();
    Sim {
        regulator,
        clock,
        _dir: dir,
    }
}

impl Sim {
    /// Submits and approves at once (manual mode), returning the outcome.
    pub async fn submit_and_approve(
        &self,
        provider: i64,
        request: &beian_regulator::model::FilingRequest,
    ) -> Outcome {
        // Each record of an upload has its own reference (file name, operation, record):
        // a reference received again is the same record ([`Regulator::submit`]).
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let reference = format!(
            "upload-{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let id = self
            .regulator
            .submit(provider, &reference, request)
            .await
            .unwrap();
        self.regulator.decide(id, Decision::Approve).await.unwrap()
    }

    pub async fn take_download(&self, provider: i64) -> DownloadFile {
        let (file, _) = self
            .regulator
            .next_download(provider)
            .await
            .unwrap()
            .expect("a download");
        assert!(
            self.regulator
                .ack_download(provider, &file.file_name)
                .await
                .unwrap()
        );
        file
    }

    pub async fn inbox(&self, mobile: &str) -> Vec<String> {
        self.regulator
            .phone_inbox(mobile)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect()
    }
}

/// The six-digit code in an SMS text.
pub fn code_in(text: &str) -> String {
    let text = text.split_once("码为").map_or(text, |(_, rest)| rest);
    let digits: Vec<char> = text.chars().collect();
    for window in digits.windows(6) {
        if window.iter().all(|c| c.is_ascii_digit()) {
            return window.iter().collect();
        }
    }
    panic!("no code in {text}");
}

pub fn codes_of(outcome: &Outcome) -> Vec<u32> {
    match outcome {
        Outcome::Approved { .. } => vec![1001],
        Outcome::Refused { codes, .. } | Outcome::Returned { codes, .. } => {
            codes.iter().map(|c| c.code).collect()
        }
    }
}

/// A first filing in Zhejiang of one website on `domain`.
pub fn first_filing(domain: &str, home_url: &str, credit_code: &str) -> FilingRequest {
    let mut website = fixture::website("新站", domain, "13800000002");
    website.home_url = home_url.to_owned();
    FilingRequest::FirstFiling {
        sponsor: fixture::sponsor(
            Province::ZHEJIANG,
            credit_code,
            "杭州新申请人科技有限公司",
            "13800000001",
        ),
        websites: vec![NewWebsite {
            website,
            access: AccessData {
                ips: vec!["203.0.113.7".into()],
                method: "virtual_host".into(),
            },
        }],
    }
}
