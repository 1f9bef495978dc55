//! APP 备案: the checks on an APP's 特征信息 (feature information) that the 2023-08-04 MIIT
//! notice on APP filing makes a provider collect, per platform: the package name (Android) or
//! Bundle ID (iOS) or bundle name (HarmonyOS), the signing public key (PEM) or its
//! fingerprint, and the signature digest (MD5 for Android, SHA-1 for iOS, SHA-256 for
//! HarmonyOS), plus an icon (PNG or JPEG, at most 100 KB) and the same APP name on every
//! platform.
//!
//! These are checked hard: since 2024-10 some Android systems (Xiaomi HyperOS) refuse to
//! install an APK whose name, package and signature match no filing, so a typo here breaks
//! the customer's installs. Every check normalises what it accepts (trimmed; digests as
//! lower-case hex without separators) and refuses with an [`AppError`] that a form maps to
//! the field it came from ([`check_app`] names the fields).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

/// The largest icon the filing takes: 100 KB.
pub const MAX_ICON_BYTES: usize = 100 * 1024;
/// The longest package name, Bundle ID or bundle name we take (Android allows more in
/// theory; no store does).
pub const MAX_PACKAGE_CHARS: usize = 255;
/// The longest APP name (the same cap as a website name).
pub const MAX_APP_NAME_CHARS: usize = 64;
/// The longest PEM block we take (an RSA-8192 public key is about 1.5 KB of PEM).
pub const MAX_PEM_CHARS: usize = 16 * 1024;
/// At most one entry per platform.
pub const MAX_PLATFORMS: usize = 3;

/// The platforms an APP is filed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppPlatform {
    Android,
    Ios,
    Harmony,
}

impl AppPlatform {
    pub const ALL: [AppPlatform; 3] =
        [AppPlatform::Android, AppPlatform::Ios, AppPlatform::Harmony];

    pub fn as_str(self) -> &'static str {
        match self {
            AppPlatform::Android => "android",
            AppPlatform::Ios => "ios",
            AppPlatform::Harmony => "harmony",
        }
    }

    pub fn parse(value: &str) -> Option<AppPlatform> {
        match value.trim().to_ascii_lowercase().as_str() {
            "android" => Some(AppPlatform::Android),
            "ios" => Some(AppPlatform::Ios),
            "harmony" | "harmonyos" => Some(AppPlatform::Harmony),
            _ => None,
        }
    }

    /// The digest of the signing certificate the filing asks for on this platform.
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            AppPlatform::Android => DigestAlgorithm::Md5,
            AppPlatform::Ios => DigestAlgorithm::Sha1,
            AppPlatform::Harmony => DigestAlgorithm::Sha256,
        }
    }
}

impl fmt::Display for AppPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate digest, by the number of hex digits it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestAlgorithm {
    Md5,
    Sha1,
    Sha256,
}

impl DigestAlgorithm {
    pub fn hex_len(self) -> usize {
        match self {
            DigestAlgorithm::Md5 => 32,
            DigestAlgorithm::Sha1 => 40,
            DigestAlgorithm::Sha256 => 64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }
}

/// The icon's image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IconType {
    Png,
    Jpeg,
}

impl IconType {
    pub fn mime(self) -> &'static str {
        match self {
            IconType::Png => "image/png",
            IconType::Jpeg => "image/jpeg",
        }
    }
}

/// How the signing key was given: the PEM block (normalised line breaks) or a fingerprint of
/// it (lower-case hex, no separators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "form", content = "value")]
pub enum PublicKey {
    Pem(String),
    Fingerprint(String),
}

impl PublicKey {
    pub fn as_str(&self) -> &str {
        match self {
            PublicKey::Pem(s) | PublicKey::Fingerprint(s) => s,
        }
    }
}

/// Why an APP's data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("the value is empty")]
    Empty,
    #[error("the value is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the value is shorter than {min} characters")]
    TooShort { min: usize },
    #[error("control characters are not allowed")]
    ControlChar,
    #[error("{value} is not a platform (android, ios, harmony)")]
    UnknownPlatform { value: String },
    #[error("a package name has at least two dot-separated parts")]
    PackageTooFewParts,
    #[error("part {part} of the package name must start with a letter")]
    PackagePartStart { part: String },
    #[error("the package name may hold only letters, digits, _ and .; not {ch}")]
    PackageBadChar { ch: char },
    #[error("{part} is a Java keyword and cannot be part of a package name")]
    PackageKeyword { part: String },
    #[error("a Bundle ID has at least two dot-separated parts")]
    BundleTooFewParts,
    #[error("a Bundle ID may hold only letters, digits, - and .; not {ch}")]
    BundleBadChar { ch: char },
    #[error("a Bundle ID has no empty part (no leading, trailing or double dot)")]
    BundleEmptyPart,
    #[error("not a PEM public key or certificate, nor a fingerprint")]
    NotAKey,
    #[error("the PEM block's base64 is damaged")]
    BadPem,
    #[error("a {algorithm} digest has {expected} hex digits, not {found}")]
    DigestLength {
        algorithm: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("a digest holds only hex digits (0-9, a-f), not {ch}")]
    DigestBadChar { ch: char },
    #[error("an all-zero digest is a placeholder, not a certificate's")]
    DigestPlaceholder,
    #[error("the icon is {size} bytes; at most {max} bytes (100 KB)")]
    IconTooLarge { size: usize, max: usize },
    #[error("the icon must be a PNG or JPEG image")]
    IconType,
    #[error("the APP name on {platform} ({name}) differs from the APP's name ({expected})")]
    NameDiffers {
        platform: AppPlatform,
        name: String,
        expected: String,
    },
    #[error("at least one platform is required")]
    NoPlatform,
    #[error("{platform} is listed twice")]
    DuplicatePlatform { platform: AppPlatform },
}

impl Localized for AppError {
    fn message_key(&self) -> &'static str {
        match self {
            AppError::Empty => "app.empty",
            AppError::TooLong { .. } => "app.too_long",
            AppError::TooShort { .. } => "app.too_short",
            AppError::ControlChar => "app.control_char",
            AppError::UnknownPlatform { .. } => "app.unknown_platform",
            AppError::PackageTooFewParts => "app.package_too_few_parts",
            AppError::PackagePartStart { .. } => "app.package_part_start",
            AppError::PackageBadChar { .. } => "app.package_bad_char",
            AppError::PackageKeyword { .. } => "app.package_keyword",
            AppError::BundleTooFewParts => "app.bundle_too_few_parts",
            AppError::BundleBadChar { .. } => "app.bundle_bad_char",
            AppError::BundleEmptyPart => "app.bundle_empty_part",
            AppError::NotAKey => "app.not_a_key",
            AppError::BadPem => "app.bad_pem",
            AppError::DigestLength { .. } => "app.digest_length",
            AppError::DigestBadChar { .. } => "app.digest_bad_char",
            AppError::DigestPlaceholder => "app.digest_placeholder",
            AppError::IconTooLarge { .. } => "app.icon_too_large",
            AppError::IconType => "app.icon_type",
            AppError::NameDiffers { .. } => "app.name_differs",
            AppError::NoPlatform => "app.no_platform",
            AppError::DuplicatePlatform { .. } => "app.duplicate_platform",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            AppError::TooLong { max } => vec![("max", max.to_string())],
            AppError::TooShort { min } => vec![("min", min.to_string())],
            AppError::UnknownPlatform { value } => vec![("value", value.clone())],
            AppError::PackagePartStart { part } | AppError::PackageKeyword { part } => {
                vec![("part", part.clone())]
            }
            AppError::PackageBadChar { ch }
            | AppError::BundleBadChar { ch }
            | AppError::DigestBadChar { ch } => vec![("ch", ch.to_string())],
            AppError::DigestLength {
                algorithm,
                expected,
                found,
            } => vec![
                ("algorithm", (*algorithm).to_owned()),
                ("expected", expected.to_string()),
                ("found", found.to_string()),
            ],
            AppError::IconTooLarge { size, max } => {
                vec![("size", size.to_string()), ("max", max.to_string())]
            }
            AppError::NameDiffers {
                platform,
                name,
                expected,
            } => vec![
                ("platform", platform.to_string()),
                ("name", name.clone()),
                ("expected", expected.clone()),
            ],
            AppError::DuplicatePlatform { platform } => vec![("platform", platform.to_string())],
            _ => Vec::new(),
        }
    }
}

const JAVA_KEYWORDS: &[&str] = &[
    "abstract",
    "assert",
    "boolean",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extends",
    "false",
    "final",
    "finally",
    "float",
    "for",
    "goto",
    "if",
    "implements",
    "import",
    "instanceof",
    "int",
    "interface",
    "long",
    "native",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "short",
    "static",
    "strictfp",
    "super",
    "switch",
    "synchronized",
    "this",
    "throw",
    "throws",
    "transient",
    "true",
    "try",
    "void",
    "volatile",
    "while",
];

fn non_empty(value: &str, max: usize) -> Result<&str, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::Empty);
    }
    if v.chars().count() > max {
        return Err(AppError::TooLong { max });
    }
    Ok(v)
}

/// An Android package name (applicationId), e.g. `com.tencent.mm`: at least two parts, each
/// starting with an ASCII letter and holding letters, digits and `_`; no Java keyword as a
/// part. Case is kept (Android package names are case-sensitive).
pub fn android_package(value: &str) -> Result<String, AppError> {
    let v = non_empty(value, MAX_PACKAGE_CHARS)?;
    if let Some(ch) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(AppError::PackageBadChar { ch });
    }
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() < 2 {
        return Err(AppError::PackageTooFewParts);
    }
    for part in &parts {
        if !part.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(AppError::PackagePartStart {
                part: (*part).to_owned(),
            });
        }
        if JAVA_KEYWORDS.contains(part) {
            return Err(AppError::PackageKeyword {
                part: (*part).to_owned(),
            });
        }
    }
    Ok(v.to_owned())
}

/// An iOS Bundle ID, e.g. `com.apple.mobilesafari`: letters, digits, `-` and `.`, in at least
/// two non-empty parts (reverse DNS), at most 155 characters (App Store Connect's limit).
pub fn ios_bundle_id(value: &str) -> Result<String, AppError> {
    let v = non_empty(value, 155)?;
    if let Some(ch) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(AppError::BundleBadChar { ch });
    }
    let parts: Vec<&str> = v.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(AppError::BundleEmptyPart);
    }
    if parts.len() < 2 {
        return Err(AppError::BundleTooFewParts);
    }
    Ok(v.to_owned())
}

/// A HarmonyOS bundle name, e.g. `com.huawei.hmos.wallet`: the Android rules (letters, digits,
/// `_`, parts starting with a letter, at least two parts), 7 to 128 characters.
pub fn harmony_bundle_name(value: &str) -> Result<String, AppError> {
    let v = android_package(value)?;
    if v.len() > 128 {
        return Err(AppError::TooLong { max: 128 });
    }
    if v.len() < 7 {
        return Err(AppError::TooShort { min: 7 });
    }
    Ok(v)
}

/// The package name, Bundle ID or bundle name, by platform.
pub fn package_for(platform: AppPlatform, value: &str) -> Result<String, AppError> {
    match platform {
        AppPlatform::Android => android_package(value),
        AppPlatform::Ios => ios_bundle_id(value),
        AppPlatform::Harmony => harmony_bundle_name(value),
    }
}

/// Decodes standard base64 (with `=` padding), or `None` if it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |b: u8| -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let chunks = bytes.len() / 4;
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n: u32 = 0;
        for &b in &chunk[..4 - pad] {
            n = (n << 6) | value(b)?;
        }
        n <<= 6 * pad as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

const PEM_LABELS: [&str; 3] = ["PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE"];

/// The signing key as a PEM block (`-----BEGIN PUBLIC KEY-----`, `RSA PUBLIC KEY` or the
/// `CERTIFICATE` that holds it; the base64 must decode to a DER SEQUENCE), or a fingerprint
/// of it: 32, 40 or 64 hex digits, colons or spaces allowed (`keytool -list` prints
/// `SHA1: 8F:3A:…`).
pub fn public_key(value: &str) -> Result<PublicKey, AppError> {
    let v = non_empty(value, MAX_PEM_CHARS)?;
    if v.starts_with("-----BEGIN ") {
        return pem(v).map(PublicKey::Pem);
    }
    let hex = strip_separators(v);
    if matches!(hex.len(), 32 | 40 | 64) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return fingerprint_checked(&hex).map(PublicKey::Fingerprint);
    }
    Err(AppError::NotAKey)
}

fn pem(v: &str) -> Result<String, AppError> {
    let lines: Vec<&str> = v.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Err(AppError::NotAKey);
    };
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or(AppError::NotAKey)?;
    if !PEM_LABELS.contains(&label) || *last != format!("-----END {label}-----") || lines.len() < 3
    {
        return Err(AppError::NotAKey);
    }
    let body: String = lines[1..lines.len() - 1].concat();
    let der = base64_decode(&body).ok_or(AppError::BadPem)?;
    // A DER SEQUENCE (0x30) long enough to hold a key.
    if der.first() != Some(&0x30) || der.len() < 32 {
        return Err(AppError::BadPem);
    }
    let mut out = String::with_capacity(v.len());
    out.push_str(first);
    out.push('\n');
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(last);
    Ok(out)
}

fn strip_separators(v: &str) -> String {
    v.chars()
        .filter(|c| !(*c == ':' || *c == '-' || c.is_whitespace()))
        .collect::<String>()
        .to_ascii_lowercase()
}

fn fingerprint_checked(hex: &str) -> Result<String, AppError> {
    if hex.bytes().all(|b| b == b'0') {
        return Err(AppError::DigestPlaceholder);
    }
    Ok(hex.to_owned())
}

/// A certificate digest of `algorithm` as hex (`keytool` style `A1:B2:…` or plain), normalised
/// to lower-case hex without separators.
pub fn digest_hex(value: &str, algorithm: DigestAlgorithm) -> Result<String, AppError> {
    let v = non_empty(value, 200)?;
    let hex = strip_separators(v);
    if let Some(ch) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(AppError::DigestBadChar { ch });
    }
    if hex.len() != algorithm.hex_len() {
        return Err(AppError::DigestLength {
            algorithm: algorithm.name(),
            expected: algorithm.hex_len(),
            found: hex.len(),
        });
    }
    fingerprint_checked(&hex)
}

/// The icon: PNG or JPEG by its leading bytes (not its name), at most [`MAX_ICON_BYTES`].
pub fn icon(bytes: &[u8]) -> Result<IconType, AppError> {
    if bytes.len() > MAX_ICON_BYTES {
        return Err(AppError::IconTooLarge {
            size: bytes.len(),
            max: MAX_ICON_BYTES,
        });
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(IconType::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(IconType::Jpeg)
    } else {
        Err(AppError::IconType)
    }
}

/// An APP's name: trimmed, not empty, at most [`MAX_APP_NAME_CHARS`], no control characters.
pub fn app_name(value: &str) -> Result<String, AppError> {
    let v = non_empty(value, MAX_APP_NAME_CHARS)?;
    if v.chars().any(char::is_control) {
        return Err(AppError::ControlChar);
    }
    Ok(v.to_owned())
}

/// One platform's 特征信息 as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlatformInput {
    pub platform: String,
    /// The APP's name as shown on this platform (its launcher label / store name).
    pub name: String,
    /// Package name, Bundle ID or bundle name.
    pub package: String,
    pub public_key: String,
    /// The signing certificate's digest: MD5 (Android), SHA-1 (iOS), SHA-256 (HarmonyOS).
    pub signature_digest: String,
}

/// One platform's 特征信息, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPlatformInfo {
    pub platform: AppPlatform,
    pub package: String,
    pub public_key: PublicKey,
    pub signature_digest: String,
}

/// An APP's data as typed (the icon's bytes are checked apart, by [`icon`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppInput {
    pub name: String,
    pub platforms: Vec<PlatformInput>,
}

/// An APP's data, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    pub name: String,
    pub platforms: Vec<AppPlatformInfo>,
}

/// Checks an APP's data; on refusal, every problem with the path of its field
/// (`name`, `platforms[1].package`, …) so that a form can show each beside its input.
pub fn check_app(input: &AppInput) -> Result<AppInfo, Vec<(String, AppError)>> {
    let mut problems: Vec<(String, AppError)> = Vec::new();
    let name = app_name(&input.name)
        .map_err(|e| problems.push(("name".to_owned(), e)))
        .ok();
    if input.platforms.is_empty() {
        problems.push(("platforms".to_owned(), AppError::NoPlatform));
    }
    if input.platforms.len() > MAX_PLATFORMS {
        problems.push((
            "platforms".to_owned(),
            AppError::TooLong { max: MAX_PLATFORMS },
        ));
    }
    let mut seen: Vec<AppPlatform> = Vec::new();
    let mut platforms = Vec::new();
    for (i, p) in input.platforms.iter().enumerate().take(MAX_PLATFORMS) {
        let at = |field: &str| format!("platforms[{i}].{field}");
        let Some(platform) = AppPlatform::parse(&p.platform) else {
            problems.push((
                at("platform"),
                AppError::UnknownPlatform {
                    value: p.platform.chars().take(20).collect(),
                },
            ));
            continue;
        };
        if seen.contains(&platform) {
            problems.push((at("platform"), AppError::DuplicatePlatform { platform }));
        }
        seen.push(platform);
        if let Some(expected) = &name {
            match app_name(&p.name) {
                Ok(n) if &n == expected => {}
                Ok(n) => problems.push((
                    at("name"),
                    AppError::NameDiffers {
                        platform,
                        name: n,
                        expected: expected.clone(),
                    },
                )),
                Err(e) => problems.push((at("name"), e)),
            }
        }
        let package =
            package_for(platform, &p.package).map_err(|e| problems.push((at("package"), e)));
        let key = public_key(&p.public_key).map_err(|e| problems.push((at("public_key"), e)));
        let digest = digest_hex(&p.signature_digest, platform.digest())
            .map_err(|e| problems.push((at("signature_digest"), e)));
        if let (Ok(package), Ok(public_key), Ok(signature_digest)) = (package, key, digest) {
            platforms.push(AppPlatformInfo {
                platform,
                package,
                public_key,
                signature_digest,
            });
        }
    }
    match name {
        Some(name) if problems.is_empty() => Ok(AppInfo { name, platforms }),
        _ => Err(problems),
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
