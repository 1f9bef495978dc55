//! Builds the application: opens the store, assembles the router and binds the listener.
//! `build` returns before serving so the caller (the `beian` command, or a test on port 0)
//! learns the bound address first.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use beian_regulator::{Regulator, SharedClock, SimulatedClock, SystemClock};
use beian_store::{Store, StoreConfig};
use tokio::net::TcpListener;

use crate::routes;
use crate::settings::Settings;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// The REST API's settings and in-memory limits.
    pub api: Arc<crate::api::ApiContext>,
    /// The one clock of the whole system (simulated with `--simulated-clock`).
    pub clock: SharedClock,
    /// The in-process regulator simulator, when it runs.
    pub regulator: Option<Regulator>,
}

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data dir {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Store(#[from] beian_store::StoreError),
    #[error("cannot open the regulator simulator: {0}")]
    Regulator(#[from] beian_regulator::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A built application, bound to its address, not yet serving.
pub struct Application {
    addr: SocketAddr,
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let simulated = settings.simulator.is_some_and(|s| s.simulated_clock);
        let clock: SharedClock = if simulated {
            Arc::new(SimulatedClock::new(chrono::Utc::now()))
        } else {
            Arc::new(SystemClock)
        };
        let mut config = StoreConfig::embedded(&settings.data_dir);
        config.database_url = settings.database_url.clone();
        config.data_key = settings.data_key.clone();
        let store_clock = clock.clone();
        config.clock = Some(Arc::new(move || store_clock.now()));
        let store = Arc::new(Store::open(config).await?);
        let regulator = match settings.simulator {
            Some(sim) => {
                let dir = settings.data_dir.join("regulator");
                let config = beian_regulator::Config {
                    review: sim.review,
                    ..beian_regulator::Config::default()
                };
                Some(Regulator::open(&dir, clock.clone(), config).await?)
            }
            None => None,
        };
        let api = Arc::new(crate::api::ApiContext::new(settings.api.clone()));
        let state = AppState {
            store,
            api,
            clock,
            regulator,
        };
        let router = router(state.clone());
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartupError::Listen {
                    addr: settings.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                addr: settings.listen,
                source,
            })?;
        Ok(Application {
            addr,
            listener,
            router,
            state,
        })
    }

    /// The address the listener is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process is stopped; the simulator's review driver runs alongside.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let driver = self
            .state
            .regulator
            .as_ref()
            .map(|r| r.spawn_driver(std::time::Duration::from_secs(5)));
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app).await;
        if let Some(driver) = driver {
            driver.abort();
        }
        served
    }
}

/// The whole router: the platform, and the regulator simulator under its own paths when it
/// runs in-process (the platform still reaches it over HTTP/SOAP, as it would a real bureau).
pub fn router(state: AppState) -> Router {
    let platform = Router::new()
        .route("/healthz", get(routes::health::healthz))
        .merge(crate::api::router(state.clone()))
        .with_state(state.clone());
    match state.regulator {
        Some(regulator) => platform.merge(beian_regulator::soap::simulator_router(regulator)),
        None => platform,
    }
}
