//! 验证备案类型: deciding the [`FilingKind`] of a new order from what the applicant typed,
//! what the national registry answers (`isp_querybeianstatus` by certificate and by domain)
//! and what our own records say (DESIGN.md §4). A pure function: the server gathers the
//! facts into [`FilingFacts`] and calls [`decide`].
//!
//! The checks run in this order, the first that applies wins:
//!
//! 1. the account already holds another sponsor → `account_has_other_sponsor`;
//! 2. the registry knows the certificate but its recorded name, nature, certificate type or
//!    province differs from what was typed → `sponsor_mismatch` (the seed warns that the kind
//!    would otherwise be judged wrongly, so we refuse rather than guess);
//! 3. the domain is filed under another sponsor (a different sponsor number, or the
//!    certificate is not in the registry at all) → `domain_of_other_sponsor`;
//! 4. the domain is filed and this provider already hosts it (the registry lists our access,
//!    or our records do) → `domain_accessed_here`;
//! 5. the sponsor has an order in progress here → `order_in_progress` (for every kind: DESIGN
//!    says one sponsor has at most one order in progress);
//! 6. otherwise the kind, by the table of DESIGN.md §4.
//!
//! The registry is the authority on what is filed: if our records say the sponsor filed here
//! or the domain is hosted here but the registry no longer knows the sponsor or the domain
//! (e.g. the filing was cancelled), our records are stale and the registry's answer decides.
//!
//! The change and cancel kinds (变更, 注销, 取消接入) are not decided here: they start from
//! an existing filing the applicant picks on their sponsor page.

use std::fmt;

use crate::i18n::{Locale, Localized, render};
use crate::kind::FilingKind;
use crate::province::Province;
use crate::sponsor::{Certificate, CertificateType, SponsorNature};

/// A provider as the registry identifies it: the `ispId` of the MIIT interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderId(pub u64);

/// What the applicant typed about the sponsor (the `sponsor` body of a filing check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorClaim {
    pub province: Province,
    pub nature: SponsorNature,
    pub certificate: Certificate,
    pub name: String,
}

/// The registry's record of a sponsor, found by its certificate. Fields the registry did not
/// return are `None` and are not compared (the V3 interface itself returns only the sponsor
/// number; the simulator and a richer answer may say more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySponsor {
    /// 主体备案号, e.g. `浙ICP备2021012345号`: how the registry names the sponsor.
    pub sponsor_number: String,
    pub name: Option<String>,
    pub nature: Option<SponsorNature>,
    pub certificate_type: Option<CertificateType>,
    /// The province whose bureau holds the filing (the abbreviation of the number).
    pub province: Option<Province>,
}

/// The registry's record of a website, found by its domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryWebsite {
    /// 主体备案号 of the sponsor the website is filed under.
    pub sponsor_number: String,
    /// The providers with an access record for the website.
    pub access_providers: Vec<ProviderId>,
}

/// What the registry answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistryAnswer {
    /// By certificate: `None` when the sponsor is not filed.
    pub sponsor: Option<RegistrySponsor>,
    /// By domain: `None` when the domain is not filed.
    pub website: Option<RegistryWebsite>,
}

/// What our own records say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OurRecords {
    /// The sponsor has a successful filing through this provider.
    pub sponsor_filed_here: bool,
    /// We host the domain (an access record of ours, even if the registry has not caught up).
    pub domain_accessed_here: bool,
    /// The id of the sponsor's order in progress, if any.
    pub open_order: Option<String>,
    /// The sponsor the applicant's account already holds, if any.
    pub account_sponsor: Option<Certificate>,
}

/// Everything [`decide`] looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingFacts {
    pub claim: SponsorClaim,
    pub registry: RegistryAnswer,
    pub records: OurRecords,
    /// This deployment's provider.
    pub this_provider: ProviderId,
}

/// A sponsor field that differs from the original filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SponsorField {
    Name,
    Nature,
    CertificateType,
    Province,
}

impl SponsorField {
    /// The field's path in the API body, for the error's `fields` map.
    pub fn path(self) -> &'static str {
        match self {
            SponsorField::Name => "sponsor.name",
            SponsorField::Nature => "sponsor.nature",
            SponsorField::CertificateType => "sponsor.certificate_type",
            SponsorField::Province => "sponsor.province",
        }
    }
}

impl Localized for SponsorField {
    fn message_key(&self) -> &'static str {
        match self {
            SponsorField::Name => "filing.sponsor_field.name",
            SponsorField::Nature => "filing.sponsor_field.nature",
            SponsorField::CertificateType => "filing.sponsor_field.certificate_type",
            SponsorField::Province => "filing.sponsor_field.province",
        }
    }
}

/// Why no kind could be decided. [`FilingRefusal::code`] is the API's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilingRefusal {
    #[error("the domain is already hosted by this provider")]
    DomainAccessedHere,
    #[error("the domain is filed under another sponsor")]
    DomainOfOtherSponsor,
    #[error("the sponsor does not match the original filing ({fields:?})")]
    SponsorMismatch { fields: Vec<SponsorField> },
    #[error("the sponsor has an order in progress ({order_id})")]
    OrderInProgress { order_id: String },
    #[error("the account already holds another sponsor")]
    AccountHasOtherSponsor,
    /// The province caps a sponsor's websites (陕: 30) and the sponsor holds that many.
    #[error("the sponsor already holds {websites} websites; the bureau allows at most {cap}")]
    SiteCapReached { cap: u32, websites: u32 },
}

impl FilingRefusal {
    /// The snake-case code API.md names.
    pub fn code(&self) -> &'static str {
        match self {
            FilingRefusal::DomainAccessedHere => "domain_accessed_here",
            FilingRefusal::DomainOfOtherSponsor => "domain_of_other_sponsor",
            FilingRefusal::SponsorMismatch { .. } => "sponsor_mismatch",
            FilingRefusal::OrderInProgress { .. } => "order_in_progress",
            FilingRefusal::AccountHasOtherSponsor => "account_has_other_sponsor",
            FilingRefusal::SiteCapReached { .. } => "site_cap_reached",
        }
    }

    /// The fields that differ, for a field-level error (empty for other refusals).
    pub fn fields(&self) -> &[SponsorField] {
        match self {
            FilingRefusal::SponsorMismatch { fields } => fields,
            _ => &[],
        }
    }
}

impl Localized for FilingRefusal {
    fn message_key(&self) -> &'static str {
        match self {
            FilingRefusal::DomainAccessedHere => "filing.domain_accessed_here",
            FilingRefusal::DomainOfOtherSponsor => "filing.domain_of_other_sponsor",
            FilingRefusal::SponsorMismatch { .. } => "filing.sponsor_mismatch",
            FilingRefusal::OrderInProgress { .. } => "filing.order_in_progress",
            FilingRefusal::AccountHasOtherSponsor => "filing.account_has_other_sponsor",
            FilingRefusal::SiteCapReached { .. } => "filing.site_cap_reached",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            FilingRefusal::OrderInProgress { order_id } => vec![("order_id", order_id.clone())],
            FilingRefusal::SiteCapReached { cap, websites } => {
                vec![("cap", cap.to_string()), ("websites", websites.to_string())]
            }
            FilingRefusal::SponsorMismatch { fields } => vec![(
                "fields",
                fields
                    .iter()
                    .map(|f| f.path())
                    .collect::<Vec<_>>()
                    .join(", "),
            )],
            _ => Vec::new(),
        }
    }

    /// As the default, but the differing fields are named in `locale`.
    fn localize(&self, locale: Locale) -> String {
        let mut args = self.message_args();
        if let FilingRefusal::SponsorMismatch { fields } = self {
            let separator = match locale {
                Locale::ZhCn => "、",
                Locale::En => ", ",
            };
            let names: Vec<String> = fields.iter().map(|f| f.localize(locale)).collect();
            args = vec![("fields", names.join(separator))];
        }
        render(locale, self.message_key(), &args)
    }
}

/// 验证备案类型: the kind of the order, or why there can be none. See the module doc for
/// the order of the checks.
pub fn decide(facts: &FilingFacts) -> Result<FilingKind, FilingRefusal> {
    let claim = &facts.claim;
    let records = &facts.records;

    if let Some(held) = &records.account_sponsor
        && !held.same_as(&claim.certificate)
    {
        return Err(FilingRefusal::AccountHasOtherSponsor);
    }

    let sponsor = facts.registry.sponsor.as_ref();
    if let Some(sponsor) = sponsor {
        let fields = mismatched_fields(claim, sponsor);
        if !fields.is_empty() {
            return Err(FilingRefusal::SponsorMismatch { fields });
        }
    }

    if let Some(website) = &facts.registry.website {
        let same_sponsor = sponsor
            .is_some_and(|s| same_sponsor_number(&s.sponsor_number, &website.sponsor_number));
        if !same_sponsor {
            return Err(FilingRefusal::DomainOfOtherSponsor);
        }
        if records.domain_accessed_here || website.access_providers.contains(&facts.this_provider) {
            return Err(FilingRefusal::DomainAccessedHere);
        }
        refuse_if_open(records)?;
        return Ok(if records.sponsor_filed_here {
            FilingKind::ContinueAccess
        } else {
            FilingKind::NewAccess
        });
    }

    refuse_if_open(records)?;
    Ok(match sponsor {
        None => FilingKind::FirstFiling,
        Some(_) if records.sponsor_filed_here => FilingKind::NewWebsite,
        Some(_) => FilingKind::NewWebsiteElsewhereSponsor,
    })
}

fn refuse_if_open(records: &OurRecords) -> Result<(), FilingRefusal> {
    match &records.open_order {
        Some(order_id) => Err(FilingRefusal::OrderInProgress {
            order_id: order_id.clone(),
        }),
        None => Ok(()),
    }
}

fn mismatched_fields(claim: &SponsorClaim, recorded: &RegistrySponsor) -> Vec<SponsorField> {
    let mut fields = Vec::new();
    if recorded
        .name
        .as_deref()
        .is_some_and(|name| !same_name(name, &claim.name))
    {
        fields.push(SponsorField::Name);
    }
    if recorded.nature.is_some_and(|n| n != claim.nature) {
        fields.push(SponsorField::Nature);
    }
    if recorded
        .certificate_type
        .is_some_and(|t| t != claim.certificate.certificate_type)
    {
        fields.push(SponsorField::CertificateType);
    }
    if recorded.province.is_some_and(|p| p != claim.province) {
        fields.push(SponsorField::Province);
    }
    fields
}

/// Names are compared after removing white space and folding full-width forms to their ASCII
/// counterparts (`（` → `(`, `Ａ` → `A`) and ASCII letters to one case: these differences
/// come from typing, not from a different sponsor. Anything else must match exactly.
fn same_name(a: &str, b: &str) -> bool {
    normalise_name(a) == normalise_name(b)
}

fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match u32::from(c) {
            cp @ 0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn same_sponsor_number(a: &str, b: &str) -> bool {
    a.trim() == b.trim()
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
#[path = "filing_tests.rs"]
mod tests;
