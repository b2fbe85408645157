//! The consent page an MCP client sends the user to: which app, what it
//! asks for, Allow or Deny. Everything the client sent is carried in
//! hidden fields and checked again by the backend when the user allows.

use leptos::prelude::*;
use todo_api::User;
use todo_api::oauth::{AuthorizationParams, AuthorizationRequest, OAuthClient};

use super::layout::document;

/// The request's parameters as hidden fields, so the POST carries exactly
/// what the client asked for.
fn hidden_fields(params: &AuthorizationParams) -> impl IntoView + use<> {
    let fields: Vec<(&'static str, String)> = [
        ("response_type", &params.response_type),
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("scope", &params.scope),
        ("state", &params.state),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
        ("resource", &params.resource),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|value| (name, value)))
    .collect();
    fields
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view()
}

pub fn consent_page(
    user: &User,
    client: &OAuthClient,
    request: &AuthorizationRequest,
    params: &AuthorizationParams,
) -> String {
    let name = client.client_name.clone();
    // Where the browser goes afterwards: shown, so the user sees which
    // site or app receives the access.
    let destination = request.redirect_uri.clone();
    let write = request.write.then(|| {
        view! { <li>"Add, change, complete and delete your tasks"</li> }
    });
    let main = view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">{format!("Connect {name}?")}</h1>
            <p>
                <strong>{name.clone()}</strong>
                " (an app that registered itself; its name is its own claim) asks to use your tasks as "
                <strong>{user.email.clone()}</strong> ":"
            </p>
            <ul class="consent-scopes">
                <li>"See your tasks"</li>
                {write}
            </ul>
            <p class="muted">
                "Afterwards your browser goes to " <code>{destination}</code>
                ". You can disconnect the app at any time on your Account page."
            </p>
            <form method="post" action="/oauth/authorize" class="actions">
                {hidden_fields(params)}
                <button type="submit" name="decision" value="allow" class="button button-primary">
                    "Allow"
                </button>
                <button type="submit" name="decision" value="deny" class="button">
                    "Deny"
                </button>
            </form>
        </section>
    };
    document("Connect an app", Some(user), main)
}
