//! Account endpoints: sign-up, login and logout, the caller's account,
//! password change, sessions and personal access tokens.

use std::net::IpAddr;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::Duration;
use todo_api::{
    AccountDeletion, AuthResponse, ErrorBody, LoginRequest, NewPersonalToken, PasswordChange,
    PersonalTokenCreated, ProfileChange, RevokedSessions, SessionKind, SessionList, SignupRequest,
    Usage, User,
};
use uuid::Uuid;

use crate::auth::{AccountHolder, Caller, Scopes, client_ip, personal_token};
use crate::domain::{self, Credentials, Signup};
use crate::error::ApiError;
use crate::extract::{JsonObject, SessionId};
use crate::state::AppState;
use crate::store::{NewSession, UserRecord, now};

/// Sessions of one kind an account page lists at most.
const LISTED_MAX: u32 = 100;
/// Live personal access tokens one account may hold.
const PERSONAL_TOKENS_MAX: u64 = 50;
/// What is kept of a client's `User-Agent`.
const USER_AGENT_MAX_CHARS: usize = 256;

/// The caller's address as the limiters see it.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientIp(client_ip(
            parts,
            state.config.server.trusted_proxy_hops,
        )))
    }
}

/// The client's `User-Agent`, cut short and without control characters,
/// to name the session it opens.
pub struct UserAgent(Option<String>);

impl FromRequestParts<AppState> for UserAgent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|text| {
                text.chars()
                    .filter(|c| !c.is_control())
                    .take(USER_AGENT_MAX_CHARS)
                    .collect::<String>()
            })
            .filter(|text| !text.trim().is_empty());
        Ok(UserAgent(agent))
    }
}

/// Opens a login session for `user` and issues its token.
async fn log_in(
    state: &AppState,
    user: UserRecord,
    user_agent: Option<String>,
) -> Result<AuthResponse, ApiError> {
    let keys = state.authenticator.keys();
    let at = now();
    let session = NewSession {
        id: Uuid::new_v4(),
        user_id: user.id,
        kind: SessionKind::Login,
        name: None,
        scope: Scopes::ALL.to_words(),
        token_hash: None,
        user_agent,
        created_at: at,
        expires_at: at + Duration::from_std(keys.ttl()).unwrap_or(Duration::days(1)),
    };
    state.store.insert_session(&session).await?;
    Ok(AuthResponse {
        token: keys.issue(user.id, session.id),
        user: user.into(),
    })
}

pub(super) fn too_many(
    retry_after: std::time::Duration,
    ip: IpAddr,
    what: &'static str,
) -> ApiError {
    tracing::warn!(%ip, what, "rate limit hit");
    ApiError::TooManyRequests { retry_after }
}

/// Create an account and log in. Throttled per client address and per
/// email; a taken email is answered before any password is hashed.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", operation_id = "signup",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Account created; a login session is open", body = AuthResponse),
        (status = 409, description = "Email taken", body = ErrorBody),
        (status = 429, description = "Too many signups from this client or for this email; see Retry-After", body = ErrorBody),
    ))]
pub async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<AuthResponse>), ApiError> {
    let signup = Signup::parse(body)?;
    state
        .limiter
        .check_signup(signup.email.as_str(), ip)
        .map_err(|retry_after| too_many(retry_after, ip, "signup"))?;
    if state
        .store
        .user_by_email(signup.email.as_str())
        .await?
        .is_some()
    {
        return Err(ApiError::EmailTaken);
    }
    let password_hash = state
        .passwords
        .hash(signup.password.expose().to_owned())
        .await?;
    let record = UserRecord {
        id: Uuid::new_v4(),
        email: signup.email.as_str().to_owned(),
        name: signup.name.as_str().to_owned(),
        password_hash,
        time_zone: signup.time_zone.as_str().to_owned(),
        created_at: now(),
    };
    state.store.insert_user(&record).await?;
    tracing::info!(user_id = %record.id, "account created");
    let answer = log_in(&state, record, user_agent).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Exchange email and password for a login session's token. Attempts are
/// throttled per client, per account from one client, and (more loosely)
/// per account.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; a login session is open", body = AuthResponse),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    JsonObject(body): JsonObject,
) -> Result<Json<AuthResponse>, ApiError> {
    let credentials = Credentials::parse(body)?;
    state
        .limiter
        .check_login(&credentials.email, ip)
        .map_err(|retry_after| too_many(retry_after, ip, "login"))?;
    // NUL cannot be stored, so no account has it: no need to ask.
    let user = if credentials.email.contains('\0') {
        None
    } else {
        state.store.user_by_email(&credentials.email).await?
    };
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    if !state
        .passwords
        .verify(credentials.password, stored_hash)
        .await?
    {
        return Err(ApiError::InvalidCredentials);
    }
    let user = user.ok_or(ApiError::InvalidCredentials)?;
    Ok(Json(log_in(&state, user, user_agent).await?))
}

/// End the session the request's credential belongs to.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", operation_id = "logout",
    security(("bearer" = [])),
    responses((status = 204, description = "The session is ended; its token is refused from now on")))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_session(caller.user_id, caller.session_id, caller.kind)
        .await?;
    state.authenticator.forget(&[caller.session_id]);
    Ok(StatusCode::NO_CONTENT)
}

/// The account the credential belongs to.
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

/// Change the caller's name or time zone (an IANA name: due times,
/// "today" and reminders are read in it). Needs a login.
#[utoipa::path(patch, path = "/api/auth/me", tag = "auth", operation_id = "changeProfile",
    request_body = ProfileChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account as changed", body = User),
        (status = 403, description = "A personal access token cannot change the account (`insufficient_scope`)", body = ErrorBody),
        (status = 422, description = "Unknown time zone, or a bad name", body = ErrorBody),
    ))]
pub async fn change_profile(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
    JsonObject(body): JsonObject,
) -> Result<Json<User>, ApiError> {
    let change = domain::ProfileChange::parse(body)?;
    let record = state.store.change_profile(caller.user_id, &change).await?;
    Ok(Json(record.into()))
}

/// What the caller's account holds against its quotas: a create past one
/// answers 409 `quota_exceeded`.
#[utoipa::path(get, path = "/api/auth/usage", tag = "auth", operation_id = "getUsage",
    security(("bearer" = [])), responses((status = 200, description = "The account's use of its quotas", body = Usage)))]
pub async fn usage(State(state): State<AppState>, caller: Caller) -> Result<Json<Usage>, ApiError> {
    Ok(Json(state.store.usage(caller.user_id).await?))
}

/// Checks `password` against the account's, as a login does (throttled
/// the same way): a wrong one is a 403 `invalid_credentials` naming
/// `field` — not a 401, since the session itself is fine, and not a 422,
/// since the request is well-formed.
async fn confirm_password(
    state: &AppState,
    caller: &Caller,
    ip: IpAddr,
    password: String,
    field: &'static str,
) -> Result<(), ApiError> {
    let user = state
        .store
        .user_by_id(caller.user_id)
        .await?
        .ok_or(ApiError::AccountGone)?;
    state
        .limiter
        .check_login(&user.email, ip)
        .map_err(|retry_after| too_many(retry_after, ip, "password confirmation"))?;
    if state
        .passwords
        .verify(password, Some(user.password_hash))
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::WrongPassword { field })
    }
}

/// Delete the caller's account, its tasks and conversations. Needs the
/// account's password, and a login (not a personal access token).
#[utoipa::path(delete, path = "/api/auth/me", tag = "auth", operation_id = "deleteMe",
    request_body = AccountDeletion,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Account, tasks and sessions deleted"),
        (status = 403, description = "A personal access token cannot delete the account (`insufficient_scope`), or the password is wrong (`invalid_credentials`, naming `password`)", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = ErrorBody),
    ))]
pub async fn delete_me(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, ApiError> {
    let deletion = domain::AccountDeletion::parse(body)?;
    confirm_password(&state, &caller, ip, deletion.password, "password").await?;
    state.store.delete_user(caller.user_id).await?;
    state.authenticator.forget_user(caller.user_id);
    tracing::info!(user_id = %caller.user_id, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Change the password. Needs the current one; every other session of the
/// account (logins and personal access tokens) ends.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", operation_id = "changePassword",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; this session stays, every other one is ended"),
        (status = 403, description = "A personal access token cannot change the password (`insufficient_scope`), or the current password is wrong (`invalid_credentials`, naming `current_password`)", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, ApiError> {
    let change = domain::PasswordChange::parse(body)?;
    confirm_password(&state, &caller, ip, change.current, "current_password").await?;
    let hash = state.passwords.hash(change.new.expose().to_owned()).await?;
    let revoked = state
        .store
        .change_password(caller.user_id, hash, caller.session_id)
        .await?;
    state.authenticator.forget(&revoked);
    tracing::info!(user_id = %caller.user_id, revoked = revoked.len(), "password changed");
    Ok(StatusCode::NO_CONTENT)
}

async fn list(
    state: &AppState,
    caller: &Caller,
    kind: SessionKind,
) -> Result<Json<SessionList>, ApiError> {
    let rows = state
        .store
        .sessions_of(caller.user_id, kind, LISTED_MAX)
        .await?;
    let items = rows
        .into_iter()
        .map(|row| row.into_session(caller.session_id))
        .collect::<Result<_, _>>()
        .map_err(crate::store::StoreError::from)?;
    Ok(Json(SessionList { items }))
}

async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    kind: SessionKind,
    what: &'static str,
) -> Result<StatusCode, ApiError> {
    if !state.store.revoke_session(caller.user_id, id, kind).await? {
        return Err(ApiError::NotFound(what));
    }
    state.authenticator.forget(&[id]);
    Ok(StatusCode::NO_CONTENT)
}

/// The account's logins that are neither ended nor expired, newest first
/// (at most 100); `current` marks this one.
#[utoipa::path(get, path = "/api/auth/sessions", tag = "auth", operation_id = "listSessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live logins", body = SessionList),
        (status = 403, description = "Only a login may list sessions (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn sessions(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
) -> Result<Json<SessionList>, ApiError> {
    list(&state, &caller, SessionKind::Login).await
}

/// End one login of the account (this one included: that is a logout).
#[utoipa::path(delete, path = "/api/auth/sessions/{id}", tag = "auth", operation_id = "revokeSession",
    params(("id" = Uuid, Path, description = "Session id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 403, description = "Only a login may end sessions (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn revoke_session(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
    SessionId(id): SessionId,
) -> Result<StatusCode, ApiError> {
    revoke(&state, &caller, id, SessionKind::Login, "session").await
}

/// Log out everywhere else: end every other login of the account.
/// Personal access tokens stay (they are revoked one by one).
#[utoipa::path(post, path = "/api/auth/sessions/revoke-others", tag = "auth", operation_id = "revokeOtherSessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many logins were ended", body = RevokedSessions),
        (status = 403, description = "Only a login may end sessions (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
) -> Result<Json<RevokedSessions>, ApiError> {
    let revoked = state
        .store
        .revoke_sessions_except(caller.user_id, caller.session_id, Some(SessionKind::Login))
        .await?;
    state.authenticator.forget(&revoked);
    Ok(Json(RevokedSessions {
        revoked: revoked.len() as u64,
    }))
}

/// The account's personal access tokens that are neither revoked nor
/// expired, newest first (at most 100).
#[utoipa::path(get, path = "/api/auth/tokens", tag = "auth", operation_id = "listPersonalTokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live personal access tokens (never the tokens themselves)", body = SessionList),
        (status = 403, description = "Only a login may manage tokens (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn personal_tokens(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
) -> Result<Json<SessionList>, ApiError> {
    list(&state, &caller, SessionKind::PersonalToken).await
}

/// Create a personal access token for a client that cannot log in (an MCP
/// client, a script). The token is in this answer only; the server keeps
/// its hash.
#[utoipa::path(post, path = "/api/auth/tokens", tag = "auth", operation_id = "createPersonalToken",
    request_body = NewPersonalToken,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `token` is shown this once", body = PersonalTokenCreated),
        (status = 403, description = "Only a login may create tokens (`insufficient_scope`)", body = ErrorBody),
        (status = 409, description = "The account holds 50 live tokens already (`quota_exceeded`)", body = ErrorBody),
    ))]
pub async fn create_personal_token(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<PersonalTokenCreated>), ApiError> {
    let request = domain::NewPersonalToken::parse(body)?;
    let live = state
        .store
        .live_sessions(caller.user_id, SessionKind::PersonalToken)
        .await?;
    if live >= PERSONAL_TOKENS_MAX {
        return Err(ApiError::QuotaExceeded(
            "this account has 50 personal access tokens; revoke one before creating another".into(),
        ));
    }
    let (token, token_hash) = personal_token::generate();
    let at = now();
    let session = NewSession {
        id: Uuid::new_v4(),
        user_id: caller.user_id,
        kind: SessionKind::PersonalToken,
        name: Some(request.name.as_str().to_owned()),
        scope: request.scopes.to_words(),
        token_hash: Some(token_hash),
        user_agent: None,
        created_at: at,
        expires_at: at + Duration::days(i64::from(request.expires_in_days)),
    };
    state.store.insert_session(&session).await?;
    tracing::info!(user_id = %caller.user_id, session = %session.id, "personal access token created");
    let listed = todo_api::Session {
        id: session.id,
        kind: session.kind,
        name: session.name,
        scope: session.scope,
        user_agent: None,
        current: false,
        created_at: session.created_at,
        last_used_at: session.created_at,
        expires_at: session.expires_at,
    };
    Ok((
        StatusCode::CREATED,
        Json(PersonalTokenCreated {
            token,
            session: listed,
        }),
    ))
}

/// The apps the account connected through OAuth (MCP clients) whose
/// grants are neither revoked nor expired, newest first (at most 100).
#[utoipa::path(get, path = "/api/auth/apps", tag = "auth", operation_id = "listConnectedApps",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live grants of connected apps (`name` is the app's)", body = SessionList),
        (status = 403, description = "Only a login may manage connected apps (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn connected_apps(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
) -> Result<Json<SessionList>, ApiError> {
    list(&state, &caller, SessionKind::ConnectedApp).await
}

/// Disconnect an app: its access and refresh tokens are refused from now on.
#[utoipa::path(delete, path = "/api/auth/apps/{id}", tag = "auth", operation_id = "revokeConnectedApp",
    params(("id" = Uuid, Path, description = "The grant's session id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Only a login may disconnect apps (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn revoke_connected_app(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
    SessionId(id): SessionId,
) -> Result<StatusCode, ApiError> {
    revoke(&state, &caller, id, SessionKind::ConnectedApp, "app").await
}

/// Revoke a personal access token: it is refused from now on.
#[utoipa::path(delete, path = "/api/auth/tokens/{id}", tag = "auth", operation_id = "revokePersonalToken",
    params(("id" = Uuid, Path, description = "The token's session id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Only a login may revoke tokens (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn revoke_personal_token(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
    SessionId(id): SessionId,
) -> Result<StatusCode, ApiError> {
    revoke(&state, &caller, id, SessionKind::PersonalToken, "token").await
}
