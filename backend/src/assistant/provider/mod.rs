//! Where the assistant's decisions come from: the built-in `offline`
//! parser of plain English (no key, no network), or any OpenAI-compatible
//! chat-completions endpoint. Both see the same transcript and the same
//! tools, and answer the same way: a text reply, or tool calls to run.

mod https;
mod offline;
mod openai;

use chrono::NaiveDate;
use serde_json::Value;

pub use offline::Offline;
pub use openai::{OpenAi, OpenAiSettings};

use super::tools::ToolSpec;

/// One entry of a conversation as the provider sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Turn {
    User(String),
    Assistant(String),
    /// The assistant asked for a tool ...
    ToolCall(ToolCall),
    /// ... and this is what it answered.
    ToolResult {
        call_id: String,
        name: String,
        result: Value,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// What the provider decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Text(String),
    ToolCalls(Vec<ToolCall>),
}

/// Why there is no reply; each becomes its own status (503, 504, 502).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Not reachable, or overloaded (connection refused, 429, 503).
    #[error("the model provider is unavailable: {0}")]
    Unavailable(String),
    #[error("the model provider did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// Answered, but nothing usable: an error status, garbage, a malformed
    /// tool call, a refusal.
    #[error("the model provider answered unusably: {0}")]
    Failed(String),
}

/// The configured provider.
#[derive(Debug, Clone)]
pub enum Provider {
    Offline(Offline),
    OpenAi(Box<OpenAi>),
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Offline(_) => "offline",
            Provider::OpenAi(_) => "openai",
        }
    }

    /// The next step for `transcript` (oldest first, the user's newest
    /// message in it), knowing `tools` and what day it is.
    pub async fn next(
        &self,
        transcript: &[Turn],
        tools: &[ToolSpec],
        today: NaiveDate,
    ) -> Result<Reply, ProviderError> {
        match self {
            Provider::Offline(offline) => Ok(offline.next(transcript, today)),
            Provider::OpenAi(openai) => openai.next(transcript, tools, today).await,
        }
    }
}
