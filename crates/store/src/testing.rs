//! Test harness (cargo feature `testing`): a fresh store per test on every backend.
//!
//! - SQLite: always, in a temp data dir.
//! - PostgreSQL: if `BEIAN_TEST_DATABASE_URL` is set (a server URL whose user may
//!   `CREATE DATABASE`), each test gets a fresh database `test_<uuid>` in it, dropped by
//!   [`TestStore::teardown`]. Otherwise, if the server binaries are found (`initdb`/`pg_ctl`
//!   on `PATH` or under `/usr/lib/postgresql/*/bin`), one throwaway cluster is started per
//!   test process (see [`pg`]). Otherwise PostgreSQL is skipped with a notice on stderr —
//!   except when `CI=true`, where that is a failure (panic).
//! - S3: [`s3::S3Server`] starts `s3s-fs` on a free loopback port if the binary is present.
//!
//! ```ignore
//! #[tokio::test]
//! async fn my_test() {
//!     beian_store::testing::each_backend(async |t| {
//!         let mut tx = t.store.begin().await.unwrap();
//!         // …
//!     }).await;
//! }
//! ```

pub mod bulk;
pub mod pg;
pub mod s3;

use std::path::Path;

use tempfile::TempDir;

use crate::crypto::DataKey;
use crate::db::{Backend, Store, StoreConfig};

/// True when running in CI (`CI=true`), where missing PostgreSQL or s3s-fs fails the test.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A store for one test, with its data dir and (PostgreSQL) database.
#[derive(Debug)]
pub struct TestStore {
    pub store: Store,
    pub backend: Backend,
    pub key: DataKey,
    /// The data dir (SQLite file, key file, audit head file).
    pub dir: TempDir,
    /// The database URL (PostgreSQL) or `None` (embedded SQLite).
    pub database_url: Option<String>,
    pg: Option<pg::TestDatabase>,
}

impl TestStore {
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Another `Store` (its own pool) on the same database and data dir, as a second server
    /// instance would have.
    pub async fn open_another(&self) -> Store {
        Store::open(self.config())
            .await
            .unwrap_or_else(|e| panic!("reopen {:?} store: {e:?}", self.backend))
    }

    /// The config this store was opened with.
    pub fn config(&self) -> StoreConfig {
        StoreConfig {
            database_url: self.database_url.clone(),
            data_dir: self.dir.path().to_path_buf(),
            data_key: Some(self.key.clone()),
            max_connections: Some(8),
            clock: None,
            write_wait: None,
        }
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub async fn teardown(self) {
        self.store.close().await;
        if let Some(db) = self.pg {
            db.drop_database().await;
        }
    }
}

/// A fresh embedded SQLite store.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::Builder::new()
        .prefix("beian-store-test-")
        .tempdir()
        .unwrap_or_else(|e| panic!("temp dir: {e}"));
    let key = DataKey::generate();
    let mut config = StoreConfig::embedded(dir.path());
    config.data_key = Some(key.clone());
    let store = Store::open(config)
        .await
        .unwrap_or_else(|e| panic!("open sqlite store: {e:?}"));
    TestStore {
        store,
        backend: Backend::Sqlite,
        key,
        dir,
        database_url: None,
        pg: None,
    }
}

/// A fresh PostgreSQL store, or `None` (with a notice) when no server is available outside CI.
pub async fn postgres() -> Option<TestStore> {
    let server = pg::server()?;
    let db = pg::TestDatabase::create(server).await;
    let dir = tempfile::Builder::new()
        .prefix("beian-store-test-")
        .tempdir()
        .unwrap_or_else(|e| panic!("temp dir: {e}"));
    let key = DataKey::generate();
    let config = StoreConfig {
        database_url: Some(db.url.clone()),
        data_dir: dir.path().to_path_buf(),
        data_key: Some(key.clone()),
        max_connections: Some(8),
        clock: None,
        write_wait: None,
    };
    let store = Store::open(config)
        .await
        .unwrap_or_else(|e| panic!("open postgres store: {e:?}"));
    Some(TestStore {
        store,
        backend: Backend::Postgres,
        key,
        dir,
        database_url: Some(db.url.clone()),
        pg: Some(db),
    })
}

/// SQLite, and PostgreSQL when available (required in CI).
pub async fn all_backends() -> Vec<TestStore> {
    let mut v = vec![sqlite().await];
    v.extend(postgres().await);
    v
}

/// Runs `f` once per backend, each on a fresh store, tearing it down afterwards.
pub async fn each_backend(mut f: impl AsyncFnMut(&TestStore)) {
    for t in all_backends().await {
        eprintln!("[beian-store test] backend: {}", t.backend.as_str());
        f(&t).await;
        t.teardown().await;
    }
}
