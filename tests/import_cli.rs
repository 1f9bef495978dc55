#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `beian import wanwang` as a real process over a data dir: a run loads the good records and
//! reports the refused one (stderr and `--report`), a re-run skips what is loaded, and
//! `--account` imports a single record into an account once and never rebinds it.

use std::path::Path;
use std::process::Command;

use beian_core::credit_code::CreditCode;
use beian_store::accounts::{NewAccount, Role};
use beian_store::{Store, StoreConfig};

fn import(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["import", "wanwang"])
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

fn record(i: u32, hash: &str) -> String {
    let code = CreditCode::from_parts(&format!("91330106{:08}", 600 + i)).unwrap();
    beian_platform::legacy::example_record(
        &format!("cli_user{i}"),
        hash,
        code.as_str(),
        &format!("浙ICP备20160003{i:02}号"),
        &format!("cli-legacy{i}.cn"),
    )
}

#[tokio::test]
async fn loads_resumes_reports_and_imports_into_one_account_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let hash = beian_platform::accounts::hash_password("old secret").unwrap();
    let export = dir.path().join("export.jsonl");
    let bad = record(3, "md5:5f4dcc3b5aa765d61d8327deb882cf99");
    std::fs::write(
        &export,
        [record(1, &hash), record(2, &hash), bad].join("\n"),
    )
    .unwrap();
    let report = dir.path().join("refused.txt");
    let report_arg = report.to_str().unwrap();

    let (code, stdout, stderr) = import(
        &data,
        &[
            export.to_str().unwrap(),
            "--report",
            report_arg,
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("3 records: 2 loaded, 0 already loaded, 1 refused"),
        "{stdout}"
    );
    assert!(
        stderr.contains("line 3\tcli_user3\tpassword_hash: "),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(
        written.starts_with("line 3\tcli_user3\tpassword_hash: "),
        "{written}"
    );

    // Re-run: nothing loaded twice.
    let (_, stdout, _) = import(&data, &[export.to_str().unwrap()]);
    assert!(
        stdout.contains("3 records: 0 loaded, 2 already loaded, 1 refused"),
        "{stdout}"
    );

    // --account with a single record.
    {
        let store = Store::open(StoreConfig::embedded(&data)).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.insert_account(
            "test",
            &NewAccount {
                username: "alice",
                password_hash: "x",
                email: "alice@example.com",
                mobile: None,
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
    }
    let one = dir.path().join("one.jsonl");
    std::fs::write(&one, record(1, &hash)).unwrap();
    let (code, stdout, stderr) = import(&data, &[one.to_str().unwrap(), "--account", "alice"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("imported cli_user1 into alice"), "{stdout}");
    assert!(stdout.contains("浙ICP备2016000301号"), "{stdout}");

    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, record(2, &hash)).unwrap();
    let (code, _, stderr) = import(&data, &[other.to_str().unwrap(), "--account", "alice"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("account_has_sponsor"), "{stderr}");
    let (code, _, stderr) = import(&data, &[one.to_str().unwrap(), "--account", "alice"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("legacy_already_imported"), "{stderr}");
    // A file of several records is not for --account.
    let (code, _, stderr) = import(&data, &[export.to_str().unwrap(), "--account", "alice"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("exactly one record"), "{stderr}");
}
