//! The accounts API over HTTP on each backend: registration and its field errors, login
//! cookies and session rotation, logout, API keys, 401s, login throttling, idempotent
//! retries and the OpenAPI document.

use beian_store::testing;
use beian_web::settings::ApiSettings;
use reqwest::{Method, Response, StatusCode};

use crate::harness::TestApp;
use serde_json::{Value, json};

/// Raw requests of the accounts API (the tests look at statuses and headers).
trait Accounts {
    fn post(&self, path: &str) -> reqwest::RequestBuilder;
    async fn register(&self, body: Value) -> Response;
    async fn try_login(&self, username: &str, password: &str, cookie: Option<&str>) -> Response;
    async fn new_key(&self, cookie: Option<&str>, bearer: Option<&str>) -> Response;
}

impl Accounts for TestApp {
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.anon(Method::POST, path)
    }

    async fn register(&self, body: Value) -> Response {
        self.post("/api/v1/accounts")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn try_login(&self, username: &str, password: &str, cookie: Option<&str>) -> Response {
        let mut req = self
            .post("/api/v1/sessions")
            .json(&json!({"username": username, "password": password}));
        if let Some(c) = cookie {
            req = req.header("cookie", format!("beian_session={c}"));
        }
        req.send().await.unwrap()
    }

    async fn new_key(&self, cookie: Option<&str>, bearer: Option<&str>) -> Response {
        let mut req = self.post("/api/v1/api-keys");
        if let Some(c) = cookie {
            req = req.header("cookie", format!("beian_session={c}"));
        }
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        req.send().await.unwrap()
    }
}

fn alice() -> Value {
    json!({"username": "alice", "password": "correct horse 1", "email": "alice@example.com",
           "mobile": "13812345678"})
}

/// The session id of a response's `Set-Cookie`, checking its attributes.
fn session_of(res: &Response) -> String {
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "secure_cookies is off: {cookie}"
    );
    let value = cookie.split(';').next().unwrap();
    value.strip_prefix("beian_session=").unwrap().to_owned()
}

async fn error_of(res: Response) -> Value {
    res.json::<Value>().await.unwrap()["error"].clone()
}

#[tokio::test]
async fn register_login_keys_and_logout() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let res = api.register(alice()).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["username"], "alice");
        assert_eq!(created["role"], "applicant");
        assert_ne!(
            created["mobile"], "13812345678",
            "the mobile is shown masked"
        );

        // A bad value in each field: 422 naming that field (and only it).
        for (field, bad) in [
            ("username", json!("Al")),
            ("password", json!("aaaaaaaaaaaa")),
            ("email", json!("not-an-email")),
            ("mobile", json!("12345")),
        ] {
            let mut body = alice();
            body["username"] = json!("bob");
            body[field] = bad;
            let res = api.register(body).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            let error = error_of(res).await;
            assert_eq!(error["code"], "validation_failed");
            let fields = error["fields"].as_object().unwrap();
            assert_eq!(fields.keys().collect::<Vec<_>>(), [field], "{error}");
        }
        // Every field wrong at once: every field named.
        let res = api.register(json!({"username": "x"})).await;
        let error = error_of(res).await;
        assert_eq!(error["fields"].as_object().unwrap().len(), 4, "{error}");

        // A taken username: zh-CN by default, English on request.
        let res = api.register(alice()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_of(res).await["fields"]["username"], "已被占用");
        let res = api
            .post("/api/v1/accounts")
            .header("accept-language", "en-US,en;q=0.9")
            .json(&alice())
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(res).await["fields"]["username"], "already taken");
        // Core validators' messages follow the language too.
        let mut bad_email = alice();
        bad_email["email"] = json!("a@b@c");
        let mut messages = Vec::new();
        for language in ["zh-CN", "en"] {
            let res = api
                .post("/api/v1/accounts")
                .header("accept-language", language)
                .json(&bad_email)
                .send()
                .await
                .unwrap();
            let error = error_of(res).await;
            messages.push(error["fields"]["email"].as_str().unwrap().to_owned());
        }
        assert!(
            !messages[0].is_ascii() && messages[1].is_ascii(),
            "{messages:?}"
        );

        // Login sets the cookie; the session authenticates.
        let res = api.try_login("alice", "correct horse 1", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let first = session_of(&res);
        assert_eq!(res.json::<Value>().await.unwrap()["username"], "alice");
        assert_eq!(api.new_key(Some(&first), None).await.status(), 201);

        // Logging in again (with the old cookie) gives a new id and ends the old session.
        let res = api
            .try_login("alice", "correct horse 1", Some(&first))
            .await;
        let second = session_of(&res);
        assert_ne!(first, second);
        let res = api.new_key(Some(&first), None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(res).await["code"], "unauthenticated");

        // API keys: shown once, authenticate as Bearer; wrong or absent credentials are 401.
        let res = api.new_key(Some(&second), None).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let key = res.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(key.starts_with("bk_"));
        assert_eq!(api.new_key(None, Some(&key)).await.status(), 201);
        assert_eq!(api.new_key(None, Some("bk_wrong")).await.status(), 401);
        let res = api.new_key(None, None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(res).await["code"], "unauthenticated");

        // Logout ends the session and clears the cookie.
        let res = api
            .http
            .delete(format!("{}/api/v1/sessions/current", api.base))
            .header("cookie", format!("beian_session={second}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(
            res.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(api.new_key(Some(&second), None).await.status(), 401);
        // The API key outlives the session.
        assert_eq!(api.new_key(None, Some(&key)).await.status(), 201);
    })
    .await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_and_per_address() {
    // The windows are measured on the simulated clock, which stands still: however slow
    // the requests, none of them falls out of its window.
    testing::each_backend(async |t| {
        let limits = ApiSettings {
            login_free_failures_per_account_and_source: 3,
            ..ApiSettings::default()
        };
        let api = TestApp::new().simulated_clock().api(limits).start(t).await;
        assert_eq!(api.register(alice()).await.status(), 201);
        // Unknown usernames and wrong passwords get the same answer.
        let unknown = error_of(api.try_login("nobody", "correct horse 1", None).await).await;
        let wrong = api.try_login("alice", "wrong password 1", None).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(wrong).await, unknown);
        assert_eq!(unknown["code"], "invalid_credentials");
        for _ in 0..2 {
            assert_eq!(
                api.try_login("alice", "wrong password 1", None)
                    .await
                    .status(),
                401
            );
        }
        // Past the free failures, even the right password waits a delay, with Retry-After;
        // the delay doubles with each further failure.
        let retry_after = |res: &Response| -> u64 {
            res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        let res = api.try_login("alice", "correct horse 1", None).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&res), 1);
        assert_eq!(error_of(res).await["code"], "too_many_attempts");
        api.advance(chrono::Duration::seconds(1));
        assert_eq!(
            api.try_login("alice", "wrong password 1", None)
                .await
                .status(),
            401
        );
        let res = api.try_login("alice", "correct horse 1", None).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&res), 2);
        api.advance(chrono::Duration::seconds(2));
        assert_eq!(
            api.try_login("alice", "correct horse 1", None)
                .await
                .status(),
            200
        );
        // Another account is not affected.
        let mut bob = alice();
        bob["username"] = json!("bob");
        assert_eq!(api.register(bob).await.status(), 201);
        assert_eq!(
            api.try_login("bob", "correct horse 1", None).await.status(),
            200
        );

        // Per address: two failures a minute, whatever the username.
        let limits = ApiSettings {
            login_failures_per_ip_per_minute: 2,
            ..ApiSettings::default()
        };
        let api = TestApp::new().simulated_clock().api(limits).start(t).await;
        for name in ["carol", "dave"] {
            assert_eq!(
                api.try_login(name, "wrong password 1", None).await.status(),
                401
            );
        }
        let res = api.try_login("bob", "correct horse 1", None).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key("retry-after"));

        // The general per-address request limit.
        let limits = ApiSettings {
            requests_per_ip_per_second: 1,
            request_burst_per_ip: 3,
            ..ApiSettings::default()
        };
        let api = TestApp::new().simulated_clock().api(limits).start(t).await;
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(api.register(json!({})).await.status().as_u16());
        }
        assert_eq!(statuses, [422, 422, 422, 429]);
    })
    .await;
}

#[tokio::test]
async fn idempotent_retries_replay_the_first_answer() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let send = async |key: &str, body: &Value| {
            api.post("/api/v1/accounts")
                .header("idempotency-key", key)
                .json(body)
                .send()
                .await
                .unwrap()
        };
        let first = send("k-1", &alice()).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        assert!(!first.headers().contains_key("idempotent-replayed"));
        let first_body: Value = first.json().await.unwrap();
        let again = send("k-1", &alice()).await;
        assert_eq!(
            again.status(),
            StatusCode::CREATED,
            "not a duplicate-username 422"
        );
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.json::<Value>().await.unwrap(), first_body);

        let mut other = alice();
        other["username"] = json!("alice2");
        let res = send("k-1", &other).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_of(res).await["code"], "idempotency_key_reused");

        // Two at once with one key: one runs; the other is 409 or, if late, the replay.
        let mut carol = alice();
        carol["username"] = json!("carol");
        let (a, b) = tokio::join!(send("k-3", &carol), send("k-3", &carol));
        let mut answers = Vec::new();
        for res in [a, b] {
            let replayed = res.headers().contains_key("idempotent-replayed");
            answers.push((res.status().as_u16(), replayed));
        }
        answers.sort();
        assert!(
            answers == [(201, false), (201, true)] || answers == [(201, false), (409, false)],
            "{answers:?}"
        );

        // Refusals are kept too; bad keys are 400.
        let bad = json!({"username": "x"});
        let res = send("k-2", &bad).await;
        assert_eq!(res.status(), 422);
        let res = send("k-2", &bad).await;
        assert_eq!(res.status(), 422);
        assert_eq!(res.headers()["idempotent-replayed"], "true");
        let res = send("with space", &alice()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_of(res).await["code"], "bad_idempotency_key");

        // Keys are scoped: an account's key is not the address's.
        let cookie = session_of(&api.try_login("alice", "correct horse 1", None).await);
        let key_with = async |idem: &str| {
            api.post("/api/v1/api-keys")
                .header("cookie", format!("beian_session={cookie}"))
                .header("idempotency-key", idem)
                .send()
                .await
                .unwrap()
        };
        // An API key is a secret: not kept, so a retry makes a new key (documented).
        let a: Value = key_with("k-1").await.json().await.unwrap();
        let b = key_with("k-1").await;
        assert_eq!(b.status(), StatusCode::CREATED);
        assert!(!b.headers().contains_key("idempotent-replayed"));
        assert_ne!(b.json::<Value>().await.unwrap()["key"], a["key"]);
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_and_viewer_are_served() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let res = api
            .http
            .get(format!("{}/api/openapi.json", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let doc: Value = res.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/accounts",
            "/api/v1/sessions",
            "/api/v1/sessions/current",
            "/api/v1/api-keys",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        // Unknown API paths answer with the error body too.
        let res = api
            .http
            .get(format!("{}/api/v1/nope", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(error_of(res).await["code"], "not_found");
        let res = api
            .http
            .get(format!("{}/api/docs", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().to_lowercase().contains("swagger"));
    })
    .await;
}
