//! The legacy (万网) export format (`docs/legacy-export.md`): JSON Lines, one legacy account
//! per line, with its username, its password hash (argon2id, PHC string), its sponsor and
//! websites (the same shapes as the API's forms) with their ICP numbers, and each website's
//! access records at the legacy platform. [`parse_record`] checks a line completely and says
//! every reason a record is refused.

use std::collections::BTreeSet;

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use beian_core::i18n::Locale;
use beian_core::icp_number::IcpNumber;
use beian_core::province::Province;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::workflow::{
    FieldError, FieldErrors, SponsorForm, WebsiteForm, validate_sponsor, validate_website,
};

/// The password scheme the legacy platform used, as the PHC identifier of its hashes.
pub const PASSWORD_SCHEME: &str = "argon2id";

/// One legacy account (one line of the export). `Debug` shows no personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyRecord {
    pub legacy_username: String,
    /// PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    pub password_hash: String,
    pub sponsor: LegacySponsor,
    pub websites: Vec<LegacyWebsite>,
}

impl std::fmt::Debug for LegacyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyRecord")
            .field("legacy_username", &self.legacy_username)
            .field("sponsor", &self.sponsor.form.identity)
            .field("websites", &self.websites.len())
            .finish_non_exhaustive()
    }
}

/// The sponsor: the sponsor form and its number (主体备案号).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacySponsor {
    #[serde(flatten)]
    pub form: SponsorForm,
    pub icp_number: String,
}

/// A website: the website form, its number (网站备案号) and its access records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyWebsite {
    #[serde(flatten)]
    pub form: WebsiteForm,
    pub icp_number: String,
    #[serde(default)]
    pub accesses: Vec<LegacyAccess>,
}

/// An access record (接入信息) at the legacy platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyAccess {
    /// `active` (已接入) or `cancelled` (已取消).
    pub status: String,
}

/// Why one record of an export is refused: field paths (`websites[0].domain`) with their
/// messages, or one reason for the whole record (path `record`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRefusal {
    /// The legacy username when the line had one.
    pub username: Option<String>,
    pub reasons: FieldErrors,
}

impl RecordRefusal {
    fn whole(username: Option<String>, key: &'static str) -> RecordRefusal {
        let mut reasons = FieldErrors::new();
        reasons.insert("record".into(), FieldError::new(key));
        RecordRefusal { username, reasons }
    }

    pub(crate) fn with_reason(
        username: Option<String>,
        path: &str,
        key: &'static str,
    ) -> RecordRefusal {
        let mut reasons = FieldErrors::new();
        reasons.insert(path.to_owned(), FieldError::new(key));
        RecordRefusal { username, reasons }
    }

    /// `path: message; path: message` in `locale` (for the refused-records report).
    pub fn describe(&self, locale: Locale) -> String {
        self.reasons
            .iter()
            .map(|(path, e)| format!("{path}: {}", e.localize(locale)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// SHA-256 (hex) of an export line (trimmed), which identifies the record on a re-run.
pub fn record_digest(line: &str) -> String {
    let digest = Sha256::digest(line.trim().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses and checks one export line.
pub fn parse_record(line: &str) -> Result<LegacyRecord, RecordRefusal> {
    let value: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|_| RecordRefusal::whole(None, "sponsor.legacy.not_json"))?;
    let username = value
        .get("legacy_username")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let record: LegacyRecord = serde_json::from_value(value)
        .map_err(|_| RecordRefusal::whole(username.clone(), "sponsor.legacy.bad_shape"))?;
    let errors = check_record(&record);
    if errors.is_empty() {
        Ok(record)
    } else {
        Err(RecordRefusal {
            username,
            reasons: errors,
        })
    }
}

/// Every problem of a record, by path.
fn check_record(r: &LegacyRecord) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let username = r.legacy_username.trim();
    if username.is_empty() || username.chars().count() > 64 {
        errors.insert(
            "legacy_username".into(),
            FieldError::new("workflow.required"),
        );
    }
    if !is_supported_hash(&r.password_hash) {
        errors.insert(
            "password_hash".into(),
            FieldError::new("sponsor.legacy.password_scheme"),
        );
    }
    errors.append(&mut validate_sponsor(&r.sponsor.form));
    let sponsor_number = match IcpNumber::parse(&r.sponsor.icp_number) {
        Ok(n) if n.is_sponsor_number() => {
            let province = Province::parse(&r.sponsor.form.identity.province).ok();
            if province.is_some_and(|p| p != n.province()) {
                errors.insert(
                    "sponsor.icp_number".into(),
                    FieldError::new("sponsor.legacy.number_province"),
                );
            }
            Some(n)
        }
        Ok(_) => {
            errors.insert(
                "sponsor.icp_number".into(),
                FieldError::new("sponsor.legacy.not_sponsor_number"),
            );
            None
        }
        Err(e) => {
            errors.insert("sponsor.icp_number".into(), FieldError::from_localized(&e));
            None
        }
    };
    if r.websites.is_empty() {
        errors.insert("websites".into(), FieldError::new("workflow.required"));
    }
    let mut domains = BTreeSet::new();
    for (i, w) in r.websites.iter().enumerate() {
        let prefix = format!("websites[{i}]");
        for (path, e) in validate_website(&w.form) {
            let rest = path.strip_prefix("website").unwrap_or(&path);
            errors.insert(format!("{prefix}{rest}"), e);
        }
        if !domains.insert(w.form.domain.trim().to_ascii_lowercase()) {
            errors.insert(
                format!("{prefix}.domain"),
                FieldError::new("sponsor.legacy.duplicate_domain"),
            );
        }
        match IcpNumber::parse(&w.icp_number) {
            Ok(n) if n.is_sponsor_number() => {
                errors.insert(
                    format!("{prefix}.icp_number"),
                    FieldError::new("sponsor.legacy.not_website_number"),
                );
            }
            Ok(n) => {
                if sponsor_number
                    .as_ref()
                    .is_some_and(|s| n.sponsor_number().as_str() != s.as_str())
                {
                    errors.insert(
                        format!("{prefix}.icp_number"),
                        FieldError::new("sponsor.legacy.number_of_other_sponsor"),
                    );
                }
            }
            Err(e) => {
                errors.insert(
                    format!("{prefix}.icp_number"),
                    FieldError::from_localized(&e),
                );
            }
        }
        for (j, a) in w.accesses.iter().enumerate() {
            if !matches!(a.status.as_str(), "active" | "cancelled") {
                errors.insert(
                    format!("{prefix}.accesses[{j}].status"),
                    FieldError::new("workflow.unknown_choice"),
                );
            }
        }
        if w.accesses.iter().filter(|a| a.status == "active").count() > 1 {
            errors.insert(
                format!("{prefix}.accesses"),
                FieldError::new("sponsor.legacy.two_active_accesses"),
            );
        }
    }
    errors
}

fn is_supported_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str() == PASSWORD_SCHEME)
}

/// Whether `password` matches the legacy hash. CPU-heavy: call it from `spawn_blocking`.
pub fn verify_legacy_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        parsed.algorithm.as_str() == PASSWORD_SCHEME
            && Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
    })
}

/// An example record (one export line) of an enterprise in Zhejiang with one website
/// `www.{domain}` numbered `{sponsor_number}-1` and one active access: the shape
/// `docs/legacy-export.md` shows, for demos and tests.
pub fn example_record(
    username: &str,
    password_hash: &str,
    credit_code: &str,
    sponsor_number: &str,
    domain: &str,
) -> String {
    let person = |mobile: &str, emergency: &str| {
        serde_json::json!({"name": "张伟", "certificate_type": "resident_id",
            "certificate_number": "11010519491231002X", "mobile": mobile,
            "email": "webmaster@example.cn", "emergency_mobile": emergency})
    };
    serde_json::json!({
        "legacy_username": username,
        "password_hash": password_hash,
        "sponsor": {"province": "33", "nature": "enterprise", "certificate_type": "credit_code",
            "certificate_number": credit_code, "name": format!("{username}示例有限公司"),
            "address": "杭州市西湖区文三路1号", "responsible": person("13900000000", "13900000001"),
            "icp_number": sponsor_number},
        "websites": [{"name": "官网", "domain": domain, "home_url": format!("http://www.{domain}/"),
            "service_content": "综合门户", "languages": ["zh_cn"],
            "responsible": person("13700000000", "13700000001"),
            "icp_number": format!("{sponsor_number}-1"), "accesses": [{"status": "active"}]}]
    })
    .to_string()
}

#[cfg(test)]
mod tests;
