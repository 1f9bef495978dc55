//! The portal: the pages a provider's customers use (zh-CN first, en second), beside the
//! REST API and over the same platform services. Askama templates and Fluent texts are
//! compiled into the binary; htmx 2 and the stylesheet are served from `/static`; every page
//! works without JavaScript.
//!
//! - foundation: [`page`] (context, blocks, error page, flash), [`paging`], [`form`], [`i18n`],
//!   [`security`] (CSRF, Origin check, CSP);
//! - [`home`] (home, language switch, assets), [`account`] (register, log in, log out, API
//!   keys);
//! - [`filings`] (my filings, 开始备案), [`order`] (the order's page and its steps),
//!   [`steps`] (product, password, sponsor, website or APP, materials, submit, abandon),
//!   [`photo`] (拍照核验), [`after`] (取消接入, 变更APP and 注销APP, legacy import, the
//!   storefront's 顶级域名 page),
//!   [`staff`] (the reviewers' pages: queue, order review), [`photos`] (backdrops, photo
//!   review), [`bureau`] (the bureau status), [`admin`] (the admins' pages: dashboard with
//!   [`chart`]s, accounts and roles, audit log), [`products`] (instances, service numbers,
//!   policy, storefront subscriptions), [`calendar`] (rules in force, holiday editor),
//!   [`outbox`] (mail, SMS, bureau uploads, retry).

pub mod account;
pub mod admin;
pub mod after;
pub mod bureau;
pub mod calendar;
pub mod chart;
pub mod filings;
pub mod form;
pub mod home;
pub mod i18n;
pub mod order;
pub mod outbox;
pub mod page;
pub mod paging;
pub mod photo;
pub mod photos;
pub mod products;
pub mod security;
pub mod staff;
pub mod steps;
pub mod text;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::startup::AppState;

/// The portal's routes, with their protections.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/lang/{lang}", get(home::switch_language))
        .route("/static/{file}", get(home::asset))
        .route("/login", get(account::login_page).post(account::login))
        .route(
            "/register",
            get(account::register_page).post(account::register),
        )
        .route("/logout", post(account::logout))
        .route(
            account::PASSWORD_PATH,
            get(account::password_page).post(account::change_password),
        )
        .route(
            "/api-keys",
            get(account::keys_page).post(account::create_key),
        )
        .route("/api-keys/{id}/revoke", post(account::revoke_key))
        .route("/filings", get(filings::filings))
        .route("/orders/new", get(filings::start_page).post(filings::check))
        .route("/orders", post(filings::create))
        .route("/orders/{id}", get(order::overview))
        .route(
            "/orders/{id}/product",
            get(steps::product_page).post(steps::product),
        )
        .route(
            "/orders/{id}/password",
            get(steps::password_page).post(steps::password),
        )
        .route(
            "/orders/{id}/sponsor",
            get(steps::sponsor_page).post(steps::sponsor),
        )
        .route(
            "/orders/{id}/website",
            get(steps::website_page).post(steps::website),
        )
        .route("/orders/{id}/app", get(steps::app_page).post(steps::app))
        .route(
            "/orders/{id}/materials",
            get(steps::materials_page)
                .post(steps::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/orders/{id}/materials/{material}",
            get(steps::material_file),
        )
        .route(
            "/orders/{id}/verification-form",
            get(steps::verification_form),
        )
        .route(
            "/orders/{id}/submit",
            get(steps::review_page).post(steps::submit),
        )
        .route(
            "/orders/{id}/abandon",
            get(steps::abandon_page).post(steps::abandon),
        )
        .route(
            "/orders/{id}/photo",
            get(photo::photo_page)
                .post(photo::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/orders/{id}/backdrop", post(photo::backdrop))
        .route("/orders/{id}/shanghai-code", post(photo::shanghai_code))
        .route(
            "/websites/{id}/cancel-access",
            get(after::cancel_page).post(after::cancel),
        )
        .route("/websites/{id}/cancel-access/code", post(after::send_code))
        .route(
            "/apps/{id}/cancel-access",
            get(after::app_cancel_page).post(after::app_cancel),
        )
        .route("/apps/{id}/cancel-access/code", post(after::app_send_code))
        .route(
            "/apps/{id}/orders",
            get(after::app_order_page).post(after::app_order),
        )
        .route(
            "/legacy-import",
            get(after::legacy_page).post(after::legacy),
        )
        .route(
            "/storefront/domains",
            get(after::storefront_page).post(after::bind_domain),
        )
        .route("/staff/review", get(staff::queue))
        .route("/staff/orders/{id}", get(staff::order))
        .route("/staff/orders/{id}/approve", post(staff::approve))
        .route("/staff/backdrops", get(photos::backdrops))
        .route("/staff/backdrops/{id}/shipped", post(photos::ship))
        .route("/staff/photos", get(photos::photos))
        .route("/staff/orders/{id}/photo", get(photos::photo))
        .route("/staff/orders/{id}/photo/image", get(photos::image))
        .route("/staff/orders/{id}/photo/approve", post(photos::approve))
        .route("/staff/orders/{id}/photo/reject", post(photos::reject))
        .route("/staff/orders/{id}/return", post(staff::return_order))
        .route(
            "/staff/orders/{id}/materials/{material}",
            get(staff::material),
        )
        .route("/staff/dashboard", get(admin::dashboard))
        .route("/staff/accounts", get(admin::accounts))
        .route("/staff/accounts/role", post(admin::change_role))
        .route("/staff/bureau", get(bureau::bureau))
        .route("/staff/products", get(products::products))
        .route("/staff/products/policy", post(products::policy))
        .route("/staff/products/{id}", get(products::instance))
        .route("/staff/products/{id}/issue", post(products::issue))
        .route("/staff/products/{id}/revoke", post(products::revoke))
        .route("/staff/storefronts", get(products::storefronts))
        .route("/staff/rules", get(calendar::rules))
        .route(
            "/staff/holidays",
            get(calendar::holidays).post(calendar::put),
        )
        .route("/staff/holidays/delete", post(calendar::delete))
        .route("/staff/outbox", get(outbox::outbox))
        .route("/staff/outbox/retry", post(outbox::retry))
        .route("/staff/audit", get(admin::audit))
        .route("/staff/audit/verify", post(admin::verify_audit))
        // Outermost last: the error page wraps everything, so a refused post gets it too.
        .layer(axum::middleware::from_fn(account::password_change_gate))
        .layer(from_fn_with_state(state.clone(), crate::api::auth::resolve))
        .layer(from_fn_with_state(state.clone(), security::protect))
        .layer(from_fn_with_state(state, page::render_errors))
}
