//! `beian audit verify`: walks the audit hash chain and compares its end with the chain-head
//! file in the data dir. Exit 0 when whole; exit 1 and the first bad record otherwise.

use std::process::ExitCode;

use beian_store::audit::head_file_path;
use beian_store::{Store, StoreConfig, verify_audit};

use crate::DataArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check the whole chain; exit 1 and name the first bad record if it was tampered with.
    Verify(DataArgs),
}

pub fn run(command: Command) -> ExitCode {
    let Command::Verify(data) = command;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let mut config = StoreConfig::embedded(&data.data_dir);
        config.database_url = data.database_url.clone();
        config.data_key = match data.data_key() {
            Ok(k) => k,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let store = match Store::open(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot open the database: {e}");
                return ExitCode::FAILURE;
            }
        };
        let head = head_file_path(&store);
        match verify_audit(&store, &head).await {
            Ok(report) => {
                println!(
                    "audit chain intact: {} records, head #{} {}",
                    report.records, report.head_seq, report.head_hash
                );
                ExitCode::SUCCESS
            }
            Err(bad) => {
                eprintln!("{bad}");
                ExitCode::FAILURE
            }
        }
    })
}
