//! The Assistant page: past conversations, the current one oldest first
//! (the assistant's replies, one line per action it took, each linking to
//! its task), and the message box. A plain form that posts and redirects:
//! no script is needed or sent.

use leptos::prelude::*;
use todo_api::{Conversation, Message, Role, Tool, User, limits};
use uuid::Uuid;

use super::fields::textarea_text;
use super::layout::document;

/// Everything the page shows.
#[derive(Debug)]
pub struct AssistantPage<'a> {
    pub user: &'a User,
    pub conversations: &'a [Conversation],
    /// The open conversation, when there is one.
    pub current: Option<(Uuid, &'a [Message])>,
    /// What the box holds: empty after a sent message, the typed text
    /// after a failed one.
    pub draft: &'a str,
    /// Why the last message got no answer.
    pub error: Option<&'a str>,
}

pub fn assistant_page(page: AssistantPage<'_>) -> String {
    let title = match page.current {
        Some(_) => page
            .conversations
            .iter()
            .find(|c| Some(c.id) == page.current.map(|(id, _)| id))
            .map(|c| c.title.clone())
            .unwrap_or_else(|| "Assistant".to_owned()),
        None => "Assistant".to_owned(),
    };
    let main = view! {
        <div class="page-head">
            <h1>"Assistant"</h1>
            <p class="summary">"Ask in plain words: add, list, complete, change or delete tasks."</p>
        </div>
        <div class="assistant">
            {history(page.conversations, page.current.map(|(id, _)| id))}
            <section class="card chat" aria-labelledby="chat-title">
                <h2 id="chat-title" class="visually-hidden">"Conversation"</h2>
                {log(page.current)}
                {composer(page.current.map(|(id, _)| id), page.draft, page.error)}
            </section>
        </div>
    };
    document(&format!("{title} · Assistant"), Some(page.user), main)
}

fn history(conversations: &[Conversation], current: Option<Uuid>) -> impl IntoView + use<> {
    let items = conversations
        .iter()
        .map(|conversation| {
            let href = format!("/assistant/{}", conversation.id);
            let is_current = Some(conversation.id) == current;
            let title = conversation.title.clone();
            let delete = format!("/assistant/{}/delete", conversation.id);
            let label = format!("Delete conversation “{}”", conversation.title);
            view! {
                <li class="conversation" class:conversation-current=is_current>
                    <a href=href aria-current=is_current.then_some("page")>{title}</a>
                    <form method="post" action=delete>
                        <button type="submit" class="button button-quiet button-small" aria-label=label>
                            "Delete"
                        </button>
                    </form>
                </li>
            }
        })
        .collect_view();
    let empty = conversations
        .is_empty()
        .then(|| view! { <p class="muted">"No conversations yet."</p> });
    view! {
        <nav class="card conversations" aria-labelledby="history-title">
            <h2 id="history-title">"Conversations"</h2>
            <a class="button button-primary" href="/assistant">"New conversation"</a>
            {empty}
            <ul class="conversation-list">{items}</ul>
        </nav>
    }
}

fn log(current: Option<(Uuid, &[Message])>) -> impl IntoView + use<> {
    let entries = current
        .map(|(_, messages)| messages)
        .unwrap_or_default()
        .iter()
        .map(message)
        .collect_view();
    let empty = current.is_none().then(|| {
        view! {
            <p class="muted chat-hint">
                "Try “add buy milk tomorrow, high priority, tag home”, “what is left?”, "
                "“mark buy milk done” or “what is overdue?”."
            </p>
        }
    });
    view! {
        <div class="chat-log" role="log" aria-label="Conversation" aria-live="polite">
            {empty}
            <ol class="messages">{entries}</ol>
        </div>
    }
}

fn message(message: &Message) -> impl IntoView + use<> {
    let text = message.content.clone();
    match message.role {
        Role::User => view! {
            <li class="message message-user">
                <span class="visually-hidden">"You: "</span>
                <p>{text}</p>
            </li>
        }
        .into_any(),
        Role::Assistant => view! {
            <li class="message message-assistant">
                <span class="visually-hidden">"Assistant: "</span>
                <p>{text}</p>
            </li>
        }
        .into_any(),
        Role::Tool => {
            // A task the action left behind can be opened.
            let task = message
                .tool_call
                .as_ref()
                .filter(|call| {
                    call.tool != Tool::DeleteTask.as_str() && call.result.get("error").is_none()
                })
                .and_then(|call| call.result["id"].as_str())
                .and_then(|id| Uuid::try_parse(id).ok());
            let line = match task {
                Some(id) => {
                    let href = format!("/tasks/{id}/edit");
                    view! { <a href=href>{text}</a> }.into_any()
                }
                None => view! { <span>{text}</span> }.into_any(),
            };
            let failed = message
                .tool_call
                .as_ref()
                .is_some_and(|call| call.result.get("error").is_some());
            view! {
                <li class="message message-action" class:message-failed=failed>
                    <span class="visually-hidden">"Action: "</span>
                    {line}
                </li>
            }
            .into_any()
        }
    }
}

fn composer(conversation: Option<Uuid>, draft: &str, error: Option<&str>) -> impl IntoView + use<> {
    let alert = error.map(|error| {
        let error = error.to_owned();
        view! {
            <div class="alert alert-error" role="alert" id="message-error">{error}</div>
        }
    });
    let described = error.map(|_| "message-error");
    let hidden = conversation.map(|id| {
        let id = id.to_string();
        view! { <input type="hidden" name="conversation_id" value=id /> }
    });
    let draft = textarea_text(draft);
    view! {
        <form method="post" action="/assistant" class="stack composer" id="composer">
            {alert}
            {hidden}
            <label for="message">"Message"</label>
            <textarea
                id="message"
                name="message"
                rows="2"
                required
                autofocus
                maxlength=limits::CHAT_MESSAGE_MAX_CHARS
                aria-describedby=described
            >
                {draft}
            </textarea>
            <button type="submit" class="button button-primary">"Send"</button>
        </form>
    }
}
