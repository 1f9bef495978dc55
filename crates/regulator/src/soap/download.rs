//! From the simulator's results to V3.0 download files: every [`FilingResult`] becomes a
//! `DownloadData` with its `BAJG` result (codes, operation, `Bs`) and the bureau's review;
//! an approval that issued or touched numbers adds the registry's `BASJ` record (sponsor and
//! websites with their ICP numbers and their providers' accesses `Jr_xx`), and an approved
//! cancellation adds `ZXSJ`.
//!
//! The simulator queues nothing but results, so blacklists (`HMDLB`) and notices (`XGTZ`) are
//! never rendered.

use std::net::Ipv4Addr;

use beian_core::kind::FilingKind;
use beian_core::province::Province;
use beian_miit::v3::codes::{CancelCategory, FilingMode, OperationType, ReviewOutcome};
use beian_miit::v3::download::{
    CancelledRecord, CancelledRecords, DownloadData, FilingResult as V3Result, FilingResults,
    IcpDownload, RegisteredAccess, RegisteredApp, RegisteredDomain, RegisteredIpRange,
    RegisteredResponsible, RegisteredSponsor, RegisteredWebsite, Registration, Registrations,
    ResultItem, Review, Reviews,
};
use beian_miit::v3::mapping::{AccessMethod, CertificateType, division_code};
use beian_miit::v3::personal::PersonalData;
use beian_miit::v3::results::ResultCode;
use beian_miit::v3::upload::{AccessMethods, Address, Certificate, Languages, ServerLocations};
use sqlx::Row;

use super::upload::UploadRef;
use crate::crypto::Field;
use crate::model::{FilingRequest, FilingResult, IssuedNumbers, Outcome};
use crate::{Error, Regulator};

/// The operation type `Czlx` of a filing kind.
pub fn operation_of(kind: FilingKind) -> OperationType {
    match kind {
        FilingKind::FirstFiling => OperationType::FirstFiling,
        FilingKind::NewWebsite | FilingKind::NewWebsiteElsewhereSponsor => {
            OperationType::NewWebsite
        }
        FilingKind::NewAccess | FilingKind::ContinueAccess => OperationType::NewAccess,
        FilingKind::ChangeSponsor | FilingKind::ChangeWebsite | FilingKind::ChangeAccess => {
            OperationType::Change
        }
        FilingKind::CancelAccess => OperationType::CancelAccess,
        FilingKind::CancelSponsor => OperationType::CancelSponsor,
        FilingKind::CancelWebsite => OperationType::CancelWebsite,
    }
}

/// `YYYY-MM-DD` of an RFC 3339 instant.
fn date_of(instant: &str) -> String {
    instant.chars().take(10).collect()
}

fn item(code: u32, text: &str) -> ResultItem {
    ResultItem {
        code: u16::try_from(code).unwrap_or(ResultCode::IcpOther.code()),
        description: Some(text.to_owned()),
    }
}

/// The download file for one result.
pub async fn render(regulator: &Regulator, result: &FilingResult) -> Result<DownloadData, Error> {
    let reference = UploadRef::parse(&result.upload_ref);
    let operation = result
        .kind
        .map(operation_of)
        .or(reference.as_ref().map(|r| r.operation))
        .unwrap_or(OperationType::FirstFiling);
    let subject = reference.as_ref().map(|r| r.subject.clone());
    let (items, reasons, approved) = match &result.outcome {
        Outcome::Approved { .. } => (
            vec![ResultItem::of(ResultCode::BureauApproved)],
            vec![],
            true,
        ),
        Outcome::Refused { codes, reasons } | Outcome::Returned { codes, reasons } => (
            codes.iter().map(|c| item(c.code, &c.text)).collect(),
            reasons.clone(),
            false,
        ),
    };
    let opinion = (!reasons.is_empty()).then(|| reasons.join("；"));
    let mut icp = IcpDownload {
        results: Some(FilingResults {
            results: vec![V3Result {
                items,
                operation,
                subject: subject.clone().filter(|s| !s.is_empty()),
                remark: opinion.clone(),
            }],
            reviews: result.submission_id.map(|id| Reviews {
                items: vec![Review {
                    reviewer: None,
                    reviewer_phone: None,
                    reviewed: date_of(&result.decided_at),
                    opinion,
                    outcome: if approved {
                        ReviewOutcome::Approved
                    } else {
                        ReviewOutcome::Rejected
                    },
                    operation: Some(operation),
                    record_id: Some(id),
                }],
            }),
        }),
        ..IcpDownload::default()
    };
    let cancels = matches!(
        operation,
        OperationType::CancelAccess | OperationType::CancelSponsor | OperationType::CancelWebsite
    );
    if let Outcome::Approved { numbers } = &result.outcome
        && !cancels
    {
        let isp_sponsor_id = (operation == OperationType::FirstFiling)
            .then(|| subject.as_deref().and_then(|s| s.parse().ok()))
            .flatten();
        if let Some(registration) =
            registration(regulator, numbers, isp_sponsor_id, &result.decided_at).await?
        {
            icp.registrations = Some(Registrations {
                items: vec![registration],
            });
        }
    }
    if let (Outcome::Approved { .. }, Some(id), true) =
        (&result.outcome, result.submission_id, cancels)
    {
        let request = regulator.submission(id).await?.request;
        if let Some(record) = cancelled(regulator, &request).await? {
            icp.cancelled = Some(CancelledRecords {
                items: vec![record],
            });
        }
    }
    Ok(DownloadData::icp(icp))
}

/// `BASJ` for the numbers an approval issued: the sponsor and the websites named.
async fn registration(
    regulator: &Regulator,
    numbers: &IssuedNumbers,
    isp_sponsor_id: Option<i64>,
    decided_at: &str,
) -> Result<Option<Registration>, Error> {
    let sponsor_number = match (&numbers.sponsor_number, numbers.websites.first()) {
        (Some(n), _) => n.clone(),
        (None, Some((website_number, _))) => website_number
            .split_once("号-")
            .map_or(website_number.clone(), |(s, _)| format!("{s}号")),
        (None, None) => return Ok(None),
    };
    let mut conn = regulator.pool().acquire().await?;
    let Some(row) = sqlx::query(
        "SELECT id, province, nature, certificate_type, certificate_number, name, address, \
         responsible_name, responsible_mobile, number, filed_at, updated_at \
         FROM sponsors WHERE number = ?",
    )
    .bind(&sponsor_number)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let province: String = row.try_get("province")?;
    let nature: String = row.try_get("nature")?;
    let certificate_type: String = row.try_get("certificate_type")?;
    let day = date_of(decided_at);
    let sponsor = RegisteredSponsor {
        isp_sponsor_id,
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        nature: beian_miit::v3::mapping::SponsorNature::from_api_name(&nature)
            .ok()
            .map(|n| n.code()),
        address: Address {
            province_id: Province::parse(&province).map_or(0, division_code),
            city_id: None,
            county_id: None,
            detail: Some(row.try_get("address")?),
        },
        certificate: Certificate {
            kind: CertificateType::from_api(&certificate_type).map_or(0, |c| c.code()),
            number: PersonalData::new(regulator.crypto().open(
                Field::Certificate,
                &row.try_get::<String, _>("certificate_number")?,
            )?),
            residence: String::new(),
        },
        responsible: RegisteredResponsible {
            name: Some(row.try_get("responsible_name")?),
            mobile: Some(PersonalData::new(regulator.crypto().open_opt(
                Field::Mobile,
                &row.try_get::<String, _>("responsible_mobile")?,
            )?)),
            ..RegisteredResponsible::default()
        },
        icp_number: Some(row.try_get("number")?),
        filing_mode: FilingMode::ByProvider,
        investor: None,
        first_filed: date_of(&row.try_get::<String, _>("filed_at")?),
        last_changed: date_of(&row.try_get::<String, _>("updated_at")?),
        certificate_valid_until: None,
        certificate_path: None,
        certificate_serial: None,
        reviewer: None,
        reviewed: Some(day),
        remark: None,
    };
    let mut websites = Vec::new();
    let mut apps = Vec::new();
    for (number, _) in &numbers.websites {
        // An APP's `-NA` number (beian's APP extension): reported as `App_xx`.
        if let Some(a) = sqlx::query("SELECT id, name, number FROM apps WHERE number = ?")
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?
        {
            apps.push(RegisteredApp {
                id: a.try_get("id")?,
                name: a.try_get("name")?,
                icp_number: a.try_get("number")?,
            });
            continue;
        }
        let Some(w) = sqlx::query(
            "SELECT id, name, domain, home_url, responsible_name, responsible_mobile, number, \
             filed_at, updated_at FROM websites WHERE number = ?",
        )
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?
        else {
            continue;
        };
        let id: i64 = w.try_get("id")?;
        let accesses = accesses_of(&mut conn, id, &province).await?;
        websites.push(RegisteredWebsite {
            isp_website_id: None,
            id,
            name: w.try_get("name")?,
            pre_approvals: None,
            service_content: None,
            languages: Languages::default(),
            domains: vec![RegisteredDomain {
                isp_domain_id: None,
                id,
                domain: w.try_get("domain")?,
            }],
            accesses,
            responsible: RegisteredResponsible {
                name: Some(w.try_get("responsible_name")?),
                mobile: Some(PersonalData::new(regulator.crypto().open_opt(
                    Field::Mobile,
                    &w.try_get::<String, _>("responsible_mobile")?,
                )?)),
                ..RegisteredResponsible::default()
            },
            home_url: Some(w.try_get("home_url")?),
            remark: None,
            first_filed: Some(date_of(&w.try_get::<String, _>("filed_at")?)),
            last_changed: Some(date_of(&w.try_get::<String, _>("updated_at")?)),
            icp_number: Some(w.try_get("number")?),
        });
    }
    Ok(Some(Registration {
        sponsor,
        websites,
        apps,
        remark: None,
    }))
}

/// `Jr_xx` of a website: each provider's access with its registry id (`Jrid`), which a
/// provider's 取消接入 and 变更 must name. An access without an IP range is left out (the
/// schema asks for at least one `Ip_xx`).
async fn accesses_of(
    conn: &mut sqlx::SqliteConnection,
    website_id: i64,
    province: &str,
) -> Result<Vec<RegisteredAccess>, Error> {
    let rows = sqlx::query(
        "SELECT id, provider_id, ips, method FROM accesses WHERE website_id = ? ORDER BY id",
    )
    .bind(website_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let ips: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("ips")?)?;
        let ranges: Vec<RegisteredIpRange> = ips
            .iter()
            .filter_map(|r| {
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                Some((
                    a.trim().parse::<Ipv4Addr>().ok()?,
                    b.trim().parse::<Ipv4Addr>().ok()?,
                ))
            })
            .zip(0..)
            .map(|((a, b), i)| RegisteredIpRange {
                isp_ip_id: None,
                id: id * 100 + i,
                start: u32::from(a),
                end: u32::from(b),
            })
            .collect();
        if ranges.is_empty() {
            continue;
        }
        let method: String = row.try_get("method")?;
        out.push(RegisteredAccess {
            isp_access_id: None,
            id,
            provider_id: row.try_get("provider_id")?,
            locations: ServerLocations {
                ids: vec![province.parse().unwrap_or(0)],
            },
            methods: AccessMethods {
                ids: vec![
                    AccessMethod::from_api_name(&method)
                        .unwrap_or(AccessMethod::Other)
                        .code(),
                ],
            },
            ips: ranges,
        });
    }
    Ok(out)
}

/// `ZXSJ` for an approved cancellation of a sponsor or website.
async fn cancelled(
    regulator: &Regulator,
    request: &FilingRequest,
) -> Result<Option<CancelledRecord>, Error> {
    let (category, sql, number) = match request {
        FilingRequest::CancelSponsor { sponsor_number, .. } => (
            CancelCategory::Sponsor,
            "SELECT id FROM sponsors WHERE number = ?",
            sponsor_number,
        ),
        FilingRequest::CancelWebsite { website_number, .. } => (
            CancelCategory::Website,
            "SELECT id FROM websites WHERE number = ?",
            website_number,
        ),
        _ => return Ok(None),
    };
    let mut conn = regulator.pool().acquire().await?;
    let id: Option<i64> = sqlx::query_scalar(sql)
        .bind(number.trim())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(id.map(|record_id| CancelledRecord {
        category,
        record_id,
        remark: None,
    }))
}
