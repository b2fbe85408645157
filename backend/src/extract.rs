//! Request extractors that turn every way a request can be malformed into
//! the contract's error shape (axum's own rejections answer in plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ApiError;

/// A JSON object body: 415 without a JSON content type, 413 over the body
/// limit, 400 when it is not a JSON object. Fields are judged later, all
/// at once, by the domain parsers.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::MalformedBody(rejection.body_text())
                }
            })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::MalformedBody("expected a JSON object".into())),
            Err(e) => Err(ApiError::MalformedBody(e.to_string())),
        }
    }
}

/// The raw `key=value` pairs of the query string, for domain parsers that
/// report every bad parameter at once.
#[derive(Debug)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(QueryPairs(query_pairs(&parts.uri)))
    }
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Declares an extractor of an id from the path. A segment that is not a
/// UUID names nothing, so it answers 404 like any other unknown id.
macro_rules! path_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub Uuid);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                let axum::extract::Path(raw) =
                    axum::extract::Path::<String>::from_request_parts(parts, state)
                        .await
                        .map_err(|_| ApiError::NotFound($what))?;
                Uuid::try_parse(&raw)
                    .map($name)
                    .map_err(|_| ApiError::NotFound($what))
            }
        }
    };
}

path_id!(
    /// A task id from the path.
    TaskId,
    "task"
);
path_id!(
    /// A conversation id from the path.
    ConversationId,
    "conversation"
);
path_id!(
    /// A session id (a login's or a personal access token's) from the path.
    SessionId,
    "session"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
