//! `beian regulator serve` runs the regulator simulator alone (the MIIT V3.0 SOAP services,
//! the public query, the bureau's SMS page, the simulator console); `beian regulator seed`
//! fills its registry with a synthetic national registry, with a progress bar.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use beian_regulator::{
    Config, Regulator, ReviewDelay, ReviewMode, SharedClock, SimulatedClock, SystemClock,
};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the simulator alone.
    Serve {
        /// The simulator's data dir (its registry database).
        #[arg(long, default_value = "./data/regulator")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
        #[arg(long, value_enum, default_value = "auto")]
        bureau_review: ReviewArg,
        /// Review delay of `auto` mode, in minutes (default: 3 working days).
        #[arg(long)]
        bureau_review_minutes: Option<i64>,
        /// A simulated clock, moved by `POST /sim/clock/advance`.
        #[arg(long)]
        simulated_clock: bool,
        /// The address the served WSDLs give (`https://bureau.example:8443`); default: the
        /// request's Host.
        #[arg(long)]
        public_url: Option<String>,
    },
    /// Generate a synthetic registry: providers across provinces, enterprise and individual
    /// sponsors, websites and access records.
    Seed {
        #[arg(long, default_value = "./data/regulator")]
        data_dir: PathBuf,
        /// How many sponsors.
        #[arg(long)]
        sponsors: u64,
    },
}

/// `--bureau-review`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReviewArg {
    Auto,
    Manual,
}

impl ReviewArg {
    pub fn mode(self, minutes: Option<i64>) -> ReviewMode {
        match (self, minutes) {
            (ReviewArg::Manual, _) => ReviewMode::Manual,
            (ReviewArg::Auto, Some(m)) => ReviewMode::Auto(ReviewDelay::Minutes(m)),
            (ReviewArg::Auto, None) => ReviewMode::Auto(ReviewDelay::WorkingDays(3)),
        }
    }
}

pub fn run(command: Command) -> ExitCode {
    crate::init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_async(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("beian regulator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_async(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve {
            data_dir,
            listen,
            bureau_review,
            bureau_review_minutes,
            simulated_clock,
            public_url,
        } => {
            let clock: SharedClock = if simulated_clock {
                Arc::new(SimulatedClock::new(beian_regulator::clock_file::resume(
                    &data_dir,
                )))
            } else {
                Arc::new(SystemClock)
            };
            let config = Config {
                review: bureau_review.mode(bureau_review_minutes),
                ..Config::default()
            };
            std::fs::create_dir_all(&data_dir)?;
            let listener = tokio::net::TcpListener::bind(listen).await?;
            let addr = listener.local_addr()?;
            println!("regulator simulator listening on http://{addr}/");
            println!(
                "public query: http://{addr}/miit/query  console: http://{addr}/sim/bureau/console"
            );
            let options = beian_regulator::soap::ServiceOptions { public_url };
            beian_regulator::soap::serve_data_dir_with(listener, &data_dir, clock, config, options)
                .await?;
            Ok(())
        }
        Command::Seed { data_dir, sponsors } => {
            std::fs::create_dir_all(&data_dir)?;
            let regulator =
                Regulator::open(&data_dir, Arc::new(SystemClock), Config::default()).await?;
            let bar = ProgressBar::new(sponsors);
            bar.set_style(ProgressStyle::with_template(
                "{bar:40} {pos}/{len} sponsors ({per_sec}, eta {eta})",
            )?);
            let report = beian_regulator::seed::seed(
                regulator.pool(),
                regulator.crypto(),
                sponsors,
                |done| bar.set_position(done),
            )
            .await?;
            bar.finish();
            println!(
                "seeded {} sponsors, {} websites, {} access records, {} providers in {:.1} s ({:.0} sponsors/s)",
                report.sponsors,
                report.websites,
                report.accesses,
                report.providers,
                report.seconds,
                report.rate()
            );
            Ok(())
        }
    }
}
