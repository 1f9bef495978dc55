//! The kinds of material (备案资料) an order carries, with the snake-case names API.md uses
//! for the `kind` part of `POST /api/v1/orders/{id}/materials`. Their display names live in
//! `crates/core/messages/materials.toml` under `materials.kind.<name>`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One kind of uploaded material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialKind {
    /// The organisation sponsor's certificate: 营业执照, or for other natures the registration
    /// certificate that carries the credit code (事业单位法人证书, 社会团体法人登记证书, …).
    BusinessLicense,
    /// Front of the sponsor responsible person's ID (for an individual sponsor: their own).
    SponsorIdFront,
    /// Back of the same.
    SponsorIdBack,
    /// Front of the website responsible person's ID, when another person than the sponsor's.
    WebsiteOwnerIdFront,
    /// Back of the same.
    WebsiteOwnerIdBack,
    /// 网站备案信息真实性核验单, printed, signed, scanned.
    VerificationForm,
    /// 域名证书, where the bureau's rules ask for it.
    DomainCertificate,
    /// 授权书, when someone signs on the sponsor's behalf: Jiangsu's 法人授权书 when the
    /// responsible persons are not the legal representative; otherwise never required.
    AuthorizationLetter,
    /// 居住证, for an individual filing outside the province of their ID where the bureau
    /// asks for it.
    ResidencePermit,
    /// 《ICP备案信息真实性责任告知书》, signed by the responsible person (Jiangsu since 2021-06-01).
    TruthfulnessNotice,
    /// 《ICP备案信息真实性承诺书》, signed by the responsible person (Jiangsu since 2021-06-01).
    TruthfulnessCommitment,
    /// 前置审批 documents, when the website declares pre-approvals.
    PreApproval,
    /// The responsible person's backdrop photo (拍照核验); uploaded at its own step.
    Photo,
    /// An APP's icon (APP备案, issue 18): PNG or JPEG, at most 100 KB.
    AppIcon,
}

impl MaterialKind {
    pub const ALL: [MaterialKind; 14] = [
        MaterialKind::BusinessLicense,
        MaterialKind::SponsorIdFront,
        MaterialKind::SponsorIdBack,
        MaterialKind::WebsiteOwnerIdFront,
        MaterialKind::WebsiteOwnerIdBack,
        MaterialKind::VerificationForm,
        MaterialKind::DomainCertificate,
        MaterialKind::AuthorizationLetter,
        MaterialKind::ResidencePermit,
        MaterialKind::TruthfulnessNotice,
        MaterialKind::TruthfulnessCommitment,
        MaterialKind::PreApproval,
        MaterialKind::Photo,
        MaterialKind::AppIcon,
    ];

    /// The snake-case name used in the API and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialKind::BusinessLicense => "business_license",
            MaterialKind::SponsorIdFront => "sponsor_id_front",
            MaterialKind::SponsorIdBack => "sponsor_id_back",
            MaterialKind::WebsiteOwnerIdFront => "website_owner_id_front",
            MaterialKind::WebsiteOwnerIdBack => "website_owner_id_back",
            MaterialKind::VerificationForm => "verification_form",
            MaterialKind::DomainCertificate => "domain_certificate",
            MaterialKind::AuthorizationLetter => "authorization_letter",
            MaterialKind::ResidencePermit => "residence_permit",
            MaterialKind::TruthfulnessNotice => "truthfulness_notice",
            MaterialKind::TruthfulnessCommitment => "truthfulness_commitment",
            MaterialKind::PreApproval => "pre_approval",
            MaterialKind::Photo => "photo",
            MaterialKind::AppIcon => "app_icon",
        }
    }

    pub fn parse(s: &str) -> Option<MaterialKind> {
        MaterialKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The message key of the kind's display name.
    pub fn message_key(self) -> &'static str {
        match self {
            MaterialKind::BusinessLicense => "materials.kind.business_license",
            MaterialKind::SponsorIdFront => "materials.kind.sponsor_id_front",
            MaterialKind::SponsorIdBack => "materials.kind.sponsor_id_back",
            MaterialKind::WebsiteOwnerIdFront => "materials.kind.website_owner_id_front",
            MaterialKind::WebsiteOwnerIdBack => "materials.kind.website_owner_id_back",
            MaterialKind::VerificationForm => "materials.kind.verification_form",
            MaterialKind::DomainCertificate => "materials.kind.domain_certificate",
            MaterialKind::AuthorizationLetter => "materials.kind.authorization_letter",
            MaterialKind::ResidencePermit => "materials.kind.residence_permit",
            MaterialKind::TruthfulnessNotice => "materials.kind.truthfulness_notice",
            MaterialKind::TruthfulnessCommitment => "materials.kind.truthfulness_commitment",
            MaterialKind::PreApproval => "materials.kind.pre_approval",
            MaterialKind::Photo => "materials.kind.photo",
            MaterialKind::AppIcon => "materials.kind.app_icon",
        }
    }
}

impl fmt::Display for MaterialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_api_names_and_round_trip() {
        let api = [
            "business_license",
            "sponsor_id_front",
            "sponsor_id_back",
            "website_owner_id_front",
            "website_owner_id_back",
            "verification_form",
            "domain_certificate",
            "authorization_letter",
            "residence_permit",
            "truthfulness_notice",
            "truthfulness_commitment",
            "pre_approval",
            "photo",
            "app_icon",
        ];
        assert_eq!(MaterialKind::ALL.len(), api.len());
        for (kind, name) in MaterialKind::ALL.into_iter().zip(api) {
            assert_eq!(kind.as_str(), name);
            assert_eq!(MaterialKind::parse(name), Some(kind));
            let json = serde_json::to_string(&kind).ok();
            assert_eq!(json.as_deref(), Some(format!("\"{name}\"").as_str()));
            let back: Option<MaterialKind> = serde_json::from_str(&format!("\"{name}\"")).ok();
            assert_eq!(back, Some(kind));
        }
        assert_eq!(MaterialKind::parse("BusinessLicense"), None);
    }

    #[test]
    fn every_kind_has_a_display_name() {
        for kind in MaterialKind::ALL {
            assert!(
                beian_core::i18n::has_key(kind.message_key()),
                "{}",
                kind.message_key()
            );
        }
    }
}
