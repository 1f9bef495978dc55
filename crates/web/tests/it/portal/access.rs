//! Who may see and post what: forms without this browser's token or from another site are
//! refused; another applicant's order (its pages, files and forms) is 404; staff pages are
//! 403 to an applicant and show the reviewer's queue.

use beian_store::accounts::Role;
use beian_store::testing;
use reqwest::StatusCode;

use super::{check_fields, start};
use crate::harness::browser::Browser;
use crate::harness::inputs::jpeg;
use crate::harness::session::PASSWORD;
use crate::harness::{TestApp, credit_code};

#[tokio::test]
async fn forms_without_the_token_or_from_another_site_are_refused() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.open("/login").await;
    let token = b.csrf();
    assert!(token.len() >= 32);
    let fields = [("username", "nobody"), ("password", PASSWORD)];
    let base = app.base.clone();
    // No token.
    let page = b.post_raw("/login", &fields, Some(&base)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.has(&["表单已过期或来自其他网站"]);
    // A wrong token.
    let wrong = "x".repeat(43);
    let page = b
        .post_raw(
            "/login",
            &[("_csrf", wrong.as_str()), fields[0], fields[1]],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The right token from a foreign origin.
    let page = b
        .post_raw(
            "/login",
            &[("_csrf", token.as_str()), fields[0], fields[1]],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The right token and origin: the form itself answers (wrong credentials).
    let page = b.post("/login", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has(&["value=\"nobody\""]);
    // No cookie at all: refused before anything.
    let mut fresh = Browser::new(&app, "en");
    let page = fresh
        .post_raw("/register", &[("_csrf", token.as_str())], None)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.has(&["This form has expired or came from another site"]);

    // Logged in: a state-changing form without the token, or from elsewhere, changes nothing.
    b.register("zhao").await;
    let cert = credit_code(5150);
    let check = check_fields("csrf-test.cn", "33", &cert, "杭州跨站测试有限公司");
    let page = b.post_raw("/orders", &check, Some(&base)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let token = b.csrf();
    let mut with_token = vec![("_csrf", token.as_str())];
    with_token.extend_from_slice(&check);
    let page = b
        .post_raw("/orders", &with_token, Some("https://evil.example"))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let session = app.login("zhao").await;
    let (_, orders) = session.get("/orders").await;
    assert_eq!(
        orders.to_string().matches("csrf-test.cn").count(),
        0,
        "{orders}"
    );
    // A multipart upload without the token is refused too.
    let id = start(&mut b, &check, "首次备案").await;
    let saved = b.cookies.remove("beian_csrf").unwrap();
    let page = b
        .post_file(
            &format!("/orders/{id}/materials?kind=business_license"),
            &[("kind", "business_license")],
            &jpeg(),
            "image/jpeg",
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    b.cookies.insert("beian_csrf".into(), saved);
    assert!(app.store.materials(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn another_applicants_order_is_not_found_and_staff_pages_are_forbidden() {
    let t = testing::sqlite().await;
    let app = TestApp::new().fixture_registry().start(&t).await;
    let mut b = Browser::new(&app, "zh-CN");
    b.register("zhang").await;
    let cert = credit_code(6161);
    let id = start(
        &mut b,
        &check_fields("mine-only.cn", "33", &cert, "杭州私有测试有限公司"),
        "首次备案",
    )
    .await;
    let up = b
        .post_file(
            &format!("/orders/{id}/materials?kind=business_license"),
            &[("kind", "business_license")],
            &jpeg(),
            "image/jpeg",
        )
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let material = app.store.materials(&id).await.unwrap()[0].id.clone();

    let mut other = Browser::new(&app, "zh-CN");
    other.register("lisi").await;
    for path in [
        format!("/orders/{id}"),
        format!("/orders/{id}/product"),
        format!("/orders/{id}/sponsor"),
        format!("/orders/{id}/website"),
        format!("/orders/{id}/materials"),
        format!("/orders/{id}/materials/{material}"),
        format!("/orders/{id}/verification-form"),
        format!("/orders/{id}/submit"),
        format!("/orders/{id}/abandon"),
        format!("/orders/{id}/photo"),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.has(&["找不到"]);
        page.lacks(&["mine-only", "杭州私有测试"]);
    }
    for path in [
        format!("/orders/{id}/abandon"),
        format!("/orders/{id}/submit"),
    ] {
        assert_eq!(
            other.post(&path, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        app.store.order(&id).await.unwrap().state,
        "draft",
        "the other applicant changed nothing"
    );

    // Staff pages: 403 for an applicant (the friendly page), shown to a reviewer.
    let page = b.get("/staff/review").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.has(&["您没有权限查看此页面"]);
    let page = b.in_lang("en").get("/staff/review").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.lacks(&["Review queue"]);
    b.open(&format!("/orders/{id}/submit")).await;
    app.new_account("wang", Role::Reviewer, None).await;
    let mut reviewer = Browser::new(&app, "zh-CN");
    reviewer.login("wang").await;
    reviewer
        .open("/staff/review")
        .await
        .has(&["初审队列", "当前没有等待初审的订单"]);
    reviewer
        .in_lang("en")
        .open("/staff/review")
        .await
        .has(&["Review queue", "No orders wait for review"]);
}
