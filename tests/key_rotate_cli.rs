#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `beian key rotate` over real data dirs (issue 16): while a store that opened with the old
//! key (as a running server has) keeps writing and reading, the command re-wraps the data key
//! under the new one and replaces the data dir's `data.key` (0600); afterwards the new key
//! opens everything written before and after (sealed fields, blind-index lookups), the old key
//! is refused, a wrong current key exits 1 changing nothing, and `beian audit verify` passes.
//! On SQLite and on PostgreSQL (`--database-url`), and on a data dir from before envelope keys.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use beian_store::accounts::{NewAccount, Role};
use beian_store::sponsors::{Person, SponsorData};
use beian_store::{DataKey, Store, StoreConfig, StoreError};

fn beian(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(args)
        .env_remove("BEIAN_DATABASE_URL")
        .env_remove("BEIAN_DATA_KEY")
        .env_remove("BEIAN_DATA_KEY_FILE")
        .env_remove("BEIAN_DATA_KEY_COMMAND")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn cert(i: usize) -> String {
    format!("33010619900307{i:04}")
}

async fn write_one(store: &Store, i: usize) {
    let mut tx = store.begin().await.unwrap();
    let account = tx
        .insert_account(
            "system",
            &NewAccount {
                username: &format!("user{i}"),
                password_hash: "$argon2id$v=19$fake",
                email: "user@example.cn",
                mobile: Some("13912345678"),
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    let data = SponsorData {
        account_id: Some(account),
        province: "33".into(),
        nature: "individual".into(),
        certificate_type: "resident_id".into(),
        certificate_number: cert(i),
        name: "张三".into(),
        address: "浙江省杭州市".into(),
        responsible: Person {
            name: "张三".into(),
            certificate_type: "resident_id".into(),
            certificate_number: cert(i),
            mobile: "13787654321".into(),
            email: "zhang@example.cn".into(),
        },
    };
    tx.insert_sponsor("system", &data).await.unwrap();
    tx.commit().await.unwrap();
}

async fn read_one(store: &Store, i: usize) {
    let found = store
        .sponsor_by_certificate("resident_id", &cert(i))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("sponsor {i} not found by its blind index"));
    assert_eq!(found.data.certificate_number, cert(i));
    assert_eq!(found.data.responsible.mobile, "13787654321");
}

/// A store that keeps writing and reading back, as a running server does.
struct Writer {
    done: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    fn start(store: Store, from: usize) -> Writer {
        let done = Arc::new(AtomicUsize::new(from));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (done, stop) = (done.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let i = done.load(Ordering::SeqCst);
                    write_one(&store, i).await;
                    read_one(&store, i).await;
                    done.store(i + 1, Ordering::SeqCst);
                }
            })
        };
        Writer { done, stop, task }
    }

    /// Waits until `n` more are written; fails at once if the writer stopped (panicked).
    async fn wait_more(&self, n: usize) {
        let want = self.done.load(Ordering::SeqCst) + n;
        let started = std::time::Instant::now();
        while self.done.load(Ordering::SeqCst) < want {
            assert!(!self.task.is_finished(), "the writer stopped");
            assert!(started.elapsed().as_secs() < 600, "the writer hung");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    async fn stop(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        self.done.load(Ordering::SeqCst)
    }
}

fn key_file(dir: &Path, name: &str, key: &DataKey) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, key.to_base64()).unwrap();
    p
}

/// Runs `beian key rotate` while `writer` keeps going, and checks what it printed.
async fn rotate_under_writes(
    writer: &Writer,
    args: Vec<String>,
    old: &DataKey,
    new: &DataKey,
    dek_id: &str,
) {
    writer.wait_more(3).await;
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        beian(&args)
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    for id in [old.id(), new.id(), dek_id.to_owned()] {
        assert!(out.contains(&id), "names key {id}: {out}");
    }
    for key in [old.to_base64(), new.to_base64()] {
        assert!(
            !out.contains(&key) && !err.contains(&key),
            "a key was printed"
        );
    }
    writer.wait_more(3).await;
}

#[tokio::test]
async fn rotate_on_an_embedded_dir_under_writes_replaces_data_key_and_refuses_the_old_key() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let server = Store::open(StoreConfig::embedded(&data)).await.unwrap();
    let old = DataKey::load_or_create(&data, false).unwrap().unwrap();
    let dek_id = server.data_key_id().to_owned();
    let new = DataKey::generate();
    let new_file = key_file(root.path(), "new.key", &new);

    let writer = Writer::start(server.clone(), 0);
    let args = [
        "key",
        "rotate",
        "--data-dir",
        s(&data),
        "--new-key-file",
        s(&new_file),
    ];
    rotate_under_writes(
        &writer,
        args.iter().map(|a| a.to_string()).collect(),
        &old,
        &new,
        &dek_id,
    )
    .await;
    let written = writer.stop().await;
    server.close().await;

    // data.key holds the new key, mode 0600, and nothing is left staged.
    let in_file = DataKey::load_or_create(&data, false).unwrap().unwrap();
    assert_eq!(in_file.id(), new.id());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("data.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!data.join("data.key.new").exists());

    // The default open (data.key) reads everything written before and after.
    let reopened = Store::open(StoreConfig::embedded(&data)).await.unwrap();
    assert_eq!(reopened.data_key_id(), dek_id);
    for i in 0..written {
        read_one(&reopened, i).await;
    }
    reopened.close().await;
    let (code, out, err) = beian(&["audit", "verify", "--data-dir", s(&data)]);
    assert_eq!(code, 0, "{out}{err}");

    // The old key is refused, by the store and by the command, which changes nothing.
    let mut config = StoreConfig::embedded(&data);
    config.data_key = Some(old.clone());
    assert!(matches!(
        Store::open(config).await,
        Err(StoreError::WrongDataKey { .. })
    ));
    let old_file = key_file(root.path(), "old.key", &old);
    let other_file = key_file(root.path(), "other.key", &DataKey::generate());
    let before = std::fs::read(data.join("data.key")).unwrap();
    let (code, out, err) = beian(&[
        "key",
        "rotate",
        "--data-dir",
        s(&data),
        "--data-key-file",
        s(&old_file),
        "--new-key-file",
        s(&other_file),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("wrong data key"), "{err}");
    assert!(err.contains(&old.id()) && err.contains(&new.id()), "{err}");
    assert!(err.contains("nothing changed"), "{err}");
    assert_eq!(std::fs::read(data.join("data.key")).unwrap(), before);
    let still = Store::open(StoreConfig::embedded(&data)).await.unwrap();
    assert_eq!(still.wrapping_key_id().await.unwrap(), new.id());
    read_one(&still, 0).await;
    still.close().await;
}

#[tokio::test]
async fn rotate_on_postgres_under_writes_with_the_key_from_files() {
    let Some(t) = beian_store::testing::postgres().await else {
        return;
    };
    let url = t.database_url.clone().unwrap();
    let old = t.key.clone();
    let new = DataKey::generate();
    let dek_id = t.store.data_key_id().to_owned();
    let keys = tempfile::tempdir().unwrap();
    let old_file = key_file(keys.path(), "old.key", &old);
    let new_file = key_file(keys.path(), "new.key", &new);

    let writer = Writer::start(t.store.clone(), 0);
    let args = [
        "key",
        "rotate",
        "--data-dir",
        s(t.data_dir()),
        "--database-url",
        &url,
        "--data-key-file",
        s(&old_file),
        "--new-key-file",
        s(&new_file),
    ];
    rotate_under_writes(
        &writer,
        args.iter().map(|a| a.to_string()).collect(),
        &old,
        &new,
        &dek_id,
    )
    .await;
    let written = writer.stop().await;

    let mut config = t.config();
    config.data_key = Some(new.clone());
    let reopened = Store::open(config.clone()).await.unwrap();
    for i in 0..written {
        read_one(&reopened, i).await;
    }
    reopened.close().await;
    config.data_key = Some(old.clone());
    assert!(matches!(
        Store::open(config).await,
        Err(StoreError::WrongDataKey { .. })
    ));
    // No key file was made in the data dir for PostgreSQL.
    assert!(!t.data_dir().join("data.key").exists());
    t.teardown().await;
}

#[tokio::test]
async fn a_data_dir_from_before_envelope_keys_rotates() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    // A data dir as the previous release left it: data sealed directly under data.key's key.
    let first = Store::open(StoreConfig::embedded(&data)).await.unwrap();
    sqlx::query(
        "UPDATE data_key SET dek_id = NULL, kek_id = NULL, wrapped = NULL, origin = 'master' \
         WHERE id = 1",
    )
    .execute(first.pool())
    .await
    .unwrap();
    first.close().await;
    let old_release = Store::open(StoreConfig::embedded(&data)).await.unwrap();
    let master = DataKey::load_or_create(&data, false).unwrap().unwrap();
    assert_eq!(old_release.data_key_id(), master.id());
    for i in 0..3 {
        write_one(&old_release, i).await;
    }
    sqlx::query("DROP TABLE data_key")
        .execute(old_release.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 17")
        .execute(old_release.pool())
        .await
        .unwrap();
    old_release.close().await;

    let new = DataKey::generate();
    let new_file = key_file(root.path(), "new.key", &new);
    let (code, out, err) = beian(&[
        "key",
        "rotate",
        "--data-dir",
        s(&data),
        "--new-key-file",
        s(&new_file),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&master.id()) && out.contains(&new.id()),
        "{out}"
    );
    let reopened = Store::open(StoreConfig::embedded(&data)).await.unwrap();
    assert_eq!(reopened.data_key_id(), master.id());
    assert_eq!(reopened.wrapping_key_id().await.unwrap(), new.id());
    for i in 0..3 {
        read_one(&reopened, i).await;
    }
    reopened.close().await;
}
