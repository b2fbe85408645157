//! The Connected apps section: each MCP client the user allowed through
//! OAuth, by the name it registered, with what it may do and when it was
//! last used, and a "Disconnect" button.

use leptos::prelude::*;
use todo_api::Session;

use super::{AccountNotice, Outcome, moment, notice_in};

pub fn section(apps: &[Session], outcome: &Outcome) -> impl IntoView + use<> {
    let notice = notice_in(outcome, |n| n == AccountNotice::AppDisconnected);
    let rows = apps.iter().map(row).collect_view();
    let empty = apps.is_empty().then(|| {
        view! {
            <p class="muted">"No app is connected. An MCP client (Claude, ChatGPT, VS Code) that connects by URL asks you here first."</p>
        }
    });
    view! {
        <section class="card" id="apps" aria-labelledby="apps-title">
            <h2 id="apps-title">"Connected apps"</h2>
            <p class="section-intro">
                "Apps you allowed to use your tasks. Disconnecting one ends its access at once."
            </p>
            {notice}
            {empty}
            <ul class="credentials" aria-labelledby="apps-title">{rows}</ul>
        </section>
    }
}

fn row(app: &Session) -> impl IntoView + use<> {
    let name = app
        .name
        .clone()
        .unwrap_or_else(|| "An unnamed app".to_owned());
    let can = if app.scope.split(' ').any(|s| s == "tasks:write") {
        "May read and change your tasks"
    } else {
        "May read your tasks"
    };
    let revoke = format!("/account/apps/{}/revoke#apps", app.id);
    let label = format!("Disconnect {name}");
    let id = format!("app-{}", app.id);
    view! {
        <li class="credential" id=id>
            <div class="credential-body">
                <p class="credential-name">{name}</p>
                <p class="credential-detail">{can}</p>
                <dl class="credential-times">
                    <div>
                        <dt>"Connected"</dt>
                        <dd>{moment(app.created_at)}</dd>
                    </div>
                    <div>
                        <dt>"Last used"</dt>
                        <dd>{moment(app.last_used_at)}</dd>
                    </div>
                    <div>
                        <dt>"Expires unless used"</dt>
                        <dd>{moment(app.expires_at)}</dd>
                    </div>
                </dl>
            </div>
            <form method="post" action=revoke class="credential-action">
                <button type="submit" class="button button-small button-danger" aria-label=label>
                    "Disconnect"
                </button>
            </form>
        </li>
    }
}
