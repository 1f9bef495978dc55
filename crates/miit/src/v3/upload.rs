//! The ICP part of the upload format (《企业上报数据格式.xsd》, §4-1-1): `<UploadData>` with
//! 新增备案 `XZBA`, 新增网站 `XZWZ`, 新增接入 `XZJR`, 变更备案 `BGBA`, 注销备案 `ZXBA` (主体,
//! 网站, 取消接入) and 真实性核验材料 `XZHYD`. Field order follows the schema's sequences.
//!
//! Not modelled (ignored when parsing): 核实结果 `HSJG`, 未备案网站处理结果 `WBACLJG`, and
//! the `IP` and `YM` parts. Code-table values whose numbers the bureau distributes (单位性质,
//! 证件类型, 服务内容, 接入方式, …) are kept as raw numbers here; [`super::mapping`] converts.

use serde::{Deserialize, Serialize};

use super::VERSION;
use super::codes::{AttachmentOwner, CancelCategory, FilingMode};
pub use super::parts::{
    AccessMethods, Address, Certificate, Domain, IpRange, Languages, Person, PreApproval,
    PreApprovals, Presence, Responsible, ServerLocations, ServiceContents,
};
use super::personal::Secret;

/// `<UploadData version="V.3.0">`. Only the `ICP` choice is modelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "UploadData")]
pub struct UploadData {
    #[serde(rename = "@version")]
    pub version: String,
    #[serde(rename = "ICP", skip_serializing_if = "Option::is_none")]
    pub icp: Option<IcpUpload>,
}

impl UploadData {
    /// An upload of the current version carrying `icp`.
    pub fn icp(icp: IcpUpload) -> UploadData {
        UploadData {
            version: VERSION.to_owned(),
            icp: Some(icp),
        }
    }

    /// How many records (`Baxx`, `Xzxx`, `Bgxx`, `Zx_xx`, `Fjxx`) the file holds; the spec
    /// allows at most 1000 per file.
    pub fn record_count(&self) -> usize {
        self.icp.as_ref().map_or(0, IcpUpload::record_count)
    }
}

/// `<ICP>`: any of the operations (each at most once), and the requesting unit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IcpUpload {
    /// 新增备案.
    #[serde(rename = "XZBA", skip_serializing_if = "Option::is_none")]
    pub first_filings: Option<FirstFilings>,
    /// 新增网站.
    #[serde(rename = "XZWZ", skip_serializing_if = "Option::is_none")]
    pub new_websites: Option<NewWebsites>,
    /// 新增接入.
    #[serde(rename = "XZJR", skip_serializing_if = "Option::is_none")]
    pub new_accesses: Option<NewAccesses>,
    /// 变更备案.
    #[serde(rename = "BGBA", skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// 注销备案 and 取消接入.
    #[serde(rename = "ZXBA", skip_serializing_if = "Option::is_none")]
    pub cancellations: Option<Cancellations>,
    /// 单独提交真实性核验材料电子件.
    #[serde(rename = "XZHYD", skip_serializing_if = "Option::is_none")]
    pub materials: Option<Materials>,
    /// 请求单位ID `Qqdwid`: the provider's `ispId`.
    #[serde(rename = "Qqdwid")]
    pub requester_id: i64,
}

impl IcpUpload {
    pub fn record_count(&self) -> usize {
        self.first_filings.as_ref().map_or(0, |x| x.items.len())
            + self.new_websites.as_ref().map_or(0, |x| x.items.len())
            + self.new_accesses.as_ref().map_or(0, |x| x.items.len())
            + self.changes.as_ref().map_or(0, |x| x.items.len())
            + self.cancellations.as_ref().map_or(0, |x| x.items.len())
            + self.materials.as_ref().map_or(0, |x| x.items.len())
    }
}

/// `<XZBA>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FirstFilings {
    #[serde(rename = "Baxx", default)]
    pub items: Vec<FirstFiling>,
}

/// `<Baxx>` of 新增备案: one sponsor, its websites, attachments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstFiling {
    #[serde(rename = "Zt_xx")]
    pub sponsor: NewSponsor,
    #[serde(rename = "Wz_xx", default)]
    pub websites: Vec<NewWebsiteInfo>,
    #[serde(rename = "Fj", default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<FirstFilingAttachmentSlot>,
}

/// `<Zt_xx>` of 新增备案.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSponsor {
    /// 企业侧主体ID `IspZtid`.
    #[serde(rename = "IspZtid")]
    pub isp_sponsor_id: i64,
    /// 主办单位或主办人名称 `Dwmc`.
    #[serde(rename = "Dwmc")]
    pub name: String,
    /// 单位性质 `Dwxz` (bureau code table; see [`super::mapping::SponsorNature`]).
    #[serde(rename = "Dwxz", skip_serializing_if = "Option::is_none")]
    pub nature: Option<u32>,
    /// 投资人或主管单位 `Tzr`.
    #[serde(rename = "Tzr", skip_serializing_if = "Option::is_none")]
    pub investor: Option<String>,
    #[serde(rename = "Txdz")]
    pub address: Address,
    #[serde(rename = "Zj")]
    pub certificate: Certificate,
    #[serde(rename = "Fzr")]
    pub responsible: Responsible,
    /// 报备方式 `Bbfs`.
    #[serde(rename = "Bbfs")]
    pub filing_mode: FilingMode,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Wz_xx>` of 新增备案 and 新增网站.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewWebsiteInfo {
    #[serde(rename = "IspWzid")]
    pub isp_website_id: i64,
    #[serde(rename = "Wzmc")]
    pub name: String,
    #[serde(rename = "Nrlx", skip_serializing_if = "Option::is_none")]
    pub pre_approvals: Option<PreApprovals>,
    #[serde(rename = "Fwnr")]
    pub service_content: ServiceContents,
    #[serde(rename = "Yylb")]
    pub languages: Languages,
    #[serde(rename = "Ym_xx", default)]
    pub domains: Vec<NewDomain>,
    #[serde(rename = "Jr_xx", default)]
    pub accesses: Vec<NewAccessInfo>,
    #[serde(rename = "Wz_Fzr")]
    pub responsible: Responsible,
    /// 首页URL `Syurl`.
    #[serde(rename = "Syurl", skip_serializing_if = "Option::is_none")]
    pub home_url: Option<String>,
    #[serde(rename = "Wz_Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Ym_xx>` with the provider's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDomain {
    #[serde(rename = "IspYmid")]
    pub isp_domain_id: i64,
    #[serde(rename = "Ym")]
    pub domain: String,
}

/// `<Jr_xx>` with the provider's ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAccessInfo {
    #[serde(rename = "IspJrid")]
    pub isp_access_id: i64,
    #[serde(rename = "Wzfb")]
    pub locations: ServerLocations,
    #[serde(rename = "Wzjrfs")]
    pub methods: AccessMethods,
    #[serde(rename = "Ip_xx", default)]
    pub ips: Vec<NewIpRange>,
}

/// `<Ip_xx>`: an IPv4 range as 32-bit numbers (`Qsip`, `Zzip`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIpRange {
    #[serde(rename = "IspIpid")]
    pub isp_ip_id: i64,
    #[serde(rename = "Qsip")]
    pub start: u32,
    #[serde(rename = "Zzip")]
    pub end: u32,
}

/// `<Fj>`: one `<Fjxx>` (of type `A`: [`Attachment`] or [`FirstFilingAttachment`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot<A> {
    #[serde(rename = "Fjxx")]
    pub attachment: A,
}

/// `<Fj>` of 新增备案.
pub type FirstFilingAttachmentSlot = Slot<FirstFilingAttachment>;

/// `<Fjxx>` of 新增备案: the owner is named by the provider's own id.
pub type FirstFilingAttachment = AttachmentOf<FirstFilingAttachmentOwner>;

/// `<Fjxx>`, its owner `<Fjssdx>` of type `O`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentOf<O> {
    /// 附件文件格式 `Fjwjgs` (see [`super::mapping::AttachmentFormat`]).
    #[serde(rename = "Fjwjgs")]
    pub format: u32,
    /// 附件用途 `Fjyt` (see [`super::mapping::AttachmentPurpose`]).
    #[serde(rename = "Fjyt")]
    pub purpose: u32,
    /// 附件内容 `Fjnr`, base64.
    #[serde(rename = "Fjnr")]
    pub content: String,
    #[serde(rename = "Fjssdx")]
    pub owner: O,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Fjssdx>` of 新增备案.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstFilingAttachmentOwner {
    #[serde(rename = "Ssdxlx")]
    pub kind: AttachmentOwner,
    /// `IspZtid` or `IspWzid`.
    #[serde(rename = "Ssdxbs")]
    pub isp_id: i64,
}

/// `<Fj>` of 新增网站, 新增接入, 变更备案.
pub type AttachmentSlot = Slot<Attachment>;

/// `<Fjxx>` of 新增网站, 新增接入, 变更备案 and 核验材料: the owner is a registry record.
pub type Attachment = AttachmentOf<AttachmentOwnerRef>;

/// `<Fjssdx>` naming a registry record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentOwnerRef {
    #[serde(rename = "Ssdxlx")]
    pub kind: AttachmentOwner,
    #[serde(rename = "Ssdxbs")]
    pub record: RecordRef,
}

/// `<Ssdxbs>`: either the registry id (`Jlid`) or the ICP number (`Baxh`); exactly one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordRef {
    #[serde(rename = "Jlid", skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(rename = "Baxh", skip_serializing_if = "Option::is_none")]
    pub icp_number: Option<String>,
}

/// `<XZWZ>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewWebsites {
    #[serde(rename = "Xzxx", default)]
    pub items: Vec<NewWebsite>,
}

/// `<Xzxx>` of 新增网站.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewWebsite {
    #[serde(rename = "Zt_xx")]
    pub sponsor: SponsorRef,
    #[serde(rename = "Wz_xx", default)]
    pub websites: Vec<NewWebsiteInfo>,
    #[serde(rename = "Fj", default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentSlot>,
    /// ICP备案密码 `ICPmm`: hex MD5 of the filing password (see [`super::auth::icp_password_hash`]).
    #[serde(rename = "ICPmm", skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<Secret>,
}

/// `<Zt_xx>` of 新增网站: the sponsor's ICP number (`Ztbah`) or registry id (`Ztid`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SponsorRef {
    #[serde(rename = "Ztbah", skip_serializing_if = "Option::is_none")]
    pub icp_number: Option<String>,
    #[serde(rename = "Ztid", skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// `<XZJR>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewAccesses {
    #[serde(rename = "Xzxx", default)]
    pub items: Vec<NewAccess>,
}

/// `<Xzxx>` of 新增接入.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAccess {
    #[serde(rename = "Wz_xx")]
    pub website: WebsiteRef,
    #[serde(rename = "IspJrid")]
    pub isp_access_id: i64,
    #[serde(rename = "Wzfb")]
    pub locations: ServerLocations,
    #[serde(rename = "Wzjrfs")]
    pub methods: AccessMethods,
    #[serde(rename = "Ip_xx", default)]
    pub ips: Vec<NewIpRange>,
    #[serde(rename = "Fj", default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentSlot>,
    /// `ICPmm`, required here.
    #[serde(rename = "ICPmm")]
    pub password_hash: Secret,
}

/// `<Wz_xx>` of 新增接入: the website's ICP number (`Wzbah`) or registry id (`Wzid`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebsiteRef {
    #[serde(rename = "Wzbah", skip_serializing_if = "Option::is_none")]
    pub icp_number: Option<String>,
    #[serde(rename = "Wzid", skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// `<BGBA>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Changes {
    #[serde(rename = "Bgxx", default)]
    pub items: Vec<Change>,
}

/// `<Bgxx>`: the whole corrected record of a sponsor and the websites concerned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    #[serde(rename = "Zt_xx")]
    pub sponsor: ChangedSponsor,
    #[serde(rename = "Wz_xx", default)]
    pub websites: Vec<ChangedWebsite>,
    #[serde(rename = "Fj", default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentSlot>,
    #[serde(rename = "ICPmm", skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<Secret>,
}

/// `<Zt_xx>` of 变更备案.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedSponsor {
    #[serde(rename = "Ztid")]
    pub id: i64,
    #[serde(rename = "Dwmc")]
    pub name: String,
    /// 主体备案号 `Baxh`.
    #[serde(rename = "Baxh")]
    pub icp_number: String,
    #[serde(rename = "Dwxz", skip_serializing_if = "Option::is_none")]
    pub nature: Option<u32>,
    #[serde(rename = "Tzr", skip_serializing_if = "Option::is_none")]
    pub investor: Option<String>,
    #[serde(rename = "Txdz")]
    pub address: Address,
    /// The schema caps `Zjlx` at 11 here.
    #[serde(rename = "Zj")]
    pub certificate: Certificate,
    #[serde(rename = "Fzr")]
    pub responsible: Responsible,
    #[serde(rename = "Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Wz_xx>` of 变更备案.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedWebsite {
    #[serde(rename = "Wzid")]
    pub id: i64,
    #[serde(rename = "Wzmc")]
    pub name: String,
    #[serde(rename = "Nrlx", skip_serializing_if = "Option::is_none")]
    pub pre_approvals: Option<PreApprovals>,
    #[serde(rename = "Fwnr")]
    pub service_content: ServiceContents,
    #[serde(rename = "Yylb")]
    pub languages: Languages,
    #[serde(rename = "Ym_xx", default)]
    pub domains: Vec<ChangedDomain>,
    #[serde(rename = "Jr_xx", default)]
    pub accesses: Vec<ChangedAccess>,
    #[serde(rename = "Wz_Fzr")]
    pub responsible: Responsible,
    /// 网站备案号 `Baxh`.
    #[serde(rename = "Baxh")]
    pub icp_number: String,
    #[serde(rename = "Syurl", skip_serializing_if = "Option::is_none")]
    pub home_url: Option<String>,
    #[serde(rename = "Wz_Bz", skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `<Ym_xx>` of 变更备案: `Ymid` absent for a domain being added.
pub type ChangedDomain = Domain<i64, Option<i64>>;

/// `<Jr_xx>` of 变更备案.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedAccess {
    #[serde(rename = "Jrid")]
    pub id: i64,
    #[serde(rename = "Wzfb")]
    pub locations: ServerLocations,
    #[serde(rename = "Wzjrfs")]
    pub methods: AccessMethods,
    #[serde(rename = "Ip_xx", default)]
    pub ips: Vec<ChangedIpRange>,
}

/// `<Ip_xx>` of 变更备案: `Ipid` absent for a range being added.
pub type ChangedIpRange = IpRange<i64, Option<i64>>;

/// `<ZXBA>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Cancellations {
    #[serde(rename = "Zx_xx", default)]
    pub items: Vec<Cancellation>,
}

/// `<Zx_xx>`: 注销主体, 注销网站 or 取消接入 of a registry record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancellation {
    #[serde(rename = "Zxlb")]
    pub category: CancelCategory,
    /// The registry id of the sponsor, website or access.
    #[serde(rename = "Jlid")]
    pub record_id: i64,
    /// 注销理由 `Zxly` (bureau code table, raw).
    #[serde(rename = "Zxly")]
    pub reason: u32,
    #[serde(rename = "Zxlybz", skip_serializing_if = "Option::is_none")]
    pub reason_remark: Option<String>,
    /// `ICPmm`, required when cancelling a sponsor.
    #[serde(rename = "ICPmm", skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<Secret>,
}

/// `<XZHYD>`: verification materials sent on their own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Materials {
    #[serde(rename = "Fjxx", default)]
    pub items: Vec<Attachment>,
}
