//! The HTTP API, `/api/v1` (docs/api.md): JSON in and out, bearer tokens or a web
//! session, one error shape, cursor pagination, bodies under `fetch.max_body_bytes`.
//! Every route is declared once with its OpenAPI description ([`utoipa`]), so the
//! document served at `/api/v1/openapi.json` and the router cannot disagree.

pub mod articles;
pub mod auth;
pub mod checks;
pub mod error;
pub mod extract;
pub mod pages;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::Authed;
use error::ApiError;

use crate::http::AppState;
use crate::service::{Listing, ServiceError};

/// `?limit=&cursor=` of every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items per answer: default 50, at most 500.
    pub limit: Option<i64>,
    /// Where to continue: the `next_cursor` of the previous answer.
    pub cursor: Option<String>,
}

impl ListQuery {
    /// The limit, checked.
    pub fn limit(&self) -> Result<i64, ServiceError> {
        crate::service::list_limit(self.limit)
    }
}

/// A list answer: `{"items": […], "next_cursor": "…" | null}`.
pub fn listing<T: serde::Serialize>(list: Listing<T>) -> Response {
    Json(json!({"items": list.items, "next_cursor": list.next_cursor})).into_response()
}

/// The API's routes, under `/api/v1`, with their OpenAPI description.
pub fn router(state: &AppState) -> (axum::Router<AppState>, OpenApi) {
    let api = OpenApiRouter::new()
        .routes(routes!(pages::list, pages::create))
        .routes(routes!(pages::show, pages::change, pages::remove))
        .routes(routes!(pages::fetch_now))
        .routes(routes!(pages::runs))
        .routes(routes!(pages::run))
        .routes(routes!(articles::list, articles::import))
        .routes(routes!(articles::show, articles::edit, articles::delete))
        .routes(routes!(articles::revision))
        .routes(routes!(articles::diff))
        .routes(routes!(articles::restore))
        .routes(routes!(articles::publish))
        .routes(routes!(articles::ignored))
        .routes(routes!(articles::apply_ignored))
        .routes(routes!(articles::import_status))
        .routes(routes!(articles::dry_run))
        .routes(routes!(checks::lint))
        .routes(routes!(checks::rules))
        .routes(routes!(checks::rule))
        .routes(routes!(checks::audit));
    let (router, mut doc) = OpenApiRouter::new().nest("/api/v1", api).split_for_parts();
    doc.info.title = "iarss".into();
    doc.info.description = Some(
        "Pages, runs, articles, imports and dry runs of an iarss service. Authenticate with \
         `Authorization: Bearer TOKEN` (`iarss tokens create`)."
            .into(),
    );
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    let served = doc.clone();
    let router = router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let served = served.clone();
                async move { Json(served) }
            }),
        )
        .route("/api/v1", axum::routing::any(no_route))
        .route("/api/v1/{*rest}", axum::routing::any(no_route))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::buffer_body,
        ));
    (router, doc)
}

/// Any `/api/v1` address no route serves.
async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such API route; GET /api/v1/openapi.json lists them",
    )
}

/// A method the route does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /api/v1/openapi.json",
    )
}
