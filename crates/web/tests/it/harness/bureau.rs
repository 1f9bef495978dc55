//! The bureau side of the tests: the simulator as its own server ([`SimServer`], on its own
//! runtime thread so that stopping it really closes every connection), and orders driven to
//! the bureau.
//!
//! FIXTURE, NOT THE PHOTO STEP: [`TestApp::queued_order`] drives the real services over HTTP
//! up to the provider's approval (forms, product, materials, submit, reviewer approve →
//! `photo_pending`), then — standing in for the photo-approval step — moves the order to
//! `queued_for_bureau` with its upload job ([`super::setup::queue_for_bureau`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use beian_core::clock::SharedClock;
use beian_regulator::{Config, Regulator, ReviewDelay, ReviewMode};
use reqwest::StatusCode;
use serde_json::json;

use super::TestApp;
use super::inputs::{check, code_in, credit_code, sponsor_of, website};
use super::setup::{queue_for_bureau, state_of};
use super::wait::wait_until;

/// The provider's credentials at the stand-alone simulator.
pub const ISP_USER: &str = "beian-test";
pub const ISP_PASSWORD: &str = "isp-password-123";

/// The mobile of the responsible person of every test filing (the SMS check's phone).
pub const MOBILE: &str = "13800138000";

/// The stand-alone simulator's settings: auto review after 10 minutes, no SMS check (these
/// tests are about delivery).
pub fn sim_config() -> Config {
    Config {
        review: ReviewMode::Auto(ReviewDelay::Minutes(10)),
        sms_rule: Arc::new(|_, _, _| None),
        ..Config::default()
    }
}

/// The simulator as its own server on its own runtime thread.
pub struct SimServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SimServer {
    /// Starts it on `addr` (port 0 picks one) over the registry in `dir`, registering the
    /// provider on first start.
    pub fn start(addr: SocketAddr, dir: PathBuf, clock: SharedClock) -> SimServer {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
                let regulator = Regulator::open(&dir, clock, sim_config()).await.unwrap();
                if regulator.provider(1).await.unwrap().is_none() {
                    regulator
                        .add_provider(&beian_regulator::service::Provider {
                            id: 1,
                            name: "beian".into(),
                            province: "33".into(),
                            username: ISP_USER.into(),
                            password: ISP_PASSWORD.into(),
                            aes_key: String::new(),
                            aes_iv: String::new(),
                        })
                        .await
                        .unwrap();
                }
                ready_tx.send(listener.local_addr().unwrap()).unwrap();
                tokio::select! {
                    served = beian_regulator::soap::serve(listener, regulator) => served.unwrap(),
                    _ = stop_rx => {}
                }
            });
            // Drops every task, open connections included: the bureau is gone.
            rt.shutdown_background();
        });
        let addr = ready_rx.recv().unwrap();
        SimServer {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Stops it and waits until its runtime is gone.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl TestApp {
    /// An order of a new applicant `username` for `domain`, driven to the provider's
    /// approval, then (FIXTURE) queued for the bureau with its upload job. Its id.
    pub async fn queued_order(&self, username: &str, serial: u32, domain: &str) -> String {
        let id = self.reviewed_order(username, serial, domain).await;
        queue_for_bureau(&self.store, &id).await;
        id
    }

    /// An order driven over HTTP up to the provider's approval (`photo_pending`); its id.
    /// The service number is `SN-{serial}`, the reviewer `rev-{username}`.
    pub async fn reviewed_order(&self, username: &str, serial: u32, domain: &str) -> String {
        let alice = self.new_applicant(username).await;
        let body = check(
            domain,
            &credit_code(serial),
            &format!("杭州{serial}号科技有限公司"),
        );
        let (status, created) = alice.post("/orders", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap().to_owned();
        let (status, order) = alice
            .put(&format!("/orders/{id}/sponsor"), sponsor_of(&body))
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let (status, order) = alice
            .put(&format!("/orders/{id}/website"), website(domain))
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let number = format!("SN-{serial}");
        self.product_and_stored_materials(&id, &number).await;
        let (status, order) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": number}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let (status, order) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let reviewer = self.new_reviewer(&format!("rev-{username}")).await;
        let (status, approved) = reviewer
            .post(&format!("/review/orders/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["state"], "photo_pending", "{approved}");
        id
    }

    /// Waits until the order is delivered, then passes its SMS check at the simulator (the
    /// text goes out 5 minutes after delivery: the clock moves 6).
    pub async fn deliver_and_verify_sms(&self, id: &str) {
        self.settle().await;
        assert_eq!(state_of(&self.store, id).await, "sms_pending");
        self.advance_minutes(6);
        let regulator = &self.regulator;
        let code_of = async || {
            regulator
                .phone_inbox(MOBILE)
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
        let code = code_of().await.unwrap();
        let check = regulator.enter_sms_code(MOBILE, &code).await.unwrap();
        assert!(
            matches!(check, beian_regulator::sms::SmsCheck::Verified { .. }),
            "{check:?}"
        );
    }

    /// Waits until the simulated bureau approved `n` submissions.
    pub async fn bureau_approved(&self, n: usize) {
        wait_until("the bureau decided", || async {
            self.regulator
                .reviews(Some(beian_regulator::model::SubmissionState::Approved))
                .await
                .unwrap()
                .len()
                == n
        })
        .await;
    }
}
