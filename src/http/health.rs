//! Health (`/healthz`), readiness (`/readyz`) and Prometheus `/metrics`, answered whatever
//! `web.enabled` says.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::AppState;

/// How long a web page may wait for the store.
const PAGE_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Answers 503 for a web page that waited longer than [`PAGE_WITHIN`] for the store.
pub(super) async fn answer_in_time(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
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

/// `/healthz`: 200 while the process runs.
pub(super) async fn healthz() -> &'static str {
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

/// `/readyz`: 200 when ready, else 503 with the reason.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    match unready_reason(&state).await {
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response(),
        None => (StatusCode::OK, "ready\n").into_response(),
    }
}

/// `/metrics`: the Prometheus text.
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled\n").into_response(),
    }
}
