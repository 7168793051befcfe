//! The HTTP side of `iarss daemon` and `iarss serve`: health (`/healthz`, `/readyz`),
//! Prometheus `/metrics`, the API ([`api`], `/api/v1`) and the web pages ([`crate::web`]).

pub mod api;
pub mod connections;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::schedule::Heartbeat;
use crate::service::Service;
use crate::store::Store;

/// What every handler sees.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// Renders the metrics registry.
    pub metrics: Option<PrometheusHandle>,
    /// The scheduler loop's liveness.
    pub heartbeat: Arc<Heartbeat>,
    /// The loop is stale after this long without a beat (`i64::MAX` without a scheduler,
    /// as in `iarss serve`).
    pub stale_after_ms: i64,
    /// What the API does.
    pub service: Service,
    /// Serve the API (and the web pages): `web.enabled`. Health and metrics are served
    /// either way.
    pub web_enabled: bool,
    /// The proxies whose `X-Forwarded-For` names the client (`web.trusted_proxies`).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}

/// The name of the first field of a form or query string whose name or value holds a
/// control character XML forbids (decision 28).
pub fn forbidden_field(encoded: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, v)| {
            crate::model::first_forbidden_control(k).is_some()
                || crate::model::first_forbidden_control(v).is_some()
        })
        .map(|(k, _)| k.chars().filter(|c| !c.is_control()).collect())
}

/// The client's address, as [`resolve_client`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub std::net::IpAddr);

/// The client of a request from `peer`: the peer itself, unless it is a trusted proxy;
/// then the right-most address of `X-Forwarded-For` that is not a trusted proxy (each
/// proxy appends the address it got the request from, so what a client wrote itself is
/// further left and never believed).
pub fn client_ip(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // Unreadable: what a proxy we trust wrote stops here.
            Err(_) => break,
        }
    }
    client
}

/// Finds each request's client address ([`client_ip`]) once, for the handlers, the audit
/// log and the login limits.
pub async fn resolve_client(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(axum::extract::ConnectInfo(peer)) = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .copied()
    {
        let ip = client_ip(peer.ip(), request.headers(), &state.trusted_proxies);
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

/// Every route.
pub fn router(state: AppState) -> Router {
    // A page that waits for a store that does not answer says so within seconds rather
    // than hanging for the pool's acquire timeout.
    let web_pages = crate::web::router(&state)
        .layer(axum::middleware::from_fn(answer_in_time))
        .merge(crate::web::static_router());
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    if state.web_enabled {
        let (api, _) = api::router(&state);
        app = app.merge(web_pages).merge(api);
    }
    app.fallback(crate::web::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn(crate::web::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            resolve_client,
        ))
        .with_state(state)
}

/// How long a web page may wait for the store.
const PAGE_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

async fn answer_in_time(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(PAGE_WITHIN, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the store did not answer within {} s; see /readyz\n",
                PAGE_WITHIN.as_secs()
            ),
        )
            .into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness answers within this long, whatever the store does.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(900);

/// Commits failed in a row that make the daemon unready.
const UNREADY_AFTER_FAILED_COMMITS: u32 = 3;

/// Why the daemon is not ready, if it is not (docs/ingestion.md, Readiness: the store
/// answers within 1 s and takes writes, the last commits did not all fail, the scheduler
/// loop is alive).
pub async fn unready_reason(state: &AppState) -> Option<String> {
    let failed = state.store.health().failures_in_a_row();
    if failed >= UNREADY_AFTER_FAILED_COMMITS {
        return Some(format!(
            "the last {failed} commits failed: {}",
            state.store.health().last_error().unwrap_or_default()
        ));
    }
    match tokio::time::timeout(READY_WITHIN, state.store.ping_writable()).await {
        Err(_) => {
            return Some(format!(
                "the store did not answer within {} ms",
                READY_WITHIN.as_millis()
            ));
        }
        Ok(Err(e)) => return Some(format!("the store does not take writes: {e}")),
        Ok(Ok(())) => {}
    }
    let age = state.heartbeat.age_ms();
    (age > state.stale_after_ms).then(|| format!("scheduler loop silent for {age} ms"))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match unready_reason(&state).await {
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response(),
        None => (StatusCode::OK, "ready\n").into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled\n").into_response(),
    }
}
