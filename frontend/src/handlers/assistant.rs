//! The Assistant page: read the conversations, send a message (post,
//! then a 303 back to the conversation), delete a conversation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use todo_api::{ChatRequest, ClientError, ErrorCode, Message};
use uuid::Uuid;

use super::private_page;
use crate::error::PageError;
use crate::extract::PageForm;
use crate::forms::ChatForm;
use crate::session::Session;
use crate::state::AppState;
use crate::views::assistant::{AssistantPage, assistant_page};

pub async fn start(session: Session) -> Result<Response, PageError> {
    render(&session, None, "", None, StatusCode::OK).await
}

pub async fn conversation(session: Session, Path(id): Path<String>) -> Result<Response, PageError> {
    let id = Uuid::try_parse(&id).map_err(|_| PageError::NotFound)?;
    render(&session, Some(id), "", None, StatusCode::OK).await
}

/// The page, with `draft` in the box and `error` above it.
async fn render(
    session: &Session,
    current: Option<Uuid>,
    draft: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (user, conversations) = tokio::try_join!(session.api.me(), session.api.conversations())?;
    let messages: Option<Vec<Message>> = match current {
        Some(id) => Some(session.api.messages(id).await?.items),
        None => None,
    };
    let html = assistant_page(AssistantPage {
        user: &user,
        conversations: &conversations.items,
        current: current.zip(messages.as_deref()),
        draft,
        error,
    });
    Ok((status, private_page(html)).into_response())
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
            // Shown beside the box, the typed text kept in it.
            Some((status, message)) => {
                render(
                    &session,
                    conversation,
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
        _ => return None,
    };
    Some((status, message))
}

pub async fn delete(session: Session, Path(id): Path<String>) -> Result<Response, PageError> {
    let id = Uuid::try_parse(&id).map_err(|_| PageError::NotFound)?;
    session.api.delete_conversation(id).await?;
    Ok(Redirect::to("/assistant").into_response())
}
