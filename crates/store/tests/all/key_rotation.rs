//! Envelope keys and rotation (issue 16): the operator's key is rotated by re-wrapping the
//! data-encryption key while another store on the same database keeps writing and reading;
//! afterwards the new key opens everything written before and after (sealed fields, blind
//! index lookups, objects), the old key is refused, and a wrong current key changes nothing.
//! A store from before envelope keys (sealed directly under the operator's key) still opens,
//! adopts that key's material as its data key, and rotates.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use beian_store::crypto::{Crypto, Field};
use beian_store::data_keys::Origin;
use beian_store::objects::{ObjectConfig, Objects};
use beian_store::testing::{TestStore, each_backend};
use beian_store::{DataKey, Store, StoreConfig, StoreError, verify_audit};
use sqlx::Row;
use tokio::sync::Mutex;

use crate::backup::write_one;
use crate::fixtures::{self, ID_NUMBER, RESPONSIBLE_MOBILE};

type Committed = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

fn config_with(t: &TestStore, key: &DataKey) -> StoreConfig {
    let mut c = t.config();
    c.data_key = Some(key.clone());
    c
}

fn objects_of(t: &TestStore, store: &Store) -> Objects {
    Objects::open(
        &ObjectConfig::Local {
            dir: t.data_dir().join("objects"),
        },
        store.crypto(),
    )
    .unwrap()
}

async fn wait_for(c: &Committed, writer: &tokio::task::JoinHandle<()>, n: usize) {
    let started = std::time::Instant::now();
    loop {
        if c.lock().await.len() >= n {
            return;
        }
        assert!(!writer.is_finished(), "the writer stopped");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(600),
            "the writer hung"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Every committed order's sponsor opens, is found by its certificate's blind index, and its
/// object opens.
async fn check_all(store: &Store, objects: &Objects, committed: &[(String, String, Vec<u8>)]) {
    for (i, (order, key, bytes)) in committed.iter().enumerate() {
        let cert = format!("W{i:08}");
        let sponsor = store
            .sponsor_by_certificate("resident_id", &cert)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("sponsor {cert} not found by its blind index"));
        assert_eq!(sponsor.data.certificate_number, cert);
        assert_eq!(sponsor.data.responsible.mobile, RESPONSIBLE_MOBILE);
        assert!(store.order(order).await.is_ok());
        assert_eq!(&objects.get(key).await.unwrap(), bytes);
    }
}

fn is_wrong_key(r: &Result<Store, StoreError>, given: &DataKey, wanted: &DataKey) -> bool {
    matches!(r, Err(StoreError::WrongDataKey { given: g, wrapped_under: w })
        if *g == given.id() && *w == wanted.id())
}

#[tokio::test]
async fn rotation_rewraps_while_another_store_keeps_writing_and_the_new_key_reads_everything() {
    each_backend(async |t| {
        let old = t.key.clone();
        let new = DataKey::generate();
        assert_eq!(t.store.data_key_origin(), Origin::Generated);
        let dek_id = t.store.data_key_id().to_owned();
        assert_ne!(dek_id, old.id(), "a fresh store's data key is its own");

        // The "running server": writes and reads back continuously, from before the
        // rotation to after it.
        let server = t.store.clone();
        let objects = Arc::new(objects_of(t, &server));
        let committed: Committed = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (store, objects, committed, stop) = (
                server.clone(),
                objects.clone(),
                committed.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let one = write_one(&store, &objects, i).await;
                    let cert = format!("W{i:08}");
                    let found = store
                        .sponsor_by_certificate("resident_id", &cert)
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(found.data.certificate_number, cert);
                    assert_eq!(objects.get(&one.1).await.unwrap(), one.2);
                    committed.lock().await.push(one);
                    i += 1;
                }
            })
        };
        wait_for(&committed, &writer, 3).await;

        // The rotation, from another store on the same database (as `beian key rotate` is).
        let rotator = Store::open(config_with(t, &old)).await.unwrap();
        let rotation = rotator.rotate_data_key(&old, &new, "cli").await.unwrap();
        assert_eq!(rotation.dek_id, dek_id);
        assert_eq!(rotation.old_kek_id, old.id());
        assert_eq!(rotation.new_kek_id, new.id());
        assert_eq!(rotator.wrapping_key_id().await.unwrap(), new.id());
        rotator.close().await;

        // The server goes on without a pause.
        let n = committed.lock().await.len();
        wait_for(&committed, &writer, n + 3).await;
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();
        let committed = committed.lock().await.clone();

        // The new key opens everything written before and after.
        let reopened = Store::open(config_with(t, &new)).await.unwrap();
        assert_eq!(reopened.data_key_id(), dek_id);
        check_all(&reopened, &objects_of(t, &reopened), &committed).await;
        let report = verify_audit(&reopened, &t.data_dir().join(beian_store::audit::HEAD_FILE))
            .await
            .unwrap();
        assert!(report.records > 0);
        let rotations: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'data_key.rotate'")
                .fetch_one(reopened.pool())
                .await
                .unwrap()
                .try_get("n")
                .unwrap();
        assert_eq!(rotations, 1);

        // The old key is refused, and so is a wrong current key for a rotation, which
        // changes nothing.
        assert!(is_wrong_key(
            &Store::open(config_with(t, &old)).await,
            &old,
            &new
        ));
        let stranger = DataKey::generate();
        let wrong = reopened
            .rotate_data_key(&stranger, &DataKey::generate(), "cli")
            .await;
        assert!(
            matches!(&wrong, Err(StoreError::WrongDataKey { given, wrapped_under })
                if *given == stranger.id() && *wrapped_under == new.id()),
            "{wrong:?}"
        );
        assert!(matches!(
            reopened.rotate_data_key(&new, &new, "cli").await,
            Err(StoreError::InvalidState { .. })
        ));
        assert_eq!(reopened.wrapping_key_id().await.unwrap(), new.id());
        check_all(&reopened, &objects_of(t, &reopened), &committed).await;
        reopened.close().await;
    })
    .await;
}

/// Turns the store back into one from before envelope keys: the data key's table and its
/// migration gone, as an older release left it.
async fn downgrade(store: &Store) {
    sqlx::query("DROP TABLE data_key")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 17")
        .execute(store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_store_from_before_envelope_keys_opens_with_its_key_and_rotates() {
    each_backend(async |t| {
        let master = t.key.clone();
        // Data sealed the old way, directly under keys derived from the master key: a store
        // whose data key is the master's own material (what adoption yields), then the
        // schema as the release before this one left it.
        sqlx::query(
            "UPDATE data_key SET dek_id = NULL, kek_id = NULL, wrapped = NULL, \
             origin = 'master' WHERE id = 1",
        )
        .execute(t.store.pool())
        .await
        .unwrap();
        let old_release = Store::open(config_with(t, &master)).await.unwrap();
        assert_eq!(old_release.data_key_id(), master.id());
        let mut tx = old_release.begin().await.unwrap();
        let (_, sponsor, _, _) = fixtures::order_setup(&mut tx, "legacy").await;
        tx.commit().await.unwrap();
        let objects = objects_of(t, &old_release);
        let committed = vec![write_one(&old_release, &objects, 0).await];
        old_release.close().await;
        downgrade(&t.store).await;
        // Independently of the store: the raw column opens under the master key itself.
        let ct: Vec<u8> = sqlx::query("SELECT certificate_ct FROM sponsors WHERE id = $1")
            .bind(&sponsor)
            .fetch_one(t.store.pool())
            .await
            .unwrap()
            .try_get("certificate_ct")
            .unwrap();
        assert_eq!(
            Crypto::new(&master).open_str(Field::Certificate, &ct).unwrap(),
            ID_NUMBER
        );

        // Another key does not open its data, so it is not adopted.
        let stranger = DataKey::generate();
        let refused = Store::open(config_with(t, &stranger)).await;
        assert!(
            matches!(&refused, Err(StoreError::KeyDoesNotOpenData { given }) if *given == stranger.id()),
            "{refused:?}"
        );

        // Its own key opens it: the master's material is adopted as the data key.
        let upgraded = Store::open(config_with(t, &master)).await.unwrap();
        assert_eq!(upgraded.data_key_origin(), Origin::Master);
        assert_eq!(upgraded.data_key_id(), master.id());
        assert_eq!(upgraded.wrapping_key_id().await.unwrap(), master.id());
        assert_eq!(
            upgraded.sponsor(&sponsor).await.unwrap().data.certificate_number,
            ID_NUMBER
        );
        check_all(&upgraded, &objects_of(t, &upgraded), &committed).await;

        // And rotates: the new key opens it, the master no longer does.
        let new = DataKey::generate();
        let rotation = upgraded.rotate_data_key(&master, &new, "cli").await.unwrap();
        assert_eq!(rotation.dek_id, master.id());
        upgraded.close().await;
        let rotated = Store::open(config_with(t, &new)).await.unwrap();
        assert_eq!(
            rotated
                .sponsor_by_certificate("resident_id", ID_NUMBER)
                .await
                .unwrap()
                .unwrap()
                .id,
            sponsor
        );
        check_all(&rotated, &objects_of(t, &rotated), &committed).await;
        rotated.close().await;
        assert!(is_wrong_key(
            &Store::open(config_with(t, &master)).await,
            &master,
            &new
        ));
    })
    .await;
}

/// A store from before envelope keys whose only sealed values are outside sponsors, accounts,
/// the outbox and legacy records (here a stored idempotent answer, as a registration through
/// the API leaves before any filing) still refuses a key that does not open them: a wrong key
/// adopted would be pinned, its own key then refused, and the answer open under neither.
#[tokio::test]
async fn a_store_from_before_envelope_keys_refuses_a_key_that_does_not_open_a_stored_answer() {
    each_backend(async |t| {
        let master = t.key.clone();
        let count = |table: &'static str| async move {
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {table}")))
                .fetch_one(t.store.pool())
                .await
                .unwrap()
                .try_get::<i64, _>("n")
                .unwrap()
        };
        for table in ["sponsors", "accounts", "outbox", "legacy_accounts"] {
            assert_eq!(count(table).await, 0, "{table} is not empty");
        }
        downgrade(&t.store).await;
        // As the release before envelope keys sealed it: directly under the master key.
        let sealed = Crypto::new(&master).seal(Field::StoredResponse, br#"{"id":"acct-1"}"#);
        sqlx::query(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, \
             response_body, created_at) VALUES ('ip:192.0.2.1', 'k-1', $1, 201, $2, 0)",
        )
        .bind(vec![7u8; 32])
        .bind(sealed)
        .execute(t.store.pool())
        .await
        .unwrap();

        let stranger = DataKey::generate();
        let refused = Store::open(config_with(t, &stranger)).await;
        assert!(
            matches!(&refused, Err(StoreError::KeyDoesNotOpenData { given }) if *given == stranger.id()),
            "{refused:?}"
        );
        // Nothing was adopted: the store's own key still opens it, and is what it adopts.
        let upgraded = Store::open(config_with(t, &master)).await.unwrap();
        assert_eq!(upgraded.data_key_origin(), Origin::Master);
        assert_eq!(upgraded.data_key_id(), master.id());
        assert_eq!(upgraded.wrapping_key_id().await.unwrap(), master.id());
        upgraded.close().await;
    })
    .await;
}
