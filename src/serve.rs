//! `beian serve`: builds the application from the flags and serves until stopped.

use std::net::SocketAddr;
use std::process::ExitCode;

use beian_server::settings::Settings;
use beian_server::startup::Application;

use crate::DataArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "BEIAN_LISTEN")]
    listen: SocketAddr,
}

pub fn run(args: Args) -> ExitCode {
    crate::init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let mut settings = Settings::embedded(&args.data.data_dir, args.listen);
        settings.database_url = args.data.database_url;
        let app = match Application::build(settings).await {
            Ok(app) => app,
            Err(e) => {
                eprintln!("beian cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("beian is listening on http://{}/", app.addr());
        println!("health: http://{}/healthz", app.addr());
        match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server stopped: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
