//! The authorization server's endpoints (see `crate::oauth`): discovery,
//! client registration, the code the frontend asks for once the user
//! allows, and the token endpoint. Protocol errors are OAuth's own shape,
//! `{"error", "error_description"}` (RFC 6749 §5.2, RFC 7591 §3.2.2), not
//! the API's: OAuth clients read them.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use todo_api::SessionKind;
use todo_api::oauth::{
    AuthorizationError, AuthorizationGranted, AuthorizationParams, OAuthClient,
    PARAMETER_MAX_CHARS, REDIRECT_URIS_MAX, names_resource, redirect_with,
};
use uuid::Uuid;

use super::auth::ClientIp;
use crate::auth::{AccountHolder, personal_token};
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::extract::JsonObject;
use crate::oauth::{ACCESS_TOKEN_TTL, CODE_TTL, GRANT_TTL, metadata, pkce};
use crate::state::AppState;
use crate::store::{IssuedCode, NewSession, Redemption, Rotation, StoreError, now};

/// What refresh tokens and authorization codes start with (secret
/// scanners recognise them; the rest is 256 random bits).
const REFRESH_TOKEN_PREFIX: &str = "todo_rt_";
const CODE_PREFIX: &str = "todo_ac_";

/// A client's name is shown on the consent page: bounded, one line.
const CLIENT_NAME_MAX_CHARS: usize = 100;

pub async fn protected_resource(State(state): State<AppState>) -> Json<Value> {
    Json(metadata::protected_resource(&state.config.oauth))
}

pub async fn authorization_server(State(state): State<AppState>) -> Json<Value> {
    Json(metadata::authorization_server(&state.config.oauth))
}

/// An OAuth error answer.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = if error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        no_store((self.status, Json(body)).into_response())
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::OwnerGone => Self::new("invalid_grant", "the account is gone"),
            other => {
                let api = ApiError::from(other);
                let (status, _) = api.status_and_code();
                tracing::warn!(error = ?api, "an OAuth request failed on the database");
                Self {
                    status,
                    error: if status == StatusCode::SERVICE_UNAVAILABLE {
                        "temporarily_unavailable"
                    } else {
                        "server_error"
                    },
                    description: api.public_message(),
                }
            }
        }
    }
}

/// Tokens and codes are never cached (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// RFC 7591: a client registers itself, anonymously; only public clients
/// (no secret: PKCE proves the code's holder), with the authorization
/// code and refresh token grants. Throttled per address like signups.
pub async fn register(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Bytes,
) -> Result<Response, Response> {
    state
        .limiter
        .check_registration(client)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after }.into_response())?;
    let metadata = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(OAuthError::new(
                "invalid_client_metadata",
                "the body must be a JSON object",
            )
            .into_response());
        }
    };
    let client = client_of(&metadata).map_err(IntoResponse::into_response)?;
    state
        .store
        .insert_oauth_client(&client)
        .await
        .map_err(|error| OAuthError::from(error).into_response())?;
    tracing::info!(client_id = %client.client_id, client_name = %client.client_name, "OAuth client registered");
    let registered = json!({
        "client_id": client.client_id,
        "client_id_issued_at": now().timestamp(),
        "client_name": client.client_name,
        "redirect_uris": client.redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    Ok(no_store(
        (StatusCode::CREATED, Json(registered)).into_response(),
    ))
}

/// The client a registration describes, or why it cannot be one.
fn client_of(metadata: &Map<String, Value>) -> Result<OAuthClient, OAuthError> {
    let bad = |error: &'static str, description: &str| OAuthError::new(error, description);
    let uris: Vec<String> = match metadata.get("redirect_uris") {
        Some(Value::Array(uris)) if (1..=REDIRECT_URIS_MAX).contains(&uris.len()) => uris
            .iter()
            .map(|uri| uri.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("invalid_redirect_uri", "redirect_uris must be strings"))?,
        _ => {
            return Err(bad(
                "invalid_redirect_uri",
                "redirect_uris must list 1 to 5 URIs",
            ));
        }
    };
    if let Some(uri) = uris.iter().find(|uri| !acceptable_redirect(uri)) {
        return Err(OAuthError::new(
            "invalid_redirect_uri",
            format!(
                "{uri:?} is not accepted: use https, http on localhost or a loopback address, or an app's own scheme; no fragment"
            ),
        ));
    }
    for (field, allowed) in [
        ("grant_types", &["authorization_code", "refresh_token"][..]),
        ("response_types", &["code"][..]),
    ] {
        if let Some(value) = metadata.get(field) {
            let listed = value.as_array().is_some_and(|items| {
                items
                    .iter()
                    .all(|item| item.as_str().is_some_and(|item| allowed.contains(&item)))
            });
            if !listed {
                return Err(OAuthError::new(
                    "invalid_client_metadata",
                    format!("{field} may only hold {}", allowed.join(", ")),
                ));
            }
        }
    }
    let name: String = match metadata.get("client_name") {
        None | Some(Value::Null) => "An unnamed app".to_owned(),
        Some(Value::String(name)) => name
            .chars()
            .filter(|c| !c.is_control())
            .take(CLIENT_NAME_MAX_CHARS)
            .collect::<String>()
            .trim()
            .to_owned(),
        Some(_) => {
            return Err(bad(
                "invalid_client_metadata",
                "client_name must be a string",
            ));
        }
    };
    if name.is_empty() {
        return Err(bad(
            "invalid_client_metadata",
            "client_name must not be blank",
        ));
    }
    Ok(OAuthClient {
        client_id: Uuid::new_v4().to_string(),
        client_name: name,
        redirect_uris: uris,
    })
}

/// Redirect URIs a browser may be sent to with a code: https anywhere;
/// http only to this machine (a native app's loopback listener, RFC 8252
/// §7.3); an app's private-use scheme (RFC 8252 §7.1); never a fragment,
/// never a scheme that runs or reads something in the browser itself.
fn acceptable_redirect(uri: &str) -> bool {
    if uri.chars().count() > PARAMETER_MAX_CHARS {
        return false;
    }
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if url.fragment().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => url.has_host(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" | "ftp" | "ws" | "wss" => {
            false
        }
        _ => true,
    }
}

/// 429 with `Retry-After` once `client` has spent its OAuth budget.
fn throttle(state: &AppState, client: std::net::IpAddr) -> Result<(), ApiError> {
    state
        .limiter
        .check_oauth(client)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })
}

/// What the authorization page shows of a client.
pub async fn client(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    Path(client_id): Path<String>,
) -> Result<Json<OAuthClient>, ApiError> {
    throttle(&state, address)?;
    if client_id.len() > PARAMETER_MAX_CHARS {
        return Err(ApiError::NotFound("no such client"));
    }
    state
        .store
        .oauth_client(&client_id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("no such client"))
}

/// The frontend's call once the user allowed the request: checks it
/// again (the page is only a view) and answers where the browser goes:
/// back to the client with a code, or with the error. Only a login may
/// connect apps (a personal access token cannot mint other credentials).
pub async fn authorize(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    AccountHolder(caller): AccountHolder,
    JsonObject(body): JsonObject,
) -> Result<Json<AuthorizationGranted>, ApiError> {
    throttle(&state, address)?;
    let params: AuthorizationParams =
        serde_json::from_value(Value::Object(body)).map_err(|error| {
            ApiError::MalformedBody(format!("not an authorization request: {error}"))
        })?;
    let settings = &state.config.oauth;
    let unredirectable = |reason: &str| {
        let mut fields = FieldErrors::default();
        fields.add("client_id", reason);
        ApiError::Validation(fields)
    };
    let client_id = params
        .client_id
        .as_deref()
        .filter(|id| id.len() <= PARAMETER_MAX_CHARS)
        .ok_or_else(|| unredirectable("names no client"))?;
    let client = state
        .store
        .oauth_client(client_id)
        .await?
        .ok_or_else(|| unredirectable("no such client"))?;
    let request = match params.check(&client, &settings.resource()) {
        Ok(request) => request,
        Err(AuthorizationError::Unredirectable(reason)) => return Err(unredirectable(reason)),
        Err(error) => {
            let redirect_to = error
                .redirect_url(&settings.issuer)
                .expect("a redirectable error");
            return Ok(Json(AuthorizationGranted { redirect_to }));
        }
    };
    let (code, code_hash) = personal_token::generate_with(CODE_PREFIX);
    state
        .store
        .insert_oauth_code(
            code_hash,
            &IssuedCode {
                client_id: client.client_id.clone(),
                user_id: caller.user_id,
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                scope: request.scope().to_owned(),
                expires_at: now() + CODE_TTL,
            },
        )
        .await?;
    tracing::info!(user_id = %caller.user_id, client_id = %client.client_id, scope = request.scope(), "OAuth code issued");
    let redirect_to = redirect_with(
        &request.redirect_uri,
        &[
            ("code", &code),
            ("state", request.state.as_deref().unwrap_or_default()),
            ("iss", &settings.issuer),
        ],
    );
    Ok(Json(AuthorizationGranted { redirect_to }))
}

/// RFC 6749 §3.2: the token endpoint, form-encoded.
pub async fn token(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    body: Bytes,
) -> Response {
    if let Err(throttled) = throttle(&state, address) {
        return throttled.into_response();
    }
    match exchange(&state, &body).await {
        Ok(tokens) => no_store(Json(tokens).into_response()),
        Err(error) => error.into_response(),
    }
}

async fn exchange(state: &AppState, body: &[u8]) -> Result<Value, OAuthError> {
    let mut form: HashMap<String, String> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if value.chars().count() > PARAMETER_MAX_CHARS
            || form.insert(name.into_owned(), value.into_owned()).is_some()
        {
            return Err(OAuthError::new(
                "invalid_request",
                "a parameter is repeated or too long",
            ));
        }
    }
    let required = |name: &str| {
        form.get(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| OAuthError::new("invalid_request", format!("{name} is required")))
    };
    let settings = &state.config.oauth;
    if let Some(resource) = form.get("resource")
        && !names_resource(resource, &settings.resource())
    {
        return Err(OAuthError::new(
            "invalid_target",
            "the resource must be this server's MCP endpoint",
        ));
    }
    let client_id = required("client_id")?;
    let client = state
        .store
        .oauth_client(client_id)
        .await
        .map_err(|error| OAuthError::from(StoreError::from(error)))?
        .ok_or_else(|| OAuthError::new("invalid_client", "no such client"))?;
    let keys = state
        .authenticator
        .access_keys()
        .expect("the backend's authenticator has access keys");
    let (new_refresh, new_refresh_hash) = personal_token::generate_with(REFRESH_TOKEN_PREFIX);
    let (user_id, session_id, scope) = match required("grant_type")?.as_str() {
        "authorization_code" => {
            let code = required("code")?;
            let verifier = required("code_verifier")?.clone();
            let redirect_uri = required("redirect_uri")?.clone();
            let session_id = Uuid::new_v4();
            let accepted_client = client.client_id.clone();
            let client_name = client.client_name.clone();
            let redemption = state
                .store
                .redeem_oauth_code(
                    personal_token::hash(code),
                    move |issued| {
                        issued.client_id == accepted_client
                            && issued.redirect_uri == redirect_uri
                            && issued.expires_at > now()
                            && pkce::verifies(&verifier, &issued.code_challenge)
                    },
                    move |issued| NewSession {
                        id: session_id,
                        user_id: issued.user_id,
                        kind: SessionKind::ConnectedApp,
                        name: Some(client_name.clone()),
                        scope: issued.scope.clone(),
                        token_hash: None,
                        user_agent: None,
                        created_at: now(),
                        expires_at: now() + GRANT_TTL,
                    },
                    new_refresh_hash,
                )
                .await?;
            match redemption {
                Redemption::Granted(issued) => {
                    tracing::info!(user_id = %issued.user_id, session = %session_id, client_id = %client.client_id, "OAuth grant opened");
                    (issued.user_id, session_id, issued.scope)
                }
                Redemption::Refused(_) => {
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "the code is expired, or was issued for another client, redirect_uri or code_verifier",
                    ));
                }
                Redemption::Unknown { revoked } => {
                    if let Some(session) = revoked {
                        tracing::warn!(%session, client_id = %client.client_id, "an authorization code came back; its grant is revoked");
                        state.authenticator.forget(&[session]);
                    }
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "the code is unknown or was used already",
                    ));
                }
            }
        }
        "refresh_token" => {
            let presented = personal_token::hash(required("refresh_token")?);
            let rotation = state
                .store
                .rotate_refresh_token(
                    presented,
                    new_refresh_hash,
                    client.client_id.clone(),
                    now() + GRANT_TTL,
                )
                .await?;
            match rotation {
                Rotation::Rotated {
                    session_id,
                    user_id,
                    scope,
                } => (user_id, session_id, scope),
                Rotation::Reused { session_id } => {
                    tracing::warn!(session = %session_id, client_id = %client.client_id, "a refresh token was used twice; its grant is revoked");
                    state.authenticator.forget(&[session_id]);
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "the refresh token was used already; the grant is revoked",
                    ));
                }
                Rotation::Invalid => {
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "the refresh token is unknown, for another client, or its grant ended",
                    ));
                }
            }
        }
        _ => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "the grant types are authorization_code and refresh_token",
            ));
        }
    };
    Ok(json!({
        "access_token": keys.issue(user_id, session_id),
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL.as_secs(),
        "refresh_token": new_refresh,
        "scope": scope,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_that_could_leak_a_code_are_refused() {
        for good in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://localhost:6274/oauth/callback",
            "http://[::1]:8080/cb",
            "cursor://anysphere.cursor-retrieval/oauth/user-todo/callback",
        ] {
            assert!(acceptable_redirect(good), "{good}");
        }
        for bad in [
            "http://evil.example/callback",
            "https://app.example/cb#fragment",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "not a url",
            "/relative",
        ] {
            assert!(!acceptable_redirect(bad), "{bad}");
        }
    }

    #[test]
    fn registrations_are_checked() {
        let client = |body: Value| client_of(body.as_object().unwrap());
        let ok = client(
            json!({"redirect_uris": ["http://127.0.0.1:1/cb"], "client_name": "VS\u{7}Code "}),
        )
        .ok()
        .unwrap();
        assert_eq!(ok.client_name, "VSCode");
        assert_eq!(
            client(json!({"redirect_uris": []})).err().unwrap().error,
            "invalid_redirect_uri"
        );
        let six: Vec<String> = (0..6).map(|i| format!("https://a.example/{i}")).collect();
        assert_eq!(
            client(json!({"redirect_uris": six})).err().unwrap().error,
            "invalid_redirect_uri"
        );
        assert_eq!(
            client(json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["client_credentials"]})).err().unwrap().error,
            "invalid_client_metadata"
        );
        assert_eq!(
            client(json!({"redirect_uris": ["https://a.example/cb"]}))
                .ok()
                .unwrap()
                .client_name,
            "An unnamed app"
        );
    }
}
