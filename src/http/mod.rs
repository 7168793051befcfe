//! The HTTP side of `iarss daemon` and `iarss serve`, one wing over the service layer:
//! at its root the state every handler sees ([`state`]), health and metrics ([`health`]),
//! what both halves read of a request ([`request`]) and the listener with the server's
//! own limits ([`listener`]); below it the API ([`api`], `/api/v1`) and the web pages
//! ([`web`]), which reach the store and the accounts only through the service.

pub mod api;
pub mod health;
pub mod listener;
pub mod request;
pub mod state;
pub mod web;

use axum::Router;
use axum::routing::get;

pub use state::AppState;

/// Every route.
pub fn router(state: AppState) -> Router {
    // A page that waits for a store that does not answer says so within seconds rather
    // than hanging for the pool's acquire timeout.
    let web_pages = web::router(&state)
        .layer(axum::middleware::from_fn(health::answer_in_time))
        .merge(web::static_router());
    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics));
    if state.web_enabled {
        let (api, _) = api::router(&state);
        app = app.merge(web_pages).merge(api);
    }
    app.fallback(web::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::signed_in_errors,
        ))
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request::resolve_client,
        ))
        .with_state(state)
}
