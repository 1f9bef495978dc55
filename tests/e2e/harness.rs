//! What the browser suite stands on: the real `beian` binary (`beian demo` fills a fresh data
//! dir, `beian serve` runs it with the simulator and the simulated clock), Debian's
//! `chromedriver` with `chromium` headless, and [`Person`]: one browser window driven as a person
//! drives it (typing into fields found by their label's field name, choosing options, pressing
//! buttons by their text, following links by their text, attaching files), each step saved as
//! a screenshot under `target/e2e/run-<pid>/<flow>/` (`target/e2e/latest` is the newest run).
//!
//! Waits are on conditions (a text on the page, a path in the address bar), bounded only so a
//! broken page fails instead of hanging; nothing waits a fixed time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a condition may take before the step fails (a busy machine is slow, never this).
const PATIENCE: Duration = Duration::from_secs(90);

/// The flows run one at a time: two browsers and two servers at once only slow each other on
/// a small machine.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Chromium and its driver, where Debian puts them (or `BEIAN_CHROMIUM`, `BEIAN_CHROMEDRIVER`).
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// The tools, or `None` with a notice (a failure with `CI=true`: CI installs them).
pub fn tools() -> Option<Tools> {
    let find = |var: &str, default: &str| {
        let p = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
        p.exists().then_some(p)
    };
    match (
        find("BEIAN_CHROMIUM", "/usr/bin/chromium"),
        find("BEIAN_CHROMEDRIVER", "/usr/bin/chromedriver"),
    ) {
        (Some(chromium), Some(chromedriver)) => Some(Tools {
            chromium,
            chromedriver,
        }),
        _ => {
            let msg = "the browser suite needs Debian's chromium and chromium-driver \
                       (apt-get install chromium chromium-driver)";
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{msg}: missing with CI=true"
            );
            eprintln!("skipped: {msg}");
            None
        }
    }
}

/// Where this run's screenshots go: `target/e2e/run-<pid>/` of the build that made this test,
/// with `target/e2e/latest` pointing at it, so that two runs at once do not overwrite each
/// other's pictures. When a run starts, the folders of finished runs are removed, but for the
/// one `latest` pointed at (the last run's pictures stay to compare).
pub fn shots_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        // The test binary is `<target>/debug/deps/e2e-…`.
        let e2e = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
            .join("e2e");
        let me = format!("run-{}", std::process::id());
        let latest = e2e.join("latest");
        let previous = std::fs::read_link(&latest).unwrap_or_default();
        for entry in std::fs::read_dir(&e2e).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let finished = name
                .strip_prefix("run-")
                .is_some_and(|pid| !Path::new("/proc").join(pid).exists());
            if finished && Path::new(&name) != previous {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let run = e2e.join(&me);
        std::fs::create_dir_all(&run).unwrap();
        let _ = std::fs::remove_file(&latest);
        let _ = std::os::unix::fs::symlink(&me, &latest);
        run
    })
    .clone()
}

/// `beian serve` on a fresh demo data dir.
pub struct Server {
    child: Child,
    pub base: String,
    token: String,
    /// The accounts' current passwords (the demo's one-time ones until changed).
    passwords: Arc<Mutex<HashMap<String, String>>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `beian demo`, then `beian serve --simulated-clock` on it; waits for its address.
    pub fn start() -> Server {
        Server::start_with(|_| {})
    }

    /// As [`Server::start`], with `prepare` run on the data dir between `beian demo` and
    /// `beian serve` (an operator's command, say).
    pub fn start_with(prepare: impl FnOnce(&Path)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_beian"))
            .args(["demo", "--registry-sponsors", "50", "--data-dir"])
            .arg(dir.path())
            .env_remove("BEIAN_DATABASE_URL")
            .env_remove("BEIAN_DATA_KEY")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "beian demo: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut passwords = HashMap::new();
        for user in ["admin", "reviewer", "customer", "bureau"] {
            let line = stdout
                .lines()
                .find(|l| l.split_whitespace().next() == Some(user))
                .unwrap_or_else(|| panic!("no login of {user} in: {stdout}"));
            let password = line.split_whitespace().nth(2).unwrap().to_owned();
            passwords.insert(user.to_owned(), password);
        }
        prepare(dir.path());
        let mut child = Command::new(env!("CARGO_BIN_EXE_beian"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-metrics",
                "--simulated-clock",
                "--bureau-review-minutes",
                "10",
                "--data-dir",
            ])
            .arg(dir.path())
            .env_remove("BEIAN_DATABASE_URL")
            .env_remove("BEIAN_DATA_KEY")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut base = None;
        let mut token = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("beian is listening on ") {
                base = Some(rest.trim_end_matches('/').to_owned());
            }
            if let Some(t) = line
                .strip_prefix("simulator-operator token (header X-Simulator-Token, for /sim/*): ")
            {
                token = Some(t.trim().to_owned());
            }
            if line.starts_with("create an account:") {
                break;
            }
        }
        Server {
            child,
            base: base.expect("beian serve printed no address"),
            token: token.expect("beian serve printed no simulator token"),
            passwords: Arc::new(Mutex::new(passwords)),
            _dir: dir,
        }
    }

    /// Moves the simulated clock (the test's hand, not a person's) and lets what fell due
    /// happen.
    pub async fn advance(&self, minutes: i64) {
        let res = reqwest::Client::new()
            .post(format!("{}/sim/clock/advance", self.base))
            .header("x-simulator-token", &self.token)
            .json(&json!({ "minutes": minutes }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    }

    /// The status `GET path` answers (an edge asking the gate, say: not a person's step).
    pub async fn status_of(&self, path: &str) -> u16 {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    fn password(&self, user: &str) -> String {
        self.passwords.lock().unwrap()[user].clone()
    }

    fn set_password(&self, user: &str, password: &str) {
        self.passwords
            .lock()
            .unwrap()
            .insert(user.to_owned(), password.to_owned());
    }
}

/// `chromedriver` on a free port.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start(tools: &Tools) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = reqwest::get(format!("{url}/status"))
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(started.elapsed() < PATIENCE, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver { child, url }
    }
}

/// A person at a browser.
pub struct Person<'s> {
    pub c: Client,
    server: &'s Server,
    shots: PathBuf,
    step: usize,
    _profile: tempfile::TempDir,
}

/// A small real picture (a phone's photo of a document or a face).
pub fn jpeg_file(dir: &Path, name: &str) -> PathBuf {
    let picture = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 160])
    });
    let path = dir.join(name);
    picture.save(&path).unwrap();
    path
}

fn xpath_literal(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

impl<'s> Person<'s> {
    /// A fresh browser (its own profile) at `width`×`height`, saving its steps under
    /// `<run>/<flow>/` of [`shots_root`].
    pub async fn new(
        tools: &Tools,
        driver: &Driver,
        server: &'s Server,
        flow: &str,
        (width, height): (u32, u32),
    ) -> Person<'s> {
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--lang=zh-CN".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium.display().to_string(),
                "args": args,
                "prefs": {"intl.accept_languages": "zh-CN,zh"},
            },
        });
        let caps: serde_json::Map<String, Value> = serde_json::from_value(caps).unwrap();
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap();
        c.set_window_size(width, height).await.unwrap();
        let shots = shots_root().join(flow);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Person {
            c,
            server,
            shots,
            step: 0,
            _profile: profile,
        }
    }

    /// Ends the browser.
    pub async fn close(self) {
        let _ = self.c.close().await;
    }

    /// Types the address.
    pub async fn open(&mut self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.server.base))
            .await
            .unwrap();
        self.settled().await;
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        match self
            .c
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
        {
            Ok(Value::String(s)) => s,
            _ => String::new(),
        }
    }

    /// The address bar's path (with the query).
    pub async fn path(&self) -> String {
        let url = self.c.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page is loaded and htmx has nothing in flight.
    async fn settled(&self) {
        let started = Instant::now();
        loop {
            let done = self
                .c
                .execute(
                    "return document.readyState === 'complete' && \
                     !document.querySelector('.htmx-request');",
                    vec![],
                )
                .await;
            if matches!(done, Ok(Value::Bool(true))) {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "the page never settled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page shows every one of `texts`; fails with the page's text.
    pub async fn see(&mut self, texts: &[&str]) {
        let started = Instant::now();
        loop {
            let page = self.text().await;
            let missing: Vec<&&str> = texts.iter().filter(|t| !page.contains(**t)).collect();
            if missing.is_empty() {
                return;
            }
            if started.elapsed() > PATIENCE {
                self.shot("failed").await;
                panic!(
                    "the page at {} never showed {missing:?}; it shows:\n{page}",
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts that the page shows none of `texts` (after it settled).
    pub async fn see_no(&mut self, texts: &[&str]) {
        self.settled().await;
        let page = self.text().await;
        for t in texts {
            assert!(!page.contains(t), "the page shows {t:?}:\n{page}");
        }
    }

    /// Waits until the script `js` (a `return …` statement) answers `true`; fails naming
    /// `what` after the patience runs out.
    pub async fn until_true(&mut self, js: &str, what: &str) {
        let started = Instant::now();
        loop {
            if matches!(self.c.execute(js, vec![]).await, Ok(Value::Bool(true))) {
                return;
            }
            if started.elapsed() > PATIENCE {
                self.shot("failed").await;
                panic!("{what} (at {})", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the address bar shows `path` (prefix `*` matches a prefix).
    pub async fn arrive(&mut self, path: &str) -> String {
        let started = Instant::now();
        loop {
            let now = self.path().await;
            let hit = match path.strip_suffix('*') {
                Some(prefix) => now.starts_with(prefix),
                None => now == path,
            };
            if hit {
                self.settled().await;
                return now;
            }
            if started.elapsed() > PATIENCE {
                self.shot("failed").await;
                panic!("never arrived at {path}; at {now}:\n{}", self.text().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn field(&self, name: &str) -> Element {
        let css = format!("[name=\"{name}\"]:not([type=hidden])");
        self.c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("no field {name}: {e}"))
    }

    /// Clicks into the field named `name`, clears it and types `text`.
    pub async fn type_in(&mut self, name: &str, text: &str) {
        let f = self.field(name).await;
        f.clear().await.unwrap();
        f.send_keys(text).await.unwrap();
    }

    /// Waits for the message the page shows beside the field `name` (`#e-<name>`); its text.
    pub async fn error_beside(&mut self, name: &str) -> String {
        let css = format!("[id=\"e-{name}\"]");
        match self
            .c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(&css))
            .await
        {
            Ok(e) => e.text().await.unwrap(),
            Err(_) => {
                self.shot("failed").await;
                panic!("no message beside {name}:\n{}", self.text().await)
            }
        }
    }

    /// Ticks the checkbox `name`.
    pub async fn tick(&mut self, name: &str) {
        let f = self.field(name).await;
        if !f.is_selected().await.unwrap() {
            f.click().await.unwrap();
        }
    }

    /// Picks the option `value` of the select `name`.
    pub async fn choose(&mut self, name: &str, value: &str) {
        let f = self.field(name).await;
        f.select_by_value(value).await.unwrap();
    }

    /// Whether the page has a field `name` one can type into, and its value.
    pub async fn field_value(&self, name: &str) -> Option<(String, bool)> {
        let css = format!("[name=\"{name}\"]:not([type=hidden])");
        let f = self.c.find(Locator::Css(&css)).await.ok()?;
        // A field the page keeps folded away (the website's own responsible person, until
        // asked for) is not one a person can type into.
        if !f.is_displayed().await.unwrap_or(false) {
            return None;
        }
        let value = f.prop("value").await.ok().flatten().unwrap_or_default();
        let readonly = f.attr("readonly").await.ok().flatten().is_some()
            || f.attr("disabled").await.ok().flatten().is_some();
        Some((value, readonly))
    }

    /// Attaches the file at `path` to the file field of the form posting to `action`.
    pub async fn attach(&mut self, action: &str, path: &Path) {
        let form = self.form(action).await;
        let input = form.find(Locator::Css("input[type=file]")).await.unwrap();
        input.send_keys(&path.display().to_string()).await.unwrap();
    }

    async fn form(&self, action: &str) -> Element {
        let css = format!("form[action=\"{action}\"]");
        self.c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("no form posting to {action}: {e}"))
    }

    /// Presses the submit button of the form posting to `action`.
    pub async fn submit(&mut self, action: &str) {
        let form = self.form(action).await;
        let button = form
            .find(Locator::Css("button[type=submit]"))
            .await
            .unwrap();
        button.click().await.unwrap();
        self.settled().await;
    }

    /// Presses the button labelled `label`.
    pub async fn press(&mut self, label: &str) {
        let xpath = format!(
            "//button[normalize-space()={0}] | //input[@type='submit' and @value={0}]",
            xpath_literal(label)
        );
        let b = self
            .c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {label:?}: {e}\n{}", ""));
        b.click().await.unwrap();
        self.settled().await;
    }

    /// Follows the link labelled `label` (its whole text).
    pub async fn follow(&mut self, label: &str) {
        let xpath = format!("//a[normalize-space()={}]", xpath_literal(label));
        let a = match self
            .c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await
        {
            Ok(a) => a,
            Err(e) => {
                self.shot("failed").await;
                panic!("no link {label:?}: {e}\n{}", self.text().await)
            }
        };
        a.click().await.unwrap();
        self.settled().await;
    }

    /// Follows the link labelled `label` in the table row that shows `row` (a website's
    /// domain, say).
    pub async fn follow_in_row(&mut self, row: &str, label: &str) {
        let xpath = format!(
            "//tr[contains(., {})]//a[normalize-space()={}]",
            xpath_literal(row),
            xpath_literal(label)
        );
        match self.c.find(Locator::XPath(&xpath)).await {
            Ok(a) => a.click().await.unwrap(),
            Err(e) => {
                self.shot("failed").await;
                panic!(
                    "no link {label:?} beside {row:?}: {e}\n{}",
                    self.text().await
                )
            }
        }
        self.settled().await;
    }

    /// The `href` of the link labelled `label`.
    pub async fn link(&self, label: &str) -> Option<String> {
        let xpath = format!("//a[normalize-space()={}]", xpath_literal(label));
        let a = self.c.find(Locator::XPath(&xpath)).await.ok()?;
        a.attr("href").await.ok().flatten()
    }

    /// Fails when the page shows a message id instead of its text.
    pub async fn all_translated(&mut self) {
        let leaked = untranslated(&self.text().await);
        if !leaked.is_empty() {
            self.shot("failed").await;
            panic!("untranslated at {}: {leaked:?}", self.path().await);
        }
    }

    /// Saves the whole page as `NN-step.png` (the window is stretched to the page's height
    /// for the picture, then put back).
    pub async fn shot(&mut self, step: &str) {
        self.step += 1;
        let (w, h) = self.c.get_window_size().await.unwrap_or((1280, 900));
        let (w, h) = (
            u32::try_from(w).unwrap_or(1280),
            u32::try_from(h).unwrap_or(900),
        );
        let full = match self
            .c
            .execute(
                "return Math.max(document.documentElement.scrollHeight, window.innerHeight);",
                vec![],
            )
            .await
        {
            Ok(v) => v.as_u64().unwrap_or(u64::from(h)),
            Err(_) => u64::from(h),
        };
        let tall = u32::try_from(full.min(6000)).unwrap_or(h).max(h);
        if tall > h {
            let _ = self.c.set_window_size(w, tall).await;
        }
        let _ = self.c.execute("window.scrollTo(0, 0);", vec![]).await;
        if let Ok(png) = self.c.screenshot().await {
            let path = self.shots.join(format!("{:02}-{step}.png", self.step));
            std::fs::write(path, png).unwrap();
        }
        if tall > h {
            let _ = self.c.set_window_size(w, h).await;
        }
    }

    /// Runs axe-core (vendored) on the page; the violations of impact "serious" or
    /// "critical", as `rule: target` lines.
    pub async fn axe(&self) -> Vec<String> {
        const AXE: &str = include_str!("vendor/axe.min.js");
        self.c.execute(AXE, vec![]).await.unwrap();
        let result = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                    .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,
                        help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))
                    .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
                vec![],
            )
            .await
            .unwrap();
        result
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{} ({}): {} at {}",
                    v["id"], v["impact"], v["help"], v["nodes"]
                )
            })
            .collect()
    }

    /// Logs in as `user`; a one-time password is changed first, as the portal asks.
    pub async fn log_in(&mut self, user: &str) {
        self.open("/login").await;
        self.type_in("username", user).await;
        let password = self.server.password(user);
        self.type_in("password", &password).await;
        self.submit("/login").await;
        let started = Instant::now();
        loop {
            let at = self.path().await;
            if at == "/account/password" {
                self.see(&["一次性密码"]).await;
                self.shot("password-change").await;
                let new = format!("Own-Pass-2026-{}", user.len());
                self.type_in("current_password", &password).await;
                self.type_in("new_password", &new).await;
                self.type_in("new_password_again", &new).await;
                self.submit("/account/password").await;
                // Applicants land on their filings, staff on the home page (the bureau's
                // officer is sent on to the simulator's console, which has no flash).
                let changed = Instant::now();
                while self.path().await == "/account/password" {
                    assert!(
                        changed.elapsed() < PATIENCE,
                        "the password change was refused:\n{}",
                        self.text().await
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                self.server.set_password(user, &new);
                return;
            }
            if at != "/login" {
                self.see(&["登录成功"]).await;
                return;
            }
            if started.elapsed() > PATIENCE {
                panic!("{user} could not log in:\n{}", self.text().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The session cookie, for fetching a download as the browser would.
    pub async fn cookie_header(&self) -> String {
        self.c
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Fetches `path` with this browser's cookies (a download the browser would save).
    pub async fn download(&self, path: &str) -> Vec<u8> {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", self.server.base))
            .header("cookie", self.cookie_header().await)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.bytes().await.unwrap().to_vec()
    }
}

impl Person<'_> {
    /// `POST path` with the JSON `body` and this browser's session: what a back end acting
    /// as this account does (the storefront app reporting its identity check, the shop
    /// granting a subscription), not a person's click.
    pub async fn api_post(&self, path: &str, body: Value) -> (u16, String) {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.server.base))
            .header("cookie", self.cookie_header().await)
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap_or_default())
    }
}

/// The portal's message ids (both catalogues), to catch one shown untranslated.
fn message_ids() -> Vec<&'static str> {
    const ZH: &str = include_str!("../../crates/web/locales/zh-CN/portal.ftl");
    const EN: &str = include_str!("../../crates/web/locales/en/portal.ftl");
    let mut ids: Vec<&str> = ZH
        .lines()
        .chain(EN.lines())
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim()))
        .filter(|k| k.contains('-'))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The message ids the page's text shows as words (a text missing from a catalogue).
pub fn untranslated(text: &str) -> Vec<String> {
    let ids = message_ids();
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| ids.binary_search(w).is_ok())
        .map(str::to_owned)
        .collect()
}
