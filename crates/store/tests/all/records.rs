//! The smaller tables on every backend: sessions, API keys, idempotency keys, product
//! instances and service numbers, materials, roles; unique and foreign-key constraints; the
//! SQLite connection settings.

use beian_store::StoreError;
use beian_store::accounts::{NewAccount, Role};
use beian_store::db::Backend;
use beian_store::idempotency::IdempotentResponse;
use beian_store::orders::NewMaterial;
use beian_store::products::{NewInstance, ServiceNumberStatus as S};
use beian_store::testing::each_backend;
use sqlx::Row;

use crate::fixtures;

#[tokio::test]
async fn sessions_api_keys_and_roles() {
    each_backend(async |t| {
        let s = &t.store;
        let now = s.now().timestamp_millis();
        let mut tx = s.begin().await.unwrap();
        let (account, ..) = fixtures::order_setup(&mut tx, "keys").await;
        tx.insert_session(b"live-session-hash", &account, now + 3_600_000)
            .await
            .unwrap();
        tx.insert_session(b"old-session-hash", &account, now - 1)
            .await
            .unwrap();
        let key_id = tx
            .insert_api_key("system", &account, b"api-key-hash", "ci")
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let live = s.session_account(b"live-session-hash").await.unwrap();
        assert_eq!(live.map(|a| a.id), Some(account.clone()));
        assert!(
            s.session_account(b"old-session-hash")
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.session_account(b"unknown").await.unwrap().is_none());
        assert_eq!(
            s.api_key_account(b"api-key-hash")
                .await
                .unwrap()
                .map(|a| a.id),
            Some(account.clone())
        );

        let mut tx = s.begin().await.unwrap();
        tx.delete_session(b"live-session-hash").await.unwrap();
        tx.revoke_api_key("system", &key_id).await.unwrap();
        tx.set_account_role("system", &account, Role::Reviewer)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            s.session_account(b"live-session-hash")
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.api_key_account(b"api-key-hash").await.unwrap().is_none());
        assert_eq!(s.account(&account).await.unwrap().role, Role::Reviewer);

        // Unique username, reported by constraint name.
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .insert_account(
                "system",
                &NewAccount {
                    username: "keys",
                    password_hash: "x",
                    email: "k@example.cn",
                    mobile: None,
                    role: Role::Admin,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Unique {
                    constraint: "accounts_username_key"
                }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, ..) = fixtures::order_setup(&mut tx, "idem").await;
        let resp = IdempotentResponse {
            request_hash: vec![1, 2, 3],
            status: 201,
            body: br#"{"id":"o1"}"#.to_vec(),
        };
        tx.put_idempotent_response(&account, "k1", &resp)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            s.idempotent_response(&account, "k1").await.unwrap(),
            Some(resp.clone())
        );
        assert_eq!(s.idempotent_response(&account, "k2").await.unwrap(), None);
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .put_idempotent_response(&account, "k1", &resp)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Unique {
                    constraint: "idempotency_keys_pkey"
                }
            ),
            "{err:?}"
        );
        drop(tx);
        assert_eq!(s.purge_idempotency_keys(i64::MAX).await.unwrap(), 1);
        assert_eq!(s.idempotent_response(&account, "k1").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn service_numbers_move_only_from_the_expected_status() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, _, _, order) = fixtures::order_setup(&mut tx, "svc").await;
        let inst = tx
            .insert_instance(
                "admin",
                &NewInstance {
                    account_id: Some(&account),
                    product: "ecs",
                    public_ip: Some("203.0.113.7"),
                    term_start: 0,
                    term_end: 4_102_444_800_000,
                },
            )
            .await
            .unwrap();
        tx.insert_service_number("admin", &inst, "SN0001")
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let steps = [
            (S::Unbound, S::Bound),
            (S::Bound, S::Filing),
            (S::Filing, S::Filed),
        ];
        for (from, to) in steps {
            let mut tx = s.begin().await.unwrap();
            tx.set_service_number_status("system", "SN0001", from, to, Some(&order))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let sn = s.service_number("SN0001").await.unwrap();
            assert_eq!(
                (sn.status, sn.order_id.as_deref()),
                (to, Some(order.as_str()))
            );
        }
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .set_service_number_status("system", "SN0001", S::Unbound, S::Bound, None)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::InvalidState {
                expected: "unbound",
                ..
            }
        ));
        let err = tx
            .insert_service_number("admin", &inst, "SN0001")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Unique {
                    constraint: "service_numbers_pkey"
                }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn materials_and_foreign_keys() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (_, _, _, order) = fixtures::order_setup(&mut tx, "mat").await;
        let m = NewMaterial {
            order_id: &order,
            kind: "sponsor_id_front",
            object_key: "o/0123456789abcdef0123456789abcdef",
            content_type: "image/jpeg",
            size: 12,
            sha256_hex: "ab",
        };
        let id = tx.insert_material("account:x", &m).await.unwrap();
        tx.commit().await.unwrap();
        let list = s.materials(&order).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].kind.as_str(), list[0].size),
            ("sponsor_id_front", 12)
        );
        let mut tx = s.begin().await.unwrap();
        tx.delete_material("account:x", &id).await.unwrap();
        tx.commit().await.unwrap();
        assert!(s.materials(&order).await.unwrap().is_empty());

        // A material of a missing order violates the foreign key on both backends.
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .insert_material(
                "account:x",
                &NewMaterial {
                    order_id: "no-such-order",
                    object_key: "o/ffffffffffffffffffffffffffffffff",
                    ..m
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn sqlite_connections_use_wal_full_sync_foreign_keys_and_busy_timeout() {
    each_backend(async |t| {
        if t.backend != Backend::Sqlite {
            return;
        }
        // (pragma, on the read connections, on the writer): the writer has no busy timeout,
        // it waits for another connection's lock asynchronously (see `writes`).
        let cases = [
            ("PRAGMA journal_mode", "wal", "wal"),
            ("PRAGMA synchronous", "2", "2"),
            ("PRAGMA foreign_keys", "1", "1"),
            ("PRAGMA busy_timeout", "5000", "0"),
        ];
        let text = |row: sqlx::any::AnyRow| {
            row.try_get::<String, _>(0)
                .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
                .unwrap()
        };
        // A read connection and the writer connection. (A read runs to its end inside one
        // poll, so these four share one connection; every read connection is opened alike,
        // by `LiteConn::open_reader`.)
        for (pragma, want, writer_want) in cases {
            let reads = futures_util::future::join_all(
                (0..4).map(|_| sqlx::query(pragma).fetch_one(t.store.pool())),
            )
            .await;
            for row in reads {
                assert_eq!(text(row.unwrap()), want, "{pragma} (read)");
            }
            let mut tx = t.store.begin().await.unwrap();
            let row = sqlx::query(pragma).fetch_one(tx.conn()).await.unwrap();
            assert_eq!(text(row), writer_want, "{pragma} (writer)");
            tx.rollback().await.unwrap();
        }
    })
    .await;
}

/// A read that needs longer than the inline slice does not hold the async thread (here the
/// only one): it is interrupted and run again in full on the blocking pool, so a task spawned
/// after it runs first, and its answer is whole.
#[tokio::test(flavor = "current_thread")]
async fn a_long_read_moves_off_the_async_thread_and_answers_in_full() {
    let t = beian_store::testing::sqlite().await;
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (store, seen) = (t.store.clone(), order.clone());
    let long = tokio::spawn(async move {
        let row = sqlx::query(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000) \
             SELECT count(*) AS n, sum(n) AS s FROM c",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        seen.lock().unwrap().push("long");
        (
            row.try_get::<i64, _>("n").unwrap(),
            row.try_get::<i64, _>("s").unwrap(),
        )
    });
    let seen = order.clone();
    let short = tokio::spawn(async move { seen.lock().unwrap().push("short") });
    assert_eq!(long.await.unwrap(), (1_000_000, 500_000_500_000));
    short.await.unwrap();
    assert_eq!(*order.lock().unwrap(), vec!["short", "long"]);
    // A short read on the same connections runs inline again, whole.
    let row = sqlx::query("SELECT 41 + 1 AS n")
        .fetch_one(t.store.pool())
        .await
        .unwrap();
    assert_eq!(row.try_get::<i64, _>("n").unwrap(), 42);
    t.teardown().await;
}
