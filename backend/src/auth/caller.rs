//! Who a request acts for (the bearer token's user) and where it comes from.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

use super::{TokenError, TokenKeys};
use crate::error::ApiError;

/// The authenticated user a request acts for, from its bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
}

/// Needs only the token keys of whatever state the router carries.
impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Arc<TokenKeys>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("missing Authorization header"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        let tokens = Arc::<TokenKeys>::from_ref(state);
        match tokens.verify(token) {
            Ok(user_id) => Ok(Caller { user_id }),
            Err(TokenError::Expired) => Err(ApiError::TokenExpired),
            Err(TokenError::Invalid) => Err(ApiError::Unauthorized("the token is not valid")),
        }
    }
}

/// The address a request came from, as the login limiter keys it: the TCP
/// peer, or behind `trusted_hops` proxies the client they name.
pub fn client_ip(parts: &Parts, trusted_hops: u8) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    todo_service::client_address::client_ip(&parts.headers, peer, trusted_hops)
}
