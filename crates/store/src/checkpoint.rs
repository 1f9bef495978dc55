//! SQLite's checkpoints, off the writer (issue 14, round 5).
//!
//! In WAL mode a commit appends the pages it changed to the `-wal` file; a checkpoint copies
//! them back into the database file and fsyncs both, so that the log can start over. By
//! default the connection that commits runs it, inside its COMMIT, each time the log passes
//! 1,000 pages: every few dozen commits one writer, and every writer queued behind it, waited
//! for megabytes to be copied and two more fsyncs. Here a thread of its own, on a connection
//! of its own, runs PASSIVE checkpoints (they wait for no reader and no writer) after
//! commits, at most once per [`GAP`]. The writer keeps SQLite's own checkpoint as a backstop,
//! at [`BACKSTOP_PAGES`], should this thread fall behind.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Result, StoreError};
use crate::lite::LiteConn;

/// The shortest time between two checkpoints: commits meanwhile are copied by one.
const GAP: Duration = Duration::from_millis(250);

/// The writer checkpoints itself once the log holds this many pages (40 MB of 4 KB pages).
pub(crate) const BACKSTOP_PAGES: u32 = 10_000;

/// The checkpoint thread. It ends once every [`Poke`] is dropped (the writer closed).
pub(crate) struct Checkpointer {
    thread: JoinHandle<()>,
}

/// Tells the checkpoint thread that commits happened; cheap, never blocks.
pub(crate) struct Poke(SyncSender<()>);

impl Poke {
    pub(crate) fn after_commit(&self) {
        if let Err(TrySendError::Disconnected(())) = self.0.try_send(()) {
            tracing::warn!("the checkpoint thread is gone; the writer's backstop checkpoints");
        }
        // `Full`: already told, a checkpoint is due.
    }
}

impl Checkpointer {
    /// Opens the thread's connection to the database at `path` and starts it.
    pub(crate) fn start(path: &Path) -> Result<(Checkpointer, Poke)> {
        let conn = LiteConn::open(path, Duration::ZERO)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("beian-checkpoint".into())
            .spawn(move || run(conn, &rx))
            .map_err(|source| StoreError::Io {
                what: "checkpoint thread",
                source,
            })?;
        Ok((Checkpointer { thread }, Poke(tx)))
    }

    /// Waits for the thread to end (after the writer, and so every [`Poke`], is gone).
    pub(crate) fn join(self) {
        if self.thread.join().is_err() {
            tracing::error!("the checkpoint thread panicked");
        }
    }
}

fn run(mut conn: LiteConn, pokes: &Receiver<()>) {
    while pokes.recv().is_ok() {
        match conn.checkpoint_passive() {
            Ok((log, done)) => tracing::trace!(log, done, "checkpoint"),
            // Not fatal: the next poke tries again, and the writer's backstop bounds the log.
            Err(e) => tracing::warn!(error = %e, "a background checkpoint failed"),
        }
        std::thread::sleep(GAP);
    }
}
