//! beian's server: the portal pages and the REST API over the workflow, the background jobs
//! (outbox to the bureau, deadlines, notifications), and the domain gate for the edge.
//!
//! [`startup::Application::build`] assembles the whole system from [`settings::Settings`] and
//! binds its listener, so tests start it on port 0 and read the bound address back.

pub mod admin;
pub mod api;
pub mod bureau;
pub mod dashboard;
pub mod deadlines;
pub mod error;
pub mod legacy;
pub mod materials;
pub mod notify;
pub mod regulator_link;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod verification_form;
pub mod worker;
pub mod workflow;
