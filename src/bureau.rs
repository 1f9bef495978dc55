//! `beian bureau check`: the dry run against a bureau before the platform is pointed at it
//! (docs/bureau-interop.md). Reads the bureau's status-query WSDL and calls
//! `isp_querybeianstatus` once for a known domain; prints what it saw; exits 0 on PASS.

use std::process::ExitCode;

use beian_miit::v3::auth::Credentials;
use beian_miit::v3::check::dry_run;
use beian_miit::v3::client::{HttpRegulatorClient, IspIdSpelling};
use beian_miit::v3::codec::AesKey;
use beian_miit::v3::personal::Secret;
use beian_miit::v3::soap::NAMESPACE;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Call isp_querybeianstatus once for a known domain and report what the bureau answered.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// `http://host[:port]` (or `https://`) of the bureau's interface, without a path.
    #[arg(long, env = "BEIAN_REGULATOR_URL")]
    regulator_url: String,
    /// This provider's ispId at the bureau.
    #[arg(long, env = "BEIAN_REGULATOR_ISP_ID")]
    isp_id: i64,
    #[arg(long, env = "BEIAN_REGULATOR_USER")]
    user: String,
    #[arg(long, env = "BEIAN_REGULATOR_PASSWORD", hide_env_values = true)]
    password: String,
    /// The AES key (16 characters) the bureau issued; with --aes-iv.
    #[arg(
        long,
        env = "BEIAN_REGULATOR_AES_KEY",
        hide_env_values = true,
        requires = "aes_iv"
    )]
    aes_key: Option<String>,
    /// The AES IV (16 characters) the bureau issued; with --aes-key.
    #[arg(
        long,
        env = "BEIAN_REGULATOR_AES_IV",
        hide_env_values = true,
        requires = "aes_key"
    )]
    aes_iv: Option<String>,
    /// The service namespace written in requests.
    #[arg(long, default_value = NAMESPACE)]
    namespace: String,
    /// How the provider id parameter is spelled: ispId (the spec) or ispID.
    #[arg(long, default_value = "ispId", value_parser = ["ispId", "ispID"])]
    isp_id_spelling: String,
    /// A domain known to be filed in the bureau's province.
    #[arg(long)]
    domain: String,
}

pub fn run(command: Command) -> ExitCode {
    let Command::Check(args) = command;
    let aes = match (&args.aes_key, &args.aes_iv) {
        (Some(key), Some(iv)) => match AesKey::parse(key, iv) {
            Ok(key) => Some(key),
            Err(e) => {
                eprintln!("beian bureau check: bad AES key or IV: {e}");
                return ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let spelling = IspIdSpelling::from_name(&args.isp_id_spelling).unwrap_or_default();
    let credentials = Credentials {
        isp_id: args.isp_id,
        user_name: args.user,
        password: Secret::new(args.password),
    };
    let client = HttpRegulatorClient::new(&args.regulator_url, credentials, aes)
        .with_namespace(&args.namespace)
        .with_isp_id_spelling(spelling);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = runtime.block_on(dry_run(&client, &args.domain));
    println!("{report}");
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
