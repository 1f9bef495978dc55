//! Conversions between the interface's numbers and beian's own names (API.md), in one place.
//!
//! - Provinces: `Shengid` is a six-digit GB/T 2260 division code (the schemas require at
//!   least 100000), so Zhejiang is `330000`; [`division_code`] and [`province_of_division`].
//! - 证件类型 `Zjlx`: the spec lists no table, but `isp_querybeianstatus` names eleven
//!   certificate kinds 1–11 and the change schema caps `Zjlx` at 11; we take those numbers.
//! - 单位性质 `Dwxz`, 附件格式 `Fjwjgs`, 附件用途 `Fjyt`, 接入方式 `Jrfs`, 语言类别 `Yylb`:
//!   the spec leaves the numbers to the code tables a bureau distributes (`JCDM` download,
//!   §4-2-4), which are not in the reference. The numbers below are **beian's default
//!   tables** — what the bundled simulator publishes — not the ministry's; a deployment
//!   against a real bureau must check them against that bureau's tables.

use beian_core::province::Province;

use super::codes::QueryConditionType;

/// Why a value has no counterpart on the other side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("{table}: no code {code}")]
    UnknownCode { table: &'static str, code: i64 },
    #[error("{table}: no name {name:?}")]
    UnknownName { table: &'static str, name: String },
    #[error("{table}: {name:?} has no code in interface V3.0")]
    NotInV3 { table: &'static str, name: String },
}

/// The six-digit division code of a province (`330000`).
pub fn division_code(p: Province) -> i64 {
    p.code().parse::<i64>().map_or(0, |n| n * 10_000)
}

/// The province of a six-digit division code (`330106` → Zhejiang).
pub fn province_of_division(code: i64) -> Result<Province, MappingError> {
    let unknown = MappingError::UnknownCode {
        table: "Shengid",
        code,
    };
    if !(100_000..=999_999).contains(&code) {
        return Err(unknown);
    }
    Province::parse(&code.to_string()).map_err(|_| unknown)
}

/// Declares a code table with an API name per value.
macro_rules! named_table {
    ($(#[$meta:meta])* $name:ident, $table:literal { $($variant:ident = $code:literal, $api:literal, $zh:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $(#[doc = $zh] $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> u32 {
                match self { $($name::$variant => $code,)+ }
            }

            pub fn from_code(code: u32) -> Result<$name, MappingError> {
                match code {
                    $($code => Ok($name::$variant),)+
                    _ => Err(MappingError::UnknownCode { table: $table, code: i64::from(code) }),
                }
            }

            /// The name beian's API uses.
            pub fn api_name(self) -> &'static str {
                match self { $($name::$variant => $api,)+ }
            }

            pub fn from_api_name(name: &str) -> Result<$name, MappingError> {
                match name {
                    $($api => Ok($name::$variant),)+
                    _ => Err(MappingError::UnknownName { table: $table, name: name.to_owned() }),
                }
            }

            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }
        }
    };
}

named_table! {
    /// 单位性质 `Dwxz` (beian's default table).
    SponsorNature, "Dwxz" {
        Military = 1, "military", "军队";
        Government = 2, "government", "政府机关";
        Institution = 3, "institution", "事业单位";
        Enterprise = 4, "enterprise", "企业";
        Individual = 5, "individual", "个人";
        SocialGroup = 6, "social_group", "社会团体";
        Other = 7, "other", "其他";
    }
}

named_table! {
    /// 证件类型 `Zjlx`, numbered as `queryConditionType` 1–11 (§3-3-5-4).
    CertificateType, "Zjlx" {
        BusinessLicence = 1, "credit_code", "工商营业执照";
        ResidentId = 2, "resident_id", "身份证";
        InstitutionOrgCode = 3, "institution_org_code", "事业单位组织机构代码证";
        InstitutionLegalPerson = 4, "institution_certificate", "事业法人证";
        MilitaryUnitCode = 5, "military_unit_code", "军队代号";
        SocialGroupLegalPerson = 6, "social_group_certificate", "社会团体社团法人证";
        Passport = 7, "passport", "护照";
        MilitaryOfficerId = 8, "military_officer_id", "军官证";
        GovernmentOrgCode = 9, "government_org_code", "政府机关组织机构代码证";
        SocialGroupOrgCode = 10, "social_group_org_code", "社会团体组织机构代码证";
        TaiwanPermit = 11, "taiwan_permit", "台胞证";
    }
}

impl CertificateType {
    /// The status query condition for a certificate of this type.
    pub fn query_condition(self) -> QueryConditionType {
        // Same numbering by construction (see the module doc).
        QueryConditionType::from_code(self.code() as u8).unwrap_or(QueryConditionType::Domain)
    }

    /// From an API name, refusing the kinds V3.0 predates (e.g. `hk_macao_permit`).
    pub fn from_api(name: &str) -> Result<CertificateType, MappingError> {
        match name {
            "hk_macao_permit" | "foreign_permanent_resident_id" => Err(MappingError::NotInV3 {
                table: "Zjlx",
                name: name.to_owned(),
            }),
            _ => CertificateType::from_api_name(name),
        }
    }

    /// Whether a person (not an organisation) holds this certificate.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            CertificateType::ResidentId
                | CertificateType::Passport
                | CertificateType::MilitaryOfficerId
                | CertificateType::TaiwanPermit
        )
    }
}

named_table! {
    /// 附件用途 `Fjyt` ↔ API.md's material kinds (beian's default table).
    AttachmentPurpose, "Fjyt" {
        VerificationForm = 1, "verification_form", "网站备案信息真实性核验单";
        BusinessLicense = 2, "business_license", "主办单位有效证件";
        SponsorIdFront = 3, "sponsor_id_front", "主体负责人有效证件（正面）";
        SponsorIdBack = 4, "sponsor_id_back", "主体负责人有效证件（反面）";
        WebsiteOwnerIdFront = 5, "website_owner_id_front", "网站负责人有效证件（正面）";
        WebsiteOwnerIdBack = 6, "website_owner_id_back", "网站负责人有效证件（反面）";
        Photo = 7, "photo", "当面核验拍摄照片";
        DomainCertificate = 8, "domain_certificate", "域名证书";
        AuthorizationLetter = 9, "authorization_letter", "授权书";
        PreApproval = 10, "pre_approval", "前置审批文件";
    }
}

named_table! {
    /// 附件文件格式 `Fjwjgs` (beian's default table).
    AttachmentFormat, "Fjwjgs" {
        Jpg = 1, "jpg", "JPG";
        Png = 2, "png", "PNG";
        Pdf = 3, "pdf", "PDF";
    }
}

named_table! {
    /// 网站接入方式 `Jrfs` (beian's default table).
    AccessMethod, "Jrfs" {
        Dedicated = 1, "dedicated_line", "专线";
        Colocation = 2, "colocation", "主机托管";
        VirtualHost = 3, "virtual_host", "虚拟主机";
        CloudServer = 4, "cloud_server", "云主机";
        Other = 5, "other", "其他";
    }
}

named_table! {
    /// 网站语言类别 `Yylb` (beian's default table).
    Language, "Yylb" {
        Chinese = 1, "zh", "中文简体";
        ChineseTraditional = 2, "zh-Hant", "中文繁体";
        English = 3, "en", "英语";
        Japanese = 4, "ja", "日语";
        Korean = 5, "ko", "韩语";
        Other = 6, "other", "其他语言";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_use_six_digit_division_codes() {
        assert_eq!(division_code(Province::ZHEJIANG), 330_000);
        assert_eq!(division_code(Province::BEIJING), 110_000);
        let cases: &[(i64, Option<Province>)] = &[
            (330_000, Some(Province::ZHEJIANG)),
            (330_106, Some(Province::ZHEJIANG)),
            (650_000, Some(Province::XINJIANG)),
            (710_000, None),
            (33, None),
            (-330_000, None),
            (3_300_000, None),
        ];
        for (code, want) in cases {
            assert_eq!(province_of_division(*code).ok(), *want, "{code}");
        }
        for p in Province::all() {
            assert_eq!(province_of_division(division_code(p)), Ok(p));
        }
    }

    #[test]
    fn api_names_round_trip() {
        for &n in SponsorNature::ALL {
            assert_eq!(SponsorNature::from_api_name(n.api_name()), Ok(n));
            assert_eq!(SponsorNature::from_code(n.code()), Ok(n));
        }
        for &c in CertificateType::ALL {
            assert_eq!(CertificateType::from_api(c.api_name()), Ok(c));
            assert_eq!(c.query_condition().code() as u32, c.code());
        }
        assert!(matches!(
            CertificateType::from_api("hk_macao_permit"),
            Err(MappingError::NotInV3 { .. })
        ));
        assert!(CertificateType::from_api("nonsense").is_err());
        assert!(CertificateType::ResidentId.is_personal());
        assert!(!CertificateType::BusinessLicence.is_personal());
        for kind in [
            "business_license",
            "sponsor_id_front",
            "sponsor_id_back",
            "website_owner_id_front",
            "website_owner_id_back",
            "verification_form",
            "domain_certificate",
            "authorization_letter",
            "pre_approval",
            "photo",
        ] {
            assert!(AttachmentPurpose::from_api_name(kind).is_ok(), "{kind}");
        }
        assert_eq!(AttachmentPurpose::ALL.len(), 10);
        assert!(Language::from_code(99).is_err());
    }

    /// Every sponsor nature and certificate type the platform knows maps to a V3.0 code, or is
    /// refused as one V3.0 predates: never an unknown name (the two tables must not drift).
    #[test]
    fn every_core_name_is_known_here() {
        for nature in beian_core::sponsor::SponsorNature::ALL {
            assert!(
                SponsorNature::from_api_name(nature.as_str()).is_ok(),
                "{nature:?}"
            );
        }
        for kind in beian_core::sponsor::CertificateType::ALL {
            match CertificateType::from_api(kind.as_str()) {
                Ok(_) | Err(MappingError::NotInV3 { .. }) => {}
                Err(e) => panic!("{kind:?}: {e}"),
            }
        }
    }
}
