//! SQLite's one writer connection: writers take turns on it, and commit in groups.
//!
//! # Turns
//! Only one SQLite transaction can write at a time. The store keeps one writer connection
//! behind a fair async mutex: [`Writer::begin`] waits in its queue (at most the store's
//! `write_wait`, then [`StoreError::Busy`]) and never busy-sleeps. The connection has no busy
//! timeout: when another connection (a migration, another process) holds SQLite's write lock,
//! `BEGIN IMMEDIATE` fails at once and is tried again after an async sleep.
//!
//! # Group commit
//! A commit in WAL mode with `synchronous=FULL` writes the transaction's pages and waits for
//! the disk (`fsync`), and nobody else can write meanwhile. When other writers are queued,
//! a transaction that is done does not commit alone: it releases its work into the open
//! SQLite transaction (the *group*), hands the connection to the next writer, and queues
//! again to learn the group's outcome. The next writer works inside a savepoint of the same
//! transaction. The first of a group's members to get a second turn commits the whole group
//! with one `COMMIT`; the others find it done. So queued writers share one disk wait.
//!
//! What a caller sees does not change: [`crate::Tx::commit`] returns `Ok` only once its work
//! is durable, and an error if it is not (the whole group's COMMIT failed, or SQLite rolled
//! the group back). A member that rolls back (explicitly or by being dropped) rolls back to
//! its savepoint and leaves the others' work in the group. A member reads what earlier members
//! of its group wrote, exactly as if they had committed before it began; if the group fails,
//! they all fail. Reads on the read connections see a member's work once the group commits,
//! which is before its `commit` returns. With nobody queued a transaction commits at once,
//! as before (no savepoint), so a lone writer pays nothing.
//!
//! A caller that goes away while waiting for its second turn still has it taken, by a task
//! spawned as its wait is dropped: the group is never left open.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use crate::checkpoint::{BACKSTOP_PAGES, Checkpointer, Poke};
use crate::error::{Result, StoreError};
use crate::lite::LiteConn;

/// The most transactions one group commit covers; a member that would make it larger
/// commits the group at once.
const MAX_GROUP: usize = 32;

/// SQLite's writer: the connection behind the writers' mutex, and how many wait for it.
#[derive(Clone)]
pub(crate) struct Writer {
    /// `None` once the store is closed.
    slot: Arc<Mutex<Option<WriterSlot>>>,
    /// Transactions waiting for a turn (a first one, or a second to learn their group's
    /// outcome).
    waiting: Arc<AtomicUsize>,
    counts: Arc<Counts>,
    /// The background checkpoints ([`crate::checkpoint`]); taken when the store closes.
    checkpointer: Arc<std::sync::Mutex<Option<Checkpointer>>>,
}

/// What the writer committed since the store opened.
#[derive(Default)]
struct Counts {
    transactions: AtomicU64,
    commits: AtomicU64,
}

/// How SQLite's writer has committed since the store opened ([`crate::Store::write_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Transactions whose work was committed.
    pub transactions: u64,
    /// The COMMITs that made them durable (each one disk wait): fewer than `transactions`
    /// when writers queued together shared one.
    pub commits: u64,
    /// Transactions waiting for a turn just now.
    pub waiting: usize,
}

/// The writer connection and its open group.
pub(crate) struct WriterSlot {
    pub(crate) conn: LiteConn,
    /// To reopen the connection if it broke.
    path: PathBuf,
    group: Group,
    counts: Arc<Counts>,
    /// Tells the checkpoint thread after each COMMIT.
    poke: Poke,
}

/// The open group and the outcomes still owed to members of finished ones.
#[derive(Default)]
struct Group {
    /// The open group's number; it moves on when the group is committed or lost.
    id: u64,
    /// Transactions whose work is in the open group, waiting for its COMMIT.
    members: usize,
    /// Finished groups that failed, with how many of their members have yet to learn it.
    failed: HashMap<u64, usize>,
}

impl Group {
    /// The open group ended without being committed: its members will learn it failed.
    fn lost(&mut self) {
        if self.members > 0 {
            self.failed.insert(self.id, self.members);
        }
        self.id += 1;
        self.members = 0;
    }

    /// [`Group::lost`], told now to the member at hand (one of the open group's members).
    fn lost_telling_one(&mut self) {
        self.members = self.members.saturating_sub(1);
        self.lost();
    }

    /// What a member of the finished group `id` learns.
    fn outcome(&mut self, id: u64) -> Result<()> {
        match self.failed.get_mut(&id) {
            None => Ok(()),
            Some(left) => {
                *left -= 1;
                if *left == 0 {
                    self.failed.remove(&id);
                }
                Err(group_failed())
            }
        }
    }
}

/// The error of a member whose group's COMMIT failed or was rolled back by SQLite (the
/// cause is logged by whoever met it).
fn group_failed() -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(
        "the transaction's group commit failed".into(),
    ))
}

impl Writer {
    pub(crate) fn open(path: PathBuf) -> Result<Writer> {
        let conn = open_conn(&path)?;
        let (checkpointer, poke) = Checkpointer::start(&path)?;
        let counts = Arc::new(Counts::default());
        Ok(Writer {
            slot: Arc::new(Mutex::new(Some(WriterSlot {
                conn,
                path,
                group: Group::default(),
                counts: counts.clone(),
                poke,
            }))),
            waiting: Arc::new(AtomicUsize::new(0)),
            counts,
            checkpointer: Arc::new(std::sync::Mutex::new(Some(checkpointer))),
        })
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            transactions: self.counts.transactions.load(Ordering::SeqCst),
            commits: self.counts.commits.load(Ordering::SeqCst),
            waiting: self.waiting.load(Ordering::SeqCst),
        }
    }

    /// Whether transactions wait for a turn.
    pub(crate) fn has_waiting(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) > 0
    }

    /// Takes the connection away for good (the store closes), after those queued before.
    pub(crate) async fn close(&self) {
        // Dropping the slot drops its `Poke`: the checkpoint thread ends.
        drop(self.slot.lock().await.take());
        let checkpointer = self
            .checkpointer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(c) = checkpointer
            && tokio::task::spawn_blocking(move || c.join()).await.is_err()
        {
            tracing::error!("waiting for the checkpoint thread failed");
        }
    }

    /// Waits for a turn, counted among the waiting.
    async fn lock(&self) -> OwnedMutexGuard<Option<WriterSlot>> {
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _counted = Waiting(&self.waiting);
        self.slot.clone().lock_owned().await
    }

    /// A write transaction's turn: waits (until `deadline`, then `Busy`), then begins
    /// `IMMEDIATE`, or joins the open group in a savepoint.
    pub(crate) async fn begin(&self, deadline: tokio::time::Instant) -> Result<WriterTx> {
        let guard = tokio::time::timeout_at(deadline, self.lock())
            .await
            .map_err(|_| StoreError::Busy)?;
        let mut slot = OwnedMutexGuard::try_map(guard, Option::as_mut)
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        let savepoint = start(&mut slot, deadline).await?;
        Ok(WriterTx {
            slot,
            open: true,
            savepoint,
            writer: self.clone(),
        })
    }
}

/// Starts a transaction on the writer; whether it is a savepoint in the open group.
async fn start(slot: &mut WriterSlot, deadline: tokio::time::Instant) -> Result<bool> {
    if slot.group.members > 0 {
        if slot.conn.in_transaction() {
            slot.conn.exec("SAVEPOINT tx")?;
            return Ok(true);
        }
        // SQLite ended the group's transaction (an error that rolls back everything).
        tracing::warn!("an open group commit was rolled back by the database");
        slot.group.lost();
    } else if slot.conn.in_transaction() {
        // Not expected (a transaction rolls back as it is dropped), but never build on what
        // another transaction left open.
        slot.conn.exec("ROLLBACK")?;
    }
    begin_immediate(slot, deadline).await?;
    Ok(false)
}

/// The writer's connection: no busy timeout (see the module doc), and SQLite's own
/// checkpoint only as the backstop of the background one.
fn open_conn(path: &std::path::Path) -> Result<LiteConn> {
    let mut conn = LiteConn::open(path, Duration::ZERO)?;
    conn.set_autocheckpoint(BACKSTOP_PAGES)?;
    Ok(conn)
}

/// `BEGIN IMMEDIATE` on the writer. While another connection holds SQLite's write lock it is
/// tried again after a short async sleep, until `deadline` ([`StoreError::Busy`]). A writer
/// connection that fails otherwise is reopened once.
async fn begin_immediate(slot: &mut WriterSlot, deadline: tokio::time::Instant) -> Result<()> {
    let mut pause = Duration::from_millis(1);
    let mut reopened = false;
    loop {
        let err = match slot.conn.exec("BEGIN IMMEDIATE") {
            Ok(()) => return Ok(()),
            Err(e) => StoreError::from(e),
        };
        if matches!(err, StoreError::Busy) {
            if tokio::time::Instant::now() + pause >= deadline {
                return Err(err);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        } else if reopened {
            return Err(err);
        } else {
            tracing::warn!(error = %err, "the writer connection is reopened");
            slot.conn = open_conn(&slot.path)?;
            reopened = true;
        }
    }
}

impl WriterSlot {
    /// COMMITs the open group (the caller's work is in it). On failure the caller gets the
    /// error and the other members learn of it on their turn.
    fn commit_group(&mut self) -> Result<()> {
        match off_the_workers(|| self.conn.exec("COMMIT")) {
            Ok(()) => {
                let members = u64::try_from(self.group.members).unwrap_or(u64::MAX);
                self.counts
                    .transactions
                    .fetch_add(members, Ordering::SeqCst);
                self.counts.commits.fetch_add(1, Ordering::SeqCst);
                self.poke.after_commit();
                self.group.id += 1;
                self.group.members = 0;
                Ok(())
            }
            Err(e) => {
                let err = StoreError::from(e);
                tracing::error!(error = %err, members = self.group.members, "a group commit failed");
                if self.conn.in_transaction()
                    && let Err(e) = self.conn.exec("ROLLBACK")
                {
                    tracing::warn!(error = %e, "rolling back a failed group commit failed");
                }
                self.group.lost_telling_one();
                Err(err)
            }
        }
    }

    /// A member's second turn: the group's outcome, committing it if nobody did yet.
    fn finish(&mut self, id: u64) -> Result<()> {
        if self.group.id != id {
            return self.group.outcome(id);
        }
        if !self.conn.in_transaction() {
            tracing::warn!("an open group commit was rolled back by the database");
            self.group.lost_telling_one();
            return Err(group_failed());
        }
        self.commit_group()
    }
}

/// Runs `f`, which waits for the disk, without keeping a runtime worker from its other tasks:
/// on a multi-thread runtime the worker's queue goes to another thread meanwhile
/// (`block_in_place`). With two cores and two workers, a worker stuck in `fsync` would
/// otherwise idle half the machine for the commit's disk wait. (`block_in_place` would panic
/// inside a `LocalSet`; nothing here runs the store in one. A current-thread runtime runs `f`
/// as it is.)
fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A group member's second turn, to learn its group's outcome (and COMMIT the group if
/// nobody did yet). It is awaited where the member committed, so the next writer, woken on
/// this thread as the member let go, runs next; if the caller goes away before the turn
/// came, it is taken in a task of its own, so that the group never stays open.
struct SecondTurn {
    writer: Writer,
    group: u64,
    done: bool,
}

impl SecondTurn {
    async fn take(&mut self) -> Result<()> {
        let result = Self::run(&self.writer, self.group).await;
        self.done = true;
        result
    }

    async fn run(writer: &Writer, group: u64) -> Result<()> {
        let mut guard = writer.lock().await;
        match guard.as_mut() {
            Some(slot) => slot.finish(group),
            None => Err(StoreError::Database(sqlx::Error::PoolClosed)),
        }
    }
}

impl Drop for SecondTurn {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (writer, group) = (self.writer.clone(), self.group);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if let Err(e) = Self::run(&writer, group).await {
                        tracing::warn!(error = %e, "a group commit left by its caller failed");
                    }
                });
            }
            Err(_) => tracing::error!("a group commit was left open: no runtime to finish it"),
        }
    }
}

/// An SQLite write transaction's hold on the writer connection.
pub(crate) struct WriterTx {
    slot: OwnedMappedMutexGuard<Option<WriterSlot>, WriterSlot>,
    /// Neither committed nor rolled back yet.
    open: bool,
    /// Runs in a savepoint of the open group (`SAVEPOINT tx`) rather than as its own
    /// `BEGIN`: other transactions' work came first in this SQLite transaction.
    savepoint: bool,
    writer: Writer,
}

impl WriterTx {
    pub(crate) fn conn(&mut self) -> &mut LiteConn {
        &mut self.slot.conn
    }

    /// Commits: at once when nobody waits, or in a group with those queued (see the module
    /// doc). Returns when the work is durable.
    pub(crate) async fn commit(mut self) -> Result<()> {
        if !self.slot.conn.in_transaction() {
            // SQLite rolled the transaction back (an error inside it): nothing to commit,
            // and the group's earlier members lost their work too.
            self.open = false;
            self.slot.group.lost();
            return Err(group_failed());
        }
        if self.savepoint {
            // On failure `open` stays set: dropping `self` rolls back to the savepoint.
            self.slot.conn.exec("RELEASE tx")?;
        }
        self.open = false;
        self.slot.group.members += 1;
        if !self.writer.has_waiting() || self.slot.group.members >= MAX_GROUP {
            return self.slot.commit_group();
        }
        // Hand the open group to the next writer; learn its outcome on a second turn.
        let mut second = SecondTurn {
            writer: self.writer.clone(),
            group: self.slot.group.id,
            done: false,
        };
        drop(self);
        second.take().await
    }

    /// Rolls back this transaction's work (its savepoint, or the whole SQLite transaction
    /// when it is the group's first).
    pub(crate) fn rollback(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        let conn = &mut self.slot.conn;
        if self.savepoint && conn.in_transaction() {
            match conn
                .exec("ROLLBACK TO tx")
                .and_then(|()| conn.exec("RELEASE tx"))
            {
                Ok(()) => return Ok(()),
                Err(e) => tracing::warn!(error = %e, "rolling back to a savepoint failed"),
            }
        }
        let result = match conn.in_transaction() {
            true => conn.exec("ROLLBACK").map_err(StoreError::from),
            false => Ok(()),
        };
        // Nothing of an open group survives a whole rollback.
        self.slot.group.lost();
        result
    }
}

impl Drop for WriterTx {
    /// Dropped while open (an error path, a cancelled request): rolled back here, before the
    /// next writer gets the connection.
    fn drop(&mut self) {
        if let Err(e) = self.rollback() {
            tracing::warn!(error = %e, "rolling back a dropped transaction failed");
        }
    }
}
