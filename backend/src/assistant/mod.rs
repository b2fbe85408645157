//! The assistant, the app's AI-native face: a user manages tasks by
//! chatting, and the assistant's actions are the five tools (`tools`),
//! which the same tool layer also serves to any MCP client at `/mcp`
//! (`mcp`). The chat agent (`agent`) asks a provider (`provider`: offline
//! by default, or an OpenAI-compatible endpoint) what to do next.
//!
//! The user a tool acts for is always the caller's token, never a tool
//! argument.

pub mod agent;
mod confirmation;
pub mod mcp;
pub mod provider;
pub mod tools;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::Value;
use todo_api::{ChatResponse, Role, ToolCallRecord};
use tracing::Instrument as _;
use uuid::Uuid;

use crate::auth::UserBudgets;
use crate::domain::ChatTurn;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{MessageRow, NewMessage, Store};
use agent::{Action, Agent, AgentError, Finished, tool_data};
use confirmation::{Answer, Pending};
use provider::{
    LocalNow, Offline, OpenAi, OpenAiSettings, Provider, ProviderError, ToolCall, Turn,
};
use tools::{Tools, describe};

/// Which provider the assistant uses (`ASSISTANT_PROVIDER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderSettings {
    Offline,
    OpenAi(OpenAiSettings),
}

/// The assistant's configuration; `docs/configuration.md` lists each
/// variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistantSettings {
    pub provider: ProviderSettings,
    /// Tool rounds one message may take before the turn fails.
    pub max_tool_rounds: u32,
    /// Tool calls of one model answer that are run.
    pub max_calls_per_round: u32,
    /// Tool calls one message may lead to, over all its rounds.
    pub max_calls_per_turn: u32,
    /// The newest messages of a conversation the provider is sent.
    pub history_messages: u32,
    /// Chat messages one user may send per minute (per replica).
    pub chat_per_minute: NonZeroU32,
    /// `Host` names `/mcp` answers to.
    pub mcp_allowed_hosts: Vec<String>,
    /// Browser origins (`scheme://host[:port]`) that may call `/mcp`;
    /// a request with any other `Origin` is refused. By default pages
    /// served from this machine (loopback, any port), like the default
    /// allowed hosts.
    pub mcp_allowed_origins: Vec<String>,
}

impl Default for AssistantSettings {
    fn default() -> Self {
        Self {
            provider: ProviderSettings::Offline,
            max_tool_rounds: 5,
            max_calls_per_round: 8,
            max_calls_per_turn: 20,
            history_messages: 40,
            chat_per_minute: NonZeroU32::new(20).expect("non-zero"),
            mcp_allowed_hosts: ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec(),
            mcp_allowed_origins: ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Everything a chat turn needs, shared by all requests.
#[derive(Debug)]
pub struct Assistant {
    pub agent: Agent,
    history_messages: u32,
    limiter: DefaultKeyedRateLimiter<Uuid>,
}

impl Assistant {
    pub fn new(
        settings: &AssistantSettings,
        store: Store,
        budgets: Arc<UserBudgets>,
    ) -> anyhow::Result<Self> {
        let provider = match &settings.provider {
            ProviderSettings::Offline => Provider::Offline(Offline),
            ProviderSettings::OpenAi(openai) => {
                Provider::OpenAi(Box::new(OpenAi::new(openai.clone())))
            }
        };
        Ok(Self {
            agent: Agent {
                provider,
                tools: Tools::new(store),
                budgets,
                max_tool_rounds: settings.max_tool_rounds,
                max_calls_per_round: settings.max_calls_per_round,
                max_calls_per_turn: settings.max_calls_per_turn,
                turn_budget: match &settings.provider {
                    ProviderSettings::Offline => None,
                    ProviderSettings::OpenAi(openai) => Some(openai.timeout),
                },
            },
            history_messages: settings.history_messages,
            limiter: RateLimiter::keyed(Quota::per_minute(settings.chat_per_minute)),
        })
    }

    pub fn tools(&self) -> &Tools {
        &self.agent.tools
    }

    /// Forgets users whose chat budget has fully recovered.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }

    /// One chat turn, statelessly: store the user's message, load the
    /// conversation, run the agent on it, store what it did and said. The
    /// work after the first write runs on its own task, so a client that
    /// hangs up still gets its reply stored. When traces are on, the turn
    /// is a span (an agent's invocation, in the GenAI conventions' words)
    /// around its model calls and tool calls.
    pub async fn chat(
        self: &std::sync::Arc<Self>,
        store: &Store,
        metrics: &std::sync::Arc<Metrics>,
        owner: Uuid,
        turn: ChatTurn,
    ) -> Result<ChatResponse, ApiError> {
        let span = todo_service::telemetry::span(|| {
            let span = tracing::info_span!(
                "chat turn",
                otel.name = "invoke_agent todo-assistant",
                gen_ai.operation.name = "invoke_agent",
                gen_ai.agent.name = "todo-assistant",
            );
            let system = self.agent.provider.system();
            todo_service::telemetry::attribute(&span, "gen_ai.provider.name", system);
            span
        });
        let answered = self
            .turn(store, metrics, owner, turn)
            .instrument(span.clone())
            .await;
        if let Err(error) = &answered {
            todo_service::telemetry::failed(&span, error.status_and_code().0.as_str());
        }
        answered
    }

    async fn turn(
        self: &std::sync::Arc<Self>,
        store: &Store,
        metrics: &std::sync::Arc<Metrics>,
        owner: Uuid,
        turn: ChatTurn,
    ) -> Result<ChatResponse, ApiError> {
        if let Err(not_until) = self.limiter.check_key(&owner) {
            metrics.count_chat("rate_limited");
            let retry_after = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            return Err(ApiError::TooManyRequests { retry_after });
        }
        // Admitted only with room for all the turn may add: every call it
        // may run, and the reply.
        let reserve = self.agent.max_calls_per_turn as usize + 1;
        let conversation = store
            .append_user_message(owner, turn.conversation_id, &turn.message, reserve)
            .await?
            .ok_or(ApiError::NotFound("conversation"))?;
        if todo_service::telemetry::enabled() {
            todo_service::telemetry::attribute(
                &tracing::Span::current(),
                "gen_ai.conversation.id",
                conversation.to_string(),
            );
        }
        let (assistant, store, metrics) = (self.clone(), store.clone(), metrics.clone());
        todo_service::telemetry::spawn(async move {
            assistant
                .answer(&store, &metrics, owner, conversation)
                .await
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the chat turn stopped: {e}")))?
    }

    async fn answer(
        &self,
        store: &Store,
        metrics: &Metrics,
        owner: Uuid,
        conversation: Uuid,
    ) -> Result<ChatResponse, ApiError> {
        let history = store
            .recent_messages(owner, conversation, self.history_messages)
            .await?
            .ok_or(ApiError::NotFound("conversation"))?;
        // The user's own clock: "today" and "at 9am" are read in their
        // time zone, as the task list and the reminders read due dates.
        let zone = store.time_zone_of(owner).await?;
        let now = LocalNow {
            at: zone.local(chrono::Utc::now()),
            time_zone: zone.as_str().to_owned(),
        };
        let outcome = match answered_question(&history) {
            Some((pending, Answer::Yes)) => Ok(self.agent.confirm(owner, pending, metrics).await),
            Some((_, Answer::No)) => Ok(Finished {
                reply: "OK: I kept them, and deleted nothing more.".into(),
                actions: Vec::new(),
                pending: Pending::default(),
            }),
            Some((_, Answer::Other)) | None => {
                self.agent
                    .run(owner, transcript_of(&history), &now, metrics)
                    .await
            }
        };
        let (actions, reply) = match outcome {
            Ok(finished) => (finished.actions, Ok((finished.reply, finished.pending))),
            Err(failed) => (failed.actions, Err(failed.error)),
        };
        let mut messages: Vec<NewMessage> = actions
            .iter()
            .map(|action| NewMessage {
                role: Role::Tool,
                content: describe(&action.call.name, &action.result),
                tool_data: Some(tool_data(action)),
            })
            .collect();
        if let Ok((reply, pending)) = &reply {
            messages.push(NewMessage {
                role: Role::Assistant,
                content: reply.clone(),
                tool_data: (!pending.is_empty()).then(|| pending.to_tool_data()),
            });
        }
        // The turn's actions and its reply, together or not at all.
        if !messages.is_empty() {
            store.append_messages(owner, conversation, messages).await?;
        }
        match reply {
            Ok((response, _)) => {
                metrics.count_chat("ok");
                Ok(ChatResponse {
                    conversation_id: conversation,
                    response,
                    tool_calls: actions.iter().map(record_of).collect(),
                })
            }
            Err(error) => {
                metrics.count_chat("failed");
                Err(api_error(error))
            }
        }
    }
}

/// The question the conversation's last reply asked, if it asked one,
/// and how the user's newest message (the last of `history`) answers it.
fn answered_question(history: &[MessageRow]) -> Option<(Pending, Answer)> {
    let [.., asked, answer] = history else {
        return None;
    };
    let pending = Pending::asked_in(asked)?;
    Some((pending, Answer::of(&answer.content)))
}

/// What the user is told: the provider's own words (an error body, a
/// fragment of a reply it could not use) are untrusted bytes, so they go
/// to the log, with the request id the answer also carries; the message
/// shown is this app's.
fn api_error(error: AgentError) -> ApiError {
    match error {
        AgentError::Provider(ProviderError::Unavailable(why)) => {
            tracing::warn!(detail = %why, "the assistant's provider is unavailable");
            ApiError::AssistantUnavailable("its provider cannot be reached".into())
        }
        AgentError::Provider(ProviderError::Timeout(limit)) => ApiError::AssistantTimeout(limit),
        AgentError::Provider(ProviderError::Failed(why)) => {
            tracing::warn!(detail = %why, "the assistant's provider gave an unusable answer");
            ApiError::AssistantFailed("the model's answer could not be used".into())
        }
        too_many @ AgentError::TooManyRounds(_) => ApiError::AssistantFailed(too_many.to_string()),
    }
}

pub fn record_of(action: &Action) -> ToolCallRecord {
    ToolCallRecord {
        tool: action.call.name.clone(),
        arguments: action.call.arguments.clone(),
        result: action.result_json(),
    }
}

/// The record a stored tool message carries.
pub fn stored_record(row: &MessageRow) -> Option<ToolCallRecord> {
    let data: Value = serde_json::from_str(row.tool_data.as_deref()?).ok()?;
    Some(ToolCallRecord {
        tool: data["tool"].as_str()?.to_owned(),
        arguments: data["arguments"].clone(),
        result: data["result"].clone(),
    })
}

/// Stored messages as the provider sees them.
fn transcript_of(rows: &[MessageRow]) -> Vec<Turn> {
    let mut turns = Vec::with_capacity(rows.len());
    for row in rows {
        match row.role() {
            Role::User => turns.push(Turn::User(row.content.clone())),
            Role::Assistant => turns.push(Turn::Assistant(row.content.clone())),
            Role::Tool => {
                let Some(data) = row
                    .tool_data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<Value>(d).ok())
                else {
                    continue;
                };
                let call = ToolCall {
                    id: data["call_id"].as_str().unwrap_or("call").to_owned(),
                    name: data["tool"].as_str().unwrap_or("").to_owned(),
                    arguments: data["arguments"].clone(),
                };
                turns.push(Turn::ToolResult {
                    call_id: call.id.clone(),
                    name: call.name.clone(),
                    result: data["result"].clone(),
                });
                let at = turns.len() - 1;
                turns.insert(at, Turn::ToolCall(call));
            }
        }
    }
    turns
}

/// How long the provider calls of one chat turn may take together
/// (`ASSISTANT_TIMEOUT`), by default: shorter than the request timeout.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(20);
