//! `beian key`: custody of the data key (issue 20). The data key seals every certificate
//! number, phone and scan; lose it and they are gone, leak it and they are readable. So:
//!
//! - `beian key id` prints the key's public id (what a backup's manifest names);
//! - `beian key export --wrapped --out FILE` writes the key sealed to an operator's
//!   passphrase (argon2id, 64 MiB, 3 passes → AES-256-GCM), for a safe or a vault;
//! - `beian key unwrap --from FILE` prints the key (base64) from such a file: for a restore,
//!   or as the `--data-key-command` of an instance whose passphrase comes from a secret store.
//!
//! The passphrase comes from `--passphrase-file` or `BEIAN_KEY_PASSPHRASE`, never from the
//! command line (it would be in the process list and the shell's history).

use std::path::PathBuf;
use std::process::ExitCode;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use beian_store::DataKey;
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
