//! beian's pure domain: identifiers and their validators (an APP's 特征信息 among them), the province table, filing kinds
//! and how a kind is decided, the order state machine, province rules with effective dates,
//! the Asia/Shanghai working-day calendar, and the one clock of the whole system ([`clock`]).
//!
//! Nothing here does I/O; only the clock is async (sleeping until an instant). The data files (holidays, rules, messages) are compiled
//! in with `include_str!` and parsed on first use.

pub mod app;
pub mod calendar;
pub mod clock;
pub mod confusable;
pub mod contact;
pub mod credit_code;
pub mod domain;
pub mod filing;
pub mod i18n;
pub mod icp_number;
pub mod kind;
pub mod mask;
pub mod order;
pub mod province;
pub mod resident_id;
pub mod rules;
pub mod sponsor;
