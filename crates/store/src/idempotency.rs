//! Idempotency keys for POST requests: the first response for (account, key) is stored with
//! the hash of its request; a repeat with the same hash replays it, another hash is a 422.
//!
//! The server reserves a key before running the request ([`Store::reserve_idempotency_key`]:
//! a row with status 0 and an empty body marks it in progress), then completes the row with
//! the response or releases it. `account_id` is the key's scope: an account id, or `ip:ADDR`
//! for requests without an account (migration 0002 dropped its reference to accounts).
//!
//! Stored response bodies are sealed ([`Field::StoredResponse`]): a replayed order view holds
//! the same personal data the forms keep encrypted.

use sqlx::Row;

use crate::crypto::Field;
use crate::db::{Store, Tx};
use crate::error::Result;

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

/// What [`Store::reserve_idempotency_key`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key was free (or its reservation had gone stale): the caller runs the request and
    /// then completes or releases the key.
    Reserved,
    /// Another request with this key is running; `request_hash` is its hash.
    InProgress { request_hash: Vec<u8> },
    /// The key was used: its stored response.
    Done(IdempotentResponse),
}

/// The status stored while a request is in progress.
const IN_PROGRESS: i64 = 0;

impl Store {
    /// Reserves `(scope, key)` for a request with `request_hash`. A reservation older than
    /// `stale_before_ms` (its request's instance died) is taken over.
    pub async fn reserve_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &[u8],
        stale_before_ms: i64,
    ) -> Result<Reservation> {
        let now = self.now_ms();
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, \
             response_body, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (account_id, key) DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash.to_vec())
        .bind(IN_PROGRESS)
        .bind(Vec::<u8>::new())
        .bind(now)
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Reservation::Reserved);
        }
        let taken_over = sqlx::query(
            "UPDATE idempotency_keys SET request_hash = $1, created_at = $2 \
             WHERE account_id = $3 AND key = $4 AND response_status = $5 AND created_at < $6",
        )
        .bind(request_hash.to_vec())
        .bind(now)
        .bind(scope)
        .bind(key)
        .bind(IN_PROGRESS)
        .bind(stale_before_ms)
        .execute(self.pool())
        .await?;
        if taken_over.rows_affected() == 1 {
            return Ok(Reservation::Reserved);
        }
        match self.idempotent_response(scope, key).await? {
            Some(r) if r.status == IN_PROGRESS => Ok(Reservation::InProgress {
                request_hash: r.request_hash,
            }),
            Some(r) => Ok(Reservation::Done(r)),
            // Released between the insert and the read: the caller may simply retry.
            None => Ok(Reservation::InProgress {
                request_hash: request_hash.to_vec(),
            }),
        }
    }

    /// Stores the response of a reserved key.
    pub async fn complete_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        status: i64,
        body: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET response_status = $1, response_body = $2 \
             WHERE account_id = $3 AND key = $4 AND response_status = $5",
        )
        .bind(status)
        .bind(self.crypto().seal(Field::StoredResponse, body))
        .bind(scope)
        .bind(key)
        .bind(IN_PROGRESS)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Frees a reserved key whose request should not be replayed (it failed inside, or its
    /// response carries a secret), so a retry runs again.
    pub async fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 \
             AND response_status = $3",
        )
        .bind(scope)
        .bind(key)
        .bind(IN_PROGRESS)
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
            // A reservation in progress has no body yet; a completed one is sealed.
            let body = if status == IN_PROGRESS {
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

    #[tokio::test]
    async fn reserve_complete_replay_and_release() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let now = s.now().timestamp_millis();
            let stale = now - 60_000;
            let r = s.reserve_idempotency_key("ip:127.0.0.1", "k1", b"h1", stale);
            assert_eq!(r.await.unwrap(), Reservation::Reserved);
            let again = s.reserve_idempotency_key("ip:127.0.0.1", "k1", b"h1", stale);
            assert_eq!(
                again.await.unwrap(),
                Reservation::InProgress {
                    request_hash: b"h1".to_vec()
                }
            );
            // Another scope is another key.
            let other = s.reserve_idempotency_key("ip:10.0.0.1", "k1", b"h1", stale);
            assert_eq!(other.await.unwrap(), Reservation::Reserved);
            s.complete_idempotency_key("ip:127.0.0.1", "k1", 201, b"{}")
                .await
                .unwrap();
            let done = s.reserve_idempotency_key("ip:127.0.0.1", "k1", b"h2", stale);
            assert_eq!(
                done.await.unwrap(),
                Reservation::Done(IdempotentResponse {
                    request_hash: b"h1".to_vec(),
                    status: 201,
                    body: b"{}".to_vec(),
                })
            );
            // Released keys are free again; a stale reservation is taken over.
            s.release_idempotency_key("ip:10.0.0.1", "k1")
                .await
                .unwrap();
            let freed = s.reserve_idempotency_key("ip:10.0.0.1", "k1", b"h3", stale);
            assert_eq!(freed.await.unwrap(), Reservation::Reserved);
            let taken = s.reserve_idempotency_key("ip:10.0.0.1", "k1", b"h4", now + 60_000);
            assert_eq!(taken.await.unwrap(), Reservation::Reserved);
        })
        .await;
    }

    #[tokio::test]
    async fn stored_responses_are_sealed_at_rest() {
        testing::each_backend(async |t| {
            let s = &t.store;
            let stale = s.now().timestamp_millis() - 60_000;
            let body = br#"{"certificate_number":"330106199001011234"}"#;
            let r = s.reserve_idempotency_key("acct", "k", b"h", stale);
            assert_eq!(r.await.unwrap(), Reservation::Reserved);
            s.complete_idempotency_key("acct", "k", 201, body)
                .await
                .unwrap();
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
