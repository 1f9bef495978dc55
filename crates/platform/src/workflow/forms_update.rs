//! The sponsor and website forms (`PUT /orders/{id}/sponsor`, `…/website`): every field
//! validated, all errors at once; then the fields this order may not change are refused
//! together ([`WorkflowError::FieldLocked`]):
//!
//! - the identity the kind was decided on: the sponsor's province, nature, certificate type
//!   and number, and the website's domain (to change them, abandon and start again — the seed:
//!   "若想修改域名，需单击放弃当前备案"); the sponsor's name too, except in a first filing (the
//!   registry does not know the sponsor yet);
//! - access kinds: "接入备案只是增加一个服务商数据，接入过程中无法变更信息" — only the
//!   responsible persons' contact fields (mobile, email, emergency mobile, office phone) may
//!   change; other fields may be filled in while empty (V3's status query does not return
//!   them) but not changed once set;
//! - change and cancellation kinds ([`after_filing_frozen`]): 变更主体 changes the sponsor's
//!   address and responsible person, 变更网站 the website's fields but its domain, the others
//!   no field at all; a frozen field may still be filled while empty (our records do not keep
//!   the emergency mobile, for one);
//! - after a return (`returned`, `bureau_returned`): only the fields the return reasons name
//!   (a reason naming `sponsor.responsible` covers its sub-fields).
//!
//! A save moves the order's version (timeline entry `sponsor_updated` / `website_updated`),
//! so a concurrent save or submission is a conflict.

use beian_core::kind::FilingKind;
use beian_core::rules::rules_for;
use beian_store::orders::TimelineEvent;
use serde_json::{Value, json};

use super::error::WorkflowError;

use super::forms::{
    AppForm, SponsorForm, WebsiteForm, changed_paths, validate_app, validate_sponsor,
    validate_sponsor_variants, validate_website,
};
use super::view::Loaded;
use super::{Acting, Workflow};

const CONTACT_FIELDS: &[&str] = &["mobile", "email", "emergency_mobile", "office_phone"];

fn is_contact(path: &str) -> bool {
    path.rsplit_once('.').is_some_and(|(parent, leaf)| {
        parent.ends_with("responsible") && CONTACT_FIELDS.contains(&leaf)
    })
}

fn identity_paths(kind: FilingKind) -> Vec<&'static str> {
    let mut paths = vec![
        "sponsor.province",
        "sponsor.nature",
        "sponsor.certificate_type",
        "sponsor.certificate_number",
        "website.domain",
    ];
    if kind != FilingKind::FirstFiling {
        paths.push("sponsor.name");
    }
    paths
}

/// Whether an after-filing kind may not change `path` (`None` for the other kinds).
fn after_filing_frozen(kind: FilingKind, path: &str) -> Option<bool> {
    let may = match kind {
        FilingKind::ChangeSponsor => {
            path == "sponsor.address" || path.starts_with("sponsor.responsible.")
        }
        FilingKind::ChangeWebsite => {
            (path.starts_with("website.") && path != "website.domain") || path.starts_with("app.")
        }
        FilingKind::ChangeAccess | FilingKind::CancelSponsor | FilingKind::CancelWebsite => false,
        _ => return None,
    };
    Some(!may)
}

/// The value at a dotted path of a JSON document.
fn at<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(doc, |v, key| v.get(key))
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// The changed paths `l` may not change.
fn locked(l: &Loaded, old: &Value, changed: &[String]) -> Vec<String> {
    let identity = identity_paths(l.kind);
    let returned: Option<Vec<String>> = l
        .state
        .is_editable()
        .then(|| {
            l.order
                .return_reasons
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| r.get("field").and_then(Value::as_str))
                        .filter(|f| {
                            f.starts_with("sponsor")
                                || f.starts_with("website")
                                || f.starts_with("app")
                        })
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        // The bureau's reasons name no form field (`field: "bureau"`): after its return
        // every field the kind allows may be corrected.
        .filter(|fields| {
            !(l.state == beian_core::order::OrderState::BureauReturned && fields.is_empty())
        });
    let after_return = l.state != beian_core::order::OrderState::Draft;
    changed
        .iter()
        .filter(|path| {
            if identity.contains(&path.as_str()) {
                return true;
            }
            if l.kind.is_access() && !is_contact(path) && !is_empty(at(old, path)) {
                return true;
            }
            if after_filing_frozen(l.kind, path) == Some(true) && !is_empty(at(old, path)) {
                return true;
            }
            if after_return && let Some(fields) = &returned {
                let covered = fields
                    .iter()
                    .any(|f| *path == f || path.starts_with(&format!("{f}.")));
                return !covered;
            }
            false
        })
        .cloned()
        .collect()
}

/// The form does not fit the order's service (a website form on an APP's order, or the
/// other way round).
fn not_for(field: &str, key: &'static str) -> WorkflowError {
    let mut errors = super::error::FieldErrors::new();
    errors.insert(field.to_owned(), super::error::FieldError::new(key));
    WorkflowError::Invalid(errors)
}

impl Workflow<'_> {
    /// Saves the sponsor form.
    pub async fn update_sponsor(
        &self,
        acting: &Acting,
        order_id: &str,
        form: &SponsorForm,
    ) -> Result<(), WorkflowError> {
        let errors = validate_sponsor(form);
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let l = self.load(acting, order_id).await?;
        // The province variants in force now (legal representative, minimum age).
        let now = self.store.now();
        let errors = validate_sponsor_variants(
            form,
            &rules_for(l.province, l.kind, now),
            beian_core::calendar::local_date(now),
        );
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let mut forms = l.forms.clone();
        forms.sponsor = form.clone();
        self.save_forms(acting, &l, forms.to_json()?, "sponsor_updated")
            .await
    }

    /// Saves the website form.
    pub async fn update_website(
        &self,
        acting: &Acting,
        order_id: &str,
        form: &WebsiteForm,
    ) -> Result<(), WorkflowError> {
        let errors = validate_website(form);
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let l = self.load(acting, order_id).await?;
        if l.forms.is_app() {
            return Err(not_for("website", "workflow.not_for_app"));
        }
        let mut forms = l.forms.clone();
        forms.website = form.clone();
        self.save_forms(acting, &l, forms.to_json()?, "website_updated")
            .await
    }

    /// Saves the APP form of an APP's order (issue 18).
    pub async fn update_app(
        &self,
        acting: &Acting,
        order_id: &str,
        form: &AppForm,
    ) -> Result<(), WorkflowError> {
        let errors = validate_app(form);
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let l = self.load(acting, order_id).await?;
        if !l.forms.is_app() {
            return Err(not_for("app", "workflow.only_for_app"));
        }
        let mut forms = l.forms.clone();
        forms.app = Some(form.clone());
        self.save_forms(acting, &l, forms.to_json()?, "app_updated")
            .await
    }

    async fn save_forms(
        &self,
        acting: &Acting,
        l: &Loaded,
        new: Value,
        event: &str,
    ) -> Result<(), WorkflowError> {
        if !l.state.is_editable() {
            return Err(WorkflowError::NotEditable { state: l.state });
        }
        let old = l.forms.to_json()?;
        let changed = changed_paths("", &old, &new);
        let refused = locked(l, &old, &changed);
        if !refused.is_empty() {
            return Err(WorkflowError::FieldLocked { fields: refused });
        }
        if changed.is_empty() {
            return Ok(());
        }
        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        let mut ev = TimelineEvent::new(&actor, event);
        ev.note = json!({ "changed": changed });
        tx.transition_order(&l.order.id, l.order.version, l.state.as_str(), &ev)
            .await?;
        tx.set_order_forms(&actor, &l.order.id, &new, &changed)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_fields_are_those_of_a_responsible_person() {
        for (path, contact) in [
            ("sponsor.responsible.mobile", true),
            ("website.responsible.email", true),
            ("website.responsible.office_phone", true),
            ("sponsor.responsible.name", false),
            ("sponsor.address", false),
            ("website.mobile", false),
        ] {
            assert_eq!(is_contact(path), contact, "{path}");
        }
    }

    #[test]
    fn each_after_filing_kind_changes_its_own_fields() {
        use FilingKind::*;
        for (kind, path, frozen) in [
            (ChangeSponsor, "sponsor.address", Some(false)),
            (ChangeSponsor, "sponsor.responsible.mobile", Some(false)),
            (ChangeSponsor, "sponsor.province", Some(true)),
            (ChangeSponsor, "website.name", Some(true)),
            (ChangeWebsite, "website.name", Some(false)),
            (ChangeWebsite, "website.responsible.email", Some(false)),
            (ChangeWebsite, "website.domain", Some(true)),
            (ChangeWebsite, "sponsor.address", Some(true)),
            (ChangeAccess, "website.name", Some(true)),
            (CancelSponsor, "sponsor.address", Some(true)),
            (CancelWebsite, "website.home_url", Some(true)),
            (FirstFiling, "website.name", None),
        ] {
            assert_eq!(after_filing_frozen(kind, path), frozen, "{kind} {path}");
        }
    }

    #[test]
    fn at_and_empty() {
        let doc = json!({"sponsor": {"address": "", "responsible": {"name": "张三"}}});
        assert!(is_empty(at(&doc, "sponsor.address")));
        assert!(is_empty(at(&doc, "sponsor.nothing")));
        assert!(!is_empty(at(&doc, "sponsor.responsible.name")));
    }
}
