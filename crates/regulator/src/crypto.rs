//! The simulator's own key for the personal data in its registry (issue 16): the ministry
//! keeps certificate numbers and mobiles under a key of its own, never the platform's.
//!
//! A 32-byte master [`RegistryKey`] comes from `BEIAN_REGULATOR_KEY` (64 hex digits) or from the
//! data dir's `regulator.key`, generated there with mode 0600 on the first start. It derives,
//! with HMAC-SHA-256 as `beian_store::crypto` does for the platform, an AES-256-GCM key that
//! seals a value as hex of `nonce (12 bytes) ‖ ciphertext+tag`, and a blind-index key: the
//! HMAC of the normalised value (trimmed, spaces removed, upper case), so that a row is found
//! by its certificate number or mobile without decrypting. Each [`Field`] is its own domain
//! (AES-GCM associated data and HMAC prefix).
//!
//! The keys are derived once, when the simulator opens its registry: sealing a value is one
//! AES-GCM call and its blind index one HMAC from a pre-keyed state, so seeding a million
//! sponsors pays no per-row key derivation. What the registry seals is listed in
//! `crates/regulator/migrations/0006_sealed_personal_data.sql`, `0007_sealed_texts.sql` (the
//! phone inbox's SMS texts) and docs/operations.md
//! ("The simulator's key").

use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Name of the generated key file in the simulator's data dir.
pub const KEY_FILE: &str = "regulator.key";
/// Environment variable holding the master key as 64 hex digits.
pub const KEY_ENV: &str = "BEIAN_REGULATOR_KEY";

/// Why a key could not be had or a value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("regulator key: {0}")]
    Bad(&'static str),
    #[error("regulator key file: {0}")]
    Io(#[from] std::io::Error),
    #[error("a sealed value does not open under the regulator key")]
    Decrypt,
}

/// Which personal-data field a value belongs to (the crypto domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A sponsor's or person's certificate number.
    Certificate,
    /// A mobile number.
    Mobile,
    /// A whole filing as submitted (it holds both of the above).
    Filing,
    /// The text of an SMS in a phone's inbox (a verification code, a filing password, names).
    Text,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::Certificate => b"regulator/certificate",
            Field::Mobile => b"regulator/mobile",
            Field::Filing => b"regulator/filing",
            Field::Text => b"regulator/text",
        }
    }
}

/// The 32-byte master key. Its `Debug` output is redacted.
#[derive(Clone)]
pub struct RegistryKey([u8; 32]);

impl fmt::Debug for RegistryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistryKey(***)")
    }
}

impl RegistryKey {
    /// Parses 64 hex digits of a 32-byte key.
    pub fn parse(text: &str) -> Result<RegistryKey, KeyError> {
        let bytes = from_hex(text.trim()).ok_or(KeyError::Bad("not hex"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Bad("must be 32 bytes (64 hex digits)"))?;
        Ok(RegistryKey(arr))
    }

    /// A fresh random key.
    pub fn generate() -> RegistryKey {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        RegistryKey(k)
    }

    /// The key as 64 hex digits, as the key file and `BEIAN_REGULATOR_KEY` hold it.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// The key from `BEIAN_REGULATOR_KEY` if set and not blank, else the data dir's
    /// `regulator.key`, generated (mode 0600) when absent.
    pub fn load(data_dir: &Path) -> Result<RegistryKey, KeyError> {
        match std::env::var(KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => RegistryKey::parse(&v),
            _ => RegistryKey::load_or_create(data_dir),
        }
    }

    /// Reads `data_dir/regulator.key`, or generates it with mode 0600 when absent. The new
    /// key is written whole to a temporary file first and then linked into place, so that two
    /// processes starting together on one data dir (the simulator and a tool opening its
    /// registry) agree on one key and never read a half-written file.
    pub fn load_or_create(data_dir: &Path) -> Result<RegistryKey, KeyError> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(s) => return RegistryKey::parse(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        std::fs::create_dir_all(data_dir)?;
        let key = RegistryKey::generate();
        let mut suffix = [0u8; 8];
        rand::rng().fill_bytes(&mut suffix);
        let tmp = data_dir.join(format!("{KEY_FILE}.{}.tmp", to_hex(&suffix)));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let written = opts.open(&tmp).and_then(|mut f| {
            f.write_all(key.to_hex().as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&tmp, &path));
        // The temporary name goes either way; the key file stays.
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(key),
            // Another process generated it first: its key is the one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                RegistryKey::parse(&std::fs::read_to_string(&path)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(label);
        mac.finalize().into_bytes().into()
    }
}

/// Seals, opens and indexes the registry's personal data under a [`RegistryKey`].
#[derive(Clone)]
pub struct RegistryCrypto {
    aead: Aes256Gcm,
    /// HMAC keyed with the blind-index key, cloned per value (no per-value key schedule).
    index: HmacSha256,
}

impl fmt::Debug for RegistryCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistryCrypto(***)")
    }
}

impl RegistryCrypto {
    pub fn new(key: &RegistryKey) -> RegistryCrypto {
        RegistryCrypto {
            aead: Aes256Gcm::new(&key.derive(b"regulator/v1/encryption").into()),
            index: <HmacSha256 as Mac>::new_from_slice(&key.derive(b"regulator/v1/blind-index"))
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length")),
        }
    }

    /// Encrypts `plain` as hex of `nonce ‖ ciphertext+tag`.
    pub fn seal(&self, field: Field, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: field.label(),
        };
        // Encryption with a valid key and a 12-byte nonce only fails for > 64 GiB inputs.
        let ct = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        to_hex(&out)
    }

    /// Decrypts what [`RegistryCrypto::seal`] produced for the same field.
    pub fn open(&self, field: Field, sealed: &str) -> Result<String, KeyError> {
        let bytes = from_hex(sealed).ok_or(KeyError::Decrypt)?;
        if bytes.len() < 12 + 16 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: field.label(),
                },
            )
            .map_err(|_| KeyError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| KeyError::Decrypt)
    }

    /// The blind index of `value`: hex HMAC of the field's label and the normalised value
    /// (trimmed, inner spaces removed, upper case), equal for equal numbers however typed.
    pub fn blind(&self, field: Field, value: &str) -> String {
        let normal: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        self.digest(field, normal.as_bytes())
    }

    /// The keyed digest of `bytes` as they are (no normalisation): equal documents have equal
    /// digests, so a sealed document is found again without decrypting.
    pub fn digest(&self, field: Field, bytes: &[u8]) -> String {
        let mut mac = self.index.clone();
        mac.update(field.label());
        mac.update(b"\0");
        mac.update(bytes);
        to_hex(&mac.finalize().into_bytes())
    }

    /// Opens an optional sealed value: `""` stays `""` (a field the filing left empty is
    /// stored empty, not sealed).
    pub fn open_opt(&self, field: Field, sealed: &str) -> Result<String, KeyError> {
        if sealed.is_empty() {
            Ok(String::new())
        } else {
            self.open(field, sealed)
        }
    }

    /// Seals an optional value: `""` stays `""`.
    pub fn seal_opt(&self, field: Field, plain: &str) -> String {
        if plain.is_empty() {
            String::new()
        } else {
            self.seal(field, plain)
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = char::from(pair[1]).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_per_field() {
        let crypto = RegistryCrypto::new(&RegistryKey::generate());
        let sealed = crypto.seal(Field::Certificate, "110101199001011234");
        assert!(!sealed.contains("110101199001011234"));
        assert_eq!(
            crypto.open(Field::Certificate, &sealed).unwrap(),
            "110101199001011234"
        );
        assert!(crypto.open(Field::Mobile, &sealed).is_err());
        let other = RegistryCrypto::new(&RegistryKey::generate());
        assert!(other.open(Field::Certificate, &sealed).is_err());
        // A fresh nonce each time: equal numbers do not seal alike.
        assert_ne!(
            sealed,
            crypto.seal(Field::Certificate, "110101199001011234")
        );
    }

    #[test]
    fn blind_index_normalises_and_separates_fields() {
        let crypto = RegistryCrypto::new(&RegistryKey::generate());
        let a = crypto.blind(Field::Certificate, " 11010119900101123x ");
        assert_eq!(a, crypto.blind(Field::Certificate, "11010119900101123X"));
        assert_ne!(a, crypto.blind(Field::Mobile, "11010119900101123X"));
        assert_ne!(a, crypto.blind(Field::Certificate, "110101199001011230"));
        assert!(!a.contains("11010119900101123"));
    }

    #[test]
    fn digests_are_keyed_exact_and_per_field() {
        let crypto = RegistryCrypto::new(&RegistryKey::generate());
        let doc = br#"{"sponsor":"91330106MA2CFWXY9C"}"#;
        assert_eq!(
            crypto.digest(Field::Filing, doc),
            crypto.digest(Field::Filing, doc)
        );
        // Not normalised: a document differing in case is another document.
        assert_ne!(
            crypto.digest(Field::Filing, doc),
            crypto.digest(Field::Filing, br#"{"sponsor":"91330106ma2cfwxy9c"}"#)
        );
        assert_ne!(
            crypto.digest(Field::Filing, doc),
            crypto.digest(Field::Certificate, doc)
        );
        let other = RegistryCrypto::new(&RegistryKey::generate());
        assert_ne!(
            crypto.digest(Field::Filing, doc),
            other.digest(Field::Filing, doc)
        );
        assert_eq!(crypto.seal_opt(Field::Mobile, ""), "");
        assert_eq!(crypto.open_opt(Field::Mobile, "").unwrap(), "");
    }

    #[test]
    fn key_file_is_generated_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let first = RegistryKey::load_or_create(dir.path()).unwrap();
        let again = RegistryKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.to_hex(), again.to_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Only the key file is left: no temporary file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // Many starting together agree on one key.
        let other = tempfile::tempdir().unwrap();
        let keys: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| RegistryKey::load_or_create(other.path()).unwrap().to_hex()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        assert!(RegistryKey::parse("abcd").is_err());
        assert!(RegistryKey::parse(&"zz".repeat(32)).is_err());
        assert_eq!(
            RegistryKey::parse(&first.to_hex()).unwrap().to_hex(),
            first.to_hex()
        );
    }
}
