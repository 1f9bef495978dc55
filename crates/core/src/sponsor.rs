//! The sponsor (主体 / 网站主办者): its nature (单位性质) and the type of certificate that
//! identifies it (证件类型), with the snake-case names API.md uses in the `sponsor` body, and
//! [`Certificate`], the identity (type + number) by which the registry and our records know a
//! sponsor. Certificate numbers are personal data: [`Certificate`]'s `Debug` masks them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// 单位性质: what kind of organisation (or person) the sponsor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SponsorNature {
    /// 企业
    Enterprise,
    /// 个人
    Individual,
    /// 政府机关
    Government,
    /// 事业单位
    Institution,
    /// 社会团体
    SocialGroup,
    /// 军队
    Military,
    /// 其他 (e.g. 民办非企业单位, 基金会, 律师执业机构)
    Other,
}

impl SponsorNature {
    pub const ALL: [SponsorNature; 7] = [
        SponsorNature::Enterprise,
        SponsorNature::Individual,
        SponsorNature::Government,
        SponsorNature::Institution,
        SponsorNature::SocialGroup,
        SponsorNature::Military,
        SponsorNature::Other,
    ];

    /// The snake-case name used in the API and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SponsorNature::Enterprise => "enterprise",
            SponsorNature::Individual => "individual",
            SponsorNature::Government => "government",
            SponsorNature::Institution => "institution",
            SponsorNature::SocialGroup => "social_group",
            SponsorNature::Military => "military",
            SponsorNature::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<SponsorNature> {
        SponsorNature::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// The Chinese name the bureau uses.
    pub fn name_zh(self) -> &'static str {
        match self {
            SponsorNature::Enterprise => "企业",
            SponsorNature::Individual => "个人",
            SponsorNature::Government => "政府机关",
            SponsorNature::Institution => "事业单位",
            SponsorNature::SocialGroup => "社会团体",
            SponsorNature::Military => "军队",
            SponsorNature::Other => "其他",
        }
    }
}

impl fmt::Display for SponsorNature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 证件类型: the certificate that identifies a sponsor or a responsible person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateType {
    /// 统一社会信用代码 (on a business licence or an organisation's registration certificate)
    CreditCode,
    /// 居民身份证
    ResidentId,
    /// 护照
    Passport,
    /// 港澳居民来往内地通行证
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证 (台胞证)
    TaiwanPermit,
    /// 外国人永久居留身份证
    ForeignPermanentResidentId,
    /// 军官证
    MilitaryOfficerId,
    /// 军队代号
    MilitaryUnitCode,
}

impl CertificateType {
    pub const ALL: [CertificateType; 8] = [
        CertificateType::CreditCode,
        CertificateType::ResidentId,
        CertificateType::Passport,
        CertificateType::HkMacaoPermit,
        CertificateType::TaiwanPermit,
        CertificateType::ForeignPermanentResidentId,
        CertificateType::MilitaryOfficerId,
        CertificateType::MilitaryUnitCode,
    ];

    /// The snake-case name used in the API and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateType::CreditCode => "credit_code",
            CertificateType::ResidentId => "resident_id",
            CertificateType::Passport => "passport",
            CertificateType::HkMacaoPermit => "hk_macao_permit",
            CertificateType::TaiwanPermit => "taiwan_permit",
            CertificateType::ForeignPermanentResidentId => "foreign_permanent_resident_id",
            CertificateType::MilitaryOfficerId => "military_officer_id",
            CertificateType::MilitaryUnitCode => "military_unit_code",
        }
    }

    pub fn parse(s: &str) -> Option<CertificateType> {
        CertificateType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The Chinese name the bureau uses.
    pub fn name_zh(self) -> &'static str {
        match self {
            CertificateType::CreditCode => "统一社会信用代码",
            CertificateType::ResidentId => "居民身份证",
            CertificateType::Passport => "护照",
            CertificateType::HkMacaoPermit => "港澳居民来往内地通行证",
            CertificateType::TaiwanPermit => "台湾居民来往大陆通行证",
            CertificateType::ForeignPermanentResidentId => "外国人永久居留身份证",
            CertificateType::MilitaryOfficerId => "军官证",
            CertificateType::MilitaryUnitCode => "军队代号",
        }
    }

    /// Whether this certificate identifies a natural person (an individual sponsor or a
    /// responsible person) rather than an organisation.
    pub fn is_personal(self) -> bool {
        !matches!(
            self,
            CertificateType::CreditCode | CertificateType::MilitaryUnitCode
        )
    }
}

impl fmt::Display for CertificateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate: its type and its number, the identity by which the registry and our
/// records know a sponsor. Two certificates are the same when their types are equal and
/// their numbers are equal after normalising (see [`Certificate::same_as`]).
///
/// The number is personal data: `Debug` shows it masked (`3301**********1234`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub certificate_type: CertificateType,
    pub number: String,
}

impl Certificate {
    pub fn new(certificate_type: CertificateType, number: impl Into<String>) -> Certificate {
        Certificate {
            certificate_type,
            number: number.into(),
        }
    }

    /// Same type and same number, ignoring spaces and letter case (a resident ID may end in
    /// `x` or `X`; a credit code is written in capitals but typed in either).
    pub fn same_as(&self, other: &Certificate) -> bool {
        self.certificate_type == other.certificate_type
            && normalise_number(&self.number) == normalise_number(&other.number)
    }

    /// The number masked for display and logs: the first and last four characters stay,
    /// the rest become `*`; numbers of eight characters or fewer are masked whole.
    pub fn masked_number(&self) -> String {
        crate::mask::mask_number(self.number.trim())
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("certificate_type", &self.certificate_type)
            .field("number", &self.masked_number())
            .finish()
    }
}

fn normalise_number(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natures_round_trip_and_serialise_as_api_names() {
        let api_names = [
            "enterprise",
            "individual",
            "government",
            "institution",
            "social_group",
            "military",
            "other",
        ];
        assert_eq!(SponsorNature::ALL.len(), api_names.len());
        for (nature, name) in SponsorNature::ALL.into_iter().zip(api_names) {
            assert_eq!(nature.as_str(), name);
            assert_eq!(SponsorNature::parse(name), Some(nature));
            let json = toml::Value::try_from(nature).map(|v| v.to_string());
            assert_eq!(json.ok().as_deref(), Some(format!("\"{name}\"").as_str()));
        }
        assert_eq!(SponsorNature::parse("Enterprise"), None);
    }

    #[test]
    fn certificate_types_round_trip_and_serialise_as_api_names() {
        for (ty, name) in [
            (CertificateType::CreditCode, "credit_code"),
            (CertificateType::ResidentId, "resident_id"),
            (CertificateType::Passport, "passport"),
            (CertificateType::HkMacaoPermit, "hk_macao_permit"),
            (CertificateType::TaiwanPermit, "taiwan_permit"),
        ] {
            assert_eq!(ty.as_str(), name);
            let json = toml::Value::try_from(ty).map(|v| v.to_string());
            assert_eq!(json.ok().as_deref(), Some(format!("\"{name}\"").as_str()));
        }
        for ty in CertificateType::ALL {
            assert_eq!(CertificateType::parse(ty.as_str()), Some(ty));
        }
        assert_eq!(CertificateType::parse("id_card"), None);
    }

    #[test]
    fn personal_certificates() {
        assert!(CertificateType::ResidentId.is_personal());
        assert!(CertificateType::Passport.is_personal());
        assert!(!CertificateType::CreditCode.is_personal());
        assert!(!CertificateType::MilitaryUnitCode.is_personal());
    }

    #[test]
    fn certificates_compare_after_normalising() {
        let cases = [
            (
                CertificateType::ResidentId,
                "33010619900101123x",
                CertificateType::ResidentId,
                "33010619900101123X",
                true,
            ),
            (
                CertificateType::CreditCode,
                " 91330106MA2B1234XY ",
                CertificateType::CreditCode,
                "91330106ma2b1234xy",
                true,
            ),
            (
                CertificateType::CreditCode,
                "91330106MA2B1234XY",
                CertificateType::CreditCode,
                "91330106MA2B1234XZ",
                false,
            ),
            (
                CertificateType::Passport,
                "E12345678",
                CertificateType::HkMacaoPermit,
                "E12345678",
                false,
            ),
        ];
        for (ta, a, tb, b, same) in cases {
            assert_eq!(
                Certificate::new(ta, a).same_as(&Certificate::new(tb, b)),
                same,
                "{a} vs {b}"
            );
        }
    }

    #[test]
    fn debug_masks_the_number() {
        let cert = Certificate::new(CertificateType::ResidentId, "330106199001011234");
        let debug = format!("{cert:?}");
        assert!(debug.contains("3301**********1234"), "{debug}");
        assert!(!debug.contains("330106199001011234"), "{debug}");
        assert_eq!(
            Certificate::new(CertificateType::Passport, "E1234567").masked_number(),
            "********"
        );
    }
}
