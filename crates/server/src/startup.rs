//! Builds the application: opens the store, assembles the router and binds the listener.
//! `build` returns before serving so the caller (the `beian` command, or a test on port 0)
//! learns the bound address first.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
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
        let mut config = StoreConfig::embedded(&settings.data_dir);
        config.database_url = settings.database_url.clone();
        config.data_key = settings.data_key.clone();
        let store = Arc::new(Store::open(config).await?);
        let api = Arc::new(crate::api::ApiContext::new(settings.api.clone()));
        let state = AppState { store, api };
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

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app).await
    }
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .merge(crate::api::router(state.clone()))
        .with_state(state)
}
