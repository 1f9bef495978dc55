//! The server starts on port 0 over each backend and answers `/healthz`.

use beian_store::testing;

use crate::harness::TestApp;

#[tokio::test]
async fn healthz_answers_on_every_backend() {
    testing::each_backend(async |t| {
        let app = TestApp::new().start(t).await;
        let backend = app.store.backend().as_str();
        let res = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], backend);
    })
    .await;
}
