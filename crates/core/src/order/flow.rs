//! [`Flow`]: the step order of one order, computed from its kind, its product and its
//! province (plus whether the province's rules ask for SMS verification at the time), so the
//! state machine itself holds no product or province knowledge (DESIGN.md §5).
//!
//! - classic (server products, seed 1): submit → provider review → backdrop photo → queued
//!   → bureau;
//! - storefront (seed 2): the app upload and identity check (真实性核验) come BEFORE the
//!   submission (a guard on submit), then provider review, then straight to the bureau: no
//!   photo step after review;
//! - Shanghai: the photo step is the Shanghai bureau's app face check instead of the
//!   backdrop photo. Shanghai requires it of every applicant, so a storefront order in
//!   Shanghai has both the app identity check and the Shanghai app check;
//! - kinds without photo ([`FilingKind::needs_photo`] is false: changes, cancellations,
//!   cancel access) have neither the photo step nor the storefront identity check;
//! - cancel access has no provider review either: the applicant proves ownership with the
//!   SMS code and the filing password, and the platform submits it to the bureau;
//! - SMS verification when `sms_required` (the province rules at the time decide, e.g. the
//!   2020-08-17 nationwide rule excludes cancel access; the caller passes the answer).
//!
//! The fields are public so that a caller (or a rule read from data) may build any flow;
//! the state machine accepts every combination.

use serde::{Deserialize, Serialize};

use super::event::Requirement;
use super::state::OrderState;
use crate::kind::FilingKind;
pub use crate::rules::PhotoMethod;
use crate::rules::ProvinceRules;

/// The product the website will be hosted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductLine {
    /// An ECS-like server product, proven by a 备案服务号.
    Server,
    /// The storefront / corporate-site products (阿里巴巴旺铺 / 企业官网).
    Storefront,
}

/// One step of a flow, in order, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Fill in the forms and upload the materials.
    Application,
    /// The storefront app's upload and identity check.
    AppIdentity,
    ProviderReview,
    Photo(PhotoMethod),
    /// The provider submits to the bureau.
    BureauSubmission,
    SmsVerification,
    BureauReview,
    /// The result lands in our records.
    Sync,
}

/// The step order of one order. Serialisable so that an order can keep the flow it was
/// submitted under, even if the province rules change later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flow {
    pub kind: FilingKind,
    /// Identity verified in the storefront app before the submission.
    pub identity_in_app: bool,
    /// This provider reviews the order (初审).
    pub provider_review: bool,
    /// The photo step after review, if any.
    pub photo: Option<PhotoMethod>,
    /// SMS verification at the bureau.
    pub sms_required: bool,
}

impl Flow {
    /// The flow of an order of `kind` on `product` under the province rules in force when it
    /// is submitted (`rules_for(province, kind, at)`): they say how the responsible person is
    /// photo-verified and whether the bureau checks by SMS.
    pub fn from_rules(kind: FilingKind, product: ProductLine, rules: &ProvinceRules) -> Flow {
        Flow::new(kind, product, rules.photo, rules.sms.is_some())
    }

    /// The flow of an order of `kind` on `product`, where the province verifies the person by
    /// `photo_method` and `sms_required` says whether the bureau checks by SMS.
    pub fn new(
        kind: FilingKind,
        product: ProductLine,
        photo_method: PhotoMethod,
        sms_required: bool,
    ) -> Flow {
        let verified_person = kind.needs_photo();
        let photo = if !verified_person {
            None
        } else if photo_method == PhotoMethod::BureauAppFaceCheck {
            Some(PhotoMethod::BureauAppFaceCheck)
        } else if product == ProductLine::Storefront {
            None
        } else {
            Some(PhotoMethod::Backdrop)
        };
        Flow {
            kind,
            identity_in_app: verified_person && product == ProductLine::Storefront,
            provider_review: kind != FilingKind::CancelAccess,
            photo,
            sms_required,
        }
    }

    /// The state a submission leads to: provider review, or without it the step after it.
    pub fn after_submit(&self) -> OrderState {
        if self.provider_review {
            OrderState::ProviderReview
        } else {
            self.after_review()
        }
    }

    /// The state the provider's approval leads to.
    pub fn after_review(&self) -> OrderState {
        if self.photo.is_some() {
            OrderState::PhotoPending
        } else {
            OrderState::QueuedForBureau
        }
    }

    /// What must be done before a submission: forms and materials always; a product for
    /// kinds that end with us hosting; the filing password for access kinds and a new
    /// website of a sponsor filed elsewhere; the app identity check in a storefront flow.
    pub fn requirements(&self) -> Vec<Requirement> {
        let mut out = vec![Requirement::FormsComplete, Requirement::MaterialsComplete];
        if self.kind.needs_product() {
            out.push(Requirement::ProductVerified);
        }
        if self.kind.needs_filing_password() {
            out.push(Requirement::PasswordVerified);
        }
        if self.identity_in_app {
            out.push(Requirement::IdentityVerified);
        }
        out
    }

    /// The steps in order.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps = vec![Step::Application];
        if self.identity_in_app {
            steps.push(Step::AppIdentity);
        }
        if self.provider_review {
            steps.push(Step::ProviderReview);
        }
        if let Some(method) = self.photo {
            steps.push(Step::Photo(method));
        }
        steps.push(Step::BureauSubmission);
        if self.sms_required {
            steps.push(Step::SmsVerification);
        }
        steps.push(Step::BureauReview);
        steps.push(Step::Sync);
        steps
    }

    /// Whether an order in this flow can ever be in `state`.
    pub fn uses(&self, state: OrderState) -> bool {
        match state {
            OrderState::Returned => self.provider_review,
            OrderState::ProviderReview => self.provider_review,
            OrderState::PhotoPending => self.photo.is_some(),
            OrderState::PhotoReview => self.photo == Some(PhotoMethod::Backdrop),
            OrderState::SmsPending => self.sms_required,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::province::Province;

    /// The flow as the province rules of 2026 make it.
    fn flow(kind: FilingKind, product: ProductLine, province: Province, sms: bool) -> Flow {
        let at = chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00+08:00")
            .unwrap()
            .to_utc();
        let photo = crate::rules::rules_for(province, kind, at).photo;
        Flow::new(kind, product, photo, sms)
    }

    #[test]
    fn flows_by_product_province_and_kind() {
        use FilingKind::*;
        use ProductLine::*;
        use Step::*;
        let zj = Province::ZHEJIANG;
        let sh = Province::SHANGHAI;
        let cases = [
            (
                "classic",
                flow(FirstFiling, Server, zj, false),
                vec![
                    Application,
                    ProviderReview,
                    Photo(PhotoMethod::Backdrop),
                    BureauSubmission,
                    BureauReview,
                    Sync,
                ],
            ),
            (
                "classic with SMS",
                flow(NewAccess, Server, Province::TIANJIN, true),
                vec![
                    Application,
                    ProviderReview,
                    Photo(PhotoMethod::Backdrop),
                    BureauSubmission,
                    SmsVerification,
                    BureauReview,
                    Sync,
                ],
            ),
            (
                "storefront: identity before review, no photo after",
                flow(FirstFiling, Storefront, zj, false),
                vec![
                    Application,
                    AppIdentity,
                    ProviderReview,
                    BureauSubmission,
                    BureauReview,
                    Sync,
                ],
            ),
            (
                "Shanghai: the bureau's app instead of the backdrop",
                flow(ContinueAccess, Server, sh, false),
                vec![
                    Application,
                    ProviderReview,
                    Photo(PhotoMethod::BureauAppFaceCheck),
                    BureauSubmission,
                    BureauReview,
                    Sync,
                ],
            ),
            (
                "storefront in Shanghai: both app checks",
                flow(NewWebsite, Storefront, sh, true),
                vec![
                    Application,
                    AppIdentity,
                    ProviderReview,
                    Photo(PhotoMethod::BureauAppFaceCheck),
                    BureauSubmission,
                    SmsVerification,
                    BureauReview,
                    Sync,
                ],
            ),
            (
                "a change has no photo",
                flow(ChangeWebsite, Storefront, sh, true),
                vec![
                    Application,
                    ProviderReview,
                    BureauSubmission,
                    SmsVerification,
                    BureauReview,
                    Sync,
                ],
            ),
            (
                "cancel access has neither photo nor review",
                flow(CancelAccess, Server, zj, false),
                vec![Application, BureauSubmission, BureauReview, Sync],
            ),
        ];
        for (name, flow, steps) in cases {
            assert_eq!(flow.steps(), steps, "{name}");
        }
    }

    #[test]
    fn every_kind_with_a_photo_has_a_photo_step_on_servers() {
        for kind in FilingKind::ALL {
            let f = flow(kind, ProductLine::Server, Province::ZHEJIANG, false);
            assert_eq!(f.photo.is_some(), kind.needs_photo(), "{kind}");
            assert!(!f.identity_in_app, "{kind}");
            let s = flow(kind, ProductLine::Storefront, Province::ZHEJIANG, false);
            assert_eq!(s.photo, None, "{kind}");
            assert_eq!(s.identity_in_app, kind.needs_photo(), "{kind}");
        }
    }

    #[test]
    fn requirements_follow_kind_and_flow() {
        use Requirement::*;
        let cases = [
            (
                flow(
                    FilingKind::FirstFiling,
                    ProductLine::Server,
                    Province::ZHEJIANG,
                    false,
                ),
                vec![FormsComplete, MaterialsComplete, ProductVerified],
            ),
            (
                flow(
                    FilingKind::NewAccess,
                    ProductLine::Server,
                    Province::ZHEJIANG,
                    false,
                ),
                vec![
                    FormsComplete,
                    MaterialsComplete,
                    ProductVerified,
                    PasswordVerified,
                ],
            ),
            (
                flow(
                    FilingKind::NewWebsite,
                    ProductLine::Storefront,
                    Province::ZHEJIANG,
                    false,
                ),
                vec![
                    FormsComplete,
                    MaterialsComplete,
                    ProductVerified,
                    IdentityVerified,
                ],
            ),
            (
                flow(
                    FilingKind::CancelWebsite,
                    ProductLine::Server,
                    Province::ZHEJIANG,
                    false,
                ),
                vec![FormsComplete, MaterialsComplete],
            ),
        ];
        for (flow, expected) in cases {
            assert_eq!(flow.requirements(), expected, "{:?}", flow.kind);
        }
    }
}
