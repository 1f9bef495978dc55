//! 取消接入 confirmation codes: a one-time code texted to a website's (or an APP's)
//! responsible person. A website's are in `cancel_access_codes`, an APP's (issue 18) in
//! `app_cancel_access_codes` with the same columns (its `access_id` an APP access):
//! [`CodeScope`] says which. Only a keyed hash of the code is stored (HMAC under the data key, bound to the code's id),
//! so a database dump does not reveal it and six digits cannot be tried offline. A code is
//! single use, expires, allows a fixed number of wrong tries, and a newer code for the same
//! website (or APP) retires the older ones.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::AuditEntry;
use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// Whose 取消接入 a code confirms: a website's or an APP's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeScope {
    Website,
    App,
}

impl CodeScope {
    fn table(self) -> &'static str {
        match self {
            CodeScope::Website => "cancel_access_codes",
            CodeScope::App => "app_cancel_access_codes",
        }
    }

    /// The column naming the website or the APP.
    fn subject(self) -> &'static str {
        match self {
            CodeScope::Website => "website_id",
            CodeScope::App => "app_id",
        }
    }

    /// The audit record's subject prefix.
    fn prefix(self) -> &'static str {
        match self {
            CodeScope::Website => "website",
            CodeScope::App => "app",
        }
    }
}

/// A code to store. `code` is the plaintext, hashed here and never written.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCancelCode<'a> {
    pub scope: CodeScope,
    /// The website's id, or the APP's.
    pub subject_id: &'a str,
    /// The access (a website's, or an APP's) it cancels.
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
            .field("scope", &self.scope)
            .field("subject_id", &self.subject_id)
            .field("access_id", &self.access_id)
            .field("code", &"******")
            .finish_non_exhaustive()
    }
}

/// A stored code (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelCode {
    pub id: String,
    /// The website's id, or the APP's.
    pub subject_id: String,
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

/// `SELECT <every column but the hash> FROM <the scope's table> <rest>`.
fn select(scope: CodeScope, rest: &str) -> sqlx::AssertSqlSafe<String> {
    sql!(
        "SELECT id, {} AS subject_id, access_id, account_id, attempts_left, created_at, \
         expires_at, used_at, retired_at FROM {} {rest}",
        scope.subject(),
        scope.table()
    )
}

fn code_of(r: &AnyRow) -> Result<CancelCode> {
    Ok(CancelCode {
        id: r.try_get("id")?,
        subject_id: r.try_get("subject_id")?,
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
        let (table, subject) = (c.scope.table(), c.scope.subject());
        sqlx::query(sql!(
            "UPDATE {table} SET retired_at = $1 WHERE {subject} = $2 \
             AND used_at IS NULL AND retired_at IS NULL"
        ))
        .bind(now)
        .bind(c.subject_id)
        .execute(self.conn())
        .await?;
        sqlx::query(sql!(
            "INSERT INTO {table} (id, {subject}, access_id, account_id, code_hash, \
             attempts_left, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&id)
        .bind(c.subject_id)
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
                format!("{}:{}", c.scope.prefix(), c.subject_id),
            )
            .after(json!({"code": id, "access": c.access_id, "expires_at": c.expires_at})),
        );
        Ok(id)
    }

    /// Counts one wrong try; returns the tries left. `InvalidState` if the code was not live.
    pub async fn fail_cancel_code(
        &mut self,
        actor: &str,
        scope: CodeScope,
        id: &str,
    ) -> Result<i64> {
        let table = scope.table();
        let res = sqlx::query(sql!(
            "UPDATE {table} SET attempts_left = attempts_left - 1 WHERE id = $1 \
             AND attempts_left > 0 AND used_at IS NULL AND retired_at IS NULL"
        ))
        .bind(id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::InvalidState {
                what: "cancel access code",
                expected: "live",
            });
        }
        let left: i64 = sqlx::query(sql!("SELECT attempts_left FROM {table} WHERE id = $1"))
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
    pub async fn use_cancel_code(&mut self, actor: &str, scope: CodeScope, id: &str) -> Result<()> {
        let now = self.store.now_ms();
        let table = scope.table();
        let res = sqlx::query(sql!(
            "UPDATE {table} SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
             AND retired_at IS NULL AND attempts_left > 0"
        ))
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
    /// The website's (or APP's) newest code that is not retired, if any.
    pub async fn latest_cancel_code(
        &self,
        scope: CodeScope,
        subject_id: &str,
    ) -> Result<Option<CancelCode>> {
        sqlx::query(select(
            scope,
            &format!(
                "WHERE {} = $1 AND retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
                scope.subject()
            ),
        ))
        .bind(subject_id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(code_of)
        .transpose()
    }

    /// The codes made for the website (or APP) at or after `since_ms`, oldest first (for the
    /// re-send limits).
    pub async fn cancel_codes_since(
        &self,
        scope: CodeScope,
        subject_id: &str,
        since_ms: i64,
    ) -> Result<Vec<CancelCode>> {
        sqlx::query(select(
            scope,
            &format!(
                "WHERE {} = $1 AND created_at >= $2 ORDER BY created_at, id",
                scope.subject()
            ),
        ))
        .bind(subject_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(code_of)
        .collect()
    }

    /// Whether `code` is the one stored under `id` (compares keyed hashes).
    pub async fn cancel_code_matches(
        &self,
        scope: CodeScope,
        id: &str,
        code: &str,
    ) -> Result<bool> {
        let stored: Vec<u8> = sqlx::query(sql!(
            "SELECT code_hash FROM {} WHERE id = $1",
            scope.table()
        ))
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
