//! The code sets the V3.0 specification fixes itself: 接口返回状态代码表 (§3-4, plus code 22
//! from the change notes §10), the algorithm identifiers of §3-3, the query condition types
//! of `isp_querybeianstatus`, and the small enumerations inside the data formats (注销类别,
//! 操作类型, 报备方式, 附件所属对象类型, 通知类别, 审核结果, 黑名单操作类型, 备案状态).
//!
//! Every enum keeps the spec's number (`code()`, `from_code()`) and its Chinese text.

/// Declares an enum whose variants carry the spec's numeric code and Chinese description.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $zh:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* #[doc = $zh] $variant, )+
        }

        impl $name {
            /// Every value, in the spec's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spec's numeric code.
            pub fn code(self) -> $repr {
                match self { $($name::$variant => $code,)+ }
            }

            /// The value with this code, if the spec defines one.
            pub fn from_code(code: $repr) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The spec's Chinese description.
            pub fn description_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.code().to_string())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                text.trim()
                    .parse::<$repr>()
                    .ok()
                    .and_then($name::from_code)
                    .ok_or_else(|| serde::de::Error::custom(format!(
                        "{}: unknown code {:?}", stringify!($name), text
                    )))
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// 接口返回状态代码表 (§3-4): the `msg_code` of every method's return document.
    pub enum ReturnCode: u16 {
        Success = 0 => "操作成功",
        DownloadComplete = 1 => "操作成功，数据已经下载完毕",
        NothingToDownload = 2 => "目前服务器端没有可以下载的数据",
        MoreToDownload = 3 => "服务器端数据需要下载，请继续调用本接口进行下载",
        WrongUserName = 4 => "用户名错误",
        WrongPassword = 5 => "密码错误",
        DecryptionFailed = 6 => "解密失败",
        HashMismatch = 7 => "哈希值验证未通过",
        DecompressionFailed = 8 => "解压缩失败",
        BadEncryptAlgorithm = 9 => "加密算法类型错误",
        BadHashAlgorithm = 10 => "Hash算法类型错误",
        BadCompressionFormat = 11 => "压缩格式错误",
        AuthenticationRejected = 12 => "认证信息错误，服务器拒绝响应",
        NotThisProvince = 13 => "非本省ISP，服务器拒绝响应",
        SequenceGap = 14 => "本次上载没有受理，请首先上载漏报的数据，然后再上载本次数据",
        TooManyPending = 15 => "本次上载没有受理，已上报的数据文件已超过最大受理数量，请稍后再提交",
        RandomTooShort = 16 => "认证错误，随机数小于20个字符，服务器拒绝响应",
        WrongFileCount = 17 => "您上报的备案数据文件数量不符合要求（每次必须上报1个文件），服务器拒绝受理，请调整后重新上报",
        FileTooLarge = 18 => "上报的备案数据文件过大，服务器拒绝响应，请将上报的备案数据文件调整为50MB内并重新上报",
        NotPermitted = 19 => "您的报备权限未开放，请联系所在省通信管理局",
        OutsideFilingHours = 20 => "请您在规定的时间段内进行报备，报备时间为：",
        FileNameMissing = 21 => "回调响应文件名称不能为空，请核实后继续调用",
        PasswordCheckLimit = 22 => "备案密码校验超过X次，请仔细核对备案密码",
        UploadMaintenance = 901 => "系统正在维护中，您的报备请求未被受理，请稍后重新报备",
        DownloadMaintenance = 902 => "系统正在维护中，您的下载请求未被受理，请稍后重新下载",
        Other = 999 => "其他错误",
    }
}

impl ReturnCode {
    /// Codes 0–3 report success; every other code is an error.
    pub fn is_success(self) -> bool {
        self.code() <= 3
    }
}

impl std::fmt::Display for ReturnCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.description_zh())
    }
}

code_enum! {
    /// `encryptAlgorithm` (§3-3-1-4).
    pub enum EncryptAlgorithm: u8 {
        None = 0 => "不进行加密，明文传输",
        AesCbc = 1 => "AES加密算法，CBC模式，PKCS5Padding",
    }
}

code_enum! {
    /// `hashAlgorithm` (§3-3-1-4).
    pub enum HashAlgorithm: u8 {
        Md5 = 0 => "MD5哈希算法",
    }
}

code_enum! {
    /// `compressionFormat` (§3-3-1-4).
    pub enum CompressionFormat: u8 {
        Zip = 0 => "Zip压缩格式",
    }
}

code_enum! {
    /// `queryConditionType` of `isp_querybeianstatus` (§3-3-5-4); also `Cxtjlx` in its return.
    pub enum QueryConditionType: u8 {
        Domain = 0 => "通过网站域名查询网站是否已备案",
        BusinessLicence = 1 => "通过工商营业执照号码查询单位主体是否备案",
        ResidentId = 2 => "通过个人身份证号码查询个人主体是否备案",
        InstitutionOrgCode = 3 => "通过事业单位组织机构代码证号码查询单位主体是否备案",
        InstitutionLegalPerson = 4 => "通过事业法人证号码查询单位主体是否备案",
        MilitaryUnitCode = 5 => "通过军队代号号码查询单位主体是否备案",
        SocialGroupLegalPerson = 6 => "通过社会团体社团法人证号码查询单位主体是否备案",
        Passport = 7 => "通过护照号码查询个人主体是否备案",
        MilitaryOfficerId = 8 => "通过军官证号码查询个人主体是否备案",
        GovernmentOrgCode = 9 => "通过政府机关组织机构代码证号码查询单位主体是否备案",
        SocialGroupOrgCode = 10 => "通过社会团体组织机构代码证号码查询单位主体是否备案",
        TaiwanCompatriotPermit = 11 => "通过台胞证号码查询个人主体是否备案",
        /// beian's APP extension (docs/interface-extensions.md), not V3.0's: the condition is
        /// an APP's package name or Bundle ID; a filed APP answers with its sponsor's number,
        /// its `-NA` number as the website number and its name as the website name.
        AppPackage = 99 => "通过APP包名查询APP是否已备案（beian扩展）",
    }
}

code_enum! {
    /// 注销类别 `Zxlb` (§4-1-1-5, §4-2-1-2). The download schema only allows 0 and 1 in `ZXSJ`.
    pub enum CancelCategory: u8 {
        Sponsor = 0 => "主体注销",
        Website = 1 => "网站注销",
        Access = 2 => "取消接入",
    }
}

code_enum! {
    /// 操作类型 `Czlx` of a filing result (§4-2-1-6; 35 from the change notes §6 — the
    /// download schema still caps `Czlx` at 7, so a document with 35 does not validate).
    pub enum OperationType: u8 {
        FirstFiling = 1 => "新增备案",
        NewWebsite = 2 => "新增网站",
        NewAccess = 3 => "新增接入",
        Change = 4 => "变更信息",
        CancelAccess = 5 => "取消接入",
        CancelSponsor = 6 => "注销主体",
        CancelWebsite = 7 => "注销网站",
        VerificationMaterials = 35 => "单独提交真实性核验材料电子件",
    }
}

code_enum! {
    /// 报备方式 `Bbfs` / 报备类型 `Bbyhlx`.
    pub enum FilingMode: u8 {
        BySponsor = 0 => "自行报备",
        ByProvider = 1 => "代为报备",
    }
}

code_enum! {
    /// 附件所属对象类型 `Ssdxlx` of an attachment in an upload (§4-1-1-1).
    pub enum AttachmentOwner: u8 {
        Sponsor = 1 => "主体",
        Website = 2 => "网站",
    }
}

code_enum! {
    /// 通知类别 `Tzlb` (§4-2-1-9).
    pub enum NoticeCategory: u8 {
        SponsorRectification = 0 => "备案主体信息整改",
        WebsiteRectification = 1 => "备案网站信息整改",
    }
}

code_enum! {
    /// 审核结果 `Shjg` of a bureau review (§4-2-1-6).
    pub enum ReviewOutcome: u8 {
        Rejected = 0 => "审核拒绝",
        Approved = 1 => "审核通过",
    }
}

code_enum! {
    /// 操作类型 `Czlx` of a blacklist entry (download schema, `HMDLB`).
    pub enum BlacklistOperation: u8 {
        Add = 0 => "增加",
        Modify = 1 => "修改",
        Delete = 2 => "删除",
    }
}

code_enum! {
    /// 备案状态 `Bazt` in the `isp_querybeianstatus` return.
    pub enum FilingStatus: u8 {
        Filed = 0 => "已备案",
        NotFiled = 1 => "未备案",
    }
}

code_enum! {
    /// `VerifyRes` in the `isp_verifybamm` return.
    pub enum PasswordCheck: u8 {
        Correct = 0 => "校验成功",
        Incorrect = 1 => "校验失败",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_codes_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for &c in ReturnCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {c}");
            assert_eq!(ReturnCode::from_code(c.code()), Some(c));
        }
        assert_eq!(ReturnCode::ALL.len(), 26);
        let cases: &[(u16, Option<ReturnCode>)] = &[
            (0, Some(ReturnCode::Success)),
            (14, Some(ReturnCode::SequenceGap)),
            (22, Some(ReturnCode::PasswordCheckLimit)),
            (902, Some(ReturnCode::DownloadMaintenance)),
            (23, None),
            (1000, None),
        ];
        for (code, want) in cases {
            assert_eq!(ReturnCode::from_code(*code), *want, "{code}");
        }
        assert!(ReturnCode::MoreToDownload.is_success());
        assert!(!ReturnCode::WrongUserName.is_success());
    }

    #[test]
    fn small_tables_keep_spec_numbers() {
        assert_eq!(OperationType::VerificationMaterials.code(), 35);
        assert_eq!(CancelCategory::from_code(2), Some(CancelCategory::Access));
        assert_eq!(QueryConditionType::ALL.len(), 13);
        assert_eq!(
            QueryConditionType::from_code(11),
            Some(QueryConditionType::TaiwanCompatriotPermit)
        );
        assert_eq!(EncryptAlgorithm::from_code(2), None);
    }
}
