#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `beian admin user add` over a real data dir: prints a one-time password that logs in (its
//! hash verifies) for an account with the role asked; a taken username and a bad username
//! exit 1 with the reason; an unknown role is refused by the command line.

use std::process::Command;

use beian_store::accounts::Role;
use beian_store::{Store, StoreConfig};

fn add(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["admin", "user", "add"])
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("BEIAN_DATABASE_URL")
        .env_remove("BEIAN_DATA_KEY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn user_add_prints_a_one_time_password_for_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = add(
        dir.path(),
        &["rita", "--role", "reviewer", "--email", "rita@example.com"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .expect("the password line")
        .trim()
        .to_owned();
    assert_eq!(password.chars().count(), 20, "{stdout}");
    assert!(
        stdout.contains(&format!("一次性密码：{password}")),
        "zh-CN first: {stdout}"
    );

    let store = Store::open(StoreConfig::embedded(dir.path()))
        .await
        .unwrap();
    let account = store.account_by_username("rita").await.unwrap().unwrap();
    assert_eq!(account.role, Role::Reviewer);
    assert_eq!(account.email, "rita@example.com");
    assert!(beian_platform::accounts::verify_password(
        &password,
        &account.password_hash
    ));
    assert!(!beian_platform::accounts::verify_password(
        "not the password",
        &account.password_hash
    ));
    store.close().await;

    let (code, _, stderr) = add(dir.path(), &["rita", "--role", "admin"]);
    assert_eq!(code, 1, "a taken username: {stderr}");
    assert!(stderr.contains("username"), "{stderr}");

    let (code, _, stderr) = add(dir.path(), &["No Spaces", "--role", "admin"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("username"), "{stderr}");

    let (code, _, stderr) = add(dir.path(), &["bob", "--role", "root"]);
    assert_eq!(code, 2, "clap refuses an unknown role: {stderr}");
}
