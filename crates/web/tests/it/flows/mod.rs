//! The must-show flows of the applicant and provider issues, each one whole story over HTTP
//! against the real server on port 0 with the in-process regulator simulator, on SQLite and
//! on PostgreSQL. Where a flow waits (the bureau's review, the SMS window) time is moved with
//! the simulated clock.

mod access;
pub(crate) mod bureau;
mod cancel;
mod changes;
pub(crate) mod driver;
mod notices;
mod provider_steps;
pub(crate) mod registry;
mod storefront;
