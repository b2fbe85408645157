//! The visitor's session: the backend's JWT, kept only in an HttpOnly,
//! SameSite=Lax cookie, and the backend client acting for the visitor.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use todo_api::ApiClient;

use crate::state::AppState;

pub const SESSION_COOKIE: &str = "todo_session";

/// Anyone: a backend client that forwards the visitor's address (so the
/// backend rate-limits logins per visitor, not per frontend Pod), plus the
/// session token when there is one.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub api: ApiClient,
    pub token: Option<String>,
}

/// A visitor with a session cookie; without one the request is sent to
/// the login page. Whether the token is still valid the backend decides
/// (an expired one ends in [`crate::error::PageError::SessionExpired`]).
#[derive(Debug, Clone)]
pub struct Session {
    pub api: ApiClient,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty());
        let mut api = state.api.clone();
        if let Some(address) = visitor_address(parts, state.config.server.trusted_proxy_hops) {
            api = api.forwarded_for(address.to_string());
        }
        Ok(Visitor { api, token })
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(visitor) = Visitor::from_request_parts(parts, state).await;
        match visitor.token {
            Some(token) => Ok(Session {
                api: visitor.api.with_token(token),
            }),
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

/// The visitor's address, passed on to the backend as the only
/// `X-Forwarded-For` entry (the backend trusts one hop: this frontend):
/// the TCP peer, or behind `trusted_hops` proxies the client they name.
fn visitor_address(parts: &Parts, trusted_hops: u8) -> Option<std::net::IpAddr> {
    let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
    Some(todo_service::client_address::client_ip(
        &parts.headers,
        peer.ip(),
        trusted_hops,
    ))
}

/// The cookie that starts a session. No `Max-Age`: the browser forgets it
/// when it closes, and the backend's token expiry bounds it anyway.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// A cookie that makes the browser drop the session.
pub fn cleared_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), secure);
    cookie.make_removal();
    cookie
}
