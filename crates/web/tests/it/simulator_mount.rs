//! `beian serve` mounts the regulator simulator on its own listener, and the whole system
//! shares one clock: moving the simulated clock over `/sim/clock/advance` moves the store's.

use beian_web::settings::{Settings, SimulatorSettings};
use beian_web::startup::Application;

#[tokio::test]
async fn the_simulator_is_mounted_and_shares_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::embedded(dir.path(), "127.0.0.1:0".parse().unwrap());
    settings.simulator = Some(SimulatorSettings {
        simulated_clock: true,
        controls: Some("operator-token".into()),
        ..SimulatorSettings::default()
    });
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    let store = app.state().store.clone();
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();

    let before = store.now();
    let res = http
        .post(format!("{base}/sim/clock/advance"))
        .header("X-Simulator-Token", "operator-token")
        .json(&serde_json::json!({ "minutes": 24 * 60 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let moved = store.now() - before;
    assert!(
        moved >= chrono::Duration::hours(24),
        "store clock moved only {moved}"
    );
    assert!(
        moved < chrono::Duration::hours(25),
        "store clock moved {moved}"
    );

    let query: serde_json::Value = http
        .get(format!("{base}/miit/query?domain=example.com"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(query["records"].is_array(), "{query}");

    // The V3.0 SOAP service answers at the spec's path (a malformed envelope is a SOAP fault).
    let soap = http
        .post(format!("{base}{}", beian_miit::v3::paths::UP_DOWN_LOAD))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body("<not-soap/>")
        .send()
        .await
        .unwrap();
    assert_eq!(soap.status(), 500);
    assert!(soap.text().await.unwrap().contains("Fault"));

    // The platform's own routes are still there beside it.
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn without_the_simulator_its_paths_are_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::embedded(dir.path(), "127.0.0.1:0".parse().unwrap());
    settings.simulator = None;
    // Without the simulator, a bureau endpoint must be configured (nothing listens here).
    settings.regulator.base_url = Some("http://127.0.0.1:9".into());
    settings.regulator.user = Some("isp".into());
    settings.regulator.password = Some("secret".into());
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    let res = reqwest::get(format!("{base}/miit/query?domain=example.com"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(!dir.path().join("regulator").exists());
    assert!(
        !dir.path()
            .join(beian_platform::regulator_link::CREDENTIALS_FILE)
            .exists()
    );
}

#[tokio::test]
async fn without_the_simulator_or_an_endpoint_startup_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::embedded(dir.path(), "127.0.0.1:0".parse().unwrap());
    settings.simulator = None;
    let err = Application::build(settings).await.err().unwrap();
    assert!(
        matches!(
            err,
            beian_web::startup::StartupError::RegulatorLink(
                beian_platform::regulator_link::LinkError::NoEndpoint
            )
        ),
        "{err}"
    );
}
