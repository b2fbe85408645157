//! The Account page: the account itself, its time zone, its usage against
//! its quotas, its sessions (logins), its personal access tokens, its
//! calendar feed, the password change and the account deletion, one
//! section each. Each form posts to its own URL whose fragment names
//! its section, so the answer (a field error, a notice) opens scrolled to
//! where the visitor was.

mod apps;
mod calendar;
mod data;
mod device;
mod sessions;
mod settings;
mod time_zone;
mod tokens;
mod usage;

use chrono::{DateTime, NaiveDateTime, Utc};
use leptos::prelude::*;
use todo_api::{CalendarFeed, CalendarFeedCreated, PersonalTokenCreated, Session, Usage, User};

use super::layout::document;
use crate::forms::{FormState, TokenForm};

pub use device::device_name;

/// Everything the page shows.
#[derive(Debug)]
pub struct AccountPage<'a> {
    pub user: &'a User,
    /// What the account holds against its quotas.
    pub usage: &'a Usage,
    /// Live logins, newest first.
    pub sessions: &'a [Session],
    /// Live personal access tokens, newest first.
    pub tokens: &'a [Session],
    /// Live grants of connected apps, newest first.
    pub apps: &'a [Session],
    /// The site's public origin (`PUBLIC_URL`), for the MCP example.
    pub public_origin: Option<&'a str>,
    /// Since when the account has a calendar feed address, if it has one.
    pub calendar_feed: Option<&'a CalendarFeed>,
    /// The origin calendar apps reach this site at, for the feed address.
    pub site_origin: Option<&'a str>,
    /// The wall-clock time in the account's zone.
    pub now: NaiveDateTime,
    pub outcome: &'a Outcome,
}

/// What the request that rendered the page did, beyond showing it.
#[derive(Debug, Default)]
pub struct Outcome {
    /// News from a redirect (a session ended, the password changed).
    pub notice: Option<AccountNotice>,
    /// A token just created: shown in this response and never again.
    pub new_token: Option<PersonalTokenCreated>,
    /// A calendar feed address just made: shown in this response and
    /// never again.
    pub new_feed: Option<CalendarFeedCreated>,
    pub time_zone_form: FormState,
    /// The create-token form as typed (kept when it had errors).
    pub token_draft: TokenForm,
    pub token_form: FormState,
    pub password_form: FormState,
    pub deletion_form: FormState,
    /// The import form, when the backend refused the file.
    pub import_form: FormState,
}

impl Outcome {
    fn has_errors(&self) -> bool {
        [
            &self.token_form,
            &self.time_zone_form,
            &self.password_form,
            &self.deletion_form,
            &self.import_form,
        ]
        .iter()
        .any(|form| form.has_errors())
    }
}

/// What a redirect back to the page reports. The words are fixed here;
/// the URL only picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountNotice {
    SessionEnded,
    /// "Log out everywhere else" ended this many logins.
    OthersEnded(u64),
    TokenRevoked,
    AppDisconnected,
    PasswordChanged,
    TimeZoneChanged,
    FeedRevoked,
    /// An import added this many tasks and conversations.
    Imported {
        tasks: u64,
        conversations: u64,
    },
}

impl AccountNotice {
    fn title(self) -> &'static str {
        match self {
            AccountNotice::SessionEnded => "Session logged out",
            AccountNotice::OthersEnded(_) => "Other sessions logged out",
            AccountNotice::TokenRevoked => "Token revoked",
            AccountNotice::AppDisconnected => "App disconnected",
            AccountNotice::PasswordChanged => "Password changed",
            AccountNotice::TimeZoneChanged => "Time zone saved",
            AccountNotice::FeedRevoked => "Calendar feed revoked",
            AccountNotice::Imported { .. } => "Imported",
        }
    }

    fn message(self) -> String {
        match self {
            AccountNotice::SessionEnded => {
                "That session is logged out: its browser has to log in again.".to_owned()
            }
            AccountNotice::OthersEnded(0) => {
                "There were no other sessions to log out.".to_owned()
            }
            AccountNotice::OthersEnded(1) => {
                "Logged out 1 other session; only this one is left.".to_owned()
            }
            AccountNotice::OthersEnded(n) => {
                format!("Logged out {n} other sessions; only this one is left.")
            }
            AccountNotice::TokenRevoked => {
                "The token is revoked: it no longer works anywhere.".to_owned()
            }
            AccountNotice::AppDisconnected => {
                "The app is disconnected: its access ended, and it has to ask you again.".to_owned()
            }
            AccountNotice::PasswordChanged => {
                "Your password is changed. Every other session was logged out and every personal access token revoked; this one stays logged in.".to_owned()
            }
            AccountNotice::TimeZoneChanged => {
                "Your time zone is saved: due times, what is due today and reminders are read in it from now on.".to_owned()
            }
            AccountNotice::FeedRevoked => {
                "The calendar feed address is revoked: calendar apps subscribed to it get nothing more.".to_owned()
            }
            AccountNotice::Imported {
                tasks,
                conversations,
            } => format!(
                "Imported {} and {}.",
                counted(tasks, "task"),
                counted(conversations, "conversation")
            ),
        }
    }
}

/// "1 task", "3 tasks".
fn counted(count: u64, what: &str) -> String {
    if count == 1 {
        format!("1 {what}")
    } else {
        format!("{count} {what}s")
    }
}

/// The notice `section` shows, when the page has one for it.
fn notice_in(
    outcome: &Outcome,
    section: fn(AccountNotice) -> bool,
) -> Option<impl IntoView + use<>> {
    outcome.notice.filter(|n| section(*n)).map(|notice| {
        let message = notice.message();
        view! { <div class="alert alert-info" role="status">{message}</div> }
    })
}

/// The message above a form that came back with problems.
fn form_alert(state: &FormState) -> Option<impl IntoView + use<>> {
    let message = match (&state.alert, state.errors.is_empty()) {
        (Some(alert), _) => alert.clone(),
        (None, false) => "Nothing was changed. Please correct the fields marked below.".to_owned(),
        (None, true) => return None,
    };
    Some(view! { <div class="alert alert-error" role="alert">{message}</div> })
}

/// A moment, readable and machine-readable: "Dec 2, 2026, 14:05 UTC".
fn moment(at: DateTime<Utc>) -> impl IntoView + use<> {
    let machine = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let human = at.format("%b %-d, %Y, %H:%M UTC").to_string();
    view! { <time datetime=machine>{human}</time> }
}

pub fn account_page(page: AccountPage<'_>) -> String {
    let outcome = page.outcome;
    // The title is what a screen reader announces first on arrival.
    let title = if outcome.new_token.is_some() {
        "Token created · Account".to_owned()
    } else if outcome.new_feed.is_some() {
        "Calendar feed address made · Account".to_owned()
    } else if outcome.has_errors() {
        "Not saved · Account".to_owned()
    } else {
        match outcome.notice {
            Some(notice) => format!("{} · Account", notice.title()),
            None => "Account".to_owned(),
        }
    };
    let main = view! {
        <div class="page-head">
            <h1>"Account"</h1>
        </div>
        <div class="account-sections">
            {profile(page.user)}
            {time_zone::section(&page.user.time_zone, page.now, outcome)}
            {usage::section(page.usage)}
            {sessions::section(page.sessions, outcome)}
            {tokens::section(page.tokens, page.public_origin, outcome)}
            {calendar::section(page.calendar_feed, page.site_origin, outcome)}
            {apps::section(page.apps, outcome)}
            {data::section(outcome)}
            {settings::password_section(outcome)}
            {settings::deletion_section(outcome)}
        </div>
    };
    document(&title, Some(page.user), main)
}

fn profile(user: &User) -> impl IntoView + use<> {
    let name = user.name.clone();
    let email = user.email.clone();
    view! {
        <section class="card" id="profile" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <dl class="facts">
                <div>
                    <dt>"Name"</dt>
                    <dd>{name}</dd>
                </div>
                <div>
                    <dt>"Email"</dt>
                    <dd>{email}</dd>
                </div>
                <div>
                    <dt>"Member since"</dt>
                    <dd>{moment(user.created_at)}</dd>
                </div>
            </dl>
        </section>
    }
}
