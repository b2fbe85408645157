//! Account endpoints: sign-up, login, the caller's account.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use std::net::IpAddr;
use todo_api::{AuthResponse, ErrorBody, LoginRequest, SignupRequest, User};
use uuid::Uuid;

use crate::auth::{Caller, client_ip, hash_password, verify_password};
use crate::domain::{Credentials, Signup};
use crate::error::ApiError;
use crate::extract::JsonObject;
use crate::state::AppState;
use crate::store::{UserRecord, now};

/// The caller's address as the login limiter sees it.
pub struct ClientIp(IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientIp(client_ip(
            parts,
            state.config.server.trusted_proxy_hops,
        )))
    }
}

/// Create an account and log in.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", operation_id = "signup",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Account created", body = AuthResponse),
        (status = 409, description = "Email taken", body = ErrorBody),
    ))]
pub async fn signup(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<AuthResponse>), ApiError> {
    let signup = Signup::parse(body)?;
    let password_hash = hash_password(signup.password.expose().to_owned()).await?;
    let record = UserRecord {
        id: Uuid::new_v4(),
        email: signup.email.as_str().to_owned(),
        name: signup.name.as_str().to_owned(),
        password_hash,
        created_at: now(),
    };
    state.store.insert_user(&record).await?;
    tracing::info!(user_id = %record.id, "account created");
    let token = state.tokens.issue(record.id);
    Ok((
        StatusCode::CREATED,
        Json(AuthResponse {
            token,
            user: record.into(),
        }),
    ))
}

/// Exchange email and password for a token. Attempts are rate limited per
/// email and per client.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = AuthResponse),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<AuthResponse>, ApiError> {
    let credentials = Credentials::parse(body)?;
    state
        .login_limiter
        .check(&credentials.email, ip)
        .map_err(|retry_after| {
            tracing::warn!(%ip, "login rate limit hit");
            ApiError::TooManyRequests { retry_after }
        })?;
    // NUL cannot be stored, so no account has it: no need to ask.
    let user = if credentials.email.contains('\0') {
        None
    } else {
        state.store.user_by_email(&credentials.email).await?
    };
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    if !verify_password(credentials.password, stored_hash).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let user = user.ok_or(ApiError::InvalidCredentials)?;
    let token = state.tokens.issue(user.id);
    Ok(Json(AuthResponse {
        token,
        user: user.into(),
    }))
}

/// The account the token belongs to.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", operation_id = "getMe",
    security(("bearer" = [])), responses((status = 200, description = "The caller's account", body = User)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<User>, ApiError> {
    let user = state
        .store
        .user_by_id(caller.user_id)
        .await?
        .ok_or(ApiError::AccountGone)?;
    Ok(Json(user.into()))
}

/// Delete the caller's account and all of its tasks.
#[utoipa::path(delete, path = "/api/auth/me", tag = "auth", operation_id = "deleteMe",
    security(("bearer" = [])), responses((status = 204, description = "Account and tasks deleted")))]
pub async fn delete_me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    state.store.delete_user(caller.user_id).await?;
    tracing::info!(user_id = %caller.user_id, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}
