//! The two forms that change the account itself: a new password (which
//! ends every other session), and deleting the account for good.

use leptos::prelude::*;
use todo_api::limits;

use super::{AccountNotice, Outcome, form_alert, notice_in};
use crate::views::fields::{Input, field_error, invalid};

pub fn password_section(outcome: &Outcome) -> impl IntoView + use<> {
    let notice = notice_in(outcome, |n| n == AccountNotice::PasswordChanged);
    let state = &outcome.password_form;
    let errors = &state.errors;
    view! {
        <section class="card" id="password" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <p class="section-intro">
                "Every other session is logged out and every personal access token revoked; this one stays."
            </p>
            {notice}
            {form_alert(state)}
            <form method="post" action="/account/password#password" class="stack" novalidate>
                {Input::text("current_password", "Current password", "")
                    .kind("password")
                    .required()
                    .autocomplete("current-password")
                    .render(errors)}
                {Input::text("new_password", "New password", "")
                    .kind("password")
                    .required()
                    .autocomplete("new-password")
                    .maxlength(limits::PASSWORD_MAX_CHARS)
                    .hint("At least 8 characters.")
                    .render(errors)}
                {Input::text("confirm_password", "New password, again", "")
                    .kind("password")
                    .required()
                    .autocomplete("new-password")
                    .maxlength(limits::PASSWORD_MAX_CHARS)
                    .render(errors)}
                <div class="actions-row">
                    <button type="submit" class="button button-primary" id="change-password">"Change password"</button>
                </div>
            </form>
        </section>
    }
}

pub fn deletion_section(outcome: &Outcome) -> impl IntoView + use<> {
    let state = &outcome.deletion_form;
    let errors = &state.errors;
    let (confirm_invalid, confirm_described) = invalid("confirm", errors);
    view! {
        <section class="card card-danger" id="delete" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete account"</h2>
            <p class="section-intro">
                "Deletes your account with all its tasks and conversations, and ends every session and token. "
                <strong>"This cannot be undone."</strong>
            </p>
            {form_alert(state)}
            <form method="post" action="/account/delete#delete" class="stack" novalidate>
                {Input::text("password", "Your password", "")
                    .kind("password")
                    .required()
                    .autocomplete("current-password")
                    .render(errors)}
                <div class="field">
                    <div class="field field-check">
                        <input
                            type="checkbox"
                            id="confirm"
                            name="confirm"
                            required
                            aria-invalid=confirm_invalid
                            aria-describedby=confirm_described
                        />
                        <label for="confirm">"Yes, delete my account and everything in it"</label>
                    </div>
                    {field_error("confirm", errors)}
                </div>
                <div class="actions-row">
                    <button type="submit" class="button button-destructive" id="delete-account">"Delete my account"</button>
                </div>
            </form>
        </section>
    }
}
