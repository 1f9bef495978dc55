//! Builds the application: opens the store, assembles the router and binds the listener.
//! `build` returns before serving so the caller (the `beian` command, or a test on port 0)
//! learns the bound address first.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use beian_core::clock::{SharedClock, SimulatedClock, SystemClock};
use beian_core::filing::ProviderId;
use beian_regulator::Regulator;
use beian_store::objects::Objects;
use beian_store::{Store, StoreConfig};
use tokio::net::TcpListener;

use crate::routes;
use crate::settings::Settings;
pub use crate::state::AppState;
use beian_platform::regulator_link;
use beian_platform::verification_form::LazyFont;
use beian_platform::worker::{Worker, WorkerParts};

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
    #[error("cannot open the object store: {0}")]
    Objects(beian_store::StoreError),
    #[error("cannot open the regulator simulator: {0}")]
    Regulator(#[from] beian_regulator::Error),
    #[error("cannot set up the registry link: {0}")]
    RegulatorLink(#[from] beian_platform::regulator_link::LinkError),
    #[error("cannot set up the job worker: {0}")]
    Worker(#[from] beian_platform::worker::WorkerError),
    #[error("cannot load the gate's index: {0}")]
    Gate(#[from] beian_platform::gate::GateError),
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
    /// The operators' `/metrics` listener, when configured.
    metrics: Option<(SocketAddr, TcpListener)>,
    router: Router,
    state: AppState,
    worker: Option<Worker>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let simulated = settings
            .simulator
            .as_ref()
            .map_or(settings.clock_controls.is_some(), |s| s.simulated_clock);
        let clock: SharedClock = match &settings.clock {
            Some(clock) => clock.clone(),
            // A restart resumes the simulated time the simulator kept (`clock_file`).
            None if simulated => Arc::new(SimulatedClock::new(
                beian_regulator::clock_file::resume(&settings.data_dir.join("regulator")),
            )),
            None => Arc::new(SystemClock),
        };
        let mut config = StoreConfig::embedded(&settings.data_dir);
        config.database_url = settings.database_url.clone();
        config.data_key = settings.data_key.clone();
        let store_clock = clock.clone();
        config.clock = Some(Arc::new(move || store_clock.now()));
        let store = Arc::new(Store::open(config).await?);
        let gate = Arc::new(beian_platform::gate::GateIndex::load(&store.gate_feed()).await?);
        let objects = Arc::new(
            Objects::open(&settings.objects, store.crypto()).map_err(StartupError::Objects)?,
        );
        let regulator = match &settings.simulator {
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
        let api = Arc::new(crate::api::ApiContext::new(
            settings.api.clone(),
            clock.clone(),
        ));
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
        let metrics_listener = match settings.metrics_listen {
            Some(at) => {
                let l = TcpListener::bind(at)
                    .await
                    .map_err(|source| StartupError::Listen { addr: at, source })?;
                let bound = l
                    .local_addr()
                    .map_err(|source| StartupError::Listen { addr: at, source })?;
                Some((bound, l))
            }
            None => None,
        };
        let base_url = match (&settings.regulator.base_url, &regulator) {
            (Some(url), _) => url.clone(),
            (None, Some(_)) => regulator_link::own_base_url(addr),
            (None, None) => return Err(regulator_link::LinkError::NoEndpoint.into()),
        };
        // Embedded: the workflow talks to the in-process simulator on our own listener.
        let embedded = settings.regulator.base_url.is_none() && regulator.is_some();
        let resolved = regulator_link::resolve(&settings.regulator, &settings.data_dir, embedded)?;
        if let (true, Some(sim)) = (embedded, &regulator) {
            crate::simulator::ensure_provider(sim, &resolved).await?;
        }
        let regulator_client = regulator_link::client(&base_url, &resolved)?;
        let provider = ProviderId(u64::try_from(resolved.isp_id).unwrap_or_default());
        let worker = if settings.worker.enabled {
            Some(Worker::new(
                WorkerParts {
                    store: store.clone(),
                    objects: objects.clone(),
                    client: regulator_client.clone(),
                    clock: clock.clone(),
                    isp_id: resolved.isp_id,
                    provider_name: settings.provider_name.clone(),
                },
                &settings.notify,
                &settings.worker,
            )?)
        } else {
            None
        };
        // Demo mode with the bundled simulator: the platform's texts also reach its phones.
        let to_phones = settings
            .simulator
            .as_ref()
            .is_some_and(|s| s.platform_texts_to_phones);
        let worker = match (worker, &regulator) {
            (Some(w), Some(sim)) if embedded && to_phones => Some(w.with_simulated_phones(
                &settings.notify,
                Arc::new(crate::simulator::SimulatedPhones(sim.clone())),
            )),
            (w, _) => w,
        };
        let state = AppState {
            store,
            api,
            clock,
            regulator,
            regulator_client,
            provider,
            objects,
            uploads: settings.uploads,
            form_font: Arc::new(LazyFont::new(settings.form_font.clone())),
            provider_name: Arc::from(settings.provider_name.as_str()),
            gate,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            health: Arc::new(crate::routes::health::HealthCache::default()),
            dashboard: Arc::new(beian_platform::dashboard::DashboardCache::new()),
        };
        let controls = settings
            .simulator
            .as_ref()
            .and_then(|s| s.controls.as_deref());
        let mut router = router(state.clone(), controls);
        if let (None, Some(token)) = (&settings.simulator, &settings.clock_controls) {
            router = router.merge(crate::simulator::clock_controls(
                state.clone(),
                settings.data_dir.join("regulator"),
                token,
            ));
        }
        Ok(Application {
            addr,
            listener,
            metrics: metrics_listener,
            router,
            state,
            worker,
        })
    }

    /// The address the listener is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the operators' `/metrics` listener, when configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(a, _)| *a)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The job worker (`None` when disabled in the settings); it starts with
    /// [`Application::run_until_stopped`].
    pub fn worker(&self) -> Option<&Worker> {
        self.worker.as_ref()
    }

    /// Serves until the process is stopped; the simulator's review driver runs alongside.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes (SIGTERM in `beian serve`), then stops gracefully:
    /// no new connections, requests in flight finished, the worker's job in hand dropped and
    /// every lease it held given back ([`Worker::run_until`]), so another instance takes
    /// over at once.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stop_tx = Arc::new(stop_tx);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let driver = self
            .state
            .regulator
            .as_ref()
            .map(|r| r.spawn_driver(std::time::Duration::from_secs(5)));
        let worker = self.worker.map(|w| tokio::spawn(w.run_until(stopped())));
        // Tells the other instances on the database this one is alive (idempotency keys of a
        // dead instance are over sooner, beian_store::idempotency).
        let alive = tokio::spawn(beian_store::Store::clone(&self.state.store).keep_alive());
        let gate = tokio::spawn(beian_platform::gate::follow(
            self.state.gate.clone(),
            self.state.store.gate_feed(),
        ));
        let metrics = self.metrics.map(|(_, listener)| {
            let app = crate::metrics::router(self.state.clone());
            let stop = stopped();
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop)
                    .await
            })
        });
        let signal = stop_tx.clone();
        tokio::spawn(async move {
            shutdown.await;
            let _ = signal.send(true);
        });
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(stopped())
            .await;
        // Ended by the signal, or by a listener error: either way the rest stops too.
        let _ = stop_tx.send(true);
        if let Some(worker) = worker
            && let Err(e) = worker.await
        {
            tracing::warn!(error = %e, "the job worker ended abnormally");
        }
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        if let Some(driver) = driver {
            driver.abort();
        }
        gate.abort();
        alive.abort();
        served
    }
}

/// The whole router: the platform, and the regulator simulator under its own paths when it
/// runs in-process (the platform still reaches it over HTTP/SOAP, as it would a real bureau).
/// The simulator's controls (`/sim/*`) are mounted only with an operator token (demo and test
/// mode), behind [`crate::simulator::controls`]' guard.
pub fn router(state: AppState, sim_controls: Option<&str>) -> Router {
    let platform = Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .merge(crate::api::router(state.clone()))
        .merge(crate::portal::router(state.clone()))
        .with_state(state.clone())
        .merge(crate::gate::router(state.gate.clone()));
    let metrics = state.metrics.clone();
    let all = match state.regulator.clone() {
        Some(regulator) => {
            let public = platform.merge(beian_regulator::soap::public_simulator_router(
                regulator.clone(),
            ));
            match sim_controls {
                Some(token) => public.merge(crate::simulator::controls(regulator, state, token)),
                None => public,
            }
        }
        None => platform,
    };
    all.layer(axum::middleware::from_fn_with_state(
        metrics,
        crate::metrics::track,
    ))
}
