//! Unit tests of the order state machine: each flow's happy path, returns, abandoning, and
//! the refusals that matter.

use super::*;
use crate::i18n::{self, Locale, Localized};
use crate::kind::FilingKind;

use Event as E;
use OrderState as S;

const READY: Readiness = Readiness {
    forms_complete: true,
    materials_complete: true,
    product_verified: true,
    password_verified: true,
    identity_verified: true,
};

fn classic(sms: bool) -> Flow {
    Flow::new(
        FilingKind::FirstFiling,
        ProductLine::Server,
        PhotoMethod::Backdrop,
        sms,
    )
}

fn storefront() -> Flow {
    Flow::new(
        FilingKind::FirstFiling,
        ProductLine::Storefront,
        PhotoMethod::Backdrop,
        false,
    )
}

fn shanghai() -> Flow {
    Flow::new(
        FilingKind::NewAccess,
        ProductLine::Server,
        PhotoMethod::BureauAppFaceCheck,
        false,
    )
}

/// Applies each event in turn from `draft`, checking the state after each.
fn run(name: &str, flow: &Flow, steps: &[(Event, OrderState)]) {
    let mut state = S::Draft;
    for (i, (event, expected)) in steps.iter().enumerate() {
        match apply(state, *event, flow) {
            Ok(next) => {
                assert_eq!(next, *expected, "{name}: step {i} {:?}", event.kind());
                state = next;
            }
            Err(e) => panic!("{name}: step {i} refused: {e}"),
        }
    }
}

fn refusal(state: OrderState, event: Event, flow: &Flow) -> Option<Refusal> {
    apply(state, event, flow).err().map(|e| e.refusal)
}

#[test]
fn happy_paths_of_each_flow() {
    let bureau_tail = [
        (E::SentToBureau, S::AtBureau),
        (E::BureauApprove, S::Approved),
        (E::Synced, S::Completed),
    ];
    let mut classic_path = vec![
        (E::Submit(READY), S::ProviderReview),
        (E::ProviderApprove, S::PhotoPending),
        (E::PhotoUploaded, S::PhotoReview),
        (E::PhotoApproved, S::QueuedForBureau),
    ];
    classic_path.extend(bureau_tail);
    run("classic", &classic(false), &classic_path);

    run(
        "classic with SMS",
        &classic(true),
        &[
            (E::Submit(READY), S::ProviderReview),
            (E::ProviderApprove, S::PhotoPending),
            (E::PhotoUploaded, S::PhotoReview),
            (E::PhotoApproved, S::QueuedForBureau),
            (E::SentToBureau, S::AtBureau),
            (E::SmsRequired, S::SmsPending),
            (E::SmsVerified, S::AtBureau),
            (E::BureauApprove, S::Approved),
            (E::Synced, S::Completed),
        ],
    );

    let mut storefront_path = vec![
        (E::IdentityVerified, S::Draft),
        (E::Submit(READY), S::ProviderReview),
        (E::ProviderApprove, S::QueuedForBureau),
    ];
    storefront_path.extend(bureau_tail);
    run("storefront", &storefront(), &storefront_path);

    let mut shanghai_path = vec![
        (E::Submit(READY), S::ProviderReview),
        (E::ProviderApprove, S::PhotoPending),
        (E::ShanghaiAppVerified, S::QueuedForBureau),
    ];
    shanghai_path.extend(bureau_tail);
    run("shanghai", &shanghai(), &shanghai_path);

    let cancel_access = Flow::new(
        FilingKind::CancelAccess,
        ProductLine::Server,
        PhotoMethod::Backdrop,
        false,
    );
    let mut cancel_path = vec![(E::Submit(READY), S::QueuedForBureau)];
    cancel_path.extend(bureau_tail);
    run("cancel access", &cancel_access, &cancel_path);

    let change = Flow::new(
        FilingKind::ChangeSponsor,
        ProductLine::Server,
        PhotoMethod::Backdrop,
        true,
    );
    run(
        "change sponsor",
        &change,
        &[
            (E::Submit(READY), S::ProviderReview),
            (E::ProviderApprove, S::QueuedForBureau),
            (E::SentToBureau, S::AtBureau),
            (E::SmsRequired, S::SmsPending),
            (E::SmsVerified, S::AtBureau),
            (E::BureauApprove, S::Approved),
            (E::Synced, S::Completed),
        ],
    );
}

#[test]
fn returns_and_resubmissions() {
    run(
        "provider return, photo reject, SMS expiry, bureau return",
        &classic(true),
        &[
            (E::Submit(READY), S::ProviderReview),
            (E::ProviderReturn, S::Returned),
            (E::Resubmit(READY), S::ProviderReview),
            (E::ProviderApprove, S::PhotoPending),
            (E::PhotoUploaded, S::PhotoReview),
            (E::PhotoRejected, S::PhotoPending),
            (E::PhotoUploaded, S::PhotoReview),
            (E::PhotoApproved, S::QueuedForBureau),
            (E::SentToBureau, S::AtBureau),
            (E::SmsRequired, S::SmsPending),
            (E::SmsExpired, S::BureauReturned),
            (E::Resubmit(READY), S::ProviderReview),
            (E::ProviderApprove, S::PhotoPending),
            (E::PhotoUploaded, S::PhotoReview),
            (E::PhotoApproved, S::QueuedForBureau),
            (E::SentToBureau, S::AtBureau),
            (E::BureauReturn, S::BureauReturned),
            (E::Abandon, S::Abandoned),
        ],
    );
    // Submit is for drafts, resubmit for returned orders.
    assert_eq!(
        refusal(S::Returned, E::Submit(READY), &classic(false)),
        Some(Refusal::NotInThisState)
    );
    assert_eq!(
        refusal(S::Draft, E::Resubmit(READY), &classic(false)),
        Some(Refusal::NotInThisState)
    );
}

#[test]
fn abandon_from_every_open_state_and_nothing_after_the_end() {
    let flows = [classic(true), storefront(), shanghai()];
    for flow in &flows {
        for state in OrderState::ALL {
            let result = apply(state, E::Abandon, flow);
            if state.is_open() {
                assert_eq!(result, Ok(S::Abandoned), "{state}");
            } else {
                assert!(result.is_err(), "{state}");
            }
        }
        for state in [S::Completed, S::Abandoned] {
            assert!(allowed_events(state, flow).is_empty(), "{state}");
            for kind in EventKind::ALL {
                assert_eq!(
                    refusal(state, Event::of(kind, READY), flow),
                    Some(Refusal::Closed),
                    "{state} {kind}"
                );
            }
        }
    }
    assert_eq!(
        refusal(S::Approved, E::Abandon, &classic(false)),
        Some(Refusal::NotInThisState)
    );
}

#[test]
fn refusals_by_flow() {
    let cases = [
        (
            "backdrop photo in Shanghai",
            shanghai(),
            S::PhotoPending,
            E::PhotoUploaded,
            Refusal::ShanghaiAppRequired,
        ),
        (
            "photo review in Shanghai",
            shanghai(),
            S::PhotoPending,
            E::PhotoApproved,
            Refusal::ShanghaiAppRequired,
        ),
        (
            "Shanghai app check elsewhere",
            classic(false),
            S::PhotoPending,
            E::ShanghaiAppVerified,
            Refusal::BackdropRequired,
        ),
        (
            "photo in a storefront flow",
            storefront(),
            S::PhotoPending,
            E::PhotoUploaded,
            Refusal::NoPhotoStep,
        ),
        (
            "app identity in a classic flow",
            classic(false),
            S::Draft,
            E::IdentityVerified,
            Refusal::NoAppIdentity,
        ),
        (
            "SMS without the SMS rule",
            classic(false),
            S::AtBureau,
            E::SmsRequired,
            Refusal::NoSmsStep,
        ),
        (
            "provider review of a cancel access",
            Flow::new(
                FilingKind::CancelAccess,
                ProductLine::Server,
                PhotoMethod::Backdrop,
                false,
            ),
            S::ProviderReview,
            E::ProviderApprove,
            Refusal::NoProviderReview,
        ),
        (
            "approve before review",
            classic(false),
            S::Draft,
            E::ProviderApprove,
            Refusal::NotInThisState,
        ),
        (
            "bureau decision before submission to the bureau",
            classic(false),
            S::QueuedForBureau,
            E::BureauApprove,
            Refusal::NotInThisState,
        ),
        (
            "bureau approval while the SMS code is pending",
            classic(true),
            S::SmsPending,
            E::BureauApprove,
            Refusal::NotInThisState,
        ),
        (
            "sync before approval",
            classic(false),
            S::AtBureau,
            E::Synced,
            Refusal::NotInThisState,
        ),
    ];
    for (name, flow, state, event, expected) in cases {
        assert_eq!(refusal(state, event, &flow), Some(expected), "{name}");
    }
}

#[test]
fn storefront_verifies_identity_before_review() {
    let flow = storefront();
    let not_verified = Readiness {
        identity_verified: false,
        ..READY
    };
    assert_eq!(
        refusal(S::Draft, E::Submit(not_verified), &flow),
        Some(Refusal::NotReady {
            missing: vec![Requirement::IdentityVerified]
        })
    );
    // The classic flow does not ask for it.
    assert_eq!(
        apply(S::Draft, E::Submit(not_verified), &classic(false)),
        Ok(S::ProviderReview)
    );
    assert!(allowed_events(S::Draft, &flow).contains(&EventKind::IdentityVerified));
    assert!(!allowed_events(S::ProviderReview, &flow).contains(&EventKind::IdentityVerified));
}

#[test]
fn submission_lists_what_is_missing() {
    let access = Flow::new(
        FilingKind::ContinueAccess,
        ProductLine::Server,
        PhotoMethod::Backdrop,
        false,
    );
    let cases = [
        (
            Readiness::default(),
            vec![
                Requirement::FormsComplete,
                Requirement::MaterialsComplete,
                Requirement::ProductVerified,
                Requirement::PasswordVerified,
            ],
        ),
        (
            Readiness {
                password_verified: false,
                ..READY
            },
            vec![Requirement::PasswordVerified],
        ),
        (
            Readiness {
                materials_complete: false,
                identity_verified: false,
                ..READY
            },
            vec![Requirement::MaterialsComplete],
        ),
    ];
    for (readiness, missing) in cases {
        assert_eq!(
            refusal(S::Draft, E::Submit(readiness), &access),
            Some(Refusal::NotReady {
                missing: missing.clone()
            }),
            "{missing:?}"
        );
        assert_eq!(
            refusal(S::BureauReturned, E::Resubmit(readiness), &access),
            Some(Refusal::NotReady {
                missing: missing.clone()
            }),
            "{missing:?}"
        );
    }
}

#[test]
fn allowed_events_are_the_buttons() {
    use EventKind::*;
    let cases = [
        (classic(false), S::Draft, vec![Submit, Abandon]),
        (
            storefront(),
            S::Draft,
            vec![Submit, IdentityVerified, Abandon],
        ),
        (
            classic(false),
            S::ProviderReview,
            vec![ProviderApprove, ProviderReturn, Abandon],
        ),
        (
            shanghai(),
            S::PhotoPending,
            vec![ShanghaiAppVerified, Abandon],
        ),
        (
            classic(false),
            S::PhotoPending,
            vec![PhotoUploaded, Abandon],
        ),
        (
            classic(true),
            S::AtBureau,
            vec![SmsRequired, BureauApprove, BureauReturn, Abandon],
        ),
        (
            classic(true),
            S::SmsPending,
            vec![SmsVerified, SmsExpired, BureauReturn, Abandon],
        ),
        (
            classic(false),
            S::AtBureau,
            vec![BureauApprove, BureauReturn, Abandon],
        ),
        (classic(false), S::Approved, vec![Synced]),
        (classic(false), S::Completed, vec![]),
    ];
    for (flow, state, expected) in cases {
        assert_eq!(allowed_events(state, &flow), expected, "{state}");
    }
    assert_eq!(
        allowed_events_for(S::ProviderReview, &classic(false), Actor::Reviewer),
        vec![ProviderApprove, ProviderReturn]
    );
    assert_eq!(
        allowed_events_for(S::ProviderReview, &classic(false), Actor::Applicant),
        vec![Abandon]
    );
}

#[test]
fn errors_are_localized_with_names_not_codes() {
    let errors = [
        TransitionError {
            state: S::Completed,
            event: EventKind::Abandon,
            refusal: Refusal::Closed,
        },
        TransitionError {
            state: S::Draft,
            event: EventKind::ProviderApprove,
            refusal: Refusal::NotInThisState,
        },
        TransitionError {
            state: S::PhotoPending,
            event: EventKind::PhotoUploaded,
            refusal: Refusal::NoPhotoStep,
        },
        TransitionError {
            state: S::PhotoPending,
            event: EventKind::PhotoUploaded,
            refusal: Refusal::ShanghaiAppRequired,
        },
        TransitionError {
            state: S::PhotoPending,
            event: EventKind::ShanghaiAppVerified,
            refusal: Refusal::BackdropRequired,
        },
        TransitionError {
            state: S::Draft,
            event: EventKind::IdentityVerified,
            refusal: Refusal::NoAppIdentity,
        },
        TransitionError {
            state: S::ProviderReview,
            event: EventKind::ProviderReturn,
            refusal: Refusal::NoProviderReview,
        },
        TransitionError {
            state: S::AtBureau,
            event: EventKind::SmsRequired,
            refusal: Refusal::NoSmsStep,
        },
        TransitionError {
            state: S::Draft,
            event: EventKind::Submit,
            refusal: Refusal::NotReady {
                missing: vec![
                    Requirement::MaterialsComplete,
                    Requirement::PasswordVerified,
                ],
            },
        },
    ];
    for error in &errors {
        assert!(i18n::has_key(error.message_key()), "{}", error.code());
        for locale in Locale::ALL {
            let text = error.localize(locale);
            assert!(!text.contains('{'), "{locale}: {text}");
            assert!(!text.contains("order."), "{locale}: {text}");
        }
    }
    let not_ready = &errors[8];
    let zh = not_ready.localize(Locale::ZhCn);
    assert!(zh.contains("资料") && zh.contains("备案密码"), "{zh}");
    let wrong_state = &errors[1];
    let en = wrong_state.localize(Locale::En);
    assert!(en.contains(&S::Draft.localize(Locale::En)), "{en}");
    assert_eq!(
        wrong_state.to_string(),
        "provider_approve refused in state draft: not_in_this_state"
    );
}
