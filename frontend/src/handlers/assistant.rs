//! The Assistant page: read the conversations, a page at a time, send a
//! message (post, then a 303 back to the conversation), delete a
//! conversation.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use todo_api::{ChatRequest, ClientError, ConversationQuery, ErrorCode, MessageQuery};
use uuid::Uuid;

use super::private_page;
use crate::error::PageError;
use crate::extract::PageForm;
use crate::forms::ChatForm;
use crate::session::Session;
use crate::state::AppState;
use crate::views::assistant::{AssistantPage, Paging, assistant_page};
use crate::views::fields::sentence;

/// The query string as sent: `before`, the cursor of an "Earlier
/// messages" link, and `offset` into the conversation list. Blank values
/// mean the newest page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawPaging {
    before: String,
    offset: String,
}

impl RawPaging {
    /// A hand-edited URL whose value names no page is a 400 saying which.
    fn parse(&self) -> Result<Paging, PageError> {
        let before = match self.before.trim() {
            "" => None,
            raw => Some(
                raw.parse::<u32>()
                    .ok()
                    .filter(|before| *before >= 1)
                    .ok_or_else(|| {
                        PageError::BadRequest("before must be a whole number from 1".into())
                    })?,
            ),
        };
        let offset = match self.offset.trim() {
            "" => 0,
            raw => raw.parse::<u64>().map_err(|_| {
                PageError::BadRequest("offset must be a whole number from 0".into())
            })?,
        };
        Ok(Paging { before, offset })
    }
}

pub async fn start(session: Session, Query(raw): Query<RawPaging>) -> Result<Response, PageError> {
    // Without a conversation there are no messages to page through.
    let paging = Paging {
        before: None,
        ..raw.parse()?
    };
    render(&session, None, paging, "", None, StatusCode::OK).await
}

pub async fn conversation(
    session: Session,
    Path(id): Path<String>,
    Query(raw): Query<RawPaging>,
) -> Result<Response, PageError> {
    let id = Uuid::try_parse(&id).map_err(|_| PageError::NotFound)?;
    let paging = raw.parse()?;
    render(&session, Some(id), paging, "", None, StatusCode::OK).await
}

/// The page at `paging`, with `draft` in the box and `error` above it.
async fn render(
    session: &Session,
    current: Option<Uuid>,
    paging: Paging,
    draft: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let conversations = ConversationQuery {
        limit: None,
        offset: Some(paging.offset),
    };
    let messages = async {
        match current {
            Some(id) => {
                let query = MessageQuery {
                    limit: None,
                    before: paging.before,
                };
                session.api.message_page(id, &query).await.map(Some)
            }
            None => Ok(None),
        }
    };
    let (user, conversations, messages) = tokio::try_join!(
        session.api.me(),
        session.api.conversation_page(&conversations),
        messages
    )
    .map_err(unreadable_page)?;
    let html = assistant_page(AssistantPage {
        user: &user,
        conversations: &conversations,
        current: current.zip(messages.as_ref()),
        paging,
        draft,
        error,
    });
    Ok((status, private_page(html)).into_response())
}

/// A page the backend will not read (a hand-edited `before` or `offset`
/// past what it accepts) is the visitor's bad request, not a fault; the
/// answer names what was wrong with which parameter.
fn unreadable_page(error: ClientError) -> PageError {
    match error.body() {
        Some(body)
            if matches!(
                body.error.code,
                ErrorCode::BadQuery | ErrorCode::ValidationFailed
            ) =>
        {
            let problems: Vec<String> = body
                .error
                .fields
                .iter()
                .map(|(parameter, problem)| format!("{parameter} {problem}"))
                .collect();
            let problem = if problems.is_empty() {
                body.error.message.clone()
            } else {
                problems.join("; ")
            };
            PageError::BadRequest(problem)
        }
        _ => error.into(),
    }
}

pub async fn send(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm<ChatForm>,
) -> Result<Response, PageError> {
    let conversation = match form.conversation_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(Uuid::try_parse(raw).map_err(|_| PageError::NotFound)?),
    };
    if form.message.trim().is_empty() {
        let error = "Write a message first.";
        return render(
            &session,
            conversation,
            Paging::default(),
            &form.message,
            Some(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let request = ChatRequest {
        conversation_id: conversation,
        message: form.message.clone(),
    };
    let chat = session.api.with_timeout(state.config.chat_timeout);
    match chat.chat(&request).await {
        Ok(reply) => {
            Ok(Redirect::to(&format!("/assistant/{}", reply.conversation_id)).into_response())
        }
        Err(error) => match answerable(&error) {
            // Shown beside the box, the typed text kept in it, under the
            // newest messages (where a saved message is).
            Some((status, message)) => {
                render(
                    &session,
                    conversation,
                    Paging::default(),
                    &form.message,
                    Some(&message),
                    status,
                )
                .await
            }
            None => Err(error.into()),
        },
    }
}

/// Failures the visitor can act on, with the words to say so.
fn answerable(error: &ClientError) -> Option<(StatusCode, String)> {
    let body = error.body()?;
    let status = error.status()?;
    let message = match body.error.code {
        ErrorCode::AssistantUnavailable
        | ErrorCode::AssistantTimeout
        | ErrorCode::AssistantFailed => format!(
            "The assistant could not answer: {} Your message is saved in the conversation; send it again when you like.",
            body.error.message
        ),
        ErrorCode::TooManyRequests => {
            "You are sending messages too fast; wait a moment and send again.".to_owned()
        }
        ErrorCode::ValidationFailed => {
            let problems: Vec<String> = body.error.fields.values().cloned().collect();
            format!("The message {}.", problems.join("; "))
        }
        // Too many conversations, or this one is full: the server says
        // which, and what to delete.
        ErrorCode::QuotaExceeded => sentence(&body.error.message),
        _ => return None,
    };
    Some((status, message))
}

pub async fn delete(session: Session, Path(id): Path<String>) -> Result<Response, PageError> {
    let id = Uuid::try_parse(&id).map_err(|_| PageError::NotFound)?;
    session.api.delete_conversation(id).await?;
    Ok(Redirect::to("/assistant").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(before: &str, offset: &str) -> RawPaging {
        RawPaging {
            before: before.into(),
            offset: offset.into(),
        }
    }

    #[test]
    fn blank_values_are_the_newest_pages_and_others_must_be_numbers() {
        assert_eq!(raw("", " ").parse().unwrap(), Paging::default());
        assert_eq!(
            raw(" 53", "50").parse().unwrap(),
            Paging {
                before: Some(53),
                offset: 50
            }
        );
        for (before, offset) in [
            ("garbage", ""),
            ("0", ""),
            ("-1", ""),
            ("", "x"),
            ("", "-50"),
        ] {
            let refused = raw(before, offset).parse().unwrap_err();
            assert!(
                matches!(refused, PageError::BadRequest(_)),
                "{before:?} {offset:?}: {refused:?}"
            );
        }
    }
}
