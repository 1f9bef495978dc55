#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The harness of the admin and deadline tests: the real server on port 0 with a simulated
//! clock (moved by the tests), an admin session, and store-side set-up of orders.

use std::time::Duration;

use beian_core::clock::SharedClock;
use beian_store::accounts::{NewAccount, Role};
use beian_store::orders::{NewOrder, TimelineEvent, TransitionExtras};
use beian_store::testing::TestStore;
use beian_web::settings::{ApiSettings, Settings, SimulatorSettings};
use beian_web::startup::{AppState, Application};
use reqwest::Client;
use serde_json::{Value, json};

use crate::orders_support::{Api, Session};

/// The running server, its state (for the job functions) and its clock.
pub struct Harness {
    pub api: Api,
    pub state: AppState,
    pub clock: SharedClock,
}

/// Starts the server over the test store with a simulated clock.
pub async fn start(t: &TestStore) -> Harness {
    let mut settings = Settings::embedded(t.data_dir(), "127.0.0.1:0".parse().unwrap());
    settings.database_url = t.database_url.clone();
    settings.data_key = Some(t.key.clone());
    settings.api = ApiSettings {
        secure_cookies: false,
        ..ApiSettings::default()
    };
    settings.simulator = Some(SimulatorSettings {
        simulated_clock: true,
        ..SimulatorSettings::default()
    });
    // These tests drive the jobs by hand (`run_due_jobs`); the server's own worker stays off.
    settings.worker.enabled = false;
    let app = Application::build(settings).await.unwrap();
    let state = app.state().clone();
    let api = Api {
        base: format!("http://{}", app.addr()),
        http: Client::new(),
        regulator: state.regulator.clone().unwrap(),
        store: state.store.clone(),
    };
    let clock = state.clock.clone();
    tokio::spawn(app.run_until_stopped());
    Harness { api, state, clock }
}

impl Harness {
    /// Moves the simulated clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.simulated().unwrap().advance(by).unwrap();
    }

    /// Moves the simulated clock to `at` (which must be later than now).
    pub fn advance_to(&self, at: chrono::DateTime<chrono::Utc>) {
        let by = at - self.clock.now();
        self.advance(by);
    }

    /// An account with `role` made in the store, logged in.
    pub async fn user(&self, username: &str, role: Role) -> Session<'_> {
        let hash = beian_web::api::auth::hash_password("correct horse 1").unwrap();
        let mut tx = self.api.store.begin().await.unwrap();
        tx.insert_account(
            "test",
            &NewAccount {
                username,
                password_hash: &hash,
                email: &format!("{username}@example.com"),
                mobile: Some("13812345678"),
                role,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        self.api.login(username).await
    }

    pub async fn admin(&self, username: &str) -> Session<'_> {
        self.user(username, Role::Admin).await
    }

    /// Runs every due job once: deadline jobs through `run_deadline_job`, others (the
    /// notification deliveries) completed without sending. Returns the kinds that ran.
    pub async fn run_due_jobs(&self) -> Vec<String> {
        let ran = std::sync::Mutex::new(Vec::new());
        let state = &self.state;
        let handler = |job: beian_store::jobs::Job| {
            ran.lock().unwrap().push(job.kind.clone());
            async move {
                if job.kind.starts_with("deadline.") {
                    let wf = state.workflow();
                    beian_platform::deadlines::run_deadline_job(&wf, &job.kind, &job.payload).await
                } else {
                    Ok(())
                }
            }
        };
        self.api
            .store
            .run_jobs_once("test-worker", 100, Duration::from_secs(60), &handler)
            .await
            .unwrap();
        ran.into_inner().unwrap()
    }

    /// The notification jobs of `event`, as (channel, days_left or null) pairs.
    pub async fn notifications(&self, event: &str) -> Vec<Value> {
        self.api
            .store
            .jobs_of_kinds(&["notify"], None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|j| {
                // Notification payloads are sealed in the queue: opened as the worker does.
                let text = beian_platform::notify::open_notify_payload(&self.api.store, &j.payload)
                    .unwrap();
                serde_json::from_str::<Value>(&text).unwrap()
            })
            .filter(|p| p["notification"]["event"] == event)
            .collect()
    }
}

/// An order made in the store for `account_id`, in `draft`, then moved through `states`
/// with `step` of simulated time before each move. Returns its id.
pub async fn order_through(
    h: &Harness,
    account_id: &str,
    steps: &[(chrono::Duration, &str, Option<Value>)],
) -> String {
    let mut tx = h.api.store.begin().await.unwrap();
    let id = tx
        .insert_order(
            "test",
            &NewOrder {
                account_id,
                sponsor_id: None,
                website_id: None,
                kind: "first_filing",
                state: "draft",
                province: "33",
            },
        )
        .await
        .unwrap();
    tx.insert_order_workflow(&id, &json!({})).await.unwrap();
    tx.commit().await.unwrap();
    let mut version = 1;
    for (wait, state, deadlines) in steps {
        h.advance(*wait);
        let mut tx = h.api.store.begin().await.unwrap();
        version = tx
            .transition_order_with(
                &id,
                version,
                state,
                &TimelineEvent::new("test", "move"),
                &TransitionExtras {
                    deadlines: deadlines.clone(),
                    ..TransitionExtras::default()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    id
}
