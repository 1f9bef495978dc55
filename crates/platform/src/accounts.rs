//! Accounts as a service: the rules for usernames and passwords, password hashing (argon2id),
//! and the random tokens behind sessions and API keys (only their hashes are kept).
//!
//! Hashing is CPU- and memory-heavy: call [`hash_password`] and [`verify_password`] off the
//! async threads (`spawn_blocking`).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
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

/// Adds a field error when `password` is too short, too long, or of one kind of character.
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
        if classes.iter().filter(|c| **c).count() >= 2 {
            return;
        }
        FieldError::new("password", "api.field.password_one_class")
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
