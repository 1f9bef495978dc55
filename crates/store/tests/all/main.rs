//! Integration tests of the store, each on SQLite and on PostgreSQL (see
//! `beian_store::testing`). One binary, so one throwaway PostgreSQL cluster serves them all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accesses;
mod app_accesses;
mod audit_tamper;
mod backup;
mod bureau;
mod concurrency;
mod encryption;
mod fixtures;
mod gate;
mod group_commit;
mod jobs;
mod key_rotation;
mod objects_s3;
mod photos;
mod purge;
mod queue;
mod records;
mod sponsor_codes;
mod story;
mod writes;
