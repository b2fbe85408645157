//! The agent loop: ask the provider, run the tools it asks for (as the
//! caller, through the tool layer), give it the results, until it answers
//! in words, within a bounded number of tool rounds and a time budget for
//! the whole turn.
//!
//! The model's answers are untrusted input (a provider can be compromised,
//! misconfigured, or steered by text a user pasted), so a turn is bounded
//! in what it does too: at most `max_calls_per_round` tool calls of one
//! answer and `max_calls_per_turn` in all are run; past either, the turn
//! stops and says what it did, and what it did stays on record. Deletions
//! past a few per turn wait for the user's word (`confirmation`).
//! Arguments larger than [`ARGUMENTS_MAX_BYTES`] are refused without
//! running, and what is stored of a call, its result and a reply is
//! bounded ([`NAME_MAX_CHARS`], [`TOOL_DATA_MAX_BYTES`],
//! [`REPLY_MAX_CHARS`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tracing::Instrument as _;
use uuid::Uuid;

use super::confirmation::{DELETES_WITHOUT_CONFIRMATION, HeldDelete, Pending};
use super::provider::{LocalNow, Provider, ProviderError, Reply, ToolCall, Turn};
use super::tools::{ToolError, Tools, specs, writes};
use crate::auth::{Scopes, UserBudgets};
use crate::metrics::Metrics;
use todo_api::{ErrorCode, Tool};

/// A tool call's arguments larger than this (as JSON) are not run: every
/// tool's real arguments fit in a few hundred bytes.
pub const ARGUMENTS_MAX_BYTES: usize = 8 * 1024;
/// The most of a model's reply that is kept and shown.
pub const REPLY_MAX_CHARS: usize = 8_000;
/// A call's tool name and id as kept: the model's own strings, and no
/// tool's name comes near this.
pub const NAME_MAX_CHARS: usize = 64;
/// A stored tool record larger than this keeps a note of its result's
/// size instead of the result (a list of 100 long tasks comes near).
pub const TOOL_DATA_MAX_BYTES: usize = 64 * 1024;

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
    /// Deletions the reply asks the user to confirm.
    pub pending: Pending,
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
    /// The user's writes, shared with `/api` and `/mcp`.
    pub budgets: Arc<UserBudgets>,
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
        now: &LocalNow,
        metrics: &Metrics,
    ) -> Result<Finished, Failed> {
        let tools = specs();
        let mut actions: Vec<Action> = Vec::new();
        let mut deleted = 0;
        let mut round = 0;
        let deadline = self
            .turn_budget
            .map(|budget| (Instant::now() + budget, budget));
        loop {
            let started = Instant::now();
            let call = self.provider.call_span();
            let asked = self
                .provider
                .next(&transcript, &tools, now)
                .instrument(call.clone());
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
            if reply.is_err() {
                todo_service::telemetry::failed(&call, outcome);
            }
            drop(call);
            let calls = match reply {
                Ok(Reply::Text(reply)) => {
                    return Ok(Finished {
                        reply: bounded_reply(reply),
                        actions,
                        pending: Pending::default(),
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
            let mut held = Pending::default();
            for call in calls.into_iter().take(allowed) {
                let deletes = call.name == Tool::DeleteTask.as_str();
                if deletes && deleted >= DELETES_WITHOUT_CONFIRMATION {
                    // Held back when it names a task; one that names none
                    // runs, to answer with the tool's own error.
                    if let Ok(task) = self.tools.target_of_delete(owner, &call.arguments).await {
                        if !held.0.iter().any(|h| h.task_id == task.id) {
                            held.0.push(HeldDelete {
                                task_id: task.id,
                                title: task.title,
                            });
                        }
                        continue;
                    }
                }
                let action = self.act(owner, call, metrics).await;
                if deletes && action.result.is_ok() {
                    deleted += 1;
                }
                transcript.push(Turn::ToolCall(action.call.clone()));
                transcript.push(Turn::ToolResult {
                    call_id: action.call.id.clone(),
                    name: action.call.name.clone(),
                    result: action.result_json(),
                });
                actions.push(action);
            }
            let over_budget = asked > allowed;
            if over_budget || !held.is_empty() {
                let mut reply = if over_budget {
                    tracing::warn!(
                        asked,
                        ran = allowed,
                        total = actions.len(),
                        "a model asked for more tool calls than a turn may run"
                    );
                    self.stopped(asked, allowed, &actions)
                } else {
                    format!("I deleted {deleted} tasks (listed below).")
                };
                if !held.is_empty() {
                    reply.push(' ');
                    reply.push_str(&held.question());
                }
                return Ok(Finished {
                    reply,
                    actions,
                    pending: held,
                });
            }
        }
    }

    /// Runs the deletions a reply asked about, now that the user said yes:
    /// exactly those tasks, by id, without asking the provider.
    pub async fn confirm(&self, owner: Uuid, pending: Pending, metrics: &Metrics) -> Finished {
        let mut actions = Vec::with_capacity(pending.0.len());
        for held in pending.0 {
            let call = ToolCall {
                id: format!("confirmed-{}", held.task_id),
                name: Tool::DeleteTask.as_str().to_owned(),
                arguments: json!({ "task_id": held.task_id }),
            };
            actions.push(self.act(owner, call, metrics).await);
        }
        let done = actions.iter().filter(|a| a.result.is_ok()).count();
        let mut reply = match done {
            1 => "Done: I deleted 1 task.".to_owned(),
            n => format!("Done: I deleted {n} tasks."),
        };
        if done < actions.len() {
            reply.push_str(&format!(
                " {} could not be deleted (see below).",
                actions.len() - done
            ));
        }
        Finished {
            reply,
            actions,
            pending: Pending::default(),
        }
    }

    /// One tool call as the caller (the chat door admits only callers
    /// that may write), its name and id kept short and arguments too
    /// large refused unrun (and not kept).
    async fn act(&self, owner: Uuid, mut call: ToolCall, metrics: &Metrics) -> Action {
        call.name = truncated(&call.name, NAME_MAX_CHARS);
        call.id = truncated(&call.id, NAME_MAX_CHARS);
        let size = call.arguments.to_string().len();
        let spent = match call.name.parse::<Tool>() {
            Ok(tool) if writes(tool) => self.budgets.write(owner, 1).err(),
            _ => None,
        };
        let result = if let Some(retry_after) = spent {
            Err(ToolError {
                code: ErrorCode::TooManyRequests,
                message: format!(
                    "too many changes this minute; nothing was done (try again in {} s)",
                    retry_after.as_secs().max(1)
                ),
                fields: Default::default(),
                candidates: Vec::new(),
            })
        } else if size > ARGUMENTS_MAX_BYTES {
            call.arguments = json!({ "omitted_bytes": size });
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
            self.tools
                .call(owner, Scopes::ALL, &call.name, &call.arguments)
                .await
        };
        metrics.count_tool_call(
            &call.name,
            if result.is_ok() { "ok" } else { "error" },
            "chat",
        );
        Action { call, result }
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
    let mut kept = truncated(&reply, REPLY_MAX_CHARS);
    kept.push_str(" […]");
    kept
}

/// The first `max` characters of `text`.
fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

/// What a stored tool message keeps, so a later turn can replay it: at
/// most [`TOOL_DATA_MAX_BYTES`], a larger result kept as its size.
pub fn tool_data(action: &Action) -> String {
    let record = |result: Value| {
        json!({
            "call_id": action.call.id,
            "tool": action.call.name,
            "arguments": action.call.arguments,
            "result": result,
        })
        .to_string()
    };
    let full = record(action.result_json());
    if full.len() <= TOOL_DATA_MAX_BYTES {
        return full;
    }
    record(json!({ "omitted_bytes": full.len() }))
}
