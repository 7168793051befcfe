//! The daemon's HTTP side: health (`/healthz`, `/readyz`), Prometheus `/metrics`, and the
//! read-only operator pages (pages with each feed's last outcome, a page's runs with their
//! feed-level errors, an article's diagnostics).

mod pages;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::schedule::Heartbeat;
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
    /// The loop is stale after this long without a beat.
    pub stale_after_ms: i64,
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/", get(pages::index))
        .route("/pages/{id}", get(pages::page))
        .route("/articles", get(pages::article))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(e) = state.store.ping().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unreachable: {e}\n"),
        )
            .into_response();
    }
    let age = state.heartbeat.age_ms();
    if age > state.stale_after_ms {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("scheduler loop silent for {} ms\n", age),
        )
            .into_response();
    }
    (StatusCode::OK, "ready\n").into_response()
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
