#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `beian demo` on a fresh data dir: the printed one-time passwords log in to accounts of each
//! role, the service numbers are issued and unbound, the audit chain is intact, and a second
//! run refuses the filled dir.

use std::process::Command;

use beian_store::products::ServiceNumberStatus;
use beian_store::{Store, StoreConfig};

fn beian(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
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
async fn demo_fills_a_fresh_data_dir_once() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = beian(&["demo", "--registry-sponsors", "50"], dir.path());
    assert_eq!(code, 0, "{out}{err}");

    let store = Store::open(StoreConfig::embedded(dir.path()))
        .await
        .unwrap();
    for (username, role) in [
        ("admin", "admin"),
        ("reviewer", "reviewer"),
        ("customer", "applicant"),
    ] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(username))
            .unwrap_or_else(|| panic!("no login line for {username}: {out}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], role, "{line}");
        let account = store.account_by_username(username).await.unwrap().unwrap();
        assert_eq!(account.role.as_str(), role);
        assert!(
            beian_platform::accounts::verify_password(fields[2], &account.password_hash),
            "the printed password of {username} does not log in"
        );
        assert!(!beian_platform::accounts::verify_password(
            "not-the-password",
            &account.password_hash
        ));
    }
    for number in ["DEMO-1-01", "DEMO-2-05"] {
        assert_eq!(
            store.service_number(number).await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
    }
    drop(store);
    let (code, out, err) = beian(&["audit", "verify"], dir.path());
    assert_eq!(code, 0, "{out}{err}");

    let (code, _, err) = beian(&["demo"], dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("admin"), "{err}");
}
