//! The Sessions section: every live login with its browser and times,
//! "this device" on the current one, a "Log out" button on each other
//! one, and "Log out everywhere else".

use leptos::prelude::*;
use todo_api::Session;

use super::{AccountNotice, Outcome, device_name, moment, notice_in};
use crate::views::edit::shorten;

/// How much of a raw `User-Agent` is shown under its short name.
const USER_AGENT_SHOWN_CHARS: usize = 110;

pub fn section(sessions: &[Session], outcome: &Outcome) -> impl IntoView + use<> {
    let notice = notice_in(outcome, |n| {
        matches!(
            n,
            AccountNotice::SessionEnded | AccountNotice::OthersEnded(_)
        )
    });
    let rows = sessions.iter().map(row).collect_view();
    let others = sessions.iter().filter(|s| !s.current).count();
    let everywhere_else = (others > 0).then(|| {
        view! {
            <form method="post" action="/account/sessions/revoke-others#sessions" class="section-actions">
                <button type="submit" class="button" id="revoke-others">"Log out everywhere else"</button>
            </form>
        }
    });
    view! {
        <section class="card" id="sessions" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Sessions"</h2>
            <p class="section-intro">
                "Where you are logged in. Log out a browser you no longer use or do not recognise."
            </p>
            {notice}
            <ul class="credentials" aria-labelledby="sessions-title">{rows}</ul>
            {everywhere_else}
        </section>
    }
}

fn row(session: &Session) -> impl IntoView + use<> {
    let name = device_name(session.user_agent.as_deref());
    let raw = session
        .user_agent
        .as_deref()
        .map(|agent| shorten(agent, USER_AGENT_SHOWN_CHARS))
        .map(|agent| view! { <p class="credential-detail">{agent}</p> });
    let id = format!("session-{}", session.id);
    let current = session.current.then(|| {
        view! { <span class="badge badge-current">"This device"</span> }
    });
    let action = (!session.current).then(|| {
        let revoke = format!("/account/sessions/{}/revoke#sessions", session.id);
        let label = format!(
            "Log out {name}, logged in {}",
            session.created_at.format("%b %-d, %Y, %H:%M UTC")
        );
        view! {
            <form method="post" action=revoke class="credential-action">
                <button type="submit" class="button button-small button-danger" aria-label=label>
                    "Log out"
                </button>
            </form>
        }
    });
    view! {
        <li class="credential" class:credential-current=session.current id=id>
            <div class="credential-body">
                <p class="credential-name">{name} {current}</p>
                {raw}
                <dl class="credential-times">
                    <div>
                        <dt>"Logged in"</dt>
                        <dd>{moment(session.created_at)}</dd>
                    </div>
                    <div>
                        <dt>"Last used"</dt>
                        <dd>{moment(session.last_used_at)}</dd>
                    </div>
                    <div>
                        <dt>"Expires"</dt>
                        <dd>{moment(session.expires_at)}</dd>
                    </div>
                </dl>
            </div>
            {action}
        </li>
    }
}
