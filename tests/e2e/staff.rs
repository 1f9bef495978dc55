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
    r.open("/staff/review").await;
    r.follow("幕布寄送").await;
    r.arrive("/staff/backdrops").await;
    r.see(&[&format!("订单 {id} 的幕布申请"), "浙江省杭州市西湖区"])
        .await;
    r.shot("backdrops").await;
    // The order's request is the form under its heading; there is one here.
    r.type_in("tracking_number", "SF1234567890").await;
    r.press("标记已寄出").await;
    r.see(&["已标记寄出", "SF1234567890"]).await;
    r.shot("backdrop-shipped").await;
}

/// The reviewer approves the order's photo, seen beside the persons' data (`person`: how the
/// page names the person photographed, 网站负责人 or APP 负责人).
pub async fn approve_photo(r: &mut Person<'_>, id: &str, person: &str) {
    crate::steps::refresh_until(r, "/staff/photos", &[id]).await;
    r.shot("photos").await;
    r.follow(id).await;
    r.arrive(&format!("/staff/orders/{id}/photo")).await;
    r.see(&[person, "照片审核通过", "驳回照片"]).await;
    // The photo is shown (loaded, not a broken image): waited for, as it loads after the text.
    r.until_true(
        "const i = document.querySelector('img.preview'); return !!i && i.complete && i.naturalWidth > 0;",
        "the photo did not load",
    )
    .await;
    r.shot("photo-review").await;
    r.press("照片审核通过").await;
    r.see(&["照片审核结果已保存"]).await;
    r.shot("photo-approved").await;
}
