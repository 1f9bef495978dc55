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

/// The reviewer marks the order's backdrop shipped with a tracking number.
pub async fn ship_backdrop(r: &mut Person<'_>, id: &str) {
    // The staff pages' backdrop list (issue 11).
    r.open("/staff/backdrops").await;
    r.see(&[id]).await;
    r.shot("backdrops").await;
    let action = format!("/staff/backdrops/{id}/shipped");
    r.type_in("tracking_number", "SF1234567890").await;
    r.submit(&action).await;
    r.see(&["SF1234567890"]).await;
    r.shot("backdrop-shipped").await;
}

/// The reviewer approves the order's photo beside the sponsor's data.
pub async fn approve_photo(r: &mut Person<'_>, id: &str) {
    r.open("/staff/photos").await;
    r.see(&[id]).await;
    r.follow(id).await;
    r.see(&["照片"]).await;
    r.shot("photo-review").await;
    r.press("核验通过").await;
    r.shot("photo-approved").await;
}
