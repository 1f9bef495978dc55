//! Tests of [`super::decide`]: every row of the DESIGN.md §4 table, every refusal, and the
//! order in which the checks apply.

use super::*;
use crate::i18n::{self, Locale, Localized};
use crate::sponsor::{Certificate, CertificateType, SponsorNature};

const US: ProviderId = ProviderId(1001);
const THEM: ProviderId = ProviderId(2002);
const NUMBER: &str = "浙ICP备2021012345号";
const OTHER_NUMBER: &str = "浙ICP备2019000001号";
const NAME: &str = "杭州示例科技有限公司（滨江）";

fn claim() -> SponsorClaim {
    SponsorClaim {
        province: Province::ZHEJIANG,
        nature: SponsorNature::Enterprise,
        certificate: Certificate::new(CertificateType::CreditCode, "91330106MA2B1234XY"),
        name: NAME.to_owned(),
    }
}

fn known() -> Option<RegistrySponsor> {
    Some(RegistrySponsor {
        sponsor_number: NUMBER.to_owned(),
        name: Some(NAME.to_owned()),
        nature: Some(SponsorNature::Enterprise),
        certificate_type: Some(CertificateType::CreditCode),
        province: Some(Province::ZHEJIANG),
    })
}

fn known_with(edit: impl FnOnce(&mut RegistrySponsor)) -> Option<RegistrySponsor> {
    let mut sponsor = known();
    if let Some(s) = sponsor.as_mut() {
        edit(s);
    }
    sponsor
}

fn site(sponsor_number: &str, providers: &[ProviderId]) -> Option<RegistryWebsite> {
    Some(RegistryWebsite {
        sponsor_number: sponsor_number.to_owned(),
        access_providers: providers.to_vec(),
    })
}

fn records(filed_here: bool, accessed_here: bool, open: Option<&str>) -> OurRecords {
    OurRecords {
        sponsor_filed_here: filed_here,
        domain_accessed_here: accessed_here,
        open_order: open.map(str::to_owned),
        account_sponsor: None,
    }
}

fn facts(
    sponsor: Option<RegistrySponsor>,
    website: Option<RegistryWebsite>,
    records: OurRecords,
) -> FilingFacts {
    FilingFacts {
        claim: claim(),
        registry: RegistryAnswer { sponsor, website },
        records,
        this_provider: US,
    }
}

fn mismatch(fields: &[SponsorField]) -> Result<FilingKind, FilingRefusal> {
    Err(FilingRefusal::SponsorMismatch {
        fields: fields.to_vec(),
    })
}

fn in_progress(id: &str) -> Result<FilingKind, FilingRefusal> {
    Err(FilingRefusal::OrderInProgress {
        order_id: id.to_owned(),
    })
}

#[test]
fn every_row_of_the_table() {
    use FilingKind::*;
    use FilingRefusal::*;
    let cases: Vec<(&str, FilingFacts, Result<FilingKind, FilingRefusal>)> = vec![
        // The kinds.
        (
            "sponsor unknown, domain not filed",
            facts(None, None, records(false, false, None)),
            Ok(FirstFiling),
        ),
        (
            "sponsor filed here, domain not filed",
            facts(known(), None, records(true, false, None)),
            Ok(NewWebsite),
        ),
        (
            "sponsor filed elsewhere, domain not filed",
            facts(known(), None, records(false, false, None)),
            Ok(NewWebsiteElsewhereSponsor),
        ),
        (
            "sponsor filed elsewhere, its domain hosted elsewhere",
            facts(known(), site(NUMBER, &[THEM]), records(false, false, None)),
            Ok(NewAccess),
        ),
        (
            "sponsor filed elsewhere, its domain hosted nowhere",
            facts(known(), site(NUMBER, &[]), records(false, false, None)),
            Ok(NewAccess),
        ),
        (
            "sponsor filed here, its domain hosted elsewhere",
            facts(known(), site(NUMBER, &[THEM]), records(true, false, None)),
            Ok(ContinueAccess),
        ),
        // Already hosted here.
        (
            "registry lists our access",
            facts(
                known(),
                site(NUMBER, &[THEM, US]),
                records(true, false, None),
            ),
            Err(DomainAccessedHere),
        ),
        (
            "our records list our access before the registry does",
            facts(known(), site(NUMBER, &[THEM]), records(false, true, None)),
            Err(DomainAccessedHere),
        ),
        // Another sponsor's domain.
        (
            "domain under another sponsor number",
            facts(
                known(),
                site(OTHER_NUMBER, &[THEM]),
                records(true, false, None),
            ),
            Err(DomainOfOtherSponsor),
        ),
        (
            "domain filed, applicant's certificate not in the registry",
            facts(None, site(NUMBER, &[THEM]), records(false, false, None)),
            Err(DomainOfOtherSponsor),
        ),
        // Certificate known, details differ.
        (
            "name differs",
            facts(
                known_with(|s| s.name = Some("杭州另一家科技有限公司".into())),
                None,
                records(true, false, None),
            ),
            mismatch(&[SponsorField::Name]),
        ),
        (
            "nature and certificate type differ",
            facts(
                known_with(|s| {
                    s.nature = Some(SponsorNature::Institution);
                    s.certificate_type = Some(CertificateType::MilitaryUnitCode);
                }),
                site(NUMBER, &[THEM]),
                records(false, false, None),
            ),
            mismatch(&[SponsorField::Nature, SponsorField::CertificateType]),
        ),
        (
            "filed at another bureau",
            facts(
                known_with(|s| s.province = Some(Province::SHANGHAI)),
                None,
                records(false, false, None),
            ),
            mismatch(&[SponsorField::Province]),
        ),
        (
            "name differs only in full-width forms and spaces",
            facts(
                known_with(|s| s.name = Some(" 杭州示例科技有限公司(滨江)".into())),
                None,
                records(true, false, None),
            ),
            Ok(NewWebsite),
        ),
        (
            "registry did not return the details: nothing to compare",
            facts(
                known_with(|s| {
                    s.name = None;
                    s.nature = None;
                    s.certificate_type = None;
                    s.province = None;
                }),
                None,
                records(false, false, None),
            ),
            Ok(NewWebsiteElsewhereSponsor),
        ),
        // An order in progress blocks every kind.
        (
            "continue access while an order is open",
            facts(
                known(),
                site(NUMBER, &[THEM]),
                records(true, false, Some("o-17")),
            ),
            in_progress("o-17"),
        ),
        (
            "new access while an order is open",
            facts(
                known(),
                site(NUMBER, &[THEM]),
                records(false, false, Some("o-18")),
            ),
            in_progress("o-18"),
        ),
        (
            "first filing while an order is open",
            facts(None, None, records(false, false, Some("o-19"))),
            in_progress("o-19"),
        ),
        (
            "new website while an order is open",
            facts(known(), None, records(true, false, Some("o-20"))),
            in_progress("o-20"),
        ),
        // The registry outranks stale records of ours.
        (
            "our records say filed here, registry does not know the sponsor",
            facts(None, None, records(true, true, None)),
            Ok(FirstFiling),
        ),
        // Precedence.
        (
            "mismatch comes before another sponsor's domain",
            facts(
                known_with(|s| s.name = Some("别家公司".into())),
                site(OTHER_NUMBER, &[US]),
                records(false, false, Some("o-1")),
            ),
            mismatch(&[SponsorField::Name]),
        ),
        (
            "another sponsor's domain comes before 'hosted here'",
            facts(
                known(),
                site(OTHER_NUMBER, &[US]),
                records(true, true, None),
            ),
            Err(DomainOfOtherSponsor),
        ),
        (
            "'hosted here' comes before an open order",
            facts(
                known(),
                site(NUMBER, &[US]),
                records(true, false, Some("o-2")),
            ),
            Err(DomainAccessedHere),
        ),
    ];
    for (name, facts, expected) in cases {
        assert_eq!(decide(&facts), expected, "{name}");
    }
}

#[test]
fn an_account_holds_one_sponsor() {
    let cases = [
        (
            Certificate::new(CertificateType::CreditCode, "91330106MA2B9999XY"),
            Err(FilingRefusal::AccountHasOtherSponsor),
        ),
        (
            Certificate::new(CertificateType::ResidentId, "91330106MA2B1234XY"),
            Err(FilingRefusal::AccountHasOtherSponsor),
        ),
        (
            Certificate::new(CertificateType::CreditCode, "91330106ma2b1234xy"),
            Ok(FilingKind::NewWebsite),
        ),
    ];
    for (held, expected) in cases {
        // It comes first, before the mismatch and the open order.
        let mut f = facts(known(), None, records(true, false, None));
        f.records.account_sponsor = Some(held.clone());
        assert_eq!(decide(&f), expected, "{held:?}");
        if expected.is_err() {
            f.registry.sponsor = known_with(|s| s.name = Some("别家公司".into()));
            f.records.open_order = Some("o-3".into());
            assert_eq!(decide(&f), expected, "{held:?} before the others");
        }
    }
}

#[test]
fn codes_are_the_api_codes_and_messages_exist() {
    let refusals = [
        (FilingRefusal::DomainAccessedHere, "domain_accessed_here"),
        (
            FilingRefusal::DomainOfOtherSponsor,
            "domain_of_other_sponsor",
        ),
        (
            FilingRefusal::SponsorMismatch {
                fields: vec![SponsorField::Name, SponsorField::Province],
            },
            "sponsor_mismatch",
        ),
        (
            FilingRefusal::OrderInProgress {
                order_id: "o-9".into(),
            },
            "order_in_progress",
        ),
        (
            FilingRefusal::AccountHasOtherSponsor,
            "account_has_other_sponsor",
        ),
        (
            FilingRefusal::SiteCapReached {
                cap: 30,
                websites: 30,
            },
            "site_cap_reached",
        ),
    ];
    for (refusal, code) in &refusals {
        assert_eq!(refusal.code(), *code);
        assert!(i18n::has_key(refusal.message_key()), "{code}");
        for locale in Locale::ALL {
            let text = refusal.localize(locale);
            assert!(!text.contains('{'), "{locale} {code}: {text}");
            assert_ne!(text, refusal.message_key());
        }
    }
    for field in [
        SponsorField::Name,
        SponsorField::Nature,
        SponsorField::CertificateType,
        SponsorField::Province,
    ] {
        assert!(i18n::has_key(field.message_key()), "{field:?}");
    }
}

#[test]
fn messages_say_what_the_applicant_needs() {
    let mismatch = FilingRefusal::SponsorMismatch {
        fields: vec![SponsorField::Name, SponsorField::Province],
    };
    let zh = mismatch.localize(Locale::ZhCn);
    assert!(zh.contains("与原备案信息不一致"), "{zh}");
    assert!(zh.contains("主办者名称、"), "{zh}");
    let en = mismatch.localize(Locale::En);
    assert!(en.contains("original filing"), "{en}");
    assert_eq!(
        mismatch.fields(),
        [SponsorField::Name, SponsorField::Province]
    );
    assert_eq!(SponsorField::Name.path(), "sponsor.name");

    let open = FilingRefusal::OrderInProgress {
        order_id: "o-42".into(),
    };
    assert!(open.localize(Locale::ZhCn).contains("o-42"));
    assert!(open.localize(Locale::En).contains("o-42"));
}
