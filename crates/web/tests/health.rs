#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The server starts on port 0 over each backend and answers `/healthz`.

use beian_store::testing;
use beian_web::settings::Settings;
use beian_web::startup::Application;

#[tokio::test]
async fn healthz_answers_on_every_backend() {
    testing::each_backend(async |t| {
        let mut settings = Settings::embedded(t.data_dir(), "127.0.0.1:0".parse().unwrap());
        settings.database_url = t.database_url.clone();
        settings.data_key = Some(t.key.clone());
        let app = Application::build(settings).await.unwrap();
        let url = format!("http://{}/healthz", app.addr());
        let backend = app.state().store.backend().as_str();
        tokio::spawn(app.run_until_stopped());
        let res = reqwest::get(&url).await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], backend);
    })
    .await;
}
