#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `beian audit verify` over a real data dir: exit 0 on an intact chain, exit 1 naming the
//! first bad record after an edit, and exit 1 after the tail is cut off. (The store's own tests
//! cover every kind of tampering on both backends; this checks the command's contract.)

use std::process::Command;

use beian_store::accounts::{NewAccount, Role};
use beian_store::{Store, StoreConfig};

fn verify(dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["audit", "verify", "--data-dir"])
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

async fn store_with_three_records(dir: &std::path::Path) -> Store {
    let store = Store::open(StoreConfig::embedded(dir)).await.unwrap();
    for name in ["alice", "bob", "carol"] {
        let mut tx = store.begin().await.unwrap();
        tx.insert_account(
            "system",
            &NewAccount {
                username: name,
                password_hash: "x",
                email: &format!("{name}@example.com"),
                mobile: None,
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    // The head file is written off the commit path (`audit::HeadWriter`); the command runs in
    // another process, so wait until this process has written it.
    store.flush_audit_head().await;
    store
}

#[tokio::test]
async fn intact_chain_exits_0_and_an_edit_exits_1_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_three_records(dir.path()).await;
    let (code, stdout, stderr) = verify(dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("3 records"), "{stdout}");

    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let (code, _, stderr) = verify(dir.path());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("record 2"),
        "the break names record 2: {stderr}"
    );
}

#[tokio::test]
async fn a_cut_tail_is_caught_by_the_head_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_three_records(dir.path()).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)")
        .execute(store.pool())
        .await
        .unwrap();
    let (code, _, stderr) = verify(dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("audit chain broken"), "{stderr}");
    assert!(
        stderr.contains("Truncated"),
        "the break is the cut tail: {stderr}"
    );
}
