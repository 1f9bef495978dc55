//! Creating an order (`POST /orders`): the filing check again (reusing the registry's
//! answers of the account's check of the same input, when fresh; our records are read
//! anew), then in one transaction the
//! sponsor (created, or linked to the account, or the account's own), the website (one
//! domain per website), the order in `draft` with its decided kind, its working data (the
//! registry's answer, the forms prefilled with what the check established and, for a
//! sponsor we hold, its address and responsible person), its timeline
//! entry and audit records.
//!
//! One sponsor has at most one order in progress: the sponsor row is updated first inside
//! the transaction (a row lock on PostgreSQL, the write lock on SQLite), then its open
//! orders are counted again, so two concurrent creations cannot both pass.

use beian_core::order::OrderState;
use beian_store::StoreError;
use beian_store::orders::NewOrder;
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use beian_store::workflow_support::FiledTable;
use serde::Serialize;
use serde_json::json;

use super::check::FilingCheckResult;
use super::error::WorkflowError;
use super::forms::{FilingCheckInput, PersonForm, SponsorForm, SponsorIdentityInput, WebsiteForm};
use super::view::Forms;
use super::{Acting, Workflow};

/// A created order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedOrder {
    pub order_id: String,
    pub sponsor_id: String,
    pub website_id: String,
    pub state: OrderState,
    #[serde(flatten)]
    pub check: FilingCheckResult,
}

fn empty_person() -> Person {
    Person {
        name: String::new(),
        certificate_type: String::new(),
        certificate_number: String::new(),
        mobile: String::new(),
        email: String::new(),
    }
}

fn unique_to(e: StoreError, domain: bool) -> WorkflowError {
    match e {
        StoreError::Unique {
            constraint: "websites_domain_key",
        } if domain => WorkflowError::DomainInUse,
        StoreError::Unique { .. } => WorkflowError::Conflict,
        other => other.into(),
    }
}

impl Workflow<'_> {
    /// Creates an order of the kind the filing check decides for `input`.
    pub async fn create_order(
        &self,
        acting: &Acting,
        input: &FilingCheckInput,
    ) -> Result<CreatedOrder, WorkflowError> {
        let checked = self.check(acting, input, true).await?;
        let actor = acting.actor();
        let claim = &checked.valid.claim;
        let domain = checked.valid.domain.as_str().to_owned();
        let identity = SponsorIdentityInput {
            province: claim.province.code().to_owned(),
            nature: claim.nature.as_str().to_owned(),
            certificate_type: claim.certificate.certificate_type.as_str().to_owned(),
            certificate_number: claim.certificate.number.clone(),
            name: claim.name.clone(),
        };

        let existing_website = self.store.website_by_domain(&domain).await?;
        let mut tx = self.store.begin().await?;
        let sponsor_id = match &checked.local_sponsor {
            Some(sponsor) => {
                tx.link_sponsor_account(&actor, &sponsor.id, &acting.account_id)
                    .await
                    .map_err(|e| match e {
                        StoreError::Conflict { .. } => WorkflowError::SponsorOfOtherAccount,
                        other => other.into(),
                    })?;
                sponsor.id.clone()
            }
            None => tx
                .insert_sponsor(
                    &actor,
                    &SponsorData {
                        account_id: Some(acting.account_id.clone()),
                        province: identity.province.clone(),
                        nature: identity.nature.clone(),
                        certificate_type: identity.certificate_type.clone(),
                        certificate_number: identity.certificate_number.clone(),
                        name: identity.name.clone(),
                        address: String::new(),
                        responsible: empty_person(),
                    },
                )
                .await
                .map_err(|e| unique_to(e, false))?,
        };
        if let Some(open) = tx
            .open_orders_of_sponsor(&sponsor_id, &closed_states())
            .await?
            .into_iter()
            .next()
        {
            return Err(WorkflowError::Refused(
                beian_core::filing::FilingRefusal::OrderInProgress { order_id: open },
            ));
        }
        let known_number = existing_website.as_ref().and_then(|w| w.icp_number.clone());
        let website_id = match existing_website {
            Some(w) if w.data.sponsor_id == sponsor_id => w.id,
            Some(_) => return Err(WorkflowError::DomainInUse),
            None => tx
                .insert_website(
                    &actor,
                    &WebsiteData {
                        sponsor_id: sponsor_id.clone(),
                        name: checked
                            .result
                            .registry
                            .website_name
                            .clone()
                            .unwrap_or_default(),
                        domain: domain.clone(),
                        home_url: String::new(),
                        service_content: String::new(),
                        details: json!({}),
                        responsible: empty_person(),
                    },
                )
                .await
                .map_err(|e| unique_to(e, true))?,
        };
        // A site the registry knows filed (at another provider: 继续接入, 新增接入): its number
        // is a fact about it, kept with it here as the legacy import does.
        if let (None, Some(number)) = (&known_number, &checked.result.registry.website_number) {
            tx.set_icp_number(&actor, FiledTable::Website, &website_id, number)
                .await?;
        }
        let kind = checked.result.kind;
        let order_id = tx
            .insert_order(
                &actor,
                &NewOrder {
                    account_id: &acting.account_id,
                    sponsor_id: Some(&sponsor_id),
                    website_id: Some(&website_id),
                    kind: kind.as_str(),
                    state: OrderState::Draft.as_str(),
                    province: claim.province.code(),
                },
            )
            .await?;
        let registry = serde_json::to_value(&checked.result.registry)
            .map_err(|e| WorkflowError::Store(StoreError::Json(e)))?;
        tx.insert_order_workflow(&order_id, &registry).await?;
        // A sponsor we hold already: its address and responsible person as we know them.
        let (address, responsible) = match &checked.local_sponsor {
            Some(s) => (
                s.data.address.clone(),
                PersonForm {
                    name: s.data.responsible.name.clone(),
                    certificate_type: s.data.responsible.certificate_type.clone(),
                    certificate_number: s.data.responsible.certificate_number.clone(),
                    mobile: s.data.responsible.mobile.clone(),
                    email: s.data.responsible.email.clone(),
                    ..PersonForm::default()
                },
            ),
            None => (String::new(), PersonForm::default()),
        };
        let forms = Forms {
            sponsor: SponsorForm {
                identity,
                address,
                responsible,
                responsible_is_legal_representative: None,
            },
            website: WebsiteForm {
                name: checked
                    .result
                    .registry
                    .website_name
                    .clone()
                    .unwrap_or_default(),
                domain: domain.clone(),
                ..WebsiteForm::default()
            },
        };
        tx.set_order_forms(&actor, &order_id, &forms.to_json()?, &[])
            .await?;
        tx.commit().await?;
        Ok(CreatedOrder {
            order_id,
            sponsor_id,
            website_id,
            state: OrderState::Draft,
            check: checked.result,
        })
    }
}

/// The states in which an order no longer blocks its sponsor.
pub(super) fn closed_states() -> Vec<&'static str> {
    OrderState::ALL
        .into_iter()
        .filter(|s| !s.is_open())
        .map(OrderState::as_str)
        .collect()
}
