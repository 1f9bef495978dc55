//! The edge gate over HTTP (先备案后接入): `GET /gate?host=HOST` answers 200 when the host's
//! registrable domain has an active access record here, else 403 with a short 未备案 page
//! (zh-CN and en, naming nothing internal). The host may also come as `?domain=` (Caddy's
//! on-demand TLS `ask`), or in `X-Original-Host` / `X-Forwarded-Host` (nginx
//! `auth_request`); the request's own `Host` is the gate's, never asked about.
//!
//! The answer comes from the in-memory [`GateIndex`] only: no database read per request.
//! [`router`] is mounted by `beian serve`; [`serve`] is `beian gate serve`, a process for edge
//! nodes with nothing but `/gate` and `/healthz`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::borrow::Cow;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use beian_platform::gate::{GateError, GateIndex, follow};
use beian_store::gate::GateFeed;
use tokio::net::TcpListener;

/// A gate that has not read the change log for this long reports itself unhealthy.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

/// The 403 page: what a visitor of an unfiled host sees.
pub const UNFILED_PAGE: &str = "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>网站未备案 · Site not filed</title>\
<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}\
h1{font-size:1.4em}p{line-height:1.6}hr{border:0;border-top:1px solid #ddd;margin:2em 0}</style>\
</head><body>\
<h1>网站未备案，暂时无法访问</h1>\
<p>该域名尚未在本服务商完成 ICP 备案接入（未备案）。根据“先备案后接入”的规定，未备案的网站不能提供访问。</p>\
<p>如果您是网站负责人，请先完成 ICP 备案并在本服务商接入后再访问。</p>\
<hr><div lang=\"en\"><h1>This site is not filed</h1>\
<p>This domain has no ICP filing accessed through this hosting provider. \
Chinese regulations allow a website to be served only after it is filed.</p>\
<p>If this site is yours, complete its ICP filing and access with this provider first.</p></div>\
</body></html>\n";

fn header_host<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let value = headers.get(name)?.to_str().ok()?;
    // A proxy chain may list several; the first is the client's.
    value.split(',').next().map(str::trim)
}

/// The host a `/gate` request asks about: `?host=`, else `?domain=` (Caddy's `ask`), else
/// `X-Original-Host`, else `X-Forwarded-Host`; empty when none. A query naming `host` or
/// `domain` twice is malformed and asks about no host. Borrowed from the request unless the
/// value is percent-encoded.
fn asked_host<'r>(query: Option<&'r str>, headers: &'r HeaderMap) -> Cow<'r, str> {
    let (mut host, mut domain) = (None, None);
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let slot = match key.as_ref() {
            "host" => &mut host,
            "domain" => &mut domain,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Cow::Borrowed("");
        }
    }
    host.or(domain)
        .or_else(|| header_host(headers, "x-original-host").map(Cow::Borrowed))
        .or_else(|| header_host(headers, "x-forwarded-host").map(Cow::Borrowed))
        .unwrap_or(Cow::Borrowed(""))
}

/// `GET /gate`.
pub async fn gate(State(index): State<Arc<GateIndex>>, request: Request) -> Response {
    let served = index.serves(&asked_host(request.uri().query(), request.headers()));
    let mut response = if served {
        Response::new(Body::empty())
    } else {
        let mut r = Response::new(Body::from(UNFILED_PAGE));
        *r.status_mut() = StatusCode::FORBIDDEN;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /healthz` of a gate process: 200 while it follows the change log, 503 when it has
/// not managed to for [`STALE_AFTER`] (an edge should then stop trusting it).
pub async fn healthz(State(index): State<Arc<GateIndex>>) -> Response {
    match index.since_followed() {
        Some(age) if age <= STALE_AFTER => {
            (StatusCode::OK, format!("ok {} domains\n", index.len())).into_response()
        }
        _ => (StatusCode::SERVICE_UNAVAILABLE, "stale\n").into_response(),
    }
}

/// `/gate`, for the main application.
pub fn router(index: Arc<GateIndex>) -> Router {
    Router::new().route("/gate", get(gate)).with_state(index)
}

/// `/gate` and `/healthz`, nothing else: the gate process's whole surface.
pub fn gate_only_router(index: Arc<GateIndex>) -> Router {
    Router::new()
        .route("/gate", get(gate))
        .route("/healthz", get(healthz))
        .with_state(index)
}

/// A loaded gate process, bound, not yet serving (`beian gate serve`).
pub struct GateServer {
    listener: TcpListener,
    index: Arc<GateIndex>,
    feed: GateFeed,
}

/// Why a gate process could not start.
#[derive(Debug, thiserror::Error)]
pub enum GateServeError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] beian_store::StoreError),
    #[error(transparent)]
    Load(#[from] GateError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl GateServer {
    /// Connects with `database_url` (read rights suffice), loads the index and binds.
    pub async fn build(
        database_url: &str,
        listen: SocketAddr,
    ) -> Result<GateServer, GateServeError> {
        let feed = GateFeed::connect(database_url).await?;
        let index = Arc::new(GateIndex::load(&feed).await?);
        let listener =
            TcpListener::bind(listen)
                .await
                .map_err(|source| GateServeError::Listen {
                    addr: listen,
                    source,
                })?;
        Ok(GateServer {
            listener,
            index,
            feed,
        })
    }

    pub fn addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn index(&self) -> &Arc<GateIndex> {
        &self.index
    }

    /// Follows the change log and serves until the process is stopped.
    pub async fn run(self) -> std::io::Result<()> {
        let follower = tokio::spawn(follow(self.index.clone(), self.feed));
        let served = axum::serve(self.listener, gate_only_router(self.index)).await;
        follower.abort();
        served
    }
}
