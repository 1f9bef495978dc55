//! `kill -9` at random points while 16 clients make idempotent submissions (issue 16).
//!
//! Each client walks first filings from a fresh account: register, the order, its forms and
//! product, each material the submission asks for, the submission, the reviewer's 初审, the
//! photo and its approval; every POST carries an Idempotency-Key and is sent again, with
//! the same key, until answered. The server is killed when the count of answered
//! submissions reaches each of the kill points (drawn at random), a moment later (drawn at
//! random, so the kill lands inside requests, jobs and commits), and started again on the
//! same data dir. The worker then sends each order to the bureau (the bundled simulator),
//! which queues the SMS check; the customer is told by mail and by SMS (a gateway and a
//! relay run by the test, which keep every delivery they get).
//!
//! Then: every order once per account (0 lost, 0 duplicated), each material uploaded once,
//! each order at the bureau once (the simulator's submissions) with the `dataSequence` of
//! its uploads 1..N without a gap, each message once (a resend of one delivery id after a
//! crash is counted apart: it is the same message, recognisable by its id), and
//! `beian audit verify` clean.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{Body, Caller, Counts, jpeg, multipart};
use crate::server::{SIM_TOKEN, Server};
use crate::{
    PASSWORD, add_staff, advance, applicant, check, env_number, sponsor_of, staff_login, website,
};

/// What one flow left: its account, order and the materials it uploaded.
#[derive(Debug, Clone)]
pub struct Flow {
    pub username: String,
    pub order_id: String,
    pub domain: String,
    pub materials: Vec<String>,
}

/// The service numbers the admin issued, handed out one per flow.
type Numbers = Arc<Mutex<Vec<String>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_idempotent_submissions_loses_and_repeats_nothing() {
    let submissions = env_number("BEIAN_CRASH_SUBMISSIONS", 2000);
    let kills = env_number("BEIAN_CRASH_KILLS", 50);
    let clients = env_number("BEIAN_CRASH_CLIENTS", 16) as u32;
    let seed = env_number("BEIAN_CRASH_SEED", rand::random::<u32>() as u64);
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let (sms_url, sms) = crate::fakes::sms_gateway().await;
    let (smtp_port, mail) = crate::fakes::smtp_relay().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let admin_pw = add_staff(&data, "boss", "admin");
    let reviewer_pw = add_staff(&data, "rita", "reviewer");
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
    let base = server.base.clone();
    let counts = Arc::new(Counts::default());

    // Set-up, before any kill: the staff's passwords, and service numbers for every flow.
    let mut admin = Caller::new(base.clone(), 250 << 16 | 1, counts.clone());
    staff_login(&mut admin, "boss", &admin_pw).await;
    let mut reviewer = Caller::new(base.clone(), 250 << 16 | 2, counts.clone());
    staff_login(&mut reviewer, "rita", &reviewer_pw).await;
    let a = admin
        .put(
            "/admin/service-number-policy",
            json!({"per_instance_limit": 1000, "min_term_months": 3,
                   "qualifying_states": ["running"]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let a = admin
        .post(
            "/admin/instances",
            "instance",
            Body::Json(json!({"product": "ecs", "public_ip": "203.0.113.7",
                              "term_end": now_ms + 3 * 365 * 86_400_000_i64})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    let instance = a.json["id"].as_str().unwrap().to_owned();
    let wanted = submissions / 8 + u64::from(clients) * 2;
    let mut numbers = Vec::new();
    while (numbers.len() as u64) < wanted {
        let a = admin
            .post(
                &format!("/admin/instances/{instance}/service-numbers"),
                &format!("numbers-{}", numbers.len()),
                Body::Json(json!({"count": 100})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
        numbers.extend(
            a.json["numbers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_owned()),
        );
    }
    let numbers: Numbers = Arc::new(Mutex::new(numbers));
    let set_up = counts.submissions.load(Ordering::Relaxed);

    // The kill points: answered-submission counts, and a delay after each.
    let mut points: Vec<(u64, u64)> = (0..kills)
        .map(|_| {
            (
                set_up + rng.random_range(1..submissions.max(2)),
                rng.random_range(0..250),
            )
        })
        .collect();
    points.sort_unstable();

    let mut tasks = Vec::new();
    for c in 0..clients {
        let base = base.clone();
        let counts = counts.clone();
        let reviewer = reviewer.clone();
        let numbers = numbers.clone();
        tasks.push(tokio::spawn(async move {
            let mut flows = Vec::new();
            let mut f = 0u32;
            while counts.submissions.load(Ordering::Relaxed) < set_up + submissions {
                let n = (c + 1) << 12 | f;
                let mut caller = Caller::new(base.clone(), n, counts.clone());
                let number = numbers.lock().unwrap().pop().expect("service numbers left");
                flows.push(one_flow(&mut caller, &reviewer.at(n), c, f, &number).await);
                f += 1;
            }
            flows
        }));
    }
    let mut done_kills = 0u64;
    for (at, delay) in &points {
        while counts.submissions.load(Ordering::Relaxed) < *at
            && !tasks.iter().all(tokio::task::JoinHandle::is_finished)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if tasks.iter().all(tokio::task::JoinHandle::is_finished) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(*delay)).await;
        server.restart();
        done_kills += 1;
    }
    let mut flows = Vec::new();
    for t in tasks {
        flows.extend(t.await.unwrap());
    }
    let submitted = counts.submissions.load(Ordering::Relaxed) - set_up;

    // Let the worker finish: every order at the bureau and its messages out. The clock moves
    // a minute at a time so that retries and the leases of killed workers fall due.
    let checker = Caller::new(base.clone(), 251 << 16 | 1, counts.clone());
    let mut rounds = 0;
    loop {
        let mut pending = 0;
        for (i, flow) in flows.iter().enumerate() {
            let order = reviewer
                .at(252 << 16 | (rounds % 200) << 8 | (i as u32 % 250))
                .get(&format!("/review/orders/{}", flow.order_id))
                .await;
            let state = order.json["state"].as_str().unwrap_or_default();
            if !matches!(state, "at_bureau" | "sms_pending") {
                pending += 1;
            }
        }
        let messages_due = 2 * flows.len();
        let sms_in = sms.lock().unwrap().times.len();
        let mail_in = mail.lock().unwrap().times.len();
        if pending == 0 && sms_in >= messages_due && mail_in >= messages_due {
            break;
        }
        rounds += 1;
        assert!(
            rounds < 90,
            "after {rounds} minutes: {pending} orders not at the bureau; {sms_in} texts and \
             {mail_in} mails of {messages_due} each"
        );
        advance(&checker.base(), 1).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Orders and materials, as the applicants and the reviewer see them.
    let mut lost_orders = 0;
    let mut duplicated_orders = 0;
    let mut lost_materials = 0;
    let mut duplicated_materials = 0;
    let mut double_sent = 0;
    for (i, flow) in flows.iter().enumerate() {
        let mut owner = Caller::new(base.clone(), 253 << 16 | i as u32, counts.clone());
        owner.login(&flow.username, PASSWORD).await;
        let list = owner.get("/orders").await;
        let ids: Vec<&str> = list.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["id"].as_str())
            .collect();
        if !ids.contains(&flow.order_id.as_str()) {
            lost_orders += 1;
        }
        duplicated_orders += ids.len().saturating_sub(1);
        let order = owner.get(&format!("/orders/{}", flow.order_id)).await;
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for m in order.json["materials"].as_array().into_iter().flatten() {
            *kinds
                .entry(m["kind"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
        for kind in &flow.materials {
            match kinds.get(kind) {
                None => lost_materials += 1,
                Some(n) => duplicated_materials += n - 1,
            }
        }
        let sent = order.json["timeline"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["event"] == "sent_to_bureau")
            .count();
        if sent != 1 {
            double_sent += 1;
        }
    }

    // At the bureau: each order's submission once.
    let reviews: Value = reqwest::Client::new()
        .get(format!("{}/sim/bureau/reviews", checker.base()))
        .header("x-simulator-token", SIM_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reviews = reviews["reviews"].as_array().unwrap().clone();
    assert!(
        reviews.len() < 500,
        "the simulator lists at most 500 reviews"
    );
    let mut at_bureau: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &reviews {
        let text = r["request"].to_string();
        for flow in &flows {
            if text.contains(&format!("\"{}\"", flow.domain)) {
                *at_bureau.entry(flow.domain.as_str()).or_default() += 1;
            }
        }
    }
    let lost_uploads = flows
        .iter()
        .filter(|f| !at_bureau.contains_key(f.domain.as_str()))
        .count();
    let double_uploads: usize = at_bureau.values().map(|n| n - 1).sum();

    // Messages: per order, two notifications (submitted to the bureau, the SMS check coming),
    // each by mail and by SMS, each with its delivery id.
    let (lost_messages, duplicated_messages, resends) = {
        let sms = sms.lock().unwrap();
        let mail = mail.lock().unwrap();
        let mut lost = 0;
        let mut duplicated = 0;
        for flow in &flows {
            let tag = format!("order:{}:", flow.order_id);
            let mail_tag = format!("order-{}-", flow.order_id);
            let texts = sms.times.keys().filter(|id| id.contains(&tag)).count();
            let mails = mail
                .times
                .keys()
                .filter(|id| id.contains(&mail_tag))
                .count();
            for n in [texts, mails] {
                lost += 2usize.saturating_sub(n);
                duplicated += n.saturating_sub(2);
            }
        }
        let resends: u32 = sms
            .times
            .values()
            .chain(mail.times.values())
            .map(|n| n - 1)
            .sum();
        (lost, duplicated, resends)
    };

    // The dataSequence of the uploads, read from the simulator's database once it is stopped.
    server.kill();
    let db = data.join("regulator").join("regulator.sqlite");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
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

    let audit = crate::server::beian()
        .args(["audit", "verify", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let audit_ok = audit.status.success();

    crate::report(
        "kill",
        &format!(
            "crash suite (seed {seed}): {} flows, {submitted} idempotent submissions from {clients} \
         clients, {done_kills} kill -9 ({} starts), {:.0} s\n  \
         resent after no answer: {}, replayed answers: {}, answers lost in a crash: {} \
         (rebuilt {}, not rebuilt {})\n  \
         orders: lost {lost_orders}, duplicated {duplicated_orders}\n  \
         materials: lost {lost_materials}, duplicated {duplicated_materials}\n  \
         bureau uploads: lost {lost_uploads}, double effects {double_uploads} (orders sent \
         twice in their timeline: {double_sent}); dataSequence 1..{top}, {} uploads, gaps {gaps}\n  \
         messages: lost {lost_messages}, duplicated {duplicated_messages} (resends of one \
         delivery id: {resends})\n  \
         audit verify: {}",
            flows.len(),
            server.starts,
            started.elapsed().as_secs_f64(),
            counts.resent.load(Ordering::Relaxed),
            counts.replayed.load(Ordering::Relaxed),
            counts.rebuilt.load(Ordering::Relaxed) + counts.answers_lost.load(Ordering::Relaxed),
            counts.rebuilt.load(Ordering::Relaxed),
            counts.answers_lost.load(Ordering::Relaxed),
            sequences.len(),
            if audit_ok { "clean" } else { "FAILED" },
        ),
    );
    assert!(
        audit_ok,
        "beian audit verify: {}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );
    assert!(!flows.is_empty() && submitted >= submissions);
    assert_eq!((lost_orders, duplicated_orders), (0, 0), "orders");
    assert_eq!((lost_materials, duplicated_materials), (0, 0), "materials");
    assert_eq!(
        (lost_uploads, double_uploads, double_sent),
        (0, 0, 0),
        "uploads"
    );
    assert_eq!(gaps, 0, "dataSequence gaps: {sequences:?}");
    assert_eq!(sequences.len(), distinct.len(), "a dataSequence used twice");
    assert_eq!(sequences.len(), flows.len(), "one upload per order");
    assert_eq!((lost_messages, duplicated_messages), (0, 0), "messages");
    assert_eq!(
        counts.answers_lost.load(Ordering::Relaxed),
        0,
        "every answer lost in a crash is rebuilt"
    );
}

/// A first filing from a fresh account to its photo, waiting for the reviewer's approval.
pub async fn to_the_photo(
    caller: &mut Caller,
    reviewer: &Caller,
    c: u32,
    f: u32,
    number: &str,
) -> Flow {
    let username = format!("crash{c}x{f}");
    let serial = 10_000 + c * 1000 + f;
    let domain = format!("crash-{c}-{f}.cn");
    applicant(caller, &username).await;

    let body = check(&domain, serial);
    let a = caller
        .post("/orders", "order", Body::Json(body.clone()))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    let order_id = a.json["order_id"].as_str().unwrap().to_owned();
    // Replayed or rebuilt, the answer names the one order the account has.
    let list = caller.get("/orders").await;
    assert_eq!(
        list.json["items"][0]["id"],
        json!(order_id),
        "{}",
        list.json
    );
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
    for (path, form) in [
        (format!("/orders/{order_id}/sponsor"), sponsor_of(&body)),
        (format!("/orders/{order_id}/website"), website(&domain)),
        (
            format!("/orders/{order_id}/product"),
            json!({"service_number": number}),
        ),
    ] {
        let a = caller.put(&path, form).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.json);
    }

    // The first submission names what is missing; each is uploaded, then it goes through.
    let a = caller
        .post(
            &format!("/orders/{order_id}/submit"),
            "submit-1",
            Body::Json(json!({})),
        )
        .await;
    let mut materials = Vec::new();
    if a.status != StatusCode::OK {
        assert_eq!(a.code(), "not_ready", "{}", a.json);
        for field in a.json["error"]["fields"].as_object().unwrap().keys() {
            let kind = field.strip_prefix("materials.").unwrap_or(field).to_owned();
            let (file, content_type) = if kind == "verification_form" {
                let pdf = caller
                    .get(&format!("/orders/{order_id}/verification-form"))
                    .await;
                assert_eq!(pdf.status, StatusCode::OK);
                (pdf.bytes, "application/pdf")
            } else {
                (jpeg(serial), "image/jpeg")
            };
            let a = caller
                .post(
                    &format!("/orders/{order_id}/materials"),
                    &format!("material-{kind}"),
                    Body::Multipart(multipart(&[("kind", &kind)], &file, content_type)),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{kind}: {}", a.json);
            assert_eq!(a.json["kind"], json!(kind), "{}", a.json);
            materials.push(kind);
        }
        let a = caller
            .post(
                &format!("/orders/{order_id}/submit"),
                "submit-2",
                Body::Json(json!({})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "submit: {}", a.json);
    }
    for (who, path, key, body) in [
        (
            reviewer,
            format!("/review/orders/{order_id}/approve"),
            format!("approve-{order_id}"),
            Body::Json(json!({})),
        ),
        (
            &*caller,
            format!("/orders/{order_id}/photo"),
            "photo".to_owned(),
            Body::Multipart(multipart(&[], &jpeg(serial + 1), "image/jpeg")),
        ),
    ] {
        let a = who.post(&path, &key, body).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.json);
        assert!(a.json["version"].as_i64().is_some(), "{path}: {}", a.json);
    }
    Flow {
        username,
        order_id,
        domain,
        materials,
    }
}

/// The reviewer approves the order's photo: the order is queued for the bureau.
pub async fn approve_photo(reviewer: &Caller, order_id: &str) {
    let path = format!("/review/orders/{order_id}/photo/approve");
    let a = reviewer
        .post(
            &path,
            &format!("photo-approve-{order_id}"),
            Body::Json(json!({})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.json);
    assert_eq!(a.json["state"], "queued_for_bureau", "{path}: {}", a.json);
}

/// One first filing from a fresh account to the photo's approval.
pub async fn one_flow(
    caller: &mut Caller,
    reviewer: &Caller,
    c: u32,
    f: u32,
    number: &str,
) -> Flow {
    let flow = to_the_photo(caller, reviewer, c, f, number).await;
    approve_photo(reviewer, &flow.order_id).await;
    flow
}
