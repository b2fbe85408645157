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
    /// Field name → what is wrong with it; present on `validation_failed`,
    /// and on `invalid_credentials` for a wrong confirmation password.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// The tasks a title matched; present on `ambiguous_match` (assistant
    /// tools), so the caller can choose instead of the server guessing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<TaskCandidate>,
}

/// A task a title matched: enough to tell them apart and pick one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskCandidate {
    pub id: uuid::Uuid,
    pub title: String,
    pub completed: bool,
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
    /// 401: wrong email or password at login; 403: a wrong password
    /// confirming an account change (`fields` names it).
    InvalidCredentials,
    /// 403: the credential may not do this: a read-only personal access
    /// token on a write, or a token where only a login may act (account
    /// settings).
    InsufficientScope,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 408
    RequestTimeout,
    /// 409
    EmailTaken,
    /// 409: an account limit is reached (the message says which, and what
    /// to remove).
    QuotaExceeded,
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
    /// An assistant tool: a title matched several tasks; see `candidates`.
    AmbiguousMatch,
    /// 502: the assistant's model answered something unusable (garbage, a
    /// malformed or unknown tool call, a refusal) or did not finish within
    /// its tool rounds.
    AssistantFailed,
    /// 503: the assistant's model could not be reached or is overloaded.
    AssistantUnavailable,
    /// 504: the assistant's model did not answer in time.
    AssistantTimeout,
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
                candidates: Vec::new(),
            },
        }
    }
}
