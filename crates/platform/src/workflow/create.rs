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

use beian_core::app::PlatformInput;
use beian_core::kind::FilingKind;
use beian_core::order::OrderState;
use beian_store::StoreError;
use beian_store::apps::AppData;
use beian_store::orders::NewOrder;
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use serde::Serialize;
use serde_json::json;

use super::check::FilingCheckResult;
use super::error::WorkflowError;
use super::forms::{
    AppForm, FilingCheckInput, PersonForm, SponsorForm, SponsorIdentityInput, WebsiteForm,
};
use super::view::Forms;
use super::{Acting, Workflow};

/// A created order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedOrder {
    pub order_id: String,
    pub sponsor_id: String,
    /// The website's id; `None` for an APP's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_id: Option<String>,
    /// The APP's id of an APP's order (issue 18).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
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
        let domain = checked
            .valid
            .domain
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        let app = checked.valid.app.clone();
        let identity = SponsorIdentityInput {
            province: claim.province.code().to_owned(),
            nature: claim.nature.as_str().to_owned(),
            certificate_type: claim.certificate.certificate_type.as_str().to_owned(),
            certificate_number: claim.certificate.number.clone(),
            name: claim.name.clone(),
        };

        let existing_website = match app {
            None => self.store.website_by_domain(&domain).await?,
            Some(_) => None,
        };
        // An APP this sponsor began before (an abandoned draft) is taken up again, and so is
        // one filed here whose access ended, for its 继续接入 (its number stays).
        let continues = checked.result.kind == FilingKind::ContinueAccess;
        let existing_app = match (&app, &checked.local_sponsor) {
            (Some(a), Some(s)) => self
                .store
                .apps_by_package(&a.package)
                .await?
                .into_iter()
                .find(|held| {
                    held.data.sponsor_id == s.id && (held.icp_number.is_none() || continues)
                }),
            _ => None,
        };
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
        let mut app_id = None;
        let website_id = match existing_website {
            _ if app.is_some() => {
                app_id = Some(match (&existing_app, &app) {
                    (Some(held), _) => held.id.clone(),
                    (None, Some(a)) => {
                        tx.insert_app(
                            &actor,
                            &AppData {
                                sponsor_id: sponsor_id.clone(),
                                name: a.name.clone(),
                                package: a.package.clone(),
                                service_content: String::new(),
                                details: json!({}),
                                responsible: empty_person(),
                            },
                        )
                        .await?
                    }
                    (None, None) => return Err(WorkflowError::Conflict),
                });
                None
            }
            Some(w) if w.data.sponsor_id == sponsor_id => Some(w.id),
            Some(_) => return Err(WorkflowError::DomainInUse),
            None => Some(
                tx.insert_website(
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
            ),
        };
        let kind = checked.result.kind;
        let order_id = tx
            .insert_order(
                &actor,
                &NewOrder {
                    account_id: &acting.account_id,
                    sponsor_id: Some(&sponsor_id),
                    website_id: website_id.as_deref(),
                    kind: kind.as_str(),
                    state: OrderState::Draft.as_str(),
                    province: claim.province.code(),
                },
            )
            .await?;
        let registry = serde_json::to_value(&checked.result.registry)
            .map_err(|e| WorkflowError::Store(StoreError::Json(e)))?;
        tx.insert_order_workflow(&order_id, &registry).await?;
        if let Some(id) = &app_id {
            tx.set_order_app(&order_id, id).await?;
        }
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
            website: match app {
                Some(_) => WebsiteForm::default(),
                None => WebsiteForm {
                    name: checked
                        .result
                        .registry
                        .website_name
                        .clone()
                        .unwrap_or_default(),
                    domain: domain.clone(),
                    ..WebsiteForm::default()
                },
            },
            // An APP: its name and the platform it was checked by; an access filing takes the
            // APP's name as filed and leaves its 特征信息 to the customer.
            app: app.as_ref().map(|a| match checked.result.kind.is_access() {
                true => AppForm {
                    name: checked
                        .result
                        .registry
                        .website_name
                        .clone()
                        .unwrap_or_else(|| a.name.clone()),
                    ..AppForm::default()
                },
                false => AppForm {
                    name: a.name.clone(),
                    platforms: vec![PlatformInput {
                        platform: a.platform.as_str().to_owned(),
                        name: a.name.clone(),
                        package: a.package.clone(),
                        ..PlatformInput::default()
                    }],
                    ..AppForm::default()
                },
            }),
        };
        tx.set_order_forms(&actor, &order_id, &forms.to_json()?, &[])
            .await?;
        tx.commit().await?;
        Ok(CreatedOrder {
            order_id,
            sponsor_id,
            website_id,
            app_id,
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
