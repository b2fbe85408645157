//! The login and sign-up pages.

use leptos::prelude::*;
use todo_api::limits;

use super::fields::Input;
use super::layout::document;
use crate::assets;
use crate::forms::FieldErrors;

/// A note at the top of a form: what went wrong as a whole, or news.
#[derive(Debug, Clone)]
pub enum Notice {
    Error(String),
    Info(&'static str),
}

fn notice_view(notice: Option<Notice>) -> impl IntoView {
    notice.map(|notice| match notice {
        Notice::Error(message) => view! {
            <div class="alert alert-error" role="alert">{message}</div>
        }
        .into_any(),
        Notice::Info(message) => view! {
            <div class="alert alert-info" role="status">{message}</div>
        }
        .into_any(),
    })
}

/// `next`: the OAuth authorization page to return to after logging in.
pub fn login_page(
    email: &str,
    errors: &FieldErrors,
    notice: Option<Notice>,
    next: Option<&str>,
) -> String {
    let connecting = next.map(|_| {
        view! {
            <div class="alert alert-info" role="status">
                "Log in to connect an app to your tasks."
            </div>
        }
    });
    let next = next.map(|next| {
        let next = next.to_owned();
        view! { <input type="hidden" name="next" value=next /> }
    });
    let main = view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Log in"</h1>
            {notice_view(notice)}
            {connecting}
            <form method="post" action="/login" class="stack" novalidate>
                {next}
                {Input::text("email", "Email", email)
                    .kind("email")
                    .required()
                    .autocomplete("username")
                    .render(errors)}
                {Input::text("password", "Password", "")
                    .kind("password")
                    .required()
                    .autocomplete("current-password")
                    .render(errors)}
                <button type="submit" class="button button-primary">"Log in"</button>
            </form>
            <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    };
    document("Log in", None, main)
}

/// `time_zone`: as the form last sent it (the script fills it in again).
pub fn signup_page(
    name: &str,
    email: &str,
    time_zone: &str,
    errors: &FieldErrors,
    notice: Option<Notice>,
) -> String {
    let time_zone = time_zone.to_owned();
    let main = view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Create your account"</h1>
            {notice_view(notice)}
            <form method="post" action="/signup" class="stack" novalidate>
                {Input::text("name", "Name", name)
                    .required()
                    .autocomplete("name")
                    .maxlength(limits::NAME_MAX_CHARS)
                    .render(errors)}
                {Input::text("email", "Email", email)
                    .kind("email")
                    .required()
                    .autocomplete("email")
                    .maxlength(limits::EMAIL_MAX_CHARS)
                    .render(errors)}
                {Input::text("password", "Password", "")
                    .kind("password")
                    .required()
                    .autocomplete("new-password")
                    .maxlength(limits::PASSWORD_MAX_CHARS)
                    .hint("At least 8 characters.")
                    .render(errors)}
                // Filled in by the script below; empty without it, and the
                // account starts in UTC.
                <input type="hidden" id="time_zone" name="time_zone" value=time_zone />
                <button type="submit" class="button button-primary">"Sign up"</button>
            </form>
            <p class="muted">"Already have an account? " <a href="/login">"Log in"</a></p>
            <p class="field-hint" id="time-zone-note">
                "Due times are read in your browser’s time zone (UTC if it cannot tell); change it on your Account page."
            </p>
        </section>
        <script src=assets::timezone_js_href() defer></script>
    };
    document("Sign up", None, main)
}
