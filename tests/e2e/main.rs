#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The seeds' flows walked in headless Chromium, typed and clicked as a person would, against
//! the real `beian serve` (a fresh `beian demo` data dir, the bundled simulator, the simulated
//! clock). Every step is saved as a screenshot under `target/e2e/run-<pid>/<flow>/`
//! (`target/e2e/latest` points at the newest run).
//!
//! Needs Debian's `chromium` and `chromium-driver`: without them the suite skips with a notice,
//! and fails with `CI=true` (`.ci/run` installs them with a CJK font).

mod harness;
mod steps;

mod access;
mod admin;
mod app;
mod aside;
mod continue_cancel;
mod first;
mod review;
mod staff;
mod storefront;

/// The mobile the customer gives for the responsible person (the bureau texts it).
pub const MOBILE: &str = "13800138000";
