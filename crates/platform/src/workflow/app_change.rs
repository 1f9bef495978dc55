//! 变更APP and 注销APP (issue 18): the change or cancellation order of one of the sponsor's
//! APPs filed and accessed here (`POST /apps/{id}/orders` with `kind: change_website` or
//! `cancel_website`, the website kinds' names for a service's change and cancellation). As
//! for a website's, the order is made in `draft` in one transaction (one
//! order in progress per sponsor), its forms prefilled from our records of the sponsor and
//! the APP (what the last approval wrote, `crate::bureau::apply`), the contact fields our
//! records do not keep taken from the last approved order of that APP. The APP form may change
//! every field (`forms_update`); the upload is the extension's `BGAPP`. 注销APP changes no
//! field; its upload is `ZXAPP`, and its approval ends the APP's access and clears its number
//! (`crate::bureau::apply`).

use beian_core::app::PlatformInput;
use beian_core::kind::FilingKind;
use beian_core::order::OrderState;
use beian_store::StoreError;
use beian_store::accesses::AccessStatus;
use beian_store::orders::NewOrder;

use super::change::{person_form, prefilled};
use super::check::RegistryPrefill;
use super::create::closed_states;
use super::error::WorkflowError;
use super::forms::AppForm;
use super::view::Forms;
use super::{Acting, SponsorRefusal, Workflow};

impl Workflow<'_> {
    /// Creates a 变更APP (`change_website`) or 注销APP (`cancel_website`) order for `app_id`,
    /// one of the acting account's filed sponsor's APPs with its number and an active access
    /// here. Refused: [`SponsorRefusal::AppKindNotAllowed`] (`cancel_access`: it has its own
    /// endpoint), [`SponsorRefusal::AppKindNotSupported`] (any other kind),
    /// [`SponsorRefusal::NoSponsor`], [`SponsorRefusal::SponsorNotFiled`],
    /// [`SponsorRefusal::WebsiteNotFound`] (not the sponsor's APP),
    /// [`SponsorRefusal::WebsiteNotFiled`] (no number yet), [`SponsorRefusal::NotAccessedHere`],
    /// [`SponsorRefusal::AccessCancelling`], and an order in progress (`order_in_progress`).
    pub async fn create_app_change_order(
        &self,
        acting: &Acting,
        kind: FilingKind,
        app_id: &str,
    ) -> Result<String, WorkflowError> {
        match kind {
            FilingKind::ChangeWebsite | FilingKind::CancelWebsite => {}
            FilingKind::CancelAccess => {
                return Err(WorkflowError::Sponsor(SponsorRefusal::AppKindNotAllowed));
            }
            _ => return Err(WorkflowError::Sponsor(SponsorRefusal::AppKindNotSupported)),
        }
        let sponsor = self.own_sponsor(acting).await?;
        let app = match self.store.app(app_id).await {
            Ok(a) if a.data.sponsor_id == sponsor.id => a,
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                return Err(WorkflowError::Sponsor(SponsorRefusal::WebsiteNotFound));
            }
            Err(e) => return Err(e.into()),
        };
        let Some(sponsor_number) = sponsor.icp_number.clone() else {
            return Err(WorkflowError::Sponsor(SponsorRefusal::SponsorNotFiled));
        };
        let Some(app_number) = app.icp_number.clone() else {
            return Err(WorkflowError::Sponsor(SponsorRefusal::WebsiteNotFiled));
        };
        // As for a website: changes and cancellations go through the hosting provider.
        match self
            .store
            .open_access_of_app(&app.id)
            .await?
            .map(|a| a.status)
        {
            Some(AccessStatus::Active) => {}
            Some(_) => return Err(WorkflowError::Sponsor(SponsorRefusal::AccessCancelling)),
            None => return Err(WorkflowError::Sponsor(SponsorRefusal::NotAccessedHere)),
        }
        // The last approved forms of this APP (its filing, or its last change).
        let mut last: Option<Forms> = None;
        for order_id in self.store.order_ids_of_app(&app.id).await?.iter().rev() {
            let order = self.store.order(order_id).await?;
            if order.account_id == acting.account_id
                && [
                    OrderState::Approved.as_str(),
                    OrderState::Completed.as_str(),
                ]
                .contains(&order.state.as_str())
            {
                let work = self.store.order_workflow(order_id).await?;
                last = Some(Forms::from_json(work.forms.as_ref())?);
                break;
            }
        }
        let mut forms = prefilled(&sponsor, None, last.as_ref());
        let platforms: Vec<PlatformInput> = app
            .data
            .details
            .get("platforms")
            .and_then(|p| serde_json::from_value(p.clone()).ok())
            .unwrap_or_default();
        forms.app = Some(AppForm {
            name: app.data.name.clone(),
            platforms,
            service_content: app.data.service_content.clone(),
            responsible: person_form(
                &app.data.responsible,
                last.as_ref()
                    .and_then(|f| f.app.as_ref())
                    .map(|a| &a.responsible),
            ),
        });
        let registry = serde_json::to_value(RegistryPrefill {
            sponsor_number: Some(sponsor_number),
            website_number: Some(app_number),
            website_name: Some(app.data.name.clone()),
        })
        .map_err(|e| WorkflowError::Store(StoreError::Json(e)))?;

        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        tx.link_sponsor_account(&actor, &sponsor.id, &acting.account_id)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => WorkflowError::Sponsor(SponsorRefusal::NoSponsor),
                other => other.into(),
            })?;
        if let Some(open) = tx
            .open_orders_of_sponsor(&sponsor.id, &closed_states())
            .await?
            .into_iter()
            .next()
        {
            return Err(WorkflowError::Refused(
                beian_core::filing::FilingRefusal::OrderInProgress { order_id: open },
            ));
        }
        let order_id = tx
            .insert_order(
                &actor,
                &NewOrder {
                    account_id: &acting.account_id,
                    sponsor_id: Some(&sponsor.id),
                    website_id: None,
                    kind: kind.as_str(),
                    state: OrderState::Draft.as_str(),
                    province: &sponsor.data.province,
                },
            )
            .await?;
        tx.insert_order_workflow(&order_id, &registry).await?;
        tx.set_order_app(&order_id, &app.id).await?;
        tx.set_order_forms(&actor, &order_id, &forms.to_json()?, &[])
            .await?;
        tx.commit().await?;
        Ok(order_id)
    }
}
