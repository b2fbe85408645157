//! The Calendar feed section: whether the account has a secret feed
//! address and since when, the buttons that make (or remake) and revoke
//! it, the address itself in the answer to making it only, and how to
//! subscribe to it from the usual calendar apps.

use leptos::prelude::*;
use todo_api::{CalendarFeed, CalendarFeedCreated};

use super::{AccountNotice, Outcome, moment, notice_in};

pub fn section(
    feed: Option<&CalendarFeed>,
    origin: Option<&str>,
    outcome: &Outcome,
) -> impl IntoView + use<> {
    let notice = notice_in(outcome, |n| n == AccountNotice::FeedRevoked);
    let created = outcome
        .new_feed
        .as_ref()
        .map(|created| new_address(created, origin));
    let status = match feed {
        Some(feed) => view! {
            <p id="feed-status">
                "You have a feed address, made " {moment(feed.created_at)} "."
            </p>
        }
        .into_any(),
        None => view! {
            <p id="feed-status">"You have no feed address: no calendar app can read your tasks."</p>
        }
        .into_any(),
    };
    let (make_label, make_hint) = if feed.is_some() {
        (
            "Make a new address",
            "The current address stops working at once; subscribe again with the new one.",
        )
    } else {
        (
            "Make a feed address",
            "It is shown once, right after it is made.",
        )
    };
    let revoke = feed.map(|_| {
        view! {
            <form method="post" action="/account/calendar-feed/revoke#calendar">
                <button type="submit" class="button button-danger" id="revoke-feed">
                    "Revoke the address"
                </button>
            </form>
        }
    });
    view! {
        <section class="card" id="calendar" aria-labelledby="calendar-title">
            <h2 id="calendar-title">"Calendar feed"</h2>
            <p class="section-intro">
                "A secret address that calendar apps subscribe to: your open tasks with a due date, at their due times, with their repeats and reminders. "
                "Anyone who has the address can read them, so keep it to yourself; if it got out, make a new one."
            </p>
            {notice}
            {created}
            {status}
            <div class="actions-row feed-actions">
                <form method="post" action="/account/calendar-feed#calendar">
                    <button
                        type="submit"
                        class="button button-primary"
                        id="make-feed"
                        aria-describedby="make-feed-hint"
                    >
                        {make_label}
                    </button>
                </form>
                {revoke}
            </div>
            <p class="field-hint" id="make-feed-hint">{make_hint}</p>
            {how_to_subscribe()}
        </section>
    }
}

/// The address, this once: the server keeps only a fingerprint of it.
fn new_address(created: &CalendarFeedCreated, origin: Option<&str>) -> impl IntoView + use<> {
    let (events, todos, webcal) = match origin {
        Some(origin) => {
            let url = format!("{origin}{}", created.path);
            // webcal:// asks the system to subscribe with its calendar app.
            let webcal = url
                .split_once("://")
                .map(|(_, rest)| format!("webcal://{rest}"));
            (url.clone(), format!("{url}?components=todo"), webcal)
        }
        None => (
            created.path.clone(),
            format!("{}?components=todo", created.path),
            None,
        ),
    };
    let webcal = webcal.map(|href| {
        view! {
            <p>
                <a href=href id="feed-webcal">"Subscribe in this device’s calendar app"</a>
            </p>
        }
    });
    let on_this_site = origin.is_none().then(|| {
        view! { <p class="field-hint">"Put this site’s address in front of it."</p> }
    });
    view! {
        <section class="new-token" aria-labelledby="new-feed-title">
            <h3 id="new-feed-title">"Your calendar feed address"</h3>
            <p class="new-token-warning">
                <strong>"Copy it now: it will not be shown again."</strong>
                " Only a fingerprint of it is kept. If you lose it, make a new one."
            </p>
            <div class="field">
                <label for="feed-url">"Address for calendar apps"</label>
                <input
                    type="text"
                    id="feed-url"
                    class="token-value"
                    readonly
                    value=events
                    autocomplete="off"
                    spellcheck="false"
                />
            </div>
            <div class="field">
                <label for="feed-url-todo">"Address for to-do apps (tasks as to-dos)"</label>
                <input
                    type="text"
                    id="feed-url-todo"
                    class="token-value"
                    readonly
                    value=todos
                    autocomplete="off"
                    spellcheck="false"
                />
            </div>
            {on_this_site}
            {webcal}
        </section>
    }
}

fn how_to_subscribe() -> impl IntoView {
    view! {
        <h3 id="subscribe-title">"How to subscribe"</h3>
        <ul class="how-to" aria-labelledby="subscribe-title">
            <li>
                <strong>"Google Calendar"</strong>
                " (on the web): Other calendars → + → From URL, then paste the address. Google reads it again every few hours."
            </li>
            <li>
                <strong>"Apple Calendar"</strong>
                ": on a Mac, File → New Calendar Subscription; on an iPhone or iPad, Settings → Calendar → Accounts → Add Account → Other → Add Subscribed Calendar."
            </li>
            <li>
                <strong>"Outlook"</strong>
                ": Add calendar → Subscribe from web (Outlook on the web and the new Outlook), or Internet Calendars in the account settings of Outlook for Windows."
            </li>
            <li>
                <strong>"Thunderbird"</strong>
                ": New Calendar → On the Network, then paste the address."
            </li>
            <li>
                <strong>"To-do apps"</strong>
                " that read iCalendar tasks: use the address ending in "
                <code>"?components=todo"</code>
                ", which lists your tasks as to-dos instead of events."
            </li>
        </ul>
        <p class="field-hint">
            "Calendar apps only read the feed: changes are made here. Completed tasks leave it; a repeating task shows its whole series."
        </p>
    }
}
