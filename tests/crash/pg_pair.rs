//! Two server instances on one PostgreSQL while one is killed (issue 16): both `beian serve`
//! processes share the database and the data dir (data key, objects) and reach one regulator
//! run as its own process; clients submit through both; instance A is killed with `kill -9`
//! at random points and started again. The jobs are leased, so each runs to its effect once:
//! every order reaches the bureau once, with the `dataSequence` of its uploads 1..N without
//! a gap, and each message goes out under one delivery id (a resend of the same id after a
//! kill is counted apart). Needs PostgreSQL: skipped with a notice without it, unless
//! `CI=true` (the store's test harness starts a throwaway cluster when the server binaries
//! are installed).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::api::{Caller, Counts};
use crate::kill::one_flow;
use crate::outage::{at_the_bureau, external_bureau, sequences};
use crate::server::Server;
use crate::{add_staff_with, env_number, staff_login};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgresql_run_each_job_once_while_one_is_killed() {
    let Some(pg) = beian_store::testing::pg::server() else {
        eprintln!("skipped: two instances on PostgreSQL need PostgreSQL (see the notice above)");
        return;
    };
    let db = beian_store::testing::pg::TestDatabase::create(pg).await;
    let orders = env_number("BEIAN_CRASH_PG_ORDERS", 16) as u32;
    let kills = env_number("BEIAN_CRASH_PG_KILLS", 5);
    let seed = env_number("BEIAN_CRASH_SEED", rand::random::<u32>() as u64);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let started = Instant::now();

    let (sms_url, sms) = crate::fakes::sms_gateway().await;
    let (smtp_port, mail) = crate::fakes::smtp_relay().await;
    let dir = tempfile::tempdir().unwrap();
    let regulator_dir = dir.path().join("regulator");
    let data = dir.path().join("data");
    let (mut bureau, mut args) = external_bureau(&regulator_dir, &[]).await;
    // On PostgreSQL the data key is the operator's (no key file is made): one for both.
    let key: [u8; 32] = rand::random();
    let key = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(key)
    };
    let env = vec![
        ("BEIAN_DATABASE_URL".to_owned(), db.url.clone()),
        ("BEIAN_DATA_KEY".to_owned(), key),
    ];
    let admin_pw = add_staff_with(&data, "boss", "admin", &env);
    let reviewer_pw = add_staff_with(&data, "rita", "reviewer", &env);
    args.extend(
        [
            "--smtp",
            &json!({"host": "127.0.0.1", "port": smtp_port, "tls": "none",
                    "from": "beian@example.cn"})
            .to_string(),
            "--sms-http",
            &json!({"url": sms_url, "api_key": "crash", "sign": "备案"}).to_string(),
        ]
        .map(str::to_owned),
    );
    let mut a = Server::start(&data, &args, &env);
    let b = Server::start(&data, &args, &env);
    let counts = Arc::new(Counts::default());
    let mut admin = Caller::new(b.base.clone(), 230 << 16 | 1, counts.clone());
    staff_login(&mut admin, "boss", &admin_pw).await;
    let mut reviewer = Caller::new(b.base.clone(), 230 << 16 | 2, counts.clone());
    staff_login(&mut reviewer, "rita", &reviewer_pw).await;
    let r = admin
        .put(
            "/admin/service-number-policy",
            json!({"per_instance_limit": 1000, "min_term_months": 3,
                   "qualifying_states": ["running"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let r = admin
        .post(
            "/admin/instances",
            "instance",
            crate::api::Body::Json(json!({"product": "ecs", "public_ip": "203.0.113.7",
                "term_end": now_ms + 3 * 365 * 86_400_000_i64})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let instance = r.json["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(
            &format!("/admin/instances/{instance}/service-numbers"),
            "numbers",
            crate::api::Body::Json(json!({"count": orders})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let numbers: Vec<String> = r.json["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();

    // Four clients, the even ones through A (the one killed), the odd ones through B.
    let mut tasks = Vec::new();
    for c in 0..4u32 {
        let base = if c % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let reviewer_base = reviewer.clone();
        let counts = counts.clone();
        let mine: Vec<String> = numbers
            .iter()
            .skip(c as usize)
            .step_by(4)
            .cloned()
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut flows = Vec::new();
            for (f, number) in mine.iter().enumerate() {
                let n = 231 << 16 | c << 8 | (f as u32 + 1);
                let mut caller = Caller::new(base.clone(), n, counts.clone());
                let rev = reviewer_base.at(n);
                flows.push(one_flow(&mut caller, &rev, 50 + c, f as u32, number).await);
            }
            flows
        }));
    }
    let set_up = counts.submissions.load(Ordering::Relaxed);
    let total = u64::from(orders) * 11;
    let mut points: Vec<u64> = (0..kills)
        .map(|_| set_up + rng.random_range(1..total))
        .collect();
    points.sort_unstable();
    let mut done_kills = 0;
    for at in points {
        while counts.submissions.load(Ordering::Relaxed) < at
            && !tasks.iter().all(tokio::task::JoinHandle::is_finished)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if tasks.iter().all(tokio::task::JoinHandle::is_finished) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..250))).await;
        a.restart();
        done_kills += 1;
    }
    let mut flows = Vec::new();
    for t in tasks {
        flows.extend(t.await.unwrap());
    }
    let ids: Vec<String> = flows.iter().map(|f| f.order_id.clone()).collect();
    let domains: Vec<String> = flows.iter().map(|f| f.domain.clone()).collect();

    // The real clock: a lease the killed instance held runs out, and B (or A again) takes
    // the job over.
    let waited = Instant::now();
    loop {
        let mut pending = 0;
        for id in &ids {
            let o = reviewer.get(&format!("/review/orders/{id}")).await;
            if !matches!(o.json["state"].as_str(), Some("at_bureau" | "sms_pending")) {
                pending += 1;
            }
        }
        let due = 2 * ids.len();
        let (texts, mails) = (
            sms.lock().unwrap().times.len(),
            mail.lock().unwrap().times.len(),
        );
        if pending == 0 && texts >= due && mails >= due {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(600),
            "{pending} orders not delivered, {texts} texts and {mails} mails of {due}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let per_domain = at_the_bureau(&bureau, &domains).await;
    let lost_uploads = per_domain.iter().filter(|n| **n == 0).count();
    let double_uploads: usize = per_domain.iter().map(|n| n.saturating_sub(1)).sum();
    let (mut lost_messages, mut double_messages) = (0, 0);
    {
        let sms = sms.lock().unwrap();
        let mail = mail.lock().unwrap();
        for id in &ids {
            let t = sms.times.keys().filter(|k| k.contains(id.as_str())).count();
            let m = mail
                .times
                .keys()
                .filter(|k| k.contains(id.as_str()))
                .count();
            for n in [t, m] {
                lost_messages += 2usize.saturating_sub(n);
                double_messages += n.saturating_sub(2);
            }
        }
    }
    let resends: u32 = [&sms, &mail]
        .iter()
        .map(|i| i.lock().unwrap().times.values().map(|n| n - 1).sum::<u32>())
        .sum();
    drop(a);
    drop(b);
    bureau.kill();
    let (seqs, gaps) = sequences(&regulator_dir).await;
    db.drop_database().await;
    crate::report(
        "pg_pair",
        &format!(
            "two instances on PostgreSQL (seed {seed}): {} orders, {done_kills} kill -9 of one \
         instance, {:.0} s; bureau uploads lost {lost_uploads}, double {double_uploads}; \
         dataSequence {} uploads, gaps {gaps}; messages lost {lost_messages}, duplicated \
         {double_messages} (resends of one delivery id: {resends})",
            ids.len(),
            started.elapsed().as_secs_f64(),
            seqs.len(),
        ),
    );
    assert_eq!((lost_uploads, double_uploads), (0, 0), "{per_domain:?}");
    assert_eq!(gaps, 0, "{seqs:?}");
    assert_eq!(seqs.len(), ids.len(), "{seqs:?}");
    assert_eq!((lost_messages, double_messages), (0, 0), "messages");
}
