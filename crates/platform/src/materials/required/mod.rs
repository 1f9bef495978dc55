//! Which materials an order must carry before it can be submitted (上传资料): decided by the
//! sponsor's nature and certificate type, the filing kind, the province's rules in force and
//! two facts of the website form.
//!
//! The reasoning, from the seeds ("公司营业执照、主体负责人身份证件、网站负责人身份证件、网站备案信息
//! 真实性核验单"; "如果当地管局备案规则要求提交域名证书"):
//! - An organisation sponsor shows its certificate ([`MaterialKind::BusinessLicense`], which
//!   stands for whatever certificate carries its code) and its responsible person's ID
//!   (`sponsor_id_*`). An individual sponsor is their own responsible person: their ID is the
//!   `sponsor_id_*` pair and there is no licence.
//! - The website responsible person's ID (`website_owner_id_*`) is asked only when that person
//!   is not the sponsor's responsible person: the same ID is never asked twice.
//! - An ID has a back side except a passport or an officer's ID (one photo page); for an
//!   organisation we do not know the responsible person's certificate type here and ask both.
//! - Every kind that files or re-files a website (the five kinds that end with this provider
//!   hosting it, and the three change kinds) needs the signed verification form.
//! - The domain certificate where [`ProvinceRules::domain_certificate`] says so; pre-approval
//!   documents (前置审批) when the website declares any.
//! - 取消接入 needs nothing: the seed proves it with an SMS code and the filing password.
//! - 注销主体 / 注销网站 (argued, not in the seeds): no website is filed, so no form, but the
//!   bureau must know that the sponsor itself asks, so the sponsor's certificate and its
//!   responsible person's ID.
//! - The province variants (issue 18, [`ProvinceRules`]): a residence permit for an individual
//!   whose ID was issued in another province, where the bureau asks for one; in Jiangsu since
//!   2021-06-01 the responsible person's 责任告知书 and 承诺书 for every kind that files data,
//!   and the 法人授权书 ([`MaterialKind::AuthorizationLetter`]) when an organisation's
//!   responsible person is not (or is not said to be) its legal representative.
//! - Otherwise the authorisation letter is never required, and the photo has its own step
//!   (`POST /orders/{id}/photo`), so it is not listed.

use beian_core::kind::FilingKind;
use beian_core::rules::ProvinceRules;
use beian_core::sponsor::{CertificateType, SponsorNature};

use super::kind::MaterialKind;

/// What the province variants look at about the sponsor's persons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonFacts {
    /// An individual sponsor whose resident ID was issued in another province.
    pub outside_home_province: bool,
    /// Whether an organisation's responsible person is its legal representative (`None`: not
    /// said).
    pub responsible_is_legal_representative: Option<bool>,
}

/// The materials an order must carry, in [`MaterialKind::ALL`] order, without repeats.
pub fn required_materials(
    nature: SponsorNature,
    certificate_type: CertificateType,
    kind: FilingKind,
    rules: &ProvinceRules,
    website_responsible_is_sponsor_responsible: bool,
    has_pre_approvals: bool,
    persons: PersonFacts,
) -> Vec<MaterialKind> {
    let mut needed = Vec::new();
    let sponsor_documents = |needed: &mut Vec<MaterialKind>| {
        if nature != SponsorNature::Individual {
            needed.push(MaterialKind::BusinessLicense);
        }
        needed.push(MaterialKind::SponsorIdFront);
        if nature != SponsorNature::Individual || has_back_side(certificate_type) {
            needed.push(MaterialKind::SponsorIdBack);
        }
        if rules.residence_permit
            && nature == SponsorNature::Individual
            && persons.outside_home_province
        {
            needed.push(MaterialKind::ResidencePermit);
        }
    };
    let truthfulness = |needed: &mut Vec<MaterialKind>| {
        if rules.truthfulness_documents {
            needed.extend([
                MaterialKind::TruthfulnessNotice,
                MaterialKind::TruthfulnessCommitment,
            ]);
            if nature != SponsorNature::Individual
                && persons.responsible_is_legal_representative != Some(true)
            {
                needed.push(MaterialKind::AuthorizationLetter);
            }
        }
    };
    let website_documents = |needed: &mut Vec<MaterialKind>| {
        if !website_responsible_is_sponsor_responsible {
            needed.extend([
                MaterialKind::WebsiteOwnerIdFront,
                MaterialKind::WebsiteOwnerIdBack,
            ]);
        }
        if rules.domain_certificate {
            needed.push(MaterialKind::DomainCertificate);
        }
        if has_pre_approvals {
            needed.push(MaterialKind::PreApproval);
        }
    };
    match kind {
        FilingKind::FirstFiling
        | FilingKind::NewWebsite
        | FilingKind::NewWebsiteElsewhereSponsor
        | FilingKind::NewAccess
        | FilingKind::ContinueAccess
        | FilingKind::ChangeWebsite => {
            sponsor_documents(&mut needed);
            website_documents(&mut needed);
            truthfulness(&mut needed);
            needed.push(MaterialKind::VerificationForm);
        }
        FilingKind::ChangeSponsor => {
            sponsor_documents(&mut needed);
            truthfulness(&mut needed);
            needed.push(MaterialKind::VerificationForm);
        }
        FilingKind::ChangeAccess => {
            truthfulness(&mut needed);
            needed.push(MaterialKind::VerificationForm);
        }
        FilingKind::CancelSponsor | FilingKind::CancelWebsite => sponsor_documents(&mut needed),
        FilingKind::CancelAccess => {}
    }
    needed.sort();
    needed.dedup();
    needed
}

/// Whether an individual's certificate of this type has a back side worth scanning.
fn has_back_side(certificate_type: CertificateType) -> bool {
    !matches!(
        certificate_type,
        CertificateType::Passport | CertificateType::MilitaryOfficerId
    )
}

#[cfg(test)]
mod tests;
