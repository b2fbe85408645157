//! The visitor's session: the backend's JWT, kept only in an HttpOnly,
//! SameSite=Lax cookie (Secure and `__Host-`-named unless the site is
//! served over plain http), and the backend client acting for the visitor.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use todo_api::ApiClient;

use crate::state::AppState;

/// The session cookie's name on a site served over plain http.
pub const SESSION_COOKIE: &str = "todo_session";
/// Its name when it is `Secure`: browsers accept a `__Host-` cookie only
/// with `Secure`, `Path=/` and no `Domain`, so neither a plain-http page
/// nor a sibling subdomain can plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-todo_session";

/// What the browser sends back with every request (`User-Agent`) is cut
/// to this many characters before it is passed on; the backend keeps 256.
const USER_AGENT_MAX_CHARS: usize = 256;

/// The session cookie's name for this configuration. Only this name is
/// read: a `todo_session` cookie is not a session on a Secure site.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Anyone: a backend client that forwards the visitor's address (so the
/// backend rate-limits logins per visitor, not per frontend Pod), plus the
/// session token when there is one.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub api: ApiClient,
    pub token: Option<String>,
    /// The browser's `User-Agent`, which names a session it opens.
    pub user_agent: Option<String>,
}

impl Visitor {
    /// The backend client for logging in or signing up: it also passes on
    /// the browser's `User-Agent`, so the account page can tell sessions
    /// apart.
    pub fn opening_a_session(&self) -> ApiClient {
        match &self.user_agent {
            Some(user_agent) => self.api.with_user_agent(user_agent.clone()),
            None => self.api.clone(),
        }
    }
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
            .get(session_cookie_name(state.config.cookie_secure))
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty());
        let mut api = state.api.clone();
        if let Some(address) = visitor_address(parts, state.config.server.trusted_proxy_hops) {
            api = api.forwarded_for(address.to_string());
        }
        // `to_str` accepts only visible ASCII, which is also exactly what
        // the backend client can send on as a header again.
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|text| {
                text.trim()
                    .chars()
                    .take(USER_AGENT_MAX_CHARS)
                    .collect::<String>()
            })
            .filter(|text| !text.is_empty());
        Ok(Visitor {
            api,
            token,
            user_agent,
        })
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
            None => Err(Redirect::to(crate::paths::LOGIN).into_response()),
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
/// when it closes, and the backend's token expiry bounds it anyway. No
/// `Domain`, `Path=/`: what the `__Host-` name requires.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((session_cookie_name(secure), token))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secure_cookie_carries_the_host_prefix_and_its_requirements() {
        let cookie = session_cookie("t".into(), true).to_string();
        assert!(cookie.starts_with("__Host-todo_session=t;"), "{cookie}");
        for part in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
        assert!(!cookie.contains("Domain"), "{cookie}");
        let plain = session_cookie("t".into(), false).to_string();
        assert!(plain.starts_with("todo_session=t;"), "{plain}");
        assert!(!plain.contains("Secure"), "{plain}");
    }

    #[test]
    fn clearing_names_the_same_cookie() {
        for secure in [true, false] {
            let cleared = cleared_cookie(secure);
            assert_eq!(cleared.name(), session_cookie_name(secure));
            assert_eq!(cleared.value(), "");
            assert_eq!(cleared.secure(), Some(secure));
        }
    }
}
