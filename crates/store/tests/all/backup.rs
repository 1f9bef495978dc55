//! Online backup and restore (issue 20): a writer loop commits orders with their material
//! objects while the backup runs; the restore into a fresh data dir holds every order
//! committed before the backup began, each with its objects, the copy's own orders are whole,
//! and `verify_audit` passes on it. A damaged backup, a wrong key and a non-empty target are
//! refused without writing anything. PostgreSQL is refused with where to look instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use beian_store::backup::{self, BackupError};
use beian_store::objects::{ObjectConfig, Objects};
use beian_store::orders::NewMaterial;
use beian_store::{Backend, DataKey, Store, StoreConfig, testing, verify_audit};
use tokio::sync::Mutex;

use beian_store::accounts::{NewAccount, Role};
use beian_store::orders::NewOrder;

use crate::fixtures::{sponsor, website};

/// What the writer committed: (order id, object key, object bytes).
type Committed = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

pub(crate) async fn write_one(
    store: &Store,
    objects: &Objects,
    i: usize,
) -> (String, String, Vec<u8>) {
    let bytes = format!("material {i} ").repeat(50 + i).into_bytes();
    let stored = objects.put(bytes.clone()).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let username = format!("writer{i}");
    let account = tx
        .insert_account(
            "system",
            &NewAccount {
                username: &username,
                password_hash: "$argon2id$v=19$fake",
                email: "writer@example.cn",
                mobile: None,
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    let mut data = sponsor(&account);
    data.certificate_number = format!("W{i:08}");
    let sponsor_id = tx.insert_sponsor("system", &data).await.unwrap();
    let website_id = tx
        .insert_website("system", &website(&sponsor_id, &format!("{username}.cn")))
        .await
        .unwrap();
    let order = tx
        .insert_order(
            "system",
            &NewOrder {
                account_id: &account,
                sponsor_id: Some(&sponsor_id),
                website_id: Some(&website_id),
                kind: "first_filing",
                state: "draft",
                province: "33",
            },
        )
        .await
        .unwrap();
    tx.insert_material(
        "system",
        &NewMaterial {
            order_id: &order,
            kind: "sponsor_certificate",
            object_key: &stored.key,
            content_type: "application/pdf",
            size: stored.size,
            sha256_hex: &stored.sha256_hex,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (order, stored.key, bytes)
}

async fn committed_len(c: &Committed) -> usize {
    c.lock().await.len()
}

/// Waits until the writer has committed `n`; fails at once if it stopped (panicked).
async fn wait_for(c: &Committed, writer: &tokio::task::JoinHandle<()>, n: usize) {
    let started = std::time::Instant::now();
    while committed_len(c).await < n {
        assert!(!writer.is_finished(), "the writer stopped");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(600),
            "the writer hung"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_backup_taken_under_writes_restores_every_committed_order_and_verifies() {
    let t = testing::sqlite().await;
    let objects = Arc::new(
        Objects::open(
            &ObjectConfig::Local {
                dir: t.dir.path().join("objects"),
            },
            t.store.crypto(),
        )
        .unwrap(),
    );
    let committed: Committed = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, objects, committed, stop) = (
            t.store.clone(),
            objects.clone(),
            committed.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let one = write_one(&store, &objects, i).await;
                committed.lock().await.push(one);
                i += 1;
            }
        })
    };
    wait_for(&committed, &writer, 5).await;

    let before = committed_len(&committed).await;
    let out = tempfile::tempdir().unwrap();
    let to = out.path().join("backup");
    let manifest = backup::backup(&t.store, &objects, &to).await.unwrap();
    // The store stays writable after the backup; then the writer stops.
    wait_for(&committed, &writer, committed_len(&committed).await + 3).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();

    assert_eq!(manifest.key_id, t.key.id());
    assert!(manifest.orders >= before as i64, "{manifest:?}");
    assert_eq!(manifest.missing_objects, 0);
    assert!(manifest.audit_head_seq > 0);
    assert!(
        !std::fs::read_to_string(to.join(backup::MANIFEST))
            .unwrap()
            .contains(&t.key.to_base64()),
        "the manifest must not hold the key"
    );

    let restored_dir = out.path().join("restored");
    backup::restore(&to, &restored_dir, &t.key, true).unwrap();
    let mut config = StoreConfig::embedded(&restored_dir);
    config.data_key = Some(t.key.clone());
    let restored = Store::open(config).await.unwrap();
    let restored_objects = Objects::open(
        &ObjectConfig::Local {
            dir: restored_dir.join("objects"),
        },
        restored.crypto(),
    )
    .unwrap();
    let all = committed.lock().await.clone();
    for (order, key, bytes) in &all[..before] {
        let o = restored.order(order).await.unwrap();
        assert_eq!(&o.id, order);
        let materials = restored.materials(order).await.unwrap();
        assert_eq!(materials.len(), 1);
        assert_eq!(&materials[0].object_key, key);
        assert_eq!(&restored_objects.get(key).await.unwrap(), bytes);
    }
    // Every order the copy holds has its objects: the copy is whole, not only a prefix.
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(restored.pool())
        .await
        .unwrap();
    assert_eq!(held, manifest.orders);
    let keys: Vec<String> = sqlx::query_scalar("SELECT object_key FROM materials")
        .fetch_all(restored.pool())
        .await
        .unwrap();
    for key in keys {
        restored_objects.get(&key).await.unwrap();
    }
    let report = verify_audit(&restored, &restored_dir.join("audit-head"))
        .await
        .unwrap();
    assert_eq!(report.head_seq, manifest.audit_head_seq);
    assert_eq!(report.head_file_seq, Some(manifest.audit_head_seq));
    restored.close().await;
    t.teardown().await;
}

#[tokio::test]
async fn damage_a_wrong_key_and_a_used_folder_are_refused_before_anything_is_written() {
    let t = testing::sqlite().await;
    let objects = Objects::open(
        &ObjectConfig::Local {
            dir: t.dir.path().join("objects"),
        },
        t.store.crypto(),
    )
    .unwrap();
    let (_, key, _) = write_one(&t.store, &objects, 1).await;
    let out = tempfile::tempdir().unwrap();
    let to = out.path().join("backup");
    backup::backup(&t.store, &objects, &to).await.unwrap();

    // A second backup into the same folder.
    let again = backup::backup(&t.store, &objects, &to).await;
    assert!(matches!(again, Err(BackupError::NotEmpty(..))), "{again:?}");

    // Another key.
    let target = out.path().join("a");
    let wrong = backup::restore(&to, &target, &DataKey::generate(), true);
    assert!(
        matches!(wrong, Err(BackupError::WrongKey { .. })),
        "{wrong:?}"
    );
    assert!(!target.exists());

    // A non-empty data dir.
    let used = out.path().join("used");
    std::fs::create_dir_all(&used).unwrap();
    std::fs::write(used.join("something"), b"x").unwrap();
    let refused = backup::restore(&to, &used, &t.key, true);
    assert!(
        matches!(refused, Err(BackupError::NotEmpty(..))),
        "{refused:?}"
    );

    // One flipped byte in an object.
    let object = to.join("objects").join(&key);
    let mut bytes = std::fs::read(&object).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&object, bytes).unwrap();
    let target = out.path().join("b");
    let damaged = backup::restore(&to, &target, &t.key, true);
    assert!(
        matches!(damaged, Err(BackupError::Corrupt { .. })),
        "{damaged:?}"
    );
    assert!(!target.exists(), "a damaged backup wrote something");

    // No manifest: not a backup.
    std::fs::remove_file(to.join(backup::MANIFEST)).unwrap();
    let none = backup::restore(&to, &out.path().join("c"), &t.key, true);
    assert!(matches!(none, Err(BackupError::NoManifest(_))), "{none:?}");
    t.teardown().await;
}

#[tokio::test]
async fn postgres_is_refused_with_where_to_look() {
    testing::each_backend(async |t| {
        if t.backend != Backend::Postgres {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::open(
            &ObjectConfig::Local {
                dir: dir.path().join("objects"),
            },
            t.store.crypto(),
        )
        .unwrap();
        let refused = backup::backup(&t.store, &objects, &dir.path().join("b")).await;
        let Err(e) = refused else {
            panic!("PostgreSQL was backed up")
        };
        assert!(matches!(e, BackupError::Postgres));
        assert!(e.to_string().contains("pg_dump"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_backup_goes_to_a_bucket_and_comes_back_from_it() {
    let Some(server) = beian_store::testing::s3::S3Server::start() else {
        return;
    };
    let t = testing::sqlite().await;
    let objects = Objects::open(
        &ObjectConfig::Local {
            dir: t.dir.path().join("objects"),
        },
        t.store.crypto(),
    )
    .unwrap();
    let (order, key, bytes) = write_one(&t.store, &objects, 7).await;
    let bucket = server.config();
    let manifest = backup::backup_to_bucket(&t.store, &objects, &bucket, "nightly/2026-12-07")
        .await
        .unwrap();
    // The files are in the bucket under the prefix.
    let root = server
        .root
        .path()
        .join(beian_store::testing::s3::BUCKET)
        .join("nightly/2026-12-07");
    assert!(root.join(backup::MANIFEST).is_file());
    assert!(root.join("beian.db").is_file());
    assert!(root.join("objects").join(&key).is_file());
    let again = backup::backup_to_bucket(&t.store, &objects, &bucket, "nightly/2026-12-07").await;
    assert!(matches!(again, Err(BackupError::NotEmpty(..))), "{again:?}");

    let out = tempfile::tempdir().unwrap();
    let restored_dir = out.path().join("restored");
    backup::restore_from_bucket(&bucket, "nightly/2026-12-07", &restored_dir, &t.key, true)
        .await
        .unwrap();
    let mut config = StoreConfig::embedded(&restored_dir);
    config.data_key = Some(t.key.clone());
    let restored = Store::open(config).await.unwrap();
    assert_eq!(restored.order(&order).await.unwrap().id, order);
    let restored_objects = Objects::open(
        &ObjectConfig::Local {
            dir: restored_dir.join("objects"),
        },
        restored.crypto(),
    )
    .unwrap();
    assert_eq!(restored_objects.get(&key).await.unwrap(), bytes);
    let report = verify_audit(&restored, &restored_dir.join("audit-head"))
        .await
        .unwrap();
    assert_eq!(report.head_seq, manifest.audit_head_seq);
    let missing =
        backup::restore_from_bucket(&bucket, "nightly/none", &out.path().join("x"), &t.key, true)
            .await;
    assert!(
        matches!(missing, Err(BackupError::NoManifest(_))),
        "{missing:?}"
    );
    restored.close().await;
    t.teardown().await;
}
