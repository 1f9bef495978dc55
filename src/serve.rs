//! `beian serve`: builds the application from the flags and serves until stopped.

use std::net::SocketAddr;
use std::process::ExitCode;

use beian_web::settings::{NotifySettings, Settings, SimulatorSettings};
use beian_web::startup::Application;

use crate::DataArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "BEIAN_LISTEN")]
    listen: SocketAddr,
    /// Where the operators' Prometheus `/metrics` is served (apart from `--listen`, so the
    /// edge never exposes it).
    #[arg(long, default_value = "127.0.0.1:9464", env = "BEIAN_METRICS_LISTEN")]
    metrics_listen: SocketAddr,
    /// Serve no `/metrics`.
    #[arg(long)]
    no_metrics: bool,
    /// How the bundled regulator simulator decides: by its rules after its delay (`auto`), or
    /// by a person at its console (`manual`).
    #[arg(long, value_enum, default_value = "auto")]
    bureau_review: crate::regulator::ReviewArg,
    /// Review delay of `auto` mode, in minutes (default: 3 working days).
    #[arg(long)]
    bureau_review_minutes: Option<i64>,
    /// Start a simulated clock for the whole system, moved by `POST /sim/clock/advance`.
    #[arg(long)]
    simulated_clock: bool,
    /// Mark the session cookie `Secure`: `auto` does so unless the listen address is loopback
    /// (the embedded default serves plain HTTP on 127.0.0.1; behind HTTPS it must be `yes`).
    #[arg(long, value_enum, default_value = "auto")]
    secure_cookies: SecureCookies,
    /// The SMTP relay, as JSON (`{"host", "port", "tls": "none|starttls|tls", "username",
    /// "password", "from"}`); without it mail stays in the outbox. Prefer the environment
    /// variable: it holds a password.
    #[arg(long, env = "BEIAN_SMTP", hide_env_values = true)]
    smtp: Option<String>,
    /// An HTTP SMS gateway, as JSON (`{"url", "api_key", "sign"}`); without it texts stay in
    /// the outbox.
    #[arg(long, env = "BEIAN_SMS_HTTP", hide_env_values = true)]
    sms_http: Option<String>,
    /// The portal's public URL, as notifications name it.
    #[arg(long, env = "BEIAN_PORTAL_URL")]
    portal_url: Option<String>,
    /// The storefront (旺铺 / 企业官网) product's public IPv4 addresses, comma-separated: the
    /// access declared for storefront filings.
    #[arg(long, env = "BEIAN_STOREFRONT_IPS")]
    storefront_ips: Option<String>,
    /// A font file (TTF, OTF or TTC) for the verification form instead of the embedded CJK
    /// font, e.g. Debian's `/usr/share/fonts/truetype/wqy/wqy-microhei.ttc`.
    #[arg(long, env = "BEIAN_FORM_FONT")]
    form_font: Option<std::path::PathBuf>,
    /// The face of `--form-font` within a collection.
    #[arg(long, default_value_t = 0, env = "BEIAN_FORM_FONT_INDEX")]
    form_font_index: u32,
}

/// `--secure-cookies`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SecureCookies {
    Auto,
    Yes,
    No,
}

impl SecureCookies {
    fn resolve(self, listen: SocketAddr) -> bool {
        match self {
            SecureCookies::Auto => !listen.ip().is_loopback(),
            SecureCookies::Yes => true,
            SecureCookies::No => false,
        }
    }
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
        settings.database_url = args.data.database_url.clone();
        settings.metrics_listen = (!args.no_metrics).then_some(args.metrics_listen);
        settings.data_key = match args.data.data_key() {
            Ok(k) => k,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        settings.api.secure_cookies = args.secure_cookies.resolve(args.listen);
        settings.simulator = Some(SimulatorSettings {
            review: args.bureau_review.mode(args.bureau_review_minutes),
            simulated_clock: args.simulated_clock,
        });
        settings.form_font.path = args.form_font;
        settings.form_font.index = args.form_font_index;
        if let Some(ips) = args.storefront_ips {
            settings.worker.storefront_ips = ips;
        }
        settings.notify = match NotifySettings::from_json(
            args.smtp.as_deref(),
            args.sms_http.as_deref(),
            args.portal_url.as_deref(),
        ) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("beian cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let app = match Application::build(settings).await {
            Ok(app) => app,
            Err(e) => {
                eprintln!("beian cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("beian is listening on http://{}/", app.addr());
        println!("portal: http://{}/ (zh-CN; English from the switch)", app.addr());
        println!("health: http://{}/healthz", app.addr());
        if let Some(at) = app.metrics_addr() {
            println!("metrics (operators only): http://{at}/metrics");
        }
        println!(
            "API: http://{0}/api/v1 (OpenAPI: http://{0}/api/openapi.json, viewer: http://{0}/api/docs)",
            app.addr()
        );
        println!(
            "regulator simulator: http://{0}/miit/query, http://{0}/sim/bureau/console",
            app.addr()
        );
        println!(
            "create an account: POST http://{}/api/v1/accounts",
            app.addr()
        );
        match app.run_until(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server stopped: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// SIGTERM (systemd, a rolling upgrade) or Ctrl-C: the graceful shutdown starts.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    eprintln!("beian: shutting down (finishing requests in flight, giving back job leases)");
}

#[cfg(test)]
mod tests {
    use super::SecureCookies;

    #[test]
    fn secure_cookies_auto_follows_the_listen_address() {
        let loopback = "127.0.0.1:8080".parse().unwrap();
        let public = "0.0.0.0:8080".parse().unwrap();
        assert!(!SecureCookies::Auto.resolve(loopback));
        assert!(SecureCookies::Auto.resolve(public));
        assert!(SecureCookies::Yes.resolve(loopback));
        assert!(!SecureCookies::No.resolve(public));
    }
}
