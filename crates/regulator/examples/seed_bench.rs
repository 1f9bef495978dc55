//! Seeds a registry of N sponsors and measures the seed rate and the public query's latency.
//!
//! `cargo run --release -p beian-regulator --example seed_bench -- [N] [DATA_DIR] [QUERIES]`
//! (or `scripts/bench-regulator.sh`). Prints the figures; asserts nothing.

use std::io::Write;
use std::time::Instant;

use beian_regulator::db;
use beian_regulator::query::{PublicQuery, run};
use rand::Rng;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(Ok(100_000), |s| s.parse())?;
    let dir = match args.next() {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("beian-regulator-bench-{}", std::process::id())),
    };
    let queries: usize = args.next().map_or(Ok(3_000), |s| s.parse())?;
    let crypto = beian_regulator::crypto::RegistryCrypto::new(
        &beian_regulator::crypto::RegistryKey::load(&dir)?,
    );
    let pool = db::open(&dir, &crypto).await?;
    eprintln!("seeding {n} sponsors into {}", dir.display());

    let started = Instant::now();
    let report = beian_regulator::seed::seed(&pool, &crypto, n, |done| {
        let width = 40;
        let filled = (done * width / n.max(1)) as usize;
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r[{}{}] {done}/{n} sponsors, {rate:.0}/s",
            "#".repeat(filled),
            " ".repeat(width as usize - filled)
        );
        let _ = std::io::stderr().flush();
    })
    .await?;
    eprintln!();
    println!(
        "seed: {} sponsors, {} websites, {} accesses, {} providers in {:.1} s = {:.0} sponsors/s",
        report.sponsors,
        report.websites,
        report.accesses,
        report.providers,
        report.seconds,
        report.rate()
    );
    let size = std::fs::metadata(dir.join(db::FILE_NAME))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("database file: {:.0} MiB", size as f64 / 1_048_576.0);

    // Sample real values to ask for.
    let mut conn = pool.acquire().await?;
    let max_site: i64 = sqlx::query_scalar("SELECT MAX(id) FROM websites")
        .fetch_one(&mut *conn)
        .await?;
    let mut rng = rand::rng();
    let mut kinds: Vec<(&str, Vec<f64>)> = vec![
        ("domain", Vec::new()),
        ("number", Vec::new()),
        ("sponsor 3 chars (trigram)", Vec::new()),
        ("sponsor 2 chars (per-char)", Vec::new()),
    ];
    let mut hits = 0usize;
    for i in 0..queries {
        let id = rng.random_range(1..=max_site);
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT w.domain, w.number, s.name FROM websites w JOIN sponsors s ON s.id = w.sponsor_id WHERE w.id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((domain, number, name)) = row else {
            continue;
        };
        let chars: Vec<char> = name.chars().collect();
        let kind = i % kinds.len();
        if kind == 2 && chars.len() < 3 {
            // A two-character person's name cannot give a three-character substring.
            continue;
        }
        let q = match kind {
            0 => PublicQuery::Domain(domain),
            1 => PublicQuery::Number(number),
            2 => {
                let len = 3.min(chars.len());
                let start = rng.random_range(0..=chars.len() - len);
                PublicQuery::Sponsor(chars[start..start + len].iter().collect())
            }
            _ => {
                let len = 2.min(chars.len());
                let start = rng.random_range(0..=chars.len() - len);
                PublicQuery::Sponsor(chars[start..start + len].iter().collect())
            }
        };
        let t = Instant::now();
        let found = run(&mut conn, &q).await?;
        kinds[kind].1.push(t.elapsed().as_secs_f64() * 1000.0);
        hits += usize::from(!found.is_empty());
    }
    let mut all = Vec::new();
    println!("public query latency over {queries} queries ({hits} with results), in ms:");
    for (name, mut times) in kinds {
        times.sort_by(f64::total_cmp);
        println!(
            "  {name:<28} n={:<5} median {:>8.3}  p99 {:>8.3}  max {:>8.3}",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0)
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "  {:<28} n={:<5} median {:>8.3}  p99 {:>8.3}",
        "all",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
    Ok(())
}
