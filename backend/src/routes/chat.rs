//! Chat endpoints: a turn with the assistant, and the caller's
//! conversations and their messages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use todo_api::{ChatRequest, ChatResponse, ConversationList, ErrorBody, Message, MessageList};

use crate::assistant::stored_record;
use crate::auth::{Caller, Writer};
use crate::domain::ChatTurn;
use crate::error::ApiError;
use crate::extract::{ConversationId, JsonObject};
use crate::state::AppState;

/// Send the assistant a message. The message is stored first, then the
/// assistant runs on the stored conversation and its actions and reply
/// are stored together; when the model fails the message stays stored
/// (with any action already taken) and the answer is 502, 503 or 504.
#[utoipa::path(post, path = "/api/chat", tag = "assistant", operation_id = "chat",
    security(("bearer" = [])), request_body = ChatRequest,
    responses(
        (status = 200, description = "The assistant's reply and the actions it took", body = ChatResponse),
        (status = 404, description = "No such conversation for this user", body = ErrorBody),
        (status = 429, description = "Too many messages this minute; see Retry-After", body = ErrorBody),
        (status = 502, description = "The model answered unusably (`assistant_failed`)", body = ErrorBody),
        (status = 504, description = "The model did not answer in time (`assistant_timeout`)", body = ErrorBody),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn chat(
    State(state): State<AppState>,
    Writer(caller): Writer,
    JsonObject(body): JsonObject,
) -> Result<Json<ChatResponse>, ApiError> {
    let turn = ChatTurn::parse(body)?;
    let response = state
        .assistant
        .chat(&state.store, &state.metrics, caller.user_id, turn)
        .await?;
    Ok(Json(response))
}

/// The caller's conversations, most recently active first.
#[utoipa::path(get, path = "/api/conversations", tag = "assistant", operation_id = "listConversations",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's conversations", body = ConversationList)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ConversationList>, ApiError> {
    let items = state.store.conversations(caller.user_id).await?;
    Ok(Json(ConversationList {
        total: items.len() as u64,
        items,
    }))
}

/// One conversation's messages, oldest first; tool messages carry the
/// call and its result.
#[utoipa::path(get, path = "/api/conversations/{id}/messages", tag = "assistant",
    operation_id = "conversationMessages", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The messages", body = MessageList)))]
pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    ConversationId(id): ConversationId,
) -> Result<Json<MessageList>, ApiError> {
    let rows = state
        .store
        .messages(caller.user_id, id)
        .await?
        .ok_or(ApiError::NotFound("conversation"))?;
    let items = rows
        .iter()
        .map(|row| Message {
            id: row.id,
            role: row.role(),
            content: row.content.clone(),
            tool_call: stored_record(row),
            created_at: row.created_at,
        })
        .collect();
    Ok(Json(MessageList { items }))
}

/// Delete a conversation and its messages (the tasks it changed stay).
#[utoipa::path(delete, path = "/api/conversations/{id}", tag = "assistant",
    operation_id = "deleteConversation", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Writer(caller): Writer,
    ConversationId(id): ConversationId,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_conversation(caller.user_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("conversation"))
    }
}
