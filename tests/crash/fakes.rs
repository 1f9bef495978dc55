//! The outside world the server talks to, run in the test: an HTTP SMS gateway and an SMTP
//! relay, both keeping every message they are given (a repeat of one delivery id is kept as
//! a repeat, so the suite can tell a resend of the same message from a second message).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Delivery id → how many times it arrived, and its text.
#[derive(Default)]
pub struct Received {
    pub times: BTreeMap<String, u32>,
    pub text: BTreeMap<String, String>,
}

impl Received {
    fn add(&mut self, id: String, text: String) {
        *self.times.entry(id.clone()).or_default() += 1;
        self.text.insert(id, text);
    }
}

pub type Inbox = Arc<Mutex<Received>>;

/// An SMS gateway (`POST /sms` with JSON `{id, to, text, sign}`) on a free port: its URL and
/// what it received.
pub async fn sms_gateway() -> (String, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let _ = http_connection(socket, kept).await;
            });
        }
    });
    (url, inbox)
}

/// One keep-alive HTTP/1.1 connection: each request's JSON body is kept, then 200.
async fn http_connection(socket: TcpStream, kept: Inbox) -> std::io::Result<()> {
    let mut reader = BufReader::new(socket);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let l = line.trim_end();
            if l.is_empty() && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = l.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        if let Ok(json) = serde_json::from_slice::<Value>(&body) {
            let id = json["id"].as_str().unwrap_or_default().to_owned();
            let text = json["text"].as_str().unwrap_or_default().to_owned();
            kept.lock().unwrap().add(id, text);
        }
        reader
            .get_mut()
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
            )
            .await?;
    }
}

/// An SMTP relay (no TLS, no AUTH) on a free port: its port and what it received, by
/// Message-ID.
pub async fn smtp_relay() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let _ = smtp_session(socket, kept).await;
            });
        }
    });
    (port, inbox)
}

async fn smtp_session(socket: TcpStream, kept: Inbox) -> std::io::Result<()> {
    let mut reader = BufReader::new(socket);
    reader
        .get_mut()
        .write_all(b"220 crash-suite ESMTP\r\n")
        .await?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if verb.starts_with("EHLO") {
            b"250-crash-suite\r\n250 8BITMIME\r\n"
        } else if verb.starts_with("DATA") {
            reader.get_mut().write_all(b"354 go on\r\n").await?;
            let mut message = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line.trim_end() == "." {
                    break;
                }
                message.push_str(&line);
            }
            let id = message
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("message-id")
                        .then(|| value.trim().to_owned())
                })
                .unwrap_or_default();
            kept.lock().unwrap().add(id, message);
            b"250 kept\r\n"
        } else if verb.starts_with("QUIT") {
            reader.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"250 ok\r\n"
        };
        reader.get_mut().write_all(reply).await?;
    }
}
