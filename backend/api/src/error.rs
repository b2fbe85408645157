//! The one error body and its machine-readable codes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The one error shape every failing response carries:
/// `{"error": {"code": "...", "message": "...", "fields": {...}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// Field name → what is wrong with it; present on `validation_failed`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// Machine-readable error codes. Clients match on these, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not valid JSON, or not a JSON object.
    MalformedBody,
    /// 400: a query string parameter could not be read.
    BadQuery,
    /// 401
    Unauthorized,
    /// 401: the token was valid once but has expired.
    TokenExpired,
    /// 401: wrong email or password.
    InvalidCredentials,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 408
    RequestTimeout,
    /// 409
    EmailTaken,
    /// 413
    PayloadTooLarge,
    /// 415
    UnsupportedMediaType,
    /// 422: see `fields`.
    ValidationFailed,
    /// 429: see the `Retry-After` header.
    TooManyRequests,
    /// 500: details are in the server log under the request id, never here.
    Internal,
    /// 503
    Unavailable,
    /// A code this client version does not know yet.
    #[serde(other)]
    Unknown,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
                fields: BTreeMap::new(),
            },
        }
    }
}
