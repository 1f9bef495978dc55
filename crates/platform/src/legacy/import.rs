//! The one irreversible import of a loaded legacy account into an account here: in one
//! transaction, the sponsor (bound to the account) with its number, its websites with theirs,
//! their access records, and the legacy row marked imported — each write with its audit
//! record. Refused, changing nothing, when the account already holds a sponsor (no rebinding),
//! when the legacy account was imported already, or when its sponsor or a domain is already
//! here.

use beian_store::accesses::{AccessStatus, NewAccess};
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use beian_store::workflow_support::FiledTable;
use beian_store::{Store, StoreError};
use serde::Serialize;
use serde_json::json;

use super::format::{LegacyRecord, parse_record};
use crate::workflow::{PersonForm, SponsorRefusal, WorkflowError};

/// A website the import made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedWebsite {
    pub id: String,
    pub domain: String,
    pub icp_number: String,
}

/// What an import made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegacyImported {
    pub sponsor_id: String,
    pub icp_number: String,
    pub websites: Vec<ImportedWebsite>,
    /// Access records made (active and cancelled).
    pub accesses: usize,
}

fn person(p: &PersonForm) -> Person {
    Person {
        name: p.name.trim().to_owned(),
        certificate_type: p.certificate_type.trim().to_owned(),
        certificate_number: p.certificate_number.trim().to_owned(),
        mobile: p.mobile.trim().to_owned(),
        email: p.email.trim().to_owned(),
    }
}

fn refused(r: SponsorRefusal) -> WorkflowError {
    WorkflowError::Sponsor(r)
}

/// A unique constraint hit during the import, as the refusal it means.
fn unique_refusal(e: StoreError) -> WorkflowError {
    match e {
        StoreError::Unique {
            constraint: "sponsors_account_key",
        } => refused(SponsorRefusal::AccountHasSponsor),
        StoreError::Unique {
            constraint: "sponsors_certificate_key",
        } => refused(SponsorRefusal::LegacySponsorExists),
        StoreError::Unique {
            constraint: "websites_domain_key",
        } => refused(SponsorRefusal::LegacyDomainExists),
        StoreError::Conflict { .. } => refused(SponsorRefusal::LegacyAlreadyImported),
        other => other.into(),
    }
}

/// Imports the loaded legacy account `username` into `account_id`. The caller has checked
/// the legacy credentials (API) or is the operator (CLI). `NotFound` if it is not loaded.
pub async fn import_into_account(
    store: &Store,
    actor: &str,
    username: &str,
    account_id: &str,
) -> Result<LegacyImported, WorkflowError> {
    let legacy = store
        .legacy_account(username)
        .await?
        .ok_or(WorkflowError::NotFound {
            what: "legacy account",
        })?;
    if legacy.imported_account_id.is_some() {
        return Err(refused(SponsorRefusal::LegacyAlreadyImported));
    }
    if store.sponsor_of_account(account_id).await?.is_some() {
        return Err(refused(SponsorRefusal::AccountHasSponsor));
    }
    let record: LegacyRecord = parse_record(&legacy.record)
        .map_err(|_| WorkflowError::Store(StoreError::Corrupt("legacy_accounts.record")))?;
    let identity = &record.sponsor.form.identity;
    if store
        .sponsor_by_certificate(
            identity.certificate_type.trim(),
            &identity.certificate_number,
        )
        .await?
        .is_some()
    {
        return Err(refused(SponsorRefusal::LegacySponsorExists));
    }
    for w in &record.websites {
        if store
            .website_by_domain(&w.form.domain.trim().to_ascii_lowercase())
            .await?
            .is_some()
        {
            return Err(refused(SponsorRefusal::LegacyDomainExists));
        }
    }

    let mut tx = store.begin().await?;
    let sponsor_id = tx
        .insert_sponsor(
            actor,
            &SponsorData {
                account_id: Some(account_id.to_owned()),
                province: identity.province.trim().to_owned(),
                nature: identity.nature.trim().to_owned(),
                certificate_type: identity.certificate_type.trim().to_owned(),
                certificate_number: identity.certificate_number.trim().to_owned(),
                name: identity.name.trim().to_owned(),
                address: record.sponsor.form.address.trim().to_owned(),
                responsible: person(&record.sponsor.form.responsible),
            },
        )
        .await
        .map_err(unique_refusal)?;
    let sponsor_number = record.sponsor.icp_number.trim().to_owned();
    tx.set_icp_number(actor, FiledTable::Sponsor, &sponsor_id, &sponsor_number)
        .await?;
    let mut websites = Vec::new();
    let mut accesses = 0;
    for w in &record.websites {
        let domain = w.form.domain.trim().to_ascii_lowercase();
        let website_id = tx
            .insert_website(
                actor,
                &WebsiteData {
                    sponsor_id: sponsor_id.clone(),
                    name: w.form.name.trim().to_owned(),
                    domain: domain.clone(),
                    home_url: w.form.home_url.trim().to_owned(),
                    service_content: w.form.service_content.trim().to_owned(),
                    details: json!({
                        "languages": w.form.languages,
                        "pre_approvals": w.form.pre_approvals,
                        "source": "wanwang",
                    }),
                    responsible: person(&w.form.responsible),
                },
            )
            .await
            .map_err(unique_refusal)?;
        let number = w.icp_number.trim().to_owned();
        tx.set_icp_number(actor, FiledTable::Website, &website_id, &number)
            .await?;
        // Cancelled records first, so the active one is the website's newest.
        let mut ordered: Vec<_> = w.accesses.iter().collect();
        ordered.sort_by_key(|a| a.status == "active");
        for a in ordered {
            let access_id = tx
                .insert_access(
                    actor,
                    &NewAccess {
                        website_id: &website_id,
                        sponsor_id: &sponsor_id,
                        order_id: None,
                        service_number: None,
                    },
                )
                .await?;
            if a.status == "cancelled" {
                tx.set_access_status(
                    actor,
                    &access_id,
                    AccessStatus::Active,
                    AccessStatus::Cancelled,
                )
                .await?;
            }
            accesses += 1;
        }
        websites.push(ImportedWebsite {
            id: website_id,
            domain,
            icp_number: number,
        });
    }
    tx.mark_legacy_imported(actor, username, account_id, &sponsor_id)
        .await
        .map_err(unique_refusal)?;
    tx.commit().await.map_err(unique_refusal)?;
    Ok(LegacyImported {
        sponsor_id,
        icp_number: sponsor_number,
        websites,
        accesses,
    })
}
