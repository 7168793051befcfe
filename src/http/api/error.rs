//! The API's one error shape: `{"error": {"code": "not_found", "message": "…"}}` with a
//! fitting status, `WWW-Authenticate` on 401 and `Retry-After` on 429 and 503. Every
//! answer that is not a success has it, the framework's own refusals included.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::Diagnostic;
use crate::service::ServiceError;

/// What went wrong, as a stable machine-readable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: a malformed body, query or path value, a bad cursor or limit.
    BadRequest,
    /// 401: no valid token or session.
    Unauthorized,
    /// 403: an operator's action by a publisher; a session request from another origin or
    /// without its form token.
    Forbidden,
    /// 404: no such object, or one of a page the caller is not a member of.
    NotFound,
    /// 404: no such route.
    NoRoute,
    /// 405: the route does not take the method.
    MethodNotAllowed,
    /// 409: a domain or page id already taken; a page with articles to remove; an
    /// `Idempotency-Key` reused with another request.
    Conflict,
    /// 413: the body is over the cap.
    TooLarge,
    /// 415: a body of a kind the route does not take.
    UnsupportedMediaType,
    /// 422: the article has errors (nothing stored); the diagnostics say which.
    ArticleHasErrors,
    /// 429: asked again too soon; `Retry-After` says when.
    TooManyRequests,
    /// 500: a defect of iarss on this input; the log says where.
    InternalError,
    /// 503: other writes of the page held its lock too long; nothing was written.
    Busy,
    /// 503: the database failed.
    StoreUnavailable,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// A stable machine-readable code.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// Diagnostics of an article with errors (422).
    pub diagnostics: Option<Vec<Diagnostic>>,
    /// Seconds to wait (429, 503 busy).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with no extra fields.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            diagnostics: None,
            retry_after: None,
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    /// 401: no credentials, or credentials that are not (or no longer) valid.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "a valid API token is required: Authorization: Bearer TOKEN",
        )
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 413.
    pub fn too_large(cap: u64) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            format!("the request body is larger than {cap} bytes (fetch.max_body_bytes)"),
        )
    }

    /// 415: the body is not of a kind the route takes (`expected` says which).
    pub fn unsupported_media_type(expected: &str) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!("the body must be {expected}"),
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::NotFound(m) => ApiError::not_found(m),
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::BadRequest(m) => ApiError::bad_request(m),
            ServiceError::Conflict(m) => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, m)
            }
            ServiceError::Unprocessable {
                message,
                diagnostics,
            } => ApiError {
                diagnostics: Some(diagnostics),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::ArticleHasErrors,
                    message,
                )
            },
            ServiceError::TooSoon {
                message,
                retry_after,
            } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::TooManyRequests,
                    message,
                )
            },
            ServiceError::Busy {
                message,
                retry_after,
            } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy, message)
            },
            ServiceError::Internal(m) => {
                tracing::error!(error = %m, "internal error answering an API request");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::InternalError,
                    "iarss failed on this input; the log says where",
                )
            }
            ServiceError::Store(e) => {
                // The store's own words may name tables or hosts: logged, not answered.
                tracing::error!(error = %e, "store error answering an API request");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::StoreUnavailable,
                    "the store failed; see /readyz",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                diagnostics: self.diagnostics,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// Every answer that is not a success.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, as a stable code.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// With `article_has_errors`: the article's diagnostics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Vec<Diagnostic>>,
}
