//! Any OpenAI-compatible chat-completions endpoint (OpenAI, Gemini's
//! OpenAI endpoint, Ollama, llama.cpp server, vLLM), with tool calling.
//!
//! A thin typed client over hyper (`https`) rather than a client crate: servers
//! that call themselves OpenAI-compatible differ in small ways a strict
//! client rejects (tool arguments sent as a JSON object instead of a
//! string, an empty or missing `finish_reason`, `content: null` beside
//! tool calls), and the backend needs two requests' worth of the API, not
//! the whole of it. Everything here reads those variants on purpose.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use axum::http::StatusCode;

use super::https::{HttpsClient, SendError};
use super::{LocalNow, ProviderError, Reply, ToolCall, Turn};
use crate::assistant::tools::ToolSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAiSettings {
    /// e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    /// Sent as a bearer token when set (Ollama needs none).
    pub api_key: Option<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct OpenAi {
    settings: OpenAiSettings,
    http: HttpsClient,
}

impl OpenAi {
    pub fn new(settings: OpenAiSettings) -> Self {
        let http = HttpsClient::new(settings.timeout);
        Self { settings, http }
    }

    pub fn model(&self) -> &str {
        &self.settings.model
    }

    pub async fn next(
        &self,
        transcript: &[Turn],
        tools: &[ToolSpec],
        now: &LocalNow,
    ) -> Result<Reply, ProviderError> {
        let body = json!({
            "model": self.settings.model,
            "messages": messages(transcript, now),
            "tools": tools.iter().map(|tool| json!({
                "type": "function",
                "function": {
                    "name": tool.name(),
                    "description": tool.description,
                    "parameters": tool.input_schema,
                },
            })).collect::<Vec<_>>(),
            "tool_choice": "auto",
        });
        let url = format!(
            "{}/chat/completions",
            self.settings.base_url.trim_end_matches('/')
        );
        let (status, text) = self
            .http
            .post_json(&url, self.settings.api_key.as_deref(), &body)
            .await
            .map_err(|e| match e {
                SendError::Timeout(limit) => ProviderError::Timeout(limit),
                SendError::Transport(why) => ProviderError::Unavailable(why),
                too_large @ SendError::TooLarge(_) => ProviderError::Failed(too_large.to_string()),
            })?;
        // Overloaded or restarting: worth a retry, unlike other errors.
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            return Err(ProviderError::Unavailable(format!(
                "{status}: {}",
                excerpt(&text)
            )));
        }
        if !status.is_success() {
            return Err(ProviderError::Failed(format!(
                "{status}: {}",
                excerpt(&text)
            )));
        }
        parse_completion(&text)
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

/// The transcript as chat-completions messages: a system prompt, then the
/// conversation, each tool call as an assistant message carrying it and a
/// `tool` message with its result.
fn messages(transcript: &[Turn], now: &LocalNow) -> Vec<Value> {
    let mut messages = vec![json!({"role": "system", "content": system_prompt(now)})];
    let mut pending_calls: Vec<Value> = Vec::new();
    let flush = |messages: &mut Vec<Value>, pending: &mut Vec<Value>| {
        if !pending.is_empty() {
            messages
                .push(json!({"role": "assistant", "content": null, "tool_calls": pending.clone()}));
            pending.clear();
        }
    };
    for turn in transcript {
        match turn {
            Turn::ToolCall(call) => pending_calls.push(json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments.to_string()},
            })),
            Turn::ToolResult {
                call_id, result, ..
            } => {
                flush(&mut messages, &mut pending_calls);
                messages.push(
                    json!({"role": "tool", "tool_call_id": call_id, "content": result.to_string()}),
                );
            }
            Turn::User(text) => {
                flush(&mut messages, &mut pending_calls);
                messages.push(json!({"role": "user", "content": text}));
            }
            Turn::Assistant(text) => {
                flush(&mut messages, &mut pending_calls);
                messages.push(json!({"role": "assistant", "content": text}));
            }
        }
    }
    flush(&mut messages, &mut pending_calls);
    messages
}

/// What the model is told first. It states the user's own date, time and
/// time zone, since a model has no clock and the server's (UTC) date is
/// often not the user's: "tomorrow at 9am" must become the user's
/// tomorrow, and `due_time` is wall-clock time in their zone.
fn system_prompt(now: &LocalNow) -> String {
    format!(
        "You are the assistant of a to-do app. Manage the user's tasks only through the tools \
         you are given; never invent tasks or results. \
         It is now {time} on {weekday} {date} in the user's time zone ({zone}); \
         read \"today\", \"tomorrow\", weekdays and times of day in it. \
         Dates are YYYY-MM-DD; due_time is HH:MM (24-hour) in the user's time zone and needs a due_date; \
         a repeating task has a due_date (its first occurrence) and a recurrence RRULE such as \
         FREQ=WEEKLY;BYDAY=MO; reminders are minutes before the due time and need a due_time. \
         When a title matches several tasks, ask which one. Answer briefly.",
        time = now.at.format("%H:%M"),
        weekday = now.at.format("%A"),
        date = now.at.format("%Y-%m-%d"),
        zone = now.time_zone,
    )
}

#[derive(Debug, Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    /// The model that answered, which may name a version of the one asked.
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
}

/// Tokens a call cost, when the server says.
#[derive(Debug, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// Notes the answering model and the tokens spent on the call's span.
fn record_response(completion: &Completion) {
    if !todo_service::telemetry::enabled() {
        return;
    }
    let span = tracing::Span::current();
    if let Some(model) = &completion.model {
        todo_service::telemetry::attribute(&span, "gen_ai.response.model", model.clone());
    }
    let usage = completion.usage.as_ref();
    let tokens = [
        (
            "gen_ai.usage.input_tokens",
            usage.and_then(|u| u.prompt_tokens),
        ),
        (
            "gen_ai.usage.output_tokens",
            usage.and_then(|u| u.completion_tokens),
        ),
    ];
    for (key, count) in tokens {
        if let Some(count) = count.and_then(|count| i64::try_from(count).ok()) {
            todo_service::telemetry::attribute(&span, key, count);
        }
    }
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: Option<AssistantMessage>,
}

#[derive(Debug, Deserialize)]
struct AssistantMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    function: WireFunction,
}

#[derive(Debug, Deserialize)]
struct WireFunction {
    name: String,
    /// A JSON string per the API; some servers send the object itself.
    #[serde(default)]
    arguments: Value,
}

/// Reads a completion, tolerating what compatible servers vary on.
fn parse_completion(text: &str) -> Result<Reply, ProviderError> {
    let completion: Completion = serde_json::from_str(text).map_err(|e| {
        ProviderError::Failed(format!("not a chat completion ({e}): {}", excerpt(text)))
    })?;
    record_response(&completion);
    let message = completion
        .choices
        .into_iter()
        .next()
        .and_then(|choice| choice.message)
        .ok_or_else(|| {
            ProviderError::Failed(format!("a completion without a message: {}", excerpt(text)))
        })?;
    if let Some(refusal) = message.refusal.filter(|r| !r.trim().is_empty()) {
        return Err(ProviderError::Failed(format!(
            "the model refused: {refusal}"
        )));
    }
    let calls = message.tool_calls.unwrap_or_default();
    if !calls.is_empty() {
        let mut parsed = Vec::with_capacity(calls.len());
        for (index, call) in calls.into_iter().enumerate() {
            let arguments = match call.function.arguments {
                Value::String(raw) if raw.trim().is_empty() => json!({}),
                Value::String(raw) => serde_json::from_str(&raw).map_err(|e| {
                    ProviderError::Failed(format!(
                        "malformed arguments for {}: {e}: {}",
                        call.function.name,
                        excerpt(&raw)
                    ))
                })?,
                Value::Null => json!({}),
                object @ Value::Object(_) => object,
                other => {
                    return Err(ProviderError::Failed(format!(
                        "malformed arguments for {}: {other}",
                        call.function.name
                    )));
                }
            };
            if !arguments.is_object() {
                return Err(ProviderError::Failed(format!(
                    "arguments for {} are not an object: {arguments}",
                    call.function.name
                )));
            }
            parsed.push(ToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call-{index}")),
                name: call.function.name,
                arguments,
            });
        }
        return Ok(Reply::ToolCalls(parsed));
    }
    let text = match message.content {
        Some(Value::String(text)) => text,
        // Content as a list of parts: [{"type": "text", "text": "..."}].
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    };
    if text.trim().is_empty() {
        return Err(ProviderError::Failed(
            "an empty answer: no text and no tool call".into(),
        ));
    }
    Ok(Reply::Text(text.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Late on Wednesday 2 December in Auckland (10:30 UTC that day): the
    /// prompt carries the user's clock, not the server's.
    fn auckland_evening() -> LocalNow {
        LocalNow {
            at: chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
                .unwrap()
                .and_hms_opt(23, 30, 0)
                .unwrap(),
            time_zone: "Pacific/Auckland".into(),
        }
    }

    #[test]
    fn the_system_prompt_states_the_users_date_time_and_zone() {
        let prompt = system_prompt(&auckland_evening());
        for expected in [
            "23:30",
            "Wednesday 2026-12-02",
            "Pacific/Auckland",
            "HH:MM",
            "FREQ=WEEKLY;BYDAY=MO",
            "minutes before the due time",
        ] {
            assert!(prompt.contains(expected), "{expected}: {prompt}");
        }
    }

    #[test]
    fn tool_calls_are_read_with_string_or_object_arguments_and_no_finish_reason() {
        let string_args = r#"{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"add_task","arguments":"{\"title\":\"Milk\"}"}}]},"finish_reason":"tool_calls"}]}"#;
        let object_args = r#"{"choices":[{"message":{"tool_calls":[{"function":{"name":"add_task","arguments":{"title":"Milk"}}}]},"finish_reason":""}]}"#;
        for text in [string_args, object_args] {
            let Reply::ToolCalls(calls) = parse_completion(text).unwrap() else {
                panic!()
            };
            assert_eq!(calls[0].name, "add_task");
            assert_eq!(calls[0].arguments, json!({"title": "Milk"}));
        }
    }

    #[test]
    fn text_garbage_refusals_and_empty_answers_are_told_apart() {
        let text = r#"{"choices":[{"message":{"content":"Done."}}]}"#;
        assert_eq!(parse_completion(text).unwrap(), Reply::Text("Done.".into()));
        assert!(matches!(
            parse_completion("<html>"),
            Err(ProviderError::Failed(_))
        ));
        let refused = r#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#;
        assert!(
            matches!(parse_completion(refused), Err(ProviderError::Failed(m)) if m.contains("refused"))
        );
        let empty = r#"{"choices":[{"message":{"content":""}}]}"#;
        assert!(matches!(
            parse_completion(empty),
            Err(ProviderError::Failed(_))
        ));
        let bad = r#"{"choices":[{"message":{"tool_calls":[{"function":{"name":"add_task","arguments":"{title"}}]}}]}"#;
        assert!(
            matches!(parse_completion(bad), Err(ProviderError::Failed(m)) if m.contains("malformed"))
        );
    }

    #[test]
    fn the_transcript_replays_tool_calls_before_their_results() {
        let transcript = [
            Turn::User("add milk".into()),
            Turn::ToolCall(ToolCall {
                id: "c1".into(),
                name: "add_task".into(),
                arguments: json!({"title": "milk"}),
            }),
            Turn::ToolResult {
                call_id: "c1".into(),
                name: "add_task".into(),
                result: json!({"title": "milk"}),
            },
        ];
        let messages = messages(&transcript, &auckland_evening());
        let roles: Vec<&str> = messages
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant", "tool"]);
        assert_eq!(
            messages[2]["tool_calls"][0]["function"]["arguments"],
            "{\"title\":\"milk\"}"
        );
        assert_eq!(messages[3]["tool_call_id"], "c1");
    }
}
