//! 取消接入 confirmation codes: a one-time code texted to a website's responsible person.
//! Only a keyed hash of the code is stored (HMAC under the data key, bound to the code's id),
//! so a database dump does not reveal it and six digits cannot be tried offline. A code is
//! single use, expires, allows a fixed number of wrong tries, and a newer code for the same
//! website retires the older ones.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::AuditEntry;
use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// A code to store. `code` is the plaintext, hashed here and never written.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCancelCode<'a> {
    pub website_id: &'a str,
    pub access_id: &'a str,
    pub account_id: &'a str,
    pub code: &'a str,
    pub attempts: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for NewCancelCode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCancelCode")
            .field("website_id", &self.website_id)
            .field("access_id", &self.access_id)
            .field("code", &"******")
            .finish_non_exhaustive()
    }
}

/// A stored code (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelCode {
    pub id: String,
    pub website_id: String,
    pub access_id: String,
    pub account_id: String,
    pub attempts_left: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub retired_at: Option<i64>,
}

impl CancelCode {
    /// Not used, not retired and with tries left (it may still have expired).
    pub fn is_live(&self) -> bool {
        self.used_at.is_none() && self.retired_at.is_none() && self.attempts_left > 0
    }
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, website_id, access_id, account_id, attempts_left, created_at, ",
            "expires_at, used_at, retired_at FROM cancel_access_codes ",
            $rest
        )
    };
}

fn code_of(r: &AnyRow) -> Result<CancelCode> {
    Ok(CancelCode {
        id: r.try_get("id")?,
        website_id: r.try_get("website_id")?,
        access_id: r.try_get("access_id")?,
        account_id: r.try_get("account_id")?,
        attempts_left: r.try_get("attempts_left")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        retired_at: r.try_get("retired_at")?,
    })
}

fn hash_input(id: &str, code: &str) -> String {
    format!("{id}:{}", code.trim())
}

/// Equality in time independent of where the first difference is.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Tx {
    /// Stores a new code for the website and retires its earlier live codes, with an audit
    /// record (which names neither the code nor the mobile).
    pub async fn insert_cancel_code(
        &mut self,
        actor: &str,
        c: &NewCancelCode<'_>,
    ) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        let hash = self
            .store
            .crypto()
            .blind_index(Field::OneTimeCode, &hash_input(&id, c.code));
        sqlx::query(
            "UPDATE cancel_access_codes SET retired_at = $1 WHERE website_id = $2 \
             AND used_at IS NULL AND retired_at IS NULL",
        )
        .bind(now)
        .bind(c.website_id)
        .execute(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO cancel_access_codes (id, website_id, access_id, account_id, code_hash, \
             attempts_left, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(c.website_id)
        .bind(c.access_id)
        .bind(c.account_id)
        .bind(hash)
        .bind(c.attempts)
        .bind(now)
        .bind(c.expires_at)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(
                actor,
                "cancel_access.code_sent",
                format!("website:{}", c.website_id),
            )
            .after(json!({"code": id, "access": c.access_id, "expires_at": c.expires_at})),
        );
        Ok(id)
    }

    /// Counts one wrong try; returns the tries left. `InvalidState` if the code was not live.
    pub async fn fail_cancel_code(&mut self, actor: &str, id: &str) -> Result<i64> {
        let res = sqlx::query(
            "UPDATE cancel_access_codes SET attempts_left = attempts_left - 1 WHERE id = $1 \
             AND attempts_left > 0 AND used_at IS NULL AND retired_at IS NULL",
        )
        .bind(id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::InvalidState {
                what: "cancel access code",
                expected: "live",
            });
        }
        let left: i64 = sqlx::query("SELECT attempts_left FROM cancel_access_codes WHERE id = $1")
            .bind(id)
            .fetch_one(self.conn())
            .await?
            .try_get("attempts_left")?;
        self.append_audit(
            AuditEntry::new(
                actor,
                "cancel_access.code_wrong",
                format!("cancel_code:{id}"),
            )
            .after(json!({"attempts_left": left})),
        );
        Ok(left)
    }

    /// Uses the code up (single use). `InvalidState` if it was used, retired or out of tries
    /// meanwhile.
    pub async fn use_cancel_code(&mut self, actor: &str, id: &str) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE cancel_access_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
             AND retired_at IS NULL AND attempts_left > 0",
        )
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::InvalidState {
                what: "cancel access code",
                expected: "live",
            });
        }
        self.append_audit(AuditEntry::new(
            actor,
            "cancel_access.code_used",
            format!("cancel_code:{id}"),
        ));
        Ok(())
    }
}

impl Store {
    /// The website's newest code that is not retired, if any.
    pub async fn latest_cancel_code(&self, website_id: &str) -> Result<Option<CancelCode>> {
        sqlx::query(select!(
            "WHERE website_id = $1 AND retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(website_id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(code_of)
        .transpose()
    }

    /// The codes made for the website at or after `since_ms`, oldest first (for the re-send
    /// limits).
    pub async fn cancel_codes_since(
        &self,
        website_id: &str,
        since_ms: i64,
    ) -> Result<Vec<CancelCode>> {
        sqlx::query(select!(
            "WHERE website_id = $1 AND created_at >= $2 ORDER BY created_at, id"
        ))
        .bind(website_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(code_of)
        .collect()
    }

    /// Whether `code` is the one stored under `id` (compares keyed hashes).
    pub async fn cancel_code_matches(&self, id: &str, code: &str) -> Result<bool> {
        let stored: Vec<u8> =
            sqlx::query("SELECT code_hash FROM cancel_access_codes WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound {
                    what: "cancel access code",
                })?
                .try_get("code_hash")?;
        let given = self
            .crypto()
            .blind_index(Field::OneTimeCode, &hash_input(id, code));
        Ok(same_bytes(&stored, &given))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_compares_whole_values() {
        let cases: [(&[u8], &[u8], bool); 4] = [
            (b"abc", b"abc", true),
            (b"abc", b"abd", false),
            (b"abc", b"ab", false),
            (b"", b"", true),
        ];
        for (a, b, want) in cases {
            assert_eq!(same_bytes(a, b), want, "{a:?} {b:?}");
        }
    }
}
