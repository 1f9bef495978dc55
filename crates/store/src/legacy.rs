//! The legacy (万网) platform's accounts as loaded from its export (`docs/legacy-export.md`):
//! one row per legacy username, with the legacy password hash and the whole export record
//! sealed (it holds certificate and mobile numbers). A row is imported into one account, once.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::AuditEntry;
use crate::crypto::Field;
use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};

/// A loaded legacy account. `Debug` leaves out the record and the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct LegacyAccount {
    pub username: String,
    /// The legacy platform's password hash (a PHC string).
    pub password_hash: String,
    /// The export record (JSON text), opened.
    pub record: String,
    /// SHA-256 (hex) of the record as it was in the export.
    pub record_digest: String,
    pub loaded_at: i64,
    pub imported_account_id: Option<String>,
    pub imported_sponsor_id: Option<String>,
    pub imported_at: Option<i64>,
}

impl std::fmt::Debug for LegacyAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyAccount")
            .field("username", &self.username)
            .field("record_digest", &self.record_digest)
            .field("imported_account_id", &self.imported_account_id)
            .finish_non_exhaustive()
    }
}

/// What loading one export record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// A new row.
    Loaded,
    /// The same record was loaded before (a re-run): nothing changed.
    AlreadyLoaded,
    /// Another record is loaded under this username: nothing changed.
    OtherRecord,
}

fn legacy_of(store: &Store, r: &AnyRow) -> Result<LegacyAccount> {
    let sealed: Vec<u8> = r.try_get("record_ct")?;
    Ok(LegacyAccount {
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        record: store.crypto().open_str(Field::LegacyRecord, &sealed)?,
        record_digest: r.try_get("record_digest")?,
        loaded_at: r.try_get("loaded_at")?,
        imported_account_id: r.try_get("imported_account_id")?,
        imported_sponsor_id: r.try_get("imported_sponsor_id")?,
        imported_at: r.try_get("imported_at")?,
    })
}

const COLS: &str = "username, password_hash, record_ct, record_digest, loaded_at, \
    imported_account_id, imported_sponsor_id, imported_at";

impl Tx {
    /// Loads one export record under its legacy username, sealed, with an audit record; a
    /// username already present is left as it is (see [`LoadOutcome`]).
    pub async fn load_legacy_account(
        &mut self,
        actor: &str,
        username: &str,
        password_hash: &str,
        record: &str,
        record_digest: &str,
    ) -> Result<LoadOutcome> {
        let now = self.store.now_ms();
        let sealed = self.store.crypto().seal_str(Field::LegacyRecord, record);
        let res = sqlx::query(
            "INSERT INTO legacy_accounts (username, password_hash, record_ct, record_digest, \
             loaded_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(password_hash)
        .bind(sealed)
        .bind(record_digest)
        .bind(now)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            let digest: String =
                sqlx::query("SELECT record_digest FROM legacy_accounts WHERE username = $1")
                    .bind(username)
                    .fetch_one(self.conn())
                    .await?
                    .try_get("record_digest")?;
            return Ok(if digest == record_digest {
                LoadOutcome::AlreadyLoaded
            } else {
                LoadOutcome::OtherRecord
            });
        }
        self.append_audit(
            AuditEntry::new(actor, "legacy.load", format!("legacy:{username}"))
                .after(json!({"record_digest": record_digest})),
        );
        Ok(LoadOutcome::Loaded)
    }

    /// Marks the legacy account imported into `account_id` (irreversible), with an audit
    /// record. `Conflict` if it was imported already (by anyone).
    pub async fn mark_legacy_imported(
        &mut self,
        actor: &str,
        username: &str,
        account_id: &str,
        sponsor_id: &str,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE legacy_accounts SET imported_account_id = $1, imported_sponsor_id = $2, \
             imported_at = $3 WHERE username = $4 AND imported_account_id IS NULL",
        )
        .bind(account_id)
        .bind(sponsor_id)
        .bind(now)
        .bind(username)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                what: "legacy account",
            });
        }
        self.append_audit(
            AuditEntry::new(actor, "legacy.import", format!("legacy:{username}"))
                .after(json!({"account": account_id, "sponsor": sponsor_id})),
        );
        Ok(())
    }
}

impl Store {
    pub async fn legacy_account(&self, username: &str) -> Result<Option<LegacyAccount>> {
        let row = sqlx::query(sql!(
            "SELECT {COLS} FROM legacy_accounts WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| legacy_of(self, &r)).transpose()
    }

    /// How many legacy accounts are loaded, and how many of them are imported.
    pub async fn legacy_counts(&self) -> Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, COUNT(imported_account_id) AS imported FROM legacy_accounts",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((r.try_get("n")?, r.try_get("imported")?))
    }
}
