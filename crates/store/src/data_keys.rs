//! Envelope keys: the data-encryption key (DEK) kept in the database, wrapped under the
//! operator's key (the KEK), and its rotation (issue 16).
//!
//! # Design
//! - The key that seals fields and objects and keys the blind index ([`Crypto`]) is the DEK,
//!   32 random bytes. It lives in the one row of the table `data_key`, wrapped under the
//!   operator's key ([`DataKey::wrap`]: AES-256-GCM under a key derived from the KEK, the
//!   DEK's id as associated data), beside the ids of both (`dek_id`, `kek_id`; never keys).
//! - [`Store::open`] takes the operator's key (config, `BEIAN_DATA_KEY` or `data.key`, as
//!   before) and unwraps the DEK once; a key that is not the one the row names is refused
//!   with [`StoreError::WrongDataKey`] (an old key after a rotation, another store's key).
//! - [`Store::rotate_data_key`] re-wraps the DEK under a new operator's key: one row updated
//!   in one transaction with its audit record. Nothing is re-encrypted, so the DEK's id (what
//!   each sealed object carries) stays. A server running on the same database keeps the DEK
//!   it unwrapped at start and goes on without a pause; its next start needs the new key.
//! - A store from before envelope keys sealed its data under keys derived from the operator's
//!   key itself. Migration 0017 marks such a store (any row in the tables that hold sealed data
//!   or the audit log): its first open adopts the operator's key material as the DEK and wraps
//!   it under that same key, so everything still opens and nothing is re-encrypted; from the
//!   first rotation on, the operator's key is a different one. Before adopting, the key must
//!   open a sealed value already in the store (when there is one), so a wrong key is refused
//!   rather than pinned. A fresh store gets a random DEK.
//!
//! What rotation does not do: the DEK itself does not change, so whoever holds an earlier
//! operator's key *and* a copy of the database from before the rotation (a backup) can still
//! unwrap it — and, for an adopted store, the first key *is* the DEK. Rotating the DEK itself
//! means re-encrypting every field and object; it is not built.

use chrono::Utc;
use serde_json::json;
use sqlx::{AnyPool, Row};

use crate::audit::AuditEntry;
use crate::crypto::{Crypto, DataKey, Field};
use crate::db::{Backend, Store};
use crate::error::{Result, StoreError};

/// Where the store's DEK came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Generated at random when the store was created.
    Generated,
    /// The operator's key of a store from before envelope keys, adopted as the DEK.
    Master,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Generated => "generated",
            Origin::Master => "master",
        }
    }
}

/// The DEK and the ids of the row it came from.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) dek: DataKey,
    pub(crate) origin: Origin,
}

/// What a rotation did (ids, never keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The DEK's id: unchanged, every sealed value stays as it is.
    pub dek_id: String,
    /// The operator's key it was wrapped under.
    pub old_kek_id: String,
    /// The operator's key it is wrapped under now.
    pub new_kek_id: String,
}

struct Row1 {
    dek_id: Option<String>,
    kek_id: Option<String>,
    wrapped: Option<Vec<u8>>,
    origin: String,
}

async fn read_row<'e, E>(exec: E, lock: bool) -> Result<Option<Row1>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = if lock {
        "SELECT dek_id, kek_id, wrapped, origin FROM data_key WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT dek_id, kek_id, wrapped, origin FROM data_key WHERE id = 1"
    };
    let Some(r) = sqlx::query(sql).fetch_optional(exec).await? else {
        return Ok(None);
    };
    Ok(Some(Row1 {
        dek_id: r.try_get("dek_id")?,
        kek_id: r.try_get("kek_id")?,
        wrapped: r.try_get("wrapped")?,
        origin: r.try_get("origin")?,
    }))
}

fn parse_origin(s: &str) -> Result<Origin> {
    match s {
        "generated" => Ok(Origin::Generated),
        "master" => Ok(Origin::Master),
        _ => Err(StoreError::Corrupt("data_key.origin")),
    }
}

/// Whether `key`, used directly (as before envelope keys), opens the first sealed value of
/// each table that holds sealed values (sponsors, accounts, the outbox, legacy records, the
/// orders' forms, stored idempotent answers, bureau secrets, uploads and downloads, backdrop
/// contacts); `true` when there is none to try. Every such table is tried, not a few: a store
/// whose only sealed values are in one left out would adopt a wrong key, after which its own
/// key is refused and what it sealed opens under neither.
async fn opens_existing_data(pool: &AnyPool, key: &DataKey) -> Result<bool> {
    let crypto = Crypto::new(key);
    let probes = [
        (
            "SELECT certificate_ct AS ct FROM sponsors LIMIT 1",
            Field::Certificate,
        ),
        (
            "SELECT mobile_ct AS ct FROM accounts WHERE mobile_ct IS NOT NULL LIMIT 1",
            Field::Mobile,
        ),
        ("SELECT payload_ct AS ct FROM outbox LIMIT 1", Field::Outbox),
        (
            "SELECT record_ct AS ct FROM legacy_accounts LIMIT 1",
            Field::LegacyRecord,
        ),
        (
            "SELECT forms_ct AS ct FROM order_workflow WHERE forms_ct IS NOT NULL LIMIT 1",
            Field::Outbox,
        ),
        // A pending answer (status 0) is a placeholder, not sealed.
        (
            "SELECT response_body AS ct FROM idempotency_keys WHERE response_status <> 0 LIMIT 1",
            Field::StoredResponse,
        ),
        (
            "SELECT secret_ct AS ct FROM bureau_secrets LIMIT 1",
            Field::Outbox,
        ),
        (
            "SELECT xml_ct AS ct FROM bureau_uploads LIMIT 1",
            Field::Outbox,
        ),
        (
            "SELECT payload_ct AS ct FROM bureau_downloads LIMIT 1",
            Field::Outbox,
        ),
        (
            "SELECT contact_ct AS ct FROM backdrop_requests LIMIT 1",
            Field::Outbox,
        ),
    ];
    for (sql, field) in probes {
        if let Some(r) = sqlx::query(sql).fetch_optional(pool).await? {
            let ct: Vec<u8> = r.try_get("ct")?;
            if crypto.open(field, &ct).is_err() {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Unwraps the store's DEK with the operator's key `kek`; on a store without one, creates it
/// (a fresh store: random; a store from before envelope keys: `kek`'s own material). Two
/// instances opening at once agree: the first write wins and both read it back.
pub(crate) async fn load(pool: &AnyPool, kek: &DataKey) -> Result<Loaded> {
    let now = Utc::now().timestamp_millis();
    for _ in 0..3 {
        match read_row(pool, false).await? {
            None => {
                let dek = DataKey::generate();
                sqlx::query(
                    "INSERT INTO data_key (id, dek_id, kek_id, wrapped, origin, wrapped_at) \
                     VALUES (1, $1, $2, $3, 'generated', $4) ON CONFLICT (id) DO NOTHING",
                )
                .bind(dek.id())
                .bind(kek.id())
                .bind(kek.wrap(&dek))
                .bind(now)
                .execute(pool)
                .await?;
            }
            Some(Row1 { wrapped: None, .. }) => {
                if !opens_existing_data(pool, kek).await? {
                    return Err(StoreError::KeyDoesNotOpenData { given: kek.id() });
                }
                sqlx::query(
                    "UPDATE data_key SET dek_id = $1, kek_id = $2, wrapped = $3, \
                     wrapped_at = $4 WHERE id = 1 AND wrapped IS NULL",
                )
                .bind(kek.id())
                .bind(kek.id())
                .bind(kek.wrap(kek))
                .bind(now)
                .execute(pool)
                .await?;
            }
            Some(Row1 {
                dek_id: Some(dek_id),
                kek_id: Some(kek_id),
                wrapped: Some(wrapped),
                origin,
            }) => {
                if kek_id != kek.id() {
                    return Err(StoreError::WrongDataKey {
                        given: kek.id(),
                        wrapped_under: kek_id,
                    });
                }
                let dek = kek.unwrap(&dek_id, &wrapped)?;
                return Ok(Loaded {
                    dek,
                    origin: parse_origin(&origin)?,
                });
            }
            Some(_) => return Err(StoreError::Corrupt("data_key")),
        }
    }
    Err(StoreError::Conflict { what: "data_key" })
}

impl Store {
    /// The id of the data-encryption key (what sealed objects carry; unchanged by rotation).
    pub fn data_key_id(&self) -> &str {
        self.crypto().key_id()
    }

    /// Where this store's data-encryption key came from.
    pub fn data_key_origin(&self) -> Origin {
        self.inner.dek_origin
    }

    /// The id of the operator's key the data-encryption key is wrapped under now, as the
    /// database says (another process may have rotated it since this store opened).
    pub async fn wrapping_key_id(&self) -> Result<String> {
        read_row(self.pool(), false)
            .await?
            .and_then(|r| r.kek_id)
            .ok_or(StoreError::NotFound { what: "data_key" })
    }

    /// Re-wraps the data-encryption key under `new`, in one transaction with its audit record
    /// (`data_key.rotate`, ids only). `current` must be the key it is wrapped under now
    /// ([`StoreError::WrongDataKey`] otherwise, and nothing changes). Stores already open,
    /// here or in other processes, keep working: they hold the unwrapped key.
    pub async fn rotate_data_key(
        &self,
        current: &DataKey,
        new: &DataKey,
        actor: &str,
    ) -> Result<Rotation> {
        if current.id() == new.id() {
            return Err(StoreError::InvalidState {
                what: "data_key",
                expected: "a new key other than the current one",
            });
        }
        let mut tx = self.begin().await?;
        let lock = self.backend() == Backend::Postgres;
        let row = read_row(tx.conn(), lock)
            .await?
            .ok_or(StoreError::NotFound { what: "data_key" })?;
        let (Some(dek_id), Some(kek_id), Some(wrapped)) = (row.dek_id, row.kek_id, row.wrapped)
        else {
            return Err(StoreError::Corrupt("data_key"));
        };
        if kek_id != current.id() {
            return Err(StoreError::WrongDataKey {
                given: current.id(),
                wrapped_under: kek_id,
            });
        }
        let dek = current.unwrap(&dek_id, &wrapped)?;
        let done = sqlx::query(
            "UPDATE data_key SET kek_id = $1, wrapped = $2, wrapped_at = $3 \
             WHERE id = 1 AND kek_id = $4",
        )
        .bind(new.id())
        .bind(new.wrap(&dek))
        .bind(Utc::now().timestamp_millis())
        .bind(&kek_id)
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict { what: "data_key" });
        }
        tx.append_audit(
            AuditEntry::new(actor, "data_key.rotate", "data_key".to_owned())
                .before(json!({ "dek_id": dek_id, "kek_id": kek_id }))
                .after(json!({ "dek_id": dek_id, "kek_id": new.id() })),
        );
        tx.commit().await?;
        Ok(Rotation {
            dek_id,
            old_kek_id: kek_id,
            new_kek_id: new.id(),
        })
    }
}
