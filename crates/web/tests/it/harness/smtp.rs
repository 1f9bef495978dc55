//! The SMTP sink of the mail tests: the aiosmtpd sink (`tests/smtp_sink.py`) as a child
//! process, reading back what it received, test certificates made with openssl, and common
//! values. Without python3-aiosmtpd or openssl the tests skip with a notice (fail under CI).
use beian_platform::notify::{Notification, RenderContext, SmtpConfig, SmtpTls};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The sink process; killed when dropped.
pub struct Sink {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn python_with_aiosmtpd() -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("BEIAN_PYTHON") {
        candidates.push(p);
    }
    // Debian's python3-aiosmtpd lives with the system python, which a pyenv shim may hide.
    candidates.extend(["/usr/bin/python3".to_owned(), "python3".to_owned()]);
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Starts the sink, or `None` (with a notice) when it cannot run outside CI.
pub fn start_sink() -> Option<Sink> {
    start_sink_with(&[])
}

/// Skips (returns `None`) with a notice, or fails under `CI=true`.
pub fn missing(what: &str) -> Option<Sink> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is required under CI");
    }
    eprintln!("NOTICE: skipping an SMTP sink test: no {what}");
    None
}

/// The sink with extra options (`--auth U:P`, `--tls MODE --cert C --key K`).
pub fn start_sink_with(options: &[&std::ffi::OsStr]) -> Option<Sink> {
    let Some(python) = python_with_aiosmtpd() else {
        return missing("python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
    };
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(dir.path())
        .args(options)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("sink said {line:?}"))
        .parse()
        .unwrap();
    Some(Sink { child, port, dir })
}

pub fn config(port: u16, timeout_secs: u64) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "示例云备案 <beian@example.com>".into(),
        ca_file: None,
        timeout_secs,
    }
}

pub fn ctx() -> RenderContext {
    RenderContext {
        provider_name: "示例云".into(),
        portal_url: "https://beian.example.com".into(),
    }
}

pub fn approved() -> Notification {
    Notification::Approved {
        order_id: "0193a6b2-7c41-7d2e-9f0a-3b5c8d1e2f40".into(),
        domain: "example-shop.cn".into(),
        icp_number: "浙ICP备2021012345号-1".into(),
    }
}

/// The sink's `NNNN.json` files, once there are `count` of them (polled, with the harness's
/// hang bound).
pub fn received(dir: &Path, count: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + super::wait::HANG_BOUND;
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        if files.len() >= count || Instant::now() > deadline {
            files.sort();
            return files
                .iter()
                .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
                .collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl in `dir`:
/// `(ca.pem, server.pem, server.key)`, or `None` (with a notice) without openssl outside CI.
pub fn test_certificates(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing("openssl");
        return None;
    }
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let steps: [Vec<String>; 3] = [
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=beian test CA",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(["-keyout".into(), p("ca.key"), "-out".into(), p("ca.pem")])
        .collect(),
        [
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            "-keyout".into(),
            p("server.key"),
            "-out".into(),
            p("server.csr"),
        ])
        .collect(),
        ["x509", "-req", "-days", "1", "-CAcreateserial"]
            .iter()
            .map(|s| s.to_string())
            .chain([
                "-in".into(),
                p("server.csr"),
                "-CA".into(),
                p("ca.pem"),
                "-CAkey".into(),
                p("ca.key"),
                "-extfile".into(),
                p("server.ext"),
                "-out".into(),
                p("server.pem"),
            ])
            .collect(),
    ];
    for args in steps {
        let out = Command::new("openssl").args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some((
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    ))
}
