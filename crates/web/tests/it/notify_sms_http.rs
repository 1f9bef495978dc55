//! The HTTP SMS gateway against a small HTTP server on 127.0.0.1:0 (raw tokio TCP): what it
//! posts (JSON `{id, to, text, sign}`, bearer key), and how it classes the answers: 2xx sent,
//! 5xx/429/408 and no server transient, other 4xx permanent.

use beian_core::i18n::Locale;
use beian_platform::notify::{
    Contact, ErrorClass, HttpSmsConfig, HttpSmsGateway, MemoryMailOutbox, Notification,
    OutgoingSms, Recipients, RenderContext, SecretCode, SmsGateway, deliver, jobs_for, render_sms,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    head: String,
    body: serde_json::Value,
}

/// Serves every request with `status`, reporting each request on the channel.
async fn server(status: u16) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms/send", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body) = loop {
                let n = socket.read(&mut chunk).await.unwrap();
                assert!(n > 0, "client closed early");
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < end + 4 + length {
                    let n = socket.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..n]);
                }
                break (head, buf[end + 4..end + 4 + length].to_vec());
            };
            let reply = r#"{"error":"no route to 13812345678"}"#;
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
            socket.shutdown().await.ok();
            let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            tx.send(Seen { head, body }).ok();
        }
    });
    (url, rx)
}

fn gateway(url: &str) -> HttpSmsGateway {
    HttpSmsGateway::new(HttpSmsConfig {
        url: url.into(),
        api_key: "k-123".into(),
        sign: "示例云".into(),
        timeout_secs: 5,
    })
    .unwrap()
}

fn sms() -> OutgoingSms {
    OutgoingSms {
        id: "evt-7.sms".into(),
        to: Contact::new("13812345678"),
        text: "您的备案已提交管局审核".into(),
    }
}

#[tokio::test]
async fn a_sent_text_posts_json_with_the_key() {
    let (url, mut seen) = server(200).await;
    gateway(&url).send(&sms()).await.unwrap();
    let request = seen.recv().await.unwrap();
    assert!(
        request.head.starts_with("POST /sms/send "),
        "{}",
        request.head
    );
    let auth = request
        .head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("authorization:"));
    assert_eq!(auth.map(|l| l[14..].trim()), Some("Bearer k-123"));
    assert_eq!(
        request.body,
        serde_json::json!({
            "id": "evt-7.sms",
            "to": "13812345678",
            "text": "您的备案已提交管局审核",
            "sign": "示例云",
        })
    );
}

#[tokio::test]
async fn answers_are_classed_for_retry() {
    let cases = [
        (503, ErrorClass::Transient),
        (500, ErrorClass::Transient),
        (429, ErrorClass::Transient),
        (408, ErrorClass::Transient),
        (400, ErrorClass::Permanent),
        (401, ErrorClass::Permanent),
        (404, ErrorClass::Permanent),
    ];
    for (status, class) in cases {
        let (url, _seen) = server(status).await;
        let err = gateway(&url).send(&sms()).await.unwrap_err();
        assert_eq!(err.class, class, "{status}: {err}");
        assert!(err.reason.contains(&status.to_string()), "{}", err.reason);
        // The gateway's body echoed a number; the kept reason masks it.
        assert!(!err.reason.contains("13812345678"), "{}", err.reason);
    }
}

#[tokio::test]
async fn no_gateway_listening_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/sms/send");
    let err = gateway(&url).send(&sms()).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient, "{err}");
}

#[tokio::test]
async fn a_cancel_access_code_job_is_delivered_over_http() {
    let (url, mut seen) = server(200).await;
    let ctx = RenderContext {
        provider_name: "示例云".into(),
        portal_url: "https://beian.example.com".into(),
    };
    let n = Notification::CancelAccessCode {
        domain: "example-shop.cn".into(),
        code: SecretCode::new("482913"),
        valid_minutes: 10,
    };
    let to = Recipients {
        email: Some(Contact::new("a@example.org")),
        mobile: Some(Contact::new("13812345678")),
        locale: Locale::ZhCn,
    };
    let jobs = jobs_for("evt-8", &n, &to);
    assert_eq!(jobs.len(), 1, "the code goes by SMS only");
    let mails = MemoryMailOutbox::new();
    deliver(&jobs[0], &ctx, &mails, &gateway(&url))
        .await
        .unwrap();
    let request = seen.recv().await.unwrap();
    let want = render_sms(&n, Locale::ZhCn, &ctx).unwrap().text;
    assert_eq!(request.body["text"], want.as_str());
    assert!(want.contains("482913"));
    assert_eq!(request.body["id"], "evt-8.sms");
    assert!(mails.list("a@example.org").is_empty());
}
