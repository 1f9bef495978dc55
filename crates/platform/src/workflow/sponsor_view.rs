//! `GET /sponsor`: the account's sponsor after success — its number, its websites and APPs with
//! their numbers, the service numbers behind them and the access records (接入信息) at this
//! provider. Personal data is masked (certificate and mobile numbers, person names).

use beian_core::order::OrderState;
use beian_store::accesses::Access;
use beian_store::app_accesses::AppAccess;
use beian_store::apps::App;
use beian_store::crypto::mask;
use beian_store::sponsors::{Person, Sponsor, Website};
use serde::Serialize;

use super::error::WorkflowError;
use super::review::mask_person_name;
use super::{Acting, SponsorRefusal, Workflow};

/// A responsible person, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaskedPerson {
    pub name: String,
    pub certificate_type: String,
    /// Masked: `3301**********1234`.
    pub certificate_number: String,
    /// Masked: `138****8000`.
    pub mobile: String,
}

fn masked(p: &Person) -> MaskedPerson {
    MaskedPerson {
        name: mask_person_name(&p.name),
        certificate_type: p.certificate_type.clone(),
        certificate_number: mask(&p.certificate_number),
        mobile: mask(&p.mobile),
    }
}

/// An access record (接入信息) at this provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessView {
    pub id: String,
    pub website_id: String,
    pub domain: String,
    /// `active` (已接入), `cancelling` (取消接入中), `cancelled` (已取消).
    pub status: String,
    pub order_id: Option<String>,
    pub service_number: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// One website of the sponsor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SponsorWebsiteView {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub home_url: String,
    /// The website number (`浙ICP备2021012345号-1`), once filed.
    pub icp_number: Option<String>,
    /// The status of its access here (`active`, `cancelling`, `cancelled`), if it has one.
    pub access_status: Option<String>,
    pub responsible: MaskedPerson,
}

/// One APP of the sponsor (APP备案, issue 18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SponsorAppView {
    pub id: String,
    pub name: String,
    /// The package name or Bundle ID it was checked by.
    pub package: String,
    /// The APP number (`浙ICP备2021012345号-2A`), once filed.
    pub icp_number: Option<String>,
    /// The status of its access here (`active`, `cancelling`, `cancelled`), if it has one.
    pub access_status: Option<String>,
    pub responsible: MaskedPerson,
}

/// The answer of `GET /sponsor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SponsorView {
    pub id: String,
    pub province: String,
    pub nature: String,
    pub name: String,
    pub certificate_type: String,
    /// Masked.
    pub certificate_number: String,
    pub address: String,
    pub responsible: MaskedPerson,
    /// The sponsor number (`浙ICP备2021012345号`), once filed.
    pub icp_number: Option<String>,
    pub websites: Vec<SponsorWebsiteView>,
    /// The sponsor's APPs here.
    pub apps: Vec<SponsorAppView>,
    /// The service numbers (备案服务号) behind the sponsor's access records (its websites' and
    /// its APPs').
    pub service_numbers: Vec<String>,
    pub accesses: Vec<AccessView>,
}

fn view_of(
    sponsor: Sponsor,
    websites: Vec<Website>,
    apps: Vec<App>,
    accesses: Vec<Access>,
    app_accesses: Vec<AppAccess>,
) -> SponsorView {
    let domain_of = |id: &str| {
        websites
            .iter()
            .find(|w| w.id == id)
            .map(|w| w.data.domain.clone())
            .unwrap_or_default()
    };
    // The newest access of a website decides its status.
    let status_of = |id: &str| {
        accesses
            .iter()
            .rev()
            .find(|a| a.website_id == id)
            .map(|a| a.status.as_str().to_owned())
    };
    let mut service_numbers: Vec<String> = accesses
        .iter()
        .filter_map(|a| a.service_number.clone())
        .chain(app_accesses.iter().filter_map(|a| a.service_number.clone()))
        .collect();
    service_numbers.sort();
    service_numbers.dedup();
    SponsorView {
        id: sponsor.id.clone(),
        province: sponsor.data.province.clone(),
        nature: sponsor.data.nature.clone(),
        name: sponsor.data.name.clone(),
        certificate_type: sponsor.data.certificate_type.clone(),
        certificate_number: mask(&sponsor.data.certificate_number),
        address: sponsor.data.address.clone(),
        responsible: masked(&sponsor.data.responsible),
        icp_number: sponsor.icp_number.clone(),
        websites: websites
            .iter()
            .map(|w| SponsorWebsiteView {
                id: w.id.clone(),
                name: w.data.name.clone(),
                domain: w.data.domain.clone(),
                home_url: w.data.home_url.clone(),
                icp_number: w.icp_number.clone(),
                access_status: status_of(&w.id),
                responsible: masked(&w.data.responsible),
            })
            .collect(),
        apps: apps
            .iter()
            .map(|a| SponsorAppView {
                id: a.id.clone(),
                name: a.data.name.clone(),
                package: a.data.package.clone(),
                icp_number: a.icp_number.clone(),
                // The newest access of an APP decides its status.
                access_status: app_accesses
                    .iter()
                    .rev()
                    .find(|x| x.app_id == a.id)
                    .map(|x| x.status.as_str().to_owned()),
                responsible: masked(&a.data.responsible),
            })
            .collect(),
        service_numbers,
        accesses: accesses
            .iter()
            .map(|a| AccessView {
                id: a.id.clone(),
                website_id: a.website_id.clone(),
                domain: domain_of(&a.website_id),
                status: a.status.as_str().to_owned(),
                order_id: a.order_id.clone(),
                service_number: a.service_number.clone(),
                created_at: a.created_at,
                updated_at: a.updated_at,
            })
            .collect(),
    }
}

impl Workflow<'_> {
    /// The acting account's sponsor; [`SponsorRefusal::NoSponsor`] when it has none.
    pub(super) async fn own_sponsor(&self, acting: &Acting) -> Result<Sponsor, WorkflowError> {
        self.store
            .sponsor_of_account(&acting.account_id)
            .await?
            .ok_or(WorkflowError::Sponsor(SponsorRefusal::NoSponsor))
    }

    /// `GET /sponsor`.
    pub async fn sponsor_view(&self, acting: &Acting) -> Result<SponsorView, WorkflowError> {
        let sponsor = self.own_sponsor(acting).await?;
        let mut websites = self.store.websites_of_sponsor(&sponsor.id).await?;
        // A site filed at another provider and being brought here (继续接入, 新增接入) has
        // no number from us yet: the one the registry gave at its open order's check.
        for w in websites.iter_mut().filter(|w| w.icp_number.is_none()) {
            for o in self.store.orders_of_website(&w.id).await?.iter().rev() {
                if OrderState::parse(&o.state).is_some_and(OrderState::is_terminal) {
                    continue;
                }
                let work = self.store.order_workflow(&o.id).await?;
                if let Some(number) = work.registry["website_number"].as_str() {
                    w.icp_number = Some(number.to_owned());
                    break;
                }
            }
        }
        let apps = self.store.apps_of_sponsor(&sponsor.id).await?;
        let accesses = self.store.accesses_of_sponsor(&sponsor.id).await?;
        let app_accesses = self.store.app_accesses_of_sponsor(&sponsor.id).await?;
        Ok(view_of(sponsor, websites, apps, accesses, app_accesses))
    }
}
