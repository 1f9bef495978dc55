//! beian's HTTP surfaces over the platform (`beian-platform`): the REST API (`/api/v1`, with
//! its OpenAPI document), the health check, the edge gate (`/gate`, [`gate`]), and the bundled regulator simulator mounted
//! in-process. Handlers parse, call one platform service and map its error; they hold no
//! business rule.
//!
//! [`startup::Application::build`] assembles the whole system from [`settings::Settings`] and
//! binds its listener, so tests start it on port 0 and read the bound address back.

pub mod api;
pub mod error;
pub mod gate;
pub mod metrics;
pub mod portal;
pub mod routes;
pub mod settings;
pub mod simulator;
pub mod startup;
pub mod state;
