//! The web pages: server-rendered HTML over the same [`Service`](crate::service::Service)
//! as the API, so every page checks the caller's scope and every action writes its audit
//! row. A signed-in browser holds a session cookie; every form that changes anything
//! carries the session's form token and passes the same-origin check. Every answer carries
//! a restrictive Content-Security-Policy; article previews are served on their own, in a
//! sandbox, with no script and no same-origin.

pub mod account;
pub mod admin;
pub mod articles;
pub mod check;
pub mod confirm;
pub mod dashboard;
pub mod feed;
pub mod login;
pub mod markdown;
pub mod pages;
pub mod views;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::access::Caller;
use crate::http::AppState;
use crate::http::request::client_address;
use crate::http::request::{same_origin, session_cookie};
use crate::service::ServiceError;

use views::{Chrome, ErrorPage};

/// The policy of every HTML answer but the article preview.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; frame-src 'self'";

/// The policy of an article preview: a sandbox with no script and no same-origin; the
/// article's own images and inline styles only. It may be framed by iarss's own pages.
pub const PREVIEW_CSP: &str = "sandbox; default-src 'none'; img-src * data:; \
    style-src 'unsafe-inline'; frame-ancestors 'self'";

const STYLESHEET: &str = include_str!("../../../static/iarss.css");
const EDITOR_SCRIPT: &str = include_str!("../../../static/editor.js");
const FAVICON: &[u8] = include_bytes!("../../../static/favicon.ico");

/// The web pages' routes.
pub fn router(state: &AppState) -> Router<AppState> {
    let cap = usize::try_from(state.service.max_body_bytes()).unwrap_or(usize::MAX);
    Router::new()
        .route("/", get(dashboard::index))
        .route(
            "/login",
            get(login::form)
                .post(login::submit)
                .layer(DefaultBodyLimit::max(login::MAX_FORM_BYTES)),
        )
        .route("/logout", post(login::logout))
        .route("/account", get(account::show))
        .route("/account/password", post(account::password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/email", post(account::email))
        .route(
            "/account/tokens/revoke",
            get(account::revoke_form).post(account::revoke),
        )
        .route(
            "/account/sessions/end-others",
            post(account::end_other_sessions),
        )
        .route("/pages/{id}", get(pages::show))
        .route("/pages/{id}/fetch-now", post(pages::fetch_now))
        .route("/pages/{id}/runs/{run}", get(feed::run_page))
        .route("/pages/{id}/settings", post(pages::settings))
        .route("/pages/{id}/webhooks", post(pages::add_webhook))
        .route(
            "/pages/{id}/webhooks/{webhook}/delete",
            post(pages::delete_webhook),
        )
        .route("/articles", get(articles::show))
        .route("/articles/preview", get(articles::preview))
        .route("/articles/diff", get(articles::diff))
        .route(
            "/articles/edit",
            get(articles::edit_form).post(articles::edit),
        )
        .route(
            "/articles/delete",
            get(articles::delete_form).post(articles::delete),
        )
        .route("/articles/publish", post(articles::publish))
        .route(
            "/articles/restore",
            get(confirm::restore).post(articles::restore),
        )
        .route(
            "/articles/ignored/apply",
            get(confirm::apply_ignored).post(articles::apply_ignored),
        )
        .route("/check", get(check::show).post(check::check))
        .route("/check/feed-file", post(check::check_file))
        .route("/rules", get(admin::rules))
        .route("/rules/{id}", get(admin::rule))
        .route("/audit", get(admin::audit))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route(
            "/admin/users/remove",
            get(confirm::remove_user).post(admin::remove_user),
        )
        .route("/admin/users/pages", post(admin::user_page))
        .route("/admin/tokens", post(admin::create_token))
        .route(
            "/admin/tokens/revoke",
            get(confirm::revoke_token).post(admin::revoke_token),
        )
        .layer(DefaultBodyLimit::max(cap))
}

/// The static files, served without a session.
pub fn static_router() -> Router<AppState> {
    Router::new()
        .route("/static/iarss.css", get(stylesheet))
        .route("/favicon.ico", get(favicon))
        .route("/static/editor.js", get(editor_script))
}

const LONG_CACHE: &str = "public, max-age=31536000, immutable";

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, LONG_CACHE),
        ],
        FAVICON,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, LONG_CACHE),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn editor_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, LONG_CACHE),
        ],
        EDITOR_SCRIPT,
    )
        .into_response()
}

/// Sets the Content-Security-Policy (unless the answer has its own, as the preview does),
/// `X-Content-Type-Options` and `Referrer-Policy` on every answer of the web pages.
pub async fn security_headers(request: Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(PAGE_CSP));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    response
}

/// A signed-in browser: who it is and its session's form token.
pub struct WebSession {
    /// Who.
    pub caller: Caller,
    /// The token every form of this session carries.
    pub form_token: String,
    /// The session's id (the public half of its cookie), which self-service keeps when
    /// it ends the user's other sessions.
    pub session_id: String,
}

impl WebSession {
    /// The page chrome for this user, with breadcrumbs.
    pub fn chrome(&self, crumbs: Vec<(String, String)>) -> Chrome {
        Chrome::signed_in(self, crumbs)
    }

    /// Refuses a form that does not carry this session's token or that comes from
    /// another site.
    pub fn check_form(&self, headers: &HeaderMap, sent: &str) -> Result<(), WebError> {
        let matches: bool =
            subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), self.form_token.as_bytes()).into();
        if same_origin(headers) && matches && !sent.is_empty() {
            Ok(())
        } else {
            Err(WebError::stale_form())
        }
    }
}

/// Where to send a browser without a session: the login form, coming back here after.
fn to_login(parts: &Parts) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let target = if parts.method == axum::http::Method::GET && here != "/" {
        format!("/login?next={}", views::q(&here))
    } else {
        "/login".to_string()
    };
    Redirect::to(&target).into_response()
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(cookie) = session_cookie(&parts.headers) else {
            return Err(to_login(parts));
        };
        let address = client_address(parts);
        match state
            .service
            .access()
            .session(cookie, address.as_deref())
            .await
        {
            Ok(Some(s)) => Ok(WebSession {
                caller: s.caller,
                form_token: s.form_token,
                session_id: s.id,
            }),
            Ok(None) => Err(to_login(parts)),
            Err(e) => Err(WebError::from(ServiceError::Store(e)).into_response()),
        }
    }
}

/// A signed-in operator. Anyone else gets 403 before a form of theirs is read, so an
/// operator's form sent by a publisher answers "forbidden", never "bad request".
pub struct OperatorSession(pub WebSession);

impl FromRequestParts<AppState> for OperatorSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = WebSession::from_request_parts(parts, state).await?;
        if session.caller.is_operator() {
            Ok(OperatorSession(session))
        } else {
            Err(WebError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Only operators may do this.",
            )
            .into_response())
        }
    }
}

/// The peer's address, when the server records it.
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(ClientAddress(client_address(parts)))
    }
}

/// A form body parsed into `T`; a malformed one is a 400 page, one over the body limit a
/// 413, one with a field holding a control character XML forbids a 400.
pub struct WebForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WebForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, WebError> {
        let (parts, body) = request.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|e| WebError::new(e.status(), "Not accepted", e.body_text()))?;
        if let Some(field) = crate::http::request::forbidden_field(&bytes) {
            return Err(WebError::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                format!("The field `{field}` holds a control character that cannot be stored."),
            ));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        axum::extract::Form::<T>::from_request(request, state)
            .await
            .map(|f| WebForm(f.0))
            .map_err(|e| WebError::new(e.status(), "Bad request", e.body_text()))
    }
}

/// A form with only the session's token: sign out, delete, publish and the other buttons.
#[derive(Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    form_token: String,
}

/// A query string parsed into `T`; a malformed one is a 400 page.
pub struct WebQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for WebQuery<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        if let Some(field) = parts
            .uri
            .query()
            .and_then(|q| crate::http::request::forbidden_field(q.as_bytes()))
        {
            return Err(WebError::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                format!("The parameter `{field}` holds a control character."),
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| WebQuery(q.0))
            .map_err(|e| WebError::new(StatusCode::BAD_REQUEST, "Bad request", e.body_text()))
    }
}

/// An error answered as a page.
#[derive(Debug)]
pub struct WebError {
    /// The status.
    pub status: StatusCode,
    /// The heading.
    pub title: &'static str,
    /// What happened and what to do.
    pub message: String,
    /// Seconds to wait (429).
    pub retry_after: Option<u64>,
}

impl WebError {
    /// An error page.
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> WebError {
        WebError {
            status,
            title,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 404, the same for what does not exist and what the caller may not see.
    pub fn not_found() -> WebError {
        WebError::new(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is nothing here, or nothing you may see. Go back to your pages.",
        )
    }

    /// 403 for a form without the session's token or from another site.
    pub fn stale_form() -> WebError {
        WebError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This form is out of date or came from another site. Go back, reload the page and try again.",
        )
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> WebError {
        match e {
            ServiceError::NotFound(_) => WebError::not_found(),
            ServiceError::Forbidden(m) => WebError::new(StatusCode::FORBIDDEN, "Forbidden", m),
            ServiceError::BadRequest(m) => WebError::new(StatusCode::BAD_REQUEST, "Bad request", m),
            ServiceError::Conflict(m) => WebError::new(StatusCode::CONFLICT, "Conflict", m),
            ServiceError::Unprocessable { message, .. } => {
                WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "Not saved", message)
            }
            ServiceError::TooSoon {
                message,
                retry_after,
            } => WebError {
                retry_after: Some(retry_after),
                ..WebError::new(StatusCode::TOO_MANY_REQUESTS, "Too soon", message)
            },
            ServiceError::Busy {
                message,
                retry_after,
            } => WebError {
                retry_after: Some(retry_after),
                ..WebError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Busy",
                    format!("{message}. Go back and submit the form again."),
                )
            },
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "a web page's store request failed");
                WebError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Unavailable",
                    "The store did not answer; try again in a moment.",
                )
            }
            ServiceError::Internal(m) => {
                tracing::error!(error = %m, "a web page failed");
                WebError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "iarss failed to answer; the log says why.",
                )
            }
        }
    }
}

impl From<crate::access::AccessError> for WebError {
    fn from(e: crate::access::AccessError) -> WebError {
        ServiceError::from(e).into()
    }
}

/// An error page's heading and text, kept on its answer so that [`signed_in_errors`] can
/// render it again with the signed-in user's navigation.
#[derive(Clone)]
struct ShownError {
    title: &'static str,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            chrome: Chrome::anonymous(),
            title: self.title,
            message: self.message.clone(),
        };
        let mut response = (self.status, render(&page)).into_response();
        response.extensions_mut().insert(ShownError {
            title: self.title,
            message: self.message,
        });
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// Gives an error page the navigation of the user whose browser asked, so a mistyped
/// address or a page they may not see leaves them one click from their pages. Error pages
/// are rendered where no session is at hand (a failed extractor, the fallback); the session
/// is looked up here, only for an error answer to a request that carries a session cookie.
pub async fn signed_in_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let cookie = session_cookie(&parts.headers).map(str::to_owned);
    let address = client_address(&parts);
    let response = next.run(Request::from_parts(parts, body)).await;
    let (Some(shown), Some(cookie)) = (response.extensions().get::<ShownError>(), cookie) else {
        return response;
    };
    let shown = shown.clone();
    let session = match state
        .service
        .access()
        .session(&cookie, address.as_deref())
        .await
    {
        Ok(Some(s)) => WebSession {
            caller: s.caller,
            form_token: s.form_token,
            session_id: s.id,
        },
        _ => return response,
    };
    let page = ErrorPage {
        chrome: session.chrome(Vec::new()),
        title: shown.title,
        message: shown.message,
    };
    let (mut head, _) = response.into_parts();
    let rendered = render(&page);
    let (_, body) = rendered.into_parts();
    head.extensions.remove::<ShownError>();
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, body)
}

/// A template rendered; a template that fails to render (a defect) is logged and answered
/// with a plain 500.
pub fn render<T: askama::Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "iarss failed to render this page\n",
            )
                .into_response()
        }
    }
}

/// What any address that no route serves answers.
pub async fn not_found() -> Response {
    WebError::not_found().into_response()
}

/// A 303 to `target`.
pub fn see_other(target: &str) -> Response {
    Redirect::to(target).into_response()
}
