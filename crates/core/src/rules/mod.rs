//! Province rules (管局规则) as versioned data with effective dates (DESIGN.md §6): whether and
//! how long the SMS verification window is, how the responsible person is photo-verified,
//! whether documents may be uploaded through the provider's app, whether the bureau asks
//! for the domain certificate; and the province variants of 2026 (issue 18): the legal
//! representative as the sponsor's responsible person, a minimum age for a person's filing, a
//! residence permit for a personal filing outside one's home province, a cap on a sponsor's
//! websites, Jiangsu's truthfulness documents, and the expected review time in working days.
//!
//! Numeric rules (age, cap, review days) carry one number for the provinces they list and may
//! set another per province (`by_province`), so that one version still states the topic's
//! whole rule.
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

use std::collections::{BTreeMap, BTreeSet};
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
    /// An organisation's responsible person (主体负责人) must be its legal representative.
    LegalRepresentative,
    /// A person filing (an individual sponsor) must be at least this old.
    MinAge,
    /// A personal filing outside the province of one's ID needs a residence permit (居住证).
    ResidencePermit,
    /// A sponsor may hold at most this many websites.
    SiteCap,
    /// Jiangsu since 2021-06-01: the responsible person's 《ICP备案信息真实性责任告知书》 and
    /// 《承诺书》, and a 法人授权书 when the responsible persons are not the legal representative.
    TruthfulnessDocuments,
    /// The bureau's expected review time, in working days.
    ReviewDays,
}

impl Topic {
    pub const ALL: [Topic; 10] = [
        Topic::Sms,
        Topic::Photo,
        Topic::AppUpload,
        Topic::DomainCertificate,
        Topic::LegalRepresentative,
        Topic::MinAge,
        Topic::ResidencePermit,
        Topic::SiteCap,
        Topic::TruthfulnessDocuments,
        Topic::ReviewDays,
    ];

    /// The name of the topic's table in the rules file.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Sms => "sms",
            Topic::Photo => "photo",
            Topic::AppUpload => "app_upload",
            Topic::DomainCertificate => "domain_certificate",
            Topic::LegalRepresentative => "legal_representative",
            Topic::MinAge => "min_age",
            Topic::ResidencePermit => "residence_permit",
            Topic::SiteCap => "site_cap",
            Topic::TruthfulnessDocuments => "truthfulness_documents",
            Topic::ReviewDays => "review_days",
        }
    }

    /// The message key of the topic's name, for the admin view.
    pub fn message_key(self) -> &'static str {
        match self {
            Topic::Sms => "rules.topic.sms",
            Topic::Photo => "rules.topic.photo",
            Topic::AppUpload => "rules.topic.app_upload",
            Topic::DomainCertificate => "rules.topic.domain_certificate",
            Topic::LegalRepresentative => "rules.topic.legal_representative",
            Topic::MinAge => "rules.topic.min_age",
            Topic::ResidencePermit => "rules.topic.residence_permit",
            Topic::SiteCap => "rules.topic.site_cap",
            Topic::TruthfulnessDocuments => "rules.topic.truthfulness_documents",
            Topic::ReviewDays => "rules.topic.review_days",
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

/// What a version sets for the provinces and kinds it lists. The numbers are the version's
/// default; [`RuleVersion::by_province`] may set another for a province.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleValue {
    Sms { window_hours: u32 },
    Photo(PhotoMethod),
    AppUpload,
    DomainCertificate,
    LegalRepresentative,
    MinAge { years: u32 },
    ResidencePermit,
    SiteCap { websites: u32 },
    TruthfulnessDocuments,
    ReviewDays { days: u32 },
}

impl RuleValue {
    /// The number a numeric rule carries.
    pub fn number(self) -> Option<u32> {
        match self {
            RuleValue::Sms { window_hours } => Some(window_hours),
            RuleValue::MinAge { years } => Some(years),
            RuleValue::SiteCap { websites } => Some(websites),
            RuleValue::ReviewDays { days } => Some(days),
            _ => None,
        }
    }

    fn with_number(self, n: u32) -> RuleValue {
        match self {
            RuleValue::MinAge { .. } => RuleValue::MinAge { years: n },
            RuleValue::SiteCap { .. } => RuleValue::SiteCap { websites: n },
            RuleValue::ReviewDays { .. } => RuleValue::ReviewDays { days: n },
            other => other,
        }
    }
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
    /// Numeric rules: the number for a province where it differs from the value's.
    pub by_province: BTreeMap<Province, u32>,
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
            RuleValue::LegalRepresentative => Topic::LegalRepresentative,
            RuleValue::MinAge { .. } => Topic::MinAge,
            RuleValue::ResidencePermit => Topic::ResidencePermit,
            RuleValue::SiteCap { .. } => Topic::SiteCap,
            RuleValue::TruthfulnessDocuments => Topic::TruthfulnessDocuments,
            RuleValue::ReviewDays { .. } => Topic::ReviewDays,
        }
    }

    /// The value for `province` (a numeric rule's per-province number applied).
    pub fn value_for(&self, province: Province) -> RuleValue {
        match self.by_province.get(&province) {
            Some(&n) => self.value.with_number(n),
            None => self.value,
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
    pub legal_representative: Option<RuleRef>,
    pub min_age: Option<RuleRef>,
    pub residence_permit: Option<RuleRef>,
    pub site_cap: Option<RuleRef>,
    pub truthfulness_documents: Option<RuleRef>,
    pub review_days: Option<RuleRef>,
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
    /// An organisation sponsor's responsible person must be its legal representative.
    pub legal_representative_responsible: bool,
    /// The minimum age of a person filing (an individual sponsor), in whole years.
    pub min_age: Option<u32>,
    /// An individual filing outside the province of their ID needs a residence permit.
    pub residence_permit: bool,
    /// The most websites a sponsor may hold.
    pub site_cap: Option<u32>,
    /// Jiangsu's 责任告知书 and 承诺书 (and 法人授权书 when the persons are not the legal
    /// representative).
    pub truthfulness_documents: bool,
    /// The bureau's expected review time in working days; `None` where no rule says.
    pub review_days: Option<u32>,
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
                .map(|v| v.value_for(province));
            (value, version.map(RuleVersion::reference))
        };
        let (sms, sms_ref) = pick(Topic::Sms);
        let (photo, photo_ref) = pick(Topic::Photo);
        let (app_upload, app_ref) = pick(Topic::AppUpload);
        let (certificate, certificate_ref) = pick(Topic::DomainCertificate);
        let (legal, legal_ref) = pick(Topic::LegalRepresentative);
        let (age, age_ref) = pick(Topic::MinAge);
        let (permit, permit_ref) = pick(Topic::ResidencePermit);
        let (cap, cap_ref) = pick(Topic::SiteCap);
        let (documents, documents_ref) = pick(Topic::TruthfulnessDocuments);
        let (days, days_ref) = pick(Topic::ReviewDays);
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
            legal_representative_responsible: legal.is_some(),
            min_age: age.and_then(RuleValue::number),
            residence_permit: permit.is_some(),
            site_cap: cap.and_then(RuleValue::number),
            truthfulness_documents: documents.is_some(),
            review_days: days.and_then(RuleValue::number),
            versions: AppliedVersions {
                sms: sms_ref,
                photo: photo_ref,
                app_upload: app_ref,
                domain_certificate: certificate_ref,
                legal_representative: legal_ref,
                min_age: age_ref,
                residence_permit: permit_ref,
                site_cap: cap_ref,
                truthfulness_documents: documents_ref,
                review_days: days_ref,
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
