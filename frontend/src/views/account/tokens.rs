//! The Personal access tokens section: the live tokens with a Revoke
//! button each, the form that creates one, and, in the answer to that
//! form only, the new token itself with how to use it.

use leptos::prelude::*;
use todo_api::{PersonalTokenCreated, Session, limits};

use super::{AccountNotice, FormState, Outcome, form_alert, moment, notice_in};
use crate::forms::{SCOPE_READ_ONLY, SCOPE_READ_WRITE, TokenForm};
use crate::views::fields::{Input, field_error, invalid};

/// The scopes a token may have, as offered.
const SCOPES: [(&str, &str, &str); 2] = [
    (
        SCOPE_READ_ONLY,
        "Read only (tasks:read)",
        "Can list and read tasks, nothing else.",
    ),
    (
        SCOPE_READ_WRITE,
        "Read and write (tasks:read tasks:write)",
        "Can also add, change and delete tasks.",
    ),
];

/// The lifetimes offered, in days.
const EXPIRY_CHOICES: [(u32, &str); 5] = [
    (7, "7 days"),
    (30, "30 days"),
    (90, "90 days"),
    (180, "180 days"),
    (limits::TOKEN_EXPIRY_MAX_DAYS, "1 year"),
];

pub fn section(
    tokens: &[Session],
    public_origin: Option<&str>,
    outcome: &Outcome,
) -> impl IntoView + use<> {
    let notice = notice_in(outcome, |n| n == AccountNotice::TokenRevoked);
    let created = outcome
        .new_token
        .as_ref()
        .map(|created| new_token(created, public_origin));
    let list = if tokens.is_empty() {
        view! { <p class="muted" id="no-tokens">"No tokens yet."</p> }.into_any()
    } else {
        let rows = tokens.iter().map(row).collect_view();
        view! { <ul class="credentials" aria-labelledby="tokens-title">{rows}</ul> }.into_any()
    };
    view! {
        <section class="card" id="tokens" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"Personal access tokens"</h2>
            <p class="section-intro">
                "For scripts and MCP clients that cannot log in with a password. "
                "A token works until it expires or you revoke it."
            </p>
            {notice}
            {created}
            {list}
            {create_form(&outcome.token_draft, &outcome.token_form)}
        </section>
    }
}

/// The token, this once: the server keeps only its hash.
fn new_token(created: &PersonalTokenCreated, public_origin: Option<&str>) -> impl IntoView + use<> {
    let token = created.token.clone();
    let name = created.session.name.clone().unwrap_or_default();
    let heading = format!("Your new token “{name}”");
    let mcp = match public_origin {
        Some(origin) => format!("{origin}/mcp"),
        None => "/mcp on this site".to_owned(),
    };
    view! {
        <section class="new-token" aria-labelledby="new-token-title">
            <h3 id="new-token-title">{heading}</h3>
            <p class="new-token-warning">
                <strong>"Copy it now: it will not be shown again."</strong>
                " Only a fingerprint of it is kept, so nobody can show it to you later. "
                "If you lose it, revoke it and create another."
            </p>
            <div class="field">
                <label for="new-token-value">"Token"</label>
                <input
                    type="text"
                    id="new-token-value"
                    class="token-value"
                    readonly
                    value=token
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="new-token-usage"
                />
            </div>
            <p id="new-token-usage" class="field-hint">
                "Send it with each request as the header "
                <code>"Authorization: Bearer <token>"</code>
                ", for example from an MCP client connected to "
                <code>{mcp}</code>
                " (when your operators publish it) or from a script calling the API."
            </p>
        </section>
    }
}

fn row(token: &Session) -> impl IntoView + use<> {
    let name = token.name.clone().unwrap_or_else(|| "Unnamed".to_owned());
    let scope = scope_label(&token.scope);
    let id = format!("token-{}", token.id);
    let revoke = format!("/account/tokens/{}/revoke#tokens", token.id);
    let label = format!("Revoke token “{name}”");
    view! {
        <li class="credential" id=id>
            <div class="credential-body">
                <p class="credential-name">{name} " " <span class="badge badge-scope">{scope}</span></p>
                <dl class="credential-times">
                    <div>
                        <dt>"Created"</dt>
                        <dd>{moment(token.created_at)}</dd>
                    </div>
                    <div>
                        <dt>"Last used"</dt>
                        <dd>{moment(token.last_used_at)}</dd>
                    </div>
                    <div>
                        <dt>"Expires"</dt>
                        <dd>{moment(token.expires_at)}</dd>
                    </div>
                </dl>
            </div>
            <form method="post" action=revoke class="credential-action">
                <button type="submit" class="button button-small button-danger" aria-label=label>
                    "Revoke"
                </button>
            </form>
        </li>
    }
}

/// "Read only" or "Read and write", from the stored scope words.
fn scope_label(scope: &str) -> &'static str {
    if scope.split_whitespace().any(|word| word == "tasks:write") {
        "Read and write"
    } else {
        "Read only"
    }
}

fn create_form(draft: &TokenForm, state: &FormState) -> impl IntoView + use<> {
    let errors = &state.errors;
    let alert = form_alert(state);
    // A scope can only be wrong in a crafted post; the message is still
    // tied to the group.
    let (_, scope_described) = invalid("scope", errors);
    let chosen_scope = draft.scope.trim().to_owned();
    let scopes = SCOPES
        .iter()
        .enumerate()
        .map(|(i, (value, label, hint))| {
            let id = format!("scope-{i}");
            let hint_id = format!("scope-{i}-hint");
            let checked = chosen_scope == *value;
            view! {
                <div class="choice">
                    <input
                        type="radio"
                        id=id.clone()
                        name="scope"
                        value=*value
                        checked=checked
                        aria-describedby=hint_id.clone()
                    />
                    <label for=id>{*label}</label>
                    <p class="field-hint" id=hint_id>{*hint}</p>
                </div>
            }
        })
        .collect_view();
    let (days_invalid, days_described) = invalid("expires_in_days", errors);
    let chosen_days = draft.expires_in_days.trim().to_owned();
    let days = EXPIRY_CHOICES
        .iter()
        .map(|(days, label)| {
            let value = days.to_string();
            let selected = chosen_days == value;
            view! { <option value=value selected=selected>{*label}</option> }
        })
        .collect_view();
    view! {
        <h3 id="create-token-title">"Create a token"</h3>
        {alert}
        <form method="post" action="/account/tokens#tokens" class="stack" novalidate aria-labelledby="create-token-title">
            {Input::text("name", "Token name", &draft.name)
                .required()
                .maxlength(limits::TOKEN_NAME_MAX_CHARS)
                .hint("What will use it, e.g. “MCP client on my laptop”.")
                .render(errors)}
            <fieldset class="field choices" aria-describedby=scope_described>
                <legend>"Access"</legend>
                {scopes}
                {field_error("scope", errors)}
            </fieldset>
            <div class="field">
                <label for="expires_in_days">"Expires after"</label>
                <select
                    id="expires_in_days"
                    name="expires_in_days"
                    aria-invalid=days_invalid
                    aria-describedby=days_described
                >
                    {days}
                </select>
                {field_error("expires_in_days", errors)}
            </div>
            <div class="actions-row">
                <button type="submit" class="button button-primary" id="create-token">"Create token"</button>
            </div>
        </form>
    }
}
