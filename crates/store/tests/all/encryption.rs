//! Personal data at rest: a sponsor with a known 身份证 number and mobiles is written, then the
//! raw database (SQLite file + WAL bytes; PostgreSQL rows as text) must not contain them.

use beian_store::db::{Backend, SQLITE_FILE};
use beian_store::outbox::Channel;
use beian_store::testing::each_backend;
use serde_json::json;
use sqlx::Row;

use crate::fixtures::{self, ID_NUMBER, MOBILE, RESPONSIBLE_ID, RESPONSIBLE_MOBILE};

const SECRETS: [&str; 4] = [ID_NUMBER, MOBILE, RESPONSIBLE_ID, RESPONSIBLE_MOBILE];

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn personal_data_is_not_in_the_raw_database() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (_, sponsor, _, _) = fixtures::order_setup(&mut tx, "secretive").await;
        tx.outbox_push(
            Channel::Sms,
            &json!({"to": MOBILE, "text": "验证码 123456"}),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        match t.backend {
            Backend::Sqlite => {
                let mut raw = Vec::new();
                let mut files = 0;
                for suffix in ["", "-wal", "-shm"] {
                    let p = t.data_dir().join(format!("{SQLITE_FILE}{suffix}"));
                    if let Ok(b) = std::fs::read(&p) {
                        files += 1;
                        raw.extend(b);
                    }
                }
                assert!(files >= 2, "expected the db file and its WAL");
                // Sanity: non-personal text written at the same time is in the bytes.
                assert!(contains(&raw, "secretive.cn"), "raw read sees the data");
                for secret in SECRETS {
                    assert!(
                        !contains(&raw, secret),
                        "a personal number is in the SQLite bytes"
                    );
                }
            }
            Backend::Postgres => {
                let mut text = String::new();
                for table in [
                    "accounts",
                    "sponsors",
                    "websites",
                    "outbox",
                    "audit_log",
                    "orders",
                ] {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT CAST(t.* AS TEXT) AS row_text FROM (SELECT * FROM {table}) t"
                    )))
                    .fetch_all(s.pool())
                    .await
                    .unwrap();
                    for r in rows {
                        text.push_str(&r.try_get::<String, _>("row_text").unwrap());
                        text.push('\n');
                    }
                }
                assert!(text.contains("secretive.cn"), "raw read sees the data");
                for secret in SECRETS {
                    assert!(
                        !text.contains(secret),
                        "a personal number is in PostgreSQL rows"
                    );
                }
            }
        }
        // And yet the data is there and readable through the store.
        assert_eq!(
            s.sponsor(&sponsor).await.unwrap().data.certificate_number,
            ID_NUMBER
        );
        let sms = s.outbox(Channel::Sms, "pending", 10).await.unwrap();
        assert_eq!(sms[0].payload["to"], MOBILE);
    })
    .await;
}

#[tokio::test]
async fn data_key_is_generated_once_into_the_data_dir_on_first_embedded_run() {
    let dir = tempfile::tempdir().unwrap();
    // SAFETY-free: the variable is read only by Store::open; make sure no ambient key is used.
    if std::env::var_os("BEIAN_DATA_KEY").is_some() {
        eprintln!("BEIAN_DATA_KEY set in the environment; generation test skipped");
        return;
    }
    let s = beian_store::Store::open(beian_store::StoreConfig::embedded(dir.path()))
        .await
        .unwrap();
    let mut tx = s.begin().await.unwrap();
    let (_, sponsor, _, _) = fixtures::order_setup(&mut tx, "keygen").await;
    tx.commit().await.unwrap();
    s.close().await;
    let key_file = dir.path().join(beian_store::crypto::KEY_FILE);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Reopening reuses the key: the sealed data still opens.
    let s = beian_store::Store::open(beian_store::StoreConfig::embedded(dir.path()))
        .await
        .unwrap();
    assert_eq!(
        s.sponsor(&sponsor).await.unwrap().data.certificate_number,
        ID_NUMBER
    );
    s.close().await;
    // Another key is refused at open: it is not the one the data key is wrapped under.
    let mut cfg = beian_store::StoreConfig::embedded(dir.path());
    cfg.data_key = Some(beian_store::DataKey::generate());
    assert!(matches!(
        beian_store::Store::open(cfg).await,
        Err(beian_store::StoreError::WrongDataKey { .. })
    ));
}
