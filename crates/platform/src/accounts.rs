//! Accounts as a service: the rules for usernames and passwords, password hashing (argon2id),
//! and the random tokens behind sessions and API keys (only their hashes are kept).
//!
//! Hashing is CPU- and memory-heavy (argon2id with the default 19 MiB): the async entry points
//! [`hash_password_bounded`] and [`verify_password_bounded`] run it on the blocking pool
//! behind a semaphore of the core count, each slot reusing one argon2 memory buffer kept for
//! the life of the process, so a flood of signups and logins costs at most
//! cores × 19 MiB, whatever its size (the others wait their turn). The synchronous
//! [`hash_password`] and [`verify_password`] allocate their own memory (the command line).

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::message::FieldError;

/// The shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// The longest password accepted.
pub const PASSWORD_MAX_CHARS: usize = 1024;

/// Hashing a password failed (a fault of the hasher, never of the input).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// A new random 256-bit token, base64url without padding (43 characters).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a token: its SHA-256.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Hashes a password with argon2id (PHC string). CPU-heavy: call it from `spawn_blocking`.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
/// CPU-heavy: call it from `spawn_blocking`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The hashing slots: as many as cores, each with its reusable memory.
struct HashPool {
    slots: tokio::sync::Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
}

/// The largest argon2 memory kept for reuse (64 MiB); a stored hash asking for more (none
/// made here does) is checked with memory of its own.
const MAX_POOLED_BLOCKS: usize = 64 * 1024;

/// How many hashes run at once: the core count.
pub static HASH_SLOTS: LazyLock<usize> = LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .max(1)
});

static POOL: LazyLock<HashPool> = LazyLock::new(|| HashPool {
    slots: tokio::sync::Semaphore::new(*HASH_SLOTS),
    buffers: Mutex::new(Vec::new()),
});

impl HashPool {
    fn take(&self) -> Vec<Block> {
        self.buffers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    fn give(&self, buffer: Vec<Block>) {
        if buffer.len() <= MAX_POOLED_BLOCKS {
            self.buffers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(buffer);
        }
    }

    /// Runs `f` with a slot and a buffer, on the blocking pool.
    async fn run<T: Send + 'static>(
        &'static self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        let mut buffer = self.take();
        let (out, buffer) = tokio::task::spawn_blocking(move || {
            let out = f(&mut buffer);
            (out, buffer)
        })
        .await
        .map_err(|e| HashError(e.to_string()))?;
        self.give(buffer);
        Ok(out)
    }
}

/// `hash` of `password` with argon2 `argon` into `buffer` (grown to the blocks it needs).
fn hash_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    len: usize,
    buffer: &mut Vec<Block>,
) -> Result<Output, HashError> {
    let blocks = params.block_count();
    if buffer.len() < blocks {
        buffer.resize(blocks, Block::default());
    }
    Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(password, salt, out, &mut buffer[..])
            .map_err(argon2::password_hash::Error::from)
    })
    .map_err(|e| HashError(e.to_string()))
}

/// As [`hash_password`], in a hashing slot with reused memory (see the module doc).
pub async fn hash_password_bounded(password: String) -> Result<String, HashError> {
    POOL.run(move |buffer| {
        let params = Params::default();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let raw_salt = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|e| HashError(e.to_string()))?;
        let output = hash_into(
            &argon,
            &params,
            password.as_bytes(),
            raw_salt,
            Params::DEFAULT_OUTPUT_LEN,
            buffer,
        )?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| HashError(e.to_string()))?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    })
    .await?
}

/// As [`verify_password`], in a hashing slot with reused memory (see the module doc).
pub async fn verify_password_bounded(password: String, hash: String) -> bool {
    POOL.run(move |buffer| verify_with(&password, &hash, buffer))
        .await
        .unwrap_or(false)
}

fn verify_with(password: &str, hash: &str, buffer: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    if params.block_count() > MAX_POOLED_BLOCKS {
        return verify_password(password, hash);
    }
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let Ok(version) = version else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    hash_into(
        &argon,
        &params,
        password.as_bytes(),
        raw_salt,
        expected.len(),
        buffer,
    )
    // `Output`'s equality is constant-time.
    .is_ok_and(|computed| computed == expected)
}

/// A hash that unknown usernames are checked against, so that they take as long as known ones.
pub fn dummy_password_hash() -> String {
    hash_password(&new_token()).unwrap_or_default()
}

/// Adds a field error when `username` is not 3 to 32 characters of `a-z 0-9 _ . -`.
pub fn check_username(username: &str, fields: &mut Vec<FieldError>) {
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        fields.push(FieldError::new("username", "api.field.username_length"));
    } else if !username
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    {
        fields.push(FieldError::new("username", "api.field.username_characters"));
    }
}

/// The 30,000 most common passwords (zxcvbn 4.4.2's list, from leaked password sets; MIT,
/// `data/common-passwords.LICENSE.txt`), lowercase, one a line.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

static COMMON: LazyLock<std::collections::HashSet<&'static str>> =
    LazyLock::new(|| COMMON_PASSWORDS.lines().filter(|l| !l.is_empty()).collect());

/// Whether `password` is a common one: in the list (ignoring case), or a listed one of at
/// least 4 characters with digits and symbols added before or after (`Password123`,
/// `!qwerty2024`).
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return true;
    }
    let core =
        lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ');
    core.chars().count() >= 4 && COMMON.contains(core)
}

/// Whether `password` is built from `username`: contains it (ignoring case), or it reversed,
/// or is contained in it.
pub fn built_from_username(username: &str, password: &str) -> bool {
    let user = username.trim().to_lowercase();
    if user.chars().count() < 3 {
        return false;
    }
    let lower = password.to_lowercase();
    let reversed: String = user.chars().rev().collect();
    lower.contains(&user) || lower.contains(&reversed) || user.contains(&lower)
}

/// [`check_password`], and refused when built from `username`.
pub fn check_password_for(username: &str, password: &str, fields: &mut Vec<FieldError>) {
    let before = fields.len();
    check_password(password, fields);
    if fields.len() == before && built_from_username(username, password) {
        fields.push(FieldError::new("password", "api.field.password_username"));
    }
}

/// Adds a field error when `password` is too short, too long, of one kind of character, or
/// common ([`is_common`]).
pub fn check_password(password: &str, fields: &mut Vec<FieldError>) {
    let len = password.chars().count();
    let error = if len < PASSWORD_MIN_CHARS {
        FieldError::new("password", "api.field.password_too_short")
    } else if len > PASSWORD_MAX_CHARS {
        FieldError::new("password", "api.field.password_too_long")
    } else {
        let classes = [
            password.chars().any(char::is_lowercase),
            password.chars().any(char::is_uppercase),
            password.chars().any(|c| c.is_ascii_digit()),
            password
                .chars()
                .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
        ];
        if classes.iter().filter(|c| **c).count() < 2 {
            FieldError::new("password", "api.field.password_one_class")
        } else if is_common(password) {
            FieldError::new("password", "api.field.password_common")
        } else {
            return;
        }
    };
    let mut error = error;
    error.message = match error.message.key {
        "api.field.password_too_short" => error
            .message
            .with_arg("min", PASSWORD_MIN_CHARS.to_string()),
        "api.field.password_too_long" => error
            .message
            .with_arg("max", PASSWORD_MAX_CHARS.to_string()),
        _ => error.message,
    };
    fields.push(error);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[tokio::test]
    async fn bounded_hashing_agrees_with_the_plain_one() {
        let bounded = hash_password_bounded("correct horse 1".into())
            .await
            .unwrap();
        assert!(
            bounded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{bounded}"
        );
        assert!(verify_password("correct horse 1", &bounded));
        let plain = hash_password("correct horse 1").unwrap();
        assert!(verify_password_bounded("correct horse 1".into(), plain.clone()).await);
        assert!(!verify_password_bounded("correct horse 2".into(), plain).await);
        assert!(verify_password_bounded("correct horse 1".into(), bounded.clone()).await);
        assert!(!verify_password_bounded("x".into(), "not a hash".into()).await);
        // Many at once: each waits for a slot, none fails.
        let all =
            (0..8).map(|_| verify_password_bounded("correct horse 1".into(), bounded.clone()));
        for ok in futures_join_all(all).await {
            assert!(ok);
        }
    }

    async fn futures_join_all<F: std::future::Future<Output = bool> + Send + 'static>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<bool> {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("correct horse 1").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse 1", &hash));
        assert!(!verify_password("correct horse 2", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    fn username_errors(u: &str) -> Vec<&'static str> {
        let mut f = Vec::new();
        check_username(u, &mut f);
        f.iter().map(|e| e.message.key).collect()
    }

    fn password_errors(p: &str) -> Vec<&'static str> {
        let mut f = Vec::new();
        check_password(p, &mut f);
        f.iter().map(|e| e.message.key).collect()
    }

    #[test]
    fn usernames() {
        let too_long = "a".repeat(33);
        let cases: [(&str, &[&str]); 7] = [
            ("alice", &[]),
            ("a.b-c_9", &[]),
            ("ab", &["api.field.username_length"]),
            (too_long.as_str(), &["api.field.username_length"]),
            ("Alice", &["api.field.username_characters"]),
            ("张三丰", &["api.field.username_characters"]),
            ("a b c", &["api.field.username_characters"]),
        ];
        for (u, want) in cases {
            assert_eq!(username_errors(u), want, "{u}");
        }
    }

    #[test]
    fn common_and_username_passwords_are_refused() {
        for p in [
            "password12",
            "Password123",
            "qwertyuiop1",
            "Iloveyou2024!",
            "1qaz2wsx3edc",
        ] {
            assert_eq!(password_errors(p), ["api.field.password_common"], "{p}");
        }
        for p in ["correct horse 1", "Bench-pw-0000-x7", "zhang-3-feng-wu"] {
            assert_eq!(password_errors(p), Vec::<&str>::new(), "{p}");
        }
        let with_user = |u: &str, p: &str| {
            let mut f = Vec::new();
            check_password_for(u, p, &mut f);
            f.iter().map(|e| e.message.key).collect::<Vec<_>>()
        };
        assert_eq!(
            with_user("alice.wang", "alice.wang-2024"),
            ["api.field.password_username"]
        );
        assert_eq!(
            with_user("alice.wang", "Gnaw.Ecila99"),
            ["api.field.password_username"]
        );
        assert_eq!(
            with_user("alice.wang", "correct horse 1"),
            Vec::<&str>::new()
        );
        assert_eq!(with_user("ab", "ab-correct horse"), Vec::<&str>::new());
    }

    #[test]
    fn passwords() {
        let huge = "aB".repeat(600);
        let cases: [(&str, &[&str]); 7] = [
            ("correct horse", &[]),
            ("Abcdefghij", &[]),
            ("密码很长的密码123", &[]),
            ("short1", &["api.field.password_too_short"]),
            ("aaaaaaaaaaaa", &["api.field.password_one_class"]),
            ("123456789012", &["api.field.password_one_class"]),
            (huge.as_str(), &["api.field.password_too_long"]),
        ];
        for (p, want) in cases {
            assert_eq!(password_errors(p), want, "{p}");
        }
        let mut f = Vec::new();
        check_password("short", &mut f);
        assert_eq!(f[0].message.args, vec![("min", "10".to_owned())]);
    }
}
