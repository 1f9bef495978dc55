//! Online backup and restore of the embedded store (SQLite and its objects), while the server
//! runs and takes writes.
//!
//! A backup is a folder:
//!
//! - `beian.db`: the database as of one instant, written by SQLite's `VACUUM INTO` (a read
//!   transaction: writers go on; the copy is whole and consistent);
//! - `objects/o/…`: every object, listed and copied *after* the database copy, so every
//!   object the copy refers to was already stored (objects are written before the rows that
//!   name them). An object deleted in between (a raw photo purged after its decision) is
//!   missing; the manifest counts such references;
//! - `audit-head`: the audit chain's head *as of the copy* (not the live file, which may be
//!   ahead), so `beian audit verify` on a restore checks the whole chain against it;
//! - `manifest.json`, written last: the format, when, the schema version, the data key's id
//!   (never the key: the operator keeps it apart, see `docs/operations.md`), the audit head,
//!   and every file with its size and SHA-256. A folder without a manifest is no backup.
//!
//! [`restore`] checks every checksum before writing anything, refuses a data dir that is not
//! empty, and refuses a data key whose id differs from the manifest's.
//!
//! PostgreSQL is backed up with its own tools (`pg_dump`, or base backups and WAL archiving
//! for point-in-time recovery); [`backup`] refuses it and says so.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::audit::HEAD_FILE;
use crate::crypto::KEY_FILE;
use crate::db::{Backend, SQLITE_FILE, Store};
use crate::objects::{ObjectConfig, Objects};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The objects' folder, in a backup and in a data dir.
pub const OBJECTS_DIR: &str = "objects";
/// This format's version.
pub const FORMAT: u32 = 1;

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the backup folder, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What a backup holds, and what it needs to be restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub backend: String,
    /// The newest migration applied to the copied database.
    pub schema_version: i64,
    /// The id of the operator's key the copied database's data-encryption key is wrapped
    /// under ([`crate::crypto::DataKey::id`]): the key a restore needs. A rotation after the
    /// backup does not change it (see [`crate::data_keys`]).
    pub key_id: String,
    pub audit_head_seq: i64,
    pub audit_head_hash: String,
    pub orders: i64,
    pub database: FileEntry,
    pub objects: Vec<FileEntry>,
    /// Objects the copied database names that were gone when the objects were copied.
    pub missing_objects: u64,
}

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "online backup is for the embedded SQLite store; back up PostgreSQL with pg_dump or base backups with WAL archiving, and the objects and the audit head beside it (docs/operations.md)"
    )]
    Postgres,
    #[error("{0} is not empty; a {1} goes into an empty folder")]
    NotEmpty(PathBuf, &'static str),
    #[error("{0} has no {MANIFEST}: not a (complete) backup")]
    NoManifest(PathBuf),
    #[error("backup format {0} is not known to this version")]
    Format(u32),
    #[error("{path} does not match the manifest ({what})")]
    Corrupt { path: String, what: &'static str },
    #[error("this backup needs the data key with id {needed}; the key given has id {given}")]
    WrongKey { needed: String, given: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::error::StoreError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("manifest: {0}")]
    Json(#[from] serde_json::Error),
}

type Result<T> = std::result::Result<T, BackupError>;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `dir` is absent or an empty folder.
fn is_empty_dir(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io(dir.display().to_string())(e)),
    }
}

/// Writes `bytes` to `path` and flushes it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent.display().to_string()))?;
    }
    let mut f = std::fs::File::create(path).map_err(io(path.display().to_string()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io(path.display().to_string()))
}

/// What the copied database says of itself.
struct Snapshot {
    schema_version: i64,
    head_seq: i64,
    head_hash: String,
    orders: i64,
    object_keys: Vec<String>,
    kek_id: String,
}

async fn read_snapshot(file: &Path) -> Result<Snapshot> {
    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut conn = sqlx::sqlite::SqliteConnection::connect(&url).await?;
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await?;
    let (head_seq, head_hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut conn)
            .await?;
    let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(&mut conn)
        .await?;
    let object_keys: Vec<String> = sqlx::query_scalar(
        "SELECT object_key FROM materials \
         UNION ALL SELECT object_key FROM photo_checks WHERE object_key IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await?;
    let kek_id: String = sqlx::query_scalar("SELECT kek_id FROM data_key WHERE id = 1")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(Snapshot {
        kek_id,
        schema_version,
        head_seq,
        head_hash: head_hash.iter().map(|b| format!("{b:02x}")).collect(),
        orders,
        object_keys,
    })
}

/// Backs up `store` (SQLite only) and `objects` into the empty folder `to`.
pub async fn backup(store: &Store, objects: &Objects, to: &Path) -> Result<Manifest> {
    if store.backend() != Backend::Sqlite {
        return Err(BackupError::Postgres);
    }
    if !is_empty_dir(to)? {
        return Err(BackupError::NotEmpty(to.to_path_buf(), "backup"));
    }
    std::fs::create_dir_all(to).map_err(io(to.display().to_string()))?;
    let db_file = to.join(SQLITE_FILE);
    // One statement, one read transaction: the copy is the database as of one commit.
    sqlx::query("VACUUM INTO $1")
        .bind(db_file.display().to_string())
        .execute(store.pool())
        .await?;
    let snapshot = read_snapshot(&db_file).await?;
    let db_bytes = std::fs::read(&db_file).map_err(io(db_file.display().to_string()))?;
    let database = FileEntry {
        path: SQLITE_FILE.to_owned(),
        size: db_bytes.len() as u64,
        sha256: sha256_hex(&db_bytes),
    };
    drop(db_bytes);

    let mut entries = Vec::new();
    let keys = objects.list().await?;
    for key in &keys {
        let bytes = match objects.get_raw(key).await {
            Ok(b) => b,
            // Deleted since it was listed (a purge): not in the copy, counted below if named.
            Err(crate::error::StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let rel = format!("{OBJECTS_DIR}/{key}");
        write_synced(&to.join(&rel), &bytes)?;
        entries.push(FileEntry {
            path: rel,
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        });
    }
    let copied: std::collections::HashSet<&str> = entries
        .iter()
        .filter_map(|e| e.path.strip_prefix(&format!("{OBJECTS_DIR}/")))
        .collect();
    let missing_objects = snapshot
        .object_keys
        .iter()
        .filter(|k| !copied.contains(k.as_str()))
        .count() as u64;

    write_synced(
        &to.join(HEAD_FILE),
        format!("{} {}\n", snapshot.head_seq, snapshot.head_hash).as_bytes(),
    )?;
    let manifest = Manifest {
        format: FORMAT,
        created_at: store.now().to_rfc3339(),
        backend: Backend::Sqlite.as_str().to_owned(),
        schema_version: snapshot.schema_version,
        key_id: snapshot.kek_id.clone(),
        audit_head_seq: snapshot.head_seq,
        audit_head_hash: snapshot.head_hash,
        orders: snapshot.orders,
        database,
        objects: entries,
        missing_objects,
    };
    write_synced(&to.join(MANIFEST), &serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Reads a backup's manifest.
pub fn read_manifest(from: &Path) -> Result<Manifest> {
    let text = match std::fs::read(from.join(MANIFEST)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::NoManifest(from.to_path_buf()));
        }
        Err(e) => return Err(io(from.display().to_string())(e)),
    };
    let manifest: Manifest = serde_json::from_slice(&text)?;
    if manifest.format != FORMAT {
        return Err(BackupError::Format(manifest.format));
    }
    Ok(manifest)
}

/// A manifest path that stays inside the backup.
fn checked_path(path: &str) -> Result<&Path> {
    let rel = Path::new(path);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(BackupError::Corrupt {
            path: path.to_owned(),
            what: "path outside the backup",
        });
    }
    Ok(rel)
}

/// Reads one file of the backup and checks it against its entry.
fn checked(from: &Path, entry: &FileEntry) -> Result<Vec<u8>> {
    let rel = checked_path(&entry.path)?;
    let bytes = std::fs::read(from.join(rel)).map_err(io(entry.path.clone()))?;
    if bytes.len() as u64 != entry.size || sha256_hex(&bytes) != entry.sha256 {
        return Err(BackupError::Corrupt {
            path: entry.path.clone(),
            what: "size or checksum",
        });
    }
    Ok(bytes)
}

/// Restores the backup in `from` into the empty data dir `data_dir`, with the data key whose
/// id the manifest names (the key the operator kept apart). Every checksum is checked before
/// anything is written. With `write_key_file`, the key becomes the data dir's key file.
pub fn restore(
    from: &Path,
    data_dir: &Path,
    key: &crate::crypto::DataKey,
    write_key_file: bool,
) -> Result<Manifest> {
    let manifest = read_manifest(from)?;
    if key.id() != manifest.key_id {
        return Err(BackupError::WrongKey {
            needed: manifest.key_id.clone(),
            given: key.id(),
        });
    }
    if !is_empty_dir(data_dir)? {
        return Err(BackupError::NotEmpty(data_dir.to_path_buf(), "restore"));
    }
    // Check everything first: a damaged backup writes nothing.
    checked(from, &manifest.database)?;
    for entry in &manifest.objects {
        checked(from, entry)?;
    }
    let head = std::fs::read(from.join(HEAD_FILE)).map_err(io(HEAD_FILE))?;

    std::fs::create_dir_all(data_dir).map_err(io(data_dir.display().to_string()))?;
    write_synced(
        &data_dir.join(SQLITE_FILE),
        &checked(from, &manifest.database)?,
    )?;
    for entry in &manifest.objects {
        write_synced(&data_dir.join(&entry.path), &checked(from, entry)?)?;
    }
    write_synced(&data_dir.join(HEAD_FILE), &head)?;
    if write_key_file {
        write_synced(&data_dir.join(KEY_FILE), key.to_base64().as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = data_dir.join(KEY_FILE);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(io(path.display().to_string()))?;
        }
    }
    Ok(manifest)
}

/// A folder of the machine's temp dir for a backup on its way to or from a bucket, removed
/// when dropped.
struct Staging(PathBuf);

impl Staging {
    fn new() -> Staging {
        Staging(
            std::env::temp_dir().join(format!("beian-backup-{}", uuid::Uuid::new_v4().simple())),
        )
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn object_path(prefix: &str, rel: &str) -> object_store::path::Path {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        object_store::path::Path::from(rel)
    } else {
        object_store::path::Path::from(format!("{prefix}/{rel}"))
    }
}

/// As [`backup`], into a bucket (`s3://bucket/prefix`): written to a staging folder, then
/// uploaded file by file, the manifest last (a prefix without one is no backup). The prefix
/// must hold nothing yet.
pub async fn backup_to_bucket(
    store: &Store,
    objects: &Objects,
    bucket: &ObjectConfig,
    prefix: &str,
) -> Result<Manifest> {
    use object_store::ObjectStore;
    let remote = crate::objects::build(bucket)?;
    let listed = remote
        .list_with_delimiter(Some(&object_path(prefix, "")))
        .await
        .map_err(crate::error::StoreError::from)?;
    if !listed.objects.is_empty() || !listed.common_prefixes.is_empty() {
        return Err(BackupError::NotEmpty(PathBuf::from(prefix), "backup"));
    }
    let staging = Staging::new();
    let manifest = backup(store, objects, &staging.0).await?;
    let mut files: Vec<String> = manifest.objects.iter().map(|e| e.path.clone()).collect();
    files.push(manifest.database.path.clone());
    files.push(HEAD_FILE.to_owned());
    files.push(MANIFEST.to_owned());
    for rel in files {
        let bytes = std::fs::read(staging.0.join(&rel)).map_err(io(rel.clone()))?;
        remote
            .put(&object_path(prefix, &rel), bytes.into())
            .await
            .map_err(crate::error::StoreError::from)?;
    }
    Ok(manifest)
}

/// As [`restore`], from a bucket: the manifest's files are downloaded to a staging folder,
/// then restored from there (every checksum checked before anything is written).
pub async fn restore_from_bucket(
    bucket: &ObjectConfig,
    prefix: &str,
    data_dir: &Path,
    key: &crate::crypto::DataKey,
    write_key_file: bool,
) -> Result<Manifest> {
    use object_store::ObjectStore;
    let remote = crate::objects::build(bucket)?;
    let staging = Staging::new();
    let fetch = async |rel: &str| -> Result<()> {
        let bytes = match remote.get(&object_path(prefix, rel)).await {
            Ok(got) => got.bytes().await.map_err(crate::error::StoreError::from)?,
            Err(object_store::Error::NotFound { .. }) if rel == MANIFEST => {
                return Err(BackupError::NoManifest(PathBuf::from(prefix)));
            }
            Err(e) => return Err(crate::error::StoreError::from(e).into()),
        };
        write_synced(&staging.0.join(rel), &bytes)
    };
    fetch(MANIFEST).await?;
    let manifest = read_manifest(&staging.0)?;
    // Only the files the manifest names, each under its checked relative path.
    for entry in manifest.objects.iter().chain([&manifest.database]) {
        checked_path(&entry.path)?;
        fetch(&entry.path).await?;
    }
    fetch(HEAD_FILE).await?;
    restore(&staging.0, data_dir, key, write_key_file)
}
