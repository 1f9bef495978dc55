//! Authentication of every method call (§3-3-1-3): the caller makes a 20-character random
//! string `randVal` (digits and letters), appends it to the password, encodes the result in
//! GBK, hashes it with `hashAlgorithm` (0 = MD5) and sends the base64 of the digest as
//! `pwdHash`. Also the `ICPmm` field: the hex MD5 of a sponsor's filing password.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use rand::Rng;

use super::codes::{HashAlgorithm, ReturnCode};
use super::personal::Secret;

/// The length of `randVal` (§3-3-1-4).
pub const RAND_VAL_LEN: usize = 20;

/// A provider's account at a bureau: `ispId`, `userName` and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub isp_id: i64,
    pub user_name: String,
    pub password: Secret,
}

/// The four authentication parameters every method starts with, plus `hashAlgorithm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParams {
    pub isp_id: i64,
    pub user_name: String,
    pub rand_val: String,
    pub pwd_hash: String,
    /// Raw, as received: checked against the table by [`check_auth`].
    pub hash_algorithm: i64,
}

impl Credentials {
    /// Fresh authentication parameters (a new random value each call).
    pub fn sign(&self) -> AuthParams {
        let rand_val = random_value();
        AuthParams {
            isp_id: self.isp_id,
            user_name: self.user_name.clone(),
            pwd_hash: pwd_hash(self.password.expose(), &rand_val),
            rand_val,
            hash_algorithm: i64::from(HashAlgorithm::Md5.code()),
        }
    }
}

/// A 20-character random string of ASCII digits and letters.
pub fn random_value() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(RAND_VAL_LEN)
        .map(char::from)
        .collect()
}

/// `pwdHash` = base64(MD5(GBK(password + randVal))).
pub fn pwd_hash(password: &str, rand_val: &str) -> String {
    let joined = format!("{password}{rand_val}");
    let (gbk, _, _) = encoding_rs::GBK.encode(&joined);
    B64.encode(Md5::digest(&gbk))
}

/// `ICPmm`: the lowercase hex MD5 of the GBK-encoded filing password (备案密码).
pub fn icp_password_hash(password: &str) -> Secret {
    let (gbk, _, _) = encoding_rs::GBK.encode(password);
    let digest = Md5::digest(&gbk);
    Secret::new(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    )
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether an `ICPmm` value stands for `password` (hex case ignored).
pub fn icp_password_matches(icp_mm: &Secret, password: &str) -> bool {
    let want = icp_password_hash(password);
    same(
        icp_mm.expose().trim().to_ascii_lowercase().as_bytes(),
        want.expose().as_bytes(),
    )
}

/// Server side: checks the parameters against the account, in the order the codes suggest:
/// hash algorithm (10), random value length (16), `ispId` (12), user name (4), password (5).
pub fn check_auth(params: &AuthParams, expected: &Credentials) -> Result<(), ReturnCode> {
    let known_hash = u8::try_from(params.hash_algorithm)
        .ok()
        .and_then(HashAlgorithm::from_code)
        .is_some();
    if !known_hash {
        return Err(ReturnCode::BadHashAlgorithm);
    }
    if params.rand_val.chars().count() < RAND_VAL_LEN {
        return Err(ReturnCode::RandomTooShort);
    }
    if params.isp_id != expected.isp_id {
        return Err(ReturnCode::AuthenticationRejected);
    }
    if params.user_name != expected.user_name {
        return Err(ReturnCode::WrongUserName);
    }
    let want = pwd_hash(expected.password.expose(), &params.rand_val);
    if !same(params.pwd_hash.trim().as_bytes(), want.as_bytes()) {
        return Err(ReturnCode::WrongPassword);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §3-3-1-3's example: password "1234567890", random string "abcdefghij", joined
    /// "1234567890abcdefghij". The spec stops at the joined string; the digest below was
    /// computed independently (Python `hashlib.md5(s.encode("gbk"))`, base64) for this test.
    #[test]
    fn spec_example_pwd_hash() {
        assert_eq!(
            pwd_hash("1234567890", "abcdefghij"),
            "9fq6VgG8bDFoWECeX62u2Q=="
        );
        assert_eq!(
            pwd_hash("1234567890", "abcdefghijklmnopqrst"),
            "RZrwhLXgQt0ID6FHhX2sZg=="
        );
        // Non-ASCII passwords are hashed as GBK, not UTF-8.
        assert_eq!(
            pwd_hash("密码1234", "abcdefghijklmnopqrst"),
            "oFUoxEo4uYOkmsIbi9xTTw=="
        );
        assert_ne!(
            pwd_hash("密码1234", "abcdefghijklmnopqrst"),
            "/nIfEyMDd5XuKjIP0nyfXQ=="
        );
    }

    #[test]
    fn icp_mm_is_hex_md5() {
        let h = icp_password_hash("Beian2024");
        assert_eq!(h.expose(), "5e78222d66de178ba8f9808770d6c6ad");
        assert!(icp_password_matches(
            &Secret::from("5E78222D66DE178BA8F9808770D6C6AD"),
            "Beian2024"
        ));
        assert!(!icp_password_matches(&h, "beian2024"));
    }

    #[test]
    fn random_values_are_20_alphanumerics() {
        let a = random_value();
        assert_eq!(a.len(), RAND_VAL_LEN);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, random_value());
    }

    #[test]
    fn check_auth_codes() {
        let creds = Credentials {
            isp_id: 110000000211,
            user_name: "provider".into(),
            password: Secret::from("s3cret"),
        };
        let good = creds.sign();
        assert_eq!(check_auth(&good, &creds), Ok(()));
        let cases: Vec<(AuthParams, ReturnCode)> = vec![
            (
                AuthParams {
                    hash_algorithm: 1,
                    ..good.clone()
                },
                ReturnCode::BadHashAlgorithm,
            ),
            (
                AuthParams {
                    rand_val: "abc".into(),
                    ..good.clone()
                },
                ReturnCode::RandomTooShort,
            ),
            (
                AuthParams {
                    isp_id: 1,
                    ..good.clone()
                },
                ReturnCode::AuthenticationRejected,
            ),
            (
                AuthParams {
                    user_name: "other".into(),
                    ..good.clone()
                },
                ReturnCode::WrongUserName,
            ),
            (
                AuthParams {
                    pwd_hash: pwd_hash("wrong", &good.rand_val),
                    ..good.clone()
                },
                ReturnCode::WrongPassword,
            ),
        ];
        for (params, want) in cases {
            assert_eq!(check_auth(&params, &creds), Err(want));
        }
    }
}
