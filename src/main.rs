//! The `beian` command. Each subcommand lives in its own module; this file only parses the
//! command line and dispatches.

mod admin;
mod audit;
mod check;
mod demo;
mod demo_guide;
mod import;
mod regulator;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// beian: the ICP filing (ICP 备案) platform.
#[derive(Debug, Parser)]
#[command(name = "beian", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check an identifier; print it normalised (exit 0) or say why it is refused (exit 1).
    Check {
        /// What the value is.
        #[arg(value_enum)]
        kind: check::Kind,
        /// The value to check.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Run the whole system (embedded default: SQLite and files in the data dir).
    Serve(serve::Args),
    /// The regulator simulator on its own.
    Regulator {
        #[command(subcommand)]
        command: regulator::Command,
    },
    /// Fill a fresh data dir with a demo provider, accounts, products and a seeded registry.
    Demo(demo::Args),
    /// Import another platform's data (the legacy 万网 export).
    Import {
        #[command(subcommand)]
        command: import::Command,
    },
    /// Administration: accounts and roles.
    Admin {
        #[command(subcommand)]
        command: admin::Command,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: audit::Command,
    },
}

/// Where the data lives; every command that reads or writes data takes these.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// The data dir: SQLite file, objects, data key, audit head.
    #[arg(long, default_value = "./data", env = "BEIAN_DATA_DIR")]
    pub data_dir: std::path::PathBuf,
    /// `postgres://…`; default: the SQLite file in the data dir.
    #[arg(long, env = "BEIAN_DATABASE_URL")]
    pub database_url: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { kind, value } => check::run(kind, &value),
        Command::Serve(args) => serve::run(args),
        Command::Admin { command } => admin::run(command),
        Command::Audit { command } => audit::run(command),
        Command::Demo(args) => demo::run(args),
        Command::Import { command } => import::run(command),
        Command::Regulator { command } => regulator::run(command),
    }
}

/// Logs go to stderr; `RUST_LOG` filters them (default `info`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
