//! What the edge gate (先备案后接入) reads: `gate_domains`, the registrable domains with an
//! active access record here, and `access_changes`, the append-only log of every change to it.
//!
//! Writes: every access-record change goes through [`Tx::insert_access`] or
//! [`Tx::set_access_status`] (crate::accesses), which call [`Tx::record_access_change`] in the
//! same transaction. On PostgreSQL that takes a transaction-scoped advisory lock first, so the
//! `BIGSERIAL` ids commit in id order (a follower reading `id > last` can never see 12 before
//! 11 commits), and sends `NOTIFY beian_access_changes` (delivered at commit). On SQLite the
//! write lock (`BEGIN IMMEDIATE`) already orders them.
//!
//! Reads: [`GateFeed`] needs only a database URL with read rights on those two tables: it
//! runs no migrations and needs no data key (`beian gate serve`). A gate reads
//! [`GateFeed::last_change_id`], then [`GateFeed::load`] (the whole table once: on SQLite in
//! chunks aggregated by the database into one text value each, so 5 M rows cost ~50 round
//! trips; on PostgreSQL one `COPY … TO STDOUT`), then follows [`GateFeed::changes_after`]
//! from that id. Every change carries the resulting
//! state (served or not), so replaying one the load already saw is harmless.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

use beian_core::domain::Domain;

use crate::db::{Backend, Store, Tx};
use crate::error::{Result, StoreError};

/// The PostgreSQL channel gates LISTEN on.
pub const CHANNEL: &str = "beian_access_changes";

/// Advisory lock key serialising appends to `access_changes` on PostgreSQL ("beiangat").
const APPEND_LOCK: i64 = 0x6265_6961_6e67_6174;

/// Rows aggregated into one value by [`GateFeed::load`] on SQLite.
const LOAD_CHUNK: i64 = 100_000;

/// Bytes of whole lines handed on at a time by PostgreSQL's `COPY` load.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessChange {
    pub id: i64,
    /// The registrable domain, normalised.
    pub domain: String,
    /// Whether the domain is served from this change on.
    pub active: bool,
}

/// The registrable domain a website's stored domain is filed under (`None` if it is not a
/// domain: a legacy row that predates validation; it is then never served).
pub fn gate_domain(stored: &str) -> Option<String> {
    Domain::parse(stored)
        .ok()
        .map(|d| d.registrable().as_str().to_owned())
}

impl Tx {
    /// Records that `access_id` now is (`active`) or is no longer served: appends to
    /// `access_changes` and updates `gate_domains`. Called by the access-record writes.
    pub(crate) async fn record_access_change(
        &mut self,
        access_id: &str,
        active: bool,
    ) -> Result<()> {
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT w.domain FROM accesses a JOIN websites w ON w.id = a.website_id \
             WHERE a.id = $1",
        )
        .bind(access_id)
        .fetch_optional(self.conn())
        .await?;
        let Some(domain) = stored.as_deref().and_then(gate_domain) else {
            tracing::warn!(
                access = access_id,
                "access record without a valid domain: not served"
            );
            return Ok(());
        };
        let postgres = self.store.backend() == Backend::Postgres;
        if postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(APPEND_LOCK)
                .execute(self.conn())
                .await?;
        }
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO access_changes (access_id, domain, active, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(access_id)
        .bind(&domain)
        .bind(i64::from(active))
        .bind(now)
        .execute(self.conn())
        .await?;
        if active {
            sqlx::query(
                "INSERT INTO gate_domains (domain, access_id) VALUES ($1, $2) \
                 ON CONFLICT (domain) DO UPDATE SET access_id = excluded.access_id",
            )
            .bind(&domain)
            .bind(access_id)
            .execute(self.conn())
            .await?;
        } else {
            sqlx::query("DELETE FROM gate_domains WHERE domain = $1 AND access_id = $2")
                .bind(&domain)
                .bind(access_id)
                .execute(self.conn())
                .await?;
        }
        if postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANNEL)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }
}

/// The gate's read-only view of the database.
#[derive(Debug, Clone)]
pub struct GateFeed {
    pool: AnyPool,
    backend: Backend,
    /// For LISTEN on PostgreSQL.
    url: String,
}

impl Store {
    /// A feed over this store's database (the gate inside `beian serve`).
    pub fn gate_feed(&self) -> GateFeed {
        GateFeed {
            pool: self.inner.pool.clone(),
            backend: self.inner.backend,
            url: self.inner.url.clone(),
        }
    }
}

impl GateFeed {
    /// Connects with read rights only: no migrations, no data key (`beian gate serve`).
    pub async fn connect(url: &str) -> Result<GateFeed> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(GateFeed {
            pool,
            backend,
            url: url.to_owned(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The newest change id (0 when none).
    pub async fn last_change_id(&self) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM access_changes")
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    /// Calls `each` with every served domain, in chunks aggregated by the database (see
    /// [`GateFeed::load_chunks`]); the number of domains.
    pub async fn load(&self, mut each: impl FnMut(&str)) -> Result<u64> {
        self.load_chunks(|text| text.split('\n').for_each(&mut each))
            .await
    }

    /// Calls `each` with every served domain, as chunks of up to 100,000 names separated by
    /// `\n` (one value aggregated by the database each, so 5 M rows cost ~50 round trips and
    /// no per-row decoding); the number of domains. The caller may hand each chunk to another
    /// thread while the next one is read.
    pub async fn load_chunks(&self, mut each: impl FnMut(String)) -> Result<u64> {
        if self.backend == Backend::Postgres {
            return self.copy_chunks(each).await;
        }
        let query = match self.backend {
            Backend::Sqlite => {
                "SELECT group_concat(domain, char(10)) FROM \
                 (SELECT domain FROM gate_domains WHERE domain > $1 ORDER BY domain LIMIT $2)"
            }
            Backend::Postgres => {
                "SELECT string_agg(domain, E'\\n') FROM \
                 (SELECT domain FROM gate_domains WHERE domain > $1 ORDER BY domain LIMIT $2) s"
            }
        };
        let mut after = String::new();
        let mut total = 0u64;
        loop {
            let text: Option<String> = sqlx::query_scalar(query)
                .bind(&after)
                .bind(LOAD_CHUNK)
                .fetch_one(&self.pool)
                .await?;
            let Some(text) = text else {
                break;
            };
            // The chunk's largest name is where the next one starts (the aggregate's own
            // order is not relied on).
            let (mut count, mut last) = (0i64, "");
            for name in text.split('\n') {
                count += 1;
                last = last.max(name);
            }
            let last = last.to_owned();
            total += u64::try_from(count).unwrap_or(0);
            each(text);
            if count < LOAD_CHUNK {
                break;
            }
            after = last;
        }
        Ok(total)
    }

    /// PostgreSQL's load: one `COPY … TO STDOUT` in text format on its own connection (a
    /// sequential scan streamed without sorting or per-row decoding, one row per message),
    /// handed on in chunks of about [`COPY_CHUNK_BYTES`] of whole lines. The names need no
    /// unescaping: a stored registrable domain is lower-case ASCII (punycode) without the
    /// tab, backslash or newline that text COPY would escape.
    async fn copy_chunks(&self, mut each: impl FnMut(String)) -> Result<u64> {
        use futures_util::TryStreamExt;
        use sqlx::Connection;

        let mut conn = sqlx::postgres::PgConnection::connect(&self.url).await?;
        let mut total = 0u64;
        {
            let mut rows = conn
                .copy_out_raw("COPY (SELECT domain FROM gate_domains) TO STDOUT")
                .await?;
            let mut chunk: Vec<u8> = Vec::with_capacity(COPY_CHUNK_BYTES + 256);
            let mut hand_on = |chunk: &mut Vec<u8>| -> Result<()> {
                // Each message is whole rows ending in '\n': drop the last one so that
                // splitting on '\n' yields exactly the names.
                if chunk.last() == Some(&b'\n') {
                    chunk.pop();
                }
                let bytes = std::mem::replace(chunk, Vec::with_capacity(COPY_CHUNK_BYTES + 256));
                let text = String::from_utf8(bytes).map_err(|_| {
                    StoreError::Corrupt("gate_domains holds a name that is not UTF-8")
                })?;
                total += text.split('\n').count() as u64;
                each(text);
                Ok(())
            };
            while let Some(message) = rows.try_next().await? {
                chunk.extend_from_slice(&message);
                if chunk.len() >= COPY_CHUNK_BYTES {
                    hand_on(&mut chunk)?;
                }
            }
            if !chunk.is_empty() {
                hand_on(&mut chunk)?;
            }
        }
        conn.close().await?;
        Ok(total)
    }

    /// Changes after `id`, oldest first, at most `limit`.
    pub async fn changes_after(&self, id: i64, limit: i64) -> Result<Vec<AccessChange>> {
        sqlx::query(
            "SELECT id, domain, active FROM access_changes WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(AccessChange {
                id: r.try_get("id")?,
                domain: r.try_get("domain")?,
                active: r.try_get::<i64, _>("active")? == 1,
            })
        })
        .collect()
    }

    /// On PostgreSQL, a listener woken by every committed change; `None` on SQLite.
    pub async fn listen(&self) -> Result<Option<GateListener>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(GateListener { listener }))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// A PostgreSQL LISTEN connection on [`CHANNEL`].
#[derive(Debug)]
pub struct GateListener {
    listener: sqlx::postgres::PgListener,
}

impl GateListener {
    /// Waits for a notification (`Ok(true)`) or `timeout` (`Ok(false)`).
    pub async fn wait(&mut self, timeout: Duration) -> Result<bool> {
        match tokio::time::timeout(timeout, self.listener.recv()).await {
            Ok(Ok(_)) => Ok(true),
            Ok(Err(e)) => Err(StoreError::Database(e)),
            Err(_) => Ok(false),
        }
    }
}
