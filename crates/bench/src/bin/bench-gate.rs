//! The edge gate's bench (run by `scripts/bench-gate`): every figure of issue 13 in one run,
//! beside a bare axum hello-world measured the same way in the same run.
//!
//! 1. Generates N domains (default 5 M) straight into `gate_domains` in bulk (one SQL
//!    statement), on SQLite and on PostgreSQL (a throwaway cluster, as the tests use), plus a
//!    few real access records (account, sponsor, website, access) for the update figures.
//! 2. Starts `beian gate serve` on an empty database and on the loaded one: load time (its
//!    own start line) and RSS growth per domain (`/proc/PID/status`).
//! 3. `wrk -t1 -c64 -d10s --latency` against `bench-hello` and the gate, same script (hosts
//!    drawn from N × 1.1, so about 9 in 10 are filed), in interleaved rounds (hello, gate;
//!    gate, hello; …, `--rounds`, default 3) with both servers up, so that the load of a
//!    shared machine hits both alike: each round's figures, then the medians and the median
//!    ratio. Both servers run the same way: one tokio worker (`TOKIO_WORKER_THREADS`,
//!    `--server-threads`) pinned to CPU 0, and wrk (one thread) pinned to CPU 1 (taskset),
//!    so that neither waits for the other's CPU (on 2 cores, wrk's threads and the servers'
//!    workers time-sliced on the same CPUs gave even hello-world a p99 of 74 ms).
//!    `--no-pin --server-threads 0 --threads 2` is the old, shared setup. Besides throughput,
//!    each server's CPU time per request (`/proc/PID/stat`), which other tenants of a shared
//!    machine disturb much less than the wall-clock rate, and the mean latency that Little's
//!    law gives at that rate (connections / throughput).
//! 4. Commits 取消接入 (active → cancelling) through the store and polls the gate until 403,
//!    on each backend: update latency.
//!
//! Everything is on loopback, every loop is bounded, and the children are killed at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use beian_bench::{
    Error, Proc, SERVER_CPU, WRK_CPU, Wrk, WrkSetup, free_addr, loadavg, pin, start, wrk,
};

use beian_store::accesses::{AccessStatus, NewAccess};
use beian_store::accounts::{NewAccount, Role};
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use beian_store::testing::{self, TestStore};
use beian_store::{Backend, Store};
use serde_json::json;

struct Args {
    beian: PathBuf,
    hello: PathBuf,
    domains: i64,
    seconds: u64,
    connections: u32,
    threads: u32,
    runs: usize,
    rounds: usize,
    pin: bool,
    /// `TOKIO_WORKER_THREADS` of both servers; 0: tokio's default (one per CPU it may use).
    server_threads: u32,
}

fn args() -> Result<Args, Error> {
    let mut a = Args {
        beian: PathBuf::from("target/release/beian"),
        hello: PathBuf::from("target/release/bench-hello"),
        domains: 5_000_000,
        seconds: 10,
        connections: 64,
        threads: 1,
        runs: 5,
        rounds: 3,
        pin: true,
        server_threads: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--pin" || flag == "--no-pin" {
            a.pin = flag == "--pin";
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--beian" => a.beian = value.into(),
            "--hello" => a.hello = value.into(),
            "--domains" => a.domains = value.parse()?,
            "--seconds" => a.seconds = value.parse()?,
            "--connections" => a.connections = value.parse()?,
            "--threads" => a.threads = value.parse()?,
            "--runs" => a.runs = value.parse()?,
            "--rounds" => a.rounds = value.parse::<usize>()?.max(1),
            "--server-threads" => a.server_threads = value.parse()?,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    Ok(a)
}

fn url_of(t: &TestStore) -> String {
    t.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            t.data_dir().join(beian_store::db::SQLITE_FILE).display()
        )
    })
}

/// The command of a server under test: `TOKIO_WORKER_THREADS` from `--server-threads`.
fn server(a: &Args, program: &Path) -> Command {
    let mut c = Command::new(program);
    if a.server_threads > 0 {
        c.env("TOKIO_WORKER_THREADS", a.server_threads.to_string());
    }
    c
}

/// `beian gate serve`; returns it, its address and its load time in ms.
fn start_gate(a: &Args, url: &str) -> Result<(Proc, SocketAddr, u64), Error> {
    let addr = free_addr()?;
    let (proc, line) = start(
        server(a, &a.beian)
            .args(["gate", "serve", "--database-url", url, "--listen"])
            .arg(addr.to_string()),
    )?;
    // "gate: loaded N domains in X ms; listening on http://ADDR"
    let ms = line
        .split(" in ")
        .nth(1)
        .and_then(|r| r.split(" ms").next())
        .ok_or(format!("unexpected start line {line:?}"))?
        .parse()?;
    Ok((proc, addr, ms))
}

/// Inserts `n` synthetic domains straight into `gate_domains`, in one statement.
async fn generate(store: &Store, n: i64) -> Result<Duration, Error> {
    let started = Instant::now();
    let sql = match store.backend() {
        Backend::Sqlite => {
            "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < $1) \
             INSERT INTO gate_domains (domain, access_id) \
             SELECT 'shop' || x || '.com.cn', 'bench' FROM seq"
        }
        Backend::Postgres => {
            "INSERT INTO gate_domains (domain, access_id) \
             SELECT 'shop' || x || '.com.cn', 'bench' FROM generate_series(1, $1::bigint) x"
        }
    };
    sqlx::query(sql).bind(n).execute(store.pool()).await?;
    if store.backend() == Backend::Postgres {
        // As autovacuum would soon after such an insert: the visibility map lets the
        // gate's ordered read use an index-only scan, as on a table that has been in use.
        sqlx::query("VACUUM ANALYZE gate_domains")
            .execute(store.pool())
            .await?;
    }
    Ok(started.elapsed())
}

fn person() -> Person {
    Person {
        name: "张三".into(),
        certificate_type: "resident_id".into(),
        certificate_number: "110101198806152345".into(),
        mobile: "13787654321".into(),
        email: "zhang@example.cn".into(),
    }
}

/// A real access record (account, sponsor, website, access) for `domain`; its id.
async fn real_access(store: &Store, i: usize, domain: &str) -> Result<String, Error> {
    let mut tx = store.begin().await?;
    let username = format!("bench{i}");
    let account = tx
        .insert_account(
            "system",
            &NewAccount {
                username: &username,
                password_hash: "$argon2id$v=19$fake",
                email: "bench@example.cn",
                mobile: Some("13912345678"),
                role: Role::Applicant,
            },
        )
        .await?;
    let sponsor = tx
        .insert_sponsor(
            "system",
            &SponsorData {
                account_id: Some(account),
                province: "33".into(),
                nature: "individual".into(),
                certificate_type: "resident_id".into(),
                certificate_number: format!("33010619900307{i:04}"),
                name: "张三".into(),
                address: "浙江省杭州市西湖区文三路1号".into(),
                responsible: person(),
            },
        )
        .await?;
    let website = tx
        .insert_website(
            "system",
            &WebsiteData {
                sponsor_id: sponsor.clone(),
                name: "基准测试".into(),
                domain: domain.into(),
                home_url: format!("https://www.{domain}/"),
                service_content: "blog".into(),
                details: json!({}),
                responsible: person(),
            },
        )
        .await?;
    let id = tx
        .insert_access(
            "system",
            &NewAccess {
                website_id: &website,
                sponsor_id: &sponsor,
                order_id: None,
                service_number: None,
            },
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

async fn gate_status(http: &reqwest::Client, gate: SocketAddr, host: &str) -> Result<u16, Error> {
    Ok(http
        .get(format!("http://{gate}/gate?host={host}"))
        .send()
        .await?
        .status()
        .as_u16())
}

/// Polls until `host` answers `want` (at most 10 s); the time it took.
async fn until(
    http: &reqwest::Client,
    gate: SocketAddr,
    host: &str,
    want: u16,
    from: Instant,
) -> Result<Duration, Error> {
    loop {
        if gate_status(http, gate, host).await? == want {
            return Ok(from.elapsed());
        }
        if from.elapsed() > Duration::from_secs(10) {
            return Err(format!("{host} did not answer {want} within 10 s").into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The time from each 取消接入 commit to the gate's first 403 (one per access).
async fn update_latencies(
    store: &Store,
    gate: SocketAddr,
    accesses: &[(String, String)],
) -> Result<Vec<Duration>, Error> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for (id, domain) in accesses {
        until(&http, gate, domain, 200, Instant::now()).await?;
        let mut tx = store.begin().await?;
        tx.set_access_status("system", id, AccessStatus::Active, AccessStatus::Cancelling)
            .await?;
        tx.commit().await?;
        let committed = Instant::now();
        out.push(until(&http, gate, &format!("www.{domain}"), 403, committed).await?);
    }
    out.sort();
    Ok(out)
}

fn median_max(v: &[Duration]) -> String {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    match (v.get(v.len() / 2), v.last()) {
        (Some(m), Some(x)) => format!(
            "median {:.0} ms, max {:.0} ms ({} runs)",
            ms(m),
            ms(x),
            v.len()
        ),
        _ => "no runs".into(),
    }
}

async fn run(a: Args) -> Result<(), Error> {
    let n = a.domains;
    println!(
        "beian gate bench: {n} domains, wrk -t{} -c{} -d{}s on loopback, {} interleaved rounds, \
         servers with {}",
        a.threads,
        a.connections,
        a.seconds,
        a.rounds,
        match a.server_threads {
            0 => "tokio's default worker threads".to_owned(),
            t => format!("TOKIO_WORKER_THREADS={t}"),
        }
    );
    println!(
        "CPUs: {}; {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        if a.pin {
            format!("servers pinned to CPU {SERVER_CPU}, wrk to CPU {WRK_CPU} (taskset)")
        } else {
            "not pinned (servers and wrk share every CPU)".to_owned()
        }
    );
    let lat_domains: Vec<String> = (0..a.runs)
        .map(|i| format!("cancel-bench-{i}.cn"))
        .collect();

    // SQLite: empty and loaded.
    let empty = testing::sqlite().await;
    let (empty_gate, _, _) = start_gate(&a, &url_of(&empty))?;
    let sqlite = testing::sqlite().await;
    let took = generate(&sqlite.store, n).await?;
    println!(
        "generated {n} domains on SQLite in {:.1} s",
        took.as_secs_f64()
    );
    let mut accesses = Vec::new();
    for (i, d) in lat_domains.iter().enumerate() {
        accesses.push((real_access(&sqlite.store, i, d).await?, d.clone()));
    }
    let (gate, gate_addr, sqlite_load_ms) = start_gate(&a, &url_of(&sqlite))?;
    let http = reqwest::Client::new();
    // Touch both once so lazily mapped pages count alike, then read RSS.
    gate_status(&http, gate_addr, "shop1.com.cn").await?;
    let rss_empty = empty_gate.rss_kib()?;
    let rss_loaded = gate.rss_kib()?;
    drop(empty_gate);
    let per_domain = (rss_loaded.saturating_sub(rss_empty) as f64 * 1024.0) / n as f64;

    // Throughput: the same script against the baseline, then the gate.
    let dir = sqlite.data_dir().to_path_buf();
    let script = dir.join("gate.lua");
    std::fs::write(
        &script,
        format!(
            "math.randomseed(13)\nrequest = function()\n  local i = math.random(1, {})\n  \
             return wrk.format(\"GET\", \"/gate?host=www.shop\" .. i .. \".com.cn\")\nend\n",
            n + n / 10
        ),
    )?;
    let hello_addr = free_addr()?;
    let (hello, _) = start(server(&a, &a.hello).arg(hello_addr.to_string()))?;
    if a.pin {
        pin(&hello)?;
        pin(&gate)?;
    }
    println!("load average before the rounds: {}", loadavg());
    let setup = WrkSetup {
        threads: a.threads,
        connections: a.connections,
        seconds: a.seconds,
        pin: a.pin,
    };
    let mut rounds = Vec::new();
    for r in 0..a.rounds {
        // Alternating order (AB BA AB …), both servers up all along, so a change in the
        // shared machine's load hits the baseline and the gate alike.
        let (base, g) = if r % 2 == 0 {
            let base = wrk(&setup, &hello, hello_addr, &script)?;
            (base, wrk(&setup, &gate, gate_addr, &script)?)
        } else {
            let g = wrk(&setup, &gate, gate_addr, &script)?;
            (wrk(&setup, &hello, hello_addr, &script)?, g)
        };
        println!(
            "round {}: hello {:.0} req/s (p50 {:.3} ms, p99 {:.3} ms, {:.1} µs CPU/req) | \
             gate {:.0} req/s (p50 {:.3} ms, p99 {:.3} ms, {:.1} µs CPU/req) | ratio {:.3}, \
             CPU ratio {:.3}",
            r + 1,
            base.rps,
            base.p50_ms,
            base.p99_ms,
            base.cpu_us,
            g.rps,
            g.p50_ms,
            g.p99_ms,
            g.cpu_us,
            g.rps / base.rps,
            base.cpu_us / g.cpu_us
        );
        rounds.push((base, g));
    }
    println!("load average after the rounds: {}", loadavg());
    drop(hello);
    let median = |f: &dyn Fn(&(Wrk, Wrk)) -> f64| -> f64 {
        let mut v: Vec<f64> = rounds.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    };
    let worst =
        |f: &dyn Fn(&(Wrk, Wrk)) -> f64| -> f64 { rounds.iter().map(f).fold(f64::NAN, f64::max) };
    let ratio = median(&|(b, g)| g.rps / b.rps);
    let cpu_ratio = median(&|(b, g)| b.cpu_us / g.cpu_us);
    let base = Wrk {
        rps: median(&|(b, _)| b.rps),
        p50_ms: median(&|(b, _)| b.p50_ms),
        p99_ms: median(&|(b, _)| b.p99_ms),
        cpu_us: median(&|(b, _)| b.cpu_us),
        non_2xx: 0,
        errors: 0,
    };
    let g = Wrk {
        rps: median(&|(_, g)| g.rps),
        p50_ms: median(&|(_, g)| g.p50_ms),
        p99_ms: median(&|(_, g)| g.p99_ms),
        cpu_us: median(&|(_, g)| g.cpu_us),
        non_2xx: 0,
        errors: 0,
    };
    let (base_p99_worst, gate_p99_worst) = (worst(&|(b, _)| b.p99_ms), worst(&|(_, g)| g.p99_ms));

    let sqlite_updates = update_latencies(&sqlite.store, gate_addr, &accesses).await?;
    drop(gate);

    // PostgreSQL.
    let pg = match testing::postgres().await {
        Some(pg) => {
            let took = generate(&pg.store, n).await?;
            println!(
                "generated {n} domains on PostgreSQL in {:.1} s",
                took.as_secs_f64()
            );
            let mut accesses = Vec::new();
            for (i, d) in lat_domains.iter().enumerate() {
                accesses.push((real_access(&pg.store, i, d).await?, d.clone()));
            }
            let (gate, addr, load_ms) = start_gate(&a, &url_of(&pg))?;
            let updates = update_latencies(&pg.store, addr, &accesses).await?;
            drop(gate);
            pg.teardown().await;
            Some((load_ms, updates))
        }
        None => None,
    };

    println!();
    println!("| figure | value |");
    println!("|---|---|");
    let rn = rounds.len();
    let c = f64::from(a.connections);
    println!(
        "| bare axum hello (baseline), median of {rn} | {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms (worst {:.3} ms); {:.1} µs CPU/req; mean latency by Little's law {:.3} ms |",
        base.rps,
        base.p50_ms,
        base.p99_ms,
        base_p99_worst,
        base.cpu_us,
        c / base.rps * 1000.0
    );
    println!(
        "| gate, {n} domains loaded, median of {rn} | {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms (worst {:.3} ms); {:.1} µs CPU/req; mean latency by Little's law {:.3} ms |",
        g.rps,
        g.p50_ms,
        g.p99_ms,
        gate_p99_worst,
        g.cpu_us,
        c / g.rps * 1000.0
    );
    println!("| gate throughput / baseline, median of {rn} rounds | {ratio:.3}× |");
    println!(
        "| baseline CPU per request / gate CPU per request, median of {rn} rounds | {cpu_ratio:.3}× |"
    );
    println!(
        "| RSS: empty gate, loaded gate | {:.1} MiB, {:.1} MiB |",
        rss_empty as f64 / 1024.0,
        rss_loaded as f64 / 1024.0
    );
    println!("| RSS growth per domain | {per_domain:.1} B |");
    println!("| load at start, SQLite, {n} | {sqlite_load_ms} ms |");
    println!(
        "| update latency, 取消接入 commit → 403, SQLite | {} |",
        median_max(&sqlite_updates)
    );
    match &pg {
        Some((load_ms, updates)) => {
            println!("| load at start, PostgreSQL, {n} | {load_ms} ms |");
            println!(
                "| update latency, 取消接入 commit → 403, PostgreSQL | {} |",
                median_max(updates)
            );
        }
        None => {
            println!("| PostgreSQL | not measured: no PostgreSQL (apt-get install postgresql) |")
        }
    }
    empty.teardown().await;
    sqlite.teardown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match args() {
        Ok(a) => run(a).await,
        Err(e) => Err(e),
    };
    beian_bench::exit("bench-gate", result)
}
