//! What the server is started with: where the data lives, where it listens, which database.
//! The `beian` command fills this from its flags; defaults are the embedded set-up. The
//! platform's own parts (mail and SMS, the worker, the registry endpoint) are
//! [`beian_platform::settings`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use beian_core::clock::SharedClock;
use beian_platform::materials::UploadLimits;
use beian_platform::verification_form::FontConfig;
use beian_store::DataKey;
use beian_store::objects::ObjectConfig;

pub use beian_platform::settings::{
    DEFAULT_PROVIDER_NAME, NotifySettings, RegulatorEndpoint, WorkerSettings,
};

/// How the server is configured.
#[derive(Clone)]
pub struct Settings {
    /// The data dir: SQLite file, object folder, data key, audit head.
    pub data_dir: PathBuf,
    /// The address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where the operators' `/metrics` is served, apart from `listen` so the edge never
    /// exposes it; `None`: not served (`beian serve` defaults to `127.0.0.1:9464`).
    pub metrics_listen: Option<SocketAddr>,
    /// `postgres://…` or `sqlite:…`; `None` is the SQLite file in the data dir.
    pub database_url: Option<String>,
    /// The personal-data key; `None` reads `BEIAN_DATA_KEY`, then the key file in the data dir.
    pub data_key: Option<DataKey>,
    /// The bundled regulator simulator, started in-process and mounted on the same listener
    /// under its own paths (the spec's SOAP paths, `/miit`, `/bureau`, `/sim`); `None` when a
    /// real bureau endpoint is configured.
    pub simulator: Option<SimulatorSettings>,
    /// The REST API's sessions and limits.
    pub api: ApiSettings,
    /// Where the platform reaches the registry (MIIT interface V3.0) and as whom.
    pub regulator: RegulatorEndpoint,
    /// Where uploaded materials are stored; by default the folder `<data_dir>/objects`.
    pub objects: ObjectConfig,
    /// What an upload may be; `max_bytes` (10 MiB by default) also caps the request body.
    pub uploads: UploadLimits,
    /// The CJK font of the verification form, loaded on first use.
    pub form_font: FontConfig,
    /// This provider's name (接入服务提供者) on the verification form.
    pub provider_name: String,
    /// How mail and SMS leave: SMTP and an HTTP SMS gateway when configured, else the
    /// store's outbox (the embedded default).
    pub notify: NotifySettings,
    /// The background job worker (notifications, bureau uploads, results polls).
    pub worker: WorkerSettings,
    /// A clock to use instead of the one `simulator.simulated_clock` picks (tests that run
    /// the simulator as its own server share one simulated clock with it).
    pub clock: Option<SharedClock>,
    /// With an external regulator (`simulator` is `None`): a simulated clock for the platform
    /// alone, moved by `POST /sim/clock/advance` behind this operator token (demo and test
    /// mode: the crash suite stops a regulator run apart while the platform's time moves).
    pub clock_controls: Option<String>,
}

/// Sessions, cookies and abuse limits of the REST API (`crate::api`).
///
/// The per-IP request and per-minute login limits are kept in each instance's memory (several
/// instances behind a balancer each allow this much); the login delays are kept in the
/// database and shared (`crate::api::throttle`).
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Whether the session cookie is marked `Secure` (true behind HTTPS; false for plain-HTTP
    /// local set-ups and tests).
    pub secure_cookies: bool,
    /// How long a session lasts after login.
    pub session_ttl: Duration,
    /// Failed logins of one username from one address (in the window) before each further
    /// attempt from there waits a growing delay.
    pub login_free_failures_per_account_and_source: u32,
    /// Failed logins from one address, whatever the username, before the same.
    pub login_free_failures_per_source: u32,
    /// The longest delay between two attempts once throttled.
    pub login_delay_cap: Duration,
    /// How long a failed login is counted.
    pub login_failure_window: Duration,
    /// Failed logins allowed per client address per minute.
    pub login_failures_per_ip_per_minute: u32,
    /// Sustained API requests per second allowed per client address (token bucket rate).
    pub requests_per_ip_per_second: u32,
    /// Burst of API requests allowed per client address (token bucket size).
    pub request_burst_per_ip: u32,
    /// Largest POST body kept for an `Idempotency-Key` (bigger ones get 413).
    pub idempotency_body_limit: usize,
    /// How long (on the real clock, never the simulated one) a key whose request committed
    /// its effects but has no answer yet is answered 409 `request_in_progress`; after it, the
    /// request's process is presumed dead and the answer lost (409 `request_answer_lost`).
    pub idempotency_stale_after: Duration,
}

impl Default for ApiSettings {
    fn default() -> ApiSettings {
        ApiSettings {
            secure_cookies: true,
            session_ttl: Duration::from_secs(12 * 3600),
            login_free_failures_per_account_and_source: 5,
            login_free_failures_per_source: 50,
            login_delay_cap: Duration::from_secs(15 * 60),
            login_failure_window: Duration::from_secs(24 * 3600),
            login_failures_per_ip_per_minute: 20,
            requests_per_ip_per_second: 20,
            request_burst_per_ip: 100,
            idempotency_stale_after: Duration::from_secs(120),
            idempotency_body_limit: 16 * 1024 * 1024,
        }
    }
}

impl Settings {
    /// The embedded default in `data_dir`, listening on `listen`.
    pub fn embedded(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> Settings {
        let data_dir = data_dir.into();
        Settings {
            objects: ObjectConfig::Local {
                dir: data_dir.join("objects"),
            },
            uploads: UploadLimits::default(),
            form_font: FontConfig::default(),
            provider_name: DEFAULT_PROVIDER_NAME.to_owned(),
            data_dir,
            listen,
            metrics_listen: None,
            database_url: None,
            data_key: None,
            api: ApiSettings::default(),
            regulator: RegulatorEndpoint::default(),
            simulator: Some(SimulatorSettings::default()),
            notify: NotifySettings::default(),
            worker: WorkerSettings::default(),
            clock: None,
            clock_controls: None,
        }
    }
}

/// How the in-process regulator simulator runs.
#[derive(Clone)]
pub struct SimulatorSettings {
    /// Automatic review after a delay, or manual decisions at the console.
    pub review: beian_regulator::ReviewMode,
    /// Start a simulated clock that `POST /sim/clock/advance` moves, for the whole system.
    pub simulated_clock: bool,
    /// Demo and test mode: the simulator's controls (`/sim/*`: phone inbox, clock, reviews,
    /// console) are mounted, answering only a bureau-officer login or this operator token
    /// (`crate::simulator`). `None`: not mounted at all.
    pub controls: Option<String>,
    /// Demo mode (`beian serve` with the controls): the platform's own texts, when they go
    /// to the embedded outbox, also reach the simulator's phones, so that a person reads the
    /// 取消接入 code on `/sim/phone-inbox` as they read the bureau's codes.
    pub platform_texts_to_phones: bool,
}

impl std::fmt::Debug for SimulatorSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorSettings")
            .field("review", &self.review)
            .field("simulated_clock", &self.simulated_clock)
            .field("controls", &self.controls.as_ref().map(|_| "<redacted>"))
            .field("platform_texts_to_phones", &self.platform_texts_to_phones)
            .finish()
    }
}

impl Default for SimulatorSettings {
    fn default() -> SimulatorSettings {
        SimulatorSettings {
            review: beian_regulator::ReviewMode::Auto(beian_regulator::ReviewDelay::WorkingDays(3)),
            simulated_clock: false,
            controls: None,
            platform_texts_to_phones: false,
        }
    }
}
