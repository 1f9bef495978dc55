//! Idempotency keys for POST requests: the first response for (account, key) is stored with
//! the hash of its request; a repeat with the same hash replays it, another hash is a 422.
//!
//! The key is claimed in the same transaction as the request's effects
//! ([`Store::claim_idempotency_key`], [`Claim`]): while the request runs under its claim
//! ([`Claim::run`]), [`Tx::commit`] holds its transaction back; when the answer is known, the
//! key's record with the answer is written into that transaction and both commit together
//! ([`Claim::keep`]), or it is rolled back ([`Claim::release`], a server error). A crash or a
//! dropped request rolls the held transaction back: nothing was committed, the key is free,
//! and a retry runs once. No lock row exists, so nothing goes stale: concurrent requests
//! with one key in one process get [`Start::Busy`]; across instances the key's primary key
//! lets one commit and the other's effects roll back ([`Kept::Lost`], whose answer it gives).
//!
//! A request that begins a second transaction (or writes outside one) has its held-back
//! transaction committed first (`settle`): only its last transaction carries the key.
//!
//! `account_id` is the key's scope: an account id, or `ip:ADDR`
//! for requests without an account (migration 0002 dropped its reference to accounts).
//!
//! Stored response bodies are sealed ([`Field::StoredResponse`]): a replayed order view holds
//! the same personal data the forms keep encrypted.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use sqlx::Row;

use crate::audit::AuditHead;
use crate::crypto::Field;
use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub request_hash: Vec<u8>,
    pub status: i64,
    pub body: Vec<u8>,
}

impl Tx {
    /// Stores the response; `Unique { constraint: "idempotency_keys_pkey" }` if the key was
    /// stored meanwhile by a concurrent request.
    pub async fn put_idempotent_response(
        &mut self,
        account_id: &str,
        key: &str,
        resp: &IdempotentResponse,
    ) -> Result<()> {
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, \
             response_body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(account_id)
        .bind(key)
        .bind(resp.request_hash.clone())
        .bind(resp.status)
        .bind(self.store.crypto().seal(Field::StoredResponse, &resp.body))
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

/// The idempotency keys whose requests are running in this process: a second request with
/// one of them gets [`Start::Busy`] at once. The set lives and dies with the process, so a
/// crash leaves no lock behind; across instances the key's primary key decides (see
/// [`Claim::keep`]).
pub(crate) type InFlight = Arc<Mutex<HashSet<(String, String)>>>;

tokio::task_local! {
    /// The claim of the request this task serves, while [`Claim::run`] runs it.
    static CLAIM: Arc<Slot>;
}

/// Where a request's committed-but-held-back transaction waits for the request's answer.
#[derive(Default)]
struct Slot {
    parked: Mutex<Option<(Tx, Option<AuditHead>)>>,
}

impl Slot {
    fn take(&self) -> Option<(Tx, Option<AuditHead>)> {
        self.parked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Called by [`Tx::commit`]: inside a claimed request, holds the transaction back (returns
/// `None`); elsewhere hands it back to be committed now.
pub(crate) async fn park(tx: Tx, head: Option<AuditHead>) -> Result<Option<Tx>> {
    let Ok(slot) = CLAIM.try_with(Arc::clone) else {
        return Ok(Some(tx));
    };
    // Only one transaction waits: an earlier one (two open at once) is committed first.
    let earlier = slot
        .parked
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .replace((tx, head));
    if let Some((earlier, head)) = earlier {
        earlier.finish(head).await?;
    }
    Ok(None)
}

/// Called by [`Store::begin`] and by the writes made outside a transaction: commits a
/// held-back transaction of this request now (without the key), so later reads and writes
/// of the request see it and, on SQLite, the write lock is free. The request's last
/// transaction is then the one that carries the key.
pub(crate) async fn settle() -> Result<()> {
    let Ok(slot) = CLAIM.try_with(Arc::clone) else {
        return Ok(());
    };
    if let Some((tx, head)) = slot.take() {
        tx.finish(head).await?;
    }
    Ok(())
}

/// What [`Store::claim_idempotency_key`] found.
pub enum Start {
    /// The key is free: run the request inside [`Claim::run`], then keep, commit or release.
    Run(Claim),
    /// Another request with this key is running in this process.
    Busy,
    /// The key was used: its stored response.
    Done(IdempotentResponse),
}

/// A request running under an idempotency key. Its effects (its transactions' commits) are
/// held back until [`Claim::keep`] commits them in one transaction with the key's record, or
/// [`Claim::release`] rolls them back; if the request dies (a crash, a dropped connection),
/// they roll back with it and the key stays free, so a retry runs once.
pub struct Claim {
    store: Store,
    scope: String,
    key: String,
    request_hash: Vec<u8>,
    slot: Arc<Slot>,
    in_flight: InFlight,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(self.scope.clone(), self.key.clone()));
    }
}

/// What [`Claim::keep`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// The answer is stored with the request's effects.
    Stored,
    /// Another instance completed the key first: this request's effects are rolled back and
    /// this is the stored answer, to be given instead.
    Lost(IdempotentResponse),
}

impl Claim {
    /// Runs the request with its commits held back for this claim.
    pub async fn run<F: Future>(&self, request: F) -> F::Output {
        CLAIM.scope(Arc::clone(&self.slot), request).await
    }

    /// Stores the answer in the request's held-back transaction (or in one of its own if the
    /// request wrote nothing) and commits: effects and key together, or neither.
    pub async fn keep(self, status: i64, body: &[u8]) -> Result<Kept> {
        let (mut tx, head) = match self.slot.take() {
            Some(parked) => parked,
            None => (self.store.begin().await?, None),
        };
        let response = IdempotentResponse {
            request_hash: self.request_hash.clone(),
            status,
            body: body.to_vec(),
        };
        match tx
            .put_idempotent_response(&self.scope, &self.key, &response)
            .await
        {
            Ok(()) => {
                tx.finish(head).await?;
                Ok(Kept::Stored)
            }
            Err(StoreError::Unique { .. }) => {
                tx.rollback().await?;
                match self
                    .store
                    .idempotent_response(&self.scope, &self.key)
                    .await?
                {
                    Some(stored) => Ok(Kept::Lost(stored)),
                    None => Err(StoreError::NotFound {
                        what: "idempotency key",
                    }),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Commits the request's effects without keeping its answer (it hands out a secret, or
    /// is not JSON): a retry runs again.
    pub async fn commit_unkept(self) -> Result<()> {
        if let Some((tx, head)) = self.slot.take() {
            tx.finish(head).await?;
        }
        Ok(())
    }

    /// Rolls the request's held-back effects back (its answer is a server error): the key
    /// stays free and a retry runs again.
    pub async fn release(self) -> Result<()> {
        if let Some((tx, _)) = self.slot.take() {
            tx.rollback().await?;
        }
        Ok(())
    }
}

/// The status of a reservation left by an earlier version (which reserved keys before
/// running the request): such a row is dropped when its key is claimed again.
const LEGACY_IN_PROGRESS: i64 = 0;

impl Store {
    /// Claims `(scope, key)` for a request with `request_hash`: [`Start::Run`] with the claim,
    /// [`Start::Busy`] if a request with this key is running in this process, or
    /// [`Start::Done`] with the stored answer. Nothing is written: the key's record is
    /// written with the request's effects ([`Claim::keep`]).
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &[u8],
    ) -> Result<Start> {
        let entry = (scope.to_owned(), key.to_owned());
        if !self
            .inner
            .claims_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(entry)
        {
            return Ok(Start::Busy);
        }
        let claim = Claim {
            store: self.clone(),
            scope: scope.to_owned(),
            key: key.to_owned(),
            request_hash: request_hash.to_vec(),
            slot: Arc::default(),
            in_flight: Arc::clone(&self.inner.claims_in_flight),
        };
        match self.idempotent_response(scope, key).await? {
            Some(stored) if stored.status == LEGACY_IN_PROGRESS => {
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 \
                     AND response_status = $3",
                )
                .bind(scope)
                .bind(key)
                .bind(LEGACY_IN_PROGRESS)
                .execute(self.pool())
                .await?;
                Ok(Start::Run(claim))
            }
            Some(stored) => Ok(Start::Done(stored)),
            None => Ok(Start::Run(claim)),
        }
    }

    pub async fn idempotent_response(
        &self,
        account_id: &str,
        key: &str,
    ) -> Result<Option<IdempotentResponse>> {
        let row = sqlx::query(
            "SELECT request_hash, response_status, response_body FROM idempotency_keys \
             WHERE account_id = $1 AND key = $2",
        )
        .bind(account_id)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            let status: i64 = r.try_get("response_status")?;
            let stored: Vec<u8> = r.try_get("response_body")?;
            // A reservation of an earlier version has no body; a completed one is sealed.
            let body = if status == LEGACY_IN_PROGRESS {
                stored
            } else {
                self.crypto().open(Field::StoredResponse, &stored)?
            };
            Ok(IdempotentResponse {
                request_hash: r.try_get("request_hash")?,
                status,
                body,
            })
        })
        .transpose()
    }

    /// Deletes keys older than `before_ms`; returns how many.
    pub async fn purge_idempotency_keys(&self, before_ms: i64) -> Result<u64> {
        let res = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn response(hash: &[u8], body: &[u8]) -> IdempotentResponse {
        IdempotentResponse {
            request_hash: hash.to_vec(),
            status: 201,
            body: body.to_vec(),
        }
    }

    /// The handler's effect in these tests: one row written in a transaction of its own.
    async fn effect(s: &Store, name: &str) {
        let mut tx = s.begin().await.unwrap();
        tx.put_idempotent_response("effects", name, &response(b"e", b"{}"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn has_effect(s: &Store, name: &str) -> bool {
        s.idempotent_response("effects", name)
            .await
            .unwrap()
            .is_some()
    }

    fn run(start: Start) -> Claim {
        match start {
            Start::Run(claim) => claim,
            Start::Busy => panic!("busy"),
            Start::Done(r) => panic!("done: {r:?}"),
        }
    }

    #[tokio::test]
    async fn the_effects_and_the_key_commit_together() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let claim = run(s.claim_idempotency_key("acct", "k1", b"h1").await.unwrap());
            claim.run(effect(s, "order-1")).await;
            // Held back until the answer is known: neither is visible yet.
            assert!(!has_effect(s, "order-1").await);
            assert!(s.idempotent_response("acct", "k1").await.unwrap().is_none());
            // A second request with the key meanwhile is told the first runs.
            let busy = s.claim_idempotency_key("acct", "k1", b"h1").await.unwrap();
            assert!(matches!(busy, Start::Busy));
            assert_eq!(claim.keep(201, b"{\"id\":1}").await.unwrap(), Kept::Stored);
            assert!(has_effect(s, "order-1").await);
            match s.claim_idempotency_key("acct", "k1", b"h1").await.unwrap() {
                Start::Done(r) => assert_eq!(r, response(b"h1", b"{\"id\":1}")),
                _ => panic!("the answer is stored"),
            }
        })
        .await;
    }

    #[tokio::test]
    async fn a_crash_or_a_server_error_leaves_neither_effects_nor_key() {
        testing::each_backend(async |t| {
            let s = &t.store;
            // The request dies after its commit, before its answer (a crash, a dropped
            // connection): the claim is dropped with its held transaction.
            let claim = run(s.claim_idempotency_key("acct", "k1", b"h1").await.unwrap());
            claim.run(effect(s, "order-1")).await;
            drop(claim);
            assert!(!has_effect(s, "order-1").await);
            // A 500: released explicitly.
            let claim = run(s.claim_idempotency_key("acct", "k2", b"h2").await.unwrap());
            claim.run(effect(s, "order-2")).await;
            claim.release().await.unwrap();
            assert!(!has_effect(s, "order-2").await);
            // The retry runs, once.
            for (key, effect_name) in [("k1", "order-1"), ("k2", "order-2")] {
                let retry = run(s.claim_idempotency_key("acct", key, b"h").await.unwrap());
                retry.run(effect(s, effect_name)).await;
                assert_eq!(retry.keep(201, b"{}").await.unwrap(), Kept::Stored);
                assert!(has_effect(s, effect_name).await);
            }
        })
        .await;
    }

    #[tokio::test]
    async fn a_second_transaction_settles_the_first_and_unkept_answers_commit() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let claim = run(s.claim_idempotency_key("acct", "k1", b"h1").await.unwrap());
            claim
                .run(async {
                    effect(s, "first").await;
                    effect(s, "second").await;
                    // The first was committed when the second began.
                    assert!(has_effect(s, "first").await);
                })
                .await;
            claim.commit_unkept().await.unwrap();
            assert!(has_effect(s, "second").await);
            assert!(s.idempotent_response("acct", "k1").await.unwrap().is_none());
        })
        .await;
    }

    #[tokio::test]
    async fn another_instance_that_answered_first_wins() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let other = t.open_another().await;
            let claim = run(s.claim_idempotency_key("acct", "k1", b"h1").await.unwrap());
            // On PostgreSQL this request writes too; SQLite has one writer, one instance.
            let writes = t.backend == crate::Backend::Postgres;
            if writes {
                claim.run(effect(s, "mine")).await;
            }
            let theirs = run(other
                .claim_idempotency_key("acct", "k1", b"h1")
                .await
                .unwrap());
            assert_eq!(theirs.keep(201, b"theirs").await.unwrap(), Kept::Stored);
            assert_eq!(
                claim.keep(201, b"mine").await.unwrap(),
                Kept::Lost(response(b"h1", b"theirs"))
            );
            assert!(
                !has_effect(s, "mine").await,
                "the loser's effects roll back"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn stored_responses_are_sealed_at_rest() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let body = br#"{"certificate_number":"330106199001011234"}"#;
            let claim = run(s.claim_idempotency_key("acct", "k", b"h").await.unwrap());
            assert_eq!(claim.keep(201, body).await.unwrap(), Kept::Stored);
            let raw: Vec<u8> = sqlx::query_scalar(
                "SELECT response_body FROM idempotency_keys WHERE account_id = 'acct'",
            )
            .fetch_one(s.pool())
            .await
            .unwrap();
            assert!(!raw.windows(18).any(|w| w == b"330106199001011234"));
            let replay = s.idempotent_response("acct", "k").await.unwrap().unwrap();
            assert_eq!(replay.body, body.to_vec());
        })
        .await;
    }
}
