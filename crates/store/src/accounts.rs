//! Accounts with roles, login sessions and API keys. The store keeps only hashes of session
//! ids and API keys (the server hashes them) and the account's mobile sealed.

use serde_json::json;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Applicant,
    Reviewer,
    Admin,
    /// A bureau officer at the regulator simulator's console.
    BureauOfficer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
            Role::BureauOfficer => "bureau_officer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::Applicant,
            Role::Reviewer,
            Role::Admin,
            Role::BureauOfficer,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A new account; `password_hash` is made by the caller (e.g. argon2).
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub email: &'a str,
    pub mobile: Option<&'a str>,
    pub role: Role,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub email: String,
    pub mobile: Option<String>,
    pub role: Role,
    pub disabled: bool,
    /// The password was set for the account (a one-time password): it must be changed
    /// before anything else (`crate::credentials`).
    pub must_change_password: bool,
    pub created_at: i64,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("mobile", &self.mobile.as_deref().map(crate::crypto::mask))
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

const ACCOUNT_COLS: &str = "id, username, password_hash, email, mobile_ct, role, disabled, \
     must_change_password, created_at";

fn account_from_row(store: &Store, row: &sqlx::any::AnyRow) -> Result<Account> {
    let mobile_ct: Option<Vec<u8>> = row.try_get("mobile_ct")?;
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        email: row.try_get("email")?,
        mobile: mobile_ct
            .map(|ct| store.crypto().open_str(Field::Mobile, &ct))
            .transpose()?,
        role: Role::parse(&role).ok_or(StoreError::Corrupt("accounts.role"))?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

impl Tx {
    /// Creates an account; `Unique { constraint: "accounts_username_key" }` if taken.
    pub async fn insert_account(&mut self, actor: &str, a: &NewAccount<'_>) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        let crypto = self.store.crypto().clone();
        sqlx::query(
            "INSERT INTO accounts (id, username, password_hash, email, mobile_ct, mobile_bidx, \
             role, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)",
        )
        .bind(&id)
        .bind(a.username)
        .bind(a.password_hash)
        .bind(a.email)
        .bind(a.mobile.map(|m| crypto.seal_str(Field::Mobile, m)))
        .bind(a.mobile.map(|m| crypto.blind_index(Field::Mobile, m)))
        .bind(a.role.as_str())
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "account.create", format!("account:{id}"))
                .after(json!({"username": a.username, "role": a.role.as_str()})),
        );
        Ok(id)
    }

    /// Changes an account's role.
    pub async fn set_account_role(&mut self, actor: &str, id: &str, role: Role) -> Result<()> {
        let before: String = sqlx::query("SELECT role FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound { what: "account" })?
            .try_get("role")?;
        sqlx::query("UPDATE accounts SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(id)
            .execute(self.conn())
            .await?;
        self.append_audit(
            AuditEntry::new(actor, "account.role", format!("account:{id}"))
                .before(json!({"role": before}))
                .after(json!({"role": role.as_str()})),
        );
        Ok(())
    }

    /// Stores a session by the hash of its id.
    pub async fn insert_session(
        &mut self,
        id_hash: &[u8],
        account_id: &str,
        expires_at: i64,
    ) -> Result<()> {
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO sessions (id_hash, account_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash.to_vec())
        .bind(account_id)
        .bind(now)
        .bind(expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, id_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_vec())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Stores an API key by its hash; returns the key's id.
    pub async fn insert_api_key(
        &mut self,
        actor: &str,
        account_id: &str,
        key_hash: &[u8],
        name: &str,
    ) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO api_keys (id, account_id, key_hash, name, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(key_hash.to_vec())
        .bind(name)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "api_key.create", format!("api_key:{id}"))
                .after(json!({"account": account_id, "name": name})),
        );
        Ok(id)
    }

    /// Sets when the key `id` stops working (Unix milliseconds).
    pub async fn set_api_key_expiry(&mut self, id: &str, expires_at: i64) -> Result<()> {
        sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2")
            .bind(expires_at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn revoke_api_key(&mut self, actor: &str, id: &str) -> Result<()> {
        let now = self.store.now_ms();
        let res =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(self.conn())
                .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "api key" });
        }
        self.append_audit(AuditEntry::new(
            actor,
            "api_key.revoke",
            format!("api_key:{id}"),
        ));
        Ok(())
    }
}

/// An API key as its owner sees it (never the key itself: only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// When it stops working, if it does (Unix milliseconds).
    pub expires_at: Option<i64>,
    /// When it was last used, to the minute (Unix milliseconds).
    pub last_used_at: Option<i64>,
}

impl Store {
    /// The account's API keys, newest first, revoked ones included.
    pub async fn api_keys_of_account(&self, account_id: &str) -> Result<Vec<ApiKeyInfo>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, revoked_at, expires_at, last_used_at FROM api_keys \
             WHERE account_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                    expires_at: r.try_get("expires_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Deletes sessions that expired before `now_ms`; returns how many.
    pub async fn purge_expired_sessions(&self, now_ms: i64) -> Result<u64> {
        let res = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected())
    }

    pub async fn account(&self, id: &str) -> Result<Account> {
        let row = sqlx::query(sql!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "account" })?;
        account_from_row(self, &row)
    }

    pub async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        let row = sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| account_from_row(self, &r)).transpose()
    }

    /// The enabled accounts of a role, oldest first (e.g. the admins an alert is mailed to).
    pub async fn accounts_with_role(&self, role: Role) -> Result<Vec<Account>> {
        let rows = sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE role = $1 AND disabled = 0 \
             ORDER BY created_at"
        ))
        .bind(role.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| account_from_row(self, r)).collect()
    }

    /// Accounts registered with this mobile (found through the blind index).
    pub async fn accounts_by_mobile(&self, mobile: &str) -> Result<Vec<Account>> {
        let rows = sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE mobile_bidx = $1 ORDER BY created_at"
        ))
        .bind(self.crypto().blind_index(Field::Mobile, mobile))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| account_from_row(self, r)).collect()
    }

    /// The account of a live session (not expired at the store clock's now).
    pub async fn session_account(&self, id_hash: &[u8]) -> Result<Option<Account>> {
        // One statement (it runs on every authenticated request): the session and its
        // account together. Nothing is cached, so a revoked session is refused at once.
        let row = sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE id = \
             (SELECT account_id FROM sessions WHERE id_hash = $1 AND expires_at > $2)"
        ))
        .bind(id_hash.to_vec())
        .bind(self.now_ms())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| account_from_row(self, &r)).transpose()
    }

    /// The account's API keys, newest first (at most 100): id, name, created, revoked.
    pub async fn api_keys(&self, account_id: &str) -> Result<Vec<ApiKeyRow>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, revoked_at FROM api_keys WHERE account_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 100",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// The account of an API key that is neither revoked nor expired; records its use (at
    /// most once a minute per key, so a busy script does not write on every call).
    pub async fn api_key_account(&self, key_hash: &[u8]) -> Result<Option<Account>> {
        let now = self.now_ms();
        let row = sqlx::query(
            "SELECT id, account_id, last_used_at FROM api_keys WHERE key_hash = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(key_hash.to_vec())
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(r) => {
                let last: Option<i64> = r.try_get("last_used_at")?;
                if last.is_none_or(|t| now - t >= 60_000) {
                    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(r.try_get::<String, _>("id")?)
                        .execute(self.pool())
                        .await?;
                }
                Ok(Some(
                    self.account(&r.try_get::<String, _>("account_id")?).await?,
                ))
            }
            None => Ok(None),
        }
    }
}

/// One API key as its owner lists it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trip() {
        for (s, r) in [
            ("applicant", Role::Applicant),
            ("reviewer", Role::Reviewer),
            ("admin", Role::Admin),
            ("bureau_officer", Role::BureauOfficer),
        ] {
            assert_eq!(Role::parse(s), Some(r));
            assert_eq!(r.as_str(), s);
        }
        assert_eq!(Role::parse("root"), None);
    }
}
