//! The codec of §3-3-1-3 and §3-3-2-3, both directions.
//!
//! Sending: XML document (GBK bytes) → zip archive holding that one file → MD5 of the
//! **zipped** bytes, base64 → `beianInfoHash`; the zipped bytes, AES-CBC/PKCS5 encrypted when
//! `encryptAlgorithm` is 1, base64 → `beianInfo`. So the hash is over the zipped bytes, not
//! the encrypted ones, and the data is zipped first, then encrypted.
//!
//! Receiving: base64-decode `beianInfo` → decrypt → MD5 compare with the decoded
//! `beianInfoHash` → unzip (exactly one file, at most 50 MB).
//!
//! The bureau hands out the AES key and the IV (密钥偏移量, e.g. `"0102030405060708"`) as
//! strings; their bytes are used as they are, so both must be 16 bytes (AES-128).

use std::io::{Cursor, Read, Write};

use aes::Aes128;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use md5::{Digest, Md5};

use super::codes::{CompressionFormat, EncryptAlgorithm, HashAlgorithm, ReturnCode};

/// The largest file the spec accepts (50 MB).
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// Why encoding or decoding failed; [`CodecError::return_code`] gives the spec's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("AES key and IV must be 16 bytes each (got {key} and {iv})")]
    BadKey { key: usize, iv: usize },
    #[error("unknown encryptAlgorithm {0}")]
    EncryptAlgorithm(i64),
    #[error("unknown hashAlgorithm {0}")]
    HashAlgorithm(i64),
    #[error("unknown compressionFormat {0}")]
    CompressionFormat(i64),
    #[error("encrypted data but no AES key configured")]
    NoKey,
    #[error("beianInfo or beianInfoHash is not base64")]
    Base64,
    #[error("decryption failed")]
    Decrypt,
    #[error("hash does not match the data")]
    HashMismatch,
    #[error("not a readable zip archive: {0}")]
    Zip(String),
    #[error("the archive holds {0} files, expected exactly 1")]
    FileCount(usize),
    #[error("the file is larger than 50 MB")]
    TooLarge,
    #[error("file name must be 1 to 128 ASCII letters, digits, '.', '_' or '-'")]
    FileName,
}

impl CodecError {
    pub fn return_code(&self) -> ReturnCode {
        match self {
            CodecError::BadKey { .. } | CodecError::NoKey | CodecError::Decrypt => {
                ReturnCode::DecryptionFailed
            }
            CodecError::Base64 => ReturnCode::DecryptionFailed,
            CodecError::EncryptAlgorithm(_) => ReturnCode::BadEncryptAlgorithm,
            CodecError::HashAlgorithm(_) => ReturnCode::BadHashAlgorithm,
            CodecError::CompressionFormat(_) => ReturnCode::BadCompressionFormat,
            CodecError::HashMismatch => ReturnCode::HashMismatch,
            CodecError::Zip(_) => ReturnCode::DecompressionFailed,
            CodecError::FileCount(_) => ReturnCode::WrongFileCount,
            CodecError::TooLarge => ReturnCode::FileTooLarge,
            CodecError::FileName => ReturnCode::Other,
        }
    }
}

/// The AES-128 key and IV a bureau issued.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey {
    key: [u8; 16],
    iv: [u8; 16],
}

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(***)")
    }
}

impl AesKey {
    /// From the bureau's key and IV strings (16 bytes each).
    pub fn parse(key: &str, iv: &str) -> Result<AesKey, CodecError> {
        let bad = || CodecError::BadKey {
            key: key.len(),
            iv: iv.len(),
        };
        Ok(AesKey {
            key: key.as_bytes().try_into().map_err(|_| bad())?,
            iv: iv.as_bytes().try_into().map_err(|_| bad())?,
        })
    }

    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        cbc::Encryptor::<Aes128>::new(&self.key.into(), &self.iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(plain)
    }

    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, CodecError> {
        cbc::Decryptor::<Aes128>::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(|_| CodecError::Decrypt)
    }
}

/// The transfer fields of one file, as the methods carry them. `Debug` shows sizes only
/// (the data holds personal data).
#[derive(Clone, PartialEq, Eq)]
pub struct Encoded {
    pub beian_info: String,
    pub beian_info_hash: String,
    pub encrypt_algorithm: EncryptAlgorithm,
    pub hash_algorithm: HashAlgorithm,
    pub compression_format: CompressionFormat,
}

impl std::fmt::Debug for Encoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoded")
            .field("beian_info_len", &self.beian_info.len())
            .field("beian_info_hash", &self.beian_info_hash)
            .field("encrypt_algorithm", &self.encrypt_algorithm)
            .field("hash_algorithm", &self.hash_algorithm)
            .field("compression_format", &self.compression_format)
            .finish()
    }
}

/// A decoded file: its name inside the archive and its bytes (the XML, GBK).
#[derive(Clone, PartialEq, Eq)]
pub struct DecodedFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for DecodedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedFile")
            .field("file_name", &self.file_name)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// base64(MD5(data)).
pub fn md5_base64(data: &[u8]) -> String {
    B64.encode(Md5::digest(data))
}

/// Checks a data file name: ASCII letters and digits (we also allow `.`, `_`, `-` for the
/// extension and separators), at most 128 bytes (§3-3-1-3).
pub fn check_file_name(name: &str) -> Result<(), CodecError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CodecError::FileName)
    }
}

/// Zips one file.
pub fn zip_one(file_name: &str, bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
    check_file_name(file_name)?;
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    writer
        .start_file(file_name, options)
        .map_err(|e| CodecError::Zip(e.to_string()))?;
    writer
        .write_all(bytes)
        .map_err(|e| CodecError::Zip(e.to_string()))?;
    let cursor = writer
        .finish()
        .map_err(|e| CodecError::Zip(e.to_string()))?;
    Ok(cursor.into_inner())
}

/// Unzips an archive that must hold exactly one file of at most `max_bytes`.
pub fn unzip_one(zipped: &[u8], max_bytes: u64) -> Result<DecodedFile, CodecError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zipped)).map_err(|e| CodecError::Zip(e.to_string()))?;
    if archive.len() != 1 {
        return Err(CodecError::FileCount(archive.len()));
    }
    let file = archive
        .by_index(0)
        .map_err(|e| CodecError::Zip(e.to_string()))?;
    if file.size() > max_bytes {
        return Err(CodecError::TooLarge);
    }
    let file_name = file.name().to_owned();
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CodecError::Zip(e.to_string()))?;
    if bytes.len() as u64 > max_bytes {
        return Err(CodecError::TooLarge);
    }
    Ok(DecodedFile { file_name, bytes })
}

/// Encodes a file for transfer; encrypted when `key` is given.
pub fn encode(file_name: &str, bytes: &[u8], key: Option<&AesKey>) -> Result<Encoded, CodecError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(CodecError::TooLarge);
    }
    let zipped = zip_one(file_name, bytes)?;
    let beian_info_hash = md5_base64(&zipped);
    let (beian_info, encrypt_algorithm) = match key {
        Some(key) => (B64.encode(key.encrypt(&zipped)), EncryptAlgorithm::AesCbc),
        None => (B64.encode(&zipped), EncryptAlgorithm::None),
    };
    Ok(Encoded {
        beian_info,
        beian_info_hash,
        encrypt_algorithm,
        hash_algorithm: HashAlgorithm::Md5,
        compression_format: CompressionFormat::Zip,
    })
}

/// The raw algorithm numbers as a request carries them, checked against the tables.
pub fn algorithms(
    encrypt: i64,
    hash: i64,
    compression: i64,
) -> Result<(EncryptAlgorithm, HashAlgorithm, CompressionFormat), CodecError> {
    let e = u8::try_from(encrypt)
        .ok()
        .and_then(EncryptAlgorithm::from_code)
        .ok_or(CodecError::EncryptAlgorithm(encrypt))?;
    let h = u8::try_from(hash)
        .ok()
        .and_then(HashAlgorithm::from_code)
        .ok_or(CodecError::HashAlgorithm(hash))?;
    let c = u8::try_from(compression)
        .ok()
        .and_then(CompressionFormat::from_code)
        .ok_or(CodecError::CompressionFormat(compression))?;
    Ok((e, h, c))
}

/// Decodes transfer fields back to the file, checking the hash before unzipping.
pub fn decode(encoded: &Encoded, key: Option<&AesKey>) -> Result<DecodedFile, CodecError> {
    let data = B64
        .decode(encoded.beian_info.trim())
        .map_err(|_| CodecError::Base64)?;
    let zipped = match encoded.encrypt_algorithm {
        EncryptAlgorithm::None => data,
        EncryptAlgorithm::AesCbc => key.ok_or(CodecError::NoKey)?.decrypt(&data)?,
    };
    let want = B64
        .decode(encoded.beian_info_hash.trim())
        .map_err(|_| CodecError::Base64)?;
    match encoded.hash_algorithm {
        HashAlgorithm::Md5 => {
            if Md5::digest(&zipped).as_slice() != want.as_slice() {
                return Err(CodecError::HashMismatch);
            }
        }
    }
    match encoded.compression_format {
        CompressionFormat::Zip => unzip_one(&zipped, MAX_FILE_BYTES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AesKey {
        AesKey::parse("XRDRUE7FFCRE1T7I", "0102030405060708").unwrap()
    }

    #[test]
    fn round_trips_plain_and_encrypted() {
        let xml = "<?xml version=\"1.0\" encoding=\"GBK\"?><UploadData version=\"V.3.0\"/>";
        let (gbk, _, _) = encoding_rs::GBK.encode(xml);
        for k in [None, Some(key())] {
            let enc = encode("upload0001.xml", &gbk, k.as_ref()).unwrap();
            assert_eq!(enc.encrypt_algorithm.code(), u8::from(k.is_some()));
            let dec = decode(&enc, k.as_ref()).unwrap();
            assert_eq!(dec.file_name, "upload0001.xml");
            assert_eq!(dec.bytes, gbk.as_ref());
        }
    }

    #[test]
    fn hash_is_over_the_zipped_not_the_encrypted_bytes() {
        let enc = encode("a.xml", b"<x/>", Some(&key())).unwrap();
        let encrypted = B64.decode(&enc.beian_info).unwrap();
        let zipped = key().decrypt(&encrypted).unwrap();
        assert!(zipped.starts_with(b"PK\x03\x04"), "zip archive inside");
        assert_eq!(enc.beian_info_hash, md5_base64(&zipped));
        assert_ne!(enc.beian_info_hash, md5_base64(&encrypted));
    }

    #[test]
    fn aes_matches_a_known_answer() {
        // AES-128-CBC, PKCS7, key and IV both "0102030405060708"; computed independently
        // with Python's `cryptography` package and with `openssl enc -aes-128-cbc`.
        let k = AesKey::parse("0102030405060708", "0102030405060708").unwrap();
        let out = B64.encode(k.encrypt(b"1234567890abcdefghij"));
        assert_eq!(out, KNOWN_AES);
        assert_eq!(
            k.decrypt(&B64.decode(KNOWN_AES).unwrap()).unwrap(),
            b"1234567890abcdefghij"
        );
    }
    const KNOWN_AES: &str = "2LU61dLDE6PfIB6IxONFH5TVe3X896IohQmlAcQeMeI=";

    #[test]
    fn each_failure_has_its_return_code() {
        let good = encode("a.xml", b"<x/>", None).unwrap();
        let zip_two = {
            let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let o = zip::write::SimpleFileOptions::default();
            w.start_file("a.xml", o).unwrap();
            w.write_all(b"<x/>").unwrap();
            w.start_file("b.xml", o).unwrap();
            w.write_all(b"<y/>").unwrap();
            w.finish().unwrap().into_inner()
        };
        let with = |info: Vec<u8>| Encoded {
            beian_info: B64.encode(&info),
            beian_info_hash: md5_base64(&info),
            ..good.clone()
        };
        let cases: Vec<(&str, Encoded, Option<AesKey>, ReturnCode)> = vec![
            (
                "not base64",
                Encoded {
                    beian_info: "@@@".into(),
                    ..good.clone()
                },
                None,
                ReturnCode::DecryptionFailed,
            ),
            (
                "wrong hash",
                Encoded {
                    beian_info_hash: md5_base64(b"other"),
                    ..good.clone()
                },
                None,
                ReturnCode::HashMismatch,
            ),
            (
                "not zip",
                with(b"plain text".to_vec()),
                None,
                ReturnCode::DecompressionFailed,
            ),
            ("two files", with(zip_two), None, ReturnCode::WrongFileCount),
            (
                "encrypted, no key",
                Encoded {
                    encrypt_algorithm: EncryptAlgorithm::AesCbc,
                    ..good.clone()
                },
                None,
                ReturnCode::DecryptionFailed,
            ),
            (
                "wrong key",
                encode("a.xml", b"<x/>", Some(&key())).unwrap(),
                Some(AesKey::parse("ffffffffffffffff", "0102030405060708").unwrap()),
                ReturnCode::DecryptionFailed,
            ),
        ];
        for (name, enc, k, want) in cases {
            let got = decode(&enc, k.as_ref()).unwrap_err().return_code();
            // A wrong key may unpad by chance and then fail the hash instead.
            let ok = got == want || (name == "wrong key" && got == ReturnCode::HashMismatch);
            assert!(ok, "{name}: {got}");
        }
        assert_eq!(
            algorithms(2, 0, 0).unwrap_err().return_code(),
            ReturnCode::BadEncryptAlgorithm
        );
        assert_eq!(
            algorithms(0, 1, 0).unwrap_err().return_code(),
            ReturnCode::BadHashAlgorithm
        );
        assert_eq!(
            algorithms(0, 0, 3).unwrap_err().return_code(),
            ReturnCode::BadCompressionFormat
        );
        assert!(AesKey::parse("short", "0102030405060708").is_err());
    }

    #[test]
    fn oversized_files_are_refused() {
        let zipped = zip_one("big.xml", &vec![b' '; 2048]).unwrap();
        assert_eq!(unzip_one(&zipped, 1024).unwrap_err(), CodecError::TooLarge);
        assert!(check_file_name("bad name.xml").is_err());
        assert!(check_file_name(&"a".repeat(129)).is_err());
    }
}
