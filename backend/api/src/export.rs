//! One account's data as one versioned document: what `GET /api/export`
//! answers and `POST /api/import` takes back.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Priority, Role, ToolCallRecord};

/// The `format` of an export document.
pub const EXPORT_FORMAT: &str = "todo-export";
/// The `version` of the export documents this crate writes and reads.
pub const EXPORT_VERSION: u32 = 1;

/// `GET /api/export`, and the body of `POST /api/import`: the caller's
/// tasks and conversations, without ids (an import gives them new ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Export {
    /// Always `todo-export`.
    pub format: String,
    /// Always 1; an import refuses any other.
    pub version: u32,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub exported_at: DateTime<Utc>,
    pub tasks: Vec<ExportedTask>,
    pub conversations: Vec<ExportedConversation>,
}

impl Export {
    /// A document of this format and version.
    pub fn new(
        exported_at: DateTime<Utc>,
        tasks: Vec<ExportedTask>,
        conversations: Vec<ExportedConversation>,
    ) -> Self {
        Self {
            format: EXPORT_FORMAT.to_owned(),
            version: EXPORT_VERSION,
            exported_at,
            tasks,
            conversations,
        }
    }
}

/// A task as exported: its fields as `POST /api/tasks` takes them, with
/// when it was created and last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedTask {
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub priority: Priority,
    #[serde(serialize_with = "crate::wire_time::optional_date")]
    pub due_date: Option<NaiveDate>,
    pub tags: Vec<String>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// A conversation with all its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedConversation {
    pub title: String,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<ExportedMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedMessage {
    pub role: Role,
    pub content: String,
    /// For a tool message: the call and its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call: Option<ToolCallRecord>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
}

/// Answer of `POST /api/import`: what was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub tasks: u64,
    pub conversations: u64,
}
