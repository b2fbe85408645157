//! Who a request acts for (the bearer credential's user and session),
//! what it may do, and where it comes from.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use todo_api::{Scope, SessionKind};
use uuid::Uuid;

use super::{Authenticator, UserBudgets};
use crate::domain::Scopes;
use crate::error::ApiError;

/// The authenticated user a request acts for, from its bearer credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    /// The session the credential names.
    pub session_id: Uuid,
    pub kind: SessionKind,
    pub scopes: Scopes,
}

impl Caller {
    /// 403 `insufficient_scope` unless the credential may change tasks.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.scopes.write {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope {
                needed: Scope::TasksWrite,
            })
        }
    }

    /// 403 `insufficient_scope` unless the credential is a login: a
    /// personal access token never manages the account (its sessions,
    /// tokens, password), so a leaked one cannot mint more or lock the
    /// owner out.
    pub fn require_login(&self) -> Result<(), ApiError> {
        if self.kind == SessionKind::Login {
            Ok(())
        } else {
            Err(ApiError::LoginRequired)
        }
    }
}

/// The bearer credential of a request: `Authorization: Bearer <token>`.
pub fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("missing Authorization header"))?;
    header
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ))
}

/// Needs only the authenticator of whatever state the router carries.
impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Arc<Authenticator>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        Arc::<Authenticator>::from_ref(state)
            .authenticate(token)
            .await
    }
}

/// Declares an extractor of a [`Caller`] that must pass `$require`.
macro_rules! caller_who {
    ($(#[$meta:meta])* $name:ident, $require:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub Caller);

        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            Arc<Authenticator>: FromRef<S>,
        {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                let caller = Caller::from_request_parts(parts, state).await?;
                caller.$require()?;
                Ok($name(caller))
            }
        }
    };
}

/// A caller whose credential may change tasks (403 otherwise), charged
/// one write of their budget (429 with Retry-After once it is spent).
#[derive(Debug, Clone, Copy)]
pub struct Writer(pub Caller);

impl<S> FromRequestParts<S> for Writer
where
    S: Send + Sync,
    Arc<Authenticator>: FromRef<S>,
    Arc<UserBudgets>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_write()?;
        Arc::<UserBudgets>::from_ref(state)
            .write(caller.user_id, 1)
            .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
        Ok(Writer(caller))
    }
}

caller_who!(
    /// A caller logged in with a password (403 for a personal access token).
    AccountHolder,
    require_login
);

/// The address a request came from, as the limiters key it: the TCP
/// peer, or behind `trusted_hops` proxies the client they name.
pub fn client_ip(parts: &Parts, trusted_hops: u8) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    todo_service::client_address::client_ip(&parts.headers, peer, trusted_hops)
}
