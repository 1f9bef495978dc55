#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `beian backup`, `beian restore`, `beian key` over real data dirs (issue 20): a demo data
//! dir is backed up, its key sealed to a passphrase and the original key file set aside; the
//! restore takes the key through `--data-key-command "beian key unwrap …"`, and `beian audit
//! verify` passes on the restored dir. The store's own tests cover the backup under writes.

use std::path::Path;
use std::process::Command;

fn beian(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_beian"));
    cmd.args(args)
        .env_remove("BEIAN_DATABASE_URL")
        .env_remove("BEIAN_DATA_KEY")
        .env_remove("BEIAN_DATA_KEY_FILE")
        .env_remove("BEIAN_DATA_KEY_COMMAND")
        .env_remove("BEIAN_KEY_PASSPHRASE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_demo_dir_is_backed_up_and_restored_with_its_sealed_key() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (code, out, err) = beian(
        &["demo", "--registry-sponsors", "20", "--data-dir", s(&data)],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, id, err) = beian(&["key", "id", "--data-dir", s(&data)], &[]);
    assert_eq!(code, 0, "{err}");
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 16, "{id}");

    let backup = root.path().join("backup");
    let (code, out, err) = beian(&["backup", "--data-dir", s(&data), "--to", s(&backup)], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&id), "the backup names its key: {out}");
    let manifest = std::fs::read_to_string(backup.join("manifest.json")).unwrap();
    let key_text = std::fs::read_to_string(data.join("data.key")).unwrap();
    assert!(!manifest.contains(key_text.trim()));
    assert!(!backup.join("data.key").exists());

    // The key, sealed to a passphrase; a short passphrase is refused.
    let pass = root.path().join("pass");
    std::fs::write(&pass, "short\n").unwrap();
    let sealed = root.path().join("key.sealed");
    let export = [
        "key",
        "export",
        "--wrapped",
        "--data-dir",
        s(&data),
        "--out",
    ];
    let (code, _, err) = beian(
        &[&export[..], &[s(&sealed), "--passphrase-file", s(&pass)]].concat(),
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("at least 12"), "{err}");
    std::fs::write(&pass, "a long operator passphrase\n").unwrap();
    let (code, out, err) = beian(
        &[&export[..], &[s(&sealed), "--passphrase-file", s(&pass)]].concat(),
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !std::fs::read_to_string(&sealed)
            .unwrap()
            .contains(key_text.trim())
    );

    // Restore without a key: refused, naming the key it needs.
    let restored = root.path().join("restored");
    let (code, _, err) = beian(
        &["restore", "--from", s(&backup), "--data-dir", s(&restored)],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains(&id), "{err}");
    assert!(!restored.exists());

    // With the sealed key opened by a command, as a KMS client would give it.
    let command = format!(
        "'{}' key unwrap --from '{}' --passphrase-file '{}'",
        env!("CARGO_BIN_EXE_beian"),
        s(&sealed),
        s(&pass)
    );
    let (code, out, err) = beian(
        &[
            "restore",
            "--from",
            s(&backup),
            "--data-dir",
            s(&restored),
            "--data-key-command",
            &command,
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = beian(&["audit", "verify", "--data-dir", s(&restored)], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("audit chain intact"), "{out}");
    let (_, restored_id, _) = beian(&["key", "id", "--data-dir", s(&restored)], &[]);
    assert_eq!(restored_id.trim(), id);

    // A restore over a used dir is refused.
    let (code, _, err) = beian(
        &[
            "restore",
            "--from",
            s(&backup),
            "--data-dir",
            s(&restored),
            "--data-key-command",
            &command,
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("not empty"), "{err}");
}
