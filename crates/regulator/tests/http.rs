//! The HTTP surface on a real listener (127.0.0.1:0) with a minimal HTTP/1.1 client: the public
//! query as JSON and as a page, the SMS page, the clock, the phone inbox, manual decisions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use beian_core::province::Province;
use beian_regulator::fixture::{self, PROVIDER_A};
use beian_regulator::model::{AccessData, FilingRequest, NewWebsite, SubmissionState};
use beian_regulator::{http, password};
use common::{code_in, sim, with_sms};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn call(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Reply {
        status,
        body: body.to_owned(),
    }
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const JSON: (&str, &str) = ("Accept", "application/json");
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const BODY_JSON: (&str, &str) = ("Content-Type", "application/json");

#[tokio::test]
async fn the_simulator_over_http() {
    let sim = sim(with_sms(24)).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server =
        tokio::spawn(axum::serve(listener, http::router(sim.regulator.clone())).into_future());

    // Public query: JSON by domain, number and name; a page otherwise.
    let r = call(
        addr,
        "GET",
        "/miit/query?domain=shared-example.cn",
        &[JSON],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["records"][0]["website_number"],
        "浙ICP备2020000002号-1"
    );
    let path = format!("/miit/query?number={}", enc("京ICP备2019000001号"));
    assert_eq!(
        call(addr, "GET", &path, &[JSON], "").await.json()["records"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let path = format!("/miit/query?sponsor={}", enc("中关村"));
    let r = call(addr, "GET", &path, &[], "").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("<table>") && r.body.contains("zgc-example.net"),
        "{}",
        r.body
    );
    assert_eq!(
        call(addr, "GET", "/miit/query", &[JSON], "").await.status,
        400
    );

    // A filing in an SMS province: the clock moves, the code arrives, the page takes it.
    let request = FilingRequest::FirstFiling {
        sponsor: fixture::sponsor(
            Province::HAINAN,
            "91460000MA5TEST01X",
            "海南测试<b>有限公司</b>",
            "13500000001",
        ),
        websites: vec![NewWebsite {
            website: fixture::website("琼站", "qiong-test.cn", "13500000001"),
            access: AccessData::default(),
        }],
    };
    let id = sim
        .regulator
        .submit(PROVIDER_A, "u", &request)
        .await
        .unwrap();
    let r = call(
        addr,
        "POST",
        "/sim/clock/advance",
        &[BODY_JSON],
        r#"{"minutes": 5}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["tick"]["texts_sent"], 1);
    let inbox = call(addr, "GET", "/sim/phone-inbox?mobile=13500000001", &[], "")
        .await
        .json();
    let text = inbox["texts"][0]["text"].as_str().unwrap().to_owned();
    assert_eq!(
        call(addr, "GET", "/bureau/sms-verification", &[], "")
            .await
            .status,
        200
    );
    let r = call(
        addr,
        "POST",
        "/bureau/sms-verification",
        &[FORM],
        "mobile=13500000001&code=000000x",
    )
    .await;
    assert!(r.body.contains("验证码错误"), "{}", r.body);
    let body = format!("mobile=13500000001&code={}", code_in(&text));
    let r = call(
        addr,
        "POST",
        "/bureau/sms-verification",
        &[FORM, JSON],
        &body,
    )
    .await;
    assert_eq!(r.json()["check"]["result"], "verified");

    // Manual review: listed, shown on the console (escaped), decided.
    let r = call(addr, "GET", "/sim/bureau/reviews?state=queued", &[], "")
        .await
        .json();
    assert_eq!(r["reviews"][0]["id"], id);
    let page = call(addr, "GET", "/sim/bureau/console", &[], "").await.body;
    assert!(
        page.contains("&lt;b&gt;") && !page.contains("<b>有限"),
        "not escaped"
    );
    let r = call(
        addr,
        "POST",
        &format!("/sim/bureau/reviews/{id}/decide"),
        &[BODY_JSON],
        r#"{"approve": true}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["outcome"]["outcome"], "approved");
    let r = call(
        addr,
        "POST",
        &format!("/sim/bureau/reviews/{id}/decide"),
        &[BODY_JSON],
        r#"{"approve": true}"#,
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        call(addr, "GET", "/sim/bureau/reviews?state=nonsense", &[], "")
            .await
            .status,
        400
    );
    assert_eq!(
        sim.regulator.submission(id).await.unwrap().state,
        SubmissionState::Approved
    );
    let r = call(addr, "GET", "/miit/query?domain=qiong-test.cn", &[JSON], "")
        .await
        .json();
    assert!(
        r["records"][0]["sponsor_number"]
            .as_str()
            .unwrap()
            .starts_with("琼ICP备2026")
    );

    // The console form refuses with reasons (cancel access needs no SMS check).
    let cancel = FilingRequest::CancelAccess {
        website_number: "浙ICP备2020000002号-1".into(),
        password: password::icp_mm(fixture::PASSWORD),
    };
    let id2 = sim
        .regulator
        .submit(PROVIDER_A, "u2", &cancel)
        .await
        .unwrap();
    assert_eq!(
        sim.regulator.submission(id2).await.unwrap().state,
        SubmissionState::Queued
    );
    let body = format!("approve=false&reasons={}", enc("材料不全\n照片模糊"));
    let r = call(
        addr,
        "POST",
        &format!("/sim/bureau/console/{id2}"),
        &[FORM],
        &body,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = sim.regulator.submission(id2).await.unwrap();
    assert_eq!(done.state, SubmissionState::Refused);
    assert_eq!(
        done.reasons,
        vec!["材料不全".to_owned(), "照片模糊".to_owned()]
    );
    assert_eq!(done.codes[0].code, 1002);

    // Password recovery: a code to the sponsor's responsible mobile, then a new password.
    let number = enc(fixture::SPONSORS[1].0);
    assert_eq!(
        call(addr, "GET", "/bureau/password-recovery", &[], "")
            .await
            .status,
        200
    );
    let r = call(
        addr,
        "POST",
        "/bureau/password-recovery",
        &[FORM],
        &format!("number={number}"),
    )
    .await;
    assert!(r.body.contains("验证码已发送"), "{}", r.body);
    let mobile = fixture::sponsor_mobile(1);
    let inbox = call(
        addr,
        "GET",
        &format!("/sim/phone-inbox?mobile={mobile}"),
        &[],
        "",
    )
    .await
    .json();
    let code = code_in(inbox["texts"][0]["text"].as_str().unwrap());
    let body = format!("number={number}&code={code}");
    let r = call(
        addr,
        "POST",
        "/bureau/password-recovery/confirm",
        &[FORM],
        &body,
    )
    .await;
    assert!(r.body.contains("新备案密码已发送"), "{}", r.body);
    let r = call(
        addr,
        "POST",
        "/bureau/password-recovery/confirm",
        &[FORM],
        &body,
    )
    .await;
    assert!(r.body.contains("不正确"), "{}", r.body);
    server.abort();
}
