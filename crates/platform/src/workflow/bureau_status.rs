//! Where an order stands with the bureau, for the order view: while it waits in
//! `queued_for_bureau`, since when (the last entry into that state), how many sends failed
//! and the last failure, and the text "queued for the bureau since …"
//! (`workflow.bureau_queued_since`); once approved and until synced, "审核信息同步中"
//! (`workflow.bureau_syncing`).

use beian_core::i18n::Locale;
use beian_core::order::OrderState;
use serde::Serialize;

use super::Workflow;
use super::error::WorkflowError;

/// The bureau's side of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BureauStatus {
    /// `queued` (waiting to be delivered) or `syncing` (approved, record not yet synced).
    pub stage: &'static str,
    /// Unix milliseconds: when the order entered `queued_for_bureau` (queued) or was
    /// approved (syncing).
    pub since: i64,
    /// Failed sends of its upload so far.
    pub failed_attempts: i64,
    /// The last failure (no personal data), if any.
    pub last_error: Option<String>,
    /// The `dataSequence` its upload holds, once recorded.
    pub data_sequence: Option<i64>,
    /// What the applicant reads (zh-CN).
    pub message: String,
}

impl Workflow<'_> {
    /// The bureau status of an order in `state`, or `None` when it is neither queued for the
    /// bureau nor waiting for the sync.
    pub async fn bureau_status(
        &self,
        order_id: &str,
        state: OrderState,
    ) -> Result<Option<BureauStatus>, WorkflowError> {
        let (stage, into) = match state {
            OrderState::QueuedForBureau => ("queued", OrderState::QueuedForBureau),
            OrderState::Approved => ("syncing", OrderState::Approved),
            _ => return Ok(None),
        };
        let since = self
            .store
            .order_timeline(order_id)
            .await?
            .iter()
            .rev()
            .find(|e| e.to_state == into.as_str())
            .map_or(0, |e| e.at);
        let upload = self
            .store
            .uploads_of_order(order_id)
            .await?
            .into_iter()
            .rev()
            .find(|u| u.status == "pending");
        let message = match stage {
            "queued" => {
                let at = chrono::DateTime::from_timestamp_millis(since)
                    .unwrap_or_default()
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%Y-%m-%d %H:%M")
                    .to_string();
                super::messages().render(
                    Locale::ZhCn,
                    "workflow.bureau_queued_since",
                    &[("since", at)],
                )
            }
            _ => super::messages().render(Locale::ZhCn, "workflow.bureau_syncing", &[]),
        };
        Ok(Some(BureauStatus {
            stage,
            since,
            failed_attempts: upload.as_ref().map_or(0, |u| u.attempts),
            last_error: upload.as_ref().and_then(|u| u.last_error.clone()),
            data_sequence: upload.as_ref().map(|u| u.sequence),
            message,
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn its_texts_exist_in_both_languages() {
        use beian_core::i18n::Locale;
        for key in ["workflow.bureau_syncing", "workflow.bureau_queued_since"] {
            assert!(super::super::messages().has_key(key), "{key}");
            let zh = super::super::messages().render(Locale::ZhCn, key, &[("since", "x".into())]);
            let en = super::super::messages().render(Locale::En, key, &[("since", "x".into())]);
            assert_ne!(zh, en, "{key}");
        }
    }
}
