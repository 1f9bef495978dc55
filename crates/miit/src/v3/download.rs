//! The ICP part of the download format (《企业下载数据格式.xsd》, §4-2-1): `<DownloadData>`
//! with ICP备案数据 `BASJ`, 注销数据 `ZXSJ`, 黑名单 `HMDLB`, 备案结果 `BAJG` (results and the
//! bureau's review opinions) and 相关通知 `XGTZ`. The simulator generates these; the
//! provider's side parses them.
//!
//! Not modelled (ignored when parsing): 非法接入黑名单 `FFJRHMD`, 未备案网站 `WBAWZLB`,
//! 核实任务 `HSRW`, 核查结果 `HCJG`, and the `IP`, `YM`, `JCDM` and `SJTB` choices.

use serde::{Deserialize, Serialize};

use super::VERSION;
use super::codes::{
    BlacklistOperation, CancelCategory, FilingMode, NoticeCategory, OperationType, ReviewOutcome,
};
pub use super::parts::RegisteredResponsible;
use super::parts::{
    AccessMethods, Address, Certificate, Domain, IpRange, Languages, PreApprovals, ServerLocations,
    ServiceContents,
};
use super::personal::PersonalData;

/// `<DownloadData version="V.3.0">`. Only the `ICP` choice is modelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "DownloadData")]
pub struct DownloadData {
    #[serde(rename = "@version")]
    pub version: String,
    #[serde(rename = "ICP", skip_serializing_if = "Option::is_none")]
    pub icp: Option<IcpDownload>,
}

impl DownloadData {
    pub fn icp(icp: IcpDownload) -> DownloadData {
        DownloadData {
            version: VERSION.to_owned(),
            icp: Some(icp),
        }
    }
}

/// `<ICP>` of a download: any of the parts, each at most once.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IcpDownload {
    /// ICP备案数据.
    #[serde(rename = "BASJ", skip_serializing_if = "Option::is_none")]
    pub registrations: Option<Registrations>,
    /// 注销数据.
    #[serde(rename = "ZXSJ", skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<CancelledRecords>,
    /// 黑名单列表.
    #[serde(rename = "HMDLB", skip_serializing_if = "Option::is_none")]
    pub blacklist: Option<Blacklist>,
    /// 备案结果.
    #[serde(rename = "BAJG", skip_serializing_if = "Option::is_none")]
    pub results: Option<FilingResults>,
    /// 相关通知.
    #[serde(rename = "XGTZ", skip_serializing_if = "Option::is_none")]
    pub notices: Option<Notices>,
}

/// `<BASJ>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Registrations {
    #[serde(rename = "Baxx", default)]
    pub items: Vec<Registration>,
}

/// `<Baxx>` of `BASJ`: a filed sponsor with its websites as the registry holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    #[serde(rename = "Zt_xx")]
    pub sponsor: RegisteredSponsor,
    #[serde(rename = "Wz_xx", default)]
    pub websites: Vec<RegisteredWebsite>,
    /// beian's APP extension (`docs/interface-extensions.md`), not V3.0's: the APPs the
    /// result filed, with their `-NA` numbers. Absent from every website's result, so a V3.0
    /// document stays valid against the V3.0 schema.
    #[serde(rename = "App_xx", default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<RegisteredApp>,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<App_xx>` of `BASJ` (beian's APP extension): a filed APP with its registry id, name and
/// `-NA` number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredApp {
    #[serde(rename = "Appid")]
    pub id: i64,
    #[serde(rename = "Appmc")]
    pub name: String,
    #[serde(rename = "Appbah")]
    pub icp_number: String,
}

/// `<Zt_xx>` of `BASJ`. Dates are `YYYY-MM-DD` (10 to 22 characters allowed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredSponsor {
    #[serde(rename = "IspZtid", skip_serializing_if = "Option::is_none")]
    pub isp_sponsor_id: Option<i64>,
    #[serde(rename = "Ztid")]
    pub id: i64,
    #[serde(rename = "Dwmc")]
    pub name: String,
    #[serde(rename = "Dwxz", skip_serializing_if = "Option::is_none")]
    pub nature: Option<u32>,
    #[serde(rename = "Txdz")]
    pub address: Address,
    #[serde(rename = "Zj")]
    pub certificate: Certificate,
    #[serde(rename = "Fzr")]
    pub responsible: RegisteredResponsible,
    /// 主体备案号.
    #[serde(rename = "Baxh", skip_serializing_if = "Option::is_none")]
    pub icp_number: Option<String>,
    /// 报备类型 `Bbyhlx`.
    #[serde(rename = "Bbyhlx")]
    pub filing_mode: FilingMode,
    #[serde(rename = "Tzr", skip_serializing_if = "Option::is_none")]
    pub investor: Option<String>,
    /// 首次报备时间.
    #[serde(rename = "Scbbsj")]
    pub first_filed: String,
    /// 最近修改时间.
    #[serde(rename = "Zjxgsj")]
    pub last_changed: String,
    #[serde(rename = "Zsyxq", skip_serializing_if = "Option::is_none")]
    pub certificate_valid_until: Option<String>,
    #[serde(rename = "Zslj", skip_serializing_if = "Option::is_none")]
    pub certificate_path: Option<String>,
    #[serde(rename = "Zsxh", skip_serializing_if = "Option::is_none")]
    pub certificate_serial: Option<String>,
    /// 审核人姓名.
    #[serde(rename = "Shrxm", skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// 审核时间.
    #[serde(rename = "Shsj", skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<String>,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Wz_xx>` of `BASJ`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredWebsite {
    #[serde(rename = "IspWzid", skip_serializing_if = "Option::is_none")]
    pub isp_website_id: Option<i64>,
    #[serde(rename = "Wzid")]
    pub id: i64,
    #[serde(rename = "Wzmc")]
    pub name: String,
    #[serde(rename = "Nrlx", skip_serializing_if = "Option::is_none")]
    pub pre_approvals: Option<PreApprovals>,
    #[serde(rename = "Fwnr", skip_serializing_if = "Option::is_none")]
    pub service_content: Option<ServiceContents>,
    #[serde(rename = "Yylb")]
    pub languages: Languages,
    #[serde(rename = "Ym_xx", default)]
    pub domains: Vec<RegisteredDomain>,
    #[serde(rename = "Jr_xx", default)]
    pub accesses: Vec<RegisteredAccess>,
    #[serde(rename = "Wz_Fzr")]
    pub responsible: RegisteredResponsible,
    #[serde(rename = "Syurl", skip_serializing_if = "Option::is_none")]
    pub home_url: Option<String>,
    #[serde(rename = "Wz_Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    #[serde(rename = "Scbbsj", skip_serializing_if = "Option::is_none")]
    pub first_filed: Option<String>,
    #[serde(rename = "Zjxgsj", skip_serializing_if = "Option::is_none")]
    pub last_changed: Option<String>,
    /// 网站备案号.
    #[serde(rename = "Baxh", skip_serializing_if = "Option::is_none")]
    pub icp_number: Option<String>,
}

/// `<Ym_xx>` of `BASJ`.
pub type RegisteredDomain = Domain<Option<i64>, i64>;

/// `<Jr_xx>` of `BASJ`: one provider's access to the website.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredAccess {
    #[serde(rename = "IspJrid", skip_serializing_if = "Option::is_none")]
    pub isp_access_id: Option<i64>,
    #[serde(rename = "Jrid")]
    pub id: i64,
    /// 所属接入商 `Ispid`.
    #[serde(rename = "Ispid")]
    pub provider_id: i64,
    #[serde(rename = "Wzfb")]
    pub locations: ServerLocations,
    #[serde(rename = "Wzjrfs")]
    pub methods: AccessMethods,
    #[serde(rename = "Ip_xx", default)]
    pub ips: Vec<RegisteredIpRange>,
}

/// `<Ip_xx>` of `BASJ`.
pub type RegisteredIpRange = IpRange<Option<i64>, i64>;

/// `<ZXSJ>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CancelledRecords {
    #[serde(rename = "Zxxx", default)]
    pub items: Vec<CancelledRecord>,
}

/// `<Zxxx>`: a sponsor or website the registry cancelled (the schema allows `Zxlb` 0 and 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelledRecord {
    #[serde(rename = "Zxlb")]
    pub category: CancelCategory,
    #[serde(rename = "Jlid")]
    pub record_id: i64,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<HMDLB>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Blacklist {
    #[serde(rename = "Zthmdxxs", default, skip_serializing_if = "Vec::is_empty")]
    pub sponsors: Vec<SponsorBlacklistEntry>,
    #[serde(rename = "Wzhmdxxs", default, skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<WebsiteBlacklistEntry>,
}

/// `<Zthmdxxs>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SponsorBlacklistEntry {
    #[serde(rename = "Zt_xx", skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<BlacklistedSponsor>,
    #[serde(rename = "Czlx")]
    pub operation: BlacklistOperation,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Zt_xx>` of a sponsor blacklist entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlacklistedSponsor {
    #[serde(rename = "Dwmc")]
    pub name: String,
    #[serde(rename = "Dwxz", skip_serializing_if = "Option::is_none")]
    pub nature: Option<u32>,
    #[serde(rename = "Zj")]
    pub certificate: BlacklistedCertificate,
}

/// `<Zj>` of a blacklist entry (no 证件住所).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlacklistedCertificate {
    #[serde(rename = "Zjlx")]
    pub kind: u32,
    #[serde(rename = "Zjhm")]
    pub number: PersonalData,
}

/// `<Wzhmdxxs>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebsiteBlacklistEntry {
    #[serde(rename = "Wz_xx")]
    pub website: BlacklistedWebsite,
    #[serde(rename = "Czlx")]
    pub operation: BlacklistOperation,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Wz_xx>` of a website blacklist entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlacklistedWebsite {
    #[serde(rename = "Wzmc")]
    pub name: String,
    #[serde(rename = "Ym_xx", default)]
    pub domains: Vec<BlacklistedDomain>,
    #[serde(rename = "Syurl", skip_serializing_if = "Option::is_none")]
    pub home_url: Option<String>,
}

/// `<Ym_xx>` of a website blacklist entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlacklistedDomain {
    #[serde(rename = "Ym")]
    pub domain: String,
}

/// `<BAJG>`: the processing results of uploaded records, and the bureau's review opinions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FilingResults {
    #[serde(rename = "Jg_xx", default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<FilingResult>,
    #[serde(rename = "GJSHS", skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Reviews>,
}

/// `<Jg_xx>`: the results of one operation on one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingResult {
    #[serde(rename = "Jgxx", default)]
    pub items: Vec<ResultItem>,
    #[serde(rename = "Czlx")]
    pub operation: OperationType,
    /// 结果标识 `Bs`: which record (see §4-2-1-6 for what it holds per operation).
    #[serde(rename = "Bs", skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Jgxx>`: a code of [`super::results::ResultCode`] (kept raw: IP and domain codes, or
/// codes newer than this table, stay readable) and its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultItem {
    #[serde(rename = "Jgdm")]
    pub code: u16,
    #[serde(rename = "Dmms", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ResultItem {
    /// The item for `code` with the table's description.
    pub fn of(code: super::results::ResultCode) -> ResultItem {
        ResultItem {
            code: code.code(),
            description: Some(code.description_zh().to_owned()),
        }
    }

    pub fn result_code(&self) -> Option<super::results::ResultCode> {
        super::results::ResultCode::from_code(self.code)
    }
}

/// `<GJSHS>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reviews {
    #[serde(rename = "Gjsh", default)]
    pub items: Vec<Review>,
}

/// `<Gjsh>`: a bureau's review decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    #[serde(rename = "Shrxm", skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    #[serde(rename = "Shr_dhhm", skip_serializing_if = "Option::is_none")]
    pub reviewer_phone: Option<String>,
    /// 审核时间.
    #[serde(rename = "Shsj")]
    pub reviewed: String,
    /// 审核意见.
    #[serde(rename = "Shyj", skip_serializing_if = "Option::is_none")]
    pub opinion: Option<String>,
    #[serde(rename = "Shjg")]
    pub outcome: ReviewOutcome,
    #[serde(rename = "Czlx", skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationType>,
    /// 相关记录id (the provider's id for additions, the registry's otherwise).
    #[serde(rename = "Jlid", skip_serializing_if = "Option::is_none")]
    pub record_id: Option<i64>,
}

/// `<XGTZ>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Notices {
    #[serde(rename = "Tzxx", default)]
    pub items: Vec<Notice>,
}

/// `<Tzxx>`: a rectification notice about a sponsor or a website.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    #[serde(rename = "Tzlb")]
    pub category: NoticeCategory,
    #[serde(rename = "Baxh", skip_serializing_if = "Option::is_none")]
    pub icp_number: Option<String>,
    #[serde(rename = "Jlid", skip_serializing_if = "Option::is_none")]
    pub record_id: Option<i64>,
    /// 通知内容.
    #[serde(rename = "Tznr")]
    pub content: String,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}
