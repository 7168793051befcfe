//! `/pages…` and `/runs/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{Authed, ListQuery, listing};
use crate::http::AppState;
use crate::service::pages::{PagePatch, PageRequest};

/// `DELETE /pages/{id}` options.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Also delete the page's articles, revisions and warnings.
    #[serde(default)]
    with_articles: bool,
}

/// The pages the caller may see, with both feeds' state and article counts.
#[utoipa::path(get, path = "/pages", tag = "pages", params(ListQuery),
    responses((status = 200, description = "`{items, next_cursor}` of pages", body = Value),
              (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit()?;
    let pages = state
        .service
        .pages(&caller, q.cursor.as_deref(), limit, false)
        .await?;
    Ok(listing(pages))
}

/// Creates a page (operators).
#[utoipa::path(post, path = "/pages", tag = "pages", request_body = PageRequest,
    responses((status = 201, description = "The page", body = Value),
              (status = 403, body = ErrorBody), (status = 409, description = "Domain or id taken", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(request): ApiJson<PageRequest>,
) -> Result<Response, ApiError> {
    let page = state.service.create_page(&caller, request).await?;
    Ok((StatusCode::CREATED, Json(page)).into_response())
}

/// One page.
#[utoipa::path(get, path = "/pages/{id}", tag = "pages", params(("id" = String, Path)),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.page(&caller, &id).await?))
}

/// Changes a page's name, feed URLs or schedule (operators).
#[utoipa::path(patch, path = "/pages/{id}", tag = "pages", params(("id" = String, Path)),
    request_body = PagePatch,
    responses((status = 200, body = Value), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<PagePatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.change_page(&caller, &id, patch).await?))
}

/// Removes a page (operators); refused with 409 while it has articles unless
/// `with_articles=true`.
#[utoipa::path(delete, path = "/pages/{id}", tag = "pages", params(("id" = String, Path), DeleteQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .service
        .remove_page(&caller, &id, q.with_articles)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes both feeds due now; at most once per 10 s per page.
#[utoipa::path(post, path = "/pages/{id}/fetch-now", tag = "pages", params(("id" = String, Path)),
    responses((status = 202), (status = 404, body = ErrorBody),
              (status = 429, description = "Asked less than 10 s ago; see Retry-After", body = ErrorBody)))]
pub async fn fetch_now(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    state.service.fetch_now(&caller, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"page_id": id, "fetch": "due now"})),
    )
        .into_response())
}

/// A page's runs, newest first.
#[utoipa::path(get, path = "/pages/{id}/runs", tag = "runs", params(("id" = String, Path), ListQuery),
    responses((status = 200, description = "`{items, next_cursor}` of runs", body = Value),
              (status = 404, body = ErrorBody)))]
pub async fn runs(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit()?;
    let runs = state
        .service
        .page_runs(&caller, &id, q.cursor.as_deref(), limit)
        .await?;
    Ok(listing(runs))
}

/// One run with its diagnostics.
#[utoipa::path(get, path = "/runs/{run_id}", tag = "runs", params(("run_id" = i64, Path)),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(run_id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.run(&caller, run_id).await?))
}
