//! The workflow service layer (DESIGN.md §4–§5): what the API and the portal call to check a
//! filing's kind, create an order, fill its forms, verify its product and filing password,
//! and submit, resubmit or abandon it. No HTTP here: each service takes the acting account
//! and typed input and returns a typed result or a [`WorkflowError`] (which knows its API
//! code, HTTP status, field map and message).
//!
//! Every change is one store transaction: the order's version moves (so a concurrent change
//! is a [`WorkflowError::Conflict`]), with its timeline entry, its audit records and the
//! notification jobs of the step.
//!
//! - [`Workflow::filing_check`] / [`Workflow::create_order`] — `check`, `create`;
//! - [`Workflow::update_sponsor`] / [`Workflow::update_website`] / [`Workflow::update_app`]
//!   (an APP's order, issue 18) — `forms_update`;
//! - [`Workflow::bind_service_number`], [`Workflow::verify_storefront`],
//!   [`Workflow::verify_filing_password`] — `product`;
//! - [`Workflow::submit`], [`Workflow::resubmit`], [`Workflow::abandon`],
//!   [`Workflow::provider_return`] — `submit`;
//! - [`Workflow::review_queue`], [`Workflow::review_order`], [`Workflow::provider_approve`] —
//!   `review` (the provider's 初审);
//! - [`Workflow::add_material`], [`Workflow::verification_form_data`] — `materials`;
//! - [`Workflow::sponsor_view`] — `sponsor_view` (`GET /sponsor`);
//! - [`Workflow::send_cancel_access_code`], [`Workflow::cancel_access`] — `cancel_access`
//!   (取消接入);
//! - [`Workflow::import_legacy`] — `legacy_import` (万网), over [`crate::legacy`].
//! - [`Workflow::create_change_order`] — `change` (变更主体, 变更网站, 变更接入, 注销主体,
//!   注销网站 of a filed sponsor); [`Workflow::create_app_change_order`] — `app_change`
//!   (变更APP).
//! - [`Workflow::request_backdrop`], [`Workflow::backdrop_requests`],
//!   [`Workflow::ship_backdrop`] — `backdrop`; [`Workflow::upload_photo`],
//!   [`Workflow::submit_shanghai_code`], [`Workflow::decide_photo`] — `photo` (拍照核验);
//!   [`Workflow::photo_status`] — `photo_status`.
//! - [`Workflow::remind_applicant`], [`Workflow::expire_draft`] — `waiting` (the deadline
//!   jobs' side of an order that waits on its applicant).

mod app_change;
mod backdrop;
mod bureau_status;
mod change;
mod check;
mod create;
mod error;
mod forms;
mod forms_update;
mod materials;
mod photo;
mod photo_input;
mod photo_status;
mod prefill;
mod product;
mod review;
mod submit;
mod view;
// After success: the account's sponsor, 取消接入, the legacy import.
mod cancel_access;
mod legacy_import;
mod sponsor_error;
mod sponsor_view;
mod waiting;

use std::sync::OnceLock;

use beian_core::filing::ProviderId;
use beian_core::i18n::Messages;
use beian_miit::v3::client::RegulatorClient;
use beian_store::Store;
use beian_store::accounts::Role;

pub use backdrop::{BackdropListItem, BackdropRequested};
pub use bureau_status::BureauStatus;
pub use cancel_access::{
    CANCEL_CODE_ATTEMPTS, CANCEL_CODE_VALID_MINUTES, CancelAccessInput, CancelCodeSent,
    CancelledAccess,
};
pub use check::{FilingCheckResult, RegistryPrefill};
pub use create::CreatedOrder;
pub use error::{FieldError, FieldErrors, ServiceNumberRefusal, WorkflowError};
pub use forms::{
    AppCheckInput, AppForm, FilingCheckInput, LANGUAGES, PersonForm, SponsorForm,
    SponsorIdentityInput, WebsiteForm, home_url_on_domain, person_facts, validate_app,
    validate_check, validate_sponsor, validate_sponsor_variants, validate_website,
};
pub use legacy_import::{LegacyImportInput, LegacyImported};
pub use materials::AddedMaterial;
pub use photo::{
    BACKDROP_LIST_LIMIT, PHOTO_PURGE_JOB, PhotoForReview, PhotoStepDone, PhotoVerdict,
    run_purge_job, with_bureau_deadline,
};
pub use photo_input::{
    AddressInput, BackdropRequestInput, PhotoRefusal, PhotoRejectCode, PhotoRejectReason,
    RejectReasonInput, ShanghaiAppCode, address_province, tracking_number,
};
pub use photo_status::{PhotoCheckView, PhotoStatus};
pub use product::MIN_TERM_MONTHS;
pub use review::{
    Approved, QUEUE_LIMIT, QueueFilter, QueueItem, REVIEW_STATES, ReviewMaterial, ReviewOrder,
    ReviewTimelineEntry, mask_person_name,
};
pub use sponsor_error::SponsorRefusal;
pub use sponsor_view::{AccessView, SponsorAppView, SponsorView, SponsorWebsiteView};
pub use submit::{
    ABANDON_ACCESS_WARNING, AbandonOutcome, ReturnReasonInput, Submitted, UploadWithdrawal,
};
pub use view::{Forms, MaterialSummary, OrderSummary, OrderView, TimelineItem};
pub use waiting::{
    DEADLINE_ACTOR, DRAFT_EXPIRY_DAYS, REMINDER_THRESHOLDS_DAYS, WAITING_STATES, days_waited,
    pending_task,
};

/// The account a service acts for (from the session or API key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub account_id: String,
    pub role: Role,
}

impl Acting {
    pub fn applicant(account_id: impl Into<String>) -> Acting {
        Acting {
            account_id: account_id.into(),
            role: Role::Applicant,
        }
    }

    /// The actor string of timeline entries and audit records.
    pub fn actor(&self) -> String {
        format!("account:{}", self.account_id)
    }
}

/// The services, over one store and one regulator.
#[derive(Clone, Copy)]
pub struct Workflow<'a> {
    pub store: &'a Store,
    pub regulator: &'a dyn RegulatorClient,
    /// This deployment's provider id at the registry (`ispId`).
    pub provider: ProviderId,
}

impl std::fmt::Debug for Workflow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workflow")
            .field("store", self.store)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl<'a> Workflow<'a> {
    pub fn new(
        store: &'a Store,
        regulator: &'a dyn RegulatorClient,
        provider: ProviderId,
    ) -> Workflow<'a> {
        Workflow {
            store,
            regulator,
            provider,
        }
    }
}

const FILES: &[(&str, &str)] = &[
    ("workflow", include_str!("../../messages/workflow.toml")),
    ("sponsor", include_str!("../../messages/sponsor.toml")),
    ("photo", include_str!("../../messages/photo.toml")),
];

/// The workflow's texts (`messages/workflow.toml`).
pub fn messages() -> &'static Messages {
    static MESSAGES: OnceLock<Messages> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        Messages::from_files(FILES).unwrap_or_else(|e| {
            tracing::error!(error = %e, "workflow texts do not parse");
            Messages::default()
        })
    })
}

#[cfg(test)]
mod tests;
