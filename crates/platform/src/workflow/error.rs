//! [`WorkflowError`]: every way a workflow service refuses, with the API code and HTTP status
//! it maps to, the fields it names, and its message (zh-CN first, en second, from
//! `messages/workflow.toml`, or the core catalogue for the refusals core owns).

use std::collections::BTreeMap;

use beian_core::filing::FilingRefusal;
use beian_core::i18n::{Locale, Localized};
use beian_core::order::{OrderState, TransitionError};
use beian_store::StoreError;

use super::messages;
use super::photo_input::PhotoRefusal;
use crate::materials::MaterialKind;

/// One field's problem: a message key (core's catalogue for validator errors, the workflow
/// file for the rest) and its arguments. Arguments never hold the rejected value itself when
/// it is personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(key: &'static str) -> FieldError {
        FieldError {
            key,
            args: Vec::new(),
        }
    }

    /// From a core validator's error.
    pub fn from_localized(e: &dyn Localized) -> FieldError {
        FieldError {
            key: e.message_key(),
            args: e.message_args(),
        }
    }

    /// The message in `locale`, from whichever catalogue holds the key.
    pub fn localize(&self, locale: Locale) -> String {
        render_any(locale, self.key, &self.args)
    }
}

/// Field errors by API path (`sponsor.responsible.mobile`), all found at once.
pub type FieldErrors = BTreeMap<String, FieldError>;

/// Why a service number cannot be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceNumberRefusal {
    /// No such number.
    Unknown,
    /// The number is bound to an order or has been used (status other than unbound).
    Used,
    /// The instance is a storefront, not a server product.
    WrongProduct,
    /// The instance is stopped, released or its term ended.
    InstanceNotRunning,
    NoPublicIp,
    /// Less of the instance's term remains than the policy's minimum (3 months by default).
    TermTooShort,
    /// The instance already has as many numbers in use as the policy allows.
    InstanceLimitReached,
}

impl ServiceNumberRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ServiceNumberRefusal::Unknown => "service_number_unknown",
            ServiceNumberRefusal::Used => "service_number_used",
            ServiceNumberRefusal::WrongProduct => "service_number_wrong_product",
            ServiceNumberRefusal::InstanceNotRunning => "instance_not_running",
            ServiceNumberRefusal::NoPublicIp => "instance_without_public_ip",
            ServiceNumberRefusal::TermTooShort => "instance_term_too_short",
            ServiceNumberRefusal::InstanceLimitReached => "instance_number_limit",
        }
    }
}

/// A workflow service's refusal or failure.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Input that does not validate; every bad field, by path. Nothing changed. (422)
    #[error("invalid input: {}", paths(.0))]
    Invalid(FieldErrors),
    /// The filing check refused (API.md codes). (422)
    #[error("filing check refused: {0}")]
    Refused(FilingRefusal),
    /// The sponsor's certificate is held by another account here. (422)
    #[error("the sponsor is held by another account")]
    SponsorOfOtherAccount,
    /// Another sponsor's order here already uses the domain. (409)
    #[error("the domain is used by another sponsor's order")]
    DomainInUse,
    /// Fields this order may not change (access kinds, fields not returned, identity). (409)
    #[error("fields locked: {}", .fields.join(", "))]
    FieldLocked { fields: Vec<String> },
    /// The order's forms cannot be edited in this state. (409)
    #[error("order not editable in state {state}")]
    NotEditable { state: OrderState },
    /// This kind has no such step (e.g. a password for a first filing). (409)
    #[error("step not part of this order's kind")]
    NotForThisKind,
    /// The service number cannot back this order. (422)
    #[error("service number refused: {}", .0.code())]
    ServiceNumber(ServiceNumberRefusal),
    /// The account has no active storefront subscription. (422)
    #[error("no active storefront subscription")]
    NoStorefront,
    /// The registry says the filing password is wrong. (422)
    #[error("filing password incorrect")]
    PasswordIncorrect,
    /// The registry locked the password check after too many attempts; the message says
    /// where to recover the password (the bureau's site). (429)
    #[error("filing password check locked")]
    PasswordLocked { bureau: String },
    /// A submission with requirements not met: the core refusal, plus the missing
    /// materials and form fields for the page. (409)
    #[error("not ready: {transition}")]
    NotReady {
        transition: TransitionError,
        materials: Vec<MaterialKind>,
        fields: Vec<String>,
    },
    /// The state machine refused the event. (409)
    #[error(transparent)]
    InvalidTransition(TransitionError),
    /// The order changed concurrently; reload and retry. (409)
    #[error("concurrent change")]
    Conflict,
    /// A reviewer may not review an order of their own account. (403)
    #[error("own order")]
    OwnOrder,
    /// No such order (or not the acting account's). (404)
    #[error("not found: {what}")]
    NotFound { what: &'static str },
    /// A refusal of the photo step (backdrop requests, photo decisions). (409)
    #[error("photo step refused: {}", .0.code())]
    Photo(PhotoRefusal),
    /// The registry did not answer usably. (502)
    #[error("registry unavailable: {0}")]
    Registry(String),
    /// A refusal of the after-success services (sponsor view, 取消接入, legacy import).
    #[error("refused: {}", .0.code())]
    Sponsor(super::SponsorRefusal),
    /// A store failure (500; logged, not shown).
    #[error("store: {0}")]
    Store(StoreError),
}

fn paths(fields: &FieldErrors) -> String {
    fields.keys().cloned().collect::<Vec<_>>().join(", ")
}

impl From<StoreError> for WorkflowError {
    fn from(e: StoreError) -> WorkflowError {
        match e {
            StoreError::Conflict { .. } => WorkflowError::Conflict,
            StoreError::NotFound { what } => WorkflowError::NotFound { what },
            other => WorkflowError::Store(other),
        }
    }
}

impl From<TransitionError> for WorkflowError {
    fn from(e: TransitionError) -> WorkflowError {
        WorkflowError::InvalidTransition(e)
    }
}

impl WorkflowError {
    /// The API error code.
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::Invalid(_) => "invalid_input",
            WorkflowError::Refused(r) => r.code(),
            WorkflowError::SponsorOfOtherAccount => "sponsor_of_other_account",
            WorkflowError::DomainInUse => "domain_in_use",
            WorkflowError::FieldLocked { .. } => "field_locked",
            WorkflowError::NotEditable { .. } => "order_not_editable",
            WorkflowError::NotForThisKind => "not_for_this_kind",
            WorkflowError::ServiceNumber(r) => r.code(),
            WorkflowError::NoStorefront => "no_storefront_subscription",
            WorkflowError::PasswordIncorrect => "filing_password_incorrect",
            WorkflowError::PasswordLocked { .. } => "filing_password_locked",
            WorkflowError::NotReady { .. } => "not_ready",
            WorkflowError::InvalidTransition(t) => t.code(),
            WorkflowError::Conflict => "conflict",
            WorkflowError::OwnOrder => "own_order",
            WorkflowError::NotFound { .. } => "not_found",
            WorkflowError::Photo(r) => r.code(),
            WorkflowError::Registry(_) => "registry_unavailable",
            WorkflowError::Sponsor(r) => r.code(),
            WorkflowError::Store(StoreError::Busy) => "busy",
            WorkflowError::Store(_) => "internal",
        }
    }

    /// The HTTP status API.md gives this error.
    pub fn status(&self) -> u16 {
        match self {
            WorkflowError::Invalid(_)
            | WorkflowError::Refused(_)
            | WorkflowError::SponsorOfOtherAccount
            | WorkflowError::ServiceNumber(_)
            | WorkflowError::NoStorefront
            | WorkflowError::PasswordIncorrect => 422,
            WorkflowError::PasswordLocked { .. } => 429,
            WorkflowError::DomainInUse
            | WorkflowError::FieldLocked { .. }
            | WorkflowError::NotEditable { .. }
            | WorkflowError::NotForThisKind
            | WorkflowError::NotReady { .. }
            | WorkflowError::InvalidTransition(_)
            | WorkflowError::Conflict => 409,
            WorkflowError::OwnOrder => 403,
            WorkflowError::NotFound { .. } => 404,
            WorkflowError::Photo(r) => r.status(),
            WorkflowError::Registry(_) => 502,
            WorkflowError::Sponsor(r) => r.status(),
            WorkflowError::Store(StoreError::Busy) => 503,
            WorkflowError::Store(_) => 500,
        }
    }

    /// The `fields` map of the API error: path → message in `locale`.
    pub fn fields(&self, locale: Locale) -> BTreeMap<String, String> {
        match self {
            WorkflowError::Invalid(errors) => errors
                .iter()
                .map(|(path, e)| (path.clone(), e.localize(locale)))
                .collect(),
            WorkflowError::Refused(r) => r
                .fields()
                .iter()
                .map(|f| (f.path().to_owned(), r.localize(locale)))
                .collect(),
            WorkflowError::FieldLocked { fields } => {
                let text = messages().render(locale, "workflow.field_locked_one", &[]);
                fields.iter().map(|f| (f.clone(), text.clone())).collect()
            }
            WorkflowError::NotReady {
                materials, fields, ..
            } => {
                let mut out: BTreeMap<String, String> = fields
                    .iter()
                    .map(|f| {
                        let text = messages().render(locale, "workflow.required", &[]);
                        (f.clone(), text)
                    })
                    .collect();
                for m in materials {
                    let name = render_any(locale, m.message_key(), &[]);
                    out.insert(
                        format!("materials.{}", m.as_str()),
                        messages().render(locale, "workflow.material_missing", &[("name", name)]),
                    );
                }
                out
            }
            WorkflowError::Sponsor(r) => r.fields(locale),
            _ => BTreeMap::new(),
        }
    }

    /// The message key of the whole error.
    pub fn message_key(&self) -> &'static str {
        match self {
            WorkflowError::Invalid(_) => "workflow.invalid_input",
            WorkflowError::Refused(r) => r.message_key(),
            WorkflowError::SponsorOfOtherAccount => "workflow.sponsor_of_other_account",
            WorkflowError::DomainInUse => "workflow.domain_in_use",
            WorkflowError::FieldLocked { .. } => "workflow.field_locked",
            WorkflowError::NotEditable { .. } => "workflow.order_not_editable",
            WorkflowError::NotForThisKind => "workflow.not_for_this_kind",
            WorkflowError::ServiceNumber(r) => match r {
                ServiceNumberRefusal::Unknown => "workflow.service_number_unknown",
                ServiceNumberRefusal::Used => "workflow.service_number_used",
                ServiceNumberRefusal::WrongProduct => "workflow.service_number_wrong_product",
                ServiceNumberRefusal::InstanceNotRunning => "workflow.instance_not_running",
                ServiceNumberRefusal::NoPublicIp => "workflow.instance_without_public_ip",
                ServiceNumberRefusal::TermTooShort => "workflow.instance_term_too_short",
                ServiceNumberRefusal::InstanceLimitReached => "workflow.instance_number_limit",
            },
            WorkflowError::NoStorefront => "workflow.no_storefront_subscription",
            WorkflowError::PasswordIncorrect => "workflow.filing_password_incorrect",
            WorkflowError::PasswordLocked { .. } => "workflow.filing_password_locked",
            WorkflowError::NotReady { transition, .. } => transition.message_key(),
            WorkflowError::InvalidTransition(t) => t.message_key(),
            WorkflowError::Conflict => "workflow.conflict",
            WorkflowError::OwnOrder => "workflow.own_order",
            WorkflowError::NotFound { .. } => "workflow.not_found",
            WorkflowError::Photo(r) => r.message_key(),
            WorkflowError::Registry(_) => "workflow.registry_unavailable",
            WorkflowError::Sponsor(r) => r.message_key(),
            WorkflowError::Store(StoreError::Busy) => "workflow.busy",
            WorkflowError::Store(_) => "workflow.internal",
        }
    }

    /// The message of the whole error in `locale`. Internal causes are not in it.
    pub fn localize(&self, locale: Locale) -> String {
        match self {
            WorkflowError::Refused(r) => r.localize(locale),
            WorkflowError::NotReady { transition, .. } => transition.localize(locale),
            WorkflowError::InvalidTransition(t) => t.localize(locale),
            WorkflowError::NotEditable { state } => messages().render(
                locale,
                self.message_key(),
                &[("state", state.localize(locale))],
            ),
            WorkflowError::FieldLocked { fields } => {
                messages().render(locale, self.message_key(), &[("fields", fields.join(", "))])
            }
            WorkflowError::PasswordLocked { bureau } => {
                messages().render(locale, self.message_key(), &[("bureau", bureau.clone())])
            }
            WorkflowError::Sponsor(r) => r.localize(locale),
            _ => messages().render(locale, self.message_key(), &[]),
        }
    }
}

/// Renders `key` from the workflow file if it has it, else from core's catalogue.
pub(super) fn render_any(locale: Locale, key: &str, args: &[(&str, String)]) -> String {
    if messages().has_key(key) {
        messages().render(locale, key, args)
    } else {
        beian_core::i18n::render(locale, key, args)
    }
}
