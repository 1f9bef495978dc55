//! The edge gate (先备案后接入, 谁接入谁负责): which registrable domains have an active access
//! record here, in memory, answering "may this host be served?" on every request of an edge
//! (nginx `auth_request`) or TLS handshake (Caddy on-demand TLS `ask`).
//!
//! [`GateIndex`] is a [`frozen::Frozen`] index (see there for the layout and why) plus a
//! small overlay of the changes since it was built. [`GateIndex::load`] reads the whole
//! `gate_domains` table once at start; [`follow`] then applies the store's change log
//! (`beian_store::gate`) from the id read before the load: woken by PostgreSQL NOTIFY, or
//! polling every [`SQLITE_POLL`] on SQLite, so a change is visible within a second on any
//! instance, and the table is never read whole again. When the overlay grows past
//! [`COMPACT_AT`] entries, a new frozen index is built from the old one and the overlay, in
//! memory, off the async threads.
//!
//! A host is served when its registrable domain ([`Domain::registrable_of_host`]) is in the
//! index; IP literals, bare public suffixes and empty hosts never are.

pub mod frozen;
pub mod host;

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use beian_core::domain::Domain;
use beian_store::StoreError;
use beian_store::gate::{AccessChange, GateFeed};

use frozen::{Builder, Frozen};

/// Overlay size that triggers a rebuild of the frozen index.
pub const COMPACT_AT: usize = 65_536;
/// How often the follower reads the change log when nothing wakes it (SQLite).
pub const SQLITE_POLL: Duration = Duration::from_millis(200);
/// The same on PostgreSQL, where NOTIFY wakes it at once (a safety net only).
pub const POSTGRES_POLL: Duration = Duration::from_secs(1);
/// Changes read at a time.
const BATCH: i64 = 10_000;

/// Why the gate could not load or follow.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot read the accessed domains: {0}")]
    Store(#[from] StoreError),
    #[error("cannot build the index: {0}")]
    Build(#[from] frozen::BuildError),
}

/// What the index holds now.
struct State {
    frozen: Arc<Frozen>,
    /// name → served, for names changed since `frozen` was built, with the change id.
    overlay: HashMap<Box<str>, (bool, i64)>,
    len: usize,
}

/// The in-memory index of the registrable domains accessed here.
pub struct GateIndex {
    state: RwLock<State>,
    /// The newest change id applied.
    applied: AtomicI64,
    /// Unix milliseconds of the follower's last successful read (0: never).
    followed_at: AtomicI64,
    started: Instant,
}

impl std::fmt::Debug for GateIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GateIndex")
            .field("len", &self.len())
            .field("applied", &self.applied_change())
            .finish_non_exhaustive()
    }
}

/// Whether a host may be served, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Its registrable domain has an active access record here.
    Served(Domain),
    /// A domain, not accessed here.
    NotAccessed(Domain),
    /// Not a domain one can file (IP literal, public suffix, empty, malformed).
    NotADomain,
}

impl Decision {
    pub fn served(&self) -> bool {
        matches!(self, Decision::Served(_))
    }
}

impl GateIndex {
    /// An empty index (as if no domain were accessed), following from change `after`.
    pub fn empty(after: i64) -> GateIndex {
        GateIndex::from_frozen(Frozen::empty(RandomState::new()), after)
    }

    fn from_frozen(frozen: Frozen, after: i64) -> GateIndex {
        let len = frozen.len();
        GateIndex {
            state: RwLock::new(State {
                frozen: Arc::new(frozen),
                overlay: HashMap::new(),
                len,
            }),
            applied: AtomicI64::new(after),
            followed_at: AtomicI64::new(0),
            started: Instant::now(),
        }
    }

    /// Loads every accessed domain; the change log is to be followed from the id returned
    /// in [`GateIndex::applied_change`] (read before the load, so nothing is missed).
    pub async fn load(feed: &GateFeed) -> Result<GateIndex, GateError> {
        let started = Instant::now();
        let after = feed.last_change_id().await?;
        // The database aggregates the next chunk while a blocking thread hashes this one.
        let (chunks, received) = std::sync::mpsc::channel::<String>();
        let building = tokio::task::spawn_blocking(move || {
            let mut builder = Builder::new(RandomState::new());
            for text in received {
                text.split('\n').for_each(|name| builder.push(name));
            }
            let read = Instant::now();
            builder.build().map(|frozen| (frozen, read.elapsed()))
        });
        let loaded = feed
            .load_chunks(|text| {
                // The builder only stops early by panicking; the join below reports it.
                let _ = chunks.send(text);
            })
            .await;
        drop(chunks);
        let built = building
            .await
            .map_err(|_| StoreError::Corrupt("gate index build"));
        loaded?;
        let (frozen, sort) = built??;
        tracing::info!(
            domains = frozen.len(),
            total_ms = started.elapsed().as_millis() as u64,
            sort_ms = sort.as_millis() as u64,
            "gate index loaded"
        );
        let index = GateIndex::from_frozen(frozen, after);
        index.mark_followed();
        Ok(index)
    }

    /// Whether `name` (a normalised registrable domain) is accessed here.
    pub fn contains(&self, name: &str) -> bool {
        let Ok(state) = self.state.read() else {
            return false;
        };
        match state.overlay.get(name) {
            Some(&(served, _)) => served,
            None => state.frozen.contains(name),
        }
    }

    /// Whether a host as an edge sends it may be served: [`GateIndex::decide`]'s answer
    /// without building a [`Decision`] (no allocation for a plain ASCII host, see
    /// [`host`]): the `/gate` hot path.
    pub fn serves(&self, host: &str) -> bool {
        host::with_registrable(host, |name| self.contains(name)).unwrap_or(false)
    }

    /// The gate's answer for a host as an edge sends it.
    pub fn decide(&self, host: &str) -> Decision {
        match Domain::registrable_of_host(host) {
            Ok(d) if self.contains(d.as_str()) => Decision::Served(d),
            Ok(d) => Decision::NotAccessed(d),
            Err(_) => Decision::NotADomain,
        }
    }

    /// How many domains are served.
    pub fn len(&self) -> usize {
        self.state.read().map(|s| s.len).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest change applied.
    pub fn applied_change(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    /// Time since the follower last read the change log successfully (`None`: never).
    pub fn since_followed(&self) -> Option<Duration> {
        match self.followed_at.load(Ordering::Acquire) {
            0 => None,
            ms => {
                let now = self.started.elapsed().as_millis();
                let at = u128::try_from(ms).unwrap_or(0);
                Some(Duration::from_millis(
                    u64::try_from(now.saturating_sub(at)).unwrap_or(u64::MAX),
                ))
            }
        }
    }

    fn mark_followed(&self) {
        let ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.followed_at.store(ms.max(1), Ordering::Release);
    }

    /// Every served name, sorted (for `beian gate export`).
    pub fn names(&self) -> Vec<String> {
        let Ok(state) = self.state.read() else {
            return Vec::new();
        };
        let mut names: Vec<String> = state
            .frozen
            .names()
            .filter(|n| !state.overlay.contains_key(*n))
            .map(str::to_owned)
            .collect();
        names.extend(
            state
                .overlay
                .iter()
                .filter(|(_, (served, _))| *served)
                .map(|(n, _)| n.to_string()),
        );
        names.sort_unstable();
        names
    }

    /// Applies changes in order (ids must follow [`GateIndex::applied_change`]).
    pub fn apply(&self, changes: &[AccessChange]) {
        let Ok(mut state) = self.state.write() else {
            return;
        };
        for c in changes {
            let was = match state.overlay.get(c.domain.as_str()) {
                Some(&(served, _)) => served,
                None => state.frozen.contains(&c.domain),
            };
            if was != c.active {
                if c.active {
                    state.len += 1;
                } else {
                    state.len = state.len.saturating_sub(1);
                }
            }
            state
                .overlay
                .insert(c.domain.as_str().into(), (c.active, c.id));
            self.applied.fetch_max(c.id, Ordering::AcqRel);
        }
    }

    fn overlay_len(&self) -> usize {
        self.state.read().map(|s| s.overlay.len()).unwrap_or(0)
    }

    /// Rebuilds the frozen index with the overlay folded in. Runs on a blocking thread;
    /// changes applied meanwhile stay in the overlay.
    pub async fn compact(self: &Arc<Self>) -> Result<(), GateError> {
        let (frozen, overlay, cut) = {
            let Ok(state) = self.state.read() else {
                return Ok(());
            };
            (
                state.frozen.clone(),
                state.overlay.clone(),
                self.applied_change(),
            )
        };
        let rebuilt = tokio::task::spawn_blocking(move || {
            let mut b = Builder::with_capacity(frozen.hasher().clone(), frozen.len(), 20);
            for name in frozen.names() {
                if !overlay.contains_key(name) {
                    b.push(name);
                }
            }
            for (name, (served, _)) in &overlay {
                if *served {
                    b.push(name);
                }
            }
            b.build()
        })
        .await
        .map_err(|_| StoreError::Corrupt("gate index build"))??;
        if let Ok(mut state) = self.state.write() {
            state.frozen = Arc::new(rebuilt);
            state.overlay.retain(|_, (_, id)| *id > cut);
        }
        Ok(())
    }

    /// Reads and applies every change after the newest applied one; returns how many.
    pub async fn catch_up(&self, feed: &GateFeed) -> Result<usize, GateError> {
        let mut total = 0;
        loop {
            let changes = feed.changes_after(self.applied_change(), BATCH).await?;
            self.apply(&changes);
            total += changes.len();
            if changes.len() < BATCH as usize {
                break;
            }
        }
        self.mark_followed();
        Ok(total)
    }
}

/// Follows the change log for ever (until the task is aborted): wakes on NOTIFY
/// (PostgreSQL) or every [`SQLITE_POLL`], applies new changes, compacts when the overlay is
/// large. Errors are logged and retried; `/healthz` of a gate tells when following stalls.
pub async fn follow(index: Arc<GateIndex>, feed: GateFeed) {
    let poll = match feed.backend() {
        beian_store::Backend::Sqlite => SQLITE_POLL,
        beian_store::Backend::Postgres => POSTGRES_POLL,
    };
    let mut listener = None;
    let mut listen_retry = Instant::now();
    loop {
        if listener.is_none() && Instant::now() >= listen_retry {
            match feed.listen().await {
                Ok(l) => listener = l,
                Err(e) => {
                    tracing::warn!(error = %e, "gate: cannot LISTEN; polling");
                    listen_retry = Instant::now() + Duration::from_secs(10);
                }
            }
        }
        if let Err(e) = index.catch_up(&feed).await {
            tracing::warn!(error = %e, "gate: cannot read the change log");
        }
        if index.overlay_len() >= COMPACT_AT
            && let Err(e) = index.compact().await
        {
            tracing::warn!(error = %e, "gate: cannot rebuild the index");
        }
        match listener.as_mut() {
            Some(l) => {
                if let Err(e) = l.wait(poll).await {
                    tracing::warn!(error = %e, "gate: LISTEN connection lost; polling");
                    listener = None;
                    listen_retry = Instant::now() + Duration::from_secs(1);
                    tokio::time::sleep(poll.min(SQLITE_POLL)).await;
                }
            }
            None => tokio::time::sleep(SQLITE_POLL.min(poll)).await,
        }
    }
}

#[cfg(test)]
mod tests;
