#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The harness of the after-success API tests: the server with the simulator's fixture
//! registry and a simulated clock.

use beian_regulator::fixture;
use beian_store::testing::TestStore;
use beian_web::settings::{ApiSettings, Settings, SimulatorSettings};
use beian_web::startup::Application;
use reqwest::StatusCode;
use serde_json::json;

use crate::orders_support::Api;

/// The server with the fixture registry and a simulated clock (`/sim/clock/advance`).
pub async fn start(t: &TestStore) -> Api {
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
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    let regulator = app.state().regulator.clone().unwrap();
    let store = app.state().store.clone();
    fixture::load(&regulator).await.unwrap();
    tokio::spawn(app.run_until_stopped());
    Api {
        base,
        http: reqwest::Client::new(),
        regulator,
        store,
    }
}

pub async fn advance_minutes(api: &Api, minutes: i64) {
    let res = api
        .http
        .post(format!("{}/sim/clock/advance", api.base))
        .json(&json!({ "minutes": minutes }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
