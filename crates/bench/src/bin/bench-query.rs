//! The simulator's public ICP query over HTTP at national scale (issue 14's must-show: "public
//! query p99 ≤ 5 ms for domain and number at c=64 on 1 M sponsors; sponsor search p99 ≤
//! 20 ms, worst case included"), run by `scripts/bench query`.
//!
//! 1. Seeds a registry of N sponsors (default 1,000,000) with `beian regulator seed` into a
//!    fresh data dir (or reuses `--data-dir` when it already holds a registry): the seed rate.
//! 2. Starts `beian regulator serve` on it and `bench-hello` (a bare axum hello world, the
//!    baseline), each with one tokio worker (`--server-threads`) pinned to CPU 0, and `wrk`
//!    (one thread) pinned to CPU 1, as `bench-gate` does.
//! 3. Draws the asked values from the registry itself (random filed websites: their domain,
//!    website number, sponsor number, and substrings of their sponsor's name), so that every
//!    request asks for something else and most find a record; checks a sample of each over
//!    HTTP first (status and hits).
//! 4. `wrk -t1 -c64 -d10s --latency` with a Lua script per row that picks a random value per
//!    request, `Accept: application/json` (the JSON answer, no HTML page), against the hello
//!    world and each row, in `--rounds` rounds (default 2) in alternating order, both servers
//!    up all along. Rows: domain, website number, sponsor number, random 2-character and
//!    3–4-character substrings of sponsor names, and the fixed worst cases of name search:
//!    司有 (two of the commonest characters, never adjacent), 公司 (the commonest bigram, in
//!    every company's name), 有限公司 (every company) and 网信息技 (two common trigrams, 网信息
//!    and 信息技, that few names hold in that order: the index walks both long lists to find
//!    the 50 that do).
//!
//! Prints each round, then a table: the median over rounds of req/s, p50 and p99 (and the worst
//! p99), the server's CPU time per request, non-2xx answers, and the ratio to the hello world's
//! req/s of the same run. Asserts nothing; figures only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use beian_bench::{
    Error, SERVER_CPU, WRK_CPU, Wrk, WrkSetup, free_addr, loadavg, median, pin, start, wrk,
};
use sqlx::Row as _;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

struct Args {
    beian: PathBuf,
    hello: PathBuf,
    sponsors: u64,
    data_dir: Option<PathBuf>,
    keep: bool,
    samples: usize,
    seconds: u64,
    connections: u32,
    threads: u32,
    rounds: usize,
    pin: bool,
    server_threads: u32,
}

fn args() -> Result<Args, Error> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let mut a = Args {
        beian: PathBuf::from(format!("{target}/release/beian")),
        hello: PathBuf::from(format!("{target}/release/bench-hello")),
        sponsors: 1_000_000,
        data_dir: None,
        keep: false,
        samples: 5_000,
        seconds: 10,
        connections: 64,
        threads: 1,
        rounds: 2,
        pin: true,
        server_threads: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--pin" | "--no-pin" => {
                a.pin = flag == "--pin";
                continue;
            }
            "--keep" => {
                a.keep = true;
                continue;
            }
            // `query 1000000`: the sponsor count as a plain argument.
            n if n.parse::<u64>().is_ok() => {
                a.sponsors = n.parse()?;
                continue;
            }
            _ => {}
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--beian" => a.beian = value.into(),
            "--hello" => a.hello = value.into(),
            "--sponsors" => a.sponsors = value.parse()?,
            "--data-dir" => a.data_dir = Some(value.into()),
            "--samples" => a.samples = value.parse::<usize>()?.max(1),
            "--seconds" => a.seconds = value.parse()?,
            "--connections" => a.connections = value.parse()?,
            "--threads" => a.threads = value.parse()?,
            "--rounds" => a.rounds = value.parse::<usize>()?.max(1),
            "--server-threads" => a.server_threads = value.parse()?,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    Ok(a)
}

/// The command of a server under test: `TOKIO_WORKER_THREADS` from `--server-threads`.
fn server(a: &Args, program: &Path) -> Command {
    let mut c = Command::new(program);
    if a.server_threads > 0 {
        c.env("TOKIO_WORKER_THREADS", a.server_threads.to_string());
    }
    c
}

/// splitmix64: random enough to pick rows, and the same picks in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Percent-encodes a query value (everything but the unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One row of the bench: a name, the paths its requests pick from, and its target p99.
struct Row {
    what: String,
    paths: Vec<String>,
    target_p99_ms: f64,
}

/// A filed website and its sponsor, as the public query shows them.
struct Sample {
    domain: String,
    number: String,
    sponsor_number: String,
    name: Vec<char>,
}

/// `n` random filed websites of the registry in `dir`, with their sponsors.
async fn sample(dir: &Path, n: usize) -> Result<Vec<Sample>, Error> {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("regulator.sqlite"))
        .read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let max: i64 = sqlx::query_scalar("SELECT MAX(id) FROM websites")
        .fetch_one(&pool)
        .await?;
    let max = u64::try_from(max.max(1))?;
    let mut rng = Rng(14);
    let mut out = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n && tries < n * 4 {
        tries += 1;
        let id = rng.range(1, max);
        let row = sqlx::query(
            "SELECT w.domain, w.number, s.number AS sponsor_number, s.name \
             FROM websites w JOIN sponsors s ON s.id = w.sponsor_id \
             WHERE w.id = ? AND w.status = 'filed' AND s.status = 'filed'",
        )
        .bind(i64::try_from(id)?)
        .fetch_optional(&pool)
        .await?;
        if let Some(r) = row {
            out.push(Sample {
                domain: r.try_get("domain")?,
                number: r.try_get("number")?,
                sponsor_number: r.try_get("sponsor_number")?,
                name: r.try_get::<String, _>("name")?.chars().collect(),
            });
        }
    }
    pool.close().await;
    Ok(out)
}

/// A substring of `name` of `len` characters (all of it when shorter), at a random place.
fn part(rng: &mut Rng, name: &[char], len: usize) -> String {
    let len = len.min(name.len());
    let start = rng.range(0, (name.len() - len) as u64) as usize;
    name[start..start + len].iter().collect()
}

fn rows(samples: &[Sample]) -> Vec<Row> {
    let q = |key: &str, value: &str| format!("/miit/query?{key}={}", encode(value));
    let mut rng = Rng(15);
    let fixed = |what: &str, value: &str| Row {
        what: format!("sponsor, worst case {what}: `{value}`"),
        paths: vec![q("sponsor", value)],
        target_p99_ms: 20.0,
    };
    vec![
        Row {
            what: "domain".into(),
            paths: samples.iter().map(|s| q("domain", &s.domain)).collect(),
            target_p99_ms: 5.0,
        },
        Row {
            what: "number (a website's, 浙ICP备…号-1)".into(),
            paths: samples.iter().map(|s| q("number", &s.number)).collect(),
            target_p99_ms: 5.0,
        },
        Row {
            what: "number (a sponsor's, 浙ICP备…号)".into(),
            paths: samples
                .iter()
                .map(|s| q("number", &s.sponsor_number))
                .collect(),
            target_p99_ms: 5.0,
        },
        Row {
            what: "sponsor, 2 characters of a name".into(),
            paths: samples
                .iter()
                .map(|s| q("sponsor", &part(&mut rng, &s.name, 2)))
                .collect(),
            target_p99_ms: 20.0,
        },
        Row {
            what: "sponsor, 3–4 characters of a name".into(),
            paths: samples
                .iter()
                .filter(|s| s.name.len() >= 3)
                .map(|s| {
                    let len = rng.range(3, 4) as usize;
                    q("sponsor", &part(&mut rng, &s.name, len))
                })
                .collect(),
            target_p99_ms: 20.0,
        },
        fixed("(2 common characters never adjacent)", "司有"),
        fixed("(the commonest bigram)", "公司"),
        fixed("(every company)", "有限公司"),
        fixed("(two common trigrams, rarely in this order)", "网信息技"),
    ]
}

/// A wrk script asking for a random one of `paths` per request, as JSON.
fn script(dir: &Path, name: &str, paths: &[String]) -> Result<PathBuf, Error> {
    let mut text = String::from("local paths = {\n");
    for p in paths {
        // Percent-encoded: only ASCII letters, digits, `%-._~/?=`, safe in a Lua string.
        text.push_str(&format!("  \"{p}\",\n"));
    }
    text.push_str(
        "}\nmath.randomseed(14)\nwrk.headers[\"Accept\"] = \"application/json\"\n\
         request = function()\n  return wrk.format(\"GET\", paths[math.random(#paths)])\nend\n",
    );
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Asks for up to 100 of the row's paths once each: how many answered 200 and how many of
/// those found a record.
async fn check(http: &reqwest::Client, addr: SocketAddr, row: &Row) -> Result<String, Error> {
    let (mut ok, mut hits, mut asked) = (0, 0, 0);
    let mut statuses = std::collections::BTreeMap::new();
    for p in row.paths.iter().take(100) {
        asked += 1;
        let r = http
            .get(format!("http://{addr}{p}"))
            .header("Accept", "application/json")
            .send()
            .await?;
        let status = r.status().as_u16();
        let body: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
        if status == 200 {
            ok += 1;
            if body["records"].as_array().is_some_and(|a| !a.is_empty()) {
                hits += 1;
            }
        } else {
            let code = body["error"]["code"].as_str().unwrap_or("?").to_owned();
            *statuses.entry(format!("{status} {code}")).or_insert(0) += 1;
        }
    }
    let mut text = format!("{ok}/{asked} answered 200, {hits} with records");
    for (s, n) in statuses {
        text.push_str(&format!(", {n} × {s}"));
    }
    Ok(text)
}

/// Seeds `n` sponsors into `dir` with `beian regulator seed`; its summary line and the rate.
fn seed(a: &Args, dir: &Path) -> Result<String, Error> {
    let started = Instant::now();
    let out = Command::new(&a.beian)
        .args(["regulator", "seed", "--sponsors", &a.sponsors.to_string()])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "beian regulator seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let took = started.elapsed().as_secs_f64();
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_owned();
    Ok(format!(
        "{line}; the whole command {took:.1} s = {:.0} sponsors/s",
        a.sponsors as f64 / took
    ))
}

fn fmt_ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

async fn run(a: Args) -> Result<(), Error> {
    let fresh = a.data_dir.is_none();
    let dir = a.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("beian-query-bench-{}", std::process::id()))
    });
    println!(
        "beian public query bench: {} sponsors, wrk -t{} -c{} -d{}s on loopback, {} rounds, \
         servers with TOKIO_WORKER_THREADS={}; {}",
        a.sponsors,
        a.threads,
        a.connections,
        a.seconds,
        a.rounds,
        a.server_threads,
        if a.pin {
            format!("servers pinned to CPU {SERVER_CPU}, wrk to CPU {WRK_CPU} (taskset)")
        } else {
            "not pinned".to_owned()
        }
    );
    println!("load average at the start: {}", loadavg());
    if dir.join("regulator.sqlite").exists() {
        println!("registry reused: {}", dir.display());
    } else {
        std::fs::create_dir_all(&dir)?;
        println!("seeding into {}", dir.display());
        println!("seed: {}", seed(&a, &dir)?);
    }
    let size = std::fs::metadata(dir.join("regulator.sqlite")).map_or(0, |m| m.len());
    println!("database file: {:.0} MiB", size as f64 / 1_048_576.0);

    let samples = sample(&dir, a.samples).await?;
    println!("{} filed websites drawn as query values", samples.len());
    let rows = rows(&samples);

    let reg_addr = free_addr()?;
    let (regulator, _) = start(
        server(&a, &a.beian)
            .args(["regulator", "serve", "--listen", &reg_addr.to_string()])
            .arg("--data-dir")
            .arg(&dir),
    )?;
    let hello_addr = free_addr()?;
    let (hello, _) = start(server(&a, &a.hello).arg(hello_addr.to_string()))?;
    if a.pin {
        pin(&hello)?;
        pin(&regulator)?;
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let scripts_dir = dir.join("wrk");
    std::fs::create_dir_all(&scripts_dir)?;
    let hello_script = script(&scripts_dir, "hello", &rows[0].paths)?;
    let mut scripts = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        println!(
            "check: {}: {}",
            row.what,
            check(&http, reg_addr, row).await?
        );
        scripts.push(script(&scripts_dir, &format!("row{i}"), &row.paths)?);
    }

    let setup = WrkSetup {
        threads: a.threads,
        connections: a.connections,
        seconds: a.seconds,
        pin: a.pin,
    };
    println!("load average before the rounds: {}", loadavg());
    // results[0]: the hello world; results[i + 1]: rows[i]. One entry per round.
    let mut results: Vec<Vec<Wrk>> = vec![Vec::new(); rows.len() + 1];
    for r in 0..a.rounds {
        // Alternating order, so that a change in the shared machine's load hits every row.
        let mut order: Vec<usize> = (0..=rows.len()).collect();
        if r % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let w = if i == 0 {
                wrk(&setup, &hello, hello_addr, &hello_script)?
            } else {
                wrk(&setup, &regulator, reg_addr, &scripts[i - 1])?
            };
            let what = if i == 0 {
                "hello world"
            } else {
                rows[i - 1].what.as_str()
            };
            println!(
                "round {}: {what}: {:.0} req/s, p50 {} ms, p99 {} ms, {:.0} µs CPU/req, \
                 non-2xx {}, socket errors {}",
                r + 1,
                w.rps,
                fmt_ms(w.p50_ms),
                fmt_ms(w.p99_ms),
                w.cpu_us,
                w.non_2xx,
                w.errors
            );
            results[i].push(w);
        }
    }
    println!("load average after the rounds: {}", loadavg());
    drop(hello);
    drop(regulator);

    let n = a.rounds;
    let med = |v: &[Wrk], f: fn(&Wrk) -> f64| median(v.iter().map(f).collect());
    let worst = |v: &[Wrk]| v.iter().map(|w| w.p99_ms).fold(f64::NAN, f64::max);
    let base_rps = med(&results[0], |w| w.rps);
    println!();
    println!(
        "| `/miit/query?…` at c={} on {} sponsors (median of {n} rounds) | req/s | p50 | p99 (worst round) | server CPU/req | non-2xx | req/s vs hello world | target p99 |",
        a.connections, a.sponsors
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (i, v) in results.iter().enumerate() {
        let (what, target) = if i == 0 {
            let pinning = if a.pin {
                "same wrk and pinning"
            } else {
                "same wrk, unpinned"
            };
            (
                format!("axum hello world (baseline, {pinning})"),
                "—".to_owned(),
            )
        } else {
            (
                rows[i - 1].what.clone(),
                format!("≤ {} ms", rows[i - 1].target_p99_ms),
            )
        };
        let rps = med(v, |w| w.rps);
        println!(
            "| {what} | {rps:.0} | {} ms | {} ms ({} ms) | {:.0} µs | {} | {:.3}× | {target} |",
            fmt_ms(med(v, |w| w.p50_ms)),
            fmt_ms(med(v, |w| w.p99_ms)),
            fmt_ms(worst(v)),
            med(v, |w| w.cpu_us),
            v.iter().map(|w| w.non_2xx + w.errors).sum::<u64>(),
            rps / base_rps
        );
    }
    if fresh && !a.keep {
        std::fs::remove_dir_all(&dir)?;
    } else {
        println!("registry kept in {}", dir.display());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match args() {
        Ok(a) => run(a).await,
        Err(e) => Err(e),
    };
    beian_bench::exit("bench-query", result)
}
