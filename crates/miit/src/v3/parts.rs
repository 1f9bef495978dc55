//! The parts both formats share: address, certificate, responsible person, domain and IP
//! range records, and the lists of code-table ids (前置审批, 服务内容, 语言类别, 分布地点,
//! 接入方式).
//!
//! Where the formats differ only in which fields are required (the upload names a record by
//! the provider's id and may lack the registry's; a download the other way round), one
//! generic struct holds the elements and each format names its instance with a type alias
//! ([`Responsible`] and [`RegisteredResponsible`], …). A field typed by a parameter is
//! written unless it is an absent `Option` ([`Presence`]), and read as required or optional
//! by its type, so each alias behaves exactly as a struct written out for its format.

use serde::{Deserialize, Serialize};

use super::personal::PersonalData;

/// 通信地址 `<Txdz>`: six-digit GB/T 2260 division codes (省 `Shengid`, 市 `Shiid`, 县 `Xianid`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(rename = "Shengid")]
    pub province_id: i64,
    /// Required in uploads; optional in downloads.
    #[serde(rename = "Shiid", skip_serializing_if = "Option::is_none")]
    pub city_id: Option<i64>,
    #[serde(rename = "Xianid", skip_serializing_if = "Option::is_none")]
    pub county_id: Option<i64>,
    #[serde(rename = "Xxdz", skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// 证件信息 `<Zj>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// 证件类型 `Zjlx` (see [`super::mapping::CertificateType`]).
    #[serde(rename = "Zjlx")]
    pub kind: u32,
    #[serde(rename = "Zjhm")]
    pub number: PersonalData,
    /// 证件住所 `Zjzs`.
    #[serde(rename = "Zjzs")]
    pub residence: String,
}

/// A field that one format requires and another leaves optional: whether to leave it out
/// when writing (an `Option` that is `None`; a required value never is).
pub trait Presence {
    fn is_absent(&self) -> bool;
}

impl<T> Presence for Option<T> {
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl Presence for i64 {
    fn is_absent(&self) -> bool {
        false
    }
}

impl Presence for PersonalData {
    fn is_absent(&self) -> bool {
        false
    }
}

/// 负责人 `<Fzr>` / `<Wz_Fzr>` of an upload: mobile and e-mail required. The website's
/// responsible person must have a name.
pub type Responsible = Person<PersonalData>;

/// 负责人 in the registry's data (downloads): everything optional but the e-mail of a
/// sponsor and the name of a website's responsible person (the caller fills those).
pub type RegisteredResponsible = Person<Option<PersonalData>>;

/// 负责人 `<Fzr>` / `<Wz_Fzr>`, with `Fzr_sjhm` and `Fzr_dzyj` of type `C` (see
/// [`Responsible`] and [`RegisteredResponsible`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Person<C: Presence> {
    #[serde(rename = "Fzr_xm", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 办公室电话 `Fzr_dhhm`, several separated by `;`.
    #[serde(rename = "Fzr_dhhm", skip_serializing_if = "Option::is_none")]
    pub office_phone: Option<PersonalData>,
    /// 手机号码 `Fzr_sjhm`.
    #[serde(rename = "Fzr_sjhm", skip_serializing_if = "Presence::is_absent")]
    pub mobile: C,
    /// 电子邮件 `Fzr_dzyj`.
    #[serde(rename = "Fzr_dzyj", skip_serializing_if = "Presence::is_absent")]
    pub email: C,
    #[serde(rename = "Msn", skip_serializing_if = "Option::is_none")]
    pub msn: Option<PersonalData>,
    #[serde(rename = "Qq", skip_serializing_if = "Option::is_none")]
    pub qq: Option<PersonalData>,
    #[serde(rename = "Fzr_zjlx", skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<u32>,
    #[serde(rename = "Fzr_zjhm", skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<PersonalData>,
}

/// 前置或专项审批内容 `<Nrlx>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PreApprovals {
    #[serde(rename = "Nrlx_xx", default)]
    pub items: Vec<PreApproval>,
}

/// `<Nrlx_xx>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreApproval {
    /// 内容类型 `Nrlx_id`.
    #[serde(rename = "Nrlx_id")]
    pub kind: u32,
    /// 前置审批号 `Qzsph`.
    #[serde(rename = "Qzsph")]
    pub number: String,
    /// 审批文件扫描件 `Spwj`: base64 JPG, 1 to 10.
    #[serde(rename = "Spwj", default)]
    pub scans: Vec<String>,
}

/// 网站服务内容 `<Fwnr>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceContents {
    #[serde(rename = "Fwnr_id", default)]
    pub ids: Vec<u32>,
}

/// 网站语言类别 `<Yylb>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Languages {
    #[serde(rename = "Yylb_id", default)]
    pub ids: Vec<u32>,
}

/// 服务器放置地点 `<Wzfb>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServerLocations {
    #[serde(rename = "Fbdd", default)]
    pub ids: Vec<u32>,
}

/// 网站接入方式 `<Wzjrfs>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AccessMethods {
    #[serde(rename = "Jrfs", default)]
    pub ids: Vec<u32>,
}

/// `<Ym_xx>` naming the provider's id `IspYmid` (type `P`) and the registry's `Ymid` (type
/// `R`); a new domain in an upload has no `Ymid` at all ([`super::upload::NewDomain`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Domain<P: Presence, R: Presence> {
    #[serde(rename = "IspYmid", skip_serializing_if = "Presence::is_absent")]
    pub isp_domain_id: P,
    #[serde(rename = "Ymid", skip_serializing_if = "Presence::is_absent")]
    pub id: R,
    #[serde(rename = "Ym")]
    pub domain: String,
}

/// `<Ip_xx>`: an IPv4 range as 32-bit numbers (`Qsip`, `Zzip`), with the provider's id
/// `IspIpid` (type `P`) and the registry's `Ipid` (type `R`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpRange<P: Presence, R: Presence> {
    #[serde(rename = "IspIpid", skip_serializing_if = "Presence::is_absent")]
    pub isp_ip_id: P,
    #[serde(rename = "Ipid", skip_serializing_if = "Presence::is_absent")]
    pub id: R,
    #[serde(rename = "Qsip")]
    pub start: u32,
    #[serde(rename = "Zzip")]
    pub end: u32,
}
