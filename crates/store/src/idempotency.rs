//! Idempotency keys for POST requests: the first response for (account, key) is stored with
//! the hash of its request; a repeat with the same hash replays it, another hash is a 422.

use sqlx::Row;

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
        .bind(resp.body.clone())
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Store {
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
            Ok(IdempotentResponse {
                request_hash: r.try_get("request_hash")?,
                status: r.try_get("response_status")?,
                body: r.try_get("response_body")?,
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
