#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The harness of the bureau tests: the server (with its job worker) over the test store,
//! the simulator in-process or as its own server (on its own runtime thread, so stopping it
//! really closes every connection), and a TEST FIXTURE that brings an order to
//! `queued_for_bureau`.
//!
//! FIXTURE, NOT THE PHOTO STEP: [`queued_order`] drives the real services over HTTP up to the
//! provider's approval (forms, product, materials, submit, reviewer approve → `photo_pending`),
//! then — standing in for the photo-approval step another helper builds — moves the order to
//! `queued_for_bureau` with its `deadlines.bureau_submit` (1 working day) and enqueues the
//! `bureau.upload` job, in one store transaction.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use beian_core::calendar::deadline_after;
use beian_platform::bureau::{UPLOAD_JOB, order_upload_payload};
use beian_regulator::{Config, Regulator, ReviewDelay, ReviewMode, SharedClock, SimulatedClock};
use beian_store::Store;
use beian_store::accounts::{NewAccount, Role};
use beian_store::objects::Objects;
use beian_store::orders::{NewMaterial, TimelineEvent, TransitionExtras};
use beian_store::products::NewInstance;
use beian_store::testing::TestStore;
use beian_web::settings::{ApiSettings, RegulatorEndpoint, Settings, SimulatorSettings};
use beian_web::startup::Application;
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::orders_support::{Api, check, credit_code, person};

/// A running server and what the tests reach into.
pub struct Bed {
    pub api: Api,
    pub client: Arc<dyn beian_miit::v3::client::RegulatorClient>,
    pub objects: Arc<Objects>,
    pub clock: Arc<SimulatedClock>,
}

fn base_settings(t: &TestStore) -> Settings {
    let mut settings = Settings::embedded(t.data_dir(), "127.0.0.1:0".parse().unwrap());
    settings.database_url = t.database_url.clone();
    settings.data_key = Some(t.key.clone());
    settings.api = ApiSettings {
        secure_cookies: false,
        ..ApiSettings::default()
    };
    settings.worker.idle_wait = Duration::from_millis(50);
    settings
}

/// The server with the simulator in-process: auto review 10 minutes after the SMS check,
/// one simulated clock for both.
pub async fn start_embedded(t: &TestStore) -> Bed {
    start_embedded_with(t, |_| {}).await
}

/// [`start_embedded`] with the simulator's fixture registry loaded before anything runs.
pub async fn start_embedded_fixture(t: &TestStore) -> Bed {
    start_embedded_inner(t, |_| {}, true).await
}

/// [`start_embedded`] with the settings adjusted by `adjust`.
pub async fn start_embedded_with(t: &TestStore, adjust: impl FnOnce(&mut Settings)) -> Bed {
    start_embedded_inner(t, adjust, false).await
}

async fn start_embedded_inner(
    t: &TestStore,
    adjust: impl FnOnce(&mut Settings),
    fixture: bool,
) -> Bed {
    let clock = Arc::new(SimulatedClock::new(chrono::Utc::now()));
    let mut settings = base_settings(t);
    settings.simulator = Some(SimulatorSettings {
        review: ReviewMode::Auto(ReviewDelay::Minutes(10)),
        simulated_clock: true,
    });
    settings.clock = Some(clock.clone());
    adjust(&mut settings);
    let app = Application::build(settings).await.unwrap();
    let regulator = app.state().regulator.clone().unwrap();
    if fixture {
        beian_regulator::fixture::load(&regulator).await.unwrap();
    }
    bed(app, regulator, clock)
}

fn bed(app: Application, regulator: Regulator, clock: Arc<SimulatedClock>) -> Bed {
    let api = Api {
        base: format!("http://{}", app.addr()),
        http: Client::new(),
        regulator,
        store: app.state().store.clone(),
    };
    let objects = app.state().objects.clone();
    let client = app.state().regulator_client.clone();
    tokio::spawn(app.run_until_stopped());
    Bed {
        api,
        client,
        objects,
        clock,
    }
}

/// The provider's credentials at the stand-alone simulator.
pub const ISP_USER: &str = "beian-test";
pub const ISP_PASSWORD: &str = "isp-password-123";

/// The simulator's settings for the stand-alone runs: auto review after 10 minutes, no SMS
/// check (these tests are about delivery).
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

    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// The server pointed at a stand-alone simulator at `sim`, sharing `clock`.
pub async fn start_against(t: &TestStore, sim: SocketAddr, clock: Arc<SimulatedClock>) -> Bed {
    let mut settings = base_settings(t);
    settings.simulator = None;
    settings.regulator = RegulatorEndpoint {
        base_url: Some(format!("http://{sim}")),
        isp_id: 1,
        user: Some(ISP_USER.into()),
        password: Some(ISP_PASSWORD.into()),
        ..RegulatorEndpoint::default()
    };
    settings.clock = Some(clock.clone());
    let app = Application::build(settings).await.unwrap();
    // The tests read the registry through their own handle on its file.
    let regulator = Regulator::open(&t.data_dir().join("sim"), clock.clone(), sim_config())
        .await
        .unwrap();
    bed(app, regulator, clock)
}

/// An admin account (alerts are mailed to admins).
pub async fn admin(store: &Store, username: &str) -> String {
    let hash = beian_web::api::auth::hash_password("correct horse 1").unwrap();
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_account(
            "test",
            &NewAccount {
                username,
                password_hash: &hash,
                email: &format!("{username}@example.com"),
                mobile: None,
                role: Role::Admin,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A running instance with a service number, and every material stored for real.
pub async fn product_and_materials(bed: &Bed, order_id: &str, number: &str) {
    let store = &bed.api.store;
    let now = store.now().timestamp_millis();
    let mut stored = Vec::new();
    for kind in [
        "business_license",
        "sponsor_id_front",
        "sponsor_id_back",
        "website_owner_id_front",
        "website_owner_id_back",
        "verification_form",
        "domain_certificate",
        "pre_approval",
    ] {
        let bytes = format!("material {kind} of {order_id}").into_bytes();
        stored.push((kind, bed.objects.put(bytes).await.unwrap()));
    }
    let mut tx = store.begin().await.unwrap();
    let instance = tx
        .insert_instance(
            "test",
            &NewInstance {
                account_id: None,
                product: "ecs",
                public_ip: Some("203.0.113.7"),
                term_start: now - 86_400_000,
                term_end: now + 365 * 86_400_000,
            },
        )
        .await
        .unwrap();
    tx.insert_service_number("test", &instance, number)
        .await
        .unwrap();
    for (kind, object) in &stored {
        tx.insert_material(
            "test",
            &NewMaterial {
                order_id,
                kind,
                object_key: &object.key,
                content_type: "image/jpeg",
                size: object.size,
                sha256_hex: &object.sha256_hex,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// An order of a new applicant `username` for `domain`, driven to the provider's approval,
/// then (FIXTURE) queued for the bureau with its upload job. Returns the order id.
pub async fn queued_order(bed: &Bed, username: &str, serial: u32, domain: &str) -> String {
    let id = reviewed_order(bed, username, serial, domain).await;
    queue_for_bureau(&bed.api.store, &id).await;
    id
}

/// An order driven over HTTP up to the provider's approval (`photo_pending`).
pub async fn reviewed_order(bed: &Bed, username: &str, serial: u32, domain: &str) -> String {
    let api = &bed.api;
    let alice = api.applicant(username).await;
    let name = format!("杭州{serial}号科技有限公司");
    let body = check(domain, &credit_code(serial), &name);
    let (status, created) = alice.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let mut sponsor = body["sponsor"].clone();
    sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
    sponsor["responsible"] = person();
    let (status, order) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let website = json!({"name": "示例网站", "domain": domain,
        "home_url": format!("https://www.{domain}/"), "service_content": "企业官网",
        "languages": ["zh_cn"], "responsible": person(), "pre_approvals": []});
    let (status, order) = alice.put(&format!("/orders/{id}/website"), website).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let number = format!("SN-{serial}");
    product_and_materials(bed, &id, &number).await;
    let (status, order) = alice
        .put(
            &format!("/orders/{id}/product"),
            json!({"service_number": number}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (status, order) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let reviewer = api.reviewer(&format!("rev-{username}")).await;
    let (status, approved) = reviewer
        .post(&format!("/review/orders/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "photo_pending", "{approved}");
    id
}

/// FIXTURE standing in for the photo-approval step: the order (in `photo_pending`) moves to
/// `queued_for_bureau` with `deadlines.bureau_submit` 1 working day after now, and its
/// `bureau.upload` job is enqueued, in one transaction.
pub async fn queue_for_bureau(store: &Store, id: &str) {
    let order = store.order(id).await.unwrap();
    assert_eq!(order.state, "photo_pending");
    let now = store.now();
    let deadline = deadline_after(now, 1).at.timestamp_millis();
    let mut tx = store.begin().await.unwrap();
    tx.transition_order_with(
        id,
        order.version,
        "queued_for_bureau",
        &TimelineEvent::new("test:fixture", "photo_approved"),
        &TransitionExtras {
            deadlines: Some(json!({ "bureau_submit": deadline })),
            ..TransitionExtras::default()
        },
    )
    .await
    .unwrap();
    tx.enqueue_job(UPLOAD_JOB, &order_upload_payload(id), now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Waits (real time, up to 30 s) until `f` holds.
pub async fn wait_until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    // Generous: a loaded CI machine runs many test binaries' servers at once.
    for _ in 0..1200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The order's state.
pub async fn state_of(store: &Store, order_id: &str) -> String {
    store.order(order_id).await.unwrap().state
}

/// The first run of six digits in `text` (an SMS code).
pub fn code_in(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(6).find_map(|w| {
        w.iter()
            .all(char::is_ascii_digit)
            .then(|| w.iter().collect())
    })
}

pub const MOBILE: &str = "13800138000";

/// Delivers the order and passes its SMS check at the simulator.
pub async fn deliver_and_verify_sms(bed: &Bed, id: &str) {
    let store = &bed.api.store;
    wait_until("the order is at the bureau, SMS check pending", || async {
        state_of(store, id).await == "sms_pending"
    })
    .await;
    bed.clock.advance_minutes(6).unwrap();
    let regulator = &bed.api.regulator;
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
    let code = code_of().await;
    let check = regulator
        .enter_sms_code(MOBILE, &code.unwrap())
        .await
        .unwrap();
    assert!(
        matches!(check, beian_regulator::sms::SmsCheck::Verified { .. }),
        "{check:?}"
    );
}

/// Waits until the simulated bureau approved the (one) submission.
pub async fn bureau_decided(bed: &Bed) {
    let regulator = bed.api.regulator.clone();
    wait_until("the bureau decided", || async {
        regulator
            .reviews(Some(beian_regulator::model::SubmissionState::Approved))
            .await
            .unwrap()
            .len()
            == 1
    })
    .await;
}
