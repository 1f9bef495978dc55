//! Filing passwords (备案密码): issued at a first filing, stored as a salted HMAC-SHA-256, and
//! checked by `isp_verifybamm` with a daily lockout.
//!
//! What is stored is HMAC(salt, `ICPmm`), where `ICPmm` is the lowercase hex MD5 of the
//! GBK-encoded password ([`beian_miit::v3::auth::icp_password_hash`]): uploads (新增接入,
//! 无主体新增网站, 取消接入) carry only that MD5 form (§4-1-1-3), while `isp_verifybamm` and
//! people carry the plain password, which is hashed to the same form before the HMAC. So both
//! are checked against one stored value.
//!
//! Why not argon2: the passwords are issued by the registry itself (8 random characters from a
//! 56-letter alphabet, about 46 bits), not chosen by people, so a slow hash buys little, while
//! seeding a registry of a million sponsors must hash a million passwords in seconds. A random
//! 16-byte salt per sponsor keeps equal passwords apart.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use sqlx::SqliteConnection;

use crate::Error;

/// `ICPmm` of a plain filing password: the lowercase hex MD5 of its GBK encoding.
pub fn icp_mm(password: &str) -> String {
    beian_miit::v3::auth::icp_password_hash(password)
        .expose()
        .to_owned()
}

/// An `ICPmm` as received, normalised (trimmed, hex in lower case).
fn normalise_icp_mm(icp_mm: &str) -> String {
    icp_mm.trim().to_ascii_lowercase()
}

/// Letters and digits without the look-alikes 0 O 1 l I.
const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// A new filing password.
pub fn generate(rng: &mut impl Rng) -> String {
    (0..8)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// A new random salt.
pub fn salt(rng: &mut impl Rng) -> [u8; 16] {
    rng.random()
}

/// What is stored for a plain password: HMAC-SHA-256 of its `ICPmm`, keyed by the salt.
pub fn hash(salt: &[u8], password: &str) -> [u8; 32] {
    hmac_of(salt, &icp_mm(password))
}

fn hmac_of(salt: &[u8], icp_mm: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; were it to, a plain salted digest
    // (which `matches` then never accepts) is stored rather than a panic.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(salt) else {
        use sha2::Digest;
        return Sha256::digest([salt, icp_mm.as_bytes()].concat()).into();
    };
    mac.update(icp_mm.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Whether the plain `password` matches the stored salt and hash (constant time).
pub fn matches(salt: &[u8], stored: &[u8], password: &str) -> bool {
    matches_icp_mm(salt, stored, &icp_mm(password))
}

/// Whether an `ICPmm` (hex MD5 of the password, either case) matches the stored salt and hash
/// (constant time).
pub fn matches_icp_mm(salt: &[u8], stored: &[u8], icp_mm: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(salt) else {
        return false;
    };
    mac.update(normalise_icp_mm(icp_mm).as_bytes());
    mac.verify_slice(stored).is_ok()
}

/// The answer to a password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password is right.
    Correct,
    /// Wrong; `remaining` more wrong tries are allowed today.
    Wrong { remaining: u32 },
    /// Too many wrong tries today: locked until `until` (the next Asia/Shanghai midnight).
    Locked { until: DateTime<Utc> },
    /// No sponsor or website has this number.
    UnknownNumber,
}

/// The Asia/Shanghai day of an instant, and the instant the next day starts.
pub fn shanghai_day(at: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>) {
    let day = at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let next = day + Duration::days(1);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    let until = chrono_tz::Asia::Shanghai
        .from_local_datetime(&midnight)
        .single()
        .map_or(at + Duration::days(1), |t| t.with_timezone(&Utc));
    (day, until)
}

/// Checks a sponsor's plain password (`isp_verifybamm` sends it plain), counting wrong tries per Shanghai day; after `max_failures`
/// wrong tries the sponsor is locked until the next day (even for the right password).
pub async fn verify(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    sponsor_id: i64,
    password: &str,
    max_failures: u32,
) -> Result<PasswordCheck, Error> {
    let (day, until) = shanghai_day(at);
    let day = day.to_string();
    let failures: i64 = sqlx::query_scalar(
        "SELECT failures FROM password_failures WHERE sponsor_id = ? AND day = ?",
    )
    .bind(sponsor_id)
    .bind(&day)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(0);
    if failures >= i64::from(max_failures) {
        return Ok(PasswordCheck::Locked { until });
    }
    let (salt, stored) = stored(conn, sponsor_id).await?;
    if matches(&salt, &stored, password) {
        return Ok(PasswordCheck::Correct);
    }
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO password_failures (sponsor_id, day, failures) VALUES (?, ?, 1) \
         ON CONFLICT (sponsor_id, day) DO UPDATE SET failures = failures + 1 RETURNING failures",
    )
    .bind(sponsor_id)
    .bind(&day)
    .fetch_one(&mut *conn)
    .await?;
    let remaining = i64::from(max_failures).saturating_sub(failures).max(0);
    Ok(PasswordCheck::Wrong {
        remaining: u32::try_from(remaining).unwrap_or(0),
    })
}

/// Whether an uploaded `ICPmm` matches the sponsor's password, without counting anything (the
/// bureau's own check of an uploaded filing).
pub async fn check_icp_mm(
    conn: &mut SqliteConnection,
    sponsor_id: i64,
    icp_mm: &str,
) -> Result<bool, Error> {
    let (salt, stored) = stored(conn, sponsor_id).await?;
    Ok(matches_icp_mm(&salt, &stored, icp_mm))
}

/// A sponsor's salt and stored hash.
async fn stored(conn: &mut SqliteConnection, sponsor_id: i64) -> Result<(Vec<u8>, Vec<u8>), Error> {
    Ok(
        sqlx::query_as("SELECT password_salt, password_hash FROM sponsors WHERE id = ?")
            .bind(sponsor_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Replaces a sponsor's password; returns the new one.
pub async fn reset(
    conn: &mut SqliteConnection,
    sponsor_id: i64,
    rng: &mut impl Rng,
) -> Result<String, Error> {
    let password = generate(rng);
    let salt = salt(rng);
    sqlx::query("UPDATE sponsors SET password_salt = ?, password_hash = ? WHERE id = ?")
        .bind(&salt[..])
        .bind(&hash(&salt, &password)[..])
        .bind(sponsor_id)
        .execute(&mut *conn)
        .await?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_only_the_same_password_and_salt() {
        let mut rng = rand::rng();
        let password = generate(&mut rng);
        assert_eq!(password.chars().count(), 8);
        let salt_a = salt(&mut rng);
        let salt_b = salt(&mut rng);
        let stored = hash(&salt_a, &password);
        assert!(matches(&salt_a, &stored, &password));
        assert!(!matches(&salt_a, &stored, "wrong"));
        assert!(!matches(&salt_b, &stored, &password));
        assert_ne!(hash(&salt_a, &password), hash(&salt_b, &password));
    }

    #[test]
    fn the_plain_password_and_its_icp_mm_match_one_stored_hash() {
        let salt = [7u8; 16];
        let stored = hash(&salt, "Fx7pQ2mK");
        let right = icp_mm("Fx7pQ2mK");
        // (ICPmm as sent, whether it matches)
        let cases = [
            (right.clone(), true),
            (right.to_ascii_uppercase(), true),
            (format!(" {right}\n"), true),
            (icp_mm("fx7pQ2mK"), false),
            ("Fx7pQ2mK".to_owned(), false),
            (String::new(), false),
        ];
        for (sent, want) in cases {
            assert_eq!(matches_icp_mm(&salt, &stored, &sent), want, "{sent:?}");
        }
        assert_eq!(right.len(), 32);
        assert!(matches(&salt, &stored, "Fx7pQ2mK"));
        // The plain path does not take the MD5 form for the password itself.
        assert!(!matches(&salt, &stored, &right));
        // GBK: a Chinese password hashes its GBK bytes, as miit's ICPmm does.
        let stored = hash(&salt, "备案2024");
        assert!(matches_icp_mm(
            &salt,
            &stored,
            beian_miit::v3::auth::icp_password_hash("备案2024").expose()
        ));
    }

    #[test]
    fn the_day_turns_at_shanghai_midnight() {
        // 2026-03-02 15:59 UTC is 23:59 in Shanghai; 16:00 UTC is the next day.
        let before = Utc.with_ymd_and_hms(2026, 3, 2, 15, 59, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 2, 16, 0, 0).unwrap();
        let (d1, until) = shanghai_day(before);
        let (d2, _) = shanghai_day(after);
        assert_eq!(d1.to_string(), "2026-03-02");
        assert_eq!(d2.to_string(), "2026-03-03");
        assert_eq!(until, after);
    }
}
