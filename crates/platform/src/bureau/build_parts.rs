//! The small conversions the upload builder ([`super::build`]) shares: a person, an
//! address, languages, the access (location, method, IP ranges) and a material's format
//! and purpose, from the forms' names to the interface's codes.

use std::net::Ipv4Addr;

use base64::Engine;
use beian_core::province::Province;
use beian_miit::v3::mapping::{
    AccessMethod, AttachmentFormat, AttachmentPurpose, CertificateType, Language, division_code,
};
use beian_miit::v3::personal::PersonalData;
use beian_miit::v3::upload::{
    AccessMethods, Address, Languages, NewIpRange, Responsible, ServerLocations,
};

use super::build::BuildError;
use crate::workflow::{Forms, PersonForm};

pub(super) fn certificate_code(api: &str, what: &'static str) -> Result<u32, BuildError> {
    CertificateType::from_api(api)
        .map(CertificateType::code)
        .map_err(|_| BuildError::NoCode {
            what,
            value: api.to_owned(),
        })
}

pub(super) fn optional(s: &str) -> Option<PersonalData> {
    let s = s.trim();
    (!s.is_empty()).then(|| PersonalData::new(s))
}

pub(super) fn responsible(p: &PersonForm) -> Result<Responsible, BuildError> {
    Ok(Responsible {
        name: Some(p.name.clone()),
        office_phone: optional(&p.office_phone),
        mobile: PersonalData::new(p.mobile.trim()),
        email: PersonalData::new(p.email.trim()),
        msn: None,
        qq: None,
        certificate_type: Some(certificate_code(
            &p.certificate_type,
            "responsible person's certificate type",
        )?),
        certificate_number: optional(&p.certificate_number),
    })
}

pub(super) fn address(province: Province, detail: &str) -> Address {
    let code = division_code(province);
    Address {
        province_id: code,
        city_id: Some(code + 100),
        county_id: None,
        detail: Some(detail.to_owned()),
    }
}

pub(super) fn languages(forms: &Forms) -> Languages {
    let mut ids: Vec<u32> = forms
        .website
        .languages
        .iter()
        .map(|l| match l.as_str() {
            "zh_cn" => Language::Chinese,
            "zh_tw" => Language::ChineseTraditional,
            "en" => Language::English,
            "ja" => Language::Japanese,
            "ko" => Language::Korean,
            _ => Language::Other,
        })
        .map(Language::code)
        .collect();
    ids.dedup();
    if ids.is_empty() {
        ids.push(Language::Chinese.code());
    }
    Languages { ids }
}

pub(super) fn province_location(province: Province) -> ServerLocations {
    ServerLocations {
        ids: vec![province.code().parse().unwrap_or(0)],
    }
}

pub(super) fn cloud() -> AccessMethods {
    AccessMethods {
        ids: vec![AccessMethod::CloudServer.code()],
    }
}

pub(super) fn ip_ranges(ips: &[Ipv4Addr], base: i64) -> Result<Vec<NewIpRange>, BuildError> {
    if ips.is_empty() {
        return Err(BuildError::NoAccessIp);
    }
    Ok(ips
        .iter()
        .enumerate()
        .map(|(i, ip)| NewIpRange {
            isp_ip_id: base + i64::try_from(i).unwrap_or(0),
            start: u32::from(*ip),
            end: u32::from(*ip),
        })
        .collect())
}

/// `Fjwjgs` of a content type.
pub(super) fn format_of(content_type: &str) -> u32 {
    match content_type {
        "image/png" => AttachmentFormat::Png,
        "application/pdf" => AttachmentFormat::Pdf,
        _ => AttachmentFormat::Jpg,
    }
    .code()
}

/// Whether a material belongs to the sponsor (else to the website).
pub(super) fn sponsor_material(kind: &str) -> bool {
    matches!(
        kind,
        "business_license" | "sponsor_id_front" | "sponsor_id_back"
    )
}

pub(super) fn purpose_of(kind: &str) -> Result<u32, BuildError> {
    AttachmentPurpose::from_api_name(kind)
        .map(AttachmentPurpose::code)
        .map_err(|_| BuildError::NoCode {
            what: "material kind",
            value: kind.to_owned(),
        })
}

pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
