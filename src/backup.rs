//! `beian backup` and `beian restore` (issue 20): an online backup of the embedded store
//! while the server runs and takes writes, and its restore into an empty data dir. What a
//! backup holds and how it stays consistent: [`beian_store::backup`]. PostgreSQL is backed up
//! with its own tools (docs/operations.md).

use std::path::PathBuf;
use std::process::ExitCode;

use beian_store::objects::{ObjectConfig, Objects};
use beian_store::{Store, StoreConfig};

use crate::DataArgs;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    data: DataArgs,
    /// An empty (or absent) folder to write the backup into, or `s3://bucket/prefix` (an
    /// empty prefix; credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, and `BEIAN_S3_ENDPOINT` for a service other than AWS).
    #[arg(long)]
    to: String,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup folder (with its manifest.json), or `s3://bucket/prefix`.
    #[arg(long)]
    from: String,
    /// The empty (or absent) data dir to restore into; the key options name the data key
    /// the backup needs (its id is in the manifest), which is written as the dir's key file.
    #[command(flatten)]
    data: DataArgs,
}

/// Where a backup lives.
enum Place {
    Folder(PathBuf),
    Bucket(ObjectConfig, String),
}

/// A folder, or `s3://bucket/prefix` with the credentials from the environment.
fn place(text: &str) -> Result<Place, String> {
    let Some(rest) = text.strip_prefix("s3://") else {
        return Ok(Place::Folder(PathBuf::from(text)));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{text}: no bucket (s3://bucket/prefix)"));
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let need = |name: &str| var(name).ok_or_else(|| format!("{text} needs {name} set"));
    let endpoint = var("BEIAN_S3_ENDPOINT");
    Ok(Place::Bucket(
        ObjectConfig::S3 {
            allow_http: endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://")),
            endpoint,
            bucket: bucket.to_owned(),
            region: var("AWS_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
            access_key_id: need("AWS_ACCESS_KEY_ID")?,
            secret_access_key: need("AWS_SECRET_ACCESS_KEY")?,
        },
        prefix.trim_matches('/').to_owned(),
    ))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))
}

fn backup_inner(args: BackupArgs) -> Result<(), String> {
    runtime()?.block_on(async {
        let mut config = StoreConfig::embedded(&args.data.data_dir);
        config.database_url = args.data.database_url.clone();
        config.data_key = args.data.data_key()?;
        let store = Store::open(config)
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        let objects = Objects::open(
            &ObjectConfig::Local {
                dir: args.data.data_dir.join(beian_store::backup::OBJECTS_DIR),
            },
            store.crypto(),
        )
        .map_err(|e| format!("cannot open the objects: {e}"))?;
        let manifest = match place(&args.to)? {
            Place::Folder(dir) => beian_store::backup::backup(&store, &objects, &dir).await,
            Place::Bucket(bucket, prefix) => {
                beian_store::backup::backup_to_bucket(&store, &objects, &bucket, &prefix).await
            }
        }
        .map_err(|e| e.to_string())?;
        println!(
            "backup in {}: {} orders, {} objects, audit head #{}, data key {} (keep the key apart; \
             the backup does not hold it)",
            args.to,
            manifest.orders,
            manifest.objects.len(),
            manifest.audit_head_seq,
            manifest.key_id
        );
        if manifest.missing_objects > 0 {
            println!(
                "note: {} objects named by the copy were deleted before they could be copied \
                 (raw photos purged after their decision)",
                manifest.missing_objects
            );
        }
        Ok(())
    })
}

fn restore_inner(args: RestoreArgs) -> Result<(), String> {
    let from = place(&args.from)?;
    let needed = match &from {
        Place::Folder(dir) => {
            beian_store::backup::read_manifest(dir)
                .map_err(|e| e.to_string())?
                .key_id
        }
        Place::Bucket(..) => "named in the backup's manifest".to_owned(),
    };
    let key = match args.data.data_key()? {
        Some(k) => k,
        None => match beian_store::DataKey::from_env().map_err(|e| e.to_string())? {
            Some(k) => k,
            None => {
                return Err(format!(
                    "this backup needs the data key with id {needed}: give --data-key-file, \
                     --data-key-command or BEIAN_DATA_KEY"
                ));
            }
        },
    };
    let manifest = match from {
        Place::Folder(dir) => beian_store::backup::restore(&dir, &args.data.data_dir, &key, true),
        Place::Bucket(bucket, prefix) => {
            runtime()?.block_on(beian_store::backup::restore_from_bucket(
                &bucket,
                &prefix,
                &args.data.data_dir,
                &key,
                true,
            ))
        }
    }
    .map_err(|e| e.to_string())?;
    println!(
        "restored {} orders and {} objects into {}; check it with: beian audit verify --data-dir {}",
        manifest.orders,
        manifest.objects.len(),
        args.data.data_dir.display(),
        args.data.data_dir.display()
    );
    Ok(())
}

fn exit(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

pub fn run_backup(args: BackupArgs) -> ExitCode {
    exit(backup_inner(args))
}

pub fn run_restore(args: RestoreArgs) -> ExitCode {
    exit(restore_inner(args))
}
