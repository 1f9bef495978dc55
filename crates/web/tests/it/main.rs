//! The web crate's integration tests, in one binary (the whole application is linked once).
//! Every test starts what it needs with the [`harness::TestApp`] builder, over each backend
//! (`beian_store::testing::each_backend`: SQLite, and PostgreSQL when available).
//!
//! - `api_*`: the REST API, one area per module;
//! - `workflow_*`, `review`, `deadlines`, `legacy_load`: the platform services and the jobs;
//! - `bureau_*`: delivery to the bureau, its results and outages; `abandon_after_approval`:
//!   an order abandoned once queued for the bureau (its upload not sent, withdrawn, sent
//!   anyway or at the bureau);
//! - `notify_*`: mail and SMS delivery;
//! - `flows`: the must-show stories of the seed documents, whole, over HTTP;
//! - `portal`: the pages, driven as a browser drives them (the seeds' flows clicked through);
//! - `ops_*`: what operators rely on (metrics, graceful shutdown);
//! - `health`, `simulator_mount`: start-up;
//! - `perf`: the behaviour behind issue 14's figures (keyset pages, 503 `busy`, health);
//! - `abuse`: the findings of the security probe (issue 15), one test each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod abandon_after_approval;
mod abuse;
mod access_prefill;
mod api_accounts;
mod api_admin;
mod api_admin_numbers;
mod api_legacy_import;
mod api_materials;
mod api_orders;
mod api_orders_review;
mod api_photo;
mod api_sponsor;
mod app_filing;
mod app_kinds;
mod at_rest_scan;
mod bureau_access;
mod bureau_admin;
mod bureau_outage;
mod bureau_returns;
mod bureau_sync;
mod contract_walk;
mod deadlines;
mod flows;
mod health;
mod idempotency_rebuild;
mod legacy_load;
mod notify_sms_http;
mod notify_smtp;
mod notify_smtp_tls;
mod ops_metrics;
mod ops_shutdown;
mod perf;
mod portal;
mod review;
mod simulator_mount;
mod sponsor_mismatch;
mod workflow_check;
mod workflow_forms;
mod workflow_submit;
