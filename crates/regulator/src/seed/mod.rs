//! `beian regulator seed --sponsors N`: fills the registry with a realistic synthetic
//! national registry — providers in every province, enterprise and individual sponsors with
//! valid credit codes and resident ids, their websites on distinct domains, numbers by bureau
//! and year, hashed filing passwords, and access records — in batched multi-row inserts,
//! certificate numbers and mobiles sealed under the simulator's key like filed ones.

pub mod ids;
mod insert;
pub mod names;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::time::Instant;

use beian_core::province::Province;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{SqliteConnection, SqlitePool};

use crate::crypto::RegistryCrypto;
use crate::{Error, password, registry::sponsor_number, ts};

/// Sponsors per transaction. Index inserts land at random pages (blind indexes, domains,
/// bigrams), and every page a transaction dirties is written to the WAL once at its commit:
/// larger transactions dirty each page once for more rows. At 1,000 per transaction the seed
/// spent most of its time writing and checksumming WAL frames (docs/performance.md).
const BATCH: u64 = 20_000;

/// Providers per province.
const PROVIDERS_PER_PROVINCE: usize = 3;
/// First ispId of seeded providers.
const FIRST_ISP_ID: i64 = 20_000;

/// What a seeding run added, and how long it took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedReport {
    pub providers: u64,
    pub sponsors: u64,
    pub websites: u64,
    pub accesses: u64,
    pub seconds: f64,
}

impl SeedReport {
    /// Sponsors per second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.sponsors as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Adds `n` synthetic sponsors (with websites and accesses) to the registry; `progress` is
/// called with the number of sponsors done after each batch.
pub async fn seed(
    pool: &SqlitePool,
    crypto: &RegistryCrypto,
    n: u64,
    progress: impl FnMut(u64),
) -> Result<SeedReport, Error> {
    seed_with(pool, crypto, n, rand::random(), progress).await
}

/// As [`seed`], reproducibly from `rng_seed`.
pub async fn seed_with(
    pool: &SqlitePool,
    crypto: &RegistryCrypto,
    n: u64,
    rng_seed: u64,
    progress: impl FnMut(u64),
) -> Result<SeedReport, Error> {
    seed_batched(pool, crypto, n, rng_seed, BATCH, progress).await
}

/// As [`seed_with`], `batch` sponsors per transaction.
async fn seed_batched(
    pool: &SqlitePool,
    crypto: &RegistryCrypto,
    n: u64,
    rng_seed: u64,
    batch_size: u64,
    mut progress: impl FnMut(u64),
) -> Result<SeedReport, Error> {
    let batch_size = batch_size.max(1);
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(rng_seed);
    let mut report = SeedReport::default();
    let mut conn = pool.acquire().await?;
    // Index inserts land at random places; a large page cache on this one connection keeps
    // them from going to the disk as the registry grows.
    sqlx::query("PRAGMA cache_size = -262144")
        .execute(&mut *conn)
        .await?;
    // 100,000 WAL pages before an automatic checkpoint while seeding (SQLite's default is
    // 1,000): pages that every batch dirties again are copied to the database once per
    // checkpoint, not once per commit. Restored after the seed, which ends with a checkpoint.
    sqlx::query("PRAGMA wal_autocheckpoint = 100000")
        .execute(&mut *conn)
        .await?;
    let (providers, added) = ensure_providers(&mut conn, &mut rng).await?;
    report.providers = added;
    let mut state = State::load(&mut conn, providers).await?;
    let mut done = 0;
    while done < n {
        let count = batch_size.min(n - done);
        let batch = state.generate(&mut rng, count);
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        insert::insert_batch(&mut tx, crypto, &batch).await?;
        tx.commit().await?;
        report.websites += batch.websites.len() as u64;
        report.accesses += batch.accesses.len() as u64;
        done += count;
        progress(done);
    }
    state.save_counters(&mut conn).await?;
    sqlx::query("PRAGMA wal_autocheckpoint = 1000")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA cache_size = -2000")
        .execute(&mut *conn)
        .await?;
    report.sponsors = done;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Seeded providers by province code, creating them on the first run.
async fn ensure_providers(
    conn: &mut SqliteConnection,
    rng: &mut StdRng,
) -> Result<(HashMap<String, Vec<i64>>, u64), Error> {
    let mut added = 0;
    for (p, province) in Province::all().enumerate() {
        for k in 0..PROVIDERS_PER_PROVINCE {
            let id = FIRST_ISP_ID + i64::try_from(p * PROVIDERS_PER_PROVINCE + k).unwrap_or(0);
            let trade = names::trade_name(rng);
            let name = format!("{}{trade}云计算有限公司", province.info().short_name);
            let secret: String = (0..16)
                .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                .collect();
            let done = sqlx::query(
                "INSERT OR IGNORE INTO providers (id, name, province, username, password, aes_key, aes_iv) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(&name)
            .bind(province.code())
            .bind(format!("isp{id}"))
            .bind(&secret)
            .bind(&secret)
            .bind("0102030405060708")
            .execute(&mut *conn)
            .await?;
            added += done.rows_affected();
        }
    }
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, province FROM providers WHERE id >= ? ORDER BY id")
            .bind(FIRST_ISP_ID)
            .fetch_all(&mut *conn)
            .await?;
    let mut by_province: HashMap<String, Vec<i64>> = HashMap::new();
    for (id, province) in rows {
        by_province.entry(province).or_default().push(id);
    }
    Ok((by_province, added))
}

pub(crate) struct SponsorRow {
    pub(crate) id: i64,
    pub(crate) province: Province,
    pub(crate) nature: &'static str,
    pub(crate) certificate_type: &'static str,
    pub(crate) certificate_number: String,
    pub(crate) name: String,
    pub(crate) responsible_name: String,
    pub(crate) responsible_mobile: String,
    pub(crate) number: String,
    pub(crate) salt: [u8; 16],
    pub(crate) hash: [u8; 32],
    pub(crate) next_serial: i64,
    pub(crate) filed_at: String,
}

pub(crate) struct WebsiteRow {
    pub(crate) id: i64,
    pub(crate) sponsor_id: i64,
    pub(crate) name: String,
    pub(crate) domain: String,
    pub(crate) responsible_name: String,
    pub(crate) responsible_mobile: String,
    pub(crate) number: String,
    pub(crate) filed_at: String,
}

pub(crate) struct Batch {
    pub(crate) sponsors: Vec<SponsorRow>,
    pub(crate) websites: Vec<WebsiteRow>,
    pub(crate) accesses: Vec<(i64, i64, String)>,
}

struct State {
    providers: HashMap<String, Vec<i64>>,
    all_providers: Vec<i64>,
    counters: HashMap<(char, i32), i64>,
    next_sponsor: i64,
    next_website: i64,
    provinces: Vec<Province>,
    /// Hashes of every domain in the registry, to skip names already used.
    domains_seen: HashSet<u64>,
    domain_cursor: u64,
}

impl State {
    async fn load(
        conn: &mut SqliteConnection,
        providers: HashMap<String, Vec<i64>>,
    ) -> Result<State, Error> {
        let next_sponsor: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM sponsors")
            .fetch_one(&mut *conn)
            .await?;
        let next_website: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM websites")
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<(String, i32, i64)> =
            sqlx::query_as("SELECT abbreviation, year, last_serial FROM number_counters")
                .fetch_all(&mut *conn)
                .await?;
        let counters = rows
            .into_iter()
            .filter_map(|(a, y, s)| a.chars().next().map(|c| ((c, y), s)))
            .collect();
        // Busier provinces weigh more, as in the real registry.
        let mut provinces = Vec::new();
        for p in Province::all() {
            let weight = match p.abbreviation() {
                '粤' => 8,
                '浙' | '京' | '沪' | '苏' => 5,
                '鲁' | '闽' | '蜀' | '豫' | '鄂' => 3,
                '藏' | '青' | '宁' | '新' => 1,
                _ => 2,
            };
            provinces.extend(std::iter::repeat_n(p, weight));
        }
        let existing: Vec<String> = sqlx::query_scalar("SELECT domain FROM websites")
            .fetch_all(&mut *conn)
            .await?;
        let domains_seen = existing.iter().map(|d| domain_hash(d)).collect();
        let mut all_providers: Vec<i64> = providers.values().flatten().copied().collect();
        all_providers.sort_unstable();
        Ok(State {
            providers,
            all_providers,
            counters,
            next_sponsor,
            next_website,
            provinces,
            domains_seen,
            domain_cursor: u64::try_from(next_website).unwrap_or(0),
        })
    }

    fn generate(&mut self, rng: &mut StdRng, count: u64) -> Batch {
        let mut batch = Batch {
            sponsors: Vec::with_capacity(count as usize),
            websites: Vec::with_capacity(count as usize * 3 / 2),
            accesses: Vec::with_capacity(count as usize * 2),
        };
        for _ in 0..count {
            let province = self.provinces[rng.random_range(0..self.provinces.len())];
            let year = rng.random_range(2016..=2025);
            let serial = self
                .counters
                .entry((province.abbreviation(), year))
                .or_insert(0);
            *serial += 1;
            let number = sponsor_number(province, year, *serial);
            let filed = filed_instant(rng, year);
            let area = format!("{}01{:02}", province.code(), rng.random_range(2..=9));
            let region = province.info().short_name;
            let person = names::person(rng);
            let mobile = names::mobile(rng);
            let enterprise = rng.random_bool(0.75);
            let (nature, certificate_type, certificate_number, name, trade) = if enterprise {
                let trade = names::trade_name(rng);
                let name = names::company(rng, region, &trade);
                (
                    "enterprise",
                    "credit_code",
                    ids::credit_code(rng, &area),
                    name,
                    trade,
                )
            } else {
                (
                    "individual",
                    "resident_id",
                    ids::resident_id(rng, &area),
                    person.clone(),
                    person.clone(),
                )
            };
            let password = password::generate(rng);
            let salt = password::salt(rng);
            let hash = password::hash(&salt, &password);
            let sponsor_id = self.next_sponsor;
            self.next_sponsor += 1;
            let sites = match rng.random_range(0..100) {
                0..65 => 1,
                65..90 => 2,
                _ => 3,
            };
            for k in 1..=sites {
                let website_id = self.next_website;
                self.next_website += 1;
                let domain = self.next_domain();
                let site_name = if enterprise {
                    names::enterprise_site(rng, &trade)
                } else {
                    names::personal_site(rng, &person)
                };
                let (responsible_name, responsible_mobile) = if rng.random_bool(0.7) {
                    (person.clone(), mobile.clone())
                } else {
                    (names::person(rng), names::mobile(rng))
                };
                batch.websites.push(WebsiteRow {
                    id: website_id,
                    sponsor_id,
                    name: site_name,
                    domain,
                    responsible_name,
                    responsible_mobile,
                    number: format!("{number}-{k}"),
                    filed_at: ts(filed),
                });
                let provider = self.pick_provider(rng, province, None);
                batch.accesses.push((website_id, provider, ts(filed)));
                if rng.random_bool(0.15) {
                    let second = self.pick_provider(rng, province, Some(provider));
                    if second != provider {
                        batch.accesses.push((website_id, second, ts(filed)));
                    }
                }
            }
            batch.sponsors.push(SponsorRow {
                id: sponsor_id,
                province,
                nature,
                certificate_type,
                certificate_number,
                name,
                responsible_name: person,
                responsible_mobile: mobile,
                number,
                salt,
                hash,
                next_serial: sites + 1,
                filed_at: ts(filed),
            });
        }
        batch
    }

    /// The next domain name not yet in the registry.
    fn next_domain(&mut self) -> String {
        loop {
            let domain = names::domain(self.domain_cursor);
            self.domain_cursor += 1;
            if self.domains_seen.insert(domain_hash(&domain)) {
                return domain;
            }
        }
    }

    /// Mostly a provider of the sponsor's province, sometimes one elsewhere.
    fn pick_provider(&self, rng: &mut StdRng, province: Province, not: Option<i64>) -> i64 {
        let local = self
            .providers
            .get(province.code())
            .filter(|l| !l.is_empty());
        let pool = match local {
            Some(l) if rng.random_bool(0.9) => l.as_slice(),
            _ => self.all_providers.as_slice(),
        };
        let mut pick = pool[rng.random_range(0..pool.len())];
        if Some(pick) == not {
            pick = pool[(pool.iter().position(|&p| p == pick).unwrap_or(0) + 1) % pool.len()];
        }
        pick
    }

    async fn save_counters(&self, conn: &mut SqliteConnection) -> Result<(), Error> {
        for ((abbreviation, year), last) in &self.counters {
            sqlx::query(
                "INSERT INTO number_counters (abbreviation, year, last_serial) VALUES (?, ?, ?) \
                 ON CONFLICT (abbreviation, year) DO UPDATE SET last_serial = MAX(last_serial, excluded.last_serial)",
            )
            .bind(abbreviation.to_string())
            .bind(year)
            .bind(last)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// A 64-bit hash of a domain (SipHash with fixed keys); a false "already used" merely skips a
/// name.
fn domain_hash(domain: &str) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(domain)
}

/// A random instant in `year` (Shanghai working hours are not modelled).
fn filed_instant(rng: &mut StdRng, year: i32) -> DateTime<Utc> {
    let start = Utc
        .with_ymd_and_hms(year, 1, 1, 1, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    start + Duration::seconds(rng.random_range(0..364 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FilingStatus;
    use crate::query::{PublicQuery, run};
    use crate::registry;

    #[tokio::test]
    async fn seeds_a_consistent_registry_and_can_seed_again() {
        let dir = tempfile::tempdir().unwrap();
        let crypto = RegistryCrypto::new(&crate::crypto::RegistryKey::generate());
        let pool = crate::db::open(dir.path(), &crypto).await.unwrap();
        let mut seen = Vec::new();
        let report = seed_batched(&pool, &crypto, 2_500, 7, 1_000, |n| seen.push(n))
            .await
            .unwrap();
        assert_eq!(seen, vec![1_000, 2_000, 2_500], "progress after each batch");
        assert_eq!(report.sponsors, 2_500);
        assert_eq!(report.providers, 31 * PROVIDERS_PER_PROVINCE as u64);
        assert!(report.websites > 2_500 && report.accesses >= report.websites);

        let mut conn = pool.acquire().await.unwrap();
        let (name, number, sealed, nature): (String, String, String, String) = sqlx::query_as(
            "SELECT name, number, certificate_number, nature FROM sponsors ORDER BY id LIMIT 1",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        // Stored sealed; it opens to a valid identifier.
        let cert = crypto
            .open(crate::crypto::Field::Certificate, &sealed)
            .unwrap();
        assert!(!sealed.contains(&cert));
        match nature.as_str() {
            "enterprise" => {
                assert!(name.ends_with("有限公司"), "{name}");
                assert_eq!(ids::credit_code_check(&cert[..17]), cert.chars().last());
            }
            _ => assert_eq!(ids::resident_id_check(&cert[..17]), cert.chars().last()),
        }
        // The registry answers for seeded data like for filed data.
        assert!(matches!(
            registry::status_by_certificate(&mut conn, &crypto, &cert).await.unwrap(),
            FilingStatus::Sponsor { sponsor_number } if sponsor_number == number
        ));
        let found = run(&mut conn, &PublicQuery::Number(number.clone()))
            .await
            .unwrap();
        assert!(!found.is_empty());
        let found = run(&mut conn, &PublicQuery::Domain(found[0].domain.clone()))
            .await
            .unwrap();
        assert_eq!(found[0].sponsor_number, number);
        drop(conn);

        // A second run continues the ids and serials.
        let again = seed_with(&pool, &crypto, 10, 8, |_| {}).await.unwrap();
        assert_eq!((again.sponsors, again.providers), (10, 0));
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sponsors")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 2_510);
    }
}
