//! `beian key`: custody of the data key (issue 20). The data key seals every certificate
//! number, phone and scan; lose it and they are gone, leak it and they are readable. So:
//!
//! - `beian key id` prints the key's public id (what a backup's manifest names);
//! - `beian key export --wrapped --out FILE` writes the key sealed to an operator's
//!   passphrase (argon2id, 64 MiB, 3 passes → AES-256-GCM), for a safe or a vault;
//! - `beian key unwrap --from FILE` prints the key (base64) from such a file: for a restore,
//!   or as the `--data-key-command` of an instance whose passphrase comes from a secret store;
//! - `beian key rotate --new-key-file F` (or `--new-key-command C`) re-wraps the store's
//!   data-encryption key under a new operator's key, in one transaction, while servers on the
//!   same database keep running (they hold the unwrapped key; their next start needs the new
//!   one). Nothing is re-encrypted (see `beian_store::data_keys`). A data dir whose `data.key`
//!   holds the current key gets the new one there, replaced atomically (0600) after the commit:
//!   it is first written beside it as `data.key.new`, so a crash between the commit and the
//!   rename leaves the new key on disk. A wrong current key is refused, changing nothing.
//!
//! The passphrase comes from `--passphrase-file` or `BEIAN_KEY_PASSPHRASE`, never from the
//! command line (it would be in the process list and the shell's history).

use std::path::PathBuf;
use std::process::ExitCode;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use beian_store::crypto::KEY_FILE;
use beian_store::{DataKey, Store, StoreConfig, StoreError};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::DataArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the data key's id (never the key).
    Id(DataArgs),
    /// Write the data key sealed to a passphrase.
    Export {
        #[command(flatten)]
        data: DataArgs,
        /// Seal the key to a passphrase (the only export there is: a bare key is never written).
        #[arg(long, required = true)]
        wrapped: bool,
        /// Where to write the sealed key (refused if it exists).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Print the key (base64) from a file written by `export --wrapped`.
    Unwrap {
        /// The sealed key.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Re-wrap the store's data-encryption key under a new key (no re-encryption, no
    /// downtime: running servers keep their key; their next start needs the new one).
    Rotate {
        /// The store and its current key, as the other commands take them.
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        new_key: NewKey,
    },
}

/// Where the new key comes from.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct NewKey {
    /// A file holding the new key (base64 of 32 bytes).
    #[arg(long)]
    new_key_file: Option<PathBuf>,
    /// A command (run by `sh -c`) whose standard output is the new key.
    #[arg(long)]
    new_key_command: Option<String>,
}

/// Where the passphrase comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct Passphrase {
    /// A file whose first line is the passphrase; otherwise `BEIAN_KEY_PASSPHRASE`.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
}

/// The least length of a passphrase.
const MIN_PASSPHRASE: usize = 12;
const FORMAT: &str = "beian-wrapped-key-v1";
const M_COST_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;

/// The sealed key file.
#[derive(Debug, Serialize, Deserialize)]
struct Wrapped {
    format: String,
    key_id: String,
    kdf: String,
    m_cost_kib: u32,
    t_cost: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

impl Passphrase {
    fn read(&self) -> Result<String, String> {
        let text = match &self.passphrase_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the passphrase file {}: {e}", path.display()))?,
            None => std::env::var("BEIAN_KEY_PASSPHRASE").map_err(|_| {
                "no passphrase: give --passphrase-file or set BEIAN_KEY_PASSPHRASE".to_owned()
            })?,
        };
        let line = text.lines().next().unwrap_or_default().to_owned();
        if line.chars().count() < MIN_PASSPHRASE {
            return Err(format!(
                "the passphrase must be at least {MIN_PASSPHRASE} characters"
            ));
        }
        Ok(line)
    }
}

fn kek(passphrase: &str, salt: &[u8], m_cost_kib: u32, t_cost: u32) -> Result<[u8; 32], String> {
    let params = argon2::Params::new(m_cost_kib, t_cost, 1, Some(32))
        .map_err(|e| format!("argon2 parameters: {e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| format!("argon2: {e}"))?;
    Ok(out)
}

/// Seals `key` to `passphrase`.
fn wrap(key: &DataKey, passphrase: &str) -> Result<Wrapped, String> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut nonce);
    let kek = kek(passphrase, &salt, M_COST_KIB, T_COST)?;
    let cipher = Aes256Gcm::new(&kek.into());
    let key_id = key.id();
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: key.to_base64().as_bytes(),
                aad: key_id.as_bytes(),
            },
        )
        .map_err(|_| "cannot seal the key".to_owned())?;
    Ok(Wrapped {
        format: FORMAT.to_owned(),
        key_id,
        kdf: "argon2id".to_owned(),
        m_cost_kib: M_COST_KIB,
        t_cost: T_COST,
        salt: B64.encode(salt),
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    })
}

/// Opens a sealed key.
fn unwrap_key(w: &Wrapped, passphrase: &str) -> Result<DataKey, String> {
    if w.format != FORMAT || w.kdf != "argon2id" {
        return Err(format!("not a {FORMAT} file"));
    }
    let decode = |s: &str| B64.decode(s).map_err(|_| "the file is damaged".to_owned());
    let (salt, nonce) = (decode(&w.salt)?, decode(&w.nonce)?);
    if nonce.len() != 12 {
        return Err("the file is damaged".to_owned());
    }
    let kek = kek(passphrase, &salt, w.m_cost_kib, w.t_cost)?;
    let plain = Aes256Gcm::new(&kek.into())
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &decode(&w.ciphertext)?,
                aad: w.key_id.as_bytes(),
            },
        )
        .map_err(|_| "wrong passphrase, or the file is damaged".to_owned())?;
    let text = String::from_utf8(plain).map_err(|_| "the file is damaged".to_owned())?;
    let key = DataKey::parse(&text).map_err(|e| e.to_string())?;
    if key.id() != w.key_id {
        return Err("the file is damaged (key id differs)".to_owned());
    }
    Ok(key)
}

/// The key `data` names, or the store's own default (the environment, then the data dir's key
/// file), without creating one.
fn key_of(data: &DataArgs) -> Result<DataKey, String> {
    if let Some(key) = data.data_key()? {
        return Ok(key);
    }
    if let Some(key) = DataKey::from_env().map_err(|e| e.to_string())? {
        return Ok(key);
    }
    DataKey::load_or_create(&data.data_dir, false)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "no data key: none given and no key file in {}",
                data.data_dir.display()
            )
        })
}

/// Writes `key` to `path` (mode 0600), synced, replacing nothing (`create_new`).
fn write_key_file(path: &std::path::Path, key: &DataKey) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut f, format!("{}\n", key.to_base64()).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Syncs a directory, so that a rename in it is durable.
fn sync_dir(dir: &std::path::Path) -> Result<(), String> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}

fn rotate(data: &DataArgs, new_key: &NewKey) -> Result<(), String> {
    let current = key_of(data)?;
    let new = crate::data_key_from(
        new_key.new_key_file.as_deref(),
        new_key.new_key_command.as_deref(),
    )
    .map_err(|e| e.replace("data key", "new key"))?
    .ok_or("no new key: give --new-key-file or --new-key-command")?;
    if new.id() == current.id() {
        return Err(format!(
            "the new key is the current key (id {}): nothing changed",
            current.id()
        ));
    }
    if data.database_url.is_none() && !data.data_dir.join(beian_store::db::SQLITE_FILE).exists() {
        return Err(format!(
            "no database in {}: nothing to rotate",
            data.data_dir.display()
        ));
    }
    // The data dir's key file is replaced only if it holds the current key.
    let key_file = data.data_dir.join(KEY_FILE);
    let file_key = DataKey::load_or_create(&data.data_dir, false).map_err(|e| e.to_string())?;
    let replace_file = file_key.as_ref().is_some_and(|k| k.id() == current.id());
    let staged = data.data_dir.join(format!("{KEY_FILE}.new"));

    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    let rotation = runtime.block_on(async {
        let mut config = StoreConfig::embedded(&data.data_dir);
        config.database_url = data.database_url.clone();
        config.data_key = Some(current.clone());
        let store = Store::open(config).await.map_err(|e| match e {
            StoreError::WrongDataKey { .. } | StoreError::KeyDoesNotOpenData { .. } => {
                format!("{e}; nothing changed")
            }
            e => format!("cannot open the database: {e}"),
        })?;
        if replace_file {
            match std::fs::remove_file(&staged) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot remove {}: {e}", staged.display())),
            }
            write_key_file(&staged, &new)?;
        }
        let done = store
            .rotate_data_key(&current, &new, "cli:key-rotate")
            .await;
        store.close().await;
        match done {
            Ok(r) => Ok(r),
            Err(e) => {
                if replace_file {
                    let _ = std::fs::remove_file(&staged);
                }
                Err(format!("{e}; nothing changed"))
            }
        }
    })?;
    println!(
        "data key {} re-wrapped: was under key {}, now under key {} (nothing re-encrypted)",
        rotation.dek_id, rotation.old_kek_id, rotation.new_kek_id
    );
    if replace_file {
        std::fs::rename(&staged, &key_file).map_err(|e| {
            format!(
                "rotated, but cannot move {} over {}: {e}; the new key is in {} — move it \
                 yourself before the next start",
                staged.display(),
                key_file.display(),
                staged.display()
            )
        })?;
        sync_dir(&data.data_dir)?;
        println!(
            "{} now holds key {}",
            key_file.display(),
            rotation.new_kek_id
        );
    } else if let Some(k) = file_key {
        println!(
            "note: {} holds key {}, not the current one, and was left as it is",
            key_file.display(),
            k.id()
        );
    }
    println!(
        "running servers keep working; start them next with key {}",
        rotation.new_kek_id
    );
    Ok(())
}

fn run_inner(command: Command) -> Result<(), String> {
    match command {
        Command::Id(data) => {
            println!("{}", key_of(&data)?.id());
        }
        Command::Export {
            data,
            wrapped: _,
            out,
            passphrase,
        } => {
            let key = key_of(&data)?;
            let wrapped = wrap(&key, &passphrase.read()?)?;
            let text = serde_json::to_vec_pretty(&wrapped).map_err(|e| e.to_string())?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&out)
                .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
            std::io::Write::write_all(&mut f, &text)
                .and_then(|()| f.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!(
                "data key {} sealed to the passphrase in {}",
                wrapped.key_id,
                out.display()
            );
        }
        Command::Rotate { data, new_key } => rotate(&data, &new_key)?,
        Command::Unwrap { from, passphrase } => {
            let text =
                std::fs::read(&from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
            let w: Wrapped =
                serde_json::from_slice(&text).map_err(|_| format!("not a {FORMAT} file"))?;
            println!("{}", unwrap_key(&w, &passphrase.read()?)?.to_base64());
        }
    }
    Ok(())
}

pub fn run(command: Command) -> ExitCode {
    match run_inner(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_opens_with_its_passphrase_only() {
        let key = DataKey::generate();
        let w = wrap(&key, "correct horse battery staple").unwrap();
        let text = serde_json::to_string(&w).unwrap();
        assert!(!text.contains(&key.to_base64()));
        assert_eq!(w.key_id, key.id());
        let opened = unwrap_key(&w, "correct horse battery staple").unwrap();
        assert_eq!(opened.to_base64(), key.to_base64());
        assert!(unwrap_key(&w, "correct horse battery stapler").is_err());
        let mut damaged: Wrapped = serde_json::from_str(&text).unwrap();
        damaged.key_id = DataKey::generate().id();
        assert!(unwrap_key(&damaged, "correct horse battery staple").is_err());
    }
}
