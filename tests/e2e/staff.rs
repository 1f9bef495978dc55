//! The provider's reviewer at their own browser: the review queue, the order's page, the
//! decision.

use crate::harness::Person;

/// The reviewer finds the order in the queue by its domain, opens it and approves it.
pub async fn approve(r: &mut Person<'_>, id: &str, domain: &str) {
    r.open("/staff/review").await;
    r.see(&["初审队列", domain]).await;
    r.shot("review-queue").await;
    r.follow(id).await;
    r.arrive(&format!("/staff/orders/{id}")).await;
    r.see(&[domain, "资料", "进度记录", "初审通过"]).await;
    r.shot("review-order").await;
    r.press("初审通过").await;
    r.arrive("/staff/review").await;
    r.shot("review-approved").await;
}
