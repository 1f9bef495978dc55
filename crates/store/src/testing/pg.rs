//! PostgreSQL for tests: an external server (`BEIAN_TEST_DATABASE_URL`) or a throwaway
//! cluster started once per test process.
//!
//! # Lifecycle of the throwaway cluster
//! The first test that asks starts it (a `OnceLock`): `initdb` into a temp dir, `pg_ctl start`
//! on a free loopback port with the unix socket in the same temp dir, durability off
//! (`fsync=off`) since the data is thrown away. As root, both run as the `postgres` user
//! (`runuser -u postgres --`) and the temp dir is chowned to it.
//!
//! Rust's test harness runs no destructors of statics at exit, so the cluster is stopped by
//! a **reaper**: a small `sh` process, started in its own process group (so a Ctrl-C to the
//! test process does not kill it), that polls the test process's pid every second and, once
//! it is gone — normal exit, panic, or SIGKILL alike — runs `pg_ctl stop -m immediate` and
//! removes the temp dir. So no cluster outlives its test process by more than about a
//! second, whatever way the process ends.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use sqlx::{Connection, Executor};

use super::s3::free_port;

/// Where tests may create databases.
#[derive(Debug)]
pub struct PgServer {
    /// A URL to a maintenance database (`postgres`) with the right to create databases.
    pub admin_url: String,
}

static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();

/// The server for this process, or `None` (after a notice) when unavailable outside CI.
pub fn server() -> Option<&'static PgServer> {
    let s = SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("BEIAN_TEST_DATABASE_URL")
            && !url.trim().is_empty()
        {
            return Some(PgServer { admin_url: url });
        }
        find_bin_dir().map(|bin| start_cluster(&bin))
    });
    if s.is_none() {
        if super::in_ci() {
            panic!(
                "PostgreSQL unavailable and CI=true: set BEIAN_TEST_DATABASE_URL or install \
                 the server (apt-get install postgresql)"
            );
        }
        eprintln!(
            "[beian-store test] NOTICE: PostgreSQL not found (no BEIAN_TEST_DATABASE_URL, no \
             initdb/pg_ctl); PostgreSQL half of the test skipped"
        );
    }
    s.as_ref()
}

fn find_bin_dir() -> Option<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if has(&d) {
                return Some(d);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command that runs `program` as the postgres user when we are root.
fn pg_command(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str, log: Option<&Path>) {
    let out = c
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    if !out.status.success() {
        let log_text = log
            .and_then(|l| std::fs::read_to_string(l).ok())
            .unwrap_or_default();
        panic!(
            "{what} failed: {}\n{}\n{}\n{log_text}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn start_cluster(bin: &Path) -> PgServer {
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("beian-pg-")
        .tempdir()
        .unwrap_or_else(|e| panic!("temp dir: {e}"))
        .keep();
    let data = dir.join("data");
    let log = dir.join("postgres.log");
    if root {
        let mut c = Command::new("chown");
        c.args(["-R", "postgres:"]).arg(&dir);
        run(c, "chown temp dir to postgres", None);
    }
    // The reaper first, so even a failed start is cleaned up.
    spawn_reaper(root, bin, &dir, &data);

    let mut c = pg_command(root, &bin.join("initdb"));
    c.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-locale",
        "--no-sync",
    ]);
    run(c, "initdb", None);

    let port = free_port();
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=300",
        dir.display()
    );
    let mut c = pg_command(root, &bin.join("pg_ctl"));
    c.arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "-o", &opts, "start"]);
    run(c, "pg_ctl start", Some(&log));
    eprintln!(
        "[beian-store test] started a throwaway PostgreSQL cluster in {} on port {port}",
        dir.display()
    );
    PgServer {
        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    }
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

// The reaper must outlive us, so it is deliberately never waited for.
#[allow(clippy::zombie_processes)]
fn spawn_reaper(root: bool, bin: &Path, dir: &Path, data: &Path) {
    use std::os::unix::process::CommandExt;
    let pg_ctl = shell_quote(&bin.join("pg_ctl"));
    let as_pg = if root { "runuser -u postgres -- " } else { "" };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {as_pg}{pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        data = shell_quote(data),
        dir = shell_quote(dir),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn PostgreSQL reaper: {e}"));
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A database created for one test.
#[derive(Debug)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDatabase {
    pub async fn create(server: &PgServer) -> TestDatabase {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&server.admin_url)
            .await
            .unwrap_or_else(|e| panic!("connect to test PostgreSQL: {e}"));
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .unwrap_or_else(|e| panic!("create test database: {e}"));
        let _ = conn.close().await;
        TestDatabase {
            url: with_database(&server.admin_url, &name),
            name,
            admin_url: server.admin_url.clone(),
        }
    }

    pub async fn drop_database(self) {
        match sqlx::PgConnection::connect(&self.admin_url).await {
            Ok(mut conn) => {
                let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
                if let Err(e) = conn.execute(sqlx::AssertSqlSafe(sql)).await {
                    eprintln!("[beian-store test] could not drop {}: {e}", self.name);
                }
                let _ = conn.close().await;
            }
            Err(e) => eprintln!("[beian-store test] could not drop {}: {e}", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_the_path() {
        let cases = [
            ("postgres://u:p@h:5432/postgres", "postgres://u:p@h:5432/t1"),
            (
                "postgres://u@h/postgres?sslmode=disable",
                "postgres://u@h/t1?sslmode=disable",
            ),
            ("postgres://u@h:5432", "postgres://u@h:5432/t1"),
        ];
        for (url, want) in cases {
            assert_eq!(with_database(url, "t1"), want);
        }
    }
}
