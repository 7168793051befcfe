//! `/pages…` and `/runs/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::formats::{self, Shaped, check_some};
use super::{Authed, IdListQuery, ListQuery, PagePath};
use crate::http::AppState;
use crate::service::pages::{PagePatch, PageRequest};
use crate::service::views::{FetchNowAnswer, Listing, PageView, RunDetail, RunView};

/// `DELETE /pages/{id}` options.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Also delete the page's articles, revisions and warnings.
    #[serde(default)]
    with_articles: bool,
}

impl Shaped for DeleteQuery {}

impl Shaped for PageRequest {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::PAGE_ID.check("id", &self.id)?;
        formats::DOMAIN.check("domain", &self.domain)?;
        check_some(&formats::PAGE_NAME, "name", self.name.as_deref())?;
        check_some(&formats::FEED_URL, "feed_url", self.feed_url.as_deref())?;
        check_some(
            &formats::FEED_URL,
            "dev_feed_url",
            self.dev_feed_url.as_deref(),
        )
    }
}

impl Shaped for PagePatch {
    fn check_shape(&self) -> Result<(), ApiError> {
        check_some(&formats::PAGE_NAME, "name", self.name.as_deref())?;
        check_some(
            &formats::FEED_URL,
            "feed_url",
            self.feed_url.clone().flatten().as_deref(),
        )?;
        check_some(
            &formats::FEED_URL,
            "dev_feed_url",
            self.dev_feed_url.clone().flatten().as_deref(),
        )
    }
}

/// A run's id in a path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RunPath {
    /// The run's id.
    #[param(minimum = 1)]
    run_id: i64,
}

/// The pages the caller may see, by id, with both feeds' state and article counts.
#[utoipa::path(get, path = "/pages", tag = "pages", operation_id = "list_pages",
    params(ListQuery),
    responses((status = 200, description = "A screen of pages", body = Listing<PageView>)))]
pub async fn list(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Listing<PageView>>, ApiError> {
    let limit = q.limit()?;
    let pages = state
        .service
        .pages(&caller, q.cursor.as_deref(), limit, false)
        .await?;
    Ok(Json(pages))
}

/// Creates a page (operators).
#[utoipa::path(post, path = "/pages", tag = "pages", operation_id = "create_page",
    request_body = PageRequest,
    responses((status = 201, description = "The page, created; `Location` is its address", body = PageView,
                headers(("Location" = String, description = "The page's address"))),
              (status = 409, description = "`conflict`: the domain or the id is taken", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(request): ApiJson<PageRequest>,
) -> Result<Response, ApiError> {
    let page = state.service.create_page(&caller, request).await?;
    let location = format!("/api/v1/pages/{}", page.page_id);
    let mut response = (StatusCode::CREATED, Json(page)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// One page.
#[utoipa::path(get, path = "/pages/{id}", tag = "pages", operation_id = "get_page",
    params(PagePath),
    responses((status = 200, description = "The page", body = PageView),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
) -> Result<Json<PageView>, ApiError> {
    Ok(Json(state.service.page(&caller, &path.id).await?))
}

/// Changes a page's name, feed URLs or schedule (operators). A page's domain never changes.
#[utoipa::path(patch, path = "/pages/{id}", tag = "pages", operation_id = "update_page",
    params(PagePath), request_body = PagePatch,
    responses((status = 200, description = "The page as it is now", body = PageView),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
    ApiJson(patch): ApiJson<PagePatch>,
) -> Result<Json<PageView>, ApiError> {
    Ok(Json(
        state.service.change_page(&caller, &path.id, patch).await?,
    ))
}

/// Removes a page (operators); refused with 409 while it has articles unless
/// `with_articles=true`.
#[utoipa::path(delete, path = "/pages/{id}", tag = "pages", operation_id = "delete_page",
    params(PagePath, DeleteQuery),
    responses((status = 204, description = "Removed"),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody),
              (status = 409, description = "`conflict`: the page has articles", body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .service
        .remove_page(&caller, &path.id, q.with_articles)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes both feeds due now; at most once per 10 s per page.
#[utoipa::path(post, path = "/pages/{id}/fetch-now", tag = "pages", operation_id = "fetch_page_now",
    params(PagePath),
    responses((status = 202, description = "Both feeds are due now", body = FetchNowAnswer),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody),
              (status = 409, description = "`conflict`: the page is disabled, so no feed of it is fetched", body = ErrorBody),
              (status = 429, description = "`too_many_requests`: asked less than 10 s ago; see Retry-After", body = ErrorBody,
                headers(("Retry-After" = i64, description = "Seconds to wait")))))]
pub async fn fetch_now(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
) -> Result<(StatusCode, Json<FetchNowAnswer>), ApiError> {
    let answer = state.service.fetch_now(&caller, &path.id).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// A page's runs, newest first.
#[utoipa::path(get, path = "/pages/{id}/runs", tag = "runs", operation_id = "list_page_runs",
    params(PagePath, IdListQuery),
    responses((status = 200, description = "A screen of runs", body = Listing<RunView>),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody)))]
pub async fn runs(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
    ApiQuery(q): ApiQuery<IdListQuery>,
) -> Result<Json<Listing<RunView>>, ApiError> {
    let limit = q.limit()?;
    let runs = state
        .service
        .page_runs(&caller, &path.id, q.cursor.as_deref(), limit)
        .await?;
    Ok(Json(runs))
}

/// One run with its diagnostics.
#[utoipa::path(get, path = "/runs/{run_id}", tag = "runs", operation_id = "get_run",
    params(RunPath),
    responses((status = 200, description = "The run and what it reported", body = RunDetail),
              (status = 404, description = "`not_found`: no such run (or not the caller's)", body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<RunPath>,
) -> Result<Json<RunDetail>, ApiError> {
    Ok(Json(state.service.run(&caller, path.run_id).await?))
}
