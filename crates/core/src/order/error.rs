//! [`TransitionError`]: a refused transition says in which state, for which event, and why.

use std::fmt;

use super::event::{EventKind, Requirement};
use super::state::OrderState;
use crate::i18n::{Locale, Localized, render};

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The order is completed or abandoned: nothing happens to it any more.
    Closed,
    /// The flow has the event, but not in this state.
    NotInThisState,
    /// A photo event in a flow without a photo step (storefront, changes, cancellations).
    NoPhotoStep,
    /// A backdrop photo event in a flow that uses the Shanghai bureau's app check.
    ShanghaiAppRequired,
    /// The Shanghai app check in a flow that uses the backdrop photo.
    BackdropRequired,
    /// The app identity check in a flow that has none (only storefront orders do).
    NoAppIdentity,
    /// A provider review event in a flow without provider review (cancel access).
    NoProviderReview,
    /// An SMS event in a flow without SMS verification.
    NoSmsStep,
    /// A submission with requirements of the flow not yet met.
    NotReady { missing: Vec<Requirement> },
}

impl Refusal {
    /// The snake-case code, for the API error.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Closed => "order_closed",
            Refusal::NotInThisState => "not_in_this_state",
            Refusal::NoPhotoStep => "no_photo_step",
            Refusal::ShanghaiAppRequired => "shanghai_app_required",
            Refusal::BackdropRequired => "backdrop_required",
            Refusal::NoAppIdentity => "no_app_identity",
            Refusal::NoProviderReview => "no_provider_review",
            Refusal::NoSmsStep => "no_sms_step",
            Refusal::NotReady { .. } => "not_ready",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotReady { missing } => {
                let names: Vec<_> = missing.iter().map(|r| r.as_str()).collect();
                write!(f, "not_ready ({})", names.join(", "))
            }
            other => f.write_str(other.code()),
        }
    }
}

/// A refused transition. The order does not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} refused in state {state}: {refusal}")]
pub struct TransitionError {
    pub state: OrderState,
    pub event: EventKind,
    pub refusal: Refusal,
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        self.refusal.code()
    }
}

impl Localized for TransitionError {
    fn message_key(&self) -> &'static str {
        match self.refusal {
            Refusal::Closed => "order.refused.order_closed",
            Refusal::NotInThisState => "order.refused.not_in_this_state",
            Refusal::NoPhotoStep => "order.refused.no_photo_step",
            Refusal::ShanghaiAppRequired => "order.refused.shanghai_app_required",
            Refusal::BackdropRequired => "order.refused.backdrop_required",
            Refusal::NoAppIdentity => "order.refused.no_app_identity",
            Refusal::NoProviderReview => "order.refused.no_provider_review",
            Refusal::NoSmsStep => "order.refused.no_sms_step",
            Refusal::NotReady { .. } => "order.refused.not_ready",
        }
    }

    /// The codes of the state, the event and the missing requirements.
    fn message_args(&self) -> Vec<(&'static str, String)> {
        let missing = match &self.refusal {
            Refusal::NotReady { missing } => missing
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        };
        vec![
            ("state", self.state.as_str().to_owned()),
            ("event", self.event.as_str().to_owned()),
            ("missing", missing),
        ]
    }

    /// As the default, with the state, the event and the requirements named in `locale`.
    fn localize(&self, locale: Locale) -> String {
        let separator = match locale {
            Locale::ZhCn => "、",
            Locale::En => ", ",
        };
        let missing = match &self.refusal {
            Refusal::NotReady { missing } => missing
                .iter()
                .map(|r| r.localize(locale))
                .collect::<Vec<_>>()
                .join(separator),
            _ => String::new(),
        };
        let args = [
            ("state", self.state.localize(locale)),
            ("event", self.event.localize(locale)),
            ("missing", missing),
        ];
        render(locale, self.message_key(), &args)
    }
}
