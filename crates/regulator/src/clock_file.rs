//! A simulated clock that survives a restart: each move of `POST /sim/clock/advance` is
//! written to `simulated-clock` in the simulator's data dir (RFC 3339, mode 0600, replaced
//! atomically before the move is answered), and a server started with `--simulated-clock` on that dir
//! resumes from it, or from the real time if that is later. Without it a restarted demo (or
//! the crash suite's killed server) would go back in time, and a deadline already met would
//! be met again.

use std::path::Path;

use chrono::{DateTime, Utc};

/// The file's name in the simulator's data dir.
pub const FILE_NAME: &str = "simulated-clock";

/// Where a simulated clock in the simulator's data dir `dir` starts: the kept reading, or now
/// if that is later (or nothing was kept, or it cannot be read).
pub fn resume(dir: &Path) -> DateTime<Utc> {
    let now = Utc::now();
    std::fs::read_to_string(dir.join(FILE_NAME))
        .ok()
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.with_timezone(&Utc))
        .map_or(now, |kept| kept.max(now))
}

/// Keeps `now` as the clock's reading in `dir` (a temporary file renamed over the old one, so
/// a crash leaves the old reading or the new, never half of one).
pub fn keep(dir: &Path, now: DateTime<Utc>) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(&tmp)?;
    file.write_all(crate::ts(now).as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_reading_ahead_of_now_is_resumed_one_behind_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let before = Utc::now();
        assert!(resume(dir.path()) >= before, "nothing kept: now");
        let ahead = before + chrono::Duration::days(30);
        keep(dir.path(), ahead).unwrap();
        let resumed = resume(dir.path());
        assert_eq!(crate::ts(resumed), crate::ts(ahead));
        keep(dir.path(), before - chrono::Duration::days(1)).unwrap();
        assert!(resume(dir.path()) >= before, "a reading in the past: now");
    }
}
