//! The Assistant page: past conversations, a page at a time, the current
//! one's newest messages oldest first (the assistant's replies, one line
//! per action it took, each linking to its task) with a link to earlier
//! ones, and the message box. Plain forms that post and redirect, plain
//! links between pages: no script is needed or sent.

use leptos::prelude::*;
use todo_api::{ConversationList, Message, MessageList, Role, Tool, User, limits};
use uuid::Uuid;

use super::fields::textarea_text;
use super::layout::document;

/// Everything the page shows.
#[derive(Debug)]
pub struct AssistantPage<'a> {
    pub user: &'a User,
    /// One page of the conversation list.
    pub conversations: &'a ConversationList,
    /// The open conversation and one page of its messages, when there is
    /// one.
    pub current: Option<(Uuid, &'a MessageList)>,
    /// Which pages those are.
    pub paging: Paging,
    /// What the box holds: empty after a sent message, the typed text
    /// after a failed one.
    pub draft: &'a str,
    /// Why the last message got no answer.
    pub error: Option<&'a str>,
}

/// Which pages the page shows: the open conversation's messages before
/// position `before` (its newest when absent), and the conversation list
/// from `offset`. Every link keeps the page of the other list, so paging
/// one never jumps the other back to its start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paging {
    pub before: Option<u32>,
    pub offset: u64,
}

impl Paging {
    /// The URL showing `conversation` (or none) at these pages; defaults
    /// are left out so links stay short.
    pub fn href(self, conversation: Option<Uuid>) -> String {
        let path = match conversation {
            Some(id) => format!("/assistant/{id}"),
            None => "/assistant".to_owned(),
        };
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(before) = self.before {
            query.append_pair("before", &before.to_string());
        }
        if self.offset != 0 {
            query.append_pair("offset", &self.offset.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }

    fn with_before(self, before: Option<u32>) -> Paging {
        Paging { before, ..self }
    }

    fn with_offset(self, offset: u64) -> Paging {
        Paging { offset, ..self }
    }
}

pub fn assistant_page(page: AssistantPage<'_>) -> String {
    let current = page.current.map(|(id, _)| id);
    let title = current
        .and_then(|id| page.conversations.items.iter().find(|c| c.id == id))
        .map(|c| c.title.clone())
        .unwrap_or_else(|| "Assistant".to_owned());
    let main = view! {
        <div class="page-head">
            <h1>"Assistant"</h1>
            <p class="summary">"Ask in plain words: add, list, complete, change or delete tasks."</p>
        </div>
        <div class="assistant">
            {history(page.conversations, current, page.paging)}
            <section class="card chat" aria-labelledby="chat-title">
                <h2 id="chat-title" class="visually-hidden">"Conversation"</h2>
                {log(page.current, page.paging)}
                {composer(current, page.draft, page.error)}
            </section>
        </div>
    };
    document(&format!("{title} · Assistant"), Some(page.user), main)
}

fn history(
    conversations: &ConversationList,
    current: Option<Uuid>,
    paging: Paging,
) -> impl IntoView + use<> {
    let items = conversations
        .items
        .iter()
        .map(|conversation| {
            // A conversation opens at its newest messages.
            let href = paging.with_before(None).href(Some(conversation.id));
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
    let empty = conversations.items.is_empty().then(|| {
        let text = if conversations.total == 0 {
            "No conversations yet."
        } else {
            "No more conversations."
        };
        view! { <p class="muted">{text}</p> }
    });
    view! {
        <nav class="card conversations" aria-labelledby="history-title">
            <h2 id="history-title">"Conversations"</h2>
            <a class="button button-primary" href="/assistant">"New conversation"</a>
            {empty}
            <ul class="conversation-list">{items}</ul>
            {history_pager(conversations, current, paging)}
        </nav>
    }
}

/// Links to the conversations before and after this page of the list,
/// when there are any.
fn history_pager(
    conversations: &ConversationList,
    current: Option<Uuid>,
    paging: Paging,
) -> impl IntoView + use<> {
    let shown_to = conversations.offset + conversations.items.len() as u64;
    let limit = u64::from(conversations.limit);
    let newer = (conversations.offset > 0).then(|| {
        // From past the end (a hand-edited offset), the last page.
        let offset = conversations
            .offset
            .saturating_sub(limit)
            .min(conversations.total.saturating_sub(limit));
        let href = paging.with_offset(offset).href(current);
        view! { <a class="button button-small" href=href rel="prev">"Newer conversations"</a> }
    });
    let more = (shown_to < conversations.total).then(|| {
        let href = paging.with_offset(shown_to).href(current);
        view! {
            <a class="button button-small" href=href rel="next" id="more-conversations">
                "More conversations"
            </a>
        }
    });
    (newer.is_some() || more.is_some()).then(|| view! { <div class="pager">{newer}{more}</div> })
}

fn log(current: Option<(Uuid, &MessageList)>, paging: Paging) -> impl IntoView + use<> {
    let entries = current
        .map(|(_, page)| page.items.as_slice())
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
    let (earlier, latest) = match current {
        Some((id, page)) => (
            earlier_messages(id, page, paging),
            latest_messages(id, paging),
        ),
        None => (None, None),
    };
    view! {
        <div class="chat-log" role="log" aria-label="Conversation" aria-live="polite">
            {empty}
            {earlier}
            <ol class="messages">{entries}</ol>
            {latest}
        </div>
    }
}

/// Above a page of a conversation too long for one: which messages these
/// are, and the link to the ones before.
fn earlier_messages(
    conversation: Uuid,
    page: &MessageList,
    paging: Paging,
) -> Option<impl IntoView + use<>> {
    if page.older.is_none() && paging.before.is_none() {
        return None;
    }
    let link = page.older.map(|older| {
        let href = paging.with_before(Some(older)).href(Some(conversation));
        view! {
            <a class="button button-small" href=href rel="prev" id="earlier-messages">
                "Earlier messages"
            </a>
        }
    });
    let shown = page
        .items
        .first()
        .zip(page.items.last())
        .map(|(first, last)| {
            let text = format!(
                "Messages {}–{} of {}",
                u64::from(first.position) + 1,
                u64::from(last.position) + 1,
                page.total
            );
            view! { <span>{text}</span> }
        });
    Some(view! {
        <nav class="pager" aria-label="Earlier messages">
            {link}
            {shown}
        </nav>
    })
}

/// Below an earlier page: the way back to the end of the conversation.
fn latest_messages(conversation: Uuid, paging: Paging) -> Option<impl IntoView + use<>> {
    paging.before.map(|_| {
        let href = paging.with_before(None).href(Some(conversation));
        view! {
            <nav class="pager" aria-label="Latest messages">
                <a class="button button-small" href=href id="latest-messages">"Latest messages"</a>
            </nav>
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_leave_out_defaults_and_keep_the_other_lists_page() {
        let id = Uuid::nil();
        assert_eq!(Paging::default().href(None), "/assistant");
        assert_eq!(Paging::default().href(Some(id)), format!("/assistant/{id}"));
        let deep = Paging {
            before: Some(53),
            offset: 50,
        };
        assert_eq!(
            deep.href(Some(id)),
            format!("/assistant/{id}?before=53&offset=50")
        );
        assert_eq!(
            deep.with_before(None).href(Some(id)),
            format!("/assistant/{id}?offset=50")
        );
        assert_eq!(
            deep.with_offset(0).href(Some(id)),
            format!("/assistant/{id}?before=53")
        );
    }
}
