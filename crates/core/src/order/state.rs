//! [`OrderState`]: where an order is in its life (DESIGN.md §5), with the snake-case names
//! API.md gives them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

/// The state of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Being filled in by the applicant (for the storefront, also verified in the app).
    Draft,
    /// 初审: this provider's reviewers check the order.
    ProviderReview,
    /// 初审退回: back with the applicant, with the reviewers' reasons.
    Returned,
    /// Waiting for the responsible person's photo (backdrop photo, or the Shanghai app check).
    PhotoPending,
    /// A backdrop photo waits for a reviewer.
    PhotoReview,
    /// Approved here; the provider submits it to the bureau within one working day.
    QueuedForBureau,
    /// 管局审核: the bureau has it.
    AtBureau,
    /// The regulator has texted a code that must be entered on the bureau's site in time.
    SmsPending,
    /// 管局退回: the bureau returned it (or the SMS window expired).
    BureauReturned,
    /// The bureau approved; the result is being synced into our records.
    Approved,
    /// Done: numbers and access records are in our records.
    Completed,
    /// 放弃: the applicant gave it up.
    Abandoned,
}

impl OrderState {
    pub const ALL: [OrderState; 12] = [
        OrderState::Draft,
        OrderState::ProviderReview,
        OrderState::Returned,
        OrderState::PhotoPending,
        OrderState::PhotoReview,
        OrderState::QueuedForBureau,
        OrderState::AtBureau,
        OrderState::SmsPending,
        OrderState::BureauReturned,
        OrderState::Approved,
        OrderState::Completed,
        OrderState::Abandoned,
    ];

    /// The snake-case name used in the API and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Draft => "draft",
            OrderState::ProviderReview => "provider_review",
            OrderState::Returned => "returned",
            OrderState::PhotoPending => "photo_pending",
            OrderState::PhotoReview => "photo_review",
            OrderState::QueuedForBureau => "queued_for_bureau",
            OrderState::AtBureau => "at_bureau",
            OrderState::SmsPending => "sms_pending",
            OrderState::BureauReturned => "bureau_returned",
            OrderState::Approved => "approved",
            OrderState::Completed => "completed",
            OrderState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Nothing happens to the order any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, OrderState::Completed | OrderState::Abandoned)
    }

    /// The order is in progress: it blocks another order of the same sponsor (DESIGN.md §4)
    /// and may be abandoned. [`OrderState::Approved`] is neither open nor terminal: the
    /// bureau has decided and only the sync remains, so it no longer blocks the sponsor
    /// ("待该备案订单通过管局审核后") and can no longer be abandoned.
    pub fn is_open(self) -> bool {
        !self.is_terminal() && self != OrderState::Approved
    }

    /// The applicant may edit the order's forms and materials (before the first submission
    /// and after a return).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            OrderState::Draft | OrderState::Returned | OrderState::BureauReturned
        )
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state's name for people (`order.state.<name>`).
impl Localized for OrderState {
    fn message_key(&self) -> &'static str {
        match self {
            OrderState::Draft => "order.state.draft",
            OrderState::ProviderReview => "order.state.provider_review",
            OrderState::Returned => "order.state.returned",
            OrderState::PhotoPending => "order.state.photo_pending",
            OrderState::PhotoReview => "order.state.photo_review",
            OrderState::QueuedForBureau => "order.state.queued_for_bureau",
            OrderState::AtBureau => "order.state.at_bureau",
            OrderState::SmsPending => "order.state.sms_pending",
            OrderState::BureauReturned => "order.state.bureau_returned",
            OrderState::Approved => "order.state.approved",
            OrderState::Completed => "order.state.completed",
            OrderState::Abandoned => "order.state.abandoned",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n;

    #[test]
    fn names_are_the_api_names_and_round_trip() {
        let api = [
            "draft",
            "provider_review",
            "returned",
            "photo_pending",
            "photo_review",
            "queued_for_bureau",
            "at_bureau",
            "sms_pending",
            "bureau_returned",
            "approved",
            "completed",
            "abandoned",
        ];
        assert_eq!(OrderState::ALL.len(), api.len());
        for (state, name) in OrderState::ALL.into_iter().zip(api) {
            assert_eq!(state.as_str(), name);
            assert_eq!(OrderState::parse(name), Some(state));
            let serialised = toml::Value::try_from(state).map(|v| v.to_string());
            assert_eq!(
                serialised.ok().as_deref(),
                Some(format!("\"{name}\"").as_str())
            );
            assert!(i18n::has_key(state.message_key()), "{name}");
        }
        assert_eq!(OrderState::parse("Draft"), None);
    }

    #[test]
    fn terminal_open_and_editable() {
        use OrderState::*;
        for (state, terminal, open, editable) in [
            (Draft, false, true, true),
            (ProviderReview, false, true, false),
            (Returned, false, true, true),
            (PhotoPending, false, true, false),
            (PhotoReview, false, true, false),
            (QueuedForBureau, false, true, false),
            (AtBureau, false, true, false),
            (SmsPending, false, true, false),
            (BureauReturned, false, true, true),
            (Approved, false, false, false),
            (Completed, true, false, false),
            (Abandoned, true, false, false),
        ] {
            assert_eq!(state.is_terminal(), terminal, "{state}");
            assert_eq!(state.is_open(), open, "{state}");
            assert_eq!(state.is_editable(), editable, "{state}");
        }
    }
}
