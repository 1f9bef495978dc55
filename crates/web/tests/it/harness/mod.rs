//! The one test harness of the web crate: [`TestApp`], a builder in the style of crates.io's
//! `tests/util/test_app.rs`. A test names what it needs and nothing more:
//!
//! ```ignore
//! each_backend(async |t| {
//!     let app = TestApp::new().reviewer().service_numbers(3).start(t).await;
//!     let alice = app.new_applicant("alice").await;
//!     // …
//! })
//! .await;
//! ```
//!
//! The server runs on port 0 over the test store of `beian_store::testing::each_backend`
//! (SQLite always; PostgreSQL from `BEIAN_TEST_DATABASE_URL` or a throwaway cluster, skipped with a notice
//! unless `CI=true`), with the regulator simulator in-process or as its own server.
//!
//! - [`session`]: logged-in clients and the accounts behind them;
//! - [`browser`]: the portal's browser (cookies, forms posted with the CSRF token) and its pages;
//! - [`inputs`]: request bodies and valid identifiers (credit codes, resident ids);
//! - [`setup`]: store-side set-up the API does not offer (instances, materials, orders);
//! - [`wait`]: waits on conditions, with a bound, that settle the job queue and move the
//!   simulated clock — never on how fast the machine is;
//! - [`bureau`]: the stand-alone simulator server and orders driven to the bureau;
//! - [`services`]: the in-test registry and inputs of the tests that call the workflow
//!   services without HTTP;
//! - [`smtp`]: the SMTP sink of the mail tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod bureau;
pub mod inputs;
pub mod services;
pub mod session;
pub mod setup;
pub mod smtp;
pub mod wait;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use beian_core::clock::{SharedClock, SimulatedClock};
use beian_miit::v3::client::RegulatorClient;
use beian_regulator::{Regulator, ReviewDelay, ReviewMode};
use beian_store::Store;
use beian_store::accounts::Role;
use beian_store::objects::Objects;
use beian_web::settings::{ApiSettings, RegulatorEndpoint, Settings, SimulatorSettings};
use beian_web::startup::{AppState, Application};
use chrono::{DateTime, Utc};
use reqwest::Client;

pub use beian_store::testing::TestStore;
pub use bureau::SimServer;
pub use inputs::{check, credit_code, person, resident_id, website};
pub use session::Session;

/// A running server and what the tests reach into.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub addr: SocketAddr,
    /// The operators' `/metrics` listener, when the settings asked for one.
    pub metrics_addr: Option<SocketAddr>,
    pub http: Client,
    pub state: AppState,
    pub store: Arc<Store>,
    pub objects: Arc<Objects>,
    /// The registry as the platform reaches it (SOAP over HTTP).
    pub client: Arc<dyn RegulatorClient>,
    /// The simulator's registry: the in-process one, or a handle on the stand-alone one's.
    pub regulator: Regulator,
    /// The one clock of the system (simulated when the builder asked for it).
    pub clock: SharedClock,
    /// The test store's data dir (the stand-alone simulator keeps its registry in `sim/`).
    pub data_dir: std::path::PathBuf,
    /// The stand-alone simulator this app owns (`simulator_as_own_server`).
    sim: Option<SimServer>,
    reviewer: Option<Session>,
    admin: Option<Session>,
    service_numbers: Vec<String>,
    /// Starts the graceful shutdown ([`TestApp::shutdown`]).
    stop: Option<tokio::sync::watch::Sender<bool>>,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// What a test needs of its [`TestApp`]; [`TestAppBuilder::start`] starts it.
#[must_use]
pub struct TestAppBuilder {
    clock_start: Option<DateTime<Utc>>,
    review: Option<ReviewMode>,
    fixture: bool,
    worker: bool,
    fast_worker: bool,
    own_server: bool,
    against: Option<(SocketAddr, SharedClock)>,
    reviewer: bool,
    admin: bool,
    service_numbers: u32,
    adjust: Vec<Adjust>,
}

/// The simulator-operator token of the in-process simulator's controls in tests.
pub const SIM_TOKEN: &str = "test-simulator-operator-token";

/// A change to the settings, made just before start.
type Adjust = Box<dyn FnOnce(&mut Settings)>;

impl TestApp {
    /// The plain server: in-process simulator (reviews after 3 working days), the system
    /// clock, the job worker on, plain-HTTP cookies.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> TestAppBuilder {
        TestAppBuilder {
            clock_start: None,
            review: None,
            fixture: false,
            worker: true,
            fast_worker: false,
            own_server: false,
            against: None,
            reviewer: false,
            admin: false,
            service_numbers: 0,
            adjust: Vec::new(),
        }
    }

    /// The reviewer the builder made (`reviewer()`), logged in.
    pub fn reviewer(&self) -> &Session {
        self.reviewer
            .as_ref()
            .expect("ask the builder for .reviewer()")
    }

    /// The admin the builder made (`admin()`), logged in.
    pub fn admin(&self) -> &Session {
        self.admin.as_ref().expect("ask the builder for .admin()")
    }

    /// The unbound service numbers the builder made (`service_numbers(n)`).
    pub fn service_numbers(&self) -> &[String] {
        &self.service_numbers
    }

    /// The simulated clock (panics when the builder did not ask for one).
    pub fn sim_clock(&self) -> &SimulatedClock {
        self.clock
            .simulated()
            .expect("ask the builder for .simulated_clock()")
    }

    /// Moves the simulated clock forward by `by`; returns the new time.
    pub fn advance(&self, by: chrono::Duration) -> DateTime<Utc> {
        self.sim_clock().advance(by).unwrap()
    }

    /// Moves the simulated clock forward by whole minutes.
    pub fn advance_minutes(&self, minutes: i64) -> DateTime<Utc> {
        self.advance(chrono::Duration::minutes(minutes))
    }

    /// Moves the simulated clock to `at` (not earlier than now).
    pub fn advance_to(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let by = at - self.clock.now();
        self.advance(by)
    }

    /// A request to the simulator's controls (`/sim/…`) with the operator token.
    pub fn sim(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.anon(method, path)
            .header(beian_web::simulator::TOKEN_HEADER, SIM_TOKEN)
    }

    /// Moves the simulated clock over HTTP, as a demo does (`POST /sim/clock/advance`).
    pub async fn advance_over_http(&self, minutes: i64) {
        let res = self
            .sim(reqwest::Method::POST, "/sim/clock/advance")
            .json(&serde_json::json!({ "minutes": minutes }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK);
    }

    /// The address of the stand-alone simulator this app talks to.
    /// Stops the server as SIGTERM does (graceful: requests finished, job leases given
    /// back) and waits until it has stopped.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(running) = self.running.take() {
            running.await.unwrap().unwrap();
        }
    }

    pub fn simulator_addr(&self) -> SocketAddr {
        self.sim.as_ref().expect("no stand-alone simulator").addr
    }

    /// Stops the stand-alone simulator (every connection closes: the bureau is gone).
    pub fn stop_simulator(&mut self) {
        self.sim.take().expect("no stand-alone simulator").stop();
    }

    /// Starts the stand-alone simulator again, on the same port and registry.
    pub fn restart_simulator(&mut self, addr: SocketAddr) {
        assert!(self.sim.is_none(), "the simulator still runs");
        self.sim = Some(SimServer::start(addr, self.sim_dir(), self.clock.clone()));
    }

    fn sim_dir(&self) -> std::path::PathBuf {
        self.data_dir.join("sim")
    }
}

impl TestAppBuilder {
    /// One simulated clock for the whole system, starting now; tests move it.
    pub fn simulated_clock(self) -> Self {
        self.clock_at(Utc::now())
    }

    /// One simulated clock for the whole system, starting at `start`.
    pub fn clock_at(mut self, start: DateTime<Utc>) -> Self {
        self.clock_start = Some(start);
        self
    }

    /// The simulator decides automatically `minutes` after the SMS check; with the simulated
    /// clock and a worker that claims again soon after an empty pass.
    pub fn auto_review_after(mut self, minutes: i64) -> Self {
        self.review = Some(ReviewMode::Auto(ReviewDelay::Minutes(minutes)));
        self.fast_worker = true;
        if self.clock_start.is_none() {
            self.clock_start = Some(Utc::now());
        }
        self
    }

    /// Reviews left to an officer at the simulator's console; with the simulated clock and
    /// a worker that claims again soon after an empty pass.
    pub fn manual_review(mut self) -> Self {
        self.review = Some(ReviewMode::Manual);
        self.fast_worker = true;
        if self.clock_start.is_none() {
            self.clock_start = Some(Utc::now());
        }
        self
    }

    /// The simulator's fixture registry, loaded before anything runs.
    pub fn fixture_registry(mut self) -> Self {
        self.fixture = true;
        self
    }

    /// No job worker: the test runs the jobs by hand.
    pub fn without_worker(mut self) -> Self {
        self.worker = false;
        self
    }

    /// The simulator as its own server (on its own runtime thread, so that stopping it closes
    /// every connection), sharing the simulated clock.
    pub fn simulator_as_own_server(mut self) -> Self {
        self.own_server = true;
        self.fast_worker = true;
        if self.clock_start.is_none() {
            self.clock_start = Some(Utc::now());
        }
        self
    }

    /// The bureau at `addr` (the platform talks to it as to a configured bureau), on `clock`.
    pub fn bureau_at(mut self, addr: SocketAddr, clock: SharedClock) -> Self {
        self.against = Some((addr, clock));
        self.fast_worker = true;
        self
    }

    /// A second instance of `first`: the stand-alone simulator and clock of `first`.
    pub fn instance_of(mut self, first: &TestApp) -> Self {
        self.against = Some((first.simulator_addr(), first.clock.clone()));
        self.fast_worker = true;
        self
    }

    /// A reviewer account, logged in: [`TestApp::reviewer`].
    pub fn reviewer(mut self) -> Self {
        self.reviewer = true;
        self
    }

    /// An admin account, logged in: [`TestApp::admin`].
    pub fn admin(mut self) -> Self {
        self.admin = true;
        self
    }

    /// `n` unbound service numbers (`SN-1`…) on one running instance:
    /// [`TestApp::service_numbers`].
    pub fn service_numbers(mut self, n: u32) -> Self {
        self.service_numbers = n;
        self
    }

    /// The REST API's settings (cookies stay plain-HTTP).
    pub fn api(self, api: ApiSettings) -> Self {
        self.settings(move |s| {
            s.api = ApiSettings {
                secure_cookies: false,
                ..api
            }
        })
    }

    /// Any other setting.
    pub fn settings(mut self, adjust: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.adjust.push(Box::new(adjust));
        self
    }

    /// The settings this builder starts the server with over `t`.
    pub fn build_settings(&mut self, t: &TestStore) -> Settings {
        let mut settings = Settings::embedded(t.data_dir(), "127.0.0.1:0".parse().unwrap());
        settings.database_url = t.database_url.clone();
        settings.data_key = Some(t.key.clone());
        settings.api = ApiSettings {
            secure_cookies: false,
            ..ApiSettings::default()
        };
        settings.worker.enabled = self.worker;
        if self.fast_worker {
            settings.worker.idle_wait = Duration::from_millis(50);
        }
        if let Some(start) = self.clock_start {
            settings.clock = Some(Arc::new(SimulatedClock::new(start)));
        }
        if let Some(review) = self.review {
            settings.simulator = Some(SimulatorSettings {
                review,
                simulated_clock: self.clock_start.is_some(),
                controls: None,
                platform_texts_to_phones: false,
            });
        }
        // Test mode: the simulator's controls are mounted, behind the operator token.
        if let Some(sim) = settings.simulator.as_mut() {
            sim.controls = Some(SIM_TOKEN.to_owned());
        }
        if self.own_server || self.against.is_some() {
            settings.simulator = None;
        }
        for adjust in self.adjust.drain(..) {
            adjust(&mut settings);
        }
        settings
    }

    /// Starts the server (and the stand-alone simulator) over `t`, with what was asked for.
    pub async fn start(mut self, t: &TestStore) -> TestApp {
        let mut settings = self.build_settings(t);
        let mut sim = None;
        let stand_alone = if let Some((addr, clock)) = self.against.take() {
            settings.clock = Some(clock);
            Some(addr)
        } else if self.own_server {
            let clock = settings.clock.clone().unwrap();
            let server = SimServer::start(
                "127.0.0.1:0".parse().unwrap(),
                t.data_dir().join("sim"),
                clock,
            );
            let addr = server.addr;
            sim = Some(server);
            Some(addr)
        } else {
            None
        };
        if let Some(addr) = stand_alone {
            settings.regulator = RegulatorEndpoint {
                base_url: Some(format!("http://{addr}")),
                isp_id: 1,
                user: Some(bureau::ISP_USER.into()),
                password: Some(bureau::ISP_PASSWORD.into()),
                extensions: Some(true),
                ..RegulatorEndpoint::default()
            };
        }
        let app = Application::build(settings).await.unwrap();
        let state = app.state().clone();
        let regulator = match &state.regulator {
            Some(r) => r.clone(),
            // The tests read the stand-alone registry through their own handle on its file.
            None => Regulator::open(
                &t.data_dir().join("sim"),
                state.clock.clone(),
                bureau::sim_config(),
            )
            .await
            .unwrap(),
        };
        if self.fixture {
            beian_regulator::fixture::load(&regulator).await.unwrap();
        }
        let addr = app.addr();
        let metrics_addr = app.metrics_addr();
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(app.run_until(async move {
            let _ = stopped.wait_for(|s| *s).await;
        }));
        let mut test_app = TestApp {
            base: format!("http://{addr}"),
            addr,
            metrics_addr,
            http: Client::new(),
            store: state.store.clone(),
            objects: state.objects.clone(),
            client: state.regulator_client.clone(),
            clock: state.clock.clone(),
            data_dir: t.data_dir().to_path_buf(),
            state,
            regulator,
            sim,
            reviewer: None,
            admin: None,
            service_numbers: Vec::new(),
            stop: Some(stop),
            running: Some(running),
        };
        if self.reviewer {
            test_app.reviewer = Some(test_app.new_user("reviewer", Role::Reviewer).await);
        }
        if self.admin {
            test_app.admin = Some(test_app.new_user("admin", Role::Admin).await);
        }
        if self.service_numbers > 0 {
            let numbers: Vec<String> = (1..=self.service_numbers)
                .map(|i| format!("SN-{i}"))
                .collect();
            setup::instance_with_numbers(&test_app.store, &numbers).await;
            test_app.service_numbers = numbers;
        }
        test_app
    }
}
