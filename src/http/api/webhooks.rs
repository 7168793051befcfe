//! `/pages/{id}/webhooks…`: a page's webhooks and their deliveries, for its members.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use super::formats::{self, Shaped, check_some};
use super::{Authed, PagePath};
use crate::http::AppState;
use crate::service::notifications::{CreatedWebhook, DeliveryView, WebhookRequest, WebhookView};

impl Shaped for WebhookRequest {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::REMOTE_FEED_URL.check("url", &self.url)?;
        check_some(&formats::WEBHOOK_SECRET, "secret", self.secret.as_deref())
    }
}

/// A page's webhook in a path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookPath {
    /// The page's id.
    #[param(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    id: String,
    /// The webhook's id.
    #[param(minimum = 1)]
    webhook_id: i64,
}

/// A page's webhooks.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    /// The webhooks, oldest first (secrets are never listed).
    pub items: Vec<WebhookView>,
}

/// A webhook's newest deliveries.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    /// The webhook.
    pub webhook: WebhookView,
    /// Its newest deliveries (at most 100), newest first, each with its latest answer.
    pub items: Vec<DeliveryView>,
}

/// The page's webhooks.
#[utoipa::path(get, path = "/pages/{id}/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    params(PagePath),
    responses((status = 200, description = "The page's webhooks", body = WebhookList),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
) -> Result<Json<WebhookList>, ApiError> {
    let items = state.service.webhooks(&caller, &path.id).await?;
    Ok(Json(WebhookList { items }))
}

/// Adds a webhook: each event of the page is POSTed to it as JSON, signed with its secret
/// (`X-Iarss-Signature: sha256=<hex HMAC-SHA256(secret, body)>`). The answer is the only
/// one that shows the secret.
#[utoipa::path(post, path = "/pages/{id}/webhooks", tag = "webhooks", operation_id = "create_webhook",
    params(PagePath), request_body = WebhookRequest,
    responses((status = 201, description = "The webhook, added, with its secret; `Location` is its deliveries' address", body = CreatedWebhook,
                headers(("Location" = String, description = "Its deliveries' address"))),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody),
              (status = 409, description = "`conflict`: the page has as many webhooks as it may", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
    ApiJson(request): ApiJson<WebhookRequest>,
) -> Result<Response, ApiError> {
    let created = state
        .service
        .add_webhook(&caller, &path.id, request)
        .await?;
    let location = format!(
        "/api/v1/pages/{}/webhooks/{}/deliveries",
        path.id, created.webhook.id
    );
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Removes a webhook and its deliveries.
#[utoipa::path(delete, path = "/pages/{id}/webhooks/{webhook_id}", tag = "webhooks", operation_id = "delete_webhook",
    params(WebhookPath),
    responses((status = 204, description = "Removed"),
              (status = 404, description = "`not_found`: no such page or webhook (or not the caller's)", body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<WebhookPath>,
) -> Result<StatusCode, ApiError> {
    state
        .service
        .remove_webhook(&caller, &path.id, path.webhook_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's newest deliveries (at most 100), each with its latest answer.
#[utoipa::path(get, path = "/pages/{id}/webhooks/{webhook_id}/deliveries", tag = "webhooks", operation_id = "list_webhook_deliveries",
    params(WebhookPath),
    responses((status = 200, description = "The webhook and its deliveries", body = DeliveryList),
              (status = 404, description = "`not_found`: no such page or webhook (or not the caller's)", body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<WebhookPath>,
) -> Result<Json<DeliveryList>, ApiError> {
    let (webhook, items) = state
        .service
        .webhook_deliveries(&caller, &path.id, path.webhook_id)
        .await?;
    Ok(Json(DeliveryList { webhook, items }))
}
