//! The portal tests' browser: [`Browser`] keeps cookies (checking each is `HttpOnly` and
//! `SameSite=Lax`), follows no redirect by itself, and posts forms the way a browser does
//! (form-urlencoded or multipart, with the CSRF token from its cookie and its own Origin).
//! [`Page`] is an answer with what the tests ask of it; [`assert_no_remote_urls`] greps a
//! page for anything fetched from elsewhere.

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode, redirect};

use super::TestApp;
use super::session::{PASSWORD, Session};

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

    /// Asserts that no text is on the page.
    pub fn lacks(&self, texts: &[&str]) -> &Page {
        for t in texts {
            assert!(
                !self.body.contains(t),
                "{t:?} on the page ({}):\n{}",
                self.status,
                self.body
            );
        }
        self
    }

    /// The `href` of the first link whose text is `label`.
    pub fn link(&self, label: &str) -> Option<String> {
        self.links(label).into_iter().next()
    }

    /// The `href` of every link whose text is `label`.
    pub fn links(&self, label: &str) -> Vec<String> {
        self.body
            .split("<a ")
            .skip(1)
            .filter_map(|a| {
                let (attrs, rest) = a.split_once('>')?;
                let text = rest.split("</a>").next()?;
                if text.trim() != label {
                    return None;
                }
                let href = attrs.split("href=\"").nth(1)?.split('"').next()?;
                Some(unescape(href))
            })
            .collect()
    }

    /// The `action` of every form on the page.
    pub fn actions(&self) -> Vec<String> {
        self.body
            .split("<form ")
            .skip(1)
            .filter_map(|f| {
                let action = f.split("action=\"").nth(1)?.split('"').next()?;
                Some(unescape(action))
            })
            .collect()
    }
}

/// Undoes the page's HTML escaping of an attribute or text.
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in a tag's attributes.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(unescape(tag[at..].split('"').next()?))
}

/// One input of a form as the page shows it.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub value: String,
    pub readonly: bool,
}

impl Page {
    /// What a browser sends for the form posting to `action` (the `_csrf` field aside):
    /// each text, hidden and password input's value, each enabled select's chosen option,
    /// each ticked check box, each textarea; with whether the page shows it read-only.
    pub fn form(&self, action: &str) -> Vec<Input> {
        let form = self
            .body
            .split("<form ")
            .skip(1)
            .find(|f| attr(&format!(" {f}"), "action").as_deref() == Some(action))
            .unwrap_or_else(|| panic!("no form posting to {action}:\n{}", self.body));
        let form = form.split("</form>").next().unwrap();
        let mut out = Vec::new();
        let mut select: Option<(String, bool)> = None;
        for piece in form.split('<').skip(1) {
            let (tag, text) = piece.split_once('>').unwrap_or((piece, ""));
            let tag = format!(" {tag}");
            let kind = tag.split_whitespace().next().unwrap_or("");
            match kind {
                "input" => {
                    let (Some(name), ty) = (attr(&tag, "name"), attr(&tag, "type")) else {
                        continue;
                    };
                    let ty = ty.unwrap_or_else(|| "text".into());
                    if name == "_csrf" || ty == "file" || ty == "submit" {
                        continue;
                    }
                    if ty == "checkbox" && !tag.contains(" checked") {
                        continue;
                    }
                    out.push(Input {
                        name,
                        value: attr(&tag, "value").unwrap_or_default(),
                        readonly: tag.contains(" readonly"),
                    });
                }
                "select" => {
                    select = attr(&tag, "name").map(|n| (n, tag.contains(" disabled")));
                }
                "/select" => select = None,
                "option" if tag.contains(" selected") => {
                    if let Some((name, false)) = &select {
                        out.push(Input {
                            name: name.clone(),
                            value: attr(&tag, "value").unwrap_or_default(),
                            readonly: false,
                        });
                    }
                }
                "textarea" => {
                    if let Some(name) = attr(&tag, "name") {
                        out.push(Input {
                            name,
                            value: unescape(text),
                            readonly: tag.contains(" readonly"),
                        });
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// A browser: its cookies and its language.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    http: Client,
}

impl<'a> Browser<'a> {
    /// A browser set to `lang` (`zh-CN` or `en`), with no session yet.
    pub fn new(app: &'a TestApp, lang: &str) -> Browser<'a> {
        let mut cookies = BTreeMap::new();
        cookies.insert("beian_lang".to_owned(), lang.to_owned());
        Browser {
            app,
            cookies,
            http: Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// The same browser's cookies (session, token) in the other tab of `lang`.
    pub fn in_lang(&self, lang: &str) -> Browser<'a> {
        let mut other = Browser::new(self.app, lang);
        other.cookies.extend(self.cookies.clone());
        other.cookies.insert("beian_lang".into(), lang.into());
        other
    }

    /// A browser carrying `session`'s cookie (one login serves the API and the pages).
    pub fn of(app: &'a TestApp, session: &Session, lang: &str) -> Browser<'a> {
        let mut b = Browser::new(app, lang);
        b.cookies
            .insert("beian_session".into(), session.cookie.clone());
        b
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
            .http
            .get(format!("{}{path}", self.app.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.absorb(res).await
    }

    /// GET, asserting 200 and that the page loads nothing from elsewhere.
    pub async fn open(&mut self, path: &str) -> Page {
        let page = self.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert_no_remote_urls(&page);
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
        let origin = self.app.base.clone();
        self.post_raw(path, &all, Some(&origin)).await
    }

    /// Posts a form and asserts it redirects (303) to `to`.
    pub async fn post_to(&mut self, path: &str, fields: &[(&str, &str)], to: &str) -> Page {
        let page = self.post(path, fields).await;
        assert_eq!(
            (page.status, page.location()),
            (StatusCode::SEE_OTHER, to),
            "{path}: {}",
            page.body
        );
        page
    }

    /// Opens `path` and submits its form posting to `action` as a person would: what the
    /// page shows is sent as shown, `typed` is entered into its fields (a field the page
    /// shows read-only cannot be typed into: the test fails, naming it).
    pub async fn fill(&mut self, path: &str, action: &str, typed: &[(&str, &str)]) -> Page {
        let page = self.open(path).await;
        let mut inputs = page.form(action);
        for (name, value) in typed {
            match inputs.iter_mut().find(|i| i.name == *name) {
                Some(i) => {
                    assert!(
                        !i.readonly || i.value == *value,
                        "{name} is read-only on {path} (it shows {:?}, the test would type {value:?})",
                        i.value
                    );
                    i.value = (*value).to_owned();
                }
                None => inputs.push(Input {
                    name: (*name).to_owned(),
                    value: (*value).to_owned(),
                    readonly: false,
                }),
            }
        }
        let sent: Vec<(&str, &str)> = inputs
            .iter()
            .map(|i| (i.name.as_str(), i.value.as_str()))
            .collect();
        self.post(action, &sent).await
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
            .http
            .post(format!("{}{path}", self.app.base))
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
            .http
            .post(format!("{}{path}", self.app.base))
            .header("cookie", self.cookie_header())
            .header("origin", &self.app.base)
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
        let email = format!("{username}@example.com");
        self.post_to(
            "/register",
            &[
                ("username", username),
                ("password", PASSWORD),
                ("email", &email),
                ("mobile", "13812345678"),
            ],
            "/login",
        )
        .await;
        self.login(username).await;
    }

    /// Logs in through the login page.
    pub async fn login(&mut self, username: &str) {
        self.open("/login").await;
        let page = self
            .post("/login", &[("username", username), ("password", PASSWORD)])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert!(self.cookies.contains_key("beian_session"));
    }
}

/// No remote URL in a rendered page (no CDN, nothing fetched from elsewhere).
pub fn assert_no_remote_urls(page: &Page) {
    let body = page.body.to_ascii_lowercase();
    for bad in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "action=\"http",
        "action=\"//",
        "hx-get=\"http",
        "url(",
        "@import",
        "cdn.",
        "<script>",
    ] {
        assert!(!body.contains(bad), "{bad} in the page:\n{}", page.body);
    }
}

/// The order id of a `/orders/{id}/…` location.
pub fn order_id(location: &str) -> String {
    location
        .trim_start_matches("/orders/")
        .split(['/', '?'])
        .next()
        .unwrap()
        .to_owned()
}
