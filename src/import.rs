//! `beian import wanwang FILE [--account USER] [--report OUT]`: loads a legacy (万网) export
//! (docs/legacy-export.md) into the legacy accounts table, one transaction per record, with a
//! progress bar. A re-run skips the records loaded before, so an interrupted run resumes.
//! Refused records are listed with their line and reasons on stderr and, with `--report`, in
//! that file. With `--account USER`, the file's single record is then imported into that
//! account (irreversible; an account that already holds a sponsor is never rebound).
//! Exit 0 when every record was loaded (or was already), 1 otherwise.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use beian_core::i18n::Locale;
use beian_platform::legacy::{LoadReport, count_records, import_into_account, load_export};
use beian_store::{Store, StoreConfig};
use indicatif::{ProgressBar, ProgressStyle};

use crate::DataArgs;

/// The actor of the audit records the command writes.
const ACTOR: &str = "cli:import";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A legacy (万网) platform export (JSON Lines, one legacy account a line).
    Wanwang(WanwangArgs),
}

#[derive(Debug, clap::Args)]
pub struct WanwangArgs {
    /// The export file.
    file: PathBuf,
    /// Import the file's single record into this account (irreversible).
    #[arg(long)]
    account: Option<String>,
    /// Also write the refused records (line, username, reasons) to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Language of the reasons: `zh-CN` (default) or `en`.
    #[arg(long, default_value = "zh-CN")]
    lang: String,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(command: Command) -> ExitCode {
    let Command::Wanwang(args) = command;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(wanwang(args))
}

fn refused_lines(report: &LoadReport, locale: Locale) -> Vec<String> {
    report
        .refused
        .iter()
        .map(|r| {
            format!(
                "line {}\t{}\t{}",
                r.line,
                r.refusal.username.as_deref().unwrap_or("-"),
                r.refusal.describe(locale)
            )
        })
        .collect()
}

fn write_report(path: &Path, lines: &[String]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    for l in lines {
        writeln!(f, "{l}")?;
    }
    f.sync_all()
}

async fn wanwang(args: WanwangArgs) -> ExitCode {
    let locale = if args.lang.to_ascii_lowercase().starts_with("en") {
        Locale::En
    } else {
        Locale::ZhCn
    };
    let mut config = StoreConfig::embedded(&args.data.data_dir);
    config.database_url = args.data.database_url.clone();
    // The key as every command takes it (`--data-key-file`, `--data-key-command`), else the
    // store's default; a key other than the one the data key is wrapped under is refused.
    config.data_key = match args.data.data_key() {
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
    let total = match count_records(&args.file) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("cannot read {}: {e}", args.file.display());
            return ExitCode::FAILURE;
        }
    };
    let account = match &args.account {
        None => None,
        Some(username) => match store.account_by_username(username).await {
            Ok(Some(a)) => Some(a),
            Ok(None) => {
                eprintln!("no account {username}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("cannot read the accounts: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    if account.is_some() && total != 1 {
        eprintln!(
            "--account imports a file of exactly one record; {} has {total}",
            args.file.display()
        );
        return ExitCode::FAILURE;
    }

    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = load_export(&store, ACTOR, &args.file, |r| {
        bar.set_position(u64::try_from(r.seen).unwrap_or(0));
        bar.set_message(format!("{} refused", r.refused.len()));
        ControlFlow::Continue(())
    })
    .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("load stopped: {e}; run the command again to resume");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{} records: {} loaded, {} already loaded, {} refused",
        report.seen,
        report.loaded,
        report.already_loaded,
        report.refused.len()
    );
    let lines = refused_lines(&report, locale);
    for l in &lines {
        eprintln!("refused {l}");
    }
    if let Some(path) = &args.report
        && let Err(e) = write_report(path, &lines)
    {
        eprintln!("cannot write the report {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if !report.refused.is_empty() {
        return ExitCode::FAILURE;
    }

    let Some(account) = account else {
        return ExitCode::SUCCESS;
    };
    let Some(username) = first_username(&args.file) else {
        eprintln!("the record has no legacy username");
        return ExitCode::FAILURE;
    };
    match import_into_account(&store, ACTOR, &username, &account.id).await {
        Ok(imported) => {
            println!(
                "imported {username} into {}: sponsor {}, {} websites, {} access records",
                account.username,
                imported.icp_number,
                imported.websites.len(),
                imported.accesses
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("import refused ({}): {}", e.code(), e.localize(locale));
            ExitCode::FAILURE
        }
    }
}

/// The legacy username of the file's first record.
fn first_username(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    beian_platform::legacy::parse_record(line)
        .ok()
        .map(|r| r.legacy_username.trim().to_owned())
}
