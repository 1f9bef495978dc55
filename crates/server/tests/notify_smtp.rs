//! Email delivery against a real SMTP server on loopback: `tests/smtp_sink.py` (aiosmtpd)
//! writes each message it accepts to a folder, and the test reads it back. Also: nothing
//! listening and a server that never answers are transient failures; 550 is permanent and
//! 451 transient. When python3 with aiosmtpd is missing the sink tests are skipped with a
//! notice, except under `CI=true`, where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use beian_core::i18n::Locale;
use beian_server::notify::{
    Contact, ErrorClass, Mailer, MemorySmsOutbox, Notification, NotifyJob, OutboxSmsGateway,
    OutgoingMail, Recipients, RenderContext, SmtpConfig, SmtpMailer, SmtpTls, deliver, jobs_for,
    render_email,
};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The sink process; killed when dropped.
struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_with_aiosmtpd() -> Option<String> {
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
fn start_sink() -> Option<Sink> {
    start_sink_with(None)
}

/// The sink, requiring AUTH with `user:password` when given.
fn start_sink_with(credentials: Option<&str>) -> Option<Sink> {
    let Some(python) = python_with_aiosmtpd() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("python3 with aiosmtpd is required under CI (apt-get install python3-aiosmtpd)");
        }
        eprintln!("NOTICE: skipping the SMTP sink test: no python3 with aiosmtpd");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(dir.path())
        .args(credentials)
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

fn config(port: u16, timeout_secs: u64) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "示例云备案 <beian@example.com>".into(),
        timeout_secs,
    }
}

fn ctx() -> RenderContext {
    RenderContext {
        provider_name: "示例云".into(),
        portal_url: "https://beian.example.com".into(),
    }
}

fn approved() -> Notification {
    Notification::Approved {
        order_id: "0193a6b2-7c41-7d2e-9f0a-3b5c8d1e2f40".into(),
        domain: "example-shop.cn".into(),
        icp_number: "浙ICP备2021012345号-1".into(),
    }
}

/// Waits for the sink's `NNNN.json` files, up to 10 seconds.
fn received(dir: &Path, count: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
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
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_notification_job_arrives_at_a_real_smtp_server_in_both_languages() {
    let Some(sink) = start_sink() else { return };
    let mailer = SmtpMailer::new(&config(sink.port, 10)).unwrap();
    let texts = OutboxSmsGateway::new(MemorySmsOutbox::new(), "示例云");
    let to = Recipients {
        email: Some(Contact::new("li.lei@example.org")),
        mobile: None,
        locale: Locale::ZhCn,
    };
    let jobs: Vec<NotifyJob> = jobs_for("evt-42", &approved(), &to);
    assert_eq!(jobs.len(), 1);
    // The job goes through its JSON payload, as the queue will store it.
    let job: NotifyJob = serde_json::from_str(&serde_json::to_string(&jobs[0]).unwrap()).unwrap();
    deliver(&job, &ctx(), &mailer, &texts).await.unwrap();

    let mails = received(sink.dir.path(), 1);
    assert_eq!(mails.len(), 1, "the sink received nothing");
    let mail = &mails[0];
    let want = render_email(&approved(), Locale::ZhCn, &ctx());
    assert_eq!(mail["subject"], want.subject.as_str());
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["li.lei@example.org"]));
    assert_eq!(mail["mail_from"], "beian@example.com");
    assert_eq!(mail["message_id"], "<evt-42.email@example.com>");
    // On the wire lines end in CRLF.
    let text = mail["text"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(text.trim_end(), want.text_body.trim_end());
    assert!(text.contains("浙ICP备2021012345号-1") && text.contains("Congratulations"));
    assert!(text.find("恭喜") < text.find("Congratulations"), "{text}");
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains("<div lang=\"zh-CN\">"), "{html}");
    assert!(
        mail["from"].as_str().unwrap().contains("示例云备案"),
        "{}",
        mail["from"]
    );
}

#[tokio::test]
async fn the_server_refusing_a_recipient_is_permanent_for_5xx_and_transient_for_4xx() {
    let Some(sink) = start_sink() else { return };
    let mailer = SmtpMailer::new(&config(sink.port, 10)).unwrap();
    let cases = [
        ("reject-permanent@example.org", ErrorClass::Permanent),
        ("reject-transient@example.org", ErrorClass::Transient),
    ];
    for (address, class) in cases {
        let mail = OutgoingMail {
            message_id: "m1".into(),
            to: Contact::new(address),
            email: render_email(&approved(), Locale::En, &ctx()),
        };
        let err = mailer.send(&mail).await.unwrap_err();
        assert_eq!(err.class, class, "{address}: {err}");
        // The server's reply names the address; the kept reason must not.
        assert!(!err.reason.contains("reject-permanent@"), "{}", err.reason);
    }
    assert!(received(sink.dir.path(), 0).is_empty());
}

#[tokio::test]
async fn a_mail_server_that_is_down_is_a_transient_failure() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = SmtpMailer::new(&config(port, 5)).unwrap();
    let mail = OutgoingMail {
        message_id: "m2".into(),
        to: Contact::new("a@example.org"),
        email: render_email(&approved(), Locale::ZhCn, &ctx()),
    };
    let err = mailer.send(&mail).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient, "{err}");
}

#[tokio::test]
async fn a_mail_server_that_never_answers_times_out_as_transient() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let mailer = SmtpMailer::new(&config(port, 1)).unwrap();
    let mail = OutgoingMail {
        message_id: "m3".into(),
        to: Contact::new("a@example.org"),
        email: render_email(&approved(), Locale::ZhCn, &ctx()),
    };
    let started = Instant::now();
    let err = mailer.send(&mail).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient, "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    hold.abort();
}

#[test]
fn bad_addresses_are_permanent_and_settings_are_checked() {
    let err = SmtpMailer::new(&SmtpConfig {
        from: "not an address".into(),
        ..config(25, 5)
    });
    assert_eq!(err.err().map(|e| e.class), Some(ErrorClass::Permanent));
    let tls = SmtpMailer::new(&SmtpConfig {
        tls: SmtpTls::Starttls,
        port: None,
        ..config(25, 5)
    });
    assert!(tls.is_ok());
    let secret = format!(
        "{:?}",
        SmtpConfig {
            password: Some("hunter2".into()),
            ..config(25, 5)
        }
    );
    assert!(!secret.contains("hunter2"), "{secret}");
}

#[tokio::test]
async fn a_recipient_address_that_is_not_valid_is_permanent_without_connecting() {
    // Port 9 on loopback: nothing should listen; a parse failure must come first anyway.
    let mailer = SmtpMailer::new(&config(9, 5)).unwrap();
    let mail = OutgoingMail {
        message_id: "m4".into(),
        to: Contact::new("13812345678"),
        email: render_email(&approved(), Locale::ZhCn, &ctx()),
    };
    let err = mailer.send(&mail).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{err}");
    assert!(!err.reason.contains("13812345678"), "{}", err.reason);
}

#[tokio::test]
async fn credentials_are_used_and_a_refused_login_is_permanent() {
    let Some(sink) = start_sink_with(Some("beian:s3cret")) else {
        return;
    };
    let cases = [
        (Some("s3cret"), None),
        (Some("wrong"), Some(ErrorClass::Permanent)),
        (None, Some(ErrorClass::Permanent)),
    ];
    for (i, (password, want)) in cases.into_iter().enumerate() {
        let mailer = SmtpMailer::new(&SmtpConfig {
            username: password.map(|_| "beian".to_owned()),
            password: password.map(str::to_owned),
            ..config(sink.port, 10)
        })
        .unwrap();
        let mail = OutgoingMail {
            message_id: format!("auth-{i}"),
            to: Contact::new("a@example.org"),
            email: render_email(&approved(), Locale::ZhCn, &ctx()),
        };
        let got = mailer.send(&mail).await.err().map(|e| e.class);
        assert_eq!(got, want, "{password:?}");
    }
    let mails = received(sink.dir.path(), 1);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["message_id"], "<auth-0@example.com>");
}
