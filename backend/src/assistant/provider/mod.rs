//! Where the assistant's decisions come from: the built-in `offline`
//! parser of plain English (no key, no network), or any OpenAI-compatible
//! chat-completions endpoint. Both see the same transcript and the same
//! tools, and answer the same way: a text reply, or tool calls to run.

mod https;
mod offline;
mod openai;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

pub use offline::Offline;
pub use openai::{OpenAi, OpenAiSettings};

use super::tools::ToolSpec;

/// The user's wall clock when a turn starts. "Today", "tomorrow" and
/// "at 9am" are the user's, read in their time zone, not the server's: a
/// task due "today" said at 23:30 in Auckland is due on Auckland's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNow {
    /// Wall-clock date and time in the user's time zone.
    pub at: NaiveDateTime,
    /// That zone's IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
}

impl LocalNow {
    pub fn today(&self) -> NaiveDate {
        self.at.date()
    }
}

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

    /// The model asked, when the provider names one.
    pub fn model(&self) -> Option<&str> {
        match self {
            Provider::Offline(_) => None,
            Provider::OpenAi(openai) => Some(openai.model()),
        }
    }

    /// Who answers, as the GenAI semantic conventions name providers
    /// (`gen_ai.provider.name`).
    pub fn system(&self) -> &'static str {
        match self {
            Provider::Offline(_) => "todo.offline",
            Provider::OpenAi(_) => "openai",
        }
    }

    /// The span of one call to the model, described as the GenAI semantic
    /// conventions describe a chat call, when traces are on.
    pub fn call_span(&self) -> tracing::Span {
        todo_service::telemetry::span(|| {
            let system = self.system();
            let name = match self.model() {
                Some(model) => format!("chat {model}"),
                None => "chat".to_owned(),
            };
            let span = tracing::info_span!(
                "model",
                otel.name = name,
                otel.kind = "client",
                gen_ai.operation.name = "chat",
                gen_ai.provider.name = system,
            );
            // The name before the conventions settled on `gen_ai.provider.name`.
            todo_service::telemetry::attribute(&span, "gen_ai.system", system);
            if let Some(model) = self.model() {
                todo_service::telemetry::attribute(&span, "gen_ai.request.model", model.to_owned());
            }
            span
        })
    }

    /// The next step for `transcript` (oldest first, the user's newest
    /// message in it), knowing `tools` and the user's time of day.
    pub async fn next(
        &self,
        transcript: &[Turn],
        tools: &[ToolSpec],
        now: &LocalNow,
    ) -> Result<Reply, ProviderError> {
        match self {
            Provider::Offline(offline) => Ok(offline.next(transcript, now.at)),
            Provider::OpenAi(openai) => openai.next(transcript, tools, now).await,
        }
    }
}
