//! The agent loop: ask the provider, run the tools it asks for (as the
//! caller, through the tool layer), give it the results, until it answers
//! in words, within a bounded number of tool rounds and a time budget for
//! the whole turn.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::{Value, json};
use uuid::Uuid;

use super::provider::{Provider, ProviderError, Reply, ToolCall, Turn};
use super::tools::{ToolError, Tools, specs};
use crate::auth::Scopes;
use crate::metrics::Metrics;

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
                Ok(Reply::Text(reply)) => return Ok(Finished { reply, actions }),
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
            for call in calls {
                // The chat door admits only callers that may write.
                let result = self
                    .tools
                    .call(owner, Scopes::ALL, &call.name, &call.arguments)
                    .await;
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
        }
    }
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
