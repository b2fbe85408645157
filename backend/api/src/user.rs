//! Account bodies: sign-up, login, the user, the token answer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    /// Always stored and returned lower-cased.
    pub email: String,
    pub name: String,
    /// An IANA time zone name, e.g. `Europe/Berlin`: due times, "today"
    /// and reminders are read in it. `UTC` unless the user chose one
    /// (and from a server older than time zones, as a frontend may read
    /// during a rolling upgrade).
    #[serde(default = "utc")]
    pub time_zone: String,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
}

fn utc() -> String {
    "UTC".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupRequest {
    pub email: String,
    /// 8–128 characters.
    pub password: String,
    /// 1–100 characters after trimming.
    pub name: String,
    /// An IANA time zone name (a browser's
    /// `Intl.DateTimeFormat().resolvedOptions().timeZone`); `UTC` when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// Body of `PATCH /api/auth/me`: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileChange {
    /// 1–100 characters after trimming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An IANA time zone name, e.g. `America/New_York`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// `GET /api/auth/calendar-feed`: whether the caller has a calendar feed.
/// Its address holds a secret shown only when it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarFeed {
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
}

/// Answer of `POST /api/auth/calendar-feed`: a new secret feed address,
/// which replaces any earlier one (that one answers 404 from now on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarFeedCreated {
    /// The secret, shown this once (only its hash is kept).
    pub token: String,
    /// `/calendar/<token>.ics`, on the app's public address: subscribe to
    /// it from a calendar app. `?components=todo` lists to-dos instead of
    /// events.
    pub path: String,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    /// HS256 JWT; send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: User,
}

/// Body of `POST /api/auth/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    /// 8–128 characters.
    pub new_password: String,
}

/// Body of `DELETE /api/auth/me`: the account's password, to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDeletion {
    pub password: String,
}

wire_enum!(
    /// What a credential may do. A login holds both; a personal access
    /// token holds `tasks:read`, or `tasks:read` and `tasks:write`.
    Scope {
        #[serde(rename = "tasks:read")]
        TasksRead => "tasks:read",
        #[serde(rename = "tasks:write")]
        TasksWrite => "tasks:write",
    }
);

wire_enum!(
    /// How a session was opened.
    SessionKind {
        /// With email and password (the web UI, the API).
        Login => "login",
        /// A personal access token, for clients that cannot log in.
        PersonalToken => "personal_token",
        /// An app the user connected through OAuth (an MCP client): its
        /// tokens work at `/mcp` only.
        ConnectedApp => "connected_app",
    }
);

/// A session of the caller's: a login or a personal access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub id: Uuid,
    pub kind: SessionKind,
    /// A personal access token's name; `null` for a login.
    pub name: Option<String>,
    /// Space-separated, e.g. `tasks:read tasks:write`.
    pub scope: String,
    /// The browser or client that logged in, as it said.
    pub user_agent: Option<String>,
    /// Whether this is the session the request was made with.
    pub current: bool,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub last_used_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/auth/sessions` and `GET /api/auth/tokens`: the caller's
/// sessions of that kind that are neither revoked nor expired, newest
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionList {
    pub items: Vec<Session>,
}

/// `POST /api/auth/sessions/revoke-others`: how many were logged out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokedSessions {
    pub revoked: u64,
}

/// Body of `POST /api/auth/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPersonalToken {
    /// 1–100 characters once trimmed, e.g. "kubectl-ai on my laptop".
    pub name: String,
    /// `tasks:read`, or `tasks:read tasks:write`.
    pub scope: String,
    /// 1–365.
    pub expires_in_days: u32,
}

/// Answer of `POST /api/auth/tokens`: the token, shown this once (only
/// its hash is kept), and its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalTokenCreated {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub session: Session,
}
