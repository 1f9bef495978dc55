//! Change and cancellation orders (变更主体, 变更网站, 变更接入, 注销主体, 注销网站) of a sponsor
//! filed here (`POST /sponsor/orders`, `POST /websites/{id}/orders`). The filing check never
//! decides these kinds: the customer picks one for the account's own filed sponsor, or one
//! of its filed websites accessed here. 变更主体 carries one of the sponsor's websites
//! accessed here as well, unchanged: the bureau's change record always names a website and
//! its access.
//!
//! The order is made in `draft` in one transaction (the sponsor row locked first, then its
//! open orders counted: one order in progress per sponsor, as for `POST /orders`), with the
//! registry's numbers as its working data and its forms prefilled from our filed records
//! (what the last approval wrote, see `crate::bureau::apply`), completed with the contact
//! fields our records do not keep (emergency mobile, office phone) from the last approved
//! order's forms. The rest of the flow is the ordinary one: forms (which fields each kind may
//! change: `forms_update`), materials, the product for 变更接入, the filing password for
//! 注销主体, submission, 初审, the bureau.

use beian_core::kind::FilingKind;
use beian_core::order::OrderState;
use beian_store::StoreError;
use beian_store::accesses::AccessStatus;
use beian_store::orders::NewOrder;
use beian_store::sponsors::{Person, Sponsor, Website};
use serde_json::Value;

use super::check::RegistryPrefill;
use super::create::closed_states;
use super::error::WorkflowError;
use super::forms::{PersonForm, SponsorForm, SponsorIdentityInput, WebsiteForm};
use super::view::Forms;
use super::{Acting, SponsorRefusal, Workflow};

fn refuse<T>(r: SponsorRefusal) -> Result<T, WorkflowError> {
    Err(WorkflowError::Sponsor(r))
}

/// The person on file, with the contact fields our records do not keep taken from the last
/// approved forms when they describe the same person.
pub(super) fn person_form(p: &Person, last: Option<&PersonForm>) -> PersonForm {
    let same = last.filter(|l| {
        l.certificate_number.trim() == p.certificate_number.trim()
            && l.certificate_type == p.certificate_type
    });
    PersonForm {
        name: p.name.clone(),
        certificate_type: p.certificate_type.clone(),
        certificate_number: p.certificate_number.clone(),
        mobile: p.mobile.clone(),
        email: p.email.clone(),
        emergency_mobile: same.map(|l| l.emergency_mobile.clone()).unwrap_or_default(),
        office_phone: same.map(|l| l.office_phone.clone()).unwrap_or_default(),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The forms of an after-filing order: our records of the sponsor (and website).
pub(super) fn prefilled(
    sponsor: &Sponsor,
    website: Option<&Website>,
    last: Option<&Forms>,
) -> Forms {
    let s = &sponsor.data;
    let mut forms = Forms {
        sponsor: SponsorForm {
            identity: SponsorIdentityInput {
                province: s.province.clone(),
                nature: s.nature.clone(),
                certificate_type: s.certificate_type.clone(),
                certificate_number: s.certificate_number.clone(),
                name: s.name.clone(),
            },
            address: s.address.clone(),
            responsible: person_form(&s.responsible, last.map(|f| &f.sponsor.responsible)),
            responsible_is_legal_representative: last
                .and_then(|f| f.sponsor.responsible_is_legal_representative),
        },
        website: WebsiteForm::default(),
        app: None,
    };
    if let Some(w) = website {
        let d = &w.data;
        forms.website = WebsiteForm {
            name: d.name.clone(),
            domain: d.domain.clone(),
            home_url: d.home_url.clone(),
            service_content: d.service_content.clone(),
            languages: strings(d.details.get("languages")),
            responsible: person_form(&d.responsible, last.map(|f| &f.website.responsible)),
            pre_approvals: strings(d.details.get("pre_approvals")),
        };
    }
    forms
}

impl Workflow<'_> {
    /// Creates a change or cancellation order of `kind` for the acting account's filed
    /// sponsor (`website_id` names the website for the website kinds, and must be `None` for
    /// the sponsor kinds). Refused: [`SponsorRefusal::KindNotAllowed`] (not an after-filing
    /// kind, or a website kind without a website / a sponsor kind with one),
    /// [`SponsorRefusal::NoSponsor`], [`SponsorRefusal::SponsorNotFiled`],
    /// [`SponsorRefusal::WebsiteNotFound`] (not the sponsor's), [`SponsorRefusal::WebsiteNotFiled`],
    /// [`SponsorRefusal::NotAccessedHere`], [`SponsorRefusal::AccessCancelling`], and an order
    /// in progress (`order_in_progress`).
    pub async fn create_change_order(
        &self,
        acting: &Acting,
        kind: FilingKind,
        website_id: Option<&str>,
    ) -> Result<String, WorkflowError> {
        if !kind.is_after_filing() || kind.names_website() != website_id.is_some() {
            return refuse(SponsorRefusal::KindNotAllowed);
        }
        let sponsor = self.own_sponsor(acting).await?;
        let website = match website_id {
            Some(id) => match self.store.website(id).await {
                Ok(w) if w.data.sponsor_id == sponsor.id => Some(w),
                Ok(_) | Err(StoreError::NotFound { .. }) => {
                    return refuse(SponsorRefusal::WebsiteNotFound);
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let Some(sponsor_number) = sponsor.icp_number.clone() else {
            return refuse(SponsorRefusal::SponsorNotFiled);
        };
        let accesses = self.store.accesses_of_sponsor(&sponsor.id).await?;
        let active_of = |wid: &str| {
            accesses
                .iter()
                .filter(|a| a.website_id == wid)
                .map(|a| a.status)
                .find(|s| *s != AccessStatus::Cancelled)
        };
        if let Some(w) = &website {
            if w.icp_number.is_none() {
                return refuse(SponsorRefusal::WebsiteNotFiled);
            }
            match active_of(&w.id) {
                Some(AccessStatus::Active) => {}
                Some(_) => return refuse(SponsorRefusal::AccessCancelling),
                None => return refuse(SponsorRefusal::NotAccessedHere),
            }
        }
        let Some(accessed) = accesses.iter().find(|a| a.status == AccessStatus::Active) else {
            return refuse(SponsorRefusal::NotAccessedHere);
        };
        // The bureau's change record always names a website and its access (the schema asks
        // for both): 变更主体 carries one of the sponsor's websites accessed here, unchanged.
        let website = match (kind, website) {
            (FilingKind::ChangeSponsor, None) => {
                Some(self.store.website(&accessed.website_id).await?)
            }
            (_, w) => w,
        };
        let website_id = website.as_ref().map(|w| w.id.clone());
        let website_id = website_id.as_deref();

        let last = self
            .last_approved_forms(acting, &sponsor.id, website_id)
            .await?;
        let forms = prefilled(&sponsor, website.as_ref(), last.as_ref());
        let registry = serde_json::to_value(RegistryPrefill {
            sponsor_number: Some(sponsor_number),
            website_number: website.as_ref().and_then(|w| w.icp_number.clone()),
            website_name: website.as_ref().map(|w| w.data.name.clone()),
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
                    website_id,
                    kind: kind.as_str(),
                    state: OrderState::Draft.as_str(),
                    province: &sponsor.data.province,
                },
            )
            .await?;
        tx.insert_order_workflow(&order_id, &registry).await?;
        tx.set_order_forms(&actor, &order_id, &forms.to_json()?, &[])
            .await?;
        tx.commit().await?;
        Ok(order_id)
    }

    /// The forms of the account's last approved order of this sponsor (and website, if one).
    async fn last_approved_forms(
        &self,
        acting: &Acting,
        sponsor_id: &str,
        website_id: Option<&str>,
    ) -> Result<Option<Forms>, WorkflowError> {
        let done = [
            OrderState::Approved.as_str(),
            OrderState::Completed.as_str(),
        ];
        let orders = self.store.orders_of_account(&acting.account_id).await?;
        for o in orders.iter().rev() {
            let ours = o.sponsor_id.as_deref() == Some(sponsor_id)
                && website_id.is_none_or(|w| o.website_id.as_deref() == Some(w));
            let kind_fills = FilingKind::parse(&o.kind).is_some_and(|k| {
                !matches!(
                    k,
                    FilingKind::CancelSponsor
                        | FilingKind::CancelWebsite
                        | FilingKind::CancelAccess
                )
            });
            if ours && kind_fills && done.contains(&o.state.as_str()) {
                let work = self.store.order_workflow(&o.id).await?;
                return Forms::from_json(work.forms.as_ref()).map(Some);
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_store::sponsors::{SponsorData, WebsiteData};
    use serde_json::json;

    fn person(cert: &str, mobile: &str) -> Person {
        Person {
            name: "张三".into(),
            certificate_type: "resident_id".into(),
            certificate_number: cert.into(),
            mobile: mobile.into(),
            email: "zhang@example.cn".into(),
        }
    }

    fn sponsor() -> Sponsor {
        Sponsor {
            id: "s1".into(),
            data: SponsorData {
                account_id: Some("a1".into()),
                province: "33".into(),
                nature: "enterprise".into(),
                certificate_type: "credit_code".into(),
                certificate_number: "91330106MA2CFWXY9C".into(),
                name: "杭州示例科技有限公司".into(),
                address: "杭州市西湖区文三路 1 号".into(),
                responsible: person("330106199001011234", "13800138000"),
            },
            icp_number: Some("浙ICP备2021012345号".into()),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn website() -> Website {
        Website {
            id: "w1".into(),
            data: WebsiteData {
                sponsor_id: "s1".into(),
                name: "示例官网".into(),
                domain: "example-shop.cn".into(),
                home_url: "https://example-shop.cn/".into(),
                service_content: "企业官网".into(),
                details: json!({"languages": ["zh_cn", "en"], "pre_approvals": []}),
                responsible: person("330106199202021234", "13900139001"),
            },
            icp_number: Some("浙ICP备2021012345号-1".into()),
        }
    }

    #[test]
    fn forms_come_from_the_records_with_the_contacts_they_lack() {
        let mut last = Forms::default();
        last.sponsor.responsible.certificate_type = "resident_id".into();
        last.sponsor.responsible.certificate_number = "330106199001011234".into();
        last.sponsor.responsible.emergency_mobile = "13700137000".into();
        // Another person was the website's responsible then: nothing of theirs is taken.
        last.website.responsible.certificate_type = "resident_id".into();
        last.website.responsible.certificate_number = "110101199003071234".into();
        last.website.responsible.emergency_mobile = "13600136000".into();

        let forms = prefilled(&sponsor(), Some(&website()), Some(&last));
        assert_eq!(forms.sponsor.identity.name, "杭州示例科技有限公司");
        assert_eq!(forms.sponsor.identity.province, "33");
        assert_eq!(forms.sponsor.address, "杭州市西湖区文三路 1 号");
        assert_eq!(forms.sponsor.responsible.mobile, "13800138000");
        assert_eq!(forms.sponsor.responsible.emergency_mobile, "13700137000");
        assert_eq!(forms.website.domain, "example-shop.cn");
        assert_eq!(forms.website.languages, ["zh_cn", "en"]);
        assert_eq!(forms.website.responsible.mobile, "13900139001");
        assert_eq!(forms.website.responsible.emergency_mobile, "");

        let without_site = prefilled(&sponsor(), None, None);
        assert_eq!(without_site.website, WebsiteForm::default());
        assert_eq!(without_site.sponsor.responsible.emergency_mobile, "");
    }
}
