//! The one error type handlers return. It renders the contract's error
//! body, logs what went wrong inside, and never leaks internals.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use todo_api::{ErrorBody, ErrorCode, ErrorDetail};

use crate::domain::FieldErrors;

/// What a 503 suggests: long enough for a pool or a restart to recover.
const RETRY_UNAVAILABLE_SECONDS: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed body: {0}")]
    MalformedBody(String),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// A valid token for an account that no longer exists.
    #[error("the account no longer exists")]
    AccountGone,
    #[error("token expired")]
    TokenExpired,
    #[error("personal access token expired")]
    PersonalTokenExpired,
    /// The credential lacks a scope the operation needs.
    #[error("insufficient scope: needs {needed}")]
    InsufficientScope { needed: todo_api::Scope },
    /// A personal access token where only a login may act.
    #[error("a login is required")]
    LoginRequired,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The password confirming an account change is not the account's:
    /// the session is fine (so not 401), the request well-formed (so not
    /// 422); the field says which.
    #[error("wrong password in {field}")]
    WrongPassword { field: &'static str },
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("email taken")]
    EmailTaken,
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    #[error("request timed out")]
    RequestTimeout,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Too much expensive work at once (password hashing); retry shortly.
    #[error("overloaded: {0}")]
    Overloaded(&'static str),
    #[error("the assistant's model failed: {0}")]
    AssistantFailed(String),
    #[error("the assistant's model is unavailable: {0}")]
    AssistantUnavailable(String),
    #[error("the assistant's model timed out after {0:?}")]
    AssistantTimeout(Duration),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            StoreError::OwnerGone => ApiError::AccountGone,
            StoreError::EmailTaken => ApiError::EmailTaken,
            StoreError::QuotaExceeded(quota) => ApiError::QuotaExceeded(quota.message()),
            StoreError::Conflict(field, problem) => {
                let mut errors = FieldErrors::default();
                errors.add(field, problem);
                ApiError::Validation(errors)
            }
            StoreError::Database(e) => e.into(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        // The database is restarting, failing over, unreachable or
        // saturated: not a bug. Tell the client to retry, and let readiness
        // take the Pod out of rotation meanwhile.
        if crate::store::availability::unavailable(&error) {
            ApiError::Unavailable(error.to_string())
        } else {
            ApiError::Internal(error.into())
        }
    }
}

impl ApiError {
    pub(crate) fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        use ApiError::*;
        match self {
            MalformedBody(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedBody),
            Unauthorized(_) | AccountGone => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            TokenExpired | PersonalTokenExpired => {
                (StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired)
            }
            InsufficientScope { .. } | LoginRequired => {
                (StatusCode::FORBIDDEN, ErrorCode::InsufficientScope)
            }
            InvalidCredentials => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials),
            WrongPassword { .. } => (StatusCode::FORBIDDEN, ErrorCode::InvalidCredentials),
            NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            EmailTaken => (StatusCode::CONFLICT, ErrorCode::EmailTaken),
            QuotaExceeded(_) => (StatusCode::CONFLICT, ErrorCode::QuotaExceeded),
            PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            ),
            Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
            ),
            TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests),
            RequestTimeout => (StatusCode::REQUEST_TIMEOUT, ErrorCode::RequestTimeout),
            Unavailable(_) | Overloaded(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
            }
            AssistantFailed(_) => (StatusCode::BAD_GATEWAY, ErrorCode::AssistantFailed),
            AssistantUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::AssistantUnavailable,
            ),
            AssistantTimeout(_) => (StatusCode::GATEWAY_TIMEOUT, ErrorCode::AssistantTimeout),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }

    /// What the client is told: specific for its own mistakes, generic for
    /// ours.
    pub(crate) fn public_message(&self) -> String {
        use ApiError::*;
        match self {
            MalformedBody(detail) => format!("the request body is not valid JSON: {detail}"),
            Unauthorized(why) => (*why).to_owned(),
            AccountGone => "the account this token belongs to no longer exists \
                            (the data may have been reset); log in again"
                .into(),
            TokenExpired => "the token has expired; log in again".into(),
            PersonalTokenExpired => {
                "this personal access token has expired; create a new one on the Account page"
                    .into()
            }
            InsufficientScope { needed } => {
                format!("this credential may not do this; it needs the {needed} scope")
            }
            LoginRequired => "manage the account while logged in with your password, \
                              not with a personal access token"
                .into(),
            InvalidCredentials => "wrong email or password".into(),
            WrongPassword { .. } => "the password is not right".into(),
            NotFound(what) => format!("{what} not found"),
            MethodNotAllowed => "this method is not allowed on this path".into(),
            EmailTaken => "an account with this email already exists".into(),
            QuotaExceeded(what) => what.clone(),
            PayloadTooLarge => format!(
                "the request body is larger than {} KiB",
                todo_api::limits::BODY_MAX_BYTES / 1024
            ),
            UnsupportedMediaType => "send the body as Content-Type: application/json".into(),
            Validation(_) => "some fields are invalid".into(),
            TooManyRequests { .. } => "too many requests; retry after the time Retry-After gives".into(),
            RequestTimeout => "the request took too long".into(),
            Unavailable(_) => "the service is temporarily unavailable; retry shortly".into(),
            Overloaded(what) => format!("{what}; retry in a moment"),
            AssistantFailed(why) => format!(
                "the assistant could not answer ({why}); your message is saved, try again or rephrase"
            ),
            AssistantUnavailable(_) => {
                "the assistant's model cannot be reached right now; your message is saved, retry shortly".into()
            }
            AssistantTimeout(limit) => format!(
                "the assistant's model did not answer within {} s; your message is saved, retry shortly",
                limit.as_secs()
            ),
            Internal(_) => "internal error; it has been logged".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            ApiError::Internal(error) => tracing::error!(error = ?error, "request failed"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            ApiError::Overloaded(what) => tracing::warn!(%what, "overloaded"),
            ApiError::AssistantFailed(_)
            | ApiError::AssistantUnavailable(_)
            | ApiError::AssistantTimeout(_) => {
                tracing::warn!(error = %self, "assistant turn failed")
            }
            _ => tracing::debug!(error = %self, "request rejected"),
        }
        let fields = match &self {
            ApiError::Validation(errors) => errors.clone().into_map(),
            ApiError::WrongPassword { field } => BTreeMap::from([(
                (*field).to_owned(),
                "is not your current password".to_owned(),
            )]),
            _ => BTreeMap::new(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.public_message(),
                fields,
                candidates: Vec::new(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        // Every variant is named, so a new one decides its headers here.
        match &self {
            ApiError::Unavailable(_)
            | ApiError::Overloaded(_)
            | ApiError::AssistantUnavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(RETRY_UNAVAILABLE_SECONDS),
                );
            }
            ApiError::TooManyRequests { retry_after } => {
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            }
            ApiError::Unauthorized(_)
            | ApiError::AccountGone
            | ApiError::TokenExpired
            | ApiError::PersonalTokenExpired
            | ApiError::InvalidCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // RFC 6750 §3.1: which scope would do.
            ApiError::InsufficientScope { needed } => {
                let challenge = format!(r#"Bearer error="insufficient_scope", scope="{needed}""#);
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_str(&challenge).expect("scope words are header-safe"),
                );
            }
            ApiError::LoginRequired
            | ApiError::WrongPassword { .. }
            | ApiError::QuotaExceeded(_)
            | ApiError::MalformedBody(_)
            | ApiError::NotFound(_)
            | ApiError::MethodNotAllowed
            | ApiError::EmailTaken
            | ApiError::PayloadTooLarge
            | ApiError::UnsupportedMediaType
            | ApiError::Validation(_)
            | ApiError::RequestTimeout
            | ApiError::AssistantFailed(_)
            | ApiError::AssistantTimeout(_)
            | ApiError::Internal(_) => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_reach_the_body() {
        let error = ApiError::Internal(anyhow::anyhow!("password=hunter2 at db.internal:5432"));
        let message = error.public_message();
        assert!(!message.contains("hunter2"));
        assert!(!message.contains("db.internal"));
    }

    /// One of each variant: adding a variant without adding it here
    /// fails to compile in `into_response` first, and this list is next
    /// to it.
    fn one_of_each() -> Vec<ApiError> {
        vec![
            ApiError::MalformedBody("x".into()),
            ApiError::Unauthorized("x"),
            ApiError::AccountGone,
            ApiError::TokenExpired,
            ApiError::PersonalTokenExpired,
            ApiError::InsufficientScope {
                needed: todo_api::Scope::TasksWrite,
            },
            ApiError::LoginRequired,
            ApiError::InvalidCredentials,
            ApiError::WrongPassword { field: "password" },
            ApiError::NotFound("task"),
            ApiError::MethodNotAllowed,
            ApiError::EmailTaken,
            ApiError::QuotaExceeded("too many".into()),
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::Validation(FieldErrors::default()),
            ApiError::TooManyRequests {
                retry_after: Duration::from_secs(3),
            },
            ApiError::RequestTimeout,
            ApiError::Unavailable("x".into()),
            ApiError::Overloaded("x"),
            ApiError::AssistantFailed("x".into()),
            ApiError::AssistantUnavailable("x".into()),
            ApiError::AssistantTimeout(Duration::from_secs(1)),
            ApiError::Internal(anyhow::anyhow!("x")),
        ]
    }

    #[test]
    fn a_401_or_scope_403_says_how_to_authenticate_and_a_503_or_429_when_to_retry() {
        for error in one_of_each() {
            let name = format!("{error:?}");
            let response = error.into_response();
            let headers = response.headers();
            let status = response.status();
            // RFC 6750: every 401, and a 403 for a missing scope, says
            // how to authenticate.
            assert_eq!(
                status == StatusCode::UNAUTHORIZED || name.starts_with("InsufficientScope"),
                headers.contains_key(header::WWW_AUTHENTICATE),
                "{name}"
            );
            assert_eq!(
                matches!(
                    status,
                    StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
                ),
                headers.contains_key(header::RETRY_AFTER),
                "{name}"
            );
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let response = ApiError::TooManyRequests {
            retry_after: Duration::from_millis(1500),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}
