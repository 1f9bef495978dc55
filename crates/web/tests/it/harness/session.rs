//! Logged-in clients ([`Session`]: a session cookie and the account behind it) and the
//! accounts tests need: applicants register over the API; staff (reviewers, admins) are made
//! in the store, as registration makes applicants only. Every test account's password is
//! [`PASSWORD`].

use beian_store::accounts::{NewAccount, Role};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::TestApp;

/// The password of every account a test makes.
pub const PASSWORD: &str = "correct horse 1";

/// A logged-in client (its session cookie).
#[derive(Clone)]
pub struct Session {
    base: String,
    http: Client,
    pub cookie: String,
    pub account_id: String,
}

impl TestApp {
    /// A new applicant, registered over the API and logged in.
    pub async fn new_applicant(&self, username: &str) -> Session {
        let res = self
            .http
            .post(format!("{}/api/v1/accounts", self.base))
            .json(&json!({"username": username, "password": PASSWORD,
                          "email": format!("{username}@example.com"), "mobile": "13812345678"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        self.login(username).await
    }

    /// A new reviewer, made in the store and logged in.
    pub async fn new_reviewer(&self, username: &str) -> Session {
        self.new_user(username, Role::Reviewer).await
    }

    /// A new admin, made in the store and logged in.
    pub async fn new_admin(&self, username: &str) -> Session {
        self.new_user(username, Role::Admin).await
    }

    /// A new account with `role`, made in the store and logged in.
    pub async fn new_user(&self, username: &str, role: Role) -> Session {
        self.new_account(username, role, Some("13812345678")).await;
        self.login(username).await
    }

    /// A new account with `role` made in the store (not logged in); its id.
    pub async fn new_account(&self, username: &str, role: Role, mobile: Option<&str>) -> String {
        let hash = beian_web::api::auth::hash_password(PASSWORD).unwrap();
        let mut tx = self.store.begin().await.unwrap();
        let id = tx
            .insert_account(
                "test",
                &NewAccount {
                    username,
                    password_hash: &hash,
                    email: &format!("{username}@example.com"),
                    mobile,
                    role,
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// Logs `username` in.
    pub async fn login(&self, username: &str) -> Session {
        let res = self
            .http
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&json!({"username": username, "password": PASSWORD}))
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
            base: self.base.clone(),
            http: self.http.clone(),
            cookie: value,
            account_id: session["account_id"].as_str().unwrap().to_owned(),
        }
    }

    /// An anonymous request to `path` on the server (`/sim/…`, `/healthz`, `/api/v1/…`).
    pub fn anon(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }
}

impl Session {
    /// A request to `/api/v1{path}` with the session cookie.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .header("cookie", format!("beian_session={}", self.cookie))
    }

    /// Sends `req`: the status and the JSON answer (`null` when it is not JSON).
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
        self.send(self.req(Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.req(Method::PUT, path).json(&body)).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.req(Method::GET, path)).await
    }
}
