//! What the provider's platform does, with no HTTP in it: the workflow (filing checks, orders,
//! forms, product and password verification, submit, abandon, return, photo), accounts, the
//! bureau submission and results sync, notifications, materials, the verification form, the
//! legacy import, the admin services, deadlines, the dashboard and the job worker.
//!
//! Every surface (`beian-web`'s REST API and pages, the `beian` command) calls these services
//! and maps their errors its own way. This crate never depends on axum or on the simulator: it
//! reaches the registry over the MIIT interface V3.0 ([`regulator_link`]), as it would a real
//! bureau.

pub mod accounts;
pub mod admin;
pub mod bureau;
pub mod dashboard;
pub mod deadlines;
pub mod gate;
pub mod legacy;
pub mod materials;
pub mod message;
pub mod notify;
pub mod regulator_link;
pub mod settings;
pub mod storefront;
pub mod verification_form;
pub mod worker;
pub mod workflow;
