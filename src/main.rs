//! The `beian` command. Each subcommand lives in its own module; this file only parses the
//! command line and dispatches.

mod check;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { kind, value } => check::run(kind, &value),
    }
}
