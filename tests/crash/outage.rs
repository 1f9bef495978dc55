//! The regulator as its own process (`beian regulator serve`, issue 16), reached by
//! `beian serve --regulator-url` as a real bureau would be; the platform's clock is simulated
//! (`--simulated-clock` with an external regulator moves the platform's time alone). The
//! regulator is killed before the orders reach the queue for the bureau; the platform's time
//! moves 10 minutes a minute at a time (the uploads fail and are retried), then on an hour at
//! a time until the 1-working-day submission deadline has passed for every order; the
//! regulator comes back on the same port and data dir. Then: every order delivered once
//! (once in the regulator's submissions, `dataSequence` 1..N without a gap), and the deadline
//! alert raised once per order (one mail to the admin each, however long the clock goes on).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use beian_regulator::service::Provider;
use serde_json::{Value, json};

use crate::api::{Caller, Counts};
use crate::fakes::Inbox;
use crate::kill::{approve_photo, to_the_photo};
use crate::server::{SIM_TOKEN, Server};
use crate::{add_staff, advance, staff_login};

/// How long, in real time, the suite waits for the server to catch up with the simulated clock
/// before it calls the server hung.
const HANG_BOUND: Duration = Duration::from_secs(600);

const AES_KEY: &str = "0123456789abcdef";
const AES_IV: &str = "fedcba9876543210";

/// `beian regulator serve` on a fixed loopback port (it outlives restarts) and the data dir
/// `dir`, where this provider (ispId 1) is registered first, as a bureau registers a provider
/// and hands it its credentials; and the `beian serve` flags that reach it.
pub async fn external_bureau(dir: &std::path::Path, extra: &[String]) -> (Server, Vec<String>) {
    std::fs::create_dir_all(dir).unwrap();
    let registry = beian_regulator::Regulator::open(
        dir,
        Arc::new(beian_regulator::SystemClock),
        beian_regulator::Config::default(),
    )
    .await
    .unwrap();
    registry
        .add_provider(&Provider {
            id: 1,
            name: "beian".into(),
            province: "33".into(),
            username: "isp1".into(),
            password: "bureau-given-secret".into(),
            aes_key: AES_KEY.into(),
            aes_iv: AES_IV.into(),
        })
        .await
        .unwrap();
    registry.pool().close().await;
    drop(registry);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let bureau = Server::start_regulator(dir, extra, &listen);
    let args = [
        "--regulator-url",
        &format!("http://{listen}"),
        "--regulator-isp-id",
        "1",
        "--regulator-user",
        "isp1",
        "--regulator-password",
        "bureau-given-secret",
        "--regulator-aes-key",
        AES_KEY,
        "--regulator-aes-iv",
        AES_IV,
        "--regulator-extensions",
    ]
    .map(str::to_owned)
    .to_vec();
    (bureau, args)
}

/// The regulator's submissions per domain of `domains` (each should be 1), read over its
/// control API.
pub async fn at_the_bureau(bureau: &Server, domains: &[String]) -> Vec<usize> {
    let reviews: Value = reqwest::Client::new()
        .get(format!("{}/sim/bureau/reviews", bureau.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reviews = reviews["reviews"].as_array().unwrap();
    assert!(
        reviews.len() < 500,
        "the simulator lists at most 500 reviews"
    );
    domains
        .iter()
        .map(|domain| {
            reviews
                .iter()
                .filter(|r| r["request"].to_string().contains(&format!("\"{domain}\"")))
                .count()
        })
        .collect()
}

/// The `dataSequence` numbers the regulator in `dir` received (read once it is stopped), and
/// how many are missing below the highest.
pub async fn sequences(dir: &std::path::Path) -> (Vec<i64>, usize) {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join("regulator.sqlite"))
                .read_only(true),
        )
        .await
        .unwrap();
    let sequences: Vec<i64> = sqlx::query_scalar("SELECT sequence FROM uploads ORDER BY sequence")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    let distinct: BTreeSet<i64> = sequences.iter().copied().collect();
    let top = sequences.last().copied().unwrap_or(0);
    let gaps = (1..=top).filter(|s| !distinct.contains(s)).count();
    (sequences, gaps)
}

/// Distinct deadline-alert mails about `order`.
fn alerts(mail: &Inbox, order: &str) -> usize {
    let tag = format!("alert-bureau_submit_deadline-{order}");
    mail.lock()
        .unwrap()
        .times
        .keys()
        .filter(|id| id.contains(&tag))
        .count()
}

/// Orders (of `ids`) the platform has delivered to the bureau.
async fn delivered(reviewer: &Caller, ids: &[String]) -> usize {
    let mut n = 0;
    for id in ids {
        let o = reviewer.get(&format!("/review/orders/{id}")).await;
        if matches!(o.json["state"].as_str(), Some("at_bureau" | "sms_pending")) {
            n += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regulator_stopped_while_orders_queue_gets_each_once_and_one_alert() {
    let flows = crate::env_number("BEIAN_CRASH_OUTAGE_ORDERS", 4) as u32;
    let (sms_url, _sms) = crate::fakes::sms_gateway().await;
    let (smtp_port, mail) = crate::fakes::smtp_relay().await;
    let dir = tempfile::tempdir().unwrap();
    let regulator_dir = dir.path().join("regulator");
    let data = dir.path().join("data");

    let (mut bureau, bureau_args) =
        external_bureau(&regulator_dir, &["--simulated-clock".to_owned()]).await;

    let admin_pw = add_staff(&data, "boss", "admin");
    let reviewer_pw = add_staff(&data, "rita", "reviewer");
    let mut args = bureau_args;
    args.extend(
        [
            "--simulated-clock",
            "--simulator-token",
            SIM_TOKEN,
            "--smtp",
            &json!({"host": "127.0.0.1", "port": smtp_port, "tls": "none",
                "from": "beian@example.cn"})
            .to_string(),
            "--sms-http",
            &json!({"url": sms_url, "api_key": "crash", "sign": "备案"}).to_string(),
        ]
        .map(str::to_owned),
    );
    let server = Server::start(&data, &args, &[]);
    let base = server.base.clone();
    let counts = Arc::new(Counts::default());
    let mut admin = Caller::new(base.clone(), 240 << 16 | 1, counts.clone());
    staff_login(&mut admin, "boss", &admin_pw).await;
    let mut reviewer = Caller::new(base.clone(), 240 << 16 | 2, counts.clone());
    staff_login(&mut reviewer, "rita", &reviewer_pw).await;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let a = admin
        .post(
            "/admin/instances",
            "instance",
            crate::api::Body::Json(json!({"product": "ecs", "public_ip": "203.0.113.7",
                "term_end": now_ms + 3 * 365 * 86_400_000_i64})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    let instance = a.json["id"].as_str().unwrap().to_owned();
    let a = admin
        .post(
            &format!("/admin/instances/{instance}/service-numbers"),
            "numbers",
            crate::api::Body::Json(json!({"count": flows})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    let numbers: Vec<String> = a.json["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();

    // The orders are made (the filing check asks the bureau), up to their photos; the bureau
    // goes down; the photos are approved, so the orders reach the queue for the bureau.
    let mut ids = Vec::new();
    let mut domains = Vec::new();
    for (f, number) in numbers.iter().enumerate() {
        let n = 241 << 16 | (f as u32 + 1);
        let mut caller = Caller::new(base.clone(), n, counts.clone());
        let flow = to_the_photo(&mut caller, &reviewer.at(n), 77, f as u32, number).await;
        ids.push(flow.order_id);
        domains.push(flow.domain);
    }
    bureau.kill();
    for id in &ids {
        approve_photo(&reviewer, id).await;
    }
    for minute in 1..=10 {
        advance(&server.url(), 1).await;
        assert_eq!(
            delivered(&reviewer, &ids).await,
            0,
            "delivered at minute {minute} with the bureau down"
        );
    }
    // On an hour at a time until every order's submission deadline has passed and its alert
    // mail is out (1 working day: at most 4 days over a weekend or a holiday).
    // The clock moves an hour per round for at most 12 days; past that the test only waits
    // (bounded in real time) for the server to catch up, so a busy machine is not a failure.
    let mut hours = 0;
    let waiting = std::time::Instant::now();
    while ids.iter().any(|id| alerts(&mail, id) == 0) {
        assert!(
            waiting.elapsed() < HANG_BOUND,
            "no deadline alert after {hours} simulated hours and {HANG_BOUND:?}"
        );
        if hours < 24 * 12 {
            hours += 1;
            advance(&server.url(), 60).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Days went by: the staff log in again.
    reviewer.login("rita", crate::PASSWORD).await;
    admin.login("boss", crate::PASSWORD).await;

    // The bureau is back on its port and data dir.
    bureau.restart();
    assert!(bureau.running());
    // A minute per round for at most 3 hours of simulated time, then only waiting (bounded in
    // real time): the retries are due by then, and a slow machine only takes longer.
    let mut minutes = 0;
    let waiting = std::time::Instant::now();
    while delivered(&reviewer, &ids).await < ids.len() {
        if waiting.elapsed() >= HANG_BOUND {
            let jobs = admin.get("/admin/outbox?channel=bureau").await;
            panic!(
                "not all delivered {minutes} minutes after the bureau's return: {}",
                jobs.json
            );
        }
        if minutes < 180 {
            minutes += 1;
            advance(&server.url(), 1).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // More time passes: nothing is sent or alerted again.
    for _ in 0..5 {
        advance(&server.url(), 10).await;
    }

    let counts_at_bureau = at_the_bureau(&bureau, &domains).await;
    assert!(
        counts_at_bureau.iter().all(|n| *n >= 1),
        "never at the bureau: {counts_at_bureau:?}"
    );
    let double: usize = counts_at_bureau.iter().map(|n| n - 1).sum();
    let alert_mails: Vec<usize> = ids.iter().map(|id| alerts(&mail, id)).collect();
    bureau.kill();
    let (sequences, gaps) = sequences(&regulator_dir).await;
    let top = sequences.last().copied().unwrap_or(0);
    crate::report(
        "outage",
        &format!(
            "regulator outage: {} orders queued while the bureau was down for 10 minutes and then \
         {hours} hours of the platform's time; delivered after {minutes} minutes; double \
         deliveries {double}; dataSequence 1..{top}, gaps {gaps}; deadline alert mails per \
         order {alert_mails:?}",
            ids.len()
        ),
    );
    assert_eq!(double, 0, "orders delivered twice");
    assert_eq!(gaps, 0, "{sequences:?}");
    assert_eq!(sequences.len(), ids.len(), "{sequences:?}");
    assert!(alert_mails.iter().all(|n| *n == 1), "{alert_mails:?}");
}
