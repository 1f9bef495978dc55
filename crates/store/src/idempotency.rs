//! Idempotency keys for POST requests: the first response for (account, key) is stored with
//! the hash of its request; a repeat with the same hash replays it, another hash is a 422.
//!
//! The key is claimed in the same transaction as the request's effects
//! ([`Store::claim_idempotency_key`], [`Claim`]): while the request runs under its claim
//! ([`Claim::run`]), the first transaction it commits ([`Tx::commit`]) also inserts the key's
//! row, marked pending; when the answer is known it is stored in that row ([`Claim::keep`]).
//! So:
//! - a request that fails before its commit (a 5xx, a crash, a dropped connection) leaves
//!   neither effects nor key: a retry runs, once;
//! - a request whose effects committed has its key: a retry never runs it again; it gets the
//!   stored answer, or, in the moment between the commit and the answer (or if the process
//!   died in it), 409 while the row is younger than the stale time (counted on the real
//!   clock, [`real_now_ms`], never the simulated one), then [`Start::AnswerLost`] with what
//!   the commit did ([`Effect`]: its audit entries, recorded in the pending row), from which
//!   the caller rebuilds the answer and stores it ([`Store::answer_pending_key`]), or frees
//!   the key to run the request again where that is its contract
//!   ([`Store::free_pending_key`]);
//! - a request that wrote nothing stores its answer in a transaction of its own.
//!
//! Which instance committed a pending key is recorded with it (`claimed_by`), and running
//! instances beat ([`Store::keep_alive`], table `store_instances`): a pending key committed by
//! this instance and not in flight here, or by one that stopped beating
//! ([`DEAD_AFTER_MS`]), is over at once, without waiting for the stale time.
//!
//! Concurrent requests with one key in one process: the second gets [`Start::Busy`] at once
//! (an in-memory set, gone with the process: a crash leaves no lock). Across instances the
//! key's primary key decides: the loser's transaction fails on it and rolls back, and its
//! client gets the winner's answer ([`Kept::Lost`]).
//!
//! `account_id` is the key's scope: an account id, or `ip:ADDR` for requests without an
//! account (migration 0002 dropped its reference to accounts).
//!
//! Stored response bodies are sealed ([`Field::StoredResponse`]): a replayed order view holds
//! the same personal data the forms keep encrypted.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

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

/// One thing a request's commit did: one of its audit entries (action, subject such as
/// `order:<id>`, and the `after` value). Recorded, sealed, in the key's pending row, so an
/// answer lost in a crash can be rebuilt from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub action: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

impl Effect {
    /// The id in the subject when it is of `kind` (`order` for `order:<id>`).
    pub fn id_of(&self, kind: &str) -> Option<&str> {
        self.subject
            .strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix(':'))
    }
}

/// The idempotency keys whose requests are running in this process: a second request with
/// one of them gets [`Start::Busy`] at once. The set lives and dies with the process, so a
/// crash leaves no lock behind.
pub(crate) type InFlight = Arc<Mutex<HashSet<(String, String)>>>;

tokio::task_local! {
    /// The claim of the request this task serves, while [`Claim::run`] runs it.
    static CLAIM: Arc<Slot>;
}

/// The status of a key whose request's effects are committed and whose answer is not stored
/// yet (also what an earlier version left for a reservation).
const PENDING: i64 = 0;

/// Where a request's claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Stage {
    /// Nothing committed yet.
    #[default]
    Free,
    /// A transaction committed the key's pending row with the request's effects.
    Committed,
    /// Another request holds the key: this request's transaction failed on it.
    Taken,
}

#[derive(Default)]
struct Slot {
    claim: Mutex<Option<(String, String, Vec<u8>)>>,
    stage: Mutex<Stage>,
}

impl Slot {
    fn stage(&self) -> Stage {
        *self.stage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, stage: Stage) {
        *self.stage.lock().unwrap_or_else(PoisonError::into_inner) = stage;
    }
}

/// How often a running instance beats ([`Store::keep_alive`]).
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// An instance whose last heartbeat is older than this (real clock, ms) is taken for dead:
/// five beats missed.
pub const DEAD_AFTER_MS: i64 = 15_000;

/// Now on the real clock (Unix ms): when a pending key was claimed, to tell a request still
/// finishing from one whose process died. Never the store's (possibly simulated) clock.
pub fn real_now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Called by [`Tx::commit`] before it commits: inside a claimed request whose key is not yet
/// committed, inserts the key's pending row into this transaction. Returns whether it did
/// (the caller reports the commit with [`claimed`]). Fails with `Unique` when another request
/// holds the key; the transaction then rolls back.
pub(crate) async fn claim_in(tx: &mut Tx) -> Result<bool> {
    let Ok(slot) = CLAIM.try_with(Arc::clone) else {
        return Ok(false);
    };
    if slot.stage() != Stage::Free {
        return Ok(false);
    }
    let Some((scope, key, hash)) = slot
        .claim
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
    else {
        return Ok(false);
    };
    let effects: Vec<Effect> = tx
        .audit
        .iter()
        .map(|e| Effect {
            action: e.action.clone(),
            subject: e.subject.clone(),
            after: e.after.clone(),
        })
        .collect();
    let effects = serde_json::to_vec(&effects).map_err(StoreError::Json)?;
    let sealed = tx.store.crypto().seal(Field::StoredResponse, &effects);
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, \
         response_body, created_at, effects, claimed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(PENDING)
    .bind(Vec::<u8>::new())
    .bind(real_now_ms())
    .bind(sealed)
    .bind(tx.store.inner.instance_id.clone())
    .execute(tx.conn())
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = StoreError::from(e);
            if matches!(e, StoreError::Unique { .. }) {
                slot.set(Stage::Taken);
            }
            Err(e)
        }
    }
}

/// Called by [`Tx::commit`] once a transaction that took the key ([`claim_in`]) committed.
pub(crate) fn claimed() {
    let _ = CLAIM.try_with(|slot| slot.set(Stage::Committed));
}

/// What [`Store::claim_idempotency_key`] found.
pub enum Start {
    /// The key is free: run the request inside [`Claim::run`], then keep, commit or release.
    Run(Claim),
    /// A request with this key is running (here, or committed elsewhere moments ago).
    Busy,
    /// The key was used: its stored response.
    Done(IdempotentResponse),
    /// The key's request committed its effects but its answer was never stored (its process
    /// died in between, or it failed after its commit): it will not run again as it was.
    /// `effects` is what its commit did (empty for a key from before they were recorded),
    /// for the caller to rebuild the answer from.
    AnswerLost {
        request_hash: Vec<u8>,
        effects: Vec<Effect>,
    },
}

/// A request running under an idempotency key (see the module documentation).
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
    /// The answer is stored.
    Stored,
    /// Another request holds the key: its stored answer (to be given instead), or `None`
    /// while it has none yet.
    Lost(Option<IdempotentResponse>),
}

impl Claim {
    /// Runs the request under this claim.
    pub async fn run<F: Future>(&self, request: F) -> F::Output {
        CLAIM.scope(Arc::clone(&self.slot), request).await
    }

    /// Whether the request committed effects (and with them the key).
    pub fn committed(&self) -> bool {
        self.slot.stage() == Stage::Committed
    }

    /// Whether another request held the key when this one tried to commit (its effects
    /// rolled back); [`Claim::keep`] then gives the other's answer.
    pub fn taken(&self) -> bool {
        self.slot.stage() == Stage::Taken
    }

    /// Stores the answer: in the key's pending row if the request committed it, else in a
    /// transaction of its own.
    pub async fn keep(self, status: i64, body: &[u8]) -> Result<Kept> {
        match self.slot.stage() {
            Stage::Committed => {
                self.store
                    .answer_pending_key(&self.scope, &self.key, status, body)
                    .await?;
                Ok(Kept::Stored)
            }
            Stage::Taken => self.lost().await,
            Stage::Free => {
                let response = IdempotentResponse {
                    request_hash: self.request_hash.clone(),
                    status,
                    body: body.to_vec(),
                };
                let mut tx = self.store.begin().await?;
                match tx
                    .put_idempotent_response(&self.scope, &self.key, &response)
                    .await
                {
                    Ok(()) => {
                        tx.commit().await?;
                        Ok(Kept::Stored)
                    }
                    Err(StoreError::Unique { .. }) => {
                        tx.rollback().await?;
                        self.lost().await
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    async fn lost(&self) -> Result<Kept> {
        let stored = self
            .store
            .idempotent_response(&self.scope, &self.key)
            .await?;
        Ok(Kept::Lost(stored.filter(|r| r.status != PENDING)))
    }

    /// The request's answer is not to be kept (it hands out a secret, or is not JSON): the
    /// key is freed, so a retry runs again.
    pub async fn commit_unkept(self) -> Result<()> {
        if self.committed() {
            self.store.free_pending_key(&self.scope, &self.key).await?;
        }
        Ok(())
    }

    /// The request's answer is a server error. If nothing committed, nothing is left and the
    /// key is free. If its effects did commit, the key stays pending: a retry must not run
    /// them again, and after the stale time gets [`Start::AnswerLost`].
    pub async fn release(self) -> Result<()> {
        Ok(())
    }
}

impl Store {
    /// Claims `(scope, key)` for a request with `request_hash` (see [`Start`]). Nothing is
    /// written here: the key's row is written with the request's effects. A pending row
    /// younger than `stale_after_ms` on the real clock is [`Start::Busy`], older
    /// [`Start::AnswerLost`].
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &[u8],
        stale_after_ms: i64,
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
        let slot = Slot::default();
        *slot.claim.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((scope.to_owned(), key.to_owned(), request_hash.to_vec()));
        let claim = Claim {
            store: self.clone(),
            scope: scope.to_owned(),
            key: key.to_owned(),
            request_hash: request_hash.to_vec(),
            slot: Arc::new(slot),
            in_flight: Arc::clone(&self.inner.claims_in_flight),
        };
        let row = sqlx::query(
            "SELECT k.request_hash, k.response_status, k.created_at, k.effects, k.claimed_by, \
             i.seen_at FROM idempotency_keys k LEFT JOIN store_instances i ON i.id = k.claimed_by \
             WHERE k.account_id = $1 AND k.key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(Start::Run(claim));
        };
        let status: i64 = row.try_get("response_status")?;
        if status != PENDING {
            return match self.idempotent_response(scope, key).await? {
                Some(stored) => Ok(Start::Done(stored)),
                None => Ok(Start::Run(claim)),
            };
        }
        let claimed_at: i64 = row.try_get("created_at")?;
        let claimed_by: Option<String> = row.try_get("claimed_by")?;
        let seen_at: Option<i64> = row.try_get("seen_at")?;
        let now = real_now_ms();
        // Its request is over when this instance committed it (it is not in flight here: this
        // claim holds the key) or when the instance that did stopped beating (its process
        // died); otherwise it may be finishing elsewhere until the stale time.
        let over = claimed_by.as_deref() == Some(self.inner.instance_id.as_str())
            || seen_at.is_some_and(|seen| now.saturating_sub(seen) > DEAD_AFTER_MS)
            || now.saturating_sub(claimed_at) >= stale_after_ms;
        if !over {
            Ok(Start::Busy)
        } else {
            let sealed: Option<Vec<u8>> = row.try_get("effects")?;
            let effects = match sealed {
                Some(sealed) => {
                    let json = self.crypto().open(Field::StoredResponse, &sealed)?;
                    serde_json::from_slice(&json).map_err(StoreError::Json)?
                }
                None => Vec::new(),
            };
            Ok(Start::AnswerLost {
                request_hash: row.try_get("request_hash")?,
                effects,
            })
        }
    }

    /// Stores the answer (`status`, `body`) in the pending row of `(scope, key)`: the
    /// request's own ([`Claim::keep`]), or one rebuilt after it was lost
    /// ([`Start::AnswerLost`]); later retries replay it. False when the row was no longer
    /// pending (another retry answered or freed it first).
    pub async fn answer_pending_key(
        &self,
        scope: &str,
        key: &str,
        status: i64,
        body: &[u8],
    ) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE idempotency_keys SET response_status = $1, response_body = $2, \
             created_at = $3 WHERE account_id = $4 AND key = $5 AND response_status = $6",
        )
        .bind(status)
        .bind(self.crypto().seal(Field::StoredResponse, body))
        .bind(self.now_ms())
        .bind(scope)
        .bind(key)
        .bind(PENDING)
        .execute(self.pool())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Deletes the pending row of `(scope, key)`, if it is still pending: for an answer not to
    /// be kept ([`Claim::commit_unkept`]), or for a request whose answer was lost and whose
    /// contract is to run again on a retry (a login, an API key: secrets are never stored).
    pub async fn free_pending_key(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 \
             AND response_status = $3",
        )
        .bind(scope)
        .bind(key)
        .bind(PENDING)
        .execute(self.pool())
        .await?;
        Ok(())
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
            // A pending key has no body; a completed one is sealed.
            let body = if status == PENDING {
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

    /// Records that this instance is alive, now on the real clock (and forgets instances
    /// silent for a day). See [`Store::keep_alive`].
    pub async fn heartbeat(&self) -> Result<()> {
        let now = real_now_ms();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO store_instances (id, seen_at) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(&self.inner.instance_id)
        .bind(now)
        .execute(tx.conn())
        .await?;
        sqlx::query("DELETE FROM store_instances WHERE seen_at < $1")
            .bind(now - 86_400_000)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Beats every [`HEARTBEAT_EVERY`] until dropped (a server runs it beside its listener):
    /// a retry of a key this instance committed, after it died, then waits
    /// [`DEAD_AFTER_MS`] instead of the whole stale time. A failed beat is logged and
    /// tried again at the next.
    pub async fn keep_alive(self) {
        loop {
            if let Err(e) = self.heartbeat().await {
                tracing::warn!(error = %e, "store heartbeat failed");
            }
            tokio::time::sleep(HEARTBEAT_EVERY).await;
        }
    }

    /// Deletes keys older than `before_ms` (the store's clock); returns how many. A pending
    /// key's time is on the real clock, so the same age is counted there for it: under a
    /// simulated clock run days ahead, a pending key is not purged early (its retry would
    /// then run the request again).
    pub async fn purge_idempotency_keys(&self, before_ms: i64) -> Result<u64> {
        let age = self.now_ms().saturating_sub(before_ms);
        let res = sqlx::query(
            "DELETE FROM idempotency_keys WHERE (response_status <> $1 AND created_at < $2) \
             OR (response_status = $1 AND created_at < $3)",
        )
        .bind(PENDING)
        .bind(before_ms)
        .bind(real_now_ms().saturating_sub(age))
        .execute(self.pool())
        .await?;
        Ok(res.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditEntry;
    use crate::testing;

    fn response(hash: &[u8], body: &[u8]) -> IdempotentResponse {
        IdempotentResponse {
            request_hash: hash.to_vec(),
            status: 201,
            body: body.to_vec(),
        }
    }

    /// The handler's effect in these tests: one row written in a transaction of its own.
    async fn effect(s: &Store, name: &str) -> Result<()> {
        let mut tx = s.begin().await?;
        tx.put_idempotent_response("effects", name, &response(b"e", b"{}"))
            .await?;
        tx.append_audit(
            AuditEntry::new("test", "effect.add", format!("effect:{name}"))
                .after(serde_json::json!({"name": name})),
        );
        tx.commit().await
    }

    async fn has_effect(s: &Store, name: &str) -> bool {
        s.idempotent_response("effects", name)
            .await
            .unwrap()
            .is_some()
    }

    const STALE: i64 = 60_000;

    async fn claim(s: &Store, key: &str, stale: i64) -> Start {
        s.claim_idempotency_key("acct", key, b"h1", stale)
            .await
            .unwrap()
    }

    fn run(start: Start) -> Claim {
        match start {
            Start::Run(claim) => claim,
            Start::Busy => panic!("busy"),
            Start::Done(r) => panic!("done: {r:?}"),
            Start::AnswerLost { .. } => panic!("answer lost"),
        }
    }

    #[tokio::test]
    async fn the_key_commits_with_the_effects_and_then_holds_the_answer() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let other = t.open_another().await;
            let c = run(claim(s, "k1", STALE).await);
            c.run(effect(s, "order-1")).await.unwrap();
            assert!(c.committed() && has_effect(s, "order-1").await);
            // Between the commit and the answer: busy here and on another instance.
            assert!(matches!(claim(s, "k1", STALE).await, Start::Busy));
            assert!(matches!(claim(&other, "k1", STALE).await, Start::Busy));
            assert_eq!(c.keep(201, b"{\"id\":1}").await.unwrap(), Kept::Stored);
            match claim(&other, "k1", STALE).await {
                Start::Done(r) => assert_eq!(r, response(b"h1", b"{\"id\":1}")),
                _ => panic!("the answer is stored"),
            }
            // A request that wrote nothing stores its answer on its own.
            let c = run(claim(s, "k2", STALE).await);
            assert_eq!(c.keep(422, b"{}").await.unwrap(), Kept::Stored);
            assert!(matches!(claim(s, "k2", STALE).await, Start::Done(_)));
        })
        .await;
    }

    #[tokio::test]
    async fn a_crash_before_the_commit_leaves_nothing_after_it_the_request_never_reruns() {
        testing::each_backend(async |t| {
            let s = &t.store;
            // Dies (or fails with a 5xx) inside its transaction: nothing committed, key free.
            let c = run(claim(s, "k1", STALE).await);
            c.run(async {
                let mut tx = s.begin().await.unwrap();
                tx.put_idempotent_response("effects", "order-1", &response(b"e", b"{}"))
                    .await
                    .unwrap();
                drop(tx);
            })
            .await;
            assert!(!c.committed());
            c.release().await.unwrap();
            assert!(!has_effect(s, "order-1").await);
            let retry = run(claim(s, "k1", STALE).await);
            retry.run(effect(s, "order-1")).await.unwrap();
            assert_eq!(retry.keep(201, b"{}").await.unwrap(), Kept::Stored);
            assert!(has_effect(s, "order-1").await);

            // Dies after its commit, before its answer: a retry on another instance is told
            // to wait while the first may be finishing, and once the claim is stale (real
            // clock) that the answer is lost; it never runs again.
            let other = t.open_another().await;
            let c = run(claim(s, "k2", STALE).await);
            c.run(effect(s, "order-2")).await.unwrap();
            drop(c);
            assert!(matches!(claim(&other, "k2", STALE).await, Start::Busy));
            assert!(matches!(
                claim(&other, "k2", 0).await,
                Start::AnswerLost { .. }
            ));
            // Sooner when the instance that committed it is known dead: it stopped beating.
            s.heartbeat().await.unwrap();
            assert!(matches!(claim(&other, "k2", STALE).await, Start::Busy));
            sqlx::query("UPDATE store_instances SET seen_at = $1")
                .bind(real_now_ms() - DEAD_AFTER_MS - 1)
                .execute(s.pool())
                .await
                .unwrap();
            assert!(matches!(
                claim(&other, "k2", STALE).await,
                Start::AnswerLost { .. }
            ));
            // And at once on the instance that committed it: it is not in flight there, so
            // it ended without its answer (a 5xx after the commit).
            let effects = match claim(s, "k2", STALE).await {
                Start::AnswerLost {
                    request_hash,
                    effects,
                } => {
                    assert_eq!(request_hash, b"h1");
                    effects
                }
                _ => panic!("a stale pending key's answer is lost"),
            };
            // What the commit did is there to rebuild the answer from.
            assert_eq!(
                effects,
                vec![Effect {
                    action: "effect.add".into(),
                    subject: "effect:order-2".into(),
                    after: Some(serde_json::json!({"name": "order-2"})),
                }]
            );
            assert_eq!(effects[0].id_of("effect"), Some("order-2"));
            assert_eq!(effects[0].id_of("eff"), None);
            // The rebuilt answer is stored once and replayed from then on.
            assert!(
                s.answer_pending_key("acct", "k2", 201, b"{\"id\":2}")
                    .await
                    .unwrap()
            );
            assert!(
                !s.answer_pending_key("acct", "k2", 201, b"{}")
                    .await
                    .unwrap()
            );
            match claim(s, "k2", 0).await {
                Start::Done(r) => assert_eq!(r, response(b"h1", b"{\"id\":2}")),
                _ => panic!("the rebuilt answer is stored"),
            }
            // A request whose contract is to run again (a login) has its key freed.
            let c = run(claim(s, "k3", STALE).await);
            c.run(effect(s, "session-3")).await.unwrap();
            drop(c);
            assert!(matches!(claim(s, "k3", 0).await, Start::AnswerLost { .. }));
            s.free_pending_key("acct", "k3").await.unwrap();
            assert!(matches!(claim(s, "k3", STALE).await, Start::Run(_)));
            // The effects are sealed at rest like the answers.
            let raw: Vec<u8> = sqlx::query_scalar(
                "SELECT effects FROM idempotency_keys WHERE account_id = 'acct' AND key = 'k2'",
            )
            .fetch_one(s.pool())
            .await
            .unwrap();
            assert!(!raw.windows(7).any(|w| w == b"order-2"));
        })
        .await;
    }

    #[tokio::test]
    async fn only_the_first_commit_takes_the_key_and_unkept_answers_free_it() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let c = run(claim(s, "k1", STALE).await);
            c.run(async {
                effect(s, "first").await.unwrap();
                effect(s, "second").await.unwrap();
            })
            .await;
            c.commit_unkept().await.unwrap();
            assert!(has_effect(s, "first").await && has_effect(s, "second").await);
            assert!(s.idempotent_response("acct", "k1").await.unwrap().is_none());
            assert!(matches!(claim(s, "k1", STALE).await, Start::Run(_)));
        })
        .await;
    }

    #[tokio::test]
    async fn another_instance_that_committed_first_wins() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let other = t.open_another().await;
            let mine = run(claim(s, "k1", STALE).await);
            let theirs = run(claim(&other, "k1", STALE).await);
            theirs.run(effect(&other, "theirs")).await.unwrap();
            assert_eq!(theirs.keep(201, b"theirs").await.unwrap(), Kept::Stored);
            let refused = mine.run(effect(s, "mine")).await;
            assert!(
                matches!(refused, Err(StoreError::Unique { .. })),
                "{refused:?}"
            );
            assert!(mine.taken());
            assert!(
                !has_effect(s, "mine").await,
                "the loser's effects roll back"
            );
            assert_eq!(
                mine.keep(500, b"").await.unwrap(),
                Kept::Lost(Some(response(b"h1", b"theirs")))
            );
        })
        .await;
    }

    #[tokio::test]
    async fn a_pending_key_is_purged_by_its_age_on_the_real_clock() {
        testing::each_backend(async |t| {
            // A second instance whose clock runs 30 days ahead (a simulated one).
            let ahead = chrono::Utc::now() + chrono::Duration::days(30);
            let s = Store::open(crate::StoreConfig {
                clock: Some(std::sync::Arc::new(move || ahead)),
                ..t.config()
            })
            .await
            .unwrap();
            // A completed key: its time is the store's (30 days ahead).
            let c = run(claim(&s, "done", STALE).await);
            assert_eq!(c.keep(201, b"{}").await.unwrap(), Kept::Stored);
            // A pending key (committed, answer not stored): its time is the real clock's.
            let c = run(claim(&s, "pending", STALE).await);
            c.run(effect(&s, "order-p")).await.unwrap();
            drop(c);
            // Keys older than 7 days by the store's clock: none. The pending key is 23 days
            // "older" than that cut-off on the store's clock, but seconds old on the real
            // one, and stays: its retry must never run it again.
            let week = s.now_ms() - 7 * 86_400_000;
            assert_eq!(s.purge_idempotency_keys(week).await.unwrap(), 0);
            assert!(
                s.idempotent_response("acct", "pending")
                    .await
                    .unwrap()
                    .is_some()
            );
            // A completed key 8 days old by the store's clock goes.
            sqlx::query("UPDATE idempotency_keys SET created_at = $1 WHERE key = 'done'")
                .bind(s.now_ms() - 8 * 86_400_000)
                .execute(s.pool())
                .await
                .unwrap();
            assert_eq!(s.purge_idempotency_keys(week).await.unwrap(), 1);
            assert!(
                s.idempotent_response("acct", "done")
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(
                s.idempotent_response("acct", "pending")
                    .await
                    .unwrap()
                    .is_some()
            );
            s.close().await;
        })
        .await;
    }

    #[tokio::test]
    async fn stored_responses_are_sealed_at_rest() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let body = br#"{"certificate_number":"330106199001011234"}"#;
            let c = run(claim(s, "k", STALE).await);
            assert_eq!(c.keep(201, body).await.unwrap(), Kept::Stored);
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
