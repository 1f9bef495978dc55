#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The harness of the order API tests: a server on port 0 over the test store with the
//! in-process simulator, logged-in sessions, request bodies and store-side set-up.

use std::sync::Arc;

use beian_core::credit_code::CreditCode;
use beian_regulator::Regulator;
use beian_store::Store;
use beian_store::accounts::{NewAccount, Role};
use beian_store::orders::NewMaterial;
use beian_store::products::NewInstance;
use beian_store::testing::TestStore;
use beian_web::settings::{ApiSettings, Settings};
use beian_web::startup::Application;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};

pub struct Api {
    pub base: String,
    pub http: Client,
    pub regulator: Regulator,
    pub store: Arc<Store>,
}

pub async fn start(t: &TestStore) -> Api {
    start_with(t, false).await
}

/// With `fixture`, the simulator's fixture registry is loaded before the server (and the
/// simulator's review driver) starts, so nothing else writes to it meanwhile.
pub async fn start_with(t: &TestStore, fixture: bool) -> Api {
    let mut settings = Settings::embedded(t.data_dir(), "127.0.0.1:0".parse().unwrap());
    settings.database_url = t.database_url.clone();
    settings.data_key = Some(t.key.clone());
    settings.api = ApiSettings {
        secure_cookies: false,
        ..ApiSettings::default()
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    let regulator = app.state().regulator.clone().unwrap();
    let store = app.state().store.clone();
    if fixture {
        load_fixture(&regulator).await;
    }
    tokio::spawn(app.run_until_stopped());
    Api {
        base,
        http: Client::new(),
        regulator,
        store,
    }
}

/// A logged-in client (its session cookie).
pub struct Session<'a> {
    pub api: &'a Api,
    pub cookie: String,
    pub account_id: String,
}

impl Api {
    pub async fn applicant(&self, username: &str) -> Session<'_> {
        let res = self
            .http
            .post(format!("{}/api/v1/accounts", self.base))
            .json(&json!({"username": username, "password": "correct horse 1",
                          "email": format!("{username}@example.com"), "mobile": "13812345678"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        self.login(username).await
    }

    /// A reviewer account made in the store (registration makes applicants only).
    pub async fn reviewer(&self, username: &str) -> Session<'_> {
        let hash = beian_web::api::auth::hash_password("correct horse 1").unwrap();
        let mut tx = self.store.begin().await.unwrap();
        tx.insert_account(
            "test",
            &NewAccount {
                username,
                password_hash: &hash,
                email: &format!("{username}@example.com"),
                mobile: Some("13812345678"),
                role: Role::Reviewer,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        self.login(username).await
    }

    pub async fn login(&self, username: &str) -> Session<'_> {
        let res = self
            .http
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&json!({"username": username, "password": "correct horse 1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        let value = cookie
            .split(';')
            .next()
            .unwrap()
            .trim()
            .strip_prefix("beian_session=")
            .unwrap()
            .to_owned();
        let session: Value = res.json().await.unwrap();
        Session {
            api: self,
            cookie: value,
            account_id: session["account_id"].as_str().unwrap().to_owned(),
        }
    }
}

impl Session<'_> {
    pub fn req(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.api
            .http
            .request(method, format!("{}/api/v1{path}", self.api.base))
            .header("cookie", format!("beian_session={}", self.cookie))
    }

    pub async fn send(&self, req: RequestBuilder) -> (StatusCode, Value) {
        let res = req.send().await.unwrap();
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// The answer's bytes (a PDF, a page).
    pub async fn send_raw(&self, req: RequestBuilder) -> (StatusCode, Vec<u8>) {
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.bytes().await.unwrap().to_vec())
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::PUT, path).json(&body))
            .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::GET, path)).await
    }
}

pub fn credit_code(serial: u32) -> String {
    CreditCode::from_parts(&format!("91330106{serial:08}"))
        .unwrap()
        .as_str()
        .to_owned()
}

pub fn check(domain: &str, cert: &str, name: &str) -> Value {
    json!({"domain": domain, "sponsor": {"province": "33", "nature": "enterprise",
           "certificate_type": "credit_code", "certificate_number": cert, "name": name}})
}

pub fn resident_id(serial: u32) -> String {
    let body = format!("33010619900101{:03}", serial % 1000);
    let check = beian_core::resident_id::check_character(&body).unwrap();
    format!("{body}{check}")
}

pub fn person() -> Value {
    json!({"name": "张三", "certificate_type": "resident_id",
           "certificate_number": resident_id(1), "mobile": "13800138000",
           "email": "zhang@example.cn", "emergency_mobile": "13900139000",
           "office_phone": "0571-88888888"})
}

/// Store-side set-up the API does not offer yet: a running instance with a service number,
/// and every material of the order.
pub async fn product_and_materials(store: &Store, order_id: &str, number: &str) {
    let now = store.now().timestamp_millis();
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
    for (i, kind) in [
        "business_license",
        "sponsor_id_front",
        "sponsor_id_back",
        "website_owner_id_front",
        "website_owner_id_back",
        "verification_form",
        "domain_certificate",
        "pre_approval",
    ]
    .into_iter()
    .enumerate()
    {
        tx.insert_material(
            "test",
            &NewMaterial {
                order_id,
                kind,
                object_key: &format!("{order_id}/{i}"),
                content_type: "image/jpeg",
                size: 10,
                sha256_hex: "00",
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The fixture sponsor the access tests use: its number, its credit code, its name and its
/// first domain.
pub fn fixture_sponsor() -> (&'static str, String, &'static str, &'static str) {
    let (number, code, name, sites) = beian_regulator::fixture::SPONSORS[0];
    (number, code.to_owned(), name, sites[0].0)
}

/// Loads the simulator's fixture registry.
pub async fn load_fixture(regulator: &Regulator) {
    beian_regulator::fixture::load(regulator).await.unwrap();
}
