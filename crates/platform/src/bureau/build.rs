//! The V3.0 upload of one order (or one cancel-access request), built from what the order
//! holds: its kind, its forms, the registry's numbers, its materials and the access (IP
//! address of the product instance). A pure function: [`build`] takes an [`UploadInput`]
//! and returns the `UploadData` with the result identifier `Bs` the bureau's result will
//! carry, so the poller can find the order again.
//!
//! Provider-side ids (`IspZtid`, `IspWzid`, `IspYmid`, `IspJrid`, `IspIpid`) are derived from
//! the upload's `dataSequence` (`sequence·10 + n`), unique per upload. The materials (核验材料)
//! travel inside the operation's `Fj` list, each owned by the sponsor or the website.
//!
//! Defaults where the forms hold less than the schema asks (documented, see the mapping
//! module of `beian-miit`): the city is the province's capital division (`xx0100`), the
//! service content is code 1 (网站服务), the server location is the province, the access
//! method is 云主机.

use std::net::Ipv4Addr;

use beian_core::kind::FilingKind;
use beian_core::province::Province;
use beian_miit::v3::codes::{AttachmentOwner, CancelCategory, FilingMode, OperationType};
use beian_miit::v3::mapping::SponsorNature;
use beian_miit::v3::personal::{PersonalData, Secret};
use beian_miit::v3::upload::{
    Attachment, AttachmentOwnerRef, AttachmentSlot, Cancellation, Cancellations, Certificate,
    Change, ChangedAccess, ChangedDomain, ChangedIpRange, ChangedSponsor, ChangedWebsite, Changes,
    FirstFiling, FirstFilingAttachment, FirstFilingAttachmentOwner, FirstFilingAttachmentSlot,
    FirstFilings, IcpUpload, NewAccess, NewAccessInfo, NewAccesses, NewDomain, NewSponsor,
    NewWebsite, NewWebsiteInfo, NewWebsites, RecordRef, ServiceContents, SponsorRef, UploadData,
    WebsiteRef,
};

use super::build_parts::{
    address, b64, certificate_code, cloud, format_of, ip_ranges, languages, province_location,
    purpose_of, responsible, sponsor_material,
};
use crate::workflow::Forms;

/// One material file of the order.
#[derive(Clone, PartialEq, Eq)]
pub struct MaterialFile {
    /// API.md material kind (`business_license`, …).
    pub kind: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for MaterialFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaterialFile")
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// Registry ids (`Ztid`, `Wzid`, `Jrid`) of the records an operation names, when known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryIds {
    pub sponsor: Option<i64>,
    pub website: Option<i64>,
    pub access: Option<i64>,
}

/// Everything an upload is built from.
#[derive(Debug, Clone)]
pub struct UploadInput<'a> {
    pub kind: FilingKind,
    pub isp_id: i64,
    pub province: Province,
    /// The upload's `dataSequence` (the provider-side ids derive from it).
    pub sequence: i64,
    pub forms: &'a Forms,
    pub sponsor_number: Option<&'a str>,
    pub website_number: Option<&'a str>,
    pub registry_ids: RegistryIds,
    pub materials: &'a [MaterialFile],
    /// The public IPv4 addresses the site is hosted on.
    pub ips: &'a [Ipv4Addr],
    /// `ICPmm` (hex MD5 of the filing password) for the kinds that need it.
    pub password_hash: Option<Secret>,
}

/// A built upload: the document, its operation and the `Bs` its result will carry.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltUpload {
    pub data: UploadData,
    pub operation: OperationType,
    pub subject: String,
}

/// Why an order cannot be turned into an upload (a data problem: retrying will not help).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the {what} has no V3.0 code: {value}")]
    NoCode { what: &'static str, value: String },
    #[error("the {0} filing number is missing")]
    MissingNumber(&'static str),
    #[error("the registry id of the {0} is not known")]
    MissingRegistryId(&'static str),
    #[error("the filing password hash (ICPmm) is missing")]
    MissingPassword,
    #[error("no public IPv4 address for the access")]
    NoAccessIp,
}

/// The provider-side ids of an upload.
struct IspIds {
    sponsor: i64,
    website: i64,
    domain: i64,
    access: i64,
    ip: i64,
}

impl IspIds {
    fn of(sequence: i64) -> IspIds {
        let base = sequence.saturating_mul(10);
        IspIds {
            sponsor: base + 1,
            website: base + 2,
            domain: base + 3,
            access: base + 4,
            ip: base + 5,
        }
    }
}

fn new_sponsor(input: &UploadInput<'_>, ids: &IspIds) -> Result<NewSponsor, BuildError> {
    let s = &input.forms.sponsor;
    Ok(NewSponsor {
        isp_sponsor_id: ids.sponsor,
        name: s.identity.name.clone(),
        nature: Some(
            SponsorNature::from_api_name(&s.identity.nature)
                .map(SponsorNature::code)
                .map_err(|_| BuildError::NoCode {
                    what: "sponsor nature",
                    value: s.identity.nature.clone(),
                })?,
        ),
        investor: Some(s.identity.name.clone()),
        address: address(input.province, &s.address),
        certificate: Certificate {
            kind: certificate_code(&s.identity.certificate_type, "sponsor certificate type")?,
            number: PersonalData::new(s.identity.certificate_number.trim()),
            residence: s.address.clone(),
        },
        responsible: responsible(&s.responsible)?,
        filing_mode: FilingMode::ByProvider,
        remark: None,
    })
}

fn new_website_info(input: &UploadInput<'_>, ids: &IspIds) -> Result<NewWebsiteInfo, BuildError> {
    let w = &input.forms.website;
    Ok(NewWebsiteInfo {
        isp_website_id: ids.website,
        name: w.name.clone(),
        pre_approvals: None,
        service_content: ServiceContents { ids: vec![1] },
        languages: languages(input.forms),
        domains: vec![NewDomain {
            isp_domain_id: ids.domain,
            domain: w.domain.trim().to_ascii_lowercase(),
        }],
        accesses: vec![NewAccessInfo {
            isp_access_id: ids.access,
            locations: province_location(input.province),
            methods: cloud(),
            ips: ip_ranges(input.ips, ids.ip)?,
        }],
        responsible: responsible(&w.responsible)?,
        home_url: Some(w.home_url.clone()).filter(|u| !u.trim().is_empty()),
        remark: None,
    })
}

/// The materials as attachments naming registry records (`Jlid` or `Baxh`); with
/// `all_to_sponsor` every one is the sponsor's (新增网站: the website has no number yet).
fn attachments(
    input: &UploadInput<'_>,
    all_to_sponsor: bool,
) -> Result<Vec<AttachmentSlot>, BuildError> {
    input
        .materials
        .iter()
        .map(|m| {
            let sponsor = all_to_sponsor || sponsor_material(&m.kind);
            let record = if sponsor {
                RecordRef {
                    id: input.registry_ids.sponsor,
                    icp_number: input
                        .registry_ids
                        .sponsor
                        .is_none()
                        .then(|| input.sponsor_number.map(str::to_owned))
                        .flatten(),
                }
            } else {
                RecordRef {
                    id: input.registry_ids.website,
                    icp_number: input
                        .registry_ids
                        .website
                        .is_none()
                        .then(|| input.website_number.map(str::to_owned))
                        .flatten(),
                }
            };
            Ok(AttachmentSlot {
                attachment: Attachment {
                    format: format_of(&m.content_type),
                    purpose: purpose_of(&m.kind)?,
                    content: b64(&m.bytes),
                    owner: AttachmentOwnerRef {
                        kind: if sponsor {
                            AttachmentOwner::Sponsor
                        } else {
                            AttachmentOwner::Website
                        },
                        record,
                    },
                    remark: None,
                },
            })
        })
        .collect()
}

fn password(input: &UploadInput<'_>) -> Result<Secret, BuildError> {
    input
        .password_hash
        .clone()
        .ok_or(BuildError::MissingPassword)
}

fn need<'a>(v: Option<&'a str>, what: &'static str) -> Result<&'a str, BuildError> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(BuildError::MissingNumber(what))
}

/// Builds the upload of `input`.
pub fn build(input: &UploadInput<'_>) -> Result<BuiltUpload, BuildError> {
    let ids = IspIds::of(input.sequence);
    let mut icp = IcpUpload {
        requester_id: input.isp_id,
        ..IcpUpload::default()
    };
    let (operation, subject) = match input.kind {
        FilingKind::FirstFiling => {
            let attachments = input
                .materials
                .iter()
                .map(|m| {
                    let sponsor = sponsor_material(&m.kind);
                    Ok(FirstFilingAttachmentSlot {
                        attachment: FirstFilingAttachment {
                            format: format_of(&m.content_type),
                            purpose: purpose_of(&m.kind)?,
                            content: b64(&m.bytes),
                            owner: FirstFilingAttachmentOwner {
                                kind: if sponsor {
                                    AttachmentOwner::Sponsor
                                } else {
                                    AttachmentOwner::Website
                                },
                                isp_id: if sponsor { ids.sponsor } else { ids.website },
                            },
                            remark: None,
                        },
                    })
                })
                .collect::<Result<_, BuildError>>()?;
            icp.first_filings = Some(FirstFilings {
                items: vec![FirstFiling {
                    sponsor: new_sponsor(input, &ids)?,
                    websites: vec![new_website_info(input, &ids)?],
                    attachments,
                }],
            });
            (OperationType::FirstFiling, ids.sponsor.to_string())
        }
        FilingKind::NewWebsite | FilingKind::NewWebsiteElsewhereSponsor => {
            let number = need(input.sponsor_number, "sponsor")?;
            let password_hash = match input.kind {
                FilingKind::NewWebsiteElsewhereSponsor => Some(password(input)?),
                _ => None,
            };
            icp.new_websites = Some(NewWebsites {
                items: vec![NewWebsite {
                    sponsor: SponsorRef {
                        icp_number: Some(number.to_owned()),
                        id: None,
                    },
                    websites: vec![new_website_info(input, &ids)?],
                    attachments: attachments(input, true)?,
                    password_hash,
                }],
            });
            (OperationType::NewWebsite, number.to_owned())
        }
        FilingKind::NewAccess | FilingKind::ContinueAccess => {
            let number = need(input.website_number, "website")?;
            icp.new_accesses = Some(NewAccesses {
                items: vec![NewAccess {
                    website: WebsiteRef {
                        icp_number: Some(number.to_owned()),
                        id: None,
                    },
                    isp_access_id: ids.access,
                    locations: province_location(input.province),
                    methods: cloud(),
                    ips: ip_ranges(input.ips, ids.ip)?,
                    attachments: attachments(input, false)?,
                    password_hash: password(input)?,
                }],
            });
            (OperationType::NewAccess, number.to_owned())
        }
        FilingKind::ChangeSponsor | FilingKind::ChangeWebsite | FilingKind::ChangeAccess => {
            let change = change(input, &ids)?;
            let subject = change.sponsor.id.to_string();
            icp.changes = Some(Changes {
                items: vec![change],
            });
            (OperationType::Change, subject)
        }
        FilingKind::CancelSponsor | FilingKind::CancelWebsite | FilingKind::CancelAccess => {
            let (category, record, operation, what) = match input.kind {
                FilingKind::CancelSponsor => (
                    CancelCategory::Sponsor,
                    input.registry_ids.sponsor,
                    OperationType::CancelSponsor,
                    "sponsor",
                ),
                FilingKind::CancelWebsite => (
                    CancelCategory::Website,
                    input.registry_ids.website,
                    OperationType::CancelWebsite,
                    "website",
                ),
                _ => (
                    CancelCategory::Access,
                    input.registry_ids.access,
                    OperationType::CancelAccess,
                    "access",
                ),
            };
            let record_id = record.ok_or(BuildError::MissingRegistryId(what))?;
            let password_hash = match category {
                CancelCategory::Website => input.password_hash.clone(),
                _ => Some(password(input)?),
            };
            icp.cancellations = Some(Cancellations {
                items: vec![Cancellation {
                    category,
                    record_id,
                    // 注销理由: 1 (the applicant's own request) in beian's default table.
                    reason: 1,
                    reason_remark: None,
                    password_hash,
                }],
            });
            (operation, record_id.to_string())
        }
    };
    Ok(BuiltUpload {
        data: UploadData::icp(icp),
        operation,
        subject,
    })
}

/// 变更备案: the whole corrected record of the sponsor, its website and this provider's
/// access (the schema asks for all three: `Wz_xx`, `Jr_xx` and `Ip_xx` are required). The
/// bureau reviews each part on its own (see [`change_parts`]).
fn change(input: &UploadInput<'_>, ids: &IspIds) -> Result<Change, BuildError> {
    let sponsor_id = input
        .registry_ids
        .sponsor
        .ok_or(BuildError::MissingRegistryId("sponsor"))?;
    let website_id = input
        .registry_ids
        .website
        .ok_or(BuildError::MissingRegistryId("website"))?;
    let access_id = input
        .registry_ids
        .access
        .ok_or(BuildError::MissingRegistryId("access"))?;
    let s = new_sponsor(input, ids)?;
    let w = &input.forms.website;
    Ok(Change {
        sponsor: ChangedSponsor {
            id: sponsor_id,
            name: s.name,
            icp_number: need(input.sponsor_number, "sponsor")?.to_owned(),
            nature: s.nature,
            investor: s.investor,
            address: s.address,
            certificate: s.certificate,
            responsible: s.responsible,
            remark: None,
        },
        websites: vec![ChangedWebsite {
            id: website_id,
            name: w.name.clone(),
            pre_approvals: None,
            service_content: ServiceContents { ids: vec![1] },
            languages: languages(input.forms),
            domains: vec![ChangedDomain {
                isp_domain_id: ids.domain,
                id: Some(website_id),
                domain: w.domain.trim().to_ascii_lowercase(),
            }],
            accesses: vec![ChangedAccess {
                id: access_id,
                locations: province_location(input.province),
                methods: cloud(),
                ips: ip_ranges(input.ips, ids.ip)?
                    .into_iter()
                    .map(|r| ChangedIpRange {
                        isp_ip_id: r.isp_ip_id,
                        id: None,
                        start: r.start,
                        end: r.end,
                    })
                    .collect(),
            }],
            responsible: responsible(&w.responsible)?,
            icp_number: need(input.website_number, "website")?.to_owned(),
            home_url: Some(w.home_url.clone()).filter(|u| !u.trim().is_empty()),
            remark: None,
        }],
        attachments: attachments(input, false)?,
        password_hash: None,
    })
}

/// How many results the bureau sends for an upload of `kind`: a change (one sponsor, one
/// website, one access, see [`change`]) is reviewed part by part, everything else as one.
pub fn change_parts(kind: FilingKind) -> usize {
    match kind {
        FilingKind::ChangeSponsor | FilingKind::ChangeWebsite | FilingKind::ChangeAccess => 3,
        _ => 1,
    }
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
