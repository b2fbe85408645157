//! The authorization page of the OAuth flow MCP clients start (the
//! backend serves the rest: metadata, registration, tokens). `GET` checks
//! the request (with the same rules the backend applies again), sends a
//! visitor without a session to the login page and back, and shows the
//! consent screen; `POST` is the user's answer: Allow asks the backend
//! for a code, Deny sends `access_denied`; either way the browser goes
//! back to the client's registered redirect URI.
//!
//! Cross-site forgery: the POST passes the same-origin guard every form
//! does (and the session cookie is `SameSite=Lax`); clickjacking: every
//! page, this one included, forbids framing (`frame-ancestors 'none'`).

use axum::extract::{Query, RawQuery};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use todo_api::oauth::{AuthorizationError, AuthorizationParams, AuthorizationRequest, OAuthClient};
use todo_api::{ApiClient, ClientError, ErrorCode};

use crate::error::PageError;
use crate::extract::PageForm;
use crate::paths;
use crate::session::Visitor;
use crate::views::errors::error_page;
use crate::views::oauth::consent_page;

/// The longest query the page accepts (every parameter is bounded by the
/// shared rules; this bounds the whole).
const QUERY_MAX_BYTES: usize = 8 * 1024;

/// What the backend says about itself as a protected resource.
struct Resource {
    /// The URL of `/mcp`.
    resource: String,
    issuer: String,
}

async fn resource(api: &ApiClient) -> Result<Resource, PageError> {
    let metadata = api.protected_resource_metadata().await?;
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    match (
        text(&metadata["resource"]),
        text(&metadata["authorization_servers"][0]),
    ) {
        (Some(resource), Some(issuer)) => Ok(Resource { resource, issuer }),
        _ => Err(PageError::Backend(
            "the protected resource metadata names no resource or issuer".into(),
        )),
    }
}

/// The request checked: the client it names, what it asks, and the
/// backend's issuer; or the answer to give instead (an error page, or the
/// client's redirect URI with the error).
async fn checked(
    api: &ApiClient,
    params: &AuthorizationParams,
) -> Result<(OAuthClient, AuthorizationRequest, String), Response> {
    let refuse = |reason: &str| {
        error_page(
            StatusCode::BAD_REQUEST,
            "This link cannot connect an app",
            &format!(
                "The app that sent you here made a request this site cannot accept ({reason}). Nothing was shared. Go back to the app and try connecting again."
            ),
        )
    };
    let Some(client_id) = params.client_id.as_deref().filter(|id| !id.is_empty()) else {
        return Err(refuse("it names no app"));
    };
    let client = match api.oauth_client(client_id).await {
        Ok(client) => client,
        Err(error) if error.status() == Some(StatusCode::NOT_FOUND) => {
            return Err(refuse("the app is not registered here"));
        }
        Err(error) => return Err(PageError::from(error).into_response()),
    };
    let Resource { resource, issuer } = resource(api).await.map_err(IntoResponse::into_response)?;
    match params.check(&client, &resource) {
        Ok(request) => Ok((client, request, issuer)),
        Err(AuthorizationError::Unredirectable(reason)) => Err(refuse(reason)),
        Err(error) => {
            let back = error.redirect_url(&issuer).expect("a redirectable error");
            Err(Redirect::to(&back).into_response())
        }
    }
}

/// `GET /oauth/authorize`: the consent screen.
pub async fn authorize_page(
    visitor: Visitor,
    RawQuery(raw): RawQuery,
    Query(params): Query<AuthorizationParams>,
) -> Response {
    let raw = raw.unwrap_or_default();
    if raw.len() > QUERY_MAX_BYTES {
        return error_page(
            StatusCode::URI_TOO_LONG,
            "This link is too long",
            "The app that sent you here made a request longer than this site accepts.",
        );
    }
    let (client, request, _) = match checked(&visitor.api, &params).await {
        Ok(checked) => checked,
        Err(answer) => return answer,
    };
    let login = || {
        let next = format!("{}?{raw}", paths::OAUTH_AUTHORIZE);
        Redirect::to(&format!("{}?next={}", paths::LOGIN, encode(&next))).into_response()
    };
    let Some(token) = &visitor.token else {
        return login();
    };
    let user = match visitor.api.with_token(token).me().await {
        Ok(user) => user,
        // The session ended: log in again, and come back here.
        Err(error) if error.status() == Some(StatusCode::UNAUTHORIZED) => return login(),
        Err(error) => return PageError::from(error).into_response(),
    };
    let mut page = Html(consent_page(&user, &client, &request, &params)).into_response();
    // Browsers apply `form-action` to where the form's answer redirects:
    // the client's redirect URI must be allowed, on this page only.
    page.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        consent_policy(&request.redirect_uri),
    );
    page
}

/// `POST /oauth/authorize`: the user's answer.
#[derive(Debug, Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    params: AuthorizationParams,
    decision: String,
}

pub async fn decide(
    visitor: Visitor,
    PageForm(form): PageForm<Decision>,
) -> Result<Response, PageError> {
    let Some(token) = &visitor.token else {
        return Ok(Redirect::to(paths::LOGIN).into_response());
    };
    let (_, request, issuer) = match checked(&visitor.api, &form.params).await {
        Ok(checked) => checked,
        Err(answer) => return Ok(answer),
    };
    if form.decision != "allow" {
        let denied = AuthorizationError::Redirect {
            redirect_uri: request.redirect_uri,
            error: "access_denied",
            description: "the user did not allow the app".into(),
            state: request.state,
        };
        let back = denied.redirect_url(&issuer).expect("a redirectable error");
        return Ok(Redirect::to(&back).into_response());
    }
    match visitor.api.with_token(token).authorize(&form.params).await {
        Ok(granted) => Ok(Redirect::to(&granted.redirect_to).into_response()),
        Err(ClientError::Api { body, .. }) if body.error.code == ErrorCode::ValidationFailed => {
            Ok(error_page(
                StatusCode::BAD_REQUEST,
                "This link cannot connect an app",
                "The app's request is no longer valid. Nothing was shared. Go back to the app and try connecting again.",
            ))
        }
        Err(error) => Err(error.into()),
    }
}

/// The site's policy, with the client's redirect URI as a form target.
fn consent_policy(redirect_uri: &str) -> HeaderValue {
    let target = match reqwest::Url::parse(redirect_uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url.origin().ascii_serialization(),
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => String::new(),
    };
    let policy = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' {target}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"))
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consent_page_may_send_its_answer_to_the_client_only() {
        let policy = consent_policy("https://claude.ai/api/mcp/auth_callback");
        let policy = policy.to_str().unwrap();
        assert!(
            policy.contains("form-action 'self' https://claude.ai;"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        let native = consent_policy("http://127.0.0.1:33418/callback");
        assert!(
            native
                .to_str()
                .unwrap()
                .contains("form-action 'self' http://127.0.0.1:33418;")
        );
        let app = consent_policy("cursor://anysphere.cursor-retrieval/oauth/callback");
        assert!(
            app.to_str()
                .unwrap()
                .contains("form-action 'self' cursor:;")
        );
    }
}
