//! A real local S3 server for tests: `s3s-fs` (`cargo install s3s-fs --version 0.14.1`) on a
//! free loopback port, serving a temp dir, with fixed test credentials. Killed on drop.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::objects::ObjectConfig;

pub const ACCESS_KEY: &str = "beian-test-access";
pub const SECRET_KEY: &str = "beian-test-secret-key";
pub const BUCKET: &str = "beian-test";

/// A running s3s-fs.
#[derive(Debug)]
pub struct S3Server {
    child: Child,
    pub endpoint: String,
    pub root: TempDir,
}

fn find_binary() -> Option<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(std::path::PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(std::path::PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("s3s-fs"))
        .find(|p| p.is_file())
}

impl S3Server {
    /// Starts s3s-fs, or returns `None` with a notice if the binary is absent (panics in CI).
    pub fn start() -> Option<S3Server> {
        let Some(bin) = find_binary() else {
            if super::in_ci() {
                panic!("s3s-fs not found and CI=true: cargo install s3s-fs --version 0.14.1");
            }
            eprintln!(
                "[beian-store test] NOTICE: s3s-fs not found, S3 test skipped \
                 (cargo install s3s-fs --version 0.14.1)"
            );
            return None;
        };
        let root = tempfile::Builder::new()
            .prefix("beian-s3-")
            .tempdir()
            .unwrap_or_else(|e| panic!("temp dir: {e}"));
        std::fs::create_dir(root.path().join(BUCKET)).unwrap_or_else(|e| panic!("bucket: {e}"));
        let port = free_port();
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn s3s-fs: {e}"));
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                panic!("s3s-fs did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// The object-store config for this server's test bucket.
    pub fn config(&self) -> ObjectConfig {
        ObjectConfig::S3 {
            endpoint: Some(self.endpoint.clone()),
            bucket: BUCKET.to_string(),
            region: "us-east-1".to_string(),
            access_key_id: ACCESS_KEY.to_string(),
            secret_access_key: SECRET_KEY.to_string(),
            allow_http: true,
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}
