//! The object store for uploaded materials (the bytes; metadata is in `materials`): a local
//! folder by default, any S3-compatible service by configuration, both through the
//! `object_store` crate. Keys are random (128-bit, hex) and never derived from the user's file
//! name; a key that is not of that form is refused before it reaches the backend.
//!
//! Every object is sealed before it leaves the process ([`Crypto::seal_object`]: AES-256-GCM
//! under a key derived from the data key, a fresh nonce per object, the object's path as
//! associated data), so neither the folder nor the bucket holds plaintext ID scans or faces.
//! Objects stored before sealing (no marker) still read. In a local folder the folder is
//! mode 0700 and each object file 0600.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

use crate::crypto::Crypto;
use crate::error::{Result, StoreError};

/// Where objects go.
#[derive(Clone, PartialEq, Eq)]
pub enum ObjectConfig {
    /// A folder (created if missing), e.g. `data/objects`.
    Local { dir: PathBuf },
    /// An S3-compatible service. `endpoint` `None` means AWS itself.
    S3 {
        endpoint: Option<String>,
        bucket: String,
        region: String,
        access_key_id: String,
        secret_access_key: String,
        /// Allow `http://` endpoints (a local test server).
        allow_http: bool,
    },
}

impl std::fmt::Debug for ObjectConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectConfig::Local { dir } => f.debug_struct("Local").field("dir", dir).finish(),
            ObjectConfig::S3 {
                endpoint, bucket, ..
            } => f
                .debug_struct("S3")
                .field("endpoint", endpoint)
                .field("bucket", bucket)
                .finish_non_exhaustive(),
        }
    }
}

/// A stored object's key, size and SHA-256 (hex), for the `materials` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub size: i64,
    pub sha256_hex: String,
}

/// Handle on the configured object store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Objects {
    inner: Arc<dyn ObjectStore>,
    crypto: Crypto,
    /// The folder, for a local store (its files' modes are set).
    local_dir: Option<PathBuf>,
}

const PREFIX: &str = "o/";

fn check_key(key: &str) -> Result<ObjectPath> {
    let ok = key
        .strip_prefix(PREFIX)
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        return Err(StoreError::NotFound { what: "object" });
    }
    Ok(ObjectPath::from(key))
}

/// The `object_store` behind a configuration (for [`Objects`], and for a backup's bucket,
/// whose paths are not object keys).
pub(crate) fn build(config: &ObjectConfig) -> Result<Arc<dyn ObjectStore>> {
    {
        let inner: Arc<dyn ObjectStore> = match config {
            ObjectConfig::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                    what: "object dir",
                    source,
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(dir)?)
            }
            ObjectConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    .with_allow_http(*allow_http);
                if let Some(e) = endpoint {
                    b = b.with_endpoint(e);
                }
                Arc::new(b.build()?)
            }
        };
        Ok(inner)
    }
}

impl Objects {
    /// Opens the store; objects are sealed with `crypto` (the store's, [`crate::Store::crypto`]).
    pub fn open(config: &ObjectConfig, crypto: &Crypto) -> Result<Objects> {
        let inner = build(config)?;
        let local_dir = match config {
            ObjectConfig::Local { dir } => {
                private_mode(dir, 0o700)?;
                Some(dir.clone())
            }
            ObjectConfig::S3 { .. } => None,
        };
        Ok(Objects {
            inner,
            crypto: crypto.clone(),
            local_dir,
        })
    }

    /// Stores bytes (sealed) under a fresh random key. Size and SHA-256 are the plaintext's.
    pub async fn put(&self, bytes: Vec<u8>) -> Result<StoredObject> {
        let key = format!("{PREFIX}{}", uuid::Uuid::new_v4().simple());
        let sha: [u8; 32] = Sha256::digest(&bytes).into();
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let sealed = self.crypto.seal_object(&key, &bytes);
        drop(bytes);
        self.put_raw(&key, sealed).await?;
        Ok(StoredObject {
            key,
            size,
            sha256_hex: sha.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// The bytes under `key`, opened; `NotFound` if absent or not a key this store made.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let stored = self.get_raw(key).await?;
        self.crypto.open_object(key, &stored)
    }

    /// The bytes under `key` as stored (sealed): what a backup copies.
    pub async fn get_raw(&self, key: &str) -> Result<Vec<u8>> {
        let path = check_key(key)?;
        let bytes = self.inner.get(&path).await?.bytes().await?;
        Ok(bytes.to_vec())
    }

    async fn put_raw(&self, key: &str, stored: Vec<u8>) -> Result<()> {
        let path = check_key(key)?;
        self.inner.put(&path, PutPayload::from(stored)).await?;
        if let Some(dir) = &self.local_dir {
            private_mode(&dir.join(key), 0o600)?;
        }
        Ok(())
    }

    /// Every key this store made (for a backup), in key order.
    pub async fn list(&self) -> Result<Vec<String>> {
        let prefix = ObjectPath::from(PREFIX.trim_end_matches('/'));
        let listed = self.inner.list_with_delimiter(Some(&prefix)).await?;
        let mut keys: Vec<String> = listed
            .objects
            .into_iter()
            .map(|m| m.location.to_string())
            .filter(|k| check_key(k).is_ok())
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// Stores bytes as they are (sealed, from [`Objects::get_raw`]) under a key this store
    /// made before (a restore); other keys are refused.
    pub async fn put_at(&self, key: &str, stored: Vec<u8>) -> Result<()> {
        self.put_raw(key, stored).await
    }

    /// Deletes the object (idempotent where the backend is).
    pub async fn delete(&self, key: &str) -> Result<()> {
        let path = check_key(key)?;
        self.inner.delete(&path).await?;
        Ok(())
    }
}

/// Sets a local file's or folder's mode (owner only); nothing on other systems.
pub(crate) fn private_mode(path: &std::path::Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(
            |source| StoreError::Io {
                what: "file permissions",
                source,
            },
        )?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_keys_are_accepted() {
        let cases = [
            ("o/0123456789abcdef0123456789abcdef", true),
            ("o/../../etc/passwd", false),
            ("o/0123456789abcdef0123456789abcdeg", false),
            ("photo.jpg", false),
            ("o/0123", false),
        ];
        for (key, ok) in cases {
            assert_eq!(check_key(key).is_ok(), ok, "{key}");
        }
    }

    fn crypto() -> Crypto {
        Crypto::new(&crate::crypto::DataKey::generate())
    }

    #[tokio::test]
    async fn local_put_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let objs = Objects::open(
            &ObjectConfig::Local {
                dir: dir.path().join("objects"),
            },
            &crypto(),
        )
        .unwrap();
        let a = objs.put(b"hello".to_vec()).await.unwrap();
        let b = objs.put(b"hello".to_vec()).await.unwrap();
        assert_ne!(a.key, b.key);
        assert_eq!(a.size, 5);
        assert_eq!(
            a.sha256_hex,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(objs.get(&a.key).await.unwrap(), b"hello");
        objs.delete(&a.key).await.unwrap();
        assert!(matches!(
            objs.get(&a.key).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(objs.get(&b.key).await.unwrap(), b"hello");
    }

    #[tokio::test]
    async fn objects_are_sealed_at_rest_private_and_old_plain_ones_still_read() {
        let dir = tempfile::tempdir().unwrap().keep();
        let folder = dir.join("objects");
        let sealer = crypto();
        let objs = Objects::open(
            &ObjectConfig::Local {
                dir: folder.clone(),
            },
            &sealer,
        )
        .unwrap();
        let secret = b"%PDF-1.4 330106199001011234 13800138000 %%EOF".to_vec();
        let a = objs.put(secret.clone()).await.unwrap();
        let on_disk = std::fs::read(folder.join(&a.key)).unwrap();
        assert!(on_disk.starts_with(crate::crypto::OBJECT_MAGIC));
        assert!(!on_disk.windows(18).any(|w| w == b"330106199001011234"));
        assert!(!on_disk.windows(11).any(|w| w == b"13800138000"));
        assert_eq!(objs.get(&a.key).await.unwrap(), secret);
        assert_eq!(objs.get_raw(&a.key).await.unwrap(), on_disk);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode(&folder) & 0o777, 0o700);
            assert_eq!(mode(&folder.join(&a.key)) & 0o777, 0o600);
        }
        // Moved to another path, it does not open; under another data key neither.
        let b = "o/0123456789abcdef0123456789abcdef";
        objs.put_at(b, on_disk.clone()).await.unwrap();
        assert!(matches!(objs.get(b).await, Err(StoreError::Decrypt)));
        let other = Objects::open(
            &ObjectConfig::Local {
                dir: folder.clone(),
            },
            &crypto(),
        )
        .unwrap();
        assert!(matches!(other.get(&a.key).await, Err(StoreError::Decrypt)));
        // An object written before sealing (plain bytes) reads as it is.
        let plain = "o/fedcba9876543210fedcba9876543210";
        std::fs::create_dir_all(folder.join("o")).unwrap();
        std::fs::write(folder.join(plain), b"\xff\xd8\xff old jpeg").unwrap();
        assert_eq!(objs.get(plain).await.unwrap(), b"\xff\xd8\xff old jpeg");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
