//! Province rules (管局规则) as versioned data with effective dates (DESIGN.md §6): whether and
//! how long the SMS verification window is, how the responsible person is photo-verified,
//! whether documents may be uploaded through the provider's app, and whether the bureau asks
//! for the domain certificate.
//!
//! The rules live in `crates/core/data/rules.toml` (compiled in; its header documents the
//! format). Each entry is one version of one [`Topic`] and states that topic's whole rule from
//! its effective date (00:00 Asia/Shanghai) until the topic's next version: for an order judged
//! at instant T, the version with the latest effective date ≤ T decides, and provinces or kinds
//! it does not list get the topic's default (no SMS check, backdrop photo, no app upload, no
//! domain certificate). So the 2018 seed rules and the 2020-08-17 nationwide SMS rule both
//! ship, and the date decides.
//!
//! Which instant to judge an order at is the caller's choice; for the SMS window it is the
//! moment the order is submitted to the bureau.

mod data;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use data::{MAX_WINDOW_HOURS, RulesError};

use crate::calendar::start_of_day;
use crate::kind::FilingKind;
use crate::province::Province;

const BUILTIN: &str = include_str!("../../data/rules.toml");

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// 短信核验: the regulator texts a code that must be entered within a window.
    Sms,
    /// 拍照核验: how the responsible person is photo-verified.
    Photo,
    /// Documents and photo may be uploaded through the provider's app.
    AppUpload,
    /// The bureau asks for the domain certificate (域名证书).
    DomainCertificate,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Sms,
        Topic::Photo,
        Topic::AppUpload,
        Topic::DomainCertificate,
    ];

    /// The name of the topic's table in the rules file.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Sms => "sms",
            Topic::Photo => "photo",
            Topic::AppUpload => "app_upload",
            Topic::DomainCertificate => "domain_certificate",
        }
    }

    /// The message key of the topic's name, for the admin view.
    pub fn message_key(self) -> &'static str {
        match self {
            Topic::Sms => "rules.topic.sms",
            Topic::Photo => "rules.topic.photo",
            Topic::AppUpload => "rules.topic.app_upload",
            Topic::DomainCertificate => "rules.topic.domain_certificate",
        }
    }
}

/// How the responsible person is photo-verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoMethod {
    /// A photo before the provider's backdrop (幕布), mailed to a mainland address.
    Backdrop,
    /// The bureau's own app face check (Shanghai: 上海管局 app 人像核验).
    BureauAppFaceCheck,
}

impl PhotoMethod {
    pub fn message_key(self) -> &'static str {
        match self {
            PhotoMethod::Backdrop => "rules.photo_method.backdrop",
            PhotoMethod::BureauAppFaceCheck => "rules.photo_method.bureau_app_face_check",
        }
    }
}

/// The provinces a version lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvinceScope {
    All,
    Only(BTreeSet<Province>),
}

impl ProvinceScope {
    pub fn contains(&self, province: Province) -> bool {
        match self {
            ProvinceScope::All => true,
            ProvinceScope::Only(set) => set.contains(&province),
        }
    }
}

/// What a version sets for the provinces and kinds it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleValue {
    Sms { window_hours: u32 },
    Photo(PhotoMethod),
    AppUpload,
    DomainCertificate,
}

/// One version of one topic's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVersion {
    pub id: String,
    /// The Asia/Shanghai day it takes effect (from 00:00).
    pub effective: NaiveDate,
    pub provinces: ProvinceScope,
    /// The kinds it applies to (`kinds` minus `except_kinds` of the file).
    pub kinds: BTreeSet<FilingKind>,
    pub value: RuleValue,
    /// Where the rule comes from, or why it is an assumption.
    pub source: String,
}

impl RuleVersion {
    pub fn topic(&self) -> Topic {
        match self.value {
            RuleValue::Sms { .. } => Topic::Sms,
            RuleValue::Photo(_) => Topic::Photo,
            RuleValue::AppUpload => Topic::AppUpload,
            RuleValue::DomainCertificate => Topic::DomainCertificate,
        }
    }

    /// The instant it takes effect: 00:00 Asia/Shanghai of [`RuleVersion::effective`].
    pub fn effective_at(&self) -> DateTime<Utc> {
        start_of_day(self.effective)
    }

    pub fn applies_to(&self, province: Province, kind: FilingKind) -> bool {
        self.provinces.contains(province) && self.kinds.contains(&kind)
    }

    fn reference(&self) -> RuleRef {
        RuleRef {
            id: self.id.clone(),
            effective: self.effective,
        }
    }
}

/// Which version decided a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub id: String,
    pub effective: NaiveDate,
}

/// The SMS verification an order must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsRule {
    pub window_hours: u32,
    /// The same, as a duration.
    pub window: Duration,
}

impl SmsRule {
    fn new(window_hours: u32) -> SmsRule {
        SmsRule {
            window_hours,
            window: Duration::hours(i64::from(window_hours)),
        }
    }

    /// When a code sent at `sent` expires.
    pub fn expires_at(&self, sent: DateTime<Utc>) -> DateTime<Utc> {
        sent + self.window
    }
}

/// The versions that decided each topic; `None` before a topic's first version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedVersions {
    pub sms: Option<RuleRef>,
    pub photo: Option<RuleRef>,
    pub app_upload: Option<RuleRef>,
    pub domain_certificate: Option<RuleRef>,
}

/// Everything the workflow needs to know about one order's province at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceRules {
    pub province: Province,
    pub kind: FilingKind,
    pub at: DateTime<Utc>,
    /// `Some` when the order must pass SMS verification, with its window.
    pub sms: Option<SmsRule>,
    /// How the responsible person is photo-verified, for kinds that need it
    /// ([`FilingKind::needs_photo`] says whether).
    pub photo: PhotoMethod,
    /// Documents and photo may be uploaded through the provider's app.
    pub app_upload: bool,
    /// The bureau asks for the domain certificate.
    pub domain_certificate: bool,
    pub versions: AppliedVersions,
}

/// Where a version stands at an instant, for the admin "rules in force" view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionStatus {
    /// Takes effect later.
    Future,
    /// The version of its topic in force.
    InForce,
    /// Replaced by a later version of its topic that is in force or was.
    Superseded { by: String },
}

/// A set of rule versions: the builtin one, or one an admin loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleBook {
    /// Sorted by topic, then effective date.
    versions: Vec<RuleVersion>,
}

impl RuleBook {
    /// The rules compiled in from `crates/core/data/rules.toml`. Should that file fail to load
    /// (a unit test makes sure it does not) this is the empty book: every topic at its default.
    pub fn builtin() -> &'static RuleBook {
        static BUILT: OnceLock<RuleBook> = OnceLock::new();
        BUILT.get_or_init(|| RuleBook::from_toml(BUILTIN).unwrap_or_default())
    }

    /// Parses and checks a rules file.
    pub fn from_toml(text: &str) -> Result<RuleBook, RulesError> {
        Ok(RuleBook {
            versions: data::parse_file(text)?,
        })
    }

    /// Every version, by topic, then effective date.
    pub fn versions(&self) -> &[RuleVersion] {
        &self.versions
    }

    /// The version of `topic` in force at `at`.
    pub fn in_force(&self, topic: Topic, at: DateTime<Utc>) -> Option<&RuleVersion> {
        self.versions
            .iter()
            .filter(|v| v.topic() == topic && v.effective_at() <= at)
            .max_by_key(|v| v.effective)
    }

    /// Every version with its status at `at`.
    pub fn overview(&self, at: DateTime<Utc>) -> Vec<(&RuleVersion, VersionStatus)> {
        self.versions
            .iter()
            .map(|v| {
                let current = self.in_force(v.topic(), at);
                let status = match current {
                    _ if v.effective_at() > at => VersionStatus::Future,
                    Some(c) if c.id == v.id => VersionStatus::InForce,
                    Some(c) => VersionStatus::Superseded { by: c.id.clone() },
                    None => VersionStatus::Future,
                };
                (v, status)
            })
            .collect()
    }

    /// The rules for an order of `kind` in `province`, judged at `at`.
    pub fn rules_for(
        &self,
        province: Province,
        kind: FilingKind,
        at: DateTime<Utc>,
    ) -> ProvinceRules {
        let pick = |topic| {
            let version = self.in_force(topic, at);
            let value = version
                .filter(|v| v.applies_to(province, kind))
                .map(|v| v.value);
            (value, version.map(RuleVersion::reference))
        };
        let (sms, sms_ref) = pick(Topic::Sms);
        let (photo, photo_ref) = pick(Topic::Photo);
        let (app_upload, app_ref) = pick(Topic::AppUpload);
        let (certificate, certificate_ref) = pick(Topic::DomainCertificate);
        ProvinceRules {
            province,
            kind,
            at,
            sms: match sms {
                Some(RuleValue::Sms { window_hours }) => Some(SmsRule::new(window_hours)),
                _ => None,
            },
            photo: match photo {
                Some(RuleValue::Photo(method)) => method,
                _ => PhotoMethod::Backdrop,
            },
            app_upload: app_upload.is_some(),
            domain_certificate: certificate.is_some(),
            versions: AppliedVersions {
                sms: sms_ref,
                photo: photo_ref,
                app_upload: app_ref,
                domain_certificate: certificate_ref,
            },
        }
    }
}

/// [`RuleBook::rules_for`] on the builtin rules.
pub fn rules_for(province: Province, kind: FilingKind, at: DateTime<Utc>) -> ProvinceRules {
    RuleBook::builtin().rules_for(province, kind, at)
}

#[cfg(test)]
mod tests;
