#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The crash and outage suite (issue 16): the real `beian` binary as a child process, killed
//! with `kill -9` and started again on the same data dir while clients keep submitting, and
//! the regulator run as its own process and stopped. What each part proves is in its module:
//! [`kill`] (lost and duplicated orders, materials, bureau uploads and messages, the
//! `dataSequence`, the audit chain), [`outage`] (the regulator as its own process, stopped
//! while orders queue: each delivered once, the deadline alert once), [`deadlines`]
//! (reminders and draft expiry fire once across restarts), [`pg_pair`] (two instances on one
//! PostgreSQL, one killed: no job runs twice; skipped without PostgreSQL unless `CI=true`).
//!
//! The sizes are tunable for local runs: `BEIAN_CRASH_SUBMISSIONS` (2,000), `BEIAN_CRASH_KILLS`
//! (50), `BEIAN_CRASH_CLIENTS` (16), `BEIAN_CRASH_SEED` (random; printed, to replay a run's
//! kill points). `BEIAN_CRASH_LOG` is the servers' `RUST_LOG` (`error`).

mod api;
mod deadlines;
mod fakes;
mod kill;
mod outage;
mod pg_pair;
mod server;

use serde_json::{Value, json};

use api::{Body, Caller};

/// The password of every account the suite makes.
pub const PASSWORD: &str = "correct horse 1";

/// Prints a part's figures and keeps them in `target/crash/NAME.txt` (of the build that made
/// this test), where `.ci/run` shows them after the tests (the test harness captures what a
/// passing test prints).
pub fn report(name: &str, figures: &str) {
    println!("{figures}");
    // The test binary is `<target>/debug/deps/crash-…`.
    let root = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("crash");
    if std::fs::create_dir_all(&root).is_ok() {
        let _ = std::fs::write(root.join(format!("{name}.txt")), format!("{figures}\n"));
    }
}

/// A number from the environment, or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A valid unified social credit code of a Hangzhou enterprise, numbered by `serial`.
pub fn credit_code(serial: u32) -> String {
    beian_core::credit_code::CreditCode::from_parts(&format!("91330106{serial:08}"))
        .unwrap()
        .as_str()
        .to_owned()
}

/// A valid resident id number.
pub fn resident_id(serial: u32) -> String {
    let body = format!("33010619900101{:03}", serial % 1000);
    let check = beian_core::resident_id::check_character(&body).unwrap();
    format!("{body}{check}")
}

/// The filing check (`POST /orders`) of an enterprise in Zhejiang.
pub fn check(domain: &str, serial: u32) -> Value {
    json!({"domain": domain, "sponsor": {"province": "33", "nature": "enterprise",
           "certificate_type": "credit_code", "certificate_number": credit_code(serial),
           "name": format!("杭州崩溃测试{serial}科技有限公司")}})
}

/// The responsible person.
pub fn person() -> Value {
    json!({"name": "张三", "certificate_type": "resident_id",
           "certificate_number": resident_id(1), "mobile": "13800138000",
           "email": "zhang@example.cn", "emergency_mobile": "13900139000",
           "office_phone": "0571-88888888"})
}

/// The sponsor form of the check `body`.
pub fn sponsor_of(body: &Value) -> Value {
    let mut sponsor = body["sponsor"].clone();
    sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
    sponsor["responsible"] = person();
    sponsor
}

/// The website form of `domain`.
pub fn website(domain: &str) -> Value {
    json!({"name": "示例网站", "domain": domain, "home_url": format!("https://www.{domain}/"),
           "service_content": "企业官网", "languages": ["zh_cn"], "responsible": person(),
           "pre_approvals": []})
}

/// A staff account made with `beian admin user add` (before the server runs); its one-time
/// password.
pub fn add_staff(data_dir: &std::path::Path, username: &str, role: &str) -> String {
    add_staff_with(data_dir, username, role, &[])
}

/// As [`add_staff`], with extra environment (`BEIAN_DATABASE_URL`).
pub fn add_staff_with(
    data_dir: &std::path::Path,
    username: &str,
    role: &str,
    env: &[(String, String)],
) -> String {
    let mut cmd = server::beian();
    cmd.args(["admin", "user", "add", username, "--role", role, "--email"])
        .arg(format!("{username}@example.cn"))
        .arg("--data-dir")
        .arg(data_dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "admin user add: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The one-time password is the last word printed.
    stdout
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Logs a staff account in with its one-time password and sets [`PASSWORD`].
pub async fn staff_login(caller: &mut Caller, username: &str, one_time: &str) {
    caller.login(username, one_time).await;
    let a = caller
        .put(
            "/account/password",
            json!({"current_password": one_time, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(a.status, 200, "password change of {username}: {}", a.json);
}

/// Registers an applicant (an idempotent submission) and logs it in.
pub async fn applicant(caller: &mut Caller, username: &str) {
    let a = caller
        .post(
            "/accounts",
            &format!("register-{username}"),
            Body::Json(json!({"username": username, "password": PASSWORD,
                "email": format!("{username}@example.cn"), "mobile": "13812345678"})),
        )
        .await;
    assert_eq!(a.status, 201, "register {username}: {}", a.json);
    assert_eq!(a.json["username"], json!(username), "{}", a.json);
    caller.login(username, PASSWORD).await;
}

/// Moves the simulated clock of the server at `base` by `minutes`.
pub async fn advance(base: &str, minutes: i64) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{base}/sim/clock/advance"))
        .header("x-simulator-token", server::SIM_TOKEN)
        .json(&json!({ "minutes": minutes }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "clock advance: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}
