//! The OAuth 2.1 authorization server MCP clients log in through (the MCP
//! authorization spec, revision 2025-11-25): discovery documents (RFC 9728
//! protected resource metadata, RFC 8414 authorization server metadata),
//! dynamic client registration (RFC 7591), and the token endpoint for the
//! authorization code (with PKCE, RFC 7636, S256 only) and refresh token
//! grants. The authorization page itself, login and consent, is the
//! frontend's; it asks this backend for a code once the user allows.
//!
//! A grant is a session of kind `connected_app`: its access tokens are
//! short-lived JWTs naming it, bound to the `/mcp` resource (RFC 8707:
//! their audience is its URL, so `/api` refuses them), and its refresh
//! tokens rotate on every use; a refresh token used twice revokes it.

pub mod metadata;
pub mod pkce;

use std::time::Duration;

/// How long an authorization code may wait for its exchange.
pub const CODE_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// How long an access token works.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a grant lives without being refreshed; each refresh extends it.
pub const GRANT_TTL: chrono::Duration = chrono::Duration::days(30);

/// Where this server is, as clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// The backend's public origin: the issuer, and the base of `/mcp`,
    /// the metadata and the token endpoints.
    pub issuer: String,
    /// The frontend's authorization page.
    pub authorize_url: String,
}

impl OAuthSettings {
    /// The protected resource: the URL of `/mcp`, the audience of every
    /// access token.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.issuer)
    }

    /// Where the resource's metadata is (RFC 9728 §3.1: the well-known
    /// path, then the resource's own path).
    pub fn resource_metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/mcp", self.issuer)
    }
}
