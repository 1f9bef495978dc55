//! The registry's own SQLite database: a file in the data directory, WAL mode, migrations
//! from `crates/regulator/migrations/`.

use std::path::Path;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::Error;

/// The database file's name inside the data directory.
pub const FILE_NAME: &str = "regulator.sqlite";

/// Opens (creating if needed) and migrates the registry in `data_dir`.
pub async fn open(data_dir: &Path) -> Result<SqlitePool, Error> {
    std::fs::create_dir_all(data_dir)?;
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join(FILE_NAME))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    connect(options).await
}

async fn connect(options: SqliteConnectOptions) -> Result<SqlitePool, Error> {
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}
