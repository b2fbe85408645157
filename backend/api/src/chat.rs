//! The assistant's bodies: a chat turn, its tool actions, conversations
//! and their messages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Body of `POST /api/chat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatRequest {
    /// Continue this conversation; absent starts a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Uuid>,
    /// 1–4000 characters once trimmed.
    pub message: String,
}

wire_enum!(
    /// The assistant's tools, served to the chat agent and at `/mcp`.
    Tool {
        AddTask => "add_task",
        ListTasks => "list_tasks",
        CompleteTask => "complete_task",
        UpdateTask => "update_task",
        DeleteTask => "delete_task",
    }
);

/// One action the assistant took: which tool, with what, and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallRecord {
    /// The tool's name, as the model asked for it: one of [`Tool`]'s, or,
    /// when the model named a tool that does not exist, that name (and
    /// the result is the error saying so).
    pub tool: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub arguments: Value,
    /// The tool's answer: a task, a list, `{task_id, status, title}`, or
    /// `{"error": {...}}` in the API's error shape.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub result: Value,
}

/// Answer of `POST /api/chat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatResponse {
    pub conversation_id: Uuid,
    /// The assistant's reply.
    pub response: String,
    /// The actions taken for this message, in order.
    pub tool_calls: Vec<ToolCallRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub id: Uuid,
    /// From the first message.
    pub title: String,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// `GET /api/conversations`: most recently active first, one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationList {
    pub items: Vec<Conversation>,
    /// All the caller's conversations, ignoring `limit`/`offset`.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// Query string of `GET /api/conversations` (defaults `limit=50`,
/// `offset=0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConversationQuery {
    /// 1–100, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// Query string of `GET /api/conversations/{id}/messages`: the newest
/// `limit` messages (default 50), or the newest before the position
/// `before` (a page's `older` cursor), so a long conversation is read
/// backwards from its end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MessageQuery {
    /// 1–100, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only messages before this position: the `older` of the page after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u32>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    /// An action the assistant took; `tool_call` says which.
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: Uuid,
    /// Its place in the conversation, from 0.
    pub position: u32,
    pub role: Role,
    /// The text; for a tool message, one line saying what was done.
    pub content: String,
    /// For a tool message: the call and its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call: Option<ToolCallRecord>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
}

/// `GET /api/conversations/{id}/messages`: one page, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageList {
    pub items: Vec<Message>,
    /// All the conversation's messages.
    pub total: u64,
    pub limit: u32,
    /// The `before` that reads the page of older messages; absent on the
    /// page that starts the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub older: Option<u32>,
}
