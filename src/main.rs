//! The `beian` command. Each subcommand lives in its own module; this file only parses the
//! command line and dispatches.

mod admin;
mod audit;
mod backup;
mod bureau;
mod check;
mod demo;
mod demo_guide;
mod gate;
mod import;
mod key;
mod regulator;
mod serve;
mod serve_config;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// beian: the ICP filing (ICP 备案) platform.
#[derive(Debug, Parser)]
#[command(name = "beian", version, about)]
struct Cli {
    /// How logs are written to stderr: `text` (plain, coloured only on a terminal) or `json`
    /// (one object a line, for a log collector).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "BEIAN_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The log format (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// The format chosen on the command line, read by [`init_tracing`].
static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

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
    Serve(Box<serve::Args>),
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
    /// Checks against a real bureau (the dry run before pointing the platform at it).
    Bureau {
        #[command(subcommand)]
        command: bureau::Command,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: audit::Command,
    },
    /// The edge gate (先备案后接入): serve it for an edge node, or export its list.
    Gate {
        #[command(subcommand)]
        command: gate::Command,
    },
    /// Back up the embedded store (database, objects, audit head) while it runs.
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty data dir.
    Restore(backup::RestoreArgs),
    /// The data key: its id, a sealed export for safe-keeping, and its unwrapping.
    Key {
        #[command(subcommand)]
        command: key::Command,
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
    /// A file holding the data key (base64). Default: `BEIAN_DATA_KEY`, then the data dir's
    /// `data.key` (generated on the first embedded run).
    #[arg(long, env = "BEIAN_DATA_KEY_FILE")]
    pub data_key_file: Option<std::path::PathBuf>,
    /// A command (run by `sh -c`) whose standard output is the data key: a KMS or vault
    /// client, or `beian key unwrap --from … --passphrase-file …`.
    #[arg(long, env = "BEIAN_DATA_KEY_COMMAND", conflicts_with = "data_key_file")]
    pub data_key_command: Option<String>,
}

impl DataArgs {
    /// The data key from `--data-key-file` or `--data-key-command`; `None` leaves the store's
    /// default (`BEIAN_DATA_KEY`, then the data dir's key file). Errors never echo the key.
    pub fn data_key(&self) -> Result<Option<beian_store::DataKey>, String> {
        data_key_from(
            self.data_key_file.as_deref(),
            self.data_key_command.as_deref(),
        )
    }
}

/// The data key from a file or a command's standard output; `None` when neither is given.
pub fn data_key_from(
    file: Option<&std::path::Path>,
    command: Option<&str>,
) -> Result<Option<beian_store::DataKey>, String> {
    {
        let text = if let Some(path) = file {
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the data key file {}: {e}", path.display()))?
        } else if let Some(command) = command {
            let out = std::process::Command::new("sh")
                .args(["-c", command])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run the data key command: {e}"))?;
            if !out.status.success() {
                return Err(format!("the data key command failed ({})", out.status));
            }
            String::from_utf8(out.stdout)
                .map_err(|_| "the data key command printed no base64 key".to_owned())?
        } else {
            return Ok(None);
        };
        beian_store::DataKey::parse(text.trim())
            .map(Some)
            .map_err(|e| format!("the data key given is not usable: {e}"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = LOG_FORMAT.set(cli.log_format);
    match cli.command {
        Command::Check { kind, value } => check::run(kind, &value),
        Command::Serve(args) => serve::run(*args),
        Command::Admin { command } => admin::run(command),
        Command::Audit { command } => audit::run(command),
        Command::Bureau { command } => bureau::run(command),
        Command::Demo(args) => demo::run(args),
        Command::Import { command } => import::run(command),
        Command::Regulator { command } => regulator::run(command),
        Command::Gate { command } => gate::run(command),
        Command::Backup(args) => backup::run_backup(args),
        Command::Restore(args) => backup::run_restore(args),
        Command::Key { command } => key::run(command),
    }
}

/// Logs go to stderr; `RUST_LOG` filters them (default `info`). Plain text without colours
/// when stderr is not a terminal, or JSON lines with `--log-format json`.
fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match LOG_FORMAT.get().copied().unwrap_or(LogFormat::Text) {
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}
