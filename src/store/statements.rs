//! Counts the statements the store sends, for the daemon's `iarss_store_statements_total`.
//!
//! sqlx reports every statement it finishes as a `sqlx::query` event; this layer listens to
//! those events alone (with a filter of its own, whatever `IARSS_LOG` says) and counts them.

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;

/// The tracing target sqlx reports finished statements on.
const TARGET: &str = "sqlx::query";

/// A tracing layer that counts the store's statements into a Prometheus counter.
pub struct StatementCounter;

impl StatementCounter {
    /// The layer with its filter: sqlx's statement events at every level.
    pub fn layer<S>() -> impl Layer<S>
    where
        S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        StatementCounter.with_filter(Targets::new().with_target(TARGET, Level::TRACE))
    }
}

impl<S: Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() == TARGET {
            metrics::counter!("iarss_store_statements_total").increment(1);
        }
    }
}
