//! Prometheus metrics for the provider's operators, at `/metrics` on a listener of their own
//! (`--metrics-listen`, loopback by default), so the edge that serves the portal never serves
//! them.
//!
//! Why `prometheus-client`: it is the Prometheus project's own Rust client, keeps its
//! registry as a value (no process-global recorder, so every test app has its own), and
//! encodes the OpenMetrics text format itself with few dependencies.
//!
//! Two kinds of series:
//! - counted as they happen: HTTP requests by method, route template and status class, and
//!   their latency (`beian_http_requests_total`, `beian_http_request_duration_seconds`); the
//!   gate's decisions are the requests of route `/gate` by status;
//! - read at scrape time from the store: orders by state, jobs by kind and status with the
//!   oldest one's age, the outbox by channel and status, bureau uploads (count, attempts,
//!   errors, mean latency), deadline breaches by deadline, the gate index's size and the
//!   database pool's use.
//!
//! Labels are route templates (`/api/v1/orders/{id}`), kinds, states and channels: never an
//! id, a domain, a phone or any other personal data.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOnly {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabels {
    channel: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeadlineLabel {
    deadline: String,
}

type IntGauge = Gauge<i64, std::sync::atomic::AtomicI64>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// The registry and its series; one per application.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Family<RouteOnly, Histogram>,
    orders: Family<StateLabel, IntGauge>,
    jobs: Family<JobLabels, IntGauge>,
    job_age: Family<JobLabels, FloatGauge>,
    outbox: Family<ChannelLabels, IntGauge>,
    uploads: Family<StatusLabel, IntGauge>,
    upload_attempts: Family<StatusLabel, IntGauge>,
    upload_errors: Family<StatusLabel, IntGauge>,
    upload_latency: FloatGauge,
    breaches: Family<DeadlineLabel, IntGauge>,
    gate_domains: IntGauge,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    write_transactions: IntGauge,
    write_commits: IntGauge,
    scrape_errors: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("beian");
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            orders: Family::default(),
            jobs: Family::default(),
            job_age: Family::default(),
            outbox: Family::default(),
            uploads: Family::default(),
            upload_attempts: Family::default(),
            upload_errors: Family::default(),
            upload_latency: FloatGauge::default(),
            breaches: Family::default(),
            gate_domains: IntGauge::default(),
            pool_size: IntGauge::default(),
            pool_idle: IntGauge::default(),
            write_transactions: IntGauge::default(),
            write_commits: IntGauge::default(),
            scrape_errors: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status class",
            m.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template",
            m.latency.clone(),
        );
        registry.register("orders", "Orders by state", m.orders.clone());
        registry.register("jobs", "Jobs by kind and status", m.jobs.clone());
        registry.register(
            "job_oldest_age_seconds",
            "Age of the oldest job by kind and status",
            m.job_age.clone(),
        );
        registry.register(
            "outbox",
            "Outbox messages by channel and status",
            m.outbox.clone(),
        );
        registry.register(
            "bureau_uploads",
            "Uploads to the bureau by status",
            m.uploads.clone(),
        );
        registry.register(
            "bureau_upload_attempts",
            "Attempts made to send the uploads, by status",
            m.upload_attempts.clone(),
        );
        registry.register(
            "bureau_upload_errors",
            "Uploads whose last attempt failed, by status",
            m.upload_errors.clone(),
        );
        registry.register(
            "bureau_upload_mean_latency_seconds",
            "Mean time from an upload's creation to its delivery",
            m.upload_latency.clone(),
        );
        registry.register(
            "deadline_breaches",
            "Open orders past a deadline, by deadline",
            m.breaches.clone(),
        );
        registry.register(
            "gate_domains",
            "Registrable domains in the gate's index",
            m.gate_domains.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            m.pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Database connections idle in the pool",
            m.pool_idle.clone(),
        );
        registry.register(
            "db_write_transactions",
            "SQLite write transactions committed since start",
            m.write_transactions.clone(),
        );
        registry.register(
            "db_write_commits",
            "SQLite COMMITs (disk waits) since start: fewer than the transactions when \
             writers queued together shared one (group commit)",
            m.write_commits.clone(),
        );
        registry.register(
            "metrics_scrape_errors",
            "Scrapes whose store reads failed",
            m.scrape_errors.clone(),
        );
        Metrics { registry, ..m }
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        let class = format!("{}xx", status.as_u16() / 100);
        self.requests
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: class,
            })
            .inc();
        self.latency
            .get_or_create(&RouteOnly {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Reads the store-derived series afresh.
    async fn refresh(&self, state: &AppState) -> Result<(), beian_store::StoreError> {
        let store = &state.store;
        let now_ms = store.now().timestamp_millis();
        self.orders.clear();
        for (s, n) in store.orders_per_state().await? {
            self.orders.get_or_create(&StateLabel { state: s }).set(n);
        }
        self.jobs.clear();
        self.job_age.clear();
        for j in store.jobs_by_kind().await? {
            let labels = JobLabels {
                kind: j.kind,
                status: j.status,
            };
            self.jobs.get_or_create(&labels).set(j.count);
            let age = (now_ms - j.oldest_created_at).max(0) as f64 / 1000.0;
            self.job_age.get_or_create(&labels).set(age);
        }
        self.outbox.clear();
        for (channel, status, n) in store.outbox_counts().await? {
            self.outbox
                .get_or_create(&ChannelLabels { channel, status })
                .set(n);
        }
        self.uploads.clear();
        self.upload_attempts.clear();
        self.upload_errors.clear();
        let mut sent = (0i64, 0i64);
        for u in store.upload_counts().await? {
            let label = StatusLabel {
                status: u.status.clone(),
            };
            self.uploads.get_or_create(&label).set(u.count);
            self.upload_attempts.get_or_create(&label).set(u.attempts);
            self.upload_errors.get_or_create(&label).set(u.with_error);
            if u.status == "sent" {
                sent = (u.count, u.latency_ms_sum);
            }
        }
        self.upload_latency.set(if sent.0 > 0 {
            sent.1 as f64 / sent.0 as f64 / 1000.0
        } else {
            0.0
        });
        self.breaches.clear();
        let closed: Vec<&str> = beian_core::order::OrderState::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .map(beian_core::order::OrderState::as_str)
            .collect();
        let rows = store.orders_with_deadlines(&closed).await?;
        for b in beian_platform::dashboard::breaches(&rows, now_ms) {
            self.breaches
                .get_or_create(&DeadlineLabel {
                    deadline: b.deadline,
                })
                .inc();
        }
        self.gate_domains
            .set(i64::try_from(state.gate.len()).unwrap_or(i64::MAX));
        let pool = store.pool();
        self.pool_size.set(i64::from(pool.size()));
        self.pool_idle
            .set(i64::try_from(pool.num_idle()).unwrap_or(i64::MAX));
        if let Some(w) = store.write_stats() {
            self.write_transactions
                .set(i64::try_from(w.transactions).unwrap_or(i64::MAX));
            self.write_commits
                .set(i64::try_from(w.commits).unwrap_or(i64::MAX));
        }
        Ok(())
    }
}

/// Counts and times every request by its route template (unmatched paths as `other`).
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    metrics.observe(
        &method,
        &route,
        res.status(),
        started.elapsed().as_secs_f64(),
    );
    res
}

async fn scrape(State(state): State<AppState>) -> Response {
    let metrics = state.metrics.clone();
    if let Err(e) = metrics.refresh(&state).await {
        tracing::warn!(error = %e, "metrics: store read failed");
        metrics.scrape_errors.inc();
    }
    let mut text = String::new();
    if encode(&mut text, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The metrics listener's router: `/metrics` only.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}
