//! From a V3.0 upload file to the simulator's submissions: each record of `XZBA`, `XZWZ`,
//! `XZJR`, `BGBA`, `ZXBA` and `XZHYD` becomes a [`FilingRequest`] (codes translated with
//! `beian_miit::v3::mapping`), or the processing result code that refuses it before review.
//!
//! Registry ids (`Ztid`, `Wzid`, `Jlid`) are looked up to the numbers the simulator's model
//! uses. `ICPmm` (hex MD5 of the filing password) is passed on as the request's `password`.

use std::net::Ipv4Addr;

use beian_miit::v3::codes::{CancelCategory, OperationType};
use beian_miit::v3::mapping::{AccessMethod, CertificateType, SponsorNature, province_of_division};
use beian_miit::v3::personal::Secret;
use beian_miit::v3::results::ResultCode;
use beian_miit::v3::upload::{
    AccessMethods, Address, Certificate, IcpUpload, NewWebsiteInfo, Responsible, ServiceContents,
};

use beian_core::province::Province;
use beian_miit::ext::app::{AppInfo, AppOperation, AppPerson, AppUploadData};

use crate::model::{
    AccessData, AppData, AppPlatformData, FilingRequest, NewWebsite, Person, SponsorData,
    WebsiteData,
};
use crate::{Error, Regulator};

/// What a submission's `upload_ref` holds: the upload's file name, the operation and the
/// result identifier `Bs` (§4-2-1-6) the download must echo. Written as `file|Czlx|Bs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRef {
    pub file_name: String,
    pub operation: OperationType,
    pub subject: String,
}

impl UploadRef {
    pub fn new(file_name: &str, operation: OperationType, subject: impl Into<String>) -> Self {
        UploadRef {
            file_name: file_name.to_owned(),
            operation,
            subject: subject.into(),
        }
    }

    /// The text stored as the submission's `upload_ref`.
    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}",
            self.file_name,
            self.operation.code(),
            self.subject
        )
    }

    /// Reads [`UploadRef::encode`]'s text; `None` for anything else.
    pub fn parse(text: &str) -> Option<UploadRef> {
        let mut parts = text.splitn(3, '|');
        let file_name = parts.next()?.to_owned();
        let operation = OperationType::from_code(parts.next()?.parse().ok()?)?;
        let subject = parts.next()?.to_owned();
        Some(UploadRef {
            file_name,
            operation,
            subject,
        })
    }
}

/// One record of an upload: what to submit, or why it is refused before review.
#[derive(Debug, Clone)]
pub struct Planned {
    pub reference: UploadRef,
    pub request: Result<FilingRequest, ResultCode>,
}

fn person(r: &Responsible) -> Person {
    Person {
        name: r.name.clone().unwrap_or_default(),
        certificate_type: r
            .certificate_type
            .and_then(|c| CertificateType::from_code(c).ok())
            .map(|c| c.api_name().to_owned())
            .unwrap_or_default(),
        certificate_number: r
            .certificate_number
            .as_ref()
            .map(|n| n.expose().to_owned())
            .unwrap_or_default(),
        mobile: r.mobile.expose().to_owned(),
        email: r.email.expose().to_owned(),
    }
}

fn sponsor_data(
    name: &str,
    nature: Option<u32>,
    address: &Address,
    certificate: &Certificate,
    responsible: &Responsible,
) -> Result<SponsorData, ResultCode> {
    let province =
        province_of_division(address.province_id).map_err(|_| ResultCode::WrongDivisionCode)?;
    let nature = nature
        .and_then(|n| SponsorNature::from_code(n).ok())
        .ok_or(ResultCode::InvalidSponsorNature)?;
    let certificate_type =
        CertificateType::from_code(certificate.kind).map_err(|_| ResultCode::InvalidCertificate)?;
    Ok(SponsorData {
        province,
        nature: nature.api_name().to_owned(),
        certificate_type: certificate_type.api_name().to_owned(),
        certificate_number: certificate.number.expose().trim().to_owned(),
        name: name.to_owned(),
        address: address.detail.clone().unwrap_or_default(),
        responsible: person(responsible),
    })
}

fn website_data(
    name: &str,
    domains: &[&str],
    home_url: Option<&str>,
    service: &ServiceContents,
    responsible: &Responsible,
) -> Result<WebsiteData, ResultCode> {
    // The simulator's model holds one domain per website: the first one listed.
    let domain = domains
        .first()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .ok_or(ResultCode::InvalidDomain)?;
    let home_url = home_url.map_or_else(|| format!("http://{domain}/"), str::to_owned);
    Ok(WebsiteData {
        name: name.to_owned(),
        domain,
        home_url,
        service_content: service
            .ids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
        responsible: person(responsible),
    })
}

fn access_data(methods: &AccessMethods, ranges: impl Iterator<Item = (u32, u32)>) -> AccessData {
    AccessData {
        ips: ranges
            .map(|(a, b)| format!("{}-{}", Ipv4Addr::from(a), Ipv4Addr::from(b)))
            .collect(),
        method: methods
            .ids
            .first()
            .and_then(|&m| AccessMethod::from_code(m).ok())
            .map(|m| m.api_name().to_owned())
            .unwrap_or_default(),
    }
}

fn new_website(info: &NewWebsiteInfo) -> Result<NewWebsite, ResultCode> {
    let domains: Vec<&str> = info.domains.iter().map(|d| d.domain.as_str()).collect();
    let website = website_data(
        &info.name,
        &domains,
        info.home_url.as_deref(),
        &info.service_content,
        &info.responsible,
    )?;
    let access = info.accesses.first().map_or_else(AccessData::default, |a| {
        access_data(&a.methods, a.ips.iter().map(|r| (r.start, r.end)))
    });
    Ok(NewWebsite { website, access })
}

fn password_of(hash: Option<&Secret>) -> String {
    hash.map(|s| s.expose().trim().to_ascii_lowercase())
        .unwrap_or_default()
}

async fn number_of(
    regulator: &Regulator,
    sql: &'static str,
    id: i64,
) -> Result<Option<String>, Error> {
    let mut conn = regulator.pool().acquire().await?;
    Ok(sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

const SPONSOR_NUMBER: &str = "SELECT number FROM sponsors WHERE id = ?";
const WEBSITE_NUMBER: &str = "SELECT number FROM websites WHERE id = ?";
const ACCESS_WEBSITE_NUMBER: &str =
    "SELECT w.number FROM accesses a JOIN websites w ON w.id = a.website_id WHERE a.id = ?";

/// A number given directly, or looked up from a registry id; `missing` when neither leads
/// to a record.
async fn number_or_id(
    regulator: &Regulator,
    number: Option<&str>,
    id: Option<i64>,
    sql: &'static str,
    missing: ResultCode,
) -> Result<Result<String, ResultCode>, Error> {
    if let Some(n) = number.map(str::trim).filter(|n| !n.is_empty()) {
        return Ok(Ok(n.to_owned()));
    }
    let Some(id) = id else {
        return Ok(Err(missing));
    };
    Ok(number_of(regulator, sql, id).await?.ok_or(missing))
}

fn app_person(p: &AppPerson) -> Result<Person, ResultCode> {
    let certificate_type = CertificateType::from_code(p.certificate_type)
        .map_err(|_| ResultCode::InvalidCertificate)?;
    Ok(Person {
        name: p.name.clone(),
        certificate_type: certificate_type.api_name().to_owned(),
        certificate_number: p.certificate_number.trim().to_owned(),
        mobile: p.mobile.trim().to_owned(),
        email: p.email.clone().unwrap_or_default(),
    })
}

fn app_data(app: Option<&AppInfo>) -> Result<AppData, ResultCode> {
    // `AppUploadData::check` made sure the operations that need it carry it.
    let app = app.ok_or(ResultCode::SchemaInvalid)?;
    Ok(AppData {
        name: app.name.trim().to_owned(),
        service_content: app.service_content.clone(),
        platforms: app
            .features
            .platforms
            .iter()
            .map(|p| AppPlatformData {
                platform: p.platform.clone(),
                package: p.package.clone(),
                public_key: p.public_key.clone(),
                signature_digest: p.signature_digest.clone(),
            })
            .collect(),
        responsible: app_person(&app.responsible)?,
    })
}

/// Every record of an APP extension document (`urn:beian:miit-ext:app:1`), in file order.
/// The simulator files 首次备案 (`XZBA`), 新增APP (`XZAPP`), 新增接入 (`XZJR`), 变更APP
/// (`BGAPP`, reported as V3.0's 变更备案), 取消接入 (`QXJR`, as V3.0's 取消接入) and 注销APP
/// (`ZXAPP`, as V3.0's 注销网站); 继续接入 (`JXJR`) as 新增接入. Results are reported
/// under V3.0's operation codes (XZBA as 新增备案, XZAPP as 新增网站), the record id
/// `IspAppid` as the result identifier.
pub fn plan_apps(file_name: &str, doc: &AppUploadData) -> Vec<Planned> {
    doc.records
        .iter()
        .map(|r| {
            let (operation, request) = match r.operation {
                AppOperation::FirstFiling => (
                    OperationType::FirstFiling,
                    r.sponsor
                        .as_ref()
                        .ok_or(ResultCode::SchemaInvalid)
                        .and_then(|s| {
                            let province = Province::parse(&s.province)
                                .map_err(|_| ResultCode::WrongDivisionCode)?;
                            let nature = SponsorNature::from_code(s.nature)
                                .map_err(|_| ResultCode::InvalidSponsorNature)?;
                            let certificate_type = CertificateType::from_code(s.certificate_type)
                                .map_err(|_| ResultCode::InvalidCertificate)?;
                            Ok(SponsorData {
                                province,
                                nature: nature.api_name().to_owned(),
                                certificate_type: certificate_type.api_name().to_owned(),
                                certificate_number: s.certificate_number.trim().to_owned(),
                                name: s.name.trim().to_owned(),
                                address: s.address.clone(),
                                responsible: app_person(&s.responsible)?,
                            })
                        })
                        .and_then(|sponsor| {
                            Ok(FilingRequest::FirstFilingApp {
                                sponsor,
                                app: app_data(r.app.as_ref())?,
                            })
                        }),
                ),
                AppOperation::NewApp => (
                    OperationType::NewWebsite,
                    r.sponsor_number
                        .as_ref()
                        .ok_or(ResultCode::SchemaInvalid)
                        .and_then(|number| {
                            Ok(FilingRequest::NewApp {
                                sponsor_number: number.trim().to_owned(),
                                app: app_data(r.app.as_ref())?,
                            })
                        }),
                ),
                AppOperation::Change => (
                    OperationType::Change,
                    match (&r.sponsor_number, &r.app_number) {
                        (Some(sponsor), Some(app_number)) => {
                            app_data(r.app.as_ref()).map(|app| FilingRequest::ChangeApp {
                                sponsor_number: sponsor.trim().to_owned(),
                                app_number: app_number.trim().to_owned(),
                                app,
                            })
                        }
                        _ => Err(ResultCode::SchemaInvalid),
                    },
                ),
                // 继续接入 is 新增接入 at the registry: this provider hosts the filed APP (again).
                AppOperation::NewAccess | AppOperation::ContinueAccess => (
                    OperationType::NewAccess,
                    match (&r.sponsor_number, &r.app_number) {
                        (Some(sponsor), Some(app_number)) => Ok(FilingRequest::AppAccess {
                            sponsor_number: sponsor.trim().to_owned(),
                            app_number: app_number.trim().to_owned(),
                        }),
                        _ => Err(ResultCode::SchemaInvalid),
                    },
                ),
                AppOperation::CancelAccess => (
                    OperationType::CancelAccess,
                    match (&r.sponsor_number, &r.app_number) {
                        (Some(sponsor), Some(app_number)) => Ok(FilingRequest::CancelAppAccess {
                            sponsor_number: sponsor.trim().to_owned(),
                            app_number: app_number.trim().to_owned(),
                            password: r
                                .password_hash
                                .as_deref()
                                .map(|h| h.trim().to_ascii_lowercase())
                                .unwrap_or_default(),
                        }),
                        _ => Err(ResultCode::SchemaInvalid),
                    },
                ),
                AppOperation::Cancel => (
                    OperationType::CancelWebsite,
                    match (&r.sponsor_number, &r.app_number) {
                        (Some(sponsor), Some(app_number)) => Ok(FilingRequest::CancelApp {
                            sponsor_number: sponsor.trim().to_owned(),
                            app_number: app_number.trim().to_owned(),
                        }),
                        _ => Err(ResultCode::SchemaInvalid),
                    },
                ),
            };
            Planned {
                reference: UploadRef::new(file_name, operation, r.record_id.to_string()),
                request,
            }
        })
        .collect()
}

/// Every record of `icp`, in file order.
pub async fn plan(
    regulator: &Regulator,
    file_name: &str,
    icp: &IcpUpload,
) -> Result<Vec<Planned>, Error> {
    let mut out = Vec::new();
    let mut push = |operation, subject: String, request| {
        out.push(Planned {
            reference: UploadRef::new(file_name, operation, subject),
            request,
        });
    };
    for item in icp.first_filings.iter().flat_map(|x| &x.items) {
        let s = &item.sponsor;
        let request = sponsor_data(
            &s.name,
            s.nature,
            &s.address,
            &s.certificate,
            &s.responsible,
        )
        .and_then(|sponsor| {
            let websites = item
                .websites
                .iter()
                .map(new_website)
                .collect::<Result<_, _>>()?;
            Ok(FilingRequest::FirstFiling { sponsor, websites })
        });
        push(
            OperationType::FirstFiling,
            s.isp_sponsor_id.to_string(),
            request,
        );
    }
    for item in icp.new_websites.iter().flat_map(|x| &x.items) {
        let r = &item.sponsor;
        let subject = r
            .icp_number
            .clone()
            .or(r.id.map(|id| id.to_string()))
            .unwrap_or_default();
        let number = number_or_id(
            regulator,
            r.icp_number.as_deref(),
            r.id,
            SPONSOR_NUMBER,
            ResultCode::SponsorNotFound,
        )
        .await?;
        for info in &item.websites {
            let request = number.clone().and_then(|sponsor_number| {
                let website = new_website(info)?;
                Ok(match &item.password_hash {
                    Some(hash) => FilingRequest::NewWebsiteElsewhereSponsor {
                        sponsor_number,
                        password: password_of(Some(hash)),
                        website,
                    },
                    None => FilingRequest::NewWebsite {
                        sponsor_number,
                        website,
                    },
                })
            });
            push(OperationType::NewWebsite, subject.clone(), request);
        }
    }
    for item in icp.new_accesses.iter().flat_map(|x| &x.items) {
        let w = &item.website;
        let subject = w
            .icp_number
            .clone()
            .unwrap_or_else(|| item.isp_access_id.to_string());
        let number = number_or_id(
            regulator,
            w.icp_number.as_deref(),
            w.id,
            WEBSITE_NUMBER,
            ResultCode::WebsiteNotFound,
        )
        .await?;
        let access = access_data(&item.methods, item.ips.iter().map(|r| (r.start, r.end)));
        let request = number.map(|website_number| FilingRequest::NewAccess {
            website_number,
            password: password_of(Some(&item.password_hash)),
            access,
        });
        push(OperationType::NewAccess, subject, request);
    }
    for item in icp.changes.iter().flat_map(|x| &x.items) {
        let s = &item.sponsor;
        let subject = s.id.to_string();
        let request = sponsor_data(
            &s.name,
            s.nature,
            &s.address,
            &s.certificate,
            &s.responsible,
        )
        .map(|sponsor| FilingRequest::ChangeSponsor {
            sponsor_number: s.icp_number.trim().to_owned(),
            sponsor,
        });
        push(OperationType::Change, subject.clone(), request);
        for w in &item.websites {
            let domains: Vec<&str> = w.domains.iter().map(|d| d.domain.as_str()).collect();
            let request = website_data(
                &w.name,
                &domains,
                w.home_url.as_deref(),
                &w.service_content,
                &w.responsible,
            )
            .map(|website| FilingRequest::ChangeWebsite {
                website_number: w.icp_number.trim().to_owned(),
                website,
            });
            push(OperationType::Change, subject.clone(), request);
            // This provider's access as corrected (the simulator keeps one per provider).
            if let Some(a) = w.accesses.first() {
                let access = access_data(&a.methods, a.ips.iter().map(|r| (r.start, r.end)));
                let request = Ok(FilingRequest::ChangeAccess {
                    website_number: w.icp_number.trim().to_owned(),
                    access,
                });
                push(OperationType::Change, subject.clone(), request);
            }
        }
    }
    for item in icp.cancellations.iter().flat_map(|x| &x.items) {
        let subject = item.record_id.to_string();
        let reason = match &item.reason_remark {
            Some(remark) => format!("{} {remark}", item.reason),
            None => item.reason.to_string(),
        };
        let (operation, request) = match item.category {
            CancelCategory::Sponsor => {
                let number = number_of(regulator, SPONSOR_NUMBER, item.record_id).await?;
                let request = number
                    .ok_or(ResultCode::SponsorNotFound)
                    .map(|sponsor_number| FilingRequest::CancelSponsor {
                        sponsor_number,
                        reason,
                    });
                (OperationType::CancelSponsor, request)
            }
            CancelCategory::Website => {
                let number = number_of(regulator, WEBSITE_NUMBER, item.record_id).await?;
                let request = number
                    .ok_or(ResultCode::WebsiteNotFound)
                    .map(|website_number| FilingRequest::CancelWebsite {
                        website_number,
                        reason,
                    });
                (OperationType::CancelWebsite, request)
            }
            CancelCategory::Access => {
                let number = number_of(regulator, ACCESS_WEBSITE_NUMBER, item.record_id).await?;
                let request = number
                    .ok_or(ResultCode::NotInRegistry)
                    .map(|website_number| FilingRequest::CancelAccess {
                        website_number,
                        password: password_of(item.password_hash.as_ref()),
                    });
                (OperationType::CancelAccess, request)
            }
        };
        push(operation, subject, request);
    }
    for item in icp.materials.iter().flat_map(|x| &x.items) {
        let owner = &item.owner.record;
        let subject = owner
            .icp_number
            .clone()
            .or(owner.id.map(|id| id.to_string()))
            .unwrap_or_default();
        // The simulator keeps no materials: acknowledged as stored (1060) without review.
        push(
            OperationType::VerificationMaterials,
            subject,
            Err(ResultCode::VerificationFormStored),
        );
    }
    Ok(out)
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod tests;
