//! The parts both formats share: address, certificate, responsible person, and the lists
//! of code-table ids (前置审批, 服务内容, 语言类别, 分布地点, 接入方式).

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

/// 负责人 `<Fzr>` / `<Wz_Fzr>`. The website's responsible person must have a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Responsible {
    #[serde(rename = "Fzr_xm", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 办公室电话 `Fzr_dhhm`, several separated by `;`.
    #[serde(rename = "Fzr_dhhm", skip_serializing_if = "Option::is_none")]
    pub office_phone: Option<PersonalData>,
    /// 手机号码 `Fzr_sjhm`.
    #[serde(rename = "Fzr_sjhm")]
    pub mobile: PersonalData,
    /// 电子邮件 `Fzr_dzyj`.
    #[serde(rename = "Fzr_dzyj")]
    pub email: PersonalData,
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
