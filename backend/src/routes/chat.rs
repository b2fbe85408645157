//! Chat endpoints: a turn with the assistant, and the caller's
//! conversations and their messages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use todo_api::{
    ChatRequest, ChatResponse, ConversationList, ConversationQuery, ErrorBody, Message,
    MessageList, MessageQuery,
};

use crate::assistant::stored_record;
use crate::auth::{Caller, Writer};
use crate::domain::{ChatTurn, ConversationPage, MessagePage};
use crate::error::ApiError;
use crate::extract::{ConversationId, JsonObject, QueryPairs};
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
        (status = 409, description = "A quota is reached (`quota_exceeded`): the account's conversations, or this conversation's messages; nothing was stored", body = ErrorBody),
        (status = 429, description = "Too many messages, or writes, this minute; see Retry-After", body = ErrorBody),
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

/// The caller's conversations, most recently active first, a page at a
/// time.
#[utoipa::path(get, path = "/api/conversations", tag = "assistant", operation_id = "listConversations",
    security(("bearer" = [])), params(ConversationQuery),
    responses(
        (status = 200, description = "One page of the caller's conversations", body = ConversationList),
        (status = 422, description = "A bad paging parameter; `fields` says which", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<ConversationList>, ApiError> {
    let page = ConversationPage::parse(&pairs)?;
    let (items, total) = state.store.conversations(caller.user_id, page).await?;
    Ok(Json(ConversationList {
        items,
        total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// One page of a conversation's messages, read backwards from the newest:
/// oldest first within the page, with the cursor of the page before it.
/// Tool messages carry the call and its result.
#[utoipa::path(get, path = "/api/conversations/{id}/messages", tag = "assistant",
    operation_id = "conversationMessages", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Conversation id"), MessageQuery),
    responses(
        (status = 200, description = "One page of the messages", body = MessageList),
        (status = 422, description = "A bad paging parameter; `fields` says which", body = ErrorBody),
    ))]
pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    ConversationId(id): ConversationId,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<MessageList>, ApiError> {
    let page = MessagePage::parse(&pairs)?;
    let (rows, total) = state
        .store
        .messages(caller.user_id, id, page)
        .await?
        .ok_or(ApiError::NotFound("conversation"))?;
    let older = rows
        .first()
        .map(|first| first.position as u32)
        .filter(|position| *position > 0);
    let items = rows
        .iter()
        .map(|row| Message {
            id: row.id,
            position: row.position as u32,
            role: row.role(),
            content: row.content.clone(),
            tool_call: stored_record(row),
            created_at: row.created_at,
        })
        .collect();
    Ok(Json(MessageList {
        items,
        total,
        limit: page.limit,
        older,
    }))
}

/// Delete a conversation and its messages (the tasks it changed stay).
#[utoipa::path(delete, path = "/api/conversations/{id}", tag = "assistant",
    operation_id = "deleteConversation", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
        (status = 429, description = "The user's writes this minute are spent (shared by the API, `/mcp` and the assistant); see Retry-After", body = ErrorBody),
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
