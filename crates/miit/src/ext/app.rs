//! APP filing over the enterprise interface: beian's extension `urn:beian:miit-ext:app:1`
//! (schema `crates/miit/xsd/ext/app-upload-1.xsd`, described in
//! `docs/interface-extensions.md`).
//!
//! V3.0 (2013) has no APP fields and no later specification is public, so this is the
//! smallest extension we could define: a second upload document, `<AppUploadData>` in our own
//! namespace, sent through the same `isp_upload` with the same codec and `dataSequence` as a
//! V3.0 `<UploadData>`. A receiver tells the two apart by the root element
//! ([`is_app_upload`]). Results come back in V3.0's download format (the record id
//! `IspAppid` in place of a website's id, the `-NA` number as the website number).
//!
//! A real 4.0 interface may well differ: it would likely put APP records inside `UploadData`
//! beside `Wzxx`, with code tables for platforms, and carry the icon as a V3.0 attachment.

use serde::{Deserialize, Serialize};

use crate::v3::xml::XmlError;

/// The extension's namespace, versioned in its last segment.
pub const NAMESPACE: &str = "urn:beian:miit-ext:app:1";
/// The `version` attribute of every document of this namespace.
pub const VERSION: &str = "1.0";

/// What a record asks for: the seven kinds, for an APP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AppOperation {
    /// 首次备案: a new sponsor with its APP (`Zt` carries the sponsor).
    #[serde(rename = "XZBA")]
    FirstFiling,
    /// 新增APP: a filed sponsor (`Ztbah`) adds an APP.
    #[serde(rename = "XZAPP")]
    NewApp,
    /// 新增接入: a filed APP (`Appbah`) gains this provider's access.
    #[serde(rename = "XZJR")]
    NewAccess,
    /// 继续接入.
    #[serde(rename = "JXJR")]
    ContinueAccess,
    /// 取消接入.
    #[serde(rename = "QXJR")]
    CancelAccess,
    /// 变更APP: new data (`App`) for a filed APP (`Appbah`).
    #[serde(rename = "BGAPP")]
    Change,
    /// 注销APP.
    #[serde(rename = "ZXAPP")]
    Cancel,
}

impl AppOperation {
    /// Whether the record must carry the APP's data.
    pub fn carries_app(self) -> bool {
        matches!(
            self,
            AppOperation::FirstFiling | AppOperation::NewApp | AppOperation::Change
        )
    }

    /// Whether the record names a filed APP by its number.
    pub fn names_app(self) -> bool {
        !matches!(self, AppOperation::FirstFiling | AppOperation::NewApp)
    }

    /// Whether the record must carry `ICPmm`, the sponsor's filing password hashed (as
    /// V3.0's 取消接入 does).
    pub fn carries_password(self) -> bool {
        self == AppOperation::CancelAccess
    }
}

/// A person (`Fzr`), as V3.0 spells one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPerson {
    #[serde(rename = "Xm")]
    pub name: String,
    /// 证件类型, V3.0's code.
    #[serde(rename = "Zjlx")]
    pub certificate_type: u32,
    #[serde(rename = "Zjhm")]
    pub certificate_number: String,
    #[serde(rename = "Sjhm")]
    pub mobile: String,
    #[serde(rename = "Dzyj", skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
}

impl std::fmt::Debug for AppPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppPerson")
            .field("certificate_type", &self.certificate_type)
            .finish_non_exhaustive()
    }
}

/// A sponsor not yet in the registry (`Zt`, first filing only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSponsor {
    #[serde(rename = "Dwmc")]
    pub name: String,
    /// 单位性质, V3.0's code.
    #[serde(rename = "Dwxz")]
    pub nature: u32,
    #[serde(rename = "Zjlx")]
    pub certificate_type: u32,
    #[serde(rename = "Zjhm")]
    pub certificate_number: String,
    /// GB/T 2260 two-digit province code.
    #[serde(rename = "Sheng")]
    pub province: String,
    #[serde(rename = "Txdz")]
    pub address: String,
    #[serde(rename = "Fzr")]
    pub responsible: AppPerson,
}

/// One platform's 特征信息 (`Pt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformFeatures {
    /// `android`, `ios` or `harmony`.
    #[serde(rename = "Ptlx")]
    pub platform: String,
    /// 包名 / Bundle ID.
    #[serde(rename = "Bm")]
    pub package: String,
    /// 公钥: PEM, or a fingerprint as lower-case hex.
    #[serde(rename = "Gy")]
    pub public_key: String,
    /// 签名摘要, lower-case hex.
    #[serde(rename = "Qmzy")]
    pub signature_digest: String,
}

/// `Tzxx`: the platforms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    #[serde(rename = "Pt", default)]
    pub platforms: Vec<PlatformFeatures>,
}

/// `Tb`: the icon, base64, with its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Icon {
    /// `image/png` or `image/jpeg`.
    #[serde(rename = "@type")]
    pub mime: String,
    #[serde(rename = "$text")]
    pub base64: String,
}

/// `App`: the APP's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    #[serde(rename = "Appmc")]
    pub name: String,
    #[serde(rename = "Fwnr")]
    pub service_content: String,
    #[serde(rename = "Fzr")]
    pub responsible: AppPerson,
    #[serde(rename = "Tzxx")]
    pub features: Features,
    #[serde(rename = "Tb", skip_serializing_if = "Option::is_none", default)]
    pub icon: Option<Icon>,
}

/// `Appxx`: one record. Either `Zt` (a new sponsor) or `Ztbah` (a filed one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRecord {
    #[serde(rename = "Czlx")]
    pub operation: AppOperation,
    /// The provider's record id, echoed in results.
    #[serde(rename = "IspAppid")]
    pub record_id: i64,
    #[serde(rename = "Zt", skip_serializing_if = "Option::is_none", default)]
    pub sponsor: Option<AppSponsor>,
    #[serde(rename = "Ztbah", skip_serializing_if = "Option::is_none", default)]
    pub sponsor_number: Option<String>,
    #[serde(rename = "Appbah", skip_serializing_if = "Option::is_none", default)]
    pub app_number: Option<String>,
    /// `ICPmm`: the lower-case hex MD5 of the sponsor's filing password, as V3.0 spells it
    /// ([`crate::v3::auth::icp_password_hash`]); 取消接入 (`QXJR`) only.
    #[serde(rename = "ICPmm", skip_serializing_if = "Option::is_none", default)]
    pub password_hash: Option<String>,
    #[serde(rename = "App", skip_serializing_if = "Option::is_none", default)]
    pub app: Option<AppInfo>,
}

/// `<AppUploadData xmlns="urn:beian:miit-ext:app:1" version="1.0">`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "AppUploadData")]
pub struct AppUploadData {
    #[serde(rename = "@xmlns")]
    pub namespace: String,
    #[serde(rename = "@version")]
    pub version: String,
    #[serde(rename = "Appxx", default)]
    pub records: Vec<AppRecord>,
    /// 请求单位ID: the provider's `ispId`.
    #[serde(rename = "Qqdwid")]
    pub requester_id: i64,
}

/// Why an extension document was refused after parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppUploadError {
    #[error("not in the namespace {NAMESPACE}: {found}")]
    Namespace { found: String },
    #[error("extension version {found} is not {VERSION}")]
    Version { found: String },
    #[error("no records, or more than 1000")]
    RecordCount,
    #[error("record {record_id}: {problem}")]
    Record {
        record_id: i64,
        problem: &'static str,
    },
}

impl AppUploadData {
    /// A document of this version from `requester_id` carrying `records`.
    pub fn new(requester_id: i64, records: Vec<AppRecord>) -> AppUploadData {
        AppUploadData {
            namespace: NAMESPACE.to_owned(),
            version: VERSION.to_owned(),
            records,
            requester_id,
        }
    }

    /// The checks the schema cannot express: the namespace and version, and per record the
    /// parts its operation needs (a sponsor for a first filing, a sponsor number otherwise;
    /// the APP's data for a filing or change; the APP's number for an operation on a filed APP;
    /// one entry per platform).
    pub fn check(&self) -> Result<(), AppUploadError> {
        if self.namespace != NAMESPACE {
            return Err(AppUploadError::Namespace {
                found: self.namespace.chars().take(80).collect(),
            });
        }
        if self.version.trim() != VERSION {
            return Err(AppUploadError::Version {
                found: self.version.chars().take(20).collect(),
            });
        }
        if self.records.is_empty() || self.records.len() > 1000 {
            return Err(AppUploadError::RecordCount);
        }
        for r in &self.records {
            let bad = |problem| AppUploadError::Record {
                record_id: r.record_id,
                problem,
            };
            let first = r.operation == AppOperation::FirstFiling;
            if first != r.sponsor.is_some() || first == r.sponsor_number.is_some() {
                return Err(bad(
                    "a first filing carries Zt, every other operation Ztbah",
                ));
            }
            if r.operation.carries_app() != r.app.is_some() {
                return Err(bad("App is carried by XZBA, XZAPP and BGAPP only"));
            }
            if r.operation.names_app() != r.app_number.is_some() {
                return Err(bad("Appbah names the filed APP of every other operation"));
            }
            if r.operation.carries_password() != r.password_hash.is_some() {
                return Err(bad("ICPmm is carried by QXJR only"));
            }
            if let Some(app) = &r.app {
                let mut seen: Vec<&str> = Vec::new();
                for p in &app.features.platforms {
                    if seen.contains(&p.platform.as_str()) {
                        return Err(bad("a platform is listed twice"));
                    }
                    seen.push(&p.platform);
                }
                if seen.is_empty() {
                    return Err(bad("at least one platform"));
                }
            }
        }
        Ok(())
    }
}

/// Whether decoded upload text is an extension document rather than a V3.0 `UploadData`.
pub fn is_app_upload(text: &str) -> bool {
    let body = text.trim_start();
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, b)| b).trim_start(),
        None => body,
    };
    body.starts_with("<AppUploadData")
}

/// Parses and checks an extension document.
pub fn parse(text: &str) -> Result<AppUploadData, XmlError> {
    let doc: AppUploadData = crate::v3::xml::from_xml_str(text)?;
    doc.check().map_err(|e| XmlError::Syntax(e.to_string()))?;
    Ok(doc)
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
