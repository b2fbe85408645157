//! OAuth 2.1 for MCP clients: the authorization code flow with PKCE
//! (RFC 6749 §4.1, RFC 7636 S256 only, RFC 8707 resource indicators).
//!
//! The authorization request is checked here, once, by the frontend (to
//! show the consent screen, or send the error back to the client) and by
//! the backend (which checks it again before it issues a code: the page
//! is only a view). The bodies they exchange are here too.

use reqwest::Url;
use serde::{Deserialize, Serialize};

/// Longest accepted parameter (a redirect URI, a state): bounds what one
/// request can make the servers hold and echo.
pub const PARAMETER_MAX_CHARS: usize = 2000;
/// Redirect URIs one client may register.
pub const REDIRECT_URIS_MAX: usize = 5;
/// The scopes an MCP client may ask for, as the metadata lists them.
pub const SCOPES_SUPPORTED: [&str; 2] = ["tasks:read", "tasks:write"];

/// A registered client as the authorization page shows it
/// (`GET /oauth/clients/{client_id}` on the backend).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    /// As the client registered it: shown to the user, never trusted.
    pub client_name: String,
    pub redirect_uris: Vec<String>,
}

/// The authorization request's query parameters, as the client sent them.
/// Also the body of the frontend's `POST /oauth/authorize` to the backend
/// (with the user's login token) once the user has allowed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub resource: Option<String>,
}

/// A request that passed every check: what the user is asked to allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether the client may change tasks (`tasks:write`); reading is
    /// always part of a grant.
    pub write: bool,
    pub state: Option<String>,
    pub code_challenge: String,
}

impl AuthorizationRequest {
    /// The granted scope in words, e.g. `tasks:read tasks:write`.
    pub fn scope(&self) -> &'static str {
        if self.write {
            "tasks:read tasks:write"
        } else {
            "tasks:read"
        }
    }
}

/// Why a request cannot be authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationError {
    /// The client or its redirect URI cannot be trusted: the user is told,
    /// and nothing is sent anywhere (RFC 6749 §4.1.2.1).
    Unredirectable(&'static str),
    /// Sent back to the client's redirect URI as `error` (RFC 6749
    /// §4.1.2.1's codes, RFC 8707's `invalid_target`).
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

impl AuthorizationError {
    /// Where the user's browser goes for a redirectable error.
    pub fn redirect_url(&self, issuer: &str) -> Option<String> {
        match self {
            Self::Unredirectable(_) => None,
            Self::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => Some(redirect_with(
                redirect_uri,
                &[
                    ("error", error),
                    ("error_description", description),
                    ("state", state.as_deref().unwrap_or_default()),
                    ("iss", issuer),
                ],
            )),
        }
    }
}

impl AuthorizationParams {
    /// Checks the request against the client it names (fetched by its
    /// `client_id`) and this server's `resource` (the URL of `/mcp`).
    /// Redirect URIs are compared exactly, character for character.
    pub fn check(
        &self,
        client: &OAuthClient,
        resource: &str,
    ) -> Result<AuthorizationRequest, AuthorizationError> {
        if self.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Err(AuthorizationError::Unredirectable(
                "the request names no client, or another one",
            ));
        }
        let Some(redirect_uri) = self
            .redirect_uri
            .as_ref()
            .filter(|uri| client.redirect_uris.contains(uri))
        else {
            return Err(AuthorizationError::Unredirectable(
                "the redirect_uri is missing or is not one the client registered",
            ));
        };
        let refuse = |error: &'static str, description: &str| AuthorizationError::Redirect {
            redirect_uri: redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: self.state.clone(),
        };
        let too_long = [
            &self.scope,
            &self.state,
            &self.code_challenge,
            &self.resource,
        ]
        .into_iter()
        .flatten()
        .any(|value| value.chars().count() > PARAMETER_MAX_CHARS);
        if too_long {
            return Err(refuse("invalid_request", "a parameter is too long"));
        }
        if self.response_type.as_deref() != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        if self.code_challenge_method.as_deref() != Some("S256") {
            return Err(refuse(
                "invalid_request",
                "PKCE is required, with code_challenge_method=S256",
            ));
        }
        let Some(code_challenge) = self.code_challenge.clone().filter(|c| is_pkce_value(c)) else {
            return Err(refuse(
                "invalid_request",
                "code_challenge must be 43–128 characters of A-Z a-z 0-9 - . _ ~",
            ));
        };
        let write = match self.scope.as_deref().map(str::trim) {
            // No scope: everything the server offers, as the metadata says.
            None | Some("") => true,
            Some(scope) => {
                let mut write = false;
                for word in scope.split_ascii_whitespace() {
                    match word {
                        "tasks:read" => {}
                        "tasks:write" => write = true,
                        _ => {
                            return Err(refuse(
                                "invalid_scope",
                                "the scopes are tasks:read and tasks:write",
                            ));
                        }
                    }
                }
                write
            }
        };
        if let Some(asked) = &self.resource
            && !names_resource(asked, resource)
        {
            return Err(refuse(
                "invalid_target",
                "the resource must be this server's MCP endpoint",
            ));
        }
        Ok(AuthorizationRequest {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            write,
            state: self.state.clone(),
            code_challenge,
        })
    }
}

/// The answer to the frontend's `POST /oauth/authorize`: where the
/// browser goes next, the code (and `state`, `iss`) in its query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationGranted {
    pub redirect_to: String,
}

/// `redirect_uri` with `parameters` added to its query (empty values
/// left out); the URI was registered, so it parses.
pub fn redirect_with(redirect_uri: &str, parameters: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in parameters.iter().filter(|(_, value)| !value.is_empty()) {
            query.append_pair(name, value);
        }
    }
    url.into()
}

/// Whether a client's `resource` parameter (RFC 8707) names `resource`,
/// this server's `/mcp`: the same URL (a trailing slash aside), or, for a
/// server on this machine, the same scheme, port and path on another
/// loopback name (`localhost` for `127.0.0.1`), as local clients write it.
pub fn names_resource(asked: &str, resource: &str) -> bool {
    let asked = asked.trim_end_matches('/');
    if asked == resource {
        return true;
    }
    let loopback = |url: &Url| matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match (Url::parse(asked), Url::parse(resource)) {
        (Ok(a), Ok(r)) => {
            loopback(&a)
                && loopback(&r)
                && a.scheme() == r.scheme()
                && a.port_or_known_default() == r.port_or_known_default()
                && a.path().trim_end_matches('/') == r.path()
                && a.query().is_none()
        }
        _ => false,
    }
}

/// RFC 7636 §4.1: a code verifier (and an S256 challenge) is 43–128
/// characters of the unreserved set.
pub fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOURCE: &str = "https://todo.example/mcp";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn client() -> OAuthClient {
        OAuthClient {
            client_id: "c1".into(),
            client_name: "Inspector".into(),
            redirect_uris: vec!["http://127.0.0.1:6274/callback".into()],
        }
    }

    fn params() -> AuthorizationParams {
        AuthorizationParams {
            response_type: Some("code".into()),
            client_id: Some("c1".into()),
            redirect_uri: Some("http://127.0.0.1:6274/callback".into()),
            scope: Some("tasks:read".into()),
            state: Some("xyz".into()),
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            resource: Some(RESOURCE.into()),
        }
    }

    fn error_of(params: AuthorizationParams) -> &'static str {
        match params.check(&client(), RESOURCE).unwrap_err() {
            AuthorizationError::Redirect { error, .. } => error,
            AuthorizationError::Unredirectable(_) => "unredirectable",
        }
    }

    #[test]
    fn a_complete_request_passes() {
        let request = params().check(&client(), RESOURCE).unwrap();
        assert!(!request.write);
        assert_eq!(request.scope(), "tasks:read");
        let everything = AuthorizationParams {
            scope: None,
            resource: None,
            ..params()
        };
        assert!(everything.check(&client(), RESOURCE).unwrap().write);
    }

    #[test]
    fn an_untrusted_redirect_is_never_followed() {
        for redirect in [
            None,
            Some("http://127.0.0.1:6274/callbac"),
            Some("http://127.0.0.1:6274/callback/"),
        ] {
            let params = AuthorizationParams {
                redirect_uri: redirect.map(str::to_owned),
                ..params()
            };
            assert_eq!(error_of(params), "unredirectable", "{redirect:?}");
        }
        let other_client = AuthorizationParams {
            client_id: Some("c2".into()),
            ..params()
        };
        assert_eq!(error_of(other_client), "unredirectable");
    }

    #[test]
    fn each_bad_parameter_has_its_error() {
        let with = |change: fn(&mut AuthorizationParams)| {
            let mut params = params();
            change(&mut params);
            error_of(params)
        };
        assert_eq!(
            with(|p| p.response_type = Some("token".into())),
            "unsupported_response_type"
        );
        assert_eq!(
            with(|p| p.code_challenge_method = Some("plain".into())),
            "invalid_request"
        );
        assert_eq!(with(|p| p.code_challenge = None), "invalid_request");
        assert_eq!(
            with(|p| p.code_challenge = Some("short".into())),
            "invalid_request"
        );
        assert_eq!(
            with(|p| p.scope = Some("tasks:read admin".into())),
            "invalid_scope"
        );
        assert_eq!(
            with(|p| p.resource = Some("https://evil.example/mcp".into())),
            "invalid_target"
        );
        assert_eq!(
            with(|p| p.state = Some("s".repeat(PARAMETER_MAX_CHARS + 1))),
            "invalid_request"
        );
    }

    #[test]
    fn a_local_server_is_named_by_any_loopback_name() {
        let local = "http://127.0.0.1:8080/mcp";
        assert!(names_resource("http://localhost:8080/mcp", local));
        assert!(names_resource("http://127.0.0.1:8080/mcp/", local));
        assert!(!names_resource("http://localhost:8081/mcp", local));
        assert!(!names_resource("http://localhost:8080/other", local));
        assert!(!names_resource("https://todo.example/mcp", local));
        assert!(!names_resource(
            "https://todo.example.evil/mcp",
            "https://todo.example/mcp"
        ));
        assert!(names_resource(
            "https://todo.example/mcp",
            "https://todo.example/mcp"
        ));
    }

    #[test]
    fn errors_go_back_with_state_and_issuer() {
        let mut bad = params();
        bad.scope = Some("everything".into());
        let url = bad
            .check(&client(), RESOURCE)
            .unwrap_err()
            .redirect_url("https://todo.example")
            .unwrap();
        assert_eq!(
            url,
            "http://127.0.0.1:6274/callback?error=invalid_scope&error_description=the+scopes+are+tasks%3Aread+and+tasks%3Awrite&state=xyz&iss=https%3A%2F%2Ftodo.example"
        );
        assert_eq!(
            redirect_with(
                "https://app.example/cb?x=1",
                &[("code", "a b"), ("state", "")]
            ),
            "https://app.example/cb?x=1&code=a+b"
        );
    }
}
