//! The performance bench of issue 14 (`scripts/bench`): the whole server runs in this process
//! (`Application::build` on a fresh data dir, the simulator in-process, the per-address request
//! limit raised so that the load generator is not throttled), driven over loopback HTTP by a
//! load generator in the same process; each figure is printed beside a baseline measured in the
//! same run on the same machine.
//!
//! ```text
//! bench-load writes   [--seconds S] [--backend sqlite|postgres]   # PUT …/sponsor at c=1/8/32 vs raw commits
//! bench-load flow     [--seconds S] [--backend …]                  # check, create, 2 forms, abandon; orders/s
//! bench-load overload [--seconds S] [--writers N] [--backend …]    # N writers: every answer 2xx or 503+Retry-After
//! bench-load reads    [--small N] [--large N] [--backend …]        # GET /orders, review queue, dashboard at N orders
//! bench-load healthz  [--seconds S]                                # /healthz vs an axum hello world
//! bench-load staff-pages [N] [--small N] [--backend …]             # GET /staff/review and /staff/dashboard pages
//! ```
//!
//! The raw baselines: SQLite in WAL with `synchronous=FULL`, one row per transaction, one
//! writer (sqlx, as the store uses it); on PostgreSQL, `pgbench` running a single-row INSERT
//! script (or, without pgbench, the same loop over sqlx). Figures go to stdout as
//! `what | beian | baseline | ratio` rows.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use beian_store::Store;
use beian_store::accounts::{NewAccount, Role};
use beian_store::testing::{self, TestStore};
use beian_web::settings::{ApiSettings, Settings};
use beian_web::startup::Application;
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PASSWORD: &str = "bench-Passw0rd!";

struct Args {
    cmd: String,
    seconds: u64,
    writers: usize,
    small: usize,
    large: usize,
    postgres: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let cmd = it
        .next()
        .ok_or("usage: bench-load writes|flow|overload|reads|healthz|staff-pages [options]")?;
    let mut a = Args {
        cmd,
        seconds: 10,
        writers: 64,
        small: 100,
        large: 100_000,
        postgres: false,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--seconds" => a.seconds = num(value()?)?,
            "--writers" => a.writers = num(value()?)? as usize,
            "--small" => a.small = num(value()?)? as usize,
            "--large" => a.large = num(value()?)? as usize,
            "--backend" => a.postgres = value()? == "postgres",
            // `staff-pages 2000`: the order count as a plain argument.
            n if n.parse::<usize>().is_ok() => a.large = num(n.to_owned())? as usize,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.cmd.as_str() {
        "writes" => writes(&args).await,
        "flow" => flow(&args).await,
        "overload" => overload(&args).await,
        "reads" => reads(&args).await,
        "healthz" => healthz(&args).await,
        "staff-pages" => staff_pages(&args).await,
        other => Err(format!("unknown command {other}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-load: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test

struct Bench {
    t: TestStore,
    base: String,
    http: reqwest::Client,
    store: Arc<Store>,
    stop: tokio::sync::watch::Sender<bool>,
    /// The applicants' password, hashed once (argon2 is slow on purpose).
    password_hash: String,
}

async fn test_store(postgres: bool) -> Result<TestStore, BoxError> {
    if postgres {
        testing::postgres().await.ok_or_else(|| {
            "no PostgreSQL (install postgresql or set BEIAN_TEST_DATABASE_URL)".into()
        })
    } else {
        Ok(testing::sqlite().await)
    }
}

async fn start(postgres: bool) -> Result<Bench, BoxError> {
    let t = test_store(postgres).await?;
    let mut settings = Settings::embedded(t.data_dir(), "127.0.0.1:0".parse()?);
    settings.database_url = t.database_url.clone();
    settings.data_key = Some(t.key.clone());
    settings.api = ApiSettings {
        secure_cookies: false,
        requests_per_ip_per_second: 1_000_000,
        request_burst_per_ip: 1_000_000,
        ..ApiSettings::default()
    };
    settings.worker.enabled = false;
    let app = Application::build(settings).await?;
    let store = app.state().store.clone();
    let base = format!("http://{}", app.addr());
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(app.run_until(async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let password_hash = beian_web::api::auth::hash_password(PASSWORD).map_err(|e| e.to_string())?;
    Ok(Bench {
        t,
        base,
        http,
        store,
        stop,
        password_hash,
    })
}

impl Bench {
    async fn finish(self) {
        let _ = self.stop.send(true);
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.t.teardown().await;
    }

    /// A new account with `role`, logged in; its session cookie value.
    async fn account(&self, username: &str, role: Role) -> Result<String, BoxError> {
        let hash = self.password_hash.clone();
        let mut tx = self.store.begin().await?;
        tx.insert_account(
            "bench",
            &NewAccount {
                username,
                password_hash: &hash,
                email: &format!("{username}@example.com"),
                mobile: Some("13812345678"),
                role,
            },
        )
        .await?;
        tx.commit().await?;
        let res = self
            .http
            .post(format!("{}/api/v1/sessions", self.base))
            .header("content-type", "application/json")
            .body(json!({"username": username, "password": PASSWORD}).to_string())
            .send()
            .await?;
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .and_then(|c| c.trim().strip_prefix("beian_session="))
            .ok_or("login gave no session")?
            .to_owned();
        Ok(cookie)
    }

    async fn call(
        &self,
        cookie: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, BoxError> {
        call(&self.http, &self.base, cookie, method, path, body).await
    }
}

struct Answer {
    status: u16,
    retry_after: bool,
    body: Value,
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Answer, BoxError> {
    let mut req = http
        .request(method, format!("{base}/api/v1{path}"))
        .header("cookie", format!("beian_session={cookie}"));
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let res = req.send().await?;
    let status = res.status().as_u16();
    let retry_after = res.headers().contains_key("retry-after");
    let bytes = res.bytes().await?;
    Ok(Answer {
        status,
        retry_after,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    })
}

fn credit_code(serial: u32) -> Result<String, BoxError> {
    Ok(
        beian_core::credit_code::CreditCode::from_parts(&format!("91330106{serial:08}"))
            .map_err(|e| format!("{e:?}"))?
            .as_str()
            .to_owned(),
    )
}

fn check(domain: &str, cert: &str) -> Value {
    json!({"domain": domain, "sponsor": {"province": "33", "nature": "enterprise",
           "certificate_type": "credit_code", "certificate_number": cert,
           "name": "杭州示例科技有限公司"}})
}

fn person() -> Value {
    let body = "33010619900101001";
    let id = beian_core::resident_id::check_character(body)
        .map(|c| format!("{body}{c}"))
        .unwrap_or_default();
    json!({"name": "张三", "certificate_type": "resident_id",
           "certificate_number": id, "mobile": "13800138000",
           "email": "zhang@example.cn", "emergency_mobile": "13900139000",
           "office_phone": "0571-88888888"})
}

fn sponsor_form(check: &Value, n: u64) -> Value {
    let mut s = check["sponsor"].clone();
    s["address"] = json!(format!("浙江省杭州市西湖区文三路 {n} 号"));
    s["responsible"] = person();
    s
}

fn website_form(domain: &str) -> Value {
    json!({"name": "示例网站", "domain": domain, "home_url": format!("https://www.{domain}/"),
           "service_content": "企业官网", "languages": ["zh_cn"], "responsible": person(),
           "pre_approvals": []})
}

/// `n × each` applicants, each with one draft order: (cookie, order id, check body).
async fn writers(
    b: &Bench,
    n: usize,
    each: usize,
    tag: &str,
) -> Result<Vec<(String, String, Value)>, BoxError> {
    let mut out = Vec::new();
    for k in 0..each {
        for i in 0..n {
            // One order per applicant: an account files one sponsor, which has one order in
            // progress at a time.
            let cookie = b.account(&format!("{tag}{i}-{k}"), Role::Applicant).await?;
            let serial = 10_000 + (k * n + i) as u32;
            let body = check(&format!("{tag}-{i}-{k}-bench.cn"), &credit_code(serial)?);
            let a = b
                .call(&cookie, reqwest::Method::POST, "/orders", Some(&body))
                .await?;
            let id = a.body["order_id"]
                .as_str()
                .ok_or_else(|| format!("POST /orders answered {}: {}", a.status, a.body))?
                .to_owned();
            out.push((cookie, id, body));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Measuring

#[derive(Default)]
struct Tally {
    ok: u64,
    busy_with_retry_after: u64,
    busy_without: u64,
    server_errors: u64,
    other: u64,
    latencies: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, status: u16, retry_after: bool, took: Duration) {
        match status {
            200..=299 => self.ok += 1,
            503 if retry_after => self.busy_with_retry_after += 1,
            503 => self.busy_without += 1,
            500..=599 => self.server_errors += 1,
            _ => self.other += 1,
        }
        self.latencies.push(took);
    }

    fn merge(&mut self, o: Tally) {
        self.ok += o.ok;
        self.busy_with_retry_after += o.busy_with_retry_after;
        self.busy_without += o.busy_without;
        self.server_errors += o.server_errors;
        self.other += o.other;
        self.latencies.extend(o.latencies);
    }

    fn pct(&mut self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.sort();
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i].as_secs_f64() * 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.latencies
            .iter()
            .max()
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

fn row(what: &str, beian: &str, baseline: &str, ratio: Option<f64>) {
    let ratio = ratio.map_or("—".to_owned(), |r| format!("{r:.2}"));
    println!("| {what} | {beian} | {baseline} | {ratio} |");
}

fn header() {
    println!("| what | beian | baseline | ratio |");
    println!("|---|---|---|---|");
}

/// Raw commit rate: one writer, one row per transaction, for `secs`.
async fn raw_commits(b: &Bench, secs: u64) -> Result<(f64, String), BoxError> {
    if b.t.database_url.is_some() {
        return pg_baseline(b, secs).await;
    }
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::{ConnectOptions, Connection};
    let path = b.t.data_dir().join("raw-baseline.db");
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .execute(&mut conn)
        .await?;
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut n = 0u64;
    while Instant::now() < until {
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO t (v) VALUES ($1)")
            .bind("x")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        n += 1;
    }
    conn.close().await?;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    Ok((
        rate,
        format!("sqlx SQLite WAL synchronous=FULL, 1 row/tx: {rate:.0} commits/s"),
    ))
}

/// PostgreSQL: pgbench's single-row INSERT rate (one client), or sqlx's without pgbench.
async fn pg_baseline(b: &Bench, secs: u64) -> Result<(f64, String), BoxError> {
    let url = b.t.database_url.clone().ok_or("no database url")?;
    sqlx::query("CREATE TABLE IF NOT EXISTS raw_baseline (id BIGSERIAL PRIMARY KEY, v TEXT)")
        .execute(b.store.pool())
        .await?;
    let script = b.t.data_dir().join("insert.sql");
    std::fs::write(&script, "INSERT INTO raw_baseline (v) VALUES ('x');\n")?;
    let out = tokio::process::Command::new("pgbench")
        .args(["-n", "-c", "1", "-T", &secs.to_string(), "-f"])
        .arg(&script)
        .arg(&url)
        .output()
        .await;
    if let Ok(out) = out
        && out.status.success()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(tps) = text
            .lines()
            .find(|l| l.starts_with("tps = "))
            .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
        {
            return Ok((tps, format!("pgbench 1-row INSERT, c=1: {tps:.0} tx/s")));
        }
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut n = 0u64;
    while Instant::now() < until {
        sqlx::query("INSERT INTO raw_baseline (v) VALUES ('x')")
            .execute(b.store.pool())
            .await?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    Ok((
        rate,
        format!("sqlx 1-row INSERT (no pgbench): {rate:.0} tx/s"),
    ))
}

/// `c` tasks PUT sponsor forms (a new address each time) for `secs`: task `j` takes the
/// orders `ws[j]`, `ws[j + c]`, … in turn, so no two tasks edit one order, and with more
/// orders than tasks each order's timeline grows slowly, as a real order's does (the answer
/// is the order view, which carries up to 100 timeline entries). Answers are read whole but
/// not parsed: the load generator shares the machine's two cores with the server.
async fn put_load(
    b: &Bench,
    ws: &[(String, String, Value)],
    c: usize,
    secs: u64,
) -> Result<(Tally, f64), BoxError> {
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(1));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for j in 0..c.min(ws.len()) {
        let mine: Vec<(String, String, Value)> = ws.iter().skip(j).step_by(c).cloned().collect();
        let http = b.http.clone();
        let base = b.base.clone();
        let stop = stop.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            for (cookie, id, body) in mine.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let form = sponsor_form(body, n);
                let t0 = Instant::now();
                let res = http
                    .put(format!("{base}/api/v1/orders/{id}/sponsor"))
                    .header("cookie", format!("beian_session={cookie}"))
                    .header("content-type", "application/json")
                    .body(form.to_string())
                    .send()
                    .await;
                match res {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let retry_after = res.headers().contains_key("retry-after");
                        match res.bytes().await {
                            Ok(_) => t.add(status, retry_after, t0.elapsed()),
                            Err(_) => t.add(599, false, t0.elapsed()),
                        }
                    }
                    Err(_) => t.add(599, false, t0.elapsed()),
                }
            }
            t
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for task in tasks {
        all.merge(task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok((all, elapsed))
}

// ---------------------------------------------------------------------------------------------
// The commands

async fn writes(a: &Args) -> Result<(), BoxError> {
    let b = start(a.postgres).await?;
    let backend = if a.postgres { "PostgreSQL" } else { "SQLite" };
    let ws = writers(&b, 32, 16, "w").await?;
    let (raw, raw_text) = raw_commits(&b, a.seconds).await?;
    header();
    for c in [1usize, 8, 32] {
        let before = b.store.write_stats();
        let (mut t, secs) = put_load(&b, &ws, c, a.seconds).await?;
        let rate = t.ok as f64 / secs;
        // SQLite: how many transactions one COMMIT made durable, on average (group commit).
        let group = match (before, b.store.write_stats()) {
            (Some(x), Some(y)) if y.commits > x.commits => format!(
                "; {:.1} transactions per COMMIT",
                (y.transactions - x.transactions) as f64 / (y.commits - x.commits) as f64
            ),
            _ => String::new(),
        };
        row(
            &format!("{backend}: `PUT /orders/{{id}}/sponsor` (one transition commit), c={c}"),
            &format!(
                "{rate:.0}/s; p50 {:.1} ms, p99 {:.1} ms; non-2xx {}{group}",
                t.pct(0.5),
                t.pct(0.99),
                t.server_errors + t.busy_with_retry_after + t.busy_without + t.other
            ),
            &raw_text,
            Some(rate / raw),
        );
    }
    b.finish().await;
    Ok(())
}

async fn flow(a: &Args) -> Result<(), BoxError> {
    let b = start(a.postgres).await?;
    let backend = if a.postgres { "PostgreSQL" } else { "SQLite" };
    let (raw, raw_text) = raw_commits(&b, a.seconds).await?;
    header();
    for c in [8usize, 32] {
        let mut accounts = Vec::new();
        for i in 0..c {
            let cookie = b.account(&format!("f{c}x{i}"), Role::Applicant).await?;
            accounts.push((cookie, credit_code(20_000 + (c * 100 + i) as u32)?));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let bad = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (i, (cookie, cert)) in accounts.into_iter().enumerate() {
            let (http, base) = (b.http.clone(), b.base.clone());
            let (stop, done, bad) = (stop.clone(), done.clone(), bad.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let domain = format!("flow{c}-{i}-{n}.cn");
                    let body = check(&domain, &cert);
                    let go = async {
                        use reqwest::Method;
                        let r = call(
                            &http,
                            &base,
                            &cookie,
                            Method::POST,
                            "/filing-checks",
                            Some(&body),
                        )
                        .await?;
                        if r.status != 200 {
                            return Err::<(), BoxError>(
                                format!("check {}: {}", r.status, r.body).into(),
                            );
                        }
                        let r = call(&http, &base, &cookie, Method::POST, "/orders", Some(&body))
                            .await?;
                        let id = r.body["order_id"]
                            .as_str()
                            .ok_or_else(|| format!("create {}: {}", r.status, r.body))?
                            .to_owned();
                        let r = call(
                            &http,
                            &base,
                            &cookie,
                            Method::PUT,
                            &format!("/orders/{id}/sponsor"),
                            Some(&sponsor_form(&body, n)),
                        )
                        .await?;
                        if r.status >= 300 {
                            return Err(format!("sponsor {}: {}", r.status, r.body).into());
                        }
                        let r = call(
                            &http,
                            &base,
                            &cookie,
                            Method::PUT,
                            &format!("/orders/{id}/website"),
                            Some(&website_form(&domain)),
                        )
                        .await?;
                        if r.status >= 300 {
                            return Err(format!("website {}: {}", r.status, r.body).into());
                        }
                        let r = call(
                            &http,
                            &base,
                            &cookie,
                            Method::POST,
                            &format!("/orders/{id}/abandon"),
                            Some(&json!({})),
                        )
                        .await?;
                        if r.status >= 300 {
                            return Err(format!("abandon {}: {}", r.status, r.body).into());
                        }
                        Ok(())
                    };
                    match go.await {
                        Ok(()) => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if bad.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!("flow: {e}");
                            }
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(a.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await?;
        }
        let secs = started.elapsed().as_secs_f64();
        let orders = done.load(Ordering::Relaxed) as f64 / secs;
        row(
            &format!(
                "{backend}: an order's flow (check, create, two forms, abandon: 4 commits), c={c}"
            ),
            &format!(
                "{orders:.1} orders/s ({:.0} commits/s); failed flows {}",
                orders * 4.0,
                bad.load(Ordering::Relaxed)
            ),
            &raw_text,
            Some(orders * 4.0 / raw),
        );
    }
    b.finish().await;
    Ok(())
}

async fn overload(a: &Args) -> Result<(), BoxError> {
    let b = start(a.postgres).await?;
    let backend = if a.postgres { "PostgreSQL" } else { "SQLite" };
    let ws = writers(&b, a.writers, 4, "o").await?;
    let (mut t, secs) = put_load(&b, &ws, a.writers, a.seconds).await?;
    let (p99, max) = (t.pct(0.99), t.max_ms());
    header();
    row(
        &format!(
            "{backend}: {} concurrent writers for {} s",
            a.writers, a.seconds
        ),
        &format!(
            "{} ok ({:.0}/s), {} × 503 with Retry-After, {} × 503 without, {} × 5xx other, {} other; p99 {:.1} ms, max {:.1} ms",
            t.ok,
            t.ok as f64 / secs,
            t.busy_with_retry_after,
            t.busy_without,
            t.server_errors,
            t.other,
            p99,
            max
        ),
        "no 500, no 10 s lock wait",
        None,
    );
    b.finish().await;
    Ok(())
}

/// The median time of `n` GETs of `path`.
async fn median_get(b: &Bench, cookie: &str, path: &str, n: usize) -> Result<f64, BoxError> {
    let mut t = Tally::default();
    for _ in 0..n {
        let t0 = Instant::now();
        let a = b.call(cookie, reqwest::Method::GET, path, None).await?;
        if a.status != 200 {
            return Err(format!("GET {path}: {} {}", a.status, a.body).into());
        }
        t.add(a.status, a.retry_after, t0.elapsed());
    }
    Ok(t.pct(0.5))
}

async fn reads(a: &Args) -> Result<(), BoxError> {
    let b = start(a.postgres).await?;
    let backend = if a.postgres { "PostgreSQL" } else { "SQLite" };
    let applicant = b.account("reader", Role::Applicant).await?;
    let reviewer = b.account("reviewer", Role::Reviewer).await?;
    let admin = b.account("admin", Role::Admin).await?;
    let account_id: String =
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'reader'")
            .fetch_one(b.store.pool())
            .await?;
    let paths: [(&str, &str, &String); 3] = [
        ("`GET /orders?limit=50`", "/orders?limit=50", &applicant),
        (
            "`GET /review/orders?limit=50`",
            "/review/orders?limit=50",
            &reviewer,
        ),
        ("`GET /admin/dashboard`", "/admin/dashboard", &admin),
    ];
    // Half the orders are drafts of the applicant, half wait in the review queue.
    let half = a.small / 2;
    testing::bulk::bulk_orders(&b.store, &account_id, half, "draft").await?;
    testing::bulk::bulk_orders(&b.store, &account_id, a.small - half, "provider_review").await?;
    let mut small = Vec::new();
    for (_, path, cookie) in &paths {
        small.push(median_get(&b, cookie, path, 50).await?);
    }
    let started = Instant::now();
    let more = a.large.saturating_sub(a.small);
    testing::bulk::bulk_orders(&b.store, &account_id, more / 2, "draft").await?;
    testing::bulk::bulk_orders(&b.store, &account_id, more - more / 2, "provider_review").await?;
    let gen_secs = started.elapsed().as_secs_f64();
    header();
    row(
        &format!("{backend}: bulk generator, {more} orders through the store"),
        &format!("{gen_secs:.1} s ({:.0} orders/s)", more as f64 / gen_secs),
        "—",
        None,
    );
    for (i, (what, path, cookie)) in paths.iter().enumerate() {
        let large = median_get(&b, cookie, path, 50).await?;
        row(
            &format!(
                "{backend}: {what} at {} → {} orders (median of 50)",
                a.small, a.large
            ),
            &format!("{:.2} → {large:.2} ms", small[i]),
            &format!("{:.2} ms at {}", small[i], a.small),
            Some(large / small[i]),
        );
    }
    b.finish().await;
    Ok(())
}

/// `GET` of a portal page (HTML) with a session cookie: its time, after checking it is a 200
/// page that shows `expect`.
async fn page_get(b: &Bench, cookie: &str, path: &str, expect: &str) -> Result<Duration, BoxError> {
    let t0 = Instant::now();
    let res = b
        .http
        .get(format!("{}{path}", b.base))
        .header(
            "cookie",
            format!("beian_session={cookie}; beian_lang=zh-CN"),
        )
        .send()
        .await?;
    let status = res.status().as_u16();
    let body = res.text().await?;
    let took = t0.elapsed();
    if status != 200 || !body.contains(expect) {
        let head: String = body.chars().take(300).collect();
        return Err(format!("GET {path}: {status} without {expect:?}: {head}").into());
    }
    Ok(took)
}

/// p50 and p99 (ms) of `n` GETs of a page, after `n / 10` GETs not counted (warm-up).
async fn page_percentiles(
    b: &Bench,
    cookie: &str,
    path: &str,
    expect: &str,
    n: usize,
) -> Result<(f64, f64), BoxError> {
    for _ in 0..n / 10 {
        page_get(b, cookie, path, expect).await?;
    }
    let mut t = Tally::default();
    for _ in 0..n {
        let took = page_get(b, cookie, path, expect).await?;
        t.add(200, false, took);
    }
    Ok((t.pct(0.5), t.pct(0.99)))
}

/// The must-show of issue 11: the staff queue page and the dashboard page at N orders (half in
/// provider review, half drafts), p50/p99 of sequential GETs with a real session cookie, beside
/// the same at `--small` orders (100) measured first in the same run. The dashboard's figures
/// are cached for 30 s ([`beian_platform::dashboard::CACHE_SECONDS`]): the first GET after the
/// fill computes them and is printed on its own row; the others read the cache, as staff do.
async fn staff_pages(a: &Args) -> Result<(), BoxError> {
    const GETS: usize = 200;
    let b = start(a.postgres).await?;
    let backend = if a.postgres { "PostgreSQL" } else { "SQLite" };
    let reviewer = b.account("reviewer", Role::Reviewer).await?;
    let admin = b.account("admin", Role::Admin).await?;
    b.account("reader", Role::Applicant).await?;
    let account_id: String =
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'reader'")
            .fetch_one(b.store.pool())
            .await?;
    let pages: [(&str, &str, &str, &String); 2] = [
        (
            "`GET /staff/review`",
            "/staff/review",
            "初审队列",
            &reviewer,
        ),
        (
            "`GET /staff/dashboard`",
            "/staff/dashboard",
            "各状态订单数",
            &admin,
        ),
    ];
    let fill = async |n: usize| -> Result<(), BoxError> {
        testing::bulk::bulk_orders(&b.store, &account_id, n / 2, "draft").await?;
        testing::bulk::bulk_orders(&b.store, &account_id, n - n / 2, "provider_review").await?;
        Ok(())
    };
    fill(a.small).await?;
    let mut small = Vec::new();
    let mut small_cold = Duration::ZERO;
    for (i, (_, path, expect, cookie)) in pages.iter().enumerate() {
        if i == 1 {
            small_cold = page_get(&b, cookie, path, expect).await?;
        }
        small.push(page_percentiles(&b, cookie, path, expect, GETS).await?);
    }
    let started = Instant::now();
    let more = a.large.saturating_sub(a.small);
    fill(more).await?;
    let gen_secs = started.elapsed().as_secs_f64();
    // The dashboard's cache from the small run must not answer for the large one.
    tokio::time::sleep(Duration::from_secs(
        beian_platform::dashboard::CACHE_SECONDS as u64 + 1,
    ))
    .await;
    header();
    row(
        &format!("{backend}: bulk generator, {more} orders through the store"),
        &format!("{gen_secs:.1} s ({:.0} orders/s)", more as f64 / gen_secs),
        "—",
        None,
    );
    for (i, (what, path, expect, cookie)) in pages.iter().enumerate() {
        if i == 1 {
            let cold = page_get(&b, cookie, path, expect).await?.as_secs_f64() * 1000.0;
            let base = small_cold.as_secs_f64() * 1000.0;
            row(
                &format!(
                    "{backend}: {what} first GET (figures computed) at {} orders",
                    a.large
                ),
                &format!("{cold:.2} ms"),
                &format!("{base:.2} ms at {}", a.small),
                Some(cold / base),
            );
        }
        let (p50, p99) = page_percentiles(&b, cookie, path, expect, GETS).await?;
        let (s50, s99) = small[i];
        row(
            &format!(
                "{backend}: {what} p50 / p99 of {GETS} at {} orders",
                a.large
            ),
            &format!("{p50:.2} / {p99:.2} ms"),
            &format!("{s50:.2} / {s99:.2} ms at {}", a.small),
            Some(p50 / s50),
        );
    }
    b.finish().await;
    Ok(())
}

async fn healthz(a: &Args) -> Result<(), BoxError> {
    let b = start(false).await?;
    let hello = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hello_addr = hello.local_addr()?;
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(|| async { "hello" });
        let _ = axum::serve(hello, app).await;
    });
    let measure = |url: String| {
        let http = b.http.clone();
        async move {
            let stop = Arc::new(AtomicBool::new(false));
            let n = Arc::new(AtomicU64::new(0));
            let started = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..64 {
                let (http, url, stop, n) = (http.clone(), url.clone(), stop.clone(), n.clone());
                tasks.push(tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        if let Ok(r) = http.get(&url).send().await
                            && r.status().is_success()
                            && r.bytes().await.is_ok()
                        {
                            n.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
            tokio::time::sleep(Duration::from_secs(a.seconds)).await;
            stop.store(true, Ordering::Relaxed);
            for t in tasks {
                let _ = t.await;
            }
            n.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
        }
    };
    let base = measure(format!("http://{hello_addr}/")).await;
    let ours = measure(format!("{}/healthz", b.base)).await;
    header();
    row(
        "`/healthz`, c=64 (load generator in the same process)",
        &format!("{ours:.0} req/s"),
        &format!("axum hello world {base:.0} req/s"),
        Some(ours / base),
    );
    b.finish().await;
    Ok(())
}
