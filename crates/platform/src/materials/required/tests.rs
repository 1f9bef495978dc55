use beian_core::kind::FilingKind as K;
use beian_core::province::Province;
use beian_core::rules::rules_for;
use beian_core::sponsor::{CertificateType as C, SponsorNature as N};
use chrono::{TimeZone, Utc};

use super::*;
use crate::materials::kind::MaterialKind as M;

fn rules(kind: K, domain_certificate: bool) -> ProvinceRules {
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).single();
    let mut rules = rules_for(Province::ZHEJIANG, kind, at.unwrap_or_default());
    rules.domain_certificate = domain_certificate;
    rules
}

/// (nature, certificate type, kind, rules ask the domain certificate, website responsible is
/// the sponsor's, pre-approvals declared, expected)
type Case = (N, C, K, bool, bool, bool, &'static [M]);

const ORG_SAME: &[M] = &[
    M::BusinessLicense,
    M::SponsorIdFront,
    M::SponsorIdBack,
    M::VerificationForm,
];

const CASES: &[Case] = &[
    // An enterprise, same responsible person for sponsor and website: licence, one ID, form.
    (
        N::Enterprise,
        C::CreditCode,
        K::FirstFiling,
        false,
        true,
        false,
        ORG_SAME,
    ),
    (
        N::Enterprise,
        C::CreditCode,
        K::NewWebsite,
        false,
        true,
        false,
        ORG_SAME,
    ),
    (
        N::Government,
        C::CreditCode,
        K::NewAccess,
        false,
        true,
        false,
        ORG_SAME,
    ),
    (
        N::SocialGroup,
        C::CreditCode,
        K::ContinueAccess,
        false,
        true,
        false,
        ORG_SAME,
    ),
    (
        N::Military,
        C::MilitaryUnitCode,
        K::NewWebsiteElsewhereSponsor,
        false,
        true,
        false,
        ORG_SAME,
    ),
    // Another website responsible person: their ID too.
    (
        N::Enterprise,
        C::CreditCode,
        K::FirstFiling,
        false,
        false,
        false,
        &[
            M::BusinessLicense,
            M::SponsorIdFront,
            M::SponsorIdBack,
            M::WebsiteOwnerIdFront,
            M::WebsiteOwnerIdBack,
            M::VerificationForm,
        ],
    ),
    // The rules ask for the domain certificate; pre-approvals declared.
    (
        N::Institution,
        C::CreditCode,
        K::FirstFiling,
        true,
        true,
        true,
        &[
            M::BusinessLicense,
            M::SponsorIdFront,
            M::SponsorIdBack,
            M::VerificationForm,
            M::DomainCertificate,
            M::PreApproval,
        ],
    ),
    // An individual: their ID is the sponsor's; no licence.
    (
        N::Individual,
        C::ResidentId,
        K::FirstFiling,
        false,
        true,
        false,
        &[M::SponsorIdFront, M::SponsorIdBack, M::VerificationForm],
    ),
    // A passport has no back side.
    (
        N::Individual,
        C::Passport,
        K::NewAccess,
        true,
        true,
        false,
        &[M::SponsorIdFront, M::VerificationForm, M::DomainCertificate],
    ),
    (
        N::Individual,
        C::HkMacaoPermit,
        K::FirstFiling,
        false,
        false,
        false,
        &[
            M::SponsorIdFront,
            M::SponsorIdBack,
            M::WebsiteOwnerIdFront,
            M::WebsiteOwnerIdBack,
            M::VerificationForm,
        ],
    ),
    // Changes: sponsor data needs the sponsor's documents; access data only the form.
    (
        N::Enterprise,
        C::CreditCode,
        K::ChangeSponsor,
        true,
        false,
        true,
        ORG_SAME,
    ),
    (
        N::Enterprise,
        C::CreditCode,
        K::ChangeWebsite,
        true,
        false,
        false,
        &[
            M::BusinessLicense,
            M::SponsorIdFront,
            M::SponsorIdBack,
            M::WebsiteOwnerIdFront,
            M::WebsiteOwnerIdBack,
            M::VerificationForm,
            M::DomainCertificate,
        ],
    ),
    (
        N::Enterprise,
        C::CreditCode,
        K::ChangeAccess,
        true,
        false,
        true,
        &[M::VerificationForm],
    ),
    // Cancellations: the sponsor's identity only; cancel access nothing at all.
    (
        N::Enterprise,
        C::CreditCode,
        K::CancelSponsor,
        true,
        false,
        true,
        &[M::BusinessLicense, M::SponsorIdFront, M::SponsorIdBack],
    ),
    (
        N::Individual,
        C::ResidentId,
        K::CancelWebsite,
        true,
        false,
        true,
        &[M::SponsorIdFront, M::SponsorIdBack],
    ),
    (
        N::Enterprise,
        C::CreditCode,
        K::CancelAccess,
        true,
        false,
        true,
        &[],
    ),
    (
        N::Individual,
        C::ResidentId,
        K::CancelAccess,
        false,
        true,
        false,
        &[],
    ),
];

#[test]
fn required_sets_by_case() {
    for (i, &(nature, certificate, kind, domain_cert, same, pre, expected)) in
        CASES.iter().enumerate()
    {
        let got = required_materials(
            nature,
            certificate,
            kind,
            &rules(kind, domain_cert),
            same,
            pre,
            PersonFacts::default(),
        );
        assert_eq!(got, expected, "case {i}: {nature} {certificate} {kind}");
    }
}

#[test]
fn never_asks_twice_never_the_photo_and_is_in_canonical_order() {
    for kind in K::ALL {
        for nature in N::ALL {
            for certificate in C::ALL {
                for flags in 0..8u8 {
                    let got = required_materials(
                        nature,
                        certificate,
                        kind,
                        &rules(kind, flags & 1 != 0),
                        flags & 2 != 0,
                        flags & 4 != 0,
                        PersonFacts::default(),
                    );
                    let mut sorted = got.clone();
                    sorted.sort();
                    sorted.dedup();
                    assert_eq!(got, sorted, "{kind} {nature} {certificate} {flags}");
                    assert!(!got.contains(&M::Photo));
                    assert!(!got.contains(&M::AuthorizationLetter));
                    // A kind that ends with this provider hosting a website always needs the form.
                    if kind.needs_product() {
                        assert!(got.contains(&M::VerificationForm), "{kind}");
                    }
                }
            }
        }
    }
}
