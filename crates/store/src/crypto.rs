//! Encryption of personal data at rest: AES-256-GCM sealing of certificate and mobile
//! numbers, and a keyed HMAC-SHA-256 blind index to find rows by them without decrypting.
//!
//! Two 32-byte [`DataKey`]s are involved (envelope encryption, see [`crate::data_keys`]):
//! - the operator's key (the KEK: config, `BEIAN_DATA_KEY`, or generated into the data dir
//!   with mode 0600 on the first embedded run) only wraps the data-encryption key
//!   ([`DataKey::wrap`], [`DataKey::unwrap`]);
//! - the data-encryption key (the DEK, kept in the database wrapped) is what [`Crypto`] is
//!   made from: it derives subkeys with HMAC-SHA-256, one for field encryption, one for the
//!   blind index, one for objects. Rotating the operator's key re-wraps the DEK; nothing
//!   sealed changes. A store from before envelope keys has the operator's key's own material
//!   as its DEK, so what it sealed still opens.
//!
//! Each field kind (`Field`) is its own domain: it is the AES-GCM associated data and the HMAC
//! prefix, so a ciphertext moved to another column fails to open and equal numbers in
//! different fields index differently.

use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::{Result, StoreError};

type HmacSha256 = Hmac<Sha256>;

/// Name of the generated key file in the data dir.
pub const KEY_FILE: &str = "data.key";
/// Environment variable holding the base64 master key.
pub const KEY_ENV: &str = "BEIAN_DATA_KEY";

/// A 32-byte key: the operator's key, or the data-encryption key it wraps. Its `Debug`
/// output is redacted.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl DataKey {
    /// Parses base64 (standard alphabet, padding optional) of exactly 32 bytes.
    pub fn parse(b64: &str) -> Result<DataKey> {
        let s = b64.trim();
        let bytes = B64
            .decode(s)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
            .map_err(|_| StoreError::BadDataKey("not base64"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::BadDataKey("must be 32 bytes"))?;
        Ok(DataKey(arr))
    }

    /// A fresh random key.
    pub fn generate() -> DataKey {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        DataKey(k)
    }

    /// The key as base64, for writing to a key file or an environment variable.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// The key in `BEIAN_DATA_KEY`, if set and not blank.
    pub fn from_env() -> Result<Option<DataKey>> {
        match std::env::var(KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => DataKey::parse(&v).map(Some),
            _ => Ok(None),
        }
    }

    /// Reads `dir/data.key`, or, if absent and `may_create`, generates it with mode 0600.
    /// Returns `Ok(None)` when absent and not created.
    pub fn load_or_create(dir: &Path, may_create: bool) -> Result<Option<DataKey>> {
        let path = dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(s) => return DataKey::parse(&s).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::Io {
                    what: "data key file",
                    source,
                });
            }
        }
        if !may_create {
            return Ok(None);
        }
        let key = DataKey::generate();
        let io = |source| StoreError::Io {
            what: "data key file",
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&path).map_err(io)?;
        f.write_all(key.to_base64().as_bytes()).map_err(io)?;
        f.write_all(b"\n").map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(Some(key))
    }

    /// The key's public id: 16 hex digits derived from the key, never the key. A backup
    /// names the key it needs by this id; two instances can compare keys by it.
    pub fn id(&self) -> String {
        self.derive(b"beian/v1/key-id")[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Wraps `dek` under this key (the KEK): `nonce (12 bytes) ‖ AES-256-GCM ciphertext+tag`
    /// of the DEK's 32 bytes, under a key derived from this one for wrapping, with the DEK's
    /// id as associated data (a wrapped key does not open as another key's).
    pub fn wrap(&self, dek: &DataKey) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let aead = Aes256Gcm::new(&self.derive(b"beian/v1/wrap-data-key").into());
        let aad = wrap_aad(&dek.id());
        // Encryption with a valid key and a 12-byte nonce only fails for > 64 GiB inputs.
        let ct = aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &dek.0,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens what [`DataKey::wrap`] made of the DEK whose id is `dek_id`; a wrong key, a
    /// tampered blob or another id is [`StoreError::Decrypt`].
    pub fn unwrap(&self, dek_id: &str, wrapped: &[u8]) -> Result<DataKey> {
        if wrapped.len() != 12 + 32 + 16 {
            return Err(StoreError::Decrypt);
        }
        let (nonce, ct) = wrapped.split_at(12);
        let aead = Aes256Gcm::new(&self.derive(b"beian/v1/wrap-data-key").into());
        let aad = wrap_aad(dek_id);
        let plain = aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| StoreError::Decrypt)?;
        let arr: [u8; 32] = plain.try_into().map_err(|_| StoreError::Decrypt)?;
        let dek = DataKey(arr);
        if dek.id() != dek_id {
            return Err(StoreError::Decrypt);
        }
        Ok(dek)
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| {
            // HMAC accepts keys of any length; this branch cannot be taken.
            unreachable!("hmac key length")
        });
        mac.update(label);
        mac.finalize().into_bytes().into()
    }
}

/// Which personal-data field a value belongs to (the crypto domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A sponsor's or person's certificate number (身份证, 统一社会信用代码, …).
    Certificate,
    /// A mobile number.
    Mobile,
    /// An outbox payload (may hold any of the above).
    Outbox,
    /// A stored API response replayed for an idempotency key (an order view holds the forms).
    StoredResponse,
    /// A one-time code (the 取消接入 code): only its keyed hash is kept.
    OneTimeCode,
    /// A legacy (万网) export record, sealed whole (it holds certificates and mobiles).
    LegacyRecord,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::Certificate => b"beian/certificate",
            Field::Mobile => b"beian/mobile",
            Field::Outbox => b"beian/outbox",
            Field::StoredResponse => b"beian/stored-response",
            Field::OneTimeCode => b"beian/one-time-code",
            Field::LegacyRecord => b"beian/legacy-record",
        }
    }
}

/// Seals, opens and indexes personal data with keys derived from one [`DataKey`] (the store's
/// data-encryption key).
#[derive(Clone)]
pub struct Crypto {
    aead: Aes256Gcm,
    object_aead: Aes256Gcm,
    index_key: [u8; 32],
    key_id: String,
}

impl fmt::Debug for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Crypto(***)")
    }
}

impl Crypto {
    pub fn new(key: &DataKey) -> Crypto {
        let enc = key.derive(b"beian/v1/encryption");
        Crypto {
            aead: Aes256Gcm::new(&enc.into()),
            object_aead: Aes256Gcm::new(&key.derive(b"beian/v1/objects").into()),
            index_key: key.derive(b"beian/v1/blind-index"),
            key_id: key.id(),
        }
    }

    /// The id of the data key ([`DataKey::id`]).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts: returns `nonce (12 bytes) || ciphertext+tag`.
    pub fn seal(&self, field: Field, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: field.label(),
        };
        // Encryption with a valid key and a 12-byte nonce only fails for > 64 GiB inputs.
        let ct = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts what [`Crypto::seal`] produced for the same field.
    pub fn open(&self, field: Field, sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < 12 + 16 {
            return Err(StoreError::Decrypt);
        }
        let (nonce, ct) = sealed.split_at(12);
        self.aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: field.label(),
                },
            )
            .map_err(|_| StoreError::Decrypt)
    }

    /// Seals a string.
    pub fn seal_str(&self, field: Field, s: &str) -> Vec<u8> {
        self.seal(field, s.as_bytes())
    }

    /// Opens a sealed string.
    pub fn open_str(&self, field: Field, sealed: &[u8]) -> Result<String> {
        String::from_utf8(self.open(field, sealed)?).map_err(|_| StoreError::Decrypt)
    }

    /// The blind index of a value: HMAC-SHA-256(index key, field label ‖ 0 ‖ normalised).
    pub fn blind_index(&self, field: Field, value: &str) -> Vec<u8> {
        let normalised = normalise(field, value);
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.index_key)
            .unwrap_or_else(|_| unreachable!("hmac key length"));
        mac.update(field.label());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// The first bytes of an object sealed by [`Crypto::seal_object`]. Objects stored before
/// objects were sealed (plain JPEG, PNG or PDF) never start with it, so they still read.
pub const OBJECT_MAGIC: &[u8; 8] = b"BEIANOB1";

impl Crypto {
    /// Seals an object's bytes for the object store: `OBJECT_MAGIC ‖ key id (16 hex digits) ‖
    /// nonce (12 bytes) ‖ AES-256-GCM ciphertext+tag`, under a key derived from the data key
    /// for objects, with the object's path as associated data (an object copied to another
    /// path does not open).
    pub fn seal_object(&self, path: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let aad = object_aad(path);
        // Encryption with a valid key and a 12-byte nonce only fails for > 64 GiB inputs.
        let ct = self
            .object_aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(OBJECT_MAGIC.len() + 16 + 12 + ct.len());
        out.extend_from_slice(OBJECT_MAGIC);
        out.extend_from_slice(self.key_id.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens what [`Crypto::seal_object`] stored at `path`; bytes without the marker (an
    /// object stored before sealing) are returned as they are.
    pub fn open_object(&self, path: &str, stored: &[u8]) -> Result<Vec<u8>> {
        let Some(rest) = stored.strip_prefix(OBJECT_MAGIC.as_slice()) else {
            return Ok(stored.to_vec());
        };
        if rest.len() < 16 + 12 + 16 {
            return Err(StoreError::Decrypt);
        }
        let (key_id, rest) = rest.split_at(16);
        if key_id != self.key_id.as_bytes() {
            return Err(StoreError::Decrypt);
        }
        let (nonce, ct) = rest.split_at(12);
        let aad = object_aad(path);
        self.object_aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| StoreError::Decrypt)
    }
}

fn wrap_aad(dek_id: &str) -> Vec<u8> {
    let mut aad = b"beian/data-key\0".to_vec();
    aad.extend_from_slice(dek_id.as_bytes());
    aad
}

fn object_aad(path: &str) -> Vec<u8> {
    let mut aad = b"beian/object\0".to_vec();
    aad.extend_from_slice(path.as_bytes());
    aad
}

/// The form a value is indexed in: certificates upper-cased without spaces (so `x`/`X`
/// check digits match), mobiles as digits without a `+86`/`86` country prefix.
pub fn normalise(field: Field, value: &str) -> String {
    match field {
        Field::Certificate
        | Field::Outbox
        | Field::StoredResponse
        | Field::OneTimeCode
        | Field::LegacyRecord => value
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect(),
        Field::Mobile => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            match digits.strip_prefix("86") {
                Some(rest) if rest.len() == 11 => rest.to_string(),
                _ => digits,
            }
        }
    }
}

/// Masks a certificate or mobile number for display and logs: first 4 and last 4 kept when
/// long enough (`3301**********1234`), mobiles as `138****8000`, else everything but the last 2 hidden.
pub fn mask(value: &str) -> String {
    use beian_core::mask::mask as keep_ends;
    let n = value.chars().count();
    if n == 11 && value.chars().all(|c| c.is_ascii_digit()) {
        // A mainland mobile: 138****8000.
        keep_ends(value, 3, 4)
    } else if n >= 12 {
        keep_ends(value, 4, 4)
    } else {
        keep_ends(value, 0, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_field_binding() {
        let c = Crypto::new(&DataKey::generate());
        let sealed = c.seal_str(Field::Certificate, "330106199001011234");
        assert_ne!(&sealed[12..], b"330106199001011234".as_slice());
        assert_eq!(
            c.open_str(Field::Certificate, &sealed).unwrap(),
            "330106199001011234"
        );
        assert!(matches!(
            c.open(Field::Mobile, &sealed),
            Err(StoreError::Decrypt)
        ));
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(c.open(Field::Certificate, &tampered).is_err());
        // Random nonces: the same plaintext seals differently.
        assert_ne!(sealed, c.seal_str(Field::Certificate, "330106199001011234"));
    }

    #[test]
    fn blind_index_normalises_and_separates_fields_and_keys() {
        let c = Crypto::new(&DataKey::generate());
        let cases = [
            (
                Field::Certificate,
                "33010619900101123x",
                "33010619900101123X",
            ),
            (
                Field::Certificate,
                "3301 0619 9001 0112 3X",
                "33010619900101123X",
            ),
            (Field::Mobile, "+86 138-0013-8000", "13800138000"),
            (Field::Mobile, "8613800138000", "13800138000"),
        ];
        for (field, a, b) in cases {
            assert_eq!(
                c.blind_index(field, a),
                c.blind_index(field, b),
                "{a} vs {b}"
            );
        }
        assert_ne!(
            c.blind_index(Field::Certificate, "13800138000"),
            c.blind_index(Field::Mobile, "13800138000")
        );
        let other = Crypto::new(&DataKey::generate());
        assert_ne!(
            c.blind_index(Field::Mobile, "13800138000"),
            other.blind_index(Field::Mobile, "13800138000")
        );
    }

    #[test]
    fn the_key_id_is_stable_per_key_and_reveals_nothing_of_it() {
        let a = DataKey::generate();
        let b = DataKey::generate();
        assert_eq!(a.id(), DataKey::parse(&a.to_base64()).unwrap().id());
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
        assert!(!a.to_base64().contains(&a.id()));
        assert_eq!(Crypto::new(&a).key_id(), a.id());
    }

    #[test]
    fn a_wrapped_data_key_opens_under_its_kek_only() {
        let (kek, other, dek) = (
            DataKey::generate(),
            DataKey::generate(),
            DataKey::generate(),
        );
        let wrapped = kek.wrap(&dek);
        assert!(!wrapped.windows(32).any(|w| w == dek.0));
        assert_eq!(kek.unwrap(&dek.id(), &wrapped).unwrap().0, dek.0);
        assert!(matches!(
            other.unwrap(&dek.id(), &wrapped),
            Err(StoreError::Decrypt)
        ));
        assert!(kek.unwrap(&other.id(), &wrapped).is_err());
        let mut tampered = wrapped.clone();
        tampered[20] ^= 1;
        assert!(kek.unwrap(&dek.id(), &tampered).is_err());
        // Random nonces: wrapping twice differs.
        assert_ne!(wrapped, kek.wrap(&dek));
    }

    #[test]
    fn key_parse_rejects_bad_input_and_round_trips() {
        let k = DataKey::generate();
        let back = DataKey::parse(&k.to_base64()).unwrap();
        assert_eq!(back.0, k.0);
        assert!(matches!(
            DataKey::parse("!!!"),
            Err(StoreError::BadDataKey("not base64"))
        ));
        assert!(matches!(
            DataKey::parse(&B64.encode([1u8; 16])),
            Err(StoreError::BadDataKey("must be 32 bytes"))
        ));
        assert_eq!(format!("{k:?}"), "DataKey(***)");
    }

    #[test]
    fn key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            DataKey::load_or_create(dir.path(), false)
                .unwrap()
                .is_none()
        );
        let k1 = DataKey::load_or_create(dir.path(), true).unwrap().unwrap();
        let k2 = DataKey::load_or_create(dir.path(), true).unwrap().unwrap();
        assert_eq!(k1.0, k2.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn mask_table() {
        let cases = [
            ("330106199001011234", "3301**********1234"),
            ("13800138000", "138****8000"),
            ("A1234567", "******67"),
            ("12", "**"),
        ];
        for (input, want) in cases {
            assert_eq!(mask(input), want);
        }
    }
}
