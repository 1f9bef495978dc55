//! Property tests of the order state machine over random flows and random event sequences:
//! no undefined or out-of-flow state, `apply` agrees with `allowed_events`, closed orders
//! accept nothing, and every state a flow can reach can still reach an end.

use std::collections::{BTreeSet, VecDeque};

use proptest::prelude::*;

use super::*;
use crate::kind::FilingKind;
use crate::province::Province;

fn arb_kind() -> impl Strategy<Value = FilingKind> {
    proptest::sample::select(FilingKind::ALL.to_vec())
}

fn arb_event_kind() -> impl Strategy<Value = EventKind> {
    proptest::sample::select(EventKind::ALL.to_vec())
}

fn arb_readiness() -> impl Strategy<Value = Readiness> {
    // Mostly complete, so that sequences get past the submission.
    let flag = || prop_oneof![4 => Just(true), 1 => Just(false)];
    (flag(), flag(), flag(), flag(), flag()).prop_map(|(f, m, p, w, i)| Readiness {
        forms_complete: f,
        materials_complete: m,
        product_verified: p,
        password_verified: w,
        identity_verified: i,
    })
}

fn arb_event() -> impl Strategy<Value = Event> {
    (arb_event_kind(), arb_readiness()).prop_map(|(kind, r)| Event::of(kind, r))
}

/// Flows as `Flow::new` builds them, and any combination of the public fields.
fn arb_flow() -> impl Strategy<Value = Flow> {
    let built = (
        arb_kind(),
        prop_oneof![Just(ProductLine::Server), Just(ProductLine::Storefront)],
        proptest::sample::select(Province::all().collect::<Vec<_>>()),
        // Before and after the nationwide SMS rule of 2020-08-17.
        prop_oneof![Just(1_546_300_800_i64), Just(1_780_000_000_i64)],
    )
        .prop_map(|(kind, product, province, at)| {
            let at = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
            Flow::from_rules(kind, product, &crate::rules::rules_for(province, kind, at))
        });
    let any_fields = (
        arb_kind(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(None),
            Just(Some(PhotoMethod::Backdrop)),
            Just(Some(PhotoMethod::BureauAppFaceCheck))
        ],
        any::<bool>(),
    )
        .prop_map(
            |(kind, identity_in_app, provider_review, photo, sms_required)| Flow {
                kind,
                identity_in_app,
                provider_review,
                photo,
                sms_required,
            },
        );
    prop_oneof![built, any_fields]
}

/// The states reachable from `start` through `allowed_events` with every guard met.
fn reachable(start: OrderState, flow: &Flow) -> BTreeSet<OrderState> {
    let mut seen = BTreeSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(state) = queue.pop_front() {
        for kind in allowed_events(state, flow) {
            if let Ok(next) = apply(state, Event::of(kind, Readiness::complete()), flow)
                && seen.insert(next)
            {
                queue.push_back(next);
            }
        }
    }
    seen
}

proptest! {
    #[test]
    fn random_sequences_stay_in_the_flow(
        flow in arb_flow(),
        steps in proptest::collection::vec(
            (prop_oneof![4 => Just(true), 1 => Just(false)], any::<usize>(), arb_event()),
            0..80,
        ),
    ) {
        let mut state = OrderState::Draft;
        for (pick_allowed, index, random) in steps {
            // Mostly an event the state allows other than abandoning (so sequences go deep),
            // sometimes any event.
            let choices: Vec<EventKind> = allowed_events(state, &flow)
                .into_iter()
                .filter(|k| *k != EventKind::Abandon)
                .collect();
            let event = match random.readiness() {
                _ if !pick_allowed || choices.is_empty() => random,
                Some(readiness) => Event::of(choices[index % choices.len()], *readiness),
                None => Event::of(choices[index % choices.len()], Readiness::complete()),
            };
            let allowed = allowed_events(state, &flow).contains(&event.kind());
            let guard_met = event
                .readiness()
                .is_none_or(|r| flow.requirements().iter().all(|q| r.meets(*q)));
            match apply(state, event, &flow) {
                Ok(next) => {
                    prop_assert!(allowed && guard_met, "{state} {:?}", event.kind());
                    prop_assert!(OrderState::ALL.contains(&next));
                    prop_assert!(flow.uses(next), "{flow:?} reached {next}");
                    state = next;
                }
                Err(error) => {
                    prop_assert_eq!(error.state, state);
                    prop_assert_eq!(error.event, event.kind());
                    if allowed {
                        let not_ready = matches!(error.refusal, Refusal::NotReady { .. });
                        prop_assert!(not_ready && !guard_met, "{error}");
                    }
                }
            }
        }
    }

    #[test]
    fn closed_orders_accept_nothing(flow in arb_flow(), event in arb_event()) {
        for state in [OrderState::Completed, OrderState::Abandoned] {
            prop_assert!(allowed_events(state, &flow).is_empty());
            let refused = apply(state, event, &flow).map_err(|e| e.refusal);
            prop_assert_eq!(refused, Err(Refusal::Closed));
        }
    }

    #[test]
    fn every_reachable_state_can_end(flow in arb_flow()) {
        let from_draft = reachable(OrderState::Draft, &flow);
        // Exactly the states the flow uses are reachable.
        let used: BTreeSet<_> = OrderState::ALL
            .into_iter()
            .filter(|s| flow.uses(*s))
            .collect();
        prop_assert_eq!(&from_draft, &used, "{:?}", flow);
        for state in &from_draft {
            let onward = reachable(*state, &flow);
            prop_assert!(
                onward.iter().any(|s| s.is_terminal()),
                "{state} cannot end in {flow:?}"
            );
            if state.is_open() {
                prop_assert!(onward.contains(&OrderState::Completed), "{state} cannot complete");
            }
        }
    }
}
