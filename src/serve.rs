//! `beian serve`: builds the application from its settings and serves until stopped.
//!
//! Every setting comes, in increasing precedence, from its default, the TOML file of
//! `--config FILE` (keys are the flags' names with `_`, see [`crate::serve_config`]), a
//! `BEIAN_*` environment variable, and the command line. Secrets (passwords, keys, tokens)
//! are never printed: their `Debug` is redacted and clap hides their environment values.
//!
//! Two modes: with `--regulator-url` the platform talks to that bureau (a real one, or an
//! external simulator) with the configured credentials, and nothing of the simulator is
//! mounted; without it the bundled simulator runs in-process. Its controls (`/sim/*`) are
//! mounted only in demo/test mode (`--simulator-controls`, implied by `--simulated-clock`
//! and `--bureau-review manual`), behind the simulator-operator token printed at start (or a
//! bureau-officer login).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use beian_web::settings::{NotifySettings, RegulatorEndpoint, Settings, SimulatorSettings};
use beian_web::startup::Application;

use crate::serve_config::{FileConfig, Secret};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A TOML file with any of these settings (keys as the flags, with `_`: `listen`,
    /// `database_url`, `regulator_url`, …); environment variables and flags win over it.
    #[arg(long, env = "BEIAN_CONFIG")]
    config: Option<PathBuf>,
    /// The data dir: SQLite file, objects, data key, audit head (default `./data`).
    #[arg(long, env = "BEIAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `postgres://…`; default: the SQLite file in the data dir.
    #[arg(long, env = "BEIAN_DATABASE_URL", hide_env_values = true)]
    database_url: Option<Secret>,
    /// The address to listen on (default `127.0.0.1:8080`).
    #[arg(long, env = "BEIAN_LISTEN")]
    listen: Option<SocketAddr>,
    /// Where the operators' Prometheus `/metrics` is served, apart from `listen` so the edge
    /// never exposes it (default `127.0.0.1:9464`).
    #[arg(long, env = "BEIAN_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Serve no `/metrics`.
    #[arg(long, env = "BEIAN_NO_METRICS", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    no_metrics: Option<bool>,
    /// A file holding the data key (base64). Default: `BEIAN_DATA_KEY`, then the data dir's
    /// `data.key` (generated on the first embedded run).
    #[arg(long, env = "BEIAN_DATA_KEY_FILE")]
    data_key_file: Option<PathBuf>,
    /// A command (run by `sh -c`) whose standard output is the data key: a KMS or vault
    /// client, or `beian key unwrap --from … --passphrase-file …`.
    #[arg(long, env = "BEIAN_DATA_KEY_COMMAND", conflicts_with = "data_key_file")]
    data_key_command: Option<String>,
    /// How the bundled regulator simulator decides: by its rules after its delay (`auto`), or
    /// by a person at its console (`manual`, which mounts the simulator's controls).
    #[arg(long, value_enum, env = "BEIAN_BUREAU_REVIEW")]
    bureau_review: Option<crate::regulator::ReviewArg>,
    /// Review delay of `auto` mode, in minutes (default: 3 working days).
    #[arg(long, env = "BEIAN_BUREAU_REVIEW_MINUTES")]
    bureau_review_minutes: Option<i64>,
    /// Start a simulated clock for the whole system, moved by `POST /sim/clock/advance` (mounts
    /// the simulator's controls).
    #[arg(long, env = "BEIAN_SIMULATED_CLOCK", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    simulated_clock: Option<bool>,
    /// Demo/test mode: mount the simulator's controls (`/sim/*`: phone inbox, clock, reviews,
    /// console) behind the simulator-operator token.
    #[arg(long, env = "BEIAN_SIMULATOR_CONTROLS", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    simulator_controls: Option<bool>,
    /// The simulator-operator token; default: a fresh one, printed at start.
    #[arg(long, env = "BEIAN_SIMULATOR_TOKEN", hide_env_values = true)]
    simulator_token: Option<Secret>,
    /// An external bureau's interface (`https://host[:port]`): a real bureau or a simulator
    /// run apart (`beian regulator serve`). Nothing of the bundled simulator is mounted then.
    #[arg(long, env = "BEIAN_REGULATOR_URL")]
    regulator_url: Option<String>,
    /// This provider's `ispId` at the bureau (default 1).
    #[arg(long, env = "BEIAN_REGULATOR_ISP_ID")]
    regulator_isp_id: Option<i64>,
    /// The user name the bureau gave this provider.
    #[arg(long, env = "BEIAN_REGULATOR_USER")]
    regulator_user: Option<String>,
    /// The password the bureau gave this provider (prefer the environment or the file).
    #[arg(long, env = "BEIAN_REGULATOR_PASSWORD", hide_env_values = true)]
    regulator_password: Option<Secret>,
    /// The AES key (16 bytes) the bureau gave; with `--regulator-aes-iv`.
    #[arg(long, env = "BEIAN_REGULATOR_AES_KEY", hide_env_values = true)]
    regulator_aes_key: Option<Secret>,
    /// The AES IV (16 bytes) the bureau gave; with `--regulator-aes-key`.
    #[arg(long, env = "BEIAN_REGULATOR_AES_IV", hide_env_values = true)]
    regulator_aes_iv: Option<Secret>,
    /// The service namespace written in requests (docs/bureau-interop.md).
    #[arg(long, env = "BEIAN_REGULATOR_NAMESPACE")]
    regulator_namespace: Option<String>,
    /// How the provider id parameter is spelled: `ispId` (the spec) or `ispID`.
    #[arg(long, env = "BEIAN_REGULATOR_ISP_ID_SPELLING")]
    regulator_isp_id_spelling: Option<String>,
    /// Ask the bureau for beian's extensions of the returns (`<Ztsf>`, `<Baxx>`): only for a
    /// bundled simulator run apart (`beian regulator serve`); a real bureau has none.
    #[arg(long, env = "BEIAN_REGULATOR_EXTENSIONS", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    regulator_extensions: Option<bool>,
    /// Mark the session cookie `Secure`: `auto` does so unless the listen address is loopback
    /// (the embedded default serves plain HTTP on 127.0.0.1; behind HTTPS it must be `yes`).
    #[arg(long, value_enum, env = "BEIAN_SECURE_COOKIES")]
    secure_cookies: Option<SecureCookies>,
    /// The SMTP relay, as JSON (`{"host", "port", "tls": "none|starttls|tls", "username",
    /// "password", "from"}`); without it mail stays in the outbox. Prefer the environment
    /// variable or the file: it holds a password.
    #[arg(long, env = "BEIAN_SMTP", hide_env_values = true)]
    smtp: Option<Secret>,
    /// An HTTP SMS gateway, as JSON (`{"url", "api_key", "sign"}`); without it texts stay in
    /// the outbox.
    #[arg(long, env = "BEIAN_SMS_HTTP", hide_env_values = true)]
    sms_http: Option<Secret>,
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
    form_font: Option<PathBuf>,
    /// The face of `--form-font` within a collection (default 0).
    #[arg(long, env = "BEIAN_FORM_FONT_INDEX")]
    form_font_index: Option<u32>,
}

/// `--secure-cookies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecureCookies {
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

/// What `beian serve` runs with, once the file, the environment and the flags are merged.
pub struct Resolved {
    pub settings: Settings,
    /// The simulator-operator token, when the controls are mounted, and whether it was made
    /// up here (then it is printed).
    pub sim_token: Option<(String, bool)>,
}

/// Merges the command line (with its environment variables) over the file's settings.
pub fn resolve(args: Args, file: FileConfig) -> Result<Resolved, String> {
    let data_dir = args
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("./data"));
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let mut settings = Settings::embedded(&data_dir, listen);
    settings.metrics_listen = if args.no_metrics.or(file.no_metrics).unwrap_or(false) {
        None
    } else {
        Some(
            args.metrics_listen
                .or(file.metrics_listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9464))),
        )
    };
    settings.data_key = crate::data_key_from(
        args.data_key_file.or(file.data_key_file).as_deref(),
        args.data_key_command.or(file.data_key_command).as_deref(),
    )?;
    settings.database_url = args
        .database_url
        .or(file.database_url)
        .map(Secret::into_inner);
    settings.api.secure_cookies = args
        .secure_cookies
        .or(file.secure_cookies)
        .unwrap_or(SecureCookies::Auto)
        .resolve(listen);

    let review = args.bureau_review.or(file.bureau_review);
    let review_minutes = args.bureau_review_minutes.or(file.bureau_review_minutes);
    let simulated_clock = args.simulated_clock.or(file.simulated_clock);
    let controls = args.simulator_controls.or(file.simulator_controls);
    let token = args.simulator_token.or(file.simulator_token);
    let regulator_url = args.regulator_url.or(file.regulator_url);
    let mut sim_token = None;
    if let Some(url) = regulator_url {
        let simulator_flags = [
            ("bureau_review", review.is_some()),
            ("bureau_review_minutes", review_minutes.is_some()),
            ("simulator_controls", controls == Some(true)),
        ];
        if let Some((name, _)) = simulator_flags.iter().find(|(_, set)| *set) {
            return Err(format!(
                "{name} is a setting of the bundled simulator, which does not run with regulator_url"
            ));
        }
        settings.simulator = None;
        // Test mode against a simulator run apart: the platform's own clock is simulated,
        // moved by `/sim/clock/advance` behind the operator token.
        if simulated_clock == Some(true) {
            let (token, made_up) = match token {
                Some(t) if !t.expose().trim().is_empty() => (t.into_inner(), false),
                _ => (beian_platform::accounts::new_token(), true),
            };
            sim_token = Some((token.clone(), made_up));
            settings.clock_controls = Some(token);
        }
        settings.regulator = RegulatorEndpoint {
            base_url: Some(url),
            isp_id: args.regulator_isp_id.or(file.regulator_isp_id).unwrap_or(1),
            user: args.regulator_user.or(file.regulator_user),
            password: args
                .regulator_password
                .or(file.regulator_password)
                .map(Secret::into_inner),
            aes_key: args
                .regulator_aes_key
                .or(file.regulator_aes_key)
                .map(Secret::into_inner),
            aes_iv: args
                .regulator_aes_iv
                .or(file.regulator_aes_iv)
                .map(Secret::into_inner),
            namespace: args.regulator_namespace.or(file.regulator_namespace),
            isp_id_spelling: args
                .regulator_isp_id_spelling
                .or(file.regulator_isp_id_spelling),
            extensions: args.regulator_extensions.or(file.regulator_extensions),
        };
        if settings.regulator.user.is_none() || settings.regulator.password.is_none() {
            return Err(
                "regulator_url needs regulator_user and regulator_password (the credentials the bureau gave)"
                    .to_owned(),
            );
        }
    } else {
        let review = review.unwrap_or(crate::regulator::ReviewArg::Auto);
        let simulated_clock = simulated_clock.unwrap_or(false);
        // Demo and test mode: a moving clock and manual decisions need the controls.
        let with_controls = controls.unwrap_or(false)
            || simulated_clock
            || matches!(review, crate::regulator::ReviewArg::Manual);
        let controls = if with_controls {
            let (token, made_up) = match token {
                Some(t) if !t.expose().trim().is_empty() => (t.into_inner(), false),
                _ => (beian_platform::accounts::new_token(), true),
            };
            sim_token = Some((token.clone(), made_up));
            Some(token)
        } else {
            None
        };
        settings.simulator = Some(SimulatorSettings {
            review: review.mode(review_minutes),
            simulated_clock,
            platform_texts_to_phones: controls.is_some(),
            controls,
        });
    }

    settings.form_font.path = args.form_font.or(file.form_font);
    settings.form_font.index = args.form_font_index.or(file.form_font_index).unwrap_or(0);
    if let Some(ips) = args.storefront_ips.or(file.storefront_ips) {
        settings.worker.storefront_ips = ips;
    }
    let smtp = args.smtp.or(file.smtp.map(|v| v.into_json()));
    let sms_http = args.sms_http.or(file.sms_http.map(|v| v.into_json()));
    let portal_url = args.portal_url.or(file.portal_url);
    settings.notify = NotifySettings::from_json(
        smtp.as_ref().map(Secret::expose),
        sms_http.as_ref().map(Secret::expose),
        portal_url.as_deref(),
    )?;
    Ok(Resolved {
        settings,
        sim_token,
    })
}

pub fn run(mut args: Args) -> ExitCode {
    crate::init_tracing();
    let file = match args.config.take() {
        Some(path) => match FileConfig::read(&path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("beian cannot start: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => FileConfig::default(),
    };
    let Resolved {
        settings,
        sim_token,
    } = match resolve(args, file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("beian cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let external = settings.regulator.base_url.clone();
    runtime.block_on(async {
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
        match (&external, &sim_token) {
            (Some(url), token) => {
                println!("bureau: {url} (the bundled simulator is not running)");
                match token {
                    Some((token, true)) => println!(
                        "simulated clock (POST /sim/clock/advance), operator token (header X-Simulator-Token): {token}"
                    ),
                    Some((_, false)) => println!(
                        "simulated clock (POST /sim/clock/advance), operator token: as configured (simulator_token)"
                    ),
                    None => {}
                }
            }
            (None, None) => println!(
                "regulator simulator (in-process): http://{}/miit/query; its controls (/sim/*) are off (demo mode: --simulator-controls)",
                app.addr()
            ),
            (None, Some((token, made_up))) => {
                println!(
                    "regulator simulator (demo mode): http://{0}/miit/query, console http://{0}/sim/bureau/console (bureau-officer login)",
                    app.addr()
                );
                if *made_up {
                    println!(
                        "simulator-operator token (header X-Simulator-Token, for /sim/*): {token}"
                    );
                } else {
                    println!("simulator-operator token: as configured (simulator_token)");
                }
            }
        }
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
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn args(flags: &[&str]) -> Args {
        let mut argv = vec!["serve"];
        argv.extend_from_slice(flags);
        Cli::try_parse_from(argv).unwrap().args
    }

    #[test]
    fn secure_cookies_auto_follows_the_listen_address() {
        let loopback = "127.0.0.1:8080".parse().unwrap();
        let public = "0.0.0.0:8080".parse().unwrap();
        assert!(!SecureCookies::Auto.resolve(loopback));
        assert!(SecureCookies::Auto.resolve(public));
        assert!(SecureCookies::Yes.resolve(loopback));
        assert!(!SecureCookies::No.resolve(public));
    }

    #[test]
    fn flags_win_over_the_file() {
        let file: FileConfig = toml::from_str(
            r#"
            listen = "127.0.0.1:9000"
            data_dir = "/srv/beian"
            portal_url = "https://file.example"
            "#,
        )
        .unwrap();
        let r = resolve(args(&["--listen", "127.0.0.1:9001"]), file).unwrap();
        assert_eq!(r.settings.listen.port(), 9001);
        assert_eq!(r.settings.data_dir, PathBuf::from("/srv/beian"));
        assert_eq!(r.settings.notify.portal_url, "https://file.example");
    }

    #[test]
    fn plain_serve_mounts_no_controls_and_demo_mode_makes_a_token() {
        let plain = resolve(args(&[]), FileConfig::default()).unwrap();
        assert!(plain.sim_token.is_none());
        assert!(plain.settings.simulator.unwrap().controls.is_none());
        for flags in [
            &["--simulated-clock"][..],
            &["--simulator-controls"],
            &["--bureau-review", "manual"],
        ] {
            let demo = resolve(args(flags), FileConfig::default()).unwrap();
            let (token, made_up) = demo.sim_token.unwrap();
            assert!(made_up && token.len() >= 32, "{flags:?}");
            assert_eq!(demo.settings.simulator.unwrap().controls, Some(token));
        }
    }

    #[test]
    fn an_external_bureau_runs_no_simulator_and_needs_credentials() {
        let file: FileConfig = toml::from_str(
            r#"
            regulator_url = "https://bureau.example"
            regulator_isp_id = 42
            regulator_user = "isp42"
            regulator_password = "file-secret"
            "#,
        )
        .unwrap();
        let r = resolve(args(&[]), file).unwrap();
        assert!(r.settings.simulator.is_none() && r.sim_token.is_none());
        assert_eq!(r.settings.regulator.isp_id, 42);
        assert_eq!(
            r.settings.regulator.password.as_deref(),
            Some("file-secret")
        );
        let e = resolve(
            args(&["--regulator-url", "https://bureau.example"]),
            FileConfig::default(),
        )
        .err()
        .unwrap();
        assert!(e.contains("regulator_password"), "{e}");
        let e = resolve(
            args(&[
                "--regulator-url",
                "https://b.example",
                "--regulator-user",
                "u",
                "--regulator-password",
                "p",
                "--bureau-review",
                "manual",
            ]),
            FileConfig::default(),
        )
        .err()
        .unwrap();
        assert!(e.contains("bureau_review"), "{e}");
        // A simulated clock for the platform alone, with its controls' token.
        let r = resolve(
            args(&[
                "--regulator-url",
                "https://b.example",
                "--regulator-user",
                "u",
                "--regulator-password",
                "p",
                "--simulated-clock",
            ]),
            FileConfig::default(),
        )
        .unwrap();
        assert!(r.settings.simulator.is_none());
        assert_eq!(
            r.settings.clock_controls,
            r.sim_token.map(|(token, _)| token)
        );
        assert!(r.settings.clock_controls.is_some());
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let a = args(&[
            "--regulator-password",
            "pw-very-secret",
            "--simulator-token",
            "tok-very-secret",
            "--smtp",
            r#"{"host":"h","password":"smtp-very-secret"}"#,
        ]);
        let shown = format!("{a:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
