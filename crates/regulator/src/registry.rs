//! The national registry's records and the small queries over them: sponsors, websites,
//! accesses, numbers, filing passwords and the history. Every function works inside the
//! caller's transaction.
//!
//! Certificate numbers and mobiles are stored sealed under the simulator's key
//! ([`crate::crypto`]): the functions that write or show them take the [`RegistryCrypto`],
//! a sponsor is found by its certificate number through `sponsors.certificate_index`, and
//! the rows read here carry the sealed mobile (`sealed_mobile`), opened only where a text is
//! sent or a record shown.

use beian_core::province::Province;
use chrono::{DateTime, Datelike, Utc};
use rand::Rng;
use sqlx::{Row, SqliteConnection};

use crate::crypto::{Field, RegistryCrypto};
use crate::model::{AppData, FilingStatus, SponsorData, WebsiteData};
use crate::{Error, password, ts};

/// A sponsor as the registry holds it.
#[derive(Debug, Clone)]
pub struct SponsorRow {
    pub id: i64,
    pub province: String,
    pub certificate_type: String,
    /// The blind index of the certificate number ([`RegistryCrypto::blind`]).
    pub certificate_index: String,
    pub name: String,
    pub responsible_name: String,
    /// The responsible person's mobile, sealed ([`Field::Mobile`]).
    pub sealed_mobile: String,
    pub number: String,
    pub filed: bool,
}

/// A website as the registry holds it.
#[derive(Debug, Clone)]
pub struct WebsiteRow {
    pub id: i64,
    pub sponsor_id: i64,
    pub name: String,
    pub domain: String,
    /// The responsible person's mobile, sealed ([`Field::Mobile`]).
    pub sealed_mobile: String,
    pub number: String,
    pub filed: bool,
}

fn sponsor_row(row: &sqlx::sqlite::SqliteRow) -> Result<SponsorRow, Error> {
    Ok(SponsorRow {
        id: row.try_get("id")?,
        province: row.try_get("province")?,
        certificate_type: row.try_get("certificate_type")?,
        certificate_index: row.try_get("certificate_index")?,
        name: row.try_get("name")?,
        responsible_name: row.try_get("responsible_name")?,
        sealed_mobile: row.try_get("responsible_mobile")?,
        number: row.try_get("number")?,
        filed: row.try_get::<String, _>("status")? == "filed",
    })
}

fn website_row(row: &sqlx::sqlite::SqliteRow) -> Result<WebsiteRow, Error> {
    Ok(WebsiteRow {
        id: row.try_get("id")?,
        sponsor_id: row.try_get("sponsor_id")?,
        name: row.try_get("name")?,
        domain: row.try_get("domain")?,
        sealed_mobile: row.try_get("responsible_mobile")?,
        number: row.try_get("number")?,
        filed: row.try_get::<String, _>("status")? == "filed",
    })
}

/// The sponsor with this sponsor number (also accepts a website number `…号-N`).
pub async fn sponsor_by_number(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<Option<SponsorRow>, Error> {
    let sponsor_number = number.split_once("号-").map_or(number.trim(), |(s, _)| s);
    let sponsor_number = if sponsor_number.ends_with('号') {
        sponsor_number.to_owned()
    } else {
        format!("{sponsor_number}号")
    };
    let sql = "SELECT id, province, certificate_type, certificate_index, name, \
               responsible_name, responsible_mobile, number, status FROM sponsors WHERE number = ?";
    let row = sqlx::query(sql)
        .bind(&sponsor_number)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(sponsor_row).transpose()
}

/// The sponsor by id.
pub async fn sponsor_by_id(conn: &mut SqliteConnection, id: i64) -> Result<SponsorRow, Error> {
    let row = sqlx::query(
        "SELECT id, province, certificate_type, certificate_index, name, \
         responsible_name, responsible_mobile, number, status FROM sponsors WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    sponsor_row(&row)
}

/// The filed sponsor holding this certificate number, if any (by its blind index).
pub async fn filed_sponsor_by_certificate(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    certificate_number: &str,
) -> Result<Option<SponsorRow>, Error> {
    let row = sqlx::query(
        "SELECT id, province, certificate_type, certificate_index, name, \
         responsible_name, responsible_mobile, number, status FROM sponsors \
         WHERE certificate_index = ? AND status = 'filed' LIMIT 1",
    )
    .bind(crypto.blind(Field::Certificate, certificate_number))
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(sponsor_row).transpose()
}

/// The website with this website number.
pub async fn website_by_number(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<Option<WebsiteRow>, Error> {
    let row = sqlx::query(
        "SELECT id, sponsor_id, name, domain, responsible_mobile, number, status \
         FROM websites WHERE number = ?",
    )
    .bind(number.trim())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(website_row).transpose()
}

/// The filed website for this domain, if any.
pub async fn filed_website_by_domain(
    conn: &mut SqliteConnection,
    domain: &str,
) -> Result<Option<WebsiteRow>, Error> {
    let row = sqlx::query(
        "SELECT id, sponsor_id, name, domain, responsible_mobile, number, status \
         FROM websites WHERE domain = ? AND status = 'filed'",
    )
    .bind(normalize_domain(domain))
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(website_row).transpose()
}

/// The filed websites of a sponsor.
pub async fn websites_of(
    conn: &mut SqliteConnection,
    sponsor_id: i64,
) -> Result<Vec<WebsiteRow>, Error> {
    let rows = sqlx::query(
        "SELECT id, sponsor_id, name, domain, responsible_mobile, number, status \
         FROM websites WHERE sponsor_id = ? AND status = 'filed' ORDER BY id",
    )
    .bind(sponsor_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(website_row).collect()
}

/// The providers hosting a website.
pub async fn access_providers(
    conn: &mut SqliteConnection,
    website_id: i64,
) -> Result<Vec<i64>, Error> {
    let rows = sqlx::query("SELECT provider_id FROM accesses WHERE website_id = ? ORDER BY id")
        .bind(website_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Error::from))
        .collect()
}

/// Whether `provider_id` hosts at least one website of the sponsor.
pub async fn provider_hosts_sponsor(
    conn: &mut SqliteConnection,
    provider_id: i64,
    sponsor_id: i64,
) -> Result<bool, Error> {
    let found = sqlx::query(
        "SELECT 1 FROM accesses a JOIN websites w ON w.id = a.website_id \
         WHERE w.sponsor_id = ? AND a.provider_id = ? \
         UNION ALL SELECT 1 FROM app_accesses x JOIN apps p ON p.id = x.app_id \
         WHERE p.sponsor_id = ? AND x.provider_id = ? LIMIT 1",
    )
    .bind(sponsor_id)
    .bind(provider_id)
    .bind(sponsor_id)
    .bind(provider_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// A filed APP by its `-NA` number: `(id, sponsor_id)`.
pub async fn app_by_number(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<Option<(i64, i64)>, Error> {
    Ok(
        sqlx::query_as("SELECT id, sponsor_id FROM apps WHERE number = ? AND status = 'filed'")
            .bind(number.trim())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The responsible person's mobile of the filed APP `number`, opened.
pub async fn app_responsible_mobile(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    number: &str,
) -> Result<Option<String>, Error> {
    let sealed: Option<String> = sqlx::query_scalar(
        "SELECT responsible_mobile FROM apps WHERE number = ? AND status = 'filed'",
    )
    .bind(number.trim())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(sealed
        .map(|m| crypto.open_opt(Field::Mobile, &m))
        .transpose()?)
}

/// Whether `provider_id` provides access for the APP.
pub async fn provider_hosts_app(
    conn: &mut SqliteConnection,
    provider_id: i64,
    app_id: i64,
) -> Result<bool, Error> {
    let found = sqlx::query("SELECT 1 FROM app_accesses WHERE app_id = ? AND provider_id = ?")
        .bind(app_id)
        .bind(provider_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// The providers hosting the APP (its accesses).
pub async fn app_access_providers(
    conn: &mut SqliteConnection,
    app_id: i64,
) -> Result<Vec<i64>, Error> {
    Ok(
        sqlx::query_scalar("SELECT provider_id FROM app_accesses WHERE app_id = ? ORDER BY id")
            .bind(app_id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Whether a filed APP other than `app_id` holds `package` on `platform`.
pub async fn app_package_held_by_other(
    conn: &mut SqliteConnection,
    platform: &str,
    package: &str,
    app_id: i64,
) -> Result<bool, Error> {
    let found = sqlx::query(
        "SELECT 1 FROM app_packages p JOIN apps a ON a.id = p.app_id \
         WHERE p.platform = ? AND p.package = ? AND a.status = 'filed' AND a.id <> ?",
    )
    .bind(platform)
    .bind(package)
    .bind(app_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// 变更APP approved: the APP's data and package names become `app`'s; its number stays.
pub async fn update_app(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    app_id: i64,
    app: &AppData,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE apps SET name = ?, service_content = ?, platforms = ?, responsible_name = ?, \
         responsible_certificate_type = ?, responsible_certificate_number = ?, \
         responsible_mobile = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&app.name)
    .bind(&app.service_content)
    .bind(serde_json::to_string(&app.platforms)?)
    .bind(&app.responsible.name)
    .bind(&app.responsible.certificate_type)
    .bind(crypto.seal_opt(Field::Certificate, &app.responsible.certificate_number))
    .bind(crypto.seal_opt(Field::Mobile, &app.responsible.mobile))
    .bind(ts(at))
    .bind(app_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM app_packages WHERE app_id = ?")
        .bind(app_id)
        .execute(&mut *conn)
        .await?;
    for p in &app.platforms {
        sqlx::query("INSERT INTO app_packages (app_id, platform, package) VALUES (?, ?, ?)")
            .bind(app_id)
            .bind(&p.platform)
            .bind(&p.package)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Lower-case, no trailing dot, no scheme or path.
pub fn normalize_domain(domain: &str) -> String {
    let d = domain.trim();
    let d = d
        .strip_prefix("http://")
        .or_else(|| d.strip_prefix("https://"))
        .unwrap_or(d);
    let d = d.split(['/', '?', '#']).next().unwrap_or(d);
    d.trim_end_matches('.').to_lowercase()
}

/// What `isp_querybeianstatus` answers for a domain.
pub async fn status_by_domain(
    conn: &mut SqliteConnection,
    domain: &str,
) -> Result<FilingStatus, Error> {
    let Some(website) = filed_website_by_domain(conn, domain).await? else {
        return Ok(FilingStatus::NotFiled);
    };
    let sponsor = sponsor_by_id(conn, website.sponsor_id).await?;
    Ok(FilingStatus::Website {
        website_name: website.name,
        sponsor_number: sponsor.number,
        website_number: website.number,
    })
}

/// What `isp_querybeianstatus` answers for a certificate number.
pub async fn status_by_certificate(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    certificate_number: &str,
) -> Result<FilingStatus, Error> {
    Ok(
        match filed_sponsor_by_certificate(conn, crypto, certificate_number).await? {
            Some(s) => FilingStatus::Sponsor {
                sponsor_number: s.number,
            },
            None => FilingStatus::NotFiled,
        },
    )
}

/// A filed sponsor's identity as filed: name, nature and certificate type (API names). For
/// the status query's `<Ztsf>` extension.
pub async fn filed_sponsor_identity(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    certificate_number: &str,
) -> Result<Option<(String, String, String)>, Error> {
    let row = sqlx::query(
        "SELECT name, nature, certificate_type FROM sponsors \
         WHERE certificate_index = ? AND status = 'filed' LIMIT 1",
    )
    .bind(crypto.blind(Field::Certificate, certificate_number))
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("name")?,
            r.try_get("nature")?,
            r.try_get("certificate_type")?,
        ))
    })
    .transpose()
}

/// The filing of a sponsor number (or a website number of it) as the registry holds it:
/// the sponsor with its address and responsible person, and its filed websites with theirs.
/// For the `<Baxx>` extension of the password check.
pub async fn filing_record(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    number: &str,
) -> Result<Option<beian_miit::v3::returns::FilingRecord>, Error> {
    use beian_miit::v3::returns::{FiledPerson, FiledSponsor, FiledWebsite, FilingRecord};
    let Some(sponsor) = sponsor_by_number(conn, number).await? else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT address, responsible_email FROM sponsors WHERE id = ?")
        .bind(sponsor.id)
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(
        "SELECT name, domain, home_url, service_content, responsible_name, \
         responsible_certificate_type, responsible_certificate_number, responsible_mobile \
         FROM websites WHERE sponsor_id = ? AND status = 'filed' ORDER BY id",
    )
    .bind(sponsor.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut websites = Vec::new();
    for w in &rows {
        websites.push(FiledWebsite {
            name: w.try_get("name")?,
            domain: w.try_get("domain")?,
            home_url: w.try_get("home_url")?,
            service_content: w.try_get("service_content")?,
            responsible: FiledPerson {
                name: w.try_get("responsible_name")?,
                certificate_type: w.try_get("responsible_certificate_type")?,
                certificate_number: crypto.open_opt(
                    Field::Certificate,
                    &w.try_get::<String, _>("responsible_certificate_number")?,
                )?,
                mobile: crypto.open_opt(
                    Field::Mobile,
                    &w.try_get::<String, _>("responsible_mobile")?,
                )?,
                email: String::new(),
            },
        });
    }
    Ok(Some(FilingRecord {
        sponsor: FiledSponsor {
            name: sponsor.name,
            address: row.try_get("address")?,
            responsible: FiledPerson {
                name: sponsor.responsible_name,
                certificate_type: String::new(),
                certificate_number: String::new(),
                mobile: crypto.open_opt(Field::Mobile, &sponsor.sealed_mobile)?,
                email: row.try_get("responsible_email")?,
            },
        },
        websites,
    }))
}

/// Issues the next sponsor number of the bureau for `at`'s year: `浙ICP备2026000123号`.
pub async fn issue_sponsor_number(
    conn: &mut SqliteConnection,
    province: Province,
    at: DateTime<Utc>,
) -> Result<String, Error> {
    let abbreviation = province.abbreviation().to_string();
    let year = at.with_timezone(&chrono_tz::Asia::Shanghai).year();
    let serial: i64 = sqlx::query_scalar(
        "INSERT INTO number_counters (abbreviation, year, last_serial) VALUES (?, ?, 1) \
         ON CONFLICT (abbreviation, year) DO UPDATE SET last_serial = last_serial + 1 \
         RETURNING last_serial",
    )
    .bind(&abbreviation)
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    Ok(sponsor_number(province, year, serial))
}

/// Formats a sponsor number from its parts.
pub fn sponsor_number(province: Province, year: i32, serial: i64) -> String {
    format!("{}ICP备{year}{serial:06}号", province.abbreviation())
}

/// Inserts a filed sponsor with a new filing password; returns its id and the password.
pub async fn insert_sponsor(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    sponsor: &SponsorData,
    number: &str,
    at: DateTime<Utc>,
    rng: &mut impl Rng,
) -> Result<(i64, String), Error> {
    let password = password::generate(rng);
    let salt = password::salt(rng);
    let hash = password::hash(&salt, &password);
    let now = ts(at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sponsors (province, nature, certificate_type, certificate_number, \
         certificate_index, name, address, responsible_name, responsible_mobile, \
         responsible_email, number, password_salt, password_hash, filed_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(sponsor.province.code())
    .bind(&sponsor.nature)
    .bind(&sponsor.certificate_type)
    .bind(crypto.seal(
        Field::Certificate,
        &sponsor.certificate_number.trim().to_uppercase(),
    ))
    .bind(crypto.blind(Field::Certificate, &sponsor.certificate_number))
    .bind(&sponsor.name)
    .bind(&sponsor.address)
    .bind(&sponsor.responsible.name)
    .bind(crypto.seal(Field::Mobile, &sponsor.responsible.mobile))
    .bind(&sponsor.responsible.email)
    .bind(number)
    .bind(&salt[..])
    .bind(&hash[..])
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    index_sponsor_name(conn, id, &sponsor.name).await?;
    Ok((id, password))
}

/// A name as `sponsor_bigrams` indexes it: its overlapping two-character pieces, spaced
/// (`华信科技` → `华信 信科 科技`); whitespace is dropped first, and a one-character name is
/// its own piece.
pub fn spaced_bigrams(name: &str) -> String {
    let chars: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 2 {
        return chars.iter().collect();
    }
    let mut out = String::with_capacity(name.len() * 3);
    for pair in chars.windows(2) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(pair);
    }
    out
}

/// (Re)indexes a sponsor's name for substring queries of two characters.
pub async fn index_sponsor_name(
    conn: &mut SqliteConnection,
    sponsor_id: i64,
    name: &str,
) -> Result<(), Error> {
    sqlx::query("DELETE FROM sponsor_bigrams WHERE rowid = ?")
        .bind(sponsor_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO sponsor_bigrams (rowid, grams) VALUES (?, ?)")
        .bind(sponsor_id)
        .bind(spaced_bigrams(name))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts a filed website with the sponsor's next `-N` number; returns its id and number.
pub async fn insert_website(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    sponsor_id: i64,
    website: &WebsiteData,
    at: DateTime<Utc>,
) -> Result<(i64, String), Error> {
    let (sponsor_number, serial) = next_suffix(conn, sponsor_id).await?;
    let number = format!("{sponsor_number}-{serial}");
    let now = ts(at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO websites (sponsor_id, name, domain, home_url, service_content, \
         responsible_name, responsible_certificate_type, responsible_certificate_number, \
         responsible_mobile, number, filed_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(sponsor_id)
    .bind(&website.name)
    .bind(normalize_domain(&website.domain))
    .bind(&website.home_url)
    .bind(&website.service_content)
    .bind(&website.responsible.name)
    .bind(&website.responsible.certificate_type)
    .bind(crypto.seal_opt(Field::Certificate, &website.responsible.certificate_number))
    .bind(crypto.seal_opt(Field::Mobile, &website.responsible.mobile))
    .bind(&number)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, number))
}

/// Draws the sponsor's next suffix number: websites (`-N`) and APPs (`-NA`) share one
/// sequence per sponsor; returns the sponsor number and the serial.
async fn next_suffix(conn: &mut SqliteConnection, sponsor_id: i64) -> Result<(String, i64), Error> {
    Ok(sqlx::query_as(
        "UPDATE sponsors SET next_website_serial = next_website_serial + 1 WHERE id = ? \
         RETURNING number, next_website_serial - 1",
    )
    .bind(sponsor_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Inserts a filed APP with the sponsor's next `-NA` number (the websites' sequence) and
/// claims its package names; returns its id and number.
pub async fn insert_app(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    sponsor_id: i64,
    app: &AppData,
    at: DateTime<Utc>,
) -> Result<(i64, String), Error> {
    let (sponsor_number, serial) = next_suffix(conn, sponsor_id).await?;
    let number = format!("{sponsor_number}-{serial}A");
    let now = ts(at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO apps (sponsor_id, name, service_content, platforms, responsible_name, \
         responsible_certificate_type, responsible_certificate_number, responsible_mobile, \
         number, filed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(sponsor_id)
    .bind(&app.name)
    .bind(&app.service_content)
    .bind(serde_json::to_string(&app.platforms)?)
    .bind(&app.responsible.name)
    .bind(&app.responsible.certificate_type)
    .bind(crypto.seal_opt(Field::Certificate, &app.responsible.certificate_number))
    .bind(crypto.seal_opt(Field::Mobile, &app.responsible.mobile))
    .bind(&number)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    for p in &app.platforms {
        sqlx::query("INSERT INTO app_packages (app_id, platform, package) VALUES (?, ?, ?)")
            .bind(id)
            .bind(&p.platform)
            .bind(&p.package)
            .execute(&mut *conn)
            .await?;
    }
    Ok((id, number))
}

/// Whether a filed APP holds `package` on `platform`.
pub async fn app_package_filed(
    conn: &mut SqliteConnection,
    platform: &str,
    package: &str,
) -> Result<bool, Error> {
    let found = sqlx::query(
        "SELECT 1 FROM app_packages p JOIN apps a ON a.id = p.app_id \
         WHERE p.platform = ? AND p.package = ? AND a.status = 'filed'",
    )
    .bind(platform)
    .bind(package)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Records that `provider_id` provides access for `app_id`.
pub async fn insert_app_access(
    conn: &mut SqliteConnection,
    app_id: i64,
    provider_id: i64,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO app_accesses (app_id, provider_id, created_at) VALUES (?, ?, ?)")
        .bind(app_id)
        .bind(provider_id)
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A filed APP as the public query shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FiledApp {
    pub name: String,
    pub number: String,
    pub sponsor_number: String,
    pub sponsor_name: String,
}

/// Filed APPs whose name contains `name`, or whose number (or sponsor number) is `name`; at
/// most `limit`.
pub async fn find_apps(
    conn: &mut SqliteConnection,
    name_or_number: &str,
    limit: i64,
) -> Result<Vec<FiledApp>, Error> {
    let q = name_or_number.trim();
    let like = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = sqlx::query(
        "SELECT a.name, a.number, s.number AS sponsor_number, s.name AS sponsor_name \
         FROM apps a JOIN sponsors s ON s.id = a.sponsor_id \
         WHERE a.status = 'filed' AND (a.number = ?1 OR s.number = ?1 OR a.name LIKE ?2 ESCAPE '\\') \
         ORDER BY a.id LIMIT ?3",
    )
    .bind(q)
    .bind(like)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| FiledApp {
            name: r.get("name"),
            number: r.get("number"),
            sponsor_number: r.get("sponsor_number"),
            sponsor_name: r.get("sponsor_name"),
        })
        .collect())
}

/// Records that `provider_id` hosts `website_id`.
pub async fn insert_access(
    conn: &mut SqliteConnection,
    website_id: i64,
    provider_id: i64,
    access: &crate::model::AccessData,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO accesses (website_id, provider_id, ips, method, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(website_id)
    .bind(provider_id)
    .bind(serde_json::to_string(&access.ips)?)
    .bind(&access.method)
    .bind(ts(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether a sponsor's certificate number, or a domain, is blacklisted.
pub async fn is_blacklisted(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    kind: &str,
    value: &str,
) -> Result<bool, Error> {
    is_blacklisted_value(conn, kind, &blacklist_value(crypto, kind, value)).await
}

/// What the blacklist keeps for a value: a sponsor's certificate number as its blind index,
/// a domain as it is (normalised).
pub fn blacklist_value(crypto: &RegistryCrypto, kind: &str, value: &str) -> String {
    if kind == "sponsor" {
        crypto.blind(Field::Certificate, value)
    } else {
        normalize_domain(value)
    }
}

/// Whether the blacklist holds `value` as stored (see [`blacklist_value`]).
pub async fn is_blacklisted_value(
    conn: &mut SqliteConnection,
    kind: &str,
    value: &str,
) -> Result<bool, Error> {
    let found = sqlx::query("SELECT 1 FROM blacklist WHERE kind = ? AND value = ?")
        .bind(kind)
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Appends to the history.
pub async fn record(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    event: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO history (at, event, subject, detail) VALUES (?, ?, ?, ?)")
        .bind(ts(at))
        .bind(event)
        .bind(subject)
        .bind(detail.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Texts a phone (the simulated SMS gateway of the ministry); the inbox keeps the mobile
/// sealed, found by its blind index, and the text sealed (it carries codes, passwords and
/// names).
pub async fn text_phone(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    mobile: &str,
    text: &str,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO phone_inbox (mobile, mobile_index, text, sent_at) VALUES (?, ?, ?, ?)",
    )
    .bind(crypto.seal(Field::Mobile, mobile.trim()))
    .bind(crypto.blind(Field::Mobile, mobile))
    .bind(crypto.seal(Field::Text, text))
    .bind(ts(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised() {
        for (input, want) in [
            ("Example.COM", "example.com"),
            ("https://www.a.cn/x?y", "www.a.cn"),
            ("a.com.", "a.com"),
        ] {
            assert_eq!(normalize_domain(input), want);
        }
    }

    #[test]
    fn names_are_spaced_one_character_per_token() {
        assert_eq!(spaced_bigrams("华信 ABC"), "华信 信A AB BC");
        assert_eq!(spaced_bigrams("华"), "华");
        assert_eq!(spaced_bigrams(""), "");
    }

    #[test]
    fn sponsor_numbers_are_year_and_six_digits() {
        assert_eq!(
            sponsor_number(Province::ZHEJIANG, 2026, 123),
            "浙ICP备2026000123号"
        );
    }
}
