//! The order's life (DESIGN.md §5): one state machine whose step order comes from a
//! [`Flow`] (kind, product, province, SMS rule), so that the classic, storefront and Shanghai
//! orders differ in data, not in code.
//!
//! ```text
//! draft ─submit→ provider_review ─approve→ photo_pending ─upload→ photo_review ─approve→
//!    ↑               │return                    ↑ reject ←──────────┘         queued_for_bureau
//!    └── returned ←──┘                          └─shanghai app ok──────────→        │sent
//!    ↑ (resubmit)                                                                    ↓
//!    └──────── bureau_returned ←── at_bureau ─sms required→ sms_pending ─ok→ at_bureau
//!                                    │approve            └─expired→ bureau_returned
//!                                    ↓
//!                                  approved ─synced→ completed
//! any open state ─abandon→ abandoned
//! ```
//!
//! - A flow without photo goes from provider review straight to `queued_for_bureau`; a flow
//!   without provider review (cancel access) goes from the submission to the step after
//!   review (photo if the flow has one, else `queued_for_bureau`).
//! - A returned order (by the provider or the bureau) stays in `returned` /
//!   `bureau_returned` while the applicant edits it ([`OrderState::is_editable`]) and
//!   leaves with `resubmit`, which has the same guard and target as `submit`. DESIGN.md
//!   draws the return arrows back to `draft`; keeping the state tells the applicant and the
//!   reviewers that this is a correction, with its return reasons.
//! - After a resubmission the flow runs again from provider review, photo step included:
//!   the state machine does not remember photos; if an approved photo may stand, the
//!   server offers it again and a reviewer approves it again.
//! - Events from the bureau are observations: in an SMS flow the bureau's approval is
//!   accepted in `at_bureau` even if no SMS step was recorded (the bureau does not approve
//!   without it; refusing would make our record disagree with the registry).
//! - Abandoning is allowed in every open state, at the bureau included (the server must then
//!   withdraw the application); `approved` is not open (see [`OrderState::is_open`]).
//!
//! [`apply`] checks, in order: the order is not closed; the event belongs to the flow; the
//! event is possible in this state; the submission guard ([`Readiness`] against
//! [`Flow::requirements`]). [`allowed_events`] lists the events possible in a state without
//! the guard, so a page shows "submit" and a click explains what is missing.

mod error;
mod event;
mod flow;
mod state;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use error::{Refusal, TransitionError};
pub use event::{Actor, Event, EventKind, Readiness, Requirement};
pub use flow::{Flow, PhotoMethod, ProductLine, Step};
pub use state::OrderState;

/// The state `event` leads to from `state` in `flow`, or why it is refused.
pub fn apply(state: OrderState, event: Event, flow: &Flow) -> Result<OrderState, TransitionError> {
    let kind = event.kind();
    let refuse = |refusal| TransitionError {
        state,
        event: kind,
        refusal,
    };
    if state.is_terminal() {
        return Err(refuse(Refusal::Closed));
    }
    if let Some(refusal) = not_in_flow(kind, flow) {
        return Err(refuse(refusal));
    }
    let Some(next) = target(state, kind, flow) else {
        return Err(refuse(Refusal::NotInThisState));
    };
    if let Some(readiness) = event.readiness() {
        let missing: Vec<Requirement> = flow
            .requirements()
            .into_iter()
            .filter(|r| !readiness.meets(*r))
            .collect();
        if !missing.is_empty() {
            return Err(refuse(Refusal::NotReady { missing }));
        }
    }
    Ok(next)
}

/// The events possible in `state` in `flow` (submission guards aside), in
/// [`EventKind::ALL`] order. Empty for a closed order.
pub fn allowed_events(state: OrderState, flow: &Flow) -> Vec<EventKind> {
    EventKind::ALL
        .into_iter()
        .filter(|kind| target(state, *kind, flow).is_some())
        .collect()
}

/// The events `actor` may cause in `state` in `flow`: the buttons a page shows.
pub fn allowed_events_for(state: OrderState, flow: &Flow, actor: Actor) -> Vec<EventKind> {
    allowed_events(state, flow)
        .into_iter()
        .filter(|kind| kind.actor() == actor)
        .collect()
}

/// Why `event` can never happen in `flow`, whatever the state.
fn not_in_flow(event: EventKind, flow: &Flow) -> Option<Refusal> {
    match event {
        EventKind::IdentityVerified if !flow.identity_in_app => Some(Refusal::NoAppIdentity),
        EventKind::ProviderApprove | EventKind::ProviderReturn if !flow.provider_review => {
            Some(Refusal::NoProviderReview)
        }
        EventKind::PhotoUploaded | EventKind::PhotoApproved | EventKind::PhotoRejected => {
            match flow.photo {
                None => Some(Refusal::NoPhotoStep),
                Some(PhotoMethod::BureauAppFaceCheck) => Some(Refusal::ShanghaiAppRequired),
                Some(PhotoMethod::Backdrop) => None,
            }
        }
        EventKind::ShanghaiAppVerified => match flow.photo {
            None => Some(Refusal::NoPhotoStep),
            Some(PhotoMethod::Backdrop) => Some(Refusal::BackdropRequired),
            Some(PhotoMethod::BureauAppFaceCheck) => None,
        },
        EventKind::SmsRequired | EventKind::SmsVerified | EventKind::SmsExpired
            if !flow.sms_required =>
        {
            Some(Refusal::NoSmsStep)
        }
        _ => None,
    }
}

/// The transition table: where `event` leads from `state` in `flow`, guards aside.
fn target(state: OrderState, event: EventKind, flow: &Flow) -> Option<OrderState> {
    use EventKind as E;
    use OrderState as S;
    if not_in_flow(event, flow).is_some() {
        return None;
    }
    match (state, event) {
        (s, E::Abandon) => s.is_open().then_some(S::Abandoned),
        (S::Draft, E::Submit) => Some(flow.after_submit()),
        (S::Returned | S::BureauReturned, E::Resubmit) => Some(flow.after_submit()),
        (S::Draft | S::Returned | S::BureauReturned, E::IdentityVerified) => Some(state),
        (S::ProviderReview, E::ProviderApprove) => Some(flow.after_review()),
        (S::ProviderReview, E::ProviderReturn) => Some(S::Returned),
        (S::PhotoPending, E::PhotoUploaded) => Some(S::PhotoReview),
        (S::PhotoPending, E::ShanghaiAppVerified) => Some(S::QueuedForBureau),
        (S::PhotoReview, E::PhotoApproved) => Some(S::QueuedForBureau),
        (S::PhotoReview, E::PhotoRejected) => Some(S::PhotoPending),
        (S::QueuedForBureau, E::SentToBureau) => Some(S::AtBureau),
        (S::AtBureau, E::SmsRequired) => Some(S::SmsPending),
        (S::SmsPending, E::SmsVerified) => Some(S::AtBureau),
        (S::SmsPending, E::SmsExpired) => Some(S::BureauReturned),
        (S::AtBureau, E::BureauApprove) => Some(S::Approved),
        (S::AtBureau | S::SmsPending, E::BureauReturn) => Some(S::BureauReturned),
        (S::Approved, E::Synced) => Some(S::Completed),
        _ => None,
    }
}
