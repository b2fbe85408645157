//! Everything that can stop a page from rendering, and the page or
//! redirect each one becomes. Backend trouble never shows as a panic or a
//! blank screen: the visitor gets a page saying what happened.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use todo_api::{ClientError, ErrorCode};

use crate::paths;
use crate::views::errors::error_page;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The backend refused the token (expired, or signed with an old secret).
    #[error("the session has expired")]
    SessionExpired,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form post larger than `limit` bytes.
    #[error("the form is larger than {limit} bytes")]
    FormTooLarge { limit: usize },
    /// The backend could not be reached or said it is unavailable.
    #[error("the backend is unavailable: {0}")]
    Unavailable(String),
    /// The user's budget of changes (or messages) this minute is spent.
    #[error("too many requests")]
    TooManyRequests,
    /// The backend answered something this frontend does not expect.
    #[error("unexpected answer from the backend: {0}")]
    Backend(String),
}

impl From<ClientError> for PageError {
    fn from(error: ClientError) -> Self {
        match &error {
            ClientError::Transport(_) => PageError::Unavailable(error.to_string()),
            ClientError::Api { status, body } => match body.error.code {
                ErrorCode::Unauthorized | ErrorCode::TokenExpired => PageError::SessionExpired,
                ErrorCode::NotFound => PageError::NotFound,
                ErrorCode::TooManyRequests => PageError::TooManyRequests,
                ErrorCode::Unavailable | ErrorCode::RequestTimeout => {
                    PageError::Unavailable(error.to_string())
                }
                _ if *status == StatusCode::SERVICE_UNAVAILABLE => {
                    PageError::Unavailable(error.to_string())
                }
                _ => PageError::Backend(error.to_string()),
            },
            ClientError::Contract { status, .. }
                if *status == StatusCode::SERVICE_UNAVAILABLE
                    || *status == StatusCode::BAD_GATEWAY
                    || *status == StatusCode::GATEWAY_TIMEOUT =>
            {
                PageError::Unavailable(error.to_string())
            }
            ClientError::Contract { .. } => PageError::Backend(error.to_string()),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            // The login page drops the stale cookie when it sees `expired`.
            PageError::SessionExpired => Redirect::to(paths::SESSION_ENDED).into_response(),
            PageError::NotFound => error_page(
                StatusCode::NOT_FOUND,
                "Not found",
                "That page or task does not exist (it may have been deleted).",
            ),
            PageError::BadRequest(problem) => {
                error_page(StatusCode::BAD_REQUEST, "Bad request", &problem)
            }
            PageError::FormTooLarge { limit } => error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much text",
                &format!(
                    "The form sent more than {} KiB. Go back, shorten the text and try again.",
                    limit / 1024
                ),
            ),
            PageError::TooManyRequests => {
                let mut page = error_page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many changes",
                    "You have made a great many changes this minute. Wait a minute, then go back and try again.",
                );
                page.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("60"),
                );
                page
            }
            PageError::Unavailable(detail) => {
                tracing::warn!(%detail, "backend unavailable");
                error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    "The task service cannot be reached right now. Please try again in a moment.",
                )
            }
            PageError::Backend(detail) => {
                tracing::error!(%detail, "unexpected backend answer");
                error_page(
                    StatusCode::BAD_GATEWAY,
                    "Something went wrong",
                    "The task service gave an unexpected answer. Please try again; if it keeps happening, tell the operators.",
                )
            }
        }
    }
}
