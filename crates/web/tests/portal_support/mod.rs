#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The portal tests' harness: a server on port 0 with the in-process simulator (its fixture
//! registry loaded), and a [`Browser`] that keeps cookies, follows nothing by itself, and
//! posts forms the way a browser does (form-urlencoded or multipart, with the CSRF token
//! from its cookie and its own Origin).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use beian_regulator::Regulator;
use beian_store::Store;
use beian_store::accounts::{NewAccount, Role};
use beian_store::products::NewInstance;
use beian_store::testing::TestStore;
use beian_web::settings::{ApiSettings, Settings};
use beian_web::startup::Application;
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode, redirect};

pub const PASSWORD: &str = "correct horse 1";

pub struct Site {
    pub base: String,
    pub http: Client,
    pub regulator: Regulator,
    pub store: Arc<Store>,
}

pub async fn start(t: &TestStore) -> Site {
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
    beian_regulator::fixture::load(&regulator).await.unwrap();
    tokio::spawn(app.run_until_stopped());
    Site {
        base,
        http: Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap(),
        regulator,
        store,
    }
}

/// An answer: status, headers, body text.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .map_or("", |v| v.to_str().unwrap())
    }

    /// Asserts that every text is on the page.
    pub fn has(&self, texts: &[&str]) -> &Page {
        for t in texts {
            assert!(
                self.body.contains(t),
                "{t:?} missing from the page ({}):\n{}",
                self.status,
                self.body
            );
        }
        self
    }
}

/// A browser: its cookies and its language.
pub struct Browser<'s> {
    pub site: &'s Site,
    pub cookies: BTreeMap<String, String>,
}

impl<'s> Browser<'s> {
    pub fn new(site: &'s Site, lang: &str) -> Browser<'s> {
        let mut cookies = BTreeMap::new();
        cookies.insert("beian_lang".to_owned(), lang.to_owned());
        Browser { site, cookies }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn absorb(&mut self, res: reqwest::Response) -> Page {
        for c in res.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            assert!(attrs.contains("HttpOnly"), "{c}");
            assert!(attrs.contains("SameSite=Lax"), "{c}");
            if attrs.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .site
            .http
            .get(format!("{}{path}", self.site.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.absorb(res).await
    }

    /// GET, asserting 200.
    pub async fn open(&mut self, path: &str) -> Page {
        let page = self.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        page
    }

    pub fn csrf(&self) -> String {
        self.cookies.get("beian_csrf").cloned().unwrap_or_default()
    }

    /// Posts a form as the page's own form does (token, same origin).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&self.site.base.clone()))
            .await
    }

    /// Posts exactly these fields, with this Origin (or none).
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut req = self
            .site
            .http
            .post(format!("{}{path}", self.site.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let res = req.send().await.unwrap();
        self.absorb(res).await
    }

    /// Posts a multipart form: the token first, then `fields`, then the file.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: &[u8],
        content_type: &str,
    ) -> Page {
        const B: &str = "portal-test-boundary-7";
        let mut body = Vec::new();
        let token = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend_from_slice(
                format!(
                    "--{B}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
        let res = self
            .site
            .http
            .post(format!("{}{path}", self.site.base))
            .header("cookie", self.cookie_header())
            .header("origin", &self.site.base)
            .header("content-type", format!("multipart/form-data; boundary={B}"))
            .body(body)
            .send()
            .await
            .unwrap();
        self.absorb(res).await
    }

    /// Registers and logs in through the pages.
    pub async fn register(&mut self, username: &str) {
        self.open("/register").await;
        let page = self
            .post(
                "/register",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("email", &format!("{username}@example.com")),
                    ("mobile", "13812345678"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location(), "/login");
        self.login(username).await;
    }

    pub async fn login(&mut self, username: &str) {
        self.open("/login").await;
        let page = self
            .post("/login", &[("username", username), ("password", PASSWORD)])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert!(self.cookies.contains_key("beian_session"));
    }
}

/// A staff account made in the store (registration makes applicants only).
pub async fn staff(site: &Site, username: &str, role: Role) {
    let hash = beian_web::api::auth::hash_password(PASSWORD).unwrap();
    let mut tx = site.store.begin().await.unwrap();
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
}

/// A running server instance with one unbound service number.
pub async fn service_number(site: &Site, number: &str) {
    let now = site.store.now().timestamp_millis();
    let mut tx = site.store.begin().await.unwrap();
    let instance = tx
        .insert_instance(
            "test",
            &NewInstance {
                account_id: None,
                product: "ecs",
                public_ip: Some("203.0.113.9"),
                term_start: now - 86_400_000,
                term_end: now + 365 * 86_400_000,
            },
        )
        .await
        .unwrap();
    tx.insert_service_number("test", &instance, number)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A small real picture, as a phone camera would send it.
pub fn jpeg() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 4) as u8, 160])
    });
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// The order id of a `/orders/{id}/…` location.
pub fn order_id(location: &str) -> String {
    location
        .trim_start_matches("/orders/")
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

/// A valid credit code with `serial`.
pub fn credit_code(serial: u32) -> String {
    beian_core::credit_code::CreditCode::from_parts(&format!("91330106{serial:08}"))
        .unwrap()
        .as_str()
        .to_owned()
}

pub fn resident_id(serial: u32) -> String {
    let body = format!("33010619900101{:03}", serial % 1000);
    let check = beian_core::resident_id::check_character(&body).unwrap();
    format!("{body}{check}")
}

/// No remote URL in a rendered page (no CDN, nothing fetched from elsewhere).
pub fn assert_no_remote_urls(page: &Page) {
    for bad in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "url(",
        "@import",
        "cdn.",
    ] {
        assert!(
            !page.body.to_ascii_lowercase().contains(bad),
            "{bad} in the page:\n{}",
            page.body
        );
    }
}
