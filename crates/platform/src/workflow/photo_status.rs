//! The photo step as the applicant sees it (`GET /orders/{id}/photo`): how the order is
//! photo-verified, its backdrop requests (recipient and mobile masked, tracking number once
//! shipped) and every photo submitted with its digest and decision. Who decided is not shown
//! to the applicant (it is kept for the provider, DESIGN.md §8).

use beian_core::i18n::Locale;
use beian_core::order::PhotoMethod;
use serde::Serialize;

use super::backdrop::BackdropRequested;
use super::error::WorkflowError;
use super::photo_input::PhotoRejectCode;
use super::{Acting, Workflow, messages};

/// One photo (or Shanghai app code) and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoCheckView {
    pub id: String,
    /// `backdrop_photo` or `shanghai_app`.
    pub method: String,
    /// SHA-256 of the photo as stored (hex); none for an app code.
    pub sha256: Option<String>,
    pub submitted_at: i64,
    /// `approved`, `rejected`, or none while waiting for review.
    pub decision: Option<String>,
    pub reason_code: Option<String>,
    /// The reason's text (zh-CN, en), with the reviewer's words if any.
    pub reason: Option<String>,
    pub reason_en: Option<String>,
    pub decided_at: Option<i64>,
}

/// `GET /orders/{id}/photo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoStatus {
    pub order_id: String,
    pub state: String,
    /// How the order's flow verifies the person: `backdrop`, `bureau_app_face_check`, or none.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub method: Option<PhotoMethod>,
    pub backdrop_requests: Vec<BackdropRequested>,
    pub photos: Vec<PhotoCheckView>,
}

fn reason_text(locale: Locale, code: Option<&str>, text: Option<&str>) -> Option<String> {
    let code = PhotoRejectCode::parse(code?)?;
    let base = messages().render(locale, code.message_key(), &[]);
    Some(match text {
        Some(t) => format!("{base}: {t}"),
        None => base,
    })
}

impl Workflow<'_> {
    /// The acting account's order's photo step (404 for another account's order).
    pub async fn photo_status(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<PhotoStatus, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        let flow = l.flow(self.store.now());
        let backdrop_requests = self
            .store
            .backdrop_requests_of_order(order_id)
            .await?
            .iter()
            .map(BackdropRequested::of)
            .collect::<Result<_, _>>()?;
        let photos = self
            .store
            .photo_checks(order_id)
            .await?
            .into_iter()
            .map(|p| PhotoCheckView {
                reason: reason_text(
                    Locale::ZhCn,
                    p.reason_code.as_deref(),
                    p.reason_text.as_deref(),
                ),
                reason_en: reason_text(
                    Locale::En,
                    p.reason_code.as_deref(),
                    p.reason_text.as_deref(),
                ),
                id: p.id,
                method: p.method,
                sha256: p.sha256_hex,
                submitted_at: p.submitted_at,
                decision: p.decision,
                reason_code: p.reason_code,
                decided_at: p.decided_at,
            })
            .collect();
        Ok(PhotoStatus {
            order_id: l.order.id.clone(),
            state: l.state.as_str().to_owned(),
            method: flow.photo,
            backdrop_requests,
            photos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_in_both_languages_with_the_reviewers_words() {
        let zh = reason_text(Locale::ZhCn, Some("no_backdrop"), Some("请挂好幕布"));
        assert_eq!(zh.as_deref(), Some("未使用幕布: 请挂好幕布"));
        let en = reason_text(Locale::En, Some("face_unclear"), None);
        assert_eq!(en.as_deref(), Some("The face is not clear"));
        assert_eq!(reason_text(Locale::En, None, None), None);
        assert_eq!(reason_text(Locale::En, Some("unknown"), None), None);
    }
}
