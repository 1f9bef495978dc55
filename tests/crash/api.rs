//! A client of the API that rides out a server being killed: a request that got no answer (the
//! connection refused or cut), a 503 `busy`, a 429 or a 409 `request_in_progress` is sent
//! again, with the same Idempotency-Key, to wherever the server listens now, until it is
//! answered. Each client uses its own loopback address (127.x.y.z), as the per-address request
//! limit would otherwise see one client.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The multipart boundary of [`multipart`] bodies.
pub const BOUNDARY: &str = "crash-suite-boundary-7";

/// How long one request may go unanswered before the suite fails: longer than the
/// idempotency stale time (2 minutes) after which an answer lost in a crash is reported.
const PATIENCE: Duration = Duration::from_secs(200);

/// What the clients counted.
#[derive(Default)]
pub struct Counts {
    /// Idempotent submissions answered (each counted once, however often it was sent).
    pub submissions: AtomicU64,
    /// Sends that got no answer (the server was down or died) and were sent again.
    pub resent: AtomicU64,
    /// Answers replayed from the idempotency store (`Idempotent-Replayed: true`).
    pub replayed: AtomicU64,
    /// Answers lost in a crash and rebuilt from what the commit did (`Idempotent-Rebuilt`).
    pub rebuilt: AtomicU64,
    /// 409 `request_answer_lost`: carried out, its answer lost in a crash and not rebuilt
    /// (none of the routes the suite sends in its flows should give it).
    pub answers_lost: AtomicU64,
}

/// A request body.
pub enum Body {
    Empty,
    Json(Value),
    /// A multipart body made by [`multipart`].
    Multipart(Vec<u8>),
}

/// One client: its own loopback address, and a login (session cookie) once it has one.
#[derive(Clone)]
pub struct Caller {
    base: Arc<RwLock<String>>,
    /// The number of its address.
    n: u32,
    http: reqwest::Client,
    pub cookie: Option<String>,
    pub counts: Arc<Counts>,
}

/// The answer to a request.
pub struct Answer {
    pub status: StatusCode,
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }
}

impl Caller {
    /// A client at the loopback address `127.a.b.c` numbered by `n` (1..16M).
    pub fn new(base: Arc<RwLock<String>>, n: u32, counts: Arc<Counts>) -> Caller {
        Caller {
            base,
            n,
            http: client_at(n),
            cookie: None,
            counts,
        }
    }

    /// Another client at another address with the same login.
    pub fn at(&self, n: u32) -> Caller {
        let mut other = Caller::new(self.base.clone(), n, self.counts.clone());
        other.cookie = self.cookie.clone();
        other
    }

    pub fn base(&self) -> String {
        self.base.read().unwrap().clone()
    }

    /// Sends until answered (see the module doc); `key` is the Idempotency-Key.
    pub async fn send(&self, method: Method, path: &str, key: Option<&str>, body: &Body) -> Answer {
        let started = Instant::now();
        let mut pause = Duration::from_millis(20);
        let mut last = String::from("no connection");
        let mut http = self.http.clone();
        let mut moved = 0;
        loop {
            assert!(
                started.elapsed() < PATIENCE,
                "{method} {path}: no answer in {PATIENCE:?}; last: {last}"
            );
            let url = format!("{}{path}", self.base());
            let mut req = http.request(method.clone(), url);
            if let Some(cookie) = &self.cookie {
                req = req.header("cookie", format!("beian_session={cookie}"));
            }
            if let Some(key) = key {
                req = req.header("idempotency-key", key);
            }
            req = match body {
                Body::Empty => req,
                Body::Json(v) => req.json(v),
                Body::Multipart(bytes) => req
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(bytes.clone()),
            };
            let res = match req.send().await {
                Ok(res) => res,
                Err(_) => {
                    self.counts.resent.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(400));
                    continue;
                }
            };
            let status = res.status();
            let replayed = res.headers().contains_key("idempotent-replayed");
            let rebuilt = res.headers().contains_key("idempotent-rebuilt");
            let cookie = res
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|c| c.split(';').next())
                .and_then(|c| c.trim().strip_prefix("beian_session="))
                .map(str::to_owned);
            let Ok(bytes) = res.bytes().await else {
                // Cut mid-answer by the kill.
                self.counts.resent.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let answer = Answer {
                status,
                json,
                bytes: bytes.to_vec(),
            };
            if status == StatusCode::TOO_MANY_REQUESTS {
                // The per-address allowance refills on the server's clock, which stands still
                // under `--simulated-clock`: the client moves to another loopback address.
                moved += 1;
                http = client_at(self.n ^ (moved << 20));
                last = format!("{status} {}", answer.json);
                continue;
            }
            let in_progress =
                status == StatusCode::CONFLICT && answer.code() == "request_in_progress";
            if status == StatusCode::SERVICE_UNAVAILABLE || in_progress {
                last = format!("{status} {}", answer.json);
                // A request whose answer a crash lost stays "in progress" until its server is
                // known dead (15 s without a heartbeat), then its answer is rebuilt.
                let wait = if in_progress {
                    Duration::from_secs(2)
                } else {
                    pause
                };
                tokio::time::sleep(wait).await;
                pause = (pause * 2).min(Duration::from_millis(400));
                continue;
            }
            assert!(
                status.as_u16() < 500,
                "{method} {path}: {status} {}",
                answer.json
            );
            if key.is_some() {
                self.counts.submissions.fetch_add(1, Ordering::Relaxed);
                if replayed {
                    self.counts.replayed.fetch_add(1, Ordering::Relaxed);
                }
                if rebuilt {
                    self.counts.rebuilt.fetch_add(1, Ordering::Relaxed);
                }
                if answer.code() == "request_answer_lost" {
                    self.counts.answers_lost.fetch_add(1, Ordering::Relaxed);
                }
            }
            if let Some(c) = cookie.filter(|c| !c.is_empty() && path == "/api/v1/sessions") {
                // A login's answer: kept by the caller ([`Caller::login`]).
                return Answer {
                    json: serde_json::json!({ "cookie": c, "answer": answer.json }),
                    ..answer
                };
            }
            return answer;
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, &format!("/api/v1{path}"), None, &Body::Empty)
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(
            Method::PUT,
            &format!("/api/v1{path}"),
            None,
            &Body::Json(body),
        )
        .await
    }

    /// An idempotent POST (an Idempotency-Key: one submission).
    pub async fn post(&self, path: &str, key: &str, body: Body) -> Answer {
        self.send(Method::POST, &format!("/api/v1{path}"), Some(key), &body)
            .await
    }

    /// Logs in (retried like the rest); keeps the session cookie.
    pub async fn login(&mut self, username: &str, password: &str) -> Value {
        let body = Body::Json(serde_json::json!({"username": username, "password": password}));
        let a = self
            .send(Method::POST, "/api/v1/sessions", None, &body)
            .await;
        assert_eq!(a.status, StatusCode::OK, "login of {username}: {}", a.json);
        self.cookie = Some(a.json["cookie"].as_str().unwrap().to_owned());
        a.json["answer"].clone()
    }
}

/// An HTTP client whose connections leave from the loopback address `127.a.b.c` numbered by
/// `n`.
fn client_at(n: u32) -> reqwest::Client {
    let [_, a, b, c] = n.to_be_bytes();
    let ip = IpAddr::V4(Ipv4Addr::new(127, a, b, c.max(1)));
    reqwest::Client::builder()
        .local_address(ip)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A multipart body with the text fields and one `file` part.
pub fn multipart(fields: &[(&str, &str)], file: &[u8], content_type: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A small real picture, as a phone camera sends it.
pub fn jpeg(seed: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 4) as u8, (seed % 251) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}
