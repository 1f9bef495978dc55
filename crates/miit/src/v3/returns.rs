//! The return documents of the methods (§3-3-x-5): `<return version="V.3.0">` with
//! `msg_code`, `msg` and, per method, `dataSequences` (upload, code 14), `fileInfos`
//! (download, previous upload), `StatusInfo` (status query) or `VerifyRes` (password check,
//! which has no schema; it follows the spec's sample).
//!
//! The schemas declare `msg` with `xs:length value="256"`: a conforming `msg` is exactly 256
//! characters. We pad with spaces when writing (longer texts are cut) and trim when reading.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::VERSION;
use super::codes::{FilingStatus, PasswordCheck, QueryConditionType, ReturnCode};

/// The length the schemas fix for `msg`.
pub const MSG_LENGTH: usize = 256;

/// One return document; only the parts the method uses are `Some`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "return")]
pub struct MethodReturn {
    #[serde(rename = "@version")]
    pub version: String,
    pub msg_code: u16,
    #[serde(serialize_with = "pad_msg", deserialize_with = "trim_msg")]
    pub msg: String,
    #[serde(rename = "fileInfos", skip_serializing_if = "Option::is_none")]
    pub file_infos: Option<FileInfos>,
    #[serde(rename = "dataSequences", skip_serializing_if = "Option::is_none")]
    pub data_sequences: Option<DataSequences>,
    #[serde(rename = "StatusInfo", skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
    #[serde(rename = "VerifyRes", skip_serializing_if = "Option::is_none")]
    pub verify_res: Option<PasswordCheck>,
    /// beian's extension of `isp_verifybamm` (after `VerifyRes`, only when the password is
    /// correct): the filing the password unlocks, so that an access filing's forms carry
    /// what the registry holds. The password proves the asker may see it.
    #[serde(rename = "Baxx", default, skip_serializing_if = "Option::is_none")]
    pub filing: Option<FilingRecord>,
}

/// `<Baxx>` (extension): a sponsor's filing as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FilingRecord {
    #[serde(rename = "Zt")]
    pub sponsor: FiledSponsor,
    #[serde(rename = "Wz", default)]
    pub websites: Vec<FiledWebsite>,
}

/// `<Zt>` of `<Baxx>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FiledSponsor {
    #[serde(rename = "Dwmc")]
    pub name: String,
    #[serde(rename = "Txdz", default)]
    pub address: String,
    #[serde(rename = "Fzr")]
    pub responsible: FiledPerson,
}

/// `<Wz>` of `<Baxx>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FiledWebsite {
    #[serde(rename = "Wzmc")]
    pub name: String,
    #[serde(rename = "Ym")]
    pub domain: String,
    #[serde(rename = "Syurl", default)]
    pub home_url: String,
    #[serde(rename = "Fwnr", default)]
    pub service_content: String,
    #[serde(rename = "Fzr")]
    pub responsible: FiledPerson,
}

/// `<Fzr>` of `<Baxx>`: a responsible person (personal data: not for logs). The certificate
/// type is the API name (`resident_id`…), empty when the registry has none.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FiledPerson {
    #[serde(rename = "Xm")]
    pub name: String,
    #[serde(rename = "Zjlx", default)]
    pub certificate_type: String,
    #[serde(rename = "Zjhm", default)]
    pub certificate_number: String,
    #[serde(rename = "Sjhm", default)]
    pub mobile: String,
    #[serde(rename = "Dzyj", default)]
    pub email: String,
}

impl std::fmt::Debug for FiledPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FiledPerson").finish_non_exhaustive()
    }
}

impl MethodReturn {
    /// Drops beian's extension elements (`<Baxx>`, `<Ztsf>`): what a client that did not ask
    /// for them gets, exactly the spec's return.
    pub fn strip_extensions(&mut self) {
        self.filing = None;
        if let Some(info) = &mut self.status_info {
            info.sponsor = None;
        }
    }

    /// A bare return with `code` and its description.
    pub fn of(code: ReturnCode) -> MethodReturn {
        MethodReturn {
            version: VERSION.to_owned(),
            msg_code: code.code(),
            msg: code.description_zh().to_owned(),
            file_infos: None,
            data_sequences: None,
            status_info: None,
            verify_res: None,
            filing: None,
        }
    }

    /// Code 14 with the missing sequence numbers.
    pub fn sequence_gap(missing: &[u32]) -> MethodReturn {
        MethodReturn {
            data_sequences: Some(DataSequences {
                items: missing.iter().map(u32::to_string).collect(),
            }),
            ..MethodReturn::of(ReturnCode::SequenceGap)
        }
    }

    /// The code as the table knows it (`None` for a code outside the table).
    pub fn code(&self) -> Option<ReturnCode> {
        ReturnCode::from_code(self.msg_code)
    }

    /// The missing sequence numbers of a code-14 return.
    pub fn missing_sequences(&self) -> Vec<u32> {
        self.data_sequences
            .as_ref()
            .map(|d| {
                d.items
                    .iter()
                    .filter_map(|s| s.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn pad_msg<S: Serializer>(msg: &str, s: S) -> Result<S::Ok, S::Error> {
    let mut text: String = msg.chars().take(MSG_LENGTH).collect();
    let n = text.chars().count();
    text.extend(std::iter::repeat_n(' ', MSG_LENGTH - n));
    s.serialize_str(&text)
}

fn trim_msg<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(String::deserialize(d)?.trim().to_owned())
}

/// `<fileInfos>`: an encoded file. `dataSequence` only in the previous-upload return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfos {
    #[serde(rename = "hashAlgorithm")]
    pub hash_algorithm: u8,
    #[serde(rename = "compressionFormat")]
    pub compression_format: u8,
    #[serde(rename = "encryptAlgorithm")]
    pub encrypt_algorithm: u8,
    #[serde(rename = "dataSequence", skip_serializing_if = "Option::is_none")]
    pub data_sequence: Option<u32>,
    #[serde(rename = "return_FileName")]
    pub file_name: String,
    #[serde(rename = "beianInfo")]
    pub beian_info: String,
    #[serde(rename = "beianInfoHash")]
    pub beian_info_hash: String,
}

/// `<dataSequences>` of a code-14 upload return.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DataSequences {
    #[serde(rename = "dataSequence", default)]
    pub items: Vec<String>,
}

/// `<StatusInfo>` of the status query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusInfo {
    /// 查询条件类型 `Cxtjlx`.
    #[serde(rename = "Cxtjlx")]
    pub condition_type: QueryConditionType,
    /// 查询条件 `Cxtj`: the domain or certificate number.
    #[serde(rename = "Cxtj")]
    pub condition: String,
    /// 网站名称, when a website is filed.
    #[serde(rename = "Wzmc", skip_serializing_if = "Option::is_none")]
    pub website_name: Option<String>,
    /// 主体备案号, when filed.
    #[serde(rename = "Ztbah", skip_serializing_if = "Option::is_none")]
    pub sponsor_number: Option<String>,
    /// 网站备案号, when a website is filed.
    #[serde(rename = "Wzbah", skip_serializing_if = "Option::is_none")]
    pub website_number: Option<String>,
    /// 备案状态 `Bazt`.
    #[serde(rename = "Bazt")]
    pub status: FilingStatus,
    /// beian's extension (not in the 2013 schema, after every schema element so a strict
    /// reader can skip it): the sponsor's identity as filed, when a certificate query finds
    /// it. The provider compares it with what the applicant typed (验证备案类型 must refuse a
    /// sponsor that does not match the original filing) and never shows its values.
    #[serde(rename = "Ztsf", default, skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<StatusSponsor>,
}

/// `<Ztsf>` (extension): a filed sponsor's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSponsor {
    /// 主办单位名称 `Dwmc`.
    #[serde(rename = "Dwmc")]
    pub name: String,
    /// 单位性质 `Dwxz` ([`crate::v3::mapping::SponsorNature`] code).
    #[serde(rename = "Dwxz")]
    pub nature: u32,
    /// 证件类型 `Zjlx` ([`crate::v3::mapping::CertificateType`] code).
    #[serde(rename = "Zjlx")]
    pub certificate_type: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v3::xml::{from_xml_str, to_xml_body};

    #[test]
    fn msg_is_padded_to_256_and_trimmed_back() {
        let ret = MethodReturn::sequence_gap(&[501, 502]);
        let xml = to_xml_body(&ret).unwrap();
        let start = xml.find("<msg>").unwrap() + 5;
        let end = xml.find("</msg>").unwrap();
        assert_eq!(xml[start..end].chars().count(), MSG_LENGTH);
        let back: MethodReturn = from_xml_str(&xml).unwrap();
        assert_eq!(back, ret);
        assert_eq!(back.code(), Some(ReturnCode::SequenceGap));
        assert_eq!(back.missing_sequences(), vec![501, 502]);
    }
}
