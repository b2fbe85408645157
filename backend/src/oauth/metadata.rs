//! The discovery documents, as plain data.

use serde_json::{Value, json};
use todo_api::oauth::SCOPES_SUPPORTED;

use super::OAuthSettings;

/// RFC 9728: what `/mcp` is, and which authorization server vouches for
/// its tokens.
pub fn protected_resource(settings: &OAuthSettings) -> Value {
    json!({
        "resource": settings.resource(),
        "authorization_servers": [settings.issuer],
        "scopes_supported": SCOPES_SUPPORTED,
        "bearer_methods_supported": ["header"],
        "resource_name": "Todo tasks",
    })
}

/// RFC 8414: how a client registers, sends the user to log in, and gets
/// tokens.
pub fn authorization_server(settings: &OAuthSettings) -> Value {
    let issuer = &settings.issuer;
    json!({
        "issuer": issuer,
        "authorization_endpoint": settings.authorize_url,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "registration_endpoint": format!("{issuer}/oauth/register"),
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documents_point_at_each_other() {
        let settings = OAuthSettings {
            issuer: "https://todo.example".into(),
            authorize_url: "https://todo.example/oauth/authorize".into(),
        };
        let resource = protected_resource(&settings);
        assert_eq!(resource["resource"], "https://todo.example/mcp");
        assert_eq!(resource["authorization_servers"][0], "https://todo.example");
        let server = authorization_server(&settings);
        assert_eq!(server["issuer"], resource["authorization_servers"][0]);
        assert_eq!(server["token_endpoint"], "https://todo.example/oauth/token");
        assert_eq!(server["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(
            settings.resource_metadata_url(),
            "https://todo.example/.well-known/oauth-protected-resource/mcp"
        );
    }
}
