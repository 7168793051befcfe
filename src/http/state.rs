//! What every handler sees: the store, the service, the scheduler's heartbeat, metrics and
//! the server's settings.

use std::sync::Arc;

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

impl AppState {
    /// Whether this process runs feeds on a schedule (`iarss daemon`); `iarss serve` runs
    /// none, and says so where a page would otherwise promise a fetch.
    pub fn schedules_runs(&self) -> bool {
        self.stale_after_ms != i64::MAX
    }
}
