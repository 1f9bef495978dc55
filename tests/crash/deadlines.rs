//! Deadlines across restarts (issue 16): two drafts wait on their applicants while the
//! simulated clock moves a day at a time through 46 days and the server is killed with
//! `kill -9` at random moments (among them just after the clock passed a threshold, while the
//! deadline sweep may be running) and started again on the same data dir, where the
//! simulated clock resumes from the time it had reached. Each reminder (7, 15 and 30 days)
//! reaches each applicant once by SMS and once by mail, and each draft expires once (at 45
//! days: one `draft_expired` in its timeline, one notice each way).

use std::time::Duration;

use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::json;

use crate::api::{Body, Caller, Counts};
use crate::fakes::Inbox;
use crate::server::{SIM_TOKEN, Server};
use crate::{advance, applicant, check, env_number};

/// Distinct deliveries in `inbox` whose id holds `order` and `what`.
fn delivered(inbox: &Inbox, order: &str, what: &str) -> usize {
    inbox
        .lock()
        .unwrap()
        .times
        .keys()
        .filter(|id| id.contains(order) && id.contains(what))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_and_draft_expiry_fire_once_across_restarts() {
    let seed = env_number("BEIAN_CRASH_SEED", rand::random::<u32>() as u64);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (sms_url, sms) = crate::fakes::sms_gateway().await;
    let (smtp_port, mail) = crate::fakes::smtp_relay().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args: Vec<String> = [
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
    .map(str::to_owned)
    .to_vec();
    let mut server = Server::start(&data, &args, &[]);
    let counts = std::sync::Arc::new(Counts::default());
    let mut orders = Vec::new();
    for (i, domain) in ["deadline-a.cn", "deadline-b.cn"].into_iter().enumerate() {
        let mut caller = Caller::new(
            server.base.clone(),
            9 << 16 | (i as u32 + 1),
            counts.clone(),
        );
        applicant(&mut caller, &format!("waiter{i}")).await;
        let a = caller
            .post(
                "/orders",
                "order",
                Body::Json(check(domain, 900 + i as u32)),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
        orders.push((caller, a.json["order_id"].as_str().unwrap().to_owned()));
    }

    let mut kills = 0;
    for day in 1..=46 {
        advance(&server.url(), 24 * 60).await;
        // What falls due on this day: the reminder, or the expiry, by both channels.
        let due: Option<&str> = match day {
            7 | 15 | 30 => Some("reminder"),
            45 => Some("expired"),
            _ => None,
        };
        // Killed on each threshold's day and on about a third of the others, a random moment
        // after the clock moved (the sweep may be claiming, committing or sending).
        if due.is_some() || rng.random_bool(0.3) {
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..400))).await;
            server.restart();
            kills += 1;
        }
        if let Some(what) = due {
            let want = match (day, what) {
                (7, _) => 1,
                (15, _) => 2,
                (30, _) => 3,
                _ => 1,
            };
            for (_, id) in &orders {
                let mail_id = id.replace(':', "-");
                let mut rounds = 0;
                while delivered(&sms, id, what) < want || delivered(&mail, &mail_id, what) < want {
                    rounds += 1;
                    assert!(
                        rounds < 1800,
                        "day {day}: no {what} for {id}; texts: {:?}; mails: {:?}",
                        sms.lock().unwrap().times,
                        mail.lock().unwrap().times
                    );
                    // Time goes on, a minute each half second: a sweep the kill left leased is taken
                    // up again when its lease (5 minutes) runs out, as it would be.
                    if rounds % 5 == 0 {
                        advance(&server.url(), 1).await;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    let mut repeats = 0;
    for (i, (caller, id)) in orders.iter_mut().enumerate() {
        // 46 days on, the session has long expired.
        caller.login(&format!("waiter{i}"), crate::PASSWORD).await;
        let order = caller.get(&format!("/orders/{id}")).await;
        assert_eq!(order.json["state"], "abandoned", "{}", order.json);
        let expiries = order.json["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "draft_expired")
            .count();
        assert_eq!(expiries, 1, "{}", order.json["timeline"]);
        assert_eq!(delivered(&sms, id, "reminder"), 3, "reminder texts of {id}");
        assert_eq!(delivered(&sms, id, "expired"), 1, "expiry texts of {id}");
        let mail_id = id.replace(':', "-");
        assert_eq!(
            delivered(&mail, &mail_id, "reminder"),
            3,
            "reminder mails of {id}"
        );
        assert_eq!(
            delivered(&mail, &mail_id, "expired"),
            1,
            "expiry mails of {id}"
        );
    }
    for inbox in [&sms, &mail] {
        repeats += inbox
            .lock()
            .unwrap()
            .times
            .values()
            .map(|n| n - 1)
            .sum::<u32>();
    }
    crate::report(
        "deadlines",
        &format!(
            "deadlines (seed {seed}): 46 days, {kills} kill -9; per draft 3 reminders and 1 expiry, \
         each once by SMS and by mail (resends of one delivery id: {repeats})"
        ),
    );
}
