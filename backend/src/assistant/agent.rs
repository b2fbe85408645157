//! The agent loop: ask the provider, run the tools it asks for (as the
//! caller, through the tool layer), give it the results, until it answers
//! in words, within a bounded number of tool rounds and a time budget for
//! the whole turn.
//!
//! The model's answers are untrusted input (a provider can be compromised,
//! misconfigured, or steered by text a user pasted), so a turn is bounded
//! in what it does too: at most `max_calls_per_round` tool calls of one
//! answer and `max_calls_per_turn` in all are run; past either, the turn
//! stops and says what it did, and what it did stays on record. Arguments
//! larger than [`ARGUMENTS_MAX_BYTES`] are refused without running, and a
//! reply is kept to [`REPLY_MAX_CHARS`].

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::{Value, json};
use uuid::Uuid;

use super::provider::{Provider, ProviderError, Reply, ToolCall, Turn};
use super::tools::{ToolError, Tools, specs};
use crate::auth::Scopes;
use crate::metrics::Metrics;
use todo_api::ErrorCode;

/// A tool call's arguments larger than this (as JSON) are not run: every
/// tool's real arguments fit in a few hundred bytes.
pub const ARGUMENTS_MAX_BYTES: usize = 8 * 1024;
/// The most of a model's reply that is kept and shown.
pub const REPLY_MAX_CHARS: usize = 8_000;

/// One tool call the agent made, and what it answered.
#[derive(Debug, Clone)]
pub struct Action {
    pub call: ToolCall,
    pub result: Result<Value, ToolError>,
}

impl Action {
    /// The result as stored and shown: the tool's value, or its error body.
    pub fn result_json(&self) -> Value {
        match &self.result {
            Ok(value) => value.clone(),
            Err(error) => error.to_json(),
        }
    }
}

#[derive(Debug)]
pub struct Finished {
    pub reply: String,
    pub actions: Vec<Action>,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("the model did not finish within {0} tool rounds")]
    TooManyRounds(u32),
}

/// No reply, but possibly actions already taken (they are real: the tasks
/// they changed are changed), so the caller can record them.
#[derive(Debug)]
pub struct Failed {
    pub error: AgentError,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub provider: Provider,
    pub tools: Tools,
    pub max_tool_rounds: u32,
    /// Tool calls run of one model answer.
    pub max_calls_per_round: u32,
    /// Tool calls run in one turn, over all its rounds.
    pub max_calls_per_turn: u32,
    /// What all provider calls of one turn may take together
    /// (`ASSISTANT_TIMEOUT`), so a turn ends before the request's own
    /// timeout and its actions are always recorded. None: no bound (the
    /// offline provider answers at once).
    pub turn_budget: Option<Duration>,
}

impl Agent {
    /// Runs one turn on `history` (the user's newest message last).
    pub async fn run(
        &self,
        owner: Uuid,
        mut transcript: Vec<Turn>,
        today: NaiveDate,
        metrics: &Metrics,
    ) -> Result<Finished, Failed> {
        let tools = specs();
        let mut actions: Vec<Action> = Vec::new();
        let mut round = 0;
        let deadline = self
            .turn_budget
            .map(|budget| (Instant::now() + budget, budget));
        loop {
            let started = Instant::now();
            let asked = self.provider.next(&transcript, &tools, today);
            let reply = match deadline {
                None => asked.await,
                Some((deadline, budget)) => {
                    match tokio::time::timeout_at(deadline.into(), asked).await {
                        Ok(reply) => reply,
                        Err(_) => Err(ProviderError::Timeout(budget)),
                    }
                }
            };
            let outcome = match &reply {
                Ok(_) => "ok",
                Err(ProviderError::Timeout(_)) => "timeout",
                Err(ProviderError::Unavailable(_)) => "unavailable",
                Err(ProviderError::Failed(_)) => "failed",
            };
            metrics.observe_provider(self.provider.name(), outcome, started.elapsed());
            let calls = match reply {
                Ok(Reply::Text(reply)) => {
                    return Ok(Finished {
                        reply: bounded_reply(reply),
                        actions,
                    });
                }
                Ok(Reply::ToolCalls(calls)) => calls,
                Err(error) => {
                    return Err(Failed {
                        error: error.into(),
                        actions,
                    });
                }
            };
            if round == self.max_tool_rounds {
                return Err(Failed {
                    error: AgentError::TooManyRounds(self.max_tool_rounds),
                    actions,
                });
            }
            round += 1;
            let asked = calls.len();
            let left_in_turn = (self.max_calls_per_turn as usize).saturating_sub(actions.len());
            let allowed = (self.max_calls_per_round as usize).min(left_in_turn);
            for call in calls.into_iter().take(allowed) {
                let result = if call.arguments.to_string().len() > ARGUMENTS_MAX_BYTES {
                    Err(ToolError {
                        code: ErrorCode::ValidationFailed,
                        message: format!(
                            "the arguments are larger than {} KiB; nothing was done",
                            ARGUMENTS_MAX_BYTES / 1024
                        ),
                        fields: Default::default(),
                        candidates: Vec::new(),
                    })
                } else {
                    // The chat door admits only callers that may write.
                    self.tools
                        .call(owner, Scopes::ALL, &call.name, &call.arguments)
                        .await
                };
                metrics.count_tool_call(
                    &call.name,
                    if result.is_ok() { "ok" } else { "error" },
                    "chat",
                );
                let action = Action { call, result };
                transcript.push(Turn::ToolCall(action.call.clone()));
                transcript.push(Turn::ToolResult {
                    call_id: action.call.id.clone(),
                    name: action.call.name.clone(),
                    result: action.result_json(),
                });
                actions.push(action);
            }
            if asked > allowed {
                let reply = self.stopped(asked, allowed, &actions);
                tracing::warn!(
                    asked,
                    ran = allowed,
                    total = actions.len(),
                    "a model asked for more tool calls than a turn may run"
                );
                return Ok(Finished { reply, actions });
            }
        }
    }

    /// What the user reads when the model asked for more than a turn may
    /// do: what was done, what was not, and why.
    fn stopped(&self, asked: usize, ran: usize, actions: &[Action]) -> String {
        let limit = if ran < self.max_calls_per_round as usize
            || actions.len() >= self.max_calls_per_turn as usize
        {
            format!(
                "one message may lead to at most {} actions",
                self.max_calls_per_turn
            )
        } else {
            format!(
                "one step may take at most {} actions at once",
                self.max_calls_per_round
            )
        };
        let done = match actions.len() {
            0 => "nothing".to_owned(),
            1 => "1 action".to_owned(),
            n => format!("{n} actions"),
        };
        format!(
            "I stopped here: the model asked for {asked} more actions, and {limit}. So far I did {done} (listed below); the other {} were not done. Tell me what to do next.",
            asked - ran
        )
    }
}

/// A reply kept to [`REPLY_MAX_CHARS`].
fn bounded_reply(reply: String) -> String {
    if reply.chars().count() <= REPLY_MAX_CHARS {
        return reply;
    }
    let mut kept: String = reply.chars().take(REPLY_MAX_CHARS).collect();
    kept.push_str(" […]");
    kept
}

/// What a stored tool message keeps, so a later turn can replay it.
pub fn tool_data(action: &Action) -> Value {
    json!({
        "call_id": action.call.id,
        "tool": action.call.name,
        "arguments": action.call.arguments,
        "result": action.result_json(),
    })
}
