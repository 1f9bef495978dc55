//! beian's server: the portal pages and the REST API over the workflow, the background jobs
//! (outbox to the bureau, deadlines, notifications), and the domain gate for the edge.
pub mod notify;
