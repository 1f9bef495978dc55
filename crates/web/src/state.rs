//! What every handler can reach: the store, the registry link, the object store and the
//! settings the surfaces need ([`AppState`]), built once by [`crate::startup`].

use std::sync::Arc;

use beian_core::clock::SharedClock;
use beian_core::filing::ProviderId;
use beian_miit::v3::client::RegulatorClient;
use beian_platform::materials::UploadLimits;
use beian_platform::verification_form::LazyFont;
use beian_platform::workflow::Workflow;
use beian_regulator::Regulator;
use beian_store::Store;
use beian_store::objects::Objects;

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
    /// The registry as the workflow reaches it: SOAP over HTTP (to our own listener when the
    /// simulator runs in-process), see [`beian_platform::regulator_link`].
    pub regulator_client: Arc<dyn RegulatorClient>,
    /// This deployment's provider id at the registry (the configured `isp_id`).
    pub provider: ProviderId,
    /// The object store of uploaded materials.
    pub objects: Arc<Objects>,
    /// What an upload may be (its `max_bytes` caps the request body).
    pub uploads: UploadLimits,
    /// The verification form's font, loaded on first use.
    pub form_font: Arc<LazyFont>,
    /// This provider's name on the verification form.
    pub provider_name: Arc<str>,
    /// The edge gate's index of the domains accessed here (先备案后接入).
    pub gate: Arc<beian_platform::gate::GateIndex>,
    /// The operators' metrics ([`crate::metrics`]).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// `/healthz`'s last database check.
    pub health: Arc<crate::routes::health::HealthCache>,
    /// The admin dashboard, recomputed at most every
    /// [`beian_platform::dashboard::CACHE_SECONDS`] (the API and the page share it).
    pub dashboard: Arc<beian_platform::dashboard::DashboardCache>,
}

impl AppState {
    /// The workflow services over this state's store and registry link.
    pub fn workflow(&self) -> Workflow<'_> {
        Workflow::new(&self.store, self.regulator_client.as_ref(), self.provider)
    }
}
