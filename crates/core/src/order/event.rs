//! What happens to an order: [`Event`] (with the facts its guard needs), its fieldless name
//! [`EventKind`] (for the timeline, the audit log and the buttons a page shows), and the
//! [`Actor`] who may cause it.
//!
//! Guards that need data the state machine does not hold travel with the event: submitting
//! carries a [`Readiness`], the server's account of what is done (forms, materials, product,
//! filing password, app identity check), and [`super::apply`] refuses with the list of what
//! the flow still requires. The other events carry nothing: whether they may happen depends
//! only on the state and the flow.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

/// Who may cause an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The applicant (the account holding the sponsor, or its API key).
    Applicant,
    /// This provider's reviewer (初审).
    Reviewer,
    /// The platform itself: jobs, callbacks, deadlines.
    System,
    /// The bureau or the ministry, through the MIIT interface.
    Bureau,
}

/// An event's name, without its facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The applicant submits the draft.
    Submit,
    /// The applicant submits again after a return (provider's or bureau's).
    Resubmit,
    /// The storefront app reports the materials uploaded and the identity check (真实性核验)
    /// passed. Recorded in the timeline; the state does not change.
    IdentityVerified,
    /// 初审通过.
    ProviderApprove,
    /// 初审退回, with reasons.
    ProviderReturn,
    /// The applicant uploads the photo taken before the backdrop.
    PhotoUploaded,
    /// A reviewer accepts the photo.
    PhotoApproved,
    /// A reviewer rejects the photo (with a reason); another must be taken.
    PhotoRejected,
    /// The Shanghai bureau's app face check passed (the applicant's code was confirmed).
    ShanghaiAppVerified,
    /// The upload to the bureau was accepted (the outbox job, within one working day).
    SentToBureau,
    /// The regulator texted the verification code.
    SmsRequired,
    /// The code was entered on the bureau's site in time.
    SmsVerified,
    /// The window passed without the code (the order counts as returned by the bureau).
    SmsExpired,
    /// 管局审核通过.
    BureauApprove,
    /// 管局退回 (also a failed SMS check).
    BureauReturn,
    /// The bureau's result is in our records (numbers, access).
    Synced,
    /// The applicant gives the order up.
    Abandon,
}

impl EventKind {
    pub const ALL: [EventKind; 17] = [
        EventKind::Submit,
        EventKind::Resubmit,
        EventKind::IdentityVerified,
        EventKind::ProviderApprove,
        EventKind::ProviderReturn,
        EventKind::PhotoUploaded,
        EventKind::PhotoApproved,
        EventKind::PhotoRejected,
        EventKind::ShanghaiAppVerified,
        EventKind::SentToBureau,
        EventKind::SmsRequired,
        EventKind::SmsVerified,
        EventKind::SmsExpired,
        EventKind::BureauApprove,
        EventKind::BureauReturn,
        EventKind::Synced,
        EventKind::Abandon,
    ];

    /// The snake-case name used in the timeline and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Submit => "submit",
            EventKind::Resubmit => "resubmit",
            EventKind::IdentityVerified => "identity_verified",
            EventKind::ProviderApprove => "provider_approve",
            EventKind::ProviderReturn => "provider_return",
            EventKind::PhotoUploaded => "photo_uploaded",
            EventKind::PhotoApproved => "photo_approved",
            EventKind::PhotoRejected => "photo_rejected",
            EventKind::ShanghaiAppVerified => "shanghai_app_verified",
            EventKind::SentToBureau => "sent_to_bureau",
            EventKind::SmsRequired => "sms_required",
            EventKind::SmsVerified => "sms_verified",
            EventKind::SmsExpired => "sms_expired",
            EventKind::BureauApprove => "bureau_approve",
            EventKind::BureauReturn => "bureau_return",
            EventKind::Synced => "synced",
            EventKind::Abandon => "abandon",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Who may cause the event. The server checks the caller's role against it.
    pub fn actor(self) -> Actor {
        match self {
            EventKind::Submit
            | EventKind::Resubmit
            | EventKind::PhotoUploaded
            | EventKind::Abandon => Actor::Applicant,
            EventKind::ProviderApprove
            | EventKind::ProviderReturn
            | EventKind::PhotoApproved
            | EventKind::PhotoRejected => Actor::Reviewer,
            EventKind::IdentityVerified
            | EventKind::ShanghaiAppVerified
            | EventKind::SentToBureau
            | EventKind::SmsExpired
            | EventKind::Synced => Actor::System,
            EventKind::SmsRequired
            | EventKind::SmsVerified
            | EventKind::BureauApprove
            | EventKind::BureauReturn => Actor::Bureau,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event's name for people (`order.event.<name>`).
impl Localized for EventKind {
    fn message_key(&self) -> &'static str {
        match self {
            EventKind::Submit => "order.event.submit",
            EventKind::Resubmit => "order.event.resubmit",
            EventKind::IdentityVerified => "order.event.identity_verified",
            EventKind::ProviderApprove => "order.event.provider_approve",
            EventKind::ProviderReturn => "order.event.provider_return",
            EventKind::PhotoUploaded => "order.event.photo_uploaded",
            EventKind::PhotoApproved => "order.event.photo_approved",
            EventKind::PhotoRejected => "order.event.photo_rejected",
            EventKind::ShanghaiAppVerified => "order.event.shanghai_app_verified",
            EventKind::SentToBureau => "order.event.sent_to_bureau",
            EventKind::SmsRequired => "order.event.sms_required",
            EventKind::SmsVerified => "order.event.sms_verified",
            EventKind::SmsExpired => "order.event.sms_expired",
            EventKind::BureauApprove => "order.event.bureau_approve",
            EventKind::BureauReturn => "order.event.bureau_return",
            EventKind::Synced => "order.event.synced",
            EventKind::Abandon => "order.event.abandon",
        }
    }
}

/// What must be done before an order can be submitted. Which of these a flow requires is
/// [`super::Flow::requirements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// The sponsor and website forms are filled in and valid.
    FormsComplete,
    /// Every material the kind and the province ask for is uploaded.
    MaterialsComplete,
    /// A product is verified (备案服务号, or the storefront subscription).
    ProductVerified,
    /// The sponsor's filing password was checked with the registry.
    PasswordVerified,
    /// The storefront app's upload and identity check (真实性核验) are done.
    IdentityVerified,
}

impl Requirement {
    pub const ALL: [Requirement; 5] = [
        Requirement::FormsComplete,
        Requirement::MaterialsComplete,
        Requirement::ProductVerified,
        Requirement::PasswordVerified,
        Requirement::IdentityVerified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::FormsComplete => "forms_complete",
            Requirement::MaterialsComplete => "materials_complete",
            Requirement::ProductVerified => "product_verified",
            Requirement::PasswordVerified => "password_verified",
            Requirement::IdentityVerified => "identity_verified",
        }
    }
}

impl Localized for Requirement {
    fn message_key(&self) -> &'static str {
        match self {
            Requirement::FormsComplete => "order.requirement.forms_complete",
            Requirement::MaterialsComplete => "order.requirement.materials_complete",
            Requirement::ProductVerified => "order.requirement.product_verified",
            Requirement::PasswordVerified => "order.requirement.password_verified",
            Requirement::IdentityVerified => "order.requirement.identity_verified",
        }
    }
}

/// The server's account of what is done, carried by a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readiness {
    pub forms_complete: bool,
    pub materials_complete: bool,
    pub product_verified: bool,
    pub password_verified: bool,
    pub identity_verified: bool,
}

impl Readiness {
    /// Everything done.
    pub fn complete() -> Readiness {
        Readiness {
            forms_complete: true,
            materials_complete: true,
            product_verified: true,
            password_verified: true,
            identity_verified: true,
        }
    }

    /// Whether `requirement` is met.
    pub fn meets(&self, requirement: Requirement) -> bool {
        match requirement {
            Requirement::FormsComplete => self.forms_complete,
            Requirement::MaterialsComplete => self.materials_complete,
            Requirement::ProductVerified => self.product_verified,
            Requirement::PasswordVerified => self.password_verified,
            Requirement::IdentityVerified => self.identity_verified,
        }
    }
}

/// An event with the facts its guard needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Submit(Readiness),
    Resubmit(Readiness),
    IdentityVerified,
    ProviderApprove,
    ProviderReturn,
    PhotoUploaded,
    PhotoApproved,
    PhotoRejected,
    ShanghaiAppVerified,
    SentToBureau,
    SmsRequired,
    SmsVerified,
    SmsExpired,
    BureauApprove,
    BureauReturn,
    Synced,
    Abandon,
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Submit(_) => EventKind::Submit,
            Event::Resubmit(_) => EventKind::Resubmit,
            Event::IdentityVerified => EventKind::IdentityVerified,
            Event::ProviderApprove => EventKind::ProviderApprove,
            Event::ProviderReturn => EventKind::ProviderReturn,
            Event::PhotoUploaded => EventKind::PhotoUploaded,
            Event::PhotoApproved => EventKind::PhotoApproved,
            Event::PhotoRejected => EventKind::PhotoRejected,
            Event::ShanghaiAppVerified => EventKind::ShanghaiAppVerified,
            Event::SentToBureau => EventKind::SentToBureau,
            Event::SmsRequired => EventKind::SmsRequired,
            Event::SmsVerified => EventKind::SmsVerified,
            Event::SmsExpired => EventKind::SmsExpired,
            Event::BureauApprove => EventKind::BureauApprove,
            Event::BureauReturn => EventKind::BureauReturn,
            Event::Synced => EventKind::Synced,
            Event::Abandon => EventKind::Abandon,
        }
    }

    /// The event of `kind`; a submission carries `readiness`, the others ignore it.
    pub fn of(kind: EventKind, readiness: Readiness) -> Event {
        match kind {
            EventKind::Submit => Event::Submit(readiness),
            EventKind::Resubmit => Event::Resubmit(readiness),
            EventKind::IdentityVerified => Event::IdentityVerified,
            EventKind::ProviderApprove => Event::ProviderApprove,
            EventKind::ProviderReturn => Event::ProviderReturn,
            EventKind::PhotoUploaded => Event::PhotoUploaded,
            EventKind::PhotoApproved => Event::PhotoApproved,
            EventKind::PhotoRejected => Event::PhotoRejected,
            EventKind::ShanghaiAppVerified => Event::ShanghaiAppVerified,
            EventKind::SentToBureau => Event::SentToBureau,
            EventKind::SmsRequired => Event::SmsRequired,
            EventKind::SmsVerified => Event::SmsVerified,
            EventKind::SmsExpired => Event::SmsExpired,
            EventKind::BureauApprove => Event::BureauApprove,
            EventKind::BureauReturn => Event::BureauReturn,
            EventKind::Synced => Event::Synced,
            EventKind::Abandon => Event::Abandon,
        }
    }

    /// The readiness a submission carries.
    pub fn readiness(&self) -> Option<&Readiness> {
        match self {
            Event::Submit(r) | Event::Resubmit(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n;

    #[test]
    fn names_round_trip_and_have_messages() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(Event::of(kind, Readiness::default()).kind(), kind);
            assert!(i18n::has_key(kind.message_key()), "{kind}");
        }
        for requirement in Requirement::ALL {
            assert!(i18n::has_key(requirement.message_key()), "{requirement:?}");
            assert!(Readiness::complete().meets(requirement));
            assert!(!Readiness::default().meets(requirement));
        }
    }

    #[test]
    fn actors() {
        use EventKind::*;
        for (kind, actor) in [
            (Submit, Actor::Applicant),
            (Abandon, Actor::Applicant),
            (PhotoUploaded, Actor::Applicant),
            (ProviderApprove, Actor::Reviewer),
            (PhotoRejected, Actor::Reviewer),
            (IdentityVerified, Actor::System),
            (SentToBureau, Actor::System),
            (Synced, Actor::System),
            (SmsVerified, Actor::Bureau),
            (BureauReturn, Actor::Bureau),
        ] {
            assert_eq!(kind.actor(), actor, "{kind}");
        }
    }

    #[test]
    fn only_submissions_carry_readiness() {
        let ready = Readiness::complete();
        for kind in EventKind::ALL {
            let event = Event::of(kind, ready);
            let carries = matches!(kind, EventKind::Submit | EventKind::Resubmit);
            assert_eq!(event.readiness().is_some(), carries, "{kind}");
        }
    }
}
