//! Loading a legacy export into the `legacy_accounts` table (`beian import wanwang FILE`):
//! one transaction per record, so an interrupted run keeps what it loaded; the loaded rows
//! are the progress, so a re-run skips them (same record digest) and refuses a different
//! record under a loaded username. Every refused record is reported with its line and
//! reasons; nothing of it is written.

use std::io::BufRead;
use std::ops::ControlFlow;
use std::path::Path;

use beian_store::legacy::LoadOutcome;
use beian_store::{Store, StoreError};

use super::format::{RecordRefusal, parse_record, record_digest};

/// What loading one line did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    Loaded,
    /// Loaded by an earlier run.
    AlreadyLoaded,
    Refused(RecordRefusal),
}

/// A refused line of the export (1-based line number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLine {
    pub line: usize,
    pub refusal: RecordRefusal,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Records looked at (non-blank lines).
    pub seen: usize,
    pub loaded: usize,
    pub already_loaded: usize,
    pub refused: Vec<RefusedLine>,
    /// Whether the run stopped before the end (asked to by the progress callback).
    pub interrupted: bool,
}

/// Loads one export line, in its own transaction.
pub async fn load_line(store: &Store, actor: &str, line: &str) -> Result<LineOutcome, StoreError> {
    let record = match parse_record(line) {
        Ok(r) => r,
        Err(refusal) => return Ok(LineOutcome::Refused(refusal)),
    };
    let username = record.legacy_username.trim().to_owned();
    let mut tx = store.begin().await?;
    let outcome = tx
        .load_legacy_account(
            actor,
            &username,
            record.password_hash.trim(),
            line.trim(),
            &record_digest(line),
        )
        .await?;
    tx.commit().await?;
    Ok(match outcome {
        LoadOutcome::Loaded => LineOutcome::Loaded,
        LoadOutcome::AlreadyLoaded => LineOutcome::AlreadyLoaded,
        LoadOutcome::OtherRecord => LineOutcome::Refused(RecordRefusal::with_reason(
            Some(username),
            "legacy_username",
            "sponsor.legacy.other_record",
        )),
    })
}

fn read_error(source: std::io::Error) -> StoreError {
    StoreError::Io {
        what: "legacy export",
        source,
    }
}

/// The number of records (non-blank lines) in an export, for a progress bar.
pub fn count_records(path: &Path) -> Result<usize, StoreError> {
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut n = 0;
    for line in std::io::BufReader::new(file).lines() {
        if !line.map_err(read_error)?.trim().is_empty() {
            n += 1;
        }
    }
    Ok(n)
}

/// Loads every record of the export at `path`. After each record, `after` gets the report so
/// far and may stop the run (`ControlFlow::Break`), as an interruption would.
pub async fn load_export(
    store: &Store,
    actor: &str,
    path: &Path,
    mut after: impl FnMut(&LoadReport) -> ControlFlow<()>,
) -> Result<LoadReport, StoreError> {
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut report = LoadReport::default();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(read_error)?;
        if line.trim().is_empty() {
            continue;
        }
        report.seen += 1;
        match load_line(store, actor, &line).await? {
            LineOutcome::Loaded => report.loaded += 1,
            LineOutcome::AlreadyLoaded => report.already_loaded += 1,
            LineOutcome::Refused(refusal) => report.refused.push(RefusedLine {
                line: i + 1,
                refusal,
            }),
        }
        if after(&report).is_break() {
            report.interrupted = true;
            break;
        }
    }
    Ok(report)
}
